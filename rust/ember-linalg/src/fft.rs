//! Batched 1-d FFTs along the last axis on `rustfft` (complex) and `realfft` (real input /
//! real output). Complex data is interleaved (re, im) pairs. All transforms are
//! unnormalized; the caller applies PyTorch's `norm=` scale.
use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftNum, FftPlanner};
use std::sync::{Arc, Mutex, OnceLock};

/// One planner pair per float type, kept for the process: planning a large transform
/// (twiddle tables, algorithm choice) costs more than running it, and the planners cache
/// every plan they make by length.
pub trait Planned: FftNum {
    fn planners() -> &'static Mutex<(FftPlanner<Self>, RealFftPlanner<Self>)>;
}
macro_rules! planned {
    ($t:ty) => {
        impl Planned for $t {
            fn planners() -> &'static Mutex<(FftPlanner<$t>, RealFftPlanner<$t>)> {
                static P: OnceLock<Mutex<(FftPlanner<$t>, RealFftPlanner<$t>)>> = OnceLock::new();
                P.get_or_init(|| Mutex::new((FftPlanner::new(), RealFftPlanner::new())))
            }
        }
    };
}
planned!(f32);
planned!(f64);

fn lock<T: Planned>() -> std::sync::MutexGuard<'static, (FftPlanner<T>, RealFftPlanner<T>)> {
    T::planners().lock().unwrap_or_else(|e| e.into_inner())
}
fn plan_c2c<T: Planned>(n: usize, inverse: bool) -> Arc<dyn Fft<T>> {
    let mut p = lock::<T>();
    if inverse {
        p.0.plan_fft_inverse(n)
    } else {
        p.0.plan_fft_forward(n)
    }
}
fn plan_r2c<T: Planned>(n: usize) -> Arc<dyn RealToComplex<T>> {
    lock::<T>().1.plan_fft_forward(n)
}
fn plan_c2r<T: Planned>(n: usize) -> Arc<dyn ComplexToReal<T>> {
    lock::<T>().1.plan_fft_inverse(n)
}

fn pairs<T: FftNum>(x: &[T]) -> Vec<Complex<T>> {
    x.chunks_exact(2).map(|p| Complex::new(p[0], p[1])).collect()
}

fn flat<T: FftNum>(c: &[Complex<T>], out: &mut [T]) {
    for (o, v) in out.chunks_exact_mut(2).zip(c) {
        o[0] = v.re;
        o[1] = v.im;
    }
}

/// Complex-to-complex, `batch` rows of `n` complex values (2n floats each).
pub fn c2c<T: Planned>(x: &[T], batch: usize, n: usize, inverse: bool) -> Vec<T> {
    let mut out = vec![T::zero(); batch * n * 2];
    if n == 0 {
        return out;
    }
    let plan = plan_c2c::<T>(n, inverse);
    out.par_chunks_mut(2 * n).zip(x.par_chunks(2 * n)).for_each_init(
        || vec![Complex::new(T::zero(), T::zero()); plan.get_inplace_scratch_len()],
        |scratch, (o, xi)| {
            let mut buf = pairs(xi);
            plan.process_with_scratch(&mut buf, scratch);
            flat(&buf, o);
        },
    );
    out
}

/// Real-to-complex: `batch` rows of `n` reals → rows of n/2+1 complex values.
pub fn r2c<T: Planned>(x: &[T], batch: usize, n: usize) -> Vec<T> {
    let h = n / 2 + 1;
    let mut out = vec![T::zero(); batch * h * 2];
    if n == 0 {
        return out;
    }
    let plan = plan_r2c::<T>(n);
    out.par_chunks_mut(2 * h).zip(x.par_chunks(n)).for_each_init(
        || (plan.make_input_vec(), plan.make_output_vec(), plan.make_scratch_vec()),
        |(inp, spec, scratch), (o, xi)| {
            inp.copy_from_slice(xi);
            plan.process_with_scratch(inp, spec, scratch).expect("r2c buffer sizes match the plan");
            flat(spec, o);
        },
    );
    out
}

/// Complex-to-real (the inverse of `r2c`): `batch` rows of `nin` complex values, of which the
/// first n/2+1 are used (zero-padded when fewer), → rows of `n` reals. The imaginary parts of
/// the zero- and Nyquist-frequency terms are ignored, as a Hermitian signal has none.
pub fn c2r<T: Planned>(x: &[T], batch: usize, nin: usize, n: usize) -> Vec<T> {
    let h = n / 2 + 1;
    let mut out = vec![T::zero(); batch * n];
    if n == 0 {
        return out;
    }
    let plan = plan_c2r::<T>(n);
    let take = nin.min(h);
    out.par_chunks_mut(n).zip(x.par_chunks((2 * nin).max(1))).for_each_init(
        || (plan.make_input_vec(), plan.make_output_vec(), plan.make_scratch_vec()),
        |(spec, o_buf, scratch), (o, xi)| {
            for (k, s) in spec.iter_mut().enumerate() {
                *s = if k < take { Complex::new(xi[2 * k], xi[2 * k + 1]) } else { Complex::new(T::zero(), T::zero()) };
            }
            spec[0].im = T::zero();
            if n % 2 == 0 {
                spec[h - 1].im = T::zero();
            }
            plan.process_with_scratch(spec, o_buf, scratch).expect("c2r buffer sizes match the plan");
            o.copy_from_slice(o_buf);
        },
    );
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn roundtrip() {
        let x = [1.0f64, 2.0, 3.0, 4.0, 5.0];
        let s = super::r2c(&x, 1, 5);
        let y = super::c2r(&s, 1, 3, 5);
        for (a, b) in x.iter().zip(&y) {
            assert!((a * 5.0 - b).abs() < 1e-9);
        }
    }
}
