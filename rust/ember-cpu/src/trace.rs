//! What the last kernel on this thread did, for `ember.inspect.trace()`.
//!
//! Kernels note (kernel family, fast path, threads used) in a thread-local cell: one store,
//! no allocation, so it costs nothing measurable whether or not a trace is active.
use std::cell::Cell;

/// (kernel family, fast path, threads used)
pub type Note = (&'static str, &'static str, usize);

thread_local! {
    static LAST: Cell<Option<Note>> = const { Cell::new(None) };
}

#[inline]
pub fn note(kernel: &'static str, path: &'static str, threads: usize) {
    LAST.with(|c| c.set(Some((kernel, path, threads))));
}

/// The note of the last kernel since the previous `take`, clearing it.
pub fn take() -> Option<Note> {
    LAST.with(|c| c.take())
}
