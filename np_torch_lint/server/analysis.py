"""One editor buffer through the command's own steps: configuration, exclusion, analysis, filter, fixes.

Nothing here is the server's own judgement: ``config.load`` finds the settings as
the command does from the file's folder, ``files.iter_python_files`` decides
whether a named file is excluded (only with ``force-exclude``, as for the
command), ``lint.analyze`` finds, ``Settings.selection_for`` filters (select,
ignore, per-file-ignores, ``# noqa``), ``fixes.apply`` fixes with the same
LibCST transforms as ``--fix``. The buffer's text is analysed, not the file on
disk; the project's other modules are read from their open buffers, else from disk
(see ``engine/overlay.py`` and ``engine/project.py``: summaries kept per process and
refreshed when a file's text, size or mtime changes).
"""
from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path
from typing import FrozenSet, List, NamedTuple, Optional, Sequence, Tuple

from .. import fixes
from ..config import load
from ..files import iter_python_files, split_lines
from ..findings import Report
from ..incremental import IncrementalAnalysis
from ..lint import analyze
from ..suppress import Selection
from . import text as buffers


class Analysis(NamedTuple):
    """A buffer's reported findings, and what they rest on."""

    text: str
    reports: List[Report]  # after select/ignore, per-file-ignores and noqa: what the command reports
    selection: Selection  # the filter that kept them (to check a `# noqa` edit with)
    dependencies: FrozenSet[str]  # the project's other files the analysis read
    excluded: bool = False  # excluded by the configuration with force-exclude: not linted


def analyze_buffer(path: Optional[str], text: str, fallback_folder: str,
                   incremental: Optional[IncrementalAnalysis] = None) -> Analysis:
    """The findings the command would report for ``path`` holding ``text``.

    ``path`` None: a buffer with no file yet (configuration from ``fallback_folder``).
    ``incremental``: the document's analysis so far, which walks again only what changed
    since its last version (the same reports, see ``np_torch_lint/incremental.py``).
    Raises ``lint.AnalysisError`` when the text is not Python, ``config.ConfigError``
    when the configuration is wrong.
    """
    settings = load(path if path is not None else fallback_folder)
    shown = path if path is not None else os.path.join(fallback_folder, "untitled.py")
    selection = settings.selection_for(shown)
    if path is not None and not list(iter_python_files([path], settings)):
        return Analysis(text, [], selection, frozenset(), excluded=True)
    lines = split_lines(text)
    read: List[Tuple[str, int, int]] = []
    if incremental is not None:
        reports = incremental.analyze(text, lines, path, dependencies=read)
    else:
        reports = analyze(text, lines=lines, filename=path, dependencies=read)
    kept = selection.keep(reports, lines)  # one pass: the noqa lines are read once, not once per report
    return Analysis(text, kept, selection, frozenset(os.path.abspath(stamp[0]) for stamp in read))


def fixed_text(text: str, reports: Sequence[Report], unsafe: bool) -> Optional[str]:
    """The text with the reports' fixes applied (``--fix`` / ``--unsafe-fixes``), or None if none applies."""
    fixed, count = fixes.apply(text, reports, unsafe)
    return fixed if count and fixed != text else None


def silenced_text(analysis: Analysis, report: Report) -> Optional[str]:
    """The text with ``# noqa: CODE`` on the report's line, if that parses and the filter then drops it."""
    edit = buffers.noqa_edit(analysis.text, report.line, report.code)
    if edit is None:
        return None
    new = buffers.apply_edit(analysis.text, edit)
    if not buffers.parses(new) or analysis.selection.keeps(report, split_lines(new)):
        return None
    return new


@functools.lru_cache(maxsize=None)
def rule_page(code: str) -> Optional[str]:
    """The rule's documentation page (what ``np-torch-lint explain CODE`` prints), or None."""
    page = resources.files("np_torch_lint").joinpath("docs").joinpath(f"{code}.md")
    try:
        return page.read_text(encoding="utf-8")
    except (OSError, FileNotFoundError):
        return None


@functools.lru_cache(maxsize=None)  # asked for every diagnostic of every keystroke
def rule_page_uri(code: str) -> Optional[str]:
    """A ``file:`` URI of the installed page, where the package lies on disk (not inside a zip)."""
    page = resources.files("np_torch_lint").joinpath("docs").joinpath(f"{code}.md")
    if isinstance(page, Path) and page.is_file():
        return page.resolve().as_uri()
    return None
