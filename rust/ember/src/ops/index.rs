//! Advanced indexing (`x[idx]`, `x[idx] = v`) and `index_put`, each backward beside its
//! forward. `gather`/`scatter`/`index_*` live in `ops/gather.rs`.
//!
//! Algorithm: the indexed dims are permuted to the front; their index tensors broadcast to
//! one shape B (m elements); the kernel copies, for each j < m, the block of the remaining
//! ("rest") dims at `Σ_k idx_k[j]·stride_k`. The result is B + rest, then B is moved to where
//! the first indexed dim was when the indexed dims are adjacent (NumPy/PyTorch's rule;
//! separated indexed dims leave B in front).
use crate::autograd::{check_inplace, needs_grad, rebase_history, record};
use crate::{DType, Error, Result, Scalar, Tensor};
use ember_core::layout::broadcast_shapes;
use ember_cpu::index as k;

/// Integer values of an index tensor.
pub(crate) fn index_values(t: &Tensor) -> Result<Vec<i64>> {
    if t.dtype().is_float() || t.dtype() == DType::Bool {
        return Err(Error::index(format!(
            "tensors used as indices must be long, int, byte or bool tensors (got {}); convert with .long()",
            t.dtype().name()
        )));
    }
    t.to_vec::<i64>()
}

/// Where each part of an advanced index goes (see the module comment).
pub(crate) struct Plan {
    idx: Vec<Vec<usize>>,
    bshape: Vec<usize>,
    perm: Vec<i64>,
    rest: Vec<usize>,
    at: usize,
}

impl Plan {
    pub(crate) fn new(shape: &[usize], indices: &[Option<Tensor>]) -> Result<Plan> {
        Plan::checked(shape, indices, k::Bounds::Wrap)
    }

    /// `new` with the index range (and error) of `bounds`.
    fn checked(shape: &[usize], indices: &[Option<Tensor>], bounds: k::Bounds) -> Result<Plan> {
        if indices.len() > shape.len() {
            return Err(Error::index(format!("too many indices for tensor of dimension {}", shape.len())));
        }
        let mut bshape: Vec<usize> = vec![];
        let mut first = true;
        for t in indices.iter().flatten() {
            bshape = if first {
                t.shape().to_vec()
            } else {
                broadcast_shapes(&bshape, t.shape())
                    .map_err(|_| {
                        let shapes: Vec<String> = indices.iter().flatten().map(|t| format!("{:?}", t.shape())).collect();
                        Error::index(format!(
                            "shape mismatch: indexing tensors could not be broadcast together with shapes {}",
                            shapes.join(", ")
                        ))
                    })?
                    .to_vec()
            };
            first = false;
        }
        let mut dims = vec![];
        let mut idx = vec![];
        for (d, t) in indices.iter().enumerate() {
            if let Some(t) = t {
                let v = index_values(&t.broadcast_to(&bshape)?.detach())?;
                idx.push(k::check(&v, shape[d], d, bounds)?);
                dims.push(d);
            }
        }
        Ok(Plan::from_parts(shape, dims, idx, bshape))
    }

    /// From already valid indices of the (ascending) `dims`, broadcast to `bshape`.
    pub(crate) fn from_parts(shape: &[usize], dims: Vec<usize>, idx: Vec<Vec<usize>>, bshape: Vec<usize>) -> Plan {
        let adjacent = dims.windows(2).all(|w| w[1] == w[0] + 1);
        let at = if adjacent { dims.first().copied().unwrap_or(0) } else { 0 };
        let others: Vec<usize> = (0..shape.len()).filter(|d| !dims.contains(d)).collect();
        let perm = dims.iter().chain(&others).map(|&d| d as i64).collect();
        let rest = others.iter().map(|&d| shape[d]).collect();
        Plan { idx, bshape, perm, rest, at }
    }

    /// The plan for "index dim `d` of `shape` by the 1-D `index`" (reads it and checks its
    /// range as the op `op` does: `k::Bounds::of`).
    pub(crate) fn along(shape: &[usize], d: usize, index: &Tensor, op: &str) -> Result<Plan> {
        let mut ix: Vec<Option<Tensor>> = vec![None; d];
        ix.push(Some(index.clone()));
        Plan::checked(shape, &ix, k::Bounds::of(op))
    }

    pub(crate) fn result_shape(&self) -> Vec<usize> {
        let mut s = self.rest[..self.at].to_vec();
        s.extend(&self.bshape);
        s.extend(&self.rest[self.at..]);
        s
    }
    /// Dim order taking (B, rest) to the result's order, and its inverse.
    fn order(&self) -> (Vec<i64>, Vec<i64>) {
        let (nb, nr, at) = (self.bshape.len() as i64, self.rest.len() as i64, self.at as i64);
        let fwd: Vec<i64> = (nb..nb + at).chain(0..nb).chain(nb + at..nb + nr).collect();
        let mut inv = vec![0i64; fwd.len()];
        for (i, &f) in fwd.iter().enumerate() {
            inv[f as usize] = i as i64;
        }
        (fwd, inv)
    }

    /// `src[plan]` as a new contiguous tensor, no history.
    pub(crate) fn gather(&self, src: &Tensor) -> Result<Tensor> {
        self.gather_as("index", src)
    }

    /// `gather` for the op `op` (named in the error of a backend without the kernel).
    pub(crate) fn gather_as(&self, op: &'static str, src: &Tensor) -> Result<Tensor> {
        self.gather_on(crate::dispatch::backend(op, &[src])?, op, src)
    }

    /// `gather` on the backend `be`.
    pub(crate) fn gather_on(&self, be: &dyn crate::backend::Backend, op: &'static str, src: &Tensor) -> Result<Tensor> {
        let ls = src.layout().permute(&self.perm)?;
        let mut flat = self.bshape.clone();
        flat.extend(&self.rest);
        let out = be.index_gather(op, src, &ls, &self.idx, &flat)?;
        if self.at == 0 || self.bshape.is_empty() {
            return Ok(out);
        }
        out.permute(&self.order().0)?.contiguous_copy()
    }

    /// `dst[plan] = values` (or `+=`), values broadcast to the result shape; no history.
    pub(crate) fn put(&self, dst: &Tensor, values: &Tensor, accumulate: bool) -> Result<()> {
        self.put_as("index_put_", dst, values, accumulate)
    }

    /// `put` for the op `op` (named in the error of a backend without the kernel).
    pub(crate) fn put_as(&self, op: &'static str, dst: &Tensor, values: &Tensor, accumulate: bool) -> Result<()> {
        self.put_on(crate::dispatch::backend(op, &[dst, values])?, op, dst, values, accumulate)
    }

    /// `put` on the backend `be`.
    pub(crate) fn put_on(
        &self,
        be: &dyn crate::backend::Backend,
        op: &'static str,
        dst: &Tensor,
        values: &Tensor,
        accumulate: bool,
    ) -> Result<()> {
        let rs = self.result_shape();
        let mut v = values.detach();
        // Leading size-1 dims beyond the result's rank are dropped, as PyTorch does.
        while v.ndim() > rs.len() && v.shape()[0] == 1 {
            v = v.squeeze(Some(&[0]))?;
        }
        let v = v.broadcast_to(&rs).map_err(|_| {
            Error::runtime(format!(
                "shape mismatch: value tensor of shape {:?} cannot be broadcast to indexing result of shape {:?}",
                values.shape(),
                rs
            ))
        })?;
        let v = if self.at == 0 || self.bshape.is_empty() { v } else { v.permute(&self.order().1)? };
        let v = v.to_dtype(dst.dtype())?.detach();
        let v = if v.is_contiguous() && !v.storage().same(dst.storage()) { v } else { v.contiguous_copy()? };
        let ld = dst.layout().permute(&self.perm)?;
        be.index_put_(op, dst, &ld, &self.idx, &v, accumulate)
    }
}

/// A gradient summed back to `shape`, which may have extra leading 1s.
pub(crate) fn reduce_to(g: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let mut s = shape;
    while s.len() > g.ndim() && s[0] == 1 {
        s = &s[1..];
    }
    let r = g.sum_to(s)?;
    r.reshape(&shape.iter().map(|&x| x as i64).collect::<ember_core::layout::InlineVec<_>>())
}

fn grad_needed(t: &Tensor) -> bool {
    t.requires_grad() && crate::grad_mode::is_enabled()
}

impl Tensor {
    /// `self[indices]` with one optional integer index tensor per leading dim.
    pub fn index(&self, indices: &[Option<Tensor>]) -> Result<Tensor> {
        let out = Plan::new(self.shape(), indices)?.gather(self)?;
        if needs_grad(&[self]) {
            let (shape, ix) = (self.shape().to_vec(), indices.to_vec());
            record("IndexBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                Ok(vec![Some(Tensor::zeros_on(&shape, g.dtype(), g.device())?.index_put(&ix, g, true)?)])
            });
        }
        Ok(out)
    }

    /// Out-of-place `index_put`: a copy of self with `values` written (or added) at `indices`.
    pub fn index_put(&self, indices: &[Option<Tensor>], values: &Tensor, accumulate: bool) -> Result<Tensor> {
        let plan = Plan::new(self.shape(), indices)?;
        let out = self.contiguous_copy()?;
        plan.put(&out, values, accumulate)?;
        if needs_grad(&[self, values]) {
            let f = index_put_backward(indices, values, accumulate);
            record("IndexPutBackward0", &[self, values], &[&out], move |g: &[Option<Tensor>]| f(g[0].as_ref().unwrap()));
        }
        Ok(out)
    }

    /// In-place `index_put_` (what `x[idx] = v` runs), writing through views.
    pub fn index_put_(&self, indices: &[Option<Tensor>], values: &Tensor, accumulate: bool) -> Result<()> {
        let track = needs_grad(&[self, values]);
        if track {
            check_inplace(self)?;
        }
        self.check_writable()?;
        let plan = Plan::new(self.shape(), indices)?;
        plan.put(self, values, accumulate)?;
        self.bump_version("index_put_")?;
        if track && self.dtype().is_inexact() {
            let f = index_put_backward(indices, values, accumulate);
            let others: Vec<&Tensor> = if grad_needed(values) { vec![values] } else { vec![] };
            let has = !others.is_empty();
            rebase_history("IndexPutBackward0", self, &others, move |g: &[Option<Tensor>]| {
                let mut r = f(g[0].as_ref().unwrap())?;
                if !has {
                    r.truncate(1);
                }
                Ok(r)
            })?;
        }
        Ok(())
    }
}

/// IndexPutBackward0: self's grad is g with the written positions zeroed (kept when
/// accumulating); values' grad is g read back at the indices, summed to values' shape.
fn index_put_backward(indices: &[Option<Tensor>], values: &Tensor, accumulate: bool) -> impl Fn(&Tensor) -> Result<Vec<Option<Tensor>>> {
    let (ix, vshape) = (indices.to_vec(), values.shape().to_vec());
    move |g: &Tensor| {
        let gs = if accumulate { g.clone() } else { g.index_put(&ix, &Tensor::scalar(Scalar::Int(0), g.dtype())?, false)? };
        let gv = reduce_to(&g.index(&ix)?, &vshape)?;
        Ok(vec![Some(gs), Some(gv)])
    }
}
