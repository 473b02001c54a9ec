//! Reductions over any set of dims (sum, mean, prod, max, min), argmax/argmin with their
//! values, and softmax / log_softmax with their backward.
//!
//! The input is permuted to (kept dims…, reduced dims…) and both groups are coalesced, so
//! the kernels see `O` outputs × `R` reduced elements. Rows whose reduced elements are
//! dense use one workgroup per output (a workgroup-memory tree; coalesced reads); other
//! shapes (reducing an outer dim) use one thread per output so neighbouring threads read
//! neighbouring elements. When there are few outputs, each is split into `S` segments
//! reduced in parallel into a `[S, O]` partial buffer, then a second pass reduces the
//! partials. Subgroup operations are not used (the tree needs no subgroup size).
use crate::buffer::GpuBuffer;
use crate::context::{context, Bind, Context};
use crate::dtype::{accessors, check, compute_ty, tag};
use crate::elementwise::{binary, fill, BinaryOp, Operand};
use crate::plan::{bindings, coalesce, grid, info_for, rw_flags, rw_tag, split, GView, Op, GID, PARAM};
use ember_core::{DType, Error, Result};
use ember_layout::Layout;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    Sum,
    Mean,
    Prod,
    Max,
    Min,
}

impl ReduceOp {
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
            ReduceOp::Prod => "prod",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
        }
    }
    /// The op combining partial results.
    fn combine(self) -> ReduceOp {
        if self == ReduceOp::Mean {
            ReduceOp::Sum
        } else {
            self
        }
    }
}

const WGR: u32 = 256;
/// Most loop iterations one thread runs (llvmpipe ends loops at 32,767 iterations).
pub(crate) const MAX_ITERS: usize = 16384;

/// WGSL: offsets of operands 0..3 for output index `o` over the kept dims (`info[48]` of
/// them) and for reduced index `r` over the remaining dims.
pub(crate) const KEPT_RED: &str = r#"
fn kept(o: u32) -> vec4<u32> {
    var rem = o;
    var x = vec4<u32>(info[12], info[13], info[14], info[15]);
    for (var d = i32(info[48]) - 1; d >= 0; d--) {
        let u = u32(d);
        let s = info[4u + u];
        let c = rem % s;
        rem = rem / s;
        x += c * vec4<u32>(info[16u + u], info[24u + u], info[32u + u], info[40u + u]);
    }
    return x;
}
fn red(r: u32) -> vec4<u32> {
    let nk = info[48];
    let rank = info[1];
    if (rank == nk + 1u) { return r * vec4<u32>(info[16u + nk], info[24u + nk], info[32u + nk], info[40u + nk]); }
    var rem = r;
    var x = vec4<u32>(0u);
    for (var d = i32(rank) - 1; d >= i32(nk); d--) {
        let u = u32(d);
        let s = info[4u + u];
        let c = rem % s;
        rem = rem / s;
        x += c * vec4<u32>(info[16u + u], info[24u + u], info[32u + u], info[40u + u]);
    }
    return x;
}
"#;

/// (identity, combine expression of `a` and `b`) in `dt`'s compute type.
fn combine_expr(op: ReduceOp, dt: DType) -> Result<(&'static str, &'static str)> {
    use ReduceOp::*;
    Ok(match (op, dt) {
        (Sum | Mean, DType::F32) => ("0.0", "a + b"),
        (Sum, DType::I32) => ("0", "a + b"),
        (Prod, DType::F32) => ("1.0", "a * b"),
        (Prod, DType::I32) => ("1", "a * b"),
        (Max, DType::F32) => ("bitcast<f32>(0xff800000u)", "select(select(max(a, b), b, isnan_(b)), a, isnan_(a))"),
        (Min, DType::F32) => ("bitcast<f32>(0x7f800000u)", "select(select(min(a, b), b, isnan_(b)), a, isnan_(a))"),
        (Max, DType::I32) => ("i32(-2147483647 - 1)", "max(a, b)"),
        (Min, DType::I32) => ("2147483647", "min(a, b)"),
        (Max, DType::Bool | DType::U8) => ("0u", "max(a, b)"),
        (Min, DType::Bool) => ("1u", "min(a, b)"),
        (Min, DType::U8) => ("255u", "min(a, b)"),
        _ => {
            return Err(Error::type_(format!(
                "wgpu {} does not support {} inputs (float32 and int32 are supported; max/min also take bool and uint8)",
                op.name(),
                dt.name()
            )))
        }
    })
}

/// The permuted, coalesced operands of a reduction: `[out, src, extra...]` with out's
/// strides 0 on the reduced dims. Returns (ops, number of kept dims, O, R).
pub(crate) fn plan_reduce<'a>(src: &GView<'a>, dims: &[usize], outs: &[&GView<'a>]) -> Result<(Vec<Op<'a>>, usize, usize, usize)> {
    let nd = src.layout.ndim();
    let mut red = vec![false; nd];
    for &d in dims {
        if d >= nd {
            return Err(Error::runtime(format!("wgpu reduce: dim {d} out of range for a {nd}-d tensor")));
        }
        red[d] = true;
    }
    let kept: Vec<usize> = (0..nd).filter(|&d| !red[d]).collect();
    let perm: Vec<usize> = kept.iter().copied().chain((0..nd).filter(|&d| red[d])).collect();
    let mut ops = vec![];
    for (i, out) in outs.iter().enumerate() {
        out.validate()?;
        // keepdim layouts have every dim (1 where reduced); others only the kept dims
        let strides: Vec<isize> = if out.layout.ndim() == nd {
            (0..nd).map(|d| if red[d] { 0 } else { out.layout.strides[d] }).collect()
        } else if out.layout.ndim() == kept.len() {
            let mut s = vec![0; nd];
            for (k, &d) in kept.iter().enumerate() {
                s[d] = out.layout.strides[k];
            }
            s
        } else {
            return Err(Error::runtime("wgpu reduce: output rank matches neither keepdim nor the reduced rank"));
        };
        let want: Vec<usize> = (0..nd).map(|d| if red[d] { 1 } else { src.layout.sizes[d] }).collect();
        let got: Vec<usize> =
            if out.layout.ndim() == nd { out.layout.sizes.to_vec() } else { kept.iter().map(|&d| src.layout.sizes[d]).collect() };
        if got.iter().product::<usize>() != want.iter().product::<usize>() || (out.layout.ndim() == nd && got != want) {
            return Err(Error::runtime(format!(
                "wgpu reduce: output shape {:?} does not match the reduction of {:?}",
                out.layout.sizes, src.layout.sizes
            )));
        }
        if out.layout.ndim() == kept.len() && got != kept.iter().map(|&d| src.layout.sizes[d]).collect::<Vec<_>>() {
            return Err(Error::runtime("wgpu reduce: output shape does not match the kept dims"));
        }
        let l = Layout::new(
            perm.iter().map(|&d| src.layout.sizes[d]).collect::<ember_layout::InlineVec<_>>(),
            perm.iter().map(|&d| strides[d]).collect::<ember_layout::InlineVec<_>>(),
            out.layout.offset,
        );
        ops.push(Op { buf: out.buf, layout: l, dtype: out.dtype, write: true });
        if i == 0 {
            src.validate()?;
            let l = Layout::new(
                perm.iter().map(|&d| src.layout.sizes[d]).collect::<ember_layout::InlineVec<_>>(),
                perm.iter().map(|&d| src.layout.strides[d]).collect::<ember_layout::InlineVec<_>>(),
                src.layout.offset,
            );
            ops.push(Op { buf: src.buf, layout: l, dtype: src.dtype, write: false });
        }
    }
    let nk = coalesce(&mut ops, kept.len());
    let o = ops[0].layout.sizes[..nk].iter().product();
    let r = ops[0].layout.sizes[nk..].iter().product();
    Ok((ops, nk, o, r))
}

fn kernel_src(
    ctx: &Context,
    op: ReduceOp,
    dt: DType,
    rw: &[bool],
    dts: &[DType],
    by_group: bool,
) -> Result<std::sync::Arc<crate::context::Kernel>> {
    let (id, comb) = combine_expr(op, dt)?;
    let ct = compute_ty(dt);
    let key = format!("reduce.{}.{}.{}.{}", op.name(), tag(dt), by_group, rw_tag(rw));
    let name = format!("{}_{}", op.name(), tag(dt));
    let scale = if dt == DType::F32 { "acc * bitcast<f32>(info[51])" } else { "acc" };
    ctx.kernel(&key, &name, rw, || {
        let mut s = bindings(dts, rw);
        s += &accessors(0, dts[0], true);
        s += &accessors(1, dts[1], false);
        s += KEPT_RED;
        s += GID;
        s += crate::dtype::CONVERT_FNS;
        s += &format!("fn comb(a: {ct}, b: {ct}) -> {ct} {{ return {comb}; }}\n");
        // params: [48] kept dims, [49] segments S, [50] segment length, [51] scale, [52] O, [53] R, [54] partial output
        s += &format!(
            r#"
fn segment(g: u32) -> vec3<u32> {{
    let o = g % info[52];
    let sg = g / info[52];
    let lo = sg * info[50];
    return vec3<u32>(o, lo, min(info[53], lo + info[50]));
}}
fn finish(g: u32, o: u32, acc: {ct}) {{
    if (info[54] == 1u) {{ st0(g, acc); }} else {{ st0(kept(o).x, {scale}); }}
}}
"#
        );
        if by_group {
            s += &format!(
                r#"
var<workgroup> sh: array<{ct}, {WGR}>;
@compute @workgroup_size({WGR})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) l: u32) {{
    let g = w.y * nw.x + w.x;
    let valid = g < info[52] * info[49];
    var acc: {ct} = {id};
    var o = 0u;
    if (valid) {{
        let sg = segment(g);
        o = sg.x;
        let base = kept(o).y;
        for (var r = sg.y + l; r < sg.z; r += {WGR}u) {{ acc = comb(acc, ld1(base + red(r).y)); }}
    }}
    sh[l] = acc;
    workgroupBarrier();
    for (var st = {half}u; st > 0u; st = st >> 1u) {{
        if (l < st) {{ sh[l] = comb(sh[l], sh[l + st]); }}
        workgroupBarrier();
    }}
    if (valid && l == 0u) {{ acc = sh[0]; finish(g, o, acc); }}
}}
"#,
                half = WGR / 2
            );
        } else {
            s += &format!(
                r#"
@compute @workgroup_size({WGR})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) l: u32) {{
    let g = gid(w, nw, l, {WGR}u);
    if (g >= info[52] * info[49]) {{ return; }}
    let sg = segment(g);
    let base = kept(sg.x).y;
    var acc: {ct} = {id};
    for (var r = sg.y; r < sg.z; r++) {{ acc = comb(acc, ld1(base + red(r).y)); }}
    finish(g, sg.x, acc);
}}
"#
            );
        }
        s
    })
}

/// `out = op(src)` over `dims` (empty `dims` = nothing reduced; pass every dim for a full
/// reduction). `out` has src's rank with size-1 reduced dims (keepdim) or only the kept
/// dims; its dtype equals src's. Sum/prod of int32 accumulate in int32.
pub fn reduce(op: ReduceOp, src: &GView, dims: &[usize], out: &GView) -> Result<()> {
    check(src.dtype)?;
    if out.dtype != src.dtype {
        return Err(Error::runtime("wgpu reduce: the output dtype must equal the input dtype (convert afterwards)"));
    }
    if op == ReduceOp::Mean && src.dtype != DType::F32 {
        return Err(Error::type_(format!("wgpu mean needs float32 input, got {}", src.dtype.name())));
    }
    combine_expr(op, src.dtype)?;
    let ctx = context()?;
    let (ops, nk, o, r) = plan_reduce(src, dims, &[out])?;
    if o == 0 {
        return Ok(());
    }
    if r == 0 {
        return match op {
            ReduceOp::Sum => fill(out, 0.0),
            ReduceOp::Prod => fill(out, 1.0),
            ReduceOp::Mean => fill(out, f64::NAN),
            _ => Err(Error::runtime(format!(
                "{}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
                op.name()
            ))),
        };
    }
    let total_r = r;
    reduce_ops(ctx, op, ops, nk, o, r, total_r)
}

fn reduce_ops(ctx: &Context, op: ReduceOp, ops: Vec<Op>, nk: usize, o: usize, r: usize, total_r: usize) -> Result<()> {
    let dt = ops[1].dtype;
    // If even one output's reduced elements exceed a binding, reduce halves separately.
    let src_one = {
        let l = &ops[1].layout;
        let mut one = l.clone();
        for d in 0..nk {
            one.sizes[d] = 1;
        }
        one.storage_span().map(|(a, b)| (b - a) * 4 * if dt == DType::I64 { 2 } else { 1 }).unwrap_or(0) as u64
    };
    let dense_rows = ops[1].layout.strides.last().is_some_and(|&s| s == 1) && nk < ops[1].layout.ndim();
    let by_group = dense_rows && r >= 64;
    let segments = if by_group {
        if o >= 256 {
            1
        } else {
            r.div_ceil(8192).clamp(1, 2048)
        }
    } else if o >= 65536 || r <= 64 {
        1
    } else {
        65536usize.div_ceil(o).min(r.div_ceil(32)).max(1)
    };
    // Bound every thread's loop (lavapipe stops loops after 32,767 iterations).
    let segments = segments.max(r.div_ceil(if by_group { WGR as usize * MAX_ITERS } else { MAX_ITERS }));
    // partial buffers need the whole source in one binding
    let whole = ops[1].layout.storage_span().map(|(a, b)| (b - a) as u64 * 4).unwrap_or(0);
    let whole_fits = whole + ctx.align() <= ctx.max_binding();
    let partial_fits = (o * segments * 4) as u64 <= ctx.max_binding();
    if src_one + ctx.align() > ctx.max_binding() || (segments > 1 && !(whole_fits && partial_fits)) {
        let d = (nk..ops[1].layout.ndim())
            .find(|&d| ops[1].layout.sizes[d] > 1)
            .ok_or_else(|| Error::runtime("wgpu reduce: an operand exceeds the adapter's storage binding limit"))?;
        let n = ops[1].layout.sizes[d];
        let out_l = Layout::contiguous(&ops[0].layout.sizes[..nk]);
        let tmp = [GpuBuffer::new(o * 4)?, GpuBuffer::new(o * 4)?];
        for (i, (start, len)) in [(0, n / 2), (n / 2, n - n / 2)].into_iter().enumerate() {
            let mut src = ops[1].clone();
            src.layout.sizes[d] = len;
            src.layout.offset = (src.layout.offset as isize + start as isize * src.layout.strides[d]) as usize;
            let mut dst = Op { buf: &tmp[i], layout: out_l.clone(), dtype: dt, write: true };
            dst.layout = Layout::new(
                src.layout.sizes.clone(),
                (0..src.layout.ndim()).map(|k| if k < nk { out_l.strides[k] } else { 0 }).collect::<ember_layout::InlineVec<_>>(),
                0,
            );
            let r_part = src.layout.sizes[nk..].iter().product();
            reduce_ops(ctx, op.combine(), vec![dst, src], nk, o, r_part, r_part)?;
        }
        let comb = match op.combine() {
            ReduceOp::Sum => BinaryOp::Add,
            ReduceOp::Prod => BinaryOp::Mul,
            ReduceOp::Max => BinaryOp::Maximum,
            _ => BinaryOp::Minimum,
        };
        let out_full = Layout::new(ops[0].layout.sizes[..nk].to_vec(), ops[0].layout.strides[..nk].to_vec(), ops[0].layout.offset);
        let out = GView::new(ops[0].buf, &out_full, dt);
        let (a, b) = (GView::new(&tmp[0], &out_l, dt), GView::new(&tmp[1], &out_l, dt));
        binary(comb, Operand::View(a), Operand::View(b), 1.0, &out)?;
        if op == ReduceOp::Mean {
            binary(BinaryOp::Mul, Operand::View(out), Operand::Scalar(1.0 / total_r as f64), 1.0, &out)?;
        }
        return Ok(());
    }
    let seg_len = r.div_ceil(segments);
    let segments = r.div_ceil(seg_len);
    let scale = if op == ReduceOp::Mean && segments == 1 { 1.0 / total_r as f32 } else { 1.0 };
    let partial = if segments > 1 { Some(GpuBuffer::new(o * segments * 4)?) } else { None };
    let mut run_ops = ops.clone();
    // (run_ops[0] is replaced by the partial buffer in the two-pass case)
    if let Some(p) = &partial {
        run_ops[0] = Op { buf: p, layout: Layout::contiguous(&[o * segments]), dtype: dt, write: true };
    }
    let pass_op = if segments > 1 { op.combine() } else { op };
    let rw = rw_flags(&run_ops);
    let dts: Vec<DType> = run_ops.iter().map(|o| o.dtype).collect();
    let k = kernel_src(ctx, pass_op, dt, &rw, &dts, by_group)?;
    let params = [nk as u32, segments as u32, seg_len as u32, scale.to_bits(), o as u32, r as u32, u32::from(segments > 1)];
    if let Some(p) = &partial {
        // Pass 1: every (output, segment) pair into the [S, O] partials. The source fits one
        // binding (checked above); the partial buffer is bound whole and indexed directly.
        let src = split(ctx, vec![ops[1].clone()], 0)?.remove(0);
        let rank = src.ops[0].layout.ndim();
        let walk = Op { buf: p, layout: Layout::new(src.ops[0].layout.sizes.clone(), vec![0; rank], 0), dtype: dt, write: true };
        let mut info = info_for(&[walk, src.ops[0].clone()], 0);
        info[PARAM..PARAM + params.len()].copy_from_slice(&params);
        let binds = [
            Bind { buf: p.raw(), offset: 0, size: (o * segments * 4) as u64 },
            Bind { buf: src.ops[0].buf.raw(), offset: src.binds[0].0, size: src.binds[0].1 },
        ];
        let n = o * segments;
        let g = if by_group { grid(n * WGR as usize, WGR) } else { grid(n, WGR) };
        ctx.dispatch(&k, &binds, &info, g)?;
        // Pass 2 reduces the partials: kept dims = the output's, reduced = the segments.
        let pl = Layout::new(vec![o, segments], vec![1, o as isize], 0);
        let mut final_ops = vec![ops[0].clone(), Op { buf: p, layout: pl, dtype: dt, write: false }];
        let out_strides: Vec<isize> = ops[0].layout.strides[..nk].to_vec();
        let out_sizes: Vec<usize> = ops[0].layout.sizes[..nk].to_vec();
        let mut sizes = out_sizes.clone();
        sizes.push(segments);
        let mut os = out_strides.clone();
        os.push(0);
        let ps: Vec<isize> = Layout::contiguous(&out_sizes).strides.into_iter().chain([o as isize]).collect();
        final_ops[0].layout = Layout::new(sizes.clone(), os, ops[0].layout.offset);
        final_ops[1].layout = Layout::new(sizes, ps, 0);
        return reduce_ops(ctx, op, final_ops, nk, o, segments, total_r);
    }
    let chunks = split(ctx, run_ops, nk)?;
    for c in &chunks {
        let mut info = info_for(&c.ops, 0);
        let co: usize = c.ops[0].layout.sizes[..nk].iter().product();
        let mut p = params;
        p[4] = co as u32;
        info[PARAM..PARAM + p.len()].copy_from_slice(&p);
        let binds: Vec<Bind> = c.ops.iter().zip(&c.binds).map(|(o, &(offset, size))| Bind { buf: o.buf.raw(), offset, size }).collect();
        let g = if by_group { grid(co * WGR as usize, WGR) } else { grid(co, WGR) };
        ctx.dispatch(&k, &binds, &info, g)?;
    }
    Ok(())
}
