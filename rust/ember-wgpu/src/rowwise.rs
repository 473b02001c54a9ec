//! Kernels that walk whole rows along a dim: argmax/argmin (with the extreme values) and
//! softmax / log_softmax forward and backward. One workgroup per row for long rows (tree
//! in workgroup memory), one thread per row for short argmax rows.
use crate::buffer::GpuBuffer;
use crate::context::{context, Bind, Context, Kernel};
use crate::dtype::{accessors, check, compute_ty, tag};
use crate::plan::{bindings, coalesce, grid, info_for, rw_flags, rw_tag, split, Chunk, GView, Op, GID, PARAM};
use crate::reduce::{plan_reduce, KEPT_RED};
use ember_core::{DType, Error, Result};
use ember_layout::Layout;
use std::sync::Arc;

const WGR: u32 = 256;

fn run(ctx: &Context, k: &Kernel, chunks: &[Chunk], nk: usize, extra: &[u32], by_group: bool) -> Result<()> {
    for c in chunks {
        let mut info = info_for(&c.ops, 0);
        let rows: usize = c.ops[0].layout.sizes[..nk].iter().product();
        let r: usize = c.ops[0].layout.sizes[nk..].iter().product();
        info[PARAM] = nk as u32;
        info[PARAM + 1] = rows as u32;
        info[PARAM + 2] = r as u32;
        info[PARAM + 3..PARAM + 3 + extra.len()].copy_from_slice(extra);
        let binds: Vec<Bind> = c.ops.iter().zip(&c.binds).map(|(o, &(offset, size))| Bind { buf: o.buf.raw(), offset, size }).collect();
        let g = if by_group { grid(rows * WGR as usize, WGR) } else { grid(rows, WGR) };
        ctx.dispatch(k, &binds, &info, g)?;
    }
    Ok(())
}

/// Indices (int64, first index of the extreme; NaN counts as the extreme, as in PyTorch) and
/// optionally values of the max (`is_max`) or min along `dim`, or over all elements
/// flattened when `dim` is None. Output layouts follow `reduce`'s rules (keepdim or not).
pub fn argreduce(src: &GView, dim: Option<usize>, is_max: bool, indices: &GView, values: Option<&GView>) -> Result<()> {
    let dt = src.dtype;
    check(dt)?;
    if dt == DType::I64 {
        return Err(Error::type_("wgpu argmax/argmin: int64 input is not supported (indices only); convert to int32 or float32"));
    }
    if indices.dtype != DType::I64 {
        return Err(Error::runtime("wgpu argmax/argmin: indices output must be int64"));
    }
    let ctx = context()?;
    let dims: Vec<usize> = match dim {
        Some(d) => vec![d],
        None => (0..src.layout.ndim()).collect(),
    };
    let tmp;
    let tmp_l;
    let values = match values {
        Some(v) => {
            if v.dtype != dt {
                return Err(Error::runtime("wgpu argmax/argmin: values output must have the input's dtype"));
            }
            *v
        }
        None => {
            tmp_l = Layout::contiguous(&indices.layout.sizes);
            tmp = GpuBuffer::new(tmp_l.numel().max(1) * 4)?;
            GView::new(&tmp, &tmp_l, dt)
        }
    };
    let (ops, nk, o, r) = plan_reduce(src, &dims, &[indices, &values])?;
    if o == 0 {
        return Ok(());
    }
    if r == 0 {
        return Err(Error::index(format!(
            "{}(): Expected reduction dim {}to have non-zero size.",
            if is_max { "argmax" } else { "argmin" },
            dim.map(|d| format!("{d} ")).unwrap_or_default()
        )));
    }
    let by_group = r >= 64;
    if r > WGR as usize * crate::reduce::MAX_ITERS {
        return Err(Error::runtime(format!(
            "wgpu argmax/argmin: rows of {r} elements exceed the kernel's {} per row; reduce in steps",
            WGR as usize * crate::reduce::MAX_ITERS
        )));
    }
    let rw = rw_flags(&ops);
    let dts: Vec<DType> = ops.iter().map(|o| o.dtype).collect();
    let k = arg_kernel(ctx, dt, is_max, by_group, &rw, &dts)?;
    let chunks = split(ctx, ops, nk)?;
    run(ctx, &k, &chunks, nk, &[], by_group)
}

fn arg_kernel(ctx: &Context, dt: DType, is_max: bool, by_group: bool, rw: &[bool], dts: &[DType]) -> Result<Arc<Kernel>> {
    let ct = compute_ty(dt);
    let which = if is_max { "argmax" } else { "argmin" };
    let key = format!("{which}.{}.{by_group}.{}", tag(dt), rw_tag(rw));
    let (gt, id) = match (dt, is_max) {
        (DType::F32, true) => (">", "bitcast<f32>(0xff800000u)"),
        (DType::F32, false) => ("<", "bitcast<f32>(0x7f800000u)"),
        (DType::I32, true) => (">", "i32(-2147483647 - 1)"),
        (DType::I32, false) => ("<", "2147483647"),
        (_, true) => (">", "0u"),
        (DType::Bool, false) => ("<", "1u"),
        (_, false) => ("<", "255u"),
    };
    let nan =
        if dt == DType::F32 { "let an = isnan_(a); let bn = isnan_(b); if (an || bn) { return an && (!bn || ia < ib); }" } else { "" };
    ctx.kernel(&key, &format!("{which}_{}", tag(dt)), rw, || {
        let mut s = bindings(dts, rw);
        s += &accessors(0, dts[0], true);
        s += &accessors(1, dts[1], false);
        s += &accessors(2, dts[2], true);
        s += KEPT_RED;
        s += GID;
        s += crate::dtype::CONVERT_FNS;
        s += &format!(
            "fn better(a: {ct}, ia: u32, b: {ct}, ib: u32) -> bool {{ {nan} if (a != b) {{ return a {gt} b; }} return ia < ib; }}\n"
        );
        s += "fn finish(o: u32, v: vec2<u32>) { let k = kept(o); st0(k.x, vec2<u32>(v.y, 0u)); st2(k.z, ld1(kept(o).y + red(v.y).y)); }\n";
        if by_group {
            s += &format!(
                r#"
var<workgroup> sv: array<{ct}, {WGR}>;
var<workgroup> si: array<u32, {WGR}>;
@compute @workgroup_size({WGR})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) l: u32) {{
    let o = w.y * nw.x + w.x;
    let valid = o < info[49];
    var bv: {ct} = {id};
    var bi = 0xffffffffu;
    if (valid) {{
        let base = kept(o).y;
        for (var r = l; r < info[50]; r += {WGR}u) {{
            let v = ld1(base + red(r).y);
            if (better(v, r, bv, bi)) {{ bv = v; bi = r; }}
        }}
    }}
    sv[l] = bv;
    si[l] = bi;
    workgroupBarrier();
    for (var st = {half}u; st > 0u; st = st >> 1u) {{
        if (l < st && better(sv[l + st], si[l + st], sv[l], si[l])) {{ sv[l] = sv[l + st]; si[l] = si[l + st]; }}
        workgroupBarrier();
    }}
    if (valid && l == 0u) {{ finish(o, vec2<u32>(0u, si[0])); }}
}}
"#,
                half = WGR / 2
            );
        } else {
            s += &format!(
                r#"
@compute @workgroup_size({WGR})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) l: u32) {{
    let o = gid(w, nw, l, {WGR}u);
    if (o >= info[49]) {{ return; }}
    let base = kept(o).y;
    var bv: {ct} = {id};
    var bi = 0xffffffffu;
    for (var r = 0u; r < info[50]; r++) {{
        let v = ld1(base + red(r).y);
        if (better(v, r, bv, bi)) {{ bv = v; bi = r; }}
    }}
    finish(o, vec2<u32>(0u, bi));
}}
"#
            );
        }
        s
    })
}

/// Permutes `dim` last in every view and coalesces the other dims: (ops, kept dims).
fn plan_rows<'a>(views: &[(&GView<'a>, bool)], dim: usize) -> Result<(Vec<Op<'a>>, usize)> {
    let nd = views[0].0.layout.ndim();
    if dim >= nd.max(1) {
        return Err(Error::runtime(format!("wgpu softmax: dim {dim} out of range for a {nd}-d tensor")));
    }
    let sizes = &views[0].0.layout.sizes;
    let perm: Vec<usize> = (0..nd).filter(|&d| d != dim).chain((dim < nd).then_some(dim)).collect();
    let mut ops = vec![];
    for (v, write) in views {
        if &v.layout.sizes != sizes {
            return Err(Error::runtime(format!("wgpu softmax: shapes {:?} and {:?} differ", v.layout.sizes, sizes)));
        }
        if v.dtype != DType::F32 {
            return Err(Error::type_(format!("wgpu softmax needs float32 tensors, got {}", v.dtype.name())));
        }
        let mut op = Op::of(v, *write)?;
        op.layout = Layout::new(
            perm.iter().map(|&d| v.layout.sizes[d]).collect::<ember_layout::InlineVec<_>>(),
            perm.iter().map(|&d| v.layout.strides[d]).collect::<ember_layout::InlineVec<_>>(),
            v.layout.offset,
        );
        ops.push(op);
    }
    let nk = coalesce(&mut ops, nd.saturating_sub(1));
    Ok((ops, nk))
}

fn long_rows(ops: &[Op], nk: usize) -> Result<()> {
    let r: usize = ops[0].layout.sizes[nk..].iter().product();
    if r > 256 * crate::reduce::MAX_ITERS {
        return Err(Error::runtime(format!(
            "wgpu softmax: rows of {r} elements exceed the kernel's {} per row",
            256 * crate::reduce::MAX_ITERS
        )));
    }
    Ok(())
}

const TREE: &str = r#"
var<workgroup> sh: array<f32, 256>;
fn tree(v: f32, l: u32, is_max: bool) -> f32 {
    sh[l] = v;
    workgroupBarrier();
    for (var st = 128u; st > 0u; st = st >> 1u) {
        if (l < st) {
            let a = sh[l];
            let b = sh[l + st];
            sh[l] = select(a + b, select(select(max(a, b), b, isnan_(b)), a, isnan_(a)), is_max);
        }
        workgroupBarrier();
    }
    let r = sh[0];
    workgroupBarrier();
    return r;
}
"#;

fn row_kernel(ctx: &Context, name: &str, ops: &[Op], body: &str) -> Result<Arc<Kernel>> {
    let rw = rw_flags(ops);
    let dts: Vec<DType> = ops.iter().map(|o| o.dtype).collect();
    ctx.kernel(&format!("{name}.{}", rw_tag(&rw)), name, &rw, || {
        let mut s = bindings(&dts, &rw);
        for (k, &dt) in dts.iter().enumerate() {
            s += &accessors(k, dt, k == 0);
        }
        s += KEPT_RED;
        s += crate::dtype::CONVERT_FNS;
        s += TREE;
        s += &format!(
            r#"
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) l: u32) {{
    let row = w.y * nw.x + w.x;
    let valid = row < info[49];
    let n = select(0u, info[50], valid);
    let k = kept(select(0u, row, valid));
{body}
}}
"#
        );
        s
    })
}

/// `out = softmax(src, dim)` (or log_softmax when `log`), float32, any strides.
pub fn softmax(src: &GView, dim: usize, out: &GView, log: bool) -> Result<()> {
    let ctx = context()?;
    let (ops, nk) = plan_rows(&[(out, true), (src, false)], dim)?;
    long_rows(&ops, nk)?;
    if ops[0].layout.numel() == 0 {
        return Ok(());
    }
    let store = if log { "x - m - log(s)" } else { "exp(x - m) / s" };
    let body = format!(
        r#"    var m = bitcast<f32>(0xff800000u);
    for (var r = l; r < n; r += 256u) {{ let x = ld1(k.y + red(r).y); m = select(select(max(m, x), x, isnan_(x)), m, isnan_(m)); }}
    m = tree(m, l, true);
    var s = 0.0;
    for (var r = l; r < n; r += 256u) {{ s += exp(ld1(k.y + red(r).y) - m); }}
    s = tree(s, l, false);
    for (var r = l; r < n; r += 256u) {{ let o = k + red(r); let x = ld1(o.y); st0(o.x, {store}); }}"#
    );
    let name = if log { "log_softmax_f32" } else { "softmax_f32" };
    let k = row_kernel(ctx, name, &ops, &body)?;
    let chunks = split(ctx, ops, nk)?;
    run(ctx, &k, &chunks, nk, &[], true)
}

/// Gradient of softmax (`log` false: `y·(g − Σ g·y)`) or log_softmax (`log` true:
/// `g − exp(y)·Σ g`) along `dim`, where `y` is the forward output.
pub fn softmax_backward(grad_out: &GView, out: &GView, dim: usize, grad_in: &GView, log: bool) -> Result<()> {
    let ctx = context()?;
    let (ops, nk) = plan_rows(&[(grad_in, true), (grad_out, false), (out, false)], dim)?;
    long_rows(&ops, nk)?;
    if ops[0].layout.numel() == 0 {
        return Ok(());
    }
    let (acc, store) = if log { ("ld1(o.y)", "g - exp(y) * s") } else { ("ld1(o.y) * ld2(o.z)", "y * (g - s)") };
    let body = format!(
        r#"    var s = 0.0;
    for (var r = l; r < n; r += 256u) {{ let o = k + red(r); s += {acc}; }}
    s = tree(s, l, false);
    for (var r = l; r < n; r += 256u) {{ let o = k + red(r); let g = ld1(o.y); let y = ld2(o.z); st0(o.x, {store}); }}"#
    );
    let name = if log { "log_softmax_backward_f32" } else { "softmax_backward_f32" };
    let k = row_kernel(ctx, name, &ops, &body)?;
    let chunks = split(ctx, ops, nk)?;
    run(ctx, &k, &chunks, nk, &[], true)
}
