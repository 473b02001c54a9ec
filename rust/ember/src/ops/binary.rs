//! Binary elementwise ops with broadcasting and PyTorch's type promotion.
use crate::autograd::{check_inplace, needs_grad, rebase_history};
use crate::dispatch::Family;
use crate::ops::meta;
use crate::promote::{result_type, Arg};
use crate::{DType, Error, Result, Scalar, Tensor};
use ember_core::layout::broadcast_shapes;

pub use crate::ops::binary_table::{wgpu_kernel, BinaryOp, TORCH_FUNCTIONS};

/// The dtype the kernel computes in, given the promoted dtype of the inputs.
fn compute_dtype(op: BinaryOp, promoted: DType) -> DType {
    if op.float_only() && !promoted.is_inexact() {
        crate::promote::default_dtype()
    } else {
        promoted
    }
}

fn grad_name(op: BinaryOp, a_scalar: bool, b_scalar: bool) -> &'static str {
    match op {
        BinaryOp::Pow if b_scalar => "PowBackward0",
        BinaryOp::Pow if a_scalar => "PowBackward2",
        op => op.tensor_grad_name(),
    }
}

/// Runs `op` on already converted, broadcastable operands into `out[lo]` (the host kernels
/// generated from the table in `ember_cpu::binary`).
pub(crate) fn kernel_into(op: BinaryOp, dt: DType, out: &Tensor, a: &Tensor, b: &Tensor) -> Result<()> {
    ember_cpu::binary::binary_op_into(op, dt, out.storage(), out.layout(), a.storage(), a.layout(), b.storage(), b.layout())
}

/// Errors PyTorch raises for an op/dtype pair before computing anything.
fn check_args(op: BinaryOp, dt: DType, b: &Arg) -> Result<()> {
    check_bool_sub(op, dt)?;
    if !dt.is_inexact() && op.int_rule() == ember_cpu::unary::IntRule::Refuse {
        return Err(ember_cpu::binary::refused(op, dt));
    }
    if dt.is_complex() && !op.takes_complex() {
        let msg = format!(
            "\"{}_cpu\" not implemented for '{}'. Complex numbers have no order or rounding; apply the op to .real/.imag or .abs() instead.",
            op.name(),
            dt.scalar_name()
        );
        // PyTorch raises TypeError for maximum/minimum/fmax/fmin, NotImplementedError for the rest
        let order = matches!(op, BinaryOp::Maximum | BinaryOp::Minimum | BinaryOp::Fmax | BinaryOp::Fmin);
        return Err(if order { Error::type_(msg) } else { Error::NotImplemented(msg) });
    }
    if op == BinaryOp::Pow && !dt.is_inexact() {
        if let Arg::S(s) = b {
            if s.to_f64() < 0.0 {
                return Err(Error::runtime(
                    "Integers to negative integer powers are not allowed. Use a floating point base (e.g. x.float() ** -1) to get fractional results.",
                ));
            }
        }
    }
    if matches!(op, BinaryOp::DivFloor | BinaryOp::Rem | BinaryOp::Fmod | BinaryOp::DivTrunc) && dt.is_int() {
        if let Some(t) = b.as_tensor().filter(|t| t.device().is_host()) {
            if t.to_vec::<i64>()?.contains(&0) {
                return Err(Error::runtime("ZeroDivisionError"));
            }
        } else if let Arg::S(s) = b {
            if s.to_i64() == 0 {
                return Err(Error::runtime("ZeroDivisionError"));
            }
        }
    }
    if dt == DType::Bool && matches!(op, BinaryOp::DivFloor | BinaryOp::Rem | BinaryOp::Fmod) {
        return Err(Error::runtime(format!(
            "\"{}_cpu\" not implemented for 'Bool'. Convert the operands to an integer or floating point dtype first.",
            op.name()
        )));
    }
    check_dtype(op, dt)
}

/// The dtype rule of `op`'s table row (its `int:` and `complex:` columns) for operands
/// computed in `dt`: PyTorch's error where the row refuses `dt`, before any backend runs.
#[inline]
fn check_dtype(op: BinaryOp, dt: DType) -> Result<()> {
    if dt.is_float() {
        return Ok(());
    }
    check_exact_dtype(op, dt)
}

/// `check_dtype` for integer, bool and complex operands (kept out of the float path).
#[inline(never)]
fn check_exact_dtype(op: BinaryOp, dt: DType) -> Result<()> {
    let refuse = |supported: &str| Err(Error::DType { op: op.name().into(), dtype: dt, supported: supported.into() });
    match op.int_rule() {
        _ if dt.is_complex() && op.takes_complex() => Ok(()),
        _ if dt.is_complex() => refuse("real dtypes"),
        ember_cpu::unary::IntRule::Refuse => Err(ember_cpu::binary::refused(op, dt)),
        ember_cpu::unary::IntRule::Float => refuse("floating point dtypes"),
        _ => Ok(()),
    }
}

fn check_bool_sub(op: BinaryOp, dt: DType) -> Result<()> {
    if op == BinaryOp::Sub && dt == DType::Bool {
        return Err(Error::runtime(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
        ));
    }
    Ok(())
}

/// `a op b` as a new tensor.
/// What every form of `a op b` settles before computing, raising PyTorch's argument errors:
/// the backend family, the dtype the kernel computes in, the broadcast shape.
fn plan(op: BinaryOp, a: &Arg, b: &Arg) -> Result<(Family, DType, ember_core::layout::Dims)> {
    let f = meta::family_of_args(op.name(), &[a, b])?;
    let dt = compute_dtype(op, result_type(&[a, b])?);
    check_args(op, dt, b)?;
    Ok((f, dt, broadcast_shapes(a.shape(), b.shape())?))
}

pub fn binary(op: BinaryOp, a: &Arg, b: &Arg) -> Result<Tensor> {
    if let Some(out) = same_dense(op, a, b) {
        return out;
    }
    let (f, dt, shape) = plan(op, a, b)?;
    if f == Family::CpuSparse {
        return crate::sparse::binary(op, a, b);
    }
    let out = crate::backend::of(f).binary(op, a, b, dt, &shape)?;
    let (ga, gb) = (a.as_tensor().filter(|t| t.requires_grad()), b.as_tensor().filter(|t| t.requires_grad()));
    if (ga.is_some() || gb.is_some()) && crate::grad_mode::is_enabled() && dt.is_inexact() {
        record_binary(op, a, b, &out);
    }
    Ok(out)
}

/// `a op b` written straight into `out`, with no temporary: the common case of
/// `ember.add(a, b, out=c)`. Ok(false), having written nothing, where the general path
/// (compute, then copy under `out=`'s rules) must decide: `out` of another dtype, shape or
/// device, not contiguous, sparse, conjugated or requiring grad; an operand requiring grad while grad mode
/// is on; `out` sharing storage with an operand other than as the identical view (an
/// elementwise kernel reads each element before writing it only then). Argument errors are
/// the ones `binary` raises.
pub fn binary_out(op: BinaryOp, a: &Arg, b: &Arg, out: &Tensor) -> Result<bool> {
    let ts = [a.as_tensor(), b.as_tensor()];
    let grad = crate::grad_mode::is_enabled() && ts.iter().flatten().any(|t| t.requires_grad());
    let conj = out.is_conj() || out.0.resolved.is_some(); // its writes go through copy_'s conjugation
    if grad || conj || out.requires_grad() || out.is_sparse() || !out.is_contiguous() {
        return Ok(false);
    }
    for t in ts.iter().flatten() {
        let aliased = t.storage().same(out.storage()) && t.layout() != out.layout();
        if t.device() != out.device() || t.is_sparse() || aliased {
            return Ok(false);
        }
    }
    let (f, dt, shape) = plan(op, a, b)?;
    if dt != out.dtype() || shape.as_slice() != out.shape() || f != crate::dispatch::Family::of(out.device()) {
        return Ok(false);
    }
    out.check_writable()?;
    crate::backend::of(f).binary_into(op, a, b, dt, out)?;
    out.bump_version(op.name())?;
    Ok(true)
}

/// Below this many elements `same_dense` applies (the general path splits larger jobs).
const SAME_DENSE_MAX: usize = 1 << 14;

/// `binary` for its commonest call: two small row-major float tensors of one dtype and shape
/// on the CPU, outside autograd, with `+ - * /`. Nothing there can raise or promote, so the
/// plan (family, promotion, argument checks, broadcasting, output strides) is settled by the
/// checks here, and the same kernel runs; it was half of a 10-element `a + b`.
#[inline]
fn same_dense(op: BinaryOp, a: &Arg, b: &Arg) -> Option<Result<Tensor>> {
    let (Arg::T(x), Arg::T(y)) = (a, b) else { return None };
    let dt = x.dtype();
    let simple = matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div);
    if !simple || !matches!(dt, DType::F32 | DType::F64) || y.dtype() != dt || x.shape() != y.shape() {
        return None;
    }
    let host = |t: &Tensor| t.device() == crate::Device::Cpu && !t.is_sparse() && t.storage().device().is_host();
    if x.requires_grad() || y.requires_grad() || !host(x) || !host(y) || x.numel() > SAME_DENSE_MAX {
        return None;
    }
    if !x.is_contiguous() || !y.is_contiguous() {
        return None;
    }
    crate::dispatch::note(op.name(), Family::CpuStrided);
    Some(Tensor::empty(x.shape(), dt).and_then(|out| kernel_into(op, dt, &out, x, y).map(|()| out)))
}

/// Backward formulas (d/da, d/db) before the broadcast reduction (`sum_to`) in the caller.
/// `a`/`b` are the saved operands (a scalar operand comes as a 0-dim tensor), `y` the output.
fn grads_of(op: BinaryOp, g: &Tensor, a: &Tensor, b: &Tensor, y: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
    if g.dtype().is_complex() && matches!(op, BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow) {
        // the holomorphic rule g·conj(∂f/∂a) is the real formula applied to conjugates
        use crate::ops::complex::conj_physical as cj;
        let y = y.map(cj).transpose()?;
        return real_grads(op, g, &cj(a)?, &cj(b)?, y.as_ref());
    }
    real_grads(op, g, a, b, y)
}

fn real_grads(op: BinaryOp, g: &Tensor, a: &Tensor, b: &Tensor, y: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
    use crate::ops::compare::{compare, CmpOp};
    use crate::ops::unary::{unary, Params, UOp};
    use BinaryOp::*;
    let m =
        |x: &Tensor, c: CmpOp, z: &Tensor| -> Result<Tensor> { compare(c, &Arg::T(x.detach()), &Arg::T(z.detach()))?.to_dtype(g.dtype()) };
    let un = |x: &Tensor, o: UOp| unary(x, o, Params::default());
    let zero = || g.mul_scalar(0.0);
    Ok(match op {
        Add => (g.clone(), g.clone()),
        Sub => (g.clone(), g.neg()?),
        Mul => (g.mul(b)?, g.mul(a)?),
        Div => {
            let ga = g.div(b)?;
            (ga.clone(), ga.mul(&a.div(b)?)?.neg()?)
        }
        DivTrunc | DivFloor => (zero()?, zero()?),
        Rem => (g.clone(), g.mul(&binary(DivFloor, &Arg::T(a.detach()), &Arg::T(b.detach()))?)?.neg()?),
        Fmod => (g.clone(), g.mul(&binary(DivTrunc, &Arg::T(a.detach()), &Arg::T(b.detach()))?)?.neg()?),
        Pow => {
            // d/da = b·a^(b−1) (0 where b == 0); d/db = y·ln(a) (0 where a == 0 and b ≥ 0)
            let bm1 = b.add_scalar(-1.0)?;
            let da = g.mul(&b.mul(&binary(Pow, &Arg::T(a.clone()), &Arg::T(bm1))?)?)?;
            let nz = m(b, CmpOp::Ne, &b.mul_scalar(0.0)?)?;
            let ga = da.mul(&nz)?;
            let y = y.ok_or_else(|| Error::runtime("internal: pow output not saved"))?;
            let a_zero = m(a, CmpOp::Eq, &a.mul_scalar(0.0)?)?;
            let safe_a = a.add(&a_zero)?; // ln(1) = 0 where a == 0
            let gb = g.mul(&y.mul(&un(&safe_a, UOp::Log)?)?)?;
            (ga, gb)
        }
        Atan2 => {
            let d = a.mul(a)?.add(&b.mul(b)?)?;
            (g.mul(b)?.div(&d)?, g.mul(a)?.div(&d)?.neg()?)
        }
        Maximum | Minimum | Fmax | Fmin => {
            let c = if matches!(op, Maximum | Fmax) { CmpOp::Gt } else { CmpOp::Lt };
            let half = m(a, CmpOp::Eq, b)?.mul_scalar(0.5)?;
            let wa = m(a, c, b)?.add(&half)?;
            let wb = wa.mul_scalar(-1.0)?.add_scalar(1.0)?;
            (g.mul(&wa)?, g.mul(&wb)?)
        }
        Hypot => {
            let y = y.ok_or_else(|| Error::runtime("internal: hypot output not saved"))?;
            (g.mul(a)?.div(y)?, g.mul(b)?.div(y)?)
        }
        Copysign => {
            let s = binary(Copysign, &Arg::S(Scalar::Float(1.0)), &Arg::T(b.detach()))?.mul(&un(&a.detach(), UOp::Sign)?)?;
            (g.mul(&s)?, zero()?)
        }
        Xlogy => {
            let nz = m(a, CmpOp::Ne, &a.mul_scalar(0.0)?)?;
            (g.mul(&un(b, UOp::Log)?)?.mul(&nz)?, g.mul(a)?.div(b)?)
        }
        Logaddexp | Logaddexp2 => {
            // d/da = e^(a − y) (2^(a − y) for base 2): each operand's share of the sum
            let y = y.ok_or_else(|| Error::runtime("internal: logaddexp output not saved"))?;
            let pw = if op == Logaddexp { UOp::Exp } else { UOp::Exp2 };
            (g.mul(&un(&a.sub(y)?, pw)?)?, g.mul(&un(&b.sub(y)?, pw)?)?)
        }
    })
}

fn record_binary(op: BinaryOp, a: &Arg, b: &Arg, out: &Tensor) {
    let name = grad_name(op, a.as_tensor().is_none(), b.as_tensor().is_none());
    // Shapes to reduce broadcast gradients back to; None (no allocation) when unbroadcast.
    let reduce_to = |s: &[usize]| (s != out.shape()).then(|| s.to_vec());
    let (sa, sb) = (reduce_to(a.shape()), reduce_to(b.shape()));
    let (ta, tb) = (a.as_tensor().cloned(), b.as_tensor().cloned());
    let (need_a, need_b) = (ta.as_ref().is_some_and(|t| t.requires_grad()), tb.as_ref().is_some_and(|t| t.requires_grad()));
    let (pair, one);
    let inputs: &[&Tensor] = match (&ta, &tb) {
        (Some(x), Some(y)) => {
            pair = [x, y];
            &pair
        }
        (Some(x), None) | (None, Some(x)) => {
            one = [x];
            &one
        }
        (None, None) => return,
    };
    let (a_is_t, b_is_t) = (ta.is_some(), tb.is_some());
    // Save only what the formula reads (the table's x/y columns): add/sub read nothing.
    let (keep, keep_out) = op.saves();
    let mut saved = vec![];
    if keep {
        saved.extend(ta.iter().chain(tb.iter()).map(crate::autograd::SavedTensor::input));
    }
    if keep_out {
        saved.push(crate::autograd::SavedTensor::output(out));
    }
    let versions: Vec<_> = saved.clone();
    let (ascalar, bscalar) = (a.clone(), b.clone());
    crate::autograd::record_saving(name, &inputs, &[out], saved, move |g: &[Option<Tensor>]| {
        let vals: Vec<Tensor> = versions.iter().map(|s| s.unpack(name)).collect::<Result<_>>()?;
        let g = g[0].as_ref().unwrap();
        let mut it = vals.iter();
        let (va, vb) = if keep {
            let va = if a_is_t { it.next().cloned().unwrap() } else { ascalar.tensor(g.dtype())? };
            let vb = if b_is_t { it.next().cloned().unwrap() } else { bscalar.tensor(g.dtype())? };
            (va, vb)
        } else {
            (g.clone(), g.clone())
        };
        let y = it.next();
        let (g1, g2) = grads_of(op, g, &va, &vb, y)?;
        let fit = |g: Tensor, s: &Option<Vec<usize>>| match s {
            Some(s) => g.sum_to(s),
            None => Ok(g),
        };
        let mut res = Vec::with_capacity(2);
        if a_is_t {
            res.push(if need_a { Some(fit(g1, &sa)?) } else { None });
        }
        if b_is_t {
            res.push(if need_b { Some(fit(g2, &sb)?) } else { None });
        }
        Ok(res)
    });
}

/// `self op= other`, writing through views into shared storage.
pub fn binary_(op: BinaryOp, this: &Tensor, other: &Arg) -> Result<()> {
    let a = Arg::T(this.clone());
    let f = meta::family_of_args(op.name(), &[&a, other])?;
    let dt = compute_dtype(op, result_type(&[&a, other])?);
    check_args(op, dt, other)?;
    if !dt.can_cast_to(this.dtype()) {
        return Err(Error::Cast { from: dt, to: this.dtype() });
    }
    let shape = broadcast_shapes(this.shape(), other.shape())?;
    if shape != this.shape() {
        return Err(Error::OutShape { out: this.shape().to_vec(), broadcast: shape.to_vec() });
    }
    this.check_writable()?;
    let track = needs_grad(&[this]) || other.as_tensor().is_some_and(|t| needs_grad(&[t]));
    if track {
        check_inplace(this)?;
    }
    // The value before the write, when the backward needs it (mul/div by a tensor).
    // A differentiable copy (CloneBackward0), so double backward reaches the old history.
    let before = if track && op.saves().0 { Some(this.clone_tensor()?) } else { None };
    crate::backend::of(f).binary_(op, this, other, dt)?;
    this.bump_version(op.name())?;
    if track && this.dtype().is_inexact() {
        let ob = other.clone();
        let sb = other.shape().to_vec();
        let ot = other.as_tensor().filter(|t| t.requires_grad()).cloned();
        let others: Vec<&Tensor> = ot.iter().collect();
        let has_other = ot.is_some();
        let name = grad_name(op, false, other.as_tensor().is_none());
        let after = if op.saves().1 { Some(this.detach().contiguous_copy()?) } else { None };
        rebase_history(name, this, &others, move |g: &[Option<Tensor>]| {
            let g = g[0].as_ref().unwrap();
            let bt = ob.tensor(g.dtype())?;
            let a0 = before.clone().unwrap_or_else(|| g.clone());
            let (g1, g2) = grads_of(op, g, &a0, &bt, after.as_ref())?;
            let mut r = vec![Some(g1)];
            if has_other {
                r.push(Some(g2.sum_to(&sb)?));
            }
            Ok(r)
        })?;
    }
    Ok(())
}

impl Tensor {
    pub fn add(&self, o: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Add, &Arg::T(self.clone()), &Arg::T(o.clone()))
    }
    pub fn sub(&self, o: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Sub, &Arg::T(self.clone()), &Arg::T(o.clone()))
    }
    pub fn mul(&self, o: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Mul, &Arg::T(self.clone()), &Arg::T(o.clone()))
    }
    pub fn div(&self, o: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Div, &Arg::T(self.clone()), &Arg::T(o.clone()))
    }
    pub fn mul_scalar(&self, s: f64) -> Result<Tensor> {
        binary(BinaryOp::Mul, &Arg::T(self.clone()), &Arg::S(Scalar::Float(s)))
    }
    pub fn add_scalar(&self, s: f64) -> Result<Tensor> {
        binary(BinaryOp::Add, &Arg::T(self.clone()), &Arg::S(Scalar::Float(s)))
    }
    pub fn neg(&self) -> Result<Tensor> {
        crate::ops::unary::unary(self, crate::ops::unary::UOp::Neg, Default::default())
    }
}
