//! `ember._native`: the binding translates, never computes. Each method converts its
//! arguments, calls one function of the `ember` crate, and converts the result.
mod alloc;
mod autograd;
mod autograd_flags;
mod cell;
mod complex;
mod convert;
mod creation;
mod dtype;
mod error;
mod exchange;
mod forward;
mod front;
mod functional;
mod geometry;
mod guard;
mod indexing;
mod inspect;
mod numpy_api;
mod ops;
mod ops_index;
mod ops_linalg;
mod ops_nn;
mod ops_numerics;
mod ops_reduce;
mod ops_unary;
mod out;
mod shared;
mod sparse;
mod tensor;
mod wgpu;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    guard::install_quiet_hook();
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<tensor::PyStorage>()?;
    m.add_class::<dtype::PyDType>()?;
    m.add_class::<dtype::PyDevice>()?;
    m.add_class::<autograd::PyNode>()?;
    m.add_class::<creation::PyGenerator>()?;
    creation::register(m)?;
    autograd::register(m)?;
    ops::register(m)?;
    complex::register(m)?;
    ops_unary::register(m)?;
    ops_reduce::register(m)?;
    ops_linalg::register(m)?;
    ops_index::register(m)?;
    ops_nn::register(m)?;
    ops_numerics::register(m)?;
    exchange::register(m)?;
    numpy_api::register(m)?;
    inspect::register(m)?;
    shared::register(m)?;
    sparse::register(m)?;
    wgpu::register(m)?;
    out::register(m)?;
    forward::register(m)?;
    front::register(m)?;
    functional::register(m)?;
    Ok(())
}
