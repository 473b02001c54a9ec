//! `TensorCell`: the Python object's inner tensor, replaceable by in-place geometry ops
//! (`t_`, `resize_`, `set_`, …) while the Python identity stays.
//!
//! Readers get `&Tensor` through `Deref`, without a lock, and may hold it for the whole call
//! — including across a released GIL (`run`) or a call back into Python that could replace
//! the tensor. So a replaced tensor is never freed while the cell lives: it moves to
//! `retired`, and only `Drop` (which has `&mut self`, hence no outstanding borrows) frees
//! it. The cost is one retired handle per in-place geometry op, for the life of the Python
//! object (the old geometry, and a storage no longer used by anything else, stay allocated
//! until then).
use ember::Tensor;
use std::ops::Deref;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Mutex;

pub struct TensorCell {
    /// The tensor the object was made with, current while `current` is `FIRST`: most
    /// tensors are never replaced, and boxing each one cost every op's result a heap
    /// allocation and free. It stays in place after a replacement, until Drop.
    first: Tensor,
    /// `FIRST`, or a replacement from `Box::into_raw`.
    current: AtomicPtr<Tensor>,
    retired: Mutex<Vec<Box<Tensor>>>,
}

/// The tag in `current` for "the tensor is `first`": never a `Box` address (no allocation
/// lives in the first page) and never null (null marks a zero-filled, unwritten cell).
const FIRST: *mut Tensor = std::ptr::dangling_mut();

impl TensorCell {
    pub fn new(t: Tensor) -> TensorCell {
        TensorCell { first: t, current: AtomicPtr::new(FIRST), retired: Mutex::new(Vec::new()) }
    }

    /// A new handle on the current tensor. Inherent, so that `cell.clone()` — and
    /// `r.clone()` on a `r: &TensorCell`, which would otherwise clone the reference — gives
    /// a `Tensor`, as it did when the field was one.
    #[allow(clippy::should_implement_trait)]
    pub fn clone(&self) -> Tensor {
        Tensor::clone(self)
    }

    /// Whether a tensor has been written. A Python object the collector visits before PyO3
    /// has written its `PyTensor` is zero-filled (the allocator zeroes new objects): its
    /// `current` reads as null, a valid `AtomicPtr`, and nothing else of the cell is touched.
    pub fn is_set(&self) -> bool {
        !self.current.load(Ordering::Acquire).is_null()
    }

    /// Puts `t` in place and returns the tensor it replaced.
    pub fn replace(&self, t: Tensor) -> Tensor {
        let old = self.current.swap(Box::into_raw(Box::new(t)), Ordering::AcqRel);
        if old == FIRST {
            return Tensor::clone(&self.first); // `first` itself stays put until Drop
        }
        // SAFETY: every other pointer stored in `current` came from `Box::into_raw` and is
        // taken out exactly once (here or in Drop); the box moves to `retired` unchanged, so
        // its heap address — which borrows handed out by `deref` point into — stays valid.
        let old = unsafe { Box::from_raw(old) };
        let prev = Tensor::clone(&old);
        self.retired.lock().unwrap_or_else(|e| e.into_inner()).push(old);
        prev
    }
}

impl Deref for TensorCell {
    type Target = Tensor;
    fn deref(&self) -> &Tensor {
        let p = self.current.load(Ordering::Acquire);
        if p == FIRST {
            return &self.first;
        }
        // SAFETY: any other pointer is a live `Box<Tensor>` (see `replace`): boxes are freed
        // only in Drop, which needs `&mut self`, so none is freed while this borrow lasts.
        unsafe { &*p }
    }
}

impl Drop for TensorCell {
    fn drop(&mut self) {
        let p = *self.current.get_mut();
        if p != FIRST {
            // SAFETY: `current` holds a pointer from `Box::into_raw` not yet reclaimed; `&mut
            // self` guarantees no borrow from `deref` is alive. `first` and `retired` drop on
            // their own.
            unsafe { drop(Box::from_raw(p)) }
        }
    }
}

impl From<Tensor> for TensorCell {
    fn from(t: Tensor) -> TensorCell {
        TensorCell::new(t)
    }
}

/// The tensor an op reads from a `PyTensor`: the tensor itself, or — for a conjugate view —
/// its values materialized (`ember::conj`), so that no kernel ever reads a conjugate view's
/// storage as if it held the values.
pub enum Operand<'a> {
    Same(&'a Tensor),
    Resolved(Tensor),
}

impl Deref for Operand<'_> {
    type Target = Tensor;
    fn deref(&self) -> &Tensor {
        match self {
            Operand::Same(t) => t,
            Operand::Resolved(t) => t,
        }
    }
}

impl Operand<'_> {
    /// A handle on the operand tensor (as `TensorCell::clone` does for the cell).
    #[allow(clippy::should_implement_trait)]
    pub fn clone(&self) -> Tensor {
        Tensor::clone(self)
    }
}

impl TensorCell {
    /// This tensor as an op's operand (see `Operand`). Only metadata, views and the
    /// conjugate-bit functions read the cell itself.
    #[inline]
    pub fn operand(&self) -> Operand<'_> {
        let t: &Tensor = self;
        if !t.is_conj() {
            return Operand::Same(t);
        }
        // Materializing allocates; only an allocation failure can make it fail, and an
        // operand accessor has no error path, so that surfaces as the guard's RuntimeError.
        Operand::Resolved(t.resolve_for_read().unwrap_or_else(|e| panic!("could not materialize a conjugate view: {e:?}")))
    }
}
