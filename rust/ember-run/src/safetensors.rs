//! Reads the safetensors files `ember.save` writes: an 8-byte little-endian header length, a
//! JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`,
//! then the tensors' bytes.
use crate::{err, tensor_from_bytes, Result, RunError};
use ember::{DType, Tensor};
use std::collections::HashMap;
use std::path::Path;

fn dtype_of(code: &str) -> Option<DType> {
    Some(match code {
        "BOOL" => DType::Bool,
        "U8" => DType::U8,
        "I8" => DType::I8,
        "I16" => DType::I16,
        "I32" => DType::I32,
        "I64" => DType::I64,
        "U16" => DType::U16,
        "U32" => DType::U32,
        "U64" => DType::U64,
        "F16" => DType::F16,
        "BF16" => DType::BF16,
        "F32" => DType::F32,
        "F64" => DType::F64,
        _ => return None,
    })
}

pub fn read(path: &Path) -> Result<HashMap<String, Tensor>> {
    let what = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| RunError(format!("{what}: {e}")))?;
    let bad = |m: &str| RunError(format!("{what}: not a safetensors file ({m})"));
    let n = u64::from_le_bytes(bytes.get(..8).ok_or_else(|| bad("too short"))?.try_into().unwrap()) as usize;
    let header = bytes.get(8..8usize.saturating_add(n)).ok_or_else(|| bad("truncated header"))?;
    let header: serde_json::Value = serde_json::from_slice(header).map_err(|e| bad(&e.to_string()))?;
    let data = &bytes[8 + n..];
    let mut out = HashMap::new();
    for (name, info) in header.as_object().ok_or_else(|| bad("header is not an object"))? {
        if name == "__metadata__" {
            continue;
        }
        let code = info["dtype"].as_str().unwrap_or("");
        let Some(dtype) = dtype_of(code) else {
            return err(format!("{what}: tensor {name:?} has unsupported dtype {code:?}"));
        };
        let shape: Vec<usize> =
            info["shape"].as_array().ok_or_else(|| bad("shape"))?.iter().filter_map(|d| d.as_u64()).map(|d| d as usize).collect();
        let offs = info["data_offsets"].as_array().ok_or_else(|| bad("data_offsets"))?;
        let (b, e) = (offs[0].as_u64().unwrap_or(0) as usize, offs[1].as_u64().unwrap_or(0) as usize);
        let chunk = data.get(b..e).ok_or_else(|| bad(&format!("offsets of {name:?} run past the end")))?;
        out.insert(name.clone(), tensor_from_bytes(chunk, dtype, &shape)?);
    }
    Ok(out)
}
