"""runtime_check: prove each np-torch-lint rule with the installed torch and NumPy.

Every rule of the linter rests on a premise about torch/NumPy behaviour (an
error message, a dtype promotion, a shared buffer).  This package runs the real
conversion for each rule on CPU and, where present, on CUDA, and executes the
shared fixtures, so a torch upgrade that changes a premise is seen at once.

Nothing here imports torch or NumPy at import time: the heavy imports happen
inside the probe functions, so `import runtime_check` stays cheap and the
linter (which must never import torch) is unaffected.
"""
from __future__ import annotations

from .results import BROKEN, CONFIRMED, FAILED, SKIPPED, FixtureResult, ProbeResult, Verdict

__all__ = [
    "BROKEN",
    "CONFIRMED",
    "FAILED",
    "SKIPPED",
    "FixtureResult",
    "ProbeResult",
    "Verdict",
]
