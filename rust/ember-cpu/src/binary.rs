//! Binary kernels, generated from the one table (`ember_core::binary_ops!`): the op enum, its
//! metadata, and a dispatcher that matches on the op *outside* the loop, so each op × dtype
//! is one tight loop. Floats run the row's `f` formula (float16/bfloat16 through f32, rounded
//! once); integers, bool and complex run its `exact` formula (`Arith`: wrapping integers, bool
//! as or/and) where the row allows them.
use crate::arith::Arith;
use crate::elementwise::binary_into;
use crate::unary::{Flt, IntRule};
use crate::{DType, Error, Layout, Result, Storage};
use half::{bf16, f16};

/// The `exact` loop of an op whose integer operands keep their dtype; other rows never run it.
macro_rules! int_loop {
    (keep, [$f:expr], $run:ident) => {
        $run!($f)
    };
    ($($rest:tt)*) => {
        unreachable!("integer operands are promoted or refused first")
    };
}

/// The `exact` loop of an op that takes complex operands.
macro_rules! complex_loop {
    (true, [$f:expr], $run:ident) => {
        $run!($f)
    };
    ($($rest:tt)*) => {
        unreachable!("complex operands are refused first")
    };
}

macro_rules! binary_enum {
    ($($v:ident => $aten:literal, $grad:literal, x: $sx:literal, y: $sy:literal, int: $ik:ident,
       exact: [$($ex:expr)?], complex: $cx:tt, f: $f:expr, wgsl: {$($wd:ident: $we:literal),*},
       py: [$($py:ident $py_:ident),*], torch: $torch:literal;)*) => {
        /// The binary ops, one per row of `ember_core::binary_ops!`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum BinaryOp {
            $($v,)*
        }

        impl BinaryOp {
            /// The op's ATen name (for dispatch records and errors).
            pub fn name(self) -> &'static str {
                match self {
                    $(BinaryOp::$v => $aten,)*
                }
            }
            /// The grad_fn name when both operands are tensors.
            pub fn tensor_grad_name(self) -> &'static str {
                match self {
                    $(BinaryOp::$v => $grad,)*
                }
            }
            /// Whether the backward reads the operands / the output.
            pub fn saves(self) -> (bool, bool) {
                match self {
                    $(BinaryOp::$v => ($sx, $sy),)*
                }
            }
            /// What integer and bool operands do: `Keep`, `Float` or `Refuse`.
            pub fn int_rule(self) -> IntRule {
                match self {
                    $(BinaryOp::$v => $crate::__int_rule!($ik),)*
                }
            }
            /// Ops computed in floating point even for integer inputs.
            pub fn float_only(self) -> bool {
                self.int_rule() == IntRule::Float
            }
            /// Whether complex operands have a kernel.
            pub fn takes_complex(self) -> bool {
                match self {
                    $(BinaryOp::$v => $cx,)*
                }
            }
        }

        /// `dst[ld] = op(a[la], b[lb])` with every operand of dtype `dt` (callers convert and
        /// broadcast first).
        #[allow(clippy::too_many_arguments)]
        pub fn binary_op_into(op: BinaryOp, dt: DType, dst: &Storage, ld: &Layout, a: &Storage, la: &Layout, b: &Storage, lb: &Layout) -> Result<()> {
            match dt {
                DType::F32 => {
                    match op {
                    $(BinaryOp::$v => binary_into::<f32, f32, f32>(dst, ld, a, la, b, lb, |x, y| call_f::<f32>($f, x, y)),)*
                    }
                }
                DType::F64 => {
                    match op {
                    $(BinaryOp::$v => binary_into::<f64, f64, f64>(dst, ld, a, la, b, lb, |x, y| call_f::<f64>($f, x, y)),)*
                    }
                }
                DType::F16 => {
                    match op {
                    $(BinaryOp::$v => binary_into::<f16, f16, f16>(dst, ld, a, la, b, lb, |x, y| f16::from_f32(call_f::<f32>($f, x.to_f32(), y.to_f32()))),)*
                    }
                }
                DType::BF16 => {
                    match op {
                    $(BinaryOp::$v => binary_into::<bf16, bf16, bf16>(dst, ld, a, la, b, lb, |x, y| bf16::from_f32(call_f::<f32>($f, x.to_f32(), y.to_f32()))),)*
                    }
                }
                DType::C64 | DType::C128 => {
                    if !op.takes_complex() {
                        return Err(Error::DType { op: op.name().into(), dtype: dt, supported: "real dtypes".into() });
                    }
                    $crate::dtype_arms!(dt, T => {
                        macro_rules! run {
                            ($g:expr) => {
                                binary_into::<T, T, T>(dst, ld, a, la, b, lb, $g)
                            };
                        }
                        match op {
                            $(BinaryOp::$v => complex_loop!($cx, [$($ex)?], run),)*
                        }
                    }, unreachable!(); C64 => $crate::C64, C128 => $crate::C128)
                }
                _ => match op.int_rule() {
                    IntRule::Refuse => return Err(refused(op, dt)),
                    IntRule::Float => {
                        return Err(Error::DType { op: op.name().into(), dtype: dt, supported: "floating point dtypes".into() })
                    }
                    _ => with_bits_dtype!(dt, T => {
                        macro_rules! run {
                            ($g:expr) => {
                                binary_into::<T, T, T>(dst, ld, a, la, b, lb, $g)
                            };
                        }
                        match op {
                            $(BinaryOp::$v => int_loop!($ik, [$($ex)?], run),)*
                        }
                    }, unreachable!()),
                },
            }
            Ok(())
        }
    };
}

ember_core::binary_ops!(binary_enum);

/// PyTorch's error for an op that has no integer kernel and doesn't promote.
pub fn refused(op: BinaryOp, dt: DType) -> Error {
    Error::NotImplemented(format!(
        "\"{}_cpu\" not implemented for '{}'. Convert the operands to a floating point dtype first (e.g. x.float()).",
        op.name(),
        dt.scalar_name()
    ))
}

/// Applies a row's float formula (a closure whose argument types come from this bound).
#[inline(always)]
fn call_f<F: Flt + Arith>(f: impl Fn(F, F) -> F, x: F, y: F) -> F {
    f(x, y)
}

/// xlogy: 0 where x == 0 (unless y is NaN).
#[inline(always)]
fn xlogy_f<F: Flt>(x: F, y: F) -> F {
    if y.is_nan() {
        y
    } else if x == F::zero() {
        x
    } else {
        x * y.ln()
    }
}

/// log(eˣ + eʸ) = max + log1p(e^−|x−y|); equal infinities are their own result (x − y is NaN).
#[inline(always)]
fn logaddexp_f<F: Flt>(x: F, y: F) -> F {
    if x == y && x.is_infinite() {
        return x;
    }
    x.max(y) + (-(x - y).abs()).exp().ln_1p()
}

/// log2(2ˣ + 2ʸ) = max + log1p(2^−|x−y|)/ln 2.
#[inline(always)]
fn logaddexp2_f<F: Flt>(x: F, y: F) -> F {
    if x == y && x.is_infinite() {
        return x;
    }
    x.max(y) + (-(x - y).abs()).exp2().ln_1p() * F::k(std::f64::consts::LOG2_E)
}
