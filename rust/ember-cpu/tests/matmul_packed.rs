//! `matmul_packed::product` against a float64 reference, called directly so that it is checked
//! on every AVX2 CPU (through `ember.matmul` it only runs where AVX-512 is absent): every operand
//! layout its packers distinguish (contiguous along rows, along the sum, neither), edges of the
//! 16 x 6 micro-tile, several depth / row / column blocks, alpha, beta and an unread output.
#![cfg(target_arch = "x86_64")]
use ember_cpu::matmul_packed::{applies, product, Mat};

/// A matrix stored with `rows x cols` elements at `i·rs + j·cs` (plus filler between).
struct Strided {
    buf: Vec<f32>,
    rs: isize,
    cs: isize,
}

/// Layouts: 0 row-major, 1 column-major, 2 row-major with every other column (a stepped slice).
fn make(rows: usize, cols: usize, layout: u8, seed: &mut u64) -> Strided {
    let (rs, cs, len) = match layout {
        0 => (cols as isize, 1, rows * cols),
        1 => (1, rows as isize, rows * cols),
        _ => (2 * cols as isize, 2, rows * cols * 2),
    };
    let buf = (0..len.max(1))
        .map(|_| {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    Strided { buf, rs, cs }
}

fn at(s: &Strided, i: usize, j: usize) -> f32 {
    s.buf[(i as isize * s.rs + j as isize * s.cs) as usize]
}

#[allow(clippy::too_many_arguments)]
fn check(m: usize, n: usize, k: usize, la: u8, lb: u8, ldst: u8, alpha: f32, beta: f32, read_dst: bool) {
    let mut seed = (m * 31 + n * 7 + k) as u64 ^ ((la as u64) << 40 | (lb as u64) << 48 | (ldst as u64) << 56);
    let a = make(m, k, la, &mut seed);
    let b = make(k, n, lb, &mut seed);
    let mut d = make(m, n, ldst, &mut seed);
    if !read_dst {
        d.buf.iter_mut().for_each(|v| *v = f32::NAN);
    }
    let before = d.buf.clone();
    let (drs, dcs) = (d.rs, d.cs);
    // SAFETY: AVX2 + FMA were detected by the caller; every (i, p), (p, j), (i, j) named by the
    // shapes lies inside a, b, d's buffers (`make` sized them for their layout); d is a separate,
    // writable allocation whose elements are distinct.
    unsafe {
        product(
            (m, n, k),
            Mat { ptr: a.buf.as_ptr(), rs: a.rs, cs: a.cs },
            Mat { ptr: b.buf.as_ptr(), rs: b.rs, cs: b.cs },
            Mat { ptr: d.buf.as_mut_ptr(), rs: drs, cs: dcs },
            alpha,
            beta,
            read_dst,
        );
    }
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k).map(|p| at(&a, i, p) as f64 * at(&b, p, j) as f64).sum();
            let old = before[(i as isize * drs + j as isize * dcs) as usize] as f64;
            let want = alpha as f64 * dot + if read_dst { beta as f64 * old } else { 0.0 };
            let got = at(&d, i, j) as f64;
            let tol = 1e-5 * (k as f64).sqrt() * (1.0 + want.abs());
            assert!(
                (got - want).abs() <= tol,
                "{m}x{k}x{n} layouts a{la} b{lb} d{ldst} alpha {alpha} beta {beta} read {read_dst}: [{i},{j}] {got} vs {want}"
            );
        }
    }
    // Filler between a stepped output's elements is untouched.
    if ldst == 2 {
        for i in 0..m {
            for j in 0..n {
                let off = (i as isize * drs + j as isize * dcs) as usize + 1;
                assert!(d.buf[off].to_bits() == before[off].to_bits(), "{m}x{k}x{n}: filler after [{i},{j}] written");
            }
        }
    }
}

fn avx2() -> bool {
    let ok = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
    if !ok {
        eprintln!("no AVX2 + FMA on this CPU: matmul_packed is never called here, nothing to check");
    }
    ok
}

#[test]
fn every_layout_and_tile_edge_matches_float64() {
    if !avx2() {
        return;
    }
    for (m, n, k) in [(8, 8, 8), (16, 6, 8), (17, 7, 9), (33, 13, 31), (9, 40, 100), (48, 12, 64), (130, 19, 20)] {
        for la in 0..3 {
            for lb in 0..3 {
                for ld in 0..3 {
                    check(m, n, k, la, lb, ld, 1.0, 0.0, false);
                }
            }
        }
    }
}

#[test]
fn alpha_beta_and_unread_output() {
    if !avx2() {
        return;
    }
    for (alpha, beta, read) in [(1.0, 1.0, true), (-2.0, 0.5, true), (0.5, 0.0, false), (1.0, 3.0, true)] {
        for (la, lb) in [(0, 0), (0, 1), (1, 0), (2, 1)] {
            check(37, 29, 45, la, lb, 0, alpha, beta, read);
            check(37, 29, 45, la, lb, 1, alpha, beta, read);
        }
    }
}

#[test]
fn several_depth_row_and_column_blocks() {
    if !avx2() {
        return;
    }
    // k > 512: two depth blocks (the second accumulates); 300 rows: several 128-row blocks; a
    // right operand packed (rows not contiguous along the sum, m > 32) or read in place.
    check(300, 20, 1100, 0, 1, 0, 1.5, 0.25, true);
    check(300, 20, 1100, 1, 0, 1, 1.0, 0.0, false);
    // More than 3072 columns in the packed orientation: two column blocks.
    check(40, 3100, 9, 0, 0, 1, 1.0, 0.0, false);
    check(3100, 40, 9, 0, 1, 0, 1.0, 0.0, false);
}

#[test]
fn right_operand_packed_when_its_columns_alias_in_l1() {
    if !avx2() {
        return;
    }
    // Row-major 300 x 1024 @ 1024 x 256 (read as its transpose): the right operand's columns are
    // 1024 floats apart, contiguous along the sum, with 256 rows to reuse it: packed.
    assert!(applies(300, 256, 1024, [1024, 1, 256, 1, 256, 1]));
    check(256, 260, 1024, 0, 0, 0, 1.0, 0.0, false);
    check(20, 300, 1024, 0, 1, 0, 1.0, 0.0, false);
}

#[test]
fn applies_where_gemm_packs_slowly_only() {
    // x @ w.T with both row-major: the weight is contiguous along the sum.
    assert!(applies(256, 1024, 784, [784, 1, 1, 784, 1024, 1]));
    // Plain row-major x @ w with ordinary strides stays on gemm.
    assert!(!applies(256, 1024, 784, [784, 1, 1024, 1, 1024, 1]));
    // A weight gradient gᵀ @ x (100x1024 @ 1024x784, g and x row-major): x, 784 wide, is packed
    // here; with x under 256 wide it stays on gemm.
    assert!(applies(100, 784, 1024, [1, 100, 784, 1, 784, 1]));
    assert!(!applies(100, 200, 1024, [1, 100, 200, 1, 200, 1]));
    // Too small, or a negative stride.
    assert!(!applies(4, 1024, 784, [784, 1, 1, 784, 1024, 1]));
    assert!(!applies(256, 1024, 784, [784, 1, 1, -784, 1024, 1]));
}
