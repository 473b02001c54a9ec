//! The host backend: `ember-cpu`'s strided kernels.
use super::{cpu_host, cpu_loss, cpu_optim, ArithOp, AvgWindows, Backend, BceLoss, ClassLoss, Conv2d, Logical, PoolGeom, Reduce, ToReal};
use crate::dispatch::{unsupported, Family};
use crate::ops::binary::{kernel_into, BinaryOp};
use crate::ops::compare::{self, BitOp, CmpOp};
use crate::ops::optim::{Adagrad, Adam, RmsProp, Sgd};
use crate::ops::random::Dist;
use crate::ops::reduce::RedDims;
use crate::ops::unary::{Params, Pred, UOp};
use crate::promote::Arg;
use crate::random::Generator;
use crate::{DType, Element, Layout, Result, Scalar, Tensor};
use ember_cpu::reduce as k;
use ember_cpu::{conv, pool};

pub struct Cpu;

/// A new host elementwise output of `shape` in its operands' memory order, allocated by this
/// backend directly (no backend lookup on the tiny-op path).
#[inline]
fn host_output(shape: &[usize], dt: DType, operands: &[&Arg]) -> Result<Tensor> {
    Cpu.empty(crate::creation::elementwise_layout(shape, operands), dt, crate::Device::Cpu)
}

/// The elements of a contiguous copy of `t` in dtype `T` (shared when already so).
pub(crate) fn vals<T: Element>(t: &Tensor) -> Result<(Tensor, &'static [T])> {
    // The one place the slice-based kernels read data: refuse anything without host values.
    if !t.device().is_host() || t.is_sparse() {
        return Err(unsupported("_nn_kernel", Family::of(t.device())));
    }
    let c = t.to_dtype_contiguous(T::DTYPE)?;
    // SAFETY: `c` is contiguous, of dtype T, on the host, and its geometry was checked against
    // its storage when it was built, so `offset .. offset + numel` lies inside the buffer. The
    // slice's lifetime is tied to `c` by the caller keeping the returned tensor alive.
    let s = unsafe { std::slice::from_raw_parts((c.storage().ptr() as *const T).add(c.offset()), c.numel()) };
    Ok((c, s))
}

/// A zero-filled host tensor of `shape` that `fill` writes its result into. The buffer comes
/// from the storage cache (warm, no page faults) and needs no copy afterwards, where a kernel
/// returning a `Vec` cost a fresh allocation (page faults) plus a copy into a storage.
fn fresh<T: Element>(shape: &[usize], fill: impl FnOnce(&mut [T])) -> Result<Tensor> {
    fresh_in(ember_core::Storage::zeros_n, shape, fill)
}

/// `fresh` for kernels documented to write every element of their output: the buffer is not
/// zero-filled first (for the CNN's conv and pool outputs that memset was 6 % of the step).
fn fresh_written<T: Element>(shape: &[usize], fill: impl FnOnce(&mut [T])) -> Result<Tensor> {
    fresh_in(ember_core::Storage::uninit_n, shape, fill)
}

fn fresh_in<T: Element>(
    alloc: fn(usize, usize) -> Result<ember_core::Storage>,
    shape: &[usize],
    fill: impl FnOnce(&mut [T]),
) -> Result<Tensor> {
    let n = ember_core::layout::checked_numel(shape)?;
    let s = alloc(n, std::mem::size_of::<T>())?;
    // SAFETY: `s` holds n elements of T (zeroed, or for `fresh_written` left for a kernel that
    // writes each before reading any), 64-byte aligned, and nothing else refers to it until the
    // tensor is built below.
    fill(unsafe { std::slice::from_raw_parts_mut(s.ptr() as *mut T, n) });
    Ok(Tensor::from_parts(s, Layout::contiguous(shape), T::DTYPE))
}

/// ReLU's input gradient from its output `y` (same shape, float32/float64), in one pass.
pub(crate) fn relu_backward(g: &Tensor, y: &Tensor) -> Result<Tensor> {
    ember_cpu::with_f32_f64_dtype!(g.dtype(), T => {
        let (_gc, gs) = vals::<T>(g)?;
        let (_yc, ys) = vals::<T>(y)?;
        let s = ember_core::Storage::uninit_n(gs.len(), std::mem::size_of::<T>())?;
        // SAFETY: `s` is a fresh buffer of gs.len() elements of T, owned here; the kernel writes
        // every element before the tensor is built.
        let out = unsafe { std::slice::from_raw_parts_mut(s.ptr() as *mut std::mem::MaybeUninit<T>, gs.len()) };
        ember_cpu::activation_grad::relu_backward(gs, ys, out);
        Ok(Tensor::from_parts(s, Layout::contiguous(g.shape()), g.dtype()))
    }, return Err(ember_cpu::dispatch::unsupported_dtype("nn kernel", g.dtype())))
}

fn rounding(op: UOp) -> bool {
    matches!(op, UOp::Floor | UOp::Ceil | UOp::Round | UOp::Trunc | UOp::RoundDecimals)
}

impl Backend for Cpu {
    fn family(&self) -> Family {
        Family::CpuStrided
    }
    fn writes_in_input_order(&self) -> bool {
        true
    }
    fn index_gather(&self, _op: &'static str, src: &Tensor, ls: &Layout, idx: &[Vec<usize>], out_shape: &[usize]) -> Result<Tensor> {
        cpu_host::index_gather(src, ls, idx, out_shape)
    }
    fn index_put_(&self, _op: &'static str, dst: &Tensor, ld: &Layout, idx: &[Vec<usize>], v: &Tensor, accumulate: bool) -> Result<()> {
        cpu_host::index_put_(dst, ld, idx, v, accumulate)
    }
    fn index_select(&self, src: &Tensor, d: usize, index: &Tensor, _out_shape: &[usize]) -> Result<Tensor> {
        crate::ops::index::Plan::along(src.shape(), d, index, "index_select")?.gather_on(&Cpu, "index_select", src)
    }
    fn index_put_dim_(&self, op: &'static str, dst: &Tensor, d: usize, index: &Tensor, values: &Tensor, accumulate: bool) -> Result<()> {
        crate::ops::index::Plan::along(dst.shape(), d, index, op)?.put_on(&Cpu, op, dst, values, accumulate)
    }
    fn masked_select(&self, src: &Tensor, mask: &Tensor) -> Result<(Tensor, Vec<i64>)> {
        cpu_host::masked_select(src, mask)
    }
    fn mask_coords(&self, _op: &'static str, mask: &Tensor) -> Result<(usize, Vec<Vec<usize>>)> {
        cpu_host::mask_coords(mask)
    }
    fn dim_indices(&self, index: &Tensor, size: usize, d: usize) -> Result<Vec<usize>> {
        Ok(ember_cpu::index::normalize(&index.to_vec::<i64>()?, size, d, true)?)
    }
    fn sgd_step(&self, params: &[Tensor], grads: &[Tensor], bufs: &[Option<Tensor>], h: &Sgd) -> Result<Vec<Option<Tensor>>> {
        cpu_optim::sgd_step(params, grads, bufs, h)
    }
    fn adam_step(
        &self,
        params: &[Tensor],
        grads: &[Tensor],
        m: &[Tensor],
        v: &[Tensor],
        vmax: &[Tensor],
        steps: &[Tensor],
        h: &Adam,
    ) -> Result<()> {
        cpu_optim::adam_step(params, grads, m, v, vmax, steps, h)
    }
    fn rmsprop_step(
        &self,
        params: &[Tensor],
        grads: &[Tensor],
        sq: &[Tensor],
        ga: &[Tensor],
        mb: &[Tensor],
        steps: &[Tensor],
        h: &RmsProp,
    ) -> Result<()> {
        cpu_optim::rmsprop_step(params, grads, sq, ga, mb, steps, h)
    }
    fn adagrad_step(&self, params: &[Tensor], grads: &[Tensor], sums: &[Tensor], steps: &[Tensor], h: &Adagrad) -> Result<()> {
        cpu_optim::adagrad_step(params, grads, sums, steps, h)
    }
    fn class_loss(
        &self,
        log_softmax: bool,
        x: &Tensor,
        target: &Tensor,
        weight: Option<&Tensor>,
        ignore: i64,
        eps: f64,
    ) -> Result<ClassLoss> {
        cpu_loss::class_loss(log_softmax, x, target, weight, ignore, eps)
    }
    fn bce_with_logits(&self, x: &Tensor, y: &Tensor, w: Option<&Tensor>, pw: Option<&Tensor>) -> Result<BceLoss> {
        cpu_loss::bce_with_logits(x, y, w, pw)
    }
    fn copy_(&self, dst: &Tensor, src: &Tensor) -> Result<()> {
        ember_cpu::copy::copy_into(dst.storage(), dst.layout(), dst.dtype(), src.storage(), src.layout(), src.dtype());
        Ok(())
    }
    fn empty(&self, l: Layout, dtype: DType, _device: crate::Device) -> Result<Tensor> {
        let n = crate::creation::nbytes(&l.sizes, dtype)?;
        Ok(Tensor::from_parts(ember_core::Storage::uninit(n)?, l, dtype))
    }
    fn full(&self, shape: &[usize], v: Scalar, dtype: DType, _device: crate::Device) -> Result<Tensor> {
        Tensor::full_wrapping(shape, v, dtype)
    }
    fn zeros(&self, shape: &[usize], dtype: DType, _device: crate::Device) -> Result<Tensor> {
        Tensor::zeros(shape, dtype)
    }
    fn cast(&self, x: &Tensor, dtype: DType) -> Result<Tensor> {
        // preserve_format, as PyTorch's `to`: `x.t().float()` is transposed too
        x.map_in_layout(&ember_core::layout::preserve_format(x.layout()), |x| {
            let s = ember_cpu::copy::contiguous(x.storage(), x.layout(), x.dtype(), dtype)?;
            Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), dtype))
        })
    }
    fn where_(&self, cond: &Tensor, x: &Arg, y: &Arg, dt: DType, shape: &[usize]) -> Result<Tensor> {
        use ember_cpu::elementwise::ternary_into;
        let (tx, ty) = (x.tensor_cow(dt)?, y.tensor_cow(dt)?);
        let out = host_output(shape, dt, &[&Arg::T(cond.clone()), x, y])?;
        let (o, lo) = (out.storage(), out.layout());
        ember_cpu::with_dtype!(dt, T => ternary_into::<bool, T, T, T>(o, lo, (cond.storage(), cond.layout()), (tx.storage(), tx.layout()),
            (ty.storage(), ty.layout()), |k, a, b| if k { a } else { b }));
        Ok(out)
    }
    fn cat(&self, parts: &[&Tensor], d: usize, shape: &[usize], dt: DType, device: crate::Device) -> Result<Tensor> {
        let out = self.empty(Layout::contiguous(shape), dt, device)?;
        let mut off = 0;
        for p in parts {
            let n = p.shape()[d];
            let slot = out.detach().narrow(d as i64, off as i64, n as i64)?;
            if p.is_conj() {
                slot.copy_from(p)?; // resolves the conjugation bit on the way
            } else {
                self.copy_(&slot, p)?;
            }
            off += n;
        }
        Ok(out)
    }
    fn flip(&self, x: &Tensor, l: &Layout) -> Result<Tensor> {
        let s = ember_cpu::copy::contiguous(x.storage(), l, x.dtype(), x.dtype())?;
        Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), x.dtype()))
    }
    fn band_zero_(&self, lower: bool, x: &Tensor, k: i64) -> Result<()> {
        let (r, c) = (x.shape()[x.ndim() - 2], x.shape()[x.ndim() - 1]);
        ember_cpu::index::band_zero(x.storage(), x.dtype(), r, c, k, lower);
        Ok(())
    }
    fn add_overlapping_(&self, dst: &Tensor, src: &Tensor) -> Result<()> {
        let src = src.to_dtype_contiguous(dst.dtype())?;
        ember_cpu::index::add_overlapping(dst.storage(), dst.layout(), src.storage(), src.offset(), dst.dtype());
        Ok(())
    }
    fn to_sparse(&self, x: &Tensor, sparse_dim: usize) -> Result<(Tensor, Tensor)> {
        crate::sparse::coo_parts(x, sparse_dim)
    }
    fn embedding(&self, weight: &Tensor, indices: &Tensor, out_shape: &[usize]) -> Result<Tensor> {
        cpu_host::embedding(weight, indices, out_shape)
    }
    fn embedding_backward(&self, go: &Tensor, indices: &Tensor, num: usize, padding_idx: Option<i64>) -> Result<Tensor> {
        cpu_host::embedding_backward(go, indices, num, padding_idx)
    }
    fn random(&self, shape: &[usize], dtype: DType, _device: crate::Device, dist: Dist, g: &mut Generator) -> Result<Tensor> {
        cpu_host::random(shape, dtype, dist, g)
    }
    fn bernoulli(&self, p: &Tensor, dt: DType, g: &mut Generator) -> Result<Tensor> {
        cpu_host::bernoulli(p, dt, g)
    }
    fn to_host(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.clone())
    }
    fn complex_to_real(&self, f: ToReal, x: &Tensor) -> Result<Tensor> {
        cpu_host::complex_to_real(f, x)
    }
    fn complex_from_parts(&self, polar: bool, a: &Tensor, b: &Tensor, dt: DType) -> Result<Tensor> {
        cpu_host::complex_from_parts(polar, a, b, dt)
    }
    fn prod_others(&self, x: &Tensor, rd: &RedDims) -> Result<Tensor> {
        cpu_host::prod_others(x, rd)
    }

    fn unary(&self, op: UOp, p: Params, x: &Tensor, dt: DType) -> Result<Tensor> {
        // A row-major input gives a row-major output: no layout choice (tiny-op overhead).
        if x.is_contiguous() {
            let xin = if x.dtype() == dt { x.clone() } else { x.detach().to_dtype_contiguous(dt)? };
            let s = ember_cpu::unary::unary_op(op, p, dt, xin.storage(), xin.layout())?;
            return Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), dt));
        }
        let out = crate::creation::elementwise_layout(x.shape(), &[&Arg::T(x.clone())]);
        x.map_in_layout(&out, |x| {
            let xin = if x.dtype() == dt { x.clone() } else { x.detach().to_dtype_contiguous(dt)? };
            let s = ember_cpu::unary::unary_op(op, p, dt, xin.storage(), xin.layout())?;
            Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), dt))
        })
    }

    fn unary_(&self, op: UOp, p: Params, x: &Tensor) -> Result<()> {
        let dt = x.dtype();
        if dt.is_float() || !rounding(op) {
            ember_cpu::unary::unary_op_into(op, p, dt, x.storage(), x.layout(), x.storage(), x.layout())?;
        }
        Ok(())
    }

    fn predicate(&self, pred: Pred, x: &Tensor) -> Result<Tensor> {
        let out = crate::creation::elementwise_layout(x.shape(), &[&Arg::T(x.clone())]);
        x.map_in_layout(&out, |x| {
            let s = ember_cpu::unary::predicate(pred, x.dtype(), x.storage(), x.layout())?;
            Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), DType::Bool))
        })
    }

    fn binary(&self, op: BinaryOp, a: &Arg, b: &Arg, dt: DType, shape: &[usize]) -> Result<Tensor> {
        let (ta, tb) = (a.tensor_cow(dt)?, b.tensor_cow(dt)?);
        let out = host_output(shape, dt, &[a, b])?;
        kernel_into(op, dt, &out, &ta, &tb)?;
        Ok(out)
    }

    fn binary_into(&self, op: BinaryOp, a: &Arg, b: &Arg, dt: DType, out: &Tensor) -> Result<()> {
        let (ta, tb) = (a.tensor_cow(dt)?, b.tensor_cow(dt)?);
        kernel_into(op, dt, out, &ta, &tb)
    }

    fn binary_(&self, op: BinaryOp, this: &Tensor, other: &Arg, dt: DType) -> Result<()> {
        let tb = other.tensor_cow(dt)?;
        if dt == this.dtype() {
            return kernel_into(op, dt, this, this, &tb);
        }
        let tmp = Tensor::empty(this.shape(), dt)?;
        kernel_into(op, dt, &tmp, &this.to_dtype(dt)?, &tb)?;
        this.copy_from(&tmp)
    }

    fn compare(&self, op: CmpOp, a: &Arg, b: &Arg, dt: DType, shape: &[usize]) -> Result<Tensor> {
        compare::compare_kernel(op, a, b, dt, shape)
    }
    fn logical_not(&self, x: &Tensor) -> Result<Tensor> {
        compare::zero_test_kernel(x, true)
    }
    fn nonzero_mask(&self, x: &Tensor) -> Result<Tensor> {
        compare::zero_test_kernel(x, false)
    }
    fn bitwise(&self, op: BitOp, a: &Arg, b: &Arg, dt: DType, shape: &[usize]) -> Result<Tensor> {
        let (ta, tb) = (a.tensor_cow(dt)?, b.tensor_cow(dt)?);
        let out = host_output(shape, dt, &[a, b])?;
        compare::bit_kernel(op, dt, &out, &ta, &tb)?;
        Ok(out)
    }
    fn bitwise_(&self, op: BitOp, a: &Tensor, b: &Arg) -> Result<()> {
        let tb = b.tensor_cow(a.dtype())?;
        compare::bit_kernel(op, a.dtype(), a, a, &tb)
    }
    fn bitwise_not(&self, x: &Tensor) -> Result<Tensor> {
        compare::bitwise_not_kernel(x)
    }

    fn contiguous(&self, x: &Tensor) -> Result<Tensor> {
        let s = ember_cpu::copy::contiguous(x.storage(), x.layout(), x.dtype(), x.dtype())?;
        Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), x.dtype()))
    }
    fn fill_(&self, x: &Tensor, v: Scalar) -> Result<()> {
        ember_cpu::copy::fill_scalar(x.storage(), x.layout(), x.dtype(), v);
        Ok(())
    }
    fn bmm(&self, a: &Tensor, la: &Layout, b: &Tensor, lb: &Layout, input: Option<&Tensor>, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        crate::ops::linalg::bmm_kernel(a, la, b, lb, input, beta, alpha)
    }
    fn var_mean(&self, std: bool, correction: f64, x: &Tensor, rd: &RedDims) -> Result<(Tensor, Tensor)> {
        let (v, m) = ember_cpu::reduce_index::var_mean(std, correction, x.storage(), x.layout(), x.dtype(), &rd.red)?;
        Ok((Tensor::from_parts(v, Layout::contiguous(&rd.out), x.dtype()), Tensor::from_parts(m, Layout::contiguous(&rd.out), x.dtype())))
    }
    fn softmax(&self, log: bool, x: &Tensor, dim: usize) -> Result<Tensor> {
        let s = ember_cpu::softmax::softmax(log, x.storage(), x.layout(), x.dtype(), dim)?;
        Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), x.dtype()))
    }
    fn gather(&self, x: &Tensor, d: usize, idx: &[usize], index: &Tensor) -> Result<Tensor> {
        crate::ops::gather::gather_kernel(x, d, idx, index)
    }
    fn scatter_(&self, dst: &Tensor, d: usize, idx: &[usize], index: &Tensor, src: &Tensor, op: Reduce) -> Result<()> {
        crate::ops::gather::scatter_kernel(dst, d, idx, index, src, op);
        Ok(())
    }

    fn reduce_arith(&self, op: ArithOp, x: &Tensor, rd: &RedDims, out_dt: DType) -> Result<Tensor> {
        let cd = k::compute_dtype(out_dt);
        let x = x.detach().to_dtype(cd)?;
        let s = k::arith(op, x.storage(), x.layout(), cd, &rd.red)?;
        Tensor::from_parts(s, Layout::contiguous(&rd.out), cd).to_dtype(out_dt)
    }

    fn reduce_mean(&self, x: &Tensor, rd: &RedDims, dt: DType) -> Result<Tensor> {
        // The sum divided in place, by kernels (no nested dispatch: the trace shows "mean").
        let s = self.reduce_arith(ArithOp::Sum, x, rd, dt)?;
        let n = Tensor::scalar(Scalar::Float(rd.n as f64), dt)?;
        kernel_into(BinaryOp::Div, dt, &s, &s, &n)?;
        Ok(s)
    }

    fn reduce_extreme(&self, want_max: bool, x: &Tensor, rd: &RedDims) -> Result<Tensor> {
        let s = k::extreme(want_max, x.storage(), x.layout(), x.dtype(), &rd.red)?;
        Ok(Tensor::from_parts(s, Layout::contiguous(&rd.out), x.dtype()))
    }

    fn arg_extreme(
        &self,
        want_max: bool,
        x: &Tensor,
        _dim: Option<usize>,
        rd: &RedDims,
        want_values: bool,
    ) -> Result<(Option<Tensor>, Tensor)> {
        let (v, i) = ember_cpu::reduce_index::arg_extreme(want_max, x.storage(), x.layout(), x.dtype(), &rd.red)?;
        let v = want_values.then(|| Tensor::from_parts(v, Layout::contiguous(&rd.out), x.dtype()));
        Ok((v, Tensor::from_parts(i, Layout::contiguous(&rd.out), DType::I64)))
    }

    fn reduce_norm(&self, p: f64, x: &Tensor, rd: &RedDims) -> Result<Tensor> {
        let s = k::norm(p, x.storage(), x.layout(), x.dtype(), &rd.red)?;
        Ok(Tensor::from_parts(s, Layout::contiguous(&rd.out), x.dtype()))
    }
    fn reduce_logical(&self, op: Logical, x: &Tensor, rd: &RedDims, dt: DType) -> Result<Tensor> {
        let s = k::logical(op, x.storage(), x.layout(), x.dtype(), &rd.red)?;
        Ok(Tensor::from_parts(s, Layout::contiguous(&rd.out), dt))
    }

    fn conv2d(&self, x: &Tensor, w: &Tensor, b: Option<&Tensor>, c: &Conv2d) -> Result<Tensor> {
        let g = &c.g;
        ember_cpu::with_f32_f64_dtype!(x.dtype(), T => {
            let (_xc, xs) = vals::<T>(x)?;
            let (_wc, ws) = vals::<T>(w)?;
            let bc = b.map(vals::<T>).transpose()?;
            fresh_written::<T>(&[g.n, g.c_out, g.oh, g.ow], |o| conv::conv2d_forward_into(xs, ws, bc.as_ref().map(|b| b.1), g, o))
        }, return Err(ember_cpu::dispatch::unsupported_dtype("nn kernel", x.dtype())))
    }

    fn conv2d_input_grad(&self, go: &Tensor, w: &Tensor, c: &Conv2d) -> Result<Tensor> {
        let g = &c.g;
        ember_cpu::with_f32_f64_dtype!(go.dtype(), T => {
            let (_wc, ws) = vals::<T>(w)?;
            let (_gc, gs) = vals::<T>(go)?;
            // The input gradient reads only the weight and the output gradient.
            fresh::<T>(&[g.n, g.c_in, g.h, g.w], |o| conv::conv2d_input_grad_into(ws, gs, g, o))
        }, return Err(ember_cpu::dispatch::unsupported_dtype("nn kernel", go.dtype())))
    }

    fn conv2d_weight_grad(&self, x: &Tensor, go: &Tensor, c: &Conv2d) -> Result<Tensor> {
        let g = &c.g;
        ember_cpu::with_f32_f64_dtype!(go.dtype(), T => {
            let (_xc, xs) = vals::<T>(x)?;
            let (_gc, gs) = vals::<T>(go)?;
            // The weight gradient reads only the input and the output gradient.
            fresh::<T>(&[g.c_out, g.c_in / g.groups, g.kh, g.kw], |o| conv::conv2d_weight_grad_into(xs, gs, g, o))
        }, return Err(ember_cpu::dispatch::unsupported_dtype("nn kernel", go.dtype())))
    }

    fn max_pool2d(&self, x: &Tensor, g: &PoolGeom, out_shape: &[usize]) -> Result<(Tensor, Tensor)> {
        ember_cpu::with_f32_f64_dtype!(x.dtype(), T => {
            let (_c, xs) = vals::<T>(x)?;
            let mut vals_out = None;
            let idx = fresh_written::<i64>(out_shape, |i| {
                vals_out = Some(fresh_written::<T>(out_shape, |o| pool::max_pool2d_into(xs, g, o, i)));
            })?;
            Ok((vals_out.expect("filled by the closure")?, idx))
        }, return Err(ember_cpu::dispatch::unsupported_dtype("nn kernel", x.dtype())))
    }

    fn max_pool2d_backward(&self, go: &Tensor, idx: &Tensor, g: &PoolGeom, x_shape: &[usize]) -> Result<Tensor> {
        let (_i, is) = vals::<i64>(idx)?;
        ember_cpu::with_f32_f64_dtype!(go.dtype(), T => {
            let (_g, gs) = vals::<T>(go)?;
            fresh_written::<T>(x_shape, |d| pool::max_pool2d_backward_into(gs, is, g, d))
        }, return Err(ember_cpu::dispatch::unsupported_dtype("nn kernel", go.dtype())))
    }

    fn avg_pool2d(&self, x: &Tensor, win: &AvgWindows, out_shape: &[usize]) -> Result<Tensor> {
        ember_cpu::with_f32_f64_dtype!(x.dtype(), T => {
            let (_c, xs) = vals::<T>(x)?;
            Tensor::from_vec(pool::avg_pool2d(xs, win.planes, win.h, win.w, &win.rows, &win.cols, win.divisor), out_shape)
        }, return Err(ember_cpu::dispatch::unsupported_dtype("nn kernel", x.dtype())))
    }

    fn avg_pool2d_backward(&self, go: &Tensor, win: &AvgWindows, x_shape: &[usize]) -> Result<Tensor> {
        ember_cpu::with_f32_f64_dtype!(go.dtype(), T => {
            let (_g, gs) = vals::<T>(go)?;
            Tensor::from_vec(pool::avg_pool2d_backward(gs, win.planes, win.h, win.w, &win.rows, &win.cols, win.divisor), x_shape)
        }, return Err(ember_cpu::dispatch::unsupported_dtype("nn kernel", go.dtype())))
    }
}
