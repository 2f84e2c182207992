"""Execute every fixture and judge it against its `# runtime:` header.

A positive fixture must show its failure for real (the exception, the printed
wrong value, the warning); a negative one must run clean.  A fixture that
needs CUDA is skipped on a host without it, never reported as passed.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from .env import child_env
from .executors import ForkExecutor, ForkServerError, Job, ProcessOutcome, SpawnExecutor
from .fixture_header import Header, HeaderError, expect_markers, read_header
from .results import CONFIRMED, FAILED, SKIPPED, FixtureResult

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MEMORY_GIB = 4.0
_TRACEBACK = "Traceback (most recent call last):"
_EXC_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<msg>.*))?$")
_WARNING = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<cat>[A-Za-z_][\w.]*): (?P<msg>.*)$")
_MEMORY_HINTS = ("MemoryError", "can't allocate memory", "Cannot allocate memory", "std::bad_alloc")


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


# --- judging ------------------------------------------------------------------


def last_exception(stderr: str) -> Optional[Tuple[str, str]]:
    """(type, message) of the last traceback in stderr, as Python printed it."""
    idx = stderr.rfind(_TRACEBACK)
    if idx < 0:
        return None
    lines = stderr[idx:].splitlines()[1:]
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
        i += 1  # the frames are indented; the exception line is not
    if i >= len(lines):
        return None
    m = _EXC_LINE.match(lines[i])
    if not m:
        return None
    message = "\n".join([m.group("msg") or "", *lines[i + 1:]]).strip()
    return m.group("type"), message


def raised_at(stderr: str, path: str) -> Optional[int]:
    """The innermost line of the fixture file in the last traceback."""
    tb = stderr[stderr.rfind(_TRACEBACK):] if _TRACEBACK in stderr else ""
    lines = re.findall(rf'File "{re.escape(path)}", line (\d+)', tb)
    return int(lines[-1]) if lines else None


def warnings_in(stderr: str) -> List[Tuple[str, str]]:
    """(category, message) of each warning Python printed to stderr."""
    found: List[Tuple[str, str]] = []
    for line in stderr.splitlines():
        m = _WARNING.match(line)
        if m:
            found.append((m.group("cat"), m.group("msg")))
    return found


def _type_matches(actual: str, wanted: Sequence[str]) -> bool:
    # The traceback may qualify the type (torch.OutOfMemoryError,
    # _pickle.UnpicklingError): a header may name it either way.
    short = actual.rsplit(".", 1)[-1]
    return any(w == actual or w == short or w.rsplit(".", 1)[-1] == short for w in wanted)


def _exc_summary(out: ProcessOutcome) -> str:
    exc = last_exception(out.stderr)
    if exc:
        return f"{exc[0]}: {exc[1]}" if exc[1] else exc[0]
    tail = [ln for ln in out.stderr.strip().splitlines() if ln.strip()]
    return tail[-1] if tail else ""


def judge(header: Header, out: ProcessOutcome, timeout: float) -> Tuple[str, str, str]:
    """(status, reason, observed) for one fixture run."""
    if out.timed_out:
        return FAILED, f"timed out after {timeout:g} s (killed)", _exc_summary(out)
    if out.memory_exceeded:
        return FAILED, "exceeded the memory limit (killed)", _exc_summary(out)
    summary = _exc_summary(out)
    rc = out.returncode
    if rc is not None and rc < 0:
        return FAILED, f"killed by signal {-rc}", summary
    if any(h in out.stderr for h in _MEMORY_HINTS) and rc:
        return FAILED, "ran out of memory under the memory limit", summary

    if header.kind == "clean":
        if rc == 0:
            return CONFIRMED, "ran clean (exit 0)", "exit 0"
        return FAILED, f"expected a clean run, got exit {rc}", summary

    if header.kind == "raises":
        exc = last_exception(out.stderr)
        want = "|".join(header.exc_types) + ": " + " || ".join(header.fragments)
        if rc == 0 or exc is None:
            return FAILED, f"expected {want}, but it exited {rc} without an uncaught exception", summary
        etype, msg = exc
        if not _type_matches(etype, header.exc_types):
            return FAILED, f"raised {etype}, expected {'|'.join(header.exc_types)}", summary
        if not any(f in msg for f in header.fragments):
            return FAILED, f"raised {etype}, but the message contains none of {list(header.fragments)}", summary
        return CONFIRMED, f"raised {etype} as the header says", summary

    if header.kind == "prints":
        frag = header.fragments[0]
        line = next((ln for ln in out.stdout.splitlines() if frag in ln), None)
        if rc != 0:
            return FAILED, f"expected to print {frag!r} and exit 0, got exit {rc}", summary
        if line is None:
            last = (out.stdout.strip().splitlines() or ["<no output>"])[-1]
            return FAILED, f"exit 0 but no line contains {frag!r}", f"last line: {last}"
        return CONFIRMED, f"printed {frag!r}", line.strip()

    # warns
    frag, cat = header.fragments[0], header.category
    hits = [(c, m) for c, m in warnings_in(out.stderr) if _type_matches(c, [cat]) and frag in m]
    if not hits:
        seen = "; ".join(f"{c}: {m}" for c, m in warnings_in(out.stderr)) or "no warning"
        return FAILED, f"expected {cat}: {frag!r}, exit {rc}", seen
    if rc != 0:
        return FAILED, f"warned as expected, but then exited {rc}", summary
    return CONFIRMED, f"warned {cat} as the header says", f"{hits[0][0]}: {hits[0][1]}"


# --- running ------------------------------------------------------------------


def _role(path: Path) -> str:
    name = path.name
    return "pos" if name.startswith("pos_") else "neg" if name.startswith("neg_") else "?"


def _plan(path: Path, base: Path, cfg: RunnerConfig) -> Union[FixtureResult, Header]:
    """A header to run with, or the final result when the fixture cannot run."""
    rel = path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)
    res = FixtureResult(rel, path.parent.name, _role(path), "", FAILED)
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
    if header.needs == "cuda" and not cfg.cuda:
        res.status = SKIPPED
        res.reason = "needs a CUDA device; " + ("CUDA not requested" if cfg.gpu_host else "none present")
        return res
    return header


def _run_one(path: Path, base: Path, header: Header, cfg: RunnerConfig, executor) -> FixtureResult:
    rel = path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)
    # CUDA is hidden for `nocuda` fixtures, and for all of them when CUDA was
    # not asked for; a child that may use CUDA gets no RLIMIT_AS (the CUDA
    # driver reserves far more address space than any sane cap) and is held
    # to the memory cap by the RSS watchdog instead.
    hide = cfg.gpu_host and (header.needs == "nocuda" or not cfg.cuda)
    cuda_visible = cfg.gpu_host and not hide
    cwd = tempfile.mkdtemp(prefix=f"fixture_{path.stem}_")
    job = Job(
        path=str(path.resolve()),
        cwd=cwd,
        env=child_env(hide_cuda=hide),
        timeout=cfg.timeout,
        memory_bytes=cfg.memory_bytes,
        rlimit_bytes=0 if cuda_visible else cfg.memory_bytes,
    )
    try:
        try:
            out = executor.run(job)
        except ForkServerError:
            out = SpawnExecutor().run(job)  # the fast path failed: fall back
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    status, reason, observed = judge(header, out, cfg.timeout)
    extra: Dict[str, Any] = {}
    line = raised_at(out.stderr, job.path)
    if line is not None:
        extra["raised_at_line"] = line
        marks = expect_markers(path)
        if marks:
            extra["expect_markers"] = {str(k): v for k, v in marks.items()}
    if hide:
        extra["cuda_hidden"] = True
    if status == FAILED and out.stderr.strip():
        extra["stderr_tail"] = out.stderr.strip()[-2000:]
    return FixtureResult(
        path=rel,
        code=path.parent.name,
        role=_role(path),
        header=header.text,
        status=status,
        reason=reason,
        observed=observed,
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
    todo = [(p, h) for p, h in planned if isinstance(h, Header)]
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
    return [done[p] if isinstance(h, Header) else h for p, h in planned]
