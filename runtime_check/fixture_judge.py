"""Judge one fixture run: by what its header says, and by where it failed.

A positive fixture is confirmed only when the failure its header names arises
at a line that a finding of its rule names (linter_view.named_lines):

- raises: the innermost frame of the fixture file in the last traceback, or,
  when that frame is inside one of the fixture's own functions, the fixture
  frame that called it (a model's forward fails inside the call `model(x)`
  the finding cites).  An exception the fixture raises itself (a `raise` or
  `assert` statement, or code outside torch and NumPy) proves nothing.
- warns: the line Python prints with the warning; a `warnings.warn` call of
  the fixture's own proves nothing.
- prints: the `# value:` expression, evaluated right after a named line runs
  (its last run), must read exactly the header's text; printed output is not
  looked at, so a literal cannot stand in for the value.

A negative is confirmed when it runs clean (the linter's silence is checked
before it runs).  Every verdict says which line failed.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import Dict, Optional

from .executors import ProcessOutcome
from .fixture_header import Header
from .linter_view import REPORTED, describe_lines
from .results import CONFIRMED, FAILED
from .run_output import Warned, exc_summary, last_exception, raised_at, traceback_frames, type_matches, warnings_in

_MEMORY_HINTS = ("MemoryError", "can't allocate memory", "Cannot allocate memory", "std::bad_alloc")


@dataclass
class Run:
    """What running one fixture showed."""

    outcome: ProcessOutcome
    path: str  # the fixture's path as the child ran it (traceback and warning lines name it)
    source: str  # the fixture's text
    values: Dict[int, Dict[str, str]] = field(default_factory=dict)  # line -> {"value"|"error": text}


@dataclass
class Judged:
    status: str
    reason: str
    observed: str = ""
    line: Optional[int] = None  # the line that failed (positives), when one did


# --- reading the fixture's own code -------------------------------------------------


def statement_at(source: str, line: int, tree: Optional[ast.Module] = None) -> Optional[ast.stmt]:
    """The innermost statement of `source` that spans `line`."""
    if tree is None:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return None
    best: Optional[ast.stmt] = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def _effect_call_before(source: str, line: int) -> Optional[int]:
    """The line of a bare call statement (`torch.set_default_device("cuda")`) right before the statement at `line`.

    Such a call works only through its effect on what runs next, and fails
    there: a default device set at line 6 fails at the first tensor made, on
    the next statement.  Only the statement immediately before counts.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    failing = statement_at(source, line, tree)
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if not isinstance(body, list) or failing not in body:
                continue
            index = body.index(failing)
            before = body[index - 1] if index > 0 else None
            if isinstance(before, ast.Expr) and isinstance(before.value, ast.Call):
                return before.lineno
            return None
    return None


def _raised_by_hand(source: str, line: int) -> bool:
    return isinstance(statement_at(source, line), (ast.Raise, ast.Assert))


def _warned_by_hand(source: str, line: int) -> bool:
    stmt = statement_at(source, line)
    if stmt is None:
        return False
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("warn", "warn_explicit"):
                return True
    return False


# --- verdicts -------------------------------------------------------------------------


def judge(header: Header, run: Run, named: Dict[int, str], timeout: float) -> Judged:
    """The verdict on one run; `named`: the lines the rule's findings name (empty for a negative)."""
    out = run.outcome
    summary = exc_summary(out)
    if out.timed_out:
        return Judged(FAILED, f"timed out after {timeout:g} s (killed)", summary)
    if out.memory_exceeded:
        return Judged(FAILED, "exceeded the memory limit (killed)", summary)
    rc = out.returncode
    if rc is not None and rc < 0:
        return Judged(FAILED, f"killed by signal {-rc}", summary)
    if any(h in out.stderr for h in _MEMORY_HINTS) and rc:
        return Judged(FAILED, "ran out of memory under the memory limit", summary)
    if header.kind == "clean":
        if rc == 0:
            return Judged(CONFIRMED, "ran clean (exit 0) and the linter is silent", "exit 0")
        return Judged(FAILED, f"expected a clean run, got exit {rc}", summary, raised_at(out.stderr, run.path))
    if header.kind == "raises":
        return _judge_raises(header, run, named)
    if header.kind == "warns":
        return _judge_warns(header, run, named)
    return _judge_prints(header, run, named)


def _judge_raises(header: Header, run: Run, named: Dict[int, str]) -> Judged:
    out = run.outcome
    summary = exc_summary(out)
    exc = last_exception(out.stderr)
    want = "|".join(header.exc_types) + ": " + " || ".join(header.fragments)
    if out.returncode == 0 or exc is None:
        return Judged(FAILED, f"expected {want}, but it exited {out.returncode} without an uncaught exception",
                      summary)
    etype, msg = exc
    if not type_matches(etype, header.exc_types):
        return Judged(FAILED, f"raised {etype}, expected {'|'.join(header.exc_types)}", summary)
    if not any(f in msg for f in header.fragments):
        return Judged(FAILED, f"raised {etype}, but the message contains none of {list(header.fragments)}", summary)
    frames = traceback_frames(out.stderr)
    mine = [f for f in frames if f.file == run.path]
    if not mine:
        return Judged(FAILED, f"raised {etype} with no frame in the fixture file", summary)
    innermost = mine[-1]
    if _raised_by_hand(run.source, innermost.line):
        return Judged(FAILED, f"raised {etype} by the fixture's own raise/assert at line {innermost.line}, "
                      "not by torch or NumPy", summary, innermost.line)
    deepest = frames[-1]
    if deepest.file.startswith("<") or (deepest.file != run.path and _beside(deepest.file, run.path)
                                        and _raised_by_hand(_read(deepest.file), deepest.line)):
        return Judged(FAILED, f"raised {etype} in {deepest.file} line {deepest.line}, not by torch or NumPy",
                      summary, innermost.line)
    for frame in reversed(mine):
        how = named.get(frame.line)
        if how is None:
            continue
        if frame is innermost:
            return Judged(CONFIRMED, f"raised {etype} at line {frame.line}, {_how(how)}", summary, frame.line)
        return Judged(
            CONFIRMED,
            f"raised {etype} at line {innermost.line} (in {innermost.func}), inside line {frame.line}, {_how(how)}",
            summary,
            frame.line,
        )
    setter = _effect_call_before(run.source, innermost.line)
    if setter is not None and named.get(setter) == REPORTED:
        return Judged(
            CONFIRMED,
            f"raised {etype} at line {innermost.line}, the statement right after line {setter}, the line the "
            f"finding is reported on (a bare call, such as a default-device setter, acts on what runs next)",
            summary,
            innermost.line,
        )
    return Judged(FAILED, f"raised {etype} at line {innermost.line}, which no finding names "
                  f"(they name {describe_lines(named)})", summary, innermost.line)


def _judge_warns(header: Header, run: Run, named: Dict[int, str]) -> Judged:
    out = run.outcome
    frag, cat = header.fragments[0], header.category
    seen = warnings_in(out.stderr)
    hits = [w for w in seen if type_matches(w.category, [cat]) and frag in w.message]
    if not hits:
        shown = "; ".join(f"{w.category}: {w.message}" for w in seen) or "no warning"
        return Judged(FAILED, f"expected {cat}: {frag!r}, exit {out.returncode}", shown)
    if out.returncode != 0:
        return Judged(FAILED, f"warned as expected, but then exited {out.returncode}", exc_summary(out))
    mine = [w for w in hits if w.file == run.path]
    if not mine:
        return Judged(FAILED, f"warned {cat} only from {hits[0].file}, not from the fixture", _warning(hits[0]))
    for w in mine:
        if _warned_by_hand(run.source, w.line):
            return Judged(FAILED, f"warned {cat} by the fixture's own warnings.warn at line {w.line}",
                          _warning(w), w.line)
    for w in mine:
        if w.line in named:
            return Judged(CONFIRMED, f"warned {w.category} at line {w.line}, {_how(named[w.line])}", _warning(w), w.line)
    return Judged(FAILED, f"warned {cat} at line {mine[0].line}, which no finding names "
                  f"(they name {describe_lines(named)})", _warning(mine[0]), mine[0].line)


def _judge_prints(header: Header, run: Run, named: Dict[int, str]) -> Judged:
    out = run.outcome
    expected, expr = header.fragments[0], header.expression
    if out.returncode != 0:
        return Judged(FAILED, f"expected {expr} to read {expected!r} and exit 0, got exit {out.returncode}",
                      exc_summary(out), raised_at(out.stderr, run.path))
    seen = [(line, run.values[line]) for line in sorted(named) if line in run.values]
    for line, value in seen:
        if value.get("value") == expected:
            return Judged(CONFIRMED, f"after line {line} ({named[line]} by the finding), {expr} is {expected}",
                          expected, line)
    if not seen:
        return Judged(FAILED, f"{expr} was never read: no line the finding names ran "
                      f"({describe_lines(named)})")
    shown = "; ".join(
        f"after line {line}: {value['value']!r}" if "value" in value else f"after line {line}: {value['error']}"
        for line, value in seen
    )
    return Judged(FAILED, f"{expr} never reads {expected!r} after a line the finding names", shown, seen[-1][0])


def _how(how: str) -> str:
    return f"the line the finding {'is reported on' if how == 'reported' else 'cites'}"


def _warning(w: Warned) -> str:
    return f"{w.category}: {w.message}"


def _beside(file: str, fixture: str) -> bool:
    """A file in the fixture's own folder (a helper module of its own, not torch or NumPy)."""
    return os.path.dirname(os.path.abspath(file)) == os.path.dirname(os.path.abspath(fixture))


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return ""
