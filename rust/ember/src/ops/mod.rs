//! Ops on Tensors, each with its backward formula beside its forward.
pub mod binary;
pub mod copy;
pub mod reduce;

pub use binary::BinaryOp;
