//! Reductions, argmax/argmin and softmax against CPU references on strided inputs.
mod common;
use common::*;
use ember_core::DType;
use ember_layout::Layout;
use ember_wgpu::*;

/// CPU reduction of a logical (row-major) f32 array of `sizes` over `dims`.
fn reduce_ref(op: ReduceOp, x: &[f32], sizes: &[usize], dims: &[usize]) -> Vec<f64> {
    let kept: Vec<usize> = (0..sizes.len()).filter(|d| !dims.contains(d)).collect();
    let osz: Vec<usize> = kept.iter().map(|&d| sizes[d]).collect();
    let o: usize = osz.iter().product();
    let init = match op {
        ReduceOp::Sum | ReduceOp::Mean => 0.0,
        ReduceOp::Prod => 1.0,
        ReduceOp::Max => f64::NEG_INFINITY,
        ReduceOp::Min => f64::INFINITY,
    };
    let mut acc = vec![init; o.max(1)];
    let cl = Layout::contiguous(sizes);
    let ol = Layout::contiguous(&osz);
    let mut idx = vec![0usize; sizes.len()];
    for _ in 0..x.len() {
        let v = x[cl.offset_of(&idx)] as f64;
        let oi: Vec<usize> = kept.iter().map(|&d| idx[d]).collect();
        let a = &mut acc[ol.offset_of(&oi)];
        *a = match op {
            ReduceOp::Sum | ReduceOp::Mean => *a + v,
            ReduceOp::Prod => *a * v,
            ReduceOp::Max => a.max(v),
            ReduceOp::Min => a.min(v),
        };
        for d in (0..sizes.len()).rev() {
            idx[d] += 1;
            if idx[d] < sizes[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    let r: usize = dims.iter().map(|&d| sizes[d]).product();
    if op == ReduceOp::Mean {
        acc.iter_mut().for_each(|a| *a /= r as f64);
    }
    acc
}

#[test]
fn reduce_float_all_ops_dims_and_layouts() {
    if !gpu() {
        return;
    }
    let mut r = Rng::new(10);
    let cases: &[(&[usize], &[&[usize]])] = &[
        (&[257], &[&[0]]),
        (&[7, 65], &[&[0], &[1], &[0, 1]]),
        (&[3, 300, 5], &[&[1], &[0, 2], &[2], &[0, 1, 2]]),
        (&[2, 1, 9, 70], &[&[3], &[0, 2], &[1]]),
        (&[4, 20000], &[&[1], &[0]]),
        (&[70000], &[&[0]]),
        // long columns: more than llvmpipe's 32,767 loop iterations per thread unless segmented
        (&[40000, 2], &[&[0]]),
    ];
    for (sizes, dimsets) in cases {
        for (what, l) in variants(sizes) {
            let (host, src) = rand_f32(&mut r, &l, 0.5, 1.5);
            let logical = logical(&host, &l);
            for dims in *dimsets {
                for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod] {
                    if op == ReduceOp::Prod && logical.len() > 400 {
                        continue; // products of many values leave f32's range
                    }
                    let want = reduce_ref(op, &logical, sizes, dims);
                    // keepdim output layout
                    let osz: Vec<usize> = (0..sizes.len()).map(|d| if dims.contains(&d) { 1 } else { sizes[d] }).collect();
                    let ol = Layout::contiguous(&osz);
                    let out = GpuBuffer::new(ol.numel() * 4).unwrap();
                    reduce(op, &GView::new(&src, &l, DType::F32), dims, &GView::new(&out, &ol, DType::F32)).unwrap();
                    let got = down_f32(&out, ol.numel());
                    let want: Vec<f32> = want.iter().map(|&x| x as f32).collect();
                    let n: usize = dims.iter().map(|&d| sizes[d]).product();
                    let rtol = if matches!(op, ReduceOp::Sum | ReduceOp::Mean) { 1e-6 * (n as f32).sqrt().max(4.0) } else { 1e-5 };
                    close(&got, &want, rtol, 0.0, &format!("{} {what} {sizes:?} dims {dims:?}", op.name()));
                }
            }
        }
    }
}

#[test]
fn reduce_int_nan_and_empty() {
    if !gpu() {
        return;
    }
    let v: Vec<i32> = (0..1000).map(|i| (i * 37 % 101) - 50).collect();
    let b = up_i32(&v);
    let l = Layout::new(vec![10, 100], vec![1, 10], 0); // transposed
    let ol = Layout::contiguous(&[10]);
    let out = GpuBuffer::new(40).unwrap();
    reduce(ReduceOp::Sum, &GView::new(&b, &l, DType::I32), &[1], &GView::new(&out, &ol, DType::I32)).unwrap();
    let want: Vec<i32> = (0..10).map(|i| (0..100).map(|j| v[i + 10 * j]).sum()).collect();
    assert_eq!(down_i32(&out, 10), want);
    reduce(ReduceOp::Max, &GView::new(&b, &l, DType::I32), &[1], &GView::new(&out, &ol, DType::I32)).unwrap();
    let want: Vec<i32> = (0..10).map(|i| (0..100).map(|j| v[i + 10 * j]).max().unwrap()).collect();
    assert_eq!(down_i32(&out, 10), want);
    // NaN propagates through max and sum
    let mut x = vec![1.0f32; 500];
    x[123] = f32::NAN;
    let bx = up_f32(&x);
    let l1 = Layout::contiguous(&[500]);
    let o1 = Layout::contiguous(&[]);
    for op in [ReduceOp::Max, ReduceOp::Min, ReduceOp::Sum] {
        reduce(op, &GView::new(&bx, &l1, DType::F32), &[0], &GView::new(&out, &o1, DType::F32)).unwrap();
        assert!(down_f32(&out, 1)[0].is_nan(), "{}", op.name());
    }
    // empty reductions: sum 0, mean NaN, max error
    let le = Layout::contiguous(&[3, 0]);
    let o3 = Layout::contiguous(&[3]);
    reduce(ReduceOp::Sum, &GView::new(&bx, &le, DType::F32), &[1], &GView::new(&out, &o3, DType::F32)).unwrap();
    assert_eq!(down_f32(&out, 3), vec![0.0; 3]);
    reduce(ReduceOp::Mean, &GView::new(&bx, &le, DType::F32), &[1], &GView::new(&out, &o3, DType::F32)).unwrap();
    assert!(down_f32(&out, 3).iter().all(|x| x.is_nan()));
    assert!(reduce(ReduceOp::Max, &GView::new(&bx, &le, DType::F32), &[1], &GView::new(&out, &o3, DType::F32)).is_err());
}

#[test]
fn argmax_argmin_first_index_and_values() {
    if !gpu() {
        return;
    }
    let mut r = Rng::new(11);
    for sizes in [&[7usize, 9][..], &[3, 300], &[65, 4, 3], &[1000]] {
        for (what, l) in variants(sizes) {
            // few distinct values: ties everywhere, so the first index must win
            let n = l.storage_span().unwrap().1;
            let host: Vec<f32> = (0..n).map(|_| r.i(0, 5) as f32).collect();
            let src = up_f32(&host);
            let logical = logical(&host, &l);
            let nd = sizes.len();
            for dim in (0..nd).map(Some).chain([None]) {
                for is_max in [true, false] {
                    let osz: Vec<usize> = match dim {
                        Some(d) => (0..nd).filter(|&k| k != d).map(|k| sizes[k]).collect(),
                        None => vec![],
                    };
                    let ol = Layout::contiguous(&osz);
                    let on = ol.numel();
                    let idx = GpuBuffer::new(on * 8).unwrap();
                    let val = GpuBuffer::new(on * 4).unwrap();
                    argreduce(
                        &GView::new(&src, &l, DType::F32),
                        dim,
                        is_max,
                        &GView::new(&idx, &ol, DType::I64),
                        Some(&GView::new(&val, &ol, DType::F32)),
                    )
                    .unwrap();
                    let gi = down_i64(&idx, on);
                    let gv = down_f32(&val, on);
                    // reference
                    let cl = Layout::contiguous(sizes);
                    for o in 0..on {
                        let (cands, base): (Vec<usize>, Vec<usize>) = match dim {
                            None => ((0..logical.len()).collect(), vec![]),
                            Some(d) => {
                                let mut oi = vec![0; nd];
                                let mut rem = o;
                                for k in (0..nd).rev() {
                                    if k == d {
                                        continue;
                                    }
                                    oi[k] = rem % sizes[k];
                                    rem /= sizes[k];
                                }
                                (
                                    (0..sizes[d])
                                        .map(|j| {
                                            let mut t = oi.clone();
                                            t[d] = j;
                                            cl.offset_of(&t)
                                        })
                                        .collect(),
                                    oi,
                                )
                            }
                        };
                        let _ = base;
                        let mut best = 0;
                        for (j, &c) in cands.iter().enumerate() {
                            let (v, b) = (logical[c], logical[cands[best]]);
                            if (is_max && v > b) || (!is_max && v < b) {
                                best = j;
                            }
                        }
                        assert_eq!(gi[o], best as i64, "{what} {sizes:?} dim {dim:?} max={is_max} out {o}");
                        assert_eq!(gv[o], logical[cands[best]]);
                    }
                }
            }
        }
    }
    // NaN is the extreme for both; int32 input; no values output
    let x = up_f32(&[1.0, f32::NAN, 5.0, f32::NAN]);
    let l = Layout::contiguous(&[4]);
    let o = Layout::contiguous(&[]);
    let idx = GpuBuffer::new(8).unwrap();
    for is_max in [true, false] {
        argreduce(&GView::new(&x, &l, DType::F32), Some(0), is_max, &GView::new(&idx, &o, DType::I64), None).unwrap();
        assert_eq!(down_i64(&idx, 1), vec![1]);
    }
    let xi = up_i32(&[3, -9, 7, 7, -9]);
    let l5 = Layout::contiguous(&[5]);
    argreduce(&GView::new(&xi, &l5, DType::I32), None, false, &GView::new(&idx, &o, DType::I64), None).unwrap();
    assert_eq!(down_i64(&idx, 1), vec![1]);
    argreduce(&GView::new(&xi, &l5, DType::I32), None, true, &GView::new(&idx, &o, DType::I64), None).unwrap();
    assert_eq!(down_i64(&idx, 1), vec![2]);
}

fn softmax_ref(x: &[f32], sizes: &[usize], dim: usize, log: bool) -> Vec<f32> {
    let cl = Layout::contiguous(sizes);
    let mut out = vec![0f32; x.len()];
    let rows: Vec<Vec<usize>> = {
        let mut v = vec![];
        let other: Vec<usize> = (0..sizes.len()).filter(|&d| d != dim).collect();
        let n: usize = other.iter().map(|&d| sizes[d]).product();
        for o in 0..n {
            let mut idx = vec![0; sizes.len()];
            let mut rem = o;
            for &d in other.iter().rev() {
                idx[d] = rem % sizes[d];
                rem /= sizes[d];
            }
            v.push(
                (0..sizes[dim])
                    .map(|j| {
                        let mut t = idx.clone();
                        t[dim] = j;
                        cl.offset_of(&t)
                    })
                    .collect(),
            );
        }
        v
    };
    for row in rows {
        let m = row.iter().map(|&i| x[i] as f64).fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = row.iter().map(|&i| (x[i] as f64 - m).exp()).sum();
        for &i in &row {
            out[i] = if log { (x[i] as f64 - m - s.ln()) as f32 } else { ((x[i] as f64 - m).exp() / s) as f32 };
        }
    }
    out
}

#[test]
fn softmax_forward_backward() {
    if !gpu() {
        return;
    }
    let mut r = Rng::new(12);
    for sizes in [&[5usize, 10][..], &[3, 700], &[4, 6, 3], &[1000]] {
        for (what, l) in variants(sizes) {
            let (host, src) = rand_f32(&mut r, &l, -6.0, 6.0);
            let logical = logical(&host, &l);
            let cl = Layout::contiguous(sizes);
            let n = cl.numel();
            for dim in 0..sizes.len() {
                for log in [false, true] {
                    let out = GpuBuffer::new(n * 4).unwrap();
                    softmax(&GView::new(&src, &l, DType::F32), dim, &GView::new(&out, &cl, DType::F32), log).unwrap();
                    let y = down_f32(&out, n);
                    let want = softmax_ref(&logical, sizes, dim, log);
                    close(&y, &want, 1e-5, 1e-6, &format!("softmax log={log} {what} {sizes:?} dim {dim}"));
                    // backward with a random upstream gradient on a permuted layout
                    let g = r.vf(n, -1.0, 1.0);
                    let gb = up_f32(&g);
                    let gin = GpuBuffer::new(n * 4).unwrap();
                    softmax_backward(
                        &GView::new(&gb, &cl, DType::F32),
                        &GView::new(&out, &cl, DType::F32),
                        dim,
                        &GView::new(&gin, &cl, DType::F32),
                        log,
                    )
                    .unwrap();
                    let got = down_f32(&gin, n);
                    // reference: per row, using the forward output
                    let mut want = vec![0f32; n];
                    let other: Vec<usize> = (0..sizes.len()).filter(|&d| d != dim).collect();
                    let rows: usize = other.iter().map(|&d| sizes[d]).product();
                    for o in 0..rows {
                        let mut idx = vec![0; sizes.len()];
                        let mut rem = o;
                        for &d in other.iter().rev() {
                            idx[d] = rem % sizes[d];
                            rem /= sizes[d];
                        }
                        let row: Vec<usize> = (0..sizes[dim])
                            .map(|j| {
                                let mut t = idx.clone();
                                t[dim] = j;
                                cl.offset_of(&t)
                            })
                            .collect();
                        if log {
                            let s: f64 = row.iter().map(|&i| g[i] as f64).sum();
                            for &i in &row {
                                want[i] = (g[i] as f64 - (y[i] as f64).exp() * s) as f32;
                            }
                        } else {
                            let s: f64 = row.iter().map(|&i| g[i] as f64 * y[i] as f64).sum();
                            for &i in &row {
                                want[i] = (y[i] as f64 * (g[i] as f64 - s)) as f32;
                            }
                        }
                    }
                    close(&got, &want, 1e-4, 1e-6, &format!("softmax backward log={log} {what} {sizes:?} dim {dim}"));
                }
            }
        }
    }
}

#[test]
fn reduce_small_int_dtypes() {
    if !gpu() {
        return;
    }
    // bool any/all via max/min, uint8 max/min, int32 prod/min along a strided dim
    let l = Layout::contiguous(&[3, 4]);
    let ol = Layout::contiguous(&[3]);
    let out = GpuBuffer::new(12).unwrap();
    let b = up_u8(DType::Bool, &[0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
    reduce(ReduceOp::Max, &GView::new(&b, &l, DType::Bool), &[1], &GView::new(&out, &ol, DType::Bool)).unwrap();
    assert_eq!(down_u8(DType::Bool, &out, 3), vec![1, 1, 0]);
    reduce(ReduceOp::Min, &GView::new(&b, &l, DType::Bool), &[1], &GView::new(&out, &ol, DType::Bool)).unwrap();
    assert_eq!(down_u8(DType::Bool, &out, 3), vec![0, 1, 0]);
    let u = up_u8(DType::U8, &[9, 200, 3, 7, 255, 0, 1, 2, 5, 5, 5, 6]);
    reduce(ReduceOp::Max, &GView::new(&u, &l, DType::U8), &[1], &GView::new(&out, &ol, DType::U8)).unwrap();
    assert_eq!(down_u8(DType::U8, &out, 3), vec![200, 255, 6]);
    reduce(ReduceOp::Min, &GView::new(&u, &l, DType::U8), &[1], &GView::new(&out, &ol, DType::U8)).unwrap();
    assert_eq!(down_u8(DType::U8, &out, 3), vec![3, 0, 5]);
    let i = up_i32(&[1, -2, 3, 4, 5, 6, -7, 8, 2, 2, 2, 2]);
    let lt = Layout::new(vec![4, 3], vec![1, 4], 0); // transposed: reduce the stride-4 dim
    let o4 = GpuBuffer::new(16).unwrap();
    let ol4 = Layout::contiguous(&[4]);
    reduce(ReduceOp::Prod, &GView::new(&i, &lt, DType::I32), &[1], &GView::new(&o4, &ol4, DType::I32)).unwrap();
    assert_eq!(down_i32(&o4, 4), vec![10, -24, -42, 64]);
    reduce(ReduceOp::Min, &GView::new(&i, &lt, DType::I32), &[1], &GView::new(&o4, &ol4, DType::I32)).unwrap();
    assert_eq!(down_i32(&o4, 4), vec![1, -2, -7, 2]);
    // sum of bool and mean of int32 are the caller's conversions
    assert!(reduce(ReduceOp::Sum, &GView::new(&b, &l, DType::Bool), &[1], &GView::new(&out, &ol, DType::Bool)).is_err());
    assert!(reduce(ReduceOp::Mean, &GView::new(&i, &l, DType::I32), &[1], &GView::new(&out, &ol, DType::I32)).is_err());
}

#[test]
fn softmax_of_infinite_rows() {
    if !gpu() {
        return;
    }
    // masked attention rows: -inf entries get probability 0; a row of +inf-free values is finite
    let x = up_f32(&[0.0, f32::NEG_INFINITY, 1.0, f32::NEG_INFINITY, 5.0, f32::NEG_INFINITY]);
    let l = Layout::contiguous(&[2, 3]);
    let o = GpuBuffer::new(24).unwrap();
    softmax(&GView::new(&x, &l, DType::F32), 1, &GView::new(&o, &l, DType::F32), false).unwrap();
    let y = down_f32(&o, 6);
    let e = 1f32.exp();
    close(&y, &[1.0 / (1.0 + e), 0.0, e / (1.0 + e), 0.0, 1.0, 0.0], 1e-6, 1e-7, "softmax -inf");
    softmax(&GView::new(&x, &l, DType::F32), 1, &GView::new(&o, &l, DType::F32), true).unwrap();
    let y = down_f32(&o, 6);
    assert_eq!(y[1], f32::NEG_INFINITY);
    assert!((y[4] - 0.0).abs() < 1e-7);
}
