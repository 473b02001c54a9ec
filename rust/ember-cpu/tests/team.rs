//! `parallel_for` on the team: every chunk once, nested and concurrent calls, panics, and
//! thread-count changes while workers spin or sleep.
use ember_cpu::threads::{get_num_threads, parallel_for, set_num_threads};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The thread count is process-wide: tests that change it take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn counts(n: usize, f: impl Fn(&(dyn Fn(usize) + Sync))) -> Vec<usize> {
    let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
    f(&|i| {
        hits[i].fetch_add(1, Ordering::Relaxed);
    });
    hits.iter().map(|h| h.load(Ordering::Relaxed)).collect()
}

#[test]
fn every_chunk_runs_once_at_any_thread_count() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for threads in [1, 2, 3, 5] {
        set_num_threads(threads);
        for n in [0, 1, 2, 7, 64, 1000] {
            let c = counts(n, |hit| parallel_for(n, |i| hit(i)));
            assert!(c.iter().all(|&k| k == 1), "threads {threads}, n {n}: {c:?}");
        }
    }
    set_num_threads(2);
}

#[test]
fn nested_calls_run_inline_and_finish() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    set_num_threads(2);
    let total = AtomicUsize::new(0);
    parallel_for(8, |_| {
        parallel_for(8, |_| {
            total.fetch_add(1, Ordering::Relaxed);
        })
    });
    assert_eq!(total.load(Ordering::Relaxed), 64);
}

#[test]
fn concurrent_callers_both_finish() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    set_num_threads(2);
    let total = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..200 {
                    parallel_for(16, |_| {
                        total.fetch_add(1, Ordering::Relaxed);
                    });
                }
            });
        }
    });
    assert_eq!(total.load(Ordering::Relaxed), 3 * 200 * 16);
}

#[test]
fn a_panicking_chunk_reaches_the_caller_and_the_team_still_works() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    set_num_threads(2);
    for bad in [0, 5, 15] {
        let ran = AtomicUsize::new(0);
        let r = catch_unwind(AssertUnwindSafe(|| {
            parallel_for(16, |i| {
                if i == bad {
                    panic!("chunk {i} failed");
                }
                ran.fetch_add(1, Ordering::Relaxed);
            })
        }));
        let msg = r.expect_err("the panic must reach the caller");
        let text = msg.downcast_ref::<String>().cloned().unwrap_or_default();
        assert_eq!(text, format!("chunk {bad} failed"));
        // The other chunks still ran, and the caller returned only after them.
        assert_eq!(ran.load(Ordering::Relaxed), 15);
        let c = counts(100, |hit| parallel_for(100, |i| hit(i)));
        assert!(c.iter().all(|&k| k == 1));
    }
}

#[test]
fn thread_count_changes_between_and_after_sleeps() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for round in 0..20 {
        set_num_threads(1 + round % 3);
        assert_eq!(get_num_threads(), 1 + round % 3);
        if round % 5 == 0 {
            // Long enough for the workers to stop spinning and sleep.
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let c = counts(33, |hit| parallel_for(33, |i| hit(i)));
        assert!(c.iter().all(|&k| k == 1), "round {round}");
    }
    set_num_threads(2);
}
