//! The backward engine.
//!
//! 1. From the root edges, count how many edges reach each node (dependencies).
//! 2. When capturing (`autograd.grad`, `backward(inputs=)`), mark the nodes that lead to a
//!    captured input; others are skipped.
//! 3. Pop ready nodes newest-first (by sequence number); sum the gradients that met in the
//!    node's buffer, run hooks, call its backward, pass results along its edges.
//! 4. Free saved tensors after use unless `retain_graph`.
use super::{grad_mode, Edge, Node, NodeKind};
use crate::{Error, Result, Tensor};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

type Key = usize;
fn key(n: &Arc<Node>) -> Key {
    Arc::as_ptr(n) as usize
}

/// Set by the binding: returns the Python stack of the current forward call.
pub static TRACE_HOOK: OnceLock<fn() -> Option<String>> = OnceLock::new();

pub fn capture_trace() -> Option<String> {
    if !grad_mode::anomaly().0 {
        return None;
    }
    TRACE_HOOK.get().and_then(|f| f())
}

struct Ready(u64, Arc<Node>);
impl PartialEq for Ready {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Ready {}
impl PartialOrd for Ready {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ready {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.cmp(&o.0)
    }
}

fn root_edge(t: &Tensor, i: usize) -> Result<Edge> {
    super::edge_of(t).ok_or_else(|| Error::runtime(format!("element {i} of tensors does not require grad and does not have a grad_fn")))
}

fn add_into(slot: &mut Option<Tensor>, g: Tensor) -> Result<()> {
    *slot = Some(match slot.take() {
        None => g,
        Some(old) => old.add(&g)?,
    });
    Ok(())
}

/// Where to capture a gradient instead of (or besides) accumulating it.
fn capture_edge(t: &Tensor) -> Option<Edge> {
    super::edge_of(t)
}

/// Runs backward from `roots` (tensor, gradient). With `capture`, returns the gradients
/// reaching those tensors; with `accumulate`, leaves' `.grad` are updated (restricted to
/// `capture` when it is given).
pub fn run(
    roots: &[(Tensor, Tensor)],
    capture: &[Tensor],
    accumulate: bool,
    retain_graph: bool,
    create_graph: bool,
) -> Result<Vec<Option<Tensor>>> {
    let _mode = ModeGuard(grad_mode::set_enabled(create_graph));
    let mut buffers: HashMap<Key, Vec<Option<Tensor>>> = HashMap::new();
    let mut deps: HashMap<Key, usize> = HashMap::new();
    let mut root_nodes = vec![];
    for (i, (t, g)) in roots.iter().enumerate() {
        let e = root_edge(t, i)?;
        let buf = buffers.entry(key(&e.node)).or_insert_with(|| vec![None; e.node.n_outputs.max(1)]);
        add_into(&mut buf[e.input_nr], g.clone())?;
        root_nodes.push(e.node);
    }
    // Dependencies, by DFS over every reachable node.
    let mut order = vec![];
    let mut seen = HashSet::new();
    let mut stack: Vec<Arc<Node>> = root_nodes.clone();
    while let Some(n) = stack.pop() {
        if !seen.insert(key(&n)) {
            continue;
        }
        order.push(n.clone());
        for e in n.next.iter().flatten() {
            *deps.entry(key(&e.node)).or_default() += 1;
            stack.push(e.node.clone());
        }
    }
    let targets: Vec<Option<Edge>> = capture.iter().map(capture_edge).collect();
    let mut captured: Vec<Option<Tensor>> = vec![None; capture.len()];
    // With capture targets, only nodes on a path to one of them need to run.
    let needed: Option<HashSet<Key>> = (!capture.is_empty()).then(|| {
        let tk: HashSet<Key> = targets.iter().flatten().map(|e| key(&e.node)).collect();
        let mut need: HashSet<Key> = HashSet::new();
        // `order` is a DFS preorder; iterate to a fixed point (graphs are small).
        loop {
            let before = need.len();
            for n in &order {
                if tk.contains(&key(n)) || n.next.iter().flatten().any(|e| need.contains(&key(&e.node))) {
                    need.insert(key(n));
                }
            }
            if need.len() == before {
                break need;
            }
        }
    });

    let mut heap = BinaryHeap::new();
    for n in root_nodes {
        if deps.get(&key(&n)).copied().unwrap_or(0) == 0 && !heap.iter().any(|r: &Ready| Arc::ptr_eq(&r.1, &n)) {
            heap.push(Ready(n.seq, n));
        }
    }
    while let Some(Ready(_, node)) = heap.pop() {
        let k = key(&node);
        let mut grads = buffers.remove(&k).unwrap_or_default();
        let run_it = needed.as_ref().is_none_or(|s| s.contains(&k));
        let mut outs: Vec<Option<Tensor>> = vec![None; node.next.len()];
        if run_it && grads.iter().any(|g| g.is_some()) {
            // Tensor hooks (incl. retain_grad) see the summed gradient of their output.
            let extras = node.extras_if_any();
            let tensor_hooks: Vec<_> =
                extras.map(|x| x.tensor_pre_hooks.lock().unwrap().iter().map(|(nr, h, _)| (*nr, h.clone())).collect()).unwrap_or_default();
            for (nr, hook) in tensor_hooks {
                if let Some(g) = &grads[nr] {
                    if let Some(new) = hook.call(g)? {
                        grads[nr] = Some(checked_hook_result(g, new)?);
                    }
                }
            }
            // A leaf's own hooks run before its gradient is captured or accumulated.
            if let (NodeKind::AccumulateGrad(leaf), Some(g)) = (&node.kind, &grads[0]) {
                grads[0] = Some(run_leaf_hooks(leaf, g.clone())?);
            }
            for (i, t) in targets.iter().enumerate() {
                if let Some(e) = t {
                    if Arc::ptr_eq(&e.node, &node) {
                        captured[i] = grads[e.input_nr].clone();
                    }
                }
            }
            let pre_hooks: Vec<_> = extras.map(|x| x.pre_hooks.lock().unwrap().iter().map(|h| h.1.clone()).collect()).unwrap_or_default();
            for h in pre_hooks {
                if let Some(new) = h(&grads)? {
                    grads = new;
                }
            }
            match &node.kind {
                NodeKind::AccumulateGrad(leaf) => {
                    let wanted = capture.is_empty() || targets.iter().flatten().any(|e| Arc::ptr_eq(&e.node, &node));
                    if accumulate && wanted {
                        if let Some(g) = grads[0].take() {
                            accumulate_grad(leaf, g, create_graph)?;
                        }
                    }
                }
                NodeKind::Function(f) => {
                    let mut guard = f.lock().unwrap();
                    let Some(func) = guard.as_ref() else {
                        return Err(Error::runtime(
                            "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.",
                        ));
                    };
                    // Multi-output nodes get zeros for outputs that received no gradient.
                    let dev = grads.iter().flatten().next().map_or(crate::Device::Cpu, |g| g.device());
                    for (slot, (shape, dt)) in grads.iter_mut().zip(&node.outputs) {
                        if slot.is_none() {
                            *slot = Some(Tensor::zeros_on(shape, *dt, dev)?);
                        }
                    }
                    // A panicking formula becomes an error naming the node, never a crash.
                    outs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| func.apply(&grads))).unwrap_or_else(|p| {
                        let why = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned());
                        Err(Error::runtime(format!("internal error in {}: {}", node.name, why.unwrap_or_default())))
                    })?;
                    if outs.len() != node.next.len() {
                        return Err(Error::runtime(format!(
                            "function {} returned an incorrect number of gradients (expected {}, got {})",
                            node.name,
                            node.next.len(),
                            outs.len()
                        )));
                    }
                    check_anomaly(&node, &outs)?;
                    if !retain_graph {
                        let saved = node.saved.lock().unwrap();
                        if !saved.is_empty() {
                            saved.iter().for_each(|s| s.release());
                            *guard = None;
                        }
                    }
                }
            }
            let hooks: Vec<_> =
                node.extras_if_any().map(|x| x.hooks.lock().unwrap().iter().map(|h| h.1.clone()).collect()).unwrap_or_default();
            for h in hooks {
                if let Some(new) = h(&outs, &grads)? {
                    outs = new;
                }
            }
        }
        for (e, g) in node.next.iter().zip(outs) {
            let Some(e) = e else { continue };
            let ck = key(&e.node);
            if let Some(mut g) = g {
                // A real input of a complex computation gets the real part of its gradient.
                if g.dtype().is_complex() {
                    let want = e.node.outputs.get(e.input_nr).map(|o| o.1).or(e.node.first_dtype);
                    if let Some(d) = want.filter(|d| !d.is_complex()) {
                        g = g.to_dtype(d)?;
                    }
                }
                let buf = buffers.entry(ck).or_insert_with(|| vec![None; e.node.n_outputs.max(1)]);
                add_into(&mut buf[e.input_nr], g)?;
            }
            let d = deps.get_mut(&ck).unwrap();
            *d -= 1;
            if *d == 0 {
                heap.push(Ready(e.node.seq, e.node.clone()));
            }
        }
    }
    Ok(captured)
}

struct ModeGuard(bool);
impl Drop for ModeGuard {
    fn drop(&mut self) {
        grad_mode::set_enabled(self.0);
    }
}

fn run_leaf_hooks(leaf: &Tensor, mut g: Tensor) -> Result<Tensor> {
    let hooks = leaf.meta().hooks.clone();
    for h in &hooks {
        if let Some(new) = h.call(&g)? {
            g = checked_hook_result(&g, new)?;
        }
    }
    Ok(g)
}

/// A gradient hook may replace the gradient, but not with one of another size, dtype or
/// device (PyTorch's checks): it would otherwise end up in `.grad` or flow on silently.
fn checked_hook_result(old: &Tensor, new: Tensor) -> Result<Tensor> {
    let what = if new.shape() != old.shape() {
        format!("size of value (was {:?} got {:?})", old.shape(), new.shape())
    } else if new.dtype() != old.dtype() {
        format!("type of value (was {} got {})", old.dtype().scalar_name(), new.dtype().scalar_name())
    } else if new.device() != old.device() {
        format!("device of value (was {} got {})", old.device(), new.device())
    } else {
        return Ok(new);
    };
    Err(crate::Error::runtime(format!(
        "hook has changed the {what}; a gradient hook must return a tensor of the gradient's shape, dtype and device, or None"
    )))
}

fn accumulate_grad(leaf: &Tensor, g: Tensor, create_graph: bool) -> Result<()> {
    // AccumulateGrad casts to the leaf's grad_dtype (its own dtype unless set otherwise).
    let g = match leaf.grad_dtype() {
        Some(d) if d != g.dtype() && !g.is_sparse() => g.to_dtype(d)?,
        _ => g,
    };
    let g = if create_graph {
        g
    } else {
        let d = g.detach();
        drop(g); // so that an unshared buffer can be stolen below
        d
    };
    let new = match leaf.grad() {
        None => {
            // Steal the buffer when nobody else holds it; otherwise copy, so that an
            // in-place change to one leaf's .grad can't show up in another's.
            if Arc::strong_count(&g.0) == 1 && g.storage().handle_count() == 1 && obeys_layout_contract(leaf, &g) {
                g
            } else {
                grad_in_leaf_layout(leaf, &g)?
            }
        }
        Some(old) => old.add(&g)?,
    };
    leaf.set_grad(Some(new));
    Ok(())
}

/// PyTorch's layout contract for a leaf's `.grad`: the leaf's own strides when it is dense and
/// non-overlapping (a transposed parameter gets a transposed gradient), else row-major. Strides
/// of size-1 dims don't count.
fn obeys_layout_contract(leaf: &Tensor, g: &Tensor) -> bool {
    if g.shape() != leaf.shape() {
        return false;
    }
    if g.is_sparse() {
        return g.is_contiguous();
    }
    if !ember_core::layout::is_non_overlapping_and_dense(leaf.shape(), leaf.strides()) {
        return g.is_contiguous();
    }
    leaf.shape().iter().zip(leaf.strides().iter().zip(g.strides())).all(|(&n, (a, b))| n == 1 || a == b)
}

/// A fresh copy of `g` laid out by the layout contract above.
fn grad_in_leaf_layout(leaf: &Tensor, g: &Tensor) -> Result<Tensor> {
    let l = leaf.layout();
    if g.shape() != leaf.shape()
        || g.is_sparse()
        || l.is_contiguous()
        || !ember_core::layout::is_non_overlapping_and_dense(&l.sizes, &l.strides)
    {
        return g.contiguous_copy();
    }
    g.map_in_layout(&ember_core::layout::preserve_format(l), |x| x.contiguous_copy())
}

fn check_anomaly(node: &Node, outs: &[Option<Tensor>]) -> Result<()> {
    let (on, check_nan) = grad_mode::anomaly();
    if !on || !check_nan {
        return Ok(());
    }
    for (i, g) in outs.iter().enumerate() {
        if let Some(g) = g {
            if g.dtype().is_float() && g.has_nonfinite()? {
                let trace = node.extras_if_any().and_then(|x| x.trace.lock().unwrap().clone()).unwrap_or_default();
                let tb =
                    if trace.is_empty() { String::new() } else { format!("\nTraceback of forward call that caused the error:\n{trace}") };
                return Err(Error::runtime(format!("Function '{}' returned nan values in its {i}th output.{tb}", node.name)));
            }
        }
    }
    Ok(())
}

/// `Tensor.backward` / `autograd.backward`: accumulates into leaves' `.grad`.
pub fn backward(roots: &[(Tensor, Tensor)], inputs: &[Tensor], retain_graph: bool, create_graph: bool) -> Result<()> {
    let got = run(roots, inputs, true, retain_graph, create_graph)?;
    // `inputs=` may name non-leaves: their gradient goes to their own `.grad`.
    for (t, g) in inputs.iter().zip(got) {
        if let (Some(g), false) = (g, t.is_leaf()) {
            accumulate_grad(t, g, create_graph)?;
        }
    }
    Ok(())
}

/// `autograd.grad`: returns gradients of `roots` w.r.t. `inputs` without touching `.grad`.
pub fn grad(
    roots: &[(Tensor, Tensor)],
    inputs: &[Tensor],
    retain_graph: bool,
    create_graph: bool,
    allow_unused: bool,
) -> Result<Vec<Option<Tensor>>> {
    for (i, t) in inputs.iter().enumerate() {
        if !t.requires_grad() {
            return Err(Error::runtime(format!("One of the differentiated Tensors (index {i}) does not require grad")));
        }
    }
    let got = run(roots, inputs, false, retain_graph, create_graph)?;
    if !allow_unused {
        if let Some(i) = got.iter().position(|g| g.is_none()) {
            return Err(Error::runtime(format!(
                "The differentiated Tensor at index {i} appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior."
            )));
        }
    }
    Ok(got)
}
