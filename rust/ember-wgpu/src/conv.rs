//! conv2d helpers (im2col for the forward, col2im for the input gradient; the products
//! themselves are `matmul`) and max_pool2d with int64 indices and its backward.
//!
//! col2im and the pooling backward are gathers (each input element sums the outputs whose
//! windows cover it), so overlapping windows add up without atomics.
use crate::context::{context, Bind, INFO_WORDS};
use crate::dtype::CONVERT_FNS;
use crate::plan::{binding_of, grid, GView, Op, GID, WG};
use ember_core::{DType, Error, Result};

/// Window geometry of a 2-d convolution or pooling: kernel, stride, padding, dilation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Window {
    /// Output size along axis `a` for input size `n` (PyTorch's formula; `ceil_mode` for pooling).
    pub fn out_size(&self, a: usize, n: usize, ceil_mode: bool) -> usize {
        let (k, s, p, d) = (self.kernel[a] as i64, self.stride[a] as i64, self.padding[a] as i64, self.dilation[a] as i64);
        if s <= 0 {
            return 0;
        }
        let span = n as i64 + 2 * p - d * (k - 1) - 1;
        if span < 0 {
            return 0;
        }
        let mut o = (span + if ceil_mode { s - 1 } else { 0 }) / s + 1;
        if ceil_mode && (o - 1) * s >= n as i64 + p {
            o -= 1;
        }
        o.max(0) as usize
    }

    fn check(&self) -> Result<()> {
        if self.kernel.contains(&0) || self.stride.contains(&0) || self.dilation.contains(&0) {
            return Err(Error::runtime("wgpu window: kernel, stride and dilation must be positive"));
        }
        Ok(())
    }
}

/// WGSL: storage index of operand `k` at (a, b, c, d) — each operand's offset and four
/// strides sit at info[16 + 5k ..].
const AT: &str = r#"
fn at(k: u32, a: u32, b: u32, c: u32, d: u32) -> u32 {
    let s = 16u + 5u * k;
    return info[s] + a * info[s + 1u] + b * info[s + 2u] + c * info[s + 3u] + d * info[s + 4u];
}
"#;

/// Info words: [0] thread count, [1..15] N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw;
/// operands' offset + strides from 16.
fn dispatch(name: &str, key: &str, views: &[(&GView, bool)], geom: [usize; 14], threads: usize, body: &str) -> Result<()> {
    let ctx = context()?;
    if threads == 0 {
        return Ok(());
    }
    if threads >= 1 << 31 || geom.iter().any(|&g| g >= 1 << 31) {
        return Err(Error::runtime(format!("wgpu {name}: the tensor is too large for one dispatch")));
    }
    let mut info = vec![0u32; INFO_WORDS];
    info[0] = threads as u32;
    for (i, &g) in geom.iter().enumerate() {
        info[1 + i] = g as u32;
    }
    let mut binds = vec![];
    let mut decl = String::from("@group(0) @binding(0) var<storage, read> info: array<u32>;\n");
    let mut rw = String::new();
    for (k, (v, write)) in views.iter().enumerate() {
        if v.dtype != DType::F32 && v.dtype != DType::I64 {
            return Err(Error::type_(format!("wgpu {name} needs float32 tensors, got {}", v.dtype.name())));
        }
        let op = Op::of(v, *write)?;
        let (start, size, base) = binding_of(ctx, &op)?;
        if size > ctx.max_binding() {
            return Err(Error::runtime(format!("wgpu {name}: an operand exceeds the adapter's storage binding limit")));
        }
        let s = 16 + 5 * k;
        info[s] = (v.layout.offset - base) as u32;
        for (d, &st) in v.layout.strides.iter().enumerate() {
            info[s + 1 + d] = st as u32;
        }
        binds.push(Bind { buf: v.buf.raw(), offset: start, size });
        let aliased = views.iter().any(|(w, wr)| *wr && std::ptr::eq(w.buf.raw(), v.buf.raw()));
        let access = if *write || aliased { "read_write" } else { "read" };
        rw.push(if access == "read" { 'r' } else { 'w' });
        decl += &format!(
            "@group(0) @binding({}) var<storage, {access}> b{k}: array<{}>;\n",
            k + 1,
            if v.dtype == DType::F32 { "f32" } else { "u32" }
        );
    }
    let flags: Vec<bool> = rw.chars().map(|c| c == 'w').collect();
    let k = ctx.kernel(&format!("{key}.{rw}"), name, &flags, || {
        format!(
            "{decl}{CONVERT_FNS}{AT}{GID}@compute @workgroup_size({WG})\nfn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) l: u32) {{\n    let i = gid(w, nw, l, {WG}u);\n    if (i >= info[0]) {{ return; }}\n    let N = info[1]; let C = info[2]; let H = info[3]; let W = info[4]; let OH = info[5]; let OW = info[6];\n    let KH = info[7]; let KW = info[8]; let SH = info[9]; let SW = info[10]; let PH = info[11]; let PW = info[12]; let DH = info[13]; let DW = info[14];\n{body}\n}}\n"
        )
    })?;
    ctx.dispatch(&k, &binds, &info, grid(threads, WG))
}

fn dims4(v: &GView, what: &str) -> Result<[usize; 4]> {
    match v.layout.sizes[..] {
        [a, b, c, d] => Ok([a, b, c, d]),
        _ => Err(Error::runtime(format!("wgpu {what}: expected a 4-d (N, C, H, W) view, got shape {:?}", v.layout.sizes))),
    }
}

/// `cols[n, (c·kh + i)·kw + j, oh·OW + ow] = src[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]`
/// (0 in the padding); `cols` is (N, C·kh·kw, OH·OW).
pub fn im2col(src: &GView, win: &Window, cols: &GView) -> Result<()> {
    win.check()?;
    let [n, c, h, w] = dims4(src, "im2col")?;
    let (oh, ow) = (win.out_size(0, h, false), win.out_size(1, w, false));
    let want = [n, c * win.kernel[0] * win.kernel[1], oh * ow];
    if cols.layout.sizes != want {
        return Err(Error::runtime(format!("wgpu im2col: cols must have shape {want:?}, got {:?}", cols.layout.sizes)));
    }
    let body = r#"    let L = OH * OW; let R = C * KH * KW;
    let col = i % L; let row = (i / L) % R; let n = i / (L * R);
    let kj = row % KW; let ki = (row / KW) % KH; let c = row / (KW * KH);
    let oh = col / OW; let ow = col % OW;
    let h = i32(oh * SH + ki * DH) - i32(PH); let x = i32(ow * SW + kj * DW) - i32(PW);
    var v = 0.0;
    if (h >= 0 && h < i32(H) && x >= 0 && x < i32(W)) { v = b1[at(1u, n, c, u32(h), u32(x))]; }
    b0[at(0u, n, row, col, 0u)] = v;"#;
    let g = geom([n, c, h, w], [oh, ow], win);
    dispatch("im2col_f32", "im2col", &[(cols, true), (src, false)], g, want.iter().product(), body)
}

fn geom(nchw: [usize; 4], o: [usize; 2], win: &Window) -> [usize; 14] {
    [
        nchw[0],
        nchw[1],
        nchw[2],
        nchw[3],
        o[0],
        o[1],
        win.kernel[0],
        win.kernel[1],
        win.stride[0],
        win.stride[1],
        win.padding[0],
        win.padding[1],
        win.dilation[0],
        win.dilation[1],
    ]
}

/// The adjoint of `im2col`: `out[n, c, h, w] = Σ cols[…]` over the windows covering (h, w).
/// `out` is (N, C, H, W) and fully overwritten.
pub fn col2im(cols: &GView, win: &Window, out: &GView) -> Result<()> {
    win.check()?;
    let [n, c, h, w] = dims4(out, "col2im")?;
    let (oh, ow) = (win.out_size(0, h, false), win.out_size(1, w, false));
    let want = [n, c * win.kernel[0] * win.kernel[1], oh * ow];
    if cols.layout.sizes != want {
        return Err(Error::runtime(format!("wgpu col2im: cols must have shape {want:?}, got {:?}", cols.layout.sizes)));
    }
    let body = r#"    let x = i % W; let h = (i / W) % H; let c = (i / (W * H)) % C; let n = i / (W * H * C);
    var acc = 0.0;
    for (var ki = 0u; ki < KH; ki++) {
        let th = i32(h + PH) - i32(ki * DH);
        if (th < 0 || u32(th) % SH != 0u || u32(th) / SH >= OH) { continue; }
        let oh = u32(th) / SH;
        for (var kj = 0u; kj < KW; kj++) {
            let tw = i32(x + PW) - i32(kj * DW);
            if (tw < 0 || u32(tw) % SW != 0u || u32(tw) / SW >= OW) { continue; }
            let ow = u32(tw) / SW;
            acc += b1[at(1u, n, (c * KH + ki) * KW + kj, oh * OW + ow, 0u)];
        }
    }
    b0[at(0u, n, c, h, x)] = acc;"#;
    let g = geom([n, c, h, w], [oh, ow], win);
    dispatch("col2im_f32", "col2im", &[(out, true), (cols, false)], g, n * c * h * w, body)
}

/// max_pool2d: `out` (N, C, OH, OW) float32 and `indices` (same shape, int64: h·W + w of
/// the max in its plane, first one on ties, NaN wins as in PyTorch). Output sizes follow
/// `Window::out_size(.., ceil_mode)`.
pub fn max_pool2d(src: &GView, win: &Window, ceil_mode: bool, out: &GView, indices: &GView) -> Result<()> {
    win.check()?;
    let [n, c, h, w] = dims4(src, "max_pool2d")?;
    let (oh, ow) = (win.out_size(0, h, ceil_mode), win.out_size(1, w, ceil_mode));
    if out.layout.sizes != [n, c, oh, ow] || indices.layout.sizes != [n, c, oh, ow] || indices.dtype != DType::I64 {
        return Err(Error::runtime(format!("wgpu max_pool2d: out and int64 indices must have shape {:?}", [n, c, oh, ow])));
    }
    if win.padding[0] * 2 > win.kernel[0] || win.padding[1] * 2 > win.kernel[1] {
        return Err(Error::runtime("pad should be at most half of effective kernel size"));
    }
    let body = r#"    let ow = i % OW; let oh = (i / OW) % OH; let c = (i / (OW * OH)) % C; let n = i / (OW * OH * C);
    var best = bitcast<f32>(0xff800000u);
    var bi = 0xffffffffu;
    for (var ki = 0u; ki < KH; ki++) {
        let h = i32(oh * SH + ki * DH) - i32(PH);
        if (h < 0 || h >= i32(H)) { continue; }
        for (var kj = 0u; kj < KW; kj++) {
            let x = i32(ow * SW + kj * DW) - i32(PW);
            if (x < 0 || x >= i32(W)) { continue; }
            let v = b2[at(2u, n, c, u32(h), u32(x))];
            if (bi == 0xffffffffu || v > best || isnan_(v)) {
                best = v;
                bi = u32(h) * W + u32(x);
                if (isnan_(v)) { break; }
            }
        }
        if (isnan_(best)) { break; }
    }
    b0[at(0u, n, c, oh, ow)] = best;
    let k = at(1u, n, c, oh, ow);
    b1[2u * k] = bi;
    b1[2u * k + 1u] = 0u;"#;
    let g = geom([n, c, h, w], [oh, ow], win);
    dispatch("max_pool2d_f32", "max_pool2d", &[(out, true), (indices, true), (src, false)], g, n * c * oh * ow, body)
}

/// Gradient of max_pool2d: `grad_in[n, c, h, w] = Σ grad_out` over the outputs whose index
/// is (h, w) (overlapping windows sum). `grad_in` is (N, C, H, W) and fully overwritten.
pub fn max_pool2d_backward(grad_out: &GView, indices: &GView, win: &Window, ceil_mode: bool, grad_in: &GView) -> Result<()> {
    win.check()?;
    let [n, c, h, w] = dims4(grad_in, "max_pool2d_backward")?;
    let (oh, ow) = (win.out_size(0, h, ceil_mode), win.out_size(1, w, ceil_mode));
    if grad_out.layout.sizes != [n, c, oh, ow] || indices.layout.sizes != [n, c, oh, ow] || indices.dtype != DType::I64 {
        return Err(Error::runtime(format!("wgpu max_pool2d_backward: grad_out and indices must have shape {:?}", [n, c, oh, ow])));
    }
    let body = r#"    let x = i % W; let h = (i / W) % H; let c = (i / (W * H)) % C; let n = i / (W * H * C);
    let me = h * W + x;
    var acc = 0.0;
    for (var ki = 0u; ki < KH; ki++) {
        let th = i32(h + PH) - i32(ki * DH);
        if (th < 0 || u32(th) % SH != 0u || u32(th) / SH >= OH) { continue; }
        let oh = u32(th) / SH;
        for (var kj = 0u; kj < KW; kj++) {
            let tw = i32(x + PW) - i32(kj * DW);
            if (tw < 0 || u32(tw) % SW != 0u || u32(tw) / SW >= OW) { continue; }
            let ow = u32(tw) / SW;
            if (b2[2u * at(2u, n, c, oh, ow)] == me) { acc += b1[at(1u, n, c, oh, ow)]; }
        }
    }
    b0[at(0u, n, c, h, x)] = acc;"#;
    let g = geom([n, c, h, w], [oh, ow], win);
    dispatch(
        "max_pool2d_backward_f32",
        "max_pool2d_backward",
        &[(grad_in, true), (grad_out, false), (indices, false)],
        g,
        n * c * h * w,
        body,
    )
}
