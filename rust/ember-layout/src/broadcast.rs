//! NumPy/PyTorch broadcasting: align shapes on the right; a size-1 dim stretches.
use crate::inline_vec::{Dims, Strides};
use crate::LayoutError;

/// The broadcast shape of `a` and `b`, or which result dim clashes.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Dims, LayoutError> {
    let n = a.len().max(b.len());
    let mut out = Dims::from_elem(0, n);
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(LayoutError::Broadcast { a: a.to_vec(), b: b.to_vec(), dim: i });
        };
    }
    crate::checked_numel(&out)?;
    Ok(out)
}

/// Strides that read a tensor of `sizes`/`strides` as if it had shape `target`
/// (already known to be a valid broadcast): stretched and new dims get stride 0.
pub fn broadcast_strides(sizes: &[usize], strides: &[isize], target: &[usize]) -> Strides {
    let lead = target.len() - sizes.len();
    (0..target.len()).map(|i| if i < lead || sizes[i - lead] != target[i] { 0 } else { strides[i - lead] }).collect()
}
