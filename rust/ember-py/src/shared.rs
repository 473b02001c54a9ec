//! Shared-memory storages for `ember.multiprocessing`, and raw bytes in and out of tensors
//! for `ember.save`/`ember.load`.
//!
//! A shared segment is an unnamed file on a tmpfs (normally `/dev/shm`, opened with
//! `O_TMPFILE`, so no name ever exists to leak) mapped `MAP_SHARED`. The segment keeps its file
//! descriptor open so it can be handed to another process (Python's `multiprocessing`
//! passes it with `SCM_RIGHTS`); the kernel frees the memory when the last descriptor and
//! mapping in any process are gone. Space is reserved with `posix_fallocate` before
//! mapping, so a full `/dev/shm` is an error here, never a SIGBUS on first touch later.
use crate::convert::{self, int_list, usizes};
use crate::error::IntoPy;
use crate::tensor::{copy_work, run, wrap, PyStorage, PyTensor};
use ember::{DType, Device, Error, Layout, Storage, Tensor};
use pyo3::buffer::PyUntypedBuffer;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

pub struct ShmSegment {
    fd: OwnedFd,
    ptr: *mut u8,
    len: usize,
}

// SAFETY: plain bytes behind a mapping that lives as long as the segment; the raw pointer is
// never freed except by Drop (munmap), so moving or sharing the handle across threads is sound.
unsafe impl Send for ShmSegment {}
unsafe impl Sync for ShmSegment {}

impl Drop for ShmSegment {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: `ptr`/`len` are the mapping `map` made (len > 0 means a real mapping), and
            // the storage that used it is being dropped, so nothing reads it afterwards.
            unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
        }
        // `fd` closes itself after this.
    }
}

fn last_os_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// Bytes still free on the filesystem holding `dir` (None when it can't be asked).
fn free_bytes(dir: &CString) -> Option<u64> {
    // SAFETY: statvfs is plain data (all-zero is a valid value); statvfs(2) fills it from a
    // NUL-terminated path (`CString`) and we read it only on success.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(dir.as_ptr(), &mut st) } == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

fn full_error(dir: &str, nbytes: usize, free: Option<u64>, why: std::io::Error) -> Error {
    let free = free.map(|f| format!(", {f} bytes free")).unwrap_or_default();
    Error::runtime(format!(
        "unable to allocate {nbytes} bytes of shared memory in {dir}: {why}{free}. Tensors that cross processes \
         (DataLoader workers, ember.multiprocessing queues) live in shared memory; free space there (in Docker, raise \
         --shm-size), send smaller tensors, or lower num_workers / prefetch_factor / batch_size."
    ))
}

/// Maps `len` bytes of `fd`.
fn map(fd: OwnedFd, len: usize) -> ember::Result<ShmSegment> {
    if len == 0 {
        // mmap rejects length 0; an empty storage needs an aligned, never-dereferenced address.
        return Ok(ShmSegment { fd, ptr: 64 as *mut u8, len });
    }
    // SAFETY: mmap with a null hint creates a fresh mapping (aliasing nothing of ours) of `len` > 0
    // bytes of an open descriptor; MAP_FAILED is checked below.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd.as_raw_fd(), 0) };
    if p == libc::MAP_FAILED {
        return Err(Error::runtime(format!("unable to map {len} bytes of shared memory: {}", last_os_error())));
    }
    Ok(ShmSegment { fd, ptr: p as *mut u8, len })
}

/// A new zero-filled segment of `nbytes` in the tmpfs directory `dir`.
fn create(nbytes: usize, dir: &str) -> ember::Result<ShmSegment> {
    let cdir = CString::new(dir).map_err(|_| Error::value(format!("shared-memory directory {dir:?} contains a NUL byte")))?;
    // SAFETY: open(2) with a NUL-terminated path (`CString`); the result is checked below.
    let raw = unsafe { libc::open(cdir.as_ptr(), libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC, 0o600) };
    if raw < 0 {
        return Err(Error::runtime(format!(
            "unable to create a shared-memory file in {dir}: {}. ember.multiprocessing needs a writable tmpfs directory \
             (set EMBER_SHM_DIR to choose another one).",
            last_os_error()
        )));
    }
    // SAFETY: `raw` is a descriptor open(2) just returned (>= 0, checked); nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: ftruncate on our open descriptor; the result is checked.
    if unsafe { libc::ftruncate(fd.as_raw_fd(), nbytes as libc::off_t) } != 0 {
        return Err(full_error(dir, nbytes, free_bytes(&cdir), last_os_error()));
    }
    if nbytes > 0 {
        // Reserve every page now: tmpfs would otherwise fail only when a page is first
        // touched, and that failure is a SIGBUS in whichever process touches it.
        // SAFETY: posix_fallocate on our open descriptor; the result is checked.
        let r = unsafe { libc::posix_fallocate(fd.as_raw_fd(), 0, nbytes as libc::off_t) };
        if r != 0 {
            return Err(full_error(dir, nbytes, free_bytes(&cdir), std::io::Error::from_raw_os_error(r)));
        }
    }
    map(fd, nbytes)
}

/// Where segments are created: `$EMBER_SHM_DIR`, else `/dev/shm` (a tmpfs on Linux).
fn default_dir() -> String {
    std::env::var("EMBER_SHM_DIR").unwrap_or_else(|_| "/dev/shm".into())
}

/// Moves a storage into a new segment in `dir` unless it already lives in one.
fn share_storage(s: &Storage, dir: Option<&str>) -> ember::Result<()> {
    if s.device() != Device::Cpu {
        return Err(Error::runtime(format!(
            "share_memory_: only CPU storages can be moved to shared memory, this one is on {:?}",
            s.device()
        )));
    }
    if segment_of(s).is_some() {
        return Ok(());
    }
    let seg = create(s.nbytes(), dir.unwrap_or(&default_dir()))?;
    let p = seg.ptr;
    // SAFETY: the segment is fresh (no overlap) and maps at least `s.nbytes()` bytes, kept alive by
    // the box handed over with it; concurrent kernels on this storage are the caller's contract,
    // as documented on `Tensor.share_memory_`.
    unsafe { s.move_to(p, Box::new(seg)) };
    Ok(())
}

fn segment_of(s: &Storage) -> Option<(i32, usize)> {
    s.with_owner(|o| o.and_then(|o| o.downcast_ref::<ShmSegment>()).map(|seg| (seg.fd.as_raw_fd(), seg.len)))
}

/// Moves the tensor's whole storage into shared memory in place (no-op when it already is).
#[pyfunction]
#[pyo3(signature = (t, dir=None))]
fn _share_memory(t: &Bound<'_, PyTensor>, dir: Option<&str>) -> PyResult<()> {
    crate::guard::guard("_share_memory", || share_storage(t.get().t.storage(), dir).py())
}

#[pyfunction]
fn _is_shared(t: &Bound<'_, PyTensor>) -> bool {
    segment_of(t.get().t.storage()).is_some()
}

/// `(fd, nbytes)` of the shared segment holding the tensor's storage, or None. The fd stays
/// owned by the storage: the caller must duplicate it before the tensor can go away.
#[pyfunction]
fn _shared_fd(t: &Bound<'_, PyTensor>) -> Option<(i32, usize)> {
    segment_of(t.get().t.storage())
}

/// An uninitialised contiguous tensor allocated directly in shared memory (a DataLoader
/// worker collates into one, so sending the batch copies nothing).
#[pyfunction]
#[pyo3(signature = (shape, dtype, dir=None))]
fn _empty_shared(py: Python<'_>, shape: Vec<i64>, dtype: &Bound<'_, PyAny>, dir: Option<&str>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_empty_shared", || {
        let sizes = usizes(&shape, "empty_shared")?;
        let d = convert::dtype(Some(dtype))?.unwrap_or_else(ember::promote::default_dtype);
        let layout = Layout::try_contiguous(&sizes).map_err(ember::Error::from).py()?;
        let nbytes = layout
            .numel()
            .checked_mul(d.size())
            .ok_or_else(|| Error::runtime(format!("empty_shared: a tensor of shape {sizes:?} is too large to allocate")))
            .py()?;
        let seg = create(nbytes, dir.unwrap_or(&default_dir())).py()?;
        // SAFETY: `seg` maps at least `nbytes` read-write bytes and is kept alive (unmapped on drop) by
        // the storage.
        let storage = unsafe { Storage::foreign(seg.ptr, nbytes, Box::new(seg)) };
        wrap(py, Tensor::from_parts(storage, layout, d))
    })
}

/// Checks that every element a layout addresses lies inside `nbytes` of storage.
fn check_fits(layout: &Layout, dtype: DType, nbytes: usize) -> ember::Result<()> {
    if layout.numel() == 0 {
        return Ok(());
    }
    let (mut lo, mut hi) = (layout.offset as i128, layout.offset as i128);
    for (&n, &s) in layout.sizes.iter().zip(&layout.strides) {
        let span = (n as i128 - 1) * s as i128;
        if span < 0 {
            lo += span
        } else {
            hi += span
        }
    }
    if lo < 0 || (hi + 1) * dtype.size() as i128 > nbytes as i128 {
        return Err(Error::runtime(format!(
            "a tensor with sizes {:?}, strides {:?} and offset {} addresses elements outside its {nbytes}-byte storage",
            layout.sizes, layout.strides, layout.offset
        )));
    }
    Ok(())
}

/// Rebuilds a tensor over a shared segment received from another process. Takes ownership
/// of `fd` whatever happens: it is closed on any error, else when the storage goes away.
#[pyfunction]
#[pyo3(signature = (fd, nbytes, dtype, sizes, strides, offset))]
fn _from_shared_fd(
    py: Python<'_>,
    fd: i32,
    nbytes: &Bound<'_, PyAny>,
    dtype: &Bound<'_, PyAny>,
    sizes: &Bound<'_, PyAny>,
    strides: &Bound<'_, PyAny>,
    offset: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_from_shared_fd", || {
        if fd < 0 {
            return Err(Error::value(format!("invalid file descriptor {fd}"))).py();
        }
        // SAFETY: the descriptor (non-negative, checked above) was handed over by the sender for this
        // rebuild; we are its only owner and close it on drop.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let nbytes: usize = nbytes.extract()?;
        let d = convert::dtype(Some(dtype))?.unwrap_or_else(ember::promote::default_dtype);
        let sizes = usizes(&int_list(sizes)?, "rebuild")?;
        let strides: Vec<isize> = int_list(strides)?.into_iter().map(|x| x as isize).collect();
        if sizes.len() != strides.len() {
            return Err(Error::runtime("rebuild of a shared tensor: sizes and strides differ in length")).py();
        }
        let layout = Layout::new(sizes, strides, offset.extract()?);
        check_fits(&layout, d, nbytes).py()?;
        // SAFETY: `stat` is plain data (all-zero is valid) and fstat writes it for an open descriptor.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 || (st.st_size as u64) < nbytes as u64 {
            return Err(Error::runtime(format!(
                "the shared-memory segment received holds {} bytes, fewer than the {nbytes} its tensor needs",
                st.st_size
            )))
            .py();
        }
        let seg = map(fd, nbytes).py()?;
        // SAFETY: fstat showed the segment holds at least `nbytes`; `seg` maps them and lives as long
        // as the storage; check_fits verified the layout against nbytes.
        let storage = unsafe { Storage::foreign(seg.ptr, nbytes, Box::new(seg)) };
        wrap(py, Tensor::from_parts(storage, layout, d))
    })
}

/// The tensor's elements as row-major little-endian bytes (what safetensors stores).
#[pyfunction]
fn _to_bytes<'py>(py: Python<'py>, t: &Bound<'py, PyTensor>) -> PyResult<Bound<'py, PyBytes>> {
    crate::guard::guard("_to_bytes", || {
        let t = &t.get().operand();
        // Only host memory can be read here: meta has no data, a sparse tensor has no strided
        // buffer and a wgpu buffer must be downloaded first (its host pointer is null).
        if t.is_sparse() {
            return Err(Error::runtime("_to_bytes: a sparse tensor has no strided buffer; call .to_dense() first")).py();
        }
        let host = if t.device().is_host() { t.clone() } else { run(py, t.numel(), || t.detach().to_device(ember::Device::Cpu))? };
        if host.device() != ember::Device::Cpu {
            return Err(ember::ops::copy::no_data()).py();
        }
        let c = run(py, copy_work(&host), || host.to_dtype_contiguous(t.dtype()))?;
        let n = c.numel() * c.dtype().size();
        // SAFETY: `c` is a contiguous host tensor (meta, sparse and wgpu were refused or
        // downloaded above), so its numel() elements start at `offset` and lie inside the
        // storage (`Layout::fits_in`); `buf` is a fresh n-byte buffer, so the ranges don't overlap.
        let src = unsafe { c.storage().ptr().add(c.offset() * c.dtype().size()) };
        PyBytes::new_with(py, n, |buf| {
            unsafe { std::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), n) };
            Ok(())
        })
    })
}

/// A new contiguous tensor copied from any C-contiguous buffer (bytes, memoryview slice).
#[pyfunction]
fn _from_bytes(py: Python<'_>, data: &Bound<'_, PyAny>, dtype: &Bound<'_, PyAny>, shape: Vec<i64>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_from_bytes", || {
        let d = convert::dtype(Some(dtype))?.unwrap_or_else(ember::promote::default_dtype);
        let sizes = usizes(&shape, "from_bytes")?;
        let buf = PyUntypedBuffer::get(data)?;
        if !buf.is_c_contiguous() {
            return Err(Error::value("from_bytes: the buffer must be C-contiguous")).py();
        }
        // The shape is untrusted (a file's header): checked before any product is taken.
        let layout = Layout::try_contiguous(&sizes).map_err(ember::Error::from).py()?;
        let need = layout.numel() * d.size();
        if buf.len_bytes() != need {
            return Err(Error::value(format!(
                "from_bytes: {} bytes can't hold a {} tensor of shape {sizes:?} ({need} bytes)",
                buf.len_bytes(),
                d.name()
            )))
            .py();
        }
        // SAFETY: the buffer is C-contiguous with exactly `need` bytes (checked above) and stays
        // borrowed while we copy them.
        let bytes = unsafe { std::slice::from_raw_parts(buf.buf_ptr() as *const u8, need) };
        let storage = run(py, layout.numel(), || Storage::from_bytes(bytes))?;
        wrap(py, Tensor::from_parts(storage, layout, d))
    })
}

#[pymethods]
impl PyStorage {
    /// True when the storage lives in a shared-memory segment.
    fn is_shared(&self) -> bool {
        segment_of(&self.s).is_some()
    }
    /// Moves the storage into shared memory in place (every tensor on it follows).
    fn share_memory_(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("share_memory_", || {
            share_storage(&slf.get().s, None).py()?;
            Ok(slf.clone().into_any().unbind())
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_share_memory, m)?)?;
    m.add_function(wrap_pyfunction!(_is_shared, m)?)?;
    m.add_function(wrap_pyfunction!(_shared_fd, m)?)?;
    m.add_function(wrap_pyfunction!(_empty_shared, m)?)?;
    m.add_function(wrap_pyfunction!(_from_shared_fd, m)?)?;
    m.add_function(wrap_pyfunction!(_to_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(_from_bytes, m)?)?;
    Ok(())
}
