//! Complex arithmetic and elementary functions for complex64/complex128 elements.
//! Branch cuts follow C99 Annex G (and so NumPy and PyTorch): `log`/`sqrt` cut along the
//! negative real axis, with the sign of a zero imaginary part choosing the side.
use crate::arith::Arith;
use crate::reduce::{Bounds, SumElem};
use ember_core::Complex;
use num_traits::Float;

/// The float operations the complex formulas need, for f32 and f64 parts.
pub trait Part: Float + Send + Sync + std::fmt::Debug + Default + 'static {}
impl Part for f32 {}
impl Part for f64 {}

#[inline(always)]
pub fn c<T>(re: T, im: T) -> Complex<T> {
    Complex::new(re, im)
}

#[inline(always)]
pub fn cadd<T: Part>(a: Complex<T>, b: Complex<T>) -> Complex<T> {
    c(a.re + b.re, a.im + b.im)
}
#[inline(always)]
pub fn csub<T: Part>(a: Complex<T>, b: Complex<T>) -> Complex<T> {
    c(a.re - b.re, a.im - b.im)
}
#[inline(always)]
pub fn cmul<T: Part>(a: Complex<T>, b: Complex<T>) -> Complex<T> {
    c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
}
/// Smith's algorithm: no overflow in |b|² for large denominators.
#[inline(always)]
pub fn cdiv<T: Part>(a: Complex<T>, b: Complex<T>) -> Complex<T> {
    if b.re.abs() >= b.im.abs() {
        if b.re == T::zero() && b.im == T::zero() {
            return c(a.re / b.re.abs(), a.im / b.re.abs());
        }
        let r = b.im / b.re;
        let d = b.re + b.im * r;
        c((a.re + a.im * r) / d, (a.im - a.re * r) / d)
    } else {
        let r = b.re / b.im;
        let d = b.re * r + b.im;
        c((a.re * r + a.im) / d, (a.im * r - a.re) / d)
    }
}
#[inline(always)]
pub fn conj<T: Part>(a: Complex<T>) -> Complex<T> {
    c(a.re, -a.im)
}
#[inline(always)]
pub fn abs<T: Part>(a: Complex<T>) -> T {
    a.re.hypot(a.im)
}
#[inline(always)]
pub fn arg<T: Part>(a: Complex<T>) -> T {
    a.im.atan2(a.re)
}
/// `a·b`, except that a zero `a` stays a zero (signed as the product) even when `b` is
/// infinite or NaN: C99 Annex G's exact zeros (sinh(0 + i∞) = 0 + iNaN, not NaN + iNaN).
#[inline(always)]
fn zmul<T: Part>(a: T, b: T) -> T {
    if a == T::zero() {
        if b.is_nan() {
            a
        } else {
            a * b.signum()
        }
    } else {
        a * b
    }
}
/// z + r for a real r: only the real part changes (adding (r, +0) would turn a −0 imaginary
/// part into +0 and move a point across a branch cut).
#[inline(always)]
fn addr<T: Part>(z: Complex<T>, r: T) -> Complex<T> {
    c(z.re + r, z.im)
}
pub fn exp<T: Part>(a: Complex<T>) -> Complex<T> {
    if a.im == T::zero() {
        return c(a.re.exp(), a.im); // keeps a signed zero imaginary part exact
    }
    if a.re.is_infinite() && !a.im.is_finite() {
        // e^{+∞ + i∞} = ±∞ + iNaN; e^{−∞ + i∞} = ±0 ± i0
        return if a.re > T::zero() { c(a.re, T::nan()) } else { c(T::zero(), T::zero()) };
    }
    let e = a.re.exp();
    let (s, co) = a.im.sin_cos();
    c(e * co, e * s)
}
/// ln|z| + i·arg z; near the unit circle ln|z| = ½·log1p((m − 1)(m + 1) + n²) with m, n the
/// larger and smaller magnitude, which keeps the digits ln(hypot) would cancel.
pub fn log<T: Part>(a: Complex<T>) -> Complex<T> {
    let (x, y) = (a.re.abs(), a.im.abs());
    let (m, n) = if x >= y { (x, y) } else { (y, x) };
    let half = T::from(0.5).unwrap();
    let re = if m > half && m < T::from(2.0).unwrap() && n < T::one() {
        half * ((m - T::one()) * (m + T::one()) + n * n).ln_1p()
    } else {
        abs(a).ln()
    };
    c(re, arg(a))
}
/// The principal root, by the cancellation-free formula of Kahan's "Branch cuts" paper.
pub fn sqrt<T: Part>(a: Complex<T>) -> Complex<T> {
    let zero = T::zero();
    if a.re == zero && a.im == zero {
        return c(zero, a.im);
    }
    if a.im.is_infinite() {
        return c(T::infinity(), a.im);
    }
    let half = T::from(0.5).unwrap();
    let t = ((a.re.abs() + abs(a)) * half).sqrt();
    if a.re >= zero {
        c(t, a.im / (t + t))
    } else {
        c(a.im.abs() / (t + t), t.copysign(a.im))
    }
}
/// sin z = −i·sinh(iz), so the special values follow sinh's.
pub fn sin<T: Part>(a: Complex<T>) -> Complex<T> {
    let r = sinh(c(-a.im, a.re));
    c(r.im, -r.re)
}
/// cos z = cosh(iz).
pub fn cos<T: Part>(a: Complex<T>) -> Complex<T> {
    cosh(c(-a.im, a.re))
}
pub fn sinh<T: Part>(a: Complex<T>) -> Complex<T> {
    if a.im == T::zero() {
        return c(a.re.sinh(), a.im);
    }
    if a.re == T::zero() {
        return c(zmul(a.re, a.im.cos()), a.im.sin()); // sinh(±0 + iy) = ±0·cos y + i sin y
    }
    if a.re.is_infinite() && !a.im.is_finite() {
        return c(a.re, T::nan());
    }
    let (s, co) = a.im.sin_cos();
    c(a.re.sinh() * co, a.re.cosh() * s)
}
pub fn cosh<T: Part>(a: Complex<T>) -> Complex<T> {
    if a.im == T::zero() {
        return c(a.re.cosh(), zmul(a.im, a.re));
    }
    if a.re == T::zero() {
        return c(a.im.cos(), zmul(a.re, a.im.sin()));
    }
    if a.re.is_infinite() && !a.im.is_finite() {
        return c(T::infinity(), T::nan());
    }
    let (s, co) = a.im.sin_cos();
    c(a.re.cosh() * co, a.re.sinh() * s)
}
/// tanh(x+iy) = (sinh 2x + i sin 2y) / (cosh 2x + cos 2y); for |x| > 20, where cosh 2x would
/// overflow, ±1 + i·2·sin 2y·e^{−2|x|} (the imaginary part's leading term, not 0).
pub fn tanh<T: Part>(a: Complex<T>) -> Complex<T> {
    let two = T::from(2.0).unwrap();
    if a.im == T::zero() {
        return c(a.re.tanh(), a.im);
    }
    if a.re == T::zero() {
        return c(a.re, a.im.tan());
    }
    if a.re.is_finite() && !a.im.is_finite() {
        return c(T::nan(), T::nan()); // tanh(x + i∞) for finite x: NaN + iNaN (C99)
    }
    if a.re.abs() > T::from(20.0).unwrap() {
        let im = if a.im.is_finite() { two * (two * a.im).sin() * (-two * a.re.abs()).exp() } else { T::zero().copysign(a.im) };
        return c(T::one().copysign(a.re), im);
    }
    let d = (two * a.re).cosh() + (two * a.im).cos();
    c((two * a.re).sinh() / d, (two * a.im).sin() / d)
}
/// tan z = −i tanh(iz).
pub fn tan<T: Part>(a: Complex<T>) -> Complex<T> {
    let t = tanh(c(-a.im, a.re));
    c(t.im, -t.re)
}
/// log(1 + w) without the cancellation of forming 1 + w for small w: the real part is
/// ½·log1p(2x + x² + y²). Away from 0 (|w| > ½), 1 + x is exact enough and log(1 + w) is used
/// as is (near w = −1 the ½·log1p form would cancel instead).
pub fn log1p<T: Part>(w: Complex<T>) -> Complex<T> {
    let half = T::from(0.5).unwrap();
    if !(w.re.abs() <= half && w.im.abs() <= half) {
        return log(addr(w, T::one()));
    }
    let t = w.re * (w.re + T::from(2.0).unwrap()) + w.im * w.im;
    c(half * t.ln_1p(), w.im.atan2(w.re + T::one()))
}
/// asinh z = log1p(z + z²/(1 + √(z² + 1))), on the right half-plane and mirrored (asinh is
/// odd), so neither the sum nor the log cancels; log(2z) once z² would overflow.
pub fn asinh<T: Part>(a: Complex<T>) -> Complex<T> {
    if a.im == T::zero() {
        return c(a.re.asinh(), a.im); // the real function, NaN included: asinh(NaN ± i0) = NaN ± i0
    }
    if a.re == T::zero() && a.im.abs() <= T::one() {
        return c(a.re, a.im.asin()); // asinh(iy) = i·asin y on the imaginary segment, exactly
    }
    let flip = a.re < T::zero() || (a.re == T::zero() && a.re.is_sign_negative());
    let z = if flip { c(-a.re, -a.im) } else { a };
    let r = if abs(z) > T::one() / T::epsilon().sqrt() {
        let l = log(z);
        c(l.re + T::from(std::f64::consts::LN_2).unwrap(), l.im)
    } else {
        let z2 = cmul(z, z);
        log1p(cadd(z, cdiv(z2, addr(sqrt(addr(z2, T::one())), T::one()))))
    };
    if flip {
        c(-r.re, -r.im)
    } else {
        r
    }
}
/// asin z = −i asinh(iz).
pub fn asin<T: Part>(a: Complex<T>) -> Complex<T> {
    let r = asinh(c(-a.im, a.re));
    c(r.im, -r.re)
}
/// acos z = π/2 − asin z.
pub fn acos<T: Part>(a: Complex<T>) -> Complex<T> {
    if a.re == T::zero() && a.im.is_nan() {
        return c(T::from(std::f64::consts::FRAC_PI_2).unwrap(), a.im);
    }
    let r = asin(a);
    c(T::from(std::f64::consts::FRAC_PI_2).unwrap() - r.re, -r.im)
}
/// acosh z = log(z + √(z + 1)·√(z − 1)) (the product of roots picks the principal branch).
pub fn acosh<T: Part>(a: Complex<T>) -> Complex<T> {
    if a.re.is_infinite() || a.im.is_infinite() {
        return c(T::infinity(), arg(a)); // acosh(∞·e^{iθ}) = ∞ + iθ
    }
    if a.re == T::zero() && a.im.is_nan() {
        return c(a.im, T::from(std::f64::consts::FRAC_PI_2).unwrap());
    }
    log(cadd(a, cmul(sqrt(addr(a, T::one())), sqrt(addr(a, -T::one())))))
}
/// atanh z = ½(log1p(z) − log1p(−z)).
/// Far from 0 (|z|² beyond 1/ε), atanh z = 1/z ± iπ/2 to working precision. The parts keep
/// the signs of z's parts (atanh maps each quadrant to itself), zeros included.
pub fn atanh<T: Part>(a: Complex<T>) -> Complex<T> {
    let pi2 = T::from(std::f64::consts::FRAC_PI_2).unwrap();
    if a.re == T::zero() && a.im.is_nan() {
        return c(a.re, a.im);
    }
    if abs(a) > T::one() / T::epsilon().sqrt() {
        // Re 1/z, which is ±0 once a part is infinite; a NaN imaginary part stays NaN
        // atanh z = atanh(1/z) ± iπ/2, and atanh(1/z) = 1/z to working precision here
        let r = if a.re.is_infinite() || a.im.is_infinite() { c(T::zero().copysign(a.re), T::zero()) } else { reciprocal(a) };
        return c(r.re, if a.im.is_nan() { a.im } else { pi2.copysign(a.im) + r.im });
    }
    let d = csub(log1p(a), log1p(c(-a.re, -a.im)));
    let half = T::from(0.5).unwrap();
    c((d.re * half).abs().copysign(a.re), (d.im * half).abs().copysign(a.im))
}
/// atan z = −i atanh(iz).
pub fn atan<T: Part>(a: Complex<T>) -> Complex<T> {
    let r = atanh(c(-a.im, a.re));
    c(r.im, -r.re)
}

pub fn powc<T: Part>(a: Complex<T>, b: Complex<T>) -> Complex<T> {
    let zero = T::zero();
    if b.re == zero && b.im == zero {
        return c(T::one(), zero);
    }
    if a.re == zero && a.im == zero {
        return if b.re > zero { c(zero, zero) } else { c(T::nan(), T::nan()) };
    }
    if b.im == zero && b.re == T::from(2.0).unwrap() {
        return cmul(a, a);
    }
    exp(cmul(b, log(a)))
}
pub fn reciprocal<T: Part>(a: Complex<T>) -> Complex<T> {
    cdiv(c(T::one(), T::zero()), a)
}
/// z/|z| (0 at 0): PyTorch's `sgn`.
pub fn sgn<T: Part>(a: Complex<T>) -> Complex<T> {
    let m = abs(a);
    if m == T::zero() {
        c(T::zero(), T::zero())
    } else {
        c(a.re / m, a.im / m)
    }
}

macro_rules! complex_arith {
    ($t:ty) => {
        impl Arith for Complex<$t> {
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                cadd(self, o)
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                csub(self, o)
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                cmul(self, o)
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                cdiv(self, o)
            }
            // Ops without a complex meaning: refused before any kernel runs (PyTorch's
            // "not implemented for 'ComplexFloat'"); NaN keeps a bug visible.
            fn rem(self, _o: Self) -> Self {
                c(<$t>::NAN, <$t>::NAN)
            }
            fn fmod(self, _o: Self) -> Self {
                c(<$t>::NAN, <$t>::NAN)
            }
            fn floor_div(self, _o: Self) -> Self {
                c(<$t>::NAN, <$t>::NAN)
            }
            fn power(self, o: Self) -> Self {
                powc(self, o)
            }
            fn max_nan(self, _o: Self) -> Self {
                c(<$t>::NAN, <$t>::NAN)
            }
            fn min_nan(self, _o: Self) -> Self {
                c(<$t>::NAN, <$t>::NAN)
            }
            fn fmax(self, _o: Self) -> Self {
                c(<$t>::NAN, <$t>::NAN)
            }
            fn fmin(self, _o: Self) -> Self {
                c(<$t>::NAN, <$t>::NAN)
            }
            #[inline(always)]
            fn zero() -> Self {
                c(0.0, 0.0)
            }
            #[inline(always)]
            fn one() -> Self {
                c(1.0, 0.0)
            }
        }
        impl SumElem for Complex<$t> {
            type A = Complex<f64>;
            #[inline(always)]
            fn up(self) -> Complex<f64> {
                c(self.re as f64, self.im as f64)
            }
            #[inline(always)]
            fn down(a: Complex<f64>) -> Self {
                c(a.re as $t, a.im as $t)
            }
            #[inline(always)]
            fn add(a: Complex<f64>, b: Complex<f64>) -> Complex<f64> {
                cadd(a, b)
            }
            #[inline(always)]
            fn mul(a: Complex<f64>, b: Complex<f64>) -> Complex<f64> {
                cmul(a, b)
            }
            const ZERO: Complex<f64> = Complex::new(0.0, 0.0);
            const ONE: Complex<f64> = Complex::new(1.0, 0.0);
        }
        impl Bounds for Complex<$t> {
            const LOWEST: Self = Complex::new(<$t>::NEG_INFINITY, <$t>::NEG_INFINITY);
            const HIGHEST: Self = Complex::new(<$t>::INFINITY, <$t>::INFINITY);
        }
    };
}
complex_arith!(f32);
complex_arith!(f64);

// ---- kernels ----

use crate::elementwise::{unary, unary_into};
use crate::unary::{Pred, UOp};
use crate::{DType, Error, Layout, Result, Storage};

/// The complex functions of the unary table, or None where PyTorch has no complex kernel.
fn formula<T: Part>(op: UOp) -> Option<fn(Complex<T>) -> Complex<T>> {
    use UOp::*;
    Some(match op {
        Neg => |z| c(-z.re, -z.im),
        Exp => exp,
        Expm1 => |z| {
            // exp(z) − 1 with the real part through expm1: exact near 0 along the real axis
            if z.im == T::zero() {
                return c(z.re.exp_m1(), z.im);
            }
            if !(z.re.is_finite() && z.im.is_finite()) {
                return addr(exp(z), -T::one());
            }
            let (s, co) = z.im.sin_cos();
            let em1 = z.re.exp_m1();
            let half = T::from(0.5).unwrap();
            let s2 = (z.im * half).sin();
            c(em1 * co - (s2 * s2 + s2 * s2), z.re.exp() * s)
        },
        Log => log,
        Log2 => |z| {
            let l = log(z);
            let k = T::from(std::f64::consts::LOG2_E).unwrap();
            c(l.re * k, l.im * k)
        },
        Log10 => |z| {
            let l = log(z);
            let k = T::from(std::f64::consts::LOG10_E).unwrap();
            c(l.re * k, l.im * k)
        },
        Log1p => log1p,
        Sqrt => sqrt,
        Rsqrt => |z| reciprocal(sqrt(z)),
        Reciprocal => reciprocal,
        Square => |z| cmul(z, z),
        Sin => sin,
        Cos => cos,
        Tan => tan,
        Sinh => sinh,
        Cosh => cosh,
        Tanh => tanh,
        Asin => asin,
        Acos => acos,
        Atan => atan,
        Asinh => asinh,
        Acosh => acosh,
        Atanh => atanh,
        Sigmoid => |z| reciprocal(addr(exp(c(-z.re, -z.im)), T::one())),
        Sign => sgn,
        _ => return None,
    })
}

/// PyTorch's error for an op without a complex kernel.
pub fn unsupported(op: UOp, dt: DType) -> Error {
    Error::NotImplemented(format!(
        "\"{}\" not implemented for '{}'. This operation has no complex form; use .real, .imag or .abs() to get a real tensor first.",
        format!("{op:?}").to_lowercase() + "_cpu",
        dt.scalar_name()
    ))
}

/// Whether `op` has a complex kernel.
pub fn supports(op: UOp) -> bool {
    formula::<f32>(op).is_some()
}

/// `dst = op(src)` for complex `dt` (both complex).
pub fn unary_op_into(op: UOp, dt: DType, dst: &Storage, ld: &Layout, src: &Storage, ls: &Layout) -> Result<()> {
    match dt {
        DType::C64 => unary_into::<Complex<f32>, Complex<f32>>(dst, ld, src, ls, formula::<f32>(op).ok_or_else(|| unsupported(op, dt))?),
        DType::C128 => unary_into::<Complex<f64>, Complex<f64>>(dst, ld, src, ls, formula::<f64>(op).ok_or_else(|| unsupported(op, dt))?),
        _ => return Err(Error::runtime(format!("internal: complex kernel called on {}", dt.name()))),
    }
    Ok(())
}

/// Real-valued functions of a complex tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToReal {
    Abs,
    Angle,
}

/// `abs(z)` or `angle(z)` as a new storage of the real dtype (`dt.to_real()`).
pub fn to_real(f: ToReal, dt: DType, src: &Storage, ls: &Layout) -> Result<Storage> {
    match (dt, f) {
        (DType::C64, ToReal::Abs) => unary::<Complex<f32>, f32>(src, ls, abs),
        (DType::C64, ToReal::Angle) => unary::<Complex<f32>, f32>(src, ls, arg),
        (DType::C128, ToReal::Abs) => unary::<Complex<f64>, f64>(src, ls, abs),
        (DType::C128, ToReal::Angle) => unary::<Complex<f64>, f64>(src, ls, arg),
        _ => Err(Error::runtime(format!("internal: complex kernel called on {}", dt.name()))),
    }
}

/// isnan/isinf/isfinite of a complex tensor (either part NaN or infinite); the one-sided
/// predicates have no complex meaning.
pub fn predicate(pred: Pred, dt: DType, src: &Storage, ls: &Layout) -> Result<Storage> {
    macro_rules! run {
        ($t:ty) => {
            match pred {
                Pred::IsNan => unary::<Complex<$t>, bool>(src, ls, |z| z.re.is_nan() || z.im.is_nan()),
                Pred::IsInf => unary::<Complex<$t>, bool>(src, ls, |z| z.re.is_infinite() || z.im.is_infinite()),
                Pred::IsFinite => unary::<Complex<$t>, bool>(src, ls, |z| z.re.is_finite() && z.im.is_finite()),
                Pred::IsPosInf | Pred::IsNegInf => {
                    Err(Error::runtime(format!("{:?} is not implemented for complex tensors.", pred).to_lowercase()))
                }
                Pred::SignBit => Err(Error::runtime("signbit is not implemented for complex tensors.")),
            }
        };
    }
    match dt {
        DType::C64 => run!(f32),
        DType::C128 => run!(f64),
        _ => Err(Error::runtime(format!("internal: complex kernel called on {}", dt.name()))),
    }
}

/// `complex(re, im)` / `polar(abs, angle)`: two real operands (same dtype, same logical
/// layout) into a new complex storage.
pub fn from_parts(polar: bool, dt: DType, a: &Storage, la: &Layout, b: &Storage, lb: &Layout) -> Result<Storage> {
    macro_rules! run {
        ($t:ty) => {
            if polar {
                crate::elementwise::binary::<$t, $t, Complex<$t>>(a, la, b, lb, &la.sizes, |r, t| {
                    let (s, co) = t.sin_cos();
                    c(r * co, r * s)
                })
            } else {
                crate::elementwise::binary::<$t, $t, Complex<$t>>(a, la, b, lb, &la.sizes, |re, im| c(re, im))
            }
        };
    }
    match dt {
        DType::C64 => run!(f32),
        DType::C128 => run!(f64),
        _ => Err(Error::runtime(format!("internal: complex kernel called on {}", dt.name()))),
    }
}
