//! The elementwise op tables: one row per op carrying every column, as X-macros
//! (`unary_ops!(m)` expands `m! { rows }`). They sit here, below the kernel crates, so one row
//! can carry the host formula (expanded inside ember-cpu), the WGSL expression (expanded inside
//! ember-wgpu) and the metadata ember and its Python binding need. Every consumer matches the
//! whole row, so a new column is a compile error wherever a consumer forgot it.
//!
//! The formulas are closures whose binders come from the row; the names they call resolve
//! where the consumer expands them (ember-cpu's `unary`/`binary` modules): `F` is the float
//! type (`ember_cpu::unary::Flt`: f32/f64; float16/bfloat16 run through f32), `T` the integer
//! type (`ember_cpu::unary::IntOps` / `ember_cpu::arith::Arith`), and the helpers
//! (`fexp`, `softplus`, `round_half_even`, …) live in those modules.

/// Unary ops. Columns:
/// - variant of `UOp` (ember-cpu) and of `ember_wgpu::UnaryOp`;
/// - ATen name (dispatch records, errors); grad_fn name;
/// - `x:` / `y:` whether the backward reads the input / the output;
/// - `int:` what an integer (or bool) input does: `same` (the value is its own result: one
///   shared copy loop), `keep(|x, lo, hi| …)` (keeps the dtype, with this formula; `lo`/`hi`
///   are the clamp bounds as `T`), `like(Op)` (keeps the dtype with `Op`'s integer kernel),
///   `float` (promoted to the default float dtype first), `refuse` (raises "not implemented
///   for '<dtype>'", as PyTorch's `frac` does);
/// - `f:` the float formula `|x, p| …` (`p` = the op's three parameters as `F`);
/// - `wgsl:` the WGSL expression of `x` per input dtype (empty: no WGSL kernel; the wgpu backend
///   composes the op from other kernels or raises PyTorch's backend error);
/// - `py:` the Python Tensor method and its in-place form, then aliases; `torch:` whether those
///   names are also `torch.*` functions.
///
/// The backward formula is the op's arm in `ember::ops::unary::grad_of`.
#[macro_export]
macro_rules! unary_ops {
    ($m:ident) => {
        $m! {
            Neg => "neg", "NegBackward0", x: false, y: false, int: keep(|x, _lo, _hi| x.neg_w()), f: |x, _p| -x, wgsl: {F32: "-x", I32: "-x", U8: "((0u - x) & 255u)"}, py: [neg neg_, negative negative_], torch: true;
            Abs => "abs", "AbsBackward0", x: true, y: false, int: keep(|x, _lo, _hi| x.abs_w()), f: |x, _p| x.abs(), wgsl: {F32: "abs(x)", I32: "abs(x)", U8: "x", Bool: "x"}, py: [abs abs_, absolute absolute_], torch: true;
            Sign => "sign", "SignBackward0", x: false, y: false, int: keep(|x, _lo, _hi| sign_i(x)), f: |x, _p| sign_f(x), wgsl: {F32: "select(sign(x), x, isnan_(x))", I32: "sign(x)", U8: "min(x, 1u)", Bool: "x"}, py: [sign sign_, sgn sgn_], torch: true;
            Square => "square", "PowBackward0", x: true, y: false, int: keep(|x, _lo, _hi| x.mul_w(x)), f: |x, _p| x * x, wgsl: {F32: "x * x", I32: "x * x", U8: "((x * x) & 255u)", Bool: "x"}, py: [square square_], torch: true;
            Relu => "relu", "ReluBackward0", x: false, y: true, int: keep(|x, _lo, _hi| x.max(T::default())), f: |x, _p| relu_f(x), wgsl: {F32: "select(x, 0.0, x < 0.0)", I32: "max(x, 0)", U8: "x", Bool: "x"}, py: [relu relu_], torch: true;
            Relu6 => "relu6", "HardtanhBackward0", x: true, y: false, int: keep(|x, _lo, _hi| x.max(T::default()).min(T::from_i64(6))), f: |x, _p| clamp_f(x, F::zero(), F::k(6.0)), wgsl: {}, py: [relu6 relu6_], torch: false;
            Hardtanh => "hardtanh", "HardtanhBackward0", x: true, y: false, int: like(Clamp), f: |x, p| clamp_f(x, p.0, p.1), wgsl: {}, py: [], torch: false;
            Clamp => "clamp", "ClampBackward1", x: true, y: false, int: keep(|x, lo, hi| x.max(lo).min(hi)), f: |x, p| clamp_f(x, p.0, p.1), wgsl: {}, py: [], torch: false;
            Floor => "floor", "FloorBackward0", x: false, y: false, int: same, f: |x, _p| x.floor(), wgsl: {F32: "floor(x)", I32: "x", U8: "x", Bool: "x"}, py: [floor floor_], torch: true;
            Ceil => "ceil", "CeilBackward0", x: false, y: false, int: same, f: |x, _p| x.ceil(), wgsl: {F32: "ceil(x)", I32: "x", U8: "x", Bool: "x"}, py: [ceil ceil_], torch: true;
            Round => "round", "RoundBackward0", x: false, y: false, int: same, f: |x, _p| round_half_even(x), wgsl: {F32: "round(x)", I32: "x", U8: "x", Bool: "x"}, py: [], torch: false;
            Trunc => "trunc", "TruncBackward0", x: false, y: false, int: same, f: |x, _p| x.trunc(), wgsl: {}, py: [trunc trunc_, fix fix_], torch: true;
            Frac => "frac", "FracBackward0", x: false, y: false, int: refuse, f: |x, _p| x - x.trunc(), wgsl: {}, py: [frac frac_], torch: true;
            RoundDecimals => "round", "RoundBackward1", x: false, y: false, int: float, f: |x, p| round_decimals(x, p.0, p.1), wgsl: {}, py: [], torch: false;
            Exp => "exp", "ExpBackward0", x: false, y: true, int: float, f: |x, _p| x.fexp(), wgsl: {F32: "exp(x)"}, py: [exp exp_], torch: true;
            Exp2 => "exp2", "Exp2Backward0", x: false, y: true, int: float, f: |x, _p| x.exp2(), wgsl: {}, py: [exp2 exp2_], torch: true;
            Expm1 => "expm1", "Expm1Backward0", x: false, y: true, int: float, f: |x, _p| x.exp_m1(), wgsl: {F32: "expm1_(x)"}, py: [expm1 expm1_], torch: true;
            Log => "log", "LogBackward0", x: true, y: false, int: float, f: |x, _p| x.ln(), wgsl: {F32: "log(x)"}, py: [log log_], torch: true;
            Log2 => "log2", "Log2Backward0", x: true, y: false, int: float, f: |x, _p| x.log2(), wgsl: {}, py: [log2 log2_], torch: true;
            Log10 => "log10", "Log10Backward0", x: true, y: false, int: float, f: |x, _p| x.log10(), wgsl: {}, py: [log10 log10_], torch: true;
            Log1p => "log1p", "Log1pBackward0", x: true, y: false, int: float, f: |x, _p| x.ln_1p(), wgsl: {F32: "log1p_(x)"}, py: [log1p log1p_], torch: true;
            Sqrt => "sqrt", "SqrtBackward0", x: false, y: true, int: float, f: |x, _p| x.sqrt(), wgsl: {F32: "sqrt(x)"}, py: [sqrt sqrt_], torch: true;
            Rsqrt => "rsqrt", "RsqrtBackward0", x: false, y: true, int: float, f: |x, _p| F::one() / x.sqrt(), wgsl: {F32: "inverseSqrt(x)"}, py: [rsqrt rsqrt_], torch: true;
            Reciprocal => "reciprocal", "ReciprocalBackward0", x: false, y: true, int: float, f: |x, _p| F::one() / x, wgsl: {F32: "1.0 / x"}, py: [reciprocal reciprocal_], torch: true;
            Sin => "sin", "SinBackward0", x: true, y: false, int: float, f: |x, _p| x.sin(), wgsl: {F32: "sin(x)"}, py: [sin sin_], torch: true;
            Cos => "cos", "CosBackward0", x: true, y: false, int: float, f: |x, _p| x.cos(), wgsl: {F32: "cos(x)"}, py: [cos cos_], torch: true;
            Tan => "tan", "TanBackward0", x: false, y: true, int: float, f: |x, _p| x.tan(), wgsl: {}, py: [tan tan_], torch: true;
            Asin => "asin", "AsinBackward0", x: true, y: false, int: float, f: |x, _p| x.asin(), wgsl: {}, py: [asin asin_, arcsin arcsin_], torch: true;
            Acos => "acos", "AcosBackward0", x: true, y: false, int: float, f: |x, _p| x.acos(), wgsl: {}, py: [acos acos_, arccos arccos_], torch: true;
            Atan => "atan", "AtanBackward0", x: true, y: false, int: float, f: |x, _p| x.atan(), wgsl: {}, py: [atan atan_, arctan arctan_], torch: true;
            Sinh => "sinh", "SinhBackward0", x: true, y: false, int: float, f: |x, _p| x.sinh(), wgsl: {}, py: [sinh sinh_], torch: true;
            Cosh => "cosh", "CoshBackward0", x: true, y: false, int: float, f: |x, _p| x.cosh(), wgsl: {}, py: [cosh cosh_], torch: true;
            Tanh => "tanh", "TanhBackward0", x: false, y: true, int: float, f: |x, _p| x.tanh(), wgsl: {F32: "tanh_(x)"}, py: [tanh tanh_], torch: true;
            Asinh => "asinh", "AsinhBackward0", x: true, y: false, int: float, f: |x, _p| x.asinh(), wgsl: {}, py: [asinh asinh_, arcsinh arcsinh_], torch: true;
            Acosh => "acosh", "AcoshBackward0", x: true, y: false, int: float, f: |x, _p| acosh_f(x), wgsl: {}, py: [acosh acosh_, arccosh arccosh_], torch: true;
            Atanh => "atanh", "AtanhBackward0", x: true, y: false, int: float, f: |x, _p| atanh_f(x), wgsl: {}, py: [atanh atanh_, arctanh arctanh_], torch: true;
            Sigmoid => "sigmoid", "SigmoidBackward0", x: false, y: true, int: float, f: |x, _p| F::one() / (F::one() + (-x).fexp()), wgsl: {F32: "sigmoid_(x)"}, py: [sigmoid sigmoid_], torch: true;
            LogSigmoid => "log_sigmoid", "LogSigmoidBackward0", x: true, y: false, int: float, f: |x, _p| x.min(F::zero()) - (-x.abs()).fexp().ln_1p(), wgsl: {}, py: [], torch: false;
            Logit => "logit", "LogitBackward0", x: true, y: false, int: float, f: |x, p| logit_f(x, p.0), wgsl: {}, py: [], torch: false;
            Erf => "erf", "ErfBackward0", x: true, y: false, int: float, f: |x, _p| Flt::erf(x), wgsl: {}, py: [erf erf_], torch: true;
            Erfc => "erfc", "ErfcBackward0", x: true, y: false, int: float, f: |x, _p| Flt::erfc(x), wgsl: {}, py: [erfc erfc_], torch: true;
            Erfinv => "erfinv", "ErfinvBackward0", x: false, y: true, int: float, f: |x, _p| F::k(erfinv_f64(<F as Element>::to_f64(x))), wgsl: {}, py: [erfinv erfinv_], torch: true;
            Gelu => "gelu", "GeluBackward0", x: true, y: false, int: float, f: |x, _p| x * F::k(0.5) * (F::one() + Flt::erf(x * F::k(std::f64::consts::FRAC_1_SQRT_2))), wgsl: {F32: "0.5 * x * (1.0 + erf_(x * RSQRT2))"}, py: [], torch: false;
            GeluTanh => "gelu", "GeluBackward0", x: true, y: false, int: float, f: |x, _p| gelu_tanh_f(x), wgsl: {F32: "0.5 * x * (1.0 + tanh_(SQRT2OPI * (x + 0.044715 * x * x * x)))"}, py: [], torch: false;
            Silu => "silu", "SiluBackward0", x: true, y: false, int: float, f: |x, _p| x / (F::one() + (-x).fexp()), wgsl: {F32: "x / (1.0 + exp(-x))"}, py: [silu silu_], torch: false;
            Mish => "mish", "MishBackward0", x: true, y: false, int: float, f: |x, _p| x * softplus(x, F::one(), F::k(20.0)).tanh(), wgsl: {}, py: [mish mish_], torch: false;
            Softplus => "softplus", "SoftplusBackward0", x: true, y: false, int: float, f: |x, p| softplus(x, p.0, p.1), wgsl: {}, py: [], torch: false;
            // p = (alpha, scale, input_scale): elu, selu and celu are all this formula
            Elu => "elu", "EluBackward0", x: true, y: false, int: float, f: |x, p| if x > F::zero() { p.1 * x } else { p.1 * p.0 * (x * p.2).exp_m1() }, wgsl: {}, py: [], torch: false;
            LeakyRelu => "leaky_relu", "LeakyReluBackward0", x: true, y: false, int: float, f: |x, p| if x > F::zero() { x } else { x * p.0 }, wgsl: {}, py: [], torch: false;
            Hardsigmoid => "hardsigmoid", "HardsigmoidBackward0", x: true, y: false, int: float, f: |x, _p| (x / F::k(6.0) + F::k(0.5)).max(F::zero()).min(F::one()), wgsl: {}, py: [hardsigmoid hardsigmoid_], torch: false;
            Hardswish => "hardswish", "HardswishBackward0", x: true, y: false, int: float, f: |x, _p| x * (x + F::k(3.0)).max(F::zero()).min(F::k(6.0)) / F::k(6.0), wgsl: {}, py: [hardswish hardswish_], torch: false;
            NanToNum => "nan_to_num", "NanToNumBackward0", x: true, y: false, int: float, f: |x, p| nan_to_num_f(x, p), wgsl: {}, py: [], torch: false;
            Deg2rad => "deg2rad", "Deg2RadBackward0", x: false, y: false, int: float, f: |x, _p| x * F::k(std::f64::consts::PI / 180.0), wgsl: {F32: "x * 0.017453292519943295"}, py: [deg2rad deg2rad_], torch: true;
            Rad2deg => "rad2deg", "Rad2DegBackward0", x: false, y: false, int: float, f: |x, _p| x * F::k(180.0 / std::f64::consts::PI), wgsl: {F32: "x * 57.29577951308232"}, py: [rad2deg rad2deg_], torch: true;
        }
    };
}

/// Binary ops. Columns:
/// - variant of `BinaryOp` (ember-cpu) and of `ember_wgpu::BinaryOp`;
/// - ATen name; grad_fn name when both operands are tensors (pow's scalar forms are named in
///   `ember::ops::binary`);
/// - `x:` / `y:` whether the backward reads the operands / the output;
/// - `int:` what integer (and bool) operands do: `keep` (computed in their dtype with the
///   `exact` formula), `float` (promoted to the default float dtype first), `refuse` (raise
///   "not implemented for '<dtype>'", as PyTorch's `logaddexp` does);
/// - `exact:` the formula for integer, bool and complex operands, over `ember_cpu::arith::Arith`
///   (empty: the op has none); `complex:` whether complex operands run it;
/// - `f:` the float formula `|x, y| …`;
/// - `wgsl:` the WGSL expression of `a`, `b` (and `p`: add/sub's alpha) per compute dtype;
/// - `py:` Python (method, in-place method) names (add/sub/mul/div have hand-written methods:
///   they take `alpha` / `rounding_mode`); `torch:` whether they are also `torch.*` functions.
///
/// The backward formula is the op's arm in `ember::ops::binary::grads_of`.
#[macro_export]
macro_rules! binary_ops {
    ($m:ident) => {
        $m! {
            Add => "add", "AddBackward0", x: false, y: false, int: keep, exact: [|x, y| x.add(y)], complex: true, f: |x, y| x + y, wgsl: {F32: "a + b * p", I32: "a + b * p", U8: "((a + b * p) & 255u)", Bool: "(a | b)"}, py: [], torch: false;
            Sub => "sub", "SubBackward0", x: false, y: false, int: keep, exact: [|x, y| x.sub(y)], complex: true, f: |x, y| x - y, wgsl: {F32: "a - b * p", I32: "a - b * p", U8: "((a - b * p) & 255u)"}, py: [], torch: false;
            Mul => "mul", "MulBackward0", x: true, y: false, int: keep, exact: [|x, y| x.mul(y)], complex: true, f: |x, y| x * y, wgsl: {F32: "a * b", I32: "a * b", U8: "((a * b) & 255u)", Bool: "(a & b)"}, py: [multiply multiply_], torch: false;
            Div => "div", "DivBackward0", x: true, y: false, int: float, exact: [|x, y| x.div(y)], complex: true, f: |x, y| x / y, wgsl: {F32: "a / b"}, py: [true_divide true_divide_], torch: true;
            // div(rounding_mode="trunc")
            DivTrunc => "div", "DivBackward1", x: false, y: false, int: keep, exact: [|x, y| x.div(y)], complex: false, f: |x, y| (x / y).trunc(), wgsl: {F32: "trunc(a / b)"}, py: [], torch: false;
            // floor_divide, `//`, div(rounding_mode="floor")
            DivFloor => "floor_divide", "DivBackward1", x: false, y: false, int: keep, exact: [|x, y| x.floor_div(y)], complex: false, f: |x, y| Arith::floor_div(x, y), wgsl: {F32: "floor(a / b)"}, py: [floor_divide floor_divide_], torch: true;
            // remainder, `%`: takes the divisor's sign
            Rem => "remainder", "RemainderBackward0", x: true, y: false, int: keep, exact: [|x, y| x.rem(y)], complex: false, f: |x, y| Arith::rem(x, y), wgsl: {F32: "a - b * floor(a / b)", I32: "irem_(a, b)"}, py: [remainder remainder_], torch: true;
            Fmod => "fmod", "FmodBackward0", x: true, y: false, int: keep, exact: [|x, y| x.fmod(y)], complex: false, f: |x, y| Arith::fmod(x, y), wgsl: {F32: "a - b * trunc(a / b)", I32: "select(a % b, 0, b == 0)"}, py: [fmod fmod_], torch: true;
            Pow => "pow", "PowBackward1", x: true, y: true, int: keep, exact: [|x, y| x.power(y)], complex: true, f: |x, y| Arith::power(x, y), wgsl: {F32: "fpow_(a, b)", I32: "ipow_(a, b)"}, py: [pow pow_], torch: false;
            Atan2 => "atan2", "Atan2Backward0", x: true, y: false, int: float, exact: [], complex: false, f: |x, y| x.atan2(y), wgsl: {F32: "atan2_(a, b)"}, py: [atan2 atan2_, arctan2 arctan2_], torch: true;
            Maximum => "maximum", "MaximumBackward0", x: true, y: false, int: keep, exact: [|x, y| x.max_nan(y)], complex: false, f: |x, y| Arith::max_nan(x, y), wgsl: {F32: "fmax_(a, b)", I32: "max(a, b)", U8: "max(a, b)", Bool: "max(a, b)"}, py: [maximum maximum_], torch: true;
            Minimum => "minimum", "MinimumBackward0", x: true, y: false, int: keep, exact: [|x, y| x.min_nan(y)], complex: false, f: |x, y| Arith::min_nan(x, y), wgsl: {F32: "fmin_(a, b)", I32: "min(a, b)", U8: "min(a, b)", Bool: "min(a, b)"}, py: [minimum minimum_], torch: true;
            Fmax => "fmax", "FmaxBackward0", x: true, y: false, int: keep, exact: [|x, y| x.fmax(y)], complex: false, f: |x, y| Arith::fmax(x, y), wgsl: {F32: "fmaxnum_(a, b)", I32: "max(a, b)", U8: "max(a, b)", Bool: "max(a, b)"}, py: [fmax fmax_], torch: true;
            Fmin => "fmin", "FminBackward0", x: true, y: false, int: keep, exact: [|x, y| x.fmin(y)], complex: false, f: |x, y| Arith::fmin(x, y), wgsl: {F32: "fminnum_(a, b)", I32: "min(a, b)", U8: "min(a, b)", Bool: "min(a, b)"}, py: [fmin fmin_], torch: true;
            Hypot => "hypot", "HypotBackward0", x: true, y: true, int: float, exact: [], complex: false, f: |x, y| x.hypot(y), wgsl: {F32: "select(length(vec2<f32>(a, b)), nan_(), (isnan_(a) || isnan_(b)) && abs(a) != bitcast<f32>(0x7f800000u) && abs(b) != bitcast<f32>(0x7f800000u))"}, py: [hypot hypot_], torch: true;
            Copysign => "copysign", "CopysignBackward0", x: true, y: false, int: float, exact: [], complex: false, f: |x, y| x.copysign(y), wgsl: {F32: "select(abs(a), -abs(a), (bitcast<u32>(b) >> 31u) == 1u)"}, py: [copysign copysign_], torch: true;
            Xlogy => "xlogy", "XlogyBackward0", x: true, y: false, int: float, exact: [], complex: false, f: |x, y| xlogy_f(x, y), wgsl: {F32: "select(a * log(b), 0.0, a == 0.0 && !isnan_(b))"}, py: [xlogy xlogy_], torch: true;
            Logaddexp => "logaddexp", "LogaddexpBackward0", x: true, y: true, int: refuse, exact: [], complex: false, f: |x, y| logaddexp_f(x, y), wgsl: {F32: "select(select(max(a, b) + log1p_(exp(-abs(a - b))), a, a == b && abs(a) == bitcast<f32>(0x7f800000u)), nan_(), isnan_(a) || isnan_(b))"}, py: [logaddexp logaddexp_], torch: true;
            Logaddexp2 => "logaddexp2", "Logaddexp2Backward0", x: true, y: true, int: refuse, exact: [], complex: false, f: |x, y| logaddexp2_f(x, y), wgsl: {F32: "select(select(max(a, b) + log1p_(exp2(-abs(a - b))) * 1.4426950408889634, a, a == b && abs(a) == bitcast<f32>(0x7f800000u)), nan_(), isnan_(a) || isnan_(b))"}, py: [logaddexp2 logaddexp2_], torch: true;
        }
    };
}
