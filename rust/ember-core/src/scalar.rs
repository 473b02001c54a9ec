use crate::DType;

/// A Python number. Python scalars are "weak" in promotion: they only lift the result's
/// kind (int tensor + 2.5 → default float), never its width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A Python `complex`: (real, imag).
    Complex(f64, f64),
}

impl Scalar {
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) | Scalar::Complex(f, _) => f,
        }
    }
    pub fn to_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => b as i64,
            Scalar::Int(i) => i,
            Scalar::Float(f) | Scalar::Complex(f, _) => f as i64,
        }
    }
    /// The dtype a tensor made from this scalar alone gets.
    pub fn dtype(self, default_float: DType) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => default_float,
            Scalar::Complex(..) => default_float.to_complex(),
        }
    }
    /// (real, imag); real scalars have a zero imaginary part.
    pub fn to_c128(self) -> (f64, f64) {
        match self {
            Scalar::Complex(re, im) => (re, im),
            s => (s.to_f64(), 0.0),
        }
    }
    pub fn kind(self) -> crate::dtype::Kind {
        self.dtype(DType::F32).kind()
    }
}

impl Scalar {
    /// PyTorch's check for `full`/`fill_`: the value must be representable in `dtype`
    /// (`full((2,), 300, dtype=uint8)` raises instead of wrapping to 44). Floats may be
    /// infinite or NaN in float dtypes; a float stored into an int dtype truncates toward zero.
    pub fn check_fits(self, dtype: crate::DType) -> crate::Result<()> {
        use crate::DType::*;
        if let (Scalar::Complex(re, im), false) = (self, dtype.is_complex()) {
            // a zero imaginary part is dropped silently; any other is refused (but bool takes all)
            if im == 0.0 || dtype == Bool {
                return Scalar::Float(re).check_fits(dtype);
            }
            let cname = match dtype {
                Bool => "bool",
                F32 => "float",
                F64 => "double",
                U8 => "uint8_t",
                I8 => "int8_t",
                I16 => "int16_t",
                I32 => "int32_t",
                I64 => "int64_t",
                U16 => "uint16_t",
                U32 => "uint32_t",
                U64 => "uint64_t",
                F16 => "c10::Half",
                _ => "c10::BFloat16",
            };
            return Err(crate::Error::runtime(format!("value cannot be converted to type {cname} without overflow")));
        }
        let (lo, hi, cname): (f64, f64, &str) = match dtype {
            Bool | F32 | F64 | C64 | C128 => return Ok(()),
            I8 => (-128.0, 127.0, "int8_t"),
            I16 => (-32768.0, 32767.0, "int16_t"),
            I32 => (-2147483648.0, 2147483647.0, "int32_t"),
            I64 => (-9.223372036854776e18, 9.223372036854776e18, "int64_t"),
            // PyTorch takes an int whose magnitude fits the unsigned type (c10::overflows:
            // -1 → 255 or 65535, -255 → 1 for uint8, -256 overflows), but a float only in the
            // unsigned range (-5.0 overflows)
            U8 | U16 | U32 | U64 => {
                let bits = dtype.size() as i32 * 8;
                let top = 2f64.powi(bits);
                let ok = match self {
                    Scalar::Int(i) => dtype == U64 || (i as f64).abs() < top,
                    Scalar::Float(f) => f.is_finite() && f.trunc() >= 0.0 && f.trunc() < top,
                    _ => true,
                };
                let cname = match dtype {
                    U8 => "uint8_t",
                    U16 => "uint16_t",
                    U32 => "uint32_t",
                    _ => "uint64_t",
                };
                return if ok {
                    Ok(())
                } else {
                    Err(crate::Error::runtime(format!("value cannot be converted to type {cname} without overflow")))
                };
            }
            F16 => (-65504.0, 65504.0, "c10::Half"),
            BF16 => (-3.3895313892515355e38, 3.3895313892515355e38, "c10::BFloat16"),
        };
        let ok = match self {
            Scalar::Bool(_) => true,
            Scalar::Complex(..) => true, // complex dtypes, checked above
            Scalar::Int(i) => dtype == I64 || ((i as f64) >= lo && (i as f64) <= hi),
            Scalar::Float(f) if dtype.is_float() => !f.is_finite() || (f >= lo && f <= hi),
            // float → int truncates toward zero; NaN/inf and out-of-range values overflow
            Scalar::Float(f) => f.is_finite() && f.trunc() >= lo && f.trunc() <= hi,
        };
        if ok {
            Ok(())
        } else {
            Err(crate::Error::runtime(format!("value cannot be converted to type {cname} without overflow")))
        }
    }
}
