//! Embedding and the fused losses (cross entropy = log_softmax + nll in one pass; BCE with
//! logits). Convolution and pooling live in `ops::conv` and `ops::pool`.
use crate::autograd::{needs_grad, record, record_saving, SavedTensor};
use crate::dispatch;
pub use crate::ops::conv::conv2d;
pub use crate::ops::pool::{adaptive_avg_pool2d, avg_pool2d, max_pool2d};
use crate::{DType, Error, Result, Tensor};

pub(crate) fn float_check(t: &Tensor, op: &str) -> Result<()> {
    if !matches!(t.dtype(), DType::F32 | DType::F64) {
        return Err(Error::runtime(format!("{op}: expected a float32 or float64 input, got {}", t.dtype().name())));
    }
    Ok(())
}

// ---------------------------------------------------------------- embedding
/// Rows of `weight (num, dim)` picked by integer `indices`; the backward sums gradients per
/// row and leaves `padding_idx`'s row at zero.
pub fn embedding(weight: &Tensor, indices: &Tensor, padding_idx: Option<i64>) -> Result<Tensor> {
    if indices.dtype().is_float() || indices.dtype() == DType::Bool {
        return Err(Error::runtime(format!(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got {} instead",
            indices.dtype().name()
        )));
    }
    if weight.ndim() != 2 {
        return Err(Error::runtime("'weight' must be 2-D"));
    }
    let (num, dim) = (weight.shape()[0], weight.shape()[1]);
    let be = dispatch::backend("embedding", &[weight, indices])?;
    let mut shape = indices.shape().to_vec();
    shape.push(dim);
    let out = be.embedding(weight, &indices.detach(), &shape)?;
    if needs_grad(&[weight]) {
        let ind = indices.detach();
        record("EmbeddingBackward0", &[weight], &[&out], move |gr: &[Option<Tensor>]| {
            let go = gr[0].as_ref().unwrap();
            let be = dispatch::backend("embedding_dense_backward", &[go, &ind])?;
            Ok(vec![Some(be.embedding_backward(go, &ind, num, padding_idx)?)])
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- losses
/// Reduction codes as PyTorch's `Reduction` enum: 0 none, 1 mean, 2 sum.
pub fn reduction_code(s: &str) -> Result<u8> {
    match s {
        "none" => Ok(0),
        "mean" => Ok(1),
        "sum" => Ok(2),
        _ => Err(Error::value(format!("{s} is not a valid value for reduction"))),
    }
}

/// PyTorch's IndexError for a class index outside [0, C) (the ignored index excepted).
pub(crate) fn check_targets(idx: &[i64], c: usize, ignore: i64) -> Result<()> {
    for &t in idx {
        if t != ignore && (t < 0 || t as usize >= c) {
            return Err(Error::index(format!("Target {t} is out of bounds.")));
        }
    }
    Ok(())
}

/// The checks `cross_entropy` and `nll_loss` share: float (N, C) scores, (N,) targets, a
/// weight per class.
fn check_class_loss(op: &str, x: &Tensor, target: &Tensor, weight: Option<&Tensor>) -> Result<()> {
    float_check(x, op)?;
    if x.ndim() != 2 || target.ndim() != 1 {
        return Err(Error::runtime(format!("{op}: expected (N, C) input and (N,) target, got {:?} and {:?}", x.shape(), target.shape())));
    }
    let (n, c) = (x.shape()[0], x.shape()[1]);
    if target.shape()[0] != n {
        return Err(Error::value(format!("Expected input batch_size ({n}) to match target batch_size ({}).", target.shape()[0])));
    }
    if let Some(w) = weight.filter(|w| w.numel() != c) {
        return Err(Error::runtime(format!(
            "weight tensor should be defined either for all {c} classes or no classes but got weight tensor of shape: {:?}",
            w.shape()
        )));
    }
    Ok(())
}

/// One path for `cross_entropy` (`log_softmax`) and `nll_loss`: validate, pick the backend,
/// run its `class_loss` primitive, reduce, record the backward once.
fn class_loss(
    op: &'static str,
    log_softmax: bool,
    x: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    red: u8,
    ignore: i64,
    eps: f64,
) -> Result<Tensor> {
    check_class_loss(if log_softmax { "cross_entropy" } else { op }, x, target, weight)?;
    let ins: Vec<&Tensor> = [Some(x), Some(target), weight].into_iter().flatten().collect();
    let be = dispatch::backend(op, &ins)?;
    let parts = be.class_loss(log_softmax, &x.detach(), &target.detach(), weight.map(|w| w.detach()).as_ref(), ignore, eps)?;
    let denom = parts.row_w.sum_dims(&[], false, None)?;
    let out = match red {
        0 => parts.loss,
        1 => parts.loss.sum_dims(&[], false, None)?.div(&denom)?,
        _ => parts.loss.sum_dims(&[], false, None)?,
    };
    if log_softmax {
        record_ce(x, &out, parts.coef, red, denom);
    } else {
        record_nll(x, &out, parts.coef, red, denom);
    }
    dispatch::note(op, be.family()); // the reduction's own dispatch is not this op's
    Ok(out)
}

/// Fused `cross_entropy(x (N,C), target (N,) class indices)` with label smoothing `eps`.
pub fn cross_entropy(x: &Tensor, target: &Tensor, weight: Option<&Tensor>, red: u8, ignore: i64, eps: f64) -> Result<Tensor> {
    class_loss("cross_entropy_loss", true, x, target, weight, red, ignore, eps)
}

/// Records cross entropy's backward as differentiable ops, so double backward works:
/// d loss/dx = s·(A·softmax(x) − a), with `a` the per-class coefficients of the log-softmax
/// (see above), A = Σ_j a_j per row and s the reduction's scale of the output gradient.
fn record_ce(x: &Tensor, out: &Tensor, a: Tensor, red: u8, denom: Tensor) {
    if !needs_grad(&[x]) {
        return;
    }
    let sx = SavedTensor::input(x);
    let sxc = sx.clone();
    record_saving("NllLossBackward0", &[x], &[out], vec![sx], move |gr: &[Option<Tensor>]| {
        let x = sxc.unpack("NllLossBackward0")?;
        let go = scale_grad(gr[0].as_ref().unwrap(), red, &denom)?;
        let d = x.softmax_dim(1, false, None)?.mul(&a.sum_dims(&[1], true, None)?)?.sub(&a)?;
        Ok(vec![Some(d.mul(&go)?)])
    });
}

/// The output gradient of a (N,)-row loss, shaped to broadcast over (N, C): per row for
/// reduction 'none', divided by the mean's denominator for 'mean'.
fn scale_grad(go: &Tensor, red: u8, denom: &Tensor) -> Result<Tensor> {
    match red {
        0 => go.unsqueeze(1),
        1 => go.div(denom),
        _ => Ok(go.clone()),
    }
}

/// `nll_loss(lp (N,C), target (N,))`: −w_t·lp_it, mean divided by Σ w_t.
pub fn nll_loss(x: &Tensor, target: &Tensor, weight: Option<&Tensor>, red: u8, ignore: i64) -> Result<Tensor> {
    class_loss("nll_loss", false, x, target, weight, red, ignore, 0.0)
}

/// nll_loss's backward, −s·a: linear in the output gradient (differentiable in it).
fn record_nll(x: &Tensor, out: &Tensor, a: Tensor, red: u8, denom: Tensor) {
    if needs_grad(&[x]) {
        record("NllLossBackward0", &[x], &[out], move |gr: &[Option<Tensor>]| {
            let go = scale_grad(gr[0].as_ref().unwrap(), red, &denom)?;
            Ok(vec![Some(a.mul(&go)?.neg()?)])
        });
    }
}

/// Stable `binary_cross_entropy_with_logits`: with L = 1 + (pw − 1)·y,
/// loss = w·((1 − y)·x + L·(log(1 + e^(−|x|)) + max(−x, 0))),  d/dx = w·(L·σ(x) − pw·y).
/// `x`, `y`, `w` and `pos_weight` are broadcast to x's shape by the caller.
pub fn bce_with_logits(x: &Tensor, y: &Tensor, w: Option<&Tensor>, pw: Option<&Tensor>, red: u8) -> Result<Tensor> {
    const OP: &str = "binary_cross_entropy_with_logits";
    float_check(x, OP)?;
    if y.shape() != x.shape() {
        return Err(Error::value(format!("Target size ({:?}) must be the same as input size ({:?})", y.shape(), x.shape())));
    }
    let ins: Vec<&Tensor> = [Some(x), Some(y), w, pw].into_iter().flatten().collect();
    let be = dispatch::backend(OP, &ins)?;
    let det = |t: Option<&Tensor>| t.map(|t| t.detach());
    let parts = be.bce_with_logits(&x.detach(), &y.detach(), det(w).as_ref(), det(pw).as_ref())?;
    let out = match red {
        0 => parts.loss,
        1 => parts.loss.mean_dims(&[], false, None)?,
        _ => parts.loss.sum_dims(&[], false, None)?,
    };
    record_bce(x, &out, parts.kl, parts.kc, red);
    dispatch::note(OP, be.family());
    Ok(out)
}

/// BCE-with-logits' backward as differentiable ops: s·(w·L·σ(x) − w·pw·y), with the
/// constants w·L (`kl`) and w·pw·y (`kc`) computed in the forward.
fn record_bce(x: &Tensor, out: &Tensor, kl: Tensor, kc: Tensor, red: u8) {
    if !needs_grad(&[x]) {
        return;
    }
    let n = x.numel().max(1) as f64;
    let sx = SavedTensor::input(x);
    let sxc = sx.clone();
    record_saving("BinaryCrossEntropyWithLogitsBackward0", &[x], &[out], vec![sx], move |gr: &[Option<Tensor>]| {
        let x = sxc.unpack("BinaryCrossEntropyWithLogitsBackward0")?;
        let go = gr[0].as_ref().unwrap();
        let go = if red == 1 { go.mul_scalar(1.0 / n)? } else { go.clone() };
        Ok(vec![Some(x.sigmoid()?.mul(&kl)?.sub(&kc)?.mul(&go)?)])
    });
}
