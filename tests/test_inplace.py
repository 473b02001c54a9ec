"""In-place ops: writing through views, PyTorch's errors, version counters, autograd."""
import pytest

import ember


def test_inplace_through_views():
    x = ember.zeros(3, 4)
    x[:, 1].add_(1)
    x.t()[2].mul_(0).add_(5)
    assert x[:, 1].tolist() == [1.0, 1.0, 1.0] and x[:, 2].tolist() == [5.0] * 3
    y = ember.tensor([[1.0, -2.0], [3.0, -4.0]])
    y[::1, 1].abs_()
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    z = ember.tensor([-1.0, 0.5, 2.0])
    for m in ("relu_", "exp_", "neg_", "sigmoid_", "tanh_"):
        getattr(z, m)()
    z.clamp_(0, 0.5)
    z.pow_(2).div_(2)
    assert len(z.tolist()) == 3


def test_operators_inplace_keep_identity():
    x = ember.ones(3)
    y = x
    x += 1
    x *= 3
    x -= 1
    x /= 5
    x **= 2
    x //= 1
    x %= 2
    assert x is y and x.tolist() == [1.0, 1.0, 1.0]
    i = ember.tensor([6, 3])
    i &= 2
    i |= 1
    i ^= 1
    i <<= 1
    i >>= 1
    assert i.tolist() == [2, 2]


def test_inplace_errors():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ember.tensor([1, 2]).add_(1.5)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ember.tensor([1, 2]).div_(2)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ember.tensor([1, 2]).exp_()
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        ember.ones(3).add_(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single memory location"):
        ember.ones(1).expand(3).mul_(2)
    with pytest.raises(RuntimeError, match="more than one element"):
        ember.ones(1).expand(3).relu_()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        ember.ones(2, requires_grad=True).exp_()
    x = ember.tensor([1.0, 2.0])
    before = x.tolist()
    with pytest.raises(RuntimeError):
        x.add_(ember.ones(3))
    assert x.tolist() == before  # bad input leaves it unchanged


def test_version_and_autograd():
    a = ember.tensor([0.5, 1.0], requires_grad=True)
    b = a * 1
    v = b._version
    b.exp_()
    assert b._version > v and b.grad_fn.name() == "ExpBackward0"
    b.sum().backward()
    assert [round(g, 6) for g in a.grad.tolist()] == [round(x, 6) for x in ember.tensor([0.5, 1.0]).exp().tolist()]
    # a saved tensor modified in place is detected
    c = ember.tensor([0.5, 1.0], requires_grad=True) * 1
    d = c.sigmoid()
    d.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        d.sum().backward()


def test_inplace_on_view_autograd():
    a = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    b[1:].mul_(ember.tensor([2.0, 3.0]))
    b.sum().backward()
    assert a.grad.tolist() == [1.0, 2.0, 3.0]


def test_masked_fill_and_compare_inplace():
    x = ember.tensor([1.0, 2.0, 3.0])
    x.masked_fill_(x > 1.5, 0.0)
    assert x.tolist() == [1.0, 0.0, 0.0]
    y = ember.tensor([1.0, 2.0])
    y.eq_(1.0)
    assert y.tolist() == [1.0, 0.0] and y.dtype == ember.float32
