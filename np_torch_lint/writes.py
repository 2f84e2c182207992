"""Fixes on disk: a unified diff, or the fixed file written atomically (never half a file, never over a change)."""
from __future__ import annotations

import difflib
import os
import tempfile
from typing import Callable, List, TextIO

from . import fixes
from .files import decode, encoding_of, split_lines
from .lint import Report, analyze


def fix_file(path: str, reports: List[Report], mode: str, unsafe: bool, out: TextIO, err: TextIO,
             keeps: Callable[[Report, List[str]], bool]) -> List[Report]:
    """Apply the fixes to one file (mode "fix": write it; "diff": print a unified diff). The findings left.

    ``keeps`` is the run's select/ignore/noqa filter, applied to the findings of the fixed file.
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    text, _ = decode(raw)
    fixed, count = fixes.apply(text, reports, unsafe)
    if count == 0 or fixed == text:
        return reports
    if mode == "diff":
        out.writelines(difflib.unified_diff(split_lines(text), split_lines(fixed), fromfile=path, tofile=path))
        return reports
    encoding = encoding_of(raw)
    data = fixed.encode("utf-8" if encoding == "utf-8-sig" else encoding)
    if raw.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data  # keep the BOM the file had
    if not replace_if_unchanged(path, raw, data):
        print(f"{path}: error: changed on disk while fixing; not written", file=err)
        return reports
    print(f"{path}: fixed {count} finding{'s' if count != 1 else ''}", file=err)
    new_text, new_lines = decode(data)
    return [r for r in analyze(new_text, lines=new_lines) if keeps(r, new_lines)]


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
