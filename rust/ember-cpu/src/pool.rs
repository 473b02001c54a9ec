//! 2-D pooling over contiguous `(planes, H, W)` data, one plane per parallel task.
//! Max pooling records the flat `iy·W + ix` index of each maximum (PyTorch's `indices`),
//! and its backward adds each output gradient at that index. Average pooling is written for
//! explicit per-output windows, so fixed-size and adaptive pooling share one kernel.
use crate::threads::{chunks_for, parallel_for, split_range};
use num_traits::Float;

/// Runs `f(i)` for `i in 0..count`, split over the pool when `work` (elements touched) is big
/// enough to pay for waking threads; respects `set_num_threads`.
pub(crate) fn par_items(count: usize, work: usize, f: impl Fn(usize) + Sync + Send) {
    let c = chunks_for(work).min(count);
    if c <= 1 {
        (0..count).for_each(f);
        return;
    }
    parallel_for(c, |ci| {
        let (lo, hi) = split_range(count, c, ci);
        (lo..hi).for_each(&f);
    });
}

/// A raw pointer shipped into parallel closures that write disjoint parts of one buffer.
#[derive(Clone, Copy)]
pub(crate) struct Ptr<T>(pub *mut T);
// SAFETY: Ptr only carries the pointer across threads; tasks write disjoint planes through `part`, and the
// buffer outlives par_items.
unsafe impl<T> Send for Ptr<T> {}
unsafe impl<T> Sync for Ptr<T> {}

impl<T> Ptr<T> {
    /// # Safety: `[at, at + len)` is in bounds and no other task touches it.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn part(&self, at: usize, len: usize) -> &mut [T] {
        std::slice::from_raw_parts_mut(self.0.add(at), len)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct PoolGeom {
    pub planes: usize,
    pub h: usize,
    pub w: usize,
    pub oh: usize,
    pub ow: usize,
    pub k: (usize, usize),
    pub stride: (usize, usize),
    pub pad: (usize, usize),
    pub dilation: (usize, usize),
}

/// Per output position along one axis: the first valid tap index and the tap range `[k0, k1)`
/// that lands inside `0..size` (computed once per axis, not per output × tap).
fn tap_ranges(out: usize, size: usize, k: usize, s: usize, p: usize, d: usize) -> Vec<(usize, usize, usize)> {
    (0..out)
        .map(|o| {
            let start = (o * s) as isize - p as isize;
            // tap t reads start + t·d ∈ [0, size)
            let k0 = if start >= 0 { 0 } else { ((-start) as usize).div_ceil(d) };
            let k1 = if size as isize - start <= 0 { 0 } else { ((size as isize - start) as usize).div_ceil(d) };
            let (k0, k1) = (k0.min(k), k1.min(k).max(k0.min(k)));
            ((start + (k0 * d) as isize).max(0) as usize, k0, k1)
        })
        .collect()
}

/// Max pool forward: (values, flat indices into each input plane). NaN propagates like PyTorch;
/// among equal maxima the first in window order wins; a window entirely in padding gives
/// (-inf, 0).
pub fn max_pool2d<T: Float + Send + Sync + 'static>(x: &[T], g: &PoolGeom) -> (Vec<T>, Vec<i64>) {
    let op = g.oh * g.ow;
    let mut out = ember_core::filled_vec(T::zero(), g.planes * op);
    let mut idx = ember_core::filled_vec(0i64, g.planes * op);
    max_pool2d_into(x, g, &mut out, &mut idx);
    (out, idx)
}

/// `max_pool2d` into the caller's `out` and `idx` (`planes·oh·ow` each, every element written).
pub fn max_pool2d_into<T: Float + Send + Sync + 'static>(x: &[T], g: &PoolGeom, out: &mut [T], idx: &mut [i64]) {
    let (ip, op) = (g.h * g.w, g.oh * g.ow);
    assert!(out.len() == g.planes * op && idx.len() == g.planes * op, "max_pool2d_into: output size");
    if inside(g) {
        max_pool2d_inside(x, g, out, idx);
        return;
    }
    let ry = tap_ranges(g.oh, g.h, g.k.0, g.stride.0, g.pad.0, g.dilation.0);
    let rx = tap_ranges(g.ow, g.w, g.k.1, g.stride.1, g.pad.1, g.dilation.1);
    let (dy, dx) = g.dilation;
    let (po, pi) = (Ptr(out.as_mut_ptr()), Ptr(idx.as_mut_ptr()));
    par_items(g.planes, g.planes * op * g.k.0 * g.k.1, |p| {
        // SAFETY: out/idx hold planes·op elements (asserted above) and p < planes, so [p·op, (p+1)·op) is in
        // bounds and owned by plane p's task alone.
        let (o, id) = unsafe { (po.part(p * op, op), pi.part(p * op, op)) };
        let plane = &x[p * ip..(p + 1) * ip];
        for (oy, &(iy0, ky0, ky1)) in ry.iter().enumerate() {
            let (orow, irow) = (&mut o[oy * g.ow..(oy + 1) * g.ow], &mut id[oy * g.ow..(oy + 1) * g.ow]);
            for (ox, &(ix0, kx0, kx1)) in rx.iter().enumerate() {
                if ky0 == ky1 || kx0 == kx1 {
                    orow[ox] = T::neg_infinity();
                    irow[ox] = 0;
                    continue;
                }
                let mut bi = iy0 * g.w + ix0;
                let mut best = plane[bi];
                for t in 0..ky1 - ky0 {
                    let base = (iy0 + t * dy) * g.w;
                    let row = &plane[base..][..ix0 + (kx1 - kx0 - 1) * dx + 1];
                    for u in 0..kx1 - kx0 {
                        let at = ix0 + u * dx;
                        let v = row[at];
                        // A larger value, or the first NaN (which then stays): written as
                        // selects, because on real data this compare is a coin flip and a
                        // mispredicted branch per tap cost more than the whole window.
                        let take = (v > best) | (v.is_nan() & !best.is_nan());
                        best = if take { v } else { best };
                        bi = if take { base + at } else { bi };
                    }
                }
                orow[ox] = best;
                irow[ox] = bi as i64;
            }
        }
    });
}

/// Every window lies inside the plane (no padding, no ceil_mode overhang): the common case
/// (`MaxPool2d(2)`), which the separable kernel below handles.
fn inside(g: &PoolGeom) -> bool {
    let last = |o: usize, s: usize, k: usize, d: usize| (o - 1) * s + (k - 1) * d;
    g.pad == (0, 0)
        && g.w <= u32::MAX as usize
        && g.oh > 0
        && g.ow > 0
        && last(g.oh, g.stride.0, g.k.0, g.dilation.0) < g.h
        && last(g.ow, g.stride.1, g.k.1, g.dilation.1) < g.w
}

/// Whether `v` replaces `best` in window order: larger, or the first NaN (which then stays).
#[inline(always)]
fn takes<T: Float>(v: T, best: T) -> bool {
    // Non-short-circuit `|`/`&` keep this a select the vectorizer can use.
    (v > best) | ((v != v) & (best == best))
}

/// Max pool over windows that lie inside the plane, one output row at a time and separably:
/// each of the window's rows is reduced across its `kw` taps for all output columns at once
/// (a loop over `ox` with selects, which vectorizes; the per-window loop with a select per tap
/// compiled to branches that mispredict on real data), then the rows are combined in order.
/// Taking a later row's value only when strictly larger (or the first NaN) keeps "first in
/// window order wins".
fn max_pool2d_inside<T: Float + Send + Sync + 'static>(x: &[T], g: &PoolGeom, out: &mut [T], idx: &mut [i64]) {
    let (ip, op) = (g.h * g.w, g.oh * g.ow);
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() && crate::pool_2x2::applies(g) {
        // SAFETY: T is f32 (same TypeId), so the slices are reinterpreted as their own type.
        let (x, out) = unsafe {
            (
                std::slice::from_raw_parts(x.as_ptr() as *const f32, x.len()),
                std::slice::from_raw_parts_mut(out.as_mut_ptr() as *mut f32, out.len()),
            )
        };
        let (po, pi) = (Ptr(out.as_mut_ptr()), Ptr(idx.as_mut_ptr()));
        par_items(g.planes, g.planes * op * 4, |p| {
            // SAFETY: plane p's outputs [p·op, (p+1)·op) are written by this task only.
            let (o, id) = unsafe { (po.part(p * op, op), pi.part(p * op, op)) };
            crate::pool_2x2::pool_plane(&x[p * ip..(p + 1) * ip], g, o, id);
        });
        return;
    }
    let (po, pi) = (Ptr(out.as_mut_ptr()), Ptr(idx.as_mut_ptr()));
    par_items(g.planes, g.planes * op * g.k.0 * g.k.1, |p| {
        // SAFETY: plane p's outputs [p·op, (p+1)·op) are written by this task only.
        let (o, id) = unsafe { (po.part(p * op, op), pi.part(p * op, op)) };
        let plane = &x[p * ip..(p + 1) * ip];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above); the body is safe code.
                unsafe { inside_plane_avx2(plane, g, o, id) };
                return;
            }
        }
        inside_plane(plane, g, o, id)
    });
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
/// # Safety
/// The CPU has AVX2.
unsafe fn inside_plane_avx2<T: Float>(plane: &[T], g: &PoolGeom, o: &mut [T], id: &mut [i64]) {
    inside_plane(plane, g, o, id)
}

#[inline(always)]
fn inside_plane<T: Float>(plane: &[T], g: &PoolGeom, o: &mut [T], id: &mut [i64]) {
    let ow = g.ow;
    // One window row's best per output column: value and input column.
    let (mut rv, mut ri) = (vec![T::zero(); ow], vec![0u32; ow]);
    for oy in 0..g.oh {
        let (orow, irow) = (&mut o[oy * ow..(oy + 1) * ow], &mut id[oy * ow..(oy + 1) * ow]);
        for t in 0..g.k.0 {
            let iy = oy * g.stride.0 + t * g.dilation.0;
            let row = &plane[iy * g.w..(iy + 1) * g.w];
            match g.stride.1 {
                1 => row_best::<T, 1>(row, g, &mut rv, &mut ri),
                2 => row_best::<T, 2>(row, g, &mut rv, &mut ri),
                _ => row_best::<T, 0>(row, g, &mut rv, &mut ri),
            }
            let base = (iy * g.w) as i64;
            if t == 0 {
                orow.copy_from_slice(&rv);
                for (d, &c) in irow.iter_mut().zip(&ri) {
                    *d = base + c as i64;
                }
                continue;
            }
            for ((b, bi), (&v, &c)) in orow.iter_mut().zip(irow.iter_mut()).zip(rv.iter().zip(&ri)) {
                let take = takes(v, *b);
                *b = if take { v } else { *b };
                *bi = if take { base + c as i64 } else { *bi };
            }
        }
    }
}

/// `(rv[ox], ri[ox])`: the first maximum of `row` over output column ox's taps
/// `ox·sx + u·dx` (u < kw), and its column. `SX` is the column stride when it is 1 or 2 (a
/// constant stride lets the loads vectorize), 0 for any other stride (read from `g`).
#[inline(always)]
fn row_best<T: Float, const SX: usize>(row: &[T], g: &PoolGeom, rv: &mut [T], ri: &mut [u32]) {
    let sx = if SX == 0 { g.stride.1 } else { SX };
    let (ow, dx) = (rv.len(), g.dilation.1);
    for u in 0..g.k.1 {
        let off = u * dx;
        // The last tap read is (ow-1)·sx + off < w (`inside`); the slice bounds the loop.
        let r = &row[off..off + (ow - 1) * sx + 1];
        if u == 0 {
            for ox in 0..ow {
                rv[ox] = r[ox * sx];
                ri[ox] = (ox * sx) as u32;
            }
            continue;
        }
        for ox in 0..ow {
            let v = r[ox * sx];
            let take = takes(v, rv[ox]);
            rv[ox] = if take { v } else { rv[ox] };
            ri[ox] = if take { (ox * sx + off) as u32 } else { ri[ox] };
        }
    }
}

/// Max pool backward: `dx[p, idx[p, o]] += gout[p, o]`.
pub fn max_pool2d_backward<T: Float + Send + Sync>(gout: &[T], idx: &[i64], g: &PoolGeom) -> Vec<T> {
    let mut dx = ember_core::filled_vec(T::zero(), g.planes * g.h * g.w);
    max_pool2d_backward_into(gout, idx, g, &mut dx);
    dx
}

/// `max_pool2d_backward` into the caller's `dx` (`planes·H·W`), every element written: each
/// plane is zeroed by its own task (while it is in cache) before the gradients are added.
pub fn max_pool2d_backward_into<T: Float + Send + Sync>(gout: &[T], idx: &[i64], g: &PoolGeom, dx: &mut [T]) {
    let (ip, op) = (g.h * g.w, g.oh * g.ow);
    assert_eq!(dx.len(), g.planes * ip, "max_pool2d_backward_into: output size");
    let pd = Ptr(dx.as_mut_ptr());
    par_items(g.planes, g.planes * (ip + op), |p| {
        // SAFETY: dx holds planes·ip elements (asserted above), p < planes; each plane's task owns its slice.
        let d = unsafe { pd.part(p * ip, ip) };
        d.fill(T::zero());
        for o in 0..op {
            let i = idx[p * op + o] as usize;
            d[i] = d[i] + gout[p * op + o];
        }
    });
}

/// One output position's window along one axis: input range `[lo, hi)` and divisor share.
#[derive(Clone, Copy, Debug)]
pub struct Win {
    pub lo: usize,
    pub hi: usize,
    /// The window's extent counted for the divisor (with padding when count_include_pad).
    pub count: usize,
}

/// Average pool forward over explicit windows; `divisor` overrides the window count.
pub fn avg_pool2d<T: Float + Send + Sync>(
    x: &[T],
    planes: usize,
    h: usize,
    w: usize,
    hw: &[Win],
    ww: &[Win],
    divisor: Option<f64>,
) -> Vec<T> {
    let (ip, op) = (h * w, hw.len() * ww.len());
    let mut out = ember_core::filled_vec(T::zero(), planes * op);
    let po = Ptr(out.as_mut_ptr());
    par_items(planes, planes * ip.max(op), |p| {
        // SAFETY: out has planes·op elements (allocated above), p < planes; each plane's task owns its slice.
        let o = unsafe { po.part(p * op, op) };
        let plane = &x[p * ip..(p + 1) * ip];
        for (oy, a) in hw.iter().enumerate() {
            for (ox, b) in ww.iter().enumerate() {
                let mut s = T::zero();
                for iy in a.lo..a.hi {
                    for ix in b.lo..b.hi {
                        s = s + plane[iy * w + ix];
                    }
                }
                let d = divisor.unwrap_or((a.count * b.count) as f64);
                o[oy * ww.len() + ox] = s / T::from(d).unwrap();
            }
        }
    });
    out
}

/// Average pool backward: each output gradient spread evenly over its window.
pub fn avg_pool2d_backward<T: Float + Send + Sync>(
    gout: &[T],
    planes: usize,
    h: usize,
    w: usize,
    hw: &[Win],
    ww: &[Win],
    divisor: Option<f64>,
) -> Vec<T> {
    let (ip, op) = (h * w, hw.len() * ww.len());
    let mut dx = ember_core::filled_vec(T::zero(), planes * ip);
    let pd = Ptr(dx.as_mut_ptr());
    par_items(planes, planes * ip.max(op), |p| {
        // SAFETY: dx has planes·ip elements (allocated above), p < planes; each plane's task owns its slice.
        let d = unsafe { pd.part(p * ip, ip) };
        for (oy, a) in hw.iter().enumerate() {
            for (ox, b) in ww.iter().enumerate() {
                let div = divisor.unwrap_or((a.count * b.count) as f64);
                let g = gout[p * op + oy * ww.len() + ox] / T::from(div).unwrap();
                for iy in a.lo..a.hi {
                    for ix in b.lo..b.hi {
                        d[iy * w + ix] = d[iy * w + ix] + g;
                    }
                }
            }
        }
    });
    dx
}

/// Windows of a fixed-size average pool along one axis (PyTorch's bounds and divisor rules).
pub fn fixed_windows(size: usize, out: usize, k: usize, s: usize, p: usize, count_include_pad: bool) -> Vec<Win> {
    windows(out, |o| {
        let start = (o * s) as isize - p as isize;
        let end = (start + k as isize).min((size + p) as isize);
        let full = (end - start) as usize;
        let (lo, hi) = (start.max(0) as usize, (end.min(size as isize)).max(0) as usize);
        Win { lo, hi: hi.max(lo), count: if count_include_pad { full } else { hi.max(lo) - lo } }
    })
}

/// Windows of an adaptive pool: `[floor(o·I/O), ceil((o+1)·I/O))`.
pub fn adaptive_windows(size: usize, out: usize) -> Vec<Win> {
    windows(out, |o| {
        let lo = o * size / out;
        let hi = ((o + 1) * size).div_ceil(out);
        Win { lo, hi, count: hi - lo }
    })
}

/// The `out` windows `f(o)`, refusing a list that can't be allocated (the output size comes
/// from the user) with the allocator's message, before `collect` would abort the process.
fn windows(out: usize, f: impl Fn(usize) -> Win) -> Vec<Win> {
    let mut v: Vec<Win> = Vec::new();
    if v.try_reserve_exact(out).is_err() {
        panic!("{}", ember_core::out_of_memory(out.saturating_mul(std::mem::size_of::<Win>())));
    }
    v.extend((0..out).map(f));
    v
}
