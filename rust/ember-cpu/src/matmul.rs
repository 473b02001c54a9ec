//! Batched matrix products: `dst[i] = alpha * a[i] @ b[i] + beta * dst[i]`.
//!
//! Every operand is a 3-D layout `[batch, rows, cols]` with arbitrary strides (0 for a
//! broadcast batch or a broadcast row/column): transposed or stepped operands are handed to
//! the kernel as strides, never copied first.
//!
//! - f32 / f64 / f16 go to the `gemm` crate (it packs blocks from any strides itself). It won
//!   against `matrixmultiply` on this machine (see `benches/matmul.rs` and the report in
//!   `benches/compare.py --filter matmul`), chiefly because it has AVX-512 micro-kernels. On
//!   AVX2-only CPUs, f32 products whose operands gemm packs slowly go to `matmul_packed`
//!   (ember's packing around gemm's own micro-kernel).
//! - bf16 runs on AVX-512 BF16 (`matmul_bf16`, f32 accumulation) where the CPU has it; elsewhere
//!   it is widened to f32, multiplied there, and rounded back once per element.
//! - integer dtypes accumulate in i64 with wrapping arithmetic, then wrap to the output
//!   dtype: identical to PyTorch's same-width wrapping, since reduction mod 2^bits commutes
//!   with + and ×.
//! - bool is not supported (PyTorch: `"addmm_impl_cpu_" not implemented for 'Bool'`).
//!
//! Threads: many small matrices are split across the batch (one single-threaded gemm each);
//! otherwise each product runs gemm with `Parallelism::Rayon(n)` inside ember's pool.
use crate::copy::{contiguous, copy_into};
#[cfg(target_arch = "x86_64")]
use crate::matmul_packed::Mat;
use crate::threads::{self, get_num_threads, parallel_for, split_range};
use crate::{Complex, DType, Element, Error, Layout, Result, Scalar, Storage};
use gemm::Parallelism;
use std::cell::Cell;

thread_local! {
    static LAST: Cell<(&'static str, usize)> = const { Cell::new(("none", 1)) };
}

/// (kernel name, threads) of the last matmul run on this thread (for `ember.inspect`).
pub fn last_kernel() -> (&'static str, usize) {
    LAST.with(|c| c.get())
}
fn set_last(name: &'static str, threads: usize) {
    LAST.with(|c| c.set((name, threads)));
}

/// Below this many multiply-adds per product (about 160³), a single product is not worth splitting
/// across threads; batches of such products are split across the batch instead. It was 2^24
/// while a parallel region meant waking rayon workers; with the caller taking chunks itself
/// (`team.rs`) the batch-64 Linear products (64x784x100, 5M) pay off too: lecture model at
/// batch 64, 2 threads, 1,960 -> 2,466 steps/s (median of 5 interleaved rounds).
const PAR_WORK: usize = 1 << 22;

/// Below this many multiply-adds (1024³) a parallel product is split into row or column
/// blocks by ember rather than by gemm's parallel driver (see `float_bmm`).
const OWN_SPLIT_WORK: usize = 1 << 30;

/// An output this narrow (rows or columns) is split by ember at any size (see `float_bmm`).
const NARROW: usize = 128;

/// `dst[i] = alpha * a[i] @ b[i] + beta * dst[i]` for each batch index `i`.
///
/// Layouts are 3-D: `a` is `[B, M, K]`, `b` is `[B, K, N]`, `dst` is `[B, M, N]` (the
/// caller checks the shapes and that `dst` overlaps neither itself nor the inputs).
/// `beta == 0` means `dst` is not read, so NaN/Inf already there do not propagate (BLAS's
/// and PyTorch's rule). All three operands have dtype `dt`.
#[allow(clippy::too_many_arguments)]
pub fn bmm_into(
    dt: DType,
    dst: &Storage,
    ld: &Layout,
    a: &Storage,
    la: &Layout,
    b: &Storage,
    lb: &Layout,
    alpha: Scalar,
    beta: Scalar,
) -> Result<()> {
    let (bn, m, k, n) = (la.sizes[0], la.sizes[1], la.sizes[2], lb.sizes[2]);
    debug_assert!(ld.sizes == [bn, m, n] && lb.sizes == [bn, k, n]);
    if bn == 0 || m == 0 || n == 0 {
        return Ok(());
    }
    match dt {
        DType::F32 => float_bmm::<f32>(dst, ld, a, la, b, lb, alpha, beta, "gemm-f32"),
        DType::F64 => float_bmm::<f64>(dst, ld, a, la, b, lb, alpha, beta, "gemm-f64"),
        DType::F16 => float_bmm::<half::f16>(dst, ld, a, la, b, lb, alpha, beta, "gemm-f16"),
        #[cfg(target_arch = "x86_64")]
        DType::BF16 if crate::matmul_bf16::available() => {
            crate::matmul_bf16::bmm(dst, ld, a, la, b, lb, alpha.to_f64() as f32, beta.to_f64() as f32)?;
            set_last("bf16-dpbf16", if bn * m * n * k >= PAR_WORK { get_num_threads() } else { 1 });
            Ok(())
        }
        DType::BF16 => {
            // Without AVX-512 BF16: widen to f32 once, multiply there, round back to bf16 once.
            let a32 = contiguous(a, la, dt, DType::F32)?;
            let b32 = contiguous(b, lb, dt, DType::F32)?;
            let lc = Layout::contiguous(&ld.sizes);
            let d32 = if beta.to_f64() != 0.0 { contiguous(dst, ld, dt, DType::F32)? } else { Storage::uninit_n(ld.numel(), 4)? };
            let (la32, lb32) = (Layout::contiguous(&la.sizes), Layout::contiguous(&lb.sizes));
            float_bmm::<f32>(&d32, &lc, &a32, &la32, &b32, &lb32, alpha, beta, "gemm-f32 (bf16 widened)")?;
            copy_into(dst, ld, dt, &d32, &lc, DType::F32);
            Ok(())
        }
        DType::C64 => float_bmm::<Complex<f32>>(dst, ld, a, la, b, lb, alpha, beta, "gemm-c32"),
        DType::C128 => float_bmm::<Complex<f64>>(dst, ld, a, la, b, lb, alpha, beta, "gemm-c64"),
        DType::Bool => Err(Error::runtime(
            "\"addmm_impl_cpu_\" not implemented for 'Bool'. Matrix products are defined for integer and floating dtypes; convert with .int() or .float() first.",
        )),
        _ => with_int_dtype!(dt, T => int_bmm::<T>(dst, ld, a, la, b, lb, alpha.to_i64(), beta.to_i64()), unreachable!()),
    }
}

/// A raw pointer that may cross into worker threads: each worker writes disjoint elements.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr<T>(pub(crate) *mut T);
// SAFETY: SendPtr only carries the pointer across threads; workers write disjoint output elements and the
// storages outlive the parallel region.
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}
impl<T> SendPtr<T> {
    // A method (not `.0`) so closures capture the whole Send wrapper, not the raw field.
    pub(crate) fn get(self) -> *mut T {
        self.0
    }
}

/// One dtype `gemm` handles natively. `G` is gemm's own type for it, of the same memory
/// layout (ember's `Complex<T>` and num-complex's are both `#[repr(C)] { re, im }`); gemm
/// picks its kernel from `G`'s TypeId.
trait GemmFloat: Element {
    type G: Copy + Send + Sync + 'static;
    fn from_scalar(s: Scalar) -> Self::G;
    /// `x · y` (the empty product's `beta · dst`).
    fn scale(x: Self, y: Self) -> Self {
        Self::from_f64(x.to_f64() * y.to_f64())
    }
}
impl GemmFloat for f32 {
    type G = f32;
    fn from_scalar(s: Scalar) -> f32 {
        s.to_f64() as f32
    }
}
impl GemmFloat for f64 {
    type G = f64;
    fn from_scalar(s: Scalar) -> f64 {
        s.to_f64()
    }
}
impl GemmFloat for half::f16 {
    type G = half::f16;
    fn from_scalar(s: Scalar) -> half::f16 {
        half::f16::from_f64(s.to_f64())
    }
}
impl GemmFloat for Complex<f32> {
    type G = gemm::c32;
    fn from_scalar(s: Scalar) -> gemm::c32 {
        let (re, im) = s.to_c128();
        gemm::c32::new(re as f32, im as f32)
    }
    fn scale(x: Self, y: Self) -> Self {
        let ((a, b), (c, d)) = (x.to_c128(), y.to_c128());
        Self::from_c128(a * c - b * d, a * d + b * c)
    }
}
impl GemmFloat for Complex<f64> {
    type G = gemm::c64;
    fn from_scalar(s: Scalar) -> gemm::c64 {
        let (re, im) = s.to_c128();
        gemm::c64::new(re, im)
    }
    fn scale(x: Self, y: Self) -> Self {
        let ((a, b), (c, d)) = (x.to_c128(), y.to_c128());
        Self::from_c128(a * c - b * d, a * d + b * c)
    }
}

#[allow(clippy::too_many_arguments)]
fn float_bmm<T: GemmFloat>(
    dst: &Storage,
    ld: &Layout,
    a: &Storage,
    la: &Layout,
    b: &Storage,
    lb: &Layout,
    alpha: Scalar,
    beta: Scalar,
    name: &'static str,
) -> Result<()> {
    let (bn, m, k, n) = (la.sizes[0], la.sizes[1], la.sizes[2], lb.sizes[2]);
    let (pd, pa, pb) = (SendPtr(dst.ptr() as *mut T::G), SendPtr(a.ptr() as *mut T::G), SendPtr(b.ptr() as *mut T::G));
    // gemm computes dst = ga * dst + gb * (a @ b): its alpha scales dst, its beta the product.
    let (ga, gb) = (T::from_scalar(beta), T::from_scalar(alpha));
    let read_dst = beta.to_c128() != (0.0, 0.0); // a complex beta may have a zero real part
    if k == 0 {
        // An empty sum: the product is 0, so dst becomes beta * dst (or zeros).
        let lc = Layout::contiguous(&[]);
        let z = Storage::zeros(std::mem::size_of::<T>())?; // one zero element of T
        if read_dst {
            // SAFETY: `ga` is a live `T::G`, which has `T`'s size and layout (see GemmFloat).
            let bs = Storage::from_bytes(unsafe { std::slice::from_raw_parts(&ga as *const T::G as *const u8, std::mem::size_of::<T>()) })?;
            crate::elementwise::binary_into::<T, T, T>(dst, ld, dst, ld, &bs, &lc, T::scale);
        } else {
            copy_into(dst, ld, T::DTYPE, &z, &lc, T::DTYPE);
        }
        set_last(name, 1);
        return Ok(());
    }
    // float32 on an AVX2-only CPU: ember's own kernels take part of the product (below).
    #[cfg(target_arch = "x86_64")]
    let (avx2_f32, packed_applies) =
        (T::DTYPE == DType::F32 && crate::reduce::isa() == crate::reduce::Isa::Avx2, crate::matmul_packed::applies);
    #[cfg(not(target_arch = "x86_64"))]
    let (avx2_f32, packed_applies) = (false, |_, _, _, _| false);
    // Narrow outputs of `x @ w.T` (rows of x and of w contiguous): the columns past gemm's last
    // full 16-wide tile run as dot products (see `matmul_skinny`).
    let skinny_ok = avx2_f32 && la.strides[2] == 1 && lb.strides[1] == 1;
    // Both kernels take f32 scalars; T is f32 whenever they run, so these convert exactly.
    let (alpha32, beta32) = (alpha.to_f64() as f32, beta.to_f64() as f32);
    // SAFETY: i < bn and the batch dim's stride keeps each operand's batch i inside its storage (layouts
    // checked against storages by the caller, `bmm_into`'s shape checks); `rows` ⊆ 0..m and `cols` ⊆ 0..n, so
    // the sub-block of dst (and the rows of a, the columns of b it reads) lie inside batch i; gemm (and
    // `matmul_skinny::product` / `matmul_packed::product`, which need AVX2 + FMA: `isa()` found them; the
    // latter non-negative strides: `applies` checked) writes only that sub-block, so concurrent calls on
    // disjoint batches or blocks don't overlap.
    let one = |i: usize, rows: (usize, usize), cols: (usize, usize), par: Parallelism| unsafe {
        let (r0, c0) = (rows.0 as isize, cols.0 as isize);
        let d = pd.get().offset(ld.offset as isize + i as isize * ld.strides[0] + r0 * ld.strides[1] + c0 * ld.strides[2]);
        let x = pa.get().offset(la.offset as isize + i as isize * la.strides[0] + r0 * la.strides[1]);
        let y = pb.get().offset(lb.offset as isize + i as isize * lb.strides[0] + c0 * lb.strides[2]);
        let (mb, nb) = (rows.1 - rows.0, cols.1 - cols.0);
        let tail = if skinny_ok { crate::matmul_skinny::columns_for(nb) } else { 0 };
        let head = nb - tail;
        let strides = [la.strides[1], la.strides[2], lb.strides[1], lb.strides[2], ld.strides[1], ld.strides[2]];
        // ember's own packing where gemm's is slow (see `matmul_packed`); gemm's parallel driver
        // keeps gemm.
        let packed = head > 0 && avx2_f32 && matches!(par, Parallelism::None) && packed_applies(mb, head, k, strides);
        if packed {
            // T is f32 here (avx2_f32), so the pointers are f32.
            #[cfg(target_arch = "x86_64")]
            crate::matmul_packed::product(
                (mb, head, k),
                Mat { ptr: x as *const f32, rs: strides[0], cs: strides[1] },
                Mat { ptr: y as *const f32, rs: strides[2], cs: strides[3] },
                Mat { ptr: d as *const f32, rs: strides[4], cs: strides[5] },
                alpha32,
                beta32,
                read_dst,
            );
        } else if head > 0 {
            #[rustfmt::skip]
            gemm::gemm::<T::G>(mb, head, k, d, ld.strides[2], ld.strides[1], read_dst, x, la.strides[2],
                            la.strides[1], y, lb.strides[2], lb.strides[1], ga, gb, false, false, false, par);
        }
        #[cfg(target_arch = "x86_64")]
        if tail > 0 {
            // T is f32 here (skinny_ok), so T::G is f32; the columns head..nb of this block are
            // inside it, as above.
            let h = head as isize;
            crate::matmul_skinny::product(
                (mb, tail, k),
                (x as *const f32, la.strides[1]),
                ((y as *const f32).offset(h * lb.strides[2]), lb.strides[2]),
                ((d as *mut f32).offset(h * ld.strides[2]), ld.strides[1], ld.strides[2]),
                alpha32,
                beta32,
                read_dst,
            );
        }
    };
    let threads = get_num_threads();
    let per = m * n * k;
    if threads > 1 && bn > 1 && per < PAR_WORK && bn * per >= PAR_WORK {
        // Many small products: split the batch, one single-threaded gemm per product.
        let chunks = bn.min(threads * 4);
        parallel_for(chunks, |c| {
            let (s, e) = split_range(bn, chunks, c);
            (s..e).for_each(|i| one(i, (0, m), (0, n), Parallelism::None));
        });
        set_last(name, threads.min(chunks));
    } else if threads > 1 && per >= PAR_WORK && (per < OWN_SPLIT_WORK || k > m.max(n) || m.min(n) <= NARROW) {
        // A mid-size product, or a long inner dim with a small output (64x784 @ 784x100: a
        // batch-64 Linear layer): gemm's own split ran up to 1.5x SLOWER at 2 threads than at
        // 1 there, erratically from run to run on this 2-vCPU machine; one single-threaded gemm
        // per block of rows (or columns) was at or below the 1-thread time every run. A narrow
        // product (x @ w.T with 100 outputs) is split by ember too: gemm split its 100 columns
        // 64 | 36 between two threads (profile: one thread ran every 64-wide tile), ember's
        // row halves are even (1024x784 @ 784x100 at 2 threads: 679 -> 631 us, mean of 3 A/B).
        // Up to 1024³ ember's halves beat gemm's split at 2 threads on Zen 3 too (512²: 126-132
        // -> 152-165 GFLOP/s, 768²: 146 -> 165; 1024²: equal). Larger products keep gemm's
        // split (the same speed, and its threads share one packed copy of the right operand).
        let (dim, by_rows) = if m >= n { (m, true) } else { (n, false) };
        let parts = threads.min(dim / 16).max(1);
        for i in 0..bn {
            parallel_for(parts, |c| {
                let r = split_range(dim, parts, c);
                if by_rows {
                    one(i, r, (0, n), Parallelism::None)
                } else {
                    one(i, (0, m), r, Parallelism::None)
                }
            });
        }
        set_last(name, parts);
    } else if threads > 1 && per >= PAR_WORK {
        threads::install(|| (0..bn).for_each(|i| one(i, (0, m), (0, n), Parallelism::Rayon(threads))));
        set_last(name, threads);
    } else {
        (0..bn).for_each(|i| one(i, (0, m), (0, n), Parallelism::None));
        set_last(name, 1);
    }
    Ok(())
}

/// Rows and columns of the output one integer tile covers: a 4 x 256 i64 accumulator
/// (8 KiB) stays in L1 while a row of `b` is loaded once for four rows of `a`.
const IR: usize = 4;
const JC: usize = 256;

#[allow(clippy::too_many_arguments)]
fn int_bmm<T: Element>(
    dst: &Storage,
    ld: &Layout,
    a: &Storage,
    la: &Layout,
    b: &Storage,
    lb: &Layout,
    alpha: i64,
    beta: i64,
) -> Result<()> {
    let (bn, m, k, n) = (la.sizes[0], la.sizes[1], la.sizes[2], lb.sizes[2]);
    // Row-major i64 copies: the inner loop then reads both operands with stride 1.
    let a64 = contiguous(a, la, T::DTYPE, DType::I64)?;
    let b64 = contiguous(b, lb, T::DTYPE, DType::I64)?;
    let (pa, pb) = (SendPtr(a64.ptr() as *mut i64), SendPtr(b64.ptr() as *mut i64));
    let pd = SendPtr(dst.ptr() as *mut T);
    let (rb, cb) = (m.div_ceil(IR), n.div_ceil(JC));
    let tiles = bn * rb * cb;
    let chunks = if get_num_threads() > 1 && bn * m * n * k >= PAR_WORK { tiles.min(get_num_threads() * 4) } else { 1 };
    let tile = |t: usize| {
        let (bi, rest) = (t / (rb * cb), t % (rb * cb));
        let (i0, j0) = ((rest / cb) * IR, (rest % cb) * JC);
        let (rows, w) = (IR.min(m - i0), JC.min(n - j0));
        let mut acc = [[0i64; JC]; IR];
        for kk in 0..k {
            // SAFETY: b64 is a dense (bn, k, n) copy, bi < bn, kk < k and j0 + w <= n.
            let brow = unsafe { std::slice::from_raw_parts(pb.get().add((bi * k + kk) * n + j0), w) };
            for (r, acc_r) in acc.iter_mut().enumerate().take(rows) {
                // SAFETY: a64 is a dense (bn, m, k) copy, bi < bn, i0 + r < m and kk < k.
                let x = unsafe { *pa.get().add((bi * m + i0 + r) * k + kk) };
                for (s, &y) in acc_r[..w].iter_mut().zip(brow) {
                    *s = s.wrapping_add(x.wrapping_mul(y));
                }
            }
        }
        for (r, acc_r) in acc.iter().enumerate().take(rows) {
            for (j, &v) in acc_r[..w].iter().enumerate() {
                let idx = [bi, i0 + r, j0 + j];
                // SAFETY: [bi, i0+r, j0+j] is inside dst's (bn, m, n) layout, which fits dst's storage; each
                // tile owns its elements.
                let p = unsafe { pd.get().add(ld.offset_of(&idx)) };
                let mut out = alpha.wrapping_mul(v);
                if beta != 0 {
                    // SAFETY: `p` points at an element of dst (above) that only this tile touches.
                    out = out.wrapping_add(beta.wrapping_mul(unsafe { *p }.to_i64()));
                }
                // SAFETY: as above: `p` is this tile's own element of dst.
                unsafe { *p = T::from_i64(out) };
            }
        }
    };
    parallel_for(chunks, |c| {
        let (s, e) = split_range(tiles, chunks, c);
        (s..e).for_each(tile);
    });
    set_last("int-i64-accumulate", chunks.min(get_num_threads()));
    Ok(())
}
