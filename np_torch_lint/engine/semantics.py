"""Expression semantics: what each expression evaluates to, and the events it raises.

Everything API-specific is looked up in ``api.py``; this module only knows how
to read a call's arguments and combine facts (dtype promotion, grad
propagation, devices, memory sharing).
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING, List, NamedTuple, Optional, Sequence, Set, Tuple

from . import api
from .events import Conversion, Load, LossTarget, ModelInput, ParameterUpdate, Placement, Snapshot, ToNumpy
from .scope import ClassInfo, Frame, FunctionInfo
from .values import UNKNOWN, Device, Kind, Origin, Tri, Value, join, join_elements, sequence

if TYPE_CHECKING:
    from .interpreter import Interpreter

_CUDA_WORDS = ("cuda", "gpu")
_NUMBERS = (Kind.PY_FLOAT, Kind.PY_INT, Kind.PY_BOOL)
_BUILTINS = frozenset({"bytes", "float", "int", "bool", "list", "tuple", "len", "range", "enumerate", "zip",
                       "exit", "quit", "sum", "min", "max", "abs", "sorted", "reversed", "super"})


class Arg(NamedTuple):
    keyword: Optional[str]  # None for a positional argument
    value: Value
    node: ast.expr
    starred: bool  # *args or **kwargs


def _arg(args: Sequence[Arg], pos: Optional[int], keyword: str) -> Optional[Arg]:
    for arg in args:
        if arg.keyword == keyword:
            return arg
    if pos is not None:
        positional = [a for a in args if a.keyword is None and not a.starred]
        if any(a.starred for a in args if a.keyword is None):
            return None  # *args: positions unknown
        if pos < len(positional):
            return positional[pos]
    return None


def _positional(args: Sequence[Arg]) -> List[Value]:
    return [a.value for a in args if a.keyword is None and not a.starred]


def _first(args: Sequence[Arg]) -> Value:
    values = _positional(args)
    return values[0] if values else UNKNOWN


def _literal_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _device_of_string(text: str) -> Optional[Device]:
    if text.startswith("cuda"):
        return Device.CUDA
    if text == "cpu":
        return Device.CPU
    return None


def _grad_union(values: Sequence[Value]) -> Tuple[Tri, Optional[Origin]]:
    """A result needs grad if any operand does; not if all are known not to."""
    tensors = [v for v in values if v.kind is Kind.TENSOR]
    for value in tensors:
        if value.requires_grad is Tri.YES:
            return Tri.YES, value.origin
    others_known = all(v.kind in (Kind.TENSOR, Kind.NDARRAY, Kind.NP_SCALAR) + _NUMBERS for v in values)
    if tensors and others_known and all(v.requires_grad is Tri.NO for v in tensors):
        return Tri.NO, None
    return Tri.UNKNOWN, None


def numpy_result_dtype(a: Value, b: Value, op: ast.operator) -> Optional[str]:
    """NumPy 2 (NEP 50) promotion, for the cases this linter needs."""
    if isinstance(op, ast.Div):
        ints = [v for v in (a, b) if (v.kind in (Kind.NDARRAY, Kind.NP_SCALAR) and v.dtype in api.INT_DTYPES) or v.kind is Kind.PY_INT]
        if len(ints) == 2:
            return api.FLOAT64
    arrays = [v for v in (a, b) if v.kind in (Kind.NDARRAY, Kind.NP_SCALAR)]
    pythons = [v for v in (a, b) if v.kind in _NUMBERS]
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
    if tensor.kind is Kind.TENSOR and other.kind in _NUMBERS:
        if tensor.dtype in api.FLOAT_DTYPES or (other.kind is Kind.PY_INT and tensor.dtype in api.INT_DTYPES):
            return tensor.dtype, tensor
    return None, None


class Semantics:
    def __init__(self, interpreter: "Interpreter") -> None:
        self.it = interpreter

    # --- the dispatcher ---------------------------------------------------------------

    def eval(self, node: ast.expr, frame: Frame) -> Value:
        kind = type(node)
        if kind is ast.Name:
            if frame.pending_writes:
                self.it.read(node.id, node, frame)  # type: ignore[attr-defined]
            return self.name(node.id, frame)  # type: ignore[attr-defined]
        if kind is ast.Attribute:
            return self.attribute(node, frame)  # type: ignore[arg-type]
        if kind is ast.Call:
            return self.call(node, frame)  # type: ignore[arg-type]
        if kind is ast.Constant:
            return self.constant(node)  # type: ignore[arg-type]
        if kind in (ast.List, ast.Tuple):
            items = [self.eval(e, frame) for e in node.elts]  # type: ignore[attr-defined]
            if any(isinstance(e, ast.Starred) for e in node.elts):  # type: ignore[attr-defined]
                return Value(kind=Kind.SEQUENCE)
            return sequence(tuple(items))
        if kind is ast.BinOp:
            left = self.eval(node.left, frame)  # type: ignore[attr-defined]
            right = self.eval(node.right, frame)  # type: ignore[attr-defined]
            return self.binary(node.op, left, right, node, frame)  # type: ignore[attr-defined]
        if kind is ast.Subscript:
            return self.subscript(node, frame)  # type: ignore[arg-type]
        if kind is ast.UnaryOp:
            operand = self.eval(node.operand, frame)  # type: ignore[attr-defined]
            if isinstance(node.op, ast.Not):  # type: ignore[attr-defined]
                return Value(kind=Kind.PY_BOOL)
            if operand.kind in (Kind.PY_INT, Kind.PY_FLOAT):
                return Value(kind=operand.kind)
            return operand.with_(shares_with=None) if operand.kind in (Kind.TENSOR, Kind.NDARRAY) else UNKNOWN
        if kind is ast.Compare:
            values = [self.eval(node.left, frame)] + [self.eval(c, frame) for c in node.comparators]  # type: ignore[attr-defined]
            tensors = [v for v in values if v.kind is Kind.TENSOR]
            if tensors:
                return Value(kind=Kind.TENSOR, dtype=api.BOOL, requires_grad=Tri.NO, device=tensors[0].device,
                             device_origin=tensors[0].device_origin)
            if any(v.kind is Kind.NDARRAY for v in values):
                return Value(kind=Kind.NDARRAY, dtype=api.BOOL, negative_strides=Tri.NO)
            return Value(kind=Kind.PY_BOOL)
        if kind is ast.Dict:
            values = [self.eval(v, frame) for v in node.values]  # type: ignore[attr-defined]
            for key in node.keys:  # type: ignore[attr-defined]
                if key is not None:
                    self.eval(key, frame)
            return Value(kind=Kind.DICT, elements=tuple(values))
        if kind is ast.IfExp:
            self.eval(node.test, frame)  # type: ignore[attr-defined]
            guard = self.is_cuda_test(node.test, frame)  # type: ignore[attr-defined]
            body = self.eval(node.body, frame.fork(cuda_guarded=True) if guard is True else frame)  # type: ignore[attr-defined]
            orelse = self.eval(node.orelse, frame.fork(cuda_guarded=True) if guard is False else frame)  # type: ignore[attr-defined]
            return join(body, orelse)
        if kind in (ast.ListComp, ast.SetComp, ast.GeneratorExp):
            inner = frame.fork()
            self.comprehension(node.generators, inner)  # type: ignore[attr-defined]
            return Value(kind=Kind.SEQUENCE, element=self.eval(node.elt, inner))  # type: ignore[attr-defined]
        if kind is ast.DictComp:
            inner = frame.fork()
            self.comprehension(node.generators, inner)  # type: ignore[attr-defined]
            self.eval(node.key, inner)  # type: ignore[attr-defined]
            self.eval(node.value, inner)  # type: ignore[attr-defined]
            return UNKNOWN
        if kind is ast.NamedExpr:
            value = self.eval(node.value, frame)  # type: ignore[attr-defined]
            self.it.bind(node.target, value, frame)  # type: ignore[attr-defined]
            return value
        if kind is ast.Lambda:
            inner = frame.fork()
            for arg in ast.walk(node.args):  # type: ignore[attr-defined]
                if isinstance(arg, ast.arg):
                    inner.env[arg.arg] = UNKNOWN
            self.eval(node.body, inner)  # type: ignore[attr-defined]
            return UNKNOWN
        if kind in (ast.Yield, ast.YieldFrom) and frame.function is not None:
            frame.function.generator = True  # seen while walking: calls return a generator
        # Anything else (dicts, f-strings, await, starred, slices...): look inside for sinks.
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.eval(child, frame)
            elif isinstance(child, ast.keyword):
                self.eval(child.value, frame)
        return UNKNOWN

    def constant(self, node: ast.Constant) -> Value:
        value = node.value
        if isinstance(value, bool):
            return Value(kind=Kind.PY_BOOL)
        if isinstance(value, int):
            return Value(kind=Kind.PY_INT)
        if isinstance(value, float):
            return Value(kind=Kind.PY_FLOAT)
        if isinstance(value, bytes):
            return Value(kind=Kind.PY_BYTES)
        if isinstance(value, str):
            return Value(kind=Kind.PY_STR, qualname=value, device=_device_of_string(value),
                         origin=self.it.origin(node))
        if value is None:
            return Value(kind=Kind.NONE)
        return UNKNOWN

    def comprehension(self, generators: Sequence[ast.comprehension], frame: Frame) -> None:
        for generator in generators:
            element = self.element_of(self.eval(generator.iter, frame))
            self.it.bind(generator.target, element, frame)
            for condition in generator.ifs:
                self.eval(condition, frame)

    def name(self, name: str, frame: Frame) -> Value:
        value = frame.lookup(name)
        if value is not None:
            return value
        if name in _BUILTINS:
            return Value(kind=Kind.API, qualname="builtins." + name)
        return UNKNOWN

    def qualname_of(self, node: ast.expr, frame: Frame) -> Optional[str]:
        """The qualified API name an expression stands for (``np.random.rand``), without events."""
        if isinstance(node, ast.Name):
            value = self.name(node.id, frame)
            return value.qualname if value.kind is Kind.API else None
        if isinstance(node, ast.Attribute):
            base = self.qualname_of(node.value, frame)
            return f"{base}.{node.attr}" if base is not None else None
        return None

    # --- attributes and subscripts ----------------------------------------------------

    def attribute(self, node: ast.Attribute, frame: Frame) -> Value:
        if node.attr in api.METADATA_ATTRS and isinstance(node.value, ast.Name):
            # a.shape, t.dtype: metadata, not a read of the data (NTL401 waits for a real read)
            if self.name(node.value.id, frame).kind in (Kind.NDARRAY, Kind.TENSOR):
                return UNKNOWN
        base = self.eval(node.value, frame)
        attr = node.attr
        kind = base.kind
        if kind is Kind.API:
            qualname = f"{base.qualname}.{attr}"
            found = None if qualname.startswith(api.LIBRARY_PREFIXES) else self.it.project_value(qualname)
            return found if found is not None else Value(kind=Kind.API, qualname=qualname)
        if kind is Kind.TENSOR:
            if attr == "data":
                return base.with_(requires_grad=Tri.NO, grad_leaf=False, origin=None)
            if attr == "grad":
                return Value(kind=Kind.TENSOR, dtype=base.dtype, device=base.device, requires_grad=Tri.NO)
            if attr in api.TENSOR_VIEW_ATTRS:
                return base.with_(ndim=None)
            return UNKNOWN
        if kind is Kind.NDARRAY:
            return base.with_(ndim=None, shares_with=None) if attr in api.NDARRAY_VIEW_ATTRS else UNKNOWN
        if kind in (Kind.MODULE, Kind.INSTANCE):
            cls = base.definition if isinstance(base.definition, ClassInfo) else None
            if cls is not None:
                if self._reads_self(node, frame) and frame.attr_sink is not None and attr in frame.attr_sink:
                    return frame.attr_sink[attr]
                value = self.it.class_attrs(cls).get(attr)
                if value is not None:
                    return value
                method = cls.method(attr)
                if method is not None:
                    return Value(kind=Kind.FUNCTION, qualname=method.qualname, definition=method)
                return UNKNOWN
            if kind is Kind.MODULE and attr in api.PARAMETER_ATTRS and base.qualname in api.PARAMETRIC_MODULES:
                return self.parameter(base.dtype, base.device, node, "parameter ")
        if kind is Kind.CLASS and isinstance(base.definition, ClassInfo):
            found = base.definition.class_attrs.get(attr)
            if found is not None:
                return found
            method = base.definition.method(attr)  # `Cls.helper`, e.g. passed as a callback
            return Value(kind=Kind.FUNCTION, qualname=method.qualname, definition=method) if method else UNKNOWN
        return UNKNOWN

    @staticmethod
    def _reads_self(node: ast.Attribute, frame: Frame) -> bool:
        return isinstance(node.value, ast.Name) and frame.self_name is not None and node.value.id == frame.self_name

    def subscript(self, node: ast.Subscript, frame: Frame) -> Value:
        base = self.eval(node.value, frame)
        index = node.slice
        parts: List[ast.expr] = list(index.elts) if isinstance(index, ast.Tuple) else [index]
        values = [self.eval(p, frame) for p in parts]
        if base.kind is Kind.TENSOR:
            return base.with_(ndim=None, shares_with=None, param_view=False)
        if base.kind is Kind.SEQUENCE:
            if len(parts) == 1 and isinstance(index, ast.Constant) and isinstance(index.value, int) and base.elements is not None:
                if -len(base.elements) <= index.value < len(base.elements):
                    return base.elements[index.value]
            if len(parts) == 1 and not isinstance(index, ast.Slice):
                return base.element or UNKNOWN
            return Value(kind=Kind.SEQUENCE, element=base.element)
        flips = any(isinstance(p, ast.Slice) and _negative_literal(p.step) for p in parts)
        if base.kind is None and base.dtype is None and flips:
            # Unknown base: if it is an ndarray (torch.from_numpy accepts nothing else) the
            # result has negative strides. The conversion rule decides what that proves.
            return Value(negative_strides=Tri.YES, origin=self.it.origin(node))
        if base.kind is not Kind.NDARRAY:
            return UNKNOWN
        sliced = any(isinstance(p, ast.Slice) or (isinstance(p, ast.Constant) and p.value is Ellipsis) for p in parts)
        advanced = any(v.kind in (Kind.NDARRAY, Kind.SEQUENCE, Kind.TENSOR) for v in values)
        result = base.with_(ndim=None, shares_with=None)
        if flips and not advanced:
            return result.with_(negative_strides=Tri.YES, origin=self.it.origin(node))
        if advanced:
            return result.with_(negative_strides=Tri.NO, readonly=Tri.NO)  # fancy indexing copies
        if sliced:
            return result  # a view: keeps the sign of the base's strides
        known_ints = all(v.kind is Kind.PY_INT for v in values)
        if base.ndim is not None and len(parts) < base.ndim:
            # Fewer indices than dimensions: an array whatever they are; its strides keep
            # the base's sign unless an index is an (copying) array.
            return result.with_(ndim=base.ndim - len(parts) if known_ints else None,
                                negative_strides=base.negative_strides if known_ints or base.negative_strides is Tri.NO else Tri.UNKNOWN)
        if known_ints and base.ndim is not None:
            return Value(kind=Kind.NP_SCALAR, dtype=base.dtype, ndim=0, origin=base.origin)
        # A row or a scalar, we cannot tell: keep the dtype, forget the kind.
        return Value(dtype=base.dtype, origin=base.origin)

    # --- operators ----------------------------------------------------------------------

    def binary(self, op: ast.operator, left: Value, right: Value, node: ast.AST, frame: Frame) -> Value:
        if left.kind is Kind.TENSOR or right.kind is Kind.TENSOR:
            if left.kind is Kind.TENSOR and right.kind is Kind.TENSOR:
                site = self.it.site(node)
                self.it.emit(frame, ModelInput("op", site, left, True, (right,), None, frame.context))
                self.it.emit(frame, ModelInput("op", site, right, True, (left,), None, frame.context))
            dtype, source = torch_result_dtype(left, right)
            grad, grad_origin = self.grad_in_context(*_grad_union([left, right]), frame)
            tensor = left if left.kind is Kind.TENSOR else right
            both = left.kind is right.kind
            keep = source is not None and dtype == api.FLOAT64
            return Value(
                kind=Kind.TENSOR, dtype=dtype, device=join(left, right).device if both else tensor.device,
                device_origin=left.device_origin or right.device_origin,
                requires_grad=grad, origin=grad_origin, ndim=None if both else tensor.ndim,
                conversion=source.conversion if keep else None,  # type: ignore[union-attr]
                numpy_source=source.numpy_source if keep else None,  # type: ignore[union-attr]
            )
        if left.kind in (Kind.NDARRAY, Kind.NP_SCALAR) or right.kind in (Kind.NDARRAY, Kind.NP_SCALAR):
            dtype = numpy_result_dtype(left, right, op)
            is_array = Kind.NDARRAY in (left.kind, right.kind)
            source = left if left.kind in (Kind.NDARRAY, Kind.NP_SCALAR) else right
            return Value(kind=Kind.NDARRAY if is_array else Kind.NP_SCALAR, dtype=dtype,
                         negative_strides=Tri.NO if is_array else Tri.UNKNOWN, readonly=Tri.NO,
                         ndim=None if is_array else 0,
                         origin=source.origin if dtype == source.dtype else self.it.origin(node))
        if Kind.PY_BYTES in (left.kind, right.kind) and {left.kind, right.kind} <= {Kind.PY_BYTES, Kind.PY_INT}:
            return Value(kind=Kind.PY_BYTES)  # b"\x00" * n, b"a" + b"b"
        if left.kind in (Kind.PY_INT, Kind.PY_FLOAT) and right.kind in (Kind.PY_INT, Kind.PY_FLOAT):
            if isinstance(op, ast.Div) or Kind.PY_FLOAT in (left.kind, right.kind):
                return Value(kind=Kind.PY_FLOAT)
            return Value(kind=Kind.PY_INT)
        return UNKNOWN

    def grad_in_context(self, grad: Tri, origin: Optional[Origin], frame: Frame) -> Tuple[Tri, Optional[Origin]]:
        """A result computed now needs grad only if grad mode is on."""
        if grad is Tri.YES and frame.context.grad is not Tri.YES:
            return (Tri.NO if frame.context.grad is Tri.NO else Tri.UNKNOWN), None
        return grad, origin if grad is Tri.YES else None

    def element_of(self, value: Value) -> Value:
        if value.kind is Kind.SEQUENCE:
            return value.element or UNKNOWN
        if value.kind is Kind.TENSOR:
            return value.with_(ndim=None, grad_leaf=False, shares_with=None, param_view=False)
        return UNKNOWN

    # --- guards -------------------------------------------------------------------------

    def is_cuda_test(self, node: ast.expr, frame: Frame) -> Optional[bool]:
        """True: the test holds only where CUDA is usable; False: only where it is not."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.is_cuda_test(node.operand, frame)
            return None if inner is None else not inner
        if isinstance(node, ast.BoolOp):
            results = [self.is_cuda_test(v, frame) for v in node.values]
            if isinstance(node.op, ast.And):
                return True if True in results else None
            return False if False in results else None
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            op, right = node.ops[0], node.comparators[0]
            inner = self.is_cuda_test(node.left, frame)
            if inner is not None and isinstance(right, ast.Constant) and right.value == 0:
                if isinstance(op, (ast.Gt, ast.NotEq)):
                    return inner
                if isinstance(op, (ast.Eq, ast.LtE)):
                    return not inner
            if inner is None and self._mentions_cuda(node, frame):
                if isinstance(op, (ast.Eq, ast.In, ast.Is)):
                    return True
                if isinstance(op, (ast.NotEq, ast.NotIn, ast.IsNot)):
                    return False
            if inner is None and _mentions_cpu_string(node):
                # `device != "cpu"`, `device not in ["cpu"]`: holds where the chosen device is not the CPU.
                if isinstance(op, (ast.NotEq, ast.NotIn, ast.IsNot)):
                    return True
                if isinstance(op, (ast.Eq, ast.In, ast.Is)):
                    return False
            return inner
        if isinstance(node, ast.Call) and self.qualname_of(node.func, frame) in api.CUDA_PROBES:
            return True
        flag = node.id if isinstance(node, ast.Name) else (node.attr if isinstance(node, ast.Attribute) else "")
        if any(word in flag.lower() for word in api.CPU_FLAG_WORDS):
            return False  # `if args.no_cuda:` holds where CUDA is *not* used
        if self._mentions_cuda(node, frame):
            return True
        return None

    def catches_cuda_errors(self, handler_type: Optional[ast.expr], frame: Frame) -> bool:
        """An except clause that catches what a missing GPU raises (AssertionError, RuntimeError...)."""
        if handler_type is None:
            return True
        names = handler_type.elts if isinstance(handler_type, ast.Tuple) else [handler_type]
        for name in names:
            text = name.id if isinstance(name, ast.Name) else (name.attr if isinstance(name, ast.Attribute) else "")
            if text in api.CUDA_ERRORS_CAUGHT_BY:
                return True
        return False

    def _mentions_cuda(self, node: ast.expr, frame: Frame) -> bool:
        """A flag named for CUDA/GPU (args.cuda, use_gpu, device.type == "cuda") or set from a probe."""
        for current in ast.walk(node):
            if isinstance(current, ast.Name):
                if any(word in current.id.lower() for word in _CUDA_WORDS):
                    return True
                value = frame.lookup(current.id)
                if value is not None and value.kind is Kind.PY_BOOL and value.qualname in api.CUDA_PROBES:
                    return True
            elif isinstance(current, ast.Attribute) and any(word in current.attr.lower() for word in _CUDA_WORDS):
                return True
            elif isinstance(current, ast.Constant) and isinstance(current.value, str) and "cuda" in current.value:
                return True
        return False

    # --- calls --------------------------------------------------------------------------

    def args(self, node: ast.Call, frame: Frame) -> List[Arg]:
        out = [Arg(None, self.eval(a.value if isinstance(a, ast.Starred) else a, frame), a, isinstance(a, ast.Starred))
               for a in node.args]
        out += [Arg(k.arg, self.eval(k.value, frame), k.value, k.arg is None) for k in node.keywords]
        for arg in out:
            # A function of this file passed as a callback (`run(fn)`, `Thread(target=fn)`) runs where
            # it is passed: for the guard and grad-mode checks that is one of its call sites.
            if arg.value.kind is Kind.FUNCTION and isinstance(arg.value.definition, FunctionInfo):
                self.it.record_call(arg.value.definition.qualname, frame)
        return out

    def call(self, node: ast.Call, frame: Frame) -> Value:
        func = node.func
        callee = func.attr if isinstance(func, ast.Attribute) else (func.id if isinstance(func, ast.Name) else "")
        if "save" in callee.lower() or callee in api.SAVE_METHODS:
            self.it.saving_functions.add(frame.context.function)  # torch.save, save_checkpoint, trainer.fit
        if isinstance(func, ast.Attribute):
            receiver = self.eval(func.value, frame)
            if receiver.kind is Kind.API:
                return self.call_api(f"{receiver.qualname}.{func.attr}", node, frame)
            if self._stored_attribute(receiver, func.attr, frame):
                # self.fc(x), self.loss_fn(a, b): a value stored on the object, then called.
                return self.call_value(self.attribute(func, frame), node, frame)
            return self.call_method(receiver, func, node, frame)
        callee = self.eval(func, frame)
        if callee.kind is Kind.API and callee.qualname is not None:
            return self.call_api(callee.qualname, node, frame)
        return self.call_value(callee, node, frame)

    def _stored_attribute(self, receiver: Value, attr: str, frame: Frame) -> bool:
        if receiver.kind not in (Kind.MODULE, Kind.INSTANCE) or not isinstance(receiver.definition, ClassInfo):
            return False
        if frame.attr_sink is not None and attr in frame.attr_sink:
            return True
        return attr in self.it.class_attrs(receiver.definition)

    def call_value(self, callee: Value, node: ast.Call, frame: Frame) -> Value:
        args = self.args(node, frame)
        if callee.kind is Kind.FUNCTION and isinstance(callee.definition, FunctionInfo):
            return self.call_function(callee.definition, frame, args, False, node)
        if callee.kind is Kind.CLASS and isinstance(callee.definition, ClassInfo):
            return self.it.instance_value(callee.definition)
        if callee.kind is Kind.MODULE:
            return self.call_module(callee, node, args, frame)
        if callee.kind is Kind.LOSS:
            return self.call_loss(node, args, frame, callee.qualname or "")
        return UNKNOWN

    def call_function(self, info: FunctionInfo, frame: Frame, args: Sequence[Arg] = (), bound_self: bool = False,
                      node: Optional[ast.Call] = None) -> Value:
        self.it.record_call(info.qualname, frame)
        result = self.it.call_with(info, args, frame, bound_self, node) if node is not None else self.it.summary(info)
        if result.kind is Kind.TENSOR and result.requires_grad is Tri.YES and not result.grad_leaf:
            grad, origin = self.grad_in_context(Tri.YES, result.origin, frame)
            result = result.with_(requires_grad=grad, origin=origin)
        return result

    def call_module(self, module: Value, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        site = self.it.site(node)
        for arg in args:
            if not arg.starred:
                self.it.emit(frame, ModelInput("module", site, arg.value, True, (), module, frame.context))
        cls = module.definition if isinstance(module.definition, ClassInfo) else None
        if cls is not None:
            forward = cls.method("forward")
            if forward is None:
                return UNKNOWN
            # forward is walked with self as built; a module moved since (model.double()) is not that self.
            as_built = not cls.casts_self and module.dtype == api.FLOAT32
            result = self.call_function(forward, frame, args, True, node if as_built else None)
            if result.kind is Kind.TENSOR and result.dtype == api.FLOAT32 and module.dtype != api.FLOAT32:
                # forward was walked for a float32 module; this one was moved (model.double()).
                result = result.with_(dtype=module.dtype)
            if result.kind is Kind.TENSOR and result.device is None and module.device is not None:
                result = result.with_(device=module.device, device_origin=module.device_origin)
            return result
        if (module.qualname or "") in api.TUPLE_OUTPUT_MODULES:
            return UNKNOWN
        if module.parametric is Tri.YES:
            needs = Tri.UNKNOWN if self.it.freezes_parameters else Tri.YES
            grad, origin = self.grad_in_context(needs, self.it.origin(node, "output of "), frame)
            device, device_origin = module.device, module.device_origin
            if device is None:
                # The output is on its input's device: a module given a CUDA input is on CUDA too (or it raises).
                moved = next((a.value for a in args if not a.starred and a.value.kind is Kind.TENSOR
                              and a.value.device in (Device.CUDA, Device.MAYBE_CUDA)), None)
                if moved is not None:
                    device, device_origin = moved.device, moved.device_origin
            return Value(kind=Kind.TENSOR, dtype=module.dtype, device=device, requires_grad=grad, origin=origin,
                         device_origin=device_origin)
        if module.parametric is Tri.NO:
            first = _first(args)
            return first.with_(shares_with=None, grad_leaf=False) if first.kind is Kind.TENSOR else UNKNOWN
        return UNKNOWN

    def call_loss(self, node: ast.Call, args: Sequence[Arg], frame: Frame, loss: str = "") -> Value:
        site = self.it.site(node)
        if loss in api.CLASS_INDEX_LOSSES:
            target = _arg(args, 1, "target")
            if target is not None:
                self.it.emit(frame, LossTarget(site, loss, target.value, frame.context))
        values = [a.value for a in args if not a.starred and a.keyword in (None, "input", "target")]
        for i, value in enumerate(values):
            others = tuple(v for j, v in enumerate(values) if j != i)
            self.it.emit(frame, ModelInput("loss", site, value, True, others, None, frame.context))
        grad, _ = _grad_union(values)
        grad, origin = self.grad_in_context(grad, self.it.origin(node, "loss "), frame)
        dtype = None
        if any(v.kind is Kind.TENSOR and v.dtype == api.FLOAT64 and v.ndim != 0 for v in values):
            dtype = api.FLOAT64
        elif values and all(v.kind is Kind.TENSOR and v.dtype == api.FLOAT32 for v in values):
            dtype = api.FLOAT32
        tensors = [v for v in values if v.kind is Kind.TENSOR]
        device = tensors[0].device if tensors and all(t.device is tensors[0].device for t in tensors) else None
        return Value(kind=Kind.TENSOR, dtype=dtype, ndim=0, requires_grad=grad, origin=origin, device=device,
                     device_origin=next((t.device_origin for t in tensors if t.device_origin), None))

    # --- calls of NumPy / torch by qualified name ---------------------------------------

    def call_api(self, qual: str, node: ast.Call, frame: Frame) -> Value:
        if not qual.startswith(api.LIBRARY_PREFIXES):
            found = self.it.project_value(qual)  # `utils.make_batch(...)`: a project module's function
            if found is not None:
                return self.call_value(found, node, frame)
        args = self.args(node, frame)
        for arg in args:
            if arg.keyword == "out" and isinstance(arg.node, ast.Name):
                self.it.in_place(arg.node.id, node, frame)
        if qual in api.NUMPY_INPLACE_FUNCTIONS and node.args and isinstance(node.args[0], ast.Name):
            self.it.in_place(node.args[0].id, node, frame)
        if qual.startswith("torch.optim.") and qual.count(".") == 2 and qual.rsplit(".", 1)[-1][:1].isupper():
            return Value(kind=Kind.API, qualname=api.OPTIMIZER)
        if qual == api.OPTIMIZER + ".step":
            self.it.emit(frame, ParameterUpdate(self.it.site(node), frame.context))
            return UNKNOWN
        if qual in api.CONVERSIONS:
            return self.conversion(qual, node, args, frame)
        if qual.startswith("numpy."):
            readonly = self.readonly_array(qual, node, args)
            if readonly is not None:
                return readonly
        if qual in api.ARRAY_MAKERS:
            return self.array_maker(qual, api.ARRAY_MAKERS[qual], node, args, frame)
        if qual in api.GENERATOR_FACTORIES:
            return Value(kind=Kind.API, qualname=api.GENERATOR_FACTORIES[qual])
        for generator in ("numpy.random.Generator.", "numpy.random.RandomState."):
            if qual.startswith(generator):
                method = qual[len(generator):]
                maker = api.GENERATOR_METHODS.get(method)
                if maker is None:
                    return UNKNOWN
                if method in api.GENERATOR_DTYPE_KW:
                    maker = api.ArrayMaker(maker.dtype)  # only the dtype= keyword names a dtype
                return self.array_maker(qual, maker, node, args, frame)
        if qual in api.PIL_OPENERS or (qual.startswith(api.PIL_IMAGE + ".") and qual.rsplit(".", 1)[-1] in api.PIL_IMAGE_METHODS):
            return Value(kind=Kind.API, qualname=api.PIL_IMAGE)
        if qual.startswith("numpy."):
            return self.numpy_function(qual, node, args, frame)
        if qual in api.TORCH_FACTORIES:
            return self.torch_factory(qual, node, args, frame)
        if qual in api.LOADERS:
            location = _arg(args, 1, "map_location")
            given = (location is not None and location.value.kind is not Kind.NONE) or any(a.starred for a in args)
            source = node.args[0] if node.args else None
            in_memory = isinstance(source, ast.Call) and _callee_text(source).endswith("BytesIO")
            saved = frame.context.function in self.it.saving_functions
            self.it.emit(frame, Load(self.it.site(node), given, frame.context, saved, in_memory,
                                     _device_variable(frame) if not given else None))
            return UNKNOWN

        if qual == "torch.device":
            first = _first(args)
            device = first.device if first.kind in (Kind.PY_STR, Kind.DEVICE) else None
            origin = first.origin if first.kind in (Kind.PY_STR, Kind.DEVICE) and first.origin else self.it.origin(node)
            return Value(kind=Kind.DEVICE, device=device, origin=origin)
        if qual in api.CUDA_PROBES:
            return Value(kind=Kind.PY_BOOL, qualname=qual)
        if qual in api.GRAD_OFF_CONTEXTS or qual in api.GRAD_ON_CONTEXTS:
            return Value(kind=Kind.API, qualname=qual + "()")
        if qual in api.DEFAULT_DTYPE_SETTERS:
            if self.dtype_of(_first(args)) == api.FLOAT64:
                self.it.default_float64 = True
            return UNKNOWN
        if qual in api.DEFAULT_DEVICE_SETTERS:
            first = _first(args)
            cuda_type = first.kind is Kind.API and api.TENSOR_TYPES.get(first.qualname or "", ("", False))[1]
            if first.device is Device.CUDA or cuda_type:
                device = first if first.device is Device.CUDA else Value(kind=Kind.DEVICE, device=Device.CUDA)
                variable = bool(node.args) and isinstance(node.args[0], (ast.Name, ast.Attribute)) and not cuda_type
                self.place(device, self.it.site(node), f"{_callee_text(node)}(...)", frame, variable)
            return UNKNOWN
        if qual in api.TENSOR_TYPES and api.TENSOR_TYPES[qual][1]:
            dtype, _ = api.TENSOR_TYPES[qual]
            self.place(Value(kind=Kind.DEVICE, device=Device.CUDA), self.it.site(node), qual, frame, False)
            return Value(kind=Kind.TENSOR, dtype=dtype, device=Device.CUDA, requires_grad=Tri.NO)
        if qual.startswith("torch.nn.functional."):
            name = qual[len("torch.nn.functional."):]
            if name in api.FUNCTIONAL_LOSSES:
                return self.call_loss(node, args, frame, name)
            return self.propagate(name, args, frame)
        if qual.startswith("torch.nn.") and qual.count(".") == 2:
            return self.nn_class(qual[len("torch.nn."):], node, args, frame)
        if qual.startswith("torch."):
            if qual in api.PROMOTING_FUNCTIONS:
                positional = _positional(args)
                if len(positional) >= 2:
                    return self.binary(ast.Mult(), positional[0], positional[1], node, frame)
            return self.propagate(qual[len("torch."):], args, frame)
        if qual.startswith("builtins."):
            return self.builtin(qual[len("builtins."):], args)
        return UNKNOWN

    def builtin(self, name: str, args: Sequence[Arg]) -> Value:
        first = _first(args)
        if name == "float":
            return Value(kind=Kind.PY_FLOAT)
        if name in ("int", "len"):
            return Value(kind=Kind.PY_INT)
        if name in ("list", "tuple", "sorted", "reversed") and first.kind is Kind.SEQUENCE:
            return Value(kind=Kind.SEQUENCE, element=first.element)
        if name == "range":
            return Value(kind=Kind.SEQUENCE, element=Value(kind=Kind.PY_INT))
        if name == "bytes":
            return Value(kind=Kind.PY_BYTES)
        if name == "enumerate" and first.kind is Kind.SEQUENCE and first.element is not None:
            return Value(kind=Kind.SEQUENCE, element=sequence((Value(kind=Kind.PY_INT), first.element)))
        return UNKNOWN

    def dtype_of(self, value: Value) -> Optional[str]:
        """The dtype an argument names: np.float32, torch.float64, "float32", float."""
        if value.kind is Kind.API and value.qualname is not None:
            if value.qualname in api.DTYPE_OBJECTS:
                return api.DTYPE_OBJECTS[value.qualname]
            if value.qualname in api.TENSOR_TYPES:
                return api.TENSOR_TYPES[value.qualname][0]
        if value.kind is Kind.PY_STR and value.qualname is not None:
            return api.DTYPE_STRINGS.get(value.qualname)
        return None

    def data_dtype(self, value: Value) -> Tuple[Optional[str], Optional[Kind]]:
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
            return self.data_dtype(value.element)[0], Kind.SEQUENCE
        return None, value.kind

    def array_maker(self, qual: str, maker: api.ArrayMaker, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        explicit = _arg(args, maker.dtype_pos, "dtype")
        data = _first(args)
        short = qual.rsplit(".", 1)[-1]
        if maker.from_data and qual in api.NUMPY_CONSUMERS:
            self.to_numpy_sink(data, node, qual, frame)
        if explicit is not None:
            dtype = self.dtype_of(explicit.value)
        elif maker.from_data:
            inner = self.data_dtype(data)[0]
            dtype = {"pyfloat": api.FLOAT64, "pyint": api.INT64}.get(inner or "", inner)
        elif short == "full" and qual.startswith("numpy."):
            fill = _arg(args, 1, "fill_value")
            dtype = None if fill is None else {Kind.PY_FLOAT: api.FLOAT64, Kind.PY_INT: api.INT64}.get(fill.value.kind)  # type: ignore[arg-type]
        elif short == "arange":
            kinds = [v.kind for v in _positional(args)]
            dtype = api.FLOAT64 if Kind.PY_FLOAT in kinds else (api.INT64 if kinds and all(k is Kind.PY_INT for k in kinds) else None)
        else:
            dtype = maker.dtype
        origin = self.it.origin(node.func)
        if maker.scalar:
            if data.kind is Kind.NDARRAY:
                return data.with_(dtype=dtype, negative_strides=Tri.NO, origin=origin, shares_with=None)
            if data.kind in (Kind.PY_FLOAT, Kind.PY_INT, Kind.NP_SCALAR):
                return Value(kind=Kind.NP_SCALAR, dtype=dtype, ndim=0, origin=origin)
            return Value(dtype=dtype, origin=origin)
        if maker.flips:
            k = _arg(args, 1, "k")
            if short == "rot90" and k is not None and isinstance(k.node, ast.Constant) and isinstance(k.node.value, int) and k.node.value % 4 == 0:
                return data if data.kind is Kind.NDARRAY else UNKNOWN
            base = data if data.kind is Kind.NDARRAY else Value(kind=Kind.NDARRAY, dtype=dtype)
            return base.with_(negative_strides=Tri.YES, origin=origin, shares_with=None)
        if maker.from_data and not maker.copies and data.kind is Kind.TENSOR and explicit is None:
            partner = node.args[0].id if node.args and isinstance(node.args[0], ast.Name) else None
            return Value(kind=Kind.NDARRAY, dtype=data.dtype, negative_strides=Tri.NO, param_view=data.param_view,
                         shares_with=partner, shared_at=self.it.site(node) if partner else None)
        if maker.from_data and data.kind is Kind.NDARRAY and explicit is None:
            if not maker.copies:
                return data  # np.asarray(array): the same array
            return data.with_(negative_strides=Tri.NO, readonly=Tri.NO, shares_with=None, param_view=False)
        return Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.NO, readonly=Tri.NO,
                     ndim=_shape_ndim(qual, args) if not maker.from_data else None, origin=origin)

    def readonly_array(self, qual: str, node: ast.Call, args: Sequence[Arg]) -> Optional[Value]:
        """np.frombuffer, np.broadcast_to, np.load(mmap_mode=), np.asarray(image): arrays we know the writability of."""
        first = _first(args)
        readonly = self.readonly_source(qual, first, args)
        if readonly is None:
            return None
        name = qual[len("numpy."):]
        dtype_arg = _arg(args, 1, "dtype") if name == "frombuffer" else None
        if dtype_arg is not None:
            dtype = self.dtype_of(dtype_arg.value)
        elif name == "frombuffer":
            dtype = api.FLOAT64  # frombuffer's default dtype
        else:
            dtype = first.dtype if name == "broadcast_to" else None
        return Value(kind=Kind.NDARRAY, dtype=dtype, readonly=readonly, negative_strides=Tri.NO,
                     origin=self.it.origin(node))

    def numpy_function(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        first = _first(args)
        name = qual[len("numpy."):]
        if qual in api.NUMPY_CONSUMERS:
            self.to_numpy_sink(first, node, qual, frame)
        if name in api.NUMPY_REDUCTIONS:
            return self.reduction(name, first, args, node, method=False)
        if first.kind not in (Kind.NDARRAY, Kind.NP_SCALAR):
            return UNKNOWN
        if name in api.NUMPY_FLOAT_UFUNCS:
            dtype = api.FLOAT64 if first.dtype in api.INT_DTYPES else first.dtype
            return Value(kind=first.kind, dtype=dtype, negative_strides=Tri.NO, origin=self.it.origin(node.func))
        if name in api.NUMPY_DTYPE_KEEPING:
            views = name in ("transpose", "squeeze", "swapaxes", "expand_dims", "moveaxis")
            return first.with_(negative_strides=first.negative_strides if views else Tri.UNKNOWN, shares_with=None, ndim=None)
        return UNKNOWN

    def readonly_source(self, qual: str, first: Value, args: Sequence[Arg]) -> Optional[Tri]:
        """Read-only (YES), writable (NO) or not a source we know (None)."""
        if qual == "numpy.frombuffer":
            if first.kind is Kind.PY_BYTES:
                return Tri.YES
            return Tri.UNKNOWN  # a bytearray or memoryview may be writable
        if qual in api.READONLY_MAKERS:
            return Tri.YES
        if qual == "numpy.load":
            mode = _arg(args, 1, "mmap_mode")
            if mode is not None and mode.value.kind is Kind.PY_STR:
                return Tri.YES if mode.value.qualname == "r" else Tri.UNKNOWN
            return None
        if qual in ("numpy.asarray", "numpy.asanyarray") and first.kind is Kind.API and first.qualname == api.PIL_IMAGE:
            if _arg(args, 1, "dtype") is not None:
                return Tri.NO  # np.asarray(image, dtype=np.float32) converts: a writable copy
            return Tri.YES  # np.asarray(image) is a read-only view of the image's buffer
        return None

    def reduction(self, name: str, first: Value, args: Sequence[Arg], node: ast.Call, method: bool) -> Value:
        """np.mean(a) / a.mean(): a NumPy scalar, or an array when an axis is given."""
        if first.kind not in (Kind.NDARRAY, Kind.NP_SCALAR):
            return UNKNOWN
        dtype = first.dtype
        if api.NUMPY_REDUCTIONS.get(name) and dtype in api.INT_DTYPES | {api.BOOL}:
            dtype = api.FLOAT64
        explicit = _arg(args, None, "dtype")
        if explicit is not None:
            dtype = self.dtype_of(explicit.value)
        positional_axis = _positional(args)[0 if method else 1:]
        has_axis = _arg(args, None, "axis") is not None or bool(positional_axis)
        origin = first.origin if dtype == first.dtype else self.it.origin(node)
        if has_axis:
            return Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.NO, origin=origin)
        return Value(kind=Kind.NP_SCALAR, dtype=dtype, ndim=0, origin=origin)

    def to_numpy_sink(self, value: Value, node: ast.Call, qual: str, frame: Frame) -> None:
        via = _callee_text(node) + "()"
        if value.kind is Kind.TENSOR:
            self.it.emit(frame, ToNumpy(self.it.site(node), value, via, frame.context))
        elif value.kind is Kind.SEQUENCE and value.element is not None and value.element.kind is Kind.TENSOR:
            self.it.emit(frame, ToNumpy(self.it.site(node), value.element, via + " over a list", frame.context,
                                        of_list=True))

    def conversion(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        spec = api.CONVERSIONS[qual]
        source = _first(args)
        explicit = _arg(args, spec.dtype_pos, "dtype") if spec.dtype_pos is not None else None
        device = _arg(args, spec.device_pos, "device") if spec.device_pos is not None else None
        requires = _arg(args, None, "requires_grad")
        site = self.it.site(node)
        if device is not None:
            self.place_argument(device, node, frame)
        inner, kind = self.data_dtype(source)
        numpy_data = kind in (Kind.NDARRAY, Kind.NP_SCALAR, None) and inner is not None and source.kind is not Kind.TENSOR
        list_of_scalars = kind is Kind.SEQUENCE and source.element is not None and source.element.kind is Kind.NP_SCALAR
        if spec.legacy_dtype is not None:
            dtype: Optional[str] = spec.legacy_dtype
        elif explicit is not None:
            dtype = self.dtype_of(explicit.value)
        else:
            # Python floats become the default float dtype; Python ints int64.
            dtype = {"pyfloat": api.FLOAT32, "pyint": api.INT64}.get(inner or "", inner)
        if qual == "torch.from_numpy" and kind is None and inner is not None:
            kind = Kind.NDARRAY  # from_numpy accepts only arrays: if it ran, it was one
        ndim = 0 if source.kind is Kind.NP_SCALAR else (source.ndim if kind is Kind.NDARRAY else None)
        shares = spec.shares_memory and explicit is None and device is None and kind is Kind.NDARRAY
        source_node = node.args[0] if node.args else None
        partner = source_node.id if shares and isinstance(source_node, ast.Name) and not _uninitialized(source) else None
        leaf = requires is not None and _literal_true(requires.node)
        result = Value(
            kind=Kind.TENSOR, dtype=dtype, device=device.value.device if device is not None else Device.CPU,
            device_origin=self.it.origin(device.node, "device=") if device is not None and device.value.device in (Device.CUDA, Device.MAYBE_CUDA) else None,
            requires_grad=Tri.YES if leaf else Tri.NO, grad_leaf=leaf, ndim=ndim,
            shares_with=partner, shared_at=site if partner else None,
            origin=self.it.origin(requires.node, "requires_grad=") if leaf and requires is not None else None,
            numpy_source=(_scalars(source.element.origin) if list_of_scalars else source.origin) if (numpy_data or list_of_scalars) else None,  # type: ignore[union-attr]
            conversion=site if numpy_data or list_of_scalars else None,
        )
        self.it.emit(frame, Conversion(site, qual, source, result, frame.context))
        return result

    def torch_factory(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        explicit = _arg(args, None, "dtype")
        device = _arg(args, None, "device")
        requires = _arg(args, None, "requires_grad")
        if device is not None:
            self.place_argument(device, node, frame)
        dtype = api.TORCH_FACTORIES[qual]
        first = _first(args)
        if explicit is not None:
            dtype = self.dtype_of(explicit.value)
        elif qual.endswith("_like"):
            dtype = first.dtype if first.kind is Kind.TENSOR else None
        elif qual in ("torch.arange", "torch.full"):
            kinds = [v.kind for v in _positional(args)] if qual == "torch.arange" else [v.kind for v in _positional(args)[1:2]]
            dtype = api.FLOAT32 if Kind.PY_FLOAT in kinds else (api.INT64 if kinds and all(k is Kind.PY_INT for k in kinds) else None)
        leaf = requires is not None and _literal_true(requires.node)
        return Value(kind=Kind.TENSOR, dtype=dtype, device=device.value.device if device is not None else Device.CPU,
                     requires_grad=Tri.YES if leaf else Tri.NO, grad_leaf=leaf,
                     origin=self.it.origin(requires.node, "requires_grad=") if leaf and requires is not None else None)

    def nn_class(self, name: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        if name == "Parameter":
            data = _first(args)
            return self.parameter(data.dtype if data.kind is Kind.TENSOR else None, None, node, "parameter ",
                                  requires_grad=Tri.YES)
        if name in api.LOSS_MODULES:
            return Value(kind=Kind.LOSS, qualname=name)
        if not name[:1].isupper() or name in api.NON_MODULE_CLASSES:
            return UNKNOWN
        explicit = _arg(args, None, "dtype")
        dtype = self.dtype_of(explicit.value) if explicit is not None else api.FLOAT32
        if name in api.CONTAINER_MODULES:
            members = _positional(args)
            members += [m.element for m in members if m.kind is Kind.SEQUENCE and m.element is not None]
            parametric = Tri.YES if any(m.kind is Kind.MODULE and m.parametric is Tri.YES for m in members) else Tri.UNKNOWN
            return Value(kind=Kind.MODULE, qualname=name, dtype=dtype, parametric=parametric)
        if name in api.PARAMETRIC_MODULES:
            parametric = Tri.YES
        elif name in api.PARAMETER_FREE_MODULES:
            parametric = Tri.NO
        else:
            parametric = Tri.UNKNOWN
        return Value(kind=Kind.MODULE, qualname=name, dtype=dtype, parametric=parametric)

    def propagate(self, name: str, args: Sequence[Arg], frame: Frame) -> Value:
        """A torch function of tensors: keeps dtype/grad/device of its tensor operands."""
        if name in api.INTEGER_RESULTS:
            return Value(kind=Kind.TENSOR, dtype=api.INTEGER_RESULTS[name], requires_grad=Tri.NO)
        if name not in api.TENSOR_PROPAGATING:
            return UNKNOWN
        operands: List[Value] = []
        for arg in args:
            if arg.starred:
                continue
            if arg.keyword is None and arg.value.kind is Kind.SEQUENCE and arg.value.element is not None:
                operands.append(arg.value.element)
            elif arg.keyword in (None, "input"):
                operands.append(arg.value)
        tensors = [v for v in operands if v.kind is Kind.TENSOR]
        if not tensors:
            return UNKNOWN
        first = tensors[0]
        dtype = first.dtype if all(t.dtype == first.dtype for t in tensors) else None
        explicit = _arg(args, None, "dtype")
        if explicit is not None:
            dtype = self.dtype_of(explicit.value)
        grad, origin = self.grad_in_context(*_grad_union(tensors), frame)
        keep = dtype == api.FLOAT64 and all(t.conversion is first.conversion for t in tensors)
        return Value(kind=Kind.TENSOR, dtype=dtype, device=first.device if all(t.device is first.device for t in tensors) else None,
                     requires_grad=grad, origin=origin, device_origin=first.device_origin,
                     conversion=first.conversion if keep else None, numpy_source=first.numpy_source if keep else None)

    # --- method calls -------------------------------------------------------------------

    def call_method(self, receiver: Value, func: ast.Attribute, node: ast.Call, frame: Frame) -> Value:
        name = func.attr
        args = self.args(node, frame)
        # Placement is checked whatever the receiver: `.cuda()` and `.to("cuda")` are torch's,
        # unless the receiver is an object of a plain class of this file that defines the method
        # itself (a remote handle, a wrapper): that body is analyzed on its own. (A Module's own
        # cuda() override still places it: overrides delegate to super().cuda().)
        runs_own_method = (receiver.kind is Kind.INSTANCE and isinstance(receiver.definition, ClassInfo)
                           and receiver.definition.method(name) is not None)
        if name == "cuda" and not runs_own_method:
            self.place(Value(kind=Kind.DEVICE, device=Device.CUDA), self.it.site(func, attr=True), ".cuda()", frame, False)
        elif name == "to" and not runs_own_method:
            for arg in args:
                if arg.keyword in (None, "device") and arg.value.kind in (Kind.DEVICE, Kind.PY_STR):
                    variable = isinstance(arg.node, (ast.Name, ast.Attribute))
                    report = self.it.site(arg.node) if arg.keyword == "device" else self.it.site(func, attr=True)
                    self.place(arg.value, report, ".to(...)", frame, variable)
        kind = receiver.kind
        written = func.value.id if isinstance(func.value, ast.Name) else None
        if kind is Kind.TENSOR and name.endswith("_") and not name.startswith("_") and name not in api.NOT_WRITES:
            if written is not None:
                self.it.in_place(written, node, frame)
            if receiver.param_view:
                self.it.emit(frame, ParameterUpdate(self.it.site(node), frame.context))
        elif kind is Kind.NDARRAY and name in api.NDARRAY_INPLACE and written is not None:
            self.it.in_place(written, node, frame)
        if name in ("append", "insert") and args and args[-1].value.param_view:
            self.it.emit(frame, Snapshot(self.it.site(node), written, args[-1].value, frame.context))
        if kind is Kind.TENSOR:
            return self.tensor_method(receiver, name, func, node, args, frame)
        if kind in (Kind.NDARRAY, Kind.NP_SCALAR):
            result = self.array_method(receiver, name, node, args)
            if name == "setflags" and result.readonly is not Tri.UNKNOWN and isinstance(func.value, ast.Name):
                readonly = result.readonly
                frame.env[func.value.id] = receiver.with_(readonly=readonly, origin=self.it.origin(node) if readonly is Tri.YES else receiver.origin)
                return Value(kind=Kind.NONE)
            return result
        if kind is Kind.MODULE:
            return self.module_method(receiver, name, func, node, args, frame)
        if kind is Kind.LOSS and name == "forward":
            return self.call_loss(node, args, frame, receiver.qualname or "")
        if kind is Kind.INSTANCE and isinstance(receiver.definition, ClassInfo):
            method = receiver.definition.method(name)
            return self.call_function(method, frame, args, True, node) if method is not None else UNKNOWN
        if kind is Kind.SEQUENCE and name in ("append", "extend", "insert"):
            added = args[-1].value if args else UNKNOWN
            if name == "extend":
                added = added.element if added.kind is Kind.SEQUENCE and added.element is not None else UNKNOWN
            if isinstance(func.value, ast.Name):
                frame.env[func.value.id] = Value(kind=Kind.SEQUENCE, element=join_elements(receiver.element, added))
            return Value(kind=Kind.NONE)
        return UNKNOWN

    def tensor_method(self, t: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        if name == "numpy":
            site = self.it.site(func, attr=True)
            self.it.emit(frame, ToNumpy(site, t, ".numpy()", frame.context))
            partner = func.value.id if isinstance(func.value, ast.Name) else None
            return Value(kind=Kind.NDARRAY, dtype=t.dtype, negative_strides=Tri.NO, param_view=t.param_view,
                         shares_with=partner, shared_at=site if partner else None, origin=t.origin if t.param_view else None)
        if name in api.TENSOR_CASTS:
            return self._cast(t, api.TENSOR_CASTS[name])
        if name in ("to", "type"):
            if name == "type" and not args:
                return Value(kind=Kind.PY_STR)
            result = t
            for arg in args:
                value = arg.value
                dtype = self.dtype_of(value)
                if dtype is not None and arg.keyword in (None, "dtype"):
                    result = self._cast(result, dtype)
                    if value.kind is Kind.API and api.TENSOR_TYPES.get(value.qualname or "", ("", False))[1]:
                        self.place(Value(kind=Kind.DEVICE, device=Device.CUDA), self.it.site(func, attr=True),
                                   ".type(torch.cuda...)", frame, False)
                        result = result.with_(device=Device.CUDA)
                elif arg.keyword in (None, "device") and value.kind in (Kind.DEVICE, Kind.PY_STR):
                    moved = value.device in (Device.CUDA, Device.MAYBE_CUDA)
                    result = result.with_(device=value.device,
                                          device_origin=self.it.origin(node, "moved by ") if moved else None)
                elif value.kind is Kind.TENSOR:
                    result = result.with_(dtype=value.dtype, device=value.device, conversion=None, numpy_source=None)
                elif arg.keyword == "device" or _names_a_device(arg.node):
                    result = result.with_(device=None)  # .to(device), .to(args.device): only the device changes
                elif arg.keyword in (None, "dtype") or arg.starred:
                    # an unknown dtype or device: either may have changed
                    result = result.with_(dtype=None, device=None, conversion=None, numpy_source=None)
            return t if result is t else result.with_(shares_with=None)
        if name == "cuda":
            return t.with_(device=Device.CUDA, shares_with=None, param_view=False, device_origin=self.it.origin(node, "moved by "))
        if name == "cpu":
            return t.with_(device=Device.CPU, device_origin=None)
        if name in ("detach", "detach_"):
            return t.with_(requires_grad=Tri.NO, grad_leaf=False, origin=None)
        if name == "requires_grad_":
            enable = _literal_bool_arg(args)
            if enable is False:
                new = t.with_(requires_grad=Tri.NO, grad_leaf=False, origin=None)
            else:
                new = t.with_(requires_grad=Tri.YES, grad_leaf=True, origin=self.it.origin(node))
            if isinstance(func.value, ast.Name):
                frame.env[func.value.id] = new
            return new
        if name == "item":
            return Value(kind=Kind.PY_FLOAT if t.dtype in api.FLOAT_DTYPES else (Kind.PY_INT if t.dtype in api.INT_DTYPES else None))
        if name in api.INTEGER_RESULTS:
            return Value(kind=Kind.TENSOR, dtype=api.INTEGER_RESULTS[name], requires_grad=Tri.NO, device=t.device)
        if name.startswith("new_"):
            return Value(kind=Kind.TENSOR, dtype=t.dtype, device=t.device, requires_grad=Tri.NO)
        if name in api.TENSOR_PROPAGATING:
            operands = _positional(args)
            if name in api.TENSOR_BINARY_METHODS and operands:
                return self.binary(ast.Mult(), t, operands[0], node, frame)
            grad, origin = self.grad_in_context(t.requires_grad, t.origin, frame)
            keeps_shape = name in ("clone", "contiguous")
            return t.with_(ndim=t.ndim if keeps_shape else None, grad_leaf=False, requires_grad=grad,
                           shares_with=None, origin=origin, param_view=t.param_view and name in api.TENSOR_VIEW_METHODS)
        if name.endswith("_") and not name.startswith("_"):
            return t  # in place: the same tensor (see call_method for the write itself)
        return UNKNOWN

    @staticmethod
    def _cast(t: Value, dtype: str) -> Value:
        if dtype not in api.FLOAT_DTYPES:
            return t.with_(dtype=dtype, requires_grad=Tri.NO, grad_leaf=False, origin=None, conversion=None,
                           numpy_source=None, shares_with=None, param_view=False)
        if dtype == t.dtype:
            return t
        return t.with_(dtype=dtype, conversion=None, numpy_source=None, shares_with=None, grad_leaf=False, param_view=False)

    def array_method(self, a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        if name == "astype":
            target = _arg(args, 0, "dtype")
            dtype = self.dtype_of(target.value) if target is not None else None
            origin = a.origin if dtype == a.dtype else self.it.origin(node)
            return Value(kind=a.kind, dtype=dtype, negative_strides=Tri.NO, readonly=Tri.NO, ndim=a.ndim, origin=origin)
        if name == "copy":
            return a.with_(negative_strides=Tri.NO, readonly=Tri.NO, shares_with=None, param_view=False)
        if name == "flatten":
            return a.with_(negative_strides=Tri.NO, readonly=Tri.NO, shares_with=None, ndim=1, param_view=False)
        if name in api.NDARRAY_VIEWS:
            return a.with_(ndim=None, shares_with=None)
        if name in api.NDARRAY_SAME_DTYPE:
            return a.with_(ndim=None, negative_strides=Tri.UNKNOWN, shares_with=None)
        if name in api.NUMPY_REDUCTIONS:
            return self.reduction(name, a, args, node, method=True)
        if name == "item":
            return Value(kind=Kind.PY_FLOAT if a.dtype in api.FLOAT_DTYPES else None)
        if name == "tobytes":
            return Value(kind=Kind.PY_BYTES)
        if name == "setflags":
            write = _arg(args, 0, "write")
            if write is not None and isinstance(write.node, ast.Constant) and isinstance(write.node.value, bool):
                # the caller rebinds the receiver: write=False makes it read-only, write=True writable
                return Value(kind=Kind.NONE, readonly=Tri.NO if write.node.value else Tri.YES)
        return UNKNOWN

    def module_method(self, m: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        if name == "forward":
            return self.call_module(m, node, args, frame)
        if name in api.MODULE_SELF_METHODS:
            result = m
            if name in ("double", "float", "half", "bfloat16"):
                result = m.with_(dtype=api.TENSOR_CASTS[name])
            elif name == "cuda":
                result = m.with_(device=Device.CUDA, device_origin=self.it.origin(node, "model moved by "))
            elif name == "cpu":
                result = m.with_(device=Device.CPU, device_origin=None)
            elif name in ("to", "type"):
                for arg in args:
                    dtype = self.dtype_of(arg.value)
                    if dtype is not None:
                        result = result.with_(dtype=dtype)
                    elif arg.value.kind in (Kind.DEVICE, Kind.PY_STR) and arg.value.device is not None:
                        moved = arg.value.device in (Device.CUDA, Device.MAYBE_CUDA)
                        result = result.with_(device=arg.value.device,
                                              device_origin=self.it.origin(node, "model moved by ") if moved else None)
                    else:
                        result = result.with_(device=None, dtype=None)  # an unknown argument: anything may change
            elif name == "requires_grad_":
                result = m.with_(parametric=Tri.UNKNOWN if _literal_bool_arg(args) is False else m.parametric)
            if isinstance(func.value, ast.Name) and frame.lookup(func.value.id) is not None:
                frame.env[func.value.id] = result  # modules change in place: model.double()
            return result
        if name in api.PARAMETER_ITERATORS:
            param = self.parameter(m.dtype, m.device, node, "parameter from ")
            element = sequence((Value(kind=Kind.PY_STR), param)) if api.PARAMETER_ITERATORS[name] else param
            return Value(kind=Kind.SEQUENCE, element=element)
        cls = m.definition if isinstance(m.definition, ClassInfo) else None
        if cls is not None:
            method = cls.method(name)
            if method is not None:
                as_built = not cls.casts_self and m.dtype == api.FLOAT32
                return self.call_function(method, frame, args, True, node if as_built else None)
        return UNKNOWN

    def parameter(self, dtype: Optional[str], device: Optional[Device], node: ast.AST, label: str,
                  requires_grad: Optional[Tri] = None) -> Value:
        """A module parameter: a leaf that needs grad and whose storage the optimizer updates in place.

        Where the file freezes parameters (`requires_grad_(False)`), neither fact is known: which
        parameters still need grad, and which the optimizer still updates, is decided at run time.
        """
        frozen = self.it.freezes_parameters
        needs = requires_grad if requires_grad is not None else (Tri.UNKNOWN if frozen else Tri.YES)
        return Value(kind=Kind.TENSOR, dtype=dtype, device=device, requires_grad=needs, grad_leaf=True,
                     param_view=not frozen, origin=self.it.origin(node, label))

    # --- placement ----------------------------------------------------------------------

    def place_argument(self, device: Arg, node: ast.Call, frame: Frame) -> None:
        """A ``device=`` argument of a factory or conversion."""
        variable = isinstance(device.node, (ast.Name, ast.Attribute))
        self.place(device.value, self.it.site(device.node), "device=", frame, variable)

    def place(self, device: Value, site, what: str, frame: Frame, through_variable: bool) -> None:  # type: ignore[no-untyped-def]
        if device.device is Device.CUDA:
            self.it.emit(frame, Placement(site, device, through_variable, what, frame.context))


def _mentions_cpu_string(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == "cpu" for n in ast.walk(node))


def _uninitialized(value: Value) -> bool:
    """An array from np.empty: a buffer meant to be filled through its tensor view."""
    if value.origin is None:
        return False
    node = value.origin.site.node
    name = node.attr if isinstance(node, ast.Attribute) else (node.id if isinstance(node, ast.Name) else "")
    return name in ("empty", "empty_like")


def _scalars(origin: Optional[Origin]) -> Optional[Origin]:
    return Origin(api.SCALARS_LABEL, origin.site) if origin is not None else None


def _shape_ndim(qual: str, args: Sequence[Arg]) -> Optional[int]:
    """Dimensions from a shape argument: np.zeros((4, 3)) -> 2, np.random.rand(4, 3) -> 2."""
    positional = [a for a in args if a.keyword is None]
    if qual in ("numpy.random.rand", "numpy.random.randn"):
        if positional and all(a.value.kind is Kind.PY_INT and not a.starred for a in positional):
            return len(positional)
        return None
    shape = _arg(args, 0, "shape")
    if qual.rsplit(".", 1)[-1] in ("zeros", "ones", "empty", "full") and shape is not None:
        if shape.value.kind is Kind.PY_INT:
            return 1
        if isinstance(shape.node, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in shape.node.elts):
            return len(shape.node.elts)
    return None


def _names_a_device(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else (node.attr if isinstance(node, ast.Attribute) else "")
    return "device" in name.lower() or name.lower() in ("dev", "gpu", "rank", "local_rank")


def _negative_literal(node: Optional[ast.expr]) -> bool:
    return (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int))


def _literal_bool_arg(args: Sequence[Arg]) -> Optional[bool]:
    for arg in args:
        if isinstance(arg.node, ast.Constant) and isinstance(arg.node.value, bool):
            return arg.node.value
    return None


def _device_variable(frame: Frame) -> Optional[str]:
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


def _callee_text(node: ast.Call) -> str:
    parts: List[str] = []
    current: ast.expr = node.func
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if isinstance(current, ast.Name):
        parts.append(current.id)
    return ".".join(reversed(parts))
