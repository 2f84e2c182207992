"""A finding's fix as text edits (range and replacement), for JSON: what editors and bots apply.

Each edit is computed from the fix the finding carries, by the same LibCST transform
``--fix`` runs (``fixes.apply``, checked the same way), applied to this one finding
alone, then reduced to the span that changed: an insertion where the fix only inserts
(``.copy()``, ``, map_location="cpu"``), else the whole target the fix rewrites
(``torch.tensor(t)`` -> ``t.detach().clone()``). Ranges are 1-based lines and
columns, end exclusive, in the finding's own units: UTF-8 bytes, as flake8 counts.
Like ruff's ``fix.edits``, each finding's edits stand alone against the file as it is.
"""
from __future__ import annotations

import bisect
from typing import Dict, List, Optional, Sequence, Tuple

from . import fixes
from .findings import Report
from .fixes.model import Span

Edit = Dict[str, object]


def fix_as_json(report: Report, lines: Sequence[str], unsafe_enabled: bool) -> Optional[Dict[str, object]]:
    """The ``fix`` object of a JSON finding: name, safety, applicability and edits (None: no fix offered)."""
    fix = report.fix
    if fix is None:
        return None
    return {
        "name": fix.name,
        "safety": fix.safety.value,
        # ruff's word: "safe" applies with --fix, "unsafe" needs --unsafe-fixes as well.
        "applicability": fix.safety.value,
        "applies": fixes.fixable(report, unsafe_enabled),
        "edits": edits_of(report, lines),
    }


def edits_of(report: Report, lines: Sequence[str]) -> List[Edit]:
    """The edits of one finding's fix; [] when the fix cannot be applied to this text (nothing is guessed)."""
    if report.fix is None or not lines:
        return []
    text = "".join(lines)
    fixed, count = fixes.apply(text, [report], unsafe=True)
    if count == 0 or fixed == text:
        return []
    start, old_end, new_end = _changed(text, fixed)
    if old_end > start:  # not a pure insertion: replace the whole node the fix rewrites
        target_start, target_end = _offsets(lines, report.fix.target)
        if target_start <= start and old_end <= target_end:
            new_end += target_end - old_end
            start, old_end = target_start, target_end
    replacement = fixed[start:new_end]
    return [{
        "content": replacement,
        "location": _position(lines, start),
        "end_location": _position(lines, old_end),
    }]


def _changed(old: str, new: str) -> Tuple[int, int, int]:
    """The smallest differing region: its start, and its end in ``old`` and in ``new``."""
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    suffix = 0
    while suffix < limit - start and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return start, len(old) - suffix, len(new) - suffix


def _line_starts(lines: Sequence[str]) -> List[int]:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def _offsets(lines: Sequence[str], span: Span) -> Tuple[int, int]:
    """A span (UTF-8 byte columns) as character offsets into the joined text."""
    starts = _line_starts(lines)

    def offset(line: int, byte_col: int) -> int:
        if not 0 < line <= len(lines):
            return starts[-1]
        return starts[line - 1] + len(lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "ignore"))

    return offset(span.line, span.col), offset(span.end_line, span.end_col)


def _position(lines: Sequence[str], offset: int) -> Dict[str, int]:
    """A character offset as {"row", "column"}: 1-based, the column in UTF-8 bytes."""
    starts = _line_starts(lines)
    row = min(bisect.bisect_right(starts, offset) - 1, len(lines) - 1)
    column = len(lines[row][:offset - starts[row]].encode("utf-8"))
    return {"row": row + 1, "column": column + 1}


__all__: Sequence[str] = ("fix_as_json", "edits_of")
