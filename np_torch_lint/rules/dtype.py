"""NTL1xx: dtype leaks from NumPy's float64 default into float32 models."""
from __future__ import annotations

import ast
from typing import Dict, Iterator, Optional, Tuple

from ..engine.api import (
    CAST_METHODS,
    FLOAT32,
    FLOAT32_SINKS,
    FLOAT64,
    PASS_THROUGH_METHODS,
    REJECTED_CLASS_TARGETS,
    Float32Sink,
    conversion_spec,
)
from ..engine.events import Conversion, DatasetItem, LossTarget, ModelInput
from ..findings import Finding
from ..engine.values import Kind, Site, Tri, Value
from ..fixes.model import Fix, cast
from .base import Evidence, Rule, item_parts, plain_call

_SINK_WORDS = {"module": "model call", "loss": "loss", "op": "float32 operation"}


class Float64ReachesModel(Rule):
    """NTL101: a float64 tensor made from NumPy data reaches a model, a loss or a float32 op."""

    code = "NTL101"
    name = "float64-reaches-model"
    summary = "float64 NumPy data converted to a tensor reaches a float32 model or loss"
    events = (Conversion, ModelInput)

    def __init__(self) -> None:
        # What the Conversion events said of each conversion site: its function and whether it
        # converted a list of NumPy scalars (until ModelInput events carry both themselves).
        self._conversions: Dict[Site, Tuple[str, bool]] = {}

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        if isinstance(event, Conversion):
            data = event.source
            scalars = data.kind is Kind.SEQUENCE and data.element is not None and data.element.kind is Kind.NP_SCALAR
            self._conversions[event.site] = (event.function, scalars)
            return
        assert isinstance(event, ModelInput)
        value = event.value
        if evidence.default_float64:
            return  # torch.set_default_dtype(torch.float64): the model is float64 too
        if not (value.kind is Kind.TENSOR and value.dtype == FLOAT64 and value.conversion is not None):
            return
        sink = FLOAT32_SINKS[event.sink]
        # type promotion ignores a 0-d operand of the same category (x * scale stays float32),
        # unless every operand is 0-d (loss.sum() * scale64 is float64)
        among_0d = value.ndim == 0 and any(o.kind is Kind.TENSOR and o.dtype == FLOAT32 for o in event.others) and all(
            o.ndim == 0 for o in event.others if o.kind is Kind.TENSOR)
        if value.ndim == 0 and (sink.promotes or not event.direct) and not among_0d:
            return
        if event.sink == "module":
            module = event.module
            if module is None or module.parametric is not Tri.YES or module.dtype != FLOAT32:
                return
        elif not among_0d and not any(other.kind is Kind.TENSOR and other.dtype == FLOAT32 and other.ndim != 0
                                      for other in event.others):
            return
        function, scalars = self._conversions.get(value.conversion, (None, False))
        source = evidence.code(value.numpy_source.site.node) if value.numpy_source else "NumPy data"
        source_line = f", {evidence.at(value.numpy_source.site)}" if value.numpy_source else ""
        what = "NumPy scalars" if scalars and value.numpy_source is not None else ("0-d array" if value.ndim == 0 else "array")
        yield Finding(
            self.code,
            value.conversion,
            f"float64 {what} ({source}{source_line}) reaches {_SINK_WORDS[event.sink]} "
            f"{evidence.code(event.site.node)} at {evidence.at(event.site)} as a float64 tensor; "
            "convert with dtype=torch.float32 or .float()",
            fix=_float32_fix(value.conversion, function, event, sink),
        )


class NarrowIntegerTarget(Rule):
    """NTL103: integer class targets narrower than int64 reaching cross entropy / NLL."""

    code = "NTL103"
    name = "narrow-integer-target"
    summary = "int32/int16/int8 (or N-d uint8) class targets converted from NumPy into a classification loss"
    events = (LossTarget,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, LossTarget)
        target = event.target
        rejected = REJECTED_CLASS_TARGETS.get(target.dtype or "")
        if target.kind is not Kind.TENSOR or rejected is None or target.conversion is None:
            return
        if rejected.min_ndim is not None and not (target.ndim is not None and target.ndim >= rejected.min_ndim):
            return  # a 1-d uint8 target is accepted
        error = rejected.error
        source = target.numpy_source
        where = f" ({evidence.code(source.site.node)}, {evidence.at(source.site)})" if source else ""
        yield Finding(
            self.code,
            target.conversion,
            f"{target.dtype} class targets{where} reach {evidence.code(event.site.node)} at "
            f"{evidence.at(event.site)}: \"{error}\"; convert with .long() or astype(np.int64)",
        )


def _float32_fix(conversion: Site, function: Optional[str], event: ModelInput, sink: Float32Sink) -> Optional[Fix]:
    """Offer the float32 conversion only where the sink is the converted tensor's one use.

    That holds when the conversion is written inside the sink's own operands. Into a
    model the float64 call raised, so the fix is safe; into a loss or an op the
    float64 math ran, and float32 math gives other numbers: unsafe.
    """
    spec = conversion_spec(function)
    call = plain_call(conversion.node)
    if spec is None or spec.legacy_dtype is not None or call is None:
        return None
    method: Optional[str] = None
    if spec.dtype_pos is None:
        method = CAST_METHODS[FLOAT32]  # from_numpy takes no dtype: .float() after it
    elif not (isinstance(call.func, ast.Attribute) and len(call.args) == 1 and not call.keywords):
        return None  # a dtype may be chosen already; or no module name to spell torch.float32 with
    if not _sole_use(call, event.site.node):
        return None
    return cast(conversion, FLOAT32, safe=sink.raises, method=method)


def _sole_use(conversion: ast.Call, sink: ast.AST) -> bool:
    """The conversion is written as one of the sink's operands (through pass-through methods)."""
    if isinstance(sink, ast.Call):
        operands = [*sink.args, *(k.value for k in sink.keywords)]
    elif isinstance(sink, ast.BinOp):
        operands = [sink.left, sink.right]
    else:
        return False
    for operand in operands:
        while operand is not conversion and isinstance(operand, ast.Call) and isinstance(operand.func, ast.Attribute) \
                and operand.func.attr in PASS_THROUGH_METHODS:
            operand = operand.func.value
        if operand is conversion:
            return True
    return False


class Float64DatasetItem(Rule):
    """NTL102: a Dataset's ``__getitem__`` returns float64 data that default_collate batches as float64."""

    code = "NTL102"
    name = "float64-dataset-item"
    summary = "Dataset __getitem__ returns float64 NumPy data or Python floats (float64 batches)"
    events = (DatasetItem,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, DatasetItem)
        if evidence.default_float64:
            return
        custom = event.dataset is not None and event.dataset.custom_collate
        if custom and not event.dataset.collated_float64:
            return  # its DataLoader's own collate_fn builds the batches (walked with them: no float64 out)
        parts = item_parts(event.value)
        bad = [p for p in parts if _collates_to_float64(p)]
        if not bad:
            return
        what = _describe_part(bad[0])
        origin = bad[0].numpy_source if bad[0].kind is Kind.TENSOR else bad[0].origin if bad[0].kind is not Kind.SEQUENCE else None
        where = f" ({evidence.code(origin.site.node)}, {evidence.at(origin.site)})" if origin else ""
        yield Finding(
            self.code,
            event.site,
            f"__getitem__ returns {what}{where}: "
            f"{'its collate_fn keeps it float64' if custom else 'default_collate makes float64 batches'}; "
            "return float32 (astype(np.float32), torch.tensor(..., dtype=torch.float32))",
        )


def _collates_to_float64(value: Value) -> bool:
    if value.kind in (Kind.NDARRAY, Kind.NP_SCALAR, None) and value.dtype == FLOAT64:
        return True
    if value.kind is Kind.PY_FLOAT:
        return True
    if value.kind is Kind.TENSOR and value.dtype == FLOAT64 and value.numpy_source is not None:
        return True  # torch.from_numpy(self.x[i]) of float64 data: default_collate stacks float64 tensors
    return value.kind is Kind.SEQUENCE and value.element is not None and value.element.kind is Kind.PY_FLOAT


def _describe_part(value: Value) -> str:
    if value.kind is Kind.PY_FLOAT:
        return "a Python float"
    if value.kind is Kind.SEQUENCE:
        return "a list of Python floats"
    if value.kind is Kind.NP_SCALAR:
        return "a NumPy float64 scalar"
    if value.kind is Kind.TENSOR:
        return "a float64 tensor converted from NumPy"
    return "a float64 array"
