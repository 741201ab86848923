"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum, weight decay."""

from __future__ import annotations

from .. import kernels
from .optimizer import Optimizer, required


class SGD(Optimizer):
    """Gradient descent on mini-batches (full-batch gradient descent when the gradient is of the
    whole data set), PyTorch's algorithm:

        g = grad (negated with maximize) + weight_decay * p
        b = g on the first step, else momentum * b + (1 - dampening) * g    (momentum != 0)
        g = g + momentum * b (nesterov) or b
        p = p - lr * g

    Args: lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None):
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  "maximize": maximize})

    def _init_state(self, p, state, group):
        if group["momentum"] != 0:
            state["momentum_buffer"] = None

    def _update(self, p, g, state, group):
        # Python floats: a NumPy float64 would make the ufuncs compute in float64 on float32
        # arrays, where the compiled loop computes in float32
        lr, momentum, wd = (float(group[k]) for k in ("lr", "momentum", "weight_decay"))
        dampening = float(group["dampening"])
        sign = -1.0 if group["maximize"] else 1.0
        xp = p._device.xp
        if momentum == 0:
            if wd == 0:
                xp.subtract(p._data, g._data * (lr * sign), out=p._data)
                return
            d = g._data * sign
            d += wd * p._data
            d *= lr
            p._data -= d
            return
        buf = state.get("momentum_buffer")
        first = buf is None
        if first:
            buf = state["momentum_buffer"] = self._zeros_like(p)

        if kernels.takes(xp, p._data, g._data, buf._data, contiguous=True):
            # the same arithmetic in one compiled pass (ember.kernels)
            kernels.native.sgd_momentum(p._data, g._data, buf._data, sign, wd, momentum,
                                        1.0 - dampening, lr, first, dampening != 0,
                                        group["nesterov"])
            return

        def rule(pa, ga, ba, t):
            xp.multiply(ga, sign, out=t)
            if wd != 0:
                t += wd * pa
            if first:
                ba[...] = t
            else:
                ba *= momentum
                if dampening == 0:
                    ba += t
                else:
                    ba += (1.0 - dampening) * t
            if group["nesterov"]:
                t += momentum * ba
                t *= lr
            else:
                xp.multiply(ba, lr, out=t)
            pa -= t

        self._chunked(rule, p, g, buf)
