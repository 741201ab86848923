"""ember.nn: modules, parameters, layers, losses, initialisation and utilities
(PyTorch's torch.nn, with its names, arguments, defaults and state_dict layouts).

Importing ember.nn tunes glibc's malloc so that the large arrays of a training step are reused
rather than mapped and unmapped every step (see ember/nn/_malloc.py; EMBER_MALLOC_TUNING=0
turns it off).
"""

from . import _malloc

_malloc.tune()

from . import functional, init, utils  # noqa: E402
from .layers import *  # noqa: E402, F403
from .layers import __all__ as _layers_all  # noqa: E402
from .layers.transformer import NonDynamicallyQuantizableLinear  # noqa: E402
from .losses import (  # noqa: E402
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CosineSimilarity,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    NLLLoss,
    PairwiseDistance,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from .module import Module  # noqa: E402
from .parameter import Buffer, Parameter  # noqa: E402

__all__ = [
    *_layers_all, "Module", "Parameter", "Buffer", "functional", "init", "utils",
    "NonDynamicallyQuantizableLinear", "BCELoss", "BCEWithLogitsLoss", "CosineEmbeddingLoss",
    "CosineSimilarity", "CrossEntropyLoss", "GaussianNLLLoss", "HingeEmbeddingLoss",
    "HuberLoss", "KLDivLoss", "L1Loss", "MarginRankingLoss", "MSELoss", "NLLLoss",
    "PairwiseDistance", "PoissonNLLLoss", "SmoothL1Loss", "SoftMarginLoss", "TripletMarginLoss",
]
