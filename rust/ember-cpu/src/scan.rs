//! Scans along one dim: cumsum, cumprod (in the accumulator type of `SumElem`) and
//! cummax/cummin with indices. Input in (outer, n, inner) form, copied when not contiguous;
//! inner > 1 scans whole rows at a time so loads stay contiguous.
use crate::reduce::{is_nan, SendPtr, SumElem};
use crate::threads::{chunks_for, parallel_for, split_range};
use crate::{DType, Element, Layout, Result, Storage};

fn shape3(ls: &Layout, dim: usize) -> (usize, usize, usize) {
    let sizes = if ls.ndim() == 0 { vec![1] } else { ls.sizes.to_vec() };
    (sizes[..dim].iter().product(), sizes[dim], sizes[dim + 1..].iter().product())
}

fn contiguous_input(src: &Storage, ls: &Layout, dt: DType) -> Result<(Storage, usize)> {
    Ok(if ls.is_contiguous() { (src.clone(), ls.offset) } else { (crate::copy::contiguous(src, ls, dt, dt)?, 0) })
}

/// Runs `f(x_block, o_block)` on each (n × inner) block of outer index, in parallel.
fn blocks<T: Element, O: Element>(x: &[T], out: *mut O, outer: usize, len: usize, f: impl Fn(&[T], &mut [O]) + Sync + Send) {
    let op = SendPtr(out);
    let k = chunks_for(x.len()).min(outer);
    parallel_for(k, |c| {
        let op = op;
        let (a, b) = split_range(outer, k, c);
        for o in a..b {
            // SAFETY: `out` holds outer·len elements (the callers allocate numel = outer·len) and o < outer;
            // tasks own disjoint o ranges, so the slices never alias.
            let ob = unsafe { std::slice::from_raw_parts_mut(op.0.add(o * len), len) };
            f(&x[o * len..(o + 1) * len], ob);
        }
    });
}

/// cumsum (`prod` false) or cumprod along `dim`; `dt` is one of `reduce::compute_dtype`'s.
pub fn cumulative(prod: bool, src: &Storage, ls: &Layout, dt: DType, dim: usize) -> Result<Storage> {
    let (s, off) = contiguous_input(src, ls, dt)?;
    let (outer, n, inner) = shape3(ls, dim);
    let numel = ls.numel();
    let out = Storage::uninit_n(numel, dt.size())?;
    if numel == 0 {
        return Ok(out);
    }
    macro_rules! go {
        ($T:ty) => {{
            type T = $T;
            // SAFETY: `contiguous_input` returns a dense storage holding `numel` elements of T from `off` (the
            // tensor's own, checked against its storage, or a fresh copy).
            let x = unsafe { std::slice::from_raw_parts((s.ptr() as *const T).add(off), numel) };
            let f = |a: <T as SumElem>::A, b| if prod { T::mul(a, b) } else { T::add(a, b) };
            let init = if prod { <T as SumElem>::ONE } else { <T as SumElem>::ZERO };
            blocks::<T, T>(x, out.ptr() as *mut T, outer, n * inner, |xb, ob| {
                let mut acc = vec![init; inner];
                for r in 0..n {
                    for i in 0..inner {
                        acc[i] = f(acc[i], xb[r * inner + i].up());
                        ob[r * inner + i] = T::down(acc[i]);
                    }
                }
            });
        }};
    }
    match dt {
        DType::F32 => go!(f32),
        DType::F64 => go!(f64),
        DType::F16 => go!(half::f16),
        DType::BF16 => go!(half::bf16),
        DType::I64 => go!(i64),
        DType::C64 => go!(crate::C64),
        DType::C128 => go!(crate::C128),
        d => return Err(crate::Error::runtime(format!("internal: scan kernel called on {}", d.name()))),
    }
    Ok(out)
}

/// cummax (`want_max`) or cummin along `dim`: running extreme and the index where it was
/// reached. As in PyTorch, an equal value moves the index forward and NaN sticks.
pub fn cum_extreme(want_max: bool, src: &Storage, ls: &Layout, dt: DType, dim: usize) -> Result<(Storage, Storage)> {
    let (s, off) = contiguous_input(src, ls, dt)?;
    let (outer, n, inner) = shape3(ls, dim);
    let numel = ls.numel();
    let vals = Storage::uninit_n(numel, dt.size())?;
    let idx = Storage::uninit_n(numel, 8)?;
    if numel == 0 {
        return Ok((vals, idx));
    }
    let ip = SendPtr(idx.ptr() as *mut i64);
    with_dtype!(dt, T => {
        // SAFETY: as in `cumulative`: `s` is dense with `numel` elements of T from `off`.
        let x = unsafe { std::slice::from_raw_parts((s.ptr() as *const T).add(off), numel) };
        let len = n * inner;
        blocks::<T, T>(x, vals.ptr() as *mut T, outer, len, |xb, ob| {
            let ip = ip;
            let base = (xb.as_ptr() as usize - x.as_ptr() as usize) / std::mem::size_of::<T>();
            // SAFETY: `xb` is a block of `x` at element `base`, and `idx` has numel elements like `x`, so
            // [base, base+len) is in `idx`; blocks are disjoint per task.
            let ib = unsafe { std::slice::from_raw_parts_mut(ip.0.add(base), len) };
            let mut cur: Vec<T> = xb[..inner].to_vec();
            let mut at = vec![0i64; inner];
            for r in 0..n {
                for i in 0..inner {
                    let v = xb[r * inner + i];
                    let c = cur[i];
                    let take = is_nan(v) || (!is_nan(c) && if want_max { v >= c } else { v <= c });
                    if take {
                        cur[i] = v;
                        at[i] = r as i64;
                    }
                    ob[r * inner + i] = cur[i];
                    ib[r * inner + i] = at[i];
                }
            }
        });
    });
    Ok((vals, idx))
}
