//! bf16 matrix products on AVX-512 BF16 (`vdpbf16ps`), accumulated in f32, and the choice
//! between this kernel and the AMX one (`matmul_amx`, which reuses the B packing and the final
//! rounding here).
//!
//! `vdpbf16ps` multiplies 32 bf16 pairs and adds each pair's two products into one of 16 f32
//! lanes, so one instruction does twice the multiply-adds of an f32 FMA. Both operands are
//! packed so that each 32-bit lane holds a pair of consecutive k: A as broadcast pairs
//! (row i, k = 2p and 2p + 1), B as 32 columns of pairs per k-pair. A micro-kernel keeps an
//! 8 x 32 f32 tile in 16 registers; the f32 tile is rounded to bf16 once, at the end, as the
//! f32-widened path did, so the result differs from it only by the order of f32 additions.
//!
//! Packing reads the operands through their strides (transposed weights, as in `x @ w.T`, are
//! the common case and pack as whole 32-bit pairs).
#![cfg(target_arch = "x86_64")]
use crate::matmul::SendPtr;
use crate::threads::{get_num_threads, parallel_for, split_range};
use crate::{Layout, Result, Storage};
use std::arch::x86_64::*;
use std::sync::OnceLock;

/// Rows of one micro-tile.
const MR: usize = 8;
/// Columns of one micro-tile: two registers of 16 f32.
pub(crate) const NR: usize = 32;
/// k-pairs per block: a B micro-panel (KC x NR pairs, 16 KiB) stays in L1 while every A
/// micro-panel of the block streams past it.
const KC: usize = 128;
/// Multiply-adds below which one product runs on one thread.
const PAR_WORK: usize = 1 << 21;

/// The bf16 product kernels, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// AMX tiles (`tdpbf16ps`, `matmul_amx`): Sapphire Rapids and later Intel Xeons.
    Amx,
    /// AVX-512 BF16 (`vdpbf16ps`): also Cooper Lake and AMD Zen 4, which have no AMX.
    Dpbf16,
}

impl Kernel {
    /// Whether this CPU (and OS) can run the kernel (checked once).
    pub fn runs_here(self) -> bool {
        static DP: OnceLock<bool> = OnceLock::new();
        match self {
            Kernel::Amx => crate::matmul_amx::available(),
            Kernel::Dpbf16 => *DP.get_or_init(|| is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bf16")),
        }
    }
}

/// The fastest kernel this CPU runs, if any (the caller widens to f32 otherwise).
pub fn best() -> Option<Kernel> {
    [Kernel::Amx, Kernel::Dpbf16].into_iter().find(|k| k.runs_here())
}

/// True when this CPU has one of the kernels.
pub fn available() -> bool {
    best().is_some()
}

use crate::copy::{bf16_bits_to_f32 as from_bf16_bits, f32_to_bf16_bits as to_bf16_bits};

/// A bf16 matrix seen through its strides (elements), as raw 16-bit patterns.
#[derive(Clone, Copy)]
pub(crate) struct Mat {
    pub(crate) p: SendPtr<u16>,
    pub(crate) rs: isize,
    pub(crate) cs: isize,
}
impl Mat {
    /// SAFETY: `(r, c)` must be inside the matrix the layout was checked for.
    #[inline(always)]
    pub(crate) unsafe fn at(self, r: usize, c: usize) -> u16 {
        *self.p.get().offset(r as isize * self.rs + c as isize * self.cs)
    }
}

/// `dst[i] = alpha * a[i] @ b[i] + beta * dst[i]` for bf16 `[B, M, K] @ [B, K, N]`; the caller
/// checked the shapes and that the geometry fits the storages. `beta == 0` means `dst` is not
/// read. Runs `best()`; an error when the CPU has no bf16 kernel.
#[allow(clippy::too_many_arguments)]
pub fn bmm(dst: &Storage, ld: &Layout, a: &Storage, la: &Layout, b: &Storage, lb: &Layout, alpha: f32, beta: f32) -> Result<()> {
    let kernel = best().ok_or_else(|| crate::Error::runtime("no bf16 matmul kernel on this CPU".to_string()))?;
    bmm_with(kernel, dst, ld, a, la, b, lb, alpha, beta)
}

/// `bmm` on a chosen kernel (tests compare the kernels); an error when it does not run here.
#[allow(clippy::too_many_arguments)]
pub fn bmm_with(
    kernel: Kernel,
    dst: &Storage,
    ld: &Layout,
    a: &Storage,
    la: &Layout,
    b: &Storage,
    lb: &Layout,
    alpha: f32,
    beta: f32,
) -> Result<()> {
    if !kernel.runs_here() {
        return Err(crate::Error::runtime(format!("the bf16 matmul kernel {kernel:?} does not run on this CPU")));
    }
    let (bn, m, k, n) = (la.sizes[0], la.sizes[1], la.sizes[2], lb.sizes[2]);
    let threads = get_num_threads();
    let per = m * n * k;
    let mat = |s: &Storage, l: &Layout, i: usize| Mat {
        // SAFETY: the offset of batch i's first element lies inside the checked geometry.
        p: SendPtr(unsafe { (s.ptr() as *mut u16).offset(l.offset as isize + i as isize * l.strides[0]) }),
        rs: l.strides[1],
        cs: l.strides[2],
    };
    let one = |i: usize, t: usize| -> Result<()> {
        let (d, a, b) = (mat(dst, ld, i), mat(a, la, i), mat(b, lb, i));
        match kernel {
            // SAFETY: `runs_here` held above; the caller checked the geometry.
            Kernel::Amx => unsafe { crate::matmul_amx::product(d, a, b, m, k, n, alpha, beta, t) },
            Kernel::Dpbf16 => product(d, a, b, m, k, n, alpha, beta, t),
        }
    };
    if threads > 1 && bn > 1 && per < PAR_WORK {
        // Many small products: one thread each.
        let chunks = bn.min(threads * 4);
        let err = std::sync::Mutex::new(Ok(()));
        parallel_for(chunks, |c| {
            let (s, e) = split_range(bn, chunks, c);
            for i in s..e {
                if let Err(x) = one(i, 1) {
                    *err.lock().unwrap() = Err(x);
                }
            }
        });
        err.into_inner().unwrap()
    } else {
        let t = if per >= PAR_WORK { threads } else { 1 };
        (0..bn).try_for_each(|i| one(i, t))
    }
}

thread_local! {
    /// Packed A, packed B and the f32 result tile grid of the last product on this thread,
    /// kept for the next one: fresh multi-megabyte buffers cost page faults and zeroing on
    /// every call (9 % of a bf16 training step).
    pub(crate) static SCRATCH: std::cell::Cell<(Vec<u32>, Vec<u32>, Vec<f32>)> = const { std::cell::Cell::new((Vec::new(), Vec::new(), Vec::new())) };
}

/// Grows `v` to at least `n` elements (fallibly: a huge product raises instead of aborting).
/// Old contents stay: callers overwrite or zero what they read.
pub(crate) fn grow<T: Default + Clone>(v: &mut Vec<T>, n: usize) -> Result<()> {
    if v.len() < n {
        v.try_reserve_exact(n - v.len())
            .map_err(|_| crate::Error::runtime(ember_core::out_of_memory(n.saturating_mul(std::mem::size_of::<T>()))))?;
        v.resize(n, T::default());
    }
    Ok(())
}

/// Buffers above this many bytes are freed after the product instead of kept per thread.
pub(crate) const KEEP_BYTES: usize = 64 << 20;

#[allow(clippy::too_many_arguments)]
fn product(d: Mat, a: Mat, b: Mat, m: usize, k: usize, n: usize, alpha: f32, beta: f32, threads: usize) -> Result<()> {
    let kp = k.div_ceil(2);
    let (mt, nt) = (m.div_ceil(MR), n.div_ceil(NR));
    let ldc = nt * NR;
    // Taken out of the thread's cell (a nested product on this thread finds it empty and
    // allocates its own), put back at the end.
    let (mut ap, mut bp, mut c) = SCRATCH.with(|s| s.take());
    grow(&mut ap, mt * kp * MR)?;
    grow(&mut bp, nt * kp * NR)?;
    // every tile of `c` is overwritten by its first k-block, so stale values are never read;
    // with k = 0 there is no block and the product is zero
    grow(&mut c, mt * MR * ldc)?;
    if kp == 0 {
        c[..mt * MR * ldc].fill(0.0);
    }
    // SAFETY (both packs): every (row, k) read is inside the operand's checked geometry, and
    // the buffers hold mt·kp·MR and nt·kp·NR elements (grown above).
    unsafe {
        pack_a(&mut ap, a, m, k, kp);
        pack_b(&mut bp, b, k, n, kp);
    }
    let (pa, pb, pc) = (SendPtr(ap.as_mut_ptr()), SendPtr(bp.as_mut_ptr()), SendPtr(c.as_mut_ptr()));
    // Every chunk owns disjoint tiles of `c`.
    let grid = TileGrid::new(mt, nt, threads);
    parallel_for(grid.chunks, |ch| {
        let (cols, rows) = grid.part(ch);
        let mut p0 = 0;
        while p0 < kp {
            let kc = KC.min(kp - p0);
            for j in cols.clone() {
                for t in rows.clone() {
                    // SAFETY: tile (t, j) and k-pairs p0..p0+kc lie inside the packed buffers
                    // and `c` (sized from mt, nt, kp above); chunks write disjoint tiles.
                    unsafe {
                        kernel(
                            kc,
                            pa.get().add((t * kp + p0) * MR),
                            pb.get().add((j * kp + p0) * NR),
                            pc.get().add(t * MR * ldc + j * NR),
                            ldc,
                            p0 == 0,
                        );
                    }
                }
            }
            p0 += kc;
        }
    });
    // SAFETY: rows < m and columns < n of `d` are inside the destination's checked geometry.
    unsafe { store(d, &c, ldc, m, n, alpha, beta) };
    let bytes = 4 * (ap.len() + bp.len() + c.len());
    if bytes <= KEEP_BYTES {
        SCRATCH.with(|s| s.set((ap, bp, c)));
    }
    Ok(())
}

/// A as broadcast pairs: `ap[(t * kp + p) * MR + r] = (a[tMR + r, 2p], a[tMR + r, 2p + 1])`,
/// zero past the matrix.
///
/// # Safety
/// The CPU has AVX-512F; `a` addresses an `m x k` matrix inside its checked storage; `ap`
/// holds `ceil(m / MR) * kp * MR` elements.
/// A grid of `mt` x `nt` output tiles split for `threads` along its longer side (one stripe
/// of whole rows or columns of tiles per chunk), so every chunk owns disjoint tiles.
pub(crate) struct TileGrid {
    mt: usize,
    nt: usize,
    by_cols: bool,
    pub(crate) chunks: usize,
}

impl TileGrid {
    pub(crate) fn new(mt: usize, nt: usize, threads: usize) -> TileGrid {
        let by_cols = nt >= mt;
        let lanes = if by_cols { nt } else { mt };
        TileGrid { mt, nt, by_cols, chunks: if threads > 1 { lanes.min(threads) } else { 1 } }
    }
    /// (tile columns, tile rows) of chunk `ch`.
    pub(crate) fn part(&self, ch: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        if self.by_cols {
            let (s, e) = split_range(self.nt, self.chunks, ch);
            (s..e, 0..self.mt)
        } else {
            let (s, e) = split_range(self.mt, self.chunks, ch);
            (0..self.nt, s..e)
        }
    }
}

#[target_feature(enable = "avx512f")]
unsafe fn pack_a(ap: &mut [u32], a: Mat, m: usize, k: usize, kp: usize) {
    let full = k / 2;
    // rows past m in the last tile (the buffer is reused, so they hold an earlier product's data)
    if m % MR != 0 {
        let t = m / MR;
        for p in 0..kp {
            ap[(t * kp + p) * MR + m % MR..(t * kp + p + 1) * MR].fill(0);
        }
    }
    if a.rs == 1 && a.cs != 1 {
        // Transposed (a gradient read as g.T): walk two stored rows (k = 2p, 2p + 1) at once,
        // both contiguous over i.
        for p in 0..kp {
            let lo = std::slice::from_raw_parts(a.p.get().offset((2 * p) as isize * a.cs), m);
            let hi = (2 * p + 1 < k).then(|| std::slice::from_raw_parts(a.p.get().offset((2 * p + 1) as isize * a.cs), m));
            for t in 0..m.div_ceil(MR) {
                let rows = MR.min(m - t * MR);
                let out = &mut ap[(t * kp + p) * MR..(t * kp + p) * MR + rows];
                let l = &lo[t * MR..t * MR + rows];
                match hi {
                    Some(h) => {
                        out.iter_mut().zip(l).zip(&h[t * MR..t * MR + rows]).for_each(|((o, &x), &y)| *o = x as u32 | (y as u32) << 16)
                    }
                    None => out.iter_mut().zip(l).for_each(|(o, &x)| *o = x as u32),
                }
            }
        }
        return;
    }
    for i in 0..m {
        let (t, r) = (i / MR, i % MR);
        let out = &mut ap[t * kp * MR..(t + 1) * kp * MR];
        if a.cs == 1 {
            // Row-major rows: each pair is one unaligned 32-bit read.
            let row = a.p.get().offset(i as isize * a.rs);
            for p in 0..full {
                out[p * MR + r] = (row.add(2 * p) as *const u32).read_unaligned().to_le();
            }
        } else {
            for p in 0..full {
                out[p * MR + r] = a.at(i, 2 * p) as u32 | (a.at(i, 2 * p + 1) as u32) << 16;
            }
        }
        if k % 2 == 1 {
            out[full * MR + r] = a.at(i, k - 1) as u32;
        }
    }
}

/// B as column pairs: `bp[(j * ks + p) * NR + c] = (b[2p, jNR + c], b[2p + 1, jNR + c])`,
/// zero past the matrix: columns up to a multiple of NR, pairs from k/2 up to `ks` (the AMX
/// path pads k to whole tiles; the `vdpbf16ps` path passes ks = ceil(k / 2)).
///
/// # Safety
/// The CPU has AVX-512F; `b` addresses a `k x n` matrix whose every element lies inside the
/// storage its layout was checked against; `bp` holds `ceil(n / NR) * ks * NR` elements.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn pack_b(bp: &mut [u32], b: Mat, k: usize, n: usize, ks: usize) {
    let (kp, full) = (k.div_ceil(2), k / 2);
    debug_assert!(ks >= kp);
    // columns past n in the last tile and pairs past k (stale data from an earlier product
    // otherwise)
    if n % NR != 0 {
        let j = n / NR;
        for p in 0..kp {
            bp[(j * ks + p) * NR + n % NR..(j * ks + p + 1) * NR].fill(0);
        }
    }
    if ks > kp {
        for j in 0..n.div_ceil(NR) {
            bp[(j * ks + kp) * NR..(j + 1) * ks * NR].fill(0);
        }
    }
    if b.rs == 1 {
        // Transposed (a weight read as w.T): column c's pairs are consecutive in memory. The
        // output is written in order, reading the tile's NR columns side by side: their NR
        // cache lines (2 KiB) serve 16 k-pairs each from L1, where writing one column at a time
        // strode through the whole packed panel (kp x 128 B, larger than L1) once per column.
        for j in 0..n.div_ceil(NR) {
            let w = NR.min(n - j * NR);
            let out = &mut bp[j * ks * NR..(j * ks + kp) * NR];
            let src = b.p.get().offset((j * NR) as isize * b.cs);
            // Whole panels, 16 pairs at a time: 32 columns x 64 bytes loaded, transposed in
            // registers (one 16 x 16 u32 transpose per half) and written as 16 rows of 128 bytes.
            let mut p0 = 0;
            if w == NR {
                while p0 + 16 <= full {
                    let mut r = [_mm512_setzero_si512(); NR];
                    for (cc, v) in r.iter_mut().enumerate() {
                        // SAFETY: elements 2·p0 .. 2·p0 + 32 <= 2·full <= k of column j·NR + cc
                        // (< n: the panel is whole) are inside the checked geometry.
                        *v = _mm512_loadu_si512(src.offset(cc as isize * b.cs).add(2 * p0) as *const _);
                    }
                    let (lo, hi) = (transpose16(&r[..16]), transpose16(&r[16..]));
                    for q in 0..16 {
                        let o = out[(p0 + q) * NR..(p0 + q + 1) * NR].as_mut_ptr();
                        // SAFETY: o points at NR = 32 writable u32 (the slice above).
                        _mm512_storeu_si512(o as *mut _, lo[q]);
                        _mm512_storeu_si512(o.add(16) as *mut _, hi[q]);
                    }
                    p0 += 16;
                }
            }
            for p in p0..full {
                for (cc, o) in out[p * NR..p * NR + w].iter_mut().enumerate() {
                    // SAFETY: elements 2p, 2p + 1 < k of column j·NR + cc < n are inside the
                    // checked geometry (column stride b.cs, row stride 1).
                    *o = (src.offset(cc as isize * b.cs).add(2 * p) as *const u32).read_unaligned().to_le();
                }
            }
            if k % 2 == 1 {
                for (cc, o) in out[full * NR..full * NR + w].iter_mut().enumerate() {
                    *o = b.at(k - 1, j * NR + cc) as u32;
                }
            }
        }
        return;
    }
    for j in 0..n.div_ceil(NR) {
        let w = NR.min(n - j * NR);
        for p in 0..kp {
            let out = &mut bp[(j * ks + p) * NR..(j * ks + p) * NR + w];
            let r1 = (2 * p + 1 < k).then_some(2 * p + 1);
            // SAFETY (this branch): rows 2p and r1 < k, columns j·NR .. j·NR + w <= n are
            // inside the checked geometry; with b.cs == 1 a row's w columns are contiguous.
            if b.cs == 1 {
                let lo = std::slice::from_raw_parts(b.p.get().offset((2 * p) as isize * b.rs).add(j * NR), w);
                match r1 {
                    Some(r) => {
                        let hi = std::slice::from_raw_parts(b.p.get().offset(r as isize * b.rs).add(j * NR), w);
                        for ((o, &l), &h) in out.iter_mut().zip(lo).zip(hi) {
                            *o = l as u32 | (h as u32) << 16;
                        }
                    }
                    None => out.iter_mut().zip(lo).for_each(|(o, &l)| *o = l as u32),
                }
            } else {
                for (cc, o) in out.iter_mut().enumerate() {
                    let col = j * NR + cc;
                    let hi = r1.map_or(0, |r| b.at(r, col) as u32);
                    *o = b.at(2 * p, col) as u32 | hi << 16;
                }
            }
        }
    }
}

/// The 16 x 16 transpose of 16 rows of 16 u32 (`r.len() == 16`).
#[target_feature(enable = "avx512f")]
fn transpose16(r: &[__m512i]) -> [__m512i; 16] {
    // within each 128-bit lane L: t[2g] = rows (2g, 2g + 1) at columns 4L, 4L + 1 interleaved,
    // t[2g + 1] the same at 4L + 2, 4L + 3
    let mut t = [_mm512_setzero_si512(); 16];
    for g in 0..8 {
        t[2 * g] = _mm512_unpacklo_epi32(r[2 * g], r[2 * g + 1]);
        t[2 * g + 1] = _mm512_unpackhi_epi32(r[2 * g], r[2 * g + 1]);
    }
    // s[4g + c], lane L: column 4L + c of rows 4g .. 4g + 4
    let mut s = [_mm512_setzero_si512(); 16];
    for g in 0..4 {
        let (a0, a1, b0, b1) = (t[4 * g], t[4 * g + 1], t[4 * g + 2], t[4 * g + 3]);
        s[4 * g] = _mm512_unpacklo_epi64(a0, b0);
        s[4 * g + 1] = _mm512_unpackhi_epi64(a0, b0);
        s[4 * g + 2] = _mm512_unpacklo_epi64(a1, b1);
        s[4 * g + 3] = _mm512_unpackhi_epi64(a1, b1);
    }
    // column 4L + c gathers lane L of s[c], s[4 + c], s[8 + c], s[12 + c]
    let mut o = [_mm512_setzero_si512(); 16];
    for c in 0..4 {
        let x = _mm512_shuffle_i32x4::<0x44>(s[c], s[4 + c]);
        let y = _mm512_shuffle_i32x4::<0x44>(s[8 + c], s[12 + c]);
        let x2 = _mm512_shuffle_i32x4::<0xEE>(s[c], s[4 + c]);
        let y2 = _mm512_shuffle_i32x4::<0xEE>(s[8 + c], s[12 + c]);
        o[c] = _mm512_shuffle_i32x4::<0x88>(x, y);
        o[4 + c] = _mm512_shuffle_i32x4::<0xDD>(x, y);
        o[8 + c] = _mm512_shuffle_i32x4::<0x88>(x2, y2);
        o[12 + c] = _mm512_shuffle_i32x4::<0xDD>(x2, y2);
    }
    o
}

/// `c[0..MR, 0..NR] (+)= a-panel @ b-panel` over `kc` k-pairs (`first`: overwrite `c`).
///
/// # Safety
/// The CPU has AVX-512F and AVX512-BF16; `a` holds `kc * MR` and `b` `kc * NR` packed pairs;
/// `c` addresses MR rows of NR writable floats, `ldc` apart.
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn kernel(kc: usize, a: *const u32, b: *const u32, c: *mut f32, ldc: usize, first: bool) {
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    if !first {
        for (r, row) in acc.iter_mut().enumerate() {
            row[0] = _mm512_loadu_ps(c.add(r * ldc));
            row[1] = _mm512_loadu_ps(c.add(r * ldc + 16));
        }
    }
    for p in 0..kc {
        let b0: __m512bh = std::mem::transmute(_mm512_loadu_ps(b.add(p * NR) as *const f32));
        let b1: __m512bh = std::mem::transmute(_mm512_loadu_ps(b.add(p * NR + 16) as *const f32));
        for (r, row) in acc.iter_mut().enumerate() {
            let av: __m512bh = std::mem::transmute(_mm512_set1_epi32(*a.add(p * MR + r) as i32));
            row[0] = _mm512_dpbf16_ps(row[0], av, b0);
            row[1] = _mm512_dpbf16_ps(row[1], av, b1);
        }
    }
    for (r, row) in acc.iter().enumerate() {
        _mm512_storeu_ps(c.add(r * ldc), row[0]);
        _mm512_storeu_ps(c.add(r * ldc + 16), row[1]);
    }
}

/// `d = bf16(alpha * c + beta * d)` over the m x n result (`d` unread when beta is 0).
///
/// # Safety
/// The CPU has AVX-512F; rows < m and columns < n of `d` lie inside the destination's checked
/// geometry and no other thread writes them; `c` holds m rows of `ldc >= n` floats.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn store(d: Mat, c: &[f32], ldc: usize, m: usize, n: usize, alpha: f32, beta: f32) {
    for i in 0..m {
        let src = &c[i * ldc..i * ldc + n];
        if d.cs == 1 {
            let out = std::slice::from_raw_parts_mut(d.p.get().offset(i as isize * d.rs), n);
            if beta == 0.0 {
                out.iter_mut().zip(src).for_each(|(o, &v)| *o = to_bf16_bits(alpha * v));
            } else {
                out.iter_mut().zip(src).for_each(|(o, &v)| *o = to_bf16_bits(alpha * v + beta * from_bf16_bits(*o)));
            }
        } else {
            for (j, &v) in src.iter().enumerate() {
                let p = d.p.get().offset(i as isize * d.rs + j as isize * d.cs);
                *p = to_bf16_bits(if beta == 0.0 { alpha * v } else { alpha * v + beta * from_bf16_bits(*p) });
            }
        }
    }
}
