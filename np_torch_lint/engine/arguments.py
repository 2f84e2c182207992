"""A call's arguments as the evaluator reads them, and small readers of literal syntax."""
from __future__ import annotations

import ast
from typing import Callable, List, NamedTuple, Optional, Sequence

from . import api
from .values import UNKNOWN, Tri, Value


class Arg(NamedTuple):
    keyword: Optional[str]  # None for a positional argument
    value: Value
    node: ast.expr
    starred: bool  # *args or **kwargs


def bound_arguments(function: Value, args: Sequence[Arg], node: ast.expr) -> List[Arg]:
    """The arguments a call of a ``functools.partial`` of a function passes: the bound positional
    ones first, then the call's, then the bound keywords (a call's own keyword of the same name
    wins). The call's own arguments where ``function`` binds none."""
    if function.elements is None or function.keys is None:
        return list(args)
    given = {arg.keyword for arg in args if arg.keyword}
    positional = [Arg(None, value, node, False) for value, key in zip(function.elements, function.keys) if not key]
    keywords = [Arg(str(key), value, node, False) for value, key in zip(function.elements, function.keys)
                if key and key not in given]
    return positional + list(args) + keywords


def argument(args: Sequence[Arg], pos: Optional[int], keyword: str) -> Optional[Arg]:
    """The argument passed as ``keyword=`` or at position ``pos``; None if absent or unknowable."""
    for arg in args:
        if arg.keyword == keyword:
            return arg
    if pos is not None:
        positional = [a for a in args if a.keyword is None and not a.starred]
        if any(a.starred for a in args if a.keyword is None):
            return None  # *args: positions unknown
        if pos < len(positional):
            return positional[pos]
    return None


def positional(args: Sequence[Arg]) -> List[Value]:
    return [a.value for a in args if a.keyword is None and not a.starred]


def first(args: Sequence[Arg]) -> Value:
    values = positional(args)
    return values[0] if values else UNKNOWN


def literal_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def literal_false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def literal_bool_arg(args: Sequence[Arg]) -> Optional[bool]:
    for arg in args:
        if isinstance(arg.node, ast.Constant) and isinstance(arg.node.value, bool):
            return arg.node.value
    return None


def negative_literal(node: Optional[ast.expr]) -> bool:
    return (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int))


def callee_text(node: ast.Call) -> str:
    """The callee as written: ``io.BytesIO``, ``np.asarray``."""
    parts: List[str] = []
    current: ast.expr = node.func
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if isinstance(current, ast.Name):
        parts.append(current.id)
    return ".".join(reversed(parts))


def grad_mode_of(qualname: Optional[str], call: Optional[ast.Call],
                 decide: Optional[Callable[[ast.expr], Optional[bool]]] = None) -> Optional[Tri]:
    """The grad mode a grad switch (a GRAD_MODES row) sets: YES, NO, or UNKNOWN when its
    argument is not a literal and ``decide`` (the walk's own knowledge of a test, such as
    ``phase == "train"`` in that phase's walk) does not tell; None when ``qualname`` is no switch.
    ``call`` is None for a bare decorator (``@torch.no_grad``)."""
    mode = api.GRAD_MODES.get(qualname or "")
    if mode is None:
        return None
    given: Optional[ast.expr] = None
    if call is not None:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return Tri.UNKNOWN
        given = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == mode.mode_keyword), None)
    if given is None:
        enabled = mode.enabled
    elif isinstance(given, ast.Constant) and isinstance(given.value, bool):
        enabled = given.value != mode.inverted
    else:
        truth = decide(given) if decide is not None else None
        if truth is None:
            return Tri.UNKNOWN
        enabled = truth != mode.inverted
    if enabled is None:
        return Tri.UNKNOWN
    return Tri.YES if enabled else Tri.NO
