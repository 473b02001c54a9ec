//! LU with partial pivoting (`getrf`) and the square solve built on it (`gesv`), generic over
//! faer's field types so the real and the complex kernels are one code.
//!
//! Layout trick: a row-major n×n buffer *is* Aᵀ in column-major order, which is what faer
//! factors in place. So `gesv` factors P·Aᵀ = L·U directly in the caller's buffer and solves
//! A x = b as (Aᵀ)ᵀ x = b with faer's transpose solve (Uᵀ, then Lᵀ, then Pᵀ): no transposing
//! copy of A at all. `getrf` must return A's own factors (LAPACK's packed LU of A), so it
//! pays two cache-blocked transposes instead.
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor::{lu_in_place, lu_in_place_scratch};
use faer::linalg::lu::partial_pivoting::solve::{
    solve_in_place, solve_in_place_scratch, solve_transpose_in_place, solve_transpose_in_place_scratch,
};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::traits::ComplexField;
use faer::{c32, c64, MatMut, Par};
use rayon::prelude::*;
use std::ops::{Div, Mul, Sub};

/// The element types the kernels run on: f32, f64, c32, c64 (`Default` is zero for each).
pub trait Field:
    ComplexField + Copy + PartialEq + Default + Send + Sync + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    /// The real part's machine epsilon.
    const EPS: f64;
    /// |re| + |im|, LAPACK's pivot measure (`i?amax`).
    fn abs1(self) -> f64;
}

impl Field for f32 {
    const EPS: f64 = f32::EPSILON as f64;
    fn abs1(self) -> f64 {
        self.abs() as f64
    }
}
impl Field for f64 {
    const EPS: f64 = f64::EPSILON;
    fn abs1(self) -> f64 {
        self.abs()
    }
}
impl Field for c32 {
    const EPS: f64 = f32::EPSILON as f64;
    fn abs1(self) -> f64 {
        (self.re.abs() + self.im.abs()) as f64
    }
}
impl Field for c64 {
    const EPS: f64 = f64::EPSILON;
    fn abs1(self) -> f64 {
        self.re.abs() + self.im.abs()
    }
}

/// faer's parallelism inside one factorization: the pool's `threads` for a single matrix;
/// sequential at one thread (faer's rayon path then only adds task overhead) or when the
/// batch is what gets split across threads.
fn inner_par(batch: usize, threads: usize) -> Par {
    if threads <= 1 || batch > 1 {
        Par::Seq
    } else {
        Par::rayon(threads)
    }
}

/// Small matrices are grouped so a batch of them is not split into one task each.
fn min_len(elems: usize) -> usize {
    if elems > 4096 {
        1
    } else {
        16
    }
}

/// dst = srcᵀ with src r×c row-major (so dst is c×r row-major, i.e. src in column-major
/// order). 32×32 tiles keep both the rows read and the rows written in cache.
pub fn transpose<T: Copy>(src: &[T], r: usize, c: usize, dst: &mut [T]) {
    const B: usize = 32;
    for i0 in (0..r).step_by(B) {
        for j0 in (0..c).step_by(B) {
            for i in i0..(i0 + B).min(r) {
                for j in j0..(j0 + B).min(c) {
                    dst[j * r + i] = src[i * c + j];
                }
            }
        }
    }
}

/// LAPACK's 1-based row-interchange sequence (`getrf`'s ipiv) from faer's forward row
/// permutation: at step i, the original row `perm[i]` is swapped into position i.
pub fn swaps_from_perm(perm: &[usize], k: usize) -> Vec<i32> {
    let m = perm.len();
    let mut cur: Vec<usize> = (0..m).collect();
    let mut pos: Vec<usize> = (0..m).collect();
    let mut ipiv = Vec::with_capacity(k);
    for i in 0..k {
        let j = pos[perm[i]];
        let (ri, rj) = (cur[i], cur[j]);
        cur.swap(i, j);
        pos[ri] = j;
        pos[rj] = i;
        ipiv.push(j as i32 + 1);
    }
    ipiv
}

/// 1 + the first zero on the diagonal of a column-major m×n factor (0 when none): LAPACK's info.
fn first_zero_pivot<T: Field>(f: &[T], m: usize, n: usize) -> i32 {
    (0..m.min(n)).find(|&i| f[i * m + i] == T::default()).map_or(0, |i| i as i32 + 1)
}

/// Factors the column-major m×n matrix in `f` in place; returns faer's forward row permutation.
fn factor_in_place<T: Field>(f: &mut [T], m: usize, n: usize, par: Par) -> Vec<usize> {
    let (mut p, mut pi) = (vec![0usize; m], vec![0usize; m]);
    let mut buf = MemBuffer::new(lu_in_place_scratch::<usize, T>(m, n, par, Default::default()));
    let mat = MatMut::from_column_major_slice_mut(f, m, n);
    lu_in_place(mat, &mut p, &mut pi, par, MemStack::new(&mut buf), Default::default());
    p
}

/// LAPACK's unblocked `getf2` on the column-major m×n `f`, in place: returns (ipiv, info).
/// Only run for a matrix faer found singular: faer divides a column by its zero pivot (NaNs
/// below it), while LAPACK leaves that column unscaled and goes on, so the factors past a
/// zero pivot — and slogdet's (0, −inf) — match LAPACK's.
fn getf2<T: Field>(f: &mut [T], m: usize, n: usize) -> (Vec<i32>, i32) {
    let (k, zero) = (m.min(n), T::default());
    let (mut ipiv, mut info) = (Vec::with_capacity(k), 0);
    for j in 0..k {
        let col = j * m;
        let p = (j..m).fold(j, |p, i| if f[col + i].abs1() > f[col + p].abs1() { i } else { p });
        ipiv.push(p as i32 + 1);
        let piv = f[col + p];
        if piv != zero {
            if p != j {
                for c in 0..n {
                    f.swap(c * m + j, c * m + p);
                }
            }
            for i in j + 1..m {
                f[col + i] = f[col + i] / piv;
            }
        } else if info == 0 {
            info = j as i32 + 1;
        }
        for c in j + 1..n {
            let u = f[c * m + j];
            for i in j + 1..m {
                f[c * m + i] = f[c * m + i] - f[col + i] * u;
            }
        }
    }
    (ipiv, info)
}

/// Packed LU of `batch` row-major m×n matrices (`getrf`): returns (LU row-major, ipiv
/// min(m,n) per matrix, info per matrix). `threads` is the current rayon pool's size; at 1
/// everything runs on the calling thread (no pool hand-off, which costs more than a small LU).
pub fn getrf<T: Field>(a: &[T], batch: usize, m: usize, n: usize, threads: usize) -> (Vec<T>, Vec<i32>, Vec<i32>) {
    let (mn, k) = (m * n, m.min(n));
    let mut lu = vec![T::default(); batch * mn];
    if mn == 0 {
        return (lu, Vec::new(), vec![0; batch]);
    }
    let par = inner_par(batch, threads);
    let one = |(src, out): (&[T], &mut [T])| {
        let mut f = vec![T::default(); mn];
        transpose(src, m, n, &mut f);
        let p = factor_in_place(&mut f, m, n, par);
        let (piv, info) = match first_zero_pivot(&f, m, n) {
            0 => (swaps_from_perm(&p, k), 0),
            _ => {
                transpose(src, m, n, &mut f);
                getf2(&mut f, m, n)
            }
        };
        transpose(&f, n, m, out);
        (piv, info)
    };
    let res: Vec<(Vec<i32>, i32)> = if threads <= 1 {
        a.chunks(mn).zip(lu.chunks_mut(mn)).map(one).collect()
    } else {
        a.par_chunks(mn).zip(lu.par_chunks_mut(mn)).with_min_len(min_len(mn)).map(one).collect()
    };
    let mut piv = Vec::with_capacity(batch * k);
    let mut info = Vec::with_capacity(batch);
    for (p, i) in res {
        piv.extend(p);
        info.push(i);
    }
    (lu, piv, info)
}

/// The right-hand side as a column-major n×k matrix, solved by `solve` in place: a row-major
/// n×1 buffer already is one; wider ones take a transposed copy there and back.
fn with_rhs<T: Field>(b: &mut [T], n: usize, k: usize, solve: impl FnOnce(MatMut<'_, T>)) {
    if k == 1 {
        solve(MatMut::from_column_major_slice_mut(b, n, 1));
    } else {
        let mut x = vec![T::default(); n * k];
        transpose(b, n, k, &mut x);
        solve(MatMut::from_column_major_slice_mut(&mut x, n, k));
        transpose(&x, k, n, b);
    }
}

/// A X = B for one row-major A (n×n, read) and row-major B (n×k, overwritten by X); returns
/// LAPACK `gesv`'s info: 1 + the first exactly zero pivot of A's LU, 0 when solved.
///
/// Fast path: factor the copy of A's buffer as Aᵀ (no transposing copy) and transpose-solve.
/// A's and Aᵀ's LUs round differently, so where LAPACK meets an exactly zero pivot (a singular
/// matrix of small integers, say) Aᵀ's LU may end on a pivot of rounding size instead; when
/// Aᵀ's smallest pivot is that small relative to its largest, A itself is factored and judged
/// exactly as `getrf` would be.
fn gesv_one<T: Field>(a: &[T], b: &mut [T], n: usize, k: usize, par: Par) -> i32 {
    let (mut p, mut pi) = (vec![0usize; n], vec![0usize; n]);
    let scratch = lu_in_place_scratch::<usize, T>(n, n, par, Default::default())
        .or(solve_transpose_in_place_scratch::<usize, T>(n, k, par))
        .or(solve_in_place_scratch::<usize, T>(n, k, par));
    let mut buf = MemBuffer::new(scratch);
    let mut f = a.to_vec();
    let mut m = MatMut::from_column_major_slice_mut(&mut f, n, n);
    let (_, perm) = lu_in_place(m.rb_mut(), &mut p, &mut pi, par, MemStack::new(&mut buf), Default::default());
    let (lo, hi) = (0..n).map(|i| m[(i, i)].abs1()).fold((f64::INFINITY, 0.0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if lo > 16.0 * n as f64 * T::EPS * hi {
        let m = m.rb();
        with_rhs(b, n, k, |rhs| solve_transpose_in_place(m, m, perm, rhs, par, MemStack::new(&mut buf)));
        return 0;
    }
    transpose(a, n, n, &mut f);
    let mut m = MatMut::from_column_major_slice_mut(&mut f, n, n);
    let (_, perm) = lu_in_place(m.rb_mut(), &mut p, &mut pi, par, MemStack::new(&mut buf), Default::default());
    if let Some(i) = (0..n).find(|&i| m[(i, i)] == T::default()) {
        return i as i32 + 1;
    }
    let m = m.rb();
    with_rhs(b, n, k, |rhs| solve_in_place(m, m, perm, rhs, par, MemStack::new(&mut buf)));
    0
}

/// X with A X = B for `batch` pairs: `a` (n×n each, row-major) is read, `b` (n×k each,
/// row-major) becomes X. Returns LAPACK's info per matrix (k > 0: U[k-1, k-1] of A's LU is
/// exactly zero, so A is singular and that B is left as it was). `threads` as in `getrf`.
pub fn gesv<T: Field>(a: &[T], b: &mut [T], batch: usize, n: usize, k: usize, threads: usize) -> Vec<i32> {
    if n == 0 {
        return vec![0; batch];
    }
    let (par, nn) = (inner_par(batch, threads), n * n);
    if k == 0 {
        return a.chunks(nn).map(|a| gesv_one(a, &mut [], n, 0, par)).collect();
    }
    let one = |(a, b): (&[T], &mut [T])| gesv_one(a, b, n, k, par);
    if threads <= 1 {
        a.chunks(nn).zip(b.chunks_mut(n * k)).map(one).collect()
    } else {
        a.par_chunks(nn).zip(b.par_chunks_mut(n * k)).with_min_len(min_len(nn)).map(one).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gesv_solves_row_major_systems() {
        // A = [[2, 1], [1, 3]] (row-major), B = [[3, 1], [5, 2]]: X = A⁻¹B
        let a = vec![2.0f64, 1.0, 1.0, 3.0];
        let mut b = vec![3.0f64, 1.0, 5.0, 2.0];
        let info = gesv(&a, &mut b, 1, 2, 2, 1);
        assert_eq!(info, vec![0]);
        let want = [0.8, 0.2, 1.4, 0.6];
        for (x, w) in b.iter().zip(want) {
            assert!((x - w).abs() < 1e-12, "{b:?}");
        }
    }

    #[test]
    fn getrf_swaps_reconstruct() {
        let a = [0.0f64, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 8.0, 10.0];
        let (lu, piv, info) = getrf(&a, 1, 3, 3, 2);
        assert_eq!(info, vec![0]);
        assert_eq!(piv[0], 3);
        assert!(lu[0] == 7.0);
    }

    #[test]
    fn singular_lu_continues_past_the_zero_pivot_like_lapack() {
        // column 1 is zero: getrf reports info 2 and leaves finite factors
        let a = [2.0f64, 0.0, 1.0, 4.0, 0.0, 3.0, 6.0, 0.0, 5.0];
        let (lu, piv, info) = getrf(&a, 1, 3, 3, 1);
        assert_eq!(info, vec![2]);
        assert_eq!(piv, vec![3, 2, 3]);
        assert!(lu.iter().all(|x| x.is_finite()), "{lu:?}");
    }

    #[test]
    fn singular_reports_lapacks_info() {
        // A's LU meets an exact zero at step 3 (LAPACK's info 3); Aᵀ's LU only a rounding-size pivot
        let a = vec![1.0f64, 2.0, 3.0, 2.0, 4.0, 6.0, 1.0, 0.0, 1.0];
        let mut b = vec![1.0f64; 3];
        assert_eq!(gesv(&a, &mut b, 1, 3, 1, 2), vec![3]);
        assert_eq!(b, vec![1.0; 3]);
        let mut b = vec![1.0f32, 1.0];
        assert_eq!(gesv(&[1.0f32, 2.0, 2.0, 4.0], &mut b, 1, 2, 1, 1), vec![2]);
    }
}
