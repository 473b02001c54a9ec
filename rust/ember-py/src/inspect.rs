//! Natives behind `ember.inspect` and the promotion helpers `ember.result_type`,
//! `ember.promote_types`, `ember.can_cast`.
use crate::convert::{arg, dtype, py_dtype};
use crate::dtype::PyDType;
use crate::error::IntoPy;
use pyo3::prelude::*;

/// (kernel family, fast path, threads) of the last kernel run on this thread, or None; for a
/// wgpu kernel ("wgpu", kernel name such as "wgpu/binary_add_f32", workgroups dispatched).
#[pyfunction]
fn _last_kernel() -> Option<(&'static str, &'static str, usize)> {
    let gpu = ember::wgpu::trace::take();
    ember::cpu::trace::take()
        .or_else(|| gpu.map(|(k, g)| ("wgpu", k.strip_prefix("wgpu/").unwrap_or(k), g.iter().map(|&x| x.max(1) as usize).product())))
}

#[pyfunction]
fn result_type(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<PyDType> {
    crate::guard::guard("result_type", || {
        let (a, b) = (arg(a)?, arg(b)?);
        Ok(py_dtype(ember::promote::result_type(&[&a, &b]).py()?))
    })
}

/// A required dtype argument: PyTorch's TypeError when it is missing or not a dtype.
fn dtype_arg(o: &Bound<'_, PyAny>, f: &str, name: &str, pos: usize) -> PyResult<ember::DType> {
    dtype(Some(o))?.ok_or_else(|| {
        let ty = o.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        pyo3::exceptions::PyTypeError::new_err(format!("{f}(): argument '{name}' (position {pos}) must be torch.dtype, not {ty}"))
    })
}

#[pyfunction]
fn promote_types(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<PyDType> {
    crate::guard::guard("promote_types", || {
        let (a, b) = (dtype_arg(a, "promote_types", "type1", 1)?, dtype_arg(b, "promote_types", "type2", 2)?);
        Ok(py_dtype(ember::DType::promote(a, b).py()?))
    })
}

#[pyfunction]
fn can_cast(from_: &Bound<'_, PyAny>, to: &Bound<'_, PyAny>) -> PyResult<bool> {
    crate::guard::guard("can_cast", || {
        let (a, b) = (dtype_arg(from_, "can_cast", "from_", 1)?, dtype_arg(to, "can_cast", "to", 2)?);
        Ok(a.can_cast_to(b))
    })
}

/// Records who last wrote a tensor's storage in place ("Tensor.mul_ at train.py:12"); the
/// autograd version-counter error quotes it.
#[pyfunction]
fn _set_last_write(t: &Bound<'_, crate::tensor::PyTensor>, text: String) {
    t.get().t.storage().set_origin(text);
}

/// Bytes held by live ember-allocated storages.
#[pyfunction]
fn _allocated_bytes() -> usize {
    ember_core_counters::live()
}

/// The most bytes held at once since the last `_reset_peak_bytes()`.
#[pyfunction]
fn _peak_bytes() -> usize {
    ember_core_counters::peak()
}

#[pyfunction]
fn _reset_peak_bytes() {
    ember_core_counters::reset_peak()
}

use ember::alloc_counters as ember_core_counters;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_allocated_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(_peak_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(_reset_peak_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(_set_last_write, m)?)?;
    m.add_function(wrap_pyfunction!(_last_kernel, m)?)?;
    m.add_function(wrap_pyfunction!(result_type, m)?)?;
    m.add_function(wrap_pyfunction!(promote_types, m)?)?;
    m.add_function(wrap_pyfunction!(can_cast, m)?)?;
    Ok(())
}
