"""Distributions PyTorch builds from others: Chi2, Pareto, HalfCauchy, Weibull, NegativeBinomial."""
import math
import numbers

import ember

from . import constraints
from ._gamma_sampler import standard_gamma
from .discrete import _expand_count, _finish_expand, _init_count
from .distribution import Distribution
from .gamma_family import Exponential, Gamma
from .location_scale import Cauchy
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform, AffineTransform, ExpTransform, PowerTransform
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Chi2", "Pareto", "HalfCauchy", "Weibull", "NegativeBinomial"]

_EULER = 0.57721566490153286060


class Chi2(Gamma):
    """Chi-squared with ``df`` degrees of freedom, i.e. Gamma(df / 2, 1 / 2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, ember.full_like(df, 0.5), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2


class Pareto(TransformedDistribution):
    """Pareto type I: scale · exp(Exponential(alpha))."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base_dist = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Pareto, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.alpha = self.alpha.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def entropy(self):
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


class HalfCauchy(TransformedDistribution):
    """|X| for X ~ Cauchy(0, scale)."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        base_dist = Cauchy(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return ember.full(self._extended_shape(), math.inf, dtype=self.scale.dtype, device=self.scale.device)

    @property
    def mode(self):
        return ember.zeros_like(self.scale)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = ember.as_tensor(value, dtype=self.base_dist.scale.dtype)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return ember.where(value >= 0, log_prob, ember.full_like(log_prob, -math.inf))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


class Weibull(TransformedDistribution):
    """Weibull: scale · E^(1/concentration) for E ~ Exponential(1)."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(ember.ones_like(self.scale), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration_reciprocal),
                      AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Weibull, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base_dist = self.base_dist.expand(batch_shape)
        transforms = [PowerTransform(exponent=new.concentration_reciprocal), AffineTransform(loc=0, scale=new.scale)]
        TransformedDistribution.__init__(new, base_dist, transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.scale * ember.exp(ember.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self):
        return self.scale * ((self.concentration - 1) / self.concentration) ** self.concentration.reciprocal()

    @property
    def variance(self):
        return self.scale.pow(2) * (ember.exp(ember.lgamma(1 + 2 * self.concentration_reciprocal))
                                    - ember.exp(2 * ember.lgamma(1 + self.concentration_reciprocal)))

    def entropy(self):
        return (_EULER * (1 - self.concentration_reciprocal) + ember.log(self.scale * self.concentration_reciprocal)
                + 1)


class NegativeBinomial(Distribution):
    """Number of successes before ``total_count`` failures, success probability ``probs``."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        _init_count(self, total_count, probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand_count(self, NegativeBinomial, batch_shape, _instance)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def mean(self):
        return self.total_count * ember.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / ember.sigmoid(-self.logits)

    def sample(self, sample_shape=ember.Size()):
        # Gamma–Poisson mixture: rate ~ Gamma(total_count, scale = p / (1 - p))
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            rate = standard_gamma(self.total_count.expand(shape)) * ember.exp(self.logits.expand(shape))
            return ember.poisson(rate.contiguous())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized_prob = self.total_count * ember.nn.functional.logsigmoid(-self.logits) + value * \
            ember.nn.functional.logsigmoid(self.logits)
        log_normalization = (-ember.lgamma(self.total_count + value) + ember.lgamma(1.0 + value)
                             + ember.lgamma(self.total_count))
        log_normalization = ember.where(self.total_count + value == 0.0, ember.zeros_like(log_normalization),
                                        log_normalization)
        return log_unnormalized_prob - log_normalization


class FisherSnedecor(Distribution):
    """F-distribution with ``df1`` and ``df2`` degrees of freedom: (X1/df1) / (X2/df2), Xi ~ Chi²(dfi)."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        batch_shape = ember.Size() if isinstance(df1, numbers.Number) and isinstance(df2, numbers.Number) \
            else self.df1.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(FisherSnedecor, _instance)
        batch_shape = ember.Size(tuple(batch_shape))
        new.df1, new.df2 = self.df1.expand(batch_shape), self.df2.expand(batch_shape)
        return _finish_expand(new, self, batch_shape)

    @property
    def mean(self):
        df2 = self.df2.clone()
        return ember.where(df2 > 2, df2 / (df2 - 2), ember.full_like(df2, math.nan))

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return ember.where(self.df1 > 2, mode, ember.full_like(mode, math.nan))

    @property
    def variance(self):
        df2 = self.df2
        var = 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))
        return ember.where(df2 > 4, var, ember.full_like(var, math.nan))

    def rsample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        x1 = standard_gamma(0.5 * self.df1.expand(shape)) / self.df1
        x2 = standard_gamma(0.5 * self.df2.expand(shape)) / self.df2
        tiny = ember.finfo(x1.dtype).tiny
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        ct1 = self.df1 * 0.5
        ct2 = self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * ember.log(value)
        t3 = (ct1 + ct2) * ember.log1p(ct3 * value)
        return t1 + t2 - t3


__all__ += ["FisherSnedecor"]


class GeneralizedPareto(Distribution):
    """Generalized Pareto with ``loc``, ``scale`` and shape ``concentration`` (ξ); ξ = 0 is the exponential tail
    and ξ < 0 bounds the support at loc - scale / ξ."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        batch_shape = ember.Size() if all(isinstance(v, numbers.Number) for v in (loc, scale, concentration)) \
            else self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(GeneralizedPareto, _instance)
        batch_shape = ember.Size(tuple(batch_shape))
        new.loc, new.scale, new.concentration = (t.expand(batch_shape) for t in
                                                 (self.loc, self.scale, self.concentration))
        return _finish_expand(new, self, batch_shape)

    def _xi_safe(self):
        # ξ replaced by 1 where it is 0, so the ξ ≠ 0 branches stay finite before ember.where picks
        return ember.where(self.concentration == 0, ember.ones_like(self.concentration), self.concentration)

    def rsample(self, sample_shape=ember.Size()):
        u = ember.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        xi = self._xi_safe()
        general = -(1 / xi + 1) * ember.log1p(xi * z)
        body = ember.where(self.concentration == 0, -z, general)
        out = body - self.scale.log()
        inside = (z >= 0) & ((self.concentration >= 0) | (z <= -1 / xi))
        return ember.where(inside, out, ember.full_like(out, -math.inf))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = ((value - self.loc) / self.scale).clamp(min=0)
        xi = self._xi_safe()
        general = -ember.log1p(xi * z) / xi
        log_survival = ember.where(self.concentration == 0, -z, general)
        out = -ember.expm1(log_survival)
        return ember.where(self.concentration < 0, ember.where(z >= -1 / xi, ember.ones_like(out), out), out)

    def icdf(self, value):
        xi = self._xi_safe()
        log_survival = ember.log1p(-value)
        general = ember.expm1(-xi * log_survival) / xi
        z = ember.where(self.concentration == 0, -log_survival, general)
        return self.loc + self.scale * z

    @property
    def mean(self):
        m = self.loc + self.scale / (1 - self.concentration)
        return ember.where(self.concentration < 1, m, ember.full_like(m, math.nan))

    @property
    def variance(self):
        xi = self.concentration
        v = self.scale.pow(2) / ((1 - xi).pow(2) * (1 - 2 * xi))
        return ember.where(xi < 0.5, v, ember.full_like(v, math.nan))

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        return self.scale.log() + self.concentration + 1

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = ember.where(self.concentration < 0, self.loc - self.scale / self._xi_safe(),
                            ember.full_like(self.loc, math.inf))
        return constraints.interval(self.loc, upper)


__all__ += ["GeneralizedPareto"]
