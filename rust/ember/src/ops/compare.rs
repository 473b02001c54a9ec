//! Comparisons and logical ops (bool results, never history), bitwise ops and shifts.
use crate::autograd::check_inplace;
use crate::dispatch;
use crate::ops::meta;
use crate::promote::{result_type, Arg};
use crate::{DType, Error, Layout, Result, Tensor};
use ember_core::layout::broadcast_shapes;
use ember_cpu::arith::Bits;
use ember_cpu::elementwise::{binary, binary_into, unary};
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
    let dt = result_type(&[a, b]);
    if a.as_tensor().is_some_and(crate::gpu::on) || b.as_tensor().is_some_and(crate::gpu::on) {
        return crate::gpu::compare_op(op, a, b, dt);
    }
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    if meta::is_meta(op.name(), f)? {
        return meta::empty(&shape, DType::Bool);
    }
    let (ta, tb) = (a.tensor(dt)?.detach(), b.tensor(dt)?.detach());
    let (sa, la, sb, lb) = (ta.storage(), ta.layout(), tb.storage(), tb.layout());
    let s = with_dtype!(dt, T => {
        let z = T::default();
        match op {
            CmpOp::Eq => binary::<T, T, bool>(sa, la, sb, lb, &shape, |x, y| x == y),
            CmpOp::Ne => binary::<T, T, bool>(sa, la, sb, lb, &shape, |x, y| x != y),
            CmpOp::Lt => binary::<T, T, bool>(sa, la, sb, lb, &shape, |x, y| x < y),
            CmpOp::Le => binary::<T, T, bool>(sa, la, sb, lb, &shape, |x, y| x <= y),
            CmpOp::Gt => binary::<T, T, bool>(sa, la, sb, lb, &shape, |x, y| x > y),
            CmpOp::Ge => binary::<T, T, bool>(sa, la, sb, lb, &shape, |x, y| x >= y),
            CmpOp::LogicalAnd => binary::<T, T, bool>(sa, la, sb, lb, &shape, move |x, y| x != z && y != z),
            CmpOp::LogicalOr => binary::<T, T, bool>(sa, la, sb, lb, &shape, move |x, y| x != z || y != z),
            CmpOp::LogicalXor => binary::<T, T, bool>(sa, la, sb, lb, &shape, move |x, y| (x != z) != (y != z)),
        }
    })?;
    Ok(Tensor::from_parts(s, Layout::contiguous(&shape), DType::Bool))
}

/// `x.eq_(other)` and friends: the bool result converted into `x`'s dtype, in place.
pub fn compare_(op: CmpOp, x: &Tensor, b: &Arg) -> Result<()> {
    let r = compare(op, &Arg::T(x.clone()), b)?;
    if r.shape() != x.shape() {
        return Err(Error::OutShape { out: x.shape().to_vec(), broadcast: r.shape().to_vec() });
    }
    if x.layout().has_internal_overlap() {
        return Err(Error::OverlapWrite);
    }
    check_inplace(x)?;
    x.copy_from(&r)?;
    x.storage().bump_version_by(op.name());
    Ok(())
}

/// `logical_not(x)` → bool.
pub fn logical_not(x: &Tensor) -> Result<Tensor> {
    if crate::gpu::on(x) {
        return crate::gpu::unary(crate::gpu::UnaryOp::LogicalNot, x, DType::Bool);
    }
    if meta::is_meta("logical_not", dispatch::family("logical_not", &[x])?)? {
        return meta::empty(x.shape(), DType::Bool);
    }
    let s = with_dtype!(x.dtype(), T => {
        let z = T::default();
        unary::<T, bool>(x.storage(), x.layout(), move |v| v == z)
    })?;
    Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), DType::Bool))
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
    fn name(self) -> &'static str {
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
        "\"{name}_cpu\" not implemented for '{}'. Bitwise ops and shifts support integer and bool dtypes only (uint8, int8, int16, int32, int64, bool).",
        dt.scalar_name()
    ))
}

macro_rules! with_bits_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        match $dt {
            DType::Bool => {
                type $T = bool;
                $body
            }
            DType::U8 => {
                type $T = u8;
                $body
            }
            DType::I8 => {
                type $T = i8;
                $body
            }
            DType::I16 => {
                type $T = i16;
                $body
            }
            DType::I32 => {
                type $T = i32;
                $body
            }
            DType::I64 => {
                type $T = i64;
                $body
            }
            _ => $err,
        }
    };
}

fn bit_kernel(op: BitOp, dt: DType, out: &Tensor, a: &Tensor, b: &Tensor) -> Result<()> {
    let (o, lo, sa, la, sb, lb) = (out.storage(), out.layout(), a.storage(), a.layout(), b.storage(), b.layout());
    with_bits_dtype!(dt, T => match op {
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
    let dt = result_type(&[a, b]);
    if a.as_tensor().is_some_and(crate::gpu::on) || b.as_tensor().is_some_and(crate::gpu::on) {
        return crate::gpu::bitwise_bool(op as u8, a, b, dt);
    }
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    if meta::is_meta(op.name(), f)? {
        if !dt.is_int() && dt != DType::Bool {
            return Err(not_integral(op.name(), dt));
        }
        return meta::empty(&shape, dt);
    }
    let (ta, tb) = (a.tensor(dt)?, b.tensor(dt)?);
    let out = Tensor::empty(&shape, dt)?;
    bit_kernel(op, dt, &out, &ta, &tb)?;
    Ok(out)
}

/// `a &= b` etc., writing through views.
pub fn bitwise_(op: BitOp, a: &Tensor, b: &Arg) -> Result<()> {
    let f = meta::family_of_args(op.name(), &[&Arg::T(a.clone()), b])?;
    let dt = result_type(&[&Arg::T(a.clone()), b]);
    if !a.dtype().is_int() && a.dtype() != DType::Bool {
        return Err(not_integral(op.name(), a.dtype()));
    }
    if !dt.can_cast_to(a.dtype()) || dt.is_float() {
        return Err(Error::Cast { from: dt, to: a.dtype() });
    }
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    if shape != a.shape() {
        return Err(Error::OutShape { out: a.shape().to_vec(), broadcast: shape });
    }
    if a.layout().has_internal_overlap() {
        return Err(Error::OverlapWrite);
    }
    if !meta::is_meta(op.name(), f)? {
        let tb = b.tensor(a.dtype())?;
        bit_kernel(op, a.dtype(), a, a, &tb)?;
    }
    a.storage().bump_version_by(op.name());
    Ok(())
}

/// `~x`: bitwise not of integers, logical not of bool.
pub fn bitwise_not(x: &Tensor) -> Result<Tensor> {
    if crate::gpu::on(x) {
        return crate::gpu::bitwise_not(x);
    }
    if meta::is_meta("bitwise_not", dispatch::family("bitwise_not", &[x])?)? {
        if !x.dtype().is_int() && x.dtype() != DType::Bool {
            return Err(not_integral("bitwise_not", x.dtype()));
        }
        return meta::empty(x.shape(), x.dtype());
    }
    let s = with_bits_dtype!(x.dtype(), T => unary::<T, T>(x.storage(), x.layout(), |v| v.not())?,
        return Err(not_integral("bitwise_not", x.dtype())));
    Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), x.dtype()))
}

/// Used by masks elsewhere: true where `x` is nonzero.
pub fn nonzero_mask(x: &Tensor) -> Result<Tensor> {
    if meta::is_meta("ne", dispatch::family("ne", &[x])?)? {
        return meta::empty(x.shape(), DType::Bool);
    }
    let s = with_dtype!(x.dtype(), T => unary::<T, bool>(x.storage(), x.layout(), |v| v != T::default()))?;
    Ok(Tensor::from_parts(s, Layout::contiguous(x.shape()), DType::Bool))
}
