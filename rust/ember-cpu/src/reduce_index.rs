//! Reductions that also return *where*: max/min with indices, argmax/argmin, median,
//! and the per-row statistics (var, logsumexp) that need more than one pass over a row.
//!
//! Conventions (PyTorch's): ties go to the first occurrence; a NaN wins max and min, and its
//! index is the first NaN's. Indices are int64 positions along the (flattened) reduced dims.
use crate::reduce::{canon, fold_row, is_nan, isa, pick, Canon, Isa, SendPtr};
use crate::threads::{chunks_for, parallel_for, split_range};
use crate::{DType, Element, Layout, Result, Storage};

/// First position in `x` holding `v` (NaN matches NaN), scanning 32 at a time so the
/// comparison vectorises.
#[inline]
fn find<T: PartialEq + Copy>(x: &[T], v: T) -> usize {
    fn scan<T: Copy>(x: &[T], hit: impl Fn(T) -> bool) -> usize {
        for (k, c) in x.chunks(32).enumerate() {
            if c.iter().fold(false, |a, &e| a | hit(e)) {
                return k * 32 + c.iter().position(|&e| hit(e)).unwrap();
            }
        }
        0
    }
    if is_nan(v) {
        scan(x, |e| is_nan(e))
    } else {
        scan(x, |e| e == v)
    }
}

/// A per-lane step counter as wide as the element type, so the index blend vectorises in
/// the same registers as the value blend (f64 with u64, f32 with u32, ...).
trait Step: Copy {
    const MAX: usize;
    fn of(k: usize) -> Self;
    fn get(self) -> usize;
}
macro_rules! step {
    ($($t:ty),*) => {$(
        impl Step for $t {
            const MAX: usize = <$t>::MAX as usize;
            #[inline(always)]
            fn of(k: usize) -> Self { k as $t }
            #[inline(always)]
            fn get(self) -> usize { self as usize }
        }
    )*};
}
step!(u8, u16, u32, u64);

/// The first extreme of `row` (non-empty) in one pass, as (value, index).
///
/// Lane j of `cur` holds the best of elements j, j+L, j+2L, …, and `at[j]` the step where it was
/// taken; a strictly better element replaces it, so each lane keeps its first best. The lanes
/// (and the tail) are then combined preferring the smaller index among equal values, which
/// is the first occurrence in the row. A NaN always replaces, so a lane ends on NaN exactly
/// when it saw one — but on its *last* NaN: a NaN result is then located by a scan for the
/// first NaN (rows with NaN are rare, and the scan stops there).
#[inline(always)]
fn arg_row_body<T: PartialOrd + Copy, S: Step, const MAX: bool, const L: usize>(row: &[T]) -> (T, usize) {
    let better = |v: T, c: T| if MAX { v > c } else { v < c };
    let mut best = (row[0], 0usize);
    let mut offer = |v: T, i: usize| {
        let (bv, bi) = best;
        let take = if is_nan(bv) { false } else { is_nan(v) || better(v, bv) || (v == bv && i < bi) };
        if take {
            best = (v, i);
        }
    };
    // Pieces of at most S::MAX steps, so a step always fits the lane's counter.
    let piece = S::MAX.saturating_mul(L);
    let mut base = 0;
    while row.len() - base >= L {
        let part = &row[base..row.len().min(base + piece)];
        let steps = part.len() / L;
        let mut cur: [T; L] = std::array::from_fn(|j| part[j]);
        let mut at = [S::of(0); L];
        for k in 1..steps {
            let c: &[T; L] = part[k * L..(k + 1) * L].try_into().unwrap();
            let ks = S::of(k);
            // Whole new arrays rather than element stores: written element-wise, LLVM turns
            // "store the old value back unless taken" into masked stores to a stack copy, which
            // are microcoded on AMD (the AVX2 loop ran at a fifth of memory speed).
            let take: [bool; L] = std::array::from_fn(|j| better(c[j], cur[j]) || is_nan(c[j]));
            cur = std::array::from_fn(|j| if take[j] { c[j] } else { cur[j] });
            at = std::array::from_fn(|j| if take[j] { ks } else { at[j] });
        }
        for j in 0..L {
            offer(cur[j], base + at[j].get() * L + j);
        }
        base += steps * L;
    }
    for (i, &v) in row.iter().enumerate().skip(base) {
        offer(v, i);
    }
    if is_nan(best.0) {
        best.1 = find(row, best.0);
    }
    best
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
/// # Safety: the CPU has the enabled target features (the caller checked `isa()`).
unsafe fn arg_row_avx2<T: PartialOrd + Copy, S: Step, const MAX: bool>(row: &[T]) -> (T, usize) {
    // Four ymm registers of running values and four of step counters for 4- and 8-byte
    // elements. Narrower ones keep 32 lanes: with 128 int8 lanes the selects compiled to one
    // lane at a time through memory (9.4 ms for max(1) of 4096² int8 vs 4.4 at 32).
    match std::mem::size_of::<T>() {
        1 | 2 | 4 => arg_row_body::<T, S, MAX, 32>(row),
        _ => arg_row_body::<T, S, MAX, 16>(row),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq")]
/// # Safety: the CPU has the enabled target features (the caller checked `isa()`).
unsafe fn arg_row_avx512<T: PartialOrd + Copy, S: Step, const MAX: bool>(row: &[T]) -> (T, usize) {
    // 64 f32 lanes are four 16-wide compare-and-blend chains side by side (measured on a
    // Sapphire Rapids core, session 10; other widths unmeasured there, so all keep 64).
    arg_row_body::<T, S, MAX, 64>(row)
}

/// `arg_row_body` compiled for the widest ISA this CPU has, with a step counter as wide as `T`.
#[inline]
fn arg_row_isa<T: PartialOrd + Copy, S: Step, const MAX: bool>(row: &[T]) -> (T, usize) {
    #[cfg(target_arch = "x86_64")]
    match isa() {
        // SAFETY: `isa()` detected AVX-512 at run time, the only requirement of the
        // target_feature function; it takes a safe slice.
        Isa::Avx512 => return unsafe { arg_row_avx512::<T, S, MAX>(row) },
        // SAFETY: `isa()` detected AVX2 and FMA at run time, the only requirement of the
        // target_feature function; it takes a safe slice.
        Isa::Avx2 => return unsafe { arg_row_avx2::<T, S, MAX>(row) },
        Isa::Base => {}
    }
    // The SSE2 baseline has 16 xmm registers: 16 lanes keep values and counters in them.
    arg_row_body::<T, S, MAX, 16>(row)
}

/// (value, index) of the first max (`MAX`) or min of a non-empty contiguous row.
#[inline]
fn arg_row<T: PartialOrd + Copy, const MAX: bool>(row: &[T]) -> (T, usize) {
    match std::mem::size_of::<T>() {
        1 => arg_row_isa::<T, u8, MAX>(row),
        2 => arg_row_isa::<T, u16, MAX>(row),
        4 => arg_row_isa::<T, u32, MAX>(row),
        _ => arg_row_isa::<T, u64, MAX>(row),
    }
}

/// Runs `body(o_begin, o_end)` over output rows, in parallel above the grain size.
fn rows_par(c: &Canon, body: impl Fn(usize, usize) + Sync + Send) {
    let n = chunks_for(c.outer * c.red * c.inner).min(c.outer.max(1));
    parallel_for(n, |k| {
        let (a, b) = split_range(c.outer, n, k);
        body(a, b)
    });
}

/// (values, int64 indices) of the max (`want_max`) or min over the flagged dims; the
/// caller guarantees the reduced size is not 0. `ordered`: indices refer to logical order
/// (always true for callers that return indices).
pub fn arg_extreme(want_max: bool, src: &Storage, ls: &Layout, dt: DType, reduce: &[bool]) -> Result<(Storage, Storage)> {
    let c = canon(src, ls, dt, reduce, true, false)?;
    let nout = c.outer * c.inner;
    let vals = Storage::uninit_n(nout, dt.size())?;
    let idx = Storage::uninit_n(nout, 8)?;
    let ip = SendPtr(idx.ptr() as *mut i64);
    with_dtype!(dt, T => {
        let vp = SendPtr(vals.ptr() as *mut T);
        let x: &[T] = c.data();
        let (red, inner) = (c.red, c.inner);
        rows_par(&c, |a, b| {
            let (vp, ip) = (vp, ip);
            for o in a..b {
                if inner == 1 {
                    let row = &x[o * red..(o + 1) * red];
                    // The max/min choice is a constant so each loop compiles to one compare.
                    let (v, i) = if want_max { arg_row::<T, true>(row) } else { arg_row::<T, false>(row) };
                    // SAFETY: `vals`/`idx` hold nout = outer·inner elements; here inner = 1 so o < nout, and
                    // rows_par gives each task a disjoint o range.
                    unsafe {
                        *vp.0.add(o) = v;
                        *ip.0.add(o) = i as i64;
                    }
                    continue;
                }
                let base = o * red * inner;
                let mut cur: Vec<T> = x[base..base + inner].to_vec();
                let mut at = vec![0i64; inner];
                for r in 1..red {
                    let row = &x[base + r * inner..base + (r + 1) * inner];
                    for i in 0..inner {
                        let (v, cv) = (row[i], cur[i]);
                        let better = if want_max { v > cv } else { v < cv };
                        if better || (is_nan(v) && !is_nan(cv)) {
                            cur[i] = v;
                            at[i] = r as i64;
                        }
                    }
                }
                // SAFETY: o < outer so o·inner + inner <= nout elements of `vals`/`idx`; `cur`/`at` are fresh
                // Vecs of `inner` elements (no overlap); tasks own disjoint o ranges.
                unsafe {
                    std::ptr::copy_nonoverlapping(cur.as_ptr(), vp.0.add(o * inner), inner);
                    std::ptr::copy_nonoverlapping(at.as_ptr(), ip.0.add(o * inner), inner);
                }
            }
        });
    });
    Ok((vals, idx))
}

/// Applies `f(row) -> (value, index)` to every reduced row (input copied so the reduced
/// dims are last and contiguous); values in `dt`, indices int64.
fn per_row<T: Element>(c: &Canon, f: impl Fn(&[T]) -> (T, i64) + Sync + Send) -> Result<(Storage, Storage)> {
    let vals = Storage::uninit_n(c.outer, std::mem::size_of::<T>())?;
    let idx = Storage::uninit_n(c.outer, 8)?;
    let (vp, ip) = (SendPtr(vals.ptr() as *mut T), SendPtr(idx.ptr() as *mut i64));
    let x: &[T] = c.data();
    let red = c.red;
    rows_par(c, |a, b| {
        let (vp, ip) = (vp, ip);
        for o in a..b {
            let (v, i) = f(&x[o * red..(o + 1) * red]);
            // SAFETY: `vals`/`idx` hold c.outer elements and o < c.outer; tasks own disjoint o ranges.
            unsafe {
                *vp.0.add(o) = v;
                *ip.0.add(o) = i;
            }
        }
    });
    Ok((vals, idx))
}

/// Lower median (element k = (n-1)/2 in sorted order) with its index. `skip_nan`:
/// nanmedian (NaNs ignored); otherwise a NaN in the row is the result.
pub fn median(skip_nan: bool, src: &Storage, ls: &Layout, dt: DType, reduce: &[bool]) -> Result<(Storage, Storage)> {
    let c = canon(src, ls, dt, reduce, false, false)?;
    with_dtype!(dt, T => per_row::<T>(&c, |row| {
        let first_nan = row.iter().position(|&v| is_nan(v));
        if let (Some(i), false) = (first_nan, skip_nan) {
            return (row[i], i as i64);
        }
        let mut ids: Vec<usize> = (0..row.len()).filter(|&i| !is_nan(row[i])).collect();
        if ids.is_empty() {
            return (row[first_nan.unwrap_or(0)], first_nan.unwrap_or(0) as i64);
        }
        let k = (ids.len() - 1) / 2;
        let key = |&i: &usize| (row[i], i);
        ids.select_nth_unstable_by(k, |a, b| key(a).partial_cmp(&key(b)).unwrap());
        (row[ids[k]], ids[k] as i64)
    }))
}

/// Most frequent value of each row (the smallest among equally frequent ones) and the
/// index of its last occurrence, as PyTorch's CPU `mode` reports.
pub fn mode(src: &Storage, ls: &Layout, dt: DType, reduce: &[bool]) -> Result<(Storage, Storage)> {
    let c = canon(src, ls, dt, reduce, false, false)?;
    with_dtype!(dt, T => per_row::<T>(&c, |row| {
        let mut ids: Vec<usize> = (0..row.len()).collect();
        ids.sort_by(|&a, &b| row[a].partial_cmp(&row[b]).unwrap_or_else(|| is_nan(row[a]).cmp(&is_nan(row[b]))).then(a.cmp(&b)));
        let (mut best, mut best_n, mut i) = (0usize, 0usize, 0usize);
        while i < ids.len() {
            let mut j = i;
            let same = |p: usize, q: usize| row[p] == row[q] || (is_nan(row[p]) && is_nan(row[q]));
            while j + 1 < ids.len() && same(ids[j + 1], ids[i]) {
                j += 1;
            }
            if j - i + 1 > best_n {
                best_n = j - i + 1;
                best = j;
            }
            i = j + 1;
        }
        (row[ids[best]], ids[best] as i64)
    }))
}

/// Variance with `correction` (and the mean) over the flagged dims of a float input, two
/// passes in f64 per row. `sqrt`: return the standard deviation instead.
pub fn var_mean(sqrt: bool, correction: f64, src: &Storage, ls: &Layout, dt: DType, reduce: &[bool]) -> Result<(Storage, Storage)> {
    let c = canon(src, ls, dt, reduce, false, false)?;
    with_float_dtype!(dt, T => {
        let var = Storage::uninit_n(c.outer, dt.size())?;
        let mean = Storage::uninit_n(c.outer, dt.size())?;
        let (vp, mp) = (SendPtr(var.ptr() as *mut T), SendPtr(mean.ptr() as *mut T));
        let x: &[T] = c.data();
        let red = c.red;
        rows_par(&c, |a, b| {
            let (vp, mp) = (vp, mp);
            for o in a..b {
                let row = &x[o * red..(o + 1) * red];
                let n = red as f64;
                let m = fold_row(row, 0.0f64, &|v: T| v.to_f64(), &|p, q| p + q) / n;
                let m2 = fold_row(row, 0.0f64, &|v: T| { let d = v.to_f64() - m; d * d }, &|p, q| p + q);
                let v = m2 / (n - correction).max(0.0);
                // SAFETY: `var`/`mean` hold c.outer elements and o < c.outer; tasks own disjoint o ranges.
                unsafe {
                    *vp.0.add(o) = T::from_f64(if sqrt { v.sqrt() } else { v });
                    *mp.0.add(o) = T::from_f64(m);
                }
            }
        });
        Ok((var, mean))
    }, Err(crate::Error::runtime(format!("std and var only support floating point and complex dtypes, got {}", dt.name()))))
}

/// log(sum(exp(x))) over the flagged dims, shifted by the row max for stability (a row
/// max of ±inf shifts by 0 so -inf rows give -inf and +inf rows give +inf).
pub fn logsumexp(src: &Storage, ls: &Layout, dt: DType, reduce: &[bool]) -> Result<Storage> {
    let c = canon(src, ls, dt, reduce, false, false)?;
    with_float_dtype!(dt, T => {
        let out = Storage::uninit_n(c.outer, dt.size())?;
        let op = SendPtr(out.ptr() as *mut T);
        let x: &[T] = c.data();
        let red = c.red;
        rows_par(&c, |a, b| {
            let op = op;
            for o in a..b {
                let row = &x[o * red..(o + 1) * red];
                let m = fold_row(row, f64::NEG_INFINITY, &|v: T| v.to_f64(), &|p, q| pick(true, p, q));
                let m = if m.is_infinite() { 0.0 } else { m };
                let s = fold_row(row, 0.0f64, &|v: T| (v.to_f64() - m).exp(), &|p, q| p + q);
                // SAFETY: `out` holds c.outer elements and o < c.outer; tasks own disjoint o ranges.
                unsafe { *op.0.add(o) = T::from_f64(s.ln() + m) };
            }
        });
        Ok(out)
    }, Err(crate::Error::runtime(format!("logsumexp(): Expected floating point type for result tensor, but got: {}", dt.scalar_name()))))
}

/// For every element, the product of the *other* elements of its reduced row (exclusive
/// prefix × exclusive suffix), for `prod`'s backward when the input holds zeros. The result
/// is laid out as the canonical copy: kept dims first, reduced dims last.
pub fn prod_others(src: &Storage, ls: &Layout, dt: DType, reduce: &[bool]) -> Result<Storage> {
    let c = canon(src, ls, dt, reduce, false, false)?;
    with_float_dtype!(dt, T => {
        let out = Storage::uninit_n(c.outer * c.red, dt.size())?;
        let op = SendPtr(out.ptr() as *mut T);
        let x: &[T] = c.data();
        let red = c.red;
        rows_par(&c, |a, b| {
            let op = op;
            for o in a..b {
                let row = &x[o * red..(o + 1) * red];
                // SAFETY: `out` holds outer·red elements and o < outer, so [o·red, (o+1)·red) is inside it and
                // owned by this task alone.
                let dst = unsafe { std::slice::from_raw_parts_mut(op.0.add(o * red), red) };
                let mut acc = 1.0f64;
                for i in 0..red {
                    dst[i] = T::from_f64(acc);
                    acc *= row[i].to_f64();
                }
                acc = 1.0;
                for i in (0..red).rev() {
                    dst[i] = T::from_f64(dst[i].to_f64() * acc);
                    acc *= row[i].to_f64();
                }
            }
        });
        Ok(out)
    }, Err(crate::Error::runtime("prod backward: float input expected")))
}
