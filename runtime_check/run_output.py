"""What a child process printed: the last traceback's frames and exception, and the warnings.

Read from stderr exactly as Python prints them (the fixture runs as
`python fixture.py` would), so nothing has to be installed in the child.
"""
from __future__ import annotations

import re
from typing import List, NamedTuple, Optional, Sequence, Tuple

from .executors import ProcessOutcome

_TRACEBACK = "Traceback (most recent call last):"
_EXC_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<msg>.*))?$")
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
#: torch.distributed prints an uncaught exception of a process in a group with its rank before each line.
_RANK_PREFIX = re.compile(r"^\[rank\d+\]: ", re.MULTILINE)
_WARNING = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<cat>[A-Za-z_][\w.]*): (?P<msg>.*)$")


class Frame(NamedTuple):
    file: str
    line: int
    func: str


class Warned(NamedTuple):
    category: str
    message: str
    file: str
    line: int


def _last_traceback(stderr: str) -> List[str]:
    stderr = _RANK_PREFIX.sub("", stderr)
    idx = stderr.rfind(_TRACEBACK)
    return stderr[idx:].splitlines()[1:] if idx >= 0 else []


def last_exception(stderr: str) -> Optional[Tuple[str, str]]:
    """(type, message) of the last traceback in stderr, as Python printed it."""
    lines = _last_traceback(stderr)
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


def traceback_frames(stderr: str) -> List[Frame]:
    """The frames of the last traceback, outermost first."""
    frames = []
    for line in _last_traceback(stderr):
        m = _FRAME.match(line)
        if m:
            frames.append(Frame(m.group("file"), int(m.group("line")), m.group("func") or ""))
    return frames


def raised_at(stderr: str, path: str) -> Optional[int]:
    """The innermost line of the fixture file in the last traceback."""
    lines = [f.line for f in traceback_frames(stderr) if f.file == path]
    return lines[-1] if lines else None


def warnings_in(stderr: str) -> List[Warned]:
    """Each warning Python printed to stderr, with the file and line it names."""
    found: List[Warned] = []
    for line in stderr.splitlines():
        m = _WARNING.match(line)
        if m:
            found.append(Warned(m.group("cat"), m.group("msg"), m.group("file"), int(m.group("line"))))
    return found


def type_matches(actual: str, wanted: Sequence[str]) -> bool:
    # The traceback may qualify the type (torch.OutOfMemoryError,
    # _pickle.UnpicklingError): a header may name it either way.
    short = actual.rsplit(".", 1)[-1]
    return any(w == actual or w == short or w.rsplit(".", 1)[-1] == short for w in wanted)


def exc_summary(out: ProcessOutcome) -> str:
    exc = last_exception(out.stderr)
    if exc:
        return f"{exc[0]}: {exc[1]}" if exc[1] else exc[0]
    tail = [ln for ln in out.stderr.strip().splitlines() if ln.strip()]
    return tail[-1] if tail else ""
