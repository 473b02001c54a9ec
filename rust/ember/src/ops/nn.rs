//! Neural-network kernels with their backward formulas: convolution, pooling, embedding and
//! the fused losses (cross entropy = log_softmax + nll in one pass; BCE with logits).
//! Backward passes call native kernels too, so these ops support one level of autograd
//! (no double backward through them).
use crate::autograd::{needs_grad, record, record_saving, SavedTensor};
use crate::dispatch::{self, Family};
use crate::ops::meta;
use crate::{DType, Element, Error, Result, Tensor};
use ember_cpu::conv::{conv2d_backward, conv2d_forward, ConvGeom};
use ember_cpu::pool::{self, PoolGeom, Win};
use num_traits::Float;

/// The elements of a contiguous copy of `t` in dtype `T` (shared when already so).
fn vals<T: Element>(t: &Tensor) -> Result<(Tensor, &'static [T])> {
    // The one place these kernels read data: refuse anything without host values.
    if !t.device().is_host() || t.is_sparse() {
        return Err(dispatch::unsupported("_nn_kernel", Family::of(t.device())));
    }
    let c = t.to_dtype_contiguous(T::DTYPE)?;
    let s = unsafe { std::slice::from_raw_parts((c.storage().ptr() as *const T).add(c.offset()), c.numel()) };
    Ok((c, s))
}

fn float_check(t: &Tensor, op: &str) -> Result<()> {
    if !matches!(t.dtype(), DType::F32 | DType::F64) {
        return Err(Error::runtime(format!("{op}: expected a float32 or float64 input, got {}", t.dtype().name())));
    }
    Ok(())
}

fn zero<T: Float>() -> T {
    T::zero()
}
fn one<T: Float>() -> T {
    T::one()
}
fn cst<T: Float>(x: f64) -> T {
    <T as num_traits::NumCast>::from(x).unwrap()
}

macro_rules! floats {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            DType::F32 => {
                type $T = f32;
                $body
            }
            _ => {
                type $T = f64;
                $body
            }
        }
    };
}

// ---------------------------------------------------------------- convolution
/// Shape-only gradients for the inputs whose flag is set (the meta arm of a backward).
fn meta_grads(want: &[(bool, &[usize], DType)]) -> Result<Vec<Option<Tensor>>> {
    want.iter().map(|&(w, s, dt)| if w { meta::empty(s, dt).map(Some) } else { Ok(None) }).collect()
}

/// Checks conv2d's arguments as PyTorch does and computes the output geometry.
fn conv_geometry(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: (usize, usize),
    pad: [usize; 4],
    dilation: (usize, usize),
    groups: usize,
) -> Result<ConvGeom> {
    float_check(x, "conv2d")?;
    if x.ndim() != 4 || w.ndim() != 4 {
        return Err(Error::runtime(format!(
            "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: {:?} (weight {:?})",
            x.shape(),
            w.shape()
        )));
    }
    let (n, c_in, h, wd) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let (c_out, cig, kh, kw) = (w.shape()[0], w.shape()[1], w.shape()[2], w.shape()[3]);
    if groups == 0 || c_in % groups != 0 || c_out % groups != 0 || cig * groups != c_in {
        return Err(Error::runtime(format!(
            "Given groups={groups}, weight of size {:?}, expected input{:?} to have {} channels, but got {c_in} channels instead",
            w.shape(),
            x.shape(),
            cig * groups
        )));
    }
    if x.dtype() != w.dtype() || b.is_some_and(|b| b.dtype() != x.dtype()) {
        return Err(Error::runtime(format!("Input type ({}) and weight type ({}) should be the same", x.dtype().name(), w.dtype().name())));
    }
    if stride.0 == 0 || stride.1 == 0 || dilation.0 == 0 || dilation.1 == 0 {
        return Err(Error::runtime("conv2d: stride and dilation must be positive"));
    }
    if kh == 0 || kw == 0 {
        return Err(Error::runtime(format!("conv2d: the kernel size must be non-zero, but the weight has size {:?}", w.shape())));
    }
    let span = |size: usize, p0: usize, p1: usize, k: usize, d: usize, s: usize| -> Result<usize> {
        let too_big = || Error::runtime(format!("conv2d: padding {p0}+{p1} or dilation {d} is too large for any input"));
        let eff = d.checked_mul(k - 1).and_then(|e| e.checked_add(1)).ok_or_else(too_big)?;
        let padded = size.checked_add(p0).and_then(|v| v.checked_add(p1)).ok_or_else(too_big)?;
        if padded < eff {
            return Err(Error::runtime(format!(
                "Calculated padded input size per channel: ({}). Kernel size: ({eff}). Kernel size can't be greater than actual input size",
                padded
            )));
        }
        Ok((padded - eff) / s + 1)
    };
    let oh = span(h, pad[0], pad[1], kh, dilation.0, stride.0)?;
    let ow = span(wd, pad[2], pad[3], kw, dilation.1, stride.1)?;
    if let Some(b) = b {
        if b.ndim() != 1 || b.shape()[0] != c_out {
            return Err(Error::runtime(format!(
                "Given weight of size {:?}, expected bias to be 1-dimensional with {c_out} elements, but got bias of size {:?} instead",
                w.shape(),
                b.shape()
            )));
        }
    }
    ember_core::layout::checked_numel(&[n, c_out, oh, ow])?;
    ember_core::layout::checked_numel(&[c_in * kh * kw, oh * ow])?;
    Ok(ConvGeom { n, c_in, h, w: wd, c_out, kh, kw, stride, pad: (pad[0], pad[2]), dilation, groups, oh, ow })
}

/// `conv2d(x (N,Cin,H,W), w (Cout,Cin/g,kh,kw), b)`; `pad` = (top, bottom, left, right).
#[allow(clippy::too_many_arguments)]
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: (usize, usize),
    pad: [usize; 4],
    dilation: (usize, usize),
    groups: usize,
) -> Result<Tensor> {
    // Validation and output geometry first, for every backend: the wgpu path used to return
    // before these checks (a kernel larger than the input gave an empty output there).
    let g = conv_geometry(x, w, b, stride, pad, dilation, groups)?;
    if crate::gpu::on(x) {
        crate::dispatch::common_device(&[x, w])?;
        return crate::gpu::conv2d(x, w, b, stride, pad, dilation, groups);
    }
    let ConvGeom { n, c_out, oh, ow, .. } = g;
    let ins: Vec<&Tensor> = [Some(x), Some(w), b].into_iter().flatten().collect();
    let out = if meta::is_meta("convolution", dispatch::family("convolution", &ins)?)? {
        meta::empty(&[n, c_out, oh, ow], x.dtype())?
    } else {
        floats!(x.dtype(), T => {
        let (_xc, xs) = vals::<T>(x)?;
        let (_wc, ws) = vals::<T>(w)?;
        let bc = b.map(vals::<T>).transpose()?;
        Tensor::from_vec(conv2d_forward(xs, ws, bc.as_ref().map(|b| b.1), &g), &[n, c_out, oh, ow])?
        })
    };
    if needs_grad(&ins) {
        let need = (x.requires_grad(), w.requires_grad(), b.is_some_and(|b| b.requires_grad()));
        let has_b = b.is_some();
        let (sx, sw) = (SavedTensor::input(x), SavedTensor::input(w));
        record_saving("ConvolutionBackward0", &ins, &[&out], vec![sx.clone(), sw.clone()], move |gr: &[Option<Tensor>]| {
            let (x, w) = (sx.unpack("ConvolutionBackward0")?, sw.unpack("ConvolutionBackward0")?);
            let go = gr[0].as_ref().unwrap();
            if go.device() == crate::Device::Meta {
                let dt = x.dtype();
                let mut want = vec![(need.0, x.shape(), dt), (need.1, w.shape(), dt)];
                let cb = [g.c_out];
                if has_b {
                    want.push((need.2, &cb[..], dt));
                }
                return meta_grads(&want);
            }
            let (gx, gw, gb) = floats!(x.dtype(), T => {
                let (_a, xs) = vals::<T>(&x)?;
                let (_b, ws) = vals::<T>(&w)?;
                let (_c, gs) = vals::<T>(go)?;
                let (gx, gw, gb) = conv2d_backward(xs, ws, gs, &g, need);
                (
                    gx.map(|v| Tensor::from_vec(v, x.shape())).transpose()?,
                    gw.map(|v| Tensor::from_vec(v, w.shape())).transpose()?,
                    gb.map(|v| Tensor::from_vec(v, &[g.c_out])).transpose()?,
                )
            });
            let mut r = vec![gx, gw];
            if has_b {
                r.push(gb);
            }
            Ok(r)
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- pooling
fn planes(x: &Tensor, op: &str) -> Result<(usize, usize, usize, Vec<usize>)> {
    float_check(x, op)?;
    if x.ndim() < 3 {
        return Err(Error::runtime(format!("{op}: expected 3D or 4D input, got shape {:?}", x.shape())));
    }
    let nd = x.ndim();
    let (h, w) = (x.shape()[nd - 2], x.shape()[nd - 1]);
    Ok((x.numel() / (h * w).max(1), h, w, x.shape()[..nd - 2].to_vec()))
}

/// PyTorch's pooling output size along one axis, for `ceil_mode` off and on.
fn pool_out(size: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> Option<usize> {
    let eff = d.checked_mul(k.checked_sub(1)?)?.checked_add(1)?;
    let num = size.checked_add(p.checked_mul(2)?)?.checked_sub(eff)?;
    let mut out = if ceil { num.div_ceil(s) } else { num / s } + 1;
    if ceil && (out - 1) * s >= size + p {
        out -= 1;
    }
    Some(out)
}

/// Checks pooling arguments and that the output size Python computed is one PyTorch's rule
/// gives (with or without `ceil_mode`): the kernels index the input with this geometry.
fn check_pool(
    op: &str,
    x: &Tensor,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    dil: (usize, usize),
    out_hw: (usize, usize),
) -> Result<()> {
    let nd = x.ndim();
    if nd < 3 {
        return Err(Error::runtime(format!("{op}: expected 3D or 4D input, got shape {:?}", x.shape())));
    }
    let (h, w) = (x.shape()[nd - 2], x.shape()[nd - 1]);
    for (i, (&kk, &ss, &pp, &dd, &size, &o)) in
        [(&k.0, &stride.0, &pad.0, &dil.0, &h, &out_hw.0), (&k.1, &stride.1, &pad.1, &dil.1, &w, &out_hw.1)].into_iter().enumerate()
    {
        if kk == 0 || ss == 0 || dd == 0 {
            return Err(Error::runtime(format!(
                "{op}: kernel_size, stride and dilation must be greater than zero, but got kernel_size={kk}, stride={ss}, dilation={dd} (dim {i})"
            )));
        }
        if pp > kk / 2 {
            return Err(Error::runtime(format!(
                "pad should be at most half of effective kernel size, but got pad={pp}, kernel_size={kk} and dilation={dd}"
            )));
        }
        let valid = [false, true].iter().any(|&c| pool_out(size, kk, ss, pp, dd, c) == Some(o));
        if !valid || o == 0 {
            return Err(Error::runtime(format!(
                "Given input size: ({size}). Calculated output size: ({o}). Output size is too small or does not match kernel_size={kk}, stride={ss}, padding={pp}, dilation={dd}"
            )));
        }
    }
    Ok(())
}

/// `max_pool2d` with indices (flat `iy·W + ix` per input plane). Geometry comes from Python
/// (which applies ceil_mode and validates the padding).
pub fn max_pool2d(
    x: &Tensor,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    dilation: (usize, usize),
    out_hw: (usize, usize),
) -> Result<(Tensor, Tensor)> {
    check_pool("max_pool2d", x, k, stride, pad, dilation, out_hw)?;
    if crate::gpu::on(x) {
        return crate::gpu::max_pool2d(x, k, stride, pad, dilation, out_hw);
    }
    let (np, h, w, lead) = planes(x, "max_pool2d")?;
    let g = PoolGeom { planes: np, h, w, oh: out_hw.0, ow: out_hw.1, k, stride, pad, dilation };
    let mut shape = lead.clone();
    shape.extend([out_hw.0, out_hw.1]);
    let (out, idx) = if meta::is_meta("max_pool2d_with_indices", dispatch::family("max_pool2d_with_indices", &[x])?)? {
        (meta::empty(&shape, x.dtype())?, meta::empty(&shape, DType::I64)?)
    } else {
        floats!(x.dtype(), T => {
            let (_c, xs) = vals::<T>(x)?;
            let (o, i) = pool::max_pool2d(xs, &g);
            (Tensor::from_vec(o, &shape)?, Tensor::from_vec(i, &shape)?)
        })
    };
    if needs_grad(&[x]) {
        let (xshape, dt) = (x.shape().to_vec(), x.dtype());
        let si = SavedTensor::output(&idx);
        let sic = si.clone();
        record_saving("MaxPool2DWithIndicesBackward0", &[x], &[&out], vec![si], move |gr: &[Option<Tensor>]| {
            let idx = sic.unpack("MaxPool2DWithIndicesBackward0")?;
            let go = gr[0].as_ref().unwrap();
            if go.device() == crate::Device::Meta {
                return meta_grads(&[(true, &xshape, dt)]);
            }
            let (_i, is) = vals::<i64>(&idx)?;
            floats!(dt, T => {
                let (_g, gs) = vals::<T>(go)?;
                Ok(vec![Some(Tensor::from_vec(pool::max_pool2d_backward(gs, is, &g), &xshape)?)])
            })
        });
    }
    Ok((out, idx))
}

fn avg_common(x: &Tensor, hw: Vec<Win>, ww: Vec<Win>, divisor: Option<f64>, name: &'static str) -> Result<Tensor> {
    let (np, h, w, mut shape) = planes(x, name)?;
    shape.extend([hw.len(), ww.len()]);
    let out = if meta::is_meta("avg_pool2d", dispatch::family("avg_pool2d", &[x])?)? {
        meta::empty(&shape, x.dtype())?
    } else {
        floats!(x.dtype(), T => {
            let (_c, xs) = vals::<T>(x)?;
            Tensor::from_vec(pool::avg_pool2d(xs, np, h, w, &hw, &ww, divisor), &shape)?
        })
    };
    if needs_grad(&[x]) {
        let (xshape, dt) = (x.shape().to_vec(), x.dtype());
        record(name, &[x], &[&out], move |gr: &[Option<Tensor>]| {
            let go = gr[0].as_ref().unwrap();
            if go.device() == crate::Device::Meta {
                return meta_grads(&[(true, &xshape, dt)]);
            }
            floats!(dt, T => {
                let (_g, gs) = vals::<T>(go)?;
                Ok(vec![Some(Tensor::from_vec(pool::avg_pool2d_backward(gs, np, h, w, &hw, &ww, divisor), &xshape)?)])
            })
        });
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
pub fn avg_pool2d(
    x: &Tensor,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    out_hw: (usize, usize),
    count_include_pad: bool,
    divisor: Option<f64>,
) -> Result<Tensor> {
    check_pool("avg_pool2d", x, k, stride, pad, (1, 1), out_hw)?;
    let (_, h, w, _) = planes(x, "avg_pool2d")?;
    let hw = pool::fixed_windows(h, out_hw.0, k.0, stride.0, pad.0, count_include_pad);
    let ww = pool::fixed_windows(w, out_hw.1, k.1, stride.1, pad.1, count_include_pad);
    avg_common(x, hw, ww, divisor, "AvgPool2DBackward0")
}

pub fn adaptive_avg_pool2d(x: &Tensor, out_hw: (usize, usize)) -> Result<Tensor> {
    let (_, h, w, mut shape) = planes(x, "adaptive_avg_pool2d")?;
    if out_hw.0 == 0 || out_hw.1 == 0 {
        return Err(Error::runtime("adaptive_avg_pool2d: output size must be positive"));
    }
    shape.extend([out_hw.0, out_hw.1]);
    ember_core::layout::checked_numel(&shape)?;
    avg_common(x, pool::adaptive_windows(h, out_hw.0), pool::adaptive_windows(w, out_hw.1), None, "AdaptiveAvgPool2DBackward0")
}

// ---------------------------------------------------------------- embedding
/// Rows of `weight (num, dim)` picked by integer `indices`; the backward sums gradients per
/// row and leaves `padding_idx`'s row at zero.
pub fn embedding(weight: &Tensor, indices: &Tensor, padding_idx: Option<i64>) -> Result<Tensor> {
    if indices.dtype().is_float() || indices.dtype() == DType::Bool {
        return Err(Error::runtime(format!(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got {} instead",
            indices.dtype().name()
        )));
    }
    if weight.ndim() != 2 {
        return Err(Error::runtime("'weight' must be 2-D"));
    }
    let (num, dim) = (weight.shape()[0], weight.shape()[1]);
    if crate::gpu::on(weight) {
        return crate::gpu::loss::embedding(weight, indices, padding_idx);
    }
    if meta::is_meta("embedding", dispatch::family("embedding", &[weight, indices])?)? {
        // Index range checks need the values: skipped, as PyTorch's meta kernel does.
        let mut shape = indices.shape().to_vec();
        shape.push(dim);
        let out = meta::empty(&shape, weight.dtype())?;
        if needs_grad(&[weight]) {
            let dt = weight.dtype();
            record("EmbeddingBackward0", &[weight], &[&out], move |_: &[Option<Tensor>]| meta_grads(&[(true, &[num, dim], dt)]));
        }
        return Ok(out);
    }
    let (_i, idx) = vals::<i64>(indices)?;
    for &i in idx {
        if i < 0 || i as usize >= num {
            return Err(Error::index(format!("index out of range in self (index {i}, embedding table has {num} rows)")));
        }
    }
    let mut shape = indices.shape().to_vec();
    shape.push(dim);
    let out = ember_cpu::with_dtype!(weight.dtype(), T => {
        let (_w, ws) = vals::<T>(weight)?;
        let mut o = Vec::with_capacity(idx.len() * dim);
        for &i in idx {
            o.extend_from_slice(&ws[i as usize * dim..(i as usize + 1) * dim]);
        }
        Tensor::from_vec(o, &shape)?
    });
    if needs_grad(&[weight]) {
        let ind = indices.to_dtype_contiguous(DType::I64)?;
        let dt = weight.dtype();
        record("EmbeddingBackward0", &[weight], &[&out], move |gr: &[Option<Tensor>]| {
            let go = gr[0].as_ref().unwrap();
            let (_i, idx) = vals::<i64>(&ind)?;
            floats!(dt, T => {
                let (_g, gs) = vals::<T>(go)?;
                let mut gw = ember_core::filled_vec(zero::<T>(), num * dim);
                for (r, &i) in idx.iter().enumerate() {
                    if Some(i) == padding_idx {
                        continue;
                    }
                    let row = &mut gw[i as usize * dim..(i as usize + 1) * dim];
                    for (a, &b) in row.iter_mut().zip(&gs[r * dim..(r + 1) * dim]) {
                        *a = *a + b;
                    }
                }
                // Accumulated in f32/f64 (`floats!` widens half types); the gradient has the
                // weight's dtype, as in PyTorch.
                Ok(vec![Some(Tensor::from_vec(gw, &[num, dim])?.to_dtype(dt)?)])
            })
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- losses
/// Reduction codes as PyTorch's `Reduction` enum: 0 none, 1 mean, 2 sum.
pub fn reduction_code(s: &str) -> Result<u8> {
    match s {
        "none" => Ok(0),
        "mean" => Ok(1),
        "sum" => Ok(2),
        _ => Err(Error::value(format!("{s} is not a valid value for reduction"))),
    }
}

fn check_targets(idx: &[i64], c: usize, ignore: i64) -> Result<()> {
    for &t in idx {
        if t != ignore && (t < 0 || t as usize >= c) {
            return Err(Error::index(format!("Target {t} is out of bounds.")));
        }
    }
    Ok(())
}

/// Per-row quantities of (label-smoothed, weighted) cross entropy on `(N, C)` logits:
/// loss_i = (1−ε)·(−w_t·lp_it) + ε/C·(−Σ_c w_c·lp_ic); the mean divides by Σ w_t over kept rows.
/// `lp` is log_softmax computed with the max subtracted (stable).
fn ce_rows<T: Float>(x: &[T], c: usize, t: &[i64], w: Option<&[T]>, ignore: i64, eps: f64) -> (Vec<T>, T) {
    let n = t.len();
    let mut loss = vec![zero::<T>(); n];
    let mut denom = zero::<T>();
    let (e, ec) = (cst::<T>(1.0 - eps), cst::<T>(eps / c as f64));
    for i in 0..n {
        if t[i] == ignore {
            continue;
        }
        let row = &x[i * c..(i + 1) * c];
        let m = row.iter().fold(<T as Float>::neg_infinity(), |a: T, &b| a.max(b));
        let lse = m + row.iter().fold(zero::<T>(), |a, &b| a + (b - m).exp()).ln();
        let wt = w.map_or(one::<T>(), |w| w[t[i] as usize]);
        let mut l = -wt * (row[t[i] as usize] - lse) * e;
        if eps > 0.0 {
            let s = (0..c).fold(zero::<T>(), |a, j| a + w.map_or(one::<T>(), |w| w[j]) * (row[j] - lse));
            l = l - ec * s;
        }
        loss[i] = l;
        denom = denom + wt;
    }
    (loss, denom)
}

fn reduce_rows<T: Float + Element>(loss: Vec<T>, denom: T, red: u8) -> Result<Tensor> {
    Ok(match red {
        0 => {
            let n = loss.len();
            Tensor::from_vec(loss, &[n])?
        }
        r => {
            let s = loss.iter().fold(zero::<T>(), |a, &b| a + b);
            Tensor::from_vec(vec![if r == 1 { s / denom } else { s }], &[])?
        }
    })
}

/// Fused `cross_entropy(x (N,C), target (N,) class indices)`.
pub fn cross_entropy(x: &Tensor, target: &Tensor, weight: Option<&Tensor>, red: u8, ignore: i64, eps: f64) -> Result<Tensor> {
    float_check(x, "cross_entropy")?;
    if x.ndim() != 2 || target.ndim() != 1 {
        return Err(Error::runtime(format!(
            "cross_entropy (fused): expected (N, C) input and (N,) target, got {:?} and {:?}",
            x.shape(),
            target.shape()
        )));
    }
    let (n, c) = (x.shape()[0], x.shape()[1]);
    if target.shape()[0] != n {
        return Err(Error::value(format!("Expected input batch_size ({n}) to match target batch_size ({}).", target.shape()[0])));
    }
    if weight.is_some_and(|w| w.numel() != c) {
        return Err(Error::runtime(format!(
            "weight tensor should be defined either for all {c} classes or no classes but got weight tensor of shape: {:?}",
            weight.unwrap().shape()
        )));
    }
    if crate::gpu::on(x) {
        return crate::gpu::loss::cross_entropy(x, target, weight, red, ignore, eps);
    }
    let fam_ins: Vec<&Tensor> = [Some(x), Some(target), weight].into_iter().flatten().collect();
    if meta::is_meta("cross_entropy_loss", dispatch::family("cross_entropy_loss", &fam_ins)?)? {
        let shape: Vec<usize> = if red == 0 { vec![n] } else { vec![] };
        let out = meta::empty(&shape, x.dtype())?;
        if needs_grad(&[x]) {
            let dt = x.dtype();
            record("NllLossBackward0", &[x], &[&out], move |_: &[Option<Tensor>]| meta_grads(&[(true, &[n, c], dt)]));
        }
        return Ok(out);
    }
    let tc = target.to_dtype_contiguous(DType::I64)?;
    let (_t, ts) = vals::<i64>(&tc)?;
    check_targets(ts, c, ignore)?;
    let wc = weight.map(|w| w.to_dtype_contiguous(x.dtype())).transpose()?;
    let out = floats!(x.dtype(), T => {
        let (_x, xs) = vals::<T>(x)?;
        let ws = wc.as_ref().map(vals::<T>).transpose()?;
        let (loss, denom) = ce_rows(xs, c, ts, ws.as_ref().map(|w| w.1), ignore, eps);
        reduce_rows(loss, denom, red)?
    });
    if needs_grad(&[x]) {
        let sx = SavedTensor::input(x);
        let sxc = sx.clone();
        record_saving("NllLossBackward0", &[x], &[&out], vec![sx], move |gr: &[Option<Tensor>]| {
            let x = sxc.unpack("NllLossBackward0")?;
            let go = gr[0].as_ref().unwrap();
            let (_t, ts) = vals::<i64>(&tc)?;
            floats!(x.dtype(), T => {
                let (_x, xs) = vals::<T>(&x)?;
                let ws = wc.as_ref().map(vals::<T>).transpose()?;
                let w = ws.as_ref().map(|w| w.1);
                let (_g, gs) = vals::<T>(go)?;
                let denom = if red == 1 { ce_rows(xs, c, ts, w, ignore, eps).1 } else { one::<T>() };
                let (e, ec) = (cst::<T>(1.0 - eps), cst::<T>(eps / c as f64));
                let mut gx = ember_core::filled_vec(zero::<T>(), n * c);
                for i in 0..n {
                    if ts[i] == ignore {
                        continue;
                    }
                    let gi = if red == 0 { gs[i] } else { gs[0] / denom };
                    let row = &xs[i * c..(i + 1) * c];
                    let m = row.iter().fold(<T as Float>::neg_infinity(), |a: T, &b| a.max(b));
                    let z = row.iter().fold(zero::<T>(), |a, &b| a + (b - m).exp());
                    let t = ts[i] as usize;
                    // d loss / d lp_j = −(1−ε)·w_t·[j=t] − ε/C·w_j;  d x_j = dlp_j − softmax_j·Σ dlp.
                    let wt = w.map_or(one::<T>(), |w| w[t]);
                    let mut sum_dlp = -e * wt;
                    if eps > 0.0 {
                        sum_dlp = sum_dlp - ec * (0..c).fold(zero::<T>(), |a, j| a + w.map_or(one::<T>(), |w| w[j]));
                    }
                    let gr = &mut gx[i * c..(i + 1) * c];
                    for j in 0..c {
                        let mut dlp = if j == t { -e * wt } else { zero::<T>() };
                        if eps > 0.0 {
                            dlp = dlp - ec * w.map_or(one::<T>(), |w| w[j]);
                        }
                        let sm = (row[j] - m).exp() / z;
                        gr[j] = gi * (dlp - sm * sum_dlp);
                    }
                }
                Ok(vec![Some(Tensor::from_vec(gx, &[n, c])?)])
            })
        });
    }
    Ok(out)
}

/// `nll_loss(lp (N,C), target (N,))`: −w_t·lp_it, mean divided by Σ w_t.
pub fn nll_loss(x: &Tensor, target: &Tensor, weight: Option<&Tensor>, red: u8, ignore: i64) -> Result<Tensor> {
    float_check(x, "nll_loss")?;
    if x.ndim() != 2 || target.ndim() != 1 {
        return Err(Error::runtime(format!(
            "nll_loss: expected (N, C) input and (N,) target, got {:?} and {:?}",
            x.shape(),
            target.shape()
        )));
    }
    let (n, c) = (x.shape()[0], x.shape()[1]);
    if target.shape()[0] != n {
        return Err(Error::value(format!("Expected input batch_size ({n}) to match target batch_size ({}).", target.shape()[0])));
    }
    if weight.is_some_and(|w| w.numel() != c) {
        return Err(Error::runtime(format!(
            "weight tensor should be defined either for all {c} classes or no classes but got weight tensor of shape: {:?}",
            weight.unwrap().shape()
        )));
    }
    if crate::gpu::on(x) {
        return crate::gpu::loss::nll_loss(x, target, weight, red, ignore);
    }
    let fam_ins: Vec<&Tensor> = [Some(x), Some(target), weight].into_iter().flatten().collect();
    if meta::is_meta("nll_loss", dispatch::family("nll_loss", &fam_ins)?)? {
        let shape: Vec<usize> = if red == 0 { vec![n] } else { vec![] };
        let out = meta::empty(&shape, x.dtype())?;
        if needs_grad(&[x]) {
            let dt = x.dtype();
            record("NllLossBackward0", &[x], &[&out], move |_: &[Option<Tensor>]| meta_grads(&[(true, &[n, c], dt)]));
        }
        return Ok(out);
    }
    let tc = target.to_dtype_contiguous(DType::I64)?;
    let (_t, ts) = vals::<i64>(&tc)?;
    check_targets(ts, c, ignore)?;
    let wc = weight.map(|w| w.to_dtype_contiguous(x.dtype())).transpose()?;
    let dt = x.dtype();
    let out = floats!(dt, T => {
        let (_x, xs) = vals::<T>(x)?;
        let ws = wc.as_ref().map(vals::<T>).transpose()?;
        let w = ws.as_ref().map(|w| w.1);
        let mut denom = zero::<T>();
        let loss: Vec<T> = (0..n).map(|i| {
            if ts[i] == ignore { return zero::<T>(); }
            let wt = w.map_or(one::<T>(), |w| w[ts[i] as usize]);
            denom = denom + wt;
            -wt * xs[i * c + ts[i] as usize]
        }).collect();
        reduce_rows(loss, denom, red)?
    });
    if needs_grad(&[x]) {
        record("NllLossBackward0", &[x], &[&out], move |gr: &[Option<Tensor>]| {
            let go = gr[0].as_ref().unwrap();
            let (_t, ts) = vals::<i64>(&tc)?;
            floats!(dt, T => {
                let ws = wc.as_ref().map(vals::<T>).transpose()?;
                let w = ws.as_ref().map(|w| w.1);
                let (_g, gs) = vals::<T>(go)?;
                let wt = |i: usize| w.map_or(one::<T>(), |w| w[ts[i] as usize]);
                let denom = if red == 1 { (0..n).filter(|&i| ts[i] != ignore).fold(zero::<T>(), |a, i| a + wt(i)) } else { one::<T>() };
                let mut gx = ember_core::filled_vec(zero::<T>(), n * c);
                for i in 0..n {
                    if ts[i] != ignore {
                        let g = if red == 0 { gs[i] } else { gs[0] / denom };
                        gx[i * c + ts[i] as usize] = -wt(i) * g;
                    }
                }
                Ok(vec![Some(Tensor::from_vec(gx, &[n, c])?)])
            })
        });
    }
    Ok(out)
}

/// Stable `binary_cross_entropy_with_logits`: with L = 1 + (pw − 1)·y,
/// loss = w·((1 − y)·x + L·(log(1 + e^(−|x|)) + max(−x, 0))),  d/dx = w·(L·σ(x) − pw·y).
/// `x`, `y`, `w` and `pos_weight` are broadcast to x's shape by the caller.
pub fn bce_with_logits(x: &Tensor, y: &Tensor, w: Option<&Tensor>, pw: Option<&Tensor>, red: u8) -> Result<Tensor> {
    float_check(x, "binary_cross_entropy_with_logits")?;
    if y.shape() != x.shape() {
        return Err(Error::value(format!("Target size ({:?}) must be the same as input size ({:?})", y.shape(), x.shape())));
    }
    if crate::gpu::on(x) {
        return crate::gpu::loss::bce_with_logits(x, y, w, pw, red);
    }
    let dt = x.dtype();
    let fam_ins: Vec<&Tensor> = [Some(x), Some(y), w, pw].into_iter().flatten().collect();
    if meta::is_meta("binary_cross_entropy_with_logits", dispatch::family("binary_cross_entropy_with_logits", &fam_ins)?)? {
        let shape: Vec<usize> = if red == 0 { x.shape().to_vec() } else { vec![] };
        let out = meta::empty(&shape, dt)?;
        if needs_grad(&[x]) {
            let xs = x.shape().to_vec();
            record("BinaryCrossEntropyWithLogitsBackward0", &[x], &[&out], move |_: &[Option<Tensor>]| meta_grads(&[(true, &xs, dt)]));
        }
        return Ok(out);
    }
    let yc = y.to_dtype_contiguous(dt)?;
    let wc = w.map(|w| w.to_dtype_contiguous(dt)).transpose()?;
    let pc = pw.map(|p| p.to_dtype_contiguous(dt)).transpose()?;
    let n = x.numel();
    let shape = x.shape().to_vec();
    let out = floats!(dt, T => {
        let (_x, xs) = vals::<T>(x)?;
        let (_y, ys) = vals::<T>(&yc)?;
        let ws = wc.as_ref().map(vals::<T>).transpose()?;
        let ps = pc.as_ref().map(vals::<T>).transpose()?;
        let loss: Vec<T> = (0..n).map(|i| {
            let (xv, yv) = (xs[i], ys[i]);
            let l = one::<T>() + (ps.as_ref().map_or(one::<T>(), |p| p.1[i]) - one::<T>()) * yv;
            let sp = (one::<T>() + (-xv.abs()).exp()).ln() + (-xv).max(zero::<T>());
            ws.as_ref().map_or(one::<T>(), |w| w.1[i]) * ((one::<T>() - yv) * xv + l * sp)
        }).collect();
        let denom = cst::<T>(n.max(1) as f64);
        if red == 0 { Tensor::from_vec(loss, &shape)? } else { reduce_rows(loss, denom, red)? }
    });
    if needs_grad(&[x]) {
        let sx = SavedTensor::input(x);
        let sxc = sx.clone();
        record_saving("BinaryCrossEntropyWithLogitsBackward0", &[x], &[&out], vec![sx], move |gr: &[Option<Tensor>]| {
            let x = sxc.unpack("BinaryCrossEntropyWithLogitsBackward0")?;
            let go = gr[0].as_ref().unwrap();
            floats!(dt, T => {
                let (_x, xs) = vals::<T>(&x)?;
                let (_y, ys) = vals::<T>(&yc)?;
                let ws = wc.as_ref().map(vals::<T>).transpose()?;
                let ps = pc.as_ref().map(vals::<T>).transpose()?;
                let (_g, gs) = vals::<T>(go)?;
                let scale = if red == 1 { one::<T>() / cst::<T>(n.max(1) as f64) } else { one::<T>() };
                let gx: Vec<T> = (0..n).map(|i| {
                    let (xv, yv) = (xs[i], ys[i]);
                    let p = ps.as_ref().map_or(one::<T>(), |p| p.1[i]);
                    let l = one::<T>() + (p - one::<T>()) * yv;
                    let sig = one::<T>() / (one::<T>() + (-xv).exp());
                    let g = if red == 0 { gs[i] } else { gs[0] * scale };
                    g * ws.as_ref().map_or(one::<T>(), |w| w.1[i]) * (l * sig - p * yv)
                }).collect();
                Ok(vec![Some(Tensor::from_vec(gx, &shape)?)])
            })
        });
    }
    Ok(out)
}
