"""Datasets, samplers and the DataLoader (threads, order, errors, early exit, prefetching)."""

import threading
import time

import numpy as np
import pytest

import ember
from ember.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    random_split,
)
from ember.data import transforms as T

from ..conftest import to_numpy


def table(n=10):
    return TensorDataset(ember.arange(float(n)).reshape(n, 1), ember.arange(n))


def labels(loader):
    return [b[1].tolist() for b in loader]


# ------------------------------------------------------------------------------- datasets


def test_tensor_dataset_subset_concat():
    ds = table(5)
    assert len(ds) == 5 and ds[2][1].item() == 2
    with pytest.raises(ValueError, match="size mismatch between tensors"):
        TensorDataset(ember.ones(3, 2), ember.ones(4))
    sub = Subset(ds, [4, 0])
    assert len(sub) == 2 and sub[0][1].item() == 4
    both = ConcatDataset([ds, table(3)])
    assert len(both) == 8 and both[6][1].item() == 1 and both[-1][1].item() == 2
    assert len(ds + table(2)) == 7
    with pytest.raises(IndexError, match="out of range"):
        both[8]


def test_random_split_is_a_seeded_partition():
    a, b = random_split(table(10), [7, 3], generator=ember.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3
    assert sorted(a.indices + b.indices) == list(range(10))
    again, _ = random_split(table(10), [7, 3], generator=ember.Generator().manual_seed(0))
    assert again.indices == a.indices
    x, y, z = random_split(table(10), [0.5, 0.3, 0.2])
    assert (len(x), len(y), len(z)) == (5, 3, 2)
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(table(10), [5, 4])


def test_samplers():
    ds = table(6)
    assert list(SequentialSampler(ds)) == list(range(6))
    g = ember.Generator().manual_seed(3)
    perm = list(RandomSampler(ds, generator=g))
    assert sorted(perm) == list(range(6))
    assert len(list(RandomSampler(ds, replacement=True, num_samples=20, generator=g))) == 20
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, drop_last=True)) == [[0, 1], [2, 3]]
    draws = list(WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=g))
    assert 0 not in draws and abs(draws.count(2) / 4000 - 0.75) < 0.03
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(5), 0, False)


# ---------------------------------------------------------------------------------- batching


def test_batching_and_drop_last():
    assert labels(DataLoader(table(10), batch_size=4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert labels(DataLoader(table(10), batch_size=4, drop_last=True)) == [[0, 1, 2, 3],
                                                                          [4, 5, 6, 7]]
    assert len(DataLoader(table(10), batch_size=4)) == 3
    assert len(DataLoader(table(10), batch_size=4, drop_last=True)) == 2
    x, y = next(iter(DataLoader(table(10), batch_size=4)))
    assert x.shape == (4, 1) and y.dtype is ember.int64


def test_shuffle_is_reproducible_under_a_seed():
    ember.manual_seed(5)
    first = labels(DataLoader(table(20), batch_size=5, shuffle=True))
    ember.manual_seed(5)
    assert labels(DataLoader(table(20), batch_size=5, shuffle=True)) == first
    assert sorted(sum(first, [])) == list(range(20)) and first != labels(
        DataLoader(table(20), batch_size=5))
    g = ember.Generator().manual_seed(1)
    loader = DataLoader(table(20), batch_size=5, shuffle=True, generator=g)
    epoch1, epoch2 = labels(loader), labels(loader)
    assert epoch1 != epoch2  # a new order each epoch


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_batches_are_identical_for_any_number_of_workers(workers):
    class Augmented(Dataset):
        def __len__(self):
            return 24

        def __getitem__(self, i):
            crop = T.RandomCrop(3, padding=1)
            return crop(ember.arange(16.0).reshape(1, 4, 4) + i), i

    def run(n):
        loader = DataLoader(Augmented(), batch_size=5, shuffle=True, num_workers=n,
                            generator=ember.Generator().manual_seed(9))
        return [(to_numpy(x), y.tolist()) for x, y in loader]

    reference = run(0)
    for (xa, ya), (xb, yb) in zip(reference, run(workers)):
        assert ya == yb
        np.testing.assert_array_equal(xa, xb)
    assert len(run(workers)) == 5


def test_default_collate_structures():
    batch = default_collate([{"x": ember.ones(2), "y": 1, "name": "a"},
                             {"x": ember.zeros(2), "y": 2, "name": "b"}])
    assert batch["x"].shape == (2, 2) and batch["y"].tolist() == [1, 2]
    assert batch["name"] == ["a", "b"]
    pairs = default_collate([(1.5, np.ones(3)), (2.5, np.zeros(3))])
    assert pairs[0].dtype is ember.float64 and pairs[1].shape == (2, 3)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([ember.ones(2), ember.ones(3)])


def test_no_auto_batching_and_custom_collate():
    loader = DataLoader(table(3), batch_size=None)
    assert [y.item() for _, y in loader] == [0, 1, 2]
    loader = DataLoader(table(4), batch_size=2, collate_fn=lambda items: len(items))
    assert list(loader) == [2, 2]
    sampler = BatchSampler(SequentialSampler(range(5)), 3, drop_last=False)
    assert labels(DataLoader(table(5), batch_sampler=sampler)) == [[0, 1, 2], [3, 4]]


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(ember.tensor([float(i)]) for i in range(7))

    for workers in (0, 2):
        batches = list(DataLoader(Stream(), batch_size=3, num_workers=workers))
        assert [b.reshape(-1).tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(list(DataLoader(Stream(), batch_size=3, drop_last=True))) == 2


def test_argument_errors():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(table(), sampler=SequentialSampler(table()), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(table(), batch_size=2, batch_sampler=BatchSampler(range(3), 2, False))
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(table(), num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(table(), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(table(), persistent_workers=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(table(), batch_size=0)
    with pytest.raises(ValueError, match="multiprocessing_context can only be used with"):
        DataLoader(table(), multiprocessing_context="spawn")


def test_signature_is_pytorchs():
    """torch.utils.data.DataLoader's parameters, in its order (generator is the 13th
    positional argument, after multiprocessing_context)."""
    import inspect
    params = list(inspect.signature(DataLoader.__init__).parameters)[1:]
    assert params == ["dataset", "batch_size", "shuffle", "sampler", "batch_sampler",
                      "num_workers", "collate_fn", "pin_memory", "drop_last", "timeout",
                      "worker_init_fn", "multiprocessing_context", "generator",
                      "prefetch_factor", "persistent_workers", "pin_memory_device", "in_order"]
    g = ember.Generator().manual_seed(4)
    positional = DataLoader(table(12), 4, True, None, None, 2, None, False, False, 0, None,
                            "spawn", g, in_order=False)
    assert positional.generator is g
    expected = labels(DataLoader(table(12), 4, shuffle=True,
                                 generator=ember.Generator().manual_seed(4)))
    assert labels(positional) == expected


# ------------------------------------------------------------------------------------ threads


class Failing(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 6:
            raise KeyError(f"sample {i} is broken")
        return ember.tensor([float(i)])


def test_worker_exception_surfaces_with_its_traceback():
    loader = DataLoader(Failing(), batch_size=2, num_workers=2)
    with pytest.raises(KeyError) as info:
        list(loader)
    message = str(info.value)
    assert "Caught KeyError in DataLoader worker" in message
    assert "Original Traceback" in message and "sample 6 is broken" in message
    assert "__getitem__" in message


def test_a_worker_keyerror_reads_as_its_message_not_a_repr():
    # KeyError's str() is the repr of its argument; PyTorch wraps the message so that the
    # traceback reads with real line breaks (its KeyErrorMessage)
    with pytest.raises(KeyError) as info:
        list(DataLoader(Failing(), batch_size=2, num_workers=2))
    message = str(info.value)
    assert message.startswith("Caught KeyError in DataLoader worker")
    assert "\nOriginal Traceback" in message and "\\n" not in message


def _live_workers():
    return [t for t in threading.enumerate() if t.name.startswith("ember-dataloader")]


def _workers_gone(timeout: float = 5.0) -> bool:
    """Whether every worker thread has ended within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while _live_workers() and time.monotonic() < deadline:
        time.sleep(0.01)
    return _live_workers() == []


class Slow(Dataset):
    def __init__(self, n=16, delay=0.05):
        self.n = n
        self.delay = delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(self.delay)
        return ember.tensor([float(i)])


def test_breaking_early_stops_the_workers():
    for i, _ in enumerate(DataLoader(Slow(40, 0.01), batch_size=2, num_workers=3)):
        if i == 2:
            break
    assert _workers_gone()


def test_a_stream_read_ahead_stops_on_break_and_reports_its_error():
    class Endless(IterableDataset):
        def __iter__(self):
            i = 0
            while True:
                time.sleep(0.002)
                yield ember.tensor([float(i)])
                i += 1

    for i, _ in enumerate(DataLoader(Endless(), batch_size=2, num_workers=2)):
        if i == 2:
            break
    assert _workers_gone()

    class Broken(IterableDataset):
        def __iter__(self):
            yield ember.tensor([1.0])
            raise OSError("the stream broke")

    with pytest.raises(OSError) as info:
        list(DataLoader(Broken(), batch_size=1, num_workers=1))
    assert "Caught OSError in DataLoader worker" in str(info.value)
    assert "the stream broke" in str(info.value) and "in __iter__" in str(info.value)


def test_persistent_workers_survive_epochs_and_stop_with_the_loader():
    loader = DataLoader(table(8), batch_size=2, num_workers=2, persistent_workers=True)
    first = labels(loader)
    workers = _live_workers()
    assert labels(loader) == first and len(workers) == 2
    assert all(t in _live_workers() for t in workers)
    del loader
    assert _workers_gone()


def test_prefetching_overlaps_loading_with_the_loop():
    """16 items at 50 ms each, 8 steps of 100 ms: sequentially about 1.6 s; with two workers
    loading ahead the loading hides behind the loop (about 0.8 s). Asserted with a wide
    margin: under 80% of the measured sequential time."""
    def run(workers):
        start = time.perf_counter()
        for _ in DataLoader(Slow(16, 0.05), batch_size=2, num_workers=workers):
            time.sleep(0.1)
        return time.perf_counter() - start

    sequential = run(0)
    overlapped = run(2)
    assert overlapped < 0.8 * sequential, (sequential, overlapped)


def test_timeout_raises():
    loader = DataLoader(Slow(4, 1.0), batch_size=1, num_workers=1, timeout=0.1)
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.1 seconds"):
        next(iter(loader))


def test_worker_info():
    seen = []

    class Spy(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = get_worker_info()
            seen.append(None if info is None else (info.num_workers, info.dataset is self))
            return i

    list(DataLoader(Spy(), batch_size=2))
    list(DataLoader(Spy(), batch_size=2, num_workers=2))
    assert seen[:4] == [None] * 4 and all(s == (2, True) for s in seen[4:])


def test_sampler_argument():
    weights = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    loader = DataLoader(table(6), batch_size=4, generator=ember.Generator().manual_seed(0),
                        sampler=WeightedRandomSampler(weights, 12,
                                                      generator=ember.Generator().manual_seed(2)))
    drawn = sum(labels(loader), [])
    assert len(drawn) == 12 and set(drawn) <= {2, 3} and len(loader) == 3
    assert labels(DataLoader(table(5), batch_size=2, sampler=[4, 0, 2])) == [[4, 0], [2]]


def test_prefetch_factor_bounds_the_batches_loaded_ahead():
    """With 2 workers and prefetch_factor 3, at most 2 * 3 batches are in flight: after the
    first batch is taken, 7 batches have been loaded (the one taken and 6 ahead), no more."""
    fetched = []

    class Recording(Dataset):
        def __len__(self):
            return 40

        def __getitem__(self, i):
            fetched.append(i)
            return i

    it = iter(DataLoader(Recording(), batch_size=1, num_workers=2, prefetch_factor=3))
    assert next(it).tolist() == [0]
    deadline = time.monotonic() + 10
    while len(fetched) < 7 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # room for a worker that would (wrongly) run further ahead
    assert sorted(fetched) == list(range(7))
    assert [next(it).item() for _ in range(3)] == [1, 2, 3]
    del it
