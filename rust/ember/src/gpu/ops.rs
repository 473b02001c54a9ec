//! ember's op enums mapped onto the wgpu kernels, so each dispatch site's `Wgpu` arm is one
//! call; ops without a WGSL kernel get PyTorch's "Could not run 'aten::…'" error.
use super::{binary, binary_into, to_dtype, unary, unary_into};
use crate::dispatch::{unsupported, Family};
use crate::ops::binary::BinaryOp as B;
use crate::ops::compare::CmpOp;
use crate::ops::unary::{Params, UOp};
use crate::promote::Arg;
use crate::{DType, Result, Scalar, Tensor};
use ember_wgpu::{BinaryOp as W, UnaryOp as U};

/// A host 0-dim operand (PyTorch lets CPU scalars tensors mix with device tensors) becomes
/// a kernel parameter.
pub fn arg_on_gpu(a: &Arg) -> Result<Arg> {
    Ok(match a {
        Arg::T(t) if t.device().is_host() && t.ndim() == 0 && !t.is_sparse() => Arg::S(t.item()?),
        a => a.clone(),
    })
}

/// `a op b` (broadcast) computed and returned in `dt`.
/// int64 arithmetic computes in 32 bits (WGSL has no 64-bit integers) and stores int64.
pub fn binary_op(op: B, a: &Arg, b: &Arg, dt: DType) -> Result<Tensor> {
    binary(crate::ops::binary::wgpu_kernel(op), &arg_on_gpu(a)?, &arg_on_gpu(b)?, compute(dt), dt, 1.0)
}

fn compute(dt: DType) -> DType {
    if dt == DType::I64 {
        DType::I32
    } else {
        dt
    }
}

/// `out = a op b` computed in `dt` (out may be a strided view of another dtype).
pub fn binary_op_into(op: B, a: &Arg, b: &Arg, dt: DType, out: &Tensor) -> Result<()> {
    binary_into(crate::ops::binary::wgpu_kernel(op), &arg_on_gpu(a)?, &arg_on_gpu(b)?, compute(dt), 1.0, out)
}

/// `a cmp b` → bool, compared in the promoted dtype.
pub fn compare_op(op: CmpOp, a: &Arg, b: &Arg, dt: DType) -> Result<Tensor> {
    let w = match op {
        CmpOp::Eq => W::Eq,
        CmpOp::Ne => W::Ne,
        CmpOp::Lt => W::Lt,
        CmpOp::Le => W::Le,
        CmpOp::Gt => W::Gt,
        CmpOp::Ge => W::Ge,
        CmpOp::LogicalAnd => W::LogicalAnd,
        CmpOp::LogicalOr => W::LogicalOr,
        CmpOp::LogicalXor => return compare_op(CmpOp::Ne, &bool_of(a)?, &bool_of(b)?, DType::Bool),
    };
    binary(w, &arg_on_gpu(a)?, &arg_on_gpu(b)?, dt, DType::Bool, 1.0)
}

fn bool_of(a: &Arg) -> Result<Arg> {
    Ok(match arg_on_gpu(a)? {
        Arg::T(t) => Arg::T(compare_op(CmpOp::Ne, &Arg::T(t), &Arg::S(Scalar::Int(0)), DType::Bool)?),
        Arg::S(s) => Arg::S(Scalar::Bool(s.to_f64() != 0.0)),
    })
}

/// Unary ops the kernels lack, composed from those they have (all on the GPU).
fn composed(op: UOp, p: Params, x: &Tensor) -> Result<Option<Tensor>> {
    let dt = x.dtype();
    let s = |v: f64| Arg::S(Scalar::Float(v));
    let t = |v: &Tensor| Arg::T(v.clone());
    Ok(Some(match op {
        UOp::Clamp | UOp::Hardtanh | UOp::Relu6 => {
            let (lo, hi) = match op {
                UOp::Relu6 => (0.0, 6.0),
                _ => (p.a, p.b),
            };
            let mut y = x.clone();
            if lo > f64::NEG_INFINITY {
                y = binary(W::Maximum, &t(&y), &s(lo), dt, dt, 1.0)?;
            }
            if hi < f64::INFINITY {
                y = binary(W::Minimum, &t(&y), &s(hi), dt, dt, 1.0)?;
            }
            y
        }
        UOp::LeakyRelu => {
            let pos = unary(U::Relu, x, dt)?;
            let neg = binary(W::Minimum, &t(x), &s(0.0), dt, dt, 1.0)?;
            binary(W::Add, &t(&pos), &t(&neg), dt, dt, p.a)?
        }
        UOp::Softplus => {
            // log1p(exp(βx))/β, linear above the threshold
            let bx = binary(W::Mul, &t(x), &s(p.a), dt, dt, 1.0)?;
            let sp = binary(W::Div, &t(&unary(U::Log1p, &unary(U::Exp, &bx, dt)?, dt)?), &s(p.a), dt, dt, 1.0)?;
            let big = binary(W::Gt, &t(&bx), &s(p.b), dt, DType::Bool, 1.0)?;
            super::where_(&big, &t(x), &t(&sp), dt)?
        }
        UOp::LogSigmoid => {
            // -softplus(-x) = min(x, 0) - log1p(exp(-|x|))
            let m = binary(W::Minimum, &t(x), &s(0.0), dt, dt, 1.0)?;
            let e = unary(U::Log1p, &unary(U::Exp, &unary(U::Neg, &unary(U::Abs, x, dt)?, dt)?, dt)?, dt)?;
            binary(W::Sub, &t(&m), &t(&e), dt, dt, 1.0)?
        }
        _ => return Ok(None),
    }))
}

/// `op(x)` into a new tensor of `dt` (the op's result dtype).
pub fn unary_op(op: UOp, p: Params, x: &Tensor, dt: DType) -> Result<Tensor> {
    let xin = if x.dtype() == dt { x.clone() } else { to_dtype(x, dt)? };
    match crate::ops::unary::wgpu_kernel(op) {
        Some(w) => unary(w, &xin, dt),
        None => composed(op, p, &xin)?.ok_or_else(|| unsupported(crate::ops::unary::op_name(op), Family::Wgpu)),
    }
}

/// In place: `x = op(x)` (dtype kept).
pub fn unary_op_(op: UOp, p: Params, x: &Tensor) -> Result<()> {
    match crate::ops::unary::wgpu_kernel(op) {
        Some(w) => unary_into(w, x, x),
        None => {
            let y = composed(op, p, x)?.ok_or_else(|| unsupported(crate::ops::unary::op_name(op), Family::Wgpu))?;
            super::copy_into(x, &y)
        }
    }
}

/// `&`, `|`, `^` (`op` 0, 1, 2) on bool tensors (the logical ops); integer bitwise ops have
/// no WGSL kernel yet.
pub fn bitwise_bool(op: u8, a: &Arg, b: &Arg, dt: DType) -> Result<Tensor> {
    let names = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"];
    if dt != DType::Bool || op > 2 {
        return Err(unsupported(names[op.min(4) as usize], Family::Wgpu));
    }
    compare_op([CmpOp::LogicalAnd, CmpOp::LogicalOr, CmpOp::LogicalXor][op as usize], a, b, DType::Bool)
}

/// `~x` for bool tensors.
pub fn bitwise_not(x: &Tensor) -> Result<Tensor> {
    if x.dtype() != DType::Bool {
        return Err(unsupported("bitwise_not", Family::Wgpu));
    }
    unary(U::LogicalNot, x, DType::Bool)
}

/// isnan / isinf / isfinite / isposinf / isneginf on the GPU (comparisons).
pub fn predicate(x: &Tensor, pred: crate::ops::unary::Pred) -> Result<Tensor> {
    use crate::ops::unary::Pred;
    let dt = x.dtype();
    let t = Arg::T(x.clone());
    let f = |v: f64| Arg::S(Scalar::Float(v));
    if !dt.is_float() && matches!(pred, Pred::SignBit) {
        return compare_op(CmpOp::Lt, &t, &Arg::S(Scalar::Int(0)), dt);
    }
    if !dt.is_float() {
        let never = matches!(pred, Pred::IsFinite);
        return binary(W::Eq, &t, &t, dt, DType::Bool, 1.0).and_then(|e| {
            if never {
                Ok(e)
            } else {
                compare_op(CmpOp::Ne, &Arg::T(e.clone()), &Arg::T(e), DType::Bool)
            }
        });
    }
    match pred {
        Pred::IsNan => binary(W::Ne, &t, &t, dt, DType::Bool, 1.0),
        Pred::IsInf => binary(W::Eq, &Arg::T(unary(U::Abs, x, dt)?), &f(f64::INFINITY), dt, DType::Bool, 1.0),
        Pred::IsPosInf => binary(W::Eq, &t, &f(f64::INFINITY), dt, DType::Bool, 1.0),
        Pred::IsNegInf => binary(W::Eq, &t, &f(f64::NEG_INFINITY), dt, DType::Bool, 1.0),
        // x − x is 0 exactly when x is finite (NaN for ±inf and NaN)
        Pred::IsFinite => binary(W::Eq, &Arg::T(binary(W::Sub, &t, &t, dt, dt, 1.0)?), &f(0.0), dt, DType::Bool, 1.0),
        _ => Err(unsupported("signbit", Family::Wgpu)),
    }
}

/// (var or std, mean) over the dims marked in `red`, with `correction`, no history.
pub fn var_mean(std: bool, correction: f64, x: &Tensor, red: &[bool], keepdim: bool) -> Result<(Tensor, Tensor)> {
    let dt = x.dtype();
    let n: usize = x.shape().iter().zip(red).filter(|(_, &r)| r).map(|(&s, _)| s).product();
    let m_keep = super::reduce(ember_wgpu::ReduceOp::Mean, x, red, true, dt)?;
    let c = binary(W::Sub, &Arg::T(x.clone()), &Arg::T(m_keep), dt, dt, 1.0)?;
    let ss = super::reduce(ember_wgpu::ReduceOp::Sum, &unary(U::Square, &c, dt)?, red, keepdim, dt)?;
    let v = binary(W::Div, &Arg::T(ss), &Arg::S(Scalar::Float((n as f64 - correction).max(0.0))), dt, dt, 1.0)?;
    let v = if std { unary(U::Sqrt, &v, dt)? } else { v };
    Ok((v, super::reduce(ember_wgpu::ReduceOp::Mean, x, red, keepdim, dt)?))
}
