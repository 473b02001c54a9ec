//! In-place geometry (`t_`, `squeeze_`, `as_strided_`, `resize_`, `set_`, …).
//!
//! A `TensorImpl`'s storage and layout never change: every kernel and every `&Tensor`
//! borrowed across a released GIL relies on that. An in-place geometry op therefore builds
//! the *replacement* tensor — new geometry, the same autograd identity (requires_grad,
//! .grad, hooks, name) and the history the op records — and the binding puts it in place
//! of the old one behind the same Python object. Each geometry is checked against its
//! storage before the replacement exists (`from_parts`' invariant), so no kernel ever sees
//! an out-of-bounds layout.
use crate::autograd::{check_inplace, grad_mode, needs_grad, record, AutogradMeta};
use crate::{Device, Error, Layout, Result, Storage, Tensor, TensorImpl};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};

fn refuse_sparse(t: &Tensor, op: &str) -> Result<()> {
    if t.is_sparse() {
        return Err(Error::runtime(format!("{op}(): not supported for sparse COO tensors (their geometry is indices + values)")));
    }
    Ok(())
}

/// PyTorch's message for a geometry that reaches past its storage.
fn out_of_bounds(l: &Layout, itemsize: usize, have_bytes: usize) -> Error {
    let need = l.storage_span().map_or(0, |(_, hi)| hi.saturating_mul(itemsize));
    Error::runtime(format!(
        "setStorage: sizes {:?}, strides {:?}, storage offset {}, and itemsize {itemsize} requiring a storage size of {need} are out of bounds for storage of size {have_bytes}",
        l.sizes, l.strides, l.offset
    ))
}

impl Tensor {
    /// The tensor that takes `self`'s place: `storage` + `layout`, view of `base`, keeping
    /// self's autograd identity; `history` (when given) lends its grad_fn. Bumps the version
    /// of self's storage (and of the new one, when it differs), as PyTorch's in-place ops do.
    fn replacement(&self, op: &'static str, storage: Storage, layout: Layout, base: Option<Tensor>, history: Option<&Tensor>) -> Tensor {
        let itemsize = self.dtype().size().max(1);
        assert!(layout.fits_in(storage.nbytes() / itemsize), "internal error: {op}() built a geometry outside its storage");
        self.storage().bump_version_by(op);
        if !storage.same(self.storage()) {
            storage.bump_version_by(op);
        }
        let old = self.meta();
        let mut m = AutogradMeta {
            requires_grad: old.requires_grad,
            grad: old.grad.clone(),
            retains_grad: old.retains_grad,
            hooks: old.hooks.clone(),
            name: old.name.clone(),
            grad_dtype: old.grad_dtype,
            ..Default::default()
        };
        match history {
            Some(h) => {
                let hm = h.meta();
                m.grad_fn = hm.grad_fn.clone();
                m.output_nr = hm.output_nr;
            }
            None => {
                m.grad_fn = old.grad_fn.clone();
                m.output_nr = old.output_nr;
            }
        }
        drop(old);
        m.view_version = storage.version();
        let tracked = m.requires_grad || m.grad_fn.is_some();
        Tensor(Arc::new(TensorImpl {
            device: storage.device(),
            storage,
            layout,
            dtype: self.dtype(),
            base,
            sparse: None,
            tracked: AtomicBool::new(tracked),
            meta: Mutex::new(m),
            pyobj: AtomicUsize::new(0),
            inference: self.is_inference(),
            conj: self.is_conj(),
            resolved: None,
        }))
    }

    /// `self` after an in-place view op whose out-of-place result (a view of `self`, made
    /// by the view op, which recorded e.g. `TBackward0`) is `view`.
    pub fn assume_view_geometry(&self, op: &'static str, view: &Tensor) -> Result<Tensor> {
        refuse_sparse(self, op)?;
        if !view.storage().same(self.storage()) || view.dtype() != self.dtype() || view.is_sparse() {
            return Err(Error::runtime(format!("{op}(): the new geometry must be a view of the tensor itself")));
        }
        check_inplace(self)?;
        Ok(self.replacement(op, view.storage().clone(), view.layout().clone(), self.base().cloned(), Some(view)))
    }

    /// `resize_(sizes)`: keeps the storage when it is big enough (contents and aliasing
    /// kept), else moves to a new, larger storage holding a copy of the old bytes (views of
    /// the old storage then no longer alias it). `strides` defaults to row-major; the
    /// geometry is unchanged when `sizes` already is the shape.
    pub fn resize_geometry(&self, sizes: &[usize], strides: Option<&[isize]>) -> Result<Tensor> {
        refuse_sparse(self, "resize_")?;
        if self.requires_grad() {
            return Err(Error::runtime("cannot resize variables that require grad"));
        }
        check_inplace(self)?;
        ember_core::layout::checked_numel(sizes)?;
        let layout = match strides {
            Some(st) if st.len() != sizes.len() => {
                return Err(Error::runtime(format!("resize_(): got {} strides for {} sizes", st.len(), sizes.len())));
            }
            Some(st) => Layout::new(sizes.to_vec(), st.to_vec(), self.offset()),
            None if sizes == self.shape() => self.layout().clone(),
            None => Layout { offset: self.offset(), ..Layout::try_contiguous(sizes)? },
        };
        let itemsize = self.dtype().size().max(1);
        let hi = layout.storage_span().map_or(layout.offset, |(_, hi)| hi);
        let need = hi.checked_mul(itemsize).filter(|&b| b <= isize::MAX as usize && hi != usize::MAX).ok_or_else(|| {
            Error::runtime(format!(
                "resize_(): the storage for sizes {sizes:?} at offset {} would overflow (numel: integer multiplication overflow)",
                self.offset()
            ))
        })?;
        let old = self.storage();
        if need <= old.nbytes() {
            return Ok(self.replacement("resize_", old.clone(), layout, self.base().cloned(), None));
        }
        if old.is_foreign() {
            return Err(Error::runtime("Trying to resize storage that is not resizable (it borrows memory owned by another library)"));
        }
        let grown = match self.device() {
            Device::Cpu => {
                let s = Storage::zeros(need)?;
                // SAFETY: `s` is a fresh allocation of `need` bytes and `old` one of
                // `old.nbytes()` < `need` bytes, both host memory; distinct allocations never
                // overlap, and `old` stays alive (borrowed from self) during the copy.
                unsafe { std::ptr::copy_nonoverlapping(old.ptr() as *const u8, s.ptr(), old.nbytes()) };
                s
            }
            Device::Meta => Storage::meta(need),
            d => return Err(Error::runtime(format!("resize_(): growing the storage of a {} tensor is not supported", d.type_name()))),
        };
        Ok(self.replacement("resize_", grown, layout, None, None))
    }

    /// `set_(storage, storage_offset, size, stride)`: self now reads `storage` through
    /// that geometry, which must lie inside it. Not differentiable (PyTorch records a
    /// `NotImplemented` node; so does ember, whose backward says so).
    pub fn set_geometry(&self, storage: Storage, offset: usize, sizes: &[usize], strides: &[isize]) -> Result<Tensor> {
        refuse_sparse(self, "set_")?;
        if storage.device() != self.device() {
            return Err(Error::runtime(format!(
                "Expected a Storage of device {} but got {} for argument #1 'source'",
                self.device().type_name(),
                storage.device().type_name()
            )));
        }
        if sizes.len() != strides.len() {
            return Err(Error::runtime(format!("set_(): got {} sizes and {} strides; they must be as many", sizes.len(), strides.len())));
        }
        check_inplace(self)?;
        ember_core::layout::checked_numel(sizes)?;
        let itemsize = self.dtype().size().max(1);
        let layout = Layout::new(sizes.to_vec(), strides.to_vec(), offset);
        if strides.iter().any(|&s| s < 0) {
            return Err(Error::runtime("set_(): negative strides are not supported"));
        }
        if !layout.fits_in(storage.nbytes() / itemsize) || (layout.numel() == 0 && offset > storage.nbytes() / itemsize) {
            return Err(out_of_bounds(&layout, itemsize, storage.nbytes()));
        }
        let record_it = needs_grad(&[self]) && grad_mode::is_enabled();
        let before = self.clone();
        let t = self.replacement("set_", storage, layout, None, None);
        if record_it {
            {
                let mut m = t.meta();
                m.grad_fn = None;
                t.refresh_tracked(&m);
            }
            record("NotImplemented", &[&before], &[&t], |_: &[Option<Tensor>]| {
                Err(Error::runtime("the derivative for 'set_' is not implemented."))
            });
        }
        Ok(t)
    }
}
