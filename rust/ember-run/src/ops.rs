//! The op table of an exported program: one arm per ATen-style target, each calling the same
//! ember function the Python eager run calls (so results are bit-identical). Argument order
//! is the one `python/ember/export/_ops.py` records.
use crate::{err, Result};
use ember::ops::binary::{binary, BinaryOp};
use ember::ops::nn;
use ember::ops::unary::{unary, Params, UOp};
use ember::promote::Arg;
use ember::{Scalar, Tensor};
use serde_json::Value;
use std::collections::HashMap;

const TARGETS: &[&str] = &[
    "aten.linear.default",
    "aten.conv2d.default",
    "aten.max_pool2d_with_indices.default",
    "aten.avg_pool2d.default",
    "aten.adaptive_avg_pool2d.default",
    "aten.batch_norm.default",
    "aten.layer_norm.default",
    "aten.embedding.default",
    "aten.relu.default",
    "aten.sigmoid.default",
    "aten.tanh.default",
    "aten.exp.default",
    "aten.log.default",
    "aten.sqrt.default",
    "aten.neg.default",
    "aten.abs.default",
    "aten.silu.default",
    "aten.mish.default",
    "aten.gelu.default",
    "aten.leaky_relu.default",
    "aten.hardtanh.default",
    "aten.elu.default",
    "aten.softplus.default",
    "aten.add.Tensor",
    "aten.sub.Tensor",
    "aten.mul.Tensor",
    "aten.div.Tensor",
    "aten.view.default",
    "aten.reshape.default",
    "aten.flatten.using_ints",
    "aten.unsqueeze.default",
    "aten.squeeze.dims",
    "aten.permute.default",
    "aten.transpose.int",
    "aten.t.default",
    "aten.contiguous.default",
    "aten.softmax.int",
    "aten.log_softmax.int",
    "aten.matmul.default",
    "aten.mean.dim",
    "aten.sum.dim_IntList",
    "aten.cat.default",
];

pub fn supported(target: &str) -> bool {
    TARGETS.contains(&target)
}

struct Args<'a> {
    a: &'a [Value],
    env: &'a HashMap<String, Tensor>,
    syms: &'a HashMap<String, i64>,
}

impl Args<'_> {
    fn get(&self, i: usize) -> &Value {
        self.a.get(i).unwrap_or(&Value::Null)
    }
    fn value_tensor(&self, v: &Value) -> Result<Tensor> {
        match v.get("ref").and_then(Value::as_str) {
            Some(name) => self.env.get(name).cloned().map_or_else(|| err(format!("value {name} is used before it is computed")), Ok),
            None => err(format!("expected a tensor argument, got {v}")),
        }
    }
    fn t(&self, i: usize) -> Result<Tensor> {
        self.value_tensor(self.get(i))
    }
    fn opt_t(&self, i: usize) -> Result<Option<Tensor>> {
        if self.get(i).is_null() {
            return Ok(None);
        }
        self.t(i).map(Some)
    }
    fn int_of(&self, v: &Value) -> Result<i64> {
        if let Some(n) = v.as_i64() {
            return Ok(n);
        }
        if let Some(b) = v.as_bool() {
            return Ok(b as i64);
        }
        match v.get("sym").and_then(Value::as_str) {
            Some(s) => self.syms.get(s).copied().map_or_else(|| err(format!("dynamic dim {s} is not bound by any input")), Ok),
            None => err(format!("expected an int, got {v}")),
        }
    }
    fn int(&self, i: usize) -> Result<i64> {
        self.int_of(self.get(i))
    }
    fn ints(&self, i: usize) -> Result<Vec<i64>> {
        match self.get(i) {
            Value::Array(a) => a.iter().map(|v| self.int_of(v)).collect(),
            v => Ok(vec![self.int_of(v)?]),
        }
    }
    fn pair(&self, i: usize) -> Result<(usize, usize)> {
        let v = self.ints(i)?;
        if v.len() != 2 || v.iter().any(|&x| x < 0) {
            return err(format!("expected two non-negative ints, got {v:?}"));
        }
        Ok((v[0] as usize, v[1] as usize))
    }
    fn float(&self, i: usize) -> Result<f64> {
        let v = self.get(i);
        if let Some(f) = v.as_f64() {
            return Ok(f);
        }
        match v.get("float").and_then(Value::as_str) {
            Some("inf") => Ok(f64::INFINITY),
            Some("-inf") => Ok(f64::NEG_INFINITY),
            Some("nan") => Ok(f64::NAN),
            _ => err(format!("expected a float, got {v}")),
        }
    }
    fn boolean(&self, i: usize) -> Result<bool> {
        self.get(i).as_bool().map_or_else(|| err(format!("expected a bool, got {}", self.get(i))), Ok)
    }
    /// A tensor, or a Python scalar with its kind kept (int and float promote differently).
    fn operand(&self, i: usize) -> Result<Arg> {
        let v = self.get(i);
        Ok(match v {
            Value::Bool(b) => Arg::S(Scalar::Bool(*b)),
            Value::Number(n) if n.is_i64() => Arg::S(Scalar::Int(n.as_i64().unwrap())),
            Value::Number(_) => Arg::S(Scalar::Float(self.float(i)?)),
            Value::Object(o) if o.contains_key("float") => Arg::S(Scalar::Float(self.float(i)?)),
            Value::Object(o) if o.contains_key("sym") => Arg::S(Scalar::Int(self.int(i)?)),
            _ => Arg::T(self.t(i)?),
        })
    }
}

fn un(x: &Tensor, op: UOp, a: f64, b: f64, c: f64) -> Result<Tensor> {
    Ok(unary(x, op, Params { a, b, c })?)
}

fn bin(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    Ok(binary(op, &Arg::T(a.clone()), &Arg::T(b.clone()))?)
}

/// `x + s` with a Python float, as `tensor + 1e-5` does.
fn add_float(x: &Tensor, s: f64) -> Result<Tensor> {
    Ok(binary(BinaryOp::Add, &Arg::T(x.clone()), &Arg::S(Scalar::Float(s)))?)
}

/// Scale and shift after normalisation, as `nn.functional` writes it.
fn affine(mut y: Tensor, w: Option<Tensor>, b: Option<Tensor>, shape: Option<&[i64]>) -> Result<Tensor> {
    if let Some(w) = w {
        y = bin(BinaryOp::Mul, &y, &if let Some(s) = shape { w.reshape(s)? } else { w })?;
    }
    if let Some(b) = b {
        y = bin(BinaryOp::Add, &y, &if let Some(s) = shape { b.reshape(s)? } else { b })?;
    }
    Ok(y)
}

/// Eval-mode batch norm: `(x - mean) / sqrt(var + eps) * weight + bias` per channel.
fn batch_norm(a: &Args) -> Result<Vec<Tensor>> {
    let x = a.t(0)?;
    if a.boolean(5)? {
        return err("batch_norm in training mode can't run in an exported program");
    }
    if x.ndim() < 2 {
        return err(format!("expected 2D or 3D input (got {}D input)", x.ndim()));
    }
    let mut shape = vec![1i64, x.shape()[1] as i64];
    shape.resize(x.ndim(), 1);
    let (rm, rv) = (a.t(3)?.reshape(&shape)?, a.t(4)?.reshape(&shape)?);
    let y = bin(BinaryOp::Div, &bin(BinaryOp::Sub, &x, &rm)?, &add_float(&rv, a.float(7)?)?.sqrt()?)?;
    Ok(vec![affine(y, a.opt_t(1)?, a.opt_t(2)?, Some(&shape))?])
}

fn layer_norm(a: &Args) -> Result<Vec<Tensor>> {
    let x = a.t(0)?;
    let k = a.ints(1)?.len();
    let dims: Vec<i64> = (x.ndim() - k..x.ndim()).map(|d| d as i64).collect();
    let mean = x.mean_dims(&dims, true, None)?;
    let d = bin(BinaryOp::Sub, &x, &mean)?;
    let var = bin(BinaryOp::Mul, &d, &d)?.mean_dims(&dims, true, None)?;
    let y = bin(BinaryOp::Div, &d, &add_float(&var, a.float(4)?)?.sqrt()?)?;
    Ok(vec![affine(y, a.opt_t(2)?, a.opt_t(3)?, None)?])
}

pub(crate) fn run(target: &str, args: &[Value], env: &HashMap<String, Tensor>, syms: &HashMap<String, i64>) -> Result<Vec<Tensor>> {
    let a = Args { a: args, env, syms };
    let one = |t: Tensor| Ok(vec![t]);
    let unary_op = |op: UOp| -> Result<Vec<Tensor>> { one(un(&a.t(0)?, op, 0.0, 0.0, 0.0)?) };
    let binary_op = |op: BinaryOp| -> Result<Vec<Tensor>> { one(binary(op, &a.operand(0)?, &a.operand(1)?)?) };
    match target {
        "aten.linear.default" => one(a.t(0)?.linear(&a.t(1)?, a.opt_t(2)?.as_ref())?),
        "aten.conv2d.default" => {
            let p = a.ints(4)?;
            if p.len() != 4 || p.iter().any(|&v| v < 0) {
                return err(format!("conv2d padding must be 4 non-negative ints, got {p:?}"));
            }
            let pad = [p[0] as usize, p[1] as usize, p[2] as usize, p[3] as usize];
            one(nn::conv2d(&a.t(0)?, &a.t(1)?, a.opt_t(2)?.as_ref(), a.pair(3)?, pad, a.pair(5)?, a.int(6)? as usize)?)
        }
        "aten.max_pool2d_with_indices.default" => {
            let (o, i) = nn::max_pool2d(&a.t(0)?, a.pair(1)?, a.pair(2)?, a.pair(3)?, a.pair(4)?, a.boolean(5)?)?;
            Ok(vec![o, i])
        }
        "aten.avg_pool2d.default" => {
            let div = if a.get(6).is_null() { None } else { Some(a.float(6)?) };
            one(nn::avg_pool2d(&a.t(0)?, a.pair(1)?, a.pair(2)?, a.pair(3)?, a.boolean(4)?, a.boolean(5)?, div)?)
        }
        "aten.adaptive_avg_pool2d.default" => one(nn::adaptive_avg_pool2d(&a.t(0)?, a.pair(1)?)?),
        "aten.batch_norm.default" => batch_norm(&a),
        "aten.layer_norm.default" => layer_norm(&a),
        "aten.embedding.default" => {
            let pad = if a.get(2).is_null() { None } else { Some(a.int(2)?) };
            one(nn::embedding(&a.t(0)?, &a.t(1)?, pad)?)
        }
        "aten.relu.default" => unary_op(UOp::Relu),
        "aten.sigmoid.default" => unary_op(UOp::Sigmoid),
        "aten.tanh.default" => unary_op(UOp::Tanh),
        "aten.exp.default" => unary_op(UOp::Exp),
        "aten.log.default" => unary_op(UOp::Log),
        "aten.sqrt.default" => unary_op(UOp::Sqrt),
        "aten.neg.default" => unary_op(UOp::Neg),
        "aten.abs.default" => unary_op(UOp::Abs),
        "aten.silu.default" => unary_op(UOp::Silu),
        "aten.mish.default" => unary_op(UOp::Mish),
        "aten.gelu.default" => {
            let op = if a.get(1).as_str() == Some("tanh") { UOp::GeluTanh } else { UOp::Gelu };
            unary_op(op)
        }
        "aten.leaky_relu.default" => one(un(&a.t(0)?, UOp::LeakyRelu, a.float(1)?, 0.0, 0.0)?),
        "aten.hardtanh.default" => one(un(&a.t(0)?, UOp::Hardtanh, a.float(1)?, a.float(2)?, 0.0)?),
        "aten.elu.default" => one(un(&a.t(0)?, UOp::Elu, a.float(1)?, a.float(2)?, a.float(3)?)?),
        "aten.softplus.default" => one(un(&a.t(0)?, UOp::Softplus, a.float(1)?, a.float(2)?, 0.0)?),
        "aten.add.Tensor" => binary_op(BinaryOp::Add),
        "aten.sub.Tensor" => binary_op(BinaryOp::Sub),
        "aten.mul.Tensor" => binary_op(BinaryOp::Mul),
        "aten.div.Tensor" => binary_op(BinaryOp::Div),
        "aten.view.default" => one(a.t(0)?.view(&a.ints(1)?)?),
        "aten.reshape.default" => one(a.t(0)?.reshape(&a.ints(1)?)?),
        "aten.flatten.using_ints" => one(a.t(0)?.flatten(a.int(1)?, a.int(2)?)?),
        "aten.unsqueeze.default" => one(a.t(0)?.unsqueeze(a.int(1)?)?),
        "aten.squeeze.dims" => {
            let dims = if a.get(1).is_null() { None } else { Some(a.ints(1)?) };
            one(a.t(0)?.squeeze(dims.as_deref())?)
        }
        "aten.permute.default" => one(a.t(0)?.permute(&a.ints(1)?)?),
        "aten.transpose.int" => one(a.t(0)?.transpose(a.int(1)?, a.int(2)?)?),
        "aten.t.default" => one(a.t(0)?.t()?),
        "aten.contiguous.default" => one(a.t(0)?.contiguous()?),
        "aten.softmax.int" => one(a.t(0)?.softmax_dim(a.int(1)?, false, None)?),
        "aten.log_softmax.int" => one(a.t(0)?.softmax_dim(a.int(1)?, true, None)?),
        "aten.matmul.default" => one(a.t(0)?.matmul(&a.t(1)?)?),
        "aten.mean.dim" => one(a.t(0)?.mean_dims(&a.ints(1)?, a.boolean(2)?, None)?),
        "aten.sum.dim_IntList" => one(a.t(0)?.sum_dims(&a.ints(1)?, a.boolean(2)?, None)?),
        "aten.cat.default" => {
            let ts = match a.get(0) {
                Value::Array(vs) => vs.iter().map(|v| a.value_tensor(v)).collect::<Result<Vec<_>>>()?,
                v => return err(format!("cat expects a list of tensors, got {v}")),
            };
            one(Tensor::cat(&ts, a.int(1)?)?)
        }
        other => err(format!("op {other} is not supported by ember-run")),
    }
}
