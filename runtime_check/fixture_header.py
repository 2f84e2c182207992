"""What a fixture says about itself (grammar in fixtures/README.md).

The `# runtime:` header, what running it shows:

    # runtime: [cuda|nocuda] (clean
                             | raises EXC[|EXC...]: FRAGMENT[ || FRAGMENT...]
                             | prints FRAGMENT
                             | warns CATEGORY: FRAGMENT)

with, for `prints`, the expression whose value is the wrong value:

    # value: EXPR

and the `# expect: NTLnnn[, NTLnnn...]` markers, what the linter reports on
that line.  This module is the one parser of both: the fixture runner and the
linter's tests (tests/conftest.py) read them through it.
"""
from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

_HEADER = re.compile(r"^\s*#\s*runtime:(?P<body>.*)$")
_VALUE = re.compile(r"^\s*#\s*value:(?P<expr>.*)$")
# The value a watched `return` line gives back, as pdb names it.
RETURN_NAME = "__return__"
_BODY = re.compile(r"^(?:(?P<needs>cuda|nocuda)\s+)?(?P<kind>clean|raises|prints|warns)(?:\s+(?P<rest>.*))?$")
_NAME = r"[A-Za-z_][\w.]*"
_RAISES = re.compile(rf"^(?P<types>{_NAME}(?:\s*\|\s*{_NAME})*)\s*:\s*(?P<frags>.+)$")
_WARNS = re.compile(rf"^(?P<cat>{_NAME})\s*:\s*(?P<frag>.+)$")
EXPECT_MARKER = re.compile(r"#\s*expect:\s*(?P<codes>NTL\d{3}(?:\s*,\s*NTL\d{3})*)")


class HeaderError(ValueError):
    """The fixture has no valid `# runtime:` header."""


@dataclass(frozen=True)
class Header:
    text: str  # what follows "# runtime:", stripped
    line: int
    needs: Optional[str]  # "cuda", "nocuda" or None
    kind: str  # "clean", "raises", "prints" or "warns"
    exc_types: Tuple[str, ...] = ()
    fragments: Tuple[str, ...] = ()
    category: str = ""
    # `prints`: the expression the runner evaluates right after a line the
    # linter names (its value, not a printed literal, is what is judged).
    expression: str = ""


def parse_body(body: str, line: int = 1) -> Header:
    text = body.strip()
    m = _BODY.match(text)
    if not m:
        raise HeaderError(
            f"line {line}: cannot parse '# runtime: {text}': expected [cuda|nocuda] clean|raises|prints|warns"
        )
    needs, kind, rest = m.group("needs"), m.group("kind"), (m.group("rest") or "").strip()
    if kind == "clean":
        if rest:
            raise HeaderError(f"line {line}: 'clean' takes nothing after it, got {rest!r}")
        return Header(text, line, needs, kind)
    if not rest:
        raise HeaderError(f"line {line}: '{kind}' needs a fragment")
    if kind == "raises":
        r = _RAISES.match(rest)
        if not r:
            raise HeaderError(f"line {line}: expected 'raises EXC[|EXC]: FRAGMENT[ || FRAGMENT]', got {rest!r}")
        types = tuple(t.strip() for t in r.group("types").split("|"))
        frags = tuple(f.strip() for f in r.group("frags").split("||"))
        if not all(frags):
            raise HeaderError(f"line {line}: empty fragment in {rest!r}")
        return Header(text, line, needs, kind, exc_types=types, fragments=frags)
    if kind == "warns":
        w = _WARNS.match(rest)
        if not w:
            raise HeaderError(f"line {line}: expected 'warns CATEGORY: FRAGMENT', got {rest!r}")
        return Header(text, line, needs, kind, fragments=(w.group("frag").strip(),), category=w.group("cat"))
    return Header(text, line, needs, kind, fragments=(rest,))  # prints


def read_header(path: Path) -> Header:
    """The one header of a fixture (and its `# value:` line); both come before any code."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [(i + 1, m.group("body")) for i, line in enumerate(lines) if (m := _HEADER.match(line))]
    if not found:
        raise HeaderError("no '# runtime:' header")
    if len(found) > 1:
        where = ", ".join(str(n) for n, _ in found)
        raise HeaderError(f"{len(found)} '# runtime:' headers (lines {where}); exactly one is allowed")
    lineno, body = found[0]
    values = [(i + 1, m.group("expr")) for i, line in enumerate(lines) if (m := _VALUE.match(line))]
    last = max([lineno] + [n for n, _ in values])
    for before in lines[: last - 1]:
        stripped = before.strip()
        if stripped and not stripped.startswith("#"):
            raise HeaderError(f"the header (line {lineno}) and any '# value:' line must come first, before any code")
    header = parse_body(body, lineno)
    if header.kind != "prints":
        if values:
            raise HeaderError(f"line {values[0][0]}: '# value:' belongs to a 'prints' header only")
        return header
    if len(values) != 1:
        raise HeaderError(
            f"a 'prints' header needs exactly one '# value: EXPR' line (found {len(values)}): "
            "the expression whose value the runner checks, not printed text"
        )
    return replace(header, expression=check_expression(values[0][1], values[0][0]))


def check_expression(text: str, line: int = 1) -> str:
    """A `# value:` expression: valid Python that reads at least one of the fixture's names.

    A literal (or builtins only) would print the expected text whatever the
    code does: such an expression proves nothing and is refused.
    """
    expr = text.strip()
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise HeaderError(f"line {line}: '# value: {expr}' is not a Python expression ({exc.msg})") from None
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if not any(name == RETURN_NAME or not hasattr(builtins, name) for name in names):
        raise HeaderError(
            f"line {line}: '# value: {expr}' reads no name of the fixture: a literal proves nothing"
        )
    return expr


def expect_markers(path: Path) -> Dict[int, List[str]]:
    """Line -> codes of the `# expect: NTL...` markers (shown next to where a fixture raised)."""
    marks: Dict[int, List[str]] = {}
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = EXPECT_MARKER.search(line)
        if m:
            marks[i] = [c.strip() for c in m.group("codes").split(",")]
    return marks


def expected_findings(path: Path) -> Set[Tuple[int, str]]:
    """(line, code) for every `# expect: NTLnnn` marker in a fixture."""
    return {(line, code) for line, codes in expect_markers(path).items() for code in codes}
