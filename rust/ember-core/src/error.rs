use crate::DType;
use ember_layout::LayoutError;

/// ember's one error type. Variants carry fields; the binding renders messages and picks
/// the Python exception class (see `ember-py/src/error.rs`).
#[derive(Debug, Clone)]
pub enum Error {
    Layout(LayoutError),
    /// An in-place result of dtype `from` can't be stored in `to`.
    Cast {
        from: DType,
        to: DType,
    },
    /// In-place write into memory that several elements share (expanded/overlapping).
    OverlapWrite,
    /// The op doesn't support this dtype; lists what it does.
    DType {
        op: String,
        dtype: DType,
        supported: String,
    },
    /// An in-place result's broadcast shape differs from the destination's shape.
    OutShape {
        out: Vec<usize>,
        broadcast: Vec<usize>,
    },
    Index(String),
    Type(String),
    Value(String),
    Runtime(String),
    NotImplemented(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<LayoutError> for Error {
    fn from(e: LayoutError) -> Self {
        Error::Layout(e)
    }
}

impl Error {
    pub fn runtime(msg: impl Into<String>) -> Error {
        Error::Runtime(msg.into())
    }
    pub fn value(msg: impl Into<String>) -> Error {
        Error::Value(msg.into())
    }
    pub fn type_(msg: impl Into<String>) -> Error {
        Error::Type(msg.into())
    }
    pub fn index(msg: impl Into<String>) -> Error {
        Error::Index(msg.into())
    }
}
