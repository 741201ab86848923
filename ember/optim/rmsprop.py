"""RMSprop: gradients divided by a running root mean square."""

from __future__ import annotations

from .optimizer import Optimizer


class RMSprop(Optimizer):
    """PyTorch's algorithm:

        g = grad (negated with maximize) + weight_decay * p
        v = alpha v + (1 - alpha) g^2
        centered: m = alpha m + (1 - alpha) g, denom = sqrt(v - m^2) + eps; else sqrt(v) + eps
        momentum > 0: b = momentum b + g / denom, p = p - lr b;  else p = p - lr g / denom

    Args: lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered, "maximize": maximize})

    def _init_state(self, p, state, group):
        state["step"] = 0
        state["square_avg"] = self._zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = self._zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = self._zeros_like(p)

    def _update(self, p, g, state, group):
        state["step"] += 1
        xp = p._device.xp
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        sign = -1.0 if group["maximize"] else 1.0
        v = state["square_avg"]
        m = state.get("grad_avg")
        b = state.get("momentum_buffer")

        def rule(pa, ga, va, *rest):
            t = rest[-1]
            ma = rest[0] if centered else None
            ba = rest[-2] if momentum > 0 else None
            xp.multiply(ga, sign, out=t)
            if wd != 0:
                t += wd * pa
            va *= alpha
            va += (1.0 - alpha) * t * t
            if centered:
                ma += (1.0 - alpha) * (t - ma)
                denom = xp.sqrt(va - ma * ma) + eps
            else:
                denom = xp.sqrt(va) + eps
            if momentum > 0:
                ba *= momentum
                ba += t / denom
                pa -= lr * ba
            else:
                pa -= lr * t / denom

        tensors = [p, g, v] + ([m] if centered else []) + ([b] if momentum > 0 else [])
        self._chunked(rule, *tensors)
