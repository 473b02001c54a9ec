//! The unary op table: one row per op, from which ember generates the op's ATen name (dispatch
//! records and errors), its grad_fn name and what its backward saves, its wgpu kernel, the
//! Tensor methods of the Python binding (`x.exp()`, `x.exp_()` and aliases) and the list of
//! `ember.*` functions Python forwards to them.
//!
//! Columns: variant of `ember_cpu::unary::UOp` (where the host scalar formula lives, in
//! `eval_f`); ATen name; grad_fn; whether backward reads the input x / the output y; the
//! `ember_wgpu::UnaryOp` kernel (empty: composed from other kernels or none, see
//! `gpu::ops::composed`); Python (method, in-place method) names; whether the methods are also
//! `torch.*` functions. The backward formula is the op's arm in `ops::unary::grad_of`.
//!
//! Adding a unary op: a variant and its `eval_f` arm in ember-cpu, a row here, a `grad_of` arm,
//! and (for a WGSL kernel) its expression in ember-wgpu — tests pick the op up from the table.

/// Expands `$m! { rows }` with the table; see the module docs for the columns.
#[macro_export]
macro_rules! unary_table {
    ($m:ident) => {
        $m! {
            Neg => "neg", "NegBackward0", x: false, y: false, wgpu: [Neg], py: [neg neg_, negative negative_], torch: true;
            Abs => "abs", "AbsBackward0", x: true, y: false, wgpu: [Abs], py: [abs abs_, absolute absolute_], torch: true;
            Sign => "sign", "SignBackward0", x: false, y: false, wgpu: [Sign], py: [sign sign_, sgn sgn_], torch: true;
            Square => "square", "PowBackward0", x: true, y: false, wgpu: [Square], py: [square square_], torch: true;
            Relu => "relu", "ReluBackward0", x: false, y: true, wgpu: [Relu], py: [relu relu_], torch: true;
            Relu6 => "relu6", "HardtanhBackward0", x: true, y: false, wgpu: [], py: [relu6 relu6_], torch: false;
            Hardtanh => "hardtanh", "HardtanhBackward0", x: true, y: false, wgpu: [], py: [], torch: false;
            Clamp => "clamp", "ClampBackward1", x: true, y: false, wgpu: [], py: [], torch: false;
            Floor => "floor", "FloorBackward0", x: false, y: false, wgpu: [Floor], py: [floor floor_], torch: true;
            Ceil => "ceil", "CeilBackward0", x: false, y: false, wgpu: [Ceil], py: [ceil ceil_], torch: true;
            Round => "round", "RoundBackward0", x: false, y: false, wgpu: [Round], py: [], torch: false;
            RoundDecimals => "round", "RoundBackward1", x: false, y: false, wgpu: [], py: [], torch: false;
            Trunc => "trunc", "TruncBackward0", x: false, y: false, wgpu: [], py: [trunc trunc_, fix fix_], torch: true;
            Frac => "frac", "FracBackward0", x: false, y: false, wgpu: [], py: [frac frac_], torch: true;
            Exp => "exp", "ExpBackward0", x: false, y: true, wgpu: [Exp], py: [exp exp_], torch: true;
            Exp2 => "exp2", "Exp2Backward0", x: false, y: true, wgpu: [], py: [exp2 exp2_], torch: true;
            Expm1 => "expm1", "Expm1Backward0", x: false, y: true, wgpu: [Expm1], py: [expm1 expm1_], torch: true;
            Log => "log", "LogBackward0", x: true, y: false, wgpu: [Log], py: [log log_], torch: true;
            Log2 => "log2", "Log2Backward0", x: true, y: false, wgpu: [], py: [log2 log2_], torch: true;
            Log10 => "log10", "Log10Backward0", x: true, y: false, wgpu: [], py: [log10 log10_], torch: true;
            Log1p => "log1p", "Log1pBackward0", x: true, y: false, wgpu: [Log1p], py: [log1p log1p_], torch: true;
            Sqrt => "sqrt", "SqrtBackward0", x: false, y: true, wgpu: [Sqrt], py: [sqrt sqrt_], torch: true;
            Rsqrt => "rsqrt", "RsqrtBackward0", x: false, y: true, wgpu: [Rsqrt], py: [rsqrt rsqrt_], torch: true;
            Reciprocal => "reciprocal", "ReciprocalBackward0", x: false, y: true, wgpu: [Reciprocal], py: [reciprocal reciprocal_], torch: true;
            Sin => "sin", "SinBackward0", x: true, y: false, wgpu: [Sin], py: [sin sin_], torch: true;
            Cos => "cos", "CosBackward0", x: true, y: false, wgpu: [Cos], py: [cos cos_], torch: true;
            Tan => "tan", "TanBackward0", x: false, y: true, wgpu: [], py: [tan tan_], torch: true;
            Asin => "asin", "AsinBackward0", x: true, y: false, wgpu: [], py: [asin asin_, arcsin arcsin_], torch: true;
            Acos => "acos", "AcosBackward0", x: true, y: false, wgpu: [], py: [acos acos_, arccos arccos_], torch: true;
            Atan => "atan", "AtanBackward0", x: true, y: false, wgpu: [], py: [atan atan_, arctan arctan_], torch: true;
            Sinh => "sinh", "SinhBackward0", x: true, y: false, wgpu: [], py: [sinh sinh_], torch: true;
            Cosh => "cosh", "CoshBackward0", x: true, y: false, wgpu: [], py: [cosh cosh_], torch: true;
            Tanh => "tanh", "TanhBackward0", x: false, y: true, wgpu: [Tanh], py: [tanh tanh_], torch: true;
            Asinh => "asinh", "AsinhBackward0", x: true, y: false, wgpu: [], py: [asinh asinh_, arcsinh arcsinh_], torch: true;
            Acosh => "acosh", "AcoshBackward0", x: true, y: false, wgpu: [], py: [acosh acosh_, arccosh arccosh_], torch: true;
            Atanh => "atanh", "AtanhBackward0", x: true, y: false, wgpu: [], py: [atanh atanh_, arctanh arctanh_], torch: true;
            Sigmoid => "sigmoid", "SigmoidBackward0", x: false, y: true, wgpu: [Sigmoid], py: [sigmoid sigmoid_], torch: true;
            LogSigmoid => "log_sigmoid", "LogSigmoidBackward0", x: true, y: false, wgpu: [], py: [], torch: false;
            Logit => "logit", "LogitBackward0", x: true, y: false, wgpu: [], py: [], torch: false;
            Erf => "erf", "ErfBackward0", x: true, y: false, wgpu: [], py: [erf erf_], torch: true;
            Erfc => "erfc", "ErfcBackward0", x: true, y: false, wgpu: [], py: [erfc erfc_], torch: true;
            Erfinv => "erfinv", "ErfinvBackward0", x: false, y: true, wgpu: [], py: [erfinv erfinv_], torch: true;
            Gelu => "gelu", "GeluBackward0", x: true, y: false, wgpu: [Gelu], py: [], torch: false;
            GeluTanh => "gelu", "GeluBackward0", x: true, y: false, wgpu: [GeluTanh], py: [], torch: false;
            Silu => "silu", "SiluBackward0", x: true, y: false, wgpu: [Silu], py: [silu silu_], torch: false;
            Mish => "mish", "MishBackward0", x: true, y: false, wgpu: [], py: [mish mish_], torch: false;
            Softplus => "softplus", "SoftplusBackward0", x: true, y: false, wgpu: [], py: [], torch: false;
            Elu => "elu", "EluBackward0", x: true, y: false, wgpu: [], py: [], torch: false;
            LeakyRelu => "leaky_relu", "LeakyReluBackward0", x: true, y: false, wgpu: [], py: [], torch: false;
            Hardsigmoid => "hardsigmoid", "HardsigmoidBackward0", x: true, y: false, wgpu: [], py: [hardsigmoid hardsigmoid_], torch: false;
            Hardswish => "hardswish", "HardswishBackward0", x: true, y: false, wgpu: [], py: [hardswish hardswish_], torch: false;
            NanToNum => "nan_to_num", "NanToNumBackward0", x: true, y: false, wgpu: [], py: [], torch: false;
        }
    };
}

/// Generates the per-op metadata functions of `ops::unary` from the table.
macro_rules! unary_metadata {
    ($($v:ident => $aten:literal, $grad:literal, x: $sx:literal, y: $sy:literal, wgpu: [$($w:ident)?],
       py: [$($py:ident $py_:ident),*], torch: $torch:literal;)*) => {
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

        /// The WGSL kernel that runs `op`, if one does (others are composed or refused).
        pub fn wgpu_kernel(op: UOp) -> Option<ember_wgpu::UnaryOp> {
            match op {
                $(UOp::$v => None $(.or(Some(ember_wgpu::UnaryOp::$w)))?,)*
            }
        }

        /// Python names of the table's ops that are also `torch.*` functions.
        pub const TORCH_FUNCTIONS: &[&str] = &[$($(if $torch { stringify!($py) } else { "" },)*)*];
    };
}

use ember_cpu::unary::UOp;
crate::unary_table!(unary_metadata);
