"""The flake8 entry point: thin. It hands the file to the engine and yields flake8 tuples."""
from __future__ import annotations

import ast
import os
from typing import Any, Generator, List, Tuple, Type

from . import __version__
from .lint import AnalysisError, analyze


class NpTorchLintPlugin:
    name = "np-torch-lint"
    version = __version__

    def __init__(self, tree: ast.AST, lines: List[str], filename: str = "") -> None:
        self._tree = tree
        self._lines = lines
        self._filename = filename

    def run(self) -> Generator[Tuple[int, int, str, Type[Any]], None, None]:
        text = "".join(self._lines)
        tree = self._tree if isinstance(self._tree, ast.Module) else None
        try:
            reports = analyze(text, tree=tree, lines=self._lines)
        except AnalysisError:
            # flake8's own E999 reports syntax errors; a file we cannot read gets no NTL finding.
            return
        except Exception:  # noqa: BLE001 - a linter plugin must never crash flake8's run
            if os.environ.get("NP_TORCH_LINT_DEBUG"):
                raise
            return
        for report in reports:
            yield report.line, report.col, report.text, type(self)
