"""NTL5xx: conversion hygiene: slow, warned or silently lossy ways to make a tensor."""
from __future__ import annotations

import ast
from typing import Iterator, Optional

from ..engine.events import Conversion
from ..findings import Finding
from ..engine.values import Kind
from .base import Evidence, Rule


def _single_argument(node: ast.AST) -> bool:
    """torch.tensor(t) with nothing else: t.detach().clone() says the same (dtype=, requires_grad= would not)."""
    return (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords
            and not isinstance(node.args[0], ast.Starred))


def _stack_fix(node: ast.AST, evidence: Evidence) -> Optional[str]:
    """np.stack needs the file's own name for NumPy; the list must be the first positional argument."""
    numpy = evidence.module_name("numpy")
    if numpy is None or not (isinstance(node, ast.Call) and node.args and not isinstance(node.args[0], ast.Starred)):
        return None
    return f"stack-arrays:{numpy}"


def _source(event: Conversion, evidence: Evidence) -> str:
    origin = event.source.origin
    return f" ({evidence.cite(origin, '')})" if origin else ""


class TensorFromListOfArrays(Rule):
    """NTL501: ``torch.tensor([a, b, ...])`` of ndarrays: element by element, very slow."""

    code = "NTL501"
    name = "tensor-from-list-of-arrays"
    summary = "torch.tensor() of a list of ndarrays (extremely slow; stack first)"
    events = (Conversion,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, Conversion)
        source = event.source
        if event.function not in ("torch.tensor", "torch.as_tensor") or source.kind is not Kind.SEQUENCE:
            return
        element = source.element
        if element is None or element.kind is not Kind.NDARRAY or element.ndim == 0:
            return  # 0-d arrays: torch raises instead (a different problem)
        yield Finding(
            self.code,
            event.site,
            f"{evidence.code(event.site.node.func)}() of a list of ndarrays converts element by element and is "  # type: ignore[attr-defined]
            "extremely slow (torch warns: \"Creating a tensor from a list of numpy.ndarrays is extremely slow\"); "
            "use torch.from_numpy(np.stack(...))",
            fix=_stack_fix(event.site.node, evidence),
        )


class TensorOfTensor(Rule):
    """NTL502: ``torch.tensor(t)`` of a tensor: a copy-construct with a warning."""

    code = "NTL502"
    name = "tensor-of-tensor"
    summary = "torch.tensor() of a tensor (use t.detach().clone())"
    events = (Conversion,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, Conversion)
        if event.function != "torch.tensor" or event.source.kind is not Kind.TENSOR:
            return
        yield Finding(
            self.code,
            event.site,
            "torch.tensor() of a tensor copies it and warns (\"To copy construct from a tensor, it is recommended "
            "to use sourceTensor.detach().clone()\"); use t.detach().clone()",
            fix="detach-clone" if _single_argument(event.site.node) else None,
        )


class LegacyConstructorOnArray(Rule):
    """NTL503: ``torch.Tensor(a)``, ``torch.FloatTensor(a)`` on NumPy data: a silent copy and cast."""

    code = "NTL503"
    name = "legacy-constructor-on-array"
    summary = "legacy tensor constructor on NumPy data (silent copy and cast)"
    events = (Conversion,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, Conversion)
        source = event.source
        legacy = event.function.rsplit(".", 1)[-1]
        if not legacy.endswith("Tensor") or source.kind is not Kind.NDARRAY:
            return
        target = event.result.dtype
        if source.dtype and target and source.dtype != target:
            effect = f"silently copies and casts {source.dtype} to {target}"
        elif source.dtype and target:
            effect = "silently shares memory with the array (it copies only when the dtype differs)"
        else:
            effect = f"silently copies and casts to {target}, or shares memory when the dtype already matches"
        yield Finding(
            self.code,
            event.site,
            f"torch.{legacy}() of a NumPy array{_source(event, evidence)} {effect}; say which you mean: "
            f"torch.from_numpy(a) (shares memory) or torch.tensor(a, dtype=torch.{target or 'float32'}) (copies)",
        )
