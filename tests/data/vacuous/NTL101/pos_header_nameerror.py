# runtime: raises NameError: name 'epoch_count' is not defined
"""Vacuous: a typo fails the run at the line the finding cites, and the header names that NameError."""
import numpy as np
import torch
import torch.nn as nn

model = nn.Linear(3, 1)
inputs = torch.from_numpy(np.random.rand(8, 3))  # expect: NTL101
print(epoch_count, model(inputs))
