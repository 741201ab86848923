/* ember.kernels._native: the compiled CPU loops (see ember/kernels/__init__.py).
 *
 * Each function takes NumPy arrays (any object with a C-contiguous buffer), checks their
 * element types and shapes, and runs the loop of _native_impl.h for float32 or float64 with
 * the GIL released, so that ember's threads can share the work. Built when ember is installed
 * and a C compiler is present (setup.py marks the extension optional); without it ember runs
 * its NumPy code instead. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(_MSC_VER) && !defined(__clang__)
#define restrict __restrict
#endif

/* one build that runs everywhere, with AVX-512 and AVX2 versions picked at load time */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

#include "_pool.h"

/* one parameter's arrays for adam: elements [start, start + n) of the whole update */
typedef struct {
    void *p, *g, *m, *v, *vmax;
    Py_ssize_t start, n;
} adam_seg;

#define T float
#define SUF _f
#define SQRT sqrtf
#include "_native_impl.h"
#undef T
#undef SUF
#undef SQRT

#define T double
#define SUF _d
#define SQRT sqrt
#include "_native_impl.h"
#undef T
#undef SUF
#undef SQRT

/* ------------------------------------------------------------------------------ buffers */

#define MAXBUF 8

typedef struct {
    Py_buffer b[MAXBUF];
    int n;
} Bufs;

static void release(Bufs *s)
{
    for (int i = 0; i < s->n; i++)
        PyBuffer_Release(&s->b[i]);
    s->n = 0;
}

/* 'f' float32, 'd' float64, 'i' int32, 'q' int64, '?' bool, 0 otherwise */
static char kind(const Py_buffer *v)
{
    char c = v->format ? v->format[0] : 'B';
    if (c == '<' || c == '=' || c == '@')
        c = v->format[1];
    if (c == 'f' && v->itemsize == 4)
        return 'f';
    if (c == 'd' && v->itemsize == 8)
        return 'd';
    if (c == '?' && v->itemsize == 1)
        return '?';
    if (c != 0 && strchr("ilq", c) && v->itemsize == 4)
        return 'i';
    if (c != 0 && strchr("ilq", c) && v->itemsize == 8)
        return 'q';
    return 0;
}

/* The C-contiguous buffer of obj, of kind `want` ('F' for float32 or float64) and `ndim`
 * dimensions (or any, -1); NULL with a ValueError naming fn and the argument otherwise. */
static Py_buffer *get(Bufs *s, PyObject *obj, int writable, char want, int ndim,
                      const char *fn, const char *name)
{
    Py_buffer *v = &s->b[s->n];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, v, flags) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s: %s must be a C-contiguous%s array", fn, name,
                     writable ? ", writable" : "");
        return NULL;
    }
    s->n++;
    char k = kind(v);
    if (want == 'F' ? !(k == 'f' || k == 'd') : k != want) {
        PyErr_Format(PyExc_ValueError, "%s: %s has the wrong element type (format '%s')", fn,
                     name, v->format ? v->format : "B");
        return NULL;
    }
    if (ndim >= 0 && v->ndim != ndim) {
        PyErr_Format(PyExc_ValueError, "%s: %s must have %d dimensions, not %d", fn, name, ndim,
                     v->ndim);
        return NULL;
    }
    return v;
}

static int same_shape(const Py_buffer *a, const Py_buffer *b, const char *fn, const char *name)
{
    if (a->ndim == b->ndim && memcmp(a->shape, b->shape, a->ndim * sizeof(Py_ssize_t)) == 0)
        return 1;
    PyErr_Format(PyExc_ValueError, "%s: %s does not have the expected shape", fn, name);
    return 0;
}

static int same_kind(const Py_buffer *a, const Py_buffer *b, const char *fn, const char *name)
{
    if (kind(a) == kind(b))
        return 1;
    PyErr_Format(PyExc_ValueError, "%s: %s does not have the expected element type", fn, name);
    return 0;
}

static Py_ssize_t count(const Py_buffer *v)
{
    return v->len / v->itemsize;
}

/* a * b for sizes a, b >= 0; -1 where either is negative or the product would overflow */
static Py_ssize_t mul(Py_ssize_t a, Py_ssize_t b)
{
    if (a < 0 || b < 0 || (a != 0 && b > PY_SSIZE_T_MAX / a))
        return -1;
    return a * b;
}

/* Whether a window axis is valid: stride and dilation >= 1, and every coordinate the loops
 * compute, o s + k d - p for 0 <= o < n_out and 0 <= k < taps, far from overflowing (the
 * loops then bound-check it against the image). */
static int axis_ok(Py_ssize_t n_out, Py_ssize_t taps, Py_ssize_t s, Py_ssize_t d, Py_ssize_t p)
{
    return n_out >= 0 && taps >= 0 && s >= 1 && d >= 1
           && (double)(n_out > 0 ? n_out - 1 : 0) * (double)s
                      + (double)(taps > 0 ? taps - 1 : 0) * (double)d + fabs((double)p)
                  < 4611686018427387904.0;   /* 2^62 */
}

/* The window of max_pool2d and its gradient: kh, kw >= 1, the tap index i kw + j an int32. */
static int pool_window_ok(Py_ssize_t ho, Py_ssize_t wo, Py_ssize_t kh, Py_ssize_t kw,
                          Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t ph, Py_ssize_t pw,
                          Py_ssize_t dh, Py_ssize_t dw)
{
    return kh >= 1 && kw >= 1 && kh <= INT32_MAX / kw && axis_ok(ho, kh, sh, dh, ph)
           && axis_ok(wo, kw, sw, dw, pw);
}

/* -------------------------------------------------------------------------------- adam */

/* the buffers of one parameter's p, g, m, v (and vmax) into s, checked; 0 with an error set */
static int adam_buffers(Bufs *s, PyObject *op, PyObject *og, PyObject *om, PyObject *ov,
                        PyObject *ovmax, int amsgrad, adam_seg *seg)
{
    const char *fn = "adam";
    Py_buffer *p = get(s, op, 1, 'F', -1, fn, "param");
    Py_buffer *g = p ? get(s, og, 0, 'F', -1, fn, "grad") : NULL;
    Py_buffer *m = g ? get(s, om, 1, 'F', -1, fn, "exp_avg") : NULL;
    Py_buffer *v = m ? get(s, ov, 1, 'F', -1, fn, "exp_avg_sq") : NULL;
    Py_buffer *vm = NULL;
    if (v && amsgrad)
        vm = get(s, ovmax, 1, 'F', -1, fn, "max_exp_avg_sq");
    if (!v || (amsgrad && !vm) || !same_kind(p, g, fn, "grad")
        || !same_kind(p, m, fn, "exp_avg") || !same_kind(p, v, fn, "exp_avg_sq")
        || (vm && !same_kind(p, vm, fn, "max_exp_avg_sq")))
        return 0;
    Py_ssize_t n = count(p);
    if (count(g) != n || count(m) != n || count(v) != n || (vm && count(vm) != n)) {
        PyErr_SetString(PyExc_ValueError, "adam: arrays of different sizes");
        return 0;
    }
    *seg = (adam_seg){p->buf, g->buf, m->buf, v->buf, vm ? vm->buf : NULL, 0, n};
    return 1;
}

/* adam_many(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs or None, constants...): one
 * update of several parameters (sequences of arrays), shared among the threads as one */
static PyObject *py_adam_many(PyObject *self, PyObject *args)
{
    PyObject *lists[5];
    double c1, c2, beta2, eps_t, neg_step, shrink, l2;
    int maximize, amsgrad;
    if (!PyArg_ParseTuple(args, "OOOOOdddddddpp:adam_many", &lists[0], &lists[1], &lists[2],
                          &lists[3], &lists[4], &c1, &c2, &beta2, &eps_t, &neg_step, &shrink,
                          &l2, &maximize, &amsgrad))
        return NULL;
    PyObject *seqs[5] = {NULL, NULL, NULL, NULL, NULL};
    Bufs *bufs = NULL;
    adam_seg *segs = NULL;
    Py_ssize_t n = -1, done = 0;
    PyObject *result = NULL;
    for (int i = 0; i < (amsgrad ? 5 : 4); i++) {
        /* a tuple of its own: taking a buffer may run Python code (__buffer__) that changes a
         * list, and the arrays must outlive that */
        PyObject *fast = PySequence_Fast(lists[i], "adam_many: expected sequences of arrays");
        seqs[i] = fast ? PySequence_Tuple(fast) : NULL;
        Py_XDECREF(fast);
        if (!seqs[i])
            goto out;
        if (n >= 0 && PySequence_Fast_GET_SIZE(seqs[i]) != n) {
            PyErr_SetString(PyExc_ValueError, "adam_many: sequences of different lengths");
            goto out;
        }
        n = PySequence_Fast_GET_SIZE(seqs[i]);
    }
    bufs = PyMem_Calloc(n > 0 ? n : 1, sizeof(Bufs));
    segs = PyMem_Calloc(n > 0 ? n : 1, sizeof(adam_seg));
    if (!bufs || !segs) {
        PyErr_NoMemory();
        goto out;
    }
    Py_ssize_t total = 0;
    for (; done < n; done++) {
        PyObject **it[5];
        for (int i = 0; i < 5; i++)
            it[i] = seqs[i] ? PySequence_Fast_ITEMS(seqs[i]) : NULL;
        if (!adam_buffers(&bufs[done], it[0][done], it[1][done], it[2][done], it[3][done],
                          amsgrad ? it[4][done] : Py_None, amsgrad, &segs[done])) {
            done++;
            goto out;
        }
        if (done > 0 && kind(&bufs[done].b[0]) != kind(&bufs[0].b[0])) {
            PyErr_SetString(PyExc_ValueError, "adam_many: parameters of different dtypes");
            done++;
            goto out;
        }
        segs[done].start = total;
        total += segs[done].n;
    }
    if (n > 0) {
        char k = kind(&bufs[0].b[0]);
        int parts = pool_parts(total);   /* (read with the GIL: set_num_threads writes it) */
        Py_BEGIN_ALLOW_THREADS
        if (k == 'f') {
            adam_args_f a = {segs, n, total, (float)c1, (float)c2, (float)beta2, (float)eps_t,
                             (float)neg_step, (float)shrink, (float)l2, maximize, amsgrad};
            pool_run(adam_part_f, &a, parts);
        } else {
            adam_args_d a = {segs, n, total, c1, c2, beta2, eps_t, neg_step, shrink, l2,
                             maximize, amsgrad};
            pool_run(adam_part_d, &a, parts);
        }
        Py_END_ALLOW_THREADS
    }
    result = Py_None;
    Py_INCREF(result);
out:
    for (Py_ssize_t i = 0; i < done; i++)
        release(&bufs[i]);
    PyMem_Free(bufs);
    PyMem_Free(segs);
    for (int i = 0; i < 5; i++)
        Py_XDECREF(seqs[i]);
    return result;
}

/* adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq or None, constants...): one
 * parameter's update */
static PyObject *py_adam(PyObject *self, PyObject *args)
{
    PyObject *op, *og, *om, *ov, *ovmax;
    double c1, c2, beta2, eps_t, neg_step, shrink, l2;
    int maximize, amsgrad;
    if (!PyArg_ParseTuple(args, "OOOOOdddddddpp:adam", &op, &og, &om, &ov, &ovmax, &c1, &c2,
                          &beta2, &eps_t, &neg_step, &shrink, &l2, &maximize, &amsgrad))
        return NULL;
    Bufs s = {.n = 0};
    adam_seg seg;
    if (!adam_buffers(&s, op, og, om, ov, ovmax, amsgrad, &seg)) {
        release(&s);
        return NULL;
    }
    int parts = pool_parts(seg.n);
    Py_BEGIN_ALLOW_THREADS
    if (kind(&s.b[0]) == 'f') {
        adam_args_f a = {&seg, 1, seg.n, (float)c1, (float)c2, (float)beta2, (float)eps_t,
                         (float)neg_step, (float)shrink, (float)l2, maximize, amsgrad};
        pool_run(adam_part_f, &a, parts);
    } else {
        adam_args_d a = {&seg, 1, seg.n, c1, c2, beta2, eps_t, neg_step, shrink, l2, maximize,
                         amsgrad};
        pool_run(adam_part_d, &a, parts);
    }
    Py_END_ALLOW_THREADS
    release(&s);
    Py_RETURN_NONE;
}

/* --------------------------------------------------------------------------------- sgd */

static PyObject *py_sgd_momentum(PyObject *self, PyObject *args)
{
    PyObject *op, *og, *ob;
    double sign, wd, momentum, keep, lr;
    int first, dampened, nesterov;
    if (!PyArg_ParseTuple(args, "OOOdddddppp:sgd_momentum", &op, &og, &ob, &sign, &wd,
                          &momentum, &keep, &lr, &first, &dampened, &nesterov))
        return NULL;
    const char *fn = "sgd_momentum";
    Bufs s = {.n = 0};
    Py_buffer *p = get(&s, op, 1, 'F', -1, fn, "param");
    Py_buffer *g = p ? get(&s, og, 0, 'F', -1, fn, "grad") : NULL;
    Py_buffer *b = g ? get(&s, ob, 1, 'F', -1, fn, "momentum_buffer") : NULL;
    if (!b || !same_kind(p, g, fn, "grad") || !same_kind(p, b, fn, "momentum_buffer")) {
        release(&s);
        return NULL;
    }
    Py_ssize_t n = count(p);
    if (count(g) != n || count(b) != n) {
        release(&s);
        PyErr_SetString(PyExc_ValueError, "sgd_momentum: arrays of different sizes");
        return NULL;
    }
    int parts = pool_parts(n);
    Py_BEGIN_ALLOW_THREADS
    if (kind(p) == 'f') {
        sgd_momentum_args_f a = {p->buf, g->buf, b->buf, n, (float)sign, (float)wd,
                                 (float)momentum, (float)keep, (float)lr, first, dampened,
                                 nesterov};
        pool_run(sgd_momentum_part_f, &a, parts);
    } else {
        sgd_momentum_args_d a = {p->buf, g->buf, b->buf, n, sign, wd, momentum, keep, lr, first,
                                 dampened, nesterov};
        pool_run(sgd_momentum_part_d, &a, parts);
    }
    Py_END_ALLOW_THREADS
    release(&s);
    Py_RETURN_NONE;
}

/* ----------------------------------------------------------------------------- relu */

static PyObject *py_relu_backward(PyObject *self, PyObject *args)
{
    PyObject *og, *oy, *oout;
    if (!PyArg_ParseTuple(args, "OOO:relu_backward", &og, &oy, &oout))
        return NULL;
    const char *fn = "relu_backward";
    Bufs s = {.n = 0};
    Py_buffer *g = get(&s, og, 0, 'F', -1, fn, "grad");
    Py_buffer *y = g ? get(&s, oy, 0, 'F', -1, fn, "result") : NULL;
    Py_buffer *out = y ? get(&s, oout, 1, 'F', -1, fn, "out") : NULL;
    if (!out || !same_kind(g, y, fn, "result") || !same_kind(g, out, fn, "out")
        || !same_shape(g, y, fn, "result") || !same_shape(g, out, fn, "out")) {
        release(&s);
        return NULL;
    }
    Py_ssize_t n = count(g);
    int parts = pool_parts(n);
    Py_BEGIN_ALLOW_THREADS
    if (kind(g) == 'f') {
        relu_backward_args_f a = {g->buf, y->buf, out->buf, n};
        pool_run(relu_backward_part_f, &a, parts);
    } else {
        relu_backward_args_d a = {g->buf, y->buf, out->buf, n};
        pool_run(relu_backward_part_d, &a, parts);
    }
    Py_END_ALLOW_THREADS
    release(&s);
    Py_RETURN_NONE;
}

/* relu(x, out): out = np.maximum(x, 0) */
static PyObject *py_relu(PyObject *self, PyObject *args)
{
    PyObject *ox, *oout;
    if (!PyArg_ParseTuple(args, "OO:relu", &ox, &oout))
        return NULL;
    const char *fn = "relu";
    Bufs s = {.n = 0};
    Py_buffer *x = get(&s, ox, 0, 'F', -1, fn, "input");
    Py_buffer *out = x ? get(&s, oout, 1, 'F', -1, fn, "out") : NULL;
    if (!out || !same_kind(x, out, fn, "out") || !same_shape(x, out, fn, "out")) {
        release(&s);
        return NULL;
    }
    Py_ssize_t n = count(x);
    int parts = pool_parts(n);
    Py_BEGIN_ALLOW_THREADS
    if (kind(x) == 'f') {
        relu_args_f a = {x->buf, out->buf, n};
        pool_run(relu_part_f, &a, parts);
    } else {
        relu_args_d a = {x->buf, out->buf, n};
        pool_run(relu_part_d, &a, parts);
    }
    Py_END_ALLOW_THREADS
    release(&s);
    Py_RETURN_NONE;
}

/* the 2-D array and the row-sized vector of add_rows and sum_rows, checked */
static int rows_buffers(Bufs *s, PyObject *omat, int mat_writable, PyObject *ovec,
                        int vec_writable, const char *fn, const char *vec_name)
{
    Py_buffer *mat = get(s, omat, mat_writable, 'F', 2, fn, mat_writable ? "y" : "grad");
    Py_buffer *vec = mat ? get(s, ovec, vec_writable, 'F', 1, fn, vec_name) : NULL;
    if (!vec || !same_kind(mat, vec, fn, vec_name))
        return 0;
    if (vec->shape[0] != mat->shape[1]) {
        PyErr_Format(PyExc_ValueError, "%s: %s does not have the rows' length", fn, vec_name);
        return 0;
    }
    return 1;
}

/* add_rows(y, b): y (m, n) += b (n) in place */
static PyObject *py_add_rows(PyObject *self, PyObject *args)
{
    PyObject *oy, *ob;
    if (!PyArg_ParseTuple(args, "OO:add_rows", &oy, &ob))
        return NULL;
    Bufs s = {.n = 0};
    if (!rows_buffers(&s, oy, 1, ob, 0, "add_rows", "bias")) {
        release(&s);
        return NULL;
    }
    Py_buffer *y = &s.b[0], *b = &s.b[1];
    Py_ssize_t m = y->shape[0], n = y->shape[1];
    int parts = pool_parts(count(y));
    if (parts > m)
        parts = m > 0 ? (int)m : 1;
    Py_BEGIN_ALLOW_THREADS
    if (kind(y) == 'f') {
        rows_args_f a = {y->buf, b->buf, NULL, m, n};
        pool_run(add_rows_part_f, &a, parts);
    } else {
        rows_args_d a = {y->buf, b->buf, NULL, m, n};
        pool_run(add_rows_part_d, &a, parts);
    }
    Py_END_ALLOW_THREADS
    release(&s);
    Py_RETURN_NONE;
}

/* sum_rows(g, out): out (n) = g (m, n).sum(0) */
static PyObject *py_sum_rows(PyObject *self, PyObject *args)
{
    PyObject *og, *oout;
    if (!PyArg_ParseTuple(args, "OO:sum_rows", &og, &oout))
        return NULL;
    Bufs s = {.n = 0};
    if (!rows_buffers(&s, og, 0, oout, 1, "sum_rows", "out")) {
        release(&s);
        return NULL;
    }
    Py_buffer *g = &s.b[0], *out = &s.b[1];
    Py_ssize_t m = g->shape[0], n = g->shape[1];
    int parts = pool_parts(count(g));
    Py_BEGIN_ALLOW_THREADS
    if (kind(g) == 'f') {
        rows_args_f a = {NULL, g->buf, out->buf, m, n};
        pool_run(sum_rows_part_f, &a, parts);
    } else {
        rows_args_d a = {NULL, g->buf, out->buf, m, n};
        pool_run(sum_rows_part_d, &a, parts);
    }
    Py_END_ALLOW_THREADS
    release(&s);
    Py_RETURN_NONE;
}

/* -------------------------------------------------------------------------- max pooling */

static PyObject *py_max_pool2d(PyObject *self, PyObject *args)
{
    PyObject *ox, *oout, *oarg, *opos;
    Py_ssize_t kh, kw, sh, sw, ph, pw, dh, dw;
    if (!PyArg_ParseTuple(args, "OOOOnnnnnnnn:max_pool2d", &ox, &oout, &oarg, &opos, &kh, &kw,
                          &sh, &sw, &ph, &pw, &dh, &dw))
        return NULL;
    const char *fn = "max_pool2d";
    Bufs s = {.n = 0};
    Py_buffer *x = get(&s, ox, 0, 'F', 4, fn, "input");
    Py_buffer *out = x ? get(&s, oout, 1, 'F', 4, fn, "out") : NULL;
    Py_buffer *arg = out ? get(&s, oarg, 1, 'i', 4, fn, "arg") : NULL;
    Py_buffer *pos = NULL;
    if (arg && opos != Py_None)
        pos = get(&s, opos, 1, '?', 4, fn, "pos");
    if (!arg || (opos != Py_None && !pos) || !same_kind(x, out, fn, "out")
        || !same_shape(out, arg, fn, "arg") || (pos && !same_shape(out, pos, fn, "pos"))) {
        release(&s);
        return NULL;
    }
    Py_ssize_t na = x->shape[0], h = x->shape[1], w = x->shape[2], nb = x->shape[3];
    Py_ssize_t ho = out->shape[1], wo = out->shape[2];
    if (out->shape[0] != na || out->shape[3] != nb
        || !pool_window_ok(ho, wo, kh, kw, sh, sw, ph, pw, dh, dw)) {
        release(&s);
        PyErr_SetString(PyExc_ValueError, "max_pool2d: shapes or window do not match");
        return NULL;
    }
    if (count(out) == 0) {          /* nothing to write (the loops would still run) */
        release(&s);
        Py_RETURN_NONE;
    }
    int parts = pool_parts(count(x));
    if (parts > na)
        parts = (int)na;
    /* each part's scratch on cache lines of its own (parts writing one line would take it
     * from each other at every tap: twice slower on two threads than on one) */
    Py_ssize_t stride = ((nb > 0 ? nb : 1) * x->itemsize + 63) / 64 * 64 / x->itemsize;
    char *scratch = malloc((size_t)(stride * parts) * (size_t)x->itemsize + 64);
    void *val = scratch ? scratch + (64 - (uintptr_t)scratch % 64) % 64 : NULL;
    if (!val) {
        release(&s);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    if (kind(x) == 'f') {
        max_pool2d_args_f a = {x->buf, out->buf, arg->buf, pos ? pos->buf : NULL, val, stride,
                               na, h, w, nb, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw};
        pool_run(max_pool2d_part_f, &a, parts);
    } else {
        max_pool2d_args_d a = {x->buf, out->buf, arg->buf, pos ? pos->buf : NULL, val, stride,
                               na, h, w, nb, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw};
        pool_run(max_pool2d_part_d, &a, parts);
    }
    Py_END_ALLOW_THREADS
    free(scratch);
    release(&s);
    Py_RETURN_NONE;
}

static PyObject *py_max_pool2d_backward(PyObject *self, PyObject *args)
{
    PyObject *og, *oarg, *opos, *ogx;
    Py_ssize_t kh, kw, sh, sw, ph, pw, dh, dw;
    int assign;
    if (!PyArg_ParseTuple(args, "OOOOnnnnnnnnp:max_pool2d_backward", &og, &oarg, &opos, &ogx,
                          &kh, &kw, &sh, &sw, &ph, &pw, &dh, &dw, &assign))
        return NULL;
    const char *fn = "max_pool2d_backward";
    Bufs s = {.n = 0};
    Py_buffer *g = get(&s, og, 0, 'F', 4, fn, "grad");
    Py_buffer *arg = g ? get(&s, oarg, 0, 'i', 4, fn, "arg") : NULL;
    Py_buffer *gx = arg ? get(&s, ogx, 1, 'F', 4, fn, "grad_input") : NULL;
    Py_buffer *pos = NULL;
    if (gx && opos != Py_None)
        pos = get(&s, opos, 0, '?', 4, fn, "pos");
    if (!gx || (opos != Py_None && !pos) || !same_kind(g, gx, fn, "grad_input")
        || !same_shape(g, arg, fn, "arg") || (pos && !same_shape(g, pos, fn, "pos"))) {
        release(&s);
        return NULL;
    }
    Py_ssize_t na = g->shape[0], ho = g->shape[1], wo = g->shape[2], nb = g->shape[3];
    Py_ssize_t h = gx->shape[1], w = gx->shape[2];
    if (gx->shape[0] != na || gx->shape[3] != nb
        || !pool_window_ok(ho, wo, kh, kw, sh, sw, ph, pw, dh, dw)) {
        release(&s);
        PyErr_SetString(PyExc_ValueError, "max_pool2d_backward: shapes or window do not match");
        return NULL;
    }
    if (count(g) == 0 || count(gx) == 0) {   /* nothing to scatter, or nowhere to */
        release(&s);
        Py_RETURN_NONE;
    }
    int parts = pool_parts(count(gx));
    if (parts > na)
        parts = (int)na;
    Py_BEGIN_ALLOW_THREADS
    if (kind(g) == 'f') {
        max_pool2d_backward_args_f a = {g->buf, arg->buf, pos ? pos->buf : NULL, gx->buf, na, h,
                                        w, nb, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw, assign};
        pool_run(max_pool2d_backward_part_f, &a, parts);
    } else {
        max_pool2d_backward_args_d a = {g->buf, arg->buf, pos ? pos->buf : NULL, gx->buf, na, h,
                                        w, nb, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw, assign};
        pool_run(max_pool2d_backward_part_d, &a, parts);
    }
    Py_END_ALLOW_THREADS
    release(&s);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------------ im2col */

static PyObject *py_im2col(PyObject *self, PyObject *args)
{
    PyObject *ox, *ocols;
    Py_ssize_t kh, kw, sh, sw, dh, dw, pt, pl, ho, wo;
    if (!PyArg_ParseTuple(args, "OOnnnnnnnnnn:im2col", &ox, &ocols, &kh, &kw, &sh, &sw, &dh,
                          &dw, &pt, &pl, &ho, &wo))
        return NULL;
    const char *fn = "im2col";
    Bufs s = {.n = 0};
    Py_buffer *x = get(&s, ox, 0, 'F', 4, fn, "input");
    Py_buffer *cols = x ? get(&s, ocols, 1, 'F', 2, fn, "cols") : NULL;
    if (!cols || !same_kind(x, cols, fn, "cols")) {
        release(&s);
        return NULL;
    }
    Py_ssize_t nc = x->shape[0], nb = x->shape[3];
    /* (products checked for overflow: a wrapped one could pass as the size of cols) */
    Py_ssize_t rows = mul(mul(nc, kh), kw), run = mul(mul(ho, wo), nb);
    if (kh < 1 || kw < 1 || !axis_ok(ho, kh, sh, dh, pt) || !axis_ok(wo, kw, sw, dw, pl)
        || rows < 0 || run < 0 || cols->shape[0] < rows || cols->shape[1] != run) {
        release(&s);
        PyErr_SetString(PyExc_ValueError, "im2col: shapes or window do not match");
        return NULL;
    }
    if (rows == 0 || run == 0) {    /* nothing to write (the loops would still run) */
        release(&s);
        Py_RETURN_NONE;
    }
    int parts = pool_parts(mul(rows, run));
    if (parts > rows)
        parts = (int)rows;
    Py_ssize_t h = x->shape[1], w = x->shape[2];
    Py_BEGIN_ALLOW_THREADS
    if (kind(x) == 'f') {
        im2col_args_f a = {x->buf, cols->buf, nc, h, w, nb, kh, kw, ho, wo, sh, sw, dh, dw, pt,
                           pl};
        pool_run(im2col_part_f, &a, parts);
    } else {
        im2col_args_d a = {x->buf, cols->buf, nc, h, w, nb, kh, kw, ho, wo, sh, sw, dh, dw, pt,
                           pl};
        pool_run(im2col_part_d, &a, parts);
    }
    Py_END_ALLOW_THREADS
    release(&s);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------------ col2im */

static PyObject *py_col2im(PyObject *self, PyObject *args)
{
    PyObject *ocols, *oout, *oorder;
    Py_ssize_t sh, sw, dh, dw, pt, pl;
    int init = 0;
    if (!PyArg_ParseTuple(args, "OOOnnnnnn|i:col2im", &ocols, &oout, &oorder, &sh, &sw, &dh,
                          &dw, &pt, &pl, &init))
        return NULL;
    const char *fn = "col2im";
    Bufs s = {.n = 0};
    Py_buffer *cols = get(&s, ocols, 0, 'F', 6, fn, "cols");
    Py_buffer *out = cols ? get(&s, oout, 1, 'F', 4, fn, "out") : NULL;
    Py_buffer *order = out ? get(&s, oorder, 0, 'q', 1, fn, "order") : NULL;
    if (!order || !same_kind(cols, out, fn, "out")) {
        release(&s);
        return NULL;
    }
    const Py_ssize_t *cs = cols->shape;
    Py_ssize_t kk = mul(cs[1], cs[2]);
    const int64_t *ord = order->buf;
    int bad = kk < 0 || out->shape[0] != cs[0] || out->shape[3] != cs[5]
              || !axis_ok(cs[3], cs[1], sh, dh, pt) || !axis_ok(cs[4], cs[2], sw, dw, pl);
    for (Py_ssize_t q = 0; q < order->shape[0]; q++)
        bad |= ord[q] < 0 || ord[q] >= kk;
    if (!bad && init == 2) {   /* the first offset must cover out: each element copied once */
        Py_ssize_t n0 = order->shape[0], i = n0 ? ord[0] / cs[2] : 0, j = n0 ? ord[0] % cs[2] : 0;
        bad = order->shape[0] == 0 || sh != 1 || sw != 1 || i * dh - pt > 0 || j * dw - pl > 0
              || i * dh - pt + cs[3] < out->shape[1] || j * dw - pl + cs[4] < out->shape[2];
    }
    if (bad || init < 0 || init > 2) {
        release(&s);
        PyErr_SetString(PyExc_ValueError, "col2im: shapes, offsets or init do not match");
        return NULL;
    }
    if (count(out) == 0) {           /* nowhere to add */
        release(&s);
        Py_RETURN_NONE;
    }
    if (count(cols) == 0) {          /* nothing to add (init 2 cannot get here) */
        if (init == 1)
            memset(out->buf, 0, (size_t)out->len);
        release(&s);
        Py_RETURN_NONE;
    }
    int parts = pool_parts(count(cols));
    if (parts > cs[0])
        parts = (int)cs[0];
    Py_ssize_t n_order = order->shape[0], h = out->shape[1], w = out->shape[2];
    Py_BEGIN_ALLOW_THREADS
    if (kind(cols) == 'f') {
        col2im_args_f a = {cols->buf, out->buf, ord, n_order, cs[0], cs[1], cs[2], cs[3], cs[4],
                           cs[5], h, w, sh, sw, dh, dw, pt, pl, init};
        pool_run(col2im_part_f, &a, parts);
    } else {
        col2im_args_d a = {cols->buf, out->buf, ord, n_order, cs[0], cs[1], cs[2], cs[3], cs[4],
                           cs[5], h, w, sh, sw, dh, dw, pt, pl, init};
        pool_run(col2im_part_d, &a, parts);
    }
    Py_END_ALLOW_THREADS
    release(&s);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------ small products */

#if defined(__GNUC__)
/* the three C-contiguous 2-D float arrays of a product, checked: a (m, k), b, out */
static int product_buffers(Bufs *s, PyObject *oa, PyObject *ob, PyObject *oout, const char *fn)
{
    Py_buffer *a = get(s, oa, 0, 'F', 2, fn, "a");
    Py_buffer *b = a ? get(s, ob, 0, 'F', 2, fn, "b") : NULL;
    Py_buffer *out = b ? get(s, oout, 1, 'F', 2, fn, "out") : NULL;
    return out && same_kind(a, b, fn, "b") && same_kind(a, out, fn, "out");
}

/* gemm_small_k(a, b, out): out (m, n) = a (m, k) @ b (k, n), for a small k */
static PyObject *py_gemm_small_k(PyObject *self, PyObject *args)
{
    PyObject *oa, *ob, *oout;
    if (!PyArg_ParseTuple(args, "OOO:gemm_small_k", &oa, &ob, &oout))
        return NULL;
    Bufs s = {.n = 0};
    if (!product_buffers(&s, oa, ob, oout, "gemm_small_k")) {
        release(&s);
        return NULL;
    }
    Py_buffer *a = &s.b[0], *b = &s.b[1], *out = &s.b[2];
    Py_ssize_t m = a->shape[0], k = a->shape[1], n = b->shape[1];
    if (b->shape[0] != k || out->shape[0] != m || out->shape[1] != n) {
        release(&s);
        PyErr_SetString(PyExc_ValueError, "gemm_small_k: shapes do not match");
        return NULL;
    }
    int parts = pool_parts(mul(m, n));
    Py_BEGIN_ALLOW_THREADS
    if (kind(a) == 'f') {
        gemm_small_k_args_f x = {a->buf, b->buf, out->buf, k, 1, n, n, m, k, n};
        pool_run(gemm_small_k_part_f, &x, parts);
    } else {
        gemm_small_k_args_d x = {a->buf, b->buf, out->buf, k, 1, n, n, m, k, n};
        pool_run(gemm_small_k_part_d, &x, parts);
    }
    Py_END_ALLOW_THREADS
    release(&s);
    Py_RETURN_NONE;
}

/* gemm_long_k(a, b, out): out (m, n) = a (m, l) @ b (n, l)^T, for a long l */
static PyObject *py_gemm_long_k(PyObject *self, PyObject *args)
{
    PyObject *oa, *ob, *oout;
    if (!PyArg_ParseTuple(args, "OOO:gemm_long_k", &oa, &ob, &oout))
        return NULL;
    Bufs s = {.n = 0};
    if (!product_buffers(&s, oa, ob, oout, "gemm_long_k")) {
        release(&s);
        return NULL;
    }
    Py_buffer *a = &s.b[0], *b = &s.b[1], *out = &s.b[2];
    Py_ssize_t m = a->shape[0], len = a->shape[1], n = b->shape[0];
    if (b->shape[1] != len || out->shape[0] != m || out->shape[1] != n) {
        release(&s);
        PyErr_SetString(PyExc_ValueError, "gemm_long_k: shapes do not match");
        return NULL;
    }
    Py_ssize_t cells = mul(m, n);
    char *scratch = cells >= 0 ? malloc((size_t)(cells > 0 ? cells : 1) * 64 + 64) : NULL;
    if (!scratch) {
        release(&s);
        return PyErr_NoMemory();
    }
    void *acc = scratch + (64 - (uintptr_t)scratch % 64) % 64;
    int parts = pool_parts(mul(m + n, len));
    if (parts > (m + 3) / 4)
        parts = (int)((m + 3) / 4);
    if (parts < 1)
        parts = 1;
    Py_BEGIN_ALLOW_THREADS
    if (kind(a) == 'f') {
        gemm_long_k_args_f x = {a->buf, b->buf, out->buf, acc, len, len, n, m, n, len};
        pool_run(gemm_long_k_part_f, &x, parts);
    } else {
        gemm_long_k_args_d x = {a->buf, b->buf, out->buf, acc, len, len, n, m, n, len};
        pool_run(gemm_long_k_part_d, &x, parts);
    }
    Py_END_ALLOW_THREADS
    free(scratch);
    release(&s);
    Py_RETURN_NONE;
}
#endif

/* -------------------------------------------------------------------------------- pool */

static PyObject *py_set_num_threads(PyObject *self, PyObject *args)
{
    int n;
    if (!PyArg_ParseTuple(args, "i:set_num_threads", &n))
        return NULL;
    if (n < 1 || n > POOL_MAX) {
        PyErr_Format(PyExc_ValueError, "set_num_threads: %d threads (1 to %d)", n, POOL_MAX);
        return NULL;
    }
    pool_threads = n;
    Py_RETURN_NONE;
}

static PyObject *py_num_threads(PyObject *self, PyObject *noargs)
{
    return PyLong_FromLong(pool_threads);
}

static PyObject *py_pool_regions(PyObject *self, PyObject *noargs)
{
    return PyLong_FromUnsignedLong((unsigned long)pool_regions);
}

/* Point OpenBLAS's `openblas_threads_callback_` (at `address`) at the pool, or back at
 * `previous` (0: OpenBLAS's own threads); returns the value it held (0 if it was the pool). */
static PyObject *py_blas_hook(PyObject *self, PyObject *args)
{
    unsigned long long address, previous = 0;
    int install;
    if (!PyArg_ParseTuple(args, "Kp|K:blas_hook", &address, &install, &previous))
        return NULL;
    if (!address) {
        PyErr_SetString(PyExc_ValueError, "blas_hook: no address");
        return NULL;
    }
#if POOL_THREADS
    void **slot = (void **)(uintptr_t)address;
    void *held = *slot;
    *slot = install ? (void *)pool_blas_jobs : (void *)(uintptr_t)previous;
    if (held == (void *)pool_blas_jobs)   /* already ours (ember.kernels imported again) */
        held = NULL;
    return PyLong_FromUnsignedLongLong((unsigned long long)(uintptr_t)held);
#else
    PyErr_SetString(PyExc_RuntimeError, "blas_hook: built without threads");
    return NULL;
#endif
}

/* Call an OpenBLAS's `openblas_set_threads_callback_function` (at `address`: the libraries
 * that do not export the variable itself) with the pool, or with NULL (its own threads). */
static PyObject *py_blas_hook_setter(PyObject *self, PyObject *args)
{
    unsigned long long address;
    int install;
    if (!PyArg_ParseTuple(args, "Kp:blas_hook_setter", &address, &install))
        return NULL;
    if (!address) {
        PyErr_SetString(PyExc_ValueError, "blas_hook_setter: no address");
        return NULL;
    }
#if POOL_THREADS
    void (*set)(void *) = (void (*)(void *))(uintptr_t)address;
    set(install ? (void *)pool_blas_jobs : NULL);
    Py_RETURN_NONE;
#else
    PyErr_SetString(PyExc_RuntimeError, "blas_hook_setter: built without threads");
    return NULL;
#endif
}

/* ------------------------------------------------------------------------------ module */

static PyMethodDef methods[] = {
    {"adam", py_adam, METH_VARARGS, "Adam / AdamW update in place (see _native_impl.h)."},
    {"adam_many", py_adam_many, METH_VARARGS, "adam for several parameters in one call."},
    {"sgd_momentum", py_sgd_momentum, METH_VARARGS, "SGD with momentum in place."},
    {"relu_backward", py_relu_backward, METH_VARARGS, "g * (y > 0) in one pass."},
    {"relu", py_relu, METH_VARARGS, "np.maximum(x, 0)."},
    {"add_rows", py_add_rows, METH_VARARGS, "y += b for a bias b along y's rows."},
    {"sum_rows", py_sum_rows, METH_VARARGS, "g.sum(0) summed row after row."},
    {"max_pool2d", py_max_pool2d, METH_VARARGS, "Max pooling (A, H, W, B), winning taps."},
    {"max_pool2d_backward", py_max_pool2d_backward, METH_VARARGS, "Max pooling's gradient."},
    {"im2col", py_im2col, METH_VARARGS, "Kernel windows of a batch-last image as columns."},
    {"col2im", py_col2im, METH_VARARGS, "Columns summed back into a batch-last image."},
#if defined(__GNUC__)
    {"gemm_small_k", py_gemm_small_k, METH_VARARGS, "a @ b for a small inner dimension."},
    {"gemm_long_k", py_gemm_long_k, METH_VARARGS, "a @ b.T for a long inner dimension."},
#endif
    {"set_num_threads", py_set_num_threads, METH_VARARGS, "Threads the loops may use."},
    {"num_threads", py_num_threads, METH_NOARGS, "Threads the loops may use."},
    {"pool_regions", py_pool_regions, METH_NOARGS, "Regions run on several threads so far."},
    {"blas_hook", py_blas_hook, METH_VARARGS, "Run OpenBLAS's threads on ember's pool."},
    {"blas_hook_setter", py_blas_hook_setter, METH_VARARGS, "The same, through the setter."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native", "ember's compiled CPU loops.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void)
{
    pool_init();
    return PyModule_Create(&module);
}
