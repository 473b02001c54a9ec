//! The backend interface: one method per kernel primitive, one implementation per backend.
//!
//! An op runs in four steps, each once and in this order, whatever the device:
//! 1. validate its arguments and compute the output geometry (in `ops::*`, shared by every
//!    backend — a backend never sees arguments the CPU would refuse);
//! 2. pick the backend from the inputs' device and layout (`dispatch::backend`, which also
//!    records the choice for `ember.inspect.trace()`);
//! 3. call the primitive on that backend (this trait);
//! 4. record autograd (in `ops::*` again), so a backward formula is written once and runs on
//!    the forward's device by construction.
//!
//! A backend implements what it has kernels for. Every method has one default: PyTorch's
//! "Could not run 'aten::<op>' with arguments from the '<Backend>' backend" error with the
//! why/fix sentence, so a missing kernel is an error a user can act on, never a wrong answer.
//!
//! `Cpu` runs the `ember-cpu` kernels, `Meta` returns data-free outputs of the validated
//! geometry, `Wgpu` runs the `ember-wgpu` kernels.
use crate::dispatch::{unsupported, Family};
use crate::ops::binary::BinaryOp;
use crate::ops::compare::{BitOp, CmpOp};
use crate::ops::optim::{Adagrad, Adam, RmsProp, Sgd};
use crate::ops::random::Dist;
use crate::ops::reduce::RedDims;
use crate::ops::unary::{op_name, Params, Pred, UOp};
use crate::promote::Arg;
use crate::random::Generator;
use crate::{DType, Layout, Result, Scalar, Tensor};
pub use ember_cpu::complex::ToReal;
pub use ember_cpu::conv::ConvGeom;
pub use ember_cpu::index::Reduce;
pub use ember_cpu::pool::{PoolGeom, Win};
pub use ember_cpu::reduce::{ArithOp, Logical};

pub(crate) mod cpu;
mod cpu_host;
mod cpu_loss;
mod cpu_optim;
mod cpu_optim_subnormal;
mod meta;
mod wgpu;

pub use cpu::Cpu;
pub use meta::Meta;
pub use wgpu::Wgpu;

/// Average-pooling windows along each axis (input ranges and divisor shares) and the divisor
/// override; shared by the forward and the backward of one call.
#[derive(Debug, Clone)]
pub struct AvgWindows {
    pub planes: usize,
    pub h: usize,
    pub w: usize,
    pub rows: Vec<Win>,
    pub cols: Vec<Win>,
    pub divisor: Option<f64>,
}

/// What `Backend::class_loss` returns, every tensor on the input's device in `x`'s dtype:
/// per-row `loss` (N,), per-row class weight `row_w` (N,) (w_t, 0 for ignored rows; the mean
/// divides by its sum) and the coefficients `coef` (N, C) with
/// loss_i = −Σ_j coef_ij·lp_ij, which make the backward one formula on every backend.
#[derive(Debug, Clone)]
pub struct ClassLoss {
    pub loss: Tensor,
    pub row_w: Tensor,
    pub coef: Tensor,
}

/// What `Backend::bce_with_logits` returns, all of `x`'s shape: the elementwise `loss` and
/// the backward's constants w·L (`kl`) and w·pw·y (`kc`), L = 1 + (pw − 1)·y.
#[derive(Debug, Clone)]
pub struct BceLoss {
    pub loss: Tensor,
    pub kl: Tensor,
    pub kc: Tensor,
}

/// Convolution geometry plus the four paddings (top, bottom, left, right) it was built from.
#[derive(Debug, Clone, Copy)]
pub struct Conv2d {
    pub g: ConvGeom,
    pub pad: [usize; 4],
}

pub trait Backend: Sync {
    fn family(&self) -> Family;

    /// Whether the elementwise kernels write their output in the memory order of their
    /// (permuted) input, so `Tensor::map_in_layout` can hand them a permuted view and keep the
    /// input's layout as PyTorch does. Kernels that write row-major (WGSL) keep the default.
    fn writes_in_input_order(&self) -> bool {
        false
    }

    // ------------------------------------------------------------ elementwise
    /// `op(x)` as a new row-major tensor of `dt` (the op's result dtype).
    fn unary(&self, op: UOp, _p: Params, _x: &Tensor, _dt: DType) -> Result<Tensor> {
        Err(unsupported(op_name(op), self.family()))
    }
    /// `x = op(x)`, through `x`'s strides (dtype already checked to be kept).
    fn unary_(&self, op: UOp, _p: Params, _x: &Tensor) -> Result<()> {
        Err(unsupported(op_name(op), self.family()))
    }
    /// isnan / isinf / … as a bool tensor.
    fn predicate(&self, _pred: Pred, _x: &Tensor) -> Result<Tensor> {
        Err(unsupported("isnan", self.family()))
    }
    /// `a op b` broadcast to `shape`, computed and returned in `dt`.
    fn binary(&self, op: BinaryOp, _a: &Arg, _b: &Arg, _dt: DType, _shape: &[usize]) -> Result<Tensor> {
        Err(unsupported(op.name(), self.family()))
    }
    /// `out = a op b` computed in `dt`, `out` already of that dtype and the broadcast shape,
    /// not overlapping an operand other than exactly (`ops::binary::binary_out` checks).
    fn binary_into(&self, op: BinaryOp, _a: &Arg, _b: &Arg, _dt: DType, _out: &Tensor) -> Result<()> {
        Err(unsupported(op.name(), self.family()))
    }
    /// `this = this op other` computed in `dt` and stored in `this`'s dtype.
    fn binary_(&self, op: BinaryOp, _this: &Tensor, _other: &Arg, _dt: DType) -> Result<()> {
        Err(unsupported(op.name(), self.family()))
    }

    /// `a cmp b` → bool, operands compared in `dt`, broadcast to `shape`.
    fn compare(&self, op: CmpOp, _a: &Arg, _b: &Arg, _dt: DType, _shape: &[usize]) -> Result<Tensor> {
        Err(unsupported(op.name(), self.family()))
    }
    /// `x == 0` → bool.
    fn logical_not(&self, _x: &Tensor) -> Result<Tensor> {
        Err(unsupported("logical_not", self.family()))
    }
    /// `x != 0` → bool.
    fn nonzero_mask(&self, _x: &Tensor) -> Result<Tensor> {
        Err(unsupported("ne", self.family()))
    }
    /// `a op b` on integers/bool in `dt`, broadcast to `shape`.
    fn bitwise(&self, op: BitOp, _a: &Arg, _b: &Arg, _dt: DType, _shape: &[usize]) -> Result<Tensor> {
        Err(unsupported(op.name(), self.family()))
    }
    /// `a op= b` (validated: `a`'s dtype and shape are the result's).
    fn bitwise_(&self, op: BitOp, _a: &Tensor, _b: &Arg) -> Result<()> {
        Err(unsupported(op.name(), self.family()))
    }
    /// `~x` on integers/bool.
    fn bitwise_not(&self, _x: &Tensor) -> Result<Tensor> {
        Err(unsupported("bitwise_not", self.family()))
    }

    // ------------------------------------------------------------ copies and fills
    /// A fresh row-major copy of `x` (same dtype).
    fn contiguous(&self, _x: &Tensor) -> Result<Tensor> {
        Err(unsupported("clone", self.family()))
    }
    /// Every element `x` addresses set to `v` (through its strides).
    fn fill_(&self, _x: &Tensor, _v: Scalar) -> Result<()> {
        Err(unsupported("fill_", self.family()))
    }

    /// Uninitialised storage of `dtype` on `device` under the dense layout `l` (offset 0, a
    /// permutation of row-major); a backend whose kernels write row-major returns row-major.
    fn empty(&self, _l: Layout, _dtype: DType, _device: crate::Device) -> Result<Tensor> {
        Err(unsupported("empty", self.family()))
    }
    /// A new row-major `shape` tensor of `dtype` on `device`, every element `v` (validated to
    /// fit `dtype`).
    fn full(&self, _shape: &[usize], _v: Scalar, _dtype: DType, _device: crate::Device) -> Result<Tensor> {
        Err(unsupported("full", self.family()))
    }
    /// `full` of zero; a backend with a cheaper zeroed allocation overrides it.
    fn zeros(&self, shape: &[usize], dtype: DType, device: crate::Device) -> Result<Tensor> {
        self.full(shape, Scalar::Int(0), dtype, device)
    }
    /// `x` converted to `dtype` (≠ `x`'s), in `x`'s memory order where the backend keeps
    /// layouts (PyTorch's `preserve_format`).
    fn cast(&self, _x: &Tensor, _dtype: DType) -> Result<Tensor> {
        Err(unsupported("_to_copy", self.family()))
    }
    /// `where(cond, x, y)`: `cond` a validated bool tensor, the values taken in `dt`,
    /// broadcast to `shape`.
    fn where_(&self, _cond: &Tensor, _x: &Arg, _y: &Arg, _dt: DType, _shape: &[usize]) -> Result<Tensor> {
        Err(unsupported("where", self.family()))
    }
    /// `cat` along `d` of the validated `parts` (legacy empty 1-D parts already left out) into
    /// a new row-major `shape` tensor of `dt` on `device`.
    fn cat(&self, _parts: &[&Tensor], _d: usize, _shape: &[usize], _dt: DType, _device: crate::Device) -> Result<Tensor> {
        Err(unsupported("cat", self.family()))
    }
    /// A row-major copy of `x`'s elements read through `l` (`x`'s layout with the flipped
    /// dims' strides negated).
    fn flip(&self, _x: &Tensor, _l: &Layout) -> Result<Tensor> {
        Err(unsupported("flip", self.family()))
    }
    /// Zeros, in every trailing (r, c) matrix of the row-major `x`, the elements outside the
    /// band of diagonal `k` (above it for `tril`, `lower`; below it for `triu`).
    fn band_zero_(&self, lower: bool, _x: &Tensor, _k: i64) -> Result<()> {
        Err(unsupported(if lower { "tril" } else { "triu" }, self.family()))
    }
    /// `dst += src` (`src` of `dst`'s shape) where `dst`'s elements may share memory: an
    /// element addressed n times accumulates n times (the backward of an expanding view).
    fn add_overlapping_(&self, _dst: &Tensor, _src: &Tensor) -> Result<()> {
        Err(unsupported("add_", self.family()))
    }
    /// `x` moved to `device` as a new tensor without history; the backend is the one on the
    /// non-host side of the move (`dispatch::transfer_backend`).
    fn to_device(&self, _x: &Tensor, _device: crate::Device) -> Result<Tensor> {
        Err(unsupported("_to_copy", self.family()))
    }

    // ------------------------------------------------------------ products
    /// `beta · input + alpha · a[b] @ b[b]` over the 3-d layouts `la` (B,M,K) and `lb`
    /// (B,K,N); `input` broadcasts to (B,M,N) and is not read when beta is 0.
    #[allow(clippy::too_many_arguments)]
    fn bmm(
        &self,
        _a: &Tensor,
        _la: &Layout,
        _b: &Tensor,
        _lb: &Layout,
        _input: Option<&Tensor>,
        _beta: Scalar,
        _alpha: Scalar,
    ) -> Result<Tensor> {
        Err(unsupported("bmm", self.family()))
    }

    // ------------------------------------------------------------ indexing
    /// The int64 `index` of a gather/scatter along dim `d` of size `size`, range-checked and
    /// wrapped on the host (PyTorch's IndexError otherwise); empty where the backend reads the
    /// index itself (meta has no values to check, as in PyTorch; wgpu kernels read it on the
    /// device, where the driver clamps out-of-range reads — checking would cost a host round
    /// trip per call).
    fn dim_indices(&self, _index: &Tensor, _size: usize, _d: usize) -> Result<Vec<usize>> {
        Ok(Vec::new())
    }
    /// `x.gather(d, index)`; `idx` holds the validated host indices (empty where the backend
    /// checks them on the device).
    fn gather(&self, _x: &Tensor, _d: usize, _idx: &[usize], _index: &Tensor) -> Result<Tensor> {
        Err(unsupported("gather", self.family()))
    }
    /// `dst.scatter_(d, index, src, reduce=op)` (no history); `idx` as for `gather`.
    fn scatter_(&self, _dst: &Tensor, _d: usize, _idx: &[usize], _index: &Tensor, _src: &Tensor, _op: Reduce) -> Result<()> {
        Err(unsupported("scatter", self.family()))
    }

    /// `src[idx]` for the advanced-index plan: `ls` is `src`'s layout with the indexed dims
    /// first, `idx` their (valid, broadcast) host indices; the result is (B…, rest…) of
    /// `out_shape`. `op` names the calling op in the error of a backend without the kernel.
    fn index_gather(&self, op: &'static str, _src: &Tensor, _ls: &Layout, _idx: &[Vec<usize>], _out_shape: &[usize]) -> Result<Tensor> {
        Err(unsupported(op, self.family()))
    }
    /// `dst[idx] = v` (or `+=` when `accumulate`), `ld` and `idx` as for `index_gather`; `v`
    /// is contiguous in the result order, of `dst`'s dtype, and does not alias `dst`.
    fn index_put_(&self, op: &'static str, _dst: &Tensor, _ld: &Layout, _idx: &[Vec<usize>], _v: &Tensor, _accumulate: bool) -> Result<()> {
        Err(unsupported(op, self.family()))
    }
    /// `src.index_select(d, index)` for a 1-D int64/int32 `index` (range-checked by the
    /// backend: the values are read where they live); the output has `out_shape`.
    fn index_select(&self, _src: &Tensor, _d: usize, _index: &Tensor, _out_shape: &[usize]) -> Result<Tensor> {
        Err(unsupported("index_select", self.family()))
    }
    /// `dst.index_add_/index_copy_(d, index, values)` (`accumulate` adds) or `index_fill_`
    /// (`values` a 0-dim tensor), `dst` at least 1-d; `op` names the caller in the error.
    fn index_put_dim_(
        &self,
        op: &'static str,
        _dst: &Tensor,
        _d: usize,
        _index: &Tensor,
        _values: &Tensor,
        _accumulate: bool,
    ) -> Result<()> {
        Err(unsupported(op, self.family()))
    }
    /// `embedding`: the rows of `weight` (num, dim) picked by the integer `indices`, of
    /// `out_shape` = indices.shape + [dim] (PyTorch's IndexError for a row out of range where
    /// the backend reads the indices).
    fn embedding(&self, _weight: &Tensor, _indices: &Tensor, _out_shape: &[usize]) -> Result<Tensor> {
        Err(unsupported("embedding", self.family()))
    }
    /// `embedding`'s weight gradient (num, dim) in `go`'s dtype: the rows of `go` summed per
    /// index, the `padding_idx` row left at zero.
    fn embedding_backward(&self, _go: &Tensor, _indices: &Tensor, _num: usize, _padding_idx: Option<i64>) -> Result<Tensor> {
        Err(unsupported("embedding_dense_backward", self.family()))
    }
    /// The elements of `src` where `mask` (bool, same shape) is true, in row-major order, and
    /// their row-major positions (for the backward). The output length depends on the values.
    fn masked_select(&self, _src: &Tensor, _mask: &Tensor) -> Result<(Tensor, Vec<i64>)> {
        Err(unsupported("masked_select", self.family()))
    }
    /// The coordinates (one column per dim) of the true elements of the bool `mask`, and
    /// their count. The count depends on the values.
    fn mask_coords(&self, op: &'static str, _mask: &Tensor) -> Result<(usize, Vec<Vec<usize>>)> {
        Err(unsupported(op, self.family()))
    }

    // ------------------------------------------------------------ random draws
    /// A new `shape` tensor of `dtype` on `device` filled with draws of `dist`, the generator
    /// consumed in row-major order (the same values on every backend for a seed).
    fn random(&self, _shape: &[usize], _dtype: DType, _device: crate::Device, _dist: Dist, _g: &mut Generator) -> Result<Tensor> {
        Err(unsupported("random_", self.family()))
    }
    /// 0/1 draws (in `dt`) with probabilities `p`, validated to lie in [0, 1] where the values
    /// are read.
    fn bernoulli(&self, _p: &Tensor, _dt: DType, _g: &mut Generator) -> Result<Tensor> {
        Err(unsupported("bernoulli", self.family()))
    }

    // ------------------------------------------------------------ host reads and complex parts
    /// `x`'s values as a host strided tensor: `x` itself on the CPU, a download from a device.
    /// The one way `item()`, `tolist()` and host-side index plans read values.
    fn to_host(&self, _x: &Tensor) -> Result<Tensor> {
        Err(unsupported("_local_scalar_dense", self.family()))
    }
    /// |z| or arg z of a complex tensor, as a new tensor of the real dtype.
    fn complex_to_real(&self, f: ToReal, _x: &Tensor) -> Result<Tensor> {
        Err(unsupported(if f == ToReal::Abs { "abs" } else { "angle" }, self.family()))
    }
    /// `complex(a, b)` or `polar(a, b)` of two float tensors of one shape, in complex `dt`.
    fn complex_from_parts(&self, polar: bool, _a: &Tensor, _b: &Tensor, _dt: DType) -> Result<Tensor> {
        Err(unsupported(if polar { "polar" } else { "complex" }, self.family()))
    }

    // ------------------------------------------------------------ reductions (no history)
    /// sum / prod / nansum over `rd`, returned in `out_dt`.
    fn reduce_arith(&self, op: ArithOp, _x: &Tensor, _rd: &RedDims, _out_dt: DType) -> Result<Tensor> {
        Err(unsupported(arith_name(op), self.family()))
    }
    /// mean over `rd` in the float dtype `dt`.
    fn reduce_mean(&self, _x: &Tensor, _rd: &RedDims, _dt: DType) -> Result<Tensor> {
        Err(unsupported("mean", self.family()))
    }
    /// amax (`want_max`) / amin over `rd` (NaN propagates).
    fn reduce_extreme(&self, want_max: bool, _x: &Tensor, _rd: &RedDims) -> Result<Tensor> {
        Err(unsupported(if want_max { "amax" } else { "amin" }, self.family()))
    }
    /// Index (int64, first occurrence) of the max/min along `dim` (all elements, row-major, when
    /// None), with the values too when `want_values`.
    fn arg_extreme(
        &self,
        want_max: bool,
        _x: &Tensor,
        _dim: Option<usize>,
        _rd: &RedDims,
        _want_values: bool,
    ) -> Result<(Option<Tensor>, Tensor)> {
        Err(unsupported(if want_max { "argmax" } else { "argmin" }, self.family()))
    }
    /// (var or std, mean) over `rd` with Bessel's `correction`.
    fn var_mean(&self, std: bool, _correction: f64, _x: &Tensor, _rd: &RedDims) -> Result<(Tensor, Tensor)> {
        Err(unsupported(if std { "std_mean" } else { "var_mean" }, self.family()))
    }
    /// softmax (or log_softmax) along `dim`, in `x`'s dtype (float32/float64).
    fn softmax(&self, log: bool, _x: &Tensor, _dim: usize) -> Result<Tensor> {
        Err(unsupported(if log { "_log_softmax" } else { "_softmax" }, self.family()))
    }
    /// For prod's backward with zeros: each element's product of the other elements of its
    /// reduced row (exclusive prefix × suffix products), in `x`'s dtype and shape.
    fn prod_others(&self, _x: &Tensor, _rd: &RedDims) -> Result<Tensor> {
        Err(unsupported("prod_backward", self.family()))
    }
    /// The vector p-norm over `rd`.
    fn reduce_norm(&self, _p: f64, _x: &Tensor, _rd: &RedDims) -> Result<Tensor> {
        Err(unsupported("linalg_vector_norm", self.family()))
    }
    /// all / any / count_nonzero over `rd`, returned in `dt`.
    fn reduce_logical(&self, _op: Logical, _x: &Tensor, _rd: &RedDims, _dt: DType) -> Result<Tensor> {
        Err(unsupported("all", self.family()))
    }

    // ------------------------------------------------------------ fused optimizer steps (in place, no history)
    /// SGD over a param group; returns the momentum buffers (new ones where `bufs[i]` is None).
    fn sgd_step(&self, _params: &[Tensor], _grads: &[Tensor], _bufs: &[Option<Tensor>], _h: &Sgd) -> Result<Vec<Option<Tensor>>> {
        Err(unsupported("_fused_sgd_", self.family()))
    }
    /// Adam / AdamW over a param group; `steps` (0-dim counters) are incremented.
    #[allow(clippy::too_many_arguments)]
    fn adam_step(
        &self,
        _params: &[Tensor],
        _grads: &[Tensor],
        _exp_avgs: &[Tensor],
        _exp_avg_sqs: &[Tensor],
        _max_exp_avg_sqs: &[Tensor],
        _steps: &[Tensor],
        h: &Adam,
    ) -> Result<()> {
        Err(unsupported(if h.decoupled { "_fused_adamw_" } else { "_fused_adam_" }, self.family()))
    }
    /// RMSprop over a param group; `steps` are incremented.
    #[allow(clippy::too_many_arguments)]
    fn rmsprop_step(
        &self,
        _params: &[Tensor],
        _grads: &[Tensor],
        _square_avgs: &[Tensor],
        _grad_avgs: &[Tensor],
        _momentum_bufs: &[Tensor],
        _steps: &[Tensor],
        _h: &RmsProp,
    ) -> Result<()> {
        Err(unsupported("_fused_rmsprop_", self.family()))
    }
    /// Adagrad over a param group; `steps` are incremented.
    fn adagrad_step(&self, _params: &[Tensor], _grads: &[Tensor], _sums: &[Tensor], _steps: &[Tensor], _h: &Adagrad) -> Result<()> {
        Err(unsupported("_fused_adagrad_", self.family()))
    }

    // ------------------------------------------------------------ fused losses (no history)
    /// The rows of `nll_loss` on scores `x` (N, C) — of `log_softmax(x)` when `log_softmax`
    /// (cross entropy, with label smoothing `eps`) — against class indices `target` (N,), range
    /// checked where the backend reads them (PyTorch's IndexError). See [`ClassLoss`].
    #[allow(clippy::too_many_arguments)]
    fn class_loss(
        &self,
        log_softmax: bool,
        _x: &Tensor,
        _target: &Tensor,
        _weight: Option<&Tensor>,
        _ignore: i64,
        _eps: f64,
    ) -> Result<ClassLoss> {
        Err(unsupported(if log_softmax { "cross_entropy_loss" } else { "nll_loss" }, self.family()))
    }
    /// Elementwise `binary_cross_entropy_with_logits` of `x` against `y`, with the optional
    /// weight and pos_weight (all of `x`'s shape and dtype). See [`BceLoss`].
    fn bce_with_logits(&self, _x: &Tensor, _y: &Tensor, _w: Option<&Tensor>, _pw: Option<&Tensor>) -> Result<BceLoss> {
        Err(unsupported("binary_cross_entropy_with_logits", self.family()))
    }

    // ------------------------------------------------------------ layouts and devices
    /// `dst = src` (same shape, converted to `dst`'s dtype, `src` not overlapping `dst`); the
    /// backend is the one holding the non-host side, so a copy may cross devices.
    fn copy_(&self, _dst: &Tensor, _src: &Tensor) -> Result<()> {
        Err(unsupported("copy_", self.family()))
    }
    /// The COO parts (indices (sparse_dim, nnz) int64, values (nnz, dense dims…)) of the
    /// non-zero entries of the strided `x`, row-major (coalesced).
    fn to_sparse(&self, _x: &Tensor, _sparse_dim: usize) -> Result<(Tensor, Tensor)> {
        Err(unsupported("to_sparse", self.family()))
    }

    // ------------------------------------------------------------ convolution and pooling
    /// `conv2d(x, w) + b` of the validated geometry `c`.
    fn conv2d(&self, _x: &Tensor, _w: &Tensor, _b: Option<&Tensor>, _c: &Conv2d) -> Result<Tensor> {
        Err(unsupported("convolution", self.family()))
    }
    /// The input gradient of conv2d for output gradient `go`: the transposed convolution.
    fn conv2d_input_grad(&self, _go: &Tensor, _w: &Tensor, _c: &Conv2d) -> Result<Tensor> {
        Err(unsupported("convolution_backward", self.family()))
    }
    /// The weight gradient of conv2d for input `x` and output gradient `go`.
    fn conv2d_weight_grad(&self, _x: &Tensor, _go: &Tensor, _c: &Conv2d) -> Result<Tensor> {
        Err(unsupported("convolution_backward", self.family()))
    }
    /// Max pooling over the last two dims: (values, flat `iy·W + ix` indices per plane),
    /// both of `out_shape`.
    fn max_pool2d(&self, _x: &Tensor, _g: &PoolGeom, _out_shape: &[usize]) -> Result<(Tensor, Tensor)> {
        Err(unsupported("max_pool2d_with_indices", self.family()))
    }
    /// Scatters `go` into a zero tensor of `x_shape` at `idx` (sums where windows overlap).
    fn max_pool2d_backward(&self, _go: &Tensor, _idx: &Tensor, _g: &PoolGeom, _x_shape: &[usize]) -> Result<Tensor> {
        Err(unsupported("max_pool2d_with_indices_backward", self.family()))
    }
    /// Average pooling over the windows `win`, output of `out_shape`.
    fn avg_pool2d(&self, _x: &Tensor, _win: &AvgWindows, _out_shape: &[usize]) -> Result<Tensor> {
        Err(unsupported("avg_pool2d", self.family()))
    }
    /// The transpose of `avg_pool2d`: each output gradient spread over its window.
    fn avg_pool2d_backward(&self, _go: &Tensor, _win: &AvgWindows, _x_shape: &[usize]) -> Result<Tensor> {
        Err(unsupported("avg_pool2d_backward", self.family()))
    }
}

pub(crate) fn arith_name(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Sum => "sum",
        ArithOp::NanSum => "nansum",
        _ => "prod",
    }
}

/// Sparse COO tensors: no strided kernel may see one; every primitive raises the SparseCPU
/// error (ops with a sparse rule call `crate::sparse` before reaching a backend).
pub struct SparseCoo;
impl Backend for SparseCoo {
    fn family(&self) -> Family {
        Family::CpuSparse
    }
    // the one sparse rule reached through this trait: values converted, indices kept
    fn cast(&self, x: &Tensor, dtype: DType) -> Result<Tensor> {
        let c = x.coo_or_err("to")?;
        Ok(Tensor::sparse_from_parts(c.indices.clone(), c.values.to_dtype(dtype)?, x.shape(), c.is_coalesced()))
    }
}

/// The backend that runs kernels for `family`.
#[inline]
pub fn of(family: Family) -> &'static dyn Backend {
    match family {
        Family::CpuStrided => &Cpu,
        Family::Meta => &Meta,
        Family::Wgpu => &Wgpu,
        Family::CpuSparse => &SparseCoo,
    }
}
