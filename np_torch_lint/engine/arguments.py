"""A call's arguments as the evaluator reads them, and small readers of literal syntax."""
from __future__ import annotations

import ast
from typing import List, NamedTuple, Optional, Sequence

from .values import UNKNOWN, Value


class Arg(NamedTuple):
    keyword: Optional[str]  # None for a positional argument
    value: Value
    node: ast.expr
    starred: bool  # *args or **kwargs


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
