"""In-place geometry (t_, transpose_, swapdims_/swapaxes_, squeeze_, unsqueeze_, as_strided_,
resize_, resize_as_, set_): the same Python object takes the new geometry; values, shapes and
strides match NumPy's view of the same operation; autograd and errors as PyTorch's."""
import gc

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from strategies import FLOAT, np_of, strided_pair


VIEW_CASES = [
    ("t_", (), lambda a: a.T),
    ("transpose_", (0, -1), lambda a: np.swapaxes(a, 0, -1)),
    ("swapdims_", (0, 1), lambda a: np.swapaxes(a, 0, 1)),
    ("swapaxes_", (-1, 0), lambda a: np.swapaxes(a, -1, 0)),
    ("unsqueeze_", (1,), lambda a: np.expand_dims(a, 1)),
]


def _geometry_oracle(t):
    """A NumPy array with ``t``'s shape and (element) strides, for NumPy to transform; its data is
    never read."""
    return np.lib.stride_tricks.as_strided(np.zeros(1), shape=tuple(t.shape), strides=[s * 8 for s in t.stride()])


@settings(max_examples=30, deadline=None)
@given(strided_pair(dtypes=FLOAT, min_dims=2, max_dims=2), st.sampled_from(VIEW_CASES))
def test_view_ops_in_place_match_numpy(pair, case):
    x, a = pair
    name, args, ref = case
    geom = ref(_geometry_oracle(x))
    keep = x
    assert getattr(x, name)(*args) is keep
    want = ref(a)
    assert tuple(x.shape) == want.shape
    np.testing.assert_array_equal(np_of(x), want)
    if x.numel():  # strides of size-1 dims are free (PyTorch doesn't normalise them either)
        assert [s for s, n in zip(x.stride(), x.shape) if n > 1] == [
            s // 8 for s, n in zip(geom.strides, geom.shape) if n > 1]


def test_squeeze_forms():
    x = ember.zeros(1, 2, 1, 3)
    assert x.squeeze_(2) is x and tuple(x.shape) == (1, 2, 3)
    assert tuple(x.squeeze_((0,)).shape) == (2, 3)
    y = ember.zeros(1, 2, 1)
    assert tuple(y.squeeze_().shape) == (2,)
    with pytest.raises(IndexError):
        ember.zeros(2).squeeze_(3)


def test_t_refuses_3d_and_keeps_the_tensor():
    x = ember.zeros(1, 2, 3)
    with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        x.t_()
    assert tuple(x.shape) == (1, 2, 3)


def test_in_place_view_op_keeps_storage_and_aliasing():
    x = ember.arange(6.0).reshape(2, 3)
    base = x.untyped_storage().data_ptr()
    other_view = x[0]
    x.t_()
    assert x.untyped_storage().data_ptr() == base and x.stride() == (1, 3)
    x[0, 1] = 100.0  # element (1, 0) of the old geometry
    assert ember.arange(6.0).reshape(2, 3).t()[0, 1].item() == 3.0
    assert other_view.tolist() == [0.0, 1.0, 2.0]
    assert x.t().tolist()[1][0] == 100.0


def test_versions_bump_as_pytorch():
    x = ember.arange(6.0)
    v = x._version
    x.resize_(2, 3)
    x.t_()
    x.set_(ember.ones(2))
    assert x._version >= 1 and v == 0


def test_identity_is_kept_for_subclasses_and_attributes():
    p = ember.nn.Parameter(ember.ones(2, 3), requires_grad=False)
    p.tag = "kept"
    assert p.t_() is p and isinstance(p, ember.nn.Parameter) and p.tag == "kept"
    assert tuple(p.shape) == (3, 2)


def test_leaf_requiring_grad_refuses():
    w = ember.ones(2, 3, requires_grad=True)
    for f in (lambda: w.t_(), lambda: w.unsqueeze_(0), lambda: w.as_strided_((3,), (1,)),
              lambda: w.set_(ember.ones(3))):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            f()
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        w.resize_(6)
    assert tuple(w.shape) == (2, 3)
    with ember.no_grad():  # PyTorch allows in-place on leaves under no_grad
        assert tuple(w.t_().shape) == (3, 2) and w.requires_grad and w.is_leaf


def test_view_of_leaf_refuses():
    w = ember.ones(2, 3, requires_grad=True)
    v = w[0:1]
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        v.t_()


def test_autograd_through_in_place_views():
    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    y = x * 2
    y.t_()
    assert y.grad_fn is not None and y.grad_fn.name() == "TBackward0"
    y.unsqueeze_(0)
    assert y.grad_fn.name() == "UnsqueezeBackward0"
    w = ember.randn(1, 3, 2, dtype=ember.float64)
    (y * w).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * w[0].numpy().T)


def test_gradcheck_in_place_view_chain():
    def f(a):
        b = a * 1.0
        b.t_()
        b.squeeze_()
        return b.sin()

    a = ember.randn(3, 1, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(f, (a,))


def test_as_strided_in_place():
    x = ember.arange(10.0)
    assert x.as_strided_((2, 3), (3, 1), 1) is x
    np.testing.assert_array_equal(x.numpy(), np.arange(10.0)[1:7].reshape(2, 3))
    with pytest.raises(RuntimeError):
        ember.ones(2).as_strided_((3,), (1,))
    with pytest.raises(RuntimeError):
        ember.ones(6).as_strided_((3,), (1,), 5)


# ---- resize_ -------------------------------------------------------------------------------

def test_resize_shrink_keeps_storage_and_values():
    x = ember.arange(6.0)
    y = x[1:4]
    ptr = x.untyped_storage().data_ptr()
    assert x.resize_(2) is x and x.tolist() == [0.0, 1.0]
    assert x.untyped_storage().data_ptr() == ptr
    x[1] = 50.0
    assert y.tolist() == [50.0, 2.0, 3.0]  # still aliases


def test_resize_grow_copies_old_values():
    x = ember.arange(4.0)
    x.resize_(2, 5)
    assert tuple(x.shape) == (2, 5) and x.stride() == (5, 1)
    assert x.reshape(-1)[:4].tolist() == [0.0, 1.0, 2.0, 3.0]
    x.fill_(7.0)
    assert x.sum().item() == 70.0


def test_resize_same_shape_keeps_strides():
    x = ember.ones(2, 3).t()
    assert x.resize_(3, 2).stride() == (1, 3)
    assert x.resize_(2).stride() == (1,)


def test_resize_keeps_offset_of_a_view():
    base = ember.arange(10.0)
    v = base[4:6]
    v.resize_(3)
    assert v.storage_offset() == 4 and v.tolist() == [4.0, 5.0, 6.0]
    assert v.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()


def test_resize_memory_format_and_resize_as():
    x = ember.empty(0).resize_(2, 3, 4, 5, memory_format=ember.channels_last)
    assert x.stride() == (60, 1, 15, 3) and x.is_contiguous(memory_format=ember.channels_last)
    y = ember.empty(0)
    assert y.resize_as_(ember.ones(4, 2)) is y and tuple(y.shape) == (4, 2)
    assert ember.empty(0).resize_([3, 1]).shape == (3, 1)


@pytest.mark.parametrize("sizes", [(-1,), (2 ** 62, 2 ** 62), (2 ** 40, 2 ** 40, 2 ** 10)])
def test_resize_bad_sizes_raise_and_keep_the_tensor(sizes):
    x = ember.ones(2)
    with pytest.raises(RuntimeError):
        x.resize_(*sizes)
    assert x.tolist() == [1.0, 1.0]


def test_resize_foreign_storage_refuses_to_grow():
    a = np.zeros(3, dtype=np.float32)
    x = ember.from_numpy(a)
    x.resize_(2)  # shrinking keeps the numpy memory
    assert x.data_ptr() == a.ctypes.data
    with pytest.raises(RuntimeError, match="not resizable"):
        x.resize_(10)


def test_resize_type_errors():
    with pytest.raises(TypeError):
        ember.ones(2).resize_(2.5)
    with pytest.raises(TypeError):
        ember.ones(2).resize_as_([1, 2])


# ---- set_ ----------------------------------------------------------------------------------

def test_set_forms():
    src = ember.arange(10.0)
    x = ember.ones(2)
    assert x.set_(src) is x and x.tolist() == src.tolist()
    x[0] = -1.0
    assert src[0].item() == -1.0  # shares the storage
    e = ember.ones(3).set_()
    assert tuple(e.shape) == (0,) and e.stride() == (1,)
    s = ember.arange(10.0).untyped_storage()
    y = ember.ones(2).set_(s, 2, (2, 2), (1, 2))
    assert y.tolist() == [[2.0, 4.0], [3.0, 5.0]]
    assert ember.ones(1).set_(s).tolist() == [float(i) for i in range(10)]
    assert ember.ones(1).set_(source=s, storage_offset=1, size=(2,), stride=(2,)).tolist() == [1.0, 3.0]
    assert ember.ones(1).set_(source=ember.ones(3)).tolist() == [1.0, 1.0, 1.0]
    typed = ember.arange(6.0).storage()
    assert ember.ones(1).set_(typed, 1, (2,), (1,)).tolist() == [1.0, 2.0]


def test_set_errors_leave_the_tensor_alone():
    x = ember.ones(2)
    with pytest.raises(RuntimeError, match="Could not set tensor of type long int to a tensor of type float"):
        x.set_(ember.arange(10))
    s = ember.arange(10.0).untyped_storage()
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 40"):
        x.set_(s, 8, (2, 2), (1, 2))
    with pytest.raises(RuntimeError):
        x.set_(s, -1, (2,), (1,))
    with pytest.raises(TypeError):
        x.set_(3)
    assert x.tolist() == [1.0, 1.0]


def test_set_on_non_leaf_is_not_differentiable():
    a = ember.ones(3, requires_grad=True)
    b = a * 2
    b.set_(ember.ones(6))
    assert b.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for 'set_' is not implemented"):
        b.sum().backward()


def test_many_swaps_do_not_break_identity_or_memory():
    x = ember.zeros(2, 3)
    for _ in range(100):
        x.t_()
    assert tuple(x.shape) == (2, 3)
    ref = ember.zeros(4)
    ref.resize_(8)
    del ref
    gc.collect()


def test_function_forms():
    x = ember.arange(6.0)
    assert ember.as_strided_(x, (2, 2), (1, 2), 1) is x and x.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    y = ember.empty(0)
    assert ember.resize_as_(y, ember.ones(3, 2)) is y and tuple(y.shape) == (3, 2)
    with pytest.raises(TypeError):
        ember.resize_as_([1.0], y)
