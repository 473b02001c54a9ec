"""Keyword names PyTorch's hot Tensor methods accept, bound natively (no Python wrapper):
sum/mean(axis=), reshape(shape=), view(size=), permute(dims=), expand(size=), flip(dims=),
repeat(repeats=); div's rounding_mode error."""
import numpy as np
import pytest

import ember


def test_keyword_forms_match_positional():
    x = ember.arange(6.0).reshape(2, 3)
    a = x.numpy()
    np.testing.assert_array_equal(x.sum(axis=0).numpy(), a.sum(axis=0))
    np.testing.assert_array_equal(x.sum(axis=1, keepdim=True).numpy(), a.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(x.mean(axis=(0, 1)).numpy(), a.mean())
    assert tuple(x.reshape(shape=(3, 2)).shape) == (3, 2)
    assert tuple(x.view(size=(6,)).shape) == (6,)
    assert tuple(x.permute(dims=(1, 0)).shape) == (3, 2)
    assert tuple(ember.ones(1, 3).expand(size=(4, 3)).shape) == (4, 3)
    np.testing.assert_array_equal(x.flip(dims=(1,)).numpy(), a[:, ::-1])
    np.testing.assert_array_equal(x.repeat(repeats=(2, 1)).numpy(), np.tile(a, (2, 1)))
    assert tuple(ember.reshape(input=x, shape=(6,)).shape) == (6,)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(0, axis=0),
    lambda x: x.reshape((6,), shape=(6,)),
    lambda x: x.view(6, size=(6,)),
    lambda x: x.permute(1, 0, dims=(1, 0)),
    lambda x: x.flip(0, dims=(0,)),
    lambda x: x.repeat(1, 1, repeats=(1, 1)),
])
def test_both_forms_at_once_is_a_type_error(call):
    with pytest.raises(TypeError, match="multiple values"):
        call(ember.ones(2, 3))


def test_div_bad_rounding_mode_is_runtime_error():
    x = ember.ones(2)
    with pytest.raises(RuntimeError, match="rounding_mode to be one of None, 'trunc', or 'floor' but found 'bad'"):
        x.div(2, rounding_mode="bad")
    with pytest.raises(RuntimeError):
        ember.div(x, 2, rounding_mode="bad")
