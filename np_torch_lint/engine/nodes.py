"""``walk``: ``ast.walk`` without its layers of generators.

``ast.walk`` yields each node through ``iter_child_nodes`` and ``iter_fields``, two generators
per node; on real PyTorch code the engine's whole-tree and whole-class walks spent a fifth of
its time there. This walk visits the same nodes in the same (breadth-first) order, so every
caller that keeps the first or the last match sees what it saw with ``ast.walk``.

The same subtrees are walked again and again (a rule's scan of the module, a class or function
read as a definition and again where it is called, a caller's file walked for each module it
imports): about half of all visits on real code were repeats. The nodes below a root are kept,
keyed weakly by the root (a tree has no pointers to its parents, so the kept nodes never keep
their root alive), and a repeated walk is a walk over a tuple. The analysis never changes a tree.
"""
from __future__ import annotations

import ast
import itertools
import weakref
from collections import deque
from typing import Deque, Iterator, Set, Tuple

_AST = ast.AST


def parameter_names(arguments: ast.arguments) -> Set[str]:
    """The names a function's parameters bind, by position or keyword (not ``*args``/``**kwargs``)."""
    return {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}


#: root -> every node below it, in walk order (the root itself is the key, not kept).
_BELOW: "weakref.WeakKeyDictionary[ast.AST, Tuple[ast.AST, ...]]" = weakref.WeakKeyDictionary()


def walk(root: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``root`` (itself included), in ``ast.walk``'s order."""
    below = _BELOW.get(root)
    if below is None:
        below = _BELOW[root] = tuple(_below(root))
    return itertools.chain((root,), below)


def _below(root: ast.AST) -> Iterator[ast.AST]:
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
        if node is not root:
            yield node
