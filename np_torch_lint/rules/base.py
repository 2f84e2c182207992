"""The rule interface: small classes that read engine events and facts."""
from __future__ import annotations

from typing import ClassVar, Iterator, Optional, Protocol, Tuple, Type

import ast

from ..engine.evidence import CheckpointEvidence
from ..findings import Finding
from ..engine.values import Kind, Origin, Site, Value


class Evidence(Protocol):
    """What a rule may ask of the file while it words a message."""

    @property
    def default_float64(self) -> bool: ...

    @property
    def checkpoints(self) -> Optional[CheckpointEvidence]: ...

    def line(self, site: Site) -> int: ...

    def at(self, site: Site) -> str: ...

    def home_of(self, site: Site, imported_only: bool = False) -> Optional[str]: ...

    def code(self, node: ast.AST, limit: int = 40) -> str: ...

    def describe(self, origin: Optional[Origin]) -> str: ...

    def cite(self, origin: Optional[Origin], fallback: str) -> str: ...

    def module_name(self, qualname: str) -> Optional[str]: ...


def plain_call(node: ast.AST) -> Optional[ast.Call]:
    """The call, if it has no ``*args``/``**kwargs``: the arguments a fix sees are all there are."""
    if not isinstance(node, ast.Call):
        return None
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return None
    return node


class Rule:
    """One rule: a code, a name, the events it reads, and a check."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    events: ClassVar[Tuple[Type[object], ...]]
    default_enabled: ClassVar[bool] = True

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        raise NotImplementedError

    def finish(self, evidence: Evidence) -> Iterator[Finding]:
        """Findings that need the whole file (e.g. a store and a later update in one loop)."""
        return iter(())


def item_parts(value: Value) -> Tuple[Value, ...]:
    """What a Dataset item is made of: the value itself, or the members of a returned tuple/list/dict
    (default_collate batches each member on its own)."""
    if value.kind in (Kind.SEQUENCE, Kind.DICT) and value.elements is not None:
        if value.kind is Kind.SEQUENCE and value.elements and all(e.kind is Kind.PY_FLOAT for e in value.elements):
            return (value,)  # a list of Python floats is itself one float64 item
        return tuple(value.elements)
    return (value,)
