"""multi_head_attention_forward: the functional form of nn.MultiheadAttention (PyTorch's
F.multi_head_attention_forward, with its arguments and mask conventions)."""

from __future__ import annotations

import math

from ... import backend
from ...creation import zeros
from ...ops._util import check_tensor
from ...ops.shape import cat
from ...tensor import Tensor, _make
from .activation import softmax
from .basic import dropout, linear, pad

__all__ = ["multi_head_attention_forward"]


def _float_mask(mask: Tensor | None, dtype, what: str) -> Tensor | None:
    """A mask as an additive float mask: bool True (= may NOT attend) becomes -inf."""
    if mask is None:
        return None
    check_tensor("multi_head_attention_forward", mask, what)
    if mask.dtype is backend.bool_:
        xp = mask._device.xp
        data = xp.where(mask._data, -xp.inf, 0.0).astype(dtype.np)
        return _make(data, mask._device)
    if mask.dtype.category != 2:
        raise TypeError(f"multi_head_attention_forward: only bool and floating types of {what} "
                        f"are supported, got {mask.dtype}")
    return mask.to(dtype)


def _split(t: Tensor | None, e: int):
    return (None, None, None) if t is None else (t[:e], t[e:2 * e], t[2 * e:])


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor,
                                 embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None,
                                 bias_k: Tensor | None, bias_v: Tensor | None,
                                 add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight: Tensor, out_proj_bias: Tensor | None,
                                 training: bool = True, key_padding_mask: Tensor | None = None,
                                 need_weights: bool = True, attn_mask: Tensor | None = None,
                                 use_separate_proj_weight: bool = False,
                                 q_proj_weight: Tensor | None = None,
                                 k_proj_weight: Tensor | None = None,
                                 v_proj_weight: Tensor | None = None,
                                 static_k: Tensor | None = None, static_v: Tensor | None = None,
                                 average_attn_weights: bool = True, is_causal: bool = False):
    """Multi-head attention with the weights passed in: project query/key/value (in_proj_weight
    (3E, E) packed, or q/k/v_proj_weight with use_separate_proj_weight=True), attend per head
    with softmax(Q K^T / sqrt(E / num_heads) + masks) (dropout_p on those weights while
    training), concatenate the heads and apply out_proj.

    query (L, N, E), key (S, N, E_k), value (S, N, E_v), or unbatched (L, E), (S, E_k),
    (S, E_v). attn_mask (L, S) or (N * num_heads, L, S); key_padding_mask (N, S) or (S,); in
    either a bool True marks a position that may NOT be attended and a float mask is added to
    the scores. is_causal without attn_mask masks the future (j > i). static_k / static_v
    ((N * num_heads, S, E / num_heads)) replace the projected keys / values. Returns (output
    (L, N, E), weights (N, L, S) averaged over heads, (N, num_heads, L, S) with
    average_attn_weights=False, or None without need_weights); the weights are those the values
    were averaged with, after dropout.
    """
    op = "multi_head_attention_forward"
    check_tensor(op, query)
    check_tensor(op, key, "key")
    check_tensor(op, value, "value")
    unbatched = query.ndim == 2
    if unbatched:
        if key.ndim != 2 or value.ndim != 2:
            raise RuntimeError(f"{op}: for unbatched (2-D) query, expected key and value to be "
                               f"2-D, got key {tuple(key.shape)} and value "
                               f"{tuple(value.shape)}")
        same = query is key and key is value
        query = query.unsqueeze(1)
        key = query if same else key.unsqueeze(1)
        value = query if same else value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    elif query.ndim != 3 or key.ndim != 3 or value.ndim != 3:
        raise RuntimeError(f"{op}: expected query, key and value to be 3-D (L, N, E) or 2-D, "
                           f"got {tuple(query.shape)}, {tuple(key.shape)} and "
                           f"{tuple(value.shape)}")
    tgt, n, e = query.shape
    if e != embed_dim_to_check:
        raise RuntimeError(f"{op}: was expecting embedding dimension of {embed_dim_to_check}, "
                           f"but got query of shape {tuple(query.shape)}")
    if e % num_heads:
        raise RuntimeError(f"{op}: embed_dim {e} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2] or key.shape[1] != n:
        raise RuntimeError(f"{op}: key {tuple(key.shape)} and value {tuple(value.shape)} must "
                           f"share (S, N) with N = {n} of query {tuple(query.shape)}")
    h, hd = num_heads, e // num_heads

    # the input projections
    bq, bk, bv = _split(in_proj_bias, e)
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise RuntimeError(f"{op}: use_separate_proj_weight is False but in_proj_weight is "
                               "None")
        if query is key and key is value:
            q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
        else:
            wq, wk, wv = _split(in_proj_weight, e)
            q, k, v = linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    else:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise RuntimeError(f"{op}: use_separate_proj_weight is True but q_proj_weight, "
                               "k_proj_weight or v_proj_weight is None")
        q = linear(query, q_proj_weight, bq)
        k = linear(key, k_proj_weight, bk)
        v = linear(value, v_proj_weight, bv)

    # the masks, as additive float masks
    dtype = q.dtype
    attn_mask = _float_mask(attn_mask, dtype, "attn_mask")
    if attn_mask is not None:
        s_now = key.shape[0]
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt, s_now):
                raise RuntimeError(f"{op}: the shape of the 2-D attn_mask is "
                                   f"{tuple(attn_mask.shape)}, but should be {(tgt, s_now)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (n * h, tgt, s_now):
                raise RuntimeError(f"{op}: the shape of the 3-D attn_mask is "
                                   f"{tuple(attn_mask.shape)}, but should be "
                                   f"{(n * h, tgt, s_now)}.")
        else:
            raise RuntimeError(f"{op}: attn_mask's dimension {attn_mask.ndim} is not supported")
    elif is_causal:
        xp = q._device.xp
        causal = xp.triu(xp.full((tgt, key.shape[0]), -xp.inf, dtype=dtype.np), 1)
        attn_mask = _make(causal, q._device)[None]
    key_padding_mask = _float_mask(key_padding_mask, dtype, "key_padding_mask")

    # bias_k / bias_v: one more key and value, attended by every query
    if bias_k is not None or bias_v is not None:
        if bias_k is None or bias_v is None:
            raise RuntimeError(f"{op}: bias_k and bias_v must both be given or both be None")
        if static_k is not None or static_v is not None:
            raise RuntimeError(f"{op}: bias cannot be added to static key or value")
        k = cat([k, bias_k.reshape(1, 1, e).expand(1, n, e)], 0)
        v = cat([v, bias_v.reshape(1, 1, e).expand(1, n, e)], 0)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))

    # (L, N, E) -> (N * H, L, hd) per head
    q = q.reshape(tgt, n * h, hd).transpose(0, 1)
    k = k.reshape(k.shape[0], n * h, hd).transpose(0, 1)
    v = v.reshape(v.shape[0], n * h, hd).transpose(0, 1)
    for name, static in (("static_k", static_k), ("static_v", static_v)):
        if static is not None and (static.ndim != 3 or static.shape[0] != n * h
                                   or static.shape[2] != hd):
            raise RuntimeError(f"{op}: expected {name} of shape ({n * h}, S, {hd}), got "
                               f"{tuple(static.shape)}")
    if static_k is not None:
        k = static_k
    if static_v is not None:
        v = static_v
    if add_zero_attn:
        z = zeros((n * h, 1, hd), dtype=dtype, device=q.device)
        k = cat([k, z], 1)
        v = cat([v, z], 1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    s = k.shape[1]
    if v.shape[1] != s:
        raise RuntimeError(f"{op}: {s} keys but {v.shape[1]} values")
    if attn_mask is not None and attn_mask.shape[-1] != s:
        raise RuntimeError(f"{op}: attn_mask covers {attn_mask.shape[-1]} keys, the attention "
                           f"has {s} (static_k with a mask of another length?)")
    if key_padding_mask is not None and tuple(key_padding_mask.shape) != (n, s):
        raise RuntimeError(f"{op}: expected key_padding_mask of shape {(n, s)} (with any "
                           f"bias_k / zero-attention column), got "
                           f"{tuple(key_padding_mask.shape)}")

    # the attention
    scores = (q * (1.0 / math.sqrt(hd))) @ k.transpose(1, 2)  # (N*H, L, S)
    if attn_mask is not None:
        scores = scores + attn_mask
    if key_padding_mask is not None:
        scores = (scores.reshape(n, h, tgt, s)
                  + key_padding_mask.reshape(n, 1, 1, s)).reshape(n * h, tgt, s)
    attn = softmax(scores, -1)
    if dropout_p > 0.0 and training:
        attn = dropout(attn, dropout_p, True)
    out = (attn @ v).transpose(0, 1).reshape(tgt, n, e)
    out = linear(out, out_proj_weight, out_proj_bias)
    weights = None
    if need_weights:
        weights = attn.reshape(n, h, tgt, s)
        if average_attn_weights:
            weights = weights.mean(1)
    if unbatched:
        out = out.squeeze(1)
        weights = weights.squeeze(0) if weights is not None else None
    return out, weights
