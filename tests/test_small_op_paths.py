"""The short paths of small calls (issue 18's per-call rows) give what the general paths give.

`a op b` on two small row-major float tensors of one dtype and shape outside autograd skips
the general plan (promotion, broadcasting, output strides); `x.view(shape)` of an exactly
row-major layout skips PyTorch's stride-merging walk; `x.view(n)` / `x.to("cpu")` no longer
probe their argument as a dtype by raising. Each is compared with NumPy bit for bit, and with
the general path on the inputs that just miss the short one.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from strategies import strided_pair

OPS = [("add", np.add, lambda a, b: a + b), ("sub", np.subtract, lambda a, b: a - b),
       ("mul", np.multiply, lambda a, b: a * b), ("div", np.divide, lambda a, b: a / b)]


@pytest.mark.parametrize("name,ref,op", OPS, ids=[o[0] for o in OPS])
@given(data=st.data())
def test_same_shape_binary_bit_exact(name, ref, op, data):
    """Contiguous operands take the short path, strided ones the general one: both equal NumPy exactly."""
    t, a = data.draw(strided_pair(["float32", "float64"], max_dims=3))
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    b = rng.standard_normal(a.shape).astype(a.dtype)
    u = ember.from_numpy(b.copy())
    with np.errstate(all="ignore"):
        want = ref(np.ascontiguousarray(a), b)
    for got in (op(t, u), op(t.contiguous(), u), getattr(ember, name)(t.contiguous(), u)):
        assert got.dtype == t.dtype and tuple(got.shape) == a.shape
        np.testing.assert_array_equal(got.numpy(), want)
    assert op(t.contiguous(), u).is_contiguous()


def test_short_path_leaves_inputs_and_makes_fresh_storage():
    a, b = ember.arange(6.0).reshape(2, 3), ember.ones(2, 3)
    c = a + b
    assert c.data_ptr() not in (a.data_ptr(), b.data_ptr())
    assert a.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and b.tolist() == [[1.0] * 3] * 2
    c[0, 0] = 100.0
    assert a[0, 0].item() == 0.0 and b[0, 0].item() == 1.0


def test_short_path_records_autograd_when_an_operand_requires_grad():
    a = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ember.tensor([4.0, 5.0, 6.0])
    for y, want in ((a * b, [4.0, 5.0, 6.0]), (b / a, [-4.0, -1.25, -6.0 / 9.0])):
        assert y.grad_fn is not None
        a.grad = None
        y.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), want, rtol=1e-6)
    with ember.no_grad():
        assert (a + b).grad_fn is None and not (a + b).requires_grad


def test_short_path_keeps_promotion_and_inference_rules():
    f32, f64 = ember.ones(4), ember.ones(4, dtype=ember.float64)
    assert (f32 + f64).dtype == ember.float64
    assert (ember.ones(4, dtype=ember.int32) / ember.ones(4, dtype=ember.int32)).dtype == ember.float32
    assert (ember.ones(4, dtype=ember.bfloat16) + ember.ones(4, dtype=ember.bfloat16)).dtype == ember.bfloat16
    with ember.inference_mode():
        assert (f32 + f32).is_inference()
    assert not (f32 + f32).is_inference()


def test_short_path_shows_in_the_trace():
    a, b = ember.ones(3), ember.ones(3)
    with ember.inspect.trace() as tr:
        a + b
        a * b
    seen = [(e.name, e.dispatch, e.kernel, e.path, e.bytes_allocated) for e in tr.events]
    assert seen == [("Tensor.__add__", "cpu-strided", "elementwise", "contiguous", 12),
                    ("Tensor.__mul__", "cpu-strided", "elementwise", "contiguous", 12)]


def test_short_path_errors_match_the_general_path():
    with pytest.raises(RuntimeError, match="must match the size"):
        ember.ones(3) + ember.ones(4)
    m = ember.ones(3, device="meta")
    assert (m + m).device.type == "meta"


def test_view_of_row_major_layout_strides_as_pytorch():
    x = ember.arange(24.0)
    assert x.view(2, 1, 12).stride() == (12, 12, 1)
    assert x.view(-1, 1).stride() == (1, 1)
    assert x.view(1, 24).stride() == (24, 1)
    # a size-1 dim with a stride outside the row-major rule keeps PyTorch's general rule
    y = ember.ones(7, 10).t()[:, :1]
    assert y.stride() == (1, 10)
    assert y.view(10, 1).stride() == (1, 10)
    assert y.view(10, 1, 1).stride() == (1, 10, 10)
    assert y.view(2, 5).stride() == (5, 1)


@given(data=st.data())
def test_view_values_follow_numpy_reshape(data):
    t, a = data.draw(strided_pair(["float32"], max_dims=3, allow_expand=False))
    if not t.is_contiguous():
        t, a = t.contiguous(), np.ascontiguousarray(a)
    np.testing.assert_array_equal(t.view(-1).numpy(), a.reshape(-1))
    np.testing.assert_array_equal(t.view(t.numel()).numpy(), a.reshape(-1))


def test_single_argument_view_and_to_without_a_dtype():
    x = ember.arange(6.0)
    assert x.view(6).shape == (6,) and x.view(-1).shape == (6,)
    assert x.view(ember.int32).dtype == ember.int32
    assert x.view(np.dtype("int32")).dtype == ember.int32
    assert x.to("cpu") is x and x.to(ember.device("cpu")) is x
    assert x.to(ember.float64).dtype == ember.float64 and x.to(np.dtype("float16")).dtype == ember.float16
    with pytest.raises(TypeError):
        x.view("float32x")
    with pytest.raises(RuntimeError):
        x.view(4)
