"""Weak records of what crossed the seam: tensors born from NumPy, and NumPy/tensor pairs sharing memory.

Nothing here keeps a tensor or an array alive: every record holds weak
references and is dropped by their finalizers, so tracing never changes when
memory is freed.
"""
from __future__ import annotations

import weakref
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from .sites import Site

#: arrays larger than this are not fingerprinted (NumPy-side writes to them go unseen: unknown stays silent)
FINGERPRINT_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class Birth:
    """Where a watched tensor came from NumPy."""

    code: str  # the rule its dtype may break: NTL101 (float64), NTL102 (a float64 batch), NTL103 (narrow int)
    site: Optional[Site]
    what: str  # "torch.from_numpy of a float64 array"


def _nothing() -> None:
    return None


class BornTensors:
    """id(tensor) -> Birth, for tensors that came from NumPy with a dtype a rule watches."""

    def __init__(self) -> None:
        self.items: Dict[int, Tuple["weakref.ref[Any]", Birth]] = {}
        self.on_add: Callable[[], None] = _nothing  # starts the watchers that follow it

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, tensor: Any, birth: Birth) -> None:
        key = id(tensor)
        items = self.items

        def gone(ref: "weakref.ref[Any]") -> None:
            entry = items.get(key)
            if entry is not None and entry[0] is ref:
                del items[key]

        try:
            items[key] = (weakref.ref(tensor, gone), birth)
        except TypeError:  # an object that takes no weak reference: not watched
            return
        self.on_add()

    def get(self, tensor: Any) -> Optional[Birth]:
        entry = self.items.get(id(tensor))
        if entry is None or entry[0]() is not tensor:
            return None
        return entry[1]


def fingerprint(array: Any) -> Optional[int]:
    """A checksum of the array's bytes, or None when it is too large to watch cheaply or backed by
    a file (a memory map's bytes may change from outside the program: no proof of a NumPy-side write)."""
    try:
        if array.nbytes > FINGERPRINT_MAX_BYTES or _file_backed(array):
            return None
        return zlib.crc32(array.tobytes())
    except (AttributeError, ValueError, TypeError):
        return None


def fingerprint_again(array: Any) -> Optional[int]:
    """fingerprint() of an array that had one before: it is still not backed by a file (an array's
    type and base never change), so only its size is looked at again."""
    try:
        if array.nbytes > FINGERPRINT_MAX_BYTES:
            return None
        return zlib.crc32(array.tobytes())
    except (AttributeError, ValueError, TypeError):
        return None


def version_of(tensor: Any) -> int:
    """tensor._version, or -1 for a tensor without a version counter (inference tensors)."""
    try:
        return int(tensor._version)
    except RuntimeError:
        return -1


def _file_backed(array: Any) -> bool:
    import numpy as np

    while array is not None:
        if isinstance(array, np.memmap):
            return True
        array = getattr(array, "base", None)
    return False


@dataclass
class Pair:
    """A tensor and an ndarray over the same memory, made by one conversion."""

    tensor: "weakref.ref[Any]"
    array: "weakref.ref[Any]"
    site: Optional[Site]
    what: str  # "torch.from_numpy", ".numpy()"
    to_numpy: bool  # the array is the view (tensor -> NumPy), else the tensor is (NumPy -> tensor)
    version: int  # tensor._version when last in step with the array
    print_: Optional[int]  # fingerprint of the array when last in step
    reported: Set[str] = field(default_factory=set)
    stale_writes: int = 0  # tensor-side writes while the NumPy view was kept in a container

    def alive(self) -> Optional[Tuple[Any, Any]]:
        tensor, array = self.tensor(), self.array()
        if tensor is None or array is None:
            return None
        return tensor, array


class WeakIds:
    """A weak set by identity (ndarrays are unhashable, so a WeakSet cannot hold them)."""

    def __init__(self) -> None:
        self._refs: Dict[int, "weakref.ref[Any]"] = {}

    def add(self, obj: Any) -> None:
        key = id(obj)
        refs = self._refs

        def gone(ref: "weakref.ref[Any]") -> None:
            if refs.get(key) is ref:
                del refs[key]

        try:
            refs[key] = weakref.ref(obj, gone)
        except TypeError:
            pass

    def __contains__(self, obj: Any) -> bool:
        ref = self._refs.get(id(obj))
        return ref is not None and ref() is obj


class SharedPairs:
    """Pairs indexed by the tensor side's storage address (views of a tensor share it)."""

    def __init__(self) -> None:
        self.by_storage: Dict[int, List[Pair]] = {}
        # (start, end) of each shared storage's bytes: the op watcher's triage by tensor.data_ptr(),
        # which costs no storage object (a view's data_ptr lies inside its storage's range)
        self.ranges: Dict[int, int] = {}
        # [lowest start, highest end] over `ranges`, updated in place: a data_ptr outside it is in
        # no range (the op watcher's first test, one comparison instead of a walk over the ranges)
        self.bounds: List[int] = [0, 0]
        self.empty_arrays = WeakIds()  # np.empty output: a staging buffer, written through on purpose
        self.on_add: Callable[[], None] = _nothing

    def __bool__(self) -> bool:
        return bool(self.by_storage)

    def __contains__(self, storage: int) -> bool:
        return storage in self.by_storage

    def add(self, storage: int, tensor: Any, array: Any, site: Optional[Site], what: str, to_numpy: bool) -> None:
        table, ranges, bounds = self.by_storage, self.ranges, self.bounds

        def gone(_ref: Any) -> None:
            still = [p for p in table.get(storage, ()) if p.alive() is not None]
            if still:
                table[storage] = still
            else:
                table.pop(storage, None)
                end = ranges.pop(storage, None)
                if end is not None and (storage == bounds[0] or end == bounds[1]):
                    bounds[:] = [min(ranges), max(ranges.values())] if ranges else [0, 0]

        try:
            # the dependent side holds the other alive; whichever goes first ends the pair
            pair = Pair(weakref.ref(tensor, gone), weakref.ref(array, gone), site, what, to_numpy,
                        version_of(tensor), fingerprint(array))
        except TypeError:
            return
        table.setdefault(storage, []).append(pair)
        end = storage + max(1, tensor.untyped_storage().nbytes())
        ranges[storage] = end
        bounds[:] = [min(storage, bounds[0]), max(end, bounds[1])] if len(ranges) > 1 else [storage, end]
        self.on_add()

    def at(self, storage: int) -> Iterator[Tuple[Pair, Any, Any]]:
        for pair in list(self.by_storage.get(storage, ())):
            both = pair.alive()
            if both is not None:
                yield pair, both[0], both[1]
