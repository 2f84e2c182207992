"""Applying the fixes the findings carry to a file's text.

One LibCST parse per fixed file, and only when a file has something to fix: LibCST
costs more to import than a warm run, so ``transforms`` is imported here, late.
Every result is checked: the new code parses, and its ``ast`` equals the old one
everywhere except inside the calls that were fixed (``invariant``).
"""
from __future__ import annotations

import ast
import io
from typing import TYPE_CHECKING, Dict, Iterable, List, Sequence, Set, Tuple

from .invariant import Position, changed_outside
from .model import Fix, Safety, Span

if TYPE_CHECKING:
    from ..findings import Report


def fixable(report: "Report", unsafe: bool) -> bool:
    """The finding offers a fix, and its safety class is allowed."""
    return report.fix is not None and (unsafe or report.fix.safety is Safety.SAFE)


def apply(text: str, reports: Sequence["Report"], unsafe: bool = False) -> Tuple[str, int]:
    """The fixed source and how many fix targets were fixed. Never returns code that does not parse."""
    lines = io.StringIO(text, newline="").readlines()
    targets: Dict[Span, Set[Fix]] = {}
    for report in reports:
        if report.fix is not None and fixable(report, unsafe):
            targets.setdefault(_char_span(lines, report.fix.target), set()).add(report.fix)
    if not targets:
        return text, 0
    from . import transforms  # LibCST loads only when there is something to fix

    try:
        before = ast.parse(text)
        fixed, applied = transforms.apply(text, targets)
    except (transforms.ParserSyntaxError, SyntaxError, ValueError):
        return text, 0  # LibCST (or Python) cannot read this file: no fix rather than a guess
    try:
        after = ast.parse(fixed)
    except SyntaxError:  # pragma: no cover - a fixer bug must never reach the user's file
        return text, 0
    if changed_outside(before, after, _byte_positions(lines, applied)):  # pragma: no cover - same
        return text, 0
    return fixed, len(applied)


def _char_column(lines: List[str], line: int, byte_col: int) -> int:
    if 0 < line <= len(lines):
        return len(lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "ignore"))
    return byte_col


def _char_span(lines: List[str], span: Span) -> Span:
    """The span in characters, as LibCST counts columns."""
    return Span(span.line, _char_column(lines, span.line, span.col),
                span.end_line, _char_column(lines, span.end_line, span.end_col))


def _byte_positions(lines: List[str], positions: Iterable[Position]) -> Set[Position]:
    return {(line, len(lines[line - 1][:col].encode("utf-8")) if 0 < line <= len(lines) else col)
            for line, col in positions}
