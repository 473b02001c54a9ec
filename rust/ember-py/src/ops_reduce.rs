//! Binding for reductions, scans and softmax: Tensor methods (module functions are the
//! Python forwarders in `_ops_reduce.py`). Results with indices come back as the named
//! tuples `ember.return_types.*` defined in Python.
use crate::convert::{dim_list, dtype, Int};
use crate::tensor::{run, wrap, PyTensor};
use ember::cpu::reduce::Logical;
use ember::{Result, Tensor};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;

/// `dim=None` / int / tuple → dims (empty = all).
fn dims(dim: Option<&Bound<'_, PyAny>>) -> PyResult<crate::convert::IntList> {
    match dim {
        Some(d) if !d.is_none() => dim_list(d),
        _ => Ok(Default::default()),
    }
}

/// A single optional int dim.
fn one_dim(dim: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i64>> {
    match dim {
        Some(d) if !d.is_none() => Ok(Some(crate::convert::index_value(d)?)),
        _ => Ok(None),
    }
}

fn go(py: Python<'_>, t: &Tensor, f: impl FnOnce() -> Result<Tensor> + Send) -> PyResult<Py<PyAny>> {
    wrap(py, run(py, t.numel(), f)?)
}

/// `ember.return_types.<name>(a, b)`.
fn named(py: Python<'_>, name: &str, pair: (Tensor, Tensor)) -> PyResult<Py<PyAny>> {
    static TYPES: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    let types = TYPES.get_or_try_init(py, || Ok::<_, PyErr>(py.import("ember._ops_reduce")?.getattr("return_types")?.unbind()))?;
    let cls = types.bind(py).getattr(name)?.cast_into::<pyo3::types::PyType>()?;
    let items = vec![wrap(py, pair.0)?.into_bound(py), wrap(py, pair.1)?.into_bound(py)];
    Ok(crate::tensor::tuple_of(py, &cls, items)?.unbind())
}

fn go2(py: Python<'_>, name: &str, t: &Tensor, f: impl FnOnce() -> Result<(Tensor, Tensor)> + Send) -> PyResult<Py<PyAny>> {
    let r = run(py, t.numel(), f)?;
    named(py, name, r)
}

/// max/min: no dim → value; dim → (values, indices); a tensor → elementwise maximum/minimum.
fn extreme(slf: &Bound<'_, PyTensor>, want_max: bool, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let t = &slf.get().operand();
    if let Some(o) = dim.filter(|d| d.cast::<PyTensor>().is_ok()) {
        let f = py.import("ember")?.getattr(if want_max { "maximum" } else { "minimum" })?;
        return Ok(f.call1((slf, o))?.unbind());
    }
    match one_dim(dim)? {
        None => go(py, t, || t.max_all(want_max)),
        Some(d) => go2(py, if want_max { "max" } else { "min" }, t, || t.max_dim(want_max, d, keepdim)),
    }
}

/// PyTorch's var/std argument forms: `(dim, unbiased, keepdim)`, `(unbiased)` and
/// `(dim, *, correction, keepdim)` → (dims, correction).
fn var_args(dim: Option<&Bound<'_, PyAny>>, unbiased: Option<bool>, correction: Option<f64>) -> PyResult<(crate::convert::IntList, f64)> {
    let mut unb = unbiased;
    let ds = match dim {
        Some(d) if d.is_instance_of::<pyo3::types::PyBool>() => {
            unb = Some(d.extract()?);
            Default::default()
        }
        d => dims(d)?,
    };
    if unbiased.is_some() && correction.is_some() {
        return Err(PyRuntimeError::new_err("Cannot specify both unbiased and correction; use correction= alone."));
    }
    Ok((ds, correction.unwrap_or(if unb.unwrap_or(true) { 1.0 } else { 0.0 })))
}

/// `p` of norm: a number, inf, or "fro" (= 2 for vectors).
fn norm_p(p: Option<&Bound<'_, PyAny>>) -> PyResult<f64> {
    match p {
        None => Ok(2.0),
        Some(p) if p.is_none() => Ok(2.0),
        Some(p) => {
            if let Ok(s) = p.extract::<String>() {
                return match s.as_str() {
                    "fro" => Ok(2.0),
                    _ => Err(PyRuntimeError::new_err(format!(
                        "norm(): p='{s}' is not supported for vector norms; use a number, inf, or 'fro'."
                    ))),
                };
            }
            p.extract::<f64>().map_err(|_| PyTypeError::new_err("norm(): p must be a number or 'fro'"))
        }
    }
}

/// NumPy's `axis=`, which PyTorch's reductions accept as an alias of `dim=`.
fn axis_alias<'a, 'py>(
    op: &str,
    dim: Option<&'a Bound<'py, PyAny>>,
    axis: Option<&'a Bound<'py, PyAny>>,
) -> PyResult<Option<&'a Bound<'py, PyAny>>> {
    match (dim, axis) {
        (Some(d), Some(_)) if !d.is_none() => {
            Err(pyo3::exceptions::PyTypeError::new_err(format!("{op}() got multiple values for argument 'dim'")))
        }
        (_, Some(a)) => Ok(Some(a)),
        (d, None) => Ok(d),
    }
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None, axis=None))]
    fn sum(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
        axis: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("sum", || {
            let dim = axis_alias("sum", dim, axis)?;
            let (ds, dt, t) = (dims(dim)?, crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.sum_dims(&ds, keepdim, dt))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn nansum(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("nansum", || {
            let (ds, dt, t) = (dims(dim)?, crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.nansum_dims(&ds, keepdim, dt))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None, axis=None))]
    fn mean(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
        axis: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("mean", || {
            let dim = axis_alias("mean", dim, axis)?;
            let (ds, dt, t) = (dims(dim)?, crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.mean_dims(&ds, keepdim, dt))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn nanmean(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("nanmean", || {
            let (ds, dt, t) = (dims(dim)?, crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.nanmean_dims(&ds, keepdim, dt))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn prod(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("prod", || {
            let (ds, dt, t) = (one_dim(dim)?.into_iter().collect::<Vec<_>>(), crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.prod_dims(&ds, keepdim, dt))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn max(slf: &Bound<'_, Self>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("max", || extreme(slf, true, dim, keepdim))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn min(slf: &Bound<'_, Self>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("min", || extreme(slf, false, dim, keepdim))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amax(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("amax", || {
            let (ds, t) = (dims(dim)?, &self.operand());
            go(py, t, || t.amax_dims(true, &ds, keepdim))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amin(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("amin", || {
            let (ds, t) = (dims(dim)?, &self.operand());
            go(py, t, || t.amax_dims(false, &ds, keepdim))
        })
    }
    #[pyo3(signature = (*, dim=None, keepdim=false))]
    fn aminmax(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("aminmax", || {
            let (ds, t) = (one_dim(dim)?.into_iter().collect::<Vec<_>>(), &self.operand());
            go2(py, "aminmax", t, || Ok((t.amax_dims(false, &ds, keepdim)?, t.amax_dims(true, &ds, keepdim)?)))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmax(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("argmax", || {
            let (d, t) = (one_dim(dim)?, &self.operand());
            go(py, t, || t.argmax_dim(true, d, keepdim))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmin(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("argmin", || {
            let (d, t) = (one_dim(dim)?, &self.operand());
            go(py, t, || t.argmax_dim(false, d, keepdim))
        })
    }
    #[pyo3(signature = (dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn var(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        unbiased: Option<bool>,
        keepdim: bool,
        correction: Option<f64>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("var", || {
            let ((ds, c), t) = (var_args(dim, unbiased, correction)?, &self.operand());
            go(py, t, || Ok(t.var_mean_dims(false, &ds, c, keepdim)?.0))
        })
    }
    #[pyo3(signature = (dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn std(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        unbiased: Option<bool>,
        keepdim: bool,
        correction: Option<f64>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("std", || {
            let ((ds, c), t) = (var_args(dim, unbiased, correction)?, &self.operand());
            go(py, t, || Ok(t.var_mean_dims(true, &ds, c, keepdim)?.0))
        })
    }
    /// `(var, mean)` / `(std, mean)` (what `ember.var_mean` / `ember.std_mean` return).
    #[pyo3(signature = (std, dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn _var_mean(
        &self,
        py: Python<'_>,
        std: bool,
        dim: Option<&Bound<'_, PyAny>>,
        unbiased: Option<bool>,
        keepdim: bool,
        correction: Option<f64>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_var_mean", || {
            let ((ds, c), t) = (var_args(dim, unbiased, correction)?, &self.operand());
            let (v, m) = run(py, t.numel(), || t.var_mean_dims(std, &ds, c, keepdim))?;
            crate::tensor::wrap_all(py, vec![v, m])
        })
    }
    #[pyo3(signature = (p=None, dim=None, keepdim=false, dtype=None))]
    fn norm(
        &self,
        py: Python<'_>,
        p: Option<&Bound<'_, PyAny>>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("norm", || {
            let (p, ds, dt, t) = (norm_p(p)?, dims(dim)?, crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.norm_dims(p, &ds, keepdim, dt, "NormBackward1"))
        })
    }
    #[pyo3(signature = (ord=2.0, dim=None, keepdim=false, *, dtype=None))]
    fn _vector_norm(
        &self,
        py: Python<'_>,
        ord: f64,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_vector_norm", || {
            let (ds, dt, t) = (dims(dim)?, crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.norm_dims(ord, &ds, keepdim, dt, "LinalgVectorNormBackward0"))
        })
    }
    #[pyo3(signature = (dim, keepdim=false))]
    fn logsumexp(&self, py: Python<'_>, dim: &Bound<'_, PyAny>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("logsumexp", || {
            let (ds, t) = (dim_list(dim)?, &self.operand());
            go(py, t, || t.logsumexp_dims(&ds, keepdim))
        })
    }
    #[pyo3(signature = (dim, dtype=None))]
    fn softmax(&self, py: Python<'_>, dim: Int, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("softmax", || {
            let (dt, t) = (crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.softmax_dim(dim, false, dt))
        })
    }
    #[pyo3(signature = (dim, dtype=None))]
    fn log_softmax(&self, py: Python<'_>, dim: Int, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("log_softmax", || {
            let (dt, t) = (crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.softmax_dim(dim, true, dt))
        })
    }
    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumsum(&self, py: Python<'_>, dim: Int, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("cumsum", || {
            let (dt, t) = (crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.cumulative(false, dim, dt))
        })
    }
    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumprod(&self, py: Python<'_>, dim: Int, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("cumprod", || {
            let (dt, t) = (crate::convert::dtype(dtype)?, &self.operand());
            go(py, t, || t.cumulative(true, dim, dt))
        })
    }
    fn cummax(&self, py: Python<'_>, dim: Int) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("cummax", || {
            let t = &self.operand();
            go2(py, "cummax", t, || t.cum_extreme(true, dim))
        })
    }
    fn cummin(&self, py: Python<'_>, dim: Int) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("cummin", || {
            let t = &self.operand();
            go2(py, "cummin", t, || t.cum_extreme(false, dim))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn all(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("all", || {
            let (ds, t) = (dims(dim)?, &self.operand());
            go(py, t, || t.logical_dims(Logical::All, &ds, keepdim))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn any(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("any", || {
            let (ds, t) = (dims(dim)?, &self.operand());
            go(py, t, || t.logical_dims(Logical::Any, &ds, keepdim))
        })
    }
    #[pyo3(signature = (dim=None))]
    fn count_nonzero(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("count_nonzero", || {
            let (ds, t) = (dims(dim)?, &self.operand());
            go(py, t, || t.logical_dims(Logical::CountNonzero, &ds, false))
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn median(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("median", || {
            let t = &self.operand();
            match one_dim(dim)? {
                None => go(py, t, || t.median_all(false)),
                Some(d) => go2(py, "median", t, || t.median_dim(false, d, keepdim)),
            }
        })
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn nanmedian(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("nanmedian", || {
            let t = &self.operand();
            match one_dim(dim)? {
                None => go(py, t, || t.median_all(true)),
                Some(d) => go2(py, "nanmedian", t, || t.median_dim(true, d, keepdim)),
            }
        })
    }
    #[pyo3(signature = (dim=Int(-1), keepdim=false))]
    fn mode(&self, py: Python<'_>, dim: Int, keepdim: bool) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("mode", || {
            let t = &self.operand();
            go2(py, "mode", t, || t.mode_dim(dim, keepdim))
        })
    }
}

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    let _ = dtype;
    Ok(())
}
