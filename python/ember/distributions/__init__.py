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
from .low_rank_mvn import LowRankMultivariateNormal
from .independent import Independent
from .transformed_distribution import LogitRelaxedBernoulli, LogNormal, RelaxedBernoulli, TransformedDistribution
from .heavy_tailed import Chi2, FisherSnedecor, GeneralizedPareto, HalfCauchy, NegativeBinomial, Pareto, Weibull
from .derived import InverseGamma, Kumaraswamy, LogisticNormal, OneHotCategoricalStraightThrough
from .relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from .mixture_same_family import MixtureSameFamily
from .von_mises import VonMises
from .lkj_cholesky import LKJCholesky
from .wishart import Wishart
from .continuous_bernoulli import ContinuousBernoulli
from .transforms import (AbsTransform, AffineTransform, CatTransform, ComposeTransform, CorrCholeskyTransform,
                         CumulativeDistributionTransform, ExpTransform, IndependentTransform,
                         LowerCholeskyTransform, PositiveDefiniteTransform, PowerTransform, ReshapeTransform,
                         SigmoidTransform, SoftmaxTransform, SoftplusTransform, StackTransform,
                         StickBreakingTransform, TanhTransform, Transform, identity_transform)
from .constraint_registry import biject_to, transform_to
from .kl import kl_divergence, register_kl
from ._module_aliases import install as _install_aliases

__all__ = [
    # distributions
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ContinuousBernoulli", "Dirichlet",
    "Distribution", "Exponential", "ExponentialFamily", "FisherSnedecor", "Gamma", "GeneralizedPareto",
    "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Independent", "InverseGamma", "Kumaraswamy", "LKJCholesky", "Laplace",
    "LogNormal", "LogisticNormal", "LowRankMultivariateNormal", "MixtureSameFamily", "Multinomial",
    "MultivariateNormal", "NegativeBinomial", "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough",
    "Pareto", "Poisson", "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT", "TransformedDistribution",
    "Uniform", "VonMises", "Weibull", "Wishart",
    # transforms and the constraint registry
    "AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform",
    "ExpTransform", "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
    "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform",
    "StackTransform", "StickBreakingTransform", "TanhTransform", "Transform", "biject_to", "identity_transform",
    "transform_to",
    # KL and submodules
    "kl_divergence", "register_kl", "constraints", "transforms",
]

_install_aliases(__name__)
