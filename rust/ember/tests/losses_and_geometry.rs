//! The fused losses take one path on every backend (validate → `dispatch::backend` → the
//! `class_loss` / `bce_with_logits` primitive → one recorded backward), and pooling output
//! geometry is PyTorch's rule, computed once in Rust.
use ember::dispatch::{self, Family};
use ember::ops::{nn, pool};
use ember::{DType, Device, Error, Tensor};

fn t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

fn targets(v: &[i64]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
}

fn logits() -> Tensor {
    t(&[0.5, -1.0, 2.0, 0.0, 1.5, -0.5], &[2, 3])
}

#[test]
fn cross_entropy_matches_the_formula_and_records_its_dispatch() {
    let x = logits();
    dispatch::take_last();
    let out = nn::cross_entropy(&x, &targets(&[2, 0]), None, 1, -100, 0.0).unwrap();
    assert_eq!(dispatch::take_last(), Some(("cross_entropy_loss", Family::CpuStrided)));
    let xs = x.to_vec::<f64>().unwrap();
    let row = |r: &[f64], k: usize| -(r[k] - r.iter().map(|v| v.exp()).sum::<f64>().ln());
    let want = (row(&xs[0..3], 2) + row(&xs[3..6], 0)) / 2.0;
    assert!((out.to_vec::<f64>().unwrap()[0] - want).abs() < 1e-12);
}

#[test]
fn meta_losses_have_the_cpu_geometry_and_backward() {
    let x = Tensor::empty_on(&[4, 3], DType::F32, Device::Meta).unwrap();
    x.set_requires_grad(true).unwrap();
    let tgt = Tensor::empty_on(&[4], DType::I64, Device::Meta).unwrap();
    dispatch::take_last();
    let none = nn::nll_loss(&x, &tgt, None, 0, -100).unwrap();
    assert_eq!(dispatch::take_last(), Some(("nll_loss", Family::Meta)));
    assert_eq!((none.device(), none.shape()), (Device::Meta, &[4][..]));
    let mean = nn::cross_entropy(&x, &tgt, None, 1, -100, 0.1).unwrap();
    assert_eq!((mean.device(), mean.shape()), (Device::Meta, &[][..]));
    let g = ember::autograd::grad(
        &[(mean, Tensor::full_on(&[], ember::Scalar::Float(1.0), DType::F32, Device::Meta).unwrap())],
        &[x.clone()],
        false,
        false,
        false,
    )
    .unwrap()
    .remove(0)
    .unwrap();
    assert_eq!((g.device(), g.shape(), g.dtype()), (Device::Meta, &[4, 3][..], DType::F32));
}

#[test]
fn bad_loss_input_raises_before_any_backend() {
    for dev in [Device::Cpu, Device::Meta] {
        let x = Tensor::empty_on(&[2, 3], DType::F32, dev).unwrap();
        let short = Tensor::empty_on(&[3], DType::I64, dev).unwrap();
        assert!(matches!(nn::cross_entropy(&x, &short, None, 1, -100, 0.0), Err(Error::Value(_))), "{dev:?}");
        let y = Tensor::empty_on(&[2, 2], DType::F32, dev).unwrap();
        assert!(matches!(nn::bce_with_logits(&x, &y, None, None, 1), Err(Error::Value(_))), "{dev:?}");
    }
    // Target values are checked where they are read (the CPU here): PyTorch's IndexError.
    assert!(matches!(nn::nll_loss(&logits(), &targets(&[3, 0]), None, 1, -100), Err(Error::Index(_))));
}

#[test]
fn pooling_output_size_is_pytorchs_rule() {
    // floor and ceil modes; with ceil_mode the last window must start inside the input or
    // its left padding
    assert_eq!(pool::pool_output_size(5, 2, 2, 0, 1, false), 2);
    assert_eq!(pool::pool_output_size(5, 2, 2, 0, 1, true), 3);
    assert_eq!(pool::pool_output_size(6, 3, 3, 1, 1, true), 3);
    assert_eq!(pool::pool_output_size(5, 3, 2, 1, 1, true), 3);
    assert_eq!(pool::pool_output_size(2, 3, 2, 0, 1, true), 1);
    assert_eq!(pool::pool_output_size(2, 3, 2, 0, 2, true), 0);
    assert_eq!(pool::pool_output_size(3, 5, 5, 0, 1, false), 0);
    let err = pool::pool_output_sizes(&[2, 3, 3], &[5, 5], &[5, 5], &[0, 0], &[1, 1], false).unwrap_err();
    assert!(format!("{err:?}").contains("Given input size: (2x3x3). Calculated output size: (2x0x0). Output size is too small"), "{err:?}");
    let (o, _) = pool::max_pool2d(&Tensor::zeros(&[1, 1, 5, 5], DType::F64).unwrap(), (2, 2), (2, 2), (0, 0), (1, 1), true).unwrap();
    assert_eq!(o.shape(), &[1, 1, 3, 3]);
}
