//! Copies and conversions: `copy_`, `to(dtype)`, fills.
use crate::autograd::{check_inplace, needs_grad, rebase_history, record};
use crate::dispatch::{self, Family};
use crate::{DType, Device, Error, Result, Scalar, Tensor};
use ember_core::layout::broadcast_shapes;

impl Tensor {
    /// Raw `self[...] = src` (broadcast, converted), no autograd, no version bump.
    pub fn copy_from(&self, src: &Tensor) -> Result<()> {
        if src.is_conj() || self.is_conj() {
            return crate::conj::copy_conj(self, src);
        }
        let shape = broadcast_shapes(self.shape(), src.shape())?;
        if shape != self.shape() {
            return Err(Error::runtime(format!(
                "The size of tensor a ({}) must match the size of tensor b ({}) at non-singleton dimension {}",
                self.shape().last().copied().unwrap_or(1),
                src.shape().last().copied().unwrap_or(1),
                self.ndim().saturating_sub(1)
            )));
        }
        // Neither side may be data-free: a meta or sparse source has no bytes to copy, and
        // its null host pointer must never reach a kernel (the cross-device path included).
        for t in [self, src] {
            if t.is_sparse() {
                return Err(dispatch::unsupported("copy_", Family::CpuSparse));
            }
        }
        if src.device() == Device::Meta && self.device() != Device::Meta {
            return Err(no_data());
        }
        let be = dispatch::copy_backend(self, src)?;
        // A source overlapping the destination in memory is read completely first.
        let src = if src.storage().same(self.storage()) && !src.same(self) { src.contiguous_copy()? } else { src.clone() };
        be.copy_(self, &src)
    }

    /// `copy_(src)`: in-place, with history (CopyBackwards) and a version bump.
    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        let track = needs_grad(&[self, src]);
        if track {
            check_inplace(self)?;
        }
        self.check_writable()?;
        self.copy_from(src)?;
        self.bump_version("copy_")?;
        if track && self.dtype().is_inexact() {
            let (sshape, sdt) = (src.shape().to_vec(), src.dtype());
            let others: Vec<&Tensor> = if src.requires_grad() { vec![src] } else { vec![] };
            let has = !others.is_empty();
            rebase_history("CopyBackwards", self, &others, move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                let mut r = vec![None];
                if has {
                    r.push(Some(g.sum_to(&sshape)?.to_dtype(sdt)?));
                }
                Ok(r)
            })?;
        }
        Ok(())
    }

    /// `fill_(value)` with a version bump.
    pub fn fill_(&self, value: Scalar) -> Result<()> {
        value.check_fits(self.dtype())?;
        if needs_grad(&[self]) {
            check_inplace(self)?;
        }
        self.check_writable()?;
        // A conjugate view stores the conjugate of what it shows.
        let value = match value {
            Scalar::Complex(re, im) if self.is_conj() => Scalar::Complex(re, -im),
            v => v,
        };
        dispatch::backend("fill_", &[self])?.fill_(self, value)?;
        self.bump_version("fill_")?;
        if needs_grad(&[self]) {
            rebase_history("FillBackward0", self, &[], |_g: &[Option<Tensor>]| Ok(vec![None]))?;
        }
        Ok(())
    }

    pub fn fill_zero(&self) -> Result<()> {
        dispatch::backend("zero_", &[self])?.fill_(self, Scalar::Int(0))
    }

    /// `self[i] += src[i]` one element at a time, correct even when `self`'s layout
    /// maps several indices to one element (as_strided's adjoint).
    pub fn add_into_overlapping(&self, src: &Tensor) -> Result<()> {
        dispatch::backend("add_", &[self, src])?.add_overlapping_(self, src)
    }

    /// `to(dtype)`: the same tensor when the dtype already matches.
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let out = dispatch::backend("_to_copy", &[self])?.cast(self, dtype)?;
        if needs_grad(&[self]) && dtype.is_inexact() {
            let src = self.dtype();
            record("ToCopyBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| Ok(vec![Some(g[0].as_ref().unwrap().to_dtype(src)?)]));
        }
        Ok(out)
    }

    /// True when any element is NaN or ±Inf.
    pub fn has_nonfinite(&self) -> Result<bool> {
        if !self.dtype().is_float() {
            return Ok(false);
        }
        Ok(self.to_vec::<f64>()?.iter().any(|v| !v.is_finite()))
    }
}

/// PyTorch's text for reading values out of a meta tensor (then why, and what to do).
pub const NO_DATA: &str = "Cannot copy out of meta tensor; no data! A meta tensor has only shape, dtype and strides; \
    create it on a real device (or use .to_empty(device=\"cpu\") on a module) to get values.";

/// PyTorch's error for reading values out of a meta tensor.
pub fn no_data() -> Error {
    Error::NotImplemented(NO_DATA.into())
}

impl Tensor {
    /// `to(device)`: the same tensor when already there; a row-major copy (ToCopyBackward0)
    /// otherwise. Moving to `meta` keeps only the geometry; moving out of `meta` has no data.
    pub fn to_device(&self, device: Device) -> Result<Tensor> {
        if device == self.device() {
            return Ok(self.clone());
        }
        let out = dispatch::transfer_backend(self.device(), device).to_device(self, device)?;
        if needs_grad(&[self]) && self.dtype().is_inexact() {
            // The gradient goes back to where the input lives.
            let src = self.device();
            record("ToCopyBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| Ok(vec![Some(g[0].as_ref().unwrap().to_device(src)?)]));
        }
        Ok(out)
    }
}
