//! Bindings for complex tensors' own functions (`ember.ops::complex`): the part views,
//! `conj_physical`, `angle`, `complex` and `polar`. Python (`ember._complex`) gives them
//! PyTorch's names and the real-tensor cases.
use crate::convert::tensor_of;
use crate::error::IntoPy;
use crate::tensor::{run, wrap};
use ember::ops::complex as c;
use pyo3::prelude::*;

/// `$view`: an O(1) view, no kernel (the GIL stays held); otherwise one elementwise pass.
macro_rules! one {
    ($name:ident, $f:path, $view:expr) => {
        #[pyfunction]
        fn $name(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
            crate::guard::guard(stringify!($name), || {
                let t = tensor_of(x)?;
                wrap(py, run(py, if $view { 0 } else { t.numel() }, || $f(&t))?)
            })
        }
    };
}
one!(_view_as_complex, c::view_as_complex, true);
#[pyfunction]
fn _real(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    // `.real` of a conjugate view is a view of its stored real parts (conjugation keeps them).
    crate::guard::guard("_real", || wrap(py, c::real(&stored(x)?).py()?))
}
one!(_imag, c::imag, false);
one!(_conj_physical, c::conj_physical, false);
one!(_complex_abs, c::abs, false);
one!(_angle, c::angle, false);

/// The tensor itself, conjugate bit and all (`tensor_of` would materialize a conjugate view).
fn stored(x: &Bound<'_, PyAny>) -> PyResult<ember::Tensor> {
    Ok(x.cast::<crate::tensor::PyTensor>()?.get().t.clone())
}

#[pyfunction]
fn _view_as_real(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    // The stored tensor: a conjugate view is refused (its memory holds the conjugates).
    crate::guard::guard("view_as_real", || wrap(py, c::view_as_real(&stored(x)?).py()?))
}

#[pyfunction]
fn _conj(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("conj", || wrap(py, stored(x)?.conj().py()?))
}

#[pyfunction]
fn _resolve_conj(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("resolve_conj", || {
        let t = stored(x)?;
        wrap(py, run(py, t.numel(), || t.resolve_conj())?)
    })
}

#[pyfunction]
fn _is_conj(x: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(stored(x)?.is_conj())
}

#[pyfunction]
fn _complex(py: Python<'_>, re: &Bound<'_, PyAny>, im: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("complex", || {
        let (re, im) = (tensor_of(re)?, tensor_of(im)?);
        wrap(py, run(py, re.numel().max(im.numel()), || c::complex(&re, &im))?)
    })
}

#[pyfunction]
fn _polar(py: Python<'_>, abs: &Bound<'_, PyAny>, angle: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("polar", || {
        let (a, t) = (tensor_of(abs)?, tensor_of(angle)?);
        wrap(py, run(py, a.numel().max(t.numel()), || c::polar(&a, &t))?)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_view_as_real, m)?)?;
    m.add_function(wrap_pyfunction!(_view_as_complex, m)?)?;
    m.add_function(wrap_pyfunction!(_real, m)?)?;
    m.add_function(wrap_pyfunction!(_imag, m)?)?;
    m.add_function(wrap_pyfunction!(_conj_physical, m)?)?;
    m.add_function(wrap_pyfunction!(_complex_abs, m)?)?;
    m.add_function(wrap_pyfunction!(_angle, m)?)?;
    m.add_function(wrap_pyfunction!(_complex, m)?)?;
    m.add_function(wrap_pyfunction!(_conj, m)?)?;
    m.add_function(wrap_pyfunction!(_resolve_conj, m)?)?;
    m.add_function(wrap_pyfunction!(_is_conj, m)?)?;
    m.add_function(wrap_pyfunction!(_polar, m)?)?;
    Ok(())
}
