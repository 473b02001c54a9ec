//! `ember.Tensor`, the native class: geometry, conversions, views, indexing.
use crate::convert::{self, index_value, int_list, py_dtype, shape_args, Int};
use crate::error::IntoPy;
use ember::{DType, Scalar, Storage, Tensor};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use std::sync::atomic::Ordering;

#[pyclass(name = "Tensor", module = "ember", subclass, frozen, weakref, dict)]
pub struct PyTensor {
    /// Replaceable by in-place geometry ops (see `cell.rs`); reads deref to `&Tensor`.
    pub t: crate::cell::TensorCell,
}

impl PyTensor {
    /// The tensor as an op reads it (a conjugate view materialized; see `cell::Operand`).
    /// Metadata, views and the conjugate-bit methods use the field `t` itself.
    #[inline]
    pub fn operand(&self) -> crate::cell::Operand<'_> {
        self.t.operand()
    }
}

impl Drop for PyTensor {
    fn drop(&mut self) {
        // The Python object is going away: forget it, so `wrap` makes a new one.
        self.t.0.pyobj.store(0, Ordering::Relaxed);
    }
}

/// The Python object for `t`: the existing one when it is alive (keeping identity and
/// subclass, e.g. a Parameter), else a new `ember.Tensor`.
pub fn wrap(py: Python<'_>, t: Tensor) -> PyResult<Py<PyAny>> {
    if let Some(ember::conj::Resolved::WriteBack(view)) = &t.0.resolved {
        // An op handed back its operand as it was: that operand stands for a conjugate view
        // (`cell::Operand`), which is what the caller gave and gets back (PyTorch returns self).
        return wrap(py, view.clone());
    }
    let p = t.0.pyobj.load(Ordering::Relaxed);
    // A refcount of 0 means the object is mid-deallocation (a weakref callback or __del__
    // running code that reaches this tensor): never resurrect it; hand out a fresh object
    // and leave the slot to the dying one, whose Drop clears it.
    // SAFETY: `p` is non-zero only while the Python object is allocated: its Drop (run from the
    // object's dealloc, under the GIL we hold) zeroes the slot before the memory is freed. So the
    // refcount read is of a live object, and a positive count makes the borrowed reference valid.
    if p != 0 && unsafe { pyo3::ffi::Py_REFCNT(p as *mut pyo3::ffi::PyObject) } > 0 {
        return Ok(unsafe { Bound::from_borrowed_ptr(py, p as *mut pyo3::ffi::PyObject) }.unbind());
    }
    let impl_ = t.0.clone();
    let obj = crate::alloc::new_tensor(py, PyTensor { t: t.into() })?;
    if p == 0 {
        impl_.pyobj.store(obj.as_ptr() as usize, Ordering::Relaxed);
    }
    Ok(obj.into_any())
}

pub fn wrap_all(py: Python<'_>, ts: Vec<Tensor>) -> PyResult<Py<PyAny>> {
    let items: Vec<Py<PyAny>> = ts.into_iter().map(|t| wrap(py, t)).collect::<PyResult<_>>()?;
    Ok(PyTuple::new(py, items)?.into_any().unbind())
}

/// Work (elements touched; multiply-adds for matmul/conv) from which a kernel runs without
/// the GIL. Releasing and re-taking it costs ~35 ns uncontended (measured: ctypes' GIL-releasing
/// CDLL call minus its GIL-holding PyDLL twin, 2-vCPU box), while 4,096 elements of the
/// cheapest kernel (a float add) take ~1 µs: at this size the release costs under 4 % of the
/// kernel, and below it another thread would gain at most a microsecond, while a 10-element
/// `a + b` (~1 µs, mostly argument parsing) would pay the release and, under contention, a GIL
/// hand-off each call. Every kernel-running binding goes through here.
pub const RELEASE_GIL_WORK: usize = 4096;

/// Runs `f`, the kernel part of a binding (it must not touch Python objects), with the GIL
/// released when `work >= RELEASE_GIL_WORK` (`usize::MAX` = always, for a size known only
/// inside `f`). Python threads (DataLoader threads, communication threads) run meanwhile.
pub fn run<T: Send>(py: Python<'_>, work: usize, f: impl FnOnce() -> ember::Result<T> + Send) -> PyResult<T> {
    if work >= RELEASE_GIL_WORK {
        py.detach(f).py()
    } else {
        f().py()
    }
}

/// The work of reading a tensor's values into host memory: a device tensor waits for its
/// queue and downloads (released always), a host one copies its elements.
fn read_work(t: &Tensor) -> usize {
    if t.device().is_host() {
        t.numel()
    } else {
        usize::MAX
    }
}

/// The element count of a shape, saturating (the shape may not have been checked yet).
pub fn numel_of(sizes: &[usize]) -> usize {
    sizes.iter().fold(1usize, |a, &n| a.saturating_mul(n))
}

/// The work of a reshape/flatten: a copy of every element when no view exists, else none.
pub fn copy_work(t: &Tensor) -> usize {
    if t.is_contiguous() {
        0
    } else {
        t.numel()
    }
}

/// The `untyped_storage()` handle.
#[pyclass(name = "UntypedStorage", module = "ember", frozen)]
pub struct PyStorage {
    pub s: Storage,
}

#[pymethods]
impl PyStorage {
    fn data_ptr(&self) -> usize {
        self.s.ptr() as usize
    }
    fn nbytes(&self) -> usize {
        self.s.nbytes()
    }
    fn size(&self) -> usize {
        self.s.nbytes()
    }
    fn __len__(&self) -> usize {
        self.s.nbytes()
    }
    fn element_size(&self) -> usize {
        1
    }
    #[getter]
    fn device(&self) -> crate::dtype::PyDevice {
        crate::dtype::PyDevice { kind: "cpu".into(), index: None }
    }
    /// How many handles (tensors, views, saved copies) share this storage.
    fn _use_count(&self) -> usize {
        self.s.handle_count() - 1
    }
    fn _version(&self) -> u64 {
        self.s.version()
    }
    fn _origin(&self) -> String {
        self.s.origin()
    }
    fn __repr__(&self) -> String {
        format!("<ember.UntypedStorage of {} bytes at 0x{:x}>", self.s.nbytes(), self.s.ptr() as usize)
    }
    fn __eq__(&self, o: &Bound<'_, PyAny>) -> bool {
        o.cast::<PyStorage>().is_ok_and(|o| o.get().s.same(&self.s))
    }
    fn __hash__(&self) -> usize {
        self.s.ptr() as usize
    }
}

/// An `ember.Size` of `sizes`, filled as `tuple.__new__(Size, sizes)` fills it (Size's own
/// `__new__` would convert each item with `int()` again).
pub fn size_object<'py>(py: Python<'py>, sizes: &[usize]) -> PyResult<Bound<'py, PyAny>> {
    static SIZE: pyo3::sync::PyOnceLock<Py<pyo3::types::PyType>> = pyo3::sync::PyOnceLock::new();
    let ty = SIZE.import(py, "ember._size", "Size")?;
    let items = sizes.iter().map(|&n| n.into_pyobject(py).map(|o| o.into_any())).collect::<Result<Vec<_>, _>>()?;
    tuple_of(py, ty, items)
}

/// An instance of the tuple subclass `ty` (`ember.Size`, a `return_types` named tuple) holding
/// `items`, made as `tuple.__new__(ty, items)` makes it, without a Python-level `__new__` (a
/// named tuple's costs ~1 µs, twice the op that returns it for a small tensor).
pub fn tuple_of<'py>(py: Python<'py>, ty: &Bound<'py, pyo3::types::PyType>, items: Vec<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    use pyo3::ffi;
    // The type's flag word, not `issubclass` (this runs for every `x.shape`).
    // SAFETY: `ty` is a live type object; reading its flags has no other requirement.
    if unsafe { ffi::PyType_GetFlags(ty.as_type_ptr()) } & ffi::Py_TPFLAGS_TUPLE_SUBCLASS == 0 {
        return Err(PyTypeError::new_err(format!("internal error: {} is not a tuple type", ty.name()?)));
    }
    // SAFETY: `ty` is a tuple subclass (checked above), so its tp_alloc makes a tuple of `len`
    // empty slots; `PyTuple_SetItem` steals each item into the fresh (refcount 1) object, as
    // CPython's `tuple_subtype_new` does with its own items.
    unsafe {
        let obj = ffi::PyType_GenericAlloc(ty.as_ptr() as *mut ffi::PyTypeObject, items.len() as ffi::Py_ssize_t);
        let obj = Bound::from_owned_ptr_or_err(py, obj)?;
        for (i, v) in items.into_iter().enumerate() {
            if ffi::PyTuple_SetItem(obj.as_ptr(), i as ffi::Py_ssize_t, v.into_ptr()) != 0 {
                return Err(PyErr::fetch(py));
            }
        }
        Ok(obj)
    }
}

/// The dim order (outermost first) an `ember.memory_format` lays an `ndim` tensor out in;
/// None for `preserve_format`. PyTorch's errors: a TypeError for a non-format, a
/// RuntimeError for a channels-last format on a tensor of another rank.
fn memory_order_of(op: &str, f: &Bound<'_, PyAny>, ndim: usize) -> PyResult<Option<Vec<usize>>> {
    static FORMAT: pyo3::sync::PyOnceLock<Py<pyo3::types::PyType>> = pyo3::sync::PyOnceLock::new();
    let py = f.py();
    if f.is_none() {
        return Ok(None);
    }
    if !f.is_instance(FORMAT.import(py, "ember._memory_format", "memory_format")?)? {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "{op}(): argument 'memory_format' must be torch.memory_format, not {}",
            f.get_type().name()?
        )));
    }
    let name: String = f.getattr(pyo3::intern!(py, "_name"))?.extract()?;
    let rank = match name.as_str() {
        "preserve_format" => return Ok(None),
        "contiguous_format" => return Ok(Some((0..ndim).collect())),
        "channels_last" => 4,
        "channels_last_3d" => 5,
        _ => return Err(pyo3::exceptions::PyRuntimeError::new_err(format!("{op}(): unsupported memory format {name}"))),
    };
    if ndim != rank {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!("required rank {rank} tensor to use {name} format")));
    }
    // N, then the spatial dims, then C innermost (NHWC / NDHWC)
    Ok(Some(std::iter::once(0).chain(2..rank).chain(std::iter::once(1)).collect()))
}

/// A Scalar as the Python number PyTorch's `item()` gives (bool, int, float or complex).
pub fn scalar_to_py(py: Python<'_>, s: Scalar) -> PyResult<Py<PyAny>> {
    Ok(match s {
        Scalar::Bool(b) => pyo3::types::PyBool::new(py, b).to_owned().into_any().unbind(),
        Scalar::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Scalar::Float(f) => f.into_pyobject(py)?.into_any().unbind(),
        Scalar::Complex(re, im) => pyo3::types::PyComplex::from_doubles(py, re, im).into_any().unbind(),
    })
}

/// `scalar_to_py` for an element of a `dt` tensor: uint64 elements travel as the i64 with
/// the same bits (Scalar has no unsigned case) and come out as the Python int they hold.
pub fn element_to_py(py: Python<'_>, s: Scalar, dt: DType) -> PyResult<Py<PyAny>> {
    match (s, dt) {
        (Scalar::Int(i), DType::U64) => Ok((i as u64).into_pyobject(py)?.into_any().unbind()),
        _ => scalar_to_py(py, s),
    }
}

fn tolist(py: Python<'_>, t: &Tensor) -> PyResult<Py<PyAny>> {
    let dt = t.dtype();
    let to_py = |s: Scalar| element_to_py(py, s, dt);
    let work = read_work(t);
    if t.ndim() == 0 {
        return to_py(run(py, work, || t.item())?);
    }
    let vals: Vec<Scalar> = if t.dtype().is_complex() {
        run(py, work, || t.to_vec::<ember::C128>())?.into_iter().map(|z| Scalar::Complex(z.re, z.im)).collect()
    } else if t.dtype() == DType::F32 {
        // read as stored and widened here: `to_vec::<f64>` made a converted copy first (for a
        // small tensor, that copy was half of `tolist`)
        run(py, work, || t.to_vec::<f32>())?.into_iter().map(|v| Scalar::Float(v as f64)).collect()
    } else if t.dtype().is_float() {
        run(py, work, || t.to_vec::<f64>())?.into_iter().map(Scalar::Float).collect()
    } else if t.dtype() == DType::Bool {
        run(py, work, || t.to_vec::<bool>())?.into_iter().map(Scalar::Bool).collect()
    } else {
        run(py, work, || t.to_vec::<i64>())?.into_iter().map(Scalar::Int).collect()
    };
    fn build(py: Python<'_>, shape: &[usize], vals: &[Scalar], f: &dyn Fn(Scalar) -> PyResult<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        let n = shape[0];
        if shape.len() == 1 {
            let items: Vec<Py<PyAny>> = vals.iter().map(|&v| f(v)).collect::<PyResult<_>>()?;
            return Ok(PyList::new(py, items)?.into_any().unbind());
        }
        let step: usize = shape[1..].iter().product();
        let items: Vec<Py<PyAny>> = (0..n).map(|i| build(py, &shape[1..], &vals[i * step..(i + 1) * step], f)).collect::<PyResult<_>>()?;
        Ok(PyList::new(py, items)?.into_any().unbind())
    }
    build(py, t.shape(), &vals, &to_py)
}

fn one_element(py: Python<'_>, t: &Tensor, what: &str) -> PyResult<Scalar> {
    if t.numel() != 1 {
        if what == "bool" {
            return Err(PyRuntimeError::new_err(if t.numel() == 0 {
                "Boolean value of Tensor with no values is ambiguous"
            } else {
                "Boolean value of Tensor with more than one value is ambiguous"
            }));
        }
        return Err(PyValueError::new_err(format!(
            "only one element tensors can be converted to Python scalars (this one has {} elements); use .tolist() or index one element first",
            t.numel()
        )));
    }
    run(py, read_work(t), || t.item())
}

#[pymethods]
impl PyTensor {
    #[new]
    #[pyo3(signature = (*args))]
    fn py_new(args: &Bound<'_, PyTuple>) -> PyResult<Self> {
        crate::guard::guard("py_new", || {
            // `Tensor(data)` copies data as float; `Tensor(2, 3)` / `Tensor()` allocate.
            let dt = ember::promote::default_dtype();
            if args.len() == 1 {
                let a = args.get_item(0)?;
                if let Ok(t) = a.cast::<PyTensor>() {
                    return Ok(PyTensor { t: t.get().operand().detach().into() });
                }
                if a.cast::<pyo3::types::PySequence>().is_ok() {
                    let (vals, shape, _) = convert::nested(&a)?;
                    return Ok(PyTensor { t: Tensor::from_scalars(&vals, &shape, dt).py()?.into() });
                }
            }
            let shape = convert::usizes(&shape_args(args)?, "Tensor")?;
            Ok(PyTensor { t: run(args.py(), numel_of(&shape), || Tensor::zeros(&shape, dt))?.into() })
        })
    }

    // ---- geometry ----
    /// The sizes as an `ember.Size`, built here rather than by a Python property: read on
    /// every loss call and in user loops, it cost ~0.25 µs through `tuple.__new__`. A Python
    /// subclass may define its sizes by overriding `_shape` (nested and compressed sparse
    /// tensors do), so for subclasses the Size is made of whatever `_shape` gives.
    /// `x.size()` / `x.size(dim)`. An int dim of a plain tensor is answered here (the Python
    /// method took 1 µs for `x.size(0)`, four times PyTorch); subclasses (whose sizes come from
    /// `_shape`), other dim types and out-of-range dims go to `ember._tensor._size`, which holds
    /// the rules and the errors.
    #[pyo3(signature = (dim=None))]
    fn size<'py>(slf: &Bound<'py, Self>, dim: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if slf.get_type().is(py.get_type::<PyTensor>()) {
            let shape = slf.get().t.shape();
            match dim {
                None => return size_object(py, shape),
                Some(d) if d.is_exact_instance_of::<pyo3::types::PyInt>() => {
                    if let Ok(i) = d.extract::<i64>() {
                        let n = shape.len() as i64;
                        if n == 0 && (i == 0 || i == -1) {
                            return Ok(1usize.into_pyobject(py)?.into_any());
                        }
                        if (-n..n).contains(&i) {
                            return Ok(shape[if i < 0 { i + n } else { i } as usize].into_pyobject(py)?.into_any());
                        }
                    }
                }
                Some(_) => {}
            }
        }
        static SLOW: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
        SLOW.import(py, "ember._tensor", "_size")?.call1((slf, dim))
    }
    #[getter]
    fn shape<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        crate::guard::guard("shape", || {
            let py = slf.py();
            if slf.get_type().is(py.get_type::<PyTensor>()) {
                return size_object(py, slf.get().t.shape());
            }
            let sizes: Vec<usize> = slf.getattr(pyo3::intern!(py, "_shape"))?.extract()?;
            size_object(py, &sizes)
        })
    }
    #[getter]
    fn _shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        crate::guard::guard("_shape", || PyTuple::new(py, self.operand().shape()))
    }
    #[pyo3(signature = (dim=None))]
    fn stride<'py>(&self, py: Python<'py>, dim: Option<Int>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("stride", || {
            if self.operand().is_sparse() {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "Sparse tensors do not have strides: a sparse COO tensor is indices + values; see ._indices() and ._values()",
                ));
            }
            let dim = dim.map(|d| d.0);
            match dim {
                Some(d) => {
                    let d = ember::layout::wrap_dim(d, self.operand().ndim()).map_err(ember::Error::from).py()?;
                    Ok(self.operand().strides().get(d).copied().unwrap_or(1).into_pyobject(py)?.into_any().unbind())
                }
                None => Ok(PyTuple::new(py, self.operand().strides())?.into_any().unbind()),
            }
        })
    }
    fn storage_offset(&self) -> usize {
        self.t.offset()
    }
    #[getter]
    fn dtype(&self) -> crate::dtype::PyDType {
        py_dtype(self.t.dtype())
    }
    #[getter]
    fn device(&self) -> crate::dtype::PyDevice {
        let d = self.t.device();
        crate::dtype::PyDevice { kind: d.type_name().into(), index: d.index().map(i64::from) }
    }
    #[getter]
    fn ndim(&self) -> usize {
        self.t.ndim()
    }
    fn dim(&self) -> usize {
        self.t.ndim()
    }
    fn ndimension(&self) -> usize {
        self.t.ndim()
    }
    fn numel(&self) -> usize {
        self.t.numel()
    }
    fn nelement(&self) -> usize {
        self.t.numel()
    }
    fn element_size(&self) -> usize {
        self.t.dtype().size()
    }
    #[getter]
    fn itemsize(&self) -> usize {
        self.t.dtype().size()
    }
    #[getter]
    fn nbytes(&self) -> usize {
        self.t.numel() * self.t.dtype().size()
    }
    #[pyo3(signature = (memory_format=None))]
    fn is_contiguous(&self, memory_format: Option<&Bound<'_, PyAny>>) -> bool {
        let _ = memory_format;
        self.t.is_contiguous()
    }
    fn data_ptr(&self) -> usize {
        self.t.data_ptr()
    }
    fn untyped_storage(&self) -> PyStorage {
        PyStorage { s: self.t.storage().clone() }
    }
    #[getter]
    fn _version(&self) -> u64 {
        self.t.version()
    }
    #[getter]
    fn _base(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        crate::guard::guard("_base", || self.t.base().map(|b| wrap(py, b.clone())).transpose())
    }
    fn is_floating_point(&self) -> bool {
        self.t.dtype().is_float()
    }
    fn is_signed(&self) -> bool {
        self.t.dtype().is_signed()
    }
    fn __len__(&self) -> PyResult<usize> {
        crate::guard::guard("__len__", || {
            if self.t.ndim() == 0 {
                return Err(PyTypeError::new_err("len() of a 0-d tensor"));
            }
            Ok(self.t.shape()[0])
        })
    }

    // ---- values ----
    fn item(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("item", || {
            let t = &self.operand();
            element_to_py(py, run(py, read_work(t), || t.item())?, t.dtype())
        })
    }
    fn tolist(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("tolist", || tolist(py, &self.operand()))
    }
    fn __bool__(&self, py: Python<'_>) -> PyResult<bool> {
        crate::guard::guard("__bool__", || Ok(one_element(py, &self.operand(), "bool")?.to_c128() != (0.0, 0.0)))
    }
    fn __float__(&self, py: Python<'_>) -> PyResult<f64> {
        crate::guard::guard("__float__", || Ok(one_element(py, &self.operand(), "float")?.to_f64()))
    }
    fn __int__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__int__", || element_to_py(py, Scalar::Int(one_element(py, &self.operand(), "int")?.to_i64()), self.t.dtype()))
    }
    fn __index__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__index__", || {
            if self.operand().dtype().is_float() || self.operand().numel() != 1 {
                return Err(PyTypeError::new_err("only integer tensors of a single element can be converted to an index"));
            }
            element_to_py(py, Scalar::Int(one_element(py, &self.operand(), "int")?.to_i64()), self.t.dtype())
        })
    }

    // ---- views ----
    #[pyo3(signature = (*shape, size=None))]
    fn view(&self, py: Python<'_>, shape: &Bound<'_, PyTuple>, size: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("view", || {
            if size.is_some() {
                return wrap(py, self.t.view(&convert::shape_args_or("view", "size", shape, size)?).py()?);
            }
            if shape.len() == 1 {
                if let Some(d) = convert::maybe_dtype(&shape.get_item(0)?) {
                    return view_dtype(py, &self.t, d);
                }
            }
            wrap(py, self.t.view(&shape_args(shape)?).py()?)
        })
    }
    #[pyo3(signature = (*args, shape=None))]
    fn reshape(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, shape: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("reshape", || {
            let s = convert::shape_args_or("reshape", "shape", args, shape)?;
            let t: &Tensor = &self.t;
            wrap(py, run(py, copy_work(t), || t.reshape(&s))?)
        })
    }
    fn view_as(&self, py: Python<'_>, other: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("view_as", || {
            let s: Vec<i64> = other.get().t.shape().iter().map(|&x| x as i64).collect();
            wrap(py, self.t.view(&s).py()?)
        })
    }
    fn reshape_as(&self, py: Python<'_>, other: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("reshape_as", || {
            let s: Vec<i64> = other.get().t.shape().iter().map(|&x| x as i64).collect();
            let t: &Tensor = &self.t;
            wrap(py, run(py, copy_work(t), || t.reshape(&s))?)
        })
    }
    fn transpose(&self, py: Python<'_>, dim0: Int, dim1: Int) -> PyResult<Py<PyAny>> {
        crate::guard::guard("transpose", || {
            let dim0 = dim0.0;
            let dim1 = dim1.0;
            wrap(py, self.t.transpose(dim0, dim1).py()?)
        })
    }
    fn swapaxes(&self, py: Python<'_>, axis0: Int, axis1: Int) -> PyResult<Py<PyAny>> {
        crate::guard::guard("swapaxes", || {
            let axis0 = axis0.0;
            let axis1 = axis1.0;
            wrap(py, self.t.transpose(axis0, axis1).py()?)
        })
    }
    fn swapdims(&self, py: Python<'_>, dim0: Int, dim1: Int) -> PyResult<Py<PyAny>> {
        crate::guard::guard("swapdims", || {
            let dim0 = dim0.0;
            let dim1 = dim1.0;
            wrap(py, self.t.transpose(dim0, dim1).py()?)
        })
    }
    fn t(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("t", || wrap(py, self.t.t().py()?))
    }
    #[getter(T)]
    fn big_t(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("big_t", || {
            let n = self.t.ndim() as i64;
            let dims: Vec<i64> = (0..n).rev().collect();
            wrap(py, self.t.permute(&dims).py()?)
        })
    }
    #[getter(mT)]
    fn m_t(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("m_t", || {
            if self.t.ndim() < 2 {
                return Err(PyRuntimeError::new_err(format!(
                    "tensor.mT is only supported on matrices or batches of matrices. Got {}-D tensor.",
                    self.t.ndim()
                )));
            }
            wrap(py, self.t.transpose(-2, -1).py()?)
        })
    }
    #[pyo3(signature = (*args, dims=None))]
    fn permute(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, dims: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("permute", || wrap(py, self.t.permute(&convert::shape_args_or("permute", "dims", args, dims)?).py()?))
    }
    fn movedim(&self, py: Python<'_>, source: &Bound<'_, PyAny>, destination: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("movedim", || wrap(py, self.t.movedim(&int_list(source)?, &int_list(destination)?).py()?))
    }
    fn moveaxis(&self, py: Python<'_>, source: &Bound<'_, PyAny>, destination: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("moveaxis", || self.movedim(py, source, destination))
    }
    #[pyo3(signature = (dim=None))]
    fn squeeze(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("squeeze", || {
            let dims = dim.map(crate::convert::dim_list).transpose()?;
            wrap(py, self.t.squeeze(dims.as_ref().map(|d| &d[..])).py()?)
        })
    }
    fn unsqueeze(&self, py: Python<'_>, dim: Int) -> PyResult<Py<PyAny>> {
        crate::guard::guard("unsqueeze", || {
            let dim = dim.0;
            wrap(py, self.t.unsqueeze(dim).py()?)
        })
    }
    #[pyo3(signature = (start_dim=Int(0), end_dim=Int(-1)))]
    fn flatten(&self, py: Python<'_>, start_dim: Int, end_dim: Int) -> PyResult<Py<PyAny>> {
        crate::guard::guard("flatten", || {
            let start_dim = start_dim.0;
            let end_dim = end_dim.0;
            let t: &Tensor = &self.t;
            wrap(py, run(py, copy_work(t), || t.flatten(start_dim, end_dim))?)
        })
    }
    fn unflatten(&self, py: Python<'_>, dim: Int, sizes: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("unflatten", || {
            let dim = dim.0;
            wrap(py, self.t.unflatten(dim, &int_list(sizes)?).py()?)
        })
    }
    #[pyo3(signature = (*sizes, size=None))]
    fn expand(&self, py: Python<'_>, sizes: &Bound<'_, PyTuple>, size: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("expand", || wrap(py, self.t.expand(&convert::shape_args_or("expand", "size", sizes, size)?).py()?))
    }
    fn expand_as(&self, py: Python<'_>, other: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("expand_as", || {
            let s: Vec<i64> = other.get().t.shape().iter().map(|&x| x as i64).collect();
            wrap(py, self.t.expand(&s).py()?)
        })
    }
    fn broadcast_to(&self, py: Python<'_>, shape: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("broadcast_to", || wrap(py, self.t.expand(&int_list(shape)?).py()?))
    }
    fn narrow(&self, py: Python<'_>, dim: Int, start: &Bound<'_, PyAny>, length: Int) -> PyResult<Py<PyAny>> {
        crate::guard::guard("narrow", || {
            let dim = dim.0;
            let length = length.0;
            wrap(py, self.t.narrow(dim, index_value(start)?, length).py()?)
        })
    }
    fn select(&self, py: Python<'_>, dim: Int, index: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("select", || {
            let dim = dim.0;
            wrap(py, self.t.select(dim, index_value(index)?).py()?)
        })
    }
    fn unfold(&self, py: Python<'_>, dimension: Int, size: Int, step: Int) -> PyResult<Py<PyAny>> {
        crate::guard::guard("unfold", || {
            let dimension = dimension.0;
            let size = size.0;
            let step = step.0;
            if size < 0 {
                return Err(PyRuntimeError::new_err(format!("size is {size} but must be >= 0")));
            }
            if step <= 0 {
                return Err(PyRuntimeError::new_err(format!("step is {step} but must be > 0")));
            }
            wrap(py, self.t.unfold(dimension, size as usize, step as usize).py()?)
        })
    }
    #[pyo3(signature = (offset=Int(0), dim1=Int(0), dim2=Int(1)))]
    fn diagonal(&self, py: Python<'_>, offset: Int, dim1: Int, dim2: Int) -> PyResult<Py<PyAny>> {
        crate::guard::guard("diagonal", || {
            let offset = offset.0;
            let dim1 = dim1.0;
            let dim2 = dim2.0;
            wrap(py, self.t.diagonal(offset, dim1, dim2).py()?)
        })
    }
    #[pyo3(signature = (size, stride, storage_offset=None))]
    fn as_strided(
        &self,
        py: Python<'_>,
        size: &Bound<'_, PyAny>,
        stride: &Bound<'_, PyAny>,
        storage_offset: Option<Int>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("as_strided", || {
            let storage_offset = storage_offset.map(|o| o.0);
            if let Some(o) = storage_offset.filter(|&o| o < 0) {
                return Err(PyRuntimeError::new_err(format!("Tensor: invalid storage offset {o}")));
            }
            let storage_offset = storage_offset.map(|o| o as usize);
            let sz = int_list(size)?;
            if let Some(n) = sz.iter().find(|&&n| n < 0) {
                return Err(PyRuntimeError::new_err(format!("as_strided: Negative sizes are not supported (got size {n} in {sz:?})")));
            }
            let sz: Vec<usize> = sz.into_iter().map(|n| n as usize).collect();
            let st: Vec<isize> = int_list(stride)?.into_iter().map(|x| x as isize).collect();
            wrap(py, self.t.as_strided(&sz, &st, storage_offset).py()?)
        })
    }
    #[pyo3(signature = (memory_format=None))]
    fn contiguous(slf: &Bound<'_, Self>, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("contiguous", || {
            let _ = memory_format;
            let t = &slf.get().t;
            if t.is_contiguous() {
                return Ok(slf.clone().into_any().unbind());
            }
            let out = run(slf.py(), t.numel(), || t.contiguous())?;
            wrap(slf.py(), out)
        })
    }
    #[pyo3(signature = (memory_format=None))]
    fn clone(&self, py: Python<'_>, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("clone", || {
            let order = match memory_format {
                None => None,
                Some(f) => memory_order_of("clone", f, self.t.ndim())?,
            };
            let t = &self.operand();
            let out = match order {
                None => run(py, t.numel(), || t.clone_tensor())?,
                Some(o) => run(py, t.numel(), || t.clone_in_order(&o))?,
            };
            wrap(py, out)
        })
    }
    fn detach(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("detach", || wrap(py, self.t.detach()))
    }
    fn detach_(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("detach_", || {
            slf.get().t.detach_().py()?;
            Ok(slf.clone().into_any().unbind())
        })
    }
    #[pyo3(signature = (src, non_blocking=false))]
    fn copy_(slf: &Bound<'_, Self>, src: &Bound<'_, PyAny>, non_blocking: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("copy_", || {
            let _ = non_blocking;
            let src = convert::tensor_of(src)?;
            let t = &slf.get().operand();
            run(slf.py(), t.numel(), || t.copy_(&src))?;
            Ok(slf.clone().into_any().unbind())
        })
    }
    fn fill_(slf: &Bound<'_, Self>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("fill_", || {
            let v = scalar_value(value)?;
            let t = &slf.get().operand();
            run(slf.py(), t.numel(), || t.fill_(v))?;
            Ok(slf.clone().into_any().unbind())
        })
    }
    fn zero_(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("zero_", || {
            let t = &slf.get().operand();
            run(slf.py(), t.numel(), || t.fill_(Scalar::Int(0)))?;
            Ok(slf.clone().into_any().unbind())
        })
    }
}

/// `x.view(dtype)`: reinterpret the bytes (same element size only).
fn view_dtype(py: Python<'_>, t: &Tensor, d: DType) -> PyResult<Py<PyAny>> {
    if d.size() != t.dtype().size() {
        return Err(PyRuntimeError::new_err(format!(
            "view(dtype): {} and {} have different element sizes ({} vs {} bytes); only same-size reinterpretation is supported",
            t.dtype().name(),
            d.name(),
            t.dtype().size(),
            d.size()
        )));
    }
    wrap(py, Tensor::from_parts(t.storage().clone(), t.layout().clone(), d))
}

pub fn scalar_value(v: &Bound<'_, PyAny>) -> PyResult<Scalar> {
    if let Some(s) = convert::scalar(v)? {
        return Ok(s);
    }
    if let Ok(t) = v.cast::<PyTensor>() {
        return t.get().operand().item().py();
    }
    Err(PyTypeError::new_err(format!("expected a number, got {}", v.get_type().name()?)))
}
