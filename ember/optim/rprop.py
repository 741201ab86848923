"""Rprop: resilient backpropagation, steps from the signs of the gradients only."""

from __future__ import annotations

from .optimizer import Optimizer


class Rprop(Optimizer):
    """PyTorch's algorithm:

        s = sign(g_t * g_{t-1});  eta = etaplus where s > 0, etaminus where s < 0, else 1
        step = clamp(step * eta, step_min, step_max);  g_t = 0 where s < 0
        p = p - sign(g_t) * step;  g_{t-1} = g_t

    Args: lr=1e-2 (the initial step), etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize.
    """

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, {"lr": lr, "etas": tuple(etas),
                                  "step_sizes": tuple(step_sizes), "maximize": maximize})

    def _init_state(self, p, state, group):
        state["step"] = 0
        state["prev"] = self._zeros_like(p)
        state["step_size"] = self._zeros_like(p, group["lr"])

    def _update(self, p, g, state, group):
        state["step"] += 1
        xp = p._device.xp
        etaminus, etaplus = group["etas"]
        smin, smax = group["step_sizes"]
        sign = -1.0 if group["maximize"] else 1.0

        def rule(pa, ga, prev, size, t):
            xp.multiply(ga, sign, out=t)
            s = xp.sign(t * prev)
            factor = xp.where(s > 0, etaplus, xp.where(s < 0, etaminus, 1.0))
            size *= factor.astype(size.dtype)
            xp.clip(size, smin, smax, out=size)
            t[s < 0] = 0
            pa -= xp.sign(t) * size
            prev[...] = t

        self._chunked(rule, p, g, state["prev"], state["step_size"])
