//! A new `ember.Tensor` object without the empty `__dict__` CPython 3.11/3.12 make for it.
//!
//! `Py::new` allocates through `object.__new__`, which on 3.11/3.12 eagerly builds an empty
//! instance dict for every type with a dict slot, and the dealloc frees it again: ~40 ns of a
//! 10-element `a + b` (~0.4 µs), for a dict almost no tensor ever uses. Here the object comes
//! from the type's `tp_alloc` (what `object.__new__` calls first: zeroed memory, refcount 1,
//! GC-tracked) and the Rust value is written in place; the dict slot stays NULL, from which
//! CPython creates the dict on first use (`t.foo = 1`, `t.__dict__`), as 3.10 and 3.13 do.
//!
//! That is sound only while PyO3 lays the object out as
//! `[PyObject header][PyTensor][dict pointer][weakref pointer]` with nothing else (a frozen,
//! Sync class has no borrow flag or thread checker), so NULL pointers and the value are the
//! whole of what PyO3 itself would write. `probe` checks exactly that once, on an object PyO3
//! built, against the type's `__basicsize__`, `__dictoffset__` and `__weakrefoffset__`; if any
//! differs (another PyO3 version or Python build), every tensor goes through `Py::new`.
use crate::error::IntoPy;
use crate::tensor::PyTensor;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::mem::size_of;

/// The type's allocator and the byte offset of the `PyTensor` value in its objects.
#[derive(Clone, Copy)]
struct Fast {
    alloc: ffi::allocfunc,
    offset: usize,
}

static FAST: PyOnceLock<Option<Fast>> = PyOnceLock::new();

fn probe(py: Python<'_>) -> PyResult<Option<Fast>> {
    let ty = py.get_type::<PyTensor>();
    let basic: usize = ty.getattr("__basicsize__")?.extract()?;
    let dict: usize = ty.getattr("__dictoffset__")?.extract()?;
    let weak: usize = ty.getattr("__weakrefoffset__")?.extract()?;
    let obj = Py::new(py, PyTensor { t: ember::Tensor::zeros(&[0], ember::DType::F32).py()?.into() })?;
    let offset = (obj.get() as *const PyTensor as usize).wrapping_sub(obj.as_ptr() as usize);
    let (head, value, ptr) = (size_of::<ffi::PyObject>(), size_of::<PyTensor>(), size_of::<*mut ffi::PyObject>());
    if offset != head || dict != head + value || weak != dict + ptr || basic != weak + ptr {
        return Ok(None);
    }
    // SAFETY: `ty` is a live type object; Py_tp_alloc is a slot every type has (inherited
    // from `object` at least), so the pointer is a valid `allocfunc` when non-null.
    let slot = unsafe { ffi::PyType_GetSlot(ty.as_type_ptr(), ffi::Py_tp_alloc) };
    if slot.is_null() {
        return Ok(None);
    }
    // SAFETY: the Py_tp_alloc slot holds a function of type `allocfunc` (CPython's contract).
    let alloc: ffi::allocfunc = unsafe { std::mem::transmute::<*mut std::ffi::c_void, ffi::allocfunc>(slot) };
    Ok(Some(Fast { alloc, offset }))
}

/// `Py::new(py, value)` for the exact `ember.Tensor` type, minus the eager empty dict.
pub fn new_tensor(py: Python<'_>, value: PyTensor) -> PyResult<Py<PyTensor>> {
    let fast = match FAST.get(py) {
        Some(f) => *f,
        None => *FAST.get_or_init(py, || probe(py).ok().flatten()),
    };
    let Some(Fast { alloc, offset }) = fast else { return Py::new(py, value) };
    let ty = py.get_type::<PyTensor>();
    // SAFETY: `alloc` is the type's own tp_alloc, called as `object.__new__` calls it: it
    // returns a zeroed object of `__basicsize__` bytes with its type and refcount set (and
    // GC-tracked), or NULL with an exception set. `probe` verified that such an object is the
    // header, the PyTensor at `offset`, and two pointer slots for which zero means NULL (no
    // dict yet, no weak references) — exactly what PyO3 writes besides the value. Nothing runs
    // between the allocation and the write, so no code sees the object before it holds a
    // valid PyTensor; from then on PyO3's tp_dealloc drops it as one of its own.
    unsafe {
        let obj = alloc(ty.as_type_ptr(), 0);
        if obj.is_null() {
            drop(value);
            return Err(PyErr::fetch(py));
        }
        std::ptr::write((obj as *mut u8).add(offset) as *mut PyTensor, value);
        Ok(Bound::from_owned_ptr(py, obj).cast_into_unchecked::<PyTensor>().unbind())
    }
}
