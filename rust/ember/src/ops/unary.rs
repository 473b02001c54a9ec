//! Unary elementwise ops and activations. Forward kernels are the table in
//! `ember_cpu::unary`; each op's backward formula is in `grad_of` below, written with
//! differentiable Tensor ops so double backward works.
use crate::autograd::{check_inplace, needs_grad, rebase_history, record_saving, SavedTensor};
use crate::dispatch::Family;
use crate::ops::compare::CmpOp;
use crate::ops::unary_table::meta;
pub use crate::ops::unary_table::{op_name, wgpu_kernel, TORCH_FUNCTIONS};
use crate::promote::{default_dtype, Arg};
use crate::{DType, Error, Result, Scalar, Tensor};
pub use ember_cpu::unary::{Params, Pred, UOp};
use std::f64::consts::{LN_10, LN_2, PI};

/// The dtype `op` computes and returns for an input of dtype `dt`.
fn out_dtype(op: UOp, dt: DType) -> Result<DType> {
    if dt.is_float() {
        return Ok(dt);
    }
    if dt.is_complex() {
        return if ember_cpu::complex::supports(op) { Ok(dt) } else { Err(ember_cpu::complex::unsupported(op, dt)) };
    }
    if op == UOp::Neg && dt == DType::Bool {
        return Err(Error::runtime(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
        ));
    }
    if op.keeps_int() {
        return Ok(dt);
    }
    if op.int_rule() == ember_cpu::unary::IntRule::Refuse {
        let name = op_name(op);
        return Err(Error::runtime(format!(
            "\"{name}_cpu\" not implemented for '{}'. {name}() needs a floating point tensor; convert with .float() first.",
            dt.scalar_name()
        )));
    }
    Ok(default_dtype())
}

// Small differentiable building blocks for the formulas.
fn un(x: &Tensor, op: UOp) -> Result<Tensor> {
    unary(x, op, Params::default())
}
fn ms(x: &Tensor, s: f64) -> Result<Tensor> {
    x.mul_scalar(s)
}
fn adds(x: &Tensor, s: f64) -> Result<Tensor> {
    x.add_scalar(s)
}
/// 1.0 where `x cmp s`, else 0.0, in `x`'s dtype (no history: a mask is a constant).
fn mask(x: &Tensor, op: CmpOp, s: f64) -> Result<Tensor> {
    crate::ops::compare::compare(op, &Arg::T(x.detach()), &Arg::S(Scalar::Float(s)))?.to_dtype(x.dtype())
}

/// ReLU's input gradient. A first-order backward on the CPU (`g` without history) runs one
/// fused pass (PyTorch's threshold_backward); otherwise the differentiable formula, so double
/// backward still works.
fn relu_grad(g: &Tensor, y: &Tensor) -> Result<Tensor> {
    let fused = !needs_grad(&[g])
        && g.shape() == y.shape()
        && g.dtype() == y.dtype()
        && matches!(g.dtype(), DType::F32 | DType::F64)
        && crate::dispatch::family("threshold_backward", &[g, y])? == Family::CpuStrided;
    if fused {
        return crate::backend::cpu::relu_backward(g, y);
    }
    g.mul(&mask(y, CmpOp::Gt, 0.0)?)
}

/// d op(x)/dx · g. `x` is the saved input, `y` the saved output (each only when `meta` asks).
fn grad_of(op: UOp, p: Params, g: &Tensor, x: Option<&Tensor>, y: Option<&Tensor>) -> Result<Tensor> {
    if g.dtype().is_complex() {
        return crate::ops::complex::unary_grad(op, g, x, y, |ones| real_grad_of(op, p, ones, x, y));
    }
    real_grad_of(op, p, g, x, y)
}

fn real_grad_of(op: UOp, p: Params, g: &Tensor, x: Option<&Tensor>, y: Option<&Tensor>) -> Result<Tensor> {
    use CmpOp::*;
    use UOp::*;
    let x = || x.ok_or_else(|| Error::runtime("internal: input not saved"));
    let y = || y.ok_or_else(|| Error::runtime("internal: output not saved"));
    Ok(match op {
        Neg => g.neg()?,
        Abs => g.mul(&un(x()?, Sign)?.detach())?,
        Sign | Floor | Ceil | Round | RoundDecimals | Trunc => ms(g, 0.0)?,
        Square => g.mul(&ms(x()?, 2.0)?)?,
        Relu => relu_grad(g, y()?)?,
        Relu6 | Hardtanh => {
            let (lo, hi) = if op == Relu6 { (0.0, 6.0) } else { (p.a, p.b) };
            g.mul(&mask(x()?, Gt, lo)?.mul(&mask(x()?, Lt, hi)?)?)?
        }
        Clamp => g.mul(&mask(x()?, Ge, p.a)?.mul(&mask(x()?, Le, p.b)?)?)?,
        Frac => g.clone(),
        Exp => g.mul(y()?)?,
        Exp2 => g.mul(&ms(y()?, LN_2)?)?,
        Expm1 => g.mul(&adds(y()?, 1.0)?)?,
        Log => g.div(x()?)?,
        Log2 => g.div(&ms(x()?, LN_2)?)?,
        Log10 => g.div(&ms(x()?, LN_10)?)?,
        Log1p => g.div(&adds(x()?, 1.0)?)?,
        Sqrt => g.div(&ms(y()?, 2.0)?)?,
        Rsqrt => g.mul(&ms(&y()?.mul(y()?)?.mul(y()?)?, -0.5)?)?,
        Reciprocal => g.mul(&y()?.mul(y()?)?.neg()?)?,
        Sin => g.mul(&un(x()?, Cos)?)?,
        Cos => g.mul(&un(x()?, Sin)?.neg()?)?,
        Tan => g.mul(&adds(&y()?.mul(y()?)?, 1.0)?)?,
        Asin => g.mul(&un(&adds(&x()?.mul(x()?)?.neg()?, 1.0)?, Rsqrt)?)?,
        Acos => g.mul(&un(&adds(&x()?.mul(x()?)?.neg()?, 1.0)?, Rsqrt)?.neg()?)?,
        Atan => g.div(&adds(&x()?.mul(x()?)?, 1.0)?)?,
        Sinh => g.mul(&un(x()?, Cosh)?)?,
        Cosh => g.mul(&un(x()?, Sinh)?)?,
        Tanh => g.mul(&adds(&y()?.mul(y()?)?.neg()?, 1.0)?)?,
        Asinh => g.mul(&un(&adds(&x()?.mul(x()?)?, 1.0)?, Rsqrt)?)?,
        Acosh => g.mul(&un(&adds(&x()?.mul(x()?)?, -1.0)?, Rsqrt)?)?,
        Atanh => g.div(&adds(&x()?.mul(x()?)?.neg()?, 1.0)?)?,
        Sigmoid => g.mul(&y()?.mul(&adds(&y()?.neg()?, 1.0)?)?)?,
        LogSigmoid => g.mul(&un(&x()?.neg()?, Sigmoid)?)?,
        Logit => {
            let x = x()?;
            let d = g.div(&x.mul(&adds(&x.neg()?, 1.0)?)?)?;
            if p.a >= 0.0 {
                d.mul(&mask(x, Ge, p.a)?.mul(&mask(x, Le, 1.0 - p.a)?)?)?
            } else {
                d
            }
        }
        Erf | Erfc => {
            let d = g.mul(&ms(&un(&x()?.mul(x()?)?.neg()?, Exp)?, 2.0 / PI.sqrt())?)?;
            if op == Erfc {
                d.neg()?
            } else {
                d
            }
        }
        Erfinv => g.mul(&ms(&un(&y()?.mul(y()?)?, Exp)?, PI.sqrt() / 2.0)?)?,
        Gelu => {
            // Φ(x) + x·φ(x)
            let x = x()?;
            let cdf = ms(&adds(&un(&ms(x, std::f64::consts::FRAC_1_SQRT_2)?, Erf)?, 1.0)?, 0.5)?;
            let pdf = ms(&un(&ms(&x.mul(x)?, -0.5)?, Exp)?, 1.0 / (2.0 * PI).sqrt())?;
            g.mul(&cdf.add(&x.mul(&pdf)?)?)?
        }
        GeluTanh => {
            let (x, k, c) = (x()?, (2.0 / PI).sqrt(), 0.044715);
            let x2 = x.mul(x)?;
            let t = un(&ms(&x.add(&ms(&x2.mul(x)?, c)?)?, k)?, Tanh)?;
            let left = ms(&adds(&t, 1.0)?, 0.5)?;
            let right = ms(&x.mul(&adds(&t.mul(&t)?.neg()?, 1.0)?)?.mul(&adds(&ms(&x2, 3.0 * c)?, 1.0)?)?, 0.5 * k)?;
            g.mul(&left.add(&right)?)?
        }
        Silu => {
            let (x, s) = (x()?, un(x()?, Sigmoid)?);
            g.mul(&s.mul(&adds(&x.mul(&adds(&s.neg()?, 1.0)?)?, 1.0)?)?)?
        }
        Mish => {
            let x = x()?;
            let t = un(&unary(x, Softplus, Params { a: 1.0, b: 20.0, c: 0.0 })?, Tanh)?;
            g.mul(&t.add(&x.mul(&adds(&t.mul(&t)?.neg()?, 1.0)?)?.mul(&un(x, Sigmoid)?)?)?)?
        }
        Softplus => {
            let bx = ms(x()?, p.a)?;
            let (s, m) = (un(&bx, Sigmoid)?, mask(&bx, Gt, p.b)?);
            g.mul(&s.add(&m.mul(&adds(&s.neg()?, 1.0)?)?)?)?
        }
        Elu => {
            // x > 0: scale; else scale·alpha·input_scale·e^{x·input_scale} (x clamped ≤ 0 so the
            // unused branch can't overflow into inf·0 = NaN)
            let x = x()?;
            let m = mask(x, Gt, 0.0)?;
            let neg = ms(&un(&ms(&unary(x, Clamp, Params { a: f64::NEG_INFINITY, b: 0.0, c: 0.0 })?, p.c)?, Exp)?, p.b * p.a * p.c)?;
            g.mul(&ms(&m, p.b)?.add(&adds(&m.neg()?, 1.0)?.mul(&neg)?)?)?
        }
        LeakyRelu => {
            let m = mask(x()?, Gt, 0.0)?;
            g.mul(&adds(&ms(&m, 1.0 - p.a)?, p.a)?)?
        }
        Hardsigmoid => g.mul(&ms(&mask(x()?, Gt, -3.0)?.mul(&mask(x()?, Lt, 3.0)?)?, 1.0 / 6.0)?)?,
        Hardswish => {
            let x = x()?;
            let mid = mask(x, Ge, -3.0)?.mul(&mask(x, Le, 3.0)?)?;
            let d = mid.mul(&adds(&ms(x, 1.0 / 3.0)?, 0.5)?)?.add(&mask(x, Gt, 3.0)?)?;
            g.mul(&d)?
        }
        NanToNum => {
            let fin = crate::ops::unary::predicate(&x()?.detach(), Pred::IsFinite)?.to_dtype(g.dtype())?;
            g.mul(&fin)?
        }
        Deg2rad => ms(g, PI / 180.0)?,
        Rad2deg => ms(g, 180.0 / PI)?,
    })
}

/// The dtype rule of `op`'s table row (its `int:` column and whether it has a complex form)
/// for a result computed in `dt`: PyTorch's error where the row refuses `dt`. Validation, so
/// it runs once before the backend call, the same on every backend.
#[inline]
pub(crate) fn check_dtype(op: UOp, dt: DType) -> Result<()> {
    if dt.is_float() {
        return Ok(());
    }
    check_exact_dtype(op, dt)
}

/// `check_dtype` for integer, bool and complex results (kept out of the float path).
#[inline(never)]
fn check_exact_dtype(op: UOp, dt: DType) -> Result<()> {
    let refuse = |supported: &str| Err(Error::DType { op: format!("{op:?}").to_lowercase(), dtype: dt, supported: supported.into() });
    match dt {
        DType::C64 | DType::C128 if ember_cpu::complex::supports(op) => Ok(()),
        DType::C64 | DType::C128 => Err(ember_cpu::complex::unsupported(op, dt)),
        DType::Bool => refuse("integer and floating point dtypes"),
        _ if !op.keeps_int() => refuse("floating point dtypes"),
        _ => Ok(()),
    }
}

/// The dtype rule of the predicates: the one-sided ones have no complex meaning.
fn check_predicate(pred: Pred, dt: DType) -> Result<()> {
    match pred {
        Pred::IsPosInf | Pred::IsNegInf | Pred::SignBit if dt.is_complex() => {
            Err(Error::runtime(format!("{pred:?} is not implemented for complex tensors.").to_lowercase()))
        }
        _ => Ok(()),
    }
}

fn is_rounding(op: UOp) -> bool {
    matches!(op, UOp::Floor | UOp::Ceil | UOp::Round | UOp::Trunc | UOp::RoundDecimals)
}

/// `op(x)` as a new tensor (integer input promoted to the default float for float-only ops).
pub fn unary(x: &Tensor, op: UOp, p: Params) -> Result<Tensor> {
    if op == UOp::Abs && x.dtype().is_complex() {
        return crate::ops::complex::abs(x); // the one complex → real op of the table
    }
    let f = crate::dispatch::family(op_name(op), &[x])?;
    if f == Family::CpuSparse {
        return crate::sparse::unary(x, op, p);
    }
    let dt = out_dtype(op, x.dtype())?;
    if !dt.is_float() && is_rounding(op) {
        return x.contiguous_copy();
    }
    check_dtype(op, dt)?;
    let out = crate::backend::of(f).unary(op, p, x, dt)?;
    if dt.is_inexact() && needs_grad(&[x]) {
        let (name, sx, sy) = meta(op);
        // complex sgn's rule reads both; the real sign's gradient is zero
        let (sx, sy) = if op == UOp::Sign && dt.is_complex() { (true, true) } else { (sx, sy) };
        let mut saved = vec![];
        if sx {
            saved.push(SavedTensor::input(x));
        }
        if sy {
            saved.push(SavedTensor::output(&out));
        }
        let keep = saved.clone();
        record_saving(name, &[x], &[&out], saved, move |g: &[Option<Tensor>]| {
            let g = g[0].as_ref().unwrap();
            let vals: Vec<Tensor> = keep.iter().map(|s| s.unpack(name)).collect::<Result<_>>()?;
            let (xs, ys) = match (sx, sy) {
                (true, true) => (Some(&vals[0]), Some(&vals[1])),
                (true, false) => (Some(&vals[0]), None),
                (false, true) => (None, Some(&vals[0])),
                _ => (None, None),
            };
            Ok(vec![Some(grad_of(op, p, g, xs, ys)?)])
        });
    }
    Ok(out)
}

/// `x.op_()`: writes through views; the op must keep `x`'s dtype.
pub fn unary_(x: &Tensor, op: UOp, p: Params) -> Result<()> {
    let fam = crate::dispatch::family(op_name(op), &[x])?;
    let dt = out_dtype(op, x.dtype())?;
    if dt != x.dtype() {
        return Err(Error::Cast { from: dt, to: x.dtype() });
    }
    if dt.is_float() || !is_rounding(op) {
        check_dtype(op, dt)?; // (a rounding op leaves an integer as it is)
    }
    x.check_writable()?;
    let track = needs_grad(&[x]) && dt.is_inexact();
    if track {
        check_inplace(x)?;
    }
    let (name, sx, sy) = meta(op);
    let before = if track && sx { Some(x.detach().contiguous_copy()?) } else { None };
    crate::backend::of(fam).unary_(op, p, x)?;
    x.bump_version(name.strip_suffix("Backward0").unwrap_or(name))?;
    if track {
        let after = if sy { Some(x.detach().contiguous_copy()?) } else { None };
        rebase_history(name, x, &[], move |g: &[Option<Tensor>]| {
            let g = g[0].as_ref().unwrap();
            Ok(vec![Some(grad_of(op, p, g, before.as_ref(), after.as_ref())?)])
        })?;
    }
    Ok(())
}

/// isnan / isinf / isfinite / isposinf / isneginf / signbit: a bool tensor, never history.
pub fn predicate(x: &Tensor, pred: Pred) -> Result<Tensor> {
    let f = crate::dispatch::family("isnan", &[x])?;
    check_predicate(pred, x.dtype())?;
    crate::backend::of(f).predicate(pred, x)
}

/// `round(x, decimals)`.
pub fn round_decimals(x: &Tensor, decimals: i64) -> Result<Tensor> {
    if decimals == 0 {
        return unary(x, UOp::Round, Params::default());
    }
    let scale = 10f64.powi(decimals.unsigned_abs().min(400) as i32);
    unary(x, UOp::RoundDecimals, Params { a: scale, b: if decimals < 0 { 1.0 } else { -1.0 }, c: 0.0 })
}

impl Tensor {
    pub fn exp(&self) -> Result<Tensor> {
        unary(self, UOp::Exp, Params::default())
    }
    pub fn log(&self) -> Result<Tensor> {
        unary(self, UOp::Log, Params::default())
    }
    pub fn sqrt(&self) -> Result<Tensor> {
        unary(self, UOp::Sqrt, Params::default())
    }
    pub fn tanh(&self) -> Result<Tensor> {
        unary(self, UOp::Tanh, Params::default())
    }
    pub fn sigmoid(&self) -> Result<Tensor> {
        unary(self, UOp::Sigmoid, Params::default())
    }
    pub fn relu(&self) -> Result<Tensor> {
        unary(self, UOp::Relu, Params::default())
    }
    pub fn abs(&self) -> Result<Tensor> {
        unary(self, UOp::Abs, Params::default())
    }
}
