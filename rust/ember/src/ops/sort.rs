//! Sorting and searching: sort/argsort/topk, unique, searchsorted, bincount, histc, and the
//! closeness tests isclose/allclose/equal.
use crate::autograd::{needs_grad, record};
use crate::{DType, Element, Error, Layout, Result, Tensor};
use ember_core::layout::{broadcast_shapes, wrap_dim};
use ember_cpu::elementwise::binary;
use ember_cpu::{sort as ks, with_dtype};

/// SortBackward0 / TopkBackward0: the gradient goes back to where each value came from.
fn record_select(name: &'static str, input: &Tensor, values: &Tensor, indices: &Tensor, dim: i64) {
    if needs_grad(&[input]) {
        let (shape, idx) = (input.shape().to_vec(), indices.clone());
        record(name, &[input], &[values, indices], move |g: &[Option<Tensor>]| {
            let Some(g) = &g[0] else { return Ok(vec![None]) };
            Ok(vec![Some(Tensor::zeros_on(&shape, g.dtype(), g.device())?.scatter_add(dim, &idx, g)?)])
        });
    }
}

impl Tensor {
    /// Sorted values along `dim` (stable; NaN greatest) and their int64 positions.
    pub fn sort(&self, dim: i64, descending: bool) -> Result<(Tensor, Tensor)> {
        let (v, i) = self.sort_raw(dim, descending)?;
        record_select("SortBackward0", self, &v, &i, dim);
        Ok((v, i))
    }

    fn sort_raw(&self, dim: i64, descending: bool) -> Result<(Tensor, Tensor)> {
        let nd = self.ndim().max(1);
        let d = wrap_dim(dim, nd)?;
        let x = if self.ndim() == 0 { self.detach().reshape(&[1])? } else { self.detach() };
        if crate::ops::meta::is_meta("sort", crate::dispatch::family("sort", &[self])?)? {
            let shape = self.shape();
            return Ok((crate::ops::meta::empty(shape, self.dtype())?, crate::ops::meta::empty(shape, DType::I64)?));
        }
        let moved = x.movedim(&[d as i64], &[-1])?.contiguous_copy()?;
        let n = moved.shape().last().copied().unwrap_or(1);
        let rows = if n == 0 { 0 } else { moved.numel() / n };
        let (vs, is) = ks::sort_rows(moved.storage(), moved.offset(), moved.dtype(), rows, n, descending)?;
        let back = |s, dt| -> Result<Tensor> {
            let t = Tensor::from_parts(s, Layout::contiguous(moved.shape()), dt).movedim(&[-1], &[d as i64])?;
            t.contiguous_copy()?.reshape(&self.shape().iter().map(|&s| s as i64).collect::<Vec<_>>())
        };
        Ok((back(vs, self.dtype())?.detach(), back(is, DType::I64)?.detach()))
    }

    pub fn argsort(&self, dim: i64, descending: bool) -> Result<Tensor> {
        Ok(self.sort_raw(dim, descending)?.1)
    }

    pub fn topk(&self, k: i64, dim: i64, largest: bool) -> Result<(Tensor, Tensor)> {
        let d = wrap_dim(dim, self.ndim().max(1))?;
        let size = if self.ndim() == 0 { 1 } else { self.shape()[d] } as i64;
        if k < 0 || k > size {
            return Err(Error::runtime(format!("selected index k out of range (k = {k}, size of dim {d} = {size})")));
        }
        let (v, i) = self.sort_raw(dim, largest)?;
        let (v, i) = if self.ndim() == 0 {
            (v, i)
        } else {
            (v.narrow(d as i64, 0, k)?.contiguous_copy()?, i.narrow(d as i64, 0, k)?.contiguous_copy()?)
        };
        record_select("TopkBackward0", self, &v, &i, dim);
        Ok((v, i))
    }

    /// `unique()` of the flattened tensor: (sorted values, inverse of self's shape, counts).
    pub fn unique(&self, consecutive: bool) -> Result<(Tensor, Tensor, Tensor)> {
        let (v, inv, cnt) = with_dtype!(self.dtype(), T => {
            let x = self.to_vec::<T>()?;
            let (v, inv, cnt) = if consecutive { ks::unique_consecutive(&x) } else { ks::unique(&x) };
            let n = v.len();
            (Tensor::from_vec(v, &[n])?, inv, cnt)
        });
        let nc = cnt.len();
        let inv = Tensor::from_vec(inv, self.shape())?;
        Ok((v, inv, Tensor::from_vec(cnt, &[nc])?))
    }

    /// `searchsorted(sorted_sequence=self, values, right)`.
    pub fn searchsorted(&self, values: &Tensor, right: bool, out_int32: bool) -> Result<Tensor> {
        let seq_rows = self.ndim() > 1;
        if seq_rows && (values.ndim() != self.ndim() || values.shape()[..values.ndim() - 1] != self.shape()[..self.ndim() - 1]) {
            return Err(Error::runtime(format!(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor {:?} and input value tensor {:?}",
                self.shape(),
                values.shape()
            )));
        }
        if self.ndim() == 0 {
            return Err(Error::runtime("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got a 0-dim boundaries tensor"));
        }
        let dt = DType::promote(self.dtype(), values.dtype())?;
        let n = self.shape()[self.ndim() - 1];
        let m = values.shape().last().copied().unwrap_or(1);
        let pos = with_dtype!(dt, T => {
            let (s, v) = (self.detach().to_dtype(dt)?.to_vec::<T>()?, values.detach().to_dtype(dt)?.to_vec::<T>()?);
            ks::searchsorted(&s, n, &v, m, right)
        });
        let out = Tensor::from_vec(pos, values.shape())?;
        if out_int32 {
            out.to_dtype(DType::I32)
        } else {
            Ok(out)
        }
    }

    /// `bincount(weights, minlength)`: counts (or weight sums) of each non-negative int.
    pub fn bincount(&self, weights: Option<&Tensor>, minlength: i64) -> Result<Tensor> {
        if self.ndim() != 1 || self.dtype().is_float() || self.dtype() == DType::Bool {
            return Err(Error::runtime("bincount only supports 1-d non-negative integral inputs."));
        }
        if minlength < 0 {
            return Err(Error::runtime("minlength should be >= 0"));
        }
        let x = self.to_vec::<i64>()?;
        if x.iter().any(|&v| v < 0) {
            return Err(Error::runtime("bincount only supports 1-d non-negative integral inputs."));
        }
        let len = (x.iter().max().map_or(0, |&m| m as usize + 1)).max(minlength as usize);
        match weights {
            None => {
                let mut c = ember_core::filled_vec(0i64, len);
                x.iter().for_each(|&v| c[v as usize] += 1);
                Tensor::from_vec(c, &[len])
            }
            Some(w) => {
                if w.shape() != self.shape() {
                    return Err(Error::runtime("weights should be 1-d and have the same length as input"));
                }
                let wv = w.to_vec::<f64>()?;
                let mut c = ember_core::filled_vec(0f64, len);
                x.iter().zip(&wv).for_each(|(&v, &w)| c[v as usize] += w);
                let out = Tensor::from_vec(c, &[len])?;
                out.to_dtype(if w.dtype() == DType::F32 { DType::F32 } else { DType::F64 })
            }
        }
    }

    /// `histc(bins, min, max)`: equal-width histogram; min == max means the data's range.
    pub fn histc(&self, bins: i64, min: f64, max: f64) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return Err(Error::runtime(format!("\"histogram_cpu\" not implemented for '{}'", self.dtype().scalar_name())));
        }
        if bins <= 0 {
            return Err(Error::runtime("torch.histc: bins must be > 0"));
        }
        let x = self.to_vec::<f64>()?;
        let (mut lo, mut hi) = (min, max);
        if lo == hi && !x.is_empty() {
            lo = x.iter().cloned().fold(f64::INFINITY, f64::min);
            hi = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        }
        if lo == hi {
            lo -= 1.0;
            hi += 1.0;
        }
        if lo > hi {
            return Err(Error::runtime(format!("torch.histc: max must be larger than min (got min={min}, max={max})")));
        }
        let nb = bins as usize;
        let mut h = ember_core::filled_vec(0f64, nb);
        for &v in &x {
            if v >= lo && v <= hi {
                let b = (((v - lo) * nb as f64 / (hi - lo)) as usize).min(nb - 1);
                h[b] += 1.0;
            }
        }
        Tensor::from_vec(h, &[nb])?.to_dtype(self.dtype())
    }

    /// Elementwise `|a - b| <= atol + rtol·|b|` (equal infinities and, with equal_nan, NaNs
    /// count as close).
    pub fn isclose(&self, other: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<Tensor> {
        if self.dtype() != other.dtype() {
            return Err(Error::runtime(format!("{} did not match {}", self.dtype().scalar_name(), other.dtype().scalar_name())));
        }
        let shape = broadcast_shapes(self.shape(), other.shape())?;
        if crate::ops::meta::is_meta("isclose", crate::dispatch::family("isclose", &[self, other])?)? {
            return crate::ops::meta::empty(&shape, DType::Bool);
        }
        let exact = !self.dtype().is_inexact();
        let cplx = self.dtype().is_complex();
        let s = with_dtype!(self.dtype(), T => binary::<T, T, bool>(self.storage(), self.layout(), other.storage(), other.layout(), &shape, move |a, b| {
            if cplx {
                // the distance in the plane; NaN in either part makes a value NaN
                let ((xr, xi), (yr, yi)) = (a.to_c128(), b.to_c128());
                let (xn, yn) = (xr.is_nan() || xi.is_nan(), yr.is_nan() || yi.is_nan());
                return if (xr, xi) == (yr, yi) {
                    true
                } else if xn || yn {
                    equal_nan && xn && yn
                } else {
                    let fin = xr.is_finite() && xi.is_finite() && yr.is_finite() && yi.is_finite();
                    fin && (xr - yr).hypot(xi - yi) <= atol + rtol * yr.hypot(yi)
                };
            }
            let (x, y) = (a.to_f64(), b.to_f64());
            if x == y {
                true
            } else if exact {
                (x - y).abs() <= atol + rtol * y.abs()
            } else if x.is_nan() || y.is_nan() {
                equal_nan && x.is_nan() && y.is_nan()
            } else {
                x.is_finite() && y.is_finite() && (x - y).abs() <= atol + rtol * y.abs()
            }
        }))?;
        Ok(Tensor::from_parts(s, Layout::contiguous(&shape), DType::Bool))
    }

    pub fn allclose(&self, other: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<bool> {
        Ok(self.isclose(other, rtol, atol, equal_nan)?.to_vec::<bool>()?.into_iter().all(|b| b))
    }

    /// `equal(other)`: same shape and the same values (after promotion).
    pub fn equal(&self, other: &Tensor) -> Result<bool> {
        if self.shape() != other.shape() {
            return Ok(false);
        }
        let dt = DType::promote(self.dtype(), other.dtype())?;
        let (a, b) = (self.detach().to_dtype(dt)?, other.detach().to_dtype(dt)?);
        Ok(with_dtype!(dt, T => a.to_vec::<T>()? == b.to_vec::<T>()?))
    }
}
