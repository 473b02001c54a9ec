//! `ember.zeros(2, 5)`, `ember.zeros_like(x)`, `ember.tensor([1.0, 2.0])`, `ember.cat([a, b])`,
//! `ember.mm(a, b)`, …: the plain calls of Python-level functions in one native step.
//!
//! The Python factories (`python/ember/_creation.py`, behind `_out_forms`' `out=`/`size=`
//! wrapper) parse the shape in a Python loop and resolve the default device twice through four
//! small functions: a 10-element `zeros` took 3.8-6.7 µs and `zeros_like` 8.6-13.8 µs, where
//! PyTorch takes 1.2-1.7. A `_Front` object stands in their place and answers the plain case
//! itself — sizes that are non-negative ints, `dtype` an `ember.dtype` or absent, the CPU (given,
//! or the default with no `with ember.device(...)` around), `requires_grad` a bool, nothing else
//! — with the same native constructors the Python path ends in. Anything else (another device,
//! `out=`, `generator=`, a malformed size, a dtype the function refuses) goes to the Python
//! function it wraps, which also raises every error: a check here only decides *whether* to
//! answer, never what to say. `arange`, `cat`/`stack` (1 µs of wrappers around their kernel)
//! and `mm`/`matmul` of two plain tensors (two wrappers and a frame around `a.mm(b)`) likewise.
use crate::convert;
use crate::tensor::{numel_of, run, wrap, PyTensor};
use ember::ops::random::{self, Dist};
use ember::{DType, Tensor};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Zeros,
    Ones,
    Empty,
    Rand,
    Randn,
    Full,
    ZerosLike,
    OnesLike,
    EmptyLike,
    RandLike,
    RandnLike,
    /// `ember.tensor(data)` of nested lists/tuples (tensors and arrays go to Python).
    Data,
    Arange,
    Cat,
    Stack,
    /// `ember.mm(a, b)` / `ember.matmul(a, b)`: `a.mm(b)` for two plain tensors.
    Mm,
    Matmul,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "zeros" => Kind::Zeros,
            "ones" => Kind::Ones,
            "empty" => Kind::Empty,
            "rand" => Kind::Rand,
            "randn" => Kind::Randn,
            "full" => Kind::Full,
            "zeros_like" => Kind::ZerosLike,
            "ones_like" => Kind::OnesLike,
            "empty_like" => Kind::EmptyLike,
            "rand_like" => Kind::RandLike,
            "randn_like" => Kind::RandnLike,
            "tensor" => Kind::Data,
            "arange" => Kind::Arange,
            "cat" => Kind::Cat,
            "stack" => Kind::Stack,
            "mm" => Kind::Mm,
            "matmul" => Kind::Matmul,
            _ => return None,
        })
    }
}

/// Its `__doc__` lives in the instance's `__dict__` (copied from the Python function).
#[pyclass(module = "ember", name = "_Front", frozen, dict)]
pub struct Front {
    name: Py<PyString>,
    kind: Kind,
    /// The Python function this stands for: it takes every call the fast path declines.
    fallback: Py<PyAny>,
    signature: Py<PyAny>,
}

/// The keyword arguments the fast path understands, read from `kwargs`; None when there is
/// any other keyword (or one of these with a value it leaves to the Python function).
struct Options {
    dtype: Option<DType>,
    requires_grad: bool,
}

fn options(kwargs: Option<&Bound<'_, PyDict>>, like: Option<&Tensor>) -> PyResult<Option<Options>> {
    let mut o = Options { dtype: None, requires_grad: false };
    let Some(kw) = kwargs else { return Ok(Some(o)) };
    for (k, v) in kw.iter() {
        let Ok(k) = k.cast::<PyString>() else { return Ok(None) };
        match k.to_str()? {
            "dtype" => {
                if v.is_none() {
                    continue;
                }
                let Ok(d) = v.cast::<crate::dtype::PyDType>() else { return Ok(None) };
                o.dtype = Some(d.get().d);
            }
            "device" => {
                if !v.is_none() && !is_cpu(&v) {
                    return Ok(None);
                }
            }
            "requires_grad" => {
                let Ok(b) = v.cast::<PyBool>() else { return Ok(None) };
                o.requires_grad = b.is_true();
            }
            "memory_format" if like.is_some() && v.is_none() => {}
            _ => return Ok(None),
        }
    }
    Ok(Some(o))
}

/// `device=` naming the CPU: `"cpu"` or `ember.device("cpu")` (an index is left to Python).
fn is_cpu(v: &Bound<'_, PyAny>) -> bool {
    if let Ok(s) = v.cast::<PyString>() {
        return s.to_str().is_ok_and(|s| s == "cpu");
    }
    v.cast::<crate::dtype::PyDevice>().is_ok_and(|d| d.get().kind == "cpu" && d.get().index.is_none())
}

/// Whether factories given no `device=` make CPU tensors: no `with ember.device(...)` is active
/// and `set_default_device` chose nothing but the CPU (`python/ember/_device.py`'s `_stack` and
/// `_default`, lists changed in place, so the objects read here stay the ones it uses).
fn default_is_cpu(py: Python<'_>) -> PyResult<bool> {
    static LISTS: PyOnceLock<(Py<PyList>, Py<PyList>)> = PyOnceLock::new();
    let (stack, default) = LISTS.get_or_try_init(py, || -> PyResult<_> {
        let m = py.import("ember._device")?;
        Ok((m.getattr("_stack")?.cast_into::<PyList>()?.unbind(), m.getattr("_default")?.cast_into::<PyList>()?.unbind()))
    })?;
    if !stack.bind(py).is_empty() {
        return Ok(false);
    }
    let d = default.bind(py).get_item(0)?;
    Ok(d.is_none() || is_cpu(&d))
}

/// One size element: a plain non-negative int (a bool, a negative or a huge value declines).
fn size_item(o: &Bound<'_, PyAny>) -> Option<usize> {
    if !o.is_exact_instance_of::<PyInt>() {
        return None;
    }
    o.extract::<i64>().ok().filter(|&v| v >= 0).map(|v| v as usize)
}

/// A size given as one tuple, list or `ember.Size` of plain ints.
fn size_list(o: &Bound<'_, PyAny>) -> Option<Vec<usize>> {
    if let Ok(t) = o.cast::<PyTuple>() {
        return t.iter().map(|o| size_item(&o)).collect();
    }
    if let Ok(l) = o.cast::<PyList>() {
        return l.iter().map(|o| size_item(&o)).collect();
    }
    None
}

/// A size given as `f(2, 3)`, `f((2, 3))`, `f([2, 3])` or `f(ember.Size(...))`.
fn sizes(args: &Bound<'_, PyTuple>) -> Option<Vec<usize>> {
    if args.len() == 1 {
        if let Some(s) = size_list(&args.get_item(0).ok()?) {
            return Some(s);
        }
    }
    args.iter().map(|o| size_item(&o)).collect()
}

fn is_float(d: DType) -> bool {
    matches!(d, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
}

impl Front {
    /// The tensor for a call the fast path takes, or None to hand the call to `fallback`.
    fn fast(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Option<Py<PyAny>>> {
        match self.kind {
            Kind::Cat | Kind::Stack => return joined(py, self.kind, args, kwargs),
            Kind::Mm | Kind::Matmul => return product(py, self.kind, args, kwargs),
            Kind::Arange => return arange(py, args, kwargs),
            Kind::Data => return data(py, args, kwargs),
            _ => {}
        }
        let like = match self.kind {
            Kind::ZerosLike | Kind::OnesLike | Kind::EmptyLike | Kind::RandLike | Kind::RandnLike => {
                if args.len() != 1 {
                    return Ok(None);
                }
                let a = args.get_item(0)?;
                let Ok(t) = a.cast::<PyTensor>() else { return Ok(None) };
                let t: Tensor = t.get().t.clone();
                // A dense row-major host tensor: its `*_like` strides are the row-major ones.
                if !t.device().is_host() || t.0.sparse.is_some() || !t.layout().is_row_major_exactly() {
                    return Ok(None);
                }
                Some(t)
            }
            _ => None,
        };
        let Some(opts) = options(kwargs, like.as_ref())? else { return Ok(None) };
        let (shape, fill) = match (&like, self.kind) {
            (Some(t), _) => (t.shape().to_vec(), None),
            (None, Kind::Full) => {
                if args.len() != 2 {
                    return Ok(None);
                }
                let Some(s) = size_list(&args.get_item(0)?) else { return Ok(None) };
                (s, Some(args.get_item(1)?))
            }
            (None, _) => match sizes(args) {
                Some(s) => (s, None),
                None => return Ok(None),
            },
        };
        if like.is_none() && !default_is_cpu(py)? {
            return Ok(None);
        }
        let dtype = match (&fill, opts.dtype, &like) {
            (_, Some(d), _) => d,
            (Some(v), None, _) => {
                // `full`'s dtype follows its value as PyTorch's does: bool, int64, else the default.
                if v.is_exact_instance_of::<PyBool>() {
                    DType::Bool
                } else if v.is_exact_instance_of::<PyInt>() {
                    DType::I64
                } else if v.is_exact_instance_of::<PyFloat>() {
                    ember::promote::default_dtype()
                } else {
                    return Ok(None);
                }
            }
            (None, None, Some(t)) => t.dtype(),
            (None, None, None) => ember::promote::default_dtype(),
        };
        let n = numel_of(&shape);
        let made = match self.kind {
            Kind::Zeros | Kind::ZerosLike => run(py, n, || Tensor::zeros(&shape, dtype)),
            Kind::Empty | Kind::EmptyLike => run(py, 0, || Tensor::empty(&shape, dtype)),
            Kind::Ones | Kind::OnesLike | Kind::Full => {
                // The value converted as `_native._full` converts it (`ones` passes the int 1).
                let one;
                let v = match &fill {
                    Some(v) => v,
                    None => {
                        one = 1i64.into_pyobject(py)?.into_any();
                        &one
                    }
                };
                let Ok(Some(value)) = convert::scalar_for(v, Some(dtype)) else { return Ok(None) };
                run(py, n, || Tensor::full(&shape, value, dtype))
            }
            Kind::Data | Kind::Arange | Kind::Cat | Kind::Stack | Kind::Mm | Kind::Matmul => return Ok(None), // answered above
            Kind::Rand | Kind::Randn | Kind::RandLike | Kind::RandnLike => {
                if !is_float(dtype) {
                    return Ok(None);
                }
                let dist = if matches!(self.kind, Kind::Rand | Kind::RandLike) {
                    Dist::Uniform { low: 0.0, high: 1.0 }
                } else {
                    Dist::Normal { mean: 0.0, std: 1.0 }
                };
                // No generator means `ember.default_generator` (`_rng_state.py`), whose state
                // `get_rng_state` reports: drawn from here as from the Python path.
                static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
                let m = MODULE.get_or_try_init(py, || py.import("ember._rng_state").map(Bound::unbind))?;
                let g = m.bind(py).getattr(pyo3::intern!(py, "default_generator"))?;
                let Ok(g) = g.cast::<crate::creation::PyGenerator>() else { return Ok(None) };
                let g = g.get();
                run(py, n, || crate::creation::with_gen(Some(g), |g| random::sample(&shape, dtype, ember::Device::Cpu, dist, g)))
            }
        };
        // A failure (an allocation too large) is raised by the Python function, in its words.
        let Ok(t) = made else { return Ok(None) };
        // (an integer dtype cannot require grad: the Python function raises that)
        if opts.requires_grad && t.set_requires_grad(true).is_err() {
            return Ok(None);
        }
        Ok(Some(wrap(py, t)?))
    }
}

/// `cat(tensors, dim=0)` / `stack(...)` of a non-empty list or tuple of tensors, `dim` an int
/// (positional or keyword): the native kernel `_ops_index.cat` ends in, without its two frames.
fn joined(py: Python<'_>, kind: Kind, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Option<Py<PyAny>>> {
    let mut dim = match args.len() {
        1 => None,
        2 => Some(args.get_item(1)?),
        _ => return Ok(None),
    };
    if let Some(kw) = kwargs {
        for (k, v) in kw.iter() {
            if dim.is_some() || !k.cast::<PyString>().is_ok_and(|k| k.to_str().is_ok_and(|k| k == "dim")) {
                return Ok(None);
            }
            dim = Some(v);
        }
    }
    let dim = match dim {
        None => 0,
        Some(d) if d.is_exact_instance_of::<PyInt>() => match d.extract::<i64>() {
            Ok(d) => d,
            Err(_) => return Ok(None),
        },
        Some(_) => return Ok(None),
    };
    let list = args.get_item(0)?;
    let items: Vec<Bound<'_, PyAny>> = if let Ok(l) = list.cast::<PyList>() {
        l.iter().collect()
    } else if let Ok(t) = list.cast::<PyTuple>() {
        t.iter().collect()
    } else {
        return Ok(None);
    };
    if items.is_empty() {
        return Ok(None);
    }
    let mut ts = Vec::with_capacity(items.len());
    for it in &items {
        let Ok(t) = it.cast::<PyTensor>() else { return Ok(None) };
        ts.push(t.get().operand().clone());
    }
    let work = ts.iter().map(|t| t.numel()).sum();
    let out = run(py, work, || if kind == Kind::Cat { Tensor::cat(&ts, dim) } else { Tensor::stack(&ts, dim) })?;
    Ok(Some(wrap(py, out)?))
}

/// Whether `o` is an `ember.Tensor` or an `nn.Parameter` itself (a subclass may override the
/// method or be a compressed sparse tensor, which the Python function routes elsewhere).
fn plain_tensor(py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<bool> {
    static PARAMETER: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();
    let ty = o.get_type();
    Ok(ty.is(py.get_type::<PyTensor>()) || ty.is(PARAMETER.import(py, "ember.nn.parameter", "Parameter")?))
}

/// `mm(a, b)` / `matmul(a, b)` of two plain tensors and no keywords: `a.mm(b)`, which is what
/// the Python function calls after its checks (through two wrappers and its own frame).
fn product(py: Python<'_>, kind: Kind, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Option<Py<PyAny>>> {
    if args.len() != 2 || kwargs.is_some_and(|k| !k.is_empty()) {
        return Ok(None);
    }
    let (a, b) = (args.get_item(0)?, args.get_item(1)?);
    if !plain_tensor(py, &a)? || !plain_tensor(py, &b)? {
        return Ok(None);
    }
    let name = if kind == Kind::Mm { pyo3::intern!(py, "mm") } else { pyo3::intern!(py, "matmul") };
    Ok(Some(a.call_method1(name, (b,))?.unbind()))
}

/// `tensor(data)` of a plain list or tuple on the CPU (malformed data declines too: the Python
/// function raises its error).
fn data(py: Python<'_>, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Option<Py<PyAny>>> {
    let Some(opts) = options(kwargs, None)? else { return Ok(None) };
    if args.len() != 1 || !default_is_cpu(py)? {
        return Ok(None);
    }
    let data = args.get_item(0)?;
    if !data.is_exact_instance_of::<PyList>() && !data.is_exact_instance_of::<PyTuple>() {
        return Ok(None);
    }
    let Ok(t) = crate::creation::from_data(py, &data, opts.dtype) else { return Ok(None) };
    if opts.requires_grad && t.set_requires_grad(true).is_err() {
        return Ok(None);
    }
    Ok(Some(wrap(py, t)?))
}

/// `arange(end)`, `arange(start, end[, step])` of Python ints and floats on the CPU: int64 when
/// every bound is an int, else the default dtype (the Python function's rule).
fn arange(py: Python<'_>, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Option<Py<PyAny>>> {
    let Some(opts) = options(kwargs, None)? else { return Ok(None) };
    if args.is_empty() || args.len() > 3 || !default_is_cpu(py)? {
        return Ok(None);
    }
    let mut bounds = Vec::with_capacity(3);
    let mut all_int = true;
    for v in args.iter() {
        if v.is_exact_instance_of::<PyInt>() {
            let Ok(i) = v.extract::<i64>() else { return Ok(None) };
            bounds.push(ember::Scalar::Int(i));
        } else if v.is_exact_instance_of::<PyFloat>() {
            all_int = false;
            bounds.push(ember::Scalar::Float(v.extract::<f64>()?));
        } else {
            return Ok(None);
        }
    }
    if bounds.len() == 1 {
        bounds.insert(0, ember::Scalar::Int(0));
    }
    if bounds.len() == 2 {
        bounds.push(ember::Scalar::Int(1));
    }
    let dtype = opts.dtype.unwrap_or(if all_int { DType::I64 } else { ember::promote::default_dtype() });
    let (a, b, st) = (bounds[0], bounds[1], bounds[2]);
    let Ok(t) = run(py, usize::MAX, || Tensor::arange(a, b, st, dtype)) else { return Ok(None) };
    if opts.requires_grad && t.set_requires_grad(true).is_err() {
        return Ok(None);
    }
    Ok(Some(wrap(py, t)?))
}

#[pymethods]
impl Front {
    /// `_Front(name, fallback, signature)`: `ember.<name>` answered natively where it can be,
    /// else by `fallback(*args, **kwargs)`.
    #[new]
    fn new(name: Py<PyString>, fallback: Py<PyAny>, signature: Py<PyAny>, py: Python<'_>) -> PyResult<Self> {
        let kind = Kind::parse(name.bind(py).to_str()?)
            .ok_or_else(|| PyValueError::new_err(format!("_Front: no fast path for {}", name.bind(py))))?;
        Ok(Front { name, kind, fallback, signature })
    }

    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Py<PyAny>> {
        if let Some(t) = crate::guard::guard("front", || self.fast(py, args, kwargs))? {
            return Ok(t);
        }
        Ok(self.fallback.bind(py).call(args, kwargs)?.unbind())
    }

    /// The Python function behind it (what `inspect.unwrap` finds).
    #[getter]
    fn __wrapped__(&self, py: Python<'_>) -> Py<PyAny> {
        self.fallback.clone_ref(py)
    }
    /// Its fallback already applies PyTorch's `out=` rules (`_out_forms.install` leaves it alone).
    #[getter]
    fn _out_form(&self) -> bool {
        true
    }
}

crate::forward::function_attrs!(Front);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Front>()
}
