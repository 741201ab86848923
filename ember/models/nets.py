"""Networks used by the `ember` command: a multi-layer perceptron and a small CNN."""

from __future__ import annotations

from .. import nn

__all__ = ["MLP", "SimpleCNN", "ACTIVATIONS"]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
               "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "silu": nn.SiLU}


class MLP(nn.Module):
    """Fully connected layers of the given sizes with an activation (and dropout) between them:
    MLP([64, 128, 10]) is Linear(64, 128) - ReLU - Linear(128, 10). Inputs with more than two
    dims are flattened after the batch dim.

    .. math:: h_{l+1} = \\sigma(W_l h_l + b_l), \\quad \\text{logits} = W_L h_L + b_L
    """

    def __init__(self, sizes, activation: str = "relu", dropout: float = 0.0):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or any(s <= 0 for s in sizes):
            raise ValueError(f"MLP: sizes must be at least two positive integers (input and "
                             f"output), got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose from "
                             f"{', '.join(ACTIVATIONS)}")
        if not 0 <= dropout < 1:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        self.sizes = sizes
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
                if dropout:
                    layers.append(nn.Dropout(dropout))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x.flatten(1) if x.ndim > 2 else x)


class SimpleCNN(nn.Module):
    """conv(in -> c1, 3x3, pad 1) - ReLU - maxpool 2 - conv(c1 -> c2, 3x3, pad 1) - ReLU -
    maxpool 2 - flatten - linear(-> num_classes): for 28x28 MNIST images, or 8x8 digits."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28,
                 channels=(32, 64)):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"SimpleCNN: image_size must be a multiple of 4 (two 2x2 poolings), "
                             f"got {image_size}")
        c1, c2 = channels
        self.image_size = image_size
        self.in_channels = in_channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(c2 * (image_size // 4) ** 2, num_classes)

    def forward(self, x):
        if x.ndim == 2:  # flat images, e.g. the 64 pixels of a digit
            x = x.reshape(x.shape[0], self.in_channels, self.image_size, self.image_size)
        elif x.ndim == 3:
            x = x.unsqueeze(1)
        return self.classifier(self.features(x).flatten(1))
