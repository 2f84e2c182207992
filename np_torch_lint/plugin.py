"""The flake8 entry point: thin. It hands the file to the runner and yields flake8 tuples.

Rules declared ``default_enabled = False`` join flake8's default ignore list, as
pycodestyle's W503 does: ``--select``/``--extend-select`` naming them turns them on
(and, flake8's own rule, so does an ``--ignore`` that replaces the default list;
``--extend-ignore`` keeps it).

A file that is not Python is flake8's E999, not ours: no NTL finding. A crash of
the linter itself is never shown as clean code: the file gets one finding on
line 1, ``NTL000 internal error in np-torch-lint (...)``, and the rest of flake8's
run goes on; ``NP_TORCH_LINT_DEBUG=1`` prints the traceback on stderr.
"""
from __future__ import annotations

import ast
import sys
from typing import Any, Generator, List, Tuple, Type

from . import __version__
from .debug import debugging, internal_error, traceback_text
from .lint import AnalysisError, analyze

#: the code of the finding that reports an internal error (not a rule: it cannot be turned off by default).
INTERNAL_ERROR = "NTL000"


class NpTorchLintPlugin:
    name = "np-torch-lint"
    version = __version__

    def __init__(self, tree: ast.AST, lines: List[str], filename: str = "") -> None:
        self._tree = tree
        self._lines = lines
        self._filename = filename

    @classmethod
    def add_options(cls, parser: Any) -> None:
        """flake8's option manager: the codes of the rules that are off by default are ignored by default."""
        from .suppress import default_off_codes

        off = sorted(default_off_codes())
        if off:
            parser.extend_default_ignore(off)

    @classmethod
    def parse_options(cls, option_manager: Any, options: Any, filenames: Any) -> None:
        """A mistyped NTL code in select/ignore/per-file-ignores is an error, not a silently green run.

        flake8 accepts any prefix and matches nothing with a typo (``--select NTL3O1``); the
        command refuses it, and so does the plugin: flake8 prints the message and fails.
        Other plugins' codes are theirs (only codes that look like ours are checked).
        """
        from flake8.exceptions import ExecutionError

        from .config import ConfigError, check_codes, per_file_ignores

        try:
            for name in ("select", "extend_select", "ignore", "extend_ignore"):
                check_codes(list(getattr(options, name, None) or ()), f"np-torch-lint: --{name.replace('_', '-')}",
                            ours_only=True)
            per_file = getattr(options, "per_file_ignores", "") or ""
            if "NTL" in per_file.upper():
                per_file_ignores(per_file, ".", "np-torch-lint: --per-file-ignores", ours_only=True)
        except ConfigError as error:
            raise ExecutionError(str(error)) from None

    def run(self) -> Generator[Tuple[int, int, str, Type[Any]], None, None]:
        text = "".join(self._lines)
        tree = self._tree if isinstance(self._tree, ast.Module) else None
        try:
            reports = analyze(text, tree=tree, lines=self._lines, filename=self._filename or None)
        except AnalysisError:
            # flake8's own E999 reports syntax errors; a file we cannot read gets no NTL finding.
            return
        except Exception as error:  # noqa: BLE001 - one clear finding, and flake8's run goes on
            if debugging():
                print(f"{self._filename}: {traceback_text()}", file=sys.stderr)
            yield 1, 0, f"{INTERNAL_ERROR} {internal_error(error)}", type(self)
            return
        for report in reports:
            yield report.line, report.col, report.text, type(self)
