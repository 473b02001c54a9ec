//! `InlineVec`: a layout's sizes or strides, stored inline up to `INLINE_DIMS` dims.
//!
//! A `Vec` here cost every tensor two heap allocations and frees (a view's or a small op's
//! result: a quarter of a 10-element `x.view(2, 5)` went to malloc and free). PyTorch's
//! TensorImpl keeps 5 dims inline for the same reason. The wrapper derefs to the `SmallVec`
//! (so `push`, `insert`, slicing and iteration read as on a `Vec`) and compares equal with
//! arrays, slices and `Vec`s of the same elements.
use smallvec::SmallVec;
use std::ops::{Deref, DerefMut};

/// Dims held without a heap allocation (NCHW plus two).
pub const INLINE_DIMS: usize = 6;

#[derive(Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InlineVec<T>(pub SmallVec<[T; INLINE_DIMS]>);

/// One block copy: SmallVec's own `clone` pushes element by element (it cannot assume
/// `Copy`), a tenth of a 10-element `x[1:3]`, which clones its layout to make the view's.
impl<T: Copy> Clone for InlineVec<T> {
    #[inline]
    fn clone(&self) -> Self {
        InlineVec(SmallVec::from_slice(&self.0))
    }
}

/// A layout's sizes.
pub type Dims = InlineVec<usize>;
/// A layout's strides, in elements.
pub type Strides = InlineVec<isize>;

impl<T> InlineVec<T> {
    pub fn new() -> Self {
        InlineVec(SmallVec::new())
    }
    pub fn with_capacity(n: usize) -> Self {
        InlineVec(SmallVec::with_capacity(n))
    }
    pub fn from_elem(v: T, n: usize) -> Self
    where
        T: Clone,
    {
        InlineVec(SmallVec::from_elem(v, n))
    }
    pub fn from_slice(s: &[T]) -> Self
    where
        T: Copy,
    {
        InlineVec(SmallVec::from_slice(s))
    }
}

impl<T> Deref for InlineVec<T> {
    type Target = SmallVec<[T; INLINE_DIMS]>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
impl<T> DerefMut for InlineVec<T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}
impl<T: std::fmt::Debug> std::fmt::Debug for InlineVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}
impl<T> AsRef<[T]> for InlineVec<T> {
    fn as_ref(&self) -> &[T] {
        &self.0
    }
}
impl<T> std::borrow::Borrow<[T]> for InlineVec<T> {
    fn borrow(&self) -> &[T] {
        &self.0
    }
}
impl<T> From<Vec<T>> for InlineVec<T> {
    fn from(v: Vec<T>) -> Self {
        InlineVec(SmallVec::from_vec(v))
    }
}
impl<T: Copy> From<&[T]> for InlineVec<T> {
    fn from(s: &[T]) -> Self {
        InlineVec(SmallVec::from_slice(s))
    }
}
impl<T: Copy> From<&Vec<T>> for InlineVec<T> {
    fn from(s: &Vec<T>) -> Self {
        InlineVec(SmallVec::from_slice(s))
    }
}
impl<T: Copy, const N: usize> From<[T; N]> for InlineVec<T> {
    fn from(a: [T; N]) -> Self {
        InlineVec(SmallVec::from_slice(&a))
    }
}
impl<T: Copy, const N: usize> From<&[T; N]> for InlineVec<T> {
    fn from(a: &[T; N]) -> Self {
        InlineVec(SmallVec::from_slice(a))
    }
}
impl<T> From<InlineVec<T>> for Vec<T> {
    fn from(v: InlineVec<T>) -> Vec<T> {
        v.0.into_vec()
    }
}
impl<T> FromIterator<T> for InlineVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(it: I) -> Self {
        InlineVec(it.into_iter().collect())
    }
}
impl<T> Extend<T> for InlineVec<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, it: I) {
        self.0.extend(it)
    }
}
impl<'a, T: Copy + 'a> Extend<&'a T> for InlineVec<T> {
    fn extend<I: IntoIterator<Item = &'a T>>(&mut self, it: I) {
        self.0.extend(it.into_iter().copied())
    }
}
impl<T> IntoIterator for InlineVec<T> {
    type Item = T;
    type IntoIter = smallvec::IntoIter<[T; INLINE_DIMS]>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
impl<'a, T> IntoIterator for &'a InlineVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
impl<'a, T> IntoIterator for &'a mut InlineVec<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut()
    }
}

// Comparisons with the other ways a shape is written.
impl<T: PartialEq> PartialEq<[T]> for InlineVec<T> {
    fn eq(&self, o: &[T]) -> bool {
        self.0[..] == o[..]
    }
}
impl<T: PartialEq> PartialEq<&[T]> for InlineVec<T> {
    fn eq(&self, o: &&[T]) -> bool {
        self.0[..] == o[..]
    }
}
impl<T: PartialEq> PartialEq<Vec<T>> for InlineVec<T> {
    fn eq(&self, o: &Vec<T>) -> bool {
        self.0[..] == o[..]
    }
}
impl<T: PartialEq, const N: usize> PartialEq<[T; N]> for InlineVec<T> {
    fn eq(&self, o: &[T; N]) -> bool {
        self.0[..] == o[..]
    }
}
impl<T: PartialEq, const N: usize> PartialEq<&[T; N]> for InlineVec<T> {
    fn eq(&self, o: &&[T; N]) -> bool {
        self.0[..] == o[..]
    }
}
impl<T: PartialEq> PartialEq<InlineVec<T>> for Vec<T> {
    fn eq(&self, o: &InlineVec<T>) -> bool {
        self[..] == o.0[..]
    }
}
impl<T: PartialEq> PartialEq<InlineVec<T>> for [T] {
    fn eq(&self, o: &InlineVec<T>) -> bool {
        self[..] == o.0[..]
    }
}
impl<T: PartialEq> PartialEq<InlineVec<T>> for &[T] {
    fn eq(&self, o: &InlineVec<T>) -> bool {
        self[..] == o.0[..]
    }
}
impl<T: PartialEq, const N: usize> PartialEq<InlineVec<T>> for [T; N] {
    fn eq(&self, o: &InlineVec<T>) -> bool {
        self[..] == o.0[..]
    }
}
