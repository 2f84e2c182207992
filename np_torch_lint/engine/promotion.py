"""dtype promotion and grad propagation: pure functions of abstract values.

NumPy 2 (NEP 50) and torch promotion for the cases this linter needs, the dtype an
argument names or data implies, and when a result needs grad.
"""
from __future__ import annotations

import ast
from typing import Optional, Sequence, Tuple

from . import api
from .scope import Frame
from .values import UNKNOWN, Kind, Origin, Tri, Value

NUMBERS = (Kind.PY_FLOAT, Kind.PY_INT, Kind.PY_BOOL)
#: a scalar operand: a Python number or a NumPy scalar (an array against one keeps its shape)
SCALARS = NUMBERS + (Kind.NP_SCALAR,)


def grad_union(values: Sequence[Value]) -> Tuple[Tri, Optional[Origin]]:
    """A result needs grad if any operand does; not if all are known not to."""
    tensors = [v for v in values if v.kind is Kind.TENSOR]
    for value in tensors:
        if value.requires_grad is Tri.YES:
            return Tri.YES, value.origin
    others_known = all(v.kind in (Kind.TENSOR, Kind.NDARRAY, Kind.NP_SCALAR) + NUMBERS for v in values)
    if tensors and others_known and all(v.requires_grad is Tri.NO for v in tensors):
        return Tri.NO, None
    return Tri.UNKNOWN, None


def grad_in_context(grad: Tri, origin: Optional[Origin], frame: Frame) -> Tuple[Tri, Optional[Origin]]:
    """A result computed now needs grad only if grad mode is on."""
    if grad is Tri.YES and frame.context.grad is not Tri.YES:
        return (Tri.NO if frame.context.grad is Tri.NO else Tri.UNKNOWN), None
    return grad, origin if grad is Tri.YES else None


def numpy_result_dtype(a: Value, b: Value, op: ast.operator) -> Optional[str]:
    """NumPy 2 (NEP 50) promotion, for the cases this linter needs."""
    if isinstance(op, ast.Div):
        ints = [v for v in (a, b) if (v.kind in (Kind.NDARRAY, Kind.NP_SCALAR) and v.dtype in api.INT_DTYPES | {api.BOOL})
                or v.kind in (Kind.PY_INT, Kind.PY_BOOL)]
        if len(ints) == 2:
            return api.FLOAT64
    arrays = [v for v in (a, b) if v.kind in (Kind.NDARRAY, Kind.NP_SCALAR)]
    pythons = [v for v in (a, b) if v.kind in NUMBERS]
    if len(arrays) == 2:
        if a.dtype == b.dtype:
            return a.dtype
        if api.FLOAT64 in (a.dtype, b.dtype) and a.dtype in api.FLOAT_DTYPES | api.INT_DTYPES and b.dtype in api.FLOAT_DTYPES | api.INT_DTYPES:
            return api.FLOAT64
        return None
    if len(arrays) == 1 and len(pythons) == 1:
        array, python = arrays[0], pythons[0]
        if array.dtype in api.FLOAT_DTYPES:
            return array.dtype  # Python scalars are "weak": float32 stays float32
        if array.dtype in api.INT_DTYPES:
            return api.FLOAT64 if python.kind is Kind.PY_FLOAT else array.dtype
    return None


def numpy_combined_dtype(operands: Sequence[Value], division: bool = False) -> Optional[str]:
    """The dtype NumPy gives a function of several operands (np.where, np.clip, np.add): array
    and NumPy scalar operands promote each other, then Python numbers join as weak scalars."""
    strong = [v for v in operands if v.kind in (Kind.NDARRAY, Kind.NP_SCALAR)]
    weak = [v for v in operands if v.kind in NUMBERS]
    if len(strong) + len(weak) != len(operands) or not operands:
        return None
    op: ast.operator = ast.Div() if division else ast.Add()
    if not strong:
        # Only Python numbers: NumPy's default float and int (true division gives floats).
        kinds = {v.kind for v in weak}
        if Kind.PY_FLOAT in kinds or (division and kinds & {Kind.PY_INT, Kind.PY_BOOL}):
            return api.FLOAT64
        return api.INT64 if Kind.PY_INT in kinds else api.BOOL
    current = strong[0]
    if len(strong) == 1 and not weak:
        ints = current.dtype in api.INT_DTYPES | {api.BOOL}
        return api.FLOAT64 if division and ints else current.dtype
    for other in strong[1:] + weak:
        dtype = numpy_result_dtype(current, other, op)
        if dtype is None:
            return None
        current = Value(kind=Kind.NDARRAY, dtype=dtype)
    return current.dtype


def torch_result_dtype(a: Value, b: Value) -> Tuple[Optional[str], Optional[Value]]:
    """torch promotion; returns the dtype and the operand it came from."""
    if a.kind is Kind.TENSOR and b.kind is Kind.TENSOR:
        if a.dtype == b.dtype:
            return a.dtype, a
        if a.dtype is None or b.dtype is None:
            return None, None
        if api.FLOAT64 not in (a.dtype, b.dtype):
            return None, None
        wide, other = (a, b) if a.dtype == api.FLOAT64 else (b, a)
        # A 0-d operand does not promote a dimensioned one of the same category, so
        # float64 wins only if it is known to have dimensions, or the other is 0-d.
        if other.dtype in api.FLOAT_DTYPES and wide.ndim != 0 and (other.ndim == 0 or (wide.ndim is not None or other.ndim is not None)):
            if wide.ndim is None and other.ndim is None:
                return None, None
            return api.FLOAT64, wide
        return None, None
    tensor, other = (a, b) if a.kind is Kind.TENSOR else (b, a)
    if tensor.kind is Kind.TENSOR and other.kind in NUMBERS:
        if tensor.dtype in api.FLOAT_DTYPES or (other.kind is Kind.PY_INT and tensor.dtype in api.INT_DTYPES):
            return tensor.dtype, tensor
    return None, None


def dtype_of(value: Value) -> Optional[str]:
    """The dtype an argument names: np.float32, torch.float64, "float32", float."""
    if value.kind is Kind.API and value.qualname is not None:
        if value.qualname in api.DTYPE_OBJECTS:
            return api.DTYPE_OBJECTS[value.qualname]
        if value.qualname in api.TENSOR_TYPES:
            return api.TENSOR_TYPES[value.qualname][0]
    if value.kind is Kind.PY_STR and value.qualname is not None:
        return api.DTYPE_STRINGS.get(value.qualname)
    return None


def data_dtype(value: Value) -> Tuple[Optional[str], Optional[Kind]]:
    """The dtype NumPy/torch infer from data: an array, a scalar, a list of literals."""
    if value.kind in (Kind.NDARRAY, Kind.NP_SCALAR, Kind.TENSOR):
        return value.dtype, value.kind
    if value.kind is None and value.dtype is not None:
        return value.dtype, None
    if value.kind is Kind.PY_FLOAT:
        return "pyfloat", Kind.PY_FLOAT
    if value.kind is Kind.PY_INT:
        return "pyint", Kind.PY_INT
    if value.kind is Kind.SEQUENCE and value.element is not None:
        return data_dtype(value.element)[0], Kind.SEQUENCE
    return None, value.kind


def scalar_literal_dtype(kinds: Sequence[Optional[Kind]], float_dtype: str) -> Optional[str]:
    """The dtype arange/full infer from Python number arguments: a float makes ``float_dtype``."""
    if Kind.PY_FLOAT in kinds:
        return float_dtype
    return api.INT64 if kinds and all(k is Kind.PY_INT for k in kinds) else None


def python_number(dtype: Optional[str]) -> Value:
    """What ``.item()`` (``.tolist()`` of a 0-d value) gives for an array, NumPy scalar or tensor of
    this dtype: a Python float, int or bool (unknown for a dtype not known)."""
    if dtype in api.FLOAT_DTYPES:
        return Value(kind=Kind.PY_FLOAT)
    if dtype in api.INT_DTYPES:
        return Value(kind=Kind.PY_INT)
    return Value(kind=Kind.PY_BOOL) if dtype == api.BOOL else UNKNOWN


def python_values(dtype: Optional[str], ndim: Optional[int]) -> Value:
    """What ``.tolist()`` gives for an array or tensor of this dtype and rank: a Python number for
    0-d, a list of them for 1-d, lists of lists above (unknown where the rank is not known)."""
    if ndim is None or ndim < 0:
        return UNKNOWN
    value = python_number(dtype)
    for _ in range(ndim):
        value = Value(kind=Kind.SEQUENCE, element=value if value.kind is not None else None)
    return value
