"""Findings made inside DataLoader worker processes and inside a thread reach the report."""
import sys
import threading

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class Scaled(Dataset):
    def __init__(self):
        self.rows = np.arange(24, dtype=np.float64).reshape(12, 2)
        self.scale = torch.ones(2)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        row = torch.from_numpy(self.rows[i])
        return row * self.scale


def in_a_thread(results):
    results.append(torch.ones(3) + offsets)


if __name__ == "__main__":
    total = 0.0
    context = sys.argv[1] if len(sys.argv) > 1 else None  # "spawn": workers in fresh interpreters
    for batch in DataLoader(Scaled(), batch_size=4, num_workers=2, multiprocessing_context=context):
        total += float(batch.sum())
    offsets = torch.from_numpy(np.full(3, 0.5))
    results = []
    worker = threading.Thread(target=in_a_thread, args=(results,))
    worker.start()
    worker.join()
    print("total:", total, "thread:", results[0].dtype)
