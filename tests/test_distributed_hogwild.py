"""Hogwild with ember.multiprocessing: worker processes train one shared-memory model."""
import os
import sys

import numpy as np

import ember

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import hogwild  # noqa: E402


def test_workers_train_the_parents_shared_model():
    ember.manual_seed(0)
    before = hogwild.loss_of(ember.nn.Linear(10, 1))
    model, counts = hogwild.run(procs=2, steps=150, lr=0.05)
    assert counts.tolist() == [150, 150]      # both workers ran, writing into shared memory
    after = hogwild.loss_of(model)            # the parent never trained: all it sees are shared writes
    assert after < 1e-2 * before, (before, after)
    _, _, w = hogwild.make_data()
    np.testing.assert_allclose(model.weight.detach().numpy().ravel(), w.numpy().ravel(), atol=0.05)
    np.testing.assert_allclose(model.bias.item(), 0.5, atol=0.05)
