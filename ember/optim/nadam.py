"""NAdam: Adam with Nesterov momentum."""

from __future__ import annotations

from .adam import _check_betas
from .optimizer import Optimizer


class NAdam(Optimizer):
    """PyTorch's algorithm (Dozat), with the momentum schedule
    mu_t = beta1 (1 - 0.5 * 0.96^(t psi)), psi = momentum_decay:

        g = grad (+ weight_decay * p, or p *= 1 - lr wd with decoupled_weight_decay)
        m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
        denom = sqrt(v / (1 - beta2^t)) + eps
        p -= lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g / denom
        p -= lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m / denom

    Args: lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
    decoupled_weight_decay=False.
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        _check_betas(lr, betas, eps, weight_decay)
        if momentum_decay < 0.0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay,
                                  "momentum_decay": momentum_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  "maximize": maximize})

    def _init_state(self, p, state, group):
        state["step"] = 0
        state["mu_product"] = 1.0
        state["exp_avg"] = self._zeros_like(p)
        state["exp_avg_sq"] = self._zeros_like(p)

    def _update(self, p, g, state, group):
        state["step"] += 1
        step = state["step"]
        xp = p._device.xp
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        psi = group["momentum_decay"]
        sign = -1.0 if group["maximize"] else 1.0
        bias2 = 1.0 - beta2 ** step
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        mu_product = state["mu_product"] * mu
        state["mu_product"] = mu_product
        c_grad = -lr * (1.0 - mu) / (1.0 - mu_product)
        c_avg = -lr * mu_next / (1.0 - mu_product * mu_next)
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
            denom = xp.sqrt(v / bias2)
            denom += eps
            pa += c_grad * t / denom
            pa += c_avg * m / denom

        self._chunked(rule, p, g, state["exp_avg"], state["exp_avg_sq"])

