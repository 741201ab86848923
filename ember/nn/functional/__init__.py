"""ember.nn.functional: the functional forms of the layers, activations and losses
(PyTorch's torch.nn.functional)."""

from .activation import *  # noqa: F403
from .activation import __all__ as _activation_all
from .attention import *  # noqa: F403
from .attention import __all__ as _attention_all
from .basic import *  # noqa: F403
from .basic import __all__ as _basic_all
from .conv import *  # noqa: F403
from .conv import __all__ as _conv_all
from .loss import *  # noqa: F403
from .loss import __all__ as _loss_all

__all__ = [*_activation_all, *_attention_all, *_basic_all, *_conv_all, *_loss_all]
