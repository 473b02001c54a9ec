//! The meta backend: outputs with the validated geometry and dtype, no data. Validation ran
//! before the call, exactly as for the CPU, so meta raises what the CPU raises.
use super::{ArithOp, AvgWindows, Backend, BceLoss, ClassLoss, Conv2d, Logical, PoolGeom, Reduce, ToReal};
use crate::dispatch::Family;
use crate::ops::binary::BinaryOp;
use crate::ops::compare::{BitOp, CmpOp};
use crate::ops::meta::empty;
use crate::ops::random::Dist;
use crate::ops::reduce::RedDims;
use crate::ops::unary::{Params, Pred, UOp};
use crate::promote::Arg;
use crate::random::Generator;
use crate::{DType, Device, Layout, Result, Scalar, Tensor};

pub struct Meta;

/// The output of a one-input elementwise op on `x`, laid out as the CPU lays it out.
fn like(x: &Tensor, dt: DType) -> Result<Tensor> {
    Tensor::empty_elementwise(x.shape(), dt, Device::Meta, &[&Arg::T(x.clone())])
}

impl Backend for Meta {
    fn family(&self) -> Family {
        Family::Meta
    }
    fn writes_in_input_order(&self) -> bool {
        true
    }
    fn index_select(&self, src: &Tensor, _d: usize, _index: &Tensor, out_shape: &[usize]) -> Result<Tensor> {
        empty(out_shape, src.dtype())
    }
    fn index_put_dim_(
        &self,
        _op: &'static str,
        _dst: &Tensor,
        _d: usize,
        _index: &Tensor,
        _values: &Tensor,
        _accumulate: bool,
    ) -> Result<()> {
        Ok(())
    }
    fn class_loss(
        &self,
        _log_softmax: bool,
        x: &Tensor,
        _target: &Tensor,
        _weight: Option<&Tensor>,
        _ignore: i64,
        _eps: f64,
    ) -> Result<ClassLoss> {
        // target range checks need the values: skipped, as PyTorch's meta kernels do
        let (n, dt) = (x.shape()[0], x.dtype());
        Ok(ClassLoss { loss: empty(&[n], dt)?, row_w: empty(&[n], dt)?, coef: empty(x.shape(), dt)? })
    }
    fn bce_with_logits(&self, x: &Tensor, _y: &Tensor, _w: Option<&Tensor>, _pw: Option<&Tensor>) -> Result<BceLoss> {
        let e = || empty(x.shape(), x.dtype());
        Ok(BceLoss { loss: e()?, kl: e()?, kc: e()? })
    }
    fn copy_(&self, dst: &Tensor, _src: &Tensor) -> Result<()> {
        if dst.device() == crate::Device::Meta {
            return Ok(());
        }
        Err(crate::ops::copy::no_data())
    }
    fn empty(&self, l: Layout, dtype: DType, _device: Device) -> Result<Tensor> {
        let n = crate::creation::nbytes(&l.sizes, dtype)?;
        Ok(Tensor::from_parts(ember_core::Storage::meta(n), l, dtype))
    }
    fn full(&self, shape: &[usize], _v: Scalar, dtype: DType, _device: Device) -> Result<Tensor> {
        empty(shape, dtype)
    }
    fn cast(&self, x: &Tensor, dtype: DType) -> Result<Tensor> {
        self.empty(ember_core::layout::preserve_format(x.layout()), dtype, Device::Meta)
    }
    fn where_(&self, cond: &Tensor, x: &Arg, y: &Arg, dt: DType, shape: &[usize]) -> Result<Tensor> {
        Tensor::empty_elementwise(shape, dt, Device::Meta, &[&Arg::T(cond.clone()), x, y])
    }
    fn cat(&self, _parts: &[&Tensor], _d: usize, shape: &[usize], dt: DType, _device: Device) -> Result<Tensor> {
        empty(shape, dt)
    }
    fn flip(&self, x: &Tensor, _l: &Layout) -> Result<Tensor> {
        empty(x.shape(), x.dtype())
    }
    fn band_zero_(&self, _lower: bool, _x: &Tensor, _k: i64) -> Result<()> {
        Ok(())
    }
    fn add_overlapping_(&self, _dst: &Tensor, _src: &Tensor) -> Result<()> {
        Ok(())
    }
    fn to_device(&self, x: &Tensor, _device: Device) -> Result<Tensor> {
        if x.device() == Device::Meta {
            return Err(crate::ops::copy::no_data()); // nothing to move out of meta
        }
        crate::ops::meta::empty_preserving(x.layout(), x.dtype())
    }
    fn embedding(&self, weight: &Tensor, _indices: &Tensor, out_shape: &[usize]) -> Result<Tensor> {
        empty(out_shape, weight.dtype()) // range checks need the values: skipped, as PyTorch's meta kernel does
    }
    fn embedding_backward(&self, go: &Tensor, _indices: &Tensor, num: usize, _padding_idx: Option<i64>) -> Result<Tensor> {
        empty(&[num, go.shape().last().copied().unwrap_or(0)], go.dtype())
    }
    fn random(&self, shape: &[usize], dtype: DType, _device: crate::Device, _dist: Dist, _g: &mut Generator) -> Result<Tensor> {
        empty(shape, dtype) // no values, so no draws: the generator's state is unchanged
    }
    fn bernoulli(&self, p: &Tensor, dt: DType, _g: &mut Generator) -> Result<Tensor> {
        empty(p.shape(), dt)
    }
    fn to_host(&self, _x: &Tensor) -> Result<Tensor> {
        Err(crate::ops::copy::no_data())
    }
    fn complex_to_real(&self, _f: ToReal, x: &Tensor) -> Result<Tensor> {
        empty(x.shape(), x.dtype().to_real())
    }
    fn complex_from_parts(&self, _polar: bool, a: &Tensor, _b: &Tensor, dt: DType) -> Result<Tensor> {
        empty(a.shape(), dt)
    }
    fn unary(&self, _op: UOp, _p: Params, x: &Tensor, dt: DType) -> Result<Tensor> {
        like(x, dt)
    }
    fn unary_(&self, _op: UOp, _p: Params, _x: &Tensor) -> Result<()> {
        Ok(())
    }
    fn predicate(&self, _pred: Pred, x: &Tensor) -> Result<Tensor> {
        like(x, DType::Bool)
    }
    fn binary(&self, _op: BinaryOp, a: &Arg, b: &Arg, dt: DType, shape: &[usize]) -> Result<Tensor> {
        Tensor::empty_elementwise(shape, dt, Device::Meta, &[a, b])
    }
    fn binary_into(&self, _op: BinaryOp, _a: &Arg, _b: &Arg, _dt: DType, _out: &Tensor) -> Result<()> {
        Ok(())
    }
    fn binary_(&self, _op: BinaryOp, _this: &Tensor, _other: &Arg, _dt: DType) -> Result<()> {
        Ok(())
    }
    fn compare(&self, _op: CmpOp, a: &Arg, b: &Arg, _dt: DType, shape: &[usize]) -> Result<Tensor> {
        Tensor::empty_elementwise(shape, DType::Bool, Device::Meta, &[a, b])
    }
    fn logical_not(&self, x: &Tensor) -> Result<Tensor> {
        like(x, DType::Bool)
    }
    fn nonzero_mask(&self, x: &Tensor) -> Result<Tensor> {
        like(x, DType::Bool)
    }
    fn bitwise(&self, _op: BitOp, a: &Arg, b: &Arg, dt: DType, shape: &[usize]) -> Result<Tensor> {
        Tensor::empty_elementwise(shape, dt, Device::Meta, &[a, b])
    }
    fn bitwise_(&self, _op: BitOp, _a: &Tensor, _b: &Arg) -> Result<()> {
        Ok(())
    }
    fn bitwise_not(&self, x: &Tensor) -> Result<Tensor> {
        like(x, x.dtype())
    }
    fn contiguous(&self, x: &Tensor) -> Result<Tensor> {
        empty(x.shape(), x.dtype())
    }
    fn fill_(&self, _x: &Tensor, _v: Scalar) -> Result<()> {
        Ok(())
    }
    fn bmm(
        &self,
        a: &Tensor,
        la: &Layout,
        _b: &Tensor,
        lb: &Layout,
        _input: Option<&Tensor>,
        _beta: Scalar,
        _alpha: Scalar,
    ) -> Result<Tensor> {
        empty(&[la.sizes[0], la.sizes[1], lb.sizes[2]], a.dtype())
    }
    fn var_mean(&self, _std: bool, _correction: f64, x: &Tensor, rd: &RedDims) -> Result<(Tensor, Tensor)> {
        Ok((empty(&rd.out, x.dtype())?, empty(&rd.out, x.dtype())?))
    }
    fn softmax(&self, _log: bool, x: &Tensor, _dim: usize) -> Result<Tensor> {
        empty(x.shape(), x.dtype())
    }
    fn gather(&self, x: &Tensor, _d: usize, _idx: &[usize], index: &Tensor) -> Result<Tensor> {
        empty(index.shape(), x.dtype())
    }
    fn scatter_(&self, _dst: &Tensor, _d: usize, _idx: &[usize], _index: &Tensor, _src: &Tensor, _op: Reduce) -> Result<()> {
        Ok(())
    }
    fn reduce_arith(&self, _op: ArithOp, _x: &Tensor, rd: &RedDims, out_dt: DType) -> Result<Tensor> {
        empty(&rd.out, out_dt)
    }
    fn reduce_mean(&self, _x: &Tensor, rd: &RedDims, dt: DType) -> Result<Tensor> {
        empty(&rd.out, dt)
    }
    fn reduce_extreme(&self, _want_max: bool, x: &Tensor, rd: &RedDims) -> Result<Tensor> {
        empty(&rd.out, x.dtype())
    }
    fn arg_extreme(
        &self,
        _want_max: bool,
        x: &Tensor,
        _dim: Option<usize>,
        rd: &RedDims,
        want_values: bool,
    ) -> Result<(Option<Tensor>, Tensor)> {
        Ok((want_values.then(|| empty(&rd.out, x.dtype())).transpose()?, empty(&rd.out, DType::I64)?))
    }
    fn reduce_norm(&self, _p: f64, x: &Tensor, rd: &RedDims) -> Result<Tensor> {
        empty(&rd.out, x.dtype())
    }
    fn reduce_logical(&self, _op: Logical, _x: &Tensor, rd: &RedDims, dt: DType) -> Result<Tensor> {
        empty(&rd.out, dt)
    }
    fn conv2d(&self, x: &Tensor, _w: &Tensor, _b: Option<&Tensor>, c: &Conv2d) -> Result<Tensor> {
        empty(&[c.g.n, c.g.c_out, c.g.oh, c.g.ow], x.dtype())
    }
    fn conv2d_input_grad(&self, go: &Tensor, _w: &Tensor, c: &Conv2d) -> Result<Tensor> {
        empty(&[c.g.n, c.g.c_in, c.g.h, c.g.w], go.dtype())
    }
    fn conv2d_weight_grad(&self, _x: &Tensor, go: &Tensor, c: &Conv2d) -> Result<Tensor> {
        empty(&[c.g.c_out, c.g.c_in / c.g.groups, c.g.kh, c.g.kw], go.dtype())
    }
    fn max_pool2d(&self, x: &Tensor, _g: &PoolGeom, out_shape: &[usize]) -> Result<(Tensor, Tensor)> {
        Ok((empty(out_shape, x.dtype())?, empty(out_shape, DType::I64)?))
    }
    fn max_pool2d_backward(&self, go: &Tensor, _idx: &Tensor, _g: &PoolGeom, x_shape: &[usize]) -> Result<Tensor> {
        empty(x_shape, go.dtype())
    }
    fn avg_pool2d(&self, x: &Tensor, _win: &AvgWindows, out_shape: &[usize]) -> Result<Tensor> {
        empty(out_shape, x.dtype())
    }
    fn avg_pool2d_backward(&self, go: &Tensor, _win: &AvgWindows, x_shape: &[usize]) -> Result<Tensor> {
        empty(x_shape, go.dtype())
    }
}
