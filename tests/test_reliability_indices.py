"""Issue 19, index bounds: each op takes the indices PyTorch takes and raises PyTorch's error
for the others — on the CPU, through autograd, on meta (no values, no checks) and on wgpu
(where the error comes from the kernels' error flag at the next read, with the CPU's type).
Also: size arguments beyond int64 are TypeErrors, and fused optimizer steps never alias.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import ember
import ember.nn.functional as F
from conftest import requires_wgpu
from strategies import strided_pair

X = [0.0, 1.0, 2.0]


def fresh():
    return ember.tensor(X)


def idx(*v):
    return ember.tensor(list(v))


# ---- 1. negative and out-of-range indices, CPU ----

GATHER_FAMILY = {
    "gather": lambda x, i: x.gather(0, i),
    "scatter_ value": lambda x, i: x.scatter_(0, i, 5.0),
    "scatter_ src": lambda x, i: x.scatter_(0, i, ember.ones(1)),
    "scatter": lambda x, i: x.scatter(0, i, ember.ones(1)),
    "scatter_add_": lambda x, i: x.scatter_add_(0, i, ember.ones(1)),
    "scatter_add": lambda x, i: x.scatter_add(0, i, ember.ones(1)),
    "scatter_reduce_": lambda x, i: x.scatter_reduce_(0, i, ember.ones(1), "amax"),
    "scatter_reduce mean": lambda x, i: x.scatter_reduce(0, i, ember.ones(1), "mean", include_self=False),
}


@pytest.mark.parametrize("op", list(GATHER_FAMILY))
@pytest.mark.parametrize("bad", [-1, -3, -4, 3, 7])
def test_gather_scatter_family_refuse_negative_and_large_indices(op, bad):
    x = fresh()
    with pytest.raises(RuntimeError, match=f"^index {bad} is out of bounds for dimension 0 with size 3$"):
        GATHER_FAMILY[op](x, idx(bad))
    assert x.tolist() == X  # nothing written before the error


SELECT_FAMILY = {
    "index_select": lambda x, i: x.index_select(0, i),
    "ember.index_select": lambda x, i: ember.index_select(x, 0, i),
    "index_add_": lambda x, i: x.index_add_(0, i, ember.ones(1)),
    "index_add": lambda x, i: x.index_add(0, i, ember.ones(1), alpha=2),
}


@pytest.mark.parametrize("op", list(SELECT_FAMILY))
@pytest.mark.parametrize("bad", [-1, -4, 3])
@pytest.mark.parametrize("itype", [ember.int64, ember.int32])
def test_index_select_and_add_refuse_negative_and_large_indices(op, bad, itype):
    x = fresh()
    with pytest.raises(IndexError, match="^index out of range in self"):
        SELECT_FAMILY[op](x, idx(bad).to(itype))
    assert x.tolist() == X


@pytest.mark.parametrize("bad", [-1, -4, 3])
def test_index_copy_refuses_negative_and_large_indices(bad):
    x = fresh()
    for f in (lambda: x.index_copy_(0, idx(bad), ember.ones(1)), lambda: x.index_copy(0, idx(bad), ember.ones(1))):
        with pytest.raises(IndexError, match=rf"^index_copy_\(\): index {bad} is out of bounds for dimension 0 with size 3$"):
            f()
    assert x.tolist() == X


def test_higher_dims_name_the_dim():
    y = ember.zeros(2, 3)
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 1 with size 3"):
        y.gather(1, ember.tensor([[-1]]))
    with pytest.raises(IndexError, match=r"index out of range in self \(index -1, dim 1 with size 3\)"):
        y.index_select(1, idx(-1))
    with pytest.raises(IndexError, match="index_copy_\\(\\): index -1 is out of bounds for dimension 1 with size 3"):
        y.index_copy_(1, idx(-1), ember.ones(2, 1))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 0 with size 1"):
        ember.tensor(5.0).gather(0, ember.tensor(-1))
    with pytest.raises(IndexError, match="index out of range in self"):
        ember.tensor(5.0).index_select(0, idx(-1))


def test_ops_that_wrap_negative_indices_still_do():
    x = fresh()
    assert x.clone().index_fill_(0, idx(-1), 7.0).tolist() == [0.0, 1.0, 7.0]
    assert x.take(idx(-1)).tolist() == [2.0]
    assert x.clone().put_(idx(-1), ember.tensor([9.0])).tolist() == [0.0, 1.0, 9.0]
    assert ember.take_along_dim(x, idx(-1), 0).tolist() == [2.0]
    assert ember.take_along_dim(ember.arange(6.0).reshape(2, 3), ember.tensor([[-1], [0]]), 1).tolist() == [[2.0], [3.0]]
    assert x[idx(-1)].tolist() == [2.0]
    y = x.clone()
    y[idx(-1)] = 4.0
    assert y.tolist() == [0.0, 1.0, 4.0]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        x.index_fill_(0, idx(-4), 1.0)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(idx(-1), ember.zeros(3, 2))


def test_take_along_dim_without_dim_is_a_flat_gather():
    # PyTorch: with dim=None the indices index the flattened tensor through gather (no wrap)
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 0 with size 3"):
        ember.take_along_dim(fresh(), idx(-1))
    with pytest.raises(RuntimeError, match="index 3 is out of bounds"):
        ember.take_along_dim(fresh(), idx(0), 0).sum() + ember.take_along_dim(fresh(), idx(3), 0).sum()


@settings(max_examples=40, deadline=None)
@given(strided_pair(min_dims=1, max_dims=3), st.data())
def test_gather_and_index_select_on_strided_inputs(pair, data):
    t, a = pair
    assume(min(a.shape) > 0)
    d = data.draw(st.integers(0, a.ndim - 1))
    n = a.shape[d]
    vals = data.draw(st.lists(st.integers(-n - 1, n + 1), min_size=1, max_size=4))
    i = ember.tensor(vals)
    before = t.tolist()
    if all(0 <= v < n for v in vals):
        assert np.array_equal(np.asarray(t.index_select(d, i).tolist()), np.take(a, vals, axis=d))
        shape = list(a.shape)
        shape[d] = len(vals)
        gi = np.broadcast_to(np.asarray(vals).reshape([-1 if k == d else 1 for k in range(a.ndim)]), shape)
        got = t.gather(d, ember.tensor(gi.copy()))
        assert np.array_equal(np.asarray(got.tolist()), np.take_along_axis(a, gi, axis=d))
    else:
        with pytest.raises(IndexError, match="index out of range in self"):
            t.index_select(d, i)
        shape = [1] * a.ndim
        shape[d] = len(vals)
        with pytest.raises(RuntimeError, match="is out of bounds for dimension"):
            t.gather(d, i.reshape(shape))
    assert t.tolist() == before


# ---- autograd: the backward's scatter/index_add see only the forward's (valid) indices ----

def test_backward_of_gather_and_index_select_accepts_valid_indices():
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    i = ember.tensor([[2, 0, 1, 2]])
    assert ember.autograd.gradcheck(lambda x: x.gather(0, i), (x,))
    assert ember.autograd.gradcheck(lambda x: x.index_select(1, ember.tensor([3, 0, 3])), (x,))
    assert ember.autograd.gradcheck(lambda x: x.scatter_add(0, i, x[:1] * 2), (x,))
    assert ember.autograd.gradcheck(lambda x: x.index_add(1, ember.tensor([1, 1]), x[:, :2]), (x,))
    assert ember.autograd.gradcheck(lambda x: ember.take_along_dim(x, ember.tensor([[-1], [0], [1]]), 1), (x,))


def test_losses_and_sparse_callers_keep_working():
    x = ember.randn(4, 3, requires_grad=True)
    loss = F.cross_entropy(x, ember.tensor([0, 2, -100, 1]), ignore_index=-100)
    loss.backward()
    assert x.grad.shape == (4, 3)
    s = ember.tensor([[0.0, 2.0], [3.0, 0.0]]).to_sparse()
    assert (s + s).to_dense().tolist() == [[0.0, 4.0], [6.0, 0.0]]
    assert ember.sparse.mm(s, ember.eye(2)).tolist() == [[0.0, 2.0], [3.0, 0.0]]


def test_meta_has_no_values_to_check():
    m = ember.empty(3, device="meta")
    i = ember.tensor([-1], device="meta")
    assert m.gather(0, i).shape == (1,)
    assert m.index_select(0, i).shape == (1,)
    assert m.clone().scatter_add_(0, i, ember.empty(1, device="meta")).shape == (3,)


# ---- 2. wgpu: the error flag carries which error to raise ----

def wg(t):
    return t.to("wgpu")


WGPU_CASES = {
    "gather": (lambda: wg(fresh()).gather(0, wg(idx(5))), RuntimeError, "index 5 is out of bounds for dimension 0 with size 3"),
    "gather negative": (lambda: wg(fresh()).gather(0, wg(idx(-1))), RuntimeError, "index -1 is out of bounds for dimension 0"),
    "gather beyond 2**32": (lambda: wg(fresh()).gather(0, wg(idx(2**32 + 1))), RuntimeError, f"index {2**32 + 1} is out of"),
    "scatter_add_": (lambda: wg(fresh()).scatter_add_(0, wg(idx(7)), wg(ember.ones(1))), RuntimeError,
                     "index 7 is out of bounds for dimension 0 with size 3"),
    "index_select": (lambda: wg(fresh()).index_select(0, wg(idx(-1))), IndexError, "index out of range in self"),
    "index_add_": (lambda: wg(fresh()).index_add_(0, wg(idx(3)), wg(ember.ones(1))), IndexError, "index out of range in self"),
    "embedding": (lambda: F.embedding(wg(idx(3)), wg(ember.zeros(3, 2))), IndexError, "index out of range in self"),
    "cross_entropy": (lambda: F.cross_entropy(wg(ember.randn(2, 3)), wg(idx(0, 9))), IndexError, "Target 9 is out of bounds"),
    "nll_loss": (lambda: F.nll_loss(wg(ember.randn(2, 3)), wg(idx(-2, 0))), IndexError, "Target -2 is out of bounds"),
    "nll_loss weighted": (lambda: F.nll_loss(wg(ember.randn(2, 3)), wg(idx(0, 4)), weight=wg(ember.ones(3))), IndexError,
                          "out of"),
}


@requires_wgpu
@pytest.mark.parametrize("case", list(WGPU_CASES))
def test_wgpu_bad_indices_raise_the_cpus_error(case):
    fn, exc, msg = WGPU_CASES[case]
    with pytest.raises(exc, match=msg):
        fn().cpu()  # the read is the synchronisation point
    # the flag was cleared by the read that raised: the device is usable again
    assert wg(fresh()).gather(0, wg(idx(2, 0))).cpu().tolist() == [2.0, 0.0]


@requires_wgpu
def test_wgpu_error_surfaces_at_an_unrelated_read_and_valid_indices_match_cpu():
    x = wg(ember.arange(6.0).reshape(2, 3))
    bad = x.gather(1, wg(ember.tensor([[3], [0]])))
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 1 with size 3"):
        wg(ember.ones(2)).cpu()  # another tensor's read reports it
    del bad
    i = ember.tensor([[2, 0], [1, 1]])
    assert x.gather(1, wg(i)).cpu().tolist() == ember.arange(6.0).reshape(2, 3).gather(1, i).tolist()
    assert x.index_select(1, wg(idx(2, 0))).cpu().tolist() == [[2.0, 0.0], [5.0, 3.0]]


# ---- 4. size arguments beyond int64: TypeError, as PyTorch's argument parser ----

BIG = [2**63, 2**64, -(2**64)]
SIZE_CALLS = {
    "zeros": lambda n: ember.zeros(n),
    "zeros tuple": lambda n: ember.zeros((2, n)),
    "ones": lambda n: ember.ones(2, n),
    "empty": lambda n: ember.empty(n),
    "full": lambda n: ember.full((n,), 1.0),
    "rand": lambda n: ember.rand(n),
    "randn": lambda n: ember.randn(n),
    "randint": lambda n: ember.randint(3, (n,)),
    "empty_strided": lambda n: ember.empty_strided((n,), (1,)),
    "view": lambda n: ember.zeros(3).view(n),
    "view -1": lambda n: ember.zeros(3).view(-1, n),
    "reshape": lambda n: ember.zeros(3).reshape(n),
    "expand": lambda n: ember.zeros(1).expand(n),
    "repeat": lambda n: ember.zeros(3).repeat(n),
    "new_zeros": lambda n: ember.zeros(3).new_zeros(n),
    "new_empty": lambda n: ember.zeros(3).new_empty((n,)),
    "new_ones": lambda n: ember.zeros(3).new_ones(n),
    "new_full": lambda n: ember.zeros(3).new_full((n,), 1.0),
    "new": lambda n: ember.zeros(3).new(n),
    "resize_": lambda n: ember.zeros(3).resize_(n),
}


@pytest.mark.parametrize("call", list(SIZE_CALLS))
@pytest.mark.parametrize("n", BIG)
def test_sizes_beyond_int64_are_type_errors(call, n):
    with pytest.raises(TypeError, match="Overflow when unpacking long long"):
        SIZE_CALLS[call](n)


def test_negative_and_largest_sizes_keep_their_errors():
    for f in (lambda: ember.zeros(-1), lambda: ember.empty(2, -3), lambda: ember.zeros(3).new_zeros(-1)):
        with pytest.raises(RuntimeError, match="Trying to create tensor with negative dimension"):
            f()
    with pytest.raises(RuntimeError, match="invalid for input of size 3"):
        ember.zeros(3).view(2**63 - 1)
    with pytest.raises(RuntimeError, match="overflow"):
        ember.empty(2**62, 2**62)


# ---- 5. fused optimizer steps: no two operands alias ----

def test_optimizer_step_with_a_gradient_sharing_the_parameters_memory():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0, 4.0]))
    p.grad = p.detach()  # the same memory as p
    ember.optim.SGD([p], lr=0.5).step()
    assert p.tolist() == [0.5, 1.0, 2.0]
    q = ember.nn.Parameter(ember.tensor([1.0, 2.0, 4.0]))
    q.grad = q.detach()
    opt = ember.optim.Adam([q], lr=0.1)
    opt.step()
    r = ember.nn.Parameter(ember.tensor([1.0, 2.0, 4.0]))
    r.grad = r.detach().clone()
    ember.optim.Adam([r], lr=0.1).step()
    assert q.tolist() == r.tolist()
