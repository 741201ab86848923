"""Transforms applied to samples: composition, normalisation, scaling and image augmentation.

Random transforms draw from `ember.data.batch_generator()`: inside a DataLoader each batch has
its own seeded generator (reproducible, and the same for any num_workers), elsewhere it is the
default generator that ember.manual_seed seeds; a transform may also be given its own
`generator=`.
"""

from __future__ import annotations

from .. import backend
from ..ops.shape import pad
from ..tensor import Tensor
from .dataloader import batch_generator

__all__ = ["Compose", "Lambda", "Normalize", "StandardScaler", "RandomCrop",
           "RandomHorizontalFlip", "ToTensor"]


class Compose:
    """Apply transforms one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class Lambda:
    """A transform from any function."""

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"Lambda: expected a callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)

    def __repr__(self) -> str:
        return f"Lambda({getattr(self.fn, '__name__', 'fn')})"


class ToTensor:
    """An image array becomes a tensor (C, H, W), as torchvision's ToTensor: (H, W, C) arrays
    are transposed, (H, W) ones get a channel dim; uint8 values become floats in [0, 1] (the
    default dtype), other dtypes are kept as they are."""

    def __call__(self, pic):
        from ..creation import as_tensor
        if isinstance(pic, Tensor):
            raise TypeError("ToTensor: pic should be a NumPy array (H, W) or (H, W, C), got a "
                            "Tensor (it is one already)")
        if not backend.is_array(pic) or pic.ndim not in (2, 3):
            raise TypeError(f"ToTensor: pic should be a NumPy array (H, W) or (H, W, C), got "
                            f"{getattr(pic, 'shape', type(pic).__name__)}")
        t = as_tensor(pic)
        t = t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1)
        if t.dtype.name == "uint8":
            return t.to(backend.get_default_dtype()) / 255.0
        return t

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """(x - mean) / std with one mean and std per channel, as torchvision's Normalize: for an
    image (..., C, H, W) (a batch too) the channel dim is the third from the end; a 1-D sample
    or a 2-D batch of table rows gets one per feature (the last dim). The input must be a
    floating-point tensor; inplace=True overwrites it."""

    def __init__(self, mean, std, inplace: bool = False):
        self.mean = [float(m) for m in mean] if hasattr(mean, "__iter__") else [float(mean)]
        self.std = [float(s) for s in std] if hasattr(std, "__iter__") else [float(std)]
        if len(self.mean) != len(self.std):
            raise ValueError(f"Normalize: mean has {len(self.mean)} values but std has "
                             f"{len(self.std)}")
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std evaluated to zero after conversion to float, "
                             f"leading to division by zero (std={self.std})")
        self.inplace = inplace

    def __call__(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or not x.is_floating_point():
            got = x.dtype if isinstance(x, Tensor) else type(x).__name__
            raise TypeError(f"Normalize: input tensor should be a float tensor, got {got}")
        n = len(self.mean)
        dim = -3 if x.ndim >= 3 else -1
        if x.ndim == 0 or (n != 1 and x.shape[dim] != n):
            what = "channels (dim -3)" if x.ndim >= 3 else "features (the last dim)"
            raise ValueError(f"Normalize: {n} means and stds for a tensor of shape "
                             f"{tuple(x.shape)}, whose {what} number "
                             f"{x.shape[dim] if x.ndim else 0}")
        shape = (n,) + (1,) * (-dim - 1)
        mean = x.new_tensor(self.mean).reshape(shape)
        std = x.new_tensor(self.std).reshape(shape)
        if self.inplace:
            return x.sub_(mean).div_(std)
        return (x - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class StandardScaler:
    """Features scaled to mean 0 and variance 1, with the statistics of the data given to fit()
    (fit on the training split only, then transform every split with them)."""

    def __init__(self, eps: float = 1e-12):
        self.eps = eps
        self.mean_ = None
        self.scale_ = None

    def fit(self, x: Tensor) -> StandardScaler:
        """Learn per-feature mean and standard deviation from x: (N, D)."""
        if not isinstance(x, Tensor) or x.ndim != 2 or x.shape[0] == 0:
            raise ValueError("StandardScaler.fit: expected a non-empty (N, D) tensor, got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
        x = x.detach().double()
        self.mean_ = x.mean(0)
        std = x.std(0, correction=0)
        self.scale_ = std.where(std > self.eps, std.new_ones(std.shape))
        return self

    def _check(self):
        if self.mean_ is None:
            raise RuntimeError("StandardScaler: call fit() on the training data first")

    def transform(self, x: Tensor) -> Tensor:
        self._check()
        if x.shape[-1] != self.mean_.shape[0]:
            raise ValueError(f"StandardScaler: fitted on {self.mean_.shape[0]} features, got "
                             f"{x.shape[-1]}")
        dtype = x.dtype if x.is_floating_point() else None
        out = (x.double() - self.mean_) / self.scale_
        return out.to(dtype) if dtype is not None else out.float()

    def fit_transform(self, x: Tensor) -> Tensor:
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Tensor) -> Tensor:
        self._check()
        return (x.double() * self.scale_ + self.mean_).to(x.dtype)

    __call__ = transform

    def __repr__(self) -> str:
        return "StandardScaler(fitted)" if self.mean_ is not None else "StandardScaler()"


_PADDING_MODES = {"constant": "constant", "edge": "replicate", "reflect": "reflect",
                  "symmetric": "symmetric", "replicate": "replicate", "circular": "circular"}


def _pad_image(img: Tensor, left: int, top: int, right: int, bottom: int, mode: str,
               fill) -> Tensor:
    """Pad the last two dims (H, W) of an image: torchvision's modes 'constant' (fill),
    'edge', 'reflect' (the edge not repeated) and 'symmetric' (the edge repeated)."""
    mode = _PADDING_MODES[mode]
    if mode != "symmetric":
        return pad(img, (left, right, top, bottom), mode=mode,
                   value=fill if mode == "constant" else None)
    np_ = backend.cpu.xp
    for dim, (lo, hi) in ((-2, (top, bottom)), (-1, (left, right))):
        if lo or hi:
            index = np_.pad(np_.arange(img.shape[dim]), (lo, hi), mode="symmetric")
            img = img.index_select(img.ndim + dim, img.new_tensor(index.tolist()).long())
    return img


class RandomCrop:
    """A random size x size window of a (..., H, W) image, as torchvision's RandomCrop.

    size: an int (square) or (h, w). padding: applied first, an int (every border), (left and
    right, top and bottom) or (left, top, right, bottom). pad_if_needed: pad an image smaller
    than the crop by the missing size on both sides. fill: the value of 'constant' padding.
    padding_mode: 'constant', 'edge', 'reflect' or 'symmetric' (nn.functional.pad's
    'replicate' and 'circular' are accepted too).
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill: float = 0,
                 padding_mode: str = "constant", generator=None):
        if isinstance(size, int):
            size = (size, size)
        size = tuple(int(s) for s in size)
        if len(size) == 1:
            size = (size[0], size[0])
        if len(size) != 2 or min(size) <= 0:
            raise ValueError(f"RandomCrop: size must be a positive int or (h, w), got {size}")
        self.size = size
        if padding is not None:
            if isinstance(padding, int):
                padding = (padding,)
            padding = tuple(int(p) for p in padding)
            if len(padding) not in (1, 2, 4):
                raise ValueError(f"RandomCrop: padding must be an int or a 1, 2, or 4 element "
                                 f"tuple, not a {len(padding)} element tuple")
        self.padding = padding
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"RandomCrop: padding_mode should be either constant, edge, "
                             f"reflect or symmetric, got {padding_mode!r}")
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode
        self.generator = generator

    def _borders(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom), as torchvision reads `padding`."""
        p = self.padding
        if len(p) == 1:
            return p * 4
        if len(p) == 2:
            return p[0], p[1], p[0], p[1]
        return p

    def __call__(self, img: Tensor) -> Tensor:
        if img.ndim < 2:
            raise ValueError(f"RandomCrop: expected an image (..., H, W), got shape "
                             f"{tuple(img.shape)}")
        if self.padding is not None:
            img = _pad_image(img, *self._borders(), self.padding_mode, self.fill)
        h, w = img.shape[-2], img.shape[-1]
        th, tw = self.size
        if self.pad_if_needed and (h < th or w < tw):
            dw, dh = max(0, tw - w), max(0, th - h)
            img = _pad_image(img, dw, dh, dw, dh, self.padding_mode, self.fill)
            h, w = img.shape[-2], img.shape[-1]
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the "
                             f"input image size {(h, w)}")
        rng = (self.generator or batch_generator()).rng
        top = int(rng.integers(0, h - th + 1))
        left = int(rng.integers(0, w - tw + 1))
        return img[..., top:top + th, left:left + tw]

    def __repr__(self) -> str:
        return (f"RandomCrop(size={self.size}, padding={self.padding}, "
                f"padding_mode={self.padding_mode!r})")


class RandomHorizontalFlip:
    """The image (last dim) mirrored with probability p."""

    def __init__(self, p: float = 0.5, generator=None):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p
        self.generator = generator

    def __call__(self, img: Tensor) -> Tensor:
        rng = (self.generator or batch_generator()).rng
        return img.flip(-1) if rng.random() < self.p else img

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"
