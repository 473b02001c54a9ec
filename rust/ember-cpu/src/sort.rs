//! Sorting, searching and counting kernels on contiguous buffers.
//!
//! Order is PyTorch's: NaN compares greater than every number (so it sorts last ascending,
//! first descending) and sorts are stable, equal keys keeping their input order.
use crate::index::is_nan;
use crate::threads::{chunks_for, parallel_for, split_range};
use crate::{DType, Element, Result, Storage};
use std::cmp::Ordering;

/// Total order with NaN greatest.
#[inline]
pub fn cmp_nan_last<T: Element>(a: T, b: T) -> Ordering {
    match (is_nan(a), is_nan(b)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

#[derive(Clone, Copy)]
struct Ptr(usize);

/// Sorts each of `rows` contiguous rows of length `n` of `src` (dtype `dt`), stably.
/// Returns (values, int64 indices), both contiguous with the same shape.
pub fn sort_rows(src: &Storage, offset: usize, dt: DType, rows: usize, n: usize, descending: bool) -> Result<(Storage, Storage)> {
    let end = rows.checked_mul(n).and_then(|e| e.checked_add(offset)).and_then(|e| e.checked_mul(dt.size()));
    if !end.is_some_and(|b| b <= src.nbytes()) {
        return Err(crate::Error::runtime(format!(
            "sort: {rows} rows of {n} from element {offset} exceed a {}-byte storage",
            src.nbytes()
        )));
    }
    let vals = Storage::uninit_n(rows * n, dt.size())?;
    let idxs = Storage::uninit_n(rows * n, 8)?;
    let (sp, vp, ip) = (Ptr(src.ptr() as usize), Ptr(vals.ptr() as usize), Ptr(idxs.ptr() as usize));
    let chunks = chunks_for(rows * n).min(rows.max(1));
    with_dtype!(dt, T => parallel_for(chunks, |c| {
        let (lo, hi) = split_range(rows, chunks, c);
        // SAFETY: rows·n elements from `offset` lie inside `src` (checked at the top), so `offset` is in bounds.
        let (s, v, ix) = (unsafe { (sp.0 as *const T).add(offset) }, vp.0 as *mut T, ip.0 as *mut i64);
        let mut order: Vec<usize> = Vec::with_capacity(n);
        for r in lo..hi {
            // SAFETY: r < rows, so the row [r·n, (r+1)·n) lies in the rows·n elements from `offset`.
            let row = unsafe { std::slice::from_raw_parts(s.add(r * n), n) };
            order.clear();
            order.extend(0..n);
            if descending {
                order.sort_by(|&a, &b| cmp_nan_last(row[b], row[a]));
            } else {
                order.sort_by(|&a, &b| cmp_nan_last(row[a], row[b]));
            }
            for (k, &o) in order.iter().enumerate() {
                // SAFETY: `vals`/`idxs` hold rows·n elements, r < rows and k < n; tasks own disjoint row
                // ranges.
                unsafe {
                    *v.add(r * n + k) = row[o];
                    *ix.add(r * n + k) = o as i64;
                }
            }
        }
    }));
    Ok((vals, idxs))
}

/// For each value, the insertion point in its sorted row (`right`: after equal keys).
/// `seq` has `rows` rows of `n`; `vals` has `rows` rows of `m` (rows = 1 when shared).
pub fn searchsorted<T: Element>(seq: &[T], n: usize, vals: &[T], m: usize, right: bool) -> Vec<i64> {
    let mut out = Vec::with_capacity(vals.len());
    for (i, &v) in vals.iter().enumerate() {
        let r = if seq.len() == n { 0 } else { i / m.max(1) };
        let row = &seq[r * n..(r + 1) * n];
        let p = if right {
            row.partition_point(|&x| cmp_nan_last(x, v) != Ordering::Greater)
        } else {
            row.partition_point(|&x| cmp_nan_last(x, v) == Ordering::Less)
        };
        out.push(p as i64);
    }
    out
}

/// Sorted unique values of `x`, with each element's position among them (inverse) and
/// how often each occurs (counts).
pub fn unique<T: Element>(x: &[T]) -> (Vec<T>, Vec<i64>, Vec<i64>) {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| cmp_nan_last(x[a], x[b]));
    let mut vals: Vec<T> = vec![];
    let mut counts: Vec<i64> = vec![];
    let mut inverse = vec![0i64; x.len()];
    for &o in &order {
        let v = x[o];
        // NaNs are all distinct, as in PyTorch and NumPy (equal_nan aside).
        if vals.last().is_some_and(|&l| cmp_nan_last(l, v) == Ordering::Equal && !is_nan(v)) {
            *counts.last_mut().unwrap() += 1;
        } else {
            vals.push(v);
            counts.push(1);
        }
        inverse[o] = vals.len() as i64 - 1;
    }
    (vals, inverse, counts)
}

/// Runs of equal consecutive values: (values, inverse, counts).
pub fn unique_consecutive<T: Element>(x: &[T]) -> (Vec<T>, Vec<i64>, Vec<i64>) {
    let mut vals: Vec<T> = vec![];
    let mut counts: Vec<i64> = vec![];
    let mut inverse = Vec::with_capacity(x.len());
    for &v in x {
        if vals.last().is_some_and(|&l| l == v) {
            *counts.last_mut().unwrap() += 1;
        } else {
            vals.push(v);
            counts.push(1);
        }
        inverse.push(vals.len() as i64 - 1);
    }
    (vals, inverse, counts)
}
