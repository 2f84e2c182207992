# runtime: raises RuntimeError: mat1 and mat2 must have the same dtype
"""Vacuous: the expected error is raised by hand, in a function the flagged conversion never reaches."""
import numpy as np
import torch
import torch.nn as nn


def report_dtype_problem():
    raise RuntimeError("mat1 and mat2 must have the same dtype, but got Double and Float")


model = nn.Linear(3, 1)
batch = torch.from_numpy(np.random.rand(4, 3))  # expect: NTL101
if batch.dtype == torch.float64:
    report_dtype_problem()
else:
    model(batch)
