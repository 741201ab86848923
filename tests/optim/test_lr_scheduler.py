"""Learning-rate schedulers: the lr sequence of each (14 epochs from lr 1.0) equals the one
PyTorch's scheduler of the same name and arguments produces (recorded below from PyTorch 2.x;
the tests never import it), and state_dict round trips continue the schedule."""

import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.optim as optim
from ember.optim import lr_scheduler as S
from ember.serialization import load, save

# lr at each epoch before its step, from torch.optim.lr_scheduler with the same arguments
EXPECTED = {
    "StepLR": [
        1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.0625, 0.0625],
    "MultiStepLR": [
        1.0, 1.0, 0.1, 0.1, 0.1, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001],
    "ExponentialLR": [
        1.0, 0.9, 0.81, 0.729, 0.6561, 0.59049, 0.531441, 0.4782969, 0.43046721, 0.387420489,
        0.3486784401, 0.31381059609, 0.282429536481, 0.2541865828329],
    "CosineAnnealingLR": [
        1.0, 0.905463412215599, 0.657963412215599, 0.352036587784401, 0.104536587784401, 0.01,
        0.104536587784401, 0.352036587784401, 0.657963412215599, 0.9054634122156, 1.0,
        0.9054634122156, 0.657963412215599, 0.352036587784401],
    "CosineAnnealingWarmRestarts": [
        1.0, 0.7625, 0.2875, 1.0, 0.936362066797608, 0.7625, 0.525, 0.2875, 0.113637933202392,
        1.0, 0.983814767487307, 0.936362066797608, 0.86087572106361, 0.7625],
    "LinearLR": [
        0.25, 0.4375, 0.625, 0.8125, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    "ConstantLR": [
        0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    "LambdaLR": [
        1.0, 0.95, 0.9025, 0.857375, 0.81450625, 0.7737809375, 0.735091890625,
        0.69833729609375, 0.663420431289062, 0.630249409724609, 0.598736939238379,
        0.56880009227646, 0.540360087662637, 0.513342083279505],
    "MultiplicativeLR": [
        1.0, 0.9, 0.81, 0.729, 0.6561, 0.59049, 0.531441, 0.4782969, 0.43046721, 0.387420489,
        0.3486784401, 0.31381059609, 0.282429536481, 0.2541865828329],
    "OneCycleLR": [
        0.04, 0.253326288150591, 0.703688047535243, 0.990776934593551, 0.983647496929789,
        0.919044376269711, 0.811745653949763, 0.672683836480545, 0.516027724682673,
        0.357738775739657, 0.213944814172236, 0.0992967918932656, 0.0254760246061597, 4e-06],
    "OneCycleLR3": [
        0.04, 0.34, 0.64, 0.94, 0.76, 0.46, 0.16, 0.036364, 0.030304, 0.024244, 0.018184,
        0.012124, 0.006064, 3.99999999999706e-06],
    "CyclicLR": [
        0.1, 0.55, 1.0, 0.55, 0.1, 0.55, 1.0, 0.55, 0.1, 0.55, 1.0, 0.55, 0.1, 0.55],
    "CyclicLR2": [
        0.1, 0.55, 1.0, 0.7, 0.4, 0.1, 0.325, 0.55, 0.4, 0.25, 0.1, 0.2125, 0.325, 0.25],
    "CyclicLRexp": [
        0.1, 0.505, 0.829, 0.42805, 0.1, 0.3657205, 0.5782969, 0.315233605, 0.1, 0.27433922005,
        0.41381059609, 0.2412147682405, 0.1, 0.214383962274805],
    "SequentialLR": [
        0.1, 0.1, 1.0, 0.9, 0.81, 0.729, 0.6561, 0.59049, 0.531441, 0.4782969, 0.43046721,
        0.387420489, 0.3486784401, 0.31381059609],
    "SequentialLR2": [
        0.5, 0.666666666666667, 0.833333333333333, 1.0, 0.853553390593274, 0.5,
        0.146446609406726, 0.0, 0.146446609406726, 0.5, 0.853553390593274, 1.0,
        0.853553390593274, 0.5],
    "ReduceLROnPlateau": [
        1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25],
    # from the closed forms in PyTorch's documentation (a chain multiplies the factors)
    "PolynomialLR": [(1 - min(e, 6) / 6) ** 2 for e in range(14)],
    "PolynomialLR1": [1 - min(e, 4) / 4 for e in range(14)],
    "ChainedScheduler": [(0.1 if e < 2 else 1.0) * 0.9 ** e for e in range(14)],
    "ChainedScheduler2": [(1 - min(e, 10) / 10) ** 0.5 * 0.5 ** (e // 3) for e in range(14)],
}

SCHEDULERS = {
    "StepLR": lambda o: S.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda o: S.MultiStepLR(o, [2, 5, 5], 0.1),
    "ExponentialLR": lambda o: S.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, 5, 0.01),
    "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(o, 3, 2, 0.05),
    "LinearLR": lambda o: S.LinearLR(o, 0.25, 1.0, 4),
    "ConstantLR": lambda o: S.ConstantLR(o, 0.5, 3),
    "LambdaLR": lambda o: S.LambdaLR(o, lambda e: 0.95 ** e),
    "MultiplicativeLR": lambda o: S.MultiplicativeLR(o, lambda e: 0.9),
    "OneCycleLR": lambda o: S.OneCycleLR(o, 1.0, total_steps=14),
    "OneCycleLR3": lambda o: S.OneCycleLR(o, 1.0, total_steps=14, three_phase=True,
                                          anneal_strategy="linear"),
    "CyclicLR": lambda o: S.CyclicLR(o, 0.1, 1.0, step_size_up=2),
    "CyclicLR2": lambda o: S.CyclicLR(o, 0.1, 1.0, step_size_up=2, step_size_down=3,
                                      mode="triangular2"),
    "CyclicLRexp": lambda o: S.CyclicLR(o, 0.1, 1.0, step_size_up=2, mode="exp_range",
                                        gamma=0.9),
    "SequentialLR": lambda o: S.SequentialLR(o, [S.ConstantLR(o, 0.1, 2),
                                                 S.ExponentialLR(o, 0.9)], [2]),
    "SequentialLR2": lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.5, total_iters=3),
                                                  S.CosineAnnealingLR(o, 4)], [3]),
    "PolynomialLR": lambda o: S.PolynomialLR(o, total_iters=6, power=2.0),
    "PolynomialLR1": lambda o: S.PolynomialLR(o, total_iters=4),
    "ChainedScheduler": lambda o: S.ChainedScheduler([S.ConstantLR(o, 0.1, 2),
                                                      S.ExponentialLR(o, 0.9)]),
    "ChainedScheduler2": lambda o: S.ChainedScheduler([S.PolynomialLR(o, 10, 0.5),
                                                       S.StepLR(o, 3, 0.5)], o),
}
PLATEAU_METRICS = [5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3]


def _optimizer():
    momentum = {"momentum": 0.9}
    return optim.SGD([nn.Parameter(ember.zeros(1))], lr=1.0, **momentum)


def _lrs(scheduler, opt, n, metrics=None):
    out = []
    for e in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step(*(() if metrics is None else (metrics[e],)))
    return out


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_schedule_matches_pytorchs(name):
    opt = _optimizer()
    sched = SCHEDULERS[name](opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _lrs(sched, opt, 14)
    np.testing.assert_allclose(got, EXPECTED[name], rtol=1e-12, atol=1e-15)
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]


def test_reduce_lr_on_plateau_matches_pytorchs():
    opt = _optimizer()
    sched = S.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1)
    assert _lrs(sched, opt, 14, PLATEAU_METRICS) == EXPECTED["ReduceLROnPlateau"]
    sched = S.ReduceLROnPlateau(_optimizer(), mode="max", threshold_mode="abs", min_lr=0.3,
                                patience=0)
    for m in (1.0, 0.5, 0.5, 0.5):
        sched.step(m)
    assert sched.get_last_lr() == [0.3]


def test_one_cycle_and_cyclic_cycle_the_momentum():
    opt = _optimizer()
    sched = S.OneCycleLR(opt, 1.0, total_steps=10)
    assert opt.param_groups[0]["momentum"] == 0.95
    for _ in range(3):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["momentum"] < 0.95
    adam = optim.Adam([nn.Parameter(ember.zeros(1))], lr=1.0)
    S.CyclicLR(adam, 0.1, 1.0)
    assert adam.param_groups[0]["betas"][0] == 0.9
    with pytest.raises(ValueError, match="momentum"):
        S.CyclicLR(optim.Adagrad([nn.Parameter(ember.zeros(1))]), 0.1, 1.0)


def test_schedulers_cover_the_issue():
    for name in ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                 "CosineAnnealingWarmRestarts", "LinearLR", "ConstantLR", "LambdaLR",
                 "OneCycleLR", "CyclicLR", "SequentialLR", "ReduceLROnPlateau"):
        assert hasattr(S, name)
        assert name in EXPECTED or name.startswith("ReduceLR")


@pytest.mark.parametrize("name", list(SCHEDULERS))
@pytest.mark.parametrize("through_file", [False, True])
def test_scheduler_state_dict_round_trip_continues_the_schedule(name, through_file, tmp_path):
    opt = _optimizer()
    sched = SCHEDULERS[name](opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _lrs(sched, opt, 5)
        state = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}
        if through_file:
            save(state, tmp_path / "sched.safetensors")
            state = load(tmp_path / "sched.safetensors")
        opt2 = _optimizer()
        sched2 = SCHEDULERS[name](opt2)
        opt2.load_state_dict(state["optimizer"])
        sched2.load_state_dict(state["scheduler"])
        rest = _lrs(sched2, opt2, 9)
    np.testing.assert_allclose(rest, EXPECTED[name][5:], rtol=1e-12, atol=1e-15)


def test_reduce_lr_on_plateau_state_dict():
    opt = _optimizer()
    sched = S.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1)
    _lrs(sched, opt, 7, PLATEAU_METRICS)
    opt2 = _optimizer()
    sched2 = S.ReduceLROnPlateau(opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    assert _lrs(sched2, opt2, 7, PLATEAU_METRICS[7:]) == EXPECTED["ReduceLROnPlateau"][7:]


def test_scheduler_argument_errors():
    opt = _optimizer()
    with pytest.raises(ValueError):
        S.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError):
        S.OneCycleLR(opt, 1.0)
    with pytest.raises(ValueError):
        S.CosineAnnealingWarmRestarts(opt, 0)
    with pytest.raises(TypeError):
        S.StepLR(object(), 2)


def test_polynomial_lr_closed_form_and_two_groups():
    w1, w2 = nn.Parameter(ember.zeros(1)), nn.Parameter(ember.zeros(1))
    opt = optim.SGD([{"params": [w1]}, {"params": [w2], "lr": 0.5}], lr=0.001)
    sched = S.PolynomialLR(opt, total_iters=4, power=3.0)
    for e in range(1, 7):
        opt.step()
        sched.step()
        factor = (1 - min(e, 4) / 4) ** 3
        np.testing.assert_allclose(sched.get_last_lr(), [0.001 * factor, 0.5 * factor],
                                   rtol=1e-12, atol=1e-18)
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(2)  # an explicit epoch uses the closed form
    np.testing.assert_allclose(sched.get_last_lr(), [0.001 / 8, 0.5 / 8], rtol=1e-12)


def test_chained_scheduler_steps_every_scheduler_and_refuses_bad_chains():
    opt = _optimizer()
    constant, exponential = S.ConstantLR(opt, 0.1, 2), S.ExponentialLR(opt, 0.9)
    chain = S.ChainedScheduler([constant, exponential])
    assert chain.optimizer is opt and chain.get_last_lr() == [0.1]
    opt.step()
    chain.step()
    assert constant.last_epoch == exponential.last_epoch == 1
    np.testing.assert_allclose(chain.get_last_lr(), [0.09], rtol=1e-12)
    assert exponential.get_last_lr() == chain.get_last_lr()
    with pytest.raises(ValueError, match="at least one scheduler"):
        S.ChainedScheduler([])
    with pytest.raises(ValueError, match="ReduceLROnPlateau.*index 1"):
        S.ChainedScheduler([constant, S.ReduceLROnPlateau(opt)])
    other = _optimizer()
    with pytest.raises(ValueError, match="same optimizer.*ExponentialLR at index 1"):
        S.ChainedScheduler([S.ConstantLR(other), exponential])
    with pytest.raises(ValueError, match="same optimizer.*ConstantLR at index 0"):
        S.ChainedScheduler([constant], optimizer=other)
