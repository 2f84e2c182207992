"""Lists and dicts an object keeps to itself: what lets a method's append travel to the caller's
instance, and a cache dict's stored values reach its reads (``private_dicts``).

``collector.add(out)`` in a loop, then ``collector.summary()`` over ``self.outputs``: the list the
instance holds is the items its own method calls appended (FunctionWalks._receiver_after). That
holds only where nothing else can empty or replace the list behind the walk's back (items
removed make a finding about them false: `.numpy()` on a list that is empty by then). So an
instance starts with its empty list only where the list is private:

- in its class, ``self.<name>`` is only stored, grown (append/extend/insert), iterated, indexed,
  measured with ``len()`` or given to a NumPy/torch function (``np.stack(self.outputs)``): never
  bound to another name, returned, or passed to other code that could keep or clear it;
- in the file that builds the instance (and the class's own file), no ``<other>.<name>`` is
  written anywhere: ``collector.outputs.clear()`` or ``collector.outputs = []`` from outside.
"""
from __future__ import annotations

import ast
from typing import Callable, FrozenSet, Iterable, List, Set, Tuple

from .containers import GROWING_METHODS
from .nodes import walk

#: calls that read a list without keeping it (a copy, a count, a stacked array)
_READERS = frozenset({"len", "list", "tuple", "sorted", "sum", "min", "max", "enumerate", "zip"})
#: methods that read a dict without changing it or handing it out
_DICT_READERS = frozenset({"get", "items", "values", "keys"})
#: modules whose functions read a list argument into a new array or tensor
_ARRAY_MODULES = frozenset({"np", "numpy", "torch"})


def private_lists(node: ast.ClassDef) -> FrozenSet[str]:
    """The ``self.<name>`` the class only uses as a private list (see the module docstring). Kept on the node."""
    return _private(node, "_ntl_private_lists", _private_use)


def private_dicts(node: ast.ClassDef) -> FrozenSet[str]:
    """The ``self.<name>`` the class only uses as a private dict, a cache: bound to a dict display,
    items stored and read (``self.cache[k] = v``, ``self.cache[k]``, ``k in self.cache``,
    ``self.cache.get(k)``, its ``items()``/``values()``/``keys()``), never handed out. Every value it
    holds is one of its item stores. Kept on the node."""
    return _private(node, "_ntl_private_dicts", _private_dict_use)


def _private(node: ast.ClassDef, key: str, private_use: Callable[[ast.Attribute, object], bool]) -> FrozenSet[str]:
    known = getattr(node, key, None)
    if known is not None:
        return known
    used: Set[str] = set()
    exposed: Set[str] = set()
    for attribute, parent in _self_uses(node):
        used.add(attribute.attr)
        if not private_use(attribute, parent):
            exposed.add(attribute.attr)
    result = frozenset(used - exposed)
    setattr(node, key, result)
    return result


def _self_uses(node: ast.ClassDef) -> Tuple[Tuple[ast.Attribute, ast.AST], ...]:
    """Each ``self.<name>`` of the class with the node that holds it. Kept on the node: the private
    lists and the private dicts read the same uses."""
    known = getattr(node, "_ntl_self_uses", None)
    if known is None:
        found: List[Tuple[ast.Attribute, ast.AST]] = []
        for current in walk(node):
            for child in ast.iter_child_nodes(current):
                if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name) and child.value.id == "self":
                    found.append((child, current))
        known = tuple(found)
        setattr(node, "_ntl_self_uses", known)
    return known


def written_from_outside(tree: ast.AST) -> FrozenSet[str]:
    """The attribute names the file stores, deletes or calls a method on through a holder other
    than ``self`` (``collector.outputs = []``, ``collector.outputs.clear()``). Kept on the tree."""
    known = getattr(tree, "_ntl_written_from_outside", None)
    if known is not None:
        return known
    found: Set[str] = set()
    for current in walk(tree):
        target = None
        if isinstance(current, ast.Attribute) and not isinstance(current.ctx, ast.Load):
            target = current
        elif isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
            target = current.func.value if isinstance(current.func.value, ast.Attribute) else None
        elif isinstance(current, ast.Subscript) and not isinstance(current.ctx, ast.Load):
            target = current.value if isinstance(current.value, ast.Attribute) else None
        if target is not None and not (isinstance(target.value, ast.Name) and target.value.id == "self"):
            found.add(target.attr)
    result = frozenset(found)
    setattr(tree, "_ntl_written_from_outside", result)
    return result


def written_in(homes: Iterable[object]) -> FrozenSet[str]:
    """``written_from_outside`` of each interpreter's file among ``homes`` (the file that builds
    an instance, the class's own file), together."""
    names: Set[str] = set()
    for home in homes:
        tree = getattr(home, "module_tree", None)
        if tree is not None:
            names |= written_from_outside(tree)
    return frozenset(names)


def _private_dict_use(node: ast.Attribute, parent: object) -> bool:
    if not isinstance(node.ctx, ast.Load):
        return isinstance(parent, ast.Assign) and isinstance(parent.value, ast.Dict)  # `self.cache = {}`
    if isinstance(parent, ast.Subscript):
        return parent.value is node and not isinstance(parent.ctx, ast.Del)  # stored or read, not deleted
    if isinstance(parent, ast.Compare):
        return node in parent.comparators and all(isinstance(op, (ast.In, ast.NotIn)) for op in parent.ops)
    if isinstance(parent, ast.Attribute):
        return parent.attr in _DICT_READERS
    if isinstance(parent, (ast.For, ast.comprehension)):
        return parent.iter is node
    return isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Name) \
        and parent.func.id == "len"


def _private_use(node: ast.Attribute, parent: object) -> bool:
    if not isinstance(node.ctx, ast.Load):
        return isinstance(parent, (ast.Assign, ast.AnnAssign))  # `self.outputs = []` (not `del`, not `+=`)
    if isinstance(parent, ast.Attribute):  # self.outputs.append(x): a method of the list itself
        return parent.attr in GROWING_METHODS
    if isinstance(parent, ast.Subscript):
        return parent.value is node and isinstance(parent.ctx, ast.Load)
    if isinstance(parent, (ast.For, ast.comprehension)):
        return parent.iter is node
    if isinstance(parent, ast.Call) and node in parent.args:
        func = parent.func
        if isinstance(func, ast.Name):
            return func.id in _READERS
        while isinstance(func, ast.Attribute):
            func = func.value
        return isinstance(func, ast.Name) and func.id in _ARRAY_MODULES
    return False
