//! 2-d max and average pooling. Arguments and output geometry are checked once here for
//! every backend; each backward is a differentiable op (max: a scatter whose own backward is a
//! gather; average: the pooling's transpose, whose backward is the pooling again), so double
//! backward works.
use crate::autograd::{needs_grad, record, record_saving, SavedTensor};
use crate::backend::{AvgWindows, PoolGeom};
use crate::ops::nn::float_check;
use crate::{dispatch, Error, Result, Tensor};
use ember_cpu::pool;

fn planes(x: &Tensor, op: &str) -> Result<(usize, usize, usize, Vec<usize>)> {
    float_check(x, op)?;
    if x.ndim() < 3 {
        return Err(Error::runtime(format!("{op}: expected 3D or 4D input, got shape {:?}", x.shape())));
    }
    let nd = x.ndim();
    let (h, w) = (x.shape()[nd - 2], x.shape()[nd - 1]);
    Ok((x.numel() / (h * w).max(1), h, w, x.shape()[..nd - 2].to_vec()))
}

/// PyTorch's pooling output size along one axis: ⌊(size + 2p − d·(k−1) − 1) / s⌋ + 1, the
/// division rounded up with `ceil_mode` (toward −∞ otherwise, so a window larger than the
/// padded input gives 0 or less), and with `ceil_mode` the last window must still start
/// inside the input or its left padding.
pub fn pool_output_size(size: usize, k: usize, s: usize, p: usize, d: usize, ceil_mode: bool) -> i64 {
    let (size, k, s, p, d) = (size as i128, k as i128, s as i128, p as i128, d as i128);
    let num = size + 2 * p - d * (k - 1) - 1 + if ceil_mode { s - 1 } else { 0 };
    let mut out = num.div_euclid(s) + 1;
    if ceil_mode && (out - 1) * s >= size + p {
        out -= 1;
    }
    out.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Checks pooling arguments as PyTorch does (same order, same texts) and returns the output
/// height and width; every backend indexes the input with this geometry.
fn pool_geometry(
    x: &Tensor,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    dil: (usize, usize),
    ceil_mode: bool,
) -> Result<(usize, usize)> {
    let nd = x.ndim();
    if nd < 3 {
        return Err(Error::runtime(format!("Expected 3D or 4D (batch mode) tensor for input, but got: {:?}", x.shape())));
    }
    if stride.0 == 0 || stride.1 == 0 {
        return Err(Error::runtime("stride should not be zero"));
    }
    if k.0 == 0 || k.1 == 0 {
        return Err(Error::runtime(format!("kernel size should be greater than zero, but got kH: {} kW: {}", k.0, k.1)));
    }
    if dil.0 == 0 || dil.1 == 0 {
        return Err(Error::runtime(format!("dilation should be greater than zero, but got dilationH: {} dilationW: {}", dil.0, dil.1)));
    }
    for (kk, pp, dd) in [(k.0, pad.0, dil.0), (k.1, pad.1, dil.1)] {
        if pp > kk / 2 {
            return Err(Error::runtime(format!(
                "pad should be at most half of effective kernel size, but got pad={pp}, kernel_size={kk} and dilation={dd}"
            )));
        }
    }
    let o = pool_output_sizes(&x.shape()[nd - 3..], &[k.0, k.1], &[stride.0, stride.1], &[pad.0, pad.1], &[dil.0, dil.1], ceil_mode)?;
    Ok((o[0], o[1]))
}

/// The output sizes of a pooling over the trailing `k.len()` dims of `shape` (channels
/// first), or PyTorch's "Output size is too small" error naming the input and output sizes.
pub fn pool_output_sizes(shape: &[usize], k: &[usize], s: &[usize], p: &[usize], d: &[usize], ceil_mode: bool) -> Result<Vec<usize>> {
    let n = k.len();
    if shape.len() <= n || [s.len(), p.len(), d.len()].iter().any(|&l| l != n) {
        return Err(Error::runtime(format!(
            "pooling: expected {n} kernel sizes, strides, paddings and dilations over a {}-d input",
            shape.len()
        )));
    }
    if s.contains(&0) {
        return Err(Error::runtime("stride should not be zero"));
    }
    if k.contains(&0) || d.contains(&0) {
        return Err(Error::runtime(format!(
            "kernel size and dilation should be greater than zero, but got kernel_size={k:?} and dilation={d:?}"
        )));
    }
    if let Some(i) = (0..n).find(|&i| p[i] > k[i] / 2) {
        return Err(Error::runtime(format!(
            "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}",
            p[i], k[i], d[i]
        )));
    }
    let sp = &shape[shape.len() - n..];
    let outs: Vec<i64> = (0..n).map(|i| pool_output_size(sp[i], k[i], s[i], p[i], d[i], ceil_mode)).collect();
    if outs.iter().any(|&o| o < 1) {
        let c = shape[shape.len() - n - 1];
        let fmt = |v: Vec<String>| std::iter::once(c.to_string()).chain(v).collect::<Vec<_>>().join("x");
        return Err(Error::runtime(format!(
            "Given input size: ({}). Calculated output size: ({}). Output size is too small",
            fmt(sp.iter().map(|v| v.to_string()).collect()),
            fmt(outs.iter().map(|v| v.to_string()).collect())
        )));
    }
    Ok(outs.into_iter().map(|o| o as usize).collect())
}

/// `max_pool2d` with indices (flat `iy·W + ix` per input plane), PyTorch's arguments.
pub fn max_pool2d(
    x: &Tensor,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    dilation: (usize, usize),
    ceil_mode: bool,
) -> Result<(Tensor, Tensor)> {
    let out_hw = pool_geometry(x, k, stride, pad, dilation, ceil_mode)?;
    let (np, h, w, mut shape) = planes(x, "max_pool2d")?;
    shape.extend([out_hw.0, out_hw.1]);
    let g = PoolGeom { planes: np, h, w, oh: out_hw.0, ow: out_hw.1, k, stride, pad, dilation };
    let (out, idx) = dispatch::backend("max_pool2d_with_indices", &[x])?.max_pool2d(x, &g, &shape)?;
    if needs_grad(&[x]) {
        let xshape = x.shape().to_vec();
        let si = SavedTensor::output(&idx);
        let sic = si.clone();
        record_saving("MaxPool2DWithIndicesBackward0", &[x], &[&out], vec![si], move |gr: &[Option<Tensor>]| {
            let idx = sic.unpack("MaxPool2DWithIndicesBackward0")?;
            Ok(vec![Some(max_pool2d_backward(gr[0].as_ref().unwrap(), &idx, &g, &xshape)?)])
        });
    }
    Ok((out, idx))
}

/// The max pool's backward: `go` scattered to the input positions `idx` names. Linear in
/// `go`; its own backward gathers the incoming gradient at `idx`.
pub fn max_pool2d_backward(go: &Tensor, idx: &Tensor, g: &PoolGeom, x_shape: &[usize]) -> Result<Tensor> {
    let gx = dispatch::backend("max_pool2d_with_indices_backward", &[go, idx])?.max_pool2d_backward(go, idx, g, x_shape)?;
    if needs_grad(&[go]) {
        let (idx, g, go_shape) = (idx.detach(), *g, go.shape().iter().map(|&d| d as i64).collect::<Vec<_>>());
        record("MaxPool2DWithIndicesBackwardBackward0", &[go], &[&gx], move |gr: &[Option<Tensor>]| {
            let gg = gr[0].as_ref().unwrap().reshape(&[g.planes as i64, (g.h * g.w) as i64])?;
            let at = idx.reshape(&[g.planes as i64, (g.oh * g.ow) as i64])?;
            Ok(vec![Some(gg.gather(1, &at)?.reshape(&go_shape)?)])
        });
    }
    Ok(gx)
}

/// Average pooling over precomputed windows; `name` is the grad_fn's name.
fn avg_pool(x: &Tensor, win: &AvgWindows, name: &'static str) -> Result<Tensor> {
    let mut shape = x.shape()[..x.ndim() - 2].to_vec();
    shape.extend([win.rows.len(), win.cols.len()]);
    let out = dispatch::backend("avg_pool2d", &[x])?.avg_pool2d(x, win, &shape)?;
    if needs_grad(&[x]) {
        let (xshape, win) = (x.shape().to_vec(), win.clone());
        record(name, &[x], &[&out], move |gr: &[Option<Tensor>]| {
            Ok(vec![Some(avg_pool2d_backward(gr[0].as_ref().unwrap(), &win, &xshape, name)?)])
        });
    }
    Ok(out)
}

/// The average pool's backward (its transpose). Linear in `go`; its own backward is the
/// average pool over the same windows.
fn avg_pool2d_backward(go: &Tensor, win: &AvgWindows, x_shape: &[usize], name: &'static str) -> Result<Tensor> {
    let gx = dispatch::backend("avg_pool2d_backward", &[go])?.avg_pool2d_backward(go, win, x_shape)?;
    if needs_grad(&[go]) {
        let win = win.clone();
        let twice = if name == "AvgPool2DBackward0" { "AvgPool2DBackwardBackward0" } else { "AdaptiveAvgPool2DBackwardBackward0" };
        record(twice, &[go], &[&gx], move |gr: &[Option<Tensor>]| Ok(vec![Some(avg_pool(gr[0].as_ref().unwrap(), &win, name)?)]));
    }
    Ok(gx)
}

#[allow(clippy::too_many_arguments)]
pub fn avg_pool2d(
    x: &Tensor,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    ceil_mode: bool,
    count_include_pad: bool,
    divisor: Option<f64>,
) -> Result<Tensor> {
    let out_hw = pool_geometry(x, k, stride, pad, (1, 1), ceil_mode)?;
    if divisor == Some(0.0) {
        return Err(Error::runtime("divisor must be not zero"));
    }
    let (planes, h, w, _) = planes(x, "avg_pool2d")?;
    let rows = pool::fixed_windows(h, out_hw.0, k.0, stride.0, pad.0, count_include_pad);
    let cols = pool::fixed_windows(w, out_hw.1, k.1, stride.1, pad.1, count_include_pad);
    avg_pool(x, &AvgWindows { planes, h, w, rows, cols, divisor }, "AvgPool2DBackward0")
}

pub fn adaptive_avg_pool2d(x: &Tensor, out_hw: (usize, usize)) -> Result<Tensor> {
    let (planes, h, w, mut shape) = planes(x, "adaptive_avg_pool2d")?;
    if out_hw.0 == 0 || out_hw.1 == 0 {
        return Err(Error::runtime("adaptive_avg_pool2d: output size must be positive"));
    }
    shape.extend([out_hw.0, out_hw.1]);
    ember_core::layout::checked_numel(&shape)?;
    let (rows, cols) = (pool::adaptive_windows(h, out_hw.0), pool::adaptive_windows(w, out_hw.1));
    avg_pool(x, &AvgWindows { planes, h, w, rows, cols, divisor: None }, "AdaptiveAvgPool2DBackward0")
}
