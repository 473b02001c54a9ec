//! View operations: each returns a new `Layout` over the same storage, O(ndim).
use crate::inline_vec::{Dims, InlineVec, Strides};
use crate::{layout::numel, wrap_dim, Layout, LayoutError};

impl Layout {
    pub fn transpose(&self, d0: i64, d1: i64) -> Result<Layout, LayoutError> {
        let (a, b) = (wrap_dim(d0, self.ndim())?, wrap_dim(d1, self.ndim())?);
        let mut l = self.clone();
        if self.ndim() > 0 {
            l.sizes.swap(a, b);
            l.strides.swap(a, b);
        }
        Ok(l)
    }

    pub fn permute(&self, dims: &[i64]) -> Result<Layout, LayoutError> {
        let n = self.ndim();
        if dims.len() != n {
            return Err(LayoutError::Invalid {
                op: "permute",
                msg: format!("number of dims don't match in permute: the tensor has {n} dims but {} were given", dims.len()),
            });
        }
        let mut seen = vec![false; n];
        let mut l = Layout { sizes: Dims::with_capacity(n), strides: Strides::with_capacity(n), offset: self.offset };
        for &d in dims {
            let d = wrap_dim(d, n)?;
            if seen[d] {
                return Err(LayoutError::Invalid { op: "permute", msg: "permute(): duplicate dims are not allowed.".into() });
            }
            seen[d] = true;
            l.sizes.push(self.sizes[d]);
            l.strides.push(self.strides[d]);
        }
        Ok(l)
    }

    /// `start:end:step` along `dim` after Python-style clamping; `step > 0`.
    pub fn slice(&self, dim: usize, start: i64, end: i64, step: usize) -> Layout {
        let size = self.sizes[dim] as i64;
        let clamp = |v: i64| if v < 0 { (v + size).max(0) } else { v.min(size) };
        let (s, e) = (clamp(start), clamp(end));
        let len = if e > s { ((e - s) as usize).div_ceil(step) } else { 0 };
        let mut l = self.clone();
        if len > 0 && self.numel() > 0 {
            l.offset = shifted(self.offset, s as i128 * self.strides[dim] as i128);
        }
        l.sizes[dim] = len;
        l.strides[dim] *= step as isize;
        l
    }

    pub fn narrow(&self, dim: i64, start: i64, length: i64) -> Result<Layout, LayoutError> {
        if self.ndim() == 0 {
            return Err(LayoutError::Invalid { op: "narrow", msg: "narrow() cannot be applied to a 0-dim tensor.".into() });
        }
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.sizes[d];
        let start = if start < 0 { start + size as i64 } else { start };
        if start < 0 || length < 0 || start.saturating_add(length) > size as i64 {
            return Err(LayoutError::Narrow { start, length, size });
        }
        Ok(self.slice(d, start, start + length, 1))
    }

    pub fn select(&self, dim: i64, index: i64) -> Result<Layout, LayoutError> {
        if self.ndim() == 0 {
            return Err(LayoutError::Invalid { op: "select", msg: "select() cannot be applied to a 0-dim tensor.".into() });
        }
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.sizes[d];
        let i = if index < 0 { index + size as i64 } else { index };
        if i < 0 || i >= size as i64 {
            return Err(LayoutError::Index { index, dim: d, size });
        }
        let mut l = self.clone();
        if self.numel() > 0 {
            l.offset = shifted(self.offset, i as i128 * self.strides[d] as i128);
        }
        l.sizes.remove(d);
        l.strides.remove(d);
        Ok(l)
    }

    pub fn unsqueeze(&self, dim: i64) -> Result<Layout, LayoutError> {
        let d = wrap_dim(dim, self.ndim() + 1)?;
        let mut l = self.clone();
        let stride = if d < self.ndim() { self.strides[d] * self.sizes[d] as isize } else { 1 };
        l.sizes.insert(d, 1);
        l.strides.insert(d, stride);
        Ok(l)
    }

    /// Removes the listed dims that have size 1 (others are left alone, as PyTorch does).
    pub fn squeeze(&self, dims: Option<&[i64]>) -> Result<Layout, LayoutError> {
        let n = self.ndim();
        let mut drop = vec![false; n];
        match dims {
            None => drop.iter_mut().zip(&self.sizes).for_each(|(d, &s)| *d = s == 1),
            Some(ds) => {
                for &d in ds {
                    let d = wrap_dim(d, n)?;
                    if n > 0 && self.sizes[d] == 1 {
                        drop[d] = true;
                    }
                }
            }
        }
        let mut l = Layout { sizes: Dims::new(), strides: Strides::new(), offset: self.offset };
        for i in 0..n {
            if !drop[i] {
                l.sizes.push(self.sizes[i]);
                l.strides.push(self.strides[i]);
            }
        }
        Ok(l)
    }

    /// Broadcast to `target` (-1 keeps a size); new and expanded dims get stride 0.
    pub fn expand(&self, target: &[i64]) -> Result<Layout, LayoutError> {
        let n = self.ndim();
        if target.len() < n {
            return Err(LayoutError::Invalid {
                op: "expand",
                msg: format!(
                    "expand(torch.FloatTensor{{{:?}}}, size={:?}): the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                    self.sizes, target, target.len(), n
                ),
            });
        }
        let lead = target.len() - n;
        let mut l =
            Layout { sizes: InlineVec::from_elem(0, target.len()), strides: InlineVec::from_elem(0, target.len()), offset: self.offset };
        for (i, &t) in target.iter().enumerate() {
            if i < lead {
                if t < 0 {
                    return Err(LayoutError::Invalid {
                        op: "expand",
                        msg: format!("The expanded size of the tensor ({t}) isn't allowed in a leading, non-existing dimension {i}"),
                    });
                }
                l.sizes[i] = t as usize;
                continue;
            }
            let (s, st) = (self.sizes[i - lead], self.strides[i - lead]);
            if t == -1 || t as usize == s {
                l.sizes[i] = s;
                l.strides[i] = st;
            } else if s == 1 && t >= 0 {
                l.sizes[i] = t as usize;
            } else {
                return Err(LayoutError::Expand { sizes: self.sizes.to_vec(), target: target.to_vec(), dim: i });
            }
        }
        crate::checked_numel(&l.sizes)?;
        Ok(l)
    }

    /// Resolves one -1 in `shape` against `numel`.
    pub fn infer_shape(shape: &[i64], numel: usize) -> Result<Dims, LayoutError> {
        let mut infer = None;
        let mut known = 1usize;
        for (i, &s) in shape.iter().enumerate() {
            if s == -1 {
                if infer.is_some() {
                    return Err(LayoutError::MultipleInfer);
                }
                infer = Some(i);
            } else if s < 0 {
                return Err(LayoutError::Invalid { op: "view", msg: format!("invalid shape dimension {s}") });
            } else {
                known = known.checked_mul(s as usize).ok_or_else(|| LayoutError::InvalidShape { shape: shape.to_vec(), numel })?;
            }
        }
        let mut out: Dims = shape.iter().map(|&s| s.max(0) as usize).collect();
        match infer {
            Some(i) if known != 0 && numel % known == 0 => out[i] = numel / known,
            None if known == numel => {}
            _ => return Err(LayoutError::InvalidShape { shape: shape.to_vec(), numel }),
        }
        Ok(out)
    }

    /// A view with new sizes over the same elements, or `Err(ViewStrides)` when the strides
    /// make that impossible without a copy.
    ///
    /// Algorithm (PyTorch's `computeStride`): walk the old dims from the right, grouping runs
    /// that are "mergeable" (stride[i] == stride[i+1] * size[i+1]); each group of new dims must
    /// multiply to exactly one such run, and gets strides derived from the run's inner stride.
    pub fn view(&self, shape: &[i64]) -> Result<Layout, LayoutError> {
        let new_sizes = Self::infer_shape(shape, self.numel())?;
        if self.numel() == 0 || self.ndim() == 0 {
            if self.numel() == 0 || self.is_contiguous() {
                return Ok(Layout { strides: crate::contiguous_strides(&new_sizes), sizes: new_sizes, offset: self.offset });
            }
        }
        if self.is_row_major_exactly() {
            // Every dim merges into one run of stride 1: the loop below would give exactly the
            // row-major strides of the new sizes (the commonest view, `x.view(n, -1)`).
            return Ok(Layout { strides: crate::contiguous_strides(&new_sizes), sizes: new_sizes, offset: self.offset });
        }
        let mut strides: Strides = Strides::from_elem(0isize, new_sizes.len());
        let old = &self.sizes;
        let olds = &self.strides;
        let mut view_d = new_sizes.len() as isize - 1;
        let mut chunk_base_stride = *olds.last().unwrap_or(&1);
        let mut tensor_numel = 1usize;
        let mut view_numel = 1usize;
        let mut run_end = old.len();
        for td in (0..old.len()).rev() {
            tensor_numel *= old[td];
            // A run ends at dim 0 or where the next-outer dim isn't mergeable with this one.
            let ends = td == 0 || (old[td - 1] != 1 && olds[td - 1] != tensor_numel as isize * chunk_base_stride);
            if ends {
                while view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d as usize] == 1) {
                    strides[view_d as usize] = view_numel as isize * chunk_base_stride;
                    view_numel *= new_sizes[view_d as usize];
                    view_d -= 1;
                }
                if view_numel != tensor_numel {
                    return Err(LayoutError::ViewStrides { sizes: old.to_vec(), strides: olds.to_vec(), dims: (td, run_end - 1) });
                }
                if td > 0 {
                    chunk_base_stride = olds[td - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                    run_end = td;
                }
            }
        }
        if view_d != -1 {
            return Err(LayoutError::ViewStrides { sizes: old.to_vec(), strides: olds.to_vec(), dims: (0, old.len().saturating_sub(1)) });
        }
        Ok(Layout { sizes: new_sizes, strides, offset: self.offset })
    }

    pub fn diagonal(&self, offset: i64, d1: i64, d2: i64) -> Result<Layout, LayoutError> {
        let n = self.ndim();
        let (a, b) = (wrap_dim(d1, n)?, wrap_dim(d2, n)?);
        if a == b {
            return Err(LayoutError::Invalid { op: "diagonal", msg: format!("diagonal dimensions cannot be identical {d1}, {d2}") });
        }
        let (sa, sb) = (self.sizes[a] as i64, self.sizes[b] as i64);
        let len = if offset >= 0 { sa.min(sb.saturating_sub(offset)) } else { sa.saturating_add(offset).min(sb) }.max(0) as usize;
        let mut l = self.clone();
        if len > 0 && self.numel() > 0 {
            let shift = if offset >= 0 { offset as i128 * self.strides[b] as i128 } else { -(offset as i128) * self.strides[a] as i128 };
            l.offset = shifted(self.offset, shift);
        }
        let stride = self.strides[a] + self.strides[b];
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        l.sizes.remove(hi);
        l.strides.remove(hi);
        l.sizes.remove(lo);
        l.strides.remove(lo);
        l.sizes.push(len);
        l.strides.push(stride);
        Ok(l)
    }

    /// Windows of `size` every `step` along `dim`, as a new last dim.
    pub fn unfold(&self, dim: i64, size: usize, step: usize) -> Result<Layout, LayoutError> {
        let d = wrap_dim(dim, self.ndim())?;
        let dsize = if self.ndim() == 0 { 1 } else { self.sizes[d] };
        if size > dsize {
            return Err(LayoutError::Invalid {
                op: "unfold",
                msg: format!("maximum size for tensor at dimension {d} is {dsize} but size is {size}"),
            });
        }
        if step == 0 {
            return Err(LayoutError::Invalid { op: "unfold", msg: "step is 0 but must be > 0".into() });
        }
        let mut l = self.clone();
        if self.ndim() == 0 {
            l.sizes.push(size);
            l.strides.push(1);
            return Ok(l);
        }
        l.sizes[d] = (dsize - size) / step + 1;
        l.strides[d] = self.strides[d] * step as isize;
        l.sizes.push(size);
        l.strides.push(self.strides[d]);
        Ok(l)
    }

    /// Arbitrary sizes/strides/offset, checked to stay within `storage_len` elements.
    pub fn as_strided(sizes: &[usize], strides: &[isize], offset: usize, storage_len: usize) -> Result<Layout, LayoutError> {
        if sizes.len() != strides.len() {
            return Err(LayoutError::Invalid {
                op: "as_strided",
                msg: format!("mismatch in length of strides and shape: {} vs {}", strides.len(), sizes.len()),
            });
        }
        if strides.iter().any(|&s| s < 0) {
            return Err(LayoutError::Invalid {
                op: "as_strided",
                msg: "as_strided: Negative strides are not supported at the moment".into(),
            });
        }
        crate::checked_numel(sizes)?;
        // The furthest element, computed with overflow checks before storage_span trusts it.
        if !sizes.contains(&0) {
            let far = sizes
                .iter()
                .zip(strides)
                .try_fold(offset, |acc, (&n, &s)| (n - 1).checked_mul(s as usize).and_then(|e| acc.checked_add(e)));
            match far {
                Some(f) if f < storage_len => {}
                _ => return Err(LayoutError::OutOfStorage { needed: far.map_or(usize::MAX, |f| f + 1), available: storage_len }),
            }
        }
        let l = Layout { sizes: Dims::from_slice(sizes), strides: Strides::from_slice(strides), offset };
        if let Some((_, hi)) = l.storage_span() {
            if hi > storage_len {
                return Err(LayoutError::OutOfStorage { needed: hi, available: storage_len });
            }
        }
        Ok(l)
    }

    /// Moves dims so `src[i]` ends up at `dst[i]`, the rest keeping their order.
    pub fn movedim(&self, src: &[i64], dst: &[i64]) -> Result<Layout, LayoutError> {
        self.permute(&movedim_order(self.ndim(), src, dst)?)
    }

    /// Splits dim `dim` into `sizes` (one may be -1).
    pub fn unflatten(&self, dim: i64, sizes: &[i64]) -> Result<Layout, LayoutError> {
        let d = wrap_dim(dim, self.ndim())?;
        let inner = Self::infer_shape(sizes, self.sizes[d])?;
        let mut shape: Vec<i64> = self.sizes.iter().map(|&s| s as i64).collect();
        shape.splice(d..d + 1, inner.iter().map(|&s| s as i64));
        self.view(&shape)
    }

    pub fn total_elements(&self) -> usize {
        numel(&self.sizes)
    }
}

/// The permutation `movedim(src, dst)` applies to an `n`-dim tensor: `order[dst[i]] = src[i]`,
/// the other dims filling the free slots in their original order.
pub fn movedim_order(n: usize, src: &[i64], dst: &[i64]) -> Result<Vec<i64>, LayoutError> {
    if src.len() != dst.len() {
        return Err(LayoutError::Invalid {
            op: "movedim",
            msg: format!("movedim: Invalid source or destination dims: source ({src:?} dims) should contain the same number of dims as destination ({dst:?} dims)"),
        });
    }
    let mut order = vec![-1i64; n];
    let mut used = vec![false; n];
    for (&s, &d) in src.iter().zip(dst) {
        let (s, d) = (wrap_dim(s, n)?, wrap_dim(d, n)?);
        if n == 0 {
            continue; // a 0-dim tensor accepts dim 0/-1 and has nothing to move
        }
        if order[d] != -1 || used[s] {
            return Err(LayoutError::Invalid { op: "movedim", msg: "movedim: repeated dim in `source` or `destination`".into() });
        }
        order[d] = s as i64;
        used[s] = true;
    }
    let mut rest = (0..n).filter(|&i| !used[i]);
    for o in order.iter_mut() {
        if *o == -1 {
            *o = rest.next().unwrap_or(0) as i64;
        }
    }
    Ok(order)
}

/// `offset + delta` for a view's new start; callers skip it for empty views (which keep their
/// parent's offset), so it stays inside the storage the parent fits in. Clamped, never wrapped.
fn shifted(offset: usize, delta: i128) -> usize {
    (offset as i128 + delta).clamp(0, isize::MAX as i128) as usize
}
