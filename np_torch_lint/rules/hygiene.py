"""NTL5xx: conversion hygiene: slow, warned or silently lossy ways to make a tensor."""
from __future__ import annotations

import ast
from typing import Iterator, Optional

from ..engine.api import ELEMENTWISE_LIST_CONVERSIONS, STACKING_FIX_CONVERSIONS, TENSOR_COPY_WARNING_CONVERSIONS, conversion_spec
from ..engine.events import Conversion
from ..findings import Finding
from ..engine.values import Kind
from ..fixes.model import Fix, detach_clone, stack_arrays
from .base import Evidence, Rule, plain_call


def _detach_clone(event: Conversion) -> Optional[Fix]:
    """torch.tensor(t) with nothing else: t.detach().clone() says the same (dtype=, requires_grad= would not)."""
    call = plain_call(event.site.node)
    if call is None or len(call.args) != 1 or call.keywords:
        return None
    return detach_clone(event.site)


def _stack_arrays(event: Conversion, evidence: Evidence) -> Optional[Fix]:
    """np.stack needs the file's own name for NumPy; the list must be the first positional argument.

    The call alone, spelled ``torch.tensor(arrays)``, becomes ``torch.from_numpy(np.stack(arrays))``:
    a fresh stacked array needs no second copy. With other arguments, only the list is stacked.
    """
    numpy = evidence.module_name("numpy")
    call = plain_call(event.site.node)
    if numpy is None or call is None or not call.args:
        return None
    alone = len(call.args) == 1 and not call.keywords and isinstance(call.func, ast.Attribute)
    return stack_arrays(event.site, numpy, replace_call=alone)


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
        if event.function not in ELEMENTWISE_LIST_CONVERSIONS or source.kind is not Kind.SEQUENCE:
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
            fix=_stack_arrays(event, evidence) if event.function in STACKING_FIX_CONVERSIONS else None,
        )


class TensorOfTensor(Rule):
    """NTL502: ``torch.tensor(t)`` of a tensor: a copy-construct with a warning."""

    code = "NTL502"
    name = "tensor-of-tensor"
    summary = "torch.tensor() of a tensor (use t.detach().clone())"
    events = (Conversion,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, Conversion)
        if event.function not in TENSOR_COPY_WARNING_CONVERSIONS or event.source.kind is not Kind.TENSOR:
            return
        if event.source.device_origin is not None and event.source.device_origin.elsewhere_unknown:
            return  # a tensor on one path only (values.on_cuda_on_one_path): the other may be a list
        yield Finding(
            self.code,
            event.site,
            "torch.tensor() of a tensor copies it and warns (\"To copy construct from a tensor, it is recommended "
            "to use sourceTensor.detach().clone()\"); use t.detach().clone()",
            fix=_detach_clone(event),
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
        spec = conversion_spec(event.function)
        if spec is None or spec.legacy_dtype is None or source.kind is not Kind.NDARRAY:
            return
        legacy = event.function.rsplit(".", 1)[-1]  # for the message: FloatTensor
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
