"""What the linter says about a fixture: its findings, and the lines they name.

runtime_check may use the linter (never the other way round): the fixture
runner lints each fixture before running it, and a positive is confirmed only
where its failure arises at a line that a finding of its rule names.  A
finding names the line it is reported on (all the lines of its span) and the
sink lines its message cites ("reaches model call model(x) at line 19",
"is read at line 16").  An origin in parentheses ("np.random.rand, line 9")
is where a fact was born, not where anything fails: it is not a named line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

# "at line 19"; a sink in another module reads "at utils.py line 6" and is no line of this file.
_CITED = re.compile(r"\bat line (\d+)\b")

REPORTED = "reported"
CITED = "cited"


class LintError(Exception):
    """The linter could not read the fixture."""


@dataclass(frozen=True)
class Finding:
    code: str
    line: int
    end_line: int
    message: str
    cited: Tuple[int, ...]  # sink lines the message cites

    def describe(self) -> str:
        return f"{self.code} at line {self.line}"


def lint_fixture(path: Path) -> List[Finding]:
    """Every finding the linter reports on `path` (all codes, no suppression but `# noqa`)."""
    from np_torch_lint.lint import AnalysisError, analyze

    try:
        text = path.read_text(encoding="utf-8")
        reports = analyze(text, filename=str(path))
    except (AnalysisError, OSError, UnicodeDecodeError) as exc:
        raise LintError(f"the linter cannot read it: {exc}") from None
    return [
        Finding(r.code, r.line, max(r.end_line, r.line), r.message, tuple(int(n) for n in _CITED.findall(r.message)))
        for r in reports
    ]


def named_lines(findings: Sequence[Finding], code: str) -> Dict[int, str]:
    """line -> how the findings of `code` name it (REPORTED wins over CITED)."""
    named: Dict[int, str] = {}
    for finding in findings:
        if finding.code != code:
            continue
        for line in finding.cited:
            named.setdefault(line, CITED)
        for line in range(finding.line, finding.end_line + 1):
            named[line] = REPORTED
    return named


def describe_lines(named: Dict[int, str]) -> str:
    """'line 16 (reported), line 19 (cited)'."""
    return ", ".join(f"line {line} ({how})" for line, how in sorted(named.items())) or "no line"
