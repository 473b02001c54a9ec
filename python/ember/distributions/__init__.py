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
from .heavy_tailed import Chi2, FisherSnedecor, GeneralizedPareto, HalfCauchy, NegativeBinomial, Pareto, Weibull
from .low_rank_mvn import LowRankMultivariateNormal
from .von_mises import VonMises
from .continuous_bernoulli import ContinuousBernoulli
from .derived import InverseGamma, Kumaraswamy, LogisticNormal, OneHotCategoricalStraightThrough
from .transforms import (CatTransform, CumulativeDistributionTransform, PositiveDefiniteTransform, StackTransform,
                         identity_transform)
from .relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from .mixture_same_family import MixtureSameFamily
from .transforms import (AbsTransform, IndependentTransform, LowerCholeskyTransform, ReshapeTransform,
                         SoftmaxTransform, SoftplusTransform, StickBreakingTransform)
from .constraint_registry import biject_to, transform_to
from .kl import kl_divergence, register_kl
from ._module_aliases import install as _install_aliases

__all__ = ["AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "ComposeTransform",
           "AbsTransform", "GeneralizedPareto", "CatTransform", "PositiveDefiniteTransform", "StackTransform", "VonMises", "ContinuousBernoulli", "CumulativeDistributionTransform", "InverseGamma", "Kumaraswamy", "LogisticNormal",
           "OneHotCategoricalStraightThrough", "identity_transform", "FisherSnedecor", "LowRankMultivariateNormal", "IndependentTransform", "LowerCholeskyTransform", "ReshapeTransform",
           "StickBreakingTransform", "biject_to", "transform_to", "Chi2", "HalfCauchy", "MixtureSameFamily",
           "NegativeBinomial", "Pareto", "RelaxedOneHotCategorical", "SoftmaxTransform", "SoftplusTransform",
           "Weibull", "Dirichlet", "Distribution", "ExpTransform", "Exponential", "ExponentialFamily", "Gamma", "Geometric",
           "Gumbel", "HalfNormal", "Independent", "Laplace", "LogNormal",
           "Multinomial", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "PowerTransform",
           "RelaxedBernoulli", "SigmoidTransform", "StudentT", "TanhTransform", "Transform",
           "TransformedDistribution", "Uniform", "constraints", "kl_divergence", "register_kl", "transforms"]

_install_aliases(__name__)
