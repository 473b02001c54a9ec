//! 2-D convolution as im2col + one GEMM over the whole batch.
//!
//! Forward: `cols[k, n·L + l]` (k = (ci, ki, kj), l = (oy, ox)) holds the input pixel each kernel
//! tap sees, so for each group `out_g (Cog × N·L) = W_g (Cog × K) · cols_g (K × N·L)` is a single
//! large GEMM (the `gemm` crate, parallel inside), then scattered to NCHW with the bias.
//! Backward: `dW_g = gout_g · cols_gᵀ`, `dcols_g = W_gᵀ · gout_g`, and col2im sums `dcols`
//! back into the input pixels (the adjoint of im2col). Contiguous NCHW operands only.
use crate::pool::{par_items, Ptr};
use crate::threads::get_num_threads;
use gemm::Parallelism;
use num_traits::Float;

#[derive(Clone, Copy, Debug)]
pub struct ConvGeom {
    pub n: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    /// (top, left) padding; bottom/right padding only changes `oh`/`ow`.
    pub pad: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
    pub oh: usize,
    pub ow: usize,
}

impl ConvGeom {
    fn l(&self) -> usize {
        self.oh * self.ow
    }
    /// Rows of the im2col matrix per group: `Cin/groups · kh · kw`.
    fn k(&self) -> usize {
        self.c_in / self.groups * self.kh * self.kw
    }
    fn par(&self, work: usize) -> Parallelism {
        let t = get_num_threads();
        if t > 1 && work > 1 << 15 {
            Parallelism::Rayon(t)
        } else {
            Parallelism::None
        }
    }
    /// Input coordinate seen by output `o` through tap `k` (None: padding).
    #[inline]
    fn src(o: usize, k: usize, s: usize, p: usize, d: usize, size: usize) -> Option<usize> {
        let i = (o * s + k * d) as isize - p as isize;
        (i >= 0 && (i as usize) < size).then_some(i as usize)
    }
}

/// im2col for the whole batch: a `(Cin·kh·kw) × (N·L)` row-major matrix.
fn im2col<T: Float + Send + Sync>(x: &[T], g: &ConvGeom) -> Vec<T> {
    let (l, nl) = (g.l(), g.n * g.l());
    let rows = g.c_in * g.kh * g.kw;
    let mut cols = ember_core::filled_vec(T::zero(), rows * nl);
    let out = Ptr(cols.as_mut_ptr());
    par_items(g.n, rows * nl, |n| {
        let img = &x[n * g.c_in * g.h * g.w..(n + 1) * g.c_in * g.h * g.w];
        for ci in 0..g.c_in {
            for ki in 0..g.kh {
                for kj in 0..g.kw {
                    let row = (ci * g.kh + ki) * g.kw + kj;
                    let dst = unsafe { out.part(row * nl + n * l, l) };
                    for oy in 0..g.oh {
                        let Some(iy) = ConvGeom::src(oy, ki, g.stride.0, g.pad.0, g.dilation.0, g.h) else { continue };
                        let src = &img[(ci * g.h + iy) * g.w..(ci * g.h + iy + 1) * g.w];
                        let d = &mut dst[oy * g.ow..(oy + 1) * g.ow];
                        for (ox, v) in d.iter_mut().enumerate() {
                            if let Some(ix) = ConvGeom::src(ox, kj, g.stride.1, g.pad.1, g.dilation.1, g.w) {
                                *v = src[ix];
                            }
                        }
                    }
                }
            }
        }
    });
    cols
}

/// col2im: adds every entry of `dcols` back into the input pixel it was read from.
fn col2im<T: Float + Send + Sync>(dcols: &[T], g: &ConvGeom) -> Vec<T> {
    let (l, nl) = (g.l(), g.n * g.l());
    let per = g.c_in * g.h * g.w;
    let mut dx = ember_core::filled_vec(T::zero(), g.n * per);
    let pd = Ptr(dx.as_mut_ptr());
    par_items(g.n, dcols.len(), |n| {
        let img = unsafe { pd.part(n * per, per) };
        for ci in 0..g.c_in {
            for ki in 0..g.kh {
                for kj in 0..g.kw {
                    let row = (ci * g.kh + ki) * g.kw + kj;
                    let src = &dcols[row * nl + n * l..row * nl + (n + 1) * l];
                    for oy in 0..g.oh {
                        let Some(iy) = ConvGeom::src(oy, ki, g.stride.0, g.pad.0, g.dilation.0, g.h) else { continue };
                        let drow = &mut img[(ci * g.h + iy) * g.w..(ci * g.h + iy + 1) * g.w];
                        for ox in 0..g.ow {
                            if let Some(ix) = ConvGeom::src(ox, kj, g.stride.1, g.pad.1, g.dilation.1, g.w) {
                                drow[ix] = drow[ix] + src[oy * g.ow + ox];
                            }
                        }
                    }
                }
            }
        }
    });
    dx
}

/// `dst (m × n, row stride ldd) (+)= a · b` with explicit (row, col) strides for a and b.
#[allow(clippy::too_many_arguments)]
unsafe fn mm<T: 'static + Float>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    ldd: usize,
    accumulate: bool,
    a: *const T,
    a_rs: isize,
    a_cs: isize,
    b: *const T,
    b_rs: isize,
    b_cs: isize,
    par: Parallelism,
) {
    gemm::gemm(m, n, k, dst, 1, ldd as isize, accumulate, a, a_cs, a_rs, b, b_cs, b_rs, T::one(), T::one(), false, false, false, par);
}

/// Forward: `x (N,Cin,H,W)`, `w (Cout,Cin/groups,kh,kw)`, optional bias → `(N,Cout,oh,ow)`.
pub fn conv2d_forward<T: 'static + Float + Send + Sync>(x: &[T], w: &[T], bias: Option<&[T]>, g: &ConvGeom) -> Vec<T> {
    let cols = im2col(x, g);
    let (l, nl, k) = (g.l(), g.n * g.l(), g.k());
    let cog = g.c_out / g.groups;
    let mut out_all = ember_core::filled_vec(T::zero(), g.c_out * nl);
    let par = g.par(g.c_out * nl * k);
    for gi in 0..g.groups {
        unsafe {
            mm(
                cog,
                nl,
                k,
                out_all.as_mut_ptr().add(gi * cog * nl),
                nl,
                false,
                w.as_ptr().add(gi * cog * k),
                k as isize,
                1,
                cols.as_ptr().add(gi * k * nl),
                nl as isize,
                1,
                par,
            );
        }
    }
    let mut out = ember_core::filled_vec(T::zero(), g.n * g.c_out * l);
    let po = Ptr(out.as_mut_ptr());
    par_items(g.n, g.n * g.c_out * l, |n| {
        let o = unsafe { po.part(n * g.c_out * l, g.c_out * l) };
        for co in 0..g.c_out {
            let b = bias.map_or(T::zero(), |b| b[co]);
            let src = &out_all[co * nl + n * l..co * nl + (n + 1) * l];
            for (d, &s) in o[co * l..(co + 1) * l].iter_mut().zip(src) {
                *d = s + b;
            }
        }
    });
    out
}

/// Backward: gradients for input, weight and bias (each only when asked for).
pub fn conv2d_backward<T: 'static + Float + Send + Sync>(
    x: &[T],
    w: &[T],
    gout: &[T],
    g: &ConvGeom,
    need: (bool, bool, bool),
) -> (Option<Vec<T>>, Option<Vec<T>>, Option<Vec<T>>) {
    let (l, nl, k) = (g.l(), g.n * g.l(), g.k());
    let cog = g.c_out / g.groups;
    // gout as (Cout × N·L), the layout the GEMMs want.
    let mut go = ember_core::filled_vec(T::zero(), g.c_out * nl);
    let gp = Ptr(go.as_mut_ptr());
    par_items(g.n, g.c_out * nl, |n| {
        for co in 0..g.c_out {
            let src = &gout[(n * g.c_out + co) * l..(n * g.c_out + co + 1) * l];
            let dst = unsafe { gp.part(co * nl + n * l, l) };
            dst.copy_from_slice(src);
        }
    });
    let par = g.par(g.c_out * nl * k);
    let gb = need.2.then(|| (0..g.c_out).map(|co| go[co * nl..(co + 1) * nl].iter().fold(T::zero(), |a, &b| a + b)).collect());
    let gw = need.1.then(|| {
        let cols = im2col(x, g);
        let mut gw = ember_core::filled_vec(T::zero(), g.c_out * k);
        for gi in 0..g.groups {
            unsafe {
                mm(
                    cog,
                    k,
                    nl,
                    gw.as_mut_ptr().add(gi * cog * k),
                    k,
                    false,
                    go.as_ptr().add(gi * cog * nl),
                    nl as isize,
                    1,
                    cols.as_ptr().add(gi * k * nl),
                    1,
                    nl as isize,
                    par,
                );
            }
        }
        gw
    });
    let gx = need.0.then(|| {
        let mut dcols = ember_core::filled_vec(T::zero(), g.c_in * g.kh * g.kw * nl);
        for gi in 0..g.groups {
            unsafe {
                mm(
                    k,
                    nl,
                    cog,
                    dcols.as_mut_ptr().add(gi * k * nl),
                    nl,
                    false,
                    w.as_ptr().add(gi * cog * k),
                    1,
                    k as isize,
                    go.as_ptr().add(gi * cog * nl),
                    nl as isize,
                    1,
                    par,
                );
            }
        }
        col2im(&dcols, g)
    });
    (gx, gw, gb)
}
