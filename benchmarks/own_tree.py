"""Run the linter of one checkout, whatever copy of np-torch-lint is installed.

An editable install (``pip install -e``) puts a finder ahead of ``PYTHONPATH`` on
``sys.meta_path``, so ``PYTHONPATH=<checkout> python -m np_torch_lint.cli`` still runs the
installed checkout. The benchmarks score *their own* tree (a worktree of another commit
included): the command below drops such finders before importing the linter from ``root``.
"""
from __future__ import annotations

import sys
from typing import List

_BOOT = (
    "import sys\n"
    "root = sys.argv.pop(1)\n"
    "sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in getattr(f, '__module__', '')]\n"
    "sys.path.insert(0, root)\n"
    "from np_torch_lint.cli import main\n"
    "sys.argv[0] = 'np-torch-lint'\n"
    "sys.exit(main())\n"
)


def linter_command(root: str) -> List[str]:
    """The argv prefix that runs ``np-torch-lint`` from the checkout at ``root``."""
    return [sys.executable, "-c", _BOOT, root]
