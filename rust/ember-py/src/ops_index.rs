//! Binding for indexing, gather/scatter, sorting and shape-building ops.
use crate::convert::{int_list, scalar, tensor_of};
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
            let v = value_tensor(values, self.operand().dtype())?;
            wrap(py, self.operand().index_put(&ix, &v, accumulate).py()?)
        })
    }
    #[pyo3(signature = (dim, index, *, sparse_grad=false))]
    fn gather(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyTensor>, sparse_grad: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("gather", || {
            let _ = sparse_grad;
            wrap(py, self.operand().gather(dim, &index.get().operand()).py()?)
        })
    }
    #[pyo3(signature = (dim, index, src=None, value=None, *, reduce=None))]
    fn scatter(
        &self,
        py: Python<'_>,
        dim: i64,
        index: &Bound<'_, PyTensor>,
        src: Option<&Bound<'_, PyAny>>,
        value: Option<&Bound<'_, PyAny>>,
        reduce: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("scatter", || wrap(py, scatter_any(&self.operand(), dim, &index.get().operand(), src, value, reduce, false)?))
    }
    #[pyo3(signature = (dim, index, src=None, value=None, *, reduce=None))]
    fn scatter_(
        slf: &Bound<'_, Self>,
        dim: i64,
        index: &Bound<'_, PyTensor>,
        src: Option<&Bound<'_, PyAny>>,
        value: Option<&Bound<'_, PyAny>>,
        reduce: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("scatter_", || {
            scatter_any(&slf.get().operand(), dim, &index.get().operand(), src, value, reduce, true)?;
            Ok(this(slf))
        })
    }
    fn scatter_add(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyTensor>, src: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("scatter_add", || wrap(py, self.operand().scatter_add(dim, &index.get().operand(), &src.get().operand()).py()?))
    }
    fn scatter_add_(slf: &Bound<'_, Self>, dim: i64, index: &Bound<'_, PyTensor>, src: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("scatter_add_", || {
            slf.get().operand().scatter_add_(dim, &index.get().operand(), &src.get().operand()).py()?;
            Ok(this(slf))
        })
    }
    #[pyo3(signature = (dim, index, src, reduce, *, include_self=true))]
    fn scatter_reduce(
        &self,
        py: Python<'_>,
        dim: i64,
        index: &Bound<'_, PyTensor>,
        src: &Bound<'_, PyTensor>,
        reduce: &str,
        include_self: bool,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("scatter_reduce", || {
            wrap(py, self.operand().scatter_reduce(dim, &index.get().operand(), &src.get().operand(), reduce, include_self, false).py()?)
        })
    }
    #[pyo3(signature = (dim, index, src, reduce, *, include_self=true))]
    fn scatter_reduce_(
        slf: &Bound<'_, Self>,
        dim: i64,
        index: &Bound<'_, PyTensor>,
        src: &Bound<'_, PyTensor>,
        reduce: &str,
        include_self: bool,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("scatter_reduce_", || {
            slf.get().operand().scatter_reduce(dim, &index.get().operand(), &src.get().operand(), reduce, include_self, true).py()?;
            Ok(this(slf))
        })
    }
    fn index_select(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
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
        dim: i64,
        index: &Bound<'_, PyTensor>,
        source: &Bound<'_, PyTensor>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("index_add", || {
            let a = alpha.map(scalar_value).transpose()?.unwrap_or(Scalar::Int(1));
            wrap(py, self.operand().index_add(dim, &index.get().operand(), &source.get().operand(), a, false).py()?)
        })
    }
    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add_(
        slf: &Bound<'_, Self>,
        dim: i64,
        index: &Bound<'_, PyTensor>,
        source: &Bound<'_, PyTensor>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("index_add_", || {
            let a = alpha.map(scalar_value).transpose()?.unwrap_or(Scalar::Int(1));
            slf.get().operand().index_add(dim, &index.get().operand(), &source.get().operand(), a, true).py()?;
            Ok(this(slf))
        })
    }
    fn index_copy(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyTensor>, source: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("index_copy", || {
            wrap(py, self.operand().index_copy(dim, &index.get().operand(), &source.get().operand(), false).py()?)
        })
    }
    fn index_copy_(slf: &Bound<'_, Self>, dim: i64, index: &Bound<'_, PyTensor>, source: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("index_copy_", || {
            slf.get().operand().index_copy(dim, &index.get().operand(), &source.get().operand(), true).py()?;
            Ok(this(slf))
        })
    }
    fn index_fill(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyTensor>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("index_fill", || {
            let v = value_tensor(value, self.operand().dtype())?;
            wrap(py, self.operand().index_fill(dim, &index.get().operand(), &v, false).py()?)
        })
    }
    fn index_fill_(slf: &Bound<'_, Self>, dim: i64, index: &Bound<'_, PyTensor>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("index_fill_", || {
            let t = &slf.get().operand();
            let v = value_tensor(value, t.dtype())?;
            t.index_fill(dim, &index.get().operand(), &v, true).py()?;
            Ok(this(slf))
        })
    }
    fn take(&self, py: Python<'_>, index: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("take", || wrap(py, self.operand().take(&index.get().operand()).py()?))
    }
    fn masked_select(&self, py: Python<'_>, mask: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("masked_select", || wrap(py, self.operand().masked_select(&mask.get().operand()).py()?))
    }
    fn masked_scatter(&self, py: Python<'_>, mask: &Bound<'_, PyTensor>, source: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("masked_scatter", || {
            wrap(py, self.operand().masked_scatter(&mask.get().operand(), &source.get().operand(), false).py()?)
        })
    }
    fn masked_scatter_(slf: &Bound<'_, Self>, mask: &Bound<'_, PyTensor>, source: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("masked_scatter_", || {
            slf.get().operand().masked_scatter(&mask.get().operand(), &source.get().operand(), true).py()?;
            Ok(this(slf))
        })
    }
    #[pyo3(signature = (*, as_tuple=false))]
    fn nonzero(&self, py: Python<'_>, as_tuple: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("nonzero", || {
            let nz = self.operand().nonzero().py()?;
            if !as_tuple {
                return wrap(py, nz);
            }
            let n = self.operand().ndim().max(1);
            let nz = if self.operand().ndim() == 0 { self.operand().reshape(&[1]).py()?.nonzero().py()? } else { nz };
            let cols = (0..n).map(|i| nz.select(1, i as i64).and_then(|c| c.contiguous_copy())).collect::<ember::Result<Vec<_>>>().py()?;
            wrap_all(py, cols)
        })
    }
    fn argwhere(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("argwhere", || wrap(py, self.operand().nonzero().py()?))
    }
    fn _sort(&self, py: Python<'_>, dim: i64, descending: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_sort", || {
            let t = &self.operand();
            let (v, i) = run(py, t.numel(), || t.sort(dim, descending))?;
            wrap_all(py, vec![v, i])
        })
    }
    #[pyo3(signature = (dim=-1, descending=false, stable=false))]
    fn argsort(&self, py: Python<'_>, dim: i64, descending: bool, stable: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("argsort", || {
            let _ = stable; // always stable
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.argsort(dim, descending))?)
        })
    }
    fn _topk(&self, py: Python<'_>, k: i64, dim: i64, largest: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_topk", || {
            let t = &self.operand();
            let (v, i) = run(py, t.numel(), || t.topk(k, dim, largest))?;
            wrap_all(py, vec![v, i])
        })
    }
    fn _unique(&self, py: Python<'_>, consecutive: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_unique", || {
            let (v, i, c) = self.operand().unique(consecutive).py()?;
            wrap_all(py, vec![v, i, c])
        })
    }
    fn _searchsorted(&self, py: Python<'_>, values: &Bound<'_, PyTensor>, right: bool, out_int32: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_searchsorted", || wrap(py, self.operand().searchsorted(&values.get().operand(), right, out_int32).py()?))
    }
    #[pyo3(signature = (weights=None, minlength=0))]
    fn bincount(&self, py: Python<'_>, weights: Option<&Bound<'_, PyTensor>>, minlength: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("bincount", || {
            let w = weights.map(|w| w.get().operand().clone());
            wrap(py, self.operand().bincount(w.as_ref(), minlength).py()?)
        })
    }
    #[pyo3(signature = (bins=100, min=0.0, max=0.0))]
    fn histc(&self, py: Python<'_>, bins: i64, min: f64, max: f64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("histc", || wrap(py, self.operand().histc(bins, min, max).py()?))
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
                Some(d) if !d.is_none() => int_list(d)?,
                _ => vec![],
            };
            wrap(py, self.operand().roll(&s, &d).py()?)
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
        crate::guard::guard("tril", || wrap(py, self.operand().tril(diagonal).py()?))
    }
    #[pyo3(signature = (diagonal=0))]
    fn triu(&self, py: Python<'_>, diagonal: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("triu", || wrap(py, self.operand().triu(diagonal).py()?))
    }
    #[pyo3(signature = (diagonal=0))]
    fn diag(&self, py: Python<'_>, diagonal: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("diag", || wrap(py, self.operand().diag(diagonal).py()?))
    }
    #[pyo3(signature = (offset=0, dim1=-2, dim2=-1))]
    fn diag_embed(&self, py: Python<'_>, offset: i64, dim1: i64, dim2: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("diag_embed", || wrap(py, self.operand().diag_embed(offset, dim1, dim2).py()?))
    }
    fn trace(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("trace", || wrap(py, self.operand().trace().py()?))
    }
    #[pyo3(signature = (other, rtol=1e-05, atol=1e-08, equal_nan=false))]
    fn isclose(&self, py: Python<'_>, other: &Bound<'_, PyAny>, rtol: f64, atol: f64, equal_nan: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("isclose", || {
            let o = value_tensor(other, self.operand().dtype())?;
            wrap(py, self.operand().isclose(&o, rtol, atol, equal_nan).py()?)
        })
    }
    #[pyo3(signature = (other, rtol=1e-05, atol=1e-08, equal_nan=false))]
    fn allclose(&self, other: &Bound<'_, PyAny>, rtol: f64, atol: f64, equal_nan: bool) -> PyResult<bool> {
        crate::guard::guard("allclose", || {
            let o = value_tensor(other, self.operand().dtype())?;
            self.operand().allclose(&o, rtol, atol, equal_nan).py()
        })
    }
    fn equal(&self, other: &Bound<'_, PyTensor>) -> PyResult<bool> {
        crate::guard::guard("equal", || self.operand().equal(&other.get().operand()).py())
    }
}

fn scatter_any(
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
        return t.scatter(dim, index, &s.get().operand(), reduce, inplace).py();
    }
    let v = scalar(src)?.ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("scatter(): src must be a Tensor or a number"))?;
    t.scatter_value(dim, index, v, reduce, inplace).py()
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0))]
fn cat(py: Python<'_>, tensors: &Bound<'_, PyAny>, dim: i64) -> PyResult<Py<PyAny>> {
    crate::guard::guard("cat", || {
        let ts = self::tensors(tensors)?;
        let work = ts.iter().map(|t| t.numel()).sum();
        wrap(py, run(py, work, || Tensor::cat(&ts, dim))?)
    })
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0))]
fn stack(py: Python<'_>, tensors: &Bound<'_, PyAny>, dim: i64) -> PyResult<Py<PyAny>> {
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
