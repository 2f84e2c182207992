"""Positions and edits in an editor buffer: no LSP library needed, so these are tested on their own.

Reports carry ``ast`` positions: 1-based lines, columns in UTF-8 bytes. The
editor counts 0-based lines and columns in the code units the client and the
server agreed on (UTF-16 by default, UTF-8 or UTF-32 when offered). Lines end
at ``\\n``, ``\\r\\n`` or ``\\r``, in the language server protocol as in Python's
tokenizer; ``str.splitlines`` would also break at form feeds, so it is not used.
"""
from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
from typing import Callable, List, NamedTuple, Optional, Tuple

from ..files import split_lines

Position = Tuple[int, int]  # 0-based line, column in the client's code units
Range = Tuple[Position, Position]


class Edit(NamedTuple):
    """Replace ``text[start:end]`` (character offsets) by ``replacement``."""

    start: int
    end: int
    replacement: str


def counter(encoding: str) -> Callable[[str], int]:
    """How many code units of ``encoding`` (``utf-8``, ``utf-16``, ``utf-32``) a string takes."""
    if encoding == "utf-8":
        return lambda text: len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len
    return lambda text: len(text.encode("utf-16-le")) // 2


class Buffer:
    """One version of a document's text, with conversions between its positions."""

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.text = text
        self.lines: List[str] = split_lines(text)
        self.units = counter(encoding)
        self._starts: List[int] = []
        offset = 0
        for line in self.lines:
            self._starts.append(offset)
            offset += len(line)

    def _line(self, index: int) -> str:
        return self.lines[index] if 0 <= index < len(self.lines) else ""

    def from_ast(self, line: int, byte_col: int) -> Position:
        """An ``ast`` position (1-based line, UTF-8 byte column) in client units."""
        prefix = self._line(line - 1).encode("utf-8")[:byte_col].decode("utf-8", "ignore")
        return line - 1, self.units(prefix)

    def from_offset(self, offset: int) -> Position:
        """A character offset into the text, in client units."""
        if not self._starts:
            return 0, 0
        index = max(0, bisect.bisect_right(self._starts, offset) - 1)
        column = offset - self._starts[index]
        line = self.lines[index]
        if column >= len(line) and line.endswith(("\n", "\r")):
            return index + 1, 0  # just after the last line's ending: a new, empty line
        return index, self.units(line[:column])

    def to_offset(self, position: Position) -> int:
        """A client position as a character offset (clamped to the line's content)."""
        line, units = position
        if line >= len(self.lines):
            return len(self.text)
        content = self.lines[line].rstrip("\r\n")
        column = 0
        counted = 0
        for char in content:
            if counted >= units:
                break
            counted += self.units(char)
            column += 1
        return self._starts[line] + column


def contains(outer: Range, position: Position) -> bool:
    return outer[0] <= position <= outer[1]


def overlaps(first: Range, second: Range) -> bool:
    return first[0] <= second[1] and second[0] <= first[1]


def minimal_edit(old: str, new: str) -> Optional[Edit]:
    """The one replacement that turns ``old`` into ``new``: what lies between their common prefix and suffix.

    A small edit keeps the editor's cursor, folds and undo history where they were;
    a boundary never splits a ``\\r\\n`` (not a position the protocol allows).
    """
    if old == new:
        return None
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    if 0 < prefix and old[prefix - 1:prefix + 1] == "\r\n":
        prefix -= 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    end = len(old) - suffix
    if 0 < end < len(old) and old[end - 1:end + 1] == "\r\n":
        suffix -= 1
        end += 1
    return Edit(prefix, end, new[prefix:len(new) - suffix])


def apply_edit(text: str, edit: Edit) -> str:
    return text[:edit.start] + edit.replacement + text[edit.end:]


# flake8's own pattern (flake8.defaults.NOQA_INLINE_REGEXP): where the codes of a `# noqa:` comment end.
_NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)


def noqa_edit(text: str, line: int, code: str) -> Optional[Edit]:
    """The edit that silences ``code`` on ``line`` (1-based): ``# noqa: CODE`` added, or the code added
    to the line's ``# noqa:`` list. None where no comment can end the line (inside a string that spans
    lines, after a backslash) or where a bare ``# noqa`` already silences everything.

    The result always parses when ``text`` did: the comment goes where the tokenizer ends the line.
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text, newline="").readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    comment = next((t for t in tokens if t.type == tokenize.COMMENT and t.start[0] == line), None)
    ends_here = any(t.type in (tokenize.NEWLINE, tokenize.NL) and t.start[0] == line for t in tokens)
    lines = split_lines(text)
    if not 0 < line <= len(lines) or not (ends_here or comment is not None):
        return None
    start_of_line = sum(len(previous) for previous in lines[:line - 1])
    if comment is not None:
        match = _NOQA.search(comment.string)
        if match is not None:
            codes = match.group("codes")
            if not codes:
                return None  # a bare `# noqa` silences the whole line already
            where = start_of_line + comment.start[1] + match.start("codes") + len(codes.rstrip(", \t"))
            return Edit(where, where, f",{code}")
    content = lines[line - 1].rstrip("\r\n")
    end = start_of_line + len(content)
    code_end = start_of_line + len(content.rstrip(" \t"))
    return Edit(code_end, end, f"  # noqa: {code}")


def parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True
