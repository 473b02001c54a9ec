//! Stride math only: no storage, no dtype, no I/O.
//!
//! A tensor's logical element `(i0, i1, …)` lives at
//! `storage[offset + i0*stride0 + i1*stride1 + …]`, strides counted in elements.
//! Example: sizes `(2,3,4)` row-major have strides `(12,4,1)`; element `[1,0,1]`
//! lives at `12 + 0 + 1 = 13`.

mod broadcast;
mod coalesce;
mod error;
mod inline_vec;
mod layout;
mod order;
mod view;

pub use broadcast::{broadcast_shapes, broadcast_strides};
pub use coalesce::{coalesce, StridedIter};
pub use error::LayoutError;
pub use inline_vec::{Dims, InlineVec, Strides, INLINE_DIMS};
pub use layout::{checked_numel, contiguous_strides, numel, wrap_dim, Layout};
pub use order::{elementwise_output, is_non_overlapping_and_dense, memory_order, output_order, preserve_format, strides_in_order, Operand};
pub use view::movedim_order;
