//! Small storages come from a per-thread free list: a freed block is handed out again, a
//! zeroed request still reads zeros, and sizes on either side of the cached range work.
use ember_core::Storage;

fn bytes(s: &Storage) -> &[u8] {
    // SAFETY: the storage is alive and holds `nbytes()` initialised bytes in these tests.
    unsafe { std::slice::from_raw_parts(s.ptr(), s.nbytes()) }
}

#[test]
fn freed_small_block_is_reused_and_zeroed_on_request() {
    let a = Storage::uninit(40).unwrap();
    // SAFETY: writing within the 40 bytes just allocated.
    unsafe { std::ptr::write_bytes(a.ptr(), 0xAB, 40) };
    let p = a.ptr();
    drop(a);
    let b = Storage::zeros(40).unwrap();
    assert_eq!(b.ptr(), p, "the freed block serves the next request of its class");
    assert_eq!(b.nbytes(), 40);
    assert!(bytes(&b).iter().all(|&x| x == 0));
    assert_eq!(b.ptr() as usize % 64, 0);
}

#[test]
fn sizes_around_the_cached_range() {
    for n in [1usize, 63, 64, 65, 1023, 1024, 1025, 4096] {
        let s = Storage::zeros(n).unwrap();
        assert_eq!(s.nbytes(), n);
        assert_eq!(s.ptr() as usize % 64, 0, "{n} bytes");
        assert!(bytes(&s).iter().all(|&x| x == 0));
    }
}

#[test]
fn blocks_freed_on_another_thread() {
    let held: Vec<Storage> = (0..64).map(|_| Storage::uninit(100).unwrap()).collect();
    std::thread::spawn(move || drop(held)).join().unwrap();
    let s = Storage::zeros(100).unwrap();
    assert!(bytes(&s).iter().all(|&x| x == 0));
}
