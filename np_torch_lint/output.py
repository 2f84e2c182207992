"""Output formats for ``np-torch-lint check``: text, json, github (workflow annotations), sarif (2.1.0).

A notebook's findings are placed by ``notebooks.locate`` (cell, line in the cell): text
``nb.ipynb:cell 3:4:9:``; JSON with ``cell``, ``cell_index`` and ``cell_id``; SARIF and
GitHub, whose viewers show the .ipynb file itself, at the file's lines that hold the
cell's source lines (whole lines: a JSON string's columns are not the code's), with
``cell 3:4:9:`` leading the message.

Every format shows the files that could not be linted (``failures``): JSON as
entries with ``"code": null``, SARIF as tool execution notifications with
``executionSuccessful: false``, GitHub as an ``::error`` each; text names them on
stderr (the command does that for every format).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, TextIO, Tuple

from . import __version__, fixes
from .findings import Report
from .notebooks import CodeCell, Place, file_line, locate

FORMATS = ("text", "json", "github", "sarif")
#: formats read by programs: never mixed with a diff.
MACHINE_FORMATS = ("json", "github", "sarif")

Found = List[Tuple[str, Report]]  # (path, report)
Failures = Sequence[Tuple[str, str]]  # (path, why it was not linted)
Cells = Mapping[str, Sequence[CodeCell]]  # a notebook's code cells, by the path shown


@dataclass(frozen=True)
class Style:
    """How the text format looks: colour, and which fixes the marker counts (``--unsafe-fixes``)."""

    color: bool = False
    unsafe_fixes: bool = False


FIXABLE_MARKER = "[*]"  # as ruff: the finding is fixed by --fix (with the run's --unsafe-fixes)
_BOLD, _RED, _CYAN, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[0m"


def use_color(stream: TextIO) -> bool:
    """Colour on a terminal only; ``NO_COLOR`` turns it off, ``FORCE_COLOR`` on (NO_COLOR wins, as in CPython)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def doc_url(code: str) -> str:
    """The rule's page where it is installed, as a file URI: it works from a wheel, a checkout or an editable install."""
    from importlib import resources

    page = resources.files("np_torch_lint").joinpath("docs").joinpath(f"{code}.md")
    return Path(str(page)).resolve().as_uri()


def write(found: Found, fmt: str, out: TextIO, sources: Optional[Dict[str, List[str]]] = None,
          failures: Failures = (), style: Style = Style(), show_source: bool = False,
          cells: Optional[Cells] = None) -> None:
    cells = cells or {}
    if fmt == "text":
        for path, report in found:
            print(_text_line(_where(path, report, cells), report, style), file=out)
            lines = (sources or {}).get(path)
            if show_source and lines and 0 < report.line <= len(lines):
                # On a terminal: the source line and a caret under the reported node, as compilers do.
                line = lines[report.line - 1].rstrip("\r\n")
                column = len(line.encode("utf-8")[:report.col].decode("utf-8", "ignore"))
                width = max(1, (report.end_col - report.col) if report.end_line == report.line else len(line) - column)
                print(f"    {line}\n    {' ' * column}{'^' * min(width, max(1, len(line) - column))}", file=out)
    elif fmt == "json":
        entries = [_as_json(path, report, (sources or {}).get(path, []), style, cells.get(path)) for path, report in found]
        entries.extend(_failure_as_json(path, why) for path, why in failures)
        json.dump(entries, out, indent=2)
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
        for path, why in failures:
            print(f"::error file={_escape_property(path)},title=np-torch-lint::{_escape_data(why)}", file=out)
    elif fmt == "sarif":
        json.dump(sarif(found, sources, failures, cells), out, indent=2)
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


def _text_line(where: str, report: Report, style: Style) -> str:
    """``where`` is 'path:12:5' (or 'nb.ipynb:cell 3:4:9'), from ``_where``."""
    marker = f" {FIXABLE_MARKER}" if fixes.fixable(report, style.unsafe_fixes) else ""
    if not style.color:
        return f"{where}: {report.code}{marker} {report.message}"
    path, _, position = where.partition(":")
    return (f"{_BOLD}{path}{_RESET}:{position}: {_BOLD}{_RED}{report.code}{_RESET}"
            f"{_CYAN}{marker}{_RESET} {report.message}")


def summary(found: Found, failures: Failures, unsafe_fixes: bool) -> Optional[str]:
    """'3 findings, 1 fixable with --fix, 1 more with --unsafe-fixes.' (None when there is nothing to say)."""
    if not found and not failures:
        return None
    count = len(found)
    parts = [f"{count} finding{'' if count == 1 else 's'}"]
    fixable = sum(1 for _, report in found if fixes.fixable(report, unsafe_fixes))
    more = sum(1 for _, report in found if report.fix is not None and not fixes.fixable(report, unsafe_fixes))
    if fixable:
        parts.append(f"{fixable} fixable with --fix" + (" --unsafe-fixes" if unsafe_fixes else ""))
    if more:
        parts.append(f"{more} more with --unsafe-fixes")
    if failures:
        parts.append(f"{len(failures)} file{'' if len(failures) == 1 else 's'} not linted")
    return ", ".join(parts) + "."


def statistics(found: Found, fmt: str, out: TextIO, unsafe_fixes: bool) -> None:
    """One row per code: how many findings, whether --fix fixes them, the rule's name (text or json)."""
    from .rules import RULES_BY_CODE

    counts: Dict[str, List[Report]] = {}
    for _, report in found:
        counts.setdefault(report.code, []).append(report)
    rows = [{"code": code, "name": RULES_BY_CODE[code].name, "count": len(reports),
             "fixable": sum(1 for r in reports if fixes.fixable(r, unsafe_fixes))}
            for code, reports in sorted(counts.items(), key=lambda item: (-len(item[1]), item[0]))]
    if fmt == "json":
        json.dump(rows, out, indent=2)
        out.write("\n")
        return
    for row in rows:
        marker = FIXABLE_MARKER if row["fixable"] else "[ ]"
        print(f"{row['count']:>5}  {row['code']}  {marker} {row['name']}", file=out)


def _as_json(path: str, report: Report, lines: List[str], style: Style,
             cells: Optional[Sequence[CodeCell]] = None) -> Dict[str, object]:
    from .edits import fix_as_json
    from .rules import RULES_BY_CODE  # late, as in the engine: a cached run may never load the rules

    rule = RULES_BY_CODE[report.code]
    placed = _in_notebook(report, cells)
    line, end_line = (report.line, report.end_line) if placed is None else (placed[0].line, placed[1].line)
    cell: Dict[str, object] = {} if placed is None else {
        "cell": placed[0].cell.number, "cell_index": placed[0].cell.position, "cell_id": placed[0].cell.id}
    return {
        "path": path, "code": report.code, "name": rule.name, "message": report.message, **cell,
        "line": line, "column": report.col + 1, "end_line": end_line, "end_column": report.end_col + 1,
        "url": doc_url(report.code),
        "fix": _in_cell(fix_as_json(report, lines, style.unsafe_fixes), cells, placed),
    }


def _in_cell(fix: Optional[Dict[str, object]], cells: Optional[Sequence[CodeCell]],
             placed: Optional[Tuple[Place, Place]]) -> Optional[Dict[str, object]]:
    """A notebook finding's edits in the lines of its cell (as its ``line``); an edit that would
    reach into another cell is not offered (``--fix`` does not apply it either)."""
    if fix is None or cells is None or placed is None:
        return fix
    moved = []
    edits = fix.get("edits")
    for edit in edits if isinstance(edits, list) else []:
        start, end = locate(cells, edit["location"]["row"]), locate(cells, edit["end_location"]["row"])
        if start.cell is not placed[0].cell or end.cell is not placed[0].cell:
            return {**fix, "applies": False, "edits": []}
        moved.append({**edit, "location": {**edit["location"], "row": start.line},
                      "end_location": {**edit["end_location"], "row": end.line}})
    return {**fix, "edits": moved}


def _failure_as_json(path: str, why: str) -> Dict[str, object]:
    """A file that could not be linted: an entry of its own, ``code`` null (as ruff shows a file it cannot parse)."""
    return {"path": path, "code": None, "name": None, "message": why, "line": None, "column": None,
            "end_line": None, "end_column": None, "url": None, "fix": None}


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


def sarif(found: Found, sources: Optional[Dict[str, List[str]]] = None, failures: Failures = (),
          cells: Optional[Cells] = None) -> Dict[str, object]:
    """A SARIF 2.1.0 log with one run: every rule with its help text, every finding with its region,
    and an invocation whose notifications name the files that could not be linted."""
    from importlib import resources

    from .rules import RULES_BY_CODE

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
            "invocations": [{
                "executionSuccessful": not failures,
                "toolExecutionNotifications": [{
                    "level": "error",
                    "message": {"text": why},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(path)}}}],
                } for path, why in failures],
            }],
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


__all__: Sequence[str] = ("FORMATS", "MACHINE_FORMATS", "Style", "doc_url", "statistics", "summary", "use_color", "write", "sarif")
