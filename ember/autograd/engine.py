"""The backward engine: an iterative walk of the recorded graph in reverse topological order.

Every node gets a sequence number when it is recorded, and its edges lead only to nodes recorded
before it (its inputs existed first), so running nodes in decreasing sequence number runs every
node after all its consumers: its gradients are complete by then, and no pass over the graph to
count dependencies is needed first (PyTorch orders its ready queue by the same numbers).
Gradients reaching a node are summed in a buffer per output. No recursion anywhere, so a chain
of 100,000 ops backpropagates. Leaves accumulate into `.grad`; `grad()` captures gradients
instead.
"""

from __future__ import annotations

import os
from heapq import heapify, heappop, heappush

from .. import backend
from ..tensor import Tensor, _make
from . import grad_mode
from .function import _FREED, Node, _check_user_grads, anomaly

_state = grad_mode.state
_ARRAY_TYPES = backend.ARRAY_TYPES


class _Options:
    # The array-level rules (Op.vjp) are a fast path; the tests turn it off to check that the
    # ember-op rules give the same gradients.
    use_vjp = True


options = _Options()


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs: tuple, grads, op: str) -> list:
    """The starting gradients: given ones checked against their outputs, else ones for scalars."""
    grads = _as_tuple(grads) if grads is not None else (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"{op}: got {len(grads)} gradients for {len(outputs)} outputs")
    result = []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected Tensors as outputs, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(f"{op}: element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(f"{op}: grad can be implicitly created only for scalar outputs "
                                   f"(output {i} has shape {tuple(t._data.shape)}); pass a "
                                   "gradient of that shape")
            xp = t._device.xp
            g = _make(xp.ones(t._data.shape, dtype=t._data.dtype), t._device)
        elif not isinstance(g, Tensor):
            g = _make(t._device.asarray(g, t.dtype), t._device)
            if g._data.shape != t._data.shape:
                raise RuntimeError(f"{op}: grad_output[{i}] has shape {tuple(g._data.shape)} but "
                                   f"output[{i}] has shape {tuple(t._data.shape)}")
        elif g._data.shape != t._data.shape:
            raise RuntimeError(f"{op}: mismatch in shape: grad_output[{i}] has a shape of "
                               f"{tuple(g._data.shape)} and output[{i}] has a shape of "
                               f"{tuple(t._data.shape)}")
        elif g._device is not t._device:
            raise RuntimeError(f"{op}: grad_output[{i}] is on {g._device} but output[{i}] is on "
                               f"{t._device}")
        result.append(g)
    return result


def _needed_nodes(roots: list, leaf_targets: dict, node_targets: dict) -> set:
    """Nodes from which a target (a leaf id, or a node owning a target output) is reachable:
    backward(inputs=...) and grad() run only these."""
    order = []
    seen = set(roots)
    stack = [(r, 0) for r in roots]
    while stack:  # iterative post-order: children before parents
        node, i = stack.pop()
        edges = node.next
        while i < len(edges):
            e = edges[i]
            i += 1
            if e is not None and e[1] >= 0 and e[0] not in seen:
                seen.add(e[0])
                stack.append((node, i))
                stack.append((e[0], 0))
                break
        else:
            order.append(node)
    needed = set()
    for node in order:
        if node in node_targets:
            needed.add(node)
            continue
        for e in node.next:
            if e is not None and (id(e[0]) in leaf_targets if e[1] < 0 else e[0] in needed):
                needed.add(node)
                break
    return needed


def _call_hooks(hooks: dict, grad):
    for hook in list(hooks.values()):
        result = hook(grad)
        if result is not None:
            if not isinstance(result, Tensor) or result._data.shape != grad._data.shape:
                got = (f"a tensor of shape {tuple(result._data.shape)}"
                       if isinstance(result, Tensor) else type(result).__name__)
                name = getattr(hook, "__qualname__", type(hook).__name__)
                raise RuntimeError(f"hook '{name}' has changed the size of value: it returned "
                                   f"{got} for a gradient of shape {tuple(grad._data.shape)} "
                                   "(a hook may return None or a Tensor of the same shape)")
            grad = result
    return grad


def run(outputs, grad_outputs, retain_graph, create_graph, inputs=None, accumulate=True,
        op="backward"):
    """The engine. With accumulate=True leaves (or `inputs`) accumulate into `.grad`; with
    accumulate=False the gradients of `inputs` are returned (None where unreachable).

    Without create_graph the gradients travel as raw arrays: an op with an array-level rule
    (`vjp`) runs it directly, any other op gets its gradients wrapped in tensors for its
    ember-op rule. With create_graph every rule runs on tensors, recording the graph of the
    gradients."""
    outputs = _as_tuple(outputs)
    grads = _root_grads(outputs, grad_outputs, op)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    arrays = not create_graph

    # Where gradients are wanted: leaves by id, non-leaf outputs by their (node, nr).
    leaf_targets = {}   # id(leaf) -> position in inputs
    node_targets = {}   # node -> {nr: position}
    for pos, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: inputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(f"{op}: input {pos} does not require grad")
        if t.grad_fn is None:
            leaf_targets[id(t)] = pos
        else:
            node_targets.setdefault(t.grad_fn, {})[t._nr] = pos

    buffers: dict = {}
    leaf_grads: dict = {}   # id(leaf) -> [leaf, grad]
    shared = {id(g._data) for g in grads}  # arrays that must be copied before kept as .grad
    heap = []               # (-sequence number, node): the nodes with gradients waiting
    for t, g in zip(outputs, grads):
        if arrays:
            g = g._data
        if t.grad_fn is None:
            _accumulate_leaf(leaf_grads, t, g)
        else:
            node = t.grad_fn
            buf = buffers.get(node)
            if buf is None:
                buf = buffers[node] = [None] * node._n_outputs
                heap.append((-node._seq, node))
            nr = t._nr
            buf[nr] = g if buf[nr] is None else buf[nr] + g
    heapify(heap)

    needed = _needed_nodes([n for _, n in heap], leaf_targets, node_targets) if inputs else None
    captured = [None] * len(inputs)

    prev_mode = _state.enabled
    grad_mode.set_enabled(create_graph)
    try:
        fast = not anomaly.enabled and arrays and options.use_vjp
        if fast and needed is None and not node_targets:
            _run_fast(heap, buffers, leaf_grads, retain_graph, shared)
            heap = ()
        while heap:
            node = heappop(heap)[1]
            buf = buffers.pop(node)
            grads_in = None
            if needed is None or node in needed:
                special = node._special
                if special and (node._hooks is not None or node._retained is not None):
                    _tensor_hooks(node, buf, create_graph, shared, arrays)
                if node_targets and node in node_targets:
                    for nr, pos in node_targets[node].items():
                        captured[pos] = buf[nr]
                vjp = type(node).vjp
                if fast and not special and vjp is not None and buf[0] is not None:
                    # the common case, inline: an array-level rule, one output, no hooks
                    grads_in = vjp(node, buf[0])
                    if len(grads_in) != len(node.next):
                        grads_in = _check_count(node, grads_in)
                    if not retain_graph:
                        node._release()  # (an Op may override it to drop arrays it keeps)
                else:
                    grads_in = _run_node(node, buf, retain_graph, arrays)
            if grads_in is None:
                continue
            for e, g in zip(node.next, grads_in):
                if e is None or g is None:
                    continue
                target, nr = e
                if nr < 0:
                    _accumulate_leaf(leaf_grads, target, g)
                    continue
                tb = buffers.get(target)
                if tb is None:
                    tb = buffers[target] = [None] * target._n_outputs
                    heappush(heap, (-target._seq, target))
                tb[nr] = g if tb[nr] is None else tb[nr] + g
    finally:
        grad_mode.set_enabled(prev_mode)

    if arrays:
        captured = [None if g is None else _wrap(g, t._device) for g, t in zip(captured, inputs)]
    return _finish_leaves(leaf_grads, leaf_targets, captured, inputs, accumulate, create_graph,
                          shared)


def _run_fast(heap: list, buffers: dict, leaf_grads: dict, retain_graph: bool,
              shared: set) -> None:
    """The main loop of `run` for the common case (array gradients, every node wanted, no
    anomaly mode): a node with one output, no hooks and an array-level rule runs inline; any
    other node goes through _run_node.

    Nodes run in decreasing sequence number (see the module's docstring). A node's gradient
    waits in `buffers` with the node on the heap, except that the first node with one output
    that a node's edges newly reach is `follow`: it runs next, its gradient carried along, as
    long as nothing on the heap has a greater number (else it joins the heap). Along a chain,
    the common case, the heap stays empty."""
    pop = buffers.pop
    get = buffers.get
    follow = follow_g = None
    while True:
        if follow is not None:
            if heap and -heap[0][0] > follow._seq:  # an op that consumed it has to run first
                buffers[follow] = [follow_g]
                heappush(heap, (-follow._seq, follow))
                follow = None
                continue
            node, g = follow, follow_g
            follow = None
            buf = None
        elif heap:
            node = heappop(heap)[1]
            buf = pop(node)
            g = buf[0]
        else:
            break
        vjp = node._rule  # (an Op's array-level rule; None: the general path, see Node)
        if vjp is not None and g is not None:
            grads_in = vjp(node, g)  # (ember's own rules: one gradient per argument)
            if not retain_graph:  # Node._release, inline
                if node._out is not None:
                    node._saved = _FREED
                    node._out = None
                elif node._saved is not None:
                    node._saved = _FREED
                elif node._arrays:  # (an ArrayOp: it saves neither, keeps arrays instead)
                    node._release()
        else:
            if buf is None:
                buf = [g]
            if node._special and (node._hooks is not None or node._retained is not None):
                _tensor_hooks(node, buf, False, shared, True)
            grads_in = _run_node(node, buf, retain_graph, True)
            if grads_in is None:
                continue
        edges = node.next
        for e, g in zip(edges, grads_in) if len(edges) != 1 else ((edges[0], grads_in[0]),):
            if e is None or g is None:
                continue
            target, nr = e
            if nr < 0:
                _accumulate_leaf(leaf_grads, target, g)
            elif target is follow:
                follow_g = follow_g + g
            else:
                tb = get(target)
                if tb is not None:
                    tb[nr] = g if tb[nr] is None else tb[nr] + g
                elif follow is None and target._rule is not None:  # (so one output)
                    follow, follow_g = target, g
                else:
                    tb = buffers[target] = [None] * target._n_outputs
                    tb[nr] = g
                    heappush(heap, (-target._seq, target))


def _tensor_hooks(node: Node, buf: list, create_graph: bool, shared: set, arrays: bool) -> None:
    if arrays:
        buf[:] = [None if g is None else _wrap(g, node.device) for g in buf]
    if node._hooks:
        for nr, hooks in node._hooks.items():
            if hooks and buf[nr] is not None:
                # a hook may keep the gradient it gets (or returns): should that array reach a
                # leaf unchanged, the leaf's .grad gets a copy (see _owned)
                shared.add(id(_unwrap(buf[nr])))
                buf[nr] = _call_hooks(hooks, buf[nr])
                shared.add(id(_unwrap(buf[nr])))
    if node._retained:
        for nr, ref in node._retained.items():
            t = ref()
            if t is not None and buf[nr] is not None:
                g = buf[nr] if create_graph else buf[nr].detach()
                shared.add(id(g._data))
                t._grad = g if t._grad is None else t._grad + g
    if arrays:
        buf[:] = [None if g is None else g._data for g in buf]


def _run_node(node: Node, buf: list, retain_graph: bool, arrays: bool):
    """Call one node's backward with its output gradients; returns one gradient per argument
    (or None when no gradient reached it). In array mode `buf` holds arrays and so does the
    result: the op's `vjp` runs on them, or its ember-op rule on tensors wrapping them."""
    if node._n_outputs == 1:
        if buf[0] is None:
            return None
        grads_out = list(buf)
    else:
        if all(g is None for g in buf):
            return None
        grads_out = list(buf)
        if node.materialize_grads and node._out_meta is not None:
            for i, g in enumerate(grads_out):
                if g is None:
                    shape, dtype = node._out_meta[i]
                    zeros = node.device.xp.zeros(shape, dtype=dtype.np)
                    grads_out[i] = zeros if arrays else _make(zeros, node.device)
    use_vjp = arrays and type(node).vjp is not None and options.use_vjp
    if arrays and not use_vjp:
        grads_out = [None if g is None else _wrap(g, node.device) for g in grads_out]
    if node._node_prehooks:
        wrapped = [_as_tensor(g, node) for g in grads_out]
        for hook in list(node._node_prehooks.values()):
            result = hook(tuple(wrapped))
            if result is not None:
                wrapped = list(result)
        grads_out = [_unwrap(g) for g in wrapped] if use_vjp else wrapped
    cls = type(node)
    try:
        result = cls.vjp(node, *grads_out) if use_vjp else cls.backward(node, *grads_out)
    except Exception as exc:
        if node._trace is not None:
            _raise_with_trace(node, exc)
        raise
    if type(result) is not tuple:
        result = (result,)
    if len(result) != len(node.next):
        result = _check_count(node, result)
    if node._in_meta is not None:  # a user Function: its gradients are checked
        result = _check_user_grads(node, result)
    if node._node_hooks:
        wrapped = tuple(_as_tensor(g, node) for g in result)
        for hook in list(node._node_hooks.values()):
            replaced = hook(wrapped, tuple(_as_tensor(g, node) for g in grads_out))
            if replaced is not None:
                wrapped = tuple(replaced)
        result = tuple(_unwrap(g) for g in wrapped) if arrays else wrapped
    elif arrays and not use_vjp:
        result = tuple(_unwrap(g) for g in result)
    if anomaly.enabled and anomaly.check_nan:
        _check_anomaly(node, result)
    if not retain_graph:
        node._release()
    return result


def _as_tensor(g, node: Node):
    return g if g is None or isinstance(g, Tensor) else _wrap(g, node.device)


def _wrap(g, device) -> Tensor:
    """An array-level gradient as a Tensor. NumPy's arithmetic on 0-d arrays gives NumPy scalars
    (np.float32), which a Tensor must not hold: its in-place methods (a .grad's zero_()) need an
    array."""
    if not isinstance(g, _ARRAY_TYPES):
        g = device.xp.asarray(g)
    return _make(g, device)


def _unwrap(g):
    return g._data if isinstance(g, Tensor) else g


def _check_count(node: Node, result: tuple) -> tuple:
    """A backward must return one gradient per forward argument (extra trailing Nones pass)."""
    n_args = len(node.next)
    if len(result) > n_args and all(g is None for g in result[n_args:]):
        return result[:n_args]
    raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                       f"(expected {n_args}, got {len(result)})")


def _accumulate_leaf(leaf_grads: dict, leaf: Tensor, g: Tensor) -> None:
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, g]
    else:
        entry[1] = entry[1] + g


def _finish_leaves(leaf_grads, leaf_targets, captured, inputs, accumulate, create_graph, shared):
    for key, (leaf, g) in leaf_grads.items():
        if not isinstance(g, Tensor):
            g = _wrap(g, leaf._device)
        if g._data.shape != leaf._data.shape:
            raise RuntimeError(f"backward: the gradient computed for a leaf of shape "
                               f"{tuple(leaf._data.shape)} has shape {tuple(g._data.shape)} "
                               "(an op's gradient rule is wrong; please report it)")
        if g._data.dtype != leaf._data.dtype:
            g = g.to(leaf.dtype)
        if leaf._hooks:  # (a hook may keep the gradient: .grad gets a copy, see _owned)
            shared.add(id(g._data))
            g = _call_hooks(leaf._hooks, g)
            shared.add(id(g._data))
        if key in leaf_targets:
            captured[leaf_targets[key]] = g
        if not accumulate or (inputs and key not in leaf_targets):
            continue
        if not create_graph:
            g = _owned(g, shared)
        elif id(g._data) in shared:  # the caller's own gradient, or one a hook kept: a copy (a
            g = g.clone()            # differentiable one), as PyTorch's AccumulateGrad
        leaf._grad = g if leaf._grad is None else leaf._grad + g
        if leaf._post_accumulate_grad_hooks:
            for hook in list(leaf._post_accumulate_grad_hooks.values()):
                if hook(leaf) is not None:
                    raise RuntimeError("Tensor post accumulate grad hooks should return None.")
    if accumulate and inputs:
        # non-leaf inputs of backward(inputs=...) accumulate into their .grad too
        for pos, t in enumerate(inputs):
            if t.grad_fn is not None and captured[pos] is not None:
                g = captured[pos]
                if not create_graph:
                    g = _owned(g, shared)
                elif id(g._data) in shared:
                    g = g.clone()
                t._grad = g if t._grad is None else t._grad + g
    return captured


def _owned(g: Tensor, shared: set) -> Tensor:
    """A gradient safe to keep as `.grad`: detached, and a copy when its array may be shared
    (a view such as a broadcast gradient, the caller's own gradient, or an array already stored
    for another tensor in this pass), so that in-place changes to one .grad never reach another."""
    data = g._data
    if data.base is not None or id(data) in shared or not backend.is_writeable(data):
        data = data.copy()
    shared.add(id(data))
    if g.grad_fn is None and data is g._data:
        return g
    return _make(data, g._device)


def _check_anomaly(node: Node, grads: tuple) -> None:
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = g._data if isinstance(g, Tensor) else g
        if data.dtype.kind not in "fc":
            continue
        xp = node.device.xp
        if not bool(xp.isfinite(data).all()):
            bad = "nan" if bool(xp.isnan(data).any()) else "inf"
            where = ""
            if node._trace is not None:
                frame = _user_frame(node._trace)
                where = f"\nThe forward op was created at:\n{frame}"
            raise RuntimeError(f"Function '{node.name()}' returned {bad} values in its {i}th "
                               f"output.{where}")


def _user_frame(trace: list) -> str:
    """The innermost stack frame of the forward that is not inside ember itself."""
    ember_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for frame in reversed(trace):
        line = frame.strip().splitlines()[0]
        if ember_dir + os.sep not in line:
            return frame.rstrip()
    return trace[-1].rstrip() if trace else ""


def _raise_with_trace(node: Node, exc: Exception):
    frame = _user_frame(node._trace)
    note = f"Error detected in {node.name()}. The forward op was created at:\n{frame}"
    try:
        rebuilt = type(exc)(f"{exc}\n{note}")
    except Exception:  # a constructor that takes something else than one message
        rebuilt = None
    if rebuilt is None:
        if hasattr(exc, "add_note"):  # Python 3.11+
            exc.add_note(note)
        raise exc
    raise rebuilt from exc


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the leaves' `.grad` (torch.autograd.backward)."""
    tensors = _as_tuple(tensors)
    if inputs is not None and len(_as_tuple(inputs)) == 0:
        raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty")
    run(tensors, grad_tensors, retain_graph, create_graph, inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned instead of accumulated.

    Returns a tuple with one tensor per input; an input that does not affect the outputs raises
    unless allow_unused=True (then None, or zeros with materialize_grads=True). With
    is_grads_batched=True the first dim of every grad_output is a batch: the result has that
    dim first too (one backward pass per batch element).
    """
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("grad requires at least one input")
    if allow_unused is None:
        allow_unused = materialize_grads
    result = run(outputs, grad_outputs, retain_graph, create_graph, inputs, accumulate=False,
                 op="grad")
    out = []
    for pos, (t, g) in enumerate(zip(inputs, result)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: input {pos} (shape {tuple(t.shape)}) appears to not "
                                   "have been used in the graph. Set allow_unused=True if this is "
                                   "the desired behavior.")
            if materialize_grads:
                g = _make(t._device.xp.zeros_like(t._data), t._device)
        elif not create_graph and g.grad_fn is not None:
            g = g.detach()
        out.append(g)
    return tuple(out)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads) -> tuple:
    """grad(..., is_grads_batched=True): one grad() per batch element of the grad_outputs,
    stacked along a new first dim."""
    from ..ops.shape import stack

    outputs = _as_tuple(outputs)
    grads = _as_tuple(grad_outputs)
    if len(grads) != len(outputs) or not all(isinstance(g, Tensor) for g in grads):
        raise RuntimeError("grad: is_grads_batched=True needs grad_outputs: one Tensor per "
                           "output, with the batch as its first dim")
    sizes = set()
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if g.ndim != o.ndim + 1 or tuple(g.shape[1:]) != tuple(o.shape):
            want = "(batch" + "".join(f", {n}" for n in o.shape) + ")"
            raise RuntimeError(f"grad: with is_grads_batched=True, grad_outputs[{i}] must have "
                               f"shape {want}, got {tuple(g.shape)}")
        sizes.add(g.shape[0])
    if len(sizes) != 1:
        raise RuntimeError(f"grad: with is_grads_batched=True, the grad_outputs have different "
                           f"batch sizes {sorted(sizes)}")
    n = sizes.pop()
    if n == 0:
        raise RuntimeError("grad: with is_grads_batched=True, the batch of grad_outputs is empty")
    if retain_graph is None:
        retain_graph = create_graph
    rows = [grad(outputs, inputs, [g[k] for g in grads],
                 retain_graph=True if k < n - 1 else retain_graph, create_graph=create_graph,
                 allow_unused=allow_unused, materialize_grads=materialize_grads)
            for k in range(n)]
    return tuple(None if col[0] is None else stack(list(col)) for col in zip(*rows))
