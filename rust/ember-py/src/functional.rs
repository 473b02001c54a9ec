//! `ember.add/sub/mul/div` (and `subtract`/`multiply`/`divide`) as native functions: the
//! commonest functional calls pay no forwarder, and `out=` is written straight by the kernel
//! (`ember::ops::binary::binary_out`) with no temporary. Everything else goes where the
//! general forwarder (`forward.rs`) sends it: a Tensor subclass to its own method (it may
//! override it), `out=` cases other than the plain one to `python/ember/_out_forms.py`'s rules.
use crate::convert::try_arg;
use crate::forward::type_name;
use crate::out::{out_needs_grad, refuse_grad, write_out};
use crate::tensor::{run, PyTensor};
use ember::ops::binary::binary_out;
use ember::ops::BinaryOp;
use ember::promote::Arg;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// The keyword argument besides `out` each function takes (`alpha=` or `rounding_mode=`).
struct Extra<'a, 'py> {
    name: &'static str,
    value: Option<&'a Bound<'py, PyAny>>,
}

impl<'py> Extra<'_, 'py> {
    fn kwargs(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(v) = self.value else { return Ok(None) };
        let kw = PyDict::new(py);
        kw.set_item(self.name, v)?;
        Ok(Some(kw))
    }
}

/// `input.<method>(other, **extra)`: the native method for a plain `ember.Tensor`, the type's
/// attribute (an override) for a subclass.
fn compute<'py>(
    py: Python<'py>,
    method: &'static str,
    native: fn(&Bound<'py, PyTensor>, &Bound<'py, PyAny>, Option<&Bound<'py, PyAny>>) -> PyResult<Py<PyAny>>,
    input: &Bound<'py, PyTensor>,
    other: &Bound<'py, PyAny>,
    extra: &Extra<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    if input.get_type().is(py.get_type::<PyTensor>()) {
        return Ok(native(input, other, extra.value)?.into_bound(py));
    }
    let args = PyTuple::new(py, [input.as_any(), other])?;
    input.get_type().getattr(method)?.call(args, extra.kwargs(py)?.as_ref())
}

/// `out = input op other` by the kernel itself when all three are plain `ember.Tensor`s (or
/// `other` a number) and nothing but `out` is given: Ok(false), nothing written, otherwise.
fn into_out(py: Python<'_>, op: BinaryOp, input: &Bound<'_, PyTensor>, other: &Bound<'_, PyAny>, out: &Bound<'_, PyAny>) -> PyResult<bool> {
    let exact = py.get_type::<PyTensor>();
    let plain = |o: &Bound<'_, PyAny>| o.get_type().is(&exact);
    if !plain(input.as_any()) || !plain(out) || (other.is_instance_of::<PyTensor>() && !plain(other)) {
        return Ok(false);
    }
    let Some(b) = try_arg(other) else { return Ok(false) };
    let Ok(out) = out.cast::<PyTensor>() else { return Ok(false) };
    let a = Arg::T(input.get().operand().clone());
    let out = out.get().operand();
    let out: &ember::Tensor = &out;
    run(py, out.numel(), || binary_out(op, &a, &b, out))
}

#[allow(clippy::too_many_arguments)]
fn arith<'py>(
    py: Python<'py>,
    name: &'static str,
    method: &'static str,
    op: Option<BinaryOp>,
    native: fn(&Bound<'py, PyTensor>, &Bound<'py, PyAny>, Option<&Bound<'py, PyAny>>) -> PyResult<Py<PyAny>>,
    input: &Bound<'py, PyAny>,
    other: &Bound<'py, PyAny>,
    extra: Extra<'_, 'py>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let Ok(input) = input.cast::<PyTensor>() else {
        return Err(PyTypeError::new_err(format!("{name}(): argument 'input' (position 1) must be Tensor, not {}", type_name(input))));
    };
    let Some(out) = out.filter(|o| !o.is_none()) else { return Ok(compute(py, method, native, input, other, &extra)?.unbind()) };
    let extra_kw = extra.kwargs(py)?;
    if out_needs_grad(input.as_any(), [other.clone()], extra_kw.as_ref())? {
        // the argument tuple is built only to raise (a tuple per call cost ~50 ns here)
        refuse_grad(py, name, &PyTuple::new(py, [input.as_any(), other])?, extra_kw.as_ref())?;
    }
    // `op` is None where an extra keyword changes the operation (`alpha=`)
    if let Some(op) = op {
        if into_out(py, op, input, other, out)? {
            return Ok(out.clone().unbind());
        }
    }
    write_out(py, name, &compute(py, method, native, input, other, &extra)?, out)
}

fn add_method<'py>(t: &Bound<'py, PyTensor>, o: &Bound<'py, PyAny>, alpha: Option<&Bound<'py, PyAny>>) -> PyResult<Py<PyAny>> {
    PyTensor::add(t, o, alpha)
}
fn sub_method<'py>(t: &Bound<'py, PyTensor>, o: &Bound<'py, PyAny>, alpha: Option<&Bound<'py, PyAny>>) -> PyResult<Py<PyAny>> {
    PyTensor::sub(t, o, alpha)
}
fn mul_method<'py>(t: &Bound<'py, PyTensor>, o: &Bound<'py, PyAny>, _: Option<&Bound<'py, PyAny>>) -> PyResult<Py<PyAny>> {
    PyTensor::mul(t, o)
}
fn div_method<'py>(t: &Bound<'py, PyTensor>, o: &Bound<'py, PyAny>, mode: Option<&Bound<'py, PyAny>>) -> PyResult<Py<PyAny>> {
    let mode: Option<String> = mode.filter(|m| !m.is_none()).map(|m| m.extract()).transpose()?;
    PyTensor::div(t, o, mode.as_deref())
}

macro_rules! add_like {
    ($($f:ident, $name:literal, $method:literal, $op:ident, $native:ident);* $(;)?) => {$(
        /// `input + alpha * other` (`-` for sub), written into `out` when given.
        #[pyfunction]
        #[pyo3(signature = (input, other, *, alpha=None, out=None))]
        fn $f<'py>(py: Python<'py>, input: &Bound<'py, PyAny>, other: &Bound<'py, PyAny>, alpha: Option<&Bound<'py, PyAny>>, out: Option<&Bound<'py, PyAny>>) -> PyResult<Py<PyAny>> {
            crate::guard::guard($name, || {
                // a scaled `other` is computed by the method: only `alpha=None` writes `out` directly
                let alpha = alpha.filter(|a| !a.is_none());
                let op = alpha.is_none().then_some(BinaryOp::$op);
                arith(py, $name, $method, op, $native, input, other, Extra { name: "alpha", value: alpha }, out)
            })
        }
    )*};
}

add_like! {
    add, "add", "add", Add, add_method;
    sub, "sub", "sub", Sub, sub_method;
    subtract, "subtract", "subtract", Sub, sub_method;
}

macro_rules! mul_like {
    ($($f:ident, $name:literal, $method:literal);* $(;)?) => {$(
        /// `input * other`, written into `out` when given.
        #[pyfunction]
        #[pyo3(signature = (input, other, *, out=None))]
        fn $f<'py>(py: Python<'py>, input: &Bound<'py, PyAny>, other: &Bound<'py, PyAny>, out: Option<&Bound<'py, PyAny>>) -> PyResult<Py<PyAny>> {
            crate::guard::guard($name, || arith(py, $name, $method, Some(BinaryOp::Mul), mul_method, input, other, Extra { name: "", value: None }, out))
        }
    )*};
}

mul_like! {
    mul, "mul", "mul";
    multiply, "multiply", "multiply";
}

macro_rules! div_like {
    ($($f:ident, $name:literal, $method:literal);* $(;)?) => {$(
        /// `input / other` (`rounding_mode` "trunc" or "floor" rounds the quotient), written into
        /// `out` when given.
        #[pyfunction]
        #[pyo3(signature = (input, other, *, rounding_mode=None, out=None))]
        fn $f<'py>(py: Python<'py>, input: &Bound<'py, PyAny>, other: &Bound<'py, PyAny>, rounding_mode: Option<&Bound<'py, PyAny>>, out: Option<&Bound<'py, PyAny>>) -> PyResult<Py<PyAny>> {
            crate::guard::guard($name, || {
                let mode = rounding_mode.filter(|m| !m.is_none());
                let op = match mode {
                    None => Some(BinaryOp::Div),
                    Some(m) => Some(crate::ops::div_op(Some(m.extract::<&str>()?))?),
                };
                arith(py, $name, $method, op, div_method, input, other, Extra { name: "rounding_mode", value: mode }, out)
            })
        }
    )*};
}

div_like! {
    div, "div", "div";
    divide, "divide", "divide";
}

/// The names `_out_forms.install` must leave alone: they take `out=` themselves.
pub const NAMES: &[&str] = &["add", "sub", "subtract", "mul", "multiply", "div", "divide"];

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let f = PyModule::new(m.py(), "_functional")?;
    f.add_function(wrap_pyfunction!(add, &f)?)?;
    f.add_function(wrap_pyfunction!(sub, &f)?)?;
    f.add_function(wrap_pyfunction!(subtract, &f)?)?;
    f.add_function(wrap_pyfunction!(mul, &f)?)?;
    f.add_function(wrap_pyfunction!(multiply, &f)?)?;
    f.add_function(wrap_pyfunction!(div, &f)?)?;
    f.add_function(wrap_pyfunction!(divide, &f)?)?;
    f.setattr("NAMES", NAMES.to_vec())?;
    m.add_submodule(&f)?;
    m.setattr("_functional", f)
}
