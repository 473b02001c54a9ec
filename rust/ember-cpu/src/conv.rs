//! 2-D convolution as im2col + GEMM, one image at a time.
//!
//! Forward, per image n and group: `out_n,g (Cog × L) = W_g (Cog × K) · cols_n,g (K × L)`
//! where `cols[k, l]` (k = (ci, ki, kj), l = (oy, ox)) holds the input pixel each kernel tap
//! sees. The GEMM writes straight into the NCHW output, pre-filled with the bias, so there is
//! no batch-wide column matrix and no scatter pass: one image's columns (`K × L`, e.g. 140 KB
//! for 32 channels × 3×3 × 11×11) stay in L2 while the GEMM reads them.
//! Backward, per image: `dcols = W_gᵀ · gout_n,g` and col2im adds it back into that image's
//! input pixels (images are independent, so they run in parallel with no reduction);
//! `dW += gout_n,g · cols_n,gᵀ` is summed over fixed blocks of images, then the block
//! partials are added in order, so the result does not depend on the thread count.
//! Contiguous NCHW operands only.
use crate::pool::Ptr;
use crate::threads::{chunks_for, get_num_threads, parallel_for, split_range};
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
    /// Output positions per image: `oh · ow`.
    pub fn l(&self) -> usize {
        self.oh * self.ow
    }
    /// Rows of the im2col matrix per group: `Cin/groups · kh · kw`.
    pub fn k(&self) -> usize {
        self.c_in / self.groups * self.kh * self.kw
    }
    /// Elements of one input image: `Cin · h · w`.
    pub fn plane_in(&self) -> usize {
        self.c_in * self.h * self.w
    }
    /// A 1×1, stride-1, unpadded kernel reads the image itself as its column matrix.
    fn is_pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.stride == (1, 1) && self.pad == (0, 0)
    }
    /// Output range `[lo, hi)` whose tap `k` lands inside `0..size` along one axis.
    #[inline]
    fn valid(out: usize, k: usize, s: usize, p: usize, d: usize, size: usize) -> (usize, usize) {
        // o·s + k·d - p ∈ [0, size)  ⇔  o ∈ [ceil((p - k·d)/s), ceil((size + p - k·d)/s))
        let off = (k * d) as isize - p as isize;
        let lo = if off >= 0 { 0 } else { ((-off) as usize).div_ceil(s) };
        let hi = if size as isize - off <= 0 { 0 } else { ((size as isize - off) as usize).div_ceil(s) };
        (lo.min(out), hi.min(out).max(lo.min(out)))
    }
}

/// How the batch is spread: over images (each GEMM single-threaded) when there are enough
/// of them, else image by image with the GEMM itself parallel.
fn plan(g: &ConvGeom) -> (usize, Parallelism) {
    let t = get_num_threads();
    let work = g.c_out * g.l() * g.k().max(1);
    let chunks = chunks_for(g.n * work).min(g.n);
    if chunks > 1 && g.n >= 2 * t {
        (chunks, Parallelism::None)
    } else if t > 1 && work > 1 << 15 {
        (1, Parallelism::Rayon(t))
    } else {
        (1, Parallelism::None)
    }
}

/// im2col of one image into `cols` (`(Cin·kh·kw) × L`, row-major); padding taps become 0.
fn im2col_image<T: Float>(img: &[T], g: &ConvGeom, cols: &mut [T]) {
    let (l, (sy, sx), (dy, dx)) = (g.l(), g.stride, g.dilation);
    for ci in 0..g.c_in {
        let chan = &img[ci * g.h * g.w..(ci + 1) * g.h * g.w];
        for ki in 0..g.kh {
            let (y0, y1) = ConvGeom::valid(g.oh, ki, sy, g.pad.0, dy, g.h);
            for kj in 0..g.kw {
                let (x0, x1) = ConvGeom::valid(g.ow, kj, sx, g.pad.1, dx, g.w);
                let row = &mut cols[((ci * g.kh + ki) * g.kw + kj) * l..][..l];
                row[..y0 * g.ow].fill(T::zero());
                row[y1 * g.ow..].fill(T::zero());
                for oy in y0..y1 {
                    let iy = oy * sy + ki * dy - g.pad.0;
                    let d = &mut row[oy * g.ow..(oy + 1) * g.ow];
                    d[..x0].fill(T::zero());
                    d[x1..].fill(T::zero());
                    if x0 == x1 {
                        continue;
                    }
                    let ix0 = x0 * sx + kj * dx - g.pad.1;
                    let src = &chan[iy * g.w..(iy + 1) * g.w];
                    if sx == 1 {
                        d[x0..x1].copy_from_slice(&src[ix0..ix0 + (x1 - x0)]);
                    } else {
                        for (v, ix) in d[x0..x1].iter_mut().zip((ix0..).step_by(sx)) {
                            *v = src[ix];
                        }
                    }
                }
            }
        }
    }
}

/// col2im of one image: adds every entry of `dcols` into the pixel it was read from.
fn col2im_image<T: Float>(dcols: &[T], g: &ConvGeom, img: &mut [T]) {
    let (l, (sy, sx), (dy, dx)) = (g.l(), g.stride, g.dilation);
    img.fill(T::zero());
    for ci in 0..g.c_in {
        let chan = &mut img[ci * g.h * g.w..(ci + 1) * g.h * g.w];
        for ki in 0..g.kh {
            let (y0, y1) = ConvGeom::valid(g.oh, ki, sy, g.pad.0, dy, g.h);
            for kj in 0..g.kw {
                let (x0, x1) = ConvGeom::valid(g.ow, kj, sx, g.pad.1, dx, g.w);
                let row = &dcols[((ci * g.kh + ki) * g.kw + kj) * l..][..l];
                if x0 == x1 {
                    continue;
                }
                for oy in y0..y1 {
                    let iy = oy * sy + ki * dy - g.pad.0;
                    let ix0 = x0 * sx + kj * dx - g.pad.1;
                    let dst = &mut chan[iy * g.w..(iy + 1) * g.w];
                    let src = &row[oy * g.ow + x0..oy * g.ow + x1];
                    if sx == 1 {
                        for (d, &s) in dst[ix0..ix0 + src.len()].iter_mut().zip(src) {
                            *d = *d + s;
                        }
                    } else {
                        for (&s, ix) in src.iter().zip((ix0..).step_by(sx)) {
                            dst[ix] = dst[ix] + s;
                        }
                    }
                }
            }
        }
    }
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

/// The column matrix of image `n`: the image itself for pointwise kernels, else `scratch`.
fn columns<'a, T: Float>(x: &'a [T], g: &ConvGeom, n: usize, scratch: &'a mut Vec<T>) -> &'a [T] {
    let img = &x[n * g.plane_in()..(n + 1) * g.plane_in()];
    if g.is_pointwise() {
        return img;
    }
    if scratch.is_empty() {
        *scratch = ember_core::filled_vec(T::zero(), g.c_in * g.kh * g.kw * g.l());
    }
    im2col_image(img, g, scratch);
    scratch
}

/// Forward: `x (N,Cin,H,W)`, `w (Cout,Cin/groups,kh,kw)`, optional bias → `(N,Cout,oh,ow)`.
pub fn conv2d_forward<T: 'static + Float + Send + Sync>(x: &[T], w: &[T], bias: Option<&[T]>, g: &ConvGeom) -> Vec<T> {
    let mut out = ember_core::filled_vec(T::zero(), g.n * g.c_out * g.l());
    conv2d_forward_into(x, w, bias, g, &mut out);
    out
}

/// `conv2d_forward` into a caller's zero-filled `out` of `N·Cout·oh·ow` elements (a storage
/// the result then lives in, with no copy).
pub fn conv2d_forward_into<T: 'static + Float + Send + Sync>(x: &[T], w: &[T], bias: Option<&[T]>, g: &ConvGeom, out: &mut [T]) {
    let (l, k, cog) = (g.l(), g.k(), g.c_out / g.groups);
    let per_out = g.c_out * l;
    assert_eq!(out.len(), g.n * per_out, "conv2d_forward_into: output size");
    if out.is_empty() {
        return;
    }
    let (chunks, par) = plan(g);
    let po = Ptr(out.as_mut_ptr());
    parallel_for(chunks, |c| {
        let (lo, hi) = split_range(g.n, chunks, c);
        let mut scratch = Vec::new();
        for n in lo..hi {
            // SAFETY: `out` holds n·per_out elements; image n's block [n·per_out, (n+1)·per_out) is
            // written by this chunk only (split_range gives disjoint image ranges).
            let o = unsafe { po.part(n * per_out, per_out) };
            if let Some(b) = bias {
                for (co, row) in o.chunks_exact_mut(l).enumerate() {
                    row.fill(b[co]);
                }
            }
            if k == 0 {
                if bias.is_none() {
                    o.fill(T::zero());
                }
                continue;
            }
            let cols = columns(x, g, n, &mut scratch);
            for gi in 0..g.groups {
                // SAFETY: group gi's weights (cog×k), columns (k×l) and output rows (cog×l of this
                // image's slice) lie inside w (c_out·k), cols (groups·k·l) and `o` (c_out·l).
                unsafe {
                    let (a, b) = (w.as_ptr().add(gi * cog * k), cols.as_ptr().add(gi * k * l));
                    mm(cog, l, k, o.as_mut_ptr().add(gi * cog * l), l, bias.is_some(), a, k as isize, 1, b, l as isize, 1, par);
                }
            }
        }
    });
}

/// Images per block of the weight-gradient sum (fixed, so results are thread-independent).
const DW_BLOCK: usize = 8;

/// Backward: gradients for input, weight and bias (each only when asked for).
pub fn conv2d_backward<T: 'static + Float + Send + Sync>(
    x: &[T],
    w: &[T],
    gout: &[T],
    g: &ConvGeom,
    need: (bool, bool, bool),
) -> (Option<Vec<T>>, Option<Vec<T>>, Option<Vec<T>>) {
    let (l, per_out) = (g.l(), g.c_out * g.l());
    let gb = need.2.then(|| {
        (0..g.c_out)
            .map(|co| (0..g.n).fold(T::zero(), |a, n| a + gout[n * per_out + co * l..][..l].iter().fold(T::zero(), |s, &v| s + v)))
            .collect()
    });
    let gw = need.1.then(|| {
        let mut dw = ember_core::filled_vec(T::zero(), g.c_out * g.k());
        conv2d_weight_grad_into(x, gout, g, &mut dw);
        dw
    });
    let gx = need.0.then(|| {
        let mut dx = ember_core::filled_vec(T::zero(), g.n * g.plane_in());
        conv2d_input_grad_into(w, gout, g, &mut dx);
        dx
    });
    (gx, gw, gb)
}

/// The weight gradient `(Cout, Cin/groups, kh, kw)` into `dw` (every element written).
pub fn conv2d_weight_grad_into<T: 'static + Float + Send + Sync>(x: &[T], gout: &[T], g: &ConvGeom, dw: &mut [T]) {
    let (l, k, cog) = (g.l(), g.k(), g.c_out / g.groups);
    let per_out = g.c_out * l;
    let (chunks, par) = plan(g);
    assert_eq!(dw.len(), g.c_out * k, "conv2d_weight_grad_into: output size");
    let wsize = g.c_out * k;
    let blocks = g.n.div_ceil(DW_BLOCK).max(1);
    let mut parts = ember_core::filled_vec(T::zero(), blocks * wsize);
    let pp = Ptr(parts.as_mut_ptr());
    let bchunks = chunks.min(blocks);
    parallel_for(bchunks, |c| {
        let (b0, b1) = split_range(blocks, bchunks, c);
        let mut scratch = Vec::new();
        for blk in b0..b1 {
            // SAFETY: `parts` holds blocks·wsize elements; block blk's slice is written by this
            // chunk only (disjoint block ranges).
            let part = unsafe { pp.part(blk * wsize, wsize) };
            for n in blk * DW_BLOCK..((blk + 1) * DW_BLOCK).min(g.n) {
                if l == 0 || k == 0 {
                    continue;
                }
                let cols = columns(x, g, n, &mut scratch);
                for gi in 0..g.groups {
                    // SAFETY: image n's output gradient rows of group gi (cog×l) lie inside gout
                    // (n·per_out), the columns (k×l) inside cols, the cog×k result inside `part`.
                    unsafe {
                        let a = gout.as_ptr().add(n * per_out + gi * cog * l);
                        let b = cols.as_ptr().add(gi * k * l);
                        let acc = n > blk * DW_BLOCK;
                        mm(cog, k, l, part.as_mut_ptr().add(gi * cog * k), k, acc, a, l as isize, 1, b, 1, l as isize, par);
                    }
                }
            }
        }
    });
    let (first, rest) = parts.split_at_mut(wsize.min(blocks * wsize));
    for p in rest.chunks_exact(wsize.max(1)) {
        for (a, &b) in first.iter_mut().zip(p) {
            *a = *a + b;
        }
    }
    dw.copy_from_slice(&parts[..wsize]);
}

/// The input gradient `(N, Cin, H, W)` into a zero-filled `dx`.
pub fn conv2d_input_grad_into<T: 'static + Float + Send + Sync>(w: &[T], gout: &[T], g: &ConvGeom, dx: &mut [T]) {
    let (l, k, cog) = (g.l(), g.k(), g.c_out / g.groups);
    let per_out = g.c_out * l;
    let (chunks, par) = plan(g);
    let per_in = g.plane_in();
    assert_eq!(dx.len(), g.n * per_in, "conv2d_input_grad_into: output size");
    if k == 0 || l == 0 {
        return;
    }
    let pd = Ptr(dx.as_mut_ptr());
    parallel_for(chunks, |c| {
        let (lo, hi) = split_range(g.n, chunks, c);
        let mut dcols = if g.is_pointwise() { Vec::new() } else { ember_core::filled_vec(T::zero(), g.groups * k * l) };
        for n in lo..hi {
            // SAFETY: `dx` holds n·per_in elements; image n's slice is written by this chunk only
            // (disjoint image ranges).
            let img = unsafe { pd.part(n * per_in, per_in) };
            // Pointwise kernels: dcols is the input gradient itself.
            let dst: *mut T = if g.is_pointwise() { img.as_mut_ptr() } else { dcols.as_mut_ptr() };
            for gi in 0..g.groups {
                // SAFETY: group gi's weights (cog×k) and image n's gradient rows (cog×l) lie inside
                // w and gout; dst holds groups·k·l (dcols, or the image's own slice when pointwise).
                unsafe {
                    let a = w.as_ptr().add(gi * cog * k);
                    let b = gout.as_ptr().add(n * per_out + gi * cog * l);
                    mm(k, l, cog, dst.add(gi * k * l), l, false, a, 1, k as isize, b, l as isize, 1, par);
                }
            }
            if !g.is_pointwise() {
                col2im_image(&dcols, g, img);
            }
        }
    });
}
