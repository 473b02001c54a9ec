//! Shared helpers for the GPU kernel tests: a device check that skips with the missing
//! driver named, deterministic random data, upload/download of typed vectors, and CPU
//! reference walks over strided layouts.
#![allow(dead_code)]
use ember_core::DType;
use ember_layout::Layout;
use ember_wgpu::{from_gpu_bytes, to_gpu_bytes, GpuBuffer};

/// False (after printing why) when no wgpu adapter exists: the test returns early.
pub fn gpu() -> bool {
    if ember_wgpu::is_available() {
        return true;
    }
    let why = ember_wgpu::context().err().map(|e| format!("{e:?}")).unwrap_or_default();
    eprintln!("SKIPPED: {why}");
    false
}

/// xorshift: reproducible data without a rand dependency.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// uniform in [lo, hi)
    pub fn f(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
    pub fn i(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }
    pub fn vf(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.f(lo, hi)).collect()
    }
    pub fn vi(&mut self, n: usize, lo: i64, hi: i64) -> Vec<i64> {
        (0..n).map(|_| self.i(lo, hi)).collect()
    }
}

pub fn up_f32(v: &[f32]) -> GpuBuffer {
    GpuBuffer::upload(bytemuck::cast_slice(v)).unwrap()
}
pub fn up_i32(v: &[i32]) -> GpuBuffer {
    GpuBuffer::upload(bytemuck::cast_slice(v)).unwrap()
}
pub fn up_i64(v: &[i64]) -> GpuBuffer {
    GpuBuffer::upload(bytemuck::cast_slice(v)).unwrap()
}
pub fn up_u8(dt: DType, v: &[u8]) -> GpuBuffer {
    GpuBuffer::upload(&to_gpu_bytes(dt, v).unwrap()).unwrap()
}
pub fn down_f32(b: &GpuBuffer, n: usize) -> Vec<f32> {
    bytemuck::cast_slice(&b.download(0, n * 4).unwrap()).to_vec()
}
pub fn down_i32(b: &GpuBuffer, n: usize) -> Vec<i32> {
    bytemuck::cast_slice(&b.download(0, n * 4).unwrap()).to_vec()
}
pub fn down_i64(b: &GpuBuffer, n: usize) -> Vec<i64> {
    bytemuck::cast_slice(&b.download(0, n * 8).unwrap()).to_vec()
}
pub fn down_u8(dt: DType, b: &GpuBuffer, n: usize) -> Vec<u8> {
    from_gpu_bytes(dt, &b.download(0, n * 4).unwrap()).unwrap()
}

/// Storage indices of a layout's elements in row-major logical order.
pub fn indices(l: &Layout) -> Vec<usize> {
    let n = l.numel();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; l.ndim()];
    for _ in 0..n {
        out.push(l.offset_of(&idx));
        for d in (0..l.ndim()).rev() {
            idx[d] += 1;
            if idx[d] < l.sizes[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Reads a strided view of host data in logical order.
pub fn logical<T: Copy>(data: &[T], l: &Layout) -> Vec<T> {
    indices(l).into_iter().map(|i| data[i]).collect()
}

/// A permuted (transposed) layout of a contiguous buffer of `sizes`: logical dims are the
/// storage dims in `perm` order.
pub fn permuted(sizes: &[usize], perm: &[usize]) -> Layout {
    let c = Layout::contiguous(sizes);
    Layout::new(perm.iter().map(|&p| c.sizes[p]).collect::<Vec<_>>(), perm.iter().map(|&p| c.strides[p]).collect::<Vec<_>>(), 0)
}

/// `sizes` broadcast from a layout whose dims are 1 where `sizes` is bigger (stride 0).
pub fn expanded(l: &Layout, sizes: &[usize]) -> Layout {
    let strides = l.strides.iter().zip(&l.sizes).zip(sizes).map(|((&s, &n), &m)| if n == m { s } else { 0 }).collect::<Vec<_>>();
    Layout::new(sizes.to_vec(), strides, l.offset)
}

pub fn close(got: &[f32], want: &[f32], rtol: f32, atol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= atol + rtol * w.abs();
        assert!(ok, "{what}: element {i}: got {g}, want {w}");
    }
}

/// A random f32 storage big enough for `l`, uploaded; returns (host storage, buffer).
pub fn rand_f32(r: &mut Rng, l: &Layout, lo: f32, hi: f32) -> (Vec<f32>, GpuBuffer) {
    let n = l.storage_span().map(|(_, h)| h).unwrap_or(1).max(1);
    let v = r.vf(n, lo, hi);
    let b = up_f32(&v);
    (v, b)
}

/// Layout variants of one logical shape: contiguous, permuted (reversed dims), stepped
/// (every other element of a larger buffer, with an offset), and expanded from size-1 dims.
pub fn variants(sizes: &[usize]) -> Vec<(&'static str, Layout)> {
    let nd = sizes.len();
    let mut v = vec![("contiguous", Layout::contiguous(sizes))];
    let rev: Vec<usize> = sizes.iter().rev().copied().collect();
    let perm: Vec<usize> = (0..nd).rev().collect();
    v.push(("permuted", permuted(&rev, &perm)));
    let big: Vec<usize> = sizes.iter().map(|&n| 2 * n).collect();
    let c = Layout::contiguous(&big);
    v.push(("stepped", Layout::new(sizes.to_vec(), c.strides.iter().map(|&s| 2 * s).collect::<Vec<_>>(), 3)));
    if nd >= 1 {
        let mut small = sizes.to_vec();
        small[0] = 1;
        v.push(("expanded", expanded(&Layout::contiguous(&small), sizes)));
    }
    v
}
