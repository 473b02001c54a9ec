//! One untyped, refcounted byte buffer shared by every view of it.
//!
//! Owned buffers are 64-byte aligned; buffers of 4 MiB or more are 2 MiB aligned and
//! advised to use transparent huge pages, which saves most page-fault cost on first touch.
//! Borrowed buffers keep their foreign owner (a numpy array, a DLPack capsule) alive.
use crate::{Device, Error, Result};
use std::alloc::{alloc, alloc_zeroed, dealloc, Layout as AllocLayout};
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const HUGE: usize = 4 << 20;

enum Owner {
    Owned(AllocLayout),
    Foreign(#[allow(dead_code)] Box<dyn Any + Send + Sync>),
}

struct Inner {
    ptr: *mut u8,
    nbytes: usize,
    owner: Owner,
    version: AtomicU64,
    device: Device,
    /// The op and place that made it, for `ember.inspect.memory()` (empty when unknown).
    origin: std::sync::Mutex<String>,
}

// The buffer is plain bytes; concurrent writes through views are the user's business,
// exactly as in PyTorch.
unsafe impl Send for Inner {}
unsafe impl Sync for Inner {}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Owner::Owned(l) = self.owner {
            if l.size() > 0 && !cache::put(self.ptr, l) {
                unsafe { dealloc(self.ptr, l) }
            }
        }
    }
}

/// A few recently freed big buffers, kept for reuse. Allocating a fresh big buffer costs a
/// page fault per page on first touch (often more than the op itself: `a + b` on 16M floats
/// is dominated by faulting in the 64 MB result); a loop that frees a result and allocates
/// one of the same size gets warm pages back instead.
mod cache {
    use std::alloc::{dealloc, Layout};
    use std::sync::Mutex;

    /// Only buffers at least this big are cached; smaller ones are cheap for malloc.
    pub const MIN: usize = 1 << 20;
    const MAX_BYTES: usize = 256 << 20;
    const MAX_ENTRIES: usize = 8;

    struct Entry(*mut u8, Layout);
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
            unsafe { dealloc(e.0, e.1) };
        }
        true
    }
}

#[derive(Clone)]
pub struct Storage(Arc<Inner>);

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Storage({:p}, {} bytes)", self.0.ptr, self.0.nbytes)
    }
}

impl Storage {
    fn allocate(nbytes: usize, zeroed: bool) -> Result<Storage> {
        let align = if nbytes >= HUGE { 2 << 20 } else { 64 };
        let layout = AllocLayout::from_size_align(nbytes, align)
            .map_err(|_| Error::runtime(format!("cannot allocate {nbytes} bytes: size overflows")))?;
        if !zeroed {
            if let Some((ptr, layout)) = cache::take(nbytes, align) {
                return Ok(Self::owned(ptr, nbytes, layout));
            }
        }
        let ptr = if nbytes == 0 {
            align as *mut u8
        } else {
            let p = unsafe {
                if zeroed {
                    alloc_zeroed(layout)
                } else {
                    alloc(layout)
                }
            };
            if p.is_null() {
                return Err(Error::runtime(format!("DefaultCPUAllocator: not enough memory: you tried to allocate {nbytes} bytes.")));
            }
            if nbytes >= HUGE {
                unsafe { libc::madvise(p as *mut libc::c_void, nbytes, libc::MADV_HUGEPAGE) };
            }
            p
        };
        Ok(Self::owned(ptr, nbytes, layout))
    }

    fn owned(ptr: *mut u8, nbytes: usize, layout: AllocLayout) -> Storage {
        Storage(Arc::new(Inner {
            ptr,
            nbytes,
            owner: Owner::Owned(layout),
            version: AtomicU64::new(0),
            device: Device::Cpu,
            origin: Default::default(),
        }))
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
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), s.ptr(), bytes.len()) };
        Ok(s)
    }

    /// Wraps memory owned by someone else; `owner` is dropped when the last view goes.
    ///
    /// # Safety
    /// `ptr` must stay valid for `nbytes` while `owner` lives.
    pub unsafe fn foreign(ptr: *mut u8, nbytes: usize, owner: Box<dyn Any + Send + Sync>) -> Storage {
        Storage(Arc::new(Inner {
            ptr,
            nbytes,
            owner: Owner::Foreign(owner),
            version: AtomicU64::new(0),
            device: Device::Cpu,
            origin: Default::default(),
        }))
    }

    pub fn ptr(&self) -> *mut u8 {
        self.0.ptr
    }
    pub fn nbytes(&self) -> usize {
        self.0.nbytes
    }
    pub fn device(&self) -> Device {
        self.0.device
    }
    pub fn is_foreign(&self) -> bool {
        matches!(self.0.owner, Owner::Foreign(_))
    }
    /// Version counter bumped by every in-place write; autograd compares it with the
    /// version a saved tensor had when saved.
    pub fn version(&self) -> u64 {
        self.0.version.load(Ordering::Relaxed)
    }
    pub fn bump_version(&self) {
        self.0.version.fetch_add(1, Ordering::Relaxed);
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
