"""The engine: source text in, findings with positions out.

``analyze`` is the one entry point that the flake8 plugin and the command share.
It never imports torch or NumPy and never runs the code it reads.
"""
from __future__ import annotations

import ast
import io
import re
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Type

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..rules import Rule
from .findings import Finding, Report
from .values import Kind, Origin, Site, Value

if TYPE_CHECKING:
    from .interpreter import Interpreter

# The interpreter and the rules load on the first analysis: a command run whose files all
# come from the cache never needs them.

__all__ = ["analyze", "module_values", "Report", "AnalysisError"]

_CODE_LIMIT = 40
# Parameters frozen somewhere in the file: which module outputs need grad is not known.
FREEZING = re.compile(r"requires_grad\s*=\s*False|requires_grad_\(\s*False")


class AnalysisError(Exception):
    """The file could not be analyzed (the reason is in the message)."""


class _Evidence:
    """Lines and source text for messages, computed only for reported findings."""

    def __init__(self, interpreter: Interpreter) -> None:
        self._interpreter = interpreter

    @property
    def default_float64(self) -> bool:
        return self._interpreter.default_float64

    @property
    def uses_cuda(self) -> bool:
        return self._interpreter.uses_cuda

    def module_name(self, qualname: str) -> Optional[str]:
        """A module-level name bound to ``qualname`` (``np`` for ``numpy``), for fixes that spell it."""
        env = self._interpreter.module_frame.env
        names = sorted(name for name, value in env.items() if value.kind is Kind.API and value.qualname == qualname)
        return names[0] if names else None

    def line(self, site: Site) -> int:
        return site.line

    def code(self, node: ast.AST, limit: int = _CODE_LIMIT) -> str:
        try:
            text = " ".join(ast.unparse(node).split())
        except Exception:  # noqa: BLE001 - a message detail must never fail a lint
            return "..."
        return text if len(text) <= limit else text[: limit - 3].rstrip(" .,") + "..."

    def cite(self, origin: Optional[Origin], fallback: str) -> str:
        """'np.random.rand, line 12' for an origin; the fallback when there is none."""
        if origin is None:
            return fallback
        return f"{self.describe(origin)}, line {self.line(origin.site)}"

    def describe(self, origin: Optional[Origin]) -> str:
        if origin is None:
            return "unknown"
        node = origin.site.node
        if origin.site.attr and isinstance(node, ast.Attribute):
            return origin.what + "." + node.attr + "()"
        return origin.what + self.code(node)


def analyze(
    text: str,
    tree: Optional[ast.Module] = None,
    lines: Optional[Sequence[str]] = None,
    rules: Optional[Iterable[Type["Rule"]]] = None,
) -> List[Report]:
    """Lint one file's source. Raises ``AnalysisError`` when it cannot be read as Python."""
    from .interpreter import Interpreter
    from .source import mentions_torch_or_numpy, plan

    if not mentions_torch_or_numpy(text):
        return []
    if lines is None:
        lines = io.StringIO(text, newline="").readlines()  # Python's line breaks only
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError) as error:
            raise AnalysisError(f"not valid Python: {error}") from None
    from ..rules import ALL_RULES  # late: the rules import the engine's event types

    rule_objects = [rule() for rule in (rules if rules is not None else ALL_RULES)]
    handlers: Dict[type, List["Rule"]] = {}
    for rule in rule_objects:
        for event_type in rule.events:
            handlers.setdefault(event_type, []).append(rule)

    findings: List[Finding] = []
    seen: Set[Tuple[str, int, bool]] = set()

    def keep(finding: Finding) -> None:
        key = (finding.code, id(finding.site.node), finding.site.attr)
        if key not in seen:
            seen.add(key)
            findings.append(finding)

    def emit(event: object) -> None:
        context = getattr(event, "context", None)
        if context is not None and context.expects_error:
            return  # `with pytest.raises(...)`: the test wants this code to fail
        for rule in handlers.get(type(event), ()):
            for finding in rule.check(event, evidence):
                keep(finding)

    interpreter = Interpreter(emit)
    interpreter.freezes_parameters = FREEZING.search(text) is not None
    interpreter.uses_cuda = "cuda" in text
    evidence = _Evidence(interpreter)
    try:
        interpreter.run(list(plan(tree, lines)))
    except RecursionError:
        raise AnalysisError("too deeply nested to analyze") from None
    for rule in rule_objects:
        for finding in rule.finish(evidence):
            keep(finding)

    reports = [
        _report(finding)
        for finding in findings
        if not (finding.needs_grad_in and interpreter.grad_off_everywhere(finding.needs_grad_in))
        and not (finding.needs_unguarded_in and interpreter.guarded_everywhere(finding.needs_unguarded_in))
    ]
    reports.sort(key=lambda r: (r.line, r.col, r.code))
    return reports


def _report(finding: Finding) -> Report:
    site = finding.site
    end_line, end_col = site.end
    return Report(line=site.line, col=site.col, code=finding.code, message=finding.message,
                  end_line=end_line, end_col=end_col, fix=finding.fix)


def module_values(text: str) -> Dict[str, Value]:
    """What the engine knows about each module-level name at the end of the file (tests, debugging)."""
    from .interpreter import Interpreter
    from .source import plan

    interpreter = Interpreter(lambda event: None)
    tree = ast.parse(text)
    interpreter.run(list(plan(tree, text.splitlines(keepends=True))))
    return dict(interpreter.module_frame.env)
