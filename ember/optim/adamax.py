"""Adamax: Adam with the infinity norm."""

from __future__ import annotations

from .adam import _check_betas
from .optimizer import Optimizer


class Adamax(Optimizer):
    """PyTorch's algorithm:

        g = grad (negated with maximize) + weight_decay * p
        m = beta1 m + (1 - beta1) g;  u = max(beta2 u, |g| + eps)
        p = p - lr / (1 - beta1^t) * m / u

    Args: lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        _check_betas(lr, betas, eps, weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize})

    def _init_state(self, p, state, group):
        state["step"] = 0
        state["exp_avg"] = self._zeros_like(p)
        state["exp_inf"] = self._zeros_like(p)

    def _update(self, p, g, state, group):
        state["step"] += 1
        xp = p._device.xp
        beta1, beta2 = group["betas"]
        eps, wd = group["eps"], group["weight_decay"]
        sign = -1.0 if group["maximize"] else 1.0
        clr = group["lr"] / (1.0 - beta1 ** state["step"])

        def rule(pa, ga, m, u, t):
            xp.multiply(ga, sign, out=t)
            if wd != 0:
                t += wd * pa
            m += (1.0 - beta1) * (t - m)
            xp.abs(t, out=t)
            t += eps
            u *= beta2
            xp.maximum(u, t, out=u)
            xp.divide(m, u, out=t)
            t *= clr
            pa -= t

        self._chunked(rule, p, g, state["exp_avg"], state["exp_inf"])
