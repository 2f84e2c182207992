"""``walk``: ``ast.walk`` without its layers of generators.

``ast.walk`` yields each node through ``iter_child_nodes`` and ``iter_fields``, two generators
per node; on real PyTorch code the engine's whole-tree and whole-class walks spent a fifth of
its time there. This walk visits the same nodes in the same (breadth-first) order, so every
caller that keeps the first or the last match sees what it saw with ``ast.walk``.
"""
from __future__ import annotations

import ast
from collections import deque
from typing import Deque, Iterator, Set

_AST = ast.AST


def parameter_names(arguments: ast.arguments) -> Set[str]:
    """The names a function's parameters bind, by position or keyword (not ``*args``/``**kwargs``)."""
    return {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}


def walk(root: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``root`` (itself included), in ``ast.walk``'s order."""
    todo: Deque[ast.AST] = deque([root])
    take, put = todo.popleft, todo.append
    while todo:
        node = take()
        for name in node._fields:
            try:
                value = getattr(node, name)
            except AttributeError:  # a field left unset on a hand-made node
                continue
            if isinstance(value, _AST):
                put(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, _AST):
                        put(item)
        yield node
