//! Autograd from Python: requires_grad/grad/grad_fn, backward, autograd.grad, grad modes,
//! graph nodes (`grad_fn` objects), hooks, and custom Functions' nodes.
use crate::convert::tensor_of;
use crate::error::{to_py, IntoPy};
use crate::tensor::{wrap, PyTensor};
use ember::autograd::{self, grad_mode, Node, SavedTensor};
use ember::{Error, Tensor};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

/// A `grad_fn` object: `AddBackward0`, `AccumulateGrad`, …
#[pyclass(name = "Node", module = "ember.autograd.graph", frozen, weakref, dict)]
pub struct PyNode {
    pub n: Arc<Node>,
}

impl Drop for PyNode {
    fn drop(&mut self) {
        self.n.pyobj.store(0, Ordering::Relaxed);
    }
}

/// The Python object for node `n`: the live one when there is one (so `is` holds), else new.
pub fn wrap_node(py: Python<'_>, n: Arc<Node>) -> PyResult<Py<PyAny>> {
    let p = n.pyobj.load(Ordering::Relaxed);
    // A refcount of 0 means the object is being deallocated (e.g. a weakref callback runs
    // during its dealloc): don't resurrect it, hand out a fresh, uncached object.
    // SAFETY: `p` is non-zero only while the Python object is allocated: its Drop (run from the
    // object's dealloc, under the GIL we hold) zeroes the slot before the memory is freed. So the
    // refcount read is of a live object, and a positive count makes the borrowed reference valid.
    if p != 0 && unsafe { pyo3::ffi::Py_REFCNT(p as *mut pyo3::ffi::PyObject) } > 0 {
        return Ok(unsafe { Bound::from_borrowed_ptr(py, p as *mut pyo3::ffi::PyObject) }.unbind());
    }
    let n2 = n.clone();
    let obj = Py::new(py, PyNode { n })?;
    if p == 0 {
        n2.pyobj.store(obj.as_ptr() as usize, Ordering::Relaxed);
    }
    Ok(obj.into_any())
}

/// Returned by a node's `register_hook`/`register_prehook`; `remove()` takes the hook off.
/// Holds the node weakly, so a kept handle doesn't keep a graph alive.
#[pyclass(name = "RemovableHandle", module = "ember.autograd.graph", frozen)]
pub struct NodeHookHandle {
    n: Weak<Node>,
    #[pyo3(get)]
    id: u64,
}

#[pymethods]
impl NodeHookHandle {
    fn remove(&self) {
        if let Some(n) = self.n.upgrade() {
            n.remove_hook(self.id);
        }
    }
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    fn __exit__(&self, _a: &Bound<'_, PyAny>, _b: &Bound<'_, PyAny>, _c: &Bound<'_, PyAny>) {
        self.remove()
    }
}

/// A tensor a custom Function saved (`ctx.save_for_backward`), unpacked with the same
/// version check as native ops; freed by the engine after backward unless retain_graph.
#[pyclass(name = "SavedTensor", module = "ember.autograd.graph", frozen)]
pub struct PySaved {
    s: SavedTensor,
    op: String,
}

#[pymethods]
impl PySaved {
    fn unpack(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("unpack", || wrap(py, self.s.unpack(&self.op).py()?))
    }
}

fn opt_list(py: Python<'_>, v: &[Option<Tensor>]) -> PyResult<Py<PyAny>> {
    let items: Vec<Py<PyAny>> =
        v.iter().map(|g| g.clone().map(|t| wrap(py, t)).unwrap_or_else(|| Ok(py.None()))).collect::<PyResult<_>>()?;
    Ok(PyTuple::new(py, items)?.into_any().unbind())
}

fn from_py_list(r: &Bound<'_, PyAny>) -> PyResult<Vec<Option<Tensor>>> {
    let mut out = vec![];
    let items: Vec<Bound<'_, PyAny>> =
        if r.cast::<PyTensor>().is_ok() { vec![r.clone()] } else { r.try_iter()?.collect::<PyResult<_>>()? };
    for it in items {
        out.push(if it.is_none() { None } else { Some(tensor_of(&it)?) });
    }
    Ok(out)
}

// A Python exception raised inside backward (a hook, a custom Function) crosses the Rust
// engine as an `Error`; the original is parked here, per thread, with the message it became,
// and re-raised unchanged when that same error reaches the Python boundary.
thread_local! {
    static LAST_PY_ERR: RefCell<Option<(String, PyErr)>> = const { RefCell::new(None) };
}

fn py_err(e: PyErr) -> Error {
    Python::attach(|py| {
        let msg = format!("{}: {}", e.get_type(py).name().map(|n| n.to_string()).unwrap_or_default(), e.value(py));
        LAST_PY_ERR.with(|c| *c.borrow_mut() = Some((msg.clone(), e)));
        Error::Runtime(msg)
    })
}

/// Maps an engine error back to Python, re-raising a hook's own exception when it was one.
fn engine_err(e: Error) -> PyErr {
    let parked = LAST_PY_ERR.with(|c| c.borrow_mut().take());
    match (parked, &e) {
        (Some((msg, err)), Error::Runtime(m)) if *m == msg => err,
        _ => to_py(e),
    }
}

#[pymethods]
impl PyNode {
    fn name(&self) -> String {
        self.n.name.to_string()
    }
    fn __repr__(&self) -> String {
        format!("<{} object at 0x{:x}>", self.n.name, Arc::as_ptr(&self.n) as usize)
    }
    #[getter]
    fn __name__(&self) -> String {
        self.n.name.to_string()
    }
    /// A dict stored on the node itself (it outlives this Python object).
    #[getter]
    fn metadata(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("metadata", || {
            let b = self.n.extras().extra.get_or_init(|| Box::new(PyDict::new(py).unbind()));
            let d = b
                .downcast_ref::<Py<PyDict>>()
                .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("node metadata slot holds another type"))?;
            Ok(d.clone_ref(py).into_any())
        })
    }
    #[getter]
    fn next_functions(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("next_functions", || {
            let items: Vec<Py<PyAny>> = self
                .n
                .next
                .iter()
                .map(|e| -> PyResult<Py<PyAny>> {
                    Ok(match e {
                        Some(e) => PyTuple::new(py, [wrap_node(py, e.node.clone())?, e.input_nr.into_pyobject(py)?.into_any().unbind()])?
                            .into_any()
                            .unbind(),
                        None => PyTuple::new(py, [py.None(), 0i64.into_pyobject(py)?.into_any().unbind()])?.into_any().unbind(),
                    })
                })
                .collect::<PyResult<_>>()?;
            Ok(PyTuple::new(py, items)?.into_any().unbind())
        })
    }
    #[getter]
    fn variable(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::guard::guard("variable", || match self.n.variable() {
            Some(t) => wrap(py, t.clone()),
            None => Err(pyo3::exceptions::PyAttributeError::new_err(format!("'{}' object has no attribute 'variable'", self.n.name))),
        })
    }
    /// [(shape, dtype name, bytes)] of the tensors this node saved for backward.
    fn _saved_tensors_info(&self) -> Vec<(Vec<usize>, String, usize)> {
        self.n.saved_summary().into_iter().map(|(s, d, b)| (s, d.name().to_string(), b)).collect()
    }
    fn _sequence_nr(&self) -> u64 {
        self.n.seq
    }
    fn _forward_trace(&self) -> Option<String> {
        self.n.extras_if_any().and_then(|x| x.trace.lock().unwrap().clone())
    }
    /// `hook(grad_inputs, grad_outputs)` after the node runs; may return new grad_inputs.
    fn register_hook(&self, hook: Py<PyAny>) -> NodeHookHandle {
        let id = self.n.add_hook(Arc::new(move |gin: &[Option<Tensor>], gout: &[Option<Tensor>]| {
            Python::attach(|py| {
                let r = hook.call1(py, (opt_list(py, gin)?, opt_list(py, gout)?))?;
                if r.is_none(py) {
                    Ok(None)
                } else {
                    Ok(Some(from_py_list(r.bind(py))?))
                }
            })
            .map_err(py_err)
        }));
        NodeHookHandle { n: Arc::downgrade(&self.n), id }
    }
    /// `hook(grad_outputs)` before the node runs; may return new grad_outputs.
    fn register_prehook(&self, hook: Py<PyAny>) -> NodeHookHandle {
        let id = self.n.add_pre_hook(Arc::new(move |gout: &[Option<Tensor>]| {
            Python::attach(|py| {
                let r = hook.call1(py, (opt_list(py, gout)?,))?;
                if r.is_none(py) {
                    Ok(None)
                } else {
                    Ok(Some(from_py_list(r.bind(py))?))
                }
            })
            .map_err(py_err)
        }));
        NodeHookHandle { n: Arc::downgrade(&self.n), id }
    }
    fn __eq__(&self, o: &Bound<'_, PyAny>) -> bool {
        o.cast::<PyNode>().is_ok_and(|o| Arc::ptr_eq(&o.get().n, &self.n))
    }
    fn __hash__(&self) -> usize {
        Arc::as_ptr(&self.n) as usize
    }
}

#[pymethods]
impl PyTensor {
    #[getter]
    fn requires_grad(&self) -> bool {
        self.t.requires_grad()
    }
    #[setter]
    fn set_requires_grad(&self, v: bool) -> PyResult<()> {
        crate::guard::guard("set_requires_grad", || self.t.set_requires_grad(v).py())
    }
    #[pyo3(signature = (requires_grad=true))]
    fn requires_grad_(slf: &Bound<'_, Self>, requires_grad: bool) -> PyResult<Py<PyAny>> {
        crate::guard::guard("requires_grad_", || {
            slf.get().t.set_requires_grad(requires_grad).py()?;
            Ok(slf.clone().into_any().unbind())
        })
    }
    #[getter]
    fn grad(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        crate::guard::guard("grad", || {
            if self.t.grad_fn().is_some() && !self.t.retains_grad() {
                let w = py.import("warnings")?;
                w.call_method1(
                "warn",
                ("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.",),
            )?;
            }
            self.t.grad().map(|g| wrap(py, g)).transpose()
        })
    }
    #[setter]
    fn set_grad(&self, g: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        crate::guard::guard("set_grad", || {
            let g = match g {
                Some(g) if !g.is_none() => Some(tensor_of(g)?),
                _ => None,
            };
            if let Some(g) = &g {
                self.t.check_grad_assign(g).py()?;
                if g.shape() != self.t.shape() {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                        "assigned grad has data of a different size: grad shape {:?} but tensor shape {:?}",
                        g.shape(),
                        self.t.shape()
                    )));
                }
            }
            self.t.set_grad(g);
            Ok(())
        })
    }
    #[getter]
    fn grad_fn(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        crate::guard::guard("grad_fn", || self.t.grad_fn().map(|n| wrap_node(py, n)).transpose())
    }
    #[getter]
    fn is_leaf(&self) -> bool {
        self.t.is_leaf()
    }
    #[getter]
    fn retains_grad(&self) -> bool {
        self.t.retains_grad()
    }
    fn retain_grad(&self) -> PyResult<()> {
        crate::guard::guard("retain_grad", || self.t.retain_grad().py())
    }
    #[getter]
    fn output_nr(&self) -> usize {
        self.t.output_nr()
    }
    #[getter]
    fn _param_name(&self) -> Option<String> {
        self.t.name()
    }
    #[setter]
    #[allow(non_snake_case)]
    fn set__param_name(&self, n: Option<String>) {
        self.t.set_name(n)
    }
    /// `hook(grad)` when this tensor's gradient is computed; may return a replacement.
    /// Returns a handle whose `remove()` is managed on the Python side.
    fn _register_hook(&self, hook: Py<PyAny>) -> PyResult<()> {
        crate::guard::guard("_register_hook", || self.t.register_hook(Arc::new(PyGradHook { f: hook })).py())
    }
    /// Shows Python's cycle collector the callables of the hooks this tensor alone keeps
    /// alive, so a hook that captures its own tensor is collected (see `visit_owned_hooks`).
    fn __traverse__(&self, visit: pyo3::pyclass::PyVisit<'_>) -> Result<(), pyo3::pyclass::PyTraverseError> {
        if !initialised(self) {
            return Ok(());
        }
        let mut res = Ok(());
        self.t.visit_owned_hooks(&mut |h| {
            if res.is_err() {
                return;
            }
            if let Some(h) = h.as_any().downcast_ref::<PyGradHook>() {
                res = visit.call(&h.f);
            }
        });
        res
    }
    /// The collector found this tensor unreachable: drop the hooks it alone holds, breaking
    /// the cycle (after `take_owned_hooks` has released its locks).
    fn __clear__(&self) {
        if initialised(self) {
            drop(self.t.take_owned_hooks());
        }
    }
}

/// Whether PyO3 has moved the Rust value into this Python object yet. The collector can visit
/// an instance before that: a Python subclass's `object_new` allocates the instance `__dict__`,
/// which may start a collection, after the instance is tracked and zero-filled but before PyO3
/// writes the `PyTensor` (a crash seen in the test suite: `nn.Parameter` construction).
fn initialised(slf: &PyTensor) -> bool {
    slf.t.is_set()
}

/// A gradient hook written in Python: `f(grad)` returns None or a replacement.
struct PyGradHook {
    f: Py<PyAny>,
}

impl autograd::GradHook for PyGradHook {
    fn call(&self, g: &Tensor) -> ember::Result<Option<Tensor>> {
        Python::attach(|py| {
            let r = self.f.call1(py, (wrap(py, g.clone())?,))?;
            if r.is_none(py) {
                Ok(None)
            } else {
                Ok(Some(tensor_of(r.bind(py))?))
            }
        })
        .map_err(py_err)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn pairs(outputs: &Bound<'_, PyAny>, grads: &Bound<'_, PyAny>) -> PyResult<Vec<(Tensor, Tensor)>> {
    let outs = from_py_list(outputs)?;
    let gs = if grads.is_none() { vec![None; outs.len()] } else { from_py_list(grads)? };
    if gs.len() != outs.len() {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "grad can be implicitly created only for scalar outputs (got {} gradients for {} outputs)",
            gs.len(),
            outs.len()
        )));
    }
    let mut out = vec![];
    for (o, g) in outs.into_iter().zip(gs) {
        let o = o.ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("outputs must be tensors"))?;
        let g = match g {
            Some(g) => {
                if g.shape() != o.shape() {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                        "Mismatch in shape: grad_output[0] has a shape of {:?} and output[0] has a shape of {:?}.",
                        g.shape(),
                        o.shape()
                    )));
                }
                g
            }
            None => {
                if o.numel() != 1 {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err("grad can be implicitly created only for scalar outputs"));
                }
                if o.dtype().is_complex() {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err("grad can be implicitly created only for real scalar outputs"));
                }
                if !o.requires_grad() {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(
                        "element 0 of tensors does not require grad and does not have a grad_fn",
                    ));
                }
                o.ones_like().py()?
            }
        };
        out.push((o, g));
    }
    Ok(out)
}

#[pyfunction]
#[pyo3(signature = (tensors, grad_tensors=None, retain_graph=None, create_graph=false, inputs=None))]
fn _backward(
    tensors: &Bound<'_, PyAny>,
    grad_tensors: Option<&Bound<'_, PyAny>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    inputs: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    crate::guard::guard("_backward", || {
        let py = tensors.py();
        let roots = pairs(tensors, grad_tensors.unwrap_or(&py.None().into_bound(py)))?;
        let ins: Vec<Tensor> = match inputs {
            Some(i) if !i.is_none() => from_py_list(i)?.into_iter().flatten().collect(),
            _ => vec![],
        };
        // Without the GIL: Python threads (DataLoader, a distributed communication thread
        // reducing gradient buckets) run while the engine works; hooks and custom Functions
        // re-acquire it when they call back into Python.
        let retain = retain_graph.unwrap_or(create_graph);
        py.detach(|| autograd::backward(&roots, &ins, retain, create_graph)).map_err(engine_err)
    })
}

#[pyfunction]
#[pyo3(signature = (outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=false, allow_unused=false))]
fn _grad(
    py: Python<'_>,
    outputs: &Bound<'_, PyAny>,
    inputs: &Bound<'_, PyAny>,
    grad_outputs: Option<&Bound<'_, PyAny>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    allow_unused: bool,
) -> PyResult<Py<PyAny>> {
    crate::guard::guard("_grad", || {
        let roots = pairs(outputs, grad_outputs.unwrap_or(&py.None().into_bound(py)))?;
        let ins: Vec<Tensor> = from_py_list(inputs)?.into_iter().flatten().collect();
        let retain = retain_graph.unwrap_or(create_graph);
        let got = py.detach(|| autograd::grad(&roots, &ins, retain, create_graph, allow_unused)).map_err(engine_err)?;
        opt_list(py, &got)
    })
}

/// Attaches a custom Function's node: `backward(*grads)` is a Python callable returning
/// one gradient (or None) per input in `inputs`. `saved` (tensors or None) become
/// `SavedTensor` handles, returned in order: outputs among them are saved without their
/// history (no cycle), and every unpack checks the version counter.
#[pyfunction]
fn _record_function(
    py: Python<'_>,
    name: String,
    inputs: &Bound<'_, PyList>,
    outputs: &Bound<'_, PyList>,
    saved: &Bound<'_, PyList>,
    backward: Py<PyAny>,
) -> PyResult<Vec<Option<Py<PySaved>>>> {
    crate::guard::guard("_record_function", || {
        let ins: Vec<Tensor> = inputs.iter().map(|i| tensor_of(&i)).collect::<PyResult<_>>()?;
        let outs: Vec<Tensor> = outputs.iter().map(|i| tensor_of(&i)).collect::<PyResult<_>>()?;
        let mut sv: Vec<SavedTensor> = vec![];
        let mut handles = vec![];
        for item in saved.iter() {
            if item.is_none() {
                handles.push(None);
                continue;
            }
            let t = tensor_of(&item)?;
            let s = if outs.iter().any(|o| o.same(&t)) { SavedTensor::output(&t) } else { SavedTensor::input(&t) };
            sv.push(s.clone());
            handles.push(Some(Py::new(py, PySaved { s, op: name.clone() })?));
        }
        let n_in = ins.len();
        let f = move |g: &[Option<Tensor>]| -> ember::Result<Vec<Option<Tensor>>> {
            Python::attach(|py| {
                let args: Vec<Py<PyAny>> =
                    g.iter().map(|t| t.clone().map(|t| wrap(py, t)).unwrap_or_else(|| Ok(py.None()))).collect::<PyResult<_>>()?;
                let r = backward.call1(py, PyTuple::new(py, args)?)?;
                let mut v = from_py_list(r.bind(py))?;
                v.resize(n_in, None);
                Ok(v)
            })
            .map_err(py_err)
        };
        let in_refs: Vec<&Tensor> = ins.iter().collect();
        let out_refs: Vec<&Tensor> = outs.iter().collect();
        autograd::record_dyn(name.into(), &in_refs, &out_refs, Box::new(f), sv);
        Ok(handles)
    })
}

#[pyfunction]
fn is_grad_enabled() -> bool {
    grad_mode::is_enabled()
}
#[pyfunction]
fn _set_grad_enabled(on: bool) -> bool {
    grad_mode::set_enabled(on)
}
#[pyfunction]
fn is_inference_mode_enabled() -> bool {
    grad_mode::is_inference()
}
#[pyfunction]
fn _set_inference_mode(on: bool) -> bool {
    grad_mode::set_inference(on)
}
#[pyfunction]
fn is_anomaly_enabled() -> bool {
    grad_mode::anomaly().0
}
#[pyfunction]
fn is_anomaly_check_nan_enabled() -> bool {
    grad_mode::anomaly().1
}
#[pyfunction]
#[pyo3(signature = (on, check_nan=true))]
fn _set_anomaly(on: bool, check_nan: bool) -> (bool, bool) {
    grad_mode::set_anomaly(on, check_nan)
}

fn python_stack() -> Option<String> {
    Python::attach(|py| {
        let tb = py.import("traceback").ok()?;
        let lines = tb.call_method0("format_stack").ok()?;
        let v: Vec<String> = lines.extract().ok()?;
        // Drop ember's own frames at the end of the stack.
        let v: Vec<String> = v.into_iter().filter(|l| !l.contains("/ember/")).collect();
        Some(v.join(""))
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let _ = ember::autograd::engine::TRACE_HOOK.set(python_stack);
    m.add_class::<NodeHookHandle>()?;
    m.add_class::<PySaved>()?;
    m.add_function(wrap_pyfunction!(_backward, m)?)?;
    m.add_function(wrap_pyfunction!(_grad, m)?)?;
    m.add_function(wrap_pyfunction!(_record_function, m)?)?;
    m.add_function(wrap_pyfunction!(is_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_set_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(is_inference_mode_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_set_inference_mode, m)?)?;
    m.add_function(wrap_pyfunction!(is_anomaly_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(is_anomaly_check_nan_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_set_anomaly, m)?)?;
    Ok(())
}
