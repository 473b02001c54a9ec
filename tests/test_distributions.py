"""ember.distributions against scipy.stats: densities, moments, entropies, CDFs, KL, sampling, gradients."""
import math

import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats as ss
from hypothesis import given, settings, strategies as st

import ember
import ember.distributions as D
from ember.autograd import gradcheck

SETTINGS = settings(max_examples=8, deadline=None)


def strided(a):
    """float64 ember tensor holding ``a`` through a stepped (non-contiguous) view."""
    a = np.asarray(a, dtype=np.float64)
    base = np.zeros((2 * a.size,))
    base[::2] = a.ravel()
    t = ember.tensor(base.tolist(), dtype=ember.float64)[::2]
    return t.reshape(a.shape) if a.ndim else t.reshape(())


def npy(t):
    return np.array(t.detach().tolist(), dtype=np.float64).reshape(tuple(t.shape))


def close(t, expected, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(npy(t), np.broadcast_to(expected, tuple(t.shape)), rtol=rtol, atol=atol)


pos = lambda r, n: r.uniform(0.3, 4.0, n)  # noqa: E731
real = lambda r, n: r.normal(0, 2, n)  # noqa: E731

# name: (ember constructor, scipy frozen constructor, parameter draws, support draw, has icdf)
UNIVARIATE = {
    "Normal": (D.Normal, lambda m, s: ss.norm(m, s), (real, pos), real, True),
    "Laplace": (D.Laplace, lambda m, s: ss.laplace(m, s), (real, pos), real, True),
    "Cauchy": (D.Cauchy, lambda m, s: ss.cauchy(m, s), (real, pos), real, True),
    "Gumbel": (D.Gumbel, lambda m, s: ss.gumbel_r(m, s), (real, pos), real, True),
    "HalfNormal": (D.HalfNormal, lambda s: ss.halfnorm(scale=s), (pos,), pos, True),
    "LogNormal": (D.LogNormal, lambda m, s: ss.lognorm(s, scale=np.exp(m)), (real, pos), pos, True),
    "Exponential": (D.Exponential, lambda r: ss.expon(scale=1 / r), (pos,), pos, True),
    "Gamma": (D.Gamma, lambda a, r: ss.gamma(a, scale=1 / r), (pos, pos), pos, False),
    "Beta": (D.Beta, lambda a, b: ss.beta(a, b), (pos, pos), lambda r, n: r.uniform(0.05, 0.95, n), False),
    "Uniform": (lambda lo, w: D.Uniform(lo, lo + w), lambda lo, w: ss.uniform(lo, w), (real, pos), None, True),
    "Chi2": (D.Chi2, lambda k: ss.chi2(k), (pos,), pos, False),
    "Pareto": (lambda s, a: D.Pareto(s, a + 2), lambda s, a: ss.pareto(a + 2, scale=s), (pos, pos), None, True),
    "HalfCauchy": (D.HalfCauchy, lambda s: ss.halfcauchy(scale=s), (pos,), pos, True),
    "Weibull": (D.Weibull, lambda s, k: ss.weibull_min(k, scale=s), (pos, pos), pos, False),
    "FisherSnedecor": (lambda a, b: D.FisherSnedecor(a, b + 4.5), lambda a, b: ss.f(a, b + 4.5), (pos, pos), pos,
                       False),
    "InverseGamma": (D.InverseGamma, lambda a, b: ss.invgamma(a, scale=b), (pos, pos), pos, False),
    "StudentT": (D.StudentT, lambda df, m, s: ss.t(df, m, s), (lambda r, n: r.uniform(2.5, 8, n), real, pos), real,
                 False),
}


@pytest.mark.parametrize("name", sorted(UNIVARIATE))
@SETTINGS
@given(seed=st.integers(0, 2**31 - 1))
def test_univariate_matches_scipy(name, seed):
    make, ref, draws, support, has_icdf = UNIVARIATE[name]
    rng = np.random.default_rng(seed)
    params = [d(rng, 4) for d in draws]
    dist, frozen = make(*map(strided, params)), ref(*params)
    x = support(rng, 4) if support else params[0] + rng.uniform(0.05, 0.95, 4) * params[1]
    close(dist.log_prob(strided(x)), frozen.logpdf(x))
    if name != "FisherSnedecor":  # PyTorch defines no entropy for it
        close(dist.entropy(), frozen.entropy())
    if name not in ("Cauchy", "HalfCauchy", "InverseGamma"):
        close(dist.mean, frozen.mean())
        close(dist.variance, frozen.var())
        close(dist.stddev, frozen.std())
    if name not in ("StudentT", "Beta", "Chi2", "Weibull", "FisherSnedecor", "InverseGamma"):
        close(dist.cdf(strided(x)), frozen.cdf(x))
    if has_icdf:
        q = rng.uniform(0.05, 0.95, 4)
        close(dist.icdf(strided(q)), frozen.ppf(q), rtol=1e-5)
    assert dist.batch_shape == ember.Size([4]) and dist.event_shape == ember.Size([])


def test_cauchy_moments_undefined():
    d = D.Cauchy(ember.zeros(2), ember.ones(2))
    assert np.isnan(npy(d.mean)).all() and np.isinf(npy(d.variance)).all()


DISCRETE = {
    "Bernoulli": (lambda p: D.Bernoulli(probs=p), ss.bernoulli, lambda r, n: r.uniform(0.05, 0.95, n),
                  lambda r, p: r.integers(0, 2, p.size)),
    "Geometric": (lambda p: D.Geometric(probs=p), lambda p: ss.geom(p, loc=-1), lambda r, n: r.uniform(0.1, 0.9, n),
                  lambda r, p: r.integers(0, 10, p.size)),
    "Poisson": (D.Poisson, ss.poisson, lambda r, n: r.uniform(0.2, 9, n), lambda r, p: r.integers(0, 12, p.size)),
    "NegativeBinomial": (lambda p: D.NegativeBinomial(3.5, probs=p), lambda p: ss.nbinom(3.5, 1 - p),
                         lambda r, n: r.uniform(0.05, 0.9, n), lambda r, p: r.integers(0, 15, p.size)),
    "Binomial": (lambda p: D.Binomial(7, probs=p), lambda p: ss.binom(7, p), lambda r, n: r.uniform(0.05, 0.95, n),
                 lambda r, p: r.integers(0, 8, p.size)),
}


@pytest.mark.parametrize("name", sorted(DISCRETE))
@SETTINGS
@given(seed=st.integers(0, 2**31 - 1))
def test_discrete_matches_scipy(name, seed):
    make, ref, draw, support = DISCRETE[name]
    rng = np.random.default_rng(seed)
    p = draw(rng, 4)
    dist, frozen = make(strided(p)), ref(p)
    k = support(rng, p).astype(np.float64)
    close(dist.log_prob(strided(k)), frozen.logpmf(k))
    close(dist.mean, frozen.mean())
    close(dist.variance, frozen.var())
    if name not in ("Poisson", "NegativeBinomial"):  # PyTorch defines no entropy for these
        close(dist.entropy(), frozen.entropy(), rtol=1e-5)


def test_bernoulli_logits_equal_probs():
    logits = ember.tensor([-30.0, -2.0, 0.0, 3.0, 40.0], dtype=ember.float64)
    a, b = D.Bernoulli(logits=logits), D.Bernoulli(probs=ember.sigmoid(logits))
    x = ember.tensor([0.0, 1.0, 1.0, 0.0, 1.0], dtype=ember.float64)
    close(a.log_prob(x), -np.logaddexp(0, -npy(logits) * (2 * npy(x) - 1)))
    close(a.probs, npy(b.probs))
    assert np.isfinite(npy(a.entropy())).all()


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(2, 6))
def test_categorical_matches_scipy(seed, k):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 3.0, (3, k))
    p = w / w.sum(-1, keepdims=True)
    for dist in (D.Categorical(probs=strided(w)), D.Categorical(logits=strided(np.log(w)))):
        idx = rng.integers(0, k, 3)
        close(dist.log_prob(ember.tensor(idx.tolist())), np.log(p[np.arange(3), idx]))
        close(dist.entropy(), [ss.entropy(row) for row in p])
        close(dist.probs, p)
        assert dist.batch_shape == (3,) and dist.event_shape == ()
        oh = D.OneHotCategorical(probs=strided(w))
        close(oh.log_prob(strided(np.eye(k)[idx])), np.log(p[np.arange(3), idx]))
        assert oh.event_shape == (k,)
        close(oh.variance, p * (1 - p))


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1))
def test_multivariate_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.3, 3.0, 4)
    x = rng.dirichlet(np.ones(4))
    d = D.Dirichlet(strided(a))
    close(d.log_prob(strided(x)), ss.dirichlet(a).logpdf(x))
    close(d.entropy(), ss.dirichlet(a).entropy())
    close(d.mean, ss.dirichlet(a).mean())
    close(d.variance, ss.dirichlet(a).var())
    p = rng.dirichlet(np.ones(4))
    counts = rng.multinomial(6, p).astype(np.float64)
    m = D.Multinomial(6, probs=strided(p))
    close(m.log_prob(strided(counts)), ss.multinomial(6, p).logpmf(counts))
    close(m.entropy(), ss.multinomial(6, p).entropy(), rtol=1e-5)
    close(m.mean, 6 * p)
    A = rng.normal(size=(3, 3))
    cov = A @ A.T + 0.5 * np.eye(3)
    loc = rng.normal(size=3)
    y = rng.normal(size=(5, 3))
    ref = ss.multivariate_normal(loc, cov)
    for kw in (dict(covariance_matrix=strided(cov)), dict(precision_matrix=strided(np.linalg.inv(cov))),
               dict(scale_tril=strided(np.linalg.cholesky(cov)))):
        mvn = D.MultivariateNormal(strided(loc), **kw)
        close(mvn.log_prob(strided(y)), ref.logpdf(y), rtol=1e-6)
        close(mvn.entropy(), ref.entropy())
        close(mvn.covariance_matrix, cov, rtol=1e-6)
        close(mvn.precision_matrix, np.linalg.inv(cov), rtol=1e-6)
        close(mvn.variance, np.diag(cov), rtol=1e-6)
    W, dg = rng.normal(size=(3, 2)), rng.uniform(0.5, 2.0, 3)
    lr_cov = W @ W.T + np.diag(dg)
    lr = D.LowRankMultivariateNormal(strided(loc), strided(W), strided(dg))
    ref = ss.multivariate_normal(loc, lr_cov)
    close(lr.log_prob(strided(y)), ref.logpdf(y), rtol=1e-8)
    close(lr.entropy(), ref.entropy())
    close(lr.covariance_matrix, lr_cov)
    close(lr.precision_matrix, np.linalg.inv(lr_cov), rtol=1e-6, atol=1e-9)
    close(lr.variance, np.diag(lr_cov))


# ---- sample moments (large n, seeded, loose tolerance) -------------------------------------

MOMENT_CASES = [
    ("Normal", lambda: D.Normal(1.5, 2.0)), ("Laplace", lambda: D.Laplace(-1.0, 0.7)),
    ("Gumbel", lambda: D.Gumbel(0.5, 1.5)), ("HalfNormal", lambda: D.HalfNormal(1.3)),
    ("LogNormal", lambda: D.LogNormal(0.1, 0.4)), ("Exponential", lambda: D.Exponential(2.5)),
    ("Gamma<1", lambda: D.Gamma(0.4, 2.0)), ("Gamma", lambda: D.Gamma(3.0, 0.5)),
    ("Beta", lambda: D.Beta(2.0, 0.6)), ("Uniform", lambda: D.Uniform(-2.0, 3.0)),
    ("StudentT", lambda: D.StudentT(6.0, 1.0, 2.0)), ("Bernoulli", lambda: D.Bernoulli(0.3)),
    ("Geometric", lambda: D.Geometric(0.35)), ("Poisson", lambda: D.Poisson(4.0)),
    ("Binomial", lambda: D.Binomial(9, ember.tensor(0.4))),
    ("Dirichlet", lambda: D.Dirichlet(ember.tensor([0.5, 2.0, 3.0]))),
    ("Multinomial", lambda: D.Multinomial(5, ember.tensor([0.2, 0.3, 0.5]))),
    ("OneHotCategorical", lambda: D.OneHotCategorical(ember.tensor([0.2, 0.3, 0.5]))),
    ("MultivariateNormal", lambda: D.MultivariateNormal(ember.tensor([1.0, -1.0]),
                                                         ember.tensor([[2.0, 0.6], [0.6, 1.0]]))),
    ("LowRankMultivariateNormal", lambda: D.LowRankMultivariateNormal(
        ember.tensor([1.0, -1.0, 0.0]), ember.tensor([[1.0], [0.5], [-0.3]]), ember.tensor([0.5, 1.0, 2.0]))),
    ("FisherSnedecor", lambda: D.FisherSnedecor(6.0, 12.0)),
    ("ContinuousBernoulli", lambda: D.ContinuousBernoulli(ember.tensor([0.2, 0.5, 0.9]))),
    ("Chi2", lambda: D.Chi2(3.0)), ("Pareto", lambda: D.Pareto(1.0, 5.0)), ("Weibull", lambda: D.Weibull(1.5, 2.0)),
    ("NegativeBinomial", lambda: D.NegativeBinomial(4.0, ember.tensor(0.3))),
    ("MixtureSameFamily", lambda: D.MixtureSameFamily(D.Categorical(ember.tensor([0.2, 0.5, 0.3])),
                                                      D.Normal(ember.tensor([-2.0, 0.0, 3.0]), ember.tensor([0.5, 1.0, 0.7])))),
]


@pytest.mark.parametrize("name,make", [c for c in MOMENT_CASES if c[1] is not None], ids=lambda v: v if isinstance(v, str) else "")
def test_sample_moments(name, make):
    ember.manual_seed(1234)
    dist = make()
    s = npy(dist.sample((40000,)))
    assert s.shape == (40000,) + tuple(dist.batch_shape) + tuple(dist.event_shape)
    assert npy(dist.support.check(ember.tensor(s.tolist()).to(dist.mean.dtype))).all()
    mean, var = npy(dist.mean), npy(dist.variance)
    np.testing.assert_allclose(s.mean(0), mean, atol=0.05 * np.sqrt(var).max() + 0.02, rtol=0.03)
    np.testing.assert_allclose(s.var(0), var, rtol=0.08, atol=0.01)


def test_categorical_sample_frequencies():
    ember.manual_seed(7)
    p = np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]])
    s = npy(D.Categorical(ember.tensor(p.tolist())).sample((20000,)))
    assert s.shape == (20000, 2)
    for b in range(2):
        np.testing.assert_allclose(np.bincount(s[:, b].astype(int), minlength=3) / 20000, p[b], atol=0.015)


def test_relaxed_bernoulli_concentrates_at_low_temperature():
    ember.manual_seed(3)
    d = D.RelaxedBernoulli(ember.tensor(0.05), probs=ember.tensor(0.3))
    s = npy(d.sample((20000,)))
    assert ((s > 0) & (s < 1)).all()
    assert abs((s > 0.5).mean() - 0.3) < 0.02
    x = ember.tensor([0.2, 0.7], dtype=ember.float64)
    lp = d.log_prob(x)
    # density against a numerical derivative of its own CDF-free form: integrates to 1 on (0, 1)
    f = lambda v: math.exp(float(D.RelaxedBernoulli(ember.tensor(0.5, dtype=ember.float64),  # noqa: E731
                                                    probs=ember.tensor(0.3, dtype=ember.float64))
                                 .log_prob(ember.tensor(v, dtype=ember.float64))))
    assert abs(scipy.integrate.quad(f, 1e-9, 1 - 1e-9)[0] - 1) < 1e-4
    assert lp.shape == (2,)


# ---- gradients --------------------------------------------------------------------------

def _f64(*vals):
    return [ember.tensor(v, dtype=ember.float64, requires_grad=True) for v in vals]


@pytest.mark.parametrize("make,params", [
    (D.Normal, ([0.3, -1.0], [1.2, 0.5])), (D.Laplace, ([0.3, -1.0], [1.2, 0.5])),
    (D.Cauchy, ([0.3], [0.7])), (D.Gumbel, ([0.3], [0.7])), (D.Exponential, ([1.7, 0.4],)),
    (D.Uniform, ([0.0], [2.0])), (D.LogNormal, ([0.2], [0.6])), (D.HalfNormal, ([0.9],)),
    (lambda loc, s: D.MultivariateNormal(loc, scale_tril=ember.diag_embed(s)), ([0.1, 0.2], [0.5, 1.5])),
])
def test_rsample_gradcheck(make, params):
    """Reparameterised samples are smooth in the parameters once the noise is fixed by the seed."""
    def fn(*ps):
        ember.manual_seed(11)
        return make(*ps).rsample((3,))
    assert make(*_f64(*params)).has_rsample
    assert gradcheck(fn, tuple(_f64(*params)))


@pytest.mark.parametrize("make,params,value", [
    (D.Normal, ([0.3], [1.2]), [0.7]), (D.Gamma, ([2.5], [1.3]), [0.8]), (D.Beta, ([2.5], [1.3]), [0.3]),
    (lambda p: D.Bernoulli(logits=p), ([0.4],), [1.0]), (lambda p: D.Categorical(logits=p), ([0.1, 0.5, -1.0],), [2]),
    (D.StudentT, ([4.0], [0.1], [1.5]), [0.9]), (lambda a: D.Dirichlet(a), ([1.5, 2.0, 0.7],), [0.2, 0.3, 0.5]),
    (D.Poisson, ([2.5],), [3.0]),
])
def test_log_prob_gradcheck(make, params, value):
    v = ember.tensor(value, dtype=ember.float64) if not isinstance(value[0], int) else ember.tensor(value)
    assert gradcheck(lambda *ps: make(*ps).log_prob(v), tuple(_f64(*params)))
    if make is not D.Poisson:  # PyTorch defines no Poisson entropy
        assert gradcheck(lambda *ps: make(*ps).entropy(), tuple(_f64(*params)))


def test_gamma_rsample_gradient_matches_analytic_mean():
    # E[X] = a / r, so the mean of dX/da over many draws estimates 1/r and of dX/dr estimates -a/r².
    ember.manual_seed(5)
    a, r = _f64(2.0, 1.5)
    x = D.Gamma(a, r).rsample((50000,))
    x.mean().backward()
    assert abs(float(a.grad) - 1 / 1.5) < 0.02
    assert abs(float(r.grad) + 2.0 / 1.5**2) < 0.03


def test_beta_and_dirichlet_rsample_gradient_matches_analytic_mean():
    ember.manual_seed(6)
    a, b = _f64(2.0, 3.0)
    D.Beta(a, b).rsample((50000,)).mean().backward()
    # d/da a/(a+b) = b/(a+b)², d/db = -a/(a+b)²
    assert abs(float(a.grad) - 3 / 25) < 0.01 and abs(float(b.grad) + 2 / 25) < 0.01
    c = ember.tensor([1.0, 2.0, 0.5], dtype=ember.float64, requires_grad=True)
    D.Dirichlet(c).rsample((50000,))[:, 0].mean().backward()
    s = 3.5
    np.testing.assert_allclose(npy(c.grad), [(s - 1) / s**2, -1 / s**2, -1 / s**2], atol=0.01)


def test_sample_is_detached_and_discrete_have_no_rsample():
    loc = ember.zeros(2, requires_grad=True)
    assert not D.Normal(loc, 1.0).sample().requires_grad
    assert D.Normal(loc, 1.0).rsample().requires_grad
    for d in (D.Bernoulli(0.3), D.Categorical(ember.ones(3)), D.Poisson(1.0)):
        assert not d.has_rsample
        with pytest.raises(NotImplementedError):
            d.rsample()


# ---- KL divergence ----------------------------------------------------------------------

def _numeric_kl(p_ref, q_ref, lo, hi):
    def f(x):
        px = p_ref.pdf(x)
        return 0.0 if px == 0 else px * (p_ref.logpdf(x) - q_ref.logpdf(x))

    return scipy.integrate.quad(f, lo, hi, limit=200)[0]


KL_CASES = [
    (lambda: (D.Normal(0.3, 1.2), D.Normal(-0.5, 0.7)), lambda: (ss.norm(0.3, 1.2), ss.norm(-0.5, 0.7)), -np.inf, np.inf),
    (lambda: (D.Uniform(0.2, 0.9), D.Uniform(0.0, 2.0)), lambda: (ss.uniform(0.2, 0.7), ss.uniform(0, 2)), 0.2, 0.9),
    (lambda: (D.Beta(2.0, 3.0), D.Beta(0.8, 1.7)), lambda: (ss.beta(2, 3), ss.beta(0.8, 1.7)), 0, 1),
    (lambda: (D.Gamma(2.0, 3.0), D.Gamma(0.8, 1.7)), lambda: (ss.gamma(2, scale=1 / 3), ss.gamma(0.8, scale=1 / 1.7)),
     0, np.inf),
    (lambda: (D.Exponential(2.0), D.Exponential(0.5)), lambda: (ss.expon(scale=0.5), ss.expon(scale=2)), 0, np.inf),
    (lambda: (D.Laplace(0.1, 1.0), D.Laplace(1.0, 2.0)), lambda: (ss.laplace(0.1, 1), ss.laplace(1, 2)), -np.inf, np.inf),
    (lambda: (D.Gumbel(0.1, 1.0), D.Gumbel(1.0, 2.0)), lambda: (ss.gumbel_r(0.1, 1), ss.gumbel_r(1, 2)), -np.inf, np.inf),
    (lambda: (D.Cauchy(0.1, 1.0), D.Cauchy(1.0, 2.0)), lambda: (ss.cauchy(0.1, 1), ss.cauchy(1, 2)), -np.inf, np.inf),
    (lambda: (D.Normal(0.1, 1.0), D.Laplace(1.0, 2.0)), lambda: (ss.norm(0.1, 1), ss.laplace(1, 2)), -np.inf, np.inf),
    (lambda: (D.Uniform(0.2, 1.5), D.Normal(0.3, 0.8)), lambda: (ss.uniform(0.2, 1.3), ss.norm(0.3, 0.8)), 0.2, 1.5),
    (lambda: (D.Exponential(1.5), D.Normal(0.3, 0.8)), lambda: (ss.expon(scale=1 / 1.5), ss.norm(0.3, 0.8)), 0, np.inf),
    (lambda: (D.Gamma(2.5, 1.5), D.Normal(0.3, 0.8)), lambda: (ss.gamma(2.5, scale=1 / 1.5), ss.norm(0.3, 0.8)), 0,
     np.inf),
    (lambda: (D.Beta(2.5, 1.5), D.Normal(0.3, 0.8)), lambda: (ss.beta(2.5, 1.5), ss.norm(0.3, 0.8)), 0, 1),
    (lambda: (D.Laplace(0.5, 1.5), D.Normal(0.3, 0.8)), lambda: (ss.laplace(0.5, 1.5), ss.norm(0.3, 0.8)),
     -np.inf, np.inf),
    (lambda: (D.Gumbel(0.5, 1.5), D.Normal(0.3, 0.8)), lambda: (ss.gumbel_r(0.5, 1.5), ss.norm(0.3, 0.8)),
     -np.inf, np.inf),
    (lambda: (D.Uniform(0.2, 1.5), D.Exponential(0.8)), lambda: (ss.uniform(0.2, 1.3), ss.expon(scale=1 / 0.8)), 0.2,
     1.5),
    (lambda: (D.Uniform(0.2, 1.5), D.Gamma(2.0, 0.8)), lambda: (ss.uniform(0.2, 1.3), ss.gamma(2.0, scale=1 / 0.8)),
     0.2, 1.5),
    (lambda: (D.Uniform(0.2, 1.5), D.Gumbel(0.1, 0.8)), lambda: (ss.uniform(0.2, 1.3), ss.gumbel_r(0.1, 0.8)), 0.2, 1.5),
    (lambda: (D.Beta(2.0, 3.0), D.Uniform(-1.0, 2.0)), lambda: (ss.beta(2, 3), ss.uniform(-1, 3)), 0, 1),
    (lambda: (D.Gamma(2.5, 1.5), D.Exponential(0.8)), lambda: (ss.gamma(2.5, scale=1 / 1.5), ss.expon(scale=1 / 0.8)),
     0, np.inf),
    (lambda: (D.Beta(2.5, 1.5), D.Exponential(0.8)), lambda: (ss.beta(2.5, 1.5), ss.expon(scale=1 / 0.8)), 0, 1),
    (lambda: (D.Beta(2.5, 1.5), D.Gamma(1.7, 0.8)), lambda: (ss.beta(2.5, 1.5), ss.gamma(1.7, scale=1 / 0.8)), 0, 1),
    (lambda: (D.Normal(0.4, 0.9), D.Gumbel(0.1, 1.3)), lambda: (ss.norm(0.4, 0.9), ss.gumbel_r(0.1, 1.3)), -np.inf,
     np.inf),
    (lambda: (D.Exponential(1.5), D.Gumbel(0.1, 1.3)), lambda: (ss.expon(scale=1 / 1.5), ss.gumbel_r(0.1, 1.3)), 0,
     np.inf),
    (lambda: (D.Gamma(2.5, 1.5), D.Gumbel(0.1, 1.3)), lambda: (ss.gamma(2.5, scale=1 / 1.5), ss.gumbel_r(0.1, 1.3)),
     0, np.inf),
    (lambda: (D.Exponential(2.0), D.Gamma(1.5, 0.5)), lambda: (ss.expon(scale=0.5), ss.gamma(1.5, scale=2)), 0, np.inf),
]


@pytest.mark.parametrize("dists,refs,lo,hi", KL_CASES)
def test_kl_continuous_vs_numeric_integral(dists, refs, lo, hi):
    p, q = dists()
    np.testing.assert_allclose(float(D.kl_divergence(p, q)), _numeric_kl(*refs(), lo, hi), rtol=1e-5, atol=1e-7)


def test_kl_discrete_and_multivariate():
    p, q = np.array([0.2, 0.5, 0.3]), np.array([0.4, 0.4, 0.2])
    expected = (p * np.log(p / q)).sum()
    close(D.kl_divergence(D.Categorical(ember.tensor(p.tolist())), D.Categorical(ember.tensor(q.tolist()))), expected)
    close(D.kl_divergence(D.OneHotCategorical(ember.tensor(p.tolist())), D.OneHotCategorical(ember.tensor(q.tolist()))),
          expected)
    close(D.kl_divergence(D.Bernoulli(0.3), D.Bernoulli(0.6)), 0.3 * np.log(0.5) + 0.7 * np.log(0.7 / 0.4), rtol=1e-5)
    k = np.arange(60)
    close(D.kl_divergence(D.Poisson(3.0), D.Poisson(1.5)),
          (ss.poisson(3).pmf(k) * (ss.poisson(3).logpmf(k) - ss.poisson(1.5).logpmf(k))).sum(), rtol=1e-5)
    a, b = np.array([1.0, 2.0, 0.5]), np.array([2.0, 1.0, 1.0])
    expected = (scipy.special.gammaln(a.sum()) - scipy.special.gammaln(b.sum()) - scipy.special.gammaln(a).sum()
                + scipy.special.gammaln(b).sum() + ((a - b) * (scipy.special.digamma(a) - scipy.special.digamma(a.sum()))).sum())
    close(D.kl_divergence(D.Dirichlet(strided(a)), D.Dirichlet(strided(b))), expected)
    m0, m1 = np.array([0.2, -0.3]), np.array([1.0, 0.5])
    S0, S1 = np.array([[2.0, 0.3], [0.3, 1.0]]), np.array([[1.0, -0.2], [-0.2, 0.5]])
    d = m1 - m0
    expected = 0.5 * (np.trace(np.linalg.solve(S1, S0)) + d @ np.linalg.solve(S1, d) - 2
                      + np.log(np.linalg.det(S1) / np.linalg.det(S0)))
    close(D.kl_divergence(D.MultivariateNormal(strided(m0), strided(S0)), D.MultivariateNormal(strided(m1), strided(S1))),
          expected)
    ind = D.kl_divergence(D.Independent(D.Normal(ember.zeros(2, 3), 1.0), 1),
                          D.Independent(D.Normal(ember.ones(2, 3), 2.0), 1))
    assert ind.shape == (2,)
    close(ind, 3 * (np.log(2) + (1 + 1) / 8 - 0.5), rtol=1e-5)


def test_kl_infinite_when_support_escapes():
    assert math.isinf(float(D.kl_divergence(D.Uniform(-1.0, 1.0), D.Exponential(1.0))))
    assert math.isinf(float(D.kl_divergence(D.Beta(2.0, 2.0), D.Uniform(0.5, 2.0))))
    assert math.isinf(float(D.kl_divergence(D.Uniform(0.0, 2.0), D.Uniform(0.5, 1.0))))
    for p in (D.Normal(0.0, 1.0), D.Laplace(0.0, 1.0), D.Gamma(2.0, 1.0), D.Exponential(ember.ones(3))):
        for q in (D.Beta(2.0, 2.0), D.Uniform(0.0, 5.0)):
            kl = D.kl_divergence(p, q)
            assert kl.shape == p.batch_shape and np.isinf(npy(kl)).all()
    assert math.isinf(float(D.kl_divergence(D.Normal(0.0, 1.0), D.Gamma(2.0, 1.0))))


def test_kl_registry_dispatch_and_missing_pair():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)
    close(D.kl_divergence(p, q), 0.5)  # falls back to the (Normal, Normal) rule

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return ember.tensor(42.0)

    assert float(D.kl_divergence(p, q)) == 42.0
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Poisson(1.0))
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


def test_kl_gradient_flows():
    loc = ember.tensor([0.5], dtype=ember.float64, requires_grad=True)
    D.kl_divergence(D.Normal(loc, 1.0), D.Normal(0.0, 1.0)).sum().backward()
    close(loc.grad, [0.5])


# ---- validation -------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: D.Normal(0.0, -1.0), lambda: D.Normal(0.0, ember.tensor([1.0, 0.0])),
    lambda: D.Bernoulli(probs=ember.tensor(1.5)), lambda: D.Categorical(probs=ember.tensor([-0.1, 0.5])),
    lambda: D.Uniform(1.0, 0.0), lambda: D.Gamma(-1.0, 1.0), lambda: D.Beta(1.0, 0.0),
    lambda: D.Exponential(0.0), lambda: D.Poisson(-0.5), lambda: D.Dirichlet(ember.tensor([1.0, -1.0])),
    lambda: D.MultivariateNormal(ember.zeros(2), ember.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda: D.MultivariateNormal(ember.zeros(2), scale_tril=ember.tensor([[1.0, 1.0], [0.0, 1.0]])),
    lambda: D.Binomial(ember.tensor(2.5), probs=ember.tensor(0.5)),
])
def test_invalid_parameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


def test_validation_messages_and_switches():
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(\)\) of distribution "
                                         r"Normal\(loc: 0.0, scale: -1.0\) to satisfy the constraint "
                                         r"GreaterThan\(lower_bound=0.0\), but found invalid values"):
        D.Normal(0.0, -1.0)
    D.Normal(0.0, -1.0, validate_args=False)
    d = D.Bernoulli(0.3)
    with pytest.raises(ValueError, match="to be within the support"):
        d.log_prob(ember.tensor(0.5))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(1.0)
    with pytest.raises(ValueError, match="right-most size of value must match event_shape"):
        D.Dirichlet(ember.ones(3)).log_prob(ember.ones(4) / 4)
    with pytest.raises(ValueError, match="not broadcastable"):
        D.Normal(ember.zeros(3), 1.0).log_prob(ember.zeros(2))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Bernoulli(probs=0.5, logits=0.0)
    D.Distribution.set_default_validate_args(False)
    try:
        with pytest.raises(ValueError):
            D.Exponential(-1.0, validate_args=True)
        assert D.Exponential(-1.0).batch_shape == ()  # no check once validation is off by default
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Exponential(-1.0)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args(3)


def test_constraints():
    C = D.constraints
    t = ember.tensor([-1.0, 0.0, 0.5, 1.0, 2.0])
    assert npy(C.positive.check(t)).tolist() == [0, 0, 1, 1, 1]
    assert npy(C.nonnegative.check(t)).tolist() == [0, 1, 1, 1, 1]
    assert npy(C.unit_interval.check(t)).tolist() == [0, 1, 1, 1, 0]
    assert npy(C.boolean.check(t)).tolist() == [0, 1, 0, 1, 0]
    assert npy(C.integer_interval(0, 1).check(t)).tolist() == [0, 1, 0, 1, 0]
    assert npy(C.greater_than(0.5).check(t)).tolist() == [0, 0, 0, 1, 1]
    assert npy(C.interval(-1.0, 0.5).check(t)).tolist() == [1, 1, 1, 0, 0]
    assert npy(C.half_open_interval(-1.0, 0.5).check(t)).tolist() == [1, 1, 0, 0, 0]
    assert npy(C.real.check(ember.tensor([1.0, math.nan]))).tolist() == [1, 0]
    assert npy(C.simplex.check(ember.tensor([[0.2, 0.8], [0.5, 0.6]]))).tolist() == [1, 0]
    assert npy(C.lower_cholesky.check(ember.tensor([[[1.0, 0.0], [2.0, 1.0]], [[1.0, 0.1], [0.0, 1.0]]]))).tolist() == [1, 0]
    assert npy(C.positive_definite.check(ember.tensor([[2.0, 0.5], [0.5, 1.0]]))).tolist() == 1
    assert C.independent(C.real, 1).event_dim == 1 and C.simplex.event_dim == 1 and C.boolean.is_discrete
    assert repr(C.positive) == "GreaterThan(lower_bound=0.0)" and repr(C.real) == "Real()"
    with pytest.raises(ValueError):
        C.dependent.check(t)


# ---- shapes -----------------------------------------------------------------------------

def test_shapes_follow_pytorch():
    n = D.Normal(ember.zeros(3, 1), ember.ones(4))
    assert n.batch_shape == (3, 4) and n.sample().shape == (3, 4) and n.sample((5, 2)).shape == (5, 2, 3, 4)
    assert D.Normal(0.0, 1.0).batch_shape == () and D.Normal(0.0, 1.0).sample((2,)).shape == (2,)
    assert n.log_prob(ember.zeros(4)).shape == (3, 4)
    e = n.expand((2, 3, 4))
    assert e.batch_shape == (2, 3, 4) and e.sample((1,)).shape == (1, 2, 3, 4)
    c = D.Categorical(logits=ember.zeros(2, 5))
    assert c.sample((7,)).shape == (7, 2) and c.sample((7,)).dtype == ember.int64
    assert c.enumerate_support().shape == (5, 2) and c.expand((3, 2)).batch_shape == (3, 2)
    oh = D.OneHotCategorical(logits=ember.zeros(2, 5))
    assert oh.sample((7,)).shape == (7, 2, 5) and oh.enumerate_support().shape == (5, 2, 5)
    m = D.MultivariateNormal(ember.zeros(4, 3), ember.eye(3))
    assert m.batch_shape == (4,) and m.event_shape == (3,) and m.rsample((2,)).shape == (2, 4, 3)
    assert m.log_prob(ember.zeros(3)).shape == (4,) and m.expand((5, 4)).sample().shape == (5, 4, 3)
    i = D.Independent(D.Normal(ember.zeros(2, 3, 4), 1.0), 2)
    assert i.batch_shape == (2,) and i.event_shape == (3, 4) and i.log_prob(ember.zeros(2, 3, 4)).shape == (2,)
    assert i.expand((5, 2)).sample().shape == (5, 2, 3, 4) and repr(i.support).startswith("IndependentConstraint")
    d = D.Dirichlet(ember.ones(2, 3))
    assert d.batch_shape == (2,) and d.event_shape == (3,) and d.sample((4,)).shape == (4, 2, 3)
    mn = D.Multinomial(4, logits=ember.zeros(2, 3))
    assert mn.sample((5,)).shape == (5, 2, 3) and float(mn.sample().sum()) == 8.0
    b = D.Bernoulli(logits=ember.zeros(3))
    assert b.enumerate_support().shape == (2, 3) and b.enumerate_support(False).shape == (2, 1)
    assert D.Beta(ember.ones(2), 1.0).expand((3, 2)).sample().shape == (3, 2)
    t = D.TransformedDistribution(D.Normal(ember.zeros(3), 1.0), [D.ExpTransform(), D.AffineTransform(1.0, 2.0)])
    assert t.batch_shape == (3,) and t.sample((2,)).shape == (2, 3) and t.expand((4, 3)).sample().shape == (4, 3)
    with pytest.raises(ValueError):
        D.Independent(D.Normal(ember.zeros(2), 1.0), 2)


def test_transforms_and_transformed_distribution():
    x = ember.tensor([-2.0, -0.3, 0.4, 1.7], dtype=ember.float64)
    for tr, dydx in [(D.ExpTransform(), np.exp), (D.SigmoidTransform(), lambda v: ss.logistic.pdf(v)),
                     (D.TanhTransform(), lambda v: 1 - np.tanh(v) ** 2),
                     (D.AffineTransform(1.0, -3.0), lambda v: 3 + 0 * v)]:
        y = tr(x)
        close(tr.inv(y), npy(x), rtol=1e-10)
        close(tr.log_abs_det_jacobian(x, y), np.log(dydx(npy(x))), rtol=1e-8)
        close(tr.inv.log_abs_det_jacobian(y, x), -np.log(dydx(npy(x))), rtol=1e-8)
    composed = D.ComposeTransform([D.AffineTransform(0.5, 2.0), D.ExpTransform()])
    close(composed(x), np.exp(0.5 + 2 * npy(x)))
    close(composed.log_abs_det_jacobian(x, composed(x)), np.log(2) + 0.5 + 2 * npy(x))
    # tanh-squashed Gaussian (SAC policies): density by change of variables
    base = D.Normal(ember.tensor(0.3, dtype=ember.float64), ember.tensor(0.8, dtype=ember.float64))
    td = D.TransformedDistribution(base, [D.TanhTransform(), D.AffineTransform(0.0, 2.0)])
    y = np.array([-1.5, 0.2, 1.9])
    u = np.arctanh(y / 2)
    close(td.log_prob(strided(y)), ss.norm(0.3, 0.8).logpdf(u) - np.log(2 * (1 - np.tanh(u) ** 2)), rtol=1e-8)
    close(td.cdf(strided(y)), ss.norm(0.3, 0.8).cdf(u))
    neg = D.TransformedDistribution(base, D.AffineTransform(0.0, -1.0))
    close(neg.cdf(strided(y)), 1 - ss.norm(0.3, 0.8).cdf(-y))
    with pytest.raises(ValueError, match="support"):
        td.log_prob(ember.tensor([2.5], dtype=ember.float64))


def test_mixture_same_family_matches_numpy():
    w, mu, sd = np.array([0.2, 0.5, 0.3]), np.array([-2.0, 0.0, 3.0]), np.array([0.5, 1.0, 0.7])
    mix = D.MixtureSameFamily(D.Categorical(strided(w)), D.Normal(strided(mu), strided(sd)))
    x = np.array([-2.5, 0.1, 4.0])
    close(mix.log_prob(strided(x)), np.log((w * ss.norm(mu, sd).pdf(x[:, None])).sum(-1)))
    close(mix.cdf(strided(x)), (w * ss.norm(mu, sd).cdf(x[:, None])).sum(-1))
    assert mix.batch_shape == () and mix.sample((6,)).shape == (6,)
    mv = D.MixtureSameFamily(D.Categorical(ember.ones(2, 3)), D.Independent(D.Normal(ember.zeros(2, 3, 4), 1.0), 1))
    assert mv.batch_shape == (2,) and mv.event_shape == (4,) and mv.sample((5,)).shape == (5, 2, 4)
    close(mv.log_prob(ember.zeros(2, 4)), 4 * ss.norm.logpdf(0))
    with pytest.raises(ValueError):
        D.MixtureSameFamily(D.Categorical(ember.ones(2)), D.Normal(ember.zeros(3), 1.0))


def test_relaxed_one_hot_categorical():
    ember.manual_seed(2)
    logits = ember.tensor([[0.1, 1.0, -0.5]], dtype=ember.float64, requires_grad=True)
    d = D.RelaxedOneHotCategorical(ember.tensor(0.1, dtype=ember.float64), logits=logits)
    s = d.rsample((20000,))
    assert s.shape == (20000, 1, 3) and d.event_shape == (3,)
    close(s.sum(-1), 1.0)
    p = np.exp([0.1, 1.0, -0.5]) / np.exp([0.1, 1.0, -0.5]).sum()
    np.testing.assert_allclose(np.bincount(npy(s).argmax(-1).ravel(), minlength=3) / 20000, p, atol=0.015)
    s[:, 0, 1].mean().backward()
    assert np.isfinite(npy(logits.grad)).all() and float(logits.grad[0, 1]) > 0
    # the Concrete density of a 2-category relaxation equals RelaxedBernoulli's on the first coordinate
    t = ember.tensor(0.6, dtype=ember.float64)
    two = D.RelaxedOneHotCategorical(t, logits=ember.tensor([0.7, 0.0], dtype=ember.float64))
    one = D.RelaxedBernoulli(t, logits=ember.tensor(0.7, dtype=ember.float64))
    y = ember.tensor([0.3, 0.7], dtype=ember.float64)
    # p(y1, y2) on the simplex vs p(y1) on (0, 1): same density up to the simplex parameterisation (log of 1)
    close(two.log_prob(y), float(one.log_prob(y[0])), rtol=1e-8)


def test_submodule_import_paths():
    from ember.distributions.normal import Normal
    from ember.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
    from ember.distributions.constraints import positive
    from ember.distributions.transforms import ExpTransform
    from ember.distributions.utils import broadcast_all, logits_to_probs
    assert Normal is D.Normal and LogitRelaxedBernoulli is not None and positive is D.constraints.positive
    assert ExpTransform is D.ExpTransform and ember.distributions is D
    a, b = broadcast_all(ember.zeros(2, 1), 1.0)
    assert a.shape == b.shape == (2, 1) and callable(logits_to_probs)


def _numeric_log_det(fn, x, drop_last=False):
    """log|det J| of fn at x by central differences (fn maps R^n → R^n, or R^n → R^{n+1} dropping the last)."""
    n, h = x.size, 1e-6
    J = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        d = (fn(x + e) - fn(x - e)) / (2 * h)
        J[:, i] = d[:n] if drop_last else d
    return np.linalg.slogdet(J)[1]


def test_vector_transforms():
    x = np.array([0.3, -1.0, 2.0])
    sb = D.StickBreakingTransform()
    run = lambda v: npy(sb(ember.tensor(v.tolist(), dtype=ember.float64)))  # noqa: E731
    y = sb(strided(x))
    assert y.shape == (4,) and D.constraints.simplex.check(y).item()
    close(sb.inv(y), x, rtol=1e-9)
    close(sb.log_abs_det_jacobian(strided(x), y), _numeric_log_det(run, x, drop_last=True), rtol=1e-6)
    assert sb.forward_shape((2, 3)) == (2, 4) and sb.inverse_shape((2, 4)) == (2, 3)
    sm = D.SoftmaxTransform()(strided(x))
    close(sm, np.exp(x) / np.exp(x).sum())
    m = np.array([[0.5, 9.0], [-0.3, -1.2]])
    L = D.LowerCholeskyTransform()(strided(m))
    close(L, [[np.exp(0.5), 0.0], [-0.3, np.exp(-1.2)]])
    close(D.LowerCholeskyTransform().inv(L), np.tril(m))
    r = D.ReshapeTransform((2, 3), (6,))
    v = ember.arange(12, dtype=ember.float64).reshape(2, 2, 3)
    assert r(v).shape == (2, 6) and r.inv(r(v)).shape == (2, 2, 3) and r.log_abs_det_jacobian(v, r(v)).shape == (2,)
    with pytest.raises(ValueError):
        D.ReshapeTransform((2, 3), (5,))
    it = D.IndependentTransform(D.ExpTransform(), 1)
    close(it.log_abs_det_jacobian(strided(x), it(strided(x))), x.sum())
    sp = D.SoftplusTransform()
    close(sp.inv(sp(strided(x))), x, rtol=1e-9)
    close(sp.log_abs_det_jacobian(strided(x), sp(strided(x))), np.log(ss.logistic.cdf(x)))


@pytest.mark.parametrize("constraint", [
    D.constraints.real, D.constraints.positive, D.constraints.nonnegative, D.constraints.greater_than(1.5),
    D.constraints.less_than(-2.0), D.constraints.interval(-1.0, 3.0), D.constraints.unit_interval,
    D.constraints.simplex, D.constraints.independent(D.constraints.positive, 1), D.constraints.lower_cholesky,
    D.constraints.corr_cholesky,
])
def test_biject_to_and_transform_to_reach_the_constraint(constraint):
    x = ember.tensor([[0.4, -2.0], [1.3, 0.2]], dtype=ember.float64)
    if constraint is D.constraints.corr_cholesky:
        x = ember.tensor([[0.4, -2.0, 1.3], [1.3, 0.2, -0.5]], dtype=ember.float64)
    for registry in (D.biject_to, D.transform_to):
        t = registry(constraint)
        y = t(x)
        assert bool(constraint.check(y).all())
        if registry is D.biject_to and constraint is not D.constraints.lower_cholesky:
            assert t.bijective
            close(t(t.inv(y)), npy(y), rtol=1e-9)
    with pytest.raises(NotImplementedError):
        D.biject_to(D.constraints.boolean)


def test_inverse_gamma_moments_where_defined():
    d = D.InverseGamma(strided([3.5]), strided([0.7]))
    close(d.mean, ss.invgamma(3.5, scale=0.7).mean())
    close(d.variance, ss.invgamma(3.5, scale=0.7).var())
    assert np.isinf(npy(D.InverseGamma(strided([0.5]), strided([1.0])).mean)).all()


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1))
def test_kumaraswamy_closed_forms(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.5, 4, 3), rng.uniform(0.5, 4, 3)
    x = rng.uniform(0.05, 0.95, 3)
    d = D.Kumaraswamy(strided(a), strided(b))
    close(d.log_prob(strided(x)), np.log(a * b * x ** (a - 1) * (1 - x ** a) ** (b - 1)), rtol=1e-8)
    m1 = b * scipy.special.beta(1 + 1 / a, b)
    m2 = b * scipy.special.beta(1 + 2 / a, b)
    close(d.mean, m1)
    close(d.variance, m2 - m1 ** 2, rtol=1e-6)
    for i in range(3):  # entropy = -∫ p log p
        pdf = lambda v: a[i] * b[i] * v ** (a[i] - 1) * (1 - v ** a[i]) ** (b[i] - 1)  # noqa: E731
        h = scipy.integrate.quad(lambda v: -pdf(v) * np.log(pdf(v)) if pdf(v) > 0 else 0.0, 0, 1, limit=200)[0]
        np.testing.assert_allclose(float(d.entropy()[i]), h, rtol=1e-4, atol=1e-6)


def test_logistic_normal_is_a_density_on_the_simplex():
    d = D.LogisticNormal(ember.tensor([0.4], dtype=ember.float64), ember.tensor([0.8], dtype=ember.float64))
    assert d.batch_shape == () and d.event_shape == (2,)
    f = lambda v: math.exp(float(d.log_prob(ember.tensor([v, 1 - v], dtype=ember.float64))))  # noqa: E731
    assert abs(scipy.integrate.quad(f, 1e-12, 1 - 1e-12)[0] - 1) < 1e-6
    ember.manual_seed(4)
    s = d.sample((20000,))
    assert s.shape == (20000, 2) and bool(D.constraints.simplex.check(s).all())
    # first coordinate is sigmoid(Normal(loc - log 1, scale))
    np.testing.assert_allclose(np.median(npy(s)[:, 0]), 1 / (1 + np.exp(-0.4)), atol=0.01)


def test_cumulative_distribution_transform():
    t = D.CumulativeDistributionTransform(D.Normal(ember.tensor(0.5, dtype=ember.float64), 2.0))
    x = strided([-1.0, 0.3, 2.0])
    close(t(x), ss.norm(0.5, 2).cdf(npy(x)))
    close(t.inv(t(x)), npy(x), rtol=1e-9)
    close(t.log_abs_det_jacobian(x, t(x)), ss.norm(0.5, 2).logpdf(npy(x)))


def test_one_hot_straight_through_gradient():
    logits = ember.tensor([0.1, 0.5, -0.3], dtype=ember.float64, requires_grad=True)
    ember.manual_seed(0)
    s = D.OneHotCategoricalStraightThrough(logits=logits).rsample()
    assert float(s.sum()) == 1.0 and set(npy(s).tolist()) <= {0.0, 1.0}
    c = np.array([1.0, 2.0, 3.0])
    (s * ember.tensor(c.tolist(), dtype=ember.float64)).sum().backward()
    p = np.exp([0.1, 0.5, -0.3]) / np.exp([0.1, 0.5, -0.3]).sum()
    close(logits.grad, p * (c - p @ c))  # d(p·c)/dlogits through the softmax


def test_von_mises():
    loc, k = np.array([0.3, -2.5, 1.0]), np.array([2.0, 0.3, 40.0])
    d = D.VonMises(strided(loc), strided(k))
    x = np.array([1.0, 3.0, 1.1])
    close(d.log_prob(strided(x)), ss.vonmises(k, loc=loc).logpdf(x))
    close(d.variance, 1 - scipy.special.i1(k) / scipy.special.i0(k))
    ember.manual_seed(9)
    s = npy(d.sample((20000,)))
    assert s.shape == (20000, 3) and (s >= -math.pi).all() and (s < math.pi).all()
    for i in range(3):  # circular mean and mean resultant length I1(κ)/I0(κ)
        z = np.exp(1j * s[:, i]).mean()
        assert abs(np.angle(z * np.exp(-1j * loc[i]))) < 0.05
        np.testing.assert_allclose(abs(z), scipy.special.i1(k[i]) / scipy.special.i0(k[i]), atol=0.015)
    assert not d.has_rsample


@pytest.mark.parametrize("lam", [0.05, 0.3, 0.4995, 0.5, 0.7, 0.97])
def test_continuous_bernoulli_against_quadrature(lam):
    d = D.ContinuousBernoulli(probs=ember.tensor(lam, dtype=ember.float64))
    pdf = lambda v: math.exp(float(d.log_prob(ember.tensor(v, dtype=ember.float64))))  # noqa: E731
    assert abs(scipy.integrate.quad(pdf, 0, 1)[0] - 1) < 1e-6
    m = scipy.integrate.quad(lambda v: v * pdf(v), 0, 1)[0]
    v2 = scipy.integrate.quad(lambda v: (v - m) ** 2 * pdf(v), 0, 1)[0]
    h = scipy.integrate.quad(lambda v: -pdf(v) * math.log(pdf(v)), 0, 1)[0]
    np.testing.assert_allclose([float(d.mean), float(d.variance), float(d.entropy())], [m, v2, h], rtol=1e-5, atol=1e-8)
    c = scipy.integrate.quad(pdf, 0, 0.3)[0]
    tol = 1e-3 if 0.499 < lam < 0.501 else 1e-6  # PyTorch's cdf/icdf are the uniform ones near λ = 1/2
    np.testing.assert_allclose(float(d.cdf(ember.tensor(0.3, dtype=ember.float64))), c, rtol=tol)
    np.testing.assert_allclose(float(d.icdf(ember.tensor(c, dtype=ember.float64))), 0.3, rtol=tol)
    logit = D.ContinuousBernoulli(logits=ember.tensor(math.log(lam / (1 - lam)), dtype=ember.float64))
    close(logit.log_prob(ember.tensor([0.2, 0.9], dtype=ember.float64)),
          npy(d.log_prob(ember.tensor([0.2, 0.9], dtype=ember.float64))), rtol=1e-8)


def test_cat_stack_and_positive_definite_transforms():
    x = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]])
    cat = D.CatTransform([D.ExpTransform(), D.AffineTransform(1.0, 3.0)], dim=1, lengths=[1, 2])
    y = cat(strided(x))
    close(y, np.concatenate([np.exp(x[:, :1]), 1 + 3 * x[:, 1:]], 1))
    close(cat.inv(y), x, rtol=1e-10)
    close(cat.log_abs_det_jacobian(strided(x), y), np.concatenate([x[:, :1], np.full((2, 2), np.log(3))], 1))
    assert bool(cat.codomain.check(y).all())
    stack = D.StackTransform([D.ExpTransform(), D.SigmoidTransform()], dim=0)
    ys = stack(strided(x[:, :2].T))
    close(ys, np.stack([np.exp(x[:, 0]), ss.logistic.cdf(x[:, 1])]))
    close(stack.inv(ys), x[:, :2].T, rtol=1e-8)
    with pytest.raises(ValueError):
        cat(strided(x[:, :2]))
    pd = D.PositiveDefiniteTransform()
    m = np.array([[0.3, 5.0], [-1.2, 0.4]])
    P = pd(strided(m))
    L = np.array([[np.exp(0.3), 0], [-1.2, np.exp(0.4)]])
    close(P, L @ L.T)
    close(pd.inv(P), np.tril(m), rtol=1e-9)
    assert bool(D.constraints.positive_definite.check(P))


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1))
def test_generalized_pareto_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    loc, scale = rng.normal(size=3), rng.uniform(0.5, 2, 3)
    xi = np.array([rng.uniform(0.05, 0.45), 0.0, rng.uniform(-0.8, -0.1)])
    ref = ss.genpareto(xi, loc=loc, scale=scale)
    d = D.GeneralizedPareto(strided(loc), strided(scale), strided(xi))
    x = ref.ppf(rng.uniform(0.05, 0.95, 3))
    close(d.log_prob(strided(x)), ref.logpdf(x))
    close(d.cdf(strided(x)), ref.cdf(x))
    q = rng.uniform(0.05, 0.95, 3)
    close(d.icdf(strided(q)), ref.ppf(q))
    close(d.mean, ref.mean())
    close(d.variance, ref.var())
    close(d.entropy(), ref.entropy(), rtol=1e-5)
    ember.manual_seed(seed % 1000)
    s = d.sample((500,))
    assert bool(d.support.check(s).all())


@pytest.mark.parametrize("eta", [0.7, 1.0, 2.5])
def test_lkj_cholesky(eta):
    d2 = D.LKJCholesky(2, ember.tensor(eta, dtype=ember.float64))
    L = lambda r: ember.tensor([[1.0, 0.0], [r, math.sqrt(1 - r * r)]], dtype=ember.float64)  # noqa: E731
    total = scipy.integrate.quad(lambda r: math.exp(float(d2.log_prob(L(r)))), -1 + 1e-12, 1 - 1e-12)[0]
    assert abs(total - 1) < 1e-8  # a density over the one free entry
    # in dimension d every correlation is marginally 2·Beta(η - 1 + d/2, same) - 1: variance 1/(2η + d - 1)
    ember.manual_seed(8)
    d4 = D.LKJCholesky(4, ember.tensor(eta, dtype=ember.float64))
    s = d4.sample((20000,))
    assert s.shape == (20000, 4, 4) and bool(D.constraints.corr_cholesky.check(s).all())
    corr = npy(s @ s.mT)
    np.testing.assert_allclose(np.diagonal(corr, axis1=1, axis2=2), 1.0, atol=1e-9)
    off = corr[:, np.tril_indices(4, -1)[0], np.tril_indices(4, -1)[1]]
    np.testing.assert_allclose(off.var(0), 1 / (2 * eta + 3), rtol=0.06)
    with pytest.raises(ValueError):
        D.LKJCholesky(1)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1))
def test_wishart_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(3, 3))
    S = A @ A.T + 0.5 * np.eye(3)
    df = rng.uniform(2.5, 8.0)
    ref = ss.wishart(df, S)
    X = ref.rvs(random_state=seed)
    for kw in (dict(covariance_matrix=strided(S)), dict(precision_matrix=strided(np.linalg.inv(S))),
               dict(scale_tril=strided(np.linalg.cholesky(S)))):
        w = D.Wishart(df, **kw)
        close(w.log_prob(strided(X)), ref.logpdf(X), rtol=1e-7)
        close(w.entropy(), ref.entropy(), rtol=1e-7)
        close(w.mean, ref.mean(), rtol=1e-7)
        close(w.variance, ref.var(), rtol=1e-7)
    assert w.batch_shape == () and w.event_shape == (3, 3)


def test_wishart_sampling_and_errors():
    S = ember.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=ember.float64)
    ember.manual_seed(12)
    w = D.Wishart(ember.tensor([4.0, 6.0], dtype=ember.float64), covariance_matrix=S)
    s = w.sample((20000,))
    assert s.shape == (20000, 2, 2, 2) and bool(D.constraints.positive_definite.check(s[:5, 0]).all())
    np.testing.assert_allclose(npy(s).mean(0), npy(w.mean), rtol=0.03)
    np.testing.assert_allclose(npy(s).var(0), npy(w.variance), rtol=0.08)
    with pytest.raises(ValueError):
        D.Wishart(0.5, covariance_matrix=S)
    with pytest.raises(ValueError):
        D.Wishart(3.0)
    df = ember.tensor(5.0, dtype=ember.float64, requires_grad=True)
    D.Wishart(df, covariance_matrix=S).rsample((2000,)).mean(0)[0, 0].backward()
    assert abs(float(df.grad) - 2.0) < 0.2  # d/d(df) of E[X00] = Σ00


def test_corr_cholesky_transform():
    x = np.array([0.3, -1.2, 0.5, 2.0, -0.1, 0.7])
    t = D.CorrCholeskyTransform()
    y = t(strided(x))
    assert y.shape == (4, 4) and bool(D.constraints.corr_cholesky.check(y))
    close(t.inv(y), x, rtol=1e-8)
    rows, cols = np.tril_indices(4, -1)
    run = lambda v: npy(t(ember.tensor(v.tolist(), dtype=ember.float64)))[rows, cols]  # noqa: E731
    close(t.log_abs_det_jacobian(strided(x), y), _numeric_log_det(run, x), rtol=1e-6)
    with pytest.raises(ValueError):
        t(ember.zeros(4, dtype=ember.float64))
