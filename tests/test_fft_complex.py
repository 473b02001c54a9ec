"""ember.fft's complex-result transforms (fft/ifft/rfft/ihfft and their 2-d/n-d forms,
complex input to every transform, stft/istft with complex spectrograms) against numpy.fft on
strided input, with gradients."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember.autograd import gradcheck
from strategies import COMPLEX, strided_pair

NORMS = [None, "backward", "forward", "ortho"]


def close(t, a):
    tol = 1e-4 if t.dtype in (ember.float32, ember.complex64) else 1e-10
    np.testing.assert_allclose(t.numpy(), a, rtol=tol, atol=tol * max(1.0, float(np.abs(a).max(initial=0))))


@settings(max_examples=25, deadline=None)
@given(strided_pair(dtypes=["float32", "float64"] + COMPLEX, min_dims=1, max_dims=3, max_side=6),
       st.sampled_from(["fft", "ifft"]), st.sampled_from(NORMS), st.sampled_from([None, 3, 7]))
def test_c2c_1d(pair, name, norm, n):
    t, a = pair
    if a.shape[-1] == 0 and n is None:
        return
    want = getattr(np.fft, name)(a, n=n, norm=norm)
    got = getattr(ember.fft, name)(t, n=n, norm=norm)
    assert got.dtype == (ember.complex128 if a.dtype in (np.float64, np.complex128) else ember.complex64)
    close(got, want)


@settings(max_examples=20, deadline=None)
@given(strided_pair(dtypes=["float32", "float64"], min_dims=2, max_dims=3, max_side=6), st.sampled_from(NORMS))
def test_real_input_nd(pair, norm):
    t, a = pair
    if 0 in a.shape:
        return
    close(ember.fft.rfft(t, norm=norm), np.fft.rfft(a, norm=norm))
    close(ember.fft.fft2(t, norm=norm), np.fft.fft2(a, norm=norm))
    close(ember.fft.ifftn(t, norm=norm), np.fft.ifftn(a, norm=norm))
    close(ember.fft.rfftn(t, norm=norm), np.fft.rfftn(a, norm=norm))
    close(ember.fft.rfft2(t, s=(3, 4), norm=norm), np.fft.rfft2(a, s=(3, 4), norm=norm))
    close(ember.fft.ihfft(t, norm=norm), np.fft.ihfft(a, norm=norm))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_input_to_real_output_transforms_and_round_trips(dtype):
    rng = np.random.default_rng(0)
    z = (rng.standard_normal((3, 5)) + 1j * rng.standard_normal((3, 5))).astype(dtype)
    t = ember.from_numpy(z)
    close(ember.fft.irfft(t), np.fft.irfft(z))
    close(ember.fft.hfft(t, n=7), np.fft.hfft(z, n=7))
    close(ember.fft.irfft2(t), np.fft.irfftn(z, axes=(-2, -1)))
    close(ember.fft.ifft(ember.fft.fft(t)), z)
    close(ember.fft.fftn(t, s=(4, 6)), np.fft.fftn(z, s=(4, 6)))
    close(ember.fft.fft(t.mT, dim=0), np.fft.fft(z.T, axis=0))
    with pytest.raises(RuntimeError, match="real input"):
        ember.fft.rfft(t)


def test_gradients():
    rng = np.random.default_rng(1)
    x = ember.from_numpy(rng.standard_normal((2, 6))).requires_grad_()
    z = ember.from_numpy(rng.standard_normal((2, 5)) + 1j * rng.standard_normal((2, 5))).requires_grad_()
    assert gradcheck(lambda v: ember.fft.fft(v, norm="ortho"), (z,))
    assert gradcheck(lambda v: ember.fft.ifft2(v), (z,))
    assert gradcheck(lambda v: ember.fft.rfft(v), (x,))
    assert gradcheck(lambda v: ember.fft.ihfft(v), (x,))
    assert gradcheck(lambda v: ember.fft.irfft(v, n=8), (z,))
    assert gradcheck(lambda v: ember.fft.fft(v).abs(), (x,))


def test_stft_complex_and_istft_round_trip():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 40))
    w = np.hanning(8 + 1)[:8]
    s = ember.stft(ember.from_numpy(x), 8, hop_length=2, window=ember.from_numpy(w), return_complex=True)
    pairs = ember.stft(ember.from_numpy(x), 8, hop_length=2, window=ember.from_numpy(w), return_complex=False)
    assert s.dtype == ember.complex128 and tuple(s.shape) == (2, 5, 21)
    np.testing.assert_allclose(ember.view_as_real(s).numpy(), pairs.numpy(), rtol=1e-12, atol=1e-12)
    y = ember.istft(s, 8, hop_length=2, window=ember.from_numpy(w), length=40)
    np.testing.assert_allclose(y.numpy(), x, rtol=1e-9, atol=1e-9)
    two = ember.stft(ember.from_numpy(x[0]) * (1 + 0.5j), 8, hop_length=2, return_complex=True)
    assert tuple(two.shape) == (8, 21)
    np.testing.assert_allclose(ember.istft(two, 8, hop_length=2, length=40, return_complex=True).numpy(),
                               x[0] * (1 + 0.5j), rtol=1e-9, atol=1e-9)
    with pytest.raises(TypeError, match="complex-valued"):
        ember.istft(ember.view_as_real(s), 8)
