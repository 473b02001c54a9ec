//! Copies with dtype conversion, and fills. `x.t().contiguous()` takes the tiled path of the
//! elementwise engine, so a transpose reads and writes whole cache lines.
use crate::elementwise::unary_into;
use crate::{DType, Element, Layout, Result, Storage};

/// `dst[ld] = src[ls]` (broadcast), converting dtypes with PyTorch's casts.
pub fn copy_into(dst: &Storage, ld: &Layout, dt: DType, src: &Storage, ls: &Layout, st: DType) {
    if dt == st {
        // Same dtype: no conversion, so dense-to-dense is one memcpy and everything else an
        // identity map (the generic cast goes through f64 and doesn't vectorise).
        if ld.is_contiguous() && ls.is_contiguous() && ld.sizes == ls.sizes {
            let n = ld.numel() * dt.size();
            unsafe {
                let (d, s) = (dst.ptr().add(ld.offset * dt.size()), src.ptr().add(ls.offset * dt.size()));
                if d != s {
                    std::ptr::copy(s, d, n);
                }
            }
            crate::elementwise::set_last_path(crate::elementwise::Path::Contiguous, 1);
            return;
        }
        return with_dtype!(st, T => unary_into::<T, T>(dst, ld, src, ls, |x| x));
    }
    with_dtype!(st, S => with_dtype!(dt, D => unary_into::<S, D>(dst, ld, src, ls, |x| x.cast::<D>())))
}

/// A new row-major storage with the elements of `src[ls]` converted to `dt`.
pub fn contiguous(src: &Storage, ls: &Layout, st: DType, dt: DType) -> Result<Storage> {
    let out = Storage::uninit(ls.numel() * dt.size())?;
    copy_into(&out, &Layout::contiguous(&ls.sizes), dt, src, ls, st);
    Ok(out)
}

/// Writes `value` into every element of `dst[ld]`.
pub fn fill<T: Element>(dst: &Storage, ld: &Layout, value: T) {
    let one = Layout::contiguous(&[]);
    let tmp = Storage::from_bytes(unsafe { std::slice::from_raw_parts(&value as *const T as *const u8, std::mem::size_of::<T>()) })
        .expect("8-byte allocation");
    unary_into::<T, T>(dst, ld, &tmp, &one, |x| x);
}

/// Fills with a value given as f64/i64, converted to `dt`.
pub fn fill_scalar(dst: &Storage, ld: &Layout, dt: DType, value: ember_core::Scalar) {
    use ember_core::Scalar;
    with_dtype!(dt, T => fill::<T>(dst, ld, match value {
        Scalar::Float(f) => T::from_f64(f),
        Scalar::Int(i) => T::from_i64(i),
        Scalar::Bool(b) => T::from_i64(b as i64),
    }))
}
