//! Arithmetic on sparse COO tensors, composed from strided ops on `indices` and `values` so
//! that autograd (and double backward) come from the strided formulas.
use super::{flat_shape, gather_at, linear_index, unravel};
use crate::ops::binary::{binary, BinaryOp};
use crate::promote::Arg;
use crate::{DType, Error, Result, Scalar, Tensor};

/// Records the op as `cpu-sparse` when the function returns, after the strided ops it is
/// composed of have recorded theirs, so a trace shows the family the caller asked for.
struct SparseNote(&'static str);

impl Drop for SparseNote {
    fn drop(&mut self) {
        crate::dispatch::note(self.0, crate::dispatch::Family::CpuSparse);
    }
}

fn dims_i64(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&n| n as i64).collect()
}

impl Tensor {
    /// `to_dense()`: a strided tensor with each value added at its index (duplicates sum).
    pub fn to_dense(&self) -> Result<Tensor> {
        let Some(c) = self.coo() else { return Ok(self.clone()) };
        let _note = SparseNote("to_dense");
        let sd = c.indices.shape()[0];
        let rows: Vec<usize> = flat_shape(self.shape(), sd).iter().map(|&n| n as usize).collect();
        let flat = Tensor::zeros(&rows, self.dtype())?;
        let out = if c.values.shape()[0] == 0 {
            flat
        } else {
            flat.index_add(0, &linear_index(&c.indices, self.shape())?, &c.values, Scalar::Int(1), false)?
        };
        out.reshape(&dims_i64(self.shape()))
    }

    /// `to_sparse(sparse_dim)`: the non-zero entries (rows with any non-zero over the dense
    /// dims), coalesced.
    pub fn to_sparse(&self, sparse_dim: Option<usize>) -> Result<Tensor> {
        if self.is_sparse() {
            if sparse_dim.is_some_and(|d| d != self.sparse_dim()) {
                return Err(Error::runtime("to_sparse: conversion between sparse layouts with a different sparse_dim is not supported"));
            }
            return Ok(self.clone());
        }
        let n = self.ndim();
        let sd = sparse_dim.unwrap_or(n);
        if sd > n {
            return Err(Error::runtime(format!("sparse_dim must be in [0, {n}] for a {n}-d tensor, but got {sd}")));
        }
        let be = crate::dispatch::backend("to_sparse", &[self])?;
        let _note = SparseNote("to_sparse");
        let (indices, values) = be.to_sparse(self, sd)?;
        Ok(Tensor::sparse_from_parts(indices, values, self.shape(), true))
    }

    /// `coalesce()`: indices sorted and unique, values at duplicate indices summed.
    pub fn coalesce(&self) -> Result<Tensor> {
        let c = self.coo_or_err("coalesce")?;
        let _note = SparseNote("coalesce");
        if c.is_coalesced() {
            return Ok(self.clone());
        }
        let sd = c.indices.shape()[0];
        if c.values.shape()[0] == 0 {
            return Ok(Tensor::sparse_from_parts(c.indices.clone(), c.values.clone(), self.shape(), true));
        }
        let lin = linear_index(&c.indices, self.shape())?;
        let (sorted, perm) = lin.sort(0, false)?;
        let (uniq, inverse, _) = sorted.unique(true)?;
        let nu = uniq.shape()[0];
        let rows: Vec<usize> = [nu].into_iter().chain(c.values.shape()[1..].iter().copied()).collect();
        let values =
            Tensor::zeros(&rows, c.values.dtype())?.index_add(0, &inverse, &c.values.index_select(0, &perm)?, Scalar::Int(1), false)?;
        Ok(Tensor::sparse_from_parts(unravel(&uniq, self.shape(), sd)?, values, self.shape(), true))
    }

    /// `sparse + sparse` (a sparse result; coalesced when both were) or `sparse + dense` /
    /// `dense + sparse` (a dense result), with `alpha` scaling `other`.
    pub fn sparse_add(&self, other: &Tensor, alpha: Scalar) -> Result<Tensor> {
        if self.shape() != other.shape() {
            return Err(Error::runtime(format!(
                "add: expected 'self' and 'other' to have same size, but self has size {:?} while other has size {:?} \
                 (FYI: dense-sparse addition does not currently support broadcasting)",
                self.shape(),
                other.shape()
            )));
        }
        crate::dispatch::common_device(&[self, other])?;
        let _note = SparseNote("add");
        let scaled = |t: &Tensor| -> Result<Tensor> {
            if matches!(alpha, Scalar::Int(1)) {
                Ok(t.clone())
            } else {
                binary(BinaryOp::Mul, &Arg::T(t.clone()), &Arg::S(alpha))
            }
        };
        match (self.coo(), other.coo()) {
            (Some(a), Some(b)) => {
                if a.indices.shape()[0] != b.indices.shape()[0] {
                    return Err(Error::runtime(format!(
                        "add: expected both sparse tensors to have the same sparse_dim, got {} and {}",
                        a.indices.shape()[0],
                        b.indices.shape()[0]
                    )));
                }
                let vb = scaled(&b.values)?;
                let dt = DType::promote(a.values.dtype(), vb.dtype())?;
                let values = Tensor::cat(&[a.values.to_dtype(dt)?, vb.to_dtype(dt)?], 0)?;
                let indices = Tensor::cat(&[a.indices.clone(), b.indices.clone()], 1)?;
                let s = Tensor::sparse_from_parts(indices, values, self.shape(), false);
                if a.is_coalesced() && b.is_coalesced() {
                    s.coalesce()
                } else {
                    Ok(s)
                }
            }
            (Some(_), None) => binary(BinaryOp::Add, &Arg::T(self.to_dense()?), &Arg::T(scaled(other)?)),
            (None, Some(_)) => binary(BinaryOp::Add, &Arg::T(self.clone()), &Arg::T(scaled(&other.to_dense()?)?)),
            (None, None) => binary(BinaryOp::Add, &Arg::T(self.clone()), &Arg::T(scaled(other)?)),
        }
    }

    /// `sparse * scalar`, `sparse * dense` (same shape) and `sparse * sparse` (the product on
    /// the common indices); the result is sparse.
    pub fn sparse_mul(&self, other: &Arg) -> Result<Tensor> {
        let (s, o) = match (self.coo(), other) {
            (Some(_), _) => (self.clone(), other.clone()),
            (None, Arg::T(t)) if t.is_sparse() => (t.clone(), Arg::T(self.clone())),
            _ => return binary(BinaryOp::Mul, &Arg::T(self.clone()), other),
        };
        let c = s.coo().expect("sparse");
        let _note = SparseNote("mul");
        match o {
            Arg::S(_) => {
                let v = binary(BinaryOp::Mul, &Arg::T(c.values.clone()), &o)?;
                Ok(Tensor::sparse_from_parts(c.indices.clone(), v, s.shape(), c.is_coalesced()))
            }
            Arg::T(t) if t.ndim() == 0 && !t.is_sparse() => {
                let v = binary(BinaryOp::Mul, &Arg::T(c.values.clone()), &Arg::T(t))?;
                Ok(Tensor::sparse_from_parts(c.indices.clone(), v, s.shape(), c.is_coalesced()))
            }
            Arg::T(t) => {
                if t.shape() != s.shape() {
                    return Err(Error::runtime(format!(
                        "mul: expected 'self' and 'other' to have same size, but self has size {:?} while other has size {:?}; \
                         sparse multiplication does not broadcast",
                        s.shape(),
                        t.shape()
                    )));
                }
                crate::dispatch::common_device(&[&s, &t])?;
                if !t.is_sparse() {
                    let v = binary(BinaryOp::Mul, &Arg::T(c.values.clone()), &Arg::T(gather_at(&t, &c.indices, s.shape())?))?;
                    return Ok(Tensor::sparse_from_parts(c.indices.clone(), v, s.shape(), c.is_coalesced()));
                }
                self.sparse_intersect_mul(&s, &t)
            }
        }
    }

    fn sparse_intersect_mul(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        let (a, b) = (a.coalesce()?, b.coalesce()?);
        let (ca, cb) = (a.coo().expect("sparse"), b.coo().expect("sparse"));
        if ca.indices.shape()[0] != cb.indices.shape()[0] {
            return Err(Error::runtime("mul: both sparse tensors must have the same sparse_dim"));
        }
        let sd = ca.indices.shape()[0];
        let (la, lb) = (linear_index(&ca.indices, a.shape())?, linear_index(&cb.indices, b.shape())?);
        let nb = lb.shape()[0];
        let rows: Vec<usize> = [0].into_iter().chain(ca.values.shape()[1..].iter().copied()).collect();
        if la.shape()[0] == 0 || nb == 0 {
            let dt = DType::promote(ca.values.dtype(), cb.values.dtype())?;
            return Ok(Tensor::sparse_from_parts(Tensor::zeros(&[sd, 0], DType::I64)?, Tensor::zeros(&rows, dt)?, a.shape(), true));
        }
        // Both are sorted: each of a's positions is found in b by binary search.
        let pos = lb.searchsorted(&la, false, false)?;
        let pos = binary(BinaryOp::Minimum, &Arg::T(pos), &Arg::S(Scalar::Int(nb as i64 - 1)))?;
        let hit = crate::ops::compare::compare(crate::ops::compare::CmpOp::Eq, &Arg::T(lb.index_select(0, &pos)?), &Arg::T(la))?;
        let keep = hit.nonzero()?.select(1, 0)?.contiguous()?;
        let va = ca.values.index_select(0, &keep)?;
        let vb = cb.values.index_select(0, &pos.index_select(0, &keep)?)?;
        let v = binary(BinaryOp::Mul, &Arg::T(va), &Arg::T(vb))?;
        Ok(Tensor::sparse_from_parts(ca.indices.index_select(1, &keep)?, v, a.shape(), true))
    }

    /// `sum` over all dims (a dense 0-dim tensor) or over `dims`: dense when every sparse dim
    /// is summed, else sparse (coalesced), as `torch.sparse.sum` does.
    pub fn sparse_sum(&self, dims: Option<&[i64]>, dtype: Option<DType>) -> Result<Tensor> {
        let c = self.coo_or_err("sum")?;
        let _note = SparseNote("sum");
        let n = self.ndim();
        let sd = c.indices.shape()[0];
        let values = match dtype {
            Some(d) => c.values.to_dtype(d)?,
            None => c.values.clone(),
        };
        let Some(dims) = dims else { return values.sum_dims(&[], false, None) };
        let mut wrapped = Vec::new();
        for &d in dims {
            let w = crate::layout::wrap_dim(d, n)?;
            if wrapped.contains(&w) {
                return Err(Error::runtime(format!("dim {w} appears multiple times in the list of dims")));
            }
            wrapped.push(w);
        }
        let dense_red: Vec<i64> = wrapped.iter().filter(|&&d| d >= sd).map(|&d| (d - sd + 1) as i64).collect();
        let values = if dense_red.is_empty() { values } else { values.sum_dims(&dense_red, false, None)? };
        let keep: Vec<usize> = (0..sd).filter(|d| !wrapped.contains(d)).collect();
        if keep.is_empty() {
            return values.sum_dims(&[0], false, None);
        }
        let size: Vec<usize> = (0..n).filter(|d| !wrapped.contains(d)).map(|d| self.shape()[d]).collect();
        if keep.len() == sd {
            return Ok(Tensor::sparse_from_parts(c.indices.clone(), values, &size, c.is_coalesced()));
        }
        let rows = Tensor::from_vec(keep.iter().map(|&d| d as i64).collect::<Vec<_>>(), &[keep.len()])?;
        Tensor::sparse_from_parts(c.indices.index_select(0, &rows)?, values, &size, false).coalesce()
    }

    /// `transpose(d0, d1)` of a sparse tensor: two sparse dims swap index rows, two dense
    /// dims transpose the values.
    pub fn sparse_transpose(&self, d0: i64, d1: i64) -> Result<Tensor> {
        let c = self.coo_or_err("transpose")?;
        let _note = SparseNote("transpose");
        let n = self.ndim();
        let (a, b) = (crate::layout::wrap_dim(d0, n)?, crate::layout::wrap_dim(d1, n)?);
        let sd = c.indices.shape()[0];
        if a == b {
            return Ok(self.clone()); // includes t() of 0-d and 1-d tensors
        }
        let mut size = self.shape().to_vec();
        size.swap(a, b);
        if a < sd && b < sd {
            let mut perm: Vec<i64> = (0..sd as i64).collect();
            perm.swap(a, b);
            let idx = c.indices.index_select(0, &Tensor::from_vec(perm, &[sd])?)?;
            return Ok(Tensor::sparse_from_parts(idx, c.values.clone(), &size, false));
        }
        if a >= sd && b >= sd {
            let v = c.values.transpose((a - sd + 1) as i64, (b - sd + 1) as i64)?;
            return Ok(Tensor::sparse_from_parts(c.indices.clone(), v, &size, c.is_coalesced()));
        }
        Err(Error::runtime(format!(
            "transpose(): can't transpose a sparse dim with a dense dim (dims {a} and {b}; the tensor has {sd} sparse dims); \
             convert with .to_dense() first"
        )))
    }

    /// `sparse @ dense` for a 2-D sparse matrix: each value scales a row of `dense` into its
    /// output row. Differentiable for the dense operand and for `values`.
    pub fn sparse_mm(&self, dense: &Tensor) -> Result<Tensor> {
        let c = self.coo_or_err("mm")?;
        let _note = SparseNote("mm");
        if dense.is_sparse() {
            return Err(Error::NotImplemented(
                "Could not run 'aten::mm' with two sparse COO arguments: ember multiplies sparse @ dense; use a.sparse_mm(b.to_dense())"
                    .into(),
            ));
        }
        if self.ndim() != 2 || c.indices.shape()[0] != 2 {
            return Err(Error::runtime(format!(
                "sparse mm: expected a 2-D sparse matrix with 2 sparse dims, got sizes {:?} with {} sparse dims",
                self.shape(),
                c.indices.shape()[0]
            )));
        }
        if dense.ndim() != 2 {
            return Err(Error::runtime(format!("mat2 must be a matrix, got {}-D tensor", dense.ndim())));
        }
        crate::dispatch::common_device(&[self, dense])?;
        let (n, k) = (self.shape()[0], self.shape()[1]);
        if dense.shape()[0] != k {
            return Err(Error::runtime(format!(
                "mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {}x{})",
                dense.shape()[0],
                dense.shape()[1]
            )));
        }
        let dt = DType::promote(self.dtype(), dense.dtype())?;
        let out = Tensor::zeros(&[n, dense.shape()[1]], dt)?;
        if c.values.shape()[0] == 0 {
            return Ok(out);
        }
        let rows = c.indices.select(0, 0)?.contiguous()?;
        let cols = c.indices.select(0, 1)?.contiguous()?;
        let contrib = binary(BinaryOp::Mul, &Arg::T(c.values.unsqueeze(1)?), &Arg::T(dense.index_select(0, &cols)?))?;
        out.index_add(0, &rows, &contrib.to_dtype(dt)?, Scalar::Int(1), false)
    }
}

/// The binary ops PyTorch defines on sparse COO operands; the rest are refused by name.
pub fn sparse_binary(op: BinaryOp, a: &Arg, b: &Arg) -> Result<Tensor> {
    let unsupported = || crate::dispatch::unsupported(op.name(), crate::dispatch::Family::CpuSparse);
    match (op, a, b) {
        (BinaryOp::Add | BinaryOp::Sub, Arg::T(x), Arg::T(y)) => {
            x.sparse_add(y, if op == BinaryOp::Sub { Scalar::Int(-1) } else { Scalar::Int(1) })
        }
        (BinaryOp::Mul, Arg::T(x), other) if x.is_sparse() => x.sparse_mul(other),
        (BinaryOp::Mul, other, Arg::T(y)) if y.is_sparse() => y.sparse_mul(other),
        (BinaryOp::Div, Arg::T(x), other) if x.is_sparse() && !matches!(other, Arg::T(t) if t.ndim() > 0 || t.is_sparse()) => {
            let _note = SparseNote("div");
            let c = x.coo().expect("sparse");
            let v = binary(BinaryOp::Div, &Arg::T(c.values.clone()), other)?;
            Ok(Tensor::sparse_from_parts(c.indices.clone(), v, x.shape(), c.is_coalesced()))
        }
        // x ** p keeps zeros at zero for p > 0, so only the values change.
        (BinaryOp::Pow, Arg::T(x), Arg::S(p)) if x.is_sparse() && p.to_f64() > 0.0 => {
            let _note = SparseNote("pow");
            // Non-linear: duplicates must be summed before the power, not after.
            let x = x.coalesce()?;
            let c = x.coo().expect("sparse");
            let v = binary(BinaryOp::Pow, &Arg::T(c.values.clone()), b)?;
            Ok(Tensor::sparse_from_parts(c.indices.clone(), v, x.shape(), c.is_coalesced()))
        }
        _ => Err(unsupported()),
    }
}

/// Unary ops that map 0 to 0 apply to the values alone and keep the sparsity pattern.
pub fn sparse_unary(x: &Tensor, op: crate::ops::unary::UOp, p: crate::ops::unary::Params) -> Result<Tensor> {
    use crate::ops::unary::UOp::*;
    let c = x.coo_or_err("unary")?;
    let name = crate::ops::unary::op_name(op);
    let zero_preserving = matches!(
        op,
        Neg | Abs
            | Sign
            | Square
            | Relu
            | Floor
            | Ceil
            | Round
            | Trunc
            | Frac
            | Expm1
            | Log1p
            | Sqrt
            | Sin
            | Tan
            | Asin
            | Atan
            | Sinh
            | Tanh
            | Asinh
            | Atanh
            | Erf
    );
    if !zero_preserving {
        return Err(crate::dispatch::unsupported(name, crate::dispatch::Family::CpuSparse));
    }
    let _note = SparseNote(name);
    // A non-linear op on duplicate entries must see their sum, so coalesce first.
    let coalesced;
    let c = if op == Neg || c.is_coalesced() {
        c
    } else {
        coalesced = x.coalesce()?;
        coalesced.coo().expect("sparse")
    };
    let v = crate::ops::unary::unary(&c.values, op, p)?;
    Ok(Tensor::sparse_from_parts(c.indices.clone(), v, x.shape(), c.is_coalesced()))
}

/// The COO parts of a strided host tensor's non-zero entries (`Backend::to_sparse` on the
/// CPU): rows over the first `sd` dims with any non-zero over the dense dims, row-major.
pub(crate) fn coo_parts(x: &Tensor, sd: usize) -> Result<(Tensor, Tensor)> {
    let n = x.ndim();
    let flat = x.reshape(&flat_shape(x.shape(), sd))?;
    let nz = crate::ops::compare::compare(crate::ops::compare::CmpOp::Ne, &Arg::T(flat.detach()), &Arg::S(Scalar::Int(0)))?;
    let mask =
        if n > sd { nz.logical_dims(ember_cpu::reduce::Logical::Any, &(1..=(n - sd) as i64).collect::<Vec<_>>(), false)? } else { nz };
    let lin = mask.nonzero()?.select(1, 0)?.contiguous()?;
    let values = flat.index_select(0, &lin)?;
    Ok((unravel(&lin, x.shape(), sd)?, values))
}
