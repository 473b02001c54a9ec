use crate::DType;
use half::{bf16, f16};

/// A Rust type that can live in a storage. Conversions follow C/PyTorch casts:
/// float→int truncates toward zero, int→narrower int wraps (300 → uint8 gives 44).
pub trait Element: Copy + Send + Sync + 'static + PartialOrd + PartialEq + std::fmt::Debug + Default {
    const DTYPE: DType;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn to_i64(self) -> i64;
    fn from_i64(v: i64) -> Self;
    /// (real, imag); real types have a zero imaginary part.
    #[inline(always)]
    fn to_c128(self) -> (f64, f64) {
        (self.to_f64(), 0.0)
    }
    /// From (real, imag); real types keep the real part (PyTorch's complex → real cast).
    #[inline(always)]
    fn from_c128(re: f64, _im: f64) -> Self {
        Self::from_f64(re)
    }
    /// Truthiness (complex: either part non-zero, which the real part alone misses).
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self.to_f64() != 0.0
    }

    /// Converts between any two element types with PyTorch's semantics.
    #[inline(always)]
    fn cast<D: Element>(self) -> D {
        if Self::DTYPE.is_complex() || D::DTYPE.is_complex() {
            let (re, im) = self.to_c128();
            if D::DTYPE == DType::Bool {
                return D::from_f64((re != 0.0 || im != 0.0) as u8 as f64);
            }
            D::from_c128(re, im)
        } else if Self::DTYPE.is_float() || D::DTYPE.is_float() {
            D::from_f64(self.to_f64())
        } else {
            D::from_i64(self.to_i64())
        }
    }
}

macro_rules! int_element {
    ($t:ty, $d:ident) => {
        int_element!($t, $d, |v: f64| v as i64 as $t);
    };
    ($t:ty, $d:ident, $from_f64:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                $from_f64(v)
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
        }
    };
}
int_element!(u8, U8);
int_element!(i8, I8);
int_element!(i16, I16);
int_element!(i32, I32);
int_element!(i64, I64);
int_element!(u16, U16);
int_element!(u32, U32);
// Through i64 wraps a negative float as C does (-1.0 → 2**64 - 1), but would saturate the
// upper half of uint64's range; those values convert directly.
int_element!(u64, U64, |v: f64| if v >= 9.223372036854775808e18 { v as u64 } else { v as i64 as u64 });

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
}

macro_rules! float_element {
    ($t:ty, $d:ident, $from:expr, $to:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                $to(self)
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                $from(v)
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                $to(self) as i64
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                $from(v as f64)
            }
        }
    };
}
float_element!(f32, F32, |v: f64| v as f32, |x: f32| x as f64);
float_element!(f64, F64, |v: f64| v, |x: f64| x);
float_element!(f16, F16, f16::from_f64, |x: f16| x.to_f64());
// Through f32, as PyTorch's c10::BFloat16(float) does: `half`'s direct f64 rounding misses the
// round-up of some halfway-plus values (0x3d5e8007 gave 0x3d5e, not 0x3d5f).
float_element!(bf16, BF16, |v: f64| bf16::from_f32(v as f32), |x: bf16| x.to_f64());
