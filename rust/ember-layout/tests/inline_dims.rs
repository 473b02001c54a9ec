//! Layouts keep up to `INLINE_DIMS` sizes and strides inline and spill to the heap beyond:
//! every view must give the same geometry on both sides of that boundary.
use ember_layout::*;

/// Row-major strides computed the plain way, as the reference.
fn reference_strides(sizes: &[usize]) -> Vec<isize> {
    let mut out = vec![0isize; sizes.len()];
    let mut acc = 1isize;
    for i in (0..sizes.len()).rev() {
        out[i] = acc;
        acc *= sizes[i].max(1) as isize;
    }
    out
}

#[test]
fn contiguous_across_the_inline_boundary() {
    for nd in 0..=12 {
        let sizes: Vec<usize> = (0..nd).map(|i| 1 + i % 3).collect();
        let l = Layout::contiguous(&sizes);
        assert_eq!(l.sizes, sizes, "{nd} dims");
        assert_eq!(l.strides, reference_strides(&sizes), "{nd} dims");
        assert_eq!(l.sizes.spilled(), nd > INLINE_DIMS, "{nd} dims");
        assert!(l.is_contiguous());
    }
}

#[test]
fn views_across_the_inline_boundary() {
    for nd in 1..=10 {
        let sizes: Vec<usize> = (0..nd).map(|i| 2 + i % 2).collect();
        let l = Layout::contiguous(&sizes);
        // permute reversed: sizes and strides reversed
        let rev: Vec<i64> = (0..nd as i64).rev().collect();
        let p = l.permute(&rev).unwrap();
        let want: Vec<usize> = sizes.iter().rev().copied().collect();
        assert_eq!(p.sizes, want);
        assert_eq!(p.strides, reference_strides(&sizes).into_iter().rev().collect::<Vec<_>>());
        // unsqueeze at the front then expand it: a new dim with stride 0
        let mut target: Vec<i64> = vec![4];
        target.extend(sizes.iter().map(|&s| s as i64));
        let e = l.expand(&target).unwrap();
        assert_eq!(e.ndim(), nd + 1);
        assert_eq!(e.strides[0], 0);
        assert_eq!(&e.strides[1..], &reference_strides(&sizes)[..]);
        // flatten through view
        let total: usize = sizes.iter().product();
        let v = l.view(&[total as i64]).unwrap();
        assert_eq!(v.sizes, [total]);
        assert_eq!(v.strides, [1]);
        // and back to the full shape
        let back = v.view(&sizes.iter().map(|&s| s as i64).collect::<Vec<_>>()).unwrap();
        assert_eq!(back, l);
    }
}

#[test]
fn broadcast_across_the_inline_boundary() {
    let a: Vec<usize> = vec![3, 1, 2, 1, 2, 1, 2, 1];
    let b: Vec<usize> = vec![4, 1, 2, 1, 2, 1, 5];
    let s = broadcast_shapes(&a, &b).unwrap();
    assert_eq!(s, vec![3, 4, 2, 2, 2, 2, 2, 5]);
    assert!(broadcast_shapes(&[3, 2], &[4, 2]).is_err());
}

#[test]
fn inline_vec_compares_and_converts() {
    let d = Dims::from_slice(&[2, 3]);
    assert_eq!(d, [2, 3]);
    assert_eq!(d, vec![2, 3]);
    assert_eq!(d, &[2usize, 3][..]);
    assert_eq!(vec![2usize, 3], d);
    assert_eq!(format!("{d:?}"), "[2, 3]");
    let v: Vec<usize> = d.clone().into();
    assert_eq!(v, vec![2, 3]);
    let big: Dims = (0..9).collect();
    assert_eq!(big.len(), 9);
    assert_eq!(big.iter().sum::<usize>(), 36);
    assert_ne!(big, d);
}
