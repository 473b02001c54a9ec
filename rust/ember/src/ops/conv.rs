//! 2-d convolution. Validation and output geometry are computed once here for every backend,
//! then the backend runs the kernel, then autograd is recorded. The backward is built from
//! two differentiable ops (`conv2d_input_grad`, `conv2d_weight_grad`) whose own backwards are
//! convolutions again, so double backward (gradgradcheck) works on every backend.
use crate::autograd::{needs_grad, record_saving, SavedTensor};
use crate::backend::{Conv2d, ConvGeom};
use crate::ops::nn::float_check;
use crate::{dispatch, Error, Result, Tensor};

/// Checks conv2d's arguments as PyTorch does and computes the output geometry.
fn conv_geometry(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: (usize, usize),
    pad: [usize; 4],
    dilation: (usize, usize),
    groups: usize,
) -> Result<Conv2d> {
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
    let g = ConvGeom { n, c_in, h, w: wd, c_out, kh, kw, stride, pad: (pad[0], pad[2]), dilation, groups, oh, ow };
    Ok(Conv2d { g, pad })
}

/// The padding of each spatial dim as (before, after) for PyTorch's string paddings:
/// `"valid"` (none) or `"same"` (the output keeps the input's size: `dilation·(k−1)` split in
/// two, the odd element after, as PyTorch does; stride 1 only).
pub fn string_padding(mode: &str, kernel: &[usize], dilation: &[usize], stride: &[usize]) -> Result<Vec<(usize, usize)>> {
    match mode {
        "valid" => Ok(vec![(0, 0); kernel.len()]),
        "same" => {
            if stride.iter().any(|&s| s != 1) {
                return Err(Error::runtime("padding='same' is not supported for strided convolutions"));
            }
            Ok(kernel
                .iter()
                .zip(dilation)
                .map(|(&k, &d)| {
                    let total = d.saturating_mul(k.saturating_sub(1));
                    (total / 2, total - total / 2)
                })
                .collect())
        }
        _ => Err(Error::Value(format!("Invalid padding string '{mode}', should be one of {{'valid', 'same'}}"))),
    }
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
    let c = conv_geometry(x, w, b, stride, pad, dilation, groups)?;
    convolution(x, w, b, &c)
}

/// conv2d of an already validated geometry (also the double backward's forward).
pub fn convolution(x: &Tensor, w: &Tensor, b: Option<&Tensor>, c: &Conv2d) -> Result<Tensor> {
    let ins: Vec<&Tensor> = [Some(x), Some(w), b].into_iter().flatten().collect();
    let out = dispatch::backend("convolution", &ins)?.conv2d(x, w, b, c)?;
    if needs_grad(&ins) {
        let need = (x.requires_grad(), w.requires_grad(), b.is_some_and(|b| b.requires_grad()));
        let (has_b, c) = (b.is_some(), *c);
        let (sx, sw) = (SavedTensor::input(x), SavedTensor::input(w));
        record_saving("ConvolutionBackward0", &ins, &[&out], vec![sx.clone(), sw.clone()], move |gr: &[Option<Tensor>]| {
            let (x, w) = (sx.unpack("ConvolutionBackward0")?, sw.unpack("ConvolutionBackward0")?);
            let go = gr[0].as_ref().unwrap();
            let gx = if need.0 { Some(conv2d_input_grad(go, &w, &c)?) } else { None };
            let gw = if need.1 { Some(conv2d_weight_grad(&x, go, &c)?) } else { None };
            let mut r = vec![gx, gw];
            if has_b {
                r.push(if need.2 { Some(go.sum_dims(&[0, 2, 3], false, None)?) } else { None });
            }
            Ok(r)
        });
    }
    Ok(out)
}

/// The input gradient of conv2d (a transposed convolution of `go` with `w`). Linear in both
/// arguments: d/dgo is the convolution with `w`, d/dw the weight gradient of (gg, go).
pub fn conv2d_input_grad(go: &Tensor, w: &Tensor, c: &Conv2d) -> Result<Tensor> {
    let out = dispatch::backend("convolution_backward", &[go, w])?.conv2d_input_grad(go, w, c)?;
    if needs_grad(&[go, w]) {
        let (need, c) = ((go.requires_grad(), w.requires_grad()), *c);
        let (sg, sw) = (SavedTensor::input(go), SavedTensor::input(w));
        let name = "ConvolutionBackwardBackward0";
        record_saving(name, &[go, w], &[&out], vec![sg.clone(), sw.clone()], move |gr: &[Option<Tensor>]| {
            let (go, w) = (sg.unpack(name)?, sw.unpack(name)?);
            let gg = gr[0].as_ref().unwrap();
            let d_go = if need.0 { Some(convolution(gg, &w, None, &c)?) } else { None };
            let d_w = if need.1 { Some(conv2d_weight_grad(gg, &go, &c)?) } else { None };
            Ok(vec![d_go, d_w])
        });
    }
    Ok(out)
}

/// The weight gradient of conv2d for input `x` and output gradient `go`. Linear in both:
/// d/dx is the input gradient of (go, gg), d/dgo the convolution of `x` with gg.
pub fn conv2d_weight_grad(x: &Tensor, go: &Tensor, c: &Conv2d) -> Result<Tensor> {
    let out = dispatch::backend("convolution_backward", &[x, go])?.conv2d_weight_grad(x, go, c)?;
    if needs_grad(&[x, go]) {
        let (need, c) = ((x.requires_grad(), go.requires_grad()), *c);
        let (sx, sg) = (SavedTensor::input(x), SavedTensor::input(go));
        let name = "ConvolutionBackwardBackward0";
        record_saving(name, &[x, go], &[&out], vec![sx.clone(), sg.clone()], move |gr: &[Option<Tensor>]| {
            let (x, go) = (sx.unpack(name)?, sg.unpack(name)?);
            let gg = gr[0].as_ref().unwrap();
            let d_x = if need.0 { Some(conv2d_input_grad(&go, gg, &c)?) } else { None };
            let d_go = if need.1 { Some(convolution(&x, gg, None, &c)?) } else { None };
            Ok(vec![d_x, d_go])
        });
    }
    Ok(out)
}
