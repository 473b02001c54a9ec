//! Complex tensors: the part views (`view_as_real`, `view_as_complex`, `.real`, `.imag`),
//! `conj`, `abs`/`angle`, `complex`/`polar`, and the backward rule every complex formula
//! follows. Gradients use PyTorch's convention: for a real loss L of z = x + iy the gradient
//! is ∂L/∂x + i·∂L/∂y, so a holomorphic f passes back `g · conj(f'(z))`.
use crate::autograd::{needs_grad, record, record_saving, SavedTensor};
use crate::dispatch;
use crate::ops::unary::{Params, UOp};
use crate::{DType, Error, Layout, Result, Tensor};
use ember_cpu::complex::ToReal;

fn need_complex(x: &Tensor, what: &str) -> Result<()> {
    if x.dtype().is_complex() {
        Ok(())
    } else {
        Err(Error::runtime(format!(
            "{what} is only supported for complex tensors, but got a tensor of scalar type: {}",
            x.dtype().scalar_name()
        )))
    }
}

/// The (re, im) pairs of a complex tensor as a real view with a trailing dim of 2.
pub fn view_as_real(x: &Tensor) -> Result<Tensor> {
    need_complex(x, "view_as_real")?;
    if x.is_conj() {
        return Err(Error::runtime("view_as_real doesn't work on unresolved conjugated tensors.  To resolve the conjugate tensor so you can view it as real, use self.resolve_conj(); however, be warned that the resulting tensor will NOT alias the original."));
    }
    as_real(x)
}

/// The (re, im) pairs as stored, whatever the conjugate bit says.
fn as_real(x: &Tensor) -> Result<Tensor> {
    let l = x.layout();
    let mut sizes = l.sizes.clone();
    let mut strides: Vec<isize> = l.strides.iter().map(|&s| s * 2).collect();
    sizes.push(2);
    strides.push(1);
    let out = x.with_layout_dtype(Layout::new(sizes, strides, l.offset * 2), x.dtype().to_real());
    if needs_grad(&[x]) {
        record("ViewAsRealBackward0", &[x], &[&out], |g: &[Option<Tensor>]| {
            Ok(vec![Some(view_as_complex(&g[0].as_ref().unwrap().contiguous()?)?)])
        });
    }
    Ok(out)
}

/// A float32/float64 tensor whose last dim is (re, im) pairs, viewed as complex.
pub fn view_as_complex(x: &Tensor) -> Result<Tensor> {
    if !matches!(x.dtype(), DType::F32 | DType::F64) {
        return Err(Error::NotImplemented(format!(
            "view_as_complex is only supported for float and double tensors, but got a tensor of scalar type: {}",
            x.dtype().scalar_name()
        )));
    }
    let l = x.layout();
    if l.sizes.is_empty() {
        return Err(Error::runtime("Input tensor must have one or more dimensions"));
    }
    let n = l.sizes.len();
    if l.sizes[n - 1] != 2 {
        return Err(Error::runtime("Tensor must have a last dimension of size 2"));
    }
    if l.strides[n - 1] != 1 {
        return Err(Error::runtime("Tensor must have a last dimension with stride 1"));
    }
    if l.strides[..n - 1].iter().any(|s| s % 2 != 0) {
        return Err(Error::runtime("Tensor must have a stride divisible by 2 for all but last dimension"));
    }
    if l.offset % 2 != 0 {
        return Err(Error::runtime("Tensor must have a storage_offset divisible by 2"));
    }
    let layout = Layout::new(
        &l.sizes[..n - 1],
        l.strides[..n - 1].iter().map(|s| s / 2).collect::<ember_core::layout::InlineVec<_>>(),
        l.offset / 2,
    );
    let out = x.with_layout_dtype(layout, x.dtype().to_complex());
    if needs_grad(&[x]) {
        record("ViewAsComplexBackward0", &[x], &[&out], |g: &[Option<Tensor>]| Ok(vec![Some(view_as_real(g[0].as_ref().unwrap())?)]));
    }
    Ok(out)
}

/// `x.real`: a view of the real parts (a real tensor is its own real part).
pub fn real(x: &Tensor) -> Result<Tensor> {
    if !x.dtype().is_complex() {
        return Ok(x.clone());
    }
    // Conjugation leaves the real parts as stored: a conjugate view's are a plain view too.
    as_real(x)?.select(-1, 0)
}

/// `x.imag`: a view of the imaginary parts.
pub fn imag(x: &Tensor) -> Result<Tensor> {
    if !x.dtype().is_complex() {
        return Err(Error::type_("imag is not implemented for tensors with non-complex dtypes."));
    }
    if x.is_conj() {
        // The stored parts are the negated ones: read them from the materialized values.
        return imag(&x.resolve_conj()?);
    }
    view_as_real(x)?.select(-1, 1)
}

/// The conjugate as a new tensor (a real tensor is returned as is).
pub fn conj_physical(x: &Tensor) -> Result<Tensor> {
    if !x.dtype().is_complex() {
        return Ok(x.clone());
    }
    // a copy with the imaginary parts negated: two dispatched ops, so every backend with a
    // complex copy and negation runs it
    let out = x.detach().contiguous_copy()?;
    crate::ops::unary::unary_(&imag(&out)?, UOp::Neg, Params::default())?;
    if needs_grad(&[x]) {
        record("ConjPhysicalBackward0", &[x], &[&out], |g: &[Option<Tensor>]| Ok(vec![Some(conj_physical(g[0].as_ref().unwrap())?)]));
    }
    Ok(out)
}

fn to_real(x: &Tensor, f: ToReal) -> Result<Tensor> {
    dispatch::backend(if f == ToReal::Abs { "abs" } else { "angle" }, &[x])?.complex_to_real(f, &x.detach())
}

/// |z| (a real tensor).
pub fn abs(x: &Tensor) -> Result<Tensor> {
    let out = to_real(x, ToReal::Abs)?;
    if needs_grad(&[x]) {
        record_saving("AbsBackward0", &[x], &[&out], vec![SavedTensor::input(x)], {
            let s = SavedTensor::input(x);
            move |g: &[Option<Tensor>]| {
                let x = s.unpack("AbsBackward0")?;
                Ok(vec![Some(g[0].as_ref().unwrap().mul(&sgn(&x.detach())?)?)])
            }
        });
    }
    Ok(out)
}

/// arg z in (−π, π] (a real tensor).
pub fn angle(x: &Tensor) -> Result<Tensor> {
    let out = to_real(x, ToReal::Angle)?;
    if needs_grad(&[x]) {
        record_saving("AngleBackward0", &[x], &[&out], vec![SavedTensor::input(x)], {
            let s = SavedTensor::input(x);
            move |g: &[Option<Tensor>]| {
                // dθ = Im(dz / z), so the gradient is g · i / conj(z)
                let x = s.unpack("AngleBackward0")?;
                let i = Tensor::from_scalars(&[crate::Scalar::Complex(0.0, 1.0)], &[], x.dtype())?;
                Ok(vec![Some(g[0].as_ref().unwrap().mul(&i)?.div(&conj_physical(&x)?)?)])
            }
        });
    }
    Ok(out)
}

fn sgn(x: &Tensor) -> Result<Tensor> {
    crate::ops::unary::unary(x, UOp::Sign, Params::default())
}

fn check_parts(re: &Tensor, im: &Tensor) -> Result<DType> {
    let ok = |d: DType| matches!(d, DType::F32 | DType::F64);
    if !ok(re.dtype()) || !ok(im.dtype()) {
        return Err(Error::NotImplemented(format!(
            "Expected both inputs to be Float or Double tensors but got {} and {}",
            re.dtype().scalar_name(),
            im.dtype().scalar_name()
        )));
    }
    if re.dtype() != im.dtype() {
        return Err(Error::runtime(format!(
            "Expected object of scalar type {} but got scalar type {} for second argument",
            re.dtype().scalar_name(),
            im.dtype().scalar_name()
        )));
    }
    Ok(re.dtype())
}

fn from_parts(a: &Tensor, b: &Tensor, polar: bool) -> Result<Tensor> {
    let dt = check_parts(a, b)?;
    let be = dispatch::backend(if polar { "polar" } else { "complex" }, &[a, b])?;
    let shape = ember_core::layout::broadcast_shapes(a.shape(), b.shape())?;
    let (a2, b2) = (a.detach().broadcast_to(&shape)?, b.detach().broadcast_to(&shape)?);
    be.complex_from_parts(polar, &a2, &b2, dt.to_complex())
}

/// `complex(real, imag)`.
pub fn complex(re: &Tensor, im: &Tensor) -> Result<Tensor> {
    let out = from_parts(re, im, false)?;
    if needs_grad(&[re, im]) {
        let (sr, si) = (re.shape().to_vec(), im.shape().to_vec());
        record("ComplexBackward0", &[re, im], &[&out], move |g: &[Option<Tensor>]| {
            let g = g[0].as_ref().unwrap();
            Ok(vec![Some(real(g)?.sum_to(&sr)?), Some(imag(g)?.sum_to(&si)?)])
        });
    }
    Ok(out)
}

/// `polar(abs, angle)` = abs · e^{i·angle}.
pub fn polar(r: &Tensor, theta: &Tensor) -> Result<Tensor> {
    let out = from_parts(r, theta, true)?;
    if needs_grad(&[r, theta]) {
        let (sr, st) = (r.shape().to_vec(), theta.shape().to_vec());
        let saved = vec![SavedTensor::input(theta), SavedTensor::output(&out)];
        let keep = saved.clone();
        record_saving("PolarBackward0", &[r, theta], &[&out], saved, move |g: &[Option<Tensor>]| {
            let g = g[0].as_ref().unwrap();
            let (theta, z) = (keep[0].unpack("PolarBackward0")?, keep[1].unpack("PolarBackward0")?);
            // dz = e^{iθ} dr + i z dθ
            let u = polar(&theta.ones_like()?, &theta)?;
            let gr = real(&g.mul(&conj_physical(&u)?)?)?;
            let gt = imag(&g.mul(&conj_physical(&z)?)?)?;
            Ok(vec![Some(gr.sum_to(&sr)?), Some(gt.sum_to(&st)?)])
        });
    }
    Ok(out)
}

/// The backward of a complex unary op: `g · conj(f'(z))`, with `f'` from the real formula
/// table (each formula is `g` times the derivative, so a gradient of ones yields `f'`).
/// `sgn` is not holomorphic and has its own rule.
pub fn unary_grad(
    op: UOp,
    g: &Tensor,
    x: Option<&Tensor>,
    y: Option<&Tensor>,
    real_rule: impl Fn(&Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    if op == UOp::Sign {
        // sgn(z) = z/|z|: grad = (g − Re(conj(g)·s)·s) / |z|, 0 at z = 0
        let (x, s) =
            (x.ok_or_else(|| Error::runtime("internal: input not saved"))?, y.ok_or_else(|| Error::runtime("internal: output not saved"))?);
        use crate::ops::compare::{compare, CmpOp};
        use crate::promote::Arg;
        let r = abs(x)?;
        let proj = real(&conj_physical(g)?.mul(s)?)?.mul(s)?;
        let zero = |op| compare(op, &Arg::T(r.detach()), &Arg::S(crate::Scalar::Float(0.0)))?.to_dtype(r.dtype());
        return g.sub(&proj)?.div(&r.add(&zero(CmpOp::Eq)?)?)?.mul(&zero(CmpOp::Ne)?);
    }
    let d = if op == UOp::Acosh {
        // 1/(√(z−1)·√(z+1)): the derivative of the branch the forward takes (the real rule's
        // 1/√(z²−1) has the wrong sign on the left half-plane)
        let x = x.ok_or_else(|| Error::runtime("internal: input not saved"))?;
        let sq = |s: f64| crate::ops::unary::unary(&x.add_scalar(s)?, UOp::Sqrt, Params::default());
        crate::ops::unary::unary(&sq(-1.0)?.mul(&sq(1.0)?)?, UOp::Reciprocal, Params::default())?
    } else {
        real_rule(&g.ones_like()?)?
    };
    g.mul(&conj_physical(&d)?)
}
