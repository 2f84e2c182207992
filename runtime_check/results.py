"""Small result types shared by the probes, the fixture runner and the report."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

# A probe's premise either still holds (confirmed), no longer holds (broken),
# or could not be checked here (skipped, always with a reason).  A fixture
# either showed what its header promises (confirmed), did not (failed), or
# could not run here (skipped).  Skipped is never shown as passed.
CONFIRMED = "confirmed"
BROKEN = "broken"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass
class Verdict:
    """What one probe function concludes on one device."""

    status: str
    observed: str = ""  # exact "ExcType: message", or the wrong value measured
    reason: str = ""  # broken: what happened instead; skipped: why
    # Each sub-check's observation on its own (observed joins them with "; "),
    # so the docs can quote one message exactly.
    observations: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.observations and self.observed:
            self.observations = [self.observed]


@dataclass
class ProbeResult:
    """A probe's verdict, tagged with the rule, device and how it was run."""

    code: str
    device: str  # "cpu" or "cuda"
    status: str
    observed: str = ""
    reason: str = ""
    how: str = ""  # e.g. "fresh subprocess", "subprocess, CUDA_VISIBLE_DEVICES=''"
    seconds: float = 0.0
    observations: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class FixtureResult:
    """The verdict on one fixture file: its run against its `# runtime:` header, and the linter's findings."""

    path: str  # relative to the fixtures directory, e.g. "NTL101/pos_training_loop.py"
    code: str  # the rule folder, e.g. "NTL101"
    role: str  # "pos", "neg" or "?" (from the file name)
    header: str  # the header text after "# runtime:", "" when missing
    status: str
    reason: str = ""  # says which line failed, and how the linter's finding names it
    observed: str = ""
    line: Optional[int] = None  # the fixture line where the failure arose (a positive's, or a failure's)
    returncode: Optional[int] = None
    seconds: float = 0.0
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)
