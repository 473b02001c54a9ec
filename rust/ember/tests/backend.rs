//! The backend interface without Python: one backend per family, the default error for a
//! missing primitive, validation before any backend, and double backward through convolution
//! and pooling (their backwards are differentiable ops).
use ember::backend;
use ember::dispatch::{self, Family};
use ember::ops::unary::{Params, UOp};
use ember::{DType, Device, Error, Tensor};

fn t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

fn ramp(shape: &[usize], scale: f64) -> Tensor {
    let n: usize = shape.iter().product();
    t(&(0..n).map(|i| ((i * 7 % 11) as f64 - 5.0) * scale).collect::<Vec<_>>(), shape)
}

fn one() -> Tensor {
    Tensor::ones(&[], DType::F64).unwrap()
}

#[test]
fn each_family_has_its_backend_and_a_missing_primitive_is_the_backend_error() {
    for f in [Family::CpuStrided, Family::Meta, Family::Wgpu, Family::CpuSparse] {
        assert_eq!(backend::of(f).family(), f);
    }
    // The sparse backend implements no strided primitive: PyTorch's SparseCPU error.
    let x = t(&[1.0, 2.0], &[2]);
    let err = backend::of(Family::CpuSparse).unary(UOp::Exp, Params::default(), &x, DType::F64).unwrap_err();
    match err {
        Error::NotImplemented(m) => assert!(m.starts_with("Could not run 'aten::exp' with arguments from the 'SparseCPU' backend"), "{m}"),
        e => panic!("expected NotImplemented, got {e:?}"),
    }
    // Meta has no average-pooling backward? It does: every primitive it implements returns shapes.
    let m = Tensor::empty_on(&[2, 3], DType::F32, Device::Meta).unwrap();
    let y = backend::of(Family::Meta).unary(UOp::Exp, Params::default(), &m, DType::F32).unwrap();
    assert_eq!((y.device(), y.shape()), (Device::Meta, &[2, 3][..]));
}

#[test]
fn validation_runs_before_the_backend_on_every_device() {
    // A kernel larger than the padded input: refused on the CPU and on meta alike.
    for dev in [Device::Cpu, Device::Meta] {
        let x = Tensor::empty_on(&[1, 1, 2, 2], DType::F32, dev).unwrap();
        let w = Tensor::empty_on(&[1, 1, 3, 3], DType::F32, dev).unwrap();
        let err = ember::ops::conv::conv2d(&x, &w, None, (1, 1), [0; 4], (1, 1), 1).unwrap_err();
        assert!(format!("{err:?}").contains("Kernel size can't be greater than actual input size"), "{dev:?}: {err:?}");
    }
    // The dispatch record names the op for the trace.
    let x = ramp(&[1, 1, 4, 4], 0.1);
    let w = ramp(&[1, 1, 2, 2], 0.2);
    dispatch::take_last();
    ember::ops::conv::conv2d(&x, &w, None, (1, 1), [0; 4], (1, 1), 1).unwrap();
    assert_eq!(dispatch::take_last(), Some(("convolution", Family::CpuStrided)));
}

/// d/dw Σ (d Σ f(x, w) / dx)² for f = tanh(conv(x, w)) pooled — a gradient penalty — compared
/// with central differences of the first derivative.
#[test]
fn double_backward_through_conv_and_pool_matches_finite_differences() {
    let x = ramp(&[1, 1, 5, 5], 0.1);
    x.set_requires_grad(true).unwrap();
    let penalty = |w: &Tensor| -> Tensor {
        let y = ember::ops::conv::conv2d(&x, w, None, (1, 1), [1, 1, 1, 1], (1, 1), 1).unwrap().tanh().unwrap();
        let (p, _) = ember::ops::pool::max_pool2d(&y, (2, 2), (2, 2), (0, 0), (1, 1), false).unwrap();
        let a = ember::ops::pool::avg_pool2d(&y, (2, 2), (1, 1), (0, 0), false, true, None).unwrap();
        let s = p.sum_dims(&[], false, None).unwrap().add(&a.mul(&a).unwrap().sum_dims(&[], false, None).unwrap()).unwrap();
        let gx = ember::autograd::grad(&[(s, one())], &[x.clone()], true, true, false).unwrap().remove(0).unwrap();
        gx.mul(&gx).unwrap().sum_dims(&[], false, None).unwrap()
    };
    let w0 = ramp(&[1, 1, 3, 3], 0.3);
    let w = w0.detach();
    w.set_requires_grad(true).unwrap();
    let gw = ember::autograd::grad(&[(penalty(&w), one())], &[w.clone()], false, false, false).unwrap().remove(0).unwrap();
    let gw = gw.to_vec::<f64>().unwrap();
    let base = w0.to_vec::<f64>().unwrap();
    let h = 1e-6;
    for i in 0..base.len() {
        let at = |d: f64| {
            let mut v = base.clone();
            v[i] += d;
            penalty(&t(&v, &[1, 1, 3, 3])).item().unwrap().to_f64()
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        assert!((fd - gw[i]).abs() < 1e-5 * (1.0 + fd.abs()), "weight {i}: analytic {} vs numeric {fd}", gw[i]);
    }
    assert!(gw.iter().any(|&g| g != 0.0));
}

#[test]
fn meta_backward_through_conv_gives_shapes() {
    let x = Tensor::empty_on(&[2, 3, 8, 8], DType::F32, Device::Meta).unwrap();
    let w = Tensor::empty_on(&[4, 3, 3, 3], DType::F32, Device::Meta).unwrap();
    x.set_requires_grad(true).unwrap();
    w.set_requires_grad(true).unwrap();
    let y = ember::ops::conv::conv2d(&x, &w, None, (1, 1), [1; 4], (1, 1), 1).unwrap();
    let s = y.sum_dims(&[], false, None).unwrap();
    let g = ember::autograd::grad(
        &[(s, Tensor::empty_on(&[], DType::F32, Device::Meta).unwrap())],
        &[x.clone(), w.clone()],
        false,
        false,
        false,
    )
    .unwrap();
    assert_eq!(g[0].as_ref().unwrap().shape(), x.shape());
    assert_eq!(g[1].as_ref().unwrap().shape(), w.shape());
    assert_eq!(g[1].as_ref().unwrap().device(), Device::Meta);
}

/// `where` is one primitive per backend: the CPU computes it, meta returns the same geometry
/// (and the dispatch record names the op on both), the sparse backend raises its error.
#[test]
fn where_primitive_on_cpu_and_meta() {
    use ember::promote::Arg;
    let cond = Tensor::from_vec(vec![true, false, true], &[3, 1]).unwrap();
    let x = t(&[1.0, 2.0], &[1, 2]);
    let y = Arg::S(ember::Scalar::Float(-1.0));
    dispatch::take_last();
    let out = ember::ops::ternary::where_(&cond, &Arg::T(x.clone()), &y).unwrap();
    assert_eq!(dispatch::take_last(), Some(("where", Family::CpuStrided)));
    assert_eq!(out.shape(), &[3, 2]);
    assert_eq!(out.to_vec::<f64>().unwrap(), vec![1.0, 2.0, -1.0, -1.0, 1.0, 2.0]);

    let mc = Tensor::empty_on(&[3, 1], DType::Bool, Device::Meta).unwrap();
    let mx = Tensor::empty_on(&[1, 2], DType::F64, Device::Meta).unwrap();
    let m = ember::ops::ternary::where_(&mc, &Arg::T(mx.clone()), &y).unwrap();
    assert_eq!(dispatch::take_last(), Some(("where", Family::Meta)));
    assert_eq!((m.device(), m.shape(), m.dtype(), m.strides()), (Device::Meta, out.shape(), out.dtype(), out.strides()));

    let direct = backend::of(Family::Meta).where_(&mc, &Arg::T(mx), &y, DType::F64, &[3, 2]).unwrap();
    assert_eq!(direct.shape(), &[3, 2]);
    let err = backend::of(Family::CpuSparse).where_(&cond, &Arg::T(x), &y, DType::F64, &[3, 2]).unwrap_err();
    assert!(format!("{err:?}").contains("Could not run 'aten::where' with arguments from the 'SparseCPU' backend"), "{err:?}");
}

/// The elementwise dtype rule is validation read from the table: meta refuses what the CPU
/// refuses, with the same error, though no kernel runs on meta.
#[test]
fn dtype_rule_is_the_same_on_cpu_and_meta() {
    let msg = |dev: Device| {
        let x = Tensor::empty_on(&[2], DType::I32, dev).unwrap();
        format!("{:?}", ember::ops::unary::unary(&x, UOp::Frac, Params::default()).unwrap_err())
    };
    assert_eq!(msg(Device::Cpu), msg(Device::Meta));
    assert!(msg(Device::Meta).contains("frac"), "{}", msg(Device::Meta));
    // an integer input of a float-only op is promoted, not refused
    let m = Tensor::empty_on(&[2], DType::I32, Device::Meta).unwrap();
    assert_eq!(ember::ops::unary::unary(&m, UOp::Exp, Params::default()).unwrap().dtype(), DType::F32);
}

/// Moving to meta keeps the geometry (and is recorded as meta's `_to_copy`); moving out of
/// meta is PyTorch's no-data error; tril runs on meta as a shape op.
#[test]
fn transfers_and_band_through_the_backend() {
    let x = ramp(&[2, 3], 1.0).t().unwrap();
    dispatch::take_last();
    let m = x.to_device(Device::Meta).unwrap();
    assert_eq!(dispatch::take_last(), Some(("_to_copy", Family::Meta)));
    assert_eq!((m.device(), m.shape(), m.strides()), (Device::Meta, x.shape(), x.strides()));
    let err = m.to_device(Device::Cpu).unwrap_err();
    assert!(format!("{err:?}").contains("Cannot copy out of meta tensor"), "{err:?}");
    let l = m.tril(0).unwrap();
    assert_eq!((l.device(), l.shape()), (Device::Meta, x.shape()));
    assert_eq!(x.tril(-1).unwrap().to_vec::<f64>().unwrap(), vec![0.0, 0.0, 2.0, 0.0, -2.0, -3.0]);
}
