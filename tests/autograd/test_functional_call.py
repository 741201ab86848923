"""ember.func.functional_call and stack_module_state: a module run as a function of its
parameters and buffers, checked against the layers' formulas written in NumPy here."""

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.func import functional_call, grad, stack_module_state, vmap

from ..conftest import to_numpy

RNG = np.random.default_rng(29)


def t(values):
    return ember.tensor(np.asarray(values, dtype=np.float64))


def linear(in_f=3, out_f=2):
    return nn.Linear(in_f, out_f).double()


X = RNG.normal(size=(5, 3))


def test_functional_call_computes_with_the_given_tensors_and_restores_the_module():
    model = linear()
    weight, bias = model.weight, model.bias
    w, b = RNG.normal(size=(2, 3)), RNG.normal(size=2)
    out = functional_call(model, {"weight": t(w), "bias": t(b)}, (t(X),))
    np.testing.assert_allclose(to_numpy(out), X @ w.T + b, rtol=1e-12)
    assert model.weight is weight and model.bias is bias
    assert list(model.state_dict()) == ["weight", "bias"]
    own = to_numpy(model.weight)  # the module's own weights still compute
    np.testing.assert_allclose(to_numpy(model(t(X))), X @ own.T + to_numpy(model.bias),
                               rtol=1e-12)


def test_functional_call_args_kwargs_and_partial_dicts():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = linear()

        def forward(self, x, scale=1.0):
            return self.fc(x) * scale

    model = Scaled()
    w = RNG.normal(size=(2, 3))
    b = to_numpy(model.fc.bias)
    # a lone positional argument need not be in a tuple; missing keys keep the module's own
    out = functional_call(model, {"fc.weight": t(w)}, t(X), {"scale": 3.0})
    np.testing.assert_allclose(to_numpy(out), 3.0 * (X @ w.T + b), rtol=1e-12)

    class Constant(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Parameter(t([1.0]))

        def forward(self):
            return self.c * 2

    # args=None calls forward with no positional arguments
    np.testing.assert_array_equal(to_numpy(functional_call(Constant(), {"c": t([4.0])})), [8.0])


def test_functional_call_restores_the_originals_when_forward_raises():
    class Failing(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = linear()

        def forward(self, x):
            self.fc(x)
            raise ValueError("boom")

    model = Failing()
    weight = model.fc.weight
    with pytest.raises(ValueError, match="boom"):
        functional_call(model, {"fc.weight": t(np.zeros((2, 3)))}, (t(X),))
    assert model.fc.weight is weight
    assert model.fc._parameters["weight"] is weight


def test_gradients_flow_to_the_given_tensors():
    model = linear()
    w, b = RNG.normal(size=(2, 3)), RNG.normal(size=2)
    params = {"weight": t(w), "bias": t(b)}

    def loss(p):
        return (functional_call(model, p, (t(X),)) ** 2).sum()

    g = grad(loss)(params)
    y = X @ w.T + b  # d/dW sum(y^2) = 2 y^T X, d/db = 2 sum_rows(y)
    np.testing.assert_allclose(to_numpy(g["weight"]), 2 * y.T @ X, rtol=1e-10)
    np.testing.assert_allclose(to_numpy(g["bias"]), 2 * y.sum(0), rtol=1e-10)
    # plain autograd too; the module's own parameters get nothing
    leaf = t(w).requires_grad_()
    functional_call(model, {"weight": leaf}, (t(X),)).sum().backward()
    np.testing.assert_allclose(to_numpy(leaf.grad), np.tile(X.sum(0), (2, 1)), rtol=1e-12)
    assert model.weight.grad is None


def test_a_tuple_of_dicts_substitutes_parameters_and_buffers():
    bn = nn.BatchNorm1d(3).double().eval()
    params = {"weight": t(RNG.normal(size=3)), "bias": t(RNG.normal(size=3))}
    mean, var = RNG.normal(size=3), RNG.uniform(0.5, 2.0, size=3)
    buffers = {"running_mean": t(mean), "running_var": t(var)}
    out = functional_call(bn, (params, buffers), (t(X),))
    expected = ((X - mean) / np.sqrt(var + bn.eps) * to_numpy(params["weight"])
                + to_numpy(params["bias"]))
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-12)
    # in training, the running statistics update the given buffers, not the module's
    bn.train()
    running = buffers["running_mean"]
    functional_call(bn, (params, buffers), (t(X),))
    np.testing.assert_allclose(to_numpy(running), 0.9 * mean + 0.1 * X.mean(0), rtol=1e-12)
    np.testing.assert_array_equal(to_numpy(bn.running_mean), np.zeros(3))
    with pytest.raises(ValueError, match=r"\['weight'\] appeared in multiple dictionaries"):
        functional_call(bn, (params, {"weight": params["weight"]}), (t(X),))


def test_strict_names_the_missing_and_the_unexpected_keys():
    model = nn.Sequential(linear(), nn.ReLU(), linear(2, 1))
    full = {k: v.clone() for k, v in model.state_dict().items()}
    functional_call(model, full, (t(X),), strict=True)
    partial = {k: v for k, v in full.items() if k != "2.bias"}
    partial["2.scale"] = t([1.0])
    with pytest.raises(RuntimeError, match=r"reparametrizing for Sequential:\n\t"
                                           r"Unexpected key\(s\): '2.scale'.\n\t"
                                           r"Missing key\(s\): '2.bias'."):
        functional_call(model, partial, (t(X),), strict=True)
    assert "scale" not in model[2].__dict__

    class Scale(nn.Module):
        def forward(self, x):
            return x * getattr(self, "scale", 1.0)

    # not strict, a name that is no parameter or buffer is a plain attribute during the call
    scale = Scale()
    out = functional_call(scale, {"scale": t([2.0])}, (t(X),))
    np.testing.assert_allclose(to_numpy(out), 2 * X, rtol=1e-12)
    assert "scale" not in scale.__dict__


def test_unknown_names_errors_and_bad_arguments():
    model = nn.Sequential(linear())
    with pytest.raises(AttributeError, match="no attribute `nope`"):
        functional_call(model, {"nope.weight": t([1.0])}, (t(X),))
    with pytest.raises(TypeError, match="value for '0.weight' must be a Tensor, got ndarray"):
        functional_call(model, {"0.weight": np.zeros((2, 3))}, (t(X),))
    with pytest.raises(TypeError, match="names a sub-module"):
        functional_call(model, {"0": t([1.0])}, (t(X),))
    with pytest.raises(TypeError, match="must be an ember.nn.Module"):
        functional_call(lambda x: x, {}, (t(X),))
    with pytest.raises(ValueError, match="dict, or a list/tuple of dicts"):
        functional_call(model, [t([1.0])], (t(X),))
    assert isinstance(model[0].weight, nn.Parameter)


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2, bias=False).double()
        self.b = nn.Linear(2, 2, bias=False).double()
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


def test_tie_weights_keeps_tied_parameters_tied():
    model = Tied()
    w = RNG.normal(size=(2, 2))
    x = RNG.normal(size=(4, 2))
    tied = functional_call(model, {"a.weight": t(w)}, (t(x),))
    np.testing.assert_allclose(to_numpy(tied), x @ w.T @ w.T, rtol=1e-12)
    # strict does not count the other name of a tied weight as missing
    functional_call(model, {"b.weight": t(w)}, (t(x),), strict=True)
    own = to_numpy(model.a.weight)
    untied = functional_call(model, {"a.weight": t(w)}, (t(x),), tie_weights=False)
    np.testing.assert_allclose(to_numpy(untied), x @ w.T @ own.T, rtol=1e-12)
    same = t(w)
    functional_call(model, {"a.weight": same, "b.weight": same}, (t(x),))
    with pytest.raises(ValueError, match=r"multiple values for keys \['a.weight', 'b.weight'\], "
                                         "which are tied"):
        functional_call(model, {"a.weight": t(w), "b.weight": t(w)}, (t(x),))
    assert model.a.weight is model.b.weight


def test_stack_module_state_and_vmap_run_an_ensemble():
    models = [linear() for _ in range(4)]
    params, buffers = stack_module_state(models)
    assert buffers == {}
    assert tuple(params["weight"].shape) == (4, 2, 3) and params["weight"].is_leaf
    assert params["weight"].requires_grad
    ws = np.stack([to_numpy(m.weight) for m in models])
    bs = np.stack([to_numpy(m.bias) for m in models])
    np.testing.assert_array_equal(to_numpy(params["weight"]), ws)
    base = linear()

    def run(p, b, x):
        return functional_call(base, (p, b), (x,))

    out = vmap(run, in_dims=(0, 0, None))(params, buffers, t(X))
    np.testing.assert_allclose(to_numpy(out), np.einsum("kij,nj->kni", ws, X) + bs[:, None],
                               rtol=1e-12)
    out.sum().backward()  # one gradient per ensemble member, through the stacked leaves
    np.testing.assert_allclose(to_numpy(params["weight"].grad),
                               np.tile(X.sum(0), (4, 2, 1)), rtol=1e-12)
    assert models[0].weight.grad is None
    bns = [nn.BatchNorm1d(3).double() for _ in range(2)]
    _, bn_buffers = stack_module_state(bns)
    assert sorted(bn_buffers) == ["num_batches_tracked", "running_mean", "running_var"]
    assert tuple(bn_buffers["running_var"].shape) == (2, 3)


def test_stack_module_state_errors():
    with pytest.raises(RuntimeError, match="at least one model"):
        stack_module_state([])
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        stack_module_state([linear(), linear().eval()])
    with pytest.raises(RuntimeError, match="same class"):
        stack_module_state([linear(), nn.Sequential()])
    frozen = linear().requires_grad_(False)
    with pytest.raises(RuntimeError, match="weight from each model to have the same "
                                           ".requires_grad"):
        stack_module_state([linear(), frozen])
    params, _ = stack_module_state([frozen, linear().requires_grad_(False)])
    assert not params["bias"].requires_grad
