//! Views, the info record, dim coalescing, splitting work so every binding fits the
//! adapter's storage-binding limit, and dispatch grids.
//!
//! Info record (u32 words, one per dispatch, binding 0):
//! `[0]` element count, `[1]` rank, `[2]` 1 when every operand is dense (index = offset + i),
//! `[4..12]` shape, `[12..16]` offsets of operands 0..3 (in elements, relative to the
//! binding), `[16 + 8k ..]` strides of operand k, `[48..64]` kernel parameters.
use crate::buffer::GpuBuffer;
use crate::context::{Bind, Context, Kernel, INFO_WORDS};
use crate::dtype::{self, gpu_elem_size};
use ember_core::{DType, Error, Result};
use ember_layout::Layout;

pub const MAX_RANK: usize = 8;
pub(crate) const SHAPE: usize = 4;
pub(crate) const OFF: usize = 12;
pub(crate) const STRIDE: usize = 16;
pub(crate) const PARAM: usize = 48;
/// Threads per workgroup of the elementwise kernels.
pub(crate) const WG: u32 = 256;

/// A tensor on the GPU as kernels see it: a buffer, a strided layout over it (strides and
/// offset in elements, strides ≥ 0) and the dtype of its elements.
#[derive(Clone, Copy, Debug)]
pub struct GView<'a> {
    pub buf: &'a GpuBuffer,
    pub layout: &'a Layout,
    pub dtype: DType,
}

impl<'a> GView<'a> {
    pub fn new(buf: &'a GpuBuffer, layout: &'a Layout, dtype: DType) -> GView<'a> {
        GView { buf, layout, dtype }
    }

    /// Checks the dtype is supported, strides are non-negative, and the layout stays
    /// inside the buffer.
    pub fn validate(&self) -> Result<()> {
        let es = gpu_elem_size(self.dtype)?;
        if self.layout.ndim() > MAX_RANK {
            return Err(Error::runtime(format!("wgpu kernels support tensors of at most {MAX_RANK} dims, got {}", self.layout.ndim())));
        }
        if self.layout.strides.iter().any(|&s| s < 0) {
            return Err(Error::runtime("wgpu kernels need non-negative strides"));
        }
        if let Some((_, hi)) = self.layout.storage_span() {
            if hi * es > self.buf.len() {
                return Err(Error::runtime(format!(
                    "a {} view reaching element {hi} does not fit its {}-byte wgpu buffer",
                    self.dtype.name(),
                    self.buf.len()
                )));
            }
        }
        Ok(())
    }
}

/// One operand of a planned dispatch.
#[derive(Clone)]
pub(crate) struct Op<'a> {
    pub buf: &'a GpuBuffer,
    pub layout: Layout,
    pub dtype: DType,
    pub write: bool,
}

impl<'a> Op<'a> {
    pub fn of(v: &GView<'a>, write: bool) -> Result<Op<'a>> {
        v.validate()?;
        Ok(Op { buf: v.buf, layout: v.layout.clone(), dtype: v.dtype, write })
    }
}

/// Merges adjacent dims that every operand walks as one, and drops size-1 dims, separately
/// within the first `keep` dims and the rest (the kernel treats those two groups apart).
/// Returns the new number of leading dims.
pub(crate) fn coalesce(ops: &mut [Op], keep: usize) -> usize {
    let rank = ops[0].layout.ndim();
    let sizes = ops[0].layout.sizes.clone();
    let mut out_sizes: Vec<usize> = vec![];
    let mut out_strides: Vec<Vec<isize>> = vec![vec![]; ops.len()];
    let mut new_keep = 0;
    for (group, (lo, hi)) in [(0, keep.min(rank)), (keep.min(rank), rank)].into_iter().enumerate() {
        let first = out_sizes.len();
        #[allow(clippy::needless_range_loop)]
        for d in lo..hi {
            if sizes[d] == 1 {
                continue;
            }
            let merge = out_sizes.len() > first
                && ops.iter().enumerate().all(|(k, o)| *out_strides[k].last().unwrap() == o.layout.strides[d] * sizes[d] as isize);
            if merge {
                *out_sizes.last_mut().unwrap() *= sizes[d];
                for (k, o) in ops.iter().enumerate() {
                    *out_strides[k].last_mut().unwrap() = o.layout.strides[d];
                }
            } else {
                out_sizes.push(sizes[d]);
                for (k, o) in ops.iter().enumerate() {
                    out_strides[k].push(o.layout.strides[d]);
                }
            }
        }
        if group == 0 {
            new_keep = out_sizes.len();
        }
    }
    for (k, o) in ops.iter_mut().enumerate() {
        o.layout = Layout::new(out_sizes.clone(), std::mem::take(&mut out_strides[k]), o.layout.offset);
    }
    new_keep
}

/// One chunk of a planned dispatch: the operands' layouts relative to their bindings.
pub(crate) struct Chunk<'a> {
    pub ops: Vec<Op<'a>>,
    pub binds: Vec<(u64, u64)>,
}

pub(crate) fn binding_of(ctx: &Context, op: &Op) -> Result<(u64, u64, usize)> {
    let es = gpu_elem_size(op.dtype)? as u64;
    let (lo, hi) =
        op.layout.storage_span().map(|(a, b)| (a as u64, b as u64)).unwrap_or((op.layout.offset as u64, op.layout.offset as u64 + 1));
    let start = (lo * es) & !(ctx.align() - 1);
    // at least 16 bytes: a vec4 array binding needs one whole element
    let end = (hi * es).next_multiple_of(4).max(start + 16).min(op.buf.capacity());
    Ok((start, end - start, (start / es) as usize))
}

/// Splits the first `splittable` dims until every operand's bound range fits the binding
/// limit and the element count fits a u32.
pub(crate) fn split<'a>(ctx: &Context, ops: Vec<Op<'a>>, splittable: usize) -> Result<Vec<Chunk<'a>>> {
    let limit = ctx.max_binding();
    let mut done = vec![];
    let mut todo = vec![ops];
    while let Some(ops) = todo.pop() {
        let mut fits = ops[0].layout.numel() < (1usize << 31);
        let mut binds = vec![];
        for o in &ops {
            let (start, size, _) = binding_of(ctx, o)?;
            fits &= size <= limit;
            binds.push((start, size));
        }
        if fits {
            let mut ops = ops;
            for o in ops.iter_mut() {
                let (_, _, base) = binding_of(ctx, o)?;
                o.layout.offset -= base;
            }
            done.push(Chunk { ops, binds });
            continue;
        }
        let Some(d) = (0..splittable.min(ops[0].layout.ndim())).find(|&d| ops[0].layout.sizes[d] > 1) else {
            return Err(Error::runtime(format!(
                "a wgpu kernel operand spans more than the adapter's {limit}-byte storage binding and cannot be split further"
            )));
        };
        let n = ops[0].layout.sizes[d];
        let h = n / 2;
        for (start, len) in [(0, h), (h, n - h)] {
            let part: Vec<Op> = ops
                .iter()
                .map(|o| {
                    let mut l = o.layout.clone();
                    l.sizes[d] = len;
                    l.offset = (l.offset as isize + start as isize * l.strides[d]) as usize;
                    Op { layout: l, ..o.clone() }
                })
                .collect();
            todo.push(part);
        }
    }
    done.reverse();
    Ok(done)
}

/// Which bindings must be declared `read_write`: written ones and any sharing their buffer.
pub(crate) fn rw_flags(ops: &[Op]) -> Vec<bool> {
    ops.iter().map(|o| o.write || ops.iter().any(|w| w.write && std::ptr::eq(w.buf.raw(), o.buf.raw()))).collect()
}

pub(crate) fn rw_tag(rw: &[bool]) -> String {
    rw.iter().map(|&b| if b { 'w' } else { 'r' }).collect()
}

/// Storage binding declarations for operands (binding k+1 is `bK`), plus info at binding 0.
pub(crate) fn bindings(dts: &[DType], rw: &[bool]) -> String {
    let mut s = String::from("@group(0) @binding(0) var<storage, read> info: array<u32>;\n");
    for (k, (&dt, &w)) in dts.iter().zip(rw).enumerate() {
        let access = if w { "read_write" } else { "read" };
        s += &format!("@group(0) @binding({}) var<storage, {access}> b{k}: array<{}>;\n", k + 1, dtype::storage_ty(dt));
    }
    s
}

/// Info words for a chunk: count, rank, dense flag, shape, offsets, strides.
pub(crate) fn info_for(ops: &[Op], rank_from: usize) -> Vec<u32> {
    let mut w = vec![0u32; INFO_WORDS];
    let l0 = &ops[0].layout;
    w[0] = l0.numel() as u32;
    let rank = l0.ndim() - rank_from;
    w[1] = rank as u32;
    let dense = ops.iter().all(|o| o.layout.ndim() <= 1 && o.layout.strides.first().is_none_or(|&s| s == 1));
    w[2] = u32::from(dense);
    for (d, &n) in l0.sizes[rank_from..].iter().enumerate() {
        w[SHAPE + d] = n as u32;
    }
    for (k, o) in ops.iter().enumerate().take(4) {
        w[OFF + k] = o.layout.offset as u32;
        for (d, &s) in o.layout.strides[rank_from.min(o.layout.ndim())..].iter().enumerate() {
            w[STRIDE + 8 * k + d] = s as u32;
        }
    }
    w
}

/// A 2-D grid of `WG`-thread workgroups covering `n` threads.
pub(crate) fn grid(n: usize, per_group: u32) -> [u32; 3] {
    let groups = (n as u64).div_ceil(per_group as u64).max(1);
    let x = groups.min(65535);
    [x as u32, groups.div_ceil(x) as u32, 1]
}

/// WGSL: the global thread index of a 2-D grid.
pub(crate) const GID: &str = "fn gid(w: vec3<u32>, n: vec3<u32>, l: u32, wg: u32) -> u32 { return (w.y * n.x + w.x) * wg + l; }\n";

/// WGSL: element offsets of operands 0..3 for linear index `i` (row-major over the shape).
pub(crate) const OFFSETS: &str = r#"
fn offsets(i: u32) -> vec4<u32> {
    let base = vec4<u32>(info[12], info[13], info[14], info[15]);
    if (info[2] == 1u) { return base + vec4<u32>(i); }
    var rem = i;
    var o = base;
    for (var d = i32(info[1]) - 1; d >= 0; d--) {
        let u = u32(d);
        let s = info[4u + u];
        let c = rem % s;
        rem = rem / s;
        o += c * vec4<u32>(info[16u + u], info[24u + u], info[32u + u], info[40u + u]);
    }
    return o;
}
"#;

/// Dispatches `k` over every chunk, with `params` placed at `PARAM`.
pub(crate) fn run_chunks(
    ctx: &Context,
    k: &Kernel,
    chunks: &[Chunk],
    params: &[u32],
    rank_from: usize,
    threads: impl Fn(&Chunk) -> (usize, u32),
) -> Result<()> {
    for c in chunks {
        let mut info = info_for(&c.ops, rank_from);
        info[PARAM..PARAM + params.len()].copy_from_slice(params);
        let binds: Vec<Bind> = c.ops.iter().zip(&c.binds).map(|(o, &(offset, size))| Bind { buf: o.buf.raw(), offset, size }).collect();
        let (n, per) = threads(c);
        ctx.dispatch(k, &binds, &info, grid(n, per))?;
    }
    Ok(())
}

/// Checks that every view has `sizes`.
pub(crate) fn same_shape(what: &str, sizes: &[usize], views: &[&GView]) -> Result<()> {
    for v in views {
        if v.layout.sizes != sizes {
            return Err(Error::runtime(format!(
                "wgpu {what}: operand of shape {:?} does not match the output shape {:?}; broadcast it with stride-0 dims first",
                v.layout.sizes, sizes
            )));
        }
    }
    Ok(())
}
