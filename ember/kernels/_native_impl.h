/* The loops of ember/kernels/_native.c for one floating type: included once with T = float
 * (suffix _f) and once with T = double (suffix _d). Every loop does the same arithmetic, in the
 * same order and the same type, as the NumPy code it replaces (see each caller in ember/), so
 * that both give the same bits; the file is compiled without floating-point contraction. */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SUF)

/* Adam / AdamW over n elements in place (PyTorch's algorithm box, as ember.optim.adam_rule):
 * m += (g - m) c1; v = v beta2 + (g c2) g; vmax = max(vmax, v) (nan wins);
 * p += m / (sqrt(v or vmax) + eps_t) * neg_step, after p *= shrink (AdamW) or g += l2 p. */
CLONES static void FN(adam)(T *restrict p, const T *restrict g, T *restrict m, T *restrict v,
                            T *restrict vmax, Py_ssize_t n, T c1, T c2, T beta2, T eps_t,
                            T neg_step, T shrink, T l2, int maximize, int amsgrad)
{
    if (!amsgrad && !maximize && shrink == 1 && l2 == 0) {   /* the common case, branch-free */
        for (Py_ssize_t i = 0; i < n; i++) {
            T gi = g[i];
            T mi = m[i] + (gi - m[i]) * c1;
            T vi = v[i] * beta2 + (gi * c2) * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] + (mi / (SQRT(vi) + eps_t)) * neg_step;
        }
        return;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        T pi = p[i];
        if (shrink != 1)
            pi = pi * shrink;
        T gi = maximize ? -g[i] : g[i];
        if (l2 != 0)
            gi = gi + l2 * pi;
        T mi = m[i] + (gi - m[i]) * c1;
        T vi = v[i] * beta2 + (gi * c2) * gi;
        m[i] = mi;
        v[i] = vi;
        T d;
        if (amsgrad) {
            T vm = vmax[i];
            if (!(vm >= vi || vm != vm))
                vm = vi;
            vmax[i] = vm;
            d = SQRT(vm);
        } else {
            d = SQRT(vi);
        }
        p[i] = pi + (mi / (d + eps_t)) * neg_step;
    }
}

/* adam over segments (arrays of several parameters) laid end to end: the elements [lo, hi) of
 * part `part` of their total, each segment's share in one call */
typedef struct {
    const adam_seg *segs;
    Py_ssize_t nsegs, total;
    T c1, c2, beta2, eps_t, neg_step, shrink, l2;
    int maximize, amsgrad;
} FN(adam_args);

static void FN(adam_part)(void *ctx, int part, int parts)
{
    FN(adam_args) *a = ctx;
    Py_ssize_t lo, hi;
    pool_span(a->total, part, parts, 64, &lo, &hi);
    for (Py_ssize_t s = 0; s < a->nsegs; s++) {
        const adam_seg *sg = &a->segs[s];
        Py_ssize_t b0 = lo > sg->start ? lo : sg->start;
        Py_ssize_t b1 = hi < sg->start + sg->n ? hi : sg->start + sg->n;
        if (b0 >= b1)
            continue;
        Py_ssize_t o = b0 - sg->start;
        FN(adam)((T *)sg->p + o, (const T *)sg->g + o, (T *)sg->m + o, (T *)sg->v + o,
                 sg->vmax ? (T *)sg->vmax + o : NULL, b1 - b0, a->c1, a->c2, a->beta2, a->eps_t,
                 a->neg_step, a->shrink, a->l2, a->maximize, a->amsgrad);
    }
}

/* SGD with momentum in place (as ember.optim.SGD's rule): t = g sign (+ wd p); b = t on the
 * first step, else b momentum + t (no dampening) or + (1 - dampening) t; then p -= (t +
 * momentum b) lr (Nesterov) or b lr. */
CLONES static void FN(sgd_momentum)(T *restrict p, const T *restrict g, T *restrict b,
                                    Py_ssize_t n, T sign, T wd, T momentum, T keep, T lr,
                                    int first, int dampened, int nesterov)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        T t = g[i] * sign;
        if (wd != 0)
            t = t + wd * p[i];
        T bi;
        if (first)
            bi = t;
        else
            bi = dampened ? b[i] * momentum + keep * t : b[i] * momentum + t;
        b[i] = bi;
        T step = nesterov ? (t + momentum * bi) * lr : bi * lr;
        p[i] = p[i] - step;
    }
}

typedef struct {
    T *p;
    const T *g;
    T *b;
    Py_ssize_t n;
    T sign, wd, momentum, keep, lr;
    int first, dampened, nesterov;
} FN(sgd_momentum_args);

static void FN(sgd_momentum_part)(void *ctx, int part, int parts)
{
    FN(sgd_momentum_args) *a = ctx;
    Py_ssize_t lo, hi;
    pool_span(a->n, part, parts, 64, &lo, &hi);
    FN(sgd_momentum)(a->p + lo, a->g + lo, a->b + lo, hi - lo, a->sign, a->wd, a->momentum,
                     a->keep, a->lr, a->first, a->dampened, a->nesterov);
}

/* relu's gradient: out = g * (y > 0), as the NumPy code computes it (a nan in g stays nan). */
CLONES static void FN(relu_backward)(const T *restrict g, const T *restrict y, T *restrict out,
                                     Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        out[i] = g[i] * (T)(y[i] > 0);
}

typedef struct {
    const T *g, *y;
    T *out;
    Py_ssize_t n;
} FN(relu_backward_args);

static void FN(relu_backward_part)(void *ctx, int part, int parts)
{
    FN(relu_backward_args) *a = ctx;
    Py_ssize_t lo, hi;
    pool_span(a->n, part, parts, 64, &lo, &hi);
    FN(relu_backward)(a->g + lo, a->y + lo, a->out + lo, hi - lo);
}

/* relu: out = np.maximum(x, 0) as NumPy computes it (a nan stays, -0.0 becomes 0.0). */
CLONES static void FN(relu)(const T *restrict x, T *restrict out, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        T v = x[i];
        out[i] = (v > 0 || v != v) ? v : 0;
    }
}

typedef struct {
    const T *x;
    T *out;
    Py_ssize_t n;
} FN(relu_args);

static void FN(relu_part)(void *ctx, int part, int parts)
{
    FN(relu_args) *a = ctx;
    Py_ssize_t lo, hi;
    pool_span(a->n, part, parts, 64, &lo, &hi);
    FN(relu)(a->x + lo, a->out + lo, hi - lo);
}

/* y (m, n) += b (n) in place, rows [r0, r1): a Linear layer's bias, as y += b in NumPy. */
CLONES static void FN(add_rows)(T *restrict y, const T *restrict b, Py_ssize_t n, Py_ssize_t r0,
                                Py_ssize_t r1)
{
    for (Py_ssize_t i = r0; i < r1; i++) {
        T *restrict row = y + i * n;
        for (Py_ssize_t j = 0; j < n; j++)
            row[j] = row[j] + b[j];
    }
}

/* out (n) = the sum of the m rows of g (m, n), columns [c0, c1): from 0, each row added in
 * turn, as NumPy's g.sum(0) sums a C-contiguous array (the bits of a bias's gradient; 0 +
 * -0.0 is 0.0, as there). */
CLONES static void FN(sum_rows)(const T *restrict g, T *restrict out, Py_ssize_t m, Py_ssize_t n,
                                Py_ssize_t c0, Py_ssize_t c1)
{
    for (Py_ssize_t j = c0; j < c1; j++)
        out[j] = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        const T *restrict row = g + i * n;
        for (Py_ssize_t j = c0; j < c1; j++)
            out[j] = out[j] + row[j];
    }
}

typedef struct {
    T *y;
    const T *b;
    T *out;
    Py_ssize_t m, n;
} FN(rows_args);

static void FN(add_rows_part)(void *ctx, int part, int parts)
{
    FN(rows_args) *a = ctx;
    Py_ssize_t lo, hi;
    pool_span(a->m, part, parts, 1, &lo, &hi);
    FN(add_rows)(a->y, a->b, a->n, lo, hi);
}

static void FN(sum_rows_part)(void *ctx, int part, int parts)
{
    FN(rows_args) *a = ctx;
    Py_ssize_t lo, hi;
    pool_span(a->n, part, parts, 64, &lo, &hi);
    FN(sum_rows)(a->b, a->out, a->m, a->n, lo, hi);
}

/* Max pooling over x (A, h, w, B) into out (A, ho, wo, B), planes a0 <= a < a1; see
 * max_pool2d in _native.c. val: B elements of scratch. */
CLONES static void FN(max_pool2d)(const T *restrict x, T *restrict out, int32_t *restrict arg,
                                  char *restrict pos, T *restrict val, Py_ssize_t na,
                                  Py_ssize_t h, Py_ssize_t w, Py_ssize_t nb, Py_ssize_t ho,
                                  Py_ssize_t wo, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh,
                                  Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh,
                                  Py_ssize_t dw, Py_ssize_t a0, Py_ssize_t a1)
{
    const T ninf = -(T)INFINITY;
    (void)na;
    for (Py_ssize_t a = a0; a < a1; a++)
        for (Py_ssize_t yo = 0; yo < ho; yo++)
            for (Py_ssize_t xo = 0; xo < wo; xo++) {
                Py_ssize_t row = ((a * ho + yo) * wo + xo) * nb;
                T *restrict o = out + row;
                int32_t *restrict r = arg + row;
                for (Py_ssize_t b = 0; b < nb; b++) {
                    o[b] = ninf;
                    r[b] = 0;
                    val[b] = ninf;
                }
                for (Py_ssize_t i = 0; i < kh; i++) {
                    Py_ssize_t y = yo * sh + i * dh - ph;
                    if (y < 0 || y >= h)
                        continue;          /* -inf: never greater, never nan */
                    for (Py_ssize_t j = 0; j < kw; j++) {
                        Py_ssize_t xx = xo * sw + j * dw - pw;
                        if (xx < 0 || xx >= w)
                            continue;
                        int32_t k = (int32_t)(i * kw + j);
                        const T *restrict v = x + ((a * h + y) * w + xx) * nb;
                        if (k == 0) {
                            for (Py_ssize_t b = 0; b < nb; b++) {
                                o[b] = v[b];
                                val[b] = v[b];
                            }
                            continue;
                        }
                        for (Py_ssize_t b = 0; b < nb; b++) {
                            T vb = v[b], cur = o[b];
                            int lead = vb > cur;
                            /* np.maximum(cur, vb): a nan in cur stays, else vb unless cur is
                             * greater (of equal -0.0 and 0.0, vb's sign) */
                            o[b] = (cur > vb || cur != cur) ? cur : vb;
                            r[b] = lead ? k : r[b];
                            val[b] = lead ? vb : val[b];
                        }
                    }
                }
                if (pos) {                 /* the fused ReLU */
                    char *restrict q = pos + row;
                    for (Py_ssize_t b = 0; b < nb; b++) {
                        T ob = o[b];
                        q[b] = val[b] > 0;
                        o[b] = (ob > 0 || ob != ob) ? ob : 0;   /* np.maximum(ob, 0): -0.0 -> 0 */
                    }
                }
            }
}

typedef struct {
    const T *x;
    T *out;
    int32_t *arg;
    char *pos;
    T *val;                       /* scratch: B elements per part, `stride` apart */
    Py_ssize_t stride, na, h, w, nb, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw;
} FN(max_pool2d_args);

static void FN(max_pool2d_part)(void *ctx, int part, int parts)
{
    FN(max_pool2d_args) *a = ctx;
    Py_ssize_t lo, hi;
    pool_span(a->na, part, parts, 1, &lo, &hi);
    FN(max_pool2d)(a->x, a->out, a->arg, a->pos, a->val + part * a->stride, a->na, a->h, a->w,
                   a->nb, a->ho, a->wo, a->kh, a->kw, a->sh, a->sw, a->ph, a->pw, a->dh, a->dw,
                   lo, hi);
}

/* The gradient of max_pool2d: gx (A, h, w, B) gets g (A, ho, wo, B) at each window's arg tap
 * (where pos, with the fused ReLU). As the NumPy code, every tap of a window gets g multiplied
 * by the 0/1 mask of the winner (and by pos: (g pos) mask has the bits of g (pos mask), both
 * factors being 0 or 1): a nan or inf g makes nan at every tap, a negative g -0.0 where the
 * mask is 0. With assign the windows tile gx exactly and gx is written
 * instead of added to (it need not be zeroed first). Planes a0 <= a < a1. */
CLONES static void FN(max_pool2d_backward)(const T *restrict g, const int32_t *restrict arg,
                                           const char *restrict pos, T *restrict gx,
                                           Py_ssize_t na, Py_ssize_t h, Py_ssize_t w,
                                           Py_ssize_t nb, Py_ssize_t ho, Py_ssize_t wo,
                                           Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh,
                                           Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw,
                                           Py_ssize_t dh, Py_ssize_t dw, int assign,
                                           Py_ssize_t a0, Py_ssize_t a1)
{
    (void)na;
    for (Py_ssize_t a = a0; a < a1; a++)
        for (Py_ssize_t yo = 0; yo < ho; yo++)
            for (Py_ssize_t xo = 0; xo < wo; xo++) {
                Py_ssize_t row = ((a * ho + yo) * wo + xo) * nb;
                const T *restrict gv = g + row;
                const int32_t *restrict r = arg + row;
                const char *restrict q = pos ? pos + row : NULL;
                for (Py_ssize_t i = 0; i < kh; i++) {
                    Py_ssize_t y = yo * sh + i * dh - ph;
                    if (y < 0 || y >= h)
                        continue;
                    for (Py_ssize_t j = 0; j < kw; j++) {
                        Py_ssize_t xx = xo * sw + j * dw - pw;
                        if (xx < 0 || xx >= w)
                            continue;
                        int32_t k = (int32_t)(i * kw + j);
                        T *restrict t = gx + ((a * h + y) * w + xx) * nb;
                        if (assign && q) {
                            for (Py_ssize_t b = 0; b < nb; b++)
                                t[b] = gv[b] * (T)((r[b] == k) & (q[b] != 0));
                        } else if (assign) {
                            for (Py_ssize_t b = 0; b < nb; b++)
                                t[b] = gv[b] * (T)(r[b] == k);
                        } else if (q) {
                            for (Py_ssize_t b = 0; b < nb; b++)
                                t[b] += gv[b] * (T)((r[b] == k) & (q[b] != 0));
                        } else {
                            for (Py_ssize_t b = 0; b < nb; b++)
                                t[b] += gv[b] * (T)(r[b] == k);
                        }
                    }
                }
            }
}

typedef struct {
    const T *g;
    const int32_t *arg;
    const char *pos;
    T *gx;
    Py_ssize_t na, h, w, nb, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw;
    int assign;
} FN(max_pool2d_backward_args);

static void FN(max_pool2d_backward_part)(void *ctx, int part, int parts)
{
    FN(max_pool2d_backward_args) *a = ctx;
    Py_ssize_t lo, hi;
    pool_span(a->na, part, parts, 1, &lo, &hi);
    FN(max_pool2d_backward)(a->g, a->arg, a->pos, a->gx, a->na, a->h, a->w, a->nb, a->ho, a->wo,
                            a->kh, a->kw, a->sh, a->sw, a->ph, a->pw, a->dh, a->dw, a->assign,
                            lo, hi);
}

/* im2col: the rows of cols (C*kh*kw rows of ho*wo*N; cols may have more rows, left alone) are
 * the kernel windows of x (C, h, w, N), zero where a tap falls in the padding (pt rows above,
 * pl columns left): cols[(c, i, j), (y, x, :)] = x[c, sh y + dh i - pt, sw x + dw j - pl, :].
 * Rows r0 <= (c kh + i) kw + j < r1. */
CLONES static void FN(im2col)(const T *restrict x, T *restrict cols, Py_ssize_t nc,
                              Py_ssize_t h, Py_ssize_t w, Py_ssize_t nb, Py_ssize_t kh,
                              Py_ssize_t kw, Py_ssize_t ho, Py_ssize_t wo, Py_ssize_t sh,
                              Py_ssize_t sw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t pt,
                              Py_ssize_t pl, Py_ssize_t r0, Py_ssize_t r1)
{
    Py_ssize_t run = wo * nb;
    (void)nc;
    for (Py_ssize_t rr = r0; rr < r1; rr++) {
        Py_ssize_t c = rr / (kh * kw), i = rr / kw % kh, j = rr % kw;
        T *restrict row = cols + rr * ho * run;
        /* the outputs x0 <= xo < x1 whose tap lands inside the row */
        Py_ssize_t off = j * dw - pl, x0 = 0, x1 = wo;
        while (x0 < wo && x0 * sw + off < 0)
            x0++;
        while (x1 > x0 && (x1 - 1) * sw + off >= w)
            x1--;
        for (Py_ssize_t yo = 0; yo < ho; yo++) {
            T *restrict dst = row + yo * run;
            Py_ssize_t y = yo * sh + i * dh - pt;
            if (y < 0 || y >= h) {
                memset(dst, 0, (size_t)run * sizeof(T));
                continue;
            }
            const T *line = x + (c * h + y) * w * nb;
            if (x0 > 0)
                memset(dst, 0, (size_t)(x0 * nb) * sizeof(T));
            if (sw == 1 && x1 > x0)
                memcpy(dst + x0 * nb, line + (x0 + off) * nb,
                       (size_t)((x1 - x0) * nb) * sizeof(T));
            else
                for (Py_ssize_t xo = x0; xo < x1; xo++)
                    memcpy(dst + xo * nb, line + (xo * sw + off) * nb,
                           (size_t)nb * sizeof(T));
            if (x1 < wo)
                memset(dst + x1 * nb, 0, (size_t)((wo - x1) * nb) * sizeof(T));
        }
    }
}

typedef struct {
    const T *x;
    T *cols;
    Py_ssize_t nc, h, w, nb, kh, kw, ho, wo, sh, sw, dh, dw, pt, pl;
} FN(im2col_args);

static void FN(im2col_part)(void *ctx, int part, int parts)
{
    FN(im2col_args) *a = ctx;
    Py_ssize_t lo, hi;
    pool_span(a->nc * a->kh * a->kw, part, parts, 1, &lo, &hi);
    FN(im2col)(a->x, a->cols, a->nc, a->h, a->w, a->nb, a->kh, a->kw, a->ho, a->wo, a->sh, a->sw,
               a->dh, a->dw, a->pt, a->pl, lo, hi);
}

/* col2im: out (C, h, w, N) += cols (C, kh, kw, ho, wo, N), kernel offsets taken in `order`
 * (init 1: out starts at zeros; init 2: the first offset in order covers all of out and is
 * copied into it, the others added)
 * (flat i * kw + j) so that every element sums its terms in the NumPy code's order; taps that
 * fall in the padding (pt rows above, pl columns left) are dropped. Channels c0 <= c < c1. */
CLONES static void FN(col2im)(const T *restrict cols, T *restrict out, const int64_t *order,
                              Py_ssize_t n_order, Py_ssize_t nc, Py_ssize_t kh, Py_ssize_t kw,
                              Py_ssize_t ho, Py_ssize_t wo, Py_ssize_t nb, Py_ssize_t h,
                              Py_ssize_t w, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t dh,
                              Py_ssize_t dw, Py_ssize_t pt, Py_ssize_t pl, int init,
                              Py_ssize_t c0, Py_ssize_t c1)
{
    (void)nc;
    for (Py_ssize_t c = c0; c < c1; c++) {
        if (init == 1)                    /* out starts at zeros (then + a tap: as NumPy's) */
            memset(out + c * h * w * nb, 0, (size_t)(h * w * nb) * sizeof(T));
        for (Py_ssize_t q = 0; q < n_order; q++) {
            Py_ssize_t k = (Py_ssize_t)order[q], i = k / kw, j = k % kw;
            int copy = init == 2 && q == 0;   /* the first tap covers out: copied, not added */
            for (Py_ssize_t yo = 0; yo < ho; yo++) {
                Py_ssize_t y = yo * sh + i * dh - pt;
                if (y < 0 || y >= h)
                    continue;
                for (Py_ssize_t xo = 0; xo < wo; xo++) {
                    Py_ssize_t xx = xo * sw + j * dw - pl;
                    if (xx < 0 || xx >= w)
                        continue;
                    const T *restrict src = cols + ((((c * kh + i) * kw + j) * ho + yo) * wo + xo) * nb;
                    T *restrict dst = out + ((c * h + y) * w + xx) * nb;
                    if (copy)
                        memcpy(dst, src, (size_t)nb * sizeof(T));
                    else
                        for (Py_ssize_t b = 0; b < nb; b++)
                            dst[b] += src[b];
                }
            }
        }
    }
}

typedef struct {
    const T *cols;
    T *out;
    const int64_t *order;
    Py_ssize_t n_order, nc, kh, kw, ho, wo, nb, h, w, sh, sw, dh, dw, pt, pl;
    int init;
} FN(col2im_args);

static void FN(col2im_part)(void *ctx, int part, int parts)
{
    FN(col2im_args) *a = ctx;
    Py_ssize_t lo, hi;
    pool_span(a->nc, part, parts, 1, &lo, &hi);
    FN(col2im)(a->cols, a->out, a->order, a->n_order, a->nc, a->kh, a->kw, a->ho, a->wo, a->nb,
               a->h, a->w, a->sh, a->sw, a->dh, a->dw, a->pt, a->pl, a->init, lo, hi);
}

/* ------------------------------------------------------------------------ small products
 * Two matrix products whose shapes OpenBLAS handles poorly (a CNN's first layer: 1 input
 * channel, so the columns have K = 10 rows): C = A B with a tiny K and many columns, and C =
 * A B^T with a tiny result and a long inner dimension. Written with GCC's vector extension (64
 * bytes: 16 floats or 8 doubles; AVX-512 registers in the avx512f clone). Each element of C is
 * summed in one fixed order (not OpenBLAS's), the same on any number of threads. */

#if defined(__GNUC__)
#define VLANES (64 / (int)sizeof(T))
typedef T FN(vec) __attribute__((vector_size(64), aligned(sizeof(T))));
#define VEC FN(vec)

/* rows i0 <= i < i0 + 8 of C, columns j <= . < j + NV * VLANES: see gemm_small_k */
static inline __attribute__((always_inline)) void FN(small_k_tile)(
    const int NV, const T *a, Py_ssize_t rsa, Py_ssize_t csa, const T *b, Py_ssize_t ldb, T *c,
    Py_ssize_t ldc, Py_ssize_t k, Py_ssize_t i0, Py_ssize_t j)
{
    VEC acc[8][3];
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++)
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            acc[r][v] = (VEC){0};
    for (Py_ssize_t q = 0; q < k; q++) {
        const VEC *row = (const VEC *)(b + q * ldb + j);
        VEC bv[3];
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            bv[v] = row[v];
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) {
            T s = a[(i0 + r) * rsa + q * csa];
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++)
                acc[r][v] = acc[r][v] + s * bv[v];
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) {
        VEC *out = (VEC *)(c + (i0 + r) * ldc + j);
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            out[v] = acc[r][v];
    }
}

/* C[i, j] = sum_k A[i, k] B[k, j] for all rows i and the columns j0 <= j < j1: k in order from
 * 0, starting from 0. A[i, k] at a[i rsa + k csa]; B's rows ldb apart, its columns contiguous.
 * Blocks of 8 rows by 3, 2 or 1 vectors of columns; the rows and columns left over, one
 * element at a time (the same sums). */
CLONES static void FN(gemm_small_k)(const T *a, Py_ssize_t rsa, Py_ssize_t csa, const T *b,
                                    Py_ssize_t ldb, T *c, Py_ssize_t ldc, Py_ssize_t m,
                                    Py_ssize_t k, Py_ssize_t j0, Py_ssize_t j1)
{
    Py_ssize_t m8 = m / 8 * 8, j = j0;
    while (j + VLANES <= j1) {
        int nv = j + 3 * VLANES <= j1 ? 3 : j + 2 * VLANES <= j1 ? 2 : 1;
        for (Py_ssize_t i = 0; i < m8; i += 8) {
            if (nv == 3)
                FN(small_k_tile)(3, a, rsa, csa, b, ldb, c, ldc, k, i, j);
            else if (nv == 2)
                FN(small_k_tile)(2, a, rsa, csa, b, ldb, c, ldc, k, i, j);
            else
                FN(small_k_tile)(1, a, rsa, csa, b, ldb, c, ldc, k, i, j);
        }
        j += nv * VLANES;
    }
    for (Py_ssize_t i = 0; i < m; i++)
        for (Py_ssize_t jj = i < m8 ? j : j0; jj < j1; jj++) {
            T s = 0;
            for (Py_ssize_t q = 0; q < k; q++)
                s = s + a[i * rsa + q * csa] * b[q * ldb + jj];
            c[i * ldc + jj] = s;
        }
}

/* One tile of gemm_long_k: acc[(i, j)] (VLANES partial sums each) += the products of rows
 * i0 <= i < i0 + MO of A and j0 <= j < j0 + NK of B over nv vectors from l. */
static inline __attribute__((always_inline)) void FN(long_k_tile)(
    const int MO, const int NK, const T *a, Py_ssize_t lda, const T *b, Py_ssize_t ldb,
    VEC *acc, Py_ssize_t n, Py_ssize_t i0, Py_ssize_t j0, Py_ssize_t l, Py_ssize_t nv)
{
    VEC s[4][5];
#pragma GCC unroll 4
    for (int r = 0; r < MO; r++)
#pragma GCC unroll 5
        for (int q = 0; q < NK; q++)
            s[r][q] = acc[(i0 + r) * n + j0 + q];
    for (Py_ssize_t v = 0; v < nv; v++) {
        VEC x[4], y[5];
#pragma GCC unroll 4
        for (int r = 0; r < MO; r++)
            x[r] = *(const VEC *)(a + (i0 + r) * lda + l + v * VLANES);
#pragma GCC unroll 5
        for (int q = 0; q < NK; q++)
            y[q] = *(const VEC *)(b + (j0 + q) * ldb + l + v * VLANES);
#pragma GCC unroll 4
        for (int r = 0; r < MO; r++)
#pragma GCC unroll 5
            for (int q = 0; q < NK; q++)
                s[r][q] = s[r][q] + x[r] * y[q];
    }
#pragma GCC unroll 4
    for (int r = 0; r < MO; r++)
#pragma GCC unroll 5
        for (int q = 0; q < NK; q++)
            acc[(i0 + r) * n + j0 + q] = s[r][q];
}

/* C[i, j] = sum_l A[i, l] B[j, l] for the rows i0 <= i < i1 of C (m x n, rows ldc apart); A's
 * and B's rows contiguous (lda, ldb apart), L long. Lane t of element (i, j) sums the products
 * at l = t, t + VLANES, ... in order, along L in chunks that stay in cache (acc: the m x n
 * vectors of partial sums, zeroed here); the lanes are then added in a fixed tree. */
CLONES static void FN(gemm_long_k)(const T *a, Py_ssize_t lda, const T *b, Py_ssize_t ldb,
                                   T *c, Py_ssize_t ldc, VEC *acc, Py_ssize_t n, Py_ssize_t len,
                                   Py_ssize_t i0, Py_ssize_t i1)
{
    for (Py_ssize_t i = i0; i < i1; i++)
        for (Py_ssize_t j = 0; j < n; j++)
            acc[i * n + j] = (VEC){0};
    const Py_ssize_t chunk = 2048;        /* elements of L per pass: (m + n) 8 KiB of floats */
    Py_ssize_t full = len / VLANES * VLANES;
    for (Py_ssize_t l = 0; l < full; l += chunk) {
        Py_ssize_t nv = ((full - l < chunk) ? full - l : chunk) / VLANES;
        Py_ssize_t i = i0;
        for (; i + 4 <= i1; i += 4) {
            Py_ssize_t j = 0;
            for (; j + 5 <= n; j += 5)
                FN(long_k_tile)(4, 5, a, lda, b, ldb, acc, n, i, j, l, nv);
            for (; j < n; j++)
                FN(long_k_tile)(4, 1, a, lda, b, ldb, acc, n, i, j, l, nv);
        }
        for (; i < i1; i++) {
            Py_ssize_t j = 0;
            for (; j + 5 <= n; j += 5)
                FN(long_k_tile)(1, 5, a, lda, b, ldb, acc, n, i, j, l, nv);
            for (; j < n; j++)
                FN(long_k_tile)(1, 1, a, lda, b, ldb, acc, n, i, j, l, nv);
        }
    }
    for (Py_ssize_t i = i0; i < i1; i++)
        for (Py_ssize_t j = 0; j < n; j++) {
            T lane[64 / sizeof(T)];
            VEC v = acc[i * n + j];
            for (int t = 0; t < VLANES; t++)
                lane[t] = v[t];
            for (Py_ssize_t l = full; l < len; l++)   /* the last elements, in their lanes */
                lane[l - full] = lane[l - full] + a[i * lda + l] * b[j * ldb + l];
            for (int w = VLANES / 2; w >= 1; w /= 2)   /* a fixed tree */
                for (int t = 0; t < w; t++)
                    lane[t] = lane[t] + lane[t + w];
            c[i * ldc + j] = lane[0];
        }
}

typedef struct {
    const T *a, *b;
    T *c;
    Py_ssize_t rsa, csa, ldb, ldc, m, k, n;
} FN(gemm_small_k_args);

static void FN(gemm_small_k_part)(void *ctx, int part, int parts)
{
    FN(gemm_small_k_args) *x = ctx;
    Py_ssize_t lo, hi;
    pool_span(x->n, part, parts, 3 * VLANES, &lo, &hi);
    FN(gemm_small_k)(x->a, x->rsa, x->csa, x->b, x->ldb, x->c, x->ldc, x->m, x->k, lo, hi);
}

typedef struct {
    const T *a, *b;
    T *c;
    VEC *acc;
    Py_ssize_t lda, ldb, ldc, m, n, len;
} FN(gemm_long_k_args);

static void FN(gemm_long_k_part)(void *ctx, int part, int parts)
{
    FN(gemm_long_k_args) *x = ctx;
    Py_ssize_t lo, hi;
    pool_span(x->m, part, parts, 4, &lo, &hi);
    FN(gemm_long_k)(x->a, x->lda, x->b, x->ldb, x->c, x->ldc, x->acc, x->n, x->len, lo, hi);
}

#undef VEC
#undef VLANES
#endif

#undef FN
#undef CAT
#undef CAT_
