"""Von Mises (circular normal) distribution on [-π, π)."""
import math

import ember

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["VonMises"]

_MAX_ROUNDS = 200


def _rejection_sample(loc, concentration, shape):
    """Best & Fisher (1979) wrapped-Cauchy envelope, vectorised: redraw only rejected entries."""
    k = concentration.detach().to(device="cpu", dtype=ember.float64).expand(shape)
    tau = 1 + ember.sqrt(1 + 4 * k * k)
    rho = (tau - ember.sqrt(2 * tau)) / (2 * k)
    # for tiny κ the expression above cancels; ρ ≈ κ/2 there
    rho = ember.where(k < 1e-5, k / 2, rho)
    r = (1 + rho * rho) / (2 * rho)
    out = ember.zeros(shape, dtype=ember.float64)
    done = ember.zeros(shape, dtype=ember.bool)
    for _ in range(_MAX_ROUNDS):
        u1, u2, u3 = (ember.rand(shape, dtype=ember.float64) for _ in range(3))
        z = ember.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = k * (r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((ember.log(c / u2) + 1 - c) >= 0)
        theta = ember.sign(u3 - 0.5) * ember.acos(f.clamp(min=-1.0, max=1.0))
        out = ember.where(accept & ~done, theta, out)
        done = done | accept
        if bool(done.all()):
            break
    wrapped = ember.remainder(out + loc.detach().to(device="cpu", dtype=ember.float64) + math.pi, 2 * math.pi) - math.pi
    return wrapped.to(device=loc.device, dtype=loc.dtype)


class VonMises(Distribution):
    """Density exp(κ cos(x - loc)) / (2π I0(κ)) on the circle; ``variance`` is the circular variance."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(VonMises, _instance)
        batch_shape = ember.Size(tuple(batch_shape))
        new.loc = self.loc.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.concentration * ember.cos(value - self.loc)
        # log I0(κ) = log i0e(κ) + κ, stable for large κ
        return log_prob - math.log(2 * math.pi) - (ember.special.i0e(self.concentration).log() + self.concentration)

    def sample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return _rejection_sample(self.loc.expand(shape), self.concentration, shape)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 1 - ember.special.i1e(self.concentration) / ember.special.i0e(self.concentration)
