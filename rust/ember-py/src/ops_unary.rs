//! Unary ops and activations: Tensor methods, their in-place forms, and `ember._native`
//! functions for `ember.nn.functional`.
use crate::convert::{arg, scalar};
use crate::tensor::{run, wrap, PyTensor};
use ember::ops::compare::{bitwise_not, logical_not};
use ember::ops::ternary;
use ember::ops::unary::{predicate, round_decimals, unary, unary_, Params, Pred, UOp};
use ember::promote::Arg;
use ember::{Scalar, Tensor};
use pyo3::exceptions::{PyNotImplementedError, PyValueError};
use pyo3::prelude::*;

fn un(py: Python<'_>, t: &Tensor, op: UOp, p: Params) -> PyResult<Py<PyAny>> {
    wrap(py, run(py, t.numel(), || unary(t, op, p))?)
}

fn un_(slf: &Bound<'_, PyTensor>, op: UOp, p: Params) -> PyResult<Py<PyAny>> {
    let t = &slf.get().operand();
    run(slf.py(), t.numel(), || unary_(t, op, p))?;
    Ok(slf.clone().into_any().unbind())
}

fn p1(a: f64) -> Params {
    Params { a, b: 0.0, c: 0.0 }
}
fn p2(a: f64, b: f64) -> Params {
    Params { a, b, c: 0.0 }
}

const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

fn gelu_op(approximate: &str) -> PyResult<UOp> {
    match approximate {
        "none" => Ok(UOp::Gelu),
        "tanh" => Ok(UOp::GeluTanh),
        other => Err(PyValueError::new_err(format!("approximate argument must be either none or tanh, got '{other}'"))),
    }
}

/// PyTorch keeps `sign` real-only and points complex callers at `sgn` (one kernel here).
fn refuse_complex_sign(name: &str, t: &Tensor) -> PyResult<()> {
    if name.trim_end_matches('_') == "sign" && t.dtype().is_complex() {
        return Err(PyNotImplementedError::new_err(
            "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use torch.sgn instead.",
        ));
    }
    Ok(())
}

/// The unary op table's methods with no arguments, and their in-place forms (`name_`).
macro_rules! unary_methods {
    ($($v:ident => $aten:literal, $grad:literal, x: $sx:literal, y: $sy:literal, int: $ik:ident $(($($ia:tt)*))?,
       f: $f:expr, wgsl: {$($wd:ident: $we:literal),*}, py: [$($name:ident $name_:ident),*], torch: $torch:literal;)*) => {
        #[pymethods]
        impl PyTensor {
            $($(
                fn $name(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                    refuse_complex_sign(stringify!($name), &self.t)?;
                    un(py, &self.operand(), UOp::$v, Params::default())
                }
                fn $name_(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
                    refuse_complex_sign(stringify!($name_), &slf.get().t)?;
                    un_(slf, UOp::$v, Params::default())
                }
            )*)*
        }
    };
}

ember::unary_ops!(unary_methods);

/// The unary table's names that are also `ember.*` functions (Python forwards them).
#[pyfunction]
fn _unary_functions() -> Vec<&'static str> {
    ember::ops::unary::TORCH_FUNCTIONS.iter().copied().filter(|n| !n.is_empty()).collect()
}

/// `Some(v)` for a given bound, `None` for a missing or None one.
fn bound(o: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Arg>> {
    match o {
        Some(v) if !v.is_none() => Ok(Some(arg(v)?)),
        _ => Ok(None),
    }
}

fn clamp_impl(py: Python<'_>, t: &Tensor, min: Option<&Bound<'_, PyAny>>, max: Option<&Bound<'_, PyAny>>) -> PyResult<Tensor> {
    let (lo, hi) = (bound(min)?, bound(max)?);
    run(py, t.numel(), || ternary::clamp(t, lo.as_ref(), hi.as_ref()))
}

fn write_back(slf: &Bound<'_, PyTensor>, r: Tensor, op: UOp, p: Params) -> PyResult<Py<PyAny>> {
    // Scalar clamp in place goes through the kernel (keeps history right); tensor bounds copy.
    let t = &slf.get().operand();
    if r.dtype() != t.dtype() {
        return Err(crate::error::to_py(ember::Error::Cast { from: r.dtype(), to: t.dtype() }));
    }
    let _ = (op, p);
    run(slf.py(), t.numel(), || t.copy_(&r))?;
    Ok(slf.clone().into_any().unbind())
}

fn scalar_bound(o: Option<&Bound<'_, PyAny>>, dflt: f64) -> PyResult<Option<f64>> {
    match o {
        None => Ok(Some(dflt)),
        Some(v) if v.is_none() => Ok(Some(dflt)),
        Some(v) => Ok(scalar(v)?.map(|s| s.to_f64())),
    }
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (min=None, max=None))]
    fn clamp(&self, py: Python<'_>, min: Option<&Bound<'_, PyAny>>, max: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("clamp", || wrap(py, clamp_impl(py, &self.operand(), min, max)?))
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clip(&self, py: Python<'_>, min: Option<&Bound<'_, PyAny>>, max: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("clip", || wrap(py, clamp_impl(py, &self.operand(), min, max)?))
    }
    fn clamp_min(&self, py: Python<'_>, min: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("clamp_min", || wrap(py, clamp_impl(py, &self.operand(), Some(min), None)?))
    }
    fn clamp_max(&self, py: Python<'_>, max: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("clamp_max", || wrap(py, clamp_impl(py, &self.operand(), None, Some(max))?))
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clamp_(slf: &Bound<'_, Self>, min: Option<&Bound<'_, PyAny>>, max: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("clamp_", || {
            let t = &slf.get().operand();
            if min.is_none_or(|m| m.is_none()) && max.is_none_or(|m| m.is_none()) {
                return Err(pyo3::exceptions::PyRuntimeError::new_err("torch.clamp: At least one of 'min' or 'max' must not be None"));
            }
            if let (Some(lo), Some(hi)) = (scalar_bound(min, f64::NEG_INFINITY)?, scalar_bound(max, f64::INFINITY)?) {
                let kinds_ok = t.dtype().is_float() || (lo.fract() == 0.0 || lo.is_infinite()) && (hi.fract() == 0.0 || hi.is_infinite());
                if kinds_ok {
                    return un_(slf, UOp::Clamp, p2(lo, hi));
                }
            }
            let r = clamp_impl(slf.py(), t, min, max)?;
            write_back(slf, r, UOp::Clamp, Params::default())
        })
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clip_(slf: &Bound<'_, Self>, min: Option<&Bound<'_, PyAny>>, max: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("clip_", || Self::clamp_(slf, min, max))
    }
    #[pyo3(signature = (decimals=0))]
    fn round(&self, py: Python<'_>, decimals: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("round", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || round_decimals(t, decimals))?)
        })
    }
    #[pyo3(signature = (decimals=0))]
    fn round_(slf: &Bound<'_, Self>, decimals: i64) -> PyResult<Py<PyAny>> {
        crate::guard::guard("round_", || {
            if decimals == 0 {
                return un_(slf, UOp::Round, Params::default());
            }
            let t = &slf.get().operand();
            let r = run(slf.py(), t.numel(), || round_decimals(t, decimals))?;
            write_back(slf, r, UOp::Round, Params::default())
        })
    }
    #[pyo3(signature = (eps=None))]
    fn logit(&self, py: Python<'_>, eps: Option<f64>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("logit", || un(py, &self.operand(), UOp::Logit, p1(eps.unwrap_or(-1.0))))
    }
    #[pyo3(signature = (eps=None))]
    fn logit_(slf: &Bound<'_, Self>, eps: Option<f64>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("logit_", || un_(slf, UOp::Logit, p1(eps.unwrap_or(-1.0))))
    }
    #[pyo3(signature = (*, approximate="none"))]
    fn gelu(&self, py: Python<'_>, approximate: &str) -> PyResult<Py<PyAny>> {
        crate::guard::guard("gelu", || un(py, &self.operand(), gelu_op(approximate)?, Params::default()))
    }
    #[pyo3(signature = (nan=0.0, posinf=None, neginf=None))]
    fn nan_to_num(&self, py: Python<'_>, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("nan_to_num", || {
            let t = &self.operand();
            if !t.dtype().is_float() {
                return wrap(py, run(py, t.numel(), || t.contiguous_copy())?);
            }
            let (hi, lo) = finite_limits(t.dtype());
            un(py, t, UOp::NanToNum, Params { a: nan, b: posinf.unwrap_or(hi), c: neginf.unwrap_or(lo) })
        })
    }
    #[pyo3(signature = (nan=0.0, posinf=None, neginf=None))]
    fn nan_to_num_(slf: &Bound<'_, Self>, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("nan_to_num_", || {
            let t = &slf.get().operand();
            if !t.dtype().is_float() {
                return Ok(slf.clone().into_any().unbind());
            }
            let (hi, lo) = finite_limits(t.dtype());
            un_(slf, UOp::NanToNum, Params { a: nan, b: posinf.unwrap_or(hi), c: neginf.unwrap_or(lo) })
        })
    }
    fn isnan(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("isnan", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || predicate(t, Pred::IsNan))?)
        })
    }
    fn isinf(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("isinf", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || predicate(t, Pred::IsInf))?)
        })
    }
    fn isfinite(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("isfinite", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || predicate(t, Pred::IsFinite))?)
        })
    }
    fn isposinf(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("isposinf", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || predicate(t, Pred::IsPosInf))?)
        })
    }
    fn isneginf(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("isneginf", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || predicate(t, Pred::IsNegInf))?)
        })
    }
    fn signbit(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("signbit", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || predicate(t, Pred::SignBit))?)
        })
    }
    fn logical_not(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("logical_not", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || logical_not(t))?)
        })
    }
    fn bitwise_not(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("bitwise_not", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || bitwise_not(t))?)
        })
    }
    fn __invert__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__invert__", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || bitwise_not(t))?)
        })
    }
    fn __abs__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__abs__", || un(py, &self.operand(), UOp::Abs, Params::default()))
    }
    fn __pos__(slf: &Bound<'_, Self>) -> Py<PyAny> {
        slf.clone().into_any().unbind()
    }
    fn positive(slf: &Bound<'_, Self>) -> Py<PyAny> {
        slf.clone().into_any().unbind()
    }
    fn masked_fill(&self, py: Python<'_>, mask: &Bound<'_, PyTensor>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("masked_fill", || {
            let v = arg(value)?;
            let (t, m) = (&self.operand(), &mask.get().operand());
            wrap(py, run(py, t.numel(), || ternary::masked_fill(t, m, &v))?)
        })
    }
    fn masked_fill_(slf: &Bound<'_, Self>, mask: &Bound<'_, PyTensor>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("masked_fill_", || {
            let v = arg(value)?;
            let (t, m) = (&slf.get().operand(), &mask.get().operand());
            run(slf.py(), t.numel(), || ternary::masked_fill_(t, m, &v))?;
            Ok(slf.clone().into_any().unbind())
        })
    }
    #[pyo3(name = "where")]
    fn where_m(&self, py: Python<'_>, condition: &Bound<'_, PyTensor>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("where_m", || {
            let o = arg(other)?;
            let (t, c) = (&self.operand(), &condition.get().operand());
            wrap(py, run(py, t.numel(), || ternary::where_(c, &Arg::T(t.clone()), &o))?)
        })
    }
    fn lerp(&self, py: Python<'_>, end: &Bound<'_, PyTensor>, weight: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("lerp", || {
            let w = arg(weight)?;
            let (t, e) = (&self.operand(), &end.get().operand());
            wrap(py, run(py, t.numel(), || ternary::lerp(t, e, &w))?)
        })
    }
    fn lerp_(slf: &Bound<'_, Self>, end: &Bound<'_, PyTensor>, weight: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("lerp_", || {
            let w = arg(weight)?;
            let (t, e) = (&slf.get().operand(), &end.get().operand());
            let r = run(slf.py(), t.numel(), || ternary::lerp(t, e, &w))?;
            write_back(slf, r, UOp::Neg, Params::default())
        })
    }
    #[pyo3(signature = (tensor1, tensor2, *, value=None))]
    fn addcmul(
        &self,
        py: Python<'_>,
        tensor1: &Bound<'_, PyTensor>,
        tensor2: &Bound<'_, PyTensor>,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("addcmul", || {
            let v = value.map(scalar).transpose()?.flatten().unwrap_or(Scalar::Int(1));
            wrap(py, {
                let (t, a, b) = (&self.operand(), &tensor1.get().operand(), &tensor2.get().operand());
                run(py, t.numel().max(a.numel()).max(b.numel()), || ternary::addc(false, t, a, b, v))?
            })
        })
    }
    #[pyo3(signature = (tensor1, tensor2, *, value=None))]
    fn addcdiv(
        &self,
        py: Python<'_>,
        tensor1: &Bound<'_, PyTensor>,
        tensor2: &Bound<'_, PyTensor>,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("addcdiv", || {
            let v = value.map(scalar).transpose()?.flatten().unwrap_or(Scalar::Int(1));
            wrap(py, {
                let (t, a, b) = (&self.operand(), &tensor1.get().operand(), &tensor2.get().operand());
                run(py, t.numel().max(a.numel()).max(b.numel()), || ternary::addc(true, t, a, b, v))?
            })
        })
    }
    #[pyo3(signature = (tensor1, tensor2, *, value=None))]
    fn addcmul_(
        slf: &Bound<'_, Self>,
        tensor1: &Bound<'_, PyTensor>,
        tensor2: &Bound<'_, PyTensor>,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("addcmul_", || {
            let v = value.map(scalar).transpose()?.flatten().unwrap_or(Scalar::Int(1));
            let r = {
                let (t, a, b) = (&slf.get().operand(), &tensor1.get().operand(), &tensor2.get().operand());
                run(slf.py(), t.numel().max(a.numel()).max(b.numel()), || ternary::addc(false, t, a, b, v))?
            };
            write_back(slf, r, UOp::Neg, Params::default())
        })
    }
    #[pyo3(signature = (tensor1, tensor2, *, value=None))]
    fn addcdiv_(
        slf: &Bound<'_, Self>,
        tensor1: &Bound<'_, PyTensor>,
        tensor2: &Bound<'_, PyTensor>,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("addcdiv_", || {
            let v = value.map(scalar).transpose()?.flatten().unwrap_or(Scalar::Int(1));
            let r = {
                let (t, a, b) = (&slf.get().operand(), &tensor1.get().operand(), &tensor2.get().operand());
                run(slf.py(), t.numel().max(a.numel()).max(b.numel()), || ternary::addc(true, t, a, b, v))?
            };
            write_back(slf, r, UOp::Neg, Params::default())
        })
    }
}

fn finite_limits(d: ember::DType) -> (f64, f64) {
    let m = match d {
        ember::DType::F16 => 65504.0,
        ember::DType::BF16 => 3.389_531_389_251_535_5e38,
        ember::DType::F32 => f32::MAX as f64,
        _ => f64::MAX,
    };
    (m, -m)
}

/// An activation for nn.functional: `op(x)`, or in place when `inplace`.
fn act(x: &Bound<'_, PyTensor>, op: UOp, p: Params, inplace: bool) -> PyResult<Py<PyAny>> {
    if inplace {
        un_(x, op, p)
    } else {
        un(x.py(), &x.get().operand(), op, p)
    }
}

#[pyfunction]
#[pyo3(signature = (x, negative_slope=0.01, inplace=false))]
fn leaky_relu(x: &Bound<'_, PyTensor>, negative_slope: f64, inplace: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("leaky_relu", || act(x, UOp::LeakyRelu, p1(negative_slope), inplace))
}
#[pyfunction]
#[pyo3(signature = (x, alpha=1.0, inplace=false))]
fn elu(x: &Bound<'_, PyTensor>, alpha: f64, inplace: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("elu", || act(x, UOp::Elu, Params { a: alpha, b: 1.0, c: 1.0 }, inplace))
}
#[pyfunction]
#[pyo3(signature = (x, inplace=false))]
fn selu(x: &Bound<'_, PyTensor>, inplace: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("selu", || act(x, UOp::Elu, Params { a: SELU_ALPHA, b: SELU_SCALE, c: 1.0 }, inplace))
}
#[pyfunction]
#[pyo3(signature = (x, alpha=1.0, inplace=false))]
fn celu(x: &Bound<'_, PyTensor>, alpha: f64, inplace: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("celu", || act(x, UOp::Elu, Params { a: alpha, b: 1.0, c: 1.0 / alpha }, inplace))
}
#[pyfunction]
#[pyo3(signature = (x, approximate="none"))]
fn gelu(x: &Bound<'_, PyTensor>, approximate: &str) -> PyResult<Py<PyAny>> {
    crate::guard::guard("gelu", || act(x, gelu_op(approximate)?, Params::default(), false))
}
#[pyfunction]
#[pyo3(signature = (x, inplace=false))]
fn silu(x: &Bound<'_, PyTensor>, inplace: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("silu", || act(x, UOp::Silu, Params::default(), inplace))
}
#[pyfunction]
#[pyo3(signature = (x, inplace=false))]
fn mish(x: &Bound<'_, PyTensor>, inplace: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("mish", || act(x, UOp::Mish, Params::default(), inplace))
}
#[pyfunction]
#[pyo3(signature = (x, beta=1.0, threshold=20.0))]
fn softplus(x: &Bound<'_, PyTensor>, beta: f64, threshold: f64) -> PyResult<Py<PyAny>> {
    crate::guard::guard("softplus", || act(x, UOp::Softplus, p2(beta, threshold), false))
}
#[pyfunction]
#[pyo3(signature = (x, min_val=-1.0, max_val=1.0, inplace=false))]
fn hardtanh(x: &Bound<'_, PyTensor>, min_val: f64, max_val: f64, inplace: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("hardtanh", || {
        if min_val > max_val {
            return Err(PyValueError::new_err("min_val cannot be greater than max_val"));
        }
        act(x, UOp::Hardtanh, p2(min_val, max_val), inplace)
    })
}
#[pyfunction]
#[pyo3(signature = (x, inplace=false))]
fn relu6(x: &Bound<'_, PyTensor>, inplace: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("relu6", || act(x, UOp::Relu6, Params::default(), inplace))
}
#[pyfunction]
#[pyo3(signature = (x, inplace=false))]
fn hardsigmoid(x: &Bound<'_, PyTensor>, inplace: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("hardsigmoid", || act(x, UOp::Hardsigmoid, Params::default(), inplace))
}
#[pyfunction]
#[pyo3(signature = (x, inplace=false))]
fn hardswish(x: &Bound<'_, PyTensor>, inplace: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("hardswish", || act(x, UOp::Hardswish, Params::default(), inplace))
}
#[pyfunction]
fn logsigmoid(x: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("logsigmoid", || act(x, UOp::LogSigmoid, Params::default(), false))
}

/// `ember.where(cond, x, y)`; `where(cond)` alone is `nonzero(as_tuple=True)`, left to indexing.
#[pyfunction]
#[pyo3(name = "where")]
fn where_f(py: Python<'_>, condition: &Bound<'_, PyTensor>, input: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("where_f", || {
        let (x, y) = (arg(input)?, arg(other)?);
        let c = &condition.get().operand();
        wrap(py, run(py, c.numel(), || ternary::where_(c, &x, &y))?)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_unary_functions, m)?)?;
    m.add_function(wrap_pyfunction!(leaky_relu, m)?)?;
    m.add_function(wrap_pyfunction!(elu, m)?)?;
    m.add_function(wrap_pyfunction!(selu, m)?)?;
    m.add_function(wrap_pyfunction!(celu, m)?)?;
    m.add_function(wrap_pyfunction!(gelu, m)?)?;
    m.add_function(wrap_pyfunction!(silu, m)?)?;
    m.add_function(wrap_pyfunction!(mish, m)?)?;
    m.add_function(wrap_pyfunction!(softplus, m)?)?;
    m.add_function(wrap_pyfunction!(hardtanh, m)?)?;
    m.add_function(wrap_pyfunction!(relu6, m)?)?;
    m.add_function(wrap_pyfunction!(hardsigmoid, m)?)?;
    m.add_function(wrap_pyfunction!(hardswish, m)?)?;
    m.add_function(wrap_pyfunction!(logsigmoid, m)?)?;
    m.add_function(wrap_pyfunction!(where_f, m)?)?;
    Ok(())
}
