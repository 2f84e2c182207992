"""Output formats for ``np-torch-lint check``: text, json, github (workflow annotations), sarif (2.1.0).

A notebook's findings are placed by ``notebooks.locate`` (cell, line in the cell): text
``nb.ipynb:cell 3:4:9:``; JSON with ``cell``, ``cell_index`` and ``cell_id``; SARIF and
GitHub, whose viewers show the .ipynb file itself, at the file's lines that hold the
cell's source lines (whole lines: a JSON string's columns are not the code's), with
``cell 3:4:9:`` leading the message.
"""
from __future__ import annotations

import json
from typing import Dict, List, Mapping, Optional, Sequence, TextIO, Tuple

from . import __version__
from .findings import Report
from .notebooks import CodeCell, Place, file_line, locate

FORMATS = ("text", "json", "github", "sarif")
# The doc pages ship in the package (`np-torch-lint explain CODE`); links are relative to the repository.
DOCS_URL = "np_torch_lint/docs/{code}.md"

Found = List[Tuple[str, Report]]  # (path, report)
Cells = Mapping[str, Sequence[CodeCell]]  # a notebook's code cells, by the path shown


def write(found: Found, fmt: str, out: TextIO, sources: Optional[Dict[str, List[str]]] = None,
          cells: Optional[Cells] = None) -> None:
    cells = cells or {}
    if fmt == "text":
        for path, report in found:
            print(f"{_where(path, report, cells)}: {report.text}", file=out)
            lines = (sources or {}).get(path)
            if lines and 0 < report.line <= len(lines):
                # On a terminal: the source line and a caret under the reported node, as compilers do.
                line = lines[report.line - 1].rstrip("\r\n")
                column = len(line.encode("utf-8")[:report.col].decode("utf-8", "ignore"))
                width = max(1, (report.end_col - report.col) if report.end_line == report.line else len(line) - column)
                print(f"    {line}\n    {' ' * column}{'^' * min(width, max(1, len(line) - column))}", file=out)
    elif fmt == "json":
        json.dump([_as_json(path, report, cells.get(path)) for path, report in found], out, indent=2)
        out.write("\n")
    elif fmt == "github":
        for path, report in found:
            # Workflow command: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
            placed = _in_notebook(report, cells.get(path))
            if placed is None:
                col, end_col = _utf16_columns(report, (sources or {}).get(path))
                region = f"line={report.line},col={col},endLine={report.end_line},endColumn={end_col}"
                message = _escape_data(report.message)
            else:
                region = f"line={file_line(placed[0])},endLine={file_line(placed[1])}"
                message = _escape_data(f"{_cell_position(placed[0], report)}: {report.message}")
            print(f"::error file={_escape_property(path)},{region},"
                  f"title={_escape_property(report.code)}::{report.code} {message}", file=out)
    elif fmt == "sarif":
        json.dump(sarif(found, sources, cells), out, indent=2)
        out.write("\n")
    else:  # pragma: no cover - argparse restricts the choices
        raise ValueError(fmt)


def _in_notebook(report: Report, cells: Optional[Sequence[CodeCell]]) -> Optional[Tuple[Place, Place]]:
    """Where a finding starts and ends in a notebook's cells; None for a file."""
    if cells is None:
        return None
    return locate(cells, report.line), locate(cells, report.end_line)


def _cell_position(place: Place, report: Report) -> str:
    return f"cell {place.cell.number}:{place.line}:{report.col + 1}"


def _where(path: str, report: Report, cells: Cells) -> str:
    """'path:12:5', or 'nb.ipynb:cell 3:4:9' (the line in the cell) for a notebook."""
    placed = _in_notebook(report, cells.get(path))
    if placed is None:
        return f"{path}:{report.line}:{report.col + 1}"
    return f"{path}:{_cell_position(placed[0], report)}"


def _as_json(path: str, report: Report, cells: Optional[Sequence[CodeCell]] = None) -> Dict[str, object]:
    from .rules import RULES_BY_CODE  # late, as in the engine: a cached run may never load the rules

    rule = RULES_BY_CODE[report.code]
    placed = _in_notebook(report, cells)
    line, end_line = (report.line, report.end_line) if placed is None else (placed[0].line, placed[1].line)
    cell: Dict[str, object] = {} if placed is None else {
        "cell": placed[0].cell.number, "cell_index": placed[0].cell.position, "cell_id": placed[0].cell.id}
    return {
        "path": path, "code": report.code, "name": rule.name, "message": report.message, **cell,
        "line": line, "column": report.col + 1, "end_line": end_line, "end_column": report.end_col + 1,
        "url": DOCS_URL.format(code=report.code),
        "fix": None if report.fix is None else {
            "name": report.fix.name, "safety": report.fix.safety.value},
    }


def _utf16_columns(report: Report, lines: Optional[List[str]]) -> Tuple[int, int]:
    """1-based start and end columns in UTF-16 code units, as SARIF and GitHub count.

    Reports carry UTF-8 byte offsets (as ``ast`` and flake8 count); they differ after a
    non-ASCII character. Without the source lines the byte offsets are all there is.
    """
    def convert(line: int, byte_col: int) -> int:
        if not lines or not 0 < line <= len(lines):
            return byte_col + 1
        prefix = lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "ignore")
        return len(prefix.encode("utf-16-le")) // 2 + 1

    return convert(report.line, report.col), convert(report.end_line, report.end_col)


def sarif(found: Found, sources: Optional[Dict[str, List[str]]] = None,
          cells: Optional[Cells] = None) -> Dict[str, object]:
    from .rules import RULES_BY_CODE

    """A SARIF 2.1.0 log with one run: every rule with its help text, every finding with its region."""
    from importlib import resources

    rules = []
    for code, rule in sorted(RULES_BY_CODE.items()):
        page = resources.files("np_torch_lint").joinpath("docs").joinpath(f"{code}.md")
        help_text = page.read_text(encoding="utf-8") if page.is_file() else rule.summary
        rules.append({
            "id": code, "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.summary},
            "help": {"text": help_text, "markdown": help_text},
            # No helpUri: the schema wants an absolute URI, and the docs ship inside the package
            # (the full page is in `help` above, which code scanning shows).
            "defaultConfiguration": {"level": "error" if rule.default_enabled else "none"},
        })
    index = {code: i for i, code in enumerate(sorted(RULES_BY_CODE))}
    results = []
    for path, report in found:
        placed = _in_notebook(report, (cells or {}).get(path))
        message = report.message
        if placed is None:
            start, end = _utf16_columns(report, (sources or {}).get(path))
            region = {"startLine": report.line, "startColumn": start, "endLine": report.end_line, "endColumn": end}
        else:
            # The .ipynb file's lines that hold the cell's lines: code scanning shows that file.
            region = {"startLine": file_line(placed[0]), "endLine": file_line(placed[1])}
            message = f"{_cell_position(placed[0], report)}: {message}"
        results.append({
            "ruleId": report.code, "ruleIndex": index[report.code], "level": "error",
            "message": {"text": message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(path)}, "region": region}}],
        })
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "np-torch-lint", "version": __version__, "rules": rules}},
            "results": results,
            "columnKind": "utf16CodeUnits",
        }],
    }


def _uri(path: str) -> str:
    path = path.replace("\\", "/")
    return path[2:] if path.startswith("./") else path


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


__all__: Sequence[str] = ("FORMATS", "write", "sarif")
