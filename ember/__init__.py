"""ember: a deep-learning framework built from first principles.

Tensors on the CPU (NumPy) and NVIDIA GPUs (CuPy), reverse-mode autograd with gradients of
gradients, and the mathematics of machine learning as differentiable tools. Where PyTorch has a
feature, ember uses its names and semantics.
"""

from . import autograd, backend
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .backend import (
    DType,
    Generator,
    bool_,
    complex64,
    complex128,
    default_generator,
    device,
    finfo,
    float16,
    float32,
    float64,
    get_default_device,
    get_default_dtype,
    get_rng_state,
    iinfo,
    initial_seed,
    int8,
    int16,
    int32,
    int64,
    manual_seed,
    promote_types,
    seed,
    set_default_device,
    set_default_dtype,
    set_rng_state,
    uint8,
)
from .creation import (
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from .ops import functions as _functions
from .ops.reduce import (
    cummax_result,
    cummin_result,
    kthvalue_result,
    max_result,
    median_result,
    min_result,
    sort_result,
    topk_result,
)
from .ops.shape import broadcast_shapes
from .random import (
    bernoulli,
    multinomial,
    normal,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)
from .tensor import Size, Tensor, is_tensor

globals().update(_functions())

from . import (  # noqa: E402  (built on the ops above)
    cuda,
    data,
    datasets,
    distributions,
    func,
    info,
    linalg,
    models,
    nn,
    optim,
    stats,
    viz,
)
from .linalg import cdist, dist  # noqa: E402
from .serialization import load, save  # noqa: E402

# torch's top-level names for linear algebra, and the Tensor methods
det = linalg.det
slogdet = linalg.slogdet
logdet = linalg.logdet
inverse = linalg.inv
pinverse = linalg.pinv
matrix_power = linalg.matrix_power
matrix_exp = linalg.matrix_exp
cross = linalg.cross
for _name, _fn in (("det", linalg.det), ("slogdet", linalg.slogdet), ("logdet", linalg.logdet),
                   ("inverse", linalg.inv),
                   ("pinverse", linalg.pinv), ("matrix_power", linalg.matrix_power),
                   ("matrix_exp", linalg.matrix_exp), ("cross", linalg.cross)):
    setattr(Tensor, _name, _fn)

# torch.softmax / torch.log_softmax and the Tensor methods (defined with the activations)
softmax = nn.functional.softmax
log_softmax = nn.functional.log_softmax
Tensor.softmax = nn.functional.softmax
Tensor.log_softmax = nn.functional.log_softmax

bool = bool_  # noqa: A001  (ember.bool, as torch.bool)
float = float32  # noqa: A001  (ember.float is float32, as torch.float)
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
cfloat = complex64
cdouble = complex128

__version__ = "0.1.0"


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    return input.is_complex()


def numel(input: Tensor) -> int:
    return input.numel()


def result_type(tensor1, tensor2) -> DType:
    """The dtype PyTorch's promotion gives an op of these two operands."""
    from .ops._util import result_dtype
    return result_dtype(tensor1, tensor2)


def can_cast(from_: DType, to: DType) -> bool:
    """Whether casting is allowed by PyTorch's rule: never to a lower category."""
    return from_.category <= to.category


class return_types:  # noqa: N801  (torch.return_types)
    max = max_result
    min = min_result
    median = median_result
    kthvalue = kthvalue_result
    cummax = cummax_result
    cummin = cummin_result
    sort = sort_result
    topk = topk_result
