"""End to end: models train to their bars, deterministically under a fixed seed."""

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim


def _blobs(n, seed):
    """Three Gaussian blobs in 2-D with a nonlinear (XOR-like) twist."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    x = centres[y] + rng.standard_normal((n, 2)) * 0.6
    x = np.concatenate([x, x[:, :1] * x[:, 1:]], 1)
    return ember.tensor(x.astype(np.float32)), ember.tensor(y)


def _train_mlp(seed):
    ember.manual_seed(seed)
    x, y = _blobs(600, 0)
    xt, yt = _blobs(300, 1)
    model = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(10):
        for i in range(0, 600, 60):
            opt.zero_grad()
            loss = F.cross_entropy(model(x[i:i + 60]), y[i:i + 60])
            loss.backward()
            opt.step()
    model.eval()
    with ember.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    return acc, [p.detach().cpu().numpy().copy() for p in model.parameters()]


def test_mlp_reaches_its_accuracy_bar_deterministically():
    acc, params = _train_mlp(0)
    assert acc >= 0.93
    acc2, params2 = _train_mlp(0)
    assert acc2 == acc
    for a, b in zip(params, params2):
        np.testing.assert_array_equal(a, b)


def _train_digits_mlp(seed):
    ember.manual_seed(seed)
    x, y = ember.datasets.digits(return_X_y=True)
    order = ember.tensor(np.random.default_rng(0).permutation(len(y)))
    x, y = x[order] / 16.0, y[order]
    xtr, ytr, xte, yte = x[:1400], y[:1400], x[1400:], y[1400:]
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(20):
        perm = ember.randperm(1400)
        for i in range(0, 1400, 100):
            idx = perm[i:i + 100]
            opt.zero_grad()
            F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
    model.eval()
    with ember.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    return acc, [p.detach().cpu().numpy().copy() for p in model.parameters()]


def test_mlp_on_the_bundled_digits_reaches_its_bar_deterministically():
    """64-128-10 MLP, Adam, mini-batches of 100 in a seeded order: at least 96% on the 397
    held-out images of the bundled UCI digits, the same weights on a rerun."""
    acc, params = _train_digits_mlp(0)
    assert acc >= 0.96
    acc2, params2 = _train_digits_mlp(0)
    assert acc2 == acc
    for a, b in zip(params, params2):
        np.testing.assert_array_equal(a, b)


def test_small_cnn_loss_falls_on_synthetic_images():
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    n = 64
    y = rng.integers(0, 2, n)
    img = rng.standard_normal((n, 1, 8, 8)).astype(np.float32) * 0.3
    img[y == 0, :, 2:6, 3:5] += 1.0   # a vertical bar
    img[y == 1, :, 3:5, 2:6] += 1.0   # a horizontal bar
    x, t = ember.tensor(img), ember.tensor(y)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(8, 2))
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert (model(x).argmax(1) == t).float().mean().item() > 0.9


def test_lstm_learns_to_sum_a_sequence():
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 5, 1)).astype(np.float32)
    y = x.sum(1)
    lstm = nn.LSTM(1, 8, batch_first=True)
    head = nn.Linear(8, 1)
    opt = optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.02)
    first = None
    for _ in range(60):
        opt.zero_grad()
        out, _ = lstm(ember.tensor(x))
        loss = F.mse_loss(head(out[:, -1]), ember.tensor(y))
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.2 * first
