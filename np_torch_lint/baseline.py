"""``--add-noqa``: silence every current finding with a ``# noqa: CODE`` comment, to baseline a codebase.

The comment goes where flake8 looks for it (``suppress.token_runs``): at the end of
the finding's line, or, for a line inside a multi-line string or a backslash
continuation, at the end of the last line of that run (a comment inside a string
would be text, and none may follow a backslash). A line that already has a
``# noqa: CODES`` gets the new codes appended to that list; a bare ``# noqa``
already silences everything. Every result is checked before it is written: it
parses, its syntax tree equals the old one (only comments changed), and the
findings it was meant to silence are silenced; an edit that fails the check is
not made and its findings are reported as before. A second run changes nothing.
"""
from __future__ import annotations

import ast
import re
from typing import Dict, List, Optional, Sequence, Set, Tuple

from .files import decode, split_lines
from .findings import Report
from .suppress import NOQA, NoqaLines, token_runs
from .writes import write_text

_ENDING = re.compile(r"(\r\n|\r|\n)?\Z")


def add_noqa(path: str, reports: Sequence[Report]) -> Tuple[int, List[Report]]:
    """Write ``# noqa`` comments for ``reports`` into the file: how many lines changed, and the reports left."""
    with open(path, "rb") as handle:
        raw = handle.read()
    _, lines = decode(raw)
    new_lines, changed, left = with_noqa(lines, reports)
    if not changed:
        return 0, left
    if not write_text(path, raw, "".join(new_lines)):
        return 0, list(reports)
    return changed, left


def with_noqa(lines: List[str], reports: Sequence[Report]) -> Tuple[List[str], int, List[Report]]:
    """The lines with the comments added, how many lines changed, and the reports that stay unsilenced."""
    runs = token_runs(lines)
    wanted: Dict[int, Set[str]] = {}  # the line a comment goes on -> the codes it must list
    for report in reports:
        last = runs.get(report.line, (report.line, report.line))[1]
        if 0 < last <= len(lines):
            wanted.setdefault(last, set()).add(report.code)
    try:
        before = ast.dump(ast.parse("".join(lines)))
    except SyntaxError:
        return lines, 0, list(reports)
    edited = list(lines)
    changed = 0
    for number, codes in sorted(wanted.items()):
        first = runs.get(number, (number, number))[0]
        candidate = _commented(edited, first, number, sorted(codes))
        if candidate is not None and _same_program(candidate, before):
            edited = candidate
            changed += 1
    noqa = NoqaLines(edited)
    left = [r for r in reports if not noqa.silences(r.code, r.line)]
    return edited, changed, left


def _commented(lines: List[str], first: int, last: int, codes: List[str]) -> Optional[List[str]]:
    """The lines with ``codes`` listed in the run's ``# noqa`` (extended, or a new comment on ``last``)."""
    joined = "".join(lines[first - 1:last])
    match = NOQA.search(joined)
    result = list(lines)
    if match is None:
        line = lines[last - 1]
        ending = _ENDING.search(line)
        body = line[:ending.start()] if ending else line
        result[last - 1] = f"{body}  # noqa: {', '.join(codes)}{ending.group(0) if ending else ''}"
        return result
    listed = match.group("codes")
    if listed is None:
        return None  # a bare `# noqa` silences every code already: nothing would change
    present = listed.rstrip(", \t\r\n\f\v")
    missing = [code for code in codes if not code.startswith(tuple(re.split(r"[,\s]+", present)))]
    if not missing:
        return None
    separator = "," if re.search(r",\S", present) else ", "
    at = match.start("codes") + len(present)
    new_joined = joined[:at] + separator + separator.join(missing) + joined[at:]
    replaced = split_lines(new_joined)
    if len(replaced) != last - first + 1:  # pragma: no cover - inserting codes adds no line
        return None
    result[first - 1:last] = replaced
    return result


def _same_program(lines: List[str], before: str) -> bool:
    """It parses and only comments changed (a ``# noqa`` found inside a string literal would change it)."""
    try:
        return ast.dump(ast.parse("".join(lines))) == before
    except SyntaxError:
        return False
