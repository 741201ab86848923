"""DataLoader: batches from a dataset, optionally loaded ahead by background threads.

With num_workers > 0, worker threads fetch and collate batches while the training loop runs (the
classic remedy when the CPU cannot feed the accelerator; NumPy releases the GIL in its heavy
work, so loading and compute overlap). The main thread decides which indices go into which
batch and yields batches in that order, so the batches are identical for every num_workers
under a seed, including any randomness in the dataset's transforms: each batch gets its own
generator, seeded from the loader's generator and the batch's number (see `batch_generator`).
A worker's exception is raised in the main thread with the worker's traceback; leaving the loop
early (`break`) stops the workers cleanly.
"""

from __future__ import annotations

import collections.abc
import queue
import threading
import time
import traceback
import weakref

from .. import backend
from ..tensor import Tensor
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info",
           "batch_generator"]

_local = threading.local()


class WorkerInfo:
    """What get_worker_info() returns inside a worker thread."""

    def __init__(self, id: int, num_workers: int, seed: int, dataset):
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of the calling worker thread, or None in the main thread."""
    return getattr(_local, "worker_info", None)


def batch_generator() -> backend.Generator:
    """The generator random transforms should use: while a DataLoader loads a batch it is a
    generator seeded for that batch (so augmentation is reproducible and the same for any
    num_workers); elsewhere the default generator."""
    gen = getattr(_local, "generator", None)
    return gen if gen is not None else backend.default_generator


# -------------------------------------------------------------------------------------- collate

def default_convert(data):
    """Arrays become tensors (recursively); everything else is left as it is."""
    if isinstance(data, Tensor):
        return data
    if backend.is_array(data):
        from ..creation import as_tensor
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(d) for d in data)
    return data


def default_collate(batch):
    """Stack a list of samples into a batch, as PyTorch: tensors and arrays are stacked along a
    new first dim, numbers become tensors (ints int64, floats float64, bools bool), strings stay
    a list, and dicts, named tuples and sequences are collated field by field."""
    from ..creation import tensor
    from ..ops.shape import stack

    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if backend.is_array(elem) or backend.is_numpy_scalar(elem):
        return stack([tensor(b) for b in batch], 0)
    if isinstance(elem, bool):
        return tensor(batch, dtype=backend.bool_)
    if isinstance(elem, int):
        return tensor(batch, dtype=backend.int64)
    if isinstance(elem, float):
        return tensor(batch, dtype=backend.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               "equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, NumPy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


# ----------------------------------------------------------------------------- worker errors

class _KeyErrorMessage(str):
    """A KeyError's message: KeyError's str() is the repr of its argument, which would show
    the traceback on one line with its line breaks escaped (PyTorch's KeyErrorMessage)."""

    def __repr__(self) -> str:
        return self


def _reraise(exc: BaseException, tb: str, worker: int):
    message = f"Caught {type(exc).__name__} in DataLoader worker {worker}.\nOriginal {tb}"
    if isinstance(exc, KeyError):
        message = _KeyErrorMessage(message)
    try:
        new = type(exc)(message)
    except Exception:
        raise RuntimeError(message) from exc
    raise new from exc


# ---------------------------------------------------------------------------------- the pool

class _Mailbox:
    """Where workers put an iterator's batches. Tasks reference the mailbox, not the iterator,
    so an abandoned iterator is freed (and stops its workers) at once."""

    def __init__(self):
        self.cond = threading.Condition()
        self.results: dict = {}
        self.cancelled = False

    def deliver(self, k: int, ok: bool, value) -> None:
        with self.cond:
            self.results[k] = (ok, value)
            self.cond.notify_all()


class _Pool:
    """Worker threads taking tasks (fetch, mailbox, k, indices) from one queue."""

    def __init__(self, num_workers: int, dataset, worker_init_fn, seed: int):
        self.tasks: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self.threads = []
        for i in range(num_workers):
            t = threading.Thread(target=self._work, args=(i, num_workers, dataset,
                                                          worker_init_fn, seed + i),
                                 name=f"ember-dataloader-worker-{i}", daemon=True)
            t.start()
            self.threads.append(t)

    def _work(self, i, n, dataset, worker_init_fn, seed):
        _local.worker_info = WorkerInfo(i, n, seed, dataset)
        init_error = None
        if worker_init_fn is not None:
            try:
                worker_init_fn(i)
            except BaseException as exc:  # reported with the first batch this worker takes
                init_error = (exc, traceback.format_exc())
        while True:
            task = self.tasks.get()
            if task is None or self.stopping.is_set():
                return
            fetch, mailbox, k, indices = task
            if mailbox.cancelled:
                continue
            if init_error is not None:
                mailbox.deliver(k, False, (init_error[0], init_error[1], i))
                continue
            try:
                value = fetch(k, indices)
            except BaseException as exc:
                mailbox.deliver(k, False, (exc, traceback.format_exc(), i))
            else:
                mailbox.deliver(k, True, value)

    def submit(self, task) -> None:
        self.tasks.put(task)

    def shutdown(self, wait: bool = True) -> None:
        self.stopping.set()
        for _ in self.threads:
            self.tasks.put(None)
        if wait:
            for t in self.threads:
                t.join(timeout=30)
        self.threads = []

    @property
    def alive(self) -> bool:
        return bool(self.threads)


class _Loading:
    """Loads one batch: the batch's generator, the samples, the collation."""

    def __init__(self, loader: DataLoader, base_seed: int):
        self.dataset = loader.dataset
        self.collate_fn = loader.collate_fn
        self.base_seed = base_seed
        self.auto = loader._auto_collation

    def __call__(self, k: int, indices):
        _local.generator = backend.Generator().manual_seed(
            (self.base_seed * 1_000_003 + k) % (1 << 63))
        try:
            if self.auto:
                return self.collate_fn([self.dataset[i] for i in indices])
            return self.collate_fn(self.dataset[indices])
        finally:
            _local.generator = None


class _SingleProcessIter:
    def __init__(self, loader: DataLoader):
        self.loader = loader
        self.batches = iter(loader._index_batches())
        self.load = _Loading(loader, loader._base_seed())
        self.k = 0

    def __iter__(self):
        return self

    def __next__(self):
        indices = next(self.batches)
        value = self.load(self.k, indices)
        self.k += 1
        return value


class _ThreadedIter:
    """Keeps up to num_workers * prefetch_factor batches in flight, yields them in order."""

    def __init__(self, loader: DataLoader):
        self.loader = loader
        self.batches = iter(loader._index_batches())
        self.load = _Loading(loader, loader._base_seed())
        self.mailbox = _Mailbox()
        self.sent = 0
        self.yielded = 0
        self.exhausted = False
        self.limit = loader.num_workers * loader.prefetch_factor
        self.timeout = loader.timeout
        if loader.persistent_workers:
            self.pool = loader._persistent_pool()
            self.own_pool = False
        else:
            self.pool = _Pool(loader.num_workers, loader.dataset, loader.worker_init_fn,
                              self.load.base_seed % (1 << 31))
            self.own_pool = True
        self._finalizer = weakref.finalize(self, _stop_pool, self.pool, self.own_pool,
                                           self.mailbox)
        for _ in range(self.limit):
            if not self._send():
                break

    def _send(self) -> bool:
        if self.exhausted:
            return False
        try:
            indices = next(self.batches)
        except StopIteration:
            self.exhausted = True
            return False
        self.pool.submit((self.load, self.mailbox, self.sent, indices))
        self.sent += 1
        return True

    def __iter__(self):
        return self

    def __next__(self):
        if self.yielded == self.sent and self.exhausted:
            self.close()
            raise StopIteration
        k = self.yielded
        deadline = None if not self.timeout else time.monotonic() + self.timeout
        box = self.mailbox
        with box.cond:
            while k not in box.results:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    self.close()
                    raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds "
                                       f"waiting for batch {k}")
                box.cond.wait(remaining if remaining is not None else 1.0)
            ok, value = box.results.pop(k)
        self.yielded += 1
        if not ok:
            self.close()
            _reraise(*value)
        self._send()
        return value

    def close(self) -> None:
        """Stop the workers (they finish the batch in hand) and wait for them."""
        self._finalizer()


def _stop_pool(pool: _Pool, own: bool, mailbox: _Mailbox) -> None:
    mailbox.cancelled = True
    if own:
        pool.shutdown(wait=True)


class _StreamBatcher:
    """Reads an IterableDataset in order and makes batches of it."""

    def __init__(self, loader: DataLoader):
        self.loader = loader
        self.stream = iter(loader.dataset)
        self.base_seed = loader._base_seed()
        self.k = 0

    def next_batch(self):
        loader = self.loader
        _local.generator = backend.Generator().manual_seed(
            (self.base_seed * 1_000_003 + self.k) % (1 << 63))
        try:
            if loader.batch_size is None:
                return loader.collate_fn(next(self.stream))
            items = []
            for item in self.stream:
                items.append(item)
                if len(items) == loader.batch_size:
                    break
            if not items or (loader.drop_last and len(items) < loader.batch_size):
                raise StopIteration
            return loader.collate_fn(items)
        finally:
            _local.generator = None
            self.k += 1


_DONE = object()


def _produce(batcher: _StreamBatcher, q: queue.Queue, stop: threading.Event) -> None:
    """The background thread of an IterableDataset: batches into a bounded queue."""
    _local.worker_info = WorkerInfo(0, 1, batcher.base_seed % (1 << 31), batcher.loader.dataset)
    while not stop.is_set():
        try:
            item = (True, batcher.next_batch())
        except StopIteration:
            item = (True, _DONE)
        except BaseException as exc:
            item = (False, (exc, traceback.format_exc(), 0))
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                break
            except queue.Full:
                continue
        if item[1] is _DONE or not item[0]:
            return


class _IterableIter:
    """An IterableDataset read in order, by one background thread that batches ahead when
    num_workers > 0 (the stream is read once, not once per worker)."""

    def __init__(self, loader: DataLoader, threaded: bool):
        self.loader = loader
        self.batcher = _StreamBatcher(loader)
        self.threaded = threaded
        if threaded:
            self.queue: queue.Queue = queue.Queue(loader.num_workers * loader.prefetch_factor)
            stop = threading.Event()
            thread = threading.Thread(target=_produce, args=(self.batcher, self.queue, stop),
                                      daemon=True, name="ember-dataloader-stream")
            thread.start()
            self._finalizer = weakref.finalize(self, _stop_stream, stop, self.queue, thread)

    def __iter__(self):
        return self

    def __next__(self):
        if not self.threaded:
            return self.batcher.next_batch()
        try:
            ok, value = self.queue.get(timeout=self.loader.timeout or None)
        except queue.Empty:
            self._finalizer()
            raise RuntimeError(f"DataLoader timed out after {self.loader.timeout} seconds") \
                from None
        if not ok:
            self._finalizer()
            _reraise(*value)
        if value is _DONE:
            self._finalizer()
            raise StopIteration
        return value


def _stop_stream(stop: threading.Event, q: queue.Queue, thread: threading.Thread) -> None:
    stop.set()
    try:
        while True:
            q.get_nowait()
    except queue.Empty:
        pass
    thread.join(timeout=30)


# ---------------------------------------------------------------------------------- loader

class DataLoader:
    """Batches of a dataset: `for x, y in DataLoader(ds, batch_size=64, shuffle=True)`.

    Arguments as torch.utils.data.DataLoader: batch_size (None: no batching), shuffle,
    sampler, batch_sampler, num_workers (background threads loading ahead), collate_fn,
    pin_memory (accepted; no effect on the CPU), drop_last, timeout (seconds to wait for a
    batch, 0 forever), worker_init_fn, multiprocessing_context (accepted for PyTorch's
    signature; ember's workers are threads, so there is no process start method to choose),
    generator (for shuffling and per-batch randomness), prefetch_factor (batches in flight per
    worker, default 2), persistent_workers (keep the threads between epochs),
    pin_memory_device (accepted), in_order (accepted: batches always come in the sampler's
    order, which in_order=False permits as well).
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"num_workers option should be non-negative; use num_workers=0 to "
                             f"disable multiprocessing (got {num_workers!r})")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative (got {timeout!r})")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError(f"multiprocessing_context can only be used with multi-process "
                             f"loading (num_workers > 0), but got num_workers={num_workers}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(f"prefetch_factor must be a positive integer (got "
                             f"{prefetch_factor})")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        iterable = isinstance(dataset, IterableDataset)
        if iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle, "
                             "sampler and batch_sampler options")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.multiprocessing_context = multiprocessing_context
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        self.prefetch_factor = prefetch_factor if prefetch_factor is not None else 2
        self.persistent_workers = persistent_workers
        self._iterable = iterable
        if not iterable:
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                    SequentialSampler(dataset)
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if (self._auto_collation or
                                             (iterable and batch_size is not None)) \
                else default_convert
        self.collate_fn = collate_fn
        self._pool = None

    def _base_seed(self) -> int:
        gen = self.generator if self.generator is not None else backend.default_generator
        return int(gen.rng.integers(0, 1 << 62))

    def _index_batches(self):
        if self.batch_sampler is not None:
            return self.batch_sampler
        return self.sampler  # no auto-batching: one index at a time

    def _persistent_pool(self) -> _Pool:
        if self._pool is None or not self._pool.alive:
            self._pool = _Pool(self.num_workers, self.dataset, self.worker_init_fn,
                               self._base_seed() % (1 << 31))
            weakref.finalize(self, self._pool.shutdown)
        return self._pool

    def __iter__(self):
        if self._iterable:
            return _IterableIter(self, threaded=self.num_workers > 0)
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _ThreadedIter(self)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError if the stream has no length, as PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self._index_batches())
