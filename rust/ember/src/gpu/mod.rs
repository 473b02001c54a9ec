//! Tensors on `Device::Wgpu(0)`: transfers, creation and one function per op family, each
//! running the `ember-wgpu` kernels. Ops dispatch here from their `Family::Wgpu` arms.
//!
//! Storage: a wgpu tensor's `Storage` holds a pooled `GpuBuffer` (dropped with the storage);
//! its `nbytes` is the host size (numel × dtype size) so views and `untyped_storage` agree
//! with the CPU, while the buffer holds `ember_wgpu::gpu_elem_size` bytes per element.
//! Python scalars travel as kernel parameters (`Operand::Scalar`), never as uploads.
//! int64 results (argmax, pooling indices) are int64 tensors on the GPU (two u32 words).
use crate::promote::Arg;
use crate::{DType, Device, Error, Layout, Result, Scalar, Storage, Tensor};
use ember_core::layout::{broadcast_shapes, broadcast_strides};
pub use ember_wgpu::{BinaryOp, ReduceOp, UnaryOp};
use ember_wgpu::{GView, GpuBuffer, Operand};

mod nn;
mod ops;
pub use ops::*;
mod reduce;
pub use nn::*;
pub use reduce::*;

/// The one wgpu device ember drives.
pub const DEVICE: Device = Device::Wgpu(0);

/// The GPU buffer behind a wgpu tensor.
pub fn buffer(t: &Tensor) -> Result<&GpuBuffer> {
    t.storage().device_buffer::<GpuBuffer>().ok_or_else(|| crate::dispatch::mixed_devices(DEVICE, t.device()))
}

/// The kernels' view of a wgpu tensor.
pub fn view(t: &Tensor) -> Result<GView<'_>> {
    Ok(GView::new(buffer(t)?, t.layout(), t.dtype()))
}

/// A view of `t` with `layout` (same buffer and dtype).
pub fn view_as<'a>(t: &'a Tensor, layout: &'a Layout) -> Result<GView<'a>> {
    Ok(GView::new(buffer(t)?, layout, t.dtype()))
}

/// Errors for a wgpu index other than 0 (ember drives one adapter).
pub fn check_index(d: Device) -> Result<()> {
    match d {
        Device::Wgpu(0) => Ok(()),
        Device::Wgpu(i) => Err(Error::runtime(format!(
            "wgpu device index {i} is out of range: ember drives one wgpu device (wgpu:0); use ember.wgpu.device_count() to check"
        ))),
        _ => Ok(()),
    }
}

/// Uninitialised row-major `shape` of `dtype` on the GPU (a pooled buffer).
pub fn empty(shape: &[usize], dtype: DType) -> Result<Tensor> {
    alloc(shape, dtype, GpuBuffer::new)
}

pub fn zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
    alloc(shape, dtype, GpuBuffer::zeros)
}

fn alloc(shape: &[usize], dtype: DType, make: fn(usize) -> Result<GpuBuffer>) -> Result<Tensor> {
    let es = ember_wgpu::gpu_elem_size(dtype)?;
    let n = ember_core::layout::checked_numel(shape)?;
    let storage = Storage::on_device(DEVICE, ember_core::nbytes_for(n, dtype.size())?, Box::new(make(ember_core::nbytes_for(n, es)?)?));
    Ok(Tensor::from_parts(storage, Layout::contiguous(shape), dtype))
}

/// The wgpu kernels for `op` compute in float32 only.
pub(crate) fn f32_only(t: &Tensor, op: &str) -> Result<()> {
    if t.dtype() != DType::F32 {
        return Err(crate::Error::type_(format!("wgpu {op} supports float32 only, got {}; convert with .float() first", t.dtype().name())));
    }
    Ok(())
}

pub fn full(shape: &[usize], value: Scalar, dtype: DType) -> Result<Tensor> {
    let t = empty(shape, dtype)?;
    fill_(&t, value)?;
    Ok(t)
}

/// Host tensor → GPU (one upload of its contiguous bytes).
fn upload(t: &Tensor) -> Result<Tensor> {
    let dt = t.dtype();
    ember_wgpu::gpu_elem_size(dt)?;
    let c = t.to_dtype_contiguous(dt)?;
    let n = c.numel() * dt.size();
    // SAFETY: `c` is a contiguous host tensor, so its n bytes from `offset` lie inside its storage
    // (geometry checked against the storage when it was made); `c` outlives the borrow.
    let host = if n == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(c.storage().ptr().add(c.offset() * dt.size()), n) } };
    let bytes = ember_wgpu::to_gpu_bytes(dt, host)?;
    let buf = if bytes.is_empty() { GpuBuffer::new(0)? } else { GpuBuffer::upload(&bytes)? };
    let storage = Storage::on_device(DEVICE, n, Box::new(buf));
    Ok(Tensor::from_parts(storage, Layout::contiguous(t.shape()), dt))
}

/// GPU tensor → host (waits for the device).
fn download(t: &Tensor) -> Result<Tensor> {
    let dt = t.dtype();
    let c = if t.is_contiguous() { t.clone() } else { contiguous(t)? };
    let es = ember_wgpu::gpu_elem_size(dt)?;
    let bytes = buffer(&c)?.download(c.offset() * es, c.numel() * es)?;
    let host = ember_wgpu::from_gpu_bytes(dt, &bytes)?;
    let storage = if host.is_empty() { Storage::zeros(0)? } else { Storage::from_bytes(&host)? };
    Ok(Tensor::from_parts(storage, Layout::contiguous(t.shape()), dt))
}

/// `t`'s values on `device`, as a new tensor without history (the same tensor when already
/// there). `Tensor::to_device` records the one `ToCopyBackward0` for every device pair.
pub fn to_device(t: &Tensor, device: Device) -> Result<Tensor> {
    if t.device() == device {
        return Ok(t.clone());
    }
    if t.is_sparse() {
        return Err(Error::NotImplemented(format!(
            "sparse COO tensors stay on the CPU: convert with .to_dense() before moving to {device}"
        )));
    }
    let out = match (t.device(), device) {
        (Device::Cpu, Device::Wgpu(_)) => {
            check_index(device)?;
            upload(t)?
        }
        (Device::Wgpu(_), Device::Cpu) => download(t)?,
        (a, b) => {
            return Err(Error::NotImplemented(format!(
                "cannot copy a tensor from {a} to {b}: {a} tensors hold no data to move; create the tensor on {b} instead"
            )))
        }
    };
    Ok(out)
}

/// `t`'s elements as host bytes in row-major order, in ember's host representation.
pub fn host_copy(t: &Tensor) -> Result<Tensor> {
    download(t)
}

// ---------------------------------------------------------------- copy, dtype, fill
/// `dst = src` with `src` broadcast to `dst`'s shape and converted to `dst`'s dtype; `dst`
/// may be a strided view (in-place ops, `cat` into slices).
pub fn copy_into(dst: &Tensor, src: &Tensor) -> Result<()> {
    let lay = broadcast_layout(src, dst.shape())?;
    ember_wgpu::copy(&view_as(src, &lay)?, &view(dst)?)
}

/// A row-major copy of `t`.
pub fn contiguous(t: &Tensor) -> Result<Tensor> {
    to_dtype(t, t.dtype())
}

/// A row-major copy of `t` converted to `dtype`.
pub fn to_dtype(t: &Tensor, dtype: DType) -> Result<Tensor> {
    let out = empty(t.shape(), dtype)?;
    ember_wgpu::copy(&view(t)?, &view(&out)?)?;
    Ok(out)
}

/// `t` itself when already row-major in `dtype`, else a converted copy.
pub fn dense(t: &Tensor, dtype: DType) -> Result<Tensor> {
    if t.dtype() == dtype && t.is_contiguous() {
        Ok(t.clone())
    } else {
        to_dtype(t, dtype)
    }
}

pub fn fill_(t: &Tensor, value: Scalar) -> Result<()> {
    ember_wgpu::fill(&view(t)?, value.to_f64())
}

/// `src`'s layout broadcast to `shape` (stride 0 on expanded dims).
pub fn broadcast_layout(src: &Tensor, shape: &[usize]) -> Result<Layout> {
    if src.shape() == shape {
        return Ok(src.layout().clone());
    }
    let b = broadcast_shapes(src.shape(), shape)?;
    if b != shape {
        return Err(Error::runtime(format!("shape {:?} cannot be broadcast to {:?}", src.shape(), shape)));
    }
    Ok(Layout::new(shape.to_vec(), broadcast_strides(src.shape(), src.strides(), shape), src.offset()))
}

// ---------------------------------------------------------------- elementwise
/// An operand converted to `dt` (a tensor copy only when its dtype differs).
fn operand_tensor(a: &Arg, dt: DType) -> Result<Option<Tensor>> {
    match a {
        Arg::T(t) if t.dtype() == dt => Ok(Some(t.clone())),
        Arg::T(t) => Ok(Some(to_dtype(t, dt)?)),
        Arg::S(_) => Ok(None),
    }
}

fn scalar_of(a: &Arg) -> f64 {
    match a {
        Arg::S(s) => s.to_f64(),
        Arg::T(_) => 0.0,
    }
}

/// `out = op(x)` elementwise; `out` may be strided and of another dtype (converted on store).
pub fn unary_into(op: UnaryOp, x: &Tensor, out: &Tensor) -> Result<()> {
    ember_wgpu::unary(op, &view(x)?, &view(out)?)
}

/// `op(x)` as a new tensor of `out_dtype`.
pub fn unary(op: UnaryOp, x: &Tensor, out_dtype: DType) -> Result<Tensor> {
    let out = empty(x.shape(), out_dtype)?;
    unary_into(op, x, &out)?;
    Ok(out)
}

/// `out = op(a, b)` computed in `dt`, broadcast to `out`'s shape (`alpha`: add/sub's
/// multiplier of b, threshold_backward's threshold).
pub fn binary_into(op: BinaryOp, a: &Arg, b: &Arg, dt: DType, alpha: f64, out: &Tensor) -> Result<()> {
    let (ta, tb) = (operand_tensor(a, dt)?, operand_tensor(b, dt)?);
    let (la, lb) = (
        ta.as_ref().map(|t| broadcast_layout(t, out.shape())).transpose()?,
        tb.as_ref().map(|t| broadcast_layout(t, out.shape())).transpose()?,
    );
    let oa = match (&ta, &la) {
        (Some(t), Some(l)) => Operand::View(view_as(t, l)?),
        _ => Operand::Scalar(scalar_of(a)),
    };
    let ob = match (&tb, &lb) {
        (Some(t), Some(l)) => Operand::View(view_as(t, l)?),
        _ => Operand::Scalar(scalar_of(b)),
    };
    if matches!((&oa, &ob), (Operand::Scalar(_), Operand::Scalar(_))) {
        let t = full(
            &[],
            match a {
                Arg::S(s) => *s,
                Arg::T(_) => Scalar::Float(0.0),
            },
            dt,
        )?;
        return binary_into(op, &Arg::T(t), b, dt, alpha, out);
    }
    ember_wgpu::binary(op, oa, ob, alpha, &view(out)?)
}

/// `op(a, b)` broadcast, computed in `dt`, stored as `out_dtype` (bool for comparisons).
pub fn binary(op: BinaryOp, a: &Arg, b: &Arg, dt: DType, out_dtype: DType, alpha: f64) -> Result<Tensor> {
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    let out = empty(&shape, out_dtype)?;
    binary_into(op, a, b, dt, alpha, &out)?;
    Ok(out)
}

/// `cond ? a : b` broadcast to one shape, as `dt`.
pub fn where_(cond: &Tensor, a: &Arg, b: &Arg, dt: DType) -> Result<Tensor> {
    let shape = broadcast_shapes(&broadcast_shapes(cond.shape(), a.shape())?, b.shape())?;
    let out = empty(&shape, dt)?;
    where_into(cond, a, b, &out)?;
    Ok(out)
}

/// `out = cond ? a : b` (operands broadcast to `out`'s shape, converted to its dtype).
pub fn where_into(cond: &Tensor, a: &Arg, b: &Arg, out: &Tensor) -> Result<()> {
    let c = if matches!(cond.dtype(), DType::Bool | DType::U8) { cond.clone() } else { to_dtype(cond, DType::Bool)? };
    let lc = broadcast_layout(&c, out.shape())?;
    let lay = |a: &Arg| match a {
        Arg::T(t) => broadcast_layout(t, out.shape()).map(Some),
        Arg::S(_) => Ok(None),
    };
    let (la, lb) = (lay(a)?, lay(b)?);
    let (oa, ob) = (operand(a, &la)?, operand(b, &lb)?);
    ember_wgpu::where_(&view_as(&c, &lc)?, oa, ob, &view(out)?)
}

/// `x` with `value` where `mask` is true.
pub fn masked_fill(x: &Tensor, mask: &Tensor, value: Scalar) -> Result<Tensor> {
    where_(mask, &Arg::S(value), &Arg::T(x.clone()), x.dtype())
}

fn operand<'a>(a: &'a Arg, l: &'a Option<Layout>) -> Result<Operand<'a>> {
    Ok(match (a, l) {
        (Arg::T(t), Some(l)) => Operand::View(view_as(t, l)?),
        _ => Operand::Scalar(scalar_of(a)),
    })
}

/// In place: `x[mask] = value`.
pub fn masked_fill_(x: &Tensor, mask: &Tensor, value: Scalar) -> Result<()> {
    let tmp = masked_fill(x, mask, value)?;
    copy_into(x, &tmp)
}

/// Downloads and reads every element as `T` (row-major).
pub fn to_vec<T: crate::Element>(t: &Tensor) -> Result<Vec<T>> {
    download(t)?.to_vec::<T>()
}

/// The single element, downloaded.
pub fn item(t: &Tensor) -> Result<Scalar> {
    download(t)?.item()
}

/// Whether `t` lives on wgpu; when it does, the op asking is about to run its wgpu kernel,
/// so the dispatch is recorded here for `inspect.trace()` (ops that branch on this never
/// reach `dispatch::family`).
#[inline]
pub fn on(t: &Tensor) -> bool {
    let yes = matches!(t.device(), Device::Wgpu(_));
    if yes {
        crate::dispatch::note("wgpu", crate::dispatch::Family::Wgpu);
    }
    yes
}

/// `dst = src` where either side may be on the host (`copy_` across devices, as PyTorch
/// allows): the host side is moved first.
pub fn copy_across(dst: &Tensor, src: &Tensor) -> Result<()> {
    match (on(dst), on(src)) {
        (true, true) => copy_into(dst, src),
        (true, false) => copy_into(dst, &upload(src)?),
        (false, _) => dst.copy_from(&download(src)?),
    }
}

/// sum (`prod` false) or prod over the dims marked in `red`, as `out_dt`.
pub fn arith(prod: bool, nansum: bool, x: &Tensor, red: &[bool], keepdim: bool, out_dt: DType) -> Result<Tensor> {
    if nansum {
        return Err(crate::dispatch::unsupported("nansum", crate::dispatch::Family::Wgpu));
    }
    reduce(if prod { ReduceOp::Prod } else { ReduceOp::Sum }, x, red, keepdim, out_dt)
}

/// all (`all`), any, or count_nonzero (`count`) over the dims marked in `red`, as `out_dt`:
/// the nonzero mask reduced with min / max / sum in int32.
pub fn logical(all: bool, count: bool, x: &Tensor, red: &[bool], keepdim: bool, out_dt: DType) -> Result<Tensor> {
    let nz = binary(BinaryOp::Ne, &Arg::T(x.clone()), &Arg::S(Scalar::Int(0)), x.dtype(), DType::I32, 1.0)?;
    let op = if count {
        ReduceOp::Sum
    } else if all {
        ReduceOp::Min
    } else {
        ReduceOp::Max
    };
    let r = reduce::reduce(op, &nz, red, keepdim, DType::I32)?;
    to_dtype(&r, out_dt)
}
