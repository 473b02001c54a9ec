//! The fused losses of `ops::nn` on wgpu, composed from differentiable Tensor ops (each runs
//! its WGSL kernel), so their backward comes from the ops' own formulas.
use crate::ops::compare::{compare, CmpOp};
use crate::ops::ternary::where_;
use crate::ops::unary::{unary, Params, UOp};
use crate::promote::Arg;
use crate::{Result, Scalar, Tensor};

fn reduce(loss: Tensor, denom: Option<Tensor>, red: u8) -> Result<Tensor> {
    match red {
        0 => Ok(loss),
        2 => loss.sum_dims(&[], false, None),
        _ => match denom {
            Some(d) => loss.sum_dims(&[], false, None)?.div(&d),
            None => loss.mean_dims(&[], false, None),
        },
    }
}

/// `nll_loss` on log-probabilities `lp` (N, C) and class indices `target` (N,).
pub fn nll_loss(lp: &Tensor, target: &Tensor, weight: Option<&Tensor>, red: u8, ignore: i64) -> Result<Tensor> {
    let keep = compare(CmpOp::Ne, &Arg::T(target.clone()), &Arg::S(Scalar::Int(ignore)))?;
    let safe = where_(&keep, &Arg::T(target.clone()), &Arg::S(Scalar::Int(0)))?;
    // a bad class index raises the CPU's "Target i is out of bounds." at the next read
    let picked = ember_wgpu::index::as_targets(|| lp.gather(1, &safe.unsqueeze(1)?))?.squeeze(Some(&[1]))?;
    let w = match weight {
        Some(w) => w.index_select(0, &safe)?.mul(&keep.to_dtype(lp.dtype())?)?,
        None => keep.to_dtype(lp.dtype())?,
    };
    let loss = picked.mul(&w)?.neg()?;
    let denom = if red == 1 { Some(w.sum_dims(&[], false, None)?) } else { None };
    reduce(loss, denom, red)
}

/// Cross entropy of logits `x` (N, C) against class indices, with label smoothing `eps`.
pub fn cross_entropy(x: &Tensor, target: &Tensor, weight: Option<&Tensor>, red: u8, ignore: i64, eps: f64) -> Result<Tensor> {
    let lp = x.softmax_dim(1, true, None)?;
    if eps == 0.0 {
        return nll_loss(&lp, target, weight, red, ignore);
    }
    let c = x.shape()[1] as f64;
    let keep = compare(CmpOp::Ne, &Arg::T(target.clone()), &Arg::S(Scalar::Int(ignore)))?.to_dtype(x.dtype())?;
    let nll = nll_loss(&lp, target, weight, 0, ignore)?;
    let wlp = match weight {
        Some(w) => lp.mul(w)?,
        None => lp.clone(),
    };
    let smooth = wlp.sum_dims(&[1], false, None)?.neg()?.mul(&keep)?;
    let loss = nll.mul_scalar(1.0 - eps)?.add(&smooth.mul_scalar(eps / c)?)?;
    let denom = if red == 1 {
        let safe = where_(&keep.to_dtype(crate::DType::Bool)?, &Arg::T(target.clone()), &Arg::S(Scalar::Int(0)))?;
        Some(match weight {
            Some(w) => w.index_select(0, &safe)?.mul(&keep)?.sum_dims(&[], false, None)?,
            None => keep.sum_dims(&[], false, None)?,
        })
    } else {
        None
    };
    reduce(loss, denom, red)
}

/// Stable BCE with logits: w·((1 − y)·x + L·(log1p(e^(−|x|)) + relu(−x))), L = 1 + (pw − 1)·y.
pub fn bce_with_logits(x: &Tensor, y: &Tensor, w: Option<&Tensor>, pw: Option<&Tensor>, red: u8) -> Result<Tensor> {
    let p0 = Params::default();
    let sp = unary(&unary(&x.abs()?.neg()?, UOp::Exp, p0)?, UOp::Log1p, p0)?.add(&x.neg()?.relu()?)?;
    let l = match pw {
        Some(pw) => pw.add_scalar(-1.0)?.mul(y)?.add_scalar(1.0)?,
        None => y.mul_scalar(0.0)?.add_scalar(1.0)?,
    };
    let mut loss = y.neg()?.add_scalar(1.0)?.mul(x)?.add(&l.mul(&sp)?)?;
    if let Some(w) = w {
        loss = loss.mul(w)?;
    }
    reduce(loss, None, red)
}
