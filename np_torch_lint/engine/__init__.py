"""The engine: source text in, findings with positions out.

``analyze`` is the one entry point that the flake8 plugin and the command share.
It never imports torch or NumPy and never runs the code it reads.
"""
from __future__ import annotations

import ast
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Type

import libcst as cst

from ..rules import ALL_RULES, Rule
from .findings import Finding, Report
from .interpreter import Interpreter
from .source import Chunk, mentions_torch_or_numpy, plan
from .values import Origin, Site, Value

__all__ = ["analyze", "module_values", "Report", "AnalysisError"]

_CODE_LIMIT = 40


class AnalysisError(Exception):
    """The file could not be analyzed (the reason is in the message)."""


class _Evidence:
    """Positions and source text for messages, computed only for reported nodes."""

    def __init__(self, interpreter: Interpreter) -> None:
        self._interpreter = interpreter

    @property
    def default_float64(self) -> bool:
        return self._interpreter.default_float64

    def line(self, site: Site) -> int:
        chunk: Chunk = site.chunk
        position = chunk.position(site.node)
        return chunk.first_line - 1 + position.start.line if position else 0

    def code(self, node: cst.CSTNode, limit: int = _CODE_LIMIT) -> str:
        text = " ".join(cst.Module(body=[]).code_for_node(node).split())
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def describe(self, origin: Optional[Origin]) -> str:
        if origin is None:
            return "unknown"
        return origin.what + self.code(origin.site.node)


def analyze(
    text: str,
    tree: Optional[ast.Module] = None,
    lines: Optional[Sequence[str]] = None,
    rules: Optional[Iterable[Type[Rule]]] = None,
) -> List[Report]:
    """Lint one file's source. Raises ``AnalysisError`` when the file cannot be read as Python."""
    if not mentions_torch_or_numpy(text):
        return []
    if lines is None:
        lines = text.splitlines(keepends=True)
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError) as error:
            raise AnalysisError(f"not valid Python: {error}") from None
    rule_objects = [rule() for rule in (rules if rules is not None else ALL_RULES)]
    handlers: Dict[type, List[Rule]] = {}
    for rule in rule_objects:
        for event_type in rule.events:
            handlers.setdefault(event_type, []).append(rule)

    findings: List[Finding] = []
    seen: Set[Tuple[str, int]] = set()
    interpreter: Interpreter

    def emit(event: object) -> None:
        for rule in handlers.get(type(event), ()):
            for finding in rule.check(event, evidence):
                key = (finding.code, id(finding.site.node))
                if key not in seen:
                    seen.add(key)
                    findings.append(finding)

    interpreter = Interpreter(emit)
    evidence = _Evidence(interpreter)
    try:
        items = list(plan(tree, lines))
        interpreter.run(items)
    except RecursionError:
        raise AnalysisError("too deeply nested to analyze") from None
    except cst.ParserSyntaxError as error:
        raise AnalysisError(f"LibCST cannot parse it: {str(error).splitlines()[0]}") from None

    reports: List[Report] = []
    for finding in findings:
        if finding.needs_grad_in and interpreter.grad_off_everywhere(finding.needs_grad_in):
            continue
        reports.append(_place(finding, lines))
    reports.sort(key=lambda r: (r.line, r.col, r.code))
    return reports


def _place(finding: Finding, lines: Sequence[str]) -> Report:
    chunk: Chunk = finding.site.chunk
    position = chunk.position(finding.site.node)
    assert position is not None, "a reported node always belongs to its chunk"
    line = chunk.first_line - 1 + position.start.line
    end_line = chunk.first_line - 1 + position.end.line
    return Report(
        line=line,
        col=_byte_column(lines, line, position.start.column),
        code=finding.code,
        message=finding.message,
        end_line=end_line,
        end_col=_byte_column(lines, end_line, position.end.column),
    )


def _byte_column(lines: Sequence[str], line: int, column: int) -> int:
    """LibCST counts characters; ``ast`` and flake8 count UTF-8 bytes."""
    if 0 < line <= len(lines):
        return len(lines[line - 1][:column].encode("utf-8", "surrogatepass"))
    return column


def module_values(text: str) -> Dict[str, "Value"]:
    """What the engine knows about each module-level name at the end of the file (for tests and debugging)."""
    interpreter = Interpreter(lambda event: None)
    tree = ast.parse(text)
    interpreter.run(list(plan(tree, text.splitlines(keepends=True))))
    return dict(interpreter.module_frame.env)
