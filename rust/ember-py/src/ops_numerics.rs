//! Bindings for the `ember-linalg` kernels (dense factorizations, FFTs, special functions).
//! Each function reads its inputs as row-major f32/f64 buffers, calls one kernel on the
//! batch (leading dims flattened), and wraps the outputs as new tensors. Broadcasting,
//! argument checks, error messages and autograd live in Python (`ember.linalg`, `ember.fft`,
//! `ember.special`); numerical failures come back as LAPACK-style `info` lists.
use crate::convert::tensor_of;
use crate::tensor::{run, wrap};
use ember::{DType, Error, Tensor};
use ember_linalg::{complex, dense, fft, special};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

type Out = (Py<PyAny>, Py<PyAny>);

/// Runs `$body` with `T` the tensor's float type and `$m` the matching dense kernel module.
macro_rules! float_kernel {
    ($t:expr, $what:expr, $T:ident, $m:ident => $body:expr) => {
        match $t.dtype() {
            DType::F32 => {
                type $T = f32;
                #[allow(unused_imports)]
                use dense::f32s as $m;
                $body
            }
            DType::F64 => {
                type $T = f64;
                #[allow(unused_imports)]
                use dense::f64s as $m;
                $body
            }
            d => return Err(Error::type_(format!("{}: expected a float32 or float64 tensor, got {:?}", $what, d))),
        }
    };
}

/// (batch, rows, cols) of a stack of matrices.
fn mat_dims(t: &Tensor) -> (usize, usize, usize, Vec<usize>) {
    let s = t.shape();
    let (m, n) = (s[s.len() - 2], s[s.len() - 1]);
    let lead = s[..s.len() - 2].to_vec();
    (lead.iter().product(), m, n, lead)
}

fn with_tail(lead: &[usize], tail: &[usize]) -> Vec<usize> {
    lead.iter().chain(tail).copied().collect()
}

fn need_matrix(t: &Tensor, what: &str) -> PyResult<()> {
    if t.shape().len() < 2 {
        return Err(PyValueError::new_err(format!("{what}: expected a tensor with 2 or more dimensions")));
    }
    Ok(())
}

fn cost(t: &Tensor) -> usize {
    let s = t.shape();
    t.numel().saturating_mul(s.last().copied().unwrap_or(1))
}

/// Runs `f(threads)` with ember's thread count: in ember's pool, so faer and rayon use
/// `set_num_threads`'s count, or on the calling thread at one thread (handing a small solve
/// to a pool worker costs ~20 µs, several times the solve).
fn pooled<R: Send>(f: impl FnOnce(usize) -> R + Send) -> R {
    match ember::cpu::threads::get_num_threads() {
        1 => f(1),
        t => ember::cpu::threads::install(|| f(t)),
    }
}

#[pyfunction]
fn _linalg_lu_factor(py: Python<'_>, a: &Bound<'_, PyAny>) -> PyResult<(Py<PyAny>, Py<PyAny>, Vec<i32>)> {
    crate::guard::guard("_linalg_lu_factor", || {
        let a = tensor_of(a)?;
        need_matrix(&a, "lu_factor")?;
        let (batch, m, n, lead) = mat_dims(&a);
        let (lu, piv, info) = run(py, cost(&a), || {
            float_kernel!(a, "lu_factor", T, K => {
                let v = a.to_vec::<T>()?;
                let (lu, piv, info) = pooled(|t| K::lu_factor(&v, batch, m, n, t));
                Ok((Tensor::from_vec(lu, a.shape())?, Tensor::from_vec(piv, &with_tail(&lead, &[m.min(n)]))?, info))
            })
        })?;
        Ok((wrap(py, lu)?, wrap(py, piv)?, info))
    })
}

/// X with A X = B; `a` is (..., n, n) and `b` (..., n, k) with the same leading dims.
#[pyfunction]
fn _linalg_solve(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<(Py<PyAny>, Vec<i32>)> {
    crate::guard::guard("_linalg_solve", || {
        let (a, b) = (tensor_of(a)?, tensor_of(b)?);
        need_matrix(&a, "solve")?;
        need_matrix(&b, "solve")?;
        let (batch, n, _, _) = mat_dims(&a);
        let k = b.shape()[b.shape().len() - 1];
        if b.numel() != batch * n * k || b.dtype() != a.dtype() {
            return Err(PyValueError::new_err("_linalg_solve: B must be (..., n, k) with A's leading dims and dtype"));
        }
        let (x, info) = run(py, cost(&a), || {
            float_kernel!(a, "solve", T, K => {
                let (a, mut x) = (a.to_vec::<T>()?, b.to_vec::<T>()?);
                let info = pooled(|t| K::solve_in_place(&a, &mut x, batch, n, k, t));
                Ok((Tensor::from_vec(x, b.shape())?, info))
            })
        })?;
        Ok((wrap(py, x)?, info))
    })
}

/// Runs `$body` with `$R` the real part type of (re, im) pair tensors and `$m` the matching
/// complex kernel module.
macro_rules! pair_kernel {
    ($t:expr, $what:expr, $R:ident, $m:ident => $body:expr) => {
        match $t.dtype() {
            DType::F32 => {
                type $R = f32;
                use complex::c32s as $m;
                $body
            }
            DType::F64 => {
                type $R = f64;
                use complex::c64s as $m;
                $body
            }
            d => return Err(Error::type_(format!("{}: expected float32 or float64 (re, im) pairs, got {:?}", $what, d))),
        }
    };
}

/// (batch, rows, cols, leading dims) of a stack of complex matrices stored as (..., m, n, 2).
fn pair_dims(t: &Tensor, what: &str) -> PyResult<(usize, usize, usize, Vec<usize>)> {
    let s = t.shape();
    if s.len() < 3 || s[s.len() - 1] != 2 {
        return Err(PyValueError::new_err(format!("{what}: expected (..., m, n, 2) (re, im) pairs")));
    }
    let (m, n) = (s[s.len() - 3], s[s.len() - 2]);
    let lead = s[..s.len() - 3].to_vec();
    Ok((lead.iter().product(), m, n, lead))
}

/// `getrf` of complex matrices given as (..., m, n, 2) pairs: (LU pairs, pivots, info).
#[pyfunction]
fn _linalg_lu_factor_pairs(py: Python<'_>, a: &Bound<'_, PyAny>) -> PyResult<(Py<PyAny>, Py<PyAny>, Vec<i32>)> {
    crate::guard::guard("_linalg_lu_factor_pairs", || {
        let a = tensor_of(a)?;
        let (batch, m, n, lead) = pair_dims(&a, "lu_factor")?;
        let (lu, piv, info) = run(py, cost(&a) * 4, || {
            pair_kernel!(a, "lu_factor", R, K => {
                let v = a.to_vec::<R>()?;
                let (lu, piv, info) = pooled(|t| K::lu_factor(&v, batch, m, n, t));
                Ok((Tensor::from_vec(lu, a.shape())?, Tensor::from_vec(piv, &with_tail(&lead, &[m.min(n)]))?, info))
            })
        })?;
        Ok((wrap(py, lu)?, wrap(py, piv)?, info))
    })
}

/// Complex A X = B with A (..., n, n, 2) and B (..., n, k, 2) pairs of one batch and dtype.
#[pyfunction]
fn _linalg_solve_pairs(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<(Py<PyAny>, Vec<i32>)> {
    crate::guard::guard("_linalg_solve_pairs", || {
        let (a, b) = (tensor_of(a)?, tensor_of(b)?);
        let (batch, n, _, _) = pair_dims(&a, "solve")?;
        let (_, _, k, _) = pair_dims(&b, "solve")?;
        if b.numel() != batch * n * k * 2 || b.dtype() != a.dtype() {
            return Err(PyValueError::new_err("_linalg_solve_pairs: B must be (..., n, k, 2) with A's leading dims and dtype"));
        }
        let (x, info) = run(py, cost(&a) * 4, || {
            pair_kernel!(a, "solve", R, K => {
                let (a, mut x) = (a.to_vec::<R>()?, b.to_vec::<R>()?);
                let info = pooled(|t| K::solve_in_place(&a, &mut x, batch, n, k, t));
                Ok((Tensor::from_vec(x, b.shape())?, info))
            })
        })?;
        Ok((wrap(py, x)?, info))
    })
}

/// Eigendecomposition of complex matrices given as (..., n, n, 2) pairs: w (..., n, 2),
/// V (..., n, n, 2) (empty without `compute_v`), converged.
#[pyfunction]
fn _linalg_eig_complex_pairs(py: Python<'_>, a: &Bound<'_, PyAny>, compute_v: bool) -> PyResult<(Py<PyAny>, Py<PyAny>, bool)> {
    crate::guard::guard("_linalg_eig_complex_pairs", || {
        let a = tensor_of(a)?;
        let (batch, n, _, lead) = pair_dims(&a, "eig")?;
        let (w, v, ok) = run(py, cost(&a) * 4, || {
            pair_kernel!(a, "eig", R, K => {
                let x = a.to_vec::<R>()?;
                let (w, v, ok) = pooled(|_| K::eig(&x, batch, n, compute_v));
                if !ok {
                    let e = Tensor::from_vec(Vec::<R>::new(), &[0])?;
                    return Ok((e.clone(), e, false));
                }
                let vs = if compute_v { a.shape().to_vec() } else { vec![0] };
                Ok((Tensor::from_vec(w, &with_tail(&lead, &[n, 2]))?, Tensor::from_vec(v, &vs)?, true))
            })
        })?;
        Ok((wrap(py, w)?, wrap(py, v)?, ok))
    })
}

#[pyfunction]
fn _linalg_cholesky(py: Python<'_>, a: &Bound<'_, PyAny>) -> PyResult<(Py<PyAny>, Vec<i32>)> {
    crate::guard::guard("_linalg_cholesky", || {
        let a = tensor_of(a)?;
        need_matrix(&a, "cholesky")?;
        let (batch, n, _, _) = mat_dims(&a);
        let (l, info) = run(py, cost(&a), || {
            float_kernel!(a, "cholesky", T, K => {
                let (l, info) = K::cholesky(&a.to_vec::<T>()?, batch, n);
                Ok((Tensor::from_vec(l, a.shape())?, info))
            })
        })?;
        Ok((wrap(py, l)?, info))
    })
}

/// `mode` is "reduced", "complete" or "r" (R only; Q comes back empty).
#[pyfunction]
fn _linalg_qr(py: Python<'_>, a: &Bound<'_, PyAny>, mode: &str) -> PyResult<Out> {
    crate::guard::guard("_linalg_qr", || {
        let a = tensor_of(a)?;
        need_matrix(&a, "qr")?;
        let (batch, m, n, lead) = mat_dims(&a);
        let (complete, want_q) = (mode == "complete", mode != "r");
        let k = if complete { m } else { m.min(n) };
        let (q, r) = run(py, cost(&a), || {
            float_kernel!(a, "qr", T, K => {
                let (q, r) = K::qr(&a.to_vec::<T>()?, batch, m, n, complete, want_q);
                let qs = if want_q { with_tail(&lead, &[m, k]) } else { vec![0] };
                Ok((Tensor::from_vec(q, &qs)?, Tensor::from_vec(r, &with_tail(&lead, &[k, n]))?))
            })
        })?;
        Ok((wrap(py, q)?, wrap(py, r)?))
    })
}

/// (U, S, Vh, converged); U and Vh are empty when `compute_uv` is false.
#[pyfunction]
fn _linalg_svd(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    full_matrices: bool,
    compute_uv: bool,
) -> PyResult<(Py<PyAny>, Py<PyAny>, Py<PyAny>, bool)> {
    crate::guard::guard("_linalg_svd", || {
        let a = tensor_of(a)?;
        need_matrix(&a, "svd")?;
        let (batch, m, n, lead) = mat_dims(&a);
        let k = m.min(n);
        let (uc, vr) = if full_matrices { (m, n) } else { (k, k) };
        let (u, s, vh, ok) = run(py, cost(&a), || {
            float_kernel!(a, "svd", T, K => {
                let (u, s, vh, ok) = K::svd(&a.to_vec::<T>()?, batch, m, n, full_matrices, compute_uv);
                if !ok {
                    let e = Tensor::from_vec(Vec::<T>::new(), &[0])?;
                    return Ok((e.clone(), e.clone(), e, false));
                }
                let (us, vs) = if compute_uv { (with_tail(&lead, &[m, uc]), with_tail(&lead, &[vr, n])) } else { (vec![0], vec![0]) };
                Ok((Tensor::from_vec(u, &us)?, Tensor::from_vec(s, &with_tail(&lead, &[k]))?, Tensor::from_vec(vh, &vs)?, true))
            })
        })?;
        Ok((wrap(py, u)?, wrap(py, s)?, wrap(py, vh)?, ok))
    })
}

/// (eigenvalues ascending, eigenvectors as columns, converged) of symmetric matrices.
#[pyfunction]
fn _linalg_eigh(py: Python<'_>, a: &Bound<'_, PyAny>, upper: bool, compute_v: bool) -> PyResult<(Py<PyAny>, Py<PyAny>, bool)> {
    crate::guard::guard("_linalg_eigh", || {
        let a = tensor_of(a)?;
        need_matrix(&a, "eigh")?;
        let (batch, n, _, lead) = mat_dims(&a);
        let (w, v, ok) = run(py, cost(&a), || {
            float_kernel!(a, "eigh", T, K => {
                let (w, v, ok) = K::eigh(&a.to_vec::<T>()?, batch, n, upper, compute_v);
                if !ok {
                    let e = Tensor::from_vec(Vec::<T>::new(), &[0])?;
                    return Ok((e.clone(), e, false));
                }
                let vs = if compute_v { a.shape().to_vec() } else { vec![0] };
                Ok((Tensor::from_vec(w, &with_tail(&lead, &[n]))?, Tensor::from_vec(v, &vs)?, true))
            })
        })?;
        Ok((wrap(py, w)?, wrap(py, v)?, ok))
    })
}

/// General eigendecomposition with complex results as (re, im) pairs: w (..., n, 2) and
/// V (..., n, n, 2). Internal until ember has complex dtypes.
#[pyfunction]
fn _linalg_eig_pairs(py: Python<'_>, a: &Bound<'_, PyAny>, compute_v: bool) -> PyResult<(Py<PyAny>, Py<PyAny>, bool)> {
    crate::guard::guard("_linalg_eig_pairs", || {
        let a = tensor_of(a)?;
        need_matrix(&a, "eig")?;
        let (batch, n, _, lead) = mat_dims(&a);
        let (w, v, ok) = run(py, cost(&a), || {
            float_kernel!(a, "eig", T, K => {
                let (w, v, ok) = K::eig(&a.to_vec::<T>()?, batch, n, compute_v);
                if !ok {
                    let e = Tensor::from_vec(Vec::<T>::new(), &[0])?;
                    return Ok((e.clone(), e, false));
                }
                let vs = if compute_v { with_tail(&lead, &[n, n, 2]) } else { vec![0] };
                Ok((Tensor::from_vec(w, &with_tail(&lead, &[n, 2]))?, Tensor::from_vec(v, &vs)?, true))
            })
        })?;
        Ok((wrap(py, w)?, wrap(py, v)?, ok))
    })
}

fn lead_of(t: &Tensor, keep: usize) -> Vec<usize> {
    t.shape()[..t.shape().len() - keep].to_vec()
}

/// Unnormalized complex FFT along the second-to-last dim of `x` (..., n, 2).
#[pyfunction]
fn _fft_c2c_pairs(py: Python<'_>, x: &Bound<'_, PyAny>, inverse: bool) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_fft_c2c_pairs", || {
        let x = tensor_of(x)?;
        if x.shape().len() < 2 || x.shape()[x.shape().len() - 1] != 2 {
            return Err(PyValueError::new_err("_fft_c2c_pairs: expected (..., n, 2) (re, im) pairs"));
        }
        let n = x.shape()[x.shape().len() - 2];
        let batch: usize = lead_of(&x, 2).iter().product();
        let y = run(
            py,
            x.numel() * 8,
            || float_kernel!(x, "fft", T, _K => Tensor::from_vec(fft::c2c(&x.to_vec::<T>()?, batch, n, inverse), x.shape())),
        )?;
        wrap(py, y)
    })
}

/// Unnormalized real-input FFT along the last dim: (..., n) → (..., n/2+1, 2).
#[pyfunction]
fn _fft_r2c_pairs(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_fft_r2c_pairs", || {
        let x = tensor_of(x)?;
        if x.shape().is_empty() {
            return Err(PyValueError::new_err("_fft_r2c_pairs: expected at least 1 dimension"));
        }
        let n = x.shape()[x.shape().len() - 1];
        let lead = lead_of(&x, 1);
        let batch: usize = lead.iter().product();
        let y = run(
            py,
            x.numel() * 8,
            || float_kernel!(x, "rfft", T, _K => Tensor::from_vec(fft::r2c(&x.to_vec::<T>()?, batch, n), &with_tail(&lead, &[n / 2 + 1, 2]))),
        )?;
        wrap(py, y)
    })
}

/// Unnormalized Hermitian-input inverse FFT: (..., m, 2) pairs → (..., n) reals.
#[pyfunction]
fn _fft_c2r_pairs(py: Python<'_>, x: &Bound<'_, PyAny>, n: usize) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_fft_c2r_pairs", || {
        let x = tensor_of(x)?;
        if x.shape().len() < 2 || x.shape()[x.shape().len() - 1] != 2 {
            return Err(PyValueError::new_err("_fft_c2r_pairs: expected (..., m, 2) (re, im) pairs"));
        }
        let nin = x.shape()[x.shape().len() - 2];
        let lead = lead_of(&x, 2);
        let batch: usize = lead.iter().product();
        let y = run(
            py,
            n * batch * 8,
            || float_kernel!(x, "irfft", T, _K => Tensor::from_vec(fft::c2r(&x.to_vec::<T>()?, batch, nin, n), &with_tail(&lead, &[n]))),
        )?;
        wrap(py, y)
    })
}

/// A `torch.special` function of one tensor, evaluated in f64, returned in the input's dtype.
#[pyfunction]
fn _special_unary(py: Python<'_>, name: &str, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_special_unary", || {
        let f = special::unary(name).ok_or_else(|| PyValueError::new_err(format!("unknown special function {name}")))?;
        let x = tensor_of(x)?;
        let y = run(py, x.numel() * 16, || {
            float_kernel!(x, name, T, _K => {
                let v: Vec<T> = x.to_vec::<f64>()?.into_iter().map(|a| f(a) as T).collect();
                Tensor::from_vec(v, x.shape())
            })
        })?;
        wrap(py, y)
    })
}

/// A `torch.special` function of two same-shaped tensors (the caller broadcasts and picks
/// the dtype), evaluated in f64, returned in `a`'s dtype.
#[pyfunction]
fn _special_binary(py: Python<'_>, name: &str, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_special_binary", || {
        let f = special::binary(name).ok_or_else(|| PyValueError::new_err(format!("unknown special function {name}")))?;
        let (a, b) = (tensor_of(a)?, tensor_of(b)?);
        if a.shape() != b.shape() {
            return Err(PyValueError::new_err(format!("{name}: operands must have one shape, got {:?} and {:?}", a.shape(), b.shape())));
        }
        let y = run(py, a.numel() * 16, || {
            float_kernel!(a, name, T, _K => {
                let (va, vb) = (a.to_vec::<f64>()?, b.to_vec::<f64>()?);
                let v: Vec<T> = va.iter().zip(&vb).map(|(&p, &q)| f(p, q) as T).collect();
                Tensor::from_vec(v, a.shape())
            })
        })?;
        wrap(py, y)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_linalg_lu_factor, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_solve, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_lu_factor_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_solve_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_eig_complex_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_cholesky, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_qr, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_svd, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_eigh, m)?)?;
    m.add_function(wrap_pyfunction!(_linalg_eig_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(_fft_c2c_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(_fft_r2c_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(_fft_c2r_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(_special_unary, m)?)?;
    m.add_function(wrap_pyfunction!(_special_binary, m)?)?;
    Ok(())
}
