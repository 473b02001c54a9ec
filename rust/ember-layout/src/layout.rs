pub use crate::inline_vec::{Dims, Strides};
use crate::LayoutError;

/// A strided view over a flat storage: sizes, strides (in elements) and a start offset.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Layout {
    pub sizes: Dims,
    pub strides: Strides,
    pub offset: usize,
}

/// Row-major strides: the last dim has stride 1; sizes `(D,H,W)` → `(H*W, W, 1)`.
/// Saturates instead of wrapping, so a shape too big to exist never gets small strides;
/// `checked_numel` is what refuses such a shape.
pub fn contiguous_strides(sizes: &[usize]) -> Strides {
    let step = |acc: isize, n: usize| acc.saturating_mul(n.max(1).min(isize::MAX as usize) as isize);
    if sizes.len() <= crate::inline_vec::INLINE_DIMS {
        // Written in place from the last dim (every tensor made runs this: no push per dim).
        let mut buf = [0isize; crate::inline_vec::INLINE_DIMS];
        let mut acc = 1isize;
        for (b, &n) in buf[..sizes.len()].iter_mut().zip(sizes).rev() {
            *b = acc;
            acc = step(acc, n);
        }
        return crate::inline_vec::InlineVec(smallvec::SmallVec::from_buf_and_len(buf, sizes.len()));
    }
    // Filled from the last dim backwards, then reversed (no zero-fill first).
    let mut strides = Strides::with_capacity(sizes.len());
    let mut acc = 1isize;
    for &n in sizes.iter().rev() {
        strides.push(acc);
        acc = step(acc, n);
    }
    strides.reverse();
    strides
}

/// The element count, saturating at `usize::MAX` (never wrapping to a small number).
pub fn numel(sizes: &[usize]) -> usize {
    if sizes.contains(&0) {
        return 0;
    }
    sizes.iter().fold(1usize, |acc, &n| acc.saturating_mul(n))
}

/// The one size check every new geometry passes: the product of the sizes, with empty dims
/// counted as 1, must fit in `isize` (PyTorch keeps sizes, strides and numel in int64).
/// Counting empty dims as 1 means every sub-shape (what a reduction or a `select` leaves)
/// fits too, and so do the row-major strides.
/// Example: `(0, 2**62, 2**62)` is refused: summing over dim 0 would give `(2**62, 2**62)`.
pub fn checked_numel(sizes: &[usize]) -> Result<usize, LayoutError> {
    let span = sizes.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n.max(1)));
    match span {
        Some(p) if p <= isize::MAX as usize => Ok(numel(sizes)),
        _ => Err(LayoutError::Overflow { sizes: sizes.to_vec() }),
    }
}

/// Wraps a possibly negative dim into `[0, ndim)`. A 0-dim tensor accepts -1 and 0,
/// as PyTorch does.
pub fn wrap_dim(dim: i64, ndim: usize) -> Result<usize, LayoutError> {
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        return Err(LayoutError::DimOutOfRange { dim, ndim });
    }
    Ok(if dim < 0 { (dim + n) as usize } else { dim as usize })
}

impl Layout {
    pub fn contiguous(sizes: &[usize]) -> Layout {
        Layout { sizes: Dims::from_slice(sizes), strides: contiguous_strides(sizes), offset: 0 }
    }

    /// `contiguous` for a shape that has not been checked yet (a new output geometry).
    pub fn try_contiguous(sizes: &[usize]) -> Result<Layout, LayoutError> {
        checked_numel(sizes)?;
        Ok(Layout::contiguous(sizes))
    }

    pub fn new(sizes: impl Into<Dims>, strides: impl Into<Strides>, offset: usize) -> Layout {
        let (sizes, strides) = (sizes.into(), strides.into());
        debug_assert_eq!(sizes.len(), strides.len());
        Layout { sizes, strides, offset }
    }

    pub fn ndim(&self) -> usize {
        self.sizes.len()
    }

    pub fn numel(&self) -> usize {
        numel(&self.sizes)
    }

    /// PyTorch's rule: strides of size-1 dims don't matter; empty tensors are contiguous.
    pub fn is_contiguous(&self) -> bool {
        if self.numel() == 0 {
            return true;
        }
        let mut expected = 1isize;
        for (&n, &s) in self.sizes.iter().zip(&self.strides).rev() {
            if n != 1 {
                if s != expected {
                    return false;
                }
                expected *= n as isize;
            }
        }
        true
    }

    /// Strides equal to `contiguous_strides(sizes)`, size-1 dims included (`is_contiguous`
    /// ignores those: a view keeps what PyTorch gives them only through the general rule).
    #[inline]
    pub fn is_row_major_exactly(&self) -> bool {
        let mut acc = 1isize;
        self.sizes.iter().zip(&self.strides).rev().all(|(&n, &s)| {
            let ok = s == acc;
            acc = acc.saturating_mul(n.max(1).min(isize::MAX as usize) as isize);
            ok
        })
    }

    /// Row-major and covering a dense block that starts at `offset`.
    pub fn contiguous_offset(&self) -> Option<usize> {
        self.is_contiguous().then_some(self.offset)
    }

    /// Storage index of a logical multi-index.
    pub fn offset_of(&self, index: &[usize]) -> usize {
        let mut off = self.offset as isize;
        for (&i, &s) in index.iter().zip(&self.strides) {
            off += i as isize * s;
        }
        off as usize
    }

    /// Smallest and one-past-largest storage element touched (`None` when empty).
    /// Computed in i128 so no stride product can wrap; a span that leaves `[0, isize::MAX]`
    /// is reported as `(0, usize::MAX)`, which no storage contains.
    pub fn storage_span(&self) -> Option<(usize, usize)> {
        if self.numel() == 0 {
            return None;
        }
        let (mut lo, mut hi) = (self.offset as i128, self.offset as i128);
        for (&n, &s) in self.sizes.iter().zip(&self.strides) {
            let ext = (n as i128 - 1) * s as i128;
            if ext < 0 {
                lo += ext;
            } else {
                hi += ext;
            }
        }
        if lo < 0 || hi >= isize::MAX as i128 {
            return Some((0, usize::MAX));
        }
        Some((lo as usize, hi as usize + 1))
    }

    /// Whether every element this layout addresses lies inside a storage of `len` elements,
    /// and its sizes pass `checked_numel`. The check that makes kernels' raw reads sound.
    /// (`checked_numel` and `storage_span` in one pass: it runs for every tensor made.)
    pub fn fits_in(&self, len: usize) -> bool {
        if self.sizes.len() != self.strides.len() {
            return false;
        }
        let (mut span, mut empty) = (1usize, false);
        let (mut lo, mut hi) = (self.offset as i128, self.offset as i128);
        for (&n, &s) in self.sizes.iter().zip(&self.strides) {
            let Some(p) = span.checked_mul(n.max(1)) else { return false };
            span = p;
            empty |= n == 0;
            let ext = (n as i128 - 1) * s as i128;
            if ext < 0 {
                lo += ext;
            } else {
                hi += ext;
            }
        }
        span <= isize::MAX as usize && (empty || (lo >= 0 && hi < len as i128))
    }

    /// True when two different logical indices may map to one storage element.
    /// Exact for stride 0 and for non-overlapping sorted strides; conservative otherwise.
    pub fn has_internal_overlap(&self) -> bool {
        // no elements, nothing shared (PyTorch writes into an empty (0, 0, 1)-strided output)
        if self.sizes.contains(&0) {
            return false;
        }
        // inline: this runs before every in-place write and `out=`, usually on few dims
        let mut dims: smallvec::SmallVec<[(usize, usize); 8]> =
            self.sizes.iter().zip(&self.strides).filter(|(&n, _)| n > 1).map(|(&n, &s)| (n, s.unsigned_abs())).collect();
        if dims.iter().any(|&(_, s)| s == 0) {
            return true;
        }
        dims.sort_by_key(|&(_, s)| s);
        let mut extent = 1usize; // elements spanned by the dims seen so far
        for (n, s) in dims {
            if s < extent {
                return true;
            }
            extent = s.saturating_mul(n - 1).saturating_add(extent);
        }
        false
    }

    /// True when no dim has stride 0 with size > 1.
    pub fn is_expanded(&self) -> bool {
        self.sizes.iter().zip(&self.strides).any(|(&n, &s)| n > 1 && s == 0)
    }
}
