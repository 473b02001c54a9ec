//! Products, indexing, concatenation, convolution, pooling and optimizer steps on wgpu.
use super::{copy_into, dense, empty, f32_only, to_dtype, view, view_as, zeros};
use crate::autograd::{needs_grad, record_saving, SavedTensor};
use crate::{DType, Error, Layout, Result, Scalar, Tensor};
use ember_wgpu::Window;

/// `alpha · a[b] @ b[b] + beta · input` over 3-d layouts `la` (B,M,K) and `lb` (B,K,N) of
/// `a`/`b` (any strides, stride-0 batch allowed); `input` is broadcast to (B,M,N).
pub fn bmm(a: &Tensor, la: &Layout, b: &Tensor, lb: &Layout, input: Option<&Tensor>, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
    f32_only(a, "matmul")?;
    f32_only(b, "matmul")?;
    let shape = [la.sizes[0], la.sizes[1], lb.sizes[2]];
    let out = empty(&shape, DType::F32)?;
    let c = match input {
        Some(inp) if beta.to_f64() != 0.0 => {
            let inp = if inp.dtype() == DType::F32 { inp.clone() } else { to_dtype(inp, DType::F32)? };
            let l = inp.layout().expand(&shape.iter().map(|&s| s as i64).collect::<Vec<_>>())?;
            Some((inp, l))
        }
        _ => None,
    };
    let cv = c.as_ref().map(|(t, l)| view_as(t, l)).transpose()?;
    ember_wgpu::matmul(&view_as(a, la)?, &view_as(b, lb)?, &view(&out)?, alpha.to_f64() as f32, beta.to_f64() as f32, cv.as_ref())?;
    Ok(out)
}

fn batch3(l: &Layout) -> Layout {
    Layout::new([&[1][..], &l.sizes].concat(), [&[0][..], &l.strides].concat(), l.offset)
}

/// `a @ b` for matrices.
pub fn mm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = bmm(a, &batch3(a.layout()), b, &batch3(b.layout()), None, Scalar::Int(0), Scalar::Int(1))?;
    Ok(out.with_layout(Layout::contiguous(&[a.shape()[0], b.shape()[1]])).detach())
}

// ---------------------------------------------------------------- indexing
fn index_i64(index: &Tensor) -> Result<Tensor> {
    if matches!(index.dtype(), DType::I64 | DType::I32) {
        Ok(index.clone())
    } else {
        Err(Error::runtime(format!("index tensors must be int64 (or int32), got {}", index.dtype().name())))
    }
}

/// `out[i] = src[i with dim replaced by index[i]]`.
pub fn gather(src: &Tensor, dim: usize, index: &Tensor) -> Result<Tensor> {
    let idx = index_i64(index)?;
    let out = empty(index.shape(), src.dtype())?;
    if out.numel() > 0 {
        ember_wgpu::gather(&view(src)?, dim, &view(&idx)?, &view(&out)?)?;
    }
    Ok(out)
}

/// Rows (along `dim`) of `src` picked by the 1-d `index`.
pub fn index_select(src: &Tensor, dim: usize, index: &Tensor) -> Result<Tensor> {
    let idx = index_i64(index)?;
    let mut shape = src.shape().to_vec();
    shape[dim] = idx.numel();
    let out = empty(&shape, src.dtype())?;
    if out.numel() > 0 {
        ember_wgpu::index_select(&view(src)?, dim, &view(&idx)?, &view(&out)?)?;
    }
    Ok(out)
}

/// In place: `dst[index[i] along dim] += alpha · src[i]` (scatter_add: index has src's shape).
pub fn scatter_add_(dst: &Tensor, dim: usize, index: &Tensor, src: &Tensor) -> Result<()> {
    let idx = index_i64(index)?;
    let s = if src.dtype() == dst.dtype() { src.clone() } else { to_dtype(src, dst.dtype())? };
    if idx.numel() > 0 {
        ember_wgpu::scatter_add(&view(dst)?, dim, &view(&idx)?, &view(&s)?, 1.0)?;
    }
    Ok(())
}

/// In place: `dst.index_add_(dim, index, src, alpha)`.
pub fn index_add_(dst: &Tensor, dim: usize, index: &Tensor, src: &Tensor, alpha: f64) -> Result<()> {
    let idx = index_i64(index)?;
    let s = if src.dtype() == dst.dtype() { src.clone() } else { to_dtype(src, dst.dtype())? };
    if idx.numel() > 0 {
        ember_wgpu::index_add(&view(dst)?, dim, &view(&idx)?, &view(&s)?, alpha)?;
    }
    Ok(())
}

/// `cat` of same-rank tensors along `dim` into a new tensor of `dtype` (one copy per part,
/// each into its slice of the output).
pub fn cat(parts: &[Tensor], dim: usize, shape: &[usize], dtype: DType) -> Result<Tensor> {
    let out = empty(shape, dtype)?;
    let mut at = 0;
    for p in parts {
        if p.ndim() == 1 && p.numel() == 0 && shape.len() != 1 {
            continue; // PyTorch skips legacy empty (0,) parts
        }
        let len = p.shape()[dim];
        let slot = out.with_layout(out.layout().slice(dim, at as i64, (at + len) as i64, 1)).detach();
        if len > 0 {
            copy_into(&slot, p)?;
        }
        at += len;
    }
    Ok(out)
}

// ---------------------------------------------------------------- convolution
fn window(k: (usize, usize), stride: (usize, usize), pad: (usize, usize), dilation: (usize, usize)) -> Window {
    Window { kernel: [k.0, k.1], stride: [stride.0, stride.1], padding: [pad.0, pad.1], dilation: [dilation.0, dilation.1] }
}

struct ConvDims {
    n: usize,
    c: usize,
    o: usize,
    ckk: usize,
    l: usize,
    oh: usize,
    ow: usize,
}

fn im2col(x: &Tensor, win: &Window, d: &ConvDims) -> Result<Tensor> {
    let cols = empty(&[d.n, d.ckk, d.l], DType::F32)?;
    ember_wgpu::im2col(&view(x)?, win, &view(&cols)?)?;
    Ok(cols)
}

/// `conv2d(x (N,C,H,W), w (O,C,kh,kw), b)` with symmetric padding and groups = 1: im2col,
/// then one batched product with the bias as the accumulator. Records
/// `ConvolutionBackward0` (col2im for the input gradient, products for the weight's).
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: (usize, usize),
    pad: [usize; 4],
    dilation: (usize, usize),
    groups: usize,
) -> Result<Tensor> {
    f32_only(x, "conv2d")?;
    if groups != 1 || pad[0] != pad[1] || pad[2] != pad[3] {
        return Err(Error::NotImplemented(format!(
            "wgpu conv2d supports groups=1 and symmetric padding only (got groups={groups}, padding {pad:?}); run it on the CPU with .cpu()"
        )));
    }
    let win = window((w.shape()[2], w.shape()[3]), stride, (pad[0], pad[2]), dilation);
    let (n, c, h, wd) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let (oh, ow) = (win.out_size(0, h, false), win.out_size(1, wd, false));
    let d = ConvDims { n, c, o: w.shape()[0], ckk: c * win.kernel[0] * win.kernel[1], l: oh * ow, oh, ow };
    let xc = dense(x, DType::F32)?;
    let wc = dense(w, DType::F32)?;
    let cols = im2col(&xc, &win, &d)?;
    let lw = Layout::new(vec![n, d.o, d.ckk], vec![0, d.ckk as isize, 1], wc.offset());
    let bias = b.map(|b| b.with_layout(Layout::new(vec![n, d.o, d.l], vec![0, b.strides()[0], 0], b.offset())).detach());
    let out = bmm(&wc, &lw, &cols, cols.layout(), bias.as_ref(), Scalar::Int(1), Scalar::Int(1))?;
    let out = out.with_layout(Layout::contiguous(&[n, d.o, oh, ow])).detach();
    let ins: Vec<&Tensor> = [Some(x), Some(w), b].into_iter().flatten().collect();
    if needs_grad(&ins) {
        let need = [x.requires_grad(), w.requires_grad(), b.is_some_and(|b| b.requires_grad())];
        let has_b = b.is_some();
        let (sx, sw) = (SavedTensor::input(x), SavedTensor::input(w));
        record_saving("ConvolutionBackward0", &ins, &[&out], vec![sx.clone(), sw.clone()], move |gr: &[Option<Tensor>]| {
            let (x, w) = (sx.unpack("ConvolutionBackward0")?, sw.unpack("ConvolutionBackward0")?);
            let go = dense(gr[0].as_ref().unwrap(), DType::F32)?;
            let (gx, gw, gb) = conv2d_backward(&x, &w, &go, &win, &d, need)?;
            let mut r = vec![gx, gw];
            if has_b {
                r.push(gb);
            }
            Ok(r)
        });
    }
    Ok(out)
}

type Grads3 = (Option<Tensor>, Option<Tensor>, Option<Tensor>);

fn conv2d_backward(x: &Tensor, w: &Tensor, go: &Tensor, win: &Window, d: &ConvDims, need: [bool; 3]) -> Result<Grads3> {
    let g3 = go.with_layout(Layout::new(vec![d.n, d.o, d.l], vec![(d.o * d.l) as isize, d.l as isize, 1], go.offset())).detach();
    let gx = if need[0] {
        let wc = dense(w, DType::F32)?;
        // wᵀ broadcast over the batch: (N, CKK, O)
        let lwt = Layout::new(vec![d.n, d.ckk, d.o], vec![0, 1, d.ckk as isize], wc.offset());
        let gcols = bmm(&wc, &lwt, &g3, g3.layout(), None, Scalar::Int(0), Scalar::Int(1))?;
        let gx = empty(x.shape(), DType::F32)?;
        ember_wgpu::col2im(&view(&gcols)?, win, &view(&gx)?)?;
        Some(gx)
    } else {
        None
    };
    let gw = if need[1] {
        let cols = im2col(&dense(x, DType::F32)?, win, d)?;
        let lct = Layout::new(vec![d.n, d.l, d.ckk], vec![(d.ckk * d.l) as isize, 1, d.l as isize], 0);
        let per = bmm(&g3, g3.layout(), &cols, &lct, None, Scalar::Int(0), Scalar::Int(1))?;
        let s = super::reduce(ember_wgpu::ReduceOp::Sum, &per, &[true, false, false], false, DType::F32)?;
        Some(s.with_layout(Layout::contiguous(w.shape())).detach())
    } else {
        None
    };
    let gb = if need[2] { Some(super::reduce(ember_wgpu::ReduceOp::Sum, &g3, &[true, false, true], false, DType::F32)?) } else { None };
    let _ = (d.c, d.oh, d.ow);
    Ok((gx, gw, gb))
}

// ---------------------------------------------------------------- pooling
/// `max_pool2d` over the last two dims of a 3-d or 4-d float32 `x`, output spatial size
/// `out_hw` (ceil_mode already applied by the caller). Returns (values, int64 indices
/// `h·W + w` within each plane) and records `MaxPool2DWithIndicesBackward0`.
pub fn max_pool2d(
    x: &Tensor,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    dilation: (usize, usize),
    out_hw: (usize, usize),
) -> Result<(Tensor, Tensor)> {
    f32_only(x, "max_pool2d")?;
    let nd = x.ndim();
    if nd < 3 {
        return Err(Error::runtime(format!("max_pool2d: expected 3D or 4D input, got shape {:?}", x.shape())));
    }
    let win = window(k, stride, pad, dilation);
    let (h, w) = (x.shape()[nd - 2], x.shape()[nd - 1]);
    let ceil = win.out_size(0, h, false) != out_hw.0 || win.out_size(1, w, false) != out_hw.1;
    let planes = x.numel() / (h * w).max(1);
    let xc = dense(x, DType::F32)?;
    let x4 = Layout::contiguous(&[1, planes, h, w]);
    let mut shape = x.shape()[..nd - 2].to_vec();
    shape.extend([out_hw.0, out_hw.1]);
    let out = empty(&shape, DType::F32)?;
    let idx = empty(&shape, DType::I64)?;
    let o4 = Layout::contiguous(&[1, planes, out_hw.0, out_hw.1]);
    if out.numel() > 0 {
        ember_wgpu::max_pool2d(&view_as(&xc, &x4)?, &win, ceil, &view_as(&out, &o4)?, &view_as(&idx, &o4)?)?;
    }
    if needs_grad(&[x]) {
        let xshape = x.shape().to_vec();
        let si = SavedTensor::output(&idx);
        let sic = si.clone();
        record_saving("MaxPool2DWithIndicesBackward0", &[x], &[&out], vec![si], move |gr: &[Option<Tensor>]| {
            let idx = sic.unpack("MaxPool2DWithIndicesBackward0")?;
            let go = dense(gr[0].as_ref().unwrap(), DType::F32)?;
            let gx = empty(&xshape, DType::F32)?;
            ember_wgpu::max_pool2d_backward(&view_as(&go, &o4)?, &view_as(&idx, &o4)?, &win, ceil, &view_as(&gx, &x4)?)?;
            Ok(vec![Some(gx)])
        });
    }
    Ok((out, idx))
}

// ---------------------------------------------------------------- optimizers
fn param_check(p: &Tensor, g: &Tensor) -> Result<()> {
    f32_only(p, "optimizer step")?;
    if !p.is_contiguous() {
        return Err(Error::runtime("wgpu optimizer steps need contiguous parameters"));
    }
    if g.shape() != p.shape() {
        return Err(Error::runtime(format!(
            "optimizer step: gradient of shape {:?} doesn't match its parameter's shape {:?}",
            g.shape(),
            p.shape()
        )));
    }
    Ok(())
}

/// Fused SGD over wgpu parameters (see `ops::optim::sgd_step`); returns momentum buffers.
#[allow(clippy::too_many_arguments)]
pub fn sgd_step(
    params: &[Tensor],
    grads: &[Tensor],
    bufs: &[Option<Tensor>],
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
) -> Result<Vec<Option<Tensor>>> {
    let mut out = Vec::with_capacity(params.len());
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        param_check(p, g)?;
        let fresh = momentum != 0.0 && bufs.get(i).is_none_or(|b| b.is_none());
        let buf = if momentum == 0.0 {
            None
        } else if fresh {
            Some(zeros(p.shape(), DType::F32)?)
        } else {
            bufs[i].clone()
        };
        let gc = dense(g, DType::F32)?;
        let bv = buf.as_ref().map(view).transpose()?;
        ember_wgpu::sgd_step(&view(p)?, &view(&gc)?, bv.as_ref(), fresh, lr, momentum, dampening, weight_decay, nesterov, maximize)?;
        p.storage().bump_version_by("optimizer.step");
        out.push(buf);
    }
    Ok(out)
}

/// Fused Adam/AdamW over wgpu parameters (see `ops::optim::adam_step`); `steps` are 0-dim
/// counters (on any device), incremented here.
#[allow(clippy::too_many_arguments)]
pub fn adam_step(
    params: &[Tensor],
    grads: &[Tensor],
    exp_avgs: &[Tensor],
    exp_avg_sqs: &[Tensor],
    max_exp_avg_sqs: &[Tensor],
    steps: &[Tensor],
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
    decoupled: bool,
) -> Result<()> {
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        param_check(p, g)?;
        let step = next_step(&steps[i])?;
        let gc = dense(g, DType::F32)?;
        let vm = if amsgrad {
            Some(max_exp_avg_sqs.get(i).ok_or_else(|| Error::runtime("adam step: amsgrad needs max_exp_avg_sq states"))?)
        } else {
            None
        };
        let vmv = vm.map(view).transpose()?;
        ember_wgpu::adam_step(
            &view(p)?,
            &view(&gc)?,
            &view(&exp_avgs[i])?,
            &view(&exp_avg_sqs[i])?,
            vmv.as_ref(),
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
            step,
            decoupled,
            maximize,
        )?;
        for t in [p, &exp_avgs[i], &exp_avg_sqs[i]] {
            t.storage().bump_version_by("optimizer.step");
        }
    }
    Ok(())
}

/// Increments a 0-dim step counter and returns the new count. A counter on the host is
/// updated there (no GPU round trip).
fn next_step(s: &Tensor) -> Result<u64> {
    let v = if s.device().is_host() { s.item()? } else { super::item(s)? }.to_f64() + 1.0;
    let one = Tensor::scalar(Scalar::Float(v), s.dtype())?;
    if s.device().is_host() {
        s.copy_from(&one)?;
    } else {
        copy_into(s, &super::to_device(&one, s.device())?)?;
    }
    s.storage().bump_version_by("optimizer.step");
    Ok(v as u64)
}
