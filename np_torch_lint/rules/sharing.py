"""NTL4xx: NumPy and torch sharing (or refusing to share) memory."""
from __future__ import annotations

import ast
from typing import Iterator, List, Optional, Set

from ..engine.api import ARRAY_ONLY_CONVERSIONS, conversion_spec
from ..engine.events import Conversion, ParameterUpdate, SharedWrite, Snapshot
from ..findings import Finding
from ..engine.values import Device, Kind, Tri
from ..fixes.model import Fix, copy_argument
from .base import Evidence, Rule, plain_call


class NegativeStridesConversion(Rule):
    """NTL403: a flipped array (negative strides) passed to a torch conversion."""

    code = "NTL403"
    name = "negative-strides-conversion"
    summary = "array with negative strides (a[::-1], np.flip) converted to a tensor"
    events = (Conversion,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, Conversion)
        source = event.source
        if source.negative_strides is not Tri.YES:
            return
        if source.kind is not Kind.NDARRAY and event.function not in ARRAY_ONLY_CONVERSIONS:
            return  # torch.tensor(lst[::-1]) of a list is fine; from_numpy takes arrays only
        yield Finding(
            self.code,
            event.site,
            f"array with negative strides ({evidence.cite(source.origin, 'a flipped array')}) passed to {evidence.code(event.site.node.func)} raises "  # type: ignore[attr-defined]
            "\"At least one stride in the given numpy array is negative\"; add .copy() or np.ascontiguousarray() first",
            fix=_copy_argument(event),
        )


def _copy_argument(event: Conversion) -> Optional[Fix]:
    """The flipped array is the first positional argument of a conversion that takes the data as it is."""
    spec = conversion_spec(event.function)
    call = plain_call(event.site.node)
    if spec is None or spec.legacy_dtype is not None or call is None or not call.args:
        return None
    return copy_argument(event.site)


class ReadOnlyArrayConversion(Rule):
    """NTL404: a read-only array shared with a tensor (from_numpy / as_tensor)."""

    code = "NTL404"
    name = "read-only-array-conversion"
    summary = "read-only array (frombuffer of bytes, broadcast_to, mmap 'r', PIL image) shared with a tensor"
    events = (Conversion,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, Conversion)
        source = event.source
        if source.kind is not Kind.NDARRAY or source.readonly is not Tri.YES:
            return
        spec = conversion_spec(event.function)
        if spec is None or not spec.shares_memory or not event.wraps_source or event.result.device not in (None, Device.CPU):
            # torch.tensor copies, so does torch.asarray(a, copy=True) or with a dtype; a move to
            # CUDA copies (as_tensor with a dtype change still warns: it wraps the array first)
            return
        yield Finding(
            self.code,
            event.site,
            f"read-only array ({evidence.cite(source.origin, 'a read-only array')}) passed to {evidence.code(event.site.node.func)}: "  # type: ignore[attr-defined]
            "\"The given NumPy array is not writable ... undefined behavior\"; copy it first (.copy() or np.array(...))",
        )


class MutationThroughSharedMemory(Rule):
    """NTL401: an in-place write on one side of a from_numpy / .numpy() share, the other side read later."""

    code = "NTL401"
    name = "mutation-through-shared-memory"
    summary = "in-place write to an array/tensor that shares memory with one read later"
    events = (SharedWrite,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, SharedWrite)
        shared = f" ({evidence.code(event.conversion.node)}, {evidence.at(event.conversion)})" if event.conversion else ""
        yield Finding(
            self.code,
            event.site,
            f"in-place write to {event.written} also changes {event.partner}, which shares its memory{shared} "
            f"and is read at {evidence.at(event.read)}; copy first (torch.tensor(...), .clone() or .copy())",
        )


class AliasedSnapshot(Rule):
    """NTL402: a view of a live parameter stored in a loop that updates the parameters in place."""

    code = "NTL402"
    name = "aliased-parameter-snapshot"
    summary = "snapshot of a parameter (.numpy() view) stored in a loop that updates it in place"
    events = (Snapshot, ParameterUpdate)

    def __init__(self) -> None:
        self._snapshots: List[Snapshot] = []
        self._updated_loops: Set[int] = set()

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        if isinstance(event, Snapshot):
            if event.context.loops:
                self._snapshots.append(event)
        elif isinstance(event, ParameterUpdate):
            self._updated_loops.update(loop for loop, _ in event.context.loops)
        return iter(())

    def finish(self, evidence: Evidence) -> Iterator[Finding]:
        for snapshot in self._snapshots:
            for loop, rebound in snapshot.context.loops:
                if loop in self._updated_loops and (snapshot.container is None or snapshot.container not in rebound):
                    node = snapshot.site.node
                    stored = node.args[-1] if isinstance(node, ast.Call) and node.args else node
                    yield Finding(
                        self.code,
                        snapshot.site,
                        f"stores {evidence.code(stored)}, a view of a live parameter, in a loop that updates the "
                        "parameters in place: every snapshot ends up the same; store a copy (.copy(), .clone(), .tolist())",
                    )
                    break
