"""The invariant every fix is checked against: nothing changes outside the fixed calls.

``ast`` only: the new code parses, and its tree equals the old one everywhere
except inside the calls that were fixed.
"""
from __future__ import annotations

import ast
from typing import Dict, List, Set, Tuple

Position = Tuple[int, int]  # 1-based line, 0-based column


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
        changed.append(old if isinstance(old, ast.AST) else ast.Constant(value=old))  # type: ignore[arg-type]
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
        changed.append(ast.Constant(value=old))  # type: ignore[arg-type]
