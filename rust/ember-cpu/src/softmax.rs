//! softmax / log_softmax along one dim, in one kernel.
//!
//! Input in (outer, n, inner) form (copied to contiguous when it isn't). For inner == 1 each
//! row (a few KB) is handled while it sits in L1: max, then exp(x - max) written out and
//! summed, then scaled by 1/sum — one read and one write of memory per element, where the
//! textbook version makes four passes. For inner > 1, the same three steps run on whole rows
//! of `inner` columns. float32 uses a branch-free exp (below) that the compiler vectorises.
use crate::reduce::{fold_row, isa, pick, Isa, SendPtr};
use crate::threads::{chunks_for, parallel_for, split_range};
use crate::{DType, Layout, Result, Storage};

/// e^x for f32 without a libm call: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-6
/// Taylor polynomial (error < 2 ulp), 2^n built in the exponent bits. Below -87.3 the
/// result is 0 (so exp(-inf) = 0 exactly, which masking relies on), above 88.7 it is inf.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer
    let xc = x.clamp(-87.3, 88.3);
    let t = xc * LOG2E + MAGIC;
    let n = t - MAGIC;
    let ni = (t.to_bits() as i32).wrapping_sub(0x4B40_0000);
    let r = xc - n * LN2_HI - n * LN2_LO;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let scale = f32::from_bits((ni.wrapping_add(127) << 23) as u32);
    let y = p * scale;
    if x < -87.3 {
        0.0
    } else if x > 88.72 {
        f32::INFINITY
    } else {
        y
    }
}

/// The float types softmax runs on natively (half types are converted to f32 by the caller).
pub trait SoftElem: crate::Element + std::ops::Sub<Output = Self> + std::ops::Mul<Output = Self> + std::ops::Add<Output = Self> {
    fn exp_(self) -> Self;
    fn ln_(self) -> Self;
    fn recip_(self) -> Self;
    const NEG_INF: Self;
    const ZERO: Self;
}
impl SoftElem for f32 {
    #[inline(always)]
    fn exp_(self) -> f32 {
        exp_f32(self)
    }
    fn ln_(self) -> f32 {
        self.ln()
    }
    fn recip_(self) -> f32 {
        1.0 / self
    }
    const NEG_INF: f32 = f32::NEG_INFINITY;
    const ZERO: f32 = 0.0;
}
impl SoftElem for f64 {
    #[inline(always)]
    fn exp_(self) -> f64 {
        self.exp()
    }
    fn ln_(self) -> f64 {
        self.ln()
    }
    fn recip_(self) -> f64 {
        1.0 / self
    }
    const NEG_INF: f64 = f64::NEG_INFINITY;
    const ZERO: f64 = 0.0;
}

#[inline(always)]
fn rows_body<T: SoftElem>(log: bool, x: &[T], out: &mut [T], n: usize) {
    for (xr, orow) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
        let m = fold_row(xr, T::NEG_INF, &|v| v, &|a, b| pick(true, a, b));
        // A row max of -inf (all -inf) gives NaN, like PyTorch; +inf likewise.
        if log {
            let mut acc = [T::ZERO; 16];
            let mut ch = xr.chunks_exact(16);
            for c in &mut ch {
                for j in 0..16 {
                    acc[j] = acc[j] + (c[j] - m).exp_();
                }
            }
            for (j, &v) in ch.remainder().iter().enumerate() {
                acc[j] = acc[j] + (v - m).exp_();
            }
            let s = acc.iter().fold(T::ZERO, |a, &b| a + b);
            let shift = m + s.ln_();
            for (o, &v) in orow.iter_mut().zip(xr) {
                *o = v - shift;
            }
        } else {
            let mut acc = [T::ZERO; 16];
            let mut oc = orow.chunks_exact_mut(16);
            let mut xc = xr.chunks_exact(16);
            for (o, c) in (&mut oc).zip(&mut xc) {
                for j in 0..16 {
                    let e = (c[j] - m).exp_();
                    o[j] = e;
                    acc[j] = acc[j] + e;
                }
            }
            for (j, (o, &v)) in oc.into_remainder().iter_mut().zip(xc.remainder()).enumerate() {
                let e = (v - m).exp_();
                *o = e;
                acc[j] = acc[j] + e;
            }
            let inv = acc.iter().fold(T::ZERO, |a, &b| a + b).recip_();
            for o in orow.iter_mut() {
                *o = *o * inv;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_avx2<T: SoftElem>(log: bool, x: &[T], out: &mut [T], n: usize) {
    rows_body(log, x, out, n)
}
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq")]
unsafe fn rows_avx512<T: SoftElem>(log: bool, x: &[T], out: &mut [T], n: usize) {
    rows_body(log, x, out, n)
}

fn rows<T: SoftElem>(log: bool, x: &[T], out: &mut [T], n: usize) {
    #[cfg(target_arch = "x86_64")]
    match isa() {
        // SAFETY: `isa()` detected the CPU features at run time; the arguments are safe slices.
        Isa::Avx512 => return unsafe { rows_avx512(log, x, out, n) },
        Isa::Avx2 => return unsafe { rows_avx2(log, x, out, n) },
        Isa::Base => {}
    }
    rows_body(log, x, out, n)
}

/// One (n × inner) block when the softmax dim is not the last: column-wise max, exp and sum.
fn block<T: SoftElem>(log: bool, x: &[T], out: &mut [T], n: usize, inner: usize) {
    let mut m = vec![T::NEG_INF; inner];
    for r in 0..n {
        for (a, &v) in m.iter_mut().zip(&x[r * inner..(r + 1) * inner]) {
            *a = pick(true, *a, v);
        }
    }
    let mut s = vec![T::ZERO; inner];
    for r in 0..n {
        let (xr, orow) = (&x[r * inner..(r + 1) * inner], &mut out[r * inner..(r + 1) * inner]);
        for i in 0..inner {
            let e = (xr[i] - m[i]).exp_();
            s[i] = s[i] + e;
            if !log {
                orow[i] = e;
            }
        }
    }
    if log {
        let shift: Vec<T> = (0..inner).map(|i| m[i] + s[i].ln_()).collect();
        for r in 0..n {
            for i in 0..inner {
                out[r * inner + i] = x[r * inner + i] - shift[i];
            }
        }
    } else {
        let inv: Vec<T> = s.iter().map(|v| v.recip_()).collect();
        for r in 0..n {
            for i in 0..inner {
                out[r * inner + i] = out[r * inner + i] * inv[i];
            }
        }
    }
}

/// softmax (or log_softmax) of `src[ls]` along `dim`, as a new contiguous storage of `dt`
/// (f32 or f64).
pub fn softmax(log: bool, src: &Storage, ls: &Layout, dt: DType, dim: usize) -> Result<Storage> {
    let (s, off) = if ls.is_contiguous() { (src.clone(), ls.offset) } else { (crate::copy::contiguous(src, ls, dt, dt)?, 0) };
    let numel = ls.numel();
    let sizes = if ls.ndim() == 0 { vec![1] } else { ls.sizes.to_vec() };
    let outer: usize = sizes[..dim].iter().product();
    let n = sizes[dim];
    let inner: usize = sizes[dim + 1..].iter().product();
    let out = Storage::uninit_n(numel, dt.size())?;
    if numel == 0 {
        return Ok(out);
    }
    macro_rules! go {
        ($T:ty) => {{
            // SAFETY: `s` is dense with `numel` elements of the dtype from `off` (contiguous layout that fits
            // its storage, or a fresh copy).
            let x = unsafe { std::slice::from_raw_parts((s.ptr() as *const $T).add(off), numel) };
            let op = SendPtr(out.ptr() as *mut $T);
            let k = chunks_for(numel).min(outer);
            parallel_for(k, |c| {
                let op = op;
                let (a, b) = split_range(outer, k, c);
                let len = n * inner;
                // SAFETY: `out` holds numel = outer·len elements and a..b ⊂ 0..outer; tasks own disjoint
                // ranges.
                let o = unsafe { std::slice::from_raw_parts_mut(op.0.add(a * len), (b - a) * len) };
                let xs = &x[a * len..b * len];
                if inner == 1 {
                    rows::<$T>(log, xs, o, n);
                } else {
                    for (xb, ob) in xs.chunks_exact(len).zip(o.chunks_exact_mut(len)) {
                        block::<$T>(log, xb, ob, n, inner);
                    }
                }
            });
        }};
    }
    match dt {
        DType::F32 => go!(f32),
        DType::F64 => go!(f64),
        d => return Err(crate::Error::runtime(format!("internal: softmax kernel called on {}", d.name()))),
    }
    Ok(out)
}
