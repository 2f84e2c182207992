"""Internal errors: a bug in np-torch-lint is never shown as clean code.

Both faces word it the same way; ``NP_TORCH_LINT_DEBUG=1`` adds the traceback.
"""
from __future__ import annotations

import os
import traceback

DEBUG_VARIABLE = "NP_TORCH_LINT_DEBUG"


def debugging() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


def internal_error(error: BaseException) -> str:
    """One line naming the error: call it inside the ``except`` block."""
    return (f"internal error in np-torch-lint ({type(error).__name__}: {error}); this is a bug in the linter, "
            f"not a finding about the file; set {DEBUG_VARIABLE}=1 for the traceback")


def traceback_text() -> str:
    """The traceback of the exception being handled."""
    return traceback.format_exc().rstrip("\n")
