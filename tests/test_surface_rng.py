"""ember.default_generator, get_rng_state/set_rng_state and Generator.get_state/set_state:
a saved state gives back exactly the draws that followed it, for every kind of draw."""
import pytest

import ember
import ember.nn.functional as F


def _draws(gen=None):
    kw = {} if gen is None else {"generator": gen}
    out = [ember.rand(3, **kw), ember.randn(5, **kw), ember.randint(0, 100, (7,), **kw), ember.randperm(9, **kw),
           ember.normal(0.0, 2.0, (3,), **kw), ember.bernoulli(ember.full((5,), 0.5), **kw),
           ember.empty(3).uniform_(-1, 1, **kw), ember.empty(5).normal_(**kw), ember.multinomial(ember.ones(4), 3, **kw)]
    if gen is None:
        out.append(F.dropout(ember.ones(9), 0.5))
    return out


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert ember.equal(x, y), (x, y)


@pytest.mark.parametrize("warmup", [0, 1, 3])  # odd counts of normals before saving, too
def test_set_rng_state_replays_every_kind_of_draw(warmup):
    ember.manual_seed(123)
    ember.randn(warmup)
    state = ember.get_rng_state()
    first = _draws()
    ember.set_rng_state(state)
    _same(first, _draws())


def test_state_is_a_uint8_copy():
    s = ember.get_rng_state()
    assert s.dtype == ember.uint8 and s.ndim == 1
    ember.rand(4)
    assert not ember.equal(s, ember.get_rng_state())  # the saved copy did not move with the generator


@pytest.mark.parametrize("warmup", [0, 1, 5])
def test_generator_state_round_trips(warmup):
    g = ember.Generator().manual_seed(7)
    ember.randn(warmup, generator=g)
    s = g.get_state()
    first = _draws(g)
    g.set_state(s)
    _same(first, _draws(g))


def test_default_generator_is_the_one_manual_seed_returns():
    g = ember.manual_seed(5)
    assert g is ember.default_generator and isinstance(g, ember.Generator)
    assert ember.initial_seed() == 5 == ember.default_generator.initial_seed()
    a = ember.rand(4)
    ember.default_generator.manual_seed(5)
    assert ember.equal(a, ember.rand(4))


def test_seed_reseeds_and_reports():
    s = ember.seed()
    assert isinstance(s, int) and ember.initial_seed() == s


def test_a_separate_generator_leaves_the_default_alone():
    ember.manual_seed(1)
    s = ember.get_rng_state()
    ember.randn(10, generator=ember.Generator().manual_seed(2))
    assert ember.equal(s, ember.get_rng_state())


@pytest.mark.parametrize("bad, exc", [([1, 2], TypeError), (ember.zeros(40), TypeError),
                                      (ember.zeros(3, dtype=ember.uint8), RuntimeError)])
def test_set_rng_state_rejects_bad_states_and_keeps_the_old_one(bad, exc):
    ember.manual_seed(9)
    s = ember.get_rng_state()
    with pytest.raises(exc):
        ember.set_rng_state(bad)
    assert ember.equal(s, ember.get_rng_state())


def test_thread_safe_generator_is_none_outside_thread_workers():
    assert ember.thread_safe_generator() is None


def test_odd_counts_draw_no_extra_normals():
    g = ember.Generator().manual_seed(11)
    pair = ember.randn(2, generator=g)
    g.manual_seed(11)
    one, two = ember.randn(1, generator=g), ember.randn(1, generator=g)
    assert ember.equal(ember.cat([one, two]), pair)


def test_state_holds_the_kept_normal():
    g = ember.Generator().manual_seed(3)
    ember.randn(1, generator=g)  # leaves the second Box-Muller value kept
    s = g.get_state()
    assert s.numel() == 49 and s[40].item() == 1
    a = ember.randn(3, generator=g)
    g.set_state(s)
    assert ember.equal(a, ember.randn(3, generator=g))
    legacy = s[:40].clone()  # a 40-byte state from before: no kept normal
    g.set_state(legacy)
    assert g.get_state()[40].item() == 0
    with pytest.raises(RuntimeError, match="49-byte"):
        g.set_state(ember.zeros(41, dtype=ember.uint8))
