"""What a function of the project writes in place through its parameters.

    def normalize(batch):
        batch -= batch.mean()       # writes the caller's array, not a copy

    t = torch.from_numpy(frames)
    normalize(frames)               # the write reaches t too (NTL401), as `frames -= ...` would

A call site treats a parameter the callee writes in place as an in-place write of the
argument's variable, so the aliasing rules see it where the caller wrote it. The summary is
syntactic and kept per function: a write through the parameter's name (an augmented
assignment, an item store, an in-place method, ``out=``) where the name is never rebound in
the function (after ``batch = batch.copy()`` the writes are the copy's: not counted).
"""
from __future__ import annotations

import ast
from typing import Callable, Dict, FrozenSet, Optional, Set, Tuple

from . import api
from .nodes import parameter_names, walk
from .scope import FunctionInfo
from .values import Kind, Value

#: how a parameter is written: an augmented assignment, an item store, ``out=``, or ``method:<name>``
WriteKinds = FrozenSet[str]


def written_parameters(info: FunctionInfo) -> Dict[str, WriteKinds]:
    """Parameter name -> how the function writes it in place (parameters never rebound only)."""
    if info.written_parameters is None:
        found = getattr(info.node, "_ntl_written", None)  # kept on the node: a module walked again reads it once
        if found is None:
            found = _scan(info.node)
            setattr(info.node, "_ntl_written", found)
        info.written_parameters = found
    return info.written_parameters


def writes_argument(kinds: WriteKinds, argument: Value) -> bool:
    """Whether those writes change an argument of this kind in place (``a.sort()`` writes an
    array, ``t.add_(1)`` a tensor; ``+=`` and item stores write both)."""
    if argument.kind is Kind.NDARRAY:
        return any(kind in ("augmented", "item", "out") or kind[7:] in api.NDARRAY_INPLACE for kind in kinds)
    if argument.kind is Kind.TENSOR:
        return any(kind in ("augmented", "item", "out") or _tensor_writing_method(kind[7:]) for kind in kinds)
    return False


def unrebound_parameters(info: FunctionInfo) -> FrozenSet[str]:
    """The parameters the function never rebinds: each names its caller's argument throughout."""
    found = getattr(info.node, "_ntl_unrebound", None)
    if found is None:
        stored = {node.id for node in walk(info.node) if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
        found = frozenset(parameter_names(info.node.args) - stored)
        setattr(info.node, "_ntl_unrebound", found)
    return found


def first_write(info: FunctionInfo, parameter: str, argument: Value) -> Optional[ast.AST]:
    """The first statement-order node of the function that writes ``parameter`` in a way that
    changes an argument of this kind (the place NTL401 reports a helper's write, in its own file)."""
    nodes = getattr(info.node, "_ntl_write_nodes", None)
    if nodes is None:
        nodes = _write_nodes(info.node)
        setattr(info.node, "_ntl_write_nodes", nodes)
    found = [node for kind, node in nodes.get(parameter, {}).items() if writes_argument(frozenset({kind}), argument)]
    return min(found, key=_position) if found else None


def _position(node: ast.AST) -> Tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _write_nodes(node: ast.AST) -> Dict[str, Dict[str, ast.AST]]:
    """name -> write kind -> the first node that writes it so (as ``_scan`` names the kinds)."""
    nodes: Dict[str, Dict[str, ast.AST]] = {}

    def note(name: str, kind: str, at: ast.AST) -> None:
        known = nodes.setdefault(name, {}).get(kind)
        if known is None or _position(at) < _position(known):
            nodes[name][kind] = at

    for current in walk(node):
        if isinstance(current, ast.AugAssign):
            target = current.target
            if isinstance(target, ast.Name):
                note(target.id, "augmented", current)
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                note(target.value.id, "item", current)
        elif isinstance(current, ast.Subscript) and isinstance(current.ctx, ast.Store):
            if isinstance(current.value, ast.Name):
                note(current.value.id, "item", current)
        elif isinstance(current, ast.Call):
            func = current.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                note(func.value.id, f"method:{func.attr}", current)
            for keyword in current.keywords:
                if keyword.arg == "out" and isinstance(keyword.value, ast.Name):
                    note(keyword.value.id, "out", current)
    return nodes


def fills_only(kinds: WriteKinds) -> bool:
    """Whether those writes only fill the argument (items stored, ``copy_``, ``fill_``) rather than
    transform what it holds (``+=``, ``sub_``, ``sort``): see ``Interpreter.in_place``."""
    return all(kind == "item" or kind[7:] in api.FILLING_METHODS for kind in kinds)


def _tensor_writing_method(name: str) -> bool:
    return name.endswith("_") and not name.startswith("_") and name not in api.NOT_WRITES


def _scan(node: ast.AST) -> Dict[str, WriteKinds]:
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    parameters = parameter_names(node.args)
    rebound: Set[str] = set()
    writes: Dict[str, Set[str]] = {}
    augmented_targets = set()
    for current in walk(node):
        if isinstance(current, ast.AugAssign):
            target = current.target
            if isinstance(target, ast.Name):
                augmented_targets.add(id(target))
                writes.setdefault(target.id, set()).add("augmented")
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                writes.setdefault(target.value.id, set()).add("item")
        elif isinstance(current, ast.Subscript) and isinstance(current.ctx, ast.Store):
            if isinstance(current.value, ast.Name):
                writes.setdefault(current.value.id, set()).add("item")
        elif isinstance(current, ast.Call):
            func = current.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                writes.setdefault(func.value.id, set()).add(f"method:{func.attr}")
            for keyword in current.keywords:
                if keyword.arg == "out" and isinstance(keyword.value, ast.Name):
                    writes.setdefault(keyword.value.id, set()).add("out")
        elif isinstance(current, ast.Name) and isinstance(current.ctx, (ast.Store, ast.Del)):
            if id(current) not in augmented_targets:
                rebound.add(current.id)
        elif isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and current is not node:
            rebound.update(parameters)  # a nested function may rebind or capture them: not followed
    return {name: frozenset(kinds) for name, kinds in writes.items() if name in parameters and name not in rebound}


#: the methods that move a module in place (a tensor's return a copy).
_PLACING_METHODS = frozenset({"to", "cuda", "cpu"})


def placed_parameters(info: FunctionInfo) -> FrozenSet[str]:
    """Parameters (``*args`` included) the function calls ``.to()``/``.cuda()``/``.cpu()`` on,
    directly or on each item (``[x.to(device) for x in args]``, ``for m in modules: m.cpu()``):
    a module given there may be moved in place, so its caller no longer knows where it is."""
    found = getattr(info.node, "_ntl_placed", None)
    if found is None:
        found = _placed(info.node, _PLACING_METHODS)
        setattr(info.node, "_ntl_placed", found)
    return found


def cast_parameters(info: FunctionInfo) -> FrozenSet[str]:
    """Parameters the function casts in place (``m.double()``, ``m.half()``, ``m.to(dtype)``,
    ``.type(...)``; ``.to`` counted whatever it is given, which may be a dtype): a module given
    there may change dtype, so its caller no longer knows it."""
    found = getattr(info.node, "_ntl_cast", None)
    if found is None:
        found = _placed(info.node, _CASTING_METHODS, casts_dtype)
        setattr(info.node, "_ntl_cast", found)
    return found


_CASTING_METHODS = frozenset({"double", "half", "float", "bfloat16", "type", "to"})


def casts_dtype(call: ast.Call) -> bool:
    """A method call that casts its receiver: ``x.float()``, ``m.double()``, ``.type(...)``;
    ``.to(...)`` only given a dtype (``torch.float64``, ``dtype=...``, a name that says dtype): a
    move alone (``x.to(self.device)``) changes no dtype."""
    assert isinstance(call.func, ast.Attribute)
    name = call.func.attr
    if name in api.TENSOR_CASTS or name == "type":
        return True
    return name == "to" and (any(k.arg == "dtype" for k in call.keywords) or any(
        (isinstance(a, ast.Attribute) and a.attr in api.FLOAT_DTYPES) or (isinstance(a, ast.Name) and "dtype" in a.id)
        for a in call.args))


def _placed(node: ast.AST, methods: FrozenSet[str], counts: Callable[[ast.Call], bool] = lambda call: True
            ) -> FrozenSet[str]:
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    arguments = node.args
    parameters = parameter_names(arguments)
    if arguments.vararg is not None:
        parameters.add(arguments.vararg.arg)
    items: Dict[str, str] = {}  # a loop or comprehension variable -> the parameter it iterates
    receivers: Set[str] = set()  # names `.to()`/`.cuda()`/`.cpu()` is called on
    for current in walk(node):
        if isinstance(current, (ast.For, ast.comprehension)) and isinstance(current.iter, ast.Name) \
                and current.iter.id in parameters and isinstance(current.target, ast.Name):
            items[current.target.id] = current.iter.id
        elif (isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute)
              and current.func.attr in methods and isinstance(current.func.value, ast.Name) and counts(current)):
            receivers.add(current.func.value.id)
    return frozenset(name if name in parameters else items[name]
                     for name in receivers if name in parameters or name in items)
