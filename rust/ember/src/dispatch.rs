//! Which kernel family runs an op, chosen from its inputs' device (and layout).
//!
//! Every op asks `family(op, inputs)` before touching data: it checks that the inputs share a
//! device (PyTorch's "Expected all tensors to be on the same device" error otherwise) and
//! returns the family whose kernels run — host strided kernels, shape-only `meta`, or wgpu.
//! The choice is recorded in a thread-local cell (one store, no allocation) that
//! `ember.inspect.trace()` reads, so a user can see why an op ran where it did.
use crate::{Device, Error, Result, Tensor};
use std::cell::Cell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Host kernels over strided layouts (`ember-cpu`).
    CpuStrided,
    /// Sparse COO tensors on the host: indices + values, composed from strided kernels.
    CpuSparse,
    /// No data: output shape, dtype and strides only.
    Meta,
    /// WGSL kernels on a wgpu adapter.
    Wgpu,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::CpuStrided => "cpu-strided",
            Family::CpuSparse => "cpu-sparse",
            Family::Meta => "meta",
            Family::Wgpu => "wgpu",
        }
    }
    /// The backend name PyTorch prints in "Could not run 'aten::op' with arguments from the
    /// '…' backend".
    pub fn backend_name(self) -> &'static str {
        match self {
            Family::CpuStrided => "CPU",
            Family::CpuSparse => "SparseCPU",
            Family::Meta => "Meta",
            Family::Wgpu => "Wgpu",
        }
    }
    pub fn of(device: Device) -> Family {
        match device {
            Device::Cpu => Family::CpuStrided,
            Device::Meta => Family::Meta,
            Device::Wgpu(_) => Family::Wgpu,
        }
    }
}

thread_local! {
    static LAST: Cell<Option<(&'static str, Family)>> = const { Cell::new(None) };
}

/// The (op, family) of the last dispatch on this thread since the previous `take_last`.
pub fn take_last() -> Option<(&'static str, Family)> {
    LAST.with(|c| c.take())
}

/// Records that `op` ran in `family` (for ops that choose their family without `family`).
#[inline]
pub fn note(op: &'static str, family: Family) {
    LAST.with(|c| c.set(Some((op, family))));
}

/// The device all `inputs` share, or PyTorch's mixed-device error. As in PyTorch, a 0-dim
/// CPU tensor is accepted beside tensors of another device (it acts like a Python scalar).
pub fn common_device(inputs: &[&Tensor]) -> Result<Device> {
    let Some(first) = inputs.first() else { return Ok(Device::Cpu) };
    let mut d = first.device();
    let mut scalar = d == Device::Cpu && first.ndim() == 0;
    for t in &inputs[1..] {
        let td = t.device();
        if td == d {
            scalar &= t.ndim() == 0;
            continue;
        }
        if td == Device::Cpu && t.ndim() == 0 {
            continue;
        }
        if scalar {
            // Only 0-dim CPU tensors so far: this tensor decides the device.
            d = td;
            scalar = td == Device::Cpu && t.ndim() == 0;
            continue;
        }
        return Err(mixed_devices(d, td));
    }
    Ok(d)
}

pub fn mixed_devices(a: Device, b: Device) -> Error {
    Error::runtime(format!(
        "Expected all tensors to be on the same device, but found at least two devices, {a} and {b}! \
         Move them to one device first, e.g. with `.to(\"{a}\")`."
    ))
}

/// The kernel family that runs `op` (named as in PyTorch, without "aten::") on `inputs`.
#[inline]
pub fn family(op: &'static str, inputs: &[&Tensor]) -> Result<Family> {
    if inputs.iter().any(|t| t.dtype().is_complex()) && NEEDS_ORDER.contains(&op) {
        let d = inputs.iter().map(|t| t.dtype()).find(|d| d.is_complex()).unwrap_or(crate::DType::C64);
        let msg = format!(
            "\"{op}_cpu\" not implemented for '{}': complex numbers have no order. Compare .abs(), .real or .imag instead.",
            d.scalar_name()
        );
        // PyTorch's own type: sort/argmax-style ops check the dtype up front (TypeError), the
        // others fail in the kernel dispatch (NotImplementedError)
        return Err(if matches!(op, "sort" | "topk" | "argmax" | "argmin") { Error::type_(msg) } else { Error::NotImplemented(msg) });
    }
    let mut f = Family::of(common_device(inputs)?);
    // A view of a sparse tensor has its data-free storage but no COO parts: refuse it too.
    if inputs.iter().any(|t| t.is_sparse() || (t.device().is_host() && !t.storage().device().is_host())) {
        f = Family::CpuSparse;
    }
    note(op, f);
    Ok(f)
}

/// Ops that need an order on the values, which complex numbers lack (PyTorch refuses them).
const NEEDS_ORDER: &[&str] = &[
    "lt",
    "le",
    "gt",
    "ge",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "sort",
    "topk",
    "kthvalue",
    "median",
    "nanmedian",
    "mode",
    "cummax",
    "cummin",
    "clamp",
    "max_pool2d_with_indices",
    "avg_pool2d",
    "logsumexp",
    "cross_entropy_loss",
    "nll_loss",
    "binary_cross_entropy_with_logits",
];

/// The backend that runs `op` on `inputs` (recorded for the trace, as `family`).
#[inline]
pub fn backend(op: &'static str, inputs: &[&Tensor]) -> Result<&'static dyn crate::backend::Backend> {
    Ok(crate::backend::of(family(op, inputs)?))
}

/// The backend that creates a tensor of `op` on `device` (recorded for the trace).
#[inline]
pub fn backend_on(op: &'static str, device: Device) -> &'static dyn crate::backend::Backend {
    let f = Family::of(device);
    note(op, f);
    crate::backend::of(f)
}

/// The backend of `x.to(device)` from `from` to `to` (≠ `from`), recorded for the trace as
/// `_to_copy`: meta when either side is meta (moving to meta keeps the geometry from any
/// device; moving out of it has no data), else the side that is not host memory.
#[inline]
pub fn transfer_backend(from: Device, to: Device) -> &'static dyn crate::backend::Backend {
    let (a, b) = (Family::of(from), Family::of(to));
    let f = if a == Family::Meta || b == Family::Meta {
        Family::Meta
    } else if a == Family::Wgpu || b == Family::Wgpu {
        Family::Wgpu
    } else {
        a
    };
    note("_to_copy", f);
    crate::backend::of(f)
}

/// The backend of `dst.copy_(src)`, which may cross devices (as in PyTorch): the device
/// side's when exactly one operand is on a device, else the one `family` picks.
#[inline]
pub fn copy_backend(dst: &Tensor, src: &Tensor) -> Result<&'static dyn crate::backend::Backend> {
    let (fd, fs) = (Family::of(dst.device()), Family::of(src.device()));
    if fd != fs && (fd == Family::Wgpu || fs == Family::Wgpu) {
        note("copy_", Family::Wgpu);
        return Ok(crate::backend::of(Family::Wgpu));
    }
    backend("copy_", &[dst, src])
}

/// PyTorch's error for an op that has no kernel in `family`.
pub fn unsupported(op: &str, family: Family) -> Error {
    let why = match family {
        Family::Meta => "meta tensors carry only shape, dtype and strides, and this op needs the values (or has no shape rule yet)",
        Family::CpuSparse => "sparse COO tensors support only the ops listed in ember.sparse; convert with .to_dense() first",
        Family::Wgpu => "this op has no WGSL kernel yet; move the operands to the CPU with .cpu() first",
        Family::CpuStrided => "this op runs only on another device",
    };
    Error::NotImplemented(format!("Could not run 'aten::{op}' with arguments from the '{}' backend: {why}.", family.backend_name()))
}

/// For ops that only have host kernels: errors unless every input is a host strided tensor.
#[inline]
pub fn host_only(op: &'static str, inputs: &[&Tensor]) -> Result<()> {
    match family(op, inputs)? {
        Family::CpuStrided => Ok(()),
        f => Err(unsupported(op, f)),
    }
}
