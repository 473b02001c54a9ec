//! Fused optimizer updates on contiguous float32 buffers, with the formulas (and order of
//! operations) of ember's CPU `ops/optim.rs`, which follow PyTorch's.
use crate::context::{context, Bind, INFO_WORDS};
use crate::plan::{binding_of, grid, GView, Op, GID, WG};
use ember_core::{DType, Error, Result};
use ember_layout::Layout;

fn flat<'a>(v: &GView<'a>, what: &str, n: usize) -> Result<Op<'a>> {
    if v.dtype != DType::F32 || !v.layout.is_contiguous() || v.layout.numel() != n {
        return Err(Error::runtime(format!(
            "wgpu fused optimizer step: the {what} must be a contiguous float32 tensor of the parameter's size"
        )));
    }
    Ok(Op { buf: v.buf, layout: Layout::new(vec![n], vec![1], v.layout.offset), dtype: DType::F32, write: false })
}

/// Runs `body` over `n` elements; operand k is `bK` at element `info[8 + k] + i`.
/// `flags` (bits) is info[15]; f32 parameters `p(k)` start at info[16].
fn launch(name: &str, key: &str, ops: &[(Op, bool)], params: &[u32], flags: u32, body: &str) -> Result<()> {
    let ctx = context()?;
    let n = ops[0].0.layout.numel();
    if n == 0 {
        return Ok(());
    }
    // chunk so that every operand's range fits one binding
    let limit = ctx.max_binding();
    let step = (((limit - ctx.align()) / 4) as usize).min(1 << 30);
    let rw: String = ops
        .iter()
        .map(|(o, w)| if *w || ops.iter().any(|(p, pw)| *pw && std::ptr::eq(p.buf.raw(), o.buf.raw())) { 'w' } else { 'r' })
        .collect();
    let rw_flags: Vec<bool> = rw.chars().map(|c| c == 'w').collect();
    let k = ctx.kernel(&format!("{key}.{rw}"), name, &rw_flags, || {
        let mut s = String::from("@group(0) @binding(0) var<storage, read> info: array<u32>;\n");
        for (i, c) in rw.chars().enumerate() {
            let access = if c == 'w' { "read_write" } else { "read" };
            s += &format!("@group(0) @binding({}) var<storage, {access}> b{i}: array<f32>;\n", i + 1);
        }
        s += GID;
        s += &format!(
            "fn p(k: u32) -> f32 {{ return bitcast<f32>(info[16u + k]); }}\n@compute @workgroup_size({WG})\nfn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) l: u32) {{\n    let i = gid(w, nw, l, {WG}u);\n    if (i >= info[0]) {{ return; }}\n    let flags = info[15];\n{body}\n}}\n"
        );
        s
    })?;
    let mut lo = 0;
    while lo < n {
        let len = step.min(n - lo);
        let mut info = vec![0u32; INFO_WORDS];
        info[0] = len as u32;
        let mut binds = vec![];
        for (kk, (o, _)) in ops.iter().enumerate() {
            let mut part = o.clone();
            part.layout = Layout::new(vec![len], vec![1], o.layout.offset + lo);
            let (start, size, base) = binding_of(ctx, &part)?;
            info[8 + kk] = (part.layout.offset - base) as u32;
            binds.push(Bind { buf: o.buf.raw(), offset: start, size });
        }
        info[15] = flags;
        info[16..16 + params.len()].copy_from_slice(params);
        ctx.dispatch(&k, &binds, &info, grid(len, WG))?;
        lo += len;
    }
    Ok(())
}

fn flag_word(info_flags: &[bool]) -> u32 {
    info_flags.iter().enumerate().map(|(i, &b)| u32::from(b) << i).sum()
}

/// SGD: `d = ±g + wd·p; buf = μ·buf + (1−τ)·d` (`buf = d` when `fresh`);
/// `step = nesterov ? d + μ·buf : buf`; `p −= lr·step`. `momentum_buf` is required when
/// momentum ≠ 0 (`fresh` marks a newly allocated buffer on the first step).
#[allow(clippy::too_many_arguments)]
pub fn sgd_step(
    param: &GView,
    grad: &GView,
    momentum_buf: Option<&GView>,
    fresh: bool,
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
) -> Result<()> {
    let n = param.layout.numel();
    let mut ops = vec![(flat(param, "parameter", n)?, true), (flat(grad, "gradient", n)?, false)];
    let has_buf = momentum != 0.0;
    if has_buf {
        let b = momentum_buf.ok_or_else(|| Error::runtime("wgpu sgd_step: momentum needs a momentum buffer"))?;
        ops.push((flat(b, "momentum buffer", n)?, true));
    }
    let f = |x: f64| (x as f32).to_bits();
    let params = [f(lr), f(momentum), f(1.0 - dampening), f(weight_decay)];
    let body = format!(
        r#"    var d = select(b1[info[9] + i], -b1[info[9] + i], (flags & 2u) != 0u);
    let pi = info[8] + i;
    if (p(3u) != 0.0) {{ d = d + p(3u) * b0[pi]; }}
    {}
    b0[pi] = b0[pi] - p(0u) * step;"#,
        if has_buf {
            "let bi = info[10] + i;\n    var nb = d;\n    if ((flags & 4u) == 0u) { nb = p(1u) * b2[bi] + p(2u) * d; }\n    b2[bi] = nb;\n    let step = select(nb, d + p(1u) * nb, (flags & 1u) != 0u);"
        } else {
            "let step = d;"
        }
    );
    launch("sgd_step_f32", &format!("sgd.{has_buf}"), &ops, &params, flag_word(&[nesterov, maximize, fresh]), &body)
}

/// Adam / AdamW (`decoupled`): `m += (1−β1)(d − m); v = β2·v + (1−β2)·d²;
/// p −= lr/(1−β1^t) · m / (sqrt(v̂)/sqrt(1−β2^t) + eps)` with `v̂ = max(vmax, v)` under
/// amsgrad (`max_exp_avg_sq` given). `step` is the step count after this update (t ≥ 1).
#[allow(clippy::too_many_arguments)]
pub fn adam_step(
    param: &GView,
    grad: &GView,
    exp_avg: &GView,
    exp_avg_sq: &GView,
    max_exp_avg_sq: Option<&GView>,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    step: u64,
    decoupled: bool,
    maximize: bool,
) -> Result<()> {
    if step == 0 {
        return Err(Error::runtime("wgpu adam_step: step counts from 1"));
    }
    let n = param.layout.numel();
    let mut ops = vec![
        (flat(param, "parameter", n)?, true),
        (flat(grad, "gradient", n)?, false),
        (flat(exp_avg, "exp_avg", n)?, true),
        (flat(exp_avg_sq, "exp_avg_sq", n)?, true),
    ];
    let amsgrad = max_exp_avg_sq.is_some();
    if let Some(vm) = max_exp_avg_sq {
        ops.push((flat(vm, "max_exp_avg_sq", n)?, true));
    }
    let t = step as f64;
    let bc1 = 1.0 - beta1.powf(t);
    let bc2_sqrt = (1.0 - beta2.powf(t)).sqrt();
    let f = |x: f64| (x as f32).to_bits();
    let params = [f(1.0 - beta1), f(beta2), f(1.0 - beta2), f(eps), f(weight_decay), f(bc2_sqrt), f(lr / bc1), f(1.0 - lr * weight_decay)];
    let body = format!(
        r#"    let pi = info[8] + i; let mi = info[10] + i; let vi = info[11] + i;
    var d = select(b1[info[9] + i], -b1[info[9] + i], (flags & 2u) != 0u);
    if (p(4u) != 0.0) {{
        if ((flags & 1u) != 0u) {{ b0[pi] = b0[pi] * p(7u); }} else {{ d = d + p(4u) * b0[pi]; }}
    }}
    let m = b2[mi] + p(0u) * (d - b2[mi]);
    b2[mi] = m;
    let v = b3[vi] * p(1u) + p(2u) * d * d;
    b3[vi] = v;
    {}
    let denom = sqrt(vhat) / p(5u) + p(3u);
    b0[pi] = b0[pi] - p(6u) * (m / denom);"#,
        if amsgrad { "let xi = info[12] + i; let vhat = max(b4[xi], v); b4[xi] = vhat;" } else { "let vhat = v;" }
    );
    launch("adam_step_f32", &format!("adam.{amsgrad}"), &ops, &params, flag_word(&[decoupled, maximize]), &body)
}
