//! Arithmetic operators and their in-place forms.
use crate::convert::{arg, try_arg};
use crate::tensor::{run, wrap, PyTensor};
use ember::ops::binary::{binary, binary_};
use ember::ops::compare::{bitwise, bitwise_, compare, compare_, BitOp, CmpOp};
use ember::ops::BinaryOp;
use ember::promote::Arg;
use pyo3::prelude::*;

fn bin(py: Python<'_>, op: BinaryOp, a: &Arg, b: &Arg) -> PyResult<Py<PyAny>> {
    let work = a.shape().iter().product::<usize>().max(b.shape().iter().product());
    let out = run(py, work, || binary(op, a, b))?;
    wrap(py, out)
}

/// Binary dunder: NotImplemented for operand types we don't know (Python then tries the
/// reflected method of the other operand).
fn dunder(slf: &Bound<'_, PyTensor>, other: &Bound<'_, PyAny>, op: BinaryOp, reflected: bool) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let Some(o) = try_arg(other) else { return Ok(py.NotImplemented()) };
    let s = Arg::T(slf.get().operand().clone());
    if reflected {
        bin(py, op, &o, &s)
    } else {
        bin(py, op, &s, &o)
    }
}

fn inplace(slf: &Bound<'_, PyTensor>, other: &Bound<'_, PyAny>, op: BinaryOp) -> PyResult<Py<PyAny>> {
    let o = arg(other)?;
    let t = &slf.get().operand();
    run(slf.py(), t.numel(), || binary_(op, t, &o))?;
    Ok(slf.clone().into_any().unbind())
}

/// `alpha * other` as an Arg, for `add(other, alpha=)`.
fn scaled(py: Python<'_>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Arg> {
    let o = arg(other)?;
    match alpha {
        None => Ok(o),
        Some(a) => {
            let a = arg(a)?;
            let work = o.shape().iter().product();
            Ok(Arg::T(run(py, work, || binary(BinaryOp::Mul, &o, &a))?))
        }
    }
}

#[pymethods]
impl PyTensor {
    fn __add__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__add__", || dunder(slf, o, BinaryOp::Add, false))
    }
    fn __radd__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__radd__", || dunder(slf, o, BinaryOp::Add, true))
    }
    fn __sub__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__sub__", || dunder(slf, o, BinaryOp::Sub, false))
    }
    fn __rsub__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__rsub__", || dunder(slf, o, BinaryOp::Sub, true))
    }
    fn __mul__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__mul__", || dunder(slf, o, BinaryOp::Mul, false))
    }
    fn __rmul__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__rmul__", || dunder(slf, o, BinaryOp::Mul, true))
    }
    fn __truediv__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__truediv__", || dunder(slf, o, BinaryOp::Div, false))
    }
    fn __rtruediv__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__rtruediv__", || dunder(slf, o, BinaryOp::Div, true))
    }
    fn __iadd__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::guard::guard("__iadd__", || inplace(slf, o, BinaryOp::Add).map(|_| ()))
    }
    fn __isub__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::guard::guard("__isub__", || inplace(slf, o, BinaryOp::Sub).map(|_| ()))
    }
    fn __imul__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::guard::guard("__imul__", || inplace(slf, o, BinaryOp::Mul).map(|_| ()))
    }
    fn __itruediv__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::guard::guard("__itruediv__", || inplace(slf, o, BinaryOp::Div).map(|_| ()))
    }
    fn __neg__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__neg__", || {
            let t = &self.operand();
            wrap(py, run(py, t.numel(), || t.neg())?)
        })
    }
    fn __hash__(&self) -> isize {
        std::sync::Arc::as_ptr(&self.operand().0) as isize
    }
    #[pyo3(signature = (other, *, alpha=None))]
    pub(crate) fn add(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("add", || {
            let o = scaled(slf.py(), other, alpha)?;
            bin(slf.py(), BinaryOp::Add, &Arg::T(slf.get().operand().clone()), &o)
        })
    }
    #[pyo3(signature = (other, *, alpha=None))]
    pub(crate) fn sub(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("sub", || {
            let o = scaled(slf.py(), other, alpha)?;
            bin(slf.py(), BinaryOp::Sub, &Arg::T(slf.get().operand().clone()), &o)
        })
    }
    pub(crate) fn mul(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("mul", || bin(slf.py(), BinaryOp::Mul, &Arg::T(slf.get().operand().clone()), &arg(other)?))
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn add_(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("add_", || {
            let o = scaled(slf.py(), other, alpha)?;
            let t = &slf.get().operand();
            run(slf.py(), t.numel(), || binary_(BinaryOp::Add, t, &o))?;
            Ok(slf.clone().into_any().unbind())
        })
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn sub_(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("sub_", || {
            let o = scaled(slf.py(), other, alpha)?;
            let t = &slf.get().operand();
            run(slf.py(), t.numel(), || binary_(BinaryOp::Sub, t, &o))?;
            Ok(slf.clone().into_any().unbind())
        })
    }
    fn mul_(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("mul_", || inplace(slf, other, BinaryOp::Mul))
    }
    #[pyo3(signature = (dtype=None, *args, **kwargs))]
    fn to<'py>(
        slf: &Bound<'py, Self>,
        dtype: Option<&Bound<'_, PyAny>>,
        args: &Bound<'_, pyo3::types::PyTuple>,
        kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        crate::guard::guard("to", || {
            // to(dtype) / to(device) / to(device, dtype) / to(other) / to(dtype=..)
            let mut want = None;
            let mut device = None;
            let mut cands: Vec<Bound<'_, PyAny>> = dtype.into_iter().cloned().collect();
            cands.extend(args.iter());
            if let Some(kw) = kwargs {
                if let Some(d) = kw.get_item("dtype")? {
                    cands.push(d);
                }
                if let Some(d) = kw.get_item("device")? {
                    cands.push(d);
                }
            }
            for c in &cands {
                if let Ok(t) = c.cast::<PyTensor>() {
                    want = Some(t.get().operand().dtype());
                    device = Some(t.get().operand().device());
                } else if let Some(d) = crate::convert::maybe_dtype(c) {
                    want = Some(d);
                } else if c.is_instance_of::<pyo3::types::PyString>() || c.cast::<crate::dtype::PyDevice>().is_ok() {
                    device = Some(crate::dtype::PyDevice::new_checked(c)?.to_device()?);
                } else if !c.is_none() && !c.is_instance_of::<pyo3::types::PyBool>() {
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                        "to() received an invalid combination of arguments: {}",
                        c.repr()?
                    )));
                }
            }
            let t = &slf.get().operand();
            // .to("wgpu", float32) of float64 host data converts on the host first (the GPU has no f64).
            let pre = match (want, device) {
                (Some(d), Some(ember::Device::Wgpu(_))) if t.device().is_host() && d != t.dtype() => {
                    Some(run(slf.py(), t.numel(), || t.to_dtype(d))?)
                }
                _ => None,
            };
            let t = pre.as_ref().unwrap_or(t);
            let moved = match device {
                Some(dev) if dev != t.device() => Some(run(slf.py(), t.numel(), || t.to_device(dev))?),
                _ => None,
            };
            let src = moved.as_ref().unwrap_or(t);
            match want {
                Some(d) if d != src.dtype() => wrap(slf.py(), run(slf.py(), src.numel(), || src.to_dtype(d))?),
                _ => match moved {
                    Some(m) => wrap(slf.py(), m),
                    None => Ok(slf.clone().into_any().unbind()),
                },
            }
        })
    }
}

fn cmp_dunder(slf: &Bound<'_, PyTensor>, other: &Bound<'_, PyAny>, op: CmpOp) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let Some(o) = try_arg(other) else { return Ok(py.NotImplemented()) };
    let t = &slf.get().operand();
    wrap(py, run(py, t.numel(), || compare(op, &Arg::T(t.clone()), &o))?)
}

fn bit_dunder(slf: &Bound<'_, PyTensor>, other: &Bound<'_, PyAny>, op: BitOp, reflected: bool) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let Some(o) = try_arg(other) else { return Ok(py.NotImplemented()) };
    let s = Arg::T(slf.get().operand().clone());
    let (a, b) = if reflected { (&o, &s) } else { (&s, &o) };
    wrap(py, run(py, slf.get().operand().numel(), || bitwise(op, a, b))?)
}

fn bit_inplace(slf: &Bound<'_, PyTensor>, other: &Bound<'_, PyAny>, op: BitOp) -> PyResult<Py<PyAny>> {
    let o = arg(other)?;
    let t = &slf.get().operand();
    run(slf.py(), t.numel(), || bitwise_(op, t, &o))?;
    Ok(slf.clone().into_any().unbind())
}

/// Python operators: `(name, reflected name, in-place name) => op`.
macro_rules! dunders {
    ($($f:ident, $r:ident, $i:ident => $op:ident),* $(,)?) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $f(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    dunder(slf, o, BinaryOp::$op, false)
                }
                fn $r(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    dunder(slf, o, BinaryOp::$op, true)
                }
                fn $i(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
                    inplace(slf, o, BinaryOp::$op).map(|_| ())
                }
            )*
        }
    };
}
dunders!(__floordiv__, __rfloordiv__, __ifloordiv__ => DivFloor, __mod__, __rmod__, __imod__ => Rem);

#[pymethods]
impl PyTensor {
    fn __pow__(slf: &Bound<'_, Self>, exponent: &Bound<'_, PyAny>, modulo: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__pow__", || {
            let _ = modulo;
            dunder(slf, exponent, BinaryOp::Pow, false)
        })
    }
    fn __rpow__(slf: &Bound<'_, Self>, base: &Bound<'_, PyAny>, modulo: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__rpow__", || {
            let _ = modulo;
            dunder(slf, base, BinaryOp::Pow, true)
        })
    }
    fn __ipow__(slf: &Bound<'_, Self>, exponent: &Bound<'_, PyAny>, modulo: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        crate::guard::guard("__ipow__", || {
            let _ = modulo;
            inplace(slf, exponent, BinaryOp::Pow).map(|_| ())
        })
    }
}

/// The binary op table's named methods and their in-place forms.
macro_rules! bin_methods {
    ($($v:ident => $aten:literal, $grad:literal, x: $sx:literal, y: $sy:literal, int: $ik:ident,
       exact: [$($ex:expr)?], complex: $cx:tt, f: $fm:expr, wgsl: {$($wd:ident: $we:literal),*},
       py: [$($f:ident $i:ident),*], torch: $torch:literal;)*) => {
        #[pymethods]
        impl PyTensor {
            $($(
                fn $f(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    bin(slf.py(), BinaryOp::$v, &Arg::T(slf.get().operand().clone()), &arg(other)?)
                }
                fn $i(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    inplace(slf, other, BinaryOp::$v)
                }
            )*)*
        }
    };
}
ember::binary_ops!(bin_methods);

/// The binary table's names that are also `ember.*` functions (Python forwards them).
#[pyfunction]
fn _binary_functions() -> Vec<&'static str> {
    ember::ops::binary::TORCH_FUNCTIONS.iter().copied().filter(|n| !n.is_empty()).collect()
}

macro_rules! cmp_methods {
    ($($f:ident, $i:ident => $op:ident),* $(,)?) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $f(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    let o = arg(other)?;
                    let t = &slf.get().operand();
                    wrap(slf.py(), run(slf.py(), t.numel(), || compare(CmpOp::$op, &Arg::T(t.clone()), &o))?)
                }
                fn $i(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    let o = arg(other)?;
                    let t = &slf.get().operand();
                    run(slf.py(), t.numel(), || compare_(CmpOp::$op, t, &o))?;
                    Ok(slf.clone().into_any().unbind())
                }
            )*
        }
    };
}
cmp_methods!(
    eq, eq_ => Eq, ne, ne_ => Ne, not_equal, not_equal_ => Ne, lt, lt_ => Lt, less, less_ => Lt, le, le_ => Le,
    less_equal, less_equal_ => Le, gt, gt_ => Gt, greater, greater_ => Gt, ge, ge_ => Ge,
    greater_equal, greater_equal_ => Ge, logical_and, logical_and_ => LogicalAnd, logical_or, logical_or_ => LogicalOr,
    logical_xor, logical_xor_ => LogicalXor,
);

macro_rules! bit_methods {
    ($($f:ident, $r:ident, $i:ident, $m:ident, $mi:ident => $op:ident),* $(,)?) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $f(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    bit_dunder(slf, o, BitOp::$op, false)
                }
                fn $r(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    bit_dunder(slf, o, BitOp::$op, true)
                }
                fn $i(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<()> {
                    bit_inplace(slf, o, BitOp::$op).map(|_| ())
                }
                fn $m(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    let o = arg(other)?;
                    let s = Arg::T(slf.get().operand().clone());
                    let work = s.shape().iter().product::<usize>().max(o.shape().iter().product());
                    wrap(slf.py(), run(slf.py(), work, || bitwise(BitOp::$op, &s, &o))?)
                }
                fn $mi(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    bit_inplace(slf, other, BitOp::$op)
                }
            )*
        }
    };
}
bit_methods!(
    __and__, __rand__, __iand__, bitwise_and, bitwise_and_ => And,
    __or__, __ror__, __ior__, bitwise_or, bitwise_or_ => Or,
    __xor__, __rxor__, __ixor__, bitwise_xor, bitwise_xor_ => Xor,
    __lshift__, __rlshift__, __ilshift__, bitwise_left_shift, bitwise_left_shift_ => Shl,
    __rshift__, __rrshift__, __irshift__, bitwise_right_shift, bitwise_right_shift_ => Shr,
);

#[pymethods]
impl PyTensor {
    fn __eq__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__eq__", || cmp_dunder(slf, o, CmpOp::Eq))
    }
    fn __ne__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__ne__", || cmp_dunder(slf, o, CmpOp::Ne))
    }
    fn __lt__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__lt__", || cmp_dunder(slf, o, CmpOp::Lt))
    }
    fn __le__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__le__", || cmp_dunder(slf, o, CmpOp::Le))
    }
    fn __gt__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__gt__", || cmp_dunder(slf, o, CmpOp::Gt))
    }
    fn __ge__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("__ge__", || cmp_dunder(slf, o, CmpOp::Ge))
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    pub(crate) fn div(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, rounding_mode: Option<&str>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("div", || bin(slf.py(), div_op(rounding_mode)?, &Arg::T(slf.get().operand().clone()), &arg(other)?))
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    fn divide(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, rounding_mode: Option<&str>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("divide", || Self::div(slf, other, rounding_mode))
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    fn div_(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, rounding_mode: Option<&str>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("div_", || inplace(slf, other, div_op(rounding_mode)?))
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn subtract(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("subtract", || Self::sub(slf, other, alpha))
    }
    fn float_power(slf: &Bound<'_, Self>, exponent: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("float_power", || {
            let py = slf.py();
            let s = &slf.get().operand();
            let t = run(py, s.numel(), || s.to_dtype(ember::DType::F64))?;
            let e = match arg(exponent)? {
                Arg::T(x) => Arg::T(run(py, x.numel(), || x.to_dtype(ember::DType::F64))?),
                s => s,
            };
            bin(py, BinaryOp::Pow, &Arg::T(t), &e)
        })
    }
}

pub(crate) fn div_op(mode: Option<&str>) -> PyResult<BinaryOp> {
    match mode {
        None => Ok(BinaryOp::Div),
        Some("trunc") => Ok(BinaryOp::DivTrunc),
        Some("floor") => Ok(BinaryOp::DivFloor),
        Some(m) => Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{m}'"
        ))),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_binary_functions, m)?)?;
    Ok(())
}
