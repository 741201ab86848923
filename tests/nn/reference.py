"""Independent NumPy computations of the layers, written the direct (slow, loop) way."""

import math

import numpy as np


def conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """A direct loop over every output element. padding = (top, bottom, left, right)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    pt, pb, pl, pr = padding
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr), x.dtype)
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    ho = (h + pt + pb - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + pl + pr - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, ho, wo), x.dtype)
    og = o // groups
    for ni in range(n):
        for oi in range(o):
            g = oi // og
            for y in range(ho):
                for xx in range(wo):
                    acc = 0.0
                    for ci in range(cg):
                        for i in range(kh):
                            for j in range(kw):
                                acc += (w[oi, ci, i, j]
                                        * xp[ni, g * cg + ci, y * stride[0] + i * dilation[0],
                                             xx * stride[1] + j * dilation[1]])
                    out[ni, oi, y, xx] = acc + (b[oi] if b is not None else 0.0)
    return out


def conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                     dilation=(1, 1), groups=1):
    """Each input element scatters w[c, o] times itself into the output (a direct loop)."""
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    cout = og * groups
    ho = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    wo = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    full = np.zeros((n, cout, ho + 2 * padding[0] + kh * dilation[0],
                     wo + 2 * padding[1] + kw * dilation[1]), x.dtype)
    cg = cin // groups
    for ni in range(n):
        for ci in range(cin):
            g = ci // cg
            for y in range(h):
                for xx in range(wd):
                    for oj in range(og):
                        for i in range(kh):
                            for j in range(kw):
                                full[ni, g * og + oj, y * stride[0] + i * dilation[0],
                                     xx * stride[1] + j * dilation[1]] += (
                                    x[ni, ci, y, xx] * w[ci, oj, i, j])
    out = full[:, :, padding[0]:padding[0] + ho, padding[1]:padding[1] + wo]
    if b is not None:
        out = out + b[None, :, None, None]
    return out


def pool2d(x, k, s, p, op, dilation=(1, 1), ceil_mode=False, count_include_pad=True):
    """Max or average pooling by a loop over windows (PyTorch's window and divisor rules)."""
    n, c, h, w = x.shape

    def out_len(size, kk, ss, pp, dd):
        span = dd * (kk - 1) + 1
        if ceil_mode:
            o = -(-(size + 2 * pp - span) // ss) + 1
            if (o - 1) * ss >= size + pp:
                o -= 1
            return o
        return (size + 2 * pp - span) // ss + 1

    ho, wo = out_len(h, k[0], s[0], p[0], dilation[0]), out_len(w, k[1], s[1], p[1], dilation[1])
    out = np.zeros((n, c, ho, wo), x.dtype)
    idx = np.zeros((n, c, ho, wo), np.int64)
    for y in range(ho):
        for xx in range(wo):
            r0, c0 = y * s[0] - p[0], xx * s[1] - p[1]
            rows = [r0 + i * dilation[0] for i in range(k[0])]
            cols = [c0 + j * dilation[1] for j in range(k[1])]
            if op == "max":
                best = np.full((n, c), -np.inf)
                arg = np.zeros((n, c), np.int64)
                for r in rows:
                    for cc in cols:
                        if 0 <= r < h and 0 <= cc < w:
                            v = x[:, :, r, cc]
                            take = v > best
                            best = np.where(take, v, best)
                            arg = np.where(take, r * w + cc, arg)
                out[:, :, y, xx] = best
                idx[:, :, y, xx] = arg
            else:
                total = np.zeros((n, c))
                for r in rows:
                    for cc in cols:
                        if 0 <= r < h and 0 <= cc < w:
                            total += x[:, :, r, cc]
                hs, he = r0, min(r0 + k[0], h + p[0])
                ws, we = c0, min(c0 + k[1], w + p[1])
                if count_include_pad:
                    div = (he - hs) * (we - ws)
                else:
                    div = (min(he, h) - max(hs, 0)) * (min(we, w) - max(ws, 0))
                out[:, :, y, xx] = total / div
    return out, idx


def adaptive_pool2d(x, out_hw, op):
    n, c, h, w = x.shape
    oh, ow = out_hw
    out = np.zeros((n, c, oh, ow), x.dtype)
    for i in range(oh):
        r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
        for j in range(ow):
            c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            win = x[:, :, r0:r1, c0:c1]
            out[:, :, i, j] = win.max((2, 3)) if op == "max" else win.mean((2, 3))
    return out


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """The LSTM equations, one time step after another. x: (L, N, I)."""
    outs = []
    for t in range(x.shape[0]):
        gates = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = np.split(gates, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs), h, c


def gru(x, h, w_ih, w_hh, b_ih, b_hh):
    outs = []
    for t in range(x.shape[0]):
        xr, xz, xn = np.split(x[t] @ w_ih.T + b_ih, 3, axis=1)
        hr, hz, hn = np.split(h @ w_hh.T + b_hh, 3, axis=1)
        r = sigmoid(xr + hr)
        z = sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        outs.append(h)
    return np.stack(outs), h


def rnn(x, h, w_ih, w_hh, b_ih, b_hh, act=np.tanh):
    outs = []
    for t in range(x.shape[0]):
        h = act(x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        outs.append(h)
    return np.stack(outs), h


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attention(q, k, v, mask=None):
    """softmax(q k^T / sqrt(d) + mask) v."""
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + mask
    w = softmax(scores)
    return w @ v, w


def multihead_attention(q, k, v, w_in, b_in, w_out, b_out, heads, mask=None):
    """q: (L, N, E), k, v: (S, N, E) -> (L, N, E), weights averaged over heads (N, L, S)."""
    e = q.shape[-1]
    hd = e // heads
    qp = q @ w_in[:e].T + b_in[:e]
    kp = k @ w_in[e:2 * e].T + b_in[e:2 * e]
    vp = v @ w_in[2 * e:].T + b_in[2 * e:]
    length, n, _ = q.shape
    s = k.shape[0]
    out = np.zeros((length, n, e))
    weights = np.zeros((n, length, s))
    for b in range(n):
        for hh in range(heads):
            sl = slice(hh * hd, (hh + 1) * hd)
            o, w = attention(qp[:, b, sl], kp[:, b, sl], vp[:, b, sl], mask)
            out[:, b, sl] = o
            weights[b] += w / heads
    return out @ w_out.T + b_out, weights


def layer_norm(x, w, b, eps=1e-5, dims=(-1,)):
    mean = x.mean(axis=dims, keepdims=True)
    var = x.var(axis=dims, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b
