"""Fixes on disk and on stdin: a unified diff, or the fixed source (files written atomically, never over a change)."""
from __future__ import annotations

import difflib
import os
import tempfile
from typing import Callable, List, Optional, Sequence, TextIO, Tuple

from . import fixes
from .files import decode, encoding_of, split_lines
from .lint import Report, analyze

#: the run's select/ignore/noqa filter: the reports of a file's lines that are shown.
Keep = Callable[[List[Report], List[str]], List[Report]]


def fixed_source(text: str, reports: Sequence[Report], unsafe: bool, filename: Optional[str],
                 keep: Keep) -> Tuple[str, int, List[Report]]:
    """The fixed text, how many fixes applied, and the findings of the fixed text that ``keep`` shows."""
    fixed, count = fixes.apply(text, reports, unsafe)
    if count == 0 or fixed == text:
        return text, 0, list(reports)
    new_lines = split_lines(fixed)
    return fixed, count, keep(analyze(fixed, lines=new_lines, filename=filename), new_lines)


Fixed = Tuple[List[Report], List[str]]  # the findings left, and the lines they are on


def fix_file(path: str, reports: List[Report], mode: str, unsafe: bool, out: TextIO, err: TextIO,
             keep: Keep) -> Optional[Fixed]:
    """Apply the fixes to one file (mode "fix": write it; "diff": print a unified diff).

    The findings left and the file's new lines when it was written; None when it was not.
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    text, _ = decode(raw)
    fixed, count, left = fixed_source(text, reports, unsafe, path, keep)
    if count == 0:
        return None
    if mode == "diff":
        out.writelines(difflib.unified_diff(split_lines(text), split_lines(fixed), fromfile=path, tofile=path))
        return None
    if not write_text(path, raw, fixed):
        print(f"{path}: error: changed on disk while fixing; not written", file=err)
        return None
    print(f"{path}: fixed {count} finding{'s' if count != 1 else ''}", file=err)
    return left, split_lines(fixed)


def fix_stdin(lines: List[str], reports: List[Report], mode: str, unsafe: bool, out: TextIO, name: str,
              filename: Optional[str], keep: Keep) -> Fixed:
    """``--fix -``: the fixed source (the source itself when nothing applies) on ``out``; ``--diff -``: the diff.

    The findings left and their lines: after ``--fix``, those of the fixed source; after ``--diff``, all of them.
    """
    text = "".join(lines)
    fixed, count, left = fixed_source(text, reports, unsafe, filename, keep)
    if mode == "fix":
        out.write(fixed)
        return left, split_lines(fixed)
    if count:
        out.writelines(difflib.unified_diff(lines, split_lines(fixed), fromfile=name, tofile=name))
    return reports, lines


def write_text(path: str, raw: bytes, text: str) -> bool:
    """Write ``text`` over the file that held ``raw``, in its encoding and with its BOM; False if it changed meanwhile."""
    encoding = encoding_of(raw)
    data = text.encode("utf-8" if encoding == "utf-8-sig" else encoding)
    if raw.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data  # keep the BOM the file had
    return replace_if_unchanged(path, raw, data)


def replace_if_unchanged(path: str, expected: bytes, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically, keeping its mode; False (nothing written) if it no longer holds ``expected``."""
    with open(path, "rb") as handle:
        if handle.read() != expected:
            return False
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".np-torch-lint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, os.stat(path).st_mode & 0o7777)
        os.replace(temporary, path)  # atomic: never a half-written file
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return True
