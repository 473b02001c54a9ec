//! `ember._native`: the binding translates, never computes. Each method converts its
//! arguments, calls one function of the `ember` crate, and converts the result.
mod autograd;
mod convert;
mod creation;
mod dtype;
mod error;
mod ops;
mod tensor;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<tensor::PyStorage>()?;
    m.add_class::<dtype::PyDType>()?;
    m.add_class::<dtype::PyDevice>()?;
    m.add_class::<autograd::PyNode>()?;
    m.add_class::<creation::PyGenerator>()?;
    creation::register(m)?;
    autograd::register(m)?;
    ops::register(m)?;
    Ok(())
}
