//! Device, pool and queue-order behaviour, and the lavapipe figures (printed, not targets).
mod common;
use common::*;
use ember_core::DType;
use ember_layout::Layout;
use ember_wgpu::*;

/// These tests measure pool contents and timings: run them one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn shareable<T: Send + Sync>() {}

#[test]
fn device_queries() {
    // buffers and views cross threads (the binding releases the GIL around GPU work)
    shareable::<GpuBuffer>();
    shareable::<GView<'static>>();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !gpu() {
        return;
    }
    assert!(is_available());
    assert_eq!(device_count(), 1);
    assert!(!device_name().unwrap().is_empty());
    synchronize().unwrap();
}

#[test]
fn freed_buffer_reuse_keeps_queue_order() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !gpu() {
        return;
    }
    // a copy reads `a`; `a` is freed before the copy ran; an upload then reuses its memory.
    let n = 4096;
    let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let l = Layout::contiguous(&[n]);
    let a = up_f32(&x);
    let b = GpuBuffer::new(n * 4).unwrap();
    copy(&GView::new(&a, &l, DType::F32), &GView::new(&b, &l, DType::F32)).unwrap();
    drop(a);
    let c = up_f32(&vec![-1.0; n]);
    assert_eq!(down_f32(&b, n), x);
    assert_eq!(down_f32(&c, n), vec![-1.0; n]);
    // many dispatches in one batch chain correctly (a running sum)
    let acc = GpuBuffer::zeros(n * 4).unwrap();
    let v = GView::new(&acc, &l, DType::F32);
    for _ in 0..200 {
        binary(BinaryOp::Add, Operand::View(v), Operand::Scalar(1.0), 1.0, &v).unwrap();
    }
    assert_eq!(down_f32(&acc, 3), vec![200.0; 3]);
}

#[test]
fn pool_reuses_allocations() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !gpu() {
        return;
    }
    let a = GpuBuffer::new(3_000_000).unwrap();
    drop(a);
    let before = pooled_bytes().unwrap();
    assert!(before >= 3_000_000);
    let b = GpuBuffer::new(2_900_000).unwrap(); // same size class
    assert!(pooled_bytes().unwrap() < before);
    drop(b);
    empty_cache().unwrap();
    assert_eq!(pooled_bytes().unwrap(), 0);
    // a host write lands after the work recorded before it and before the work after it
    let w = up_f32(&[1.0, 2.0, 3.0, 4.0]);
    let l = Layout::contiguous(&[4]);
    let v = GView::new(&w, &l, DType::F32);
    binary(BinaryOp::Mul, Operand::View(v), Operand::Scalar(10.0), 1.0, &v).unwrap();
    w.write(4, bytemuck::cast_slice(&[-1.0f32, -2.0])).unwrap();
    binary(BinaryOp::Add, Operand::View(v), Operand::Scalar(0.5), 1.0, &v).unwrap();
    assert_eq!(down_f32(&w, 4), vec![10.5, -0.5, -1.5, 40.5]);
    assert!(w.write(2, &[0; 4]).is_err() && w.write(12, &[0; 8]).is_err());
    // partial download of an odd byte range
    let d = GpuBuffer::upload(&[1, 2, 3, 4, 5, 6, 7]).unwrap();
    assert_eq!(d.download(1, 5).unwrap(), vec![2, 3, 4, 5, 6]);
    assert!(d.download(5, 10).is_err());
}

#[test]
fn add_figure_16m_and_large_reduce() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !gpu() {
        return;
    }
    let n = 16 << 20;
    let l = Layout::contiguous(&[n]);
    let a = GpuBuffer::new(n * 4).unwrap();
    let b = GpuBuffer::new(n * 4).unwrap();
    let o = GpuBuffer::new(n * 4).unwrap();
    let (va, vb, vo) = (GView::new(&a, &l, DType::F32), GView::new(&b, &l, DType::F32), GView::new(&o, &l, DType::F32));
    fill(&va, 1.5).unwrap();
    fill(&vb, 2.0).unwrap();
    binary(BinaryOp::Add, Operand::View(va), Operand::View(vb), 1.0, &vo).unwrap();
    synchronize().unwrap();
    let t = std::time::Instant::now();
    let reps = 3;
    for _ in 0..reps {
        binary(BinaryOp::Add, Operand::View(va), Operand::View(vb), 1.0, &vo).unwrap();
    }
    synchronize().unwrap();
    let s = t.elapsed().as_secs_f64() / reps as f64;
    eprintln!("FIGURE add 16M f32 on {}: {:.2} GB/s", device_name().unwrap(), 12.0 * n as f64 / s / 1e9);
    let sum = GpuBuffer::new(4).unwrap();
    reduce(ReduceOp::Sum, &vo, &[0], &GView::new(&sum, &Layout::contiguous(&[]), DType::F32)).unwrap();
    assert_eq!(down_f32(&sum, 1)[0], 3.5 * n as f32);
    assert_eq!(o.download((n - 1) * 4, 4).unwrap(), 3.5f32.to_le_bytes());
}

#[test]
fn elementwise_and_reduce_beyond_one_binding() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !gpu() {
        return;
    }
    // 136 MiB: more than lavapipe's 128 MiB storage-binding limit
    let ctx = context().unwrap();
    let n = 34usize << 20;
    let Ok(a) = GpuBuffer::new(n * 4) else {
        eprintln!("adapter {} cannot allocate {} bytes; the split path is covered by tests/split.rs", ctx.name(), n * 4);
        return;
    };
    let l = Layout::contiguous(&[n]);
    let v = GView::new(&a, &l, DType::F32);
    fill(&v, 0.25).unwrap();
    binary(BinaryOp::Add, Operand::View(v), Operand::Scalar(0.5), 2.0, &v).unwrap();
    let sum = GpuBuffer::new(4).unwrap();
    reduce(ReduceOp::Max, &v, &[0], &GView::new(&sum, &Layout::contiguous(&[]), DType::F32)).unwrap();
    assert_eq!(down_f32(&sum, 1)[0], 1.25);
    reduce(ReduceOp::Mean, &v, &[0], &GView::new(&sum, &Layout::contiguous(&[]), DType::F32)).unwrap();
    assert_eq!(down_f32(&sum, 1)[0], 1.25);
    assert_eq!(a.download((n - 1) * 4, 4).unwrap(), 1.25f32.to_le_bytes());
}

/// Prints what this process sees; `missing_driver_is_reported` runs it without a driver.
#[test]
fn probe_adapter() {
    let err = context().err().map(|e| format!("{e:?}")).unwrap_or_default();
    assert_eq!(is_available(), err.is_empty());
    assert_eq!(device_count(), usize::from(err.is_empty()));
    println!("PROBE available={} error={err}", is_available());
}

#[test]
fn missing_driver_is_reported() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", "probe_adapter", "--nocapture", "--test-threads=1"])
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "probe failed: {text}");
    assert!(text.contains("PROBE available=false"), "{text}");
    assert!(text.contains("install a Vulkan driver such as Mesa's lavapipe (Debian: mesa-vulkan-drivers libvulkan1)"), "{text}");
}
