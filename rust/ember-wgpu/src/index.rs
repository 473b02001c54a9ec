//! gather / index_select (reads through an int64 index) and scatter_add / index_add
//! (accumulate through it with atomics: `atomicAdd` on int32, a compare-exchange loop on
//! the f32 bit pattern for float32, so duplicate indices sum in some order).
//!
//! The walk runs over the index's shape. The indexed operand gets stride 0 along `dim` in
//! that walk and the index value times its real `dim` stride is added, so dims merge freely.
//! An index outside `[0, size)` (read as all 64 bits) makes gather write 0 and scatter skip
//! it, and records in the context's flag buffer which error the op raises (`OnBadIndex`),
//! with the first bad index, its dim and size; the next read from the device raises it.
use crate::context::{context, Bind};
use crate::dtype::{accessors, check, compute_ty, convert, scalar_param, scalar_words, tag, CONVERT_FNS};
use crate::plan::{binding_of, bindings, coalesce, grid, info_for, rw_flags, rw_tag, GView, Op, GID, OFFSETS, PARAM, WG};
use ember_core::{DType, Error, Result};
use ember_layout::Layout;

/// Which error an out-of-range index raises at the next read: the CPU's for the same op.
/// The code is the flag's word 0 (0 = no error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnBadIndex {
    /// RuntimeError "index i is out of bounds for dimension d with size s" (gather, scatter*).
    Gather = 1,
    /// IndexError "index out of range in self" (index_select, index_add_, embedding).
    Select = 2,
}

fn code(on: OnBadIndex) -> u32 {
    on as u32
}

/// WGSL: records the bad index `iv` (an int64 as two words) along `dim` of `size` under
/// `code`, unless an earlier one is recorded (the first to claim word 0 writes the rest).
const FLAG_FN: &str = r#"fn flag_bad(code: u32, iv: vec2<u32>, size: u32, dim: u32) {
    loop {
        let r = atomicCompareExchangeWeak(&flag[0], 0u, code);
        if (r.exchanged) {
            atomicStore(&flag[1], iv.x);
            atomicStore(&flag[2], iv.y);
            atomicStore(&flag[3], size);
            atomicStore(&flag[4], dim);
            break;
        }
        if (r.old_value != 0u) { break; }
    }
}
"#;

/// The error recorded in the flag words (word 0 its `OnBadIndex` code), or None when clear.
pub fn flag_error(words: &[u32]) -> Option<Error> {
    let (&code, rest) = words.split_first()?;
    if code == 0 {
        return None;
    }
    let i = (u64::from(rest[1]) << 32 | u64::from(rest[0])) as i64;
    let (size, dim) = (rest[2], rest[3]);
    let tail = "found by a wgpu kernel: GPU kernels can't raise, so this surfaces at the next read from the device, \
                like CUDA's device-side asserts; run the op on the CPU to see where";
    Some(match code {
        1 => Error::runtime(format!("index {i} is out of bounds for dimension {dim} with size {size} ({tail})")),
        _ => Error::index(format!("index out of range in self (index {i}, dim {dim} with size {size}; {tail})")),
    })
}

/// The indexed view seen over the index's shape: its strides, 0 along `dim`.
fn walked(v: &GView, sizes: &[usize], dim: usize) -> Layout {
    let strides: Vec<isize> = v.layout.strides.iter().enumerate().map(|(d, &s)| if d == dim { 0 } else { s }).collect();
    Layout::new(sizes.to_vec(), strides, v.layout.offset)
}

fn check_ranks(what: &str, index: &GView, others: &[&GView], dim: usize) -> Result<()> {
    if index.dtype != DType::I64 {
        return Err(Error::runtime(format!("{what}(): Expected dtype int64 for index")));
    }
    let nd = index.layout.ndim();
    for v in others {
        if v.layout.ndim() != nd {
            return Err(Error::runtime(format!("{what}(): Index tensor must have the same number of dimensions as the other tensors")));
        }
    }
    if dim >= nd.max(1) {
        return Err(Error::runtime(format!("{what}(): dim {dim} out of range for {nd}-d tensors")));
    }
    Ok(())
}

/// Dispatches an index kernel: `ops` are the walked operands (op 0 written), `real` the
/// views whose true extent each binding must cover.
fn launch(
    key: &str,
    name: &str,
    mut ops: Vec<Op>,
    real: &[GView],
    params: &[u32],
    src: impl FnOnce(&[DType], &[bool]) -> String,
) -> Result<()> {
    let ctx = context()?;
    if ops[0].layout.numel() == 0 || ops[1].layout.numel() == 0 {
        return Ok(());
    }
    let rank = ops[0].layout.ndim();
    coalesce(&mut ops, rank);
    let mut rw = rw_flags(&ops);
    let dts: Vec<DType> = ops.iter().map(|o| o.dtype).collect();
    // One more read_write binding after the operands: the context's out-of-range flag.
    let flag_binding = ops.len() + 1;
    rw.push(true);
    let k = ctx.kernel(&format!("{key}.{}", rw_tag(&rw)), name, &rw, || {
        src(&dts, &rw[..dts.len()])
            + &format!("@group(0) @binding({flag_binding}) var<storage, read_write> flag: array<atomic<u32>>;\n")
            + FLAG_FN
    })?;
    let mut binds = vec![];
    for (o, v) in ops.iter_mut().zip(real) {
        let (start, size, base) = binding_of(ctx, &Op::of(v, false)?)?;
        if size > ctx.max_binding() || o.layout.numel() >= 1 << 31 {
            return Err(Error::runtime(format!("wgpu {name}: an operand exceeds the adapter's storage binding limit")));
        }
        o.layout.offset -= base;
        binds.push(Bind { buf: o.buf.raw(), offset: start, size });
    }
    binds.push(Bind { buf: &ctx.index_flag, offset: 0, size: crate::context::FLAG_BYTES });
    ctx.flag_armed.store(true, std::sync::atomic::Ordering::Release);
    let mut info = info_for(&ops, 0);
    info[PARAM..PARAM + params.len()].copy_from_slice(params);
    ctx.dispatch(&k, &binds, &info, grid(ops[0].layout.numel(), WG))
}

/// `out[i] = src[i with dim replaced by index[i]]`; out and index share a shape.
pub fn gather(src: &GView, dim: usize, index: &GView, out: &GView) -> Result<()> {
    gather_as(src, dim, index, out, OnBadIndex::Gather)
}

fn gather_as(src: &GView, dim: usize, index: &GView, out: &GView, on: OnBadIndex) -> Result<()> {
    check_ranks("gather", index, &[src, out], dim)?;
    check(src.dtype)?;
    if out.layout.sizes != index.layout.sizes {
        return Err(Error::runtime("wgpu gather: out must have the index's shape"));
    }
    let sizes = &index.layout.sizes;
    let ops = vec![
        Op::of(out, true)?,
        Op::of(index, false)?,
        Op { buf: src.buf, layout: walked(src, sizes, dim), dtype: src.dtype, write: false },
    ];
    let (sd, od) = (src.dtype, out.dtype);
    let params = [
        src.layout.strides.get(dim).copied().unwrap_or(0) as u32,
        src.layout.sizes.get(dim).copied().unwrap_or(1) as u32,
        code(on),
        dim as u32,
    ];
    let zero = convert(DType::I32, od, "0");
    launch(&format!("gather.{}.{}", tag(sd), tag(od)), &format!("gather_{}", tag(sd)), ops, &[*out, *index, *src], &params, |dts, rw| {
        let mut s = bindings(dts, rw);
        s += &accessors(0, dts[0], true);
        s += &accessors(1, dts[1], false);
        s += &accessors(2, dts[2], false);
        s += CONVERT_FNS;
        s += OFFSETS;
        s += GID;
        s += &format!(
            r#"@compute @workgroup_size({WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) l: u32) {{
    let i = gid(w, nw, l, {WG}u);
    if (i >= info[0]) {{ return; }}
    let o = offsets(i);
    let iv = ld1(o.y);
    if (iv.y != 0u || iv.x >= info[49]) {{ flag_bad(info[50], iv, info[49], info[51]); st0(o.x, {zero}); return; }}
    let j = iv.x;
    st0(o.x, {});
}}
"#,
            convert(sd, od, "ld2(o.z + j * info[48])")
        );
        s
    })
}

/// `out = src.index_select(dim, index)` with a 1-d int64 index.
pub fn index_select(src: &GView, dim: usize, index: &GView, out: &GView) -> Result<()> {
    let idx = expand_index(index, &out.layout.sizes, dim)?;
    gather_as(src, dim, &GView::new(index.buf, &idx, index.dtype), out, OnBadIndex::Select)
}

/// A 1-d index viewed over `sizes`, varying only along `dim`.
fn expand_index(index: &GView, sizes: &[usize], dim: usize) -> Result<Layout> {
    if index.layout.ndim() > 1 || dim >= sizes.len().max(1) || index.layout.numel() != sizes.get(dim).copied().unwrap_or(1) {
        return Err(Error::index("index_select(): Index is supposed to be a vector whose length matches the output along dim"));
    }
    let s = index.layout.strides.first().copied().unwrap_or(0);
    Ok(Layout::new(
        sizes.to_vec(),
        (0..sizes.len()).map(|d| if d == dim { s } else { 0 }).collect::<ember_layout::InlineVec<_>>(),
        index.layout.offset,
    ))
}

/// `dst[i with dim replaced by index[i]] += alpha · src[i]` over the index's shape
/// (float32 or int32 `dst`; `src` converted to `dst`'s dtype).
pub fn scatter_add(dst: &GView, dim: usize, index: &GView, src: &GView, alpha: f64) -> Result<()> {
    scatter_add_as(dst, dim, index, src, alpha, OnBadIndex::Gather)
}

fn scatter_add_as(dst: &GView, dim: usize, index: &GView, src: &GView, alpha: f64, on: OnBadIndex) -> Result<()> {
    check_ranks("scatter_add", index, &[src, dst], dim)?;
    let dd = dst.dtype;
    if !matches!(dd, DType::F32 | DType::I32) {
        return Err(Error::type_(format!("wgpu scatter_add supports float32 and int32 destinations, got {}", dd.name())));
    }
    check(src.dtype)?;
    let sizes = &index.layout.sizes;
    if sizes.iter().zip(&src.layout.sizes).any(|(a, b)| a > b) {
        return Err(Error::runtime("scatter_add(): Expected index to be smaller than src in every dimension"));
    }
    let src_walk = Layout::new(sizes.to_vec(), src.layout.strides.clone(), src.layout.offset);
    let ops = vec![
        Op { buf: dst.buf, layout: walked(dst, sizes, dim), dtype: dd, write: true },
        Op::of(index, false)?,
        Op { buf: src.buf, layout: src_walk, dtype: src.dtype, write: false },
    ];
    let sd = src.dtype;
    let mut params = vec![dst.layout.strides.get(dim).copied().unwrap_or(0) as u32, dst.layout.sizes.get(dim).copied().unwrap_or(1) as u32];
    params.extend_from_slice(&scalar_words(dd, alpha)[..1]);
    params.extend_from_slice(&[code(on), dim as u32]);
    let ct = compute_ty(dd);
    let v = format!("{} * {}", convert(sd, dd, "ld2(o.z)"), scalar_param(dd, PARAM + 2));
    let add = if dd == DType::F32 {
        "loop {\n        let old = atomicLoad(&b0[k]);\n        let r = atomicCompareExchangeWeak(&b0[k], old, bitcast<u32>(bitcast<f32>(old) + v));\n        if (r.exchanged) { break; }\n    }"
    } else {
        "atomicAdd(&b0[k], v);"
    };
    let atomic_ty = if dd == DType::F32 { "u32" } else { "i32" };
    launch(
        &format!("scatter_add.{}.{}", tag(sd), tag(dd)),
        &format!("scatter_add_{}", tag(dd)),
        ops,
        &[*dst, *index, *src],
        &params,
        |dts, rw| {
            let mut s = bindings(dts, rw)
                .replace(&format!("b0: array<{}>", crate::dtype::storage_ty(dd)), &format!("b0: array<atomic<{atomic_ty}>>"));
            s += &accessors(1, dts[1], false);
            s += &accessors(2, dts[2], false);
            s += CONVERT_FNS;
            s += OFFSETS;
            s += GID;
            s += &format!(
                r#"@compute @workgroup_size({WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) l: u32) {{
    let i = gid(w, nw, l, {WG}u);
    if (i >= info[0]) {{ return; }}
    let o = offsets(i);
    let iv = ld1(o.y);
    if (iv.y != 0u || iv.x >= info[49]) {{ flag_bad(info[51], iv, info[49], info[52]); return; }}
    let k = o.x + iv.x * info[48];
    let v: {ct} = {v};
    {add}
}}
"#
            );
            s
        },
    )
}

/// `dst.index_add_(dim, index, src, alpha)` with a 1-d int64 index.
pub fn index_add(dst: &GView, dim: usize, index: &GView, src: &GView, alpha: f64) -> Result<()> {
    let idx = expand_index(index, &src.layout.sizes, dim)?;
    scatter_add_as(dst, dim, &GView::new(index.buf, &idx, index.dtype), src, alpha, OnBadIndex::Select)
}
