"""ember.info: the known values in bits, identities between the measures, bases, input
checks naming the offending row, gradients without nan at zero probabilities."""

import math

import numpy as np
import pytest
import scipy.stats as st

import ember
from ember import info
from ember.autograd import gradcheck

from .conftest import to_numpy

YUT = [4 / 16, 6 / 16, 4 / 16, 1 / 16, 1 / 16]  # do, gae, geol, yut, mo


@pytest.mark.parametrize("name,value,expected", [
    ("a fair coin's head carries 1 bit", lambda: info.self_information(0.5), 1.0),
    ("a die's face carries 2.585 bits", lambda: info.self_information(1 / 6), 2.585),
    ("a fair coin has 1 bit of entropy", lambda: info.entropy([0.5, 0.5]), 1.0),
    ("a fair die has 2.585 bits", lambda: info.entropy([1 / 6] * 6), 2.585),
    ("yut has 2.0306 bits", lambda: info.entropy(YUT), 2.0306),
    ("a certain event has 0 bits", lambda: info.entropy([1.0, 0.0, 0.0]), 0.0),
    ("a fair coin has ln 2 nats", lambda: info.entropy([0.5, 0.5], base=info.NATS),
     math.log(2)),
    ("ten equal outcomes have 1 dit", lambda: info.entropy([0.1] * 10, base=info.DITS), 1.0),
    ("a hartley is a dit", lambda: info.self_information(0.01, base=info.HARTLEYS), 2.0),
    ("KL of a fair coin to a biased one",
     lambda: info.kl_divergence([0.5, 0.5], [0.25, 0.75]), 0.5 + 0.5 * math.log2(2 / 3)),
    ("JS of disjoint distributions is 1 bit",
     lambda: info.jensen_shannon([1.0, 0.0], [0.0, 1.0]), 1.0),
])
def test_known_values(name, value, expected):
    assert float(value().item()) == pytest.approx(expected, abs=5e-5)


def _random_probs(rng, shape):
    w = rng.uniform(0.05, 1, shape)
    return w / w.sum(-1, keepdims=True)


def test_entropy_and_divergences_match_scipy_in_every_base():
    rng = np.random.default_rng(0)
    p, q = _random_probs(rng, (4, 6)), _random_probs(rng, (4, 6))
    pt, qt = ember.tensor(p, dtype=ember.float64), ember.tensor(q, dtype=ember.float64)
    for base in (2, math.e, 10):
        np.testing.assert_allclose(to_numpy(info.entropy(pt, base=base)),
                                   st.entropy(p, base=base, axis=-1), rtol=1e-12)
        np.testing.assert_allclose(to_numpy(info.kl_divergence(pt, qt, base=base)),
                                   st.entropy(p, q, base=base, axis=-1), rtol=1e-12)
        m = (p + q) / 2
        js = 0.5 * (st.entropy(p, m, base=base, axis=-1) + st.entropy(q, m, base=base, axis=-1))
        np.testing.assert_allclose(to_numpy(info.jensen_shannon(pt, qt, base=base)), js,
                                   rtol=1e-12)
    # along another dim
    np.testing.assert_allclose(to_numpy(info.entropy(pt.mT, dim=0)), st.entropy(p, base=2,
                                                                               axis=-1))


def test_cross_entropy_is_entropy_plus_kl():
    rng = np.random.default_rng(1)
    p, q = _random_probs(rng, (3, 5)), _random_probs(rng, (3, 5))
    pt, qt = ember.tensor(p, dtype=ember.float64), ember.tensor(q, dtype=ember.float64)
    for base in (2, math.e, 10):
        np.testing.assert_allclose(to_numpy(info.cross_entropy(pt, qt, base=base)),
                                   to_numpy(info.entropy(pt, base=base)
                                            + info.kl_divergence(pt, qt, base=base)),
                                   rtol=1e-12)
    np.testing.assert_allclose(to_numpy(info.cross_entropy(pt, pt)), to_numpy(info.entropy(pt)))


def test_joint_conditional_and_mutual_information():
    joint = np.array([[0.30, 0.10, 0.05], [0.05, 0.20, 0.30]])
    jt = ember.tensor(joint, dtype=ember.float64)
    px, py = joint.sum(1), joint.sum(0)
    hxy = st.entropy(joint.ravel(), base=2)
    hx, hy = st.entropy(px, base=2), st.entropy(py, base=2)
    assert info.joint_entropy(jt).item() == pytest.approx(hxy)
    assert info.conditional_entropy(jt).item() == pytest.approx(hxy - hx)
    assert info.conditional_entropy(jt, given=1).item() == pytest.approx(hxy - hy)
    mi = info.mutual_information(jt).item()
    assert mi == pytest.approx(hx + hy - hxy)
    assert mi == pytest.approx(st.entropy(joint.ravel(), np.outer(px, py).ravel(), base=2))
    independent = ember.tensor(np.outer([0.2, 0.8], [0.5, 0.3, 0.2]), dtype=ember.float64)
    assert info.mutual_information(independent).item() == pytest.approx(0.0, abs=1e-12)
    batch = ember.stack([jt, independent.new_tensor(np.outer([0.5, 0.5], [0.5, 0.3, 0.2]))])
    assert tuple(info.mutual_information(batch).shape) == (2,)


def test_zero_probabilities_give_no_nan_in_values_or_gradients():
    p = ember.tensor([0.0, 0.25, 0.75], dtype=ember.float64, requires_grad=True)
    q = ember.tensor([0.0, 0.5, 0.5], dtype=ember.float64, requires_grad=True)
    for fn in (lambda: info.entropy(p), lambda: info.kl_divergence(p, q),
               lambda: info.cross_entropy(p, q), lambda: info.jensen_shannon(p, q),
               lambda: info.joint_entropy(p.reshape(1, 3)),
               lambda: info.mutual_information(p.reshape(1, 3))):
        p.grad = q.grad = None
        value = fn()
        value.backward()
        assert math.isfinite(value.item())
        for g in (p.grad, q.grad):
            if g is not None:
                assert not bool(g.isnan().any()), (fn, g)
    p.grad = None
    info.entropy(p).backward()
    assert p.grad[0].item() == 0.0  # the subgradient 0 where d(p log p)/dp = -inf


def test_q_zero_where_p_positive_gives_inf_not_nan():
    p = ember.tensor([0.5, 0.5], dtype=ember.float64, requires_grad=True)
    q = ember.tensor([1.0, 0.0], dtype=ember.float64, requires_grad=True)
    kl = info.kl_divergence(p, q)
    assert kl.item() == math.inf and info.cross_entropy(p, q).item() == math.inf
    kl.backward()
    assert not bool(p.grad.isnan().any()) and not bool(q.grad.isnan().any())
    assert info.self_information(0.0).item() == math.inf


def test_gradients_by_gradcheck():
    rng = np.random.default_rng(2)
    p = ember.tensor(_random_probs(rng, (2, 4)), dtype=ember.float64, requires_grad=True)
    q = ember.tensor(_random_probs(rng, (2, 4)), dtype=ember.float64, requires_grad=True)
    joint = ember.tensor(_random_probs(rng, (1, 6)).reshape(2, 3), dtype=ember.float64,
                         requires_grad=True)
    kw = {"check": False}  # finite differences step off the simplex
    assert gradcheck(lambda a: info.entropy(a, **kw), (p,))
    assert gradcheck(lambda a, b: info.kl_divergence(a, b, **kw), (p, q))
    assert gradcheck(lambda a, b: info.cross_entropy(a, b, **kw), (p, q))
    assert gradcheck(lambda a, b: info.jensen_shannon(a, b, **kw), (p, q))
    assert gradcheck(lambda j: info.mutual_information(j, **kw), (joint,))
    assert gradcheck(lambda j: info.conditional_entropy(j, **kw), (joint,))
    assert gradcheck(lambda j: info.joint_entropy(j, **kw), (joint,))
    assert gradcheck(lambda a: info.self_information(a), (p,))


@pytest.mark.parametrize("call,match", [
    (lambda: info.entropy([[0.5, 0.5], [0.3, 0.3]]), r"row \(1,\) sums to 0\.6"),
    (lambda: info.entropy([0.5, 0.6]), r"the distribution sums to 1\.1"),
    (lambda: info.entropy([[0.5, 0.5], [1.2, -0.2]]), r"non-negative.*row \(1,\)"),
    (lambda: info.entropy([0.5, math.nan]), r"non-negative"),
    (lambda: info.kl_divergence([0.5, 0.5], [0.9, 0.2]), r"q must sum to 1"),
    (lambda: info.cross_entropy([0.5, 0.4], [0.5, 0.5]), r"p must sum to 1"),
    (lambda: info.jensen_shannon([0.5, 0.5], [2.0, -1.0]), r"q must be non-negative"),
    (lambda: info.joint_entropy([0.5, 0.5]), r"joint must be a table"),
    (lambda: info.mutual_information([[0.5, 0.5], [0.5, 0.5]]), r"joint must sum to 1"),
    (lambda: info.conditional_entropy([[0.5, 0.5]], given=2), r"given must be 0"),
    (lambda: info.self_information(1.5), r"\[0, 1\]"),
    (lambda: info.entropy([0.5, 0.5], base=1), r"base must be"),
    (lambda: info.entropy([0.5, 0.5], base=0), r"base must be"),
    (lambda: info.entropy(0.5), r"at least one dim"),
])
def test_invalid_inputs_raise_value_error_naming_the_row(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("fn", [info.kl_divergence, info.cross_entropy, info.jensen_shannon])
def test_mismatched_inputs_are_named(fn):
    import ember.distributions as D
    name = fn.__name__
    with pytest.raises(RuntimeError, match=rf"{name}: shapes \(2,\) and \(3,\)"):
        fn([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(TypeError, match=rf"{name}: p and q must both be Distributions or both "
                                        rf"probability tensors, got Normal and list|{name}: p "
                                        rf"must be a Tensor"):
        fn(D.Normal(0.0, 1.0), [0.5, 0.5])


def test_tolerance_and_check_switch():
    p = [0.5, 0.5 + 1e-4]
    with pytest.raises(ValueError):
        info.entropy(p)
    assert math.isfinite(info.entropy(p, tol=1e-3).item())
    assert math.isfinite(info.entropy(p, check=False).item())


def test_distributions_in_bits():
    import ember.distributions as D
    n = D.Normal(0.0, 1.0)
    assert info.entropy(n).item() == pytest.approx(0.5 * math.log2(2 * math.pi * math.e),
                                                   rel=1e-6)
    assert info.entropy(D.Categorical(ember.tensor(YUT))).item() == pytest.approx(2.0306,
                                                                                  abs=5e-5)
