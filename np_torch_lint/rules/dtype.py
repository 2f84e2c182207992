"""NTL1xx: dtype leaks from NumPy's float64 default into float32 models."""
from __future__ import annotations

from typing import Iterator

from ..engine.api import FLOAT32, FLOAT64, SCALARS_LABEL
from ..engine.events import ModelInput
from ..engine.findings import Finding
from ..engine.values import Kind, Tri
from .base import Evidence, Rule

_SINK_WORDS = {"module": "model call", "loss": "loss", "op": "float32 operation"}


class Float64ReachesModel(Rule):
    """NTL101: a float64 tensor made from NumPy data reaches a model, a loss or a float32 op."""

    code = "NTL101"
    name = "float64-reaches-model"
    summary = "float64 NumPy data converted to a tensor reaches a float32 model or loss"
    events = (ModelInput,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, ModelInput)
        value = event.value
        if evidence.default_float64:
            return  # torch.set_default_dtype(torch.float64): the model is float64 too
        if not (value.kind is Kind.TENSOR and value.dtype == FLOAT64 and value.conversion is not None):
            return
        if value.ndim == 0 and not (event.direct and event.sink in ("module", "loss")):
            # Type promotion ignores a 0-d operand of the same category: x * scale stays float32.
            return
        if event.sink == "module":
            module = event.module
            if module is None or module.parametric is not Tri.YES or module.dtype != FLOAT32:
                return
        elif not any(other.kind is Kind.TENSOR and other.dtype == FLOAT32 and other.ndim != 0 for other in event.others):
            return
        source = evidence.code(value.numpy_source.site.node) if value.numpy_source else "NumPy data"
        source_line = f", line {evidence.line(value.numpy_source.site)}" if value.numpy_source else ""
        scalars = value.numpy_source is not None and value.numpy_source.what == SCALARS_LABEL
        what = "NumPy scalars" if scalars else ("0-d array" if value.ndim == 0 else "array")
        yield Finding(
            self.code,
            value.conversion,
            f"float64 {what} ({source}{source_line}) reaches {_SINK_WORDS[event.sink]} "
            f"{evidence.code(event.site.node)} at line {evidence.line(event.site)} as a float64 tensor; "
            "convert with dtype=torch.float32 or .float()",
        )
