//! Autograd flags beside the tape: `Tensor.grad_dtype` (PyTorch 2.9+) and `is_inference()`.
use crate::error::IntoPy;
use crate::tensor::PyTensor;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// `Tensor.grad_dtype` (PyTorch 2.9+): the dtype AccumulateGrad casts incoming gradients to
/// and `.grad =` must match; `None` allows any. Settable on leaves only.
#[pymethods]
impl PyTensor {
    /// Made under `inference_mode` (or a view of such a tensor).
    fn is_inference(&self) -> bool {
        self.t.is_inference()
    }
    #[getter]
    fn grad_dtype(&self) -> Option<crate::dtype::PyDType> {
        self.t.grad_dtype().map(crate::convert::py_dtype)
    }
    #[setter]
    fn set_grad_dtype(&self, d: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        crate::guard::guard("grad_dtype", || {
            let d = match d {
                Some(o) if !o.is_none() => match o.cast::<crate::dtype::PyDType>() {
                    Ok(d) => Some(d.get().d),
                    Err(_) => {
                        return Err(PyRuntimeError::new_err(format!(
                            "grad_dtype must be a torch.dtype or None, but got {}",
                            o.get_type().name()?
                        )))
                    }
                },
                _ => None,
            };
            self.t.set_grad_dtype(d).py()
        })
    }
}
