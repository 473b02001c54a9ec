//! float32 optimizer kernels that stay fast when state values are subnormal.
//!
//! Momentum buffers of parameters whose gradient is zero (dead ReLU units) decay into the
//! subnormal range and stay there: `0.9 · 4·2⁻¹⁴⁹` rounds back to `4·2⁻¹⁴⁹` (Adam's first
//! moment does the same). On Intel cores every f32 multiply with a subnormal operand or result
//! takes a microcode assist (~60 ns per 16-lane instruction, measured), so the lecture model's
//! SGD step at batch 1 spent 67 % of its time there with 42 % of the buffer subnormal.
//! Flushing to zero (FTZ/DAZ) would change the results; PyTorch keeps subnormals unless
//! `set_flush_denormal(True)`.
//!
//! Instead, each 16-element block whose operands include a value of tiny magnitude runs the
//! same formula in f64, rounding to f32 after every operation. That gives the f32 result bit
//! for bit: a product of two f32 values is exact in f64, and for a single +, −, ×, ÷ or √ of
//! f32 operands rounding the f64 result to f32 equals rounding the exact result (f64's 53 bits
//! ≥ 2·24 + 2, so double rounding is innocuous), subnormal results included. f64 has no
//! subnormals in that range, and the conversions run without assists. Which path a block takes
//! is only a speed decision; both compute identical bits. Each formula is written once, over
//! the `Lanes` operations, and instantiated for both paths.
use super::cpu_optim::{adam_kernel, sgd_momentum, AdamK, SgdK};

/// Blocks with a nonzero operand below this magnitude take the f64 path: every chained product
/// of such an operand with the step's coefficients (at most three: `wd·p`, `damp·d`, `lr·step`)
/// could be subnormal. Larger values can still give a subnormal through cancellation; that is
/// rare and only costs time.
fn sgd_tiny(k: &SgdK<f32>) -> u32 {
    let smallest =
        [k.lr, k.mu, k.damp, k.wd, k.sign].iter().map(|c| c.abs()).filter(|&c| c > 0.0 && c < 1.0).fold(1.0f64, |m, c| m.min(c as f64));
    let t = f32::MIN_POSITIVE as f64 * 8.0 / (smallest * smallest * smallest);
    (t.min(1e-10) as f32).to_bits()
}

/// Adam squares the gradient (`d·d` is subnormal below 2⁻⁶³) and divides by `sqrt(v)`: below
/// 2⁻⁶⁰ an operand takes the f64 path. Real gradients and moments sit far above that.
const ADAM_TINY: u32 = 0x2180_0000; // 2^-60

fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512dq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// SGD with momentum on f32 slices; `None` when the CPU lacks AVX-512 (the caller then runs
/// the portable kernel).
pub(super) fn sgd_momentum_f32<const FRESH: bool>(p: &mut [f32], g: &[f32], b: &mut [f32], k: SgdK<f32>) -> Option<()> {
    if !has_avx512() {
        return None;
    }
    let n = p.len();
    assert!(g.len() >= n && b.len() >= n, "sgd_momentum_f32: operand lengths");
    let whole = n - n % 16;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F/DQ were detected above; every slice holds at least `whole` elements.
    unsafe {
        x86::sgd_blocks::<FRESH>(&mut p[..whole], &g[..whole], &mut b[..whole], &k, sgd_tiny(&k))
    };
    sgd_momentum::<f32, FRESH>(&mut p[whole..], &g[whole..n], &mut b[whole..n], k);
    Some(())
}

/// Adam / AdamW on f32 slices (`vmax` only read under AMSGRAD); `None` without AVX-512.
pub(super) fn adam_f32<const AMSGRAD: bool>(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: AdamK<f32>,
) -> Option<()> {
    if !has_avx512() {
        return None;
    }
    let n = p.len();
    assert!(g.len() >= n && m.len() >= n && v.len() >= n && (!AMSGRAD || vmax.len() >= n), "adam_f32: operand lengths");
    let whole = n - n % 16;
    let (vm_head, vm_tail): (&mut [f32], &mut [f32]) = if AMSGRAD { vmax[..n].split_at_mut(whole) } else { (&mut [], &mut []) };
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F/DQ were detected above; every slice holds at least `whole` elements
    // (`vm_head` too under AMSGRAD, the only case that reads it).
    unsafe {
        x86::adam_blocks::<AMSGRAD>(&mut p[..whole], &g[..whole], &mut m[..whole], &mut v[..whole], vm_head, &k)
    };
    let _ = &vm_head;
    adam_kernel::<f32, AMSGRAD>(&mut p[whole..], &g[whole..n], &mut m[whole..n], &mut v[whole..n], vm_tail, k);
    Some(())
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{AdamK, SgdK, ADAM_TINY};
    use std::arch::x86_64::*;

    /// The operations the update formulas use, on 16 f32 lanes (`F32`) or 8 lanes widened to f64
    /// and rounded to f32 after each operation (`F64`). `_mm512_*` products and sums are never
    /// contracted into FMAs, so `F32` rounds exactly as the scalar formula does.
    trait Lanes: Copy {
        fn splat(c: f32) -> Self;
        fn add(self, o: Self) -> Self;
        fn sub(self, o: Self) -> Self;
        fn mul(self, o: Self) -> Self;
        fn div(self, o: Self) -> Self;
        fn sqrt(self) -> Self;
        fn neg(self) -> Self;
        /// `self > o ? self : o` (a NaN in either picks `o`, as the scalar `if` does).
        fn pick_gt(self, o: Self) -> Self;
    }

    #[derive(Clone, Copy)]
    struct F32(__m512);
    #[derive(Clone, Copy)]
    struct F64(__m512d);

    // Both impls: these methods are only called from the `#[target_feature(enable =
    // "avx512f,avx512dq")]` functions below, which run only after the features were detected;
    // they are `#[inline(always)]` into those, so the intrinsics execute with the features on.
    impl Lanes for F32 {
        #[inline(always)]
        fn splat(c: f32) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F32(_mm512_set1_ps(c)) }
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F32(_mm512_add_ps(self.0, o.0)) }
        }
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F32(_mm512_sub_ps(self.0, o.0)) }
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F32(_mm512_mul_ps(self.0, o.0)) }
        }
        #[inline(always)]
        fn div(self, o: Self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F32(_mm512_div_ps(self.0, o.0)) }
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F32(_mm512_sqrt_ps(self.0)) }
        }
        #[inline(always)]
        fn neg(self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F32(_mm512_xor_ps(self.0, _mm512_set1_ps(-0.0))) }
        }
        #[inline(always)]
        fn pick_gt(self, o: Self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F32(_mm512_max_ps(self.0, o.0)) }
        }
    }

    /// Rounds each lane (one f32 operation's exact-in-f64 or once-rounded result) to f32 and back.
    #[inline(always)]
    fn r(x: __m512d) -> F64 {
        // SAFETY: see the impl-level note above.
        // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
        unsafe { F64(_mm512_cvtps_pd(_mm512_cvtpd_ps(x))) }
    }

    impl Lanes for F64 {
        #[inline(always)]
        fn splat(c: f32) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F64(_mm512_set1_pd(c as f64)) }
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            r(unsafe { _mm512_add_pd(self.0, o.0) })
        }
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            r(unsafe { _mm512_sub_pd(self.0, o.0) })
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            r(unsafe { _mm512_mul_pd(self.0, o.0) })
        }
        #[inline(always)]
        fn div(self, o: Self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            r(unsafe { _mm512_div_pd(self.0, o.0) })
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            r(unsafe { _mm512_sqrt_pd(self.0) })
        }
        #[inline(always)]
        fn neg(self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F64(_mm512_xor_pd(self.0, _mm512_set1_pd(-0.0))) }
        }
        #[inline(always)]
        fn pick_gt(self, o: Self) -> Self {
            // SAFETY: AVX-512F/DQ are on wherever this inlines (see the note above the impls).
            unsafe { F64(_mm512_max_pd(self.0, o.0)) }
        }
    }

    /// `cpu_optim::sgd_momentum`'s formula, operation for operation: (new p, new buffer).
    #[inline(always)]
    fn sgd<L: Lanes, const FRESH: bool>(p: L, g: L, b: L, k: &SgdK<f32>) -> (L, L) {
        let s = L::splat;
        let d = if k.decay { s(k.sign).mul(g).add(s(k.wd).mul(p)) } else { s(k.sign).mul(g) };
        let nb = if FRESH { d } else { s(k.mu).mul(b).add(s(k.damp).mul(d)) };
        let step = if k.nesterov { d.add(s(k.mu).mul(nb)) } else { nb };
        (p.sub(s(k.lr).mul(step)), nb)
    }

    /// `cpu_optim::adam_kernel`'s formula: (p, m, v, vmax).
    #[inline(always)]
    fn adam<L: Lanes, const AMSGRAD: bool>(mut p: L, g: L, m: L, v: L, vmax: L, k: &AdamK<f32>) -> [L; 4] {
        let s = L::splat;
        let mut d = if k.maximize { g.neg() } else { g };
        if k.decoupled {
            p = p.mul(s(k.decay));
        }
        if k.coupled {
            d = d.add(s(k.wd).mul(p));
        }
        let m = m.add(s(k.b1).mul(d.sub(m)));
        let v = v.mul(s(k.b2)).add(s(k.one_b2).mul(d).mul(d));
        let vhat = if AMSGRAD { vmax.pick_gt(v) } else { v };
        let denom = vhat.sqrt().div(s(k.bc2s)).add(s(k.eps));
        [p.sub(s(k.ss).mul(m.div(denom))), m, v, vhat]
    }

    /// Lanes whose magnitude is nonzero and below `tiny` (as bits): `|x| − 1 < tiny − 1`
    /// unsigned, so zero wraps to the top and NaN/inf compare large.
    #[target_feature(enable = "avx512f")]
    fn tiny_lanes(x: __m512, tiny: u32) -> __mmask16 {
        let abs = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fff_ffff));
        _mm512_cmplt_epu32_mask(_mm512_sub_epi32(abs, _mm512_set1_epi32(1)), _mm512_set1_epi32(tiny.wrapping_sub(1) as i32))
    }

    /// Runs `f` on the block's N operands: as 16 f32 lanes when no lane is tiny, else as two
    /// halves of 8 lanes in f64. Returns the N results.
    #[target_feature(enable = "avx512f,avx512dq")]
    fn block<const N: usize>(
        x: [__m512; N],
        tiny: u32,
        f32s: impl Fn([F32; N]) -> [F32; N],
        f64s: impl Fn([F64; N]) -> [F64; N],
    ) -> [__m512; N] {
        let any = x.iter().fold(0, |a, &v| a | tiny_lanes(v, tiny));
        if any == 0 {
            return f32s(x.map(F32)).map(|v| v.0);
        }
        let lo = f64s(x.map(|v| F64(_mm512_cvtps_pd(_mm512_castps512_ps256(v)))));
        let hi = f64s(x.map(|v| F64(_mm512_cvtps_pd(_mm512_extractf32x8_ps::<1>(v)))));
        std::array::from_fn(|i| _mm512_insertf32x8::<1>(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo[i].0)), _mm512_cvtpd_ps(hi[i].0)))
    }

    /// # Safety
    /// The CPU has AVX-512F and AVX-512DQ; all slices have the same length, a multiple of 16.
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) unsafe fn sgd_blocks<const FRESH: bool>(p: &mut [f32], g: &[f32], b: &mut [f32], k: &SgdK<f32>, tiny: u32) {
        for i in (0..p.len()).step_by(16) {
            // SAFETY: i + 16 <= len of every slice (caller); p and b are distinct `&mut` slices.
            unsafe {
                let (pp, gp, bp) = (p.as_mut_ptr().add(i), g.as_ptr().add(i), b.as_mut_ptr().add(i));
                // A fresh buffer is never read: its lanes are excluded from the tiny test.
                let bv = if FRESH { _mm512_setzero_ps() } else { _mm512_loadu_ps(bp) };
                let [np, nb, _, _] = block(
                    [_mm512_loadu_ps(pp), _mm512_loadu_ps(gp), bv, _mm512_setzero_ps()],
                    tiny,
                    |[p, g, b, z]| {
                        let (p, b) = sgd::<F32, FRESH>(p, g, b, k);
                        [p, b, z, z]
                    },
                    |[p, g, b, z]| {
                        let (p, b) = sgd::<F64, FRESH>(p, g, b, k);
                        [p, b, z, z]
                    },
                );
                _mm512_storeu_ps(pp, np);
                _mm512_storeu_ps(bp, nb);
            }
        }
    }

    /// # Safety
    /// The CPU has AVX-512F and AVX-512DQ; all slices have the same length, a multiple of 16
    /// (`vmax` too under AMSGRAD; it is not touched otherwise).
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) unsafe fn adam_blocks<const AMSGRAD: bool>(
        p: &mut [f32],
        g: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        vmax: &mut [f32],
        k: &AdamK<f32>,
    ) {
        for i in (0..p.len()).step_by(16) {
            // SAFETY: i + 16 <= len of every slice read or written (caller); the `&mut` slices are
            // distinct.
            unsafe {
                let (pp, gp, mp, vp) = (p.as_mut_ptr().add(i), g.as_ptr().add(i), m.as_mut_ptr().add(i), v.as_mut_ptr().add(i));
                let xp = if AMSGRAD { vmax.as_mut_ptr().add(i) } else { std::ptr::null_mut() };
                let xv = if AMSGRAD { _mm512_loadu_ps(xp) } else { _mm512_setzero_ps() };
                let [np, nm, nv, nx, _] = block(
                    [_mm512_loadu_ps(pp), _mm512_loadu_ps(gp), _mm512_loadu_ps(mp), _mm512_loadu_ps(vp), xv],
                    ADAM_TINY,
                    |[p, g, m, v, x]| {
                        let [p, m, v, x] = adam::<F32, AMSGRAD>(p, g, m, v, x, k);
                        [p, m, v, x, x]
                    },
                    |[p, g, m, v, x]| {
                        let [p, m, v, x] = adam::<F64, AMSGRAD>(p, g, m, v, x, k);
                        [p, m, v, x, x]
                    },
                );
                _mm512_storeu_ps(pp, np);
                _mm512_storeu_ps(mp, nm);
                _mm512_storeu_ps(vp, nv);
                if AMSGRAD {
                    _mm512_storeu_ps(xp, nx);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(s: &mut u64) -> u32 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 16) as u32
    }

    /// Bit patterns with many subnormals, zeros of both signs, infinities and NaNs.
    fn values(n: usize, seed: u64, positive: bool) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|i| {
                let bits = xorshift(&mut s);
                let u = bits as f32 / u32::MAX as f32 - 0.5;
                // Every other block holds no tiny value, so both paths run.
                let x = if (i / 16) % 2 == 1 {
                    match i % 7 {
                        0 => u * 1e3,
                        1 => 0.0,
                        2 if bits % 8 == 0 => [f32::INFINITY, f32::NEG_INFINITY, f32::NAN][bits as usize % 3],
                        _ => u * 1e-3,
                    }
                } else {
                    match i % 5 {
                        0 => f32::from_bits(bits & 0x807f_ffff),               // subnormal or ±0
                        1 => f32::from_bits(bits & 0x80ff_ffff | 0x0080_0000), // just above subnormal
                        2 => f32::from_bits(bits % 4 | (bits & 0x8000_0000)),  // the stuck buffers
                        3 => (bits as f32 / u32::MAX as f32 - 0.5) * 1e-3,
                        _ => f32::from_bits(bits),
                    }
                };
                if positive {
                    x.abs()
                } else {
                    x
                }
            })
            .collect()
    }

    fn same(x: &[f32], y: &[f32], what: &str) {
        for (j, (a, b)) in x.iter().zip(y).enumerate() {
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{what}[{j}]: {a:e} vs {b:e}");
        }
    }

    fn check_sgd<const FRESH: bool>(k: SgdK<f32>) {
        let n = 16 * 64 + 7;
        for seed in 1..20u64 {
            let (mut p, g, mut b) = (values(n, seed, false), values(n, seed * 77, false), values(n, seed * 991, false));
            let (mut p2, mut b2) = (p.clone(), b.clone());
            if sgd_momentum_f32::<FRESH>(&mut p, &g, &mut b, k).is_none() {
                return; // no AVX-512 here: the portable kernel runs instead
            }
            sgd_momentum::<f32, FRESH>(&mut p2, &g, &mut b2, k);
            same(&p, &p2, "p");
            same(&b, &b2, "buf");
        }
    }

    #[test]
    fn sgd_subnormal_blocks_match_the_f32_formula_bit_for_bit() {
        let base = SgdK { lr: 0.01f32, mu: 0.9, damp: 1.0, wd: 0.0, sign: 1.0, decay: false, nesterov: false };
        check_sgd::<false>(base);
        check_sgd::<true>(base);
        check_sgd::<false>(SgdK { wd: 1e-4, decay: true, nesterov: true, damp: 0.7, sign: -1.0, ..base });
        check_sgd::<false>(SgdK { lr: 3.0, mu: 1.5, ..base });
    }

    fn check_adam<const AMSGRAD: bool>(k: AdamK<f32>) {
        let n = 16 * 64 + 9;
        for seed in 1..20u64 {
            let (mut p, g, mut m) = (values(n, seed, false), values(n, seed * 77, false), values(n, seed * 991, false));
            let (mut v, mut x) = (values(n, seed * 5, true), values(n, seed * 13, true));
            let (mut p2, mut m2, mut v2, mut x2) = (p.clone(), m.clone(), v.clone(), x.clone());
            if adam_f32::<AMSGRAD>(&mut p, &g, &mut m, &mut v, &mut x, k).is_none() {
                return;
            }
            adam_kernel::<f32, AMSGRAD>(&mut p2, &g, &mut m2, &mut v2, &mut x2, k);
            same(&p, &p2, "p");
            same(&m, &m2, "m");
            same(&v, &v2, "v");
            same(&x, &x2, "vmax");
        }
    }

    #[test]
    fn adam_subnormal_blocks_match_the_f32_formula_bit_for_bit() {
        let base = AdamK {
            b1: 0.1f32,
            b2: 0.999,
            one_b2: 0.001,
            eps: 1e-8,
            wd: 0.0,
            decay: 1.0,
            bc2s: 0.3,
            ss: 1e-3,
            maximize: false,
            coupled: false,
            decoupled: false,
        };
        check_adam::<false>(base);
        check_adam::<true>(base);
        check_adam::<false>(AdamK { wd: 1e-2, coupled: true, maximize: true, ..base });
        check_adam::<true>(AdamK { wd: 1e-2, decay: 0.99999, decoupled: true, ..base });
    }
}
