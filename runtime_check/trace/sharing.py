"""NTL401/NTL402 at run time: writes on one side of a NumPy/tensor pair that shares memory.

A tensor-side write is seen by the op watcher (in-place ops, `out=`,
`inplace=True`, `__setitem__`).  It is a finding only where the other side is
still used: NTL402 when the ndarray view is kept in a list, dict or attribute
(a snapshot), NTL401 when a name bound to it in a user frame is read again
later in that frame's code.  A NumPy-side write cannot be seen as it happens;
it is seen when the tensor side is next read (its bytes changed while the
tensor's own version did not) and reported at that read.
"""
from __future__ import annotations

import dis
import gc
from types import CodeType, FrameType, ModuleType
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from .registry import Pair, fingerprint, fingerprint_again, version_of
from .sites import Site
from .state import TraceState

_LOADS = {"LOAD_FAST", "LOAD_NAME", "LOAD_GLOBAL", "LOAD_DEREF", "LOAD_CLASSDEREF", "LOAD_FAST_CHECK",
          "LOAD_FAST_AND_CLEAR", "LOAD_FAST_LOAD_FAST"}
_reads_cache: Dict[CodeType, Tuple[List[Tuple[int, str]], List[Tuple[int, int]]]] = {}


def _reads(code: CodeType) -> Tuple[List[Tuple[int, str]], List[Tuple[int, int]]]:
    """(offset, name) of each load of a name, and (offset, target) of each backward jump."""
    known = _reads_cache.get(code)
    if known is None:
        loads: List[Tuple[int, str]] = []
        jumps: List[Tuple[int, int]] = []
        for ins in dis.get_instructions(code):
            if ins.opname in _LOADS and isinstance(ins.argval, str):
                loads.append((ins.offset, ins.argval))
            elif "JUMP_BACKWARD" in ins.opname and isinstance(ins.argval, int):
                jumps.append((ins.offset, ins.argval))
        known = (loads, jumps)
        _reads_cache[code] = known
    return known


def read_later(frame: FrameType, names: FrozenSet[str]) -> bool:
    """Whether the frame's code reads one of `names` after the instruction running now (a loop
    that jumps back over a read counts)."""
    loads, jumps = _reads(frame.f_code)
    now = frame.f_lasti
    for offset, name in loads:
        if name not in names:
            continue
        if offset > now:
            return True
        if any(jump_from > now and target <= offset for jump_from, target in jumps):
            return True
    return False


_ATTRIBUTE_LOADS = {"LOAD_ATTR", "LOAD_METHOD"}
_attr_access_cache: Dict[CodeType, Tuple[List[Tuple[int, str, str]], List[Tuple[int, str, str]]]] = {}


def _attribute_reads(code: CodeType) -> List[Tuple[int, str, str]]:
    """(offset, name, attribute) of each ``name.attribute`` read: a load of a name followed at once
    by a load of one of its attributes (``self.pixels``, ``table.raw_means``)."""
    return _attribute_accesses(code)[0]


def _attribute_accesses(code: CodeType) -> Tuple[List[Tuple[int, str, str]], List[Tuple[int, str, str]]]:
    """The ``name.attribute`` reads (see _attribute_reads) and stores (``name.attribute = v``)."""
    known = _attr_access_cache.get(code)
    if known is None:
        reads: List[Tuple[int, str, str]] = []
        stores: List[Tuple[int, str, str]] = []
        previous = None
        for ins in dis.get_instructions(code):
            if previous is not None and previous.opname in _LOADS and isinstance(previous.argval, str) \
                    and isinstance(ins.argval, str):
                if ins.opname in _ATTRIBUTE_LOADS:
                    reads.append((previous.offset, previous.argval, ins.argval))
                elif ins.opname == "STORE_ATTR":
                    stores.append((previous.offset, previous.argval, ins.argval))
            previous = ins
        known = (reads, stores)
        _attr_access_cache[code] = known
    return known


def _attributes_holding(frame: FrameType, obj: Any) -> FrozenSet[Tuple[str, str]]:
    """(name, attribute) for each object a user frame names whose attribute holds ``obj``
    (``self.pixels``), and for each method of its class that reads that attribute of its own
    instance (``table.raw_means()`` reads ``self.raw``): reading those reads ``obj``."""
    bound = dict(frame.f_locals)
    if frame.f_code.co_name == "<module>":
        bound.update(frame.f_globals)
    found: Set[Tuple[str, str]] = set()
    for name, holder in bound.items():
        if isinstance(holder, (ModuleType, type)):
            continue
        attributes = getattr(holder, "__dict__", None)
        if not isinstance(attributes, dict):
            continue
        held = [attr for attr, value in attributes.items() if value is obj]
        if not held:
            continue
        found.update((name, attr) for attr in held)
        for method, function in _own_methods(type(holder)):
            code = function.__code__
            self_name = code.co_varnames[0] if code.co_argcount else None
            if self_name and any(reader == self_name and attr in held for _, reader, attr in _attribute_reads(code)):
                found.add((name, method))
    return frozenset(found)


def _own_methods(cls: type) -> List[Tuple[str, Any]]:
    """The plain functions a class (or its bases, the program's own) defines."""
    out = []
    for klass in cls.__mro__[:-1]:
        for method, function in vars(klass).items():
            if isinstance(function, (staticmethod, classmethod)) or not hasattr(function, "__code__"):
                continue
            out.append((method, function))
    return out


#: methods of a dict that read its values.
_DICT_VALUE_READS = frozenset({"values", "items", "get", "pop", "copy"})
_item_reads_cache: Dict[CodeType, List[Tuple[int, str, Any]]] = {}
#: what loads a subscript's key just before it (a name or a constant).
_KEY_LOADS = frozenset(_LOADS | {"LOAD_CONST"})
#: the key of an item read that is not a constant (a loop's key, a variable): any item.
_ANY_KEY = object()


def _item_reads(code: CodeType) -> List[Tuple[int, str, Any]]:
    """(offset, name, key) of each read of a name's items: ``name[key]`` (the name, one load for the
    key, then a subscript; the key when it is a constant, else ``_ANY_KEY``), ``name.values()`` /
    ``.items()`` / ``.get(...)`` (any key); a comprehension or lambda made in this code counts at
    the offset where it is made, with the items it reads."""
    known = _item_reads_cache.get(code)
    if known is None:
        known = []
        instructions = list(dis.get_instructions(code))
        for i, ins in enumerate(instructions):
            if ins.opname == "LOAD_CONST" and isinstance(ins.argval, CodeType):
                known.extend((ins.offset, name, key) for _, name, key in _item_reads(ins.argval))
                continue
            if ins.opname not in _LOADS or not isinstance(ins.argval, str):
                continue
            after = instructions[i + 1:i + 3]
            if len(after) == 2 and after[0].opname in _KEY_LOADS and after[1].opname == "BINARY_SUBSCR":
                known.append((ins.offset, ins.argval, after[0].argval if after[0].opname == "LOAD_CONST" else _ANY_KEY))
            elif after and after[0].opname in _ATTRIBUTE_LOADS and after[0].argval in _DICT_VALUE_READS:
                known.append((ins.offset, ins.argval, _ANY_KEY))
        _item_reads_cache[code] = known
    return known


def items_read_later(frame: FrameType, obj: Any) -> bool:
    """A dict the frame names holds ``obj`` as a value, and the frame's code reads that item after the
    instruction running now (``features[name]`` in a comprehension, ``.values()``; a constant key
    must be one ``obj`` is held under: ``batch["labels"]`` reads another item)."""
    bound = dict(frame.f_locals)
    if frame.f_code.co_name == "<module>":
        bound.update(frame.f_globals)
    keys: Dict[str, List[Any]] = {}
    for name, held in bound.items():
        if type(held) is dict:
            holding = [key for key, value in held.items() if value is obj]
            if holding:
                keys[name] = holding
    if not keys:
        return False
    _, jumps = _reads(frame.f_code)
    now = frame.f_lasti
    for offset, name, key in _item_reads(frame.f_code):
        if name not in keys or (key is not _ANY_KEY and key not in keys[name]):
            continue
        if offset > now or any(jump_from > now and target <= offset for jump_from, target in jumps):
            return True
    return False


def attribute_read_later(frame: FrameType, held: FrozenSet[Tuple[str, str]]) -> bool:
    """Whether the frame's code reads one of ``name.attribute`` after the instruction running now;
    a read straight after a store to that attribute (``table.raw = fresh``) reads what was stored."""
    reads, stores = _attribute_accesses(frame.f_code)
    _, jumps = _reads(frame.f_code)
    now = frame.f_lasti
    for offset, name, attr in reads:
        if (name, attr) not in held:
            continue
        if offset > now and not any(now < stored < offset and (stored_name, stored_attr) == (name, attr)
                                    for stored, stored_name, stored_attr in stores):
            return True
        if any(jump_from > now and target <= offset for jump_from, target in jumps):
            return True
    return False


def _names_bound_to(frame: FrameType, obj: Any) -> FrozenSet[str]:
    names = {name for name, value in frame.f_locals.items() if value is obj}
    if frame.f_code.co_name == "<module>":
        names |= {name for name, value in frame.f_globals.items() if value is obj}
    return frozenset(names)


def still_read(state: TraceState, obj: Any, frame: Optional[FrameType], attributes: bool = False) -> bool:
    """A user frame holds `obj` in a name it reads again later; with ``attributes``, also in an
    attribute of an object it names, read later through it (``self.pixels``, ``table.raw_means()``),
    or as a value of a dict it names whose items it reads later (``features[name]``)."""
    for user_frame in state.files.user_frames(frame):
        names = _names_bound_to(user_frame, obj)
        if names and read_later(user_frame, names):
            return True
        if attributes:
            held = _attributes_holding(user_frame, obj)
            if held and attribute_read_later(user_frame, held):
                return True
            if items_read_later(user_frame, obj):
                return True
    return False


def kept_in_container(state: TraceState, obj: Any, frame: Optional[FrameType], ours: Iterable[Any] = ()) -> bool:
    """`obj` is an item of a list, set or dict, or an object's attribute (not just a frame's name).
    `ours`: the watcher's own lists that hold it now."""
    frames = state.files.user_frames(frame)
    namespaces = {id(f.f_globals) for f in frames} | {id(f.f_locals) for f in frames}
    skip = {id(o) for o in ours}
    for holder in gc.get_referrers(obj):  # finds lists and tracked dicts at once
        if id(holder) in skip:
            continue
        if isinstance(holder, (list, set)):
            return True
        if isinstance(holder, dict) and id(holder) not in namespaces and "__builtins__" not in holder:
            return True
    # a dict of untracked values (ints, arrays) is invisible to gc, and Python 3.11+ may keep an
    # object's attributes without a dict: search what the user's frames can reach, a few levels deep
    starts: List[Any] = []
    for f in frames:
        starts.extend(f.f_locals.values())
        if f.f_code.co_name == "<module>":
            starts.extend(f.f_globals.values())
    return _reaches(starts, obj)


_SEARCH_DEPTH = 3
_SEARCH_LIMIT = 20000


def _reaches(starts: List[Any], obj: Any) -> bool:
    import types

    seen = set()
    level = [v for v in starts if v is not obj]
    budget = _SEARCH_LIMIT
    for _depth in range(_SEARCH_DEPTH):
        following: List[Any] = []
        for value in level:
            if id(value) in seen or isinstance(value, (types.ModuleType, type, types.FunctionType, str, bytes)):
                continue
            seen.add(id(value))
            budget -= 1
            if budget < 0:
                return False
            if isinstance(value, dict):
                items: Iterable[Any] = value.values()
            elif isinstance(value, (list, tuple, set, frozenset)):
                items = value
            else:
                attrs = getattr(value, "__dict__", None)
                if not isinstance(attrs, dict) or hasattr(value, "__array_interface__") or \
                        type(value).__module__.startswith("torch"):
                    continue
                items = attrs.values()
            for item in items:
                if item is obj:
                    return True
                following.append(item)
        level = following
    return False


def storages(tensors: Iterable[Any]) -> List[Tuple[Any, int]]:
    out = []
    for t in tensors:
        try:
            out.append((t, t.untyped_storage().data_ptr()))
        except (RuntimeError, AttributeError, NotImplementedError):
            pass  # a tensor without storage (meta, functional): nothing shared
    return out


#: tensor methods that overwrite what they write (fill a buffer) rather than transform it: an
#: instance's array filled through its tensor view is read back on purpose (the linter's exemption).
_FILLS = frozenset({"copy_", "fill_", "zero_", "__setitem__", "index_put_", "masked_fill_", "scatter_"})


def on_write(state: TraceState, written: Iterable[Any], frame: Optional[FrameType], func: Any = None) -> None:
    """Before an in-place write on tensors: report a pair whose other side is still used (through a
    name; through an attribute too, unless the write fills a buffer: ``func`` is the op)."""
    transforms = getattr(func, "__name__", None) not in _FILLS
    site: Optional[Site] = None
    for _tensor, storage in storages(written):
        for pair, _t, array in state.pairs.at(storage):
            if array in state.pairs.empty_arrays:
                continue  # np.empty's buffer: staging memory, written through on purpose
            site = site or state.files.innermost(frame)
            if pair.to_numpy and "NTL402" not in pair.reported and kept_in_container(state, array, frame):
                pair.stale_writes += 1
                if pair.stale_writes < 2:
                    continue  # a view kept across one write may be read before the next: not yet a stale snapshot
                pair.reported.add("NTL402")
                state.report("NTL402", f"in-place write on a tensor whose NumPy view ({pair.what}) is kept "
                             "in a container: every snapshot is the same memory; store .copy()",
                             pair.site, site, called_from=state.files.callers(frame))
            elif "NTL401" not in pair.reported and any(still_read(state, viewed, frame, attributes=transforms)
                                                       for viewed in _viewed(array)):
                pair.reported.add("NTL401")
                state.report("NTL401", f"in-place write on a tensor that shares memory with an ndarray "
                             f"({pair.what}) read later: the array changes too", pair.site, site,
                             called_from=state.files.callers(frame))


def _viewed(array: Any) -> List[Any]:
    """The array and what it is a view of (``features[:3]``'s ``.base``, and so on): a write
    through a tensor of a slice changes the array the slice was taken from."""
    chain = [array]
    base = getattr(array, "base", None)
    while base is not None and len(chain) < 8 and type(base) is type(array):
        chain.append(base)
        base = getattr(base, "base", None)
    return chain


def resync(written: Iterable[Any], state: TraceState) -> None:
    """After a tensor-side write: the array's new bytes are the tensor's own doing."""
    for _tensor, storage in storages(written):
        for pair, tensor, array in state.pairs.at(storage):
            pair.version = version_of(tensor)
            pair.print_ = fingerprint(array)


def on_read(state: TraceState, tensors: List[Any], frame: Optional[FrameType]) -> None:
    """Before tensors are read: a NumPy-side write since the last look changed their bytes."""
    pairs = storages(tensors)
    table = state.pairs.by_storage
    for _tensor, storage in pairs:
        if storage not in table:
            continue  # no pair over this storage (the common case: a tensor of the program's own)
        for pair, tensor, array in state.pairs.at(storage):
            _check_pair(state, pair, tensor, array, frame, (tensors, pairs))


def _held_together(array: Any, tensor: Any) -> bool:
    """One object keeps both sides as its attributes (a rollout buffer's ``self.obs`` and
    ``self.obs_tensor``): filling the array is what its tensor view is for (the linter's
    exemption for an instance's filled buffers, engine ``Interpreter.in_place``)."""
    for holder in gc.get_referrers(array):
        if isinstance(holder, dict):  # an instance's __dict__ (not a frame's locals, not a module's globals)
            owners = [o for o in gc.get_referrers(holder) if getattr(o, "__dict__", None) is holder]
            attributes = holder if owners and not any(isinstance(o, (ModuleType, type)) for o in owners) else None
        elif not isinstance(holder, (ModuleType, type, FrameType)):
            attributes = getattr(holder, "__dict__", None)  # inline attributes (Python 3.11+)
        else:
            attributes = None
        if isinstance(attributes, dict) and any(value is tensor for value in attributes.values()):
            return True
    return False


def _check_pair(state: TraceState, pair: Pair, tensor: Any, array: Any, frame: Optional[FrameType],
                ours: Tuple[Any, ...]) -> None:
    if pair.print_ is None:
        return
    now = fingerprint_again(array)  # it had a fingerprint: not backed by a file
    if now == pair.print_:
        return
    version = version_of(tensor)
    written_by_torch = version != pair.version or version < 0
    pair.print_, pair.version = now, version
    if written_by_torch or array in state.pairs.empty_arrays or "NTL401" in pair.reported \
            or _held_together(array, tensor):
        return
    pair.reported.add("NTL401")
    site = state.files.innermost(frame)
    if not pair.to_numpy and kept_in_container(state, tensor, frame, ours):
        state.report("NTL402", f"the array behind a tensor kept in a container ({pair.what}) was written in "
                     "place: every stored tensor is the same memory; store .clone()", pair.site, site,
                     called_from=state.files.callers(frame))
        return
    side = "the array" if not pair.to_numpy else "the NumPy view"
    state.report("NTL401", f"{side} was written in place while sharing memory with a tensor ({pair.what}); "
                 "the tensor read here sees the change", pair.site, site, called_from=state.files.callers(frame))
