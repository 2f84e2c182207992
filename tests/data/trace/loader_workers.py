"""A Dataset of float64 NumPy rows read by a DataLoader with two worker processes."""
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class Rows(Dataset):
    def __init__(self):
        self.rows = np.arange(24, dtype=np.float64).reshape(12, 2)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]


if __name__ == "__main__":
    head = nn.Linear(2, 1)
    total = 0.0
    for batch in DataLoader(Rows(), batch_size=4, num_workers=2):
        total += float(batch.sum())
        head(batch.float())
    print("batch dtype:", batch.dtype, "total:", total)
