"""Names a loop keeps for later: the "best weights" pattern of NTL402.

    for epoch in range(epochs):
        train_one_epoch(model, optimizer)        # optimizer.step(): the weights change in place
        if accuracy > best:
            best_state = model.state_dict()     # a view of the live weights, not a copy
    model.load_state_dict(best_state)           # loads the last weights, not the best

A name bound to a view of live storage in a loop is a snapshot only when the loop keeps it
for later: bound under a condition inside the loop (so it is meant to hold an earlier
iteration's state) and read after the loop. Bound on every iteration, it holds the last
iteration's state, which is what its reader gets anyway; read only inside the iteration that
bound it, it is used before the next update. The test is syntactic and kept per loop.
"""
from __future__ import annotations

import ast
from typing import Dict, FrozenSet, Iterator, Set, Tuple, Union
from .nodes import walk

Loop = Union[ast.For, ast.AsyncFor, ast.While]
#: scopes of their own: their names are not the loop's (a comprehension's ``k, v`` included)
_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                  ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def kept_for_later(loop: Loop, scope: ast.AST, cache: Dict[int, FrozenSet[str]]) -> FrozenSet[str]:
    """Names bound under an ``if`` inside ``loop`` and read in ``scope`` after the loop ends."""
    found = cache.get(id(loop))
    if found is None:
        conditional = _bound_under_if(loop)
        end = loop.end_lineno or loop.lineno
        read_after = {node.id for node in _same_scope_nodes(scope)
                      if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.lineno > end}
        found = cache[id(loop)] = frozenset(conditional & read_after)
    return found


def _bound_under_if(loop: Loop) -> Set[str]:
    names: Set[str] = set()
    stack: list[Tuple[ast.AST, bool]] = [(statement, False) for statement in loop.body]
    while stack:
        node, under_if = stack.pop()
        if isinstance(node, _NESTED_SCOPES):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and under_if:
            names.add(node.id)
        inside = under_if or isinstance(node, ast.If)
        stack.extend((child, inside) for child in ast.iter_child_nodes(node))
    return names


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _same_scope_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's or module's own code: nested functions and classes left out. A
    comprehension's reads of names other than its own targets are reads of this scope's
    (``{k: torch.from_numpy(v) for k, v in best.items()}`` reads ``best``)."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, _COMPREHENSIONS):
            own = {name.id for generator in node.generators for name in walk(generator.target)
                   if isinstance(name, ast.Name)}
            in_lambdas = {id(inner) for lam in walk(node) if isinstance(lam, ast.Lambda) for inner in walk(lam)}
            yield from (inner for inner in walk(node) if isinstance(inner, ast.Name) and inner.id not in own
                        and id(inner) not in in_lambdas)
            continue
        if isinstance(node, _NESTED_SCOPES):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))

