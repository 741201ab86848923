"""Adam: adaptive moment estimation (and its AMSGrad variant)."""

from __future__ import annotations

import math

from .. import backend, kernels
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


def adam_rule(xp, *, lr, beta1, beta2, eps, step, weight_decay, decoupled, amsgrad, maximize):
    """One Adam / AdamW update of arrays in place, as rule(p, g, m, v, vmax, t) (t is scratch of
    the same shape, vmax None without amsgrad):

        g = grad (negated with maximize); p *= 1 - lr wd (decoupled, AdamW) or g += wd p
        m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  vmax = max(vmax, v)
        p -= lr / (1 - beta1^t) * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)

    The constants are computed once per step and the rule is called once per cache-sized chunk
    of a large parameter (Optimizer._chunked): twelve ufunc passes with out=, nothing allocated
    (without weight decay and maximize), m updated as PyTorch's lerp_ and v as its addcmul_.
    On NumPy arrays the compiled loop (ember.kernels) does the same arithmetic in one pass; the
    rule then has `single_pass` set, and the scratch t may be None.
    """
    # Python floats: a NumPy float64 (lr from np.logspace, say) would make each ufunc below
    # compute in float64 on float32 arrays, where the compiled loop computes in float32
    lr, beta1, beta2, eps, weight_decay = map(float, (lr, beta1, beta2, eps, weight_decay))
    c1, c2 = 1.0 - beta1, 1.0 - beta2
    bias2_sqrt = math.sqrt(1.0 - beta2 ** step)
    # sqrt(v) / sqrt(1 - beta2^t) + eps, with the correction moved into the step size
    eps_t = eps * bias2_sqrt
    neg_step = -lr * bias2_sqrt / (1.0 - beta1 ** step)
    shrink = 1.0 - lr * weight_decay if weight_decay != 0 and decoupled else None
    l2 = weight_decay if weight_decay != 0 and not decoupled else None
    mul, add, sub, sqrt, div = xp.multiply, xp.add, xp.subtract, xp.sqrt, xp.divide

    if xp is backend.cpu.xp and kernels.enabled():
        adam = kernels.native.adam
        shrink_, l2_ = 1.0 if shrink is None else shrink, 0.0 if l2 is None else l2

        def fused(p, g, m, v, vmax, t):
            arrays = (p, g, m, v) if vmax is None else (p, g, m, v, vmax)
            if not kernels.takes(xp, *arrays, contiguous=True):
                return rule(p, g, m, v, vmax, xp.empty_like(p) if t is None else t)
            adam(p, g, m, v, vmax, c1, c2, beta2, eps_t, neg_step, shrink_, l2_,
                 bool(maximize), vmax is not None)

        def many(ps, gs, ms, vs, vmaxs) -> bool:
            """The update of several parameters' arrays in one call of the loop; False (and
            nothing done) where it cannot take them all."""
            if not kernels.takes(xp, *ps, *gs, *ms, *vs, *(vmaxs or ()), contiguous=True):
                return False
            kernels.native.adam_many(ps, gs, ms, vs, vmaxs, c1, c2, beta2, eps_t, neg_step,
                                     shrink_, l2_, bool(maximize), vmaxs is not None)
            return True

        fused.single_pass = True
        fused.many = many
    else:
        fused = None

    def rule(p, g, m, v, vmax, t):
        if shrink is not None:
            mul(p, shrink, out=p)
        if maximize:
            g = -g
        if l2 is not None:
            g = g + l2 * p
        sub(g, m, out=t)                    # m += (1 - beta1) (g - m): PyTorch's lerp_
        mul(t, c1, out=t)
        add(m, t, out=m)
        mul(g, c2, out=t)                   # v = beta2 v + ((1 - beta2) g) g: mul_, addcmul_
        mul(t, g, out=t)
        mul(v, beta2, out=v)
        add(v, t, out=v)
        if vmax is not None:
            xp.maximum(vmax, v, out=vmax)
            sqrt(vmax, out=t)
        else:
            sqrt(v, out=t)
        add(t, eps_t, out=t)
        div(m, t, out=t)
        mul(t, neg_step, out=t)
        add(p, t, out=p)

    return fused or rule


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

    def _update_group(self, items, group):
        """On NumPy arrays the compiled loop takes all of a group's parameters (at one step)
        in one call, shared among the threads as one array; else one _update each."""
        if len(items) > 1 and kernels.enabled():
            step = items[0][2]["step"] + 1
            xp = backend.cpu.xp
            if all(s["step"] + 1 == step and p._device.xp is xp for p, _, s in items):
                rule, _ = self._rules(xp, group, step)
                many = getattr(rule, "many", None)
                vmaxs = [s["max_exp_avg_sq"]._data for _, _, s in items] \
                    if group["amsgrad"] else None
                if many is not None and many([p._data for p, _, _ in items],
                                             [g._data for _, g, _ in items],
                                             [s["exp_avg"]._data for _, _, s in items],
                                             [s["exp_avg_sq"]._data for _, _, s in items],
                                             vmaxs):
                    for _, _, s in items:
                        s["step"] = step
                    return
        super()._update_group(items, group)

    def _update(self, p, g, state, group):
        state["step"] += 1
        rule, no_max = self._rules(p._device.xp, group, state["step"])
        vmax = state.get("max_exp_avg_sq")
        if vmax is None:
            self._chunked(no_max, p, g, state["exp_avg"], state["exp_avg_sq"])
        else:
            self._chunked(rule, p, g, state["exp_avg"], state["exp_avg_sq"], vmax)

    def _rules(self, xp, group, step):
        """adam_rule for this group's hyper-parameters at this step (and its form without
        vmax), made once and shared by the parameters of a group, which are usually at the
        same step."""
        beta1, beta2 = group["betas"]
        key = (id(xp), kernels.enabled(), step, group["lr"], beta1, beta2, group["eps"],
               group["weight_decay"], group["amsgrad"], group["maximize"])
        cached = getattr(self, "_rule_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        rule = adam_rule(xp, lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                         step=step, weight_decay=group["weight_decay"],
                         decoupled=self.decoupled, amsgrad=group["amsgrad"],
                         maximize=group["maximize"])

        def no_max(pa, ga, m, v, t):
            rule(pa, ga, m, v, None, t)
        no_max.single_pass = getattr(rule, "single_pass", False)
        self._rule_cache = (key, (rule, no_max))
        return rule, no_max
