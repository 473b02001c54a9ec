//! uint16/uint32/uint64: PyTorch's promotion rule for them, their casts and fit checks.
use ember_core::{DType, Element, Scalar};

#[test]
fn limited_unsigned_promote_only_with_themselves_and_floats() {
    for u in [DType::U16, DType::U32, DType::U64] {
        for d in DType::ALL {
            let got = DType::promote(u, d);
            if d == u {
                assert_eq!(got.unwrap(), u);
            } else if d.is_float() {
                assert_eq!(got.unwrap(), d, "{u:?} with {d:?}");
            } else {
                let e = format!("{:?}", got.unwrap_err());
                assert!(e.contains("Promotion for uint16, uint32, uint64 types is not supported"), "{e}");
            }
        }
    }
    // the older dtypes keep their rules
    assert_eq!(DType::promote(DType::U8, DType::I8).unwrap(), DType::I16);
}

#[test]
fn casts_wrap_as_c_does_and_keep_the_upper_half_of_uint64() {
    assert_eq!(u64::from_f64(1e19), 10_000_000_000_000_000_000);
    assert_eq!(u64::from_f64(-1.0), u64::MAX);
    assert_eq!(u32::from_f64(1e10), 1_410_065_408);
    assert_eq!(u32::from_f64(f64::NAN), 0);
    assert_eq!((u64::MAX).cast::<i64>(), -1);
    assert_eq!((-1i64).cast::<u64>(), u64::MAX);
    assert_eq!((1u64 << 63).cast::<f64>(), 9.223372036854775808e18);
    assert!(!DType::U32.is_signed() && DType::U32.is_int());
}

#[test]
fn fit_checks_take_signed_or_unsigned_ints_and_non_negative_floats() {
    assert!(Scalar::Int(-1).check_fits(DType::U32).is_ok());
    assert!(Scalar::Int(-(1 << 31)).check_fits(DType::U32).is_ok());
    assert!(Scalar::Int(1 << 32).check_fits(DType::U32).is_err());
    assert!(Scalar::Int(-(1 << 32)).check_fits(DType::U32).is_err());
    assert!(Scalar::Float(-5.0).check_fits(DType::U16).is_err());
    assert!(Scalar::Float(1e19).check_fits(DType::U64).is_ok());
    assert!(Scalar::Float(2f64.powi(64)).check_fits(DType::U64).is_err());
}
