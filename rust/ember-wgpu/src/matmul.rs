//! Batched f32 matmul: `C[b] = alpha · A[b] @ B[b] + beta · Cin[b]` on strided 3-D views.
//!
//! Tiled in workgroup memory with register blocking: 16×16 threads, each computing a
//! TM×TN block held in `vec4<f32>` accumulators named one by one (generated code, no
//! private arrays — indexed private arrays spill to memory on GPUs), operands read from
//! workgroup memory as `vec4`s. Transposed operands arrive as strides: the tile loader
//! walks whichever of A's (m, k) / B's (k, n) dims has stride 1 with neighbouring threads,
//! so global reads stay coalesced without a copy. Every edge is bounds-checked (zero-fill on
//! load, masked store), so any M, N, K (including K = 0: `beta · Cin` or zeros) is exact.
use crate::context::{context, Bind, Context, Kernel};
use crate::plan::{binding_of, rw_flags, rw_tag, GView, Op};
use ember_core::{DType, Error, Result};
use ember_layout::Layout;
use std::fmt::Write;
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Tiling {
    tm: usize,
    tn: usize,
    bk: usize,
}

const SMALL: Tiling = Tiling { tm: 4, tn: 4, bk: 16 };
const LARGE: Tiling = Tiling { tm: 8, tn: 8, bk: 8 };

/// How the tile loader reads an operand: scalars with the fast dim across threads, or
/// `vec4`s along a dense dim whose length, strides and offset are multiples of 4.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Load {
    /// A: k varies fastest across threads (B: n).
    Inner,
    /// A: m varies fastest across threads (B: k).
    Outer,
    /// vec4 loads along k (A) or n (B).
    Vec4,
}

fn source(t: Tiling, la_: Load, lb_: Load, with_c: bool, rw: &[bool]) -> String {
    let (bm, bn, bk) = (16 * t.tm, 16 * t.tn, t.bk);
    let (la, lb) = (bm * bk / 256, bn * bk / 256);
    let acc = |r: usize, c: usize| format!("acc{r}_{c}");
    let mut s = String::new();
    let access = |w: bool| if w { "read_write" } else { "read" };
    let _ = writeln!(s, "@group(0) @binding(0) var<storage, read> info: array<u32>;");
    let _ = writeln!(s, "@group(0) @binding(1) var<storage, read_write> c: array<f32>;");
    let ty = |l: Load| if l == Load::Vec4 { "vec4<f32>" } else { "f32" };
    let _ = writeln!(s, "@group(0) @binding(2) var<storage, {}> a: array<{}>;", access(rw[1]), ty(la_));
    let _ = writeln!(s, "@group(0) @binding(3) var<storage, {}> b: array<{}>;", access(rw[2]), ty(lb_));
    if with_c {
        let _ = writeln!(s, "@group(0) @binding(4) var<storage, {}> cin: array<f32>;", access(rw[3]));
    }
    let _ = writeln!(s, "var<workgroup> As: array<vec4<f32>, {}>;\nvar<workgroup> Bs: array<vec4<f32>, {}>;", bk * bm / 4, bk * bn / 4);
    let _ = writeln!(
        s,
        "@compute @workgroup_size(16, 16)\nfn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {{"
    );
    s += "    let M = info[0]; let N = info[1]; let K = info[2]; let z = w.z + info[3];\n";
    s += "    let a0 = info[4] + z * info[5]; let sam = info[6]; let sak = info[7];\n";
    s += "    let b0 = info[8] + z * info[9]; let sbk = info[10]; let sbn = info[11];\n";
    let _ = writeln!(s, "    let m0 = w.y * {bm}u; let n0 = w.x * {bn}u; let tx = lid.x; let ty = lid.y;");
    for r in 0..t.tm {
        for c in 0..t.tn / 4 {
            let _ = writeln!(s, "    var {} = vec4<f32>(0.0);", acc(r, c));
        }
    }
    let _ = writeln!(s, "    for (var k0 = 0u; k0 < K; k0 += {bk}u) {{");
    if la_ == Load::Vec4 {
        for i in 0..la / 4 {
            let _ = writeln!(
                s,
                "        {{ let e = {i}u * 256u + tid; let kq = e % {kq}u; let mm = e / {kq}u; let gm = m0 + mm; let gk = k0 + kq * 4u;\n          var v = vec4<f32>(0.0); if (gm < M && gk < K) {{ v = a[(a0 + gm * sam + gk) / 4u]; }}\n          As[(kq * 4u) * {q}u + mm / 4u][mm % 4u] = v.x; As[(kq * 4u + 1u) * {q}u + mm / 4u][mm % 4u] = v.y;\n          As[(kq * 4u + 2u) * {q}u + mm / 4u][mm % 4u] = v.z; As[(kq * 4u + 3u) * {q}u + mm / 4u][mm % 4u] = v.w; }}",
                kq = bk / 4,
                q = bm / 4
            );
        }
    }
    for i in 0..if la_ == Load::Vec4 { 0 } else { la } {
        let a_kfast = la_ == Load::Inner;
        let (mm, kk) =
            if a_kfast { (format!("(e / {bk}u)"), format!("(e % {bk}u)")) } else { (format!("(e % {bm}u)"), format!("(e / {bm}u)")) };
        let _ = writeln!(
            s,
            "        {{ let e = {i}u * 256u + tid; let mm = {mm}; let kk = {kk}; let gm = m0 + mm; let gk = k0 + kk;\n          var v = 0.0; if (gm < M && gk < K) {{ v = a[a0 + gm * sam + gk * sak]; }}\n          As[kk * {q}u + mm / 4u][mm % 4u] = v; }}",
            q = bm / 4
        );
    }
    if lb_ == Load::Vec4 {
        for i in 0..lb / 4 {
            let _ = writeln!(
                s,
                "        {{ let e = {i}u * 256u + tid; let nq = e % {q}u; let kk = e / {q}u; let gk = k0 + kk; let gn = n0 + nq * 4u;\n          var v = vec4<f32>(0.0); if (gk < K && gn < N) {{ v = b[(b0 + gk * sbk + gn) / 4u]; }}\n          Bs[kk * {q}u + nq] = v; }}",
                q = bn / 4
            );
        }
    }
    for i in 0..if lb_ == Load::Vec4 { 0 } else { lb } {
        let b_nfast = lb_ == Load::Inner;
        let (kk, nn) =
            if b_nfast { (format!("(e / {bn}u)"), format!("(e % {bn}u)")) } else { (format!("(e % {bk}u)"), format!("(e / {bk}u)")) };
        let _ = writeln!(
            s,
            "        {{ let e = {i}u * 256u + tid; let kk = {kk}; let nn = {nn}; let gk = k0 + kk; let gn = n0 + nn;\n          var v = 0.0; if (gk < K && gn < N) {{ v = b[b0 + gk * sbk + gn * sbn]; }}\n          Bs[kk * {q}u + nn / 4u][nn % 4u] = v; }}",
            q = bn / 4
        );
    }
    s += "        workgroupBarrier();\n";
    let _ = writeln!(s, "        for (var kk = 0u; kk < {bk}u; kk++) {{");
    for j in 0..t.tm / 4 {
        let _ = writeln!(s, "            let av{j} = As[kk * {}u + ty * {}u + {j}u];", bm / 4, t.tm / 4);
    }
    for j in 0..t.tn / 4 {
        let _ = writeln!(s, "            let bv{j} = Bs[kk * {}u + tx * {}u + {j}u];", bn / 4, t.tn / 4);
    }
    let comp = ["x", "y", "z", "w"];
    for r in 0..t.tm {
        for c in 0..t.tn / 4 {
            let _ = writeln!(s, "            {a} = fma(vec4<f32>(av{}.{}), bv{c}, {a});", r / 4, comp[r % 4], a = acc(r, c));
        }
    }
    s += "        }\n        workgroupBarrier();\n    }\n";
    s += "    let alpha = bitcast<f32>(info[20]); let beta = bitcast<f32>(info[21]);\n";
    s += "    let c0 = info[12] + z * info[13]; let scm = info[14]; let scn = info[15];\n";
    if with_c {
        s += "    let i0 = info[16] + z * info[17]; let sim = info[18]; let sin_ = info[19];\n";
    }
    for r in 0..t.tm {
        let _ = writeln!(s, "    {{ let gm = m0 + ty * {}u + {r}u; if (gm < M) {{", t.tm);
        for c in 0..t.tn / 4 {
            for (q, cc) in comp.iter().enumerate() {
                let col = format!("n0 + tx * {}u + {}u", t.tn, c * 4 + q);
                let extra = if with_c { " + beta * cin[i0 + gm * sim + gn * sin_]" } else { "" };
                let _ = writeln!(
                    s,
                    "        {{ let gn = {col}; if (gn < N) {{ c[c0 + gm * scm + gn * scn] = alpha * {}.{cc}{extra}; }} }}",
                    acc(r, c)
                );
            }
        }
        s += "    } }\n";
    }
    s += "}\n";
    s
}

fn kernel(ctx: &Context, t: Tiling, la: Load, lb: Load, with_c: bool, rw: &[bool]) -> Result<Arc<Kernel>> {
    let key = format!("matmul.{}x{}x{}.{la:?}.{lb:?}.{with_c}.{}", t.tm, t.tn, t.bk, rw_tag(rw));
    ctx.kernel(&key, &format!("matmul_{}x{}_f32", 16 * t.tm, 16 * t.tn), rw, || source(t, la, lb, with_c, rw))
}

/// Vec4 loads need the dense dim's length, the other strides and the offset to be
/// multiples of 4 (so every vec4 is aligned and wholly inside or outside the matrix).
fn load_kind(l: &Layout, inner: usize, outer: usize) -> Load {
    let (si, so) = (l.strides[inner], l.strides[outer]);
    if si == 1 && l.sizes[inner].is_multiple_of(4) && so % 4 == 0 && l.strides[0] % 4 == 0 && l.offset.is_multiple_of(4) {
        Load::Vec4
    } else if si == 1 || (so != 1 && si <= so) {
        Load::Inner
    } else {
        Load::Outer
    }
}

fn shape3(v: &GView, what: &str) -> Result<[usize; 3]> {
    if v.layout.ndim() != 3 || v.dtype != DType::F32 {
        return Err(Error::runtime(format!(
            "wgpu matmul: {what} must be a 3-d float32 view (batch, rows, cols), got {}-d {}",
            v.layout.ndim(),
            v.dtype.name()
        )));
    }
    v.validate()?;
    Ok([v.layout.sizes[0], v.layout.sizes[1], v.layout.sizes[2]])
}

/// `out[b] = alpha · a[b] @ b[b] + beta · c_in[b]` for float32 views a: (B, M, K),
/// b: (B, K, N), out and c_in: (B, M, N) (c_in may be broadcast with stride-0 dims, may be
/// `out` itself, and is not read when `beta` is 0 or `c_in` is None).
pub fn matmul(a: &GView, b: &GView, out: &GView, alpha: f32, beta: f32, c_in: Option<&GView>) -> Result<()> {
    let [ba, m, k] = shape3(a, "A")?;
    let [bb, k2, n] = shape3(b, "B")?;
    let [bo, mo, no] = shape3(out, "out")?;
    if ba != bb || ba != bo || k != k2 || m != mo || n != no {
        return Err(Error::runtime(format!(
            "wgpu matmul: shapes {:?} @ {:?} -> {:?} do not match",
            a.layout.sizes, b.layout.sizes, out.layout.sizes
        )));
    }
    let c_in = if beta != 0.0 { c_in } else { None };
    if let Some(c) = c_in {
        if shape3(c, "c_in")? != [bo, m, n] {
            return Err(Error::runtime("wgpu matmul: c_in must be broadcast to the output's shape"));
        }
    }
    let ctx = context()?;
    if bo * m * n == 0 {
        return Ok(());
    }
    let big = (m / 128) * (n / 128) * bo >= 96;
    let t = if big { LARGE } else { SMALL };
    let (la, lb) = (load_kind(a.layout, 2, 1), load_kind(b.layout, 2, 1));
    let mut views = vec![*out, *a, *b];
    views.extend(c_in.copied());
    // Batches per dispatch: each operand's bound range must fit one storage binding.
    let limit = ctx.max_binding();
    let per_batch = views
        .iter()
        .map(|v| {
            let mut one = v.layout.clone();
            one.sizes[0] = 1;
            one.storage_span().map(|(lo, hi)| ((hi - lo) * 4) as u64).unwrap_or(4) + v.layout.strides[0] as u64 * 4
        })
        .max()
        .unwrap_or(4);
    if per_batch + ctx.align() > limit {
        return Err(Error::runtime(format!(
            "wgpu matmul: one matrix spans more than the adapter's {limit}-byte storage binding; split the product"
        )));
    }
    let step = ((limit - ctx.align()) / per_batch).clamp(1, 65535) as usize;
    let mut b0 = 0;
    while b0 < bo {
        let bc = step.min(bo - b0);
        let mut ops = vec![];
        for (i, v) in views.iter().enumerate() {
            let mut l: Layout = v.layout.clone();
            l.offset = (l.offset as isize + b0 as isize * l.strides[0]) as usize;
            l.sizes[0] = bc;
            ops.push(Op { buf: v.buf, layout: l, dtype: DType::F32, write: i == 0 });
        }
        let rw = rw_flags(&ops);
        let kern = kernel(ctx, t, la, lb, c_in.is_some(), &rw)?;
        let mut info = vec![0u32; crate::context::INFO_WORDS];
        info[0] = m as u32;
        info[1] = n as u32;
        info[2] = k as u32;
        let mut binds = vec![];
        for (i, o) in ops.iter().enumerate() {
            let (start, size, base) = binding_of(ctx, o)?;
            let l = &o.layout;
            let w = match i {
                0 => 12,
                1 => 4,
                2 => 8,
                _ => 16,
            };
            info[w] = (l.offset - base) as u32;
            for d in 0..3 {
                info[w + 1 + d] = l.strides[d] as u32;
            }
            binds.push(Bind { buf: o.buf.raw(), offset: start, size });
        }
        info[20] = alpha.to_bits();
        info[21] = beta.to_bits();
        let groups = [n.div_ceil(16 * t.tn) as u32, m.div_ceil(16 * t.tm) as u32, bc as u32];
        ctx.dispatch(&kern, &binds, &info, groups)?;
        b0 += bc;
    }
    Ok(())
}
