"""linear, bilinear, dropout, embedding, the normalisations, attention and interpolation.

linear is one fused Op (x W^T + b and its three gradients), the hot spot of every MLP; the rest
are composites of ember ops, so their gradients (and gradients of gradients) follow.
"""

from __future__ import annotations

import math

from ... import backend, kernels
from ...autograd import grad_mode
from ...autograd.function import Op
from ...autograd.grad_mode import no_grad
from ...ops._util import check_tensor, to_float
from ...ops.arithmetic import matmul
from ...ops.einsum import einsum
from ...tensor import Tensor, _make
from .activation import SoftmaxOp

__all__ = [
    "linear", "bilinear", "dropout", "dropout1d", "dropout2d", "alpha_dropout", "embedding",
    "batch_norm", "layer_norm", "group_norm", "instance_norm", "normalize",
    "scaled_dot_product_attention", "interpolate", "upsample", "one_hot", "pad",
]


# ---------------------------------------------------------------------------------- linear

class LinearOp(Op):
    """y = x W^T + b. x: (*, in), W: (out, in), b: (out,) -> (*, out)."""

    @staticmethod
    def forward(ctx, x, w, b):
        y = (x if x.ndim == 2 else x.reshape(-1, x.shape[-1])) @ w.T
        if b is not None:
            if kernels.takes(ctx.xp, y, b, contiguous=True):
                kernels.native.add_rows(y, b)      # y += b, the rows shared among the threads
            else:
                y += b
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved_tensors
        if not grad_mode.state.enabled:
            return LinearOp._backward_arrays(ctx, g, x, w, b)
        nxt = ctx.next  # create_graph: ember ops, so that the gradients are differentiable
        gx = matmul(g, w) if nxt[0] is not None else None
        gw = gb = None
        if nxt[1] is not None or (b is not None and nxt[2] is not None):
            g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
            if nxt[1] is not None:
                x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
                gw = matmul(g2.mT, x2)
            if b is not None and nxt[2] is not None:
                gb = g2.sum(0)
        return gx, gw, gb

    @staticmethod
    def _backward_arrays(ctx, g, x, w, b):
        """The same three products on the arrays (no graph is being recorded)."""
        nxt, dev = ctx.next, ctx.device
        gd = g._data
        g2 = gd if gd.ndim == 2 else gd.reshape(-1, gd.shape[-1])
        gx = gw = gb = None
        if nxt[0] is not None:
            xd = x._data
            if gd.ndim == 2 and xd.flags.f_contiguous and not xd.flags.c_contiguous:
                # laid out like x: a flattened batch-last activation (a CNN's last pooling)
                # then takes its gradient without a transposing copy
                gx = _make((w._data.T @ gd.T).T, dev)
            else:
                gx = _make(gd @ w._data, dev)
        if nxt[1] is not None:
            xd = x._data
            gw = _make(g2.T @ (xd if xd.ndim == 2 else xd.reshape(-1, xd.shape[-1])), dev)
        if b is not None and nxt[2] is not None:
            if kernels.takes(dev.xp, g2, contiguous=True):
                gbd = dev.xp.empty(g2.shape[1], dtype=g2.dtype)
                kernels.native.sum_rows(g2, gbd)   # g2.sum(0): the same sums, in threads
            else:
                gbd = g2.sum(0)
            gb = _make(gbd, dev)
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight^T + bias. input: (*, in), weight: (out, in), bias: (out,)."""
    check_tensor("linear", input)
    check_tensor("linear", weight, "weight")
    if weight.ndim != 2 and weight.ndim != 1:
        raise RuntimeError(f"linear: weight must be 2-D (out, in), got shape "
                           f"{tuple(weight.shape)}")
    if weight.ndim == 1:
        out = input @ weight
        return out + bias if bias is not None else out
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear: mat1 and mat2 shapes cannot be multiplied (input of shape "
                           f"{tuple(input.shape)}, weight of shape {tuple(weight.shape)}: "
                           f"{input.shape[-1] if input.ndim else 0} != {weight.shape[1]})")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"linear: expected input and weight of the same dtype, got "
                           f"{input.dtype} and {weight.dtype}")
    if bias is not None:
        if tuple(bias.shape) not in ((weight.shape[0],), (), (1,)):
            raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match "
                               f"weight of shape {tuple(weight.shape)}")
        if bias.ndim != 1 or bias.shape[0] != weight.shape[0]:
            return LinearOp.apply(input, weight, None) + bias
    if input.ndim == 1:
        return LinearOp.apply(input.unsqueeze(0), weight, bias).squeeze(0)
    return LinearOp.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_o = x1^T W_o x2 + b_o. input1: (*, in1), input2: (*, in2), weight: (out, in1, in2)."""
    check_tensor("bilinear", input1)
    check_tensor("bilinear", input2, "input2")
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] \
            or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear: inputs of shapes {tuple(input1.shape)} and "
                           f"{tuple(input2.shape)} do not match weight {tuple(weight.shape)}")
    y = einsum("...i,oij,...j->...o", input1, weight, input2)
    return y + bias if bias is not None else y


# ------------------------------------------------------------------------------- dropout

def _rng(generator):
    return (generator or backend.default_generator).rng


def _keep_mask(x: Tensor, shape, p: float, generator=None) -> Tensor:
    """1 / (1 - p) with probability 1 - p, else 0, as a tensor of x's dtype."""
    xp = x._device.xp
    rng = _rng(generator)
    dt = x._data.dtype
    if dt.kind == "f" and dt.itemsize in (4, 8):
        u = rng.random(shape, dtype=dt)
    else:
        u = rng.random(shape)
    mask = xp.asarray(u >= p, dtype=dt)
    mask *= 1.0 / (1.0 - p)
    return _make(xp.asarray(mask), x._device)


def _check_p(op: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator=None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training only;
    the identity in eval mode)."""
    check_tensor("dropout", input)
    _check_p("dropout", p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return input * _keep_mask(input, tuple(input.shape), p, generator)


def _channel_dropout(op: str, input: Tensor, p: float, training: bool, spatial: int,
                     generator=None) -> Tensor:
    check_tensor(op, input)
    _check_p(op, p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    batched = input.ndim == spatial + 2
    if not batched and input.ndim != spatial + 1:
        raise RuntimeError(f"{op}: expected a {spatial + 1}-D or {spatial + 2}-D input, got "
                           f"shape {tuple(input.shape)}")
    lead = input.ndim - spatial
    shape = tuple(input.shape[:lead]) + (1,) * spatial
    return input * _keep_mask(input, shape, p, generator)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels (N, C, L) with probability p."""
    return _channel_dropout("dropout1d", input, p, training, 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels (N, C, H, W) with probability p; the rest scaled by 1 / (1 - p)."""
    return _channel_dropout("dropout2d", input, p, training, 2)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance."""
    check_tensor("alpha_dropout", input)
    _check_p("alpha_dropout", p)
    if not training or p == 0.0:
        return input
    alpha_p = -1.7580993408473766
    a = 1.0 / math.sqrt((alpha_p ** 2 * p + 1) * (1 - p))
    keep = _keep_mask(input, tuple(input.shape), p) * (1.0 - p)
    b = (1.0 - keep) * (alpha_p * a) + alpha_p * a * p
    return input * keep * a + b


# ----------------------------------------------------------------------------- embedding

class EmbeddingOp(Op):
    """out[...] = weight[index[...]]; the gradient of weight row i sums the gradients of the
    positions that looked it up (zero for padding_idx)."""

    @staticmethod
    def forward(ctx, weight, index, padding_idx):
        return weight[index]

    @staticmethod
    def backward(ctx, g):
        weight, index, padding_idx = ctx.saved_tensors
        d = weight.shape[1]
        xp = ctx.xp
        flat = _make(index._data.reshape(-1), ctx.device)
        gw = _make(xp.zeros(weight._data.shape, dtype=g._data.dtype), ctx.device)
        gw = gw.index_add(0, flat, g.reshape(-1, d))
        if padding_idx is not None:
            keep = xp.ones((weight.shape[0], 1), dtype=g._data.dtype)
            keep[padding_idx] = 0
            gw = gw * _make(keep, ctx.device)
        return gw, None, None


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight (num_embeddings, dim) looked up by the integer input (*) -> (*, dim).
    padding_idx's row gets no gradient; max_norm renormalises the looked-up rows in place."""
    check_tensor("embedding", input)
    check_tensor("embedding", weight, "weight")
    if input.dtype.category != 1:
        raise RuntimeError(f"embedding: expected an integer index tensor, got {input.dtype}")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D, got shape {tuple(weight.shape)}")
    n = weight.shape[0]
    idx = input._data
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        raise IndexError(f"embedding: index out of range in self (indices must be in "
                         f"[0, {n}), got min {int(idx.min())}, max {int(idx.max())})")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx must be within num_embeddings ({n})")
        padding_idx = padding_idx % n
    if max_norm is not None:
        with no_grad():
            xp = weight._device.xp
            rows = xp.unique(idx % n)
            w = weight._data
            norms = (xp.abs(w[rows]) ** norm_type).sum(1) ** (1.0 / norm_type)
            scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            w[rows] *= scale[:, None].astype(w.dtype)
            weight._vc[0] += 1
    return EmbeddingOp.apply(weight, input, padding_idx)


# -------------------------------------------------------------------------- normalisation

def _affine_shape(x: Tensor) -> tuple:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float | None = 0.1,
               eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1). In training the batch
    statistics are used (biased variance) and the running ones updated in place as
    running = (1 - momentum) running + momentum batch (unbiased variance); momentum=None gives
    the cumulative average (the caller passes 1 / num_batches_tracked)."""
    check_tensor("batch_norm", input)
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input (N, C, *), got shape "
                         f"{tuple(input.shape)}")
    x = to_float(input)
    dims = (0,) + tuple(range(2, x.ndim))
    shape = _affine_shape(x)
    if training:
        count = x.numel() // x.shape[1]
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {tuple(input.shape)}")
        mean = x.mean(dims, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if running_mean is not None or running_var is not None:
            m = 0.1 if momentum is None else momentum
            with no_grad():
                if running_mean is not None:
                    rm = running_mean._data
                    rm *= 1.0 - m
                    rm += m * mean._data.reshape(-1).astype(rm.dtype)
                    running_mean._vc[0] += 1
                if running_var is not None:
                    rv = running_var._data
                    rv *= 1.0 - m
                    rv += (m * count / (count - 1)) * var._data.reshape(-1).astype(rv.dtype)
                    running_var._vc[0] += 1
        y = centered * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var are needed in eval "
                               "mode (training=False)")
        rm = running_mean.reshape(shape).to(x.dtype)
        rv = running_var.reshape(shape).to(x.dtype)
        y = (x - rm) * (rv + eps).rsqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing normalized_shape dims
    (biased variance)."""
    check_tensor("layer_norm", input)
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise RuntimeError(f"layer_norm: Given normalized_shape={list(normalized_shape)}, "
                           f"expected input with shape [*, {', '.join(map(str, normalized_shape))}"
                           f"], but got input of size {tuple(input.shape)}")
    x = to_float(input)
    dims = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    y = centered * (var + eps).rsqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over each group of C / num_groups channels (and all spatial dims) of every
    sample, then weight and bias per channel. input: (N, C, *)."""
    check_tensor("group_norm", input)
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(f"group_norm: expected the number of channels of input of shape "
                           f"{tuple(input.shape)} to be divisible by num_groups={num_groups}")
    x = to_float(input)
    n = x.shape[0]
    xg = x.reshape(n, num_groups, -1)
    mean = xg.mean(2, keepdim=True)
    centered = xg - mean
    var = (centered * centered).mean(2, keepdim=True)
    y = (centered * (var + eps).rsqrt()).reshape(tuple(x.shape))
    shape = _affine_shape(x)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dims. input: (N, C, *)."""
    check_tensor("instance_norm", input)
    x = to_float(input)
    shape = _affine_shape(x)
    dims = tuple(range(2, x.ndim))
    if use_input_stats:
        mean = x.mean(dims, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if running_mean is not None or running_var is not None:
            count = math.prod(x.shape[2:])
            with no_grad():
                if running_mean is not None:
                    rm = running_mean._data
                    rm *= 1.0 - momentum
                    rm += momentum * mean._data.mean(axis=0).reshape(-1)
                if running_var is not None:
                    rv = running_var._data
                    rv *= 1.0 - momentum
                    unbiased = var._data.mean(axis=0).reshape(-1) * count / max(count - 1, 1)
                    rv += momentum * unbiased
        y = centered * (var + eps).rsqrt()
    else:
        y = (x - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """x / max(||x||_p, eps) along dim."""
    check_tensor("normalize", input)
    x = to_float(input)
    return x / x.norm(p, dim=dim, keepdim=True).clamp_min(eps)


# ------------------------------------------------------------------------------ attention

def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V. query: (*, L, E), key: (*, S, E), value: (*, S, Ev);
    scale defaults to 1 / sqrt(E). A bool attn_mask marks the pairs that take part (True);
    a float one is added to the scores; is_causal masks the future (j > i)."""
    check_tensor("scaled_dot_product_attention", query)
    check_tensor("scaled_dot_product_attention", key, "key")
    check_tensor("scaled_dot_product_attention", value, "value")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: query {tuple(query.shape)}, key "
                           f"{tuple(key.shape)} and value {tuple(value.shape)} do not match")
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: explicit attn_mask should not be set "
                           "when is_causal=True")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(rep, dim=-3)
        value = value.repeat_interleave(rep, dim=-3)
    e = query.shape[-1]
    s = 1.0 / math.sqrt(e) if scale is None else scale
    scores = matmul(query, key.mT) * s
    xp = query._device.xp
    if is_causal:
        length, src = query.shape[-2], key.shape[-2]
        keep = xp.tril(xp.ones((length, src), dtype=bool))
        scores = scores.masked_fill(_make(~keep, query._device), -math.inf)
    if attn_mask is not None:
        if attn_mask.dtype is backend.bool_:
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    attn = SoftmaxOp.apply(scores, scores.ndim - 1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return matmul(attn, value)


# -------------------------------------------------------------------------- interpolation

def _interp_sizes(x: Tensor, size, scale_factor, recompute_scale_factor):
    spatial = x.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    in_sizes = tuple(x.shape[2:])
    if size is not None:
        sizes = (size,) * spatial if isinstance(size, int) else tuple(size)
        if len(sizes) != spatial:
            raise ValueError(f"interpolate: size {size} does not match the {spatial} spatial "
                             f"dims of input {tuple(x.shape)}")
        scales = [i / o for i, o in zip(in_sizes, sizes)]
        return sizes, scales
    factors = ((scale_factor,) * spatial if isinstance(scale_factor, (int, float))
               else tuple(scale_factor))
    if len(factors) != spatial:
        raise ValueError(f"interpolate: scale_factor {scale_factor} does not match the "
                         f"{spatial} spatial dims of input {tuple(x.shape)}")
    sizes = tuple(int(math.floor(i * f)) for i, f in zip(in_sizes, factors))
    if recompute_scale_factor:
        scales = [i / o for i, o in zip(in_sizes, sizes)]
    else:
        scales = [1.0 / f for f in factors]
    return sizes, scales


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial): mode 'nearest' (src = floor(dst * scale)),
    'linear' (3-D), 'bilinear' (4-D) with align_corners as PyTorch."""
    check_tensor("interpolate", input)
    if input.ndim < 3:
        raise ValueError(f"interpolate: expected (N, C, *spatial) input, got shape "
                         f"{tuple(input.shape)}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    x = input
    sizes, scales = _interp_sizes(x, size, scale_factor, recompute_scale_factor)
    xp = x._device.xp
    if mode == "nearest":
        if align_corners is not None:
            raise ValueError("interpolate: align_corners option can only be set with the "
                             "interpolating modes: linear | bilinear | bicubic | trilinear")
        for axis, (out, sc) in enumerate(zip(sizes, scales)):
            n_in = x.shape[axis + 2]
            idx = xp.minimum(xp.floor(xp.arange(out) * sc).astype(xp.int64), n_in - 1)
            x = x.index_select(axis + 2, _make(idx, x._device))
        return x
    if mode in ("linear", "bilinear", "trilinear"):
        expected = {"linear": 3, "bilinear": 4, "trilinear": 5}[mode]
        if x.ndim != expected:
            raise ValueError(f"interpolate: mode {mode!r} expects a {expected}-D input, got "
                             f"shape {tuple(x.shape)}")
        x = to_float(x)
        corners = bool(align_corners)
        for axis, (out, sc) in enumerate(zip(sizes, scales)):
            x = _linear_axis(x, axis + 2, out, sc, corners)
        return x
    raise NotImplementedError(f"interpolate: mode {mode!r} is not supported (nearest, linear, "
                              "bilinear, trilinear)")


def _linear_axis(x: Tensor, axis: int, out: int, scale: float, align_corners: bool) -> Tensor:
    """Linear interpolation along one axis (separable: bilinear is two of these)."""
    xp = x._device.xp
    n_in = x.shape[axis]
    dst = xp.arange(out, dtype=x._data.dtype)
    if align_corners:
        src = dst * ((n_in - 1) / (out - 1) if out > 1 else 0.0)
    else:
        src = xp.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), n_in - 1)
    i1 = xp.minimum(i0 + 1, n_in - 1)
    lam = (src - i0).astype(x._data.dtype)
    shape = [1] * x.ndim
    shape[axis] = out
    lam_t = _make(lam.reshape(shape), x._device)
    a = x.index_select(axis, _make(i0, x._device))
    b = x.index_select(axis, _make(i1, x._device))
    return a + (b - a) * lam_t


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    return interpolate(input, size, scale_factor, mode, align_corners)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(...) class indices -> (..., num_classes) int64 one-hot rows."""
    from ...ops.index import one_hot as _one_hot
    return _one_hot(tensor, num_classes)


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad the last dims: pad = (left, right, top, bottom, ...); modes 'constant', 'reflect',
    'replicate', 'circular'."""
    from ...ops.shape import pad as _pad
    return _pad(input, pad, mode, value)

