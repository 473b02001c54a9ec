//! Matrix products with their backward formulas beside them.
//!
//! Every product funnels into one kernel, `ember_cpu::matmul::bmm_into` on 3-D layouts
//! (`[batch, rows, cols]`, any strides): `mm` is a batch of one, `mv` a product with one
//! column, `dot` a 1x1 result. Backward formulas are written with these differentiable
//! ops, so double backward works.
//!
//! PyTorch does not promote dtypes in matrix products: both operands must share a dtype.
use crate::autograd::{needs_grad, record_saving, SavedTensor};
use crate::dispatch;
use crate::{DType, Error, Layout, Result, Scalar, Tensor};
use ember_core::layout::broadcast_shapes;

/// The C++ type name PyTorch prints in matmul's dtype error ("float != double").
fn cpp_name(d: DType) -> &'static str {
    match d {
        DType::Bool => "bool",
        DType::U8 => "unsigned char",
        DType::I8 => "signed char",
        DType::I16 => "short int",
        DType::I32 => "int",
        DType::I64 => "long int",
        DType::U16 => "unsigned short",
        DType::U32 => "unsigned int",
        DType::U64 => "unsigned long",
        DType::F16 => "c10::Half",
        DType::BF16 => "c10::BFloat16",
        DType::F32 => "float",
        DType::F64 => "double",
        DType::C64 => "c10::complex<float>",
        DType::C128 => "c10::complex<double>",
    }
}

fn same_dtype(a: &Tensor, b: &Tensor) -> Result<DType> {
    if a.dtype() != b.dtype() {
        return Err(Error::runtime(format!(
            "expected m1 and m2 to have the same dtype, but got: {} != {}. Matrix products do not promote dtypes; convert one operand with .to() first.",
            cpp_name(a.dtype()),
            cpp_name(b.dtype())
        )));
    }
    Ok(a.dtype())
}

fn dims(s: &[usize]) -> String {
    s.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("x")
}

/// A layout seen as a batch of one matrix: `[1, rows, cols]`.
fn as_batch(l: &Layout) -> Layout {
    let mut sizes = vec![1];
    let mut strides = vec![0];
    sizes.extend(&l.sizes);
    strides.extend(&l.strides);
    Layout::new(sizes, strides, l.offset)
}

/// Scalars multiplying integer tensors must be integers (PyTorch's rule for beta/alpha).
fn check_scalar(dt: DType, name: &str, s: Scalar) -> Result<()> {
    if !dt.is_float() && matches!(s, Scalar::Float(_)) {
        return Err(Error::runtime(format!(
            "For integral input tensors, argument {name} must not be a floating point number. Pass an int, or convert the tensors to a floating dtype."
        )));
    }
    Ok(())
}

/// The raw product `beta * input + alpha * (a @ b)` over 3-D operands `[B,M,K] @ [B,K,N]`,
/// without history. `input` broadcasts to `[B, M, N]`; with `beta == 0` it is not read.
fn raw_bmm(a: &Tensor, la: &Layout, b: &Tensor, lb: &Layout, input: Option<&Tensor>, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
    // The CPU's dtype rule, checked before any backend is chosen (meta and wgpu agree).
    if a.dtype() == DType::Bool {
        return Err(Error::runtime(
            "\"addmm_impl_cpu_\" not implemented for 'Bool'. Matrix products are defined for integer and floating dtypes; convert with .int() or .float() first.",
        ));
    }
    let be = match input {
        Some(i) => dispatch::backend("bmm", &[a, b, i])?,
        None => dispatch::backend("bmm", &[a, b])?,
    };
    be.bmm(a, la, b, lb, input, beta, alpha)
}

/// The host kernel of `raw_bmm`.
pub(crate) fn bmm_kernel(
    a: &Tensor,
    la: &Layout,
    b: &Tensor,
    lb: &Layout,
    input: Option<&Tensor>,
    beta: Scalar,
    alpha: Scalar,
) -> Result<Tensor> {
    let dt = a.dtype();
    let shape = [la.sizes[0], la.sizes[1], lb.sizes[2]];
    let out = Tensor::empty(&shape, dt)?;
    let beta = match input {
        Some(inp) if beta.to_c128() != (0.0, 0.0) => {
            let l = inp.layout().expand(&shape.iter().map(|&s| s as i64).collect::<Vec<_>>())?;
            ember_cpu::copy::copy_into(out.storage(), out.layout(), dt, inp.storage(), &l, inp.dtype());
            beta
        }
        _ => Scalar::Int(0),
    };
    ember_cpu::matmul::bmm_into(dt, out.storage(), out.layout(), a.storage(), la, b.storage(), lb, alpha, beta)?;
    Ok(out)
}

/// `x @ y` laid out like `like`: when `like` is a transposed (column-major) view, computed as
/// `(yᵀ @ xᵀ)ᵀ`, so the gradient of a `w.t()` operand (every `Linear`) reaches the row-major `w`
/// through its TBackward0 without a transposing copy (10% of a small training step).
fn mm_like(x: &Tensor, y: &Tensor, like: &Tensor) -> Result<Tensor> {
    let l = like.layout();
    if l.ndim() == 2 && l.strides[0] == 1 && !like.is_contiguous() {
        y.t()?.mm(&x.t()?)?.t()
    } else {
        x.mm(y)
    }
}

/// `t * s`, or `t` itself when `s == 1` (keeps backward graphs small).
fn scaled(t: Tensor, s: Scalar) -> Result<Tensor> {
    if s.to_c128() == (1.0, 0.0) {
        return Ok(t);
    }
    t.mul_scalar(s.to_f64())
}

/// Which inputs of a recorded product need a gradient, in `inputs` order.
fn wants(ts: &[&Tensor]) -> Vec<bool> {
    ts.iter().map(|t| t.requires_grad()).collect()
}

/// The saved operands of a product, conjugated when complex: every formula here multiplies
/// the gradient by the other operand, and the complex rule is `g · conj(∂f/∂x)`.
fn unpack(saved: &[SavedTensor], name: &str) -> Result<Vec<Tensor>> {
    saved.iter().map(|s| s.unpack(name).and_then(|t| crate::ops::complex::conj_physical(&t))).collect()
}

fn check_matrix(t: &Tensor, what: &str) -> Result<()> {
    if t.ndim() != 2 {
        return Err(Error::runtime(format!("{what} must be a matrix, got {}-D tensor", t.ndim())));
    }
    Ok(())
}

fn check_mm_shapes(a: &Tensor, b: &Tensor) -> Result<()> {
    if a.shape()[1] != b.shape()[0] {
        return Err(Error::runtime(format!(
            "mat1 and mat2 shapes cannot be multiplied ({} and {}). The inner dimensions must agree: mat1 has {} columns but mat2 has {} rows.",
            dims(a.shape()),
            dims(b.shape()),
            a.shape()[1],
            b.shape()[0]
        )));
    }
    Ok(())
}

fn check_bmm_shapes(a: &Tensor, b: &Tensor) -> Result<()> {
    if a.ndim() != 3 {
        return Err(Error::runtime(format!("batch1 must be a 3D tensor, got {}-D", a.ndim())));
    }
    if b.ndim() != 3 {
        return Err(Error::runtime(format!("batch2 must be a 3D tensor, got {}-D", b.ndim())));
    }
    let (bn, k) = (a.shape()[0], a.shape()[2]);
    if b.shape()[0] != bn || b.shape()[1] != k {
        return Err(Error::runtime(format!(
            "Expected size for first two dimensions of batch2 tensor to be: [{bn}, {k}] but got: [{}, {}]. batch1 is {} so batch2 must have {bn} matrices of {k} rows.",
            b.shape()[0],
            b.shape()[1],
            dims(a.shape())
        )));
    }
    Ok(())
}

fn check_input_dtype(input: &Tensor, dt: DType) -> Result<()> {
    if input.dtype() != dt {
        return Err(Error::runtime(format!(
            "self and mat2 must have the same dtype, but got {} and {}. Matrix products do not promote dtypes; convert with .to() first.",
            input.dtype().scalar_name(),
            dt.scalar_name()
        )));
    }
    Ok(())
}

fn check_mv(mat: &Tensor, vec: &Tensor) -> Result<()> {
    if mat.ndim() != 2 || vec.ndim() != 1 {
        return Err(Error::runtime(format!(
            "vector + matrix @ vector expected, got 1, {}, {}. mv multiplies a 2-D matrix by a 1-D vector; use matmul for other shapes.",
            mat.ndim(),
            vec.ndim()
        )));
    }
    same_dtype(mat, vec)?;
    if mat.shape()[1] != vec.shape()[0] {
        return Err(Error::runtime(format!(
            "size mismatch, got input ({}), mat ({}), vec ({}). The matrix has {} columns, so the vector needs {} elements.",
            mat.shape()[0],
            dims(mat.shape()),
            vec.shape()[0],
            mat.shape()[1],
            mat.shape()[1]
        )));
    }
    Ok(())
}

impl Tensor {
    /// `mm`: `[M,K] @ [K,N]`.
    pub fn mm(&self, other: &Tensor) -> Result<Tensor> {
        if self.is_sparse() {
            return self.sparse_mm(other);
        }
        if other.is_sparse() {
            return Err(crate::dispatch::unsupported("mm", crate::dispatch::Family::CpuSparse));
        }
        check_matrix(self, "self")?;
        check_matrix(other, "mat2")?;
        same_dtype(self, other)?;
        check_mm_shapes(self, other)?;
        let out = raw_bmm(self, &as_batch(self.layout()), other, &as_batch(other.layout()), None, Scalar::Int(0), Scalar::Int(1))?;
        let out = out.with_layout(Layout::contiguous(&[self.shape()[0], other.shape()[1]])).detach();
        if needs_grad(&[self, other]) {
            let w = wants(&[self, other]);
            let saved = vec![SavedTensor::input(self), SavedTensor::input(other)];
            let s2 = saved.clone();
            record_saving("MmBackward0", &[self, other], &[&out], saved, move |g: &[Option<Tensor>]| {
                let [a, b] = <[Tensor; 2]>::try_from(unpack(&s2, "MmBackward0")?).unwrap();
                let g = g[0].as_ref().unwrap();
                Ok(vec![if w[0] { Some(mm_like(g, &b.t()?, &a)?) } else { None }, if w[1] { Some(mm_like(&a.t()?, g, &b)?) } else { None }])
            });
        }
        Ok(out)
    }

    /// `bmm`: `[B,M,K] @ [B,K,N]`.
    pub fn bmm(&self, other: &Tensor) -> Result<Tensor> {
        check_bmm_shapes(self, other)?;
        same_dtype(self, other)?;
        let out = raw_bmm(self, self.layout(), other, other.layout(), None, Scalar::Int(0), Scalar::Int(1))?;
        if needs_grad(&[self, other]) {
            let w = wants(&[self, other]);
            let saved = vec![SavedTensor::input(self), SavedTensor::input(other)];
            let s2 = saved.clone();
            record_saving("BmmBackward0", &[self, other], &[&out], saved, move |g: &[Option<Tensor>]| {
                let [a, b] = <[Tensor; 2]>::try_from(unpack(&s2, "BmmBackward0")?).unwrap();
                let g = g[0].as_ref().unwrap();
                Ok(vec![
                    if w[0] { Some(g.bmm(&b.transpose(1, 2)?)?) } else { None },
                    if w[1] { Some(a.transpose(1, 2)?.bmm(g)?) } else { None },
                ])
            });
        }
        Ok(out)
    }

    /// `mv`: `[M,K] @ [K]`.
    pub fn mv(&self, vec: &Tensor) -> Result<Tensor> {
        check_mv(self, vec)?;
        let lv = vec.layout().unsqueeze(1)?;
        let out = raw_bmm(self, &as_batch(self.layout()), vec, &as_batch(&lv), None, Scalar::Int(0), Scalar::Int(1))?;
        let out = out.with_layout(Layout::contiguous(&[self.shape()[0]])).detach();
        if needs_grad(&[self, vec]) {
            let w = wants(&[self, vec]);
            let saved = vec![SavedTensor::input(self), SavedTensor::input(vec)];
            let s2 = saved.clone();
            record_saving("MvBackward0", &[self, vec], &[&out], saved, move |g: &[Option<Tensor>]| {
                let [a, v] = <[Tensor; 2]>::try_from(unpack(&s2, "MvBackward0")?).unwrap();
                let g = g[0].as_ref().unwrap();
                Ok(vec![if w[0] { Some(g.outer(&v)?) } else { None }, if w[1] { Some(a.t()?.mv(g)?) } else { None }])
            });
        }
        Ok(out)
    }

    /// `dot`: the sum of products of two 1-D tensors, as a 0-dim tensor.
    pub fn dot(&self, other: &Tensor) -> Result<Tensor> {
        self.dot_named(other, "DotBackward0", "dot")
    }

    /// `vdot`: `dot` with the first argument conjugated (the same for real dtypes).
    pub fn vdot(&self, other: &Tensor) -> Result<Tensor> {
        self.dot_named(other, "VdotBackward0", "vdot")
    }

    fn dot_named(&self, other: &Tensor, name: &'static str, op: &str) -> Result<Tensor> {
        if self.ndim() != 1 || other.ndim() != 1 {
            return Err(Error::runtime(format!(
                "1D tensors expected, but got {}D and {}D tensors. {op} takes two vectors; use matmul or tensordot for higher dims.",
                self.ndim(),
                other.ndim()
            )));
        }
        if self.dtype() != other.dtype() {
            return Err(Error::runtime(format!(
                "{op} : expected both vectors to have same dtype, but found {} and {}",
                self.dtype().scalar_name(),
                other.dtype().scalar_name()
            )));
        }
        let (n, m) = (self.shape()[0], other.shape()[0]);
        if n != m {
            return Err(Error::runtime(format!(
                "inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number of elements, but got {n} and {m} elements respectively"
            )));
        }
        let (la, lb) = (self.layout().unsqueeze(0)?, other.layout().unsqueeze(1)?);
        let out = raw_bmm(self, &as_batch(&la), other, &as_batch(&lb), None, Scalar::Int(0), Scalar::Int(1))?;
        let out = out.with_layout(Layout::contiguous(&[])).detach();
        if needs_grad(&[self, other]) {
            let w = wants(&[self, other]);
            let saved = vec![SavedTensor::input(self), SavedTensor::input(other)];
            let s2 = saved.clone();
            record_saving(name, &[self, other], &[&out], saved, move |g: &[Option<Tensor>]| {
                let [a, b] = <[Tensor; 2]>::try_from(unpack(&s2, name)?).unwrap();
                let g = g[0].as_ref().unwrap();
                Ok(vec![if w[0] { Some(g.mul(&b)?) } else { None }, if w[1] { Some(g.mul(&a)?) } else { None }])
            });
        }
        Ok(out)
    }

    /// `outer(vec2)` / `ger`: `self[i] * vec2[j]` (a broadcast multiply, as PyTorch does).
    pub fn outer(&self, other: &Tensor) -> Result<Tensor> {
        for (t, w) in [(self, "self"), (other, "vec2")] {
            if t.ndim() != 1 {
                return Err(Error::runtime(format!("outer: Expected 1-D argument {w}, but got {}-D", t.ndim())));
            }
        }
        self.reshape(&[-1, 1])?.mul(other)
    }

    /// `matmul` / `@`, NumPy's rules: 1-D operands are promoted to matrices and the added
    /// dim removed again; leading dims are batch dims that broadcast.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (da, db) = (self.ndim(), other.ndim());
        if da == 0 || db == 0 {
            return Err(Error::runtime(format!(
                "both arguments to matmul need to be at least 1D, but they are {da}D and {db}D. Use * (mul) to multiply by a 0-dim tensor."
            )));
        }
        same_dtype(self, other)?;
        match (da, db) {
            (1, 1) => self.dot(other),
            (2, 1) => self.mv(other),
            (1, 2) => self.unsqueeze(0)?.mm(other)?.squeeze(Some(&[0])),
            (2, 2) => self.mm(other),
            (_, 1 | 2) => {
                // Fold the batch into the rows: one big mm instead of many small ones.
                let k = self.shape()[da - 1];
                let rows: usize = self.shape()[..da - 1].iter().product();
                let rhs = if db == 1 { other.unsqueeze(1)? } else { other.clone() };
                let prod = self.reshape(&[rows as i64, k as i64])?.mm(&rhs)?;
                let mut shape: Vec<i64> = self.shape()[..da - 1].iter().map(|&s| s as i64).collect();
                if db == 2 {
                    shape.push(other.shape()[1] as i64);
                }
                prod.reshape(&shape)
            }
            _ => self.batched_matmul(other),
        }
    }

    fn batched_matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (da, db) = (self.ndim(), other.ndim());
        let a = if da == 1 { self.unsqueeze(0)? } else { self.clone() };
        let b = if db == 1 { other.unsqueeze(1)? } else { other.clone() };
        let (an, bnd) = (a.ndim(), b.ndim());
        let (m, k) = (a.shape()[an - 2], a.shape()[an - 1]);
        let (k2, n) = (b.shape()[bnd - 2], b.shape()[bnd - 1]);
        let batch = broadcast_shapes(&a.shape()[..an - 2], &b.shape()[..bnd - 2])?;
        let nb: usize = batch.iter().product();
        let expand = |t: &Tensor, r: usize, c: usize| -> Result<Tensor> {
            let mut s: Vec<i64> = batch.iter().map(|&x| x as i64).collect();
            s.extend([r as i64, c as i64]);
            t.expand(&s)?.reshape(&[nb as i64, r as i64, c as i64])
        };
        let prod = expand(&a, m, k)?.bmm(&expand(&b, k2, n)?)?;
        let mut shape: Vec<i64> = batch.iter().map(|&x| x as i64).collect();
        if da > 1 {
            shape.push(m as i64);
        }
        if db > 1 {
            shape.push(n as i64);
        }
        prod.reshape(&shape)
    }

    /// `addmm`: `beta * self + alpha * (mat1 @ mat2)`, `self` broadcast to the result.
    pub fn addmm(&self, mat1: &Tensor, mat2: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        check_matrix(mat1, "mat1")?;
        check_matrix(mat2, "mat2")?;
        let dt = same_dtype(mat1, mat2)?;
        check_input_dtype(self, dt)?;
        check_mm_shapes(mat1, mat2)?;
        check_scalar(dt, "beta", beta)?;
        check_scalar(dt, "alpha", alpha)?;
        let (la, lb) = (as_batch(mat1.layout()), as_batch(mat2.layout()));
        let inp = self.with_layout(as_batch(self.layout()));
        let shape = [mat1.shape()[0], mat2.shape()[1]];
        self.layout().expand(&[shape[0] as i64, shape[1] as i64])?;
        let out = raw_bmm(mat1, &la, mat2, &lb, Some(&inp), beta, alpha)?.with_layout(Layout::contiguous(&shape)).detach();
        if needs_grad(&[self, mat1, mat2]) {
            let w = wants(&[self, mat1, mat2]);
            let in_shape = self.shape().to_vec();
            let saved = vec![SavedTensor::input(mat1), SavedTensor::input(mat2)];
            let s2 = saved.clone();
            record_saving("AddmmBackward0", &[self, mat1, mat2], &[&out], saved, move |g: &[Option<Tensor>]| {
                let [a, b] = <[Tensor; 2]>::try_from(unpack(&s2, "AddmmBackward0")?).unwrap();
                let g = g[0].as_ref().unwrap();
                Ok(vec![
                    if w[0] { Some(scaled(g.clone(), beta)?.sum_to(&in_shape)?) } else { None },
                    if w[1] { Some(scaled(mm_like(g, &b.t()?, &a)?, alpha)?) } else { None },
                    if w[2] { Some(scaled(mm_like(&a.t()?, g, &b)?, alpha)?) } else { None },
                ])
            });
        }
        Ok(out)
    }

    /// `addmv`: `beta * self + alpha * (mat @ vec)`.
    pub fn addmv(&self, mat: &Tensor, vec: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        check_mv(mat, vec)?;
        let dt = mat.dtype();
        check_input_dtype(self, dt)?;
        check_scalar(dt, "beta", beta)?;
        check_scalar(dt, "alpha", alpha)?;
        let lv = as_batch(&vec.layout().unsqueeze(1)?);
        let m = mat.shape()[0];
        let inp = self.with_layout(as_batch(&self.layout().expand(&[m as i64])?.unsqueeze(1)?));
        let out = raw_bmm(mat, &as_batch(mat.layout()), vec, &lv, Some(&inp), beta, alpha)?.with_layout(Layout::contiguous(&[m])).detach();
        if needs_grad(&[self, mat, vec]) {
            let w = wants(&[self, mat, vec]);
            let in_shape = self.shape().to_vec();
            let saved = vec![SavedTensor::input(mat), SavedTensor::input(vec)];
            let s2 = saved.clone();
            record_saving("AddmvBackward0", &[self, mat, vec], &[&out], saved, move |g: &[Option<Tensor>]| {
                let [a, v] = <[Tensor; 2]>::try_from(unpack(&s2, "AddmvBackward0")?).unwrap();
                let g = g[0].as_ref().unwrap();
                Ok(vec![
                    if w[0] { Some(scaled(g.clone(), beta)?.sum_to(&in_shape)?) } else { None },
                    if w[1] { Some(scaled(g.outer(&v)?, alpha)?) } else { None },
                    if w[2] { Some(scaled(a.t()?.mv(g)?, alpha)?) } else { None },
                ])
            });
        }
        Ok(out)
    }

    /// `baddbmm`: `beta * self + alpha * (batch1 @ batch2)` per batch.
    pub fn baddbmm(&self, b1: &Tensor, b2: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        check_bmm_shapes(b1, b2)?;
        let dt = same_dtype(b1, b2)?;
        check_input_dtype(self, dt)?;
        check_scalar(dt, "beta", beta)?;
        check_scalar(dt, "alpha", alpha)?;
        let out = raw_bmm(b1, b1.layout(), b2, b2.layout(), Some(self), beta, alpha)?;
        if needs_grad(&[self, b1, b2]) {
            let w = wants(&[self, b1, b2]);
            let in_shape = self.shape().to_vec();
            let saved = vec![SavedTensor::input(b1), SavedTensor::input(b2)];
            let s2 = saved.clone();
            record_saving("BaddbmmBackward0", &[self, b1, b2], &[&out], saved, move |g: &[Option<Tensor>]| {
                let [a, b] = <[Tensor; 2]>::try_from(unpack(&s2, "BaddbmmBackward0")?).unwrap();
                let g = g[0].as_ref().unwrap();
                Ok(vec![
                    if w[0] { Some(scaled(g.clone(), beta)?.sum_to(&in_shape)?) } else { None },
                    if w[1] { Some(scaled(g.bmm(&b.transpose(1, 2)?)?, alpha)?) } else { None },
                    if w[2] { Some(scaled(a.transpose(1, 2)?.bmm(g)?, alpha)?) } else { None },
                ])
            });
        }
        Ok(out)
    }

    /// `addbmm`: `beta * self + alpha * sum_i batch1[i] @ batch2[i]`, computed as one mm
    /// of `[M, B*K] @ [B*K, N]` (the batch folded into the inner dim).
    pub fn addbmm(&self, b1: &Tensor, b2: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        check_bmm_shapes(b1, b2)?;
        let dt = same_dtype(b1, b2)?;
        check_input_dtype(self, dt)?;
        check_scalar(dt, "beta", beta)?;
        check_scalar(dt, "alpha", alpha)?;
        let (bn, m, k, n) = (b1.shape()[0], b1.shape()[1], b1.shape()[2], b2.shape()[2]);
        let (x, y) = (b1.detach(), b2.detach());
        let lhs = x.permute(&[1, 0, 2])?.reshape(&[m as i64, (bn * k) as i64])?;
        let rhs = y.reshape(&[(bn * k) as i64, n as i64])?;
        self.layout().expand(&[m as i64, n as i64])?;
        let inp = self.with_layout(as_batch(self.layout()));
        let out = raw_bmm(&lhs, &as_batch(lhs.layout()), &rhs, &as_batch(rhs.layout()), Some(&inp), beta, alpha)?
            .with_layout(Layout::contiguous(&[m, n]))
            .detach();
        if needs_grad(&[self, b1, b2]) {
            let w = wants(&[self, b1, b2]);
            let in_shape = self.shape().to_vec();
            let saved = vec![SavedTensor::input(b1), SavedTensor::input(b2)];
            let s2 = saved.clone();
            record_saving("AddbmmBackward0", &[self, b1, b2], &[&out], saved, move |g: &[Option<Tensor>]| {
                let [a, b] = <[Tensor; 2]>::try_from(unpack(&s2, "AddbmmBackward0")?).unwrap();
                let g = g[0].as_ref().unwrap();
                let gb = g.unsqueeze(0)?.expand(&[bn as i64, m as i64, n as i64])?;
                Ok(vec![
                    if w[0] { Some(scaled(g.clone(), beta)?.sum_to(&in_shape)?) } else { None },
                    if w[1] { Some(scaled(gb.bmm(&b.transpose(1, 2)?)?, alpha)?) } else { None },
                    if w[2] { Some(scaled(a.transpose(1, 2)?.bmm(&gb)?, alpha)?) } else { None },
                ])
            });
        }
        Ok(out)
    }

    /// `addr`: `beta * self + alpha * outer(vec1, vec2)`.
    pub fn addr(&self, v1: &Tensor, v2: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
        for (t, w) in [(v1, "vec1"), (v2, "vec2")] {
            if t.ndim() != 1 {
                return Err(Error::runtime(format!("addr: Expected 1-D argument {w}, but got {}-D", t.ndim())));
            }
        }
        let dt = same_dtype(v1, v2)?;
        check_input_dtype(self, dt)?;
        check_scalar(dt, "beta", beta)?;
        check_scalar(dt, "alpha", alpha)?;
        let (m, n) = (v1.shape()[0], v2.shape()[0]);
        self.layout().expand(&[m as i64, n as i64])?;
        let (la, lb) = (as_batch(&v1.layout().unsqueeze(1)?), as_batch(&v2.layout().unsqueeze(0)?));
        let inp = self.with_layout(as_batch(self.layout()));
        let out = raw_bmm(v1, &la, v2, &lb, Some(&inp), beta, alpha)?.with_layout(Layout::contiguous(&[m, n])).detach();
        if needs_grad(&[self, v1, v2]) {
            let w = wants(&[self, v1, v2]);
            let in_shape = self.shape().to_vec();
            let saved = vec![SavedTensor::input(v1), SavedTensor::input(v2)];
            let s2 = saved.clone();
            record_saving("AddrBackward0", &[self, v1, v2], &[&out], saved, move |g: &[Option<Tensor>]| {
                let [a, b] = <[Tensor; 2]>::try_from(unpack(&s2, "AddrBackward0")?).unwrap();
                let g = g[0].as_ref().unwrap();
                Ok(vec![
                    if w[0] { Some(scaled(g.clone(), beta)?.sum_to(&in_shape)?) } else { None },
                    if w[1] { Some(scaled(g.mv(&b)?, alpha)?) } else { None },
                    if w[2] { Some(scaled(g.t()?.mv(&a)?, alpha)?) } else { None },
                ])
            });
        }
        Ok(out)
    }

    /// `inner`: contracts the last dim of both (a product for 0-dim operands).
    pub fn inner(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() == 0 || other.ndim() == 0 {
            return self.mul(other);
        }
        if self.ndim() == 1 && other.ndim() == 1 {
            return self.dot(other);
        }
        let (ka, kb) = (self.shape()[self.ndim() - 1], other.shape()[other.ndim() - 1]);
        if ka != kb {
            return Err(Error::runtime(format!(
                "inner() the last dimension must match on both input tensors but got shapes {:?} and {:?}",
                self.shape(),
                other.shape()
            )));
        }
        self.tensordot(other, &[-1], &[-1])
    }

    /// `tensordot(other, dims_a, dims_b)`: contracts `dims_a` of self with `dims_b` of other;
    /// the result has self's free dims, then other's. One mm after permute + reshape.
    pub fn tensordot(&self, other: &Tensor, dims_a: &[i64], dims_b: &[i64]) -> Result<Tensor> {
        if dims_a.len() != dims_b.len() {
            return Err(Error::runtime(format!("both dimension lists should have same length, got {} and {}", dims_a.len(), dims_b.len())));
        }
        let (na, nb) = (self.ndim(), other.ndim());
        if (na == 0 || nb == 0) && !dims_a.is_empty() {
            let d = if na == 0 { dims_a[0] } else { dims_b[0] };
            return Err(Error::index(format!("Dimension specified as {d} but tensor has no dimensions")));
        }
        let ca: Vec<usize> = dims_a.iter().map(|&d| ember_core::layout::wrap_dim(d, na)).collect::<std::result::Result<_, _>>()?;
        let cb: Vec<usize> = dims_b.iter().map(|&d| ember_core::layout::wrap_dim(d, nb)).collect::<std::result::Result<_, _>>()?;
        for (&x, &y) in ca.iter().zip(&cb) {
            if self.shape()[x] != other.shape()[y] {
                return Err(Error::runtime(format!(
                    "contracted dimensions need to match, but first has size {} in dim {x} and second has size {} in dim {y}",
                    self.shape()[x],
                    other.shape()[y]
                )));
            }
        }
        let fa: Vec<usize> = (0..na).filter(|d| !ca.contains(d)).collect();
        let fb: Vec<usize> = (0..nb).filter(|d| !cb.contains(d)).collect();
        let csize: usize = ca.iter().map(|&d| self.shape()[d]).product();
        let pa: Vec<i64> = fa.iter().chain(&ca).map(|&d| d as i64).collect();
        let pb: Vec<i64> = cb.iter().chain(&fb).map(|&d| d as i64).collect();
        let ra: usize = fa.iter().map(|&d| self.shape()[d]).product();
        let rb: usize = fb.iter().map(|&d| other.shape()[d]).product();
        let a2 = self.permute(&pa)?.reshape(&[ra as i64, csize as i64])?;
        let b2 = other.permute(&pb)?.reshape(&[csize as i64, rb as i64])?;
        let shape: Vec<i64> = fa.iter().map(|&d| self.shape()[d] as i64).chain(fb.iter().map(|&d| other.shape()[d] as i64)).collect();
        a2.mm(&b2)?.reshape(&shape)
    }

    /// `kron`: the Kronecker product, `a[i] * b[j]` laid out at `i * b.shape + j` per dim.
    pub fn kron(&self, other: &Tensor) -> Result<Tensor> {
        let nd = self.ndim().max(other.ndim());
        let pad = |t: &Tensor| -> Vec<usize> {
            let mut s = vec![1; nd - t.ndim()];
            s.extend(t.shape());
            s
        };
        let (sa, sb) = (pad(self), pad(other));
        let ia: Vec<i64> = sa.iter().flat_map(|&x| [x as i64, 1]).collect();
        let ib: Vec<i64> = sb.iter().flat_map(|&x| [1, x as i64]).collect();
        let out: Vec<i64> = sa.iter().zip(&sb).map(|(&x, &y)| (x * y) as i64).collect();
        self.reshape(&ia)?.mul(&other.reshape(&ib)?)?.reshape(&out)
    }

    /// `linear(weight, bias)`: `self @ weight.T + bias`, PyTorch's way: 2-D input with a
    /// bias is one `addmm` (grad_fn `AddmmBackward0`); N-D input is flattened to 2-D first.
    pub fn linear(&self, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
        if weight.ndim() == 2 && self.ndim() >= 2 && self.shape()[self.ndim() - 1] != weight.shape()[1] {
            let rows: usize = self.shape()[..self.ndim() - 1].iter().product();
            return Err(Error::runtime(format!(
                "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}). The input's last dim ({}) must equal the weight's in_features ({}).",
                rows,
                self.shape()[self.ndim() - 1],
                dims(&[weight.shape()[1], weight.shape()[0]]),
                self.shape()[self.ndim() - 1],
                weight.shape()[1]
            )));
        }
        match bias {
            Some(b) if self.ndim() == 2 && weight.ndim() == 2 => b.addmm(self, &weight.t()?, Scalar::Int(1), Scalar::Int(1)),
            Some(b) if self.ndim() > 2 && weight.ndim() == 2 => {
                let k = self.shape()[self.ndim() - 1] as i64;
                let y = b.addmm(&self.reshape(&[-1, k])?, &weight.t()?, Scalar::Int(1), Scalar::Int(1))?;
                let mut shape: Vec<i64> = self.shape()[..self.ndim() - 1].iter().map(|&s| s as i64).collect();
                shape.push(weight.shape()[0] as i64);
                y.view(&shape)
            }
            Some(b) => self.matmul(&weight.t()?)?.add(b),
            None => self.matmul(&weight.t()?),
        }
    }
}
