import ember


def test_transpose_shares_storage():
    x = ember.arange(6, dtype=ember.float32).reshape(2, 3)
    y = x.t()
    assert y.stride() == (1, 3)
    assert y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    y[1, 0] = 7.0
    assert x[0, 1].item() == 7.0


def test_backward_mul_sum():
    a = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (a * a).sum().backward()
    assert a.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]
