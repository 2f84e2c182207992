"""``torch.distributed.init_process_group`` calls and their backend: does the process group need GPUs?

A process group made with the NCCL backend exists only where CUDA devices are: the call fails
elsewhere ("Distributed package doesn't have NCCL built in", no device to bind). So code that
runs only in an initialized process group (premises.py) needs a GPU exactly when every process
group the project makes is an NCCL one. The backend is read from the code, never guessed:

* ``backend="nccl"``, ``init_process_group("nccl", ...)``, ``backend=dist.Backend.NCCL``;
* a name or attribute (``args.dist_backend``) every assignment of which in the same function
  (or, at module level, the single binding in the file) is one of these, and that is no
  parameter of that function. ``"nccl" if args.gpu else "gloo"``, a command-line option, a
  parameter, or no backend at all (torch then makes a gloo group for the CPU too) is not NCCL.
"""
from __future__ import annotations

import ast
from typing import Iterator, List, Optional, Set, Tuple, Union

from . import api
from .nodes import walk

Scope = Union[ast.Module, ast.FunctionDef, ast.AsyncFunctionDef]
#: how deep a backend held by a name assigned from another name is followed.
DEPTH = 3


def initializes_process_group(call: ast.AST) -> bool:
    """``dist.init_process_group(...)``, ``torch.distributed.init_process_group(...)`` or the imported name."""
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else (func.id if isinstance(func, ast.Name) else "")
    return name == api.PROCESS_GROUP_INIT


def backend_needs_cuda(call: ast.Call, scope: Optional[Scope]) -> bool:
    """The call's backend is NCCL as the code shows it (see the module docstring)."""
    backend = next((k.value for k in call.keywords if k.arg == api.PROCESS_GROUP_BACKEND), None)
    if backend is None and call.args and not isinstance(call.args[0], ast.Starred):
        backend = call.args[0]
    return backend is not None and _is_cuda_backend(backend, scope, 0)


def inits_in(tree: ast.Module) -> List[bool]:
    """For each ``init_process_group`` call of a file: whether its backend needs CUDA."""
    return [backend_needs_cuda(call, scope) for call, scope in _calls_with_scope(tree)]


def _is_cuda_backend(node: ast.expr, scope: Optional[Scope], depth: int) -> bool:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            return False
        # "nccl", or "cuda:nccl" (a backend per device type: every one must need CUDA)
        entries = [entry.split(":")[-1].strip().lower() for entry in node.value.split(",")]
        return bool(entries) and all(entry in api.CUDA_BACKENDS for entry in entries)
    if isinstance(node, ast.Attribute) and node.attr.lower() in api.CUDA_BACKENDS:
        return True  # dist.Backend.NCCL
    if isinstance(node, (ast.Name, ast.Attribute)) and scope is not None and depth < DEPTH:
        values = _assigned(node, scope)
        return bool(values) and all(_is_cuda_backend(value, scope, depth + 1) for value in values)
    return False


def _assigned(target: ast.expr, scope: Scope) -> List[ast.expr]:
    """Every value assigned to ``target`` (the same name or attribute chain) in the scope's own code; an
    empty list when something else binds it there (a parameter, a loop, ``with ... as``, an augmented or
    unpacked assignment, a ``global`` declaration)."""
    key = _key(target)
    if isinstance(target, ast.Name):
        if not isinstance(scope, ast.Module) and target.id in {a.arg for a in walk(scope.args)
                                                               if isinstance(a, ast.arg)}:
            return []
        if any(isinstance(n, (ast.Global, ast.Nonlocal)) and target.id in n.names for n in walk(scope)):
            return []
    values: List[ast.expr] = []
    plain: Set[int] = set()  # the targets of the plain assignments taken
    for node in _own_nodes(scope):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and _key(targets[0]) == key and node.value is not None:
                plain.add(id(targets[0]))
                values.append(node.value)
        elif isinstance(node, (ast.Name, ast.Attribute)) and not isinstance(node.ctx, ast.Load) \
                and id(node) not in plain and _key(node) == key:
            return []  # bound some other way
    return values


def _key(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False).replace("Load()", "").replace("Store()", "")


def _calls_with_scope(tree: ast.Module) -> Iterator[Tuple[ast.Call, Scope]]:
    stack: List[Tuple[ast.AST, Scope]] = [(tree, tree)]
    while stack:
        node, scope = stack.pop()
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else scope
            if initializes_process_group(child):
                assert isinstance(child, ast.Call)
                yield child, scope
            stack.append((child, inner))


def _own_nodes(scope: Scope) -> Iterator[ast.AST]:
    """The scope's nodes, without entering nested functions, lambdas or classes."""
    stack: List[ast.AST] = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.append(child)
