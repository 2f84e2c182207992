# runtime: prints torch.float64
# value: "torch.float64"
"""Vacuous: the value the runner checks is a literal, whatever the code does."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

net = nn.Linear(5, 1)
inputs = np.random.rand(8, 5).astype(np.float32)
labels = np.random.rand(8, 1)
loss = F.mse_loss(net(torch.from_numpy(inputs)), torch.from_numpy(labels))  # expect: NTL101
print(loss.dtype)
