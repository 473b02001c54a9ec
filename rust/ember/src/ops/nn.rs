//! Embedding and the fused losses (cross entropy = log_softmax + nll in one pass; BCE with
//! logits). Convolution and pooling live in `ops::conv` and `ops::pool`.
use crate::autograd::{needs_grad, record, record_saving, SavedTensor};
use crate::backend::cpu::{floats, vals};
use crate::dispatch;
pub use crate::ops::conv::conv2d;
use crate::ops::meta;
pub use crate::ops::pool::{adaptive_avg_pool2d, avg_pool2d, max_pool2d};
use crate::{DType, Element, Error, Result, Tensor};
use num_traits::Float;

pub(crate) fn float_check(t: &Tensor, op: &str) -> Result<()> {
    if !matches!(t.dtype(), DType::F32 | DType::F64) {
        return Err(Error::runtime(format!("{op}: expected a float32 or float64 input, got {}", t.dtype().name())));
    }
    Ok(())
}

fn zero<T: Float>() -> T {
    T::zero()
}
fn one<T: Float>() -> T {
    T::one()
}
fn cst<T: Float>(x: f64) -> T {
    <T as num_traits::NumCast>::from(x).unwrap()
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

fn check_targets(idx: &[i64], c: usize, ignore: i64) -> Result<()> {
    for &t in idx {
        if t != ignore && (t < 0 || t as usize >= c) {
            return Err(Error::index(format!("Target {t} is out of bounds.")));
        }
    }
    Ok(())
}

/// Per-row quantities of (label-smoothed, weighted) cross entropy on `(N, C)` logits:
/// loss_i = (1−ε)·(−w_t·lp_it) + ε/C·(−Σ_c w_c·lp_ic); the mean divides by Σ w_t over kept rows.
/// `lp` is log_softmax computed with the max subtracted (stable).
fn ce_rows<T: Float>(x: &[T], c: usize, t: &[i64], w: Option<&[T]>, ignore: i64, eps: f64) -> (Vec<T>, T) {
    let n = t.len();
    let mut loss = vec![zero::<T>(); n];
    let mut denom = zero::<T>();
    let (e, ec) = (cst::<T>(1.0 - eps), cst::<T>(eps / c as f64));
    for i in 0..n {
        if t[i] == ignore {
            continue;
        }
        let row = &x[i * c..(i + 1) * c];
        let m = row.iter().fold(<T as Float>::neg_infinity(), |a: T, &b| a.max(b));
        let lse = m + row.iter().fold(zero::<T>(), |a, &b| a + (b - m).exp()).ln();
        let wt = w.map_or(one::<T>(), |w| w[t[i] as usize]);
        let mut l = -wt * (row[t[i] as usize] - lse) * e;
        if eps > 0.0 {
            let s = (0..c).fold(zero::<T>(), |a, j| a + w.map_or(one::<T>(), |w| w[j]) * (row[j] - lse));
            l = l - ec * s;
        }
        loss[i] = l;
        denom = denom + wt;
    }
    (loss, denom)
}

fn reduce_rows<T: Float + Element>(loss: Vec<T>, denom: T, red: u8) -> Result<Tensor> {
    Ok(match red {
        0 => {
            let n = loss.len();
            Tensor::from_vec(loss, &[n])?
        }
        r => {
            let s = loss.iter().fold(zero::<T>(), |a, &b| a + b);
            Tensor::from_vec(vec![if r == 1 { s / denom } else { s }], &[])?
        }
    })
}

/// Fused `cross_entropy(x (N,C), target (N,) class indices)`.
pub fn cross_entropy(x: &Tensor, target: &Tensor, weight: Option<&Tensor>, red: u8, ignore: i64, eps: f64) -> Result<Tensor> {
    float_check(x, "cross_entropy")?;
    if x.ndim() != 2 || target.ndim() != 1 {
        return Err(Error::runtime(format!(
            "cross_entropy (fused): expected (N, C) input and (N,) target, got {:?} and {:?}",
            x.shape(),
            target.shape()
        )));
    }
    let (n, c) = (x.shape()[0], x.shape()[1]);
    if target.shape()[0] != n {
        return Err(Error::value(format!("Expected input batch_size ({n}) to match target batch_size ({}).", target.shape()[0])));
    }
    if weight.is_some_and(|w| w.numel() != c) {
        return Err(Error::runtime(format!(
            "weight tensor should be defined either for all {c} classes or no classes but got weight tensor of shape: {:?}",
            weight.unwrap().shape()
        )));
    }
    if crate::gpu::on(x) {
        return crate::gpu::loss::cross_entropy(x, target, weight, red, ignore, eps);
    }
    let fam_ins: Vec<&Tensor> = [Some(x), Some(target), weight].into_iter().flatten().collect();
    if meta::is_meta("cross_entropy_loss", dispatch::family("cross_entropy_loss", &fam_ins)?)? {
        let shape: Vec<usize> = if red == 0 { vec![n] } else { vec![] };
        let out = meta::empty(&shape, x.dtype())?;
        record_ce(x, &out, meta::empty(&[n, c], x.dtype())?, red, 1.0);
        return Ok(out);
    }
    let tc = target.to_dtype_contiguous(DType::I64)?;
    let (_t, ts) = vals::<i64>(&tc)?;
    check_targets(ts, c, ignore)?;
    let wc = weight.map(|w| w.to_dtype_contiguous(x.dtype())).transpose()?;
    let (out, coef, denom) = floats!(x.dtype(), T => {
        let (_x, xs) = vals::<T>(x)?;
        let ws = wc.as_ref().map(vals::<T>).transpose()?;
        let w = ws.as_ref().map(|w| w.1);
        let (loss, denom) = ce_rows(xs, c, ts, w, ignore, eps);
        // a_ij = −d loss_i / d logsoftmax_ij = (1−ε)·w_t·[j=t] + ε/C·w_j (0 for ignored rows)
        let (e, ec) = (cst::<T>(1.0 - eps), cst::<T>(eps / c as f64));
        let mut a = ember_core::filled_vec(zero::<T>(), n * c);
        for i in (0..n).filter(|&i| ts[i] != ignore) {
            let t = ts[i] as usize;
            let row = &mut a[i * c..(i + 1) * c];
            if eps > 0.0 {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = ec * w.map_or(one::<T>(), |w| w[j]);
                }
            }
            row[t] = row[t] + e * w.map_or(one::<T>(), |w| w[t]);
        }
        (reduce_rows(loss, denom, red)?, Tensor::from_vec(a, &[n, c])?, <T as Element>::to_f64(denom))
    });
    record_ce(x, &out, coef, red, denom);
    Ok(out)
}

/// Records cross entropy's backward as differentiable ops, so double backward works:
/// d loss/dx = s·(A·softmax(x) − a), with `a` the per-class coefficients of the log-softmax
/// (see above), A = Σ_j a_j per row and s the reduction's scale of the output gradient.
fn record_ce(x: &Tensor, out: &Tensor, a: Tensor, red: u8, denom: f64) {
    if !needs_grad(&[x]) {
        return;
    }
    let sx = SavedTensor::input(x);
    let sxc = sx.clone();
    record_saving("NllLossBackward0", &[x], &[out], vec![sx], move |gr: &[Option<Tensor>]| {
        let x = sxc.unpack("NllLossBackward0")?;
        let go = scale_grad(gr[0].as_ref().unwrap(), red, denom)?;
        let d = x.softmax_dim(1, false, None)?.mul(&a.sum_dims(&[1], true, None)?)?.sub(&a)?;
        Ok(vec![Some(d.mul(&go)?)])
    });
}

/// The output gradient of a (N,)-row loss, shaped to broadcast over (N, C): per row for
/// reduction 'none', divided by the mean's denominator for 'mean'.
fn scale_grad(go: &Tensor, red: u8, denom: f64) -> Result<Tensor> {
    match red {
        0 => go.unsqueeze(1),
        1 => go.mul_scalar(1.0 / denom),
        _ => Ok(go.clone()),
    }
}

/// `nll_loss(lp (N,C), target (N,))`: −w_t·lp_it, mean divided by Σ w_t.
pub fn nll_loss(x: &Tensor, target: &Tensor, weight: Option<&Tensor>, red: u8, ignore: i64) -> Result<Tensor> {
    float_check(x, "nll_loss")?;
    if x.ndim() != 2 || target.ndim() != 1 {
        return Err(Error::runtime(format!(
            "nll_loss: expected (N, C) input and (N,) target, got {:?} and {:?}",
            x.shape(),
            target.shape()
        )));
    }
    let (n, c) = (x.shape()[0], x.shape()[1]);
    if target.shape()[0] != n {
        return Err(Error::value(format!("Expected input batch_size ({n}) to match target batch_size ({}).", target.shape()[0])));
    }
    if weight.is_some_and(|w| w.numel() != c) {
        return Err(Error::runtime(format!(
            "weight tensor should be defined either for all {c} classes or no classes but got weight tensor of shape: {:?}",
            weight.unwrap().shape()
        )));
    }
    if crate::gpu::on(x) {
        return crate::gpu::loss::nll_loss(x, target, weight, red, ignore);
    }
    let fam_ins: Vec<&Tensor> = [Some(x), Some(target), weight].into_iter().flatten().collect();
    if meta::is_meta("nll_loss", dispatch::family("nll_loss", &fam_ins)?)? {
        let shape: Vec<usize> = if red == 0 { vec![n] } else { vec![] };
        let out = meta::empty(&shape, x.dtype())?;
        record_nll(x, &out, meta::empty(&[n, c], x.dtype())?, red, 1.0);
        return Ok(out);
    }
    let tc = target.to_dtype_contiguous(DType::I64)?;
    let (_t, ts) = vals::<i64>(&tc)?;
    check_targets(ts, c, ignore)?;
    let wc = weight.map(|w| w.to_dtype_contiguous(x.dtype())).transpose()?;
    let dt = x.dtype();
    let (out, coef, denom) = floats!(dt, T => {
        let (_x, xs) = vals::<T>(x)?;
        let ws = wc.as_ref().map(vals::<T>).transpose()?;
        let w = ws.as_ref().map(|w| w.1);
        let mut denom = zero::<T>();
        // a_ij = w_t·[j=t]: loss_i = −Σ_j a_ij·x_ij
        let mut a = ember_core::filled_vec(zero::<T>(), n * c);
        let loss: Vec<T> = (0..n).map(|i| {
            if ts[i] == ignore { return zero::<T>(); }
            let t = ts[i] as usize;
            let wt = w.map_or(one::<T>(), |w| w[t]);
            denom = denom + wt;
            a[i * c + t] = wt;
            -wt * xs[i * c + t]
        }).collect();
        (reduce_rows(loss, denom, red)?, Tensor::from_vec(a, &[n, c])?, <T as Element>::to_f64(denom))
    });
    record_nll(x, &out, coef, red, denom);
    Ok(out)
}

/// nll_loss's backward, −s·a: linear in the output gradient (differentiable in it).
fn record_nll(x: &Tensor, out: &Tensor, a: Tensor, red: u8, denom: f64) {
    if needs_grad(&[x]) {
        record("NllLossBackward0", &[x], &[out], move |gr: &[Option<Tensor>]| {
            let go = scale_grad(gr[0].as_ref().unwrap(), red, denom)?;
            Ok(vec![Some(a.mul(&go)?.neg()?)])
        });
    }
}

/// Stable `binary_cross_entropy_with_logits`: with L = 1 + (pw − 1)·y,
/// loss = w·((1 − y)·x + L·(log(1 + e^(−|x|)) + max(−x, 0))),  d/dx = w·(L·σ(x) − pw·y).
/// `x`, `y`, `w` and `pos_weight` are broadcast to x's shape by the caller.
pub fn bce_with_logits(x: &Tensor, y: &Tensor, w: Option<&Tensor>, pw: Option<&Tensor>, red: u8) -> Result<Tensor> {
    float_check(x, "binary_cross_entropy_with_logits")?;
    if y.shape() != x.shape() {
        return Err(Error::value(format!("Target size ({:?}) must be the same as input size ({:?})", y.shape(), x.shape())));
    }
    if crate::gpu::on(x) {
        return crate::gpu::loss::bce_with_logits(x, y, w, pw, red);
    }
    let dt = x.dtype();
    let fam_ins: Vec<&Tensor> = [Some(x), Some(y), w, pw].into_iter().flatten().collect();
    if meta::is_meta("binary_cross_entropy_with_logits", dispatch::family("binary_cross_entropy_with_logits", &fam_ins)?)? {
        let shape: Vec<usize> = if red == 0 { x.shape().to_vec() } else { vec![] };
        let out = meta::empty(&shape, dt)?;
        let k = meta::empty(x.shape(), dt)?;
        record_bce(x, &out, k.clone(), k, red);
        return Ok(out);
    }
    let yc = y.to_dtype_contiguous(dt)?;
    let wc = w.map(|w| w.to_dtype_contiguous(dt)).transpose()?;
    let pc = pw.map(|p| p.to_dtype_contiguous(dt)).transpose()?;
    let n = x.numel();
    let shape = x.shape().to_vec();
    let (out, kl, kc) = floats!(dt, T => {
        let (_x, xs) = vals::<T>(x)?;
        let (_y, ys) = vals::<T>(&yc)?;
        let ws = wc.as_ref().map(vals::<T>).transpose()?;
        let ps = pc.as_ref().map(vals::<T>).transpose()?;
        let (mut kl, mut kc) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let loss: Vec<T> = (0..n).map(|i| {
            let (xv, yv) = (xs[i], ys[i]);
            let p = ps.as_ref().map_or(one::<T>(), |p| p.1[i]);
            let wv = ws.as_ref().map_or(one::<T>(), |w| w.1[i]);
            let l = one::<T>() + (p - one::<T>()) * yv;
            kl.push(wv * l);
            kc.push(wv * p * yv);
            let sp = (one::<T>() + (-xv.abs()).exp()).ln() + (-xv).max(zero::<T>());
            wv * ((one::<T>() - yv) * xv + l * sp)
        }).collect();
        let denom = cst::<T>(n.max(1) as f64);
        let out = if red == 0 { Tensor::from_vec(loss, &shape)? } else { reduce_rows(loss, denom, red)? };
        (out, Tensor::from_vec(kl, &shape)?, Tensor::from_vec(kc, &shape)?)
    });
    record_bce(x, &out, kl, kc, red);
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
