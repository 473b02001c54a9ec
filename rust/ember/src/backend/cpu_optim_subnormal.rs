//! float32 optimizer kernels that stay fast when state values are subnormal.
//!
//! Momentum buffers of parameters whose gradient is zero (dead ReLU units) decay into the
//! subnormal range and stay there: `0.9 · 4·2⁻¹⁴⁹` rounds back to `4·2⁻¹⁴⁹`. On Intel cores
//! every f32 multiply with a subnormal operand or result takes a microcode assist (~60 ns per
//! 16-lane instruction, measured), so the lecture model's SGD step at batch 1 spent 67 % of its
//! time there with 42 % of the buffer subnormal. Flushing to zero (FTZ/DAZ) would change the
//! results; PyTorch keeps subnormals unless `set_flush_denormal(True)`.
//!
//! Instead, each 16-element block whose operands include a value of tiny magnitude runs the
//! same formula in f64, rounding to f32 after every operation. That gives the f32 result bit
//! for bit: a product of two f32 values is exact in f64, and for a single +, −, × of f32
//! operands rounding the f64 result to f32 equals rounding the exact result (f64's 53 bits ≥
//! 2·24 + 2, so double rounding is innocuous), subnormal results included. f64 has no
//! subnormals in that range, and the conversions run without assists. Which path a block takes
//! is only a speed decision; both compute identical bits.
use super::cpu_optim::SgdK;

/// Blocks with a nonzero operand below this magnitude take the f64 path: every chained product
/// of such an operand with the step's coefficients (at most three: `wd·p`, `damp·d`, `lr·step`)
/// could be subnormal. Larger values can still give a subnormal through cancellation; that is
/// rare and only costs time.
fn tiny_threshold(k: &SgdK<f32>) -> u32 {
    let smallest =
        [k.lr, k.mu, k.damp, k.wd, k.sign].iter().map(|c| c.abs()).filter(|&c| c > 0.0 && c < 1.0).fold(1.0f64, |m, c| m.min(c as f64));
    let t = f32::MIN_POSITIVE as f64 * 8.0 / (smallest * smallest * smallest);
    (t.min(1e-10) as f32).to_bits()
}

/// Runs SGD with momentum on f32 slices; `None` when the CPU lacks AVX-512 (the caller then
/// runs the portable kernel).
pub(super) fn sgd_momentum_f32<const FRESH: bool>(p: &mut [f32], g: &[f32], b: &mut [f32], k: SgdK<f32>) -> Option<()> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512dq") {
        let n = p.len();
        assert!(g.len() >= n && b.len() >= n, "sgd_momentum_f32: operand lengths");
        // SAFETY: the features were detected above; the slices hold at least n elements.
        unsafe { x86::sgd_momentum::<FRESH>(p, &g[..n], &mut b[..n], k, tiny_threshold(&k)) };
        return Some(());
    }
    let _ = (p, g, b, k);
    None
}

/// The scalar formula (the tail of a block loop and the reference for tests); the same operation
/// order as `cpu_optim::sgd_momentum`.
#[inline(always)]
fn sgd_scalar<const FRESH: bool>(p: &mut f32, g: f32, b: &mut f32, k: &SgdK<f32>) {
    let d = if k.decay { k.sign * g + k.wd * *p } else { k.sign * g };
    let nb = if FRESH { d } else { k.mu * *b + k.damp * d };
    *b = nb;
    let step = if k.nesterov { d + k.mu * nb } else { nb };
    *p -= k.lr * step;
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{sgd_scalar, SgdK};
    use std::arch::x86_64::*;

    /// f32 ops; `_mm512_mul_ps`/`_mm512_add_ps` are never contracted into FMAs, so each matches
    /// the scalar formula's rounding.
    #[target_feature(enable = "avx512f")]
    fn block_f32<const FRESH: bool>(p: __m512, g: __m512, b: __m512, k: &SgdK<f32>) -> (__m512, __m512) {
        let s = _mm512_set1_ps;
        let sg = _mm512_mul_ps(s(k.sign), g);
        let d = if k.decay { _mm512_add_ps(sg, _mm512_mul_ps(s(k.wd), p)) } else { sg };
        let nb = if FRESH { d } else { _mm512_add_ps(_mm512_mul_ps(s(k.mu), b), _mm512_mul_ps(s(k.damp), d)) };
        let step = if k.nesterov { _mm512_add_ps(d, _mm512_mul_ps(s(k.mu), nb)) } else { nb };
        (_mm512_sub_ps(p, _mm512_mul_ps(s(k.lr), step)), nb)
    }

    /// Rounds each lane of an f64 vector holding one f32 operation's result to f32 and back.
    #[target_feature(enable = "avx512f")]
    fn r(x: __m512d) -> __m512d {
        _mm512_cvtps_pd(_mm512_cvtpd_ps(x))
    }

    /// The same formula on 8 lanes widened to f64, rounded to f32 after every operation.
    /// A product by 1 is the operand itself (`sign` unless maximizing, `damp` without dampening).
    #[target_feature(enable = "avx512f")]
    fn half_f64<const FRESH: bool>(p: __m256, g: __m256, b: __m256, k: &SgdK<f32>) -> (__m256, __m256) {
        let s = |c: f32| _mm512_set1_pd(c as f64);
        let times = |c: f32, x: __m512d| if c == 1.0 { x } else { r(_mm512_mul_pd(s(c), x)) };
        let (p, g, b) = (_mm512_cvtps_pd(p), _mm512_cvtps_pd(g), _mm512_cvtps_pd(b));
        let sg = times(k.sign, g);
        let d = if k.decay { r(_mm512_add_pd(sg, times(k.wd, p))) } else { sg };
        let nb = if FRESH { d } else { r(_mm512_add_pd(times(k.mu, b), times(k.damp, d))) };
        let step = if k.nesterov { r(_mm512_add_pd(d, times(k.mu, nb))) } else { nb };
        let np = _mm512_sub_pd(p, times(k.lr, step));
        (_mm512_cvtpd_ps(np), _mm512_cvtpd_ps(nb))
    }

    /// Lanes whose magnitude is nonzero and below `tiny` (as bits): `|x| − 1 < tiny − 1`
    /// unsigned, so zero wraps to the top and NaN/inf compare large.
    #[target_feature(enable = "avx512f")]
    fn tiny_lanes(x: __m512, tiny: u32) -> __mmask16 {
        let abs = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fff_ffff));
        let one = _mm512_set1_epi32(1);
        _mm512_cmplt_epu32_mask(_mm512_sub_epi32(abs, one), _mm512_set1_epi32(tiny.wrapping_sub(1) as i32))
    }

    /// # Safety
    /// The CPU has AVX-512F and AVX-512DQ; `g` and `b` hold `p.len()` elements.
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) unsafe fn sgd_momentum<const FRESH: bool>(p: &mut [f32], g: &[f32], b: &mut [f32], k: SgdK<f32>, tiny: u32) {
        let n = p.len();
        let whole = n - n % 16;
        let (pp, gp, bp) = (p.as_mut_ptr(), g.as_ptr(), b.as_mut_ptr());
        let mut i = 0;
        while i < whole {
            // SAFETY: i + 16 <= whole <= n and each slice holds n elements (caller).
            let (pv, gv, bv) = unsafe { (_mm512_loadu_ps(pp.add(i)), _mm512_loadu_ps(gp.add(i)), _mm512_loadu_ps(bp.add(i))) };
            let mut any = tiny_lanes(pv, tiny) | tiny_lanes(gv, tiny);
            if !FRESH {
                any |= tiny_lanes(bv, tiny);
            }
            let (np, nb) = if any == 0 {
                block_f32::<FRESH>(pv, gv, bv, &k)
            } else {
                let lo = |v: __m512| _mm512_castps512_ps256(v);
                let hi = |v: __m512| _mm512_extractf32x8_ps::<1>(v);
                let (pl, bl) = half_f64::<FRESH>(lo(pv), lo(gv), lo(bv), &k);
                let (ph, bh) = half_f64::<FRESH>(hi(pv), hi(gv), hi(bv), &k);
                (_mm512_insertf32x8::<1>(_mm512_castps256_ps512(pl), ph), _mm512_insertf32x8::<1>(_mm512_castps256_ps512(bl), bh))
            };
            // SAFETY: as for the loads; p and b are distinct slices (the caller's &mut).
            unsafe {
                _mm512_storeu_ps(pp.add(i), np);
                _mm512_storeu_ps(bp.add(i), nb);
            }
            i += 16;
        }
        for j in whole..n {
            sgd_scalar::<FRESH>(&mut p[j], g[j], &mut b[j], &k);
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
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|i| {
                let bits = xorshift(&mut s);
                match i % 5 {
                    0 => f32::from_bits(bits & 0x807f_ffff),               // subnormal or ±0
                    1 => f32::from_bits(bits & 0x80ff_ffff | 0x0080_0000), // just above subnormal
                    2 => f32::from_bits(bits % 4 | (bits & 0x8000_0000)),  // the stuck buffers
                    3 => (bits as f32 / u32::MAX as f32 - 0.5) * 1e-3,
                    _ => f32::from_bits(bits),
                }
            })
            .collect()
    }

    fn check<const FRESH: bool>(k: SgdK<f32>) {
        let n = 16 * 64 + 7;
        for seed in 1..20u64 {
            let (mut p, g, mut b) = (values(n, seed), values(n, seed * 77), values(n, seed * 991));
            let (mut p2, mut b2) = (p.clone(), b.clone());
            if sgd_momentum_f32::<FRESH>(&mut p, &g, &mut b, k).is_none() {
                return; // no AVX-512 here: the portable kernel runs instead
            }
            for j in 0..n {
                sgd_scalar::<FRESH>(&mut p2[j], g[j], &mut b2[j], &k);
            }
            for j in 0..n {
                let same = |x: f32, y: f32| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
                assert!(same(p[j], p2[j]) && same(b[j], b2[j]), "element {j}: {:?} vs {:?}", (p[j], b[j]), (p2[j], b2[j]));
            }
        }
    }

    #[test]
    fn subnormal_blocks_match_the_f32_formula_bit_for_bit() {
        let base = SgdK { lr: 0.01f32, mu: 0.9, damp: 1.0, wd: 0.0, sign: 1.0, decay: false, nesterov: false };
        check::<false>(base);
        check::<true>(base);
        check::<false>(SgdK { wd: 1e-4, decay: true, nesterov: true, damp: 0.7, sign: -1.0, ..base });
        check::<false>(SgdK { lr: 3.0, mu: 1.5, ..base });
    }
}
