"""`python -m runtime_check`: run the probes (and fixtures), print or write the report."""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

from .results import SKIPPED, ProbeResult

# The checkout's fixtures/; installed from a wheel or an sdist, the copy shipped inside the package.
_CHECKOUT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEFAULT_FIXTURES = _CHECKOUT_FIXTURES if _CHECKOUT_FIXTURES.is_dir() else Path(__file__).resolve().parent / "fixtures"
#: what `pip install` needs for the probes and fixtures (the linter itself needs neither).
RUNTIME_EXTRA = "np-torch-lint[runtime]"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m runtime_check",
        description="Check every np-torch-lint rule's premise with the installed torch and NumPy, "
        "on CPU and CUDA, and execute the fixtures.",
    )
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="all",
                   help="where to run the probes (default: all = CPU, and CUDA when present)")
    p.add_argument("--rules", default="", help="comma-separated codes, e.g. NTL101,NTL201 (default: all)")
    # The fixtures run by default: checking the linter's verdicts against execution is the point.
    p.add_argument("--fixtures", action="store_true", default=True, help="execute the fixtures too (the default)")
    p.add_argument("--no-fixtures", dest="fixtures", action="store_false", help="run the probes only")
    p.add_argument("--fixtures-only", action="store_true", help="execute the fixtures, no probes")
    p.add_argument("--fixtures-dir", type=Path, default=None, help=f"default: {DEFAULT_FIXTURES}")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per fixture (default 30)")
    p.add_argument("--memory-gib", type=float, default=4.0, help="memory cap per fixture (default 4)")
    p.add_argument("--jobs", type=int, default=0, help="fixtures run at once (default: one per core)")
    p.add_argument("--isolation", choices=("auto", "fork", "spawn"), default="auto",
                   help="fixture processes: fork from a server that imported torch once (auto on "
                        "CPU-only Linux hosts), or spawn a fresh interpreter each")
    p.add_argument("--json", action="store_true", help="print the JSON report instead of the table")
    p.add_argument("--report", type=Path, default=None, help="also write the JSON report to this file")
    p.add_argument("--require-cuda", action="store_true",
                   help="fail when no CUDA device is present (for GPU CI runners)")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["trace"]:
        # `python -m runtime_check trace ... -- COMMAND`: watch the user's own run (runtime_check/trace/)
        from .trace.cli import main as trace_main

        return trace_main(argv[1:])
    args = _parser().parse_args(argv)
    missing = [name for name in ("torch", "numpy") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"runtime_check needs {' and '.join(missing)}, which this environment lacks: "
              f"install {RUNTIME_EXTRA} (pip install '{RUNTIME_EXTRA}')", file=sys.stderr)
        return 2
    # Imports here, not at module level: they pull in torch.
    from . import report as report_mod
    from .env import cuda_available, versions
    from .fixture_runner import RunnerConfig, discover, make_executor, run_fixtures
    from .probes import CODES, PROBES, run_probe

    codes = [c.strip().upper() for c in args.rules.split(",") if c.strip()] or list(CODES)
    unknown = [c for c in codes if c not in PROBES]
    if unknown:
        print(f"unknown rule code(s): {', '.join(unknown)}; known: {', '.join(CODES)}", file=sys.stderr)
        return 2
    cuda = cuda_available()
    if args.require_cuda and not cuda:
        print("--require-cuda: no CUDA device is available", file=sys.stderr)
        return 1
    if args.device == "cuda" and not cuda:
        # Every probe and fixture would be skipped: say so rather than "OK: 0 confirmed".
        print("--device cuda: no CUDA device (torch.cuda.is_available() is False); nothing was run", file=sys.stderr)
        return 1
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]

    results: Dict[str, Dict[str, ProbeResult]] = {}
    probes = [PROBES[c] for c in codes]
    if not args.fixtures_only:
        for probe in probes:
            results[probe.code] = {
                d: run_probe(probe, d, cuda=cuda)
                if d in devices
                else ProbeResult(probe.code, d, SKIPPED, reason=f"not requested (--device {args.device})")
                for d in ("cpu", "cuda")
            }

    fixtures = None
    info = None
    if args.fixtures or args.fixtures_only:
        fdir = (args.fixtures_dir or DEFAULT_FIXTURES).resolve()
        if not fdir.is_dir():
            print(f"fixtures directory not found: {fdir}", file=sys.stderr)
            return 2
        cfg = RunnerConfig(
            cuda=cuda and "cuda" in devices,
            gpu_host=cuda,
            timeout=args.timeout,
            memory_bytes=int(args.memory_gib * (1 << 30)),
            jobs=args.jobs,
            isolation=args.isolation,
        )
        paths = discover(fdir, None if not args.rules else codes)
        executor = make_executor(cfg)
        try:
            fixtures = run_fixtures(paths, fdir, cfg, executor)
        finally:
            executor.close()
        info = {"dir": _shown_path(fdir), "executor": executor.name, "timeout_s": cfg.timeout,
                "memory_gib": args.memory_gib}

    shown = [] if args.fixtures_only else probes
    rep = report_mod.build(shown, results, fixtures, versions(), devices, info)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(rep, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(rep, indent=2))
    else:
        sys.stdout.write(report_mod.render_text(rep))
    return 0 if rep["summary"]["ok"] else 1


def _shown_path(path: Path) -> str:
    """Relative to the working directory when inside it (reports get committed)."""
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)
