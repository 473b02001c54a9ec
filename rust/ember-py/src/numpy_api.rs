//! `ember.from_numpy(a)` and `t.numpy()` in one native call each, through NumPy's C API.
//!
//! Both used to enter a Python function first, and `t.numpy()` then went through
//! `np.asarray(memoryview(t))`, where NumPy parses the buffer's PEP 3118 format string and
//! shape: ~0.9 µs for what is pointer bookkeeping. Here `t.numpy()` builds the array itself
//! with `PyArray_NewFromDescr` over the tensor's memory, its base the tensor object (which
//! keeps the storage alive, as the buffer export did), and `from_numpy` checks the type
//! natively before the buffer-protocol read `exchange::from_array` does. Every other case
//! (requires grad, meta/sparse/wgpu/bfloat16/conjugate tensors, read-only or odd arrays, no
//! NumPy C API) goes to the Python rules in `_exchange.py`, which raise PyTorch's errors.
//!
//! The API table is NumPy's `_ARRAY_API` capsule, read the way NumPy's own `import_array()`
//! reads it. It is used only after checks that it is the table this code knows: the ABI
//! version (slot 0) is 1.x's or 2.x's, slot 2 is `numpy.ndarray` itself, and a probe array made
//! through slots 94 and 282 reports the shape, strides, data pointer, dtype and base it was
//! given. Otherwise every call takes the Python path.
use crate::tensor::PyTensor;
use ember::{DType, Tensor};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::ffi::{c_int, c_uint, c_void};

// The C signatures of NumPy's API-table slots 0, 94 and 282, as `numpy/__multiarray_api.h`
// declares them; `load` transmutes the slots to these only after checking the table's ABI.
type NewFromDescr = unsafe extern "C" fn(
    *mut ffi::PyTypeObject,
    *mut ffi::PyObject,
    c_int,
    *const ffi::Py_ssize_t,
    *const ffi::Py_ssize_t,
    *mut c_void,
    c_int,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;
type SetBaseObject = unsafe extern "C" fn(*mut ffi::PyObject, *mut ffi::PyObject) -> c_int;
type GetVersion = unsafe extern "C" fn() -> c_uint;

/// `NPY_ARRAY_WRITEABLE`: the array may be written (contiguity and alignment NumPy works out).
const WRITEABLE: c_int = 0x0400;
/// NumPy's C ABI versions whose table this file knows (`NPY_ABI_VERSION` of 1.x and 2.x).
const ABIS: [c_uint; 2] = [0x0100_0009, 0x0200_0000];

struct Api {
    ndarray: Py<PyAny>,
    new_from_descr: NewFromDescr,
    set_base: SetBaseObject,
    /// NumPy's dtype object for each ember dtype it has (by `DType as usize`; bfloat16: none).
    descrs: Vec<Option<Py<PyAny>>>,
}

static API: PyOnceLock<Option<Api>> = PyOnceLock::new();

fn api(py: Python<'_>) -> Option<&Api> {
    API.get_or_init(py, || load(py).ok().flatten()).as_ref()
}

/// NumPy's name of an ember dtype (PyTorch's and NumPy's names agree); NumPy has no bfloat16.
fn numpy_name(d: DType) -> Option<&'static str> {
    (d != DType::BF16).then(|| d.name())
}

fn load(py: Python<'_>) -> PyResult<Option<Api>> {
    let core = py.import("numpy._core._multiarray_umath").or_else(|_| py.import("numpy.core._multiarray_umath"))?;
    let capsule = core.getattr("_ARRAY_API")?;
    let np = py.import("numpy")?;
    let ndarray = np.getattr("ndarray")?;
    // SAFETY: `capsule` is a live object; PyCapsule_CheckExact only reads its type.
    if unsafe { ffi::PyCapsule_CheckExact(capsule.as_ptr()) } == 0 {
        return Ok(None);
    }
    // SAFETY: a capsule (checked above); a NULL name matches NumPy's unnamed capsule, and a
    // mismatch returns NULL with an exception set, cleared below.
    let table = unsafe { ffi::PyCapsule_GetPointer(capsule.as_ptr(), std::ptr::null()) } as *const *const c_void;
    if table.is_null() {
        drop(PyErr::take(py));
        return Ok(None);
    }
    // SAFETY: the capsule is NumPy's API table, an array of at least 283 function/object
    // pointers in every NumPy since 1.7 (slot 0: PyArray_GetNDArrayCVersion, 2: PyArray_Type,
    // 94: PyArray_NewFromDescr, 282: PyArray_SetBaseObject); the capsule is referenced by
    // NumPy's module, which is never unloaded, so the table outlives every use.
    let (version, ty, new, base) = unsafe { (*table, *table.add(2), *table.add(94), *table.add(282)) };
    if version.is_null() || ty.is_null() || new.is_null() || base.is_null() {
        return Ok(None);
    }
    // SAFETY: slot 0 is `unsigned int PyArray_GetNDArrayCVersion(void)` in every ABI version.
    let abi = unsafe { std::mem::transmute::<*const c_void, GetVersion>(version)() };
    if !ABIS.contains(&abi) || ty != ndarray.as_ptr() as *const c_void {
        return Ok(None);
    }
    // SAFETY: in the ABIs checked above, slots 94 and 282 hold these two functions.
    let (new_from_descr, set_base) =
        unsafe { (std::mem::transmute::<*const c_void, NewFromDescr>(new), std::mem::transmute::<*const c_void, SetBaseObject>(base)) };
    let dtype = np.getattr("dtype")?;
    let mut descrs: Vec<Option<Py<PyAny>>> = (0..DType::ALL.len()).map(|_| None).collect();
    for d in DType::ALL {
        if let Some(name) = numpy_name(d) {
            descrs[d as usize] = Some(dtype.call1((name,))?.unbind());
        }
    }
    let api = Api { ndarray: ndarray.unbind(), new_from_descr, set_base, descrs };
    Ok(probe(py, &api)?.then_some(api))
}

/// Whether an array made through the table is the one asked for (see the module comment).
fn probe(py: Python<'_>, api: &Api) -> PyResult<bool> {
    let mut data = [0f32; 6];
    let owner = pyo3::types::PyList::empty(py);
    // SAFETY: the geometry (2x3, strides 1 and 2) addresses elements 0..=5 of `data`, which
    // outlives the array (dropped at the end of this function, before `data`); nothing is read.
    let probe = unsafe { new_array(py, api, DType::F32, &[2, 3], &[1, 2], data.as_mut_ptr() as *mut c_void, owner.as_any())? };
    let Some(a) = probe else {
        return Ok(false);
    };
    let a = a.bind(py);
    let ok = a.getattr("shape")?.extract::<(usize, usize)>()? == (2, 3)
        && a.getattr("strides")?.extract::<(isize, isize)>()? == (4, 8)
        && a.getattr("ctypes")?.getattr("data")?.extract::<usize>()? == data.as_ptr() as usize
        && a.getattr("dtype")?.eq(api.descrs[DType::F32 as usize].as_ref().map(|d| d.bind(py)))?
        && a.getattr("base")?.is(owner)
        && a.getattr("flags")?.getattr("writeable")?.extract::<bool>()?;
    Ok(ok)
}

/// A NumPy array of `d` elements at `data` with `sizes` and element `strides`, whose base is
/// `owner`. None where NumPy has no such dtype.
///
/// # Safety
/// Every element the geometry addresses from `data` lies in memory that stays alive and
/// writable for as long as the array does (kept so by `owner`, its base, or outliving it).
unsafe fn new_array(
    py: Python<'_>,
    api: &Api,
    d: DType,
    sizes: &[usize],
    strides: &[isize],
    data: *mut c_void,
    owner: &Bound<'_, PyAny>,
) -> PyResult<Option<Py<PyAny>>> {
    let Some(Some(descr)) = api.descrs.get(d as usize) else { return Ok(None) };
    let item = d.size() as isize;
    let dims: ember::layout::InlineVec<ffi::Py_ssize_t> = sizes.iter().map(|&n| n as ffi::Py_ssize_t).collect();
    let bytes: ember::layout::InlineVec<ffi::Py_ssize_t> = strides.iter().map(|&s| s * item).collect();
    let ndarray = api.ndarray.bind(py).as_ptr() as *mut ffi::PyTypeObject;
    // SAFETY: NewFromDescr steals the descr reference passed (a new one, from clone_ref); `dims` and
    // `bytes` hold `sizes.len()` entries each and are only read during the call; `data` is the
    // caller's memory, which the array does not own (no OWNDATA) and never frees.
    let arr = unsafe {
        (api.new_from_descr)(
            ndarray,
            descr.clone_ref(py).into_ptr(),
            sizes.len() as c_int,
            dims.as_ptr(),
            bytes.as_ptr(),
            data,
            WRITEABLE,
            std::ptr::null_mut(),
        )
    };
    if arr.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: `arr` is a new reference to the array just made; SetBaseObject steals the owner
    // reference passed (on failure too, after which the array is dropped here).
    unsafe {
        let arr = Bound::from_owned_ptr(py, arr);
        if (api.set_base)(arr.as_ptr(), owner.clone().into_ptr()) < 0 {
            return Err(PyErr::fetch(py));
        }
        Ok(Some(arr.unbind()))
    }
}

/// `t.numpy()` for a tensor whose memory NumPy can view as it is; None for the Python rules.
fn share(py: Python<'_>, obj: &Bound<'_, PyTensor>, t: &Tensor) -> PyResult<Option<Py<PyAny>>> {
    let plain = t.device() == ember::Device::Cpu && !t.is_sparse() && t.storage().device().is_host() && !t.is_conj();
    let Some(api) = api(py).filter(|_| plain) else { return Ok(None) };
    // SAFETY: `t`'s geometry was checked against its storage when it was made
    // (`Tensor::from_parts`), and the object is the base: it holds `t` and every tensor an
    // in-place geometry change replaced it with (`cell.rs`) until it dies, so the memory stays.
    unsafe { new_array(py, api, t.dtype(), t.shape(), t.strides(), t.data_ptr() as *mut c_void, obj.as_any()) }
}

#[pymethods]
impl PyTensor {
    /// A NumPy array sharing this tensor's memory (a strided view when non-contiguous).
    #[pyo3(signature = (*, force=false))]
    fn numpy(slf: &Bound<'_, Self>, force: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("numpy", || {
            let py = slf.py();
            let t = &slf.get().t;
            if !t.requires_grad() || force {
                if let Some(a) = share(py, slf, t)? {
                    return Ok(a);
                }
            }
            let kw = pyo3::types::PyDict::new(py);
            kw.set_item("force", force)?;
            Ok(py.import("ember._exchange")?.getattr("_numpy")?.call((slf,), Some(&kw))?.unbind())
        })
    }
}

/// A tensor sharing memory with ``ndarray`` (writes show both ways; the array is kept alive).
#[pyfunction]
#[pyo3(text_signature = "(ndarray)")]
fn from_numpy(py: Python<'_>, ndarray: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    if let Some(api) = api(py) {
        if ndarray.is_instance(api.ndarray.bind(py))? {
            if let Some(t) = crate::exchange::from_array(py, &ndarray)? {
                return Ok(t);
            }
        }
    }
    Ok(py.import("ember._exchange")?.getattr("_from_numpy")?.call1((ndarray,))?.unbind())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(from_numpy, m)?)?;
    Ok(())
}
