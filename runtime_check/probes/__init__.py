"""The probes: one per rule code, and how to run one on a device."""
from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any, Dict, List, Optional

from ..env import cuda_available, in_hidden_child
from ..executors import call_in_child
from ..results import BROKEN, SKIPPED, ProbeResult, Verdict
from . import device, dtype, grad, hygiene, sharing
from ._base import Probe, exc_text

PROBES: Dict[str, Probe] = {p.code: p for m in (dtype, grad, device, sharing, hygiene) for p in m.PROBES}
CODES: List[str] = sorted(PROBES)
DEVICES = ("cpu", "cuda")


def get_probe(code: str) -> Probe:
    try:
        return PROBES[code.upper()]
    except KeyError:
        raise KeyError(f"no probe for {code!r}; known: {', '.join(CODES)}") from None


def call_probe(probe: Probe, device: str) -> Verdict:
    """Run the check in this process; a crash of the check is a broken premise."""
    try:
        return probe.check(device)
    except Exception as exc:
        return Verdict(BROKEN, exc_text(exc), "premise no longer holds: the probe raised unexpectedly")


def probe_in_this_process(code: str, device: str) -> Dict[str, Any]:
    """The verdict of probe `code` on `device`, as a dict (what a probe's child returns)."""
    return asdict(call_probe(get_probe(code), device))


def run_probe_in_child(code: str, device: str, hide_cuda: bool) -> Verdict:
    """Run probe `code` on `device` in a new interpreter and return its verdict."""
    data = call_in_child(f"{__name__}:probe_in_this_process", [code, device], hide_cuda=hide_cuda)
    if "error" in data:
        return Verdict(BROKEN, data.get("observed", ""), "the probe's child process failed: " + data["error"])
    return Verdict(data["status"], data.get("observed", ""), data.get("reason", ""), data.get("observations", []))


def run_probe(probe: Probe, device: str, cuda: Optional[bool] = None) -> ProbeResult:
    """Run one probe on one device, in a subprocess where the premise needs one.

    `cuda` says whether this host has a usable CUDA device (looked up if None).
    """
    if cuda is None:
        cuda = cuda_available()
    start = time.perf_counter()
    how = "in process"
    if device in probe.not_applicable:
        verdict, how = Verdict(SKIPPED, "", probe.not_applicable[device]), ""
    elif device == "cuda" and not cuda:
        verdict, how = Verdict(SKIPPED, "", "no CUDA device"), ""
    elif device == "cpu" and probe.cpu_only_host and cuda and not in_hidden_child():
        verdict = run_probe_in_child(probe.code, device, hide_cuda=True)
        how = "subprocess with CUDA_VISIBLE_DEVICES='' (GPU host made CPU-only)"
    elif probe.fresh_process:
        verdict = run_probe_in_child(probe.code, device, hide_cuda=False)
        how = "fresh subprocess (torch warns once per process)"
    else:
        verdict = call_probe(probe, device)
    return ProbeResult(
        code=probe.code,
        device=device,
        status=verdict.status,
        observed=verdict.observed,
        reason=verdict.reason,
        how=how,
        seconds=round(time.perf_counter() - start, 3),
        observations=list(verdict.observations),
    )


__all__ = [
    "CODES",
    "DEVICES",
    "PROBES",
    "Probe",
    "call_probe",
    "get_probe",
    "probe_in_this_process",
    "run_probe",
    "run_probe_in_child",
]
