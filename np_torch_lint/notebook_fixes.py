"""Fixes in notebooks: each code cell rewritten by the same LibCST fixes as a file, the notebook kept.

A cell is fixed alone, with its IPython lines replaced (``ipython``) and put back
after; a fixed cell that does not parse is not written, and a fix whose target would
span two cells is not applied. The notebook is written with nbformat's own v4 steps
(lines split as Jupyter stores them, transient fields dropped) and the file's own
JSON layout (indentation, key order, escaping, line ends): before writing, the
unchanged notebook must come out byte for byte as the file was, so that outputs,
metadata and formatting stay exactly; a notebook that does not is left alone with
a one-line message. ``--diff`` prints one unified diff per changed cell.
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import re
from typing import Any, Callable, Dict, List, NamedTuple, Optional, TextIO, Tuple

from . import fixes
from .files import split_lines
from .findings import Report
from .fixes.model import Span
from .ipython import blank, restore
from .notebooks import CodeCell, Notebook, NotebookError, lint, locate, read
from .writes import replace_if_unchanged

Fixed = Tuple[List[Report], List[str], Tuple[CodeCell, ...]]  # findings left, joined lines, cells


class Layout(NamedTuple):
    """How a notebook file's JSON is laid out, as ``json.dumps`` arguments and line ends."""

    indent: Optional[Any]  # an int (spaces) or the indentation text (tabs); None: one line
    sort_keys: bool
    ensure_ascii: bool
    newline: str
    tail: str  # what follows the closing brace


def fix_notebook(path: str, reports: List[Report], mode: str, unsafe: bool, out: TextIO, err: TextIO,
                 keeps: Callable[[Report, List[str]], bool]) -> Optional[Fixed]:
    """Fix a notebook's cells (mode "fix": write it; "diff": print the cells' diffs).

    What is left (findings, the joined program's lines, the cells) when the notebook was
    written; None when nothing was written (the caller's findings stand).
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        notebook = read(raw)
    except (NotebookError, UnicodeDecodeError):
        return None  # changed since it was linted: the lint's own message stands
    sources, count = fixed_sources(notebook, reports, unsafe)
    if count == 0:
        return None
    if mode == "diff":
        for index, source in sources.items():
            cell = next(c for c in notebook.cells if c.position == index)
            old = _diff_lines(notebook.document["cells"][index]["source"])
            out.writelines(difflib.unified_diff(old, _diff_lines(source), fromfile=f"{path}:cell {cell.number}",
                                                tofile=f"{path}:cell {cell.number}"))
        return None
    text = raw.decode("utf-8-sig")
    layout = _layout(text, notebook.document)
    if layout is None:
        print(f"{path}: error: not fixed: its JSON layout is not one nbformat writes, and rewriting it would "
              f"change more than the fixed cells", file=err)
        return None
    document = copy.deepcopy(notebook.document)
    for index, source in sources.items():
        document["cells"][index]["source"] = source
    data = (b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b"") + _render(document, layout).encode("utf-8")
    try:
        fixed = read(data)  # nbformat validates what would be written
    except NotebookError as error:  # pragma: no cover - a bug in the writer: say so, write nothing
        print(f"{path}: error: not fixed: the fixed notebook would not be valid ({error})", file=err)
        return None
    if not replace_if_unchanged(path, raw, data):
        print(f"{path}: error: changed on disk while fixing; not written", file=err)
        return None
    print(f"{path}: fixed {count} finding{'s' if count != 1 else ''}", file=err)
    left = [r for r in lint(fixed, path) if keeps(r, fixed.lines)]
    return left, fixed.lines, fixed.cells


def fixed_sources(notebook: Notebook, reports: List[Report], unsafe: bool) -> Tuple[Dict[int, str], int]:
    """The new source of each fixed cell (by index in the notebook) and how many fix targets were fixed."""
    by_cell: Dict[int, List[Report]] = {}
    for report in reports:
        if report.fix is None or not fixes.fixable(report, unsafe):
            continue
        target = report.fix.target
        start, end = locate(notebook.cells, target.line), locate(notebook.cells, target.end_line)
        if start.cell != end.cell:
            continue  # a fix across two cells cannot be written into either
        shift = start.cell.first_line - 1
        local = Span(target.line - shift, target.col, target.end_line - shift, target.end_col)
        by_cell.setdefault(start.cell.number, []).append(dataclasses.replace(
            report, line=report.line - shift, end_line=report.end_line - shift, fix=report.fix._replace(target=local)))
    sources: Dict[int, str] = {}
    count = 0
    for number, cell_reports in by_cell.items():
        python = notebook.blanked[number]
        fixed_text, applied = fixes.apply(python.text, cell_reports, unsafe)
        source = restore(fixed_text, python) if applied else None
        if source is None or not _parses(source):
            continue  # fixes.apply checked the Python; the cell with its IPython lines back is checked here
        cell = next(c for c in notebook.cells if c.number == number)
        sources[cell.position] = source
        count += applied
    return sources, count


def _parses(source: str) -> bool:
    import ast

    try:
        ast.parse(blank(source).text)
    except (SyntaxError, ValueError):
        return False
    return True


def _layout(text: str, document: Dict[str, Any]) -> Optional[Layout]:
    """The layout that writes the unchanged notebook exactly as ``text``; None if there is none."""
    match = re.match(r"\{(\r?\n)([ \t]*)\"", text)
    if match is not None:
        spaces = match.group(2)
        indent: Optional[Any] = len(spaces) if set(spaces) <= {" "} else spaces
        newline = match.group(1)
    else:
        indent, newline = None, "\n"
    tail = text[len(text.rstrip()):]
    for sort_keys in (True, False):
        for ensure_ascii in (False, True):
            layout = Layout(indent, sort_keys, ensure_ascii, newline, tail)
            if _render(document, layout) == text:
                return layout
    return None


def _render(document: Dict[str, Any], layout: Layout) -> str:
    """nbformat's v4 writer (split lines, no transient fields, bytes as base64) with the file's layout."""
    from nbformat.v4.nbjson import BytesEncoder
    from nbformat.v4.rwbase import split_lines, strip_transient

    node = split_lines(strip_transient(copy.deepcopy(document)))
    separators = (",", ": ") if layout.indent is not None else (", ", ": ")
    text = json.dumps(node, cls=BytesEncoder, indent=layout.indent, sort_keys=layout.sort_keys,
                      ensure_ascii=layout.ensure_ascii, separators=separators)
    if layout.newline != "\n":
        text = text.replace("\n", layout.newline)  # JSON strings hold no raw newline: only the layout's
    return text + layout.tail


def _diff_lines(source: str) -> List[str]:
    lines = split_lines(source)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines
