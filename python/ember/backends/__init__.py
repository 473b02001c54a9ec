"""``ember.backends``: the backend switches scripts set at start-up (``torch.backends.cudnn.benchmark =
True``, ``torch.backends.mps.is_available()``). ember has no CUDA, cuDNN or MPS backend, so each
``is_available()`` is False and the flags are kept as plain settings with no effect, as they have
none in a CPU-only PyTorch build."""
import sys as _sys
import types as _types

__all__ = ["cpu", "cuda", "cudnn", "mps", "mkldnn", "openmp"]


def _flags(name, doc, available=False, **settings):
    mod = _types.ModuleType(f"{__name__}.{name}", doc)
    mod.is_available = lambda: available
    for key, value in settings.items():
        setattr(mod, key, value)
    _sys.modules[mod.__name__] = mod  # so `import ember.backends.cudnn as cudnn` works
    return mod


cudnn = _flags("cudnn", "cuDNN switches (no effect: ember has no cuDNN).", enabled=True, benchmark=False,
               deterministic=False, allow_tf32=True)
cudnn.version = lambda: None
mps = _flags("mps", "Apple MPS (not a backend of ember).")
mps.is_built = lambda: False
cuda = _flags("cuda", "CUDA switches (no effect: ember has no CUDA backend).")
cuda.is_built = lambda: False
cuda.matmul = _types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                     allow_bf16_reduced_precision_reduction=True)
mkldnn = _flags("mkldnn", "oneDNN (not a backend of ember).", enabled=True)
openmp = _flags("openmp", "OpenMP (ember's CPU kernels use their own thread pool).")
cpu = _flags("cpu", "The CPU backend.", available=True)
cpu.get_cpu_capability = lambda: "DEFAULT"
