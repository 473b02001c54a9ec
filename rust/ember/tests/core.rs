//! The ember crate without Python: checked geometry, dispatch, and the autograd engine.
use ember::dispatch::{self, Family};
use ember::layout::{checked_numel, LayoutError};
use ember::{DType, Device, Layout, Storage, Tensor};

fn t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

#[test]
fn sizes_that_overflow_are_refused_everywhere() {
    assert!(matches!(checked_numel(&[1 << 62, 1 << 62]), Err(LayoutError::Overflow { .. })));
    // Empty dims count as 1: a sub-shape of a valid shape is always valid.
    assert!(checked_numel(&[0, 1 << 62, 1 << 62]).is_err());
    assert_eq!(checked_numel(&[0, 5]).unwrap(), 0);
    assert!(Tensor::empty(&[0, 1 << 62, 1 << 62], DType::F32).is_err());
    assert!(Tensor::zeros(&[1 << 40, 1 << 40], DType::F32).is_err());
    let x = Tensor::zeros(&[1, 1], DType::F32).unwrap();
    assert!(x.expand(&[1 << 62, 1 << 62]).is_err());
    assert!(x.as_strided(&[1 << 62, 1 << 62], &[0, 0], None).is_err());
    // A huge but representable request is an allocation error, not an abort.
    assert!(Tensor::empty(&[1 << 50], DType::F64).is_err());
}

#[test]
fn layouts_outside_their_storage_never_become_tensors() {
    let s = Storage::zeros(16).unwrap(); // 4 f32
    let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Tensor::from_parts(s.clone(), Layout::new(vec![2, 2], vec![2, 1], 0), DType::F32)
    }));
    assert!(ok.is_ok());
    let bad = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Tensor::from_parts(s.clone(), Layout::new(vec![2, 2], vec![2, 1], 1), DType::F32)
    }));
    assert!(bad.is_err(), "a layout reaching element 4 of a 4-element storage must be refused");
    let huge = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Tensor::from_parts(s, Layout::new(vec![1 << 62, 4], vec![0, 1], 0), DType::F32)
    }));
    assert!(huge.is_err());
}

#[test]
fn dispatch_records_the_family_and_refuses_mixed_devices() {
    let a = t(&[1.0, 2.0], &[2]);
    let m = Tensor::empty_on(&[2], DType::F64, Device::Meta).unwrap();
    dispatch::take_last();
    assert_eq!(dispatch::family("add", &[&a, &a]).unwrap(), Family::CpuStrided);
    assert_eq!(dispatch::take_last(), Some(("add", Family::CpuStrided)));
    assert_eq!(dispatch::family("add", &[&m]).unwrap(), Family::Meta);
    assert!(dispatch::family("add", &[&a, &m]).is_err());
    // A 0-dim CPU tensor acts as a scalar beside any device.
    let s = t(&[3.0], &[]);
    assert_eq!(dispatch::family("mul", &[&m, &s]).unwrap(), Family::Meta);
}

#[test]
fn sparse_tensors_refuse_strided_views() {
    let d = t(&[1.0, 0.0, 0.0, 2.0], &[2, 2]);
    let s = d.to_sparse(Some(2)).unwrap();
    assert!(s.view(&[4]).is_err());
    assert!(s.permute(&[1, 0]).is_err());
    assert!(s.expand(&[2, 2]).is_err());
    assert!(s.transpose(0, 1).is_ok());
}

#[test]
fn backward_sums_gradients_and_checks_versions() {
    let x = t(&[1.0, 2.0, 3.0], &[3]);
    x.set_requires_grad(true).unwrap();
    // y = x*x + x  →  dy/dx = 2x + 1
    let y = x.mul(&x).unwrap().add(&x).unwrap();
    let s = y.sum_dims(&[], false, None).unwrap();
    let one = Tensor::ones(&[], DType::F64).unwrap();
    ember::autograd::backward(&[(s, one.clone())], &[], false, false).unwrap();
    assert_eq!(x.grad().unwrap().to_vec::<f64>().unwrap(), vec![3.0, 5.0, 7.0]);

    // exp saves its output; modifying it in place makes backward refuse, naming the op.
    let z = x.exp().unwrap();
    z.mul_scalar_for_test();
    let err = ember::autograd::backward(&[(z.sum_dims(&[], false, None).unwrap(), one)], &[], false, false).unwrap_err();
    assert!(format!("{err:?}").contains("mul_"), "{err:?}");
}

#[test]
fn freeing_a_long_chain_uses_constant_stack() {
    // Run on a thread with a small stack: recursive drop would overflow it at this depth.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let w = t(&[1.0], &[1]);
            w.set_requires_grad(true).unwrap();
            let mut total = t(&[0.0], &[1]);
            for _ in 0..100_000 {
                total = total.add(&w).unwrap();
            }
            drop(total);
        })
        .unwrap()
        .join()
        .unwrap();
}

trait InPlace {
    fn mul_scalar_for_test(&self);
}
impl InPlace for Tensor {
    fn mul_scalar_for_test(&self) {
        let two = Tensor::full(&[], ember::Scalar::Float(2.0), DType::F64).unwrap();
        ember::ops::binary::binary_(ember::ops::BinaryOp::Mul, self, &ember::promote::Arg::T(two)).unwrap();
    }
}

#[test]
fn to_vec_reads_strided_views_in_row_major_order() {
    // Small strided views are read through their strides; the copy kernel reads the rest. Both
    // must give the row-major order of the view's elements.
    let x = t(&(0..24).map(f64::from).collect::<Vec<_>>(), &[2, 3, 4]);
    let views = [
        x.transpose(0, 2).unwrap(),
        x.permute(&[1, 2, 0]).unwrap(),
        x.slice(2, 1, 4, 2).unwrap(),
        x.select(1, 2).unwrap().unsqueeze(0).unwrap().expand(&[3, 2, 4]).unwrap(),
    ];
    for v in views {
        let direct: Vec<f64> = v.to_vec().unwrap();
        let copied: Vec<f64> = v.contiguous_copy().unwrap().to_vec().unwrap();
        assert_eq!(direct, copied, "{v:?}");
        assert_eq!(direct.len(), v.numel());
    }
    let big = Tensor::from_vec((0..10_000).map(f64::from).collect(), &[100, 100]).unwrap().t().unwrap();
    let col: Vec<f64> = big.to_vec().unwrap();
    assert_eq!(&col[..3], &[0.0, 100.0, 200.0]);
}
