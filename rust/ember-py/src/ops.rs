//! Arithmetic operators and their in-place forms.
use crate::convert::{arg, try_arg};
use crate::tensor::{run, wrap, PyTensor};
use ember::ops::binary::{binary, binary_};
use ember::ops::BinaryOp;
use ember::promote::Arg;
use pyo3::prelude::*;

fn bin(py: Python<'_>, op: BinaryOp, a: &Arg, b: &Arg) -> PyResult<Py<PyAny>> {
    let work = a.shape().iter().product::<usize>().max(b.shape().iter().product());
    let out = run(py, work, || binary(op, a, b))?;
    wrap(py, out)
}

/// Binary dunder: NotImplemented for operand types we don't know (Python then tries the
/// reflected method of the other operand).
fn dunder(slf: &Bound<'_, PyTensor>, other: &Bound<'_, PyAny>, op: BinaryOp, reflected: bool) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let Some(o) = try_arg(other) else { return Ok(py.NotImplemented()) };
    let s = Arg::T(slf.get().t.clone());
    if reflected {
        bin(py, op, &o, &s)
    } else {
        bin(py, op, &s, &o)
    }
}

fn inplace(slf: &Bound<'_, PyTensor>, other: &Bound<'_, PyAny>, op: BinaryOp) -> PyResult<Py<PyAny>> {
    let o = arg(other)?;
    let t = &slf.get().t;
    run(slf.py(), t.numel(), || binary_(op, t, &o))?;
    Ok(slf.clone().into_any().unbind())
}

/// `alpha * other` as an Arg, for `add(other, alpha=)`.
fn scaled(py: Python<'_>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Arg> {
    let o = arg(other)?;
    match alpha {
        None => Ok(o),
        Some(a) => {
            let a = arg(a)?;
            Ok(Arg::T(run(py, 0, || binary(BinaryOp::Mul, &o, &a))?))
        }
    }
}

#[pymethods]
impl PyTensor {
    fn __add__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        dunder(slf, o, BinaryOp::Add, false)
    }
    fn __radd__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        dunder(slf, o, BinaryOp::Add, true)
    }
    fn __sub__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        dunder(slf, o, BinaryOp::Sub, false)
    }
    fn __rsub__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        dunder(slf, o, BinaryOp::Sub, true)
    }
    fn __mul__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        dunder(slf, o, BinaryOp::Mul, false)
    }
    fn __rmul__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        dunder(slf, o, BinaryOp::Mul, true)
    }
    fn __truediv__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        dunder(slf, o, BinaryOp::Div, false)
    }
    fn __rtruediv__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        dunder(slf, o, BinaryOp::Div, true)
    }
    fn __iadd__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(slf, o, BinaryOp::Add).map(|_| ())
    }
    fn __isub__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(slf, o, BinaryOp::Sub).map(|_| ())
    }
    fn __imul__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(slf, o, BinaryOp::Mul).map(|_| ())
    }
    fn __itruediv__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(slf, o, BinaryOp::Div).map(|_| ())
    }
    fn __neg__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let t = &self.t;
        wrap(py, run(py, t.numel(), || t.neg())?)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn add(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let o = scaled(slf.py(), other, alpha)?;
        bin(slf.py(), BinaryOp::Add, &Arg::T(slf.get().t.clone()), &o)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn sub(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let o = scaled(slf.py(), other, alpha)?;
        bin(slf.py(), BinaryOp::Sub, &Arg::T(slf.get().t.clone()), &o)
    }
    fn mul(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(slf.py(), BinaryOp::Mul, &Arg::T(slf.get().t.clone()), &arg(other)?)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn add_(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let o = scaled(slf.py(), other, alpha)?;
        let t = &slf.get().t;
        run(slf.py(), t.numel(), || binary_(BinaryOp::Add, t, &o))?;
        Ok(slf.clone().into_any().unbind())
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn sub_(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let o = scaled(slf.py(), other, alpha)?;
        let t = &slf.get().t;
        run(slf.py(), t.numel(), || binary_(BinaryOp::Sub, t, &o))?;
        Ok(slf.clone().into_any().unbind())
    }
    fn mul_(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        inplace(slf, other, BinaryOp::Mul)
    }
    fn div_(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        inplace(slf, other, BinaryOp::Div)
    }
    #[pyo3(signature = (dtype=None, *args, **kwargs))]
    fn to(
        slf: &Bound<'_, Self>,
        dtype: Option<&Bound<'_, PyAny>>,
        args: &Bound<'_, pyo3::types::PyTuple>,
        kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        // to(dtype) / to(device) / to(device, dtype) / to(other) / to(dtype=..)
        let mut want = None;
        let mut cands: Vec<Bound<'_, PyAny>> = dtype.into_iter().cloned().collect();
        cands.extend(args.iter());
        if let Some(kw) = kwargs {
            if let Some(d) = kw.get_item("dtype")? {
                cands.push(d);
            }
        }
        for c in &cands {
            if let Ok(t) = c.cast::<PyTensor>() {
                want = Some(t.get().t.dtype());
            } else if let Ok(Some(d)) = crate::convert::dtype(Some(c)) {
                want = Some(d);
            } else if c.is_instance_of::<pyo3::types::PyString>() || c.cast::<crate::dtype::PyDevice>().is_ok() {
                let dev = crate::dtype::PyDevice::new_checked(c)?;
                if dev.kind != "cpu" {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                        "ember was built without support for device '{}'; available devices: cpu",
                        dev.kind
                    )));
                }
            } else if !c.is_none() && !c.is_instance_of::<pyo3::types::PyBool>() {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "to() received an invalid combination of arguments: {}",
                    c.repr()?
                )));
            }
        }
        let t = &slf.get().t;
        match want {
            Some(d) if d != t.dtype() => wrap(slf.py(), run(slf.py(), t.numel(), || t.to_dtype(d))?),
            _ => Ok(slf.clone().into_any().unbind()),
        }
    }
}

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
