"""Higher-order autograd: Jacobians and Hessians against closed forms, the products (vjp, jvp,
hvp, vhp), and the function transforms of ember.func."""

import numpy as np
import pytest

import ember
from ember.autograd import functional as F
from ember.func import grad, grad_and_value, hessian, jacfwd, jacrev, vjp, vmap

from ..conftest import to_numpy

D = ember.float64


def t(values):
    return ember.tensor(np.asarray(values, dtype=np.float64))


RNG = np.random.default_rng(3)
A = t(RNG.normal(size=(4, 4)))
X = t(RNG.normal(size=4))


def rosenbrock(v):
    x, y = v[0], v[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_hessian(x, y):
    return np.array([[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]])


def softmax(z):
    return ember.exp(z - ember.logsumexp(z, 0))


# ------------------------------------------------------------------------------- Hessians


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_hessian_of_quadratic_form(strategy):
    h = F.hessian(lambda x: x @ A @ x, X, outer_jacobian_strategy=strategy)
    np.testing.assert_allclose(to_numpy(h), to_numpy(A + A.T), rtol=1e-12)


@pytest.mark.parametrize("point", [(-1.2, 1.0), (1.0, 1.0), (0.3, -0.7), (2.0, 4.5)])
def test_hessian_of_rosenbrock(point):
    h = F.hessian(rosenbrock, t(point))
    np.testing.assert_allclose(to_numpy(h), rosenbrock_hessian(*point), rtol=1e-12)


def test_hessian_of_logsumexp_is_diag_p_minus_p_pt():
    z = t([0.5, -1.0, 2.0, 0.1])
    p = to_numpy(softmax(z))
    h = F.hessian(lambda v: ember.logsumexp(v, 0), z)
    np.testing.assert_allclose(to_numpy(h), np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-14)


def test_hessian_of_softmax_cross_entropy_wrt_logits():
    z = t([1.0, -0.5, 0.3])
    target = 2

    def loss(v):
        return ember.logsumexp(v, 0) - v[target]

    p = to_numpy(softmax(z))
    g = F.jacobian(loss, z)
    np.testing.assert_allclose(to_numpy(g), p - np.eye(3)[target], rtol=1e-12)
    np.testing.assert_allclose(to_numpy(F.hessian(loss, z)), np.diag(p) - np.outer(p, p),
                               rtol=1e-10, atol=1e-14)


def test_hessian_of_nn_cross_entropy_is_block_diagonal_softmax_curvature():
    # ember.nn.functional.cross_entropy (mean over the batch): sample i's block is
    # (diag(p_i) - p_i p_i^T) / N, and samples do not interact
    rng = np.random.default_rng(2)
    z = t(rng.normal(size=(3, 4)))
    target = ember.tensor([0, 3, 1])
    h = to_numpy(F.hessian(lambda v: ember.nn.functional.cross_entropy(v, target), z))
    p = np.exp(to_numpy(z))
    p /= p.sum(1, keepdims=True)
    expected = np.zeros((3, 4, 3, 4))
    for i in range(3):
        expected[i, :, i, :] = (np.diag(p[i]) - np.outer(p[i], p[i])) / 3
    np.testing.assert_allclose(h, expected, rtol=1e-10, atol=1e-15)


def test_mlp_hessian_is_symmetric_and_matches_finite_differences_of_the_gradient():
    rng = np.random.default_rng(0)
    w1, b1 = t(rng.normal(size=(3, 4)) * 0.5), t(rng.normal(size=4) * 0.1)
    w2, b2 = t(rng.normal(size=(4, 2)) * 0.5), t(rng.normal(size=2) * 0.1)
    x, y = t(rng.normal(size=(5, 3))), t(rng.normal(size=(5, 2)))
    shapes = [w1.shape, b1.shape, w2.shape, b2.shape]
    sizes = [int(np.prod(s)) for s in shapes]

    def loss(flat):
        parts, start = [], 0
        for s, n in zip(shapes, sizes):
            parts.append(flat[start:start + n].reshape(s))
            start += n
        a, b, c, d = parts
        return ((ember.tanh(x @ a + b) @ c + d - y) ** 2).mean()

    theta = ember.cat([p.reshape(-1) for p in (w1, b1, w2, b2)])
    h = to_numpy(F.hessian(loss, theta))
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)
    eps = 1e-6
    fd = np.empty_like(h)
    base = to_numpy(theta)
    for k in range(base.size):
        up, down = base.copy(), base.copy()
        up[k] += eps
        down[k] -= eps
        fd[:, k] = (to_numpy(F.jacobian(loss, t(up))) - to_numpy(F.jacobian(loss, t(down)))) \
            / (2 * eps)
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-7)


def test_hessian_with_tuple_inputs_is_a_tuple_of_tuples():
    h = F.hessian(lambda a, b: (a * a * b).sum(), (t([1.0, 2.0]), t([3.0, 4.0])))
    assert len(h) == 2 and all(len(row) == 2 for row in h)
    np.testing.assert_allclose(to_numpy(h[0][0]), np.diag([6.0, 8.0]))
    np.testing.assert_allclose(to_numpy(h[0][1]), np.diag([2.0, 4.0]))
    np.testing.assert_allclose(to_numpy(h[1][1]), np.zeros((2, 2)))


# ------------------------------------------------------------------------------- Jacobians


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian_of_softmax(strategy):
    z = t([0.2, -0.4, 1.1])
    p = to_numpy(softmax(z))
    j = F.jacobian(softmax, z, strategy=strategy)
    np.testing.assert_allclose(to_numpy(j), np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-15)


def test_jacobian_of_a_linear_map_is_the_matrix():
    np.testing.assert_allclose(to_numpy(F.jacobian(lambda v: A @ v, X)), to_numpy(A))


def test_jacobian_of_an_elementwise_function_is_diagonal():
    j = to_numpy(F.jacobian(ember.sin, X))
    np.testing.assert_allclose(j, np.diag(np.cos(to_numpy(X))), atol=1e-15)


def test_jacobian_structure_for_tuples_of_inputs_and_outputs():
    a, b = t([[1.0, 2.0]]), t([3.0])
    j = F.jacobian(lambda u, v: (u * v, (u ** 2).sum(1)), (a, b))
    assert len(j) == 2 and len(j[0]) == 2
    assert j[0][0].shape == (1, 2, 1, 2) and j[0][1].shape == (1, 2, 1)
    assert j[1][0].shape == (1, 1, 2) and j[1][1].shape == (1, 1)
    single = F.jacobian(lambda u: u * 2, a)
    assert single.shape == (1, 2, 1, 2)


def test_jacobian_strict_and_create_graph():
    x = t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.jacobian(lambda a, b: a * 2, (x, x), strict=True)
    zeros = F.jacobian(lambda a, b: a * 2, (x, x))[1]
    assert to_numpy(zeros).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    w = t([1.0, 3.0]).requires_grad_()
    j = F.jacobian(lambda v: v ** 3, w, create_graph=True)
    assert j.requires_grad
    j.sum().backward()
    np.testing.assert_allclose(to_numpy(w.grad), 6 * to_numpy(w))
    assert not F.jacobian(lambda v: v ** 3, w).requires_grad


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_hessian_strict_names_hessian(strategy):
    x = t([1.0, 2.0])
    # a linear function: its gradient is constant, so the Hessian is independent of x
    with pytest.raises(RuntimeError, match="hessian: the gradient( 0)? of the function does not "
                                           "require gradients.*strict=True forbids"):
        F.hessian(lambda v: v.sum() * 3, x, strict=True, outer_jacobian_strategy=strategy)
    h = F.hessian(lambda v: v.sum() * 3, x, outer_jacobian_strategy=strategy)
    assert to_numpy(h).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(RuntimeError, match="hessian: the output of the function is independent "
                                           "of input 1"):
        F.hessian(lambda a, b: (a * a).sum(), (x, x), strict=True)
    with pytest.raises(ValueError, match="hessian: outer_jacobian_strategy must be"):
        F.hessian(lambda v: v.sum(), x, outer_jacobian_strategy="sideways")


# -------------------------------------------------------------------------------- products


def test_vjp_jvp_hvp_vhp():
    v = t([1.0, -1.0, 0.5, 2.0])
    out, g = F.vjp(lambda x: A @ x, X, v)
    np.testing.assert_allclose(to_numpy(g), to_numpy(A).T @ to_numpy(v), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(out), to_numpy(A) @ to_numpy(X), rtol=1e-12)
    _, jv = F.jvp(lambda x: A @ x, X, v)
    np.testing.assert_allclose(to_numpy(jv), to_numpy(A) @ to_numpy(v), rtol=1e-12)
    f = lambda x: (x ** 3).sum() + x @ A @ x  # noqa: E731
    hm = np.diag(6 * to_numpy(X)) + to_numpy(A + A.T)
    _, hv = F.hvp(f, X, v)
    _, vh = F.vhp(f, X, v)
    np.testing.assert_allclose(to_numpy(hv), hm @ to_numpy(v), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(vh), to_numpy(v) @ hm, rtol=1e-10)
    with pytest.raises(RuntimeError, match="v can only be None"):
        F.vjp(lambda x: x * 2, X)
    _, gs = F.vjp(lambda x: x.sum(), X)
    assert to_numpy(gs).tolist() == [1.0] * 4


# ----------------------------------------------------------------------------------- func


def test_grad_composed_three_times_is_the_third_derivative():
    def poly(x):
        return 2 * x ** 5 - 3 * x ** 3 + x

    x = t(1.7)
    d1, d2, d3 = grad(poly), grad(grad(poly)), grad(grad(grad(poly)))
    v = 1.7
    assert d1(x).item() == pytest.approx(10 * v ** 4 - 9 * v ** 2 + 1, rel=1e-12)
    assert d2(x).item() == pytest.approx(40 * v ** 3 - 18 * v, rel=1e-12)
    assert d3(x).item() == pytest.approx(120 * v ** 2 - 18, rel=1e-12)
    assert not d1(x).requires_grad


def test_grad_argnums_has_aux_and_grad_and_value():
    def f(a, b):
        return (a * b).sum(), {"note": "aux"}

    a, b = t([1.0, 2.0]), t([3.0, 4.0])
    ga, aux = grad(f, has_aux=True)(a, b)
    assert to_numpy(ga).tolist() == [3.0, 4.0] and aux == {"note": "aux"}
    (ga, gb), _ = grad(f, argnums=(0, 1), has_aux=True)(a, b)
    assert to_numpy(gb).tolist() == [1.0, 2.0]
    g, value = grad_and_value(lambda x: (x ** 2).sum())(a)
    assert value.item() == 5.0 and to_numpy(g).tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="single element"):
        grad(lambda x: x * 2)(a)


def test_vmap_of_grad_equals_a_loop():
    w = t([0.5, -1.0, 2.0])
    xs = t(np.random.default_rng(1).normal(size=(6, 3)))

    def loss(x, weights):
        return ember.tanh(x @ weights) ** 2

    per_example = vmap(grad(loss, argnums=1), in_dims=(0, None))(xs, w)
    loop = ember.stack([grad(loss, argnums=1)(x, w) for x in xs])
    np.testing.assert_allclose(to_numpy(per_example), to_numpy(loop), rtol=1e-14)
    assert per_example.shape == (6, 3)
    doubled = vmap(lambda x: x * 2, out_dims=1)(xs)
    assert doubled.shape == (3, 6)


def test_jacrev_jacfwd_hessian_and_vjp_transforms():
    f = lambda x: ember.sin(x) * x  # noqa: E731
    jr, jf = jacrev(f)(X), jacfwd(f)(X)
    xv = to_numpy(X)
    expected = np.diag(np.cos(xv) * xv + np.sin(xv))
    np.testing.assert_allclose(to_numpy(jr), expected, atol=1e-14)
    np.testing.assert_allclose(to_numpy(jf), expected, atol=1e-14)
    h = hessian(lambda x: x @ A @ x)(X)
    np.testing.assert_allclose(to_numpy(h), to_numpy(A + A.T), rtol=1e-12)
    out, fn = vjp(lambda x: x ** 2, X)
    (g,) = fn(ember.ones_like(out))
    np.testing.assert_allclose(to_numpy(g), 2 * xv)
    j0, j1 = jacrev(lambda a, b: a * b, argnums=(0, 1))(X, X)
    np.testing.assert_allclose(to_numpy(j0), np.diag(xv))


# ------------------------------------------------------------------------- gradgradcheck


@pytest.mark.parametrize("family, fn, shapes", [
    ("elementwise", lambda x: ember.tanh(x) * ember.exp(x), [(3, 2)]),
    ("reductions", lambda x: ember.logsumexp(x, 1) + x.var(0).sum(), [(3, 4)]),
    ("matmul", lambda a, b: a @ b, [(2, 3), (3, 2)]),
    ("shape", lambda x: x.permute(1, 0).reshape(-1).flip(0)[1:4], [(2, 3)]),
    ("indexing", lambda x: x.gather(1, ember.tensor([[1, 0], [2, 2]])) * x[:, :2], [(2, 3)]),
    ("einsum", lambda a, b: ember.einsum("ij,jk,kl->il", a, b, a.T), [(2, 3), (3, 3)]),
])
def test_gradgradcheck_on_every_family(family, fn, shapes):
    rng = np.random.default_rng(5)
    inputs = [ember.tensor(rng.normal(size=s), requires_grad=True) for s in shapes]
    assert ember.autograd.gradgradcheck(fn, inputs)


# ------------------------------------------------------- transforms nested through closures


def test_nested_transforms_see_variables_of_the_outer_transform():
    x0, y0 = t([1.0, 2.0]), t([3.0, 5.0])
    yv = to_numpy(y0)
    # d/dy sum(d/dx sum(x * y^2)) = d/dy sum(y^2) = 2y: the inner grad must keep its graph
    # although its own argument x does not require grad (y reaches it through a closure) ...
    through_closure = grad(lambda y: grad(lambda x: (x * y * y).sum())(x0).sum())(y0)
    np.testing.assert_allclose(to_numpy(through_closure), 2 * yv, rtol=1e-14)
    # ... or through an argument it does not differentiate
    through_argument = grad(lambda y: grad(lambda x, z: (x * z * z).sum())(x0, y).sum())(y0)
    np.testing.assert_allclose(to_numpy(through_argument), 2 * yv, rtol=1e-14)
    jac = grad(lambda y: jacrev(lambda x: x * y * y)(x0).sum())(y0)
    np.testing.assert_allclose(to_numpy(jac), 2 * yv, rtol=1e-14)
    jac = grad(lambda y: jacfwd(lambda x: x * y * y)(x0).sum())(y0)
    np.testing.assert_allclose(to_numpy(jac), 2 * yv, rtol=1e-14)

    def inner_vjp(y):
        _, fn = vjp(lambda x: x * y, x0)
        return fn(ember.ones_like(x0))[0].sum()

    np.testing.assert_allclose(to_numpy(grad(inner_vjp)(y0)), [1.0, 1.0])
    # mixed partials of f(x, y) = x^2 y^3 at (2, 3): d/dy d/dx = 6 x y^2
    f = lambda a, b: a * a * b ** 3  # noqa: E731
    dxy = grad(lambda b: grad(f, argnums=0)(t(2.0), b))(t(3.0))
    assert dxy.item() == pytest.approx(6 * 2 * 9, rel=1e-14)


def test_func_grad_composes_with_plain_autograd_on_outer_parameters():
    w = t([1.0, 2.0]).requires_grad_()
    x = t([3.0, 4.0])
    g = grad(lambda v: (v * w * w).sum())(x)  # = w^2, still a function of w
    np.testing.assert_allclose(to_numpy(g), to_numpy(w.detach()) ** 2)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(to_numpy(w.grad), 2 * to_numpy(w.detach()))
    # with nothing outside watching, the results are plain tensors
    assert not grad(lambda v: (v * v).sum())(x).requires_grad


# ---------------------------------------------------------------------------- vmap details


def test_vmap_in_dims_structures_kwargs_and_out_dims():
    xs = t(np.arange(6.0).reshape(3, 2))
    # a dict argument with a per-key in_dim, and an unbatched keyword argument
    out = vmap(lambda d, scale=1.0: d["a"] * d["b"] * scale,
               in_dims=({"a": 0, "b": None},))({"a": xs, "b": t([1.0, -1.0])}, scale=2.0)
    np.testing.assert_allclose(to_numpy(out), to_numpy(xs) * [2.0, -2.0])
    # a tuple argument with one in_dim per element; tuple outputs with per-output out_dims
    s, (first,) = vmap(lambda p: (p[0] + p[1], [p[0]]), in_dims=((0, 1),),
                       out_dims=(0, (1,)))((xs, xs.T))
    np.testing.assert_allclose(to_numpy(s), 2 * to_numpy(xs))
    assert first.shape == (2, 3)
    np.testing.assert_allclose(to_numpy(vmap(lambda v: v.sum(), in_dims=1)(xs)),
                               to_numpy(xs).sum(0))
    assert vmap(lambda v: v * 2, out_dims=-1)(t(np.ones((4, 2, 3)))).shape == (2, 3, 4)
    # vmap of vmap is a double loop
    outer = vmap(vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))
    np.testing.assert_allclose(to_numpy(outer(t([1.0, 2.0]), t([1.0, 10.0, 100.0]))),
                               np.outer([1.0, 10.0, 100.0], [1.0, 2.0]))


def test_vmap_keeps_named_tuples_in_and_out():
    # torch.func's pytrees include namedtuples: linalg results come back as the same named
    # tuple with a batch dim on each field, and a named tuple argument is mapped field by field
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 3, 3))
    a = a @ a.transpose(0, 2, 1) + 3 * np.eye(3)
    res = vmap(ember.linalg.slogdet)(t(a))
    assert type(res).__name__ == "linalg_slogdet"
    np.testing.assert_allclose(to_numpy(res.logabsdet), np.linalg.slogdet(a)[1], rtol=1e-5)
    vals, vecs = vmap(ember.linalg.eigh, out_dims=(0, 1))(t(a))
    assert vals.shape == (4, 3) and vecs.shape == (3, 4, 3)
    eig = ember.linalg.eigh(t(a[0]))  # a named tuple argument, both fields batched
    out = vmap(lambda r: r.eigenvalues.sum() + r.eigenvectors.sum(), in_dims=((0, None),))(
        type(eig)(t(a[:, 0]), eig.eigenvectors))
    np.testing.assert_allclose(to_numpy(out), a[:, 0].sum(1) + to_numpy(eig.eigenvectors).sum(),
                               rtol=1e-5)


def test_vmap_errors_name_the_argument():
    xs = t(np.ones((3, 2)))
    with pytest.raises(ValueError, match="in_dim=0 for argument 1, which is a float"):
        vmap(lambda a, s: a * s)(xs, 2.0)
    with pytest.raises(ValueError, match=r"in_dim=2 for argument 0 \(a tensor of shape \(3, 2\)"):
        vmap(lambda a: a, in_dims=2)(xs)
    with pytest.raises(ValueError, match=r"different batch sizes \(argument 0: 3, argument 1: 2"):
        vmap(lambda a, b: a, in_dims=(0, 1))(xs, xs)
    with pytest.raises(ValueError, match="in_dims has 1 entries for 2 positional"):
        vmap(lambda a, b: a, in_dims=(0,))(xs, xs)
    with pytest.raises(ValueError, match="at least one argument must be batched"):
        vmap(lambda a: a, in_dims=None)(xs)
    with pytest.raises(ValueError, match="out_dim=3 for output"):
        vmap(lambda a: a, out_dims=3)(xs)
    with pytest.raises(TypeError, match="got float as output"):
        vmap(lambda a: 1.0)(xs)
    with pytest.raises(ValueError, match="randomness must be"):
        vmap(lambda a: a, randomness="often")
    with pytest.raises(ValueError, match="chunk_size must be"):
        vmap(lambda a: a, chunk_size=0)


def test_vmap_randomness():
    xs = t(np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match="randomness='error'"):
        vmap(lambda a: a + ember.randn(2, dtype=D))(xs)
    ember.manual_seed(7)
    same = to_numpy(vmap(lambda a: a + ember.randn(2, dtype=D), randomness="same")(xs))
    ember.manual_seed(7)
    one = to_numpy(ember.randn(2, dtype=D))
    np.testing.assert_array_equal(same, np.stack([one] * 3))
    ember.manual_seed(7)
    different = to_numpy(vmap(lambda a: a + ember.randn(2, dtype=D), randomness="different")(xs))
    ember.manual_seed(7)
    np.testing.assert_array_equal(different, np.stack([to_numpy(ember.randn(2, dtype=D))
                                                       for _ in range(3)]))


# ------------------------------------------------------------ structures of the transforms


def test_jacrev_and_jacfwd_structures_agree():
    def f(a, b):
        return ember.sin(a) * b.sum(), a @ b

    a, b = t([0.3, -1.2, 2.0]), t([0.5, 1.5, -0.7])
    for transform in (jacrev, jacfwd):
        (j00, j01), (j10, j11) = transform(f, argnums=(0, 1))(a, b)
        av, bv = to_numpy(a), to_numpy(b)
        np.testing.assert_allclose(to_numpy(j00), np.diag(np.cos(av) * bv.sum()), atol=1e-15)
        np.testing.assert_allclose(to_numpy(j01), np.outer(np.sin(av), np.ones(3)), atol=1e-15)
        np.testing.assert_allclose(to_numpy(j10), bv, atol=1e-15)
        np.testing.assert_allclose(to_numpy(j11), av, atol=1e-15)
        single, aux = transform(lambda v: (v ** 2, "aux"), has_aux=True)(a)
        np.testing.assert_allclose(to_numpy(single), np.diag(2 * av))
        assert aux == "aux"
    (h00, h01), (h10, h11) = hessian(lambda u, v: (u * u * v).sum(), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(to_numpy(h00), np.diag(2 * to_numpy(b)))
    np.testing.assert_allclose(to_numpy(h01), np.diag(2 * to_numpy(a)))
    np.testing.assert_allclose(to_numpy(h10), np.diag(2 * to_numpy(a)))
    np.testing.assert_allclose(to_numpy(h11), np.zeros((3, 3)))


def test_func_vjp_structures_and_aux():
    a, b = t([1.0, 2.0]), t([3.0, 4.0])
    (p, s), fn, aux = vjp(lambda u, v: ((u * v, u.sum()), "note"), a, b, has_aux=True)
    assert aux == "note" and not p.requires_grad
    ga, gb = fn((ember.ones_like(p), t(2.0)))
    np.testing.assert_allclose(to_numpy(ga), to_numpy(b) + 2)
    np.testing.assert_allclose(to_numpy(gb), to_numpy(a))
    with pytest.raises(RuntimeError, match="expected 2 cotangents, got 1"):
        fn(ember.ones_like(p))
    with pytest.raises(RuntimeError, match=r"cotangent 1 must be a Tensor of the output's "
                                           r"shape \(\), got shape \(2,\)"):
        fn((ember.ones_like(p), ember.ones_like(p)))


def test_functional_products_with_tuples_follow_torch_structures():
    a, b = t([1.0, 2.0]), t([3.0, 4.0])
    va, vb = t([1.0, -1.0]), t([0.5, 2.0])

    def f(u, v):
        return (u * u * v).sum()

    out, (ga, gb) = F.vjp(f, (a, b))
    np.testing.assert_allclose(to_numpy(ga), 2 * to_numpy(a * b))
    np.testing.assert_allclose(to_numpy(gb), to_numpy(a * a))
    # jvp: one result per output (here a tuple of two outputs), summed over the inputs
    outs, (j1, j2) = F.jvp(lambda u, v: (u * v, u.sum()), (a, b), (va, vb))
    assert isinstance(outs, tuple) and len(outs) == 2
    np.testing.assert_allclose(to_numpy(j1), to_numpy(va * b + a * vb))
    assert j2.item() == pytest.approx(0.0)
    # the Hessian blocks: [[2 diag(b), 2 diag(a)], [2 diag(a), 0]]
    H = np.block([[np.diag(2 * to_numpy(b)), np.diag(2 * to_numpy(a))],
                  [np.diag(2 * to_numpy(a)), np.zeros((2, 2))]])
    vv = np.concatenate([to_numpy(va), to_numpy(vb)])
    for product, expected in ((F.hvp, H @ vv), (F.vhp, vv @ H)):
        value, (ra, rb) = product(f, (a, b), (va, vb))
        assert value.item() == pytest.approx(to_numpy(a * a * b).sum())
        np.testing.assert_allclose(np.concatenate([to_numpy(ra), to_numpy(rb)]), expected)
    h = F.hessian(f, (a, b), vectorize=True)
    np.testing.assert_allclose(np.block([[to_numpy(h[i][j]) for j in range(2)]
                                         for i in range(2)]), H)
    with pytest.raises(RuntimeError, match="entry 1 of v has shape"):
        F.hvp(f, (a, b), (va, t([1.0])))
    with pytest.raises(RuntimeError, match="single Tensor with a single element"):
        F.hessian(lambda u: u * 2, a)


def test_hvp_with_create_graph_is_differentiable():
    x = t([0.5, -1.0]).requires_grad_()
    v = t([1.0, 2.0])
    # f = sum(x^4): H v = 12 x^2 v; d/dx sum(H v) = 24 x v
    _, hv = F.hvp(lambda u: (u ** 4).sum(), x, v, create_graph=True)
    assert hv.requires_grad
    hv.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), 24 * to_numpy(x.detach()) * to_numpy(v))


def test_gradgradcheck_catches_a_rule_that_is_right_only_to_first_order():
    class Sin(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return ember.sin(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ember.cos(x.detach())  # the detach loses the second derivative

    x = ember.tensor(np.array([0.3, -1.1, 2.0]), requires_grad=True)
    assert ember.autograd.gradcheck(Sin.apply, [x])
    with pytest.raises(ember.autograd.GradcheckError, match="Jacobian mismatch for output 0 "
                                                            "with respect to input 0"):
        ember.autograd.gradgradcheck(Sin.apply, [x])
    assert not ember.autograd.gradgradcheck(Sin.apply, [x], raise_exception=False)


# ------------------------------------------------------------ pytrees of differentiated tensors


def test_transforms_differentiate_dicts_tuples_and_lists_of_tensors():
    rng = np.random.default_rng(4)
    params = {"w": t(rng.normal(size=(3, 2))), "b": (t(rng.normal(size=2)),)}
    xs, ys = t(rng.normal(size=(5, 3))), t(rng.normal(size=(5, 2)))

    def loss(p, x, y):
        return ((ember.tanh(x @ p["w"] + p["b"][0]) - y) ** 2).sum()

    g = grad(loss)(params, xs, ys)
    assert set(g) == {"w", "b"} and isinstance(g["b"], tuple) and len(g["b"]) == 1
    # the same gradients as plain autograd on leaves
    w = params["w"].detach().requires_grad_()
    b = params["b"][0].detach().requires_grad_()
    loss({"w": w, "b": (b,)}, xs, ys).backward()
    np.testing.assert_allclose(to_numpy(g["w"]), to_numpy(w.grad), rtol=1e-14)
    np.testing.assert_allclose(to_numpy(g["b"][0]), to_numpy(b.grad), rtol=1e-14)
    # per-example gradients of a parameter dict: vmap of grad equals a loop
    per = vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
    for k in range(5):
        gk = grad(loss)(params, xs[k], ys[k])
        np.testing.assert_allclose(to_numpy(per["w"][k]), to_numpy(gk["w"]), rtol=1e-14)
        np.testing.assert_allclose(to_numpy(per["b"][0][k]), to_numpy(gk["b"][0]), rtol=1e-14)
    # vjp, jacrev and jacfwd keep the structure too
    _, fn = vjp(lambda p: loss(p, xs, ys), params)
    (gv,) = fn(t(1.0))
    np.testing.assert_allclose(to_numpy(gv["w"]), to_numpy(g["w"]), rtol=1e-14)
    for transform in (jacrev, jacfwd):
        j = transform(lambda p: p["w"] @ p["b"][0])(params)
        assert j["w"].shape == (3, 3, 2) and j["b"][0].shape == (3, 2)
        np.testing.assert_allclose(to_numpy(j["b"][0]), to_numpy(params["w"]), rtol=1e-14)
    # the Hessian of a function of a pair: blocks in the pair's structure, twice
    u, v = t([1.0, 2.0]), t([3.0, -1.0])
    (h00, h01), (h10, h11) = hessian(lambda q: (q[0] * q[0] * q[1]).sum())((u, v))
    np.testing.assert_allclose(to_numpy(h00), np.diag(2 * to_numpy(v)))
    np.testing.assert_allclose(to_numpy(h01), np.diag(2 * to_numpy(u)))
    np.testing.assert_allclose(to_numpy(h10), np.diag(2 * to_numpy(u)))
    np.testing.assert_allclose(to_numpy(h11), np.zeros((2, 2)))


def test_transforms_refuse_what_they_cannot_differentiate():
    with pytest.raises(TypeError, match=r"grad: argument 0\[1\] is differentiated, so it must "
                                        r"be a Tensor \(or a tuple, list or dict of Tensors\), "
                                        r"got float"):
        grad(lambda q: q[0].sum())([t([1.0]), 2.0])
    with pytest.raises(TypeError, match="argument 1 must be floating point to be "
                                        "differentiated, got ember.int64"):
        grad(lambda a, b: a.sum(), argnums=1)(t([1.0]), ember.tensor([1, 2]))
    with pytest.raises(TypeError, match="jacrev: tensor 1 of argument 0 must be floating point"):
        jacrev(lambda d: d["a"])({"a": t([1.0]), "b": ember.tensor([1])})
    with pytest.raises(ValueError, match="argnums 2 out of range"):
        grad(lambda a: a.sum(), argnums=2)(t([1.0]))


# ------------------------------------------------------------ pytrees of outputs


def test_jacobians_of_a_function_returning_a_dict_keep_its_structure():
    a, b = t([0.3, -1.2, 2.0]), t([0.5, 1.5, -0.7])
    av, bv = to_numpy(a), to_numpy(b)

    def f(u, v):
        return {"prod": u * v, "more": (ember.sin(u).sum(), [u @ v])}

    for transform in (jacrev, jacfwd):
        j = transform(f)(a, b)  # argnums=0: the output's structure, a Jacobian per tensor
        assert set(j) == {"prod", "more"} and isinstance(j["more"], tuple)
        assert isinstance(j["more"][1], list) and not j["prod"].requires_grad
        np.testing.assert_allclose(to_numpy(j["prod"]), np.diag(bv), atol=1e-15)
        np.testing.assert_allclose(to_numpy(j["more"][0]), np.cos(av), atol=1e-15)
        np.testing.assert_allclose(to_numpy(j["more"][1][0]), bv, atol=1e-15)
        # a tuple of argnums: each output tensor holds a tuple of Jacobians, one per argument
        j = transform(f, argnums=(0, 1))(a, b)
        np.testing.assert_allclose(to_numpy(j["prod"][1]), np.diag(av), atol=1e-15)
        np.testing.assert_allclose(to_numpy(j["more"][0][1]), np.zeros(3), atol=1e-15)
        np.testing.assert_allclose(to_numpy(j["more"][1][0][1]), av, atol=1e-15)
        # the dict output with has_aux: its tensors come back detached, as torch.func's
        j, aux = transform(lambda u: ({"sq": u * u}, {"u2": u * 2, "tag": "x"}), has_aux=True)(a)
        np.testing.assert_allclose(to_numpy(j["sq"]), np.diag(2 * av), atol=1e-15)
        assert aux["tag"] == "x" and not aux["u2"].requires_grad
        np.testing.assert_allclose(to_numpy(aux["u2"]), 2 * av)
    # hessian (jacfwd of jacrev) of a dict of one-element outputs: a Hessian per key
    h = hessian(lambda u: {"cube": (u ** 3).sum(), "sq": (u * u).sum()})(a)
    np.testing.assert_allclose(to_numpy(h["cube"]), np.diag(6 * av), atol=1e-14)
    np.testing.assert_allclose(to_numpy(h["sq"]), 2 * np.eye(3), atol=1e-14)


def test_func_vjp_of_a_dict_output_takes_cotangents_of_its_structure():
    a, b = t([1.0, 2.0]), t([3.0, 4.0])
    out, fn = vjp(lambda u, v: {"p": u * v, "s": [u.sum(), v * 3]}, a, b)
    assert set(out) == {"p", "s"} and isinstance(out["s"], list)
    assert not out["p"].requires_grad
    np.testing.assert_allclose(to_numpy(out["p"]), [3.0, 8.0])
    ga, gb = fn({"p": t([1.0, -1.0]), "s": [t(2.0), t([0.5, 1.0])]})
    # d/du: v * cp + cs0 ; d/dv: u * cp + 3 cs1
    np.testing.assert_allclose(to_numpy(ga), [3.0 + 2.0, -4.0 + 2.0])
    np.testing.assert_allclose(to_numpy(gb), [1.0 + 1.5, -2.0 + 3.0])
    # the same products as jacrev's Jacobians contracted with the cotangents
    j = jacrev(lambda u, v: {"p": u * v, "s": [u.sum(), v * 3]}, argnums=(0, 1))(a, b)
    cp, cs0, cs1 = to_numpy(t([1.0, -1.0])), 2.0, to_numpy(t([0.5, 1.0]))
    np.testing.assert_allclose(to_numpy(ga), cp @ to_numpy(j["p"][0])
                               + cs0 * to_numpy(j["s"][0][0]) + cs1 @ to_numpy(j["s"][1][0]))
    np.testing.assert_allclose(to_numpy(gb), cp @ to_numpy(j["p"][1])
                               + cs0 * to_numpy(j["s"][0][1]) + cs1 @ to_numpy(j["s"][1][1]))
    with pytest.raises(RuntimeError, match=r"expected a dict of cotangents with the output's "
                                           r"keys \['p', 's'\], got \['p'\]"):
        fn({"p": t([1.0, -1.0])})
    with pytest.raises(RuntimeError, match=r"expected 2 cotangents, got 1"):
        fn({"p": t([1.0, -1.0]), "s": [t(2.0)]})
    with pytest.raises(RuntimeError, match=r"cotangent 1 must be a Tensor of the output's "
                                           r"shape \(\), got shape \(2,\)"):
        fn({"p": t([1.0, -1.0]), "s": [t([1.0, 1.0]), t([0.5, 1.0])]})
    # a one-tuple output takes its cotangent bare or in a tuple
    _, fn1 = vjp(lambda u: (u * 2,), a)
    np.testing.assert_allclose(to_numpy(fn1(t([1.0, 1.0]))[0]), [2.0, 2.0])
    np.testing.assert_allclose(to_numpy(fn1((t([1.0, 1.0]),))[0]), [2.0, 2.0])


def test_transforms_refuse_outputs_that_are_not_tensors():
    a = t([1.0, 2.0])
    with pytest.raises(TypeError, match=r"jacrev: func must return a Tensor, or a tuple, list "
                                        r"or dict of Tensors, got dict \{a: Tensor, n: int\}"):
        jacrev(lambda u: {"a": u, "n": 3})(a)
    with pytest.raises(TypeError, match=r"vjp: func must return a Tensor, or a tuple, list or "
                                        r"dict of Tensors, got float"):
        vjp(lambda u: 1.0, a)
    with pytest.raises(RuntimeError, match="jacfwd: func must return at least one Tensor"):
        jacfwd(lambda u: {})(a)
    # grad needs one element: a dict is refused unless it rides along as has_aux's aux
    with pytest.raises(RuntimeError, match="grad: the function must return a tensor with a "
                                           "single element, got dict"):
        grad(lambda u: {"loss": u.sum()})(a)
    g, aux = grad(lambda u: ((u * u).sum(), {"sq": u * u}), has_aux=True)(a)
    np.testing.assert_allclose(to_numpy(g), [2.0, 4.0])
    assert not aux["sq"].requires_grad
    np.testing.assert_allclose(to_numpy(aux["sq"]), [1.0, 4.0])
