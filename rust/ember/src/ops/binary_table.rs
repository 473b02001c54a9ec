//! What ember generates from the binary op table (`ember_core::binary_ops!`, where every
//! column of a row lives; `BinaryOp` and its host kernels are generated in
//! `ember_cpu::binary`): the op's wgpu kernel and the list of `ember.*` functions Python
//! forwards to the Tensor methods the binding generates from the same rows. The backward
//! formula is the op's arm in `ops::binary::grads_of`.

/// Generates the wgpu mapping and the Python function list from the table.
macro_rules! binary_metadata {
    ($($v:ident => $aten:literal, $grad:literal, x: $sx:literal, y: $sy:literal, int: $ik:ident,
       exact: [$($ex:expr)?], complex: $cx:tt, f: $f:expr, wgsl: {$($wd:ident: $we:literal),*},
       py: [$($py:ident $py_:ident),*], torch: $torch:literal;)*) => {
        /// The WGSL kernel that runs the op (same variant; its row's `wgsl:` column).
        pub fn wgpu_kernel(op: BinaryOp) -> ember_wgpu::BinaryOp {
            match op {
                $(BinaryOp::$v => ember_wgpu::BinaryOp::$v,)*
            }
        }

        /// Python names of the table's ops that are also `torch.*` functions.
        pub const TORCH_FUNCTIONS: &[&str] = &[$($(if $torch { stringify!($py) } else { "" },)*)*];
    };
}

pub use ember_cpu::binary::BinaryOp;
ember_core::binary_ops!(binary_metadata);
