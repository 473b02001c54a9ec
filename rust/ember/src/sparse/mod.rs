//! Sparse COO tensors: `indices` (int64, sparse_dim × nnz) and `values` (nnz × dense dims),
//! with the logical shape in the owning tensor's layout. Ops compose strided kernels over
//! those two tensors, so autograd flows to `values` through the ordinary tape.
use crate::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Coo {
    pub indices: Tensor,
    pub values: Tensor,
    coalesced: AtomicBool,
}

impl Coo {
    pub fn new(indices: Tensor, values: Tensor, coalesced: bool) -> Coo {
        Coo { indices, values, coalesced: AtomicBool::new(coalesced) }
    }
    pub fn is_coalesced(&self) -> bool {
        self.coalesced.load(Ordering::Relaxed)
    }
    /// `_coalesced_(True)`: the caller vouches that indices are unique and sorted.
    pub fn set_coalesced(&self, v: bool) {
        self.coalesced.store(v, Ordering::Relaxed)
    }
}

mod ops;
pub(crate) use ops::coo_parts;
pub use ops::{sparse_binary as binary, sparse_unary as unary};

use crate::autograd::{needs_grad, record};
use crate::{DType, Device, Error, Layout, Result, Storage, TensorImpl};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

impl Tensor {
    /// A sparse COO tensor of logical `size` over `indices` (int64, sparse_dim × nnz) and
    /// `values` (nnz × dense sizes). Its storage holds no data; the two parts do.
    pub(crate) fn sparse_from_parts(indices: Tensor, values: Tensor, size: &[usize], coalesced: bool) -> Tensor {
        let dtype = values.dtype();
        let t = Tensor(Arc::new(TensorImpl {
            storage: Storage::meta(0),
            layout: Layout::contiguous(size),
            dtype,
            device: Device::Cpu,
            base: None,
            sparse: Some(Arc::new(Coo::new(indices, values.clone(), coalesced))),
            tracked: Default::default(),
            meta: Mutex::new(Default::default()),
            pyobj: AtomicUsize::new(0),
            inference: crate::grad_mode::is_inference(),
            conj: false,
            resolved: None,
        }));
        // Ops read `values` directly, so gradients reach it through the ordinary tape; this
        // node only makes the sparse tensor itself report requires_grad / grad_fn as PyTorch's
        // does, and lets `s.backward(dense_grad)` reach `values`.
        if needs_grad(&[&values]) {
            let coo_idx = t.coo().map(|c| c.indices.clone()).unwrap_or_else(|| values.clone());
            let size = size.to_vec();
            record("SparseCooTensorWithDimsAndTensorsBackward0", &[&values], &[&t], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().ok_or_else(|| Error::runtime("missing gradient"))?;
                let g = if g.is_sparse() { g.to_dense()? } else { g.clone() };
                Ok(vec![Some(gather_at(&g, &coo_idx, &size)?)])
            });
        }
        t
    }

    /// `torch.sparse_coo_tensor(indices, values, size)`: validates the parts like PyTorch does
    /// (int64 2-D indices, one value row per index column, indices inside `size`), inferring
    /// `size` from the largest index when it is not given.
    pub fn sparse_coo(
        indices: &Tensor,
        values: &Tensor,
        size: Option<&[usize]>,
        is_coalesced: bool,
        requires_grad: bool,
    ) -> Result<Tensor> {
        if indices.is_sparse() || values.is_sparse() {
            return Err(Error::runtime("sparse_coo_tensor: indices and values must be dense (strided) tensors"));
        }
        crate::dispatch::common_device(&[indices, values])?;
        if indices.dtype() != DType::I64 {
            return Err(Error::runtime(format!(
                "indices must be an int64 tensor, got {}; convert with indices.long()",
                indices.dtype().name()
            )));
        }
        if indices.ndim() != 2 {
            return Err(Error::runtime(format!(
                "indices must be sparse_dim x nnz, but got: {:?}; pass a 2-D tensor with one row per sparse dimension",
                indices.shape()
            )));
        }
        if values.ndim() == 0 {
            return Err(Error::runtime("values must be at least 1-dimensional (one entry per index column)"));
        }
        let (sd, nnz) = (indices.shape()[0], indices.shape()[1]);
        if values.shape()[0] != nnz {
            return Err(Error::runtime(format!(
                "indices and values must have same nnz, but got nnz from indices: {nnz}, nnz from values: {}",
                values.shape()[0]
            )));
        }
        let dense_sizes = &values.shape()[1..];
        let maxes: Vec<i64> = if nnz == 0 { vec![-1; sd] } else { indices.amax_dims(true, &[1], false)?.to_vec::<i64>()? };
        let mins: Vec<i64> = if nnz == 0 { vec![0; sd] } else { indices.amax_dims(false, &[1], false)?.to_vec::<i64>()? };
        if let Some(m) = mins.iter().find(|&&m| m < 0) {
            return Err(Error::runtime(format!(
                "found negative index {m} for dim {}; sparse indices must be non-negative",
                mins.iter().position(|x| x == m).unwrap()
            )));
        }
        let size: Vec<usize> = match size {
            Some(s) => {
                if s.len() != sd + dense_sizes.len() {
                    return Err(Error::runtime(format!(
                        "number of dimensions must be sparse_dim ({sd}) + dense_dim ({}), but got {}",
                        dense_sizes.len(),
                        s.len()
                    )));
                }
                for (d, (&m, &n)) in maxes.iter().zip(s).enumerate() {
                    if m >= n as i64 {
                        return Err(Error::runtime(format!(
                            "size is inconsistent with indices: for dim {d}, size is {n} but found index {m}"
                        )));
                    }
                }
                if &s[sd..] != dense_sizes {
                    return Err(Error::runtime(format!(
                        "values has incorrect size, expected {:?}, got {:?}",
                        [&[nnz], &s[sd..]].concat(),
                        values.shape()
                    )));
                }
                s.to_vec()
            }
            None => maxes.iter().map(|&m| (m + 1).max(0) as usize).chain(dense_sizes.iter().copied()).collect(),
        };
        if requires_grad {
            // A sparse leaf: its values become a leaf of their own that collects the gradient,
            // which `grad` reports back as a sparse tensor with these indices.
            let leaf_values = values.detach();
            leaf_values.set_requires_grad(true)?;
            let t = Tensor::sparse_from_parts(indices.clone(), leaf_values, &size, is_coalesced);
            t.0.meta.lock().unwrap_or_else(|e| e.into_inner()).grad_fn = None;
            t.set_requires_grad(true)?;
            return Ok(t);
        }
        Ok(Tensor::sparse_from_parts(indices.clone(), values.clone(), &size, is_coalesced))
    }

    /// The gradient of a sparse leaf: its values' gradient at its indices (None before backward).
    pub fn sparse_grad(&self) -> Option<Tensor> {
        let c = self.coo()?;
        let g = c.values.grad()?;
        Some(Tensor::sparse_from_parts(c.indices.clone(), g, self.shape(), c.is_coalesced()))
    }

    /// Number of sparse dims (the index rows); `ndim()` for a strided tensor's `to_sparse`.
    pub fn sparse_dim(&self) -> usize {
        self.coo().map_or(0, |c| c.indices.shape()[0])
    }
    pub fn dense_dim(&self) -> usize {
        self.coo().map_or(self.ndim(), |c| c.values.ndim() - 1)
    }
    pub fn nnz(&self) -> Result<usize> {
        Ok(self.coo_or_err("_nnz")?.values.shape()[0])
    }
    pub(crate) fn coo_or_err(&self, op: &str) -> Result<&Coo> {
        self.coo()
            .ok_or_else(|| Error::runtime(format!("{op}: expected a sparse COO tensor, got a strided one; convert with .to_sparse()")))
    }
}

/// Row-major strides of the sparse dims, as an int64 column (sparse_dim × 1).
fn lin_strides(size: &[usize], sd: usize) -> Result<Tensor> {
    let st: Vec<i64> = Layout::contiguous(&size[..sd]).strides.iter().map(|&s| s as i64).collect();
    Tensor::from_vec(st, &[sd, 1])
}

/// The dense tensor's shape with its sparse dims flattened into one: (prod(sparse), dense…),
/// the shape in which each index column addresses one row.
pub(crate) fn flat_shape(size: &[usize], sd: usize) -> Vec<i64> {
    let p: usize = size[..sd].iter().product();
    [p as i64].into_iter().chain(size[sd..].iter().map(|&n| n as i64)).collect()
}

/// The flat position of each index column within the sparse dims (nnz int64).
pub(crate) fn linear_index(indices: &Tensor, size: &[usize]) -> Result<Tensor> {
    let sd = indices.shape()[0];
    if sd == 0 {
        return Tensor::zeros(&[indices.shape()[1]], DType::I64);
    }
    indices.mul(&lin_strides(size, sd)?)?.sum_dims(&[0], false, None)
}

/// Index columns (sparse_dim × n) back from flat positions.
pub(crate) fn unravel(lin: &Tensor, size: &[usize], sd: usize) -> Result<Tensor> {
    use crate::ops::binary::{binary, BinaryOp};
    use crate::promote::Arg;
    let st = lin_strides(size, sd)?;
    let q = binary(BinaryOp::DivFloor, &Arg::T(lin.unsqueeze(0)?), &Arg::T(st))?;
    let sizes = Tensor::from_vec(size[..sd].iter().map(|&n| n as i64).collect::<Vec<_>>(), &[sd, 1])?;
    binary(BinaryOp::Rem, &Arg::T(q), &Arg::T(sizes))
}

/// The rows of dense `g` (logical `size`) at each index column: a gather shaped like `values`.
pub(crate) fn gather_at(g: &Tensor, indices: &Tensor, size: &[usize]) -> Result<Tensor> {
    g.reshape(&flat_shape(size, indices.shape()[0]))?.index_select(0, &linear_index(indices, size)?)
}
