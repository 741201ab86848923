"""Information theory in bits, nats or dits: self-information, entropy, cross-entropy, KL and
Jensen-Shannon divergences, and the joint, conditional and mutual information of a joint
probability table.

Every function takes `base`: 2 for bits (the default here; `BITS`), math.e for nats (`NATS`,
what PyTorch's losses and ember.distributions use) or 10 for dits / hartleys / bans (`DITS`,
`HARTLEYS`, `BANS`); any positive base other than 1 works. A value in base b is the nats value
divided by ln b.

Inputs are probability vectors along `dim` (batched over the other dims). They are checked:
entries must be non-negative and each distribution must sum to 1 within `tol` (1e-6; 1e-3 for
float16), else ValueError naming the offending row; `check=False` skips this (e.g. inside a
training loop). Everything is differentiable, with these conventions:

- 0 log 0 = 0 and 0 log q = 0 for any q: no nan in the value, and a zero gradient for that
  term (where the derivative of p log p is -inf, ember takes the subgradient 0, PyTorch's
  xlogy convention).
- q = 0 where p > 0 gives +inf in cross_entropy and kl_divergence (the code length of an
  impossible event is infinite); the gradient there is inf, never nan.

A Distribution may be passed to entropy and kl_divergence (and cross_entropy): they then use
its closed form (Distribution.entropy / distributions.kl_divergence) in the requested base.
"""

from __future__ import annotations

import math

from .autograd import no_grad
from .ops._util import wrap_dim
from .tensor import Tensor

__all__ = ["BANS", "BITS", "DITS", "HARTLEYS", "NATS", "conditional_entropy",
           "cross_entropy", "entropy", "joint_entropy", "jensen_shannon", "kl_divergence",
           "mutual_information", "self_information"]

BITS = 2
NATS = math.e
DITS = 10
HARTLEYS = 10
BANS = 10


def _is_distribution(x) -> bool:
    from .distributions import Distribution
    return isinstance(x, Distribution)


def _log_base(op: str, base) -> float:
    from .distributions.distribution import check_base
    try:
        return math.log(check_base(base))
    except ValueError as e:
        raise ValueError(f"{op}: {e}") from None


def _as_probs(op: str, name: str, p) -> Tensor:
    from .distributions.utils import as_tensor
    if not isinstance(p, Tensor):
        try:
            p = as_tensor(p)
        except (TypeError, ValueError):
            raise TypeError(f"{op}: {name} must be a Tensor or array-like of probabilities, got "
                            f"{type(p).__name__}") from None
    if not p.dtype.is_floating_point:
        from .backend import get_default_dtype
        p = p.to(get_default_dtype())
    return p


def _both_distributions(op: str, p, q) -> bool:
    """True for two Distributions, False for two probability tables; TypeError for a mix."""
    dp, dq = _is_distribution(p), _is_distribution(q)
    if dp != dq:
        raise TypeError(f"{op}: p and q must both be Distributions or both probability "
                        f"tensors, got {type(p).__name__} and {type(q).__name__}")
    return dp


def _as_prob_pair(op: str, p, q) -> tuple:
    """p and q as probability tensors of broadcastable shapes (RuntimeError naming op)."""
    from .ops._util import broadcast_shapes_or_raise
    p = _as_probs(op, "p", p)
    q = _as_probs(op, "q", q)
    broadcast_shapes_or_raise(op, tuple(p.shape), tuple(q.shape))
    return p, q


def _default_tol(p: Tensor) -> float:
    return 1e-3 if p.dtype.name == "float16" else 1e-6


def _row(index: tuple) -> str:
    return "the distribution" if not index else f"row {index}"


def _check_distribution(op: str, name: str, p: Tensor, dims: tuple, tol) -> None:
    """ValueError unless every slice of p over `dims` is a probability distribution."""
    tol = _default_tol(p) if tol is None else tol
    with no_grad():
        nd = p.ndim
        if not nd:
            raise ValueError(f"{op}: {name} must have at least one dim of probabilities, got a "
                             f"scalar")
        dims = tuple(sorted(wrap_dim(d, nd, op) for d in dims))
        rest = [d for d in range(nd) if d not in dims]
        q = p.permute(rest + list(dims)).reshape(tuple(p.shape[d] for d in rest) + (-1,))
        bad_entry = (q < 0) | q.isnan()
        if bool(bad_entry.any()):
            row = tuple(int(i) for i in bad_entry.any(-1).nonzero()[0].tolist())
            vals = q[row] if row else q
            raise ValueError(f"{op}: {name} must be non-negative probabilities, but "
                             f"{_row(row)} (over dim {_dims_str(dims, nd)}) holds "
                             f"{vals.detach().tolist()}")
        sums = q.sum(-1)
        off = (sums - 1).abs() > tol
        if bool(off.any()):
            row = tuple(int(i) for i in off.nonzero()[0].tolist())
            total = float(sums[row].item()) if row else float(sums.item())
            raise ValueError(f"{op}: {name} must sum to 1 over dim {_dims_str(dims, nd)}, but "
                             f"{_row(row)} sums to {total:.9g} (tolerance {tol:g})")


def _dims_str(dims: tuple, nd: int) -> str:
    return str(dims[0] - nd) if len(dims) == 1 else str(tuple(d - nd for d in dims))


def _plogp(p: Tensor) -> Tensor:
    """p log p, 0 at p = 0 with a zero gradient there (no nan)."""
    pos = p > 0
    safe = p.where(pos, 1.0)
    return (p * safe.log()).where(pos, 0.0)


def _plogq(p: Tensor, q: Tensor) -> Tensor:
    """p log q, 0 wherever p = 0 (any q); -inf where q = 0 < p."""
    pos = p > 0
    safe = q.where(pos, 1.0)
    return (p * safe.log()).where(pos, 0.0)


def self_information(p, base=BITS) -> Tensor:
    """The information content (surprisal) of an event of probability p: -log_b p.

    A fair coin's head carries 1 bit, a die's face log2 6 = 2.585 bits; p = 0 gives +inf.
    Raises ValueError for probabilities outside [0, 1].
    """
    op = "self_information"
    p = _as_probs(op, "p", p)
    ln_b = _log_base(op, base)
    with no_grad():
        bad = (p < 0) | (p > 1) | p.isnan()
        if bool(bad.any()):
            raise ValueError(f"{op}: probabilities must lie in [0, 1], got "
                             f"{p[bad].detach().tolist()}")
    return -p.log() / ln_b


def entropy(probs, dim: int = -1, base=BITS, *, check: bool = True, tol=None) -> Tensor:
    r"""Shannon entropy H(p) = -sum_i p_i log_b p_i along `dim` (batched over the rest).

    A fair coin has 1 bit, a fair die log2 6 = 2.585 bits, and yut (four sticks: do, gae, geol,
    yut, mo with probabilities 4/16, 6/16, 4/16, 1/16, 1/16) 2.0306 bits. Given a
    Distribution, returns its (differential) entropy in the base: dist.entropy(base=base).
    """
    op = "entropy"
    if _is_distribution(probs):
        _log_base(op, base)
        return probs.entropy(base=base)
    p = _as_probs(op, "probs", probs)
    ln_b = _log_base(op, base)
    if check:
        _check_distribution(op, "probs", p, (dim,), tol)
    return -_plogp(p).sum(dim) / ln_b


def cross_entropy(p, q, dim: int = -1, base=BITS, *, check: bool = True, tol=None) -> Tensor:
    r"""Cross-entropy H(p, q) = -sum_i p_i log_b q_i of probability vectors (not logits: for
    a loss on logits use a log-softmax) = entropy(p) + kl_divergence(p, q). +inf where
    q_i = 0 < p_i. Given two Distributions, returns H(p) + KL(p || q) from closed forms."""
    op = "cross_entropy"
    if _both_distributions(op, p, q):
        return entropy(p, base=base) + kl_divergence(p, q, base=base)
    p, q = _as_prob_pair(op, p, q)
    ln_b = _log_base(op, base)
    if check:
        _check_distribution(op, "p", p, (dim,), tol)
        _check_distribution(op, "q", q, (dim,), tol)
    return -_plogq(p, q).sum(dim) / ln_b


def kl_divergence(p, q, dim: int = -1, base=BITS, *, check: bool = True, tol=None) -> Tensor:
    r"""Kullback-Leibler divergence KL(p || q) = sum_i p_i log_b (p_i / q_i) >= 0, 0 iff
    p = q; +inf where q_i = 0 < p_i. Given two Distributions, the closed form of
    ember.distributions.kl_divergence in the base."""
    op = "kl_divergence"
    if _both_distributions(op, p, q):
        from .distributions import kl_divergence as kl
        _log_base(op, base)
        return kl(p, q, base=base)
    p, q = _as_prob_pair(op, p, q)
    ln_b = _log_base(op, base)
    if check:
        _check_distribution(op, "p", p, (dim,), tol)
        _check_distribution(op, "q", q, (dim,), tol)
    return (_plogp(p) - _plogq(p, q)).sum(dim) / ln_b


def jensen_shannon(p, q, dim: int = -1, base=BITS, *, check: bool = True, tol=None) -> Tensor:
    r"""Jensen-Shannon divergence JS(p, q) = (KL(p || m) + KL(q || m)) / 2 with
    m = (p + q) / 2: symmetric, finite, in [0, 1] bits (its square root is a metric)."""
    op = "jensen_shannon"
    p, q = _as_prob_pair(op, p, q)
    ln_b = _log_base(op, base)
    if check:
        _check_distribution(op, "p", p, (dim,), tol)
        _check_distribution(op, "q", q, (dim,), tol)
    m = 0.5 * (p + q)
    kl_pm = (_plogp(p) - _plogq(p, m)).sum(dim)
    kl_qm = (_plogp(q) - _plogq(q, m)).sum(dim)
    return 0.5 * (kl_pm + kl_qm) / ln_b


def _joint(op: str, joint, check: bool, tol) -> Tensor:
    p = _as_probs(op, "joint", joint)
    if p.ndim < 2:
        raise ValueError(f"{op}: joint must be a table p(x, y) of shape (..., X, Y), got shape "
                         f"{tuple(p.shape)}")
    if check:
        _check_distribution(op, "joint", p, (-2, -1), tol)
    return p


def joint_entropy(joint, base=BITS, *, check: bool = True, tol=None) -> Tensor:
    r"""H(X, Y) = -sum_{x,y} p(x, y) log_b p(x, y) of a joint table (..., X, Y) (rows index
    X, columns Y; leading dims are a batch)."""
    op = "joint_entropy"
    ln_b = _log_base(op, base)
    p = _joint(op, joint, check, tol)
    return -_plogp(p).sum((-2, -1)) / ln_b


def conditional_entropy(joint, given: int = 0, base=BITS, *, check: bool = True,
                        tol=None) -> Tensor:
    r"""H(Y | X) = H(X, Y) - H(X) of a joint table (..., X, Y): the uncertainty left in the
    column variable Y once the row variable X is known (given=0, the default), or H(X | Y)
    with given=1."""
    op = "conditional_entropy"
    if given not in (0, 1):
        raise ValueError(f"{op}: given must be 0 (condition on the rows, X) or 1 (the columns, "
                         f"Y), got {given!r}")
    ln_b = _log_base(op, base)
    p = _joint(op, joint, check, tol)
    marginal = p.sum(-1) if given == 0 else p.sum(-2)
    return (-_plogp(p).sum((-2, -1)) + _plogp(marginal).sum(-1)) / ln_b


def mutual_information(joint, base=BITS, *, check: bool = True, tol=None) -> Tensor:
    r"""I(X; Y) = H(X) + H(Y) - H(X, Y) = KL(p(x, y) || p(x) p(y)) >= 0 of a joint table
    (..., X, Y); 0 iff X and Y are independent."""
    op = "mutual_information"
    ln_b = _log_base(op, base)
    p = _joint(op, joint, check, tol)
    hx = -_plogp(p.sum(-1)).sum(-1)
    hy = -_plogp(p.sum(-2)).sum(-1)
    hxy = -_plogp(p).sum((-2, -1))
    return (hx + hy - hxy) / ln_b
