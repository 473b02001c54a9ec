//! Binding for the nn kernels (`ember.nn.functional` calls these) and the fused optimizer steps.
use crate::tensor::{run, wrap, PyTensor};
use ember::ops::{nn, optim};
use ember::Tensor;
use pyo3::prelude::*;

type T<'py> = Bound<'py, PyTensor>;

fn ts(v: &[T<'_>]) -> Vec<Tensor> {
    v.iter().map(|t| t.get().operand().clone()).collect()
}

fn opt(t: &Option<T<'_>>) -> Option<Tensor> {
    t.as_ref().map(|t| t.get().operand().clone())
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _conv2d(
    py: Python<'_>,
    x: T<'_>,
    w: T<'_>,
    b: Option<T<'_>>,
    stride: (usize, usize),
    pad: &Bound<'_, PyAny>,
    dilation: (usize, usize),
    groups: usize,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_conv2d", || {
        let (x, w, b) = (x.get().operand().clone(), w.get().operand().clone(), opt(&b));
        // PyTorch's padding argument: (top, bottom, left, right) or "valid"/"same"
        let pad: [usize; 4] = match pad.extract::<String>() {
            Ok(mode) => {
                let k = if w.ndim() == 4 { [w.shape()[2], w.shape()[3]] } else { [1, 1] };
                let p = ember::ops::conv::string_padding(&mode, &k, &[dilation.0, dilation.1], &[stride.0, stride.1])
                    .map_err(crate::error::to_py)?;
                [p[0].0, p[0].1, p[1].0, p[1].1]
            }
            Err(_) => pad.extract()?,
        };
        let work = x.numel() * w.numel();
        wrap(py, run(py, work, || nn::conv2d(&x, &w, b.as_ref(), stride, pad, dilation, groups))?)
    })
}

/// (before, after) padding per spatial dim for a string padding ("valid"/"same"); conv3d's.
#[pyfunction]
fn _conv_padding(mode: &str, kernel: Vec<usize>, dilation: Vec<usize>, stride: Vec<usize>) -> PyResult<Vec<(usize, usize)>> {
    crate::guard::guard("_conv_padding", || {
        ember::ops::conv::string_padding(mode, &kernel, &dilation, &stride).map_err(crate::error::to_py)
    })
}

#[pyfunction]
fn _max_pool2d(
    py: Python<'_>,
    x: T<'_>,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    dilation: (usize, usize),
    ceil_mode: bool,
) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
    crate::guard::guard("_max_pool2d", || {
        let x = x.get().operand().clone();
        let (o, i) = run(py, x.numel() * k.0 * k.1, || nn::max_pool2d(&x, k, stride, pad, dilation, ceil_mode))?;
        Ok((wrap(py, o)?, wrap(py, i)?))
    })
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (x, k, stride, pad, ceil_mode, count_include_pad, divisor=None))]
fn _avg_pool2d(
    py: Python<'_>,
    x: T<'_>,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    ceil_mode: bool,
    count_include_pad: bool,
    divisor: Option<f64>,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_avg_pool2d", || {
        let x = x.get().operand().clone();
        wrap(py, run(py, x.numel() * k.0 * k.1, || nn::avg_pool2d(&x, k, stride, pad, ceil_mode, count_include_pad, divisor))?)
    })
}

/// Output sizes of a pooling over the trailing dims of `shape` (Rust's one geometry rule).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _pool_output_sizes(
    shape: Vec<usize>,
    k: Vec<usize>,
    s: Vec<usize>,
    p: Vec<usize>,
    d: Vec<usize>,
    ceil_mode: bool,
) -> PyResult<Vec<usize>> {
    crate::guard::guard("_pool_output_sizes", || {
        ember::ops::pool::pool_output_sizes(&shape, &k, &s, &p, &d, ceil_mode).map_err(crate::error::to_py)
    })
}

#[pyfunction]
fn _adaptive_avg_pool2d(py: Python<'_>, x: T<'_>, out: (usize, usize)) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_adaptive_avg_pool2d", || {
        let x = x.get().operand().clone();
        wrap(py, run(py, x.numel(), || nn::adaptive_avg_pool2d(&x, out))?)
    })
}

#[pyfunction]
#[pyo3(signature = (weight, indices, padding_idx=None))]
fn _embedding(py: Python<'_>, weight: T<'_>, indices: T<'_>, padding_idx: Option<i64>) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_embedding", || {
        let (w, i) = (weight.get().operand().clone(), indices.get().operand().clone());
        wrap(py, run(py, i.numel() * w.shape().get(1).copied().unwrap_or(1), || nn::embedding(&w, &i, padding_idx))?)
    })
}

#[pyfunction]
#[pyo3(signature = (x, target, weight, reduction, ignore_index, label_smoothing))]
fn _cross_entropy(
    py: Python<'_>,
    x: T<'_>,
    target: T<'_>,
    weight: Option<T<'_>>,
    reduction: &str,
    ignore_index: i64,
    label_smoothing: f64,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_cross_entropy", || {
        let red = crate::error::IntoPy::py(nn::reduction_code(reduction))?;
        let (x, t, w) = (x.get().operand().clone(), target.get().operand().clone(), opt(&weight));
        wrap(py, run(py, x.numel(), || nn::cross_entropy(&x, &t, w.as_ref(), red, ignore_index, label_smoothing))?)
    })
}

#[pyfunction]
#[pyo3(signature = (x, target, weight, reduction, ignore_index))]
fn _nll_loss(py: Python<'_>, x: T<'_>, target: T<'_>, weight: Option<T<'_>>, reduction: &str, ignore_index: i64) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_nll_loss", || {
        let red = crate::error::IntoPy::py(nn::reduction_code(reduction))?;
        let (x, t, w) = (x.get().operand().clone(), target.get().operand().clone(), opt(&weight));
        wrap(py, run(py, x.numel(), || nn::nll_loss(&x, &t, w.as_ref(), red, ignore_index))?)
    })
}

#[pyfunction]
#[pyo3(signature = (x, y, weight, pos_weight, reduction))]
fn _bce_with_logits(
    py: Python<'_>,
    x: T<'_>,
    y: T<'_>,
    weight: Option<T<'_>>,
    pos_weight: Option<T<'_>>,
    reduction: &str,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_bce_with_logits", || {
        let red = crate::error::IntoPy::py(nn::reduction_code(reduction))?;
        let (x, y, w, p) = (x.get().operand().clone(), y.get().operand().clone(), opt(&weight), opt(&pos_weight));
        wrap(py, run(py, x.numel(), || nn::bce_with_logits(&x, &y, w.as_ref(), p.as_ref(), red))?)
    })
}

// ---- fused optimizer steps ----
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _sgd_step(
    py: Python<'_>,
    params: Vec<T<'_>>,
    grads: Vec<T<'_>>,
    momentum_bufs: Vec<Option<T<'_>>>,
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
) -> PyResult<Vec<Option<Py<PyAny>>>> {
    crate::guard::guard("_sgd_step", || {
        let (p, g) = (ts(&params), ts(&grads));
        let b: Vec<Option<Tensor>> = momentum_bufs.iter().map(opt).collect();
        let work = p.iter().map(|t| t.numel()).sum();
        let out = run(py, work, || optim::sgd_step(&p, &g, &b, lr, momentum, dampening, weight_decay, nesterov, maximize))?;
        out.into_iter().map(|b| b.map(|b| wrap(py, b)).transpose()).collect()
    })
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _adam_step(
    py: Python<'_>,
    params: Vec<T<'_>>,
    grads: Vec<T<'_>>,
    exp_avgs: Vec<T<'_>>,
    exp_avg_sqs: Vec<T<'_>>,
    max_exp_avg_sqs: Vec<T<'_>>,
    steps: Vec<T<'_>>,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
    decoupled: bool,
) -> PyResult<()> {
    crate::guard::guard("_adam_step", || {
        let (p, g, m, v, vm, s) = (ts(&params), ts(&grads), ts(&exp_avgs), ts(&exp_avg_sqs), ts(&max_exp_avg_sqs), ts(&steps));
        check_lens(&p, &[&g, &m, &v, &s])?;
        let work = p.iter().map(|t| t.numel()).sum();
        run(py, work, || optim::adam_step(&p, &g, &m, &v, &vm, &s, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled))
    })
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _rmsprop_step(
    py: Python<'_>,
    params: Vec<T<'_>>,
    grads: Vec<T<'_>>,
    square_avgs: Vec<T<'_>>,
    grad_avgs: Vec<T<'_>>,
    momentum_bufs: Vec<T<'_>>,
    steps: Vec<T<'_>>,
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    maximize: bool,
) -> PyResult<()> {
    crate::guard::guard("_rmsprop_step", || {
        let (p, g, sq, ga, mb, s) = (ts(&params), ts(&grads), ts(&square_avgs), ts(&grad_avgs), ts(&momentum_bufs), ts(&steps));
        check_lens(&p, &[&g, &sq, &s])?;
        let work = p.iter().map(|t| t.numel()).sum();
        run(py, work, || optim::rmsprop_step(&p, &g, &sq, &ga, &mb, &s, lr, alpha, eps, weight_decay, momentum, centered, maximize))
    })
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _adagrad_step(
    py: Python<'_>,
    params: Vec<T<'_>>,
    grads: Vec<T<'_>>,
    sums: Vec<T<'_>>,
    steps: Vec<T<'_>>,
    lr: f64,
    lr_decay: f64,
    weight_decay: f64,
    eps: f64,
    maximize: bool,
) -> PyResult<()> {
    crate::guard::guard("_adagrad_step", || {
        let (p, g, sm, s) = (ts(&params), ts(&grads), ts(&sums), ts(&steps));
        check_lens(&p, &[&g, &sm, &s])?;
        let work = p.iter().map(|t| t.numel()).sum();
        run(py, work, || optim::adagrad_step(&p, &g, &sm, &s, lr, lr_decay, weight_decay, eps, maximize))
    })
}

fn check_lens(p: &[Tensor], others: &[&Vec<Tensor>]) -> PyResult<()> {
    if others.iter().any(|o| o.len() != p.len()) {
        return Err(pyo3::exceptions::PyValueError::new_err("fused optimizer step: every list must hold one entry per parameter"));
    }
    Ok(())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_conv2d, m)?)?;
    m.add_function(wrap_pyfunction!(_conv_padding, m)?)?;
    m.add_function(wrap_pyfunction!(_max_pool2d, m)?)?;
    m.add_function(wrap_pyfunction!(_avg_pool2d, m)?)?;
    m.add_function(wrap_pyfunction!(_adaptive_avg_pool2d, m)?)?;
    m.add_function(wrap_pyfunction!(_pool_output_sizes, m)?)?;
    m.add_function(wrap_pyfunction!(_embedding, m)?)?;
    m.add_function(wrap_pyfunction!(_cross_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(_nll_loss, m)?)?;
    m.add_function(wrap_pyfunction!(_bce_with_logits, m)?)?;
    m.add_function(wrap_pyfunction!(_sgd_step, m)?)?;
    m.add_function(wrap_pyfunction!(_adam_step, m)?)?;
    m.add_function(wrap_pyfunction!(_rmsprop_step, m)?)?;
    m.add_function(wrap_pyfunction!(_adagrad_step, m)?)?;
    Ok(())
}
