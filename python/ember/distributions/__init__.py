"""Probability distributions and KL divergences, as ``torch.distributions``.

Parameters are ember tensors, so ``log_prob``, ``entropy`` and ``rsample`` (where a
reparameterised sampler exists, ``has_rsample``) are differentiable with ember's autograd.
"""
from . import constraints, transforms
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .location_scale import Cauchy, Gumbel, HalfNormal, Laplace, Normal, StudentT
from .gamma_family import Beta, Dirichlet, Exponential, Gamma, Uniform
from .discrete import Bernoulli, Binomial, Categorical, Geometric, Multinomial, OneHotCategorical, Poisson
from .multivariate_normal import MultivariateNormal
from .independent import Independent
from .transformed_distribution import LogitRelaxedBernoulli, LogNormal, RelaxedBernoulli, TransformedDistribution
from .transforms import (AffineTransform, ComposeTransform, ExpTransform, PowerTransform, SigmoidTransform,
                         TanhTransform, Transform)
from .kl import kl_divergence, register_kl

__all__ = ["AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "ComposeTransform",
           "Dirichlet", "Distribution", "ExpTransform", "Exponential", "ExponentialFamily", "Gamma", "Geometric",
           "Gumbel", "HalfNormal", "Independent", "Laplace", "LogNormal", "LogitRelaxedBernoulli",
           "Multinomial", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "PowerTransform",
           "RelaxedBernoulli", "SigmoidTransform", "StudentT", "TanhTransform", "Transform",
           "TransformedDistribution", "Uniform", "constraints", "kl_divergence", "register_kl", "transforms"]
