"""The interpreter: walks statements in order and keeps abstract values.

It walks the module body once, then every function and method not yet walked.
A function is walked once, with its parameters unknown: the first call of it
(or the end of the module) walks it, emits its findings and keeps the join of
its return values as its summary. Control flow is handled soundly for a linter
that must stay quiet when unsure: branches are joined (only facts both agree
on survive), a loop body starts from a state where every name it rebinds is
unknown, and code after ``return``/``raise``/``sys.exit()`` is dead.

Events at sinks go to the rules through ``emit``; expression semantics (what a
call to ``np.zeros`` or ``.float()`` gives) live in ``semantics.py``.
"""
from __future__ import annotations

import ast
from dataclasses import replace
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

from . import api
from .evaluator import Evaluator
from .events import Context, DatasetItem, ParameterUpdate, SharedWrite, Snapshot
from .scope import ClassInfo, Frame, FunctionInfo
from .source import ImportItem, Item, Opaque
from .values import UNKNOWN, Kind, Origin, Site, Tri, Value, join

Emit = Callable[[object], None]
FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


class Flow:
    """How a block ends: falls through, leaves the function, or leaves the loop."""

    NORMAL = 0
    EXIT = 1  # return / raise / sys.exit: nothing after runs
    LOOP = 2  # break / continue


class Interpreter:
    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self.deferred: List[FunctionInfo] = []
        self._rebound_cache: Dict[int, Set[str]] = {}
        # qualname -> (grad mode, caller) at each call site, for "a helper only called in no_grad".
        self.call_sites: Dict[str, List[Tuple[Context, Optional[str]]]] = {}
        self.freezes_parameters = False  # `p.requires_grad = False` somewhere: grad facts unknown
        self.uses_cuda = False  # the file mentions CUDA: its checkpoints may hold CUDA tensors
        self.saving_functions: Set[Optional[str]] = set()  # functions (None: module) that saved a checkpoint
        self.default_float64 = False
        self.module_frame = Frame(None, Context())
        self.sem = Evaluator(self)

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
            elif self.statement(item, frame) == Flow.EXIT:
                break
        while self.deferred:
            self.ensure_walked(self.deferred.pop(0))

    def emit(self, frame: Frame, event: object) -> None:
        self._emit(event)

    @staticmethod
    def site(node: ast.AST, attr: bool = False) -> Site:
        return Site(node, attr)

    @staticmethod
    def origin(node: ast.AST, label: str = "", attr: bool = False) -> Origin:
        return Origin(label, Site(node, attr))

    # --- functions ----------------------------------------------------------------------

    def walk_function(self, info: FunctionInfo, attr_sink: Optional[Dict[str, Value]] = None) -> Frame:
        # A module-level `assert torch.cuda.is_available()` (or early exit) guards every function.
        guarded = info.guarded or self.module_frame.context.cuda_guarded
        frame = Frame(info.closure, Context(grad=info.grad, cuda_guarded=guarded, function=info.qualname),
                      function=info)
        frame.attr_sink = attr_sink
        args = info.node.args
        positional = list(args.posonlyargs) + list(args.args)
        for arg in positional + list(args.kwonlyargs):
            frame.env[arg.arg] = UNKNOWN
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                frame.env[extra.arg] = UNKNOWN
        if info.owner is not None and positional and not _is_static(info.node):
            frame.self_name = positional[0].arg
            frame.env[frame.self_name] = self.instance_value(info.owner)
        self.block(info.node.body, frame)
        return frame

    def summary(self, info: FunctionInfo) -> Value:
        """The value a call of a function of this file returns (its parameters unknown)."""
        if info.summarizing:
            return UNKNOWN  # recursion
        self.ensure_walked(info)
        if info.summary is None or info.generator:
            return UNKNOWN
        return info.summary

    def ensure_walked(self, info: FunctionInfo) -> None:
        if info.summary is not None or info.summarizing:
            return
        info.summarizing = True
        try:
            owner = info.owner
            sink: Optional[Dict[str, Value]] = {} if owner is not None and info.node.name == "__init__" else None
            frame = self.walk_function(info, attr_sink=sink)
            result: Optional[Value] = None
            for value in frame.returns:
                result = value if result is None else join(result, value)
            info.summary = result if result is not None else Value(kind=Kind.NONE)
            if sink is not None and owner is not None:
                owner.init_attrs = sink
        finally:
            info.summarizing = False

    def record_call(self, qualname: str, frame: Frame) -> None:
        self.call_sites.setdefault(qualname, []).append((frame.context, frame.context.function))

    def grad_off_everywhere(self, qualname: str) -> bool:
        """Every call of the function in this file runs with grad off (directly or via its callers)."""
        return self._all_call_sites(qualname, lambda c: c.grad is Tri.NO, lambda c: c.grad is Tri.YES, set())

    def guarded_everywhere(self, qualname: str) -> bool:
        """Every call of the function in this file is on a CUDA-guarded path."""
        return self._all_call_sites(qualname, lambda c: c.cuda_guarded, lambda c: True, set())

    def _all_call_sites(self, qualname: str, holds: Callable[[Context], bool],
                        may_inherit: Callable[[Context], bool], seen: Set[str]) -> bool:
        if qualname in seen:
            return False
        seen.add(qualname)
        sites = self.call_sites.get(qualname)
        if not sites:
            return False
        for context, caller in sites:
            if holds(context):
                continue
            if may_inherit(context) and caller is not None and self._all_call_sites(caller, holds, may_inherit, seen):
                continue
            return False
        return True

    # --- classes ------------------------------------------------------------------------

    def instance_value(self, cls: ClassInfo) -> Value:
        if cls.is_module:
            dtype = api.FLOAT32 if not cls.casts_self else None
            return Value(kind=Kind.MODULE, qualname=cls.name, dtype=dtype,
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

    def define_class(self, node: ast.ClassDef, frame: Frame) -> None:
        is_module = is_dataset = False
        bases: List[ClassInfo] = []
        for base_node in node.bases:
            if isinstance(base_node, ast.Subscript):
                base_node = base_node.value  # Dataset[tuple], Generic[T]: the class itself
            base = self.eval(base_node, frame)
            if base.kind is Kind.API and base.qualname in api.MODULE_BASES:
                is_module = True
            elif base.kind is Kind.API and base.qualname in api.DATASET_BASES:
                is_dataset = True
            elif base.kind is Kind.CLASS and isinstance(base.definition, ClassInfo):
                bases.append(base.definition)
                is_module = is_module or base.definition.is_module
                is_dataset = is_dataset or base.definition.is_dataset
        qual = node.name if frame.function is None else f"{frame.function.qualname}.{node.name}"
        cls = ClassInfo(qual, node, is_module, bases, is_dataset=is_dataset, cuda_only=_decorated_for_cuda(node),
                        casts_self=is_module and _casts_self(node))
        body_frame = Frame(frame, frame.context, frame.function)
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                cls.methods[statement.name] = self.make_function(statement, body_frame, owner=cls)
            else:
                self.statement(statement, body_frame)
        for name, value in body_frame.env.items():
            if value.kind is not Kind.FUNCTION:
                cls.class_attrs[name] = value
        frame.env[node.name] = Value(kind=Kind.CLASS, qualname=qual, definition=cls)

    def make_function(self, node: FunctionNode, frame: Frame, owner: Optional[ClassInfo] = None) -> FunctionInfo:
        grad = Tri.YES
        # `@unittest.skipIf(not torch.cuda.is_available())`, `@RunIf(min_cuda_gpus=1)`, `@requires_gpu`:
        # the function only runs where CUDA is; and a method named `cuda`/`to` *is* the placement API.
        guarded = (frame.context.cuda_guarded or (owner is not None and owner.cuda_only)
                   or _decorated_for_cuda(node) or node.name in api.PLACEMENT_METHOD_NAMES)
        for decorator in node.decorator_list:
            callee = decorator.func if isinstance(decorator, ast.Call) else decorator
            value = self.eval(callee, frame)
            if value.kind is Kind.API and value.qualname in api.GRAD_OFF_CONTEXTS:
                grad = Tri.NO
        if owner is not None:
            qual = f"{owner.name}.{node.name}"
        elif frame.function is not None:
            qual = f"{frame.function.qualname}.{node.name}"
        else:
            qual = node.name
        # A method's globals are the module's (or enclosing function's), not the class body's.
        closure = frame.parent if owner is not None and frame.parent is not None else frame
        info = FunctionInfo(qual, node, closure, grad, owner, guarded=guarded)
        self.deferred.append(info)
        for default in list(node.args.defaults) + [d for d in node.args.kw_defaults if d is not None]:
            self.eval(default, frame)
        return info

    # --- statements ---------------------------------------------------------------------

    def block(self, statements: Sequence[ast.stmt], frame: Frame) -> int:
        for statement in statements:
            flow = self.statement(statement, frame)
            if flow != Flow.NORMAL:
                return flow
        return Flow.NORMAL

    def statement(self, node: ast.stmt, frame: Frame) -> int:
        kind = type(node)
        if kind is ast.Assign:
            value = self.eval(node.value, frame)  # type: ignore[attr-defined]
            for target in node.targets:  # type: ignore[attr-defined]
                if not self._write_flag(target, node, frame):  # type: ignore[arg-type]
                    self.bind(target, value, frame)
        elif kind is ast.Expr:
            return self.expression_statement(node.value, frame)  # type: ignore[attr-defined]
        elif kind is ast.If:
            return self.if_statement(node, frame)  # type: ignore[arg-type]
        elif kind in (ast.For, ast.AsyncFor, ast.While):
            return self.loop(node, frame)  # type: ignore[arg-type]
        elif kind in (ast.With, ast.AsyncWith):
            return self.with_statement(node, frame)  # type: ignore[arg-type]
        elif kind is ast.Return:
            value = node.value  # type: ignore[attr-defined]
            result = self.eval(value, frame) if value is not None else Value(kind=Kind.NONE)
            frame.returns.append(result)
            function = frame.function
            if function is not None and function.owner is not None and function.owner.is_dataset \
                    and function.node.name == "__getitem__":
                self.emit(frame, DatasetItem(self.site(node), result, frame.context))
            return Flow.EXIT
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef):
            info = self.make_function(node, frame)  # type: ignore[arg-type]
            frame.env[node.name] = Value(kind=Kind.FUNCTION, qualname=info.qualname, definition=info)  # type: ignore[attr-defined]
        elif kind is ast.ClassDef:
            self.define_class(node, frame)  # type: ignore[arg-type]
        elif kind is ast.AugAssign:
            self.aug_assign(node, frame)  # type: ignore[arg-type]
        elif kind is ast.AnnAssign:
            if node.value is not None:  # type: ignore[attr-defined]
                self.bind(node.target, self.eval(node.value, frame), frame)  # type: ignore[attr-defined]
        elif kind is ast.Raise:
            if node.exc is not None:  # type: ignore[attr-defined]
                self.eval(node.exc, frame)  # type: ignore[attr-defined]
            return Flow.EXIT
        elif kind is ast.Assert:
            self.eval(node.test, frame)  # type: ignore[attr-defined]
            if self.sem.is_cuda_test(node.test, frame) is True:  # type: ignore[attr-defined]
                frame.context = replace(frame.context, cuda_guarded=True)
        elif kind in (ast.Break, ast.Continue):
            return Flow.LOOP
        elif kind in (ast.Try, getattr(ast, "TryStar", ast.Try)):
            return self.try_statement(node, frame)  # type: ignore[arg-type]
        elif kind is ast.Delete:
            for target in node.targets:  # type: ignore[attr-defined]
                for name in _target_names(target):
                    frame.env[name] = UNKNOWN
        elif kind is ast.Import or kind is ast.ImportFrom:
            from .source import import_bindings

            for local, qual in import_bindings(node):  # type: ignore[arg-type]
                frame.env[local] = Value(kind=Kind.API, qualname=qual)
        elif kind in (ast.Global, ast.Nonlocal):
            for name in node.names:  # type: ignore[attr-defined]
                frame.env[name] = UNKNOWN
        elif kind.__name__ == "Match":
            return self.match_statement(node, frame)
        return Flow.NORMAL

    def expression_statement(self, value: ast.expr, frame: Frame) -> int:
        if isinstance(value, ast.Call):
            qual = self.sem.qualname_of(value.func, frame)
            if qual in api.EXITS:
                self.eval(value, frame)
                return Flow.EXIT
            if qual in api.GRAD_SET_CONTEXTS:
                frame.context = _with_grad(frame.context, _literal_bool(value.args))
        self.eval(value, frame)
        return Flow.NORMAL

    def aug_assign(self, node: ast.AugAssign, frame: Frame) -> None:
        left = self.eval(node.target, frame)
        right = self.eval(node.value, frame)
        result = self.sem.binary(node.op, left, right, node, frame)
        in_place = left.kind in (Kind.NDARRAY, Kind.TENSOR)
        target = node.target.value if isinstance(node.target, ast.Subscript) else node.target
        if in_place and isinstance(target, ast.Name):
            self.in_place(target.id, node, frame)  # `t += 1` writes the tensor/array itself
            if left.param_view:
                self.emit(frame, ParameterUpdate(self.site(node), frame.context))
            result = result.with_(shares_with=left.shares_with, shared_at=left.shared_at, param_view=left.param_view)
        if isinstance(node.target, ast.Name):
            frame.env[node.target.id] = result
        elif self._is_self_attr(node.target, frame) and frame.attr_sink is not None:
            frame.attr_sink[node.target.attr] = UNKNOWN  # type: ignore[attr-defined]

    def in_place(self, name: str, node: ast.AST, frame: Frame) -> None:
        """An in-place write to ``name``: if it shares memory, its partner waits for a read."""
        share = frame.aliases.get(name)
        if share is not None:
            partner, shared_at = share
            frame.pending_writes[partner] = (self.site(node), name, shared_at)

    def read(self, name: str, node: ast.AST, frame: Frame) -> None:
        """A read of ``name`` after an in-place write to the name it shares memory with."""
        pending = frame.pending_writes.pop(name, None)
        if pending is not None:
            site, written, shared_at = pending
            self.emit(frame, SharedWrite(site, written, name, shared_at, self.site(node), frame.context))

    def _write_flag(self, target: ast.expr, node: ast.Assign, frame: Frame) -> bool:
        """``a.flags.writeable = False``: from here on ``a`` is read-only."""
        if (isinstance(target, ast.Attribute) and target.attr == "writeable"
                and isinstance(target.value, ast.Attribute) and target.value.attr == "flags"
                and isinstance(target.value.value, ast.Name)):
            name = target.value.value.id
            array = frame.lookup(name)
            if array is not None and array.kind is Kind.NDARRAY:
                literal = node.value.value if isinstance(node.value, ast.Constant) else None
                readonly = Tri.YES if literal is False else (Tri.NO if literal is True else Tri.UNKNOWN)
                frame.env[name] = array.with_(readonly=readonly, origin=self.origin(node) if readonly is Tri.YES else array.origin)
            return True
        return False

    def _is_self_attr(self, node: ast.expr, frame: Frame) -> bool:
        return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and frame.self_name is not None and node.value.id == frame.self_name)

    def bind(self, target: ast.expr, value: Value, frame: Frame) -> None:
        if isinstance(target, ast.Name):
            name = target.id
            frame.env[name] = value
            # The old object's memory shares no longer concern this name.
            frame.aliases.pop(name, None)
            for key, (partner, _) in list(frame.aliases.items()):
                if partner == name:
                    del frame.aliases[key]
            frame.pending_writes.pop(name, None)
            if value.shares_with is not None and value.shares_with != name:
                frame.aliases[name] = (value.shares_with, value.shared_at)
                frame.aliases[value.shares_with] = (name, value.shared_at)
        elif isinstance(target, (ast.Tuple, ast.List)):
            elements = target.elts
            known = value.elements if value.kind is Kind.SEQUENCE else None
            starred = any(isinstance(e, ast.Starred) for e in elements)
            exact = known is not None and not starred and len(known) == len(elements)
            for i, element in enumerate(elements):
                self.bind(element, known[i] if exact else UNKNOWN, frame)  # type: ignore[index]
        elif isinstance(target, ast.Starred):
            self.bind(target.value, UNKNOWN, frame)
        elif isinstance(target, ast.Attribute):
            self.eval(target.value, frame)
            if self._is_self_attr(target, frame) and frame.attr_sink is not None:
                old = frame.attr_sink.get(target.attr)
                frame.attr_sink[target.attr] = value if old is None else join(old, value)
            if value.param_view:
                self.emit(frame, Snapshot(self.site(target), None, value, frame.context))
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value, frame)
            self.eval(target.slice, frame)
            if isinstance(target.value, ast.Name) and container.kind in (Kind.NDARRAY, Kind.TENSOR):
                self.in_place(target.value.id, target, frame)
            if value.param_view:
                self.emit(frame, Snapshot(self.site(target), _name_of(target.value), value, frame.context))

    def if_statement(self, node: ast.If, frame: Frame) -> int:
        self.eval(node.test, frame)
        guard = self.sem.is_cuda_test(node.test, frame)
        then_frame = frame.fork(**({"cuda_guarded": True} if guard is True else {"cuda_absent": True} if guard is False else {}))
        then_flow = self.block(node.body, then_frame)
        else_frame = frame.fork(**({"cuda_guarded": True} if guard is False else {"cuda_absent": True} if guard is True else {}))
        else_flow = self.block(node.orelse, else_frame)
        if then_flow == Flow.EXIT and else_flow == Flow.EXIT:
            return Flow.EXIT
        # A branch that leaves by break/continue still carries its values to the loop
        # head, so only a real exit drops a branch from the join.
        frame.merge(*[f for f, flow in ((then_frame, then_flow), (else_frame, else_flow)) if flow != Flow.EXIT])
        # `if not torch.cuda.is_available(): raise/return/continue` guards the rest of the block.
        then_leaves, else_leaves = then_flow != Flow.NORMAL, else_flow != Flow.NORMAL
        if (then_leaves and not else_leaves and guard is False) or (else_leaves and not then_leaves and guard is True):
            frame.context = replace(frame.context, cuda_guarded=True)
        return Flow.NORMAL

    def loop(self, node: Union[ast.For, ast.AsyncFor, ast.While], frame: Frame) -> int:
        element = UNKNOWN
        if isinstance(node, ast.While):
            self.eval(node.test, frame)
        else:
            element = self.sem.element_of(self.eval(node.iter, frame))
        # One walk of the body, from a head state where every name the body rebinds is
        # unknown: what the body does on a later iteration is not trusted at its start.
        rebound = _rebound_in(node, self._rebound_cache)
        head = frame.fork(loops=frame.context.loops + ((id(node), frozenset(rebound)),))
        for name in rebound:
            head.env[name] = UNKNOWN
        if isinstance(node, ast.While):
            self.eval(node.test, head)
        else:
            self.bind(node.target, element, head)
        self.block(node.body, head)
        frame.merge(frame.fork(), head)  # the loop may run zero times
        self.block(node.orelse, frame)
        return Flow.NORMAL

    def with_statement(self, node: Union[ast.With, ast.AsyncWith], frame: Frame) -> int:
        context = frame.context
        for item in node.items:
            value = self.eval(item.context_expr, frame)
            call = item.context_expr
            qual = self.sem.qualname_of(call.func if isinstance(call, ast.Call) else call, frame)
            if _expects_error(call):
                context = replace(context, expects_error=True)
            elif qual in api.GRAD_OFF_CONTEXTS:
                context = _with_grad(context, False)
            elif qual in api.GRAD_ON_CONTEXTS:
                context = _with_grad(context, True)
            elif qual in api.GRAD_SET_CONTEXTS and isinstance(call, ast.Call):
                context = _with_grad(context, _literal_bool(call.args))
            elif value.kind is Kind.API and value.qualname in api.GRAD_CONTEXT_OBJECTS:
                context = _with_grad(context, api.GRAD_CONTEXT_OBJECTS[value.qualname])
            if item.optional_vars is not None:
                # `with Image.open(p) as img:` binds the image; other context managers stay unknown.
                keeps = value.kind is Kind.TENSOR or (value.kind is Kind.API and value.qualname == api.PIL_IMAGE)
                self.bind(item.optional_vars, value if keeps else UNKNOWN, frame)
        body = frame.fork()
        body.context = context
        flow = self.block(node.body, body)
        frame.merge(body)
        return flow if flow == Flow.EXIT else Flow.NORMAL

    def try_statement(self, node: ast.Try, frame: Frame) -> int:
        # `try: model.cuda() except RuntimeError: ...` handles a missing GPU.
        catches = any(self.sem.catches_cuda_errors(h.type, frame) for h in node.handlers)
        body = frame.fork(**({"cuda_guarded": True} if catches else {}))
        body_flow = self.block(node.body, body)
        ends: List[Frame] = []
        if body_flow != Flow.EXIT:
            if self.block(node.orelse, body) != Flow.EXIT:
                ends.append(body)
        for handler in node.handlers:
            start = frame.fork()
            start.merge(frame.fork(), body)  # the exception may come from anywhere in the body
            if handler.type is not None:
                self.eval(handler.type, start)
            if handler.name:
                start.env[handler.name] = UNKNOWN
            if self.block(handler.body, start) != Flow.EXIT:
                ends.append(start)
        flow = Flow.NORMAL if ends else Flow.EXIT
        frame.merge(*(ends or [body]))
        if node.finalbody and self.block(node.finalbody, frame) == Flow.EXIT:
            return Flow.EXIT
        return flow

    def match_statement(self, node: ast.AST, frame: Frame) -> int:
        self.eval(node.subject, frame)  # type: ignore[attr-defined]
        branches = []
        for case in node.cases:  # type: ignore[attr-defined]
            branch = frame.fork()
            for sub in ast.walk(case.pattern):
                name = getattr(sub, "name", None)
                if isinstance(name, str):
                    branch.env[name] = UNKNOWN
            if self.block(case.body, branch) != Flow.EXIT:
                branches.append(branch)
        branches.append(frame.fork())
        frame.merge(*branches)
        return Flow.NORMAL

    # --- expressions --------------------------------------------------------------------

    def eval(self, node: ast.expr, frame: Frame) -> Value:
        return self.sem.eval(node, frame)


# --- helpers ----------------------------------------------------------------------------

def _decorated_for_cuda(node: Union[FunctionNode, ast.ClassDef]) -> bool:
    """A decorator that names CUDA or a GPU: the definition runs only where one is."""
    for decorator in node.decorator_list:
        try:
            text = ast.unparse(decorator).lower()
        except Exception:  # noqa: BLE001 - an odd decorator is simply not a guard
            continue
        if "cuda" in text or "gpu" in text:
            return True
    return False


def _is_static(node: FunctionNode) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod") for d in node.decorator_list)


def _expects_error(node: ast.expr) -> bool:
    """``self.assertRaises(E)``, ``pytest.raises(E)`` (also ``from pytest import raises``)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        if func.attr in api.EXPECTED_ERROR_METHODS:
            return True
        return isinstance(func.value, ast.Name) and f"{func.value.id}.{func.attr}" in api.EXPECTED_ERROR_FUNCTIONS
    return isinstance(func, ast.Name) and func.id == "raises"


def _with_grad(context: Context, enabled: Optional[bool]) -> Context:
    return replace(context, grad=Tri.UNKNOWN if enabled is None else (Tri.YES if enabled else Tri.NO))


def _literal_bool(args: Sequence[ast.expr]) -> Optional[bool]:
    if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, bool):
        return args[0].value
    return None


def _attrs_rebound_outside_init(node: ast.ClassDef) -> Set[str]:
    """``self.<name>`` assigned in a method other than ``__init__``: not trusted anywhere."""
    names: Set[str] = set()
    for statement in node.body:
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) or statement.name == "__init__":
            continue
        for current in ast.walk(statement):
            if isinstance(current, ast.Attribute) and isinstance(current.ctx, ast.Store):
                if isinstance(current.value, ast.Name) and current.value.id == "self":
                    names.add(current.attr)
            elif isinstance(current, ast.AugAssign) and isinstance(current.target, ast.Attribute):
                target = current.target
                if isinstance(target.value, ast.Name) and target.value.id == "self":
                    names.add(target.attr)
    return names


def _casts_self(node: ast.ClassDef) -> bool:
    """A module class that moves itself (`self.double()`, `self.to(dtype)`): its dtype is not float32."""
    for current in ast.walk(node):
        if (isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute)
                and isinstance(current.func.value, ast.Name) and current.func.value.id == "self"
                and current.func.attr in ("double", "half", "bfloat16", "to", "type")):
            return True
    return False


_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _rebound_in(node: Union[ast.For, ast.AsyncFor, ast.While], cache: Dict[int, Set[str]]) -> Set[str]:
    """Names a loop (target and body) may rebind, nested functions' locals aside.

    Memoized per loop, and a nested loop's names are reused, so each node is visited once
    however deep the loops nest.
    """
    cached = cache.get(id(node))
    if cached is not None:
        return cached
    names: Set[str] = set()
    stack: List[ast.AST] = list(node.body) + ([] if isinstance(node, ast.While) else [node.target])
    while stack:
        current = stack.pop()
        if isinstance(current, _LOOPS):
            names |= _rebound_in(current, cache)
            if isinstance(current, ast.While):
                stack.append(current.test)
            else:
                stack.append(current.iter)
            stack.extend(current.orelse)
            continue
        if isinstance(current, ast.Name):
            if not isinstance(current.ctx, ast.Load):
                names.add(current.id)
            continue
        if isinstance(current, _SCOPES):
            if not isinstance(current, ast.Lambda):
                names.add(current.name)
            continue
        if isinstance(current, ast.ExceptHandler) and current.name:
            names.add(current.name)
        elif isinstance(current, ast.alias):
            names.add((current.asname or current.name).split(".")[0])
        elif (isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute)
              and isinstance(current.func.value, ast.Name) and current.func.attr in api.REBINDING_METHODS):
            names.add(current.func.value.id)  # model.double(), t.requires_grad_()
        stack.extend(ast.iter_child_nodes(current))
    cache[id(node)] = names
    return names


def _name_of(node: ast.expr) -> Optional[str]:
    return node.id if isinstance(node, ast.Name) else None


def _target_names(node: ast.expr) -> List[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]
