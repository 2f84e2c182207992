"""NTL4xx: NumPy and torch sharing (or refusing to share) memory."""
from __future__ import annotations

import ast
from typing import Dict, Iterator, List, Optional, Set, Tuple, Union

from ..engine.api import ARRAY_ONLY_CONVERSIONS, PARAMETER_ORIGIN, STATE_VIEW_ORIGIN, conversion_spec
from ..engine.events import (Conversion, DatasetItem, InPlaceWrite, ParameterUpdate, SharedWrite, Snapshot, StateRead,
                             StateUpdate)
from ..findings import Finding
from ..engine.values import Device, Kind, Tri, Value
from ..fixes.model import Fix, copy_argument
from .base import Evidence, Rule, item_parts, plain_call


class NegativeStridesConversion(Rule):
    """NTL403: a flipped array (negative strides) passed to a torch conversion."""

    code = "NTL403"
    name = "negative-strides-conversion"
    summary = "array with negative strides (a[::-1], np.flip) converted to a tensor"
    events = (Conversion, DatasetItem)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        if isinstance(event, DatasetItem):
            yield from self._dataset_item(event, evidence)
            return
        assert isinstance(event, Conversion)
        source = event.source
        if source.negative_strides not in (Tri.YES, Tri.MAYBE):
            return
        if source.kind is not Kind.NDARRAY and event.function not in ARRAY_ONLY_CONVERSIONS:
            return  # torch.tensor(lst[::-1]) of a list is fine; from_numpy takes arrays only
        yield Finding(
            self.code,
            event.site,
            f"array {'that may have' if source.negative_strides is Tri.MAYBE else 'with'} negative strides "
            f"({evidence.cite(source.origin, 'a flipped array')}{', on some paths' if source.negative_strides is Tri.MAYBE else ''}) "
            f"passed to {evidence.code(event.site.node.func)} raises "  # type: ignore[attr-defined]
            "\"At least one stride in the given numpy array is negative\"; add .copy() or np.ascontiguousarray() first",
            fix=_copy_argument(event),
        )


    def _dataset_item(self, event: DatasetItem, evidence: Evidence) -> Iterator[Finding]:
        """``__getitem__`` returns a flipped array: default_collate converts it with torch.as_tensor,
        which raises (a DataLoader's own collate_fn is left to what it does)."""
        if event.dataset is not None and event.dataset.custom_collate:
            return
        flipped = next((part for part in item_parts(event.value)
                        if part.kind is Kind.NDARRAY and part.negative_strides is Tri.YES), None)
        if flipped is None:
            return
        yield Finding(
            self.code,
            event.site,
            f"__getitem__ returns an array with negative strides ({evidence.cite(flipped.origin, 'a flipped array')}): "
            "default_collate's torch.as_tensor raises \"At least one stride in the given numpy array is negative\"; "
            "return a copy (.copy() or np.ascontiguousarray())",
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
        array = source.kind is Kind.NDARRAY or (source.kind is None and event.function in ARRAY_ONLY_CONVERSIONS)
        if not array or source.readonly not in (Tri.YES, Tri.MAYBE):
            return  # (from_numpy accepts an ndarray only: a row-or-scalar it is given is a row)
        spec = conversion_spec(event.function)
        if spec is None or not spec.shares_memory or not event.wraps_source or event.result.device not in (None, Device.CPU):
            # torch.tensor copies, so does torch.asarray(a, copy=True) or with a dtype; a move to
            # CUDA copies (as_tensor with a dtype change still warns: it wraps the array first)
            return
        yield Finding(
            self.code,
            event.site,
            f"{'possibly ' if source.readonly is Tri.MAYBE else ''}read-only array "
            f"({evidence.cite(source.origin, 'a read-only array')}{', on some paths' if source.readonly is Tri.MAYBE else ''}) "
            f"passed to {evidence.code(event.site.node.func)}: "  # type: ignore[attr-defined]
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


#: how to copy what was stored: a state dict (True), an array or tensor (False)
_COPIES = {True: "copy.deepcopy(...), or {k: v.clone() for k, v in ....items()}",
           False: ".copy(), .clone(), .tolist()"}


def _copies(stored: Value) -> str:
    """How to copy what was stored: each item of a comprehension, a state dict, or the view."""
    if stored.element is not None and stored.element.param_view:
        return "copy each item: .copy() after .numpy(), or .clone()"
    return _COPIES[stored.kind is Kind.DICT]


class AliasedSnapshot(Rule):
    """NTL402: a view of live storage (a parameter, or a variable written in place) stored in a loop
    that updates that storage in place; or a module's state_dict() kept as an earlier state, then
    compared or loaded back after the state changed in place."""

    code = "NTL402"
    name = "aliased-parameter-snapshot"
    summary = "snapshot (.numpy() view, state_dict()) kept while its source is updated in place"
    events = (Snapshot, ParameterUpdate, InPlaceWrite, StateUpdate, StateRead)

    def __init__(self) -> None:
        self._snapshots: List[Snapshot] = []
        self._updated_loops: Set[int] = set()  # loops that update the parameters in place
        self._written: Set[Tuple[int, str]] = set()  # (loop, variable) written in place in that loop
        # function -> the state updates in it (optimizer steps, BatchNorm forward passes, loads)
        self._updates: Dict[Optional[str], List[Union[ParameterUpdate, StateUpdate]]] = {}
        self._reads: List[StateRead] = []

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        if isinstance(event, Snapshot):
            if event.context.loops:
                self._snapshots.append(event)
        elif isinstance(event, ParameterUpdate):
            self._updated_loops.update(loop for loop, _ in event.context.loops)
            self._updates.setdefault(event.context.function, []).append(event)
        elif isinstance(event, StateUpdate):
            self._updates.setdefault(event.context.function, []).append(event)
        elif isinstance(event, StateRead):
            self._reads.append(event)
        elif isinstance(event, InPlaceWrite):
            self._written.update((loop, event.name) for loop, _ in event.context.loops)
        return iter(())

    def finish(self, evidence: Evidence) -> Iterator[Finding]:
        reported: Set[int] = set()
        for finding in self._loop_snapshots(evidence):
            reported.add(id(finding.site.node))
            yield finding
        yield from self._stale_states(evidence, reported)

    def _stale_states(self, evidence: Evidence, reported: Set[int]) -> Iterator[Finding]:
        """``before = model.state_dict()``, then an optimizer step, a BatchNorm forward pass in training
        mode or a load_state_dict(), then ``before`` compared with the state or loaded back, in one
        function, in that order: the comparison sees the new values twice, the restore restores
        nothing. A comparison counts only against another view of the state (taken elsewhere)."""
        for read in sorted(self._reads, key=lambda r: _line(r.site.node)):
            origin = read.value.origin
            assert origin is not None  # TorchModel.state_read keeps only views with an origin
            taken = origin.site
            parameter = origin.what.startswith(PARAMETER_ORIGIN)  # model.weight, or an item of model.parameters()
            if id(taken.node) in reported or not (parameter or origin.what == STATE_VIEW_ORIGIN):
                continue
            if read.how == "comparison" and not any(
                    other.param_view and other.origin is not None and other.origin.site.node is not taken.node
                    for other in read.others):
                continue
            start, end = _line(taken.node), _line(read.site.node)
            update = next((u for u in self._updates.get(read.context.function, [])
                           if start < _line(u.site.node) < end), None)
            if update is None and read.value.updated_at is not None:
                # taken in one function (a helper, a constructor), updated and read in others: the
                # walk that carried the view through the update marked it (values.updated_since)
                update = ParameterUpdate(read.value.updated_at, read.context)
            if update is None:
                continue
            reported.add(id(taken.node))
            how = update.how if isinstance(update, StateUpdate) else "an optimizer step updates the parameters"
            kept = evidence.code(taken.node)
            if origin.what == PARAMETER_ORIGIN:
                what, copies = "a view of the live parameter (.detach(), .data and .numpy() share its memory)", _COPIES[False]
            elif parameter:  # items of model.parameters() / named_parameters()
                kept = f"views of {kept}"
                what, copies = "the live parameters (.detach(), .data and .numpy() share their memory)", _COPIES[False]
            else:
                what, copies = "the module's live tensors (state_dict() returns views, not copies)", _COPIES[True]
            yield Finding(
                self.code,
                taken,
                f"keeps {kept}, {what}, as an earlier state: at {evidence.at(update.site)} {how} "
                f"in place, so the {read.how} at {evidence.at(read.site)} sees the new values; store a copy ({copies})",
            )

    def _loop_snapshots(self, evidence: Evidence) -> Iterator[Finding]:
        for snapshot in self._snapshots:
            source = snapshot.value.shares_with
            for loop, rebound in snapshot.context.loops:
                if snapshot.container is not None and snapshot.container in rebound:
                    continue  # a fresh container each iteration keeps one snapshot
                if snapshot.value.param_view and loop in self._updated_loops:
                    what, updated = "a view of a live parameter", "the parameters"
                    if snapshot.value.element is not None and snapshot.value.element.param_view:
                        what = "views of live parameters, item by item"
                    elif snapshot.value.kind is Kind.DICT:
                        what = "the module's live tensors (state_dict() returns views, not copies)"
                elif source is not None and source not in rebound and (loop, source) in self._written:
                    what, updated = f"a view of {source}'s memory", source
                else:
                    continue
                node = snapshot.site.node
                stored = node.args[-1] if isinstance(node, ast.Call) and node.args else node
                yield Finding(
                    self.code,
                    snapshot.site,
                    f"stores {evidence.code(stored)}, {what}, in a loop that updates {updated} in place: "
                    f"every snapshot ends up the same; store a copy ({_copies(snapshot.value)})",
                )
                break


def _line(node: ast.AST) -> int:
    return getattr(node, "lineno", 0)

