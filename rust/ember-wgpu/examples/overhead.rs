//! Host cost of one small dispatch (recording + batching), the figure that decides
//! launch-bound workloads such as the lecture model's training step.
use ember_core::DType;
use ember_layout::Layout;
use ember_wgpu::*;
use std::time::Instant;

fn main() {
    if !is_available() {
        eprintln!("{:?}", context().err());
        std::process::exit(1);
    }
    let l = Layout::contiguous(&[1024]);
    let a = GpuBuffer::zeros(4096).unwrap();
    let v = GView::new(&a, &l, DType::F32);
    for _ in 0..100 {
        binary(BinaryOp::Add, Operand::View(v), Operand::Scalar(1.0), 1.0, &v).unwrap();
    }
    synchronize().unwrap();
    let n = 5000;
    let t = Instant::now();
    for _ in 0..n {
        binary(BinaryOp::Add, Operand::View(v), Operand::Scalar(1.0), 1.0, &v).unwrap();
    }
    let record = t.elapsed().as_secs_f64();
    synchronize().unwrap();
    let total = t.elapsed().as_secs_f64();
    println!(
        "{}: {:.1} us/dispatch recorded, {:.1} us/dispatch incl. execution",
        device_name().unwrap(),
        record / n as f64 * 1e6,
        total / n as f64 * 1e6
    );
    assert_eq!(a.download(0, 4).unwrap(), ((n + 100) as f32).to_le_bytes());
}
