//! One untyped, refcounted byte buffer shared by every view of it.
//!
//! Owned buffers are 64-byte aligned; buffers of 4 MiB or more are 2 MiB aligned and
//! advised to use transparent huge pages, which saves most page-fault cost on first touch.
//! Borrowed buffers keep their foreign owner (a numpy array, a DLPack capsule) alive.
use crate::{Device, Error, Result};
use std::alloc::{alloc, alloc_zeroed, dealloc, Layout as AllocLayout};
use std::any::Any;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const HUGE: usize = 4 << 20;

enum Owner {
    Owned(AllocLayout),
    Foreign(#[allow(dead_code)] Box<dyn Any + Send + Sync>),
    /// No host bytes: a meta storage (nothing at all) or a device buffer (held in `device_buf`).
    None,
}

struct Inner {
    /// Swapped (with `owner`) only by `move_to`; everyone else just loads it.
    ptr: AtomicPtr<u8>,
    nbytes: usize,
    owner: Mutex<Owner>,
    version: AtomicU64,
    device: Device,
    /// The backend's buffer for a non-host storage (a `GpuBuffer` for wgpu); dropping it
    /// hands the memory back to that backend's pool.
    device_buf: Option<Box<dyn Any + Send + Sync>>,
    /// The op and place that made it, for `ember.inspect.memory()` (empty when unknown).
    origin: std::sync::Mutex<String>,
    /// The in-place op that last bumped the version (for the version-counter error).
    last_op: std::sync::Mutex<&'static str>,
}

// SAFETY: the buffer is plain bytes whose pointer is swapped only atomically (`move_to`) and freed
// only in Drop; the other fields are Mutex/atomics. Concurrent writes through views are the
// user's business, exactly as in PyTorch.
unsafe impl Send for Inner {}
unsafe impl Sync for Inner {}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Owner::Owned(l) = *self.owner.get_mut().unwrap_or_else(|e| e.into_inner()) {
            counters::free(self.nbytes);
            let p = *self.ptr.get_mut();
            if l.size() > 0 && !small::put(p, l) && !cache::put(p, l) {
                // SAFETY: an Owned storage's pointer came from `alloc`/`alloc_zeroed` (or the cache,
                // which holds such pointers) with layout `l`; this is the last handle (Drop).
                unsafe { dealloc(p, l) }
            }
        }
    }
}

/// Bytes held by live ember-owned storages, and the peak since the last reset
/// (`ember.inspect.track_allocations` reports a block's net and peak allocation from them).
pub mod counters {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static LIVE: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    pub(super) fn alloc(n: usize) {
        let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
    pub(super) fn free(n: usize) {
        LIVE.fetch_sub(n, Ordering::Relaxed);
    }
    pub fn live() -> usize {
        LIVE.load(Ordering::Relaxed)
    }
    pub fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
    }
    pub fn reset_peak() {
        PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// A few recently freed big buffers, kept for reuse. Allocating a fresh big buffer costs a
/// page fault per page on first touch (often more than the op itself: `a + b` on 16M floats
/// is dominated by faulting in the 64 MB result); a loop that frees a result and allocates
/// one of the same size gets warm pages back instead.
mod cache {
    use std::alloc::{dealloc, Layout};
    use std::sync::Mutex;

    /// Only buffers at least this big are cached: smaller ones have `small`'s lists, while
    /// glibc serves these with fresh mmap'd pages (its mmap threshold starts at 128 KiB), so
    /// each one costs a page fault per 4 KiB — a 300 KB gradient in a training loop paid ~40 µs.
    pub const MIN: usize = 64 << 10;
    const MAX_BYTES: usize = 256 << 20;
    const MAX_ENTRIES: usize = 32;

    struct Entry(*mut u8, Layout);
    // SAFETY: an entry is an unused heap block owned by the cache alone (behind FREE's lock).
    unsafe impl Send for Entry {}

    static FREE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

    /// Takes a cached buffer whose size is within 1/8 above `nbytes` and alignment fits.
    pub fn take(nbytes: usize, align: usize) -> Option<(*mut u8, Layout)> {
        if nbytes < MIN {
            return None;
        }
        let mut f = FREE.lock().ok()?;
        let i = f.iter().rposition(|e| e.1.size() >= nbytes && e.1.size() - nbytes <= nbytes / 8 && e.1.align() >= align)?;
        let e = f.swap_remove(i);
        Some((e.0, e.1))
    }

    /// Keeps `ptr` for reuse (true) or tells the caller to free it (false).
    pub fn put(ptr: *mut u8, l: Layout) -> bool {
        if l.size() < MIN || l.size() > MAX_BYTES {
            return false;
        }
        let Ok(mut f) = FREE.lock() else { return false };
        f.push(Entry(ptr, l));
        // Evict the oldest until within limits.
        while f.len() > MAX_ENTRIES || f.iter().map(|e| e.1.size()).sum::<usize>() > MAX_BYTES {
            let e = f.remove(0);
            // SAFETY: a cached block was allocated with layout `e.1` and nothing refers to it.
            unsafe { dealloc(e.0, e.1) };
        }
        true
    }
}

/// Per-thread free lists of small and medium buffers (up to 64 KiB: 64-byte classes to 1 KiB,
/// 1 KiB classes above). A 10-element `a + b` spent a fifth of its time in glibc's
/// `posix_memalign` and the chunk consolidation that aligned frees trigger, and the lecture
/// model's batch-64 step 7 % in malloc/free for its 5-50 KB activations and gradients; a pop
/// from a thread-local list costs a few nanoseconds. The buffers are uninitialised bytes, so a
/// block freed on one thread serves any other.
mod small {
    use std::alloc::{dealloc, Layout};
    use std::cell::RefCell;

    /// Classes of 64 bytes up to 1 KiB, then of 1 KiB up to `MAX`.
    const STEP: usize = 64;
    const FINE_MAX: usize = 1024;
    const COARSE_STEP: usize = 1024;
    pub const MAX: usize = 64 << 10;
    const CLASSES: usize = FINE_MAX / STEP + (MAX - FINE_MAX) / COARSE_STEP;
    const DEPTH: usize = 16;
    /// Bytes one thread's lists may hold; a block freed beyond it goes back to malloc.
    const BUDGET: usize = 8 << 20;

    struct Lists {
        lists: [Vec<*mut u8>; CLASSES],
        held: usize,
    }

    impl Drop for Lists {
        fn drop(&mut self) {
            for (i, list) in self.lists.iter_mut().enumerate() {
                for p in list.drain(..) {
                    // SAFETY: every cached block was allocated as `class_layout(i)` and is unused.
                    unsafe { dealloc(p, class_layout(i)) }
                }
            }
        }
    }

    thread_local! {
        static FREE: RefCell<Lists> = RefCell::new(Lists { lists: std::array::from_fn(|_| Vec::new()), held: 0 });
    }

    fn class_of(nbytes: usize) -> usize {
        if nbytes <= FINE_MAX {
            (nbytes - 1) / STEP
        } else {
            FINE_MAX / STEP + (nbytes - FINE_MAX - 1) / COARSE_STEP
        }
    }

    fn class_layout(i: usize) -> Layout {
        let size = if i < FINE_MAX / STEP { (i + 1) * STEP } else { FINE_MAX + (i + 1 - FINE_MAX / STEP) * COARSE_STEP };
        // Non-zero multiples of a power-of-two alignment: `from_size_align` cannot fail.
        Layout::from_size_align(size, STEP).unwrap()
    }

    /// The layout a small request of `nbytes` (1..=MAX) is allocated with: its class's.
    pub fn layout_for(nbytes: usize) -> Layout {
        class_layout(class_of(nbytes))
    }

    pub fn take(nbytes: usize) -> Option<(*mut u8, Layout)> {
        let i = class_of(nbytes);
        let l = class_layout(i);
        let p = FREE
            .try_with(|f| {
                let mut f = f.try_borrow_mut().ok()?;
                let p = f.lists[i].pop()?;
                f.held -= l.size();
                Some(p)
            })
            .ok()
            .flatten()?;
        Some((p, l))
    }

    /// Keeps `ptr` (allocated with `l`) for reuse (true) or tells the caller to free it.
    pub fn put(ptr: *mut u8, l: Layout) -> bool {
        if l.size() == 0 || l.size() > MAX || l.align() != STEP {
            return false;
        }
        let i = class_of(l.size());
        if class_layout(i) != l {
            return false;
        }
        FREE.try_with(|f| {
            let Ok(mut f) = f.try_borrow_mut() else { return false };
            if f.lists[i].len() >= DEPTH || f.held + l.size() > BUDGET {
                return false;
            }
            f.lists[i].push(ptr);
            f.held += l.size();
            true
        })
        .unwrap_or(false)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn classes_cover_every_size_once() {
            let mut last = 0;
            for n in 1..=MAX {
                let l = layout_for(n);
                assert!(l.size() >= n && l.align() == STEP, "{n}: {l:?}");
                assert!(l.size() - n < if n <= FINE_MAX { STEP } else { COARSE_STEP }, "{n}: {l:?}");
                assert_eq!(class_of(l.size()), class_of(n), "{n}");
                assert!(class_of(n) >= last && class_of(n) < CLASSES);
                last = class_of(n);
            }
            assert_eq!(last, CLASSES - 1);
        }

        #[test]
        fn put_refuses_foreign_layouts_and_keeps_at_most_depth() {
            assert!(!put(std::ptr::null_mut(), Layout::from_size_align(1500, 64).unwrap()));
            assert!(!put(std::ptr::null_mut(), Layout::from_size_align(2048, 128).unwrap()));
            assert!(!put(std::ptr::null_mut(), Layout::from_size_align(MAX + 1024, 64).unwrap()));
            let l = layout_for(MAX);
            let mut kept = vec![];
            for _ in 0..2 * DEPTH {
                // SAFETY: a non-zero layout; each block is either kept by `put` or freed here.
                let p = unsafe { std::alloc::alloc(l) };
                assert!(!p.is_null());
                if put(p, l) {
                    kept.push(p);
                } else {
                    // SAFETY: allocated just above with `l`, refused by the lists.
                    unsafe { dealloc(p, l) };
                }
            }
            assert_eq!(kept.len(), DEPTH);
            while let Some((p, got)) = take(MAX) {
                assert_eq!(got, l);
                assert!(kept.contains(&p));
                // SAFETY: a block `put` kept (allocated with `l`), now taken back and unused.
                unsafe { dealloc(p, l) };
            }
        }
    }
}

#[derive(Clone)]
pub struct Storage(Arc<Inner>);

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Storage({:p}, {} bytes)", self.ptr(), self.0.nbytes)
    }
}

impl Storage {
    fn allocate(nbytes: usize, zeroed: bool) -> Result<Storage> {
        if nbytes > 0 && nbytes <= small::MAX {
            let (ptr, layout) = small::take(nbytes).unwrap_or((std::ptr::null_mut(), small::layout_for(nbytes)));
            // SAFETY: a class layout has non-zero size; a null result is checked below.
            let ptr = if ptr.is_null() { unsafe { alloc(layout) } } else { ptr };
            if ptr.is_null() {
                return Err(Error::runtime(out_of_memory(nbytes)));
            }
            if zeroed {
                // SAFETY: the block holds at least `nbytes` bytes and no one else holds it.
                unsafe { std::ptr::write_bytes(ptr, 0, nbytes) };
            }
            return Ok(Self::owned(ptr, nbytes, layout));
        }
        let align = if nbytes >= HUGE { 2 << 20 } else { 64 };
        let layout = AllocLayout::from_size_align(nbytes, align)
            .map_err(|_| Error::runtime(format!("cannot allocate {nbytes} bytes: size overflows")))?;
        // Zeroed requests reuse warm buffers too (memset is cheaper than faulting in fresh
        // zero pages), except huge ones where calloc's lazily zeroed pages win.
        if !zeroed || nbytes <= 64 << 20 {
            if let Some((ptr, layout)) = cache::take(nbytes, align) {
                if zeroed {
                    // SAFETY: `take` returned a block of at least `nbytes` bytes that no one else holds.
                    unsafe { std::ptr::write_bytes(ptr, 0, nbytes) };
                }
                return Ok(Self::owned(ptr, nbytes, layout));
            }
        }
        let ptr = if nbytes == 0 {
            align as *mut u8
        } else {
            // SAFETY: `layout` has non-zero size (nbytes > 0 here) and a power-of-two alignment;
            // a null result is checked below.
            let p = unsafe {
                if zeroed {
                    alloc_zeroed(layout)
                } else {
                    alloc(layout)
                }
            };
            if p.is_null() {
                return Err(Error::runtime(out_of_memory(nbytes)));
            }
            if nbytes >= HUGE {
                // SAFETY: an advisory call on the `nbytes` just allocated at `p` (2 MiB aligned).
                unsafe { libc::madvise(p as *mut libc::c_void, nbytes, libc::MADV_HUGEPAGE) };
            }
            p
        };
        Ok(Self::owned(ptr, nbytes, layout))
    }

    fn owned(ptr: *mut u8, nbytes: usize, layout: AllocLayout) -> Storage {
        counters::alloc(nbytes);
        Storage(Arc::new(Inner {
            ptr: AtomicPtr::new(ptr),
            nbytes,
            owner: Mutex::new(Owner::Owned(layout)),
            version: AtomicU64::new(0),
            device: Device::Cpu,
            device_buf: None,
            origin: Default::default(),
            last_op: std::sync::Mutex::new(""),
        }))
    }

    /// Uninitialised room for `n` elements of `itemsize` bytes (the multiplication checked).
    pub fn uninit_n(n: usize, itemsize: usize) -> Result<Storage> {
        Self::allocate(nbytes_for(n, itemsize)?, false)
    }

    pub fn zeros_n(n: usize, itemsize: usize) -> Result<Storage> {
        Self::allocate(nbytes_for(n, itemsize)?, true)
    }

    /// Uninitialised bytes: callers must write every element before anyone reads.
    pub fn uninit(nbytes: usize) -> Result<Storage> {
        Self::allocate(nbytes, false)
    }

    pub fn zeros(nbytes: usize) -> Result<Storage> {
        Self::allocate(nbytes, true)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Storage> {
        let s = Self::uninit(bytes.len())?;
        // SAFETY: `s` is a fresh allocation of exactly bytes.len() bytes, so no overlap.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), s.ptr(), bytes.len()) };
        Ok(s)
    }

    /// Wraps memory owned by someone else; `owner` is dropped when the last view goes.
    ///
    /// # Safety
    /// `ptr` must stay valid for `nbytes` while `owner` lives.
    pub unsafe fn foreign(ptr: *mut u8, nbytes: usize, owner: Box<dyn Any + Send + Sync>) -> Storage {
        Storage(Arc::new(Inner {
            ptr: AtomicPtr::new(ptr),
            nbytes,
            owner: Mutex::new(Owner::Foreign(owner)),
            version: AtomicU64::new(0),
            device: Device::Cpu,
            device_buf: None,
            origin: Default::default(),
            last_op: std::sync::Mutex::new(""),
        }))
    }

    /// A storage of `nbytes` that holds no data at all (`device="meta"`): views, shapes and
    /// strides work on it; reading or writing elements is refused before any kernel runs.
    pub fn meta(nbytes: usize) -> Storage {
        Storage(Arc::new(Inner {
            ptr: AtomicPtr::new(std::ptr::null_mut()),
            nbytes,
            owner: Mutex::new(Owner::None),
            version: AtomicU64::new(0),
            device: Device::Meta,
            device_buf: None,
            origin: Default::default(),
            last_op: std::sync::Mutex::new(""),
        }))
    }

    /// A storage whose bytes live in a backend's buffer (`buf`), not in host memory.
    pub fn on_device(device: Device, nbytes: usize, buf: Box<dyn Any + Send + Sync>) -> Storage {
        Storage(Arc::new(Inner {
            ptr: AtomicPtr::new(std::ptr::null_mut()),
            nbytes,
            owner: Mutex::new(Owner::None),
            version: AtomicU64::new(0),
            device,
            device_buf: Some(buf),
            origin: Default::default(),
            last_op: std::sync::Mutex::new(""),
        }))
    }

    /// The backend buffer of a device storage, if it is a `T`.
    pub fn device_buffer<T: 'static>(&self) -> Option<&T> {
        self.0.device_buf.as_ref().and_then(|b| b.downcast_ref::<T>())
    }

    /// Host address of byte 0; null for meta and device storages (`device().is_host()` is false),
    /// which no host kernel may be handed.
    pub fn ptr(&self) -> *mut u8 {
        self.0.ptr.load(Ordering::Acquire)
    }
    pub fn nbytes(&self) -> usize {
        self.0.nbytes
    }
    pub fn device(&self) -> Device {
        self.0.device
    }
    pub fn is_foreign(&self) -> bool {
        matches!(*self.0.owner.lock().unwrap_or_else(|e| e.into_inner()), Owner::Foreign(_))
    }
    /// Version counter bumped by every in-place write; autograd compares it with the
    /// version a saved tensor had when saved.
    pub fn version(&self) -> u64 {
        self.0.version.load(Ordering::Relaxed)
    }
    pub fn bump_version(&self) {
        self.0.version.fetch_add(1, Ordering::Relaxed);
    }
    /// `bump_version`, remembering which in-place op wrote (named in autograd's error).
    pub fn bump_version_by(&self, op: &'static str) {
        self.0.version.fetch_add(1, Ordering::Relaxed);
        *self.0.last_op.lock().unwrap_or_else(|e| e.into_inner()) = op;
    }
    pub fn last_op(&self) -> &'static str {
        *self.0.last_op.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// How many handles (tensors, views, saved copies) share this storage.
    pub fn handle_count(&self) -> usize {
        Arc::strong_count(&self.0)
    }
    pub fn same(&self, other: &Storage) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
    pub fn set_origin(&self, origin: String) {
        *self.0.origin.lock().unwrap() = origin;
    }
    pub fn origin(&self) -> String {
        self.0.origin.lock().unwrap().clone()
    }
    /// A weak handle, for registries that must not keep storages alive.
    pub fn downgrade(&self) -> WeakStorage {
        WeakStorage(Arc::downgrade(&self.0))
    }
}

#[derive(Clone)]
pub struct WeakStorage(std::sync::Weak<Inner>);

impl WeakStorage {
    pub fn upgrade(&self) -> Option<Storage> {
        self.0.upgrade().map(Storage)
    }
}

impl Storage {
    /// Moves the bytes into `new_ptr` (owned by `owner`) in place: the storage object stays
    /// the same, so every tensor and view of it now reads and writes the new memory. Used to
    /// move a tensor into shared memory (`share_memory_`). The old buffer is freed (an owned
    /// one) or its owner dropped (a foreign one). Concurrent `move_to` calls are serialised.
    ///
    /// # Safety
    /// `new_ptr` must be valid for `nbytes()` bytes while `owner` lives and must not overlap
    /// the current buffer. No other thread may be running a kernel on this storage meanwhile
    /// (it could read the old pointer after it was freed) — the same contract as PyTorch's
    /// `share_memory_`, which swaps the storage's data pointer too.
    pub unsafe fn move_to(&self, new_ptr: *mut u8, owner: Box<dyn Any + Send + Sync>) {
        let mut guard = self.0.owner.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.0.ptr.load(Ordering::Acquire);
        std::ptr::copy_nonoverlapping(old, new_ptr, self.0.nbytes);
        // Release: a thread that sees the new pointer also sees the copied bytes.
        self.0.ptr.store(new_ptr, Ordering::Release);
        let previous = std::mem::replace(&mut *guard, Owner::Foreign(owner));
        drop(guard);
        if let Owner::Owned(l) = previous {
            counters::free(self.0.nbytes);
            if l.size() > 0 {
                dealloc(old, l)
            }
        }
    }

    /// Calls `f` with the foreign owner (`None` for an ember-allocated buffer), e.g. to ask
    /// whether the storage lives in a shared-memory segment.
    pub fn with_owner<R>(&self, f: impl FnOnce(Option<&(dyn Any + Send + Sync)>) -> R) -> R {
        let guard = self.0.owner.lock().unwrap_or_else(|e| e.into_inner());
        match &*guard {
            Owner::Foreign(b) => f(Some(b.as_ref())),
            Owner::Owned(_) | Owner::None => f(None),
        }
    }
}

#[cfg(test)]
mod move_to_tests {
    use super::Storage;

    #[test]
    fn every_handle_follows_the_move_and_the_bytes_come_along() {
        let s = Storage::from_bytes(&[1, 2, 3, 4]).unwrap();
        let view = s.clone();
        s.bump_version();
        let mut dest = vec![0u8; 4].into_boxed_slice();
        let p = dest.as_mut_ptr();
        // SAFETY: `dest` holds 4 bytes, as many as `s`, and is owned by the storage from now on;
        // the reads below stay inside those 4 bytes.
        unsafe { s.move_to(p, Box::new(dest)) };
        assert_eq!(view.ptr(), p);
        assert_eq!(unsafe { std::slice::from_raw_parts(view.ptr(), 4) }, &[1, 2, 3, 4]);
        assert_eq!(view.version(), 1);
        assert!(view.is_foreign());
        assert!(view.with_owner(|o| o.is_some_and(|o| o.downcast_ref::<Box<[u8]>>().is_some())));
        // Moving again drops the previous foreign owner and keeps the bytes.
        let mut again = vec![0u8; 4].into_boxed_slice();
        let q = again.as_mut_ptr();
        // SAFETY: as above: 4 fresh bytes, handed to the storage.
        unsafe { view.move_to(q, Box::new(again)) };
        assert_eq!(unsafe { std::slice::from_raw_parts(s.ptr(), 4) }, &[1, 2, 3, 4]);
    }

    #[test]
    fn empty_storage_moves() {
        let s = Storage::zeros(0).unwrap();
        assert!(s.with_owner(|o| o.is_none()));
        let mut dest: Box<[u8]> = Box::new([]);
        let p = dest.as_mut_ptr();
        // SAFETY: an empty destination for an empty storage; nothing is read or written.
        unsafe { s.move_to(p, Box::new(dest)) };
        assert_eq!(s.nbytes(), 0);
    }
}

/// Bytes for `n` elements of `itemsize`, refusing counts whose byte size can't exist.
pub fn nbytes_for(n: usize, itemsize: usize) -> Result<usize> {
    n.checked_mul(itemsize).filter(|&b| b <= isize::MAX as usize).ok_or_else(|| {
        Error::runtime(format!(
            "Storage size calculation overflowed: {n} elements of {itemsize} bytes need more memory than can be addressed"
        ))
    })
}

/// `vec![value; n]` for host scratch and output buffers whose length comes from the user
/// (conv/pool geometry, bincount, histc): refuses what cannot be allocated instead of
/// letting Rust abort the process. The refusal is a panic carrying PyTorch's allocator
/// message, which the binding's guard raises as that RuntimeError (kernels that return
/// plain `Vec`s have no error channel of their own).
/// PyTorch's allocation-failure message (raised as a RuntimeError), for every fallible
/// allocation: returned as `Err` or, where a kernel can't return one, panicked into the guard.
pub fn out_of_memory(nbytes: usize) -> String {
    format!("DefaultCPUAllocator: not enough memory: you tried to allocate {nbytes} bytes.")
}

pub fn filled_vec<T: Clone>(value: T, n: usize) -> Vec<T> {
    let bytes = n.saturating_mul(std::mem::size_of::<T>());
    let mut v = Vec::new();
    if bytes > isize::MAX as usize || v.try_reserve_exact(n).is_err() {
        panic!("{}", out_of_memory(bytes));
    }
    v.resize(n, value);
    v
}
