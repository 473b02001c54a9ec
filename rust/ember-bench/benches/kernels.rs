use criterion::{criterion_group, criterion_main, Criterion};
use ember_cpu::{copy, elementwise, reduce, DType, Layout, Storage};

fn bench_copy(c: &mut Criterion) {
    let n = 4096;
    let src = Storage::zeros(n * n * 4).unwrap();
    let l = Layout::contiguous(&[n, n]);
    let t = l.transpose(0, 1).unwrap();
    c.bench_function("copy contiguous 4096^2 f32", |b| b.iter(|| copy::contiguous(&src, &l, DType::F32, DType::F32).unwrap()));
    c.bench_function("transpose->contiguous 4096^2 f32", |b| b.iter(|| copy::contiguous(&src, &t, DType::F32, DType::F32).unwrap()));
    c.bench_function("cast f32->f64 4096^2", |b| b.iter(|| copy::contiguous(&src, &l, DType::F32, DType::F64).unwrap()));
    let m = 1 << 24;
    let a = Storage::zeros(m * 4).unwrap();
    let la = Layout::contiguous(&[m]);
    c.bench_function("add 16M f32", |b| b.iter(|| elementwise::binary::<f32, f32, f32>(&a, &la, &a, &la, &[m], |x, y| x + y).unwrap()));
}

/// Operands whose memory order is not the output's: the iteration order comes from the strides.
fn bench_strided_order(c: &mut Criterion) {
    let n = 4096;
    let x = Storage::zeros(n * n * 4).unwrap();
    let y = Storage::zeros(n * n * 4).unwrap();
    let l = Layout::contiguous(&[n, n]);
    let t = l.transpose(0, 1).unwrap();
    let add = |la: &Layout, lb: &Layout| elementwise::binary::<f32, f32, f32>(&x, la, &y, lb, &[n, n], |p, q| p + q).unwrap();
    c.bench_function("x.t() + y.t() 4096^2 f32", |b| b.iter(|| add(&t, &t)));
    c.bench_function("x.t() + y 4096^2 f32", |b| b.iter(|| add(&t, &l)));
    for (name, dims) in [("x.t().sum(0) 4096^2 f32", [true, false]), ("x.t().sum(1) 4096^2 f32", [false, true])] {
        c.bench_function(name, |b| b.iter(|| reduce::sum(&x, &t, DType::F32, &dims, DType::F32).unwrap()));
    }
    c.bench_function("x.sum(1) 4096^2 f32", |b| b.iter(|| reduce::sum(&x, &l, DType::F32, &[false, true], DType::F32).unwrap()));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_copy, bench_strided_order
}
criterion_main!(benches);
