"""ember.distributions: probability distributions with PyTorch's names and semantics.

Every family has batch_shape / event_shape, sample and (where reparameterisable) rsample,
log_prob, cdf / icdf where closed-form, entropy (nats, or `entropy(base=2)` for bits), mean,
mode, variance, stddev, support and arg_constraints, and parameter validation on by default.
Beyond PyTorch: Dirac (a point mass), entropies in any base, Gamma/Chi2/Poisson/Binomial cdfs,
exact implicit reparameterisation for Gamma, Beta, Dirichlet and StudentT, closed-form
maximum-likelihood `Family.fit(x)`, `GaussianMixture.fit(x, k)` by EM, and
`kl_divergence_mc`.
"""

from . import constraints, transforms
from .categorical import Categorical, Multinomial, OneHotCategorical
from .constraint_registry import biject_to, transform_to
from .continuous import Cauchy, Exponential, Gumbel, Laplace, Normal, StudentT, Uniform
from .dirac import Dirac
from .discrete import Bernoulli, Binomial, Geometric, Poisson
from .distribution import Distribution
from .gamma import Beta, Chi2, Dirichlet, Gamma
from .independent import Independent
from .kl import kl_divergence, kl_divergence_mc, register_kl
from .mixture import GaussianMixture
from .mixture_same_family import MixtureSameFamily
from .multivariate_normal import LowRankMultivariateNormal, MultivariateNormal
from .transformed_distribution import LogNormal, TransformedDistribution
from .transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    identity_transform,
)

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical",
    "Cauchy", "Chi2", "ComposeTransform", "Dirac", "Dirichlet", "Distribution",
    "ExpTransform", "Exponential", "GaussianMixture", "Gamma", "Geometric", "Gumbel",
    "Independent", "IndependentTransform", "Laplace", "LogNormal", "LowRankMultivariateNormal",
    "LowerCholeskyTransform", "MixtureSameFamily", "Multinomial", "MultivariateNormal",
    "Normal", "OneHotCategorical", "Poisson", "PositiveDefiniteTransform", "PowerTransform",
    "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StickBreakingTransform",
    "StudentT", "TanhTransform", "Transform", "TransformedDistribution", "Uniform",
    "biject_to", "constraints", "identity_transform", "kl_divergence", "kl_divergence_mc",
    "register_kl", "transform_to", "transforms",
]
