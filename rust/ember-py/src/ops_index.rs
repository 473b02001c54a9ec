//! Binding for indexing, gather/scatter, sorting and shape-building ops.
use crate::convert::{dim_list, int_list, scalar, tensor_of, Int};
use crate::error::IntoPy;
use crate::tensor::{run, scalar_value, wrap, wrap_all, PyTensor};
use ember::{Scalar, Tensor};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// A list/tuple of `None` or index tensors.
fn indices(o: &Bound<'_, PyAny>) -> PyResult<Vec<Option<Tensor>>> {
    let seq: Vec<Bound<'_, PyAny>> = match o.cast::<PyTuple>() {
        Ok(t) => t.iter().collect(),
        Err(_) => o.cast::<PyList>()?.iter().collect(),
    };
    seq.iter().map(|x| if x.is_none() { Ok(None) } else { tensor_of(x).map(Some) }).collect()
}

fn tensors(o: &Bound<'_, PyAny>) -> PyResult<Vec<Tensor>> {
    o.try_iter()?.map(|x| tensor_of(&x?)).collect()
}

fn this(slf: &Bound<'_, PyTensor>) -> Py<PyAny> {
    slf.clone().into_any().unbind()
}

/// A 0-dim tensor from a number or a tensor argument.
fn value_tensor(v: &Bound<'_, PyAny>, dt: ember::DType) -> PyResult<Tensor> {
    match v.cast::<PyTensor>() {
        Ok(t) => Ok(t.get().operand().clone()),
        Err(_) => Tensor::scalar(scalar_value(v)?, dt).py(),
    }
}

#[pymethods]
impl PyTensor {
    fn _index(&self, py: Python<'_>, idx: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_index", || {
            let ix = indices(idx)?;
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.index(&ix))?)
        })
    }
    #[pyo3(signature = (indices_, values, accumulate=false))]
    fn index_put_(slf: &Bound<'_, Self>, indices_: &Bound<'_, PyAny>, values: &Bound<'_, PyAny>, accumulate: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("index_put_", || {
            let ix = indices(indices_)?;
            let t = &slf.get().operand();
            let v = value_tensor(values, t.dtype())?;
            run(slf.py(), t.numel(), || t.index_put_(&ix, &v, accumulate))?;
            Ok(this(slf))
        })
    }
    #[pyo3(signature = (indices_, values, accumulate=false))]
    fn index_put(&self, py: Python<'_>, indices_: &Bound<'_, PyAny>, values: &Bound<'_, PyAny>, accumulate: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("index_put", || {
            let ix = indices(indices_)?;
            let t = &self.operand();
            let v = value_tensor(values, t.dtype())?;
            wrap(py, run(py, t.numel(), || t.index_put(&ix, &v, accumulate))?)
        })
    }
    #[pyo3(signature = (dim, index, *, sparse_grad=false))]
    fn gather(&self, py: Python<'_>, dim: Int, index: &Bound<'_, PyTensor>, sparse_grad: bool) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("gather", || {
            let _ = sparse_grad;
            let (t, i) = (&self.operand(), &index.get().operand());
            wrap(py, run(py, i.numel(), || t.gather(dim, i))?)
        })
    }
    #[pyo3(signature = (dim, index, src=None, value=None, *, reduce=None))]
    fn scatter(
        &self,
        py: Python<'_>,
        dim: Int,
        index: &Bound<'_, PyTensor>,
        src: Option<&Bound<'_, PyAny>>,
        value: Option<&Bound<'_, PyAny>>,
        reduce: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("scatter", || {
            wrap(py, scatter_any(py, &self.operand(), dim, &index.get().operand(), src, value, reduce, false)?)
        })
    }
    #[pyo3(signature = (dim, index, src=None, value=None, *, reduce=None))]
    fn scatter_(
        slf: &Bound<'_, Self>,
        dim: Int,
        index: &Bound<'_, PyTensor>,
        src: Option<&Bound<'_, PyAny>>,
        value: Option<&Bound<'_, PyAny>>,
        reduce: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("scatter_", || {
            scatter_any(slf.py(), &slf.get().operand(), dim, &index.get().operand(), src, value, reduce, true)?;
            Ok(this(slf))
        })
    }
    fn scatter_add(&self, py: Python<'_>, dim: Int, index: &Bound<'_, PyTensor>, src: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("scatter_add", || {
            let (t, i, s) = (&self.operand(), &index.get().operand(), &src.get().operand());
            wrap(py, run(py, t.numel() + i.numel(), || t.scatter_add(dim, i, s))?)
        })
    }
    fn scatter_add_(slf: &Bound<'_, Self>, dim: Int, index: &Bound<'_, PyTensor>, src: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("scatter_add_", || {
            let (t, i, s) = (&slf.get().operand(), &index.get().operand(), &src.get().operand());
            run(slf.py(), i.numel(), || t.scatter_add_(dim, i, s))?;
            Ok(this(slf))
        })
    }
    #[pyo3(signature = (dim, index, src, reduce, *, include_self=true))]
    fn scatter_reduce(
        &self,
        py: Python<'_>,
        dim: Int,
        index: &Bound<'_, PyTensor>,
        src: &Bound<'_, PyTensor>,
        reduce: &str,
        include_self: bool,
    ) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("scatter_reduce", || {
            let (t, i, s) = (&self.operand(), &index.get().operand(), &src.get().operand());
            wrap(py, run(py, t.numel() + i.numel(), || t.scatter_reduce(dim, i, s, reduce, include_self, false))?)
        })
    }
    #[pyo3(signature = (dim, index, src, reduce, *, include_self=true))]
    fn scatter_reduce_(
        slf: &Bound<'_, Self>,
        dim: Int,
        index: &Bound<'_, PyTensor>,
        src: &Bound<'_, PyTensor>,
        reduce: &str,
        include_self: bool,
    ) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("scatter_reduce_", || {
            let (t, i, s) = (&slf.get().operand(), &index.get().operand(), &src.get().operand());
            run(slf.py(), i.numel(), || t.scatter_reduce(dim, i, s, reduce, include_self, true))?;
            Ok(this(slf))
        })
    }
    fn index_select(&self, py: Python<'_>, dim: Int, index: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("index_select", || {
            let t = &self.operand();
            let i = &index.get().operand();
            wrap(py, run(py, t.numel(), || t.index_select(dim, i))?)
        })
    }
    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add(
        &self,
        py: Python<'_>,
        dim: Int,
        index: &Bound<'_, PyTensor>,
        source: &Bound<'_, PyTensor>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("index_add", || {
            let a = alpha.map(scalar_value).transpose()?.unwrap_or(Scalar::Int(1));
            let (t, i, s) = (&self.operand(), &index.get().operand(), &source.get().operand());
            wrap(py, run(py, t.numel() + s.numel(), || t.index_add(dim, i, s, a, false))?)
        })
    }
    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add_(
        slf: &Bound<'_, Self>,
        dim: Int,
        index: &Bound<'_, PyTensor>,
        source: &Bound<'_, PyTensor>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("index_add_", || {
            let a = alpha.map(scalar_value).transpose()?.unwrap_or(Scalar::Int(1));
            let (t, i, s) = (&slf.get().operand(), &index.get().operand(), &source.get().operand());
            run(slf.py(), s.numel(), || t.index_add(dim, i, s, a, true))?;
            Ok(this(slf))
        })
    }
    fn index_copy(&self, py: Python<'_>, dim: Int, index: &Bound<'_, PyTensor>, source: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("index_copy", || {
            let (t, i, s) = (&self.operand(), &index.get().operand(), &source.get().operand());
            wrap(py, run(py, t.numel() + s.numel(), || t.index_copy(dim, i, s, false))?)
        })
    }
    fn index_copy_(slf: &Bound<'_, Self>, dim: Int, index: &Bound<'_, PyTensor>, source: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("index_copy_", || {
            let (t, i, s) = (&slf.get().operand(), &index.get().operand(), &source.get().operand());
            run(slf.py(), s.numel(), || t.index_copy(dim, i, s, true))?;
            Ok(this(slf))
        })
    }
    fn index_fill(&self, py: Python<'_>, dim: Int, index: &Bound<'_, PyTensor>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("index_fill", || {
            let (t, i) = (&self.operand(), &index.get().operand());
            let v = value_tensor(value, t.dtype())?;
            wrap(py, run(py, t.numel(), || t.index_fill(dim, i, &v, false))?)
        })
    }
    fn index_fill_(slf: &Bound<'_, Self>, dim: Int, index: &Bound<'_, PyTensor>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("index_fill_", || {
            let t = &slf.get().operand();
            let v = value_tensor(value, t.dtype())?;
            let i = &index.get().operand();
            run(slf.py(), t.numel(), || t.index_fill(dim, i, &v, true))?;
            Ok(this(slf))
        })
    }
    fn take(&self, py: Python<'_>, index: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("take", || {
            let (t, i) = (&self.operand(), &index.get().operand());
            wrap(py, run(py, i.numel(), || t.take(i))?)
        })
    }
    fn masked_select(&self, py: Python<'_>, mask: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("masked_select", || {
            let (t, m) = (&self.operand(), &mask.get().operand());
            wrap(py, run(py, t.numel().max(m.numel()), || t.masked_select(m))?)
        })
    }
    fn masked_scatter(&self, py: Python<'_>, mask: &Bound<'_, PyTensor>, source: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("masked_scatter", || {
            let (t, m, s) = (&self.operand(), &mask.get().operand(), &source.get().operand());
            wrap(py, run(py, t.numel(), || t.masked_scatter(m, s, false))?)
        })
    }
    fn masked_scatter_(slf: &Bound<'_, Self>, mask: &Bound<'_, PyTensor>, source: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("masked_scatter_", || {
            let (t, m, s) = (&slf.get().operand(), &mask.get().operand(), &source.get().operand());
            run(slf.py(), t.numel(), || t.masked_scatter(m, s, true))?;
            Ok(this(slf))
        })
    }
    #[pyo3(signature = (*, as_tuple=false))]
    fn nonzero(&self, py: Python<'_>, as_tuple: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("nonzero", || {
            let t = &self.operand();
            let nz = run(py, t.numel(), || t.nonzero())?;
            if !as_tuple {
                return wrap(py, nz);
            }
            let n = self.operand().ndim().max(1);
            let nz = if self.operand().ndim() == 0 { self.operand().reshape(&[1]).py()?.nonzero().py()? } else { nz };
            let cols = run(py, nz.numel(), || (0..n).map(|i| nz.select(1, i as i64).and_then(|c| c.contiguous_copy())).collect())?;
            wrap_all(py, cols)
        })
    }
    fn argwhere(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("argwhere", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.nonzero())?)
        })
    }
    fn _sort(&self, py: Python<'_>, dim: Int, descending: bool) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("_sort", || {
            let t = &self.operand();
            let (v, i) = run(py, t.numel(), || t.sort(dim, descending))?;
            wrap_all(py, vec![v, i])
        })
    }
    #[pyo3(signature = (dim=Int(-1), descending=false, stable=false))]
    fn argsort(&self, py: Python<'_>, dim: Int, descending: bool, stable: bool) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("argsort", || {
            let _ = stable; // always stable
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.argsort(dim, descending))?)
        })
    }
    fn _topk(&self, py: Python<'_>, k: i64, dim: Int, largest: bool) -> PyResult<Py<PyAny>> {
        let dim = dim.0;
        crate::guard::guard("_topk", || {
            let t = &self.operand();
            let (v, i) = run(py, t.numel(), || t.topk(k, dim, largest))?;
            wrap_all(py, vec![v, i])
        })
    }
    fn _unique(&self, py: Python<'_>, consecutive: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_unique", || {
            let t = &self.operand();
            let (v, i, c) = run(py, t.numel(), || t.unique(consecutive))?;
            wrap_all(py, vec![v, i, c])
        })
    }
    fn _searchsorted(&self, py: Python<'_>, values: &Bound<'_, PyTensor>, right: bool, out_int32: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_searchsorted", || {
            let (t, v) = (&self.operand(), &values.get().operand());
            wrap(py, run(py, v.numel(), || t.searchsorted(v, right, out_int32))?)
        })
    }
    #[pyo3(signature = (weights=None, minlength=0))]
    fn bincount(&self, py: Python<'_>, weights: Option<&Bound<'_, PyTensor>>, minlength: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("bincount", || {
            let w = weights.map(|w| w.get().operand().clone());
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.bincount(w.as_ref(), minlength))?)
        })
    }
    #[pyo3(signature = (bins=100, min=0.0, max=0.0))]
    fn histc(&self, py: Python<'_>, bins: i64, min: f64, max: f64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("histc", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.histc(bins, min, max))?)
        })
    }
    #[pyo3(signature = (*args, dims=None))]
    fn flip(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, dims: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("flip", || {
            let d = crate::convert::shape_args_or("flip", "dims", args, dims)?;
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.flip(&d))?)
        })
    }
    #[pyo3(signature = (shifts, dims=None))]
    fn roll(&self, py: Python<'_>, shifts: &Bound<'_, PyAny>, dims: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("roll", || {
            let s = int_list(shifts)?;
            let d = match dims {
                Some(d) if !d.is_none() => dim_list(d)?,
                _ => Default::default(),
            };
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.roll(&s, &d))?)
        })
    }
    #[pyo3(signature = (*sizes, repeats=None))]
    fn repeat(&self, py: Python<'_>, sizes: &Bound<'_, PyTuple>, repeats: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("repeat", || {
            let r = crate::convert::shape_args_or("repeat", "repeats", sizes, repeats)?;
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.repeat(&r))?)
        })
    }
    #[pyo3(signature = (diagonal=0))]
    fn tril(&self, py: Python<'_>, diagonal: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("tril", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.tril(diagonal))?)
        })
    }
    #[pyo3(signature = (diagonal=0))]
    fn triu(&self, py: Python<'_>, diagonal: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("triu", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.triu(diagonal))?)
        })
    }
    #[pyo3(signature = (diagonal=0))]
    fn diag(&self, py: Python<'_>, diagonal: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("diag", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel().saturating_mul(if t.ndim() == 1 { t.numel() } else { 1 }), || t.diag(diagonal))?)
        })
    }
    #[pyo3(signature = (offset=0, dim1=-2, dim2=-1))]
    fn diag_embed(&self, py: Python<'_>, offset: i64, dim1: i64, dim2: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("diag_embed", || {
            let t = &self.operand();
            let n = t.shape().last().copied().unwrap_or(1);
            wrap(py, run(py, t.numel().saturating_mul(n), || t.diag_embed(offset, dim1, dim2))?)
        })
    }
    fn trace(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("trace", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.trace())?)
        })
    }
    #[pyo3(signature = (other, rtol=1e-05, atol=1e-08, equal_nan=false))]
    fn isclose(&self, py: Python<'_>, other: &Bound<'_, PyAny>, rtol: f64, atol: f64, equal_nan: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("isclose", || {
            let t = &self.operand();
            let o = value_tensor(other, t.dtype())?;
            wrap(py, run(py, t.numel().max(o.numel()), || t.isclose(&o, rtol, atol, equal_nan))?)
        })
    }
    #[pyo3(signature = (other, rtol=1e-05, atol=1e-08, equal_nan=false))]
    fn allclose(&self, py: Python<'_>, other: &Bound<'_, PyAny>, rtol: f64, atol: f64, equal_nan: bool) -> PyResult<bool> {
        crate::guard::guard("allclose", || {
            let t = &self.operand();
            let o = value_tensor(other, t.dtype())?;
            run(py, t.numel().max(o.numel()), || t.allclose(&o, rtol, atol, equal_nan))
        })
    }
    fn equal(&self, py: Python<'_>, other: &Bound<'_, PyTensor>) -> PyResult<bool> {
        crate::guard::guard("equal", || {
            let (t, o) = (&self.operand(), &other.get().operand());
            run(py, t.numel(), || t.equal(o))
        })
    }
}

fn scatter_any(
    py: Python<'_>,
    t: &Tensor,
    dim: i64,
    index: &Tensor,
    src: Option<&Bound<'_, PyAny>>,
    value: Option<&Bound<'_, PyAny>>,
    reduce: Option<&str>,
    inplace: bool,
) -> PyResult<Tensor> {
    let src =
        src.or(value).ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("scatter() missing required argument 'src' or 'value'"))?;
    if let Ok(s) = src.cast::<PyTensor>() {
        let s = &s.get().operand();
        return run(py, index.numel(), || t.scatter(dim, index, s, reduce, inplace));
    }
    let v = scalar(src)?.ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("scatter(): src must be a Tensor or a number"))?;
    run(py, index.numel(), || t.scatter_value(dim, index, v, reduce, inplace))
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=Int(0)))]
fn cat(py: Python<'_>, tensors: &Bound<'_, PyAny>, dim: Int) -> PyResult<Py<PyAny>> {
    let dim = dim.0;
    crate::guard::guard("cat", || {
        let ts = self::tensors(tensors)?;
        let work = ts.iter().map(|t| t.numel()).sum();
        wrap(py, run(py, work, || Tensor::cat(&ts, dim))?)
    })
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=Int(0)))]
fn stack(py: Python<'_>, tensors: &Bound<'_, PyAny>, dim: Int) -> PyResult<Py<PyAny>> {
    let dim = dim.0;
    crate::guard::guard("stack", || {
        let ts = self::tensors(tensors)?;
        let work = ts.iter().map(|t| t.numel()).sum();
        wrap(py, run(py, work, || Tensor::stack(&ts, dim))?)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cat, m)?)?;
    m.add_function(wrap_pyfunction!(stack, m)?)?;
    Ok(())
}
