"""The interpreter: walks statements in order and keeps abstract values.

It walks the module body once, then every function and method once (in "emit"
mode), and summarizes a function's return value on demand (in "silent" mode)
when another part of the file calls it. Control flow is handled soundly for a
linter that must stay quiet when unsure: branches are joined (only facts both
agree on survive), loop bodies are walked twice so that values rebound in the
body are not trusted at its head, and code after ``return``/``raise`` is dead.

Events at sinks go to the rules through ``emit``; expression semantics (what a
call to ``np.zeros`` or ``.float()`` gives) live in ``semantics.py``.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from . import api
from .events import Context
from .scope import ClassInfo, Frame, FunctionInfo
from .source import Chunk, ImportItem, Item, Opaque
from .walk import descendants
from .values import UNKNOWN, Device, Kind, Origin, Site, Tri, Value, join, sequence

Emit = Callable[[object], None]

# Names Python gives every module, as the resolver qualifies them.
BUILTINS = frozenset({
    "float", "int", "bool", "list", "tuple", "len", "range", "enumerate", "zip", "print",
    "isinstance", "sum", "min", "max", "abs", "exit", "quit", "dict", "set", "str", "sorted",
    "reversed", "map", "iter", "next", "super", "setattr", "getattr",
})


class Flow:
    """How a block ends: falls through, leaves the function, or leaves the loop."""

    NORMAL = 0
    EXIT = 1  # return / raise / sys.exit: nothing after runs
    LOOP = 2  # break / continue


class Interpreter:
    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self.deferred: List[FunctionInfo] = []
        self.classes: Dict[str, ClassInfo] = {}
        # qualname -> grad mode at each call site (for "a helper only called in no_grad").
        self.call_sites: Dict[str, List[Tuple[Tri, Optional[str]]]] = {}
        self.default_float64 = False
        self.module_frame = Frame(None, Context(), None, silent=False)
        from .semantics import Semantics  # late: semantics imports this module's types

        self.sem = Semantics(self)

    # --- entry points -------------------------------------------------------------------

    def run(self, items: Sequence[Item]) -> None:
        frame = self.module_frame
        for item in items:
            if isinstance(item, ImportItem):
                for local, qual in item.bindings:
                    frame.env[local] = Value(kind=Kind.API, qualname=qual)
            elif isinstance(item, Opaque):
                for name in item.binds:
                    frame.env[name] = UNKNOWN
            else:
                chunk, statements = item
                frame.chunk = chunk
                if self.block(statements, frame) == Flow.EXIT:
                    break
        while self.deferred:
            self.ensure_walked(self.deferred.pop(0))

    def emit(self, frame: Frame, event: object) -> None:
        if not frame.silent:
            self._emit(event)

    def site(self, frame: Frame, node: cst.CSTNode) -> Site:
        return Site(node, frame.chunk)

    def origin(self, frame: Frame, node: cst.CSTNode, label: str = "") -> Origin:
        return Origin(label, Site(node, frame.chunk))

    # --- functions ----------------------------------------------------------------------

    def walk_function(self, info: FunctionInfo, silent: bool, attr_sink: Optional[Dict[str, Value]] = None) -> Frame:
        grad = info.grad if info.grad is not Tri.YES else Tri.YES
        frame = Frame(info.closure, Context(grad=grad, function=info.qualname), info.chunk, silent, info)
        frame.attr_sink = attr_sink
        params = info.node.params
        all_params = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
        for param in all_params:
            frame.env[param.name.value] = UNKNOWN
            if param.default is not None:
                self.eval(param.default, frame)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                frame.env[star.name.value] = UNKNOWN
        if info.owner is not None and all_params and not self._is_static(info.node):
            self_name = all_params[0].name.value
            frame.self_name = self_name
            frame.env[self_name] = self.instance_value(info.owner)
        body = info.node.body
        statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
        self.block(statements, frame)
        return frame

    @staticmethod
    def _is_static(node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            d = decorator.decorator
            if isinstance(d, cst.Name) and d.value in ("staticmethod", "classmethod"):
                return True
        return False

    def summary(self, info: FunctionInfo) -> Value:
        """The value a call of a function of this file returns (params unknown).

        Every function is walked once: the first call walks it (emitting its
        findings) and keeps the join of its returns; later calls reuse it.
        """
        if info.summary is not None:
            return info.summary
        if info.summarizing:
            return UNKNOWN  # recursion
        self.ensure_walked(info)
        return info.summary if info.summary is not None and not _is_generator(info.node) else UNKNOWN

    def ensure_walked(self, info: FunctionInfo) -> None:
        if info.summary is not None or info.summarizing:
            return
        info.summarizing = True
        try:
            owner = info.owner
            sink: Optional[Dict[str, Value]] = {} if owner is not None and info.node.name.value == "__init__" else None
            frame = self.walk_function(info, silent=False, attr_sink=sink)
            result: Optional[Value] = None
            for value in frame.returns:
                result = value if result is None else join(result, value)
            info.summary = result if result is not None else Value(kind=Kind.NONE)
            if sink is not None and owner is not None:
                owner.init_attrs = sink
        finally:
            info.summarizing = False

    def record_call(self, qualname: str, frame: Frame) -> None:
        if not frame.silent:
            self.call_sites.setdefault(qualname, []).append((frame.context.grad, frame.context.function))

    def grad_off_everywhere(self, qualname: str, seen: Optional[Set[str]] = None) -> bool:
        """Every call of the function in this file runs with grad off (directly or via callers)."""
        seen = seen or set()
        if qualname in seen:
            return False
        seen.add(qualname)
        sites = self.call_sites.get(qualname)
        if not sites:
            return False
        for grad, caller in sites:
            if grad is Tri.NO:
                continue
            if grad is Tri.YES and caller is not None and self.grad_off_everywhere(caller, seen):
                continue
            return False
        return True

    # --- classes ------------------------------------------------------------------------

    def instance_value(self, cls: ClassInfo) -> Value:
        if cls.is_module:
            return Value(kind=Kind.MODULE, qualname=cls.name, dtype=api.FLOAT32,
                         parametric=self.class_parametric(cls), definition=cls)
        return Value(kind=Kind.INSTANCE, qualname=cls.name, definition=cls)

    def class_attrs(self, cls: ClassInfo) -> Dict[str, Value]:
        """``self.<name>`` as ``__init__`` leaves it, for names no other method rebinds."""
        if cls.attrs is not None:
            return cls.attrs
        if cls.computing_attrs:
            return {}
        cls.computing_attrs = True
        try:
            attrs: Dict[str, Value] = {}
            for base in cls.bases:
                attrs.update(self.class_attrs(base))
            attrs.update(cls.class_attrs)
            init = cls.methods.get("__init__")
            if init is not None:
                self.ensure_walked(init)
                attrs.update(cls.init_attrs or {})
            for name in _attrs_rebound_outside_init(cls.node):
                attrs[name] = UNKNOWN
            cls.attrs = attrs
        finally:
            cls.computing_attrs = False
        return cls.attrs

    def class_parametric(self, cls: ClassInfo) -> Tri:
        if cls.attrs is None and cls.computing_attrs:
            return Tri.UNKNOWN
        for value in self.class_attrs(cls).values():
            if value.kind is Kind.MODULE and value.parametric is Tri.YES:
                return Tri.YES
            if value.kind is Kind.TENSOR and value.grad_leaf:
                return Tri.YES
        return Tri.UNKNOWN

    def define_class(self, node: cst.ClassDef, frame: Frame) -> None:
        is_module = False
        bases: List[ClassInfo] = []
        for arg in node.bases:
            base = self.eval(arg.value, frame)
            if base.kind is Kind.API and base.qualname in ("torch.nn.Module", "torch.nn.modules.module.Module"):
                is_module = True
            elif base.kind is Kind.CLASS and isinstance(base.definition, ClassInfo):
                bases.append(base.definition)
                is_module = is_module or base.definition.is_module
        qual = node.name.value if frame.function is None else f"{frame.function.qualname}.{node.name.value}"
        cls = ClassInfo(qual, node, frame.chunk, is_module, bases)
        body_frame = Frame(frame, frame.context, frame.chunk, frame.silent, frame.function)
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body]
        for statement in body:
            if isinstance(statement, cst.FunctionDef):
                info = self.make_function(statement, body_frame, owner=cls)
                cls.methods[statement.name.value] = info
            else:
                self.statement(statement, body_frame)
        for name, value in body_frame.env.items():
            if value.kind is not Kind.FUNCTION:
                cls.class_attrs[name] = value
        self.classes[qual] = cls
        frame.env[node.name.value] = Value(kind=Kind.CLASS, qualname=qual, definition=cls)

    def make_function(self, node: cst.FunctionDef, frame: Frame, owner: Optional[ClassInfo] = None) -> FunctionInfo:
        grad = Tri.YES
        for decorator in node.decorators:
            target = decorator.decorator
            callee = target.func if isinstance(target, cst.Call) else target
            value = self.eval(callee, frame)
            if value.kind is Kind.API:
                if value.qualname in api.GRAD_OFF_CONTEXTS:
                    grad = Tri.NO
                elif value.qualname in api.GRAD_ON_CONTEXTS:
                    grad = Tri.YES
        if owner is not None:
            qual = f"{owner.name}.{node.name.value}"
        elif frame.function is not None:
            qual = f"{frame.function.qualname}.{node.name.value}"
        else:
            qual = node.name.value
        info = FunctionInfo(qual, node, frame.chunk, frame if owner is None else frame.parent or frame, grad, owner)
        if not frame.silent:
            self.deferred.append(info)
        return info

    # --- statements ---------------------------------------------------------------------

    def block(self, statements: Sequence[cst.BaseStatement], frame: Frame) -> int:
        for statement in statements:
            flow = self.statement(statement, frame)
            if flow != Flow.NORMAL:
                return flow
        return Flow.NORMAL

    def statement(self, node: cst.BaseStatement, frame: Frame) -> int:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                flow = self.small_statement(small, frame)
                if flow != Flow.NORMAL:
                    return flow
            return Flow.NORMAL
        if isinstance(node, cst.If):
            return self.if_statement(node, frame)
        if isinstance(node, (cst.For, cst.While)):
            return self.loop(node, frame)
        if isinstance(node, cst.With):
            return self.with_statement(node, frame)
        if isinstance(node, (cst.Try, cst.TryStar)):
            return self.try_statement(node, frame)
        if isinstance(node, cst.FunctionDef):
            info = self.make_function(node, frame)
            frame.env[node.name.value] = Value(kind=Kind.FUNCTION, qualname=info.qualname, definition=info)
            return Flow.NORMAL
        if isinstance(node, cst.ClassDef):
            self.define_class(node, frame)
            return Flow.NORMAL
        if isinstance(node, cst.Match):
            self.eval(node.subject, frame)
            branches = []
            for case in node.cases:
                branch = frame.fork()
                for name in _names_in_pattern(case.pattern):
                    branch.env[name] = UNKNOWN
                if self.block(_body(case.body), branch) == Flow.NORMAL:
                    branches.append(branch)
            branches.append(frame.fork())
            frame.merge(*branches)
            return Flow.NORMAL
        return Flow.NORMAL

    def small_statement(self, node: cst.BaseSmallStatement, frame: Frame) -> int:
        if isinstance(node, cst.Assign):
            value = self.eval(node.value, frame)
            for target in node.targets:
                self.bind(target.target, value, frame)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.eval(node.value, frame), frame)
        elif isinstance(node, cst.AugAssign):
            self.aug_assign(node, frame)
        elif isinstance(node, cst.Expr):
            value = node.value
            if isinstance(value, cst.Call):
                callee = self.eval(value.func, frame) if not isinstance(value.func, cst.Attribute) else None
                if callee is not None and callee.kind is Kind.API and callee.qualname in api.EXITS:
                    self.eval(value, frame)
                    return Flow.EXIT
                if callee is None:
                    receiver = self.eval(value.func.value, frame)  # type: ignore[union-attr]
                    if receiver.kind is Kind.API:
                        qual = f"{receiver.qualname}.{value.func.attr.value}"  # type: ignore[union-attr]
                        if qual in api.EXITS:
                            self.eval(value, frame)
                            return Flow.EXIT
                        if qual in api.GRAD_SET_CONTEXTS:
                            frame.context = _with_grad(frame.context, _literal_bool(value.args))
            self.eval(value, frame)
        elif isinstance(node, cst.Return):
            frame.returns.append(self.eval(node.value, frame) if node.value is not None else Value(kind=Kind.NONE))
            return Flow.EXIT
        elif isinstance(node, cst.Raise):
            if node.exc is not None:
                self.eval(node.exc, frame)
            return Flow.EXIT
        elif isinstance(node, cst.Assert):
            self.eval(node.test, frame)
            if self.sem.is_cuda_test(node.test, frame) is True:
                frame.context = _guarded(frame.context)
        elif isinstance(node, (cst.Break, cst.Continue)):
            return Flow.LOOP
        elif isinstance(node, cst.Del):
            for name in _names_in(node.target):
                frame.env[name] = UNKNOWN
        elif isinstance(node, cst.Import):
            for alias in node.names:
                dotted = _dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    frame.env[alias.asname.name.value] = Value(kind=Kind.API, qualname=dotted)
                else:
                    top = dotted.split(".")[0]
                    frame.env[top] = Value(kind=Kind.API, qualname=top)
        elif isinstance(node, cst.ImportFrom):
            if node.module is not None and not node.relative and not isinstance(node.names, cst.ImportStar):
                module = _dotted(node.module)
                for alias in node.names:
                    name = _dotted(alias.name)
                    local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
                    frame.env[local] = Value(kind=Kind.API, qualname=f"{module}.{name}")
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            for name in node.names:
                frame.env[name.name.value] = UNKNOWN
        return Flow.NORMAL

    def aug_assign(self, node: cst.AugAssign, frame: Frame) -> None:
        left = self.eval(node.target, frame)
        right = self.eval(node.value, frame)
        op = type(node.operator).__name__.replace("Assign", "")
        result = self.sem.binary(op, left, right, node, frame)
        if isinstance(node.target, cst.Name):
            frame.env[node.target.value] = result
        elif self._is_self_attr(node.target, frame) and frame.attr_sink is not None:
            frame.attr_sink[node.target.attr.value] = UNKNOWN  # type: ignore[union-attr]

    def _is_self_attr(self, node: cst.BaseExpression, frame: Frame) -> bool:
        return (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
                and frame.self_name is not None and node.value.value == frame.self_name)

    def bind(self, target: cst.BaseExpression, value: Value, frame: Frame) -> None:
        if isinstance(target, cst.Name):
            frame.env[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            known = value.elements if value.kind is Kind.SEQUENCE else None
            starred = any(isinstance(e, cst.StarredElement) for e in elements)
            for i, element in enumerate(elements):
                if known is not None and not starred and len(known) == len(elements):
                    item = known[i]
                else:
                    item = UNKNOWN
                self.bind(element.value, item, frame)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, UNKNOWN, frame)
        elif isinstance(target, cst.Attribute):
            self.eval(target.value, frame)
            if self._is_self_attr(target, frame) and frame.attr_sink is not None:
                name = target.attr.value
                old = frame.attr_sink.get(name)
                frame.attr_sink[name] = value if old is None else join(old, value)
        elif isinstance(target, cst.Subscript):
            self.eval(target.value, frame)
            for element in target.slice:
                self.eval_slice(element.slice, frame)

    def if_statement(self, node: cst.If, frame: Frame) -> int:
        self.eval(node.test, frame)
        guard = self.sem.is_cuda_test(node.test, frame)
        then_frame = frame.fork(**({"cuda_guarded": True} if guard is True else {}))
        then_flow = self.block(_body(node.body), then_frame)
        else_frame = frame.fork(**({"cuda_guarded": True} if guard is False else {}))
        else_flow = Flow.NORMAL
        if isinstance(node.orelse, cst.If):
            else_flow = self.if_statement(node.orelse, else_frame)
        elif isinstance(node.orelse, cst.Else):
            else_flow = self.block(_body(node.orelse.body), else_frame)
        then_exits, else_exits = then_flow != Flow.NORMAL, else_flow != Flow.NORMAL
        if then_flow == Flow.EXIT and else_flow == Flow.EXIT:
            return Flow.EXIT
        # A branch that leaves by break/continue still carries its values to the loop head,
        # so only a real exit drops a branch from the join.
        reaching = [f for f, flow in ((then_frame, then_flow), (else_frame, else_flow)) if flow != Flow.EXIT]
        frame.merge(*reaching)
        # `if not torch.cuda.is_available(): raise/return/continue` guards the rest of the block.
        if then_exits and not else_exits and guard is False:
            frame.context = _guarded(frame.context)
        elif else_exits and not then_exits and guard is True:
            frame.context = _guarded(frame.context)
        return Flow.NORMAL

    def loop(self, node: Union[cst.For, cst.While], frame: Frame) -> int:
        element = UNKNOWN
        if isinstance(node, cst.For):
            element = self.sem.element_of(self.eval(node.iter, frame))
        else:
            self.eval(node.test, frame)
        # One walk of the body, from a head state where every name the body rebinds is
        # unknown: what the body does on a later iteration is not trusted at its start.
        head = frame.fork(in_loop=True)
        for name in _rebound_in(node):
            head.env[name] = UNKNOWN
        self._loop_body(node, element, head)
        frame.merge(frame.fork(), head)  # the loop may run zero times
        if node.orelse is not None:
            self.block(_body(node.orelse.body), frame)
        return Flow.NORMAL

    def _loop_body(self, node: Union[cst.For, cst.While], element: Value, frame: Frame) -> None:
        if isinstance(node, cst.For):
            self.bind(node.target, element, frame)
        else:
            self.eval(node.test, frame)
        self.block(_body(node.body), frame)

    def with_statement(self, node: cst.With, frame: Frame) -> int:
        context = frame.context
        for item in node.items:
            value = self.eval(item.item, frame)
            call = item.item
            callee = call.func if isinstance(call, cst.Call) else call
            qual = self.eval(callee, frame).qualname if isinstance(callee, (cst.Name, cst.Attribute)) else None
            if qual in api.GRAD_OFF_CONTEXTS:
                context = _with_grad(context, False)
            elif qual in api.GRAD_ON_CONTEXTS:
                context = _with_grad(context, True)
            elif qual in api.GRAD_SET_CONTEXTS and isinstance(call, cst.Call):
                context = _with_grad(context, _literal_bool(call.args))
            if item.asname is not None:
                self.bind(item.asname.name, UNKNOWN if value.kind is not Kind.TENSOR else value, frame)
        body = frame.fork()
        body.context = context
        flow = self.block(_body(node.body), body)
        frame.env = body.env
        return flow if flow == Flow.EXIT else Flow.NORMAL

    def try_statement(self, node: Union[cst.Try, cst.TryStar], frame: Frame) -> int:
        body = frame.fork()
        body_flow = self.block(_body(node.body), body)
        ends: List[Frame] = []
        if body_flow != Flow.EXIT:
            if node.orelse is not None:
                body_flow = self.block(_body(node.orelse.body), body)
            if body_flow != Flow.EXIT:
                ends.append(body)
        for handler in node.handlers:
            start = frame.fork()
            start.merge(frame.fork(), body)  # the exception may come from anywhere in the body
            handler_frame = start
            if handler.name is not None:
                self.bind(handler.name.name, UNKNOWN, handler_frame)
            if self.block(_body(handler.body), handler_frame) != Flow.EXIT:
                ends.append(handler_frame)
        if not ends:
            flow = Flow.EXIT
            ends = [body]
        else:
            flow = Flow.NORMAL
        frame.merge(*ends)
        if node.finalbody is not None:
            self.block(_body(node.finalbody.body), frame)
        return flow

    # --- expressions --------------------------------------------------------------------

    def eval(self, node: cst.BaseExpression, frame: Frame) -> Value:
        return self.sem.eval(node, frame)

    def eval_slice(self, node: cst.BaseSlice, frame: Frame) -> Value:
        if isinstance(node, cst.Index):
            return self.eval(node.value, frame)
        for part in (node.lower, node.upper, node.step):  # type: ignore[attr-defined]
            if part is not None:
                self.eval(part, frame)
        return UNKNOWN


# --- helpers ----------------------------------------------------------------------------

def _body(node: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    if isinstance(node, cst.IndentedBlock):
        return node.body
    return [node]  # type: ignore[list-item]  # SimpleStatementSuite: `if x: y` on one line


def _guarded(context: Context) -> Context:
    from dataclasses import replace

    return replace(context, cuda_guarded=True)


def _with_grad(context: Context, enabled: Optional[bool]) -> Context:
    from dataclasses import replace

    return replace(context, grad=Tri.UNKNOWN if enabled is None else (Tri.YES if enabled else Tri.NO))


def _literal_bool(args: Sequence[cst.Arg]) -> Optional[bool]:
    if args and isinstance(args[0].value, cst.Name) and args[0].value.value in ("True", "False"):
        return args[0].value.value == "True"
    return None


def _dotted(node: Union[cst.Attribute, cst.Name, cst.BaseExpression]) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _names_in(node: cst.BaseExpression) -> List[str]:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [n for e in node.elements for n in _names_in(e.value)]
    return []


def _names_in_pattern(node: cst.CSTNode) -> List[str]:
    names: List[str] = []
    for current in [node, *descendants(node)]:
        if isinstance(current, (cst.MatchAs, cst.MatchStar)) and current.name is not None:
            names.append(current.name.value)
    return names


def _is_generator(node: cst.FunctionDef) -> bool:
    return any(isinstance(n, cst.Yield) for n in descendants(node.body, into_functions=False))


def _attrs_rebound_outside_init(node: cst.ClassDef) -> Set[str]:
    """``self.<name>`` assigned in a method other than ``__init__``: not trusted anywhere."""
    names: Set[str] = set()
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
    for statement in body:
        if not isinstance(statement, cst.FunctionDef) or statement.name.value == "__init__":
            continue
        for current in descendants(statement.body):
            targets: List[cst.BaseExpression] = []
            if isinstance(current, cst.Assign):
                targets = [t.target for t in current.targets]
            elif isinstance(current, (cst.AugAssign, cst.AnnAssign)):
                targets = [current.target]
            for target in targets:
                for sub in _flatten_targets(target):
                    if isinstance(sub, cst.Attribute) and isinstance(sub.value, cst.Name) and sub.value.value == "self":
                        names.add(sub.attr.value)
    return names


def _rebound_in(node: Union[cst.For, cst.While]) -> Set[str]:
    """Names a loop (target and body) may rebind, nested functions' locals aside."""
    names: Set[str] = set()
    roots: List[cst.CSTNode] = [node.body]
    if isinstance(node, cst.For):
        names.update(_names_in(node.target))
    for current in (n for root in roots for n in descendants(root, into_functions=False)):
        if isinstance(current, cst.AssignTarget):
            names.update(_target_names(current.target))
        elif isinstance(current, (cst.AugAssign, cst.AnnAssign)):
            names.update(_target_names(current.target))
        elif isinstance(current, (cst.For, cst.CompFor)):
            names.update(_target_names(current.target))
        elif isinstance(current, cst.AsName):
            names.update(_target_names(current.name))  # type: ignore[arg-type]
        elif isinstance(current, cst.NamedExpr):
            names.update(_target_names(current.target))
        elif isinstance(current, (cst.FunctionDef, cst.ClassDef)):
            names.add(current.name.value)
        elif isinstance(current, cst.Del):
            names.update(_target_names(current.target))
        elif isinstance(current, cst.ImportAlias):
            names.add(_dotted(current.asname.name if current.asname is not None else current.name).split(".")[0])  # type: ignore[arg-type]
        elif (isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute)
              and isinstance(current.func.value, cst.Name)
              and current.func.attr.value in api.REBINDING_METHODS):
            names.add(current.func.value.value)  # model.double(), t.requires_grad_()
    return names


def _target_names(node: cst.BaseExpression) -> List[str]:
    return [t.value for t in _flatten_targets(node) if isinstance(t, cst.Name)] + [
        t.value.value for t in _flatten_targets(node) if isinstance(t, cst.StarredElement) and isinstance(t.value, cst.Name)]


def _flatten_targets(node: cst.BaseExpression) -> List[cst.BaseExpression]:
    if isinstance(node, (cst.Tuple, cst.List)):
        return [t for e in node.elements for t in _flatten_targets(e.value)]
    return [node]
