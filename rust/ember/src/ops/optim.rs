//! Fused optimizer steps: one call updates every parameter of a param group in place,
//! with PyTorch's update formulas (same order of operations, step counts, bias corrections
//! and eps placement), so `optimizer.step()` costs one native call instead of a dozen small
//! tensor ops per parameter. No autograd history: optimizers run under no_grad.
use crate::backend::cpu::floats;
use crate::{DType, Error, Result, Tensor};
use ember_cpu::threads::{chunks_for, parallel_for, split_range};
use num_traits::Float;

/// A flat view of a contiguous float tensor's elements.
struct Flat {
    ptr: usize,
    len: usize,
}

impl Flat {
    fn of(t: &Tensor, what: &str) -> Result<Flat> {
        crate::dispatch::host_only("_fused_optimizer_step", &[t])?;
        if !t.is_contiguous() {
            return Err(Error::runtime(format!(
                "fused optimizer step: the {what} tensor is not contiguous; optimizers update parameters in place and need row-major storage"
            )));
        }
        Ok(Flat { ptr: t.storage().ptr() as usize + t.offset() * t.dtype().size(), len: t.numel() })
    }
    /// # Safety: the caller guarantees the tensor outlives the slice and no aliasing slice is alive.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slice<T>(&self, lo: usize, hi: usize) -> &mut [T] {
        std::slice::from_raw_parts_mut((self.ptr as *mut T).add(lo), hi - lo)
    }
}

/// Checks one parameter's companions and returns flat views: `[param, grad, states...]`.
/// The gradient is converted to the parameter's dtype/contiguity when it is not already.
fn operands(p: &Tensor, g: &Tensor, states: &[&Tensor], keep: &mut Vec<Tensor>) -> Result<Vec<Flat>> {
    if !matches!(p.dtype(), DType::F32 | DType::F64) {
        return Err(Error::runtime(format!(
            "fused optimizer step supports float32 and float64 parameters, got {}; convert the model with .float()",
            p.dtype().name()
        )));
    }
    if g.shape() != p.shape() {
        return Err(Error::runtime(format!(
            "optimizer step: gradient of shape {:?} doesn't match its parameter's shape {:?}",
            g.shape(),
            p.shape()
        )));
    }
    let g = g.to_dtype_contiguous(p.dtype())?;
    let mut v = vec![Flat::of(p, "parameter")?, Flat::of(&g, "gradient")?];
    keep.push(g);
    for s in states {
        if s.shape() != p.shape() || s.dtype() != p.dtype() {
            return Err(Error::runtime(
                "optimizer step: a state tensor doesn't match its parameter's shape and dtype (was the state loaded for another model?)",
            ));
        }
        v.push(Flat::of(s, "state")?);
    }
    Ok(v)
}

/// Runs `f(lo, hi)` over `0..n`, in parallel chunks for large `n`.
fn chunked(n: usize, f: impl Fn(usize, usize) + Sync + Send) {
    let c = chunks_for(n);
    if c <= 1 {
        f(0, n);
    } else {
        parallel_for(c, |i| {
            let (lo, hi) = split_range(n, c, i);
            f(lo, hi)
        });
    }
}

fn bump(ts: &[&Tensor]) {
    for t in ts {
        t.storage().bump_version_by("optimizer.step");
    }
}

fn c<T: Float>(x: f64) -> T {
    T::from(x).unwrap()
}

/// SGD: `g = ±grad + wd·p; buf = μ·buf + (1−τ)·g (buf = g on the first step);
/// g = nesterov ? g + μ·buf : buf; p −= lr·g`. Returns the momentum buffers (new ones for
/// parameters whose buffer was `None`).
#[allow(clippy::too_many_arguments)]
pub fn sgd_step(
    params: &[Tensor],
    grads: &[Tensor],
    bufs: &[Option<Tensor>],
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
) -> Result<Vec<Option<Tensor>>> {
    if params.first().is_some_and(crate::gpu::on) {
        return crate::gpu::sgd_step(params, grads, bufs, lr, momentum, dampening, weight_decay, nesterov, maximize);
    }
    let mut out = Vec::with_capacity(params.len());
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        let fresh = momentum != 0.0 && bufs.get(i).is_none_or(|b| b.is_none());
        let buf = if momentum == 0.0 {
            None
        } else if fresh {
            Some(Tensor::empty(p.shape(), p.dtype())?)
        } else {
            bufs[i].clone()
        };
        let mut keep = vec![];
        let states: Vec<&Tensor> = buf.iter().collect();
        let f = operands(p, g, &states, &mut keep)?;
        floats!(p.dtype(), T => {
            let (lr, mu, damp, wd): (T, T, T, T) = (c(lr), c(momentum), c(1.0 - dampening), c(weight_decay));
            chunked(f[0].len, |lo, hi| unsafe {
                let (p, g) = (f[0].slice::<T>(lo, hi), f[1].slice::<T>(lo, hi));
                let sign: T = c(if maximize { -1.0 } else { 1.0 });
                // Loop-invariant branches only (the compiler unswitches them), so the loops vectorise.
                if momentum == 0.0 {
                    for (p, &g) in p.iter_mut().zip(g.iter()) {
                        let d = if weight_decay != 0.0 { sign * g + wd * *p } else { sign * g };
                        *p = *p - lr * d;
                    }
                } else {
                    let b = f[2].slice::<T>(lo, hi);
                    let (keep, take): (T, T) = if fresh { (c(0.0), c(1.0)) } else { (mu, damp) };
                    for ((p, &g), b) in p.iter_mut().zip(g.iter()).zip(b.iter_mut()) {
                        let d = if weight_decay != 0.0 { sign * g + wd * *p } else { sign * g };
                        // A fresh buffer starts as d (PyTorch's clone of the first gradient).
                        let nb = if fresh { d } else { keep * *b + take * d };
                        *b = nb;
                        let step = if nesterov { d + mu * nb } else { nb };
                        *p = *p - lr * step;
                    }
                }
            });
        });
        bump(&[p]);
        out.push(buf);
    }
    Ok(out)
}

/// Adam / AdamW (`decoupled`): `m = m + (1−β1)(g − m); v = β2·v + (1−β2)·g²;
/// p −= lr/(1−β1^t) · m / (sqrt(v̂)/sqrt(1−β2^t) + eps)` with `v̂ = max(vmax, v)` under amsgrad.
/// `steps` are the per-parameter step counters (0-dim tensors), incremented here.
#[allow(clippy::too_many_arguments)]
pub fn adam_step(
    params: &[Tensor],
    grads: &[Tensor],
    exp_avgs: &[Tensor],
    exp_avg_sqs: &[Tensor],
    max_exp_avg_sqs: &[Tensor],
    steps: &[Tensor],
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
    decoupled: bool,
) -> Result<()> {
    if params.first().is_some_and(crate::gpu::on) {
        let a = (lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled);
        return crate::gpu::adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7);
    }
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        let (m, v) = (&exp_avgs[i], &exp_avg_sqs[i]);
        let mut states = vec![m, v];
        if amsgrad {
            states.push(max_exp_avg_sqs.get(i).ok_or_else(|| Error::runtime("adam step: amsgrad needs max_exp_avg_sq states"))?);
        }
        let mut keep = vec![];
        let f = operands(p, g, &states, &mut keep)?;
        let step = next_step(&steps[i])?;
        let bc1 = 1.0 - beta1.powf(step);
        let bc2_sqrt = (1.0 - beta2.powf(step)).sqrt();
        let step_size = lr / bc1;
        floats!(p.dtype(), T => {
            let (b1, b2, eps_t, wd): (T, T, T, T) = (c(1.0 - beta1), c(beta2), c(eps), c(weight_decay));
            let (one_b2, bc2s, ss, decay): (T, T, T, T) = (c(1.0 - beta2), c(bc2_sqrt), c(step_size), c(1.0 - lr * weight_decay));
            chunked(f[0].len, |lo, hi| unsafe {
                let (p, g, m, v) = (f[0].slice::<T>(lo, hi), f[1].slice::<T>(lo, hi), f[2].slice::<T>(lo, hi), f[3].slice::<T>(lo, hi));
                for k in 0..p.len() {
                    let mut d = if maximize { -g[k] } else { g[k] };
                    if weight_decay != 0.0 {
                        if decoupled {
                            p[k] = p[k] * decay;
                        } else {
                            d = d + wd * p[k];
                        }
                    }
                    m[k] = m[k] + b1 * (d - m[k]);
                    v[k] = v[k] * b2 + one_b2 * d * d;
                    let vhat = if amsgrad {
                        let vm = &mut f[4].slice::<T>(lo, hi)[k];
                        *vm = if *vm > v[k] { *vm } else { v[k] };
                        *vm
                    } else {
                        v[k]
                    };
                    let denom = vhat.sqrt() / bc2s + eps_t;
                    p[k] = p[k] - ss * (m[k] / denom);
                }
            });
        });
        bump(&[p, m, v]);
    }
    Ok(())
}

/// Increments a 0-dim step counter in place and returns the new count.
fn next_step(s: &Tensor) -> Result<f64> {
    let v = s.item()?.to_f64() + 1.0;
    s.fill_zero()?;
    let one = Tensor::scalar(crate::Scalar::Float(v), s.dtype())?;
    s.copy_from(&one)?;
    s.storage().bump_version_by("optimizer.step");
    Ok(v)
}

/// RMSprop: `sq = α·sq + (1−α)·g²; avg = sqrt(sq − ḡ²) (centered, ḡ = lerp(ḡ, g, 1−α)) or sqrt(sq);
/// avg += eps; momentum: buf = μ·buf + g/avg, p −= lr·buf; else p −= lr·g/avg`.
#[allow(clippy::too_many_arguments)]
pub fn rmsprop_step(
    params: &[Tensor],
    grads: &[Tensor],
    square_avgs: &[Tensor],
    grad_avgs: &[Tensor],
    momentum_bufs: &[Tensor],
    steps: &[Tensor],
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    maximize: bool,
) -> Result<()> {
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        let mut states = vec![&square_avgs[i]];
        let gi = states.len() + 2;
        if centered {
            states.push(grad_avgs.get(i).ok_or_else(|| Error::runtime("rmsprop step: centered needs grad_avg states"))?);
        }
        let bi = states.len() + 2;
        if momentum > 0.0 {
            states.push(momentum_bufs.get(i).ok_or_else(|| Error::runtime("rmsprop step: momentum needs momentum buffers"))?);
        }
        let mut keep = vec![];
        let f = operands(p, g, &states, &mut keep)?;
        next_step(&steps[i])?;
        floats!(p.dtype(), T => {
            let (a, one_a, eps_t, wd, mu, lr_t): (T, T, T, T, T, T) = (c(alpha), c(1.0 - alpha), c(eps), c(weight_decay), c(momentum), c(lr));
            chunked(f[0].len, |lo, hi| unsafe {
                let (p, g, sq) = (f[0].slice::<T>(lo, hi), f[1].slice::<T>(lo, hi), f[2].slice::<T>(lo, hi));
                for k in 0..p.len() {
                    let mut d = if maximize { -g[k] } else { g[k] };
                    if weight_decay != 0.0 {
                        d = d + wd * p[k];
                    }
                    sq[k] = sq[k] * a + one_a * d * d;
                    let avg = if centered {
                        let ga = &mut f[gi].slice::<T>(lo, hi)[k];
                        *ga = *ga + one_a * (d - *ga);
                        (sq[k] - *ga * *ga).sqrt()
                    } else {
                        sq[k].sqrt()
                    } + eps_t;
                    if momentum > 0.0 {
                        let b = &mut f[bi].slice::<T>(lo, hi)[k];
                        *b = *b * mu + d / avg;
                        p[k] = p[k] - lr_t * *b;
                    } else {
                        p[k] = p[k] - lr_t * (d / avg);
                    }
                }
            });
        });
        bump(&states);
        bump(&[p]);
    }
    Ok(())
}

/// Adagrad: `clr = lr / (1 + (t−1)·lr_decay); sum += g²; p −= clr · g / (sqrt(sum) + eps)`.
#[allow(clippy::too_many_arguments)]
pub fn adagrad_step(
    params: &[Tensor],
    grads: &[Tensor],
    sums: &[Tensor],
    steps: &[Tensor],
    lr: f64,
    lr_decay: f64,
    weight_decay: f64,
    eps: f64,
    maximize: bool,
) -> Result<()> {
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        let mut keep = vec![];
        let f = operands(p, g, &[&sums[i]], &mut keep)?;
        let step = next_step(&steps[i])?;
        let clr = lr / (1.0 + (step - 1.0) * lr_decay);
        floats!(p.dtype(), T => {
            let (clr, wd, eps_t): (T, T, T) = (c(clr), c(weight_decay), c(eps));
            chunked(f[0].len, |lo, hi| unsafe {
                let (p, g, s) = (f[0].slice::<T>(lo, hi), f[1].slice::<T>(lo, hi), f[2].slice::<T>(lo, hi));
                for k in 0..p.len() {
                    let mut d = if maximize { -g[k] } else { g[k] };
                    if weight_decay != 0.0 {
                        d = d + wd * p[k];
                    }
                    s[k] = s[k] + d * d;
                    p[k] = p[k] - clr * (d / (s[k].sqrt() + eps_t));
                }
            });
        });
        bump(&[p, &sums[i]]);
    }
    Ok(())
}
