//! bf16 matrix products on AMX-BF16 (`tdpbf16ps`), accumulated in f32.
//!
//! One `tdpbf16ps` multiplies a 16 x 32 bf16 A tile by a 32 x 16 bf16 B tile (stored as 16
//! rows of k-pairs) into a 16 x 16 f32 C tile: 8,192 multiply-adds, where an AVX-512 FMA does
//! 16. The micro-kernel keeps a 2 x 2 block of C tiles (tmm0-3, a 32 x 32 block of the result)
//! and streams two A tiles (tmm4-5) and two B tiles (tmm6-7) per 32 values of k.
//!
//! Layouts: B is packed by `matmul_bf16::pack_b` (panels of 32 columns, one 128-byte row of
//! k-pairs per pair index), so a B tile is 64 bytes of 16 consecutive rows at a 128-byte
//! stride; A is packed here into contiguous 1 KiB tiles (16 rows x 16 k-pairs). Both are
//! padded with zeros to whole tiles (rows and columns to 32, k to 32), so the tile loads never
//! leave the buffers and the padding adds nothing to the sums.
//!
//! Numerics: products of bf16 values are exact in f32 and are added in f32 with
//! round-to-nearest-even, like the `vdpbf16ps` path; only the order of the f32 additions
//! differs. AMX treats subnormal bf16 inputs as zero and flushes subnormal results (DAZ/FTZ,
//! whatever MXCSR says); PyTorch on oneDNN's AMX kernels does the same. Each 32 x 32 f32 block
//! is rounded to bf16 once, after its whole k sum, by `matmul_bf16::store`.
//!
//! The tile configuration is per thread: every chunk of work loads its own (`ldtilecfg`) on the
//! thread that runs it and releases the tile state afterwards (`tilerelease`), so a worker
//! never runs tile instructions with another thread's configuration and never keeps 8 KiB of
//! tile state for the kernel to save on each context switch.
#![cfg(target_arch = "x86_64")]
use crate::matmul::SendPtr;
use crate::matmul_bf16::{grow, pack_b, store, Mat, TileGrid, KEEP_BYTES, NR, SCRATCH};
use crate::threads::parallel_for;
use crate::Result;
use std::arch::asm;
use std::sync::OnceLock;

/// Rows (and columns) of one C tile; k-pairs of one A or B tile.
const T: usize = 16;
/// Rows and columns of the 2 x 2 block of C tiles.
const BLK: usize = 2 * T;
const _: () = assert!(NR == BLK, "a pack_b panel must hold the two B tiles of a block");

/// True when the CPU has AMX-TILE and AMX-BF16, the OS saves the tile state (XCR0 bits 17 and
/// 18) and, on Linux, granted this process the tile data state (checked once per process).
pub fn available() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| is_x86_feature_detected!("avx512f") && cpu_has_amx() && request_permission())
}

fn cpu_has_amx() -> bool {
    use std::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv};
    // leaf 7 is read only when leaf 0 reports it
    let (max, l1) = (__cpuid(0).eax, __cpuid(1));
    if max < 7 {
        return false;
    }
    let edx = __cpuid_count(7, 0).edx;
    let (amx_bf16, amx_tile) = (edx >> 22 & 1 == 1, edx >> 24 & 1 == 1);
    let osxsave = l1.ecx >> 27 & 1 == 1;
    if !(amx_bf16 && amx_tile && osxsave) {
        return false;
    }
    // SAFETY: OSXSAVE (CPUID.1:ECX bit 27) says the OS enabled XGETBV; XCR0 is register 0.
    let xcr0 = unsafe { _xgetbv(0) };
    xcr0 & (3 << 17) == 3 << 17
}

/// Linux hands out the 8 KiB tile data state only on request (`arch_prctl`, since 5.16);
/// without the grant the first tile instruction raises SIGILL, so a refusal means fall back.
#[cfg(target_os = "linux")]
fn request_permission() -> bool {
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: this arch_prctl call takes two integers and only changes which extended states
    // the process may use; it reads or writes no memory of ours.
    unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0 }
}

/// Other systems: whether and how they grant the tile state is not checked here, so no AMX.
#[cfg(not(target_os = "linux"))]
fn request_permission() -> bool {
    false
}

/// The 64-byte operand of `ldtilecfg` (palette 1): tiles 0-7 all 16 rows x 64 bytes.
#[repr(C, align(64))]
struct TileConfig {
    palette: u8,
    start_row: u8,
    _reserved: [u8; 14],
    colsb: [u16; 16],
    rows: [u8; 16],
}

const CONFIG: TileConfig = {
    let mut colsb = [0u16; 16];
    let mut rows = [0u8; 16];
    let mut i = 0;
    while i < 8 {
        colsb[i] = 4 * T as u16;
        rows[i] = T as u8;
        i += 1;
    }
    TileConfig { palette: 1, start_row: 0, _reserved: [0; 14], colsb, rows }
};

/// Runs `f` with this thread's tiles configured, releasing them afterwards.
///
/// SAFETY (caller): `available()` returned true.
unsafe fn with_tiles(f: impl FnOnce()) {
    let cfg = &CONFIG;
    // SAFETY: the caller checked that the CPU has AMX and the process holds the tile state;
    // `cfg` is a valid, 64-byte aligned palette-1 configuration (reserved bytes zero), read only.
    unsafe { asm!("ldtilecfg [{}]", in(reg) cfg as *const TileConfig, options(nostack, readonly, preserves_flags)) };
    f();
    // SAFETY: as above; tilerelease only returns the tile registers to their initial state.
    unsafe { asm!("tilerelease", options(nostack, nomem, preserves_flags)) };
}

/// `c[0..32, 0..32] = a-block @ b-panel` over `kb` blocks of 16 k-pairs, `c` f32 with rows
/// `ldc` floats apart.
///
/// SAFETY (caller): tiles configured by `with_tiles` on this thread; `kb >= 1`; `a0` and `a1`
/// point at `kb` consecutive 1 KiB A tiles each, `b` at `16 * kb` rows of 128 bytes, `c` at
/// 32 rows of 32 writable floats.
#[inline(always)]
unsafe fn block(a0: *const u32, a1: *const u32, b: *const u32, kb: usize, c: *mut f32, ldc: usize) {
    // SAFETY: every tile load reads 16 rows of 64 bytes inside the ranges the caller vouched
    // for (A: 64-byte rows of one 1 KiB tile; B: the first or second half of 128-byte rows),
    // each store writes 16 rows of 16 floats inside `c`'s 32 x 32 block. tmm0-7 are not
    // registers the compiler allocates (nothing else in the program uses AMX), so clobbering
    // them is invisible to the surrounding code.
    unsafe {
        asm!(
            "tilezero tmm0",
            "tilezero tmm1",
            "tilezero tmm2",
            "tilezero tmm3",
            "2:",
            "tileloadd tmm4, [{a0} + {s64}*1]",
            "tileloadd tmm6, [{b} + {s128}*1]",
            "tileloadd tmm7, [{b} + {s128}*1 + 64]",
            "tdpbf16ps tmm0, tmm4, tmm6",
            "tileloadd tmm5, [{a1} + {s64}*1]",
            "tdpbf16ps tmm1, tmm4, tmm7",
            "tdpbf16ps tmm2, tmm5, tmm6",
            "tdpbf16ps tmm3, tmm5, tmm7",
            "add {a0}, 1024",
            "add {a1}, 1024",
            "add {b}, 2048",
            "dec {kb}",
            "jnz 2b",
            "tilestored [{c} + {ldcb}*1], tmm0",
            "tilestored [{c} + {ldcb}*1 + 64], tmm1",
            "tilestored [{c1} + {ldcb}*1], tmm2",
            "tilestored [{c1} + {ldcb}*1 + 64], tmm3",
            a0 = inout(reg) a0 => _,
            a1 = inout(reg) a1 => _,
            b = inout(reg) b => _,
            kb = inout(reg) kb => _,
            c = in(reg) c,
            c1 = in(reg) c.add(T * ldc),
            ldcb = in(reg) 4 * ldc,
            s64 = in(reg) 64usize,
            s128 = in(reg) 128usize,
            options(nostack),
        );
    }
}

/// `d = bf16(alpha * a @ b + beta * d)` for one m x k @ k x n product on AMX.
///
/// SAFETY (caller): `available()` returned true; the matrices' geometry was checked (every
/// (row, column) inside m, k, n is readable through the strides, and writable for `d`).
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn product(d: Mat, a: Mat, b: Mat, m: usize, k: usize, n: usize, alpha: f32, beta: f32, threads: usize) -> Result<()> {
    let kb = k.div_ceil(2 * T);
    let kpp = kb * T;
    let (mb, nb) = (m.div_ceil(BLK), n.div_ceil(BLK));
    let (mut ap, mut bp, c) = SCRATCH.with(|s| s.take());
    grow(&mut ap, mb * BLK * kpp)?;
    grow(&mut bp, nb * kpp * NR)?;
    // SAFETY (both packs): every (row, k) read is inside the operand's checked geometry, and
    // the buffers hold mb·32·kpp and nb·kpp·32 elements (grown above).
    unsafe {
        pack_a(&mut ap[..mb * BLK * kpp], a, m, k, kb);
        pack_b(&mut bp, b, k, n, kpp);
    }
    let (pa, pb) = (SendPtr(ap.as_mut_ptr()), SendPtr(bp.as_mut_ptr()));
    if kb == 0 {
        if m > 0 && n > 0 {
            // An empty sum: every row of the product is n zeros (m >= 1, so `d` already holds
            // n elements and this buffer is no larger than it).
            let zeros = vec![0f32; n];
            // SAFETY: rows < m and columns < n of `d` are inside the destination's checked
            // geometry; AVX-512F is present (`available()`).
            unsafe { store(d, &zeros, 0, m, n, alpha, beta) };
        }
    } else {
        // Every chunk owns disjoint blocks of `d`.
        let grid = TileGrid::new(mb, nb, threads);
        parallel_for(grid.chunks, |ch| {
            let (cols, rows) = grid.part(ch);
            let work = || {
                // Each 32 x 32 f32 block is rounded into `d` as soon as it is done: it stays in
                // L1, where a whole f32 result grid (4 MiB for 1024 x 1024) went through memory.
                let mut c = [0f32; BLK * BLK];
                for j in cols.clone() {
                    for t in rows.clone() {
                        // SAFETY: run inside `with_tiles` below; block (t, j)'s two A row tiles
                        // (2t, 2t + 1) each hold kb tiles, panel j holds kpp = 16·kb rows, and
                        // `c` holds 32 rows of 32 floats.
                        unsafe {
                            block(
                                pa.get().add(2 * t * kb * T * T),
                                pa.get().add((2 * t + 1) * kb * T * T),
                                pb.get().add(j * kpp * NR),
                                kb,
                                c.as_mut_ptr(),
                                BLK,
                            );
                        }
                        let (i0, j0) = (t * BLK, j * BLK);
                        let sub = Mat { p: SendPtr(d.p.get().wrapping_offset(i0 as isize * d.rs + j0 as isize * d.cs)), ..d };
                        // SAFETY: rows i0.. < m and columns j0.. < n of `d` are inside the
                        // destination's checked geometry (so is `sub`'s origin); chunks own
                        // disjoint blocks of `d`; AVX-512F is present (`available()`).
                        unsafe { store(sub, &c, BLK, BLK.min(m - i0), BLK.min(n - j0), alpha, beta) };
                    }
                }
            };
            // SAFETY: the caller checked `available()`.
            unsafe { with_tiles(work) };
        });
    }
    let bytes = 4 * (ap.len() + bp.len() + c.len());
    if bytes <= KEEP_BYTES {
        SCRATCH.with(|s| s.set((ap, bp, c)));
    }
    Ok(())
}

/// Index of pair p of row i in the tiled A buffer: 16-row tiles, each `kb` tiles of 16 x 16
/// pairs, each tile row-major.
#[inline(always)]
fn at(i: usize, p: usize, kb: usize) -> usize {
    ((i / T * kb + p / T) * T + i % T) * T + p % T
}

/// A as 1 KiB tiles of 16 rows x 16 k-pairs (`at`), zero past the matrix (rows up to a
/// multiple of 32, pairs up to 16·kb). `ap` holds exactly the padded matrix.
///
/// SAFETY (caller): every (i < m, c < k) of `a` is readable.
unsafe fn pack_a(ap: &mut [u32], a: Mat, m: usize, k: usize, kb: usize) {
    let (kp, full) = (k.div_ceil(2), k / 2);
    // padding (the buffer is reused, so it holds an earlier product's data)
    if !m.is_multiple_of(BLK) || kp != kb * T {
        ap.fill(0);
    }
    if a.rs == 1 && a.cs != 1 {
        // Transposed (a gradient read as g.T): walk two stored rows (k = 2p, 2p + 1) at once,
        // both contiguous over i.
        for p in 0..kp {
            // SAFETY: stored rows 2p and 2p + 1 (< k) hold m contiguous elements (rs = 1).
            let lo = unsafe { std::slice::from_raw_parts(a.p.get().offset((2 * p) as isize * a.cs), m) };
            if 2 * p + 1 < k {
                // SAFETY: as above.
                let hi = unsafe { std::slice::from_raw_parts(a.p.get().offset((2 * p + 1) as isize * a.cs), m) };
                for (i, (&x, &y)) in lo.iter().zip(hi).enumerate() {
                    ap[at(i, p, kb)] = x as u32 | (y as u32) << 16;
                }
            } else {
                for (i, &x) in lo.iter().enumerate() {
                    ap[at(i, p, kb)] = x as u32;
                }
            }
        }
        return;
    }
    for i in 0..m {
        let row = &mut ap[at(i, 0, kb) - i % T * T..];
        if a.cs == 1 {
            // Row-major rows: each pair is one unaligned 32-bit read, 16 pairs one tile row.
            // SAFETY: row i's first element is inside the checked geometry.
            let src = unsafe { a.p.get().offset(i as isize * a.rs) };
            for p in 0..full {
                // SAFETY: elements 2p and 2p + 1 < k of row i are inside the geometry.
                row[(p / T * T + i % T) * T + p % T] = unsafe { (src.add(2 * p) as *const u32).read_unaligned() }.to_le();
            }
        } else {
            for p in 0..full {
                // SAFETY: (i, 2p) and (i, 2p + 1) are inside the geometry.
                row[(p / T * T + i % T) * T + p % T] = unsafe { a.at(i, 2 * p) as u32 | (a.at(i, 2 * p + 1) as u32) << 16 };
            }
        }
        if k % 2 == 1 {
            // SAFETY: (i, k - 1) is inside the geometry.
            row[(full / T * T + i % T) * T + full % T] = unsafe { a.at(i, k - 1) } as u32;
        }
    }
}
