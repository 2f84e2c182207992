# runtime: clean
"""A Dataset returns float64 box arrays, but its DataLoader's collate_fn converts each to float32."""
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class Boxes(Dataset):
    def __init__(self, count):
        self.count = count

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        boxes = np.zeros((3, 4))
        boxes[:, 2:] = index + 1.0
        return boxes


def stack_boxes(items):
    return torch.stack([torch.from_numpy(b).float() for b in items])


loader = DataLoader(Boxes(6), batch_size=2, collate_fn=stack_boxes)
batch = next(iter(loader))
assert batch.dtype == torch.float32
print(torch.nn.Linear(4, 1)(batch).shape)
