//! Arithmetic with each dtype's semantics: wrapping integers, IEEE floats, half types
//! computed in f32, and bool where `+` is `or` and `*` is `and` (as PyTorch does).
use half::{bf16, f16};

pub trait Arith: Copy + PartialOrd {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// True division for floats; truncating for integers (callers promote `/` to float).
    fn div(self, o: Self) -> Self;
    /// Python's `%`: the result takes the divisor's sign.
    fn rem(self, o: Self) -> Self;
    /// C's `fmod`: the result takes the dividend's sign.
    fn fmod(self, o: Self) -> Self;
    fn floor_div(self, o: Self) -> Self;
    /// `self ** o`; integers to negative powers give what PyTorch's kernel gives (1/x
    /// truncated: 0 unless |x| = 1). Callers reject a negative *scalar* exponent first.
    fn power(self, o: Self) -> Self;
    /// Elementwise max/min; NaN wins (`maximum`) or loses (`fmax`).
    fn max_nan(self, o: Self) -> Self;
    fn min_nan(self, o: Self) -> Self;
    fn fmax(self, o: Self) -> Self;
    fn fmin(self, o: Self) -> Self;
    fn zero() -> Self;
    fn one() -> Self;
}

macro_rules! int_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)] fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            #[inline(always)] fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            #[inline(always)] fn div(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_div(o) } }
            #[inline(always)] fn rem(self, o: Self) -> Self {
                if o == 0 { return 0 }
                let r = self.wrapping_rem(o);
                #[allow(unused_comparisons)]
                if r != 0 && ((r < 0) != (o < 0)) { r.wrapping_add(o) } else { r }
            }
            #[inline(always)] fn fmod(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_rem(o) } }
            #[inline(always)] fn floor_div(self, o: Self) -> Self {
                if o == 0 { return 0 }
                let q = self.wrapping_div(o);
                #[allow(unused_comparisons)]
                if (self.wrapping_rem(o) != 0) && ((self < 0) != (o < 0)) { q.wrapping_sub(1) } else { q }
            }
            #[inline(always)] #[allow(unused_comparisons)] fn power(self, e: Self) -> Self {
                if e < 0 {
                    return if self == 1 { 1 } else if self as i64 == -1 { if e % 2 == 0 { 1 } else { self } } else { 0 };
                }
                let (mut base, mut e, mut acc): (Self, Self, Self) = (self, e, 1);
                while e > 0 {
                    if e & 1 == 1 { acc = acc.wrapping_mul(base); }
                    base = base.wrapping_mul(base);
                    e >>= 1;
                }
                acc
            }
            #[inline(always)] fn max_nan(self, o: Self) -> Self { if self > o { self } else { o } }
            #[inline(always)] fn min_nan(self, o: Self) -> Self { if self < o { self } else { o } }
            #[inline(always)] fn fmax(self, o: Self) -> Self { self.max_nan(o) }
            #[inline(always)] fn fmin(self, o: Self) -> Self { self.min_nan(o) }
            #[inline(always)] fn zero() -> Self { 0 }
            #[inline(always)] fn one() -> Self { 1 }
        }
    )*};
}
int_arith!(u8, i8, i16, i32, i64, u16, u32, u64);

macro_rules! float_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self + o }
            #[inline(always)] fn sub(self, o: Self) -> Self { self - o }
            #[inline(always)] fn mul(self, o: Self) -> Self { self * o }
            #[inline(always)] fn div(self, o: Self) -> Self { self / o }
            #[inline(always)] fn rem(self, o: Self) -> Self {
                let r = self % o;
                if r != 0.0 && ((r < 0.0) != (o < 0.0)) { r + o } else { r }
            }
            #[inline(always)] fn fmod(self, o: Self) -> Self { self % o }
            #[inline(always)] fn floor_div(self, o: Self) -> Self {
                // Python's algorithm: exact floor of the true quotient, via fmod.
                if o == 0.0 { return self / o }
                let m = self % o;
                let mut d = (self - m) / o;
                if m != 0.0 && ((o < 0.0) != (m < 0.0)) { d -= 1.0 }
                if d != 0.0 { let f = d.floor(); if d - f > 0.5 { f + 1.0 } else { f } } else { 0.0 * (self / o) }
            }
            #[inline(always)] fn power(self, o: Self) -> Self { if o == 2.0 { self * self } else { self.powf(o) } }
            #[inline(always)] fn max_nan(self, o: Self) -> Self { if self != self || o != o { self + o } else if self > o || (self == o && o.is_sign_negative()) { self } else { o } }
            #[inline(always)] fn min_nan(self, o: Self) -> Self { if self != self || o != o { self + o } else if self < o || (self == o && self.is_sign_negative()) { self } else { o } }
            #[inline(always)] fn fmax(self, o: Self) -> Self { self.max(o) }
            #[inline(always)] fn fmin(self, o: Self) -> Self { self.min(o) }
            #[inline(always)] fn zero() -> Self { 0.0 }
            #[inline(always)] fn one() -> Self { 1.0 }
        }
    )*};
}
float_arith!(f32, f64);

macro_rules! half_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() + o.to_f32()) }
            #[inline(always)] fn sub(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() - o.to_f32()) }
            #[inline(always)] fn mul(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() * o.to_f32()) }
            #[inline(always)] fn div(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() / o.to_f32()) }
            #[inline(always)] fn rem(self, o: Self) -> Self { <$t>::from_f32(self.to_f32().rem(o.to_f32())) }
            #[inline(always)] fn fmod(self, o: Self) -> Self { <$t>::from_f32(self.to_f32() % o.to_f32()) }
            #[inline(always)] fn floor_div(self, o: Self) -> Self { <$t>::from_f32(self.to_f32().floor_div(o.to_f32())) }
            #[inline(always)] fn power(self, o: Self) -> Self { <$t>::from_f32(self.to_f32().power(o.to_f32())) }
            #[inline(always)] fn max_nan(self, o: Self) -> Self { <$t>::from_f32(self.to_f32().max_nan(o.to_f32())) }
            #[inline(always)] fn min_nan(self, o: Self) -> Self { <$t>::from_f32(self.to_f32().min_nan(o.to_f32())) }
            #[inline(always)] fn fmax(self, o: Self) -> Self { <$t>::from_f32(self.to_f32().fmax(o.to_f32())) }
            #[inline(always)] fn fmin(self, o: Self) -> Self { <$t>::from_f32(self.to_f32().fmin(o.to_f32())) }
            #[inline(always)] fn zero() -> Self { <$t>::ZERO }
            #[inline(always)] fn one() -> Self { <$t>::ONE }
        }
    )*};
}
half_arith!(f16, bf16);

impl Arith for bool {
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self | o
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self ^ o
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self & o
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        self & o
    }
    #[inline(always)]
    fn rem(self, _o: Self) -> Self {
        false
    }
    #[inline(always)]
    fn fmod(self, _o: Self) -> Self {
        false
    }
    #[inline(always)]
    fn floor_div(self, o: Self) -> Self {
        self & o
    }
    #[inline(always)]
    fn power(self, o: Self) -> Self {
        self | !o
    }
    #[inline(always)]
    fn max_nan(self, o: Self) -> Self {
        self | o
    }
    #[inline(always)]
    fn min_nan(self, o: Self) -> Self {
        self & o
    }
    #[inline(always)]
    fn fmax(self, o: Self) -> Self {
        self | o
    }
    #[inline(always)]
    fn fmin(self, o: Self) -> Self {
        self & o
    }
    #[inline(always)]
    fn zero() -> Self {
        false
    }
    #[inline(always)]
    fn one() -> Self {
        true
    }
}

/// Bitwise ops and shifts (integers and bool). Shifting by a negative amount or by at least
/// the bit width gives 0 (`<<`) or the sign fill (`>>`), as PyTorch's CPU kernel does.
pub trait Bits: Copy {
    fn and(self, o: Self) -> Self;
    fn or(self, o: Self) -> Self;
    fn xor(self, o: Self) -> Self;
    fn not(self) -> Self;
    fn shl(self, o: Self) -> Self;
    fn shr(self, o: Self) -> Self;
}

macro_rules! int_bits {
    ($($t:ty),*) => {$(
        impl Bits for $t {
            #[inline(always)] fn and(self, o: Self) -> Self { self & o }
            #[inline(always)] fn or(self, o: Self) -> Self { self | o }
            #[inline(always)] fn xor(self, o: Self) -> Self { self ^ o }
            #[inline(always)] fn not(self) -> Self { !self }
            #[inline(always)] #[allow(unused_comparisons)] fn shl(self, o: Self) -> Self {
                if o < 0 || o as u64 >= <$t>::BITS as u64 { 0 } else { self.wrapping_shl(o as u32) }
            }
            #[inline(always)] #[allow(unused_comparisons)] fn shr(self, o: Self) -> Self {
                if o < 0 || o as u64 >= <$t>::BITS as u64 { if self < 0 { !0 } else { 0 } } else { self.wrapping_shr(o as u32) }
            }
        }
    )*};
}
int_bits!(u8, i8, i16, i32, i64, u16, u32, u64);

impl Bits for bool {
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        self & o
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        self | o
    }
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        self ^ o
    }
    #[inline(always)]
    fn not(self) -> Self {
        !self
    }
    // As integers 0/1, converted back to bool: 1 << 1 = 2 is still true.
    #[inline(always)]
    fn shl(self, _o: Self) -> Self {
        self
    }
    #[inline(always)]
    fn shr(self, o: Self) -> Self {
        self & !o
    }
}
