//! Ops with a condition or three operands: where, masked_fill, clamp with tensor bounds,
//! lerp, addcmul, addcdiv. Composite forwards run without history and record one node
//! with the op's own backward, named as PyTorch names it.
use crate::autograd::{check_inplace, needs_grad, rebase_history, record};
use crate::grad_mode::with_grad;
use crate::ops::binary::{binary, BinaryOp};
use crate::ops::compare::{compare, logical_not, CmpOp};
use crate::ops::unary::{unary, Params, UOp};
use crate::promote::{result_type, Arg};
use crate::{DType, Error, Result, Scalar, Tensor};
use ember_core::layout::broadcast_shapes;

fn check_cond(cond: &Tensor, what: &str) -> Result<Tensor> {
    match cond.dtype() {
        DType::Bool => Ok(cond.detach()),
        DType::U8 => cond.detach().to_dtype(DType::Bool),
        d => Err(Error::runtime(format!(
            "{what} expected condition to be a boolean tensor, but got a tensor with dtype {}. Compare first (e.g. x > 0) to get a bool mask.",
            d.scalar_name()
        ))),
    }
}

/// `where(cond, x, y)` with the result dtype of `x` and `y` and their broadcast shape.
pub fn where_(cond: &Tensor, x: &Arg, y: &Arg) -> Result<Tensor> {
    where_named("WhereBackward0", cond, x, y)
}

fn where_named(name: &'static str, cond: &Tensor, x: &Arg, y: &Arg) -> Result<Tensor> {
    let f = crate::ops::meta::family_of_args("where", &[&Arg::T(cond.clone()), x, y])?;
    let c = check_cond(cond, "where")?;
    let dt = result_type(&[x, y])?;
    let shape = broadcast_shapes(c.shape(), &broadcast_shapes(x.shape(), y.shape())?)?;
    let out = crate::backend::of(f).where_(&c, x, y, dt, &shape)?;
    let gx = x.as_tensor().filter(|t| t.requires_grad()).cloned();
    let gy = y.as_tensor().filter(|t| t.requires_grad()).cloned();
    if dt.is_inexact() && (gx.is_some() || gy.is_some()) && crate::grad_mode::is_enabled() {
        let inputs: Vec<&Tensor> = gx.iter().chain(gy.iter()).collect();
        let (hx, hy) = (gx.is_some(), gy.is_some());
        let (sx, sy) = (x.shape().to_vec(), y.shape().to_vec());
        record(name, &inputs, &[&out], move |g: &[Option<Tensor>]| {
            let g = g[0].as_ref().unwrap();
            let zero = Arg::S(Scalar::Float(0.0));
            let mut r = vec![];
            if hx {
                r.push(Some(where_(&c, &Arg::T(g.clone()), &zero)?.sum_to(&sx)?));
            }
            if hy {
                r.push(Some(where_(&c, &zero, &Arg::T(g.clone()))?.sum_to(&sy)?));
            }
            Ok(r)
        });
    }
    Ok(out)
}

/// The fill value of masked_fill as an Arg of `x`'s dtype (a 0-dim tensor, or a number).
fn fill_value(x: &Tensor, v: &Arg) -> Result<Arg> {
    match v {
        Arg::T(t) if t.ndim() != 0 => Err(Error::runtime(format!(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
            t.ndim()
        ))),
        Arg::T(t) => Ok(Arg::T(t.to_dtype(x.dtype())?)),
        Arg::S(s) => Ok(Arg::T(Tensor::scalar(*s, x.dtype())?)),
    }
}

/// `x.masked_fill(mask, value)`: `x`'s dtype, `value` where `mask`.
pub fn masked_fill(x: &Tensor, mask: &Tensor, value: &Arg) -> Result<Tensor> {
    let v = fill_value(x, value)?;
    check_cond(mask, "masked_fill_")?;
    let shape = broadcast_shapes(x.shape(), mask.shape())?;
    let out = where_named("MaskedFillBackward0", mask, &v, &Arg::T(x.clone()))?;
    debug_assert_eq!(out.shape(), &shape[..]);
    Ok(out)
}

/// `x.masked_fill_(mask, value)`, writing through views.
pub fn masked_fill_(x: &Tensor, mask: &Tensor, value: &Arg) -> Result<()> {
    let v = fill_value(x, value)?;
    let m = check_cond(mask, "masked_fill_")?;
    let shape = broadcast_shapes(x.shape(), m.shape())?;
    if shape != x.shape() {
        return Err(Error::OutShape { out: x.shape().to_vec(), broadcast: shape.to_vec() });
    }
    x.check_writable()?;
    let track = needs_grad(&[x]);
    if track {
        check_inplace(x)?;
    }
    let r = with_grad(false, || where_(&m, &v, &Arg::T(x.detach())))?;
    x.copy_from(&r)?;
    x.bump_version("masked_fill_")?;
    if track && x.dtype().is_inexact() {
        let keep = logical_not(&m)?;
        rebase_history("MaskedFillBackward0", x, &[], move |g: &[Option<Tensor>]| {
            let g = g[0].as_ref().unwrap();
            Ok(vec![Some(g.mul(&keep.to_dtype(g.dtype())?)?)])
        })?;
    }
    Ok(())
}

fn mask_of(a: &Tensor, op: CmpOp, b: &Tensor, dt: DType) -> Result<Tensor> {
    compare(op, &Arg::T(a.detach()), &Arg::T(b.detach()))?.to_dtype(dt)
}

/// `clamp(x, min, max)`: scalar bounds use the unary kernel (`ClampBackward1`), tensor bounds
/// `maximum`/`minimum` (`ClampBackward0`). Either bound may be absent, not both.
pub fn clamp(x: &Tensor, min: Option<&Arg>, max: Option<&Arg>) -> Result<Tensor> {
    if min.is_none() && max.is_none() {
        return Err(Error::runtime("torch.clamp: At least one of 'min' or 'max' must not be None"));
    }
    let xa = Arg::T(x.clone());
    let mut args = vec![&xa];
    args.extend(min.iter().copied());
    args.extend(max.iter().copied());
    let dt = result_type(&args)?;
    let scalar = |a: Option<&Arg>, d: f64| match a {
        None => Some(d),
        Some(Arg::S(s)) => Some(s.to_f64()),
        _ => None,
    };
    if let (Some(lo), Some(hi)) = (scalar(min, f64::NEG_INFINITY), scalar(max, f64::INFINITY)) {
        let xin = if dt == x.dtype() { x.clone() } else { x.to_dtype(dt)? };
        return unary(&xin, UOp::Clamp, Params { a: lo, b: hi, c: 0.0 });
    }
    let xin = x.to_dtype(dt)?;
    let out = with_grad(false, || -> Result<Tensor> {
        let mut y = xin.detach();
        if let Some(lo) = min {
            y = binary(BinaryOp::Maximum, &Arg::T(y), lo)?;
        }
        if let Some(hi) = max {
            y = binary(BinaryOp::Minimum, &Arg::T(y), hi)?;
        }
        y.to_dtype(dt)
    })?;
    let tl = min.and_then(|a| a.as_tensor()).filter(|t| t.requires_grad()).cloned();
    let th = max.and_then(|a| a.as_tensor()).filter(|t| t.requires_grad()).cloned();
    if dt.is_inexact() && (needs_grad(&[x]) || tl.is_some() || th.is_some()) && crate::grad_mode::is_enabled() {
        let lo = min.map(|a| a.tensor(dt)).transpose()?.map(|t| t.detach());
        let hi = max.map(|a| a.tensor(dt)).transpose()?.map(|t| t.detach());
        let xs = xin.detach();
        let mut inputs = vec![x];
        inputs.extend(tl.iter());
        inputs.extend(th.iter());
        let (hl, hh) = (tl.is_some(), th.is_some());
        let (sl, sh) = (min.map(|a| a.shape().to_vec()), max.map(|a| a.shape().to_vec()));
        record("ClampBackward0", &inputs, &[&out], move |g: &[Option<Tensor>]| {
            let g = g[0].as_ref().unwrap();
            let d = g.dtype();
            let mut keep = Tensor::ones(&[], d)?;
            let mut r = vec![None];
            if let Some(lo) = &lo {
                keep = keep.mul(&mask_of(&xs, CmpOp::Ge, lo, d)?)?;
            }
            if let Some(hi) = &hi {
                keep = keep.mul(&mask_of(&xs, CmpOp::Le, hi, d)?)?;
            }
            r[0] = Some(g.mul(&keep)?);
            if hl {
                r.push(Some(g.mul(&mask_of(&xs, CmpOp::Lt, lo.as_ref().unwrap(), d)?)?.sum_to(sl.as_ref().unwrap())?));
            }
            if hh {
                r.push(Some(g.mul(&mask_of(&xs, CmpOp::Gt, hi.as_ref().unwrap(), d)?)?.sum_to(sh.as_ref().unwrap())?));
            }
            Ok(r)
        });
    }
    Ok(out)
}

/// Records `name` on `out` for a composite forward with per-input gradient formulas.
fn record_composite(name: &'static str, ins: &[&Arg], out: &Tensor, f: impl Fn(&Tensor) -> Result<Vec<Tensor>> + Send + Sync + 'static) {
    let ts: Vec<Option<Tensor>> = ins.iter().map(|a| a.as_tensor().filter(|t| t.requires_grad()).cloned()).collect();
    if !out.dtype().is_inexact() || ts.iter().all(|t| t.is_none()) || !crate::grad_mode::is_enabled() {
        return;
    }
    let shapes: Vec<Vec<usize>> = ins.iter().map(|a| a.shape().to_vec()).collect();
    let which: Vec<bool> = ts.iter().map(|t| t.is_some()).collect();
    let inputs: Vec<&Tensor> = ts.iter().flatten().collect();
    record(name, &inputs, &[out], move |g: &[Option<Tensor>]| {
        let all = f(g[0].as_ref().unwrap())?;
        let mut r = vec![];
        for (i, gi) in all.into_iter().enumerate() {
            if which[i] {
                r.push(Some(gi.sum_to(&shapes[i])?));
            }
        }
        Ok(r)
    });
}

fn detached(a: &Arg, dt: DType) -> Result<Tensor> {
    Ok(a.tensor(dt)?.detach())
}

/// `lerp(start, end, weight)` = start + weight·(end − start).
pub fn lerp(start: &Tensor, end: &Tensor, weight: &Arg) -> Result<Tensor> {
    let (s, e) = (Arg::T(start.clone()), Arg::T(end.clone()));
    let dt = result_type(&[&s, &e])?;
    if !dt.is_float() {
        return Err(Error::runtime(format!(
            "\"lerp_kernel\" not implemented for '{}'. lerp needs floating point tensors.",
            dt.scalar_name()
        )));
    }
    let (ds, de, dw) = (detached(&s, dt)?, detached(&e, dt)?, detached(weight, dt)?);
    let out = with_grad(false, || ds.add(&dw.mul(&de.sub(&ds)?)?))?;
    let name = if weight.as_tensor().is_some() { "LerpBackward1" } else { "LerpBackward0" };
    record_composite(name, &[&s, &e, weight], &out, move |g| {
        let one_minus = dw.mul_scalar(-1.0)?.add_scalar(1.0)?;
        Ok(vec![g.mul(&one_minus)?, g.mul(&dw)?, g.mul(&de.sub(&ds)?)?])
    });
    Ok(out)
}

/// `addcmul(input, t1, t2, value)` = input + value·t1·t2; `addcdiv` = input + value·t1/t2.
pub fn addc(div: bool, input: &Tensor, t1: &Tensor, t2: &Tensor, value: Scalar) -> Result<Tensor> {
    let (a, b, c) = (Arg::T(input.clone()), Arg::T(t1.clone()), Arg::T(t2.clone()));
    let dt = result_type(&[&a, &b, &c])?;
    if div && !dt.is_float() {
        return Err(Error::runtime(
            "Integer division with addcdiv is no longer supported, and in a future release addcdiv will perform a true division of tensor1 and tensor2. Convert the tensors to floating point first.",
        ));
    }
    let (da, db, dc) = (detached(&a, dt)?, detached(&b, dt)?, detached(&c, dt)?);
    let v = Arg::S(value);
    let out = with_grad(false, || -> Result<Tensor> {
        let p = if div { db.div(&dc)? } else { db.mul(&dc)? };
        binary(BinaryOp::Add, &Arg::T(da.clone()), &Arg::T(binary(BinaryOp::Mul, &Arg::T(p), &v)?))
    })?;
    let vf = value.to_f64();
    let name = if div { "AddcdivBackward0" } else { "AddcmulBackward0" };
    record_composite(name, &[&a, &b, &c], &out, move |g| {
        if div {
            let g1 = g.div(&dc)?.mul_scalar(vf)?;
            Ok(vec![g.clone(), g1.clone(), g1.mul(&db)?.div(&dc)?.neg()?])
        } else {
            Ok(vec![g.clone(), g.mul(&dc)?.mul_scalar(vf)?, g.mul(&db)?.mul_scalar(vf)?])
        }
    });
    Ok(out)
}
