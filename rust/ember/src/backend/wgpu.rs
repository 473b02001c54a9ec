//! The wgpu backend: `ember-wgpu`'s WGSL kernels (float32 for the nn kernels). Primitives
//! without a kernel keep the trait's default: PyTorch's backend error.
use super::{ArithOp, Backend, BceLoss, ClassLoss, Conv2d, Logical, PoolGeom, Reduce};
use crate::dispatch::Family;
use crate::gpu;
use crate::ops::binary::BinaryOp;
use crate::ops::compare::{BitOp, CmpOp};
use crate::ops::optim::{Adam, Sgd};
use crate::ops::random::Dist;
use crate::ops::reduce::RedDims;
use crate::ops::unary::{Params, Pred, UOp};
use crate::promote::Arg;
use crate::random::Generator;
use crate::{DType, Layout, Result, Scalar, Tensor};

pub struct Wgpu;

impl Backend for Wgpu {
    fn family(&self) -> Family {
        Family::Wgpu
    }
    fn index_select(&self, src: &Tensor, d: usize, index: &Tensor, _out_shape: &[usize]) -> Result<Tensor> {
        // the range check reads the index on the host, as the CPU's does (PyTorch's IndexError)
        ember_cpu::index::check(&index.to_vec::<i64>()?, src.shape()[d], d, ember_cpu::index::Bounds::Select)?;
        gpu::index_select(src, d, index)
    }
    fn index_put_dim_(&self, op: &'static str, dst: &Tensor, d: usize, index: &Tensor, values: &Tensor, accumulate: bool) -> Result<()> {
        if !accumulate {
            return Err(crate::dispatch::unsupported(op, Family::Wgpu));
        }
        ember_cpu::index::check(&index.to_vec::<i64>()?, dst.shape()[d], d, ember_cpu::index::Bounds::of(op))?;
        gpu::index_add_(dst, d, index, values, 1.0)
    }
    fn sgd_step(&self, params: &[Tensor], grads: &[Tensor], bufs: &[Option<Tensor>], h: &Sgd) -> Result<Vec<Option<Tensor>>> {
        gpu::sgd_step(params, grads, bufs, h.lr, h.momentum, h.dampening, h.weight_decay, h.nesterov, h.maximize)
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
        gpu::adam_step(params, grads, m, v, vmax, steps, h.lr, h.beta1, h.beta2, h.eps, h.weight_decay, h.amsgrad, h.maximize, h.decoupled)
    }
    fn embedding(&self, weight: &Tensor, indices: &Tensor, out_shape: &[usize]) -> Result<Tensor> {
        // the range check reads the indices on the host, as the CPU's does (PyTorch's IndexError)
        let num = weight.shape()[0];
        if let Some(i) = indices.to_vec::<i64>()?.into_iter().find(|&i| i < 0 || i as usize >= num) {
            return Err(crate::Error::index(format!("index out of range in self (index {i}, embedding table has {num} rows)")));
        }
        let shape: Vec<i64> = out_shape.iter().map(|&s| s as i64).collect();
        gpu::index_select(weight, 0, &indices.reshape(&[-1])?)?.reshape(&shape)
    }
    fn embedding_backward(&self, go: &Tensor, indices: &Tensor, num: usize, padding_idx: Option<i64>) -> Result<Tensor> {
        let dim = go.shape().last().copied().unwrap_or(0);
        let flat = indices.reshape(&[-1])?.detach();
        let mut g = go.detach().reshape(&[-1, dim as i64])?;
        if let Some(p) = padding_idx {
            let keep = crate::ops::compare::compare(CmpOp::Ne, &Arg::T(flat.clone()), &Arg::S(Scalar::Int(p)))?;
            g = g.mul(&keep.reshape(&[-1, 1])?.to_dtype(g.dtype())?)?.detach();
        }
        let out = Tensor::zeros_on(&[num, dim], go.dtype(), go.device())?;
        gpu::index_add_(&out, 0, &flat, &g, 1.0)?;
        Ok(out)
    }
    // No WGSL generator: the host draws (the same sequence as the CPU's) and the values are
    // uploaded, here and nowhere else.
    fn random(&self, shape: &[usize], dtype: DType, device: crate::Device, dist: Dist, g: &mut Generator) -> Result<Tensor> {
        gpu::to_device(&super::Cpu.random(shape, dtype, crate::Device::Cpu, dist, g)?, device)
    }
    fn bernoulli(&self, p: &Tensor, dt: DType, g: &mut Generator) -> Result<Tensor> {
        gpu::to_device(&super::Cpu.bernoulli(&gpu::host_copy(p)?, dt, g)?, p.device())
    }
    // The fused losses composed from kernels that exist on wgpu (detached: the op records
    // the one backward formula for every backend).
    fn class_loss(
        &self,
        log_softmax: bool,
        x: &Tensor,
        target: &Tensor,
        weight: Option<&Tensor>,
        ignore: i64,
        eps: f64,
    ) -> Result<ClassLoss> {
        let (c, dt) = (x.shape()[1], x.dtype());
        // the range check reads the targets on the host, as the CPU's does (PyTorch's IndexError)
        crate::ops::nn::check_targets(&target.to_vec::<i64>()?, c, ignore)?;
        let (x, t) = (x.detach(), target.detach());
        let lp = if log_softmax { x.softmax_dim(1, true, None)? } else { x };
        let keep = crate::ops::compare::compare(CmpOp::Ne, &Arg::T(t.clone()), &Arg::S(Scalar::Int(ignore)))?;
        let safe = crate::ops::ternary::where_(&keep, &Arg::T(t), &Arg::S(Scalar::Int(0)))?;
        let keepf = keep.to_dtype(dt)?;
        let weight = weight.map(|w| w.detach().to_dtype(dt)).transpose()?;
        let row_w = match &weight {
            Some(w) => w.index_select(0, &safe)?.mul(&keepf)?,
            None => keepf.clone(),
        };
        let classes = gpu::to_device(&Tensor::from_vec((0..c as i64).collect::<Vec<_>>(), &[1, c])?, lp.device())?;
        let onehot = crate::ops::compare::compare(CmpOp::Eq, &Arg::T(safe.unsqueeze(1)?), &Arg::T(classes))?.to_dtype(dt)?;
        let mut coef = onehot.mul(&row_w.unsqueeze(1)?)?.mul_scalar(1.0 - eps)?;
        let picked = lp.gather(1, &safe.unsqueeze(1)?)?.squeeze(Some(&[1]))?;
        let mut loss = picked.mul(&row_w)?.mul_scalar(eps - 1.0)?;
        if eps > 0.0 {
            let ec = eps / c as f64;
            let (wlp, wk) = match &weight {
                Some(w) => (lp.mul(w)?, keepf.unsqueeze(1)?.mul(w)?),
                None => (lp.clone(), keepf.unsqueeze(1)?),
            };
            loss = loss.sub(&wlp.sum_dims(&[1], false, None)?.mul(&keepf)?.mul_scalar(ec)?)?;
            coef = coef.add(&wk.mul_scalar(ec)?)?;
        }
        Ok(ClassLoss { loss, row_w, coef })
    }
    fn bce_with_logits(&self, x: &Tensor, y: &Tensor, w: Option<&Tensor>, pw: Option<&Tensor>) -> Result<BceLoss> {
        let (p0, dt) = (Params::default(), x.dtype());
        let (x, y) = (x.detach(), y.detach().to_dtype(dt)?);
        let unary = crate::ops::unary::unary;
        let sp = unary(&unary(&x.abs()?.neg()?, UOp::Exp, p0)?, UOp::Log1p, p0)?.add(&x.neg()?.relu()?)?;
        let (mut kl, mut kc) = match pw {
            Some(pw) => {
                let pw = pw.detach().to_dtype(dt)?;
                (pw.add_scalar(-1.0)?.mul(&y)?.add_scalar(1.0)?, pw.mul(&y)?)
            }
            None => (y.mul_scalar(0.0)?.add_scalar(1.0)?, y.clone()),
        };
        let mut loss = y.neg()?.add_scalar(1.0)?.mul(&x)?.add(&kl.mul(&sp)?)?;
        if let Some(w) = w {
            let w = w.detach().to_dtype(dt)?;
            loss = loss.mul(&w)?;
            kl = kl.mul(&w)?;
            kc = kc.mul(&w)?;
        }
        Ok(BceLoss { loss, kl, kc })
    }
    fn copy_(&self, dst: &Tensor, src: &Tensor) -> Result<()> {
        gpu::copy_across(dst, src)
    }
    fn empty(&self, l: Layout, dtype: DType, device: crate::Device) -> Result<Tensor> {
        gpu::check_index(device)?;
        gpu::empty(&l.sizes, dtype) // the WGSL kernels write row-major
    }
    fn full(&self, shape: &[usize], v: Scalar, dtype: DType, device: crate::Device) -> Result<Tensor> {
        gpu::check_index(device)?;
        gpu::full(shape, v, dtype)
    }
    fn zeros(&self, shape: &[usize], dtype: DType, device: crate::Device) -> Result<Tensor> {
        gpu::check_index(device)?;
        gpu::zeros(shape, dtype)
    }
    fn cast(&self, x: &Tensor, dtype: DType) -> Result<Tensor> {
        gpu::to_dtype(x, dtype)
    }
    fn to_device(&self, x: &Tensor, device: crate::Device) -> Result<Tensor> {
        gpu::to_device(x, device)
    }
    fn where_(&self, cond: &Tensor, x: &Arg, y: &Arg, dt: DType, _shape: &[usize]) -> Result<Tensor> {
        gpu::where_(cond, &gpu::arg_on_gpu(x)?, &gpu::arg_on_gpu(y)?, dt)
    }
    fn cat(&self, parts: &[&Tensor], d: usize, shape: &[usize], dt: DType, _device: crate::Device) -> Result<Tensor> {
        let parts: Vec<Tensor> = parts.iter().map(|&t| t.clone()).collect();
        gpu::cat(&parts, d, shape, dt)
    }
    fn to_host(&self, x: &Tensor) -> Result<Tensor> {
        gpu::host_copy(x)
    }
    fn unary(&self, op: UOp, p: Params, x: &Tensor, dt: DType) -> Result<Tensor> {
        gpu::unary_op(op, p, &x.detach(), dt)
    }
    fn unary_(&self, op: UOp, p: Params, x: &Tensor) -> Result<()> {
        gpu::unary_op_(op, p, x)
    }
    fn predicate(&self, pred: Pred, x: &Tensor) -> Result<Tensor> {
        gpu::predicate(x, pred)
    }
    fn binary(&self, op: BinaryOp, a: &Arg, b: &Arg, dt: DType, _shape: &[usize]) -> Result<Tensor> {
        gpu::binary_op(op, a, b, dt)
    }
    fn binary_into(&self, op: BinaryOp, a: &Arg, b: &Arg, dt: DType, out: &Tensor) -> Result<()> {
        gpu::binary_op_into(op, a, b, dt, out)
    }
    fn binary_(&self, op: BinaryOp, this: &Tensor, other: &Arg, dt: DType) -> Result<()> {
        gpu::binary_op_into(op, &Arg::T(this.clone()), other, dt, this)
    }
    fn compare(&self, op: CmpOp, a: &Arg, b: &Arg, dt: DType, _shape: &[usize]) -> Result<Tensor> {
        gpu::compare_op(op, a, b, dt)
    }
    fn logical_not(&self, x: &Tensor) -> Result<Tensor> {
        gpu::unary(gpu::UnaryOp::LogicalNot, x, DType::Bool)
    }
    fn nonzero_mask(&self, x: &Tensor) -> Result<Tensor> {
        gpu::compare_op(CmpOp::Ne, &Arg::T(x.clone()), &Arg::S(crate::Scalar::Int(0)), x.dtype())
    }
    fn bitwise(&self, op: BitOp, a: &Arg, b: &Arg, dt: DType, _shape: &[usize]) -> Result<Tensor> {
        gpu::bitwise_bool(op as u8, a, b, dt)
    }
    fn bitwise_not(&self, x: &Tensor) -> Result<Tensor> {
        gpu::bitwise_not(x)
    }
    fn contiguous(&self, x: &Tensor) -> Result<Tensor> {
        gpu::contiguous(x)
    }
    fn fill_(&self, x: &Tensor, v: Scalar) -> Result<()> {
        gpu::fill_(x, v)
    }
    fn bmm(&self, a: &Tensor, la: &Layout, b: &Tensor, lb: &Layout, input: Option<&Tensor>, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        gpu::bmm(a, la, b, lb, input, beta, alpha)
    }
    fn var_mean(&self, std: bool, correction: f64, x: &Tensor, rd: &RedDims) -> Result<(Tensor, Tensor)> {
        gpu::var_mean(std, correction, x, &rd.red, rd.keepdim)
    }
    fn softmax(&self, log: bool, x: &Tensor, dim: usize) -> Result<Tensor> {
        gpu::softmax(x, dim, log)
    }
    fn gather(&self, x: &Tensor, d: usize, _idx: &[usize], index: &Tensor) -> Result<Tensor> {
        gpu::gather(x, d, index)
    }
    fn scatter_(&self, dst: &Tensor, d: usize, _idx: &[usize], index: &Tensor, src: &Tensor, op: Reduce) -> Result<()> {
        match op {
            Reduce::Add => gpu::scatter_add_(dst, d, index, src),
            _ => Err(crate::dispatch::unsupported("scatter", Family::Wgpu)),
        }
    }
    fn reduce_arith(&self, op: ArithOp, x: &Tensor, rd: &RedDims, out_dt: DType) -> Result<Tensor> {
        gpu::arith(op == ArithOp::Prod, op == ArithOp::NanSum, x, &rd.red, rd.keepdim, out_dt)
    }
    fn reduce_mean(&self, x: &Tensor, rd: &RedDims, dt: DType) -> Result<Tensor> {
        gpu::reduce(gpu::ReduceOp::Mean, x, &rd.red, rd.keepdim, dt)
    }
    fn reduce_extreme(&self, want_max: bool, x: &Tensor, rd: &RedDims) -> Result<Tensor> {
        let op = if want_max { gpu::ReduceOp::Max } else { gpu::ReduceOp::Min };
        gpu::reduce(op, x, &rd.red, rd.keepdim, x.dtype())
    }
    fn arg_extreme(
        &self,
        want_max: bool,
        x: &Tensor,
        dim: Option<usize>,
        rd: &RedDims,
        want_values: bool,
    ) -> Result<(Option<Tensor>, Tensor)> {
        gpu::argreduce(x, dim.filter(|_| x.ndim() > 0), rd.keepdim, want_max, want_values)
    }
    fn reduce_norm(&self, p: f64, x: &Tensor, rd: &RedDims) -> Result<Tensor> {
        // composed from the wgpu kernels (no history: the op records the norm's backward)
        let x = x.detach();
        let dims: Vec<i64> = (0..x.ndim() as i64).filter(|&i| rd.red[i as usize]).collect();
        if p == 2.0 {
            x.mul(&x)?.sum_dims(&dims, rd.keepdim, None)?.sqrt()
        } else if p == 1.0 {
            x.abs()?.sum_dims(&dims, rd.keepdim, None)
        } else {
            Err(crate::dispatch::unsupported("linalg_vector_norm", Family::Wgpu))
        }
    }
    fn reduce_logical(&self, op: Logical, x: &Tensor, rd: &RedDims, dt: DType) -> Result<Tensor> {
        gpu::logical(op == Logical::All, op == Logical::CountNonzero, x, &rd.red, rd.keepdim, dt)
    }
    fn conv2d(&self, x: &Tensor, w: &Tensor, b: Option<&Tensor>, c: &Conv2d) -> Result<Tensor> {
        gpu::conv2d(x, w, b, c)
    }
    fn conv2d_input_grad(&self, go: &Tensor, w: &Tensor, c: &Conv2d) -> Result<Tensor> {
        gpu::conv2d_input_grad(go, w, c)
    }
    fn conv2d_weight_grad(&self, x: &Tensor, go: &Tensor, c: &Conv2d) -> Result<Tensor> {
        gpu::conv2d_weight_grad(x, go, c)
    }
    fn max_pool2d(&self, x: &Tensor, g: &PoolGeom, out_shape: &[usize]) -> Result<(Tensor, Tensor)> {
        gpu::max_pool2d(x, g, out_shape)
    }
    fn max_pool2d_backward(&self, go: &Tensor, idx: &Tensor, g: &PoolGeom, x_shape: &[usize]) -> Result<Tensor> {
        gpu::max_pool2d_backward(go, idx, g, x_shape)
    }
}
