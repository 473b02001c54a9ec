//! Ops on Tensors, each with its backward formula beside its forward.
pub mod binary;
pub mod binary_table;
pub mod compare;
pub mod complex;
pub mod conv;
pub mod copy;
pub mod einsum;
pub mod gather;
pub mod index;
pub mod linalg;
pub mod meta;
pub mod nn;
pub mod optim;
pub mod pool;
pub mod random;
pub mod reduce;
pub mod shape;
pub mod sort;
pub mod stats;
pub mod ternary;
pub mod unary;
pub mod unary_table;

pub use binary::BinaryOp;
