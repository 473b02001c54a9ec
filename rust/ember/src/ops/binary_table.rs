//! The binary op table: one row per op, from which ember generates `BinaryOp`, its ATen name,
//! its grad_fn name, its dtype rule, its wgpu kernel, and the Tensor methods of the Python
//! binding (`x.hypot(y)`, `x.hypot_(y)` and aliases) with the list of `ember.*` functions
//! Python forwards to them.
//!
//! Columns: variant; ATen name; grad_fn (Pow's scalar forms are named in `grad_name`); whether
//! the op computes in floating point even for integer inputs (`float: true` → integer operands
//! promote to the default dtype); the `ember_wgpu::BinaryOp` kernel; Python (method, in-place
//! method) names (add/sub/mul/div have hand-written methods: they take `alpha` /
//! `rounding_mode`); whether those names are also `torch.*` functions. The host formula is the
//! op's arm in `ops::binary::kernel_into`, the backward its arm in `ops::binary::grads_of`.

/// Expands `$m! { rows }` with the table; see the module docs for the columns.
#[macro_export]
macro_rules! binary_table {
    ($m:ident) => {
        $m! {
            Add => "add", "AddBackward0", float: false, wgpu: Add, py: [], torch: false;
            Sub => "sub", "SubBackward0", float: false, wgpu: Sub, py: [], torch: false;
            Mul => "mul", "MulBackward0", float: false, wgpu: Mul, py: [multiply multiply_], torch: false;
            Div => "div", "DivBackward0", float: true, wgpu: Div, py: [true_divide true_divide_], torch: true;
            // div(rounding_mode="trunc")
            DivTrunc => "div", "DivBackward1", float: false, wgpu: DivTrunc, py: [], torch: false;
            // floor_divide, `//`, div(rounding_mode="floor")
            DivFloor => "floor_divide", "DivBackward1", float: false, wgpu: DivFloor, py: [floor_divide floor_divide_], torch: true;
            // remainder, `%`: takes the divisor's sign
            Rem => "remainder", "RemainderBackward0", float: false, wgpu: Remainder, py: [remainder remainder_], torch: true;
            Fmod => "fmod", "FmodBackward0", float: false, wgpu: Fmod, py: [fmod fmod_], torch: true;
            Pow => "pow", "PowBackward1", float: false, wgpu: Pow, py: [pow pow_], torch: false;
            Atan2 => "atan2", "Atan2Backward0", float: true, wgpu: Atan2, py: [atan2 atan2_, arctan2 arctan2_], torch: true;
            Maximum => "maximum", "MaximumBackward0", float: false, wgpu: Maximum, py: [maximum maximum_], torch: true;
            Minimum => "minimum", "MinimumBackward0", float: false, wgpu: Minimum, py: [minimum minimum_], torch: true;
            Fmax => "fmax", "FmaxBackward0", float: false, wgpu: Fmax, py: [fmax fmax_], torch: true;
            Fmin => "fmin", "FminBackward0", float: false, wgpu: Fmin, py: [fmin fmin_], torch: true;
            Hypot => "hypot", "HypotBackward0", float: true, wgpu: Hypot, py: [hypot hypot_], torch: true;
            Copysign => "copysign", "CopysignBackward0", float: true, wgpu: Copysign, py: [copysign copysign_], torch: true;
            Xlogy => "xlogy", "XlogyBackward0", float: true, wgpu: Xlogy, py: [xlogy xlogy_], torch: true;
        }
    };
}

/// Generates `BinaryOp` and its per-op metadata from the table.
macro_rules! binary_metadata {
    ($($v:ident => $aten:literal, $grad:literal, float: $float:literal, wgpu: $w:ident,
       py: [$($py:ident $py_:ident),*], torch: $torch:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum BinaryOp {
            $($v,)*
        }

        impl BinaryOp {
            /// The op's ATen name (for dispatch records and errors).
            pub fn name(self) -> &'static str {
                match self {
                    $(BinaryOp::$v => $aten,)*
                }
            }
            /// Ops computed in floating point even for integer inputs.
            pub fn float_only(self) -> bool {
                match self {
                    $(BinaryOp::$v => $float,)*
                }
            }
            /// The grad_fn name when both operands are tensors.
            pub(crate) fn tensor_grad_name(self) -> &'static str {
                match self {
                    $(BinaryOp::$v => $grad,)*
                }
            }
            /// The WGSL kernel that runs the op.
            pub fn wgpu_kernel(self) -> ember_wgpu::BinaryOp {
                match self {
                    $(BinaryOp::$v => ember_wgpu::BinaryOp::$w,)*
                }
            }
        }

        /// Python names of the table's ops that are also `torch.*` functions.
        pub const TORCH_FUNCTIONS: &[&str] = &[$($(if $torch { stringify!($py) } else { "" },)*)*];
    };
}

crate::binary_table!(binary_metadata);
