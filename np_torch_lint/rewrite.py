"""The LibCST side of the fixes: one parse, positions resolved once, the calls rewritten.

Imported by ``fixes.apply`` only when a file has something to fix. What each fix
means and how safe it is lives in ``fixes``; this module only writes the code.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst import ParserSyntaxError
from libcst.metadata import MetadataWrapper, PositionProvider

from .fixes import Position, fix_name

__all__ = ["apply", "ParserSyntaxError"]


def apply(text: str, targets: Dict[Position, Set[str]]) -> Tuple[str, List[Position]]:
    """The rewritten source and where each applied fix starts. Raises ParserSyntaxError."""
    wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    fixer = _Fixer(targets, wrapper.resolve(PositionProvider))
    return wrapper.module.visit(fixer).code, fixer.fixed


_CONVERSIONS = frozenset({"from_numpy", "as_tensor", "asarray", "tensor"})
_DTYPE_ARGUMENT = frozenset({"tensor", "as_tensor", "asarray"})  # take dtype=; from_numpy does not


class _Fixer(cst.CSTTransformer):
    def __init__(self, targets: Dict[Position, Set[str]], positions) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self._targets = targets
        self._positions = positions
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
        elif "stack-arrays" in fixes and name in ("tensor", "as_tensor") and plain and fixes["stack-arrays"].isidentifier():
            result = _stack_first(updated, name, fixes["stack-arrays"])
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
