"""NTL4xx: NumPy and torch sharing (or refusing to share) memory."""
from __future__ import annotations

from typing import Iterator

from ..engine.events import Conversion
from ..engine.findings import Finding
from ..engine.values import Device, Kind, Tri
from .base import Evidence, Rule


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
        if source.kind is not Kind.NDARRAY and event.function != "torch.from_numpy":
            return  # torch.tensor(lst[::-1]) of a list is fine; from_numpy takes arrays only
        origin = evidence.describe(source.origin) if source.origin else "a flipped array"
        where = f", line {evidence.line(source.origin.site)}" if source.origin else ""
        yield Finding(
            self.code,
            event.site,
            f"array with negative strides ({origin}{where}) passed to {evidence.code(event.site.node.func)} raises "
            "\"At least one stride in the given numpy array is negative\"; add .copy() or np.ascontiguousarray() first",
        )


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
        if event.function not in SHARING_CONVERSIONS or event.result.dtype not in (None, source.dtype) \
                or event.result.device not in (None, Device.CPU):
            return  # torch.tensor, or a dtype/device change: a copy, writable
        origin = evidence.describe(source.origin) if source.origin else "a read-only array"
        where = f", line {evidence.line(source.origin.site)}" if source.origin else ""
        yield Finding(
            self.code,
            event.site,
            f"read-only array ({origin}{where}) passed to {evidence.code(event.site.node.func)}: "  # type: ignore[attr-defined]
            "\"The given NumPy array is not writable ... undefined behavior\"; copy it first (.copy() or np.array(...))",
        )


SHARING_CONVERSIONS = frozenset({"torch.from_numpy", "torch.as_tensor", "torch.asarray"})
