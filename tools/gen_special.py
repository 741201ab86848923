"""Generate ember/_special_tables.py: Chebyshev coefficients and constants for ember._special.

Run with mpmath installed (`pip install mpmath`):  python tools/gen_special.py

Each table is a Chebyshev expansion f(x) = sum_k c_k T_k(t) on an interval, with t the interval
mapped to [-1, 1]; coefficients come from the discrete cosine transform of f at Chebyshev nodes,
computed in 50-digit arithmetic and cut where they fall below 1e-19 of the largest.
"""

from pathlib import Path

import mpmath as mp

mp.mp.dps = 50
NODES = 96


def chebyshev(f, a, b):
    a, b = mp.mpf(a), mp.mpf(b)
    values = []
    for j in range(NODES):
        t = mp.cos(mp.pi * (j + mp.mpf(1) / 2) / NODES)
        values.append(f((b - a) / 2 * t + (a + b) / 2))
    coeffs = []
    for k in range(NODES):
        s = mp.fsum(values[j] * mp.cos(mp.pi * k * (j + mp.mpf(1) / 2) / NODES)
                    for j in range(NODES))
        coeffs.append(2 * s / NODES)
    coeffs[0] /= 2
    biggest = max(abs(c) for c in coeffs)
    while abs(coeffs[-1]) < biggest * mp.mpf("1e-19"):
        coeffs.pop()
    return [float(c) for c in coeffs]


def erf_over_x(x):
    return mp.erf(x) / x if x != 0 else 2 / mp.sqrt(mp.pi)


def erfcx(x):
    return mp.exp(x * x) * mp.erfc(x)


def table(name, coeffs, a, b):
    lines = [f"# {name} on [{a}, {b}], {len(coeffs)} terms", f"{name} = ({a!r}, {b!r}, ("]
    lines += [f"    {c!r}," for c in coeffs]
    lines.append("))")
    return "\n".join(lines)


def main():
    out = ['"""Tables for ember._special, written by tools/gen_special.py; do not edit."""', ""]
    # erf(x) / x on [0, 2]: an even entire function, expanded in x itself on [-2, 2] would waste
    # odd terms, so expand in s = x^2 on [0, 4].
    coeffs = chebyshev(lambda s: erf_over_x(mp.sqrt(s)), 0, 4)
    out.append(table("ERF_OVER_X_OF_X2", coeffs, 0.0, 4.0))
    for a, b in ((0.5, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, 16.0), (16.0, 32.0)):
        name = f"ERFCX_{a:g}_{b:g}".replace(".", "P")
        out.append(table(name, chebyshev(erfcx, a, b), a, b))
    zetas = [float(mp.zeta(k)) for k in range(2, 40)]
    out.append("# zeta(k) for k = 2, 3, ..., 39 (series of lgamma(1 + e))")
    out.append("ZETA_FROM_2 = (" + ", ".join(repr(z) for z in zetas) + ",)")
    bernoulli = [mp.bernoulli(2 * k) for k in range(1, 12)]
    out.append("# Bernoulli numbers B_2, B_4, ..., B_22 (Stirling and digamma asymptotic series)")
    out.append("BERNOULLI_EVEN = (" + ", ".join(repr(float(b)) for b in bernoulli) + ",)")
    path = Path(__file__).resolve().parent.parent / "ember" / "_special_tables.py"
    path.write_text("\n\n".join(out) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
