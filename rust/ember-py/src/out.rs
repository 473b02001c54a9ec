//! The common case of `out=` (`python/ember/_out_forms.py`) in one native call each: the
//! Python rules there stay the spec and the fallback. Measured on a 10-element
//! `ember.add(a, b, out=c)`: the Python checks and `copy_` cost ~1.2 µs of its 1.8 µs.
use crate::tensor::{run, PyTensor};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};

/// `_out_forms.check_grad` and `_out_forms.write`, looked up once (an import per call cost
/// ~0.5 µs).
static CHECK_GRAD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static WRITE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Raises PyTorch's "functions with out=... arguments don't support automatic differentiation"
/// (through `_out_forms.check_grad`, the one place that words it) when `out_needs_grad` for
/// the call's positional `args` (input first) and `kwargs`.
pub(crate) fn refuse_grad<'py>(
    py: Python<'py>,
    name: &str,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<()> {
    let mut it = args.iter();
    let Some(input) = it.next() else { return Ok(()) };
    if out_needs_grad(&input, it, kwargs)? {
        let kw = kwargs.cloned().unwrap_or_else(|| PyDict::new(py));
        CHECK_GRAD.import(py, "ember._out_forms", "check_grad")?.call1((name, args, kw))?;
    }
    Ok(())
}

/// Writes `result` into `out` and returns `out`: natively in the common case (`out_copy`),
/// by `_out_forms.write` (casts, resizing, errors, tuples) otherwise.
pub(crate) fn write_out<'py>(py: Python<'py>, name: &str, result: &Bound<'py, PyAny>, out: &Bound<'py, PyAny>) -> PyResult<Py<PyAny>> {
    if out_copy(result, out)? {
        return Ok(out.clone().unbind());
    }
    Ok(WRITE.import(py, "ember._out_forms", "write")?.call1((name, result, out))?.unbind())
}

/// `requires_grad` as Python reads it: a subclass may override the property (sparse
/// compressed tensors read their values'), so only the exact class is read natively.
fn tensor_requires_grad(o: &Bound<'_, PyAny>) -> PyResult<Option<bool>> {
    let Ok(t) = o.cast::<PyTensor>() else { return Ok(None) };
    if t.get_type().is(o.py().get_type::<PyTensor>()) {
        return Ok(Some(t.get().t.requires_grad()));
    }
    Ok(Some(o.getattr(pyo3::intern!(o.py(), "requires_grad"))?.is_truthy()?))
}

/// A tensor, or a list/tuple holding one, that requires grad (`_out_forms._any_requires_grad`).
fn any_requires_grad(o: &Bound<'_, PyAny>) -> PyResult<bool> {
    if let Some(r) = tensor_requires_grad(o)? {
        return Ok(r);
    }
    let items = if let Ok(t) = o.cast::<PyTuple>() {
        t.iter().collect::<Vec<_>>()
    } else if let Ok(l) = o.cast::<PyList>() {
        l.iter().collect()
    } else {
        return Ok(false);
    };
    for it in items {
        if tensor_requires_grad(&it)? == Some(true) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// True when grad mode is on and `input`, an argument or a keyword argument requires grad:
/// the case where PyTorch refuses `out=`.
pub(crate) fn out_needs_grad<'py>(
    input: &Bound<'py, PyAny>,
    args: impl IntoIterator<Item = Bound<'py, PyAny>>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<bool> {
    if !ember::autograd::grad_mode::is_enabled() {
        return Ok(false);
    }
    if any_requires_grad(input)? {
        return Ok(true);
    }
    for a in args {
        if any_requires_grad(&a)? {
            return Ok(true);
        }
    }
    if let Some(kw) = kwargs {
        for (_, v) in kw.iter() {
            if any_requires_grad(&v)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

#[pyfunction]
#[pyo3(signature = (input, args, kwargs=None))]
fn _out_needs_grad(input: &Bound<'_, PyAny>, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
    crate::guard::guard("_out_needs_grad", || out_needs_grad(input, args.iter(), kwargs))
}

/// Writes `result` into `out` when nothing of `_out_forms.write`'s rules but the copy applies:
/// both plain `ember.Tensor`s (a subclass may override `copy_`), strided, on one device, of
/// one dtype and shape. Returns False, having touched nothing, in every other case, and the
/// caller then runs the Python rules (casts, resizing with its warning, errors, tuples).
pub(crate) fn out_copy(result: &Bound<'_, PyAny>, out: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = out.py();
    let exact = py.get_type::<PyTensor>();
    let (Ok(r), Ok(o)) = (result.cast::<PyTensor>(), out.cast::<PyTensor>()) else { return Ok(false) };
    if !r.get_type().is(&exact) || !o.get_type().is(&exact) {
        return Ok(false);
    }
    let (src, dst) = (r.get().operand(), o.get().operand());
    if src.is_sparse() || dst.is_sparse() || src.dtype() != dst.dtype() || src.device() != dst.device() || src.shape() != dst.shape() {
        return Ok(false);
    }
    let src: &ember::Tensor = &src;
    let dst: &ember::Tensor = &dst;
    run(py, dst.numel(), || dst.copy_(src))?;
    Ok(true)
}

#[pyfunction]
fn _out_copy(result: &Bound<'_, PyAny>, out: &Bound<'_, PyAny>) -> PyResult<bool> {
    crate::guard::guard("copy_", || out_copy(result, out))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_out_needs_grad, m)?)?;
    m.add_function(wrap_pyfunction!(_out_copy, m)?)?;
    Ok(())
}
