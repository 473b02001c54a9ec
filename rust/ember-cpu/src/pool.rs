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

/// Max pool forward: (values, flat indices into each input plane). NaN propagates like PyTorch.
pub fn max_pool2d<T: Float + Send + Sync>(x: &[T], g: &PoolGeom) -> (Vec<T>, Vec<i64>) {
    let (ip, op) = (g.h * g.w, g.oh * g.ow);
    let mut out = ember_core::filled_vec(T::zero(), g.planes * op);
    let mut idx = ember_core::filled_vec(0i64, g.planes * op);
    let (po, pi) = (Ptr(out.as_mut_ptr()), Ptr(idx.as_mut_ptr()));
    par_items(g.planes, g.planes * op * g.k.0 * g.k.1, |p| {
        let (o, id) = unsafe { (po.part(p * op, op), pi.part(p * op, op)) };
        let plane = &x[p * ip..(p + 1) * ip];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (mut best, mut bi) = (T::neg_infinity(), -1i64);
                for ki in 0..g.k.0 {
                    let iy = (oy * g.stride.0 + ki * g.dilation.0) as isize - g.pad.0 as isize;
                    if iy < 0 || iy as usize >= g.h {
                        continue;
                    }
                    for kj in 0..g.k.1 {
                        let ix = (ox * g.stride.1 + kj * g.dilation.1) as isize - g.pad.1 as isize;
                        if ix < 0 || ix as usize >= g.w {
                            continue;
                        }
                        let at = iy as usize * g.w + ix as usize;
                        let v = plane[at];
                        if v > best || v.is_nan() || bi < 0 {
                            best = v;
                            bi = at as i64;
                            if v.is_nan() {
                                break;
                            }
                        }
                    }
                    if best.is_nan() {
                        break;
                    }
                }
                o[oy * g.ow + ox] = best;
                id[oy * g.ow + ox] = bi.max(0);
            }
        }
    });
    (out, idx)
}

/// Max pool backward: `dx[p, idx[p, o]] += gout[p, o]`.
pub fn max_pool2d_backward<T: Float + Send + Sync>(gout: &[T], idx: &[i64], g: &PoolGeom) -> Vec<T> {
    let (ip, op) = (g.h * g.w, g.oh * g.ow);
    let mut dx = ember_core::filled_vec(T::zero(), g.planes * ip);
    let pd = Ptr(dx.as_mut_ptr());
    par_items(g.planes, g.planes * (ip + op), |p| {
        let d = unsafe { pd.part(p * ip, ip) };
        for o in 0..op {
            let i = idx[p * op + o] as usize;
            d[i] = d[i] + gout[p * op + o];
        }
    });
    dx
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
        panic!("DefaultCPUAllocator: not enough memory: you tried to allocate {} bytes.", out.saturating_mul(std::mem::size_of::<Win>()));
    }
    v.extend((0..out).map(f));
    v
}
