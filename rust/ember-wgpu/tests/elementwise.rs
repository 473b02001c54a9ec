//! copy / fill / unary / binary / where against CPU references on strided, broadcast and
//! odd-sized views, every supported dtype.
mod common;
use common::*;
use ember_core::DType;
use ember_layout::Layout;
use ember_wgpu::*;

const SHAPES: &[&[usize]] = &[&[1], &[7], &[65], &[257], &[3, 5], &[2, 3, 7], &[4, 1, 9, 2]];

fn f(b: &GpuBuffer, l: &Layout) -> GView<'static> {
    // tests keep buffers and layouts alive for the call; leak the layout for brevity
    let l: &'static Layout = Box::leak(Box::new(l.clone()));
    // SAFETY: callers use the returned view only while `b` is alive (each test drops it before the buffer).
    let b: &'static GpuBuffer = unsafe { &*(b as *const GpuBuffer) };
    GView::new(b, l, DType::F32)
}

#[test]
fn copy_strided_to_contiguous_and_back() {
    if !gpu() {
        return;
    }
    let mut r = Rng::new(2);
    for sizes in SHAPES {
        for (what, l) in variants(sizes) {
            let (host, src) = rand_f32(&mut r, &l, -5.0, 5.0);
            let n = l.numel();
            let out = GpuBuffer::new(n * 4).unwrap();
            let cl = Layout::contiguous(sizes);
            copy(&f(&src, &l), &f(&out, &cl)).unwrap();
            let want = logical(&host, &l);
            assert_eq!(down_f32(&out, n), want, "copy {what} {sizes:?}");
            // strided destination: write into a stepped view of a zeroed buffer
            let dl = &variants(sizes)[2].1;
            let span = dl.storage_span().unwrap().1;
            let dst = GpuBuffer::zeros(span * 4).unwrap();
            copy(&f(&out, &cl), &f(&dst, dl)).unwrap();
            let got = down_f32(&dst, span);
            assert_eq!(logical(&got, dl), want, "strided dst {what} {sizes:?}");
            let untouched: f32 = got.iter().sum::<f32>() - want.iter().sum::<f32>();
            assert!(untouched.abs() < 1e-3, "copy wrote outside the view");
        }
    }
}

#[test]
fn copy_converts_dtypes() {
    if !gpu() {
        return;
    }
    let vals = [-3.7f64, -1.0, 0.0, 0.5, 1.0, 2.9, 200.0, -2147483000.0, 3e9, -5e9];
    let l = Layout::contiguous(&[vals.len()]);
    let dts = [DType::F32, DType::I32, DType::I64, DType::Bool, DType::U8];
    let host = |dt: DType| -> Vec<f64> {
        vals.iter()
            .map(|&v| match dt {
                DType::F32 => v as f32 as f64,
                DType::I32 => (v as f32 as i64).clamp(i32::MIN as i64, i32::MAX as i64) as f64,
                DType::I64 => v as f32 as i64 as f64,
                DType::Bool => (v != 0.0) as i32 as f64,
                _ => (v.abs() as u8) as f64,
            })
            .collect()
    };
    let upload = |dt: DType, v: &[f64]| -> GpuBuffer {
        match dt {
            DType::F32 => up_f32(&v.iter().map(|&x| x as f32).collect::<Vec<_>>()),
            DType::I32 => up_i32(&v.iter().map(|&x| x as i32).collect::<Vec<_>>()),
            DType::I64 => up_i64(&v.iter().map(|&x| x as i64).collect::<Vec<_>>()),
            _ => up_u8(dt, &v.iter().map(|&x| x as u8).collect::<Vec<_>>()),
        }
    };
    let download = |dt: DType, b: &GpuBuffer, n: usize| -> Vec<f64> {
        match dt {
            DType::F32 => down_f32(b, n).into_iter().map(|x| x as f64).collect(),
            DType::I32 => down_i32(b, n).into_iter().map(|x| x as f64).collect(),
            DType::I64 => down_i64(b, n).into_iter().map(|x| x as f64).collect(),
            _ => down_u8(dt, b, n).into_iter().map(|x| x as f64).collect(),
        }
    };
    for &from in &dts {
        let src_vals = host(from);
        let src = upload(from, &src_vals);
        for &to in &dts {
            let out = GpuBuffer::new(vals.len() * 8).unwrap();
            copy(&GView::new(&src, &l, from), &GView::new(&out, &l, to)).unwrap();
            let got = download(to, &out, vals.len());
            for (i, (&g, &s)) in got.iter().zip(&src_vals).enumerate() {
                let want = match to {
                    DType::F32 => s as f32 as f64,
                    DType::I32 => {
                        if s.abs() >= 2147483648.0 {
                            continue; // out of range: implementation-defined in PyTorch too
                        }
                        s.trunc()
                    }
                    DType::I64 => s.trunc(),
                    DType::Bool => (s != 0.0) as i32 as f64,
                    _ => {
                        if !(0.0..=255.0).contains(&s) {
                            continue;
                        }
                        s.trunc()
                    }
                };
                let tol = if to == DType::F32 || from == DType::F32 { want.abs() * 1e-6 } else { 0.0 };
                assert!((g - want).abs() <= tol, "{} -> {}: element {i} ({s}): got {g}, want {want}", from.name(), to.name());
            }
        }
    }
}

#[test]
fn fill_and_zeros() {
    if !gpu() {
        return;
    }
    let l = Layout::contiguous(&[3, 5]);
    let b = GpuBuffer::zeros(60).unwrap();
    assert_eq!(down_f32(&b, 15), vec![0.0; 15]);
    fill(&GView::new(&b, &l, DType::F32), 2.5).unwrap();
    assert_eq!(down_f32(&b, 15), vec![2.5; 15]);
    let col = Layout::new(vec![3], vec![5], 1);
    fill(&GView::new(&b, &col, DType::I32), -7.0).unwrap();
    let got = down_i32(&b, 15);
    for (i, &g) in got.iter().enumerate() {
        if i % 5 == 1 {
            assert_eq!(g, -7);
        } else {
            assert_eq!(f32::from_bits(g as u32), 2.5);
        }
    }
    // zero fill of a dense sub-range is a buffer clear; its neighbours keep their values
    let mid = Layout::new(vec![5], vec![1], 5);
    fill(&GView::new(&b, &mid, DType::F32), 0.0).unwrap();
    let got = down_f32(&b, 15);
    assert_eq!(&got[5..10], &[0.0; 5]);
    assert!(got[..5].iter().chain(&got[10..]).all(|&x| x != 0.0));
    let e = GpuBuffer::new(8).unwrap();
    let l1 = Layout::contiguous(&[1]);
    fill(&GView::new(&e, &l1, DType::I64), -3.0).unwrap();
    assert_eq!(down_i64(&e, 1), vec![-3]);
    assert!(fill(&GView::new(&e, &l1, DType::F64), 1.0).is_err());
}

fn erf(x: f64) -> f64 {
    // series/continued fraction free: numerical integration is overkill; use the identity
    // erf(x) = 1 - erfc(x) with a high-precision rational approximation (W. J. Cody)
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let y = 1.0
        - t * (-x * x - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 {
        y
    } else {
        -y
    }
}

fn unary_ref(op: UnaryOp, x: f64) -> f64 {
    use UnaryOp::*;
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    match op {
        Neg => -x,
        Abs => x.abs(),
        Exp => x.exp(),
        Log => x.ln(),
        Sqrt => x.sqrt(),
        Rsqrt => 1.0 / x.sqrt(),
        Sin => x.sin(),
        Cos => x.cos(),
        Tanh => x.tanh(),
        Sigmoid => sig(x),
        Relu => x.max(0.0),
        Gelu => 0.5 * x * (1.0 + erf(x / 2f64.sqrt())),
        GeluTanh => 0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh()),
        Silu => x * sig(x),
        Square => x * x,
        Reciprocal => 1.0 / x,
        Sign => x.signum() * (x != 0.0) as i32 as f64,
        Floor => x.floor(),
        Ceil => x.ceil(),
        Round => {
            let r = x.round();
            if (x - x.trunc()).abs() == 0.5 {
                2.0 * (x / 2.0).round()
            } else {
                r
            }
        }
        Log1p => x.ln_1p(),
        Expm1 => x.exp_m1(),
        LogicalNot => (x == 0.0) as i32 as f64,
        Deg2rad => x.to_radians(),
        Rad2deg => x.to_degrees(),
        _ => unreachable!("{op:?} has no WGSL expression"),
    }
}

#[test]
fn unary_float_ops() {
    if !gpu() {
        return;
    }
    use UnaryOp::*;
    let ops = [
        Neg, Abs, Exp, Log, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Relu, Gelu, GeluTanh, Silu, Square, Reciprocal, Sign, Floor, Ceil, Round,
        Log1p, Expm1, LogicalNot, Deg2rad, Rad2deg,
    ];
    let mut r = Rng::new(3);
    for sizes in [&[65usize][..], &[2, 3, 7]] {
        for (what, l) in variants(sizes) {
            let (mut host, src) = rand_f32(&mut r, &l, -4.0, 4.0);
            // exact halves and zeros for round/sign, tiny values for log1p/expm1
            for (i, h) in host.iter_mut().enumerate().take(12) {
                *h = [0.0, 0.5, 1.5, 2.5, -0.5, -2.5, 1e-5, -1e-5, 1e-3, 3.0, -0.0, 0.25][i];
            }
            drop(src);
            let src = up_f32(&host);
            let n = l.numel();
            let cl = Layout::contiguous(sizes);
            for op in ops {
                let out = GpuBuffer::new(n * 4).unwrap();
                let odt = if op == LogicalNot { DType::Bool } else { DType::F32 };
                unary(op, &f(&src, &l), &GView::new(&out, &cl, odt)).unwrap();
                let got: Vec<f32> = if op == LogicalNot {
                    down_u8(DType::Bool, &out, n).into_iter().map(|x| x as f32).collect()
                } else {
                    down_f32(&out, n)
                };
                let want: Vec<f32> = logical(&host, &l).into_iter().map(|x| unary_ref(op, x as f64) as f32).collect();
                let (rtol, atol) = match op {
                    Gelu | GeluTanh | Silu | Tanh | Sigmoid => (2e-5, 2e-6),
                    Sin | Cos => (1e-4, 1e-5),
                    _ => (2e-5, 1e-7),
                };
                let (got, want): (Vec<f32>, Vec<f32>) =
                    got.iter().zip(&want).filter(|(_, w)| !matches!(op, Log | Sqrt | Rsqrt) || !w.is_nan()).map(|(g, w)| (*g, *w)).unzip();
                close(&got, &want, rtol, atol, &format!("{} {what} {sizes:?}", op.name()));
            }
        }
    }
}

#[test]
fn unary_int_ops_and_errors() {
    if !gpu() {
        return;
    }
    let v: Vec<i32> = vec![-5, -1, 0, 1, 7, 100];
    let l = Layout::contiguous(&[6]);
    let b = up_i32(&v);
    let out = GpuBuffer::new(24).unwrap();
    for (op, want) in [
        (UnaryOp::Neg, vec![5, 1, 0, -1, -7, -100]),
        (UnaryOp::Abs, vec![5, 1, 0, 1, 7, 100]),
        (UnaryOp::Sign, vec![-1, -1, 0, 1, 1, 1]),
        (UnaryOp::Relu, vec![0, 0, 0, 1, 7, 100]),
        (UnaryOp::Square, vec![25, 1, 0, 1, 49, 10000]),
    ] {
        unary(op, &GView::new(&b, &l, DType::I32), &GView::new(&out, &l, DType::I32)).unwrap();
        assert_eq!(down_i32(&out, 6), want, "{}", op.name());
    }
    unary(UnaryOp::LogicalNot, &GView::new(&b, &l, DType::I32), &GView::new(&out, &l, DType::Bool)).unwrap();
    assert_eq!(down_u8(DType::Bool, &out, 6), vec![0, 0, 1, 0, 0, 0]);
    // exp of an int tensor: the caller converts to float first
    assert!(unary(UnaryOp::Exp, &GView::new(&b, &l, DType::I32), &GView::new(&out, &l, DType::F32)).is_err());
    let bools = up_u8(DType::Bool, &[1, 0, 1, 1, 0, 0]);
    unary(UnaryOp::LogicalNot, &GView::new(&bools, &l, DType::Bool), &GView::new(&out, &l, DType::Bool)).unwrap();
    assert_eq!(down_u8(DType::Bool, &out, 6), vec![0, 1, 0, 0, 1, 1]);
}

fn v<'a>(b: &'a GpuBuffer, l: &'a Layout, dt: DType) -> Operand<'a> {
    Operand::View(GView::new(b, l, dt))
}

fn binary_ref(op: BinaryOp, a: f64, b: f64, alpha: f64) -> f64 {
    use BinaryOp::*;
    let bl = |c: bool| c as i32 as f64;
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    match op {
        Add => a + alpha * b,
        Sub => a - alpha * b,
        Mul => a * b,
        Div => a / b,
        Pow => a.powf(b),
        Maximum => a.max(b),
        Minimum => a.min(b),
        Eq => bl(a == b),
        Ne => bl(a != b),
        Lt => bl(a < b),
        Le => bl(a <= b),
        Gt => bl(a > b),
        Ge => bl(a >= b),
        LogicalAnd => bl(a != 0.0 && b != 0.0),
        LogicalOr => bl(a != 0.0 || b != 0.0),
        ThresholdBackward => {
            if b <= alpha {
                0.0
            } else {
                a
            }
        }
        SigmoidBackward => a * b * (1.0 - b),
        TanhBackward => a * (1.0 - b * b),
        GeluBackward => a * (0.5 * (1.0 + erf(b / 2f64.sqrt())) + b * (-0.5 * b * b).exp() / (2.0 * std::f64::consts::PI).sqrt()),
        GeluTanhBackward => {
            let k = (2.0 / std::f64::consts::PI).sqrt();
            let t = (k * (b + 0.044715 * b * b * b)).tanh();
            a * (0.5 * (1.0 + t) + 0.5 * b * (1.0 - t * t) * k * (1.0 + 3.0 * 0.044715 * b * b))
        }
        SiluBackward => a * sig(b) * (1.0 + b * (1.0 - sig(b))),
        Atan2 => a.atan2(b),
        Fmax => a.max(b),
        Fmin => a.min(b),
        Hypot => a.hypot(b),
        Rem => a - b * (a / b).floor(),
        Fmod => a % b,
        Copysign => a.copysign(b),
        DivTrunc => (a / b).trunc(),
        DivFloor => (a / b).floor(),
        Xlogy => {
            if a == 0.0 {
                0.0
            } else {
                a * b.ln()
            }
        }
        Logaddexp => a.max(b) + (-(a - b).abs()).exp().ln_1p(),
        Logaddexp2 => a.max(b) + (-(a - b).abs()).exp2().ln_1p() / std::f64::consts::LN_2,
        // a new table row needs no arm here until this test lists it
        #[allow(unreachable_patterns)]
        _ => unreachable!("{op:?} has no reference here"),
    }
}

#[test]
fn binary_float_ops_broadcast_and_scalars() {
    if !gpu() {
        return;
    }
    use BinaryOp::*;
    let ops = [
        Add,
        Sub,
        Mul,
        Div,
        Pow,
        Maximum,
        Minimum,
        Eq,
        Ne,
        Lt,
        Le,
        Gt,
        Ge,
        LogicalAnd,
        LogicalOr,
        ThresholdBackward,
        SigmoidBackward,
        TanhBackward,
        GeluBackward,
        GeluTanhBackward,
        SiluBackward,
        Logaddexp,
        Logaddexp2,
    ];
    let mut r = Rng::new(4);
    let sizes = [3usize, 5, 7];
    let la = permuted(&[7, 5, 3], &[2, 1, 0]);
    let lb = expanded(&Layout::contiguous(&[1, 5, 1]), &sizes);
    let cl = Layout::contiguous(&sizes);
    let n = cl.numel();
    let (mut ha, _) = rand_f32(&mut r, &la, 0.1, 3.0);
    let (mut hb, _) = rand_f32(&mut r, &lb, -2.0, 2.0);
    ha[0] = hb[0]; // some equal pairs for the comparisons
    hb[1] = 0.0;
    let (ba, bb) = (up_f32(&ha), up_f32(&hb));
    let (ga, gb) = (logical(&ha, &la), logical(&hb, &lb));
    for op in ops {
        for scalar in [None, Some(1.5f64)] {
            let out = GpuBuffer::new(n * 4).unwrap();
            let is_bool = matches!(op, Eq | Ne | Lt | Le | Gt | Ge | LogicalAnd | LogicalOr);
            let odt = if is_bool { DType::Bool } else { DType::F32 };
            let alpha = if op == ThresholdBackward { 0.25 } else { 2.0 };
            let bop = match scalar {
                None => Operand::View(f(&bb, &lb)),
                Some(s) => Operand::Scalar(s),
            };
            binary(op, Operand::View(f(&ba, &la)), bop, alpha, &GView::new(&out, &cl, odt)).unwrap();
            let got: Vec<f32> =
                if is_bool { down_u8(DType::Bool, &out, n).into_iter().map(|x| x as f32).collect() } else { down_f32(&out, n) };
            let want: Vec<f32> = (0..n).map(|i| binary_ref(op, ga[i] as f64, scalar.unwrap_or(gb[i] as f64), alpha) as f32).collect();
            close(&got, &want, 3e-5, 1e-6, &format!("{} scalar={scalar:?}", op.name()));
        }
    }
    // scalar first: 1.5 - x
    let out = GpuBuffer::new(n * 4).unwrap();
    binary(Sub, Operand::Scalar(1.5), Operand::View(f(&ba, &la)), 1.0, &f(&out, &cl)).unwrap();
    close(&down_f32(&out, n), &ga.iter().map(|x| 1.5 - x).collect::<Vec<_>>(), 1e-6, 1e-7, "rsub");
    // NaN propagation of maximum / pow of negative bases
    let nan = up_f32(&[f32::NAN, 1.0, -2.0, -2.0]);
    let other = up_f32(&[1.0, f32::NAN, 3.0, 0.5]);
    let l4 = Layout::contiguous(&[4]);
    binary(Maximum, Operand::View(f(&nan, &l4)), Operand::View(f(&other, &l4)), 1.0, &f(&out, &l4)).unwrap();
    let m = down_f32(&out, 4);
    assert!(m[0].is_nan() && m[1].is_nan() && m[2] == 3.0 && m[3] == 0.5);
    binary(Pow, Operand::View(f(&nan, &l4)), Operand::View(f(&other, &l4)), 1.0, &f(&out, &l4)).unwrap();
    let p = down_f32(&out, 4);
    assert!(p[0].is_nan() && p[1].is_nan() && p[2] == -8.0 && p[3].is_nan(), "{p:?}");
}

#[test]
fn binary_int_bool_int64() {
    if !gpu() {
        return;
    }
    use BinaryOp::*;
    let l = Layout::contiguous(&[6]);
    let a = up_i32(&[-5, -1, 0, 3, 7, 2]);
    let b = up_i32(&[2, -1, 4, 3, -7, 10]);
    let out = GpuBuffer::new(48).unwrap();
    for (op, alpha, want) in [
        (Add, 3.0, vec![1, -4, 12, 12, -14, 32]),
        (Sub, 1.0, vec![-7, 0, -4, 0, 14, -8]),
        (Mul, 1.0, vec![-10, 1, 0, 9, -49, 20]),
        (Maximum, 1.0, vec![2, -1, 4, 3, 7, 10]),
        (Minimum, 1.0, vec![-5, -1, 0, 3, -7, 2]),
        (Pow, 1.0, vec![25, -1, 0, 27, 0, 1024]),
    ] {
        binary(op, v(&a, &l, DType::I32), v(&b, &l, DType::I32), alpha, &GView::new(&out, &l, DType::I32)).unwrap();
        assert_eq!(down_i32(&out, 6), want, "{}", op.name());
    }
    binary(Lt, v(&a, &l, DType::I32), Operand::Scalar(1.0), 1.0, &GView::new(&out, &l, DType::Bool)).unwrap();
    assert_eq!(down_u8(DType::Bool, &out, 6), vec![1, 1, 1, 0, 0, 0]);
    assert!(binary(Div, v(&a, &l, DType::I32), v(&b, &l, DType::I32), 1.0, &GView::new(&out, &l, DType::I32)).is_err());
    // int64 comparisons, including values beyond 32 bits and negative numbers
    let x = up_i64(&[-5, 1 << 40, -(1 << 40), 3, 7, 0]);
    let y = up_i64(&[-5, 1, 1, 4, -(1 << 33), 0]);
    for (op, want) in
        [(Eq, vec![1, 0, 0, 0, 0, 1]), (Lt, vec![0, 0, 1, 1, 0, 0]), (Ge, vec![1, 1, 0, 0, 1, 1]), (Ne, vec![0, 1, 1, 1, 1, 0])]
    {
        binary(op, v(&x, &l, DType::I64), v(&y, &l, DType::I64), 1.0, &GView::new(&out, &l, DType::Bool)).unwrap();
        assert_eq!(down_u8(DType::Bool, &out, 6), want, "int64 {}", op.name());
    }
    binary(Gt, v(&x, &l, DType::I64), Operand::Scalar(2.0), 1.0, &GView::new(&out, &l, DType::Bool)).unwrap();
    assert_eq!(down_u8(DType::Bool, &out, 6), vec![0, 1, 0, 1, 1, 0]);
    // bool logic and uint8 wrap-around
    let p = up_u8(DType::Bool, &[1, 1, 0, 0, 1, 0]);
    let q = up_u8(DType::Bool, &[1, 0, 1, 0, 1, 1]);
    binary(LogicalAnd, v(&p, &l, DType::Bool), v(&q, &l, DType::Bool), 1.0, &GView::new(&out, &l, DType::Bool)).unwrap();
    assert_eq!(down_u8(DType::Bool, &out, 6), vec![1, 0, 0, 0, 1, 0]);
    binary(Add, v(&p, &l, DType::Bool), v(&q, &l, DType::Bool), 1.0, &GView::new(&out, &l, DType::Bool)).unwrap();
    assert_eq!(down_u8(DType::Bool, &out, 6), vec![1, 1, 1, 0, 1, 1]);
    let u = up_u8(DType::U8, &[250, 1, 2, 3, 4, 5]);
    binary(Add, v(&u, &l, DType::U8), Operand::Scalar(10.0), 1.0, &GView::new(&out, &l, DType::U8)).unwrap();
    assert_eq!(down_u8(DType::U8, &out, 6), vec![4, 11, 12, 13, 14, 15]);
    // mixed dtypes are the caller's job
    assert!(binary(Add, v(&a, &l, DType::I32), v(&x, &l, DType::I64), 1.0, &GView::new(&out, &l, DType::I32)).is_err());
}

#[test]
fn in_place_on_views() {
    if !gpu() {
        return;
    }
    // x[:, 1:3] += y (broadcast row), x in place: output aliases the first input
    let mut r = Rng::new(5);
    let host = r.vf(4 * 5, -1.0, 1.0);
    let x = up_f32(&host);
    let view = Layout::new(vec![4, 2], vec![5, 1], 1);
    let y = up_f32(&[10.0, 20.0]);
    let yl = Layout::new(vec![4, 2], vec![0, 1], 0);
    binary(BinaryOp::Add, Operand::View(f(&x, &view)), Operand::View(f(&y, &yl)), 1.0, &f(&x, &view)).unwrap();
    let got = down_f32(&x, 20);
    for i in 0..4 {
        for j in 0..5 {
            let add = match j {
                1 => 10.0,
                2 => 20.0,
                _ => 0.0,
            };
            assert_eq!(got[i * 5 + j], host[i * 5 + j] + add);
        }
    }
}

#[test]
fn where_and_masked_fill() {
    if !gpu() {
        return;
    }
    let mut r = Rng::new(6);
    let sizes = [5usize, 9];
    let cl = Layout::contiguous(&sizes);
    let n = 45;
    let mask: Vec<u8> = (0..n).map(|_| (r.next() % 2) as u8).collect();
    let bm = up_u8(DType::Bool, &mask);
    let la = permuted(&[9, 5], &[1, 0]);
    let (ha, ba) = rand_f32(&mut r, &la, -1.0, 1.0);
    let lb = expanded(&Layout::contiguous(&[1, 9]), &sizes);
    let (hb, bb) = rand_f32(&mut r, &lb, -1.0, 1.0);
    let (ga, gb) = (logical(&ha, &la), logical(&hb, &lb));
    let out = GpuBuffer::new(n * 4).unwrap();
    let cond = GView::new(&bm, &cl, DType::Bool);
    where_(&cond, Operand::View(f(&ba, &la)), Operand::View(f(&bb, &lb)), &f(&out, &cl)).unwrap();
    let want: Vec<f32> = (0..n).map(|i| if mask[i] != 0 { ga[i] } else { gb[i] }).collect();
    assert_eq!(down_f32(&out, n), want);
    // masked_fill(x, mask, -inf)
    where_(&cond, Operand::Scalar(f64::NEG_INFINITY), Operand::View(f(&ba, &la)), &f(&out, &cl)).unwrap();
    let want: Vec<f32> = (0..n).map(|i| if mask[i] != 0 { f32::NEG_INFINITY } else { ga[i] }).collect();
    assert_eq!(down_f32(&out, n), want);
    // int64 branches (index tensors)
    let i1 = up_i64(&vec![1i64 << 35; n]);
    let i2 = up_i64(&vec![-2i64; n]);
    let o64 = GpuBuffer::new(n * 8).unwrap();
    where_(
        &cond,
        Operand::View(GView::new(&i1, &cl, DType::I64)),
        Operand::View(GView::new(&i2, &cl, DType::I64)),
        &GView::new(&o64, &cl, DType::I64),
    )
    .unwrap();
    let want: Vec<i64> = (0..n).map(|i| if mask[i] != 0 { 1 << 35 } else { -2 }).collect();
    assert_eq!(down_i64(&o64, n), want);
}

#[test]
fn unsupported_dtype_is_a_type_error() {
    if !gpu() {
        return;
    }
    let b = GpuBuffer::new(64).unwrap();
    let l = Layout::contiguous(&[4]);
    let e = copy(&GView::new(&b, &l, DType::F64), &GView::new(&b, &l, DType::F32)).unwrap_err();
    let msg = format!("{e:?}");
    assert!(msg.contains("float64") && msg.contains("float32, int32, int64 (indices), bool, uint8"), "{msg}");
    assert!(gpu_elem_size(DType::F16).is_err());
    // a view reaching past its buffer is refused before any dispatch
    let big = Layout::contiguous(&[100]);
    assert!(fill(&GView::new(&b, &big, DType::F32), 0.0).is_err());
    let trace = ember_wgpu::trace::take();
    assert!(trace.is_none() || !trace.unwrap().0.contains("fill"), "no kernel should have run");
}

#[test]
fn trace_names_the_kernel() {
    if !gpu() {
        return;
    }
    let b = GpuBuffer::new(4 * 300).unwrap();
    let l = Layout::contiguous(&[300]);
    fill(&GView::new(&b, &l, DType::F32), 1.0).unwrap();
    binary(BinaryOp::Add, Operand::View(f(&b, &l)), Operand::Scalar(1.0), 1.0, &f(&b, &l)).unwrap();
    let (name, groups) = ember_wgpu::trace::take().unwrap();
    assert_eq!(name, "wgpu/binary_add_f32");
    assert_eq!(groups, [2, 1, 1]);
    assert_eq!(down_f32(&b, 300), vec![2.0; 300]);
}

#[test]
fn zero_dim_tensors() {
    if !gpu() {
        return;
    }
    let l = Layout::contiguous(&[]);
    let a = up_f32(&[3.0]);
    let o = GpuBuffer::new(4).unwrap();
    binary(BinaryOp::Mul, Operand::View(f(&a, &l)), Operand::Scalar(-2.0), 1.0, &f(&o, &l)).unwrap();
    assert_eq!(down_f32(&o, 1), vec![-6.0]);
    unary(UnaryOp::Sqrt, &f(&a, &l), &f(&o, &l)).unwrap();
    assert_eq!(down_f32(&o, 1), vec![3f32.sqrt()]);
    // a 0-d tensor broadcast into a 3-vector
    let b3 = Layout::new(vec![3], vec![0], 0);
    let o3 = GpuBuffer::new(12).unwrap();
    copy(&f(&a, &b3), &f(&o3, &Layout::contiguous(&[3]))).unwrap();
    assert_eq!(down_f32(&o3, 3), vec![3.0; 3]);
    reduce(ReduceOp::Sum, &f(&a, &l), &[], &f(&o, &l)).unwrap();
    assert_eq!(down_f32(&o, 1), vec![3.0]);
}
