//! The dtype `match`, written once. `with_dtype!(dt, T => body)` compiles `body` once per
//! dtype with `T` bound to that dtype's Rust type.

#[macro_export]
macro_rules! with_dtype {
    ($dt:expr, $T:ident => $body:expr) => {
        $crate::with_real_dtype!($dt, $T => $body, match $dt {
            $crate::DType::C64 => {
                type $T = $crate::C64;
                $body
            }
            _ => {
                type $T = $crate::C128;
                $body
            }
        })
    };
}

/// The real dtypes (everything but complex); complex produces `$err`. For code instantiated
/// per pair of dtypes (casts), where complex pairs go a cheaper way.
#[macro_export]
macro_rules! with_real_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        match $dt {
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::U16 => {
                type $T = u16;
                $body
            }
            $crate::DType::U32 => {
                type $T = u32;
                $body
            }
            $crate::DType::U64 => {
                type $T = u64;
                $body
            }
            $crate::DType::F16 => {
                type $T = half::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $T = half::bf16;
                $body
            }
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            _ => $err,
        }
    };
}

/// Floating dtypes only; others produce `$err`.
#[macro_export]
macro_rules! with_float_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        match $dt {
            $crate::DType::F16 => {
                type $T = half::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $T = half::bf16;
                $body
            }
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            _ => $err,
        }
    };
}

/// Integer dtypes (not bool) only; others produce `$err`.
#[macro_export]
macro_rules! with_int_dtype {
    ($dt:expr, $T:ident => $body:expr, $err:expr) => {
        match $dt {
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::U16 => {
                type $T = u16;
                $body
            }
            $crate::DType::U32 => {
                type $T = u32;
                $body
            }
            $crate::DType::U64 => {
                type $T = u64;
                $body
            }
            _ => $err,
        }
    };
}
