//! `gather`, the `scatter` family, `index_select/add/copy/fill`, `take`, `masked_select`,
//! `masked_scatter`, `nonzero` — each backward beside its forward, written with these same
//! differentiable ops (gather ↔ scatter_add, index_select ↔ index_add) so double backward works.
use super::index::{index_values, Plan};
use crate::autograd::{check_inplace, needs_grad, rebase_history, record};
use crate::promote::Arg;
use crate::{DType, Error, Layout, Result, Scalar, Tensor};
use ember_core::layout::{broadcast_shapes, wrap_dim};
use ember_cpu::index::{self as k, Reduce};
use std::sync::Arc;

fn shape_i64(s: &[usize]) -> Vec<i64> {
    s.iter().map(|&x| x as i64).collect()
}

/// `t` zero-padded at the end of each dim up to `shape` (the adjoint of taking a corner).
fn pad_to(t: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if t.shape() == shape {
        return Ok(t.clone());
    }
    let sizes = t.shape().to_vec();
    t.view_scatter(
        shape,
        Arc::new(move |l: &Layout| {
            let mut l = l.clone();
            for (d, &s) in sizes.iter().enumerate() {
                l = l.narrow(d as i64, 0, s as i64)?;
            }
            Ok(l)
        }),
    )
}

/// Shared checks of gather/scatter: returns (dim, normalized index values).
fn check_dim_index(this: &Tensor, dim: i64, index: &Tensor, src: Option<&[usize]>, op: &'static str) -> Result<(usize, Vec<usize>)> {
    if index.dtype() != DType::I64 {
        return Err(Error::runtime(format!(
            "{op}(): Expected dtype int64 for index (got {}); convert it with .long()",
            index.dtype().name()
        )));
    }
    let n = this.ndim().max(1);
    let d = wrap_dim(dim, n)?;
    if index.ndim().max(1) != n {
        return Err(Error::runtime(format!(
            "Index tensor must have the same number of dimensions as input tensor ({op}: index has {} dims, input has {})",
            index.ndim(),
            this.ndim()
        )));
    }
    if let Some(s) = src {
        if s.len() < index.ndim() {
            // PyTorch reads src.size(d) for every dim of the index: IndexError past src's dims.
            return Err(ember_core::layout::LayoutError::DimOutOfRange { dim: s.len() as i64, ndim: s.len() }.into());
        }
        if s.len().max(1) != n {
            return Err(Error::runtime(format!(
                "Index tensor must have the same number of dimensions as src tensor ({op}: index has {} dims, src has {})",
                index.ndim(),
                s.len()
            )));
        }
    }
    let (ss, is) = (this.shape(), index.shape());
    for i in 0..index.ndim() {
        let src_bad = src.is_some_and(|s| s.get(i).is_some_and(|&si| is[i] > si));
        if (i != d && ss.get(i).is_some_and(|&si| is[i] > si)) || src_bad {
            let extra = src.map(|s| format!(" and to be smaller size than src {s:?}")).unwrap_or_default();
            return Err(Error::runtime(format!(
                "Size does not match at dimension {i} expected index {is:?} to be smaller than self {ss:?} apart from dimension {d}{extra}"
            )));
        }
    }
    let size = if this.ndim() == 0 { 1 } else { ss[d] };
    let idx = crate::dispatch::backend(op, &[this, index])?.dim_indices(index, size, d)?;
    Ok((d, idx))
}

/// A layout with at least one dim (0-dim tensors act as 1-element vectors here).
fn at_least_1d(l: &Layout) -> Layout {
    if l.ndim() == 0 {
        Layout::new(vec![1], vec![1], l.offset)
    } else {
        l.clone()
    }
}

fn ishape(index: &Tensor) -> Vec<usize> {
    if index.ndim() == 0 {
        vec![1]
    } else {
        index.shape().to_vec()
    }
}

/// Raw scatter of `src` (any dtype, converted) into `dst` in place; no history.
fn scatter_raw(dst: &Tensor, d: usize, idx: &[usize], index: &Tensor, src: &Tensor, op: Reduce) -> Result<()> {
    let be = crate::dispatch::backend("scatter", &[dst, index, src])?;
    let src = src.to_dtype(dst.dtype())?.detach();
    let src = if src.ndim() == 0 { src.expand(&shape_i64(&ishape(index)))? } else { src };
    let src = if src.storage().same(dst.storage()) { src.contiguous_copy()? } else { src };
    be.scatter_(dst, d, idx, index, &src, op)
}

/// The host kernel of `scatter_` (indices validated into `idx`).
pub(crate) fn scatter_kernel(dst: &Tensor, d: usize, idx: &[usize], index: &Tensor, src: &Tensor, op: Reduce) {
    k::scatter(
        dst.storage(),
        &at_least_1d(dst.layout()),
        dst.dtype(),
        d,
        idx,
        &ishape(index),
        src.storage(),
        &at_least_1d(src.layout()),
        op,
    );
}

/// The host kernel of `gather` (indices validated into `idx`).
pub(crate) fn gather_kernel(x: &Tensor, d: usize, idx: &[usize], index: &Tensor) -> Result<Tensor> {
    let out = Tensor::empty(index.shape(), x.dtype())?;
    k::gather(x.storage(), &at_least_1d(x.layout()), x.dtype(), d, idx, &ishape(index), out.storage());
    Ok(out)
}

fn reduce_of(name: &str) -> Result<(Reduce, bool)> {
    Ok(match name {
        "sum" | "add" => (Reduce::Add, false),
        "prod" | "multiply" => (Reduce::Mul, false),
        "amax" => (Reduce::Max, false),
        "amin" => (Reduce::Min, false),
        "mean" => (Reduce::Add, true),
        _ => return Err(Error::runtime(format!("reduce argument must be either sum, prod, mean, amax or amin, got {name}"))),
    })
}

impl Tensor {
    pub fn gather(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        let be = crate::dispatch::backend("gather", &[self, index])?;
        let (d, idx) = check_dim_index(self, dim, index, None, "gather")?;
        let out = be.gather(self, d, &idx, index)?;
        if needs_grad(&[self]) {
            let (shape, index) = (self.shape().to_vec(), index.clone());
            record("GatherBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                if g.device() == crate::Device::Meta {
                    return Ok(vec![Some(crate::ops::meta::empty(&shape, g.dtype())?)]);
                }
                Ok(vec![Some(Tensor::zeros_on(&shape, g.dtype(), g.device())?.scatter_add(dim, &index, g)?)])
            });
        }
        Ok(out)
    }

    /// Shared body of every scatter form: copy (unless in place), write, record.
    #[allow(clippy::too_many_arguments)]
    fn scatter_impl(
        &self,
        dim: i64,
        index: &Tensor,
        src: &Tensor,
        value: bool,
        reduce: Option<&str>,
        include_self: bool,
        inplace: bool,
        name: &'static str,
    ) -> Result<Tensor> {
        let (d, idx) = check_dim_index(self, dim, index, if value { None } else { Some(src.shape()) }, "scatter")?;
        let mode = reduce.map(reduce_of).transpose()?;
        let track = needs_grad(&[self, src]) && self.dtype().is_inexact();
        if track && matches!(mode, Some((Reduce::Mul, _))) {
            return Err(Error::NotImplemented(format!(
                "{name}: the backward of reduce='{}' is not implemented in ember; use reduce='sum', 'mean', 'amax' or 'amin', or run under no_grad()",
                reduce.unwrap()
            )));
        }
        if inplace {
            if track {
                check_inplace(self)?;
            }
            self.check_writable()?;
        }
        let out = if inplace { self.clone() } else { self.contiguous_copy()? };
        let (op, mean) = mode.unwrap_or((Reduce::Assign, false));
        let minmax = track && matches!(op, Reduce::Max | Reduce::Min);
        let before = if minmax { Some(if inplace { self.contiguous_copy()? } else { self.detach() }) } else { None };
        let mut count = None;
        if !include_self {
            // Hit positions start from the reduction's identity (max/min: the src itself).
            let id = match op {
                Reduce::Mul => Tensor::scalar(Scalar::Int(1), out.dtype())?.expand(&shape_i64(&ishape(index)))?,
                Reduce::Max | Reduce::Min => src.clone(),
                _ => Tensor::scalar(Scalar::Int(0), out.dtype())?.expand(&shape_i64(&ishape(index)))?,
            };
            scatter_raw(&out, d, &idx, index, &id, Reduce::Assign)?;
        }
        scatter_raw(&out, d, &idx, index, src, op)?;
        if mean {
            let c = Tensor::full(self.shape(), Scalar::Int(include_self as i64), DType::F64)?;
            scatter_raw(&c, d, &idx, index, &Tensor::scalar(Scalar::Int(1), DType::F64)?.expand(&shape_i64(&ishape(index)))?, Reduce::Add)?;
            let cv: Vec<f64> = c.to_vec::<f64>()?.into_iter().map(|x| x.max(1.0)).collect();
            let counts = Tensor::from_vec(cv, self.shape())?;
            let q = out.to_dtype(DType::F64)?.div(&counts)?;
            let q = if out.dtype().is_float() { q } else { q.contiguous_copy()?.floor_f64()? };
            out.copy_from(&q)?;
            count = Some(counts);
        }
        if inplace {
            self.bump_version("scatter_")?;
        }
        // amax/amin: the gradient is shared evenly by every element equal to the result
        // (weights: self's share, src's 0/1 mask, and the tie count per output).
        let mut weights = None;
        if let Some(before) = before {
            let res = out.detach();
            let ms = before.isclose(&res, 0.0, 0.0, true)?.to_dtype(DType::F64)?;
            let hit0 = Tensor::scalar(Scalar::Int(0), DType::F64)?;
            let ms = if include_self { ms } else { ms.scatter_impl(dim, index, &hit0, true, None, true, false, "")? };
            let mut srcn = src.detach().to_dtype(res.dtype())?;
            for (i, &n) in ishape(index).iter().enumerate() {
                if srcn.ndim() > 0 {
                    srcn = srcn.narrow(i as i64, 0, n as i64)?;
                }
            }
            let mk = srcn.isclose(&res.gather(dim, index)?, 0.0, 0.0, true)?.to_dtype(DType::F64)?;
            let cnt = ms.scatter_add(dim, index, &mk)?;
            let cv: Vec<f64> = cnt.to_vec::<f64>()?.into_iter().map(|x| x.max(1.0)).collect();
            let cnt = Tensor::from_vec(cv, cnt.shape())?;
            weights = Some((ms, mk, cnt));
        }
        if track {
            let index = index.clone();
            let sshape = src.shape().to_vec();
            let f = move |g: &Tensor| -> Result<Vec<Option<Tensor>>> {
                let zero = || Tensor::scalar(Scalar::Int(0), g.dtype());
                if let Some((ms, mk, cnt)) = &weights {
                    let gc = g.div(&cnt.to_dtype(g.dtype())?)?;
                    let gs = gc.mul(&ms.to_dtype(g.dtype())?)?;
                    let gsrc = if value { None } else { Some(pad_to(&gc.gather(dim, &index)?.mul(&mk.to_dtype(g.dtype())?)?, &sshape)?) };
                    return Ok(vec![Some(gs), gsrc]);
                }
                let g = match &count {
                    Some(c) => g.div(&c.to_dtype(g.dtype())?)?,
                    None => g.clone(),
                };
                let gs = if op == Reduce::Add && include_self {
                    g.clone()
                } else {
                    g.scatter_impl(dim, &index, &zero()?, true, None, true, false, "ScatterBackward1")?
                };
                let gsrc = if value { None } else { Some(pad_to(&g.gather(dim, &index)?, &sshape)?) };
                Ok(vec![Some(gs), gsrc])
            };
            let others: Vec<&Tensor> = if !value && src.requires_grad() { vec![src] } else { vec![] };
            if inplace {
                let has = !others.is_empty();
                rebase_history(name, self, &others, move |g: &[Option<Tensor>]| {
                    let mut r = f(g[0].as_ref().unwrap())?;
                    r.truncate(if has { 2 } else { 1 });
                    Ok(r)
                })?;
            } else {
                let mut ins = vec![self];
                ins.extend(others.iter().copied());
                let n = ins.len();
                record(name, &ins, &[&out], move |g: &[Option<Tensor>]| {
                    let mut r = f(g[0].as_ref().unwrap())?;
                    r.truncate(n);
                    Ok(r)
                });
            }
        }
        Ok(out)
    }

    /// `scatter(dim, index, src, reduce=None)`; `inplace` for `scatter_`.
    pub fn scatter(&self, dim: i64, index: &Tensor, src: &Tensor, reduce: Option<&str>, inplace: bool) -> Result<Tensor> {
        let r = match reduce {
            None => None,
            Some("add") => Some("sum"),
            Some("multiply") => Some("prod"),
            Some(o) => return Err(Error::runtime(format!("reduce argument must be either add or multiply, got {o}"))),
        };
        self.scatter_impl(dim, index, src, false, r, true, inplace, "ScatterBackward0")
    }
    pub fn scatter_value(&self, dim: i64, index: &Tensor, value: Scalar, reduce: Option<&str>, inplace: bool) -> Result<Tensor> {
        let r = match reduce {
            None => None,
            Some("add") => Some("sum"),
            Some("multiply") => Some("prod"),
            Some(o) => return Err(Error::runtime(format!("reduce argument must be either add or multiply, got {o}"))),
        };
        let v = Tensor::scalar(value, self.dtype())?.expand(&shape_i64(&ishape(index)))?;
        self.scatter_impl(dim, index, &v, true, r, true, inplace, "ScatterBackward1")
    }
    pub fn scatter_add(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.scatter_impl(dim, index, src, false, Some("sum"), true, false, "ScatterAddBackward0")
    }
    pub fn scatter_add_(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<()> {
        self.scatter_impl(dim, index, src, false, Some("sum"), true, true, "ScatterAddBackward0").map(|_| ())
    }
    pub fn scatter_reduce(
        &self,
        dim: i64,
        index: &Tensor,
        src: &Tensor,
        reduce: &str,
        include_self: bool,
        inplace: bool,
    ) -> Result<Tensor> {
        self.scatter_impl(dim, index, src, false, Some(reduce), include_self, inplace, "ScatterReduceBackward0")
    }

    /// Rounds a float64 tensor down in place (scatter_reduce mean on integers floors).
    fn floor_f64(self) -> Result<Tensor> {
        let v: Vec<f64> = self.to_vec::<f64>()?.into_iter().map(f64::floor).collect();
        Tensor::from_vec(v, self.shape())
    }

    /// Validates "index `dim` by the 1-D `index`" (no values read): the wrapped dim and the
    /// shape of the indexed slice (self's shape, 0-dim as [1], with `dim` resized to the count).
    fn dim_check(&self, dim: i64, index: &Tensor, op: &str) -> Result<(usize, Vec<usize>)> {
        if !matches!(index.dtype(), DType::I64 | DType::I32) {
            return Err(Error::runtime(format!("{op}(): Expected dtype int32 or int64 for index (got {})", index.dtype().name())));
        }
        if index.ndim() > 1 {
            return Err(Error::index(format!("{op}(): Index is supposed to be a vector (got {} dims)", index.ndim())));
        }
        let d = wrap_dim(dim, self.ndim().max(1))?;
        let mut shape = if self.ndim() == 0 { vec![1] } else { self.shape().to_vec() };
        shape[d] = index.numel();
        Ok((d, shape))
    }

    pub fn index_select(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        let be = crate::dispatch::backend("index_select", &[self, index])?;
        let (d, out_shape) = self.dim_check(dim, index, "index_select")?;
        let src = if self.ndim() == 0 { self.detach().reshape(&[1])? } else { self.clone() };
        let mut out = be.index_select(&src, d, &index.reshape(&[-1])?.detach(), &out_shape)?;
        if self.ndim() == 0 {
            out = out.reshape(&[])?;
        }
        if needs_grad(&[self]) {
            let (shape, index) = (self.shape().to_vec(), index.clone());
            record("IndexSelectBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                Ok(vec![Some(Tensor::zeros_on(&shape, g.dtype(), g.device())?.index_add(dim, &index, g, Scalar::Int(1), false)?)])
            });
        }
        Ok(out)
    }

    /// Shared body of index_add / index_copy / index_fill (in place or on a copy).
    #[allow(clippy::too_many_arguments)]
    fn index_write(
        &self,
        dim: i64,
        index: &Tensor,
        source: &Tensor,
        values: &Tensor,
        is_value: bool,
        accumulate: bool,
        inplace: bool,
        name: &'static str,
        f: BwdFn,
    ) -> Result<Tensor> {
        let op = if accumulate {
            "index_add"
        } else if is_value {
            "index_fill"
        } else {
            "index_copy"
        };
        let be = crate::dispatch::backend(op, &[self, index, source])?;
        let (d, want) = self.dim_check(dim, index, op)?;
        if !is_value {
            let have = if source.ndim() == 0 { vec![1] } else { source.shape().to_vec() };
            if want != have && !(self.ndim() == 0 && source.numel() == 1) {
                return Err(Error::runtime(format!(
                    "{op}(): source of shape {have:?} doesn't match the indexed slice shape {want:?} (self's shape with dim {d} replaced by the {} indices)",
                    index.numel()
                )));
            }
        }
        let track = needs_grad(&[self, source]) && self.dtype().is_inexact();
        if inplace {
            if track {
                check_inplace(self)?;
            }
            self.check_writable()?;
        }
        let out = if inplace { self.clone() } else { self.contiguous_copy()? };
        let dst = if out.ndim() == 0 { out.detach().reshape(&[1])? } else { out.detach() };
        be.index_put_dim_(op, &dst, d, &index.reshape(&[-1])?.detach(), values, accumulate)?;
        if inplace {
            self.bump_version(if accumulate {
                "index_add_"
            } else if is_value {
                "index_fill_"
            } else {
                "index_copy_"
            })?;
        }
        if track {
            let index = index.clone();
            let bw = move |g: &[Option<Tensor>]| f(g[0].as_ref().unwrap(), dim, &index);
            let others: Vec<&Tensor> = if !is_value && source.requires_grad() { vec![source] } else { vec![] };
            let n = 1 + others.len();
            if inplace {
                rebase_history(name, self, &others, move |g: &[Option<Tensor>]| Ok(bw(g)?.into_iter().take(n).collect()))?;
            } else {
                let mut ins = vec![self];
                ins.extend(others.iter().copied());
                record(name, &ins, &[&out], move |g: &[Option<Tensor>]| Ok(bw(g)?.into_iter().take(n).collect()));
            }
        }
        Ok(out)
    }

    pub fn index_add(&self, dim: i64, index: &Tensor, source: &Tensor, alpha: Scalar, inplace: bool) -> Result<Tensor> {
        let scaled = if alpha.to_f64() == 1.0 {
            source.clone()
        } else {
            crate::ops::binary::binary(crate::ops::BinaryOp::Mul, &Arg::T(source.detach()), &Arg::S(alpha))?
        };
        let f: BwdFn = Box::new(move |g, dim, index| {
            let gs = g.index_select(dim, index)?;
            let gs = if alpha.to_f64() == 1.0 { gs } else { gs.mul_scalar(alpha.to_f64())? };
            Ok(vec![Some(g.clone()), Some(gs)])
        });
        self.index_write(dim, index, source, &scaled, false, true, inplace, "IndexAddBackward0", f)
    }

    pub fn index_copy(&self, dim: i64, index: &Tensor, source: &Tensor, inplace: bool) -> Result<Tensor> {
        let f: BwdFn = Box::new(|g, dim, index| {
            let z = Tensor::scalar(Scalar::Int(0), g.dtype())?;
            Ok(vec![Some(g.index_fill(dim, index, &z, false)?), Some(g.index_select(dim, index)?)])
        });
        self.index_write(dim, index, source, source, false, false, inplace, "IndexCopyBackward0", f)
    }

    /// `index_fill(dim, index, value)`; `value` is a 0-dim tensor (or a scalar as one).
    pub fn index_fill(&self, dim: i64, index: &Tensor, value: &Tensor, inplace: bool) -> Result<Tensor> {
        if value.ndim() != 0 {
            return Err(Error::runtime(format!(
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
                value.ndim()
            )));
        }
        let f: BwdFn = Box::new(|g, dim, index| {
            let z = Tensor::scalar(Scalar::Int(0), g.dtype())?;
            Ok(vec![Some(g.index_fill(dim, index, &z, false)?)])
        });
        let v = value.detach();
        self.index_write(dim, index, &v, &v, true, false, inplace, "IndexFillBackward0", f)
    }

    /// `take(index)`: indexes the flattened tensor.
    pub fn take(&self, index: &Tensor) -> Result<Tensor> {
        crate::dispatch::common_device(&[self, index])?;
        let flat = self.detach().reshape(&[-1])?;
        let n = self.numel() as i64;
        if let Some(bad) = index_values(index)?.into_iter().find(|&i| i >= n || i < -n) {
            return Err(Error::index(format!("out of range: tried to access index {bad} on a tensor of {n} elements.")));
        }
        let plan = Plan::new(flat.shape(), &[Some(index.clone())])?;
        let out = plan.gather_as("take", &flat)?;
        if needs_grad(&[self]) {
            let (shape, index) = (self.shape().to_vec(), index.clone());
            record("TakeBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                let n = shape.iter().product::<usize>();
                let z = Tensor::zeros_on(&[n], g.dtype(), g.device())?.index_put(&[Some(index.clone())], g, true)?;
                Ok(vec![Some(z.reshape(&shape_i64(&shape))?)])
            });
        }
        Ok(out)
    }

    /// Coordinates of the true elements of a bool mask broadcast to `shape` (read where the
    /// mask lives; `op` names the caller in a backend's error).
    fn mask_coords(mask: &Tensor, shape: &[usize], op: &'static str) -> Result<(usize, Vec<Vec<usize>>)> {
        if mask.dtype() != DType::Bool {
            return Err(Error::runtime(format!("{op}: expected BoolTensor for mask (got {})", mask.dtype().name())));
        }
        let m = mask.detach().broadcast_to(shape)?;
        crate::dispatch::backend(op, &[&m])?.mask_coords(op, &m)
    }

    pub fn masked_select(&self, mask: &Tensor) -> Result<Tensor> {
        let be = crate::dispatch::backend("masked_select", &[self, mask])?;
        if mask.dtype() != DType::Bool {
            return Err(Error::runtime(format!("masked_select: expected BoolTensor for mask (got {})", mask.dtype().name())));
        }
        let shape = broadcast_shapes(self.shape(), mask.shape())?;
        let (m, src) = (mask.detach().broadcast_to(&shape)?, self.detach().broadcast_to(&shape)?);
        let (out, lin) = be.masked_select(&src, &m)?;
        if needs_grad(&[self]) {
            let ishape = self.shape().to_vec();
            let n = lin.len();
            let lin = Tensor::from_vec(lin, &[n])?.to_device(self.device())?;
            record("MaskedSelectBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                let total = shape.iter().product::<usize>();
                let z = Tensor::zeros_on(&[total], g.dtype(), g.device())?.index_put(&[Some(lin.clone())], g, false)?;
                Ok(vec![Some(z.reshape(&shape_i64(&shape))?.sum_to(&ishape)?)])
            });
        }
        Ok(out)
    }

    /// `masked_scatter(mask, source)`: the true positions of `mask`, in row-major order,
    /// take consecutive elements of `source`.
    pub fn masked_scatter(&self, mask: &Tensor, source: &Tensor, inplace: bool) -> Result<Tensor> {
        crate::dispatch::common_device(&[self, mask, source])?;
        let shape = self.shape().to_vec();
        if broadcast_shapes(&shape, mask.shape())? != shape {
            return Err(Error::runtime(format!(
                "masked_scatter: mask of shape {:?} doesn't broadcast to self's shape {:?}",
                mask.shape(),
                shape
            )));
        }
        if source.dtype() != self.dtype() {
            return Err(Error::runtime(format!(
                "masked_scatter: expected self and source to have same dtypes but got {} and {}",
                self.dtype().scalar_name(),
                source.dtype().scalar_name()
            )));
        }
        let pshape = if shape.is_empty() { vec![1] } else { shape.clone() };
        let (n, cols) = Tensor::mask_coords(mask, &pshape, "masked_scatter")?;
        if source.numel() < n {
            return Err(Error::runtime(format!(
                "masked_scatter: expected source to have at least {n} elements (the number of true values in mask), but it has {}",
                source.numel()
            )));
        }
        let track = needs_grad(&[self, source]) && self.dtype().is_inexact();
        if inplace && track {
            check_inplace(self)?;
        }
        if inplace {
            self.check_writable()?;
        }
        let out = if inplace { self.clone() } else { self.contiguous_copy()? };
        let vals = source.detach().reshape(&[-1])?.narrow(0, 0, n as i64)?;
        let dst = out.detach().reshape(&shape_i64(&pshape))?;
        Plan::from_parts(&pshape, (0..pshape.len()).collect(), cols.clone(), vec![n]).put_as("masked_scatter", &dst, &vals, false)?;
        if inplace {
            self.bump_version("masked_scatter_")?;
        }
        if track {
            let ix = coord_tensors(&cols, n)?;
            let sshape = source.shape().to_vec();
            let f = move |g: &Tensor| -> Result<Vec<Option<Tensor>>> {
                let zero = Tensor::scalar(Scalar::Int(0), g.dtype())?;
                let gp = g.reshape(&shape_i64(&pshape))?;
                let gs = gp.index_put(&ix, &zero, false)?.reshape(&shape_i64(&shape))?;
                let picked = gp.index(&ix)?;
                let total = sshape.iter().product::<usize>();
                let gsrc = pad_to(&picked, &[total])?.reshape(&shape_i64(&sshape))?;
                Ok(vec![Some(gs), Some(gsrc)])
            };
            let others: Vec<&Tensor> = if source.requires_grad() { vec![source] } else { vec![] };
            let cnt = 1 + others.len();
            if inplace {
                rebase_history("MaskedScatterBackward0", self, &others, move |g: &[Option<Tensor>]| {
                    Ok(f(g[0].as_ref().unwrap())?.into_iter().take(cnt).collect())
                })?;
            } else {
                let mut ins = vec![self];
                ins.extend(others.iter().copied());
                record("MaskedScatterBackward0", &ins, &[&out], move |g: &[Option<Tensor>]| {
                    Ok(f(g[0].as_ref().unwrap())?.into_iter().take(cnt).collect())
                });
            }
        }
        Ok(out)
    }

    /// `nonzero()`: an (n, ndim) int64 tensor of the coordinates of nonzero elements.
    pub fn nonzero(&self) -> Result<Tensor> {
        let m = self.detach().to_dtype(DType::Bool)?.to_vec::<bool>()?;
        let (n, flat) = k::nonzero(&m, self.shape());
        Tensor::from_vec(flat, &[n, self.ndim()])
    }
}

type BwdFn = Box<dyn Fn(&Tensor, i64, &Tensor) -> Result<Vec<Option<Tensor>>> + Send + Sync>;

fn coord_tensors(cols: &[Vec<usize>], n: usize) -> Result<Vec<Option<Tensor>>> {
    cols.iter().map(|c| Ok(Some(Tensor::from_vec(c.iter().map(|&x| x as i64).collect::<Vec<i64>>(), &[n])?))).collect()
}
