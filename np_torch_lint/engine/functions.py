"""Functions of one file: walked once for a summary, again per call's argument facts.

A function is walked once with its parameters unknown (from their annotations where they
declare a kind): the first call of it, or the end of the module, walks it, raises its events
and keeps the join of its return values as its summary. A call whose arguments carry facts
walks the callee again with them (cached per argument facts and the caller's grad mode and
guards; bounded by ``CALL_BUDGET``). Call sites are recorded so that a rule can ask whether
every call of a helper runs with grad off or behind a CUDA guard. A function defined in
another project module is walked by that module's interpreter (``info.home``), and the events
that walk raises are raised in the calling file too, as a same-file helper's are.
"""
from __future__ import annotations

import ast
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple, Union

from . import api
from .arguments import grad_mode_of
from .containers import GROWING_METHODS, keyword_dict
from .nodes import parameter_names, walk
from .private_lists import private_lists, written_in
from .events import Context, InPlaceWrite, ParameterUpdate, Snapshot
from .scope import (ClassInfo, Frame, FunctionInfo, attribute_key, escape_self_writes, self_accesses, sibling_position,
                    storage_key)
from .values import UNKNOWN, Device, Kind, Tri, Value, join, join_stores, knows_nothing, sequence

if TYPE_CHECKING:
    from .interpreter import Interpreter

#: walks of functions for one call's arguments, per file (beyond it: the summary with unknown parameters).
CALL_BUDGET = 300
FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
ParameterTest = Tuple[str, str, bool]  # (parameter, repr of a constant, whether the path needs them equal)
CallSite = Tuple[Context, Optional[str], Optional[Dict[str, str]]]
_FLOW_EXIT = 1  # interpreter.Flow.EXIT (not imported: the interpreter imports this module)


class FunctionWalks:
    def __init__(self, interp: "Interpreter") -> None:
        self.interp = interp
        # qualname -> (context, caller, constant arguments) at each call site, for "a helper only called
        # in no_grad" or "behind a CUDA guard"; the constants by parameter name (None: not known).
        self.call_sites: Dict[str, List[CallSite]] = {}
        # Walks of functions for their call's argument facts left for this file.
        self._call_budget = CALL_BUDGET
        # parameters left to a literal default by a call: (function node id, name) -> (value, literal),
        # and the same by the value's id (constant_flag)
        self._constant_flags_by_parameter: Dict[Tuple[int, str], Tuple[Value, object]] = {}
        self.constant_flags: Dict[int, Tuple[Value, object]] = {}
        # While another file's call is walked here (_raised_here): the serial of the file being
        # linted, so that a walk cached for one linted file is never replayed for another (the
        # argument facts compare equal across files, their origins do not: see values.Origin).
        self.walking_for: Optional[int] = None
        # (class, attributes its constructor stored) -> the other methods' stores joined (_joined_over_methods)
        self._instance_joins: Dict[Tuple[int, Any], List[Tuple[str, Value]]] = {}
        # plain functions named as placement APIs (`to_gpu`, `to_cuda`): see make_function
        self.placement_helpers: Set[str] = set()


    def walk_function(self, info: FunctionInfo, attr_sink: Optional[Dict[str, Value]] = None,
                      params: Optional[Dict[str, Value]] = None, caller: Optional[Context] = None,
                      moved: Optional[Value] = None, closure: Optional[Frame] = None,
                      defaulted: FrozenSet[str] = frozenset()) -> Frame:
        """Walk a function's body: its parameters from ``params`` (a call's arguments), else from
        their annotations, else unknown; in the caller's grad mode and guards when ``caller`` is given;
        a method's ``self`` on ``moved``'s device when its instance was moved (``model.cuda()``)."""
        # A module-level `assert torch.cuda.is_available()` (or early exit) guards every function.
        guarded = info.guarded or self.interp.module_frame.context.cuda_guarded
        context = Context(grad=info.grad, cuda_guarded=guarded, function=info.qualname)
        if caller is not None:
            context = Context(grad=info.grad if info.grad is Tri.NO else caller.grad,
                              cuda_guarded=guarded or caller.cuda_guarded, cuda_absent=caller.cuda_absent,
                              distributed=caller.distributed, function=info.qualname,
                              expects_error=caller.expects_error)
        scope = closure if closure is not None else info.closure
        frame = Frame(scope, context, function=info)
        frame.attr_sink = attr_sink
        args = info.node.args
        positional = list(args.posonlyargs) + list(args.args)
        optimized = self._optimized_parameters(info, scope)
        for arg in positional + list(args.kwonlyargs):
            given = params.get(arg.arg) if params is not None else None
            if given is None:
                given = self.annotated(arg.annotation, scope)
            if arg.arg in optimized and given.parametric is not Tri.NO \
                    and (given.kind is Kind.MODULE or knows_nothing(given)):
                module = given if given.kind is Kind.MODULE else Value(kind=Kind.MODULE, training=Tri.UNKNOWN)
                given = module.with_(parametric=Tri.YES)
            frame.env[arg.arg] = given
        # the parameters this call left to their defaults, as bound (evaluator.none_test reads them)
        frame.defaults = {name: frame.env[name] for name in defaulted if name in frame.env}
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                given = params.get(extra.arg) if params is not None else None
                frame.env[extra.arg] = given if given is not None else UNKNOWN  # *inputs: a call's extra values
        self_name = _self_parameter(info)
        if self_name is not None and info.owner is not None:
            frame.self_name = self_name
            built = moved.definition if moved is not None and _subclass_of(moved, info) else info.owner
            instance = self.interp.classes.instance_value(built)
            if moved is not None:
                instance = instance.with_(device=moved.device, device_origin=moved.device_origin, attrs=moved.attrs)
                if instance.kind is Kind.MODULE:
                    instance = instance.with_(dtype=moved.dtype)
            frame.env[frame.self_name] = instance
        elif info.owner is not None and positional and _is_classmethod(info.node):
            # `cls(...)` in a classmethod (a `load_model` factory) makes an instance of the class.
            frame.env[positional[0].arg] = Value(kind=Kind.CLASS, qualname=info.owner.name, definition=info.owner)
        if self.interp.block(info.node.body, frame) != _FLOW_EXIT:  # the body's end is reached
            escape_self_writes(frame)
            frame.exits_guarded.append(frame.context.cuda_guarded)
        return frame

    def _optimized_parameters(self, info: FunctionInfo, scope: Frame) -> FrozenSet[str]:
        """The parameters whose ``.parameters()`` the function hands to a torch optimizer
        (``torch.optim.AdamW(model.parameters(), ...)``, also through ``filter(...)`` or a list of
        param groups): a module with parameters to train, whatever its callers pass. Kept on
        the node: a definition is read once."""
        found = getattr(info.node, "_ntl_optimized", None)
        if found is not None:
            return found
        names = parameter_names(info.node.args)
        optimized: Set[str] = set()
        for call in walk(info.node):
            if not isinstance(call, ast.Call) or not (call.args or call.keywords):
                continue
            if not api.is_optimizer_class(self.interp.sem.qualname_of(call.func, scope) or ""):
                continue
            given = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "params"), None)
            for inner in walk(given) if given is not None else ():
                if (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                        and inner.func.attr in api.PARAMETER_LISTING_METHODS
                        and isinstance(inner.func.value, ast.Name) and inner.func.value.id in names):
                    optimized.add(inner.func.value.id)
        result = frozenset(optimized)
        setattr(info.node, "_ntl_optimized", result)
        return result

    def annotated(self, annotation: Optional[ast.expr], scope: Frame) -> Value:
        """The kind an annotation declares (``x: np.ndarray``, ``-> torch.Tensor``); nothing else."""
        if annotation is None:
            return UNKNOWN
        kind = api.ANNOTATION_KINDS.get(self.interp.sem.qualname_of(annotation, scope) or "")
        return Value(kind=Kind(kind)) if kind is not None else UNKNOWN

    def call_with(self, info: FunctionInfo, args: Sequence[Any], frame: Frame, bound_self: bool,
                  call: ast.Call, receiver: Optional[Value] = None) -> Value:
        """What a call returns, the callee walked with the facts of this call's arguments.

        A method called on an instance moved to CUDA (``receiver``) is walked with ``self``
        there: its submodules and parameters moved with it (``Module.cuda()`` moves them all).
        

        The walk raises its events (a finding inside a helper may rest on what its caller
        passed), in the caller's grad mode and guards. Walks are cached per function, argument
        facts and context; a cached walk's events are raised again (the runner keeps one
        finding per node). Recursion, ``*args`` and a spent budget fall back to the summary
        walked with unknown parameters.
        """
        if info.home is not None and info.home is not self.interp:
            with self._raised_here(info.home, frame):
                return info.home.functions.call_with(info, args, frame, bound_self, call, receiver)
        walked = self._walk_call(info, args, frame, bound_self, receiver)
        holder = call.func.value if bound_self and isinstance(call.func, ast.Attribute) else None
        receiver_key = storage_key(holder) if holder is not None else None
        if walked is None:
            summary = self.summary(info)
            if info.updates_parameters:
                # self.train_one_step() in an epoch loop: the step's optimizer.step() runs each time
                self.interp.emit(frame, ParameterUpdate(self.interp.site(call), frame.context))
            if frame.context.loops:
                self._writes_on_receiver(info, bound_self, info.writes_on_self, frame, call)
            if bound_self and receiver is not None:
                # a generic instance (no attributes of its own) is left as the summary walk left self
                stored = (info.stores or {}) if not receiver.attrs and info.home in (None, self.interp) else {}
                summary = self._receiver_after(info, receiver, stored, summary, call, frame)
            return self._shares_renamed(summary, info, args, bound_self, receiver_key)
        if any(isinstance(event, ParameterUpdate) for event in walked[1]):
            # train_one_epoch(model, optimizer): the call updates the parameters (in an epoch loop, each time)
            self.interp.emit(frame, ParameterUpdate(self.interp.site(call), frame.context))
        if frame.context.loops:
            self._snapshots_into_arguments(info, args, bound_self, walked[1], frame, call)
            self._writes_on_receiver(info, bound_self, _written_on_self(info, walked[1]), frame, call)
        self_name = _self_parameter(info) if bound_self else None
        for parameter, pending in walked[3].items():
            if self_name is not None and parameter.startswith(self_name + "."):
                # monitor.prepare() wrote monitor's raw array through its view (escape_self_writes)
                written = receiver_key + parameter[len(self_name):] if receiver_key is not None else None
            else:
                written = argument_name(info, args, bound_self, parameter)
            if written is not None:
                frame.pending_writes.setdefault(written, pending)
        value = self._shares_renamed(walked[0], info, args, bound_self, receiver_key)
        if bound_self and receiver is not None:
            value = self._receiver_after(info, receiver, walked[2], value, call, frame)
        if knows_nothing(value) and not names_a_file(value):
            return self.returns_annotated(info)
        return value

    def _receiver_after(self, info: FunctionInfo, receiver: Value, stored: Dict[str, Value], returned: Value,
                        call: ast.Call, frame: Frame) -> Value:
        """The instance a method ran on, as the method leaves it: ``scaler.fit(X)`` stores
        ``self.mean_`` on every path that returns (a plain assignment among the body's top-level
        statements, before any early return), so ``scaler`` holds it from here on; what the method
        may store otherwise (on some path, or through another method it calls on self) is left to
        the class's join. The name the receiver is bound to is updated, and a method that returns
        ``self`` (``Scaler(cfg).fit(X)``) returns the updated instance. What the call returns."""
        owner = info.owner
        if owner is None or receiver.kind not in (Kind.INSTANCE, Kind.MODULE) or not (
                receiver.definition is owner or _subclass_of(receiver, info)):
            return returned
        changed = stores_reached(owner, info)
        if not changed:
            return returned
        settled = settled_stores(info)
        before = dict(receiver.attrs or ())
        attrs = {name: value for name, value in before.items() if name not in changed}
        for name in sorted(settled & changed):
            value = stored.get(name)
            if value is not None and not knows_nothing(value) and value.kind is not Kind.NONE:
                attrs[name] = value
        unsettled = changed - settled
        for name in sorted(unsettled & self._private_lists(owner) if unsettled else ()):
            # a private list grown on some paths only (in a loop, a branch): what it held before, or
            # what a path left there (each path's grows and stores are joined in the walk's sink)
            value, old = stored.get(name), before.get(name)
            if value is not None and old is not None and value.kind is old.kind is Kind.SEQUENCE:
                attrs[name] = join(old, value)
        updated = receiver.with_(attrs=tuple(sorted(attrs.items(), key=lambda item: item[0])) or None)
        holder = call.func.value if isinstance(call.func, ast.Attribute) else None
        if isinstance(holder, ast.Name) and holder.id == frame.self_name and frame.attr_sink is not None:
            # `self.reset()` in `__init__`: what reset stores, this method stores (its walk's sink)
            for name in sorted(settled & changed):
                value = stored.get(name)
                if value is not None:
                    old = frame.attr_sink.get(name)
                    frame.attr_sink[name] = value if old is None else join(old, value)
        if isinstance(holder, ast.Name) and frame.lookup(holder.id) is receiver:
            frame.env[holder.id] = updated
            # another name bound to the same instance (`t = s`) was changed too, not as this walk saw
            forgotten = receiver.with_(attrs=tuple(item for item in receiver.attrs or () if item[0] not in changed)
                                       or None)
            for name in [name for name, value in frame.env.items() if value is receiver and name != holder.id]:
                frame.env[name] = forgotten
        if returns_self(info) and returned.kind is receiver.kind and returned.definition is receiver.definition:
            return updated
        return returned

    def _shares_renamed(self, value: Value, info: FunctionInfo, args: Sequence[Any], bound_self: bool,
                        receiver: Optional[str], depth: int = 0) -> Value:
        """What a call returns, its memory shares with the callee's parameters named as the caller's
        arguments: a view of parameter ``x_t`` is a view of the argument passed there; so is each
        item of a returned tuple or dict (``return x.numpy(), y.numpy()``). A view of the method's
        own attribute (``torch.from_numpy(self.obs[:n])``) is a view of that attribute of the
        caller's ``receiver`` (``buffer.obs``)."""
        if value.shares_with is not None and sibling_position(value.shares_with) is None:
            partner = argument_name(info, args, bound_self, value.shares_with, receiver)
            value = value.with_(shares_with=partner, shared_at=value.shared_at if partner else None)
        if value.kind in (Kind.SEQUENCE, Kind.DICT) and value.elements and depth < 2 and any(
                item.shares_with is not None or item.elements for item in value.elements):
            items = tuple(self._shares_renamed(item, info, args, bound_self, receiver, depth + 1)
                          for item in value.elements)
            value = value.with_(elements=items)
        return value

    def _writes_on_receiver(self, info: FunctionInfo, bound_self: bool, attrs: FrozenSet[str], frame: Frame,
                            call: ast.Call) -> None:
        """``self.advance()`` in a loop, where ``advance`` updates ``self.pos`` in place: the write
        happens at the call, in the caller's loop, to the caller's ``self.pos`` (NTL402's source of
        a snapshot stored in that loop)."""
        receiver = call.func.value if bound_self and isinstance(call.func, ast.Attribute) else None
        if not attrs or not isinstance(receiver, ast.Name):
            return
        for attr in sorted(attrs):
            self.interp.emit(frame, InPlaceWrite(self.interp.site(call), f"{receiver.id}.{attr}", frame.context))

    def _snapshots_into_arguments(self, info: FunctionInfo, args: Sequence[Any], bound_self: bool,
                                  events: Sequence[object], frame: Frame, call: ast.Call) -> None:
        """``record(history, model)`` in a training loop, where ``record`` appends a view of a live
        parameter to its list parameter: the store is in the helper, the loop (and its optimizer
        step) in the caller. The helper's snapshot is raised again in the caller's loop, with the
        caller's list (a fresh list passed each time, not a plain name, keeps one snapshot)."""
        receiver = call.func.value if bound_self and isinstance(call.func, ast.Attribute) else None
        self_name = _self_parameter(info) if receiver is not None else None
        for event in events:
            if isinstance(event, Snapshot) and not event.context.loops and event.container is not None:
                if self_name is not None and event.container.startswith(self_name + "."):
                    # hook.after_epoch(model), whose body grows self.history: the caller's instance
                    # holds every store (a fresh instance each iteration keeps one)
                    partner = self._instance_holder(receiver, frame)
                else:
                    partner = argument_name(info, args, bound_self, event.container)
                if partner is not None:
                    self.interp.emit(frame, replace(event, container=partner, context=frame.context))

    def _instance_holder(self, receiver: Optional[ast.expr], frame: Frame) -> Optional[str]:
        """What keeps the instance a method is called on from one iteration to the next: its name;
        or, for the target of an enclosing loop over a list (``for cb in self.callbacks:
        cb.on_epoch_end(model)``), that list's name (a list not rebuilt in the outer loop holds
        the same instances on every one of its iterations)."""
        if not isinstance(receiver, ast.Name):
            return None
        for loop_id, _ in reversed(frame.context.loops):
            loop = self.interp.loop_node(loop_id)
            if isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.target, ast.Name) \
                    and loop.target.id == receiver.id:
                items = loop.iter
                if isinstance(items, ast.Name):
                    return items.id
                if isinstance(items, ast.Attribute) and isinstance(items.value, ast.Name) \
                        and items.value.id == frame.self_name:
                    return attribute_key(items)
                return None
        return receiver.id

    def constructed(self, init: FunctionInfo, instance: Value, args: Sequence[Any], frame: Frame) -> Value:
        """``Cls(args)``: the instance, with what ``__init__`` stores on self when walked with
        these arguments (``Agent(device)``, ``Trainer(net)``); an attribute another method stores
        (``self.last = self.model(x)`` in ``step``) is the join of every store, those methods walked
        with this instance as ``self`` (``_joined_over_methods``); the class's join covers the rest.
        A container changed in place is left to that join; a module the class's other methods move
        or cast keeps no device or dtype."""
        if init.home is not None and init.home is not self.interp:
            with self._raised_here(init.home, frame):
                return init.home.functions.constructed(init, instance, args, frame)
        walked = self._walk_call(init, args, frame, True, None)
        owner = init.owner
        if walked is None or owner is None or owner.scan is None:
            return instance
        scan = owner.scan
        elsewhere = set().union(*scan.storing.values())
        kept: List[Tuple[str, Value]] = []
        private = self._private_lists(owner)
        for name, value in sorted(walked[2].items(), key=lambda item: item[0]):
            if name in private and _fresh_list(value):
                kept.append((name, value))  # its items are the ones this instance's method calls add
                continue
            if name in elsewhere and not scan.updated_in_place(name, value) or knows_nothing(value) or (
                    name in scan.changed_in_place and value.kind in (Kind.DICT, Kind.SEQUENCE)):
                continue
            if value.kind is Kind.MODULE and not scan.attr_calls.get(name, set()).isdisjoint(
                    api.MODULE_SELF_PLACING | api.MODULE_SELF_CASTS):
                value = value.with_(device=None, device_origin=None, dtype=None)  # self.net.cuda() in a method
            kept.append((name, value))
        if kept and elsewhere and instance.definition is owner:
            held = {name for name, _ in kept}  # a private list is kept as __init__ left it
            kept.extend(item for item in self._joined_over_methods(owner, instance.with_(attrs=tuple(kept)), walked[2])
                        if item[0] not in held)
        return instance.with_(attrs=tuple(kept)) if kept else instance

    def _private_lists(self, owner: ClassInfo) -> FrozenSet[str]:
        """The class's private lists (engine.private_lists) that neither this file nor the class's
        own writes from outside."""
        private = private_lists(owner.node)
        return private - written_in((self.interp, owner.home)) if private else private

    def walked_on(self, info: FunctionInfo, instance: Value, frame: Frame) -> Optional[Dict[str, Value]]:
        """What a method of no arguments stores on ``self`` when walked on this instance (a
        dataclass's ``__post_init__`` on the fields its construction gave); None where it cannot be."""
        if info.home is not None and info.home is not self.interp:
            with self._raised_here(info.home, frame):
                return info.home.functions.walked_on(info, instance, frame)
        walked = self._walk_call(info, [], frame, True, instance)
        return walked[2] if walked is not None else None

    def _joined_over_methods(self, owner: ClassInfo, instance: Value,
                             init_stores: Dict[str, Value]) -> List[Tuple[str, Value]]:
        """The attributes methods other than ``__init__`` store, for an instance its constructor
        built from known arguments: each storing method walked (silently) with this instance as
        ``self``, and what ``__init__`` and every one of them store joined, as the class's join
        (``ClassModel.class_attrs``) does with a generic ``self``. Names a base class or the
        class body also binds, and containers changed in place (``self.items.append(x)``), stay
        with the class's join;
        a method that cannot be walked now (recursion, spent budget) leaves them all there."""
        scan = owner.scan
        assert scan is not None
        key = (id(owner), instance.attrs)
        known = self._instance_joins.get(key)
        if known is not None:
            return known
        inherited = set(owner.class_attrs)
        for base in owner.bases:
            inherited.update(self.interp.classes.class_attrs(base))
        stores: Dict[str, Value] = {}
        for method_name in sorted(scan.storing):
            info = owner.methods.get(method_name)
            if info is None or info.active_calls or info.summarizing or self._call_budget <= 0:
                return []
            self._call_budget -= 1
            sink: Dict[str, Value] = {}
            info.active_calls += 1
            try:
                with self.interp.events_into([]):
                    self.walk_function(info, attr_sink=sink, moved=instance)
            finally:
                info.active_calls -= 1
            for name in scan.storing[method_name]:
                value = sink.get(name, UNKNOWN)  # stored on some path only: what it held before is unknown
                previous = stores.get(name)
                stores[name] = value if previous is None else join_stores(previous, value)
        joined: List[Tuple[str, Value]] = []
        for name, value in sorted(stores.items(), key=lambda item: item[0]):
            if name in inherited:
                continue
            before = init_stores.get(name)
            value = value if before is None else join_stores(before, value)
            if not knows_nothing(value) and not (
                    name in scan.changed_in_place and value.kind in (Kind.DICT, Kind.SEQUENCE)):
                joined.append((name, value))
        self._instance_joins[key] = joined
        return joined

    @contextmanager
    def _raised_here(self, home: "Interpreter", frame: Frame) -> Iterator[None]:
        """A call walked by another project module's interpreter with this file's arguments: the
        events it raises are raised here too, as a same-file helper's are (a float64 tensor
        converted here reaching a model called in that module's helper is this file's finding;
        one placed in that module is left to it: see lint.analyze)."""
        events: List[object] = []
        table = home.functions
        saved = table.walking_for
        table.walking_for = self.walking_for if self.walking_for is not None else self.interp.serial
        try:
            with home.events_into(events):
                yield
        finally:
            table.walking_for = saved
            for event in events:
                home.emit(frame, event)  # where they went: the linted file's rules, when it is that file
                self.interp.emit(frame, event)

    def _walk_call(self, info: FunctionInfo, args: Sequence[Any], frame: Frame, bound_self: bool,
                   receiver: Optional[Value]) -> Optional[Tuple[Value, Tuple[object, ...], Dict[str, Value],
                                                                Dict[str, Tuple[Any, str, Any]]]]:
        """The walk of ``info`` for this call's facts (cached), its events raised here: what it
        returns, its events and what it stored on self; None where only the summary can answer."""
        params = bind_parameters(info, args, bound_self)
        defaulted: FrozenSet[str] = frozenset()
        if params is not None:
            defaults = self._constant_defaults(info, params, bound_self)
            params.update(defaults)
            for name, literal in self._default_literals(info, defaults, bound_self).items():
                params[name] = self._constant_flag(info, name, params[name], literal)
            # `resolve(None)`: a None written at the call is decided on as a default is (evaluator.none_test).
            # (A caller's own None default passed on is not: deciding on it lost a real bug, RB019.)
            written = {id(arg.value) for arg in args if arg.value.kind is Kind.NONE and isinstance(arg.node, ast.Constant)}
            defaulted = frozenset(defaults) | {name for name, value in params.items() if id(value) in written}
        moved = receiver if receiver is not None and self._moved_since_built(info, receiver) else None
        # A constructor of no arguments is walked too (once per context): what it stores is the
        # same for every instance (`self.outputs = []`), the start of what its methods change.
        nothing_given = (bool(params) or info.node.name != "__init__") and all(
            knows_nothing(value) and not names_a_file(value) for value in (params or {}).values())
        if params is None or (moved is None and nothing_given):
            return None
        if info.active_calls or info.summarizing or self._call_budget <= 0:
            return None
        context = frame.context
        # Called from a branch of the module's own code (`if __name__ == "__main__":`): the
        # callee's globals include what that branch has bound so far (`args`, an import).
        closure = frame if frame.root is info.closure is self.interp.module_frame and frame is not info.closure else None
        key = (tuple(sorted(params.items(), key=lambda item: item[0])), context.grad, context.cuda_guarded,
               context.cuda_absent, context.distributed, context.expects_error,
               (moved.device, moved.dtype, moved.attrs, moved.qualname) if moved is not None else None, closure,
               self.walking_for)
        cached = info.call_results.get(key)
        if cached is None:
            self._call_budget -= 1
            info.active_calls += 1
            events: List[object] = []
            sink: Dict[str, Value] = {}
            try:
                with self.interp.events_into(events):
                    walked = self.walk_function(info, attr_sink=sink if info.owner is not None else None,
                                                params=params, caller=context, moved=moved, closure=closure,
                                                defaulted=defaulted)
            finally:
                info.active_calls -= 1
            cached = (_yielded(walked) if info.generator else _returned(walked), tuple(events), sink,
                      dict(walked.escaping_writes))
            info.call_results[key] = cached
        for event in cached[1]:
            self.interp.emit(frame, event)
        return cached

    def _constant_defaults(self, info: FunctionInfo, given: Dict[str, Value], bound_self: bool) -> Dict[str, Value]:
        """The parameters a call leaves to a constant default (``device="cuda"``): that constant; to
        a library name (``rnn_type=nn.LSTM``, ``dtype=torch.float32``): that API; or to a name the
        module binds once (``device=DEVICE``): its value."""
        defaults: Dict[str, Value] = {}
        for parameter, default in _default_pairs(info, bound_self):
            if parameter.arg in given:
                continue
            if _literal(default) or _constant_choice(default):
                defaults[parameter.arg] = self.interp.eval(default, info.closure)
            elif isinstance(default, ast.Name) and self._bound_once(info, default.id):
                # device=DEVICE, mean=MEAN: a module constant, the value the def read (bound once)
                defaults[parameter.arg] = self.interp.eval(default, info.closure)
            elif _dotted(default):
                value = self.interp.eval(default, info.closure)  # a name read: nothing runs
                if value.kind is Kind.API or (isinstance(default, ast.Name) and value.kind in (Kind.FUNCTION, Kind.CLASS)
                                              and isinstance(value.definition, (FunctionInfo, ClassInfo))):
                    # views=tta_views, block=ResBlock: a function or class of the project
                    defaults[parameter.arg] = value
            elif (isinstance(default, ast.Call) and _constant_call(default)
                  and self.interp.sem.qualname_of(default.func, info.closure) in api.DEVICE_CONSTRUCTORS):
                # device=torch.device("cpu"): a device of constants, which names no placement
                defaults[parameter.arg] = self.interp.eval(default, info.closure)
            elif isinstance(default, ast.Call) and _constant_call(default) and isinstance(default.func, ast.Name):
                built = self.interp.eval(default.func, info.closure)
                if built.kind is Kind.CLASS and isinstance(built.definition, ClassInfo):
                    # transform=ToTensor(): an instance of a class of the project, built once when
                    # the def ran (each call that leaves it gets that instance)
                    defaults[parameter.arg] = self.interp.eval(default, info.closure)
        return defaults

    def _default_literals(self, info: FunctionInfo, defaults: Dict[str, Value], bound_self: bool) -> Dict[str, object]:
        """The literal (a bool, number or string) of each default a call left, written in the def
        (``use_cuda=True``) or bound once at the module's top level (``use_cuda=USE_CUDA``)."""
        if not defaults:
            return {}
        written = {parameter.arg: default for parameter, default in _default_pairs(info, bound_self)}
        home = info.home if info.home is not None else self.interp
        literals: Dict[str, object] = {}
        for name in defaults:
            default = written.get(name)
            if isinstance(default, ast.Name) and self._bound_once(info, default.id):
                default = home.guard_flags.definition(default.id)
            if isinstance(default, ast.Constant) and isinstance(default.value, (bool, int, str)):
                literals[name] = default.value
        return literals

    def _constant_flag(self, info: FunctionInfo, name: str, value: Value, literal: object) -> Value:
        """The value of a parameter a call left to a literal default, known by its identity to hold
        that literal (``constant_flag``): one object per function and parameter, kept alive here."""
        key = (id(info.node), name)
        kept = self._constant_flags_by_parameter.get(key)
        if kept is None or kept[1] != literal:
            kept = self._constant_flags_by_parameter[key] = (value.with_(), literal)
            self.constant_flags[id(kept[0])] = kept
        return kept[0]

    def constant_flag(self, value: Value) -> Tuple[bool, object]:
        """Whether ``value`` is a parameter's literal default left by a call (``if use_cuda:`` with
        ``use_cuda=True`` left, also once stored: ``self.use_cuda = use_cuda``), and that literal."""
        kept = self.constant_flags.get(id(value))
        return (True, kept[1]) if kept is not None and kept[0] is value else (False, None)

    def _bound_once(self, info: FunctionInfo, name: str) -> bool:
        """``name`` is bound once in the file that defines ``info``, at its top level."""
        home = info.home if info.home is not None else self.interp
        return info.closure.function is None and home.guard_flags.definition(name) is not None

    def _moved_since_built(self, info: FunctionInfo, receiver: Value) -> bool:
        """The instance a method is called on is not as its class builds it: moved to CUDA, a
        module whose device or dtype changed (``.half()``, a join of paths that cast it), or one
        built with modules its constructor stored on self."""
        if receiver.attrs and info.owner is not None:
            return True
        if _subclass_of(receiver, info):
            return True  # a base's method run on a subclass instance: self has the subclass's attributes
        if receiver.kind is Kind.MODULE and info.owner is not None and info.owner.is_module:
            built = self.interp.classes.instance_value(info.owner)
            return (receiver.device, receiver.dtype) != (built.device, built.dtype)
        return receiver.device in (Device.CUDA, Device.MAYBE_CUDA)

    def returns_annotated(self, info: FunctionInfo) -> Value:
        return self.annotated(info.node.returns, info.closure)

    def summary(self, info: FunctionInfo) -> Value:
        """The value a call of a function of this file returns (its parameters unknown)."""
        if info.home is not None and info.home is not self.interp:
            return info.home.functions.summary(info)  # defined in another project module: its interpreter walks it
        if info.summarizing:
            return UNKNOWN  # recursion
        self.ensure_walked(info)
        if info.generator:
            return info.summary if info.summary is not None else UNKNOWN
        if info.summary is None or knows_nothing(info.summary) and not names_a_file(info.summary):
            return self.returns_annotated(info)
        return info.summary

    def ensure_walked(self, info: FunctionInfo) -> None:
        if info.home is not None and info.home is not self.interp:
            info.home.functions.ensure_walked(info)
            return
        if info.summary is not None or info.summarizing:
            return
        info.summarizing = True
        try:
            owner = info.owner
            # A method records what it stores on self: later reads in the same walk see it.
            sink: Optional[Dict[str, Value]] = {} if owner is not None else None
            events: List[object] = []
            with self.interp.events_into(events):
                frame = self.walk_function(info, attr_sink=sink)
            with self.interp.events_into(None):  # a function is walked once: its events always stand
                for event in events:
                    self.interp.emit(frame, event)
            info.updates_parameters = any(isinstance(event, ParameterUpdate) for event in events)
            info.writes_on_self = _written_on_self(info, events)
            info.stores = sink
            info.summary = _yielded(frame) if info.generator else _returned(frame)
            unguarded_start = not (info.guarded or self.interp.module_frame.context.cuda_guarded)
            info.returns_only_with_cuda = unguarded_start and bool(frame.exits_guarded) and all(frame.exits_guarded)
            if sink is not None and owner is not None and info.node.name == "__init__":
                owner.init_attrs = sink
        finally:
            info.summarizing = False

    def record_call(self, qualname: str, frame: Frame, constants: Optional[Dict[str, str]] = None) -> None:
        self.call_sites.setdefault(qualname, []).append((frame.context, frame.context.function, constants))

    def grad_off_everywhere(self, qualname: str) -> bool:
        """Every call of the function in this file runs with grad off (directly or via its callers)."""
        return self._all_call_sites(qualname, lambda c: c.grad is Tri.NO, lambda c: c.grad is Tri.YES, {})

    def guarded_everywhere(self, qualname: str, distributed_needs_cuda: Callable[[], bool] = lambda: False,
                           reached_when: FrozenSet[ParameterTest] = frozenset()) -> bool:
        """Every call of the function in this file that can reach the finding is on a CUDA-guarded path (or,
        where the project's process groups need CUDA, on a path that runs only in an initialized one: asked
        only when such a call is seen). A call whose constant arguments fail one of the parameter tests on
        the way to the finding (``mode="gpu"`` against ``if mode == "cpu":``) never reaches it."""
        if qualname in self.placement_helpers and all(caller == qualname for _, caller, _ in self.call_sites.get(qualname, ())):
            return True  # `to_gpu(x)` the file never calls (but itself): its callers in other modules decide
        return self._all_call_sites(qualname, lambda c: c.cuda_guarded or (c.distributed and distributed_needs_cuda()),
                                    lambda c: True, {}, reached_when)

    def _all_call_sites(self, qualname: str, holds: Callable[[Context], bool],
                        may_inherit: Callable[[Context], bool], seen: Dict[str, bool],
                        reached_when: FrozenSet[ParameterTest] = frozenset()) -> bool:
        if qualname in seen:
            # Decided already (a caller with two calls of the function), or being decided: a recursive
            # call proves nothing.
            return seen[qualname]
        seen[qualname] = False
        # a recursive call runs only where an outer call does: the outer calls decide
        sites = [site for site in self.call_sites.get(qualname, ()) if site[1] != qualname]
        if not sites:
            return False
        for context, caller, constants in sites:
            if holds(context) or _never_reaches(constants, reached_when):
                continue
            if may_inherit(context) and caller is not None and self._all_call_sites(caller, holds, may_inherit, seen):
                continue
            return False
        seen[qualname] = True
        return True


    def _wrapper_grad(self, decorator: FunctionInfo) -> Optional[Tri]:
        """The grad mode a decorator of the file runs the function it wraps in: its inner wrapper
        calls the wrapped function (the decorator's parameter) only inside ``with torch.no_grad():``
        (or another grad switch, or the wrapper is itself decorated with one); None otherwise."""
        if hasattr(decorator.node, "_ntl_wrapper_grad"):
            return getattr(decorator.node, "_ntl_wrapper_grad")  # read once per definition
        mode = self._read_wrapper_grad(decorator)
        setattr(decorator.node, "_ntl_wrapper_grad", mode)
        return mode

    def _read_wrapper_grad(self, decorator: FunctionInfo) -> Optional[Tri]:
        arguments = decorator.node.args.posonlyargs + decorator.node.args.args
        if len(arguments) != 1:
            return None
        wrapped = arguments[0].arg
        modes: List[Optional[Tri]] = []
        for inner in decorator.node.body:
            if not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            outer = next((grad_mode_of(self.interp.sem.qualname_of(d.func if isinstance(d, ast.Call) else d,
                                                                   decorator.closure),
                                       d if isinstance(d, ast.Call) else None) for d in inner.decorator_list), None)
            for call in walk(inner):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == wrapped:
                    modes.append(outer if outer is not None else self._enclosing_grad(inner, call, decorator))
        if not modes or any(mode is None for mode in modes) or len(set(modes)) != 1:
            return None
        return modes[0]

    def _enclosing_grad(self, function: FunctionNode, call: ast.Call, decorator: FunctionInfo) -> Optional[Tri]:
        """The grad switch of the innermost ``with`` around ``call`` in ``function``, if any."""
        found: Optional[Tri] = None
        for block in walk(function):
            if isinstance(block, (ast.With, ast.AsyncWith)) and any(node is call for node in walk(block)):
                for item in block.items:
                    expr = item.context_expr
                    mode = grad_mode_of(self.interp.sem.qualname_of(expr.func if isinstance(expr, ast.Call) else expr,
                                                                    decorator.closure),
                                        expr if isinstance(expr, ast.Call) else None)
                    if mode is not None:
                        found = mode
        return found

    def make_function(self, node: FunctionNode, frame: Frame, owner: Optional[ClassInfo] = None) -> FunctionInfo:
        grad = self.interp.grad_default
        # `@unittest.skipIf(not torch.cuda.is_available())`, `@RunIf(min_cuda_gpus=1)`, `@requires_gpu`:
        # the function only runs where CUDA is; and a method named `cuda`/`to` *is* the placement API.
        # A function or another method so named (`def to_gpu(x): return x.cuda()`, a buffer's
        # `_to_device`) is a helper of the file: its placement is flagged where the file calls it
        # unguarded (guarded_everywhere), and left to the callers elsewhere where the file never calls it.
        placement_api = node.name in api.PLACEMENT_METHOD_NAMES
        overrides_api = owner is not None and node.name in api.PLACEMENT_API_OVERRIDES
        guarded = (frame.context.cuda_guarded or (owner is not None and owner.cuda_only)
                   or decorated_for_cuda(node) or overrides_api)
        for decorator in node.decorator_list:
            callee = decorator.func if isinstance(decorator, ast.Call) else decorator
            value = self.interp.eval(callee, frame)
            mode = grad_mode_of(value.qualname, decorator if isinstance(decorator, ast.Call) else None) \
                if value.kind is Kind.API else None
            if mode is None and value.kind is Kind.API and not isinstance(decorator, ast.Call) \
                    and (value.qualname or "") in api.GRAD_CONTEXT_OBJECTS:
                # `inference = torch.no_grad()` then `@inference`: the object decorates as it enters
                enabled = api.GRAD_CONTEXT_OBJECTS[value.qualname or ""]
                mode = Tri.UNKNOWN if enabled is None else (Tri.YES if enabled else Tri.NO)
            if mode is None and value.kind is Kind.FUNCTION and isinstance(value.definition, FunctionInfo) \
                    and not isinstance(decorator, ast.Call):
                mode = self._wrapper_grad(value.definition)  # @no_grad_method: a decorator of the file
            if mode is not None:
                grad = mode  # @torch.no_grad(), @torch.inference_mode(False), @torch.set_grad_enabled(False)
        if owner is not None:
            qual = f"{owner.name}.{node.name}"
        elif frame.function is not None:
            qual = f"{frame.function.qualname}.{node.name}"
        else:
            qual = node.name
        # A method's globals are the module's (or enclosing function's), not the class body's.
        closure = frame.parent if owner is not None and frame.parent is not None else frame
        info = FunctionInfo(qual, node, closure, grad, owner, guarded=guarded, home=self.interp)
        if placement_api and not overrides_api:
            self.placement_helpers.add(qual)
        self.interp.deferred.append(info)
        for default in list(node.args.defaults) + [d for d in node.args.kw_defaults if d is not None]:
            self.interp.eval(default, frame)
        return info


def _default_pairs(info: FunctionInfo, bound_self: bool) -> List[Tuple[ast.arg, ast.expr]]:
    """Each parameter with a default and that default, as written in the def (the implicit
    ``self``/``cls`` of a bound call left out)."""
    node = info.node.args
    positional = list(node.posonlyargs) + list(node.args)
    positional = positional[_implicit_positionals(info, bound_self) or 0:]
    pairs = list(zip(positional[len(positional) - len(node.defaults):], node.defaults))
    pairs += [(p, d) for p, d in zip(node.kwonlyargs, node.kw_defaults) if d is not None]
    return pairs


def _self_stores(statement: ast.stmt, self_name: str) -> Iterator[str]:
    """The ``self.<name>`` a plain assignment statement stores (``self.a, self.b = ...`` too)."""
    targets: List[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        targets = [statement.target]
    while targets:
        target = targets.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == self_name:
            yield target.attr
        else:
            flagged = _grad_flagged(target, self_name)
            if flagged is not None:
                yield flagged


def _fresh_list(value: Value) -> bool:
    """An empty list (``self.probs = []``, in ``__init__`` or a ``reset()`` it calls). Where the list
    is private (engine.private_lists) it is kept on a new instance although other methods grow or
    store it: every item a fact could be asked of is one a method call on this instance put
    there, and each such call updates the instance (``_receiver_after``: a settled append adds
    its item, a change on some paths only joins with what the list held)."""
    return value.kind is Kind.SEQUENCE and value.elements == () and value.element is None


def _self_grown(statement: ast.stmt, self_name: str) -> Iterator[str]:
    """The ``self.<name>`` a call statement grows (``self.probs.append(p)``): the list the walk leaves
    there is the receiver's list with the item added."""
    call = statement.value if isinstance(statement, ast.Expr) else None
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr in GROWING_METHODS and isinstance(call.func.value, ast.Attribute)
            and isinstance(call.func.value.value, ast.Name) and call.func.value.value.id == self_name):
        yield call.func.value.attr


def _grad_flagged(target: ast.AST, self_name: Optional[str]) -> Optional[str]:
    """``self.log_t.requires_grad = ...``: the attribute ``log_t`` (a stored target), else None."""
    if (isinstance(target, ast.Attribute) and target.attr == "requires_grad" and not isinstance(target.ctx, ast.Load)
            and isinstance(target.value, ast.Attribute) and isinstance(target.value.value, ast.Name)
            and target.value.value.id == self_name):
        return target.value.attr
    return None


def _may_return(statement: ast.stmt) -> bool:
    return any(isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) for node in walk(statement)
               if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))


def settled_stores(info: FunctionInfo) -> FrozenSet[str]:
    """The ``self.<name>`` a method stores on every path that returns: plain assignments among its
    body's top-level statements (and those of top-level ``with`` blocks) up to the first statement
    that may return early. Kept on the node."""
    known = getattr(info.node, "_ntl_settled", None)
    if known is not None:
        return known
    self_name = _self_parameter(info)
    found: Set[str] = set()
    if self_name is not None:
        pending = list(info.node.body)
        while pending:
            statement = pending.pop(0)
            if isinstance(statement, (ast.With, ast.AsyncWith)):
                pending[:0] = statement.body
                continue
            if isinstance(statement, ast.Return):
                break
            if _may_return(statement):
                break
            found.update(_self_stores(statement, self_name))
            found.update(_self_grown(statement, self_name))
    result = frozenset(found)
    setattr(info.node, "_ntl_settled", result)
    return result


def stores_reached(owner: ClassInfo, info: FunctionInfo) -> FrozenSet[str]:
    """The ``self.<name>`` a method may change: what it stores, grows or moves, and what the methods
    it calls on ``self`` do in turn (``self.log_t.requires_grad = True`` changes ``log_t``). Kept on
    the node (asked at every call of the method)."""
    known = getattr(info.node, "_ntl_stores_reached", None)
    if known is not None:
        return known
    scan = owner.scan
    if scan is None:
        return frozenset()
    changed: Set[str] = set()
    reached: Dict[str, FunctionInfo] = {}
    for method, node in self_accesses(owner, info.node.name):
        reached[method.node.name] = method
        if not isinstance(node.ctx, ast.Load):
            changed.add(node.attr)
    for name, method in reached.items():
        changed |= scan.storing.get(name, set()) | scan.growing.get(name, set()) | scan.placing.get(name, set())
        self_name = _self_parameter(method)
        changed.update(name for name in (_grad_flagged(node, self_name) for node in walk(method.node)) if name)
    result = frozenset(changed)
    setattr(info.node, "_ntl_stores_reached", result)
    return result


def returns_self(info: FunctionInfo) -> bool:
    """Every ``return`` of the method returns its ``self`` (a fluent ``fit``). Kept on the node."""
    known = getattr(info.node, "_ntl_returns_self", None)
    if known is None:
        self_name = _self_parameter(info)
        returns = [node for node in walk(info.node) if isinstance(node, ast.Return)]
        known = bool(returns) and self_name is not None and all(
            isinstance(node.value, ast.Name) and node.value.id == self_name for node in returns)
        setattr(info.node, "_ntl_returns_self", known)
    return bool(known)


def _subclass_of(receiver: Value, info: FunctionInfo) -> bool:
    """The method's instance is of a class that inherits it (not the class that defines it)."""
    cls = receiver.definition
    return (isinstance(cls, ClassInfo) and info.owner is not None and cls is not info.owner
            and receiver.kind in (Kind.MODULE, Kind.INSTANCE) and cls.method(info.node.name) is info)


def _never_reaches(constants: Optional[Dict[str, str]], reached_when: FrozenSet[ParameterTest]) -> bool:
    """A call's constant arguments fail one of the parameter tests on the way to a finding."""
    return constants is not None and any(
        name in constants and (constants[name] == value) is not equal for name, value, equal in reached_when)


def constant_arguments(info: FunctionInfo, args: Sequence[Any], bound_self: bool) -> Optional[Dict[str, str]]:
    """The parameters a call fills with a constant (``repr`` of it), given or by a constant default;
    None when the call's shape is not followed (``*args``, a method called unbound)."""
    names = _parameter_names(info, bound_self)
    if names is None or any(arg.starred for arg in args):
        return None
    node = info.node.args
    constants: Dict[str, str] = {}
    given: Set[str] = set()
    positional = [arg for arg in args if arg.keyword is None]
    for name, arg in zip(names, positional):
        given.add(name)
        if isinstance(arg.node, ast.Constant):
            constants[name] = repr(arg.node.value)
    for arg in args:
        if arg.keyword is not None:
            given.add(arg.keyword)
            if isinstance(arg.node, ast.Constant):
                constants[arg.keyword] = repr(arg.node.value)
    all_positional = list(node.posonlyargs) + list(node.args)
    defaults = list(zip(all_positional[len(all_positional) - len(node.defaults):], node.defaults))
    defaults += [(p, d) for p, d in zip(node.kwonlyargs, node.kw_defaults) if d is not None]
    for parameter, default in defaults:
        if parameter.arg not in given and isinstance(default, ast.Constant):
            constants[parameter.arg] = repr(default.value)
    return constants


def _yielded(frame: Frame) -> Value:
    """A call of a generator: an iterable of the join of what its walk yielded (unknown if nothing)."""
    element: Optional[Value] = None
    for value in frame.yields:
        element = value if element is None else join(element, value)
    return Value(kind=Kind.SEQUENCE, element=element) if element is not None and not knows_nothing(element) else UNKNOWN


def _written_on_self(info: FunctionInfo, events: Sequence[object]) -> FrozenSet[str]:
    """The attributes of ``self`` a method's walk wrote in place (its InPlaceWrite events on ``self.<attr>``)."""
    self_name = _self_parameter(info)
    if self_name is None:
        return frozenset()
    prefix = self_name + "."
    return frozenset(event.name[len(prefix):] for event in events
                     if isinstance(event, InPlaceWrite) and event.name.startswith(prefix) and "." not in event.name[len(prefix):])


def names_a_file(value: Value) -> bool:
    """A path value that names its file (``return CACHE / "feats.npy"``): kept through a return, so that
    ``np.load(helper())`` reads what ``np.save`` wrote there (numpy_model.file_name)."""
    return value.qualname is not None and value.qualname.startswith(api.NAMED_FILE)


def _returned(frame: Frame) -> Value:
    """The join of a walked function's return values (``None`` when it never returns one)."""
    result: Optional[Value] = None
    for value in frame.returns:
        result = value if result is None else join(result, value)
    return result if result is not None else Value(kind=Kind.NONE)


def _parameter_names(info: FunctionInfo, bound_self: bool) -> Optional[List[str]]:
    """Positional parameter names a call fills, or None when the call's shape is not followed."""
    skipped = _implicit_positionals(info, bound_self)
    if skipped is None:
        return None
    return [p.arg for p in list(info.node.args.posonlyargs) + list(info.node.args.args)][skipped:]


def _implicit_positionals(info: FunctionInfo, bound_self: bool) -> Optional[int]:
    """How many leading positional parameters a call does not fill itself: a method's ``self``
    (called on an instance), a classmethod's ``cls`` (on the class or an instance), none for a
    staticmethod (either way) or a plain function. None: a shape not followed (``Cls.method(obj,
    ...)``, a function reached as a bound method)."""
    node = info.node
    if info.owner is None:
        return None if bound_self else 0
    if _is_classmethod(node):
        return 1 if list(node.args.posonlyargs) + list(node.args.args) else None
    if _is_static(node):
        return 0
    return 1 if bound_self and (node.args.posonlyargs or node.args.args) else None


def _self_parameter(info: FunctionInfo) -> Optional[str]:
    """The name of a method's instance parameter (``self``), if it is a method."""
    positional = list(info.node.args.posonlyargs) + list(info.node.args.args)
    return positional[0].arg if info.owner is not None and positional and not _is_static(info.node) else None


def bind_parameters(info: FunctionInfo, args: Sequence[Any], bound_self: bool) -> Optional[Dict[str, Value]]:
    """Parameter name -> the argument's value (memory shares dropped: they name the caller's variables)."""
    names = _parameter_names(info, bound_self)
    if names is None or any(arg.starred for arg in args):
        return None
    keywords = set(names) | {p.arg for p in info.node.args.kwonlyargs}
    params: Dict[str, Value] = {}
    positional = [arg for arg in args if arg.keyword is None]
    if len(positional) > len(names) and info.node.args.vararg is None:
        return None  # not this function's shape: a call we do not understand
    for name, arg in zip(names, positional):
        params[name] = arg.value
    vararg = info.node.args.vararg
    if vararg is not None:
        # `def run(model, *inputs)` called with (m, x): inputs is the tuple (x,)
        params[vararg.arg] = sequence(tuple(arg.value for arg in positional[len(names):]))
    for arg in args:
        if arg.keyword in keywords:
            params[arg.keyword] = arg.value
    kwarg = info.node.args.kwarg
    if kwarg is not None:
        # `def run(model, *inputs, **options)` called with (m, x, scale=2): options is {"scale": 2}
        extra = [arg for arg in args if arg.keyword is not None and arg.keyword not in keywords]
        params[kwarg.arg] = keyword_dict([arg.keyword for arg in extra], [arg.value for arg in extra])
    return {name: value.with_(shares_with=None, shared_at=None) if value.shares_with else value
            for name, value in params.items()}


def parameters_given(info: FunctionInfo, args: Sequence[Any], bound_self: bool) -> List[Tuple[str, Any]]:
    """Each argument of a call with the parameter it fills (extra positional ones: ``*args``'s
    name), up to the first starred argument (past it, which parameter gets what is not known)."""
    arguments = info.node.args
    names = [p.arg for p in list(arguments.posonlyargs) + list(arguments.args)][
        _implicit_positionals(info, bound_self) or 0:]
    vararg = arguments.vararg.arg if arguments.vararg is not None else None
    pairs: List[Tuple[str, Any]] = []
    position = 0
    for arg in args:
        if arg.starred:
            break
        if arg.keyword is not None:
            pairs.append((arg.keyword, arg))
            continue
        parameter = names[position] if position < len(names) else vararg
        position += 1
        if parameter is not None:
            pairs.append((parameter, arg))
    return pairs


def argument_name(info: FunctionInfo, args: Sequence[Any], bound_self: bool, parameter: str,
                  receiver: Optional[str] = None) -> Optional[str]:
    """The caller's variable passed as ``parameter``, if it was passed as a plain name or an
    attribute of one (``data.x``: see ``scope.storage_key``). An attribute of the parameter
    (``buf.rewards``) is that attribute of a plain name passed there; an attribute of a
    method's ``self``, that attribute of the caller's ``receiver`` (a plain name)."""
    root, dot, attr = parameter.partition(".")
    if dot and receiver is not None and bound_self and root == _self_parameter(info):
        return f"{receiver}.{attr}" if "." not in receiver and "." not in attr else None
    if dot:
        holder = argument_name(info, args, bound_self, root)
        return f"{holder}.{attr}" if holder is not None and "." not in holder and "." not in attr else None
    names = _parameter_names(info, bound_self) or []
    positional = [arg for arg in args if arg.keyword is None]
    for name, arg in zip(names, positional):
        if name == parameter:
            return storage_key(arg.node)
    for arg in args:
        if arg.keyword == parameter:
            return storage_key(arg.node)
    return None


def decorated_for_cuda(node: Union[FunctionNode, ast.ClassDef]) -> bool:
    """A decorator that names CUDA or a GPU: the definition runs only where one is. Or one that
    skips a test outright (``@pytest.mark.skip(reason=...)``): it runs nowhere."""
    for decorator in node.decorator_list:
        try:
            text = ast.unparse(decorator).lower()
            callee = ast.unparse(decorator.func if isinstance(decorator, ast.Call) else decorator)
        except Exception:  # noqa: BLE001 - an odd decorator is simply not a guard
            continue
        if "cuda" in text or "gpu" in text or callee in api.SKIP_DECORATORS:
            return True
    return False


def _is_static(node: FunctionNode) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod") for d in node.decorator_list)


def _is_classmethod(node: FunctionNode) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "classmethod" for d in node.decorator_list)


def _literal(node: ast.expr) -> bool:
    """A default written as a literal: a constant, a signed number (``lo=-1.0``: a unary minus in
    the tree), or a tuple or list of literals (``size=(224, 224)``)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_literal(element) for element in node.elts)
    return isinstance(node, ast.Constant)


def _constant_call(node: ast.Call) -> bool:
    """``torch.device("cpu")``, ``torch.device("cuda", 0)``: a call of a dotted name with constants
    only, or a choice of two constants (``torch.device("cuda" if torch.cuda.is_available() else "cpu")``)."""
    return _dotted(node.func) and not node.keywords and all(
        isinstance(arg, ast.Constant) or _constant_choice(arg) for arg in node.args)


def _constant_choice(node: ast.expr) -> bool:
    """``"cuda" if torch.cuda.is_available() else "cpu"``: two constants and a test of dotted names."""
    return (isinstance(node, ast.IfExp) and isinstance(node.body, ast.Constant) and isinstance(node.orelse, ast.Constant)
            and all(isinstance(inner, (ast.Call, ast.Attribute, ast.Name, ast.Load, ast.Compare, ast.UnaryOp, ast.Not,
                                       ast.Constant, ast.cmpop))
                    for inner in ast.walk(node.test)))


def _dotted(node: ast.expr) -> bool:
    """``nn.LSTM``, ``torch.float32``, ``np.float64``: a name or a chain of attributes of one."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)
