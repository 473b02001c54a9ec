//! `ember.wgpu` natives and device moves (`Tensor.to(device)`, `.cpu()`).
use crate::dtype::PyDevice;
use crate::error::IntoPy;
use crate::tensor::{run, wrap, PyTensor};
use ember::Device;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// The ember device a `device` object names ("cpu", "meta", "wgpu", "wgpu:0").
pub fn device_of(d: &PyDevice) -> PyResult<Device> {
    match d.kind.as_str() {
        "cpu" => Ok(Device::Cpu),
        "meta" => Ok(Device::Meta),
        "wgpu" => {
            let i = d.index.unwrap_or(0);
            u16::try_from(i).map(Device::Wgpu).map_err(|_| PyRuntimeError::new_err(format!("Invalid device index {i} for wgpu")))
        }
        "cuda" => Err(PyRuntimeError::new_err(
            "Torch not compiled with CUDA enabled: ember has no CUDA backend; use device 'wgpu' for the GPU (ember.wgpu.is_available())",
        )),
        k => Err(PyRuntimeError::new_err(format!("Expected one of cpu, wgpu, meta device type at start of device string: {k}"))),
    }
}

/// Moves `t` to the device `spec` names (the same object when already there).
pub fn move_to(slf: &Bound<'_, PyTensor>, spec: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let dev = device_of(&PyDevice::new_checked(spec)?)?;
    let t = &slf.get().operand();
    if t.device() == dev {
        return Ok(slf.clone().into_any().unbind());
    }
    let py = slf.py();
    wrap(py, run(py, t.numel(), || ember::gpu::to_device(t, dev))?)
}

#[pymethods]
impl PyTensor {
    /// A copy on the host (the same tensor when already there).
    #[pyo3(signature = (memory_format=None))]
    fn cpu(slf: &Bound<'_, Self>, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("cpu", || {
            let _ = memory_format;
            move_to(slf, &pyo3::types::PyString::new(slf.py(), "cpu").into_any())
        })
    }
    fn _to_device(slf: &Bound<'_, Self>, device: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_to_device", || move_to(slf, device))
    }
}

#[pyfunction]
fn _wgpu_is_available() -> bool {
    ember::wgpu::is_available()
}

#[pyfunction]
fn _wgpu_device_count() -> usize {
    ember::wgpu::device_count()
}

#[pyfunction]
fn _wgpu_device_name() -> PyResult<String> {
    crate::guard::guard("_wgpu_device_name", || ember::wgpu::device_name().py())
}

#[pyfunction]
fn _wgpu_synchronize(py: Python<'_>) -> PyResult<()> {
    crate::guard::guard("_wgpu_synchronize", || py.detach(ember::wgpu::synchronize).py())
}

#[pyfunction]
fn _wgpu_empty_cache() -> PyResult<()> {
    crate::guard::guard("_wgpu_empty_cache", || ember::wgpu::empty_cache().py())
}

#[pyfunction]
fn _wgpu_pooled_bytes() -> PyResult<u64> {
    crate::guard::guard("_wgpu_pooled_bytes", || ember::wgpu::pooled_bytes().py())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_wgpu_is_available, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_device_count, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_device_name, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_synchronize, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_empty_cache, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_pooled_bytes, m)?)?;
    Ok(())
}
