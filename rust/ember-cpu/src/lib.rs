//! CPU kernels. Every kernel takes `(storage, layout)` operands and returns a new storage
//! (or writes into a destination view). Dtype dispatch is written once, in `dispatch.rs`.
#[macro_use]
pub mod dispatch;
pub mod activation_grad;
pub mod arith;
pub mod binary;
pub mod complex;
pub mod conv;
pub mod copy;
pub mod elementwise;
pub mod index;
pub mod matmul;
#[cfg(target_arch = "x86_64")]
pub mod matmul_amx;
#[cfg(target_arch = "x86_64")]
pub mod matmul_bf16;
#[cfg(target_arch = "x86_64")]
pub mod matmul_packed;
mod matmul_skinny;
pub mod pool;
mod pool_2x2;
pub mod reduce;
pub mod reduce_index;
pub mod scan;
pub mod softmax;
pub mod sort;
mod team;
pub mod threads;
pub mod trace;
pub mod unary;

pub use ember_core::{layout, Complex, DType, Element, Error, Result, Scalar, Storage, C128, C64};
pub use layout::Layout;
