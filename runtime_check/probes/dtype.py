"""NTL1xx: dtype leaks (float64 into float32 models, narrow integer targets)."""
from __future__ import annotations

from ..results import Verdict
from ._base import Message, Probe, check, combine, expect_message, expect_raises, torch_device

# The same failure (a float64 input into float32 weights) in other kernels'
# words: `x @ w` on CPU, a convolution on CPU, and CUDA's matmul kernels.
MATMUL_WORDING = "expected m1 and m2 to have the same dtype"
CONV_WORDING = "Input type (double) and bias type (float) should be the same"
MAT_DTYPE = Message(
    "raises",
    ("RuntimeError",),
    "mat1 and mat2 must have the same dtype",
    alternatives=("expected mat1 and mat2 to have the same dtype", MATMUL_WORDING, CONV_WORDING),
)
# These dtype checks live in each backend's kernel (a meta tensor passes them),
# so CUDA may word them its own way: there the premise is "it fails with a
# dtype error", any of a message's wordings counts, and `observed` says which.
# On CPU the text is matched strictly.
# A float64 class weight in a loss computing in float32 (CrossEntropyLoss(weight=w), F.nll_loss).
LOSS_WEIGHT = Message(
    "raises",
    ("RuntimeError",),
    "expected scalar type Float but found Double",
    alternatives=("found Double", "same dtype"),
)
TARGET_INT = Message(
    "raises",
    ("RuntimeError",),
    "expected target dtype to be Long or Byte, but got",
    alternatives=(
        "expected target dtype to be Long",
        "expected scalar type Long but found Int",
        "not implemented for 'Int'",
    ),
)
TARGET_BYTE_SPATIAL = Message(
    "raises",
    ("RuntimeError",),
    "expected scalar type Long but found Byte",
    alternatives=("expected target dtype to be Long", "not implemented for 'Byte'"),
)


def ntl101(device: str) -> Verdict:
    import numpy as np
    import torch
    import torch.nn.functional as F

    dev = torch_device(device)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2).to(dev)
    x64 = np.random.rand(4, 3)  # NumPy's default float dtype: float64

    # Loud: a float64 batch into a float32 module.
    loud = [expect_message(lambda: model(torch.from_numpy(x64).to(dev)), MAT_DTYPE,
                           "a float64 tensor into nn.Linear (float32)", device)]
    if device == "cpu":
        # The other CPU kernels' words for it (quoted by the docs and fixtures).
        conv = torch.nn.Conv2d(1, 1, 3)
        loud += [
            expect_raises(lambda: torch.from_numpy(x64) @ model.weight.T, RuntimeError, [MATMUL_WORDING],
                          "a float64 tensor @ a float32 weight"),
            expect_raises(lambda: conv(torch.from_numpy(np.random.rand(1, 1, 4, 4))), RuntimeError, [CONV_WORDING],
                          "a float64 image into nn.Conv2d (float32)"),
        ]
    # Loud too: float64 class weights (1 / class counts) in a loss over float32 logits.
    weights = torch.from_numpy(1.0 / np.array([3.0, 5.0])).to(dev)
    labels = torch.tensor([0, 1, 1, 0], device=dev)
    logits = model(torch.from_numpy(x64.astype(np.float32)).to(dev))
    loud.append(expect_message(lambda: torch.nn.CrossEntropyLoss(weight=weights)(logits, labels), LOSS_WEIGHT,
                               "float64 class weights in CrossEntropyLoss over float32 logits", device))
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
    return combine(*loud, silent, op)


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
                "x64": np.random.rand(3),
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
    loud = expect_message(lambda: model(batch["x64"].to(dev)), MAT_DTYPE,
                          "a collated float64 batch into nn.Linear (float32)", device)
    pred = model(batch["x"].to(dev))
    loss = F.mse_loss(pred, batch["y_array"].to(dev))
    promoted = check(
        loss.dtype == torch.float64,
        f"F.mse_loss(float32 output, collated target) on {dev.type} -> {loss.dtype}",
        "the collated float64 target no longer promotes the loss",
    )
    return combine(collate, loud, promoted)


def ntl103(device: str) -> Verdict:
    import numpy as np
    import torch
    import torch.nn.functional as F

    dev = torch_device(device)
    logits = torch.randn(4, 3, device=dev)
    int32 = torch.from_numpy(np.array([0, 1, 2, 1], dtype=np.int32)).to(dev)
    narrow = expect_message(lambda: F.cross_entropy(logits, int32), TARGET_INT,
                            "F.cross_entropy with an int32 target", device)
    nll = expect_message(lambda: torch.nn.NLLLoss()(logits.log_softmax(1), int32), TARGET_INT,
                         "nn.NLLLoss with an int32 target", device)
    # A segmentation mask read as uint8: (N, H, W) targets must be int64.
    seg_logits = torch.randn(2, 3, 4, 4, device=dev)
    mask = torch.from_numpy(np.random.randint(0, 3, size=(2, 4, 4)).astype(np.uint8)).to(dev)
    spatial = expect_message(lambda: F.cross_entropy(seg_logits, mask), TARGET_BYTE_SPATIAL,
                             "F.cross_entropy with a uint8 (N, H, W) target", device)
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
        messages=(MAT_DTYPE, LOSS_WEIGHT),
    ),
    Probe(
        "NTL102",
        "float64 from a Dataset",
        "default_collate turns float64 arrays, float lists and floats into float64 batches",
        ntl102,
        messages=(MAT_DTYPE,),
    ),
    Probe(
        "NTL103",
        "narrow integer class targets",
        "int32 class targets fail in cross_entropy/NLLLoss; uint8 only for 1-d targets",
        ntl103,
        messages=(TARGET_INT, TARGET_BYTE_SPATIAL),
    ),
]
