//! Binding for matrix products, einsum and the native core of `nn.functional.linear`.
use crate::convert::{scalar, tensor_of};
use crate::tensor::{run, wrap, PyTensor};
use ember::{Scalar, Tensor};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// Rough multiply-add count, to decide whether to release the GIL.
fn work(a: &Tensor, b: &Tensor) -> usize {
    a.numel().max(1).saturating_mul(b.shape().last().copied().unwrap_or(1))
}

fn num(o: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Scalar> {
    match o {
        None => Ok(Scalar::Int(1)),
        Some(v) => scalar(v)?.ok_or_else(|| {
            PyTypeError::new_err(format!("{name} must be a number, not {}", v.get_type().name().map(|n| n.to_string()).unwrap_or_default()))
        }),
    }
}

type Ternary = fn(&Tensor, &Tensor, &Tensor, Scalar, Scalar) -> ember::Result<Tensor>;

fn ternary(
    slf: &PyTensor,
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    beta: Option<&Bound<'_, PyAny>>,
    alpha: Option<&Bound<'_, PyAny>>,
    f: Ternary,
) -> PyResult<Py<PyAny>> {
    let (x, y) = (tensor_of(x)?, tensor_of(y)?);
    let (b, a) = (num(beta, "beta")?, num(alpha, "alpha")?);
    let t = &slf.operand();
    wrap(py, run(py, work(&x, &y), || f(t, &x, &y, b, a))?)
}

fn binop(
    slf: &PyTensor,
    py: Python<'_>,
    other: &Bound<'_, PyAny>,
    f: fn(&Tensor, &Tensor) -> ember::Result<Tensor>,
) -> PyResult<Py<PyAny>> {
    let o = tensor_of(other)?;
    let t = &slf.operand();
    wrap(py, run(py, work(t, &o), || f(t, &o))?)
}

#[pymethods]
impl PyTensor {
    fn __matmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__matmul__", || {
            if other.cast::<PyTensor>().is_err() {
                return Ok(py.NotImplemented());
            }
            binop(self, py, other, Tensor::matmul)
        })
    }
    fn __rmatmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__rmatmul__", || {
            let Ok(o) = other.cast::<PyTensor>() else { return Ok(py.NotImplemented()) };
            let (o, t) = (o.get().operand().clone(), &self.operand());
            wrap(py, run(py, work(&o, t), || o.matmul(t))?)
        })
    }
    fn matmul(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("matmul", || binop(self, py, other, Tensor::matmul))
    }
    fn mm(&self, py: Python<'_>, mat2: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("mm", || binop(self, py, mat2, Tensor::mm))
    }
    fn bmm(&self, py: Python<'_>, mat2: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("bmm", || binop(self, py, mat2, Tensor::bmm))
    }
    fn mv(&self, py: Python<'_>, vec: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("mv", || binop(self, py, vec, Tensor::mv))
    }
    fn dot(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("dot", || binop(self, py, other, Tensor::dot))
    }
    fn vdot(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("vdot", || binop(self, py, other, Tensor::vdot))
    }
    fn inner(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("inner", || binop(self, py, other, Tensor::inner))
    }
    fn outer(&self, py: Python<'_>, vec2: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("outer", || binop(self, py, vec2, Tensor::outer))
    }
    fn ger(&self, py: Python<'_>, vec2: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("ger", || binop(self, py, vec2, Tensor::outer))
    }
    fn kron(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("kron", || binop(self, py, other, Tensor::kron))
    }
    #[pyo3(signature = (mat1, mat2, *, beta=None, alpha=None))]
    fn addmm(
        &self,
        py: Python<'_>,
        mat1: &Bound<'_, PyAny>,
        mat2: &Bound<'_, PyAny>,
        beta: Option<&Bound<'_, PyAny>>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("addmm", || ternary(self, py, mat1, mat2, beta, alpha, Tensor::addmm))
    }
    #[pyo3(signature = (mat, vec, *, beta=None, alpha=None))]
    fn addmv(
        &self,
        py: Python<'_>,
        mat: &Bound<'_, PyAny>,
        vec: &Bound<'_, PyAny>,
        beta: Option<&Bound<'_, PyAny>>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("addmv", || ternary(self, py, mat, vec, beta, alpha, Tensor::addmv))
    }
    #[pyo3(signature = (batch1, batch2, *, beta=None, alpha=None))]
    fn baddbmm(
        &self,
        py: Python<'_>,
        batch1: &Bound<'_, PyAny>,
        batch2: &Bound<'_, PyAny>,
        beta: Option<&Bound<'_, PyAny>>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("baddbmm", || ternary(self, py, batch1, batch2, beta, alpha, Tensor::baddbmm))
    }
    #[pyo3(signature = (batch1, batch2, *, beta=None, alpha=None))]
    fn addbmm(
        &self,
        py: Python<'_>,
        batch1: &Bound<'_, PyAny>,
        batch2: &Bound<'_, PyAny>,
        beta: Option<&Bound<'_, PyAny>>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("addbmm", || ternary(self, py, batch1, batch2, beta, alpha, Tensor::addbmm))
    }
    #[pyo3(signature = (vec1, vec2, *, beta=None, alpha=None))]
    fn addr(
        &self,
        py: Python<'_>,
        vec1: &Bound<'_, PyAny>,
        vec2: &Bound<'_, PyAny>,
        beta: Option<&Bound<'_, PyAny>>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("addr", || ternary(self, py, vec1, vec2, beta, alpha, Tensor::addr))
    }
}

/// `linear(x, weight, bias=None)`: `x @ weight.T + bias` (2-D input with bias: one addmm).
#[pyfunction]
#[pyo3(signature = (input, weight, bias=None))]
fn linear(py: Python<'_>, input: &Bound<'_, PyAny>, weight: &Bound<'_, PyAny>, bias: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("linear", || {
        let (x, w) = (tensor_of(input)?, tensor_of(weight)?);
        let b = match bias {
            Some(b) if !b.is_none() => Some(tensor_of(b)?),
            _ => None,
        };
        wrap(py, run(py, work(&x, &w), || x.linear(&w, b.as_ref()))?)
    })
}

#[pyfunction]
fn einsum(py: Python<'_>, equation: &str, operands: Vec<Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("einsum", || {
        let ts: Vec<Tensor> = operands.iter().map(tensor_of).collect::<PyResult<_>>()?;
        let w = ts.iter().map(|t| t.numel()).max().unwrap_or(0);
        wrap(py, run(py, w, || ember::ops::einsum::einsum(equation, &ts))?)
    })
}

#[pyfunction]
fn _tensordot(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, dims_a: Vec<i64>, dims_b: Vec<i64>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_tensordot", || {
        let (a, b) = (tensor_of(a)?, tensor_of(b)?);
        wrap(py, run(py, work(&a, &b), || a.tensordot(&b, &dims_a, &dims_b))?)
    })
}

/// (kernel, threads) of the last matmul on this thread, for `ember.inspect`.
#[pyfunction]
fn _last_matmul_kernel() -> (String, usize) {
    let (k, t) = ember::cpu::matmul::last_kernel();
    (k.to_string(), t)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(linear, m)?)?;
    m.add_function(wrap_pyfunction!(einsum, m)?)?;
    m.add_function(wrap_pyfunction!(_tensordot, m)?)?;
    m.add_function(wrap_pyfunction!(_last_matmul_kernel, m)?)?;
    Ok(())
}
