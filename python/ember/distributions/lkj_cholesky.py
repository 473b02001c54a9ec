"""LKJ distribution over Cholesky factors of correlation matrices (Lewandowski, Kurowicka & Joe, 2009)."""
import math

import ember

from . import constraints
from .distribution import Distribution
from .gamma_family import Beta
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """L with L Lᵀ a ``dim`` × ``dim`` correlation matrix, density ∝ det(L Lᵀ)^(concentration - 1).

    Sampling is the onion method: row i of L is sqrt(y_i)·u_i on the unit sphere of the first i
    coordinates, with y_i ~ Beta(i/2, concentration + (dim - 1 - i)/2), and a diagonal that makes
    the row unit-length. (PyTorch 2.x draws y_i ~ Beta(i - 1/2, ·), whose correlations are not
    LKJ-distributed beyond the second row; ember follows the paper, checked by the marginals test.)
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = ember.Size((dim, dim))
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = ember.arange(self.dim - 1, dtype=self.concentration.dtype, device=self.concentration.device)
        offset = ember.cat([offset.new_zeros((1,)), offset])
        # row i ≥ 1 draws its squared off-diagonal norm from Beta(i/2, η + (dim - 1 - i)/2)
        beta_conc1 = 0.5 * offset + 0.5
        beta_conc0 = marginal_conc.unsqueeze(-1) - 0.5 * offset
        self._beta = Beta(beta_conc1, beta_conc0)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = ember.Size(tuple(batch_shape))
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=ember.Size()):
        with ember.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            shape = self._extended_shape(sample_shape)
            u_normal = ember.randn(shape, dtype=y.dtype, device=y.device).tril(-1)
            norm = u_normal.norm(dim=-1, keepdim=True)
            # row 0 has no off-diagonal entries; dividing 0 by 0 there is avoided by a unit norm
            norm = ember.where(norm == 0, ember.ones_like(norm), norm)
            w = ember.sqrt(y) * (u_normal / norm)
            tiny = ember.finfo(w.dtype).tiny
            diag = ember.clamp(1 - (w ** 2).sum(-1), min=tiny).sqrt()
            return w + ember.diag_embed(diag)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        # density of L (w.r.t. its strictly-lower entries): ∏_{i≥2} L_ii^(dim - i + 2(η - 1))
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = ember.arange(2, self.dim + 1, dtype=value.dtype, device=value.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diag_elems.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = ember.lgamma(alpha) * dm1
        numerator = ember.mvlgamma(alpha - 0.5, dm1)
        normalize_term = 0.5 * dm1 * math.log(math.pi) + numerator - denominator
        return unnormalized - normalize_term
