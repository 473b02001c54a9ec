//! Shape-building ops that copy: cat, stack, flip, roll, repeat, tril/triu, diag,
//! diag_embed, trace. Each forward runs on detached data, then records its backward.
use crate::autograd::{needs_grad, record};
use crate::dispatch;
use crate::view::ViewFn;
use crate::{DType, Error, Layout, Result, Tensor};
use ember_core::layout::wrap_dim;
use std::sync::Arc;

fn shape_i64(s: &[usize]) -> Vec<i64> {
    s.iter().map(|&x| x as i64).collect()
}

fn diag_fn(offset: i64, d1: i64, d2: i64) -> ViewFn {
    Arc::new(move |l: &Layout| l.diagonal(offset, d1, d2))
}

impl Tensor {
    /// `cat(tensors, dim)`: dtypes promote; 1-D empty tensors are skipped (legacy rule).
    pub fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
        if tensors.is_empty() {
            return Err(Error::runtime("torch.cat(): expected a non-empty list of Tensors"));
        }
        let refs: Vec<&Tensor> = tensors.iter().collect();
        let be = dispatch::backend("cat", &refs)?;
        let dt = tensors.iter().skip(1).try_fold(tensors[0].dtype(), |a, t| DType::promote(a, t.dtype()))?;
        let skip = |t: &Tensor| t.ndim() == 1 && t.numel() == 0;
        let Some(r) = tensors.iter().position(|t| !skip(t)) else {
            return Tensor::empty_on(&[0], dt, tensors[0].device());
        };
        let refr = &tensors[r];
        if let Some(i) = tensors.iter().position(|t| t.ndim() == 0) {
            return Err(Error::runtime(format!("zero-dimensional tensor (at position {i}) cannot be concatenated")));
        }
        let d = wrap_dim(dim, refr.ndim())?;
        let mut total = 0;
        for (i, t) in tensors.iter().enumerate() {
            if skip(t) {
                continue;
            }
            if t.ndim() != refr.ndim() {
                return Err(Error::runtime(format!("Tensors must have same number of dimensions: got {} and {}", refr.ndim(), t.ndim())));
            }
            for k in 0..t.ndim() {
                if k != d && t.shape()[k] != refr.shape()[k] {
                    return Err(Error::runtime(format!(
                        "Sizes of tensors must match except in dimension {d}. Expected size {} but got size {} for tensor number {i} in the list.",
                        refr.shape()[k],
                        t.shape()[k]
                    )));
                }
            }
            total += t.shape()[d];
        }
        let mut shape = refr.shape().to_vec();
        shape[d] = total;
        let parts: Vec<&Tensor> = tensors.iter().filter(|t| !skip(t)).collect();
        let out = be.cat(&parts, d, &shape, dt, refr.device())?;
        let mut spans = vec![];
        let mut off = 0;
        for t in tensors {
            if skip(t) {
                spans.push(None);
                continue;
            }
            let n = t.shape()[d];
            spans.push(Some((off, n)));
            off += n;
        }
        if needs_grad(&refs) && dt.is_inexact() {
            let metas: Vec<(Vec<usize>, DType)> = tensors.iter().map(|t| (t.shape().to_vec(), t.dtype())).collect();
            record("CatBackward0", &refs, &[&out], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                spans
                    .iter()
                    .zip(&metas)
                    .map(|(s, (shape, dt))| {
                        let gi = match s {
                            Some((o, n)) => g.narrow(d as i64, *o as i64, *n as i64)?,
                            None => Tensor::zeros_on(shape, g.dtype(), g.device())?,
                        };
                        Ok(Some(if dt.is_inexact() { gi.to_dtype(*dt)? } else { gi }))
                    })
                    .collect()
            });
        }
        Ok(out)
    }

    pub fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
        if tensors.is_empty() {
            return Err(Error::runtime("stack expects a non-empty TensorList"));
        }
        for (i, t) in tensors.iter().enumerate() {
            if t.shape() != tensors[0].shape() {
                return Err(Error::runtime(format!(
                    "stack expects each tensor to be equal size, but got {:?} at entry 0 and {:?} at entry {i}",
                    tensors[0].shape(),
                    t.shape()
                )));
            }
        }
        let d = wrap_dim(dim, tensors[0].ndim() + 1)?;
        let parts: Vec<Tensor> = tensors.iter().map(|t| t.detach().unsqueeze(d as i64)).collect::<Result<_>>()?;
        let out = Tensor::cat(&parts, d as i64)?.detach();
        let refs: Vec<&Tensor> = tensors.iter().collect();
        if needs_grad(&refs) && out.dtype().is_inexact() {
            let dts: Vec<DType> = tensors.iter().map(|t| t.dtype()).collect();
            record("StackBackward0", &refs, &[&out], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                dts.iter().enumerate().map(|(i, dt)| Ok(Some(g.select(d as i64, i as i64)?.to_dtype(*dt)?))).collect()
            });
        }
        Ok(out)
    }

    /// Records a one-input op whose backward is `f(grad)`.
    fn record1(&self, name: &'static str, out: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static) {
        if needs_grad(&[self]) {
            record(name, &[self], &[out], move |g: &[Option<Tensor>]| Ok(vec![Some(f(g[0].as_ref().unwrap())?)]));
        }
    }

    /// `flip(dims)`: a copy read through negated strides.
    pub fn flip(&self, dims: &[i64]) -> Result<Tensor> {
        let n = self.ndim();
        let mut l = self.layout().clone();
        let mut seen = vec![false; n.max(1)];
        for &d in dims {
            let w = wrap_dim(d, n)?;
            if seen[w] {
                return Err(Error::runtime(format!(
                    "dims has duplicates, original flip dims size={}, but unique flip dims size={}",
                    dims.len(),
                    dims.len() - 1
                )));
            }
            seen[w] = true;
            if n == 0 || l.sizes[w] == 0 {
                continue;
            }
            l.offset = (l.offset as isize + (l.sizes[w] as isize - 1) * l.strides[w]) as usize;
            l.strides[w] = -l.strides[w];
        }
        let out = dispatch::backend("flip", &[self])?.flip(self, &l)?;
        let dims = dims.to_vec();
        self.record1("FlipBackward0", &out, move |g| g.flip(&dims));
        Ok(out)
    }

    /// `roll(shifts, dims)`; with no dims the flattened tensor is rolled.
    pub fn roll(&self, shifts: &[i64], dims: &[i64]) -> Result<Tensor> {
        if dims.is_empty() {
            if shifts.len() != 1 {
                return Err(Error::runtime(format!("shifts and dimensions must align. shifts: {}, dims:0", shifts.len())));
            }
            return self.flatten(0, -1)?.roll(shifts, &[0])?.reshape(&shape_i64(self.shape()));
        }
        if shifts.len() != dims.len() {
            return Err(Error::runtime(format!("shifts and dimensions must align. shifts: {}, dims:{}", shifts.len(), dims.len())));
        }
        let mut cur = self.detach();
        for (&s, &d) in shifts.iter().zip(dims) {
            let w = wrap_dim(d, self.ndim())?;
            let size = cur.shape()[w] as i64;
            if size == 0 {
                continue;
            }
            let s = s.rem_euclid(size);
            if s == 0 {
                continue;
            }
            let parts = [cur.narrow(w as i64, size - s, s)?, cur.narrow(w as i64, 0, size - s)?];
            cur = Tensor::cat(&parts, w as i64)?;
        }
        let out = if cur.storage().same(self.storage()) { cur.contiguous_copy()? } else { cur };
        let (neg, dims) = (shifts.iter().map(|s| -s).collect::<Vec<_>>(), dims.to_vec());
        self.record1("RollBackward0", &out, move |g| g.roll(&neg, &dims));
        Ok(out)
    }

    /// `repeat(reps)`: tiles the tensor `reps[i]` times along dim i (leading dims added).
    pub fn repeat(&self, reps: &[i64]) -> Result<Tensor> {
        if reps.len() < self.ndim() {
            return Err(Error::runtime(format!(
                "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor (repeat got {} dims for a {}-D tensor)",
                reps.len(),
                self.ndim()
            )));
        }
        if let Some(r) = reps.iter().find(|&&r| r < 0) {
            return Err(Error::runtime(format!("Trying to create tensor with negative dimension {r}: {reps:?}")));
        }
        let lead = reps.len() - self.ndim();
        let padded: Vec<usize> = std::iter::repeat_n(1, lead).chain(self.shape().iter().copied()).collect();
        // (s0, s1, …) viewed as (1, s0, 1, s1, …) and expanded to (r0, s0, r1, s1, …).
        let inter: Vec<i64> = padded.iter().flat_map(|&s| [1, s as i64]).collect();
        let big: Vec<i64> = padded.iter().zip(reps).flat_map(|(&s, &r)| [r, s as i64]).collect();
        let final_shape: Vec<i64> = padded.iter().zip(reps).map(|(&s, &r)| r * s as i64).collect();
        let x = self.detach().reshape(&inter)?.expand(&big)?.contiguous_copy()?.reshape(&final_shape)?.detach();
        let orig = shape_i64(self.shape());
        self.record1("RepeatBackward0", &x, move |g| {
            let even: Vec<i64> = (0..big.len() as i64).step_by(2).collect();
            g.reshape(&big)?.sum_dims(&even, false, None)?.reshape(&orig)
        });
        Ok(x)
    }

    fn band(&self, k: i64, lower: bool) -> Result<Tensor> {
        let name = if lower { "tril" } else { "triu" };
        if self.ndim() < 2 {
            return Err(Error::runtime(format!("{name}: input tensor must have at least 2 dimensions (got {})", self.ndim())));
        }
        let out = self.contiguous_copy()?;
        dispatch::backend(name, &[self])?.band_zero_(lower, &out, k)?;
        self.record1(if lower { "TrilBackward0" } else { "TriuBackward0" }, &out, move |g| g.band(k, lower));
        Ok(out)
    }
    pub fn tril(&self, k: i64) -> Result<Tensor> {
        self.band(k, true)
    }
    pub fn triu(&self, k: i64) -> Result<Tensor> {
        self.band(k, false)
    }

    /// `diag(k)`: a vector → a square matrix with it on diagonal k; a matrix → diagonal k.
    pub fn diag(&self, k: i64) -> Result<Tensor> {
        match self.ndim() {
            1 => {
                let n = self.shape()[0] + k.unsigned_abs() as usize;
                let z = Tensor::zeros_on(&[n, n], self.dtype(), self.device())?;
                z.with_layout(z.layout().diagonal(k, 0, 1)?).copy_from(self)?;
                let z = z.detach();
                self.record1("DiagBackward0", &z, move |g| g.diagonal(k, 0, 1));
                Ok(z)
            }
            2 => {
                let out = self.detach().diagonal(k, 0, 1)?.contiguous_copy()?;
                let shape = self.shape().to_vec();
                self.record1("DiagBackward0", &out, move |g| g.view_scatter(&shape, diag_fn(k, 0, 1)));
                Ok(out)
            }
            n => Err(Error::runtime(format!("diag(): Supports 1D or 2D tensors. Got {n}D"))),
        }
    }

    /// `diag_embed(offset, dim1, dim2)`: the last dim becomes diagonal `offset` of the
    /// (dim1, dim2) planes of a new tensor with one more dim.
    pub fn diag_embed(&self, offset: i64, dim1: i64, dim2: i64) -> Result<Tensor> {
        let nd = self.ndim() + 1;
        let (a, b) = (wrap_dim(dim1, nd)?, wrap_dim(dim2, nd)?);
        if a == b {
            return Err(Error::runtime(format!("diagonal dimensions cannot be identical {dim1}, {dim2}")));
        }
        let last = self.shape().last().copied().unwrap_or(1);
        let n = last + offset.unsigned_abs() as usize;
        let mut batch: Vec<usize> = self.shape()[..self.ndim().saturating_sub(1)].to_vec();
        let (lo, hi) = (a.min(b), a.max(b));
        batch.insert(lo, n);
        batch.insert(hi, n);
        let z = Tensor::zeros_on(&batch, self.dtype(), self.device())?;
        z.with_layout(z.layout().diagonal(offset, a as i64, b as i64)?).copy_from(self)?;
        let z = z.detach();
        self.record1("DiagEmbedBackward0", &z, move |g| g.diagonal(offset, a as i64, b as i64));
        Ok(z)
    }

    pub fn trace(&self) -> Result<Tensor> {
        if self.ndim() != 2 {
            return Err(Error::runtime(format!("trace: expected a matrix, but got tensor with dim {}", self.ndim())));
        }
        let out = self.detach().diagonal(0, 0, 1)?.sum_dims(&[], false, None)?;
        let shape = self.shape().to_vec();
        let n = shape[0].min(shape[1]) as i64;
        self.record1("TraceBackward0", &out, move |g| g.expand(&[n])?.contiguous()?.view_scatter(&shape, diag_fn(0, 0, 1)));
        Ok(out)
    }
}
