//! The in-place geometry primitives (`Tensor.t_`, `resize_`, `set_`, … are thin Python
//! methods over these): each computes the replacement tensor in the `ember` crate, then
//! puts it behind the same Python object.
use crate::error::IntoPy;
use crate::tensor::{PyStorage, PyTensor};
use ember::{Storage, Tensor};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::sync::atomic::Ordering;

/// Makes `t` the tensor behind `slf`: the Python object keeps its identity (and subclass,
/// `__dict__`, hooks held in Python), and `wrap(t)` returns this very object from now on.
fn swap_in(slf: &Bound<'_, PyTensor>, t: Tensor) -> Py<PyAny> {
    let me = slf.as_ptr() as usize;
    t.0.pyobj.store(me, Ordering::Relaxed);
    let old = slf.get().t.replace(t);
    // The old tensor may live on (a view's base, a saved tensor): it gets a fresh Python
    // object if it is ever handed out again, never this one.
    let _ = old.0.pyobj.compare_exchange(me, 0, Ordering::Relaxed, Ordering::Relaxed);
    slf.clone().into_any().unbind()
}

const VIEW_OPS: [&str; 8] = ["t_", "transpose_", "swapdims_", "swapaxes_", "squeeze_", "unsqueeze_", "as_strided_", "detach_"];

fn sizes_of(v: &[i64], op: &str) -> PyResult<Vec<usize>> {
    v.iter()
        .map(|&n| {
            usize::try_from(n)
                .map_err(|_| PyRuntimeError::new_err(format!("{op}(): Trying to create tensor with negative dimension {n}: {v:?}")))
        })
        .collect()
}

#[pymethods]
impl PyTensor {
    /// `self` takes the geometry (and recorded history) of `view`, a view of itself just
    /// made by the out-of-place op (`self.t()` for `t_`).
    fn _assume_view_(slf: &Bound<'_, Self>, view: &Bound<'_, PyTensor>, op: &str) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_assume_view_", || {
            let op = VIEW_OPS.iter().copied().find(|k| *k == op).unwrap_or("as_strided_");
            let t = slf.get().t.assume_view_geometry(op, &view.get().t).py()?;
            Ok(swap_in(slf, t))
        })
    }

    /// The strides PyTorch's `preserve_format` gives a new tensor like this one (`empty_like`,
    /// `zeros_like`, …): its own when dense, else dense in the order its strides give.
    fn _preserve_strides(&self) -> Vec<isize> {
        ember::layout::preserve_format(self.t.layout()).strides.to_vec()
    }

    /// `resize_(sizes)` with optional explicit strides (a memory format's).
    #[pyo3(signature = (sizes, strides=None))]
    fn _resize_geometry_(slf: &Bound<'_, Self>, sizes: Vec<i64>, strides: Option<Vec<isize>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_resize_geometry_", || {
            let sizes = sizes_of(&sizes, "resize_")?;
            let t = slf.get().t.resize_geometry(&sizes, strides.as_deref()).py()?;
            Ok(swap_in(slf, t))
        })
    }

    /// `set_(storage, storage_offset, size, stride)`; `storage=None` is `set_()` (an empty
    /// storage of its own).
    fn _set_geometry_(
        slf: &Bound<'_, Self>,
        storage: Option<&Bound<'_, PyStorage>>,
        offset: i64,
        sizes: Vec<i64>,
        strides: Vec<isize>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_set_geometry_", || {
            let sizes = sizes_of(&sizes, "set_")?;
            let offset = usize::try_from(offset)
                .map_err(|_| PyRuntimeError::new_err(format!("set_(): storage_offset must be >= 0, got {offset}")))?;
            let st = match storage {
                Some(s) => s.get().s.clone(),
                None => Storage::zeros(0).py()?,
            };
            let t = slf.get().t.set_geometry(st, offset, &sizes, &strides).py()?;
            Ok(swap_in(slf, t))
        })
    }

    /// Puts the sparse COO tensor `other` (just built out of place by `sparse_resize_` and
    /// friends) behind `self`, which must be sparse COO too.
    fn _swap_sparse_(slf: &Bound<'_, Self>, other: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("_swap_sparse_", || {
            let t = other.get().t.clone();
            if !slf.get().t.is_sparse() || !t.is_sparse() {
                return Err(PyRuntimeError::new_err("_swap_sparse_: both tensors must be sparse COO tensors"));
            }
            Ok(swap_in(slf, t))
        })
    }
}
