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

/// `max_pool2d` with indices (flat `iy·W + ix` per input plane). The output size comes from
/// Python and is checked against PyTorch's rule (with or without ceil_mode).
pub fn max_pool2d(
    x: &Tensor,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    dilation: (usize, usize),
    out_hw: (usize, usize),
) -> Result<(Tensor, Tensor)> {
    check_pool("max_pool2d", x, k, stride, pad, dilation, out_hw)?;
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
    out_hw: (usize, usize),
    count_include_pad: bool,
    divisor: Option<f64>,
) -> Result<Tensor> {
    check_pool("avg_pool2d", x, k, stride, pad, (1, 1), out_hw)?;
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
