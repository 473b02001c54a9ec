//! Copies with dtype conversion, and fills. `x.t().contiguous()` takes the tiled path of the
//! elementwise engine, so a transpose reads and writes whole cache lines.
use crate::elementwise::unary_into;
use crate::{DType, Element, Layout, Result, Storage};
use half::bf16;

/// `dst[ld] = src[ls]` (broadcast), converting dtypes with PyTorch's casts.
pub fn copy_into(dst: &Storage, ld: &Layout, dt: DType, src: &Storage, ls: &Layout, st: DType) {
    if dt == st {
        // Same dtype: no conversion, so dense-to-dense is one memcpy and everything else an
        // identity map (the generic cast goes through f64 and doesn't vectorise).
        if ld.is_contiguous() && ls.is_contiguous() && ld.sizes == ls.sizes {
            let n = ld.numel() * dt.size();
            // SAFETY: both layouts are contiguous with the same sizes and fit their storages (checked when
            // their tensors were made), so n bytes from each offset are in bounds; `ptr::copy` allows overlap.
            unsafe {
                let (d, s) = (dst.ptr().add(ld.offset * dt.size()), src.ptr().add(ls.offset * dt.size()));
                if d != s {
                    std::ptr::copy(s, d, n);
                }
            }
            crate::elementwise::set_last_path(crate::elementwise::Path::Contiguous, 1);
            return;
        }
        if let Some(t) = Transpose::detect(ld, ls) {
            // SAFETY: `detect` matched a 2-D transpose of two layouts that fit their storages; `run` touches
            // only elements of those layouts, and T is the storage dtype `st` (= dt).
            return with_dtype!(st, T => unsafe { t.run::<T>(dst, src) });
        }
        return with_dtype!(st, T => unary_into::<T, T>(dst, ld, src, ls, |x| x));
    }
    if st.is_complex() || dt.is_complex() {
        // Through complex128 in two passes: 2·12 kernels instead of the 44 complex pairs
        // (casts to and from complex are rare; the pairwise kernels dominate compile time).
        // (an allocation failure here panics; the binding's guard reports it as a RuntimeError)
        let tmp = Storage::uninit_n(ls.numel(), 16).expect("complex cast buffer");
        let lt = Layout::contiguous(&ls.sizes);
        with_dtype!(st, S => unary_into::<S, crate::C128>(&tmp, &lt, src, ls, |x| x.cast::<crate::C128>()));
        return with_dtype!(dt, D => unary_into::<crate::C128, D>(dst, ld, &tmp, &lt, |x| x.cast::<D>()));
    }
    // autocast's casts (weights to bf16 every forward, gradients back to f32): the generic cast
    // goes through f64 and `half`'s branchy rounding, which doesn't vectorise.
    match (st, dt) {
        (DType::F32, DType::BF16) => unary_into::<f32, bf16>(dst, ld, src, ls, |x| bf16::from_bits(f32_to_bf16_bits(x))),
        (DType::BF16, DType::F32) => unary_into::<bf16, f32>(dst, ld, src, ls, |x| bf16_bits_to_f32(x.to_bits())),
        _ => with_real_dtype!(st, S => with_real_dtype!(dt, D => unary_into::<S, D>(dst, ld, src, ls, |x| x.cast::<D>()), ()), ()),
    }
}

/// bf16 bits of `x` rounded to nearest even, NaN kept a quiet NaN: `half::bf16::from_f32`'s
/// result, written as a select so loops over it vectorise.
#[inline(always)]
pub fn f32_to_bf16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let rounded = (b.wrapping_add(0x7FFF + ((b >> 16) & 1)) >> 16) as u16;
    if x.is_nan() {
        ((b >> 16) | 0x40) as u16
    } else {
        rounded
    }
}

/// The f32 a bf16 bit pattern stands for (exact: bf16 is f32's upper half).
#[inline(always)]
pub fn bf16_bits_to_f32(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

/// A new row-major storage with the elements of `src[ls]` converted to `dt`.
pub fn contiguous(src: &Storage, ls: &Layout, st: DType, dt: DType) -> Result<Storage> {
    let out = Storage::uninit_n(ls.numel(), dt.size())?;
    copy_into(&out, &Layout::contiguous(&ls.sizes), dt, src, ls, st);
    Ok(out)
}

/// Writes `value` into every element of `dst[ld]`.
pub fn fill<T: Element>(dst: &Storage, ld: &Layout, value: T) {
    let one = Layout::contiguous(&[]);
    // SAFETY: reads the bytes of the local `value`, alive for the call, exactly size_of::<T>() of them.
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
        Scalar::Complex(re, im) => T::from_c128(re, im),
    }))
}

/// True when reading `ls` into the row-major `ld` is a 2-D transpose (see `Transpose`).
pub fn is_transpose(ld: &Layout, ls: &Layout) -> bool {
    Transpose::detect(ld, ls).is_some()
}

/// A same-dtype copy that is a 2-D transpose once dims are coalesced: the destination is
/// row-major (rows × cols) and the source walks its rows with stride 1 and its columns with
/// a large stride (`x.t().contiguous()`, gradients arriving through `TBackward0`).
struct Transpose {
    rows: usize,
    cols: usize,
    col_stride: isize,
    dst_off: usize,
    src_off: usize,
}

impl Transpose {
    fn detect(ld: &Layout, ls: &Layout) -> Option<Transpose> {
        if !ld.is_contiguous() || ld.sizes != ls.sizes {
            return None;
        }
        let (cs, cst) = crate::layout::coalesce(&ld.sizes, [&ld.strides, &ls.strides]);
        if cs.len() != 2 || cst[1][0] != 1 || cst[0][1] != 1 || cst[1][1] <= 1 {
            return None;
        }
        Some(Transpose { rows: cs[0], cols: cs[1], col_stride: cst[1][1], dst_off: ld.offset, src_off: ls.offset })
    }

    /// Moves 8×8 blocks through a small local array: 8 contiguous reads down the source's
    /// rows, then 8 contiguous writes along the destination's rows; 64×64 tiles keep both
    /// sides in L1. Row tiles are split across threads for big copies.
    unsafe fn run<T: Copy + Default + Send + Sync>(&self, dst: &Storage, src: &Storage) {
        const B: usize = 8;
        const TILE: usize = 64;
        let d = crate::elementwise::SendPtr((dst.ptr() as *mut T).add(self.dst_off));
        let s = crate::elementwise::SendPtr((src.ptr() as *mut T).add(self.src_off));
        let (rows, cols, cs) = (self.rows, self.cols, self.col_stride);
        let tiles = rows.div_ceil(TILE);
        let n = crate::threads::chunks_for(rows * cols).min(tiles);
        crate::elementwise::set_last_path(crate::elementwise::Path::Tiled, n);
        crate::threads::parallel_for(n, |chunk| {
            let (d, s) = (d, s);
            let (t0, t1) = crate::threads::split_range(tiles, n, chunk);
            for i0 in (t0 * TILE..(t1 * TILE).min(rows)).step_by(TILE) {
                let i1 = (i0 + TILE).min(rows);
                for j0 in (0..cols).step_by(TILE) {
                    let j1 = (j0 + TILE).min(cols);
                    let mut i = i0;
                    while i < i1 {
                        let mut j = j0;
                        while j < j1 {
                            if i + B <= i1 && j + B <= j1 {
                                let mut blk = [[T::default(); B]; B];
                                for (jj, col) in blk.iter_mut().enumerate() {
                                    let p = s.0.offset(i as isize + (j + jj) as isize * cs);
                                    for (ii, v) in col.iter_mut().enumerate() {
                                        *v = *p.add(ii);
                                    }
                                }
                                for ii in 0..B {
                                    let q = d.0.add((i + ii) * cols + j);
                                    for (jj, col) in blk.iter().enumerate() {
                                        *q.add(jj) = col[ii];
                                    }
                                }
                            } else {
                                for ii in i..(i + B).min(i1) {
                                    for jj in j..(j + B).min(j1) {
                                        *d.0.add(ii * cols + jj) = *s.0.offset(ii as isize + jj as isize * cs);
                                    }
                                }
                            }
                            j += B;
                        }
                        i += B;
                    }
                }
            }
        });
    }
}
