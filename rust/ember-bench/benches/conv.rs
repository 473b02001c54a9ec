//! conv2d and pooling kernels at the shapes of benches/train_step.py's CNN row
//! (batch 64: Conv2d(1,32,3) on 28², MaxPool2d(2), Conv2d(32,64,3) on 13², MaxPool2d(2)).
use criterion::{criterion_group, criterion_main, Criterion};
use ember_cpu::conv::{conv2d_backward, conv2d_forward, ConvGeom};
use ember_cpu::pool::{self, PoolGeom};

fn geom(n: usize, c_in: usize, hw: usize, c_out: usize) -> ConvGeom {
    let o = hw - 2;
    ConvGeom { n, c_in, h: hw, w: hw, c_out, kh: 3, kw: 3, stride: (1, 1), pad: (0, 0), dilation: (1, 1), groups: 1, oh: o, ow: o }
}

fn vals(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect()
}

fn bench_conv(c: &mut Criterion) {
    for (name, g) in [("conv 64x1x28² -> 32 3x3", geom(64, 1, 28, 32)), ("conv 64x32x13² -> 64 3x3", geom(64, 32, 13, 64))] {
        let x = vals(g.n * g.c_in * g.h * g.w);
        let w = vals(g.c_out * g.c_in * 9);
        let b = vals(g.c_out);
        let go = vals(g.n * g.c_out * g.oh * g.ow);
        c.bench_function(&format!("{name} forward"), |bn| bn.iter(|| conv2d_forward(&x, &w, Some(&b), &g)));
        c.bench_function(&format!("{name} backward dx,dw,db"), |bn| bn.iter(|| conv2d_backward(&x, &w, &go, &g, (true, true, true))));
    }
}

fn bench_pool(c: &mut Criterion) {
    for (name, planes, hw) in [("max_pool2d 2x2 64x32x26²", 64 * 32, 26), ("max_pool2d 2x2 64x64x11²", 64 * 64, 11)] {
        let o = hw / 2;
        let g = PoolGeom { planes, h: hw, w: hw, oh: o, ow: o, k: (2, 2), stride: (2, 2), pad: (0, 0), dilation: (1, 1) };
        let x = vals(planes * hw * hw);
        let (out, idx) = pool::max_pool2d(&x, &g);
        c.bench_function(&format!("{name} forward"), |bn| bn.iter(|| pool::max_pool2d(&x, &g)));
        c.bench_function(&format!("{name} backward"), |bn| bn.iter(|| pool::max_pool2d_backward(&out, &idx, &g)));
        let win = pool::fixed_windows(hw, o, 2, 2, 0, true);
        c.bench_function(&format!("avg_pool2d 2x2 {planes}x{hw}² forward"), |bn| {
            bn.iter(|| pool::avg_pool2d(&x, planes, hw, hw, &win, &win, None))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_conv, bench_pool
}
criterion_main!(benches);
