//! Reductions over any set of dims.
//!
//! Every reduction is first put in *canonical form* (`Canon`): `outer × red × inner`
//! contiguous elements, reducing the middle index. A contiguous input whose reduced dims are
//! adjacent needs no copy (`sum()`, `sum(0)`, `sum(1)`, `sum((1, 2))` of a 4-d tensor); any other
//! input is copied once with the kept dims first and the reduced dims last (inner = 1).
//! Then two loops cover everything:
//! - inner == 1 ("row" reductions): each output folds one contiguous row with 64 independent
//!   accumulators (32 for f64) in blocks of `BLOCK` elements, the blocks' accumulators are
//!   combined pairwise lane by lane, and the lanes pairwise at the end. That is NumPy's pairwise
//!   summation: the float32 error grows like log(n), not n, without f64.
//! - inner > 1 ("column" reductions, e.g. `sum(0)`): whole rows are folded into a row of
//!   accumulators, so the loads are contiguous and vectorise across the kept dim.
//!
//! Parallel splits never change the order of operations (the pairwise tree is fixed by the
//! length, columns are independent), so results are identical at any thread count.
use crate::threads::{chunks_for, get_num_threads, parallel_for, split_range, GRAIN};
use crate::{DType, Element, Layout, Result, Storage};
use half::{bf16, f16};

#[derive(Clone, Copy)]
pub(crate) struct SendPtr<T>(pub *mut T);
// SAFETY: SendPtr only carries the pointer across threads; every user writes a disjoint index range (see each
// parallel_for), and the buffer outlives the parallel region.
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

/// A reduction in canonical form (see the module comment).
pub struct Canon {
    pub s: Storage,
    pub off: usize,
    pub outer: usize,
    pub red: usize,
    pub inner: usize,
}

impl Canon {
    /// The elements as a typed slice (`T` must be the storage dtype).
    pub fn data<T>(&self) -> &[T] {
        let n = self.outer * self.red * self.inner;
        if n == 0 {
            return &[];
        }
        // `canon` builds Canon from a tensor's checked geometry; this O(1) check keeps a Canon
        // made any other way (its fields are public) from reading outside the storage.
        let end = self.off.checked_add(n).and_then(|e| e.checked_mul(std::mem::size_of::<T>()));
        assert!(end.is_some_and(|b| b <= self.s.nbytes()), "reduction input outside its {}-byte storage", self.s.nbytes());
        // SAFETY: the n elements of T from `off` lie inside the storage (asserted just above), and `T`
        // is the storage's dtype (the caller's with_dtype!), so the slice reads initialised elements.
        unsafe { std::slice::from_raw_parts((self.s.ptr() as *const T).add(self.off), n) }
    }
}

/// Canonical form of reducing `src[ls]` over the dims flagged in `reduce`. `inner_ok`:
/// the kernel handles inner > 1 (else the input is copied with reduced dims last).
/// `order_free`: the result does not depend on element order (sum, max value), so a full
/// reduction of any dense permutation (e.g. a transposed matrix) needs no copy.
pub fn canon(src: &Storage, ls: &Layout, dt: DType, reduce: &[bool], inner_ok: bool, order_free: bool) -> Result<Canon> {
    let dims: Vec<(usize, isize, bool)> =
        (0..ls.ndim()).filter(|&i| ls.sizes[i] != 1).map(|i| (ls.sizes[i], ls.strides[i], reduce[i])).collect();
    if ls.numel() > 0 {
        if let Some((outer, red, inner)) = in_memory_order(&dims, order_free) {
            if inner == 1 || inner_ok {
                return Ok(Canon { s: src.clone(), off: ls.offset, outer, red, inner });
            }
        }
    }
    let kept: Vec<usize> = (0..ls.ndim()).filter(|&i| !reduce[i]).collect();
    let red: Vec<usize> = (0..ls.ndim()).filter(|&i| reduce[i]).collect();
    let perm: Vec<i64> = kept.iter().chain(&red).map(|&d| d as i64).collect();
    let pl = ls.permute(&perm)?;
    let outer: usize = kept.iter().map(|&d| ls.sizes[d]).product();
    let rn: usize = red.iter().map(|&d| ls.sizes[d]).product();
    let s = crate::copy::contiguous(src, &pl, dt, dt)?;
    Ok(Canon { s, off: 0, outer, red: rn, inner: 1 })
}

/// `outer × red × inner` read straight from memory, when the input is dense (a permutation of a
/// contiguous block: `x`, `x.t()`, `x.permute(…)`) and, walked in memory order, its reduced
/// dims form one run and its kept dims come in their logical order (so the outputs land
/// row-major, as the caller expects). This is NumPy's rule of iterating in the strides' order:
/// `x.t().sum(0)` becomes a row reduction and `x.t().sum(1)` a column reduction of `x`, with
/// no copy. Without `order_free`, the reduced dims must also keep their logical order (the
/// position within the reduced block is part of the result, e.g. argmax).
/// `dims` are the non-unit dims as (size, stride, reduced).
fn in_memory_order(dims: &[(usize, isize, bool)], order_free: bool) -> Option<(usize, usize, usize)> {
    if dims.iter().any(|d| d.1 <= 0) {
        return None;
    }
    let mut mem: Vec<usize> = (0..dims.len()).collect();
    mem.sort_by_key(|&i| std::cmp::Reverse(dims[i].1));
    let mut expect = 1isize;
    for &i in mem.iter().rev() {
        if dims[i].1 != expect {
            return None;
        }
        expect *= dims[i].0 as isize;
    }
    let increasing = |idx: &mut dyn Iterator<Item = usize>| {
        let v: Vec<usize> = idx.collect();
        v.windows(2).all(|p| p[0] < p[1])
    };
    if !increasing(&mut mem.iter().copied().filter(|&i| !dims[i].2)) {
        return None;
    }
    let Some(a) = mem.iter().position(|&i| dims[i].2) else {
        return Some((dims.iter().map(|d| d.0).product(), 1, 1));
    };
    let b = mem.iter().rposition(|&i| dims[i].2).unwrap();
    if !mem[a..=b].iter().all(|&i| dims[i].2) || (!order_free && !increasing(&mut mem[a..=b].iter().copied())) {
        return None;
    }
    let p = |r: &[usize]| r.iter().map(|&i| dims[i].0).product::<usize>();
    Some((p(&mem[..a]), p(&mem[a..=b]), p(&mem[b + 1..])))
}

/// Elements folded per block before blocks are combined pairwise.
const BLOCK: usize = 1024;

/// Independent accumulators of a row fold: eight AVX2 registers' worth (64 f32, 32 f64). With
/// four (32 f32) the adds waited on each other: a row sum ran at 3 elements per cycle from cache,
/// where eight chains keep both add pipes busy; more than eight registers' worth spills.
const fn lanes_of<A>() -> usize {
    if std::mem::size_of::<A>() <= 4 {
        64
    } else {
        32
    }
}

/// Folds one block of at most `BLOCK` elements: `f` over `up(x)` starting from `init` in each
/// of `L` lanes. The lanes stay apart (they are combined once per row, in `lanes_total`).
#[inline(always)]
fn fold_block<T: Copy, A: Copy, const L: usize>(x: &[T], init: A, up: &impl Fn(T) -> A, f: &impl Fn(A, A) -> A) -> [A; L] {
    let mut acc = [init; L];
    let mut chunks = x.chunks_exact(L);
    for c in &mut chunks {
        for j in 0..L {
            acc[j] = f(acc[j], up(c[j]));
        }
    }
    for (j, &v) in chunks.remainder().iter().enumerate() {
        acc[j] = f(acc[j], up(v));
    }
    acc
}

/// Two subtrees' lanes combined lane by lane.
#[inline(always)]
fn combine<A: Copy, const L: usize>(mut l: [A; L], r: &[A; L], f: &impl Fn(A, A) -> A) -> [A; L] {
    for j in 0..L {
        l[j] = f(l[j], r[j]);
    }
    l
}

/// A row's lanes combined pairwise into its result.
#[inline(always)]
fn lanes_total<A: Copy, const L: usize>(mut acc: [A; L], f: &impl Fn(A, A) -> A) -> A {
    let mut w = L;
    while w > 1 {
        w /= 2;
        for j in 0..w {
            acc[j] = f(acc[j], acc[j + w]);
        }
    }
    acc[0]
}

/// Folds one contiguous row into `L` lanes: blocks of `BLOCK` combined pairwise, lane by lane
/// (see the module comment). Combining the lanes of every block into one value (as this did)
/// cost a dependent chain of five steps per 512 elements: a row sum ran at 3 elements per cycle
/// from cache where PyTorch's reaches 4. The recursion is written out in each ISA's copy below
/// (a macro, not a shared recursive function): a recursive call cannot be inlined, so a shared
/// `fold_body` made every row longer than one block run its blocks in the baseline SSE2 copy
/// whatever the CPU had.
macro_rules! fold_tree {
    ($(#[$attr:meta])* [$($qual:tt)*] $name:ident) => {
        $(#[$attr])*
        $($qual)* fn $name<T: Copy, A: Copy, const L: usize>(x: &[T], init: A, up: &impl Fn(T) -> A, f: &impl Fn(A, A) -> A) -> [A; L] {
            if x.len() > BLOCK {
                let half = (x.len() / 2).div_ceil(BLOCK) * BLOCK;
                let (l, r) = x.split_at(half);
                // SAFETY: two calls to this same function on the halves of `x`, whose caller already
                // holds the CPU-feature guarantee the target_feature copies require.
                #[allow(unused_unsafe)]
                let (l, r) = unsafe { ($name(l, init, up, f), $name(r, init, up, f)) };
                return combine(l, &r, f);
            }
            fold_block(x, init, up, f)
        }
    };
}
fold_tree!([] fold_body);
#[cfg(target_arch = "x86_64")]
fold_tree!(
    #[target_feature(enable = "avx2,fma")]
    /// # Safety: the CPU has the enabled target features (the caller checked `isa()`).
    [unsafe] fold_avx2
);
#[cfg(target_arch = "x86_64")]
fold_tree!(
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq")]
    /// # Safety: the CPU has the enabled target features (the caller checked `isa()`).
    [unsafe] fold_avx512
);

/// The widest vector ISA this CPU has (checked once by std, then cached).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Isa {
    Base,
    Avx2,
    Avx512,
}

#[inline]
pub(crate) fn isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw") {
            return Isa::Avx512;
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Isa::Avx2;
        }
    }
    Isa::Base
}

#[inline]
pub fn fold_row<T: Copy, A: Copy>(x: &[T], init: A, up: &impl Fn(T) -> A, f: &impl Fn(A, A) -> A) -> A {
    if lanes_of::<A>() == 64 {
        lanes_total(fold_lanes::<T, A, 64>(x, init, up, f), f)
    } else {
        lanes_total(fold_lanes::<T, A, 32>(x, init, up, f), f)
    }
}

/// `fold_row` before its lanes are combined.
#[inline]
fn fold_lanes<T: Copy, A: Copy, const L: usize>(x: &[T], init: A, up: &impl Fn(T) -> A, f: &impl Fn(A, A) -> A) -> [A; L] {
    #[cfg(target_arch = "x86_64")]
    match isa() {
        // SAFETY: `isa()` detected AVX-512 (resp. AVX2+FMA) at run time, the only requirement of the
        // target_feature functions; they take safe slices.
        Isa::Avx512 => return unsafe { fold_avx512(x, init, up, f) },
        Isa::Avx2 => return unsafe { fold_avx2(x, init, up, f) },
        Isa::Base => {}
    }
    fold_body(x, init, up, f)
}

#[inline(always)]
fn cols_body<T: Copy, A: Copy>(acc: &mut [A], x: &[T], up: &impl Fn(T) -> A, f: &impl Fn(A, A) -> A) {
    for (a, &v) in acc.iter_mut().zip(x) {
        *a = f(*a, up(v));
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
/// # Safety: the CPU has the enabled target features (the caller checked `isa()`).
unsafe fn cols_avx2<T: Copy, A: Copy>(acc: &mut [A], x: &[T], up: &impl Fn(T) -> A, f: &impl Fn(A, A) -> A) {
    cols_body(acc, x, up, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq")]
/// # Safety: the CPU has the enabled target features (the caller checked `isa()`).
unsafe fn cols_avx512<T: Copy, A: Copy>(acc: &mut [A], x: &[T], up: &impl Fn(T) -> A, f: &impl Fn(A, A) -> A) {
    cols_body(acc, x, up, f)
}

/// `acc[i] = f(acc[i], up(x[i]))`: one row of a column reduction.
#[inline]
pub fn fold_cols<T: Copy, A: Copy>(acc: &mut [A], x: &[T], up: &impl Fn(T) -> A, f: &impl Fn(A, A) -> A) {
    #[cfg(target_arch = "x86_64")]
    match isa() {
        // SAFETY: as in `fold_row`: the CPU features were detected at run time; the arguments are safe slices.
        Isa::Avx512 => return unsafe { cols_avx512(acc, x, up, f) },
        Isa::Avx2 => return unsafe { cols_avx2(acc, x, up, f) },
        Isa::Base => {}
    }
    cols_body(acc, x, up, f)
}

/// Row fold of a long row split into pieces along the pairwise tree's own split points,
/// the pieces folded in parallel, then combined as the serial recursion would.
fn fold_row_par<T: Copy + Sync, A: Copy + Send + Sync>(
    x: &[T],
    init: A,
    up: &(impl Fn(T) -> A + Sync),
    f: &(impl Fn(A, A) -> A + Sync),
) -> A {
    if chunks_for(x.len()) <= 1 || x.len() < 8 * GRAIN {
        return fold_row(x, init, up, f);
    }
    if lanes_of::<A>() == 64 {
        fold_pieces::<T, A, 64>(x, init, up, f)
    } else {
        fold_pieces::<T, A, 32>(x, init, up, f)
    }
}

/// `fold_row_par`'s pieces with `L` lanes each.
fn fold_pieces<T: Copy + Sync, A: Copy + Send + Sync, const L: usize>(
    x: &[T],
    init: A,
    up: &(impl Fn(T) -> A + Sync),
    f: &(impl Fn(A, A) -> A + Sync),
) -> A {
    fn pieces<T>(x: &[T], depth: u32, out: &mut Vec<(usize, usize)>, base: usize) {
        if depth == 0 || x.len() <= BLOCK {
            out.push((base, base + x.len()));
            return;
        }
        let half = (x.len() / 2).div_ceil(BLOCK) * BLOCK;
        pieces(&x[..half], depth - 1, out, base);
        pieces(&x[half..], depth - 1, out, base + half);
    }
    let depth = 5; // 32 pieces: enough for the threads, fixed so results never depend on them
    let mut ranges = vec![];
    pieces(x, depth, &mut ranges, 0);
    let mut parts = vec![[init; L]; ranges.len()];
    let pp = SendPtr(parts.as_mut_ptr());
    parallel_for(ranges.len(), |i| {
        let pp = pp;
        let (a, b) = ranges[i];
        // SAFETY: `parts` has ranges.len() lane arrays and each task i < ranges.len() writes only
        // parts[i]; `parts` outlives parallel_for.
        unsafe { *pp.0.add(i) = fold_lanes::<T, A, L>(&x[a..b], init, up, f) };
    });
    // `pieces` splits each range into exactly two until depth or BLOCK; rebuild that tree.
    fn rebuild<A: Copy, const L: usize>(
        x_len: usize,
        depth: u32,
        parts: &mut std::slice::Iter<'_, [A; L]>,
        f: &impl Fn(A, A) -> A,
    ) -> [A; L] {
        if depth == 0 || x_len <= BLOCK {
            return *parts.next().unwrap();
        }
        let half = (x_len / 2).div_ceil(BLOCK) * BLOCK;
        let l = rebuild(half, depth - 1, parts, f);
        let r = rebuild(x_len - half, depth - 1, parts, f);
        combine(l, &r, f)
    }
    lanes_total(rebuild(x.len(), depth, &mut parts.iter(), f), f)
}

/// Folds every output of `c` and writes `fin(acc)` into a new contiguous storage of `O`.
pub fn reduce_canon<T: Element, A: Copy + Send + Sync, O: Element>(
    c: &Canon,
    init: A,
    up: impl Fn(T) -> A + Sync + Send,
    f: impl Fn(A, A) -> A + Sync + Send,
    fin: impl Fn(A) -> O + Sync + Send,
) -> Result<Storage> {
    let nout = c.outer * c.inner;
    let out = Storage::uninit_n(nout, std::mem::size_of::<O>())?;
    let op = SendPtr(out.ptr() as *mut O);
    let x: &[T] = c.data();
    let (red, inner) = (c.red, c.inner);
    if nout == 0 {
        return Ok(out);
    }
    if red == 0 {
        for i in 0..nout {
            // SAFETY: `out` was allocated for nout elements of O and i < nout.
            unsafe { *op.0.add(i) = fin(init) };
        }
        return Ok(out);
    }
    if inner == 1 {
        if c.outer == 1 {
            let v = fold_row_par(x, init, &up, &f);
            // SAFETY: nout = 1 here (outer = inner = 1), and `out` holds nout elements of O.
            unsafe { *op.0 = fin(v) };
            return Ok(out);
        }
        let n = chunks_for(x.len()).min(c.outer);
        parallel_for(n, |k| {
            let op = op;
            let (a, b) = split_range(c.outer, n, k);
            for o in a..b {
                let v = fold_row(&x[o * red..(o + 1) * red], init, &up, &f);
                // SAFETY: o < c.outer = nout (inner = 1); tasks own disjoint ranges a..b of outputs.
                unsafe { *op.0.add(o) = fin(v) };
            }
        });
        return Ok(out);
    }
    // Column reduction: tasks are (outer index, column range); each folds all `red` rows.
    let col_tasks = if chunks_for(x.len()) > 1 { (get_num_threads() * 2).div_ceil(c.outer).min(inner.div_ceil(4096)).max(1) } else { 1 };
    let n = if chunks_for(x.len()) > 1 { c.outer * col_tasks } else { 1 };
    parallel_for(n, |k| {
        let op = op;
        let (ob, oe, cb, ce) = if n == 1 {
            (0, c.outer, 0, inner)
        } else {
            let (cb, ce) = split_range(inner, col_tasks, k % col_tasks);
            (k / col_tasks, k / col_tasks + 1, cb, ce)
        };
        // Whole rows when the accumulators fit in L1 (rows then stream sequentially), else
        // tiles of columns that stay in L1 while all rows stream through.
        let tile = if ce - cb <= 8192 { ce - cb } else { 2048 };
        let mut acc = vec![init; tile.min(ce - cb)];
        for o in ob..oe {
            let base = o * red * inner;
            let mut t = cb;
            while t < ce {
                let w = tile.min(ce - t);
                acc[..w].iter_mut().for_each(|a| *a = init);
                for r in 0..red {
                    let row = &x[base + r * inner + t..base + r * inner + t + w];
                    fold_cols(&mut acc[..w], row, &up, &f);
                }
                for (i, &a) in acc[..w].iter().enumerate() {
                    // SAFETY: o < outer and t + i < ce <= inner, so the index is < outer·inner = nout; each
                    // task owns a disjoint (o, column range).
                    unsafe { *op.0.add(o * inner + t + i) = fin(a) };
                }
                t += w;
            }
        }
    });
    Ok(out)
}

/// How a dtype sums: the accumulator type (f32 for half types, i64 for integers).
pub trait SumElem: Element {
    type A: Copy + Send + Sync + Element;
    fn up(self) -> Self::A;
    fn down(a: Self::A) -> Self;
    fn add(a: Self::A, b: Self::A) -> Self::A;
    fn mul(a: Self::A, b: Self::A) -> Self::A;
    const ZERO: Self::A;
    const ONE: Self::A;
}
macro_rules! sum_elem {
    ($t:ty, $a:ty, $up:expr, $down:expr, $add:expr, $mul:expr, $z:expr, $o:expr) => {
        impl SumElem for $t {
            type A = $a;
            #[inline(always)]
            fn up(self) -> $a {
                $up(self)
            }
            #[inline(always)]
            fn down(a: $a) -> $t {
                $down(a)
            }
            #[inline(always)]
            fn add(a: $a, b: $a) -> $a {
                $add(a, b)
            }
            #[inline(always)]
            fn mul(a: $a, b: $a) -> $a {
                $mul(a, b)
            }
            const ZERO: $a = $z;
            const ONE: $a = $o;
        }
    };
}
sum_elem!(f32, f32, |x| x, |a| a, |a, b| a + b, |a, b| a * b, 0.0, 1.0);
sum_elem!(f64, f64, |x| x, |a| a, |a, b| a + b, |a, b| a * b, 0.0, 1.0);
sum_elem!(f16, f32, |x: f16| x.to_f32(), f16::from_f32, |a, b| a + b, |a, b| a * b, 0.0, 1.0);
sum_elem!(bf16, f32, |x: bf16| x.to_f32(), bf16::from_f32, |a, b| a + b, |a, b| a * b, 0.0, 1.0);
sum_elem!(i64, i64, |x| x, |a| a, i64::wrapping_add, i64::wrapping_mul, 0, 1);

/// The dtypes `sum`/`prod` kernels run in: floats as they are, everything else as int64
/// (the caller converts first; int64 is also PyTorch's result dtype for integer sums).
pub fn compute_dtype(d: DType) -> DType {
    if d.is_inexact() {
        d
    } else {
        DType::I64
    }
}

/// Which arithmetic fold `arith` runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArithOp {
    Sum,
    Prod,
    /// Sum treating NaN as 0.
    NanSum,
}

/// Sum/prod of `src[ls]` (dtype `dt`, one of `compute_dtype`'s results) over the flagged
/// dims, as a contiguous storage of the same dtype with the kept dims in order.
pub fn arith(op: ArithOp, src: &Storage, ls: &Layout, dt: DType, reduce: &[bool]) -> Result<Storage> {
    if let Some((trailing, leading)) = around_kept(ls, reduce, dt) {
        // Reduced dims on both sides of the kept ones (NCHW summed over (N, H, W): a conv bias
        // gradient, batch-norm statistics): the trailing run first, as row reductions that read
        // the input in place, then the leading run of that (small) result, as column reductions.
        // One pass over dims (0, 2, 3) had no in-memory form, so `canon` copied the whole input
        // into (C, N·H·W) order first. A NaN made by the first stage (inf − inf) must survive the
        // second, so nansum's second stage is a plain sum.
        let mid = arith(op, src, ls, dt, &trailing)?;
        let sizes: Vec<usize> = (0..ls.ndim()).filter(|&i| !trailing[i]).map(|i| ls.sizes[i]).collect();
        let second = if op == ArithOp::NanSum { ArithOp::Sum } else { op };
        return arith(second, &mid, &Layout::contiguous(&sizes), dt, &leading);
    }
    let c = canon(src, ls, dt, reduce, true, true)?;
    crate::with_sum_dtype!(dt, T => match op {
        ArithOp::Sum => reduce_canon::<T, _, T>(&c, <T as SumElem>::ZERO, T::up, T::add, T::down),
        ArithOp::Prod => reduce_canon::<T, _, T>(&c, <T as SumElem>::ONE, T::up, T::mul, T::down),
        #[allow(clippy::eq_op)]
        ArithOp::NanSum => reduce_canon::<T, _, T>(&c, <T as SumElem>::ZERO, |v: T| { let a = v.up(); if a != a { <T as SumElem>::ZERO } else { a } }, T::add, T::down),
    }, return Err(crate::Error::runtime(format!("internal: sum kernel called on {}", dt.name()))))
}

/// For a row-major input whose non-unit dims read (reduced…, kept…, reduced…) with both reduced
/// runs non-empty: the flags of the trailing run and of the leading run. Only for dtypes that
/// accumulate in their own type (a half-precision intermediate would round between the stages).
fn around_kept(ls: &Layout, reduce: &[bool], dt: DType) -> Option<(Vec<bool>, Vec<bool>)> {
    if matches!(dt, DType::F16 | DType::BF16) || !ls.is_contiguous() || ls.numel() == 0 {
        return None;
    }
    let dims: Vec<usize> = (0..ls.ndim()).filter(|&i| ls.sizes[i] != 1).collect();
    let kept_at = |i: usize| !reduce[dims[i]];
    let first_kept = (0..dims.len()).find(|&i| kept_at(i))?;
    let last_kept = (0..dims.len()).rfind(|&i| kept_at(i))?;
    let middle_kept = (first_kept..=last_kept).all(kept_at);
    if first_kept == 0 || last_kept + 1 == dims.len() || !middle_kept {
        return None;
    }
    let (mut trailing, mut leading) = (vec![false; ls.ndim()], vec![false; ls.ndim()]);
    for &d in &dims[last_kept + 1..] {
        trailing[d] = true;
    }
    for &d in &dims[..first_kept] {
        leading[d] = true;
    }
    // `leading` indexes the dims that remain after the trailing run is reduced away.
    let leading: Vec<bool> = (0..ls.ndim()).filter(|&i| !trailing[i]).map(|i| leading[i]).collect();
    Some((trailing, leading))
}

/// Back-compat entry used by broadcasting backward: sum into dtype `out`.
pub fn sum(src: &Storage, ls: &Layout, dt: DType, reduce: &[bool], out: DType) -> Result<Storage> {
    let cd = compute_dtype(out);
    let (s, l) =
        if cd != dt { (crate::copy::contiguous(src, ls, dt, cd)?, Layout::contiguous(&ls.sizes)) } else { (src.clone(), ls.clone()) };
    let r = arith(ArithOp::Sum, &s, &l, cd, reduce)?;
    if cd == out {
        return Ok(r);
    }
    let n: usize = (0..ls.ndim()).filter(|&i| !reduce[i]).map(|i| ls.sizes[i]).product();
    crate::copy::contiguous(&r, &Layout::contiguous(&[n]), cd, out)
}

/// Smallest and largest values of a dtype (identities of max and min).
pub trait Bounds: Element {
    const LOWEST: Self;
    const HIGHEST: Self;
}
macro_rules! bounds {
    ($($t:ty: $lo:expr, $hi:expr);*) => { $(impl Bounds for $t { const LOWEST: $t = $lo; const HIGHEST: $t = $hi; })* };
}
bounds!(bool: false, true; u8: u8::MIN, u8::MAX; i8: i8::MIN, i8::MAX; i16: i16::MIN, i16::MAX; i32: i32::MIN, i32::MAX;
        i64: i64::MIN, i64::MAX; u16: u16::MIN, u16::MAX; u32: u32::MIN, u32::MAX; u64: u64::MIN, u64::MAX; f16: f16::NEG_INFINITY, f16::INFINITY; bf16: bf16::NEG_INFINITY, bf16::INFINITY;
        f32: f32::NEG_INFINITY, f32::INFINITY; f64: f64::NEG_INFINITY, f64::INFINITY);

/// NaN test that is `false` (and free) for integer types.
#[inline(always)]
#[allow(clippy::eq_op)]
pub fn is_nan<T: PartialEq>(v: T) -> bool {
    v != v
}

/// max (`want_max`) or min that propagates NaN, as PyTorch's `amax`/`max()` do.
#[inline(always)]
pub fn pick<T: PartialOrd + Copy>(want_max: bool, a: T, b: T) -> T {
    let better = if want_max { b > a } else { b < a };
    if better || is_nan(b) {
        b
    } else {
        a
    }
}

/// amax/amin values over the flagged dims (same dtype as the input).
pub fn extreme(want_max: bool, src: &Storage, ls: &Layout, dt: DType, reduce: &[bool]) -> Result<Storage> {
    let c = canon(src, ls, dt, reduce, true, true)?;
    with_dtype!(dt, T => {
        let init = if want_max { <T as Bounds>::LOWEST } else { <T as Bounds>::HIGHEST };
        if want_max {
            reduce_canon::<T, T, T>(&c, init, |v| v, |a, b| pick(true, a, b), |a| a)
        } else {
            reduce_canon::<T, T, T>(&c, init, |v| v, |a, b| pick(false, a, b), |a| a)
        }
    })
}

/// Which boolean fold `logical` runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Logical {
    All,
    Any,
    CountNonzero,
}

/// all/any (→ bool, or uint8 for uint8 input as PyTorch does) and count_nonzero (→ int64).
pub fn logical(op: Logical, src: &Storage, ls: &Layout, dt: DType, reduce: &[bool]) -> Result<Storage> {
    let c = canon(src, ls, dt, reduce, true, true)?;
    with_dtype!(dt, T => {
        let zero = T::default();
        match op {
            Logical::All if dt == DType::U8 => reduce_canon::<T, u8, u8>(&c, 1, |v| (v != zero) as u8, |a, b| a & b, |a| a),
            Logical::Any if dt == DType::U8 => reduce_canon::<T, u8, u8>(&c, 0, |v| (v != zero) as u8, |a, b| a | b, |a| a),
            Logical::All => reduce_canon::<T, u8, bool>(&c, 1, |v| (v != zero) as u8, |a, b| a & b, |a| a != 0),
            Logical::Any => reduce_canon::<T, u8, bool>(&c, 0, |v| (v != zero) as u8, |a, b| a | b, |a| a != 0),
            Logical::CountNonzero => reduce_canon::<T, i64, i64>(&c, 0, |v| (v != zero) as i64, |a, b| a + b, |a| a),
        }
    })
}

/// Vector norms in f64 for float input: `kind` 2 = sqrt(sum x²), 1 = sum |x|, inf / -inf =
/// max / min |x|, 0 = count of nonzeros, otherwise (sum |x|^p)^(1/p).
pub fn norm(p: f64, src: &Storage, ls: &Layout, dt: DType, reduce: &[bool]) -> Result<Storage> {
    let c = canon(src, ls, dt, reduce, true, true)?;
    with_float_dtype!(dt, T => {
        if p == 2.0 {
            if dt == DType::F64 || dt == DType::F32 {
                reduce_canon::<T, T, T>(&c, T::from_f64(0.0), |v| v * v, |a, b| a + b, |a| T::from_f64(a.to_f64().sqrt()))
            } else {
                reduce_canon::<T, f32, T>(&c, 0.0, |v| { let v = v.to_f64() as f32; v * v }, |a, b| a + b, |a| T::from_f64((a as f64).sqrt()))
            }
        } else if p == f64::INFINITY {
            reduce_canon::<T, f64, T>(&c, 0.0, |v| v.to_f64().abs(), |a, b| pick(true, a, b), T::from_f64)
        } else if p == f64::NEG_INFINITY {
            reduce_canon::<T, f64, T>(&c, f64::INFINITY, |v| v.to_f64().abs(), |a, b| pick(false, a, b), T::from_f64)
        } else if p == 0.0 {
            reduce_canon::<T, f64, T>(&c, 0.0, |v| if v.to_f64() != 0.0 { 1.0 } else { 0.0 }, |a, b| a + b, T::from_f64)
        } else if p == 1.0 {
            reduce_canon::<T, f64, T>(&c, 0.0, |v| v.to_f64().abs(), |a, b| a + b, T::from_f64)
        } else {
            reduce_canon::<T, f64, T>(&c, 0.0, |v| v.to_f64().abs().powf(p), |a, b| a + b, |a| T::from_f64(a.powf(1.0 / p)))
        }
    }, Err(crate::Error::runtime(format!("norm(): input dtype should be either floating point or complex. Got {} instead.", dt.scalar_name()))))
}
