//! complex64/complex128 elements: an (re, im) pair with C layout, so a complex storage is the
//! real storage NumPy, PyTorch and DLPack exchange. Ordering is lexicographic (NumPy's sort
//! order); ops PyTorch refuses on complex (max, sort, <) are refused before a kernel runs.
use crate::{DType, Element};

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Complex<T> {
    pub re: T,
    pub im: T,
}

/// complex64.
pub type C64 = Complex<f32>;
/// complex128.
pub type C128 = Complex<f64>;

impl<T> Complex<T> {
    #[inline(always)]
    pub const fn new(re: T, im: T) -> Self {
        Complex { re, im }
    }
}

macro_rules! complex_element {
    ($t:ty, $d:ident) => {
        impl Element for Complex<$t> {
            const DTYPE: DType = DType::$d;
            /// The real part: PyTorch's complex → real cast discards the imaginary part.
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self.re as f64
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                Complex::new(v as $t, 0.0)
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self.re as i64
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                Complex::new(v as $t, 0.0)
            }
            #[inline(always)]
            fn to_c128(self) -> (f64, f64) {
                (self.re as f64, self.im as f64)
            }
            #[inline(always)]
            fn from_c128(re: f64, im: f64) -> Self {
                Complex::new(re as $t, im as $t)
            }
            #[inline(always)]
            fn is_nonzero(self) -> bool {
                self.re != 0.0 || self.im != 0.0
            }
        }
    };
}
complex_element!(f32, C64);
complex_element!(f64, C128);
