//! Random draws. The generator (xoshiro256**, `crate::random`) lives on the host and is
//! consumed in row-major order whatever the device, so a seed gives the same values on every
//! backend; each backend decides only where the values end up (the CPU fills its buffer, wgpu
//! draws on the host and uploads, meta returns a data-free tensor and draws nothing).
use crate::random::Generator;
use crate::{DType, Device, Result, Tensor};

/// A distribution to draw from.
#[derive(Debug, Clone, Copy)]
pub enum Dist {
    /// Uniform in [low, high).
    Uniform { low: f64, high: f64 },
    /// Normal with `mean` and standard deviation `std`.
    Normal { mean: f64, std: f64 },
    /// Integers uniform in [low, low + n).
    Below { low: i64, n: u64 },
}

/// A new `shape` tensor of `dtype` on `device` filled with draws of `dist` (row-major).
pub fn sample(shape: &[usize], dtype: DType, device: Device, dist: Dist, g: &mut Generator) -> Result<Tensor> {
    let family = crate::dispatch::Family::of(device);
    crate::dispatch::note("random_", family);
    crate::backend::of(family).random(shape, dtype, device, dist, g)
}

/// 0/1 draws with probabilities `p` (in [0, 1], PyTorch's RuntimeError otherwise), on `p`'s
/// device, in `p`'s dtype when floating (the default dtype otherwise). Dropout's mask.
pub fn bernoulli(p: &Tensor, g: &mut Generator) -> Result<Tensor> {
    let dt = if p.dtype().is_float() { p.dtype() } else { crate::promote::default_dtype() };
    crate::dispatch::backend("bernoulli", &[p])?.bernoulli(p, dt, g)
}
