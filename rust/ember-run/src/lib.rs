//! Loads a program written by `ember.export.save` (a directory holding `graph.json` and
//! `weights.safetensors`) and runs it on ember's own Rust kernels — no Python anywhere.
//!
//! ```no_run
//! let prog = ember_run::Program::load("model_dir".as_ref()).unwrap();
//! let x = ember_run::npy::read("input.npy".as_ref()).unwrap();
//! let outs = prog.run(&[x]).unwrap();
//! ember_run::npy::write("out.npy".as_ref(), &outs[0]).unwrap();
//! ```
pub mod npy;
mod ops;
mod program;
mod safetensors;

pub use program::{InputSpec, Program, SymDim};

/// Everything that can go wrong loading or running a program, as a message for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunError {}

impl From<ember::Error> for RunError {
    fn from(e: ember::Error) -> Self {
        use ember::Error::*;
        RunError(match e {
            Index(m) | Type(m) | Value(m) | Runtime(m) | NotImplemented(m) => m,
            other => format!("{other:?}"),
        })
    }
}

impl From<std::io::Error> for RunError {
    fn from(e: std::io::Error) -> Self {
        RunError(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, RunError>;

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(RunError(msg.into()))
}

/// A tensor from little-endian bytes in row-major order.
pub fn tensor_from_bytes(bytes: &[u8], dtype: ember::DType, shape: &[usize]) -> Result<ember::Tensor> {
    let need = shape.iter().product::<usize>() * dtype.size();
    if bytes.len() != need {
        return err(format!("{} bytes can't hold a {} tensor of shape {shape:?} ({need} bytes)", bytes.len(), dtype.name()));
    }
    let storage = ember::Storage::from_bytes(bytes)?;
    Ok(ember::Tensor::from_parts(storage, ember::Layout::contiguous(shape), dtype))
}

/// The tensor's elements as little-endian bytes in row-major order.
pub fn tensor_to_bytes(t: &ember::Tensor) -> Result<Vec<u8>> {
    Ok(ember_cpu::with_dtype!(t.dtype(), T => {
        let v: Vec<T> = t.to_vec::<T>()?;
        // SAFETY: every ember element type is a plain value type without padding, and the byte
        // slice covers exactly the Vec's initialised elements, borrowed only while `v` lives.
        let b = unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, v.len() * std::mem::size_of::<T>()) };
        b.to_vec()
    }))
}
