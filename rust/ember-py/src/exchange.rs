//! Zero-copy exchange: foreign buffers as storages (`from_numpy`), the buffer protocol on
//! Tensor, and DLPack in both directions.
//!
//! Memory ownership in one picture:
//! - `from_numpy(a)`: the storage holds a strong reference to `a` (`PyOwner`), released with
//!   the GIL when the last view of the storage dies.
//! - `t.__dlpack__()`: a `DLManagedTensor` inside a Rust box that also holds a clone of `t`;
//!   the consumer calls its deleter, or the capsule's destructor does when nobody consumed it.
//! - `from_dlpack(capsule)`: the capsule is renamed "used_dltensor" and the storage owns the
//!   producer's `DLManagedTensor`, calling its deleter when the storage dies.
use crate::convert;
use crate::tensor::{wrap, PyTensor};
use ember::{DType, Layout, Storage, Tensor};
use pyo3::exceptions::{PyBufferError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use std::ffi::{c_char, c_int, c_void, CStr};

// ---- foreign storages ----

/// Keeps a Python object alive for as long as a storage borrows its memory.
struct PyOwner(Option<Py<PyAny>>);

impl Drop for PyOwner {
    fn drop(&mut self) {
        if let Some(o) = self.0.take() {
            // Decref needs the GIL; during interpreter shutdown there is nothing to release to.
            let _ = Python::try_attach(|_| drop(o));
        }
    }
}

/// Elements a layout reaches from its offset: 1 + Σ (size-1)·stride, or 0 when empty.
fn span(sizes: &[usize], strides: &[isize]) -> PyResult<usize> {
    if sizes.contains(&0) {
        return Ok(0);
    }
    let mut n: usize = 1;
    for (&s, &st) in sizes.iter().zip(strides) {
        if st < 0 {
            return Err(PyValueError::new_err("negative strides are not supported"));
        }
        n = (s - 1).checked_mul(st as usize).and_then(|x| x.checked_add(n)).ok_or_else(|| PyValueError::new_err("strides overflow"))?;
    }
    Ok(n)
}

/// A tensor over memory at `ptr` that `owner` keeps alive (numpy arrays and other buffers).
/// `strides` are in elements; the caller has checked that they are non-negative.
#[pyfunction]
fn _from_buffer(
    py: Python<'_>,
    owner: Bound<'_, PyAny>,
    ptr: usize,
    shape: Vec<usize>,
    strides: Vec<isize>,
    dtype: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_from_buffer", || {
        let d = convert::dtype(Some(dtype))?.ok_or_else(|| PyTypeError::new_err("_from_buffer: dtype is required"))?;
        if shape.len() != strides.len() {
            return Err(PyValueError::new_err("_from_buffer: shape and strides differ in length"));
        }
        let nbytes = span(&shape, &strides)?.checked_mul(d.size()).ok_or_else(|| PyValueError::new_err("buffer too large"))?;
        // SAFETY: `owner` exports `nbytes` (the span of this shape/strides, checked above) readable
        // bytes at `ptr` and is kept alive by the storage; from_parts re-checks the geometry against
        // nbytes.
        let storage = unsafe { Storage::foreign(ptr as *mut u8, nbytes, Box::new(PyOwner(Some(owner.unbind())))) };
        storage.set_origin("from_numpy".into());
        wrap(py, Tensor::from_parts(storage, Layout::new(shape, strides, 0), d))
    })
}

/// The dtype a buffer-protocol format code names, with the item size it must have; None for
/// anything `from_numpy` doesn't take as is (non-native byte order, unsigned wider than a
/// byte, structured), which the Python path then reports.
fn dtype_of_format(fmt: &[u8], item: usize) -> Option<DType> {
    let code = match fmt {
        [b'@' | b'=', rest @ ..] => rest,
        [b'<', rest @ ..] if cfg!(target_endian = "little") => rest,
        [b'>' | b'!', rest @ ..] if cfg!(target_endian = "big") => rest,
        [b'<' | b'>' | b'!', ..] => return None,
        rest => rest,
    };
    let d = match (code, item) {
        ([b'Z', b'f'], 8) => DType::C64,
        ([b'Z', b'd'], 16) => DType::C128,
        ([c], _) => return dtype_of_code(*c, item),
        _ => return None,
    };
    Some(d)
}

fn dtype_of_code(code: u8, item: usize) -> Option<DType> {
    let d = match (code, item) {
        (b'?', 1) => DType::Bool,
        (b'B', 1) => DType::U8,
        (b'b', 1) => DType::I8,
        (b'h', 2) => DType::I16,
        (b'i' | b'l', 4) => DType::I32,
        (b'l' | b'q', 8) => DType::I64,
        (b'H', 2) => DType::U16,
        (b'I' | b'L', 4) => DType::U32,
        (b'L' | b'Q', 8) => DType::U64,
        (b'e', 2) => DType::F16,
        (b'f', 4) => DType::F32,
        (b'd', 8) => DType::F64,
        _ => return None,
    };
    Some(d)
}

/// `from_numpy`'s fast path (`numpy_api.rs`, for an ndarray): one writable strided buffer
/// request reads the pointer, shape, strides and format (no `__array_interface__` dict, no
/// Python-side list building); the array itself owns the memory, as in `_from_buffer`. Returns
/// None when the array needs the Python path (read-only: a warning; negative or odd strides,
/// unsupported dtype: an error).
pub(crate) fn from_array(py: Python<'_>, array: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
    let mut view = std::mem::MaybeUninit::<ffi::Py_buffer>::uninit();
    // SAFETY: on success the view is filled and released below before anything can fail.
    if unsafe { ffi::PyObject_GetBuffer(array.as_ptr(), view.as_mut_ptr(), ffi::PyBUF_RECORDS) } != 0 {
        drop(PyErr::take(py));
        return Ok(None);
    }
    // SAFETY: PyObject_GetBuffer returned 0, so it filled the view.
    let mut view = unsafe { view.assume_init() };
    let geometry = (|| {
        let v = &view;
        let item = usize::try_from(v.itemsize).ok()?;
        // SAFETY: a non-null `format` of a filled view is a NUL-terminated string the exporter keeps
        // alive until release.
        let fmt = if v.format.is_null() { &b"B"[..] } else { unsafe { CStr::from_ptr(v.format) }.to_bytes() };
        let d = dtype_of_format(fmt, item)?;
        let nd = usize::try_from(v.ndim).ok()?;
        let (shape, strides): (&[isize], &[isize]) = if nd == 0 {
            (&[], &[])
        } else {
            // SAFETY: PyBUF_STRIDES asks for `ndim` sizes and byte strides.
            unsafe { (std::slice::from_raw_parts(v.shape, nd), std::slice::from_raw_parts(v.strides, nd)) }
        };
        // NumPy's buffer export rewrites the strides of size-1 dims (and of empty arrays);
        // those go through `__array_interface__`, which reports the array's own strides.
        if shape.iter().any(|&n| n <= 1) {
            return None;
        }
        let sizes: Vec<usize> = shape.iter().map(|&n| n as usize).collect();
        let mut st = Vec::with_capacity(nd);
        for &s in strides {
            if s < 0 || s % item as isize != 0 {
                return None;
            }
            st.push(s / item as isize);
        }
        Some((v.buf as usize, sizes, st, d))
    })();
    // SAFETY: the view was filled by PyObject_GetBuffer and is released exactly once; nothing borrowed
    // from it outlives this line.
    unsafe { ffi::PyBuffer_Release(&mut view) };
    let Some((ptr, shape, strides, d)) = geometry else { return Ok(None) };
    crate::guard::guard("from_numpy", || {
        let nbytes = span(&shape, &strides)?.checked_mul(d.size()).ok_or_else(|| PyValueError::new_err("buffer too large"))?;
        // SAFETY: the array owns at least `nbytes` (the span of its shape/strides) at `ptr` and the
        // storage keeps it alive; from_parts re-checks the geometry.
        let storage = unsafe { Storage::foreign(ptr as *mut u8, nbytes, Box::new(PyOwner(Some(array.clone().unbind())))) };
        storage.set_origin("from_numpy".into());
        wrap(py, Tensor::from_parts(storage, Layout::new(shape, strides, 0), d)).map(Some)
    })
}

// ---- buffer protocol ----

fn format_of(d: DType) -> Option<&'static CStr> {
    Some(match d {
        DType::Bool => c"?",
        DType::U8 => c"B",
        DType::I8 => c"b",
        DType::I16 => c"h",
        DType::I32 => c"i",
        DType::I64 => c"q",
        DType::U16 => c"H",
        DType::U32 => c"I",
        DType::U64 => c"Q",
        DType::F16 => c"e",
        DType::F32 => c"f",
        DType::F64 => c"d",
        DType::C64 => c"Zf",
        DType::C128 => c"Zd",
        DType::BF16 => return None,
    })
}

/// Shape and byte strides handed out with a buffer; freed in `__releasebuffer__`.
struct BufferGeometry {
    shape: Vec<isize>,
    strides: Vec<isize>,
}

#[pymethods]
impl PyTensor {
    /// # Safety
    /// Called by CPython's buffer protocol with `view` null or pointing to a writable
    /// `Py_buffer` the consumer owns (checked for null below).
    unsafe fn __getbuffer__(slf: Bound<'_, Self>, view: *mut ffi::Py_buffer, flags: c_int) -> PyResult<()> {
        if view.is_null() {
            return Err(PyBufferError::new_err("View is null"));
        }
        let t = &slf.get().t;
        if !t.device().is_host() || t.is_sparse() {
            return Err(PyBufferError::new_err(no_host_data(t)));
        }
        if t.is_conj() {
            // The memory holds the conjugates of the values: exporting it would mislead.
            return Err(PyBufferError::new_err("the tensor has the conjugate bit set (x.conj()); export tensor.resolve_conj() instead"));
        }
        let format = format_of(t.dtype())
            .ok_or_else(|| PyBufferError::new_err("bfloat16 has no buffer-protocol format; convert with .float() before exporting"))?;
        let strided = (flags & ffi::PyBUF_STRIDES) == ffi::PyBUF_STRIDES;
        if !strided && !t.is_contiguous() {
            return Err(PyBufferError::new_err(
                "the consumer asked for a contiguous buffer but the tensor is not contiguous; call .contiguous() first",
            ));
        }
        let item = t.dtype().size() as isize;
        let geo = Box::new(BufferGeometry {
            shape: t.shape().iter().map(|&s| s as isize).collect(),
            strides: t.strides().iter().map(|&s| s * item).collect(),
        });
        // SAFETY: `view` is non-null (checked above) and CPython hands us a writable Py_buffer. The
        // pointers stored in it stay valid until __releasebuffer__: `buf` points into the storage,
        // kept alive by the reference to `slf` stored in `obj`; shape/strides live in `geo`, boxed
        // and owned through `internal` (freed in __releasebuffer__); `format` is a 'static string.
        // `len` = numel × itemsize: only host, non-sparse tensors get here, and their geometry was
        // checked against the storage when it was made (`Tensor::from_parts`).
        unsafe {
            (*view).buf = t.data_ptr() as *mut c_void;
            (*view).len = (t.numel() as isize) * item;
            (*view).itemsize = item;
            (*view).readonly = 0;
            (*view).ndim = t.ndim() as c_int;
            (*view).format = if flags & ffi::PyBUF_FORMAT != 0 { format.as_ptr() as *mut c_char } else { std::ptr::null_mut() };
            (*view).shape = if flags & ffi::PyBUF_ND != 0 { geo.shape.as_ptr() as *mut isize } else { std::ptr::null_mut() };
            (*view).strides = if strided { geo.strides.as_ptr() as *mut isize } else { std::ptr::null_mut() };
            (*view).suboffsets = std::ptr::null_mut();
            (*view).internal = Box::into_raw(geo) as *mut c_void;
            (*view).obj = slf.into_any().into_ptr();
        }
        Ok(())
    }

    /// # Safety
    /// Called by CPython once per successful __getbuffer__, with the same `view`.
    unsafe fn __releasebuffer__(&self, view: *mut ffi::Py_buffer) {
        // SAFETY: `view` is the Py_buffer our __getbuffer__ filled; `internal` is null or the
        // `Box<BufferGeometry>` it leaked, freed here exactly once (then nulled).
        unsafe {
            if !(*view).internal.is_null() {
                drop(Box::from_raw((*view).internal as *mut BufferGeometry));
                (*view).internal = std::ptr::null_mut();
            }
        }
    }

    /// Exports this tensor as a DLPack capsule ("dltensor"), sharing memory.
    #[pyo3(signature = (stream=None, max_version=None, dl_device=None, copy=None))]
    fn __dlpack__(
        &self,
        py: Python<'_>,
        stream: Option<&Bound<'_, PyAny>>,
        max_version: Option<&Bound<'_, PyAny>>,
        dl_device: Option<(i32, i32)>,
        copy: Option<bool>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__dlpack__", || {
            // A consumer that understands DLPack 1.x gets the versioned capsule, whose flags say the
            // memory is writable; others get the legacy one (which numpy treats as read-only).
            if !self.operand().device().is_host() || self.operand().is_sparse() {
                return Err(pyo3::exceptions::PyNotImplementedError::new_err(no_host_data(&self.operand())));
            }
            let versioned = match max_version {
                Some(v) if !v.is_none() => v.get_item(0)?.extract::<u32>()? >= 1,
                _ => false,
            };
            if let Some(s) = stream {
                if !s.is_none() {
                    return Err(PyValueError::new_err("__dlpack__: stream must be None for CPU tensors"));
                }
            }
            if let Some(dev) = dl_device {
                if dev.0 != 1 {
                    return Err(PyBufferError::new_err(format!(
                        "__dlpack__: can't export a cpu tensor to DLPack device {dev:?}; only (1, 0) (kDLCPU) is available"
                    )));
                }
            }
            if self.operand().requires_grad() {
                return Err(PyRuntimeError::new_err(
                "Can't export tensors that require gradient, use tensor.detach(). DLPack has no autograd, so detach first (the result shares memory).",
            ));
            }
            let t = if copy == Some(true) {
                let o = &self.operand();
                crate::tensor::run(py, o.numel(), || o.contiguous_copy())?
            } else {
                self.operand().detach()
            };
            if versioned {
                export_versioned(py, t)
            } else {
                export_dlpack(py, t)
            }
        })
    }

    fn __dlpack_device__(&self) -> (i32, i32) {
        (1, 0)
    }
}

// ---- DLPack (structs written from dlpack.h, ABI v0.8 "unversioned") ----

#[repr(C)]
#[derive(Clone, Copy)]
struct DLDevice {
    device_type: i32,
    device_id: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct DLDataType {
    code: u8,
    bits: u8,
    lanes: u16,
}

#[repr(C)]
struct DLTensor {
    data: *mut c_void,
    device: DLDevice,
    ndim: i32,
    dtype: DLDataType,
    shape: *mut i64,
    strides: *mut i64,
    byte_offset: u64,
}

#[repr(C)]
struct DLManagedTensor {
    dl_tensor: DLTensor,
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DLManagedTensor)>,
}

const KDL_CPU: i32 = 1;
const KDL_INT: u8 = 0;
const KDL_UINT: u8 = 1;
const KDL_FLOAT: u8 = 2;
const KDL_BFLOAT: u8 = 4;
const KDL_COMPLEX: u8 = 5;
const KDL_BOOL: u8 = 6;
const CAPSULE: &CStr = c"dltensor";
const USED_CAPSULE: &CStr = c"used_dltensor";
const VCAPSULE: &CStr = c"dltensor_versioned";

#[repr(C)]
struct DLPackVersion {
    major: u32,
    minor: u32,
}

/// DLPack ≥ 1.0: the managed tensor with a version and flags (bit 0 = read-only).
#[repr(C)]
struct DLManagedTensorVersioned {
    version: DLPackVersion,
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DLManagedTensorVersioned)>,
    flags: u64,
    dl_tensor: DLTensor,
}

fn dl_dtype(d: DType) -> DLDataType {
    let code = match d {
        DType::Bool => KDL_BOOL,
        DType::U8 | DType::U16 | DType::U32 | DType::U64 => KDL_UINT,
        DType::I8 | DType::I16 | DType::I32 | DType::I64 => KDL_INT,
        DType::F16 | DType::F32 | DType::F64 => KDL_FLOAT,
        DType::BF16 => KDL_BFLOAT,
        DType::C64 | DType::C128 => KDL_COMPLEX,
    };
    DLDataType { code, bits: (d.size() * 8) as u8, lanes: 1 }
}

fn from_dl_dtype(t: DLDataType) -> Option<DType> {
    if t.lanes != 1 {
        return None;
    }
    Some(match (t.code, t.bits) {
        (KDL_BOOL, 8) => DType::Bool,
        (KDL_UINT, 8) => DType::U8,
        (KDL_UINT, 16) => DType::U16,
        (KDL_UINT, 32) => DType::U32,
        (KDL_UINT, 64) => DType::U64,
        (KDL_INT, 8) => DType::I8,
        (KDL_INT, 16) => DType::I16,
        (KDL_INT, 32) => DType::I32,
        (KDL_INT, 64) => DType::I64,
        (KDL_FLOAT, 16) => DType::F16,
        (KDL_FLOAT, 32) => DType::F32,
        (KDL_FLOAT, 64) => DType::F64,
        (KDL_BFLOAT, 16) => DType::BF16,
        (KDL_COMPLEX, 64) => DType::C64,
        (KDL_COMPLEX, 128) => DType::C128,
        _ => return None,
    })
}

/// What an exported capsule owns: the managed tensor (first, so its address is the box's),
/// the shape/stride arrays it points into, and the tensor keeping the storage alive.
#[repr(C)]
struct Exported {
    managed: DLManagedTensor,
    shape: Vec<i64>,
    strides: Vec<i64>,
    _tensor: Tensor,
}

/// # Safety
/// `m` is null or the `managed` field of an `Exported` made by `export_dlpack`, not yet freed.
unsafe extern "C" fn exported_deleter(m: *mut DLManagedTensor) {
    if !m.is_null() {
        // SAFETY: `manager_ctx` is the `Box<Exported>` leaked by export_dlpack (the deleter
        // contract: called once, by the consumer or by our capsule destructor).
        drop(unsafe { Box::from_raw((*m).manager_ctx as *mut Exported) });
    }
}

/// Capsule destructor: frees the export unless a consumer renamed (took) it.
/// # Safety
/// Called by CPython with the capsule being destroyed.
unsafe extern "C" fn capsule_destructor(cap: *mut ffi::PyObject) {
    // SAFETY: a capsule still named "dltensor" was never consumed, so its pointer is our
    // `DLManagedTensor` and nobody else will call its deleter; a consumed one is renamed and
    // skipped (the consumer owns it).
    unsafe {
        if ffi::PyCapsule_IsValid(cap, CAPSULE.as_ptr()) == 1 {
            let m = ffi::PyCapsule_GetPointer(cap, CAPSULE.as_ptr()) as *mut DLManagedTensor;
            if let Some(d) = (*m).deleter {
                d(m);
            }
        }
    }
}

/// The versioned export: same ownership as `Exported`, other header.
#[repr(C)]
struct ExportedV {
    managed: DLManagedTensorVersioned,
    shape: Vec<i64>,
    strides: Vec<i64>,
    _tensor: Tensor,
}

/// # Safety
/// `m` is null or the `managed` field of an `ExportedV` made by `export_versioned`, not yet freed.
unsafe extern "C" fn exported_v_deleter(m: *mut DLManagedTensorVersioned) {
    if !m.is_null() {
        // SAFETY: `manager_ctx` is the `Box<ExportedV>` leaked by export_versioned, freed once.
        drop(unsafe { Box::from_raw((*m).manager_ctx as *mut ExportedV) });
    }
}

/// # Safety
/// Called by CPython with the capsule being destroyed.
unsafe extern "C" fn capsule_v_destructor(cap: *mut ffi::PyObject) {
    // SAFETY: as `capsule_destructor`, for the versioned capsule name.
    unsafe {
        if ffi::PyCapsule_IsValid(cap, VCAPSULE.as_ptr()) == 1 {
            let m = ffi::PyCapsule_GetPointer(cap, VCAPSULE.as_ptr()) as *mut DLManagedTensorVersioned;
            if let Some(d) = (*m).deleter {
                d(m);
            }
        }
    }
}

fn dl_tensor_of(t: &Tensor) -> DLTensor {
    DLTensor {
        data: t.data_ptr() as *mut c_void,
        device: DLDevice { device_type: KDL_CPU, device_id: 0 },
        ndim: t.ndim() as i32,
        dtype: dl_dtype(t.dtype()),
        shape: std::ptr::null_mut(),
        strides: std::ptr::null_mut(),
        byte_offset: 0,
    }
}

fn export_versioned(py: Python<'_>, t: Tensor) -> PyResult<Py<PyAny>> {
    let mut ex = Box::new(ExportedV {
        managed: DLManagedTensorVersioned {
            version: DLPackVersion { major: 1, minor: 0 },
            manager_ctx: std::ptr::null_mut(),
            deleter: Some(exported_v_deleter),
            flags: 0,
            dl_tensor: dl_tensor_of(&t),
        },
        shape: t.shape().iter().map(|&s| s as i64).collect(),
        strides: t.strides().iter().map(|&s| s as i64).collect(),
        _tensor: t,
    });
    ex.managed.dl_tensor.shape = ex.shape.as_mut_ptr();
    ex.managed.dl_tensor.strides = ex.strides.as_mut_ptr();
    let raw = Box::into_raw(ex);
    // SAFETY: `raw` is the box just leaked (valid, uniquely ours); on capsule failure it is
    // reclaimed once, else the capsule owns it (freed by its destructor or the consumer's deleter).
    // The shape/stride pointers point into the box's own Vecs, which move with it unchanged.
    unsafe {
        (*raw).managed.manager_ctx = raw as *mut c_void;
        let p = &mut (*raw).managed as *mut DLManagedTensorVersioned as *mut c_void;
        let cap = ffi::PyCapsule_New(p, VCAPSULE.as_ptr(), Some(capsule_v_destructor));
        if cap.is_null() {
            drop(Box::from_raw(raw));
            return Err(PyErr::fetch(py));
        }
        Ok(Bound::from_owned_ptr(py, cap).unbind())
    }
}

fn export_dlpack(py: Python<'_>, t: Tensor) -> PyResult<Py<PyAny>> {
    let mut ex = Box::new(Exported {
        managed: DLManagedTensor {
            dl_tensor: DLTensor {
                data: t.data_ptr() as *mut c_void,
                device: DLDevice { device_type: KDL_CPU, device_id: 0 },
                ndim: t.ndim() as i32,
                dtype: dl_dtype(t.dtype()),
                shape: std::ptr::null_mut(),
                strides: std::ptr::null_mut(),
                byte_offset: 0,
            },
            manager_ctx: std::ptr::null_mut(),
            deleter: Some(exported_deleter),
        },
        shape: t.shape().iter().map(|&s| s as i64).collect(),
        strides: t.strides().iter().map(|&s| s as i64).collect(),
        _tensor: t,
    });
    ex.managed.dl_tensor.shape = ex.shape.as_mut_ptr();
    ex.managed.dl_tensor.strides = ex.strides.as_mut_ptr();
    let raw = Box::into_raw(ex);
    // SAFETY: as in `export_versioned`: `raw` is ours until the capsule takes it.
    unsafe {
        (*raw).managed.manager_ctx = raw as *mut c_void;
        let cap =
            ffi::PyCapsule_New(&mut (*raw).managed as *mut DLManagedTensor as *mut c_void, CAPSULE.as_ptr(), Some(capsule_destructor));
        if cap.is_null() {
            drop(Box::from_raw(raw));
            return Err(PyErr::fetch(py));
        }
        Ok(Bound::from_owned_ptr(py, cap).unbind())
    }
}

/// A producer's managed tensor, of either DLPack header.
#[derive(Clone, Copy)]
enum Managed {
    Legacy(*mut DLManagedTensor),
    Versioned(*mut DLManagedTensorVersioned),
}

/// Owns a consumed producer's managed tensor; calls its deleter when the storage dies.
/// Made only once the capsule is renamed, so early errors leave freeing to the capsule.
struct DlOwner(Managed);
// SAFETY: the deleter may be called from any thread (DLPack requires deleters to be
// thread-safe), and the pointer is used only by that one deleter call in Drop.
unsafe impl Send for DlOwner {}
unsafe impl Sync for DlOwner {}

impl Drop for DlOwner {
    fn drop(&mut self) {
        // SAFETY: the managed tensor came from a capsule we renamed (consumed), so we own it and
        // this is the one call of its deleter; the storage that borrowed its data is gone.
        unsafe {
            match self.0 {
                Managed::Legacy(m) => {
                    if let Some(d) = (*m).deleter {
                        d(m)
                    }
                }
                Managed::Versioned(m) => {
                    if let Some(d) = (*m).deleter {
                        d(m)
                    }
                }
            }
        }
    }
}

/// Consumes a "dltensor" or "dltensor_versioned" capsule into a tensor sharing its memory.
#[pyfunction]
fn _from_dlpack(py: Python<'_>, capsule: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_from_dlpack", || {
        let cap = capsule.as_ptr();
        // SAFETY (this block): `cap` is a live object borrowed for the call; PyCapsule_* accept any
        // object and names are NUL-terminated C literals. A pointer is dereferenced only when non-null
        // and taken from a capsule of the matching name, whose producer guarantees a
        // DLManagedTensor(Versioned) alive until its deleter runs.
        let valid = |name: &CStr| unsafe { ffi::PyCapsule_IsValid(cap, name.as_ptr()) } == 1;
        let (owner, used_name) = if valid(CAPSULE) {
            (Managed::Legacy(unsafe { ffi::PyCapsule_GetPointer(cap, CAPSULE.as_ptr()) } as *mut DLManagedTensor), USED_CAPSULE)
        } else if valid(VCAPSULE) {
            let m = unsafe { ffi::PyCapsule_GetPointer(cap, VCAPSULE.as_ptr()) } as *mut DLManagedTensorVersioned;
            // SAFETY: non-null pointer from a 'dltensor_versioned' capsule: a live DLManagedTensorVersioned.
            if !m.is_null() && unsafe { (*m).version.major } != 1 {
                return Err(PyRuntimeError::new_err(format!(
                    "from_dlpack: DLPack major version {} is not supported (ember reads 1.x and the unversioned 0.x capsules)",
                    unsafe { (*m).version.major }
                )));
            }
            (Managed::Versioned(m), c"used_dltensor_versioned")
        } else {
            let used = valid(USED_CAPSULE) || valid(c"used_dltensor_versioned");
            return Err(PyValueError::new_err(if used {
                "from_dlpack: this DLPack capsule was already consumed; a capsule can be used only once".to_string()
            } else {
                format!(
                    "from_dlpack: expected a DLPack capsule named 'dltensor' or an object with __dlpack__, got {}",
                    capsule.get_type().name()?
                )
            }));
        };
        // SAFETY: non-null pointers from capsules of their matching names (see above), alive until
        // their deleter runs, which only the storage's DlOwner calls.
        let dl: &DLTensor = match owner {
            Managed::Legacy(m) if !m.is_null() => unsafe { &(*m).dl_tensor },
            Managed::Versioned(m) if !m.is_null() => unsafe { &(*m).dl_tensor },
            _ => return Err(PyErr::fetch(py)),
        };
        if dl.device.device_type != KDL_CPU {
            return Err(PyRuntimeError::new_err(format!(
                "from_dlpack: the tensor lives on DLPack device type {} but ember only reads CPU memory (type 1)",
                dl.device.device_type
            )));
        }
        let d = from_dl_dtype(dl.dtype).ok_or_else(|| {
        PyTypeError::new_err(format!(
            "from_dlpack: unsupported DLPack dtype (code {}, bits {}, lanes {}); ember supports bool, uint8/16/32/64, int8/16/32/64, float16/32/64, bfloat16 and complex64/128",
            dl.dtype.code, dl.dtype.bits, dl.dtype.lanes
        ))
    })?;
        let n = dl.ndim.max(0) as usize;
        // SAFETY: DLPack guarantees `shape` points to `ndim` int64 values for ndim > 0.
        let shape: Vec<i64> = if n == 0 { vec![] } else { unsafe { std::slice::from_raw_parts(dl.shape, n) }.to_vec() };
        if shape.iter().any(|&s| s < 0) {
            return Err(PyValueError::new_err("from_dlpack: negative size in the DLPack shape"));
        }
        let sizes: ember::layout::Dims = shape.iter().map(|&s| s as usize).collect();
        let strides: ember::layout::Strides = if dl.strides.is_null() || n == 0 {
            ember::layout::contiguous_strides(&sizes)
        } else {
            // SAFETY: non-null `strides` point to `ndim` int64 values (DLPack).
            unsafe { std::slice::from_raw_parts(dl.strides, n) }.iter().map(|&s| s as isize).collect()
        };
        if strides.iter().any(|&s| s < 0) {
            return Err(PyRuntimeError::new_err(
            "from_dlpack: the DLPack tensor has negative strides, which ember tensors don't support; make a copy on the producer side first",
        ));
        }
        let nbytes = span(&sizes, &strides)? * d.size();
        // SAFETY: byte_offset lies inside the producer's allocation (DLPack); the span from there is
        // `nbytes`, re-checked by from_parts.
        let data = unsafe { (dl.data as *mut u8).add(dl.byte_offset as usize) };
        // From here on we own the managed tensor: the renamed capsule no longer frees it.
        // SAFETY: `cap` is a valid capsule (checked above) and the name a static C string.
        unsafe { ffi::PyCapsule_SetName(cap, used_name.as_ptr()) };
        // SAFETY: the managed tensor owns the `nbytes` at `data` until DlOwner calls its deleter when
        // the storage drops.
        let storage = unsafe { Storage::foreign(data, nbytes, Box::new(DlOwner(owner))) };
        storage.set_origin("from_dlpack".into());
        wrap(py, Tensor::from_parts(storage, Layout::new(sizes, strides, 0), d))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_from_buffer, m)?)?;
    m.add_function(wrap_pyfunction!(_from_dlpack, m)?)?;
    Ok(())
}

/// Why a tensor has no host memory to export.
fn no_host_data(t: &Tensor) -> String {
    match t.device() {
        ember::Device::Meta => ember::ops::copy::NO_DATA.to_string(),
        d if t.is_sparse() || d.is_host() => "a sparse tensor has no strided buffer to export; call .to_dense() first".into(),
        d => format!("the tensor lives on {d}, not in host memory; call .cpu() first"),
    }
}
