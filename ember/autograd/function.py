"""The autograd graph's nodes: `Function` for users, and `Op`, the same mechanism for ember's ops.

A node is the `ctx` its forward saw and the `grad_fn` of its outputs: it keeps the edges to the
nodes (or leaves) that made its inputs, what backward needs (saved tensors, checked against their
version counters when read), and the hooks registered on its outputs.

- `Function`: subclass with static `forward(ctx, *args)` on Tensors and `backward(ctx, *grads)`,
  call `MyFn.apply(*args)` -- PyTorch's torch.autograd.Function.
- `Op(Function)`: ember's primitives. Forward runs on the raw arrays of the tensor arguments (one
  array namespace, `ctx.xp`, so NumPy and CuPy alike), saves its tensor arguments and/or its
  output by declaration, and backward is written with ember ops, so that with create_graph=True
  gradients of gradients come from the same rules.
"""

from __future__ import annotations

import itertools
import traceback
import weakref

from .. import backend
from ..tensor import Tensor, _HookHandle, _make
from . import grad_mode

_state = grad_mode.state
_disabled = grad_mode.disabled  # (see grad_mode: the fast test of the grad mode)
_ARRAY_TYPES = backend.ARRAY_TYPES
_FREED = ("freed",)
# a node's sequence number, in recording order: the engine runs nodes in decreasing order
_next_seq = itertools.count(1).__next__


class _Anomaly:
    enabled = False
    check_nan = True


anomaly = _Anomaly()


class _SavedOutput:
    """An output saved for backward without a reference cycle: data and version counter only."""

    __slots__ = ("data", "vc", "version", "nr")

    def __init__(self, data, vc, nr):
        self.data = data
        self.vc = vc
        self.version = vc[0]
        self.nr = nr


class Node:
    """One recorded op: the `ctx` of its forward and the `grad_fn` of its outputs.

    `next` has one edge per forward argument: (node, output_nr) for an input some op made,
    (leaf, -1) for a leaf that requires grad, None for anything else.
    """

    __slots__ = ("next", "device", "_saved", "_versions", "_seq", "_out", "_rule", "__dict__",
                 "__weakref__")

    _special = False          # True once the node has hooks, retained grads or >1 output
    _n_outputs = 1
    _out_meta = None          # [(shape, dtype)] per output, kept for multi-output nodes
    _hooks = None             # {output_nr: {id: hook}} from Tensor.register_hook
    _retained = None          # {output_nr: weakref to the tensor} from retain_grad()
    _node_hooks = None        # {id: hook} from Node.register_hook
    _node_prehooks = None     # {id: hook} from Node.register_prehook
    _trace = None             # the forward's stack, recorded in anomaly mode
    _nondiff = None
    _dirty = None             # ids of the inputs a user Function marked dirty (modified in place)
    _in_meta = None           # [(shape, dtype) or None] per argument of a user Function
    materialize_grads = True
    vjp = None                # optional array-level backward, see Op
    _arrays: tuple = ()       # names of attributes _release drops too (see nn/functional/_conv)

    def __init__(self):
        self.next = ()
        self.device = None
        self._saved = None     # tensors (and scalars) backward may read; _FREED once released
        self._versions = None  # their version counters' values when saved
        # an Op's saved output, (array, version counter, its value when saved): set wherever a
        # node is recorded (the engine reads it on every node)
        self._out = None
        # what the engine's inline path runs: the class's array-level rule (vjp), or None for a
        # node that goes through the general path (no such rule; hooks; several outputs)
        self._rule = None

    @classmethod
    def name(cls) -> str:
        return f"{cls.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        """((node, output_nr), ...) per forward argument, as PyTorch's grad_fn.next_functions
        (a leaf shows as an AccumulateGrad node holding it)."""
        return tuple((None, 0) if e is None else
                     (_AccumulateGrad(e[0]), 0) if e[1] < 0 else e for e in self.next)

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(e is not None for e in self.next)

    @property
    def xp(self):
        return self.device.xp

    # ----------------------------------------------------------------------------- saving
    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors
        self._versions = tuple(t._vc[0] if isinstance(t, Tensor) else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved, checked: a tensor modified in place since is replaced by a
        stand-in that raises, naming this op, as soon as backward uses its values."""
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or directly "
                "access saved tensors after they have already been freed). Saved intermediate "
                "values of the graph are freed when you call .backward() or autograd.grad(). "
                "Specify retain_graph=True if you need to backward through the graph a second "
                "time or if you need to access saved tensors after calling backward.")
        out = self._out
        if out is not None:
            out = self._unpack_output(*out, 0)
        if saved is None:
            return () if out is None else (out,)
        for t, v in zip(saved, self._versions):
            if v is not None and (type(t) is _SavedOutput or t._vc[0] != v):
                break
        else:  # nothing modified, no saved outputs among them: the common case
            return saved if out is None else (*saved, out)
        checked = []
        for t, v in zip(saved, self._versions):
            if v is not None:
                if type(t) is _SavedOutput:
                    t = self._unpack_saved(t)
                elif t._vc[0] != v:
                    t = _modified(self, t, v, t._vc[0])
            checked.append(t)
        if out is not None:
            checked.append(out)
        return tuple(checked)

    def saved_output_array(self):
        """The saved output's array (for array-level rules), checked like saved_tensors."""
        s = self._out
        if s is None or s[1][0] != s[2]:
            return self.saved_tensors[-1]._data  # raises the right error
        return s[0]

    def _unpack_saved(self, s: _SavedOutput) -> Tensor:
        return self._unpack_output(s.data, s.vc, s.version, s.nr)

    def _unpack_output(self, data, vc: list, version: int, nr: int) -> Tensor:
        """A saved output as a tensor of this node's again (a stand-in that raises if it was
        modified in place since)."""
        t = _make(data, self.device)
        if vc[0] != version:
            return _modified(self, t, version, vc[0])
        t._vc = vc
        t._requires_grad = True
        t.grad_fn = self
        t._nr = nr
        return t

    def _release(self) -> None:
        if self._out is not None:
            self._saved = _FREED
            self._out = None
        elif self._saved is not None:
            self._saved = _FREED

    # ------------------------------------------------------------------------------- hooks
    def _make_special(self) -> None:
        """The node has hooks, retained gradients or several outputs: the engine runs it through
        its general path."""
        self._special = True
        self._rule = None

    def _register_tensor_hook(self, nr: int, hook) -> _HookHandle:
        self._make_special()
        if self._hooks is None:
            self._hooks = {}
        return _HookHandle(self._hooks.setdefault(nr, {}), hook)

    def _retain(self, nr: int, tensor: Tensor) -> None:
        self._make_special()
        if self._retained is None:
            self._retained = {}
        self._retained[nr] = weakref.ref(tensor)

    def register_hook(self, hook) -> _HookHandle:
        """Node hook `hook(grad_inputs, grad_outputs)` run after this node's backward."""
        self._make_special()
        if self._node_hooks is None:
            self._node_hooks = {}
        return _HookHandle(self._node_hooks, hook)

    def register_prehook(self, hook) -> _HookHandle:
        """Node pre-hook `hook(grad_outputs)` run before this node's backward."""
        self._make_special()
        if self._node_prehooks is None:
            self._node_prehooks = {}
        return _HookHandle(self._node_prehooks, hook)

    # ------------------------------------------------------------------- Function context API
    def mark_non_differentiable(self, *tensors) -> None:
        self._nondiff = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        """Inputs that forward modified in place: returned, each stays the same Tensor object and
        its history is rewritten to go through this Function, as in PyTorch."""
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class _AccumulateGrad:
    """What next_functions shows for a leaf: PyTorch's AccumulateGrad, holding `variable`."""

    def __init__(self, variable: Tensor):
        self.variable = variable

    @staticmethod
    def name() -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


class _ModifiedTensor(Tensor):
    """Stands in for a saved tensor that was modified in place: any use of its values raises."""

    __slots__ = ("_message", "_meta")

    @property
    def _data(self):
        raise RuntimeError(self._message)

    @property
    def shape(self):
        return self._meta[0]

    @property
    def dtype(self):
        return self._meta[1]

    @property
    def ndim(self):
        return len(self._meta[0])


def _modified(node: Node, t: Tensor, expected: int, actual: int) -> Tensor:
    shape, dtype = tuple(t._data.shape), t.dtype
    s = _ModifiedTensor.__new__(_ModifiedTensor)
    s._meta = (shape, dtype)
    s._device = t._device
    s._requires_grad = False
    s.grad_fn = None
    s._nr = 0
    s._message = (
        f"{node.name()}: one of the variables needed for gradient computation has been modified "
        f"by an inplace operation: a {dtype.name} tensor of shape {shape} is at version {actual}; "
        f"expected version {expected} instead. Hint: the operation that failed to compute its "
        "gradient saved this tensor in the forward pass; do not modify it in place (use an "
        "out-of-place op, or clone() it before modifying).")
    return s


def _check_user_grads(node: Node, result: tuple) -> tuple:
    """The gradients a user Function's backward returned, checked against its arguments as
    PyTorch does: None, or a Tensor of the argument's shape (one the argument broadcasts to is
    summed back to it), cast to the argument's dtype; anything else is an error naming the
    Function and the position."""
    from ..ops._util import unbroadcast

    checked = []
    for i, (g, meta) in enumerate(zip(result, node._in_meta)):
        if g is None:
            checked.append(None)
            continue
        if meta is None:
            raise RuntimeError(f"function {node.name()} returned a gradient different than None "
                               f"at position {i}, but the corresponding forward input was not a "
                               "Tensor")
        if not isinstance(g, Tensor):
            raise TypeError(f"function {node.name()} returned a {type(g).__name__} as the "
                            f"gradient at position {i}; expected a Tensor or None")
        shape, dtype = meta
        if g._data.shape != shape:
            if not _expands_to(shape, g._data.shape):
                raise RuntimeError(f"function {node.name()} returned an invalid gradient at "
                                   f"index {i} - got {list(g._data.shape)} but expected shape "
                                   f"compatible with {list(shape)}")
            g = unbroadcast(g, shape)
        if g.dtype != dtype and dtype.category >= 2:
            g = g.to(dtype)
        checked.append(g)
    return tuple(checked)


def _expands_to(shape: tuple, target: tuple) -> bool:
    """Whether `shape` broadcasts to `target` (then a gradient of `target` sums back to it)."""
    if len(shape) > len(target):
        return False
    return all(n == 1 or n == m for n, m in zip(reversed(shape), reversed(target)))


def _edge(a: Tensor):
    fn = a.grad_fn
    if fn is not None:
        return (fn, a._nr)
    if a._requires_grad:
        return (a, -1)
    return None


def check_inplace(op: str, self: Tensor, recording: bool) -> None:
    """In-place ops (and inputs a Function marks dirty): not on leaves that require grad, not on
    views with autograd."""
    if not recording:
        return
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    base = self._base
    if base is not None and (base._requires_grad or self._requires_grad):
        raise RuntimeError(f"{op}: in-place operations with autograd on a view of another tensor "
                           "are not supported by ember; clone() the view first, or write the "
                           "computation out of place")


def _anomaly_trace() -> list:
    """The forward's stack without this frame (the engine names its innermost frame outside
    ember: the user's line, also when that line calls a Function's apply directly)."""
    return traceback.format_stack()[:-1]


# ------------------------------------------------------------------------------------ Function

class Function(Node):
    """Base class for differentiable functions written by users, as torch.autograd.Function.

    ```
    class Exp(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):
            (y,) = ctx.saved_tensors
            return gy * y

    y = Exp.apply(x)
    ```
    forward runs with grad recording off and returns a Tensor or a tuple of Tensors; backward
    gets one gradient per output and returns one per forward argument (None where there is none;
    a gradient of another shape that the argument broadcasts to is summed back to it, anything
    else is an error). As in PyTorch, backward may be defined under the name `vjp` instead, and
    forward may leave out ctx when a static `setup_context(ctx, inputs, output)` saves what
    backward needs.
    """

    _array_vjp = False  # True for Op: there `vjp` is the array-level rule, not the user's

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls._array_vjp or "vjp" not in cls.__dict__:
            return
        if "backward" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: implementing both 'backward' and 'vjp' for a custom "
                            "Function is not allowed; define one of them")
        cls.backward = cls.__dict__["vjp"]
        cls.vjp = None

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("Function subclasses implement a static forward(ctx, ...)")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is optional: override it to use a forward "
                                  "without ctx")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("Function subclasses implement a static backward(ctx, ...)")

    @classmethod
    def name(cls) -> str:
        return f"{cls.__name__}Backward"

    @classmethod
    def apply(cls, *args):
        ctx = cls()
        device = None
        record = False
        for a in args:
            if isinstance(a, Tensor):
                if device is None:
                    device = a._device
                if a._requires_grad:
                    record = True
        ctx.device = device if device is not None else backend.cpu
        record = record and _state.enabled
        # the edges (and so ctx.needs_input_grad) are known before forward runs, as in PyTorch
        ctx.next = tuple(_edge(a) if isinstance(a, Tensor) else None for a in args)
        ctx._seq = _next_seq()
        prev = _state.enabled
        grad_mode.set_enabled(False)
        try:
            if cls.setup_context is Function.setup_context:
                result = cls.forward(ctx, *args)
            else:  # PyTorch 2's style: forward(*args), then setup_context(ctx, inputs, output)
                result = cls.forward(*args)
                cls.setup_context(ctx, args, result)
        finally:
            grad_mode.set_enabled(prev)
        if not record:
            return result
        single = isinstance(result, Tensor)
        outputs = (result,) if single else tuple(result)
        ctx._in_meta = tuple((a._data.shape, a.dtype) if isinstance(a, Tensor) else None
                             for a in args)
        if anomaly.enabled:
            ctx._trace = _anomaly_trace()
        input_ids = {id(a) for a in args if isinstance(a, Tensor)}
        wrapped = []
        meta = []
        nondiff = ctx._nondiff or ()
        for nr, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if ctx._dirty is not None and id(o) in ctx._dirty and id(o) in input_ids:
                # modified in place and marked dirty: the input itself becomes the output
                check_inplace(f"{cls.__name__} (an input marked dirty)", o, True)
            elif id(o) in input_ids or o.grad_fn is not None:
                # an input returned as is (or a view of one): the output is a new tensor object
                alias = _make(o._data, o._device)
                alias._vc = o._vc
                o = alias
            meta.append((o._data.shape, o.dtype))
            if id(outputs[nr]) not in nondiff and o.dtype.category >= 2:
                o._requires_grad = True
                o.grad_fn = ctx
                o._nr = nr
            wrapped.append(o)
        ctx._n_outputs = len(outputs)
        ctx._special = len(outputs) > 1
        ctx._out_meta = meta if len(meta) == len(outputs) else None
        if ctx._saved is not None:
            out_ids = {id(o): nr for nr, o in enumerate(outputs)}
            ctx._saved = tuple(
                _SavedOutput(t._data, wrapped[out_ids[id(t)]]._vc, out_ids[id(t)])
                if isinstance(t, Tensor) and id(t) in out_ids else t for t in ctx._saved)
        return wrapped[0] if single else tuple(wrapped)


# ------------------------------------------------------------------------------------------- Op

class Op(Function):
    """An ember primitive: forward on arrays, backward with ember ops.

    Class attributes declare what backward reads: `save_inputs` keeps the arguments (tensors and
    scalars, returned by ctx.saved_tensors in order), `save_output` appends the output. Forward
    may also stash small values on ctx (a dim, a shape). `n_outputs` > 1 means forward returns a
    tuple of arrays; `nondiff_outputs` lists those that get no gradient (indices, ...);
    `differentiable = False` records nothing at all (comparisons, argmax, ...).
    """

    _array_vjp = True
    save_inputs = True
    save_output = False
    differentiable = True
    n_outputs = 1
    nondiff_outputs: tuple = ()
    is_view = False  # outputs share memory with argument 0 (and its version counter)
    # only the first n arguments are graph inputs (the rest are options, such as add's alpha:
    # next_functions has an entry for each graph input, as PyTorch's); None: all of them
    graph_args: int | None = None
    # ctx.shapes: the shapes of arguments 0 and 1 (None for a number); binary_path, for a Tensor
    # and a number, sets ctx.shapes = None instead (nothing was broadcast)
    save_shapes = False
    # forward on NumPy arrays as one function of the arrays (np.tanh, operator.mul), for an op
    # whose forward stashes nothing on ctx: binary_path/unary_path call it without making a ctx
    np_forward = None
    # the Op binary_path records instead when the second operand is a number: it saves nothing
    # but the number, as ctx.other: the cached 0-d array the forward computed with (on NumPy),
    # or with number_array = False (on the number_op) the Python number itself
    number_op = None
    number_array = True

    @classmethod
    def name(cls) -> str:
        return f"{cls.__name__}Backward0"

    @classmethod
    def apply(cls, *args):
        device = None
        record = False
        arrays = []
        if (not _disabled[0] or _state.enabled) and cls.differentiable:
            # one pass collects the arrays and the graph edges (and saved versions)
            edges = []
            versions = []
            for a in args:
                if isinstance(a, Tensor):
                    if device is None:
                        device = a._device
                    elif a._device is not device:
                        return _apply_across_devices(cls, args)
                    arrays.append(a._data)
                    versions.append(a._vc[0])
                    fn = a.grad_fn
                    if fn is not None:
                        edges.append((fn, a._nr))
                        record = True
                    elif a._requires_grad:
                        edges.append((a, -1))
                        record = True
                    else:
                        edges.append(None)
                else:
                    arrays.append(a)
                    edges.append(None)
                    versions.append(None)
        else:
            for a in args:
                if isinstance(a, Tensor):
                    if device is None:
                        device = a._device
                    elif a._device is not device:
                        return _apply_across_devices(cls, args)
                    arrays.append(a._data)
                else:
                    arrays.append(a)
        ctx = _new(cls)
        ctx.device = device
        out = cls.forward(ctx, *arrays)
        if cls.n_outputs != 1:
            if record:
                _set_edges(cls, ctx, args, edges, versions)
            return _wrap_outputs(cls, ctx, args, out, device, record)
        if not isinstance(out, _ARRAY_TYPES):
            out = device.xp.asarray(out)
        t = _new(Tensor)
        t._data = out
        t._device = device
        t._vc = [0]
        t._nr = 0
        if cls.is_view:
            _share_version(t, args[0])
        if record:
            ctx.next = edges if cls.graph_args is None else edges[:cls.graph_args]
            ctx._seq = _next_seq()
            ctx._rule = cls.vjp
            if cls.save_inputs:
                ctx._saved = args
                ctx._versions = versions
            else:
                ctx._saved = None
            if cls.save_shapes:
                ctx.shapes = (_shape(arrays[0]), _shape(arrays[1]))
            ctx._out = (out, t._vc, t._vc[0]) if cls.save_output else None
            if anomaly.enabled:
                ctx._trace = _anomaly_trace()
            t._requires_grad = True
            t.grad_fn = ctx
        else:
            t._requires_grad = False
            t.grad_fn = None
            if _disabled[0] and _state.inference:  # (made under inference_mode)
                t._inference = True
        return t


    # The hot ops (add, sub, mul, div, the unary elementwise ops) do not go through `apply`: each
    # is one function made by `binary_path` / `unary_path`, which records the same node in fewer
    # steps for the common operands and hands anything else to the op's full path. The class's
    # declarations are read once, when the function is made.

    @classmethod
    def binary_path(cls, kinds: str, slow):
        """`cls` on (a, b) as one function (a public op's fast path, Tensor's operator method).

        `a` is a Tensor. With a dtype kind in `kinds` and `b` a Python float (when `a` is
        floating) or int, or a Tensor of `a`'s dtype on its device, nothing needs promoting and
        the node is recorded right here; anything else goes to `slow(a, b)`, the op's full path
        (so do operands that do not broadcast: it raises the clear error)."""
        assert cls.n_outputs == 1 and not cls.is_view
        forward, np_forward = cls.forward, cls.np_forward
        save_inputs, save_output, save_shapes = cls.save_inputs, cls.save_output, cls.save_shapes
        differentiable, vjp = cls.differentiable, cls.vjp
        number_op = cls.number_op
        if number_op is not None:
            assert number_op.save_output == save_output and not number_op.save_inputs
        number_vjp = number_op.vjp if number_op is not None else None
        number_array = number_op is not None and number_op.number_array

        def binary(a, b):
            x = a._data
            tb = type(b)
            if tb is float and type(x) is _NDARRAY:  # the most common case: a NumPy float one
                # the 0-d array NumPy computes fastest with, cached (only for floating dtypes)
                y = _SCALARS.get(x.dtype, _NO_SCALARS).get(b)
                if y is None:
                    k = x.dtype.kind
                    if k not in kinds or k not in "fc":
                        return slow(a, b)
                    y = numpy_scalar(b, x.dtype)
                eb = None
            else:
                k = x.dtype.kind
                if k not in kinds:
                    return slow(a, b)
                if tb is float:
                    if k not in "fc":
                        return slow(a, b)
                    y = b
                    eb = None
                elif tb is int:
                    y = b
                    eb = None
                elif (tb is Tensor or isinstance(b, Tensor)) and b._device is a._device:
                    y = b._data
                    if y.dtype != x.dtype:
                        return slow(a, b)
                    fb = b.grad_fn
                    eb = (fb, b._nr) if fb is not None else (b, -1) if b._requires_grad else None
                else:
                    return slow(a, b)
            try:
                if np_forward is not None and type(x) is _NDARRAY:
                    ctx = None
                    out = np_forward(x, y)
                else:
                    ctx = _new(cls)
                    ctx.device = a._device
                    out = forward(ctx, x, y)
            except (ValueError, OverflowError):  # (the full path raises the clear error)
                return slow(a, b)
            if type(out) is not _NDARRAY and not isinstance(out, _ARRAY_TYPES):
                out = a._device.xp.asarray(out)
            t = _new(Tensor)
            t._data = out
            t._device = a._device
            t._vc = vc = [0]
            t._nr = 0
            fa = a.grad_fn
            ea = (fa, a._nr) if fa is not None else (a, -1) if a._requires_grad else None
            if (ea is not None or eb is not None) and differentiable and (
                    not _disabled[0] or _state.enabled):
                if number_op is not None and (tb is float or tb is int):
                    ctx = _new(number_op)
                    ctx.device = a._device
                    ctx.other = y if number_array else b
                    ctx._rule = number_vjp
                    # () rather than None: backward without retain_graph frees the node, and a
                    # second backward raises (PyTorch saves the number and frees it likewise)
                    ctx._saved = ctx._versions = ()
                else:
                    if ctx is None:
                        ctx = _new(cls)
                        ctx.device = a._device
                    ctx._rule = vjp
                    if save_inputs:
                        ctx._saved = (a, b)
                        ctx._versions = (a._vc[0],
                                         None if tb is float or tb is int else b._vc[0])
                    else:
                        ctx._saved = None
                    if save_shapes:
                        ctx.shapes = None if tb is float or tb is int else (x.shape, y.shape)
                ctx.next = (ea, eb)
                ctx._seq = _next_seq()
                ctx._out = (out, vc, 0) if save_output else None
                if anomaly.enabled:
                    ctx._trace = _anomaly_trace()
                t._requires_grad = True
                t.grad_fn = ctx
            else:
                t._requires_grad = False
                t.grad_fn = None
                if _disabled[0] and _state.inference:  # (made under inference_mode)
                    t._inference = True
            return t

        return binary

    @classmethod
    def unary_path(cls, slow):
        """`cls` on one argument as one function (a public unary op): for a floating or complex
        Tensor the node is recorded right here; anything else goes to `slow(a)`, the op's full
        path."""
        assert cls.n_outputs == 1 and not cls.is_view
        forward, np_forward = cls.forward, cls.np_forward
        save_inputs, save_output = cls.save_inputs, cls.save_output
        differentiable, vjp = cls.differentiable, cls.vjp

        def unary(input):  # (the public op: PyTorch's argument name)
            if type(input) is not Tensor and not isinstance(input, Tensor):
                return slow(input)
            x = input._data
            if x.dtype not in _INEXACT:
                return slow(input)
            if np_forward is not None and type(x) is _NDARRAY:
                ctx = None
                out = np_forward(x)
            else:
                ctx = _new(cls)
                ctx.device = input._device
                out = forward(ctx, x)
            if type(out) is not _NDARRAY and not isinstance(out, _ARRAY_TYPES):
                out = input._device.xp.asarray(out)
            t = _new(Tensor)
            t._data = out
            t._device = input._device
            t._vc = vc = [0]
            t._nr = 0
            fa = input.grad_fn
            if (fa is not None or input._requires_grad) and differentiable and (
                    not _disabled[0] or _state.enabled):
                if ctx is None:
                    ctx = _new(cls)
                    ctx.device = input._device
                ctx.next = ((fa, input._nr) if fa is not None else (input, -1),)
                ctx._seq = _next_seq()
                ctx._rule = vjp
                if save_inputs:
                    ctx._saved = (input,)
                    ctx._versions = (input._vc[0],)
                else:
                    ctx._saved = None
                ctx._out = (out, vc, 0) if save_output else None
                if anomaly.enabled:
                    ctx._trace = _anomaly_trace()
                t._requires_grad = True
                t.grad_fn = ctx
            else:
                t._requires_grad = False
                t.grad_fn = None
                if _disabled[0] and _state.inference:  # (made under inference_mode)
                    t._inference = True
            return t

        return unary


_new = object.__new__
_NDARRAY = backend.NDARRAY
_INEXACT = backend.INEXACT_NP
_SCALARS = backend.SCALARS
_NO_SCALARS: dict = {}  # (never filled: the lookup's default)
numpy_scalar = backend.numpy_scalar


def _shape(x):
    """An argument's shape for ctx.shapes: None for a number."""
    return x.shape if type(x) is _NDARRAY or isinstance(x, _ARRAY_TYPES) else None


def _set_edges(cls, ctx: Node, args: tuple, edges: list, versions: list) -> None:
    ctx.next = edges
    ctx._seq = _next_seq()
    ctx._out = None
    ctx._rule = None  # (several outputs: the general path)
    if cls.save_inputs:
        ctx._saved = args
        ctx._versions = versions
    else:
        ctx._saved = None
    if anomaly.enabled:
        ctx._trace = _anomaly_trace()


def _wrap_outputs(cls, ctx: Node, args: tuple, outs, device, record: bool) -> tuple:
    """Tensors for the outputs of a multi-output Op."""
    xp = device.xp
    tensors = []
    for o in outs:
        if not isinstance(o, _ARRAY_TYPES):
            o = xp.asarray(o)
        t = _make(o, device)
        if cls.is_view:
            _share_version(t, args[0])
        tensors.append(t)
    if record:
        ctx._n_outputs = len(tensors)
        ctx._make_special()
        ctx._out_meta = [(t._data.shape, t.dtype) for t in tensors]
        for nr, t in enumerate(tensors):
            if nr not in cls.nondiff_outputs:
                t._requires_grad = True
                t.grad_fn = ctx
                t._nr = nr
    return tuple(tensors)


def _share_version(view: Tensor, base) -> None:
    """A view shares its base's version counter (when it really shares its memory)."""
    if isinstance(base, Tensor) and base._device.xp.may_share_memory(view._data, base._data):
        view._vc = base._vc
        view._base = base._base if base._base is not None else base


def _apply_across_devices(cls, args: tuple):
    """Tensors on two devices: as in PyTorch, a 0-d CPU tensor goes along with tensors on
    another device (it is a number, in effect); anything else is an error naming both."""
    from ..backend import cpu
    devices = []
    for a in args:
        if isinstance(a, Tensor) and a._device not in devices:
            devices.append(a._device)
    others = [d for d in devices if d is not cpu]
    if len(others) == 1 and all(a._device is others[0] or a._data.ndim == 0
                                for a in args if isinstance(a, Tensor)):
        moved = tuple(a.to(others[0]) if isinstance(a, Tensor) and a._device is cpu else a
                      for a in args)
        return cls.apply(*moved)
    _device_mismatch(cls, devices[0], devices[1])


def _device_mismatch(cls, a, b):
    raise RuntimeError(f"{cls.__name__.lower()}: expected all tensors to be on the same device, "
                       f"but found at least two devices, {a} and {b}")
