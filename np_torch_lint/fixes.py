"""Automatic fixes, made with LibCST so that formatting and comments are kept.

One LibCST parse per fixed file, positions resolved once. Each fix has a safety
class, as in ruff: safe fixes keep what the code means where it already worked
and apply with ``--fix``; unsafe ones may change behaviour and need
``--unsafe-fixes`` as well.

| code   | fix                                            | safety |
| ------ | ---------------------------------------------- | ------ |
| NTL201 | ``t.numpy()`` -> ``t.detach().cpu().numpy()``  | safe   |
| NTL202 | ``t.numpy()`` -> ``t.detach().cpu().numpy()``  | safe   |
| NTL403 | ``torch.from_numpy(a[::-1])`` -> ``...(a[::-1].copy())`` | safe |
| NTL502 | ``torch.tensor(t)`` -> ``t.detach().clone()``  | safe   |
| NTL302 | ``torch.load(f)`` -> ``torch.load(f, map_location="cpu")`` | unsafe: on a GPU host tensors now load on the CPU |
"""
from __future__ import annotations

import ast
import io
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .engine import Report

SAFE = frozenset({"NTL201", "NTL202", "NTL403", "NTL502"})
UNSAFE = frozenset({"NTL302"})
FIXABLE = SAFE | UNSAFE

Position = Tuple[int, int]  # 1-based line, 0-based character column


def fixable(report: Report, unsafe: bool) -> bool:
    """The finding offers a fix, and its safety class is allowed."""
    return report.fix is not None and (report.code in SAFE or (unsafe and report.code in UNSAFE))


def apply(text: str, reports: Sequence[Report], unsafe: bool = False) -> Tuple[str, int]:
    """The fixed source and how many findings were fixed. Never returns code that does not parse."""
    lines = io.StringIO(text, newline="").readlines()
    targets: Dict[Position, Set[str]] = {}
    for report in reports:
        if fixable(report, unsafe):
            targets.setdefault((report.line, _char_column(lines, report.line, report.col)), set()).add(report.fix or "")
    if not targets:
        return text, 0
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return text, 0  # LibCST cannot read this file: no fix rather than a guess
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    fixer = _Fixer(targets, wrapper.resolve(PositionProvider))
    fixed = wrapper.module.visit(fixer).code
    try:
        ast.parse(fixed)
    except SyntaxError:  # pragma: no cover - a fixer bug must never reach the user's file
        return text, 0
    return fixed, fixer.applied


def _char_column(lines: List[str], line: int, byte_col: int) -> int:
    if 0 < line <= len(lines):
        return len(lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "ignore"))
    return byte_col


class _Fixer(cst.CSTTransformer):
    def __init__(self, targets: Dict[Position, Set[str]], positions) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self._targets = targets
        self._positions = positions
        self.applied = 0

    def _codes_at(self, node: cst.CSTNode) -> Set[str]:
        position = self._positions.get(node)
        if position is None:
            return set()
        return self._targets.get((position.start.line, position.start.column), set())

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = original.func
        if isinstance(func, cst.Attribute) and func.attr.value == "numpy" and "detach-cpu" in self._codes_at(func.attr):
            self.applied += 1
            return updated.with_changes(func=updated.func.with_changes(value=_detach_cpu(updated.func.value)))  # type: ignore[attr-defined]
        codes = self._codes_at(original)
        name = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
        if "copy-argument" in codes and name in _CONVERSIONS and updated.args:
            self.applied += 1
            first = updated.args[0]
            return updated.with_changes(args=[first.with_changes(value=_method(first.value, "copy")), *updated.args[1:]])
        if "detach-clone" in codes and name == "tensor" and len(updated.args) == 1 and updated.args[0].keyword is None and not updated.args[0].star:
            self.applied += 1
            return _method(_method(updated.args[0].value, "detach"), "clone")
        if "map-location-cpu" in codes and name == "load" and updated.args and not any(a.star for a in updated.args):
            self.applied += 1
            last = updated.args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            location = cst.Arg(keyword=cst.Name("map_location"), value=cst.SimpleString('"cpu"'),
                               equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
            return updated.with_changes(args=[*updated.args[:-1], last, location])
        return updated


_CONVERSIONS = frozenset({"from_numpy", "as_tensor", "asarray", "tensor"})


def _parenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or node.lpar:
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _method(receiver: cst.BaseExpression, name: str) -> cst.Call:
    return cst.Call(func=cst.Attribute(value=_parenthesized(receiver), attr=cst.Name(name)))


def _is_call_of(node: cst.BaseExpression, name: str) -> Optional[cst.BaseExpression]:
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == name and not node.args:
        return node.func.value
    return None


def _detach_cpu(receiver: cst.BaseExpression) -> cst.BaseExpression:
    """``x`` -> ``x.detach().cpu()``, reusing a ``.detach()`` or ``.cpu()`` already there."""
    before_cpu = _is_call_of(receiver, "cpu")
    if before_cpu is not None:
        if _is_call_of(before_cpu, "detach") is not None:
            return receiver
        return _method(_method(before_cpu, "detach"), "cpu")
    if _is_call_of(receiver, "detach") is not None:
        return _method(receiver, "cpu")
    return _method(_method(receiver, "detach"), "cpu")
