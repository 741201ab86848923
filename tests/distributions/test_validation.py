"""Every invalid-parameter case raises its documented error (ValueError naming the parameter
and the constraint), values outside the support raise in log_prob, and validation can be
turned off."""

import math

import pytest

import ember
import ember.distributions as D

T = ember.tensor
I2 = [[1.0, 0.0], [0.0, 1.0]]

INVALID = [
    ("Normal scale < 0", lambda: D.Normal(0.0, -1.0), r"parameter scale .*GreaterThan"),
    ("Normal scale = 0", lambda: D.Normal(0.0, 0.0), r"parameter scale .*GreaterThan"),
    ("Normal loc nan", lambda: D.Normal(math.nan, 1.0), r"parameter loc .*Real"),
    ("Bernoulli probs > 1", lambda: D.Bernoulli(probs=1.5), r"parameter probs .*Interval"),
    ("Bernoulli both", lambda: D.Bernoulli(probs=0.5, logits=0.0), r"either `probs` or"),
    ("Bernoulli neither", lambda: D.Bernoulli(), r"either `probs` or"),
    ("Binomial total_count < 0", lambda: D.Binomial(-1, probs=0.5),
     r"parameter total_count .*IntegerGreaterThan"),
    ("Binomial total_count 2.5", lambda: D.Binomial(2.5, probs=0.5),
     r"parameter total_count .*IntegerGreaterThan"),
    ("Binomial probs < 0", lambda: D.Binomial(3, probs=-0.1), r"parameter probs .*Interval"),
    ("Categorical negative", lambda: D.Categorical(probs=T([0.5, -0.1, 0.6])),
     r"parameter probs .*Simplex"),
    ("Categorical zero sum", lambda: D.Categorical(probs=T([0.0, 0.0])),
     r"parameter probs .*Simplex"),
    ("Categorical scalar", lambda: D.Categorical(probs=T(0.5)), r"at least one-dimensional"),
    ("OneHotCategorical negative", lambda: D.OneHotCategorical(probs=T([1.0, -1.0])),
     r"parameter probs .*of distribution OneHotCategorical .*Simplex"),
    ("OneHotCategorical neither", lambda: D.OneHotCategorical(), r"OneHotCategorical: either"),
    ("Multinomial negative", lambda: D.Multinomial(2, probs=T([0.5, -0.5])),
     r"parameter probs .*of distribution Multinomial .*Simplex"),
    ("Multinomial total_count < 0", lambda: D.Multinomial(-1, probs=T([0.5, 0.5])),
     r"total_count must be a non-negative int"),
    ("Geometric probs = 0", lambda: D.Geometric(probs=0.0), r"parameter probs .*positive"),
    ("Geometric probs > 1", lambda: D.Geometric(probs=1.2), r"parameter probs .*Interval"),
    ("Poisson rate < 0", lambda: D.Poisson(-1.0), r"parameter rate .*GreaterThanEq"),
    ("Uniform low >= high", lambda: D.Uniform(1.0, 0.0), r"low and high .*low < high"),
    ("Exponential rate 0", lambda: D.Exponential(0.0), r"parameter rate .*GreaterThan"),
    ("Laplace scale < 0", lambda: D.Laplace(0.0, -1.0), r"parameter scale .*GreaterThan"),
    ("Gamma concentration < 0", lambda: D.Gamma(-1.0, 1.0),
     r"parameter concentration .*GreaterThan"),
    ("Gamma rate 0", lambda: D.Gamma(1.0, 0.0), r"parameter rate .*GreaterThan"),
    ("Chi2 df 0", lambda: D.Chi2(0.0), r"parameter df .*GreaterThan"),
    ("Beta concentration1 0", lambda: D.Beta(0.0, 1.0),
     r"parameter concentration1 .*GreaterThan"),
    ("Beta concentration0 < 0", lambda: D.Beta(1.0, -1.0),
     r"parameter concentration0 .*GreaterThan"),
    ("Dirichlet negative", lambda: D.Dirichlet(T([1.0, -1.0])),
     r"parameter concentration .*GreaterThan"),
    ("Dirichlet scalar", lambda: D.Dirichlet(T(1.0)), r"at least one-dimensional"),
    ("StudentT df 0", lambda: D.StudentT(0.0), r"parameter df .*GreaterThan"),
    ("StudentT scale < 0", lambda: D.StudentT(1.0, 0.0, -1.0),
     r"parameter scale .*GreaterThan"),
    ("Cauchy scale 0", lambda: D.Cauchy(0.0, 0.0), r"parameter scale .*GreaterThan"),
    ("Gumbel scale < 0", lambda: D.Gumbel(0.0, -2.0), r"parameter scale .*GreaterThan"),
    ("LogNormal scale < 0", lambda: D.LogNormal(0.0, -1.0), r"parameter scale .*GreaterThan"),
    ("MVN not positive definite",
     lambda: D.MultivariateNormal(ember.zeros(2), covariance_matrix=T([[1.0, 2.0], [2.0, 1.0]])),
     r"parameter covariance_matrix .*PositiveDefinite"),
    ("MVN not symmetric",
     lambda: D.MultivariateNormal(ember.zeros(2), covariance_matrix=T([[1.0, 0.5], [0.0, 1.0]])),
     r"parameter covariance_matrix .*PositiveDefinite"),
    ("MVN precision not positive definite",
     lambda: D.MultivariateNormal(ember.zeros(2), precision_matrix=-T(I2)),
     r"parameter precision_matrix .*PositiveDefinite"),
    ("MVN scale_tril not lower",
     lambda: D.MultivariateNormal(ember.zeros(2), scale_tril=T([[1.0, 1.0], [0.0, 1.0]])),
     r"parameter scale_tril .*LowerCholesky"),
    ("MVN scale_tril negative diagonal",
     lambda: D.MultivariateNormal(ember.zeros(2), scale_tril=T([[1.0, 0.0], [1.0, -1.0]])),
     r"parameter scale_tril .*LowerCholesky"),
    ("MVN no matrix", lambda: D.MultivariateNormal(ember.zeros(2)), r"exactly one of"),
    ("MVN two matrices", lambda: D.MultivariateNormal(ember.zeros(2), T(I2), scale_tril=T(I2)),
     r"exactly one of"),
    ("MVN shape mismatch", lambda: D.MultivariateNormal(ember.zeros(3), T(I2)),
     r"does not match loc"),
    ("MVN scalar loc", lambda: D.MultivariateNormal(T(0.0), T(I2)), r"at least one-dim"),
    ("LowRankMVN cov_diag < 0",
     lambda: D.LowRankMultivariateNormal(ember.zeros(2), ember.ones(2, 1), T([1.0, -1.0])),
     r"parameter cov_diag"),
    ("Independent too many dims", lambda: D.Independent(D.Normal(ember.zeros(3), 1.0), 2),
     r"reinterpreted_batch_ndims"),
    ("MixtureSameFamily mismatch",
     lambda: D.MixtureSameFamily(D.Categorical(ember.ones(3)), D.Normal(ember.zeros(2), 1.0)),
     r"3 categories but the components have 2"),
    ("MixtureSameFamily not categorical",
     lambda: D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(ember.zeros(2), 1.0)),
     r"must be a Categorical"),
    ("TransformedDistribution bad transforms",
     lambda: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"), r"transforms must be"),
    ("Dirac event_dim too large", lambda: D.Dirac(T([1.0]), event_dim=2), r"event_dim"),
    ("entropy base 1", lambda: D.Normal(0.0, 1.0).entropy(base=1), r"base must be"),
    ("entropy base negative", lambda: D.Normal(0.0, 1.0).entropy(base=-2), r"base must be"),
    ("kl_divergence_mc n = 0",
     lambda: D.kl_divergence_mc(D.Normal(0.0, 1.0), D.Normal(0.0, 1.0), 0), r"positive int"),
]


@pytest.mark.parametrize("make,match", [pytest.param(m, r, id=n) for n, m, r in INVALID])
def test_invalid_parameters_raise_value_error_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


OUTSIDE = [
    ("Normal nan", lambda: D.Normal(0.0, 1.0), math.nan),
    ("Exponential negative", lambda: D.Exponential(1.0), -1.0),
    ("Gamma negative", lambda: D.Gamma(2.0, 1.0), -0.5),
    ("Chi2 negative", lambda: D.Chi2(2.0), -0.5),
    ("Beta above 1", lambda: D.Beta(2.0, 2.0), 1.5),
    ("LogNormal negative", lambda: D.LogNormal(0.0, 1.0), -1.0),
    ("Uniform above high", lambda: D.Uniform(0.0, 1.0), 2.0),
    ("Bernoulli one half", lambda: D.Bernoulli(0.3), 0.5),
    ("Binomial above total_count", lambda: D.Binomial(7, probs=0.3), 8.0),
    ("Binomial fraction", lambda: D.Binomial(7, probs=0.3), 2.5),
    ("Geometric negative", lambda: D.Geometric(0.3), -1.0),
    ("Poisson fraction", lambda: D.Poisson(2.0), 1.5),
    ("Categorical out of range", lambda: D.Categorical(ember.ones(4)), 4),
    ("OneHotCategorical not one-hot", lambda: D.OneHotCategorical(ember.ones(3)),
     [1.0, 1.0, 0.0]),
    ("Multinomial too many", lambda: D.Multinomial(3, ember.ones(3)), [2.0, 2.0, 0.0]),
    ("Dirichlet off the simplex", lambda: D.Dirichlet(ember.ones(3)), [0.5, 0.5, 0.5]),
]


@pytest.mark.parametrize("make,value", [pytest.param(m, v, id=n) for n, m, v in OUTSIDE])
def test_log_prob_outside_the_support_raises(make, value):
    with pytest.raises(ValueError, match=r"within the support"):
        make().log_prob(T(value))


ICDF = [
    ("Normal", lambda: D.Normal(0.0, 1.0)),
    ("Uniform", lambda: D.Uniform(0.0, 1.0)),
    ("Exponential", lambda: D.Exponential(1.0)),
    ("Laplace", lambda: D.Laplace(0.0, 1.0)),
    ("Cauchy", lambda: D.Cauchy(0.0, 1.0)),
    ("Gumbel", lambda: D.Gumbel(0.0, 1.0)),
    ("Gamma", lambda: D.Gamma(2.0, 1.0)),
    ("Chi2", lambda: D.Chi2(3.0)),
    ("LogNormal", lambda: D.LogNormal(0.0, 1.0)),
    ("Dirac", lambda: D.Dirac(T(1.0))),
]


@pytest.mark.parametrize("make", [pytest.param(m, id=n) for n, m in ICDF])
@pytest.mark.parametrize("level", [-0.5, 1.5, math.nan])
def test_icdf_of_a_level_outside_0_1_raises(make, level):
    d = make()
    with pytest.raises(ValueError, match=rf"{type(d).__name__}\.icdf: value must be "
                                         rf"probabilities in \[0, 1\]"):
        d.icdf(T([0.5, level]))
    assert math.isfinite(d.icdf(T(0.5)).item())
    try:
        D.Distribution.set_default_validate_args(False)
        make().icdf(T(level))  # unchecked, as in PyTorch
    finally:
        D.Distribution.set_default_validate_args(True)


def test_value_shape_must_match_the_event_shape():
    mvn = D.MultivariateNormal(ember.zeros(2), T(I2))
    with pytest.raises(ValueError, match=r"event_shape"):
        mvn.log_prob(ember.zeros(3))
    with pytest.raises(ValueError, match=r"not broadcastable"):
        D.Normal(ember.zeros(3), 1.0).log_prob(ember.zeros(4))


def test_validate_args_false_skips_the_checks():
    d = D.Normal(0.0, -1.0, validate_args=False)
    assert d.scale.item() == -1.0
    lp = D.Uniform(0.0, 1.0, validate_args=False).log_prob(T(2.0))
    assert lp.item() == -math.inf
    D.Exponential(1.0, validate_args=False).log_prob(T(-1.0))


def test_set_default_validate_args_turns_validation_off_and_on():
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(0.0, -1.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")


def test_methods_without_closed_forms_say_so():
    with pytest.raises(NotImplementedError, match="rsample"):
        D.Bernoulli(0.5).rsample()
    with pytest.raises(NotImplementedError, match="cdf"):
        D.Beta(2.0, 2.0).cdf(T(0.5))
    with pytest.raises(NotImplementedError, match="mle"):
        D.Gamma.fit(T([1.0, 2.0]))
