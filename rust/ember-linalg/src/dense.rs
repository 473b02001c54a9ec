//! Batched dense factorizations on `faer`. Every function takes `batch` row-major matrices
//! laid end to end and returns row-major outputs laid the same way. A numerical failure of one
//! matrix (singular, not positive-definite) is reported in an `info` vector, LAPACK style
//! (0 = fine, k > 0 = the k-th pivot/minor failed), so the caller can name the batch element.
use faer::{MatRef, Side};
use rayon::prelude::*;

fn to_row_major<T: Copy>(m: MatRef<'_, T>, out: &mut [T]) {
    let (r, c) = (m.nrows(), m.ncols());
    for i in 0..r {
        for j in 0..c {
            out[i * c + j] = m[(i, j)];
        }
    }
}

macro_rules! dense_for {
    ($t:ty, $name:ident) => {
        pub mod $name {
            use super::*;
            type T = $t;

            fn mats(a: &[T], batch: usize, m: usize, n: usize) -> impl IndexedParallelIterator<Item = MatRef<'_, T>> {
                let sz = (m * n).max(1);
                (0..batch)
                    .into_par_iter()
                    .map(move |b| MatRef::from_row_major_slice(&a[b * m * n..b * m * n + m * n], m, n))
                    .with_min_len(if sz > 4096 { 1 } else { 16 })
            }

            /// Packed LU with partial pivoting (`getrf`): returns (LU m×n, ipiv min(m,n), info).
            pub fn lu_factor(a: &[T], batch: usize, m: usize, n: usize, threads: usize) -> (Vec<T>, Vec<i32>, Vec<i32>) {
                crate::lu::getrf(a, batch, m, n, threads)
            }

            /// X with A X = B for `batch` pairs (A n×n, B n×k), in place: `b` becomes X.
            /// Returns LAPACK's info per matrix (see `lu::gesv`).
            pub fn solve_in_place(a: &[T], b: &mut [T], batch: usize, n: usize, k: usize, threads: usize) -> Vec<i32> {
                crate::lu::gesv(a, b, batch, n, k, threads)
            }

            /// Lower Cholesky factor L (A = L Lᵀ, read from A's lower triangle): (L, info) where
            /// info = k means the leading minor of order k is not positive-definite.
            pub fn cholesky(a: &[T], batch: usize, n: usize) -> (Vec<T>, Vec<i32>) {
                let res: Vec<(Vec<T>, i32)> = mats(a, batch, n, n)
                    .map(|x| {
                        let mut out = vec![0.0; n * n];
                        match x.llt(Side::Lower) {
                            Ok(f) => {
                                to_row_major(f.L(), &mut out);
                                (out, 0)
                            }
                            Err(faer::linalg::solvers::LltError::NonPositivePivot { index }) => (out, index as i32 + 1),
                        }
                    })
                    .collect();
                let mut l = Vec::with_capacity(batch * n * n);
                let mut info = Vec::with_capacity(batch);
                for (o, i) in res {
                    l.extend(o);
                    info.push(i);
                }
                (l, info)
            }

            /// Householder QR: `complete` gives Q m×m and R m×n, otherwise Q m×k and R k×n
            /// with k = min(m, n). `want_q = false` skips Q (returned empty).
            pub fn qr(a: &[T], batch: usize, m: usize, n: usize, complete: bool, want_q: bool) -> (Vec<T>, Vec<T>) {
                let k = m.min(n);
                let (qc, rr) = if complete { (m, m) } else { (k, k) };
                let res: Vec<(Vec<T>, Vec<T>)> = mats(a, batch, m, n)
                    .map(|x| {
                        let f = x.qr();
                        let mut q = vec![0.0; if want_q { m * qc } else { 0 }];
                        if want_q {
                            let qm = if complete { f.compute_Q() } else { f.compute_thin_Q() };
                            to_row_major(qm.as_ref(), &mut q);
                        }
                        let r_full = f.R();
                        let mut r = vec![0.0; rr * n];
                        for i in 0..rr.min(r_full.nrows()) {
                            for j in i..n {
                                r[i * n + j] = r_full[(i, j)];
                            }
                        }
                        (q, r)
                    })
                    .collect();
                let (mut q, mut r) = (Vec::new(), Vec::new());
                for (a, b) in res {
                    q.extend(a);
                    r.extend(b);
                }
                (q, r)
            }

            /// SVD, singular values descending: (U, S, Vh, ok). `full` gives U m×m and Vh n×n,
            /// otherwise U m×k and Vh k×n; `want_uv = false` computes S only.
            pub fn svd(a: &[T], batch: usize, m: usize, n: usize, full: bool, want_uv: bool) -> (Vec<T>, Vec<T>, Vec<T>, bool) {
                let k = m.min(n);
                let (uc, vr) = if full { (m, n) } else { (k, k) };
                let res: Vec<Option<(Vec<T>, Vec<T>, Vec<T>)>> = mats(a, batch, m, n)
                    .map(|x| {
                        if !want_uv {
                            return x.singular_values().ok().map(|s| (Vec::new(), s, Vec::new()));
                        }
                        let f = if full { x.svd() } else { x.thin_svd() }.ok()?;
                        let mut u = vec![0.0; m * uc];
                        to_row_major(f.U(), &mut u);
                        let v = f.V();
                        let mut vh = vec![0.0; vr * n];
                        for i in 0..vr {
                            for j in 0..n {
                                vh[i * n + j] = v[(j, i)];
                            }
                        }
                        let s: Vec<T> = (0..k).map(|i| f.S()[i]).collect();
                        Some((u, s, vh))
                    })
                    .collect();
                let (mut u, mut s, mut vh, mut ok) = (Vec::new(), Vec::new(), Vec::new(), true);
                for r in res {
                    match r {
                        Some((a, b, c)) => {
                            u.extend(a);
                            s.extend(b);
                            vh.extend(c);
                        }
                        None => ok = false,
                    }
                }
                (u, s, vh, ok)
            }

            /// Symmetric eigendecomposition from one triangle (`upper` picks which), eigenvalues
            /// ascending: (w, V with eigenvectors as columns, ok).
            pub fn eigh(a: &[T], batch: usize, n: usize, upper: bool, want_v: bool) -> (Vec<T>, Vec<T>, bool) {
                let side = if upper { Side::Upper } else { Side::Lower };
                let res: Vec<Option<(Vec<T>, Vec<T>)>> = mats(a, batch, n, n)
                    .map(|x| {
                        if !want_v {
                            return x.self_adjoint_eigenvalues(side).ok().map(|w| (w, Vec::new()));
                        }
                        let f = x.self_adjoint_eigen(side).ok()?;
                        let mut v = vec![0.0; n * n];
                        to_row_major(f.U(), &mut v);
                        Some(((0..n).map(|i| f.S()[i]).collect(), v))
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
                (w, v, ok)
            }

            /// General (non-symmetric) eigendecomposition; complex results as (re, im) pairs:
            /// (w n×2, V n×n×2, ok).
            pub fn eig(a: &[T], batch: usize, n: usize, want_v: bool) -> (Vec<T>, Vec<T>, bool) {
                let res: Vec<Option<(Vec<T>, Vec<T>)>> = mats(a, batch, n, n)
                    .map(|x| {
                        if !want_v {
                            let w = x.eigenvalues().ok()?;
                            return Some((w.iter().flat_map(|c| [c.re, c.im]).collect(), Vec::new()));
                        }
                        let f = x.eigen().ok()?;
                        let w = (0..n).flat_map(|i| {
                            let c = f.S()[i];
                            [c.re, c.im]
                        });
                        let u = f.U();
                        let mut v = vec![0.0; n * n * 2];
                        for i in 0..n {
                            for j in 0..n {
                                let c = u[(i, j)];
                                v[(i * n + j) * 2] = c.re;
                                v[(i * n + j) * 2 + 1] = c.im;
                            }
                        }
                        Some((w.collect(), v))
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
                (w, v, ok)
            }
        }
    };
}

dense_for!(f32, f32s);
dense_for!(f64, f64s);
