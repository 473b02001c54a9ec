//! The host kernels of the fused losses (`Backend::class_loss`, `Backend::bce_with_logits`).
use super::cpu::vals;
use super::{BceLoss, ClassLoss};
use crate::ops::nn::check_targets;
use crate::{DType, Element, Result, Tensor};
use num_traits::Float;

fn cst<T: Float>(x: f64) -> T {
    <T as num_traits::NumCast>::from(x).unwrap()
}

pub(super) fn class_loss(
    log_softmax: bool,
    x: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    ignore: i64,
    eps: f64,
) -> Result<ClassLoss> {
    let c = x.shape()[1];
    let tc = target.to_dtype_contiguous(DType::I64)?;
    let (_t, ts) = vals::<i64>(&tc)?;
    check_targets(ts, c, ignore)?;
    let wc = weight.map(|w| w.to_dtype_contiguous(x.dtype())).transpose()?;
    ember_cpu::with_f32_f64_dtype!(x.dtype(), T => {
        let (_x, xs) = vals::<T>(x)?;
        let ws = wc.as_ref().map(vals::<T>).transpose()?;
        class_rows::<T>(log_softmax, xs, c, ts, ws.as_ref().map(|w| w.1), ignore, eps)
    }, return Err(ember_cpu::dispatch::unsupported_dtype("loss", x.dtype())))
}

/// loss_i = (1−ε)·(−w_t·lp_it) + ε/C·(−Σ_j w_j·lp_ij) with lp = x − logsumexp(x) (max
/// subtracted, stable) for cross entropy, lp = x for nll; the coefficients are
/// a_ij = (1−ε)·w_t·[j=t] + ε/C·w_j (0 for ignored rows), so loss_i = −Σ_j a_ij·lp_ij.
fn class_rows<T: Float + Element>(
    log_softmax: bool,
    x: &[T],
    c: usize,
    t: &[i64],
    w: Option<&[T]>,
    ignore: i64,
    eps: f64,
) -> Result<ClassLoss> {
    let n = t.len();
    let zero = T::zero();
    let mut loss = ember_core::filled_vec(zero, n);
    let mut row_w = ember_core::filled_vec(zero, n);
    let mut a = ember_core::filled_vec(zero, n * c);
    let (e, ec) = (cst::<T>(1.0 - eps), cst::<T>(eps / c as f64));
    let wj = |j: usize| w.map_or(T::one(), |w| w[j]);
    for i in (0..n).filter(|&i| t[i] != ignore) {
        let (row, ti) = (&x[i * c..(i + 1) * c], t[i] as usize);
        let lse = if log_softmax {
            let m = row.iter().fold(T::neg_infinity(), |a, &b| a.max(b));
            m + row.iter().fold(zero, |a, &b| a + (b - m).exp()).ln()
        } else {
            zero
        };
        let ar = &mut a[i * c..(i + 1) * c];
        let mut l = -wj(ti) * (row[ti] - lse) * e;
        if eps > 0.0 {
            let mut s = zero;
            for (j, v) in ar.iter_mut().enumerate() {
                *v = ec * wj(j);
                s = s + wj(j) * (row[j] - lse);
            }
            l = l - ec * s;
        }
        ar[ti] = ar[ti] + e * wj(ti);
        loss[i] = l;
        row_w[i] = wj(ti);
    }
    Ok(ClassLoss { loss: Tensor::from_vec(loss, &[n])?, row_w: Tensor::from_vec(row_w, &[n])?, coef: Tensor::from_vec(a, &[n, c])? })
}

/// loss = w·((1 − y)·x + L·(log(1 + e^(−|x|)) + max(−x, 0))), L = 1 + (pw − 1)·y (stable).
pub(super) fn bce_with_logits(x: &Tensor, y: &Tensor, w: Option<&Tensor>, pw: Option<&Tensor>) -> Result<BceLoss> {
    let dt = x.dtype();
    let yc = y.to_dtype_contiguous(dt)?;
    let wc = w.map(|w| w.to_dtype_contiguous(dt)).transpose()?;
    let pc = pw.map(|p| p.to_dtype_contiguous(dt)).transpose()?;
    let (n, shape) = (x.numel(), x.shape());
    ember_cpu::with_f32_f64_dtype!(dt, T => {
        let one = 1.0 as T;
        let (_x, xs) = vals::<T>(x)?;
        let (_y, ys) = vals::<T>(&yc)?;
        let ws = wc.as_ref().map(vals::<T>).transpose()?;
        let ps = pc.as_ref().map(vals::<T>).transpose()?;
        let (mut kl, mut kc) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let loss: Vec<T> = (0..n).map(|i| {
            let (xv, yv) = (xs[i], ys[i]);
            let p = ps.as_ref().map_or(one, |p| p.1[i]);
            let wv = ws.as_ref().map_or(one, |w| w.1[i]);
            let l = one + (p - one) * yv;
            kl.push(wv * l);
            kc.push(wv * p * yv);
            let sp = (one + (-xv.abs()).exp()).ln() + (-xv).max(0.0 as T);
            wv * ((one - yv) * xv + l * sp)
        }).collect();
        Ok(BceLoss { loss: Tensor::from_vec(loss, shape)?, kl: Tensor::from_vec(kl, shape)?, kc: Tensor::from_vec(kc, shape)? })
    }, return Err(ember_cpu::dispatch::unsupported_dtype("loss", dt)))
}
