//! Tensors saved for backward, with the version they had when saved.
//!
//! A saved *output* keeps only its data and a weak link to its grad_fn: holding the output
//! itself would make node → tensor → node a reference cycle.
use super::Node;
use crate::{DType, Error, Result, Tensor};
use std::sync::{Arc, Mutex, Weak};

struct Inner {
    data: Option<Tensor>,
    version: u64,
    is_output: bool,
    grad_fn: Weak<Node>,
    output_nr: usize,
    summary: (Vec<usize>, DType, usize),
    /// Identity of the tensor saved (an output is stored detached, so compare addresses).
    source: usize,
}

#[derive(Clone)]
pub struct SavedTensor(Arc<Mutex<Inner>>);

impl SavedTensor {
    fn make(t: &Tensor, is_output: bool) -> SavedTensor {
        SavedTensor(Arc::new(Mutex::new(Inner {
            data: Some(if is_output { t.detach() } else { t.clone() }),
            version: t.version(),
            is_output,
            grad_fn: Weak::new(),
            output_nr: 0,
            summary: (t.shape().to_vec(), t.dtype(), t.numel() * t.dtype().size()),
            source: Arc::as_ptr(&t.0) as usize,
        })))
    }
    /// Saves an input of the op.
    pub fn input(t: &Tensor) -> SavedTensor {
        Self::make(t, false)
    }
    /// Saves an output of the op (its grad_fn is linked weakly when the op is recorded).
    pub fn output(t: &Tensor) -> SavedTensor {
        Self::make(t, true)
    }

    pub(crate) fn link_output(&self, node: &Arc<Node>, output_nr: usize) {
        let mut i = self.0.lock().unwrap();
        if i.is_output {
            i.grad_fn = Arc::downgrade(node);
            i.output_nr = output_nr;
        }
    }

    pub fn is_output(&self) -> bool {
        self.0.lock().unwrap().is_output
    }

    pub(crate) fn saved_from(&self, t: &Tensor) -> bool {
        self.0.lock().unwrap().source == Arc::as_ptr(&t.0) as usize
    }

    /// The saved tensor, after checking nobody modified it in place since.
    pub fn unpack(&self, op: &str) -> Result<Tensor> {
        let i = self.0.lock().unwrap();
        let Some(t) = &i.data else {
            return Err(Error::runtime(
                "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.",
            ));
        };
        if t.is_inference() {
            // PyTorch refuses this when the op records; ember's record cannot fail, so the
            // refusal comes when backward first reads the saved tensor.
            return Err(Error::runtime(format!(
                "Inference tensors cannot be saved for backward. To work around you can make a clone to get a normal tensor and use it in autograd. (It was saved by {op}.)"
            )));
        }
        let now = t.version();
        if now != i.version {
            // PyTorch's wording names the tensor's producer; ember adds which op saved it.
            let which = if i.is_output {
                format!(", which is output {} of {op},", i.output_nr)
            } else {
                match t.grad_fn() {
                    Some(f) => format!(", which is output {} of {},", t.output_nr(), f.name),
                    None => String::new(),
                }
            };
            let (last, op_name) = (t.storage().origin(), t.storage().last_op());
            let by = if !last.is_empty() {
                format!(" It was last modified by {last}.")
            } else if op_name.is_empty() {
                String::new()
            } else {
                let op_name = if op_name.ends_with('_') || op_name.contains(' ') || op_name.contains('.') {
                    op_name.to_string()
                } else {
                    format!("{op_name}_")
                };
                format!(" It was last modified by the in-place op {op_name} (ember.inspect.track_inplace() also records the file:line).")
            };
            return Err(Error::runtime(format!(
                "one of the variables needed for gradient computation has been modified by an inplace operation: [{}{:?}]{which} is at version {now}; expected version {} instead. Hint: {op} saved this tensor for its backward; clone() it before modifying it in place, or do the in-place op after backward.{by} To find the forward call, run with ember.autograd.set_detect_anomaly(True).",
                tensor_type(t.dtype()),
                t.shape(),
                i.version
            )));
        }
        if i.is_output && crate::grad_mode::is_enabled() {
            if let Some(f) = i.grad_fn.upgrade() {
                let out = t.detach();
                let mut m = out.meta();
                m.grad_fn = Some(f);
                m.output_nr = i.output_nr;
                out.refresh_tracked(&m);
                drop(m);
                return Ok(out);
            }
        }
        Ok(t.clone())
    }

    pub fn release(&self) {
        self.0.lock().unwrap().data = None;
    }

    pub fn summary(&self) -> Option<(Vec<usize>, DType, usize)> {
        let i = self.0.lock().unwrap();
        i.data.as_ref().map(|_| i.summary.clone())
    }
}

pub fn tensor_type(d: DType) -> String {
    format!("torch.{}Tensor ", d.scalar_name())
}
