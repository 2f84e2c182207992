"""np-torch-lint: a linter for the seam between NumPy and PyTorch."""
from __future__ import annotations

__version__ = "0.1.0"
