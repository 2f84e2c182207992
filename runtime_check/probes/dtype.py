"""NTL1xx: dtype leaks (float64 into float32 models, narrow integer targets)."""
from __future__ import annotations

from typing import Tuple

from ..results import Verdict
from ._base import Probe, check, combine, expect_raises, torch_device

MAT_DTYPE = "mat1 and mat2 must have the same dtype"
TARGET_INT = "expected target dtype to be Long"
TARGET_BYTE_SPATIAL = "expected scalar type Long but found Byte"

# The CPU texts above are the ones RULES.md quotes and are matched strictly.
# These dtype checks live in each backend's kernel (a meta tensor passes them),
# so CUDA may word them its own way: there the premise is "it fails with a
# dtype error", any of these wordings counts, and `observed` says which one.
CUDA_FRAGMENTS = {
    MAT_DTYPE: (
        MAT_DTYPE,
        "expected mat1 and mat2 to have the same dtype",
        "expected m1 and m2 to have the same dtype",
    ),
    TARGET_INT: (TARGET_INT, "expected scalar type Long but found Int", "not implemented for 'Int'"),
    TARGET_BYTE_SPATIAL: (TARGET_BYTE_SPATIAL, TARGET_INT, "not implemented for 'Byte'"),
}


def _fragments(device: str, text: str) -> Tuple[str, ...]:
    return CUDA_FRAGMENTS[text] if device == "cuda" else (text,)


def ntl101(device: str) -> Verdict:
    import numpy as np
    import torch
    import torch.nn.functional as F

    dev = torch_device(device)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2).to(dev)
    x64 = np.random.rand(4, 3)  # NumPy's default float dtype: float64

    # Loud: a float64 batch into a float32 module.
    loud = expect_raises(
        lambda: model(torch.from_numpy(x64).to(dev)),
        RuntimeError,
        _fragments(device, MAT_DTYPE),
        "a float64 tensor into nn.Linear (float32)",
    )
    # Silent: a float64 target promotes the loss (and the backward) to float64.
    pred = model(torch.from_numpy(x64.astype(np.float32)).to(dev))
    target = torch.from_numpy(np.random.rand(4, 2)).to(dev)
    loss = F.mse_loss(pred, target)
    silent = check(
        loss.dtype == torch.float64,
        f"F.mse_loss(float32 output, float64 target).dtype == {loss.dtype}",
        "a float64 target no longer promotes the loss to float64",
    )
    # Mixed op with a dimensioned float64 tensor is promoted too.
    mixed = pred * target
    op = check(
        mixed.dtype == torch.float64,
        f"float32 * float64 tensor -> {mixed.dtype}",
        "a float32 * float64 op no longer gives float64",
    )
    return combine(loud, silent, op)


def ntl102(device: str) -> Verdict:
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, Dataset

    class Rows(Dataset):
        # The three shapes the rule names: a float64 array, a Python float list
        # and a bare Python float, returned from __getitem__.
        def __len__(self) -> int:
            return 4

        def __getitem__(self, i: int):
            return {
                "x": np.random.rand(3).astype(np.float32),
                "y_array": np.random.rand(1),
                "y_list": [float(i), 0.5],
                "y_float": float(i) / 3.0,
            }

    batch = next(iter(DataLoader(Rows(), batch_size=4)))
    dtypes = {
        "ndarray float64": batch["y_array"].dtype,
        "list of float": batch["y_list"][0].dtype,  # collated per position
        "float": batch["y_float"].dtype,
    }
    collate = check(
        all(d == torch.float64 for d in dtypes.values()),
        "default_collate: " + ", ".join(f"{k} -> {v}" for k, v in dtypes.items()),
        "default_collate no longer gives float64 for every float64/Python-float item",
    )
    dev = torch_device(device)
    model = torch.nn.Linear(3, 1).to(dev)
    pred = model(batch["x"].to(dev))
    loss = F.mse_loss(pred, batch["y_array"].to(dev))
    promoted = check(
        loss.dtype == torch.float64,
        f"F.mse_loss(float32 output, collated target) on {dev.type} -> {loss.dtype}",
        "the collated float64 target no longer promotes the loss",
    )
    return combine(collate, promoted)


def ntl103(device: str) -> Verdict:
    import numpy as np
    import torch
    import torch.nn.functional as F

    dev = torch_device(device)
    logits = torch.randn(4, 3, device=dev)
    int32 = torch.from_numpy(np.array([0, 1, 2, 1], dtype=np.int32)).to(dev)
    narrow = expect_raises(
        lambda: F.cross_entropy(logits, int32),
        RuntimeError,
        _fragments(device, TARGET_INT),
        "F.cross_entropy with an int32 target",
    )
    nll = expect_raises(
        lambda: torch.nn.NLLLoss()(logits.log_softmax(1), int32),
        RuntimeError,
        _fragments(device, TARGET_INT),
        "nn.NLLLoss with an int32 target",
    )
    # A segmentation mask read as uint8: (N, H, W) targets must be int64.
    seg_logits = torch.randn(2, 3, 4, 4, device=dev)
    mask = torch.from_numpy(np.random.randint(0, 3, size=(2, 4, 4)).astype(np.uint8)).to(dev)
    spatial = expect_raises(
        lambda: F.cross_entropy(seg_logits, mask),
        RuntimeError,
        _fragments(device, TARGET_BYTE_SPATIAL),
        "F.cross_entropy with a uint8 (N, H, W) target",
    )
    # The rule stays silent on 1-d uint8 targets because torch accepts them;
    # if that ever changes, the rule's silence is wrong and we want to know.
    u8 = torch.from_numpy(np.array([0, 1, 2, 1], dtype=np.uint8)).to(dev)
    try:
        F.cross_entropy(logits, u8)
        one_d = check(True, "1-d uint8 target accepted", "")
    except Exception as exc:  # pragma: no cover - would mean torch changed
        one_d = check(False, f"1-d uint8 target: {type(exc).__name__}: {exc}", "1-d uint8 targets now fail")
    return combine(narrow, nll, spatial, one_d)


PROBES = [
    Probe(
        "NTL101",
        "float64 reaches a model",
        "float64 NumPy data into a float32 module fails; into a loss or op it promotes to float64",
        ntl101,
    ),
    Probe(
        "NTL102",
        "float64 from a Dataset",
        "default_collate turns float64 arrays, float lists and floats into float64 batches",
        ntl102,
    ),
    Probe(
        "NTL103",
        "narrow integer class targets",
        "int32 class targets fail in cross_entropy/NLLLoss; uint8 only for 1-d targets",
        ntl103,
    ),
]
