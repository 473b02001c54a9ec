//! `x[...]` and `x[...] = v` on the native class: a basic index (ints, slices, None, Ellipsis)
//! as a chain of views, one index tensor as a native gather, anything else through
//! `python/ember/_indexing.py`.
use crate::convert::{self, index_value};
use crate::error::IntoPy;
use crate::tensor::{run, wrap, PyTensor};
use ember::{DType, Tensor};
use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyEllipsis, PySlice, PyTuple};

#[derive(Clone, Copy)]
enum Idx {
    Int(i64),
    Slice(i64, i64, i64),
    None,
    Ellipsis,
}

/// A parsed basic index: up to 6 entries inline (no allocation for `x[1:3]` or `x[:, 0]`).
type Index = ember::layout::InlineVec<Idx>;

/// Parses a basic index (ints, slices, None, Ellipsis) into `out` (the caller's, so the
/// ~200-byte index is never moved); false when it holds an advanced part (tensors, lists,
/// bools), which `tensor_index` or the Python-side indexing handles.
fn parse_index(idx: &Bound<'_, PyAny>, out: &mut Index) -> PyResult<bool> {
    match idx.cast::<PyTuple>() {
        Ok(t) => {
            for it in t.iter() {
                if !parse_item(&it, out)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Err(_) => parse_item(idx, out),
    }
}

/// Appends one entry of a basic index; false when `it` needs advanced indexing.
fn parse_item(it: &Bound<'_, PyAny>, out: &mut Index) -> PyResult<bool> {
    if it.is_none() {
        out.push(Idx::None);
    } else if it.is_instance_of::<PyEllipsis>() {
        out.push(Idx::Ellipsis);
    } else if let Ok(s) = it.cast::<PySlice>() {
        // CPython's own reading of a slice: None → defaults, ints beyond 64 bits clamp (as
        // slicing a list does), other objects through `__index__`, a zero step and
        // non-integer bounds raise Python's (and PyTorch's) ValueError / TypeError.
        let (mut start, mut stop, mut step): (pyo3::ffi::Py_ssize_t, pyo3::ffi::Py_ssize_t, pyo3::ffi::Py_ssize_t) = (0, 0, 0);
        // SAFETY: `s` is a live slice object and the out-pointers are valid locals.
        if unsafe { pyo3::ffi::PySlice_Unpack(s.as_ptr(), &mut start, &mut stop, &mut step) } < 0 {
            return Err(PyErr::fetch(it.py()));
        }
        if step < 0 {
            return Err(PyValueError::new_err("step must be greater than zero"));
        }
        out.push(Idx::Slice(start as i64, stop as i64, step as i64));
    } else if it.is_instance_of::<pyo3::types::PyBool>() {
        return Ok(false);
    } else if let Ok(t) = it.cast::<PyTensor>() {
        let t = &t.get().operand();
        if t.ndim() == 0 && !t.dtype().is_float() && t.dtype() != DType::Bool {
            out.push(Idx::Int(index_value(it)?));
        } else {
            return Ok(false);
        }
    } else if let Ok(i) = it.extract::<i64>() {
        out.push(Idx::Int(i));
    } else {
        return Ok(false);
    }
    Ok(true)
}

/// Applies a basic index as a chain of views.
fn basic_index(t: &Tensor, idx: &Index) -> PyResult<Tensor> {
    let consumed = idx.iter().filter(|i| matches!(i, Idx::Int(_) | Idx::Slice(..))).count();
    if idx.iter().filter(|i| matches!(i, Idx::Ellipsis)).count() > 1 {
        return Err(PyIndexError::new_err("an index can only have a single ellipsis ('...')"));
    }
    if t.ndim() == 0 && consumed > 0 {
        return Err(PyIndexError::new_err(
            "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number",
        ));
    }
    if consumed > t.ndim() {
        return Err(PyIndexError::new_err(format!("too many indices for tensor of dimension {}", t.ndim())));
    }
    let mut cur = t.clone();
    let mut dim: i64 = 0;
    let mut skipped = None; // the first whole-dim slice left out
    for &i in idx.iter() {
        match i {
            Idx::Int(k) => {
                let size = cur.shape()[dim as usize] as i64;
                if k >= size || k < -size {
                    return Err(PyIndexError::new_err(format!("index {k} is out of bounds for dimension {dim} with size {size}")));
                }
                cur = cur.select(dim, k).py()?;
            }
            Idx::Slice(s, e, st) => {
                // A slice keeping its whole dim is no view of its own (PyTorch skips it too:
                // `x[:, 1]` is one SelectBackward0 view, not a slice then a select); when
                // nothing else makes a view, one slice view is made below.
                if s == 0 && st == 1 && cur.shape().get(dim as usize).is_some_and(|&n| e >= n as i64) {
                    skipped.get_or_insert(dim);
                } else {
                    cur = cur.slice(dim, s, e, st).py()?;
                }
                dim += 1;
            }
            Idx::None => {
                cur = cur.unsqueeze(dim).py()?;
                dim += 1;
            }
            Idx::Ellipsis => dim += (t.ndim() - consumed) as i64,
        }
    }
    if let Some(d) = skipped.filter(|_| std::sync::Arc::ptr_eq(&cur.0, &t.0)) {
        cur = cur.slice(d, 0, i64::MAX, 1).py()?;
    }
    Ok(cur)
}

#[pymethods]
impl PyTensor {
    fn __getitem__(slf: &Bound<'_, Self>, idx: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__getitem__", || {
            let py = slf.py();
            let mut parsed = Index::new();
            if parse_index(idx, &mut parsed)? {
                wrap(py, basic_index(&slf.get().t, &parsed)?)
            } else if let Some(ix) = tensor_index(&slf.get().t, idx)? {
                let t = &slf.get().operand();
                wrap(py, run(py, t.numel(), || t.index(&ix))?)
            } else {
                Ok(py.import("ember._indexing")?.call_method1("getitem", (slf, idx))?.unbind())
            }
        })
    }
    fn __setitem__(slf: &Bound<'_, Self>, idx: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::guard::guard("__setitem__", || {
            let py = slf.py();
            let mut parsed = Index::new();
            if !parse_index(idx, &mut parsed)? {
                py.import("ember._indexing")?.call_method1("setitem", (slf, idx, value))?;
                return Ok(());
            }
            let view = basic_index(&slf.get().t, &parsed)?;
            if let Some(s) = convert::scalar(value)? {
                return run(py, view.numel(), || view.fill_(s));
            }
            let src = match value.cast::<PyTensor>() {
                Ok(t) => t.get().operand().clone(),
                Err(_) => {
                    let (vals, shape, _) = convert::nested(value)?;
                    Tensor::from_scalars(&vals, &shape, view.dtype()).py()?
                }
            };
            run(py, view.numel(), || view.copy_(&src))
        })
    }
}

/// The gather indices of `x[i]` for one index tensor, as `_indexing._expand` makes them: an
/// int64/int32 tensor indexes dim 0; a bool mask over the leading dims becomes its `nonzero()`
/// columns. None for anything else (and for a mask whose shape does not match, whose error
/// the Python path words): `x[idx]` took 7.5 µs through it, twice PyTorch.
fn tensor_index(t: &Tensor, idx: &Bound<'_, PyAny>) -> PyResult<Option<Vec<Option<Tensor>>>> {
    let Ok(i) = idx.cast::<PyTensor>() else { return Ok(None) };
    let i = i.get().operand().clone();
    match i.dtype() {
        DType::I64 | DType::I32 if t.ndim() >= 1 => Ok(Some(vec![Some(i)])),
        DType::Bool if i.ndim() >= 1 && i.ndim() <= t.ndim() && i.shape() == &t.shape()[..i.ndim()] => {
            let nz = i.nonzero().py()?;
            let cols = (0..i.ndim()).map(|d| nz.select(1, d as i64).map(Some)).collect::<ember::Result<Vec<_>>>().py()?;
            Ok(Some(cols))
        }
        _ => Ok(None),
    }
}
