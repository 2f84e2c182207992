"""torch.distributions objects: a policy's ``Categorical(logits=...)`` or ``Normal(mu, std)``.

A distribution is built from float parameter tensors; what it computes from them
(``log_prob``, ``entropy``, ``rsample``) has the parameter's dtype, device and grad, and what
it draws (``sample()``) needs no grad: an integer index for the discrete ones, the parameter's
float dtype for the others (``api.DISTRIBUTION_SAMPLES``). Anything else it gives is unknown.
"""
from __future__ import annotations

from typing import Optional, Sequence

from . import api
from .arguments import Arg, argument
from .promotion import grad_in_context, grad_union
from .scope import Frame
from .values import UNKNOWN, Kind, Tri, Value


def built(qual: str, args: Sequence[Arg]) -> Value:
    """``Categorical(logits=x)``: a distribution holding ``x``'s facts (and its class's sample dtype)."""
    tensors = [a.value for a in args if not a.starred and a.value.kind is Kind.TENSOR]
    if not tensors or any(a.value.kind not in (Kind.TENSOR,) + _NUMBERS for a in args if not a.starred):
        return Value(kind=Kind.API, qualname=api.DISTRIBUTION)
    lead = tensors[0]
    floats = {t.dtype for t in tensors}
    dtype = lead.dtype if len(floats) == 1 and lead.dtype in api.FLOAT_DTYPES else None
    grad, origin = grad_union(tensors)
    return Value(kind=Kind.API, qualname=api.DISTRIBUTION, dtype=dtype,
                 device=lead.device if all(t.device is lead.device for t in tensors) else None,
                 device_origin=lead.device_origin, requires_grad=grad, origin=origin,
                 element=Value(kind=Kind.TENSOR, dtype=api.DISTRIBUTION_SAMPLES.get(qual)) if qual else None)


def method(distribution: Value, name: str, args: Sequence[Arg], frame: Frame) -> Value:
    """``dist.log_prob(a)``, ``dist.sample()``, ``dist.entropy()``."""
    if name in api.DISTRIBUTION_SAMPLE_METHODS:
        drawn = distribution.element.dtype if distribution.element is not None else None
        return Value(kind=Kind.TENSOR, dtype=drawn or distribution.dtype, device=distribution.device,
                     device_origin=distribution.device_origin, requires_grad=Tri.NO)
    if name not in api.DISTRIBUTION_FLOAT_METHODS:
        return UNKNOWN
    dtype = distribution.dtype
    value = argument(args, 0, "value")
    if value is not None and not _keeps_dtype(value.value, dtype):
        dtype = None  # log_prob(x) computes with x: a float x of another dtype promotes
    grad, origin = grad_in_context(distribution.requires_grad, distribution.origin, frame)
    return Value(kind=Kind.TENSOR, dtype=dtype, device=distribution.device,
                 device_origin=distribution.device_origin, requires_grad=grad, origin=origin)


_NUMBERS = (Kind.PY_FLOAT, Kind.PY_INT, Kind.PY_BOOL)


def _keeps_dtype(value: Value, dtype: Optional[str]) -> bool:
    """A value whose dtype cannot change the parameter's: the same dtype, or an integer tensor
    (a category index, a count)."""
    if value.kind is not Kind.TENSOR or value.dtype is None:
        return False
    return value.dtype == dtype or value.dtype in api.INT_DTYPES
