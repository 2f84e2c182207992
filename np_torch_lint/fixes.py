"""Automatic fixes, made with LibCST so that formatting and comments are kept.

One LibCST parse per fixed file, positions resolved once. Each fix has a safety
class, as in ruff: safe fixes keep what the code means wherever it already
worked and apply with ``--fix``; unsafe ones may change behaviour and need
``--unsafe-fixes`` as well. A finding names its fix (``Report.fix``), with an
argument after a colon where the fix needs one (``map-location:device``).

Every fix is checked before it is returned: the new code parses, and its
``ast`` equals the old one everywhere except inside the calls that were fixed.
"""
from __future__ import annotations

import ast
import io
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .findings import Report


@dataclass(frozen=True)
class FixKind:
    codes: Tuple[str, ...]
    safe: bool


FIXES: Dict[str, FixKind] = {
    "detach-cpu": FixKind(("NTL201", "NTL202"), True),  # t.numpy() -> t.detach().cpu().numpy()
    "copy-argument": FixKind(("NTL403",), True),  # torch.from_numpy(a[::-1]) -> torch.from_numpy(a[::-1].copy())
    "detach-clone": FixKind(("NTL502",), True),  # torch.tensor(t) -> t.detach().clone()
    "stack-arrays": FixKind(("NTL501",), True),  # torch.tensor([a, b]) -> torch.from_numpy(np.stack([a, b]))
    # model(torch.tensor(a)) -> model(torch.tensor(a, dtype=torch.float32)): the float64 call raised,
    # so nothing that worked changes.
    "float32-model-input": FixKind(("NTL101",), True),
    # loss(p, torch.tensor(a)) -> ...(a, dtype=torch.float32): float64 math that ran becomes float32 math.
    "float32": FixKind(("NTL101",), False),
    "map-location": FixKind(("NTL302",), False),  # torch.load(f) -> torch.load(f, map_location="cpu" or device)
}

Position = Tuple[int, int]  # 1-based line, 0-based character column


def fix_name(fix: str) -> str:
    return fix.partition(":")[0]


def is_safe(fix: str) -> bool:
    return FIXES[fix_name(fix)].safe


def safety_of_rule(code: str) -> Optional[str]:
    """'safe', 'unsafe', 'safe/unsafe' (it depends on the site) or None: for `rules` and the docs."""
    kinds = {kind.safe for kind in FIXES.values() if code in kind.codes}
    if not kinds:
        return None
    return "safe/unsafe" if len(kinds) == 2 else ("safe" if True in kinds else "unsafe")


def fixable(report: Report, unsafe: bool) -> bool:
    """The finding offers a fix, and its safety class is allowed."""
    return report.fix is not None and fix_name(report.fix) in FIXES and (unsafe or is_safe(report.fix))


def apply(text: str, reports: Sequence[Report], unsafe: bool = False) -> Tuple[str, int]:
    """The fixed source and how many findings were fixed. Never returns code that does not parse."""
    lines = io.StringIO(text, newline="").readlines()
    targets: Dict[Position, Set[str]] = {}
    for report in reports:
        if fixable(report, unsafe):
            targets.setdefault((report.line, _char_column(lines, report.line, report.col)), set()).add(report.fix or "")
    if not targets:
        return text, 0
    from . import rewrite  # LibCST loads only when there is something to fix: it costs more than a warm run

    try:
        before = ast.parse(text)
        fixed, applied = rewrite.apply(text, targets)
    except (rewrite.ParserSyntaxError, SyntaxError, ValueError):
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


def _byte_positions(lines: List[str], positions: Iterable[Position]) -> Set[Position]:
    return {(line, len(lines[line - 1][:col].encode("utf-8")) if 0 < line <= len(lines) else col)
            for line, col in positions}


# -- the invariant: nothing changes outside the fixed calls ------------------------------------

def changed_outside(before: ast.AST, after: ast.AST, fixed: Set[Position]) -> List[ast.AST]:
    """Nodes of ``before`` that differ in ``after`` but lie outside every fixed call.

    ``fixed`` holds the (line, byte column) where each fix applied: the fixed node
    is the smallest call that starts there or whose method name starts there.
    Positions themselves may move (a fix makes a line longer); only structure and
    values are compared.
    """
    regions = _fixed_calls(before, fixed)
    changed: List[ast.AST] = []
    _compare(before, after, regions, changed)
    return changed


def _fixed_calls(tree: ast.AST, fixed: Set[Position]) -> Set[int]:
    best: Dict[Position, Tuple[int, ast.AST]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        starts = {(node.lineno, node.col_offset)}
        if isinstance(node.func, ast.Attribute) and node.func.end_lineno is not None and node.func.end_col_offset is not None:
            starts.add((node.func.end_lineno, node.func.end_col_offset - len(node.func.attr.encode("utf-8"))))
        size = (node.end_lineno or 0, node.end_col_offset or 0)
        for start in starts & fixed:
            span = (size[0] - start[0]) * 10_000 + size[1] - start[1]
            if start not in best or span < best[start][0]:
                best[start] = (span, node)
    return {id(node) for _, node in best.values()}


def _compare(old: object, new: object, regions: Set[int], changed: List[ast.AST]) -> None:
    if isinstance(old, ast.AST) and id(old) in regions:
        return
    if type(old) is not type(new):
        changed.append(old if isinstance(old, ast.AST) else ast.Constant(value=old))
        return
    if isinstance(old, ast.AST):
        for name in old._fields:
            _compare(getattr(old, name, None), getattr(new, name, None), regions, changed)
    elif isinstance(old, list):
        if len(old) != len(new):  # type: ignore[arg-type]
            changed.append(ast.List(elts=old))
            return
        for a, b in zip(old, new):  # type: ignore[call-overload]
            _compare(a, b, regions, changed)
    elif old != new:
        changed.append(ast.Constant(value=old))


