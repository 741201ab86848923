"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from .optimizer import Optimizer


class Adagrad(Optimizer):
    """PyTorch's algorithm:

        g = grad (negated with maximize) + weight_decay * p
        clr = lr / (1 + (t - 1) lr_decay)
        s = s + g^2
        p = p - clr * g / (sqrt(s) + eps)

    Args: lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if lr_decay < 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if initial_accumulator_value < 0.0:
            raise ValueError(f"Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "maximize": maximize})
        for group in self.param_groups:  # PyTorch creates the state at construction
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    def _init_state(self, p, state, group):
        state["step"] = 0
        state["sum"] = self._zeros_like(p, group["initial_accumulator_value"])

    def _update(self, p, g, state, group):
        state["step"] += 1
        xp = p._device.xp
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        sign = -1.0 if group["maximize"] else 1.0
        wd, eps = group["weight_decay"], group["eps"]

        def rule(pa, ga, s, t):
            xp.multiply(ga, sign, out=t)
            if wd != 0:
                t += wd * pa
            s += t * t
            pa -= clr * t / (xp.sqrt(s) + eps)

        self._chunked(rule, p, g, state["sum"])
