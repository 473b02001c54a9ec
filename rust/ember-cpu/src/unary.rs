//! Unary kernels, generated from the one table (`ember_core::unary_ops!`): the op enum, the
//! per-element formulas (`eval_f` for floats, `eval_i` for the ops that keep integer dtypes),
//! and a dispatcher that matches on the op *outside* the loop so each inner loop is a tight,
//! vectorisable one (one instance per op × dtype).
//!
//! f16/bf16 are computed in f32 and rounded once, as PyTorch does.
use crate::elementwise::{unary, unary_into};
use crate::{DType, Element, Error, Layout, Result, Storage};
use half::{bf16, f16};
use num_traits::{Float, One, Zero};

/// What an integer (or bool) input does; the table's `int:` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntRule {
    /// The value is its own result (floor, ceil, round, trunc of an integer).
    Same,
    /// Keeps the dtype, with the op's integer formula.
    Keep,
    /// Promoted to the default float dtype by the caller.
    Float,
    /// Not implemented for integers.
    Refuse,
}

#[doc(hidden)]
#[macro_export]
macro_rules! __int_rule {
    (same) => {
        $crate::unary::IntRule::Same
    };
    (keep $($f:tt)*) => {
        $crate::unary::IntRule::Keep
    };
    (like $($f:tt)*) => {
        $crate::unary::IntRule::Keep
    };
    (float) => {
        $crate::unary::IntRule::Float
    };
    (refuse) => {
        $crate::unary::IntRule::Refuse
    };
}

/// The integer kernel an op runs: its own (`keep`), another row's (`like(Op)`), or none.
macro_rules! int_kernel_of {
    ($v:ident, like ($o:ident)) => {
        UOp::$o
    };
    ($v:ident, $($rest:tt)*) => {
        UOp::$v
    };
}

/// `x`'s integer result for an op whose row says `keep(|x, lo, hi| …)`; other rows never run.
macro_rules! int_eval {
    (keep ($f:expr), $x:expr, $lo:expr, $hi:expr) => {
        call_i($f, $x, $lo, $hi)
    };
    ($($rest:tt)*) => {
        unreachable!("no integer kernel")
    };
}

/// One integer loop for an op whose row has its own formula.
macro_rules! int_loop {
    (keep ($f:expr), $T:ty, $run:ident) => {
        $run!($f)
    };
    ($($rest:tt)*) => {
        unreachable!("no integer kernel")
    };
}

macro_rules! unary_enum {
    ($($v:ident => $aten:literal, $grad:literal, x: $sx:literal, y: $sy:literal, int: $ik:ident $(($($ia:tt)*))?,
       f: $f:expr, wgsl: {$($wd:ident: $we:literal),*}, py: [$($py:ident $py_:ident),*], torch: $torch:literal;)*) => {
        /// The unary ops, one per row of `ember_core::unary_ops!`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum UOp {
            $($v,)*
        }

        impl UOp {
            /// What an integer input does.
            pub fn int_rule(self) -> IntRule {
                match self {
                    $(UOp::$v => $crate::__int_rule!($ik $(($($ia)*))?),)*
                }
            }
            /// Ops whose result keeps an integer input's dtype.
            pub fn keeps_int(self) -> bool {
                matches!(self.int_rule(), IntRule::Same | IntRule::Keep)
            }
            /// The op whose integer loop runs this one (itself unless its row says `like(Op)`).
            fn int_kernel(self) -> UOp {
                match self {
                    $(UOp::$v => int_kernel_of!($v, $ik $(($($ia)*))?),)*
                }
            }
        }

        /// The per-element formulas for floats (the forward half of the table; backward
        /// formulas live beside the op in `ember::ops::unary`).
        #[inline(always)]
        pub fn eval_f<F: Flt>(op: UOp, x: F, p: (F, F, F)) -> F {
            match op {
                $(UOp::$v => call_f::<F>($f, x, p),)*
            }
        }

        /// The integer formulas of the ops that keep integer dtypes (`lo`/`hi`: clamp bounds).
        #[inline(always)]
        pub fn eval_i<T: IntOps>(op: UOp, x: T, lo: T, hi: T) -> T {
            if op.int_rule() == IntRule::Same {
                return x;
            }
            match op.int_kernel() {
                $(UOp::$v => int_eval!($ik $(($($ia)*))?, x, lo, hi),)*
            }
        }

        /// `dst[ld] = op(src[ls])`; `dt` is both dtypes (callers convert first).
        pub fn unary_op_into(op: UOp, p: Params, dt: DType, dst: &Storage, ld: &Layout, src: &Storage, ls: &Layout) -> Result<()> {
            match dt {
                // `F` names the type the rows' formulas compute in.
                DType::F32 => {
                    type F = f32;
                    let pp = (p.a as f32, p.b as f32, p.c as f32);
                    match op {
                        $(UOp::$v => unary_into::<f32, f32>(dst, ld, src, ls, move |x| call_f::<f32>($f, x, pp)),)*
                    }
                }
                DType::F64 => {
                    type F = f64;
                    let pp = (p.a, p.b, p.c);
                    match op {
                        $(UOp::$v => unary_into::<f64, f64>(dst, ld, src, ls, move |x| call_f::<f64>($f, x, pp)),)*
                    }
                }
                DType::F16 => {
                    type F = f32;
                    let pp = (p.a as f32, p.b as f32, p.c as f32);
                    match op {
                        $(UOp::$v => unary_into::<f16, f16>(dst, ld, src, ls, move |x| f16::from_f32(call_f::<f32>($f, x.to_f32(), pp))),)*
                    }
                }
                DType::BF16 => {
                    type F = f32;
                    let pp = (p.a as f32, p.b as f32, p.c as f32);
                    match op {
                        $(UOp::$v => unary_into::<bf16, bf16>(dst, ld, src, ls, move |x| bf16::from_f32(call_f::<f32>($f, x.to_f32(), pp))),)*
                    }
                }
                DType::C64 | DType::C128 => return crate::complex::unary_op_into(op, dt, dst, ld, src, ls),
                DType::Bool => return Err(unsupported(op, dt, "integer and floating point dtypes")),
                _ if !op.keeps_int() => return Err(unsupported(op, dt, "floating point dtypes")),
                _ => with_int_dtype!(dt, T => {
                    let (lo, hi) = (int_bound::<T>(p.a, true), int_bound::<T>(p.b, false));
                    if op.int_rule() == IntRule::Same {
                        unary_into::<T, T>(dst, ld, src, ls, |x| x)
                    } else {
                        macro_rules! run {
                            ($g:expr) => {
                                unary_into::<T, T>(dst, ld, src, ls, move |x| call_i::<T>($g, x, lo, hi))
                            };
                        }
                        match op.int_kernel() {
                            $(UOp::$v => int_loop!($ik $(($($ia)*))?, T, run),)*
                        }
                    }
                }, unreachable!()),
            }
            Ok(())
        }
    };
}

ember_core::unary_ops!(unary_enum);

/// Applies a row's float formula (a closure whose argument types come from this bound).
#[inline(always)]
fn call_f<F: Flt>(f: impl Fn(F, (F, F, F)) -> F, x: F, p: (F, F, F)) -> F {
    f(x, p)
}

/// Applies a row's integer formula.
#[inline(always)]
fn call_i<T: IntOps>(f: impl Fn(T, T, T) -> T, x: T, lo: T, hi: T) -> T {
    f(x, lo, hi)
}

/// Op parameters (alpha, beta, threshold, bounds…), given as f64 and converted once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Params {
    pub a: f64,
    pub b: f64,
    pub c: f64,
}

/// Floats with the special functions the table needs.
pub trait Flt: Float + Element {
    fn erf(self) -> Self;
    fn erfc(self) -> Self;
    /// exp, through a vectorisable polynomial for f32.
    fn fexp(self) -> Self;
    fn k(v: f64) -> Self {
        <Self as Element>::from_f64(v)
    }
}
impl Flt for f32 {
    #[inline(always)]
    fn erf(self) -> Self {
        libm::erff(self)
    }
    #[inline(always)]
    fn erfc(self) -> Self {
        libm::erfcf(self)
    }
    #[inline(always)]
    fn fexp(self) -> Self {
        exp_f32(self)
    }
}
impl Flt for f64 {
    #[inline(always)]
    fn erf(self) -> Self {
        libm::erf(self)
    }
    #[inline(always)]
    fn erfc(self) -> Self {
        libm::erfc(self)
    }
    #[inline(always)]
    fn fexp(self) -> Self {
        self.exp()
    }
}

/// `e^x` for f32, branch-free so loops over it vectorise. Algorithm (Cephes `expf`):
/// x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, times 2^n built from the
/// exponent bits in two halves (so 2^n for n ∈ [-150, 128] neither overflows nor flushes
/// early). Max error about 1 ulp; ±inf and NaN come out as IEEE says.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const MAGIC: f32 = 12_582_912.0; // 1.5·2^23: adding it rounds to an integer
                                     // min/max rather than clamp, and an unchecked cast (n is within [-150, 128]): both keep
                                     // the loop vectorisable.
    let xc = x.max(-104.0).min(88.8);
    let n = (xc * LOG2E + MAGIC) - MAGIC;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let r2 = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r + 1.666_666_5e-1) * r + 5.000_000_1e-1;
    let e = p * r2 + r + 1.0;
    // SAFETY: x was clamped to [-104, 88.8], so n = round(x·log2 e) is finite and within [-151, 129], which i32
    // represents.
    let ni = unsafe { n.to_int_unchecked::<i32>() };
    let n1 = ni >> 1;
    let n2 = ni - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    let y = e * s1 * s2;
    if x != x {
        x
    } else {
        y
    }
}

/// Inverse error function: Giles' single-precision starting point refined by two Newton
/// steps on erf(y) = x, which brings it to double precision.
pub fn erfinv_f64(x: f64) -> f64 {
    if x.is_nan() || !(-1.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if x == 1.0 {
        return f64::INFINITY;
    }
    if x == -1.0 {
        return f64::NEG_INFINITY;
    }
    let w = -((1.0 - x) * (1.0 + x)).ln();
    let mut y = if w < 5.0 {
        let w = w - 2.5;
        let mut p = 2.810_226_36e-08;
        for c in [
            3.432_739_39e-07,
            -3.523_387_7e-06,
            -4.391_506_54e-06,
            0.000_218_580_87,
            -0.001_253_725_03,
            -0.004_177_681_64,
            0.246_640_727,
            1.501_409_41,
        ] {
            p = c + p * w;
        }
        p * x
    } else {
        let w = w.sqrt() - 3.0;
        let mut p = -0.000_200_214_257;
        for c in [
            0.000_100_950_558,
            0.001_349_343_22,
            -0.003_673_428_44,
            0.005_739_507_73,
            -0.007_622_461_3,
            0.009_438_870_47,
            1.001_674_06,
            2.832_976_82,
        ] {
            p = c + p * w;
        }
        p * x
    };
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    for _ in 0..2 {
        let err = libm::erf(y) - x;
        y -= err / (two_over_sqrt_pi * (-y * y).exp());
    }
    y
}

#[inline(always)]
fn sign_f<F: Flt>(x: F) -> F {
    if x > F::zero() {
        F::one()
    } else if x < F::zero() {
        -F::one()
    } else {
        x * F::zero() // keeps ±0 and NaN
    }
}

#[inline(always)]
fn relu_f<F: Flt>(x: F) -> F {
    if x > F::zero() || x != x {
        x
    } else {
        F::zero()
    }
}

/// PyTorch's clamp: NaN propagates, min applied first then max (a NaN bound wins).
#[inline(always)]
fn clamp_f<F: Flt>(x: F, lo: F, hi: F) -> F {
    if x != x {
        return x;
    }
    let y = if lo != lo || x < lo { lo } else { x };
    if hi != hi || y > hi {
        hi
    } else {
        y
    }
}

/// `m` = 10^|decimals|, `neg` > 0 when decimals < 0 (PyTorch then divides by the reciprocal).
#[inline(always)]
fn round_decimals<F: Flt>(x: F, m: F, neg: F) -> F {
    if neg > F::zero() {
        round_half_even(x / m) * m
    } else {
        round_half_even(x * m) / m
    }
}

/// std's ln(x + √(x²−1)) loses most digits near 1; log1p of t = x−1 keeps them.
#[inline(always)]
fn acosh_f<F: Flt>(x: F) -> F {
    let t = x - F::one();
    if x > F::k(1e18) {
        x.ln() + F::k(std::f64::consts::LN_2)
    } else {
        (t + t.sqrt() * (t + F::k(2.0)).sqrt()).ln_1p()
    }
}

/// std's form cancels for x near −1; odd symmetry keeps the log1p argument positive.
#[inline(always)]
fn atanh_f<F: Flt>(x: F) -> F {
    let a = x.abs();
    (F::k(0.5) * ((a + a) / (F::one() - a)).ln_1p()).copysign(x)
}

/// `eps` < 0 means "no eps".
#[inline(always)]
fn logit_f<F: Flt>(x: F, eps: F) -> F {
    let z = if eps >= F::zero() { x.max(eps).min(F::one() - eps) } else { x };
    (z / (F::one() - z)).ln()
}

#[inline(always)]
fn gelu_tanh_f<F: Flt>(x: F) -> F {
    let inner = F::k(0.797_884_560_802_865_4) * (x + F::k(0.044715) * x * x * x);
    F::k(0.5) * x * (F::one() + inner.tanh())
}

/// p = (nan, posinf, neginf) replacements.
#[inline(always)]
fn nan_to_num_f<F: Flt>(x: F, p: (F, F, F)) -> F {
    if x != x {
        p.0
    } else if x == F::infinity() {
        p.1
    } else if x == F::neg_infinity() {
        p.2
    } else {
        x
    }
}

#[inline(always)]
fn sign_i<T: IntOps>(x: T) -> T {
    let zero = T::default();
    T::from_i64((x > zero) as i64 - (x < zero) as i64)
}

#[inline(always)]
fn softplus<F: Flt>(x: F, beta: F, threshold: F) -> F {
    let bx = x * beta;
    if bx > threshold {
        x
    } else {
        bx.fexp().ln_1p() / beta
    }
}

#[inline(always)]
fn round_half_even<F: Flt>(x: F) -> F {
    let r = x.round();
    if (r - x).abs() == F::k(0.5) {
        F::k(2.0) * (x * F::k(0.5)).round()
    } else {
        r
    }
}

/// Integer arithmetic for the type-keeping ops.
pub trait IntOps: Element + Ord {
    fn neg_w(self) -> Self;
    fn abs_w(self) -> Self;
    fn mul_w(self, o: Self) -> Self;
}
macro_rules! int_ops {
    ($($t:ty),*) => {$(
        impl IntOps for $t {
            #[inline(always)] fn neg_w(self) -> Self { self.wrapping_neg() }
            #[inline(always)] #[allow(unused_comparisons)] fn abs_w(self) -> Self { if self < 0 { self.wrapping_neg() } else { self } }
            #[inline(always)] fn mul_w(self, o: Self) -> Self { self.wrapping_mul(o) }
        }
    )*};
}
int_ops!(u8, i8, i16, i32, i64, u16, u32, u64);

fn unsupported(op: UOp, dt: DType, supported: &str) -> Error {
    Error::DType { op: format!("{op:?}").to_lowercase(), dtype: dt, supported: supported.into() }
}

/// A clamp bound as an integer of `T`, saturated to `T`'s range; NaN (absent) doesn't clamp.
fn int_bound<T: Element>(v: f64, lower: bool) -> T {
    if T::DTYPE == DType::U64 {
        // the upper half of uint64 is beyond i64; from_f64 saturates there
        let c = if lower { v.ceil() } else { v.floor() };
        return T::from_f64(if v.is_nan() {
            if lower {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            c.max(0.0)
        });
    }
    let (min_v, max_v): (i64, i64) = match T::DTYPE {
        DType::U8 => (0, 255),
        DType::U16 => (0, u16::MAX as i64),
        DType::U32 => (0, u32::MAX as i64),
        DType::I8 => (-128, 127),
        DType::I16 => (-32768, 32767),
        DType::I32 => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    };
    if v.is_nan() {
        return T::from_i64(if lower { min_v } else { max_v });
    }
    let c = if lower { v.ceil() } else { v.floor() };
    T::from_i64(if c <= min_v as f64 {
        min_v
    } else if c >= max_v as f64 {
        max_v
    } else {
        c as i64
    })
}

/// A new contiguous storage holding `op(src)`.
pub fn unary_op(op: UOp, p: Params, dt: DType, src: &Storage, ls: &Layout) -> Result<Storage> {
    let out = Storage::uninit_n(ls.numel(), dt.size())?;
    unary_op_into(op, p, dt, &out, &Layout::contiguous(&ls.sizes), src, ls)?;
    Ok(out)
}

/// Float predicates with a bool result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pred {
    IsNan,
    IsInf,
    IsFinite,
    IsPosInf,
    IsNegInf,
    SignBit,
}

/// `pred(src)` as a new bool storage; integer inputs answer without looking at NaN.
pub fn predicate(pred: Pred, dt: DType, src: &Storage, ls: &Layout) -> Result<Storage> {
    macro_rules! run {
        ($T:ty, $conv:expr) => {
            match pred {
                Pred::IsNan => unary::<$T, bool>(src, ls, |x| {
                    let v: f32 = $conv(x);
                    v != v
                }),
                Pred::IsInf => unary::<$T, bool>(src, ls, |x| {
                    let v: f32 = $conv(x);
                    v.is_infinite()
                }),
                Pred::IsFinite => unary::<$T, bool>(src, ls, |x| {
                    let v: f32 = $conv(x);
                    v.is_finite()
                }),
                Pred::IsPosInf => unary::<$T, bool>(src, ls, |x| {
                    let v: f32 = $conv(x);
                    v == f32::INFINITY
                }),
                Pred::IsNegInf => unary::<$T, bool>(src, ls, |x| {
                    let v: f32 = $conv(x);
                    v == f32::NEG_INFINITY
                }),
                Pred::SignBit => unary::<$T, bool>(src, ls, |x| {
                    let v: f32 = $conv(x);
                    v.is_sign_negative()
                }),
            }
        };
    }
    match dt {
        DType::F64 => match pred {
            Pred::IsNan => unary::<f64, bool>(src, ls, |x| x.is_nan()),
            Pred::IsInf => unary::<f64, bool>(src, ls, |x| x.is_infinite()),
            Pred::IsFinite => unary::<f64, bool>(src, ls, |x| x.is_finite()),
            Pred::IsPosInf => unary::<f64, bool>(src, ls, |x| x == f64::INFINITY),
            Pred::IsNegInf => unary::<f64, bool>(src, ls, |x| x == f64::NEG_INFINITY),
            Pred::SignBit => unary::<f64, bool>(src, ls, |x| x.is_sign_negative()),
        },
        DType::F32 => run!(f32, |x: f32| x),
        DType::F16 => run!(f16, |x: f16| x.to_f32()),
        DType::BF16 => run!(bf16, |x: bf16| x.to_f32()),
        DType::C64 | DType::C128 => crate::complex::predicate(pred, dt, src, ls),
        _ => with_dtype!(dt, T => {
            // integers and bool: finite, never NaN/inf; signbit is "negative"
            let neg = pred == Pred::SignBit;
            let fin = pred == Pred::IsFinite;
            unary::<T, bool>(src, ls, move |x| if neg { x.to_i64() < 0 } else { fin })
        }),
    }
}
