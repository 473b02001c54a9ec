//! float32 products on AVX2: ember's own blocking and packing around `gemm`'s 16x6 micro-kernel.
//!
//! On a Zen 3 core `gemm` lost time in three places (`perf`, paired timings):
//! - packing an operand whose rows are contiguous along the sum (the weight of `x @ w.T`: every
//!   Linear layer's forward) one element at a time, 16 rows apart: 13.5 % of 256x1024 @
//!   1024x1024 (83 GFLOP/s against 90 for the same product with `w` stored transposed), 4.7 % of
//!   the wide-MLP training step;
//! - reading the right operand in place unless the output has more than 2048 rows, so the
//!   micro-kernel's six broadcasts per step came from six rows 8 KiB apart (2048²: 82 GFLOP/s,
//!   the kernel itself at 96.7 % of the time);
//! - a weight gradient `gᵀ @ x` with `x` wide (100x1024 @ 1024x784: 53 GFLOP/s, NumPy's
//!   OpenBLAS 62), where ember's blocking of the same packing ran 56-63.
//!
//! Here the left operand is always packed (the transposing case 8x8 at a time in registers),
//! the right one whenever `pack_right` says so (else it is read in place, as `gemm` would), and
//! the micro-kernel (`gemm_f32::microkernel::fma::f32`, public API of the same crate) runs on
//! the panels. `applies` routes only the cases above here. Loop order and block sizes are the usual ones (BLIS): a `KC x NC` block
//! of the right operand packed once per `(jc, pc)` and kept in L3, an `MC x KC` block of the
//! left one packed per `(ic, pc)` and kept in L2, one `KC x 6` micro-panel of the right operand
//! reused from L1 across the left block's 16-row micro-panels.
//!
//! Orientation: as `gemm` does, the product is computed as `Dᵀ = Bᵀ Aᵀ` when the output's
//! rows are contiguous, so the micro-kernel's 16-element vectors run along the output's
//! contiguous dim and its stores are whole vectors.
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;
use std::cell::RefCell;

/// Micro-tile: 16 rows (two 8-lane vectors) x 6 columns (broadcasts), `gemm`'s AVX2 f32 tile.
const MR: usize = 16;
const NR: usize = 6;
/// Depth of one packed block: the left micro-panel (16 x KC, 32 KiB) streams from L2 while the
/// right micro-panel (KC x 6, 12 KiB) stays in L1.
const KC: usize = 512;
/// Bytes of L2 the packed left block may fill (half of Zen 3's 512 KiB).
const MC_BYTES: usize = 256 * 1024;
/// Columns of one packed right block (at KC = 512: 6 MiB, in L3).
const NC: usize = 3072;

thread_local! {
    /// Packing buffers, kept between calls: a fresh multi-MiB allocation per product would be
    /// mapped (and page-faulted) anew each time.
    static BUFS: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// One strided matrix operand: element `(i, j)` at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub struct Mat {
    pub ptr: *const f32,
    pub rs: isize,
    pub cs: isize,
}

/// Whether this module takes the product `d (m x n) = a (m x k) @ b (k x n)` with these
/// strides (`[a.rs, a.cs, b.rs, b.cs, d.rs, d.cs]`, all non-negative, at least 8 x 8 x 8:
/// smaller products stay on `gemm`'s small-matrix paths). It does where `gemm` loses time
/// (operands named after the orientation swap in `product`):
/// - the left operand is contiguous along the sum but not along its rows: `gemm` packs it one
///   element at a time (256x1024 @ 1024x1024 with the weight transposed: 83-85 -> 90-93 GFLOP/s);
/// - `gemm` would read the right operand in place (contiguous along the sum, at most 2048 output
///   rows) with a column stride that is a multiple of 4 KiB: its six broadcast streams then share
///   one L1 set; packing it here: 2048² 78-80 -> 82-83 GFLOP/s (median), 1024² 81-82 -> 87-88;
/// - a Linear layer's weight gradient `gᵀ @ x` (after the swap: the left operand `xᵀ`, rows
///   contiguous, at least 256 of them; the right one `g`, packed): 100x1024 @ 1024x784 (the
///   lecture model's first layer at batch 1024) 53 -> 56-63 GFLOP/s, ahead in 13-15 of 16 paired
///   rounds for KC 128-512; lecture model at batch 64 +10 % (9/12), batch 1024 +7 % / +2 %
///   (11/16, 10/16), 2 threads +7 % (8/12); wide MLP and CNN within noise (1.03, 1.01).
///
/// Elsewhere `gemm` packs with whole vectors and was as fast or faster (packing both operands of
/// 1024x784 @ 784x100 here: 79 GFLOP/s, `gemm` reading x in place: 89).
pub fn applies(m: usize, n: usize, k: usize, s: [isize; 6]) -> bool {
    let [a_rs, a_cs, b_rs, b_cs, d_rs, d_cs] = s;
    let (mi, lhs_rs, lhs_cs, rhs_rs, rhs_cs) = if d_cs < d_rs { (n, b_cs, b_rs, a_cs, a_rs) } else { (m, a_rs, a_cs, b_rs, b_cs) };
    let aliasing_rhs = rhs_rs == 1 && mi <= 2048 && pack_right(mi, rhs_rs, rhs_cs);
    let weight_grad = lhs_rs == 1 && rhs_rs != 1 && mi >= 256;
    m >= 8 && n >= 8 && k >= 8 && s.iter().all(|&s| s >= 0) && ((lhs_cs == 1 && lhs_rs != 1) || aliasing_rhs || weight_grad)
}

/// Whether the right operand (`k x n`, element `(p, j)` at `p·rs + j·cs`) of an `m`-row product
/// is packed rather than read in place. `gemm`'s rule (pack when its columns are not contiguous
/// along the sum and m > 32, or when m > 2048), plus: columns a multiple of 1024 floats apart
/// (one L1 set for all six broadcast streams) once m ≥ 256 rows reuse the packed copy (at m = 96
/// packing cost 11 %: 1024x784 @ 784x96).
fn pack_right(m: usize, rs: isize, cs: isize) -> bool {
    if rs == 1 {
        m > 2048 || (m >= 256 && cs % 1024 == 0)
    } else {
        m > 32
    }
}

/// `d = alpha · a @ b + beta · d` (`d` read only when `read_dst`), for `a` m x k, `b` k x n and
/// `d` m x n at `d.ptr + i·d.rs + j·d.cs`.
///
/// # Safety
/// The CPU has AVX2 and FMA; every element of `a`, `b` and `d` named by the shapes and
/// strides lies inside a live allocation; `d` is writable, its elements are distinct and it
/// overlaps neither operand; all strides are non-negative.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn product((m, n, k): (usize, usize, usize), a: Mat, b: Mat, d: Mat, alpha: f32, beta: f32, read_dst: bool) {
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    // Column-major internally (see the module note): swap roles when d's columns are contiguous.
    let (m, n, lhs, rhs, d) = if d.cs < d.rs {
        (n, m, Mat { ptr: b.ptr, rs: b.cs, cs: b.rs }, Mat { ptr: a.ptr, rs: a.cs, cs: a.rs }, Mat { ptr: d.ptr, rs: d.cs, cs: d.rs })
    } else {
        (m, n, a, b, d)
    };
    let k_blocks = k.div_ceil(KC);
    let kc = k.div_ceil(k_blocks);
    let mc = (MC_BYTES / (kc * 4) / MR * MR).clamp(MR, m.next_multiple_of(MR));
    let nc = NC.min(n.next_multiple_of(NR));
    let pack_right = pack_right(m, rhs.rs, rhs.cs);
    BUFS.with(|bufs| {
        let mut bufs = bufs.borrow_mut();
        let (lbuf, rbuf) = &mut *bufs;
        // 16 floats of slack: 64-byte alignment, plus the 2-float overrun of `pack_rhs`'s stores.
        let lp = aligned(lbuf, mc * kc + 16);
        let rp = if pack_right { aligned(rbuf, nc * kc + 16) } else { std::ptr::null_mut() };
        let mut jc = 0;
        while jc < n {
            let nb = nc.min(n - jc);
            let mut pc = 0;
            while pc < k {
                let kb = kc.min(k - pc);
                let rblock = rhs.ptr.offset(pc as isize * rhs.rs + jc as isize * rhs.cs);
                if pack_right {
                    // SAFETY: rows pc..pc+kb and columns jc..jc+nb of rhs are inside the caller's
                    // operand; rp holds nc·kc + 16 floats ≥ ⌈nb/6⌉·6·kb + 8.
                    pack_rhs(rblock, rhs.rs, rhs.cs, kb, nb, rp);
                }
                // The first depth block applies the caller's beta; later ones accumulate.
                let (status, dscale) = if pc > 0 {
                    (1u8, 1.0)
                } else if !read_dst {
                    (0, 0.0)
                } else if beta == 1.0 {
                    (1, 1.0)
                } else {
                    (2, beta)
                };
                let mut ic = 0;
                while ic < m {
                    let mb = mc.min(m - ic);
                    // SAFETY: as for rhs: rows ic..ic+mb and columns pc..pc+kb of lhs; lp holds
                    // mc·kc + 16 floats ≥ ⌈mb/16⌉·16·kb.
                    pack_lhs(lhs.ptr.offset(ic as isize * lhs.rs + pc as isize * lhs.cs), lhs.rs, lhs.cs, mb, kb, lp);
                    let mut jr = 0;
                    while jr < nb {
                        let nr = NR.min(nb - jr);
                        let (rpanel, r_rs, r_cs) = if pack_right {
                            (rp.add(jr * kb) as *const f32, NR as isize, 1)
                        } else {
                            (rblock.offset(jr as isize * rhs.cs), rhs.rs, rhs.cs)
                        };
                        let mut ir = 0;
                        while ir < mb {
                            let mr = MR.min(mb - ir);
                            let kernel = gemm_f32::microkernel::fma::f32::UKR[mr.div_ceil(8) - 1][nr - 1];
                            let dst = d.ptr.offset((ic + ir) as isize * d.rs + (jc + jr) as isize * d.cs) as *mut f32;
                            // SAFETY: the packed left panel holds kb steps of 16 rows (zero past the
                            // edge), the right panel (packed, or the caller's operand in place) kb
                            // steps of nr columns; the kernel writes only the mr x nr block of d at
                            // dst, inside the caller's d; AVX2 + FMA are the caller's guarantee.
                            kernel(
                                mr,
                                nr,
                                kb,
                                dst,
                                lp.add(ir * kb),
                                rpanel,
                                d.cs,
                                d.rs,
                                MR as isize,
                                r_rs,
                                r_cs,
                                dscale,
                                alpha,
                                status,
                                false,
                                false,
                                false,
                                std::ptr::null(),
                            );
                            ir += MR;
                        }
                        jr += NR;
                    }
                    ic += mb;
                }
                pc += kb;
            }
            jc += nb;
        }
    });
}

/// A 64-byte-aligned pointer to at least `len` floats of `buf` (grown when needed).
fn aligned(buf: &mut Vec<f32>, len: usize) -> *mut f32 {
    if buf.len() < len + 16 {
        buf.resize(len + 16, 0.0);
    }
    let p = buf.as_mut_ptr();
    // SAFETY: the offset (< 16 floats) stays inside buf, which has len + 16 floats.
    unsafe { p.add(p.align_offset(64).min(15)) }
}

/// Packs the `m x k` block at `src` (element `(i, p)` at `src + i·rs + p·cs`) into 16-row
/// micro-panels: panel `q` at `dst + q·16·k`, element `(i, p)` at `p·16 + i % 16`, rows past `m`
/// zero.
///
/// # Safety
/// AVX2; the block's elements are readable; `dst` has room for `⌈m/16⌉·16·k` floats.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_lhs(src: *const f32, rs: isize, cs: isize, m: usize, k: usize, dst: *mut f32) {
    let panels = m.div_ceil(MR);
    if rs == 1 {
        // Columns contiguous: 8 steps of the sum at a time, panel by panel, so each panel gets
        // 512 contiguous bytes (step by step across all panels, the stores went to 8 streams
        // 32 KiB apart, one L1 set).
        let mut p0 = 0;
        while p0 < k {
            let steps = 8.min(k - p0);
            for q in 0..panels {
                let (i0, rows) = (q * MR, MR.min(m - q * MR));
                for p in p0..p0 + steps {
                    let col = src.offset(p as isize * cs);
                    let out = dst.add(q * MR * k + p * MR);
                    if rows == MR {
                        // SAFETY: rows i0..i0+16 of column p are in the block; out has 16 floats.
                        _mm256_storeu_ps(out, _mm256_loadu_ps(col.add(i0)));
                        _mm256_storeu_ps(out.add(8), _mm256_loadu_ps(col.add(i0 + 8)));
                    } else {
                        for i in 0..MR {
                            // SAFETY: i0 + i < m is inside the block; out has 16 floats.
                            *out.add(i) = if i < rows { *col.add(i0 + i) } else { 0.0 };
                        }
                    }
                }
            }
            p0 += steps;
        }
    } else if cs == 1 {
        // Rows contiguous (a weight read as its transpose): 16 rows x 8 steps, two 8x8
        // transposes, eight whole 16-float panel rows stored.
        for q in 0..panels {
            let panel = dst.add(q * MR * k);
            let rows = MR.min(m - q * MR);
            let row0 = src.offset((q * MR) as isize * rs);
            let mut p = 0;
            while p + 8 <= k {
                // SAFETY: rows q·16.. q·16+rows < m and steps p..p+8 ≤ k are in the block; the
                // second half's pointer is only read from when rows > 8.
                let lo = transpose8(load_rows(row0.add(p), rs, rows.min(8)));
                let hi = transpose8(load_rows(row0.wrapping_offset(8 * rs).add(p), rs, rows.saturating_sub(8)));
                for s in 0..8 {
                    // SAFETY: step p + s < k of this panel: 16 floats.
                    _mm256_storeu_ps(panel.add((p + s) * MR), lo[s]);
                    _mm256_storeu_ps(panel.add((p + s) * MR + 8), hi[s]);
                }
                p += 8;
            }
            for p in p..k {
                for t in 0..MR {
                    // SAFETY: as above, one element at a time (zero past row m).
                    *panel.add(p * MR + t) = if t < rows { *row0.offset(t as isize * rs).add(p) } else { 0.0 };
                }
            }
        }
    } else {
        for q in 0..panels {
            for p in 0..k {
                for i in 0..MR {
                    let r = q * MR + i;
                    // SAFETY: (r, p) is in the block when r < m; dst has ⌈m/16⌉·16·k floats.
                    *dst.add(q * MR * k + p * MR + i) = if r < m { *src.offset(r as isize * rs + p as isize * cs) } else { 0.0 };
                }
            }
        }
    }
}

/// Packs the `k x n` block at `src` (element `(p, j)` at `src + p·rs + j·cs`) into 6-column
/// micro-panels: panel `q` at `dst + q·6·k`, element `(p, j)` at `p·6 + j % 6`, columns past `n`
/// zero.
///
/// # Safety
/// AVX2; the block's elements are readable; `dst` has room for `⌈n/6⌉·6·k + 8` floats (the
/// transposing path stores 8 floats where a panel row has 6; the 2 extra are overwritten by the
/// next row, or land in that slack).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_rhs(src: *const f32, rs: isize, cs: isize, k: usize, n: usize, dst: *mut f32) {
    let panels = n.div_ceil(NR);
    for q in 0..panels {
        let (j0, cols) = (q * NR, NR.min(n - q * NR));
        let panel = dst.add(q * NR * k);
        let col = |t: usize| src.offset((j0 + t) as isize * cs);
        let mut p = 0;
        if rs == 1 {
            // Columns contiguous along the sum (a row-major x read as xᵀ): 6 columns x 8 steps
            // per transpose; rows stored 8 wide, in increasing order, so each overrun is rewritten.
            while p + 8 <= k {
                // SAFETY: columns j0..j0+cols < n, steps p..p+8 ≤ k are in the block.
                let v = load_rows(col(0).add(p), cs, cols);
                let v = transpose8(v);
                for (s, vs) in v.iter().enumerate() {
                    // SAFETY: row p + s of this panel plus 2 floats of the next row (or of the
                    // slack past the last panel), all inside dst.
                    _mm256_storeu_ps(panel.add((p + s) * NR), *vs);
                }
                p += 8;
            }
        }
        if cs == 1 && cols == NR {
            // Rows contiguous: 6 floats of each row.
            for p in p..k {
                // SAFETY: (p, j0..j0+6) is in the block; the panel row has 6 floats.
                std::ptr::copy_nonoverlapping(col(0).offset(p as isize * rs), panel.add(p * NR), NR);
            }
            continue;
        }
        for p in p..k {
            for t in 0..NR {
                // SAFETY: (p, j0 + t) is in the block when t < cols; the panel row has 6 floats.
                *panel.add(p * NR + t) = if t < cols { *col(t).offset(p as isize * rs) } else { 0.0 };
            }
        }
    }
}

/// 8 floats from each of the first `rows` (≤ 8) rows at `src + t·rs`; zeros for the others.
///
/// # Safety
/// AVX2; `src + t·rs .. + 8` is readable for `t < rows`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn load_rows(src: *const f32, rs: isize, rows: usize) -> [__m256; 8] {
    let mut v = [_mm256_setzero_ps(); 8];
    if rows == 8 {
        // The common case without a bound check per row (a chain of compares otherwise).
        for (t, vt) in v.iter_mut().enumerate() {
            // SAFETY: t < 8 = rows: the caller's contract.
            *vt = _mm256_loadu_ps(src.offset(t as isize * rs));
        }
    } else {
        for (t, vt) in v.iter_mut().enumerate().take(rows) {
            // SAFETY: t < rows: the caller's contract.
            *vt = _mm256_loadu_ps(src.offset(t as isize * rs));
        }
    }
    v
}

/// Transposes 8 rows of 8 floats: output `s` holds element `s` of each input row.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    [
        _mm256_permute2f128_ps::<0x20>(u0, u4),
        _mm256_permute2f128_ps::<0x20>(u1, u5),
        _mm256_permute2f128_ps::<0x20>(u2, u6),
        _mm256_permute2f128_ps::<0x20>(u3, u7),
        _mm256_permute2f128_ps::<0x31>(u0, u4),
        _mm256_permute2f128_ps::<0x31>(u1, u5),
        _mm256_permute2f128_ps::<0x31>(u2, u6),
        _mm256_permute2f128_ps::<0x31>(u3, u7),
    ]
}
