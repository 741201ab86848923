"""Fit a line and a small two-layer network with ember's autograd, printing the loss as it falls.

    python examples/fit_linear.py
"""

import ember


def fit_line(steps: int = 200, lr: float = 0.1) -> None:
    """Least squares by gradient descent: y = 3x - 2 plus noise."""
    ember.manual_seed(0)
    x = ember.linspace(-1, 1, 100).unsqueeze(1)
    y = 3 * x - 2 + 0.1 * ember.randn(100, 1)
    w = ember.zeros(1, 1, requires_grad=True)
    b = ember.zeros(1, requires_grad=True)
    for step in range(steps + 1):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with ember.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
        if step % 40 == 0:
            print(f"line   step {step:4d}  loss {loss.item():.5f}")
    print(f"fitted y = {w.item():.3f} x + {b.item():.3f}  (true: 3x - 2)")


def fit_sine(steps: int = 2000, lr: float = 0.05) -> None:
    """A 1-16-1 tanh network fitted to sin(x) with plain gradient descent."""
    ember.manual_seed(0)
    x = ember.linspace(-3, 3, 64).unsqueeze(1)
    y = ember.sin(x)
    w1 = (ember.randn(1, 16) * 0.5).requires_grad_()
    b1 = ember.zeros(16, requires_grad=True)
    w2 = (ember.randn(16, 1) * 0.5).requires_grad_()
    b2 = ember.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    for step in range(steps + 1):
        pred = ember.tanh(x @ w1 + b1) @ w2 + b2
        loss = ((pred - y) ** 2).mean()
        grads = ember.autograd.grad(loss, params)
        with ember.no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
        if step % 400 == 0:
            print(f"sine   step {step:4d}  loss {loss.item():.5f}")


if __name__ == "__main__":
    fit_line()
    fit_sine()
