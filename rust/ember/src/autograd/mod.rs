//! Tape-based reverse mode. A `Node` is one recorded backward step; edges point at the
//! nodes that produced the op's inputs (or at `AccumulateGrad` nodes for leaves).
//! `record` is the one place ops attach history; `engine::run` walks it backwards.
pub mod engine;
pub mod grad_mode;
mod inplace;
mod node;
mod saved;

pub use engine::{backward, grad};
pub use inplace::{check_inplace, rebase_history};
pub use node::{next_hook_id, BackwardFn, Edge, GradHook, Node, NodeHook, NodeKind, NodePreHook, TensorHook};
pub use saved::SavedTensor;

use crate::{Result, Tensor};
use std::borrow::Cow;
use std::sync::{Arc, Weak};

#[derive(Default)]
pub struct AutogradMeta {
    pub requires_grad: bool,
    pub grad: Option<Tensor>,
    pub grad_fn: Option<Arc<Node>>,
    pub output_nr: usize,
    pub grad_accumulator: Weak<Node>,
    pub retains_grad: bool,
    /// Hooks on a leaf's gradient (non-leaves keep theirs on their grad_fn).
    pub hooks: Vec<TensorHook>,
    /// A name for inspect/graph output (module parameter names).
    pub name: Option<String>,
    /// For a view: the storage version when its grad_fn was set (see `refresh_view`).
    pub view_version: u64,
    /// The dtype `.grad` must have: unset → the tensor's own; `Some(None)` → any dtype.
    pub grad_dtype: Option<Option<crate::DType>>,
}

/// A view's grad_fn goes stale when its storage is written in place through the base or
/// another view after the grad_fn was set: the view now reads values the base's newer
/// history produced. As PyTorch does, such a view gets a fresh `AsStridedBackward0` node
/// reading its region out of the base's current history, on first use after the write.
pub(crate) fn refresh_view(t: &Tensor, m: &mut AutogradMeta) {
    if m.grad_fn.is_none() {
        return;
    }
    let Some(base) = t.base() else { return };
    let v = t.version();
    if v == m.view_version {
        return;
    }
    m.view_version = v;
    if let Some(edge) = edge_of(base) {
        m.grad_fn = Some(inplace::view_node(base, t, edge));
        m.output_nr = 0;
    }
}

/// Whether an op on `inputs` must record history.
#[inline]
pub fn needs_grad(inputs: &[&Tensor]) -> bool {
    inputs.iter().any(|t| t.requires_grad()) && grad_mode::is_enabled()
}

/// The edge a gradient for `t` flows along: its grad_fn, or its leaf accumulator.
pub fn edge_of(t: &Tensor) -> Option<Edge> {
    if !t.requires_grad() {
        return None;
    }
    let mut m = t.meta();
    refresh_view(t, &mut m);
    if let Some(f) = &m.grad_fn {
        return Some(Edge { node: f.clone(), input_nr: m.output_nr });
    }
    if let Some(acc) = m.grad_accumulator.upgrade() {
        return Some(Edge { node: acc, input_nr: 0 });
    }
    let acc = Node::accumulate(t);
    m.grad_accumulator = Arc::downgrade(&acc);
    Some(Edge { node: acc, input_nr: 0 })
}

/// Attaches history to the outputs of an op: a node named `name` whose backward
/// `f(grads_of_outputs) -> grads_of_inputs` is the formula written beside the forward.
pub fn record(name: &'static str, inputs: &[&Tensor], outputs: &[&Tensor], f: impl BackwardFn + 'static) {
    record_dyn(Cow::Borrowed(name), inputs, outputs, Box::new(f), Vec::new())
}

/// Like `record`, listing the tensors the backward saved (for version checks and inspect).
pub fn record_saving(name: &'static str, inputs: &[&Tensor], outputs: &[&Tensor], saved: Vec<SavedTensor>, f: impl BackwardFn + 'static) {
    record_dyn(Cow::Borrowed(name), inputs, outputs, Box::new(f), saved)
}

pub fn record_dyn(name: Cow<'static, str>, inputs: &[&Tensor], outputs: &[&Tensor], f: Box<dyn BackwardFn>, saved: Vec<SavedTensor>) {
    let edges = inputs.iter().map(|t| edge_of(t)).collect();
    let meta = if outputs.len() > 1 { outputs.iter().map(|o| (o.shape().to_vec(), o.dtype())).collect() } else { Vec::new() };
    // Saved outputs link back to the node weakly (a strong link would be a cycle).
    let links: Vec<(SavedTensor, usize)> = saved
        .iter()
        .filter(|s| s.is_output())
        .filter_map(|s| outputs.iter().position(|o| s.saved_from(o)).map(|nr| (s.clone(), nr)))
        .collect();
    let node = Node::new(name, edges, f, saved, outputs.len(), meta, outputs.first().map(|o| o.dtype()));
    for (s, nr) in links {
        s.link_output(&node, nr);
    }
    for (i, o) in outputs.iter().enumerate() {
        if !o.dtype().is_inexact() {
            continue; // integer and bool results never require grad
        }
        let mut m = o.meta();
        m.grad_fn = Some(node.clone());
        m.output_nr = i;
        if o.is_view() {
            m.view_version = o.version();
        }
        o.refresh_tracked(&m);
    }
}

impl Tensor {
    pub fn set_requires_grad(&self, flag: bool) -> Result<()> {
        if flag && !self.dtype().is_inexact() {
            return Err(crate::Error::runtime("Only Tensors of floating point and complex dtype can require gradients"));
        }
        if flag && self.is_inference() && !grad_mode::is_inference() {
            return Err(crate::Error::runtime("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."));
        }
        let mut m = self.meta();
        if m.grad_fn.is_some() {
            if !flag {
                return Err(crate::Error::runtime(
                    "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
                ));
            }
            return Ok(());
        }
        m.requires_grad = flag;
        self.refresh_tracked(&m);
        Ok(())
    }
    /// `Tensor.grad_dtype`: the dtype gradients are accumulated in (None: any).
    pub fn grad_dtype(&self) -> Option<crate::DType> {
        self.meta().grad_dtype.unwrap_or(Some(self.dtype()))
    }
    pub fn set_grad_dtype(&self, d: Option<crate::DType>) -> Result<()> {
        if !self.is_leaf() {
            return Err(crate::Error::runtime("grad_dtype can only be set on leaf tensors."));
        }
        let mut m = self.meta();
        if let (Some(g), Some(d)) = (&m.grad, d) {
            if g.dtype() != d {
                return Err(crate::Error::runtime(format!(
                    "Cannot set grad_dtype to '{}' because there is already a gradient with dtype '{}'. Please clear the gradient (.grad = None) before changing grad_dtype, or ensure the new grad_dtype matches the existing gradient's dtype.",
                    d.scalar_name(),
                    g.dtype().scalar_name()
                )));
            }
        }
        m.grad_dtype = Some(d);
        Ok(())
    }
    /// PyTorch's check before `t.grad = g`: g must have the tensor's grad_dtype.
    pub fn check_grad_assign(&self, g: &Tensor) -> Result<()> {
        match self.grad_dtype() {
            Some(d) if g.dtype() != d => Err(crate::Error::runtime(format!(
                "attempting to assign a gradient with dtype '{}' to a tensor with grad_dtype '{}'. The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype.",
                g.dtype().scalar_name(),
                d.scalar_name()
            ))),
            _ => Ok(()),
        }
    }
    pub fn grad(&self) -> Option<Tensor> {
        let g = self.meta().grad.clone();
        // A sparse leaf collects its gradient in its values (see `sparse_coo`).
        if g.is_none() && self.is_sparse() {
            return self.sparse_grad();
        }
        g
    }
    pub fn set_grad(&self, g: Option<Tensor>) {
        if g.is_none() {
            if let Some(c) = self.coo() {
                c.values.set_grad(None);
            }
        }
        self.meta().grad = g;
    }
    pub fn output_nr(&self) -> usize {
        self.meta().output_nr
    }
    pub fn retains_grad(&self) -> bool {
        self.meta().retains_grad
    }
    pub fn set_name(&self, name: Option<String>) {
        self.meta().name = name;
    }
    pub fn name(&self) -> Option<String> {
        self.meta().name.clone()
    }
    /// `retain_grad()`: a non-leaf keeps its gradient in `.grad` after backward.
    pub fn retain_grad(&self) -> Result<()> {
        if !self.requires_grad() {
            return Err(crate::Error::runtime("can't retain_grad on Tensor that has requires_grad=False"));
        }
        let Some(f) = self.grad_fn() else { return Ok(()) };
        if self.meta().retains_grad {
            return Ok(());
        }
        self.meta().retains_grad = true;
        let weak = Arc::downgrade(&self.0);
        let nr = self.output_nr();
        f.add_tensor_pre_hook(
            nr,
            Arc::new(move |g: &Tensor| -> Result<Option<Tensor>> {
                if let Some(t) = weak.upgrade() {
                    let t = Tensor(t);
                    let new = match t.grad() {
                        Some(old) => old.add(g)?,
                        None => g.detach().contiguous_copy()?,
                    };
                    t.set_grad(Some(new));
                }
                Ok(None)
            }),
            true,
        );
        Ok(())
    }
    /// `register_hook`: `hook(grad)` may return a replacement gradient.
    pub fn register_hook(&self, hook: TensorHook) -> Result<()> {
        if !self.requires_grad() {
            return Err(crate::Error::runtime("cannot register a hook on a tensor that doesn't require gradient"));
        }
        match self.grad_fn() {
            Some(f) => f.add_tensor_pre_hook(self.output_nr(), hook, false),
            None => self.meta().hooks.push(hook),
        }
        Ok(())
    }
    /// Visits the gradient hooks that only this handle keeps alive: a leaf's hooks, and the
    /// tensor hooks of a grad_fn no one else holds. For a binding's cycle collector support:
    /// a hook that captures its own tensor makes a cycle the collector must be able to see
    /// (PyTorch's `THPVariable_traverse` does the same). Nothing is visited when another
    /// handle (a graph edge, a view, a saved tensor) shares the tensor or its grad_fn: those
    /// keep the hooks alive from outside the collector's sight, so reporting them would let it
    /// free objects that are still reachable. A metadata lock held elsewhere (another thread
    /// mid-op, or this thread dropping a graph under it) skips the visit: an unreported edge
    /// only postpones a collection, while blocking here could deadlock.
    pub fn visit_owned_hooks(&self, f: &mut dyn FnMut(&TensorHook)) {
        if Arc::strong_count(&self.0) != 1 {
            return;
        }
        let Ok(m) = self.0.meta.try_lock() else { return };
        m.hooks.iter().for_each(&mut *f);
        if let Some(node) = m.grad_fn.as_ref().filter(|n| Arc::strong_count(n) == 1) {
            if let Some(Ok(h)) = node.extras_if_any().map(|x| x.tensor_pre_hooks.try_lock()) {
                h.iter().for_each(|(_, hook, _)| f(hook));
            }
        }
    }
    /// Takes out the hooks `visit_owned_hooks` visits (the collector found this tensor
    /// unreachable and breaks its cycles). The caller drops them after the locks are released:
    /// dropping a hook may free Python objects whose finalizers touch this tensor again.
    pub fn take_owned_hooks(&self) -> Vec<TensorHook> {
        if Arc::strong_count(&self.0) != 1 {
            return vec![];
        }
        let Ok(mut m) = self.0.meta.try_lock() else { return vec![] };
        let mut out = std::mem::take(&mut m.hooks);
        if let Some(node) = m.grad_fn.as_ref().filter(|n| Arc::strong_count(n) == 1) {
            if let Some(Ok(mut h)) = node.extras_if_any().map(|x| x.tensor_pre_hooks.try_lock()) {
                out.extend(h.drain(..).map(|(_, hook, _)| hook));
            }
        }
        out
    }
    /// Makes this tensor a leaf again, dropping its history (`detach_`). A view with
    /// history can't be: its writes would still reach the base's graph.
    pub fn detach_(&self) -> Result<()> {
        if self.is_view() && self.grad_fn().is_some() {
            return Err(crate::Error::runtime(
                "Can't detach views in-place. Use detach() instead. This tensor is a view with autograd history; detach() returns a new tensor over the same storage without it.",
            ));
        }
        let mut m = self.meta();
        m.grad_fn = None;
        m.requires_grad = false;
        self.refresh_tracked(&m);
        Ok(())
    }
}
