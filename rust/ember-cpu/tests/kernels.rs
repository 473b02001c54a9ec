//! Kernel checks against naive definitions (moved out of the library so that `cargo test`
//! links the library `make build` compiled instead of compiling it a second time).

mod softmax {
    #[test]
    fn exp_matches_std() {
        let mut worst = 0.0f32;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (a, b) = (ember_cpu::softmax::exp_f32(x), x.exp());
            worst = worst.max(((a - b) / b).abs());
            x += 0.001;
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        assert_eq!(ember_cpu::softmax::exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(ember_cpu::softmax::exp_f32(f32::INFINITY), f32::INFINITY);
        assert!(ember_cpu::softmax::exp_f32(f32::NAN).is_nan());
    }
}

mod conv {
    use ember_cpu::conv::*;
    #[allow(unused_imports)]
    use ember_cpu::{DType, Element, Layout, Scalar, Storage};

    /// Direct definition of the convolution (NCHW, OIHW), the oracle for the GEMM kernels.
    fn naive(x: &[f64], w: &[f64], b: Option<&[f64]>, g: &ConvGeom) -> Vec<f64> {
        let (cig, cog) = (g.c_in / g.groups, g.c_out / g.groups);
        let mut out = vec![0.0; g.n * g.c_out * g.l()];
        for n in 0..g.n {
            for co in 0..g.c_out {
                let gi = co / cog;
                for oy in 0..g.oh {
                    for ox in 0..g.ow {
                        let mut s = b.map_or(0.0, |b| b[co]);
                        for c in 0..cig {
                            for ki in 0..g.kh {
                                for kj in 0..g.kw {
                                    let iy = (oy * g.stride.0 + ki * g.dilation.0) as isize - g.pad.0 as isize;
                                    let ix = (ox * g.stride.1 + kj * g.dilation.1) as isize - g.pad.1 as isize;
                                    if iy < 0 || ix < 0 || iy as usize >= g.h || ix as usize >= g.w {
                                        continue;
                                    }
                                    let ci = gi * cig + c;
                                    s += x[((n * g.c_in + ci) * g.h + iy as usize) * g.w + ix as usize]
                                        * w[((co * cig + c) * g.kh + ki) * g.kw + kj];
                                }
                            }
                        }
                        out[((n * g.c_out + co) * g.oh + oy) * g.ow + ox] = s;
                    }
                }
            }
        }
        out
    }

    fn geom(
        n: usize,
        c_in: usize,
        hw: (usize, usize),
        c_out: usize,
        k: (usize, usize),
        s: (usize, usize),
        p: (usize, usize),
        d: (usize, usize),
        groups: usize,
    ) -> ConvGeom {
        let o = |size: usize, k: usize, s: usize, p: usize, d: usize| (size + 2 * p - d * (k - 1) - 1) / s + 1;
        ConvGeom {
            n,
            c_in,
            h: hw.0,
            w: hw.1,
            c_out,
            kh: k.0,
            kw: k.1,
            stride: s,
            pad: p,
            dilation: d,
            groups,
            oh: o(hw.0, k.0, s.0, p.0, d.0),
            ow: o(hw.1, k.1, s.1, p.1, d.1),
        }
    }

    fn data(len: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 33) % 1000) as f64 / 500.0 - 1.0
            })
            .collect()
    }

    fn cases() -> Vec<ConvGeom> {
        vec![
            geom(3, 1, (9, 8), 4, (3, 3), (1, 1), (0, 0), (1, 1), 1),
            geom(2, 4, (7, 9), 6, (3, 2), (2, 1), (1, 1), (1, 2), 2),
            geom(2, 3, (5, 5), 2, (1, 1), (1, 1), (0, 0), (1, 1), 1),
            geom(17, 2, (6, 5), 3, (2, 3), (3, 2), (1, 1), (2, 1), 1),
        ]
    }

    #[test]
    fn forward_matches_definition() {
        for g in cases() {
            let x = data(g.n * g.plane_in(), 1);
            let w = data(g.c_out * g.k(), 2);
            let b = data(g.c_out, 3);
            for bias in [None, Some(&b[..])] {
                let got = conv2d_forward(&x, &w, bias, &g);
                let want = naive(&x, &w, bias, &g);
                assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-9), "{g:?}");
            }
        }
    }

    /// Backward is the adjoint of forward: ⟨gout, conv(x, w)⟩ differentiated by finite
    /// differences is exact for a bilinear map, so compare against the definition directly.
    #[test]
    fn backward_is_adjoint_of_forward() {
        for g in cases() {
            let x = data(g.n * g.plane_in(), 4);
            let w = data(g.c_out * g.k(), 5);
            let go = data(g.n * g.c_out * g.l(), 6);
            let (gx, gw, gb) = conv2d_backward(&x, &w, &go, &g, (true, true, true));
            let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
            // f(x) = ⟨go, conv(x, w)⟩ is linear in x: ∂f/∂x_i = f(e_i).
            let gx = gx.unwrap();
            for i in (0..x.len()).step_by(7) {
                let mut e = vec![0.0; x.len()];
                e[i] = 1.0;
                assert!((dot(&go, &naive(&e, &w, None, &g)) - gx[i]).abs() < 1e-9, "gx {g:?}");
            }
            let gw = gw.unwrap();
            for i in 0..w.len() {
                let mut e = vec![0.0; w.len()];
                e[i] = 1.0;
                assert!((dot(&go, &naive(&x, &e, None, &g)) - gw[i]).abs() < 1e-9, "gw {g:?}");
            }
            let gb = gb.unwrap();
            for co in 0..g.c_out {
                let want: f64 = (0..g.n).flat_map(|n| go[(n * g.c_out + co) * g.l()..][..g.l()].iter()).sum();
                assert!((want - gb[co]).abs() < 1e-9);
            }
        }
    }
}

mod pool {
    use ember_cpu::pool::*;
    #[allow(unused_imports)]
    use ember_cpu::{DType, Element, Layout, Scalar, Storage};

    /// The definition: every in-bounds tap in window order, first maximum wins, NaN wins.
    fn naive(x: &[f32], g: &PoolGeom) -> (Vec<f32>, Vec<i64>) {
        let (mut out, mut idx) = (vec![], vec![]);
        for p in 0..g.planes {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    let mut best: Option<(f32, usize)> = None;
                    for ki in 0..g.k.0 {
                        for kj in 0..g.k.1 {
                            let iy = (oy * g.stride.0 + ki * g.dilation.0) as isize - g.pad.0 as isize;
                            let ix = (ox * g.stride.1 + kj * g.dilation.1) as isize - g.pad.1 as isize;
                            if iy < 0 || ix < 0 || iy as usize >= g.h || ix as usize >= g.w {
                                continue;
                            }
                            let at = iy as usize * g.w + ix as usize;
                            let v = x[p * g.h * g.w + at];
                            best = match best {
                                Some((b, _)) if b.is_nan() || !(v > b || v.is_nan()) => best,
                                _ => Some((v, at)),
                            };
                        }
                    }
                    let (v, i) = best.unwrap_or((f32::NEG_INFINITY, 0));
                    out.push(v);
                    idx.push(i as i64);
                }
            }
        }
        (out, idx)
    }

    #[test]
    fn max_pool_matches_definition() {
        let mut s = 7u64;
        let mut x: Vec<f32> = (0..3 * 9 * 11)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) % 7) as f32 - 3.0
            })
            .collect();
        x[5] = f32::NAN;
        x[120] = f32::NAN;
        x[200] = f32::NEG_INFINITY;
        for (k, st, pad, dil) in [
            ((2, 2), (2, 2), (0, 0), (1, 1)),
            ((3, 2), (1, 2), (1, 1), (1, 1)),
            ((3, 3), (2, 1), (1, 0), (2, 3)),
            ((1, 4), (3, 1), (0, 2), (1, 1)),
            // Unpadded windows inside the plane: the separable kernel, column stride 1, 2
            // and other (3), with dilation.
            ((2, 2), (1, 1), (0, 0), (1, 1)),
            ((3, 3), (2, 2), (0, 0), (1, 1)),
            ((2, 3), (3, 2), (0, 0), (2, 2)),
            ((3, 2), (2, 3), (0, 0), (1, 3)),
            ((1, 1), (1, 1), (0, 0), (1, 1)),
        ] {
            let o = |size: usize, k: usize, s: usize, p: usize, d: usize| (size + 2 * p - d * (k - 1) - 1) / s + 1;
            let g = PoolGeom {
                planes: 3,
                h: 9,
                w: 11,
                oh: o(9, k.0, st.0, pad.0, dil.0),
                ow: o(11, k.1, st.1, pad.1, dil.1),
                k,
                stride: st,
                pad,
                dilation: dil,
            };
            let (got, gi) = max_pool2d(&x, &g);
            let (want, wi) = naive(&x, &g);
            assert_eq!(gi, wi, "{g:?}");
            assert!(got.iter().zip(&want).all(|(a, b)| a == b || (a.is_nan() && b.is_nan())), "{g:?}");
            // float64 takes the same path and picks the same positions.
            let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
            assert_eq!(max_pool2d(&x64, &g).1, wi, "{g:?} f64");
            // The backward adds each output gradient at its recorded position.
            let go: Vec<f32> = (0..gi.len()).map(|i| (i % 5) as f32 + 0.5).collect();
            let mut want_dx = vec![0.0f32; 3 * 9 * 11];
            for (o, &i) in gi.iter().enumerate() {
                want_dx[o / (g.oh * g.ow) * 99 + i as usize] += go[o];
            }
            assert_eq!(max_pool2d_backward(&go, &gi, &g), want_dx, "{g:?}");
        }
    }
}

mod activation_grad {
    use std::mem::MaybeUninit;

    #[test]
    fn relu_backward_is_threshold_backward() {
        let n = 1000 + 13; // a vector body and a tail
        let y: Vec<f32> = (0..n).map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.5).collect();
        let mut y = y;
        y[3] = f32::NAN;
        y[4] = -0.0;
        let g: Vec<f32> = (0..n).map(|i| if i == 7 { f32::INFINITY } else { i as f32 - 400.0 }).collect();
        let mut out = vec![MaybeUninit::new(f32::NAN); n];
        ember_cpu::activation_grad::relu_backward(&g, &y, &mut out);
        for i in 0..n {
            // SAFETY: relu_backward writes every element.
            let got = unsafe { out[i].assume_init() };
            let want = if y[i] <= 0.0 { 0.0 } else { g[i] };
            assert_eq!(got.to_bits(), want.to_bits(), "element {i}: y {} g {}", y[i], g[i]);
        }
    }
}

mod matmul {
    use ember_cpu::matmul::*;
    #[allow(unused_imports)]
    use ember_cpu::{DType, Element, Layout, Scalar, Storage};

    fn store<T: Element>(v: &[T]) -> Storage {
        // SAFETY: the bytes of a live slice of plain-data elements, read for its exact length.
        Storage::from_bytes(unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }).unwrap()
    }
    fn read<T: Element>(s: &Storage, n: usize) -> Vec<T> {
        // SAFETY: callers pass storages they made holding at least n elements of T.
        unsafe { std::slice::from_raw_parts(s.ptr() as *const T, n) }.to_vec()
    }
    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        (0..m * n).map(|ij| (0..k).map(|p| a[ij / n * k + p] * b[p * n + ij % n]).sum()).collect()
    }

    #[test]
    fn f64_transposed_operand_as_strides() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f64> = (0..m * k).map(|x| x as f64 * 0.5 - 3.0).collect();
        let bt: Vec<f64> = (0..n * k).map(|x| (x % 5) as f64 - 1.0).collect(); // b stored transposed
        let b: Vec<f64> = (0..k * n).map(|i| bt[(i % n) * k + i / n]).collect();
        let (sa, sb) = (store(&a), store(&bt));
        let la = Layout::contiguous(&[1, m, k]);
        let lb = Layout::new(vec![1, k, n], vec![0, 1, k as isize], 0);
        let d = Storage::zeros_n(m * n, 8).unwrap();
        bmm_into(DType::F64, &d, &Layout::contiguous(&[1, m, n]), &sa, &la, &sb, &lb, Scalar::Int(1), Scalar::Int(0)).unwrap();
        assert_eq!(read::<f64>(&d, m * n), naive(&a, &b, m, k, n));
    }

    #[test]
    fn int8_wraps_like_same_width_arithmetic() {
        let a: Vec<i8> = vec![100, 100, -128, 7];
        let b: Vec<i8> = vec![2, 3, 1, 127];
        let (sa, sb) = (store(&a), store(&b));
        let l = Layout::contiguous(&[1, 2, 2]);
        let d = Storage::zeros(4).unwrap();
        bmm_into(DType::I8, &d, &l, &sa, &l, &sb, &l, Scalar::Int(1), Scalar::Int(0)).unwrap();
        let want: Vec<i8> = vec![
            100i8.wrapping_mul(2).wrapping_add(100i8.wrapping_mul(1)),
            100i8.wrapping_mul(3).wrapping_add(100i8.wrapping_mul(127)),
            (-128i8).wrapping_mul(2).wrapping_add(7i8.wrapping_mul(1)),
            (-128i8).wrapping_mul(3).wrapping_add(7i8.wrapping_mul(127)),
        ];
        assert_eq!(read::<i8>(&d, 4), want);
    }

    #[test]
    fn beta_zero_ignores_nan_and_k_zero_gives_beta_dst() {
        let nan = store(&[f32::NAN; 4]);
        let l = Layout::contiguous(&[1, 2, 2]);
        let a = store(&[1f32, 2., 3., 4.]);
        bmm_into(DType::F32, &nan, &l, &a, &l, &a, &l, Scalar::Int(1), Scalar::Int(0)).unwrap();
        assert_eq!(read::<f32>(&nan, 4), vec![7., 10., 15., 22.]);
        let e = Storage::zeros(8).unwrap();
        let le = Layout::contiguous(&[1, 2, 0]);
        let lf = Layout::contiguous(&[1, 0, 2]);
        let d = store(&[1f32, 2., 3., 4.]);
        bmm_into(DType::F32, &d, &l, &e, &le, &e, &lf, Scalar::Int(1), Scalar::Float(2.0)).unwrap();
        assert_eq!(read::<f32>(&d, 4), vec![2., 4., 6., 8.]);
    }

    /// bf16 products (the AVX-512 BF16 kernel where the CPU has it, the widened path
    /// elsewhere) against an f64 reference rounded once to bf16. Entries are small multiples
    /// of 1/4, so every partial sum is exact in f32 and both roundings see the same value.
    #[test]
    fn bf16_matches_rounded_reference_for_every_operand_layout() {
        use half::bf16;
        let val = |i: usize, seed: usize| ((i * 7 + seed * 13) % 9) as f64 * 0.25 - 1.0;
        // small after large on purpose: the packing buffers are reused per thread, so the
        // padding of a ragged last tile must not show an earlier product's values; k = 0 is zero
        for &(bn, m, k, n) in
            &[(1, 1, 1, 1), (1, 5, 7, 3), (2, 9, 67, 33), (3, 17, 261, 70), (1, 40, 300, 130), (2, 9, 67, 33), (1, 3, 0, 5), (1, 1, 1, 1)]
        {
            // (transpose a, transpose b, b's column step, dst with beta)
            for &(ta, tb, step, with_beta) in
                &[(false, false, 1, false), (true, true, 1, true), (false, true, 1, false), (true, false, 2, true)]
            {
                let a: Vec<f64> = (0..bn * m * k).map(|i| val(i, 1)).collect();
                let b: Vec<f64> = (0..k * n * step).map(|i| val(i, 2)).collect(); // one b, broadcast over the batch
                let d0: Vec<f64> = (0..bn * m * n).map(|i| val(i, 3)).collect();
                // a stored as [bn, m, k] (or [bn, k, m] and read transposed)
                let a_st: Vec<bf16> = if ta {
                    (0..bn * k * m)
                        .map(|i| {
                            let (bi, r) = (i / (k * m), i % (k * m));
                            bf16::from_f64(a[bi * m * k + (r % m) * k + r / m])
                        })
                        .collect()
                } else {
                    a.iter().map(|&x| bf16::from_f64(x)).collect()
                };
                let la = if ta {
                    Layout::new(vec![bn, m, k], vec![(k * m) as isize, 1, m as isize], 0)
                } else {
                    Layout::contiguous(&[bn, m, k])
                };
                // b's logical (p, j) element is b[p * n * step + j * step]
                let (b_st, lb): (Vec<bf16>, Layout) = if tb {
                    (
                        (0..n * k).map(|i| bf16::from_f64(b[(i % k) * n * step + (i / k) * step])).collect(),
                        Layout::new(vec![bn, k, n], vec![0, 1, k as isize], 0),
                    )
                } else {
                    (
                        b.iter().map(|&x| bf16::from_f64(x)).collect(),
                        Layout::new(vec![bn, k, n], vec![0, (n * step) as isize, step as isize], 0),
                    )
                };
                let (alpha, beta) = if with_beta { (2.0, 0.5) } else { (1.0, 0.0) };
                let d_st: Vec<bf16> = d0.iter().map(|&x| if with_beta { bf16::from_f64(x) } else { bf16::NAN }).collect();
                let (sa, sb, sd) = (store(&a_st), store(&b_st), store(&d_st));
                let ld = Layout::contiguous(&[bn, m, n]);
                bmm_into(DType::BF16, &sd, &ld, &sa, &la, &sb, &lb, Scalar::Float(alpha), Scalar::Float(beta)).unwrap();
                let got = read::<bf16>(&sd, bn * m * n);
                for bi in 0..bn {
                    for i in 0..m {
                        for j in 0..n {
                            let dot: f64 = (0..k).map(|p| a[bi * m * k + i * k + p] * b[p * n * step + j * step]).sum();
                            let o = bi * m * n + i * n + j;
                            let want = bf16::from_f64(alpha * dot + if with_beta { beta * d0[o] } else { 0.0 });
                            assert_eq!(got[o], want, "case {:?} at {:?}", (bn, m, k, n, ta, tb, step, with_beta), (bi, i, j));
                        }
                    }
                }
            }
        }
    }

    /// f32 <-> bf16 casts (vectorised fast path) equal `half`'s conversions bit for bit: ties
    /// to even, overflow to inf, subnormals kept, NaN stays NaN, through strided layouts too.
    #[test]
    fn f32_bf16_casts_match_half() {
        use ember_cpu::copy::copy_into;
        use half::bf16;
        let mut vals: Vec<f32> = vec![
            0.0,
            -0.0,
            1.0,
            -1.5,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            1e-40,
            -3e-39,
            1.0 + 1.0 / 256.0,
            1.0 + 3.0 / 256.0,
            1.0 + 1.0 / 512.0,
            3.4e38,
        ];
        let mut x = 0x9E37_79B9u32;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            vals.push(f32::from_bits(x));
        }
        let n = vals.len();
        let src = store(&vals);
        // every other element, so the strided row loop runs too
        for (ls, count) in [(Layout::contiguous(&[n]), n), (Layout::new(vec![n / 2], vec![2], 1), n / 2)] {
            let dst = Storage::uninit_n(count, 2).unwrap();
            copy_into(&dst, &Layout::contiguous(&[count]), DType::BF16, &src, &ls, DType::F32);
            let got = read::<bf16>(&dst, count);
            for i in 0..count {
                let v = vals[ls.offset + i * ls.strides[0] as usize];
                let want = bf16::from_f32(v);
                if v.is_nan() {
                    assert!(got[i].is_nan(), "{v:e}");
                } else {
                    assert_eq!(got[i].to_bits(), want.to_bits(), "{v:e}");
                }
            }
            let back = Storage::uninit_n(count, 4).unwrap();
            copy_into(&back, &Layout::contiguous(&[count]), DType::F32, &dst, &Layout::contiguous(&[count]), DType::BF16);
            let wide = read::<f32>(&back, count);
            for i in 0..count {
                assert_eq!(wide[i].to_bits(), got[i].to_f32().to_bits());
            }
        }
    }
}
