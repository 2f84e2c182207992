"""A finding: a rule's verdict at one node, before positions are computed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Optional, Tuple

from .engine.values import Site
from .fixes.model import Fix


@dataclass(frozen=True)
class Finding:
    code: str
    site: Site
    message: str
    # Set when the finding holds only while grad is enabled in this function:
    # dropped when every call site of the function in the file has grad off.
    needs_grad_in: Optional[str] = None
    # Set when the finding holds only on an unguarded path through this function:
    # dropped when every call site of the function is guarded by a CUDA check.
    needs_unguarded_in: Optional[str] = None
    # The parameter tests the path to the finding passed (Context.parameter_tests): a call site whose
    # constant arguments fail one never reaches it, guarded or not.
    reached_when: FrozenSet[Tuple[str, str, bool]] = frozenset()
    # The automatic fix this finding offers, decided by the rule, if any.
    fix: Optional[Fix] = None


@dataclass(frozen=True)
class Report:
    """A finding placed in the file: 1-based line, 0-based column as in ``ast``."""

    line: int
    col: int
    code: str
    message: str
    end_line: int
    end_col: int
    fix: Optional[Fix] = None

    def __post_init__(self) -> None:
        if self.fix is not None and not isinstance(self.fix, Fix):  # read back from the cache's JSON
            object.__setattr__(self, "fix", Fix.from_json(self.fix))

    @property
    def text(self) -> str:
        return f"{self.code} {self.message}"
