//! The Tensor value: an `Arc` over immutable geometry plus mutable autograd meta.
use crate::autograd::{AutogradMeta, Node};
use crate::{DType, Device, Element, Error, Layout, Result, Scalar, Storage};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub struct TensorImpl {
    pub storage: Storage,
    pub layout: Layout,
    pub dtype: DType,
    pub device: Device,
    /// The tensor this one is a view of (always a non-view), for in-place autograd.
    pub base: Option<Tensor>,
    /// Indices and values when this is a sparse COO tensor (its storage then holds no data).
    pub sparse: Option<Arc<crate::sparse::Coo>>,
    /// Fast check for "takes part in autograd" (requires_grad or has a grad_fn).
    pub(crate) tracked: AtomicBool,
    pub(crate) meta: Mutex<AutogradMeta>,
    /// Opaque slot for the Python binding: the address of the live Python object wrapping
    /// this tensor (0 = none), so one tensor keeps one Python identity.
    pub pyobj: AtomicUsize,
    /// Made under `inference_mode` (or a view of such a tensor): it may never enter autograd
    /// history, and only inference mode may write it in place.
    pub inference: bool,
    /// The conjugate bit (`conj()`'s lazy view): the values are the complex conjugates of
    /// the stored ones. Only complex tensors carry it; see `conj.rs`.
    pub conj: bool,
    /// Set on a tensor materialized from a conjugate view for an op to read (`conj.rs`):
    /// where a write to it goes.
    pub resolved: Option<crate::conj::Resolved>,
}

#[derive(Clone)]
pub struct Tensor(pub Arc<TensorImpl>);

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor(shape={:?}, strides={:?}, dtype={:?})", self.shape(), self.strides(), self.dtype())
    }
}

/// The invariant every kernel's raw pointer arithmetic relies on: each element a tensor's
/// layout addresses lies inside its storage, and its sizes pass `checked_numel`. Ops check
/// user input with proper errors long before this; reaching it means an ember bug, so it
/// panics (the binding turns that into a RuntimeError) rather than hand a kernel a layout
/// that reads or writes outside its buffer.
#[inline]
fn check_geometry(storage: &Storage, layout: &Layout, dtype: DType) {
    let len = storage.nbytes() / dtype.size().max(1);
    assert!(
        layout.fits_in(len),
        "internal error: geometry sizes={:?} strides={:?} offset={} does not fit a storage of {len} {dtype:?} elements",
        layout.sizes,
        layout.strides,
        layout.offset
    );
}

/// Up to this many elements, `to_vec` of a strided tensor of the wanted dtype walks its layout
/// directly. The copy kernel it used (plan, dispatch, a new tensor, then a second copy) cost
/// ~1 µs for the handful of values an index tensor or `tolist` reads (two strided index
/// columns: 60 % of a 10-element `x[mask]`); beyond this the vectorised kernel wins.
const STRIDED_READ_MAX: usize = 4096;

/// The elements of a host tensor of `T`, in row-major order, read through its strides.
fn strided_read<T: Element>(t: &Tensor) -> Vec<T> {
    let base = t.storage().ptr() as *const T;
    let offsets = ember_cpu::index::offsets(t.shape(), t.strides(), t.offset());
    // SAFETY: `t` is a host tensor of T (the caller checked its dtype) whose geometry was checked
    // against its storage when it was made (`check_geometry`), so every offset its layout
    // addresses (all `offsets` lists) lies inside the storage; `t` keeps the storage alive.
    offsets.into_iter().map(|o| unsafe { *base.add(o) }).collect()
}

impl Tensor {
    pub fn from_parts(storage: Storage, layout: Layout, dtype: DType) -> Tensor {
        check_geometry(&storage, &layout, dtype);
        Tensor(Arc::new(TensorImpl {
            device: storage.device(),
            storage,
            layout,
            dtype,
            base: None,
            sparse: None,
            tracked: AtomicBool::new(false),
            meta: Mutex::new(AutogradMeta::default()),
            pyobj: AtomicUsize::new(0),
            inference: crate::grad_mode::is_inference(),
            conj: false,
            resolved: None,
        }))
    }

    /// A new tensor sharing this one's storage with another layout (autograd-free).
    pub fn with_layout(&self, layout: Layout) -> Tensor {
        self.with_layout_dtype(layout, self.0.dtype)
    }

    /// A view reading the same bytes as `dtype` elements (`view_as_real`, `.real`, `.imag`):
    /// `layout` counts `dtype` elements.
    pub fn with_layout_dtype(&self, layout: Layout, dtype: DType) -> Tensor {
        check_geometry(&self.0.storage, &layout, dtype);
        let base = Some(self.0.base.clone().unwrap_or_else(|| self.clone()));
        Tensor(Arc::new(TensorImpl {
            storage: self.0.storage.clone(),
            layout,
            dtype,
            device: self.0.device,
            base,
            sparse: None,
            tracked: AtomicBool::new(false),
            meta: Mutex::new(AutogradMeta::default()),
            pyobj: AtomicUsize::new(0),
            inference: self.0.inference,
            // A view keeps the conjugate bit while it reads complex elements (`.real` of a
            // conjugate view is the real part, unchanged); a view of a materialized
            // conjugate view cannot carry its write-back (its layout is another one).
            conj: self.0.conj && dtype.is_complex(),
            resolved: self.0.resolved.as_ref().map(|_| crate::conj::Resolved::ReadOnly),
        }))
    }

    /// Same storage and layout, no autograd history and not a view for autograd purposes.
    pub fn detach(&self) -> Tensor {
        if let Some(c) = self.coo() {
            return Tensor::sparse_from_parts(c.indices.clone(), c.values.detach(), self.shape(), c.is_coalesced());
        }
        let t = Tensor::from_parts(self.0.storage.clone(), self.0.layout.clone(), self.0.dtype);
        if self.0.inference != t.0.inference || self.0.conj || self.0.resolved.is_some() {
            // detach() is a view: an inference tensor's detached alias stays one, a conjugate
            // view stays one, and a materialized one keeps where its writes go.
            return Tensor(Arc::new(TensorImpl {
                inference: self.0.inference || t.0.inference,
                conj: self.0.conj,
                resolved: self.0.resolved.clone(),
                ..Arc::try_unwrap(t.0).unwrap_or_else(|_| unreachable!())
            }));
        }
        t
    }

    /// Whether this tensor was made under `inference_mode` (`torch.is_inference`).
    pub fn is_inference(&self) -> bool {
        self.0.inference
    }

    pub fn storage(&self) -> &Storage {
        &self.0.storage
    }
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }
    pub fn shape(&self) -> &[usize] {
        &self.0.layout.sizes
    }
    pub fn strides(&self) -> &[isize] {
        &self.0.layout.strides
    }
    pub fn offset(&self) -> usize {
        self.0.layout.offset
    }
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }
    pub fn device(&self) -> Device {
        self.0.device
    }
    pub fn ndim(&self) -> usize {
        self.0.layout.ndim()
    }
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }
    pub fn is_sparse(&self) -> bool {
        self.0.sparse.is_some()
    }
    pub fn coo(&self) -> Option<&crate::sparse::Coo> {
        self.0.sparse.as_deref()
    }
    /// The conjugate bit (`is_conj()`).
    pub fn is_conj(&self) -> bool {
        self.0.conj
    }
    pub fn is_view(&self) -> bool {
        self.0.base.is_some()
    }
    pub fn base(&self) -> Option<&Tensor> {
        self.0.base.as_ref()
    }
    pub fn same(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
    /// Address of element 0 (what `data_ptr()` reports).
    pub fn data_ptr(&self) -> usize {
        self.0.storage.ptr() as usize + self.offset() * self.dtype().size()
    }
    pub fn version(&self) -> u64 {
        self.0.storage.version()
    }
    pub fn dim_size(&self, dim: i64) -> Result<usize> {
        let d = crate::layout::wrap_dim(dim, self.ndim())?;
        Ok(if self.ndim() == 0 { 1 } else { self.shape()[d] })
    }

    pub(crate) fn meta(&self) -> MutexGuard<'_, AutogradMeta> {
        self.0.meta.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub fn requires_grad(&self) -> bool {
        self.0.tracked.load(Ordering::Relaxed)
    }
    pub(crate) fn refresh_tracked(&self, m: &AutogradMeta) {
        self.0.tracked.store(m.requires_grad || m.grad_fn.is_some(), Ordering::Relaxed);
    }
    pub fn grad_fn(&self) -> Option<Arc<Node>> {
        if !self.requires_grad() {
            return None;
        }
        let mut m = self.meta();
        crate::autograd::refresh_view(self, &mut m);
        m.grad_fn.clone()
    }
    pub fn is_leaf(&self) -> bool {
        self.grad_fn().is_none()
    }

    /// Reads every element as `T`, in logical row-major order.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        let h = crate::dispatch::backend("_local_scalar_dense", &[self])?.to_host(self)?;
        if h.dtype() == T::DTYPE && !h.is_conj() && !h.is_contiguous() && h.numel() <= STRIDED_READ_MAX {
            return Ok(strided_read::<T>(&h));
        }
        let c = h.to_dtype_contiguous(T::DTYPE)?;
        let n = c.numel();
        // SAFETY: `c` is a contiguous host tensor of T (`to_host` refused meta and sparse), so its
        // n elements start at `offset` and lie inside its storage (`Layout::fits_in`, checked when
        // the geometry was made); `c` keeps the storage alive while we copy.
        let p = unsafe { (c.storage().ptr() as *const T).add(c.offset()) };
        Ok(unsafe { std::slice::from_raw_parts(p, n) }.to_vec())
    }

    /// The single element as a Scalar (errors on more than one element).
    pub fn item(&self) -> Result<Scalar> {
        if self.numel() != 1 {
            return Err(Error::runtime(format!("a Tensor with {} elements cannot be converted to Scalar", self.numel())));
        }
        let h = crate::dispatch::backend("_local_scalar_dense", &[self])?.to_host(self)?;
        let off = h.offset();
        let p = h.storage().ptr();
        Ok(with_dtype!(h.dtype(), T => {
            // SAFETY: a host tensor with exactly one element: its offset addresses that element
            // inside the storage (geometry checked against the storage when it was made).
            let v = unsafe { *(p as *const T).add(off) };
            match h.dtype() {
                DType::Bool => Scalar::Bool(v.to_i64() != 0),
                d if d.is_complex() => {
                    let (re, im) = v.to_c128();
                    Scalar::Complex(re, im)
                }
                d if d.is_float() => Scalar::Float(v.to_f64()),
                _ => Scalar::Int(v.to_i64()),
            }
        }))
    }

    /// Runs `kernel`, which returns a fresh row-major result of its input's shape, so that the
    /// result lands in the dense layout `out` (an elementwise output layout, offset 0): the
    /// kernel reads `self` viewed in `out`'s memory order, where that result is row-major, and
    /// the result is then viewed back in the logical order. `x.t().exp()` thus runs as a
    /// contiguous kernel and returns strides (1, n).
    pub(crate) fn map_in_layout(&self, out: &Layout, kernel: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
        if !crate::backend::of(crate::dispatch::Family::of(self.device())).writes_in_input_order() {
            return kernel(self); // the output is row-major
        }
        let r = match ember_core::layout::memory_order(&out.strides) {
            None => kernel(self)?,
            Some(p) => {
                let l = self.layout();
                let lp = Layout::new(
                    p.iter().map(|&d| l.sizes[d]).collect::<ember_core::layout::InlineVec<_>>(),
                    p.iter().map(|&d| l.strides[d]).collect::<ember_core::layout::InlineVec<_>>(),
                    l.offset,
                );
                kernel(&self.with_layout(lp))?
            }
        };
        if r.strides() == &out.strides[..] {
            return Ok(r);
        }
        Ok(Tensor::from_parts(r.storage().clone(), Layout::new(out.sizes.clone(), out.strides.clone(), r.offset()), r.dtype()))
    }

    /// Row-major copy in `dtype` unless already so (then the same storage is shared).
    pub fn to_dtype_contiguous(&self, dtype: DType) -> Result<Tensor> {
        if self.is_conj() {
            return self.materialize_conj()?.to_dtype_contiguous(dtype);
        }
        if dtype == self.dtype() && self.is_contiguous() {
            return Ok(self.clone());
        }
        if crate::ops::meta::is_meta("_to_copy", crate::dispatch::family("_to_copy", &[self])?)? {
            return crate::ops::meta::empty(self.shape(), dtype);
        }
        let s = ember_cpu::copy::contiguous(self.storage(), self.layout(), self.dtype(), dtype)?;
        Ok(Tensor::from_parts(s, Layout::contiguous(self.shape()), dtype))
    }
}

use ember_cpu::with_dtype;
