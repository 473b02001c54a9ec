//! Tensors from nothing: zeros, ones, full, arange, linspace, eye, from data.
use crate::dispatch::Family;
use crate::promote::Arg;
use crate::{DType, Device, Element, Error, Layout, Result, Scalar, Storage, Tensor};
use ember_cpu::copy::fill_scalar;

/// Bytes for a row-major `shape` of `dtype`, refusing shapes whose sizes, strides or byte
/// count overflow (`checked_numel`, then the byte multiplication).
pub(crate) fn nbytes(shape: &[usize], dtype: DType) -> Result<usize> {
    let n = ember_core::layout::checked_numel(shape)?;
    n.checked_mul(dtype.size()).filter(|&b| b <= isize::MAX as usize).ok_or_else(|| {
        Error::runtime(format!(
            "Storage size calculation overflowed with sizes={shape:?}; the tensor would need more bytes than memory can address"
        ))
    })
}

/// The layout PyTorch gives a new elementwise output of `shape` over `operands` (in argument
/// order; a Python scalar takes part as a 0-dim operand).
pub fn elementwise_layout(shape: &[usize], operands: &[&Arg]) -> Layout {
    // The common case without the operand list: every operand a row-major tensor of this shape.
    if operands.iter().all(|a| a.as_tensor().is_some_and(|t| t.shape() == shape && t.is_contiguous())) {
        return Layout::contiguous(shape);
    }
    let ops: Vec<ember_core::layout::Operand> = operands
        .iter()
        .map(|a| match a.as_tensor() {
            Some(t) => (t.shape(), t.strides()),
            None => (&[][..], &[][..]),
        })
        .collect();
    ember_core::layout::elementwise_output(shape, &ops)
}

impl Tensor {
    /// Uninitialised row-major `shape` on `device` (a data-free storage on `meta`).
    pub fn empty_on(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
        Tensor::empty_dense_on(Layout::contiguous(shape), dtype, device)
    }
    /// Uninitialised storage under the dense layout `l` (offset 0, a permutation of row-major,
    /// as `ember_layout::elementwise_output` builds) on `device`. wgpu kernels write row-major,
    /// so a wgpu output stays row-major.
    pub fn empty_dense_on(l: Layout, dtype: DType, device: Device) -> Result<Tensor> {
        // an allocation inside an op: not a dispatch of its own for the trace
        crate::backend::of(Family::of(device)).empty(l, dtype, device)
    }
    /// A new elementwise output of `shape` laid out in its operands' memory order (PyTorch's
    /// TensorIterator rule, `ember_layout::elementwise_output`): `x.t() + y.t()` is transposed.
    pub fn empty_elementwise(shape: &[usize], dtype: DType, device: Device, operands: &[&Arg]) -> Result<Tensor> {
        Tensor::empty_dense_on(elementwise_layout(shape, operands), dtype, device)
    }
    pub fn empty(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Ok(Tensor::from_parts(Storage::uninit(nbytes(shape, dtype)?)?, Layout::contiguous(shape), dtype))
    }
    pub fn zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Ok(Tensor::from_parts(Storage::zeros(nbytes(shape, dtype)?)?, Layout::contiguous(shape), dtype))
    }
    /// `full`: PyTorch refuses a value the dtype can't represent.
    pub fn full(shape: &[usize], value: Scalar, dtype: DType) -> Result<Tensor> {
        value.check_fits(dtype)?;
        Tensor::full_wrapping(shape, value, dtype)
    }
    /// `value` converted to `dtype` as a cast would (wrapping), for scalar operands of
    /// arithmetic (`uint8_tensor + 300` wraps in PyTorch).
    pub fn full_wrapping(shape: &[usize], value: Scalar, dtype: DType) -> Result<Tensor> {
        let t = Tensor::empty(shape, dtype)?;
        fill_scalar(t.storage(), t.layout(), dtype, value);
        Ok(t)
    }
    pub fn ones(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::full(shape, Scalar::Int(1), dtype)
    }
    /// A 0-dim tensor holding `s` converted to `dtype`.
    pub fn scalar(s: Scalar, dtype: DType) -> Result<Tensor> {
        Tensor::full_wrapping(&[], s, dtype)
    }
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        let n = ember_core::layout::checked_numel(shape)?;
        if n != data.len() {
            return Err(Error::value(format!("from_vec: {} values for shape {:?}", data.len(), shape)));
        }
        // SAFETY: `data` holds n initialised `T`s (checked above), read as their n·size_of::<T>()
        // bytes while `data` is borrowed; `Element` types are plain data without padding.
        let bytes = unsafe { std::slice::from_raw_parts(data.as_ptr() as *const u8, n * std::mem::size_of::<T>()) };
        Ok(Tensor::from_parts(Storage::from_bytes(bytes)?, Layout::contiguous(shape), T::DTYPE))
    }
    /// Values given as f64 (floats/bools) or i64 (ints), converted to `dtype`.
    pub fn from_scalars(values: &[Scalar], shape: &[usize], dtype: DType) -> Result<Tensor> {
        let t = Tensor::empty(shape, dtype)?;
        if values.len() != t.numel() {
            return Err(Error::value(format!("from_scalars: {} values for shape {:?}", values.len(), shape)));
        }
        ember_cpu::with_dtype!(dtype, T => {
            let p = t.storage().ptr() as *mut T;
            for (i, v) in values.iter().enumerate() {
                let x = match v {
                    Scalar::Float(f) => T::from_f64(*f),
                    Scalar::Int(i) => T::from_i64(*i),
                    Scalar::Bool(b) => T::from_i64(*b as i64),
                    Scalar::Complex(re, im) => T::from_c128(*re, *im),
                };
                // SAFETY: `t` is a fresh contiguous host tensor of numel() == values.len() elements
                // of T (checked above), so i < numel stays inside its storage.
                unsafe { *p.add(i) = x };
            }
        });
        Ok(t)
    }
    /// `arange(start, end, step)`: length `ceil((end-start)/step)`, computed in f64 for
    /// float dtypes and exactly in i64 for integer ones.
    pub fn arange(start: Scalar, end: Scalar, step: Scalar, dtype: DType) -> Result<Tensor> {
        let (s, e, st) = (start.to_f64(), end.to_f64(), step.to_f64());
        if st == 0.0 {
            return Err(Error::runtime("step must be nonzero"));
        }
        if !(s.is_finite() && e.is_finite()) {
            return Err(Error::runtime(format!("unsupported range: {s} -> {e}")));
        }
        if (st > 0.0 && e < s) || (st < 0.0 && e > s) {
            return Err(Error::runtime("upper bound and larger bound inconsistent with step sign"));
        }
        let n = ((e - s) / st).ceil().max(0.0) as usize;
        let t = Tensor::empty(&[n], dtype)?;
        ember_cpu::with_dtype!(dtype, T => {
            let p = t.storage().ptr() as *mut T;
            let int = matches!((start, end, step), (Scalar::Int(_) | Scalar::Bool(_), _, Scalar::Int(_) | Scalar::Bool(_)));
            for i in 0..n {
                let v = if int && !dtype.is_float() {
                    T::from_i64(start.to_i64() + i as i64 * step.to_i64())
                } else {
                    T::from_f64(s + i as f64 * st)
                };
                // SAFETY: `t` is a fresh contiguous host tensor of n elements of T; i < n.
                unsafe { *p.add(i) = v };
            }
        });
        Ok(t)
    }
    /// `steps` evenly spaced values from `start` to `end` inclusive; the second half is
    /// computed from the end, as PyTorch does, so both endpoints are exact.
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType) -> Result<Tensor> {
        let t = Tensor::empty(&[steps], dtype)?;
        let step = if steps > 1 { (end - start) / (steps - 1) as f64 } else { 0.0 };
        // Fill the first half forward from `start` and the rest backward from `end`, so both
        // ends are exact; with one step the only value is `start`, as in PyTorch.
        let half = if steps == 1 { 1 } else { steps / 2 };
        ember_cpu::with_dtype!(dtype, T => {
            let p = t.storage().ptr() as *mut T;
            for i in 0..steps {
                let v = if i < half { start + step * i as f64 } else { end - step * (steps - 1 - i) as f64 };
                // SAFETY: `t` is a fresh contiguous host tensor of `steps` elements of T; i < steps.
                unsafe { *p.add(i) = T::from_f64(v) };
            }
        });
        Ok(t)
    }
    pub fn eye(n: usize, m: usize, dtype: DType) -> Result<Tensor> {
        let t = Tensor::zeros(&[n, m], dtype)?;
        let d = t.layout().diagonal(0, 0, 1)?;
        fill_scalar(t.storage(), &d, dtype, Scalar::Int(1));
        Ok(t)
    }
    /// `full` on `device`: on `meta` only the geometry (nothing is written or allocated).
    pub fn full_on(shape: &[usize], value: Scalar, dtype: DType, device: Device) -> Result<Tensor> {
        value.check_fits(dtype)?;
        crate::dispatch::backend_on("full", device).full(shape, value, dtype, device)
    }
    pub fn zeros_on(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
        crate::dispatch::backend_on("zeros", device).zeros(shape, dtype, device)
    }
    pub fn zeros_like(&self) -> Result<Tensor> {
        Tensor::zeros_on(self.shape(), self.dtype(), self.device())
    }
    pub fn ones_like(&self) -> Result<Tensor> {
        Tensor::full_on(self.shape(), Scalar::Int(1), self.dtype(), self.device())
    }
}
