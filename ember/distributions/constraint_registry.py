"""biject_to and transform_to: a transform from the real numbers onto each constraint's set.

`biject_to(c)` is a bijection (for change of variables); `transform_to(c)` any surjection
(softmax for the simplex), which is all an optimiser needs: `ember.stats.mle` optimises
unconstrained reals u and uses transform_to(constraint)(u) as the parameter, so the parameter
stays valid at every step. Extend them with `biject_to.register(constraint_class)(factory)`.
Names and semantics of torch.distributions.constraint_registry.
"""

from __future__ import annotations

from . import constraints
from . import transforms as T

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """A table from constraint types (or instances) to transform factories."""

    def __init__(self):
        self._registry = {}

    def register(self, constraint, factory=None):
        """register(constraint_type_or_instance, factory(constraint) -> Transform), also usable
        as a decorator."""
        if factory is None:
            return lambda f: self.register(constraint, f)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not isinstance(constraint, type) or not issubclass(constraint,
                                                              constraints.Constraint):
            raise TypeError(f"register: expected a Constraint subclass or instance, got "
                            f"{constraint!r}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint) -> T.Transform:
        try:
            factory = self._registry[type(constraint)]
        except KeyError:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} "
                                      f"constraints") from None
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _real(c):
    return T.identity_transform


def _independent_biject(c):
    return T.IndependentTransform(biject_to(c.base_constraint), c.reinterpreted_batch_ndims)


def _independent_transform(c):
    return T.IndependentTransform(transform_to(c.base_constraint), c.reinterpreted_batch_ndims)


def _greater_than(c):
    if c is constraints.positive or c is constraints.nonnegative:
        return T.ExpTransform()
    return T.ComposeTransform([T.ExpTransform(), T.AffineTransform(c.lower_bound, 1)])


def _less_than(c):
    return T.ComposeTransform([T.ExpTransform(), T.AffineTransform(c.upper_bound, -1)])


def _interval(c):
    lower_is_0 = isinstance(c.lower_bound, (int, float)) and c.lower_bound == 0
    upper_is_1 = isinstance(c.upper_bound, (int, float)) and c.upper_bound == 1
    if lower_is_0 and upper_is_1:
        return T.SigmoidTransform()
    return T.ComposeTransform([T.SigmoidTransform(),
                               T.AffineTransform(c.lower_bound, c.upper_bound - c.lower_bound)])


for _registry in (biject_to, transform_to):
    _registry.register(constraints._Real, _real)
    _registry.register(constraints._GreaterThan, _greater_than)
    _registry.register(constraints._GreaterThanEq, _greater_than)
    _registry.register(constraints._LessThan, _less_than)
    _registry.register(constraints._Interval, _interval)
    _registry.register(constraints._HalfOpenInterval, _interval)
    _registry.register(constraints._LowerCholesky, lambda c: T.LowerCholeskyTransform())
    _registry.register(constraints._PositiveDefinite, lambda c: T.PositiveDefiniteTransform())

biject_to.register(constraints._Independent, _independent_biject)
transform_to.register(constraints._Independent, _independent_transform)
biject_to.register(constraints._Simplex, lambda c: T.StickBreakingTransform())
transform_to.register(constraints._Simplex, lambda c: T.SoftmaxTransform())
