"""Tests after which CUDA is a premise of the code without ``torch.cuda.is_available()`` being asked.

Two kinds, both one-directional (a test that fails says nothing about the host, so neither ever
marks a branch as "CUDA absent"):

* **CUDA**: the test holds only where CUDA ran: ``"CUDA out of memory" in str(err)`` in a
  handler, ``isinstance(err, torch.cuda.OutOfMemoryError)``. The code after
  ``if "CUDA out of memory" not in str(err): raise`` runs only after a GPU ran out of memory.
* **DISTRIBUTED**: the test holds only where ``torch.distributed``'s default process group is
  initialized: ``dist.is_initialized()``, a helper that returns false unless it is (``def
  is_dist_avail_and_initialized()``), a world size other than 1 from ``dist.get_world_size()``
  or from a helper that returns 1 unless it is (``if get_world_size() == 1: return``). Such a
  path needs a GPU only where the project initializes its process groups with NCCL: that is a
  fact of the project, which the rule asks (``process_groups.py``), not of the test.

``polarity`` answers for one test: True, the test holds only where the premise does; False, the
test fails only where it does; None, neither.
"""
from __future__ import annotations

import ast
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Set, Tuple, Union

from . import api
from .nodes import walk
from .scope import Frame, FunctionInfo
from .values import Kind, Value

QualnameOf = Callable[[ast.expr, Frame], Optional[str]]
ProjectValue = Callable[[str], Optional[Value]]
Leaf = Callable[[ast.expr, Frame, int], Optional[bool]]
FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
#: how deep helpers calling helpers, and names bound to tests, are followed.
DEPTH = 4
#: what a helper of the project is, for a test that calls it.
INITIALIZED_PREDICATE = "initialized"  # returns something true only where the process group is initialized
WORLD_SIZE = "world size"  # returns 1 wherever the process group is not initialized


class Premises:
    """The premise tests of one interpreter's code (helpers classified once each)."""

    def __init__(self, qualname_of: QualnameOf, project_value: ProjectValue) -> None:
        self._qualname_of = qualname_of
        self._project_value = project_value
        self._helpers: Dict[int, Optional[str]] = {}
        self._parameters: Dict[int, Set[str]] = {}  # per function: the parameters its body never rebinds

    def cuda(self, test: ast.expr, frame: Frame) -> Optional[bool]:
        """The test holds (True) or fails (False) only where CUDA ran (a CUDA out-of-memory error)."""
        return polarity(test, frame, self._cuda_leaf, 0)

    def distributed(self, test: ast.expr, frame: Frame) -> Optional[bool]:
        """The test holds (True) or fails (False) only where the default process group is initialized."""
        return polarity(test, frame, self._distributed_leaf, 0)

    def catches_cuda_only_error(self, handler_type: Optional[ast.expr], frame: Frame) -> bool:
        """``except torch.cuda.OutOfMemoryError:``: the handler runs only after CUDA raised."""
        if handler_type is None:
            return False
        names = handler_type.elts if isinstance(handler_type, ast.Tuple) else [handler_type]
        return bool(names) and all(self._qualname_of(name, frame) in api.CUDA_ONLY_ERRORS for name in names)

    # --- leaves ---------------------------------------------------------------------------

    def _cuda_leaf(self, node: ast.expr, frame: Frame, depth: int) -> Optional[bool]:
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            left = node.left
            if isinstance(left, ast.Constant) and isinstance(left.value, str) and any(
                    message in left.value.lower() for message in api.CUDA_ONLY_ERROR_MESSAGES):
                return isinstance(node.ops[0], ast.In)
        if isinstance(node, ast.Call) and self._qualname_of(node.func, frame) == api.ISINSTANCE \
                and len(node.args) == 2:
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            if kinds and all(self._qualname_of(k, frame) in api.CUDA_ONLY_ERRORS for k in kinds):
                return True
        return self._through_name(node, frame, depth, self._cuda_leaf)

    def _distributed_leaf(self, node: ast.expr, frame: Frame, depth: int) -> Optional[bool]:
        if isinstance(node, ast.Call):
            if self._qualname_of(node.func, frame) in api.PROCESS_GROUP_PROBES:
                return True
            if self._helper_kind(node, frame, depth) == INITIALIZED_PREDICATE:
                return True
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return self._world_size_test(node, frame, depth)
        return self._through_name(node, frame, depth, self._distributed_leaf)

    def _world_size_test(self, node: ast.Compare, frame: Frame, depth: int) -> Optional[bool]:
        """``world_size == 1``, ``get_world_size() > 1``: a world size is 1 where the process group is not
        initialized, so a comparison false at 1 holds only where it is, and one true at 1 fails only there."""
        op, left, right = node.ops[0], node.left, node.comparators[0]
        if isinstance(left, ast.Constant) and not isinstance(right, ast.Constant):
            left, right, op = right, left, _SWAPPED.get(type(op), op)
        if not (isinstance(right, ast.Constant) and type(right.value) is int):
            return None
        compare = _AT_ONE.get(type(op))
        if compare is None or not self._is_world_size(left, frame, depth):
            return None
        return not compare(right.value)

    def _is_world_size(self, node: ast.expr, frame: Frame, depth: int) -> bool:
        if depth > DEPTH:
            return False
        if isinstance(node, ast.Call):
            if self._qualname_of(node.func, frame) in api.WORLD_SIZE_FUNCTIONS:
                return True
            return self._helper_kind(node, frame, depth) == WORLD_SIZE
        if isinstance(node, ast.IfExp) and isinstance(node.orelse, ast.Constant) and node.orelse.value == 1:
            # `dist.get_world_size() if dist.is_initialized() else 1`
            return self.distributed(node.test, frame) is True
        if isinstance(node, ast.Name):
            value = _single_binding(node.id, frame)
            return value is not None and self._is_world_size(value, frame, depth + 1)
        return False

    def _through_name(self, node: ast.expr, frame: Frame, depth: int, leaf: Leaf) -> Optional[bool]:
        """A name bound once in its function (``ready = dist.is_initialized()``) tests what it was set to."""
        if isinstance(node, ast.Name) and depth < DEPTH:
            value = _single_binding(node.id, frame)
            if value is not None:
                return polarity(value, frame, leaf, depth + 1)
        return None

    # --- helpers of the project -----------------------------------------------------------

    def _helper_kind(self, call: ast.Call, frame: Frame, depth: int) -> Optional[str]:
        if call.args or call.keywords or depth > DEPTH:
            return None
        info = self.function_called(call.func, frame)
        if info is None:
            return None
        key = id(info.node)
        if key not in self._helpers:
            self._helpers[key] = None  # recursion: not a helper while it is being read
            self._helpers[key] = self._classify(info, depth + 1)
        return self._helpers[key]

    def _classify(self, info: FunctionInfo, depth: int) -> Optional[str]:
        """What every return of a helper says, before and after its exit on an uninitialized process group
        (``if not dist.is_initialized(): return False``): each return before it must already be of the kind."""
        scope = info.closure
        returns = list(self._returns_by_position(info.node, scope))
        if not returns or any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(info.node)):
            return None
        for kind in (INITIALIZED_PREDICATE, WORLD_SIZE):
            if all(after_exit or self._returns_kind(value, kind, scope, depth) for value, after_exit in returns):
                return kind
        return None

    def _returns_kind(self, value: Optional[ast.expr], kind: str, scope: Frame, depth: int) -> bool:
        if kind == INITIALIZED_PREDICATE:
            if value is None or (isinstance(value, ast.Constant) and not value.value):
                return True  # a false value
            return polarity(value, scope, self._distributed_leaf, depth) is True
        if isinstance(value, ast.Constant) and value.value == 1 and type(value.value) is int:
            return True
        return value is not None and self._is_world_size(value, scope, depth)

    def function_called(self, func: ast.expr, frame: Frame) -> Optional[FunctionInfo]:
        """The project function a call names (``get_world_size``, ``utils.get_world_size``), if the engine knows it."""
        value = frame.lookup(func.id) if isinstance(func, ast.Name) else None
        if value is None or value.kind is not Kind.FUNCTION:
            qual = self._qualname_of(func, frame)
            value = self._project_value(qual) if qual and not qual.startswith(api.LIBRARY_PREFIXES) else None
        if value is None or value.kind is not Kind.FUNCTION or not isinstance(value.definition, FunctionInfo):
            return None
        return value.definition

    def _returns_by_position(self, function: FunctionNode, scope: Frame) -> Iterator[Tuple[Optional[ast.expr], bool]]:
        """Each return's value, and whether it comes after a top-level exit on an uninitialized process group."""
        after_exit = False
        for statement in function.body:
            for node in _own_nodes(statement):
                if isinstance(node, ast.Return):
                    yield node.value, after_exit
            if self.exits_unless_initialized(statement, scope):
                after_exit = True

    def parameter_test(self, test: ast.expr, frame: Frame) -> Optional[Tuple[str, str, bool]]:
        """``mode == "cpu"`` (``!=``, ``is``, ``is not``, either side) where ``mode`` is a parameter of the
        enclosing function that its body never rebinds: (parameter, repr of the constant, whether the
        test holds when they are equal). Where the function is reached from decides then which calls
        reach the branch (functions.py: ``guarded_everywhere``)."""
        function = frame.function
        if function is None or not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            return None
        op, left, right = test.ops[0], test.left, test.comparators[0]
        if isinstance(left, ast.Constant):
            left, right = right, left
        if not (isinstance(left, ast.Name) and isinstance(right, ast.Constant)):
            return None
        equal = isinstance(op, (ast.Eq, ast.Is))
        if not (equal or isinstance(op, (ast.NotEq, ast.IsNot))):
            return None
        if left.id not in self._fixed_parameters(function):
            return None
        return left.id, repr(right.value), equal

    def _fixed_parameters(self, function: FunctionInfo) -> Set[str]:
        key = id(function.node)
        fixed = self._parameters.get(key)
        if fixed is None:
            arguments = function.node.args
            bound = _bindings(function.node)[0]  # a parameter declared global is a SyntaxError: only rebinding counts
            fixed = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
                     if a.arg not in bound}
            self._parameters[key] = fixed
        return fixed

    def exits_unless_initialized(self, statement: ast.stmt, scope: Frame) -> bool:
        """``if not dist.is_initialized(): return ...``: what follows runs only where it is."""
        return (isinstance(statement, ast.If) and not statement.orelse and bool(statement.body)
                and isinstance(statement.body[-1], (ast.Return, ast.Raise))
                and self.distributed(statement.test, scope) is False)


def polarity(node: ast.expr, frame: Frame, leaf: Leaf, depth: int) -> Optional[bool]:
    """True: the test holds only where the premise does; False: it fails only there; None: neither."""
    if depth > DEPTH:
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = polarity(node.operand, frame, leaf, depth)
        return None if inner is None else not inner
    if isinstance(node, ast.BoolOp):
        results = [polarity(v, frame, leaf, depth) for v in node.values]
        if isinstance(node.op, ast.And):
            # all hold -> each holds; fails -> one operand fails, so every operand's failure must tell
            return True if True in results else (False if all(r is False for r in results) else None)
        return True if all(r is True for r in results) else (False if False in results else None)
    return leaf(node, frame, depth)


_AT_ONE: Dict[type, Callable[[int], bool]] = {  # the comparison `1 <op> n`
    ast.Eq: lambda n: 1 == n, ast.NotEq: lambda n: 1 != n, ast.Lt: lambda n: 1 < n,
    ast.LtE: lambda n: 1 <= n, ast.Gt: lambda n: 1 > n, ast.GtE: lambda n: 1 >= n,
}
_SWAPPED: Dict[type, ast.cmpop] = {ast.Lt: ast.Gt(), ast.Gt: ast.Lt(), ast.LtE: ast.GtE(), ast.GtE: ast.LtE()}


def _single_binding(name: str, frame: Frame) -> Optional[ast.expr]:
    """The value of ``name = value`` when that is the only binding of ``name`` in the enclosing function."""
    function = frame.function
    if function is None:
        return None
    bindings, unbindable, assigned = _bindings(function.node)
    if name in unbindable:
        return None
    values = bindings.get(name, ())
    if len(values) != 1:
        return None  # every binding counts, whatever binds it
    return assigned.get(id(values[0]))


_BINDINGS = "_ntl_bindings"  # the per-function table below, kept on the function's node (its tree's lifetime)
Bindings = Tuple[Dict[str, List[ast.Name]], FrozenSet[str], Dict[int, ast.expr]]


def _bindings(function: ast.AST) -> Bindings:
    """Of one function: the names each binding binds, the names that are parameters or declared
    global/nonlocal, and the value of each single-target assignment by its target. Read once per
    function (the tests of a function ask about the same names again and again)."""
    found = getattr(function, _BINDINGS, None)
    if found is not None:
        return found  # type: ignore[no-any-return,unused-ignore]
    names: Dict[str, List[ast.Name]] = {}
    unbindable: Set[str] = set()
    assigned: Dict[int, ast.expr] = {}
    for node in _own_nodes(function):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.setdefault(node.id, []).append(node)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            unbindable.update(node.names)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            assigned[id(node.targets[0])] = node.value
    arguments = getattr(function, "args", None)
    if arguments is not None:
        unbindable.update(a.arg for a in walk(arguments) if isinstance(a, ast.arg))
    result: Bindings = (names, frozenset(unbindable), assigned)
    setattr(function, _BINDINGS, result)
    return result


def _own_nodes(root: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function body or statement, without entering nested functions, lambdas or classes."""
    stack: List[ast.AST] = list(ast.iter_child_nodes(root)) if isinstance(
        root, (ast.FunctionDef, ast.AsyncFunctionDef)) else [root]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.append(child)
