"""Where a file freezes parameters (``requires_grad = False``), and how far that reaches.

Which parameters still need grad after a freeze is decided at run time, so a freeze makes
grad facts unknown. Most freezes are written in one of two places:

- a class's own method freezes the class's own parameters: ``for p in self.parameters():
  p.requires_grad_(False)`` in a frozen encoder's ``__init__``, ``self.backbone.requires_grad_(False)``,
  a ``freeze()`` method. Only instances of that class (and its subclasses) are concerned: the
  trained head beside a frozen backbone still needs grad;
- anywhere else (``model.requires_grad_(False)`` in a script, a ``freeze(model)`` helper): any
  parameter of the file may be the one frozen.

``freeze_scopes`` tells them apart from the tree. A keyword ``requires_grad=False`` given to a
tensor maker or ``nn.Parameter`` makes a tensor without grad and freezes nothing; given to any
other call it may (``set_trainable(model, requires_grad=False)``): anywhere.
"""
from __future__ import annotations

import ast
from typing import FrozenSet, List, Optional, Set, Tuple

from .nodes import walk

#: calls whose ``requires_grad=False`` makes a new tensor without grad (no existing parameter changes)
_MAKERS = frozenset({"Parameter", "tensor", "as_tensor", "zeros", "ones", "empty", "full", "rand", "randn",
                     "randint", "arange", "linspace", "zeros_like", "ones_like", "empty_like", "full_like",
                     "rand_like", "randn_like", "eye", "from_numpy"})
_SELF_NAMES = frozenset({"self", "cls"})


def freeze_scopes(tree: ast.Module) -> Tuple[bool, FrozenSet[str]]:
    """(some freeze may reach any parameter of the file; the classes whose methods freeze only their
    own parameters). Kept on the tree."""
    found = getattr(tree, "_ntl_freeze_scopes", None)
    if found is None:
        found = _scopes(tree)
        setattr(tree, "_ntl_freeze_scopes", found)
    return found


def _scopes(tree: ast.Module) -> Tuple[bool, FrozenSet[str]]:
    anywhere = False
    classes: Set[str] = set()
    in_classes: Set[int] = set()
    for stmt in tree.body:
        if not isinstance(stmt, ast.ClassDef):
            continue
        for method in stmt.body:
            if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            own = _own_parameter_names(method)
            for node in walk(method):
                in_classes.add(id(node))
                frozen = _frozen_object(node)
                if frozen is None:
                    continue
                if frozen is _ANYWHERE or not _rooted_at_self(frozen, own):
                    anywhere = True
                else:
                    classes.add(stmt.name)
    for node in walk(tree):
        if id(node) not in in_classes and _frozen_object(node) is not None:
            anywhere = True
    return anywhere, frozenset(classes)


#: a freeze whose object is not known (an unknown call given requires_grad=False)
_ANYWHERE = ast.Constant(value=None)


def _frozen_object(node: ast.AST) -> Optional[ast.expr]:
    """The object a freeze turns grad off on (``p`` of ``p.requires_grad = False``, ``m`` of
    ``m.requires_grad_(False)``), ``_ANYWHERE`` for a call given ``requires_grad=False`` that may
    freeze anything; None where the node freezes nothing."""
    if isinstance(node, ast.Assign) and _false(node.value):
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "requires_grad":
                return target.value
        return None
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "requires_grad_":
        flag = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "requires_grad"), None)
        return func.value if flag is not None and _false(flag) else None
    if any(k.arg == "requires_grad" and _false(k.value) for k in node.keywords):
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return None if name in _MAKERS else _ANYWHERE
    return None


def _false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _own_parameter_names(method: ast.AST) -> Set[str]:
    """Loop variables over the instance's own parameters: ``p`` of ``for p in self.parameters():``
    (``self.backbone.parameters()``, ``for name, p in self.named_parameters():`` too)."""
    names: Set[str] = set()
    for node in walk(method):
        if not isinstance(node, (ast.For, ast.AsyncFor)):
            continue
        source = node.iter
        if not (isinstance(source, ast.Call) and isinstance(source.func, ast.Attribute)
                and source.func.attr in ("parameters", "named_parameters")
                and _rooted_at_self(source.func.value, set())):
            continue
        targets: List[ast.expr] = list(node.target.elts) if isinstance(node.target, ast.Tuple) else [node.target]
        if isinstance(targets[-1], ast.Name):
            names.add(targets[-1].id)
    return names


def _rooted_at_self(node: ast.expr, own: Set[str]) -> bool:
    """``self``, ``self.backbone``, ``self.fc.weight``, or a loop variable over the instance's parameters."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and (node.id in _SELF_NAMES or node.id in own)
