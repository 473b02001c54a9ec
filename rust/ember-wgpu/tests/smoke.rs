mod common;
use common::*;
use ember_core::DType;
use ember_layout::Layout;
use ember_wgpu::*;

#[test]
fn smoke_add() {
    if !gpu() {
        return;
    }
    let mut r = Rng::new(1);
    let a = r.vf(1000, -1.0, 1.0);
    let b = r.vf(1000, -1.0, 1.0);
    let (ba, bb) = (up_f32(&a), up_f32(&b));
    let out = GpuBuffer::new(4000).unwrap();
    let l = Layout::contiguous(&[1000]);
    binary(
        BinaryOp::Add,
        Operand::View(GView::new(&ba, &l, DType::F32)),
        Operand::View(GView::new(&bb, &l, DType::F32)),
        2.0,
        &GView::new(&out, &l, DType::F32),
    )
    .unwrap();
    let got = down_f32(&out, 1000);
    let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + 2.0 * y).collect();
    close(&got, &want, 1e-6, 0.0, "add");
    println!("{:?}", trace::take());
}
