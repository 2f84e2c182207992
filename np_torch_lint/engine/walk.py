"""A fast walk over LibCST nodes.

``CSTNode.children`` runs a visitor over every field and costs more than the
interpreter itself; reading the node's fields directly is an order of magnitude
cheaper. Whitespace and punctuation nodes are skipped: no rule looks at them.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, Iterator, Tuple, Type

import libcst as cst

_SKIP = (cst.BaseParenthesizableWhitespace, cst.Comment, cst.EmptyLine, cst.Newline,
         cst.TrailingWhitespace, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket,
         cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Comma, cst.Dot,
         cst.Colon, cst.AssignEqual, cst.Semicolon, cst.ImportStar)


_FIELDS: Dict[Type[cst.CSTNode], Tuple[str, ...]] = {}


def _fields(kind: Type[cst.CSTNode]) -> Tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind) if "whitespace" not in f.name)
    return names


def child_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for name in _fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            if not isinstance(value, _SKIP):
                yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode) and not isinstance(item, _SKIP):
                    yield item


def descendants(node: cst.CSTNode, into_functions: bool = True) -> Iterator[cst.CSTNode]:
    """Every node below ``node`` (not ``node`` itself), depth-first."""
    stack = list(child_nodes(node))
    while stack:
        current = stack.pop()
        yield current
        if not into_functions and isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(child_nodes(current))
