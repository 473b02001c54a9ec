//! A recorded backward step and the edges to its inputs' producers.
use super::SavedTensor;
use crate::{DType, Result, Tensor};
use std::any::Any;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Gradients of the outputs in, gradients of the inputs out (None = zero / not needed).
pub trait BackwardFn: Send + Sync {
    fn apply(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>>;
}
impl<F: Fn(&[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> + Send + Sync> BackwardFn for F {
    fn apply(&self, grads: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
        self(grads)
    }
}

/// A hook on a gradient: may return a replacement.
/// Hooks are `Arc`s so the engine can run a snapshot of them without holding a lock (a
/// hook may register or remove hooks on the same node).
pub type TensorHook = Arc<dyn GradHook>;

/// What a `TensorHook` is: any `Fn(&Tensor) -> Result<Option<Tensor>>`, or a binding's own
/// type, which `as_any` lets the binding recognise again (the Python binding visits the
/// callables its hooks hold for Python's cycle collector).
pub trait GradHook: Send + Sync {
    fn call(&self, grad: &Tensor) -> Result<Option<Tensor>>;
    fn as_any(&self) -> &dyn Any;
}
impl<F: Fn(&Tensor) -> Result<Option<Tensor>> + Send + Sync + 'static> GradHook for F {
    fn call(&self, grad: &Tensor) -> Result<Option<Tensor>> {
        self(grad)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
/// A node hook: (grad_inputs, grad_outputs) -> optional replacement grad_inputs.
pub type NodeHook = Arc<dyn Fn(&[Option<Tensor>], &[Option<Tensor>]) -> Result<Option<Vec<Option<Tensor>>>> + Send + Sync>;
pub type NodePreHook = Arc<dyn Fn(&[Option<Tensor>]) -> Result<Option<Vec<Option<Tensor>>>> + Send + Sync>;

#[derive(Clone)]
pub struct Edge {
    pub node: Arc<Node>,
    pub input_nr: usize,
}

pub enum NodeKind {
    /// An op's backward; `None` once freed after a backward without `retain_graph`.
    Function(Mutex<Option<Box<dyn BackwardFn>>>),
    /// Sums incoming gradients into a leaf's `.grad`.
    AccumulateGrad(Tensor),
}

pub struct Node {
    pub name: Cow<'static, str>,
    pub next: Vec<Option<Edge>>,
    pub kind: NodeKind,
    /// How many outputs the forward op had.
    pub n_outputs: usize,
    /// Shapes and dtypes of the outputs of a multi-output op, to materialise zero gradients
    /// for outputs that got none (empty for single-output ops: one allocation less per op).
    pub outputs: Vec<(Vec<usize>, DType)>,
    /// The dtype of output 0 (None where unknown), so a complex gradient flowing into a real
    /// output can be reduced to its real part.
    pub first_dtype: Option<DType>,
    pub saved: Mutex<Vec<SavedTensor>>,
    pub seq: u64,
    /// Opaque slot for the binding's Python object (0 = none), for stable identity.
    pub pyobj: std::sync::atomic::AtomicUsize,
    /// Hooks, the anomaly-mode trace and the binding's metadata, made on first use.
    extras: OnceLock<Box<NodeExtras>>,
}

/// The parts of a node almost none use. Kept behind one pointer, made on first use: inline they
/// were five mutexes and vectors that every node of every op allocated, moved into its `Arc`
/// and dropped (a 10-element `a + b` with grad records three nodes), and that the backward pass
/// locked three times per node to find them empty.
#[derive(Default)]
pub struct NodeExtras {
    /// (output_nr, hook, is_retain_grad)
    pub tensor_pre_hooks: Mutex<Vec<(usize, TensorHook, bool)>>,
    /// (handle id, hook); ids come from `next_hook_id` so a handle can remove its hook.
    pub pre_hooks: Mutex<Vec<(u64, NodePreHook)>>,
    pub hooks: Mutex<Vec<(u64, NodeHook)>>,
    /// Python traceback of the forward call, kept in anomaly mode.
    pub trace: Mutex<Option<String>>,
    /// The binding's per-node data (`grad_fn.metadata`), created on first use.
    pub extra: OnceLock<Box<dyn Any + Send + Sync>>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);
static HOOK_ID: AtomicU64 = AtomicU64::new(1);

pub fn next_hook_id() -> u64 {
    HOOK_ID.fetch_add(1, Ordering::Relaxed)
}

impl Node {
    pub fn new(
        name: Cow<'static, str>,
        next: Vec<Option<Edge>>,
        f: Box<dyn BackwardFn>,
        saved: Vec<SavedTensor>,
        n_outputs: usize,
        outputs: Vec<(Vec<usize>, DType)>,
        first_dtype: Option<DType>,
    ) -> Arc<Node> {
        Arc::new(Node {
            name,
            next,
            kind: NodeKind::Function(Mutex::new(Some(f))),
            n_outputs,
            outputs,
            first_dtype,
            saved: Mutex::new(saved),
            seq: SEQ.fetch_add(1, Ordering::Relaxed),
            pyobj: Default::default(),
            extras: match super::engine::capture_trace() {
                None => OnceLock::new(),
                Some(t) => OnceLock::from(Box::new(NodeExtras { trace: Mutex::new(Some(t)), ..Default::default() })),
            },
        })
    }

    pub fn accumulate(leaf: &Tensor) -> Arc<Node> {
        Arc::new(Node {
            name: "AccumulateGrad".into(),
            next: vec![],
            kind: NodeKind::AccumulateGrad(leaf.clone()),
            n_outputs: 1,
            first_dtype: Some(leaf.dtype()),
            outputs: Vec::new(),
            saved: Default::default(),
            seq: u64::MAX,
            pyobj: Default::default(),
            extras: OnceLock::new(),
        })
    }

    /// The node's hooks, trace and metadata, made now if it had none.
    pub fn extras(&self) -> &NodeExtras {
        self.extras.get_or_init(Default::default)
    }
    /// The node's hooks, trace and metadata, if anything was ever put there.
    pub fn extras_if_any(&self) -> Option<&NodeExtras> {
        self.extras.get().map(|b| &**b)
    }

    pub fn variable(&self) -> Option<&Tensor> {
        match &self.kind {
            NodeKind::AccumulateGrad(t) => Some(t),
            _ => None,
        }
    }

    /// Adds `hook` to run after this node's backward; returns its handle id.
    pub fn add_hook(&self, hook: NodeHook) -> u64 {
        let id = next_hook_id();
        self.extras().hooks.lock().unwrap().push((id, hook));
        id
    }
    /// Adds `hook` to run on the gradients of the outputs before the backward; returns its id.
    pub fn add_pre_hook(&self, hook: NodePreHook) -> u64 {
        let id = next_hook_id();
        self.extras().pre_hooks.lock().unwrap().push((id, hook));
        id
    }
    /// Removes the node hook or pre-hook with handle `id` (no-op when already gone).
    pub fn remove_hook(&self, id: u64) {
        if let Some(x) = self.extras_if_any() {
            x.hooks.lock().unwrap().retain(|h| h.0 != id);
            x.pre_hooks.lock().unwrap().retain(|h| h.0 != id);
        }
    }

    pub fn add_tensor_pre_hook(&self, output_nr: usize, hook: TensorHook, retain: bool) {
        let mut h = self.extras().tensor_pre_hooks.lock().unwrap();
        // retain_grad hooks run after user hooks, as in PyTorch.
        if retain {
            h.push((output_nr, hook, true));
        } else {
            let pos = h.iter().position(|x| x.2).unwrap_or(h.len());
            h.insert(pos, (output_nr, hook, false));
        }
    }

    /// Saved-tensor summary: (shape, dtype, bytes) of each saved tensor.
    pub fn saved_summary(&self) -> Vec<(Vec<usize>, DType, usize)> {
        self.saved.lock().unwrap().iter().filter_map(|s| s.summary()).collect()
    }
}

/// Freeing a graph without recursion. A node owns its edges, its backward closure and its
/// saved tensors, each of which can own the previous node, so dropping a 50,000-step chain
/// (`total = total + loss` over an epoch) recursed once per node and overflowed the stack.
/// Instead a dropped node moves what it owns onto a per-thread queue, and only the outermost
/// drop on the thread empties it, one item at a time: nested node drops return at once.
mod grave {
    use std::any::Any;
    use std::cell::{Cell, RefCell};

    thread_local! {
        static QUEUE: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
        static DRAINING: Cell<bool> = const { Cell::new(false) };
    }

    pub(super) fn bury(parts: Box<dyn Any>) {
        let queued = QUEUE.try_with(|q| q.borrow_mut().push(parts));
        if queued.is_err() || DRAINING.try_with(|d| d.replace(true)).unwrap_or(true) {
            return; // a drop further up this thread's stack is already emptying the queue
        }
        while let Some(item) = QUEUE.with(|q| q.borrow_mut().pop()) {
            drop(item);
        }
        DRAINING.with(|d| d.set(false));
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let next = std::mem::take(&mut self.next);
        let f = match &mut self.kind {
            NodeKind::Function(m) => m.get_mut().unwrap_or_else(|e| e.into_inner()).take(),
            NodeKind::AccumulateGrad(_) => None,
        };
        let saved = std::mem::take(self.saved.get_mut().unwrap_or_else(|e| e.into_inner()));
        if next.is_empty() && f.is_none() && saved.is_empty() {
            return;
        }
        grave::bury(Box::new((next, f, saved)));
    }
}
