"""The native common case of ``out=`` (``_native._out_copy`` / ``_out_needs_grad``) against the
Python rules it shortcuts: each case here either takes the native path or must fall back to
``_out_forms.write`` and behave exactly as PyTorch does."""
import numpy as np
import pytest

import ember
from ember import _native


def test_native_copy_writes_through_a_strided_out_and_bumps_its_version():
    base = ember.zeros(3, 2)
    out = base.t()  # (2, 3) view with strides (1, 2)
    v = out._version
    a = ember.arange(6, dtype=ember.float32).reshape(2, 3)
    assert ember.add(a, a, out=out) is out
    np.testing.assert_array_equal(base.numpy(), (2 * np.arange(6, dtype=np.float32).reshape(2, 3)).T)
    assert out.stride() == (1, 2) and out._version > v


def test_out_aliasing_an_input():
    x = ember.arange(4, dtype=ember.float32)
    assert ember.add(x, x, out=x) is x
    assert x.tolist() == [0.0, 2.0, 4.0, 6.0]


def test_native_copy_declines_what_the_python_rules_handle():
    x = ember.ones(3)
    assert _native._out_copy(x, ember.empty(3, dtype=ember.float64)) is False  # a cast
    assert _native._out_copy(x, ember.empty(4)) is False  # a resize (with its warning)
    assert _native._out_copy(x, [0.0, 0.0, 0.0]) is False  # not a tensor: Python's TypeError
    assert _native._out_copy((x, x), ember.empty(3)) is False  # tuple results

    class Sub(ember.Tensor):
        pass

    s = Sub(ember.empty(3))
    assert _native._out_copy(x, s) is False  # a subclass may override copy_
    assert ember.add(x, 1, out=s) is s and s.tolist() == [2.0, 2.0, 2.0]
    o = ember.empty(3, dtype=ember.float64)
    assert ember.add(x, 1, out=o) is o and o.dtype == ember.float64 and o.tolist() == [2.0] * 3
    i = ember.zeros(3, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ember.add(x, 1, out=i)
    assert i.tolist() == [0, 0, 0]


def test_out_refuses_grad_in_any_argument_position():
    w = ember.ones(2, requires_grad=True)
    plain = ember.ones(2)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.add(plain, w, out=ember.empty(2))  # second operand
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.add(plain, other=w, out=ember.empty(2))  # keyword
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.cat([plain, w], out=ember.empty(4))  # inside a list
    o = ember.zeros(2)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.sub(w, plain, out=o)
    assert o.tolist() == [0.0, 0.0]  # untouched
    with ember.no_grad():
        assert ember.cat([plain, w], out=ember.empty(4)).tolist() == [1.0] * 4
    assert _native._out_needs_grad(plain, (w,), None) is True
    assert _native._out_needs_grad(plain, ([plain, w],), {}) is True
    assert _native._out_needs_grad(plain, (plain, 2), {"alpha": 3}) is False


def test_out_reads_a_subclass_requires_grad_property():
    class Wrapped(ember.Tensor):
        @property
        def requires_grad(self):
            return True

    x = Wrapped(ember.ones(2))
    assert _native._out_needs_grad(ember.ones(2), (x,), None) is True
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.add(ember.ones(2), x, out=ember.empty(2))
