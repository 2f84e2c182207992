"""NTL402 at run time, the state form: a `state_dict()` kept as an earlier state, read after the
module's tensors changed in place.

`Module.state_dict()` (called by the user's code with no arguments) hands out detached views of
the parameters and buffers: the same storage, and the same version counter.  Each is recorded
weakly (a weak reference per tensor, with its `_version` then and the user's line).  A snapshot
is read as an earlier state where it is loaded back (`Module.load_state_dict(sd)`) or compared
(`torch.equal` / `torch.allclose` / `Tensor.equal` / `Tensor.allclose`) with a tensor over the
same storage; if its version moved since, the read sees the new values: NTL402, once per
snapshot line.  What moves a version (observed, torch 2.13 CPU): an optimizer step of SGD, Adam,
AdamW, RMSprop (for-loop and foreach kernels; not Adam's fused kernel), `load_state_dict`'s copy
into the parameters, a Python in-place op.  BatchNorm's training forward updates
`running_mean` / `running_var` inside its kernel without a version bump; it bumps
`num_batches_tracked` (an `add_`), so a running statistic counts as changed when its layer's
`num_batches_tracked` in the same snapshot moved.  Loading a snapshot that did not move (a
no-op copy of the values onto themselves) bumps the versions without a change: those are taken
as the new baseline.  Every wrapper returns what the original returns; nothing is copied.
"""
from __future__ import annotations

import sys
import weakref
from collections.abc import Mapping
from typing import Any, Dict, Optional, Set, Tuple

from .patches import Patches
from .sites import Site
from .state import TraceState
from .trampoline import call_as

#: recorded snapshot tensors at most (a program that keeps more is watched for the first ones only)
TABLE_LIMIT = 200_000
_RUNNING = ("running_mean", "running_var")


class Snapshot:
    __slots__ = ("site", "entries", "__weakref__")

    def __init__(self, site: Site) -> None:
        self.site = site
        self.entries: Dict[str, "Entry"] = {}


class Entry:
    __slots__ = ("ref", "version", "snapshot", "key")

    def __init__(self, ref: "weakref.ref[Any]", version: int, snapshot: Snapshot, key: str) -> None:
        self.ref = ref
        self.version = version
        self.snapshot = snapshot
        self.key = key

    def delta(self) -> int:
        tensor = self.ref()
        return 0 if tensor is None else int(tensor._version) - self.version

    def moved(self) -> Tuple[int, str]:
        """(in-place writes since the snapshot, what changed) or (0, '')."""
        delta = self.delta()
        if delta > 0:
            return delta, self.key
        head, _, tail = self.key.rpartition(".")
        if tail in _RUNNING:  # BatchNorm's kernel updates it without a version bump; its counter is bumped
            counter = self.snapshot.entries.get(f"{head}.num_batches_tracked" if head else "num_batches_tracked")
            if counter is not None:
                delta = counter.delta()
                if delta > 0:
                    return delta, f"{self.key} (a training-mode forward: {counter.key} moved)"
        return 0, ""


class Snapshots:
    """id(tensor) -> Entry, for the tensors of the user's state_dict() results while they live."""

    def __init__(self) -> None:
        self.entries: Dict[int, Entry] = {}
        self.reported: Set[Site] = set()

    def __bool__(self) -> bool:
        return bool(self.entries)

    def record(self, result: Any, site: Site, tensor_type: Any) -> bool:
        if not isinstance(result, Mapping):
            return True
        snapshot = Snapshot(site)
        entries = self.entries
        for key, tensor in result.items():
            if type(key) is not str or not isinstance(tensor, tensor_type):
                continue
            if len(entries) >= TABLE_LIMIT:
                return False
            ident = id(tensor)

            def gone(ref: "weakref.ref[Any]", ident: int = ident) -> None:
                entry = entries.get(ident)
                if entry is not None and entry.ref is ref:
                    del entries[ident]

            try:
                ref = weakref.ref(tensor, gone)
            except TypeError:
                continue
            entry = Entry(ref, int(tensor._version), snapshot, key)
            snapshot.entries[key] = entry
            entries[ident] = entry
        return True

    def get(self, tensor: Any) -> Optional[Entry]:
        entry = self.entries.get(id(tensor))
        return entry if entry is not None and entry.ref() is tensor else None


def _storage(tensor: Any) -> int:
    try:
        return int(tensor.untyped_storage().data_ptr())
    except (RuntimeError, AttributeError, NotImplementedError):
        return 0


def install(state: TraceState, patches: Patches) -> None:
    import torch

    module_type = torch.nn.Module
    tensor_type = torch.Tensor
    snaps = Snapshots()
    original_state_dict = module_type.__dict__["state_dict"]
    original_load = module_type.__dict__["load_state_dict"]
    full = [False]

    def report(entry: Entry, delta: int, what: str, read: str, frame: Any) -> None:
        site = entry.snapshot.site
        if site in snaps.reported:
            return
        failure = state.files.innermost(frame)
        if failure is None:
            return
        snaps.reported.add(site)
        state.report("NTL402", f"the state_dict() kept here holds views of the live tensors, changed in place "
                     f"since ({what}: {delta} in-place write(s)), so {read}; keep a copy: "
                     "copy.deepcopy(model.state_dict()) or {k: v.clone() for k, v in ...items()}",
                     site, failure, called_from=state.files.callers(frame))

    def state_dict(self: Any, *args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1)
        result = call_as(caller, original_state_dict, (self, *args), kwargs)
        if args or kwargs or state.busy or full[0] or not state.files.is_user(caller.f_code.co_filename):
            return result  # a module's own recursion (destination=, prefix=), a library's call
        with state.guard("state_dict"):
            site = state.files.innermost(caller)
            if site is not None and not snaps.record(result, site, tensor_type):
                full[0] = True
                state.recorder.note(f"NTL402: more than {TABLE_LIMIT} state_dict() tensors alive at once: "
                                    "later snapshots were not watched")
        return result

    def load_state_dict(self: Any, *args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1)
        if not snaps or state.busy:
            return call_as(caller, original_load, (self, *args), kwargs)
        unmoved: Dict[int, int] = {}
        with state.guard("load_state_dict"):
            unmoved = _before_load(args[0] if args else kwargs.get("state_dict"), caller)
        result = call_as(caller, original_load, (self, *args), kwargs)
        if unmoved:
            with state.guard("load_state_dict"):
                _rebase(unmoved)
        return result

    def _before_load(given: Any, frame: Any) -> Dict[int, int]:
        """Report a moved snapshot loaded back; the storages (and versions) of unmoved ones."""
        unmoved: Dict[int, int] = {}
        if not isinstance(given, Mapping):
            return unmoved
        for value in list(given.values()):
            entry = snaps.get(value) if isinstance(value, tensor_type) else None
            if entry is None:
                continue
            delta, what = entry.moved()
            if delta:
                report(entry, delta, what, "load_state_dict() restores the current values, not the kept ones", frame)
            else:
                storage = _storage(value)
                if storage:
                    unmoved[storage] = int(value._version)
        return unmoved

    def _rebase(unmoved: Dict[int, int]) -> None:
        """A snapshot loaded onto itself (or another module) changed no value it views: the versions
        its copy bumped are the new baseline (for every snapshot over those storages that was current)."""
        for entry in list(snaps.entries.values()):
            tensor = entry.ref()
            if tensor is None:
                continue
            before = unmoved.get(_storage(tensor))
            if before is not None and entry.version == before:
                entry.version = int(tensor._version)

    def compared(args: Tuple[Any, ...], kwargs: Dict[str, Any], frame: Any) -> None:
        pair = list(args[:2])
        for name in ("input", "other", "self"):
            if name in kwargs and len(pair) < 2:
                pair.append(kwargs[name])
        if len(pair) < 2:
            return
        for index, value in enumerate(pair):
            entry = snaps.get(value) if isinstance(value, tensor_type) else None
            if entry is None:
                continue
            other = pair[1 - index]
            if not isinstance(other, tensor_type) or other.device != value.device:
                continue
            storage = _storage(value)
            if not storage or storage != _storage(other):
                continue  # the other side is no view of the same live tensor
            delta, what = entry.moved()
            if delta:
                report(entry, delta, what, "the comparison sees the new values on both sides", frame)
                return

    def comparison(original: Any, name: str) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1)
            if snaps and not state.busy:
                with state.guard(name):
                    compared(args, kwargs, caller)
            return call_as(caller, original, args, kwargs)

        wrapper.__name__ = getattr(original, "__name__", name)
        wrapper.__qualname__ = getattr(original, "__qualname__", name)
        wrapper.__doc__ = getattr(original, "__doc__", None)
        wrapper.__wrapped__ = original  # type: ignore[attr-defined]
        return wrapper

    for wrapper, original in ((state_dict, original_state_dict), (load_state_dict, original_load)):
        wrapper.__name__ = original.__name__
        wrapper.__qualname__ = original.__qualname__
        wrapper.__doc__ = original.__doc__
        wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    patches.set(module_type, "state_dict", state_dict)
    patches.set(module_type, "load_state_dict", load_state_dict)
    for name in ("equal", "allclose"):
        patches.set(torch, name, comparison(getattr(torch, name), f"torch.{name}"))
        patches.set(tensor_type, name, comparison(getattr(tensor_type, name), f"Tensor.{name}"))

