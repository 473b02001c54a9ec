//! The split paths for operands larger than one storage binding, exercised with a lowered
//! binding limit (this file is its own process, so the lowered limit affects only it).
mod common;
use common::*;
use ember_core::DType;
use ember_layout::Layout;
use ember_wgpu::*;

#[test]
fn kernels_split_large_operands() {
    if !gpu() {
        return;
    }
    set_max_binding_bytes(Some(16 * 1024));
    let mut r = Rng::new(40);
    // elementwise on a transposed (300, 70) view: 84 KB per operand, several chunks
    let sizes = [70usize, 300];
    let la = permuted(&[300, 70], &[1, 0]);
    let (ha, ba) = rand_f32(&mut r, &la, -1.0, 1.0);
    let lb = expanded(&Layout::contiguous(&[1, 300]), &sizes);
    let (hb, bb) = rand_f32(&mut r, &lb, -1.0, 1.0);
    let cl = Layout::contiguous(&sizes);
    let n = cl.numel();
    let out = GpuBuffer::new(n * 4).unwrap();
    binary(
        BinaryOp::Mul,
        Operand::View(GView::new(&ba, &la, DType::F32)),
        Operand::View(GView::new(&bb, &lb, DType::F32)),
        1.0,
        &GView::new(&out, &cl, DType::F32),
    )
    .unwrap();
    let (ga, gb) = (logical(&ha, &la), logical(&hb, &lb));
    let want: Vec<f32> = (0..n).map(|i| ga[i] * gb[i]).collect();
    assert_eq!(down_f32(&out, n), want);
    // full reduction whose single output's inputs exceed a binding: halves, then combined
    for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max] {
        let o = GpuBuffer::new(4).unwrap();
        reduce(op, &GView::new(&ba, &la, DType::F32), &[0, 1], &GView::new(&o, &Layout::contiguous(&[]), DType::F32)).unwrap();
        let got = down_f32(&o, 1)[0];
        let want = match op {
            ReduceOp::Sum => ga.iter().map(|&x| x as f64).sum::<f64>(),
            ReduceOp::Mean => ga.iter().map(|&x| x as f64).sum::<f64>() / n as f64,
            _ => ga.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64,
        };
        assert!((got as f64 - want).abs() < 1e-4 * want.abs().max(1.0), "{}: {got} vs {want}", op.name());
    }
    // reductions along a dim: chunked over the kept dim
    #[allow(clippy::needless_range_loop)]
    for dim in 0..2 {
        let osz = if dim == 0 { 300 } else { 70 };
        let o = GpuBuffer::new(osz * 4).unwrap();
        reduce(ReduceOp::Sum, &GView::new(&ba, &la, DType::F32), &[dim], &GView::new(&o, &Layout::contiguous(&[osz]), DType::F32)).unwrap();
        let want: Vec<f32> = (0..osz)
            .map(|k| (0..sizes[dim]).map(|j| if dim == 0 { ga[j * 300 + k] } else { ga[k * 300 + j] } as f64).sum::<f64>() as f32)
            .collect();
        close(&down_f32(&o, osz), &want, 1e-5, 1e-5, &format!("sum dim {dim}"));
    }
    // softmax and argmax along dim 0, whose rows are dense in the transposed storage
    // (a single row wider than a binding cannot be split: that is an error)
    let sm = GpuBuffer::new(n * 4).unwrap();
    softmax(&GView::new(&ba, &la, DType::F32), 0, &GView::new(&sm, &la, DType::F32), false).unwrap();
    let y = down_f32(&sm, n);
    for j in 0..300 {
        let s: f32 = (0..70).map(|i| y[j * 70 + i]).sum();
        assert!((s - 1.0).abs() < 1e-5, "softmax column {j} sums to {s}");
    }
    assert!(softmax(&GView::new(&ba, &la, DType::F32), 1, &GView::new(&sm, &cl, DType::F32), false).is_err());
    let idx = GpuBuffer::new(300 * 8).unwrap();
    argreduce(&GView::new(&ba, &la, DType::F32), Some(0), true, &GView::new(&idx, &Layout::contiguous(&[300]), DType::I64), None).unwrap();
    let gi = down_i64(&idx, 300);
    for j in 0..300 {
        let best = (0..70).fold(0, |b, i| if ga[i * 300 + j] > ga[b * 300 + j] { i } else { b });
        assert_eq!(gi[j], best as i64);
    }
    // matmul: batches per dispatch limited by the binding
    let (bsz, m, k, nn) = (6usize, 40, 30, 20);
    let la3 = Layout::contiguous(&[bsz, m, k]);
    let lb3 = Layout::contiguous(&[bsz, k, nn]);
    let (h1, b1) = rand_f32(&mut r, &la3, -1.0, 1.0);
    let (h2, b2) = rand_f32(&mut r, &lb3, -1.0, 1.0);
    let lo = Layout::contiguous(&[bsz, m, nn]);
    let o = GpuBuffer::new(lo.numel() * 4).unwrap();
    matmul(&GView::new(&b1, &la3, DType::F32), &GView::new(&b2, &lb3, DType::F32), &GView::new(&o, &lo, DType::F32), 1.0, 0.0, None)
        .unwrap();
    let got = down_f32(&o, lo.numel());
    for z in 0..bsz {
        for i in 0..m {
            for j in 0..nn {
                let s: f32 = (0..k).map(|p| h1[(z * m + i) * k + p] * h2[(z * k + p) * nn + j]).sum();
                assert!((got[(z * m + i) * nn + j] - s).abs() < 1e-4);
            }
        }
    }
    // an operand that cannot be split is an error, not a crash
    let big = GpuBuffer::new(64 * 1024).unwrap();
    let bl = Layout::contiguous(&[1, 128, 128]);
    assert!(matmul(
        &GView::new(&big, &bl, DType::F32),
        &GView::new(&big, &bl, DType::F32),
        &GView::new(&o, &Layout::contiguous(&[1, 128, 128]), DType::F32),
        1.0,
        0.0,
        None
    )
    .is_err());
    set_max_binding_bytes(None);
}
