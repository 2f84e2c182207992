"""What the command reports of the findings: ``# noqa``, select/ignore, and rules that are off by default.

The rules are flake8's: ``# noqa`` silences a line, ``# noqa: NTL101,NTL2`` some codes;
the longest matching prefix of select and ignore decides. A rule declared
``default_enabled = False`` is reported only when a select (``--select``, or
``select``/``extend-select`` in the configuration) names it or a prefix of it; the
flake8 plugin gets the same through flake8's default ignore list.
"""
from __future__ import annotations

import re
from typing import FrozenSet, List, Optional, Sequence

from .findings import Report

# flake8's own noqa syntax: `# noqa` silences a line, `# noqa: NTL101,NTL201` some codes.
NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z][0-9]+(?:[,\s]+[A-Z][0-9]+)*))?", re.IGNORECASE)


def is_silenced(report: Report, lines: Sequence[str]) -> bool:
    if not 0 < report.line <= len(lines):
        return False
    match = NOQA.search(lines[report.line - 1])
    if match is None:
        return False
    codes = match.group("codes")
    if not codes:
        return True
    return any(report.code.startswith(code.strip().upper()) for code in re.split(r"[,\s]+", codes) if code.strip())


def selected(code: str, select: Optional[Sequence[str]], ignore: Sequence[str],
             default_on: bool = True, extend_select: Sequence[str] = ()) -> bool:
    """As in flake8: the longest matching prefix of select and ignore decides.

    ``select`` None means every code that is on by default; a code off by default
    needs a prefix in ``select`` or ``extend_select``.
    """
    choices = select if default_on else [*(select or []), *extend_select]
    if not default_on and not choices:
        return False
    chosen = max((len(p) for p in choices if code.startswith(p)), default=-1) if choices else 0
    ignored = max((len(p) for p in ignore if code.startswith(p)), default=-1)
    return chosen >= 0 and chosen >= ignored if ignored >= 0 else chosen >= 0


def default_off_codes() -> FrozenSet[str]:
    """Codes of the rules declared ``default_enabled = False`` (read from the registry when called)."""
    from . import rules  # late: a fully cached run with no findings never loads the rules

    return frozenset(rule.code for rule in rules.ALL_RULES if not rule.default_enabled)


class Selection:
    """select/ignore for one run; ``keeps`` also reads a file's ``# noqa`` comments."""

    def __init__(self, select: Optional[List[str]], ignore: List[str], extend_select: Sequence[str] = ()) -> None:
        self.select = select
        self.ignore = ignore
        self.extend_select = list(extend_select)
        self._off: Optional[FrozenSet[str]] = None

    def with_ignored(self, more: List[str]) -> "Selection":
        """The same selection with more codes ignored (per-file ignores)."""
        if not more:
            return self
        narrower = Selection(self.select, self.ignore + more, self.extend_select)
        narrower._off = self._off
        return narrower

    def wants(self, code: str) -> bool:
        if self._off is None:
            self._off = default_off_codes()
        return selected(code, self.select, self.ignore, code not in self._off, self.extend_select)

    def keeps(self, report: Report, lines: Sequence[str]) -> bool:
        return self.wants(report.code) and not is_silenced(report, lines)


def codes(value: Optional[str]) -> List[str]:
    """A comma-separated option value as upper-case codes."""
    return [c.strip().upper() for c in (value or "").split(",") if c.strip()]
