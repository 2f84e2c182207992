"""IPython syntax in a notebook cell, replaced by Python that keeps the cell's line numbers.

A cell may hold what only IPython reads: line magics (``%matplotlib inline``), shell
escapes (``!pip install ...``), help (``?torch.load``, ``model.forward??``), the
assignment forms (``files = !ls``, ``t = %timeit -o f()``), the auto-call escapes
(``/f x``, ``,f x``, ``;f x``) and cell magics (``%%bash`` on the first line: the
whole cell is another language, or Python that IPython runs in its own way).

Each such line becomes ``pass`` at the line's own indentation with a marker comment, so
that a magic alone in a block still parses, every other line keeps its number, and a
fixed cell gets its original lines back (``restore``). A cell magic's lines all become
blank lines. Only lines that start a statement are looked at: the same characters
inside a string, inside brackets or after a backslash continuation are Python.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from .files import split_lines

#: what a replaced line reads (after its indentation): a statement, so blocks still parse.
PLACEHOLDER = "pass  # np-torch-lint: IPython syntax"
_ESCAPES = ("%", "!", "?", "/", ",", ";")  # at a statement's start, never Python
_ASSIGN_FROM_IPYTHON = re.compile(r"^\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!]")


class Blanked:
    """A cell's lines as Python, and the original text of every replaced line (by 0-based index)."""

    def __init__(self, lines: List[str], replaced: Dict[int, str], cell_magic: bool) -> None:
        self.lines = lines
        self.replaced = replaced
        self.cell_magic = cell_magic

    @property
    def text(self) -> str:
        return "".join(self.lines)


def blank(source: str) -> Blanked:
    """The cell ``source`` with IPython-only lines replaced; same number of lines."""
    lines = split_lines(source)
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("%%"):
        return Blanked([_ending(line) for line in lines], dict(enumerate(lines)), cell_magic=True)
    out: List[str] = []
    replaced: Dict[int, str] = {}
    depth, quote, continued, in_magic, indent = 0, None, False, False, ""
    for number, line in enumerate(lines):
        starts_statement = depth == 0 and quote is None and not continued
        body = line.rstrip("\r\n")
        if in_magic or (starts_statement and _is_ipython(body)):
            replaced[number] = line
            if not in_magic:
                indent = body[: len(body) - len(body.lstrip())]
            out.append(indent + PLACEHOLDER + _ending(line))
            in_magic = body.endswith("\\")  # IPython joins a magic's backslash-continued lines
            depth, quote, continued = 0, None, False
            continue
        out.append(line)
        depth, quote, comment_at = _scan(body, depth, quote)
        continued = comment_at < 0 and body.endswith("\\")
    return Blanked(out, replaced, cell_magic=False)


def restore(fixed: str, blanked: Blanked) -> Optional[str]:
    """The fixed cell with its IPython lines back; None if they cannot all be found in order.

    Fixes edit inside calls only, so every placeholder line comes through unchanged.
    """
    originals = [blanked.replaced[number] for number in sorted(blanked.replaced)]
    out: List[str] = []
    for line in split_lines(fixed):
        if line.strip() == PLACEHOLDER:
            if not originals:
                return None
            out.append(originals.pop(0))
        else:
            out.append(line)
    return None if originals else "".join(out)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def _is_ipython(body: str) -> bool:
    stripped = body.lstrip()
    if stripped.startswith(_ESCAPES) or _ASSIGN_FROM_IPYTHON.match(body):
        return True
    # `obj?` and `obj??`: a question mark that ends the code, not a comment or a string.
    _, quote, comment_at = _scan(body, 0, None)
    code = body if comment_at < 0 else body[:comment_at]
    return quote is None and code.rstrip().endswith("?")


def _scan(body: str, depth: int, quote: Optional[str]) -> Tuple[int, Optional[str], int]:
    """Bracket depth and open string after one line, and where its comment starts (-1: none).

    Enough of Python's tokenizer to know whether the next line starts a statement:
    strings (single, triple, escapes), comments and brackets. A one-quote string left
    open at the end of a line (without a backslash) is closed, as Python rejects it.
    """
    position = 0
    length = len(body)
    while position < length:
        char = body[position]
        if quote is not None:
            if char == "\\":
                position += 2
                continue
            if body.startswith(quote, position):
                position += len(quote)
                quote = None
                continue
            position += 1
            continue
        if char == "#":
            return depth, None, position
        if char in "\"'":
            triple = body[position:position + 3]
            quote = triple if triple in ('"""', "'''") else char
            position += len(quote)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        position += 1
    if quote is not None and len(quote) == 1 and not body.endswith("\\"):
        quote = None
    return depth, quote, -1
