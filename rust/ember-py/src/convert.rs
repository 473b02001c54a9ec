//! Python values → ember values: dtypes, shapes, dims, scalars, nested data.
use crate::dtype::PyDType;
use crate::error::IntoPy;
use crate::tensor::PyTensor;
use ember::promote::{default_dtype, Arg};
use ember::{DType, Scalar, Tensor};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyComplex, PyFloat, PyInt, PyList, PySequence, PyTuple};

/// A dtype from an `ember.dtype`, or Python's `float`/`int`/`bool` types.
pub fn dtype(o: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DType>> {
    let Some(o) = o else { return Ok(None) };
    if o.is_none() {
        return Ok(None);
    }
    if let Ok(d) = o.cast::<PyDType>() {
        return Ok(Some(d.get().d));
    }
    let py = o.py();
    if o.is(py.get_type::<PyFloat>()) {
        return Ok(Some(DType::F64));
    }
    if o.is(py.get_type::<PyBool>()) {
        return Ok(Some(DType::Bool));
    }
    if o.is(py.get_type::<PyInt>()) {
        return Ok(Some(DType::I64));
    }
    // numpy dtypes and anything else with a recognisable name
    if let Ok(name) = o.getattr("name").and_then(|n| n.extract::<String>()) {
        if let Some(d) = DType::from_name(&name) {
            return Ok(Some(d));
        }
    }
    Err(PyTypeError::new_err(format!("dtype must be an ember.dtype (e.g. ember.float32), got {}", o.repr()?)))
}

/// `dtype(o)` for an argument that may as well be something else (`view(10)`, `view((2, 5))`,
/// `to("cpu")`): an `ember.dtype` is answered first, and no exception is built for a value that
/// is never a dtype — an int, a string, a tuple or list (a shape), a device, a tensor, None (a
/// failed `getattr` plus the TypeError cost `x.view((2, 5))` 1.6 µs, four times the rest of it).
pub fn maybe_dtype(o: &Bound<'_, PyAny>) -> Option<DType> {
    if let Ok(d) = o.cast::<PyDType>() {
        return Some(d.get().d);
    }
    if o.is_instance_of::<PyInt>()
        || o.is_instance_of::<pyo3::types::PyString>()
        || o.is_instance_of::<PyTuple>()
        || o.is_instance_of::<PyList>()
        || o.is_none()
        || o.cast::<crate::dtype::PyDevice>().is_ok()
        || o.cast::<PyTensor>().is_ok()
    {
        return None;
    }
    dtype(Some(o)).ok().flatten()
}

pub fn py_dtype(d: DType) -> PyDType {
    PyDType { d }
}

/// A shape from `f(2, 3)`, `f((2, 3))`, `f([2, 3])` or `f(ember.Size(...))`.
pub fn shape_args(args: &Bound<'_, PyTuple>) -> PyResult<IntList> {
    if args.len() == 1 {
        let a = args.get_item(0)?;
        if !a.is_instance_of::<PyInt>() {
            return int_list(&a);
        }
    }
    int_list(args.as_any())
}

/// `shape_args` for a method taking `*sizes` or the keyword `name=` instead (PyTorch's
/// `x.view(size=…)`, `x.permute(dims=…)`).
pub fn shape_args_or(op: &str, name: &str, args: &Bound<'_, PyTuple>, kw: Option<&Bound<'_, PyAny>>) -> PyResult<IntList> {
    match kw {
        None => shape_args(args),
        Some(_) if !args.is_empty() => {
            Err(pyo3::exceptions::PyTypeError::new_err(format!("{op}() got multiple values for argument '{name}'")))
        }
        Some(k) => int_list(k),
    }
}

/// Dims given as one int or a list (`sum(dim=…)`, `squeeze(dim)`, `roll(dims=…)`): a single
/// int beyond 64 bits is PyTorch's ValueError, as for any int argument; inside a list it is
/// the list's TypeError.
pub fn dim_list(o: &Bound<'_, PyAny>) -> PyResult<IntList> {
    if o.is_instance_of::<PyInt>() {
        return Ok(IntList::from([index_value(o)?]));
    }
    int_list(o)
}

/// A list of ints from a tuple/list/Size (or a single int).
/// Ints held inline (a shape or a dim list rarely has more than 6): no heap allocation.
pub type IntList = ember::layout::InlineVec<i64>;

pub fn int_list(o: &Bound<'_, PyAny>) -> PyResult<IntList> {
    // A tuple or list is never an int: skip the failed int conversion below, whose TypeError
    // (formatted, then discarded) cost `x.view(2, 5)` a third of its time.
    let fast = if let Ok(t) = o.cast::<PyTuple>() {
        exact_ints(t.iter())
    } else if let Ok(l) = o.cast::<PyList>() {
        exact_ints(l.iter())
    } else {
        None
    };
    if let Some(v) = fast {
        return Ok(v);
    }
    if let Ok(i) = o.extract::<i64>() {
        if !o.is_instance_of::<PyFloat>() {
            return Ok(IntList::from([i]));
        }
    }
    if o.is_instance_of::<PyInt>() {
        return Err(overflow_in_list(o, 1));
    }
    if let Ok(seq) = o.cast::<PySequence>() {
        let mut out = IntList::with_capacity(seq.len()?);
        for item in seq.try_iter()? {
            let item = item?;
            if item.is_instance_of::<PyFloat>() {
                return Err(PyTypeError::new_err(format!("expected a sequence of integers but got a float ({})", item.repr()?)));
            }
            if item.is_instance_of::<PyInt>() && item.extract::<i64>().is_err() {
                return Err(overflow_in_list(&item, out.len() + 1));
            }
            out.push(index_value(&item)?);
        }
        return Ok(out);
    }
    Err(PyTypeError::new_err(format!("expected a tuple of ints, got {}", o.get_type().name()?)))
}

/// The items as i64 when every one is a plain int that fits (else None: `int_list`'s general
/// path converts or reports them).
fn exact_ints<'py>(items: impl ExactSizeIterator<Item = Bound<'py, PyAny>>) -> Option<IntList> {
    let mut out = IntList::with_capacity(items.len());
    for it in items {
        if !it.is_exact_instance_of::<PyInt>() {
            return None;
        }
        out.push(it.extract::<i64>().ok()?);
    }
    Some(out)
}

/// PyTorch's TypeError for an element of an int list (a size, dims, repeats) that doesn't fit
/// in 64 bits; `pos` counts from 1 as PyTorch's does.
fn overflow_in_list(o: &Bound<'_, PyAny>, pos: usize) -> PyErr {
    let r = o.repr().map(|r| r.to_string()).unwrap_or_default();
    PyTypeError::new_err(format!(
        "argument failed to unpack the object at pos {pos} with error \"Overflow when unpacking long long\": {r} doesn't fit in 64 bits"
    ))
}

/// An int from a Python int, a one-element integer tensor, or anything with `__index__`.
pub fn index_value(o: &Bound<'_, PyAny>) -> PyResult<i64> {
    if let Ok(t) = o.cast::<PyTensor>() {
        return match t.get().operand().item().py()? {
            Scalar::Int(i) => Ok(i),
            Scalar::Bool(b) => Ok(b as i64),
            Scalar::Float(_) | Scalar::Complex(..) => {
                Err(PyTypeError::new_err("only integer tensors of a single element can be converted to an index"))
            }
        };
    }
    o.extract::<i64>().map_err(|e| {
        if e.is_instance_of::<pyo3::exceptions::PyOverflowError>(o.py()) {
            pyo3::exceptions::PyValueError::new_err(format!(
                "Overflow when unpacking long long: {} doesn't fit in 64 bits",
                o.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        } else {
            e
        }
    })
}

/// An int argument (dims, sizes, offsets): ints beyond 64 bits raise PyTorch's ValueError
/// ("Overflow when unpacking long long") rather than OverflowError; 0-dim integer tensors work too.
pub struct Int(pub i64);

impl<'a, 'py> FromPyObject<'a, 'py> for Int {
    type Error = PyErr;
    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let o = obj.to_owned();
        if o.is_instance_of::<PyFloat>() {
            return Err(PyTypeError::new_err(format!("expected an int, got float ({})", o.repr()?)));
        }
        index_value(&o).map(Int)
    }
}

pub fn usizes(v: &[i64], what: &str) -> PyResult<Vec<usize>> {
    if let Some(x) = v.iter().find(|&&x| x < 0) {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "{what}(): Trying to create tensor with negative dimension {x}: {v:?}"
        )));
    }
    Ok(v.iter().map(|&x| x as usize).collect())
}

/// A Python number as a Scalar (bool before int: bool is an int subclass).
pub fn scalar(o: &Bound<'_, PyAny>) -> PyResult<Option<Scalar>> {
    if o.is_instance_of::<PyBool>() {
        return Ok(Some(Scalar::Bool(o.extract()?)));
    }
    if o.is_instance_of::<PyInt>() {
        return Ok(Some(match o.extract::<i64>() {
            Ok(i) => Scalar::Int(i),
            Err(_) => Scalar::Float(o.extract::<f64>()?),
        }));
    }
    if o.is_instance_of::<PyFloat>() {
        return Ok(Some(Scalar::Float(o.extract()?)));
    }
    if let Ok(z) = o.cast::<PyComplex>() {
        return Ok(Some(Scalar::Complex(z.real(), z.imag())));
    }
    // numpy scalars
    let ty = o.get_type();
    let module = ty.getattr("__module__").ok().and_then(|m| m.extract::<String>().ok()).unwrap_or_default();
    if module == "numpy" {
        let name: String = ty.name()?.extract()?;
        if name.starts_with("float") {
            return Ok(Some(Scalar::Float(o.extract()?)));
        }
        if name.starts_with("complex") {
            let (re, im): (f64, f64) = (o.getattr("real")?.extract()?, o.getattr("imag")?.extract()?);
            return Ok(Some(Scalar::Complex(re, im)));
        }
        if name.starts_with("int") || name.starts_with("uint") {
            return Ok(Some(Scalar::Int(o.call_method0("__int__")?.extract()?)));
        }
        if name == "bool" || name == "bool_" {
            return Ok(Some(Scalar::Bool(o.call_method0("__bool__")?.extract()?)));
        }
    }
    Ok(None)
}

/// `scalar`, for a value headed into a `dtype` tensor: a Python int in uint64's upper half
/// (beyond i64) travels as the i64 with the same bits, which the uint64 cast restores exactly.
pub fn scalar_for(o: &Bound<'_, PyAny>, dtype: Option<DType>) -> PyResult<Option<Scalar>> {
    if dtype == Some(DType::U64) && o.is_instance_of::<PyInt>() && !o.is_instance_of::<PyBool>() && o.extract::<i64>().is_err() {
        return match o.extract::<u64>() {
            Ok(u) => Ok(Some(Scalar::Int(u as i64))),
            Err(_) => Err(pyo3::exceptions::PyRuntimeError::new_err("value cannot be converted to type uint64_t without overflow")),
        };
    }
    scalar(o)
}

/// A tensor or a Python number.
pub fn arg(o: &Bound<'_, PyAny>) -> PyResult<Arg> {
    if let Ok(t) = o.cast::<PyTensor>() {
        return Ok(Arg::T(t.get().operand().clone()));
    }
    if let Some(s) = scalar(o)? {
        return Ok(Arg::S(s));
    }
    if is_ndarray(o) {
        // As PyTorch does: a numpy array operand becomes a tensor (sharing its memory).
        let t = o.py().import("ember._exchange")?.call_method1("from_numpy", (o,))?;
        return Ok(Arg::T(t.cast::<PyTensor>()?.get().operand().clone()));
    }
    Err(PyTypeError::new_err(format!("expected a Tensor or a number, but got {}", o.get_type().name()?)))
}

fn is_ndarray(o: &Bound<'_, PyAny>) -> bool {
    let ty = o.get_type();
    ty.name().is_ok_and(|n| n == "ndarray") && ty.module().is_ok_and(|m| m == "numpy")
}

/// `arg`, but returns None for unsupported types (binary dunders return NotImplemented).
pub fn try_arg(o: &Bound<'_, PyAny>) -> Option<Arg> {
    arg(o).ok()
}

pub fn tensor_of(o: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    if let Ok(t) = o.cast::<PyTensor>() {
        return Ok(t.get().operand().clone());
    }
    Err(PyTypeError::new_err(format!("expected a Tensor, but got {}", o.get_type().name()?)))
}

/// Nested Python data (lists/tuples of numbers or tensors) → (values, shape, inferred dtype).
pub fn nested(o: &Bound<'_, PyAny>) -> PyResult<(Vec<Scalar>, Vec<usize>, DType)> {
    nested_for(o, None)
}

/// `nested` for data headed into a `want` tensor (Python ints are read as `scalar_for` reads them).
pub fn nested_for(o: &Bound<'_, PyAny>, want: Option<DType>) -> PyResult<(Vec<Scalar>, Vec<usize>, DType)> {
    let mut vals = Vec::new();
    let mut shape: Option<Vec<usize>> = None;
    let mut kind = DType::Bool;
    let mut any = false;
    let mut w = Walk { want, vals: &mut vals, kind: &mut kind, any: &mut any };
    walk(o, 0, &mut vec![], &mut shape, &mut w)?;
    let dt = if any {
        if kind == DType::F32 {
            default_dtype()
        } else if kind == DType::C64 {
            default_dtype().to_complex()
        } else {
            kind
        }
    } else {
        default_dtype()
    };
    Ok((vals, shape.unwrap_or_default(), dt))
}

struct Walk<'a> {
    want: Option<DType>,
    vals: &'a mut Vec<Scalar>,
    kind: &'a mut DType,
    any: &'a mut bool,
}

fn walk(o: &Bound<'_, PyAny>, depth: usize, cur: &mut Vec<usize>, shape: &mut Option<Vec<usize>>, w: &mut Walk<'_>) -> PyResult<()> {
    // A list or tuple is never a number, a tensor or an array: the probes below (a failed
    // `hasattr` builds an AttributeError) cost `ember.tensor([1.0, 2.0])` 2 of its 3 µs.
    if !o.is_instance_of::<PyList>() && !o.is_instance_of::<PyTuple>() {
        if let Some(s) = scalar_for(o, w.want)? {
            let k = match s {
                Scalar::Bool(_) => DType::Bool,
                Scalar::Int(_) => DType::I64,
                Scalar::Float(_) => DType::F32,
                Scalar::Complex(..) => DType::C64,
            };
            *w.kind = if *w.any { (*w.kind).max(k) } else { k };
            *w.any = true;
            return leaf(cur, shape, w.vals, s);
        }
        if let Ok(t) = o.cast::<PyTensor>() {
            let t = &t.get().operand();
            if t.ndim() == 0 {
                let s = t.item().py()?;
                let k = if t.dtype().is_complex() {
                    DType::C64
                } else if t.dtype().is_float() {
                    DType::F32
                } else if t.dtype() == DType::Bool {
                    DType::Bool
                } else {
                    DType::I64
                };
                *w.kind = if *w.any { (*w.kind).max(k) } else { k };
                *w.any = true;
                return leaf(cur, shape, w.vals, s);
            }
            let list = o.call_method0("tolist")?;
            return walk(&list, depth, cur, shape, w);
        }
        if o.hasattr("__array_interface__")? {
            let list = o.call_method0("tolist")?;
            return walk(&list, depth, cur, shape, w);
        }
        if o.is_instance_of::<pyo3::types::PyString>() || o.is_instance_of::<pyo3::types::PyBytes>() {
            // A str is a sequence of strs: without this check the walk would never end.
            return Err(PyTypeError::new_err(format!("new(): invalid data type '{}'", o.get_type().name()?)));
        }
    }
    let seq = o.cast::<PySequence>().map_err(|_| {
        PyTypeError::new_err(format!("Could not infer dtype of {}", o.get_type().name().map(|n| n.to_string()).unwrap_or_default()))
    })?;
    if depth >= 64 {
        return Err(PyValueError::new_err("too many dimensions: nested data deeper than 64 levels (a list that contains itself?)"));
    }
    let n = seq.len()?;
    cur.push(n);
    if let Some(s) = shape.as_ref() {
        if s.len() < cur.len() || s[cur.len() - 1] != n {
            return Err(PyValueError::new_err(format!(
                "expected sequence of length {} at dim {} (got {n})",
                s.get(cur.len() - 1).copied().unwrap_or(0),
                cur.len() - 1
            )));
        }
    }
    if n == 0 && shape.is_none() {
        *shape = Some(cur.clone());
    }
    for item in seq.try_iter()? {
        walk(&item?, depth + 1, cur, shape, w)?;
    }
    cur.pop();
    Ok(())
}

fn leaf(cur: &[usize], shape: &mut Option<Vec<usize>>, vals: &mut Vec<Scalar>, s: Scalar) -> PyResult<()> {
    match shape {
        None => *shape = Some(cur.to_vec()),
        Some(sh) if sh.as_slice() != cur => {
            return Err(PyValueError::new_err(format!("expected sequence of length {} at dim {} (got a number)", sh.len(), cur.len())))
        }
        _ => {}
    }
    vals.push(s);
    Ok(())
}
