"""The backward engine and the autograd API: backward, grad, grad modes, Function, hooks,
in-place safety, anomaly detection, memory."""

import gc
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import ember
from ember.autograd import Function, GradcheckError, gradcheck
from ember.autograd.function import Node

from ..conftest import to_numpy

# ------------------------------------------------------------------------------------ backward


def test_backward_fills_leaf_grads():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    assert y.grad_fn is not None and not y.is_leaf and x.is_leaf


def test_gradients_accumulate_across_backward_calls():
    x = ember.ones(2, requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_non_scalar_backward_needs_a_gradient():
    x = ember.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        y.backward()
    y.backward(ember.full((2, 3), 0.5))
    assert x.grad.tolist() == [[1.0] * 3] * 2
    with pytest.raises(RuntimeError, match=r"mismatch in shape: grad_output\[0\] has a shape"):
        (x * 2).backward(ember.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        ember.ones(2).sum().backward()


def test_broadcasting_is_undone_to_the_leaf_shape_and_dtype():
    b = ember.zeros(1, 4, requires_grad=True)
    s = ember.tensor(2.0, requires_grad=True)
    h = ember.zeros(4, dtype=ember.float64, requires_grad=True)
    x = ember.ones(3, 4)
    ((x + b) * s + h.float()).sum().backward()
    assert b.grad.shape == (1, 4) and b.grad.tolist() == [[6.0] * 4]
    assert s.grad.shape == () and s.grad.item() == 12.0
    assert h.grad.dtype is ember.float64 and h.grad.tolist() == [3.0] * 4


def test_leaf_grads_never_share_memory():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    g = ember.ones(3)
    c = a + b.reshape(3)
    c.backward(g)
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0, 1.0] and g.tolist() == [1.0, 1.0, 1.0]
    x = ember.ones(3, requires_grad=True)
    x.backward(g)
    x.grad.mul_(5)
    assert g.tolist() == [1.0, 1.0, 1.0]


def test_a_gradient_a_hook_kept_does_not_share_memory_with_grad():
    # PyTorch's AccumulateGrad copies a gradient something else still holds: changing .grad in
    # place afterwards (zero_grad, clipping) leaves what a hook stored as it was
    x = ember.ones(3, requires_grad=True)
    kept = []
    x.register_hook(kept.append)
    x.sum().backward()  # (a small reduction's gradient is a new array)
    x.grad.zero_()
    y = ember.ones(3, requires_grad=True)
    h = y + 1.0  # (passes its gradient on as is)
    h.register_hook(kept.append)
    h.sum().backward()
    y.grad.zero_()
    z = ember.ones(3, requires_grad=True)
    z.register_hook(kept.append)
    (z * 2.0).sum().backward()
    z.grad.zero_()
    assert [k.tolist() for k in kept] == [[1.0] * 3, [1.0] * 3, [2.0] * 3]


def test_a_100000_op_chain_backpropagates_without_recursion():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    del y  # freeing a deep graph must not overflow the C stack either


class _NoGradient(Function):
    """The identity, whose backward sends no gradient (None) to its input."""

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return None


@pytest.mark.parametrize("order", ["none_first", "none_last", "none_only"])
def test_a_node_reached_by_several_edges_sums_them_and_ignores_none(order):
    # y's node is reached by three edges; one of them carries no gradient (None), arriving
    # first, last, or alone
    x = ember.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x * 2
    if order == "none_first":
        loss = (y * 3 + y * y + _NoGradient.apply(y)).sum()
        expected = 2 * (3 + 2 * to_numpy(y.detach()))
    elif order == "none_last":
        loss = (_NoGradient.apply(y) + y * 3 + y * y).sum()
        expected = 2 * (3 + 2 * to_numpy(y.detach()))
    else:
        loss = (_NoGradient.apply(y) * 3).sum() + (x * 0).sum()
        expected = np.zeros(3)
    loss.backward()
    np.testing.assert_allclose(to_numpy(x.grad), expected, rtol=1e-6)


def test_backward_of_several_outputs_where_one_depends_on_another():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    z = ember.tanh(y) * 2.5
    ember.autograd.backward([y.sum(), z.sum(), y], [None, None, ember.ones(2)])
    t = np.tanh(np.array([1.0, 4.0]))
    expected = 2 * np.array([1.0, 2.0]) * (2 + 2.5 * (1 - t * t))
    np.testing.assert_allclose(to_numpy(x.grad), expected, rtol=1e-6)


class _Order(Function):
    """Identity whose backward records when it ran, to check the engine's order."""

    @staticmethod
    def forward(ctx, x, log, name):
        ctx.log, ctx.name_ = log, name
        return x * 1

    @staticmethod
    def backward(ctx, g):
        ctx.log.append(ctx.name_)
        return g, None, None


@pytest.mark.parametrize("first", ["older", "newer"])
def test_a_node_runs_after_every_op_that_consumed_it(first):
    # f feeds t, and both feed m: whichever edge of m the engine meets first, f must wait for
    # t's gradient (f first is the case where f's gradient cannot simply be carried along)
    log = []
    x = ember.tensor([0.5, -1.0], requires_grad=True, dtype=ember.float64)
    f = _Order.apply(x * 3, log, "f")
    t = _Order.apply(ember.tanh(f), log, "t")
    m = f * t if first == "older" else t * f
    m.sum().backward()
    assert log == ["t", "f"]
    fx = 3 * np.array([0.5, -1.0])
    expected = 3 * (np.tanh(fx) + fx * (1 - np.tanh(fx) ** 2))
    np.testing.assert_allclose(to_numpy(x.grad), expected, rtol=1e-12)


def test_sequence_numbers_grow_in_recording_order():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    z = ember.tanh(y) + 1
    assert z.grad_fn._seq > z.grad_fn.next_functions[0][0]._seq > y.grad_fn._seq


def test_a_number_factor_saves_no_tensor_so_changing_the_input_later_is_fine():
    # as PyTorch's MulBackward0 for a number: only the number is kept
    x = ember.tensor([1.0, -2.0], requires_grad=True)
    h = x * 1.0
    y = h * 2.5
    assert y.grad_fn.name() == "MulBackward0" and y.grad_fn.saved_tensors == ()
    assert len(y.grad_fn.next_functions) == 2 and y.grad_fn.next_functions[1] == (None, 0)
    h.add_(1.0)  # (h is not saved: no version error)
    (2.0 * y).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [5.0, 5.0])
    g, = ember.autograd.grad((x * 3.0 * x).sum(), x, create_graph=True)
    g2, = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(to_numpy(g2), [6.0, 6.0])


def test_a_number_divisor_saves_no_tensor_and_keeps_zero_gradients_zero():
    x = ember.tensor([1.0, -2.0, 4.0], requires_grad=True, dtype=ember.float64)
    h = x * 1.0
    y = h / 4.0
    assert y.grad_fn.name() == "DivBackward0" and y.grad_fn.saved_tensors == ()
    h.add_(1.0)  # (h is not saved: no version error)
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [0.25, 0.25, 0.25])
    # a divisor whose reciprocal overflows: inf where the gradient is nonzero, 0 where it is 0
    # (never nan), by the array rule and by the ember-op rule (create_graph)
    for create_graph in (False, True):
        x.grad = None
        z = ember.where(ember.tensor([True, False, True]), x / 5e-324, ember.zeros(3))
        g, = ember.autograd.grad(z.sum(), x, create_graph=create_graph)
        assert to_numpy(g).tolist() == [np.inf, 0.0, np.inf]
    g, = ember.autograd.grad((x / 2 * x).sum(), x, create_graph=True)
    g2, = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(to_numpy(g2), [1.0, 1.0, 1.0])


def test_python_float_operands_give_numpys_values_in_every_float_dtype():
    # (the hot ops compute with a cached 0-d array of the tensor's dtype instead of the float)
    for dtype in (ember.float16, ember.float32, ember.float64):
        x = ember.tensor([0.3, -1.7, 2.5], dtype=dtype, requires_grad=True)
        a = to_numpy(x.detach())
        y = (x * 1.01 + 0.1 - 0.7) / 3.3
        np.testing.assert_array_equal(to_numpy(y.detach()), (a * 1.01 + 0.1 - 0.7) / 3.3)
        assert y.dtype == dtype
        y.sum().backward()
        np.testing.assert_allclose(to_numpy(x.grad), np.full(3, 1.01 / 3.3), rtol=1e-3)
    assert (ember.tensor([1.0], dtype=ember.float32) * 1e300).tolist() == [float("inf")]
    # 0.0 == -0.0, but they are different operands: -0.0 + -0.0 is -0.0, -0.0 + 0.0 is 0.0
    z = ember.tensor([-0.0])
    assert [str((z + b).tolist()) for b in (-0.0, 0.0, -0.0)] == ["[-0.0]", "[0.0]", "[-0.0]"]


def test_division_by_a_zero_number_has_the_ember_op_rules_gradient():
    # the array-level rule computed 1 / 0 in Python (ZeroDivisionError); the ember-op rule
    # gives +-inf where the gradient is nonzero and 0 where it is 0 (xmul, by design)
    from ember.autograd import engine

    for divisor, inf in ((0.0, np.inf), (-0.0, -np.inf), (0, np.inf)):
        grads = []
        for use_vjp in (True, False):
            engine.options.use_vjp = use_vjp
            try:
                x = ember.tensor([1.0, -2.0, 3.0], requires_grad=True)
                (x / divisor).backward(ember.tensor([1.0, 0.0, -2.0]))
            finally:
                engine.options.use_vjp = True
            grads.append(to_numpy(x.grad))
        np.testing.assert_array_equal(grads[0], [inf, 0.0, -inf])
        np.testing.assert_array_equal(grads[0], grads[1])


def test_gradients_of_0d_tensors_are_writable_arrays():
    # NumPy's arithmetic on 0-d arrays gives NumPy scalars: a 0-d .grad held one, and its
    # in-place methods (optimizer.zero_grad(set_to_none=False)) raised a broadcast-view error
    x = ember.nn.Parameter(ember.tensor(3.0))
    for f in (lambda x: x * 2.0, lambda x: x + x, lambda x: (x * x) * x):
        x.grad = None
        f(x).backward()
        expected = x.grad.item()
        x.grad.add_(1.0)
        assert x.grad.item() == expected + 1.0
    opt = ember.optim.SGD([x], lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert x.grad.item() == 0.0
    h = x * 2.0
    h.retain_grad()
    (h * h).backward()
    h.grad.zero_()
    g, = ember.autograd.grad(x * 5.0, x)
    g.mul_(2.0)
    assert (h.grad.item(), g.item()) == (0.0, 10.0)


def test_second_backward_through_freed_graph_names_retain_graph():
    x = ember.ones(2, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    z = (x.exp() * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(to_numpy(x.grad), 3 * 2 * np.e * np.ones(2), rtol=1e-6)


def test_a_number_factor_is_freed_by_backward_as_pytorchs():
    # PyTorch's MulBackward0 saves the number (as a tensor) and frees it with the graph
    x = ember.ones(2, requires_grad=True)
    for create_graph in (False, True):
        y = (x * 2.0).sum()
        y.backward(create_graph=create_graph, retain_graph=False)
        with pytest.raises(RuntimeError, match="MulBackward0: trying to backward through the "
                                               "graph a second time"):
            y.backward()
    y = (3 * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    x.grad = None
    (x * 2.0 * x).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]
    for create_graph in (False, True):  # a number divisor likewise (DivBackward0)
        y = (x / 2.0).sum()
        y.backward(create_graph=create_graph, retain_graph=False)
        with pytest.raises(RuntimeError, match="DivBackward0: trying to backward through the "
                                               "graph a second time"):
            y.backward()


def test_saved_arrays_are_released_after_backward():
    x = ember.ones(3, requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node._out is None and node._saved is not None  # _FREED marker
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        _ = node.saved_tensors


def test_create_graph_never_makes_the_callers_gradient_a_grad():
    # PyTorch's AccumulateGrad copies it: changing the caller's tensor leaves .grad alone
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    g = ember.tensor([3.0, 4.0])
    (x + 2.0).backward(g, create_graph=True)
    assert x.grad is not g and x.grad.tolist() == [3.0, 4.0]
    g.zero_()
    assert x.grad.tolist() == [3.0, 4.0]
    h = x * 1.0
    g = ember.tensor([5.0, 6.0])
    (h + 1.0).backward(g, create_graph=True, inputs=[h])
    g.zero_()
    assert h.grad.tolist() == [5.0, 6.0]


def test_backward_inputs_restricts_accumulation():
    a = ember.ones(2, requires_grad=True)
    b = ember.ones(2, requires_grad=True)
    h = a * b
    h.retain_grad()
    (h * 2).sum().backward(inputs=[a])
    assert a.grad.tolist() == [2.0, 2.0] and b.grad is None
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (a * 2).sum().backward(inputs=[])


def test_backward_inputs_accepts_non_leaves():
    a = ember.ones(2, requires_grad=True)
    h = a * 3
    (h * h).sum().backward(inputs=[h])
    assert h.grad.tolist() == [6.0, 6.0] and a.grad is None


# -------------------------------------------------------------------------------- autograd.grad


def test_grad_returns_and_does_not_accumulate():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    w = ember.tensor([3.0, 4.0], requires_grad=True)
    gx, gw = ember.autograd.grad((x * w).sum(), (x, w))
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None and not gx.requires_grad


def test_grad_of_gradients():
    x = ember.tensor(2.0, requires_grad=True)
    (dy,) = ember.autograd.grad(x ** 3, x, create_graph=True)
    assert dy.item() == 12.0 and dy.requires_grad
    (d2y,) = ember.autograd.grad(dy, x, create_graph=True)
    (d3y,) = ember.autograd.grad(d2y, x)
    assert d2y.item() == 12.0 and d3y.item() == 6.0


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(to_numpy(g.detach()), [3.0, 12.0])
    x.grad = None
    g.sum().backward()  # d/dx sum(3 x^2) = 6 x
    np.testing.assert_allclose(to_numpy(x.grad), [6.0, 12.0])
    # without create_graph the accumulated gradient records nothing
    x.grad = None
    (x ** 3).sum().backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None


def test_grad_with_batched_grad_outputs_gives_the_jacobian_rows():
    x = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64, requires_grad=True)
    z = ember.ones(2, dtype=ember.float64, requires_grad=True)
    eye = ember.eye(3, dtype=ember.float64)
    jx, jz = ember.autograd.grad(x ** 3, (x, z), eye, is_grads_batched=True, allow_unused=True)
    np.testing.assert_allclose(to_numpy(jx), np.diag([3.0, 12.0, 27.0]))
    assert jz is None and not jx.requires_grad
    (jx,) = ember.autograd.grad(x ** 3, x, eye[:2], is_grads_batched=True, create_graph=True)
    assert jx.shape == (2, 3) and jx.requires_grad
    (h,) = ember.autograd.grad(jx.sum(), x)  # d/dx (3 x0^2 + 3 x1^2) = [6 x0, 6 x1, 0]
    np.testing.assert_allclose(to_numpy(h), [6.0, 12.0, 0.0])
    with pytest.raises(RuntimeError, match=r"grad_outputs\[0\] must have shape \(batch, 3\), "
                                           r"got \(3,\)"):
        ember.autograd.grad(x * 2, x, ember.ones(3, dtype=ember.float64), is_grads_batched=True)
    with pytest.raises(RuntimeError, match="needs grad_outputs"):
        ember.autograd.grad((x * 2).sum(), x, is_grads_batched=True)


def test_grad_with_grad_outputs_and_non_leaf_inputs():
    x = ember.ones(3, requires_grad=True)
    h = x * 2
    y = h ** 2
    (gh,) = ember.autograd.grad(y, h, ember.tensor([1.0, 0.0, 2.0]))
    assert gh.tolist() == [4.0, 0.0, 8.0]


def test_grad_unused_inputs():
    x = ember.ones(2, requires_grad=True)
    z = ember.ones(2, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        ember.autograd.grad(y, (x, z), retain_graph=True)
    gx, gz = ember.autograd.grad(y, (x, z), allow_unused=True, retain_graph=True)
    assert gz is None
    gx, gz = ember.autograd.grad(y, (x, z), materialize_grads=True)
    assert gz.tolist() == [0.0, 0.0]


def test_grad_only_runs_the_needed_part_of_the_graph():
    calls = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g

    a = ember.ones(2, requires_grad=True)
    b = ember.ones(2, requires_grad=True)
    y = (a * 2 + Spy.apply(b)).sum()
    ember.autograd.grad(y, a)
    assert calls == []


# ----------------------------------------------------------------------------------- grad modes


def test_no_grad_enable_grad_set_grad_enabled():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2
        with ember.enable_grad():
            z = x * 2
    assert not y.requires_grad and z.requires_grad and ember.is_grad_enabled()
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad and ember.is_inference_mode_enabled()
    assert not ember.is_inference_mode_enabled()


def test_grad_modes_as_decorators():
    x = ember.ones(2, requires_grad=True)

    @ember.no_grad()
    def f(t):
        return t * 2

    @ember.enable_grad()
    def g(t):
        return t * 2

    @ember.inference_mode()
    def h(t):
        return t * 2

    @ember.no_grad()
    def gen(t):
        yield t * 2
        yield t * 3

    assert not f(x).requires_grad and not h(x).requires_grad
    with ember.no_grad():
        assert g(x).requires_grad
    assert [t.requires_grad for t in gen(x)] == [False, False]
    assert ember.is_grad_enabled()


def test_grad_modes_decorate_without_parentheses_as_pytorch():
    x = ember.ones(2, requires_grad=True)

    @ember.no_grad
    def f(t):
        return t * 2

    @ember.enable_grad
    def g(t):
        return t * 2

    @ember.inference_mode
    def h(t):
        return t * 2, ember.is_inference_mode_enabled()

    assert not f(x).requires_grad and f.__name__ == "f"
    with ember.no_grad():
        assert g(x).requires_grad
    out, inference = h(x)
    assert not out.requires_grad and inference
    assert ember.is_grad_enabled() and not ember.is_inference_mode_enabled()
    with pytest.raises(TypeError, match=r"no_grad\(\) takes no arguments"):
        ember.no_grad(3)


def test_tensors_made_under_inference_mode_are_inference_tensors():
    import copy

    normal = ember.randn(3, 3)
    with ember.inference_mode():
        made = [ember.ones(3), ember.tensor([1.0]), normal * 2, normal + normal, normal.exp(),
                normal.sum(), normal @ normal, *normal.max(0), ember.where(normal > 0, normal, 0.0),
                copy.deepcopy(normal)]
        inference = made[0]
        views = [normal[1:], normal.reshape(9), normal.t(), normal.detach(), *normal.split(2)]
        inference_views = [inference[1:], inference.detach()]
        normal.add_(1)  # in place: stays a normal tensor
        with ember.inference_mode(False):
            nested = normal * 2
        seen = []
        thread = threading.Thread(target=lambda: seen.append(ember.ones(1).is_inference()))
        thread.start()
        thread.join()
    assert all(t.is_inference() for t in made + inference_views)
    assert not any(t.is_inference() for t in views + [normal, nested])
    assert seen == [False]  # inference mode is the thread's own
    # outside inference mode, ops on inference tensors make normal tensors
    assert not (inference * 2).is_inference() and not copy.deepcopy(inference).is_inference()
    with ember.no_grad():
        assert not ember.ones(1).is_inference()


def test_grad_mode_is_thread_local():
    seen = []

    def worker():
        seen.append(ember.is_grad_enabled())

    with ember.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen == [True]


def test_ops_follow_each_threads_grad_mode_while_another_has_it_off():
    # the ops' fast test of the grad mode counts threads with it off (grad_mode.disabled)
    from ember.autograd import grad_mode
    x = ember.ones(2, requires_grad=True)
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with ember.no_grad():
            seen["worker"] = (x * 2.0).requires_grad, ember.tanh(x).requires_grad
            inside.set()
            release.wait(10)

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(10)
    assert grad_mode.disabled[0] == 1
    seen["main"] = (x * 2.0).requires_grad, ember.tanh(x).requires_grad, (x + x).requires_grad
    with ember.no_grad():
        seen["main no_grad"] = (x * 2.0).requires_grad, ember.exp(x).requires_grad
        assert grad_mode.disabled[0] == 2
    release.set()
    t.join()
    assert seen == {"worker": (False, False), "main": (True, True, True),
                    "main no_grad": (False, False)}
    assert grad_mode.disabled[0] == 0
    with ember.set_grad_enabled(False):
        with ember.inference_mode():
            assert grad_mode.disabled[0] == 1
        with ember.enable_grad():
            assert grad_mode.disabled[0] == 0 and (x * 2.0).requires_grad
    assert grad_mode.disabled[0] == 0
    # a thread that ends with grad mode off no longer counts once it is gone
    t = threading.Thread(target=ember.set_grad_enabled, args=(False,))
    t.start()
    t.join()
    del t
    gc.collect()
    assert grad_mode.disabled[0] == 0


def test_requires_grad_rules():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        ember.ones(2, dtype=ember.int64).requires_grad_()
    assert not (x > 0).requires_grad and not x.argmax().requires_grad
    assert not x.long().requires_grad
    assert not y.detach().requires_grad


# ------------------------------------------------------------------------------ autograd.Function


class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x ** 3 * scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.scale, None


def test_user_function_gradcheck_and_double_backward():
    x = ember.tensor([0.5, -1.5], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda t: Cube.apply(t, 2.0), (x,))
    y = Cube.apply(x, 1.0)
    assert y.grad_fn.name() == "CubeBackward" and isinstance(y.grad_fn, Node)
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    (g2,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(to_numpy(g2), 6 * to_numpy(x))


def test_function_ctx_features():
    record = {}

    class Split(Function):
        @staticmethod
        def forward(ctx, a, b):
            record["needs"] = ctx.needs_input_grad
            idx = ember.arange(2)
            ctx.mark_non_differentiable(idx)
            out = a + b
            ctx.save_for_backward(out)
            return out, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            (out,) = ctx.saved_tensors
            assert out.requires_grad
            return g, None

    a = ember.ones(2, requires_grad=True)
    out, idx = Split.apply(a, ember.ones(2))
    assert record["needs"] == (True, False)  # known inside forward already, as in PyTorch
    assert not idx.requires_grad and out.requires_grad
    out.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]
    assert out.grad_fn.needs_input_grad == (True, False)


def _returning(grad):
    class Returns(Function):
        @staticmethod
        def forward(ctx, x, scale):
            return x * scale

        @staticmethod
        def backward(ctx, g):
            return grad(g)

    return Returns


@pytest.mark.parametrize("through", ["leaf", "non-leaf"])
def test_function_gradients_are_checked_against_the_arguments(through):
    x = ember.ones(3, requires_grad=True)

    def run(fn):
        x.grad = None
        fn.apply(x if through == "leaf" else x * 1, 2.0).sum().backward()
        return x.grad

    with pytest.raises(RuntimeError, match=r"function ReturnsBackward returned an invalid "
                                           r"gradient at index 0 - got \[5\] but expected shape "
                                           r"compatible with \[3\]"):
        run(_returning(lambda g: (ember.ones(5), None)))
    with pytest.raises(RuntimeError, match="got \\[1\\] but expected shape compatible"):
        run(_returning(lambda g: (ember.ones(1), None)))
    with pytest.raises(RuntimeError, match="returned a gradient different than None at "
                                           "position 1, but the corresponding forward input "
                                           "was not a Tensor"):
        run(_returning(lambda g: (g, g)))
    with pytest.raises(TypeError, match="returned a float as the gradient at position 0"):
        run(_returning(lambda g: (1.0, None)))
    # a gradient of a shape the argument broadcasts to is summed back, and cast to its dtype
    g = run(_returning(lambda g: (ember.ones(2, 3, dtype=ember.float64), None)))
    assert g.tolist() == [2.0, 2.0, 2.0] and g.dtype == ember.float32


def test_function_backward_may_be_named_vjp_and_forward_may_use_setup_context():
    class Square(Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def vjp(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = ember.tensor([0.5, -2.0], dtype=ember.float64, requires_grad=True)
    y = Square.apply(x)
    np.testing.assert_allclose(to_numpy(y.detach()), [0.25, 4.0])
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [1.0, -4.0])
    assert gradcheck(Square.apply, (x,)) and ember.autograd.gradgradcheck(Square.apply, (x,))
    assert not Square.apply(ember.ones(2)).requires_grad
    with pytest.raises(TypeError, match="implementing both 'backward' and 'vjp'"):
        class Both(Function):
            @staticmethod
            def backward(ctx, g):
                return g

            @staticmethod
            def vjp(ctx, g):
                return g


def test_function_saved_tensors_are_version_checked():
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(x, y)  # an input and the output
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * (x.exp() if modify == "input" else y)  # reads the modified one

    for modify in ("input", "output"):
        a = ember.ones(2, requires_grad=True) * 1
        y = Exp.apply(a)
        (a if modify == "input" else y).mul_(2)
        with pytest.raises(RuntimeError, match=r"ExpBackward: one of the variables needed for "
                                               r"gradient computation has been modified by an "
                                               r"inplace operation: a float32 tensor of shape "
                                               r"\(2,\) is at version 1; expected version 0"):
            y.sum().backward()


def test_function_mark_dirty_makes_the_input_the_output():
    # PyTorch: an input modified in place and marked dirty is returned as the same object, and
    # its history is rewritten, so later uses of it go through the Function's backward
    class Double_(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    a = ember.tensor([1.0, 3.0], requires_grad=True)
    b = a.clone()
    c = Double_.apply(b)
    assert c is b
    assert b.grad_fn.name() == "Double_Backward"
    (b * b).sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), [8.0, 24.0])  # d/da (2a)^2
    leaf = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        Double_.apply(leaf)


def test_function_returning_wrong_number_of_gradients():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return (g,)

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


def test_next_functions_show_the_graph():
    w = ember.ones(2, requires_grad=True)
    y = (w * 2).sum()
    (mul, nr), *rest = y.grad_fn.next_functions  # one entry per forward argument
    assert mul.name() == "MulBackward0" and nr == 0 and all(f is None for f, _ in rest)
    (leaf, _), (none, _) = mul.next_functions
    assert leaf.name() == "AccumulateGrad" and leaf.variable is w and none is None


@pytest.mark.parametrize("op", [ember.add, ember.sub])
def test_add_and_sub_with_alpha_record_two_edges_as_pytorch(op):
    x = ember.tensor([1.0, 3.0], dtype=ember.float64, requires_grad=True)
    y = ember.tensor([0.5, -1.0], dtype=ember.float64, requires_grad=True)
    out = op(x, y, alpha=2)
    (fx, _), (fy, _) = out.grad_fn.next_functions  # input and other, no entry for alpha
    assert fx.variable is x and fy.variable is y
    assert len(op(x, 1.0, alpha=2).grad_fn.next_functions) == 2
    assert len(x.clone().add_(y, alpha=-2).grad_fn.next_functions) == 2
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and y.grad.tolist() == ([2.0] * 2 if op is ember.add
                                                                 else [-2.0] * 2)
    assert gradcheck(lambda a, b: op(a, b, alpha=-1.5), (x, y))
    assert ember.autograd.gradgradcheck(lambda a, b: op(a, b, alpha=2.5) ** 2, (x, y))


@pytest.mark.parametrize("make,name", [
    (lambda x: 1.0 - x, "RsubBackward1"),  # Tensor.__rsub__ is PyTorch's rsub.Scalar
    (lambda x: x - 1.0, "SubBackward0"),
    (lambda x: ember.sub(1.0, x), "SubBackward0"),
    (lambda x: x.max(), "MaxBackward1"),  # max() of every element, not amax
    (lambda x: x.min(), "MinBackward1"),
    (lambda x: x.max(0)[0], "MaxBackward0"),  # max.dim
    (lambda x: x.min(0)[0], "MinBackward0"),
    (lambda x: x.amax(), "AmaxBackward0"),
    (lambda x: x ** 2, "PowBackward0"),  # pow.Tensor_Scalar
    (lambda x: x ** x, "PowBackward1"),  # pow.Tensor_Tensor
    (lambda x: 2 ** x, "PowBackward2"),  # pow.Scalar
])
def test_grad_fn_names_follow_pytorchs_overloads(make, name):
    x = ember.tensor([0.5, 1.5, 1.0], dtype=ember.float64, requires_grad=True)
    assert make(x).grad_fn.name() == name
    assert gradcheck(lambda t: make(t).sum(), (x,))  # the renamed nodes keep their gradients


# ------------------------------------------------------------------------------------- hooks


def test_tensor_hooks_replace_gradients_and_remove():
    x = ember.ones(2, requires_grad=True)
    h = x * 2
    seen = []
    handle = h.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    h.sum().backward()
    assert seen == [[1.0, 1.0]] and x.grad.tolist() == [20.0, 20.0]
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    leaf_handle = x.register_hook(lambda g: g + 1)
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    leaf_handle.remove()


def test_retain_grad_and_non_leaf_grad_warning():
    x = ember.ones(2, requires_grad=True)
    h = x * 3
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert h.grad is None
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 6.0] and h.retains_grad


def test_post_accumulate_grad_hooks_see_the_accumulated_grad():
    w = ember.tensor([1.0, -2.0, 3.0], requires_grad=True)
    x = np.array([0.5, 1.5, -1.0])
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    w.register_hook(lambda g: g * 2)  # a gradient hook runs first: its result is accumulated
    (w * ember.tensor(x)).sum().backward()
    (w * ember.tensor(x)).sum().backward()
    np.testing.assert_allclose(seen, [2 * x, 4 * x])
    handle.remove()
    (w * ember.tensor(x)).sum().backward()
    assert len(seen) == 2
    # not for autograd.grad (it accumulates nothing), nor for leaves left out by inputs=
    other = ember.ones(3, requires_grad=True)
    calls = []
    for t in (w, other):
        t.register_post_accumulate_grad_hook(calls.append)
    ember.autograd.grad((w * other).sum(), [w, other])
    assert calls == []
    (w * other).sum().backward(inputs=[other])
    assert calls == [other]


def test_post_accumulate_grad_hook_steps_an_optimizer_inside_backward():
    w0, x = np.array([1.0, 2.0]), np.array([[1.0, -1.0], [2.0, 0.5]])
    w = ember.tensor(w0, requires_grad=True)

    def sgd_step(p):
        with ember.no_grad():
            p -= 0.1 * p.grad
        p.grad = None

    with w.register_post_accumulate_grad_hook(sgd_step):
        ((ember.tensor(x) @ w) ** 2).sum().backward()
    expected = w0 - 0.1 * 2 * x.T @ (x @ w0)  # d/dw |x w|^2 = 2 x^T x w
    np.testing.assert_allclose(to_numpy(w), expected, rtol=1e-12)
    assert w.grad is None and not w._post_accumulate_grad_hooks


def test_post_accumulate_grad_hook_errors():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.ones(2).register_post_accumulate_grad_hook(print)
    x.register_post_accumulate_grad_hook(lambda t: t.grad)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks should return None"):
        (x * 2).sum().backward()


# ----------------------------------------------------------------------------- in-place safety


def test_modifying_a_saved_tensor_makes_backward_raise():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    z = y.exp()  # saves its output
    z.mul_(2)  # ... which is now modified
    with pytest.raises(RuntimeError, match=r"ExpBackward0: one of the variables needed for "
                                           r"gradient computation has been modified by an "
                                           r"inplace operation: a float32 tensor of shape "
                                           r"\(3,\) is at version 1; expected version 0"):
        z.sum().backward()


def test_inplace_on_an_input_that_backward_does_not_read_is_fine():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    z = y * 3  # reads only 3 for y's gradient
    y.add_(1)
    z.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0, 6.0]


_IDX = ember.tensor([0, 2])
_MASK = ember.tensor([True, False, True])


def _ones(*shape):
    return ember.ones(*shape, dtype=ember.float64)


# every public in-place method of Tensor, with arguments (for a float64 tensor of shape (3,) or,
# for the matrix ones, (3, 3))
INPLACE = {
    "abs_": (), "add_": (1.0,), "addcdiv_": (_ones(3), _ones(3)),
    "addcmul_": (_ones(3), _ones(3)), "atan2_": (_ones(3),), "bernoulli_": (0.5,),
    "ceil_": (), "clamp_": (0.0, 0.5), "clamp_max_": (0.5,), "clamp_min_": (0.5,),
    "clip_": (0.0, 0.5), "copy_": (_ones(3),), "copysign_": (_ones(3),), "cos_": (),
    "div_": (2.0,), "exp_": (), "expm1_": (), "exponential_": (), "fill_": (2.0,),
    "fill_diagonal_": (1.0,), "floor_": (), "floor_divide_": (2.0,), "fmod_": (2.0,),
    "frac_": (), "hypot_": (_ones(3),), "index_add_": (0, _IDX, _ones(2)),
    "index_fill_": (0, _IDX, 2.0), "index_put_": ((_IDX,), _ones(2)), "lerp_": (_ones(3), 0.5),
    "log1p_": (), "log_": (), "logit_": (), "masked_fill_": (_MASK, 0.0),
    "masked_scatter_": (_MASK, _ones(3)), "mul_": (2.0,), "nan_to_num_": (), "neg_": (),
    "normal_": (), "pow_": (2.0,), "random_": (0, 5), "reciprocal_": (), "relu_": (),
    "remainder_": (2.0,), "round_": (), "rsqrt_": (), "scatter_": (0, _IDX, _ones(2)),
    "scatter_add_": (0, _IDX, _ones(2)), "sigmoid_": (), "sign_": (), "sin_": (), "sqrt_": (),
    "square_": (), "sub_": (1.0,), "tanh_": (), "tril_": (), "triu_": (), "trunc_": (),
    "uniform_": (), "zero_": (),
}
_MATRIX = {"fill_diagonal_", "tril_", "triu_"}


def test_the_inplace_table_lists_every_inplace_method():
    methods = {n for n in dir(ember.Tensor) if n.endswith("_") and not n.startswith("_")}
    assert methods - {"requires_grad_", "detach_"} == set(INPLACE)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_every_inplace_method_bumps_the_version_and_backward_notices(name):
    x = ember.full((3, 3) if name in _MATRIX else (3,), 0.3, dtype=ember.float64,
                   requires_grad=True)
    y = x * 1
    z = y * y  # saves y
    getattr(y, name)(*INPLACE[name])
    assert y._version == 1
    with pytest.raises(RuntimeError, match=r"MulBackward0: one of the variables needed for "
                                           r"gradient computation has been modified by an "
                                           r"inplace operation: a float64 tensor of shape "
                                           r"\(3(, 3)?,?\) is at version 1; expected version 0"):
        z.sum().backward()


def test_version_counter_is_shared_with_views():
    x = ember.zeros(4)
    v = x[1:3]
    v.add_(1)
    assert x._version == 1 and v._version == 1 and x.tolist() == [0, 1, 1, 0]


def test_inplace_autograd_on_a_view_is_refused_clearly():
    base = ember.ones(4, requires_grad=True) * 1
    view = base[:2]
    with pytest.raises(RuntimeError, match="on a view of another tensor"):
        view.mul_(2)


def test_setitem_gradient_reaches_target_and_value():
    a = ember.ones(4, requires_grad=True)
    v = ember.tensor([5.0, 6.0], requires_grad=True)
    t = a * 1
    t[1:3] = v * 2
    (t * ember.arange(4.0)).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0, 3.0] and v.grad.tolist() == [2.0, 4.0]


# ------------------------------------------------------------------------------------ anomaly


def test_anomaly_mode_names_the_op_and_the_line():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        anomaly = ember.autograd.detect_anomaly()
    with anomaly:
        y = ember.sqrt(x) * ember.tensor([1.0, 1.0])  # the line to be named
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "SqrtBackward0" in message and "returned inf values" in message
    assert "test_engine.py" in message and "the line to be named" in message


# ------------------------------------------------------------------------------------ gradcheck


def test_gradcheck_reports_the_worst_element():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g * 3.0  # wrong: should be 2x

    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"Jacobian mismatch for output 0 with respect to "
                                             r"input 0: at output element \(0,\) and input "
                                             r"element \(0,\), numerical 2.0*\d* vs "
                                             r"analytical 3.0"):
        gradcheck(Wrong.apply, (x,))
    assert gradcheck(Wrong.apply, (x,), raise_exception=False) is False


# ------------------------------------------------------------------------------------- memory


def _live_nodes() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Node))


def test_training_steps_do_not_grow_memory_or_graph_nodes():
    ember.manual_seed(0)
    w = ember.randn(32, 16, requires_grad=True)
    b = ember.zeros(16, requires_grad=True)
    x = ember.randn(64, 32)
    y = ember.randn(64, 16)

    def step():
        loss = ((ember.tanh(x @ w + b) - y) ** 2).mean()
        loss.backward()
        with ember.no_grad():
            w.sub_(w.grad, alpha=0.01)
            b.sub_(b.grad, alpha=0.01)
        w.grad = None
        b.grad = None

    for _ in range(20):
        step()
    nodes_before = _live_nodes()
    tracemalloc.start()
    for _ in range(100):
        step()
    gc.collect()  # (a full collection also empties CPython's free lists)
    base, _ = tracemalloc.get_traced_memory()
    for _ in range(1000):
        step()
    gc.collect()
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert _live_nodes() == nodes_before
    assert current - base < 16 * 1024, f"memory grew by {current - base} bytes"


def test_graph_is_freed_when_the_output_is_dropped():
    x = ember.ones(3, requires_grad=True)
    y = (x.exp() * 2).sum()
    ref = weakref.ref(y.grad_fn)
    del y
    assert ref() is None


def test_anomaly_mode_catches_nan_gradients():
    x = ember.tensor([-1.0, 4.0], requires_grad=True)
    anomaly = ember.autograd.set_detect_anomaly(True)
    try:
        y = ember.sqrt(x).sum()  # sqrt(-1) is nan, and so is its gradient there
        with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward0' returned nan values "
                                               r"in its 0th output.(.|\n)*test_engine.py"):
            y.backward()
    finally:
        anomaly.__exit__()
    assert not ember.autograd.is_anomaly_enabled()


def test_log_of_zero_times_zero_has_no_nan_gradient_by_design():
    # PyTorch's classic anomaly example: log(0) * 0 gives a nan gradient there; ember's
    # zero-safe rules keep it at 0, so anomaly mode has nothing to report.
    x = ember.tensor([0.0, 2.0], requires_grad=True)
    with ember.autograd.set_detect_anomaly(True):
        (ember.log(x) * 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_gradcheck_perturbs_inputs_of_any_memory_layout():
    data = np.moveaxis(np.arange(6.0).reshape(2, 3), 0, 1)  # not C-contiguous
    x = ember.tensor(data, dtype=ember.float64, requires_grad=True)
    x._data = data.copy(order="F")
    assert not x._data.flags.c_contiguous
    assert gradcheck(lambda t: (t * t).sum(), [x])


def test_anomaly_mode_catches_a_nan_from_p_log_p_and_names_the_line():
    # the entropy term p * log(p) at an invalid p < 0: log gives nan, and so does the gradient
    # that MulBackward0 sends back to p (g * log(p))
    p = ember.tensor([-0.5, 0.5], requires_grad=True)
    with ember.autograd.set_detect_anomaly(True):
        entropy = -(p * ember.log(p)).sum()  # the nan starts here
        with pytest.raises(RuntimeError) as info:
            entropy.backward()
    message = str(info.value)
    assert "Function 'MulBackward0' returned nan values in its 0th output" in message
    assert "test_engine.py" in message and "the nan starts here" in message
    assert p.grad is None


def test_anomaly_mode_names_the_line_that_applied_a_user_function():
    class Root(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sqrt()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g / (2 * x.sqrt())

    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("a bug in backward")

    x = ember.tensor([0.0, 4.0], requires_grad=True)
    with ember.autograd.set_detect_anomaly(True):
        y = Root.apply(x)  # the Function applied here
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        z = Broken.apply(x)  # and the broken one here
        with pytest.raises(ValueError) as broken:
            z.sum().backward()
    message = str(info.value)
    assert "Function 'RootBackward' returned inf values in its 0th output" in message
    assert "test_engine.py" in message and "the Function applied here" in message
    message = str(broken.value)
    assert message.startswith("a bug in backward\nError detected in BrokenBackward")
    assert "test_engine.py" in message and "the broken one here" in message


def test_anomaly_mode_keeps_an_exception_it_cannot_rebuild():
    # an error type whose constructor does not take one message: anomaly mode must still raise
    # it (PyTorch re-raises the original), not a TypeError from re-creating it
    class CodeError(Exception):
        def __init__(self, code, text):
            super().__init__(f"{code}: {text}")
            self.code = code

    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise CodeError(7, "a bug in backward")

    x = ember.tensor([1.0], requires_grad=True)
    with ember.autograd.set_detect_anomaly(True):
        z = Broken.apply(x)
        with pytest.raises(CodeError, match="7: a bug in backward") as info:
            z.sum().backward()
    assert info.value.code == 7


def test_a_hook_changing_the_gradient_shape_is_refused_clearly():
    x = ember.ones(2, requires_grad=True)
    h = x * 2

    def widen(g):
        return ember.ones(3)

    h.register_hook(widen)
    with pytest.raises(RuntimeError, match=r"hook '.*widen' has changed the size of value: it "
                                           r"returned a tensor of shape \(3,\) for a gradient "
                                           r"of shape \(2,\)"):
        h.sum().backward()
    leaf = ember.ones(2, requires_grad=True)
    leaf.register_hook(lambda g: 1.0)
    with pytest.raises(RuntimeError, match="returned float for a gradient of shape"):
        (leaf * 2).sum().backward()
    # a hook that returns a gradient of the right shape may also be seen by create_graph
    y = ember.tensor([2.0], requires_grad=True)
    cube = y ** 3
    cube.register_hook(lambda g: g * 2)
    (g,) = ember.autograd.grad(cube.sum(), y, create_graph=True)
    assert g.item() == 24.0  # 2 * 3 y^2
    (gg,) = ember.autograd.grad(g.sum(), y)
    assert gg.item() == 24.0  # 2 * 6 y


def test_gradcheck_takes_torchs_keywords_and_refuses_checks_it_cannot_make():
    x = ember.tensor(np.array([0.5, 1.5]), requires_grad=True)
    assert gradcheck(lambda t: t * t, [x], check_grad_dtypes=True, check_undefined_grad=True,
                     fast_mode=False, masked=None)
    assert ember.autograd.gradgradcheck(lambda t: t ** 3, [x], check_grad_dtypes=True,
                                        check_rev_over_rev=True)

    class WrongDtype(Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return (g * 2).float()

    # as in PyTorch, the engine casts a gradient to its input's dtype
    (g,) = ember.autograd.grad(WrongDtype.apply(x).sum(), x)
    assert g.dtype == ember.float64
    with pytest.raises(NotImplementedError, match="check_forward_ad=True is not supported"):
        gradcheck(lambda t: t, [x], check_forward_ad=True)
    with pytest.raises(NotImplementedError, match="check_batched_forward_grad=True"):
        gradcheck(lambda t: t, [x], check_batched_forward_grad=True)
    with pytest.raises(NotImplementedError, match="check_fwd_over_rev=True"):
        ember.autograd.gradgradcheck(lambda t: t, [x], check_fwd_over_rev=True)


def test_gradcheck_check_batched_grad_compares_is_grads_batched_with_one_by_one():
    x = ember.tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
    m = ember.tensor(np.array([[0.5, 1.5, -1.0], [1.0, 2.0, 0.3]]), requires_grad=True)
    # several outputs (one that needs no gradient), one input unused by an output
    const = ember.ones(2, dtype=ember.float64)
    assert gradcheck(lambda a, b: (b @ a, ember.tanh(a).sum(), const, a * 3), [x, m],
                     check_batched_grad=True)
    assert ember.autograd.gradgradcheck(lambda a, b: ember.sin(b @ a), [x, m],
                                        check_batched_grad=True)

    # ember's batched gradients run one backward per batch element (grad with
    # is_grads_batched=True), so no backward can be wrong only when batched; what the check
    # catches is a backward that does not give the same gradients when called again on the
    # same graph, as the batched call does after the one-by-one calls
    class Stale(Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            ctx.calls = 0
            return (t * t).sum()

        @staticmethod
        def backward(ctx, g):
            ctx.calls += 1
            (t,) = ctx.saved_tensors
            return g * 2 * t * ctx.calls  # right on the first call only

    # a one-element output: the Jacobian check makes one backward call, which is right
    assert gradcheck(Stale.apply, [x])
    with pytest.raises(GradcheckError, match=r"batched gradients for output 0 with respect to "
                                             r"input 0 \(grad with is_grads_batched=True\) "
                                             r"differ from the gradients computed one "
                                             r"grad_output at a time \(max \|diff\| "):
        gradcheck(Stale.apply, [x], check_batched_grad=True)
    assert gradcheck(Stale.apply, [x], check_batched_grad=True, raise_exception=False) is False

    class Once(Stale):
        @staticmethod
        def backward(ctx, g):
            ctx.calls += 1
            if ctx.calls > 3:  # the Jacobian row and the two one-by-one gradients
                raise RuntimeError("Once: saved state used up")
            (t,) = ctx.saved_tensors
            return g * 2 * t

    with pytest.raises(GradcheckError, match="while computing batched gradients for output 0, "
                                             "got: Once: saved state used up"):
        gradcheck(Once.apply, [x], check_batched_grad=True)
