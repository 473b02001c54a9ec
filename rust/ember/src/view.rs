//! View ops: a new Layout over the same Storage, O(ndim), with their backward formulas.
//!
//! Backward of a view that selects a region (select, narrow, slice, diagonal, as_strided)
//! is the same region-selection applied to a zero tensor of the input's shape, filled with
//! the gradient (`view_scatter`); its own backward is the view again, so double backward
//! works.
use crate::autograd::{needs_grad, record};
use crate::{Error, Layout, Result, Tensor};
use ember_core::layout::{wrap_dim, LayoutError};
use std::sync::Arc;

pub type ViewFn = Arc<dyn Fn(&Layout) -> std::result::Result<Layout, LayoutError> + Send + Sync>;

/// Views re-read a strided buffer; a sparse COO tensor has none (layout is its own dispatch
/// axis), so every view but `transpose`/`t` (which have sparse rules) refuses it here, before
/// its data-free storage could be mistaken for anything else.
fn strided_only(t: &Tensor, op: &'static str) -> Result<()> {
    if !is_strided(t) {
        return Err(crate::dispatch::unsupported(op, crate::dispatch::Family::CpuSparse));
    }
    Ok(())
}

/// Whether `t` is a strided tensor (neither sparse nor a view of one's data-free storage).
#[inline]
fn is_strided(t: &Tensor) -> bool {
    !(t.is_sparse() || (t.device().is_host() && !t.storage().device().is_host()))
}

/// `strided_only` for a view known by its grad_fn name, whose ATen name is looked up only for
/// the error (the lookup compares strings: 1.5 % of a 10-element `x[1:3]`).
#[inline]
fn strided_view(t: &Tensor, grad_fn: &'static str) -> Result<()> {
    if !is_strided(t) {
        return Err(crate::dispatch::unsupported(aten_name(grad_fn), crate::dispatch::Family::CpuSparse));
    }
    Ok(())
}

/// The ATen name of a view from its grad_fn name: "SelectBackward0" → "select".
fn aten_name(grad_fn: &'static str) -> &'static str {
    match grad_fn {
        "SelectBackward0" => "select",
        "SliceBackward0" => "slice",
        "NarrowBackward0" => "narrow",
        "DiagonalBackward0" => "diagonal",
        "UnfoldBackward0" => "unfold",
        "SqueezeBackward0" | "SqueezeBackward1" => "squeeze",
        "UnsqueezeBackward0" => "unsqueeze",
        "ViewBackward0" => "view",
        "UnsafeViewBackward0" => "_unsafe_view",
        "ExpandBackward0" => "expand",
        "AsStridedBackward0" => "as_strided",
        _ => "view",
    }
}

impl Tensor {
    /// Applies a region-selecting view `f`; backward scatters into zeros of our shape.
    /// `f` becomes a shared `ViewFn` only when autograd records it: a view without history (a
    /// slice in a data loop, an index in a training step's loss) allocates nothing for it.
    pub fn view_with<F>(&self, name: &'static str, f: F) -> Result<Tensor>
    where
        F: Fn(&Layout) -> std::result::Result<Layout, LayoutError> + Send + Sync + 'static,
    {
        strided_view(self, name)?;
        let out = self.with_layout(f(self.layout())?);
        if needs_grad(&[self]) {
            let f: ViewFn = Arc::new(f);
            let shape = self.shape().to_vec();
            record(name, &[self], &[&out], move |g: &[Option<Tensor>]| {
                Ok(vec![Some(g[0].as_ref().unwrap().view_scatter(&shape, f.clone())?)])
            });
        }
        Ok(out)
    }

    /// Zeros of `shape` whose region `f` holds `self` (the adjoint of the view `f`).
    pub fn view_scatter(&self, shape: &[usize], f: ViewFn) -> Result<Tensor> {
        let z = Tensor::zeros_on(shape, self.dtype(), self.device())?;
        let region = z.with_layout(f(z.layout())?);
        region.copy_from(self)?;
        let z = z.detach();
        if needs_grad(&[self]) {
            let f2 = f.clone();
            record("ViewScatterBackward0", &[self], &[&z], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                let f3 = f2.clone();
                Ok(vec![Some(g.view_with("ViewBackward0", move |l: &Layout| f3(l))?.contiguous()?)])
            });
        }
        Ok(z)
    }

    /// Like `view_with` for views whose backward is a reshape back to our shape.
    fn reshaping_view(&self, name: &'static str, layout: Layout) -> Result<Tensor> {
        strided_view(self, name)?;
        let out = self.with_layout(layout);
        if needs_grad(&[self]) {
            let shape: Vec<i64> = self.shape().iter().map(|&s| s as i64).collect();
            record(name, &[self], &[&out], move |g: &[Option<Tensor>]| Ok(vec![Some(g[0].as_ref().unwrap().reshape(&shape)?)]));
        }
        Ok(out)
    }

    pub fn view(&self, shape: &[i64]) -> Result<Tensor> {
        strided_only(self, "view")?;
        let l = self.layout().view(shape)?;
        self.reshaping_view("ViewBackward0", l)
    }

    /// A view when the strides allow one, else a copy.
    pub fn reshape(&self, shape: &[i64]) -> Result<Tensor> {
        match self.layout().view(shape) {
            Ok(l) => self.reshaping_view("ViewBackward0", l),
            Err(LayoutError::ViewStrides { .. }) => {
                let c = self.contiguous()?;
                let l = c.layout().view(shape)?;
                c.reshaping_view("UnsafeViewBackward0", l)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn flatten(&self, start: i64, end: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            return self.reshape(&[1]);
        }
        let (s, e) = (wrap_dim(start, self.ndim())?, wrap_dim(end, self.ndim())?);
        if s > e {
            return Err(Error::runtime("flatten() has invalid args: start_dim cannot come after end_dim"));
        }
        let mut shape: Vec<i64> = self.shape()[..s].iter().map(|&x| x as i64).collect();
        shape.push(self.shape()[s..=e].iter().product::<usize>() as i64);
        shape.extend(self.shape()[e + 1..].iter().map(|&x| x as i64));
        self.reshape(&shape)
    }

    pub fn unflatten(&self, dim: i64, sizes: &[i64]) -> Result<Tensor> {
        if self.ndim() == 0 {
            return Err(Error::runtime("unflatten() cannot be applied to a 0-dim tensor; it needs a dimension to split"));
        }
        let d = wrap_dim(dim, self.ndim())?;
        let inner = Layout::infer_shape(sizes, self.shape()[d])?;
        let mut shape: Vec<i64> = self.shape().iter().map(|&x| x as i64).collect();
        shape.splice(d..d + 1, inner.iter().map(|&x| x as i64));
        self.reshape(&shape)
    }

    pub fn squeeze(&self, dims: Option<&[i64]>) -> Result<Tensor> {
        let l = self.layout().squeeze(dims)?;
        self.reshaping_view(if dims.is_some() { "SqueezeBackward1" } else { "SqueezeBackward0" }, l)
    }

    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        let l = self.layout().unsqueeze(dim)?;
        self.reshaping_view("UnsqueezeBackward0", l)
    }

    pub fn permute(&self, dims: &[i64]) -> Result<Tensor> {
        strided_only(self, "permute")?;
        let l = self.layout().permute(dims)?;
        let out = self.with_layout(l);
        if needs_grad(&[self]) {
            let n = self.ndim();
            let mut inv = vec![0i64; n];
            for (i, &d) in dims.iter().enumerate() {
                inv[wrap_dim(d, n)?] = i as i64;
            }
            record("PermuteBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| Ok(vec![Some(g[0].as_ref().unwrap().permute(&inv)?)]));
        }
        Ok(out)
    }

    pub fn transpose(&self, d0: i64, d1: i64) -> Result<Tensor> {
        self.transpose_named("TransposeBackward0", d0, d1)
    }

    fn transpose_named(&self, name: &'static str, d0: i64, d1: i64) -> Result<Tensor> {
        if self.is_sparse() {
            return self.sparse_transpose(d0, d1);
        }
        let l = self.layout().transpose(d0, d1)?;
        let out = self.with_layout(l);
        if needs_grad(&[self]) {
            record(name, &[self], &[&out], move |g: &[Option<Tensor>]| Ok(vec![Some(g[0].as_ref().unwrap().transpose(d0, d1)?)]));
        }
        Ok(out)
    }

    /// `t()`: transposes a ≤2-D tensor.
    pub fn t(&self) -> Result<Tensor> {
        if self.ndim() > 2 {
            return Err(Error::runtime(format!("t() expects a tensor with <= 2 dimensions, but self is {}D", self.ndim())));
        }
        if self.ndim() < 2 {
            return self.transpose_named("TBackward0", 0, 0);
        }
        self.transpose_named("TBackward0", 0, 1)
    }

    pub fn movedim(&self, src: &[i64], dst: &[i64]) -> Result<Tensor> {
        self.permute(&ember_core::layout::movedim_order(self.ndim(), src, dst)?)
    }

    pub fn expand(&self, shape: &[i64]) -> Result<Tensor> {
        strided_only(self, "expand")?;
        let l = self.layout().expand(shape)?;
        let out = self.with_layout(l);
        if needs_grad(&[self]) {
            let s = self.shape().to_vec();
            record("ExpandBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| Ok(vec![Some(g[0].as_ref().unwrap().sum_to(&s)?)]));
        }
        Ok(out)
    }

    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        self.expand(&shape.iter().map(|&s| s as i64).collect::<Vec<_>>())
    }

    pub fn narrow(&self, dim: i64, start: i64, length: i64) -> Result<Tensor> {
        self.layout().narrow(dim, start, length)?;
        self.view_with("SliceBackward0", move |l: &Layout| l.narrow(dim, start, length))
    }

    /// `x[start:end:step]` along `dim` (Python slice semantics, step > 0).
    pub fn slice(&self, dim: i64, start: i64, end: i64, step: i64) -> Result<Tensor> {
        if step <= 0 {
            return Err(Error::value("step must be greater than zero"));
        }
        let d = wrap_dim(dim, self.ndim())?;
        self.view_with("SliceBackward0", move |l: &Layout| Ok(l.slice(d, start, end, step as usize)))
    }

    pub fn select(&self, dim: i64, index: i64) -> Result<Tensor> {
        self.layout().select(dim, index)?;
        self.view_with("SelectBackward0", move |l: &Layout| l.select(dim, index))
    }

    pub fn diagonal(&self, offset: i64, d1: i64, d2: i64) -> Result<Tensor> {
        self.layout().diagonal(offset, d1, d2)?;
        self.view_with("DiagonalBackward0", move |l: &Layout| l.diagonal(offset, d1, d2))
    }

    pub fn as_strided(&self, sizes: &[usize], strides: &[isize], offset: Option<usize>) -> Result<Tensor> {
        strided_only(self, "as_strided")?;
        let avail = self.storage().nbytes() / self.dtype().size();
        let off = offset.unwrap_or(self.offset());
        let l = Layout::as_strided(sizes, strides, off, avail)?;
        let out = self.with_layout(l.clone());
        if needs_grad(&[self]) {
            // The adjoint in our own geometry: valid when self is contiguous from `offset`.
            let (base_off, shape) = (self.offset(), self.shape().to_vec());
            record("AsStridedBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                let rel = Layout { sizes: l.sizes.clone(), strides: l.strides.clone(), offset: l.offset - base_off.min(l.offset) };
                let z = Tensor::zeros_on(&shape, g.dtype(), g.device())?;
                let region = z.with_layout(rel);
                region.add_into_overlapping(g)?;
                let z = z.detach();
                if needs_grad(&[g]) {
                    // Double backward: the adjoint of a scatter-add is the same strided view.
                    let rel = Layout { sizes: l.sizes.clone(), strides: l.strides.clone(), offset: l.offset - base_off.min(l.offset) };
                    record("AsStridedScatterBackward0", &[g], &[&z], move |gg: &[Option<Tensor>]| {
                        let gg = gg[0].as_ref().unwrap().contiguous()?;
                        Ok(vec![Some(gg.as_strided(&rel.sizes, &rel.strides, Some(rel.offset + gg.offset()))?)])
                    });
                }
                Ok(vec![Some(z)])
            });
        }
        Ok(out)
    }

    pub fn unfold(&self, dim: i64, size: usize, step: usize) -> Result<Tensor> {
        strided_only(self, "unfold")?;
        let l = self.layout().unfold(dim, size, step)?;
        let out = self.with_layout(l);
        if needs_grad(&[self]) {
            let shape = self.shape().to_vec();
            let d = if self.ndim() == 0 { 0 } else { wrap_dim(dim, self.ndim())? };
            record("UnfoldBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| {
                // Windows overlap, so sum window position by window position.
                let g = g[0].as_ref().unwrap();
                let mut acc = Tensor::zeros_on(&shape, g.dtype(), g.device())?;
                let n = g.shape().get(d).copied().unwrap_or(1);
                for k in 0..size {
                    let gk = g.select(-1, k as i64)?;
                    let f: ViewFn = Arc::new(move |l: &Layout| {
                        if l.ndim() == 0 {
                            return Ok(l.clone());
                        }
                        Ok(l.slice(d, k as i64, (k + step * (n - 1) + 1) as i64, step))
                    });
                    acc = acc.add(&gk.view_scatter(&shape, f)?)?;
                }
                Ok(vec![Some(acc)])
            });
        }
        Ok(out)
    }

    /// A row-major tensor: `self` when already so, else a copy (CloneBackward0).
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        self.clone_in(false)
    }

    /// `clone()`: a copy with history, laid out as PyTorch's `preserve_format` lays it out
    /// (`ember_layout::preserve_format`: a dense input keeps its strides).
    pub fn clone_tensor(&self) -> Result<Tensor> {
        self.clone_in(true)
    }

    /// `clone(memory_format=…)` for an explicit format: a copy with history whose dims are laid
    /// out in `order`, outermost first (`0..ndim`: row-major; `[0, 2, 3, 1]`: channels-last).
    /// Strides are PyTorch's for that format: each the product of the sizes laid out inside it.
    pub fn clone_in_order(&self, order: &[usize]) -> Result<Tensor> {
        let n = self.ndim();
        let mut seen = vec![false; n];
        if order.len() != n || !order.iter().all(|&d| d < n && !std::mem::replace(&mut seen[d], true)) {
            return Err(Error::runtime(format!("clone(): memory order {order:?} is not a permutation of the {n} dims")));
        }
        if self.coo().is_some() {
            return self.clone_in(true);
        }
        let target = if order.iter().enumerate().all(|(i, &d)| i == d) {
            Layout::contiguous(self.shape())
        } else {
            let mut strides = vec![0isize; n];
            let mut acc = 1usize;
            for &d in order.iter().rev() {
                strides[d] = acc as isize;
                acc = acc.saturating_mul(self.shape()[d]);
            }
            Layout::new(self.shape().to_vec(), strides, 0)
        };
        let out = self.map_in_layout(&target, |x| x.contiguous_copy())?;
        self.record_clone(&out);
        Ok(out)
    }

    /// A copy with history: in `preserve_format` when `preserve`, else row-major.
    fn clone_in(&self, preserve: bool) -> Result<Tensor> {
        if let Some(c) = self.coo() {
            return Ok(Tensor::sparse_from_parts(c.indices.clone_tensor()?, c.values.clone_tensor()?, self.shape(), c.is_coalesced()));
        }
        let out = if preserve {
            self.map_in_layout(&ember_core::layout::preserve_format(self.layout()), |x| x.contiguous_copy())?
        } else {
            self.contiguous_copy()?
        };
        self.record_clone(&out);
        Ok(out)
    }

    fn record_clone(&self, out: &Tensor) {
        if needs_grad(&[self]) {
            record("CloneBackward0", &[self], &[out], |g: &[Option<Tensor>]| Ok(vec![g[0].clone()]));
        }
    }

    /// A fresh row-major copy, without history.
    pub fn contiguous_copy(&self) -> Result<Tensor> {
        if self.is_conj() {
            return self.materialize_conj();
        }
        crate::dispatch::backend("clone", &[self])?.contiguous(self)
    }

    /// Splits along `dim` into pieces of `sizes`.
    pub fn split_sizes(&self, sizes: &[usize], dim: i64) -> Result<Vec<Tensor>> {
        let d = wrap_dim(dim, self.ndim())?;
        let total: usize = sizes.iter().sum();
        if total != self.shape()[d] {
            return Err(Error::runtime(format!(
                "split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at dimension {d}), but got split_sizes={sizes:?}",
                self.shape()[d]
            )));
        }
        let mut start = 0;
        let mut out = vec![];
        for &s in sizes {
            out.push(self.narrow(d as i64, start as i64, s as i64)?);
            start += s;
        }
        Ok(out)
    }
}
