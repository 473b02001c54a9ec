//! The primitives that replaced per-op device branches (index plans, masks, host reads, random
//! draws, optimizer steps), without Python: the same results through the trait as through the
//! op, meta giving geometry only, and PyTorch's backend error where a backend has no kernel.
use ember::backend;
use ember::dispatch::Family;
use ember::ops::optim::Sgd;
use ember::ops::random::{self, Dist};
use ember::random::Generator;
use ember::{DType, Device, Error, Tensor};

fn t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

#[test]
fn random_draws_are_the_same_sequence_and_meta_draws_nothing() {
    let dist = Dist::Normal { mean: 1.0, std: 2.0 };
    let (mut g1, mut g2) = (Generator::new(7), Generator::new(7));
    let a = random::sample(&[2, 3], DType::F64, Device::Cpu, dist, &mut g1).unwrap();
    // meta: a data-free tensor of the shape, and the generator left where it was
    let m = random::sample(&[2, 3], DType::F64, Device::Meta, dist, &mut g2).unwrap();
    assert_eq!((m.device(), m.shape()), (Device::Meta, &[2, 3][..]));
    let b = random::sample(&[2, 3], DType::F64, Device::Cpu, dist, &mut g2).unwrap();
    assert_eq!(a.to_vec::<f64>().unwrap(), b.to_vec::<f64>().unwrap());
    let ints = random::sample(&[100], DType::I64, Device::Cpu, Dist::Below { low: -2, n: 5 }, &mut g1).unwrap();
    assert!(ints.to_vec::<i64>().unwrap().iter().all(|&v| (-2..3).contains(&v)));
}

#[test]
fn bernoulli_validates_p_and_draws_zeros_and_ones() {
    let mut g = Generator::new(3);
    let p = t(&[0.0, 1.0, 0.5, 0.5], &[2, 2]);
    let d = random::bernoulli(&p, &mut g).unwrap().to_vec::<f64>().unwrap();
    assert_eq!((d[0], d[1]), (0.0, 1.0));
    assert!(d.iter().all(|&v| v == 0.0 || v == 1.0));
    let err = random::bernoulli(&t(&[1.5], &[1]), &mut g).unwrap_err();
    assert!(matches!(err, Error::Runtime(_)), "{err:?}");
}

#[test]
fn host_reads_and_index_plans_go_through_the_backend() {
    let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    assert_eq!(x.select(1, 2).unwrap().select(0, 1).unwrap().item().unwrap().to_f64(), 6.0);
    let idx = Tensor::from_vec(vec![2i64, 0], &[2]).unwrap();
    let y = x.index_select(1, &idx).unwrap();
    assert_eq!(y.to_vec::<f64>().unwrap(), vec![3.0, 1.0, 6.0, 4.0]);
    // meta: the geometry, no index values read
    let xm = x.to_device(Device::Meta).unwrap();
    let ym = xm.index_select(1, &idx.to_device(Device::Meta).unwrap()).unwrap();
    assert_eq!((ym.device(), ym.shape()), (Device::Meta, &[2, 2][..]));
    match Tensor::empty_on(&[], DType::F64, Device::Meta).unwrap().item() {
        Err(Error::NotImplemented(m)) => assert!(m.contains("meta"), "{m}"),
        r => panic!("expected the meta error, got {r:?}"),
    }
}

#[test]
fn an_optimizer_step_without_a_kernel_is_the_backend_error() {
    let p = Tensor::empty_on(&[2], DType::F32, Device::Meta).unwrap();
    let h = Sgd { lr: 0.1, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false, maximize: false };
    let err = backend::of(Family::Meta).sgd_step(&[p.clone()], &[p], &[None], &h).unwrap_err();
    match err {
        Error::NotImplemented(m) => {
            assert!(m.starts_with("Could not run 'aten::_fused_sgd_' with arguments from the 'Meta' backend"), "{m}")
        }
        e => panic!("expected NotImplemented, got {e:?}"),
    }
}
