"""What the command reports of the findings: ``# noqa``, select/ignore, and rules that are off by default.

Both read exactly as flake8 7 reads them, so the editor (flake8) and the command agree:

- ``# noqa``: flake8's own regular expression (``flake8.defaults.NOQA_INLINE_REGEXP``,
  copied), searched in the line flake8 searches: the physical line, or, for a
  line inside a multi-line string or a backslash continuation, all the lines of
  that token run joined (``FileProcessor._noqa_line_mapping``). The first match
  decides; a code is silenced when it starts with one of the listed codes,
  compared case-sensitively (``# noqa:ntl301`` silences nothing, as in flake8;
  ``# noqa:NTL`` has no digit, so it is a bare ``# noqa``).
- select/ignore: flake8's ``DecisionEngine`` (explicitly chosen beats implicitly
  chosen; between two prefixes of the same kind the longer wins, a tie ignores).

One difference, on purpose: a rule declared ``default_enabled = False`` stays off
unless a select names it. In flake8 it sits on the default ignore list, which an
``ignore`` option replaces (turning it on, as for pycodestyle's W503); here
``ignore`` never turns a rule on.
"""
from __future__ import annotations

import re
import tokenize
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from .findings import Report

# flake8.defaults.NOQA_INLINE_REGEXP, word for word (flake8 7.x).
NOQA = re.compile(
    r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?",
    re.IGNORECASE,
)
# flake8.utils.COMMA_SEPARATED_LIST_RE: how flake8 splits the codes of a noqa comment.
_SEPARATORS = re.compile(r"[,\s]")
#: the code-prefix of the flake8 plugin's entry point: flake8 selects it by default.
PLUGIN_PREFIX = "NTL"


def noqa_codes(text: str) -> Optional[Tuple[str, ...]]:
    """None: no ``# noqa``; ``()``: a bare one (every code); else the codes listed, as flake8 splits them."""
    match = NOQA.search(text)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return ()
    return tuple(item.strip() for item in _SEPARATORS.split(codes) if item.strip())


class NoqaLines:
    """The text flake8 searches for ``# noqa`` for each line of one file, computed once and only if needed."""

    def __init__(self, lines: Sequence[str]) -> None:
        self._lines = lines
        self._mapping: Optional[Dict[int, str]] = None
        # Most files have no noqa at all: then nothing is tokenized.
        self._any = any("noqa" in line.lower() for line in lines)

    def text_for(self, line: int) -> str:
        if self._mapping is None:
            self._mapping = _noqa_line_mapping(self._lines) if self._any else {}
        found = self._mapping.get(line)
        if found is not None:
            return found
        # flake8 falls back to the physical line (linecache) when the mapping has none.
        return self._lines[line - 1] if 0 < line <= len(self._lines) else ""

    def silences(self, code: str, line: int) -> bool:
        if not self._any:
            return False
        codes = noqa_codes(self.text_for(line))
        if codes is None:
            return False
        if not codes:
            return True
        return code in codes or code.startswith(codes)


def _noqa_line_mapping(lines: Sequence[str]) -> Dict[int, str]:
    """flake8's ``FileProcessor._noqa_line_mapping``: each line -> the joined lines of its token run."""
    return {line: "".join(lines[first - 1:last]) for line, (first, last) in token_runs(lines).items()}


def token_runs(lines: Sequence[str]) -> Dict[int, Tuple[int, int]]:
    """Each line -> the first and last line of its token run, as flake8 groups them for ``# noqa``.

    A run ends at each NL or NEWLINE token: it spans lines only through a multi-line
    string or a backslash continuation (inside brackets every line ends with an NL).
    Empty when the file does not tokenize (flake8 then reads physical lines).
    """
    runs: Dict[int, Tuple[int, int]] = {}
    remaining = iter(lines)
    first, last = len(lines) + 2, -1
    try:
        for token in tokenize.generate_tokens(lambda: next(remaining, "")):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first = min(first, token.start[0])
            last = max(last, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                runs.update(dict.fromkeys(range(first, last + 1), (first, last)))
                first, last = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return runs


def is_silenced(report: Report, lines: Sequence[str]) -> bool:
    """One report against its file's lines (for many reports, make one ``NoqaLines``)."""
    return NoqaLines(lines).silences(report.code, report.line)


class Decision:
    """flake8's ``DecisionEngine`` for one set of options (``style_guide.py``, flake8 7).

    ``select``/``ignore`` None: not given (every NTL code is selected by default, as
    flake8 selects a plugin's entry-point prefix). The rules that are off by default
    are on the default ignore list, as flake8 puts them, and stay off unless a select
    names them (see the module's docstring).
    """

    def __init__(self, select: Optional[Sequence[str]], ignore: Optional[Sequence[str]],
                 extend_select: Sequence[str] = (), extend_ignore: Sequence[str] = (),
                 default_off: Sequence[str] = ()) -> None:
        self.selected_explicitly = _sorted([*(select or ()), *extend_select])
        self.ignored_explicitly = _sorted([*(ignore or ()), *extend_ignore])
        self.selected = _sorted([*select, *extend_select] if select is not None
                                else [PLUGIN_PREFIX, *extend_select])
        self.ignored = _sorted([*ignore, *extend_ignore] if ignore is not None
                               else [*default_off, *extend_ignore])
        self.default_off = frozenset(default_off)
        self._cache: Dict[str, bool] = {}

    def wants(self, code: str) -> bool:
        decision = self._cache.get(code)
        if decision is None:
            decision = self._cache[code] = self._decide(code)
        return decision

    def _decide(self, code: str) -> bool:
        explicitly_selected = code.startswith(self.selected_explicitly)
        if code in self.default_off and not explicitly_selected:
            return False  # our one difference from flake8: `ignore` never turns such a rule on
        selected = explicitly_selected or code.startswith(self.selected)
        explicitly_ignored = code.startswith(self.ignored_explicitly)
        ignored = explicitly_ignored or code.startswith(self.ignored)
        if selected and not ignored:
            return True
        if not selected and ignored:
            return False
        if explicitly_selected and not explicitly_ignored:
            return True
        if not explicitly_selected and explicitly_ignored:
            return False
        if not selected:  # neither selected nor ignored: not chosen at all
            return False
        # In both lists with the same standing: the longest prefix wins, a tie ignores.
        select = next(s for s in self.selected if code.startswith(s))
        ignore = next(s for s in self.ignored if code.startswith(s))
        return len(select) > len(ignore)


def _sorted(codes: Sequence[str]) -> Tuple[str, ...]:
    return tuple(sorted(codes, reverse=True))


def default_off_codes() -> FrozenSet[str]:
    """Codes of the rules declared ``default_enabled = False`` (read from the registry when called)."""
    from . import rules  # late: a fully cached run with no findings never loads the rules

    return frozenset(rule.code for rule in rules.ALL_RULES if not rule.default_enabled)


class Selection:
    """select/ignore for one run (``Decision``); ``keep`` also reads a file's ``# noqa`` comments."""

    def __init__(self, select: Optional[List[str]] = None, ignore: Optional[List[str]] = None,
                 extend_select: Sequence[str] = (), extend_ignore: Sequence[str] = ()) -> None:
        self.select = select
        self.ignore = ignore
        self.extend_select = list(extend_select)
        self.extend_ignore = list(extend_ignore)
        self._decision: Optional[Decision] = None

    def with_ignored(self, more: Sequence[str]) -> "Selection":
        """The same selection with more codes ignored (per-file ignores extend ``extend-ignore``, as in flake8)."""
        if not more:
            return self
        return Selection(self.select, self.ignore, self.extend_select, [*self.extend_ignore, *more])

    def wants(self, code: str) -> bool:
        if self._decision is None:
            self._decision = Decision(self.select, self.ignore, self.extend_select, self.extend_ignore,
                                      sorted(default_off_codes()))
        return self._decision.wants(code)

    def keep(self, reports: Sequence[Report], lines: Sequence[str]) -> List[Report]:
        """The reports selected and not silenced by a ``# noqa`` of their line."""
        noqa = NoqaLines(lines)
        return [r for r in reports if self.wants(r.code) and not noqa.silences(r.code, r.line)]

    def keeps(self, report: Report, lines: Sequence[str]) -> bool:
        return bool(self.keep([report], lines))


def codes(value: Optional[str]) -> List[str]:
    """A comma- or space-separated option value as codes (flake8 splits on both)."""
    return [c.strip() for c in _SEPARATORS.split(value or "") if c.strip()]


__all__ = ["NOQA", "Decision", "NoqaLines", "Selection", "codes", "default_off_codes", "is_silenced", "noqa_codes"]
