//! Grad mode (`no_grad`, `enable_grad`, `inference_mode`) is per thread, as in PyTorch;
//! anomaly mode is process-wide, as in PyTorch.
use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(true) };
    static INFERENCE: Cell<bool> = const { Cell::new(false) };
}

#[inline]
pub fn is_enabled() -> bool {
    ENABLED.with(|c| c.get())
}
pub fn set_enabled(on: bool) -> bool {
    ENABLED.with(|c| c.replace(on))
}
pub fn is_inference() -> bool {
    INFERENCE.with(|c| c.get())
}
pub fn set_inference(on: bool) -> bool {
    INFERENCE.with(|c| c.replace(on))
}
/// Bit 0: anomaly mode on; bit 1: check for NaN (default on).
static ANOMALY: AtomicU8 = AtomicU8::new(2);

fn unpack(bits: u8) -> (bool, bool) {
    (bits & 1 != 0, bits & 2 != 0)
}
/// (enabled, check_nan)
#[inline]
pub fn anomaly() -> (bool, bool) {
    unpack(ANOMALY.load(Ordering::Relaxed))
}
pub fn set_anomaly(on: bool, check_nan: bool) -> (bool, bool) {
    unpack(ANOMALY.swap(on as u8 | (check_nan as u8) << 1, Ordering::Relaxed))
}

/// Runs `f` with grad mode set to `on`, restoring the old mode afterwards.
pub fn with_grad<R>(on: bool, f: impl FnOnce() -> R) -> R {
    let old = set_enabled(on);
    let r = f();
    set_enabled(old);
    r
}
