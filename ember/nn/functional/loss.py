"""Loss functions, with PyTorch's arguments and reductions ('none', 'mean', 'sum').

cross_entropy with class indices is one fused Op (log-softmax, the pick of the target class,
class weights, ignore_index and label smoothing in one pass; stable for logits of any magnitude).
Everything else is a composite of ember ops.
"""

from __future__ import annotations

import math
import warnings

from ...autograd import grad_mode
from ...linalg.norms import pairwise_distance, pdist
from ...linalg.similarity import cosine_similarity
from ...ops._util import check_tensor, to_float
from ...ops.elementwise import clamp, clamp_min, exp, log, log1p, softplus, where, xlogy
from ...tensor import Tensor, _make
from ._conv import ArrayOp
from .activation import LogSoftmaxOp, SoftmaxOp

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "hinge_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
    "cosine_embedding_loss", "soft_margin_loss", "pairwise_distance", "cosine_similarity", "pdist",
]

_REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated size_average / reduce flags mapped to `reduction`."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _check_reduction(op: str, reduction: str, allowed=_REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; expected one "
                         f"of {', '.join(repr(r) for r in allowed)}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _pair(op: str, input, target) -> tuple[Tensor, Tensor]:
    check_tensor(op, input)
    check_tensor(op, target, "target")
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{op}: Using a target size ({tuple(target.shape)}) that is different "
                         f"to the input size ({tuple(input.shape)}) is not supported; please "
                         "make sure they have the same size")
    input = to_float(input)
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    return input, target


# --------------------------------------------------------------------------- regression

def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(input - target)^2, reduced. input, target: same shape."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("mse_loss", reduction)
    x, y = _pair("mse_loss", input, target)
    d = x - y
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|input - target|, reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("l1_loss", reduction)
    x, y = _pair("l1_loss", input, target)
    loss = (x - y).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    x, y = _pair("smooth_l1_loss", input, target)
    d = x - y
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction)
    return _reduce(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0, weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta)."""
    _check_reduction("huber_loss", reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    x, y = _pair("huber_loss", input, target)
    d = x - y
    ad = d.abs()
    loss = where(ad <= delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------- classification

class CrossEntropyOp(ArrayOp):
    """Cross-entropy of logits x (M, C) against class indices t (M,), fused.

    loss_i = v_i [(1 - s) w_{t_i} (-log p_{i t_i}) + (s / C) sum_c w_c (-log p_ic)], with
    p = softmax(x), s the label smoothing, w the class weights and v_i = [t_i != ignore_index];
    'mean' divides the sum by sum_i v_i w_{t_i}. The gradient is g_i (p_ij a_i - b_ij) with
    a_i = v_i ((1 - s) w_{t_i} + s/C sum_c w_c) and b_ij = v_i ((1 - s) w_{t_i} [j = t_i] +
    s/C w_j); p comes from a softmax Op, so gradients of gradients follow.
    """

    _arrays = ("parts", "plain")
    save_inputs = True  # the logits tensor: the gradient's softmax is differentiated again

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, smoothing, reduction, plain=False):
        """plain: no weight, no smoothing and every target a valid class (the caller checked),
        the common case: the same numbers with fewer passes, and exp(x - max) kept for the
        gradient."""
        xp = ctx.xp
        m, c = x.shape
        z = x - x.max(axis=1, keepdims=True)
        e = xp.exp(z)
        total_e = e.sum(axis=1, keepdims=True)
        ctx.plain = None
        if plain:
            rows = xp.arange(m)
            loss = -(z[rows, target] - xp.log(total_e[:, 0]))   # -log p of each target
            ctx.reduction = reduction
            ctx.plain = (target, e, total_e)
            ctx.parts = None
            if reduction == "none":
                return loss
            total = loss.sum()
            return total if reduction == "sum" else total / x.dtype.type(m)
        z -= xp.log(total_e)  # z is log p now
        valid = target != ignore_index
        t = xp.where(valid, target, 0) if ignore_index >= 0 or not valid.all() else target
        rows = xp.arange(m)
        picked = z[rows, t]
        if weight is None:
            wt = valid.astype(x.dtype)
        else:
            wt = weight[t] * valid
        loss = -picked * wt
        if smoothing:
            smooth = -(z.sum(axis=1) if weight is None else z @ weight) * valid
            loss = loss * (1.0 - smoothing) + smooth * (smoothing / c)
        ctx.reduction = reduction
        ctx.parts = (x, t, valid, wt, weight, smoothing)
        if reduction == "none":
            return loss
        total = loss.sum()
        if reduction == "sum":
            return total
        denom = wt.sum()
        ctx.denom = denom
        if denom == 0:  # every target ignored: PyTorch's 0 / 0, without NumPy's warning
            return total * float("nan")
        return total / denom

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        if ctx.plain is not None:
            t, e, total_e = ctx.plain
            m = e.shape[0]
            if not grad_mode.state.enabled:   # softmax * a - [j = t_i] a, times g (as below)
                a = xp.ones((m, 1), dtype=e.dtype)
                if ctx.reduction == "mean":
                    a /= e.dtype.type(m)
                p = e * (a / total_e)
                p[xp.arange(m), t] -= a[:, 0]
                p *= g._data[:, None] if ctx.reduction == "none" else g._data
                return _make(p, ctx.device), None, None, None, None, None, None
            x = ctx.saved_tensors[0]._data   # create_graph: the general rule below
            ones = xp.ones(m, dtype=x.dtype)
            ctx.parts = (x, t, ones.astype(bool), ones, None, 0.0)
            ctx.denom = x.dtype.type(m)
        x, t, valid, wt, weight, smoothing = ctx.parts
        m, c = x.shape
        dtype = x.dtype
        a = wt * (1.0 - smoothing)
        b = xp.zeros((m, c), dtype=dtype)
        b[xp.arange(m), t] = a
        if smoothing:
            wsum = float(c) if weight is None else weight.sum()
            a = a + valid * (smoothing / c * wsum)
            b += valid[:, None] * ((smoothing / c) * (1.0 if weight is None else weight))
        reduction = ctx.reduction
        if reduction == "mean":
            if ctx.denom != 0:
                a = a / ctx.denom
                b /= ctx.denom
            else:  # a total weight of 0 (every target ignored): the loss is 0 / 0 = nan, but
                # as in PyTorch the ignored targets add nothing to the gradient (nan elsewhere)
                a = xp.where(valid, float("nan"), 0.0).astype(dtype)
                b = xp.where(valid[:, None], float("nan"), xp.zeros_like(b)).astype(dtype)
        dev = ctx.device
        a = a[:, None].astype(dtype, copy=False)
        if not grad_mode.state.enabled:  # arrays: softmax * a - b, times the incoming gradient
            p = x - x.max(axis=1, keepdims=True)
            xp.exp(p, out=p)
            p *= a / p.sum(axis=1, keepdims=True)
            p -= b
            p *= g._data[:, None] if reduction == "none" else g._data
            return _make(p, dev), None, None, None, None, None, None
        p = SoftmaxOp.apply(ctx.saved_tensors[0], 1)
        gx = p * _make(a, dev) - _make(b, dev)
        gx = gx * (g.unsqueeze(1) if reduction == "none" else g)
        return gx, None, None, None, None, None, None


def _check_class_target(op: str, input: Tensor, target: Tensor) -> None:
    if target.dtype.category != 1:
        raise RuntimeError(f"{op}: expected target of an integer dtype (class indices) or of "
                           f"input's floating dtype (class probabilities), got {target.dtype}")
    n_dims = input.ndim
    expect = (input.shape[0],) + tuple(input.shape[2:]) if n_dims >= 2 else ()
    if tuple(target.shape) != expect:
        raise ValueError(f"{op}: expected target of shape {expect} for input of shape "
                         f"{tuple(input.shape)}, got {tuple(target.shape)}")


def _flatten_classes(input: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (C,) -> (1, C); (N, C) unchanged."""
    if input.ndim == 1:
        return input.unsqueeze(0)
    if input.ndim == 2:
        return input
    c = input.shape[1]
    return input.movedim(1, -1).reshape(-1, c)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between the softmax of logits and a target.

    input: (C,), (N, C) or (N, C, d1, ...) logits. target: class indices (), (N,) or
    (N, d1, ...) of an integer dtype, or class probabilities shaped like input.
    loss = -sum_c w_c q_c log softmax(x)_c, with q the one-hot (or given) target smoothed as
    (1 - s) q + s / C; 'mean' divides by the total weight of the non-ignored targets (by the
    number of samples for probabilities). Finite for logits of any magnitude.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("cross_entropy", reduction)
    check_tensor("cross_entropy", input)
    check_tensor("cross_entropy", target, "target")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    x = to_float(input)
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have at least one dimension (the classes)")
    c = x.shape[1] if x.ndim >= 2 else x.shape[0]
    if weight is not None:
        check_tensor("cross_entropy", weight, "weight")
        if tuple(weight.shape) != (c,):
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                               f"{c} classes or no classes but got weight tensor of shape: "
                               f"{tuple(weight.shape)}")
        weight = weight.to(x.dtype)
    if target.dtype.category >= 2:
        return _cross_entropy_probs(x, target, weight, reduction, label_smoothing, c)
    _check_class_target("cross_entropy", x, target)
    x2 = _flatten_classes(x)
    t = target._data.reshape(-1)
    in_range = False     # every target a class in [0, c), none of them ignore_index
    if t.size:
        lo, hi = int(t.min()), int(t.max())
        in_range = 0 <= lo and hi < c and not lo <= ignore_index <= hi
        if not in_range:
            valid = t[t != ignore_index]
            if valid.size and (int(valid.min()) < 0 or int(valid.max()) >= c):
                bad = int(valid.max()) if int(valid.max()) >= c else int(valid.min())
                raise IndexError(f"cross_entropy: target {bad} is out of bounds for {c} "
                                 "classes")
    w = None if weight is None else weight._data
    plain = in_range and w is None and not label_smoothing
    loss = CrossEntropyOp.apply(x2, t, w, ignore_index, float(label_smoothing), reduction, plain)
    if reduction == "none":
        return loss.reshape(tuple(target.shape))
    return loss


def _cross_entropy_probs(x, target, weight, reduction, smoothing, c):
    if tuple(target.shape) != tuple(x.shape):
        raise RuntimeError(f"cross_entropy: target of class probabilities must have the input's "
                           f"shape {tuple(x.shape)}, got {tuple(target.shape)}")
    target = target.to(x.dtype)
    if smoothing:
        target = target * (1.0 - smoothing) + smoothing / c
    dim = 1 if x.ndim >= 2 else 0
    logp = LogSoftmaxOp.apply(x, dim)
    prod = logp * target
    if weight is not None:
        shape = [1] * x.ndim
        shape[dim] = c
        prod = prod * weight.reshape(shape)
    loss = -prod.sum(dim)
    return _reduce(loss, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """The negative log likelihood of class indices under log-probabilities.

    input: (C,), (N, C) or (N, C, d1, ...) log-probabilities; target: (), (N,) or
    (N, d1, ...) class indices. loss_i = -w_{t_i} input[i, t_i] (0 where t_i == ignore_index);
    'mean' divides by the total weight of the non-ignored targets.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("nll_loss", reduction)
    check_tensor("nll_loss", input)
    check_tensor("nll_loss", target, "target")
    if target.dtype.category != 1:
        raise RuntimeError(f"nll_loss: expected target of an integer dtype, got {target.dtype}")
    _check_class_target("nll_loss", input, target)
    x2 = _flatten_classes(to_float(input))
    c = x2.shape[1]
    xp = x2._device.xp
    t = target._data.reshape(-1)
    valid = t != ignore_index
    safe = xp.where(valid, t, 0)
    if safe.size and (int(safe.min()) < 0 or int(safe.max()) >= c):
        raise IndexError(f"nll_loss: target is out of bounds for {c} classes")
    if weight is None:
        wt = valid.astype(x2._data.dtype)
    else:
        wt = weight._data.astype(x2._data.dtype)[safe] * valid
    wt_t = _make(wt, x2._device)
    picked = x2.gather(1, _make(safe[:, None], x2._device)).squeeze(1)
    loss = -picked * wt_t
    if reduction == "none":
        return loss.reshape(tuple(target.shape))
    total = loss.sum()
    if reduction == "sum":
        return total
    total_weight = float(wt.sum())
    if total_weight == 0:  # every target ignored, or an empty batch: PyTorch's 0 / 0 = nan,
        return total * 0.0 + float("nan")  # with no gradient from the ignored targets
    return total * (1.0 / total_weight)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-w [y log(x) + (1 - y) log(1 - x)] for probabilities x in [0, 1]; each log is clamped
    at -100 as PyTorch does, so x = 0 or 1 gives a finite loss."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("binary_cross_entropy", reduction)
    x, y = _pair("binary_cross_entropy", input, target)
    xd = x._data
    if xd.size and (bool((xd < 0).any()) or bool((xd > 1).any())):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 "
                           "and 1")
    loss = -(y * clamp_min(log(x), -100.0) + (1.0 - y) * clamp_min(log1p(-x), -100.0))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE of sigmoid(x) computed from the logits without overflow:
    (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x), times weight."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    x, y = _pair("binary_cross_entropy_with_logits", input, target)
    sp = softplus(-x)
    if pos_weight is not None:
        loss = (1.0 - y) * x + (y * (pos_weight - 1.0) + 1.0) * sp
    else:
        loss = (1.0 - y) * x + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)), y in {-1, 1}."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x, y = _pair("soft_margin_loss", input, target)
    return _reduce(softplus(-y * x), reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise, with input log-probabilities (PyTorch's convention):
    target (log target - input), 0 where target = 0; with log_target the target is given as
    log-probabilities. 'batchmean' divides the sum by the batch size (the true KL divergence)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("kl_div", reduction, _REDUCTIONS + ("batchmean",))
    if reduction == "mean":
        warnings.warn("kl_div: reduction 'mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, as the "
                      "definition of the KL divergence does (PyTorch warns the same)",
                      UserWarning, stacklevel=2)
    x, y = _pair("kl_div", input, target)
    if log_target:
        loss = exp(y) * (y - x)
    else:
        loss = xlogy(y, y) - y * x
    if reduction == "batchmean":
        return loss.sum() * (1.0 / (x.shape[0] if x.ndim else 1))
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log likelihood: exp(x) - y x (log_input), else x - y log(x + eps); with
    full, Stirling's y log y - y + 0.5 log(2 pi y) is added where y > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("poisson_nll_loss", reduction)
    x, y = _pair("poisson_nll_loss", input, target)
    loss = exp(x) - y * x if log_input else x - y * log(x + eps)
    if full:
        stirling = y * log(y) - y + 0.5 * log(2 * math.pi * y)
        loss = loss + where(y > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) with
    full). var: input's shape, or with its last dim 1 or missing (one variance per sample), or
    a number. The clamp of var passes the gradient through unchanged, as in PyTorch."""
    _check_reduction("gaussian_nll_loss", reduction)
    check_tensor("gaussian_nll_loss", input)
    check_tensor("gaussian_nll_loss", target, "target")
    if not isinstance(var, Tensor):
        var = input.detach() * 0.0 + float(var)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError(f"gaussian_nll_loss: var of shape {tuple(var.shape)} does not "
                             f"match input of shape {tuple(input.shape)}")
    if bool((var._data < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    var = var + (clamp(var, min=eps) - var).detach()
    d = input - target
    loss = (log(var) + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("hinge_embedding_loss", reduction)
    x, y = _pair("hinge_embedding_loss", input, target)
    loss = where(y != 1, clamp_min(margin - x, 0.0), 0.0) + where(y != -1, x, 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("margin_ranking_loss", reduction)
    check_tensor("margin_ranking_loss", input1)
    check_tensor("margin_ranking_loss", input2, "input2")
    check_tensor("margin_ranking_loss", target, "target")
    return _reduce(clamp_min(-target * (input1 - input2) + margin, 0.0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-distance; swap uses
    min(d(a, n), d(p, n))."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("triplet_margin_loss", reduction)
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    for t, what in ((anchor, "anchor"), (positive, "positive"), (negative, "negative")):
        check_tensor("triplet_margin_loss", t, what)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"triplet_margin_loss: The anchor, positive, and negative tensors are "
                           f"expected to have the same number of dimensions, but got: anchor "
                           f"{anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_pn = pairwise_distance(positive, negative, p, eps)
        d_an = where(d_pn < d_an, d_pn, d_an)
    return _reduce(clamp_min(d_ap - d_an + margin, 0.0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1 (cos over the
    last dim, with 1e-12 added to each squared norm as PyTorch)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("cosine_embedding_loss", reduction)
    check_tensor("cosine_embedding_loss", input1)
    check_tensor("cosine_embedding_loss", input2, "input2")
    eps = 1e-12
    dim = input1.ndim - 1
    prod = (input1 * input2).sum(dim)
    m1 = (input1 * input1).sum(dim) + eps
    m2 = (input2 * input2).sum(dim) + eps
    cos = prod / (m1 * m2).sqrt()
    loss = where(target == 1, 1.0 - cos, 0.0) + where(target == -1, clamp_min(cos - margin, 0.0),
                                                      0.0)
    return _reduce(loss, reduction)
