"""Convolution, transposed convolution, pooling, unfold and fold as Ops on arrays.

The layout that makes them fast on NumPy is batch-last: an input (N, C, H, W) is read as
(C, H, W, N). Its kernel windows are an `as_strided` view of shape (C, kh, kw, Ho, Wo, N),
copied once into the columns (C*kh*kw, Ho*Wo*N) -- in runs of Wo*N contiguous elements, not of
Wo -- so that the forward is ONE matrix product W(O, C*kh*kw) @ cols and the gradients are two
more (g @ cols^T for the weight, W^T @ g for the columns; without groups the bias is a last
column of W against a row of ones in the columns, so it costs no pass of its own). The result
(O, Ho, Wo, N) is returned as its (N, O, Ho, Wo) transposed view: no copy, and the next layer
(ReLU, pooling, the next convolution) reads it in that layout too. The columns' gradient goes
back to the input by `col2im`, which adds one strided slice per kernel offset (kh*kw vectorised
adds, again in long runs, straight into the unpadded gradient) instead of scattering element by
element.

Pooling runs over the kernel offsets too: the window maximum is a running maximum of kh*kw
strided slices (the first maximum wins, as PyTorch), the average a running sum.

On NumPy float32/float64 arrays, max pooling (forward and gradient) and col2im run as compiled
loops instead (ember.kernels: one pass each; max pooling keeps each window's winning tap, an
int32, instead of kh*kw-1 masks). The slice code here is their reference, the path for other
dtypes and devices, and what EMBER_NATIVE=0 runs; the tests compare the two.

Conv, pooling and their transposes have first derivatives only: their gradient rules run on
arrays for speed, and differentiating them again (create_graph=True) raises. unfold and fold are
each other's gradient and support any order.
"""

from __future__ import annotations

from ... import backend, kernels
from ...autograd import grad_mode
from ...autograd.function import _FREED, Op
from ...tensor import Tensor, _make


def _as_strided(xp, a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


# OpenBLAS runs a float32 product of at most 100^3 multiply-adds with its small-matrix kernels
# (no packing). A product with a long inner dimension and a small result (a first layer's weight
# gradient: 32x50176 @ 50176x10) runs faster cut along that dimension into pieces under that
# size, the partial products summed (0.56-0.61 ms against 0.80 whole, on two threads). The
# forward's skinny product (32x10 @ 10x50176) was cut too, along its columns, which helps on one
# thread but on two is slower than the whole product (0.52 against 0.40 ms; the CNN step 0.1-0.2
# ms faster whole), so it is left whole.
SMALL_GEMM = 1_000_000
MIN_PIECE = 256        # narrower pieces would cost more in calls than they save
SMALL_K, BIG_RESULT = 16, 1 << 16          # kernels.native.gemm_small_k
SMALL_RESULT, LONG_K = 4096, 1 << 13       # kernels.native.gemm_long_k


def matmul(xp, a, b):
    """a (M, K) @ b (K, N). Two shapes that OpenBLAS handles poorly, a first layer's (one input
    channel: K = 10 rows of columns), run as compiled products on NumPy float arrays
    (ember.kernels: 1.6x and 2.3x faster on the benchmark CNN's first layer, on two threads):
    a tiny K against many columns (the forward), and a tiny result with a long K (the weight
    gradient). Otherwise, on NumPy, a product with a small result (M*N) and a long inner
    dimension is computed in pieces of at most SMALL_GEMM multiply-adds along K, the partial
    products summed."""
    m, k = a.shape
    n = b.shape[1]
    if xp is not backend.cpu.xp or m * k * n <= SMALL_GEMM:
        return a @ b
    if k <= SMALL_K and m * n >= BIG_RESULT and b.flags.c_contiguous \
            and kernels.takes(xp, a, b) and hasattr(kernels.native, "gemm_small_k"):
        out = xp.empty((m, n), dtype=a.dtype)
        kernels.native.gemm_small_k(xp.ascontiguousarray(a), b, out)
        return out
    if m * n <= SMALL_RESULT and k >= LONG_K and a.flags.c_contiguous \
            and b.T.flags.c_contiguous and kernels.takes(xp, a, b) \
            and hasattr(kernels.native, "gemm_long_k"):
        out = xp.empty((m, n), dtype=a.dtype)
        kernels.native.gemm_long_k(a, b.T, out)
        return out
    if SMALL_GEMM // (m * n) >= MIN_PIECE:
        pieces = -(-k // (SMALL_GEMM // (m * n)))
        out = None
        for i in range(pieces):
            lo, hi = k * i // pieces, k * (i + 1) // pieces
            part = a[:, lo:hi] @ b[lo:hi]
            if out is None:
                out = part
            else:
                out += part
        return out
    return a @ b


def out_size(size: int, k: int, s: int, pad_lo: int, pad_hi: int, d: int) -> int:
    """Output length of a window of k taps (dilation d, stride s) over a padded axis."""
    return (size + pad_lo + pad_hi - d * (k - 1) - 1) // s + 1


def im2col(xp, src, kh, kw, sh, sw, dh, dw, ho, wo, out=None):
    """Kernel windows of `src` (C, Hp, Wp, N) (any strides) as columns (C*kh*kw, ho*wo*N),
    written into `out` (a C-contiguous array of that shape) when given."""
    c, n = src.shape[0], src.shape[3]
    s_c, s_h, s_w, s_n = src.strides
    view = _as_strided(xp, src, (c, kh, kw, ho, wo, n),
                       (s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw, s_n))
    if out is None:
        return view.reshape(c * kh * kw, ho * wo * n)
    out.reshape(c, kh, kw, ho, wo, n)[...] = view
    return out


def col2im(xp, cols, hp, wp, sh, sw, dh, dw):
    """The adjoint of im2col: columns (C, kh, kw, ho, wo, N) summed into (C, hp, wp, N), one
    strided slice per kernel offset."""
    c, kh, kw, ho, wo, n = cols.shape
    out = xp.zeros((c, hp, wp, n), dtype=cols.dtype)
    if kernels.takes(xp, cols):
        kernels.native.col2im(xp.ascontiguousarray(cols), out,
                              xp.arange(kh * kw, dtype=xp.int64), sh, sw, dh, dw, 0, 0)
        return out
    for i in range(kh):
        r0 = i * dh
        for j in range(kw):
            c0 = j * dw
            out[:, r0:r0 + sh * (ho - 1) + 1:sh, c0:c0 + sw * (wo - 1) + 1:sw] += cols[:, i, j]
    return out


def _inside(k0, s, o, lo, size):
    """The outputs y in [0, o) whose tap k0 + s*y lands inside [lo, lo + size) of the padded
    axis: (first y, count, first position in the unpadded axis)."""
    y0 = max(0, -(-(lo - k0) // s))
    y1 = min(o - 1, (lo + size - 1 - k0) // s)
    return y0, y1 - y0 + 1, k0 + s * y0 - lo


def col2im_cropped(xp, cols, h, w, pads, sh, sw, dh, dw):
    """col2im followed by removing the padding, without building the padded image: (C, kh,
    kw, ho, wo, N) -> (C, h, w, N). A kernel offset whose taps cover the whole image (the
    centre of a stride-1 'same' convolution) is copied in first instead of added to zeros."""
    c, kh, kw, ho, wo, n = cols.shape
    pt, _, pl, _ = pads
    parts = []
    order = []
    first = None
    for i in range(kh):
        yi, ny, ri = _inside(i * dh, sh, ho, pt, h)
        for j in range(kw):
            xj, nx, cj = _inside(j * dw, sw, wo, pl, w)
            if ny <= 0 or nx <= 0:
                continue
            part = (cols[:, i, j, yi:yi + ny, xj:xj + nx],
                    (slice(None), slice(ri, ri + sh * (ny - 1) + 1, sh),
                     slice(cj, cj + sw * (nx - 1) + 1, sw)))
            if first is None and (ny, nx, ri, cj) == (h, w, 0, 0) and sh == sw == 1:
                first = part
                first_k = i * kw + j
            else:
                parts.append(part)
                order.append(i * kw + j)
    if kernels.takes(xp, cols):   # the same sums, in the same order, in one pass
        # out starts at zeros (init 1), or as a copy of the first part (init 2), in the loop
        if first is not None:
            order = [first_k] + order
        out = xp.empty((c, h, w, n), dtype=cols.dtype)
        kernels.native.col2im(xp.ascontiguousarray(cols), out, xp.array(order, dtype=xp.int64),
                              sh, sw, dh, dw, pt, pl, 1 if first is None else 2)
        return out
    if first is None:
        out = xp.zeros((c, h, w, n), dtype=cols.dtype)
    else:
        out = xp.empty((c, h, w, n), dtype=cols.dtype)
        out[...] = first[0]
    for src, where in parts:
        out[where] += src
    return out


def _axis_order(a) -> list:
    """The array's axes from the largest stride to the smallest (its memory layout)."""
    return sorted(range(a.ndim), key=lambda i: -abs(a.strides[i]))


def _empty_in_order(xp, shape, order, dtype):
    """An uninitialised array of `shape` whose axes lie in memory in `order` (outermost
    first, as _axis_order gives)."""
    inverse = [order.index(i) for i in range(len(order))]
    return xp.empty([shape[i] for i in order], dtype=dtype).transpose(inverse)


def _copy_like(xp, a, like):
    """a's values in an array laid out like `like`."""
    out = xp.empty_like(like, dtype=a.dtype)
    out[...] = a
    return out


def batch_last(xp, a):
    """a (N, C, H, W) as a C-contiguous (C, H, W, N) array (no copy when it is laid out so)."""
    t = a.transpose(1, 2, 3, 0)
    return t if t.flags.c_contiguous else t.copy()


def _batch_last_padded(xp, x, pads, value=0.0):
    """x (N, C, H, W) as (C, H + pt + pb, W + pl + pr, N) (a view when there is no padding)."""
    pt, pb, pl, pr = pads
    xt = x.transpose(1, 2, 3, 0)
    if not (pt or pb or pl or pr):
        return xt
    c, h, w, n = xt.shape
    buf = xp.empty((c, h + pt + pb, w + pl + pr, n), dtype=x.dtype)
    buf[:, :pt] = value           # only the border is filled, the middle is copied over
    buf[:, pt + h:] = value
    buf[:, pt:pt + h, :pl] = value
    buf[:, pt:pt + h, pl + w:] = value
    buf[:, pt:pt + h, pl:pl + w] = xt
    return buf


class ArrayOp(Op):
    """An Op that keeps arrays for backward on ctx (`_arrays` names them); they are dropped
    when the engine releases the node's saved values (after backward, unless retain_graph), and
    reading one afterwards raises as saved_tensors does (backward through the graph a second
    time) instead of computing with None."""

    save_inputs = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # the engine's inline release drops the named arrays of a node that saves nothing else
        if cls.vjp is not None and (cls.save_inputs or cls.save_output):
            raise TypeError(f"{cls.__name__}: an ArrayOp with an array-level rule (vjp) keeps "
                            "arrays only, no saved inputs or output")

    def _release(self) -> None:
        super()._release()
        self._saved = _FREED
        d = self.__dict__
        for name in self._arrays:
            d.pop(name, None)

    def __getattr__(self, name):  # (only for attributes not found: a released array, say)
        if name in type(self)._arrays and self._saved is _FREED:
            _ = self.saved_tensors  # raises: backward through the graph a second time
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


class _FirstOrderOnly(Op):
    """A gradient computed on arrays, recorded (with create_graph=True) so that
    differentiating it again raises instead of silently giving zero."""

    save_inputs = False

    @staticmethod
    def forward(ctx, marker, result, name):
        ctx.what = name
        return result

    @staticmethod
    def backward(ctx, gg):
        raise NotImplementedError(f"{ctx.what}: double backward (differentiating the gradient "
                                  "again) is not supported for this op")


def _grad(ctx, g: Tensor, array, name: str) -> Tensor:
    """The gradient array as a Tensor; while a graph of the gradients is being recorded
    (create_graph=True), one whose own backward raises."""
    if grad_mode.state.enabled:
        marker = _make(ctx.xp.zeros((), dtype=array.dtype), ctx.device)
        marker._requires_grad = True
        return _FirstOrderOnly.apply(marker, array, name)
    return _make(array, ctx.device)


# ---------------------------------------------------------------------------------- conv2d

class Conv2dOp(ArrayOp):
    """y[n, o] = b[o] + sum_{c, i, j} w[o, c, i, j] x_pad[n, g(o) c, s*y + d*i, s*x + d*j].

    Without groups the bias rides along in the matrix product: the columns get a last row of
    ones and the weight matrix a last column b, so that the forward adds no separate pass for
    it, and the weight and bias gradients come out of one product cols @ g^T."""

    _arrays = ("cols", "w")

    @staticmethod
    def forward(ctx, x, w, b, stride, pads, dilation, groups):
        xp = ctx.xp
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        sh, sw = stride
        dh, dw = dilation
        pt, pb, pl, pr = pads
        ho = out_size(h, kh, sh, pt, pb, dh)
        wo = out_size(wd, kw, sw, pl, pr, dw)
        k = cg * kh * kw
        ones_row = groups == 1 and b is not None
        compiled = groups == 1 and kernels.takes(xp, x)
        # the compiled im2col reads the unpadded batch-last input and writes the padding's
        # zeros itself; the slice code reads a padded copy
        src = (xp.ascontiguousarray(x.transpose(1, 2, 3, 0)) if compiled
               else _batch_last_padded(xp, x, pads))
        if groups == 1:
            cols = xp.empty((k + ones_row, ho * wo * n), dtype=x.dtype)
            if compiled:
                kernels.native.im2col(src, cols, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo)
            else:
                im2col(xp, src, kh, kw, sh, sw, dh, dw, ho, wo, out=cols[:k])
            wm = w.reshape(o, k)
            if ones_row:
                cols[k] = 1
                wm = xp.concatenate([wm, b.reshape(o, 1).astype(wm.dtype, copy=False)], axis=1)
            out = matmul(xp, wm, cols)
        else:
            cols = im2col(xp, src, kh, kw, sh, sw, dh, dw, ho, wo)
            out = xp.matmul(w.reshape(groups, o // groups, -1),
                            cols.reshape(groups, k, -1)).reshape(o, -1)
            if b is not None:
                out += b[:, None]
        ctx.cols = cols
        ctx.w = w
        ctx.geom = (x.shape, src.shape, stride, pads, dilation, groups, ho, wo, ones_row)
        return out.reshape(o, ho, wo, n).transpose(3, 0, 1, 2)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        (n, c, h, wd), _, (sh, sw), pads, (dh, dw), groups, ho, wo, ones_row = ctx.geom
        w, cols = ctx.w, ctx.cols
        o, cg, kh, kw = w.shape
        k = cg * kh * kw
        g2 = batch_last(xp, g._data).reshape(o, ho * wo * n)
        gx = gw = gb = None
        want_w, want_b = ctx.next[1] is not None, ctx.next[2] is not None
        if want_w and groups == 1:
            # [gw | gb] = g @ cols^T; OpenBLAS runs it faster as (cols @ g^T)^T when the
            # columns have more rows than g (the usual case; not for a first layer)
            gwb = matmul(xp, cols, g2.T).T if cols.shape[0] > o else matmul(xp, g2, cols.T)
            gw = xp.empty(w.shape, dtype=gwb.dtype)
            gw.reshape(o, k)[...] = gwb[:, :k]
            gw = _grad(ctx, g, gw, "conv2d")
            if want_b and ones_row:
                gb = _grad(ctx, g, xp.ascontiguousarray(gwb[:, k]), "conv2d")
        elif want_w:
            gw = xp.matmul(g2.reshape(groups, o // groups, -1),
                           cols.reshape(groups, k, -1).transpose(0, 2, 1))
            gw = _grad(ctx, g, gw.reshape(w.shape), "conv2d")
        if want_b and gb is None:
            gb = _grad(ctx, g, g2.sum(1), "conv2d")
        if ctx.next[0] is not None:
            if groups == 1:
                gcols = matmul(xp, w.reshape(o, k).T, g2)
            else:
                gcols = xp.matmul(w.reshape(groups, o // groups, -1).transpose(0, 2, 1),
                                  g2.reshape(groups, o // groups, -1))
            gxb = col2im_cropped(xp, gcols.reshape(c, kh, kw, ho, wo, n), h, wd, pads,
                                 sh, sw, dh, dw)
            gx = _grad(ctx, g, gxb.transpose(3, 0, 1, 2), "conv2d")
        return gx, gw, gb, None, None, None, None


class ConvTranspose2dOp(ArrayOp):
    """The adjoint of conv2d in its input: each input pixel spreads w[c, o] over a window of
    the output. x: (N, Cin, H, W), w: (Cin, Cout/groups, kh, kw)."""

    _arrays = ("x2", "w")

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
        xp = ctx.xp
        n, cin, h, wd = x.shape
        _, og, kh, kw = w.shape
        cout = og * groups
        sh, sw = stride
        ph, pw = padding
        dh, dw = dilation
        ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + output_padding[0] + 1
        wo = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + output_padding[1] + 1
        hb = max((h - 1) * sh + dh * (kh - 1) + 1, ph + ho)
        wb = max((wd - 1) * sw + dw * (kw - 1) + 1, pw + wo)
        x2 = batch_last(xp, x).reshape(groups, cin // groups, h * wd * n)
        w2 = w.reshape(groups, cin // groups, og * kh * kw)
        cols = xp.matmul(w2.transpose(0, 2, 1), x2)  # (G, og*kh*kw, H*W*N)
        full = col2im(xp, cols.reshape(cout, kh, kw, h, wd, n), hb, wb, sh, sw, dh, dw)
        out = full[:, ph:ph + ho, pw:pw + wo]
        if b is not None:
            out += b[:, None, None, None]
        ctx.x2 = x2
        ctx.w = w
        ctx.geom = (x.shape, (hb, wb), stride, padding, dilation, groups, ho, wo)
        return out.transpose(3, 0, 1, 2)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        (n, cin, h, wd), (hb, wb), (sh, sw), (ph, pw), (dh, dw), groups, ho, wo = ctx.geom
        w, x2 = ctx.w, ctx.x2
        _, og, kh, kw = w.shape
        cout = og * groups
        gd = g._data
        buf = xp.zeros((cout, hb, wb, n), dtype=gd.dtype)
        buf[:, ph:ph + ho, pw:pw + wo] = gd.transpose(1, 2, 3, 0)
        gcols = im2col(xp, buf, kh, kw, sh, sw, dh, dw, h, wd)
        gcols = gcols.reshape(groups, og * kh * kw, h * wd * n)
        w2 = w.reshape(groups, cin // groups, og * kh * kw)
        gx = gw = gb = None
        if ctx.next[0] is not None:
            gx2 = xp.matmul(w2, gcols).reshape(cin, h, wd, n)
            gx = _grad(ctx, g, gx2.transpose(3, 0, 1, 2), "conv_transpose2d")
        if ctx.next[1] is not None:
            gw = xp.matmul(x2, gcols.transpose(0, 2, 1)).reshape(w.shape)
            gw = _grad(ctx, g, gw, "conv_transpose2d")
        if ctx.next[2] is not None:
            gb = _grad(ctx, g, gd.sum(axis=(0, 2, 3)), "conv_transpose2d")
        return gx, gw, gb, None, None, None, None, None


# --------------------------------------------------------------------------------- pooling

def pool_geometry(h, k, s, p, d, ceil_mode):
    """Output length and the padding after the input for a pooling window (PyTorch's rule:
    with ceil_mode the last window must start inside the input or the left padding)."""
    span = d * (k - 1) + 1
    if ceil_mode:
        o = -(-(h + 2 * p - span) // s) + 1
        if (o - 1) * s >= h + p:
            o -= 1
    else:
        o = (h + 2 * p - span) // s + 1
    hi = max((o - 1) * s + span - h - p, 0)
    return o, hi


def _windows(src, kh, kw, sh, sw, dh, dw, ho, wo):
    """The kernel-offset slices of src (..., Hp, Wp): ((i, j), view (..., ho, wo))."""
    for i in range(kh):
        for j in range(kw):
            yield i, j, src[..., i * dh:i * dh + sh * (ho - 1) + 1:sh,
                            j * dw:j * dw + sw * (wo - 1) + 1:sw]


def _rep4(x):
    """x (N, C, H, W) as a 4-D (A, H, W, B) array for the compiled loops, without a copy: the
    batch-last (C, H, W, N) view, or (N*C, H, W, 1) when x is C-contiguous. -> (rep, batch_last)"""
    if x.flags.c_contiguous:
        n, c, h, w = x.shape
        return x.reshape(n * c, h, w, 1), False
    return x.transpose(1, 2, 3, 0), True


def _to_rep4(xp, a, batch_last):
    """a (N, C, h, w) in the representation _rep4 chose for the input (any strides)."""
    if batch_last:
        return a.transpose(1, 2, 3, 0)
    n, c, h, w = a.shape
    return xp.ascontiguousarray(a).reshape(n * c, h, w, 1)


def _from_rep4(a, n, batch_last):
    """The (N, C, h, w) view of a 4-D (A, h, w, B) array."""
    if batch_last:
        return a.transpose(3, 0, 1, 2)
    return a.reshape(n, a.shape[0] // n, a.shape[1], a.shape[2])


def _loop_strides(sh, sw, ho, wo):
    """The strides for the compiled pooling loops: 1 along an axis of one output, where the
    stride is never used (the loops take no stride of 2^62 or more, the NumPy code does)."""
    return (sh if ho > 1 else 1), (sw if wo > 1 else 1)


class MaxPool2dOp(ArrayOp):
    """out[n, c, y, x] = max over the window of x_pad (padding is -inf), as a running maximum
    over the kernel offsets. ctx keeps, per offset k > 0, where offset k took the lead
    (v_k > the running maximum); an element's winner is the last offset that took the lead,
    so the first of equal maxima wins, as in PyTorch. nan propagates to the output.

    With relu=True it is max_pool2d(relu(x)) in one op, computed as relu(max_pool2d(x)) (the
    same numbers: relu is monotone and keeps nan): the ReLU runs on the pooled output, kh*kw
    times smaller than its input, and its gradient mask on the pooled output too. The window's
    winner is the same either way wherever the gradient is not zero (relu only creates ties
    among values <= 0, whose gradient it zeroes).

    On NumPy float arrays the compiled loop (_forward_compiled) computes the same values and
    winners in one pass and keeps the winning tap per output (ctx.arg) instead of `leads`."""

    _arrays = ("leads", "pos", "arg")

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode, relu=False):
        xp = ctx.xp
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
        ho, hi_h = pool_geometry(h, kh, sh, ph, dh, ceil_mode)
        wo, hi_w = pool_geometry(w, kw, sw, pw, dw, ceil_mode)
        ctx.arg = None
        if x.size and kernels.takes(xp, x):
            return MaxPool2dOp._forward_compiled(ctx, x, (kernel, stride, padding, dilation),
                                                 ho, wo, relu)
        order = _axis_order(x)
        src = x
        if ph or pw or hi_h or hi_w:
            src = _empty_in_order(xp, (n, c, h + ph + hi_h, w + pw + hi_w), order, x.dtype)
            src[...] = -xp.inf     # laid out like x (batch-last after a conv): no transposing
            src[:, :, ph:ph + h, pw:pw + w] = x
        views = [v for _, _, v in _windows(src, kh, kw, sh, sw, dh, dw, ho, wo)]
        out = xp.empty_like(views[0])  # the input's memory layout (channel-major after a conv)
        leads = []
        if len(views) == 1:
            out[...] = views[0]
        for k, v in enumerate(views[1:]):
            prev = views[0] if k == 0 else out   # the first step reads both offsets directly
            leads.append(xp.greater(v, prev))
            xp.maximum(prev, v, out=out)
        ctx.leads = leads
        ctx.order = order  # the input's layout, for its gradient (not the input itself)
        ctx.geom = (x.shape, src.shape, kernel, stride, padding, dilation, ho, wo)
        ctx.pos = None
        if relu:
            # relu's gradient mask: where the window's winning value is > 0. That value is the
            # maximum unless a nan came after the winner (the maximum is then nan)
            ctx.pos = xp.greater(out, 0)
            if out.size and xp.isnan(out.max()):
                val = xp.zeros_like(out)
                for (_, _, v), mask in zip(_windows(src, kh, kw, sh, sw, dh, dw, ho, wo),
                                           MaxPool2dOp.winners(xp, leads)):
                    xp.copyto(val, v, where=True if mask is None else mask)
                ctx.pos = xp.greater(val, 0)
            xp.maximum(out, 0, out=out)
        return out

    @staticmethod
    def _forward_compiled(ctx, x, window, ho, wo, relu):
        """The same forward in one pass (ember.kernels' max_pool2d), keeping each window's
        winning tap (an int32 per output) instead of the kh*kw-1 `leads` masks."""
        xp = ctx.xp
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = window
        rep, batch_last = _rep4(x)
        shape = (rep.shape[0], ho, wo, rep.shape[3])
        out = xp.empty(shape, dtype=x.dtype)
        arg = xp.empty(shape, dtype=xp.int32)
        pos = xp.empty(shape, dtype=bool) if relu else None   # relu's gradient mask
        kernels.native.max_pool2d(xp.ascontiguousarray(rep), out, arg, pos, kh, kw,
                                  *_loop_strides(sh, sw, ho, wo), ph, pw, dh, dw)
        ctx.arg = arg
        ctx.pos = pos
        ctx.geom = (x.shape, batch_last) + tuple(window) + (ho, wo)
        return _from_rep4(out, x.shape[0], batch_last)

    @staticmethod
    def winners(xp, leads):
        """One bool mask per kernel offset: where that offset holds the (first) maximum."""
        if not leads:
            return [None]
        free = xp.logical_not(leads[-1])
        masks = [leads[-1]]
        for lead in reversed(leads[:-1]):
            masks.append(xp.logical_and(lead, free))
            xp.logical_and(free, xp.logical_not(lead), out=free)
        masks.append(free)
        masks.reverse()
        return masks

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        arg = ctx.arg
        if arg is not None:
            (n, c, h, w), batch_last, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ho, wo = ctx.geom
            grep = xp.ascontiguousarray(_to_rep4(xp, g._data, batch_last))  # vectorises
            pos = ctx.pos
            # windows that tile the padded input write every element once: no zeroing first
            # (the NumPy code's `tiled`, which writes g * mask, -0.0 for a negative g, where
            # the other adds it to zeros)
            tiled = (sh == kh and sw == kw and dh == dw == 1 and ho * kh >= h + ph
                     and wo * kw >= w + pw)
            shape = (arg.shape[0], h, w, arg.shape[3])
            gx = xp.empty(shape, dtype=grep.dtype) if tiled else xp.zeros(shape, grep.dtype)
            kernels.native.max_pool2d_backward(grep, arg, pos, gx, kh, kw,
                                               *_loop_strides(sh, sw, ho, wo), ph, pw, dh, dw,
                                               tiled)
            return (_grad(ctx, g, _from_rep4(gx, n, batch_last), "max_pool2d"),
                    None, None, None, None, None, None)
        (n, c, h, w), src_shape, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ho, wo = ctx.geom
        gd = g._data
        leads = ctx.leads
        if ctx.pos is not None:  # the fused relu's gradient, laid out like the output
            gd = xp.multiply(gd, ctx.pos, out=xp.empty_like(ctx.pos, dtype=gd.dtype))
        elif leads and _axis_order(gd) != _axis_order(leads[0]):
            gd = _copy_like(xp, gd, leads[0])  # one reordering pass instead of kh*kw
        tiled = (sh == kh * dh and sw == kw * dw and dh == 1 and dw == 1
                 and src_shape == (n, c, ho * kh, wo * kw))
        # laid out like the input, as conv's backward likes
        gsrc = _empty_in_order(xp, src_shape, ctx.order, gd.dtype)

        masks = MaxPool2dOp.winners(xp, leads)
        if not tiled:  # windows overlap or leave gaps: accumulate into zeros
            gsrc[...] = 0
            tmp = xp.empty(gd.shape, dtype=gd.dtype)
        for (_, _, v), mask in zip(_windows(gsrc, kh, kw, sh, sw, dh, dw, ho, wo), masks):
            if tiled:  # every input element is written exactly once
                if mask is None:
                    v[...] = gd
                else:
                    xp.multiply(gd, mask, out=v)
            elif mask is None:
                v += gd
            else:
                xp.multiply(gd, mask, out=tmp)
                v += tmp
        gx = gsrc[:, :, ph:ph + h, pw:pw + w]
        return _grad(ctx, g, gx, "max_pool2d"), None, None, None, None, None, None

    @staticmethod
    def indices(ctx, w_in):
        """PyTorch's return_indices: the flat index (into H*W) of each window's maximum."""
        xp = ctx.xp
        (n, c, _, _), layout, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ho, wo = ctx.geom
        if ctx.arg is not None:   # the compiled forward's winning taps
            arg = _from_rep4(ctx.arg, n, layout).astype(xp.int64)
        else:
            arg = None
            for k, mask in enumerate(MaxPool2dOp.winners(xp, ctx.leads)):
                if mask is None:   # a one-tap window
                    arg = xp.zeros((n, c, ho, wo), dtype=xp.int64)
                    break
                if arg is None:
                    arg = xp.zeros(mask.shape, dtype=xp.int64)
                arg[mask] = k
        ki, kj = arg // kw, arg % kw
        rows = xp.arange(ho)[:, None] * sh - ph + ki * dh
        cols = xp.arange(wo)[None, :] * sw - pw + kj * dw
        return rows * w_in + cols


class AvgPool2dOp(Op):
    """out = (sum over the window of x_pad) / divisor, divisor per PyTorch's rules
    (count_include_pad, ceil_mode windows clipped to the padded input, divisor_override)."""

    save_inputs = False

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        xp = ctx.xp
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
        ho, hi_h = pool_geometry(h, kh, sh, ph, 1, ceil_mode)
        wo, hi_w = pool_geometry(w, kw, sw, pw, 1, ceil_mode)
        src = x
        if ph or pw or hi_h or hi_w:
            src = xp.zeros((n, c, h + ph + hi_h, w + pw + hi_w), dtype=x.dtype)
            src[:, :, ph:ph + h, pw:pw + w] = x
        if sh == kh and sw == kw and not (ph or pw or hi_h or hi_w) and h == ho * kh \
                and w == wo * kw:
            total = x.reshape(n, c, ho, kh, wo, kw).sum(axis=(3, 5))
        else:
            total = None
            for _, _, v in _windows(src, kh, kw, sh, sw, 1, 1, ho, wo):
                if total is None:
                    total = xp.array(v, order="C")
                else:
                    total += v
        if divisor_override:
            div = float(divisor_override)
        else:
            div = (_window_counts(xp, h, kh, sh, ph, ho, count_include_pad)[:, None]
                   * _window_counts(xp, w, kw, sw, pw, wo, count_include_pad)[None, :])
            div = div.astype(x.dtype)
        ctx.div = div
        ctx.geom = (x.shape, src.shape, kernel, stride, padding, ho, wo)
        return total / div

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        (n, c, h, w), src_shape, (kh, kw), (sh, sw), (ph, pw), ho, wo = ctx.geom
        gd = g._data / ctx.div
        if sh == kh and sw == kw and src_shape == (n, c, h, w) and h == ho * kh \
                and w == wo * kw:
            gx = xp.broadcast_to(gd[:, :, :, None, :, None], (n, c, ho, kh, wo, kw))
            gx = gx.reshape(n, c, h, w)
        else:
            gsrc = xp.zeros(src_shape, dtype=gd.dtype)
            for _, _, v in _windows(gsrc, kh, kw, sh, sw, 1, 1, ho, wo):
                v += gd
            gx = gsrc[:, :, ph:ph + h, pw:pw + w]
        return _grad(ctx, g, gx, "avg_pool2d"), None, None, None, None, None, None


def _window_counts(xp, size, k, s, p, o, count_include_pad):
    """How many elements each window along one axis averages (PyTorch's divisor)."""
    start = xp.arange(o) * s - p
    end = xp.minimum(start + k, size + p)
    if count_include_pad:
        return end - start
    return xp.minimum(end, size) - xp.maximum(start, 0)


# -------------------------------------------------------------------------- unfold / fold

class UnfoldOp(Op):
    """(N, C, H, W) -> (N, C*kh*kw, L): every kernel window as a column (im2col)."""

    save_inputs = False

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride):
        xp = ctx.xp
        n, c, h, w = x.shape
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
        ho = out_size(h, kh, sh, ph, ph, dh)
        wo = out_size(w, kw, sw, pw, pw, dw)
        src = x
        if ph or pw:
            src = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
            src[:, :, ph:ph + h, pw:pw + w] = x
        s_n, s_c, s_h, s_w = src.strides
        view = _as_strided(xp, src, (n, c, kh, kw, ho, wo),
                           (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw))
        ctx.args = ((h, w), kernel, dilation, padding, stride)
        return view.reshape(n, c * kh * kw, ho * wo)

    @staticmethod
    def backward(ctx, g):
        return FoldOp.apply(g, *ctx.args), None, None, None, None


class FoldOp(Op):
    """(N, C*kh*kw, L) -> (N, C, H, W): columns summed back into the image (col2im)."""

    save_inputs = False

    @staticmethod
    def forward(ctx, cols, output_size, kernel, dilation, padding, stride):
        xp = ctx.xp
        (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (output_size, kernel, dilation,
                                                          padding, stride)
        n, ckk, _ = cols.shape
        c = ckk // (kh * kw)
        ho = out_size(h, kh, sh, ph, ph, dh)
        wo = out_size(w, kw, sw, pw, pw, dw)
        c6 = cols.reshape(n, c, kh, kw, ho, wo).transpose(1, 2, 3, 4, 5, 0)
        full = col2im(xp, c6, h + 2 * ph, w + 2 * pw, sh, sw, dh, dw)
        ctx.args = (kernel, dilation, padding, stride)
        return full[:, ph:ph + h, pw:pw + w].transpose(3, 0, 1, 2)

    @staticmethod
    def backward(ctx, g):
        return (UnfoldOp.apply(g, *ctx.args), None, None, None, None, None)


def conv_out_shape(n, o, h, w, kernel, stride, pads, dilation):
    ho = out_size(h, kernel[0], stride[0], pads[0], pads[1], dilation[0])
    wo = out_size(w, kernel[1], stride[1], pads[2], pads[3], dilation[1])
    return (n, o, ho, wo)


def same_pads(kernel, dilation) -> tuple:
    """padding='same': total d*(k-1) per axis, the extra one at the end (as PyTorch)."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]
    return tuple(pads)

