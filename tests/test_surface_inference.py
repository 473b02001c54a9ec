"""is_inference: tensors made under inference_mode are flagged; PyTorch's errors when one is
updated in place outside inference mode, asked to require grad, or saved for backward."""
import pytest

import ember


def test_flag_follows_the_mode_and_views():
    with ember.inference_mode():
        i = ember.ones(3)
        v_in = i.view(3)
    n = ember.ones(3)
    assert i.is_inference() and ember.is_inference(i) and v_in.is_inference()
    assert not n.is_inference() and not ember.is_inference(n)
    assert i.view(1, 3).is_inference() and i[0:2].is_inference() and i.detach().is_inference()
    assert not (i + 1).is_inference()  # a normal op outside the mode makes a normal tensor
    assert not i.clone().is_inference()
    with ember.no_grad():
        assert not ember.ones(1).is_inference()
    with ember.inference_mode(False):
        assert not ember.ones(1).is_inference()
    with pytest.raises(TypeError):
        ember.is_inference([1.0])


def test_in_place_outside_the_mode_refuses():
    # ember checks where an in-place op consults autograd (check_inplace): in-place geometry
    # ops always, arithmetic ones when the update would be recorded.
    with ember.inference_mode():
        i = ember.ones(3)
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode is not allowed"):
        i.add_(w)
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor"):
        i.t_()
    with ember.no_grad():
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor"):
            i.unsqueeze_(0)
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor"):
        i.resize_(5)
    assert i.tolist() == [1.0, 1.0, 1.0]
    with ember.inference_mode():
        i.add_(1)
        assert i.unsqueeze_(0) is i
    assert i.tolist() == [[2.0, 2.0, 2.0]]


def test_requires_grad_outside_the_mode_refuses():
    with ember.inference_mode():
        i = ember.ones(3)
    with pytest.raises(RuntimeError, match="Setting requires_grad=True on inference tensor outside InferenceMode"):
        i.requires_grad_()
    assert not i.requires_grad


def test_inference_tensor_in_autograd():
    with ember.inference_mode():
        i = ember.full((3,), 2.0)
    w = ember.ones(3, requires_grad=True)
    (w + i).sum().backward()  # add saves nothing: fine, as in PyTorch
    assert w.grad.tolist() == [1.0, 1.0, 1.0]
    w.grad = None
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        (w * i).sum().backward()
    (w * i.clone()).sum().backward()  # the documented workaround
    assert w.grad.tolist() == [2.0, 2.0, 2.0]
