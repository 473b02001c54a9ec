//! Reductions. `sum_to` is what broadcasting backward uses.
use crate::autograd::{needs_grad, record};
use crate::{DType, Layout, Result, Tensor};
use ember_core::layout::wrap_dim;

/// The dtype `sum` accumulates and returns by default: ints and bool → int64.
pub fn sum_dtype(d: DType) -> DType {
    if d.is_float() {
        d
    } else {
        DType::I64
    }
}

impl Tensor {
    /// Sum over `dims` (all when empty), keeping reduced dims as size 1 when `keepdim`.
    pub fn sum_dims(&self, dims: &[i64], keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let n = self.ndim();
        let mut red = vec![false; n];
        if dims.is_empty() {
            red.iter_mut().for_each(|r| *r = true);
        }
        for &d in dims {
            red[wrap_dim(d, n)?] = true;
        }
        let out_dt = dtype.unwrap_or_else(|| sum_dtype(self.dtype()));
        let s = ember_cpu::reduce::sum(self.storage(), self.layout(), self.dtype(), &red, out_dt)?;
        let kept: Vec<usize> = (0..n).map(|i| if red[i] { 1 } else { self.shape()[i] }).collect();
        let shape: Vec<usize> = if keepdim { kept.clone() } else { (0..n).filter(|&i| !red[i]).map(|i| self.shape()[i]).collect() };
        let out = Tensor::from_parts(s, Layout::contiguous(&shape), out_dt);
        if needs_grad(&[self]) {
            let (in_shape, in_dt) = (self.shape().to_vec(), self.dtype());
            let name = if dims.is_empty() && !keepdim { "SumBackward0" } else { "SumBackward1" };
            record(name, &[self], &[&out], move |g: &[Option<Tensor>]| {
                let g = g[0].as_ref().unwrap().reshape(&kept.iter().map(|&k| k as i64).collect::<Vec<_>>())?;
                Ok(vec![Some(g.expand(&in_shape.iter().map(|&k| k as i64).collect::<Vec<_>>())?.to_dtype(in_dt)?)])
            });
        }
        Ok(out)
    }

    /// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
    pub fn sum_to(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let lead = self.ndim() - shape.len();
        let mut dims: Vec<i64> = (0..lead as i64).collect();
        for (i, &s) in shape.iter().enumerate() {
            if s == 1 && self.shape()[lead + i] != 1 {
                dims.push((lead + i) as i64);
            }
        }
        let r = if dims.is_empty() { self.clone() } else { self.sum_dims(&dims, true, Some(self.dtype()))? };
        r.reshape(&shape.iter().map(|&s| s as i64).collect::<Vec<_>>())
    }
}
