//! Dim coalescing and strided iteration shared by every kernel.
//!
//! Kernels work on N operands viewed with one common shape. Two adjacent dims merge when,
//! for every operand, `stride[outer] == stride[inner] * size[inner]`; size-1 dims vanish.
//! After coalescing, a contiguous elementwise op is one dim of length numel.

/// Coalesces `shape` for `N` operands. Returns the merged shape (at least one dim) and,
/// per dim, the N strides.
pub fn coalesce<const N: usize>(shape: &[usize], strides: [&[isize]; N]) -> (Vec<usize>, Vec<[isize; N]>) {
    let mut out_shape: Vec<usize> = Vec::with_capacity(shape.len().max(1));
    let mut out_strides: Vec<[isize; N]> = Vec::with_capacity(shape.len().max(1));
    for d in 0..shape.len() {
        let n = shape[d];
        if n == 1 {
            continue;
        }
        let s: [isize; N] = std::array::from_fn(|k| strides[k][d]);
        if let (Some(last_n), Some(last_s)) = (out_shape.last_mut(), out_strides.last_mut()) {
            if (0..N).all(|k| last_s[k] == s[k] * n as isize) {
                *last_n *= n;
                *last_s = s;
                continue;
            }
        }
        out_shape.push(n);
        out_strides.push(s);
    }
    if shape.contains(&0) {
        return (vec![0], vec![[0; N]]);
    }
    if out_shape.is_empty() {
        out_shape.push(1);
        out_strides.push([0; N]);
    }
    (out_shape, out_strides)
}

/// Walks the outer dims (all but the last) of a coalesced shape in row-major order,
/// yielding each operand's offset of the start of an inner row. Can start mid-way, so
/// rayon can split the rows into chunks.
pub struct StridedIter<'a, const N: usize> {
    shape: &'a [usize],
    strides: &'a [[isize; N]],
    index: Vec<usize>,
    offsets: [isize; N],
    remaining: usize,
}

impl<'a, const N: usize> StridedIter<'a, N> {
    /// `base` is each operand's storage offset; `start`/`count` count inner rows.
    pub fn new(shape: &'a [usize], strides: &'a [[isize; N]], base: [isize; N], start: usize, count: usize) -> Self {
        let outer = shape.len() - 1;
        let mut index = vec![0; outer];
        let mut offsets = base;
        let mut rem = start;
        for d in (0..outer).rev() {
            index[d] = rem % shape[d];
            rem /= shape[d];
            for k in 0..N {
                offsets[k] += index[d] as isize * strides[d][k];
            }
        }
        StridedIter { shape: &shape[..outer], strides, index, offsets, remaining: count }
    }
}

impl<const N: usize> Iterator for StridedIter<'_, N> {
    type Item = [isize; N];
    fn next(&mut self) -> Option<[isize; N]> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let current = self.offsets;
        for d in (0..self.shape.len()).rev() {
            self.index[d] += 1;
            for k in 0..N {
                self.offsets[k] += self.strides[d][k];
            }
            if self.index[d] < self.shape[d] {
                break;
            }
            for k in 0..N {
                self.offsets[k] -= self.strides[d][k] * self.shape[d] as isize;
            }
            self.index[d] = 0;
        }
        Some(current)
    }
}
