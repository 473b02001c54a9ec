//! The bf16 product kernels (AMX `tdpbf16ps`, AVX-512 `vdpbf16ps`) against an f32-accumulated
//! reference of the widened inputs, on ragged shapes and every operand layout. Each kernel the
//! CPU lacks is reported on stderr and left out (the widened f32 path covers those CPUs).
#![cfg(target_arch = "x86_64")]
use ember_cpu::matmul_bf16::{bmm_with, Kernel};
use ember_cpu::{Element, Layout, Storage};
use half::bf16;

fn store<T: Element>(v: &[T]) -> Storage {
    // SAFETY: the bytes of a live slice of plain-data elements, read for its exact length.
    Storage::from_bytes(unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }).unwrap()
}
fn read<T: Element>(s: &Storage, n: usize) -> Vec<T> {
    // SAFETY: callers pass storages they made holding at least n elements of T.
    unsafe { std::slice::from_raw_parts(s.ptr() as *const T, n) }.to_vec()
}

/// The kernels this CPU runs, saying on stderr which it does not (so a run on a CPU without
/// AMX shows that the AMX cases fell back to nothing rather than passing silently).
fn kernels() -> Vec<Kernel> {
    [Kernel::Amx, Kernel::Dpbf16]
        .into_iter()
        .filter(|k| {
            let ok = k.runs_here();
            if !ok {
                eprintln!("bf16 kernel {k:?} does not run on this CPU: its cases are not exercised");
            }
            ok
        })
        .collect()
}

/// Pseudo-random values in [-2, 2) with full bf16 mantissas (a fixed LCG: reproducible).
fn values(n: usize, seed: u64) -> Vec<bf16> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            bf16::from_f32(((s >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0)
        })
        .collect()
}

/// One product on `kernel` against the f64 sum of the widened products: the result may differ
/// by its bf16 rounding (half an ulp, 2^-9 relative) plus the f32 summation error
/// (k · 2^-24 · Σ|a·b|).
#[allow(clippy::too_many_arguments)]
fn check(kernel: Kernel, bn: usize, m: usize, k: usize, n: usize, ta: bool, tb: bool, with_beta: bool) {
    let a = values(bn * m * k, 1 + (m * k) as u64);
    let b = values(bn * k * n, 2 + (k * n) as u64);
    let d0 = values(bn * m * n, 3);
    let av = |bi: usize, i: usize, p: usize| a[bi * m * k + i * k + p].to_f64();
    let bv = |bi: usize, p: usize, j: usize| b[bi * k * n + p * n + j].to_f64();
    // stored transposed: [bn, k, m] read as [bn, m, k] through the strides
    let (a_st, la) = if ta {
        let st: Vec<bf16> = (0..bn * k * m).map(|x| bf16::from_f64(av(x / (k * m), x % m, x % (k * m) / m))).collect();
        (st, Layout::new(vec![bn, m, k], vec![(k * m) as isize, 1, m as isize], 0))
    } else {
        (a.clone(), Layout::contiguous(&[bn, m, k]))
    };
    let (b_st, lb) = if tb {
        let st: Vec<bf16> = (0..bn * n * k).map(|x| bf16::from_f64(bv(x / (k * n), x % k, x % (k * n) / k))).collect();
        (st, Layout::new(vec![bn, k, n], vec![(k * n) as isize, 1, k as isize], 0))
    } else {
        (b.clone(), Layout::contiguous(&[bn, k, n]))
    };
    let (alpha, beta) = if with_beta { (2.0, 0.5) } else { (1.0, 0.0) };
    let d_st: Vec<bf16> = if with_beta { d0.clone() } else { vec![bf16::NAN; bn * m * n] };
    let (sa, sb, sd) = (store(&a_st), store(&b_st), store(&d_st));
    bmm_with(kernel, &sd, &Layout::contiguous(&[bn, m, n]), &sa, &la, &sb, &lb, alpha, beta).unwrap();
    let got = read::<bf16>(&sd, bn * m * n);
    for bi in 0..bn {
        for i in 0..m {
            for j in 0..n {
                let dot: f64 = (0..k).map(|p| av(bi, i, p) * bv(bi, p, j)).sum();
                let mag: f64 = (0..k).map(|p| (av(bi, i, p) * bv(bi, p, j)).abs()).sum();
                let o = bi * m * n + i * n + j;
                let want = alpha as f64 * dot + if with_beta { beta as f64 * d0[o].to_f64() } else { 0.0 };
                let tol = want.abs() * 2f64.powi(-8) + alpha as f64 * mag * k as f64 * 2f64.powi(-23) + 1e-30;
                let g = got[o].to_f64();
                assert!(
                    (g - want).abs() <= tol,
                    "{kernel:?} case {:?} at {:?}: got {g}, want {want}",
                    (bn, m, k, n, ta, tb, with_beta),
                    (bi, i, j)
                );
            }
        }
    }
}

#[test]
fn kernels_match_widened_reference_on_ragged_shapes() {
    // (batch, m, k, n): 1x1, k = 1, odd k, k not a multiple of 32, m and n not multiples of
    // 16 or 32, exact tiles, a batch, and a product big enough (>= 2^21 multiply-adds) to be
    // split over threads; small after large so stale packing buffers would show
    let shapes = [
        (1, 1, 1, 1),
        (1, 1, 5, 1),
        (1, 3, 1, 7),
        (1, 16, 32, 16),
        (1, 32, 64, 32),
        (1, 5, 7, 3),
        (2, 9, 67, 33),
        (3, 17, 261, 70),
        (1, 40, 300, 130),
        (1, 70, 301, 130),
        (2, 33, 33, 47),
        (1, 1, 1, 1),
        (1, 5, 7, 3),
    ];
    for kernel in kernels() {
        for &(bn, m, k, n) in &shapes {
            for &(ta, tb, with_beta) in &[(false, false, false), (true, true, true), (false, true, false), (true, false, true)] {
                check(kernel, bn, m, k, n, ta, tb, with_beta);
            }
        }
    }
}

/// k = 0: the product is zero, so the result is beta · dst.
#[test]
fn empty_k_gives_beta_dst() {
    for kernel in kernels() {
        let d = store(&[bf16::from_f32(1.0), bf16::from_f32(-3.0)]);
        let e = store::<bf16>(&[]);
        let ld = Layout::contiguous(&[1, 1, 2]);
        bmm_with(kernel, &d, &ld, &e, &Layout::contiguous(&[1, 1, 0]), &e, &Layout::contiguous(&[1, 0, 2]), 1.0, 2.0).unwrap();
        assert_eq!(read::<bf16>(&d, 2), vec![bf16::from_f32(2.0), bf16::from_f32(-6.0)], "{kernel:?}");
    }
}

/// Both kernels on one product: only the f32 summation order differs, so on exactly
/// representable sums (small multiples of 1/4) they agree bit for bit.
#[test]
fn amx_equals_dpbf16_on_exact_sums() {
    let ks = kernels();
    if ks.len() < 2 {
        eprintln!("fewer than two bf16 kernels run here: nothing to compare");
        return;
    }
    let (m, k, n) = (45, 777, 100);
    let a: Vec<bf16> = (0..m * k).map(|i| bf16::from_f32(((i * 7) % 9) as f32 * 0.25 - 1.0)).collect();
    let b: Vec<bf16> = (0..k * n).map(|i| bf16::from_f32(((i * 5) % 11) as f32 * 0.25 - 1.25)).collect();
    let (sa, sb) = (store(&a), store(&b));
    let (la, lb, ld) = (Layout::contiguous(&[1, m, k]), Layout::contiguous(&[1, k, n]), Layout::contiguous(&[1, m, n]));
    let out: Vec<Vec<bf16>> = ks
        .iter()
        .map(|&kernel| {
            let d = store(&vec![bf16::ZERO; m * n]);
            bmm_with(kernel, &d, &ld, &sa, &la, &sb, &lb, 1.0, 0.0).unwrap();
            read::<bf16>(&d, m * n)
        })
        .collect();
    assert_eq!(out[0], out[1]);
}
