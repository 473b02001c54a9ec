//! Thread-local grad mode: `no_grad`, `enable_grad`, `inference_mode`.
use std::cell::Cell;

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(true) };
    static INFERENCE: Cell<bool> = const { Cell::new(false) };
    static ANOMALY: Cell<(bool, bool)> = const { Cell::new((false, true)) };
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
/// (enabled, check_nan)
pub fn anomaly() -> (bool, bool) {
    ANOMALY.with(|c| c.get())
}
pub fn set_anomaly(on: bool, check_nan: bool) -> (bool, bool) {
    ANOMALY.with(|c| c.replace((on, check_nan)))
}

/// Runs `f` with grad mode set to `on`, restoring the old mode afterwards.
pub fn with_grad<R>(on: bool, f: impl FnOnce() -> R) -> R {
    let old = set_enabled(on);
    let r = f();
    set_enabled(old);
    r
}
