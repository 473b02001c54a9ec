//! gather / index_select / scatter_add / index_add, im2col + matmul conv2d, col2im,
//! max_pool2d forward/backward and the fused SGD / Adam steps, against CPU references.
mod common;
use common::*;
use ember_core::DType;
use ember_layout::Layout;
use ember_wgpu::*;

/// The out-of-range flag is process-wide and raised by whichever read comes next, so the tests
/// of this binary (one of which sets it on purpose) run one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn gather_and_index_select() {
    let _serial = serial();
    if !gpu() {
        return;
    }
    let mut r = Rng::new(30);
    let sl = permuted(&[6, 5], &[1, 0]); // src (5, 6), transposed
    let (hs, bs) = rand_f32(&mut r, &sl, -1.0, 1.0);
    let gs = logical(&hs, &sl);
    for dim in 0..2 {
        let isz = [4usize, 3];
        let bound = if dim == 0 { 5 } else { 6 };
        let idx = r.vi(12, 0, bound);
        let bi = up_i64(&idx);
        let il = Layout::contiguous(&isz);
        let out = GpuBuffer::new(48).unwrap();
        ember_wgpu::gather(&GView::new(&bs, &sl, DType::F32), dim, &GView::new(&bi, &il, DType::I64), &GView::new(&out, &il, DType::F32))
            .unwrap();
        let want: Vec<f32> = (0..12)
            .map(|k| {
                let (i, j) = (k / 3, k % 3);
                let (si, sj) = if dim == 0 { (idx[k] as usize, j) } else { (i, idx[k] as usize) };
                gs[si * 6 + sj]
            })
            .collect();
        assert_eq!(down_f32(&out, 12), want, "gather dim {dim}");
    }
    // index_select along dim 1 with a repeated index; out of range reads give 0
    let idx = [5i64, 0, 5, 2];
    let bi = up_i64(&idx);
    let il = Layout::contiguous(&[4]);
    let ol = Layout::contiguous(&[5, 4]);
    let out = GpuBuffer::new(80).unwrap();
    index_select(&GView::new(&bs, &sl, DType::F32), 1, &GView::new(&bi, &il, DType::I64), &GView::new(&out, &ol, DType::F32)).unwrap();
    let want: Vec<f32> = (0..20).map(|k| gs[(k / 4) * 6 + idx[k % 4] as usize]).collect();
    assert_eq!(down_f32(&out, 20), want);
    // gathering int64 values (index tensors) works too
    let vals = up_i64(&[10, -20, 1 << 40]);
    let vl = Layout::contiguous(&[3]);
    let pick = up_i64(&[2, 2, 1, 0]);
    let o64 = GpuBuffer::new(32).unwrap();
    index_select(&GView::new(&vals, &vl, DType::I64), 0, &GView::new(&pick, &il, DType::I64), &GView::new(&o64, &il, DType::I64)).unwrap();
    assert_eq!(down_i64(&o64, 4), vec![1 << 40, 1 << 40, -20, 10]);
}

#[test]
fn scatter_add_and_index_add_sum_duplicates() {
    let _serial = serial();
    if !gpu() {
        return;
    }
    let mut r = Rng::new(31);
    // nll_loss backward style: one-hot scatter of -1/N into zeros, many duplicates
    let (n, c) = (300usize, 7usize);
    let dst = GpuBuffer::zeros(c * 4).unwrap();
    let dl = Layout::contiguous(&[c]);
    let idx = r.vi(n, 0, c as i64);
    let bi = up_i64(&idx);
    let il = Layout::contiguous(&[n]);
    let src: Vec<f32> = r.vf(n, -1.0, 1.0);
    let bsrc = up_f32(&src);
    scatter_add(&GView::new(&dst, &dl, DType::F32), 0, &GView::new(&bi, &il, DType::I64), &GView::new(&bsrc, &il, DType::F32), 1.0)
        .unwrap();
    let mut want = vec![0f32; c];
    for k in 0..n {
        want[idx[k] as usize] += src[k];
    }
    close(&down_f32(&dst, c), &want, 1e-5, 1e-5, "scatter_add f32");
    // 2-d scatter along dim 1 into int32
    let d2 = GpuBuffer::zeros(3 * 4 * 4).unwrap();
    let l2 = Layout::contiguous(&[3, 4]);
    let i2 = [0i64, 0, 3, 1, 1, 1, 2, 0, 2];
    let bi2 = up_i64(&i2);
    let il2 = Layout::contiguous(&[3, 3]);
    let s2: Vec<i32> = (1..=9).collect();
    let bs2 = up_i32(&s2);
    scatter_add(&GView::new(&d2, &l2, DType::I32), 1, &GView::new(&bi2, &il2, DType::I64), &GView::new(&bs2, &il2, DType::I32), 1.0)
        .unwrap();
    assert_eq!(down_i32(&d2, 12), vec![3, 0, 0, 3, 0, 15, 0, 0, 8, 0, 16, 0]);
    // index_add_(0, index, src, alpha=2) on rows
    let d3 = GpuBuffer::zeros(2 * 3 * 4).unwrap();
    let l3 = Layout::contiguous(&[2, 3]);
    let i3 = up_i64(&[1, 0, 1]);
    let s3 = up_f32(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    index_add(
        &GView::new(&d3, &l3, DType::F32),
        0,
        &GView::new(&i3, &Layout::contiguous(&[3]), DType::I64),
        &GView::new(&s3, &Layout::contiguous(&[3, 3]), DType::F32),
        2.0,
    )
    .unwrap();
    assert_eq!(down_f32(&d3, 6), vec![8.0, 10.0, 12.0, 16.0, 20.0, 24.0]);
}

fn conv_ref(x: &[f32], xs: [usize; 4], wt: &[f32], co: usize, win: &Window) -> (Vec<f32>, [usize; 2]) {
    let [n, c, h, w] = xs;
    let (oh, ow) = (win.out_size(0, h, false), win.out_size(1, w, false));
    let [kh, kw] = win.kernel;
    let mut out = vec![0f32; n * co * oh * ow];
    for b in 0..n {
        for o in 0..co {
            for y in 0..oh {
                for z in 0..ow {
                    let mut s = 0f64;
                    for ci in 0..c {
                        for i in 0..kh {
                            for j in 0..kw {
                                let hh = (y * win.stride[0] + i * win.dilation[0]) as i64 - win.padding[0] as i64;
                                let ww = (z * win.stride[1] + j * win.dilation[1]) as i64 - win.padding[1] as i64;
                                if hh >= 0 && hh < h as i64 && ww >= 0 && ww < w as i64 {
                                    s += x[((b * c + ci) * h + hh as usize) * w + ww as usize] as f64
                                        * wt[((o * c + ci) * kh + i) * kw + j] as f64;
                                }
                            }
                        }
                    }
                    out[((b * co + o) * oh + y) * ow + z] = s as f32;
                }
            }
        }
    }
    (out, [oh, ow])
}

#[test]
fn conv2d_via_im2col_and_col2im_adjoint() {
    let _serial = serial();
    if !gpu() {
        return;
    }
    let mut r = Rng::new(32);
    for win in [
        Window { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] },
        Window { kernel: [2, 3], stride: [2, 1], padding: [0, 2], dilation: [2, 1] },
        Window { kernel: [5, 5], stride: [3, 2], padding: [2, 1], dilation: [1, 1] },
    ] {
        let xs = [2usize, 3, 9, 11];
        let co = 4;
        let x = r.vf(xs.iter().product(), -1.0, 1.0);
        let kk = xs[1] * win.kernel[0] * win.kernel[1];
        let wt = r.vf(co * kk, -1.0, 1.0);
        let (want, [oh, ow]) = conv_ref(&x, xs, &wt, co, &win);
        let bx = up_f32(&x);
        let xl = Layout::contiguous(&xs);
        let cl = Layout::contiguous(&[xs[0], kk, oh * ow]);
        let cols = GpuBuffer::new(cl.numel() * 4).unwrap();
        im2col(&GView::new(&bx, &xl, DType::F32), &win, &GView::new(&cols, &cl, DType::F32)).unwrap();
        // out[n] = W (co, kk) @ cols[n] (kk, L): W broadcast over the batch
        let bw = up_f32(&wt);
        let wl = Layout::new(vec![xs[0], co, kk], vec![0, kk as isize, 1], 0);
        let ol = Layout::contiguous(&[xs[0], co, oh * ow]);
        let out = GpuBuffer::new(ol.numel() * 4).unwrap();
        matmul(&GView::new(&bw, &wl, DType::F32), &GView::new(&cols, &cl, DType::F32), &GView::new(&out, &ol, DType::F32), 1.0, 0.0, None)
            .unwrap();
        close(&down_f32(&out, ol.numel()), &want, 1e-4, 1e-5, &format!("conv2d {win:?}"));
        // col2im is im2col's adjoint: <im2col(x), y> == <x, col2im(y)>
        let y = r.vf(cl.numel(), -1.0, 1.0);
        let by = up_f32(&y);
        let back = GpuBuffer::new(xl.numel() * 4).unwrap();
        col2im(&GView::new(&by, &cl, DType::F32), &win, &GView::new(&back, &xl, DType::F32)).unwrap();
        let cx = down_f32(&cols, cl.numel());
        let lhs: f64 = cx.iter().zip(&y).map(|(a, b)| *a as f64 * *b as f64).sum();
        let rhs: f64 = down_f32(&back, xl.numel()).iter().zip(&x).map(|(a, b)| *a as f64 * *b as f64).sum();
        assert!((lhs - rhs).abs() < 1e-3 * lhs.abs().max(1.0), "col2im adjoint {lhs} vs {rhs}");
    }
}

#[test]
fn max_pool2d_forward_backward() {
    let _serial = serial();
    if !gpu() {
        return;
    }
    let mut r = Rng::new(33);
    for (win, ceil) in [
        (Window { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] }, false),
        (Window { kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1] }, true),
        (Window { kernel: [3, 2], stride: [1, 2], padding: [1, 0], dilation: [2, 1] }, false),
    ] {
        let [n, c, h, w] = [2usize, 3, 9, 8];
        // small integer values: ties, so the first index must win
        let x: Vec<f32> = (0..n * c * h * w).map(|_| r.i(0, 4) as f32).collect();
        let bx = up_f32(&x);
        let xl = permuted(&[n, h, w, c], &[0, 3, 1, 2]); // channels-last storage
        let xs: Vec<f32> = logical(&x, &xl);
        let (oh, ow) = (win.out_size(0, h, ceil), win.out_size(1, w, ceil));
        let ol = Layout::contiguous(&[n, c, oh, ow]);
        let out = GpuBuffer::new(ol.numel() * 4).unwrap();
        let idx = GpuBuffer::new(ol.numel() * 8).unwrap();
        max_pool2d(&GView::new(&bx, &xl, DType::F32), &win, ceil, &GView::new(&out, &ol, DType::F32), &GView::new(&idx, &ol, DType::I64))
            .unwrap();
        let (gv, gi) = (down_f32(&out, ol.numel()), down_i64(&idx, ol.numel()));
        let mut grad_in = vec![0f32; n * c * h * w];
        let go = r.vf(ol.numel(), -1.0, 1.0);
        for p in 0..n * c {
            for y in 0..oh {
                for z in 0..ow {
                    let mut best = f32::NEG_INFINITY;
                    let mut bi = usize::MAX;
                    for i in 0..win.kernel[0] {
                        for j in 0..win.kernel[1] {
                            let hh = (y * win.stride[0] + i * win.dilation[0]) as i64 - win.padding[0] as i64;
                            let ww = (z * win.stride[1] + j * win.dilation[1]) as i64 - win.padding[1] as i64;
                            if hh < 0 || hh >= h as i64 || ww < 0 || ww >= w as i64 {
                                continue;
                            }
                            let v = xs[p * h * w + hh as usize * w + ww as usize];
                            if bi == usize::MAX || v > best {
                                best = v;
                                bi = hh as usize * w + ww as usize;
                            }
                        }
                    }
                    let o = (p * oh + y) * ow + z;
                    assert_eq!((gv[o], gi[o]), (best, bi as i64), "max_pool2d {win:?} ceil={ceil} at {o}");
                    grad_in[p * h * w + bi] += go[o];
                }
            }
        }
        let bgo = up_f32(&go);
        let gin = GpuBuffer::new(n * c * h * w * 4).unwrap();
        let il = Layout::contiguous(&[n, c, h, w]);
        max_pool2d_backward(
            &GView::new(&bgo, &ol, DType::F32),
            &GView::new(&idx, &ol, DType::I64),
            &win,
            ceil,
            &GView::new(&gin, &il, DType::F32),
        )
        .unwrap();
        close(&down_f32(&gin, il.numel()), &grad_in, 1e-5, 1e-6, &format!("max_pool2d backward {win:?}"));
    }
}

#[test]
fn sgd_and_adam_match_cpu_formulas() {
    let _serial = serial();
    if !gpu() {
        return;
    }
    let mut r = Rng::new(34);
    let n = 1000;
    let l = Layout::contiguous(&[n]);
    // SAFETY: the views made by `v` are used only inside this test, while `l` and the buffers passed to it are
    // alive.
    let v = |b: &GpuBuffer| GView::new(unsafe { &*(b as *const GpuBuffer) }, unsafe { &*(&l as *const Layout) }, DType::F32);
    for (momentum, nesterov, maximize, wd) in [(0.0, false, false, 0.0), (0.9, false, false, 0.01), (0.9, true, true, 0.0)] {
        let (mut p, g) = (r.vf(n, -1.0, 1.0), r.vf(n, -1.0, 1.0));
        let (bp, bg) = (up_f32(&p), up_f32(&g));
        let buf = GpuBuffer::new(n * 4).unwrap();
        let (lr, damp) = (0.1f32, 0.1f32);
        let mut b = vec![0f32; n];
        for step in 0..3 {
            let fresh = step == 0;
            sgd_step(&v(&bp), &v(&bg), Some(&v(&buf)), fresh, lr as f64, momentum, damp as f64, wd, nesterov, maximize).unwrap();
            for k in 0..n {
                let mut d = if maximize { -g[k] } else { g[k] };
                if wd != 0.0 {
                    d += wd as f32 * p[k];
                }
                let s = if momentum != 0.0 {
                    b[k] = if fresh { d } else { momentum as f32 * b[k] + (1.0 - damp) * d };
                    if nesterov {
                        d + momentum as f32 * b[k]
                    } else {
                        b[k]
                    }
                } else {
                    d
                };
                p[k] -= lr * s;
            }
        }
        close(&down_f32(&bp, n), &p, 1e-5, 1e-6, &format!("sgd momentum={momentum} nesterov={nesterov}"));
    }
    for (amsgrad, decoupled, wd) in [(false, false, 0.0), (true, false, 0.01), (false, true, 0.1)] {
        let (mut p, g) = (r.vf(n, -1.0, 1.0), r.vf(n, -1.0, 1.0));
        let (bp, bg) = (up_f32(&p), up_f32(&g));
        let (bm, bv, bx) = (GpuBuffer::zeros(n * 4).unwrap(), GpuBuffer::zeros(n * 4).unwrap(), GpuBuffer::zeros(n * 4).unwrap());
        let (mut m, mut vv, mut vx) = (vec![0f64; n], vec![0f64; n], vec![0f64; n]);
        let (lr, b1, b2, eps) = (1e-2f64, 0.9f64, 0.999f64, 1e-8f64);
        for step in 1..=3u64 {
            let vmax = v(&bx);
            adam_step(&v(&bp), &v(&bg), &v(&bm), &v(&bv), amsgrad.then_some(&vmax), lr, b1, b2, eps, wd, step, decoupled, false).unwrap();
            let t = step as f64;
            for k in 0..n {
                let mut d = g[k] as f64;
                let mut pk = p[k] as f64;
                if wd != 0.0 {
                    if decoupled {
                        pk *= 1.0 - lr * wd;
                    } else {
                        d += wd * pk;
                    }
                }
                m[k] += (1.0 - b1) * (d - m[k]);
                vv[k] = vv[k] * b2 + (1.0 - b2) * d * d;
                vx[k] = vx[k].max(vv[k]);
                let vh = if amsgrad { vx[k] } else { vv[k] };
                let denom = vh.sqrt() / (1.0 - b2.powf(t)).sqrt() + eps;
                p[k] = (pk - lr / (1.0 - b1.powf(t)) * m[k] / denom) as f32;
            }
        }
        close(&down_f32(&bp, n), &p, 1e-5, 1e-6, &format!("adam amsgrad={amsgrad} decoupled={decoupled}"));
    }
}

#[test]
fn index_kernels_other_dtypes_and_strided_destinations() {
    let _serial = serial();
    if !gpu() {
        return;
    }
    // gather bool values; an out-of-range index (7, and -1: gather takes no negative index, as
    // on the CPU) reads 0 instead of faulting and raises the CPU's error at the next read from
    // the device (the index flag)
    let src = up_u8(DType::Bool, &[1, 0, 1, 1]);
    let sl = Layout::contiguous(&[4]);
    let idx = up_i64(&[3, 1, 7, -1, 0]);
    let il = Layout::contiguous(&[5]);
    let out = GpuBuffer::new(20).unwrap();
    ember_wgpu::gather(&GView::new(&src, &sl, DType::Bool), 0, &GView::new(&idx, &il, DType::I64), &GView::new(&out, &il, DType::Bool))
        .unwrap();
    let e = out.download(0, 20).expect_err("index 7 of a 4-element dim must be reported");
    assert!(
        matches!(&e, ember_core::Error::Runtime(m) if m.contains("is out of bounds for dimension 0 with size 4")),
        "gather raises the CPU's RuntimeError: {e:?}"
    );
    assert_eq!(down_u8(DType::Bool, &out, 5), vec![1, 0, 0, 0, 1]);
    // index_select reports the CPU's IndexError
    let out = GpuBuffer::new(4).unwrap();
    let one_bad = up_i64(&[4]);
    let l1 = Layout::contiguous(&[1]);
    ember_wgpu::index_select(
        &GView::new(&src, &sl, DType::Bool),
        0,
        &GView::new(&one_bad, &l1, DType::I64),
        &GView::new(&out, &l1, DType::Bool),
    )
    .unwrap();
    let e = out.download(0, 1).expect_err("index 4 of a 4-element dim must be reported");
    assert!(
        matches!(&e, ember_core::Error::Index(m) if m.contains("index out of range in self (index 4, dim 0 with size 4")),
        "index_select raises the CPU's IndexError: {e:?}"
    );
    // scatter_add into a column of a row-major matrix (strided destination), int32 source into float32
    let dst = GpuBuffer::zeros(4 * 3 * 4).unwrap();
    let col = Layout::new(vec![4], vec![3], 1);
    let i2 = up_i64(&[2, 2, 0, 3, 9]);
    let s2 = up_i32(&[1, 2, 3, 4, 5]);
    scatter_add(&GView::new(&dst, &col, DType::F32), 0, &GView::new(&i2, &il, DType::I64), &GView::new(&s2, &il, DType::I32), -1.0)
        .unwrap();
    assert!(dst.download(0, 48).is_err(), "index 9 of a 4-element dim must be reported");
    assert_eq!(down_f32(&dst, 12), vec![0.0, -3.0, 0.0, 0.0, 0.0, 0.0, 0.0, -3.0, 0.0, 0.0, -4.0, 0.0]);
    // shape and dtype errors
    let f = up_f32(&[1.0]);
    let one = Layout::contiguous(&[1]);
    assert!(scatter_add(&GView::new(&f, &one, DType::F32), 0, &GView::new(&f, &one, DType::F32), &GView::new(&f, &one, DType::F32), 1.0)
        .is_err());
}

#[test]
fn max_pool2d_nan_wins() {
    let _serial = serial();
    if !gpu() {
        return;
    }
    let x = up_f32(&[1.0, f32::NAN, 3.0, 2.0]);
    let xl = Layout::contiguous(&[1, 1, 2, 2]);
    let ol = Layout::contiguous(&[1, 1, 1, 1]);
    let (o, i) = (GpuBuffer::new(4).unwrap(), GpuBuffer::new(8).unwrap());
    let win = Window { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] };
    max_pool2d(&GView::new(&x, &xl, DType::F32), &win, false, &GView::new(&o, &ol, DType::F32), &GView::new(&i, &ol, DType::I64)).unwrap();
    assert!(down_f32(&o, 1)[0].is_nan());
    assert_eq!(down_i64(&i, 1), vec![1]);
    assert_eq!(win.out_size(0, 5, true), 3);
    assert_eq!(win.out_size(0, 5, false), 2);
}
