//! Binary elementwise ops with broadcasting and PyTorch's type promotion.
use crate::autograd::{check_inplace, needs_grad, rebase_history};
use crate::promote::{result_type, Arg};
use crate::{DType, Error, Result, Scalar, Tensor};
use ember_core::layout::broadcast_shapes;
use ember_cpu::arith::Arith;
use ember_cpu::elementwise::binary_into;
use ember_cpu::with_dtype;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
        }
    }
    /// The dtype the kernel computes in, given the promoted dtype of the inputs.
    fn compute_dtype(self, promoted: DType) -> DType {
        match self {
            BinaryOp::Div if !promoted.is_float() => crate::promote::default_dtype(),
            _ => promoted,
        }
    }
}

/// Runs `op` on already converted, broadcastable operands into `out[lo]`.
fn kernel_into(op: BinaryOp, dt: DType, out: &Tensor, a: &Tensor, b: &Tensor) {
    let (o, lo) = (out.storage(), out.layout());
    let (sa, la, sb, lb) = (a.storage(), a.layout(), b.storage(), b.layout());
    with_dtype!(dt, T => match op {
        BinaryOp::Add => binary_into::<T, T, T>(o, lo, sa, la, sb, lb, |x, y| x.add(y)),
        BinaryOp::Sub => binary_into::<T, T, T>(o, lo, sa, la, sb, lb, |x, y| x.sub(y)),
        BinaryOp::Mul => binary_into::<T, T, T>(o, lo, sa, la, sb, lb, |x, y| x.mul(y)),
        BinaryOp::Div => binary_into::<T, T, T>(o, lo, sa, la, sb, lb, |x, y| x.div(y)),
    })
}

fn check_bool_sub(op: BinaryOp, dt: DType) -> Result<()> {
    if op == BinaryOp::Sub && dt == DType::Bool {
        return Err(Error::runtime(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
        ));
    }
    Ok(())
}

/// `a op b` as a new tensor.
pub fn binary(op: BinaryOp, a: &Arg, b: &Arg) -> Result<Tensor> {
    let dt = op.compute_dtype(result_type(&[a, b]));
    check_bool_sub(op, dt)?;
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    let (ta, tb) = (a.tensor(dt)?, b.tensor(dt)?);
    let out = Tensor::empty(&shape, dt)?;
    kernel_into(op, dt, &out, &ta, &tb);
    let (ga, gb) = (a.as_tensor().filter(|t| t.requires_grad()), b.as_tensor().filter(|t| t.requires_grad()));
    if (ga.is_some() || gb.is_some()) && crate::grad_mode::is_enabled() && dt.is_float() {
        record_binary(op, a, b, &out);
    }
    Ok(out)
}

/// Backward formulas, reduced back to each input's shape (`sum_to`) because of broadcasting.
/// `a`/`b` are the saved tensor operands; a Python-scalar operand is read from `as_`/`bs`.
fn grads_of(op: BinaryOp, g: &Tensor, a: &Option<Tensor>, b: &Option<Tensor>, as_: &Arg, bs: &Arg) -> Result<(Tensor, Tensor)> {
    let av = || -> Result<Tensor> { a.clone().map(Ok).unwrap_or_else(|| as_.tensor(g.dtype())) };
    let bv = || -> Result<Tensor> { b.clone().map(Ok).unwrap_or_else(|| bs.tensor(g.dtype())) };
    Ok(match op {
        BinaryOp::Add => (g.clone(), g.clone()),
        BinaryOp::Sub => (g.clone(), g.neg()?),
        BinaryOp::Mul => (g.mul(&bv()?)?, g.mul(&av()?)?),
        BinaryOp::Div => {
            let bt = bv()?;
            let ga = g.div(&bt)?;
            let gb = g.neg()?.mul(&av()?)?.div(&bt.mul(&bt)?)?;
            (ga, gb)
        }
    })
}

fn record_binary(op: BinaryOp, a: &Arg, b: &Arg, out: &Tensor) {
    let name = match op {
        BinaryOp::Add => "AddBackward0",
        BinaryOp::Sub => "SubBackward0",
        BinaryOp::Mul => "MulBackward0",
        BinaryOp::Div => "DivBackward0",
    };
    // Shapes to reduce broadcast gradients back to; None (no allocation) when unbroadcast.
    let reduce_to = |s: &[usize]| (s != out.shape()).then(|| s.to_vec());
    let (sa, sb) = (reduce_to(a.shape()), reduce_to(b.shape()));
    let (ta, tb) = (a.as_tensor().cloned(), b.as_tensor().cloned());
    // Save only what the formula reads.
    let keep = matches!(op, BinaryOp::Mul | BinaryOp::Div);
    let (ka, kb) = if keep { (ta.clone(), tb.clone()) } else { (None, None) };
    let (ascalar, bscalar) = (a.clone(), b.clone());
    let (need_a, need_b) = (ta.as_ref().is_some_and(|t| t.requires_grad()), tb.as_ref().is_some_and(|t| t.requires_grad()));
    let (pair, one);
    let inputs: &[&Tensor] = match (&ta, &tb) {
        (Some(x), Some(y)) => {
            pair = [x, y];
            &pair
        }
        (Some(x), None) | (None, Some(x)) => {
            one = [x];
            &one
        }
        (None, None) => return,
    };
    let (a_is_t, b_is_t) = (ta.is_some(), tb.is_some());
    let saved: Vec<_> = if keep { ka.iter().chain(kb.iter()).map(crate::autograd::SavedTensor::input).collect() } else { Vec::new() };
    let versions: Vec<_> = saved.clone();
    crate::autograd::record_saving(name, inputs, &[out], saved, move |g: &[Option<Tensor>]| {
        for s in &versions {
            s.unpack(name)?;
        }
        let g = g[0].as_ref().unwrap();
        let (g1, g2) = grads_of(op, g, &ka, &kb, &ascalar, &bscalar)?;
        let fit = |g: Tensor, s: &Option<Vec<usize>>| match s {
            Some(s) => g.sum_to(s),
            None => Ok(g),
        };
        let mut res = Vec::with_capacity(2);
        if a_is_t {
            res.push(if need_a { Some(fit(g1, &sa)?) } else { None });
        }
        if b_is_t {
            res.push(if need_b { Some(fit(g2, &sb)?) } else { None });
        }
        Ok(res)
    });
}

/// `self op= other`, writing through views into shared storage.
pub fn binary_(op: BinaryOp, this: &Tensor, other: &Arg) -> Result<()> {
    let a = Arg::T(this.clone());
    let dt = op.compute_dtype(result_type(&[&a, other]));
    check_bool_sub(op, dt)?;
    if !dt.can_cast_to(this.dtype()) {
        return Err(Error::Cast { from: dt, to: this.dtype() });
    }
    let shape = broadcast_shapes(this.shape(), other.shape())?;
    if shape != this.shape() {
        return Err(Error::OutShape { out: this.shape().to_vec(), broadcast: shape });
    }
    if this.layout().has_internal_overlap() {
        return Err(Error::OverlapWrite);
    }
    let track = needs_grad(&[this]) || other.as_tensor().is_some_and(|t| needs_grad(&[t]));
    if track {
        check_inplace(this)?;
    }
    // The value before the write, when the backward needs it (mul/div by a tensor).
    // A differentiable copy (CloneBackward0), so double backward reaches the old history.
    let before = if track && matches!(op, BinaryOp::Mul | BinaryOp::Div) { Some(this.clone_tensor()?) } else { None };
    let tb = other.tensor(dt)?;
    if dt == this.dtype() {
        kernel_into(op, dt, this, this, &tb);
    } else {
        let tmp = Tensor::empty(this.shape(), dt)?;
        kernel_into(op, dt, &tmp, &this.to_dtype(dt)?, &tb);
        this.copy_from(&tmp)?;
    }
    this.storage().bump_version();
    if track && this.dtype().is_float() {
        let ob = other.clone();
        let sb = other.shape().to_vec();
        let ot = other.as_tensor().filter(|t| t.requires_grad()).cloned();
        let others: Vec<&Tensor> = ot.iter().collect();
        let has_other = ot.is_some();
        let name = match op {
            BinaryOp::Add => "AddBackward0",
            BinaryOp::Sub => "SubBackward0",
            BinaryOp::Mul => "MulBackward0",
            BinaryOp::Div => "DivBackward0",
        };
        rebase_history(name, this, &others, move |g: &[Option<Tensor>]| {
            let g = g[0].as_ref().unwrap();
            let bt = ob.tensor(g.dtype())?;
            let (g1, g2) = grads_of(op, g, &before, &Some(bt), &ob, &ob)?;
            let mut r = vec![Some(g1)];
            if has_other {
                r.push(Some(g2.sum_to(&sb)?));
            }
            Ok(r)
        })?;
    }
    Ok(())
}

impl Tensor {
    pub fn add(&self, o: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Add, &Arg::T(self.clone()), &Arg::T(o.clone()))
    }
    pub fn sub(&self, o: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Sub, &Arg::T(self.clone()), &Arg::T(o.clone()))
    }
    pub fn mul(&self, o: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Mul, &Arg::T(self.clone()), &Arg::T(o.clone()))
    }
    pub fn div(&self, o: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Div, &Arg::T(self.clone()), &Arg::T(o.clone()))
    }
    pub fn mul_scalar(&self, s: f64) -> Result<Tensor> {
        binary(BinaryOp::Mul, &Arg::T(self.clone()), &Arg::S(Scalar::Float(s)))
    }
    pub fn add_scalar(&self, s: f64) -> Result<Tensor> {
        binary(BinaryOp::Add, &Arg::T(self.clone()), &Arg::S(Scalar::Float(s)))
    }
    pub fn neg(&self) -> Result<Tensor> {
        binary(BinaryOp::Mul, &Arg::T(self.clone()), &Arg::S(Scalar::Int(-1)))
    }
}
