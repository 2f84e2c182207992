"""Run many programs under `runtime_check trace` (and plainly), one forked child each, from one parent.

    python tests/trace_batch.py OUT.json [--plain] PROGRAM...

The parent imports torch and NumPy once and runs no torch op (an OpenMP pool
does not survive fork); each child runs one program in a fresh temporary
directory, as `python -m runtime_check trace --json ... -- python PROGRAM`
would (or plainly, as `python PROGRAM` would, with --plain), and the parent
collects its exit status, stdout, stderr and the trace's JSON report.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from typing import Any, Dict, List

TIMEOUT_S = 60.0


def _child(program: str, cwd: str, report: str, plain: bool) -> None:
    os.chdir(cwd)
    out = os.open(os.path.join(cwd, ".stdout"), os.O_WRONLY | os.O_CREAT)
    err = os.open(os.path.join(cwd, ".stderr"), os.O_WRONLY | os.O_CREAT)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    import numpy as np
    import torch

    np.random.seed(0)
    torch.manual_seed(0)
    code = 1
    try:
        if plain:
            import runpy

            from runtime_check.trace.cli import _run_python

            sys.argv = [program]
            sys.path.insert(0, os.path.dirname(program))
            code = _run_python(lambda: runpy.run_path(program, run_name="__main__"), program)
        else:
            from runtime_check.trace.cli import main

            code = main(["--json", report, "--", "python", program])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run_one(program: str, plain: bool) -> Dict[str, Any]:
    cwd = tempfile.mkdtemp(prefix="trace_batch_")
    report = os.path.join(cwd, ".report.json")
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            _child(program, cwd, report, plain)
        finally:
            os._exit(70)
    status = None
    while status is None:
        done, raw = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(raw)
        elif time.monotonic() - started > TIMEOUT_S:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = -9
        else:
            time.sleep(0.01)
    result: Dict[str, Any] = {"program": program, "exit": status, "seconds": round(time.monotonic() - started, 3)}
    for name in ("stdout", "stderr"):
        with open(os.path.join(cwd, "." + name), encoding="utf-8", errors="replace") as f:
            result[name] = f.read()
    try:
        with open(report, encoding="utf-8") as f:
            result["report"] = json.load(f)
    except (OSError, ValueError):
        result["report"] = None
    shutil.rmtree(cwd, ignore_errors=True)
    return result


def main(argv: List[str]) -> int:
    out, rest = argv[0], argv[1:]
    plain = "--plain" in rest
    programs = [os.path.abspath(p) for p in rest if p != "--plain"]
    import numpy  # noqa: F401 - imported once, before the forks
    import torch  # noqa: F401
    import torch._dynamo  # noqa: F401 - the first optimizer.step() would import it in every child

    # the trace's own modules too: a fork server amortises imports, the trace's as well as torch's
    import runtime_check.trace.checkpoints  # noqa: F401
    import runtime_check.trace.cli  # noqa: F401
    import runtime_check.trace.conversions  # noqa: F401
    import runtime_check.trace.loader  # noqa: F401
    import runtime_check.trace.ops  # noqa: F401
    import runtime_check.trace.output  # noqa: F401
    import runtime_check.trace.session  # noqa: F401
    import torch.utils.data  # noqa: F401 - the loader watcher's module: imported by any program that trains
    results = [run_one(p, plain) for p in programs]
    with open(out, "w", encoding="utf-8") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
