"""A notebook open in the editor (LSP 3.17 notebook documents) through the command's own notebook steps.

The editor sends the notebook's cells, each a text document. They are put together
as the nbformat 4 notebook they stand for and read by ``notebooks.read`` (IPython
lines replaced, the code cells joined into one program, a cell that does not parse
left out with its names unknown), analysed as the command analyses a notebook
(messages cite "cell 3 line 2"), filtered by the configuration and ``# noqa`` for
the ``.ipynb`` path, and each finding is placed back in its cell: a line of the
cell's own text, the cell's document uri. Fixes are the command's notebook fixes
(``notebook_fixes``): each cell fixed alone with the LibCST transforms, a fix
whose target would span two cells never applied.
"""
from __future__ import annotations

import json
import os
from typing import Dict, FrozenSet, List, NamedTuple, Optional, Sequence, Tuple

from ..config import load
from ..files import iter_python_files, split_lines
from ..findings import Report
from ..incremental import IncrementalAnalysis
from ..ipython import blank
from ..notebook_fixes import fixed_sources
from ..notebooks import Notebook, describe, locate, read
from ..suppress import Selection
from . import text as buffers


class Cell(NamedTuple):
    """One cell as the editor holds it."""

    uri: str  # its text document
    code: bool  # a code cell (else markdown)
    text: str


class NotebookAnalysis(NamedTuple):
    cells: Tuple[Cell, ...]
    notebook: Notebook
    reports: List[Report]  # kept findings, in the lines of the joined program
    by_cell: Dict[str, List[Report]]  # cell uri -> its findings (and their fixes' targets), in the cell's own lines
    selection: Selection
    dependencies: FrozenSet[str]
    notes: Tuple[str, ...]  # "cell 4:2:7: error: cannot lint this cell: ..." (what the command prints)
    excluded: bool = False


def analyze_notebook(path: Optional[str], cells: Sequence[Cell], fallback_folder: str,
                     incremental: Optional[IncrementalAnalysis] = None) -> NotebookAnalysis:
    """The findings the command would report for a notebook holding ``cells``, placed in the cells.

    Raises ``notebooks.NotebookError`` when the cells do not make a notebook, ``config.ConfigError``
    when the configuration is wrong.
    """
    settings = load(path if path is not None else fallback_folder)
    shown = path if path is not None else os.path.join(fallback_folder, "untitled.ipynb")
    selection = settings.selection_for(shown)
    notebook = read(json.dumps(document(cells)).encode("utf-8"))
    if path is not None and not list(iter_python_files([path], settings)):
        return NotebookAnalysis(tuple(cells), notebook, [], {}, selection, frozenset(), notebook.notes, excluded=True)
    read_files: List[Tuple[str, int, int]] = []
    reports: List[Report] = []
    if notebook.cells:
        lines = notebook.lines
        cite = lambda line: describe(notebook.cells, line)  # noqa: E731 - as notebooks.lint cites
        analysis = incremental if incremental is not None else IncrementalAnalysis()
        reports = selection.keep(analysis.analyze("".join(lines), lines, path, read_files, cite), lines)
    code_uris = [cell.uri for cell in cells if cell.code]
    by_cell: Dict[str, List[Report]] = {uri: [] for uri in code_uris}
    for report in reports:
        place = locate(notebook.cells, report.line)
        shift = place.cell.first_line - 1
        end_line = report.end_line - shift
        end_col = report.end_col
        if end_line > place.cell.line_count:  # cannot happen for a node of one cell; kept inside it
            end_line, end_col = place.cell.line_count, len(notebook.lines[report.end_line - 1].encode("utf-8"))
        fix = report.fix
        if fix is not None:  # in the cell's lines too (``in_program`` puts it back)
            fix = fix._replace(target=fix.target._replace(line=fix.target.line - shift,
                                                          end_line=fix.target.end_line - shift))
        by_cell[code_uris[place.cell.number - 1]].append(Report(
            line=report.line - shift, col=report.col, code=report.code, message=report.message,
            end_line=end_line, end_col=end_col, fix=fix))
    return NotebookAnalysis(tuple(cells), notebook, reports, by_cell, selection,
                            frozenset(os.path.abspath(stamp[0]) for stamp in read_files), notebook.notes)


def document(cells: Sequence[Cell]) -> Dict[str, object]:
    """The nbformat 4 notebook the editor's cells stand for (no outputs: they are not linted)."""
    out: List[Dict[str, object]] = []
    for index, cell in enumerate(cells):
        entry: Dict[str, object] = {"cell_type": "code" if cell.code else "markdown", "id": f"cell-{index}",
                                    "metadata": {}, "source": cell.text}
        if cell.code:
            entry.update(execution_count=None, outputs=[])
        out.append(entry)
    return {"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def fixed_cell(analysis: NotebookAnalysis, uri: str, reports: Sequence[Report], unsafe: bool) -> Optional[str]:
    """The cell's text with the fixes of ``reports`` (in the joined program's lines) applied, or None."""
    sources, count = fixed_sources(analysis.notebook, list(reports), unsafe)
    position = next((i for i, cell in enumerate(analysis.cells) if cell.uri == uri), None)
    if not count or position is None or position not in sources:
        return None
    return sources[position]


def in_program(analysis: NotebookAnalysis, uri: str, report: Report) -> Report:
    """A cell's report in the lines of the joined program (what the fixes read)."""
    number = [cell.uri for cell in analysis.cells if cell.code].index(uri) + 1
    cell = analysis.notebook.cells[number - 1]
    shift = cell.first_line - 1
    fix = report.fix
    if fix is not None:
        target = fix.target
        fix = fix._replace(target=target._replace(line=target.line + shift, end_line=target.end_line + shift))
    return Report(line=report.line + shift, col=report.col, code=report.code, message=report.message,
                  end_line=report.end_line + shift, end_col=report.end_col, fix=fix)


def silenced_cell(analysis: NotebookAnalysis, uri: str, report: Report) -> Optional[str]:
    """The cell's text with ``# noqa: CODE`` on the report's line (a cell's report), if the filter then drops it."""
    text = next(cell.text for cell in analysis.cells if cell.uri == uri)
    edit = buffers.noqa_edit(text, report.line, report.code)
    if edit is None:
        return None
    new = buffers.apply_edit(text, edit)
    python = blank(new)
    if not buffers.parses(python.text) or analysis.selection.keeps(report, split_lines(python.text)):
        return None
    return new
