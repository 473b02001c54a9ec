"""``ember.stft``: the short-time Fourier transform on the real-pair FFT kernels.

PyTorch requires ``return_complex`` for real input. ``return_complex=False`` (deprecated in
PyTorch but supported) returns its real-pair layout (…, n_freq, n_frames, 2), which ember
computes exactly; ``return_complex=True`` needs a complex dtype and raises until ember has one.
``istft`` takes a complex spectrogram in PyTorch, so it waits for complex dtypes too.
"""
import warnings

from . import fft as _fft

__all__ = ["stft", "istft"]


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """Frames of length n_fft every hop_length samples (centered by padding n_fft//2 on each side
    when `center`), multiplied by `window` (zero-padded to n_fft, centered), transformed."""
    import ember
    from .nn.functional import pad
    if return_complex is None:
        raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further require "
                           "that return_complex=True in a future PyTorch release.")
    if return_complex:
        raise TypeError("stft(return_complex=True): ember has no complex dtype yet; return_complex=False gives the same "
                        "values as real (re, im) pairs in a trailing dim of size 2.")
    warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, stft will return complex "
                  "tensors for all inputs, and return_complex=False will raise an error.", UserWarning)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.ndim}D")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if not 0 < n_fft:
        raise RuntimeError(f"stft: expected 0 < n_fft, but got n_fft={n_fft}")
    if hop_length <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win_length}")
    x = input.unsqueeze(0) if input.ndim == 1 else input
    if not x.dtype.is_floating_point:
        x = x.to(ember.get_default_dtype())
    if center:
        p = n_fft // 2
        x = pad(x.unsqueeze(1), (p, p), mode=pad_mode).squeeze(1)
    if x.shape[-1] < n_fft:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {x.shape[-1]}, but got n_fft={n_fft}")
    frames = x.unfold(-1, n_fft, hop_length)  # (B, n_frames, n_fft)
    if window is not None:
        if window.ndim != 1 or window.shape[0] != win_length:
            raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length={win_length}, "
                               f"but got window with size {list(window.shape)}")
    elif win_length < n_fft:
        window = ember.ones(win_length, dtype=x.dtype)
    if window is not None:
        left = (n_fft - win_length) // 2
        window = ember.cat([ember.zeros(left, dtype=window.dtype), window,
                            ember.zeros(n_fft - win_length - left, dtype=window.dtype)])
        frames = frames * window
    onesided = True if onesided is None else onesided
    norm = "ortho" if normalized else "backward"
    if onesided:
        spec = _fft._rfft_pairs(frames, dim=-1, norm=norm)  # (B, n_frames, n_freq, 2)
    else:
        spec = _fft._fft_pairs(ember.stack([frames, ember.zeros_like(frames)], -1), norm=norm)
    spec = spec.transpose(-3, -2)  # (B, n_freq, n_frames, 2)
    return spec.squeeze(0) if input.ndim == 1 else spec


def istft(input, n_fft, *args, **kwargs):
    raise TypeError("istft: the input spectrogram must be complex in PyTorch, and ember has no complex dtype yet.")
