//! Strided elementwise kernels: copy (with dtype conversion), fill, unary, binary, where.
//!
//! Inputs arrive broadcast to the output's shape (stride-0 dims). A Python scalar operand
//! is an `Operand::Scalar`: it travels in the info record's parameters (converted to the
//! op's compute dtype), so scalar ops need no upload and no host round trip.
use crate::context::context;
use crate::dtype::{accessors, check, compute_ty, convert, scalar_param, scalar_words, tag, CONVERT_FNS};
use crate::plan::{bindings, coalesce, run_chunks, rw_flags, rw_tag, same_shape, split, GView, Op, GID, OFFSETS, PARAM, WG};
use ember_core::{DType, Error, Result};

/// An input of an elementwise kernel: a view (already broadcast to the output's shape) or
/// a scalar.
#[derive(Clone, Copy, Debug)]
pub enum Operand<'a> {
    View(GView<'a>),
    Scalar(f64),
}

/// Info word of the first free parameter after the scalar slots of three inputs.
const P_EXTRA: usize = PARAM + 8;

/// WGSL math helpers the float ops use (erf has |error| < 1.5e-7, Abramowitz–Stegun 7.1.26).
const MATH: &str = r#"
fn erf_(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.3275911 * abs(x));
    let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
    return select(y, -y, x < 0.0);
}
fn tanh_(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }
fn sigmoid_(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn log1p_(x: f32) -> f32 {
    let u = 1.0 + x;
    if (u == 1.0) { return x; }
    if (abs(x) > 0.5) { return log(u); }
    return log(u) * x / (u - 1.0);
}
fn expm1_(x: f32) -> f32 {
    if (abs(x) > 0.5) { return exp(x) - 1.0; }
    let u = exp(x);
    if (u == 1.0) { return x; }
    return (u - 1.0) * x / log(u);
}
fn fmax_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return nan_(); } return max(a, b); }
fn fmin_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return nan_(); } return min(a, b); }
fn fmaxnum_(a: f32, b: f32) -> f32 { if (isnan_(a)) { return b; } if (isnan_(b)) { return a; } return max(a, b); }
fn fminnum_(a: f32, b: f32) -> f32 { if (isnan_(a)) { return b; } if (isnan_(b)) { return a; } return min(a, b); }
fn atan2_(a: f32, b: f32) -> f32 {
    if (isnan_(a) || isnan_(b)) { return nan_(); }
    // WGSL leaves atan2(0, 0) undefined (lavapipe gives 3π/4); C's rule: ±0 or ±π by signs.
    if (a == 0.0 && b == 0.0) {
        let pi = select(0.0, 3.14159265358979, (bitcast<u32>(b) >> 31u) == 1u);
        return select(pi, -pi, (bitcast<u32>(a) >> 31u) == 1u) + a;
    }
    return atan2(a, b);
}
fn irem_(a: i32, b: i32) -> i32 {
    if (b == 0) { return 0; }
    let r = a % b;
    return select(r, r + b, r != 0 && ((r < 0) != (b < 0)));
}
fn fpow_(a: f32, b: f32) -> f32 {
    if (isnan_(a) || isnan_(b)) { return select(nan_(), 1.0, b == 0.0); }
    if (b == 0.0) { return 1.0; }
    if (a == 0.0) { return select(0.0, bitcast<f32>(0x7f800000u), b < 0.0); }
    if (a < 0.0) {
        if (b != floor(b)) { return nan_(); }
        let m = pow(-a, b);
        return select(m, -m, floor(b * 0.5) * 2.0 != b);
    }
    return pow(a, b);
}
fn ipow_(a: i32, b: i32) -> i32 {
    if (b < 0) { return select(0, 1, a == 1) + select(0, select(-1, 1, (b & 1) == 0), a == -1); }
    var r = 1; var base = a; var e = b;
    while (e > 0) { if ((e & 1) == 1) { r = r * base; } base = base * base; e = e >> 1u; }
    return r;
}
fn lt64_(a: vec2<u32>, b: vec2<u32>) -> bool {
    return bitcast<i32>(a.y) < bitcast<i32>(b.y) || (a.y == b.y && a.x < b.x);
}
const RSQRT2: f32 = 0.70710678118654752;
const RSQRT2PI: f32 = 0.3989422804014327;
const SQRT2OPI: f32 = 0.7978845608028654;
"#;

/// The unary ops of the table (`ember_core::unary_ops!`, same variants as ember's `UOp`) and
/// `LogicalNot`; a row's `wgsl:` column is its expression per input dtype.
macro_rules! wgpu_unary {
    ($($v:ident => $aten:literal, $grad:literal, x: $sx:literal, y: $sy:literal, int: $ik:ident $(($($ia:tt)*))?,
       f: $f:expr, wgsl: {$($wd:ident: $we:literal),*}, py: [$($py:ident $py_:ident),*], torch: $torch:literal;)*) => {
        /// Unary ops. `ThresholdBackward` etc. live in `BinaryOp`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum UnaryOp {
            $($v,)*
            LogicalNot,
        }

        impl UnaryOp {
            /// A name unique per op (the kernel's name in traces and its cache key).
            pub fn name(self) -> String {
                match self {
                    $(UnaryOp::$v => snake_case(stringify!($v)),)*
                    UnaryOp::LogicalNot => "logical_not".into(),
                }
            }

            /// Whether the op has a WGSL expression for some dtype.
            pub fn has_kernel(self) -> bool {
                match self {
                    $(UnaryOp::$v => {
                        let dts: &[DType] = &[$(DType::$wd),*];
                        !dts.is_empty()
                    })*
                    UnaryOp::LogicalNot => true,
                }
            }

            /// The table's WGSL expression of `x` for input dtype `dt`.
            fn table_expr(self, dt: DType) -> Option<&'static str> {
                #[allow(unreachable_patterns)]
                match (self, dt) {
                    $($((UnaryOp::$v, DType::$wd) => Some($we),)*)*
                    _ => None,
                }
            }
        }
    };
}

ember_core::unary_ops!(wgpu_unary);

/// `GeluTanh` → `gelu_tanh`: a table variant's kernel name.
fn snake_case(camel: &str) -> String {
    let mut s = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                s.push('_');
            }
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

impl UnaryOp {
    /// (WGSL expression of `x`, result dtype) for input dtype `dt`, or None if unsupported.
    fn expr(self, dt: DType) -> Option<(&'static str, DType)> {
        if self == UnaryOp::LogicalNot {
            return Some(match dt {
                DType::F32 => ("u32(x == 0.0)", DType::Bool),
                DType::I32 => ("u32(x == 0)", DType::Bool),
                DType::I64 => ("u32(all(x == vec2<u32>(0u)))", DType::Bool),
                _ => ("u32(x == 0u)", DType::Bool),
            });
        }
        self.table_expr(dt).map(|e| (e, dt))
    }
}

/// The binary ops of the table (`ember_core::binary_ops!`, same variants as ember's
/// `BinaryOp`), then the comparisons and the fused backward kernels, which aren't table rows.
macro_rules! wgpu_binary {
    ($($v:ident => $aten:literal, $grad:literal, x: $sx:literal, y: $sy:literal, int: $ik:ident,
       exact: [$($ex:expr)?], complex: $cx:tt, f: $f:expr, wgsl: {$($wd:ident: $we:literal),*},
       py: [$($py:ident $py_:ident),*], torch: $torch:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum BinaryOp {
            $($v,)*
            Eq,
            Ne,
            Lt,
            Le,
            Gt,
            Ge,
            LogicalAnd,
            LogicalOr,
            /// relu' etc.: `b <= alpha ? 0 : a` with a = grad, b = input, alpha = threshold.
            ThresholdBackward,
            /// `a * b * (1 - b)` with b = sigmoid output.
            SigmoidBackward,
            /// `a * (1 - b²)` with b = tanh output.
            TanhBackward,
            /// gelu'(b) · a, erf form.
            GeluBackward,
            /// gelu'(b) · a, tanh form.
            GeluTanhBackward,
            /// silu'(b) · a.
            SiluBackward,
        }

        impl BinaryOp {
            /// A name unique per op (the kernel's name in traces and its cache key).
            pub fn name(self) -> String {
                use BinaryOp::*;
                let n = match self {
                    $(BinaryOp::$v => return snake_case(stringify!($v)),)*
                    Eq => "eq",
                    Ne => "ne",
                    Lt => "lt",
                    Le => "le",
                    Gt => "gt",
                    Ge => "ge",
                    LogicalAnd => "logical_and",
                    LogicalOr => "logical_or",
                    ThresholdBackward => "threshold_backward",
                    SigmoidBackward => "sigmoid_backward",
                    TanhBackward => "tanh_backward",
                    GeluBackward => "gelu_backward",
                    GeluTanhBackward => "gelu_tanh_backward",
                    SiluBackward => "silu_backward",
                };
                n.into()
            }

            /// The table's WGSL expression of `a`, `b`, `p` for compute dtype `dt`.
            fn table_expr(self, dt: DType) -> Option<&'static str> {
                #[allow(unreachable_patterns)]
                match (self, dt) {
                    $($((BinaryOp::$v, DType::$wd) => Some($we),)*)*
                    _ => None,
                }
            }
        }
    };
}

ember_core::binary_ops!(wgpu_binary);

impl BinaryOp {
    /// (WGSL expression of `a`, `b`, `p` (alpha / threshold, compute dtype), result dtype).
    fn expr(self, dt: DType) -> Option<(String, DType)> {
        use BinaryOp::*;
        let cmp = |op: &str| -> String {
            if dt == DType::I64 {
                match op {
                    "==" => "u32(all(a == b))".into(),
                    "!=" => "u32(any(a != b))".into(),
                    "<" => "u32(lt64_(a, b))".into(),
                    ">" => "u32(lt64_(b, a))".into(),
                    "<=" => "u32(!lt64_(b, a))".into(),
                    _ => "u32(!lt64_(a, b))".into(),
                }
            } else if dt == DType::F32 {
                // Spelled out with isnan_: drivers may compile float compares as ordered
                // fast-math ops, which would make NaN != NaN false.
                match op {
                    "!=" => "u32(a != b || isnan_(a) || isnan_(b))".into(),
                    _ => format!("u32(a {op} b && !isnan_(a) && !isnan_(b))"),
                }
            } else {
                format!("u32(a {op} b)")
            }
        };
        let zero = match dt {
            DType::F32 => "0.0",
            DType::I32 => "0",
            DType::I64 => "vec2<u32>(0u)",
            _ => "0u",
        };
        let truth = |x: &str| match dt {
            DType::I64 => format!("any({x} != {zero})"),
            DType::F32 => format!("({x} != {zero} || isnan_({x}))"),
            _ => format!("({x} != {zero})"),
        };
        let b = DType::Bool;
        Some(match self {
            Eq => (cmp("=="), b),
            Ne => (cmp("!="), b),
            Lt => (cmp("<"), b),
            Le => (cmp("<="), b),
            Gt => (cmp(">"), b),
            Ge => (cmp(">="), b),
            LogicalAnd => (format!("u32({} && {})", truth("a"), truth("b")), b),
            LogicalOr => (format!("u32({} || {})", truth("a"), truth("b")), b),
            _ => {
                let e: &str = match (dt, self) {
                    (DType::F32, ThresholdBackward) => "select(a, 0.0, b <= p)",
                    (DType::F32, SigmoidBackward) => "a * (1.0 - b) * b",
                    (DType::F32, TanhBackward) => "a * (1.0 - b * b)",
                    (DType::F32, GeluBackward) => "a * (0.5 * (1.0 + erf_(b * RSQRT2)) + b * RSQRT2PI * exp(-0.5 * b * b))",
                    (DType::F32, GeluTanhBackward) => "a * gelu_tanh_grad_(b)",
                    (DType::F32, SiluBackward) => "a * sigmoid_(b) * (1.0 + b * (1.0 - sigmoid_(b)))",
                    _ => self.table_expr(dt)?,
                };
                (e.into(), dt)
            }
        })
    }
}

const GELU_TANH_GRAD: &str = r#"
fn gelu_tanh_grad_(x: f32) -> f32 {
    let inner = SQRT2OPI * (x + 0.044715 * x * x * x);
    let t = tanh_(inner);
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT2OPI * (1.0 + 3.0 * 0.044715 * x * x);
}
"#;

/// Plans and runs an elementwise kernel: `out = body(inputs)`. `body` receives the WGSL
/// names of the inputs (loaded values or scalar params) and returns the expression stored
/// (already of `out`'s compute type).
fn launch(
    name: &str,
    key_extra: &str,
    out: &GView,
    ins: &[(Operand, DType)],
    extra_params: &[u32],
    extra_fns: &str,
    body: impl FnOnce(&[String]) -> String,
) -> Result<()> {
    let ctx = context()?;
    let views: Vec<&GView> = ins.iter().filter_map(|(o, _)| if let Operand::View(v) = o { Some(v) } else { None }).collect();
    same_shape(name, &out.layout.sizes, &views)?;
    if out.layout.numel() == 0 {
        return Ok(());
    }
    let mut ops = vec![Op::of(out, true)?];
    for v in &views {
        ops.push(Op::of(v, false)?);
    }
    let mut params = vec![0u32; 8];
    let mut names = vec![];
    let mut key = format!("ew.{name}.{key_extra}.{}", tag(out.dtype));
    let mut vi = 1;
    for (j, (o, dt)) in ins.iter().enumerate() {
        match o {
            Operand::View(v) => {
                let comp = ["x", "y", "z", "w"][vi];
                names.push(format!("ld{vi}(o.{comp})"));
                key += &format!(".v{}", tag(v.dtype));
                vi += 1;
            }
            Operand::Scalar(s) => {
                params[2 * j..2 * j + 2].copy_from_slice(&scalar_words(*dt, *s));
                names.push(scalar_param(*dt, PARAM + 2 * j));
                key += &format!(".s{}", tag(*dt));
            }
        }
    }
    params.extend_from_slice(extra_params);
    let rank = ops[0].layout.ndim();
    coalesce(&mut ops, rank);
    let rw = rw_flags(&ops);
    key += &format!(".{}", rw_tag(&rw));
    let dts: Vec<DType> = ops.iter().map(|o| o.dtype).collect();
    let expr = body(&names);
    let kernel = ctx.kernel(&key, name, &rw, || {
        let mut s = bindings(&dts, &rw);
        for (k, &dt) in dts.iter().enumerate() {
            s += &accessors(k, dt, k == 0);
        }
        s += CONVERT_FNS;
        s += MATH;
        s += GELU_TANH_GRAD;
        s += OFFSETS;
        s += GID;
        s += extra_fns;
        s += &format!(
            "@compute @workgroup_size({WG})\nfn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) l: u32) {{\n    let i = gid(w, nw, l, {WG}u);\n    if (i >= info[0]) {{ return; }}\n    let o = offsets(i);\n    st0(o.x, {expr});\n}}\n"
        );
        s
    })?;
    let rank = ops[0].layout.ndim();
    let chunks = split(ctx, ops, rank)?;
    run_chunks(ctx, &kernel, &chunks, &params, 0, |c| (c.ops[0].layout.numel(), WG))
}

/// `dst = src` elementwise, converting dtypes; `dst` may be strided (in-place ops on views,
/// `cat` into slices) and `src` broadcast to `dst`'s shape.
pub fn copy(src: &GView, dst: &GView) -> Result<()> {
    check(src.dtype)?;
    let (sd, dd) = (src.dtype, dst.dtype);
    // Dense same-dtype copies between different buffers are plain buffer copies.
    if sd == dd
        && src.layout.sizes == dst.layout.sizes
        && src.layout.is_contiguous()
        && dst.layout.is_contiguous()
        && !std::ptr::eq(src.buf, dst.buf)
    {
        src.validate()?;
        dst.validate()?;
        let es = crate::dtype::gpu_elem_size(sd)? as u64;
        let n = src.layout.numel() as u64 * es;
        if n > 0 {
            let ctx = context()?;
            let (so, d) = (src.layout.offset as u64 * es, dst.layout.offset as u64 * es);
            ctx.encode(|e| e.copy_buffer_to_buffer(src.buf.raw(), so, dst.buf.raw(), d, Some(n)));
            crate::trace::note("wgpu/copy_buffer", [0, 0, 0]);
        }
        return Ok(());
    }
    launch(&format!("copy_{}_{}", tag(sd), tag(dd)), "", dst, &[(Operand::View(*src), sd)], &[], "", |n| convert(sd, dd, &n[0]))
}

/// Sets every element of `dst` to `value` (converted to `dst`'s dtype).
pub fn fill(dst: &GView, value: f64) -> Result<()> {
    let dt = dst.dtype;
    check(dt)?;
    // zeros over a dense range: a buffer clear (all-zero bits in every representation)
    if value == 0.0 && value.is_sign_positive() && dst.layout.is_contiguous() {
        dst.validate()?;
        let es = crate::dtype::gpu_elem_size(dt)? as u64;
        let n = dst.layout.numel() as u64 * es;
        if n > 0 {
            let off = dst.layout.offset as u64 * es;
            context()?.encode(|e| e.clear_buffer(dst.buf.raw(), off, Some(n)));
            crate::trace::note("wgpu/clear_buffer", [0, 0, 0]);
        }
        return Ok(());
    }
    launch(&format!("fill_{}", tag(dt)), "", dst, &[(Operand::Scalar(value), dt)], &[], "", |n| n[0].clone())
}

/// `dst = op(src)`; `dst`'s dtype may differ from the op's result dtype (converted on store).
pub fn unary(op: UnaryOp, src: &GView, dst: &GView) -> Result<()> {
    let dt = src.dtype;
    check(dt)?;
    let Some((e, rdt)) = op.expr(dt) else {
        return Err(Error::type_(format!("wgpu {} does not support {} inputs", op.name(), dt.name())));
    };
    let dd = dst.dtype;
    let f = format!("fn unary_(x: {}) -> {} {{ return {e}; }}\n", compute_ty(dt), compute_ty(rdt));
    launch(&format!("unary_{}_{}", op.name(), tag(dt)), "", dst, &[(Operand::View(*src), dt)], &[], &f, |n| {
        convert(rdt, dd, &format!("unary_({})", n[0]))
    })
}

/// `out = op(a, b)` with a and b of one dtype (the caller promotes), broadcast to `out`'s
/// shape; `alpha` is add/sub's multiplier of `b` and threshold_backward's threshold.
pub fn binary(op: BinaryOp, a: Operand, b: Operand, alpha: f64, out: &GView) -> Result<()> {
    let dt = match (&a, &b) {
        (Operand::View(x), Operand::View(y)) => {
            if x.dtype != y.dtype {
                return Err(Error::runtime(format!(
                    "wgpu {}: operands are {} and {}; promote them to one dtype first",
                    op.name(),
                    x.dtype.name(),
                    y.dtype.name()
                )));
            }
            x.dtype
        }
        (Operand::View(x), _) | (_, Operand::View(x)) => x.dtype,
        _ => return Err(Error::runtime(format!("wgpu {}: at least one operand must be a tensor", op.name()))),
    };
    check(dt)?;
    let Some((e, rdt)) = op.expr(dt) else {
        return Err(Error::type_(format!("wgpu {} does not support {} inputs", op.name(), dt.name())));
    };
    let dd = out.dtype;
    let p = scalar_words(dt, alpha);
    let (ct, rct, pe) = (compute_ty(dt), compute_ty(rdt), scalar_param(dt, P_EXTRA));
    let f = format!("fn binary_(a: {ct}, b: {ct}, p: {ct}) -> {rct} {{ return {e}; }}\n");
    launch(&format!("binary_{}_{}", op.name(), tag(dt)), "", out, &[(a, dt), (b, dt)], &p, &f, |n| {
        convert(rdt, dd, &format!("binary_({}, {}, {pe})", n[0], n[1]))
    })
}

/// `out = cond ? a : b` with `cond` bool/uint8 and a, b converted to `out`'s dtype
/// (masked_fill is `where_(mask, Scalar(value), View(x), out)`).
pub fn where_(cond: &GView, a: Operand, b: Operand, out: &GView) -> Result<()> {
    if !matches!(cond.dtype, DType::Bool | DType::U8) {
        return Err(Error::runtime(format!("wgpu where: condition must be bool or uint8, got {}", cond.dtype.name())));
    }
    let dd = out.dtype;
    check(dd)?;
    let dt_of = |o: &Operand| match o {
        Operand::View(v) => v.dtype,
        Operand::Scalar(_) => dd,
    };
    let (ad, bd) = (dt_of(&a), dt_of(&b));
    check(ad)?;
    check(bd)?;
    launch("where", &format!("{}{}", tag(ad), tag(bd)), out, &[(Operand::View(*cond), cond.dtype), (a, ad), (b, bd)], &[], "", |n| {
        format!("select({}, {}, {} != 0u)", convert(bd, dd, &n[2]), convert(ad, dd, &n[1]), n[0])
    })
}
