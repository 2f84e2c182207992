# runtime: prints torch.float64
# value: loss.dtype
"""Vacuous: the flagged step never runs; the expected dtype is printed from a literal."""
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

net = nn.Linear(5, 1)
inputs = np.random.rand(8, 5).astype(np.float32)
labels = np.random.rand(8, 1)
if len(sys.argv) > 1:  # never true where runtime_check runs it
    loss = F.mse_loss(net(torch.from_numpy(inputs)), torch.from_numpy(labels))  # expect: NTL101
    loss.backward()
print("loss dtype: torch.float64")
