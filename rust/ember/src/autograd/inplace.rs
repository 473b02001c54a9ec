//! History for in-place ops, including in-place ops on views (PyTorch's `CopySlices`).
//!
//! When an in-place op writes through a view `v` of base `b`, the base's history must show
//! the write: `b.grad_fn` becomes CopySlices(old history of b, the op's backward), whose
//! backward takes the base's gradient, runs the op's backward on the view's region of it,
//! and writes the result back into that region. `v.grad_fn` becomes a node that reads its
//! region out of the base's (new) history.
use super::{edge_of, grad_mode, BackwardFn, Node};
use crate::{Error, Layout, Result, Storage, Tensor};
use std::sync::Arc;

/// Errors PyTorch raises before an in-place op on `t`.
pub fn check_inplace(t: &Tensor) -> Result<()> {
    if t.is_inference() && !grad_mode::is_inference() {
        return Err(Error::runtime(
            "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.",
        ));
    }
    if !grad_mode::is_enabled() {
        return Ok(());
    }
    t.check_inplace_conj()?;
    let leaf_rg = |x: &Tensor| x.requires_grad() && x.grad_fn().is_none();
    if leaf_rg(t) {
        return Err(Error::runtime("a leaf Variable that requires grad is being used in an in-place operation."));
    }
    if let Some(b) = t.base() {
        if leaf_rg(b) {
            return Err(Error::runtime("a view of a leaf Variable that requires grad is being used in an in-place operation."));
        }
    }
    Ok(())
}

/// A zero tensor with `base`'s exact geometry (strides and offset), so that any view's
/// layout of `base` can be applied to it directly.
fn zeros_like_geometry((base, dtype, device): &(Layout, crate::DType, crate::Device), view: &Layout) -> Result<(Tensor, Tensor)> {
    let hi = [base, view].iter().filter_map(|l| l.storage_span()).map(|s| s.1).max().unwrap_or(0);
    let st = match device {
        crate::Device::Cpu => Storage::zeros_n(hi, dtype.size())?,
        crate::Device::Meta => Storage::meta(hi * dtype.size()),
        crate::Device::Wgpu(_) => {
            let z = crate::gpu::zeros(&[hi], *dtype)?;
            return Ok((z.with_layout(base.clone()).detach(), z.with_layout(view.clone()).detach()));
        }
    };
    let b = Tensor::from_parts(st.clone(), base.clone(), *dtype);
    let v = Tensor::from_parts(st, view.clone(), *dtype);
    Ok((b, v))
}

/// Records an in-place op on `t` whose other differentiable inputs are `others`.
/// `f` maps the gradient of the result to gradients of `[t_before, others...]`.
pub fn rebase_history(name: &'static str, t: &Tensor, others: &[&Tensor], f: impl BackwardFn + 'static) -> Result<()> {
    let Some(base) = t.base().cloned() else {
        let mut inputs = vec![t];
        inputs.extend_from_slice(others);
        super::record(name, &inputs, &[t], f);
        return Ok(());
    };
    let view_layout = t.layout().clone();
    let mut next = vec![edge_of(&base)];
    next.extend(others.iter().map(|o| edge_of(o)));
    // Geometry only: holding `base` itself would make base → node → base a cycle.
    let geometry = (base.layout().clone(), base.dtype(), base.device());
    let (bl, vl) = (geometry, view_layout);
    // Written with differentiable ops (copy_, as_strided, contiguous), so that under
    // create_graph the gradient it returns has history of its own (double backward).
    let copy_slices = move |g: &[Option<Tensor>]| -> Result<Vec<Option<Tensor>>> {
        let Some(g) = &g[0] else { return Ok(vec![None; 1]) };
        let (gb, _) = zeros_like_geometry(&bl, &vl)?;
        gb.copy_(g)?;
        let gv = gb.as_strided(&vl.sizes, &vl.strides, Some(vl.offset))?;
        let res = f.apply(&[Some(gv.clone_tensor()?)])?; // a copy: gv is written below
        match &res[0] {
            Some(r) => gv.copy_(r)?,
            None => gv.copy_(&gv.zeros_like()?)?,
        }
        let mut out = vec![Some(gb)];
        out.extend(res.into_iter().skip(1));
        Ok(out)
    };
    let node = Node::new("CopySlices".into(), next, Box::new(copy_slices), vec![], 1, vec![], None);
    set_history(&base, node.clone(), 0);
    set_history(t, view_node(&base, t, super::Edge { node, input_nr: 0 }), 0);
    Ok(())
}

/// The grad_fn of view `t` of `base` read out of the base's history `edge`: its backward
/// places the view's gradient in its region of a zero gradient for the base.
pub(super) fn view_node(base: &Tensor, t: &Tensor, edge: super::Edge) -> Arc<Node> {
    let (bl, vl) = ((base.layout().clone(), base.dtype(), base.device()), t.layout().clone());
    let view_fn = move |g: &[Option<Tensor>]| -> Result<Vec<Option<Tensor>>> {
        let Some(g) = &g[0] else { return Ok(vec![None]) };
        let (gb, _) = zeros_like_geometry(&bl, &vl)?;
        // copy_ into a view of the zeros: differentiable (CopySlices) under create_graph.
        gb.as_strided(&vl.sizes, &vl.strides, Some(vl.offset))?.copy_(g)?;
        Ok(vec![Some(gb)])
    };
    Node::new("AsStridedBackward0".into(), vec![Some(edge)], Box::new(view_fn), vec![], 1, vec![], None)
}

fn set_history(t: &Tensor, node: Arc<Node>, nr: usize) {
    let mut m = t.meta();
    m.grad_fn = Some(node);
    m.output_nr = nr;
    m.view_version = t.version();
    t.refresh_tracked(&m);
}
