//! Complex kernels on interleaved (re, im) buffers — the `view_as_real` layout, so a
//! complex64 tensor's storage is read as `[f32]` pairs — run on faer's complex types.
//! `num_complex::Complex<T>` (faer's c32/c64) is `#[repr(C)]` {re, im}, so a pair buffer is
//! reinterpreted in place, never converted.
use crate::lu;
use faer::{c32, c64, MatRef};
use rayon::prelude::*;

macro_rules! complex_for {
    ($r:ty, $c:ty, $name:ident) => {
        pub mod $name {
            use super::*;
            type R = $r;
            type C = $c;

            fn cplx(x: &[R]) -> &[C] {
                assert!(x.len() % 2 == 0, "complex buffers hold (re, im) pairs");
                // SAFETY: C is #[repr(C)] {re: R, im: R}: same alignment as R, twice its size.
                unsafe { std::slice::from_raw_parts(x.as_ptr() as *const C, x.len() / 2) }
            }

            fn cplx_mut(x: &mut [R]) -> &mut [C] {
                assert!(x.len() % 2 == 0, "complex buffers hold (re, im) pairs");
                // SAFETY: as in `cplx`; the borrow of `x` is moved into the result.
                unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr() as *mut C, x.len() / 2) }
            }

            fn pairs(x: Vec<C>) -> Vec<R> {
                x.into_iter().flat_map(|c| [c.re, c.im]).collect()
            }

            /// `getrf` on `batch` complex m×n matrices: (LU pairs, ipiv, info).
            pub fn lu_factor(a: &[R], batch: usize, m: usize, n: usize, threads: usize) -> (Vec<R>, Vec<i32>, Vec<i32>) {
                let (f, piv, info) = lu::getrf(cplx(a), batch, m, n, threads);
                (pairs(f), piv, info)
            }

            /// A X = B in place for `batch` complex pairs (A n×n, B n×k becomes X).
            pub fn solve_in_place(a: &[R], b: &mut [R], batch: usize, n: usize, k: usize, threads: usize) -> Vec<i32> {
                lu::gesv(cplx(a), cplx_mut(b), batch, n, k, threads)
            }

            /// Eigenvalues (n pairs) and, with `want_v`, right eigenvectors as columns (n×n
            /// pairs), each scaled as LAPACK's geev does: unit Euclidean norm with its
            /// largest-modulus component real and positive. Returns (w, V, converged).
            pub fn eig(a: &[R], batch: usize, n: usize, want_v: bool) -> (Vec<R>, Vec<R>, bool) {
                let a = cplx(a);
                let nn = n * n;
                let res: Vec<Option<(Vec<C>, Vec<C>)>> = (0..batch)
                    .into_par_iter()
                    .with_min_len(if nn > 4096 { 1 } else { 16 })
                    .map(|b| {
                        let x = MatRef::from_row_major_slice(&a[b * nn..(b + 1) * nn], n, n);
                        if !want_v {
                            return x.eigenvalues().ok().map(|w| (w, Vec::new()));
                        }
                        let f = x.eigen().ok()?;
                        let (s, u) = (f.S(), f.U());
                        let w = (0..n).map(|i| s[i]).collect();
                        let mut v = vec![C::new(0.0, 0.0); nn];
                        for j in 0..n {
                            let col = u.col(j);
                            let norm = (0..n).map(|i| col[i].norm_sqr()).sum::<R>().sqrt();
                            let big = (0..n).fold(C::new(0.0, 0.0), |m, i| if col[i].norm() > m.norm() { col[i] } else { m });
                            // multiply by conj(big)/|big| to make `big` real, then by 1/norm
                            let scale = if norm > 0.0 && big.norm() > 0.0 { big.conj() / (big.norm() * norm) } else { C::new(1.0, 0.0) };
                            for i in 0..n {
                                v[i * n + j] = col[i] * scale;
                            }
                        }
                        Some((w, v))
                    })
                    .collect();
                let (mut w, mut v, mut ok) = (Vec::new(), Vec::new(), true);
                for r in res {
                    match r {
                        Some((a, b)) => {
                            w.extend(a);
                            v.extend(b);
                        }
                        None => ok = false,
                    }
                }
                (pairs(w), pairs(v), ok)
            }
        }
    };
}

complex_for!(f32, c32, c32s);
complex_for!(f64, c64, c64s);

#[cfg(test)]
mod tests {
    #[test]
    fn complex_solve_and_eig() {
        // A = [[1+i, 0], [0, 2]]: x = A⁻¹ [2, 4] = [1−i, 2]; eigenvalues 1+i and 2
        let a = vec![1.0f64, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0];
        let mut b = vec![2.0f64, 0.0, 4.0, 0.0];
        assert_eq!(super::c64s::solve_in_place(&a, &mut b, 1, 2, 1, 1), vec![0]);
        let want = [1.0, -1.0, 2.0, 0.0];
        assert!(b.iter().zip(want).all(|(x, w)| (x - w).abs() < 1e-12), "{b:?}");
        let (w, v, ok) = super::c64s::eig(&a, 1, 2, true);
        assert!(ok && w.len() == 4 && v.len() == 8);
        let mut re: Vec<f64> = vec![w[0], w[2]];
        re.sort_by(f64::total_cmp);
        assert!((re[0] - 1.0).abs() < 1e-12 && (re[1] - 2.0).abs() < 1e-12);
    }
}
