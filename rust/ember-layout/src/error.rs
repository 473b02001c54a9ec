/// Structured layout errors; messages are rendered by the Python binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    /// `dim` was outside `[-ndim, ndim-1]` (0-dim tensors accept -1 and 0).
    DimOutOfRange { dim: i64, ndim: usize },
    /// Two shapes can't be broadcast: sizes `a` and `b` clash at dim `dim` of the result.
    Broadcast { a: Vec<usize>, b: Vec<usize>, dim: usize },
    /// `expand` asked for `target` but the tensor has `sizes`; `dim` is the bad dim.
    Expand { sizes: Vec<usize>, target: Vec<i64>, dim: usize },
    /// `view` sizes have the wrong number of elements.
    InvalidShape { shape: Vec<i64>, numel: usize },
    /// More than one -1 in a shape.
    MultipleInfer,
    /// The view needs a copy: dims `[first, last]` can't be merged.
    ViewStrides { sizes: Vec<usize>, strides: Vec<isize>, dims: (usize, usize) },
    /// A narrow/slice went past the end.
    Narrow { start: i64, length: i64, size: usize },
    /// An index past the end of dim `dim`.
    Index { index: i64, dim: usize, size: usize },
    /// `as_strided` would read outside the storage.
    OutOfStorage { needed: usize, available: usize },
    /// The product of `sizes` does not fit in an `isize` (PyTorch: "numel: integer
    /// multiplication overflow").
    Overflow { sizes: Vec<usize> },
    /// Any other misuse of a view op, with the op's name.
    Invalid { op: &'static str, msg: String },
}
