"""ember.autograd: reverse-mode automatic differentiation.

`backward` and `grad` walk the graph that ops recorded; `Function` defines new differentiable
functions (ember's own ops use the same mechanism); `gradcheck` and `gradgradcheck` test
gradients against finite differences; `detect_anomaly` finds where nan gradients start.
"""

from . import functional
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, Node
from .grad_mode import (
                        enable_grad,
                        inference_mode,
                        is_grad_enabled,
                        is_inference_mode_enabled,
                        no_grad,
                        set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["Function", "Node", "backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError",
           "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled"]
