"""ember.linalg: the linear algebra of machine learning, batched and differentiable.

PyTorch's torch.linalg names and semantics (norms, det, inv, solve, lstsq, the factorizations,
matrix functions), on batches of matrices (leading dims), with gradients where PyTorch has them.
Beyond torch.linalg:

- `analyze_system(A, b)`: unique / infinitely many / no solutions (Rouché–Capelli), with the
  particular solution, the null space and the least-squares residual;
- `solve` and `inv` raise `LinAlgError` for a singular matrix, naming the batch element and its
  rank, instead of returning garbage (the `_ex` variants return info codes);
- `definiteness`, `is_positive_definite` from eigenvalues; `volume_scale` (|det A| and
  orientation); `angle` and `cosine_similarity` between vectors.

Modules: norms (norms, cond, distances), decompositions (cholesky, qr, eigh, eig, svd, LU),
solve (det, inverses, systems, lstsq), products (vecdot, cross, multi_dot, matrix_power,
matrix_exp), similarity, systems. Gradients are derived for real inputs; complex inputs are
supported in the forward computations.
"""

from ..ops.reduce import vector_norm
from ._common import LinAlgError
from .decompositions import (
    cholesky,
    cholesky_ex,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
    qr,
    svd,
    svdvals,
)
from .norms import cdist, cond, dist, matrix_norm, norm, pairwise_distance, pdist
from .products import (
    cross,
    diagonal,
    householder_product,
    matrix_exp,
    matrix_power,
    multi_dot,
    vander,
    vecdot,
)
from .similarity import angle
from .similarity import linalg_cosine_similarity as cosine_similarity
from .solve import (
    det,
    inv,
    inv_ex,
    logdet,
    lstsq,
    matrix_rank,
    pinv,
    slogdet,
    solve,
    solve_ex,
    solve_triangular,
    tensorinv,
    tensorsolve,
)
from .systems import (
    SystemAnalysis,
    analyze_system,
    definiteness,
    is_positive_definite,
    volume_scale,
)

__all__ = [
    "LinAlgError", "SystemAnalysis",
    "vector_norm", "matrix_norm", "norm", "cond", "dist", "cdist", "pairwise_distance", "pdist",
    "cosine_similarity", "angle", "vecdot", "cross", "multi_dot", "diagonal",
    "det", "logdet", "slogdet", "inv", "inv_ex", "pinv", "matrix_rank", "solve", "solve_ex",
    "solve_triangular", "lstsq", "cholesky", "cholesky_ex", "qr", "eigh", "eigvalsh", "eig",
    "eigvals", "svd", "svdvals", "lu_factor", "lu_factor_ex", "lu", "lu_solve",
    "matrix_power", "matrix_exp", "householder_product", "vander", "tensorinv", "tensorsolve",
    "analyze_system", "definiteness", "is_positive_definite", "volume_scale",
]
