//! Fused optimizer steps: one call updates every parameter of a param group in place, with
//! PyTorch's update formulas, so `optimizer.step()` costs one native call instead of a dozen
//! small tensor ops per parameter. No autograd history: optimizers run under no_grad.
//!
//! Each step picks its backend once from every operand (parameters, gradients, states; the
//! 0-dim step counters may live on any device) and runs that backend's fused kernel.
use crate::backend::Backend;
use crate::{Result, Tensor};

/// SGD's hyper-parameters (PyTorch's names).
#[derive(Debug, Clone, Copy)]
pub struct Sgd {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    pub maximize: bool,
}

/// Adam's / AdamW's (`decoupled`) hyper-parameters.
#[derive(Debug, Clone, Copy)]
pub struct Adam {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub amsgrad: bool,
    pub maximize: bool,
    pub decoupled: bool,
}

/// RMSprop's hyper-parameters.
#[derive(Debug, Clone, Copy)]
pub struct RmsProp {
    pub lr: f64,
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub centered: bool,
    pub maximize: bool,
}

/// Adagrad's hyper-parameters.
#[derive(Debug, Clone, Copy)]
pub struct Adagrad {
    pub lr: f64,
    pub lr_decay: f64,
    pub weight_decay: f64,
    pub eps: f64,
    pub maximize: bool,
}

/// The backend of one fused step over `groups` of operands (PyTorch's mixed-device error when
/// they disagree; a sparse gradient reaches the SparseCPU backend's error).
fn backend(op: &'static str, groups: &[&[Tensor]]) -> Result<&'static dyn Backend> {
    let all: Vec<&Tensor> = groups.iter().flat_map(|g| g.iter()).collect();
    crate::dispatch::backend(op, &all)
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
    let states: Vec<Tensor> = bufs.iter().flatten().cloned().collect();
    let h = Sgd { lr, momentum, dampening, weight_decay, nesterov, maximize };
    backend("_fused_sgd_", &[params, grads, states.as_slice()])?.sgd_step(params, grads, bufs, &h)
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
    let h = Adam { lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled };
    let op = if decoupled { "_fused_adamw_" } else { "_fused_adam_" };
    backend(op, &[params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs])?.adam_step(
        params,
        grads,
        exp_avgs,
        exp_avg_sqs,
        max_exp_avg_sqs,
        steps,
        &h,
    )
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
    let h = RmsProp { lr, alpha, eps, weight_decay, momentum, centered, maximize };
    backend("_fused_rmsprop_", &[params, grads, square_avgs, grad_avgs, momentum_bufs])?.rmsprop_step(
        params,
        grads,
        square_avgs,
        grad_avgs,
        momentum_bufs,
        steps,
        &h,
    )
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
    let h = Adagrad { lr, lr_decay, weight_decay, eps, maximize };
    backend("_fused_adagrad_", &[params, grads, sums])?.adagrad_step(params, grads, sums, steps, &h)
}
