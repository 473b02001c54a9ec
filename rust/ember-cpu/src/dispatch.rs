//! The dtype `match`, written once. `dtype_arms!` is the one mechanism: given a dtype and a
//! category's list of (DType variant => Rust type) pairs, it compiles `body` once per listed
//! dtype with `T` bound to that dtype's Rust type, and evaluates `err` for any other dtype.
//! Every category below is nothing but such a list, so a category can't drift from another
//! (a new dtype is one line in each list it belongs to), and the generated code is the plain
//! `match` a hand-written one would be (monomorphised per listed type, nothing more).
//!
//! | macro                    | dtypes                                            | used for                         |
//! |--------------------------|---------------------------------------------------|----------------------------------|
//! | `with_dtype!`            | all 15                                            | copies, fills, elementwise       |
//! | `with_real_dtype!`       | all but complex                                   | per-pair casts, ordering ops     |
//! | `with_float_dtype!`      | float16, bfloat16, float32, float64               | float-only math                  |
//! | `with_int_dtype!`        | the 8 integer dtypes (not bool)                   | integer-only math                |
//! | `with_bits_dtype!`       | bool and the 8 integer dtypes                     | bitwise ops and shifts           |
//! | `with_sum_dtype!`        | the inexact dtypes and int64                      | sum/prod accumulators            |
//! | `with_f32_f64_dtype!`    | float32, float64                                  | nn kernels, fused losses, optim  |
//! | `with_wide_float_dtype!` | float32 as f32; float64/float16/bfloat16 as f64   | host accumulation of any float   |
//!
//! The body is an expression; `err` is an expression of the same type (often `return Err(..)`).

/// The one dtype dispatch: `dtype_arms!(dt, T => body, err; F32 => f32, F64 => f64)`.
#[doc(hidden)]
#[macro_export]
macro_rules! dtype_arms {
    ($dt:expr, $T:ident => $body:expr, $err:expr; $($D:ident => $R:ty),+ $(,)?) => {
        match $dt {
            $($crate::DType::$D => {
                type $T = $R;
                $body
            })+
            #[allow(unreachable_patterns)]
            _ => $err,
        }
    };
}

/// Every dtype (complex included).
#[macro_export]
macro_rules! with_dtype {
    ($dt:expr, $T:ident => $body:expr) => {
        $crate::dtype_arms!($dt, $T => $body, unreachable!("every dtype is listed");
            Bool => bool, U8 => u8, I8 => i8, I16 => i16, I32 => i32, I64 => i64, U16 => u16, U32 => u32, U64 => u64,
            F16 => half::f16, BF16 => half::bf16, F32 => f32, F64 => f64, C64 => $crate::C64, C128 => $crate::C128)
    };
}

/// The real dtypes (everything but complex); complex produces `$err`. For code instantiated
/// per pair of dtypes (casts), where complex pairs go a cheaper way.
#[macro_export]
macro_rules! with_real_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        $crate::dtype_arms!($dt, $T => $body, $err;
            Bool => bool, U8 => u8, I8 => i8, I16 => i16, I32 => i32, I64 => i64, U16 => u16, U32 => u32, U64 => u64,
            F16 => half::f16, BF16 => half::bf16, F32 => f32, F64 => f64)
    };
}

/// Floating dtypes only; others produce `$err`.
#[macro_export]
macro_rules! with_float_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        $crate::dtype_arms!($dt, $T => $body, $err; F16 => half::f16, BF16 => half::bf16, F32 => f32, F64 => f64)
    };
}

/// Integer dtypes (not bool) only; others produce `$err`.
#[macro_export]
macro_rules! with_int_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        $crate::dtype_arms!($dt, $T => $body, $err;
            U8 => u8, I8 => i8, I16 => i16, I32 => i32, I64 => i64, U16 => u16, U32 => u32, U64 => u64)
    };
}

/// Bool and the integer dtypes (what bitwise ops and shifts accept); others produce `$err`.
#[macro_export]
macro_rules! with_bits_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        $crate::dtype_arms!($dt, $T => $body, $err;
            Bool => bool, U8 => u8, I8 => i8, I16 => i16, I32 => i32, I64 => i64, U16 => u16, U32 => u32, U64 => u64)
    };
}

/// The dtypes sum/prod accumulate in (`reduce::compute_dtype`'s results): the inexact dtypes
/// as they are and int64; others produce `$err`.
#[macro_export]
macro_rules! with_sum_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        $crate::dtype_arms!($dt, $T => $body, $err;
            F32 => f32, F64 => f64, F16 => half::f16, BF16 => half::bf16, I64 => i64, C64 => $crate::C64, C128 => $crate::C128)
    };
}

/// float32 and float64 (the dtypes of the nn kernels, fused losses and optimizer steps);
/// others produce `$err`.
#[macro_export]
macro_rules! with_f32_f64_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        $crate::dtype_arms!($dt, $T => $body, $err; F32 => f32, F64 => f64)
    };
}

/// A float dtype's host accumulation type: float32 runs as f32, float64 and the half types as
/// f64 (the caller converts the result back to the input's dtype); others produce `$err`.
#[macro_export]
macro_rules! with_wide_float_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        $crate::dtype_arms!($dt, $T => $body, $err; F32 => f32, F64 => f64, F16 => f64, BF16 => f64)
    };
}

/// The error for a dtype a kernel category does not cover (callers validate first, so this
/// names an internal inconsistency rather than bad user input).
pub fn unsupported_dtype(op: &str, dt: crate::DType) -> crate::Error {
    crate::Error::runtime(format!("{op}: no host kernel for dtype {}", dt.name()))
}
