"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from .optimizer import Optimizer


class Adadelta(Optimizer):
    """PyTorch's algorithm:

        g = grad (negated with maximize) + weight_decay * p
        v = rho v + (1 - rho) g^2
        dx = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho u + (1 - rho) dx^2
        p = p - lr * dx

    Args: lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize})

    def _init_state(self, p, state, group):
        state["step"] = 0
        state["square_avg"] = self._zeros_like(p)
        state["acc_delta"] = self._zeros_like(p)

    def _update(self, p, g, state, group):
        state["step"] += 1
        xp = p._device.xp
        lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        sign = -1.0 if group["maximize"] else 1.0

        def rule(pa, ga, v, u, t):
            xp.multiply(ga, sign, out=t)
            if wd != 0:
                t += wd * pa
            v *= rho
            v += (1.0 - rho) * t * t
            t *= xp.sqrt(u + eps) / xp.sqrt(v + eps)   # t is the update dx now
            u *= rho
            u += (1.0 - rho) * t * t
            t *= lr
            pa -= t

        self._chunked(rule, p, g, state["square_avg"], state["acc_delta"])
