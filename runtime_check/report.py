"""The report: a text table for people, JSON for CI."""
from __future__ import annotations

import datetime as _dt
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence

from .probes import Probe
from .results import BROKEN, CONFIRMED, FAILED, SKIPPED, FixtureResult, ProbeResult

SCHEMA = 1
_LABEL = {CONFIRMED: "confirmed", BROKEN: "BROKEN", SKIPPED: "skipped", FAILED: "FAILED"}


def build(
    probes: Sequence[Probe],
    results: Dict[str, Dict[str, ProbeResult]],
    fixtures: Optional[List[FixtureResult]],
    versions: Dict[str, Any],
    devices: Sequence[str],
    fixtures_info: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """The machine-readable report (also what the text table is printed from)."""
    probe_counts = Counter(r.status for per in results.values() for r in per.values())
    fixture_counts = Counter(f.status for f in fixtures or [])
    ok = probe_counts[BROKEN] == 0 and fixture_counts[FAILED] == 0
    return {
        "schema": SCHEMA,
        "tool": "runtime_check",
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
        "devices_requested": list(devices),
        "probes": [
            {
                "code": p.code,
                "title": p.title,
                "premise": p.premise,
                "cuda_premise": p.cuda_premise or p.premise,
                "results": {d: r.to_dict() for d, r in results.get(p.code, {}).items()},
            }
            for p in probes
        ],
        "fixtures": None
        if fixtures is None
        else {**(fixtures_info or {}), "results": [f.to_dict() for f in fixtures]},
        "summary": {
            "ok": ok,
            "probes": {s: probe_counts[s] for s in (CONFIRMED, BROKEN, SKIPPED)},
            "fixtures": None if fixtures is None else {s: fixture_counts[s] for s in (CONFIRMED, FAILED, SKIPPED)},
        },
    }


def _one_line(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def render_text(report: Dict[str, Any]) -> str:
    out: List[str] = []
    v = report["versions"]
    out.append("np-torch-lint runtime check: does each rule's premise hold for this torch and NumPy?")
    out.append("")
    for probe in report["probes"]:
        out.append(f"{probe['code']}  {probe['title']}: {probe['premise']}")
        for device in ("cpu", "cuda"):
            r = probe["results"].get(device)
            if r is None:
                asked = ",".join(report["devices_requested"])
                out.append(f"  {device:<5} {'skipped':<10} not requested (--device {asked})")
                continue
            label = _LABEL[r["status"]]
            if r["status"] == SKIPPED:
                out.append(f"  {device:<5} {label:<10} {r['reason']}")
                continue
            lines = list(r.get("observations") or [r["observed"]])
            if device == "cuda" and probe["cuda_premise"] != probe["premise"]:
                lines.insert(0, f"[{probe['cuda_premise']}]")
            out.append(f"  {device:<5} {label:<10} {lines[0] if lines else ''}")
            out.extend(f"  {'':<5} {'':<10} {line}" for line in lines[1:])
            if r["status"] == BROKEN:
                out.append(f"  {'':<5} {'':<10} {r['reason']}")
            if r["how"] and r["how"] != "in process":
                out.append(f"  {'':<5} {'':<10} (run in a {r['how']})")
    fx = report["fixtures"]
    if fx is not None:
        counts = report["summary"]["fixtures"]
        out.append("")
        out.append(
            f"Fixtures in {fx.get('dir', '?')} ({len(fx['results'])} files, {fx.get('executor', '?')}): "
            f"{counts[CONFIRMED]} confirmed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped"
        )
        for f in fx["results"]:
            label = _LABEL[f["status"]]
            if f["status"] == CONFIRMED:
                # The reason says which line failed and how the finding names it.
                detail = _one_line(f"{f['reason']} | {f['observed']}" if f.get("line") else f["reason"], 240)
            elif f["status"] == SKIPPED:
                detail = f["reason"]
            else:
                detail = _one_line(f"{f['reason']} | {f['observed']}" if f["observed"] else f["reason"], 240)
            out.append(f"  {label:<10} {f['path']:<48} {detail}")
    out.append("")
    cuda = f"CUDA {v.get('torch_cuda')}" if v.get("torch_cuda") else "CPU build"
    out.append(
        f"Versions: torch {v.get('torch')} ({cuda}), numpy {v.get('numpy')}, python {v.get('python')}; "
        f"device: {v.get('device')}"
    )
    s = report["summary"]
    p = s["probes"]
    line = (
        f"Result: {'OK' if s['ok'] else 'FAILED'}: probes {p[CONFIRMED]} confirmed, {p[BROKEN]} broken, "
        f"{p[SKIPPED]} skipped"
    )
    if s["fixtures"] is not None:
        f = s["fixtures"]
        line += f"; fixtures {f[CONFIRMED]} confirmed, {f[FAILED]} failed, {f[SKIPPED]} skipped"
    out.append(line + " (skipped is not passed)")
    return "\n".join(out) + "\n"
