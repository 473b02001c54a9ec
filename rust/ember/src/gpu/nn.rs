//! Products, indexing, concatenation, convolution, pooling and optimizer steps on wgpu.
use super::{copy_into, dense, empty, f32_only, to_dtype, view, view_as, zeros};
use crate::backend::{Conv2d, PoolGeom};
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
    o: usize,
    ckk: usize,
    l: usize,
}

fn im2col(x: &Tensor, win: &Window, d: &ConvDims) -> Result<Tensor> {
    let cols = empty(&[d.n, d.ckk, d.l], DType::F32)?;
    ember_wgpu::im2col(&view(x)?, win, &view(&cols)?)?;
    Ok(cols)
}

/// The window and GEMM dimensions of a validated conv2d geometry; wgpu runs groups = 1 with
/// symmetric padding only.
fn conv_plan(c: &Conv2d) -> Result<(Window, ConvDims)> {
    let (g, pad) = (&c.g, c.pad);
    if g.groups != 1 || pad[0] != pad[1] || pad[2] != pad[3] {
        return Err(Error::NotImplemented(format!(
            "wgpu conv2d supports groups=1 and symmetric padding only (got groups={}, padding {pad:?}); run it on the CPU with .cpu()",
            g.groups
        )));
    }
    let win = window((g.kh, g.kw), g.stride, (pad[0], pad[2]), g.dilation);
    let d = ConvDims { n: g.n, o: g.c_out, ckk: g.c_in * g.kh * g.kw, l: g.oh * g.ow };
    Ok((win, d))
}

/// `conv2d(x (N,C,H,W), w (O,C,kh,kw), b)`: im2col, then one batched product with the bias
/// as the accumulator.
pub fn conv2d(x: &Tensor, w: &Tensor, b: Option<&Tensor>, c: &Conv2d) -> Result<Tensor> {
    f32_only(x, "conv2d")?;
    let (win, d) = conv_plan(c)?;
    let xc = dense(x, DType::F32)?;
    let wc = dense(w, DType::F32)?;
    let cols = im2col(&xc, &win, &d)?;
    let lw = Layout::new(vec![d.n, d.o, d.ckk], vec![0, d.ckk as isize, 1], wc.offset());
    let bias = b.map(|b| b.with_layout(Layout::new(vec![d.n, d.o, d.l], vec![0, b.strides()[0], 0], b.offset())).detach());
    let out = bmm(&wc, &lw, &cols, cols.layout(), bias.as_ref(), Scalar::Int(1), Scalar::Int(1))?;
    Ok(out.with_layout(Layout::contiguous(&[d.n, d.o, c.g.oh, c.g.ow])).detach())
}

fn go3(go: &Tensor, d: &ConvDims) -> Result<Tensor> {
    let go = dense(go, DType::F32)?;
    Ok(go.with_layout(Layout::new(vec![d.n, d.o, d.l], vec![(d.o * d.l) as isize, d.l as isize, 1], go.offset())).detach())
}

/// conv2d's input gradient: wᵀ·go per position, then col2im.
pub fn conv2d_input_grad(go: &Tensor, w: &Tensor, c: &Conv2d) -> Result<Tensor> {
    f32_only(go, "conv2d")?;
    let (win, d) = conv_plan(c)?;
    let g3 = go3(go, &d)?;
    let wc = dense(w, DType::F32)?;
    // wᵀ broadcast over the batch: (N, CKK, O)
    let lwt = Layout::new(vec![d.n, d.ckk, d.o], vec![0, 1, d.ckk as isize], wc.offset());
    let gcols = bmm(&wc, &lwt, &g3, g3.layout(), None, Scalar::Int(0), Scalar::Int(1))?;
    let gx = empty(&[c.g.n, c.g.c_in, c.g.h, c.g.w], DType::F32)?;
    ember_wgpu::col2im(&view(&gcols)?, &win, &view(&gx)?)?;
    Ok(gx)
}

/// conv2d's weight gradient: go·colsᵀ per sample, summed over the batch.
pub fn conv2d_weight_grad(x: &Tensor, go: &Tensor, c: &Conv2d) -> Result<Tensor> {
    f32_only(go, "conv2d")?;
    let (win, d) = conv_plan(c)?;
    let g3 = go3(go, &d)?;
    let cols = im2col(&dense(x, DType::F32)?, &win, &d)?;
    let lct = Layout::new(vec![d.n, d.l, d.ckk], vec![(d.ckk * d.l) as isize, 1, d.l as isize], 0);
    let per = bmm(&g3, g3.layout(), &cols, &lct, None, Scalar::Int(0), Scalar::Int(1))?;
    let s = super::reduce(ember_wgpu::ReduceOp::Sum, &per, &[true, false, false], false, DType::F32)?;
    Ok(s.with_layout(Layout::contiguous(&[c.g.c_out, c.g.c_in, c.g.kh, c.g.kw])).detach())
}

// ---------------------------------------------------------------- pooling
fn pool_plan(g: &PoolGeom) -> (Window, bool, Layout, Layout) {
    let win = window(g.k, g.stride, g.pad, g.dilation);
    let ceil = win.out_size(0, g.h, false) != g.oh || win.out_size(1, g.w, false) != g.ow;
    (win, ceil, Layout::contiguous(&[1, g.planes, g.h, g.w]), Layout::contiguous(&[1, g.planes, g.oh, g.ow]))
}

/// `max_pool2d` over the last two dims (geometry validated by the caller): (values, int64
/// indices `h·W + w` within each plane).
pub fn max_pool2d(x: &Tensor, g: &PoolGeom, out_shape: &[usize]) -> Result<(Tensor, Tensor)> {
    f32_only(x, "max_pool2d")?;
    let (win, ceil, x4, o4) = pool_plan(g);
    let xc = dense(x, DType::F32)?;
    let out = empty(out_shape, DType::F32)?;
    let idx = empty(out_shape, DType::I64)?;
    if out.numel() > 0 {
        ember_wgpu::max_pool2d(&view_as(&xc, &x4)?, &win, ceil, &view_as(&out, &o4)?, &view_as(&idx, &o4)?)?;
    }
    Ok((out, idx))
}

/// Scatters `go` to the positions `idx` names (the max pool's backward).
pub fn max_pool2d_backward(go: &Tensor, idx: &Tensor, g: &PoolGeom, x_shape: &[usize]) -> Result<Tensor> {
    f32_only(go, "max_pool2d")?;
    let (win, ceil, x4, o4) = pool_plan(g);
    let go = dense(go, DType::F32)?;
    let idx = dense(idx, DType::I64)?;
    let gx = empty(x_shape, DType::F32)?;
    ember_wgpu::max_pool2d_backward(&view_as(&go, &o4)?, &view_as(&idx, &o4)?, &win, ceil, &view_as(&gx, &x4)?)?;
    Ok(gx)
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
