"""ember.optim: optimisation algorithms (PyTorch's torch.optim) and learning-rate schedules.

Gradient descent in its forms: SGD (batch, mini-batch and stochastic gradient descent, with
momentum and Nesterov momentum), Adagrad, Adadelta, RMSprop, Adam, AdamW, Adamax, NAdam,
RAdam, Rprop and L-BFGS. Each algorithm is one class with its per-parameter update rule written
as in PyTorch's documentation; the Optimizer base handles groups, state and state_dict.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "Adamax",
           "NAdam", "RAdam", "Rprop", "LBFGS", "lr_scheduler"]
