"""Every optimizer against its update rule written out in NumPy (PyTorch's algorithm boxes):
50 steps on a fixed quadratic and on the Rosenbrock function, in float64, to relative 1e-6.
Then the base class: state_dict round trips continue bit for bit, param groups, zero_grad,
parameters without gradients, add_param_group, and L-BFGS."""

import math
import os

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.optim as optim
from ember.serialization import load, save

# ------------------------------------------------------------------------------ objectives

A = np.array([[3.0, 0.5, 0.0, 0.2], [0.5, 2.0, 0.3, 0.0], [0.0, 0.3, 1.0, 0.1],
              [0.2, 0.0, 0.1, 0.5]])
B = np.array([1.0, -2.0, 0.5, 3.0])
X0_QUAD = np.array([1.0, -1.0, 2.0, 0.5])
X0_ROSEN = np.array([-1.2, 1.0])


def quad_grad(x):
    return A @ x - B


def rosen_grad(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
                     200 * (x[1] - x[0] ** 2)])


def quad_loss(p):
    return 0.5 * (p * (ember.tensor(A) @ p)).sum() - (ember.tensor(B) * p).sum()


def rosen_loss(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


# ------------------------------------------------------------ the rules, written in NumPy

def np_sgd(x, grad, steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
           maximize=False):
    b = None
    for _ in range(steps):
        g = grad(x)
        g = -g if maximize else g
        g = g + weight_decay * x
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        x = x - lr * g
    return x


def np_adam(x, grad, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
            amsgrad=False, maximize=False, decoupled=False):
    b1, b2 = betas
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    vmax = np.zeros_like(x)
    for t in range(1, steps + 1):
        g = grad(x)
        g = -g if maximize else g
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            v_hat = vmax / (1 - b2 ** t)
        else:
            v_hat = v / (1 - b2 ** t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
    return x


def np_adamw(x, grad, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
             amsgrad=False, maximize=False):
    return np_adam(x, grad, steps, lr, betas, eps, weight_decay, amsgrad, maximize, True)


def np_adagrad(x, grad, steps, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
               initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    s = np.full_like(x, initial_accumulator_value)
    for t in range(1, steps + 1):
        g = grad(x)
        g = -g if maximize else g
        g = g + weight_decay * x
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        x = x - clr * g / (np.sqrt(s) + eps)
    return x


def np_adadelta(x, grad, steps, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    v = np.zeros_like(x)
    u = np.zeros_like(x)
    for _ in range(steps):
        g = grad(x)
        g = -g if maximize else g
        g = g + weight_decay * x
        v = rho * v + (1 - rho) * g * g
        dx = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * dx * dx
        x = x - lr * dx
    return x


def np_rmsprop(x, grad, steps, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
               centered=False, maximize=False):
    v = np.zeros_like(x)
    gavg = np.zeros_like(x)
    b = np.zeros_like(x)
    for _ in range(steps):
        g = grad(x)
        g = -g if maximize else g
        g = g + weight_decay * x
        v = alpha * v + (1 - alpha) * g * g
        vt = v
        if centered:
            gavg = alpha * gavg + (1 - alpha) * g
            vt = v - gavg * gavg
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(vt) + eps)
            x = x - lr * b
        else:
            x = x - lr * g / (np.sqrt(vt) + eps)
    return x


def np_adamax(x, grad, steps, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              maximize=False):
    b1, b2 = betas
    m = np.zeros_like(x)
    u = np.zeros_like(x)
    for t in range(1, steps + 1):
        g = grad(x)
        g = -g if maximize else g
        g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        x = x - lr / (1 - b1 ** t) * m / u
    return x


def np_nadam(x, grad, steps, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    mu_prod = 1.0
    for t in range(1, steps + 1):
        g = grad(x)
        g = -g if maximize else g
        if decoupled_weight_decay:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_prod *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_hat = v / (1 - b2 ** t)
        x = x - lr * (1 - mu) / (1 - mu_prod) * g / (np.sqrt(v_hat) + eps) \
            - lr * mu_next / (1 - mu_prod * mu_next) * m / (np.sqrt(v_hat) + eps)
    return x


def np_radam(x, grad, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    rho_inf = 2 / (1 - b2) - 1
    for t in range(1, steps + 1):
        g = grad(x)
        g = -g if maximize else g
        if decoupled_weight_decay:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            ell = math.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                          / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            x = x - lr * m_hat * ell * r
        else:
            x = x - lr * m_hat
    return x


def np_rprop(x, grad, steps, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50),
             maximize=False):
    prev = np.zeros_like(x)
    size = np.full_like(x, lr)
    for _ in range(steps):
        g = grad(x)
        g = -g if maximize else g
        s = np.sign(g * prev)
        size = np.clip(size * np.where(s > 0, etas[1], np.where(s < 0, etas[0], 1.0)),
                       *step_sizes)
        g = np.where(s < 0, 0.0, g)
        x = x - np.sign(g) * size
        prev = g
    return x


# class, NumPy rule, keyword variants (lr chosen per objective below)
CASES = [
    (optim.SGD, np_sgd, [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True,
                                                 "weight_decay": 0.1},
                         {"momentum": 0.5, "dampening": 0.3}, {"maximize": True}]),
    (optim.Adam, np_adam, [{}, {"amsgrad": True}, {"weight_decay": 0.1, "betas": (0.8, 0.99)},
                           {"maximize": True}, {"eps": 1e-3}]),
    (optim.AdamW, np_adamw, [{}, {"amsgrad": True, "weight_decay": 0.5},
                             {"betas": (0.5, 0.9), "eps": 1e-4, "maximize": True}]),
    (optim.Adagrad, np_adagrad, [{}, {"lr_decay": 0.1, "initial_accumulator_value": 0.5,
                                      "weight_decay": 0.1}, {"eps": 0.5, "maximize": True}]),
    (optim.Adadelta, np_adadelta, [{}, {"rho": 0.5, "weight_decay": 0.1},
                                   {"eps": 1e-3, "lr": 0.5, "maximize": True}]),
    (optim.RMSprop, np_rmsprop, [{}, {"centered": True}, {"momentum": 0.9},
                                 {"centered": True, "momentum": 0.5, "weight_decay": 0.1},
                                 {"alpha": 0.9, "eps": 1e-3, "maximize": True}]),
    (optim.Adamax, np_adamax, [{}, {"weight_decay": 0.1},
                               {"betas": (0.8, 0.99), "eps": 1e-3, "maximize": True}]),
    (optim.NAdam, np_nadam, [{}, {"weight_decay": 0.1},
                             {"weight_decay": 0.1, "decoupled_weight_decay": True},
                             {"momentum_decay": 1e-2, "eps": 1e-4, "maximize": True}]),
    (optim.RAdam, np_radam, [{}, {"weight_decay": 0.1, "decoupled_weight_decay": True},
                             {"betas": (0.8, 0.9), "eps": 1e-4}]),
    (optim.Rprop, np_rprop, [{}, {"etas": (0.3, 1.5), "step_sizes": (1e-3, 0.5)},
                             {"maximize": True}]),
]
LRS = {"quadratic": {optim.SGD: 0.05, optim.Adadelta: 1.0}, "rosenbrock": {optim.SGD: 5e-4,
                                                                           optim.Adadelta: 1.0}}
PARAMS = [(cls, rule, kw) for cls, rule, variants in CASES for kw in variants]


def _ember_run(cls, kw, x0, loss_fn, steps=50):
    p = nn.Parameter(ember.tensor(x0.copy()))
    opt = cls([p], **kw)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(p).backward()
        opt.step()
    return p.detach().cpu().numpy()


@pytest.mark.parametrize("objective", ["quadratic", "rosenbrock"])
@pytest.mark.parametrize("cls, rule, kw", PARAMS,
                         ids=[f"{c.__name__}-{i}" for c, _, v in CASES for i in range(len(v))])
def test_optimizer_follows_its_update_rule(cls, rule, kw, objective):
    kw = dict(kw)
    lr = LRS[objective].get(cls, 0.01)
    if kw.get("maximize") and objective == "rosenbrock" and cls is optim.SGD:
        lr = 1e-6  # ascent on the Rosenbrock valley walls explodes fast
    kw.setdefault("lr", lr)
    x0, grad, loss = ((X0_QUAD, quad_grad, quad_loss) if objective == "quadratic"
                      else (X0_ROSEN, rosen_grad, rosen_loss))
    got = _ember_run(cls, kw, x0, loss)
    expected = rule(x0.copy(), grad, 50, **kw)
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-12)
    assert not np.allclose(got, x0)


def test_every_optimizer_of_the_issue_is_tested():
    tested = {cls for cls, _, _ in CASES} | {optim.LBFGS}
    for name in ("SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam",
                 "RAdam", "Rprop", "LBFGS"):
        assert getattr(optim, name) in tested


def test_optimizers_descend_on_a_float32_model():
    for cls, _, _ in CASES:
        ember.manual_seed(0)
        model = nn.Linear(4, 1)
        x = ember.randn(32, 4)
        y = x @ ember.tensor([[1.0], [-2.0], [0.5], [3.0]])
        opt = cls(model.parameters(), lr=0.05 if cls is not optim.Adadelta else 1.0)
        first = None
        for _ in range(30):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            first = first if first is not None else loss.item()
        assert loss.item() < first, cls.__name__
        assert model.weight.dtype is ember.float32


# ----------------------------------------------------------------- state_dict round trips

def _model_and_data():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = ember.randn(8, 3)
    y = ember.randn(8, 2)
    return model, x, y


def _steps(model, opt, x, y, n):
    for _ in range(n):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()


@pytest.mark.parametrize("cls, kw", [(optim.SGD, {"lr": 0.1, "momentum": 0.9}),
                                     (optim.Adam, {"lr": 0.01, "amsgrad": True}),
                                     (optim.AdamW, {}), (optim.Adagrad, {}),
                                     (optim.Adadelta, {}),
                                     (optim.RMSprop, {"centered": True, "momentum": 0.5}),
                                     (optim.Adamax, {}), (optim.NAdam, {}), (optim.RAdam, {}),
                                     (optim.Rprop, {})])
@pytest.mark.parametrize("through_file", [False, True])
def test_state_dict_round_trip_continues_bit_for_bit(cls, kw, through_file, tmp_path):
    model, x, y = _model_and_data()
    opt = cls(model.parameters(), **kw)
    _steps(model, opt, x, y, 5)
    model_sd, opt_sd = model.state_dict(), opt.state_dict()
    if through_file:
        save({"model": model_sd, "optimizer": opt_sd}, tmp_path / "ckpt.safetensors")
        ckpt = load(tmp_path / "ckpt.safetensors")
        model_sd, opt_sd = ckpt["model"], ckpt["optimizer"]
    model2 = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model2.load_state_dict(model_sd)
    opt2 = cls(model2.parameters(), **kw)
    opt2.load_state_dict(opt_sd)
    _steps(model, opt, x, y, 7)
    _steps(model2, opt2, x, y, 7)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy())



@pytest.mark.parametrize("cls, kw", [(optim.Adam, {"lr": 0.01, "amsgrad": True}),
                                     (optim.AdamW, {}), (optim.Adagrad, {}),
                                     (optim.Adadelta, {}), (optim.RMSprop, {}),
                                     (optim.Adamax, {}), (optim.NAdam, {}), (optim.RAdam, {}),
                                     (optim.Rprop, {})])
def test_load_state_dict_with_pytorchs_scalar_tensors(cls, kw):
    """A PyTorch optimizer state_dict converted to NumPy holds 'step' (and NAdam's
    'mu_product') as 0-d float32 arrays; it loads and continues as the state it came from (the
    update rules raised TypeError on a Tensor step)."""
    model, x, y = _model_and_data()
    opt = cls(model.parameters(), **kw)
    _steps(model, opt, x, y, 3)
    sd = opt.state_dict()
    converted = {"state": {k: {name: (np.asarray(v, dtype=np.float32)
                                      if name in ("step", "mu_product")
                                      else v.cpu().numpy() if isinstance(v, ember.Tensor) else v)
                               for name, v in st.items()} for k, st in sd["state"].items()},
                 "param_groups": sd["param_groups"]}
    model2 = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model2.load_state_dict(model.state_dict())
    opt2 = cls(model2.parameters(), **kw)
    opt2.load_state_dict(converted)
    _steps(model, opt, x, y, 2)
    _steps(model2, opt2, x, y, 2)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy(),
                                   rtol=1e-6, atol=1e-7)
    step = opt2.state_dict()["state"][0]["step"]
    assert type(step) is int and step == opt.state_dict()["state"][0]["step"] == 5


def test_state_dict_layout_is_pytorchs():
    model, x, y = _model_and_data()
    opt = optim.Adam([{"params": model[0].parameters()},
                      {"params": model[2].parameters(), "lr": 0.1}])
    _steps(model, opt, x, y, 1)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert sd["param_groups"][1]["params"] == [2, 3]
    assert sd["param_groups"][1]["lr"] == 0.1
    with pytest.raises(ValueError, match="parameter groups"):
        optim.Adam(model.parameters()).load_state_dict(sd)


def test_load_state_dict_restores_hyperparameters():
    model, _, _ = _model_and_data()
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    other = optim.SGD(model.parameters(), lr=0.1)
    other.load_state_dict(opt.state_dict())
    assert other.param_groups[0]["lr"] == 0.5 and other.param_groups[0]["momentum"] == 0.9


# -------------------------------------------------------------------------- the base class

def test_param_groups_with_different_learning_rates():
    a = nn.Parameter(ember.tensor([1.0, 2.0], dtype=ember.float64))
    b = nn.Parameter(ember.tensor([3.0], dtype=ember.float64))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    (a.sum() + 2 * b.sum()).backward()
    opt.step()
    np.testing.assert_allclose(a.detach().cpu().numpy(), [0.9, 1.9])
    np.testing.assert_allclose(b.detach().cpu().numpy(), [2.0])
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]


def test_add_param_group_and_its_checks():
    a = nn.Parameter(ember.zeros(2))
    b = nn.Parameter(ember.zeros(2))
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "betas": (0.5, 0.9)})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.5, 0.9)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError):
        optim.SGD({a, b})
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([])
    with pytest.raises(ValueError):
        optim.Adam([a], lr=-1.0)
    with pytest.raises(ValueError):
        optim.SGD([a], nesterov=True)


def test_zero_grad_and_parameters_without_gradient_are_skipped():
    a = nn.Parameter(ember.ones(2))
    b = nn.Parameter(ember.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.sum().backward()
    opt.step()
    assert b.tolist() == [1.0, 1.0] and b not in opt.state
    assert a.tolist() != [1.0, 1.0]
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_step_with_closure_returns_the_loss():
    a = nn.Parameter(ember.tensor([2.0]))
    opt = optim.SGD([a], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (a ** 2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0
    assert a.tolist() == [1.0]


@pytest.mark.parametrize("n", [
    optim.optimizer.CHUNK_MIN + 3 * optim.optimizer.CHUNK_PARALLEL + 17,  # chunks on all cores
    5 * optim.optimizer.CHUNK + 17,                              # chunks on the calling thread
])
def test_large_parameters_are_updated_in_chunks_identically(n):
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(n)
    g = rng.standard_normal(n)
    p = nn.Parameter(ember.tensor(x0.copy()))
    opt = optim.Adam([p], lr=0.1, amsgrad=True)
    for _ in range(3):
        p.grad = ember.tensor(g.copy())
        opt.step()
    expected = np_adam(x0.copy(), lambda x: g, 3, lr=0.1, amsgrad=True)
    np.testing.assert_allclose(p.detach().cpu().numpy(), expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("value, expected", [("", None), ("0", None), ("1", 1), (" 3 ", 3),
                                             ("abc", "warn"), ("-2", "warn")])
def test_ember_num_threads_is_read_with_a_warning_for_nonsense(monkeypatch, value, expected):
    from ember import kernels
    default = min(os.cpu_count() or 1, 8)
    monkeypatch.setenv("EMBER_NUM_THREADS", value)
    if expected == "warn":
        with pytest.warns(UserWarning, match=f"EMBER_NUM_THREADS={value!r} is not a number"):
            assert kernels._num_threads() == default
    else:
        assert kernels._num_threads() == (default if expected is None else expected)


def test_optimizer_repr():
    opt = optim.SGD([nn.Parameter(ember.zeros(1))], lr=0.1)
    assert repr(opt).startswith("SGD (\nParameter Group 0\n")


# -------------------------------------------------------------------------------- L-BFGS

def _np_lbfgs(x, grad, iters, lr=1.0, history=100):
    """L-BFGS without line search, as PyTorch's: the two-loop recursion, the first step
    scaled by min(1, 1 / |g|_1)."""
    old_dirs, old_stps, ro = [], [], []
    h_diag = 1.0
    g = grad(x)
    d = t = prev_g = None
    for n in range(1, iters + 1):
        if n == 1:
            d = -g
        else:
            y = g - prev_g
            s = d * t
            ys = y @ s
            if ys > 1e-10:
                if len(old_dirs) == history:
                    old_dirs.pop(0)
                    old_stps.pop(0)
                    ro.pop(0)
                old_dirs.append(y)
                old_stps.append(s)
                ro.append(1 / ys)
                h_diag = ys / (y @ y)
            q = -g
            al = [0.0] * len(old_dirs)
            for i in range(len(old_dirs) - 1, -1, -1):
                al[i] = (old_stps[i] @ q) * ro[i]
                q = q - al[i] * old_dirs[i]
            d = q * h_diag
            for i in range(len(old_dirs)):
                d = d + old_stps[i] * (al[i] - (old_dirs[i] @ d) * ro[i])
        prev_g = g
        t = min(1.0, 1.0 / np.abs(g).sum()) * lr if n == 1 else lr
        x = x + t * d
        g = grad(x)
    return x


def _lbfgs_closure(opt, p, loss_fn):
    def closure():
        opt.zero_grad()
        loss = loss_fn(p)
        loss.backward()
        return loss
    return closure


def test_lbfgs_matches_the_two_loop_recursion():
    p = nn.Parameter(ember.tensor(X0_QUAD.copy()))
    opt = optim.LBFGS([p], lr=0.5, max_iter=6, tolerance_grad=0, tolerance_change=0)
    opt.step(_lbfgs_closure(opt, p, quad_loss))
    expected = _np_lbfgs(X0_QUAD.copy(), quad_grad, 6, lr=0.5)
    np.testing.assert_allclose(p.detach().cpu().numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_minimises_quadratic_and_rosenbrock(line_search_fn):
    p = nn.Parameter(ember.tensor(X0_QUAD.copy()))
    opt = optim.LBFGS([p], line_search_fn=line_search_fn, tolerance_grad=1e-12,
                      tolerance_change=1e-15)
    for _ in range(5):
        opt.step(_lbfgs_closure(opt, p, quad_loss))
    np.testing.assert_allclose(p.detach().cpu().numpy(), np.linalg.solve(A, B), rtol=1e-5)
    if line_search_fn is None:
        return
    p = nn.Parameter(ember.tensor(X0_ROSEN.copy()))
    opt = optim.LBFGS([p], line_search_fn="strong_wolfe", max_iter=100, tolerance_grad=1e-12,
                      tolerance_change=1e-15)
    for _ in range(3):
        opt.step(_lbfgs_closure(opt, p, rosen_loss))
    np.testing.assert_allclose(p.detach().cpu().numpy(), [1.0, 1.0], atol=1e-5)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_dict_round_trip_continues_bit_for_bit(line_search_fn, tmp_path):
    def run(p, opt, n):
        for _ in range(n):
            opt.step(_lbfgs_closure(opt, p, rosen_loss))

    kw = {"max_iter": 3, "history_size": 4, "line_search_fn": line_search_fn}
    p = nn.Parameter(ember.tensor(X0_ROSEN.copy()))
    opt = optim.LBFGS([p], **kw)
    run(p, opt, 3)
    save(opt.state_dict(), tmp_path / "lbfgs.safetensors")
    p2 = nn.Parameter(p.detach().clone())
    opt2 = optim.LBFGS([p2], **kw)
    opt2.load_state_dict(load(tmp_path / "lbfgs.safetensors"))
    run(p, opt, 4)
    run(p2, opt2, 4)
    np.testing.assert_array_equal(p2.detach().cpu().numpy(), p.detach().cpu().numpy())
    assert not np.allclose(p.detach().cpu().numpy(), X0_ROSEN)


def test_lbfgs_requires_a_closure_and_one_group():
    p = nn.Parameter(ember.zeros(2))
    with pytest.raises(RuntimeError, match="closure"):
        optim.LBFGS([p]).step(None)
    with pytest.raises(ValueError):
        optim.LBFGS([{"params": [p]}, {"params": [nn.Parameter(ember.zeros(1))]}])
