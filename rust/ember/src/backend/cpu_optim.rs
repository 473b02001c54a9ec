//! The CPU backend's fused optimizer steps (`ops::optim` dispatches here): one call updates
//! every parameter of a param group in place, with PyTorch's update formulas (same order of
//! operations, step counts, bias corrections and eps placement). The dispatch checked that
//! every operand is a host strided tensor.
use super::cpu_optim_subnormal::{adam_f32, sgd_momentum_f32};
use crate::ops::optim::{Adagrad, Adam, RmsProp, Sgd};
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
    // The kernels hold one `&mut` slice per operand, so no two may overlap: a gradient sharing
    // the parameter's memory (`p.grad = p.detach()`) is read from a copy; a state overlapping
    // another operand is refused.
    let size = p.dtype().size();
    let overlaps = |a: &Flat, b: &Flat| a.len > 0 && b.len > 0 && a.ptr < b.ptr + b.len * size && b.ptr < a.ptr + a.len * size;
    let pf = Flat::of(p, "parameter")?;
    let g = if overlaps(&pf, &Flat::of(&g, "gradient")?) { g.contiguous_copy()? } else { g };
    let mut v = vec![pf, Flat::of(&g, "gradient")?];
    keep.push(g);
    for s in states {
        if s.shape() != p.shape() || s.dtype() != p.dtype() {
            return Err(Error::runtime(
                "optimizer step: a state tensor doesn't match its parameter's shape and dtype (was the state loaded for another model?)",
            ));
        }
        let sf = Flat::of(s, "state")?;
        if v.iter().any(|o| overlaps(o, &sf)) {
            return Err(Error::runtime(
                "optimizer step: a state tensor shares memory with its parameter, gradient or another state; give each state its own tensor (e.g. .clone())",
            ));
        }
        v.push(Flat::of(s, "state")?);
    }
    Ok(v)
}

/// A parameter below this many elements is stepped on the calling thread when the last
/// product there ran on one thread (`matmul::last_kernel`): its gradient, weights and state
/// were just touched by this core and sit in its cache, and splitting the step moved half of
/// them to the other core and back every step. Lecture model at batch 1, 2 threads (where
/// every product is single-threaded and the 78,400-element first weight was the only split
/// op): 3,553 -> 4,705 steps/s, 15/16 paired rounds. After split products the data is spread
/// over both cores anyway and the split step wins (stepping serially there cost batch 64
/// 7 % and batch 1024 4 %), so the rule leaves those alone.
const CACHE_LOCAL_MAX: usize = 1 << 18;

/// Runs `f(lo, hi)` over `0..n`, in parallel chunks for large `n` (see `CACHE_LOCAL_MAX`).
fn chunked(n: usize, f: impl Fn(usize, usize) + Sync + Send) {
    let mut c = chunks_for(n);
    if c > 1 && n < CACHE_LOCAL_MAX && ember_cpu::matmul::last_kernel().1 <= 1 {
        c = 1;
    }
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

/// Per-dtype fast paths of the fused steps, tried before the portable kernels: float32 has the
/// AVX-512 ones that keep subnormal state fast (`cpu_optim_subnormal`); `None` means "not
/// here", and the portable kernel runs.
trait FastPath: Float {
    fn sgd_momentum<const FRESH: bool>(_p: &mut [Self], _g: &[Self], _b: &mut [Self], _k: SgdK<Self>) -> Option<()> {
        None
    }
    fn adam<const AMSGRAD: bool>(
        _p: &mut [Self],
        _g: &[Self],
        _m: &mut [Self],
        _v: &mut [Self],
        _x: &mut [Self],
        _k: AdamK<Self>,
    ) -> Option<()> {
        None
    }
}

impl FastPath for f64 {}

impl FastPath for f32 {
    fn sgd_momentum<const FRESH: bool>(p: &mut [f32], g: &[f32], b: &mut [f32], k: SgdK<f32>) -> Option<()> {
        sgd_momentum_f32::<FRESH>(p, g, b, k)
    }
    fn adam<const AMSGRAD: bool>(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], x: &mut [f32], k: AdamK<f32>) -> Option<()> {
        adam_f32::<AMSGRAD>(p, g, m, v, x, k)
    }
}

fn c<T: Float>(x: f64) -> T {
    T::from(x).unwrap()
}

/// Calls a kernel's AVX2+FMA copy (`$wide`) where the CPU has those features, else the
/// baseline build (`$narrow`). Rust never contracts `a * b + c` into an FMA, so both copies
/// compute the same bits; the wide one processes 8 (or 4) elements per instruction.
macro_rules! simd {
    ($narrow:ident, $wide:ident $(::<$($g:tt),*>)? ($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            $wide $(::<$($g),*>)? ($($arg),*)
        } else {
            $narrow $(::<$($g),*>)? ($($arg),*)
        }
        #[cfg(not(target_arch = "x86_64"))]
        $narrow $(::<$($g),*>)? ($($arg),*)
    }};
}

/// Defines `$wide`, a copy of the kernel `$narrow<T: Float, const FLAGS: bool...>` compiled
/// with AVX2+FMA enabled.
macro_rules! wide_copy {
    ($wide:ident = $narrow:ident [$($c:ident),*] ($($a:ident : $t:ty),*)) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $wide<T: Float $(, const $c: bool)*>($($a: $t),*) {
            $narrow::<T $(, $c)*>($($a),*)
        }
    };
}

wide_copy!(sgd_plain_avx2 = sgd_plain [](p: &mut [T], g: &[T], k: SgdK<T>));
wide_copy!(sgd_momentum_avx2 = sgd_momentum [FRESH](p: &mut [T], g: &[T], b: &mut [T], k: SgdK<T>));
wide_copy!(adam_avx2 = adam_kernel [AMSGRAD](p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], vmax: &mut [T], k: AdamK<T>));

/// SGD's per-call constants, passed by value: the loops then see loop-invariant flags they can
/// unswitch and slices that cannot alias them (the former closure read them through references
/// that every store might have changed, so it reloaded them per element and never vectorised).
#[derive(Clone, Copy)]
pub(super) struct SgdK<T> {
    pub(super) lr: T,
    pub(super) mu: T,
    pub(super) damp: T,
    pub(super) wd: T,
    pub(super) sign: T,
    pub(super) decay: bool,
    pub(super) nesterov: bool,
}

#[inline(always)]
fn sgd_plain<T: Float>(p: &mut [T], g: &[T], k: SgdK<T>) {
    for (p, &g) in p.iter_mut().zip(g) {
        let d = if k.decay { k.sign * g + k.wd * *p } else { k.sign * g };
        *p = *p - k.lr * d;
    }
}

/// A fresh buffer (`FRESH`) starts as the first update direction (PyTorch's clone of it).
#[inline(always)]
pub(super) fn sgd_momentum<T: Float, const FRESH: bool>(p: &mut [T], g: &[T], b: &mut [T], k: SgdK<T>) {
    let n = p.len();
    let (g, b) = (&g[..n], &mut b[..n]);
    for i in 0..n {
        let d = if k.decay { k.sign * g[i] + k.wd * p[i] } else { k.sign * g[i] };
        let nb = if FRESH { d } else { k.mu * b[i] + k.damp * d };
        b[i] = nb;
        let step = if k.nesterov { d + k.mu * nb } else { nb };
        p[i] = p[i] - k.lr * step;
    }
}

/// Adam's per-call constants (see `SgdK`). `coupled`: L2 decay added to the gradient (Adam);
/// `decoupled`: the parameter shrinks first (AdamW).
#[derive(Clone, Copy)]
pub(super) struct AdamK<T> {
    pub(super) b1: T,
    pub(super) b2: T,
    pub(super) one_b2: T,
    pub(super) eps: T,
    pub(super) wd: T,
    pub(super) decay: T,
    pub(super) bc2s: T,
    pub(super) ss: T,
    pub(super) maximize: bool,
    pub(super) coupled: bool,
    pub(super) decoupled: bool,
}

#[inline(always)]
pub(super) fn adam_kernel<T: Float, const AMSGRAD: bool>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], vmax: &mut [T], k: AdamK<T>) {
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    let vmax = if AMSGRAD { &mut vmax[..n] } else { vmax };
    for i in 0..n {
        let mut d = if k.maximize { -g[i] } else { g[i] };
        if k.decoupled {
            p[i] = p[i] * k.decay;
        }
        if k.coupled {
            d = d + k.wd * p[i];
        }
        m[i] = m[i] + k.b1 * (d - m[i]);
        v[i] = v[i] * k.b2 + k.one_b2 * d * d;
        let vhat = if AMSGRAD {
            let vm = if vmax[i] > v[i] { vmax[i] } else { v[i] };
            vmax[i] = vm;
            vm
        } else {
            v[i]
        };
        let denom = vhat.sqrt() / k.bc2s + k.eps;
        p[i] = p[i] - k.ss * (m[i] / denom);
    }
}

/// SGD: `g = ±grad + wd·p; buf = μ·buf + (1−τ)·g (buf = g on the first step);
/// g = nesterov ? g + μ·buf : buf; p −= lr·g`. Returns the momentum buffers (new ones for
/// parameters whose buffer was `None`).
#[allow(clippy::too_many_arguments)]
pub(super) fn sgd_step(params: &[Tensor], grads: &[Tensor], bufs: &[Option<Tensor>], h: &Sgd) -> Result<Vec<Option<Tensor>>> {
    let Sgd { lr, momentum, dampening, weight_decay, nesterov, maximize } = *h;
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
        ember_cpu::with_f32_f64_dtype!(p.dtype(), T => {
            let k = SgdK::<T> {
                lr: c(lr),
                mu: c(momentum),
                damp: c(1.0 - dampening),
                wd: c(weight_decay),
                sign: c(if maximize { -1.0 } else { 1.0 }),
                decay: weight_decay != 0.0,
                nesterov,
            };
            // SAFETY: every Flat is a contiguous tensor of `len` elements of T (checked in `operands`), alive
            // in `keep`/the arguments for the call; lo..hi ⊂ 0..len and chunks are disjoint. No two operands
            // overlap (`operands` copies an aliasing gradient and refuses an aliasing state), so the `&mut`
            // slices never alias.
            chunked(f[0].len, |lo, hi| unsafe {
                let (p, g) = (f[0].slice::<T>(lo, hi), f[1].slice::<T>(lo, hi));
                if momentum == 0.0 {
                    simd!(sgd_plain, sgd_plain_avx2(p, g, k));
                } else {
                    let b = f[2].slice::<T>(lo, hi);
                    if fresh {
                        if T::sgd_momentum::<true>(p, g, b, k).is_none() {
                            simd!(sgd_momentum, sgd_momentum_avx2::<T, true>(p, g, b, k));
                        }
                    } else if T::sgd_momentum::<false>(p, g, b, k).is_none() {
                        simd!(sgd_momentum, sgd_momentum_avx2::<T, false>(p, g, b, k));
                    }
                }
            });
        }, return Err(ember_cpu::dispatch::unsupported_dtype("optimizer step", p.dtype())));
        bump(&[p]);
        out.push(buf);
    }
    Ok(out)
}

/// Adam / AdamW (`decoupled`): `m = m + (1−β1)(g − m); v = β2·v + (1−β2)·g²;
/// p −= lr/(1−β1^t) · m / (sqrt(v̂)/sqrt(1−β2^t) + eps)` with `v̂ = max(vmax, v)` under amsgrad.
/// `steps` are the per-parameter step counters (0-dim tensors), incremented here.
#[allow(clippy::too_many_arguments)]
pub(super) fn adam_step(
    params: &[Tensor],
    grads: &[Tensor],
    exp_avgs: &[Tensor],
    exp_avg_sqs: &[Tensor],
    max_exp_avg_sqs: &[Tensor],
    steps: &[Tensor],
    h: &Adam,
) -> Result<()> {
    let Adam { lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled } = *h;
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
        ember_cpu::with_f32_f64_dtype!(p.dtype(), T => {
            let (b1, b2, eps_t, wd): (T, T, T, T) = (c(1.0 - beta1), c(beta2), c(eps), c(weight_decay));
            let (one_b2, bc2s, ss, decay): (T, T, T, T) = (c(1.0 - beta2), c(bc2_sqrt), c(step_size), c(1.0 - lr * weight_decay));
            let k = AdamK::<T> { b1, b2, one_b2, eps: eps_t, wd, decay, bc2s, ss, maximize, coupled: weight_decay != 0.0 && !decoupled, decoupled: weight_decay != 0.0 && decoupled };
            // SAFETY: every Flat is a contiguous tensor of `len` elements of T (checked in `operands`), alive
            // in `keep`/the arguments for the call; lo..hi ⊂ 0..len and chunks are disjoint. No two operands
            // overlap (`operands` copies an aliasing gradient and refuses an aliasing state), so the `&mut`
            // slices never alias.
            chunked(f[0].len, |lo, hi| unsafe {
                let (p, g, m, v) = (f[0].slice::<T>(lo, hi), f[1].slice::<T>(lo, hi), f[2].slice::<T>(lo, hi), f[3].slice::<T>(lo, hi));
                let vmax: &mut [T] = if amsgrad { f[4].slice::<T>(lo, hi) } else { &mut [] };
                if amsgrad {
                    if T::adam::<true>(p, g, m, v, vmax, k).is_none() {
                        simd!(adam_kernel, adam_avx2::<T, true>(p, g, m, v, vmax, k));
                    }
                } else if T::adam::<false>(p, g, m, v, vmax, k).is_none() {
                    simd!(adam_kernel, adam_avx2::<T, false>(p, g, m, v, vmax, k));
                }
            });
        }, return Err(ember_cpu::dispatch::unsupported_dtype("optimizer step", p.dtype())));
        bump(&[p, m, v]);
    }
    Ok(())
}

/// RMSprop's per-call constants (see `SgdK`).
#[derive(Clone, Copy)]
struct RmsK<T> {
    a: T,
    one_a: T,
    eps: T,
    wd: T,
    mu: T,
    lr: T,
    maximize: bool,
    decay: bool,
}

/// `ga` (the gradient average) is used only when `CENTERED`, `mb` (momentum) only when `MOMENTUM`.
#[inline(always)]
fn rmsprop_kernel<T: Float, const CENTERED: bool, const MOMENTUM: bool>(
    p: &mut [T],
    g: &[T],
    sq: &mut [T],
    ga: &mut [T],
    mb: &mut [T],
    k: RmsK<T>,
) {
    let n = p.len();
    let (g, sq) = (&g[..n], &mut sq[..n]);
    let ga = if CENTERED { &mut ga[..n] } else { ga };
    let mb = if MOMENTUM { &mut mb[..n] } else { mb };
    for i in 0..n {
        let mut d = if k.maximize { -g[i] } else { g[i] };
        if k.decay {
            d = d + k.wd * p[i];
        }
        sq[i] = sq[i] * k.a + k.one_a * d * d;
        let avg = if CENTERED {
            ga[i] = ga[i] + k.one_a * (d - ga[i]);
            (sq[i] - ga[i] * ga[i]).sqrt()
        } else {
            sq[i].sqrt()
        } + k.eps;
        if MOMENTUM {
            mb[i] = mb[i] * k.mu + d / avg;
            p[i] = p[i] - k.lr * mb[i];
        } else {
            p[i] = p[i] - k.lr * (d / avg);
        }
    }
}

/// Adagrad's per-call constants (see `SgdK`).
#[derive(Clone, Copy)]
struct AdagradK<T> {
    clr: T,
    wd: T,
    eps: T,
    maximize: bool,
    decay: bool,
}

#[inline(always)]
fn adagrad_kernel<T: Float>(p: &mut [T], g: &[T], s: &mut [T], k: AdagradK<T>) {
    let n = p.len();
    let (g, s) = (&g[..n], &mut s[..n]);
    for i in 0..n {
        let mut d = if k.maximize { -g[i] } else { g[i] };
        if k.decay {
            d = d + k.wd * p[i];
        }
        s[i] = s[i] + d * d;
        p[i] = p[i] - k.clr * (d / (s[i].sqrt() + k.eps));
    }
}

wide_copy!(rmsprop_avx2 = rmsprop_kernel [CENTERED, MOMENTUM](p: &mut [T], g: &[T], sq: &mut [T], ga: &mut [T], mb: &mut [T], k: RmsK<T>));
wide_copy!(adagrad_avx2 = adagrad_kernel [](p: &mut [T], g: &[T], s: &mut [T], k: AdagradK<T>));

/// Increments a 0-dim step counter in place and returns the new count.
pub(crate) fn next_step(s: &Tensor) -> Result<f64> {
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
pub(super) fn rmsprop_step(
    params: &[Tensor],
    grads: &[Tensor],
    square_avgs: &[Tensor],
    grad_avgs: &[Tensor],
    momentum_bufs: &[Tensor],
    steps: &[Tensor],
    h: &RmsProp,
) -> Result<()> {
    let RmsProp { lr, alpha, eps, weight_decay, momentum, centered, maximize } = *h;
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
        ember_cpu::with_f32_f64_dtype!(p.dtype(), T => {
            let k = RmsK::<T> { a: c(alpha), one_a: c(1.0 - alpha), eps: c(eps), wd: c(weight_decay), mu: c(momentum), lr: c(lr), maximize, decay: weight_decay != 0.0 };
            // SAFETY: every Flat is a contiguous tensor of `len` elements of T (checked in `operands`), alive
            // in `keep`/the arguments for the call; lo..hi ⊂ 0..len and chunks are disjoint. No two operands
            // overlap (`operands` copies an aliasing gradient and refuses an aliasing state), so the `&mut`
            // slices never alias.
            chunked(f[0].len, |lo, hi| unsafe {
                let (p, g, sq) = (f[0].slice::<T>(lo, hi), f[1].slice::<T>(lo, hi), f[2].slice::<T>(lo, hi));
                let ga = if centered { f[gi].slice::<T>(lo, hi) } else { &mut [] };
                let mb = if momentum > 0.0 { f[bi].slice::<T>(lo, hi) } else { &mut [] };
                match (centered, momentum > 0.0) {
                    (false, false) => simd!(rmsprop_kernel, rmsprop_avx2::<T, false, false>(p, g, sq, ga, mb, k)),
                    (true, false) => simd!(rmsprop_kernel, rmsprop_avx2::<T, true, false>(p, g, sq, ga, mb, k)),
                    (false, true) => simd!(rmsprop_kernel, rmsprop_avx2::<T, false, true>(p, g, sq, ga, mb, k)),
                    (true, true) => simd!(rmsprop_kernel, rmsprop_avx2::<T, true, true>(p, g, sq, ga, mb, k)),
                }
            });
        }, return Err(ember_cpu::dispatch::unsupported_dtype("optimizer step", p.dtype())));
        bump(&states);
        bump(&[p]);
    }
    Ok(())
}

/// Adagrad: `clr = lr / (1 + (t−1)·lr_decay); sum += g²; p −= clr · g / (sqrt(sum) + eps)`.
#[allow(clippy::too_many_arguments)]
pub(super) fn adagrad_step(params: &[Tensor], grads: &[Tensor], sums: &[Tensor], steps: &[Tensor], h: &Adagrad) -> Result<()> {
    let Adagrad { lr, lr_decay, weight_decay, eps, maximize } = *h;
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        let mut keep = vec![];
        let f = operands(p, g, &[&sums[i]], &mut keep)?;
        let step = next_step(&steps[i])?;
        let clr = lr / (1.0 + (step - 1.0) * lr_decay);
        ember_cpu::with_f32_f64_dtype!(p.dtype(), T => {
            let k = AdagradK::<T> { clr: c(clr), wd: c(weight_decay), eps: c(eps), maximize, decay: weight_decay != 0.0 };
            // SAFETY: every Flat is a contiguous tensor of `len` elements of T (checked in `operands`), alive
            // in `keep`/the arguments for the call; lo..hi ⊂ 0..len and chunks are disjoint. No two operands
            // overlap (`operands` copies an aliasing gradient and refuses an aliasing state), so the `&mut`
            // slices never alias.
            chunked(f[0].len, |lo, hi| unsafe {
                let (p, g, s) = (f[0].slice::<T>(lo, hi), f[1].slice::<T>(lo, hi), f[2].slice::<T>(lo, hi));
                simd!(adagrad_kernel, adagrad_avx2(p, g, s, k));
            });
        }, return Err(ember_cpu::dispatch::unsupported_dtype("optimizer step", p.dtype())));
        bump(&[p, &sums[i]]);
    }
    Ok(())
}
