//! Device buffers, recycled through a size-class pool.
//!
//! A dropped `GpuBuffer` goes back to the pool while commands that still use it may be
//! pending. That is safe for later *dispatches* (they run after those commands in queue
//! order) but not for `queue.write_buffer`, which jumps ahead of pending commands at the next
//! submit; so `upload` flushes the pending batch before writing.
use crate::context::{context, Context};
use ember_core::{Error, Result};
use std::collections::HashMap;
use std::sync::Mutex;

/// Free buffers by size class, and the bytes they hold.
#[derive(Default)]
pub(crate) struct Pool {
    free: Mutex<(HashMap<u64, Vec<wgpu::Buffer>>, u64)>,
}

/// Bytes kept in the pool before further freed buffers are released to the driver.
const POOL_CAP: u64 = 4 << 30;

/// Sizes round up to 256 B, then to powers of two up to 1 MiB, then to eighths of a power
/// of two (at most 12.5% waste for large tensors).
pub(crate) fn size_class(n: u64) -> u64 {
    let n = n.max(256);
    if n <= 1 << 20 {
        return n.next_power_of_two();
    }
    let step = n.next_power_of_two() / 8;
    n.div_ceil(step) * step
}

impl Pool {
    fn take(&self, class: u64) -> Option<wgpu::Buffer> {
        let mut g = self.free.lock().unwrap();
        let b = g.0.get_mut(&class).and_then(|v| v.pop());
        if b.is_some() {
            g.1 -= class;
        }
        b
    }

    fn give(&self, class: u64, b: wgpu::Buffer) {
        let mut g = self.free.lock().unwrap();
        if g.1 + class <= POOL_CAP {
            g.1 += class;
            g.0.entry(class).or_default().push(b);
        }
    }

    /// Releases every pooled buffer to the driver.
    pub(crate) fn clear(&self) {
        let mut g = self.free.lock().unwrap();
        g.0.clear();
        g.1 = 0;
    }

    pub(crate) fn pooled_bytes(&self) -> u64 {
        self.free.lock().unwrap().1
    }
}

/// A device buffer of `len` bytes (STORAGE | COPY_SRC | COPY_DST); back to the pool on drop.
pub struct GpuBuffer {
    buf: Option<wgpu::Buffer>,
    class: u64,
    len: u64,
}

impl std::fmt::Debug for GpuBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuBuffer({} bytes)", self.len)
    }
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        if let (Some(b), Ok(ctx)) = (self.buf.take(), context()) {
            ctx.pool.give(self.class, b);
        }
    }
}

impl GpuBuffer {
    /// An uninitialised buffer of `len` bytes (contents are whatever a pooled buffer held).
    pub fn new(len: usize) -> Result<GpuBuffer> {
        Ok(GpuBuffer::alloc(len)?.0)
    }

    /// A buffer and whether it came from the pool (pending commands may still use it).
    fn alloc(len: usize) -> Result<(GpuBuffer, bool)> {
        let ctx = context()?;
        let class = size_class(len as u64);
        if class > ctx.limits.max_buffer_size {
            return Err(Error::runtime(format!(
                "cannot allocate {len} bytes on the wgpu device: its largest buffer is {} bytes",
                ctx.limits.max_buffer_size
            )));
        }
        let (buf, reused) = match ctx.pool.take(class) {
            Some(b) => (b, true),
            None => (
                ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: None,
                    size: class,
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }),
                false,
            ),
        };
        Ok((GpuBuffer { buf: Some(buf), class, len: len as u64 }, reused))
    }

    /// A buffer holding `bytes` (padded with zeros to a multiple of 4).
    pub fn upload(bytes: &[u8]) -> Result<GpuBuffer> {
        let (b, reused) = GpuBuffer::alloc(bytes.len())?;
        let ctx = context()?;
        // A pooled buffer may still be used by pending commands: submit them first.
        if reused {
            ctx.flush();
        }
        if bytes.len().is_multiple_of(4) {
            ctx.queue.write_buffer(b.raw(), 0, bytes);
        } else {
            let mut padded = bytes.to_vec();
            padded.resize(bytes.len().next_multiple_of(4), 0);
            ctx.queue.write_buffer(b.raw(), 0, &padded);
        }
        Ok(b)
    }

    /// Writes host `bytes` at byte `offset` (both multiples of 4), after all work recorded so
    /// far (pending commands are submitted first, since a queue write runs ahead of them).
    pub fn write(&self, offset: usize, bytes: &[u8]) -> Result<()> {
        if !offset.is_multiple_of(4) || !bytes.len().is_multiple_of(4) || offset + bytes.len() > self.len.next_multiple_of(4) as usize {
            return Err(Error::runtime(format!(
                "write of {} bytes at byte {offset} into a {}-byte wgpu buffer: offset and length must be multiples of 4 and inside the buffer",
                bytes.len(),
                self.len
            )));
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let ctx = context()?;
        ctx.flush();
        ctx.queue.write_buffer(self.raw(), offset as u64, bytes);
        Ok(())
    }

    /// A buffer of `len` zero bytes (cleared in queue order: no flush needed).
    pub fn zeros(len: usize) -> Result<GpuBuffer> {
        let b = GpuBuffer::new(len)?;
        let n = (len as u64).next_multiple_of(4);
        if n > 0 {
            context()?.encode(|e| e.clear_buffer(b.raw(), 0, Some(n)));
        }
        Ok(b)
    }

    /// Bytes requested (the allocation may be larger).
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn raw(&self) -> &wgpu::Buffer {
        self.buf.as_ref().expect("GpuBuffer used after drop")
    }

    /// Bytes the allocation really has (bindings may cover the padding).
    pub(crate) fn capacity(&self) -> u64 {
        self.class
    }

    /// Copies `nbytes` from byte `offset` to the host: flushes pending work, maps, waits.
    pub fn download(&self, offset: usize, nbytes: usize) -> Result<Vec<u8>> {
        if offset + nbytes > self.len as usize {
            return Err(Error::runtime(format!("download of bytes {offset}..{} from a {}-byte wgpu buffer", offset + nbytes, self.len)));
        }
        if nbytes == 0 {
            return Ok(Vec::new());
        }
        let ctx = context()?;
        // copy_buffer_to_buffer needs 4-byte aligned offsets and sizes.
        let lo = (offset as u64) & !3;
        let hi = ((offset + nbytes) as u64).next_multiple_of(4);
        // An index kernel ran since the last read: its out-of-range flag rides along in the
        // same copy (no extra round trip) and is cleared for the next batch.
        let armed = ctx.flag_armed.swap(false, std::sync::atomic::Ordering::AcqRel);
        let extra = if armed { crate::context::FLAG_BYTES } else { 0 };
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("ember download"),
            size: hi - lo + extra,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ctx.encode(|e| {
            e.copy_buffer_to_buffer(self.raw(), lo, &staging, 0, Some(hi - lo));
            if armed {
                e.copy_buffer_to_buffer(&ctx.index_flag, 0, &staging, hi - lo, Some(crate::context::FLAG_BYTES));
                e.clear_buffer(&ctx.index_flag, 0, None);
            }
        });
        ctx.flush();
        let all = map_read(ctx, &staging, 0, (hi - lo + extra) as usize)?;
        if armed {
            let words: Vec<u32> = all[(hi - lo) as usize..].chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            if let Some(e) = crate::index::flag_error(&words) {
                return Err(e);
            }
        }
        let skip = (offset as u64 - lo) as usize;
        Ok(all[skip..skip + nbytes].to_vec())
    }
}

fn map_read(ctx: &Context, staging: &wgpu::Buffer, skip: usize, nbytes: usize) -> Result<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |r| {
        let _ = tx.send(r);
    });
    ctx.wait()?;
    rx.recv()
        .map_err(|_| Error::runtime("wgpu buffer mapping was dropped"))?
        .map_err(|e| Error::runtime(format!("mapping a wgpu buffer for reading failed: {e}")))?;
    let out = {
        let view = staging.get_mapped_range(..).map_err(|e| Error::runtime(format!("reading a mapped wgpu buffer failed: {e}")))?;
        view[skip..skip + nbytes].to_vec()
    };
    staging.unmap();
    Ok(out)
}

/// Releases the pool's cached buffers to the driver (torch.cuda.empty_cache's analogue).
pub fn empty_cache() -> Result<()> {
    let ctx = context()?;
    ctx.clear_bind_groups();
    ctx.pool.clear();
    Ok(())
}

/// Bytes currently cached in the pool.
pub fn pooled_bytes() -> Result<u64> {
    Ok(context()?.pool.pooled_bytes())
}
