//! float32 products with few output columns, as dot products (AVX2 + FMA).
//!
//! `gemm`'s AVX2 micro-kernel computes 16 output columns of a row-major result at a time (its
//! 16-row tile runs along the columns of `a @ b` once the product is transposed to a
//! column-major one). Columns left over past a multiple of 16 go to its 8-wide kernel at a
//! third of the speed: on a Zen 3 core 1024x784 @ 784x100 took 1,925 µs where 96 columns took
//! 1,646, and a 4-column product 285 µs. When `a`'s rows and `b`'s columns are both contiguous
//! along the sum (`x @ w.T`, a Linear layer's forward), those columns are dot products of
//! contiguous rows: each pass here keeps R rows × N columns of 8-lane partial sums in
//! registers and reads both operands in place.
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Most columns of one pass (8 with one row, up to 12 accumulators in all).
const MAX_PASS: usize = 8;

/// Most columns taken from gemm. Dot products cost ~22 µs per column of 1024x784 @ 784xn here,
/// gemm ~17.5 µs per column of a full 16-wide tile but ~280 µs for a partial one (n = 4: 285,
/// n = 10: 285, n = 16: 279): the dot products win up to 12 columns.
const MAX_COLS: usize = 12;

/// Columns this module takes from a row-major product of `n` columns whose operands fit
/// (see `product`): all of them for `n ≤ 12`, else the `n % 16` past the last full tile
/// when they are at most 12 (gemm would run them as a whole tile).
pub(crate) fn columns_for(n: usize) -> usize {
    if n <= MAX_COLS {
        n
    } else if n % 16 <= MAX_COLS {
        n % 16
    } else {
        0
    }
}

/// `d[i, j] = alpha · Σ_p a[i, p] · b[p, j] (+ beta · d[i, j] when `read_dst`)` for `i < m`,
/// `j < n`, where `a[i, p]` is at `a + i·lda + p` and `b[p, j]` at `b + j·ldb + p`.
///
/// # Safety
/// The CPU has AVX2 and FMA; every element named above lies inside a live allocation; `d`
/// (at `d + i·rsd + j·csd`) is writable and overlaps neither operand.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn product(
    (m, n, k): (usize, usize, usize),
    (a, lda): (*const f32, isize),
    (b, ldb): (*const f32, isize),
    (d, rsd, csd): (*mut f32, isize, isize),
    alpha: f32,
    beta: f32,
    read_dst: bool,
) {
    // Passes of near-equal width (10 columns: 5 + 5, not 8 + 2).
    let passes = n.div_ceil(MAX_PASS);
    let mut j0 = 0;
    for q in 0..passes {
        let w = (n - j0) / (passes - q);
        let (b, d) = (b.offset(j0 as isize * ldb), d.offset(j0 as isize * csd));
        let out = Out { d, rsd, csd, alpha, beta, read_dst };
        // SAFETY (each arm): the caller's contract covers columns j0..j0 + w of b and d.
        match w {
            1 => pass::<4, 1>(m, k, a, lda, b, ldb, out),
            2 => pass::<4, 2>(m, k, a, lda, b, ldb, out),
            3 => pass::<4, 3>(m, k, a, lda, b, ldb, out),
            4 => pass::<3, 4>(m, k, a, lda, b, ldb, out),
            5 => pass::<2, 5>(m, k, a, lda, b, ldb, out),
            6 => pass::<2, 6>(m, k, a, lda, b, ldb, out),
            7 => pass::<1, 7>(m, k, a, lda, b, ldb, out),
            _ => pass::<1, 8>(m, k, a, lda, b, ldb, out),
        }
        j0 += w;
    }
}

/// Where and how a pass stores its results.
#[derive(Clone, Copy)]
struct Out {
    d: *mut f32,
    rsd: isize,
    csd: isize,
    alpha: f32,
    beta: f32,
    read_dst: bool,
}

/// One pass over all `m` rows for `N` columns, `R` rows at a time (then single rows).
///
/// # Safety: as `product`, for these N columns.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn pass<const R: usize, const N: usize>(m: usize, k: usize, a: *const f32, lda: isize, b: *const f32, ldb: isize, o: Out) {
    // SAFETY (every pointer formed and call below): columns j < N of b and rows i < m of a
    // start inside their allocations and hold k floats each (`product`'s contract); rows i < m of
    // the pass's N columns of `o.d` are writable and overlap neither operand.
    let mut cols = [b; N];
    for (j, c) in cols.iter_mut().enumerate() {
        *c = b.offset(j as isize * ldb);
    }
    let mut i = 0;
    while i + R <= m {
        let mut rows = [a; R];
        for (r, p) in rows.iter_mut().enumerate() {
            *p = a.offset((i + r) as isize * lda);
        }
        let s = dots::<R, N>(k, rows, cols);
        store(o, i, &s);
        i += R;
    }
    while i < m {
        let s = dots::<1, N>(k, [a.offset(i as isize * lda)], cols);
        store(o, i, &s);
        i += 1;
    }
}

/// The R × N dot products of `k` elements.
///
/// # Safety: the CPU has AVX2 + FMA; `rows[r]` and `cols[j]` each point to `k` readable floats.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn dots<const R: usize, const N: usize>(k: usize, rows: [*const f32; R], cols: [*const f32; N]) -> [[f32; N]; R] {
    let mut acc = [[_mm256_setzero_ps(); N]; R];
    let mut p = 0;
    // SAFETY (the loads below): p + 8 ≤ k in the vector loop and q < k in the tail, and every
    // row and column pointer holds k readable floats (this function's contract).
    while p + 8 <= k {
        let mut av = [_mm256_setzero_ps(); R];
        for r in 0..R {
            av[r] = _mm256_loadu_ps(rows[r].add(p));
        }
        for j in 0..N {
            let bv = _mm256_loadu_ps(cols[j].add(p));
            for r in 0..R {
                acc[r][j] = _mm256_fmadd_ps(av[r], bv, acc[r][j]);
            }
        }
        p += 8;
    }
    let mut s = [[0f32; N]; R];
    for r in 0..R {
        for j in 0..N {
            // Lanes summed pairwise, then the k % 8 tail in order.
            let v = acc[r][j];
            let h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
            let h = _mm_add_ss(h, _mm_shuffle_ps::<0b01>(h, h));
            let mut t = _mm_cvtss_f32(h);
            for q in p..k {
                t = (*rows[r].add(q)).mul_add(*cols[j].add(q), t);
            }
            s[r][j] = t;
        }
    }
    s
}

/// Stores rows `i..i + R` of a pass.
///
/// # Safety: those rows and the pass's N columns of `o.d` are writable (and readable when
/// `o.read_dst`).
#[inline(always)]
unsafe fn store<const R: usize, const N: usize>(o: Out, i: usize, s: &[[f32; N]; R]) {
    for (r, row) in s.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            // SAFETY: row i + r and column j are inside the block the caller may write (contract).
            let at = o.d.offset((i + r) as isize * o.rsd + j as isize * o.csd);
            *at = if o.read_dst { o.beta * *at + o.alpha * v } else { o.alpha * v };
        }
    }
}
