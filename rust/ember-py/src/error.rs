//! The one place where ember errors become Python exceptions.
use ember::layout::LayoutError;
use ember::Error;
use pyo3::exceptions::{PyIndexError, PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::PyErr;

fn shape(s: &[usize]) -> String {
    format!("[{}]", s.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "))
}

fn layout_error(e: LayoutError) -> PyErr {
    match e {
        LayoutError::DimOutOfRange { dim, ndim } => {
            let n = ndim.max(1) as i64;
            PyIndexError::new_err(format!("Dimension out of range (expected to be in range of [{}, {}], but got {dim})", -n, n - 1))
        }
        LayoutError::Broadcast { a, b, dim } => {
            let n = a.len().max(b.len());
            let get = |s: &[usize]| if dim + s.len() >= n { s[dim + s.len() - n] } else { 1 };
            // Both shapes right-aligned, as broadcasting lines them up, with the clash marked.
            let cells = |s: &[usize]| -> Vec<String> {
                (0..n).map(|i| if i + s.len() >= n { s[i + s.len() - n].to_string() } else { String::new() }).collect()
            };
            let (ca, cb) = (cells(&a), cells(&b));
            let w: Vec<usize> = (0..n).map(|i| ca[i].len().max(cb[i].len()).max(1)).collect();
            let row = |c: &[String]| c.iter().zip(&w).map(|(x, w)| format!("{x:>w$}")).collect::<Vec<_>>().join("  ");
            let mark: String = (0..n).map(|i| format!("{:>w$}", if i == dim { "^" } else { "" }, w = w[i])).collect::<Vec<_>>().join("  ");
            PyRuntimeError::new_err(format!(
                "The size of tensor a ({}) must match the size of tensor b ({}) at non-singleton dimension {dim}. \
                 Broadcasting aligns shapes from the right; each dim must be equal or 1:\n  a: {}\n  b: {}\n     {}\n\
                 Shapes {} and {} clash at dim {dim}; reshape/unsqueeze one operand so the dims line up, or slice it to a matching size.",
                get(&a),
                get(&b),
                row(&ca),
                row(&cb),
                mark,
                shape(&a),
                shape(&b),
            ))
        }
        LayoutError::Expand { sizes, target, dim } => {
            let lead = target.len() - sizes.len();
            PyRuntimeError::new_err(format!(
                "The expanded size of the tensor ({}) must match the existing size ({}) at non-singleton dimension {dim}.  Target sizes: {:?}.  Tensor sizes: {}",
                target[dim],
                sizes[dim - lead],
                target,
                shape(&sizes)
            ))
        }
        LayoutError::InvalidShape { shape: s, numel } => {
            PyRuntimeError::new_err(format!("shape '{:?}' is invalid for input of size {numel}", s).replace(' ', " "))
        }
        LayoutError::MultipleInfer => PyRuntimeError::new_err("only one dimension can be inferred"),
        LayoutError::ViewStrides { sizes, strides, dims } => PyRuntimeError::new_err(format!(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead. Here dims {} to {} of a tensor with sizes {} and strides {:?} can't be merged without a copy; call .reshape() (which copies when needed) or .contiguous() first.",
            dims.0,
            dims.1,
            shape(&sizes),
            strides
        )),
        LayoutError::Narrow { start, length, size } => {
            PyRuntimeError::new_err(format!("start ({start}) + length ({length}) exceeds dimension size ({size})."))
        }
        LayoutError::Index { index, dim, size } => {
            PyIndexError::new_err(format!("index {index} is out of bounds for dimension {dim} with size {size}"))
        }
        LayoutError::OutOfStorage { needed, available } => PyRuntimeError::new_err(format!(
            "setStorage: sizes, strides and storage offset would read {needed} elements but the storage only has {available}; as_strided must stay inside the storage."
        )),
        LayoutError::Overflow { sizes } => PyRuntimeError::new_err(format!(
            "numel: integer multiplication overflow. The sizes {} multiply to more elements than memory can address \
             (sizes, strides and element counts must fit in a signed 64-bit integer); check the shape arguments.",
            shape(&sizes)
        )),
        LayoutError::Invalid { msg, .. } => PyRuntimeError::new_err(msg),
    }
}

pub fn to_py(e: Error) -> PyErr {
    match e {
        Error::Layout(l) => layout_error(l),
        Error::Cast { from, to } => PyRuntimeError::new_err(format!(
            "result type {} can't be cast to the desired output type {}. The in-place op would store {} values into a {} tensor; use the out-of-place op or convert with .to() first.",
            from.scalar_name(),
            to.scalar_name(),
            from.name(),
            to.name()
        )),
        Error::OverlapWrite => PyRuntimeError::new_err(
            "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.",
        ),
        Error::DType { op, dtype, supported } => {
            PyTypeError::new_err(format!("{op}: dtype {} is not supported; supported dtypes: {supported}", dtype.name()))
        }
        Error::OutShape { out, broadcast } => PyRuntimeError::new_err(format!(
            "output with shape {} doesn't match the broadcast shape {}",
            shape(&out),
            shape(&broadcast)
        )),
        Error::Index(m) => PyIndexError::new_err(m),
        Error::Type(m) => PyTypeError::new_err(m),
        Error::Value(m) => PyValueError::new_err(m),
        Error::Runtime(m) => PyRuntimeError::new_err(m),
        Error::NotImplemented(m) => PyNotImplementedError::new_err(m),
    }
}

/// `?`-friendly conversion: `ember::Result<T>` → `PyResult<T>`.
pub trait IntoPy<T> {
    fn py(self) -> pyo3::PyResult<T>;
}
impl<T> IntoPy<T> for ember::Result<T> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}
