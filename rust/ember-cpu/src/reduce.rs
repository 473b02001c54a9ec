//! Reductions over any set of dims.
//!
//! Strategy: view the input with the kept dims first and the reduced dims last, so each
//! output element reduces one (strided) block; blocks are summed pairwise for accuracy.
use crate::{DType, Layout, Result, Storage};

/// Sum of `src[ls]` over the dims flagged in `reduce`, as a contiguous storage of `out`
/// dtype with the kept dims in order. Accumulates in f64 for floats, i64 for integers.
pub fn sum(src: &Storage, ls: &Layout, dt: DType, reduce: &[bool], out: DType) -> Result<Storage> {
    let kept: Vec<usize> = (0..ls.ndim()).filter(|&i| !reduce[i]).collect();
    let red: Vec<usize> = (0..ls.ndim()).filter(|&i| reduce[i]).collect();
    let perm: Vec<i64> = kept.iter().chain(&red).map(|&d| d as i64).collect();
    let pl = ls.permute(&perm)?;
    let inner: usize = red.iter().map(|&d| ls.sizes[d]).product();
    let outer: usize = kept.iter().map(|&d| ls.sizes[d]).product();
    let acc_dt = if out.is_float() || dt.is_float() { DType::F64 } else { DType::I64 };
    let flat = crate::copy::contiguous(src, &pl, dt, acc_dt)?;
    let res = Storage::uninit(outer * out.size())?;
    with_dtype!(out, O => {
        let o = res.ptr() as *mut O;
        if acc_dt == DType::F64 {
            let x = unsafe { std::slice::from_raw_parts(flat.ptr() as *const f64, outer * inner) };
            for r in 0..outer {
                let v = pairwise(&x[r * inner..(r + 1) * inner]);
                unsafe { *o.add(r) = <O as crate::Element>::from_f64(v) };
            }
        } else {
            let x = unsafe { std::slice::from_raw_parts(flat.ptr() as *const i64, outer * inner) };
            for r in 0..outer {
                let v = x[r * inner..(r + 1) * inner].iter().fold(0i64, |a, &b| a.wrapping_add(b));
                unsafe { *o.add(r) = <O as crate::Element>::from_i64(v) };
            }
        }
    });
    Ok(res)
}

fn pairwise(x: &[f64]) -> f64 {
    if x.len() <= 64 {
        return x.iter().sum();
    }
    let m = x.len() / 2;
    pairwise(&x[..m]) + pairwise(&x[m..])
}
