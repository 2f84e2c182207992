"""The runner: engine events -> rules -> findings -> reports.

``analyze`` is the one entry point that the flake8 plugin, the command and the
fixes share. It sits above the engine (which knows no rule) and below the
faces (which know the output formats): faces -> runner -> rules -> engine.
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Type

from .engine import AnalysisError, interpret, mentions_torch_or_numpy
from .engine.values import Kind, Origin, Site
from .findings import Finding, Report

if TYPE_CHECKING:
    from .engine.evidence import CheckpointEvidence
    from .engine.interpreter import Interpreter
    from .rules import Rule

__all__ = ["analyze", "AnalysisError", "Report"]

_CODE_LIMIT = 40


class Evidence:
    """Lines and source text for messages, computed only for reported findings."""

    def __init__(self, interpreter: "Interpreter", cite_line: Optional[Callable[[int], str]] = None) -> None:
        self._interpreter = interpreter
        self._cite_line = cite_line

    @property
    def default_float64(self) -> bool:
        return self._interpreter.default_float64

    @property
    def checkpoints(self) -> Optional["CheckpointEvidence"]:
        """NTL302's evidence: the file's and its project's CUDA use and checkpoint saves."""
        return self._interpreter.checkpoints

    def module_name(self, qualname: str) -> Optional[str]:
        """A module-level name bound to ``qualname`` (``np`` for ``numpy``), for fixes that spell it."""
        env = self._interpreter.module_frame.env
        names = sorted(name for name, value in env.items() if value.kind is Kind.API and value.qualname == qualname)
        return names[0] if names else None

    def line(self, site: Site) -> int:
        return site.line

    def at(self, site: Site) -> str:
        """'line 12'; 'utils.py line 12' for a site in another module of the project; 'cell 3 line 2' in a notebook."""
        home = self.home_of(site)
        if home is not None:
            return f"{home} line {site.line}"
        return self._cite_line(site.line) if self._cite_line is not None else f"line {site.line}"

    def home_of(self, site: Site, imported_only: bool = False) -> Optional[str]:
        """The other project file a site lies in (a fact born in an imported module, or in a caller's
        file unless ``imported_only``), or None."""
        project = self._interpreter.project
        return project.home_of(site.node, imported_only) if project is not None and project.used else None

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
        return f"{self.describe(origin)}, {self.at(origin.site)}"

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
    filename: Optional[str] = None,
    dependencies: Optional[List[Tuple[str, int, int]]] = None,
    cite_line: Optional[Callable[[int], str]] = None,
    engine: Optional[Callable[[Callable[[object], None]], "Interpreter"]] = None,
) -> List[Report]:
    """Lint one file's source. Raises ``AnalysisError`` when it cannot be read as Python.

    With ``filename``, the project's own modules it imports are read too; the files read
    are appended to ``dependencies`` (path, size, mtime) for a cache to check later.
    ``cite_line`` words a line of this source in messages (a notebook's 'cell 3 line 2').
    ``engine`` walks the code instead of ``interpret`` on the whole text, sending events to the
    callable it is given (``incremental.py``: one segment of the file).
    """
    if not mentions_torch_or_numpy(text):
        return []
    from .rules import ALL_RULES  # late: a fully cached command run never loads the rules
    from .rules.device import distributed_needs_cuda

    rule_objects = [rule() for rule in (rules if rules is not None else ALL_RULES)]
    handlers: Dict[type, List["Rule"]] = {}
    for rule in rule_objects:
        for event_type in rule.events:
            handlers.setdefault(event_type, []).append(rule)

    pending: List[object] = []

    def emit(event: object) -> None:
        context = getattr(event, "context", None)
        if context is not None and context.expects_error:
            return  # `with pytest.raises(...)`: the test wants this code to fail
        if type(event) in handlers:
            pending.append(event)

    interpreter = engine(emit) if engine is not None else interpret(text, tree, lines, emit, filename)
    evidence = Evidence(interpreter, cite_line)
    project = interpreter.project
    if project is not None and dependencies is not None:
        dependencies.extend(project.stamps())
    findings: List[Finding] = []
    seen: Set[Tuple[str, int, bool]] = set()

    def keep(finding: Finding) -> None:
        if evidence.home_of(finding.site) is not None:
            return  # placed in another module (a device variable defined there): that file's finding
        key = (finding.code, id(finding.site.node), finding.site.attr)
        if key not in seen:
            seen.add(key)
            findings.append(finding)
    for event in pending:
        for rule in handlers[type(event)]:
            for finding in rule.check(event, evidence):
                keep(finding)
    for rule in rule_objects:
        for finding in rule.finish(evidence):
            keep(finding)

    reports = [
        _report(finding)
        for finding in findings
        if not (finding.needs_grad_in and interpreter.functions.grad_off_everywhere(finding.needs_grad_in))
        and not (finding.needs_unguarded_in and interpreter.functions.guarded_everywhere(
            finding.needs_unguarded_in, lambda: distributed_needs_cuda(evidence), finding.reached_when))
    ]
    if interpreter.checkpoints is not None and dependencies is not None:
        # project files the evidence read (NTL302's saves, the process groups NTL301 asks about)
        dependencies.extend(interpreter.checkpoints.dependencies)
    reports.sort(key=lambda r: (r.line, r.col, r.code))
    return reports


def _report(finding: Finding) -> Report:
    site = finding.site
    end_line, end_col = site.end
    return Report(line=site.line, col=site.col, code=finding.code, message=finding.message,
                  end_line=end_line, end_col=end_col, fix=finding.fix)
