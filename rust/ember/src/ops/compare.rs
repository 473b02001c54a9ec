//! Comparisons and logical ops (bool results, never history), bitwise ops and shifts.
use crate::autograd::check_inplace;
use crate::dispatch;
use crate::ops::meta;
use crate::promote::{result_type, Arg};
use crate::{DType, Error, Layout, Result, Tensor};
use ember_core::layout::broadcast_shapes;
use ember_cpu::arith::Bits;
use ember_cpu::elementwise::{binary_into, unary};
use ember_cpu::with_dtype;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
}

impl CmpOp {
    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::LogicalAnd => "logical_and",
            CmpOp::LogicalOr => "logical_or",
            CmpOp::LogicalXor => "logical_xor",
        }
    }
}

/// `a cmp b` → bool, compared in the promoted dtype (so `int_tensor < 2.5` compares as floats).
pub fn compare(op: CmpOp, a: &Arg, b: &Arg) -> Result<Tensor> {
    let f = meta::family_of_args(op.name(), &[a, b])?;
    let dt = result_type(&[a, b])?;
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    crate::backend::of(f).compare(op, a, b, dt, &shape)
}

/// The host kernel of `compare`: operands converted to `dt`, broadcast to `shape`.
pub(crate) fn compare_kernel(op: CmpOp, a: &Arg, b: &Arg, dt: DType, shape: &[usize]) -> Result<Tensor> {
    let (ta, tb) = (a.tensor(dt)?.detach(), b.tensor(dt)?.detach());
    let (sa, la, sb, lb) = (ta.storage(), ta.layout(), tb.storage(), tb.layout());
    let out = Tensor::empty_elementwise(shape, DType::Bool, crate::Device::Cpu, &[a, b])?;
    let (so, lo) = (out.storage(), out.layout());
    with_dtype!(dt, T => {
        let z = T::default();
        match op {
            CmpOp::Eq => binary_into::<T, T, bool>(so, lo, sa, la, sb, lb, |x, y| x == y),
            CmpOp::Ne => binary_into::<T, T, bool>(so, lo, sa, la, sb, lb, |x, y| x != y),
            CmpOp::Lt => binary_into::<T, T, bool>(so, lo, sa, la, sb, lb, |x, y| x < y),
            CmpOp::Le => binary_into::<T, T, bool>(so, lo, sa, la, sb, lb, |x, y| x <= y),
            CmpOp::Gt => binary_into::<T, T, bool>(so, lo, sa, la, sb, lb, |x, y| x > y),
            CmpOp::Ge => binary_into::<T, T, bool>(so, lo, sa, la, sb, lb, |x, y| x >= y),
            CmpOp::LogicalAnd => binary_into::<T, T, bool>(so, lo, sa, la, sb, lb, move |x, y| x != z && y != z),
            CmpOp::LogicalOr => binary_into::<T, T, bool>(so, lo, sa, la, sb, lb, move |x, y| x != z || y != z),
            CmpOp::LogicalXor => binary_into::<T, T, bool>(so, lo, sa, la, sb, lb, move |x, y| (x != z) != (y != z)),
        }
    });
    Ok(out)
}

/// `x.eq_(other)` and friends: the bool result converted into `x`'s dtype, in place.
pub fn compare_(op: CmpOp, x: &Tensor, b: &Arg) -> Result<()> {
    let r = compare(op, &Arg::T(x.clone()), b)?;
    if r.shape() != x.shape() {
        return Err(Error::OutShape { out: x.shape().to_vec(), broadcast: r.shape().to_vec() });
    }
    x.check_writable()?;
    check_inplace(x)?;
    x.copy_from(&r)?;
    x.bump_version(op.name())?;
    Ok(())
}

/// `logical_not(x)` → bool.
pub fn logical_not(x: &Tensor) -> Result<Tensor> {
    dispatch::backend("logical_not", &[x])?.logical_not(x)
}

/// The host kernels of `logical_not` (`want_zero`) and of the nonzero mask.
pub(crate) fn zero_test_kernel(x: &Tensor, want_zero: bool) -> Result<Tensor> {
    let out = crate::creation::elementwise_layout(x.shape(), &[&Arg::T(x.clone())]);
    x.map_in_layout(&out, |x| {
        let s = with_dtype!(x.dtype(), T => {
            let z = T::default();
            unary::<T, bool>(x.storage(), x.layout(), move |v| (v == z) == want_zero)
        })?;
        Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), DType::Bool))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Shl,
    Shr,
}

impl BitOp {
    pub fn name(self) -> &'static str {
        match self {
            BitOp::And => "bitwise_and",
            BitOp::Or => "bitwise_or",
            BitOp::Xor => "bitwise_xor",
            BitOp::Shl => "lshift",
            BitOp::Shr => "rshift",
        }
    }
}

fn not_integral(name: &str, dt: DType) -> Error {
    Error::runtime(format!(
        "\"{name}_cpu\" not implemented for '{}'. Bitwise ops and shifts support integer and bool dtypes only (uint8, uint16, uint32, uint64, int8, int16, int32, int64, bool).",
        dt.scalar_name()
    ))
}

pub(crate) fn bit_kernel(op: BitOp, dt: DType, out: &Tensor, a: &Tensor, b: &Tensor) -> Result<()> {
    let (o, lo, sa, la, sb, lb) = (out.storage(), out.layout(), a.storage(), a.layout(), b.storage(), b.layout());
    ember_cpu::with_bits_dtype!(dt, T => match op {
        BitOp::And => binary_into::<T, T, T>(o, lo, sa, la, sb, lb, |x, y| x.and(y)),
        BitOp::Or => binary_into::<T, T, T>(o, lo, sa, la, sb, lb, |x, y| x.or(y)),
        BitOp::Xor => binary_into::<T, T, T>(o, lo, sa, la, sb, lb, |x, y| x.xor(y)),
        BitOp::Shl => binary_into::<T, T, T>(o, lo, sa, la, sb, lb, |x, y| x.shl(y)),
        BitOp::Shr => binary_into::<T, T, T>(o, lo, sa, la, sb, lb, |x, y| x.shr(y)),
    }, return Err(not_integral(op.name(), dt)));
    Ok(())
}

/// `a & b`, `a | b`, `a ^ b`, `a << b`, `a >> b` on integers and bool.
pub fn bitwise(op: BitOp, a: &Arg, b: &Arg) -> Result<Tensor> {
    let f = meta::family_of_args(op.name(), &[a, b])?;
    let dt = result_type(&[a, b])?;
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    if !dt.is_int() && dt != DType::Bool {
        return Err(not_integral(op.name(), dt));
    }
    crate::backend::of(f).bitwise(op, a, b, dt, &shape)
}

/// `a &= b` etc., writing through views.
pub fn bitwise_(op: BitOp, a: &Tensor, b: &Arg) -> Result<()> {
    let f = meta::family_of_args(op.name(), &[&Arg::T(a.clone()), b])?;
    let dt = result_type(&[&Arg::T(a.clone()), b])?;
    if !a.dtype().is_int() && a.dtype() != DType::Bool {
        return Err(not_integral(op.name(), a.dtype()));
    }
    if !dt.can_cast_to(a.dtype()) || dt.is_float() {
        return Err(Error::Cast { from: dt, to: a.dtype() });
    }
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    if shape != a.shape() {
        return Err(Error::OutShape { out: a.shape().to_vec(), broadcast: shape.to_vec() });
    }
    a.check_writable()?;
    crate::backend::of(f).bitwise_(op, a, b)?;
    a.bump_version(op.name())?;
    Ok(())
}

/// `~x`: bitwise not of integers, logical not of bool.
pub fn bitwise_not(x: &Tensor) -> Result<Tensor> {
    let be = dispatch::backend("bitwise_not", &[x])?;
    if !x.dtype().is_int() && x.dtype() != DType::Bool {
        return Err(not_integral("bitwise_not", x.dtype()));
    }
    be.bitwise_not(x)
}

/// The host kernel of `bitwise_not`.
pub(crate) fn bitwise_not_kernel(x: &Tensor) -> Result<Tensor> {
    let out = crate::creation::elementwise_layout(x.shape(), &[&Arg::T(x.clone())]);
    x.map_in_layout(&out, |x| {
        let s = ember_cpu::with_bits_dtype!(x.dtype(), T => unary::<T, T>(x.storage(), x.layout(), |v| v.not())?,
            return Err(not_integral("bitwise_not", x.dtype())));
        Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), x.dtype()))
    })
}

/// Used by masks elsewhere: true where `x` is nonzero.
pub fn nonzero_mask(x: &Tensor) -> Result<Tensor> {
    dispatch::backend("ne", &[x])?.nonzero_mask(x)
}
