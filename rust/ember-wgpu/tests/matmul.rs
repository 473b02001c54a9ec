//! Batched matmul against a CPU reference: edge tiles, transposed operands, broadcast
//! batches, alpha/beta with a bias, K = 0.
mod common;
use common::*;
use ember_core::DType;
use ember_layout::Layout;
use ember_wgpu::*;

#[allow(clippy::too_many_arguments)]
fn mm_ref(a: &[f32], la: &Layout, b: &[f32], lb: &Layout, bsz: usize, m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0f64; bsz * m * n];
    for z in 0..bsz {
        for i in 0..m {
            for j in 0..n {
                let mut s = 0f64;
                for p in 0..k {
                    s += a[la.offset_of(&[z, i, p])] as f64 * b[lb.offset_of(&[z, p, j])] as f64;
                }
                out[(z * m + i) * n + j] = s;
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn check(r: &mut Rng, bsz: usize, m: usize, k: usize, n: usize, ta: bool, tb: bool, bcast_b: bool, beta: f32) {
    let la = if ta { permuted(&[bsz, k, m], &[0, 2, 1]) } else { Layout::contiguous(&[bsz, m, k]) };
    let lb = if bcast_b {
        expanded(&Layout::contiguous(&[1, k, n]), &[bsz, k, n])
    } else if tb {
        permuted(&[bsz, n, k], &[0, 2, 1])
    } else {
        Layout::contiguous(&[bsz, k, n])
    };
    let (ha, ba) = rand_f32(r, &la, -1.0, 1.0);
    let (hb, bb) = rand_f32(r, &lb, -1.0, 1.0);
    let lo = Layout::contiguous(&[bsz, m, n]);
    let bias = r.vf(n, -1.0, 1.0);
    let bbias = up_f32(&bias);
    let lbias = Layout::new(vec![bsz, m, n], vec![0, 0, 1], 0);
    let out = GpuBuffer::new((bsz * m * n).max(1) * 4).unwrap();
    let alpha = 0.5f32;
    let cin = GView::new(&bbias, &lbias, DType::F32);
    matmul(
        &GView::new(&ba, &la, DType::F32),
        &GView::new(&bb, &lb, DType::F32),
        &GView::new(&out, &lo, DType::F32),
        alpha,
        beta,
        Some(&cin),
    )
    .unwrap();
    let got = down_f32(&out, bsz * m * n);
    let want: Vec<f32> = mm_ref(&ha, &la, &hb, &lb, bsz, m, k, n)
        .iter()
        .enumerate()
        .map(|(i, &s)| (alpha as f64 * s + beta as f64 * bias[i % n] as f64) as f32)
        .collect();
    close(&got, &want, 1e-4, 1e-5 * (k as f32).sqrt(), &format!("matmul b{bsz} {m}x{k}x{n} ta={ta} tb={tb} bcast={bcast_b} beta={beta}"));
}

#[test]
fn matmul_shapes_and_layouts() {
    if !gpu() {
        return;
    }
    let mut r = Rng::new(20);
    for &(bsz, m, k, n) in
        &[(1, 1, 1, 1), (1, 7, 5, 3), (2, 65, 33, 70), (1, 64, 64, 64), (3, 17, 129, 9), (1, 1, 300, 1), (2, 130, 20, 257)]
    {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            check(&mut r, bsz, m, k, n, ta, tb, false, 0.0);
        }
        check(&mut r, bsz, m, k, n, false, false, true, 1.0);
    }
}

#[test]
fn matmul_large_tiles_and_k_zero() {
    if !gpu() {
        return;
    }
    let mut r = Rng::new(21);
    // enough 128-tiles to pick the large kernel, with ragged edges
    check(&mut r, 2, 1100, 40, 1161, false, false, false, 0.5);
    check(&mut r, 1, 1290, 17, 1037, true, true, false, 0.0);
    // K = 0: beta * c_in, or zeros
    check(&mut r, 2, 5, 0, 7, false, false, false, 1.0);
    check(&mut r, 1, 3, 0, 4, false, false, false, 0.0);
}

#[test]
fn matmul_figure_1024() {
    if !gpu() {
        return;
    }
    let n = 1024;
    let l = Layout::contiguous(&[1, n, n]);
    let a = up_f32(&vec![0.5; n * n]);
    let out = GpuBuffer::new(n * n * 4).unwrap();
    let v = GView::new(&a, &l, DType::F32);
    let o = GView::new(&out, &l, DType::F32);
    matmul(&v, &v, &o, 1.0, 0.0, None).unwrap();
    synchronize().unwrap();
    let t = std::time::Instant::now();
    let reps = 3;
    for _ in 0..reps {
        matmul(&v, &v, &o, 1.0, 0.0, None).unwrap();
    }
    synchronize().unwrap();
    let s = t.elapsed().as_secs_f64() / reps as f64;
    eprintln!("FIGURE matmul 1024^2 f32 on {}: {:.1} GFLOP/s", device_name().unwrap(), 2.0 * (n * n * n) as f64 / s / 1e9);
    assert_eq!(down_f32(&out, 4), vec![256.0; 4]);
}
