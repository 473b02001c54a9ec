//! Statistics (var/std, median, mode, logsumexp), scans (cumsum, cumprod, cummax) and
//! softmax / log_softmax, each with its backward formula beside it.
use crate::autograd::{needs_grad, record, record_saving, SavedTensor};
use crate::ops::meta::empty as meta_empty;
use crate::ops::reduce::{div_scalar, evenly_distribute, expand_back, record_index_backward, RedDims};
use crate::{DType, Error, Layout, Result, Tensor};
use ember_core::layout::wrap_dim;
use ember_cpu::reduce_index as ki;

fn float_only(op: &str, t: &Tensor) -> Result<()> {
    if !t.dtype().is_float() {
        return Err(Error::runtime(format!(
            "{op}(): expected a floating point input, got {}. Convert it with .float() first.",
            t.dtype().scalar_name()
        )));
    }
    Ok(())
}

impl Tensor {
    fn shaped(&self, s: ember_core::Storage, shape: &[usize], dt: DType) -> Tensor {
        Tensor::from_parts(s, Layout::contiguous(shape), dt)
    }

    /// Whether `op` runs shape-only (meta), erroring for families without its kernel.
    fn meta_family(&self, op: &'static str) -> Result<bool> {
        crate::ops::meta::is_meta(op, crate::dispatch::family(op, &[self])?)
    }

    /// (var or std, mean) over `dims` with `correction` (1 = unbiased, PyTorch's default).
    /// Backward: VarBackward0 = g·2(x − mean)/(N − c); StdBackward0 = g·(x − mean)/(std·(N − c)).
    pub fn var_mean_dims(&self, std: bool, dims: &[i64], correction: f64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        if self.dtype().is_complex() {
            // E|z − mean|² = var(re) + var(im): a real result, differentiable through the views
            use crate::ops::complex::{imag, real};
            let part = |t: Tensor| t.var_mean_dims(false, dims, correction, keepdim).map(|r| r.0);
            let v = part(real(self)?)?.add(&part(imag(self)?)?)?;
            return Ok((if std { v.sqrt()? } else { v }, self.mean_dims(dims, keepdim, None)?));
        }
        float_only(if std { "std" } else { "var" }, self)?;
        let rd = RedDims::new(self.shape(), Some(dims), keepdim)?;
        let op = if std { "std_mean" } else { "var_mean" };
        let (v, m) = crate::dispatch::backend(op, &[self])?.var_mean(std, correction, self, &rd)?;
        if needs_grad(&[self]) {
            let name = if std { "StdBackward0" } else { "VarBackward0" };
            let saved = vec![SavedTensor::input(self), SavedTensor::output(&v)];
            let (sv, shape) = (saved.clone(), self.shape().to_vec());
            let denom = (rd.n as f64 - correction).max(0.0);
            let redims: Vec<i64> = (0..shape.len() as i64).filter(|&i| rd.red[i as usize]).collect();
            record_saving(name, &[self], &[&v], saved, move |g: &[Option<Tensor>]| {
                let (x, y) = (sv[0].unpack(name)?, sv[1].unpack(name)?);
                let g = expand_back(g[0].as_ref().unwrap(), &rd, &shape)?;
                let centered = x.sub(&x.mean_dims(&redims, true, None)?)?;
                let r = if std {
                    g.mul(&centered)?.div(&div_scalar(&y.reshape(&rd.keep_i64())?, 1.0 / denom)?)?
                } else {
                    div_scalar(&g.mul(&centered)?, denom / 2.0)?
                };
                Ok(vec![Some(r)])
            });
            // The mean of var_mean has its own history (MeanBackward1).
            let m2 = self.mean_dims(dims, keepdim, None)?;
            return Ok((v, m2));
        }
        Ok((v, m))
    }

    /// median / nanmedian: no dim → the lower median of all elements (0-dim); with dim →
    /// (values, indices).
    pub fn median_all(&self, skip_nan: bool) -> Result<Tensor> {
        let op = if skip_nan { "nanmedian" } else { "median" };
        let rd = RedDims::new(self.shape(), None, false)?;
        rd.check_nonempty(op, self.shape(), self.numel())?;
        let out = if self.meta_family(op)? {
            meta_empty(&[], self.dtype())?
        } else {
            let (v, _) = ki::median(skip_nan, self.storage(), self.layout(), self.dtype(), &rd.red)?;
            self.shaped(v, &[], self.dtype())
        };
        if needs_grad(&[self]) {
            let name = if skip_nan { "NanmedianBackward0" } else { "MedianBackward0" };
            let saved = vec![SavedTensor::input(self), SavedTensor::output(&out)];
            let sv = saved.clone();
            record_saving(name, &[self], &[&out], saved, move |g: &[Option<Tensor>]| {
                let (x, y) = (sv[0].unpack(name)?, sv[1].unpack(name)?);
                Ok(vec![Some(evenly_distribute(g[0].as_ref().unwrap(), &x, &y, &rd)?)])
            });
        }
        Ok(out)
    }

    pub fn median_dim(&self, skip_nan: bool, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let op = if skip_nan { "nanmedian" } else { "median" };
        self.select_dim(
            op,
            dim,
            keepdim,
            |s, l, d, r| ki::median(skip_nan, s, l, d, r),
            if skip_nan { "NanmedianBackward1" } else { "MedianBackward1" },
        )
    }

    /// mode(dim): the most frequent value (smallest among ties) and an index of it.
    pub fn mode_dim(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.select_dim("mode", dim, keepdim, ki::mode, "ModeBackward0")
    }

    fn select_dim(
        &self,
        op: &'static str,
        dim: i64,
        keepdim: bool,
        f: impl Fn(&ember_core::Storage, &Layout, DType, &[bool]) -> Result<(ember_core::Storage, ember_core::Storage)>,
        name: &'static str,
    ) -> Result<(Tensor, Tensor)> {
        let d = wrap_dim(dim, self.ndim())?;
        let rd = RedDims::new(self.shape(), Some(&[dim]), keepdim)?;
        rd.check_nonempty(op, self.shape(), self.numel())?;
        let (v, i) = if self.meta_family(op)? {
            (meta_empty(&rd.out, self.dtype())?, meta_empty(&rd.out, DType::I64)?)
        } else {
            let (v, i) = f(self.storage(), self.layout(), self.dtype(), &rd.red)?;
            (self.shaped(v, &rd.out, self.dtype()), self.shaped(i, &rd.out, DType::I64))
        };
        record_index_backward(name, self, &v, &i, d, &rd);
        Ok((v, i))
    }

    /// log(sum(exp(x))) over `dims`, stable. Backward: g · exp(x − out) = g · softmax over dims.
    pub fn logsumexp_dims(&self, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        let x = if self.dtype().is_float() { self.clone() } else { self.to_dtype(crate::promote::default_dtype())? };
        let rd = RedDims::new(x.shape(), Some(dims), keepdim)?;
        let out = if x.meta_family("logsumexp")? {
            meta_empty(&rd.out, x.dtype())?
        } else {
            x.shaped(ki::logsumexp(x.storage(), x.layout(), x.dtype(), &rd.red)?, &rd.out, x.dtype())
        };
        if needs_grad(&[&x]) {
            let saved = vec![SavedTensor::input(&x)];
            let (sv, shape) = (saved.clone(), x.shape().to_vec());
            record_saving("LogsumexpBackward0", &[&x], &[&out], saved, move |g: &[Option<Tensor>]| {
                let x = sv[0].unpack("LogsumexpBackward0")?;
                let g = expand_back(g[0].as_ref().unwrap(), &rd, &shape)?;
                Ok(vec![Some(g.mul(&x.softmax_over(&rd.red)?)?)])
            });
        }
        Ok(out)
    }

    /// softmax jointly over several dims: move them last, flatten, softmax(-1), undo (views).
    pub fn softmax_over(&self, red: &[bool]) -> Result<Tensor> {
        let nd = self.ndim();
        let order: Vec<usize> = (0..nd).filter(|&i| !red[i]).chain((0..nd).filter(|&i| red[i])).collect();
        let kept = (0..nd).filter(|&i| !red[i]).count();
        let p = self.permute(&order.iter().map(|&d| d as i64).collect::<Vec<_>>())?;
        let mut flat: Vec<i64> = order[..kept].iter().map(|&d| self.shape()[d] as i64).collect();
        flat.push(order[kept..].iter().map(|&d| self.shape()[d] as i64).product());
        let sm = p.reshape(&flat)?.softmax_dim(-1, false, None)?;
        let pshape: Vec<i64> = order.iter().map(|&d| self.shape()[d] as i64).collect();
        let mut inv = vec![0i64; nd];
        for (k, &d) in order.iter().enumerate() {
            inv[d] = k as i64;
        }
        sm.reshape(&pshape)?.permute(&inv)
    }

    /// softmax (`log` false) or log_softmax along `dim`, optionally computing in `dtype`.
    /// Half types compute in float32. Backward: softmax y·(g − Σ g·y); log_softmax g − softmax·Σ g.
    pub fn softmax_dim(&self, dim: i64, log: bool, dtype: Option<DType>) -> Result<Tensor> {
        let x = match dtype {
            Some(d) => self.to_dtype(d)?,
            None => self.clone(),
        };
        let op = if log { "log_softmax" } else { "softmax" };
        if !x.dtype().is_float() {
            return Err(Error::runtime(format!(
                "\"{op}_lastdim_kernel_impl\" not implemented for '{}'. Pass dtype= or convert the input to a floating point dtype.",
                x.dtype().scalar_name()
            )));
        }
        let d = wrap_dim(dim, x.ndim())?;
        let cd = if matches!(x.dtype(), DType::F16 | DType::BF16) { DType::F32 } else { x.dtype() };
        let xc = x.detach().to_dtype(cd)?;
        let out = crate::dispatch::backend(op, &[&x])?.softmax(log, &xc, d)?.to_dtype(x.dtype())?;
        if needs_grad(&[&x]) {
            let dims = [d as i64];
            if log {
                let saved = vec![SavedTensor::input(&x)];
                let sv = saved.clone();
                record_saving("LogSoftmaxBackward0", &[&x], &[&out], saved, move |g: &[Option<Tensor>]| {
                    let x = sv[0].unpack("LogSoftmaxBackward0")?;
                    let g = g[0].as_ref().unwrap();
                    Ok(vec![Some(g.sub(&x.softmax_dim(dims[0], false, None)?.mul(&g.sum_dims(&dims, true, None)?)?)?)])
                });
            } else {
                let saved = vec![SavedTensor::output(&out)];
                let sv = saved.clone();
                record_saving("SoftmaxBackward0", &[&x], &[&out], saved, move |g: &[Option<Tensor>]| {
                    let y = sv[0].unpack("SoftmaxBackward0")?;
                    let g = g[0].as_ref().unwrap();
                    Ok(vec![Some(y.mul(&g.sub(&g.mul(&y)?.sum_dims(&dims, true, None)?)?)?)])
                });
            }
        }
        Ok(out)
    }

    /// cumsum (`prod` false) or cumprod along `dim`; ints and bool accumulate in int64.
    /// Backward: cumsum → reversed cumsum of g (= Σg − cumsum(g) + g); cumprod → reversed
    /// cumsum of g·out divided by x (no zeros), else the exact per-row formula.
    pub fn cumulative(&self, prod: bool, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        let d = wrap_dim(dim, self.ndim())?;
        let out_dt = dtype.unwrap_or_else(|| crate::ops::reduce::sum_dtype(self.dtype()));
        let cd = ember_cpu::reduce::compute_dtype(out_dt);
        let xc = self.detach().to_dtype(cd)?;
        let out = if xc.meta_family(if prod { "cumprod" } else { "cumsum" })? {
            meta_empty(self.shape(), out_dt)?
        } else {
            let s = ember_cpu::scan::cumulative(prod, xc.storage(), xc.layout(), cd, d)?;
            Tensor::from_parts(s, Layout::contiguous(self.shape()), cd).to_dtype(out_dt)?
        };
        if needs_grad(&[self]) && out_dt.is_inexact() {
            let in_dt = self.dtype();
            let dims = [d as i64];
            if !prod {
                record("CumsumBackward0", &[self], &[&out], move |g: &[Option<Tensor>]| {
                    let g = g[0].as_ref().unwrap();
                    let rev = g.sum_dims(&dims, true, None)?.sub(&g.cumulative(false, dims[0], None)?)?.add(g)?;
                    Ok(vec![Some(rev.to_dtype(in_dt)?)])
                });
            } else {
                let saved = vec![SavedTensor::input(self), SavedTensor::output(&out)];
                let sv = saved.clone();
                record_saving("CumprodBackward0", &[self], &[&out], saved, move |g: &[Option<Tensor>]| {
                    let (x, y) = (sv[0].unpack("CumprodBackward0")?, sv[1].unpack("CumprodBackward0")?);
                    let g = g[0].as_ref().unwrap().to_dtype(in_dt)?;
                    if in_dt.is_complex() {
                        // the holomorphic rule: the real formula on conjugates
                        use crate::ops::complex::{abs, conj_physical as cj};
                        if abs(&x.detach())?.to_vec::<f64>()?.contains(&0.0) {
                            return Err(Error::NotImplemented(
                                "cumprod backward of a complex input that contains zeros is not implemented".into(),
                            ));
                        }
                        let gy = g.mul(&cj(&y)?)?;
                        let rev = gy.sum_dims(&dims, true, None)?.sub(&gy.cumulative(false, dims[0], None)?)?.add(&gy)?;
                        return Ok(vec![Some(rev.div(&cj(&x)?)?)]);
                    }
                    let has_zero = x.to_vec::<f64>()?.contains(&0.0);
                    if !has_zero {
                        let gy = g.mul(&y.to_dtype(in_dt)?)?;
                        let rev = gy.sum_dims(&dims, true, None)?.sub(&gy.cumulative(false, dims[0], None)?)?.add(&gy)?;
                        return Ok(vec![Some(rev.div(&x)?)]);
                    }
                    Ok(vec![Some(cumprod_grad_exact(&x.detach(), &g.detach(), dims[0] as usize)?)])
                });
            }
        }
        Ok(out)
    }

    /// cummax / cummin along `dim`: (values, indices); the gradient goes to the indices.
    pub fn cum_extreme(&self, want_max: bool, dim: i64) -> Result<(Tensor, Tensor)> {
        let d = wrap_dim(dim, self.ndim())?;
        let (v, i) = if self.meta_family(if want_max { "cummax" } else { "cummin" })? {
            (meta_empty(self.shape(), self.dtype())?, meta_empty(self.shape(), DType::I64)?)
        } else {
            let (v, i) = ember_cpu::scan::cum_extreme(want_max, self.storage(), self.layout(), self.dtype(), d)?;
            (self.shaped(v, self.shape(), self.dtype()), self.shaped(i, self.shape(), DType::I64))
        };
        if needs_grad(&[self]) {
            let name = if want_max { "CummaxBackward0" } else { "CumminBackward0" };
            let (idx, shape) = (i.clone(), self.shape().to_vec());
            record(name, &[self], &[&v], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap();
                // grad_x[.., idx[k], ..] += g[.., k, ..]: a sum of one-hot rows, one per k.
                let n = shape.get(d).copied().unwrap_or(1);
                let mut acc = Tensor::zeros_on(&shape, g.dtype(), g.device())?;
                for kk in 0..n as i64 {
                    let ik = idx.narrow(d as i64, kk, 1)?;
                    let gk = g.narrow(d as i64, kk, 1)?;
                    let oh = crate::ops::reduce::onehot(&ik, &shape, d, g.dtype())?;
                    acc = acc.add(&oh.mul(&gk)?)?;
                }
                Ok(vec![Some(acc)])
            });
        }
        Ok((v, i))
    }
}

/// d cumprod / dx when x holds zeros: grad_i = Σ_{k≥i} g_k · Π_{j≤k, j≠i} x_j, per row
/// (O(n²) per row, only on this rare path). A constant: no double backward here.
fn cumprod_grad_exact(x: &Tensor, g: &Tensor, dim: usize) -> Result<Tensor> {
    let nd = x.ndim().max(1);
    let xm = if x.ndim() == 0 { x.reshape(&[1])? } else { x.clone() };
    let gm = if g.ndim() == 0 { g.reshape(&[1])? } else { g.clone() };
    let last = (nd - 1) as i64;
    let (xt, gt) = (xm.transpose(dim as i64, last)?, gm.transpose(dim as i64, last)?);
    let (xv, gv) = (xt.to_vec::<f64>()?, gt.to_vec::<f64>()?);
    let n = xt.shape()[nd - 1];
    let mut r = vec![0.0f64; xv.len()];
    if n > 0 {
        for (row, (xr, gr)) in xv.chunks(n).zip(gv.chunks(n)).enumerate() {
            for i in 0..n {
                let (mut p, mut s) = (1.0f64, 0.0f64);
                for kk in 0..n {
                    if kk != i {
                        p *= xr[kk];
                    }
                    if kk >= i {
                        s += gr[kk] * p;
                    }
                }
                r[row * n + i] = s;
            }
        }
    }
    let t = Tensor::from_vec(r, xt.shape())?.transpose(dim as i64, last)?.to_dtype(x.dtype())?;
    t.reshape(&x.shape().iter().map(|&s| s as i64).collect::<Vec<_>>())
}
