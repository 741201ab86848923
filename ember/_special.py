"""Special functions on arrays of any array namespace `xp` (NumPy has none of them built in).

erf, erfc, erfinv, lgamma, digamma and polygamma, accurate to a few ulps in float64, written with
`xp` alone so that one implementation serves every device that lacks a native one. Inputs are
computed in float64 and the result is cast back to the input's floating dtype.

Methods: Chebyshev expansions (coefficients from tools/gen_special.py) for erf and erfc;
Halley's iteration on erf/erfc for erfinv; the recurrence Gamma(x + 1) = x Gamma(x) up to x >= 15,
then Stirling's / the asymptotic series, with the reflection formulas for x < 1/2, for lgamma,
digamma and polygamma; a Taylor series in zeta values near lgamma's zeros at 1 and 2.
"""

import math

from . import _special_tables as tables

_SQRT_PI = math.sqrt(math.pi)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_SHIFT = 15.0  # recurrences move x up to at least this before an asymptotic series is used
_EULER_GAMMA = 0.5772156649015329


def _as_float64(xp, x):
    x = xp.asarray(x)
    out_dtype = x.dtype if x.dtype.kind in "fc" else xp.dtype("float64")
    return x.astype(xp.float64, copy=False), out_dtype


def _clenshaw(xp, table, x):
    a, b, coeffs = table
    t = (2.0 * x - (a + b)) / (b - a)
    t2 = 2.0 * t
    b1 = xp.zeros_like(t)
    b2 = xp.zeros_like(t)
    for c in coeffs[:0:-1]:
        b1, b2 = t2 * b1 - b2 + c, b1
    return t * b1 - b2 + coeffs[0]


def _erfcx_positive(xp, x):
    """exp(x^2) erfc(x) for x >= 2 (finite, slowly decaying like 1 / (x sqrt(pi)))."""
    out = xp.empty_like(x)
    pieces = ((tables.ERFCX_2_4, 2.0, 4.0), (tables.ERFCX_4_8, 4.0, 8.0),
              (tables.ERFCX_8_16, 8.0, 16.0), (tables.ERFCX_16_32, 16.0, 32.0))
    for table, lo, hi in pieces:
        mask = (x >= lo) & (x < hi)
        if mask.any():
            out[mask] = _clenshaw(xp, table, x[mask])
    big = x >= 32.0
    if big.any():
        # asymptotic series 1/(x sqrt(pi)) * sum_k (-1)^k (2k-1)!! / (2x^2)^k, 7 terms: < 1e-17 here
        xb = x[big]
        u = 1.0 / (2.0 * xb * xb)
        term = xp.ones_like(xb)
        total = xp.ones_like(xb)
        for k in range(1, 8):
            term = term * (-(2 * k - 1)) * u
            total = total + term
        out[big] = total / (xb * _SQRT_PI)
    return out


def _erf_small(xp, x):
    """erf(x) for |x| < 2 as x * P(x^2)."""
    return x * _clenshaw(xp, tables.ERF_OVER_X_OF_X2, x * x)


def erf(xp, x):
    x, out_dtype = _as_float64(xp, x)
    ax = xp.abs(x)
    small = ax < 2.0
    out = xp.empty_like(x)
    if small.any():
        out[small] = _erf_small(xp, x[small])
    large = ~small
    if large.any():
        axl = ax[large]
        with_nan = xp.where(xp.isnan(axl), 2.0, axl)
        tail = xp.exp(-with_nan * with_nan) * _erfcx_positive(xp, with_nan)
        value = xp.where(xp.isnan(axl), xp.nan, 1.0 - tail)
        out[large] = xp.copysign(value, x[large])
    return out.astype(out_dtype, copy=False)


def erfc(xp, x):
    x, out_dtype = _as_float64(xp, x)
    out = xp.empty_like(x)
    mid = xp.abs(x) < 0.5
    if mid.any():
        out[mid] = 1.0 - _erf_small(xp, x[mid])
    # on [0.5, 2) 1 - erf would lose digits: exp(-x^2) erfcx(x) keeps them
    upper = (x >= 0.5) & (x < 2.0)
    if upper.any():
        xu = x[upper]
        out[upper] = xp.exp(-xu * xu) * _clenshaw(xp, tables.ERFCX_0P5_2, xu)
    lower = (x <= -0.5) & (x > -2.0)
    if lower.any():
        out[lower] = 1.0 - _erf_small(xp, x[lower])
    pos = x >= 2.0
    if pos.any():
        xp_ = xp.minimum(x[pos], 40.0)  # erfc underflows to 0 long before 40
        out[pos] = xp.exp(-xp_ * xp_) * _erfcx_positive(xp, xp_)
    neg = x <= -2.0
    if neg.any():
        xn = xp.minimum(-x[neg], 40.0)
        out[neg] = 2.0 - xp.exp(-xn * xn) * _erfcx_positive(xp, xn)
    nan = xp.isnan(x)
    if nan.any():
        out[nan] = xp.nan
    return out.astype(out_dtype, copy=False)


def erfinv(xp, x):
    """Inverse of erf on (-1, 1); +-inf at +-1, nan outside [-1, 1]."""
    x, out_dtype = _as_float64(xp, x)
    ax = xp.abs(x)
    inside = ax < 1.0
    safe = xp.where(inside, ax, 0.0)
    # Winitzki's closed form (relative error ~2e-3) as the starting point.
    a = 0.147
    ln = xp.log1p(-safe * safe)
    first = 2.0 / (math.pi * a) + ln / 2.0
    y = xp.sqrt(xp.sqrt(first * first - ln / a) - first)
    # Halley steps on erf(y) = |x| (or erfc(y) = 1 - |x| in the tail, where 1 - |x| is exact).
    tail = safe > 0.5
    target_c = 1.0 - safe
    for _ in range(3):
        dens = (2.0 / _SQRT_PI) * xp.exp(-y * y)
        resid = xp.where(tail, target_c - erfc(xp, y), erf(xp, y) - safe)
        step = resid / dens
        y = y - step / (1.0 + y * step)
    out = xp.copysign(y, x)
    out = xp.where(ax == 1.0, xp.copysign(xp.inf, x), out)
    out = xp.where(inside | (ax == 1.0), out, xp.nan)
    return out.astype(out_dtype, copy=False)


def _sinpi(xp, x):
    """sin(pi x) with the argument reduced exactly first."""
    r = x - 2.0 * xp.floor(x / 2.0)  # in [0, 2)
    return xp.sin(math.pi * r)


def _cotpi(xp, x):
    r = x - xp.floor(x)  # in [0, 1)
    return xp.cos(math.pi * r) / xp.sin(math.pi * r)


def _shift_up(xp, x):
    """How many unit steps bring the smallest element of x up to _SHIFT."""
    steps = int(max(0.0, math.ceil(_SHIFT - float(x.min())))) if x.size else 0
    return steps


def _lgamma_positive(xp, x):
    """log Gamma(x) for x >= 1/2."""
    steps = _shift_up(xp, x)
    z = x.copy()
    log_prod = xp.zeros_like(x)
    for _ in range(steps):
        below = z < _SHIFT
        log_prod = log_prod + xp.where(below, xp.log(xp.where(below, z, 1.0)), 0.0)
        z = xp.where(below, z + 1.0, z)
    zinv = 1.0 / z
    zinv2 = zinv * zinv
    series = xp.zeros_like(z)
    for k in range(8, 0, -1):  # sum_k B_2k / (2k (2k - 1) z^(2k - 1))
        b = tables.BERNOULLI_EVEN[k - 1]
        series = series * zinv2 + b / (2 * k * (2 * k - 1))
    stirling = (z - 0.5) * xp.log(z) - z + _HALF_LOG_2PI + series * zinv
    out = stirling - log_prod
    # Near the zeros at 1 and 2 use lgamma(1 + e) = -gamma e + sum_k (-1)^k zeta(k) e^k / k.
    for center, extra in ((1.0, False), (2.0, True)):
        near = xp.abs(x - center) < 0.2
        if near.any():
            e = x[near] - center
            acc = xp.zeros_like(e)
            for k in range(len(tables.ZETA_FROM_2) + 1, 1, -1):
                acc = acc * e + ((-1) ** k) * tables.ZETA_FROM_2[k - 2] / k
            value = e * (acc * e - _EULER_GAMMA)
            if extra:
                value = value + xp.log1p(e)
            out[near] = value
    return out


def lgamma(xp, x):
    """log |Gamma(x)|; +inf at the poles 0, -1, -2, ..."""
    x, out_dtype = _as_float64(xp, x)
    out = xp.empty_like(x)
    pos = x >= 0.5
    if pos.any():
        out[pos] = _lgamma_positive(xp, x[pos])
    neg = x < 0.5
    if neg.any():
        xn = x[neg]
        s = xp.abs(_sinpi(xp, xn))
        pole = (xn == xp.floor(xn)) | (s == 0.0)
        refl = math.log(math.pi) - xp.log(xp.where(pole, 1.0, s)) - _lgamma_positive(xp, 1.0 - xn)
        out[neg] = xp.where(pole, xp.inf, refl)
    nan = xp.isnan(x)
    if nan.any():
        out[nan] = xp.nan
    posinf = xp.isinf(x)
    if posinf.any():
        out[posinf] = xp.inf
    return out.astype(out_dtype, copy=False)


def _polygamma_positive(xp, n, x):
    """psi^(n)(x) for x >= 1/2: the recurrence up to z >= 15, then the asymptotic series."""
    steps = _shift_up(xp, x)
    z = x.copy()
    acc = xp.zeros_like(x)
    for _ in range(steps):
        below = z < _SHIFT
        zb = xp.where(below, z, 1.0)
        if n == 0:
            acc = acc - xp.where(below, 1.0 / zb, 0.0)
        else:
            acc = acc + xp.where(below, 1.0 / zb ** (n + 1), 0.0)
        z = xp.where(below, z + 1.0, z)
    zinv = 1.0 / z
    zinv2 = zinv * zinv
    if n == 0:
        series = xp.zeros_like(z)
        for k in range(10, 0, -1):  # psi(z) ~ log z - 1/(2z) - sum_k B_2k / (2k z^2k)
            series = series * zinv2 + tables.BERNOULLI_EVEN[k - 1] / (2 * k)
        return xp.log(z) - 0.5 * zinv - series * zinv2 + acc
    # psi^(n)(z) ~ (-1)^(n+1) [ (n-1)!/z^n + n!/(2 z^(n+1))
    #                          + sum_k B_2k (2k+n-1)!/((2k)! z^(2k+n)) ]
    series = xp.zeros_like(z)
    for k in range(10, 0, -1):
        coef = tables.BERNOULLI_EVEN[k - 1] * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
        series = series * zinv2 + coef
    body = math.factorial(n - 1) * zinv ** n + math.factorial(n) * 0.5 * zinv ** (n + 1)
    body = body + series * zinv ** (n + 2)
    sign = -1.0 if n % 2 == 0 else 1.0
    return sign * body + sign * math.factorial(n) * acc


def _cot_derivative_poly(n):
    """Coefficients p with d^n/dz^n cot(z) = sum_i p[i] c^i, c = cot z."""
    p = [0, 1]
    for _ in range(n):
        dp = [i * p[i] for i in range(1, len(p))]  # d/dc
        # times dc/dz = -(1 + c^2)
        q = [0] * (len(dp) + 2)
        for i, v in enumerate(dp):
            q[i] -= v
            q[i + 2] -= v
        p = q
    return p


def polygamma(xp, n, x):
    """The n-th derivative of digamma; n = 0 is digamma itself."""
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"polygamma: n must be a non-negative integer, got {n!r}")
    x, out_dtype = _as_float64(xp, x)
    out = xp.empty_like(x)
    pos = x >= 0.5
    if pos.any():
        out[pos] = _polygamma_positive(xp, n, x[pos])
    neg = x < 0.5
    if neg.any():
        # psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x))
        xn = x[neg]
        pole = xn == xp.floor(xn)
        c = _cotpi(xp, xp.where(pole, 0.5, xn))
        poly = xp.zeros_like(xn)
        for coef in reversed(_cot_derivative_poly(n)):
            poly = poly * c + coef
        value = (-1.0) ** n * _polygamma_positive(xp, n, 1.0 - xn) - math.pi ** (n + 1) * poly
        if n == 0:
            at_pole = xp.where(xn == 0.0, -xp.inf, xp.nan)
        else:
            at_pole = xp.where(xn == 0.0, xp.inf if n % 2 == 1 else xp.nan, xp.nan)
        out[neg] = xp.where(pole, at_pole, value)
    nan = xp.isnan(x)
    if nan.any():
        out[nan] = xp.nan
    posinf = xp.isposinf(x)
    if posinf.any():
        out[posinf] = xp.inf if n == 0 else 0.0
    return out.astype(out_dtype, copy=False)


def digamma(xp, x):
    return polygamma(xp, 0, x)
