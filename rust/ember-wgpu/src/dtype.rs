//! How each dtype is stored on the GPU, host conversions, and the WGSL snippets that load,
//! store and convert elements.
use ember_core::{DType, Error, Result};

pub const SUPPORTED: &str = "float32, int32, int64 (indices), bool, uint8";

pub fn unsupported(dt: DType) -> Error {
    Error::type_(format!(
        "dtype {} is not supported on the wgpu device (supported: {SUPPORTED}). WGSL has no 64-bit types, and float16 kernels are not written yet; convert with .float() or .int() first.",
        dt.name()
    ))
}

/// Bytes one element takes on the GPU: 4, or 8 for int64 (two u32 words, lo then hi).
pub fn gpu_elem_size(dt: DType) -> Result<usize> {
    match dt {
        DType::F32 | DType::I32 | DType::Bool | DType::U8 => Ok(4),
        DType::I64 => Ok(8),
        _ => Err(unsupported(dt)),
    }
}

pub fn check(dt: DType) -> Result<()> {
    gpu_elem_size(dt).map(|_| ())
}

/// Host bytes (ember's CPU representation) → GPU bytes.
pub fn to_gpu_bytes(dt: DType, host: &[u8]) -> Result<Vec<u8>> {
    Ok(match dt {
        DType::F32 | DType::I32 | DType::I64 => {
            check_len(dt, host.len(), dt.size())?;
            host.to_vec()
        }
        DType::Bool | DType::U8 => {
            let words: Vec<u32> = host.iter().map(|&b| if dt == DType::Bool { u32::from(b != 0) } else { b as u32 }).collect();
            bytemuck::cast_slice(&words).to_vec()
        }
        _ => return Err(unsupported(dt)),
    })
}

/// GPU bytes → host bytes (ember's CPU representation).
pub fn from_gpu_bytes(dt: DType, gpu: &[u8]) -> Result<Vec<u8>> {
    Ok(match dt {
        DType::F32 | DType::I32 | DType::I64 => {
            check_len(dt, gpu.len(), gpu_elem_size(dt)?)?;
            gpu.to_vec()
        }
        DType::Bool | DType::U8 => {
            check_len(dt, gpu.len(), 4)?;
            gpu.chunks_exact(4).map(|w| if dt == DType::Bool { u8::from(w[0] != 0) } else { w[0] }).collect()
        }
        _ => return Err(unsupported(dt)),
    })
}

fn check_len(dt: DType, len: usize, size: usize) -> Result<()> {
    if !len.is_multiple_of(size) {
        return Err(Error::runtime(format!("{len} bytes is not a whole number of {} elements", dt.name())));
    }
    Ok(())
}

/// Short dtype tag used in kernel names ("f32", "i64").
pub(crate) fn tag(dt: DType) -> &'static str {
    match dt {
        DType::F32 => "f32",
        DType::I32 => "i32",
        DType::I64 => "i64",
        DType::Bool => "bool",
        DType::U8 => "u8",
        _ => "unsupported",
    }
}

/// WGSL element type of the storage array.
pub(crate) fn storage_ty(dt: DType) -> &'static str {
    match dt {
        DType::F32 => "f32",
        DType::I32 => "i32",
        _ => "u32",
    }
}

/// WGSL type kernels compute in: int64 is `vec2<u32>` (lo, hi).
pub(crate) fn compute_ty(dt: DType) -> &'static str {
    match dt {
        DType::F32 => "f32",
        DType::I32 => "i32",
        DType::I64 => "vec2<u32>",
        _ => "u32",
    }
}

/// `fn ldK(i: u32) -> T` and `fn stK(i: u32, v: T)` for binding `bK` of dtype `dt`
/// (element index `i`, already including the layout offset).
pub(crate) fn accessors(k: usize, dt: DType, store: bool) -> String {
    let t = compute_ty(dt);
    let mut s = if dt == DType::I64 {
        format!("fn ld{k}(i: u32) -> {t} {{ return vec2<u32>(b{k}[2u * i], b{k}[2u * i + 1u]); }}\n")
    } else {
        format!("fn ld{k}(i: u32) -> {t} {{ return b{k}[i]; }}\n")
    };
    if store {
        s += &if dt == DType::I64 {
            format!("fn st{k}(i: u32, v: {t}) {{ b{k}[2u * i] = v.x; b{k}[2u * i + 1u] = v.y; }}\n")
        } else {
            format!("fn st{k}(i: u32, v: {t}) {{ b{k}[i] = v; }}\n")
        };
    }
    s
}

/// WGSL expression converting `e` (compute type of `from`) to the compute type of `to`,
/// with PyTorch's cast semantics (truncation toward zero, nonzero → true, uint8 wraps).
pub(crate) fn convert(from: DType, to: DType, e: &str) -> String {
    use DType::*;
    if from == to {
        return e.to_string();
    }
    match (from, to) {
        (F32, I32) => format!("i32({e})"),
        (F32, Bool) => format!("u32(({e}) != 0.0)"),
        (F32, U8) => format!("(bitcast<u32>(i32({e})) & 255u)"),
        (F32, I64) => format!("f32_to_i64({e})"),
        (I32, F32) => format!("f32({e})"),
        (I32, Bool) => format!("u32(({e}) != 0)"),
        (I32, U8) => format!("(bitcast<u32>({e}) & 255u)"),
        (I32, I64) => format!("i32_to_i64({e})"),
        (Bool | U8, F32) => format!("f32({e})"),
        (Bool | U8, I32) => format!("i32({e})"),
        (Bool | U8, Bool) => format!("u32(({e}) != 0u)"),
        (Bool | U8, U8) => format!("(({e}) & 255u)"),
        (Bool | U8, I64) => format!("vec2<u32>({e}, 0u)"),
        (I64, F32) => format!("i64_to_f32({e})"),
        (I64, I32) => format!("bitcast<i32>(({e}).x)"),
        (I64, Bool) => format!("u32(any(({e}) != vec2<u32>(0u)))"),
        (I64, U8) => format!("(({e}).x & 255u)"),
        _ => e.to_string(),
    }
}

/// Helper functions `convert` may reference.
pub(crate) const CONVERT_FNS: &str = r#"
fn i32_to_i64(x: i32) -> vec2<u32> { return vec2<u32>(bitcast<u32>(x), select(0u, 0xffffffffu, x < 0)); }
fn i64_to_f32(v: vec2<u32>) -> f32 {
    // values that fit an i32 convert exactly in one step
    if ((v.y == 0u && v.x < 0x80000000u) || (v.y == 0xffffffffu && v.x >= 0x80000000u)) { return f32(bitcast<i32>(v.x)); }
    return f32(bitcast<i32>(v.y)) * 4294967296.0 + f32(v.x);
}
// NaN tests by bit pattern: compilers may fold `x != x` to false.
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn nan_() -> f32 { return bitcast<f32>(0x7fc00000u); }
fn f32_to_i64(x: f32) -> vec2<u32> {
    let t = trunc(x);
    if (abs(t) < 2147483648.0) { return i32_to_i64(i32(t)); }
    let hi = floor(t / 4294967296.0);
    let lo = t - hi * 4294967296.0;
    return vec2<u32>(u32(lo), bitcast<u32>(i32(hi)));
}
"#;

/// A scalar parameter as the u32 words of `dt`'s compute type (int64 takes two words).
pub(crate) fn scalar_words(dt: DType, v: f64) -> [u32; 2] {
    match dt {
        DType::F32 => [(v as f32).to_bits(), 0],
        DType::I32 => [(v as i32) as u32, 0],
        DType::I64 => {
            let x = v as i64;
            [x as u32, (x >> 32) as u32]
        }
        DType::Bool => [u32::from(v != 0.0), 0],
        _ => [(v as i64 as u32) & 255, 0],
    }
}

/// WGSL expression reading a scalar parameter stored at info word `w` as `dt`'s compute type.
pub(crate) fn scalar_param(dt: DType, w: usize) -> String {
    match dt {
        DType::F32 => format!("bitcast<f32>(info[{w}])"),
        DType::I32 => format!("bitcast<i32>(info[{w}])"),
        DType::I64 => format!("vec2<u32>(info[{w}], info[{}])", w + 1),
        _ => format!("info[{w}]"),
    }
}
