"""MixtureSameFamily: a finite mixture whose components are one batched distribution."""

from __future__ import annotations

from ..autograd import no_grad
from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution, _shape

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    r"""p(x) = sum_k pi_k p_k(x): mixing weights from `mixture_distribution` (a Categorical
    with batch_shape B and K categories) and components from `component_distribution` (batch
    shape B + (K,)). A Gaussian mixture is MixtureSameFamily(Categorical(w),
    Normal(means, stds)) (or MultivariateNormal components).

    log_prob is logsumexp_k (log pi_k + log p_k(x)); mean and variance by the laws of total
    expectation and variance; cdf = sum_k pi_k cdf_k(x). There is no closed-form entropy and
    no reparameterised sampler (choosing a component is discrete).
    """

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution: Categorical, component_distribution: Distribution,
                 validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("MixtureSameFamily: mixture_distribution must be a Categorical, "
                             f"got {type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("MixtureSameFamily: component_distribution must be a "
                             f"Distribution, got {type(component_distribution).__name__}")
        mb = mixture_distribution.batch_shape
        cb = component_distribution.batch_shape
        if len(cb) < 1:
            raise ValueError("MixtureSameFamily: component_distribution must have a batch "
                             "dim of K components (batch_shape (..., K))")
        k = cb[-1]
        if mixture_distribution._num_events != k:
            raise ValueError(f"MixtureSameFamily: the mixture distribution has "
                             f"{mixture_distribution._num_events} categories but the components "
                             f"have {k} (their last batch dim)")
        for a, b in zip(reversed(mb), reversed(cb[:-1])):
            if a != 1 and b != 1 and a != b:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mb}) is not compatible "
                                 f"with `component_distribution.batch_shape` ({cb})")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = k
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(cb[:-1], component_distribution.event_shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = tuple(batch_shape)
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._component_distribution = self._component_distribution.expand(
            batch_shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        new._batch_shape = batch_shape
        return new

    @constraints.dependent_property
    def support(self):
        return self._component_distribution.support

    @property
    def mixture_distribution(self) -> Categorical:
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Distribution:
        return self._component_distribution

    def _pad_probs(self) -> Tensor:
        """Mixing weights (B, K) shaped to broadcast against component values
        (B, K, *event)."""
        probs = self._mixture_distribution.probs
        return probs.reshape(tuple(probs.shape) + (1,) * self._event_ndims)

    @property
    def mean(self):
        return (self._pad_probs() * self._component_distribution.mean).sum(
            -1 - self._event_ndims)

    @property
    def variance(self):
        p = self._pad_probs()
        dim = -1 - self._event_ndims
        comp = self._component_distribution
        mean_cond_var = (p * comp.variance).sum(dim)
        var_cond_mean = (p * (comp.mean - self.mean.unsqueeze(dim)).pow(2)).sum(dim)
        return mean_cond_var + var_cond_mean

    def cdf(self, value):
        value = self._pad(value)
        return (self._component_distribution.cdf(value) * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            value = self._value(value, self._mixture_distribution._param)
        value = self._pad(value)
        lp = self._component_distribution.log_prob(value)         # (S, B, K)
        return (lp + self._mixture_distribution.logits).logsumexp(-1)

    def sample(self, sample_shape=()):
        with no_grad():
            sample_shape = _shape(sample_shape)
            idx = self._mixture_distribution.sample(sample_shape)        # (S, B)
            comp = self._component_distribution.sample(sample_shape)     # (S, B, K, *E)
            es = tuple(self.event_shape)
            index = idx.reshape(tuple(idx.shape) + (1,) * (1 + len(es)))
            index = index.expand(tuple(idx.shape) + (1,) + es)
            return comp.gather(len(sample_shape) + len(self.batch_shape), index).squeeze(
                len(sample_shape) + len(self.batch_shape))

    def _pad(self, value) -> Tensor:
        from .utils import as_tensor
        value = as_tensor(value, self._mixture_distribution._param)
        return value.unsqueeze(-1 - self._event_ndims)

    def __repr__(self) -> str:
        return (f"MixtureSameFamily(\n  {self._mixture_distribution!r},\n  "
                f"{self._component_distribution!r})")
