//! The GEMM choice, measured: ember's `bmm_into` (the `gemm` crate) against `matrixmultiply`
//! on square f32 products, one thread, plus a transposed operand passed as strides.
//! `cargo bench -p ember-cpu --bench matmul`; NumPy's side is `benches/compare.py --filter matmul`.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ember_cpu::{matmul::bmm_into, threads::set_num_threads, DType, Layout, Scalar, Storage};
use std::time::Duration;

fn filled(n: usize) -> Storage {
    let v: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect();
    // SAFETY: views the n f32s of the live Vec `v` as its 4·n bytes (u8 has no alignment or validity
    // requirement).
    Storage::from_bytes(unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, n * 4) }).unwrap()
}

fn bench(c: &mut Criterion) {
    set_num_threads(1);
    let mut g = c.benchmark_group("sgemm 1 thread");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for n in [64usize, 256, 512, 1024] {
        g.throughput(Throughput::Elements((2 * n * n * n) as u64)); // flops
        let (a, b, d) = (filled(n * n), filled(n * n), filled(n * n));
        let l = Layout::contiguous(&[1, n, n]);
        let lt = l.transpose(1, 2).unwrap();
        let one = Scalar::Int(1);
        let zero = Scalar::Int(0);
        g.bench_with_input(BenchmarkId::new("gemm crate", n), &n, |bch, _| {
            bch.iter(|| bmm_into(DType::F32, &d, &l, &a, &l, &b, &l, one, zero).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("gemm crate, b transposed", n), &n, |bch, _| {
            bch.iter(|| bmm_into(DType::F32, &d, &l, &a, &l, &b, &lt, one, zero).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("matrixmultiply", n), &n, |bch, _| {
            // SAFETY: sgemm reads n×n matrices from `a`/`b` and writes one into `d`, each a storage of n·n
            // f32s with the row/column strides given.
            bch.iter(|| unsafe {
                let s = n as isize;
                matrixmultiply::sgemm(
                    n,
                    n,
                    n,
                    1.0,
                    a.ptr() as *const f32,
                    s,
                    1,
                    b.ptr() as *const f32,
                    s,
                    1,
                    0.0,
                    d.ptr() as *mut f32,
                    s,
                    1,
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
