//! What the last GPU kernel recorded on this thread was, for `ember.inspect.trace()`.
//!
//! One thread-local store per dispatch (kernel names are interned `&'static str`s), so it
//! costs nothing measurable whether or not a trace is active.
use std::cell::Cell;

/// (kernel name such as "wgpu/binary_add_f32", workgroups dispatched in x, y, z)
pub type Note = (&'static str, [u32; 3]);

thread_local! {
    static LAST: Cell<Option<Note>> = const { Cell::new(None) };
}

#[inline]
pub(crate) fn note(kernel: &'static str, groups: [u32; 3]) {
    LAST.with(|c| c.set(Some((kernel, groups))));
}

/// The last kernel recorded on this thread since the previous `take`, clearing it.
pub fn take() -> Option<Note> {
    LAST.with(|c| c.take())
}
