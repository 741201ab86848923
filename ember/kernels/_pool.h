/* ember's CPU thread pool, for the compiled loops and for OpenBLAS's threaded products.
 *
 * Why ember has its own: NumPy's OpenBLAS keeps its own worker threads, which spin on the
 * other cores for about 0.1 s after every threaded product, waiting for the next. Any other
 * thread that then wants those cores (ember's loops split across threads, say) competes with
 * a spinner and runs slower than on one core. So ember runs both on one pool: OpenBLAS (0.3.27
 * and later) lets a program run its parallel jobs on the program's own threads (its
 * caller-managed threading: a callback, `openblas_threads_callback_`, that the library calls
 * instead of waking its workers; ember/kernels/__init__.py sets it, directly or through its
 * setter), and `pool_blas_jobs` below is that callback. OpenBLAS's workers then
 * stay asleep, products run on ember's threads with the same partitioning (the same results),
 * and ember's loops can use every core between them.
 *
 * The pool: workers 1..size-1 (the calling thread is part 0), each with its own mailbox. A
 * region hands each part to a worker, runs part 0 on the caller, and waits for the rest. An
 * idle worker spins for POOL_SPIN_NS, since on a virtual machine a sleeping CPU can take a
 * tenth of a millisecond or more to wake, then sleeps on a condition variable. One region runs
 * at a time: a loop that finds the pool busy (another Python thread's) runs on its own thread;
 * OpenBLAS's jobs wait for it, as they must run side by side (its threads exchange packed
 * panels). Jobs never start regions of their own, so that wait always ends.
 *
 * Without POSIX threads (Windows builds) everything runs on the calling thread and OpenBLAS
 * keeps its own threads. */

#if defined(_WIN32) || !defined(__STDC_VERSION__) || __STDC_VERSION__ < 201112L \
    || defined(__STDC_NO_ATOMICS__)
#define POOL_THREADS 0
#else
#define POOL_THREADS 1
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#endif

/* part of a region: fn(ctx, part, parts), part in [0, parts) */
typedef void (*pool_task)(void *ctx, int part, int parts);

/* the elements [lo, hi) of part `part` of n, cut at multiples of `align` */
static void pool_span(Py_ssize_t n, int part, int parts, Py_ssize_t align, Py_ssize_t *lo,
                      Py_ssize_t *hi)
{
    Py_ssize_t units = (n + align - 1) / align;
    Py_ssize_t a = units * part / parts * align, b = units * (part + 1) / parts * align;
    *lo = a < n ? a : n;
    *hi = b < n ? b : n;
}

#define POOL_MAX 256              /* threads, the caller included */
static int pool_threads = 1;      /* parts a loop may use (set_num_threads) */

#if POOL_THREADS

#define POOL_SPIN_NS 2000000L     /* an idle worker spins this long before it sleeps */

typedef struct {
    _Atomic unsigned ticket;      /* bumped by the caller to start the next part */
    _Atomic int asleep;           /* the worker waits on `wake` */
    unsigned first;               /* the ticket when the worker was started */
    pool_task fn;
    void *ctx;
    int part, parts;
    pthread_cond_t wake;
    char pad[64];                 /* one box per cache line or two */
} pool_box;

static pool_box pool_boxes[POOL_MAX];
static int pool_size = 1;                       /* threads started, the caller counted */
static _Atomic int pool_left;                   /* parts of the region still running */
static pthread_mutex_t pool_region = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pool_sleep = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int pool_worker;           /* 1..: this thread is that worker */
static _Atomic unsigned long pool_regions;      /* regions run on several threads */

static inline void pool_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long pool_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

static void *pool_main(void *arg)
{
    int id = (int)(intptr_t)arg;
    pool_box *box = &pool_boxes[id];
    unsigned seen = box->first;
    pool_worker = id;
    for (;;) {
        long start = pool_now_ns();
        unsigned spins = 0;
        while (atomic_load_explicit(&box->ticket, memory_order_acquire) == seen) {
            pool_relax();
            if ((++spins & 255) == 0 && pool_now_ns() - start > POOL_SPIN_NS) {
                pthread_mutex_lock(&pool_sleep);
                atomic_store(&box->asleep, 1);
                while (atomic_load(&box->ticket) == seen)
                    pthread_cond_wait(&box->wake, &pool_sleep);
                atomic_store(&box->asleep, 0);
                pthread_mutex_unlock(&pool_sleep);
            }
        }
        seen = atomic_load_explicit(&box->ticket, memory_order_acquire);
        box->fn(box->ctx, box->part, box->parts);
        atomic_fetch_sub_explicit(&pool_left, 1, memory_order_release);
    }
    return NULL;
}

/* after fork() only the forking thread exists in the child: start afresh */
static void pool_after_fork(void)
{
    pthread_mutex_init(&pool_region, NULL);
    pthread_mutex_init(&pool_sleep, NULL);
    for (int i = 1; i < pool_size; i++) {
        pthread_cond_init(&pool_boxes[i].wake, NULL);
        atomic_store(&pool_boxes[i].asleep, 0);
    }
    pool_size = 1;
    atomic_store(&pool_left, 0);
    pool_worker = 0;
}

/* once, when the extension is loaded (before any region could hold the region lock) */
static void pool_init(void)
{
    pthread_atfork(NULL, NULL, pool_after_fork);
}

/* start workers until there are n threads (region lock held); the count reached */
static int pool_grow(int n)
{
    if (n > POOL_MAX)
        n = POOL_MAX;
    while (pool_size < n) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pool_boxes[pool_size].first = atomic_load(&pool_boxes[pool_size].ticket);
        atomic_store(&pool_boxes[pool_size].asleep, 0);
        pthread_cond_init(&pool_boxes[pool_size].wake, NULL);
        int failed = pthread_create(&t, &attr, pool_main, (void *)(intptr_t)pool_size);
        pthread_attr_destroy(&attr);
        if (failed)
            break;
        pool_size++;
    }
    return pool_size;
}

/* run parts 1..parts-1 on workers and part 0 here; the region lock is held */
static void pool_region_run(pool_task fn, void *ctx, int parts)
{
    atomic_fetch_add_explicit(&pool_regions, 1, memory_order_relaxed);
    atomic_store(&pool_left, parts - 1);
    for (int i = 1; i < parts; i++) {
        pool_box *box = &pool_boxes[i];
        box->fn = fn;
        box->ctx = ctx;
        box->part = i;
        box->parts = parts;
        atomic_fetch_add(&box->ticket, 1);
        if (atomic_load(&box->asleep)) {      /* (only this part's worker is woken) */
            pthread_mutex_lock(&pool_sleep);
            pthread_cond_signal(&box->wake);
            pthread_mutex_unlock(&pool_sleep);
        }
    }
    fn(ctx, 0, parts);
    while (atomic_load_explicit(&pool_left, memory_order_acquire) > 0)
        pool_relax();
}

/* fn for parts 0..parts-1, side by side where the pool is free, else one after the other on
 * this thread (the loops' parts are independent) */
static void pool_run(pool_task fn, void *ctx, int parts)
{
    if (parts > 1 && !pool_worker && pthread_mutex_trylock(&pool_region) == 0) {
        int n = pool_grow(parts);
        if (n >= parts) {
            pool_region_run(fn, ctx, parts);
            pthread_mutex_unlock(&pool_region);
            return;
        }
        pthread_mutex_unlock(&pool_region);
    }
    for (int i = 0; i < parts; i++)
        fn(ctx, i, parts);
}

/* OpenBLAS's caller-managed threading: run dojob(i, jobdata + i * size, data) for the
 * numjobs jobs side by side (they wait on each other, so never one after the other) */
typedef void (*pool_dojob)(int thread, void *job, int data);
typedef struct {
    pool_dojob dojob;
    char *jobs;
    size_t size;
    int data;
} pool_blas_args;

static void pool_blas_task(void *ctx, int part, int parts)
{
    pool_blas_args *a = ctx;
    a->dojob(part, a->jobs + (size_t)part * a->size, a->data);
}

static void pool_blas_jobs(int sync, pool_dojob dojob, int numjobs, size_t size, void *jobs,
                           int data)
{
    (void)sync;
    if (numjobs <= 1) {
        if (numjobs == 1)
            dojob(0, jobs, data);
        return;
    }
    pool_blas_args a = {dojob, jobs, size, data};
    if (pool_worker) {
        fputs("ember: an OpenBLAS call from inside one of ember's parallel loops\n", stderr);
        abort();
    }
    pthread_mutex_lock(&pool_region);
    if (pool_grow(numjobs) < numjobs) {
        fputs("ember: could not start the threads OpenBLAS asked for\n", stderr);
        abort();
    }
    pool_region_run(pool_blas_task, &a, numjobs);
    pthread_mutex_unlock(&pool_region);
}

#else  /* no threads: every part on the calling thread */

static unsigned long pool_regions;
static void pool_init(void)
{
}

static void pool_run(pool_task fn, void *ctx, int parts)
{
    for (int i = 0; i < parts; i++)
        fn(ctx, i, parts);
}

#endif

/* how many parts a loop over `work` elements gets: one per POOL_GRAIN, at most pool_threads */
#define POOL_GRAIN 32768
static int pool_parts(Py_ssize_t work)
{
    Py_ssize_t p = work / POOL_GRAIN;
    if (p > pool_threads)
        p = pool_threads;
    return p < 1 ? 1 : (int)p;
}
