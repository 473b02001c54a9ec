//! A recorded backward step and the edges to its inputs' producers.
use super::SavedTensor;
use crate::{DType, Result, Tensor};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
pub type TensorHook = Box<dyn Fn(&Tensor) -> Result<Option<Tensor>> + Send + Sync>;
/// A node hook: (grad_inputs, grad_outputs) -> optional replacement grad_inputs.
pub type NodeHook = Box<dyn Fn(&[Option<Tensor>], &[Option<Tensor>]) -> Result<Option<Vec<Option<Tensor>>>> + Send + Sync>;
pub type NodePreHook = Box<dyn Fn(&[Option<Tensor>]) -> Result<Option<Vec<Option<Tensor>>>> + Send + Sync>;

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
    pub name: String,
    pub next: Vec<Option<Edge>>,
    pub kind: NodeKind,
    /// Shapes and dtypes of the forward outputs (to materialise zero gradients).
    pub outputs: Vec<(Vec<usize>, DType)>,
    pub saved: Mutex<Vec<SavedTensor>>,
    pub seq: u64,
    /// (output_nr, hook, is_retain_grad)
    pub tensor_pre_hooks: Mutex<Vec<(usize, TensorHook, bool)>>,
    pub pre_hooks: Mutex<Vec<NodePreHook>>,
    pub hooks: Mutex<Vec<NodeHook>>,
    /// Python traceback of the forward call, kept in anomaly mode.
    pub trace: Mutex<Option<String>>,
    /// Opaque slot for the binding's Python object (0 = none), for stable identity.
    pub pyobj: std::sync::atomic::AtomicUsize,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

impl Node {
    pub fn new(
        name: String,
        next: Vec<Option<Edge>>,
        f: Box<dyn BackwardFn>,
        saved: Vec<SavedTensor>,
        outputs: Vec<(Vec<usize>, DType)>,
    ) -> Arc<Node> {
        Arc::new(Node {
            name,
            next,
            kind: NodeKind::Function(Mutex::new(Some(f))),
            outputs,
            saved: Mutex::new(saved),
            seq: SEQ.fetch_add(1, Ordering::Relaxed),
            tensor_pre_hooks: Default::default(),
            pre_hooks: Default::default(),
            hooks: Default::default(),
            trace: Mutex::new(super::engine::capture_trace()),
            pyobj: Default::default(),
        })
    }

    pub fn accumulate(leaf: &Tensor) -> Arc<Node> {
        Arc::new(Node {
            name: "AccumulateGrad".into(),
            next: vec![],
            kind: NodeKind::AccumulateGrad(leaf.clone()),
            outputs: vec![(leaf.shape().to_vec(), leaf.dtype())],
            saved: Default::default(),
            seq: u64::MAX,
            tensor_pre_hooks: Default::default(),
            pre_hooks: Default::default(),
            hooks: Default::default(),
            trace: Mutex::new(None),
            pyobj: Default::default(),
        })
    }

    pub fn variable(&self) -> Option<&Tensor> {
        match &self.kind {
            NodeKind::AccumulateGrad(t) => Some(t),
            _ => None,
        }
    }

    pub fn add_tensor_pre_hook(&self, output_nr: usize, hook: TensorHook, retain: bool) {
        let mut h = self.tensor_pre_hooks.lock().unwrap();
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
