"""Run a probe (or one probe step) in a child interpreter.

Two reasons to leave the current process: torch warns some things only once
per process (a fresh interpreter sees them for sure), and the premises about
CPU-only hosts must be checked on a GPU host with CUDA hidden, which only works
before CUDA is initialised, i.e. in a new process.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from typing import Any, Dict, List

from .env import child_env
from .results import BROKEN, Verdict

RESULT_MARK = "RUNTIME_CHECK_RESULT "
CHILD_TIMEOUT_S = 180


def run_probe_in_child(code: str, device: str, hide_cuda: bool) -> Verdict:
    """Run probe `code` on `device` in a new interpreter and return its verdict."""
    data = _run_child(["probe", code, device], hide_cuda)
    if "error" in data:
        return Verdict(BROKEN, data.get("observed", ""), "the probe's child process failed: " + data["error"])
    return Verdict(data["status"], data.get("observed", ""), data.get("reason", ""), data.get("observations", []))


def call_in_child(target: str, args: List[str], hide_cuda: bool) -> Dict[str, Any]:
    """Call `module:function(*args)` in a new interpreter; it returns a JSON-able dict."""
    return _run_child(["call", target, *args], hide_cuda)


def _run_child(argv: List[str], hide_cuda: bool) -> Dict[str, Any]:
    cmd = [sys.executable, "-m", "runtime_check._child", *argv]
    env = child_env(hide_cuda=hide_cuda, with_package=True)
    with tempfile.TemporaryDirectory(prefix="runtime_check_") as cwd:
        try:
            proc = subprocess.run(
                cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {CHILD_TIMEOUT_S} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"exit {proc.returncode}: {tail}", "observed": tail}
