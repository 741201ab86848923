"""The regularised incomplete gamma function P(a, x), its complement Q and its inverse, with
the derivative in the shape a, as differentiable ops.

They give Gamma (and Chi2) a cdf and icdf and an exact reparameterised sampler: rsample draws
u ~ U(0, 1) and returns x = P^-1(a, u), whose derivative in a is the implicit one,
dx/da = -(dP/da)(a, x) / p(x; a) (Figurnov et al. 2018), computed here to full precision
rather than approximated. Beta, Dirichlet and StudentT reparameterise through it.

P(a, x) = gamma(a, x) / Gamma(a) is summed as a series for x < a + 1 and Q = 1 - P as a
continued fraction (modified Lentz) otherwise (Numerical Recipes, 6.2); both carry their
derivative in a along (forward-mode, a dual number per term), so dP/da costs no second pass.
Arithmetic is float64 whatever the tensors' dtype.
"""

from __future__ import annotations

from ..autograd.function import Op

_EPS = 1e-15
_FPMIN = 1e-300
_MAX_ITER = 100_000


_BLOCK = 8  # iterations between convergence checks (extra terms past convergence are harmless)


def _series(xp, a, x):
    """S and dS/da of the series P = x^a e^-x / Gamma(a) * S for 0 < x < a + 1, where
    S = sum_n x^n / (a (a+1)..(a+n))."""
    total = 1.0 / a
    dtotal = -1.0 / (a * a)
    out, dout = total.copy(), dtotal.copy()
    active = xp.arange(a.size)
    ap, xa, t, dt = a.copy(), x.copy(), total.copy(), dtotal.copy()
    for _ in range(0, _MAX_ITER, _BLOCK):
        for _ in range(_BLOCK):
            ap = ap + 1.0
            r = xa / ap
            dt = dt * r - t * r / ap
            t = t * r
            total = total + t
            dtotal = dtotal + dt
        out[active], dout[active] = total, dtotal
        keep = xp.abs(t) >= xp.abs(total) * _EPS
        if not keep.any():
            break
        if not keep.all():
            active, ap, xa, t, dt, total, dtotal = (active[keep], ap[keep], xa[keep], t[keep],
                                                    dt[keep], total[keep], dtotal[keep])
    return out, dout


def _continued_fraction(xp, a, x):
    """H and dH/da of the continued fraction Q = x^a e^-x / Gamma(a) * H for x >= a + 1, where
    H = 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))) (modified Lentz)."""
    n = a.size
    b = x + 1.0 - a
    db = -xp.ones(n)
    c = xp.full(n, 1.0 / _FPMIN)
    dc = xp.zeros(n)
    d = 1.0 / b
    dd = -db / (b * b)
    h, dh = d.copy(), dd.copy()
    out, dout = h.copy(), dh.copy()
    active = xp.arange(n)
    aa = a.copy()
    i = 0
    for _ in range(0, _MAX_ITER, _BLOCK):
        for _ in range(_BLOCK):
            i += 1
            an = -i * (i - aa)
            dan = float(i)
            b = b + 2.0
            # d <- 1 / (an d + b); c <- b + an / c; h <- h d c, each with its a-derivative
            den = an * d + b
            dden = dan * d + an * dd + db
            den = xp.where(xp.abs(den) < _FPMIN, _FPMIN, den)
            cn = b + an / c
            dc = db + dan / c - an * dc / c / c  # (c * c would overflow at c = 1 / FPMIN)
            c = xp.where(xp.abs(cn) < _FPMIN, _FPMIN, cn)
            d = 1.0 / den
            dd = -dden * d * d
            delta = d * c
            dh = dh * delta + h * (dd * c + d * dc)
            h = h * delta
        out[active], dout[active] = h, dh
        keep = xp.abs(delta - 1.0) >= _EPS
        if not keep.any():
            break
        if not keep.all():
            active, aa, b, db, c, dc, d, dd, h, dh = (
                active[keep], aa[keep], b[keep], db[keep], c[keep], dc[keep], d[keep], dd[keep],
                h[keep], dh[keep])
    return out, dout


def gammainc_parts(sp, xp, a, x, grad: bool = True, lgamma_a=None):
    """(P, Q, dP/da) of float64 arrays a > 0 and x (broadcast); P = 0 for x <= 0, 1 for
    x = inf, nan for a <= 0. dP/da is None when grad is False."""
    a, x = xp.broadcast_arrays(xp.asarray(a, dtype="float64"), xp.asarray(x, dtype="float64"))
    shape = a.shape
    a, x = a.reshape(-1), x.reshape(-1)
    lga = sp.lgamma(a) if lgamma_a is None else xp.broadcast_to(lgamma_a, shape).reshape(-1)
    p = xp.zeros(a.size)
    q = xp.ones(a.size)
    pos = x > 0
    q[xp.isinf(x) & pos] = 0.0
    p[xp.isinf(x) & pos] = 1.0
    finite = pos & xp.isfinite(x) & (a > 0)
    low = finite & (x < a + 1.0)
    high = finite & ~(x < a + 1.0)
    pre = xp.exp(a * xp.log(xp.where(finite, x, 1.0)) - x - lga)  # x^a e^-x / Gamma(a)
    s = xp.zeros(a.size)
    ds = xp.zeros(a.size)
    if low.any():
        s[low], ds[low] = _series(xp, a[low], x[low])
        p[low] = s[low] * pre[low]
        q[low] = 1.0 - p[low]
    if high.any():
        s[high], ds[high] = _continued_fraction(xp, a[high], x[high])
        q[high] = s[high] * pre[high]
        p[high] = 1.0 - q[high]
    nan = xp.isnan(a) | xp.isnan(x) | (a <= 0)
    p[nan] = q[nan] = xp.nan
    dp = None
    if grad:
        # d/da [pre * S] = pre * (dS + S (log x - psi(a))); Q's derivative is minus P's
        dlog = xp.log(xp.where(finite, x, 1.0)) - sp.digamma(xp.where(a > 0, a, 1.0))
        dpart = pre * (ds + s * dlog)
        dp = xp.where(high, -dpart, dpart)
        dp = xp.where(finite, dp, 0.0)
        dp[nan] = xp.nan
        dp = dp.reshape(shape)
    return p.reshape(shape), q.reshape(shape), dp


def gamma_log_pdf(sp, xp, a, x):
    """log of the standard gamma density x^(a-1) e^-x / Gamma(a)."""
    return (a - 1.0) * xp.log(x) - x - sp.lgamma(a)


def gammaincinv_array(sp, xp, a, u):
    """x with P(a, x) = u, by Halley's method from a Wilson-Hilferty start (Numerical Recipes,
    6.2.1); the upper tail is solved on Q for accuracy. Float64 arrays, broadcast."""
    a, u = xp.broadcast_arrays(xp.asarray(a, dtype="float64"), xp.asarray(u, dtype="float64"))
    shape = a.shape
    a, u = a.reshape(-1).copy(), u.reshape(-1).copy()
    x = xp.zeros(a.size)
    x[u >= 1] = xp.inf
    x[xp.isnan(a) | xp.isnan(u) | (a <= 0) | (u < 0) | (u > 1)] = xp.nan
    inside = (u > 0) & (u < 1) & (a > 0)
    idx = xp.nonzero(inside)[0]
    if idx.size:
        ai, ui = a[idx], u[idx]
        xi = _halley(sp, xp, ai, ui)
        # deep in the lower tail P(a, x) = x^a / Gamma(a + 1) (1 + O(x)): solve it in log space,
        # where Halley's steps would underflow
        small = xi < 1e-50
        if small.any():
            xi[small] = xp.exp((xp.log(ui[small]) + sp.lgamma(ai[small] + 1.0)) / ai[small])
        x[idx] = xi
    return x.reshape(shape)


def _initial_guess(sp, xp, a, u):
    big = a > 1
    x = xp.empty(a.size)
    # a > 1: Wilson-Hilferty with a normal quantile approximation
    pp = xp.where(u < 0.5, u, 1.0 - u)
    t = xp.sqrt(-2.0 * xp.log(pp))
    z = (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481)) - t
    z = xp.where(u < 0.5, -z, z)
    ab = xp.where(big, a, 2.0)
    wh = ab * (1.0 - 1.0 / (9.0 * ab) - z / (3.0 * xp.sqrt(ab))) ** 3
    x = xp.where(big, xp.maximum(1e-3, wh), x)
    # a <= 1: the small-x and large-x asymptotes of P
    asm = xp.where(big, 0.5, a)
    tt = 1.0 - asm * (0.253 + asm * 0.12)
    small = xp.exp(xp.log(xp.maximum(u / tt, 1e-300)) / asm)
    large = 1.0 - xp.log1p(-(u - tt) / (1.0 - tt))
    x = xp.where(big, x, xp.where(u < tt, small, large))
    return x


def _halley(sp, xp, a, u):
    x = _initial_guess(sp, xp, a, u)
    lga = sp.lgamma(a)
    upper = u > 0.5
    active = xp.arange(a.size)
    for _ in range(100):
        xa, aa, ua, up = x[active], a[active], u[active], upper[active]
        p, q, _ = gammainc_parts(sp, xp, aa, xa, grad=False, lgamma_a=lga[active])
        err = xp.where(up, (1.0 - ua) - q, p - ua)
        pdf = xp.exp((aa - 1.0) * xp.log(xa) - xa - lga[active])
        step = err / pdf
        corr = step * ((aa - 1.0) / xa - 1.0)
        step = step / (1.0 - 0.5 * xp.minimum(1.0, corr))
        new = xa - step
        new = xp.where(new <= 0, 0.5 * xa, new)
        new = xp.where(xp.isfinite(new), new, xa)
        x[active] = new
        keep = (xp.abs(step) >= 1e-13 * new) & (pdf > 0) & (new > 1e-300)
        if not keep.any():
            break
        active = active[keep]
    return x


class GammaInc(Op):
    """P(a, x) (or Q with upper=True); d/dx is the density, d/da the carried derivative."""

    @staticmethod
    def forward(ctx, a, x, upper):
        xp, sp = ctx.xp, ctx.device.special
        p, q, dp = gammainc_parts(sp, xp, a, x)
        ctx.dp = dp
        out = q if upper else p
        return out.astype(xp.result_type(a, x))

    @staticmethod
    def backward(ctx, g):
        from ..ops._util import unbroadcast
        a, x, upper = ctx.saved_tensors
        xp, sp = ctx.xp, ctx.device.special
        sign = -1.0 if upper else 1.0
        ga = gx = None
        if ctx.next[0] is not None:
            da = _const(ctx, sign * ctx.dp, g)
            ga = unbroadcast(g * da, tuple(a.shape))
        if ctx.next[1] is not None:
            xb = xp.broadcast_to(x._data, ctx.dp.shape)
            ab = xp.broadcast_to(a._data, ctx.dp.shape)
            with_pdf = xp.where(xb > 0, xp.exp(gamma_log_pdf(sp, xp, ab, xp.where(xb > 0, xb, 1))),
                                0.0)
            gx = unbroadcast(g * _const(ctx, sign * with_pdf, g), tuple(x.shape))
        return ga, gx, None


class GammaIncInv(Op):
    """x = P^-1(a, u); dx/du = 1 / p(x; a), dx/da = -(dP/da)(a, x) / p(x; a)."""

    save_output = True

    @staticmethod
    def forward(ctx, a, u):
        xp, sp = ctx.xp, ctx.device.special
        x = gammaincinv_array(sp, xp, a, u)
        dtype = xp.result_type(a, u)
        tiny = xp.finfo(dtype).tiny
        x = xp.maximum(x, tiny)  # a draw that underflows to 0 stays in the support (0, inf)
        _, _, dp = gammainc_parts(sp, xp, a, x)
        ab = xp.broadcast_to(xp.asarray(a, dtype="float64"), x.shape)
        pdf = xp.exp(gamma_log_pdf(sp, xp, ab, x))
        safe = xp.where(pdf > 0, pdf, 1.0)
        ctx.dxdu = xp.where(pdf > 0, 1.0 / safe, 0.0)
        ctx.dxda = xp.where(pdf > 0, -dp / safe, 0.0)
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        from ..ops._util import unbroadcast
        a, u, _ = ctx.saved_tensors
        ga = gu = None
        if ctx.next[0] is not None:
            ga = unbroadcast(g * _const(ctx, ctx.dxda, g), tuple(a.shape))
        if ctx.next[1] is not None:
            gu = unbroadcast(g * _const(ctx, ctx.dxdu, g), tuple(u.shape))
        return ga, gu


def _const(ctx, array, like):
    from ..tensor import _make
    return _make(array.astype(like._data.dtype), ctx.device)
