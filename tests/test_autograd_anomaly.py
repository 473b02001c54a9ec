"""Anomaly mode: the first backward node returning NaN/Inf raises, naming itself and
showing the forward call that created it."""
import pytest

import ember
from ember import autograd


class NanGrad(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return g * float("nan")


def make_division(a, b):
    return a / b  # the forward call anomaly mode must point at


def test_nan_in_backward_names_node_and_forward_trace():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with autograd.detect_anomaly():
            y = make_division(a, b)
            with pytest.raises(RuntimeError) as e:
                y.sum().backward()
    msg = str(e.value)
    assert msg.startswith("Function 'DivBackward0' returned nan values in its 0th output.")
    assert "make_division" in msg and "return a / b" in msg
    assert not autograd.grad_mode.is_grad_enabled() or True
    assert not ember._native.is_anomaly_enabled()


def test_custom_function_nan():
    a = ember.tensor([1.0], requires_grad=True)
    with autograd.set_detect_anomaly(True):
        y = NanGrad.apply(a) * 2
        with pytest.raises(RuntimeError, match="Function 'NanGradBackward' returned nan values in its 0th output."):
            y.sum().backward()


def test_no_check_without_anomaly_mode():
    a = ember.tensor([1.0], requires_grad=True)
    NanGrad.apply(a).sum().backward()
    assert a.grad.tolist()[0] != a.grad.tolist()[0]  # NaN, no error


def test_check_nan_false():
    a = ember.tensor([1.0], requires_grad=True)
    with autograd.set_detect_anomaly(True, check_nan=False):
        NanGrad.apply(a).sum().backward()
    assert not ember._native.is_anomaly_enabled()


def test_trace_captured_only_in_anomaly_mode():
    a = ember.tensor([1.0], requires_grad=True)
    assert (a * 2).grad_fn._forward_trace() is None
    with autograd.set_detect_anomaly(True):
        y = a * 2
    assert "test_trace_captured_only_in_anomaly_mode" in y.grad_fn._forward_trace()


def test_detect_anomaly_as_decorator():
    @autograd.detect_anomaly()
    def f():
        return ember._native.is_anomaly_enabled()

    with pytest.warns(UserWarning):
        assert f()
    assert not ember._native.is_anomaly_enabled()


def test_anomaly_mode_is_process_wide():
    import threading

    seen = []
    with autograd.set_detect_anomaly(True):
        t = threading.Thread(target=lambda: seen.append(ember._native.is_anomaly_enabled()))
        t.start()
        t.join()
    assert seen == [True]
