//! NumPy `.npy` files (format versions 1-3), enough for C-ordered little-endian arrays of
//! ember's dtypes: magic `\x93NUMPY`, version, header length, a Python-dict header
//! (`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`), then the raw data.
use crate::{err, tensor_from_bytes, tensor_to_bytes, Result};
use ember::{DType, Tensor};
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";

fn descr_dtype(descr: &str) -> Option<DType> {
    Some(match descr {
        "|b1" => DType::Bool,
        "|u1" => DType::U8,
        "|i1" => DType::I8,
        "<i2" => DType::I16,
        "<i4" => DType::I32,
        "<i8" => DType::I64,
        "<u2" => DType::U16,
        "<u4" => DType::U32,
        "<u8" => DType::U64,
        "<f2" => DType::F16,
        "<f4" => DType::F32,
        "<f8" => DType::F64,
        "<c8" => DType::C64,
        "<c16" => DType::C128,
        _ => return None,
    })
}

fn dtype_descr(d: DType) -> Result<&'static str> {
    Ok(match d {
        DType::Bool => "|b1",
        DType::U8 => "|u1",
        DType::I8 => "|i1",
        DType::I16 => "<i2",
        DType::I32 => "<i4",
        DType::I64 => "<i8",
        DType::U16 => "<u2",
        DType::U32 => "<u4",
        DType::U64 => "<u8",
        DType::F16 => "<f2",
        DType::F32 => "<f4",
        DType::F64 => "<f8",
        DType::C64 => "<c8",
        DType::C128 => "<c16",
        DType::BF16 => return err("bfloat16 has no .npy type; convert to float32 first"),
    })
}

/// The value of `key` in the header dict, as the text up to the next top-level comma.
fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let start = header.find(&format!("'{key}':"))? + key.len() + 3;
    let rest = header[start..].trim_start();
    if rest.starts_with('(') {
        return Some(&rest[..=rest.find(')')?]);
    }
    Some(rest[..rest.find([',', '}']).unwrap_or(rest.len())].trim())
}

/// Parses `.npy` bytes into a tensor.
pub fn parse(bytes: &[u8], what: &str) -> Result<Tensor> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return err(format!("{what}: not a .npy file (no \\x93NUMPY magic)"));
    }
    let (hlen, hstart) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return err(format!("{what}: unsupported .npy format version {v}")),
    };
    let Some(header) = bytes.get(hstart..hstart + hlen).and_then(|h| std::str::from_utf8(h).ok()) else {
        return err(format!("{what}: truncated .npy header"));
    };
    let descr = field(header, "descr").map(|d| d.trim_matches(['\'', '"'])).unwrap_or("");
    let Some(dtype) = descr_dtype(descr) else {
        return err(format!("{what}: unsupported .npy dtype {descr:?} (little-endian bool, int and float only)"));
    };
    if field(header, "fortran_order") != Some("False") {
        return err(format!("{what}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray"));
    }
    let shape_txt = field(header, "shape").unwrap_or("()");
    let shape: Vec<usize> = shape_txt
        .trim_matches(['(', ')'])
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| crate::RunError(format!("{what}: bad shape {shape_txt} in .npy header")))?;
    tensor_from_bytes(&bytes[hstart + hlen..], dtype, &shape).map_err(|e| crate::RunError(format!("{what}: {e}")))
}

pub fn read(path: &Path) -> Result<Tensor> {
    let bytes = std::fs::read(path).map_err(|e| crate::RunError(format!("{}: {e}", path.display())))?;
    parse(&bytes, &path.display().to_string())
}

/// `.npy` (version 1) bytes of `t`.
pub fn to_bytes(t: &Tensor) -> Result<Vec<u8>> {
    let shape = match t.shape() {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        s => format!("({})", s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}", dtype_descr(t.dtype())?);
    // Data starts on a 64-byte boundary; the header ends with a newline.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&tensor_to_bytes(t)?);
    Ok(out)
}

pub fn write(path: &Path, t: &Tensor) -> Result<()> {
    std::fs::write(path, to_bytes(t)?).map_err(|e| crate::RunError(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = Tensor::from_vec(vec![1.5f32, -2.0, 3.25, 0.0, 7.0, 8.5], &[2, 3]).unwrap();
        let back = parse(&to_bytes(&t).unwrap(), "mem").unwrap();
        assert_eq!(back.shape(), &[2, 3]);
        assert_eq!(back.to_vec::<f32>().unwrap(), t.to_vec::<f32>().unwrap());
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"not numpy at all", "x").unwrap_err().0.contains("magic"));
    }
}
