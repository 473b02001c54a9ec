//! The team that runs `parallel_for`: `threads - 1` workers plus the calling thread, which
//! claim chunks from one atomic counter.
//!
//! Why not rayon's `install` (still used for gemm's own parallel driver): a rayon job from a
//! thread outside the pool wakes one sleeping worker, which wakes the next, and the caller
//! sleeps until the last one wakes it again. A futex wake costs ~50 µs on this 2-vCPU VM, so
//! two 100 µs halves issued after 200 µs of serial work took 210-230 µs instead of 100 (a
//! probe program; the training step does serial work between its products, and `perf` showed
//! one worker running a third more of its GEMM than the other). Here the caller starts on its
//! own chunks at once, and a worker that finished a job less than `SPIN` ago is still
//! spinning and joins within a microsecond: the same probe runs in 101 µs (122 µs after 1 ms
//! of serial work, where the worker has gone to sleep).
//!
//! Rules: a `parallel_for` issued while the team is busy (a nested call from a chunk, or a
//! second Python thread with the GIL released) runs its chunks on the calling thread. A
//! panicking chunk is caught where it ran, the job finishes its other chunks, and the caller
//! re-raises it once no thread can still be inside the job's closure.
use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long an idle worker spins before it sleeps: longer than the serial gaps between the
/// parallel products of a training step, short enough that an idle process gives its CPUs
/// back within a millisecond (OpenMP runtimes spin 0.2-200 ms). Lecture model at batch 1024,
/// 2 threads, median of 5 rounds: 262 / 266 / 296 / 308 / 294 steps/s spinning 0 / 50 / 300 /
/// 1,000 / 3,000 µs.
const SPIN: Duration = Duration::from_millis(1);

thread_local! {
    /// Set on team workers, and on a caller while its job runs: `parallel_for` from here runs
    /// inline (the team is already busy with the enclosing job).
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// One `parallel_for`: chunks `0..n` of the caller's closure.
struct Job {
    /// The caller's closure with its lifetime erased. Dereferenced only for a claimed chunk
    /// `i < n`, and the caller returns only once every claimed chunk is done, so it is alive
    /// whenever it is called.
    f: *const (dyn Fn(usize) + Sync + 'static),
    n: usize,
    next: AtomicUsize,
    done: AtomicUsize,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

// SAFETY: `f` points to a `Sync` closure (callable from any thread) that outlives every call
// made through it (see the field's note); the rest of `Job` is atomics and a mutex.
unsafe impl Send for Job {}
// SAFETY: as above: shared access only calls the `Sync` closure or touches atomics/the mutex.
unsafe impl Sync for Job {}

impl Job {
    /// Claims and runs chunks until none are left; each finished chunk counts in `done`, a
    /// panicking one too (its payload is kept for the caller).
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.n {
                return;
            }
            // SAFETY: i < n was claimed by this thread, so the caller is still waiting for it
            // in `Team::run` and the closure is alive (see `f`).
            let r = catch_unwind(AssertUnwindSafe(|| unsafe { (*self.f)(i) }));
            if let Err(p) = r {
                self.panic.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(p);
            }
            // Release: the chunk's writes are visible to the caller once it sees the count.
            self.done.fetch_add(1, Ordering::Release);
        }
    }
}

pub(crate) struct Team {
    workers: usize,
    spin: Duration,
    /// Bumped (under `slot`'s lock) for every published job.
    epoch: AtomicU64,
    slot: Mutex<Option<Arc<Job>>>,
    wake: Condvar,
    sleepers: AtomicUsize,
    busy: AtomicBool,
    exit: AtomicBool,
}

impl Team {
    /// A team for `threads` threads in all: `threads - 1` workers are started.
    pub(crate) fn start(threads: usize) -> Arc<Team> {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let team = Arc::new(Team {
            workers: threads.saturating_sub(1),
            // More threads than CPUs: a spinning worker would take a CPU from one with work.
            spin: if threads <= cores { SPIN } else { Duration::ZERO },
            epoch: AtomicU64::new(0),
            slot: Mutex::new(None),
            wake: Condvar::new(),
            sleepers: AtomicUsize::new(0),
            busy: AtomicBool::new(false),
            exit: AtomicBool::new(false),
        });
        for i in 0..team.workers {
            let t = team.clone();
            // A worker that cannot be started leaves the caller to run every chunk itself.
            let _ = std::thread::Builder::new().name(format!("ember-{i}")).spawn(move || t.worker());
        }
        team
    }

    /// Tells the workers to exit (they hold the team alive until they do).
    pub(crate) fn stop(&self) {
        self.exit.store(true, Ordering::SeqCst);
        // Notified under the lock so a worker between its check and its wait cannot miss it.
        // In a forked child the workers are gone and the lock may be held for good by one
        // that was inside it at the fork: give up after a millisecond (nobody to wake).
        let since = Instant::now();
        loop {
            match self.slot.try_lock() {
                Ok(_guard) => break,
                Err(std::sync::TryLockError::Poisoned(_)) => break,
                Err(std::sync::TryLockError::WouldBlock) if since.elapsed() < Duration::from_millis(1) => std::thread::yield_now(),
                Err(std::sync::TryLockError::WouldBlock) => break,
            }
        }
        self.wake.notify_all();
    }

    fn worker(&self) {
        INSIDE.with(|c| c.set(true));
        let mut seen = 0u64;
        loop {
            let since = Instant::now();
            let mut spins = 0u32;
            while self.epoch.load(Ordering::Acquire) == seen && !self.exit.load(Ordering::Relaxed) {
                spins = spins.wrapping_add(1);
                if spins % 64 == 0 && since.elapsed() >= self.spin {
                    let guard = self.slot.lock().unwrap_or_else(|e| e.into_inner());
                    self.sleepers.fetch_add(1, Ordering::SeqCst);
                    let wait = |_: &mut Option<Arc<Job>>| self.epoch.load(Ordering::Acquire) == seen && !self.exit.load(Ordering::SeqCst);
                    let guard = self.wake.wait_while(guard, wait).unwrap_or_else(|e| e.into_inner());
                    self.sleepers.fetch_sub(1, Ordering::SeqCst);
                    drop(guard);
                    break;
                }
                std::hint::spin_loop();
            }
            if self.exit.load(Ordering::SeqCst) {
                return;
            }
            let job = {
                let guard = self.slot.lock().unwrap_or_else(|e| e.into_inner());
                seen = self.epoch.load(Ordering::Acquire);
                guard.clone()
            };
            // A job found finished (a late wake-up) has no chunk left to claim.
            if let Some(job) = job {
                job.work();
            }
        }
    }

    /// Runs `f(0..n)` across the team and the calling thread; returns when every chunk is done.
    pub(crate) fn run(&self, n: usize, f: &(dyn Fn(usize) + Sync)) {
        let inside = INSIDE.with(|c| c.get());
        if self.workers == 0 || inside || self.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            (0..n).for_each(f);
            return;
        }
        // SAFETY: only the lifetime is erased; `f` outlives the job's use of it because this
        // function returns only once `done == n`, after which no chunk can be claimed.
        let f: &'static (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(f) };
        let job = Arc::new(Job { f, n, next: AtomicUsize::new(0), done: AtomicUsize::new(0), panic: Mutex::new(None) });
        {
            let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            *slot = Some(job.clone());
            self.epoch.fetch_add(1, Ordering::AcqRel);
        }
        if self.sleepers.load(Ordering::SeqCst) > 0 {
            self.wake.notify_all();
        }
        INSIDE.with(|c| c.set(true));
        job.work();
        // Chunks other threads claimed: usually finishing within the caller's last chunk.
        let since = Instant::now();
        while job.done.load(Ordering::Acquire) < n {
            if since.elapsed() < self.spin.max(Duration::from_micros(50)) {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        INSIDE.with(|c| c.set(false));
        // The slot keeps the finished job (its closure pointer is never called again: every
        // chunk is claimed) until the next job replaces it.
        self.busy.store(false, Ordering::Release);
        let panic = job.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(p) = panic {
            resume_unwind(p);
        }
    }
}
