//! What ember generates from the unary op table (`ember_core::unary_ops!`, where every column
//! of a row lives: formulas, WGSL, names): the op's ATen name (dispatch records and errors),
//! its grad_fn name and what its backward saves, its wgpu kernel, and the list of `ember.*`
//! functions Python forwards to the Tensor methods the binding generates from the same rows.
//! The backward formula is the op's arm in `ops::unary::grad_of`.

/// Generates the per-op metadata functions of `ops::unary` from the table.
macro_rules! unary_metadata {
    ($($v:ident => $aten:literal, $grad:literal, x: $sx:literal, y: $sy:literal, int: $ik:ident $(($($ia:tt)*))?,
       f: $f:expr, wgsl: {$($wd:ident: $we:literal),*}, py: [$($py:ident $py_:ident),*], torch: $torch:literal;)*) => {
        /// The op's ATen name (for dispatch records and errors).
        pub fn op_name(op: UOp) -> &'static str {
            match op {
                $(UOp::$v => $aten,)*
            }
        }

        /// grad_fn name, and whether the backward reads the input / the output.
        pub(crate) fn meta(op: UOp) -> (&'static str, bool, bool) {
            match op {
                $(UOp::$v => ($grad, $sx, $sy),)*
            }
        }

        /// The WGSL kernel that runs `op`, if its row has an expression (others are composed
        /// or refused).
        pub fn wgpu_kernel(op: UOp) -> Option<ember_wgpu::UnaryOp> {
            let w = match op {
                $(UOp::$v => ember_wgpu::UnaryOp::$v,)*
            };
            w.has_kernel().then_some(w)
        }

        /// Python names of the table's ops that are also `torch.*` functions.
        pub const TORCH_FUNCTIONS: &[&str] = &[$($(if $torch { stringify!($py) } else { "" },)*)*];
    };
}

use ember_cpu::unary::UOp;
ember_core::unary_ops!(unary_metadata);
