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

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .engine import Report


@dataclass(frozen=True)
class FixKind:
    codes: Tuple[str, ...]
    safe: bool
    does: str  # what the fix writes, for the docs and `rules`


FIXES: Dict[str, FixKind] = {
    "detach-cpu": FixKind(("NTL201", "NTL202"), True, "t.numpy() -> t.detach().cpu().numpy()"),
    "copy-argument": FixKind(("NTL403",), True, "torch.from_numpy(a[::-1]) -> torch.from_numpy(a[::-1].copy())"),
    "detach-clone": FixKind(("NTL502",), True, "torch.tensor(t) -> t.detach().clone()"),
    "stack-arrays": FixKind(("NTL501",), True, "torch.tensor([a, b]) -> torch.from_numpy(np.stack([a, b]))"),
    # Inline into a float32 model: the float64 call raised, so nothing that worked changes.
    "float32-model-input": FixKind(("NTL101",), True, "model(torch.tensor(a)) -> model(torch.tensor(a, dtype=torch.float32))"),
    # Into a loss or an op: float64 math that ran becomes float32 math (other numbers).
    "float32": FixKind(("NTL101",), False, "loss(p, torch.tensor(a)) -> loss(p, torch.tensor(a, dtype=torch.float32))"),
    "map-location": FixKind(("NTL302",), False, 'torch.load(f) -> torch.load(f, map_location="cpu") (or the file\'s device variable)'),
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
    try:
        module = cst.parse_module(text)
        before = ast.parse(text)
    except (cst.ParserSyntaxError, SyntaxError, ValueError):
        return text, 0  # LibCST (or Python) cannot read this file: no fix rather than a guess
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    fixer = _Fixer(targets, wrapper.resolve(PositionProvider), _numpy_name(wrapper.module))
    fixed = wrapper.module.visit(fixer).code
    try:
        after = ast.parse(fixed)
    except SyntaxError:  # pragma: no cover - a fixer bug must never reach the user's file
        return text, 0
    if changed_outside(before, after, _byte_positions(lines, fixer.fixed)):  # pragma: no cover - same
        return text, 0
    return fixed, len(fixer.fixed)


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


# -- the fixer -------------------------------------------------------------------------------

_CONVERSIONS = frozenset({"from_numpy", "as_tensor", "asarray", "tensor"})
_DTYPE_ARGUMENT = frozenset({"tensor", "as_tensor", "asarray"})  # take dtype=; from_numpy does not


class _Fixer(cst.CSTTransformer):
    def __init__(self, targets: Dict[Position, Set[str]], positions, numpy_name: Optional[str]) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self._targets = targets
        self._positions = positions
        self._numpy = numpy_name
        self.fixed: List[Position] = []  # where each applied fix starts

    def _fixes_at(self, node: cst.CSTNode) -> Tuple[Optional[Position], Dict[str, str]]:
        position = self._positions.get(node)
        if position is None:
            return None, {}
        start = (position.start.line, position.start.column)
        return start, {fix_name(f): f.partition(":")[2] for f in self._targets.get(start, ())}

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = original.func
        if isinstance(func, cst.Attribute) and func.attr.value == "numpy":
            start, fixes = self._fixes_at(func.attr)
            if "detach-cpu" in fixes and start is not None:
                self.fixed.append(start)
                return updated.with_changes(func=updated.func.with_changes(value=_detach_cpu(updated.func.value)))  # type: ignore[attr-defined]
        start, fixes = self._fixes_at(original)
        if not fixes or start is None:
            return updated
        name = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
        plain = bool(updated.args) and not any(a.star for a in updated.args)
        result: Optional[cst.BaseExpression] = None
        if "copy-argument" in fixes and name in _CONVERSIONS and plain:
            first = updated.args[0]
            result = updated.with_changes(args=[first.with_changes(value=_method(first.value, "copy")), *updated.args[1:]])
        elif "detach-clone" in fixes and name == "tensor" and len(updated.args) == 1 and plain and updated.args[0].keyword is None:
            result = _method(_method(updated.args[0].value, "detach"), "clone")
        elif "map-location" in fixes and name == "load" and plain:
            location = fixes["map-location"]
            value = cst.Name(location) if location.isidentifier() else cst.SimpleString('"cpu"')
            result = updated.with_changes(args=_append_keyword(updated.args, "map_location", value))
        elif ("float32" in fixes or "float32-model-input" in fixes) and name in _CONVERSIONS and plain:
            result = _to_float32(updated, name)
        elif "stack-arrays" in fixes and name in ("tensor", "as_tensor") and plain and self._numpy is not None:
            result = _stack_first(updated, name, self._numpy)
        if result is None:
            return updated
        self.fixed.append(start)
        return result


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(keyword=cst.Name(name), value=value,
                   equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))


def _append_keyword(args: Sequence[cst.Arg], name: str, value: cst.BaseExpression) -> List[cst.Arg]:
    """``f(a)`` -> ``f(a, name=value)``; a trailing comma stays trailing, line breaks between arguments are kept."""
    last = args[-1]
    new = _keyword(name, value)
    if not isinstance(last.comma, cst.Comma):
        return [*args[:-1], last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), new]
    between = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else None
    separator = between.whitespace_after if between is not None else cst.SimpleWhitespace(" ")
    return [*args[:-1], last.with_changes(comma=last.comma.with_changes(whitespace_after=separator)),
            new.with_changes(comma=last.comma)]


def _to_float32(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    """``torch.tensor(a)`` -> ``torch.tensor(a, dtype=torch.float32)``; ``torch.from_numpy(a)`` -> ``...(a).float()``."""
    if name == "from_numpy":
        return _method(call, "float")
    if any(a.keyword is not None and a.keyword.value == "dtype" for a in call.args) or len(call.args) > 1:
        return None  # a dtype (keyword or positional) is already given: the user chose it
    if not isinstance(call.func, cst.Attribute):
        return None  # `from torch import tensor`: no module name to spell torch.float32 with
    dtype = cst.Attribute(value=call.func.value, attr=cst.Name("float32"))
    return call.with_changes(args=_append_keyword(call.args, "dtype", dtype))


def _stack_first(call: cst.Call, name: str, numpy: str) -> Optional[cst.BaseExpression]:
    """``torch.tensor([a, b])`` -> ``torch.from_numpy(np.stack([a, b]))`` (keeping any other arguments)."""
    first = call.args[0]
    if first.keyword is not None:
        return None
    stacked = cst.Call(func=cst.Attribute(value=cst.Name(numpy), attr=cst.Name("stack")), args=[first.with_changes(comma=cst.MaybeSentinel.DEFAULT)])
    if len(call.args) == 1 and isinstance(call.func, cst.Attribute):
        # A fresh stacked array: from_numpy shares with nothing and skips torch.tensor's second copy.
        return call.with_changes(func=call.func.with_changes(attr=cst.Name("from_numpy")), args=[cst.Arg(value=stacked)])
    return call.with_changes(args=[first.with_changes(value=stacked), *call.args[1:]])


def _numpy_name(module: cst.Module) -> Optional[str]:
    """The name a module-level ``import numpy [as np]`` binds, if any."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if isinstance(alias.name, cst.Name) and alias.name.value == "numpy":
                        if alias.asname is None:
                            return "numpy"
                        if isinstance(alias.asname.name, cst.Name):
                            return alias.asname.name.value
    return None


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
