"""``ember.stft``: the short-time Fourier transform on the real-pair FFT kernels.

PyTorch requires ``return_complex`` for real input: True gives a complex spectrogram
(…, n_freq, n_frames); False (deprecated in PyTorch but supported) its real-pair layout
(…, n_freq, n_frames, 2). ``istft`` inverts a complex spectrogram by windowed overlap-add
(``fold``), dividing by the summed squared window as PyTorch does.
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
    is_complex = input.dtype.is_complex
    if return_complex is None and not is_complex:
        raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further require "
                           "that return_complex=True in a future PyTorch release.")
    return_complex = True if return_complex is None else return_complex
    if not return_complex:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                      "complex tensors for all inputs, and return_complex=False will raise an error.", UserWarning)
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
    if not (x.dtype.is_floating_point or is_complex):
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
    onesided = (not is_complex) if onesided is None else onesided
    if onesided and is_complex:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    if is_complex:
        spec = ember.view_as_real(_fft.fft(frames, dim=-1, norm=norm))
    elif onesided:
        spec = _fft._rfft_pairs(frames, dim=-1, norm=norm)  # (B, n_frames, n_freq, 2)
    else:
        spec = _fft._fft_pairs(ember.stack([frames, ember.zeros_like(frames)], -1), norm=norm)
    spec = spec.transpose(-3, -2)  # (B, n_freq, n_frames, 2)
    spec = spec.squeeze(0) if input.ndim == 1 else spec
    return ember.view_as_complex(spec.contiguous()) if return_complex else spec


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """The inverse of ``stft``: each frame's inverse DFT, windowed, overlap-added and divided by
    the overlap-added squared window (least-squares inversion)."""
    import ember
    from .nn.functional import fold
    if not input.dtype.is_complex:
        raise TypeError("istft requires a complex-valued input tensor matching the output from stft with "
                        "return_complex=True.")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex, but got {input.ndim}D")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"istft: expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if hop_length <= 0:
        raise RuntimeError(f"istft: expected hop_length > 0, but got hop_length={hop_length}")
    spec = input.unsqueeze(0) if input.ndim == 2 else input  # (B, n_freq, n_frames)
    n_freq, n_frames = spec.shape[-2], spec.shape[-1]
    onesided = (n_freq != n_fft) if onesided is None else onesided
    if onesided and n_freq != n_fft // 2 + 1:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input tensor to match "
                           f"n_fft / 2 + 1 when onesided=True, but got {n_freq}")
    if not onesided and n_freq != n_fft:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input tensor to match "
                           f"n_fft when onesided=False, but got {n_freq}")
    norm = "ortho" if normalized else "backward"
    frames = spec.transpose(-2, -1)  # (B, n_frames, n_freq)
    if onesided:
        frames = _fft.irfft(frames, n=n_fft, dim=-1, norm=norm)
    else:
        frames = _fft.ifft(frames, n=n_fft, dim=-1, norm=norm)
        if not return_complex:
            frames = frames.real
    real_dtype = frames.dtype.to_real()
    if window is None:
        window = ember.ones(win_length, dtype=real_dtype)
    elif window.ndim != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"istft: expected a 1D window tensor of size equal to win_length={win_length}, "
                           f"but got window with size {list(window.shape)}")
    left = (n_fft - win_length) // 2
    window = ember.cat([ember.zeros(left, dtype=window.dtype), window,
                        ember.zeros(n_fft - win_length - left, dtype=window.dtype)])
    total = n_fft + hop_length * (n_frames - 1)

    def overlap_add(f):  # (B, n_frames, n_fft) → (B, total)
        cols = f.transpose(-2, -1)
        if cols.dtype.is_complex:
            return ember.complex(overlap_add(cols.real.transpose(-2, -1)), overlap_add(cols.imag.transpose(-2, -1)))
        return fold(cols, (1, total), (1, n_fft), stride=(1, hop_length)).reshape(cols.shape[0], total)

    y = overlap_add(frames * window)
    env = overlap_add((window * window).expand(1, n_frames, n_fft).contiguous())
    start = n_fft // 2 if center else 0
    end = total - n_fft // 2 if center else total
    if length is not None:
        end = start + length
    y, env = y[..., start:end], env[..., start:end]
    if float(env.abs().min()) < 1e-11:
        raise RuntimeError("istft: window overlap add min: the window's overlap-added square is (close to) zero; "
                           "choose a window and hop_length that satisfy the NOLA condition.")
    y = y / env
    if length is not None and y.shape[-1] < length:
        y = ember.cat([y, ember.zeros(*y.shape[:-1], length - y.shape[-1], dtype=y.dtype)], -1)
    return y.squeeze(0) if input.ndim == 2 else y
