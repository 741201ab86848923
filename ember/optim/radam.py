"""RAdam: Adam with the variance of the adaptive learning rate rectified."""

from __future__ import annotations

import math

from .adam import _check_betas
from .optimizer import Optimizer


class RAdam(Optimizer):
    """PyTorch's algorithm (Liu et al.):

        g = grad (+ weight_decay * p, or p *= 1 - lr wd with decoupled_weight_decay)
        m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  m_hat = m / (1 - beta1^t)
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        rho_t > 5: r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)),
                   p -= lr m_hat r sqrt(1 - beta2^t) / (sqrt(v) + eps)
        else:      p -= lr m_hat

    Args: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        _check_betas(lr, betas, eps, weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  "maximize": maximize})

    def _init_state(self, p, state, group):
        state["step"] = 0
        state["exp_avg"] = self._zeros_like(p)
        state["exp_avg_sq"] = self._zeros_like(p)

    def _update(self, p, g, state, group):
        state["step"] += 1
        step = state["step"]
        xp = p._device.xp
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        sign = -1.0 if group["maximize"] else 1.0
        bias1 = 1.0 - beta1 ** step
        bias2 = 1.0 - beta2 ** step
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * step * (beta2 ** step) / bias2
        rect = None
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        decoupled = group["decoupled_weight_decay"]

        def rule(pa, ga, m, v, t):
            xp.multiply(ga, sign, out=t)
            if wd != 0:
                if decoupled:
                    pa *= 1.0 - lr * wd
                else:
                    t += wd * pa
            m += (1.0 - beta1) * (t - m)
            v *= beta2
            v += (1.0 - beta2) * t * t
            if rect is None:
                pa -= (lr / bias1) * m
            else:
                xp.sqrt(v, out=t)
                t += eps
                xp.divide(m, t, out=t)
                t *= lr / bias1 * rect * math.sqrt(bias2)
                pa -= t

        self._chunked(rule, p, g, state["exp_avg"], state["exp_avg_sq"])
