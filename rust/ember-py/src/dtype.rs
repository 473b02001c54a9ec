//! `ember.dtype` and `ember.device`.
use ember::DType;
use pyo3::prelude::*;

#[pyclass(name = "dtype", module = "ember", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyDType {
    pub d: DType,
}

#[pymethods]
impl PyDType {
    #[new]
    fn new(name: &str) -> PyResult<Self> {
        crate::guard::guard("new", || {
            DType::from_name(name)
                .map(|d| PyDType { d })
                .ok_or_else(|| pyo3::exceptions::PyTypeError::new_err(format!("unknown dtype {name:?}")))
        })
    }
    fn __repr__(&self) -> String {
        format!("ember.{}", self.d.name())
    }
    #[getter]
    fn itemsize(&self) -> usize {
        self.d.size()
    }
    #[getter]
    fn is_floating_point(&self) -> bool {
        self.d.is_float()
    }
    #[getter]
    fn is_signed(&self) -> bool {
        self.d.is_signed()
    }
    #[getter]
    fn is_complex(&self) -> bool {
        self.d.is_complex()
    }
    /// complex64 → float32, complex128 → float64; real dtypes map to themselves.
    fn to_real(&self) -> PyDType {
        PyDType { d: self.d.to_real() }
    }
    /// The complex dtype with `self`'s precision (float32 → complex64); refused for ints and bool.
    fn to_complex(&self) -> PyResult<PyDType> {
        if self.d.is_inexact() {
            Ok(PyDType { d: self.d.to_complex() })
        } else {
            Err(pyo3::exceptions::PyRuntimeError::new_err(format!("Unsupported dtype {}", self.d.scalar_name())))
        }
    }
    #[getter]
    fn name(&self) -> &'static str {
        self.d.name()
    }
    /// Pickles as `ember.dtype(name)`, so any dtype object round-trips (equal, not identical).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, pyo3::types::PyType>, (&'static str,)) {
        (slf.get_type(), (slf.get().d.name(),))
    }
}

#[pyclass(name = "device", module = "ember", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyDevice {
    #[pyo3(get, name = "type")]
    pub kind: String,
    #[pyo3(get)]
    pub index: Option<i64>,
}

#[pymethods]
impl PyDevice {
    #[new]
    #[pyo3(signature = (spec, index=None))]
    fn new(spec: &Bound<'_, PyAny>, index: Option<i64>) -> PyResult<Self> {
        crate::guard::guard("new", || {
            if let Ok(d) = spec.cast::<PyDevice>() {
                return Ok(d.get().clone());
            }
            let s: String = spec.extract()?;
            let (kind, idx) = match s.split_once(':') {
                Some((k, i)) => (
                    k.to_string(),
                    Some(i.parse::<i64>().map_err(|_| pyo3::exceptions::PyRuntimeError::new_err(format!("Invalid device string: '{s}'")))?),
                ),
                None => (s.clone(), index),
            };
            if !["cpu", "wgpu", "meta", "cuda"].contains(&kind.as_str()) {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "Expected one of cpu, wgpu, meta device type at start of device string: {s}"
                )));
            }
            Ok(PyDevice { kind, index: idx })
        })
    }
    fn __repr__(&self) -> String {
        match self.index {
            Some(i) => format!("device(type='{}', index={i})", self.kind),
            None => format!("device(type='{}')", self.kind),
        }
    }
    fn __str__(&self) -> String {
        match self.index {
            Some(i) => format!("{}:{i}", self.kind),
            None => self.kind.clone(),
        }
    }
}

impl PyDevice {
    /// A device from a string or device object (what `to()` and `device=` accept).
    pub fn new_checked(o: &Bound<'_, PyAny>) -> PyResult<PyDevice> {
        PyDevice::new(o, None)
    }

    /// The core device this names, or PyTorch's error for a backend this build lacks.
    pub fn to_device(&self) -> PyResult<ember::Device> {
        match self.kind.as_str() {
            "cpu" => Ok(ember::Device::Cpu),
            "meta" => Ok(ember::Device::Meta),
            "wgpu" => {
                let i = self.index.unwrap_or(0);
                u16::try_from(i)
                    .map(ember::Device::Wgpu)
                    .map_err(|_| pyo3::exceptions::PyRuntimeError::new_err(format!("Invalid device index {i} for wgpu")))
            }
            "cuda" => Err(pyo3::exceptions::PyAssertionError::new_err(
                "Torch not compiled with CUDA enabled. ember has no CUDA backend; use device='cpu', 'wgpu' (the GPU) or 'meta'.",
            )),
            _ => Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "ember has no kernels for device '{}' in this build yet; use device='cpu' or device='meta'.",
                self.kind
            ))),
        }
    }
}
