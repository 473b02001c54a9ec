"""Wishart distribution over positive-definite matrices, sampled by the Bartlett decomposition."""
import math
import numbers

import ember

from . import constraints
from ._gamma_sampler import standard_gamma
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .multivariate_normal import _precision_to_scale_tril
from .utils import lazy_property

__all__ = ["Wishart"]


class Wishart(ExponentialFamily):
    """W_p(df, Σ): X = L A Aᵀ Lᵀ with Σ = L Lᵀ; exactly one of covariance_matrix, precision_matrix, scale_tril."""

    arg_constraints = {"covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky, "df": constraints.greater_than(0)}
    support = constraints.positive_definite
    has_rsample = True

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        param = next(p for p in (covariance_matrix, precision_matrix, scale_tril) if p is not None)
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        p = param.shape[-1]
        if isinstance(df, numbers.Number):
            batch_shape = tuple(param.shape[:-2])
            self.df = ember.tensor(float(df), dtype=param.dtype, device=param.device).expand(batch_shape)
        else:
            batch_shape = ember.broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape))
            self.df = df.expand(batch_shape)
        event_shape = (p, p)
        if scale_tril is not None:
            self.scale_tril = param.expand(batch_shape + (-1, -1))
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self.covariance_matrix = param.expand(batch_shape + (-1, -1))
            self._unbroadcasted_scale_tril = ember.linalg.cholesky(covariance_matrix)
        else:
            self.precision_matrix = param.expand(batch_shape + (-1, -1))
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = tuple(batch_shape)
        cov_shape = batch_shape + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(batch_shape)
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(tuple(self._batch_shape) + tuple(self._event_shape))

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    @lazy_property
    def precision_matrix(self):
        return ember.cholesky_inverse(self._unbroadcasted_scale_tril).expand(
            tuple(self._batch_shape) + tuple(self._event_shape))

    @property
    def mean(self):
        return self.df.view(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = ember.where(factor <= 0, ember.full_like(factor, math.nan), factor)
        return factor.view(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        diag_V = V.diagonal(dim1=-2, dim2=-1)
        return self.df.view(tuple(self._batch_shape) + (1, 1)) * (V.pow(2) + ember.einsum("...i,...j->...ij",
                                                                                            diag_V, diag_V))

    def rsample(self, sample_shape=ember.Size()):
        # Bartlett: A lower triangular, A_ii² ~ χ²(df - i), A_ij ~ N(0, 1) below the diagonal
        sample_shape = tuple(sample_shape)
        p = self._event_shape[-1]
        shape = sample_shape + tuple(self._batch_shape)
        offsets = ember.arange(p, dtype=self.df.dtype, device=self.df.device)
        chi2_half_df = (0.5 * (self.df.unsqueeze(-1) - offsets)).expand(shape + (p,))
        diag = (2 * standard_gamma(chi2_half_df)).sqrt()
        noise = ember.randn(shape + (p, p), dtype=self.df.dtype, device=self.df.device).tril(-1)
        A = noise + ember.diag_embed(diag)
        LA = self._unbroadcasted_scale_tril @ A
        return LA @ LA.mT

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu = self.df
        p = self._event_shape[-1]
        half_log_det_cov = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        log_det_x = ember.linalg.slogdet(value)[1]
        trace_term = ember.cholesky_solve(value, self._unbroadcasted_scale_tril).diagonal(dim1=-2, dim2=-1).sum(-1)
        return (-nu * (p * math.log(2) / 2 + half_log_det_cov) - ember.mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * log_det_x - trace_term / 2)

    def entropy(self):
        nu = self.df
        p = self._event_shape[-1]
        half_log_det_cov = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        offsets = ember.arange(p, dtype=nu.dtype, device=nu.device)
        sum_digamma = ember.digamma((nu.unsqueeze(-1) - offsets) / 2).sum(-1)
        return ((p + 1) * half_log_det_cov + 0.5 * p * (p + 1) * math.log(2) + ember.mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * sum_digamma + nu * p / 2)
