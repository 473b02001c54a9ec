//! The memory order of a new elementwise output, chosen from its operands' strides.
//!
//! PyTorch's TensorIterator does not allocate elementwise outputs row-major: it lays the output
//! out in the order its operands already have, so `x.t() + y.t()` is a transposed result that
//! every operand walks with stride 1. The rule, stated once:
//! 1. When every operand has the output's shape: all row-major → row-major; all dense and
//!    non-overlapping with one common set of strides → exactly those strides.
//! 2. Otherwise sort the dims, innermost first, by comparing each pair of dims: the first
//!    operand (in argument order) whose strides in that pair are both non-zero and differ
//!    decides (the smaller stride goes inside); broadcast dims (stride 0) never decide; equal
//!    strides put the smaller dim inside; no decision keeps the natural (row-major) order.
//! 3. The output is dense in that order: the innermost dim gets stride 1, each next one the
//!    product of the sizes inside it.
//!
//! Example: `x` of sizes (4,3), `x.t()` has sizes (3,4), strides (1,3). Dim 0 has the smaller
//! stride, so it goes inside: the output of `x.t().exp()` has strides (1,3), not (4,1).
//! `x[:, ::2]` (sizes (4,2), strides (3,2)) keeps the row-major order but drops the gap:
//! strides (2,1).
use crate::{broadcast_strides, Dims, Layout, Strides};

/// One operand as the op received it: its own sizes and strides, before broadcasting.
/// A Python scalar or 0-dim tensor is `(&[], &[])`; it takes part in the same-shape test only.
pub type Operand<'a> = (&'a [usize], &'a [isize]);

/// Whether `sizes`/`strides` cover a dense block without gaps or overlap (a permutation of a
/// row-major layout; size-1 dims may have any stride).
pub fn is_non_overlapping_and_dense(sizes: &[usize], strides: &[isize]) -> bool {
    let mut dims: Vec<usize> = (0..sizes.len()).filter(|&d| sizes[d] != 1).collect();
    if sizes.contains(&0) {
        return true;
    }
    dims.sort_by_key(|&d| strides[d]);
    let mut expect = 1isize;
    for d in dims {
        if strides[d] != expect {
            return false;
        }
        expect *= sizes[d] as isize;
    }
    true
}

/// The dims of `shape` from innermost to outermost, for operands already broadcast to
/// `shape` (`strides[k]` is operand k's strides at `shape`, 0 where broadcast); rule 2 above.
pub fn output_order(shape: &[usize], strides: &[&[isize]]) -> Vec<usize> {
    let n = shape.len();
    // Natural order, innermost first: n-1, n-2, …, 0.
    let mut perm: Vec<usize> = (0..n).rev().collect();
    // 1: `outer` should move inside `inner`; -1: keep; 0: no operand decides.
    let cmp = |inner: usize, outer: usize| -> i32 {
        for s in strides {
            let (a, b) = (s[inner], s[outer]);
            if a == 0 || b == 0 {
                continue;
            }
            if a < b {
                return -1;
            }
            if a > b {
                return 1;
            }
            if shape[inner] > shape[outer] {
                return 1;
            }
        }
        0
    };
    // Insertion sort that only moves a dim past the ones that say "swap", and stops at the
    // first that says "keep"; an undecided pair is stepped over (it may still be decided by a
    // dim further in), so an undecided dim never moves on its own.
    for i in 1..n {
        let mut cur = i;
        for j in (0..i).rev() {
            match cmp(perm[j], perm[cur]) {
                1 => {
                    perm.swap(j, cur);
                    cur = j;
                }
                -1 => break,
                _ => {}
            }
        }
    }
    perm
}

/// Dense strides for `shape` laid out in `order` (innermost first, as `output_order` gives).
pub fn strides_in_order(shape: &[usize], order: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for &d in order {
        strides[d] = acc;
        acc = acc.saturating_mul(shape[d].min(isize::MAX as usize) as isize);
    }
    strides
}

/// The layout of a new elementwise output of `shape` computed from `operands` (in argument
/// order, each at its own shape); see the module comment. Offset 0.
pub fn elementwise_output(shape: &[usize], operands: &[Operand]) -> Layout {
    if operands.is_empty() {
        return Layout::contiguous(shape);
    }
    if operands.iter().all(|o| o.0 == shape) {
        if operands.iter().all(|o| is_row_major(o.0, o.1)) {
            return Layout::contiguous(shape);
        }
        let first = operands[0].1;
        if operands.iter().all(|o| o.1 == first) && is_non_overlapping_and_dense(shape, first) {
            return Layout::new(Dims::from_slice(shape), Strides::from_slice(first), 0);
        }
    }
    if shape.len() <= 1 {
        return Layout::contiguous(shape);
    }
    let bs: Vec<crate::Strides> = operands.iter().map(|o| broadcast_strides(o.0, o.1, shape)).collect();
    let refs: Vec<&[isize]> = bs.iter().map(|s| s.as_slice()).collect();
    let order = output_order(shape, &refs);
    if order.iter().rev().copied().eq(0..shape.len()) {
        return Layout::contiguous(shape);
    }
    Layout::new(shape.to_vec(), strides_in_order(shape, &order), 0)
}

/// `Layout::is_contiguous` without building a layout (empty tensors and size-1 dims pass).
fn is_row_major(sizes: &[usize], strides: &[isize]) -> bool {
    if sizes.contains(&0) {
        return true;
    }
    let mut expected = 1isize;
    for (&n, &s) in sizes.iter().zip(strides).rev() {
        if n != 1 {
            if s != expected {
                return false;
            }
            expected *= n as isize;
        }
    }
    true
}

/// `preserve_format` for one tensor (clone, `*_like`, `.to(dtype)`): its own strides when it is
/// dense and non-overlapping, else dense in the order its strides give.
pub fn preserve_format(l: &Layout) -> Layout {
    if is_non_overlapping_and_dense(&l.sizes, &l.strides) {
        return Layout::new(l.sizes.clone(), l.strides.clone(), 0);
    }
    elementwise_output(&l.sizes, &[(&l.sizes, &l.strides)])
}

/// The permutation (outermost first) that sorts `strides` by decreasing magnitude, keeping the
/// given order among equals; `None` when they are already so (the common row-major case, no
/// allocation). Kernels walk their operands in this order so the output is written in memory
/// order and dims that are dense in it coalesce.
pub fn memory_order(strides: &[isize]) -> Option<Vec<usize>> {
    if strides.windows(2).all(|w| w[0].unsigned_abs() >= w[1].unsigned_abs()) {
        return None;
    }
    let mut perm: Vec<usize> = (0..strides.len()).collect();
    perm.sort_by_key(|&d| std::cmp::Reverse(strides[d].unsigned_abs()));
    Some(perm)
}
