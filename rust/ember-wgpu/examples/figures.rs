//! Throughput figures of the main kernels on the current adapter:
//! `cargo run --release -p ember-wgpu --example figures [matmul_n] [add_n] [sum_n]`
//! (defaults 1024, 16M, 4096: small enough for lavapipe; the real-GPU sizes are
//! 4096 67108864 8192).
use ember_core::DType;
use ember_layout::Layout;
use ember_wgpu::*;
use std::time::Instant;

fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    synchronize().unwrap();
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    synchronize().unwrap();
    t.elapsed().as_secs_f64() / reps as f64
}

fn main() {
    if !is_available() {
        eprintln!("{:?}", context().err());
        std::process::exit(1);
    }
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (mn, an, sn) =
        (args.first().copied().unwrap_or(1024), args.get(1).copied().unwrap_or(16 << 20), args.get(2).copied().unwrap_or(4096));
    let fast = !device_name().unwrap().contains("llvmpipe");
    let reps = if fast { 20 } else { 2 };
    println!("device: {}", device_name().unwrap());

    let l = Layout::contiguous(&[1, mn, mn]);
    let a = GpuBuffer::new(mn * mn * 4).unwrap();
    let o = GpuBuffer::new(mn * mn * 4).unwrap();
    let (va, vo) = (GView::new(&a, &l, DType::F32), GView::new(&o, &l, DType::F32));
    fill(&va, 0.5).unwrap();
    let s = time(reps, || matmul(&va, &va, &vo, 1.0, 0.0, None).unwrap());
    println!("matmul {mn}^2 f32: {:.1} GFLOP/s ({:?})", 2.0 * (mn as f64).powi(3) / s / 1e9, trace::take());

    let l = Layout::contiguous(&[an]);
    let (x, y, z) = (GpuBuffer::new(an * 4).unwrap(), GpuBuffer::new(an * 4).unwrap(), GpuBuffer::new(an * 4).unwrap());
    let (vx, vy, vz) = (GView::new(&x, &l, DType::F32), GView::new(&y, &l, DType::F32), GView::new(&z, &l, DType::F32));
    fill(&vx, 1.0).unwrap();
    fill(&vy, 2.0).unwrap();
    let s = time(reps, || binary(BinaryOp::Add, Operand::View(vx), Operand::View(vy), 1.0, &vz).unwrap());
    println!("add {an} f32: {:.1} GB/s", 12.0 * an as f64 / s / 1e9);

    let l = Layout::contiguous(&[sn, sn]);
    let ol = Layout::contiguous(&[sn]);
    let (m, r) = (GpuBuffer::new(sn * sn * 4).unwrap(), GpuBuffer::new(sn * 4).unwrap());
    let (vm, vr) = (GView::new(&m, &l, DType::F32), GView::new(&r, &ol, DType::F32));
    fill(&vm, 1.0).unwrap();
    for dim in [1, 0] {
        let s = time(reps, || reduce(ReduceOp::Sum, &vm, &[dim], &vr).unwrap());
        println!("sum(dim={dim}) of {sn}^2 f32: {:.1} GB/s", 4.0 * (sn * sn) as f64 / s / 1e9);
    }
}
