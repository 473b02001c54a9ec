//! Fused activation backward kernels: one pass over the output gradient and the saved
//! tensor, where the composed formula (`g * (y > 0).to(dtype)`) made three passes and two
//! temporaries (a bool mask and its float copy) for every ReLU in every backward.
use crate::pool::Ptr;
use crate::threads::{chunks_for, parallel_for, split_range};
use num_traits::Float;
use std::mem::MaybeUninit;

/// `out[i] = if y[i] <= 0 { 0 } else { g[i] }`: ReLU's input gradient from its output `y`
/// (PyTorch's `threshold_backward(g, y, 0)`: a NaN output passes the gradient through, and a
/// non-positive one gives +0 even where the gradient is infinite or NaN).
/// `g`, `y` and `out` have the same length; every element of `out` is written.
pub fn relu_backward<T: Float + Send + Sync>(g: &[T], y: &[T], out: &mut [MaybeUninit<T>]) {
    let n = out.len();
    assert!(g.len() == n && y.len() == n, "relu_backward: operand lengths differ");
    let chunks = chunks_for(n);
    let po = Ptr(out.as_mut_ptr());
    parallel_for(chunks, |c| {
        let (lo, hi) = split_range(n, chunks, c);
        // SAFETY: chunk c alone writes out[lo..hi] (split_range gives disjoint ranges).
        let o = unsafe { po.part(lo, hi - lo) };
        let (g, y) = (&g[lo..hi], &y[lo..hi]);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above); the body is safe code.
                unsafe { relu_rows_avx2(g, y, o) };
                return;
            }
        }
        relu_rows(g, y, o)
    });
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
/// # Safety
/// The CPU has AVX2.
unsafe fn relu_rows_avx2<T: Float>(g: &[T], y: &[T], o: &mut [MaybeUninit<T>]) {
    relu_rows(g, y, o)
}

#[inline(always)]
fn relu_rows<T: Float>(g: &[T], y: &[T], o: &mut [MaybeUninit<T>]) {
    for ((d, &gv), &yv) in o.iter_mut().zip(g).zip(y) {
        *d = MaybeUninit::new(if yv <= T::zero() { T::zero() } else { gv });
    }
}
