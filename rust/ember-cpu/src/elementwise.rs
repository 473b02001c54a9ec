//! The elementwise engine: N operands (operand 0 is the output) viewed at one shape.
//!
//! 1. walk the dims in the output's memory order (largest output stride outermost), so an
//!    output laid out like its inputs (`x.t() + y.t()`) is written front to back, then
//!    coalesce dims shared by every operand (`ember_layout::coalesce`);
//! 2. pick a fast path *as data* (`Path`): one contiguous run, an inner dim where some input
//!    is broadcast (stride 0), 2-D tiles when an input is transposed, or a strided walk;
//! 3. split rows (or tiles) across threads above the grain size;
//! 4. hand each row to a typed inner loop that the compiler vectorizes when strides are 1.
use crate::threads::{chunks_for, parallel_for, split_range};
use crate::{DType, Element, Layout, Result, Storage};
use ember_core::layout::{broadcast_strides, coalesce, memory_order, StridedIter};
use std::borrow::Cow;

/// The fast path an elementwise kernel takes, as data (noted for `ember.inspect` tracing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    Contiguous,
    BroadcastInner,
    Tiled,
    Strided,
}

impl Path {
    pub fn name(self) -> &'static str {
        match self {
            Path::Contiguous => "contiguous",
            Path::BroadcastInner => "broadcast-inner",
            Path::Tiled => "tiled-2d",
            Path::Strided => "strided",
        }
    }
}

/// Records the fast path taken for `ember.inspect` (see `trace.rs`; one thread-local store).
pub fn set_last_path(p: Path, threads: usize) {
    crate::trace::note("elementwise", p.name(), threads);
}

const TILE: usize = 64;

/// How `zip` walks its operands, decided before any element is touched. Generic over the
/// operand count only: planning inside `zip` itself was compiled again for every kernel
/// closure (hundreds of copies of the permute/coalesce/path code).
struct ZipPlan<const N: usize> {
    cs: Vec<usize>,
    cst: Vec<[isize; N]>,
    base: [isize; N],
    path: Path,
}

#[inline(never)]
fn zip_plan<const N: usize>(shape: &[usize], strides: [&[isize]; N], offsets: [usize; N]) -> Option<ZipPlan<N>> {
    if shape.iter().product::<usize>() == 0 {
        return None;
    }
    if let Some(p) = memory_order(strides[0]) {
        let ps: Vec<usize> = p.iter().map(|&d| shape[d]).collect();
        let pst: [Vec<isize>; N] = std::array::from_fn(|k| p.iter().map(|&d| strides[k][d]).collect());
        return zip_plan(&ps, std::array::from_fn(|k| pst[k].as_slice()), offsets);
    }
    let (cs, cst) = coalesce(shape, strides);
    let base: [isize; N] = offsets.map(|o| o as isize);
    let nd = cs.len();
    let inner = cst[nd - 1];
    // Tiles pay off when some input walks its inner dim with a large stride but the
    // outer dim with stride 1 (a transposed read): a TILE×TILE block fits in L1.
    let transposed = nd >= 2 && (1..N).any(|k| inner[k].abs() > 1 && cst[nd - 2][k].abs() == 1);
    let path = if nd == 1 && inner.iter().all(|&s| s == 1) {
        Path::Contiguous
    } else if transposed {
        Path::Tiled
    } else if inner[0] == 1 && (1..N).all(|k| inner[k] == 1 || inner[k] == 0) {
        Path::BroadcastInner
    } else {
        Path::Strided
    };
    Some(ZipPlan { cs, cst, base, path })
}

/// Drives `row(base_offsets, len, inner_strides)` over every inner row of the operands.
/// `strides[k]` are operand k's strides at `shape` (0 where broadcast); offsets in elements.
pub fn zip<const N: usize>(
    shape: &[usize],
    strides: [&[isize]; N],
    offsets: [usize; N],
    row: impl Fn([isize; N], usize, [isize; N]) + Sync + Send,
) {
    let Some(ZipPlan { cs, cst, base, path }) = zip_plan(shape, strides, offsets) else {
        return;
    };
    if path == Path::Tiled {
        return zip_tiled(&TilePlan::new(&cs, &cst, base), row);
    }
    let nd = cs.len();
    let (inner, ilen) = (cst[nd - 1], cs[nd - 1]);
    let numel: usize = cs.iter().product();
    let rows = numel / ilen;
    if rows == 1 {
        // One long row: split it into pieces.
        let n = chunks_for(ilen);
        set_last_path(path, n);
        parallel_for(n, |c| {
            let (s, e) = split_range(ilen, n, c);
            let off: [isize; N] = std::array::from_fn(|k| base[k] + s as isize * inner[k]);
            row(off, e - s, inner);
        });
        return;
    }
    let n = chunks_for(numel).min(rows);
    set_last_path(path, n);
    parallel_for(n, |c| {
        let (s, e) = split_range(rows, n, c);
        for off in StridedIter::new(&cs, &cst, base, s, e - s) {
            row(off, ilen, inner);
        }
    });
}

/// The geometry of a tiled walk (see `zip_plan`: generic over the operand count only).
struct TilePlan<const N: usize> {
    r: usize,
    c: usize,
    rs: [isize; N],
    inner: [isize; N],
    tiles_r: usize,
    jobs: usize,
    n: usize,
    base: [isize; N],
    outer_shape: Vec<usize>,
    outer_strides: Vec<[isize; N]>,
}

impl<const N: usize> TilePlan<N> {
    #[inline(never)]
    fn new(cs: &[usize], cst: &[[isize; N]], base: [isize; N]) -> Self {
        let nd = cs.len();
        let (r, c) = (cs[nd - 2], cs[nd - 1]);
        let planes: usize = cs[..nd - 2].iter().product();
        let tiles_r = r.div_ceil(TILE);
        let jobs = planes * tiles_r;
        let n = chunks_for(planes * r * c).min(jobs);
        set_last_path(Path::Tiled, n);
        TilePlan {
            r,
            c,
            rs: cst[nd - 2],
            inner: cst[nd - 1],
            tiles_r,
            jobs,
            n,
            base,
            outer_shape: cs[..nd - 2].iter().copied().chain([1]).collect(),
            outer_strides: cst[..nd - 2].iter().copied().chain([[0; N]]).collect(),
        }
    }

    /// The base offsets of outer plane `plane`.
    #[inline(never)]
    fn plane_base(&self, plane: usize) -> [isize; N] {
        StridedIter::new(&self.outer_shape, &self.outer_strides, self.base, plane, 1).next().unwrap()
    }
}

/// Walks the last two coalesced dims in TILE×TILE blocks (outer dims row by row).
fn zip_tiled<const N: usize>(t: &TilePlan<N>, row: impl Fn([isize; N], usize, [isize; N]) + Sync + Send) {
    let (r, c, rs, inner, tiles_r) = (t.r, t.c, t.rs, t.inner, t.tiles_r);
    parallel_for(t.n, |chunk| {
        let (s, e) = split_range(t.jobs, t.n, chunk);
        for job in s..e {
            let (plane, tr) = (job / tiles_r, job % tiles_r);
            let pbase = t.plane_base(plane);
            let (r0, r1) = (tr * TILE, ((tr + 1) * TILE).min(r));
            for c0 in (0..c).step_by(TILE) {
                let w = TILE.min(c - c0);
                for i in r0..r1 {
                    let off: [isize; N] = std::array::from_fn(|k| pbase[k] + i as isize * rs[k] + c0 as isize * inner[k]);
                    row(off, w, inner);
                }
            }
        }
    });
}

/// A raw pointer that may cross threads: each chunk writes disjoint elements.
#[derive(Clone, Copy)]
pub struct SendPtr<T>(pub *mut T);
// SAFETY: SendPtr only carries the pointer across threads; `zip` gives every task disjoint output rows, and the
// storages outlive it.
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

/// Whether this CPU has AVX2+FMA: contiguous rows then run a copy of the loop compiled for
/// it (runtime dispatch; the build itself targets the baseline CPU so it runs anywhere).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn wide() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

#[inline(always)]
/// # Safety: `o` and `a` point to `n` valid elements each; `o`'s are written by no one else during the call and
/// don't overlap `a`'s (in-place rows use `map1_same`).
unsafe fn map1<A: Element, D: Element>(o: *mut D, a: *const A, n: usize, f: &impl Fn(A) -> D) {
    let (o, a) = (std::slice::from_raw_parts_mut(o, n), std::slice::from_raw_parts(a, n));
    for (x, &y) in o.iter_mut().zip(a) {
        *x = f(y);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
/// # Safety: as `map1`, and the CPU has AVX2 and FMA (checked by `wide()`).
unsafe fn map1_avx2<A: Element, D: Element>(o: *mut D, a: *const A, n: usize, f: &impl Fn(A) -> D) {
    map1(o, a, n, f)
}

#[inline(always)]
/// # Safety: `o`, `a`, `b` point to `n` valid elements each; `o`'s are written by no one else during the call.
unsafe fn map2<A: Element, B: Element, D: Element>(o: *mut D, a: *const A, b: *const B, n: usize, f: &impl Fn(A, B) -> D) {
    let o = std::slice::from_raw_parts_mut(o, n);
    let (a, b) = (std::slice::from_raw_parts(a, n), std::slice::from_raw_parts(b, n));
    for i in 0..n {
        o[i] = f(a[i], b[i]);
    }
}

/// `out[i] = f(out[i])`: an in-place row. Reading through the output pointer itself tells the
/// vectorizer the dependence distance is 0; with two pointers that happen to be equal its
/// runtime overlap check fails and every in-place op (`relu_`, `neg_`) ran the scalar loop.
/// # Safety
/// `o` points to `n` initialized elements of `D` that nothing else accesses during the call,
/// and `A == D` in layout (the caller runs this only for an in-place op on its own dtype).
#[inline(always)]
unsafe fn map1_same<A: Element, D: Element>(o: *mut D, n: usize, f: &impl Fn(A) -> D) {
    let a = o as *const A;
    for i in 0..n {
        *o.add(i) = f(*a.add(i));
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
/// # Safety
/// As `map1_same`, and the CPU has AVX2 and FMA (checked by the caller at run time).
unsafe fn map1_same_avx2<A: Element, D: Element>(o: *mut D, n: usize, f: &impl Fn(A) -> D) {
    map1_same(o, n, f)
}

/// Whether a stride-1 input starts where the stride-1 output does, with the same element size
/// (an in-place op): the row then runs one of the `*_same` loops.
#[inline(always)]
fn same<X, D>(o: *mut D, x: *const X) -> bool {
    o as usize == x as usize && std::mem::size_of::<X>() == std::mem::size_of::<D>()
}

/// `out[i] = f(a[i])` over a row; the `1,1` case is a plain slice loop that vectorizes.
#[inline(always)]
/// # Safety: `o + i·so` and `a + i·sa` are valid elements for every i < n (a row of layouts that fit their
/// storages), and the row of `o` is written by this task alone.
unsafe fn row1<A: Element, D: Element>(o: *mut D, a: *const A, n: usize, so: isize, sa: isize, f: &impl Fn(A) -> D) {
    if so == 1 && sa == 1 {
        let inplace = same(o, a);
        #[cfg(target_arch = "x86_64")]
        if wide() {
            // Align the input (and the output, when in place): see `head_len`.
            let h = head_len(a, n); // < n: both pieces lie inside the row
            return if inplace {
                map1_same_avx2(o, h, f);
                map1_same_avx2(o.add(h), n - h, f)
            } else {
                map1_avx2(o, a, h, f);
                map1_avx2(o.add(h), a.add(h), n - h, f)
            };
        }
        if inplace {
            map1_same(o, n, f)
        } else {
            map1(o, a, n, f)
        }
    } else if so == 1 && sa == 0 {
        let v = f(*a);
        std::slice::from_raw_parts_mut(o, n).fill(v);
    } else {
        for i in 0..n as isize {
            *o.offset(i * so) = f(*a.offset(i * sa));
        }
    }
}

/// A contiguous-output row of a binary op whose inputs are each stride 1 or broadcast
/// (stride 0, `A_STEP`/`B_STEP` false), with in-place outputs read through the output pointer
/// (see `map1_same`). The broadcast value is read once, before anything is written.
/// # Safety
/// Each pointer addresses the row it is read or written as (`n` elements, or one for a
/// broadcast operand), checked against its storage by the caller's geometry checks.
#[inline(always)]
unsafe fn map2_rows<A: Element, B: Element, D: Element, const A_STEP: bool, const B_STEP: bool>(
    o: *mut D,
    a: *const A,
    b: *const B,
    n: usize,
    f: &impl Fn(A, B) -> D,
) {
    match (A_STEP, B_STEP) {
        (true, true) if same(o, a) => {
            let a = o as *const A;
            for i in 0..n {
                *o.add(i) = f(*a.add(i), *b.add(i));
            }
        }
        (true, true) if same(o, b) => {
            let b = o as *const B;
            for i in 0..n {
                *o.add(i) = f(*a.add(i), *b.add(i));
            }
        }
        (true, true) => map2(o, a, b, n, f),
        (true, false) => {
            let bv = *b;
            if same(o, a) {
                let a = o as *const A;
                for i in 0..n {
                    *o.add(i) = f(*a.add(i), bv);
                }
            } else {
                let (o, a) = (std::slice::from_raw_parts_mut(o, n), std::slice::from_raw_parts(a, n));
                for i in 0..n {
                    o[i] = f(a[i], bv);
                }
            }
        }
        (false, true) => {
            let av = *a;
            if same(o, b) {
                let b = o as *const B;
                for i in 0..n {
                    *o.add(i) = f(av, *b.add(i));
                }
            } else {
                let (o, b) = (std::slice::from_raw_parts_mut(o, n), std::slice::from_raw_parts(b, n));
                for i in 0..n {
                    o[i] = f(av, b[i]);
                }
            }
        }
        (false, false) => std::slice::from_raw_parts_mut(o, n).fill(f(*a, *b)),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
/// # Safety
/// As `map2_rows`, and the CPU has AVX2 and FMA (checked by the caller at run time).
unsafe fn map2_rows_avx2<A: Element, B: Element, D: Element, const A_STEP: bool, const B_STEP: bool>(
    o: *mut D,
    a: *const A,
    b: *const B,
    n: usize,
    f: &impl Fn(A, B) -> D,
) {
    map2_rows::<A, B, D, A_STEP, B_STEP>(o, a, b, n, f)
}

/// Runs `map2_rows` compiled for AVX2+FMA where the CPU has them.
/// # Safety
/// As `map2_rows`.
#[inline(always)]
unsafe fn rows2<A: Element, B: Element, D: Element, const A_STEP: bool, const B_STEP: bool>(
    o: *mut D,
    a: *const A,
    b: *const B,
    n: usize,
    f: &impl Fn(A, B) -> D,
) {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // Align the first stepping operand (the output itself for an in-place op, and its
        // partner too when both came from one allocator), see `head_len`.
        // h < n (see `head_len`), so both pieces lie inside the row the caller vouched for.
        let h = if A_STEP { head_len(a, n) } else { head_len(o, n) };
        let (sa, sb) = (if A_STEP { h } else { 0 }, if B_STEP { h } else { 0 });
        map2_rows_avx2::<A, B, D, A_STEP, B_STEP>(o, a, b, h, f);
        return map2_rows_avx2::<A, B, D, A_STEP, B_STEP>(o.add(h), a.add(sa), b.add(sb), n - h, f);
    }
    map2_rows::<A, B, D, A_STEP, B_STEP>(o, a, b, n, f)
}

/// How many leading elements of a long stride-1 row to run apart so that `p` is 32-byte
/// aligned for the rest. NumPy's buffers start 16 bytes past a cache line, and then every
/// other 32-byte load or store of the vector loop splits a line: an in-place `p.add_(g)` on
/// 78 400 floats (L2-resident) ran 7.5 µs instead of 5.9 µs aligned. Always less than `n`.
#[inline(always)]
fn head_len<T>(p: *const T, n: usize) -> usize {
    let (size, mis) = (std::mem::size_of::<T>(), p as usize % 32);
    if n < 256 || mis == 0 || size == 0 || mis % size != 0 {
        return 0;
    }
    (32 - mis) / size
}

/// # Safety
/// As `map2_rows`.
#[inline(always)]
unsafe fn row2<A: Element, B: Element, D: Element>(
    o: *mut D,
    a: *const A,
    b: *const B,
    n: usize,
    [so, sa, sb]: [isize; 3],
    f: &impl Fn(A, B) -> D,
) {
    match (so, sa, sb) {
        (1, 1, 1) => rows2::<A, B, D, true, true>(o, a, b, n, f),
        (1, 1, 0) => rows2::<A, B, D, true, false>(o, a, b, n, f),
        (1, 0, 1) => rows2::<A, B, D, false, true>(o, a, b, n, f),
        _ => {
            for i in 0..n as isize {
                *o.offset(i * so) = f(*a.offset(i * sa), *b.offset(i * sb));
            }
        }
    }
}

/// The element count when the output and every input are row-major over the same sizes and
/// the job is too small to split: one row, with none of `zip`'s planning (a 10-element
/// `a + b` spent a third of its kernel time building the plan's vectors).
#[inline]
fn small_dense(ld: &Layout, inputs: &[&Layout]) -> Option<usize> {
    let n = ld.numel();
    let dense = |l: &Layout| l.sizes == ld.sizes && l.is_contiguous();
    (n > 0 && chunks_for(n) == 1 && dense(ld) && inputs.iter().all(|l| dense(l))).then(|| {
        set_last_path(Path::Contiguous, 1);
        n
    })
}

/// `dst[...] = f(src[...])` where `dst` has layout `ld` and `src` is read with `ls`
/// broadcast to `ld.sizes`.
pub fn unary_into<A: Element, D: Element>(dst: &Storage, ld: &Layout, src: &Storage, ls: &Layout, f: impl Fn(A) -> D + Sync + Send) {
    if let Some(n) = small_dense(ld, &[ls]) {
        // SAFETY: both layouts are row-major over the same sizes and fit their storages, so
        // `n` elements from each offset are in bounds; one thread writes them.
        unsafe { row1((dst.ptr() as *mut D).add(ld.offset), (src.ptr() as *const A).add(ls.offset), n, 1, 1, &f) };
        return;
    }
    let sa = broadcast_strides(&ls.sizes, &ls.strides, &ld.sizes);
    let (o, a) = (SendPtr(dst.ptr() as *mut D), SendPtr(src.ptr() as *mut A));
    // SAFETY: `zip` walks ld's elements (ld fits dst's storage) and src broadcast to ld.sizes (ls fits src's
    // storage; broadcast strides are 0 on expanded dims), so every row offset+stride·i stays inside both; tasks
    // write disjoint rows of dst.
    zip(&ld.sizes, [&ld.strides, &sa], [ld.offset, ls.offset], |off, n, st| unsafe {
        let (o, a) = (o, a);
        row1(o.0.offset(off[0]), a.0.offset(off[1]), n, st[0], st[1], &f)
    });
}

/// A new contiguous storage holding `f(src)`.
pub fn unary<A: Element, D: Element>(src: &Storage, ls: &Layout, f: impl Fn(A) -> D + Sync + Send) -> Result<Storage> {
    let out = Storage::uninit_n(ls.numel(), std::mem::size_of::<D>())?;
    unary_into(&out, &Layout::contiguous(&ls.sizes), src, ls, f);
    Ok(out)
}

/// A binary kernel's operands as it will walk them (see `binary_operands`).
struct BinaryOperands<'l> {
    ld: Cow<'l, Layout>,
    la: Cow<'l, Layout>,
    lb: Cow<'l, Layout>,
    /// A contiguous copy of a transposed operand, read instead of it.
    a: Option<Storage>,
    b: Option<Storage>,
}

/// Seen in the output's memory order, a dense output is row-major (see `zip`); and a
/// transposed operand (`x.t() + y`) is cheaper to transpose once with the blocked copy kernel
/// and then stream than to gather element by element in the tiled walk. Not generic over the
/// kernel, so this is compiled once rather than once per binary op and dtype.
#[inline(never)]
fn binary_operands<'l>(
    ld: &'l Layout,
    a: &Storage,
    la: &'l Layout,
    da: DType,
    b: &Storage,
    lb: &'l Layout,
    db: DType,
) -> BinaryOperands<'l> {
    let mut ops = match memory_order(&ld.strides) {
        Some(p) => {
            let sizes: Vec<usize> = p.iter().map(|&d| ld.sizes[d]).collect();
            let pick = |s: &[isize]| p.iter().map(|&d| s[d]).collect::<Vec<isize>>();
            let (sa, sb) = (broadcast_strides(&la.sizes, &la.strides, &ld.sizes), broadcast_strides(&lb.sizes, &lb.strides, &ld.sizes));
            BinaryOperands {
                ld: Cow::Owned(Layout::new(sizes.clone(), pick(&ld.strides), ld.offset)),
                la: Cow::Owned(Layout::new(sizes.clone(), pick(&sa), la.offset)),
                lb: Cow::Owned(Layout::new(sizes, pick(&sb), lb.offset)),
                a: None,
                b: None,
            }
        }
        None => BinaryOperands { ld: Cow::Borrowed(ld), la: Cow::Borrowed(la), lb: Cow::Borrowed(lb), a: None, b: None },
    };
    if ops.ld.numel() >= 1 << 16 {
        if crate::copy::is_transpose(&ops.ld, &ops.la) {
            if let Ok(t) = crate::copy::contiguous(a, &ops.la, da, da) {
                ops.la = Cow::Owned(Layout::contiguous(&ops.la.sizes));
                ops.a = Some(t);
            }
        }
        if crate::copy::is_transpose(&ops.ld, &ops.lb) {
            if let Ok(t) = crate::copy::contiguous(b, &ops.lb, db, db) {
                ops.lb = Cow::Owned(Layout::contiguous(&ops.lb.sizes));
                ops.b = Some(t);
            }
        }
    }
    ops
}

/// `dst = f(a, b)` with `a` and `b` broadcast to `ld.sizes`.
pub fn binary_into<A: Element, B: Element, D: Element>(
    dst: &Storage,
    ld: &Layout,
    a: &Storage,
    la: &Layout,
    b: &Storage,
    lb: &Layout,
    f: impl Fn(A, B) -> D + Sync + Send,
) {
    if let Some(n) = small_dense(ld, &[la, lb]) {
        // SAFETY: as in `unary_into`'s small path, for two inputs.
        unsafe {
            let o = (dst.ptr() as *mut D).add(ld.offset);
            row2(o, (a.ptr() as *const A).add(la.offset), (b.ptr() as *const B).add(lb.offset), n, [1, 1, 1], &f)
        };
        return;
    }
    let ops = binary_operands(ld, a, la, A::DTYPE, b, lb, B::DTYPE);
    let (a, b) = (ops.a.as_ref().unwrap_or(a), ops.b.as_ref().unwrap_or(b));
    let (ld, la, lb): (&Layout, &Layout, &Layout) = (&ops.ld, &ops.la, &ops.lb);
    let sa = broadcast_strides(&la.sizes, &la.strides, &ld.sizes);
    let sb = broadcast_strides(&lb.sizes, &lb.strides, &ld.sizes);
    let (o, pa, pb) = (SendPtr(dst.ptr() as *mut D), SendPtr(a.ptr() as *mut A), SendPtr(b.ptr() as *mut B));
    // SAFETY: as in `unary_into`: every operand's layout fits its storage and is read broadcast to ld.sizes;
    // tasks write disjoint rows of dst.
    zip(&ld.sizes, [&ld.strides, &sa, &sb], [ld.offset, la.offset, lb.offset], |off, n, st| unsafe {
        let (o, pa, pb) = (o, pa, pb);
        row2(o.0.offset(off[0]), pa.0.offset(off[1]), pb.0.offset(off[2]), n, st, &f)
    });
}

/// A new contiguous storage of `shape` holding `f(a, b)`.
pub fn binary<A: Element, B: Element, D: Element>(
    a: &Storage,
    la: &Layout,
    b: &Storage,
    lb: &Layout,
    shape: &[usize],
    f: impl Fn(A, B) -> D + Sync + Send,
) -> Result<Storage> {
    let n: usize = shape.iter().product();
    let out = Storage::uninit_n(n, std::mem::size_of::<D>())?;
    binary_into(&out, &Layout::contiguous(shape), a, la, b, lb, f);
    Ok(out)
}

/// `dst = f(a, b, c)` for three inputs (where, lerp, addcmul, clamp with tensor bounds).
#[allow(clippy::too_many_arguments)]
pub fn ternary_into<A: Element, B: Element, C: Element, D: Element>(
    dst: &Storage,
    ld: &Layout,
    a: (&Storage, &Layout),
    b: (&Storage, &Layout),
    c: (&Storage, &Layout),
    f: impl Fn(A, B, C) -> D + Sync + Send,
) {
    let s = |l: &Layout| broadcast_strides(&l.sizes, &l.strides, &ld.sizes);
    let (sa, sb, sc) = (s(a.1), s(b.1), s(c.1));
    let o = SendPtr(dst.ptr() as *mut D);
    let (pa, pb, pc) = (SendPtr(a.0.ptr() as *mut A), SendPtr(b.0.ptr() as *mut B), SendPtr(c.0.ptr() as *mut C));
    // SAFETY: as in `unary_into`, for three operands read broadcast to ld.sizes.
    zip(&ld.sizes, [&ld.strides, &sa, &sb, &sc], [ld.offset, a.1.offset, b.1.offset, c.1.offset], |off, n, st| unsafe {
        let (o, pa, pb, pc) = (o, pa, pb, pc);
        for i in 0..n as isize {
            *o.0.offset(off[0] + i * st[0]) =
                f(*pa.0.offset(off[1] + i * st[1]), *pb.0.offset(off[2] + i * st[2]), *pc.0.offset(off[3] + i * st[3]));
        }
    });
}

/// Storage bytes needed for `shape` of `dtype`.
pub fn nbytes(shape: &[usize], dtype: DType) -> usize {
    shape.iter().product::<usize>() * dtype.size()
}
