"""The interpreter: walks statements in order and keeps abstract values.

It walks the module body once, then every function and method not yet walked
(``functions.py``: summaries, walks per call's arguments, call sites;
``classes.py``: instances and what ``self.<name>`` holds). Control flow is
handled soundly for a linter that must stay quiet when unsure: branches are
joined (only facts both agree on survive), a loop body is walked from the state
that holds at the head of every iteration (iterated to a fixpoint; names that
keep changing are widened to unknown), and code after
``return``/``raise``/``sys.exit()`` is dead.

Events at sinks go to the rules through ``emit``; expression semantics (what a
call to ``np.zeros`` or ``.float()`` gives) live in ``evaluator.py`` and its domain models.
"""
from __future__ import annotations

import ast
import itertools
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple, Union

from . import api, conditions, containers, effects, guards, process_groups
from .classes import ClassModel
from .arguments import grad_mode_of
from .evaluator import Evaluator, literal_number, none_test
from .functions import FunctionWalks
from .events import Context, DatasetItem, InPlaceWrite, ParameterUpdate, SharedWrite, Snapshot
from .guards import GuardFlags, constant_truth
from .promotion import numpy_result_dtype
from .kept import kept_for_later
from .nodes import walk
from .scope import (ClassInfo, Frame, FunctionInfo, attribute_key, escape_self_writes, instance_relative, sibling_position,
                    sibling_share, storage_key)
from .source import ImportItem, Item, Opaque, statements
from .values import UNKNOWN, Device, Kind, Origin, Site, Tri, Value, is_array_like, join, unpacked, updated_since

if TYPE_CHECKING:
    from .evidence import CheckpointEvidence
    from .project import Project

Emit = Callable[[object], None]
#: walks of a loop body beyond the first before names still changing are widened to unknown.
LOOP_PASSES = 3
#: extra loop walks per file (deeply nested loops whose state keeps changing stay linear).
LOOP_BUDGET = 400
_SERIALS = itertools.count()
FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


class Flow:
    """How a block ends: falls through, leaves the function, or leaves the loop."""

    NORMAL = 0
    EXIT = 1  # return / raise / sys.exit: nothing after runs
    LOOP = 2  # break / continue


class Interpreter:
    def __init__(self, emit: Emit, project: Optional["Project"] = None) -> None:
        self._emit = emit
        self.project = project  # this file's view of its project's modules (None: not followed)
        self.deferred: List[FunctionInfo] = []
        self._rebound_cache: Dict[int, Set[str]] = {}
        self._augmented_cache: Dict[int, Set[str]] = {}
        self._loop_nodes: Dict[int, Union[ast.For, ast.AsyncFor, ast.While]] = {}
        self._entered_modes: Dict[int, Tuple[ast.AST, Optional[Tri]]] = {}  # see _entered_grad_mode
        self._kept_cache: Dict[int, FrozenSet[str]] = {}
        self.module_tree: Optional[ast.Module] = None  # the linted file's tree (names kept by loops)
        self._lambdas: Dict[int, FunctionInfo] = {}
        self.freezes_parameters = False  # `p.requires_grad = False` somewhere: grad facts unknown
        self.frozen_classes: FrozenSet[str] = frozenset()  # classes that freeze only their own parameters
        self.rebound_globals: FrozenSet[str] = frozenset()  # names a function declares `global` (engine/__init__.py)
        # NTL302's evidence (CUDA use, save sites) for the linted file; None for a project module's walk.
        self.checkpoints: Optional["CheckpointEvidence"] = None
        self.guard_flags = GuardFlags(None)  # what the file's assignments say about the flags guards test
        self.saving_functions: Set[Optional[str]] = set()  # functions (None: module) that saved a checkpoint
        self.default_float64 = False
        # The grad mode code of this file runs in unless it says otherwise: on, or not known where
        # the file's package turns it off when imported (project.package_settings).
        self.grad_default = Tri.YES
        if project is not None:
            self.default_float64, grad_off = project.package_settings()
            self.grad_default = Tri.UNKNOWN if grad_off else Tri.YES
        self.module_frame = Frame(None, Context(grad=self.grad_default))
        # Events of a loop pass wait here until the pass is known to start from a fixpoint.
        self._buffer: Optional[List[object]] = None
        # Extra loop passes left for this file: bounds the work on deeply nested loops.
        self._loop_budget = LOOP_BUDGET
        self.serial = next(_SERIALS)  # tells this walk's interpreter from any other in the process
        self.sem = Evaluator(self)
        self.functions = FunctionWalks(self)
        self.classes = ClassModel(self)

    # --- entry points -------------------------------------------------------------------

    def run(self, items: Sequence[Item], every_function: Union[bool, Callable[[FunctionInfo], bool]] = True) -> None:
        """Walk the module body, then (``every_function``) each function not yet walked, or those
        the predicate keeps. A project module read for its importer leaves its functions to be
        walked when the importer uses them; a caller walked for a helper, those that name it."""
        frame = self.module_frame
        for item in items:
            if isinstance(item, ImportItem):
                for local, qual in item.bindings:
                    frame.env[local] = self.imported(qual)
                if item.star is not None and self.project is not None:
                    frame.env.update(self.project.star_names(item.star))
            elif isinstance(item, Opaque):
                for name in item.binds:
                    frame.env[name] = UNKNOWN
            elif self.statement(item, frame) == Flow.EXIT:
                break
        while every_function and self.deferred:
            info = self.deferred.pop(0)
            if every_function is True or (callable(every_function) and every_function(info)):
                self.functions.ensure_walked(info)

    @contextmanager
    def events_into(self, buffer: Optional[List[object]]) -> Iterator[Optional[List[object]]]:
        """While the block runs, events go to ``buffer`` (``None``: straight to the rules)."""
        saved, self._buffer = self._buffer, buffer
        try:
            yield buffer
        finally:
            self._buffer = saved

    def parameters_may_be_frozen(self) -> bool:
        """This file, or a project module it imports (``from utils import freeze``), sets some
        ``requires_grad`` to False: which parameters still need grad is decided at run time."""
        if self.freezes_parameters:
            return True
        project = self.project
        return project is not None and any(summary.interpreter.freezes_parameters for summary in project.used
                                           if summary not in project.callers)

    def emit(self, frame: Frame, event: object) -> None:
        if isinstance(event, ParameterUpdate):
            # what this frame keeps of the parameters (a snapshot dict, an instance's anchors)
            # holds their new values from here on
            for name, value in list(frame.env.items()):
                marked = updated_since(value, event.site)
                if marked is not value:
                    frame.env[name] = marked
        if self._buffer is not None:
            self._buffer.append(event)  # a loop pass that may yet be discarded
        else:
            self._emit(event)

    @staticmethod
    def site(node: ast.AST, attr: bool = False) -> Site:
        return Site(node, attr)

    @staticmethod
    def origin(node: ast.AST, label: str = "", attr: bool = False) -> Origin:
        return Origin(label, Site(node, attr))

    @staticmethod
    def moved_origin(node: ast.AST, label: str, frame: Frame, device: Optional[Value] = None) -> Origin:
        """Where a value is moved to CUDA, with the flag tests that hold there (and those the
        device value itself needs to be CUDA: ``"cuda" if use_gpu else "cpu"``)."""
        when = frame.context.conditions
        configured = False
        if device is not None and device.device is Device.MAYBE_CUDA and device.origin is not None:
            when = when | device.origin.when
            configured = device.origin.configured
        return conditions.moved_under(Origin(label, Site(node), configured=configured), when)

    # --- what the evaluator asks (see walker.Walker) ------------------------------------

    def summary(self, info: FunctionInfo) -> Value:
        return self.functions.summary(info)

    def call_with(self, info: FunctionInfo, args: Sequence[Any], frame: Frame, bound_self: bool,
                  call: ast.Call, receiver: Optional[Value] = None) -> Value:
        return self.functions.call_with(info, args, frame, bound_self, call, receiver)

    def record_call(self, qualname: str, frame: Frame, constants: Optional[Dict[str, str]] = None) -> None:
        self.functions.record_call(qualname, frame, constants)

    def constructed(self, init: FunctionInfo, instance: Value, args: Sequence[Any], frame: Frame) -> Value:
        return self.functions.constructed(init, instance, args, frame)

    def walked_on(self, info: FunctionInfo, instance: Value, frame: Frame) -> Optional[Dict[str, Value]]:
        return self.functions.walked_on(info, instance, frame)

    def class_attrs(self, cls: ClassInfo) -> Dict[str, Value]:
        return self.classes.class_attrs(cls)

    def define_lambda(self, node: ast.Lambda, frame: Frame) -> Value:
        """``lambda a: torch.from_numpy(a)``: a function whose body returns the expression (one per
        lambda node, however often a loop walks it)."""
        info = self._lambdas.get(id(node))
        if info is None:
            body = ast.copy_location(ast.Return(value=node.body), node.body)
            function = ast.FunctionDef(name="<lambda>", args=node.args, body=[body], decorator_list=[], returns=None)
            setattr(function, "type_params", [])  # a field since Python 3.12
            ast.copy_location(function, node)
            info = self.functions.make_function(function, frame)
            self._lambdas[id(node)] = info
        return Value(kind=Kind.FUNCTION, qualname=info.qualname, definition=info)

    def instance_value(self, cls: ClassInfo) -> Value:
        return self.classes.instance_value(cls)

    def frozen_class(self, cls: ClassInfo) -> bool:
        return self.classes.frozen(cls)

    def may_hold_frozen(self, module: Value) -> bool:
        """Some parameters of the module may be frozen: by a freeze anywhere in reach
        (parameters_may_be_frozen), or by a class that freezes its own (classes.may_hold_frozen)."""
        if self.parameters_may_be_frozen():
            return True
        project = self.project
        scoped = bool(self.frozen_classes) or (project is not None and any(
            summary.interpreter.frozen_classes for summary in project.used if summary not in project.callers))
        return scoped and self.classes.may_hold_frozen(module)

    # --- statements ---------------------------------------------------------------------

    def block(self, statements: Sequence[ast.stmt], frame: Frame) -> int:
        for statement in statements:
            flow = self.statement(statement, frame)
            if flow != Flow.NORMAL:
                return flow
        return Flow.NORMAL

    def statement(self, node: ast.stmt, frame: Frame) -> int:
        if isinstance(node, ast.Assign):
            value = self.eval(node.value, frame)
            for target in node.targets:
                if not (self._write_flag(target, node, frame) or self._requires_grad_flag(target, node, frame)):
                    self.bind(target, value, frame, source=node.value)
        elif isinstance(node, ast.Expr):
            return self.expression_statement(node.value, frame)
        elif isinstance(node, ast.If):
            return self.if_statement(node, frame)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            return self.loop(node, frame)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            return self.with_statement(node, frame)
        elif isinstance(node, ast.Return):
            return self.return_statement(node, frame)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info = self.functions.make_function(node, frame)
            frame.env[node.name] = Value(kind=Kind.FUNCTION, qualname=info.qualname, definition=info)
        elif isinstance(node, ast.ClassDef):
            self.classes.define_class(node, frame)
        elif isinstance(node, ast.AugAssign):
            self.aug_assign(node, frame)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.eval(node.value, frame), frame)
        elif isinstance(node, ast.Raise):
            if node.exc is not None:
                self.eval(node.exc, frame)
            return Flow.EXIT
        elif isinstance(node, ast.Assert):
            self.eval(node.test, frame)
            held, _ = self.sem.branch_premises(node.test, frame, self.sem.is_cuda_test(node.test, frame))
            if held:
                frame.context = replace(frame.context, **held)
        elif isinstance(node, (ast.Break, ast.Continue)):
            return Flow.LOOP
        elif isinstance(node, _TRY_STATEMENTS):
            return self.try_statement(node, frame)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                for name in _target_names(target):
                    frame.env[name] = UNKNOWN
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.import_statement(node, frame)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                frame.env[name] = UNKNOWN
        elif _MATCH is not None and isinstance(node, _MATCH):
            return self.match_statement(node, frame)
        return Flow.NORMAL

    def return_statement(self, node: ast.Return, frame: Frame) -> int:
        result = self.eval(node.value, frame) if node.value is not None else Value(kind=Kind.NONE)
        if isinstance(node.value, (ast.Tuple, ast.List)) and frame.function is not None:
            result = _siblings_named(result, node.value, frame.function)
        frame.returns.append(result)
        function = frame.function
        if function is not None and frame.pending_writes:
            parameters = effects.unrebound_parameters(function)
            written = result.shares_with
            if written is not None and written in frame.pending_writes and written in parameters:
                # returns the view it wrote through: its caller's argument changed with it
                frame.escaping_writes.setdefault(written, frame.pending_writes[written])
            if result.kind is not Kind.NONE and not function.node.name.endswith("_"):
                # A function that computes a value (`preprocess(obs)` returning a tensor, a baseline
                # returning a score) and wrote through a view of a parameter on the way changed its
                # caller's argument as a side effect: the caller's later read sees the write. (A
                # procedure returning nothing, or named `normalize_`, writes on purpose.)
                for partner in parameters.intersection(frame.pending_writes):
                    frame.escaping_writes.setdefault(partner, frame.pending_writes[partner])
        escape_self_writes(frame)
        frame.exits_guarded.append(frame.context.cuda_guarded)
        if function is not None and function.owner is not None and function.owner.is_dataset \
                and function.node.name == "__getitem__":
            self.emit(frame, DatasetItem(self.site(node), result, frame.context, function.owner))
        return Flow.EXIT

    def import_statement(self, node: Union[ast.Import, ast.ImportFrom], frame: Frame) -> None:
        from .source import import_bindings, star_import

        for local, qual in import_bindings(node):
            frame.env[local] = self.imported(qual)
        star = star_import(node)
        if star is not None and self.project is not None:
            frame.env.update(self.project.star_names(star))

    def imported(self, qualname: str) -> Value:
        """An imported name: a project module's function, class or value, else an API name."""
        found = self.project_value(qualname)
        return found if found is not None else Value(kind=Kind.API, qualname=qualname)

    def project_value(self, qualname: str) -> Optional[Value]:
        if self.project is None:
            return None
        return self.project.value(qualname)

    def expression_statement(self, value: ast.expr, frame: Frame) -> int:
        if isinstance(value, ast.Call):
            qual = self.sem.qualname_of(value.func, frame)
            if qual in api.EXITS:
                self.eval(value, frame)
                return Flow.EXIT
            if qual in api.GRAD_SET_CONTEXTS:  # torch.set_grad_enabled(False) as a statement
                frame.context = replace(frame.context, grad=grad_mode_of(qual, value) or Tri.UNKNOWN)
            if process_groups.initializes_process_group(value):
                # What follows runs in an initialized process group; one made with NCCL needs GPUs.
                self.eval(value, frame)
                if process_groups.backend_needs_cuda(value, frame.function.node if frame.function else None):
                    frame.context = replace(frame.context, cuda_guarded=True)
                else:
                    frame.context = replace(frame.context, distributed=True)
                return Flow.NORMAL
            helper = self.sem.premises.function_called(value.func, frame)
            if helper is not None and not frame.context.cuda_guarded:
                self.eval(value, frame)
                self.functions.ensure_walked(helper)
                if helper.returns_only_with_cuda:
                    frame.context = replace(frame.context, cuda_guarded=True)  # it returns only where a GPU is
                return Flow.NORMAL
            moved = _moved_by_chain(value)
            if moved is not None and (isinstance(moved, ast.Name) or self._is_self_attr(moved, frame)):
                # `self.net.cuda()`, `self.net.to(device).eval()`: module methods that return the
                # module itself, one of them a move, as a statement
                self.placed_in_place(moved, value, frame)
                return Flow.NORMAL
        self.eval(value, frame)
        return Flow.NORMAL

    def placed_in_place(self, holder: ast.expr, call: ast.Call, frame: Frame) -> None:
        """``model.to(device)`` / ``self.net.cuda()`` as a statement, its result dropped.

        Only a module changes in place: a module held by a name or by ``self`` is now where (and
        in the dtype) the call put it. An object of unknown kind moved this way is taken for a
        module on that device (the statement would do nothing to a tensor, and a tensor cannot
        be called): a call of it with an input there computes there."""
        before = self.eval(holder, frame)
        result = self.eval(call, frame)
        if isinstance(holder, ast.Name) and before.kind is not None:
            chained = isinstance(call.func, ast.Attribute) and call.func.value is not holder
            if chained and before.kind is Kind.MODULE and result.kind is Kind.MODULE:
                frame.env[holder.id] = result  # model.eval().cuda(): the chain's module is the name's
            return  # a module named so is rebound by the method itself; anything else is unchanged
        if before.kind is Kind.MODULE and result.kind is Kind.MODULE:
            moved = result
        elif before.kind is None and before.device is None and result.kind is None and result.device is not None:
            moved = Value(kind=Kind.MODULE, device=result.device, device_origin=result.device_origin)
        else:
            return
        if isinstance(holder, ast.Attribute) and frame.attr_sink is not None:
            # What the class's other methods read joins every store of this walk, and the move
            # may be on one branch only (`if self.gpu_mode: self.G.cuda()`): a module stored
            # before is joined with its moved self. An object of unknown kind stored before is
            # replaced (its join with anything is unknown): where it was not moved, it is not
            # on the device its inputs are, and a call of it says nothing.
            stored = frame.attr_sink.get(holder.attr)
            frame.attr_sink[holder.attr] = join(stored, moved) if stored is not None and stored.kind is Kind.MODULE else moved
            frame.env[attribute_key(holder)] = moved
        else:
            self.bind(holder, moved, frame)

    def aug_assign(self, node: ast.AugAssign, frame: Frame) -> None:
        left = self.eval(node.target, frame)
        right = self.eval(node.value, frame)
        result = self.sem.binary(node.op, left, right, node, frame)
        # a name of unknown kind that shares memory with a tensor (`X_t = torch.from_numpy(X)`: a
        # share is recorded only for an array) is an array: `X -= m` writes it in place
        in_place = left.kind in (Kind.NDARRAY, Kind.TENSOR) or (
            left.kind is None and isinstance(node.target, ast.Name) and node.target.id in frame.aliases)
        target = node.target.value if isinstance(node.target, ast.Subscript) else node.target
        if in_place and not isinstance(node.target, ast.Subscript):
            # `w -= lr * g` writes w itself: its dtype, device and grad flags stay (under no_grad
            # too); a dtype the result cannot be cast back to raises, so w keeps its own.
            result = left.with_(origin=left.origin)
        written = storage_key(target)
        if in_place and written is not None:
            # `t += 1` writes the tensor/array itself (`data.x -= m`: see in_place)
            self.in_place(written, node, frame, None if isinstance(node.target, ast.Subscript) else left)
            if left.param_view:
                self.emit(frame, ParameterUpdate(self.site(node), frame.context))
            result = result.with_(shares_with=left.shares_with, shared_at=left.shared_at, param_view=left.param_view)
        if is_array_like(left) and isinstance(node.target, ast.Name):
            # An array-like of known dtype (``x = img.astype(np.float64)``) updated by an operand
            # that cannot widen it keeps its dtype, in place or rebound; one that could widen it
            # leaves it unknown (an ndarray keeps its dtype in place, a NumPy scalar widens).
            same = numpy_result_dtype(left.with_(kind=Kind.NDARRAY), right, node.op) == left.dtype
            result = Value(dtype=left.dtype, origin=left.origin) if same else UNKNOWN
        if isinstance(node.target, ast.Name):
            frame.env[node.target.id] = result
        elif isinstance(node.target, ast.Subscript) and isinstance(target, ast.Name):
            container = frame.lookup(target.id)
            key = containers.constant_key(node.target.slice)
            if container is not None and container.kind is Kind.DICT:  # d["x"] += 1: the dict's value changes
                frame.env[target.id] = containers.stored(container, key, result)
            elif container is not None and container.kind is Kind.OBJECT:
                frame.env[target.id] = containers.stored_in_object(container, key, result)
            elif container is not None and container.kind is Kind.SEQUENCE:
                frame.env[target.id] = containers.stored_in_list(container, key, result)
        elif (isinstance(node.target, ast.Attribute) and self._is_self_attr(node.target, frame)
              and frame.attr_sink is not None):
            if left.kind is not None or right.kind in (Kind.SEQUENCE, Kind.DICT):
                frame.attr_sink[node.target.attr] = UNKNOWN
            # else `self.count += hits` of a value not known here (the class's join is being made) adds
            # no store of its own: a tensor or array is updated in place, the same object; what it is
            # comes from the plain stores, and anything else is unknown (ClassModel.class_attrs)
            frame.env[attribute_key(node.target)] = UNKNOWN

    def _rebind_share(self, key: str, value: Value, frame: Frame) -> None:
        """``key = value``: the old object's memory shares no longer concern ``key``; the new
        value's share (``t = torch.from_numpy(a)``, ``self.x = torch.from_numpy(self.raw)``) does."""
        frame.aliases.pop(key, None)
        for other, (partner, _) in list(frame.aliases.items()):
            if partner == key:
                del frame.aliases[other]
        frame.pending_writes.pop(key, None)
        shared = value.shares_with
        if shared is not None and shared != key and not shared.startswith(".") and sibling_position(shared) is None:
            frame.aliases[key] = (shared, value.shared_at)
            frame.aliases[shared] = (key, value.shared_at)

    def in_place(self, name: str, node: ast.AST, frame: Frame, value: Optional[Value] = None,
                 overwrite: bool = False, clears: bool = False) -> None:
        """An in-place write to ``name``: if it shares memory, its partner waits for a read.

        An attribute written (``data.x``, ``self.x``) may share with another attribute of its
        instance (``value``, the attribute read: ``data.raw``, stored by a method of its class).
        An instance that keeps both sides is often a buffer filled on purpose (an environment's
        observations written into the array its tensor views): there, only a write that
        transforms the data counts (``x.sub_(m)``, ``x *= s``), not one that fills it
        (``overwrite``: an item assigned, ``copy_``, ``fill_``). A clear of the whole attribute
        (``clears``: ``self.obs.fill(0.0)``, ``self.obs[:] = 0``) while a tensor of this function views
        it is no refill: what the function reads through that view afterwards is zeros."""
        if frame.context.loops or (frame.self_name is not None and name.startswith(frame.self_name + ".")):
            # (a method's writes to its own attributes are kept even outside a loop: a call of it in a
            # caller's loop writes them there, see FunctionWalks._writes_on_receiver)
            self.emit(frame, InPlaceWrite(self.site(node), name, frame.context))
        share = frame.aliases.get(name)
        if share is None and value is not None and value.shares_with is not None and "." in name \
                and not value.shares_with.startswith(".") and frame.lookup(value.shares_with) is None:
            share = (value.shares_with, value.shared_at)  # not rebound on this path since
        if share is None and "." in name:
            share = self._viewed_by_another_attribute(name, frame)
        if share is not None:
            partner, shared_at = share
            if overwrite and ("." in name or "." in partner) and not (clears and "." not in partner):
                return
            # The first write after the last read is where the two sides diverge: keep it.
            frame.pending_writes.setdefault(partner, (self.site(node), name, shared_at))

    def _viewed_by_another_attribute(self, name: str, frame: Frame) -> Optional[Tuple[str, Any]]:
        """``self.weight`` written where its class keeps a view of it in another attribute
        (``self.reference = self.weight.numpy()``): that attribute, through the same holder."""
        holder_name, _, attr = name.partition(".")
        holder = frame.lookup(holder_name)
        if "." in attr or holder is None or not isinstance(holder.definition, ClassInfo):
            return None
        for other, held in self.class_attrs(holder.definition).items():
            if held.shares_with == "." + attr and other != attr:
                return f"{holder_name}.{other}", held.shared_at
        return None

    def temporary_write(self, value: Value, text: str, node: ast.AST, frame: Frame) -> None:
        """An in-place write to a value no name holds (``standardize_(store.as_tensor())``), made on
        the spot from what it shares memory with: that partner waits for a read."""
        partner = value.shares_with
        if partner is None or partner.startswith(".") or sibling_position(partner) is not None:
            return
        frame.pending_writes.setdefault(partner, (self.site(node), text, value.shared_at))

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

    def _requires_grad_flag(self, target: ast.expr, node: ast.Assign, frame: Frame) -> bool:
        """``w.requires_grad = True``: from here on ``w`` is a leaf that requires grad (``False``: it does not).
        On ``self.log_t`` in a method, the method stores that tensor on self (the class's join, and
        what a call leaves on its instance, see FunctionWalks._receiver_after)."""
        if not (isinstance(target, ast.Attribute) and target.attr == "requires_grad"):
            return False
        holder = target.value
        on_self = self._is_self_attr(holder, frame)
        if isinstance(holder, ast.Name):
            tensor = frame.lookup(holder.id)
        elif on_self:
            tensor = self.eval(holder, frame)
        else:
            return False
        if tensor is None or tensor.kind is not Kind.TENSOR:
            return False
        literal = node.value.value if isinstance(node.value, ast.Constant) else None
        if literal is True:
            flagged = tensor.with_(requires_grad=Tri.YES, grad_leaf=True, origin=self.origin(node))
        elif literal is False and not tensor.param_view:
            flagged = tensor.with_(requires_grad=Tri.NO, grad_leaf=False)
        else:
            flagged = tensor.with_(requires_grad=Tri.UNKNOWN, grad_leaf=False)
        if isinstance(holder, ast.Name):
            frame.env[holder.id] = flagged
            return True
        assert isinstance(holder, ast.Attribute)
        frame.env[attribute_key(holder)] = flagged
        if frame.attr_sink is not None:
            old = frame.attr_sink.get(holder.attr)
            frame.attr_sink[holder.attr] = flagged if old is None else join(old, flagged)
        return True

    def _is_self_attr(self, node: ast.expr, frame: Frame) -> bool:
        return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and frame.self_name is not None and node.value.id == frame.self_name)

    def bind(self, target: ast.expr, value: Value, frame: Frame, source: Optional[ast.expr] = None) -> None:
        """``target = value`` (``source``: the assigned expression, when there is one)."""
        if isinstance(target, ast.Name):
            name = target.id
            frame.env[name] = value
            self._rebind_share(name, value, frame)
            if value.param_view and frame.context.loops and self._kept_by_loop(name, frame):
                self.emit(frame, Snapshot(self.site(source if source is not None else target), None, value, frame.context))
        elif isinstance(target, (ast.Tuple, ast.List)):
            elements = target.elts
            starred = any(isinstance(e, ast.Starred) for e in elements)
            known = None if starred else unpacked(value, len(elements))
            # `net, stats = pickle.load(fh)`: each item is an unpickled object too
            other = value if value.kind is None and value.qualname == api.UNPICKLED else UNKNOWN
            if known is None and value.kind is Kind.SEQUENCE and value.element is not None and not starred:
                # a list of unknown length (built by a comprehension, joined over paths): each
                # item is one of its elements, whose join is known
                other = value.element
            for i, element in enumerate(elements):
                item = known[i] if known is not None else other
                position = sibling_position(item.shares_with)
                if position is not None:
                    # `raw, x = load()` where load returns (raw, torch.from_numpy(raw)): x shares with raw
                    partner = elements[position] if position < len(elements) else None
                    named = partner.id if isinstance(partner, ast.Name) and position != i else None
                    item = item.with_(shares_with=named, shared_at=item.shared_at if named else None)
                self.bind(element, item, frame)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, UNKNOWN, frame)
        elif isinstance(target, ast.Attribute):
            holder = self.eval(target.value, frame)
            if self._is_self_attr(target, frame) and frame.attr_sink is not None:
                kept = value
                if value.shares_with is not None:  # the instance keeps a share with its own attributes only
                    relative = instance_relative(_kept_as_attribute(value.shares_with, frame), frame.self_name)
                    kept = value.with_(shares_with=relative, shared_at=value.shared_at if relative else None)
                old = frame.attr_sink.get(target.attr)
                frame.attr_sink[target.attr] = kept if old is None else join(old, kept)
                frame.env[attribute_key(target)] = value  # what this path reads back (scope.attribute_key)
            if isinstance(target.value, ast.Name):
                key = attribute_key(target)
                self._rebind_share(key, value, frame)
                if not self._is_self_attr(target, frame):
                    frame.env[key] = value  # a share its class keeps with this attribute is stale now (in_place)
            if _is_snapshot(value, frame) and not (holder.kind is Kind.MODULE and value.grad_leaf):
                # conv.bias = nn.Parameter(...): a parameter registered on a module is the live
                # weight itself (as is a tied one), no snapshot of it
                self.emit(frame, Snapshot(self.site(target), None, value, frame.context))
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value, frame)
            self.eval(target.slice, frame)
            if isinstance(target.value, ast.Name):
                key = containers.constant_key(target.slice)
                if container.kind is Kind.DICT:
                    frame.env[target.value.id] = containers.stored(container, key, value)
                elif container.kind in (None, Kind.OBJECT) and containers.replaces_item(target, key, source):
                    frame.env[target.value.id] = containers.stored_in_object(container, key, value)
                elif container.kind is Kind.SEQUENCE:
                    frame.env[target.value.id] = containers.stored_in_list(container, key, value)
            if (isinstance(target.value, ast.Attribute) and self._is_self_attr(target.value, frame)
                    and frame.attr_sink is not None and container.kind in (None, Kind.DICT)):
                # self.cache[k] = v: the walk's sink takes the dict with v among its values (the class's
                # join keeps it for a private cache only: classes.ClassModel.class_attrs)
                attr = target.value.attr
                grown = containers.stored(container if container.kind is Kind.DICT else Value(kind=Kind.DICT),
                                          containers.constant_key(target.slice), value)
                old = frame.attr_sink.get(attr)
                frame.attr_sink[attr] = grown if old is None else join(old, grown)
            written = storage_key(target.value)
            if written is not None and container.kind in (Kind.NDARRAY, Kind.TENSOR):
                whole = isinstance(target.slice, ast.Slice) and not (target.slice.lower or target.slice.upper
                                                                       or target.slice.step)
                whole = whole or isinstance(target.slice, ast.Constant) and target.slice.value is Ellipsis
                cleared = whole and source is not None and literal_number(source)  # x[:] = 0.0
                self.in_place(written, target, frame, container, overwrite=True, clears=cleared)
            if _is_snapshot(value, frame):
                # the dict a method fills on its own instance (`self.history[epoch] = v`) is named by its
                # attribute key, as an append to it is (evaluator): a caller's loop keeps every store
                kept_in = (attribute_key(target.value) if isinstance(target.value, ast.Attribute)
                           and self._is_self_attr(target.value, frame) else _name_of(target.value))
                self.emit(frame, Snapshot(self.site(target), kept_in, value, frame.context))

    def if_statement(self, node: ast.If, frame: Frame) -> int:
        tested = self.eval(node.test, frame)
        decided = none_test(node.test, frame, self.sem.name)
        if decided is None:
            decided = iteration_truth(node.test, frame)  # `if phase == "train":` in that phase's walk
        if decided is not None:
            # `if device is None: device = ...` with device None (a default the call left): only
            # that branch runs (a walk with the parameter unknown reads both)
            return self.block(node.body if decided else node.orelse, frame)
        guard = self.sem.is_cuda_test(node.test, frame)
        flag = conditions.flag_condition(node.test, frame, self.sem.is_cuda_test)
        then_changes, else_changes = self.sem.branch_premises(node.test, frame, guard)
        parameter = self.sem.premises.parameter_test(node.test, frame)
        if parameter is not None:
            name, constant, equal = parameter
            tests = frame.context.parameter_tests
            then_changes["parameter_tests"] = tests | {(name, constant, equal)}
            else_changes["parameter_tests"] = tests | {(name, constant, not equal)}
        always = constant_truth(node.test, self.guard_flags)
        if always is None:
            always = self._constant_flag_truth(node.test, tested, frame)
        if always is not None:
            # `if use_cuda:` with `use_cuda = True`: one branch always runs (unguarded), the other
            # never does (silent, as if guarded); neither says anything about the host.
            guard = None
            then_changes, else_changes = ({}, {"cuda_guarded": True}) if always else ({"cuda_guarded": True}, {})
        then_frame = frame.fork(**then_changes)
        else_frame = frame.fork(**else_changes)
        conditions.narrow_isinstance(node.test, then_frame, else_frame, self.sem.qualname_of)
        conditions.narrow_device(node.test, then_frame, else_frame)
        if flag is not None:
            conditions.assume(then_frame, flag)
            conditions.assume(else_frame, conditions.opposite(flag))
        then_flow = self.block(node.body, then_frame)
        else_flow = self.block(node.orelse, else_frame)
        if then_flow == Flow.EXIT and else_flow == Flow.EXIT:
            return Flow.EXIT
        # A branch that leaves by break/continue still carries its values to the loop
        # head, so only a real exit drops a branch from the join.
        frame.merge(*[f for f, flow in ((then_frame, then_flow), (else_frame, else_flow)) if flow != Flow.EXIT])
        # `if not torch.cuda.is_available(): raise/return/continue` guards the rest of the block (and
        # `if not dist.is_initialized(): return` makes the rest need a process group, premises.py).
        then_leaves, else_leaves = then_flow != Flow.NORMAL, else_flow != Flow.NORMAL
        if always is None and then_leaves != else_leaves:
            stays = else_changes if then_leaves else then_changes
            kept: Dict[str, Any] = {field: True for field in ("cuda_guarded", "distributed") if stays.get(field)}
            if "parameter_tests" in stays:
                kept["parameter_tests"] = stays["parameter_tests"]  # `if mode != "cpu": return`
            if kept:
                frame.context = replace(frame.context, **kept)
        return Flow.NORMAL

    def _constant_flag_truth(self, test: ast.expr, tested: Value, frame: Frame) -> Optional[bool]:
        """``if use_cuda:`` / ``if not self.use_cuda:`` where the flag is a parameter this walk's call
        left to its literal default (or what ``__init__`` stored from one): always true or never.
        ``tested``: the test's value, already read."""
        if not self.functions.constant_flags:
            return None
        negate = False
        while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, negate = test.operand, not negate
        if not (isinstance(test, ast.Name) or (isinstance(test, ast.Attribute) and isinstance(test.value, ast.Name)
                                               and test.value.id == frame.self_name)):
            return None
        value = tested
        if negate:
            with self.events_into([]):  # the flag under `not`, read again for its value alone
                value = self.eval(test, frame)
        known, literal = self.functions.constant_flag(value)
        return (bool(literal) != negate) if known else None

    def loop_node(self, loop_id: int) -> Optional[Union[ast.For, ast.AsyncFor, ast.While]]:
        """The loop a context's ``loops`` entry names (by id), while this file's walk knows it."""
        return self._loop_nodes.get(loop_id)

    def _kept_by_loop(self, name: str, frame: Frame) -> bool:
        """``name`` is bound under a condition in the innermost loop and read after it (kept.py)."""
        loop = self._loop_nodes.get(frame.context.loops[-1][0])
        scope = frame.function.node if frame.function is not None else self.module_tree
        return loop is not None and scope is not None and name in kept_for_later(loop, scope, self._kept_cache)

    def loop(self, node: Union[ast.For, ast.AsyncFor, ast.While], frame: Frame) -> int:
        """A loop body walked for its first iterations, then from a state that holds on every one.

        The first walk starts from the state before the loop (the first iteration); the second
        from the names the first left (the second iteration: ``state = np.random.randn(4)`` at
        the end of the body is what the top of the next iteration converts). A walk that leaves
        every name the body rebinds as it found it ends the loop: every later iteration is that
        one. Otherwise the body is walked from the join of every iteration's state seen so far,
        until the join changes nothing (at most ``LOOP_PASSES`` times; names still changing are
        widened to unknown). Every walk's events are raised: each holds on the iterations it
        stands for (the second walk's assume the loop runs twice, as a loop is written to).
        After the loop, which may run zero times, each name is the join of its value before the
        loop and after the first two walks, or after the last one where the join was walked.
        """
        element = UNKNOWN
        literals: Tuple[Any, ...] = ()
        items: Optional[Tuple[Value, ...]] = None
        if isinstance(node, ast.While):
            self.eval(node.test, frame)
        else:
            iterated = self.eval(node.iter, frame)
            element = self.sem.element_of(iterated, frame, node.iter)
            literals = _literal_items(node)
            if not literals:
                items = _known_items(node, iterated)
        rebound = _rebound_in(node, self._rebound_cache)
        self._loop_nodes[id(node)] = node
        # A name only written by `x += ...` keeps its object (a tensor or array changed in place).
        loops = frame.context.loops + ((id(node), frozenset(rebound - _augmented_only(node, self._augmented_cache))),)
        entry = {name: frame.lookup(name) for name in rebound}
        # (an attribute of self not set before the loop is read from the class's join: see attribute_key)
        state: Dict[str, Value] = {name: value or UNKNOWN for name, value in entry.items()
                                   if value is not None or "." not in name}
        joined = dict(state)
        passes = LOOP_PASSES if self._loop_budget > 0 else 0
        if passes == 0:
            state = {name: UNKNOWN for name in state}  # out of budget: trust nothing rebound
        if (literals or items) and passes and isinstance(node, (ast.For, ast.AsyncFor)):
            return self._literal_loop(node, literals, element, loops, entry, state, frame, items)
        next_iteration = True  # the next walk starts where this one ends (the second iteration)
        walked: List[Frame] = []
        while True:
            head = frame.fork(loops=loops)
            head.env.update(state)
            if isinstance(node, ast.While):
                self.eval(node.test, head)
            else:
                self.bind(node.target, element, head)
            flow = self.block(node.body, head)
            walked.append(head)
            if passes == 0 or not _iterates_again(node, flow):
                break
            ends: Dict[str, Value] = {}
            for name, before in entry.items():
                if before is None:
                    continue  # unbound before the loop: every read follows a write of this body
                ends[name] = now = head.env.get(name, UNKNOWN)
                joined[name] = now if _accumulated(before, now) else join(joined[name], now)
            following = ends if next_iteration else joined
            changed = {name: value for name, value in following.items() if value != state[name]}
            if not changed:
                break  # every later iteration starts where this one did
            self._loop_budget -= 1
            if next_iteration:
                next_iteration = False
            else:
                passes -= 1
            state.update(changed)
            if passes == 0 or self._loop_budget <= 0:
                passes = 0  # one last walk, names still changing widened
                for name in changed:
                    state[name] = UNKNOWN
        # The loop may run zero times. Past the first two iterations, the last walk (from the join
        # of every state seen) stands for every iteration, as its widening says.
        frame.merge(frame.fork(), *(walked if next_iteration or len(walked) <= 2 else walked[-1:]))
        self.block(node.orelse, frame)
        return Flow.NORMAL

    def _literal_loop(self, node: Union[ast.For, ast.AsyncFor], literals: Tuple[Any, ...], element: Value,
                      loops: Tuple[Tuple[int, FrozenSet[str]], ...], entry: Dict[str, Optional[Value]],
                      state: Dict[str, Value], frame: Frame, items: Optional[Tuple[Value, ...]] = None) -> int:
        """``for phase in ["train", "val"]``: exactly those iterations, each walked from where the one
        before ended, with its target a known constant (``if phase == "train":`` and
        ``torch.set_grad_enabled(phase == "train")`` decided). The loop runs at least once; after it,
        each name is the join of what the walks left (a ``break`` may end any of them). Over a list
        whose items are known in order (``items``: ``for t in self.transforms`` of a Compose built
        from ``[normalize, bgr_to_rgb, ToTensor()]``), each iteration binds its own item."""
        assert isinstance(node.target, ast.Name)
        walked: List[Frame] = []
        for position in range(len(items) if items is not None else len(literals)):
            head = frame.fork(loops=loops)
            head.env.update(state)
            if items is None:
                head.iteration = {**frame.iteration, node.target.id: literals[position]}
            self.bind(node.target, items[position] if items is not None else element, head)
            flow = self.block(node.body, head)
            walked.append(head)
            self._loop_budget -= 1
            if not _iterates_again(node, flow):
                break
            # the next iteration starts where this one ended (a name unbound before the loop stays
            # as the first walk had it: every read of it follows a write of the body)
            state = {name: head.env.get(name, UNKNOWN) if entry.get(name) is not None else value
                     for name, value in state.items()}
        if len(walked) == len(items if items is not None else literals) and not any(
                isinstance(inner, ast.Break) for inner in _own_statements(node.body)):
            walked = walked[-1:]  # no break: the loop ends after its last item, as that walk left it
        frame.merge(*walked)
        self.block(node.orelse, frame)
        return Flow.NORMAL

    def _entered_grad_mode(self, value: Value, call: ast.expr, frame: Frame) -> Optional[Tri]:
        """The grad mode a context manager of the project sets on entering: an object whose class's
        ``__enter__`` calls ``torch.set_grad_enabled(False)`` (or enters ``torch.no_grad()``), or a
        ``@contextlib.contextmanager`` generator that does so. NO when every grad switch in that code
        turns grad off; UNKNOWN when they disagree or are not literal; None where there is none."""
        function: Optional[FunctionInfo] = None
        if value.kind in (Kind.INSTANCE, Kind.MODULE) and isinstance(value.definition, ClassInfo):
            function = value.definition.method("__enter__")
        elif isinstance(call, ast.Call):
            callee = self.eval(call.func, frame)
            if callee.kind is Kind.FUNCTION and isinstance(callee.definition, FunctionInfo) and callee.definition.generator:
                function = callee.definition
        if function is None:
            return None
        cached = self._entered_modes.get(id(function.node))
        if cached is None or cached[0] is not function.node:
            modes = set()
            for inner in walk(function.node):
                if isinstance(inner, ast.Call):
                    mode = grad_mode_of(self.sem.qualname_of(inner.func, function.closure), inner)
                    if mode is not None:
                        modes.add(mode)
            found = None if not modes else (modes.pop() if len(modes) == 1 else Tri.UNKNOWN)
            cached = self._entered_modes[id(function.node)] = (function.node, found)
        return cached[1]

    def with_statement(self, node: Union[ast.With, ast.AsyncWith], frame: Frame) -> int:
        context = frame.context
        for item in node.items:
            value = self.eval(item.context_expr, frame)
            call = item.context_expr
            qual = self.sem.qualname_of(call.func if isinstance(call, ast.Call) else call, frame)
            if _expects_error(call):
                context = replace(context, expects_error=True)
            elif qual in api.GRAD_MODES:
                # torch.set_grad_enabled(phase == "train") is decided in each phase's walk
                mode = grad_mode_of(qual, call if isinstance(call, ast.Call) else None,
                                    lambda test: iteration_truth(test, frame))
                context = replace(context, grad=mode or Tri.UNKNOWN)
            elif value.kind is Kind.API and value.qualname is not None and value.qualname in api.GRAD_CONTEXT_OBJECTS:
                context = _with_grad(context, api.GRAD_CONTEXT_OBJECTS[value.qualname])
            else:
                entered = self._entered_grad_mode(value, call, frame)
                if entered is not None:
                    context = replace(context, grad=entered)
            if item.optional_vars is not None:
                # `with Image.open(p) as img:` binds the image; other context managers stay unknown.
                keeps = value.kind is Kind.TENSOR or (value.kind is Kind.API and value.qualname in (api.PIL_IMAGE,
                                                                                                   api.BINARY_FILE))
                self.bind(item.optional_vars, value if keeps else UNKNOWN, frame)
        body = frame.fork()
        body.context = context
        flow = self.block(node.body, body)
        frame.merge(body)
        return flow if flow == Flow.EXIT else Flow.NORMAL

    def try_statement(self, node: Any, frame: Frame) -> int:
        # `try: model.cuda() except RuntimeError: ...` handles a missing GPU.
        catching = [h for h in node.handlers if self.sem.catches_cuda_errors(h.type, frame)]
        guard = "cuda_guarded"
        if catching and guards.reports_failure(catching, id(node) in self._last_statements()):
            guard = "failure_reported"  # `try: main() except RuntimeError as e: print(e)`
        body = frame.fork(**({guard: True} if catching else {}))
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
                if self.sem.premises.catches_cuda_only_error(handler.type, start):
                    start.context = replace(start.context, cuda_guarded=True)  # `except torch.cuda.OutOfMemoryError:`
            if handler.name:
                start.env[handler.name] = UNKNOWN
            if self.block(handler.body, start) != Flow.EXIT:
                ends.append(start)
        flow = Flow.NORMAL if ends else Flow.EXIT
        frame.merge(*(ends or [body]))
        if node.finalbody and self.block(node.finalbody, frame) == Flow.EXIT:
            return Flow.EXIT
        return flow

    def _last_statements(self) -> FrozenSet[int]:
        """Ids of the file's statements that end their block (nothing after them runs there)."""
        tree = self.module_tree
        if tree is None:
            return frozenset()
        known = getattr(tree, "_ntl_last_statements", None)
        if known is None:
            known = frozenset(id(body[-1]) for node in walk(tree) for field in ("body", "orelse", "finalbody")
                              for body in [getattr(node, field, None)] if isinstance(body, list) and body)
            setattr(tree, "_ntl_last_statements", known)
        return known

    def match_statement(self, node: Any, frame: Frame) -> int:
        self.eval(node.subject, frame)
        branches = []
        for case in node.cases:
            branch = frame.fork()
            for sub in walk(case.pattern):
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


_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_TRY_STATEMENTS: Tuple[type, ...] = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_MATCH: Optional[type] = getattr(ast, "Match", None)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


#: Python numbers an accumulator may start from, and what NumPy or torch values it may become.
_PYTHON_NUMBERS = (Kind.PY_INT, Kind.PY_FLOAT)
_ACCUMULATED_KINDS = (Kind.NP_SCALAR, Kind.NDARRAY, Kind.TENSOR)


def _accumulated(before: Optional[Value], now: Value) -> bool:
    """An accumulator started from a Python number (``G = 0.0``, ``total = 0``) that a walk of
    the loop turned into a NumPy scalar, an array or a tensor (``G = r + gamma * G`` over float64
    rewards): from the second iteration on it is that value, so the state every iteration's
    walk joins into keeps it, not its join with the number. (After the loop, which may run
    zero times, the name is the join with the number: unknown.)"""
    return (before is not None and before.kind in _PYTHON_NUMBERS and now.kind in _ACCUMULATED_KINDS
            and now.dtype is not None)


#: the most items of a literal a loop's walks take one by one (interpreter.loop)
LITERAL_ITERATION_ITEMS = 8


def _literal_items(node: Union[ast.For, ast.AsyncFor]) -> Tuple[Any, ...]:
    """The constants of ``for x in ["train", "val"]`` (a list or tuple of literal strings, numbers
    or booleans), when the body never rebinds ``x``; () otherwise."""
    items = node.iter.elts if isinstance(node.iter, (ast.List, ast.Tuple)) else []
    if not 2 <= len(items) <= LITERAL_ITERATION_ITEMS or not _target_kept(node):
        return ()
    if not all(isinstance(item, ast.Constant) and isinstance(item.value, (str, int, bool)) for item in items):
        return ()
    return tuple(item.value for item in items)  # type: ignore[attr-defined]


def _known_items(node: Union[ast.For, ast.AsyncFor], iterated: Value) -> Optional[Tuple[Value, ...]]:
    """The items of a list or tuple whose values are known in order (1 to LITERAL_ITERATION_ITEMS
    of them), when the body never rebinds the loop's name; None otherwise."""
    items = iterated.elements if iterated.kind is Kind.SEQUENCE and iterated.keys is None else None
    if items is None or not 1 <= len(items) <= LITERAL_ITERATION_ITEMS or not _target_kept(node):
        return None
    return items


def _target_kept(node: Union[ast.For, ast.AsyncFor]) -> bool:
    """The loop's target is a plain name that its body never rebinds."""
    if not isinstance(node.target, ast.Name):
        return False
    name = node.target.id
    return not any(isinstance(inner, ast.Name) and inner.id == name and not isinstance(inner.ctx, ast.Load)
                   for stmt in node.body for inner in walk(stmt))


def iteration_truth(test: ast.expr, frame: Frame) -> Optional[bool]:
    """Whether a test of loop targets bound to constants in this walk (``phase == "train"``,
    ``mode in ("val", "test")``, ``not training``) holds; None where it tests anything else."""
    if not frame.iteration:
        return None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = iteration_truth(test.operand, frame)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        results = [iteration_truth(value, frame) for value in test.values]
        decisive = isinstance(test.op, ast.Or)
        if any(result is decisive for result in results):
            return decisive
        return (not decisive) if all(result is not None for result in results) else None
    if isinstance(test, ast.Name):
        return bool(frame.iteration[test.id]) if test.id in frame.iteration else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(left, ast.Constant) and isinstance(right, ast.Name) and isinstance(op, (ast.Eq, ast.NotEq)):
        left, right = right, left
    if not (isinstance(left, ast.Name) and left.id in frame.iteration):
        return None
    value = frame.iteration[left.id]
    if isinstance(right, ast.Constant) and isinstance(op, (ast.Eq, ast.NotEq)):
        return (value == right.value) == isinstance(op, ast.Eq)
    if isinstance(right, (ast.Tuple, ast.List, ast.Set)) and isinstance(op, (ast.In, ast.NotIn)) and all(
            isinstance(item, ast.Constant) for item in right.elts):
        return (value in [item.value for item in right.elts]) == isinstance(op, ast.In)  # type: ignore[attr-defined]
    return None


def _iterates_again(node: Union[ast.For, ast.AsyncFor, ast.While], flow: int) -> bool:
    """A walk of the body can be followed by another iteration: it did not leave the function,
    and a body that left the loop (``Flow.LOOP``) without any ``continue`` in it broke out."""
    if flow == Flow.EXIT:
        return False
    return flow != Flow.LOOP or any(isinstance(inner, ast.Continue) for inner in _own_statements(node.body))


def _own_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a loop body, nested blocks included, nested loops and definitions not
    (their ``continue`` is their own)."""
    return statements(body, enters=lambda stmt: not isinstance(stmt, (*_LOOPS, *_SCOPES)))


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
        if isinstance(current, ast.Attribute) and isinstance(current.ctx, ast.Store) and isinstance(current.value, ast.Name):
            names.add(attribute_key(current))  # self.state = ...: read back on the next iteration
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


def _is_snapshot(value: Value, frame: Frame) -> bool:
    """A value stored into a container or attribute that is a view of live storage."""
    return value.param_view or (value.shares_with is not None and bool(frame.context.loops))


def _augmented_only(node: Union[ast.For, ast.AsyncFor, ast.While], cache: Dict[int, Set[str]]) -> Set[str]:
    """Names a loop body writes only through augmented assignment (``x += 1``, ``self.pos +=
    self.vel``: attribute keys as ``_rebound_in`` names them); memoized per loop."""
    cached = cache.get(id(node))
    if cached is not None:
        return cached
    augmented: Set[str] = set()
    assigned: Set[str] = set()
    targets = set()
    for current in walk(node):
        if isinstance(current, ast.AugAssign) and _plain_target(current.target) is not None:
            augmented.add(_plain_target(current.target) or "")
            targets.add(id(current.target))
        elif isinstance(current, (ast.Name, ast.Attribute)) and isinstance(current.ctx, ast.Store) \
                and id(current) not in targets and _plain_target(current) is not None:
            assigned.add(_plain_target(current) or "")
    cache[id(node)] = augmented - assigned
    return cache[id(node)]


def _plain_target(node: ast.expr) -> Optional[str]:
    """A name, or an attribute of a name by its key (``self.pos``), as a loop's rebound set names it."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return attribute_key(node)
    return None


def _kept_as_attribute(shared: str, frame: Frame) -> str:
    """A local name a stored value shares memory with, as the instance keeps it: ``self.raw`` where
    this path stored that very object there (``self.readings = readings`` then ``self.series =
    torch.from_numpy(readings)``); otherwise the name itself."""
    held = frame.env.get(shared) if "." not in shared else None
    if held is not None and frame.self_name is not None:
        prefix = frame.self_name + "."
        for key, value in frame.env.items():
            if value is held and key.startswith(prefix):
                return key
    return shared


def _name_of(node: ast.expr) -> Optional[str]:
    return node.id if isinstance(node, ast.Name) else None


def _target_names(node: ast.expr) -> List[str]:
    return [n.id for n in walk(node) if isinstance(n, ast.Name)]


def _moved_by_chain(call: ast.Call) -> Optional[ast.expr]:
    """What a chain of module methods that return the module itself (``net.to(device).eval()``,
    ``net.eval().cuda()``) moves in place when one of them is a move: the chain's receiver."""
    current: ast.expr = call
    moves = False
    while isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute) \
            and current.func.attr in api.MODULE_SELF_METHODS:
        moves = moves or current.func.attr in api.MODULE_PLACING_METHODS
        current = current.func.value
        if not isinstance(current, ast.Call):
            return current if moves else None
    return None


def _siblings_named(result: Value, written: Union[ast.Tuple, ast.List], function: FunctionInfo) -> Value:
    """``return raw, torch.from_numpy(raw)``: an item sharing memory with a local name that another
    item returns as is shares with that item (``sibling_share``); the caller's unpacking names it.
    A share with a parameter stays as it is: the caller's argument names it (functions._shares_renamed)."""
    if result.kind is not Kind.SEQUENCE or result.elements is None or len(result.elements) != len(written.elts):
        return result
    positions = {element.id: j for j, element in enumerate(written.elts) if isinstance(element, ast.Name)}
    parameters = effects.unrebound_parameters(function)
    items = list(result.elements)
    for i, item in enumerate(items):
        position = positions.get(item.shares_with or "")
        if position is not None and position != i and item.shares_with not in parameters:
            items[i] = item.with_(shares_with=sibling_share(position))
    return result.with_(elements=tuple(items)) if items != list(result.elements) else result
