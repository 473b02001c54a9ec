//! `ember.<fn>(input, ...)` as `input.<method>(...)`, one native call: the functional forms
//! of Tensor methods (`ember.add`, `ember.exp`, `ember.sum`, …). A Python forwarder cost a
//! frame (~0.5-0.8 µs of a 10-element `ember.add(a, b)`'s 2 µs); this object calls the method
//! found on the input's type with the caller's own argument tuple.
//!
//! What happens to `out=` is the forwarder's mode:
//! - `pass`: untouched, the method receives it (functions PyTorch gives no `out=`);
//! - `rules`: PyTorch's rules of `python/ember/_out_forms.py` — the common case (nothing
//!   requires grad, a plain result of `out`'s dtype and shape) natively, the rest by the
//!   Python rules (`out.rs`: `refuse_grad`, `write_out`);
//! - `copy`: the elementwise functions PyTorch has no `out=` for keep ember's looser form
//!   (`out` must be a Tensor, the result is `copy_`'d into it; an in-place name refuses it).
use crate::out::{refuse_grad, write_out};
use crate::tensor::PyTensor;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

#[derive(Clone, Copy, PartialEq)]
enum OutMode {
    Pass,
    Rules,
    Copy,
}

/// Its `__doc__` lives in the instance's `__dict__`: the class's own docstring would shadow a getter.
#[pyclass(module = "ember", name = "_Forwarder", frozen, dict)]
pub struct Forwarder {
    name: Py<PyString>,
    method: Py<PyString>,
    mode: OutMode,
    signature: Py<PyAny>,
}

pub(crate) fn type_name(o: &Bound<'_, PyAny>) -> String {
    o.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
}

impl Forwarder {
    fn call_method<'py>(
        &self,
        input: &Bound<'py, PyAny>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        // The type's attribute, called with the caller's tuple (input first): no bound method,
        // no second tuple. A subclass's override is found the same way.
        input.get_type().getattr(self.method.bind(input.py()))?.call(args, kwargs)
    }

    fn forward<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Py<PyAny>> {
        let name = self.name.bind(py);
        // `input=` as a keyword: rebuilt as the positional form (rare).
        if args.is_empty() {
            let input = match kwargs {
                Some(kw) => kw.get_item(intern!(py, "input"))?,
                None => None,
            };
            let Some(input) = input else {
                return Err(PyTypeError::new_err(format!("{name}() missing 1 required positional argument: 'input'")));
            };
            let kw = kwargs.expect("input came from kwargs").copy()?;
            kw.del_item(intern!(py, "input"))?;
            return self.forward(py, &PyTuple::new(py, [input])?, Some(&kw));
        }
        let input = args.get_item(0)?;
        if let Some(kw) = kwargs {
            if kw.contains(intern!(py, "input"))? {
                return Err(PyTypeError::new_err(format!("{name}() got multiple values for argument 'input'")));
            }
        }
        if !input.is_instance_of::<PyTensor>() {
            return Err(PyTypeError::new_err(format!("{name}(): argument 'input' (position 1) must be Tensor, not {}", type_name(&input))));
        }
        let out = match (self.mode, kwargs) {
            (OutMode::Pass, _) | (_, None) => None,
            (_, Some(kw)) => kw.get_item(intern!(py, "out"))?,
        };
        let Some(out) = out else { return Ok(self.call_method(&input, args, kwargs)?.unbind()) };
        // The method never sees `out` (the caller's dict stays as it was).
        let kw = kwargs.expect("out came from kwargs");
        let kw = if kw.len() == 1 {
            None
        } else {
            let kw = kw.copy()?;
            kw.del_item(intern!(py, "out"))?;
            Some(kw)
        };
        if out.is_none() {
            return Ok(self.call_method(&input, args, kw.as_ref())?.unbind());
        }
        match self.mode {
            OutMode::Rules => {
                let name = name.to_str()?;
                refuse_grad(py, name, args, kw.as_ref())?;
                write_out(py, name, &self.call_method(&input, args, kw.as_ref())?, &out)
            }
            _ => {
                if name.to_str()?.ends_with('_') {
                    // refused before computing: an in-place op must not write `input` and then fail on `out`
                    return Err(PyTypeError::new_err(format!("{name}() got an unexpected keyword argument 'out'")));
                }
                if !out.is_instance_of::<PyTensor>() {
                    return Err(PyTypeError::new_err(format!("{name}(): argument 'out' must be Tensor, not {}", type_name(&out))));
                }
                let result = self.call_method(&input, args, kw.as_ref())?;
                out.call_method1(intern!(py, "copy_"), (result,))?;
                Ok(out.unbind())
            }
        }
    }
}

#[pymethods]
impl Forwarder {
    /// `_Forwarder(name, method, mode, signature)`; mode is "pass", "rules" or "copy" (module
    /// note).
    #[new]
    fn new(name: Py<PyString>, method: Py<PyString>, mode: &str, signature: Py<PyAny>) -> PyResult<Self> {
        let mode = match mode {
            "pass" => OutMode::Pass,
            "rules" => OutMode::Rules,
            "copy" => OutMode::Copy,
            m => return Err(PyValueError::new_err(format!("_Forwarder: mode must be 'pass', 'rules' or 'copy', not {m:?}"))),
        };
        Ok(Forwarder { name, method, mode, signature })
    }

    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("forward", || self.forward(py, args, kwargs))
    }

    /// The Tensor method it calls (`_out_forms` recognises forwarders by it).
    #[getter]
    fn _forwards_to(&self, py: Python<'_>) -> Py<PyString> {
        self.method.clone_ref(py)
    }
    /// True when `out=` follows PyTorch's rules (`_out_forms.install` then leaves it alone).
    #[getter]
    fn _out_form(&self) -> bool {
        self.mode == OutMode::Rules
    }
}

/// The attributes that make a native callable (with fields `name: Py<PyString>` and
/// `signature: Py<PyAny>`) pass for the `ember.<name>` function it stands for: its name, module
/// and signature for `inspect`, pickling by reference, a builtin's repr, and the mark that keeps
/// `_argcheck` from wrapping it (it or its fallback checks its arguments). A second
/// `#[pymethods]` block (the `multiple-pymethods` feature) shared by `_Forwarder` and `_Front`.
macro_rules! function_attrs {
    ($t:ty) => {
        #[pymethods]
        impl $t {
            #[getter]
            fn __name__(&self, py: Python<'_>) -> Py<PyString> {
                self.name.clone_ref(py)
            }
            #[getter]
            fn __qualname__(&self, py: Python<'_>) -> Py<PyString> {
                self.name.clone_ref(py)
            }
            #[getter]
            fn __module__(&self) -> &'static str {
                "ember"
            }
            #[getter]
            fn __signature__(&self, py: Python<'_>) -> Py<PyAny> {
                self.signature.clone_ref(py)
            }
            #[getter]
            fn __ember_args_checked__(&self) -> bool {
                true
            }
            fn __reduce__(&self, py: Python<'_>) -> Py<PyString> {
                self.name.clone_ref(py)
            }
            fn __repr__(&self, py: Python<'_>) -> String {
                format!("<built-in function {}>", self.name.bind(py))
            }
        }
    };
}
pub(crate) use function_attrs;

function_attrs!(Forwarder);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Forwarder>()
}
