"""Public convolution and pooling functions: argument checks, then the Ops of _conv.py.

1-D versions run the 2-D Ops on a height-1 image. Outputs of conv2d are transposed views of a
channel-major buffer (see _conv.py); `.reshape` / `flatten` work on them as usual, `.view` needs
`.contiguous()` first.
"""

from __future__ import annotations

from ...ops._util import check_tensor, to_float
from ...ops.shape import pad as _pad
from ...tensor import Tensor, _make
from ._conv import (
    AvgPool2dOp,
    Conv2dOp,
    ConvTranspose2dOp,
    FoldOp,
    MaxPool2dOp,
    UnfoldOp,
    out_size,
    pool_geometry,
    same_pads,
)

__all__ = [
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "unfold", "fold",
]


def _tuple(op: str, v, n: int, what: str) -> tuple:
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise ValueError(f"{op}: expected {what} to be an int or a tuple of {n} ints, got {v}")
    return v


def _positive(op: str, what: str, v: tuple) -> None:
    if any(a <= 0 for a in v):
        raise RuntimeError(f"{op}: {what} must be positive, got {v}")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation. input: (N, C, H, W) or (C, H, W); weight: (O, C / groups, kh, kw);
    bias: (O,) -> (N, O, Ho, Wo) with Ho = (H + 2 p - d (kh - 1) - 1) // s + 1.
    padding: int, pair, 'valid' (0) or 'same' (output size = input size, stride 1)."""
    check_tensor("conv2d", input)
    check_tensor("conv2d", weight, "weight")
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 4 or weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected 3-D or 4-D input and 4-D weight, got input of "
                           f"shape {tuple(input.shape)} and weight of shape "
                           f"{tuple(weight.shape)}")
    stride = _tuple("conv2d", stride, 2, "stride")
    dilation = _tuple("conv2d", dilation, 2, "dilation")
    _positive("conv2d", "stride", stride)
    _positive("conv2d", "dilation", dilation)
    kh, kw = weight.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError("conv2d: padding='same' is not supported for strided "
                                 "convolutions")
            pads = same_pads((kh, kw), dilation)
        else:
            raise ValueError(f"conv2d: invalid padding string {padding!r}; expected 'valid' or "
                             "'same'")
    else:
        ph, pw = _tuple("conv2d", padding, 2, "padding")
        if ph < 0 or pw < 0:
            raise RuntimeError("conv2d: negative padding is not supported")
        pads = (ph, ph, pw, pw)
    n, c, h, w = input.shape
    o = weight.shape[0]
    if groups <= 0 or c % groups or o % groups:
        raise RuntimeError(f"conv2d: groups={groups} must divide both the input channels {c} "
                           f"and the output channels {o}")
    if weight.shape[1] * groups != c:
        raise RuntimeError(f"conv2d: expected input {tuple(input.shape)} to have "
                           f"{weight.shape[1] * groups} channels (weight of shape "
                           f"{tuple(weight.shape)}, groups={groups}), but got {c} channels")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"conv2d: bias of shape {tuple(bias.shape)} does not match {o} "
                           "output channels")
    ho = out_size(h, kh, stride[0], pads[0], pads[1], dilation[0])
    wo = out_size(w, kw, stride[1], pads[2], pads[3], dilation[1])
    if ho <= 0 or wo <= 0:
        raise RuntimeError(f"conv2d: the kernel {(kh, kw)} (dilation {dilation}) is larger than "
                           f"the padded input {(h + pads[0] + pads[1], w + pads[2] + pads[3])}")
    x = to_float(input)
    if x._data.dtype != weight._data.dtype:
        raise RuntimeError(f"conv2d: input ({x.dtype}) and weight ({weight.dtype}) must have "
                           "the same dtype")
    out = Conv2dOp.apply(x, weight, bias, stride, pads, dilation, groups)
    return out.squeeze(0) if unbatched else out


def _conv_padded(op: str, input: Tensor, padding, padding_mode: str, kernel, dilation,
                 spatial: int):
    """Explicit padding for padding_mode 'reflect' / 'replicate' / 'circular'; returns the
    padded input and the padding left for the convolution (0)."""
    if padding_mode == "zeros":
        return input, padding
    if isinstance(padding, str):
        if padding == "valid":
            return input, 0
        pads = same_pads(kernel, dilation)
        widths = []
        for i in reversed(range(spatial)):
            widths += [pads[2 * i], pads[2 * i + 1]]
    else:
        p = _tuple(op, padding, spatial, "padding")
        widths = []
        for v in reversed(p):
            widths += [v, v]
    return _pad(input, tuple(widths), padding_mode), 0


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation. input: (N, C, L) or (C, L); weight: (O, C / groups, k)."""
    check_tensor("conv1d", input)
    check_tensor("conv1d", weight, "weight")
    if weight.ndim != 3 or input.ndim not in (2, 3):
        raise RuntimeError(f"conv1d: expected 2-D or 3-D input and 3-D weight, got input of "
                           f"shape {tuple(input.shape)} and weight of shape "
                           f"{tuple(weight.shape)}")
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    s = _tuple("conv1d", stride, 1, "stride")[0]
    d = _tuple("conv1d", dilation, 1, "dilation")[0]
    if isinstance(padding, str):
        pad2 = padding
    else:
        pad2 = (0, _tuple("conv1d", padding, 1, "padding")[0])
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), pad2, (1, d), groups)
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input).
    input: (N, Cin, H, W); weight: (Cin, Cout / groups, kh, kw) ->
    (N, Cout, (H - 1) s - 2 p + d (kh - 1) + output_padding + 1, ...)."""
    check_tensor("conv_transpose2d", input)
    check_tensor("conv_transpose2d", weight, "weight")
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 4 or weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d: expected 3-D or 4-D input and 4-D weight, got "
                           f"{tuple(input.shape)} and {tuple(weight.shape)}")
    stride = _tuple("conv_transpose2d", stride, 2, "stride")
    padding = _tuple("conv_transpose2d", padding, 2, "padding")
    output_padding = _tuple("conv_transpose2d", output_padding, 2, "output_padding")
    dilation = _tuple("conv_transpose2d", dilation, 2, "dilation")
    _positive("conv_transpose2d", "stride", stride)
    _positive("conv_transpose2d", "dilation", dilation)
    if any(v < 0 for v in padding + output_padding):
        raise RuntimeError("conv_transpose2d: negative padding is not supported, got "
                           f"padding={padding}, output_padding={output_padding}")
    if groups <= 0:
        raise RuntimeError(f"conv_transpose2d: groups must be positive, got {groups}")
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= max(s, d):
            raise RuntimeError(f"conv_transpose2d: output padding must be smaller than either "
                               f"stride or dilation, got output_padding={output_padding}, "
                               f"stride={stride}, dilation={dilation}")
    c = input.shape[1]
    if weight.shape[0] != c or c % groups:
        raise RuntimeError(f"conv_transpose2d: weight of shape {tuple(weight.shape)} expects "
                           f"{weight.shape[0]} input channels, got input of shape "
                           f"{tuple(input.shape)} (groups={groups})")
    x = to_float(input)
    out = ConvTranspose2dOp.apply(x, weight, bias, stride, padding, output_padding, dilation,
                                  groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 1-D convolution. input: (N, Cin, L); weight: (Cin, Cout / groups, k)."""
    s = _tuple("conv_transpose1d", stride, 1, "stride")[0]
    p = _tuple("conv_transpose1d", padding, 1, "padding")[0]
    op_ = _tuple("conv_transpose1d", output_padding, 1, "output_padding")[0]
    d = _tuple("conv_transpose1d", dilation, 1, "dilation")[0]
    out = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, (1, s), (0, p),
                           (0, op_), groups, (1, d))
    return out.squeeze(-2)


# -------------------------------------------------------------------------------- pooling

def _pool_args(op: str, input: Tensor, kernel_size, stride, padding, dilation, n: int):
    check_tensor(op, input)
    k = _tuple(op, kernel_size, n, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _tuple(op, stride, n, "stride")
    p = _tuple(op, padding, n, "padding")
    d = _tuple(op, dilation, n, "dilation")
    _positive(op, "kernel_size", k)
    _positive(op, "stride", s)
    _positive(op, "dilation", d)
    if any(pi < 0 for pi in p):
        raise RuntimeError(f"{op}: pad must be non-negative, got {p}")
    for pi, ki in zip(p, k):
        if pi > ki // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but "
                               f"got pad={pi}, kernel_size={ki}")
    return k, s, p, d


def _check_pool_output(op: str, x: Tensor, k, s, p, d, ceil_mode) -> None:
    """PyTorch's 'Output size is too small' where a window does not fit the padded input.
    x: (N, C, H, W); k, s, p, d: 2-tuples."""
    sizes = tuple(x.shape[2:])
    out = tuple(pool_geometry(h, ki, si, pi, di, bool(ceil_mode))[0]
                for h, ki, si, pi, di in zip(sizes, k, s, p, d))
    if min(out) < 1:
        c = x.shape[1]
        raise RuntimeError(f"{op}: Given input size: ({c}x{sizes[0]}x{sizes[1]}). Calculated "
                           f"output size: ({c}x{out[0]}x{out[1]}). Output size is too small")


def _as_4d(op: str, input: Tensor, spatial: int):
    """(N, C, *) with 2 spatial dims (a 1-D pool gets a height of 1); and how to undo it."""
    if input.ndim == spatial + 1:
        x = input.unsqueeze(0)
        squeeze0 = True
    elif input.ndim == spatial + 2:
        x = input
        squeeze0 = False
    else:
        raise RuntimeError(f"{op}: expected a {spatial + 1}-D or {spatial + 2}-D input, got "
                           f"shape {tuple(input.shape)}")
    if spatial == 1:
        x = x.unsqueeze(2)
    return x, squeeze0


def _undo_4d(out: Tensor, squeeze0: bool, spatial: int) -> Tensor:
    if spatial == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if squeeze0 else out


def _max_pool(op, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
              spatial):
    k, s, p, d = _pool_args(op, input, kernel_size, stride, padding, dilation, spatial)
    x, squeeze0 = _as_4d(op, input, spatial)
    if spatial == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    _check_pool_output(op, x, k, s, p, d, ceil_mode)
    out = MaxPool2dOp.apply(x, k, s, p, d, bool(ceil_mode))
    if not return_indices:
        return _undo_4d(out, squeeze0, spatial)
    node = out.grad_fn
    if node is None:  # no graph recorded: recompute the winners through a throwaway Op ctx
        ctx = MaxPool2dOp()
        ctx.device = x._device
        MaxPool2dOp.forward(ctx, x._data, k, s, p, d, bool(ceil_mode))
        node = ctx
    idx = MaxPool2dOp.indices(node, x.shape[3])
    indices = _make(idx, x._device)
    return _undo_4d(out, squeeze0, spatial), _undo_4d(indices, squeeze0, spatial)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The maximum over each kh x kw window (padding counts as -inf). input: (N, C, H, W) or
    (C, H, W). With return_indices also the flat index (into H*W) of each maximum."""
    return _max_pool("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 2)


def _relu_max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                     ceil_mode: bool = False) -> Tensor:
    """max_pool2d(relu(input)) as one op that runs the ReLU on the pooled output (the same
    values and gradients; see MaxPool2dOp). nn.Sequential uses it for a ReLU followed by a
    MaxPool2d; not public API."""
    if not isinstance(input, Tensor) or input._data.dtype.kind != "f":
        return max_pool2d(input.relu(), kernel_size, stride, padding, dilation, ceil_mode)
    op = "max_pool2d"
    k, s, p, d = _pool_args(op, input, kernel_size, stride, padding, dilation, 2)
    x, squeeze0 = _as_4d(op, input, 2)
    _check_pool_output(op, x, k, s, p, d, ceil_mode)
    out = MaxPool2dOp.apply(x, k, s, p, d, bool(ceil_mode), True)
    return _undo_4d(out, squeeze0, 2)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The maximum over each window of k. input: (N, C, L) or (C, L)."""
    return _max_pool("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 1)


def _avg_pool(op, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, spatial):
    k, s, p, _ = _pool_args(op, input, kernel_size, stride, padding, 1, spatial)
    x, squeeze0 = _as_4d(op, input, spatial)
    x = to_float(x)
    if spatial == 1:
        k, s, p = (1,) + k, (1,) + s, (0,) + p
    _check_pool_output(op, x, k, s, p, (1, 1), ceil_mode)
    out = AvgPool2dOp.apply(x, k, s, p, bool(ceil_mode), bool(count_include_pad),
                            divisor_override)
    return _undo_4d(out, squeeze0, spatial)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean over each kh x kw window. input: (N, C, H, W) or (C, H, W)."""
    return _avg_pool("avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override, 2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """The mean over each window of k. input: (N, C, L) or (C, L)."""
    return _avg_pool("avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None, 1)


def _adaptive_bins(size: int, out: int):
    """PyTorch's adaptive windows: [floor(i size / out), ceil((i + 1) size / out))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _adaptive(op: str, input: Tensor, output_size, spatial: int, reduce_max: bool):
    check_tensor(op, input)
    x, squeeze0 = _as_4d(op, input, spatial)
    if spatial == 1:
        out_hw = (1, _tuple(op, output_size, 1, "output_size")[0])
    else:
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        out_hw = tuple(x.shape[2 + i] if o is None else int(o)
                       for i, o in enumerate(output_size))
    h, w = x.shape[2:]
    oh, ow = out_hw
    if h % oh == 0 and w % ow == 0:
        k = (h // oh, w // ow)
        if reduce_max:
            out = MaxPool2dOp.apply(x, k, k, (0, 0), (1, 1), False)
        else:
            out = AvgPool2dOp.apply(to_float(x), k, k, (0, 0), False, True, None)
        return _undo_4d(out, squeeze0, spatial)
    rows = []
    for r0, r1 in _adaptive_bins(h, oh):
        cols = []
        for c0, c1 in _adaptive_bins(w, ow):
            win = x[:, :, r0:r1, c0:c1]
            cols.append(win.amax((2, 3)) if reduce_max else win.mean((2, 3)))
        rows.append(_stack(cols, -1))
    out = _stack(rows, -2)
    return _undo_4d(out, squeeze0, spatial)


def _stack(tensors, dim):
    from ...ops.shape import stack
    return stack(tensors, dim)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over PyTorch's adaptive windows so the output is output_size (an int, a pair, or
    None to keep a dim)."""
    return _adaptive("adaptive_avg_pool2d", input, output_size, 2, False)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    return _adaptive("adaptive_avg_pool1d", input, output_size, 1, False)


def _adaptive_max_indices(input: Tensor, out: Tensor, spatial: int) -> Tensor:
    """The winners' flat positions in each input plane (H * W, or L in 1-D), PyTorch's
    convention; the first of equal maxima. Integer, no gradient."""
    x, squeeze0 = _as_4d("adaptive_max_pool", input, spatial)
    a = x._data
    n, c, h, w = a.shape
    oh, ow = (1, out.shape[-1]) if spatial == 1 else tuple(out.shape[-2:])
    xp = x._device.xp
    idx = xp.empty((n, c, oh, ow), dtype=xp.int64)
    for i, (r0, r1) in enumerate(_adaptive_bins(h, oh)):
        for j, (c0, c1) in enumerate(_adaptive_bins(w, ow)):
            loc = a[:, :, r0:r1, c0:c1].reshape(n, c, -1).argmax(-1)
            idx[:, :, i, j] = (r0 + loc // (c1 - c0)) * w + c0 + loc % (c1 - c0)
    return _undo_4d(_make(idx, x._device), squeeze0, spatial)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Maximum over PyTorch's adaptive windows; with return_indices, also each maximum's flat
    position in its (H * W) input plane."""
    out = _adaptive("adaptive_max_pool2d", input, output_size, 2, True)
    return (out, _adaptive_max_indices(input, out, 2)) if return_indices else out


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    out = _adaptive("adaptive_max_pool1d", input, output_size, 1, True)
    return (out, _adaptive_max_indices(input, out, 1)) if return_indices else out


# --------------------------------------------------------------------------- unfold, fold

def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C * kh * kw, L), one column per kernel window (L windows,
    row-major), or unbatched (C, H, W) -> (C * kh * kw, L); differentiable to any order (its
    gradient is fold)."""
    check_tensor("unfold", input)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"unfold: Expected 3D or 4D (batch mode) tensor for input, but got "
                           f"shape {tuple(input.shape)}")
    k = _tuple("unfold", kernel_size, 2, "kernel_size")
    d = _tuple("unfold", dilation, 2, "dilation")
    p = _tuple("unfold", padding, 2, "padding")
    s = _tuple("unfold", stride, 2, "stride")
    if input.ndim == 3:
        return UnfoldOp.apply(input.unsqueeze(0), k, d, p, s).squeeze(0)
    return UnfoldOp.apply(input, k, d, p, s)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im: (N, C * kh * kw, L) -> (N, C, H, W), overlapping values summed (the adjoint of
    unfold)."""
    check_tensor("fold", input)
    size = _tuple("fold", output_size, 2, "output_size")
    k = _tuple("fold", kernel_size, 2, "kernel_size")
    d = _tuple("fold", dilation, 2, "dilation")
    p = _tuple("fold", padding, 2, "padding")
    s = _tuple("fold", stride, 2, "stride")
    unbatched = input.ndim == 2
    if unbatched:
        input = input.unsqueeze(0)
    n, ckk, length = input.shape
    ho = out_size(size[0], k[0], s[0], p[0], p[0], d[0])
    wo = out_size(size[1], k[1], s[1], p[1], p[1], d[1])
    if ckk % (k[0] * k[1]) or length != ho * wo:
        raise RuntimeError(f"fold: input of shape {tuple(input.shape)} does not match "
                           f"output_size={size}, kernel_size={k} (expected {ho * wo} blocks and "
                           f"a multiple of {k[0] * k[1]} in dim 1)")
    out = FoldOp.apply(input, size, k, d, p, s)
    return out.squeeze(0) if unbatched else out
