//! Creation primitives; `ember/_creation.py` parses PyTorch's signatures around them.
use crate::convert::{self, usizes};
use crate::error::IntoPy;
use crate::tensor::{numel_of, run, wrap, PyTensor};
use ember::ops::random::{self, Dist};
use ember::random::{with_default, Generator};
use ember::Tensor;
use pyo3::prelude::*;
use std::sync::Mutex;

#[pyclass(name = "Generator", module = "ember", frozen)]
pub struct PyGenerator {
    pub g: Mutex<Generator>,
}

#[pymethods]
impl PyGenerator {
    #[new]
    #[pyo3(signature = (device=None))]
    fn new(device: Option<&Bound<'_, PyAny>>) -> Self {
        let _ = device;
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        PyGenerator { g: Mutex::new(Generator::new(seed)) }
    }
    fn manual_seed(slf: &Bound<'_, Self>, seed: i64) -> Py<PyAny> {
        *slf.get().g.lock().unwrap() = Generator::new(seed as u64);
        slf.clone().into_any().unbind()
    }
    fn initial_seed(&self) -> u64 {
        self.g.lock().unwrap().seed()
    }
    fn seed(&self) -> u64 {
        let s = self.g.lock().unwrap().next_u64() >> 1;
        *self.g.lock().unwrap() = Generator::new(s);
        s
    }
    fn get_state(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("get_state", || {
            let bytes = self.g.lock().unwrap().state();
            wrap(py, Tensor::from_vec(bytes.clone(), &[bytes.len()]).py()?)
        })
    }
    fn set_state(&self, state: &Bound<'_, PyTensor>) -> PyResult<()> {
        crate::guard::guard("set_state", || {
            let b = state.get().operand().to_vec::<u8>().py()?;
            if !self.g.lock().unwrap().set_state(&b) {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "Generator.set_state: expected a 49-byte uint8 state tensor from get_state() (or a 40-byte one from an older ember)",
                ));
            }
            Ok(())
        })
    }
}

/// Runs `f` with the given generator, or the default one.
pub(crate) fn with_gen<R>(g: Option<&PyGenerator>, f: impl FnOnce(&mut Generator) -> R) -> R {
    match g {
        Some(g) => f(&mut g.g.lock().unwrap()),
        None => with_default(f),
    }
}

#[pyfunction]
#[pyo3(signature = (data, dtype=None))]
fn _tensor(py: Python<'_>, data: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_tensor", || {
        let want = convert::dtype(dtype)?;
        if let Ok(t) = data.cast::<PyTensor>() {
            let t = &t.get().operand();
            return wrap(py, run(py, t.numel(), || t.detach().to_dtype_contiguous(want.unwrap_or(t.dtype()))?.contiguous_copy())?);
        }
        wrap(py, from_data(py, data, want)?)
    })
}

/// A new tensor of nested Python data (lists/tuples of numbers or tensors), `want` or inferred.
pub(crate) fn from_data(py: Python<'_>, data: &Bound<'_, PyAny>, want: Option<ember::DType>) -> PyResult<Tensor> {
    let (vals, shape, inferred) = convert::nested_for(data, want)?;
    let dt = want.unwrap_or(inferred);
    if dt.is_limited_unsigned() {
        // PyTorch refuses ints beyond the width here (2**32 as uint32); uint8 keeps wrapping
        for v in vals.iter().filter(|v| matches!(v, ember::Scalar::Int(_))) {
            v.check_fits(dt).py()?;
        }
    }
    run(py, vals.len(), || Tensor::from_scalars(&vals, &shape, dt))
}

#[pyfunction]
fn _full(py: Python<'_>, shape: Vec<i64>, value: &Bound<'_, PyAny>, dtype: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_full", || {
        let s = usizes(&shape, "full")?;
        let d = convert::dtype(Some(dtype))?.unwrap();
        let v = match convert::scalar_for(value, Some(d))? {
            Some(s) => s,
            None => crate::tensor::scalar_value(value)?,
        };
        wrap(py, run(py, numel_of(&s), || Tensor::full(&s, v, d))?)
    })
}

#[pyfunction]
fn _zeros(py: Python<'_>, shape: Vec<i64>, dtype: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_zeros", || {
        let s = usizes(&shape, "zeros")?;
        let d = convert::dtype(Some(dtype))?.unwrap();
        wrap(py, run(py, numel_of(&s), || Tensor::zeros(&s, d))?)
    })
}

#[pyfunction]
fn _empty(py: Python<'_>, shape: Vec<i64>, dtype: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_empty", || {
        let s = usizes(&shape, "empty")?;
        wrap(py, Tensor::empty(&s, convert::dtype(Some(dtype))?.unwrap()).py()?)
    })
}

#[pyfunction]
fn _arange(
    py: Python<'_>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    step: &Bound<'_, PyAny>,
    dtype: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_arange", || {
        let v = |o: &Bound<'_, PyAny>| crate::tensor::scalar_value(o);
        let d = convert::dtype(Some(dtype))?.unwrap();
        let (a, b, st) = (v(start)?, v(end)?, v(step)?);
        // the length is known only inside arange (its checks come first): released always
        wrap(py, run(py, usize::MAX, || Tensor::arange(a, b, st, d))?)
    })
}

#[pyfunction]
fn _linspace(py: Python<'_>, start: f64, end: f64, steps: usize, dtype: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_linspace", || {
        let d = convert::dtype(Some(dtype))?.unwrap();
        wrap(py, run(py, steps, || Tensor::linspace(start, end, steps, d))?)
    })
}

#[pyfunction]
fn _eye(py: Python<'_>, n: usize, m: usize, dtype: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_eye", || {
        let d = convert::dtype(Some(dtype))?.unwrap();
        wrap(py, run(py, n.saturating_mul(m), || Tensor::eye(n, m, d))?)
    })
}

/// Uniform [low, high) floats.
#[pyfunction]
#[pyo3(signature = (shape, dtype, low=0.0, high=1.0, generator=None))]
fn _uniform(
    py: Python<'_>,
    shape: Vec<i64>,
    dtype: &Bound<'_, PyAny>,
    low: f64,
    high: f64,
    generator: Option<&Bound<'_, PyGenerator>>,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_uniform", || {
        let s = usizes(&shape, "rand")?;
        let d = convert::dtype(Some(dtype))?.unwrap();
        let g = generator.map(|g| g.get());
        let t = run(py, numel_of(&s), || with_gen(g, |g| random::sample(&s, d, ember::Device::Cpu, Dist::Uniform { low, high }, g)))?;
        wrap(py, t)
    })
}

#[pyfunction]
#[pyo3(signature = (shape, dtype, mean=0.0, std=1.0, generator=None))]
fn _normal(
    py: Python<'_>,
    shape: Vec<i64>,
    dtype: &Bound<'_, PyAny>,
    mean: f64,
    std: f64,
    generator: Option<&Bound<'_, PyGenerator>>,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_normal", || {
        let s = usizes(&shape, "randn")?;
        let d = convert::dtype(Some(dtype))?.unwrap();
        let g = generator.map(|g| g.get());
        let t = run(py, numel_of(&s), || with_gen(g, |g| random::sample(&s, d, ember::Device::Cpu, Dist::Normal { mean, std }, g)))?;
        wrap(py, t)
    })
}

#[pyfunction]
#[pyo3(signature = (low, high, shape, dtype, generator=None))]
fn _randint(
    py: Python<'_>,
    low: i64,
    high: i64,
    shape: Vec<i64>,
    dtype: &Bound<'_, PyAny>,
    generator: Option<&Bound<'_, PyGenerator>>,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_randint", || {
        if high <= low {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
            )));
        }
        let s = usizes(&shape, "randint")?;
        let d = convert::dtype(Some(dtype))?.unwrap();
        let dist = Dist::Below { low, n: (high - low) as u64 };
        let g = generator.map(|g| g.get());
        wrap(py, run(py, numel_of(&s), || with_gen(g, |g| random::sample(&s, d, ember::Device::Cpu, dist, g)))?)
    })
}

#[pyfunction]
#[pyo3(signature = (n, dtype, generator=None))]
fn _randperm(py: Python<'_>, n: usize, dtype: &Bound<'_, PyAny>, generator: Option<&Bound<'_, PyGenerator>>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_randperm", || {
        // The buffer first (a fallible allocation: randperm(2**62) raises), then shuffle it.
        let t = Tensor::empty(&[n], ember::DType::I64).py()?;
        let d = convert::dtype(Some(dtype))?.unwrap();
        let g = generator.map(|g| g.get());
        let out = run(py, n, || {
            // SAFETY: `t` is a fresh host int64 tensor of exactly n elements at offset 0, aligned by
            // the allocator, and nothing else refers to its storage yet (no aliasing).
            let v = unsafe { std::slice::from_raw_parts_mut(t.storage().ptr() as *mut i64, n) };
            v.iter_mut().enumerate().for_each(|(i, x)| *x = i as i64);
            with_gen(g, |g| {
                for i in (1..n).rev() {
                    let j = g.below(i as u64 + 1) as usize;
                    v.swap(i, j);
                }
            });
            t.to_dtype(d)
        })?;
        wrap(py, out)
    })
}

/// Draws 0/1 with probabilities `p` (same shape as p).
#[pyfunction]
#[pyo3(signature = (p, generator=None))]
fn _bernoulli(py: Python<'_>, p: &Bound<'_, PyTensor>, generator: Option<&Bound<'_, PyGenerator>>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_bernoulli", || {
        let pt = &p.get().operand();
        let g = generator.map(|g| g.get());
        wrap(py, run(py, pt.numel(), || with_gen(g, |g| random::bernoulli(pt, g)))?)
    })
}

#[pyfunction]
fn manual_seed(seed: i64) {
    ember::random::manual_seed(seed as u64);
}

#[pyfunction]
fn initial_seed() -> u64 {
    with_default(|g| g.seed())
}

#[pyfunction]
fn get_default_dtype() -> crate::dtype::PyDType {
    convert::py_dtype(ember::promote::default_dtype())
}

#[pyfunction]
fn set_default_dtype(d: &Bound<'_, PyAny>) -> PyResult<()> {
    crate::guard::guard("set_default_dtype", || {
        let d = convert::dtype(Some(d))?.ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("set_default_dtype expects a dtype"))?;
        ember::promote::set_default_dtype(d).py()
    })
}

#[pyfunction]
fn get_num_threads() -> usize {
    ember::cpu::threads::get_num_threads()
}

#[pyfunction]
fn set_num_threads(n: i64) -> PyResult<()> {
    crate::guard::guard("set_num_threads", || {
        if n <= 0 {
            return Err(pyo3::exceptions::PyRuntimeError::new_err("set_num_threads expects a positive integer"));
        }
        ember::cpu::threads::set_num_threads(n as usize);
        Ok(())
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(_full, m)?)?;
    m.add_function(wrap_pyfunction!(_zeros, m)?)?;
    m.add_function(wrap_pyfunction!(_empty, m)?)?;
    m.add_function(wrap_pyfunction!(_empty_on, m)?)?;
    m.add_function(wrap_pyfunction!(_arange, m)?)?;
    m.add_function(wrap_pyfunction!(_linspace, m)?)?;
    m.add_function(wrap_pyfunction!(_eye, m)?)?;
    m.add_function(wrap_pyfunction!(_uniform, m)?)?;
    m.add_function(wrap_pyfunction!(_normal, m)?)?;
    m.add_function(wrap_pyfunction!(_randint, m)?)?;
    m.add_function(wrap_pyfunction!(_randperm, m)?)?;
    m.add_function(wrap_pyfunction!(_bernoulli, m)?)?;
    m.add_function(wrap_pyfunction!(manual_seed, m)?)?;
    m.add_function(wrap_pyfunction!(initial_seed, m)?)?;
    m.add_function(wrap_pyfunction!(get_default_dtype, m)?)?;
    m.add_function(wrap_pyfunction!(set_default_dtype, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    Ok(())
}

/// An uninitialised row-major tensor on `device` (data-free on "meta": nothing is allocated).
#[pyfunction]
fn _empty_on(py: Python<'_>, shape: Vec<usize>, dtype: &Bound<'_, PyAny>, device: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_empty_on", || {
        let dt = crate::convert::dtype(Some(dtype))?.unwrap_or_else(ember::promote::default_dtype);
        let dev = crate::dtype::PyDevice::new_checked(device)?.to_device()?;
        crate::tensor::wrap(py, Tensor::empty_on(&shape, dt, dev).py()?)
    })
}
