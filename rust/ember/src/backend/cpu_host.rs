//! The CPU backend's index-plan, mask, host-read and complex-part primitives (the bodies of
//! the `Cpu` methods of the same names; kept apart from the elementwise/nn methods).
use super::cpu::vals;
use super::ToReal;
use crate::ops::random::Dist;
use crate::ops::reduce::RedDims;
use crate::random::Generator;
use crate::{DType, Error, Layout, Result, Tensor};
use ember_cpu::index as k;

pub(super) fn index_gather(src: &Tensor, ls: &Layout, idx: &[Vec<usize>], out_shape: &[usize]) -> Result<Tensor> {
    let out = Tensor::empty(out_shape, src.dtype())?;
    k::index_gather(src.storage(), ls, src.dtype(), idx, out.storage());
    Ok(out)
}

pub(super) fn index_put_(dst: &Tensor, ld: &Layout, idx: &[Vec<usize>], v: &Tensor, accumulate: bool) -> Result<()> {
    k::index_put(dst.storage(), ld, dst.dtype(), idx, v.storage(), accumulate);
    Ok(())
}

pub(super) fn masked_select(src: &Tensor, mask: &Tensor) -> Result<(Tensor, Vec<i64>)> {
    let m = mask.to_vec::<bool>()?;
    let lin: Vec<i64> = m.iter().enumerate().filter(|(_, &b)| b).map(|(i, _)| i as i64).collect();
    let out = Tensor::empty(&[lin.len()], src.dtype())?;
    k::masked_gather(src.storage(), src.layout(), src.dtype(), &m, out.storage());
    Ok((out, lin))
}

pub(super) fn mask_coords(mask: &Tensor) -> Result<(usize, Vec<Vec<usize>>)> {
    let shape = mask.shape();
    let m = mask.to_vec::<bool>()?;
    let (n, flat) = k::nonzero(&m, shape);
    let nd = shape.len();
    Ok((n, (0..nd).map(|c| (0..n).map(|i| flat[i * nd + c] as usize).collect()).collect()))
}

pub(super) fn complex_to_real(f: ToReal, x: &Tensor) -> Result<Tensor> {
    let s = ember_cpu::complex::to_real(f, x.dtype(), x.storage(), x.layout())?;
    Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), x.dtype().to_real()))
}

pub(super) fn complex_from_parts(polar: bool, a: &Tensor, b: &Tensor, dt: DType) -> Result<Tensor> {
    let s = ember_cpu::complex::from_parts(polar, dt, a.storage(), a.layout(), b.storage(), b.layout())?;
    Ok(Tensor::from_parts(s, Layout::contiguous(a.shape()), dt))
}

pub(super) fn prod_others(x: &Tensor, rd: &RedDims) -> Result<Tensor> {
    let shape = x.shape();
    let others = ember_cpu::reduce_index::prod_others(x.storage(), x.layout(), x.dtype(), &rd.red)?;
    // The kernel lays rows out as kept dims first, reduced dims last: permute back.
    let order: Vec<usize> = (0..shape.len()).filter(|&i| !rd.red[i]).chain((0..shape.len()).filter(|&i| rd.red[i])).collect();
    let pshape: Vec<usize> = order.iter().map(|&d| shape[d]).collect();
    let mut inv = vec![0i64; order.len()];
    for (p, &d) in order.iter().enumerate() {
        inv[d] = p as i64;
    }
    Tensor::from_parts(others, Layout::contiguous(&pshape), x.dtype()).permute(&inv)
}

pub(super) fn embedding(weight: &Tensor, indices: &Tensor, out_shape: &[usize]) -> Result<Tensor> {
    let (num, dim) = (weight.shape()[0], weight.shape()[1]);
    let (_i, idx) = vals::<i64>(indices)?;
    if let Some(&i) = idx.iter().find(|&&i| i < 0 || i as usize >= num) {
        return Err(Error::index(format!("index out of range in self (index {i}, embedding table has {num} rows)")));
    }
    ember_cpu::with_dtype!(weight.dtype(), T => {
        let (_w, ws) = vals::<T>(weight)?;
        let mut o = Vec::with_capacity(idx.len() * dim);
        for &i in idx {
            o.extend_from_slice(&ws[i as usize * dim..(i as usize + 1) * dim]);
        }
        Tensor::from_vec(o, out_shape)
    })
}

pub(super) fn embedding_backward(go: &Tensor, indices: &Tensor, num: usize, padding_idx: Option<i64>) -> Result<Tensor> {
    let dt = go.dtype();
    let dim = go.shape().last().copied().unwrap_or(0);
    let (_i, idx) = vals::<i64>(indices)?;
    ember_cpu::with_wide_float_dtype!(dt, T => {
        let (_g, gs) = vals::<T>(go)?;
        let mut gw = ember_core::filled_vec(0.0 as T, num * dim);
        for (r, &i) in idx.iter().enumerate() {
            if Some(i) == padding_idx {
                continue;
            }
            let row = &mut gw[i as usize * dim..(i as usize + 1) * dim];
            for (a, &b) in row.iter_mut().zip(&gs[r * dim..(r + 1) * dim]) {
                *a = *a + b;
            }
        }
        // accumulated in float32/float64 (the half types widen to f64); the gradient
        // has go's dtype, as in PyTorch
        Tensor::from_vec(gw, &[num, dim])?.to_dtype(dt)
    }, return Err(ember_cpu::dispatch::unsupported_dtype("embedding_dense_backward", dt)))
}

/// A fresh row-major `shape` tensor of `dtype` with element i = `next(i)`.
fn fill_with(shape: &[usize], dtype: DType, mut next: impl FnMut() -> f64) -> Result<Tensor> {
    let t = Tensor::empty(shape, dtype)?;
    ember_cpu::with_dtype!(dtype, T => {
        let p = t.storage().ptr() as *mut T;
        for i in 0..t.numel() {
            // SAFETY: `t` was just allocated on the host, row-major with offset 0, holding
            // exactly numel() elements of T (its geometry passed `Layout::fits_in`); i < numel.
            unsafe { *p.add(i) = <T as ember_cpu::Element>::from_f64(next()) };
        }
    });
    Ok(t)
}

pub(super) fn random(shape: &[usize], dtype: DType, dist: Dist, g: &mut Generator) -> Result<Tensor> {
    match dist {
        Dist::Uniform { low, high } => fill_with(shape, dtype, || low + (high - low) * g.uniform()),
        Dist::Normal { mean, std } => fill_with(shape, dtype, || mean + std * g.normal()),
        Dist::Below { low, n } => {
            let t = Tensor::empty(shape, dtype)?;
            ember_cpu::with_dtype!(dtype, T => {
                let p = t.storage().ptr() as *mut T;
                for i in 0..t.numel() {
                    // SAFETY: as in `fill_with`.
                    unsafe { *p.add(i) = <T as ember_cpu::Element>::from_i64(low + g.below(n) as i64) };
                }
            });
            Ok(t)
        }
    }
}

pub(super) fn bernoulli(p: &Tensor, dt: DType, g: &mut Generator) -> Result<Tensor> {
    let probs = p.to_vec::<f64>()?;
    if probs.iter().any(|&x| !(0.0..=1.0).contains(&x)) {
        return Err(Error::runtime("Expected p_in >= 0 && p_in <= 1 to be true, but got false."));
    }
    let mut it = probs.iter();
    fill_with(p.shape(), dt, || if g.uniform() < *it.next().unwrap() { 1.0 } else { 0.0 })
}
