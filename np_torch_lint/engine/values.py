"""The abstract value model: what the engine knows about one expression.

Every fact has an explicit "unknown" (``None`` or ``Tri.UNKNOWN``), and unknown
is silent: rules only fire on facts the analysis *knows*. ``join`` merges the
values of two control-flow paths and keeps only what both agree on.
"""
from __future__ import annotations

import enum
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, Dict, FrozenSet, Optional, Tuple

import ast

from .api import GRAD_CONTEXT_OBJECTS, GRAD_UNKNOWN_OBJECT


class Kind(enum.Enum):
    # members are singletons: hashed by identity, not by Enum's hash of the name (a Python call)
    __hash__ = object.__hash__
    NDARRAY = "ndarray"
    TENSOR = "tensor"
    NP_SCALAR = "numpy scalar"
    PY_FLOAT = "float"
    PY_INT = "int"
    PY_STR = "str"
    PY_BOOL = "bool"
    PY_BYTES = "bytes"  # immutable: np.frombuffer over it is read-only
    JSON = "JSON data"  # parsed from text (json.load): dicts, lists, str, Python numbers; no array, no tensor
    DICT = "dict"  # ``elements`` holds its values for ``keys``; ``element`` their join (see containers.py)
    NONE = "None"
    SEQUENCE = "sequence"  # list / tuple literal or a list built by append
    MODULE = "nn.Module"
    LOSS = "loss module"
    DEVICE = "device"
    API = "api"  # a NumPy/torch module, function or class, by qualified name
    FUNCTION = "function"  # a function defined in the file
    CLASS = "class"  # a class defined in the file
    INSTANCE = "instance"  # an instance of a class defined in the file
    OBJECT = "object"  # of a type not known, with values stored at constant keys (``batch[0] = ...``)


class Tri(enum.Enum):
    # members are singletons: hashed by identity, not by Enum's hash of the name (a Python call)
    __hash__ = object.__hash__
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"
    MAYBE = "maybe"  # yes on some paths, no on the others (only layout facts join to it: see join)

    def join(self, other: "Tri") -> "Tri":
        return self if self is other else Tri.UNKNOWN


class Device(enum.Enum):
    # members are singletons: hashed by identity, not by Enum's hash of the name (a Python call)
    __hash__ = object.__hash__
    CPU = "cpu"
    CUDA = "cuda"
    MAYBE_CUDA = "maybe-cuda"  # cuda on some path, cpu on another


@dataclass(frozen=True)
class Site:
    """A node of the file's ``ast`` tree; with ``attr``, the method name at its end.

    ``x.numpy()`` is reported at ``numpy``, not at ``x``: for a chain split over
    lines, that is the line of the call the fix touches.
    """

    node: ast.AST = field(compare=False)
    attr: bool = False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Site) and other.node is self.node and other.attr == self.attr

    def __hash__(self) -> int:
        return id(self.node)

    @property
    def line(self) -> int:
        if self.attr:
            return getattr(self.node, "end_lineno", None) or self.node.lineno  # type: ignore[attr-defined]
        return self.node.lineno  # type: ignore[attr-defined]

    @property
    def col(self) -> int:
        """0-based UTF-8 byte offset, as ``ast`` (and so flake8) counts."""
        if self.attr and isinstance(self.node, ast.Attribute) and self.node.end_col_offset is not None:
            return self.node.end_col_offset - len(self.node.attr.encode("utf-8"))
        return self.node.col_offset  # type: ignore[attr-defined]

    @property
    def end(self) -> Tuple[int, int]:
        return (getattr(self.node, "end_lineno", None) or self.line,
                getattr(self.node, "end_col_offset", None) or self.col)


#: a flag test and its outcome: (the flag as written, identity of its value, holds).
Condition = Tuple[str, int, bool]


@dataclass(frozen=True)
class Origin:
    """Where a fact was born: ``np.random.rand`` at some node."""

    what: str
    site: Site
    # For a move to CUDA: conditions that hold wherever the value is on CUDA (see conditions.py).
    when: FrozenSet[Condition] = field(default=frozenset(), compare=False)
    # Made where CUDA was known to be there (after an assert or inside an is_available() branch):
    # a device chosen so guards every placement that uses it, wherever that is.
    guarded: bool = field(default=False, compare=False)
    # A move to CUDA on one path that met a path the analysis knows nothing of (values.join):
    # where the conditions of ``when`` fail, the value is not known to be on the CPU, only unknown.
    elsewhere_unknown: bool = field(default=False, compare=False)
    # Moved onto a device a configuration names (``torch.device(args.device)``): CUDA is what the
    # configuration is for, but the program itself never says so (one path of a join is not enough).
    configured: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Value:
    kind: Optional[Kind] = None
    dtype: Optional[str] = None  # a name from api.DTYPES ("float64", "int32", ...)
    device: Optional[Device] = None
    requires_grad: Tri = Tri.UNKNOWN
    # True for a parameter or a tensor made with requires_grad=True: it needs grad
    # whatever the grad mode. Computed results need grad only while grad is enabled.
    grad_leaf: bool = False
    ndim: Optional[int] = None
    negative_strides: Tri = Tri.UNKNOWN
    readonly: Tri = Tri.UNKNOWN
    # The variable this array/tensor shares memory with, and the conversion that made it so.
    shares_with: Optional[str] = None
    shared_at: Optional[Site] = field(default=None, compare=False)
    # True for a parameter's storage and its memory-sharing views (.detach(), .data, .cpu(), .numpy()).
    param_view: bool = False
    # A tensor registered on a module as a buffer (``register_buffer``): moved and cast with it.
    buffer: bool = False
    # A view of live parameters (``param_view``), or a container or instance holding some, kept
    # while the parameters were updated in place at this site (an optimizer step): it holds the
    # new values, not the ones it was taken for (NTL402's stale state, across functions).
    updated_at: Optional[Site] = field(default=None, compare=False)
    # Provenance, kept through joins when both sides agree, never part of equality.
    origin: Optional[Origin] = field(default=None, compare=False)
    # The NumPy source of a tensor made by a conversion, and the conversion itself.
    numpy_source: Optional[Origin] = field(default=None, compare=False)
    conversion: Optional[Site] = field(default=None, compare=False)
    # Where a tensor or module was (maybe) moved to CUDA: `.to(device)`, `.cuda()`.
    device_origin: Optional[Origin] = field(default=None, compare=False)
    # Kind-specific payloads.
    qualname: Optional[str] = None  # API: "numpy.random.rand"; CLASS/INSTANCE: class name
    elements: Optional[Tuple["Value", ...]] = None  # SEQUENCE of known length; DICT: values of ``keys``
    element: Optional["Value"] = None  # SEQUENCE/DICT: join of all elements (None: no element yet)
    keys: Optional[Tuple[Any, ...]] = None  # DICT: the constant keys, in order, of ``elements``
    # MODULE: has float parameters; SEQUENCE: holds a module that has (a list of layers that is only
    # ever added to: `nn.Sequential(*layers)` has parameters; see containers.grown)
    parametric: Tri = Tri.UNKNOWN
    definition: Any = field(default=None, compare=False)  # FUNCTION/CLASS: its definition
    # INSTANCE/MODULE of a class of the project: what its __init__ stored on self, walked with
    # this construction's arguments (``Agent(device)``, ``Trainer(net)``), by attribute name
    # (functions.FunctionWalks.constructed). Read before the class's join of every store.
    attrs: Optional[Tuple[Tuple[str, "Value"], ...]] = None
    # A callable joined over paths that hold different ones (``T = torch.cuda.FloatTensor if gpu else
    # torch.FloatTensor``, ``net = A() if c else B()``): each one's qualified name (API) or definition
    # (FUNCTION, CLASS, MODULE, INSTANCE). A call runs each and joins what they return.
    choices: Optional[Tuple[Any, ...]] = None
    # A SEQUENCE joined over paths that give different lengths (``return loss_a, loss_b`` on one
    # path, ``return [boxes, scores, labels]`` on another): one known-length sequence per length.
    # Unpacking into n names takes the length-n one: any other length raises at run time.
    lengths: Optional[Tuple["Value", ...]] = None
    # MODULE: in training mode (YES as built, after .train() or .train(flag); NO after .eval();
    # UNKNOWN once given to a function that may set it, or joined over paths that disagree); a
    # module in training mode with BatchNorm layers updates their running statistics when called.
    training: Tri = Tri.UNKNOWN

    def with_(self, **changes: Any) -> "Value":
        """A copy with ``changes``: ``dataclasses.replace`` without re-running ``__init__`` (the
        engine makes tens of thousands of these per file; this is several times faster)."""
        if not _VALUE_FIELDS.issuperset(changes):
            raise TypeError(f"Value has no field {sorted(set(changes) - _VALUE_FIELDS)}")
        copy = object.__new__(Value)
        state = copy.__dict__
        state.update(self.__dict__)
        state.update(changes)
        return copy

    @property
    def is_tensor(self) -> bool:
        return self.kind is Kind.TENSOR

    @property
    def is_array(self) -> bool:
        return self.kind is Kind.NDARRAY


UNKNOWN = Value()
#: a grad switch chosen by the path (values.join): `with` it leaves the grad mode unknown.
GRAD_SWITCH_NOT_KNOWN = Value(kind=Kind.API, qualname=GRAD_UNKNOWN_OBJECT)
_VALUE_FIELDS = frozenset(f.name for f in fields(Value))


def _fast_frozen_init(cls: type) -> None:
    """Give a frozen dataclass an ``__init__`` that fills its ``__dict__`` directly.

    The generated one calls ``object.__setattr__`` once per field: for ``Value``'s thirty fields,
    6 microseconds a value, and the engine makes hundreds of thousands on a large project (a
    tenth of its time). Same parameters, same defaults, same order; no field here has a
    ``default_factory`` or ``__post_init__``, which this would skip."""
    names = [f.name for f in fields(cls)]
    assert not hasattr(cls, "__post_init__") and all(f.default_factory is MISSING for f in fields(cls))
    defaults = {f"_{name}": f.default for name, f in zip(names, fields(cls))}
    source = (f"def __init__(self, {', '.join(f'{name}=_{name}' for name in names)}):\n"
              "    state = self.__dict__\n" + "".join(f"    state[{name!r}] = {name}\n" for name in names))
    namespace: Dict[str, Any] = {}
    exec(source, defaults, namespace)  # noqa: S102 (source built from the class's own field names)
    namespace["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
    setattr(cls, "__init__", namespace["__init__"])


_fast_frozen_init(Value)
_fast_frozen_init(Origin)


def api(qualname: str) -> Value:
    return Value(kind=Kind.API, qualname=qualname)


_ON_CUDA = (Device.CUDA, Device.MAYBE_CUDA)


def _join_device(a: Value, b: Value) -> Optional[Device]:
    if a.device is b.device:
        return a.device
    if a.device is None or b.device is None:
        # cuda on one path, unknown on the other: on the runs that take the first, it is on cuda
        # (a device choice, though, is only a choice where both sides are known: see guards).
        known = b if a.device is None else a
        return Device.MAYBE_CUDA if a.kind not in _DEVICE_CHOICES and placed_on_cuda(known) else None
    # cuda on one path and cpu (or maybe) on the other: it *may* be cuda.
    return Device.MAYBE_CUDA


def placed_on_cuda(value: Value) -> bool:
    """On CUDA (on some path) where the program itself placed it: a move, a CUDA type, a module
    moved there, with a known site; not a device a configuration names."""
    origin = value.device_origin
    return value.device in _ON_CUDA and origin is not None and not origin.configured


#: kinds whose device fact is a choice of where to place things, not where data is.
_DEVICE_CHOICES = frozenset({Kind.DEVICE, Kind.PY_STR})


def on_cuda_on_one_path(known: Value, other: Value) -> Optional[Value]:
    """Two paths meet, one giving a tensor (module, object of unknown kind) on CUDA, or a tuple
    or dict holding some, the other a value the analysis knows nothing of (a third-party call,
    an unparsable helper's result): on the runs that take the first path the value is on CUDA,
    as it is after a CPU/CUDA join, so it *may* be on CUDA (NTL202). Nothing else is kept:
    not its dtype or grad, which the other path may not share (rules that need only the kind
    check ``device_origin.elsewhere_unknown``: see NTL502)."""
    if other != UNKNOWN:
        return None
    if known.kind in (Kind.SEQUENCE, Kind.DICT) and known.elements is not None:
        items = tuple(on_cuda_on_one_path(item, UNKNOWN) or UNKNOWN for item in known.elements)
        if all(item is UNKNOWN for item in items):
            return None
        element: Optional[Value] = None
        for item in items:
            element = join_elements(element, item)
        return Value(kind=known.kind, elements=items, element=element, keys=known.keys)
    if known.kind in (Kind.SEQUENCE, Kind.DICT) and known.element is not None:
        # built under keys or at lengths not known (`d[name] = t` in a loop): the join of its items
        joined_item = on_cuda_on_one_path(known.element, UNKNOWN)
        return Value(kind=known.kind, element=joined_item) if joined_item is not None else None
    if known.kind in _DEVICE_CHOICES or not placed_on_cuda(known):
        return None
    assert known.device_origin is not None
    # a tensor stays a tensor (indexing, torch functions and operators keep its device on the
    # path where it is one); a module or object of unknown kind stays of unknown kind
    return Value(kind=Kind.TENSOR if known.kind is Kind.TENSOR else None, device=Device.MAYBE_CUDA,
                 device_origin=replace(known.device_origin, elsewhere_unknown=True))


def flipped_on_one_path(known: Value, other: Value) -> Optional[Value]:
    """Two paths meet, one giving an array with negative strides or a read-only one (``tile =
    np.rot90(tile)`` under a flag), the other a value of unknown kind (a row-or-scalar ``tiles[i]``,
    a third-party call's result): on the runs that take the first path a conversion sees that
    array, as after a join with a known array, so the layout fact is MAYBE (NTL403/NTL404).
    Nothing else is kept (not its dtype)."""
    if other.kind is not None or known.kind is not Kind.NDARRAY:
        return None
    flipped = known.negative_strides in (Tri.YES, Tri.MAYBE)
    readonly = known.readonly in (Tri.YES, Tri.MAYBE)
    if not flipped and not readonly:
        return None
    return Value(kind=Kind.NDARRAY, negative_strides=Tri.MAYBE if flipped else Tri.UNKNOWN,
                 readonly=Tri.MAYBE if readonly else Tri.UNKNOWN, origin=known.origin)


#: kinds whose join with None is the value itself (values.join).
_OPTIONAL_KINDS = frozenset({Kind.MODULE, Kind.TENSOR, Kind.NDARRAY})


def join(a: Optional[Value], b: Optional[Value]) -> Value:
    """The value after two paths meet: only the facts both agree on.

    ``None`` stands for "no value on this path" (the path did not bind it); the
    join with it is unknown, since the name may be unbound or stale.
    """
    if a is None or b is None:
        return UNKNOWN
    if a is b or a == b and a.origin == b.origin:
        return a
    if _is_grad_switch(a) or _is_grad_switch(b):
        # `ctx = nullcontext() if train else torch.no_grad()`: `with ctx:` sets a mode that
        # depends on the path, so the mode under it is unknown (not the mode outside it).
        return GRAD_SWITCH_NOT_KNOWN
    if a.kind is not b.kind:
        # `self.norm = nn.BatchNorm1d(n) if batch_norm else None`, a forward that falls off its end
        # on one branch: an optional module, tensor or array. Every use that could make a finding
        # (a call, a conversion, .numpy(), a move) fails on None anyway, so where the value is used
        # it is the module, tensor or array. (Not a device: .to(None) is a no-op that stays put.)
        if a.kind is Kind.NONE and b.kind in _OPTIONAL_KINDS:
            return b
        if b.kind is Kind.NONE and a.kind in _OPTIONAL_KINDS:
            return a
        return (_module_or_unpickled(a, b) or _module_or_unpickled(b, a) or _library_or_own_function(a, b)
                or _object_on_one_path(a, b) or _object_on_one_path(b, a)
                or on_cuda_on_one_path(a, b) or on_cuda_on_one_path(b, a)
                or flipped_on_one_path(a, b) or flipped_on_one_path(b, a) or UNKNOWN)
    same_object = (a.kind is Kind.OBJECT and a.qualname is not None and a.qualname == b.qualname
                   and a.elements is None and b.elements is None)  # two PackedSequences: join their facts
    if a.kind in (Kind.SEQUENCE, Kind.DICT, Kind.OBJECT) and not same_object:
        elements = None
        if (a.elements is not None and b.elements is not None and len(a.elements) == len(b.elements)
                and a.keys == b.keys):
            elements = tuple(join(x, y) for x, y in zip(a.elements, b.elements))
        return Value(kind=a.kind, elements=elements, element=join_elements(a.element, b.element),
                     keys=a.keys if elements is not None else None,
                     lengths=_join_lengths(a, b) if a.kind is Kind.SEQUENCE and elements is None else None,
                     parametric=a.parametric.join(b.parametric) if a.kind is Kind.SEQUENCE else Tri.UNKNOWN)
    joined = Value(
        kind=a.kind,
        dtype=a.dtype if a.dtype == b.dtype else None,
        device=_join_device(a, b),
        requires_grad=a.requires_grad.join(b.requires_grad),
        grad_leaf=a.grad_leaf and b.grad_leaf,
        ndim=a.ndim if a.ndim == b.ndim else None,
        negative_strides=_join_paths(a.negative_strides, b.negative_strides),
        readonly=_join_paths(a.readonly, b.readonly),
        shares_with=a.shares_with if a.shares_with == b.shares_with else None,
        shared_at=a.shared_at if a.shares_with == b.shares_with else None,
        param_view=a.param_view and b.param_view,
        buffer=a.buffer and b.buffer,
        updated_at=a.updated_at if a.updated_at == b.updated_at else None,
        origin=_join_origin(a, b),
        numpy_source=a.numpy_source if a.conversion == b.conversion else None,
        conversion=a.conversion if a.conversion == b.conversion else None,
        device_origin=_join_device_origin(a, b),
        qualname=a.qualname if a.qualname == b.qualname else None,
        parametric=a.parametric.join(b.parametric),
        training=a.training.join(b.training),
        definition=a.definition if a.definition is b.definition else None,
        attrs=a.attrs if a.attrs == b.attrs else _join_attrs(a, b),
        choices=_join_choices(a, b),
    )
    if a.kind is Kind.MODULE and _members_known(a) and _members_known(b):
        # a container module on both paths (a ModuleList before and after an append): its members
        elements = None
        if a.elements is not None and b.elements is not None and len(a.elements) == len(b.elements) and a.keys == b.keys:
            elements = tuple(join(x, y) for x, y in zip(a.elements, b.elements))
        joined = joined.with_(elements=elements, element=join_elements(a.element, b.element),
                              keys=a.keys if elements is not None else None)
    return joined


#: the most lengths a joined sequence keeps apart (values.Value.lengths).
MAX_LENGTHS = 3


def _by_length(value: Value) -> Optional[Tuple[Value, ...]]:
    if value.lengths is not None:
        return value.lengths
    return (value,) if value.elements is not None else None


def _join_lengths(a: Value, b: Value) -> Optional[Tuple[Value, ...]]:
    """The known-length alternatives of a sequence joined over paths: per length, the join of
    the paths that give it. Unknown when a path's length is unknown or too many differ."""
    left, right = _by_length(a), _by_length(b)
    if left is None or right is None:
        return None
    merged: Dict[int, Value] = {}
    for alternative in left + right:
        size = len(alternative.elements or ())
        merged[size] = join(merged[size], alternative) if size in merged else alternative
    return tuple(merged.values()) if 1 < len(merged) <= MAX_LENGTHS else None


def unpacked(value: Value, count: int) -> Optional[Tuple[Value, ...]]:
    """The items of ``value`` unpacked into ``count`` names, when its length-``count`` shape is known."""
    if value.kind is not Kind.SEQUENCE:
        return None
    if value.elements is not None:
        return value.elements if len(value.elements) == count else None
    for alternative in value.lengths or ():
        if alternative.elements is not None and len(alternative.elements) == count:
            return alternative.elements
    return None


def _members_known(module: Value) -> bool:
    """A container module whose members are known, or known to be none yet (built empty)."""
    return module.elements is not None or module.element is not None


#: kinds whose calls dispatch on a qualified name or a definition, and the most choices kept.
_DISPATCHED = (Kind.API, Kind.FUNCTION, Kind.CLASS, Kind.MODULE, Kind.INSTANCE)
MAX_CHOICES = 4


def _choices_of(value: Value) -> Optional[Tuple[Any, ...]]:
    if value.choices is not None:
        return value.choices
    key = value.qualname if value.kind is Kind.API else value.definition
    if (key is None and value.kind is Kind.MODULE and value.qualname is not None
            and value.elements is None and value.element is None):
        key = value.qualname  # a torch.nn layer (its forward is a table row), not a container
    return (key,) if key is not None else None


def _join_choices(a: Value, b: Value) -> Optional[Tuple[Any, ...]]:
    """What a call of the joined value may run: both sides' callables, when each side's is known
    (one unknown side leaves the call unknown) and they differ."""
    if a.kind not in _DISPATCHED:
        return None
    left, right = _choices_of(a), _choices_of(b)
    if left is None or right is None:
        return None
    merged = left + tuple(choice for choice in right if not any(choice is kept or choice == kept for kept in left))
    return merged if 1 < len(merged) <= MAX_CHOICES else None


def _library_or_own_function(a: Value, b: Value) -> Optional[Value]:
    """A library function on one path and one of the project's (a lambda, a def) on the other:
    ``{"identity": lambda im: im, "hflip": np.fliplr}`` iterated, ``f = np.flip if c else own``.
    A call runs each (its ``choices``: the library one by qualified name)."""
    if {a.kind, b.kind} != {Kind.API, Kind.FUNCTION}:
        return None
    left, right = _choices_of(a), _choices_of(b)
    if left is None or right is None:
        return None
    merged = left + tuple(choice for choice in right if choice not in left)
    return Value(kind=Kind.FUNCTION, choices=merged) if len(merged) <= MAX_CHOICES else None


class _UnknownChoice:
    """The callable of a path the analysis knows nothing of, among a value's ``choices``."""

    def __repr__(self) -> str:
        return "<unknown choice>"


#: a choice whose call returns UNKNOWN (evaluator.each_choice).
UNKNOWN_CHOICE = _UnknownChoice()


def _object_on_one_path(known: Value, other: Value) -> Optional[Value]:
    """An object of a class of the project on one path (``Separator(...)`` built from local files)
    and one the analysis knows nothing of on the other (a hub entry chosen by name): calls of it
    and of its methods run the class's own on the first path and join what they return with an
    unknown result, so only what holds on one path, a GPU device, survives (on_cuda_on_one_path).
    Its own facts are those of a join with an unknown value."""
    if other != UNKNOWN:
        return None
    if known.kind not in (Kind.MODULE, Kind.INSTANCE):
        return None
    if known.choices is not None:
        choices = known.choices if UNKNOWN_CHOICE in known.choices else known.choices + (UNKNOWN_CHOICE,)
    elif known.definition is not None:
        choices = (known.definition, UNKNOWN_CHOICE)
    else:
        return None
    if len(choices) > MAX_CHOICES:
        return None
    device = on_cuda_on_one_path(known, other)
    # its dtype as built (float32) or cast is the known path's: a method walked on that path needs it
    return Value(kind=known.kind, choices=choices, dtype=known.dtype,
                 device=device.device if device is not None else None,
                 device_origin=device.device_origin if device is not None else None)


#: a value unpickled by pickle.load / torch.load (api.UNPICKLED; values.py imports no table).
UNPICKLED = "unpickled object"


def is_array_like(value: Value) -> bool:
    """A value of unknown kind whose dtype is known and that is on no device: an array-like
    (``x.astype(dtype)``, an item of one: an ndarray, a NumPy scalar or a pandas object), never a tensor."""
    return value.kind is None and value.dtype is not None and value.device is None


def stored_by_constructor(instance: Value, attr: str) -> Optional[Value]:
    """What the instance's constructor stored on ``self.<attr>`` from its arguments, if known."""
    for name, value in instance.attrs or ():
        if name == attr:
            return value
    return None


def join_stores(a: Value, b: Value) -> Value:
    """Two values stored on one attribute. A ``None`` placeholder (``self.model = None`` in
    ``__init__``, set in ``build()``) is no value a call, a conversion or ``.numpy()`` can
    succeed on, so where one side is ``None`` the other is what those uses see."""
    if a.kind is Kind.NONE:
        return b
    if b.kind is Kind.NONE:
        return a
    return join(a, b)


def knows_nothing(value: Value) -> bool:
    """No fact at all but a marker of where an object of unknown kind came from (unpickled,
    np.load's array-or-archive): a function returning it falls back to its annotation."""
    return (value if value.qualname is None else value.with_(qualname=None)) == UNKNOWN


def _module_or_unpickled(a: Value, b: Value) -> Optional[Value]:
    """A name bound to a module on one path and to an unpickled object on the other (built fresh
    or resumed from a file): the program uses both alike, so the object read back is that module,
    its parameters as saved (trainable); where it was saved from and its dtype are not known."""
    if a.kind is Kind.MODULE and b.kind is None and b.qualname == UNPICKLED:
        return a.with_(device=None, device_origin=None, dtype=None, origin=None)
    return None


def _join_paths(a: Tri, b: Tri) -> Tri:
    """A layout fact after two paths: flipped (or read-only) on one path, whatever the other gives
    (not flipped, or not known), is MAYBE, which is enough for a conversion to fail on the runs
    that take that path."""
    if a is b:
        return a
    if Tri.YES in (a, b) or Tri.MAYBE in (a, b):
        return Tri.MAYBE
    return Tri.UNKNOWN


def _join_origin(a: Value, b: Value) -> Optional[Origin]:
    """Where the joined value's fact was born: the side that is flipped or read-only when only one is."""
    if a.origin == b.origin:
        return a.origin
    for fact in ("negative_strides", "readonly"):
        side_a, side_b = getattr(a, fact), getattr(b, fact)
        if side_a is not side_b and Tri.NO in (side_a, side_b):
            return a.origin if side_b is Tri.NO else b.origin
    return a.origin or b.origin


def _join_device_origin(a: Value, b: Value) -> Optional[Origin]:
    """Where the joined value was moved to CUDA, and what holds wherever it is there: a path
    that stays on the CPU adds no condition; two paths to CUDA keep the conditions both need."""
    on_a = a.device in _ON_CUDA
    on_b = b.device in _ON_CUDA
    if not on_a or not on_b:
        origin = (a.device_origin if on_a else b.device_origin) or a.device_origin or b.device_origin
        unknown_side = (b if on_a else a) if on_a or on_b else None
        if (origin is not None and unknown_side is not None and unknown_side.device is None
                and a.kind not in _DEVICE_CHOICES and not origin.elsewhere_unknown and not origin.configured):
            origin = replace(origin, elsewhere_unknown=True)
        return origin
    origin = a.device_origin or b.device_origin
    if origin is None:
        return None
    when = (a.device_origin.when & b.device_origin.when) if a.device_origin and b.device_origin else frozenset()
    elsewhere_unknown = any(side.device_origin is not None and side.device_origin.elsewhere_unknown for side in (a, b))
    if when == origin.when and elsewhere_unknown == origin.elsewhere_unknown:
        return origin
    return replace(origin, when=when, elsewhere_unknown=elsewhere_unknown)


def _is_grad_switch(value: Value) -> bool:
    return value.kind is Kind.API and value.qualname in GRAD_CONTEXT_OBJECTS


#: how deep into containers and instances an update's mark reaches (``self.anchor[i]``: 2).
_STALE_DEPTH = 3


def updated_since(value: Value, site: Site, depth: int = _STALE_DEPTH) -> Value:
    """``value`` after the parameters were updated in place at ``site``: a view of live parameters
    (and each such item of a list or dict, or attribute an instance's construction stored) is
    marked ``updated_at`` there, once (the first update after it was taken is the one to name)."""
    changes: Dict[str, Any] = {}
    if value.param_view and value.updated_at is None:
        changes["updated_at"] = site  # (a dict of views, state_dict(), is one too: its items below)
    if depth == 0 or value.kind in (Kind.TENSOR, Kind.NDARRAY):
        return value.with_(**changes) if changes else value
    if value.elements:
        elements = tuple(updated_since(e, site, depth - 1) for e in value.elements)
        if any(new is not old for new, old in zip(elements, value.elements)):
            changes["elements"] = elements
    if value.element is not None:
        element = updated_since(value.element, site, depth - 1)
        if element is not value.element:
            changes["element"] = element
    if value.attrs:
        attrs = tuple((name, updated_since(v, site, depth - 1)) for name, v in value.attrs)
        if any(new[1] is not old[1] for new, old in zip(attrs, value.attrs)):
            changes["attrs"] = attrs
    return value.with_(**changes) if changes else value


def _join_attrs(a: Value, b: Value) -> Optional[Tuple[Tuple[str, Value], ...]]:
    """One instance as two paths left it (a loop's pass that called ``meter.update(p)``, the pass
    before): each attribute both paths know, joined; one path does not know is left to the class's
    join, as the instance's other attributes are."""
    if a.attrs is None or b.attrs is None or a.definition is None or a.definition is not b.definition:
        return None
    theirs = dict(b.attrs)
    joined = tuple((name, join(value, theirs[name])) for name, value in a.attrs if name in theirs)
    return tuple(item for item in joined if not knows_nothing(item[1])) or None


def join_elements(a: Optional[Value], b: Optional[Value]) -> Optional[Value]:
    """Join of two element summaries, where ``None`` means "no element" (bottom)."""
    if a is None:
        return b
    if b is None:
        return a
    return join(a, b)


def sequence(items: Tuple[Value, ...]) -> Value:
    element: Optional[Value] = None
    for item in items:
        element = join_elements(element, item)
    return Value(kind=Kind.SEQUENCE, elements=items, element=element,
                 parametric=Tri.YES if any(holds_parameters(item) for item in items) else Tri.UNKNOWN)


def holds_parameters(value: Value) -> bool:
    """A module known to have parameters, or a list known to hold one."""
    return value.kind in (Kind.MODULE, Kind.SEQUENCE) and value.parametric is Tri.YES


def moved_with(owner: Value, member: Value) -> Value:
    """A submodule or parameter read from a module moved or cast since it was built:
    ``Module.cuda()``, ``.to(device)``, ``.half()`` and ``.double()`` move or cast every
    registered submodule, parameter and buffer with it (plain tensor attributes stay as they
    were made). An owner whose device or dtype is unknown (joined over paths, cast in one of its
    own methods) leaves its members' unknown too."""
    if owner.kind is not Kind.MODULE:
        return member
    if not (member.kind is Kind.MODULE or (member.kind is Kind.TENSOR and (member.grad_leaf or member.buffer))):
        return member
    moved = member
    if owner.device is not Device.CPU:
        moved = moved.with_(device=owner.device, device_origin=owner.device_origin)
    if owner.dtype != member.dtype and owner.dtype != "float32":  # float32: as built, members as they were made
        moved = moved.with_(dtype=owner.dtype)
    if member.kind is Kind.MODULE and member.training is not owner.training:
        moved = moved.with_(training=owner.training)  # .train() / .eval() set every submodule's mode
    if moved is not member and member.kind is Kind.MODULE and (member.elements or member.element):
        # a Sequential / ModuleList held by the moved module: its members moved with it
        moved = moved.with_(elements=tuple(moved_with(owner, e) for e in member.elements) if member.elements else None,
                            element=moved_with(owner, member.element) if member.element else None)
    return moved


def on_device_where_unknown(value: Value, module: Value) -> Value:
    """A module's outputs (a tensor, or tensors in a tuple or dict it returns) whose device the
    walk of its forward left unknown are on the module's device."""
    if value.kind is Kind.TENSOR and value.device is None:
        return value.with_(device=module.device, device_origin=module.device_origin)
    if value.kind in (Kind.SEQUENCE, Kind.DICT) and value.elements is not None:
        return value.with_(elements=tuple(on_device_where_unknown(e, module) for e in value.elements),
                           element=on_device_where_unknown(value.element, module) if value.element else None)
    return value
