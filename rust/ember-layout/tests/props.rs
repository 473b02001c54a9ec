use ember_layout::*;

/// A seeded xorshift generator: the property tests below draw their random cases from it, so
/// they need no dev-dependency (one would change the feature set cargo resolves for the test
/// build, and `make test` would recompile every crate `make build` had just compiled).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
    /// An integer in lo..hi.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as usize) as i64
    }
    /// 0 to 4 dims of sizes 1 to 4.
    fn shape(&mut self) -> Vec<usize> {
        (0..self.below(5)).map(|_| 1 + self.below(4)).collect()
    }
}

/// Runs `case` on 256 seeded random cases.
fn cases(seed: u64, mut case: impl FnMut(&mut Rng)) {
    let mut rng = Rng(seed);
    for _ in 0..256 {
        case(&mut rng);
    }
}

/// All storage offsets of a layout in logical row-major order, the slow obvious way.
fn offsets(l: &Layout) -> Vec<usize> {
    let mut out = vec![];
    let n = l.numel();
    for lin in 0..n {
        let mut rem = lin;
        let mut idx = vec![0; l.ndim()];
        for d in (0..l.ndim()).rev() {
            idx[d] = rem % l.sizes[d];
            rem /= l.sizes[d];
        }
        out.push(l.offset_of(&idx));
    }
    out
}

#[test]
fn worked_example() {
    let l = Layout::contiguous(&[2, 3, 4]);
    assert_eq!(l.strides, vec![12, 4, 1]);
    assert_eq!(l.offset_of(&[1, 0, 1]), 13);
}

#[test]
fn view_rules() {
    let l = Layout::contiguous(&[2, 3, 4]);
    assert_eq!(l.view(&[6, -1]).unwrap().strides, vec![4, 1]);
    assert_eq!(l.view(&[2, 1, 12, 1]).unwrap().strides, vec![12, 12, 1, 1]);
    // A size-1 dim's stride outside the row-major rule takes PyTorch's general path
    // (`computeStride` carries it to the new size-1 dim), not the row-major shortcut.
    let odd = Layout { sizes: [10, 1].into(), strides: [1, 7].into(), offset: 0 };
    assert_eq!(odd.view(&[10, 1]).unwrap().strides, vec![1, 7]);
    assert_eq!(odd.view(&[2, 5]).unwrap().strides, vec![5, 1]);
    let t = l.transpose(0, 2).unwrap(); // sizes (4,3,2) strides (1,4,12)
    assert!(matches!(t.view(&[-1]), Err(LayoutError::ViewStrides { .. })));
    assert_eq!(t.view(&[4, 3, 1, 2]).unwrap().sizes, vec![4, 3, 1, 2]);
    assert!(matches!(l.view(&[5, -1]), Err(LayoutError::InvalidShape { .. })));
    assert!(matches!(l.view(&[-1, -1]), Err(LayoutError::MultipleInfer)));
    assert_eq!(wrap_dim(2, 2), Err(LayoutError::DimOutOfRange { dim: 2, ndim: 2 }));
    assert_eq!(wrap_dim(-1, 0), Ok(0));
}

#[test]
fn overlap() {
    let l = Layout::contiguous(&[3]);
    assert!(l.expand(&[2, 3]).unwrap().has_internal_overlap());
    assert!(!l.has_internal_overlap());
    let w = Layout::contiguous(&[10]).unfold(0, 3, 1).unwrap();
    assert!(w.has_internal_overlap());
}

#[test]
fn transpose_then_contiguous_view_matches_offsets() {
    cases(1, |r| {
        let s = r.shape();
        let (a, b) = (r.below(s.len().max(1)), r.below(s.len().max(1)));
        let l = Layout::contiguous(&s);
        let t = l.transpose(a as i64, b as i64).unwrap();
        let mut o = offsets(&t);
        o.sort();
        assert_eq!(o, (0..l.numel()).collect::<Vec<_>>(), "{s:?} {a} {b}");
    });
}

#[test]
fn view_preserves_element_order() {
    // Permute, then any view that succeeds must read the same offsets in the same order.
    cases(2, |r| {
        let s = r.shape();
        let l = Layout::contiguous(&s);
        let mut dims: Vec<i64> = (0..s.len() as i64).collect();
        for i in (1..dims.len()).rev() {
            let j = r.below(i + 1);
            dims.swap(i, j);
        }
        let p = l.permute(&dims).unwrap();
        let n = p.numel() as i64;
        let target: Vec<i64> = if r.below(4) == 0 || n == 0 { vec![n] } else { vec![-1, 1] };
        if let Ok(v) = p.view(&target) {
            assert_eq!(offsets(&v), offsets(&p), "{s:?} {dims:?}");
        } else {
            assert!(!p.is_contiguous(), "{s:?} {dims:?}");
        }
        let flat = p.view(&[-1]);
        assert_eq!(flat.is_ok() || p.numel() <= 1, p.is_contiguous() || flat.is_ok(), "{s:?} {dims:?}");
    });
}

#[test]
fn coalesce_and_iter_visit_same_offsets() {
    cases(3, |r| {
        let s = r.shape();
        let (a, b) = (r.below(s.len().max(1)), r.below(s.len().max(1)));
        let base = Layout::contiguous(&s).transpose(a as i64, b as i64).unwrap();
        let l = if base.ndim() == 0 { base } else { base.slice(0, 0, i64::MAX, 1) };
        let (cs, cst) = coalesce(&l.sizes, [&l.strides]);
        let inner = *cs.last().unwrap();
        let rows = cs.iter().product::<usize>() / inner.max(1);
        let start = r.below(3).min(rows);
        let mut got = vec![];
        for [o] in StridedIter::new(&cs, &cst, [l.offset as isize], start, rows - start) {
            for i in 0..inner {
                got.push((o + i as isize * cst.last().unwrap()[0]) as usize);
            }
        }
        let want = offsets(&l);
        assert_eq!(&got[..], &want[start * inner..], "{s:?} {a} {b} {start}");
    });
}

#[test]
fn broadcast_is_symmetric() {
    cases(4, |r| {
        let (a, b) = (r.shape(), r.shape());
        assert_eq!(broadcast_shapes(&a, &b).is_ok(), broadcast_shapes(&b, &a).is_ok(), "{a:?} {b:?}");
        if let Ok(s) = broadcast_shapes(&a, &b) {
            assert_eq!(s.clone(), broadcast_shapes(&b, &a).unwrap());
            assert_eq!(broadcast_strides(&a, &contiguous_strides(&a), &s).len(), s.len());
        }
    });
}

#[test]
fn slice_within_span() {
    cases(5, |r| {
        let s: Vec<usize> = (0..1 + r.below(3)).map(|_| 1 + r.below(5)).collect();
        let (st, en, step) = (r.range(-6, 6), r.range(-6, 8), 1 + r.below(3));
        let l = Layout::contiguous(&s).slice(0, st, en, step);
        if let Some((lo, hi)) = l.storage_span() {
            assert!(hi <= Layout::contiguous(&s).numel() && lo <= hi, "{s:?} {st} {en} {step}");
        }
    });
}

#[test]
fn hostile_sizes_are_errors_not_panics() {
    let l = Layout::contiguous(&[2, 3]);
    assert!(matches!(l.view(&[1 << 62, 1 << 62]), Err(LayoutError::InvalidShape { .. })));
    assert!(l.expand(&[1 << 40, 1 << 40, 2, 3]).is_err());
    assert!(l.narrow(0, 1, i64::MAX).is_err());
    assert!(matches!(Layout::as_strided(&[1 << 40, 1 << 40], &[1 << 40, 1], 0, 6), Err(LayoutError::Overflow { .. })));
    assert!(matches!(Layout::as_strided(&[1 << 20, 1 << 20], &[1 << 20, 1], 0, 6), Err(LayoutError::OutOfStorage { .. })));
    assert!(Layout::as_strided(&[2, 3], &[3, 1], 0, 6).is_ok());
    assert!(Layout::as_strided(&[2, 3], &[3, 1], 1, 6).is_err());
}

#[test]
fn movedim_order_examples() {
    assert_eq!(movedim_order(3, &[0], &[2]).unwrap(), vec![1, 2, 0]);
    assert_eq!(movedim_order(4, &[0, 1], &[-1, -2]).unwrap(), vec![2, 3, 1, 0]);
    assert_eq!(movedim_order(0, &[0], &[-1]).unwrap(), Vec::<i64>::new());
    assert!(movedim_order(3, &[0, 0], &[1, 2]).is_err());
    assert!(movedim_order(3, &[0], &[3]).is_err());
}

/// `fits_in` (one pass) agrees with its definition: sizes pass `checked_numel` and every
/// addressed element (`storage_span`) lies below `len`, on random strides (negative, zero,
/// huge), offsets, empty dims and mismatched ranks.
#[test]
fn fits_in_matches_its_definition() {
    cases(11, |r| {
        let nd = r.below(5);
        let sizes: Vec<usize> = (0..nd).map(|_| [0, 1, 2, 3, 7, 1 << 31, usize::MAX / 3][r.below(7)]).collect();
        let mut strides: Vec<isize> = (0..nd).map(|_| [0, 1, -1, 2, -5, 40, 1 << 40, isize::MIN / 2][r.below(8)]).collect();
        if r.below(16) == 0 {
            strides.push(1);
        }
        let l = Layout { sizes: sizes.as_slice().into(), strides: strides.as_slice().into(), offset: [0, 3, 100, 1 << 50][r.below(4)] };
        let len = [0, 1, 50, 200, 1 << 52][r.below(5)];
        let want = l.sizes.len() == l.strides.len() && checked_numel(&l.sizes).is_ok() && l.storage_span().is_none_or(|(_, hi)| hi <= len);
        assert_eq!(l.fits_in(len), want, "{l:?} in {len}");
    });
}

/// Row-major strides: each the saturating product of the later sizes (a size 0 counting as
/// 1), for ranks inside and beyond the inline capacity and sizes that overflow.
#[test]
fn contiguous_strides_are_suffix_products() {
    cases(13, |r| {
        let nd = r.below(10);
        let sizes: Vec<usize> = (0..nd).map(|_| [0, 1, 2, 3, 5, 1 << 40, usize::MAX][r.below(7)]).collect();
        let want: Vec<isize> = (0..nd)
            .map(|i| sizes[i + 1..].iter().fold(1isize, |acc, &n| acc.saturating_mul(n.max(1).min(isize::MAX as usize) as isize)))
            .collect();
        assert_eq!(contiguous_strides(&sizes), want, "{sizes:?}");
    });
}
