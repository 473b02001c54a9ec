//! The last-resort guard: a Rust panic inside a binding becomes a `RuntimeError` naming the
//! op, never pyo3's `PanicException` (a `BaseException` that `except Exception` misses).
//! Every `#[pyfunction]` and `#[pymethods]` body that returns `PyResult` runs inside it.
//! Panics are bugs — arguments are validated before kernels run — so reaching this means
//! ember failed to check something; the message says so. No output of the failed call
//! escapes, and ops write into fresh buffers, so the user's tensors stay intact.
use pyo3::exceptions::PyRuntimeError;
use pyo3::PyResult;
use std::panic::{catch_unwind, AssertUnwindSafe};

#[inline]
pub fn guard<T>(op: &str, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("unknown panic");
            let op = op.trim_matches('_');
            if msg.starts_with("DefaultCPUAllocator:") {
                // Not a bug: a kernel's host buffer could not be allocated (`filled_vec`).
                return Err(PyRuntimeError::new_err(format!("{op}: {msg}")));
            }
            Err(PyRuntimeError::new_err(format!(
                "{op}: internal error in ember's Rust core ({msg}). The arguments were not validated before \
                 the kernel ran; this is a bug in ember, please report it with the call that triggered it."
            )))
        }
    }
}

/// A quiet panic hook: the guard reports the panic as an exception, so printing Rust's
/// "thread panicked at …" banner to stderr as well would only alarm. EMBER_RUST_BACKTRACE=1
/// keeps the default hook for debugging ember itself.
pub fn install_quiet_hook() {
    if std::env::var_os("EMBER_RUST_BACKTRACE").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
}
