//! Binding for sparse COO tensors (ember.sparse_coo_tensor, to_dense/to_sparse, coalesce,
//! sparse arithmetic) and for reading the last dispatch decision (ember.inspect.trace).
use crate::convert::{dtype, scalar, tensor_of};
use crate::error::IntoPy;
use crate::tensor::{run, wrap, PyTensor};
use ember::promote::Arg;
use ember::{Scalar, Tensor};
use pyo3::prelude::*;

fn t(o: &Bound<'_, PyTensor>) -> Tensor {
    o.get().operand().clone()
}

#[pyfunction]
#[pyo3(signature = (indices, values, size=None, is_coalesced=false, requires_grad=false))]
fn _sparse_coo_tensor(
    py: Python<'_>,
    indices: &Bound<'_, PyTensor>,
    values: &Bound<'_, PyTensor>,
    size: Option<Vec<usize>>,
    is_coalesced: bool,
    requires_grad: bool,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_sparse_coo_tensor", || {
        let (i, v) = (t(indices), t(values));
        wrap(py, run(py, i.numel() + v.numel(), || Tensor::sparse_coo(&i, &v, size.as_deref(), is_coalesced, requires_grad))?)
    })
}

#[pyfunction]
fn _to_dense(py: Python<'_>, x: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_to_dense", || {
        let x = t(x);
        wrap(py, py.detach(|| x.to_dense()).py()?)
    })
}

#[pyfunction]
#[pyo3(signature = (x, sparse_dim=None))]
fn _to_sparse(py: Python<'_>, x: &Bound<'_, PyTensor>, sparse_dim: Option<usize>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_to_sparse", || {
        let x = t(x);
        wrap(py, py.detach(|| x.to_sparse(sparse_dim)).py()?)
    })
}

#[pyfunction]
fn _coalesce(py: Python<'_>, x: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_coalesce", || {
        let x = t(x);
        wrap(py, py.detach(|| x.coalesce()).py()?)
    })
}

/// (indices, values, is_coalesced) of a sparse tensor.
#[pyfunction]
fn _sparse_parts(py: Python<'_>, x: &Bound<'_, PyTensor>) -> PyResult<(Py<PyAny>, Py<PyAny>, bool)> {
    crate::guard::guard("_sparse_parts", || {
        let x = t(x);
        let c = x.coo().ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("expected a sparse COO tensor"))?;
        Ok((wrap(py, c.indices.clone())?, wrap(py, c.values.clone())?, c.is_coalesced()))
    })
}

#[pyfunction]
fn _is_sparse(x: &Bound<'_, PyTensor>) -> bool {
    x.get().t.is_sparse()
}

/// The gradient of a sparse leaf as a sparse tensor (None before backward).
#[pyfunction]
fn _sparse_grad(py: Python<'_>, x: &Bound<'_, PyTensor>) -> PyResult<Option<Py<PyAny>>> {
    crate::guard::guard("_sparse_grad", || t(x).sparse_grad().map(|g| wrap(py, g)).transpose())
}

#[pyfunction]
fn _set_coalesced(x: &Bound<'_, PyTensor>, value: bool) -> PyResult<()> {
    crate::guard::guard("_set_coalesced", || {
        let x = t(x);
        x.coo().ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("_coalesced_: expected a sparse COO tensor"))?.set_coalesced(value);
        Ok(())
    })
}

#[pyfunction]
#[pyo3(signature = (a, b, alpha=None))]
fn _sparse_add(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_sparse_add", || {
        let alpha = match alpha {
            Some(a) => scalar(a)?.unwrap_or(Scalar::Int(1)),
            None => Scalar::Int(1),
        };
        let (a, b) = (tensor_of(a)?, tensor_of(b)?);
        wrap(py, py.detach(|| a.sparse_add(&b, alpha)).py()?)
    })
}

#[pyfunction]
fn _sparse_mul(py: Python<'_>, a: &Bound<'_, PyTensor>, b: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_sparse_mul", || {
        let other = match scalar(b)? {
            Some(s) => Arg::S(s),
            None => Arg::T(tensor_of(b)?),
        };
        let a = t(a);
        wrap(py, run(py, usize::MAX, || a.sparse_mul(&other))?)
    })
}

#[pyfunction]
#[pyo3(signature = (x, dims=None, dtype_=None))]
fn _sparse_sum(py: Python<'_>, x: &Bound<'_, PyTensor>, dims: Option<Vec<i64>>, dtype_: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_sparse_sum", || {
        let dt = dtype(dtype_)?;
        let x = t(x);
        wrap(py, run(py, usize::MAX, || x.sparse_sum(dims.as_deref(), dt))?)
    })
}

#[pyfunction]
fn _sparse_transpose(py: Python<'_>, x: &Bound<'_, PyTensor>, d0: i64, d1: i64) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_sparse_transpose", || {
        let x = t(x);
        wrap(py, run(py, usize::MAX, || x.sparse_transpose(d0, d1))?)
    })
}

#[pyfunction]
fn _sparse_mm(py: Python<'_>, a: &Bound<'_, PyTensor>, b: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_sparse_mm", || {
        let (a, b) = (t(a), t(b));
        wrap(py, py.detach(|| a.sparse_mm(&b)).py()?)
    })
}

/// (op, kernel family) chosen by the last dispatch on this thread, or None; clears it.
#[pyfunction]
fn _last_dispatch() -> Option<(&'static str, &'static str)> {
    ember::dispatch::take_last().map(|(op, f)| (op, f.name()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_sparse_coo_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(_to_dense, m)?)?;
    m.add_function(wrap_pyfunction!(_to_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(_coalesce, m)?)?;
    m.add_function(wrap_pyfunction!(_sparse_parts, m)?)?;
    m.add_function(wrap_pyfunction!(_set_coalesced, m)?)?;
    m.add_function(wrap_pyfunction!(_is_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(_sparse_grad, m)?)?;
    m.add_function(wrap_pyfunction!(_sparse_add, m)?)?;
    m.add_function(wrap_pyfunction!(_sparse_mul, m)?)?;
    m.add_function(wrap_pyfunction!(_sparse_sum, m)?)?;
    m.add_function(wrap_pyfunction!(_sparse_transpose, m)?)?;
    m.add_function(wrap_pyfunction!(_sparse_mm, m)?)?;
    m.add_function(wrap_pyfunction!(_last_dispatch, m)?)?;
    Ok(())
}
