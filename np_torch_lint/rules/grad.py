"""NTL2xx: the way back from torch to NumPy."""
from __future__ import annotations

from typing import Iterator, Optional

from ..engine.events import ToNumpy
from ..findings import Finding
from ..engine.values import Device, Kind, Tri
from ..fixes.model import Fix, detach_cpu
from .base import Evidence, Rule


def _detach_cpu(event: ToNumpy) -> Optional[Fix]:
    """t.numpy() -> t.detach().cpu().numpy(); np.asarray(t) and friends get none."""
    return detach_cpu(event.site) if event.by_method else None


class NumpyOnGradTensor(Rule):
    """NTL201: ``.numpy()`` (or ``np.asarray``) on a tensor that requires grad."""

    code = "NTL201"
    name = "numpy-on-grad-tensor"
    summary = ".numpy() on a tensor that requires grad"
    events = (ToNumpy,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, ToNumpy)
        value = event.value
        if value.kind is not Kind.TENSOR or value.requires_grad is not Tri.YES:
            return
        if event.context.grad is not Tri.YES:
            return  # inside no_grad / inference_mode, or grad mode unknown: .numpy() works
        yield Finding(
            self.code,
            event.site,
            f"{event.via} {'of tensors that require' if event.of_list else 'on a tensor that requires'} grad ({evidence.cite(value.origin, 'a tensor')}) raises "
            "\"Can't call numpy() on Tensor that requires grad\"; use .detach().cpu().numpy()",
            needs_grad_in=event.context.function,
            fix=_detach_cpu(event),
        )


class NumpyOnCudaTensor(Rule):
    """NTL202: ``.numpy()`` (or ``np.asarray``) on a tensor that is, or may be, on a GPU."""

    code = "NTL202"
    name = "numpy-on-cuda-tensor"
    summary = ".numpy() on a tensor that may be on a GPU"
    events = (ToNumpy,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, ToNumpy)
        value = event.value
        if value.kind is not Kind.TENSOR or value.device not in (Device.CUDA, Device.MAYBE_CUDA):
            return
        if value.device is Device.MAYBE_CUDA and event.context.cuda_absent:
            return  # `if not torch.cuda.is_available():` / `if device.type == "cpu":` - on the CPU here
        where = f" ({evidence.cite(value.device_origin, '')})" if value.device_origin else ""
        may = "is" if value.device is Device.CUDA else "may be"
        yield Finding(
            self.code,
            event.site,
            f"{event.via} {'of tensors that' if event.of_list else 'on a tensor that'} {may} on a GPU{where} raises \"can't convert cuda:0 device type "
            "tensor to numpy\" there; use .detach().cpu().numpy()",
            fix=_detach_cpu(event),
        )
