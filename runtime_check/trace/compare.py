"""--compare: the static linter's findings on the files the run touched, set against the trace's.

A runtime finding is "flagged statically too" when the linter reports the
same code at a line the runtime finding names (its origin or its failure)
or cites that line in its message; otherwise "missed by static analysis".
A static finding is "seen at run time", or "not seen in this run": a run
cannot tell a line that never ran from one that ran without the fault (a
torch.load of a checkpoint that held no CUDA storage), so it does not claim
the line was not reached; or "not watchable at run time" for the typed legacy
constructors (torch.FloatTensor(a) and friends), which the trace cannot wrap.
"""
from __future__ import annotations

import linecache
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Set, Tuple

from .findings import TraceFinding
from .sites import Site, shown_path

FLAGGED = "flagged statically too"
MISSED = "missed by static analysis"
SEEN = "seen at run time"
NOT_SEEN = "not seen in this run"
NOT_WATCHABLE = "not watchable at run time (a typed legacy constructor)"
_TYPED_LEGACY = re.compile(r"\btorch\.(?:cuda\.)?[A-Z][A-Za-z]*Tensor\(")


@dataclass
class StaticFinding:
    file: str
    code: str
    line: int
    message: str
    lines: Set[int]  # the lines it names: reported and cited
    status: str = NOT_SEEN


@dataclass
class Comparison:
    static: List[StaticFinding] = field(default_factory=list)
    unreadable: List[str] = field(default_factory=list)  # files the linter could not read, with why

    def static_json(self) -> List[Dict[str, Any]]:
        return [{"file": shown_path(s.file), "line": s.line, "code": s.code, "message": s.message,
                 "status": s.status} for s in self.static]

    def render_static(self) -> List[str]:
        out = [f"static findings on the {len(self._files())} file(s) the run touched: {len(self.static)}"]
        for s in self.static:
            out.append(f"  {shown_path(s.file)}:{s.line} {s.code} [{s.status}] {s.message}")
        for why in self.unreadable:
            out.append(f"  not linted: {why}")
        return out

    def _files(self) -> Set[str]:
        return {s.file for s in self.static} | set(self._linted)

    _linted: Tuple[str, ...] = ()

    def render_missed(self, findings: Iterable[TraceFinding]) -> List[str]:
        missed = [f for f in findings if f.static == MISSED]
        if not missed:
            return []
        out = ["", "----- missed by static analysis: copy this block into a bug report -----"]
        out.append(f"np-torch-lint {_version('np-torch-lint')} missed {len(missed)} finding(s) that "
                   f"runtime_check trace saw (torch {_version('torch')}, numpy {_version('numpy')}, "
                   f"Python {platform.python_version()})")
        for f in missed:
            out.append(f"{f.code} {f.message}")
            for label, site in (("born at", f.origin), ("fails at", f.failure)):
                if site is not None and (label == "born at" or site != f.origin):
                    out.append(f"  {label:<9}{site.shown()}: {linecache.getline(site.file, site.line).strip()}")
        out.append("----- end -----")
        return out


def _version(dist: str) -> str:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:  # noqa: BLE001 - a version is decoration, never a reason to fail the report
        return "?"


def compare(findings: List[TraceFinding], files: Iterable[str]) -> Comparison:
    from ..linter_view import LintError, lint_fixture

    result = Comparison()
    linted = []
    for file in sorted(set(files)):
        try:
            static = lint_fixture(Path(file))
        except LintError as exc:
            result.unreadable.append(f"{shown_path(file)}: {exc}")
            continue
        linted.append(file)
        for f in static:
            named = set(range(f.line, f.end_line + 1)) | set(f.cited)
            found = StaticFinding(file, f.code, f.line, f.message, named)
            if f.code == "NTL503" and _TYPED_LEGACY.search(linecache.getline(file, f.line)):
                found.status = NOT_WATCHABLE
            result.static.append(found)
    result._linted = tuple(linted)
    for finding in findings:
        ends = finding.lines()  # a write in a helper is flagged statically at the helper's call
        matches = [s for s in result.static if s.code == finding.code and any(_names(s, end) for end in ends)]
        finding.static = FLAGGED if matches else MISSED
        for s in matches:
            s.status = SEEN
    return result


def _names(static: StaticFinding, site: Site) -> bool:
    return static.file == site.file and site.line in static.lines
