"""Run every fixture, with the linter beside it, and judge it (fixture_judge).

Before a fixture runs, the linter reads it: a negative must leave it silent, a
positive must draw a finding of its rule, whose lines (the reported line, the
sink lines its message cites) are where the failure must arise.  A fixture
whose premise needs CUDA (a `cuda` header; every fixture of a rule whose
probe has no CPU form, NTL202) is skipped on a host without one, never
confirmed.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from ._sandbox import WATCH_ENV
from .env import child_env
from .executors import ForkExecutor, ForkServerError, Job, SpawnExecutor
from .fixture_header import Header, HeaderError, expect_markers, read_header
from .fixture_judge import Run, judge
from .run_output import raised_at
from .linter_view import Finding, LintError, lint_fixture, named_lines
from .results import FAILED, SKIPPED, FixtureResult

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MEMORY_GIB = 4.0
_VALUES_FILE = ".runtime_check_values.json"


@dataclass
class RunnerConfig:
    cuda: bool = False  # a CUDA device is present and CUDA was asked for
    gpu_host: bool = False  # the host has CUDA (even if not asked for): hide it where needed
    timeout: float = DEFAULT_TIMEOUT_S
    memory_bytes: int = int(DEFAULT_MEMORY_GIB * (1 << 30))
    jobs: int = 0  # 0: one per available core
    isolation: str = "auto"  # "auto", "fork" or "spawn"


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def discover(fixtures_dir: Path, codes: Optional[Iterable[str]] = None) -> List[Path]:
    """fixtures/NTL*/*.py, sorted; files starting with '_' are helpers, not fixtures."""
    wanted = {c.upper() for c in codes} if codes else None
    paths = [
        p
        for p in sorted(Path(fixtures_dir).glob("NTL*/*.py"))
        if not p.name.startswith("_") and (wanted is None or p.parent.name.upper() in wanted)
    ]
    return paths


# --- planning ----------------------------------------------------------------


@dataclass
class Plan:
    """A fixture that will run: its header and the lines the linter names (positives)."""

    header: Header
    named: Dict[int, str]
    findings: List[Finding]


def _role(path: Path) -> str:
    name = path.name
    return "pos" if name.startswith("pos_") else "neg" if name.startswith("neg_") else "?"


def _rel(path: Path, base: Path) -> str:
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)


def premise_needs_cuda(code: str) -> bool:
    """The rule's premise has no CPU form (its probe is not applicable on CPU): NTL202."""
    from .probes import PROBES

    probe = PROBES.get(code)
    return probe is not None and "cpu" in probe.not_applicable


def header_problem(code: str, header: Header) -> Optional[str]:
    """Why `header` cannot be this rule's, or None.

    The error or warning a header names must be one the rule's probe observes
    torch give (Probe.messages): a fixture cannot be confirmed by an exception
    its rule is not about (a NameError from a typo, say).
    """
    from .probes import PROBES

    probe = PROBES.get(code)
    if probe is None:
        return f"no rule {code} (the folder names the rule)"
    if premise_needs_cuda(code) and header.needs != "cuda":
        return f"{code}'s premise needs CUDA (its probe has no CPU form): the header must say 'cuda'"
    if header.kind not in ("raises", "warns"):
        return None
    types = header.exc_types if header.kind == "raises" else (header.category,)
    wanted = {t.rsplit(".", 1)[-1] for t in types}
    for fragment in header.fragments:
        if not any(m.kind == header.kind and wanted <= set(m.types) and m.agrees(fragment) for m in probe.messages):
            return (f"'{header.kind} {'|'.join(types)}: {fragment}' is not what the {code} probe observes torch "
                    f"give ({'; '.join(f'{m.types[0]}: {m.text}' for m in probe.messages) or 'no error or warning'})")
    return None


def _plan(path: Path, base: Path, cfg: RunnerConfig) -> Union[FixtureResult, Plan]:
    """A plan to run with, or the final result when the fixture cannot or need not run."""
    res = FixtureResult(_rel(path, base), path.parent.name, _role(path), "", FAILED)
    try:
        header = read_header(path)
    except (HeaderError, OSError, UnicodeDecodeError) as exc:
        res.reason = f"invalid header: {exc}"
        return res
    res.header = header.text
    if res.role == "?":
        res.reason = "the name must start with pos_ or neg_"
        return res
    if res.role == "neg" and header.kind != "clean":
        res.reason = f"a negative fixture must run clean, its header says '{header.text}'"
        return res
    if res.role == "pos" and header.kind == "clean":
        res.reason = "a positive fixture must show its failure; its header says 'clean'"
        return res
    problem = header_problem(res.code, header)
    if problem:
        res.reason = f"invalid header: {problem}"
        return res
    try:
        findings = lint_fixture(path)
    except LintError as exc:
        res.reason = str(exc)
        return res
    res.extra["findings"] = [f"{f.code} line {f.line}: {f.message}" for f in findings]
    named = named_lines(findings, res.code)
    if res.role == "neg" and findings:
        res.reason = "the linter is not silent on a negative fixture: " + ", ".join(f.describe() for f in findings)
        return res
    if res.role == "pos":
        if not named:
            res.reason = f"the linter reports no {res.code} finding on this positive fixture"
            return res
        res.extra["named_lines"] = {str(k): v for k, v in sorted(named.items())}
    if header.needs == "cuda" and not cfg.cuda:
        res.status = SKIPPED
        res.reason = "CUDA not requested" if cfg.gpu_host else "no CUDA device"
        return res
    return Plan(header, named, findings)


# --- running ------------------------------------------------------------------


def run_program(
    path: Path,
    cfg: RunnerConfig,
    executor: Union[ForkExecutor, SpawnExecutor],
    needs: Optional[str] = None,
    watch: Sequence[int] = (),
    expression: str = "",
) -> Run:
    """Run one program as a fixture runs; with `expression`, read its value right after each `watch` line."""
    # CUDA is hidden for `nocuda` fixtures, and for all of them when CUDA was
    # not asked for; a child that may use CUDA gets no RLIMIT_AS (the CUDA
    # driver reserves far more address space than any sane cap) and is held
    # to the memory cap by the RSS watchdog instead.
    hide = cfg.gpu_host and (needs == "nocuda" or not cfg.cuda)
    cuda_visible = cfg.gpu_host and not hide
    cwd = tempfile.mkdtemp(prefix=f"fixture_{path.stem}_")
    values_file = os.path.join(cwd, _VALUES_FILE)
    env = child_env(hide_cuda=hide)
    if expression:
        env[WATCH_ENV] = json.dumps({"lines": sorted(watch), "expression": expression, "out": values_file})
    job = Job(
        path=str(path.resolve()),
        cwd=cwd,
        env=env,
        timeout=cfg.timeout,
        memory_bytes=cfg.memory_bytes,
        rlimit_bytes=0 if cuda_visible else cfg.memory_bytes,
    )
    try:
        try:
            out = executor.run(job)
        except ForkServerError:
            out = SpawnExecutor().run(job)  # the fast path failed: fall back
        values = _read_values(values_file)
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    source = path.read_text(encoding="utf-8")
    return Run(out, job.path, source, values)


def _read_values(path: str) -> Dict[int, Dict[str, str]]:
    try:
        with open(path, encoding="utf-8") as f:
            return {int(line): value for line, value in json.load(f).items()}
    except (OSError, ValueError):
        return {}


def _run_one(path: Path, base: Path, plan: Plan, cfg: RunnerConfig, executor) -> FixtureResult:
    header = plan.header
    run = run_program(path, cfg, executor, header.needs, sorted(plan.named), header.expression)
    verdict = judge(header, run, plan.named, cfg.timeout)
    out = run.outcome
    extra: Dict[str, Any] = {"findings": [f"{f.code} line {f.line}: {f.message}" for f in plan.findings]}
    if plan.named:
        extra["named_lines"] = {str(k): v for k, v in sorted(plan.named.items())}
    line = raised_at(out.stderr, run.path)
    if line is not None:
        extra["raised_at_line"] = line
        marks = expect_markers(path)
        if marks:
            extra["expect_markers"] = {str(k): v for k, v in marks.items()}
    if run.values:
        extra["values"] = {str(k): v for k, v in sorted(run.values.items())}
    if cfg.gpu_host and (header.needs == "nocuda" or not cfg.cuda):
        extra["cuda_hidden"] = True
    if verdict.status == FAILED and out.stderr.strip():
        extra["stderr_tail"] = out.stderr.strip()[-2000:]
    return FixtureResult(
        path=_rel(path, base),
        code=path.parent.name,
        role=_role(path),
        header=header.text,
        status=verdict.status,
        reason=verdict.reason,
        observed=verdict.observed,
        line=verdict.line,
        returncode=out.returncode,
        seconds=round(out.seconds, 3),
        extra=extra,
    )


def would_fork(cfg: RunnerConfig) -> bool:
    fork_ok = hasattr(os, "fork") and sys.platform.startswith("linux")
    # Fork only where no child will touch CUDA: CUDA does not survive fork.
    return cfg.isolation == "fork" or (cfg.isolation == "auto" and fork_ok and not cfg.gpu_host)


def make_executor(cfg: RunnerConfig):
    """The executor `cfg` asks for (the fork server falls back to spawn if it cannot start)."""
    if would_fork(cfg):
        try:
            return ForkExecutor()
        except (ForkServerError, OSError):
            pass
    return SpawnExecutor()


def run_fixtures(
    paths: Sequence[Path],
    base: Path,
    cfg: Optional[RunnerConfig] = None,
    executor: Optional[Union[ForkExecutor, SpawnExecutor]] = None,
) -> List[FixtureResult]:
    """Run and judge `paths` (fixtures under `base`), in parallel, results in order.

    `executor`: reuse one (e.g. a fork server shared by several calls); it is
    then left open.  Otherwise one is made from `cfg` and closed at the end.
    """
    cfg = cfg or RunnerConfig()
    planned = [(p, _plan(p, base, cfg)) for p in paths]
    todo = [(p, h) for p, h in planned if isinstance(h, Plan)]
    done = {}
    if todo:
        own = executor is None
        ex = make_executor(cfg) if executor is None else executor
        try:
            jobs = cfg.jobs or default_jobs()
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = {p: pool.submit(_run_one, p, base, h, cfg, ex) for p, h in todo}
                for p, fut in futures.items():
                    done[p] = fut.result()
        finally:
            if own:
                ex.close()
    return [done[p] if isinstance(h, Plan) else h for p, h in planned]
