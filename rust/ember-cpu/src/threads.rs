//! Thread counts, the grain size and `parallel_for` (run by the team in `team.rs`; rayon's
//! pool remains for `install`: gemm's own parallel driver and the numerics ops that use rayon).
//!
//! Work below `PARALLEL_MIN` elements runs on the calling thread: a parallel region costs about
//! a microsecond while a worker still spins from the last one and ~50 µs of wake-up on a shared
//! 2-vCPU machine once it sleeps. `set_num_threads(1)` turns parallelism off entirely.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use crate::team::Team;

pub const GRAIN: usize = 32768;

/// The smallest job worth splitting across threads. It was 2^18 while every parallel region
/// woke rayon workers; with the caller taking chunks and a worker still spinning from the last
/// op (`team.rs`), 2 threads at 2^16: `add` of two 100k slices 18.7-22.0 -> 12.8-16.9 µs,
/// in-place `add_` of 78,400 floats 8.2-9.3 -> 5.3-7.7 µs; lecture model at batch 1024, 2
/// threads, 288 -> 309 steps/s (medians of 5 interleaved rounds; 2^15 and 2^17 within noise).
pub const PARALLEL_MIN: usize = 1 << 16;

static NUM_THREADS: AtomicUsize = AtomicUsize::new(0);
static POOL: OnceLock<RwLock<Arc<rayon::ThreadPool>>> = OnceLock::new();
static TEAM: OnceLock<RwLock<Arc<Team>>> = OnceLock::new();

fn build(n: usize) -> Arc<rayon::ThreadPool> {
    Arc::new(rayon::ThreadPoolBuilder::new().num_threads(n).thread_name(|i| format!("ember-{i}")).build().expect("thread pool"))
}

fn default_threads() -> usize {
    std::env::var("EMBER_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .or_else(|| std::env::var("OMP_NUM_THREADS").ok().and_then(|v| v.parse().ok()))
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
        .max(1)
}

pub fn get_num_threads() -> usize {
    match NUM_THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = default_threads();
            NUM_THREADS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// At most 4 threads per core: more only adds start-up and wake-up cost (5000 threads made
/// the next op take 45 s and the process hang at exit).
pub fn set_num_threads(n: usize) {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let n = n.clamp(1, (4 * cores).max(8));
    NUM_THREADS.store(n, Ordering::Relaxed);
    if let Some(p) = POOL.get() {
        *p.write().unwrap() = build(n);
    }
    if let Some(t) = TEAM.get() {
        let old = std::mem::replace(&mut *t.write().unwrap(), Team::start(n));
        old.stop();
    }
}

fn pool() -> Arc<rayon::ThreadPool> {
    POOL.get_or_init(|| RwLock::new(build(get_num_threads()))).read().unwrap().clone()
}

/// How many chunks to split `work` elements into (1 = run inline).
pub fn chunks_for(work: usize) -> usize {
    let t = get_num_threads();
    // Below PARALLEL_MIN elements the split costs more than it saves (see its note).
    if t <= 1 || work < PARALLEL_MIN {
        1
    } else {
        (work / GRAIN).min(t * 4).max(1)
    }
}

/// Runs `f(chunk_index)` for `0..n` chunks, in parallel when `n > 1`.
pub fn parallel_for(n: usize, f: impl Fn(usize) + Sync + Send) {
    if n <= 1 {
        if n == 1 {
            f(0);
        }
        return;
    }
    run_chunks(n, &f);
}

/// The parallel half of `parallel_for`, behind a trait object on purpose: generic over the
/// closure, the parallel machinery (rayon's join/job, before the team) was instantiated once
/// per kernel (2,202 copies, about 60 % of ember-cpu's LLVM IR and most of its compile time).
/// One indirect call per chunk (≥ 32k elements) costs nothing measurable.
#[inline(never)]
fn run_chunks(n: usize, f: &(dyn Fn(usize) + Sync)) {
    let team = TEAM.get_or_init(|| RwLock::new(Team::start(get_num_threads()))).read().unwrap().clone();
    team.run(n, f);
}

/// Runs `f` inside ember's pool, so rayon work it starts (e.g. in the `gemm` crate) uses
/// ember's thread count rather than rayon's global pool.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    pool().install(f)
}

/// Splits `0..len` into `n` near-equal ranges; returns range `i`.
pub fn split_range(len: usize, n: usize, i: usize) -> (usize, usize) {
    let base = len / n;
    let extra = len % n;
    let start = i * base + i.min(extra);
    (start, start + base + usize::from(i < extra))
}
