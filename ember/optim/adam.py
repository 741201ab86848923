"""Adam: adaptive moment estimation (and its AMSGrad variant)."""

from __future__ import annotations

import math

from .optimizer import Optimizer


def _check_betas(lr, betas, eps, weight_decay) -> None:
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if weight_decay < 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def adam_rule(xp, p, g, m, v, vmax, t, *, lr, beta1, beta2, eps, step, weight_decay,
              decoupled, amsgrad, maximize):
    """One Adam / AdamW update of arrays in place (t is scratch of the same shape):

        g = grad (negated with maximize); p *= 1 - lr wd (decoupled, AdamW) or g += wd p
        m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  vmax = max(vmax, v)
        p -= lr / (1 - beta1^t) * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)
    """
    if weight_decay != 0 and decoupled:
        p *= 1.0 - lr * weight_decay
    if maximize:
        g = -g
    if weight_decay != 0 and not decoupled:
        g = g + weight_decay * p
    xp.subtract(g, m, out=t)                 # m += (1 - beta1) (g - m): PyTorch's lerp_
    t *= 1.0 - beta1
    m += t
    xp.multiply(g, g, out=t)
    t *= 1.0 - beta2
    v *= beta2
    v += t
    bias1 = 1.0 - beta1 ** step
    bias2_sqrt = math.sqrt(1.0 - beta2 ** step)
    if amsgrad:
        xp.maximum(vmax, v, out=vmax)
        xp.sqrt(vmax, out=t)
    else:
        xp.sqrt(v, out=t)
    # sqrt(v) / sqrt(1 - beta2^t) + eps, with the correction moved into the step size
    t += eps * bias2_sqrt
    xp.divide(m, t, out=t)
    t *= -lr * bias2_sqrt / bias1
    p += t


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's algorithm box: see `adam_rule`.

    Args: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0 (L2, added to the gradient),
    amsgrad=False, maximize=False.
    """

    decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 foreach=None, capturable: bool = False, differentiable: bool = False,
                 fused=None):
        _check_betas(lr, betas, eps, weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad,
                                  "maximize": maximize})

    def _init_state(self, p, state, group):
        state["step"] = 0
        state["exp_avg"] = self._zeros_like(p)
        state["exp_avg_sq"] = self._zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = self._zeros_like(p)

    def _update(self, p, g, state, group):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        xp = p._device.xp
        kw = {"lr": group["lr"], "beta1": beta1, "beta2": beta2, "eps": group["eps"],
              "step": state["step"], "weight_decay": group["weight_decay"],
              "decoupled": self.decoupled, "amsgrad": group["amsgrad"],
              "maximize": group["maximize"]}
        vmax = state.get("max_exp_avg_sq")
        if vmax is None:
            self._chunked(lambda pa, ga, m, v, t: adam_rule(xp, pa, ga, m, v, None, t, **kw),
                          p, g, state["exp_avg"], state["exp_avg_sq"])
        else:
            self._chunked(lambda pa, ga, m, v, vm, t: adam_rule(xp, pa, ga, m, v, vm, t, **kw),
                          p, g, state["exp_avg"], state["exp_avg_sq"], vmax)
