/// Element types, in PyTorch's promotion order within each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    U8,
    I8,
    I16,
    I32,
    I64,
    /// uint16/uint32/uint64: PyTorch's "limited support" unsigned dtypes (no promotion with
    /// another dtype except a floating one).
    U16,
    U32,
    U64,
    F16,
    BF16,
    F32,
    F64,
    /// complex64: an (f32 re, f32 im) pair, laid out as NumPy and PyTorch lay it out.
    C64,
    /// complex128: an (f64 re, f64 im) pair.
    C128,
}

/// Where a storage lives: host memory, nowhere (`meta`: shape, dtype and strides only), or a
/// wgpu adapter's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
    Meta,
    Wgpu(u16),
}

impl Device {
    pub fn type_name(&self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Meta => "meta",
            Device::Wgpu(_) => "wgpu",
        }
    }
    /// The index PyTorch reports in `device(type='wgpu', index=0)`; None for cpu and meta.
    pub fn index(&self) -> Option<u16> {
        match self {
            Device::Wgpu(i) => Some(*i),
            _ => None,
        }
    }
    /// Whether element bytes are addressable from the host (`Storage::ptr` is valid).
    pub fn is_host(&self) -> bool {
        matches!(self, Device::Cpu)
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index() {
            Some(i) => write!(f, "{}:{i}", self.type_name()),
            None => f.write_str(self.type_name()),
        }
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy, Debug)]
pub enum Kind {
    Bool,
    Int,
    Float,
    Complex,
}

impl DType {
    /// Every dtype; the new unsigned ones go last so indices into this list stay put.
    pub const ALL: [DType; 15] = [
        DType::Bool,
        DType::U8,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
        DType::C64,
        DType::C128,
        DType::U16,
        DType::U32,
        DType::U64,
    ];

    #[inline]
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I16 | DType::U16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 | DType::C64 => 8,
            DType::C128 => 16,
        }
    }
    #[inline]
    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }
    #[inline]
    pub fn is_complex(self) -> bool {
        matches!(self, DType::C64 | DType::C128)
    }
    /// Floating or complex: the dtypes autograd can differentiate (PyTorch's
    /// "Only Tensors of floating point and complex dtype can require gradients").
    #[inline]
    pub fn is_inexact(self) -> bool {
        self.is_float() || self.is_complex()
    }
    /// The real dtype of a complex one's parts (complex64 → float32); others map to themselves.
    pub fn to_real(self) -> DType {
        match self {
            DType::C64 => DType::F32,
            DType::C128 => DType::F64,
            d => d,
        }
    }
    /// The complex dtype whose parts are `self` (float64 → complex128; float32 and the half
    /// types → complex64, as ember has no complex32); complex dtypes map to themselves.
    pub fn to_complex(self) -> DType {
        match self {
            DType::F64 | DType::C128 => DType::C128,
            _ => DType::C64,
        }
    }
    pub fn is_int(self) -> bool {
        matches!(self, DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64) || self.is_limited_unsigned()
    }
    pub fn is_signed(self) -> bool {
        !matches!(self, DType::Bool | DType::U8) && !self.is_limited_unsigned()
    }
    /// uint16/uint32/uint64, which PyTorch promotes only with themselves and floating dtypes.
    pub fn is_limited_unsigned(self) -> bool {
        matches!(self, DType::U16 | DType::U32 | DType::U64)
    }
    pub fn kind(self) -> Kind {
        if self == DType::Bool {
            Kind::Bool
        } else if self.is_complex() {
            Kind::Complex
        } else if self.is_float() {
            Kind::Float
        } else {
            Kind::Int
        }
    }
    /// torch's name: `torch.float32` → "float32".
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::C64 => "complex64",
            DType::C128 => "complex128",
        }
    }
    /// The scalar-type name PyTorch uses in error messages ("Float", "Long").
    pub fn scalar_name(self) -> &'static str {
        match self {
            DType::Bool => "Bool",
            DType::U8 => "Byte",
            DType::I8 => "Char",
            DType::I16 => "Short",
            DType::I32 => "Int",
            DType::I64 => "Long",
            DType::U16 => "UInt16",
            DType::U32 => "UInt32",
            DType::U64 => "UInt64",
            DType::F16 => "Half",
            DType::BF16 => "BFloat16",
            DType::F32 => "Float",
            DType::F64 => "Double",
            DType::C64 => "ComplexFloat",
            DType::C128 => "ComplexDouble",
        }
    }
    pub fn from_name(s: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == s)
    }

    /// PyTorch's promotion of two tensor dtypes of the same priority.
    /// Rules: bool < ints < floats; uint8 with a signed int → the next signed int that holds
    /// both (uint8+int8 → int16); f16 with bf16 → f32. uint16/uint32/uint64 promote only with
    /// themselves and with floating dtypes (the float wins); anything else is PyTorch's error.
    pub fn promote(a: DType, b: DType) -> crate::Result<DType> {
        use DType::*;
        if a == b {
            return Ok(a);
        }
        if (a.is_limited_unsigned() || b.is_limited_unsigned()) && !(a.is_float() || b.is_float()) {
            return Err(crate::Error::runtime(format!(
                "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote {} and {}",
                a.scalar_name(),
                b.scalar_name()
            )));
        }
        Ok(match (a.kind(), b.kind()) {
            (Kind::Bool, _) => b,
            (_, Kind::Bool) => a,
            // complex with a real dtype: complex parts wide enough for both (c64 + f64 → c128)
            (Kind::Complex, _) | (_, Kind::Complex) => DType::promote(a.to_real(), b.to_real())?.to_complex(),
            (Kind::Float, Kind::Int) => a,
            (Kind::Int, Kind::Float) => b,
            (Kind::Float, Kind::Float) => {
                if (a == F16 && b == BF16) || (a == BF16 && b == F16) {
                    F32
                } else {
                    a.max(b)
                }
            }
            (Kind::Int, Kind::Int) => {
                if a == U8 || b == U8 {
                    let other = if a == U8 { b } else { a };
                    if other == I8 {
                        I16
                    } else {
                        other
                    }
                } else {
                    a.max(b)
                }
            }
        })
    }

    /// Whether a value of `self` may be written into `dst` by an in-place op
    /// (PyTorch's `canCast`: no float→int, no int→bool, no float/int→bool).
    pub fn can_cast_to(self, dst: DType) -> bool {
        self.kind() <= dst.kind()
    }
}
