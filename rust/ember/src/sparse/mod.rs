//! Sparse COO tensors: `indices` (int64, sparse_dim × nnz) and `values` (nnz × dense dims),
//! with the logical shape in the owning tensor's layout. Ops compose strided kernels over
//! those two tensors, so autograd flows to `values` through the ordinary tape.
use crate::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Coo {
    pub indices: Tensor,
    pub values: Tensor,
    coalesced: AtomicBool,
}

impl Coo {
    pub fn new(indices: Tensor, values: Tensor, coalesced: bool) -> Coo {
        Coo { indices, values, coalesced: AtomicBool::new(coalesced) }
    }
    pub fn is_coalesced(&self) -> bool {
        self.coalesced.load(Ordering::Relaxed)
    }
    /// `_coalesced_(True)`: the caller vouches that indices are unique and sorted.
    pub fn set_coalesced(&self, v: bool) {
        self.coalesced.store(v, Ordering::Relaxed)
    }
}
