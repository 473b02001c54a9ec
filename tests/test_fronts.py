"""The native fronts (``rust/ember-py/src/front.rs``) give what the Python functions
they wrap give, and hand every other call — another device, ``out=``, ``generator=``, a bad
size — to them; ``Tensor.size(dim)`` answered natively agrees with the Python rules."""
import inspect
import pickle

import pytest
from hypothesis import given, settings, strategies as st

import ember

SIZE = ("zeros", "ones", "empty", "rand", "randn")
LIKE = ("zeros_like", "ones_like", "empty_like", "rand_like", "randn_like")
DTYPES = [None, ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int64, ember.int32,
          ember.uint8, ember.bool, ember.complex64]


def _same(a, b, values=True):
    assert type(a) is type(b) is ember.Tensor
    assert (a.shape, a.stride(), a.dtype, a.device, a.requires_grad) == (b.shape, b.stride(), b.dtype, b.device,
                                                                          b.requires_grad)
    if values:
        assert ember.equal(a, b)


def _call(name, fast, *args, **kwargs):
    """``ember.<name>`` through its front (fast) or the Python function behind it; the same seed
    before each, so random draws can be compared."""
    fn = getattr(ember, name)
    ember.manual_seed(1234)
    return fn(*args, **kwargs) if fast else fn.__wrapped__(*args, **kwargs)


def _both(name, *args, **kwargs):
    """Both calls' results, or both calls' exceptions (type and text)."""
    out = []
    for fast in (True, False):
        try:
            out.append(_call(name, fast, *args, **kwargs))
        except Exception as e:  # noqa: BLE001 - the two paths must fail alike
            out.append((type(e), str(e)))
    return out


def test_the_fronts_are_installed_and_look_like_the_functions():
    for name in SIZE + LIKE + ("full",):
        fn = getattr(ember, name)
        assert isinstance(fn, ember._native._Front), name
        assert fn.__name__ == name and fn.__module__ == "ember"
        assert inspect.signature(fn) == inspect.signature(fn.__wrapped__)
        assert pickle.loads(pickle.dumps(fn)) is fn
    assert "size" in inspect.signature(ember.zeros).parameters


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(SIZE), shape=st.lists(st.integers(0, 4), max_size=4),
       form=st.sampled_from(["varargs", "tuple", "list", "Size"]), dtype=st.sampled_from(DTYPES),
       requires_grad=st.booleans(), device=st.sampled_from([None, "cpu", ember.device("cpu")]))
def test_size_factories_match_the_python_path(name, shape, form, dtype, requires_grad, device):
    args = {"varargs": tuple(shape), "tuple": (tuple(shape),), "list": (list(shape),),
            "Size": (ember.Size(shape),)}[form]
    kwargs = {"requires_grad": requires_grad}
    if dtype is not None:
        kwargs["dtype"] = dtype
    if device is not None:
        kwargs["device"] = device
    fast, slow = _both(name, *args, **kwargs)
    if isinstance(slow, tuple):
        assert fast == slow
    else:
        _same(fast, slow, values=name != "empty")


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(LIKE), shape=st.lists(st.integers(0, 4), max_size=3),
       transpose=st.booleans(), src_dtype=st.sampled_from([ember.float32, ember.float64, ember.int64]),
       dtype=st.sampled_from(DTYPES), requires_grad=st.booleans())
def test_like_factories_match_the_python_path(name, shape, transpose, src_dtype, dtype, requires_grad):
    x = ember.zeros(shape, dtype=src_dtype)
    if transpose and x.ndim >= 2:
        x = x.transpose(0, -1)  # not row-major: the front hands it on (strides are preserved)
    kwargs = {"requires_grad": requires_grad}
    if dtype is not None:
        kwargs["dtype"] = dtype
    fast, slow = _both(name, x, **kwargs)
    if isinstance(slow, tuple):
        assert fast == slow
    else:
        _same(fast, slow, values=name != "empty_like")


@pytest.mark.parametrize("size", [(2, 3), [4], (), (0, 5)])
@pytest.mark.parametrize("value", [1.5, 3, True, -0.0, 2 ** 40])
@pytest.mark.parametrize("dtype", [None, ember.float64, ember.int32, ember.bool])
def test_full_matches_the_python_path(size, value, dtype):
    kwargs = {} if dtype is None else {"dtype": dtype}
    fast, slow = _both("full", size, value, **kwargs)
    if isinstance(slow, tuple):
        assert fast == slow
    else:
        _same(fast, slow)


def test_random_fronts_draw_from_the_default_generator_state():
    ember.manual_seed(7)
    state = ember.get_rng_state()
    a = [ember.rand(3), ember.randn(2, 2), ember.randn_like(ember.zeros(5))]
    ember.set_rng_state(state)
    b = [ember.rand.__wrapped__(3), ember.randn.__wrapped__(2, 2), ember.randn_like.__wrapped__(ember.zeros(5))]
    for x, y in zip(a, b):
        assert ember.equal(x, y)
    g = ember.Generator().manual_seed(3)
    assert ember.equal(ember.rand(4, generator=g), ember.rand(4, generator=ember.Generator().manual_seed(3)))


def test_declined_calls_keep_their_meaning():
    assert ember.zeros(2, device="meta").device.type == "meta"
    with ember.device("meta"):
        assert ember.zeros(2).device.type == "meta"
        assert ember.randn(3).device.type == "meta"
    ember.set_default_device("meta")
    try:
        assert ember.ones(2).device.type == "meta"
        assert ember.full((2,), 1.0).device.type == "meta"
    finally:
        ember.set_default_device(None)
    assert ember.zeros(2).device.type == "cpu"
    out = ember.empty(3)
    assert ember.zeros(3, out=out) is out and ember.equal(out, ember.zeros(3))
    assert ember.zeros(size=(2, 3)).shape == (2, 3)
    x = ember.ones(3, 4).t()
    assert ember.zeros_like(x).stride() == x.stride() == (1, 4)  # preserve_format
    assert ember.zeros_like(x, memory_format=ember.contiguous_format).stride() == (3, 1)
    assert ember.ones_like(ember.zeros(2, device="meta")).device.type == "meta"


@pytest.mark.parametrize("call, err", [
    (lambda: ember.zeros(-1), RuntimeError),
    (lambda: ember.zeros(2, 3.0), TypeError),
    (lambda: ember.zeros(True), TypeError),
    (lambda: ember.ones("2"), TypeError),
    (lambda: ember.rand(2, dtype=ember.int64), RuntimeError),
    (lambda: ember.zeros(2, dtype=ember.int64, requires_grad=True), RuntimeError),
    (lambda: ember.full((2,), 1, requires_grad=True), RuntimeError),
    (lambda: ember.zeros(2, device="cuda"), RuntimeError),
    (lambda: ember.zeros_like(3), TypeError),
    (lambda: ember.zeros(2, dtype="float32"), TypeError),
    (lambda: ember.empty(2 ** 62, 2 ** 62), RuntimeError),
])
def test_errors_are_the_python_paths(call, err):
    with pytest.raises(err):
        call()


def test_size_of_dim_matches_the_rules():
    for shape in [(), (3,), (2, 5), (1, 0, 4)]:
        x = ember.zeros(shape)
        n = max(len(shape), 1)
        for d in range(-n - 2, n + 2):
            try:
                want = ember._tensor._size(x, d)
            except IndexError as e:
                with pytest.raises(IndexError) as got:
                    x.size(d)
                assert str(got.value) == str(e)
            else:
                assert x.size(d) == x.size(dim=d) == want
        assert x.size() == x.shape and isinstance(x.size(), ember.Size)
    with pytest.raises(ValueError, match="Overflow"):
        ember.zeros(2).size(2 ** 70)


def test_view_takes_a_shape_tuple_or_a_dtype():
    x = ember.arange(10.0)
    assert x.view((2, 5)).shape == (2, 5) and x.view([5, 2]).shape == (5, 2)
    assert x.view(ember.Size([2, 5])).shape == (2, 5)
    assert x.view(ember.int32).dtype == ember.int32
    assert x.to("cpu") is x and x.to(ember.float64).dtype == ember.float64


@pytest.mark.parametrize("data", [[1.0, 2.0], [[1, 2], [3, 4]], (1.5, True), [], [[]], [True, False], [1, 2.5, 3],
                                  [ember.tensor(1.0), 2], [[1], [2, 3]], [1, "a"], [2 ** 70], (3 + 1j, 1)])
@pytest.mark.parametrize("dtype", [None, ember.float64, ember.int32, ember.uint8])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_tensor_of_nested_data_matches_the_python_path(data, dtype, requires_grad):
    kwargs = {"requires_grad": requires_grad}
    if dtype is not None:
        kwargs["dtype"] = dtype
    fast, slow = _both("tensor", data, **kwargs)
    if isinstance(slow, tuple):
        assert fast == slow
    else:
        _same(fast, slow)


def test_reductions_return_their_named_tuples():
    x = ember.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    r = x.max(1)
    assert type(r) is ember.return_types.max and r._fields == ("values", "indices")
    assert r.values.tolist() == [5.0, 6.0] and r.indices.tolist() == [1, 2]
    v, i = x.min(0)
    assert v.tolist() == [1.0, 2.0, 3.0] and i.tolist() == [0, 1, 0]
    assert repr(r).startswith("ember.return_types.max(")
    assert pickle.loads(pickle.dumps(r)).values.tolist() == [5.0, 6.0]


@pytest.mark.parametrize("args, kwargs", [
    ((5,), {}), ((2, 7), {}), ((1, 2, 0.25), {}), ((5.0,), {}), ((3,), {"dtype": ember.float64}),
    ((0, 10, 3), {"requires_grad": False}), ((0.0, 1.0, 0.1), {"requires_grad": True}), ((0, 1, 0), {}),
    ((5,), {"requires_grad": True}), ((-3, 3), {"device": "cpu"}), ((2 ** 70,), {}), ((True,), {}),
])
def test_arange_matches_the_python_path(args, kwargs):
    fast, slow = _both("arange", *args, **kwargs)
    if isinstance(slow, tuple):
        assert fast == slow
    else:
        _same(fast, slow)


def _operands():
    a = ember.arange(10.0).reshape(2, 5)
    b = ember.arange(10.0, 20.0).reshape(2, 5)
    return a, b, a.t(), ember.arange(3, dtype=ember.int64), ember.ones(2, 5, requires_grad=True)


@pytest.mark.parametrize("name", ["cat", "stack"])
@pytest.mark.parametrize("case", range(9))
def test_cat_and_stack_match_the_python_path(name, case):
    a, b, at, i, g = _operands()
    args, kwargs = [
        (([a, b],), {}), (((a, b), 1), {}), (([a, b],), {"dim": -1}), (([a, g],), {}), (([a, i.float()],), {}),
        (([a, at],), {}), (([],), {}), ((a,), {}), (([a, b], 1.0), {}),
    ][case]
    fast, slow = _both(name, *args, **kwargs)
    if isinstance(slow, tuple):
        assert fast == slow
    else:
        _same(fast, slow)
        assert (fast.grad_fn is None) == (slow.grad_fn is None)


@pytest.mark.parametrize("name", ["mm", "matmul"])
def test_products_match_the_python_path(name):
    a, b, at, i, g = _operands()
    p = ember.nn.Parameter(ember.ones(5, 3))
    for x, y in [(a, at), (at, a), (g, at), (a, p), (a, b), (a, ember.ones(5))]:
        fast, slow = _both(name, x, y)
        if isinstance(slow, tuple):
            assert fast == slow
        else:
            _same(fast, slow)
            assert type(fast.grad_fn) is type(slow.grad_fn)
    out = ember.empty(2, 2)
    assert getattr(ember, name)(a, at, out=out) is out and ember.equal(out, a @ at)
