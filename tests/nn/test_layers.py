"""Every layer: output shape, forward against an independent NumPy computation, gradcheck in
float64 with respect to the input and every parameter, and train/eval behaviour.

The table LAYERS has one row per layer configuration: a factory (float64 module), the input
shapes, and a NumPy reference of the output computed from the module's own parameters.
"""

import contextlib
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.autograd import gradcheck

from . import reference as ref

F64 = ember.float64


def P(t):
    return t.detach().cpu().numpy()


def _params(m):
    return {k: P(v) for k, v in m.state_dict().items()}


def _conv_ref(m, x):
    p = _params(m)
    pad = m.padding
    k = m.kernel_size
    if pad == "same":
        tot = [m.dilation[i] * (k[i] - 1) for i in range(2)]
        pads = (tot[0] // 2, tot[0] - tot[0] // 2, tot[1] // 2, tot[1] - tot[1] // 2)
    elif pad == "valid":
        pads = (0, 0, 0, 0)
    else:
        pads = (pad[0], pad[0], pad[1], pad[1])
    if m.padding_mode != "zeros":
        mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[m.padding_mode]
        x = np.pad(x, ((0, 0), (0, 0), pads[:2], pads[2:]), mode=mode)
        pads = (0, 0, 0, 0)
    return ref.conv2d(x, p["weight"], p.get("bias"), m.stride, pads, m.dilation, m.groups)


def _conv1d_ref(m, x):
    p = _params(m)
    pad = m.padding[0]
    out = ref.conv2d(x[:, :, None], p["weight"][:, :, None], p.get("bias"), (1, m.stride[0]),
                     (0, 0, pad, pad), (1, m.dilation[0]), m.groups)
    return out[:, :, 0]


def _bn_ref(m, x):
    p = _params(m)
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if m.training:
        mean, var = x.mean(dims), x.var(dims)
    else:
        mean, var = p["running_mean"], p["running_var"]
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + m.eps)
    return y * p["weight"].reshape(shape) + p["bias"].reshape(shape)


def _gn_ref(m, x):
    p = _params(m)
    n, c = x.shape[:2]
    g = x.reshape(n, m.num_groups, -1)
    y = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + m.eps)).reshape(
        x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * p["weight"].reshape(shape) + p["bias"].reshape(shape)


def _in_ref(m, x):
    dims = tuple(range(2, x.ndim))
    y = (x - x.mean(dims, keepdims=True)) / np.sqrt(x.var(dims, keepdims=True) + m.eps)
    if m.affine:
        p = _params(m)
        y = y * p["weight"][None, :, None, None] + p["bias"][None, :, None, None]
    return y


def _lstm_ref(m, x):
    p = _params(m)
    n = x.shape[1]
    z = np.zeros((n, m.hidden_size))
    out, _, _ = ref.lstm(x, z, z, p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"],
                         p["bias_hh_l0"])
    return out


def _gru_ref(m, x):
    p = _params(m)
    xb = np.swapaxes(x, 0, 1) if m.batch_first else x
    out, _ = ref.gru(xb, np.zeros((xb.shape[1], m.hidden_size)), p["weight_ih_l0"],
                     p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
    return np.swapaxes(out, 0, 1) if m.batch_first else out


def _rnn_ref(m, x):
    p = _params(m)
    h = np.zeros((x.shape[1], m.hidden_size))
    fwd, _ = ref.rnn(x, h, p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"],
                     p["bias_hh_l0"])
    bwd, _ = ref.rnn(x[::-1], h, p["weight_ih_l0_reverse"], p["weight_hh_l0_reverse"],
                     p["bias_ih_l0_reverse"], p["bias_hh_l0_reverse"])
    return np.concatenate([fwd, bwd[::-1]], -1)


def _recurrent_ref(m, x):
    """Any stack of RNN / LSTM / GRU layers, either direction, batch_first or not, from the
    one-layer equations in reference.py (a layer's input is the previous layer's output)."""
    p = _params(m)
    layer_in = np.swapaxes(x, 0, 1) if m.batch_first else x
    n, hs = layer_in.shape[1], m.hidden_size
    z = np.zeros((n, hs))
    for layer in range(m.num_layers):
        outs = []
        for sfx in ("", "_reverse")[:2 if m.bidirectional else 1]:
            k = f"_l{layer}{sfx}"
            w_ih, w_hh = p["weight_ih" + k], p["weight_hh" + k]
            b_ih = p.get("bias_ih" + k, np.zeros(w_ih.shape[0]))
            b_hh = p.get("bias_hh" + k, np.zeros(w_hh.shape[0]))
            seq = layer_in[::-1] if sfx else layer_in
            if isinstance(m, nn.LSTM):
                o = ref.lstm(seq, z, z, w_ih, w_hh, b_ih, b_hh)[0]
            elif isinstance(m, nn.GRU):
                o = ref.gru(seq, z, w_ih, w_hh, b_ih, b_hh)[0]
            else:
                act = np.tanh if m.nonlinearity == "tanh" else (lambda a: np.maximum(a, 0))
                o = ref.rnn(seq, z, w_ih, w_hh, b_ih, b_hh, act)[0]
            outs.append(o[::-1] if sfx else o)
        layer_in = np.concatenate(outs, -1)
    return np.swapaxes(layer_in, 0, 1) if m.batch_first else layer_in


def _mha_ref(m, q):
    p = _params(m)
    out, _ = ref.multihead_attention(q, q, q, p["in_proj_weight"], p["in_proj_bias"],
                                     p["out_proj.weight"], p["out_proj.bias"], m.num_heads)
    return out


def _encoder_ref(m, x):
    p = _params(m)
    a, _ = ref.multihead_attention(x, x, x, p["self_attn.in_proj_weight"],
                                   p["self_attn.in_proj_bias"], p["self_attn.out_proj.weight"],
                                   p["self_attn.out_proj.bias"], m.self_attn.num_heads)
    x = ref.layer_norm(x + a, p["norm1.weight"], p["norm1.bias"])
    ff = np.maximum(x @ p["linear1.weight"].T + p["linear1.bias"], 0)
    ff = ff @ p["linear2.weight"].T + p["linear2.bias"]
    return ref.layer_norm(x + ff, p["norm2.weight"], p["norm2.bias"])


def _bilinear_ref(m, a, b):
    p = _params(m)
    return np.einsum("bi,oij,bj->bo", a, p["weight"], b) + p["bias"]


def _upsample_bilinear_ref(x, out_h, out_w, align_corners):
    n, c, h, w = x.shape
    out = np.zeros((n, c, out_h, out_w))

    def src(d, n_in, n_out):
        if align_corners:
            return d * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return max((d + 0.5) * n_in / n_out - 0.5, 0.0)

    for i in range(out_h):
        sy = src(i, h, out_h)
        y0 = min(int(math.floor(sy)), h - 1)
        y1 = min(y0 + 1, h - 1)
        ly = sy - y0
        for j in range(out_w):
            sx = src(j, w, out_w)
            x0 = min(int(math.floor(sx)), w - 1)
            x1 = min(x0 + 1, w - 1)
            lx = sx - x0
            out[:, :, i, j] = ((1 - ly) * (1 - lx) * x[:, :, y0, x0] + (1 - ly) * lx
                               * x[:, :, y0, x1] + ly * (1 - lx) * x[:, :, y1, x0]
                               + ly * lx * x[:, :, y1, x1])
    return out


# (id, factory, input shapes, reference(module, *numpy inputs) -> numpy output, gradcheck?)
LAYERS = [
    ("Identity", lambda: nn.Identity(3, unused=True), [(2, 3)], lambda m, x: x),
    ("Linear", lambda: nn.Linear(4, 3, dtype=F64), [(2, 4)],
     lambda m, x: x @ P(m.weight).T + P(m.bias)),
    ("Linear-3d-nobias", lambda: nn.Linear(4, 3, bias=False, dtype=F64), [(2, 2, 4)],
     lambda m, x: x @ P(m.weight).T),
    ("Bilinear", lambda: nn.Bilinear(2, 3, 2, dtype=F64), [(2, 2), (2, 3)], _bilinear_ref),
    ("Conv2d", lambda: nn.Conv2d(2, 3, 3, dtype=F64), [(2, 2, 5, 5)], _conv_ref),
    ("Conv2d-stride-pad-dil", lambda: nn.Conv2d(2, 2, (3, 2), stride=(2, 1), padding=(1, 2),
                                                dilation=(1, 2), dtype=F64),
     [(1, 2, 6, 5)], _conv_ref),
    ("Conv2d-groups-nobias", lambda: nn.Conv2d(4, 2, 3, groups=2, bias=False, dtype=F64),
     [(2, 4, 4, 4)], _conv_ref),
    ("Conv2d-same", lambda: nn.Conv2d(1, 2, (2, 3), padding="same", dtype=F64),
     [(1, 1, 4, 5)], _conv_ref),
    ("Conv2d-valid", lambda: nn.Conv2d(1, 2, 3, padding="valid", dtype=F64),
     [(1, 1, 4, 4)], _conv_ref),
    ("Conv2d-reflect", lambda: nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect",
                                         dtype=F64), [(1, 1, 4, 4)], _conv_ref),
    ("Conv2d-replicate", lambda: nn.Conv2d(2, 2, (3, 2), padding=(1, 2),
                                           padding_mode="replicate", dtype=F64),
     [(1, 2, 4, 3)], _conv_ref),
    ("Conv2d-circular", lambda: nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular",
                                          dtype=F64), [(1, 1, 4, 4)], _conv_ref),
    ("Conv1d", lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1, dtype=F64), [(2, 2, 7)],
     _conv1d_ref),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1,
                                                   output_padding=1, groups=2, dtype=F64),
     [(1, 2, 3, 3)],
     lambda m, x: ref.conv_transpose2d(x, P(m.weight), P(m.bias), m.stride, m.padding,
                                       m.output_padding, m.dilation, m.groups)),
    ("ConvTranspose2d-dil", lambda: nn.ConvTranspose2d(1, 2, 2, dilation=2, dtype=F64),
     [(2, 1, 3, 2)],
     lambda m, x: ref.conv_transpose2d(x, P(m.weight), P(m.bias), dilation=m.dilation)),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), [(2, 2, 4, 4)],
     lambda m, x: ref.pool2d(x, (2, 2), (2, 2), (0, 0), "max")[0]),
    ("MaxPool2d-overlap-pad-ceil", lambda: nn.MaxPool2d(3, stride=2, padding=1,
                                                        ceil_mode=True),
     [(1, 2, 6, 5)],
     lambda m, x: ref.pool2d(x, (3, 3), (2, 2), (1, 1), "max", ceil_mode=True)[0]),
    ("MaxPool2d-dilation", lambda: nn.MaxPool2d(2, stride=1, dilation=2), [(1, 1, 5, 5)],
     lambda m, x: ref.pool2d(x, (2, 2), (1, 1), (0, 0), "max", dilation=(2, 2))[0]),
    ("MaxPool1d", lambda: nn.MaxPool1d(3, stride=2), [(2, 2, 7)],
     lambda m, x: ref.pool2d(x[:, :, None], (1, 3), (1, 2), (0, 0), "max")[0][:, :, 0]),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), [(2, 2, 4, 4)],
     lambda m, x: ref.pool2d(x, (2, 2), (2, 2), (0, 0), "avg")[0]),
    ("AvgPool2d-pad-ceil", lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
     [(1, 1, 6, 5)],
     lambda m, x: ref.pool2d(x, (3, 3), (2, 2), (1, 1), "avg", ceil_mode=True)[0]),
    ("AvgPool2d-exclude-pad", lambda: nn.AvgPool2d(3, stride=2, padding=1,
                                                   count_include_pad=False),
     [(1, 1, 5, 5)],
     lambda m, x: ref.pool2d(x, (3, 3), (2, 2), (1, 1), "avg", count_include_pad=False)[0]),
    ("AvgPool1d", lambda: nn.AvgPool1d(2), [(2, 2, 6)],
     lambda m, x: x.reshape(2, 2, 3, 2).mean(-1)),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), [(1, 2, 5, 7)],
     lambda m, x: ref.adaptive_pool2d(x, (2, 3), "avg")),
    ("AdaptiveAvgPool2d-even", lambda: nn.AdaptiveAvgPool2d(2), [(1, 2, 4, 4)],
     lambda m, x: ref.adaptive_pool2d(x, (2, 2), "avg")),
    ("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(3), [(1, 2, 7)],
     lambda m, x: ref.adaptive_pool2d(x[:, :, None], (1, 3), "avg")[:, :, 0]),
    ("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d((3, 2)), [(1, 2, 5, 5)],
     lambda m, x: ref.adaptive_pool2d(x, (3, 2), "max")),
    ("Upsample-nearest", lambda: nn.Upsample(scale_factor=2), [(1, 2, 2, 3)],
     lambda m, x: x.repeat(2, axis=2).repeat(2, axis=3)),
    ("Upsample-bilinear", lambda: nn.Upsample(size=(3, 5), mode="bilinear"), [(1, 2, 2, 3)],
     lambda m, x: _upsample_bilinear_ref(x, 3, 5, False)),
    ("Upsample-bilinear-corners", lambda: nn.Upsample(scale_factor=2, mode="bilinear",
                                                      align_corners=True),
     [(1, 1, 2, 3)], lambda m, x: _upsample_bilinear_ref(x, 4, 6, True)),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3, dtype=F64), [(4, 3)], _bn_ref),
    ("BatchNorm1d-3d", lambda: nn.BatchNorm1d(2, dtype=F64), [(3, 2, 4)], _bn_ref),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(2, dtype=F64), [(2, 2, 3, 3)], _bn_ref),
    ("LayerNorm", lambda: nn.LayerNorm((2, 3), dtype=F64), [(2, 2, 3)],
     lambda m, x: ref.layer_norm(x, P(m.weight), P(m.bias), dims=(-2, -1))),
    ("GroupNorm", lambda: nn.GroupNorm(2, 4, dtype=F64), [(2, 4, 3)], _gn_ref),
    ("InstanceNorm2d", lambda: nn.InstanceNorm2d(2), [(2, 2, 3, 3)], _in_ref),
    ("InstanceNorm2d-affine", lambda: nn.InstanceNorm2d(2, affine=True, dtype=F64),
     [(2, 2, 3, 3)], _in_ref),
    ("Dropout-eval", lambda: nn.Dropout(0.5).eval(), [(3, 4)], lambda m, x: x),
    ("Dropout2d-eval", lambda: nn.Dropout2d(0.5).eval(), [(2, 3, 2, 2)], lambda m, x: x),
    ("Flatten", lambda: nn.Flatten(), [(2, 3, 2)], lambda m, x: x.reshape(2, 6)),
    ("Unflatten", lambda: nn.Unflatten(1, (2, 3)), [(2, 6)], lambda m, x: x.reshape(2, 2, 3)),
    ("Fold-Unfold", lambda: nn.Sequential(nn.Unfold(2, padding=1), nn.Fold((3, 3), 2,
                                                                           padding=1)),
     [(1, 2, 3, 3)],
     lambda m, x: x * np.array([[4, 4, 4]] * 3)[None, None]),
    ("RNN-bidirectional", lambda: nn.RNN(3, 2, bidirectional=True, dtype=F64), [(3, 2, 3)],
     _rnn_ref),
    ("LSTM", lambda: nn.LSTM(3, 2, dtype=F64), [(3, 2, 3)], _lstm_ref),
    ("RNN-relu-2layers-nobias", lambda: nn.RNN(2, 3, num_layers=2, nonlinearity="relu",
                                               bias=False, dtype=F64), [(3, 2, 2)],
     _recurrent_ref),
    ("LSTM-2layers-bidirectional-batch_first",
     lambda: nn.LSTM(2, 2, num_layers=2, bidirectional=True, batch_first=True, dtype=F64),
     [(2, 3, 2)], _recurrent_ref),
    ("GRU-bidirectional", lambda: nn.GRU(2, 2, bidirectional=True, dtype=F64), [(3, 2, 2)],
     _recurrent_ref),
    ("GRU-batch_first", lambda: nn.GRU(2, 3, batch_first=True, dtype=F64), [(2, 3, 2)],
     _gru_ref),
    ("MultiheadAttention", lambda: nn.MultiheadAttention(4, 2, dtype=F64), [(3, 2, 4)],
     _mha_ref),
    ("TransformerEncoderLayer", lambda: nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0,
                                                                   dtype=F64),
     [(3, 2, 4)], _encoder_ref),
]


def _run(m, xs):
    if isinstance(m, nn.MultiheadAttention):  # self-attention: query = key = value
        xs = (xs[0], xs[0], xs[0])
    out = m(*xs)
    if isinstance(out, tuple):  # recurrent layers and attention return (output, extra)
        out = out[0]
    return out


def _inputs(shapes, seed=0, requires_grad=True):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    return arrays, [ember.tensor(a.copy()).requires_grad_(requires_grad) for a in arrays]


@pytest.mark.parametrize("name, make, shapes, reference", LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_forward_matches_numpy(name, make, shapes, reference):
    ember.manual_seed(0)
    m = make()
    arrays, xs = _inputs(shapes)
    out = _run(m, xs)
    expected = reference(m, *arrays)
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name, make, shapes, reference", LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_gradcheck_input_and_parameters(name, make, shapes, reference):
    ember.manual_seed(0)
    m = make()
    _, xs = _inputs(shapes, seed=1)
    params = [p for p in m.parameters() if p.requires_grad]
    assert gradcheck(lambda *args: _run(m, xs), (*xs, *params), atol=1e-6, rtol=1e-4)


def test_layer_table_covers_the_issue():
    covered = {r[0].split("-")[0] for r in LAYERS}
    for layer in ("Identity", "Linear", "Bilinear", "Conv1d", "Conv2d", "ConvTranspose2d",
                  "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
                  "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Upsample", "BatchNorm1d",
                  "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm2d", "Dropout",
                  "Dropout2d", "Flatten", "Unflatten", "RNN", "LSTM", "GRU",
                  "MultiheadAttention", "TransformerEncoderLayer"):
        assert layer in covered, layer


# -------------------------------------------------------------------------- train / eval

def test_batchnorm_running_statistics_and_eval_mode():
    bn = nn.BatchNorm2d(2, momentum=0.5, dtype=F64)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, 3, 3)) * 3 + 1
    bn(ember.tensor(x))
    mean = x.mean((0, 2, 3))
    var = x.var((0, 2, 3), ddof=1)
    np.testing.assert_allclose(P(bn.running_mean), 0.5 * mean)
    np.testing.assert_allclose(P(bn.running_var), 0.5 + 0.5 * var)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    out = bn(ember.tensor(x)).detach().cpu().numpy()
    expected = (x - P(bn.running_mean)[None, :, None, None]) / np.sqrt(
        P(bn.running_var)[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-10)
    assert int(bn.num_batches_tracked.item()) == 1


def test_batchnorm_cumulative_average_and_no_tracking():
    bn = nn.BatchNorm1d(1, momentum=None, dtype=F64)
    for v in (1.0, 3.0):
        bn(ember.tensor([[v - 1], [v + 1]], dtype=F64))
    np.testing.assert_allclose(P(bn.running_mean), [2.0])
    free = nn.BatchNorm1d(1, track_running_stats=False).eval()
    out = free(ember.tensor([[1.0], [3.0]]))
    np.testing.assert_allclose(out.detach().cpu().numpy().ravel(), [-1.0, 1.0], rtol=1e-4)


def test_batchnorm_rejects_single_value_per_channel_in_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(ember.randn(1, 3))


def test_dropout_train_mode_zeroes_and_scales():
    ember.manual_seed(0)
    d = nn.Dropout(0.25)
    out = d(ember.ones(200, 100)).cpu().numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    d.eval()
    assert d(ember.ones(3)).tolist() == [1.0, 1.0, 1.0]


def test_dropout2d_drops_whole_channels():
    ember.manual_seed(0)
    out = nn.Dropout2d(0.5)(ember.ones(8, 16, 3, 3)).cpu().numpy()
    per_channel = out.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))


def test_dropout_is_reproducible_under_a_seed():
    ember.manual_seed(3)
    a = nn.functional.dropout(ember.ones(50)).cpu().numpy()
    ember.manual_seed(3)
    b = nn.functional.dropout(ember.ones(50)).cpu().numpy()
    np.testing.assert_array_equal(a, b)


def test_rnn_dropout_between_layers_only_in_training():
    ember.manual_seed(0)
    lstm = nn.LSTM(2, 3, num_layers=2, dropout=0.5)
    x = ember.randn(4, 1, 2)
    lstm.eval()
    a = lstm(x)[0].detach().cpu().numpy()
    b = lstm(x)[0].detach().cpu().numpy()
    np.testing.assert_array_equal(a, b)
    lstm.train()
    c = lstm(x)[0].detach().cpu().numpy()
    assert not np.allclose(a, c)


# ---------------------------------------------------------------------- layer specifics

def test_lstm_states_and_batch_first():
    ember.manual_seed(0)
    lstm = nn.LSTM(3, 2, batch_first=True, dtype=F64)
    p = _params(lstm)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 3))
    h0 = rng.standard_normal((1, 2, 2))
    c0 = rng.standard_normal((1, 2, 2))
    out, (h, c) = lstm(ember.tensor(x), (ember.tensor(h0), ember.tensor(c0)))
    ref_out, ref_h, ref_c = ref.lstm(np.swapaxes(x, 0, 1), h0[0], c0[0], p["weight_ih_l0"],
                                     p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.swapaxes(ref_out, 0, 1), rtol=1e-10)
    np.testing.assert_allclose(h.detach().cpu().numpy()[0], ref_h, rtol=1e-10)
    np.testing.assert_allclose(c.detach().cpu().numpy()[0], ref_c, rtol=1e-10)
    unbatched, (hu, _) = lstm(ember.tensor(x[0]))
    assert unbatched.shape == ember.Size([4, 2]) and hu.shape == ember.Size([1, 2])


def test_cells_match_one_step_of_their_layers():
    ember.manual_seed(0)
    cell = nn.GRUCell(3, 2, dtype=F64)
    p = _params(cell)
    x = np.random.default_rng(0).standard_normal((4, 3))
    h = cell(ember.tensor(x)).detach().cpu().numpy()
    _, ref_h = ref.gru(x[None], np.zeros((4, 2)), p["weight_ih"], p["weight_hh"], p["bias_ih"],
                       p["bias_hh"])
    np.testing.assert_allclose(h, ref_h, rtol=1e-10)
    lc = nn.LSTMCell(3, 2)
    h1, c1 = lc(ember.randn(4, 3))
    assert h1.shape == c1.shape == ember.Size([4, 2])
    assert nn.RNNCell(3, 2)(ember.randn(3)).shape == ember.Size([2])


def test_multihead_attention_masks_and_weights():
    ember.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, dtype=F64, batch_first=True)
    p = _params(mha)
    rng = np.random.default_rng(0)
    q = rng.standard_normal((2, 3, 4))
    kv = rng.standard_normal((2, 5, 4))
    causal = np.triu(np.ones((3, 5), bool), 1)
    out, w = mha(ember.tensor(q), ember.tensor(kv), ember.tensor(kv),
                 attn_mask=ember.tensor(causal))
    float_mask = np.where(causal, -np.inf, 0.0)
    ref_out, ref_w = ref.multihead_attention(
        np.swapaxes(q, 0, 1), np.swapaxes(kv, 0, 1), np.swapaxes(kv, 0, 1),
        p["in_proj_weight"], p["in_proj_bias"], p["out_proj.weight"], p["out_proj.bias"], 2,
        float_mask)
    np.testing.assert_allclose(out.detach().cpu().numpy(), np.swapaxes(ref_out, 0, 1), rtol=1e-9)
    np.testing.assert_allclose(w.detach().cpu().numpy(), ref_w, rtol=1e-9, atol=1e-12)
    pad = np.zeros((2, 5), bool)
    pad[:, -2:] = True
    _, w2 = mha(ember.tensor(q), ember.tensor(kv), ember.tensor(kv),
                key_padding_mask=ember.tensor(pad), average_attn_weights=False)
    assert w2.shape == ember.Size([2, 2, 3, 5])
    assert float(w2[..., -2:].abs().sum()) == 0.0


def test_embedding_lookup_padding_idx_and_max_norm():
    ember.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=1, dtype=F64)
    assert float(emb.weight[1].abs().sum()) == 0.0
    idx = ember.tensor([[0, 1], [1, 4]])
    out = emb(idx)
    np.testing.assert_array_equal(out.detach().cpu().numpy(), P(emb.weight)[idx.cpu().numpy()])
    out.sum().backward()
    g = emb.weight.grad.cpu().numpy()
    np.testing.assert_array_equal(g[1], 0)
    np.testing.assert_array_equal(g[0], 1)
    np.testing.assert_array_equal(g[2], 0)
    assert gradcheck(lambda w: nn.functional.embedding(idx, w), (emb.weight,))
    big = nn.Embedding(3, 4, max_norm=1.0)
    big(ember.tensor([0, 2]))
    norms = np.linalg.norm(P(big.weight), axis=1)
    assert norms[0] <= 1.0 + 1e-6 and norms[2] <= 1.0 + 1e-6
    with pytest.raises(IndexError):
        emb(ember.tensor([7]))


def test_max_pool_return_indices_match_pytorch_convention():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 5, 6))
    out, idx = nn.MaxPool2d(2, return_indices=True)(ember.tensor(x))
    ref_out, ref_idx = ref.pool2d(x, (2, 2), (2, 2), (0, 0), "max")
    np.testing.assert_array_equal(out.cpu().numpy(), ref_out)
    np.testing.assert_array_equal(idx.cpu().numpy(), ref_idx)
    out, idx = nn.functional.max_pool2d(ember.tensor(x), 3, 2, 1, return_indices=True)
    ref_out, ref_idx = ref.pool2d(x, (3, 3), (2, 2), (1, 1), "max")
    np.testing.assert_array_equal(idx.cpu().numpy(), ref_idx)
    x1 = rng.standard_normal((2, 3, 9))  # MaxPool1d: positions along the length
    out, idx = nn.MaxPool1d(3, stride=2, padding=1, return_indices=True)(ember.tensor(x1))
    ref_out, ref_idx = ref.pool2d(x1[:, :, None], (1, 3), (1, 2), (0, 1), "max")
    np.testing.assert_array_equal(out.cpu().numpy(), ref_out[:, :, 0])
    np.testing.assert_array_equal(idx.cpu().numpy(), ref_idx[:, :, 0])
    assert idx.dtype is ember.int64


@pytest.mark.parametrize("compiled", [True, False])
def test_max_pool_return_indices_of_a_one_tap_window_have_the_output_shape(compiled):
    # a 1x1 window (stride 2): each output's index is its own input position, for every
    # image and channel (the NumPy path returned one (1, 1, Ho, Wo) plane)
    from ember import kernels
    x = ember.tensor(np.random.default_rng(1).standard_normal((2, 3, 4, 5)))
    with contextlib.nullcontext() if compiled else kernels.disabled():
        out, idx = nn.functional.max_pool2d(x, 1, 2, return_indices=True)
    assert tuple(idx.shape) == tuple(out.shape) == (2, 3, 2, 3)
    expected = (np.arange(0, 4, 2)[:, None] * 5 + np.arange(0, 5, 2)[None, :])
    np.testing.assert_array_equal(idx.cpu().numpy(), np.broadcast_to(expected, (2, 3, 2, 3)))


def test_adaptive_max_pool_return_indices():
    """Indices are flat positions in each input plane, the first of equal maxima, computed
    here by a direct loop over PyTorch's adaptive windows."""
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal((2, 3, 5, 7)), 1)  # rounding makes ties
    h, w = x.shape[2:]

    def bins(size, out):
        return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]

    for out_hw in ((3, 2), (2, 4), (5, 7)):
        out, idx = nn.AdaptiveMaxPool2d(out_hw, return_indices=True)(ember.tensor(x))
        expected = np.zeros((2, 3) + out_hw, np.int64)
        for i, (r0, r1) in enumerate(bins(h, out_hw[0])):
            for j, (c0, c1) in enumerate(bins(w, out_hw[1])):
                for b in range(2):
                    for ch in range(3):
                        win = x[b, ch, r0:r1, c0:c1]
                        r, c = np.unravel_index(np.argmax(win), win.shape)
                        expected[b, ch, i, j] = (r0 + r) * w + c0 + c
        assert idx.dtype is ember.int64
        np.testing.assert_array_equal(idx.cpu().numpy(), expected)
        np.testing.assert_array_equal(out.cpu().numpy(),
                                      np.take_along_axis(x.reshape(2, 3, -1),
                                                         expected.reshape(2, 3, -1),
                                                         -1).reshape(out.shape))
    x1 = rng.standard_normal((3, 7))  # unbatched 1-D
    out, idx = nn.functional.adaptive_max_pool1d(ember.tensor(x1), 3, return_indices=True)
    expected = np.array([[s0 + np.argmax(row[s0:s1]) for s0, s1 in bins(7, 3)] for row in x1])
    np.testing.assert_array_equal(idx.cpu().numpy(), expected)
    np.testing.assert_array_equal(out.cpu().numpy(), np.take_along_axis(x1, expected, -1))


def test_max_pool_gradient_goes_to_the_first_of_equal_maxima():
    x = ember.zeros(1, 1, 2, 2, requires_grad=True)
    nn.functional.max_pool2d(x, 2).sum().backward()
    assert x.grad.cpu().numpy().ravel().tolist() == [1.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("pool_args", [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 2, "stride": 1, "dilation": 2},
])
@pytest.mark.parametrize("data", ["random", "ties", "nan"])
def test_sequential_relu_max_pool_is_fused_with_the_same_values_and_gradients(pool_args, data):
    """Sequential runs ReLU -> MaxPool2d as one op (the ReLU on the pooled output): the output
    and the input gradient equal those of the two layers run one after the other, also where
    the ReLU makes ties (windows of values <= 0) and where nan comes after a window's winner."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 8)).astype(np.float32)
    if data == "ties":
        x = np.round(x)           # many equal values, zeros and whole non-positive windows
        x[0, 0, :4, :4] = -1.0
        x[1, 2, 2:6, 1:5] = 0.0
    elif data == "nan":
        x[0, 1, 0, 1] = np.nan    # after a (possibly positive) winner at [0, 0]
        x[1, 0, 3:5, 3:5] = np.nan
        x[1, 2, 0, :] = np.nan
    seq = nn.Sequential(nn.ReLU(), nn.MaxPool2d(**pool_args))
    xa = ember.tensor(x, requires_grad=True)
    ya = seq(xa)
    assert type(ya.grad_fn).__name__ == "MaxPool2dOp"   # one op: the ReLU was fused
    xb = ember.tensor(x, requires_grad=True)
    yb = seq[1](seq[0](xb))                              # the layers one by one
    assert type(yb.grad_fn).__name__ == "MaxPool2dOp"
    np.testing.assert_array_equal(P(ya), P(yb))
    g = ember.tensor(rng.standard_normal(tuple(ya.shape)).astype(np.float32))
    (ya * g).sum().backward()
    (yb * g).sum().backward()
    np.testing.assert_array_equal(xa.grad.cpu().numpy(), xb.grad.cpu().numpy())
    expected = ref.pool2d(np.maximum(np.nan_to_num(x, nan=-7.0), 0).astype(np.float64),
                          _pair(pool_args["kernel_size"]),
                          _pair(pool_args.get("stride", pool_args["kernel_size"])),
                          _pair(pool_args.get("padding", 0)), "max",
                          dilation=_pair(pool_args.get("dilation", 1)),
                          ceil_mode=pool_args.get("ceil_mode", False))[0]
    finite = ~np.isnan(P(ya))
    np.testing.assert_array_equal(P(ya)[finite], expected[finite])


def test_max_pool_of_a_batch_last_input_keeps_its_layout():
    """After a conv the input is a transposed view of a (C, H, W, N) buffer; the padded copy
    and the input gradient are laid out the same way, and the numbers equal those of the same
    values in the usual layout."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 7, 6, 2))                   # (C, H, W, N)
    xt = ember.tensor(x.transpose(3, 0, 1, 2), requires_grad=True)   # (N, C, H, W) view
    xc = ember.tensor(np.ascontiguousarray(x.transpose(3, 0, 1, 2)), requires_grad=True)
    seen = []
    xt.register_hook(lambda g: seen.append(g._data.strides))   # the gradient as the op gave it
    outs = []
    for t in (xt, xc):
        out = nn.functional.max_pool2d(t, 3, stride=2, padding=1, ceil_mode=True)
        (out * out).sum().backward()
        outs.append(P(out))
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(xt.grad.cpu().numpy(), xc.grad.cpu().numpy())
    s = seen[0]
    assert s[0] < s[3] < s[2] < s[1]                        # batch-last, like the input


@pytest.mark.parametrize("call", [
    lambda: nn.functional.max_pool1d(ember.ones(1, 2, 3), 4),
    lambda: nn.functional.avg_pool1d(ember.ones(1, 2, 3), 4),
    lambda: nn.functional.max_pool2d(ember.ones(1, 1, 3, 3), 4),
    lambda: nn.functional.avg_pool2d(ember.ones(1, 1, 3, 3), 4),
    lambda: nn.functional.max_pool1d(ember.ones(1, 2, 6), 4, 1, 0, 2),   # dilated span 7 > 6
    lambda: nn.MaxPool2d(4, dilation=2)(ember.ones(1, 1, 5, 5)),
], ids=["max1d", "avg1d", "max2d", "avg2d", "max1d-dilated", "MaxPool2d-dilated"])
def test_pool_window_larger_than_the_input_raises(call):
    """PyTorch raises 'Output size is too small' where the window does not fit the padded
    input; an empty (or a broadcast-error) result is not what a PyTorch user expects."""
    with pytest.raises(RuntimeError, match="Output size is too small"):
        call()


def test_pool_ceil_mode_window_larger_than_the_input_gives_one_output():
    """With ceil_mode PyTorch keeps the one window that starts inside the input."""
    out = nn.functional.avg_pool2d(ember.ones(1, 1, 3, 3), 4, ceil_mode=True)
    assert tuple(out.shape) == (1, 1, 1, 1)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def test_sequential_relu_max_pool_fused_gradcheck():
    seq = nn.Sequential(nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))
    x = ember.tensor(np.random.default_rng(1).standard_normal((2, 2, 6, 5)), requires_grad=True)
    assert type(seq(x).grad_fn).__name__ == "MaxPool2dOp"
    assert gradcheck(seq, (x,))


def test_sequential_relu_max_pool_not_fused_when_the_intermediate_is_observable():
    """A hook on the ReLU sees its output, so the layers run one by one; an in-place ReLU,
    return_indices and integer input are not fused either."""
    seen = []
    relu = nn.ReLU()
    relu.register_forward_hook(lambda m, i, o: seen.append(o))
    x = ember.randn(1, 1, 4, 4)
    out = nn.Sequential(relu, nn.MaxPool2d(2))(x)
    assert len(seen) == 1 and tuple(seen[0].shape) == (1, 1, 4, 4)
    np.testing.assert_array_equal(P(out), P(nn.functional.max_pool2d(x.relu(), 2)))
    out, idx = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2, return_indices=True))(x)
    assert tuple(idx.shape) == (1, 1, 2, 2)
    out = nn.Sequential(nn.ReLU(inplace=True), nn.MaxPool2d(2))(x)
    np.testing.assert_array_equal(P(out), P(nn.functional.max_pool2d(x.relu(), 2)))
    xs = ember.tensor(np.arange(-8, 8).reshape(1, 1, 4, 4))
    out = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(xs)
    np.testing.assert_array_equal(P(out), [[[[0, 0], [5, 7]]]])


def test_conv_on_a_realistic_size_matches_the_loop_in_float32():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 9)).astype(np.float32)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    out = conv(ember.tensor(x)).detach().cpu().numpy()
    expected = ref.conv2d(x.astype(np.float64), P(conv.weight).astype(np.float64),
                          P(conv.bias).astype(np.float64), (1, 1), (1, 1, 1, 1))
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_skinny_products_in_pieces_equal_the_whole_product():
    """_conv.matmul cuts a product with a small result and a long inner dimension into pieces
    along K, summed; the result is the product to float32 rounding (and any other product is
    computed whole)."""
    from ember.nn.functional._conv import SMALL_GEMM, matmul
    rng = np.random.default_rng(0)
    for a_shape, b_shape in [((32, 10), (10, 50176)),     # skinny, but whole
                             ((32, 50176), (50176, 10)),   # along K
                             ((64, 289), (289, 12544)),    # no side small enough: whole
                             ((3, 4), (4, 5))]:            # small product: whole
        a = rng.standard_normal(a_shape).astype(np.float32)
        b = rng.standard_normal(b_shape).astype(np.float32)
        out = matmul(np, a, b)
        assert out.shape == (a_shape[0], b_shape[1]) and out.dtype == np.float32
        expected = a.astype(np.float64) @ b.astype(np.float64)
        scale = np.sqrt(a_shape[1])
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-5 * scale)
    assert 32 * 10 * 50176 > SMALL_GEMM
    g = rng.standard_normal((32, 50176)).astype(np.float32)
    cols = rng.standard_normal((10, 50176)).astype(np.float32)   # a transposed view, as conv's
    np.testing.assert_allclose(matmul(np, g, cols.T),             # weight gradient passes it
                               g.astype(np.float64) @ cols.T.astype(np.float64), atol=1e-5 * 224)


def test_first_layer_conv_at_benchmark_size_matches_float64():
    """A 1-channel conv at the CNN benchmark's size, where the weight gradient runs in pieces
    (see _conv.matmul): output and gradients against float64 NumPy."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    conv = nn.Conv2d(1, 32, 3, padding=1)
    xt = ember.tensor(x, requires_grad=True)
    out = conv(xt)
    g = rng.standard_normal(tuple(out.shape)).astype(np.float32)
    (out * ember.tensor(g)).sum().backward()
    w, b = P(conv.weight).astype(np.float64), P(conv.bias).astype(np.float64)
    xp_ = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp_, (3, 3), axis=(2, 3))  # n,1,28,28,3,3
    expected = np.einsum("ncyxij,ocij->noyx", win, w) + b[None, :, None, None]
    np.testing.assert_allclose(P(out), expected, rtol=1e-4, atol=1e-4)
    gw = np.einsum("ncyxij,noyx->ocij", win, g.astype(np.float64))
    np.testing.assert_allclose(conv.weight.grad.cpu().numpy(), gw, rtol=1e-4, atol=2e-3)
    np.testing.assert_allclose(conv.bias.grad.cpu().numpy(), g.sum(axis=(0, 2, 3)),
                               rtol=1e-4, atol=2e-3)
    gx = np.zeros_like(xp_)
    for i in range(3):
        for j in range(3):
            gx[:, :, i:i + 28, j:j + 28] += np.einsum("noyx,oc->ncyx", g.astype(np.float64),
                                                      w[:, :, i, j])
    np.testing.assert_allclose(xt.grad.cpu().numpy(), gx[:, :, 1:-1, 1:-1], rtol=1e-4, atol=1e-4)


def test_conv_output_reshapes_and_views_after_contiguous():
    out = nn.Conv2d(1, 2, 3)(ember.randn(2, 1, 5, 5))
    assert out.reshape(2, -1).shape == ember.Size([2, 18])
    assert out.contiguous().view(2, -1).shape == ember.Size([2, 18])
    assert nn.Flatten()(out).shape == ember.Size([2, 18])


def test_conv_double_backward_raises_clearly():
    x = ember.randn(1, 1, 3, 3, dtype=F64, requires_grad=True)
    w = ember.randn(1, 1, 2, 2, dtype=F64, requires_grad=True)
    y = nn.functional.conv2d(x, w).sum()
    (gx,) = ember.autograd.grad(y, x, create_graph=True)
    with pytest.raises(NotImplementedError, match="double backward"):
        gx.sum().backward()


def test_conv_argument_errors():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(RuntimeError, match="channels"):
        conv(ember.randn(1, 2, 5, 5))
    with pytest.raises(RuntimeError, match="larger than"):
        conv(ember.randn(1, 3, 2, 2))
    with pytest.raises(ValueError):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError):
        nn.Conv2d(3, 4, 3, groups=2)


def test_unfold_matches_the_window_definition_and_is_twice_differentiable():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 4, 5))
    cols = nn.functional.unfold(ember.tensor(x), (2, 3), stride=(1, 2)).cpu().numpy()
    expected = []
    for i in range(3):
        for j in range(2):
            expected.append(x[0, :, i:i + 2, 2 * j:2 * j + 3].reshape(-1))
    np.testing.assert_allclose(cols[0], np.stack(expected, 1))
    xt = ember.tensor(x).requires_grad_()
    assert ember.autograd.gradgradcheck(
        lambda t: nn.functional.unfold(t, 2, padding=1) ** 2, (xt,))


def test_unfold_takes_an_unbatched_image_as_fold_does():
    # PyTorch 2.x: unfold (C, H, W) -> (C * kh * kw, L), the inverse layout of unbatched fold
    x = ember.randn(2, 4, 5)
    cols = nn.functional.unfold(x, (2, 3), padding=1)
    assert cols.shape == ember.Size([12, 25])
    np.testing.assert_array_equal(cols.cpu().numpy(),
                                  nn.functional.unfold(x[None], (2, 3), padding=1)[0].cpu().numpy())
    assert nn.Unfold(2)(x).shape == ember.Size([8, 12])
    with pytest.raises(RuntimeError, match="3D or 4D"):
        nn.functional.unfold(ember.randn(4, 5), 2)


def test_transformer_encoder_stacks_independent_copies():
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0)
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4))
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    assert enc(ember.randn(3, 2, 4)).shape == ember.Size([3, 2, 4])
    first = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, norm_first=True,
                                       batch_first=True, activation="gelu")
    assert first(ember.randn(2, 3, 4)).shape == ember.Size([2, 3, 4])


def test_transformer_encoder_layer_dropout_only_in_training():
    ember.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.5, dtype=F64)
    x = ember.randn(3, 2, 4, dtype=F64)
    layer.eval()
    a = layer(x).detach().cpu().numpy()
    np.testing.assert_array_equal(a, layer(x).detach().cpu().numpy())
    no_dropout = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, dtype=F64)
    no_dropout.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(no_dropout(x).detach().cpu().numpy(), a, rtol=1e-12)
    layer.train()
    assert not np.allclose(layer(x).detach().cpu().numpy(), a)


def test_stacked_bidirectional_gru_matches_its_equations():
    ember.manual_seed(0)
    gru = nn.GRU(2, 3, num_layers=2, bidirectional=True, dtype=F64)
    p = _params(gru)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, 2))
    h0 = rng.standard_normal((4, 2, 3))
    out, hn = gru(ember.tensor(x), ember.tensor(h0))
    layer_in = x
    finals = []
    for layer in range(2):
        outs = []
        for d, sfx in enumerate(("", "_reverse")):
            k = f"_l{layer}{sfx}"
            seq = layer_in[::-1] if d else layer_in
            o, h = ref.gru(seq, h0[2 * layer + d], p["weight_ih" + k], p["weight_hh" + k],
                           p["bias_ih" + k], p["bias_hh" + k])
            outs.append(o[::-1] if d else o)
            finals.append(h)
        layer_in = np.concatenate(outs, -1)
    np.testing.assert_allclose(out.detach().cpu().numpy(), layer_in, rtol=1e-10)
    np.testing.assert_allclose(hn.detach().cpu().numpy(), np.stack(finals), rtol=1e-10)


def test_conv_transpose_output_size_and_1d():
    up = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = ember.randn(1, 2, 4, 4)
    assert up(x).shape == ember.Size([1, 3, 7, 7])
    assert up(x, output_size=(8, 8)).shape == ember.Size([1, 3, 8, 8])
    with pytest.raises(ValueError, match="output size"):
        up(x, output_size=(10, 10))
    t1 = nn.ConvTranspose1d(2, 1, 3, stride=2, dtype=F64)
    x1 = ember.randn(2, 2, 5, dtype=F64)
    ref1 = ref.conv_transpose2d(x1.cpu().numpy()[:, :, None], P(t1.weight)[:, :, None], P(t1.bias),
                                stride=(1, 2))[:, :, 0]
    np.testing.assert_allclose(t1(x1).detach().cpu().numpy(), ref1, rtol=1e-10)
    same = nn.Conv1d(2, 2, 4, padding="same", dilation=2)
    assert same(ember.randn(1, 2, 9)).shape == ember.Size([1, 2, 9])


def test_multihead_attention_bias_kv_zero_attn_and_kdim():
    ember.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5,
                                dtype=F64)
    q = ember.randn(2, 3, 4, dtype=F64, requires_grad=True)
    k = ember.randn(6, 3, 3, dtype=F64)
    v = ember.randn(6, 3, 5, dtype=F64)
    out, w = mha(q, k, v, key_padding_mask=ember.zeros(3, 6, dtype=ember.bool))
    assert out.shape == ember.Size([2, 3, 4]) and w.shape == ember.Size([3, 2, 8])
    np.testing.assert_allclose(w.detach().cpu().numpy().sum(-1), 1.0, rtol=1e-12)
    assert gradcheck(lambda t: mha(t, k, v)[0], (q,))
    unbatched, _ = mha(q[:, 0], k[:, 0], v[:, 0])
    np.testing.assert_allclose(unbatched.detach().cpu().numpy(), out.detach().cpu().numpy()[:, 0],
                               rtol=1e-10)


def test_linear_gradient_of_a_batch_last_input_is_laid_out_like_it():
    """A flattened batch-last activation (a CNN's last pooling, read as (N, C*H*W)) is
    Fortran-ordered; Linear hands its gradient back in that order (so the pooling's backward
    needs no transposing copy), with the same values as for a C-ordered input."""
    rng = np.random.default_rng(3)
    xb = rng.standard_normal((4, 3, 2, 6))                       # (C, H, W, N) in memory
    g = rng.standard_normal((6, 5))
    lin = nn.Linear(24, 5).double()
    seen = {}
    grads = []
    for order in ("F", "C"):
        leaf = ember.from_numpy(xb).to(ember.get_default_device()).requires_grad_()
        x = leaf.permute(3, 0, 1, 2).reshape(6, 24)               # a view: Fortran-ordered
        if order == "C":
            x = x.contiguous()
        x.register_hook(lambda grad, order=order: seen.__setitem__(order, grad._data.flags))
        (lin(x) * ember.tensor(g)).sum().backward()
        grads.append(leaf.grad.cpu().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)
    assert seen["F"].f_contiguous and not seen["F"].c_contiguous
    assert seen["C"].c_contiguous
