"""Flatten parameters into one vector and back."""
from ...autograd import no_grad


def parameters_to_vector(parameters):
    import ember

    return ember.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    if not hasattr(vec, "shape"):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[pointer:pointer + n].view_as(p))
            pointer += n
