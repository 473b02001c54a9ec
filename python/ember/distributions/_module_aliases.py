"""PyTorch's one-module-per-distribution import paths (``torch.distributions.normal``, …) as aliases.

ember groups related distributions into fewer files; these entries in ``sys.modules`` let
``from ember.distributions.normal import Normal`` and similar imports work unchanged.
"""
import sys
import types

_ALIASES = {
    "bernoulli": ["Bernoulli"],
    "beta": ["Beta"],
    "binomial": ["Binomial"],
    "categorical": ["Categorical"],
    "cauchy": ["Cauchy"],
    "chi2": ["Chi2"],
    "dirichlet": ["Dirichlet"],
    "exponential": ["Exponential"],
    "fishersnedecor": ["FisherSnedecor"],
    "gamma": ["Gamma"],
    "generalized_pareto": ["GeneralizedPareto"],
    "geometric": ["Geometric"],
    "gumbel": ["Gumbel"],
    "half_cauchy": ["HalfCauchy"],
    "half_normal": ["HalfNormal"],
    "inverse_gamma": ["InverseGamma"],
    "kumaraswamy": ["Kumaraswamy"],
    "laplace": ["Laplace"],
    "lkj_cholesky": ["LKJCholesky"],
    "log_normal": ["LogNormal"],
    "logistic_normal": ["LogisticNormal"],
    "lowrank_multivariate_normal": ["LowRankMultivariateNormal"],
    "mixture_same_family": ["MixtureSameFamily"],
    "multinomial": ["Multinomial"],
    "multivariate_normal": ["MultivariateNormal"],
    "negative_binomial": ["NegativeBinomial"],
    "normal": ["Normal"],
    "one_hot_categorical": ["OneHotCategorical", "OneHotCategoricalStraightThrough"],
    "pareto": ["Pareto"],
    "poisson": ["Poisson"],
    "relaxed_bernoulli": ["RelaxedBernoulli", "LogitRelaxedBernoulli"],
    "relaxed_categorical": ["RelaxedOneHotCategorical", "ExpRelaxedCategorical"],
    "studentT": ["StudentT"],
    "transformed_distribution": ["TransformedDistribution"],
    "uniform": ["Uniform"],
    "von_mises": ["VonMises"],
    "weibull": ["Weibull"],
}


def install(package_name):
    package = sys.modules[package_name]
    for short, names in _ALIASES.items():
        full = f"{package_name}.{short}"
        if full in sys.modules or hasattr(package, short):
            continue
        module = types.ModuleType(full, f"Alias of {', '.join(names)} in {package_name}.")
        for name in names:
            setattr(module, name, getattr(package, name))
        module.__all__ = list(names)
        sys.modules[full] = module
        setattr(package, short, module)
