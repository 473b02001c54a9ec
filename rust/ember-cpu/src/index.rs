//! Gather/scatter kernels behind advanced indexing, `gather`, `scatter*` and `index_*`.
//!
//! Callers validate and normalise indices first (`normalize`), so a kernel never writes
//! anything when an index is bad. Element positions are precomputed as storage offsets
//! (`offsets`), which lets every kernel read strided inputs without copying them.
use crate::arith::Arith;
use crate::threads::{chunks_for, parallel_for, split_range};
use crate::{DType, Element, Error, Layout, Result, Storage};

/// Storage offsets (in elements) of every element of `sizes`/`strides` starting at
/// `offset`, in row-major order. Example: sizes (2,2), strides (1,2), offset 3 → [3,5,4,6].
pub fn offsets(sizes: &[usize], strides: &[isize], offset: usize) -> Vec<usize> {
    let n: usize = sizes.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let nd = sizes.len();
    if nd == 0 {
        out.push(offset);
        return out;
    }
    let mut idx = vec![0usize; nd];
    let mut off = offset as isize;
    let last = nd - 1;
    loop {
        let st = strides[last];
        out.extend((0..sizes[last]).map(|i| (off + i as isize * st) as usize));
        let mut k = last;
        loop {
            if k == 0 {
                return out;
            }
            k -= 1;
            idx[k] += 1;
            off += strides[k];
            if idx[k] < sizes[k] {
                break;
            }
            off -= strides[k] * sizes[k] as isize;
            idx[k] = 0;
        }
    }
}

/// What an op accepts as an index along a dim of `size`, and the error it raises otherwise
/// (PyTorch differs per op; ember raises each op's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bounds {
    /// `-size <= i < size`, negatives counting from the end; IndexError "index i is out of
    /// bounds for dimension d with size s" (advanced indexing, `take`, `index_fill_`, `put_`).
    Wrap,
    /// `0 <= i < size`; RuntimeError "index i is out of bounds for dimension d with size s"
    /// (`gather`, the `scatter` family).
    Gather,
    /// `0 <= i < size`; IndexError "index out of range in self" (`index_select`, `index_add_`).
    Select,
    /// `0 <= i < size`; IndexError "index_copy_(): index i is out of bounds …".
    Copy,
}

impl Bounds {
    /// The policy of the op named `op` (as the backends name `index_put_dim_`'s callers).
    pub fn of(op: &str) -> Bounds {
        match op {
            "index_select" | "index_add" => Bounds::Select,
            "index_copy" => Bounds::Copy,
            "gather" | "scatter" => Bounds::Gather,
            _ => Bounds::Wrap,
        }
    }

    /// The error for the bad index `i` along `dim` of `size`.
    pub fn error(self, i: i64, size: usize, dim: usize) -> Error {
        let oob = format!("index {i} is out of bounds for dimension {dim} with size {size}");
        match self {
            Bounds::Wrap => Error::index(oob),
            Bounds::Gather => Error::runtime(oob),
            Bounds::Select => Error::index(format!("index out of range in self (index {i}, dim {dim} with size {size})")),
            Bounds::Copy => Error::index(format!("index_copy_(): {oob}")),
        }
    }
}

/// Checks every index against `bounds` (see `Bounds`) and returns them as offsets in `0..size`.
pub fn check(idx: &[i64], size: usize, dim: usize, bounds: Bounds) -> Result<Vec<usize>> {
    let s = size as i64;
    let lo = if bounds == Bounds::Wrap { -s } else { 0 };
    idx.iter()
        .map(|&i| if i >= s || i < lo { Err(bounds.error(i, size, dim)) } else { Ok(if i < 0 { (i + s) as usize } else { i as usize }) })
        .collect()
}

/// `check` with `Bounds::Gather` when `runtime` (gather/scatter: no negative indices,
/// RuntimeError), else `Bounds::Wrap` (advanced indexing: negatives wrap, IndexError).
pub fn normalize(idx: &[i64], size: usize, dim: usize, runtime: bool) -> Result<Vec<usize>> {
    check(idx, size, dim, if runtime { Bounds::Gather } else { Bounds::Wrap })
}

#[derive(Clone, Copy)]
struct Ptr(usize);

/// Panics (the binding's guard reports a RuntimeError) unless `l` fits `s` for dtype `dt`,
/// `out_elems` elements of `dt` fit `out`, and every `idx[k]` is below `l.sizes[k]`. These
/// are the kernels' preconditions, which their callers establish (`check`, tensors' geometry
/// checked against their storage); repeating them here costs O(ndim + indices) and keeps a
/// caller's mistake from becoming a write outside the buffers.
fn assert_in_bounds(what: &str, s: &Storage, l: &Layout, dt: DType, idx: &[(&[usize], usize)], out: &Storage, out_elems: usize) {
    let sz = dt.size().max(1);
    assert!(l.fits_in(s.nbytes() / sz), "{what}: layout {:?} outside a {}-byte storage", l, s.nbytes());
    assert!(out_elems.checked_mul(sz).is_some_and(|b| b <= out.nbytes()), "{what}: output of {out_elems} elements doesn't fit");
    for &(v, size) in idx {
        assert!(v.iter().all(|&i| i < size), "{what}: an index is out of range for size {size}");
    }
}

/// Advanced-index gather. The first `idx.len()` dims of `ls` are indexed by `idx[k][j]`
/// (all of length m); the remaining dims ("rest") are copied whole:
/// `out[j, r] = src[ls.offset + Σ_k idx[k][j]·stride_k + rest_offset(r)]`, out contiguous.
pub fn index_gather(src: &Storage, ls: &Layout, dt: DType, idx: &[Vec<usize>], out: &Storage) {
    let k = idx.len();
    let m = idx.first().map_or(1, |v| v.len());
    let roff = offsets(&ls.sizes[k..], &ls.strides[k..], 0);
    let r = roff.len();
    let dims: Vec<(&[usize], usize)> = idx.iter().enumerate().map(|(d, v)| (v.as_slice(), ls.sizes[d])).collect();
    assert_in_bounds("index_gather", src, ls, dt, &dims, out, m * r);
    let (sp, op) = (Ptr(src.ptr() as usize), Ptr(out.ptr() as usize));
    let base = |j: usize| -> usize {
        let mut b = ls.offset as isize;
        for (d, v) in idx.iter().enumerate() {
            b += v[j] as isize * ls.strides[d];
        }
        b as usize
    };
    let chunks = chunks_for(m * r);
    with_dtype!(dt, T => parallel_for(chunks, |c| {
        let (lo, hi) = split_range(m, chunks, c);
        let (s, o) = (sp.0 as *const T, op.0 as *mut T);
        for j in lo..hi {
            let b = base(j);
            for (q, &ro) in roff.iter().enumerate() {
                // SAFETY: (asserted above by `assert_in_bounds`) `check` put every idx[k][j] in 0..size_k, so b + ro is an element of src's layout
                // (which fits its storage); `out` holds m·r elements and j·r + q < m·r; tasks own disjoint j
                // ranges.
                unsafe { *o.add(j * r + q) = *s.add(b + ro) };
            }
        }
    }))
}

/// Advanced-index put, the adjoint of `index_gather`: `dst[...] = v[j, r]` (or `+=` when
/// `accumulate`), `v` contiguous of dtype `dt`. Runs in order, so with repeated indices the
/// last write wins and accumulation sums every occurrence.
pub fn index_put(dst: &Storage, ld: &Layout, dt: DType, idx: &[Vec<usize>], v: &Storage, accumulate: bool) {
    let k = idx.len();
    let m = idx.first().map_or(1, |v| v.len());
    let roff = offsets(&ld.sizes[k..], &ld.strides[k..], 0);
    let r = roff.len();
    let dims: Vec<(&[usize], usize)> = idx.iter().enumerate().map(|(d, v)| (v.as_slice(), ld.sizes[d])).collect();
    assert_in_bounds("index_put", dst, ld, dt, &dims, v, m * r);
    with_dtype!(dt, T => {
        let (d, s) = (dst.ptr() as *mut T, v.ptr() as *const T);
        for j in 0..m {
            let mut b = ld.offset as isize;
            for (dd, vv) in idx.iter().enumerate() {
                b += vv[j] as isize * ld.strides[dd];
            }
            for (q, &ro) in roff.iter().enumerate() {
                // SAFETY: as in `index_gather` (asserted above): validated indices keep b + ro inside dst's layout (fitting its
                // storage); `v` holds m·r contiguous elements. Runs on one thread.
                unsafe {
                    let p = d.add(b as usize + ro);
                    let x = *s.add(j * r + q);
                    *p = if accumulate { (*p).add(x) } else { x };
                }
            }
        }
    })
}

/// Reduction applied by `scatter` at each written position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    Assign,
    Add,
    Mul,
    Max,
    Min,
}

/// `out[i] = src[i with i_dim replaced by idx[i]]`, out contiguous of `idx_shape`.
pub fn gather(src: &Storage, ls: &Layout, dt: DType, dim: usize, idx: &[usize], idx_shape: &[usize], out: &Storage) {
    let mut st = ls.strides.clone();
    let sd = st[dim];
    st[dim] = 0;
    let base = offsets(idx_shape, &st, ls.offset);
    assert!(base.len() == idx.len(), "gather: {} indices for an index of shape {idx_shape:?}", idx.len());
    assert_in_bounds("gather", src, ls, dt, &[(idx, ls.sizes[dim])], out, idx.len());
    assert!(idx_shape.iter().zip(&ls.sizes).enumerate().all(|(d, (&i, &s))| d == dim || i <= s), "gather: index larger than input");
    with_dtype!(dt, T => {
        let (s, o) = (src.ptr() as *const T, out.ptr() as *mut T);
        for (i, (&b, &x)) in base.iter().zip(idx).enumerate() {
            // SAFETY: (asserted above) the caller validated every idx value into 0..size of `dim` (`check`), so base + x·stride
            // is an element of src's layout, which fits its storage; `out` holds idx.len() elements.
            unsafe { *o.add(i) = *s.add((b as isize + x as isize * sd) as usize) };
        }
    })
}

/// `dst[i with i_dim replaced by idx[i]] (op)= src[i]` for every i of `idx_shape`.
pub fn scatter(
    dst: &Storage,
    ld: &Layout,
    dt: DType,
    dim: usize,
    idx: &[usize],
    idx_shape: &[usize],
    src: &Storage,
    ls: &Layout,
    op: Reduce,
) {
    let mut st = ld.strides.clone();
    let sd = st[dim];
    st[dim] = 0;
    let base = offsets(idx_shape, &st, ld.offset);
    let soff = offsets(idx_shape, &ls.strides[..idx_shape.len()], ls.offset);
    assert!(base.len() == idx.len() && soff.len() == idx.len(), "scatter: {} indices for an index of shape {idx_shape:?}", idx.len());
    assert_in_bounds("scatter", dst, ld, dt, &[(idx, ld.sizes[dim])], dst, 0);
    assert!(idx_shape.iter().zip(&ld.sizes).enumerate().all(|(d, (&i, &s))| d == dim || i <= s), "scatter: index larger than self");
    let walked = Layout::new(idx_shape.to_vec(), ls.strides[..idx_shape.len()].to_vec(), ls.offset);
    assert_in_bounds("scatter", src, &walked, dt, &[], src, 0);
    with_dtype!(dt, T => {
        let (d, s) = (dst.ptr() as *mut T, src.ptr() as *const T);
        for i in 0..idx.len() {
            // SAFETY: (asserted above) validated indices (as in `gather`) keep every written position inside dst's layout; src
            // is read at soff[i], elements of its layout over the index's shape (checked no larger than src's).
            unsafe {
                let p = d.add((base[i] as isize + idx[i] as isize * sd) as usize);
                let x = *s.add(soff[i]);
                *p = match op {
                    Reduce::Assign => x,
                    Reduce::Add => (*p).add(x),
                    Reduce::Mul => (*p).mul(x),
                    #[allow(clippy::eq_op)]
                    Reduce::Max => if x > *p || x != x { x } else { *p },
                    #[allow(clippy::eq_op)]
                    Reduce::Min => if x < *p || x != x { x } else { *p },
                };
            }
        }
    })
}

/// `out = [src[i] for i where mask[i]]` over the row-major elements of `src[ls]`.
pub fn masked_gather(src: &Storage, ls: &Layout, dt: DType, mask: &[bool], out: &Storage) {
    let offs = offsets(&ls.sizes, &ls.strides, ls.offset);
    assert!(mask.len() == offs.len(), "masked_gather: mask of {} for {} elements", mask.len(), offs.len());
    assert_in_bounds("masked_gather", src, ls, dt, &[], out, mask.iter().filter(|&&m| m).count());
    with_dtype!(dt, T => {
        let (s, o) = (src.ptr() as *const T, out.ptr() as *mut T);
        let mut k = 0;
        for (&m, &off) in mask.iter().zip(&offs) {
            if m {
                // SAFETY: (asserted above) off is an element of src's layout (fits its storage); the caller sized `out` to the
                // mask's true count, and k counts them.
                unsafe { *o.add(k) = *s.add(off) };
                k += 1;
            }
        }
    })
}

/// Row-major positions of the nonzero elements of a contiguous bool buffer of `shape`:
/// an (n, ndim) list of coordinates, flattened. Walks rows of the last dim so the outer
/// coordinates are updated once per row.
pub fn nonzero(mask: &[bool], shape: &[usize]) -> (usize, Vec<i64>) {
    let nd = shape.len();
    if nd == 0 {
        return (mask.first().map_or(0, |&b| b as usize), vec![]);
    }
    let inner = shape[nd - 1];
    let mut out = vec![];
    let mut n = 0;
    let mut outer = vec![0i64; nd - 1];
    if inner == 0 {
        return (0, out);
    }
    for row in mask.chunks(inner) {
        for (j, &b) in row.iter().enumerate() {
            if b {
                out.extend_from_slice(&outer);
                out.push(j as i64);
                n += 1;
            }
        }
        for k in (0..nd - 1).rev() {
            outer[k] += 1;
            if (outer[k] as usize) < shape[k] {
                break;
            }
            outer[k] = 0;
        }
    }
    (n, out)
}

/// `dst[idx] += src[i]` for the i-th index of `ld` in row-major order, one element at a time, so
/// an element that `ld` addresses several times (as_strided's adjoint) accumulates every time.
/// `src` holds `ld.numel()` contiguous elements of `dt` from `src_offset`.
pub fn add_overlapping(dst: &Storage, ld: &Layout, src: &Storage, src_offset: usize, dt: DType) {
    with_dtype!(dt, T => {
        let (d, s) = (dst.ptr() as *mut T, src.ptr() as *const T);
        let mut idx = vec![0usize; ld.ndim()];
        for i in 0..ld.numel() {
            let off = ld.offset_of(&idx);
            // SAFETY: `ld` fits `dst`'s storage, so `off` (an element it addresses) is in bounds;
            // `src` holds numel elements from `src_offset` (the caller's contiguous copy), so
            // `src_offset + i` is too; one thread, raw-pointer reads and writes only.
            unsafe { *d.add(off) = (*d.add(off)).add(*s.add(src_offset + i)) };
            for k in (0..idx.len()).rev() {
                idx[k] += 1;
                if idx[k] < ld.sizes[k] {
                    break;
                }
                idx[k] = 0;
            }
        }
    });
}

/// Sets elements of a contiguous (…, rows, cols) buffer outside the band to zero:
/// `lower` keeps `j - i <= k` (tril), else keeps `j - i >= k` (triu).
pub fn band_zero(buf: &Storage, dt: DType, rows: usize, cols: usize, k: i64, lower: bool) {
    let mats = if rows * cols == 0 { 0 } else { buf.nbytes() / dt.size() / (rows * cols) };
    with_dtype!(dt, T => {
        let p = buf.ptr() as *mut T;
        for b in 0..mats {
            for i in 0..rows {
                for j in 0..cols {
                    let d = j as i64 - i as i64;
                    if (lower && d > k) || (!lower && d < k) {
                        // SAFETY: mats = nbytes / (size·rows·cols), so b·rows·cols + i·cols + j <
                        // mats·rows·cols elements of the buffer.
                        unsafe { *p.add(b * rows * cols + i * cols + j) = T::default() };
                    }
                }
            }
        }
    })
}

/// Element type helpers used by sorting and comparisons.
#[inline]
#[allow(clippy::eq_op)]
pub fn is_nan<T: Element>(x: T) -> bool {
    x != x
}
