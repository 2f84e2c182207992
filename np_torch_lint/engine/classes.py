"""Classes of one file: what an instance is, and what ``self.<name>`` holds in any method.

An ``nn.Module`` subclass's instance is a float32 module (unless the class casts itself);
whether it has parameters comes from its attributes. ``self.<name>`` is the join of every
value any method stores on it, the bases' attributes and class-level names included; a list
that methods only append to holds the join of what they append; a module that a method moves
in place (``self.net.cuda()``) is joined with its moved self.
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Set

from . import api, containers
from .functions import decorated_for_cuda
from .nodes import walk
from .private_lists import private_dicts, written_in
from .scope import ClassInfo, Frame, FunctionInfo, self_accesses
from .values import UNKNOWN, Device, Kind, Tri, Value, join_stores

if TYPE_CHECKING:
    from .interpreter import Interpreter


#: the method a dataclass's generated ``__init__`` ends by calling.
POST_INIT = "__post_init__"


class ClassModel:
    def __init__(self, interp: "Interpreter") -> None:
        self.interp = interp


    def instance_value(self, cls: ClassInfo) -> Value:
        if cls.is_module:
            dtype = api.FLOAT32 if not cls.casts_self else None
            # Built on CPU, unless the class places itself (self.cuda(), self.to(device) in a method).
            device = None if cls.places_self else Device.CPU
            return Value(kind=Kind.MODULE, qualname=cls.name, dtype=dtype, device=device,
                         parametric=self.class_parametric(cls), definition=cls, training=Tri.YES)
        return Value(kind=Kind.INSTANCE, qualname=cls.name, definition=cls)

    def class_attrs(self, cls: ClassInfo) -> Dict[str, Value]:
        """``self.<name>`` as any method may leave it: the join of every value assigned to it.

        ``__init__`` (and the bases' attributes, and class-level names) come first; then each
        other method that stores on ``self`` is walked silently and what it stores is joined in.
        A read can only see a value some method stored (before any store it raises), so the
        join over the class's stores is what a read in any method sees. While the other
        methods are walked, their names read as unknown.
        """
        if cls.attrs is not None:
            return cls.attrs
        if cls.home is not None and cls.home is not self.interp:
            return cls.home.classes.class_attrs(cls)
        if cls.computing_attrs:
            return {}
        init = cls.methods.get("__init__")
        if init is not None and init.summarizing:
            return {}  # asked from inside __init__'s own walk: nothing is known yet, and nothing is kept
        cls.computing_attrs = True
        try:
            attrs: Dict[str, Value] = {}
            for base in cls.bases:
                attrs.update(self.class_attrs(base))
            attrs.update(cls.class_attrs)
            if init is not None:
                self.interp.functions.ensure_walked(init)
                attrs.update(cls.init_attrs or {})
            post_init = cls.methods.get(POST_INIT)
            if post_init is not None:
                # a dataclass runs __post_init__ at the end of every construction: what it stores
                # is what __init__ left there (`self.grid = np.linspace(...)` for a field(init=False))
                attrs.update(self.walk_silently(post_init))
            storing = {method: names for method, names in cls.scan.storing.items() if method != POST_INIT}
            elsewhere = {name for name in set().union(*storing.values())
                         if not cls.scan.updated_in_place(name, attrs.get(name, UNKNOWN))}
            grown = set().union(*cls.scan.growing.values())
            item_stored = set().union(*cls.scan.item_storing.values()) & private_dicts(cls.node)
            placed = set().union(*cls.scan.placing.values())
            cls.attrs = {**attrs, **{name: UNKNOWN for name in elsewhere}}
            stored: Dict[str, Value] = {}
            walked = set(storing) | set(cls.scan.growing) | set(cls.scan.placing) | {
                method for method, names in cls.scan.item_storing.items() if names & item_stored}
            for method in cls.methods.values():
                if method.node.name in walked:
                    for name, value in self.walk_silently(method).items():
                        previous = stored.get(name)
                        stored[name] = value if previous is None else join_stores(previous, value)
            final = dict(cls.attrs)
            # a module moved in place by a method (self.net.cuda()) is, after that method, where
            # it was moved: joined with where __init__ left it (placed_in_place stores the move)
            for name in elsewhere | grown | placed | item_stored:
                joined = stored.get(name)
                if joined is not None:
                    before = attrs.get(name)
                    final[name] = joined if before is None else join_stores(before, joined)
            for name in cls.scan.changed_in_place:
                held = final.get(name)
                if (held is not None and held.kind is Kind.SEQUENCE and held.element is not None
                        and name not in cls.scan.changed_otherwise):
                    # only appended to (in any method, the walks above joined what each adds) or
                    # emptied: every element is one some method put there, at a position not known.
                    final[name] = Value(kind=Kind.SEQUENCE, element=held.element)
                    continue
                if (name in item_stored and held is not None and held.kind is Kind.DICT and held.element is not None
                        and name not in written_in((self.interp, cls.home))):
                    # a private cache (private_lists.private_dicts): every value it holds is one of its
                    # item stores, joined by the walks above, under a key not known.
                    final[name] = Value(kind=Kind.DICT, element=held.element)
                    continue
                if held is not None and held.kind in (Kind.DICT, Kind.SEQUENCE):
                    # self.cache[k] = v, self.items.append(v) somewhere: what the literal held is stale.
                    final[name] = Value(kind=held.kind, element=UNKNOWN)
            for name in cls.scan.augmented:
                # `self.correct += hits` in some method (its walk stored nothing: interpreter.aug_assign):
                # a tensor or array is updated in place, the same object; anything else may change
                held = final.get(name)
                if held is not None and held.kind is Kind.TENSOR:
                    final[name] = in_place_updated(held)
                elif held is not None and held.kind is not Kind.NDARRAY:
                    final[name] = UNKNOWN
            cls.attrs = final
        finally:
            cls.computing_attrs = False
        return cls.attrs

    def walk_silently(self, info: FunctionInfo) -> Dict[str, Value]:
        """Walk a method for what it stores on ``self``; its events are dropped (its own walk raises them)."""
        sink: Dict[str, Value] = {}
        with self.interp.events_into([]):
            self.interp.functions.walk_function(info, attr_sink=sink)
        return sink

    def frozen(self, cls: ClassInfo) -> bool:
        """A method of the class (or of a base) freezes the class's own parameters (engine.freezing):
        whether an instance's parameters still need grad is decided at run time."""
        return any(current.name in (current.home if current.home is not None else self.interp).frozen_classes
                   for current in cls.lineage())

    def may_hold_frozen(self, module: Value, depth: int = 0) -> bool:
        """Some of the module's parameters may be frozen by a class that freezes its own: the module
        is such an instance, or holds one (a probe around a frozen encoder), as far as is known."""
        if module.qualname in api.PARAMETRIC_MODULES and module.parametric is not Tri.YES:
            return True  # a torch layer of such a class (frozen_member)
        cls = module.definition
        if not isinstance(cls, ClassInfo):
            return False
        if self.frozen(cls):
            return True
        if depth >= _HOLDING_DEPTH:
            return True  # deeper than followed: not known to hold none
        held = list(self.class_attrs(cls).values()) + [value for _, value in (module.attrs or ())]
        return any(value.kind is Kind.MODULE and self.may_hold_frozen(value, depth + 1) for value in held)

    def class_parametric(self, cls: ClassInfo) -> Tri:
        if self.frozen(cls):
            return Tri.UNKNOWN
        init = cls.methods.get("__init__")
        if cls.attrs is None and (cls.computing_attrs or (init is not None and init.summarizing)):
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
            base = self.interp.eval(base_node, frame)
            if base.kind is Kind.API and base.qualname in api.MODULE_BASES:
                is_module = True
            elif base.kind is Kind.API and base.qualname in api.DATASET_BASES:
                is_dataset = True
            elif base.kind is Kind.CLASS and isinstance(base.definition, ClassInfo):
                bases.append(base.definition)
                is_module = is_module or base.definition.is_module
                is_dataset = is_dataset or base.definition.is_dataset
        qual = node.name if frame.function is None else f"{frame.function.qualname}.{node.name}"
        scan = getattr(node, "_ntl_scan", None)  # kept on the node: a module walked again scans it once
        if scan is None:
            scan = ClassScan(node)
            setattr(node, "_ntl_scan", scan)
        cls = ClassInfo(qual, node, is_module, bases, is_dataset=is_dataset, cuda_only=decorated_for_cuda(node),
                        casts_self=is_module and scan.calls_on_self(api.MODULE_SELF_CASTS), home=self.interp,
                        places_self=is_module and (scan.calls_on_self(api.MODULE_SELF_PLACING)
                                                   or any(base.places_self for base in bases)), scan=scan)
        body_frame = Frame(frame, frame.context, frame.function)
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                cls.methods[statement.name] = self.interp.functions.make_function(statement, body_frame, owner=cls)
            else:
                self.interp.statement(statement, body_frame)
        for name, value in body_frame.env.items():
            if value.kind is not Kind.FUNCTION:
                cls.class_attrs[name] = value
        frame.env[node.name] = Value(kind=Kind.CLASS, qualname=qual, definition=cls)


class ClassScan:
    """What one walk of a class body tells: the ``self.<name>`` each method other than
    ``__init__`` assigns or grows, the containers on ``self`` written through an index or a method, and
    the methods the class calls on itself (``self.double()``, ``self.cuda()``)."""

    def __init__(self, node: ast.ClassDef) -> None:
        self.storing: Dict[str, Set[str]] = {}
        self.changed_in_place: Set[str] = set()
        self.self_calls: Set[str] = set()
        # method -> the self.<name> lists it grows (append/extend/insert), for methods other than
        # __init__; and the containers on self changed some other way (an item stored, update()).
        self.growing: Dict[str, Set[str]] = {}
        # method -> the self.<name> it stores an item of (``self.cache[k] = v``), for methods other than __init__
        self.item_storing: Dict[str, Set[str]] = {}
        self.changed_otherwise: Set[str] = set()
        # method -> the self.<name> it moves or casts in place (self.net.cuda() in to_gpu()).
        self.placing: Dict[str, Set[str]] = {}
        # attribute -> methods the class's methods other than __init__ call on it (self.net.cuda());
        # __init__'s own calls are walked with each construction.
        self.attr_calls: Dict[str, Set[str]] = {}
        # the self.<name> that methods other than __init__ store only by augmented assignment
        # (``self.pos += self.vel``): on an array that is an in-place update of the same object
        augmented: Set[str] = set()
        plain: Set[str] = set()
        for statement in node.body:
            method = statement.name if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
            augmented_targets: Set[int] = set()
            for current in walk(statement):
                if isinstance(current, ast.AugAssign):
                    augmented_targets.add(id(current.target))  # (walk visits a statement before its target)
                if isinstance(current, ast.Attribute) and _is_self(current.value):
                    if isinstance(current.ctx, ast.Store) and method is not None and method != "__init__":
                        self.storing.setdefault(method, set()).add(current.attr)
                        (augmented if id(current) in augmented_targets else plain).add(current.attr)
                    continue
                held: Optional[ast.expr] = None
                if isinstance(current, ast.Subscript) and not isinstance(current.ctx, ast.Load):
                    held = current.value
                elif isinstance(current, ast.AugAssign) and isinstance(current.target, ast.Subscript):
                    held = current.target.value
                elif isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
                    if _is_self(current.func.value):
                        self.self_calls.add(current.func.attr)
                        registered = registered_name(current)
                        if registered is not None and method is not None and method != "__init__":
                            self.storing.setdefault(method, set()).add(registered)  # self.register_buffer("m", t)
                    held = current.func.value  # self.items.append(x), self.cache.update(...)
                    if isinstance(held, ast.Attribute) and _is_self(held.value):
                        if method != "__init__":
                            self.attr_calls.setdefault(held.attr, set()).add(current.func.attr)
                        if (method is not None and method != "__init__"
                                and current.func.attr in api.MODULE_PLACING_METHODS | api.MODULE_SELF_CASTS):
                            self.placing.setdefault(method, set()).add(held.attr)  # self.net.cuda()
                        if current.func.attr in containers.GROWING_METHODS:
                            if method is not None and method != "__init__":
                                self.growing.setdefault(method, set()).add(held.attr)
                        elif current.func.attr not in containers.NON_ADDING_METHODS:
                            self.changed_otherwise.add(held.attr)
                if isinstance(held, ast.Attribute) and _is_self(held.value):
                    if (isinstance(current, ast.Subscript) and isinstance(current.ctx, ast.Store)
                            and method is not None and method != "__init__"):
                        self.item_storing.setdefault(method, set()).add(held.attr)  # self.cache[k] = v
                    self.changed_in_place.add(held.attr)
                    if not isinstance(current, ast.Call):
                        self.changed_otherwise.add(held.attr)
        self.augmented_only: FrozenSet[str] = frozenset(augmented - plain)
        self.augmented: FrozenSet[str] = frozenset(augmented)  # updated with `+=` in some method

    def updated_in_place(self, name: str, value: Value) -> bool:
        """``self.<name>`` holds ``value`` after ``__init__``, and other methods only update it with
        augmented assignment: an array's or a tensor's ``+=`` writes the same object in place (its
        dtype, rank, strides and device stay; an unsafe cast raises), so what ``__init__`` left there
        holds in every method (a tensor's grad aside: ``classes.in_place_updated``)."""
        return name in self.augmented_only and value.kind in (Kind.NDARRAY, Kind.TENSOR)

    def calls_on_self(self, methods: FrozenSet[str]) -> bool:
        return not self.self_calls.isdisjoint(methods)


#: modules held within modules followed for a frozen class's instance (may_hold_frozen)
_HOLDING_DEPTH = 4


def frozen_member(value: Value) -> Value:
    """An attribute of an instance of a class that freezes its own parameters: its layers' and
    parameters' grad is not known."""
    if value.kind is Kind.MODULE and value.parametric is Tri.YES:
        return value.with_(parametric=Tri.UNKNOWN)
    if value.kind is Kind.TENSOR and value.param_view:  # an nn.Parameter (a flag set by a method is followed)
        return value.with_(requires_grad=Tri.UNKNOWN, grad_leaf=False, param_view=False)
    return value


def in_place_updated(tensor: Value) -> Value:
    """A tensor attribute other methods update with ``+=`` (a metric's running count): the same
    object, of the same dtype and device; whether it needs grad depends on what was added."""
    return tensor.with_(requires_grad=Tri.UNKNOWN, grad_leaf=False, param_view=False)


def method_stored(cls: ClassInfo) -> FrozenSet[str]:
    """The ``self.<name>`` that methods other than ``__init__`` (the bases' too) store plainly: a
    call of one may change them (augmented-only arrays are updated in place, the same object)."""
    names: Set[str] = set()
    pending = [cls]
    while pending:
        current = pending.pop()
        pending.extend(current.bases)
        if current.scan is not None:
            names |= set().union(*current.scan.storing.values()) - current.scan.augmented_only
    return frozenset(names)


def attributes_read(cls: ClassInfo, method: str) -> Set[str]:
    """The ``self.<name>`` a method of ``cls`` reads, and the methods it calls on ``self`` read in
    turn (``data.raw_summary()`` reads ``data.raw``: NTL401's later read of a shared array)."""
    return {node.attr for _, node in self_accesses(cls, method) if isinstance(node.ctx, ast.Load)}


def registered_name(call: ast.Call) -> Optional[str]:
    """The attribute ``self.register_buffer("name", t)`` (an ATTRIBUTE_REGISTRARS call) stores."""
    assert isinstance(call.func, ast.Attribute)
    first = call.args[0] if call.args else None
    if call.func.attr in api.ATTRIBUTE_REGISTRARS and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"
