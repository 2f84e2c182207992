"""CUDA-guard heuristics: which tests hold only where CUDA is usable, which handlers catch a missing GPU.

Pure functions of the syntax and the frame; the qualified name of a callee comes from
the evaluator through ``qualname_of``.
"""
from __future__ import annotations

import ast
from typing import Callable, List, Optional, Set

from . import api
from .scope import Frame
from .values import Device, Kind

QualnameOf = Callable[[ast.expr, Frame], Optional[str]]


def is_cuda_test(node: ast.expr, frame: Frame, qualname_of: QualnameOf) -> Optional[bool]:
    """True: the test holds only where CUDA is usable; False: only where it is not."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = is_cuda_test(node.operand, frame, qualname_of)
        return None if inner is None else not inner
    if isinstance(node, ast.BoolOp):
        results = [is_cuda_test(v, frame, qualname_of) for v in node.values]
        if isinstance(node.op, ast.And):
            return True if True in results else None
        return False if False in results else None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op, right = node.ops[0], node.comparators[0]
        inner = is_cuda_test(node.left, frame, qualname_of)
        if inner is not None and isinstance(right, ast.Constant) and right.value == 0:
            if isinstance(op, (ast.Gt, ast.NotEq)):
                return inner
            if isinstance(op, (ast.Eq, ast.LtE)):
                return not inner
        if inner is None and mentions_cuda(node, frame):
            if isinstance(op, (ast.Eq, ast.In, ast.Is)):
                return True
            if isinstance(op, (ast.NotEq, ast.NotIn, ast.IsNot)):
                return False
        if inner is None and mentions_cpu_string(node):
            # `device != "cpu"`, `device not in ["cpu"]`: holds where the chosen device is not the CPU.
            if isinstance(op, (ast.NotEq, ast.NotIn, ast.IsNot)):
                return True
            if isinstance(op, (ast.Eq, ast.In, ast.Is)):
                return False
        return inner
    if isinstance(node, ast.Call) and qualname_of(node.func, frame) in api.CUDA_PROBES:
        return True
    flag = node.id if isinstance(node, ast.Name) else (node.attr if isinstance(node, ast.Attribute) else "")
    if any(word in flag.lower() for word in api.CPU_FLAG_WORDS):
        return False  # `if args.no_cuda:` holds where CUDA is *not* used
    if mentions_cuda(node, frame):
        return True
    return None


def catches_cuda_errors(handler_type: Optional[ast.expr]) -> bool:
    """An except clause that catches what a missing GPU raises (AssertionError, RuntimeError...)."""
    if handler_type is None:
        return True
    names = handler_type.elts if isinstance(handler_type, ast.Tuple) else [handler_type]
    for name in names:
        text = name.id if isinstance(name, ast.Name) else (name.attr if isinstance(name, ast.Attribute) else "")
        if text in api.CUDA_ERRORS_CAUGHT_BY:
            return True
    return False


def mentions_cuda(node: ast.expr, frame: Frame) -> bool:
    """A flag named for CUDA/GPU (args.cuda, use_gpu, device.type == "cuda") or set from a probe."""
    for current in ast.walk(node):
        if isinstance(current, ast.Name):
            if any(word in current.id.lower() for word in api.CUDA_NAME_WORDS):
                return True
            value = frame.lookup(current.id)
            if value is not None and value.kind is Kind.PY_BOOL and value.qualname in api.CUDA_PROBES:
                return True
        elif isinstance(current, ast.Attribute) and any(word in current.attr.lower() for word in api.CUDA_NAME_WORDS):
            return True
        elif isinstance(current, ast.Constant) and isinstance(current.value, str) and api.CUDA_DEVICE_PREFIX in current.value:
            return True
    return False


def mentions_cpu_string(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == api.CPU_DEVICE for n in ast.walk(node))


def device_variable(frame: Frame) -> Optional[str]:
    """The name in scope bound to a CPU-or-CUDA device choice; ``device`` first, then alphabetical."""
    seen: Set[str] = set()
    found: List[str] = []
    scope: Optional[Frame] = frame
    while scope is not None:
        for name, value in scope.env.items():
            if name not in seen:
                seen.add(name)
                if value.kind in (Kind.DEVICE, Kind.PY_STR) and value.device is Device.MAYBE_CUDA:
                    found.append(name)
        scope = scope.parent
    if not found:
        return None
    return "device" if "device" in found else sorted(found)[0]


def device_of_string(text: str) -> Optional[Device]:
    """The device a string names: "cuda", "cuda:1" or "cpu"."""
    if text.startswith(api.CUDA_DEVICE_PREFIX):
        return Device.CUDA
    if text == api.CPU_DEVICE:
        return Device.CPU
    return None


def names_a_device(node: ast.expr) -> bool:
    """``device``, ``args.device``, ``dev``, ``local_rank``: a name that holds a device choice."""
    name = node.id if isinstance(node, ast.Name) else (node.attr if isinstance(node, ast.Attribute) else "")
    return api.DEVICE_NAME_WORD in name.lower() or name.lower() in api.DEVICE_NAMES
