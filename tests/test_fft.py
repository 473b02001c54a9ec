"""ember.fft against scipy.fft/numpy.fft: the real-output transforms on strided, batched
float32/float64 input, the internal (re, im)-pair kernels, norm modes, gradients, and the
complex-result transforms are in test_fft_complex.py."""
import numpy as np
import pytest
import scipy.fft
from hypothesis import given, settings, strategies as st

import ember
from ember.autograd import gradcheck
from strategies import np_of, strided_pair, to_ember

TOL = {"float32": 1e-4, "float64": 1e-10}
NORMS = [None, "backward", "forward", "ortho"]
SETTINGS = settings(max_examples=20, deadline=None)


def close(t, a, dtype):
    np.testing.assert_allclose(np_of(t), a, rtol=TOL[dtype], atol=TOL[dtype] * max(1.0, float(np.abs(a).max(initial=0))))


@SETTINGS
@given(strided_pair(min_dims=1, max_dims=3, max_side=6), st.sampled_from(NORMS), st.sampled_from([None, 1, 4, 7]), st.data())
def test_irfft_hfft(pair, norm, n, data):
    t, a = pair
    if min(a.shape) == 0:
        return
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    if n is None and a.shape[dim] < 2:
        n = 3
    dt = str(a.dtype)
    y = ember.fft.irfft(t, n=n, dim=dim, norm=norm)
    ref = scipy.fft.irfft(a.astype(np.float64), n=n, axis=dim, norm=norm)
    assert y.dtype == t.dtype
    close(y, ref, dt)
    y = ember.fft.hfft(t, n=n, dim=dim, norm=norm)
    close(y, scipy.fft.hfft(a.astype(np.float64), n=n, axis=dim, norm=norm), dt)


@SETTINGS
@given(strided_pair(min_dims=2, max_dims=3, max_side=5), st.sampled_from(NORMS))
def test_irfftn_hfftn(pair, norm):
    t, a = pair
    if min(a.shape) < 2:
        return
    dt = str(a.dtype)
    close(ember.fft.irfft2(t, norm=norm), scipy.fft.irfft2(a.astype(np.float64), norm=norm), dt)
    close(ember.fft.irfftn(t, s=(3, 4), dim=(0, -1), norm=norm),
          scipy.fft.irfftn(a.astype(np.float64), s=(3, 4), axes=(0, -1), norm=norm), dt)
    close(ember.fft.hfft2(t, norm=norm), scipy.fft.hfft2(a.astype(np.float64), norm=norm), dt)


@SETTINGS
@given(strided_pair(min_dims=1, max_dims=3, max_side=6), st.sampled_from(NORMS))
def test_pair_kernels_roundtrip(pair, norm):
    t, a = pair
    if min(a.shape) == 0:
        return
    dt = str(a.dtype)
    z = ember.fft._rfft_pairs(t, norm=norm)
    ref = scipy.fft.rfft(a.astype(np.float64), axis=-1, norm=norm)
    close(z, np.stack([ref.real, ref.imag], -1), dt)
    back = ember.fft._irfft_pairs(z, n=a.shape[-1], norm=norm)
    close(back, a, dt)
    c = ember.fft._fft_pairs(ember.stack([t, ember.zeros_like(t)], -1), norm=norm)
    ref = scipy.fft.fft(a.astype(np.float64), axis=-1, norm=norm)
    close(c, np.stack([ref.real, ref.imag], -1), dt)
    close(ember.fft._fft_pairs(c, norm=norm, inverse=True)[..., 0], a, dt)


def test_freq_and_shift():
    for n in [1, 4, 5]:
        np.testing.assert_allclose(np_of(ember.fft.fftfreq(n, 0.5)), np.fft.fftfreq(n, 0.5).astype(np.float32))
        np.testing.assert_allclose(np_of(ember.fft.rfftfreq(n, 2.0)), np.fft.rfftfreq(n, 2.0).astype(np.float32))
    assert ember.fft.fftfreq(4, dtype=ember.float64).dtype == ember.float64
    a = np.arange(30.0).reshape(5, 6)
    np.testing.assert_array_equal(np_of(ember.fft.fftshift(to_ember(a))), np.fft.fftshift(a))
    np.testing.assert_array_equal(np_of(ember.fft.ifftshift(to_ember(a), dim=1)), np.fft.ifftshift(a, axes=1))
    np.testing.assert_array_equal(np_of(ember.fft.fftshift(to_ember(a), dim=(0,))), np.fft.fftshift(a, axes=(0,)))


def test_gradients():
    rng = np.random.default_rng(0)
    x = to_ember(rng.standard_normal((2, 5))).requires_grad_()
    for norm in NORMS:
        assert gradcheck(lambda v: ember.fft.irfft(v, n=8, norm=norm), (x,))
        assert gradcheck(lambda v: ember.fft.irfft(v, n=7, norm=norm), (x,))
        assert gradcheck(lambda v: ember.fft.hfft(v, norm=norm), (x,))
        assert gradcheck(lambda v: ember.fft._rfft_pairs(v, norm=norm), (x,))
    assert gradcheck(lambda v: ember.fft.irfftn(v, s=(3, 6)), (x,))
    p = to_ember(rng.standard_normal((3, 4, 2))).requires_grad_()
    assert gradcheck(lambda v: ember.fft._fft_pairs(v, dim=0), (p,))
    assert gradcheck(lambda v: ember.fft._irfft_pairs(v, n=6), (p,))


def test_bad_args():
    x = ember.ones(8)
    with pytest.raises(ValueError, match="Invalid normalization mode"):
        ember.fft.irfft(x, norm="bogus")
    with pytest.raises(IndexError):
        ember.fft.irfft(x, dim=3)
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        ember.fft.irfft(ember.ones(1))


def test_int_input_promotes():
    y = ember.fft.irfft(ember.tensor([1, 2, 3]))
    assert y.dtype == ember.float32
    np.testing.assert_allclose(np_of(y), np.fft.irfft([1, 2, 3]), rtol=1e-6)


def _stft_ref(x, n_fft, hop, window, center, normalized, onesided):
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)], mode="reflect")
    n_frames = 1 + (x.shape[-1] - n_fft) // hop
    frames = np.stack([x[..., i * hop:i * hop + n_fft] for i in range(n_frames)], -2) * window
    spec = (np.fft.rfft if onesided else np.fft.fft)(frames, axis=-1, norm="ortho" if normalized else "backward")
    spec = np.swapaxes(spec, -1, -2)
    return np.stack([spec.real, spec.imag], -1)


@pytest.mark.filterwarnings("ignore:stft with return_complex=False")
@pytest.mark.parametrize("center,normalized,onesided,win", [(True, False, True, None), (False, True, True, 6),
                                                             (True, False, False, 8)])
def test_stft_real_pairs(center, normalized, onesided, win):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 40))
    w = np.hanning(win) if win else None
    full = np.ones(8) if w is None else np.pad(w, ((8 - win) // 2, 8 - win - (8 - win) // 2))
    y = ember.stft(to_ember(x), 8, hop_length=3, win_length=win, window=None if w is None else to_ember(w), center=center,
                   normalized=normalized, onesided=onesided, return_complex=False)
    np.testing.assert_allclose(np_of(y), _stft_ref(x, 8, 3, full, center, normalized, onesided), rtol=1e-10, atol=1e-10)
    one = ember.stft(to_ember(x[0]), 8, hop_length=3, return_complex=False)
    assert tuple(one.shape) == (5, 1 + 40 // 3, 2)
    with pytest.raises(RuntimeError, match="return_complex"):
        ember.stft(to_ember(x), 8)
    xg = to_ember(x[:, :20]).requires_grad_()
    assert gradcheck(lambda v: ember.stft(v, 8, hop_length=4, return_complex=False), (xg,))
