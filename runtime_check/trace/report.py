"""The trace's report: text (stderr at exit), JSON and SARIF 2.1.0."""
from __future__ import annotations

import json
import linecache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from .compare import Comparison, MISSED
from .findings import WATCHED, TraceFinding
from .sites import Site

TOOL = "runtime_check trace"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _source(site: Site) -> str:
    return linecache.getline(site.file, site.line).strip()


def _times(finding: TraceFinding) -> str:
    parts = [f"{finding.count} time{'s' if finding.count != 1 else ''}"]
    if finding.code == "NTL501" and finding.seconds:
        parts.append(f"{finding.seconds * 1000:.1f} ms spent")
    if finding.raised:
        parts.append("torch raised or warned")
    return ", ".join(parts)


def render_text(command: Sequence[str], exit_code: int, findings: List[TraceFinding], notes: List[str],
                comparison: Optional[Comparison] = None) -> str:
    out = [f"{TOOL}: {len(findings)} finding{'s' if len(findings) != 1 else ''} in `{' '.join(command)}` "
           f"(exit {exit_code})"]
    for finding in findings:
        out.append(f"{finding.code} {finding.message}")
        if finding.origin is not None and finding.origin != finding.failure:
            out.append(f"  born at   {finding.origin.shown()}  {_source(finding.origin)}")
        if finding.failure is not None:
            out.append(f"  {'fails at ' if finding.origin != finding.failure else 'at       '} "
                       f"{finding.failure.shown()}  {_source(finding.failure)}")
        for call in finding.called_from:
            out.append(f"  called at {call.shown()}  {_source(call)}")
        out.append(f"  seen      {_times(finding)}")
        if finding.static:
            out.append(f"  static    {finding.static}")
    if comparison is not None:
        out.extend(comparison.render_static())
        out.extend(comparison.render_missed(findings))
    for note in notes:
        out.append(f"note: {note}")
    return "\n".join(out) + "\n"


def to_json(command: Sequence[str], exit_code: int, findings: List[TraceFinding], notes: List[str],
            disabled: Sequence[str], comparison: Optional[Comparison] = None) -> Dict[str, Any]:
    report: Dict[str, Any] = {
        "tool": TOOL,
        "command": list(command),
        "exit_code": exit_code,
        "watching": [c for c in WATCHED if c not in disabled],
        "findings": [
            {
                "code": f.code,
                "message": f.message,
                "origin": f.origin.to_json() if f.origin else None,
                "failure": f.failure.to_json() if f.failure else None,
                "called_from": [site.to_json() for site in f.called_from],
                "count": f.count,
                "seconds": round(f.seconds, 6),
                "raised": f.raised,
                **({"static": f.static} if f.static else {}),
            }
            for f in findings
        ],
        "notes": notes,
    }
    if comparison is not None:
        report["static_findings"] = comparison.static_json()
        report["missed_by_static_analysis"] = sum(1 for f in findings if f.static == MISSED)
    return report


def _location(site: Site) -> Dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": Path(site.shown()).as_posix()},
                                 "region": {"startLine": site.line}}}


def to_sarif(findings: List[TraceFinding], notes: List[str]) -> Dict[str, Any]:
    codes = sorted({f.code for f in findings})
    results = []
    for f in findings:
        primary = f.failure or f.origin
        result: Dict[str, Any] = {
            "ruleId": f.code,
            "level": "warning",
            "message": {"text": f"{f.message} (seen {_times(f)})" + (f"; {f.static}" if f.static else "")},
            "locations": [_location(primary)] if primary else [],
        }
        if f.origin is not None and f.origin != primary:
            result["relatedLocations"] = [{"id": 1, **_location(f.origin), "message": {"text": "born here"}}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL,
                                "rules": [{"id": c, "shortDescription": {"text": WATCHED[c]}} for c in codes]}},
            "results": results,
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": [{"level": "note", "message": {"text": n}} for n in notes]}],
        }],
    }


def write_json(path: Path, payload: Dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
