"""What the table tests share: a prelude of names, the engine's view of an expression, and
the same expression run with the installed NumPy and torch (see test_tables_numpy.py)."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Dict, List

import pytest

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import Value

PRELUDE = """\
import base64, binascii, bz2, gzip, io, lzma, os, pickle, struct, zlib
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.autograd.grad_mode as grad_mode
from numpy.lib.stride_tricks import as_strided, sliding_window_view
from PIL import Image
a32 = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
f32 = np.ones((2, 3), dtype=np.float32)
flat = np.arange(6.0)
rev = flat[::-1]
rev2 = np.arange(6.0).reshape(2, 3)[::-1]
rng = np.random.default_rng(0)
net = nn.Linear(3, 2)
x = torch.randn(4, 3)
o = net(x)
t64 = torch.from_numpy(np.zeros((2, 3)))
"""


def engine_value(expression: str) -> Value:
    # The later `.numpy()` makes the planner keep `v = ...` (statements nothing reads are skipped).
    return module_values(PRELUDE + f"v = {expression}\nv.numpy()\n")["v"]


def run_value(expression: str, folder: Path) -> Any:
    namespace: Dict[str, Any] = {}
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as patch:
        warnings.simplefilter("ignore")
        patch.chdir(folder)
        _files(folder)
        exec(PRELUDE, namespace)
        import numpy as np

        with np.errstate(all="ignore"):
            return eval(expression, namespace)


def _files(folder: Path) -> None:
    """Files the reader cases open: raw float64 and float32 data, a .npy file."""
    import numpy as np

    np.arange(6.0).tofile(str(folder / "data.f64"))
    np.arange(6.0, dtype=np.float32).tofile(str(folder / "data.f32"))
    np.save(str(folder / "data.npy"), np.arange(6.0))


def dtype_name(result: Any) -> str:
    return str(result.dtype).replace("torch.", "")


def lint_codes(code: str) -> List[str]:
    """The codes the linter reports on the prelude followed by ``code``."""
    from np_torch_lint.lint import analyze

    return sorted(r.code for r in analyze(PRELUDE + code))
