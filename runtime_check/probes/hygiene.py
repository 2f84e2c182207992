"""NTL5xx: conversion hygiene (slow list conversion, copy-construct, legacy constructors)."""
from __future__ import annotations

import time
from typing import Any, Callable

from ..results import Verdict
from ._base import Message, Probe, broken, check, combine, confirmed, exc_text, expect_message, record_warnings

# torch.tensor(list of ndarrays) is flagged as "extremely slow": the probe
# measures it against np.stack + from_numpy in the same run.  A modest bar:
# it has been 20-150x here; 3x still makes the fix worth a lint.
RATIO_THRESHOLD = 3.0
N_ARRAYS, ARRAY_LEN, REPEATS = 256, 256, 5
SLOW_LIST = Message(
    "warns",
    ("UserWarning",),
    "Creating a tensor from a list of numpy.ndarrays is extremely slow",
    alternatives=("list of numpy.ndarrays",),
)
COPY_CONSTRUCT = Message(
    "warns",
    ("UserWarning",),
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
    "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
    alternatives=("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone()",),
)


# The legacy constructors' own error for data that is not a sequence: it names
# `new()`, the legacy path (torch.from_numpy words it "expected np.ndarray").
LEGACY_NEW = Message("raises", ("TypeError",), "new(): data must be a sequence")


def _best_time(fn: Callable[[], Any], sync: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - start)
    return best


def ntl501(device: str) -> Verdict:
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    arrays = [rng.random(ARRAY_LEN, dtype=np.float32) for _ in range(N_ARRAYS)]
    sync: Callable[[], None]
    if device == "cuda":
        slow = lambda: torch.tensor(arrays, device="cuda")  # noqa: E731
        fast = lambda: torch.from_numpy(np.stack(arrays)).to("cuda")  # noqa: E731
        sync = torch.cuda.synchronize
    else:
        slow = lambda: torch.tensor(arrays)  # noqa: E731
        fast = lambda: torch.from_numpy(np.stack(arrays))  # noqa: E731
        sync = lambda: None  # noqa: E731
    # Warm-up, and the same values both ways (so the fast path is a real fix).
    first, caught = record_warnings(slow)
    same = torch.equal(first.cpu(), fast().cpu())
    sync()
    t_slow, t_fast = _best_time(slow, sync), _best_time(fast, sync)
    ratio = t_slow / max(t_fast, 1e-9)
    where = ", device='cuda'" if device == "cuda" else ""
    observed = (
        f"torch.tensor(list of {N_ARRAYS} float32 arrays of {ARRAY_LEN}{where}): {t_slow * 1e3:.2f} ms; "
        f"torch.from_numpy(np.stack(...)){'.to(cuda)' if device == 'cuda' else ''}: {t_fast * 1e3:.3f} ms; "
        f"ratio {ratio:.1f}x (threshold {RATIO_THRESHOLD:g}x)"
    )
    checks = [
        check(ratio >= RATIO_THRESHOLD, observed, f"the list conversion is only {ratio:.1f}x slower"),
        check(same, "", "np.stack + from_numpy no longer gives the same tensor"),
    ]
    # torch also warns, once per process: run_probe runs this probe in a
    # fresh interpreter, so on CPU the warning must be there. On CUDA it is
    # quoted when seen, not required.
    warned = [f"{w.category.__name__}: {w.message}" for w in caught
              if any(frag in str(w.message) for frag in SLOW_LIST.wordings(device))]
    if warned:
        checks.append(confirmed(warned[0]))
    elif device == "cpu":
        seen = "; ".join(f"{w.category.__name__}: {w.message}" for w in caught) or "no warning"
        checks.append(broken(seen, f"torch.tensor(list of ndarrays) no longer warns {SLOW_LIST.text!r}"))
    return combine(*checks)


def ntl502(device: str) -> Verdict:
    import torch

    src = torch.randn(3, device=device, requires_grad=True)
    warn = expect_message(lambda: torch.tensor(src), COPY_CONSTRUCT, "torch.tensor(tensor)", device)
    out, _ = record_warnings(lambda: torch.tensor(src))
    copied = check(
        out.data_ptr() != src.data_ptr() and not out.requires_grad,
        f"torch.tensor(t) of a tensor with requires_grad=True -> a copy, requires_grad={out.requires_grad}",
        "torch.tensor(tensor) is no longer a detached copy",
    )
    return combine(warn, copied)


def ntl503(device: str) -> Verdict:
    import numpy as np
    import torch

    a = np.random.rand(3)  # float64
    if device == "cuda":
        constructor, name = torch.cuda.FloatTensor, "torch.cuda.FloatTensor"  # type: ignore[attr-defined]
    else:
        constructor, name = torch.FloatTensor, "torch.FloatTensor"
    t, caught = record_warnings(lambda: constructor(a))
    what = f"{name}(float64 array)"
    a[0] = 42.0
    is_copy = t[0].item() != 42.0
    warned = "; ".join(f"{w.category.__name__}: {w.message}" for w in caught) or "no warning"
    legacy = check(
        t.dtype == torch.float32 and is_copy,
        f"{what} -> {t.dtype} on {t.device}, "
        f"{'a copy (writing a[0] afterwards leaves it unchanged)' if is_copy else 'sharing memory with a'}; {warned}",
        "the legacy constructor no longer silently copies and casts",
    )
    # The conversion above is the legacy constructor's, not a stand-in with the same result.
    checks = [legacy, _legacy_constructor(constructor, name, device)]
    if device == "cpu":
        ints = np.arange(3)  # int64 data: torch.Tensor casts it to float32
        t2, caught2 = record_warnings(lambda: torch.Tensor(ints))
        checks.append(
            check(
                t2.dtype == torch.float32 and not caught2,
                f"torch.Tensor(int64 array) -> {t2.dtype}, {'no warning' if not caught2 else caught2[0].message}",
                "torch.Tensor(int64 array) no longer casts silently",
            )
        )
        checks.append(_legacy_constructor(torch.Tensor, "torch.Tensor", device))
    return combine(*checks)


def _legacy_constructor(constructor: Any, name: str, device: str) -> Verdict:
    """What only the legacy constructor does, so that a stand-in (from_numpy(a).float()) is caught.

    It reads integers as a shape, and it rejects a NumPy scalar with its own
    `new()` error; torch.from_numpy does neither.
    """
    import numpy as np
    import torch

    try:
        made = constructor(2, 3)
        sized = check(
            tuple(made.shape) == (2, 3) and made.dtype == torch.float32,
            f"{name}(2, 3) -> a new {made.dtype} tensor of shape {tuple(made.shape)} (integers read as a shape)",
            f"{name}(2, 3) no longer makes an uninitialized 2x3 float32 tensor: not the legacy constructor",
        )
    except Exception as exc:
        sized = broken(exc_text(exc), f"{name}(2, 3) raised: it is not the legacy constructor")
    scalar = expect_message(lambda: constructor(np.float64(1.0)), LEGACY_NEW, f"{name}(numpy.float64 scalar)", device)
    return combine(sized, scalar)


PROBES = [
    Probe(
        "NTL501",
        "torch.tensor of a list of ndarrays",
        "torch.tensor(list of ndarrays) is many times slower than from_numpy(np.stack(...))",
        ntl501,
        fresh_process=True,
        messages=(SLOW_LIST,),
    ),
    Probe(
        "NTL502",
        "torch.tensor on a tensor",
        "torch.tensor(t) on a tensor warns to use t.detach().clone()",
        ntl502,
        messages=(COPY_CONSTRUCT,),
    ),
    Probe(
        "NTL503",
        "legacy constructors on NumPy data",
        "torch.FloatTensor/torch.Tensor(ndarray) silently copy and cast to float32",
        ntl503,
        messages=(LEGACY_NEW,),
    ),
]
