//! The one wgpu device of the process, its pending command batch and its pipeline cache.
//!
//! Dispatches are recorded into one pending `CommandEncoder` and submitted in batches
//! (every `BATCH` dispatches, when the info arena is full, or at a read-back). Each dispatch
//! gets one 256-byte slot of a per-process "info arena" (rank, shape, strides, offsets,
//! params). The arena's bytes are written with `queue.write_buffer` right before the batch's
//! command buffer is submitted: wgpu runs that write after every earlier submission and
//! before this one, so reusing one arena buffer for every batch is race-free.
use crate::buffer::Pool;
use crate::trace;
use ember_core::{Error, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Dispatches recorded before a submit: large enough to amortise the submit, small enough
/// that the device starts work while the host still records.
const BATCH: usize = 256;
/// u32 words in one dispatch's info record.
pub(crate) const INFO_WORDS: usize = 64;

/// A compiled compute pipeline and the name it reports to the trace.
pub(crate) struct Kernel {
    pub name: &'static str,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// One storage binding of a dispatch: a byte range of a buffer.
#[derive(Clone, Copy)]
pub(crate) struct Bind<'a> {
    pub buf: &'a wgpu::Buffer,
    pub offset: u64,
    pub size: u64,
}

/// Cached bind groups keep their buffers alive: bounded, and cleared by `empty_cache`.
const BIND_GROUP_CACHE: usize = 4096;

#[derive(PartialEq, Eq, Hash)]
struct BindKey {
    kernel: usize,
    binds: Vec<(wgpu::Buffer, u64, u64)>,
}

struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    info: Vec<u32>,
    dispatches: usize,
}

/// Bytes of the index-bounds flag the kernels write: an `OnBadIndex` code, the first bad
/// index (two words), its dim's size and the dim (`index::flag_error` reads them).
pub const FLAG_BYTES: u64 = 20;

pub struct Context {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    name: String,
    pub(crate) limits: wgpu::Limits,
    pub(crate) features: wgpu::Features,
    /// Bytes between two info slots (256, or the adapter's storage offset alignment if larger).
    slot: u64,
    slots: usize,
    arena: wgpu::Buffer,
    pending: Mutex<Pending>,
    kernels: Mutex<HashMap<String, Arc<Kernel>>>,
    /// Bind groups by (kernel, bound ranges): steady-state loops (training steps) reuse
    /// pooled buffers, so most dispatches find theirs here instead of creating one.
    bind_groups: Mutex<HashMap<BindKey, wgpu::BindGroup>>,
    pub(crate) pool: Pool,
    /// Index kernels set word 0 when an index is out of range (they can't raise); the next
    /// read from the device copies it back with the data and raises, as CUDA's device-side
    /// asserts do. `flag_armed` says an index kernel ran since that last read.
    pub(crate) index_flag: wgpu::Buffer,
    pub(crate) flag_armed: std::sync::atomic::AtomicBool,
}

static CONTEXT: OnceLock<std::result::Result<Context, String>> = OnceLock::new();
/// Test/debug override of the largest storage binding (0 = the adapter's limit).
static BINDING_LIMIT: AtomicU64 = AtomicU64::new(0);

const NO_ADAPTER: &str = "no wgpu adapter found: install a Vulkan driver such as Mesa's lavapipe (Debian: mesa-vulkan-drivers libvulkan1)";

fn create() -> std::result::Result<Context, String> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12;
    let instance = wgpu::Instance::new(desc);
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface: None,
        apply_limit_buckets: false,
    }))
    .map_err(|e| format!("{NO_ADAPTER} ({e})"))?;
    let limits = adapter.limits();
    let wanted = wgpu::Features::SHADER_F16 | wgpu::Features::SUBGROUP;
    let features = adapter.features() & wanted;
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("ember"),
        required_features: features,
        required_limits: limits.clone(),
        ..Default::default()
    }))
    .map_err(|e| format!("the wgpu adapter refused to open a device: {e}"))?;
    device.on_uncaptured_error(Arc::new(|e: wgpu::Error| {
        let mut slot = DEVICE_ERROR.lock().unwrap();
        if slot.is_none() {
            *slot = Some(e.to_string());
        }
    }));
    let slot = (limits.min_storage_buffer_offset_alignment as u64).max((INFO_WORDS * 4) as u64);
    let slots = BATCH;
    let arena = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("ember info arena"),
        size: slot * slots as u64,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let index_flag = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("ember index-bounds flag"),
        size: FLAG_BYTES,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let info = adapter.get_info();
    Ok(Context {
        device,
        queue,
        name: format!("{} ({:?})", info.name, info.backend),
        limits,
        features,
        slot,
        slots,
        arena,
        pending: Mutex::new(Pending { encoder: None, info: Vec::new(), dispatches: 0 }),
        kernels: Mutex::new(HashMap::new()),
        bind_groups: Mutex::new(HashMap::new()),
        pool: Pool::default(),
        index_flag,
        flag_armed: std::sync::atomic::AtomicBool::new(false),
    })
}

/// The process's context, created on first use.
pub fn context() -> Result<&'static Context> {
    CONTEXT.get_or_init(create).as_ref().map_err(|e| Error::runtime(e.clone()))
}

/// True when a wgpu adapter exists (creating the context on first call). Never panics.
pub fn is_available() -> bool {
    std::panic::catch_unwind(|| context().is_ok()).unwrap_or(false)
}

/// 1 when an adapter exists, else 0 (ember uses one device per process).
pub fn device_count() -> usize {
    usize::from(is_available())
}

/// The adapter's name and backend, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)".
pub fn device_name() -> Result<String> {
    Ok(context()?.name.clone())
}

/// Submits pending work and waits until the device is idle.
pub fn synchronize() -> Result<()> {
    let ctx = context()?;
    ctx.flush();
    ctx.wait()
}

/// Lowers the largest storage binding the kernels use (`None` restores the adapter's limit;
/// values below 4 KiB count as 4 KiB). For tests of the split paths: results are the same,
/// only the dispatch count grows (operands that cannot be split become errors sooner).
pub fn set_max_binding_bytes(limit: Option<u64>) {
    BINDING_LIMIT.store(limit.map_or(0, |l| l.max(4096) & !255), Ordering::Relaxed);
}

impl Context {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn has_f16(&self) -> bool {
        self.features.contains(wgpu::Features::SHADER_F16)
    }

    /// Largest byte range one storage binding may cover.
    pub(crate) fn max_binding(&self) -> u64 {
        let adapter = self.limits.max_storage_buffer_binding_size & !255;
        match BINDING_LIMIT.load(Ordering::Relaxed) {
            0 => adapter,
            n => n.min(adapter),
        }
    }

    /// Drops cached bind groups (they hold their buffers).
    pub(crate) fn clear_bind_groups(&self) {
        self.bind_groups.lock().unwrap().clear();
    }

    pub(crate) fn align(&self) -> u64 {
        self.limits.min_storage_buffer_offset_alignment as u64
    }

    /// The pipeline cached under `key` (every variant its source depends on), compiling
    /// `source()` on first use; `name` is what the trace reports ("binary_add_f32").
    /// `rw[k]` says whether binding k+1 is declared `read_write` (else `read`); binding 0,
    /// the info record, takes a dynamic offset so bind groups don't depend on the slot.
    pub(crate) fn kernel(&self, key: &str, name: &str, rw: &[bool], source: impl FnOnce() -> String) -> Result<Arc<Kernel>> {
        if let Some(k) = self.kernels.lock().unwrap().get(key) {
            return Ok(k.clone());
        }
        let src = source();
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let storage = |binding: u32, read_only: bool, dynamic: bool| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: dynamic,
                min_binding_size: None,
            },
            count: None,
        };
        let mut entries = vec![storage(0, true, true)];
        entries.extend(rw.iter().enumerate().map(|(i, &w)| storage(i as u32 + 1, !w, false)));
        let layout = self.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(name), entries: &entries });
        let pl = self.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(name),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(name), source: wgpu::ShaderSource::Wgsl(src.into()) });
        let pipeline = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(name),
            layout: Some(&pl),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::runtime(format!("wgpu kernel {key} failed to compile: {e}")));
        }
        let name: &'static str = Box::leak(format!("wgpu/{name}").into_boxed_str());
        let k = Arc::new(Kernel { name, pipeline, layout });
        self.kernels.lock().unwrap().insert(key.to_string(), k.clone());
        Ok(k)
    }

    /// Records one dispatch: binding 0 is the info record, bindings 1.. are `binds`.
    pub(crate) fn dispatch(&self, k: &Kernel, binds: &[Bind], info: &[u32], groups: [u32; 3]) -> Result<()> {
        debug_assert!(info.len() <= INFO_WORDS);
        if groups.contains(&0) {
            return Ok(());
        }
        let max = self.limits.max_compute_workgroups_per_dimension;
        if groups.iter().any(|&g| g > max) {
            return Err(Error::runtime(format!(
                "wgpu dispatch of {groups:?} workgroups exceeds the adapter's {max} per dimension; the tensor is too large for this kernel"
            )));
        }
        let mut p = self.pending.lock().unwrap();
        if p.dispatches >= self.slots {
            self.submit(&mut p);
        }
        let slot = p.dispatches;
        let words = (self.slot / 4) as usize;
        p.info.resize(slot * words, 0);
        p.info.extend_from_slice(info);
        p.info.resize((slot + 1) * words, 0);
        let key = BindKey {
            kernel: k as *const Kernel as usize,
            binds: binds.iter().map(|b| (b.buf.clone(), b.offset, b.size.max(4))).collect(),
        };
        let bg = {
            let mut cache = self.bind_groups.lock().unwrap();
            if let Some(bg) = cache.get(&key) {
                bg.clone()
            } else {
                let mut entries = vec![wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &self.arena,
                        offset: 0,
                        size: std::num::NonZeroU64::new((INFO_WORDS * 4) as u64),
                    }),
                }];
                for (i, (buf, offset, size)) in key.binds.iter().enumerate() {
                    entries.push(wgpu::BindGroupEntry {
                        binding: i as u32 + 1,
                        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer: buf,
                            offset: *offset,
                            size: std::num::NonZeroU64::new(*size),
                        }),
                    });
                }
                let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &k.layout, entries: &entries });
                if cache.len() >= BIND_GROUP_CACHE {
                    cache.clear();
                }
                cache.insert(key, bg.clone());
                bg
            }
        };
        let enc = p.encoder.get_or_insert_with(|| self.device.create_command_encoder(&Default::default()));
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
            pass.set_pipeline(&k.pipeline);
            pass.set_bind_group(0, &bg, &[(slot as u64 * self.slot) as u32]);
            pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        }
        p.dispatches += 1;
        trace::note(k.name, groups);
        if p.dispatches >= BATCH {
            self.submit(&mut p);
        }
        Ok(())
    }

    /// Runs `f` on the pending encoder (copies, clears), in queue order with dispatches.
    pub(crate) fn encode(&self, f: impl FnOnce(&mut wgpu::CommandEncoder)) {
        let mut p = self.pending.lock().unwrap();
        let enc = p.encoder.get_or_insert_with(|| self.device.create_command_encoder(&Default::default()));
        f(enc);
    }

    fn submit(&self, p: &mut Pending) {
        if let Some(enc) = p.encoder.take() {
            if !p.info.is_empty() {
                self.queue.write_buffer(&self.arena, 0, bytemuck::cast_slice(&p.info));
            }
            self.queue.submit([enc.finish()]);
        }
        p.info.clear();
        p.dispatches = 0;
    }

    /// Submits the pending batch without waiting.
    pub(crate) fn flush(&self) {
        let mut p = self.pending.lock().unwrap();
        self.submit(&mut p);
    }

    pub(crate) fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::runtime(format!("waiting for the wgpu device failed: {e}")))?;
        take_device_error()
    }
}

/// The first uncaptured device error since the last check (wgpu's default handler panics;
/// ember reports it as an `Error` at the next read-back or synchronize instead).
static DEVICE_ERROR: Mutex<Option<String>> = Mutex::new(None);

pub(crate) fn take_device_error() -> Result<()> {
    match DEVICE_ERROR.lock().unwrap().take() {
        Some(e) => Err(Error::runtime(format!("wgpu device error: {e}"))),
        None => Ok(()),
    }
}
