//! `MaxPool2d(2)` on float32 planes with AVX-512 or AVX2: 2×2 windows, stride 2, no padding.
//!
//! The general separable kernel in `pool.rs` runs each output row as loops over `ow`; for the
//! common CNN shapes (`ow` = 13, 5) most of those iterations were scalar tails, so the pool
//! forward was 14 % of the CNN training step. Here 16 output columns are one vector: the two
//! input rows are loaded as 32 columns each (masked at the plane's edge), split into even and
//! odd columns with one permute, and the four taps are combined in window order with the same
//! rule as the scalar kernel (a later tap wins only when larger, or when it is the first NaN),
//! so values and indices match it exactly. AVX2 does the same 8 output columns at a time
//! (the generic kernel was 22 % of the CNN step on a Zen 3 core).
use crate::pool::PoolGeom;
#[cfg(target_arch = "x86_64")]
use crate::reduce::{isa, Isa};

/// Whether `pool_plane` handles this geometry (the caller checked every window is inside).
pub(crate) fn applies(g: &PoolGeom) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        g.k == (2, 2)
            && g.stride == (2, 2)
            && g.dilation == (1, 1)
            && g.pad == (0, 0)
            && g.h.checked_mul(g.w).is_some_and(|n| n <= i32::MAX as usize)
            && isa() != Isa::Base
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = g;
        false
    }
}

/// One plane's outputs and flat input indices. `applies(g)` must hold and
/// `2·oh ≤ h`, `2·ow ≤ w` (every window inside).
pub(crate) fn pool_plane(plane: &[f32], g: &PoolGeom, out: &mut [f32], idx: &mut [i64]) {
    assert!(plane.len() >= g.h * g.w && out.len() >= g.oh * g.ow && idx.len() >= g.oh * g.ow, "pool_plane: sizes");
    assert!(2 * g.oh <= g.h && 2 * g.ow <= g.w, "pool_plane: windows outside the plane");
    #[cfg(target_arch = "x86_64")]
    match isa() {
        // SAFETY: `isa()` found AVX-512F (and BW) at run time; the slice lengths and window bounds
        // are asserted above.
        Isa::Avx512 => unsafe { x86::pool_plane(plane, g, out, idx) },
        // SAFETY: `isa()` found AVX2 (and FMA) at run time; the slice lengths and window bounds are
        // asserted above.
        Isa::Avx2 => unsafe { x86_avx2::pool_plane(plane, g, out, idx) },
        Isa::Base => unreachable!("pool_plane without AVX-512 or AVX2 (`applies` is false there)"),
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("pool_plane without AVX-512 or AVX2")
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::PoolGeom;
    use std::arch::x86_64::*;

    /// `best` ← `v` in the lanes where `v` is larger or the first NaN; returns those lanes.
    #[target_feature(enable = "avx512f")]
    fn take(v: __m512, best: &mut __m512) -> __mmask16 {
        let larger = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, *best);
        let first_nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v) & _mm512_cmp_ps_mask::<_CMP_ORD_Q>(*best, *best);
        let m = larger | first_nan;
        *best = _mm512_mask_blend_ps(m, *best, v);
        m
    }

    /// # Safety
    /// The CPU has AVX-512F; `plane` holds `h·w` elements with `h·w ≤ i32::MAX`, `out`/`idx`
    /// hold `oh·ow`, and `2·oh ≤ h`, `2·ow ≤ w`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn pool_plane(plane: &[f32], g: &PoolGeom, out: &mut [f32], idx: &mut [i64]) {
        let (w, ow) = (g.w, g.ow);
        let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
        let lane2 = _mm512_slli_epi32::<1>(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        let (one, wv, w1) = (_mm512_set1_epi32(1), _mm512_set1_epi32(w as i32), _mm512_set1_epi32(w as i32 + 1));
        for oy in 0..g.oh {
            let (r0, r1) = (plane[2 * oy * w..].as_ptr(), plane[(2 * oy + 1) * w..].as_ptr());
            let mut ox = 0;
            while ox < ow {
                let cnt = (ow - ox).min(16);
                // 2·cnt input columns from 2·ox: the first 16 and the rest, masked so no load
                // reads past column 2·ow ≤ w of the row.
                let m_lo: __mmask16 = if 2 * cnt >= 16 { 0xffff } else { (1u16 << (2 * cnt)) - 1 };
                let m_hi: __mmask16 = if 2 * cnt <= 16 {
                    0
                } else if 2 * cnt == 32 {
                    0xffff
                } else {
                    (1u16 << (2 * cnt - 16)) - 1
                };
                let c = 2 * ox;
                // SAFETY: masked-off lanes are not read; the lanes read are columns 2·ox .. 2·ox + 2·cnt
                // ≤ 2·ow ≤ w of rows 2·oy and 2·oy + 1 < h (caller's bounds). The second half's
                // address may lie past the plane when its mask is empty, so it is formed with
                // `wrapping_add` (no in-bounds requirement) and only dereferenced in masked lanes.
                let (a0, a1, b0, b1) = unsafe {
                    (
                        _mm512_maskz_loadu_ps(m_lo, r0.add(c)),
                        _mm512_maskz_loadu_ps(m_hi, r0.wrapping_add(c + 16)),
                        _mm512_maskz_loadu_ps(m_lo, r1.add(c)),
                        _mm512_maskz_loadu_ps(m_hi, r1.wrapping_add(c + 16)),
                    )
                };
                // Taps in window order: (row 0, col 0), (0, 1), (1, 0), (1, 1).
                let mut best = _mm512_permutex2var_ps(a0, even, a1);
                let mut code = _mm512_setzero_si512();
                let m = take(_mm512_permutex2var_ps(a0, odd, a1), &mut best);
                code = _mm512_mask_mov_epi32(code, m, one);
                let m = take(_mm512_permutex2var_ps(b0, even, b1), &mut best);
                code = _mm512_mask_mov_epi32(code, m, wv);
                let m = take(_mm512_permutex2var_ps(b0, odd, b1), &mut best);
                code = _mm512_mask_mov_epi32(code, m, w1);
                let at = _mm512_add_epi32(_mm512_add_epi32(_mm512_set1_epi32((2 * oy * w + c) as i32), lane2), code);
                let keep: __mmask16 = if cnt == 16 { 0xffff } else { (1u16 << cnt) - 1 };
                let o = oy * ow + ox;
                // SAFETY: lanes below `cnt` are outputs o .. o + cnt ≤ oh·ow of `out`/`idx`; the others
                // are masked off and not written (the upper index half's address, past the end when
                // cnt ≤ 8 and its mask is empty, is formed with `wrapping_add`).
                unsafe {
                    _mm512_mask_storeu_ps(out.as_mut_ptr().add(o), keep, best);
                    let lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(at));
                    let hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64::<1>(at));
                    _mm512_mask_storeu_epi64(idx.as_mut_ptr().add(o), keep as u8, lo);
                    _mm512_mask_storeu_epi64(idx.as_mut_ptr().wrapping_add(o + 8), (keep >> 8) as u8, hi);
                }
                ox += 16;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86_avx2 {
    use super::PoolGeom;
    use std::arch::x86_64::*;

    /// `best` ← `v` in the lanes where `v` is larger or the first NaN; returns those lanes as
    /// an all-ones/all-zeros mask.
    #[target_feature(enable = "avx2")]
    fn take(v: __m256, best: &mut __m256) -> __m256i {
        let larger = _mm256_cmp_ps::<_CMP_GT_OQ>(v, *best);
        let first_nan = _mm256_and_ps(_mm256_cmp_ps::<_CMP_UNORD_Q>(v, v), _mm256_cmp_ps::<_CMP_ORD_Q>(*best, *best));
        let m = _mm256_or_ps(larger, first_nan);
        *best = _mm256_blendv_ps(*best, v, m);
        _mm256_castps_si256(m)
    }

    /// Even and odd columns of the 16 in `lo`, `hi`, each in column order.
    #[target_feature(enable = "avx2")]
    fn split(lo: __m256, hi: __m256) -> (__m256, __m256) {
        // Per 128-bit half: [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6]; the 64-bit permute restores order.
        let even = _mm256_shuffle_ps::<0b10_00_10_00>(lo, hi);
        let odd = _mm256_shuffle_ps::<0b11_01_11_01>(lo, hi);
        let order = |v: __m256| _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(v)));
        (order(even), order(odd))
    }

    /// # Safety
    /// The CPU has AVX2; `plane` holds `h·w` elements with `h·w ≤ i32::MAX`, `out`/`idx` hold
    /// `oh·ow`, and `2·oh ≤ h`, `2·ow ≤ w`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn pool_plane(plane: &[f32], g: &PoolGeom, out: &mut [f32], idx: &mut [i64]) {
        let (w, ow) = (g.w, g.ow);
        let lane2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
        let (one, wv, w1) = (_mm256_set1_epi32(1), _mm256_set1_epi32(w as i32), _mm256_set1_epi32(w as i32 + 1));
        for oy in 0..g.oh {
            let (r0, r1) = (&plane[2 * oy * w..(2 * oy + 1) * w], &plane[(2 * oy + 1) * w..(2 * oy + 2) * w]);
            let mut ox = 0;
            while ox < ow {
                let cnt = (ow - ox).min(8);
                let c = 2 * ox;
                // 2·cnt ≤ 2·ow - c input columns of each row from c (within the row: 2·ow ≤ w). A
                // ragged end is copied to a padded buffer first; its padding lanes are not stored.
                let (mut p0, mut p1) = ([0f32; 16], [0f32; 16]);
                let (s0, s1) = if cnt == 8 {
                    (&r0[c..c + 16], &r1[c..c + 16])
                } else {
                    // Element loops, not `copy_from_slice`: a few floats per call went to memmove.
                    for j in 0..2 * cnt {
                        (p0[j], p1[j]) = (r0[c + j], r1[c + j]);
                    }
                    (&p0[..], &p1[..])
                };
                // SAFETY: s0 and s1 are 16-element slices (bounds-checked above).
                let (a0, a1, b0, b1) = unsafe {
                    (
                        _mm256_loadu_ps(s0.as_ptr()),
                        _mm256_loadu_ps(s0.as_ptr().add(8)),
                        _mm256_loadu_ps(s1.as_ptr()),
                        _mm256_loadu_ps(s1.as_ptr().add(8)),
                    )
                };
                // Taps in window order: (row 0, col 0), (0, 1), (1, 0), (1, 1).
                let (e0, o0) = split(a0, a1);
                let (e1, o1) = split(b0, b1);
                let mut best = e0;
                let mut code = _mm256_setzero_si256();
                code = _mm256_blendv_epi8(code, one, take(o0, &mut best));
                code = _mm256_blendv_epi8(code, wv, take(e1, &mut best));
                code = _mm256_blendv_epi8(code, w1, take(o1, &mut best));
                let at = _mm256_add_epi32(_mm256_add_epi32(_mm256_set1_epi32((2 * oy * w + c) as i32), lane2), code);
                let (lo, hi) =
                    (_mm256_cvtepi32_epi64(_mm256_castsi256_si128(at)), _mm256_cvtepi32_epi64(_mm256_extracti128_si256::<1>(at)));
                let o = oy * ow + ox;
                let (vd, id) = (&mut out[o..o + cnt], &mut idx[o..o + cnt]);
                if cnt == 8 {
                    // SAFETY: vd and id are 8-element slices (bounds-checked above).
                    unsafe {
                        _mm256_storeu_ps(vd.as_mut_ptr(), best);
                        _mm256_storeu_si256(id.as_mut_ptr() as *mut __m256i, lo);
                        _mm256_storeu_si256(id.as_mut_ptr().add(4) as *mut __m256i, hi);
                    }
                } else {
                    let (mut vb, mut ib) = ([0f32; 8], [0i64; 8]);
                    // SAFETY: stores into local arrays of 8 f32 / 8 i64.
                    unsafe {
                        _mm256_storeu_ps(vb.as_mut_ptr(), best);
                        _mm256_storeu_si256(ib.as_mut_ptr() as *mut __m256i, lo);
                        _mm256_storeu_si256(ib.as_mut_ptr().add(4) as *mut __m256i, hi);
                    }
                    for j in 0..cnt {
                        (vd[j], id[j]) = (vb[j], ib[j]);
                    }
                }
                ox += 8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::pool::{max_pool2d, PoolGeom};

    /// The float32 kernel against the generic one (run in f64 on the same values): ties (small
    /// integers), NaNs, infinities and -0.0, ragged widths and heights.
    #[test]
    fn matches_the_generic_kernel() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for (h, w) in [(2, 2), (3, 5), (26, 26), (11, 11), (4, 33), (5, 64), (2, 70), (7, 31)] {
            let planes = 3;
            let x: Vec<f32> = (0..planes * h * w)
                .map(|_| match next() % 10 {
                    0 => f32::NAN,
                    1 => -0.0,
                    2 => f32::NEG_INFINITY,
                    _ => (next() % 5) as f32 - 2.0,
                })
                .collect();
            let g = PoolGeom { planes, h, w, oh: h / 2, ow: w / 2, k: (2, 2), stride: (2, 2), pad: (0, 0), dilation: (1, 1) };
            let (v32, i32_) = max_pool2d(&x, &g);
            let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
            let (v64, i64_) = max_pool2d(&x64, &g);
            assert_eq!(i32_, i64_, "indices, {h}x{w}");
            for (a, b) in v32.iter().zip(&v64) {
                assert!((a.is_nan() && b.is_nan()) || (a.to_bits() == (*b as f32).to_bits()), "values, {h}x{w}: {a} vs {b}");
            }
        }
    }
}
