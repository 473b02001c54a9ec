//! ember's GPU backend: WGSL compute kernels on wgpu (Vulkan; Metal/DX12 where built).
//!
//! # Context and execution
//! One [`Context`] per process, created lazily ([`is_available`] never panics; without an
//! adapter every entry point returns an error naming the missing Vulkan driver). Kernels
//! are recorded into one pending command encoder and submitted every 256 dispatches or at a
//! read-back; only [`GpuBuffer::download`] and [`synchronize`] wait for the device.
//! Pipelines are compiled once per (kernel, dtypes, variant) and cached; bind groups are
//! cached by bound ranges; buffers come from a size-class pool. Device validation errors
//! (which wgpu reports asynchronously) surface as an `Error` at the next download/synchronize.
//!
//! # Elements on the GPU
//! | dtype   | GPU representation                                   |
//! |---------|------------------------------------------------------|
//! | float32 | f32                                                  |
//! | int32   | i32                                                  |
//! | bool    | one u32 per element, 0 or 1                          |
//! | uint8   | one u32 per element, 0..=255                         |
//! | int64   | two u32 words per element, little-endian (lo, hi)    |
//!
//! int64 exists for indices: copy/convert, compare, where, gather/scatter/index_select and
//! the index outputs of argmax/argmin/max_pool2d. Kernels reading indices use the lo word
//! (indices < 2^31); kernels producing indices write lo and the sign-extended hi word.
//! float16 is not provided yet (even where the adapter has SHADER_F16); float64 and every
//! other dtype is a `TypeError` naming the supported set ([`dtype::SUPPORTED`]).
//!
//! # Views
//! A [`GView`] is a buffer + [`ember_layout::Layout`] (strides ≥ 0 and offset in elements) +
//! dtype. Kernels read any strided view (stride 0 = broadcast) and write strided outputs.
//! Each dispatch reads one info record (rank ≤ 8, shape, strides, offsets, parameters).
//!
//! # Limits
//! Operands larger than the adapter's storage-binding limit (128 MiB on lavapipe) are split
//! along their outer dims into dispatches that each bind a sub-range; grids are 2-D so no
//! dimension exceeds 65,535 workgroups.
//!
//! # Kernels
//! [`copy`] (strided → strided, any dtype conversion), [`fill`], [`unary`], [`binary`]
//! (Python scalars as [`Operand::Scalar`] parameters, no upload), [`where_`] (masked_fill =
//! where with a scalar), [`reduce()`] (sum/mean/prod/max/min over any dims), [`argreduce`],
//! [`softmax`]/[`softmax_backward`], [`matmul()`] (batched, alpha/beta), [`gather`],
//! [`index_select`], [`scatter_add`], [`index_add`], [`im2col`]/[`col2im`] (conv2d with
//! matmul), [`max_pool2d`]/[`max_pool2d_backward`], [`sgd_step`], [`adam_step`].
//! Loops are bounded (llvmpipe ends shader loops after 32,767 iterations): long reductions
//! split into segments reduced in a second pass.
//!
//! # Trace
//! [`trace::take`] returns the last kernel dispatched on this thread ("wgpu/binary_add_f32",
//! workgroups).
pub mod buffer;
pub mod context;
pub mod dtype;
pub mod elementwise;
pub mod plan;
pub mod trace;

pub use buffer::{empty_cache, pooled_bytes, GpuBuffer};
pub use context::{context, device_count, device_name, is_available, set_max_binding_bytes, synchronize, Context};
pub use dtype::{from_gpu_bytes, gpu_elem_size, to_gpu_bytes};
pub use elementwise::{binary, copy, fill, unary, where_, BinaryOp, Operand, UnaryOp};
pub use plan::GView;
pub mod reduce;
pub mod rowwise;
pub use reduce::{reduce, ReduceOp};
pub use rowwise::{argreduce, softmax, softmax_backward};
pub mod matmul;
pub use matmul::matmul;
pub mod conv;
pub mod index;
pub mod optim;
pub use conv::{col2im, im2col, max_pool2d, max_pool2d_backward, Window};
pub use index::{gather, index_add, index_select, scatter_add};
pub use optim::{adam_step, sgd_step};
