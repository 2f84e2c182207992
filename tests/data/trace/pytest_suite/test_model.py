"""A test suite traced with `pytest -p runtime_check.trace`: one test feeds NumPy's float64 to a loss."""
import numpy as np
import torch
import torch.nn.functional as F


def test_regression_loss():
    pred = torch.zeros(5, 1)
    target = torch.from_numpy(np.linspace(0.0, 1.0, 5).reshape(5, 1))
    loss = F.l1_loss(pred, target)
    assert loss.dtype == torch.float64


def test_clean():
    assert torch.from_numpy(np.zeros(3, dtype=np.float32)).sum() == 0
