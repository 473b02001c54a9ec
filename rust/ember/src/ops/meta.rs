//! Shape-only helpers for the `meta` family: outputs carry shape, dtype and strides, no data.
//!
//! Every op's meta arm validates its arguments exactly as the host arm does, then builds its
//! output here instead of running a kernel. Outputs are row-major, like the host kernels'.
use crate::dispatch::{self, Family};
use crate::promote::Arg;
use crate::{DType, Device, Result, Tensor};

/// A data-free row-major output on the meta device.
#[inline]
pub fn empty(shape: &[usize], dtype: DType) -> Result<Tensor> {
    Tensor::empty_on(shape, dtype, Device::Meta)
}

/// A meta tensor with `l`'s strides when `l` is dense and non-overlapping (a permutation of a
/// row-major layout, as PyTorch's `preserve_format` keeps), else row-major.
pub fn empty_preserving(l: &crate::Layout, dtype: DType) -> Result<Tensor> {
    let mut dims: Vec<usize> = (0..l.ndim()).filter(|&d| l.sizes[d] != 1).collect();
    dims.sort_by_key(|&d| std::cmp::Reverse(l.strides[d]));
    let mut expect = 1isize;
    let dense = l.numel() > 0
        && dims.iter().rev().all(|&d| {
            let ok = l.strides[d] == expect;
            expect *= l.sizes[d] as isize;
            ok
        });
    let t = empty(&l.sizes, dtype)?;
    if !dense || l.is_contiguous() {
        return Ok(t);
    }
    // Size-1 dims take the stride a row-major layout of the permuted order gives them.
    let mut strides = l.strides.clone();
    for d in (0..l.ndim()).filter(|&d| l.sizes[d] == 1) {
        strides[d] = (d + 1..l.ndim()).filter(|&e| l.sizes[e] != 1).map(|e| l.strides[e] * l.sizes[e] as isize).max().unwrap_or(1);
    }
    Ok(Tensor::from_parts(t.storage().clone(), crate::Layout::new(l.sizes.clone(), strides, 0), dtype))
}

/// The family of an op whose operands may be Python scalars (only tensors take part).
#[inline]
pub fn family_of_args(op: &'static str, args: &[&Arg]) -> Result<Family> {
    match args {
        [a] => dispatch::family(op, a.as_tensor().as_slice()),
        [a, b] => match (a.as_tensor(), b.as_tensor()) {
            (Some(x), Some(y)) => dispatch::family(op, &[x, y]),
            (Some(x), None) | (None, Some(x)) => dispatch::family(op, &[x]),
            (None, None) => dispatch::family(op, &[]),
        },
        _ => {
            let ts: Vec<&Tensor> = args.iter().filter_map(|a| a.as_tensor()).collect();
            dispatch::family(op, &ts)
        }
    }
}

/// Whether `f` is the meta family, erroring for families without a kernel for `op`.
#[inline]
pub fn is_meta(op: &'static str, f: Family) -> Result<bool> {
    match f {
        Family::CpuStrided => Ok(false),
        Family::Meta => Ok(true),
        f => Err(dispatch::unsupported(op, f)),
    }
}
