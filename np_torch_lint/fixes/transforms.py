"""The LibCST side of the fixes: one parse, positions resolved once, each target rewritten.

Imported by ``edit.apply`` only when a file has something to fix. Whether a fix
applies, and with which arguments, was decided by the rule (``model.Fix``); this
module finds the node at the fix's span and writes the edit, nothing more.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst import ParserSyntaxError
from libcst.metadata import MetadataWrapper, PositionProvider

from .invariant import Position
from .model import PRIORITY, Fix, FixKind, Span

__all__ = ["apply", "ParserSyntaxError"]


def apply(text: str, targets: Mapping[Span, Set[Fix]]) -> Tuple[str, List[Position]]:
    """The rewritten source and where each applied fix starts (character columns). Raises ParserSyntaxError."""
    wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    fixer = _Fixer(targets, wrapper.resolve(PositionProvider))
    return wrapper.module.visit(fixer).code, fixer.fixed


class _Fixer(cst.CSTTransformer):
    def __init__(self, targets: Mapping[Span, Set[Fix]], positions) -> None:
        super().__init__()
        self._targets = targets
        self._positions = positions
        self.fixed: List[Position] = []  # where each applied fix starts

    def _fixes_at(self, node: cst.CSTNode) -> List[Fix]:
        position = self._positions.get(node)
        if position is None:
            return []
        span = Span(position.start.line, position.start.column, position.end.line, position.end.column)
        return sorted(self._targets.get(span, ()), key=lambda fix: PRIORITY.index(fix.kind))

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = original.func
        if isinstance(func, cst.Attribute) and any(f.kind is FixKind.DETACH_CPU for f in self._fixes_at(func.attr)):
            self._record(func.attr)
            return updated.with_changes(func=updated.func.with_changes(value=_detach_cpu(updated.func.value)))  # type: ignore[attr-defined]
        for fix in self._fixes_at(original):
            transform = _TRANSFORMS.get(fix.kind)
            result = transform(updated, fix) if transform is not None else None
            if result is not None:
                self._record(original)
                return result
        return updated

    def _record(self, node: cst.CSTNode) -> None:
        start = self._positions[node].start
        self.fixed.append((start.line, start.column))


# -- the edits, one per kind --------------------------------------------------------------------

def _copy_argument(call: cst.Call, fix: Fix) -> Optional[cst.BaseExpression]:
    first = call.args[0]
    return call.with_changes(args=[first.with_changes(value=_method(first.value, "copy")), *call.args[1:]])


def _detach_clone(call: cst.Call, fix: Fix) -> Optional[cst.BaseExpression]:
    return _method(_method(call.args[0].value, "detach"), "clone")


def _map_location(call: cst.Call, fix: Fix) -> Optional[cst.BaseExpression]:
    value = cst.Name(fix.variable) if fix.variable else cst.SimpleString('"cpu"')
    return call.with_changes(args=_append_keyword(call.args, "map_location", value))


def _cast(call: cst.Call, fix: Fix) -> Optional[cst.BaseExpression]:
    """``torch.tensor(a)`` -> ``torch.tensor(a, dtype=torch.float32)``; ``torch.from_numpy(a)`` -> ``...(a).float()``."""
    if fix.cast_method is not None:
        return _method(call, fix.cast_method)
    if not isinstance(call.func, cst.Attribute) or fix.dtype is None:  # pragma: no cover - the rule checked
        return None
    dtype = cst.Attribute(value=call.func.value, attr=cst.Name(fix.dtype))  # the module the call is spelled with
    return call.with_changes(args=_append_keyword(call.args, "dtype", dtype))


def _stack_arrays(call: cst.Call, fix: Fix) -> Optional[cst.BaseExpression]:
    """``torch.tensor([a, b])`` -> ``torch.from_numpy(np.stack([a, b]))`` (or the list stacked, other arguments kept)."""
    first = call.args[0]
    stacked = cst.Call(func=cst.Attribute(value=cst.Name(fix.module or "numpy"), attr=cst.Name("stack")),
                       args=[first.with_changes(comma=cst.MaybeSentinel.DEFAULT)])
    if fix.replace_call and isinstance(call.func, cst.Attribute):
        # A fresh stacked array: from_numpy shares with nothing and skips torch.tensor's second copy.
        return call.with_changes(func=call.func.with_changes(attr=cst.Name("from_numpy")), args=[cst.Arg(value=stacked)])
    return call.with_changes(args=[first.with_changes(value=stacked), *call.args[1:]])


_TRANSFORMS: Dict[FixKind, Callable[[cst.Call, Fix], Optional[cst.BaseExpression]]] = {
    FixKind.COPY_ARGUMENT: _copy_argument,
    FixKind.DETACH_CLONE: _detach_clone,
    FixKind.MAP_LOCATION: _map_location,
    FixKind.FLOAT32: _cast,
    FixKind.FLOAT32_MODEL_INPUT: _cast,
    FixKind.STACK_ARRAYS: _stack_arrays,
}


# -- helpers -------------------------------------------------------------------------------------

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
