//! Numerical kernels behind `ember.linalg`, `ember.fft` and `ember.special`, on contiguous,
//! row-major, batched `f32`/`f64` buffers. Nothing here knows about tensors, strides or
//! Python: the binding makes inputs contiguous, calls one function, and wraps the outputs.
//!
//! Libraries: dense factorizations come from `faer`, FFTs from `rustfft`/`realfft`, special
//! functions from `puruspe` and `libm`; only the few functions none of them has
//! (digamma/polygamma through the Hurwitz zeta, the scaled Bessel tails) are written here.
//!
//! Complex numbers travel as interleaved `(re, im)` pairs in a trailing dimension of size 2
//! (the `view_as_real` layout); `complex` runs them on faer's complex types.
pub mod complex;
pub mod dense;
pub mod fft;
pub mod lu;
pub mod special;
