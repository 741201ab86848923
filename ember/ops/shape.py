"""Shape ops: views (reshape, permute, expand, diagonal, ...), joining and splitting, padding.

Views share memory and the version counter with their base, as PyTorch's do. Composite ops
(repeat, tile, narrow, pad, meshgrid, ...) are written with the primitives, so their gradients
come for free.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Op
from ..tensor import Size, Tensor, _make
from ._util import (
    broadcast_shapes_or_raise,
    check_tensor,
    parse_shape,
    result_dtype,
    unbroadcast,
    unbroadcast_array,
    wrap_dim,
)
from .index import getitem
from .registry import register

# ------------------------------------------------------------------------------------ reshape


def _infer_shape(op: str, shape: tuple, numel: int) -> tuple:
    """Resolve one -1; RuntimeError naming both sizes when they cannot match."""
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {list(shape)}")
    if any(n < -1 for n in shape):
        raise RuntimeError(f"{op}: invalid shape dimension in {list(shape)}")
    known = math.prod(n for n in shape if n != -1)
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of size {numel}")
        shape = tuple(numel // known if n == -1 else n for n in shape)
    elif known != numel:
        raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of size {numel} "
                           f"(the new shape has {known} elements)")
    return shape


class Reshape(Op):
    save_inputs = False
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None

    @staticmethod
    def vjp(ctx, g):
        return g.reshape(ctx.shape), None


class View(Reshape):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        out = x.view()
        try:
            out.shape = shape
        except AttributeError:
            raise RuntimeError(
                f"view: view size is not compatible with input tensor's size and stride (shape "
                f"{tuple(x.shape)} to {tuple(shape)}: at least one dimension spans across two "
                "contiguous subspaces). Use .reshape(...) instead.") from None
        return out


@register()
def reshape(input, *sizes, shape=None) -> Tensor:
    """The same elements in a new shape (one dim may be -1); a view when the layout allows.
    `reshape(x, (2, 3))`, `x.reshape(2, 3)` and `reshape(x, shape=(2, 3))` are one call."""
    check_tensor("reshape", input)
    if shape is not None:
        sizes = (shape,)
    new = _infer_shape("reshape", parse_shape("reshape", sizes), input.numel())
    if new == input._data.shape:
        return _alias(input)
    return Reshape.apply(input, new)


def _alias(x: Tensor) -> Tensor:
    """A new tensor object viewing x's data (recorded as an identity view if x requires grad)."""
    if x._requires_grad:
        return Reshape.apply(x, x._data.shape)
    t = _make(x._data, x._device)
    t._vc = x._vc
    t._base = x._base if x._base is not None else x
    return t


@register(function=False)
def view(input, *shape, size=None) -> Tensor:
    """reshape that must be a view of the same memory (RuntimeError otherwise, as PyTorch)."""
    check_tensor("view", input)
    if size is not None:
        shape = (size,)
    if len(shape) == 1 and isinstance(shape[0], backend.DType):
        raise NotImplementedError("view(dtype) (reinterpreting the bits) is not supported")
    new = _infer_shape("view", parse_shape("view", shape), input.numel())
    return View.apply(input, new)


@register(function=False)
def view_as(input, other) -> Tensor:
    """view(other.shape)."""
    return view(input, tuple(other.shape))


@register(function=False)
def reshape_as(input, other) -> Tensor:
    """reshape(other.shape)."""
    return reshape(input, tuple(other.shape))


@register()
def flatten(input, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims start_dim..end_dim merged into one (a 0-d tensor becomes 1-d)."""
    check_tensor("flatten", input)
    if input.ndim == 0:
        return reshape(input, 1)
    s = wrap_dim(start_dim, input.ndim, "flatten")
    e = wrap_dim(end_dim, input.ndim, "flatten")
    if s > e:
        raise RuntimeError(f"flatten() has invalid args: start_dim {start_dim} cannot come after "
                           f"end_dim {end_dim}")
    shape = tuple(input.shape)
    return reshape(input, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


@register()
def ravel(input) -> Tensor:
    """flatten(input) into 1-D."""
    return reshape(input, -1)


@register()
def unflatten(input, dim: int, sizes) -> Tensor:
    """Dim `dim` split into `sizes` (one may be -1)."""
    check_tensor("unflatten", input)
    d = wrap_dim(dim, input.ndim, "unflatten")
    shape = tuple(input.shape)
    sizes = _infer_shape("unflatten", tuple(sizes), shape[d])
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


@register()
def squeeze(input, dim=None) -> Tensor:
    """Size-1 dims removed (all, or those in dim: an int or tuple; others are left alone)."""
    check_tensor("squeeze", input)
    shape = tuple(input.shape)
    if dim is None:
        dims = {i for i, n in enumerate(shape) if n == 1}
    else:
        ds = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {d for d in (wrap_dim(d, input.ndim, "squeeze") for d in ds) if shape and
                shape[d] == 1}
    return reshape(input, tuple(n for i, n in enumerate(shape) if i not in dims))


@register()
def unsqueeze(input, dim: int) -> Tensor:
    """A size-1 dim inserted at `dim` (in [-ndim - 1, ndim])."""
    check_tensor("unsqueeze", input)
    d = wrap_dim(dim, input.ndim + 1, "unsqueeze")
    shape = tuple(input.shape)
    return reshape(input, shape[:d] + (1,) + shape[d:])


# -------------------------------------------------------------------------------- permutations

class Permute(Op):
    save_inputs = False
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return g.permute(*inverse), None

    @staticmethod
    def vjp(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return g.transpose(inverse), None


@register()
def permute(input, *order, dims=None) -> Tensor:
    """The dims reordered: out.shape[i] = input.shape[dims[i]]; a view. `permute(x, (1, 0))`,
    `x.permute(1, 0)` and `permute(x, dims=(1, 0))` are one call."""
    check_tensor("permute", input)
    dims = order if dims is None else (dims,)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute: number of dims don't match in permute (tensor has "
                           f"{input.ndim} dims, got {len(dims)}: {list(dims)})")
    norm = tuple(wrap_dim(d, input.ndim, "permute") for d in dims)
    if len(set(norm)) != len(norm):
        raise RuntimeError(f"permute: repeated dim in {list(dims)}")
    if norm == tuple(range(input.ndim)):
        return _alias(input)
    return Permute.apply(input, norm)


@register()
def transpose(input, dim0: int, dim1: int) -> Tensor:
    """dim0 and dim1 swapped; a view."""
    check_tensor("transpose", input)
    if input.ndim == 0:
        return _alias(input)
    a = wrap_dim(dim0, input.ndim, "transpose")
    b = wrap_dim(dim1, input.ndim, "transpose")
    dims = list(range(input.ndim))
    dims[a], dims[b] = dims[b], dims[a]
    return permute(input, dims)


@register()
def swapaxes(input, axis0: int, axis1: int) -> Tensor:
    """transpose(input, axis0, axis1) (NumPy's name)."""
    return transpose(input, axis0, axis1)


@register()
def swapdims(input, dim0: int, dim1: int) -> Tensor:
    """transpose(input, dim0, dim1)."""
    return transpose(input, dim0, dim1)


@register()
def t(input) -> Tensor:
    """The transpose of a matrix (vectors and scalars unchanged)."""
    check_tensor("t", input)
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else _alias(input)


@register()
def movedim(input, source, destination) -> Tensor:
    """The dims in `source` moved to the positions `destination` (ints or sequences)."""
    check_tensor("movedim", input)
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    n = input.ndim
    src = [wrap_dim(d, n, "movedim") for d in src]
    dst = [wrap_dim(d, n, "movedim") for d in dst]
    if not n:
        return permute(input, ())
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


register("moveaxis")(movedim)


# ------------------------------------------------------------------------------- broadcasting

class Expand(Op):
    save_inputs = False
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, tuple(ctx.shape)), None

    @staticmethod
    def vjp(ctx, g):
        return unbroadcast_array(g, tuple(ctx.shape)), None


@register(function=False)
def expand(input, *sizes, size=None) -> Tensor:
    """A view with size-1 dims stretched (and new leading dims added) to `sizes`; -1 keeps a
    size. The memory is shared: write to a clone()."""
    check_tensor("expand", input)
    if size is not None:
        sizes = (size,)
    sizes = parse_shape("expand", sizes)
    shape = tuple(input.shape)
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, n in enumerate(sizes):
        if i < lead:
            if n < 0:
                raise RuntimeError(f"expand: the expanded size {n} is not allowed in a leading, "
                                   "non-existing dimension")
            target.append(n)
            continue
        have = shape[i - lead]
        if n == -1:
            n = have
        if have != 1 and have != n:
            raise RuntimeError(f"expand: the expanded size of the tensor ({n}) must match the "
                               f"existing size ({have}) at non-singleton dimension {i}. Target "
                               f"sizes: {list(sizes)}. Tensor sizes: {list(shape)}")
        target.append(n)
    target = tuple(target)
    if target == shape:
        return _alias(input)
    return Expand.apply(input, target)


@register(function=False)
def expand_as(input, other) -> Tensor:
    """expand(other.shape)."""
    return expand(input, tuple(other.shape))


@register()
def broadcast_to(input, size) -> Tensor:
    """expand to `size` (NumPy's broadcast_to)."""
    return expand(input, tuple(size))


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of these shapes broadcast to."""
    shapes = [tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in shapes]
    return Size(broadcast_shapes_or_raise("broadcast_shapes", *shapes))


@register(method=False)
def broadcast_tensors(*tensors) -> tuple:
    """The tensors expanded to their common broadcast shape."""
    for t in tensors:
        check_tensor("broadcast_tensors", t)
    shape = broadcast_shapes_or_raise("broadcast_tensors", *[tuple(t.shape) for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def _repeat_via_expand(input: Tensor, reps: tuple) -> Tensor:
    shape = (1,) * (len(reps) - input.ndim) + tuple(input.shape)
    inter, wide, final = [], [], []
    for r, n in zip(reps, shape):
        inter += [1, n]
        wide += [r, n]
        final.append(r * n)
    return reshape(expand(reshape(input, inter), wide), final)


@register(function=False)
def repeat(input, *sizes, repeats=None) -> Tensor:
    """The tensor tiled: sizes[i] copies along dim i (more sizes than dims add leading dims)."""
    check_tensor("repeat", input)
    if repeats is not None:
        sizes = (repeats,)
    sizes = parse_shape("repeat", sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat: number of repeat dims ({len(sizes)}) can not be smaller than "
                           f"number of dimensions of tensor ({input.ndim})")
    return _repeat_via_expand(input, sizes)


@register()
def tile(input, *reps, dims=None) -> Tensor:
    """repeat with NumPy's rule: fewer dims than the tensor's are padded with leading 1s.
    `tile(x, (2, 3))`, `x.tile(2, 3)` and `tile(x, dims=(2, 3))` are one call."""
    check_tensor("tile", input)
    dims = parse_shape("tile", reps if dims is None else (dims,))
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return _repeat_via_expand(input, dims)


@register()
def repeat_interleave(input, repeats=None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element (or slice along dim) repeated `repeats` times in place: [a, b] -> [a, a, b,
    b]. repeats is an int or a tensor of counts; dim=None flattens first."""
    if repeats is None:  # repeat_interleave(counts): arange repeated by counts
        counts = check_tensor("repeat_interleave", input)
        positions = _make(counts._device.xp.arange(counts.numel()), counts._device)
        return repeat_interleave(positions, counts.reshape(-1), 0)
    check_tensor("repeat_interleave", input)
    if dim is None:
        input = reshape(input, -1)
        dim = 0
    d = wrap_dim(dim, input.ndim, "repeat_interleave")
    if isinstance(repeats, Tensor) and repeats.numel() == 1 and repeats.ndim <= 1:
        repeats = int(repeats.item())
    if isinstance(repeats, int):
        if repeats < 0:
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        shape = tuple(input.shape)
        x = unsqueeze(input, d + 1)
        x = expand(x, shape[:d + 1] + (repeats,) + shape[d + 1:])
        return reshape(x, shape[:d] + (shape[d] * repeats,) + shape[d + 1:])
    counts = repeats._data
    if counts.ndim != 1 or counts.shape[0] != input.shape[d]:
        raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along "
                           f"dim {d} ({input.shape[d]}), got shape {tuple(repeats.shape)}")
    xp = input._device.xp
    index = xp.repeat(xp.arange(counts.shape[0]), counts)
    return input.index_select(d, _make(index, input._device))


# ---------------------------------------------------------------------------------- joining

class Cat(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, *args):
        *arrays, dim = args
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return ctx.xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads = []
        start = 0
        for n, e in zip(ctx.sizes, ctx.next):
            grads.append(narrow(g, ctx.dim, start, n) if e is not None else None)
            start += n
        return (*grads, None)


def _joinable(op: str, tensors) -> list:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}: expected a sequence of Tensors, got a single Tensor")
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{op}: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected Tensors, but element {i} is "
                            f"{type(t).__name__}")
    dev = tensors[0]._device
    for i, t in enumerate(tensors):
        if t._device is not dev:
            raise RuntimeError(f"{op}: expected all tensors to be on the same device, but found "
                               f"{dev} (tensor 0) and {t._device} (tensor {i})")
    dt = result_dtype(*tensors) if len({t._data.dtype for t in tensors}) > 1 else None
    if dt is not None:
        tensors = [t.to(dt) for t in tensors]
    return tensors


@register()
def cat(tensors, dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors joined along an existing dim; all other dims must match. (1-D empty tensors
    are skipped, as PyTorch.) `axis` is NumPy's name for dim."""
    if axis is not None:
        dim = axis
    tensors = _joinable("cat", tensors)
    kept = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    ref = kept[0]
    if ref.ndim == 0:
        raise RuntimeError("cat: zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(kept):
        if t.ndim != ref.ndim:
            raise RuntimeError(f"cat: tensors must have the same number of dimensions: got "
                               f"{ref.ndim} and {t.ndim} (shapes {tuple(ref.shape)} and "
                               f"{tuple(t.shape)})")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"cat: sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[k]} but got size {t.shape[k]} for "
                                   f"tensor number {i} in the list (shapes {tuple(ref.shape)} "
                                   f"and {tuple(t.shape)})")
    if len(kept) == 1:
        return kept[0] * 1 if kept[0]._requires_grad else kept[0].clone()
    return Cat.apply(*kept, d)


register("concat")(cat)
register("concatenate")(cat)


class Stack(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, *args):
        *arrays, dim = args
        ctx.dim = dim
        return ctx.xp.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        parts = unbind(g, ctx.dim)
        return (*(p if e is not None else None for p, e in zip(parts, ctx.next)), None)


@register()
def stack(tensors, dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors (all of one shape) joined along a new dim (`axis`: NumPy's name for dim)."""
    if axis is not None:
        dim = axis
    tensors = _joinable("stack", tensors)
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != ref.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(ref.shape)} at entry 0 and {list(t.shape)} at entry {i}")
    d = wrap_dim(dim, ref.ndim + 1, "stack")
    return Stack.apply(*tensors, d)


@register()
def hstack(tensors) -> Tensor:
    """Joined along dim 1 (dim 0 for 1-D tensors)."""
    tensors = [atleast_1d(t) for t in _joinable("hstack", tensors)]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


@register()
def vstack(tensors) -> Tensor:
    """Joined along dim 0, 1-D tensors becoming rows."""
    return cat([atleast_2d(t) for t in _joinable("vstack", tensors)], 0)


register("row_stack")(vstack)


@register()
def dstack(tensors) -> Tensor:
    """Joined along dim 2 (tensors made at least 3-D)."""
    return cat([atleast_3d(t) for t in _joinable("dstack", tensors)], 2)


@register()
def column_stack(tensors) -> Tensor:
    """1-D and 0-D tensors as columns, then joined along dim 1."""
    cols = []
    for t in _joinable("column_stack", tensors):
        cols.append(reshape(t, -1, 1) if t.ndim <= 1 else t)
    return cat(cols, 1)


@register()
def atleast_1d(input) -> Tensor:
    """A 0-d tensor as 1-D; others unchanged."""
    check_tensor("atleast_1d", input)
    return reshape(input, 1) if input.ndim == 0 else input


@register()
def atleast_2d(input) -> Tensor:
    """Tensors with fewer than 2 dims get leading size-1 dims."""
    check_tensor("atleast_2d", input)
    return reshape(input, (1,) * (2 - input.ndim) + tuple(input.shape)) if input.ndim < 2 \
        else input


@register()
def atleast_3d(input) -> Tensor:
    """(n,) -> (1, n, 1), (m, n) -> (m, n, 1), as NumPy."""
    check_tensor("atleast_3d", input)
    if input.ndim == 0:
        return reshape(input, 1, 1, 1)
    if input.ndim == 1:
        return reshape(input, 1, -1, 1)
    if input.ndim == 2:
        return unsqueeze(input, 2)
    return input


# -------------------------------------------------------------------------------- splitting

class Split(Op):
    save_inputs = False
    is_view = True

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        bounds = []
        total = 0
        for n in sizes[:-1]:
            total += n
            bounds.append(total)
        return tuple(ctx.xp.split(x, bounds, axis=dim))

    @staticmethod
    def backward(ctx, *grads):
        return cat(list(grads), ctx.dim), None, None


_SPLIT_CLASSES: dict = {}


def _SplitN(n: int):
    """The Split op for n outputs (the node's output count is a class attribute)."""
    cls = _SPLIT_CLASSES.get(n)
    if cls is None:
        cls = _SPLIT_CLASSES[n] = type("Split", (Split,), {"n_outputs": n})
    return cls


@register()
def split(tensor, split_size_or_sections=None, dim: int = 0, *, split_size=None) -> tuple:
    """Pieces along dim: of size `split_size_or_sections` (the last may be smaller), or of the
    listed sizes (which must add up to the dim's size). The pieces are views. (`split_size` is
    the Tensor method's name for the same argument.)"""
    check_tensor("split", tensor)
    if split_size is not None:
        split_size_or_sections = split_size
    if split_size_or_sections is None:
        raise TypeError("split: missing the argument split_size_or_sections")
    d = wrap_dim(dim, tensor.ndim, "split")
    size = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            if step == 0 and size == 0:
                return (tensor,)
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [step] * (size // step) + ([size % step] if size % step else [])
        sizes = sizes or [0]
    else:
        sizes = [int(n) for n in split_size_or_sections]
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    if len(sizes) == 1:
        return (_alias(tensor),)
    return _SplitN(len(sizes)).apply(tensor, tuple(sizes), d)


@register()
def chunk(input, chunks: int, dim: int = 0) -> tuple:
    """At most `chunks` pieces of equal size along dim (the last may be smaller)."""
    check_tensor("chunk", input)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input.ndim, "chunk")
    size = input.shape[d]
    step = max(1, -(-size // chunks))
    return split(input, step, d)


def _sections(op: str, indices_or_sections):
    """tensor_split's argument as an int (sections) or a list of indices."""
    v = indices_or_sections
    if isinstance(v, Tensor):
        if v.dtype.category != 1 or v.ndim > 1:
            raise RuntimeError(f"{op} expected tensor_indices_or_sections to be a zero-dimensional "
                               f"or one-dimensional tensor of integers, but got a tensor with "
                               f"{v.ndim} dims of dtype {v.dtype}")
        v = v.tolist()
    if isinstance(v, bool) or not isinstance(v, (int, list, tuple)) and not hasattr(v,
                                                                                    "__index__"):
        raise TypeError(f"{op}: indices_or_sections must be an int or a sequence of ints, got "
                        f"{type(v).__name__}")
    return [int(i) for i in v] if isinstance(v, (list, tuple)) else int(v)


@register()
def tensor_split(input, indices_or_sections, dim: int = 0) -> tuple:
    """Views of input split along dim: into `n` pieces as equal as possible (the first
    size % n one longer), or at the listed indices (input[:i0], input[i0:i1], ..., input[ik:];
    indices past the end give empty pieces), as torch.tensor_split."""
    op = "tensor_split"
    check_tensor(op, input)
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = wrap_dim(dim, input.ndim, op)
    size = input.shape[d]
    v = _sections(op, indices_or_sections)
    if isinstance(v, int):
        if v <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be greater than 0, got {v}")
        q, r = divmod(size, v)
        bounds, total = [], 0
        for k in range(v - 1):
            total += q + (k < r)
            bounds.append(total)
    else:
        bounds = v
    # each piece is the slice input[prev:index] along dim (Python's slice rules)
    ends = [min(max(b + size if b < 0 else b, 0), size) for b in bounds] + [size]
    starts = [0] + ends[:-1]
    return tuple(narrow(input, d, a, max(b - a, 0)) for a, b in zip(starts, ends))


def _split_along(op: str, input, indices_or_sections, dim: int, min_ndim: int) -> tuple:
    check_tensor(op, input)
    if input.ndim < min_ndim:
        raise RuntimeError(f"{op} requires a tensor with at least {min_ndim} dimension"
                           f"{'s' if min_ndim > 1 else ''}, but got a tensor with {input.ndim} "
                           f"dimensions!")
    v = _sections(op, indices_or_sections)
    if isinstance(v, int) and v != 0 and input.shape[dim] % v:
        raise RuntimeError(f"{op} attempted to split along dimension {dim}, but the size "
                           f"of the dimension {input.shape[dim]} is not divisible by the "
                           f"split_size {v}!")
    return tensor_split(input, v, dim)


@register()
def hsplit(input, indices_or_sections) -> tuple:
    """tensor_split along dim 1 (dim 0 of a 1-D tensor); sections must divide the size."""
    dim = 1 if check_tensor("hsplit", input).ndim > 1 else 0
    return _split_along("hsplit", input, indices_or_sections, dim, 1)


@register()
def vsplit(input, indices_or_sections) -> tuple:
    """tensor_split along dim 0 of an at least 2-D tensor; sections must divide the size."""
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


@register()
def dsplit(input, indices_or_sections) -> tuple:
    """tensor_split along dim 2 of an at least 3-D tensor; sections must divide the size."""
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


@register()
def unbind(input, dim: int = 0) -> tuple:
    """The slices along dim, each without that dim."""
    check_tensor("unbind", input)
    d = wrap_dim(dim, input.ndim, "unbind")
    n = input.shape[d]
    if n == 0:
        return ()
    pieces = split(input, 1, d)
    return tuple(squeeze(p, d) for p in pieces)


@register()
def narrow(input, dim: int, start: int, length: int) -> Tensor:
    """input's elements start..start+length-1 along dim: a view."""
    check_tensor("narrow", input)
    d = wrap_dim(dim, input.ndim, "narrow")
    size = input.shape[d]
    start = int(start)
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension size "
                         f"({size}) of dim {d}")
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


@register()
def select(input, dim: int, index: int) -> Tensor:
    """The slice at `index` along dim (that dim removed): a view."""
    check_tensor("select", input)
    d = wrap_dim(dim, input.ndim, "select")
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select: index {index} out of range for tensor of size "
                         f"{tuple(input.shape)} at dimension {d}")
    return getitem(input, (slice(None),) * d + (int(index),))


# ----------------------------------------------------------------------------- flip and roll

class Flip(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.flip(x, axis=dims).copy()

    @staticmethod
    def backward(ctx, g):
        return flip(g, ctx.dims), None


@register()
def flip(input, *order, dims=None) -> Tensor:
    """The order of elements reversed along `dims` (an int or a sequence). `flip(x, (0, 1))`,
    `x.flip(0, 1)` and `flip(x, dims=(0, 1))` are one call."""
    check_tensor("flip", input)
    if dims is None:
        if not order:
            raise TypeError("flip: missing the argument dims")
        dims = order[0] if len(order) == 1 else order
    ds = dims if isinstance(dims, (tuple, list)) else (dims,)
    ds = tuple(wrap_dim(d, input.ndim, "flip") for d in ds)
    if not ds or not input.ndim:
        return input.clone()
    return Flip.apply(input, ds)


@register()
def fliplr(input) -> Tensor:
    """flip(input, 1) (at least 2-D)."""
    if check_tensor("fliplr", input).ndim < 2:
        raise RuntimeError("fliplr: input must be >= 2-d")
    return flip(input, 1)


@register()
def flipud(input) -> Tensor:
    """flip(input, 0) (at least 1-D)."""
    if check_tensor("flipud", input).ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d")
    return flip(input, 0)


class Roll(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts = shifts
        ctx.dims = dims
        return ctx.xp.roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        return Roll.apply(g, tuple(-s for s in ctx.shifts), ctx.dims), None, None


@register()
def roll(input, shifts, dims=None) -> Tensor:
    """Elements shifted cyclically along dims (the flattened tensor when dims is None)."""
    check_tensor("roll", input)
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError("roll: with dims=None give exactly one shift")
        return reshape(Roll.apply(reshape(input, -1), shifts, (0,)), tuple(input.shape))
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(dims) != len(shifts):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims: {len(dims)}")
    dims = tuple(wrap_dim(d, input.ndim, "roll") for d in dims)
    return Roll.apply(input, tuple(int(s) for s in shifts), dims)


@register()
def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    """input rotated by k * 90 degrees in the plane of `dims`, from the first dim's direction
    towards the second's (k < 0 the other way), as torch.rot90 and np.rot90."""
    op = "rot90"
    check_tensor(op, input)
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (wrap_dim(d, input.ndim, op) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = {d0} "
                           f"and dim1 = {d1}")
    k = int(k) % 4
    if k == 1:
        return transpose(flip(input, d1), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return transpose(flip(input, d0), d0, d1)
    return input.clone()


# ------------------------------------------------------------------------- triangles, diagonals

class _Tri(Op):
    save_inputs = False
    fn = ""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return getattr(ctx.xp, ctx.fn)(x, k)

    @staticmethod
    def backward(ctx, g):
        return type(ctx).apply(g, ctx.k), None


class Tril(_Tri):
    fn = "tril"


class Triu(_Tri):
    fn = "triu"


@register()
def tril(input, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below the given diagonal) of the last two dims; zeros above."""
    if check_tensor("tril", input).ndim < 2:
        raise RuntimeError(f"tril: input tensor must have at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    return Tril.apply(input, diagonal)


@register()
def triu(input, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above the given diagonal) of the last two dims; zeros below."""
    if check_tensor("triu", input).ndim < 2:
        raise RuntimeError(f"triu: input tensor must have at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    return Triu.apply(input, diagonal)


def _tri_indices(op: str, fn: str, row: int, col: int, offset: int, dtype, device) -> Tensor:
    for what, v in (("row", row), ("col", col)):
        if int(v) < 0:
            raise RuntimeError(f"{op}: {what} must be non-negative, got {v}")
    dtype = backend.int64 if dtype is None else backend.to_dtype(dtype)
    if dtype.category != 1:
        raise RuntimeError(f"{op}: dtype must be an integer dtype, got {dtype}")
    dev = backend.device(device)
    xp = dev.xp
    rows, cols = getattr(xp, fn)(int(row), int(offset), int(col))
    return _make(xp.stack([rows, cols]).astype(dtype.np), dev)


@register(method=False, differentiable=False)
def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle (on and below diagonal
    `offset`) of a row x col matrix, row by row, as torch.tril_indices."""
    return _tri_indices("tril_indices", "tril_indices", row, col, offset, dtype, device)


@register(method=False, differentiable=False)
def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) row and column indices of the upper triangle (on and above diagonal
    `offset`) of a row x col matrix, row by row, as torch.triu_indices."""
    return _tri_indices("triu_indices", "triu_indices", row, col, offset, dtype, device)


def _diag_positions(xp, rows: int, cols: int, offset: int):
    if offset >= 0:
        n = max(0, min(rows, cols - offset))
        i = xp.arange(n)
        return i, i + offset
    n = max(0, min(rows + offset, cols))
    i = xp.arange(n)
    return i - offset, i


class Diagonal(Op):
    save_inputs = False
    is_view = True

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.shape = x.shape
        ctx.args = (offset, d1, d2)
        return ctx.xp.diagonal(x, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return DiagonalScatter.apply(g, tuple(ctx.shape), *ctx.args), None, None, None


class DiagonalScatter(Op):
    """zeros(shape) with the diagonal (offset, d1, d2) set to g: diagonal's gradient."""

    save_inputs = False

    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        xp = ctx.xp
        ctx.args = (offset, d1, d2)
        out = xp.zeros(shape, dtype=g.dtype)
        moved = xp.moveaxis(out, (d1, d2), (-2, -1))
        rows, cols = _diag_positions(xp, shape[d1], shape[d2], offset)
        moved[..., rows, cols] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return Diagonal.apply(gg, *ctx.args), None, None, None, None


@register()
def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes (offset > 0 above the main one), as a new last
    dim: a view."""
    check_tensor("diagonal", input)
    a = wrap_dim(dim1, input.ndim, "diagonal")
    b = wrap_dim(dim2, input.ndim, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, int(offset), a, b)


@register()
def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in dims dim1, dim2 of the result) whose diagonal is input's last dim."""
    check_tensor("diag_embed", input)
    nd = input.ndim + 1
    a = wrap_dim(dim1, nd, "diag_embed")
    b = wrap_dim(dim2, nd, "diag_embed")
    if a == b:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + abs(offset)
    batch = list(input.shape[:-1])
    shape = []
    for d in range(nd):
        shape.append(n if d in (a, b) else batch.pop(0))
    return DiagonalScatter.apply(input, tuple(shape), int(offset), a, b)


@register()
def diag(input, diagonal: int = 0) -> Tensor:
    """A 1-D input becomes a square matrix with it on the given diagonal; a 2-D input gives its
    diagonal."""
    check_tensor("diag", input)
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return globals()["diagonal"](input, diagonal, 0, 1).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@register()
def trace(input) -> Tensor:
    """The sum of the main diagonal of a matrix."""
    check_tensor("trace", input)
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with size: "
                           f"{tuple(input.shape)}")
    return globals()["diagonal"](input).sum()


# ------------------------------------------------------------------------------------- pad

class ConstantPad(Op):
    save_inputs = False

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.key = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return ctx.xp.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return getitem(g, ctx.key), None, None


_PAD_INDEX_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@register(method=False)
def pad(input, pad, mode: str = "constant", value=None) -> Tensor:
    """Padding as nn.functional.pad: `pad` = (left, right) for the last dim, then (top, bottom)
    for the one before, ...; mode 'constant' (value, default 0; negative widths crop),
    'reflect', 'replicate' or 'circular'."""
    check_tensor("pad", input)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"pad: padding length {len(pad)} is too large for a tensor of "
                           f"{input.ndim} dims (at most {2 * input.ndim})")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        x = input
        for d, (lo, hi) in enumerate(widths):  # negative widths crop first
            if lo < 0 or hi < 0:
                start = -lo if lo < 0 else 0
                stop = x.shape[d] + (hi if hi < 0 else 0)
                if stop - start < 0:
                    raise RuntimeError(f"pad: the cropped size of dim {d} would be negative")
                x = narrow(x, d, start, stop - start)
        pos = tuple((max(lo, 0), max(hi, 0)) for lo, hi in widths)
        if all(p == (0, 0) for p in pos):
            return x.clone() if x is input else x
        return ConstantPad.apply(x, pos, 0 if value is None else value)
    if mode not in _PAD_INDEX_MODES:
        raise NotImplementedError(f"pad: mode {mode!r} is not supported; use 'constant', "
                                  "'reflect', 'replicate' or 'circular'")
    x = input
    for d, (lo, hi) in enumerate(widths):
        if lo == 0 and hi == 0:
            continue
        n = x.shape[d]
        if lo < 0 or hi < 0:
            raise RuntimeError(f"pad: negative padding is only supported in constant mode "
                               f"({mode!r} got {(lo, hi)} for dim {d})")
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"pad: padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of "
                               f"input {tuple(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError(f"pad: padding value causes wrapping around more than once "
                               f"(padding ({lo}, {hi}) for dim {d} of size {n})")
        if n == 0:
            raise RuntimeError(f"pad: cannot pad an empty dim {d} in {mode!r} mode")
        index = backend.cpu.xp.pad(backend.cpu.xp.arange(n), (lo, hi),
                                   mode=_PAD_INDEX_MODES[mode])
        x = x.index_select(d, _make(input._device.asarray(index), input._device))
    return x


@register(method=False)
def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors: with 'ij' out[i] varies along dim i; 'xy' swaps the
    first two dims (Cartesian, as NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if check_tensor("meshgrid", t).ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0D or 1D tensors, got shape {tuple(t.shape)}")
    flat = [reshape(t, -1) for t in tensors]
    if indexing == "xy" and len(flat) >= 2:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    n = len(flat)
    grids = []
    for i, t in enumerate(flat):
        view_shape = [1] * n
        view_shape[i] = -1
        grids.append(expand(reshape(t, view_shape), shape))
    if indexing == "xy" and n >= 2:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


@register(method=False)
def block_diag(*tensors) -> Tensor:
    """The tensors (each 0-, 1- or 2-D: a 1-D one is a row) as blocks on the diagonal of one
    matrix, zeros elsewhere, in their common dtype."""
    op = "block_diag"
    mats = []
    for i, t in enumerate(tensors):
        check_tensor(op, t, f"input {i}")
        if t.ndim > 2:
            raise RuntimeError(f"block_diag: Input tensors must have 2 or fewer dimensions. Input "
                               f"{i} has {t.ndim} dimensions")
        mats.append(reshape(t, 1, -1) if t.ndim < 2 else t)
    if not mats:
        return _make(backend.get_default_device().xp.zeros(
            (1, 0), backend.get_default_dtype().np), backend.get_default_device())
    dtype = result_dtype(*mats)
    width = int(math.fsum(m.shape[1] for m in mats))
    rows, left = [], 0
    for m in mats:
        w = m.shape[1]
        rows.append(pad(m.to(dtype), (left, width - left - w)))
        left += w
    return cat(rows, 0)


@register(method=False)
def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows of an (N, k) tensor in
    itertools.product order (one tensor: itself)."""
    for i, t in enumerate(tensors):
        if check_tensor("cartesian_prod", t, f"input {i}").ndim != 1:
            raise RuntimeError(f"cartesian_prod: Expect a 1D vector, but got shape "
                               f"{tuple(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if not tensors:
        raise RuntimeError("cartesian_prod: expects at least one tensor")
    dtype = result_dtype(*tensors)
    grids = meshgrid(*[t.to(dtype) for t in tensors], indexing="ij")
    return stack([reshape(g, -1) for g in grids], 1)
