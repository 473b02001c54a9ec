//! DTypes and promotion, the Element trait, refcounted untyped Storage, Device, Error.
mod complex;
mod dtype;
mod element;
mod elementwise_table;
mod error;
mod scalar;
mod storage;

pub use complex::{Complex, C128, C64};
pub use dtype::{DType, Device};
pub use element::Element;
pub use ember_layout as layout;
pub use error::{Error, Result};
pub use half::{bf16, f16};
pub use scalar::Scalar;
pub use storage::{counters as alloc_counters, filled_vec, nbytes_for, out_of_memory, Storage, WeakStorage};
