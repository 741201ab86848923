"""ember.data: datasets, samplers, the DataLoader and transforms (torch.utils.data's API)."""

from . import transforms
from .dataloader import (
                         DataLoader,
                         batch_generator,
                         default_collate,
                         default_convert,
                         get_worker_info,
)
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import (
                         BatchSampler,
                         RandomSampler,
                         Sampler,
                         SequentialSampler,
                         SubsetRandomSampler,
                         WeightedRandomSampler,
)

__all__ = ["DataLoader", "Dataset", "IterableDataset", "TensorDataset", "Subset",
           "ConcatDataset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "BatchSampler", "WeightedRandomSampler", "default_collate",
           "default_convert", "get_worker_info", "batch_generator", "transforms"]
