"""OpInfo-style conformance: every elementwise op × backend × dtype against the CPU.

The CPU result is the reference for each (op, dtype, strided input):
- where the CPU raises, every backend raises the same exception type;
- where it returns, wgpu returns the same values, dtype and shape — or refuses with its
  backend error (NotImplementedError, or TypeError for a dtype WGSL lacks);
- meta returns the CPU's shape, dtype and strides (or refuses with NotImplementedError),
  without touching data.
Bad input (operands that don't broadcast) raises the same type everywhere.
"""
import numpy as np
import pytest

import ember
from ember import _ops_elementwise as ew

from conftest import WGPU

# Ops whose extra required arguments the generic call can't supply; covered by their own tests.
_NEEDS_ARGS = {"clamp", "clip", "clamp_min", "clamp_max", "masked_fill", "lerp", "addcmul", "addcdiv",
               "bitwise_left_shift", "bitwise_right_shift"}
UNARY = [n for n in ew._UNARY if n not in _NEEDS_ARGS]
BINARY = [n for n in ew._BINARY if n not in _NEEDS_ARGS]
DTYPES = ["float32", "float64", "int64", "int32", "bool"]
BACKENDS = ["meta"] + (["wgpu"] if WGPU else [])


def _strided(dtype, seed, shape=(3, 5)):
    """A non-contiguous view: a transposed slice of a larger base."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((shape[1] * 2, shape[0] + 1)) * 3
    if dtype == "bool":
        base = base > 0
    elif dtype.startswith("int"):
        base = np.round(base).astype(dtype)
        base[base == 0] = 1
    else:
        base = base.astype(dtype)
    t = ember.tensor(base)[::2, 1:].t()
    assert not t.is_contiguous()
    return t


def _run(fn):
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - the exception type is what we compare
        return None, e


def _check(backend, ref, ref_err, got, err, what):
    if ref_err is not None:
        assert err is not None, f"{what}: CPU raised {type(ref_err).__name__} but {backend} returned a value"
        assert type(err) is type(ref_err) or isinstance(err, type(ref_err)), \
            f"{what}: CPU raised {type(ref_err).__name__}, {backend} raised {type(err).__name__}: {err}"
        return
    if err is not None:
        allowed = (NotImplementedError,) if backend == "meta" else (NotImplementedError, TypeError)
        assert isinstance(err, allowed), f"{what}: {backend} raised {type(err).__name__}: {err}"
        assert backend.lower() in str(err).lower() or "could not run" in str(err).lower() or "meta" in str(err).lower(), \
            f"{what}: {backend}'s refusal should name the backend: {err}"
        return
    assert tuple(got.shape) == tuple(ref.shape), what
    assert got.dtype == ref.dtype, f"{what}: dtype {got.dtype} vs CPU {ref.dtype}"
    assert got.device.type == backend, what
    if backend == "meta":
        assert got.stride() == ref.stride() or not ref.is_contiguous(), f"{what}: strides {got.stride()} vs {ref.stride()}"
    else:
        a, b = got.cpu().numpy(), ref.numpy()
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-5, equal_nan=True, err_msg=what)
        else:
            np.testing.assert_array_equal(a, b, err_msg=what)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", UNARY)
def test_unary_conformance(op, dtype, backend):
    x = _strided(dtype, 0)
    ref, ref_err = _run(lambda: getattr(ember, op)(x))
    xd = x.to(backend) if backend == "meta" else _run(lambda: x.to(backend))[0]
    if xd is None:
        return
    got, err = _run(lambda: getattr(ember, op)(xd))
    _check(backend, ref, ref_err, got, err, f"{op}({dtype})")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", BINARY)
def test_binary_conformance(op, dtype, backend):
    a, b = _strided(dtype, 1), _strided(dtype, 2)[:1]  # b broadcasts along dim 0
    ref, ref_err = _run(lambda: getattr(ember, op)(a, b))
    ad, bd = _run(lambda: a.to(backend))[0], _run(lambda: b.to(backend))[0]
    if ad is None or bd is None:
        return
    got, err = _run(lambda: getattr(ember, op)(ad, bd))
    _check(backend, ref, ref_err, got, err, f"{op}({dtype})")


@pytest.mark.parametrize("backend", ["cpu"] + BACKENDS)
@pytest.mark.parametrize("op", ["add", "mul", "sub", "div", "maximum", "hypot", "atan2", "eq", "logical_and"])
def test_bad_broadcast_raises_the_same_type_everywhere(op, backend):
    a, b = ember.ones(3, 4, device=backend), ember.ones(5, device=backend)
    with pytest.raises(RuntimeError, match="must match the size"):
        getattr(ember, op)(a, b)


REDUCTIONS = {
    "sum": lambda x: x.sum(1), "sum_all": lambda x: x.sum(), "mean": lambda x: x.mean(0),
    "prod": lambda x: x.prod(1), "amax": lambda x: x.amax(1), "amin": lambda x: x.amin(0),
    "argmax": lambda x: x.argmax(1), "argmin": lambda x: x.argmin(0), "std": lambda x: x.std(1),
    "var": lambda x: x.var(0), "logsumexp": lambda x: x.logsumexp(1), "cumsum": lambda x: x.cumsum(1),
    "softmax": lambda x: x.softmax(1), "log_softmax": lambda x: x.log_softmax(0), "any": lambda x: x.any(1),
    "all": lambda x: x.all(0), "norm": lambda x: x.norm(dim=1), "matmul": lambda x: x @ x.t(),
    "transpose_contiguous": lambda x: x.t().contiguous(), "cat": lambda x: ember.cat([x, x], 1),
    "where": lambda x: ember.where(x > 0, x, x * 2),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", sorted(REDUCTIONS))
def test_reduction_and_structural_conformance(op, dtype, backend):
    x = _strided(dtype, 3)
    ref, ref_err = _run(lambda: REDUCTIONS[op](x))
    xd = _run(lambda: x.to(backend))[0]
    if xd is None:
        return
    got, err = _run(lambda: REDUCTIONS[op](xd))
    _check(backend, ref, ref_err, got, err, f"{op}({dtype})")
