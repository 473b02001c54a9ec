//! Reductions, arg-reductions and softmax on wgpu tensors.
use super::{dense, empty, to_dtype, view, ReduceOp};
use crate::{DType, Result, Tensor};

/// `op` over the dims marked in `red` (every dim when all true), with reduced dims kept as
/// size 1 when `keepdim`; the result has `out_dtype`. Integer and bool sums accumulate in
/// int32 on the GPU (WGSL has no 64-bit integers) and are then widened.
pub fn reduce(op: ReduceOp, x: &Tensor, red: &[bool], keepdim: bool, out_dtype: DType) -> Result<Tensor> {
    let nd = x.ndim();
    let cd = match out_dtype {
        DType::F32 => DType::F32,
        DType::I64 | DType::I32 | DType::Bool | DType::U8 if op != ReduceOp::Mean => {
            if matches!(op, ReduceOp::Max | ReduceOp::Min) {
                x.dtype()
            } else {
                DType::I32
            }
        }
        d => return Err(ember_wgpu::dtype::unsupported(d)),
    };
    let xc = if x.dtype() == cd { x.clone() } else { to_dtype(x, cd)? };
    let dims: Vec<usize> = (0..nd).filter(|&i| red[i]).collect();
    let shape: Vec<usize> = (0..nd).filter_map(|i| if red[i] { keepdim.then_some(1) } else { Some(x.shape()[i]) }).collect();
    let out = empty(&shape, cd)?;
    if nd == 0 {
        super::copy_into(&out, &xc)?;
    } else {
        ember_wgpu::reduce(op, &view(&xc)?, &dims, &view(&out)?)?;
    }
    if cd == out_dtype {
        Ok(out)
    } else {
        to_dtype(&out, out_dtype)
    }
}

/// (values, int64 indices) of the max (`is_max`) or min along `dim` (all elements flattened
/// when None; then the indices are flat and values are not returned).
pub fn argreduce(x: &Tensor, dim: Option<usize>, keepdim: bool, is_max: bool, want_values: bool) -> Result<(Option<Tensor>, Tensor)> {
    let xc = if x.dtype() == DType::I64 { to_dtype(x, DType::I32)? } else { x.clone() };
    let shape: Vec<usize> = match dim {
        Some(d) => (0..x.ndim()).filter_map(|i| if i == d { keepdim.then_some(1) } else { Some(x.shape()[i]) }).collect(),
        None if keepdim => vec![1; x.ndim()],
        None => vec![],
    };
    let idx = empty(&shape, DType::I64)?;
    let vals = if want_values { Some(empty(&shape, xc.dtype())?) } else { None };
    if x.ndim() == 0 {
        super::fill_(&idx, crate::Scalar::Int(0))?;
        if let Some(v) = &vals {
            super::copy_into(v, &xc)?;
        }
    } else {
        let vv = vals.as_ref().map(view).transpose()?;
        ember_wgpu::argreduce(&view(&xc)?, dim, is_max, &view(&idx)?, vv.as_ref())?;
    }
    let vals = match vals {
        Some(v) if x.dtype() != v.dtype() => Some(to_dtype(&v, x.dtype())?),
        v => v,
    };
    Ok((vals, idx))
}

/// softmax (or log_softmax when `log`) of float32 `x` along `dim`.
pub fn softmax(x: &Tensor, dim: usize, log: bool) -> Result<Tensor> {
    super::f32_only(x, "softmax")?;
    let out = empty(x.shape(), DType::F32)?;
    if x.ndim() == 0 {
        super::fill_(&out, crate::Scalar::Float(if log { 0.0 } else { 1.0 }))?;
        return Ok(out);
    }
    ember_wgpu::softmax(&view(x)?, dim, &view(&out)?, log)?;
    Ok(out)
}

/// The input gradient of softmax/log_softmax given the output `y` and its gradient `g`.
pub fn softmax_backward(g: &Tensor, y: &Tensor, dim: usize, log: bool) -> Result<Tensor> {
    super::f32_only(g, "softmax backward")?;
    let out = empty(y.shape(), DType::F32)?;
    if y.ndim() == 0 {
        super::fill_(&out, crate::Scalar::Float(0.0))?;
        return Ok(out);
    }
    let gc = dense(g, DType::F32)?;
    ember_wgpu::softmax_backward(&view(&gc)?, &view(y)?, dim, &view(&out)?, log)?;
    Ok(out)
}
