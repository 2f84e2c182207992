"""What the evaluator asks of the interpreter, and what the domain models ask of the evaluator.

Typing against these protocols (not the classes) keeps the import graph one way:
the interpreter imports the evaluator; the evaluator and the models import neither.
"""
from __future__ import annotations

import ast
from typing import Any, Callable, ContextManager, Dict, FrozenSet, List, Optional, Protocol, Sequence, Set, Union

from .guards import GuardFlags
from .scope import ClassInfo, Frame, FunctionInfo
from .values import Origin, Site, Value


class Walker(Protocol):
    """The interpreter, as the evaluator sees it."""

    freezes_parameters: bool  # the file freezes parameters: grad facts unknown
    saving_functions: Set[Optional[str]]  # functions (None: module) that saved a checkpoint
    default_float64: bool  # torch.set_default_dtype(torch.float64) was called
    guard_flags: GuardFlags  # what the file's assignments say about the flags its guards test
    rebound_globals: FrozenSet[str]  # names some function of the file declares `global`
    module_frame: Frame
    module_tree: Optional[ast.Module]  # the linted file's tree

    def emit(self, frame: Frame, event: object) -> None: ...

    def parameters_may_be_frozen(self) -> bool: ...

    def events_into(self, buffer: Optional[List[object]]) -> ContextManager[Optional[List[object]]]: ...

    def site(self, node: ast.AST, attr: bool = False) -> Site: ...

    def origin(self, node: ast.AST, label: str = "", attr: bool = False) -> Origin: ...

    def moved_origin(self, node: ast.AST, label: str, frame: Frame, device: Optional[Value] = None) -> Origin: ...

    def read(self, name: str, node: ast.AST, frame: Frame) -> None: ...

    def loop_node(self, loop_id: int) -> Optional[Union[ast.For, ast.AsyncFor, ast.While]]: ...

    def bind(self, target: ast.expr, value: Value, frame: Frame) -> None: ...

    def in_place(self, name: str, node: ast.AST, frame: Frame, value: Optional[Value] = None,
                 overwrite: bool = False, clears: bool = False) -> None: ...

    def temporary_write(self, value: Value, text: str, node: ast.AST, frame: Frame) -> None: ...

    def record_call(self, qualname: str, frame: Frame, constants: Optional[Dict[str, str]] = None) -> None: ...

    def summary(self, info: FunctionInfo) -> Value: ...

    def call_with(self, info: FunctionInfo, args: Sequence[Any], frame: Frame, bound_self: bool,
                  call: ast.Call, receiver: Optional[Value] = None) -> Value: ...

    def constructed(self, init: FunctionInfo, instance: Value, args: Sequence[Any], frame: Frame) -> Value: ...

    def walked_on(self, info: FunctionInfo, instance: Value, frame: Frame) -> Optional[Dict[str, Value]]: ...

    def project_value(self, qualname: str) -> Optional[Value]: ...

    def define_lambda(self, node: ast.Lambda, frame: Frame) -> Value: ...

    def class_attrs(self, cls: ClassInfo) -> Dict[str, Value]: ...

    def instance_value(self, cls: ClassInfo) -> Value: ...


class Expressions(Protocol):
    """The evaluator, as the NumPy and torch models see it."""

    def binary(self, op: ast.operator, left: Value, right: Value, node: ast.AST, frame: Frame) -> Value: ...

    def call_function(self, info: FunctionInfo, frame: Frame, args: Sequence[Any] = (), bound_self: bool = False,
                      node: Optional[ast.Call] = None, receiver: Optional[Value] = None) -> Value: ...

    def each_choice(self, value: Value, call: Callable[[Value], Value]) -> Value: ...

    def element_of(self, value: Value, frame: Optional[Frame] = None, node: Optional[ast.expr] = None) -> Value: ...
