//! The conjugate bit: `conj()` of a complex tensor is a view of the same storage whose values
//! are the conjugates of the stored ones (PyTorch's lazy conjugation), so it costs O(1) and
//! writes to either tensor show in the other.
//!
//! Kernels never see the bit. Only views (which pass it on), `conj`, `resolve_conj` and the
//! copy paths read a conjugate view as it is stored; everything else gets it materialized
//! first (`resolve_for_read`, which the binding calls for every op argument). A materialized
//! copy remembers the view it came from, so an in-place op that writes it writes the
//! conjugate back through the view (`bump_version`) — `y = x.conj(); y.add_(1)` changes `x`
//! as in PyTorch. A view taken of such a copy cannot find its way back and refuses writes.
use crate::autograd::{grad_mode, needs_grad, record};
use crate::ops::complex::conj_physical;
use crate::{Error, Result, Tensor, TensorImpl};
use std::sync::Arc;

/// Where writes to a materialized conjugate view go.
#[derive(Clone)]
pub enum Resolved {
    /// Written back, conjugated, through this conjugate view (same shape).
    WriteBack(Tensor),
    /// A view of a materialized copy: a write would be lost, so it is refused.
    ReadOnly,
}

impl Tensor {
    /// Rebuilds this freshly made (unshared) tensor with other conj/resolved fields.
    fn with_fields(self, conj: bool, resolved: Option<Resolved>) -> Tensor {
        match Arc::try_unwrap(self.0) {
            Ok(inner) => Tensor(Arc::new(TensorImpl { conj, resolved, ..inner })),
            Err(_) => unreachable!("with_fields is only called on a tensor nobody else holds"),
        }
    }

    /// The stored values under the same geometry, without the bit, history or view link.
    fn stored_values(&self) -> Tensor {
        Tensor::from_parts(self.storage().clone(), self.layout().clone(), self.dtype())
    }

    /// `conj()`: for a complex tensor a view with the conjugate bit flipped (ConjBackward0);
    /// any other tensor is returned as it is, as PyTorch does.
    pub fn conj(&self) -> Result<Tensor> {
        if !self.dtype().is_complex() {
            return Ok(self.clone());
        }
        if self.is_sparse() {
            // A sparse tensor has no strided memory to view: its values are conjugated.
            return conj_physical(self);
        }
        let out = self.with_layout(self.layout().clone());
        let flip = !self.is_conj();
        let out = out.with_fields(flip, None);
        if needs_grad(&[self]) {
            record("ConjBackward0", &[self], &[&out], |g: &[Option<Tensor>]| Ok(vec![Some(conj_physical(g[0].as_ref().unwrap())?)]));
        }
        Ok(out)
    }

    /// A row-major copy of a conjugate view's values (no history).
    pub(crate) fn materialize_conj(&self) -> Result<Tensor> {
        let out = self.stored_values().contiguous_copy()?;
        grad_mode::with_grad(false, || conj_physical_in_place(&out))?;
        Ok(out)
    }

    /// `resolve_conj()`: the tensor itself without the bit, else its values in new memory.
    pub fn resolve_conj(&self) -> Result<Tensor> {
        self.resolve_with(None)
    }

    /// What an op reads in place of a conjugate view: its values, materialized, linked back
    /// so that an in-place op on them writes through the view. Other tensors are returned as
    /// they are.
    pub fn resolve_for_read(&self) -> Result<Tensor> {
        if !self.is_conj() {
            return Ok(self.clone());
        }
        self.resolve_with(Some(Resolved::WriteBack(self.clone())))
    }

    fn resolve_with(&self, link: Option<Resolved>) -> Result<Tensor> {
        if !self.is_conj() {
            return Ok(self.clone());
        }
        let out = self.materialize_conj()?.with_fields(false, link);
        if needs_grad(&[self]) {
            // Same values as `self`: the gradient passes through unchanged.
            record("ResolveConjBackward0", &[self], &[&out], |g: &[Option<Tensor>]| Ok(vec![g[0].clone()]));
        }
        Ok(out)
    }

    /// Refuses a write that could not reach the memory it stands for: a tensor whose
    /// elements overlap, or a view of a materialized conjugate view.
    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.layout().has_internal_overlap() {
            return Err(Error::OverlapWrite);
        }
        if let Some(Resolved::ReadOnly) = self.0.resolved {
            return Err(Error::runtime(
                "this tensor is a view of a conjugate view's materialized values, so a write to it could not reach the original tensor; write to the conjugate view itself (or to x.conj()[...]), or call resolve_conj() first to work on an independent copy",
            ));
        }
        Ok(())
    }

    /// Records an in-place write to this tensor's memory (`op` names it in the version
    /// check's error); a materialized conjugate view passes the write on to its view.
    pub(crate) fn bump_version(&self, op: &'static str) -> Result<()> {
        self.storage().bump_version_by(op);
        if let Some(Resolved::WriteBack(view)) = &self.0.resolved {
            let conjugated = grad_mode::with_grad(false, || conj_physical(&self.stored_values()))?;
            view.stored_values().copy_from(&conjugated)?;
            view.storage().bump_version_by(op);
        }
        Ok(())
    }

    /// The error for an in-place op under autograd on a materialized conjugate view: its
    /// history is the copy's, not the view's, so the gradient would skip the write.
    pub(crate) fn check_inplace_conj(&self) -> Result<()> {
        if self.0.resolved.is_some() || self.is_conj() {
            return Err(Error::runtime(
                "an in-place operation with autograd history was applied to a conjugate view (x.conj()); ember records it on the view's materialized values, not on the view. Use an out-of-place op (y = y + 1) or resolve_conj() first",
            ));
        }
        Ok(())
    }
}

/// `copy_from` when either side has the conjugate bit: the source is read as its values,
/// and a conjugate destination is given their conjugates to store.
pub(crate) fn copy_conj(dst: &Tensor, src: &Tensor) -> Result<()> {
    let src = if src.is_conj() { src.materialize_conj()? } else { src.clone() };
    if !dst.is_conj() {
        return dst.copy_from(&src);
    }
    let stored = grad_mode::with_grad(false, || conj_physical(&src))?;
    dst.stored_values().copy_from(&stored)
}

/// Negates the imaginary parts of a fresh row-major complex tensor in place.
fn conj_physical_in_place(out: &Tensor) -> Result<()> {
    crate::ops::unary::unary_(&crate::ops::complex::imag(out)?, crate::ops::unary::UOp::Neg, Default::default())
}
