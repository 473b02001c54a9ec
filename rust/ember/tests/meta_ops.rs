//! The meta device without Python: data-free outputs after the same validation as the CPU.
use ember::ops::meta::empty;
use ember::{DType, Device, Error, Scalar, Tensor};

#[test]
fn meta_ops_keep_the_device_and_accept_cpu_scalars() {
    let a = empty(&[2, 3], DType::F32).unwrap();
    let one = Tensor::scalar(Scalar::Float(1.0), DType::F32).unwrap(); // 0-dim CPU
    let c = a.add(&one).unwrap().sum_dims(&[1], true, None).unwrap();
    assert_eq!((c.device(), c.shape(), c.strides()), (Device::Meta, &[2, 1][..], &[1, 1][..]));
    assert_eq!(c.storage().nbytes(), 8);
    assert!(matches!(a.add(&Tensor::zeros(&[3], DType::F32).unwrap()), Err(Error::Runtime(_))));
    assert!(matches!(a.to_vec::<f32>(), Err(Error::NotImplemented(_))));
    assert!(a.mm(&empty(&[4, 2], DType::F32).unwrap()).is_err()); // shape errors still raised
}
