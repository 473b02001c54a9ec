//! Reductions (sum, mean, prod, max/min, norms, all/any), each with its backward beside it.
//! `sum_to` is what broadcasting backward uses. Statistics, scans and softmax live in
//! `stats.rs`; the kernels in `ember_cpu::reduce`.
use crate::autograd::{needs_grad, record, record_saving, SavedTensor};
use crate::dispatch;
use crate::ops::meta;
use crate::{DType, Element, Error, Layout, Result, Scalar, Tensor};
use ember_core::layout::wrap_dim;
use ember_cpu::reduce::{ArithOp, Logical};
use ember_cpu::with_float_dtype;

/// The dtype `sum` accumulates and returns by default: ints and bool → int64.
pub fn sum_dtype(d: DType) -> DType {
    if d.is_inexact() {
        d
    } else {
        DType::I64
    }
}

/// Which dims a reduction folds, and the shapes around it.
#[derive(Clone, Debug)]
pub struct RedDims {
    /// Per input dim: reduced?
    pub red: Vec<bool>,
    /// The result shape with reduced dims kept as 1 (what a gradient is reshaped to).
    pub keep: Vec<usize>,
    /// The result shape as returned (`keep` or with the reduced dims dropped).
    pub out: Vec<usize>,
    /// How many elements each output folds.
    pub n: usize,
    /// No dims were named (reduce everything).
    pub all: bool,
    /// Whether `out` keeps the reduced dims as size 1.
    pub keepdim: bool,
}

impl RedDims {
    /// `dims` = None or empty: every dim. Negative dims wrap; a 0-dim tensor accepts 0 and -1.
    pub fn new(shape: &[usize], dims: Option<&[i64]>, keepdim: bool) -> Result<RedDims> {
        let nd = shape.len();
        let all = dims.is_none_or(|d| d.is_empty());
        let mut red = vec![all; nd];
        for &d in dims.unwrap_or(&[]) {
            let w = wrap_dim(d, nd)?;
            if nd > 0 {
                if red[w] && !all {
                    return Err(Error::runtime(format!("dim {w} appears multiple times in the list of dims")));
                }
                red[w] = true;
            }
        }
        let keep: Vec<usize> = (0..nd).map(|i| if red[i] { 1 } else { shape[i] }).collect();
        let out = if keepdim { keep.clone() } else { (0..nd).filter(|&i| !red[i]).map(|i| shape[i]).collect() };
        let n = (0..nd).filter(|&i| red[i]).map(|i| shape[i]).product();
        Ok(RedDims { red, keep, out, n, all, keepdim })
    }
    pub fn keep_i64(&self) -> Vec<i64> {
        self.keep.iter().map(|&s| s as i64).collect()
    }
    /// The first reduced dim of size 0 (reductions without identity reject it).
    fn empty_dim(&self, shape: &[usize]) -> Option<usize> {
        (0..shape.len()).find(|&i| self.red[i] && shape[i] == 0)
    }
    /// Rejects an empty reduction for ops without an identity (max, argmax, median, ...).
    pub fn check_nonempty(&self, op: &str, shape: &[usize], numel: usize) -> Result<()> {
        if self.all && numel == 0 {
            return Err(Error::runtime(format!(
                "{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
            )));
        }
        if let Some(d) = self.empty_dim(shape) {
            return Err(Error::runtime(format!(
                "{op}(): Expected reduction dim {d} to have non-zero size. Reducing over an empty dim has no defined result; select a non-empty dim or check the input's shape."
            )));
        }
        Ok(())
    }
}

/// A gradient of a reduction's result, broadcast back to the input shape.
pub fn expand_back(g: &Tensor, rd: &RedDims, in_shape: &[usize]) -> Result<Tensor> {
    g.reshape(&rd.keep_i64())?.expand(&in_shape.iter().map(|&s| s as i64).collect::<Vec<_>>())
}

/// `t / s` for a float tensor and a Python number (differentiable).
pub fn div_scalar(t: &Tensor, s: f64) -> Result<Tensor> {
    crate::ops::binary::binary(crate::ops::BinaryOp::Div, &crate::promote::Arg::T(t.clone()), &crate::promote::Arg::S(Scalar::Float(s)))
}

/// `f` applied to every element of a float tensor in f64 (a constant: no history).
pub fn map_f64(t: &Tensor, f: impl Fn(f64) -> f64 + Sync + Send) -> Result<Tensor> {
    if meta::is_meta("map", dispatch::family("map", &[t])?)? {
        return meta::empty(t.shape(), t.dtype());
    }
    let s = with_float_dtype!(t.dtype(), T => ember_cpu::elementwise::unary::<T, T>(t.storage(), t.layout(), |v| T::from_f64(f(v.to_f64())))?,
        return Err(Error::runtime("internal: map_f64 on a non-float tensor")));
    Ok(Tensor::from_parts(s, Layout::contiguous(t.shape()), t.dtype()))
}

/// `f(a, b)` elementwise in f64 with `b` broadcast to `a`'s shape, in `a`'s dtype (a constant).
pub fn zip_f64(a: &Tensor, b: &Tensor, f: impl Fn(f64, f64) -> f64 + Sync + Send) -> Result<Tensor> {
    if meta::is_meta("zip", dispatch::family("zip", &[a, b])?)? {
        return meta::empty(a.shape(), a.dtype());
    }
    let b = b.to_dtype(a.dtype())?;
    let s = with_float_dtype!(a.dtype(), T => ember_cpu::elementwise::binary::<T, T, T>(a.storage(), a.layout(), b.storage(), b.layout(), a.shape(), |x, y| T::from_f64(f(x.to_f64(), y.to_f64())))?,
        return Err(Error::runtime("internal: zip_f64 on a non-float tensor")));
    Ok(Tensor::from_parts(s, Layout::contiguous(a.shape()), a.dtype()))
}

/// Gradient of a value-selecting reduction without indices (max(), amax, median()): split
/// evenly among the elements equal to the result (NaN counts as equal to NaN).
pub fn evenly_distribute(g: &Tensor, x: &Tensor, out: &Tensor, rd: &RedDims) -> Result<Tensor> {
    let o = out.reshape(&rd.keep_i64())?;
    // (x == out) | (isnan(x) & isnan(out)): dispatched compares, so it runs on x's device
    use crate::ops::compare::{compare, CmpOp};
    use crate::promote::Arg;
    let (xd, od) = (Arg::T(x.detach()), Arg::T(o.detach()));
    let eq = compare(CmpOp::Eq, &xd, &od)?;
    let both_nan = compare(CmpOp::LogicalAnd, &Arg::T(compare(CmpOp::Ne, &xd, &xd)?), &Arg::T(compare(CmpOp::Ne, &od, &od)?))?;
    let mask = compare(CmpOp::LogicalOr, &Arg::T(eq), &Arg::T(both_nan))?.to_dtype(g.dtype())?;
    let dims: Vec<i64> = (0..x.ndim() as i64).filter(|&i| rd.red[i as usize]).collect();
    let count = mask.sum_dims(&dims, true, None)?;
    expand_back(g, rd, x.shape())?.mul(&mask)?.div(&count)
}

/// A one-hot mask (dtype `dt`, shape `in_shape`): 1 where the position along `dim` equals
/// `idx` (int64, shape with `dim` kept as 1). Used by index-based backward formulas.
pub fn onehot(idx_keep: &Tensor, in_shape: &[usize], dim: usize, dt: DType) -> Result<Tensor> {
    let n = in_shape.get(dim).copied().unwrap_or(1);
    // arange(n) laid along `dim` (stride 0 elsewhere), compared on idx_keep's device
    let ar = Tensor::arange(Scalar::Int(0), Scalar::Int(n as i64), Scalar::Int(1), DType::I64)?.to_device(idx_keep.device())?;
    let nd = in_shape.len();
    let mut sizes = vec![1usize; nd];
    let mut strides = vec![0isize; nd];
    if nd > 0 {
        sizes[dim] = n;
        strides[dim] = 1;
    }
    let ar = ar.with_layout(Layout::new(sizes, strides, 0)).detach();
    let m = crate::ops::compare::compare(
        crate::ops::compare::CmpOp::Eq,
        &crate::promote::Arg::T(ar),
        &crate::promote::Arg::T(idx_keep.detach()),
    )?;
    let m = if m.shape() == in_shape { m } else { m.broadcast_to(in_shape)? };
    m.to_dtype(dt)
}

/// The backward of max(dim)/min(dim)/median(dim)/mode: the gradient goes to the selected index.
pub fn record_index_backward(name: &'static str, x: &Tensor, values: &Tensor, idx: &Tensor, dim: usize, rd: &RedDims) {
    if !needs_grad(&[x]) {
        return;
    }
    let (shape, rd, idx_keep) = (x.shape().to_vec(), rd.clone(), idx.reshape(&rd.keep_i64()).map(|t| t.detach()));
    record(name, &[x], &[values], move |g: &[Option<Tensor>]| {
        let g = g[0].as_ref().unwrap();
        let mask = onehot(idx_keep.as_ref().map_err(|e| e.clone())?, &shape, dim, g.dtype())?;
        Ok(vec![Some(expand_back(g, &rd, &shape)?.mul(&mask)?)])
    });
}

impl Tensor {
    /// sum/prod/nansum in dtype `out_dt` without history.
    fn arith_raw(&self, op: ArithOp, rd: &RedDims, out_dt: DType) -> Result<Tensor> {
        let be = dispatch::backend(crate::backend::arith_name(op), &[self])?;
        // A reduced dim of stride 0 (from expand) repeats one value: sum it once and scale,
        // instead of materialising the expansion (`ones(1).expand(2**28).sum()` copied 1 GB).
        if matches!(op, ArithOp::Sum | ArithOp::NanSum) {
            let l = self.layout();
            let rep: Vec<usize> = (0..self.ndim()).filter(|&d| rd.red[d] && l.strides[d] == 0 && l.sizes[d] > 1).collect();
            if !rep.is_empty() {
                let mut x1 = self.detach();
                let mut factor = 1i64;
                for &d in &rep {
                    x1 = x1.narrow(d as i64, 0, 1)?;
                    factor = factor.wrapping_mul(l.sizes[d] as i64);
                }
                let dims: Vec<i64> = (0..self.ndim()).filter(|&d| rd.red[d]).map(|d| d as i64).collect();
                let rd1 = RedDims::new(x1.shape(), Some(&dims), rd.keepdim)?;
                let once = x1.arith_raw(op, &rd1, out_dt)?;
                let scaled = crate::ops::binary::binary(
                    crate::ops::BinaryOp::Mul,
                    &crate::promote::Arg::T(once),
                    &crate::promote::Arg::S(Scalar::Int(factor)),
                )?;
                return scaled.to_dtype(out_dt);
            }
        }
        be.reduce_arith(op, self, rd, out_dt)
    }

    /// Sum over `dims` (all when empty), keeping reduced dims as size 1 when `keepdim`.
    pub fn sum_dims(&self, dims: &[i64], keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        if self.is_sparse() {
            if keepdim {
                return Err(Error::runtime("sum: keepdim=True is not supported for sparse tensors; sum, then .to_dense() and unsqueeze"));
            }
            return self.sparse_sum(if dims.is_empty() { None } else { Some(dims) }, dtype);
        }
        let rd = RedDims::new(self.shape(), Some(dims), keepdim)?;
        let out = self.arith_raw(ArithOp::Sum, &rd, dtype.unwrap_or_else(|| sum_dtype(self.dtype())))?;
        if needs_grad(&[self]) && out.dtype().is_inexact() {
            let (in_shape, in_dt) = (self.shape().to_vec(), self.dtype());
            let name = if rd.all && !keepdim { "SumBackward0" } else { "SumBackward1" };
            record(name, &[self], &[&out], move |g: &[Option<Tensor>]| {
                Ok(vec![Some(expand_back(g[0].as_ref().unwrap(), &rd, &in_shape)?.to_dtype(in_dt)?)])
            });
        }
        Ok(out)
    }

    /// nansum: NaN counts as zero (its gradient there is zero too).
    pub fn nansum_dims(&self, dims: &[i64], keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let rd = RedDims::new(self.shape(), Some(dims), keepdim)?;
        let out = self.arith_raw(ArithOp::NanSum, &rd, dtype.unwrap_or_else(|| sum_dtype(self.dtype())))?;
        if needs_grad(&[self]) && out.dtype().is_inexact() {
            let (in_shape, in_dt, x) = (self.shape().to_vec(), self.dtype(), SavedTensor::input(self));
            record_saving("NansumBackward0", &[self], &[&out], vec![x.clone()], move |g: &[Option<Tensor>]| {
                let x = x.unpack("NansumBackward0")?;
                let keep = map_f64(&x.detach(), |v| if v.is_nan() { 0.0 } else { 1.0 })?;
                Ok(vec![Some(expand_back(g[0].as_ref().unwrap(), &rd, &in_shape)?.to_dtype(in_dt)?.mul(&keep)?)])
            });
        }
        Ok(out)
    }

    fn mean_dtype(&self, op: &str, dtype: Option<DType>) -> Result<DType> {
        let dt = dtype.unwrap_or(self.dtype());
        if !dt.is_inexact() {
            return Err(Error::runtime(format!(
                "{op}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}. Convert the input with .float() or pass dtype=.",
                dt.scalar_name()
            )));
        }
        Ok(dt)
    }

    /// Mean over `dims` (all when empty). Integer input needs `dtype=`, as in PyTorch.
    pub fn mean_dims(&self, dims: &[i64], keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let dt = self.mean_dtype("mean", dtype)?;
        let rd = RedDims::new(self.shape(), Some(dims), keepdim)?;
        let n = rd.n as f64;
        let out = dispatch::backend("mean", &[self])?.reduce_mean(self, &rd, dt)?;
        if needs_grad(&[self]) {
            let (in_shape, in_dt) = (self.shape().to_vec(), self.dtype());
            let name = if rd.all && !keepdim { "MeanBackward0" } else { "MeanBackward1" };
            record(name, &[self], &[&out], move |g: &[Option<Tensor>]| {
                Ok(vec![Some(div_scalar(&expand_back(g[0].as_ref().unwrap(), &rd, &in_shape)?, n)?.to_dtype(in_dt)?)])
            });
        }
        Ok(out)
    }

    /// nanmean = nansum / (number of non-NaN elements), composed so autograd flows through it.
    pub fn nanmean_dims(&self, dims: &[i64], keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let dt = self.mean_dtype("nanmean", dtype)?;
        let x = self.to_dtype(dt)?;
        let count = map_f64(&x.detach(), |v| if v.is_nan() { 0.0 } else { 1.0 })?.sum_dims(dims, keepdim, None)?;
        x.nansum_dims(dims, keepdim, None)?.div(&count)
    }

    /// Product over `dims`. Backward: out / x where no zeros; with zeros, the product of the
    /// other elements of each row (exclusive prefix × suffix products).
    pub fn prod_dims(&self, dims: &[i64], keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let rd = RedDims::new(self.shape(), Some(dims), keepdim)?;
        let out = self.arith_raw(ArithOp::Prod, &rd, dtype.unwrap_or_else(|| sum_dtype(self.dtype())))?;
        if needs_grad(&[self]) && out.dtype().is_inexact() {
            let (in_shape, in_dt) = (self.shape().to_vec(), self.dtype());
            let name = if rd.all && !keepdim { "ProdBackward0" } else { "ProdBackward1" };
            let saved = vec![SavedTensor::input(self), SavedTensor::output(&out)];
            let sv = saved.clone();
            record_saving(name, &[self], &[&out], saved, move |g: &[Option<Tensor>]| {
                let (x, y) = (sv[0].unpack(name)?, sv[1].unpack(name)?);
                let g = expand_back(g[0].as_ref().unwrap(), &rd, &in_shape)?.to_dtype(in_dt)?;
                let xd = x.detach();
                // which formula applies depends on the values: one host read of all(x != 0)
                let be = dispatch::backend("prod_backward", &[&xd])?;
                let all_dims = RedDims::new(xd.shape(), None, false)?;
                let no_zeros = be.reduce_logical(Logical::All, &xd, &all_dims, DType::Bool)?.item()?;
                if matches!(no_zeros, Scalar::Bool(true)) {
                    let yk = expand_back(&y.to_dtype(in_dt)?, &rd, &in_shape)?;
                    // complex: g · conj(y / x), the holomorphic rule
                    return Ok(vec![Some(g.mul(&crate::ops::complex::conj_physical(&yk.div(&x)?)?)?)]);
                }
                let others = be.prod_others(&xd, &rd)?;
                Ok(vec![Some(g.mul(&crate::ops::complex::conj_physical(&others)?)?)])
            });
        }
        Ok(out)
    }

    /// amax/amin over `dims` (all when empty): NaN propagates; the gradient is split evenly
    /// among tied extremes.
    pub fn amax_dims(&self, want_max: bool, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        let op = if want_max { "amax" } else { "amin" };
        let rd = RedDims::new(self.shape(), Some(dims), keepdim)?;
        rd.check_nonempty(op, self.shape(), self.numel())?;
        let out = dispatch::backend(op, &[self])?.reduce_extreme(want_max, self, &rd)?;
        if needs_grad(&[self]) {
            let name = if want_max { "AmaxBackward0" } else { "AminBackward0" };
            self.record_evenly(name, &out, rd);
        }
        Ok(out)
    }

    fn record_evenly(&self, name: &'static str, out: &Tensor, rd: RedDims) {
        let saved = vec![SavedTensor::input(self), SavedTensor::output(out)];
        let sv = saved.clone();
        record_saving(name, &[self], &[out], saved, move |g: &[Option<Tensor>]| {
            let (x, y) = (sv[0].unpack(name)?, sv[1].unpack(name)?);
            Ok(vec![Some(evenly_distribute(g[0].as_ref().unwrap(), &x, &y, &rd)?)])
        });
    }

    /// `max()` / `min()` of every element: a 0-dim tensor (MaxBackward1 splits ties evenly).
    pub fn max_all(&self, want_max: bool) -> Result<Tensor> {
        let op = if want_max { "max" } else { "min" };
        let rd = RedDims::new(self.shape(), None, false)?;
        rd.check_nonempty(op, self.shape(), self.numel())?;
        let out = dispatch::backend(op, &[self])?.reduce_extreme(want_max, self, &rd)?;
        if needs_grad(&[self]) {
            self.record_evenly(if want_max { "MaxBackward1" } else { "MinBackward1" }, &out, rd);
        }
        Ok(out)
    }

    /// `max(dim)` / `min(dim)`: (values, int64 indices), first occurrence on ties.
    pub fn max_dim(&self, want_max: bool, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let op = if want_max { "max" } else { "min" };
        let d = wrap_dim(dim, self.ndim())?;
        let rd = RedDims::new(self.shape(), Some(&[dim]), keepdim)?;
        rd.check_nonempty(op, self.shape(), self.numel())?;
        let (v, i) = dispatch::backend(op, &[self])?.arg_extreme(want_max, self, Some(d), &rd, true)?;
        let v = v.ok_or_else(|| Error::runtime(format!("internal: {op} returned no values")))?;
        record_index_backward(if want_max { "MaxBackward0" } else { "MinBackward0" }, self, &v, &i, d, &rd);
        Ok((v, i))
    }

    /// argmax/argmin; `dim` None flattens (index into the row-major flattened tensor).
    pub fn argmax_dim(&self, want_max: bool, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
        let op = if want_max { "argmax" } else { "argmin" };
        let dims: Vec<i64> = dim.into_iter().collect();
        let rd = RedDims::new(self.shape(), Some(&dims), keepdim)?;
        rd.check_nonempty(op, self.shape(), self.numel())?;
        let d = dim.map(|d| wrap_dim(d, self.ndim())).transpose()?;
        Ok(dispatch::backend(op, &[self])?.arg_extreme(want_max, self, d, &rd, false)?.1)
    }

    /// all / any (bool; uint8 for uint8 input) and count_nonzero (int64).
    pub fn logical_dims(&self, op: Logical, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        let rd = RedDims::new(self.shape(), Some(dims), keepdim)?;
        let (dt, name) = match op {
            Logical::CountNonzero => (DType::I64, "count_nonzero"),
            Logical::All => (if self.dtype() == DType::U8 { DType::U8 } else { DType::Bool }, "all"),
            _ => (if self.dtype() == DType::U8 { DType::U8 } else { DType::Bool }, "any"),
        };
        dispatch::backend(name, &[self])?.reduce_logical(op, self, &rd, dt)
    }

    /// Vector p-norm over `dims` (all when empty). `name`: NormBackward1 for `Tensor.norm`,
    /// LinalgVectorNormBackward0 for `linalg.vector_norm`.
    pub fn norm_dims(&self, p: f64, dims: &[i64], keepdim: bool, dtype: Option<DType>, name: &'static str) -> Result<Tensor> {
        let x = match dtype {
            Some(d) => self.to_dtype(d)?,
            None => self.clone(),
        };
        if x.dtype().is_complex() {
            // the norm of |z|: a real result whose gradient flows back through abs
            return crate::ops::complex::abs(&x)?.norm_dims(p, dims, keepdim, None, name);
        }
        if !x.dtype().is_float() {
            return Err(Error::runtime(format!(
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}. Convert it with .float() first.",
                x.dtype().scalar_name()
            )));
        }
        let rd = RedDims::new(x.shape(), Some(dims), keepdim)?;
        if p < 0.0 || p.is_infinite() {
            rd.check_nonempty("linalg.vector_norm", x.shape(), x.numel())?;
        }
        let out = dispatch::backend("linalg_vector_norm", &[&x])?.reduce_norm(p, &x, &rd)?;
        if needs_grad(&[&x]) {
            let saved = vec![SavedTensor::input(&x), SavedTensor::output(&out)];
            let (sv, shape) = (saved.clone(), x.shape().to_vec());
            record_saving(name, &[&x], &[&out], saved, move |g: &[Option<Tensor>]| {
                let (x, y) = (sv[0].unpack(name)?, sv[1].unpack(name)?);
                let g = expand_back(g[0].as_ref().unwrap(), &rd, &shape)?;
                let yk = y.reshape(&rd.keep_i64())?;
                if p == 2.0 {
                    // x / norm, with norm 0 (then x is 0 too) giving 0 instead of 0/0.
                    let zero = crate::ops::compare::compare(
                        crate::ops::compare::CmpOp::Eq,
                        &crate::promote::Arg::T(yk.detach()),
                        &crate::promote::Arg::S(Scalar::Float(0.0)),
                    )?;
                    let safe = yk.add(&zero.to_dtype(yk.dtype())?)?;
                    return Ok(vec![Some(g.mul(&x)?.div(&safe)?)]);
                }
                let coef = if p.is_infinite() {
                    let mask = zip_f64(&x.detach(), &yk.detach(), |a, b| if a.abs() == b { a.signum() } else { 0.0 })?;
                    let redims: Vec<i64> = (0..shape.len() as i64).filter(|&i| rd.red[i as usize]).collect();
                    let count = map_f64(&mask, |v| v.abs())?.sum_dims(&redims, true, None)?;
                    mask.div(&count)?
                } else if p == 0.0 {
                    Tensor::zeros_on(x.shape(), x.dtype(), x.device())?
                } else if p == 1.0 {
                    crate::ops::unary::unary(&x.detach(), crate::ops::unary::UOp::Sign, crate::ops::unary::Params::default())?
                } else {
                    zip_f64(&x.detach(), &yk.detach(), |a, n| if n == 0.0 { 0.0 } else { a.signum() * (a.abs() / n).powf(p - 1.0) })?
                };
                Ok(vec![Some(g.mul(&coef)?)])
            });
        }
        Ok(out)
    }

    /// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
    pub fn sum_to(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let lead = self.ndim() - shape.len();
        let mut dims: Vec<i64> = (0..lead as i64).collect();
        for (i, &s) in shape.iter().enumerate() {
            if s == 1 && self.shape()[lead + i] != 1 {
                dims.push((lead + i) as i64);
            }
        }
        let r = if dims.is_empty() { self.clone() } else { self.sum_dims(&dims, true, Some(self.dtype()))? };
        r.reshape(&shape.iter().map(|&s| s as i64).collect::<Vec<_>>())
    }
}
