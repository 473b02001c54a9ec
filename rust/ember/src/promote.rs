//! PyTorch's result-type rule for ops mixing tensors and Python scalars.
//!
//! Three priority classes: tensors with dims, 0-dim tensors, Python scalars ("wrapped
//! numbers", whose float kind means the *default* dtype). A lower class only matters when it
//! lifts the kind (bool < int < float): `int32 tensor + 2.5 → float32`, `uint8 + 300 → uint8`,
//! `float16 tensor + float64 0-dim → float16`.
use crate::{DType, Scalar, Tensor};
use ember_core::Error;
use std::sync::atomic::{AtomicU8, Ordering};

/// An op argument: a tensor or a Python number.
#[derive(Clone, Debug)]
pub enum Arg {
    T(Tensor),
    S(Scalar),
}

static DEFAULT: AtomicU8 = AtomicU8::new(8); // index into DType::ALL: F32

pub fn default_dtype() -> DType {
    DType::ALL[DEFAULT.load(Ordering::Relaxed) as usize]
}
pub fn set_default_dtype(d: DType) -> ember_core::Result<()> {
    if !d.is_float() {
        return Err(Error::type_(format!("only floating-point types are supported as the default type, got {}", d.name())));
    }
    DEFAULT.store(DType::ALL.iter().position(|&x| x == d).unwrap() as u8, Ordering::Relaxed);
    Ok(())
}

fn combine(higher: Option<DType>, lower: Option<DType>) -> ember_core::Result<Option<DType>> {
    Ok(match (higher, lower) {
        (None, l) => l,
        (h, None) => h,
        (Some(h), Some(l)) => {
            // a lower class only matters when it lifts the kind (bool < int < float < complex);
            // a float tensor lifted to complex keeps its own precision (f32 + 0-dim c128 → c64)
            if l.is_complex() && h.is_float() {
                Some(h.to_complex())
            } else if l.kind() > h.kind() {
                Some(DType::promote(h, l)?)
            } else {
                Some(h)
            }
        }
    })
}

fn fold(acc: Option<DType>, d: DType) -> ember_core::Result<Option<DType>> {
    Ok(Some(match acc {
        Some(a) => DType::promote(a, d)?,
        None => d,
    }))
}

/// The dtype PyTorch computes `args` in; an error where promotion is refused (uint32 with int64).
pub fn result_type(args: &[&Arg]) -> ember_core::Result<DType> {
    let (mut dim, mut zero, mut wrapped) = (None, None, None);
    for a in args {
        match a {
            Arg::T(t) if t.ndim() > 0 => dim = fold(dim, t.dtype())?,
            Arg::T(t) => zero = fold(zero, t.dtype())?,
            Arg::S(s) => wrapped = fold(wrapped, s.dtype(default_dtype()))?,
        }
    }
    Ok(combine(dim, combine(zero, wrapped)?)?.unwrap_or(DType::F32))
}

impl Arg {
    /// As a tensor of `dtype` (scalars become 0-dim tensors).
    pub fn tensor(&self, dtype: DType) -> ember_core::Result<Tensor> {
        match self {
            Arg::T(t) => t.to_dtype(dtype),
            Arg::S(s) => Tensor::scalar(*s, dtype),
        }
    }
    /// `tensor`, borrowing a tensor operand that already has `dtype` (no reference-count
    /// traffic on a per-op path).
    pub fn tensor_cow(&self, dtype: DType) -> ember_core::Result<std::borrow::Cow<'_, Tensor>> {
        match self {
            Arg::T(t) if t.dtype() == dtype => Ok(std::borrow::Cow::Borrowed(t)),
            _ => self.tensor(dtype).map(std::borrow::Cow::Owned),
        }
    }
    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            Arg::T(t) => Some(t),
            Arg::S(_) => None,
        }
    }
    pub fn shape(&self) -> &[usize] {
        match self {
            Arg::T(t) => t.shape(),
            Arg::S(_) => &[],
        }
    }
}
