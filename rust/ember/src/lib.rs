//! The Rust Tensor: storage + layout + dtype + device (+ autograd meta), creation, views,
//! ops with their backward formulas beside them, and the autograd engine.
pub mod autograd;
pub mod backend;
pub mod conj;
pub mod creation;
pub mod dispatch;
pub mod gpu;
mod inplace_geometry;
pub mod ops;
pub mod promote;
pub mod random;
pub mod sparse;
mod tensor;
pub mod view;

pub use autograd::{grad_mode, Node};
pub use ember_core::{
    alloc_counters, bf16, f16, layout, Complex, DType, Device, Element, Error, Result, Scalar, Storage, WeakStorage, C128, C64,
};
/// The elementwise op tables (one row per op, every column), for the binding to generate from.
pub use ember_core::{binary_ops, unary_ops};
pub use ember_cpu as cpu;
pub use ember_wgpu as wgpu;
pub use layout::Layout;
pub use tensor::{Tensor, TensorImpl};
