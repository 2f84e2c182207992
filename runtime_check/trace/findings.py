"""What the trace saw: findings under NTL codes, each with its two ends, counted."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .sites import Site

#: every code the trace watches, with what it watches (the watcher names for --no-watch)
WATCHED: Dict[str, str] = {
    "NTL101": "float64 tensor from NumPy reaching a float32 module or promoting float32 math",
    "NTL102": "DataLoader batch of float64 built from a Dataset's NumPy or Python floats",
    "NTL103": "narrow integer tensor from NumPy reaching a class loss as its target",
    "NTL201": ".numpy() on a tensor that requires grad",
    "NTL202": ".numpy() on a CUDA tensor",
    "NTL301": "CUDA placement (grouped by call site on a GPU host; the failing one on a CPU-only host)",
    "NTL302": "torch.load without map_location of a checkpoint with CUDA-tagged storages",
    "NTL401": "in-place write on one side of NumPy/tensor shared memory, the other side read later",
    "NTL402": "in-place write on a tensor whose .numpy() snapshot is kept in a container; a state_dict() "
              "kept as an earlier state, loaded back or compared after its tensors changed in place",
    "NTL403": "conversion of an array with negative strides",
    "NTL404": "conversion of a read-only array that shares its memory",
    "NTL501": "torch.tensor / as_tensor of a list of ndarrays (time spent)",
    "NTL502": "torch.tensor of a tensor (copy-construct)",
    "NTL503": "legacy constructor torch.Tensor(ndarray)",
}


@dataclass
class TraceFinding:
    code: str
    message: str
    origin: Optional[Site]  # where the value was born (the conversion)
    failure: Optional[Site]  # where it went wrong (innermost user frame)
    count: int = 1
    seconds: float = 0.0  # time spent in the offending call (NTL501)
    raised: bool = False  # torch raised its own error or warning here
    static: str = ""  # --compare: "flagged statically too" / "missed by static analysis"
    called_from: Tuple[Site, ...] = ()  # user call sites around the failure, nearest first

    @property
    def key(self) -> Tuple[str, Optional[Site], Optional[Site]]:
        return (self.code, self.origin, self.failure)

    def lines(self) -> List[Site]:
        """Every user line the finding names: its ends, then the calls that led to the failure."""
        return [s for s in (self.origin, self.failure) if s is not None] + list(self.called_from)


class Recorder:
    """Findings, deduplicated by (code, origin, failure) and counted; safe to call from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._findings: Dict[Tuple[str, Optional[Site], Optional[Site]], TraceFinding] = {}
        self.notes: List[str] = []  # what the trace could not watch, and why

    def add(self, finding: TraceFinding) -> TraceFinding:
        with self._lock:
            known = self._findings.get(finding.key)
            if known is None:
                self._findings[finding.key] = finding
                return finding
            known.count += finding.count
            known.seconds += finding.seconds
            known.raised = known.raised or finding.raised
            return known

    def has(self, code: str, origin: Optional[Site], failure: Optional[Site]) -> bool:
        with self._lock:
            return (code, origin, failure) in self._findings

    def findings(self) -> List[TraceFinding]:
        with self._lock:
            found = list(self._findings.values())
        return sorted(found, key=lambda f: (f.code, f.origin or f.failure or Site("", 0), f.failure or Site("", 0)))

    def note(self, text: str) -> None:
        with self._lock:
            if text not in self.notes:
                self.notes.append(text)
