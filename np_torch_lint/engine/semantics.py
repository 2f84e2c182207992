"""Expression semantics: what each expression evaluates to, and the events it raises.

Everything API-specific is looked up in ``api.py``; this module only knows how
to read a call's arguments and combine facts (dtype promotion, grad
propagation, devices, memory sharing).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

import libcst as cst

from . import api
from .events import Conversion, ModelInput, Placement, ToNumpy
from .scope import ClassInfo, Frame, FunctionInfo
from .walk import child_nodes, descendants
from .values import UNKNOWN, Device, Kind, Origin, Site, Tri, Value, join, join_elements, sequence

if TYPE_CHECKING:
    from .interpreter import Interpreter

Args = List[Tuple[Optional[str], Value, cst.Arg]]  # (keyword or None, value, node)

_CUDA_WORDS = ("cuda", "gpu")


def _device_of_string(text: str) -> Optional[Device]:
    if text.startswith("cuda"):
        return Device.CUDA
    if text == "cpu":
        return Device.CPU
    return None


def _arg(args: Args, pos: Optional[int], keyword: str) -> Optional[Tuple[Value, cst.Arg]]:
    for kw, value, node in args:
        if kw == keyword:
            return value, node
    if pos is not None:
        positional = [(v, n) for kw, v, n in args if kw is None and n.star == ""]
        if pos < len(positional):
            return positional[pos]
    return None


def _first_positional(args: Args) -> Value:
    for kw, value, node in args:
        if kw is None and node.star == "":
            return value
    return UNKNOWN


def _grad_union(values: Sequence[Value]) -> Tuple[Tri, Optional[Origin]]:
    """A result needs grad if any operand does; not if all are known not to."""
    tensors = [v for v in values if v.kind is Kind.TENSOR]
    for value in tensors:
        if value.requires_grad is Tri.YES:
            return Tri.YES, value.origin
    others_known = all(v.kind in (Kind.TENSOR, Kind.PY_FLOAT, Kind.PY_INT, Kind.PY_BOOL, Kind.NDARRAY, Kind.NP_SCALAR) for v in values)
    if tensors and others_known and all(v.requires_grad is Tri.NO for v in tensors):
        return Tri.NO, None
    return Tri.UNKNOWN, None


def numpy_result_dtype(a: Value, b: Value, op: str) -> Optional[str]:
    """NumPy 2 (NEP 50) promotion, for the cases this linter needs."""
    if op in ("Divide",) and a.dtype in api.INT_DTYPES | {None} and b.dtype in api.INT_DTYPES | {None}:
        ints = [v for v in (a, b) if v.kind in (Kind.NDARRAY, Kind.NP_SCALAR) and v.dtype in api.INT_DTYPES]
        ints += [v for v in (a, b) if v.kind is Kind.PY_INT]
        return api.FLOAT64 if len(ints) == 2 else None
    arrays = [v for v in (a, b) if v.kind in (Kind.NDARRAY, Kind.NP_SCALAR)]
    pythons = [v for v in (a, b) if v.kind in (Kind.PY_INT, Kind.PY_FLOAT, Kind.PY_BOOL)]
    if len(arrays) == 2:
        if a.dtype == b.dtype:
            return a.dtype
        if api.FLOAT64 in (a.dtype, b.dtype) and None not in (a.dtype, b.dtype) and "complex" not in str(a.dtype) + str(b.dtype):
            return api.FLOAT64
        return None
    if len(arrays) == 1 and len(pythons) == 1:
        array, python = arrays[0], pythons[0]
        if array.dtype in api.FLOAT_DTYPES:
            return array.dtype  # Python scalars are "weak": float32 stays float32
        if array.dtype in api.INT_DTYPES and python.kind is Kind.PY_FLOAT:
            return api.FLOAT64
        if array.dtype in api.INT_DTYPES and python.kind is Kind.PY_INT:
            return array.dtype
    return None


def torch_result_dtype(a: Value, b: Value) -> Tuple[Optional[str], Optional[Value]]:
    """torch promotion; returns the dtype and the operand it came from."""
    tensors = [v for v in (a, b) if v.kind is Kind.TENSOR]
    if len(tensors) == 2:
        if a.dtype == b.dtype:
            return a.dtype, a
        if None in (a.dtype, b.dtype):
            return None, None
        # A 0-d operand does not promote a dimensioned one of the same category.
        for zero_d, other in ((a, b), (b, a)):
            if zero_d.ndim == 0 and other.ndim not in (0, None):
                if zero_d.dtype in api.FLOAT_DTYPES and other.dtype in api.FLOAT_DTYPES:
                    return other.dtype, other
                return None, None
        if a.ndim is None or b.ndim is None:
            # Either may be 0-d: the result dtype depends on shapes we do not know.
            if a.ndim != 0 and b.ndim != 0 and (a.ndim is None) != (b.ndim is None):
                pass
            if api.FLOAT64 in (a.dtype, b.dtype):
                winner = a if a.dtype == api.FLOAT64 else b
                if winner.ndim is None or winner.ndim > 0:
                    loser = b if winner is a else a
                    if loser.ndim is not None and loser.ndim > 0:
                        return api.FLOAT64, winner
            return None, None
        if api.FLOAT64 in (a.dtype, b.dtype):
            return api.FLOAT64, a if a.dtype == api.FLOAT64 else b
        return None, None
    if len(tensors) == 1:
        tensor = tensors[0]
        other = b if tensor is a else a
        if other.kind in (Kind.PY_FLOAT, Kind.PY_INT, Kind.PY_BOOL):
            if tensor.dtype in api.FLOAT_DTYPES:
                return tensor.dtype, tensor
            if other.kind is Kind.PY_INT and tensor.dtype in api.INT_DTYPES:
                return tensor.dtype, tensor
    return None, None


class Semantics:
    def __init__(self, interpreter: "Interpreter") -> None:
        self.it = interpreter

    # --- the dispatcher ---------------------------------------------------------------

    def eval(self, node: cst.BaseExpression, frame: Frame) -> Value:
        if isinstance(node, cst.Name):
            return self.name(node.value, frame)
        if isinstance(node, cst.Attribute):
            return self.attribute(node, frame)
        if isinstance(node, cst.Call):
            return self.call(node, frame)
        if isinstance(node, cst.Integer):
            return Value(kind=Kind.PY_INT)
        if isinstance(node, cst.Float):
            return Value(kind=Kind.PY_FLOAT)
        if isinstance(node, cst.SimpleString):
            text = node.evaluated_value if isinstance(node.evaluated_value, str) else ""
            return Value(kind=Kind.PY_STR, qualname=text, device=_device_of_string(text),
                         origin=self.it.origin(frame, node))
        if isinstance(node, (cst.List, cst.Tuple)):
            items = []
            starred = False
            for element in node.elements:
                value = self.eval(element.value, frame)
                if isinstance(element, cst.StarredElement):
                    starred = True
                items.append(value)
            if starred:
                return Value(kind=Kind.SEQUENCE)
            return sequence(tuple(items))
        if isinstance(node, cst.BinaryOperation):
            left = self.eval(node.left, frame)
            right = self.eval(node.right, frame)
            return self.binary(type(node.operator).__name__, left, right, node, frame)
        if isinstance(node, cst.UnaryOperation):
            operand = self.eval(node.expression, frame)
            if isinstance(node.operator, cst.Not):
                return Value(kind=Kind.PY_BOOL)
            if isinstance(node.operator, cst.Minus) and operand.kind in (Kind.PY_INT, Kind.PY_FLOAT):
                return Value(kind=operand.kind)
            return operand if operand.kind in (Kind.TENSOR, Kind.NDARRAY) else UNKNOWN
        if isinstance(node, cst.Comparison):
            values = [self.eval(node.left, frame)] + [self.eval(c.comparator, frame) for c in node.comparisons]
            if any(v.kind is Kind.TENSOR for v in values):
                return Value(kind=Kind.TENSOR, dtype=api.BOOL, requires_grad=Tri.NO)
            if any(v.kind is Kind.NDARRAY for v in values):
                return Value(kind=Kind.NDARRAY, dtype=api.BOOL)
            return Value(kind=Kind.PY_BOOL)
        if isinstance(node, cst.Subscript):
            return self.subscript(node, frame)
        if isinstance(node, cst.IfExp):
            self.eval(node.test, frame)
            guard = self.is_cuda_test(node.test, frame)
            body = self.eval(node.body, frame.fork(cuda_guarded=True) if guard is True else frame)
            orelse = self.eval(node.orelse, frame.fork(cuda_guarded=True) if guard is False else frame)
            return join(body, orelse)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            inner = frame.fork()
            self.comprehension(node.for_in, inner)
            return Value(kind=Kind.SEQUENCE, element=self.eval(node.elt, inner))
        if isinstance(node, cst.DictComp):
            inner = frame.fork()
            self.comprehension(node.for_in, inner)
            self.eval(node.key, inner)
            self.eval(node.value, inner)
            return UNKNOWN
        if isinstance(node, cst.NamedExpr):
            value = self.eval(node.value, frame)
            self.it.bind(node.target, value, frame)
            return value
        if isinstance(node, cst.Lambda):
            inner = frame.fork()
            for param in node.params.params:
                inner.env[param.name.value] = UNKNOWN
            self.eval(node.body, inner)
            return UNKNOWN
        if isinstance(node, cst.BooleanOperation):
            self.eval(node.left, frame)
            self.eval(node.right, frame)
            return UNKNOWN
        # Anything else (dicts, f-strings, await, yield, starred...): look inside for sinks.
        for child in child_nodes(node):
            if isinstance(child, cst.BaseExpression):
                self.eval(child, frame)
            else:
                for grandchild in child_nodes(child):
                    if isinstance(grandchild, cst.BaseExpression):
                        self.eval(grandchild, frame)
        return UNKNOWN

    def comprehension(self, for_in: cst.CompFor, frame: Frame) -> None:
        element = self.element_of(self.eval(for_in.iter, frame))
        self.it.bind(for_in.target, element, frame)
        for condition in for_in.ifs:
            self.eval(condition.test, frame)
        if for_in.inner_for_in is not None:
            self.comprehension(for_in.inner_for_in, frame)

    def name(self, name: str, frame: Frame) -> Value:
        value = frame.lookup(name)
        if value is not None:
            return value
        if name in ("True", "False"):
            return Value(kind=Kind.PY_BOOL)
        if name == "None":
            return Value(kind=Kind.NONE)
        if name in {"float", "int", "bool", "list", "tuple", "len", "range", "enumerate", "zip",
                    "exit", "quit", "sum", "min", "max", "abs", "sorted", "reversed", "super"}:
            return Value(kind=Kind.API, qualname="builtins." + name)
        return UNKNOWN

    # --- attributes and subscripts ----------------------------------------------------

    def attribute(self, node: cst.Attribute, frame: Frame) -> Value:
        base = self.eval(node.value, frame)
        attr = node.attr.value
        if base.kind is Kind.API:
            return Value(kind=Kind.API, qualname=f"{base.qualname}.{attr}")
        if base.kind is Kind.TENSOR:
            if attr == "data":
                return base.with_(requires_grad=Tri.NO, grad_leaf=False, origin=None)
            if attr == "grad":
                return base.with_(requires_grad=Tri.NO, grad_leaf=False, origin=None, conversion=None, numpy_source=None)
            if attr in api.TENSOR_VIEW_ATTRS:
                return base
            return UNKNOWN
        if base.kind is Kind.NDARRAY:
            if attr in api.NDARRAY_VIEW_ATTRS:
                return base.with_(shares_with=None)
            return UNKNOWN
        if base.kind in (Kind.MODULE, Kind.INSTANCE):
            cls = base.definition if isinstance(base.definition, ClassInfo) else None
            if cls is not None:
                sink = frame.attr_sink if frame.self_name is not None and isinstance(node.value, cst.Name) and node.value.value == frame.self_name else None
                if sink is not None and attr in sink:
                    return sink[attr]
                value = self.it.class_attrs(cls).get(attr)
                if value is not None:
                    return value
                method = cls.method(attr)
                if method is not None:
                    return Value(kind=Kind.FUNCTION, qualname=method.qualname, definition=method)
                return UNKNOWN
            if base.kind is Kind.MODULE and attr in api.PARAMETER_ATTRS and base.qualname in api.PARAMETRIC_MODULES:
                return Value(kind=Kind.TENSOR, dtype=base.dtype, device=base.device, requires_grad=Tri.YES,
                             grad_leaf=True, origin=self.it.origin(frame, node, "parameter "))
        if base.kind is Kind.CLASS and isinstance(base.definition, ClassInfo):
            value = base.definition.class_attrs.get(attr)
            return value if value is not None else UNKNOWN
        return UNKNOWN

    def subscript(self, node: cst.Subscript, frame: Frame) -> Value:
        base = self.eval(node.value, frame)
        indices = [self.it.eval_slice(element.slice, frame) for element in node.slice]
        slices = [element.slice for element in node.slice]
        if base.kind is Kind.TENSOR:
            return base.with_(ndim=None, shares_with=None)
        if base.kind is Kind.SEQUENCE:
            if len(slices) == 1 and isinstance(slices[0], cst.Index) and isinstance(slices[0].value, cst.Integer) and base.elements is not None:
                i = int(slices[0].value.value, 0)
                if -len(base.elements) <= i < len(base.elements):
                    return base.elements[i]
            if len(slices) == 1 and isinstance(slices[0], cst.Index):
                return base.element or UNKNOWN
            return Value(kind=Kind.SEQUENCE, element=base.element)
        if base.kind is Kind.NDARRAY:
            flips = any(isinstance(s, cst.Slice) and _negative_literal(s.step) for s in slices)
            has_slice = any(isinstance(s, cst.Slice) or (isinstance(s, cst.Index) and isinstance(s.value, cst.Ellipsis)) for s in slices)
            advanced = any(v.kind in (Kind.NDARRAY, Kind.SEQUENCE, Kind.TENSOR) for v in indices)
            result = base.with_(ndim=None, shares_with=None)
            if flips and not advanced:
                return result.with_(negative_strides=Tri.YES, origin=self.it.origin(frame, node))
            if advanced:
                return result.with_(negative_strides=Tri.NO, readonly=Tri.NO)
            if has_slice:
                return result  # a view: keeps the strides' sign of the base
            if base.ndim is not None and len(slices) < base.ndim:
                # Fewer indices than dimensions: an array whatever they are (ints, arrays, slices);
                # the sign of its strides is the base's unless an index is a (copying) array.
                known_ints = all(v.kind is Kind.PY_INT for v in indices)
                return result.with_(ndim=base.ndim - len(slices) if known_ints else None,
                                    negative_strides=base.negative_strides if known_ints or base.negative_strides is Tri.NO else Tri.UNKNOWN)
            ints = all(isinstance(s, cst.Index) and v.kind is Kind.PY_INT for s, v in zip(slices, indices))
            if ints and base.ndim is not None and len(slices) >= base.ndim:
                return Value(kind=Kind.NP_SCALAR, dtype=base.dtype, ndim=0, origin=base.origin)
            if ints and base.ndim is not None:
                return result.with_(ndim=base.ndim - len(slices))
            # Row or scalar, we cannot tell: keep the dtype, forget the kind.
            return Value(dtype=base.dtype, origin=base.origin)
        return UNKNOWN

    # --- operators ----------------------------------------------------------------------

    def binary(self, op: str, left: Value, right: Value, node: cst.CSTNode, frame: Frame) -> Value:
        if Kind.TENSOR in (left.kind, right.kind):
            if left.kind is Kind.TENSOR and right.kind is Kind.TENSOR:
                for a, b in ((left, right), (right, left)):
                    self.it.emit(frame, ModelInput("op", self.it.site(frame, node), a, True, (b,), None, frame.context))
            dtype, source = torch_result_dtype(left, right)
            grad, grad_origin = _grad_union([left, right])
            grad = self.grad_in_context(grad, frame)
            tensor = left if left.kind is Kind.TENSOR else right
            return Value(
                kind=Kind.TENSOR, dtype=dtype, device=join(left, right).device if left.kind is right.kind else tensor.device,
                requires_grad=grad, origin=grad_origin if grad is Tri.YES else None,
                ndim=None if left.kind is right.kind else tensor.ndim,
                conversion=source.conversion if source is not None and dtype == api.FLOAT64 else None,
                numpy_source=source.numpy_source if source is not None and dtype == api.FLOAT64 else None,
            )
        if left.kind in (Kind.NDARRAY, Kind.NP_SCALAR) or right.kind in (Kind.NDARRAY, Kind.NP_SCALAR):
            dtype = numpy_result_dtype(left, right, op)
            is_array = Kind.NDARRAY in (left.kind, right.kind)
            source = left if left.kind in (Kind.NDARRAY, Kind.NP_SCALAR) else right
            return Value(kind=Kind.NDARRAY if is_array else Kind.NP_SCALAR, dtype=dtype,
                         negative_strides=Tri.NO if is_array else Tri.UNKNOWN, readonly=Tri.NO,
                         ndim=0 if not is_array else None, origin=source.origin if dtype == source.dtype else self.it.origin(frame, node))
        if left.kind in (Kind.PY_INT, Kind.PY_FLOAT) and right.kind in (Kind.PY_INT, Kind.PY_FLOAT):
            if op == "Divide" or Kind.PY_FLOAT in (left.kind, right.kind):
                return Value(kind=Kind.PY_FLOAT)
            return Value(kind=Kind.PY_INT)
        return UNKNOWN

    def grad_in_context(self, grad: Tri, frame: Frame) -> Tri:
        """A result computed now needs grad only if grad mode is on."""
        if grad is Tri.YES and frame.context.grad is not Tri.YES:
            return Tri.NO if frame.context.grad is Tri.NO else Tri.UNKNOWN
        return grad

    def element_of(self, value: Value) -> Value:
        if value.kind is Kind.SEQUENCE:
            return value.element or UNKNOWN
        if value.kind is Kind.TENSOR:
            return value.with_(ndim=None)
        return UNKNOWN

    # --- guards -------------------------------------------------------------------------

    def is_cuda_test(self, node: cst.BaseExpression, frame: Frame) -> Optional[bool]:
        """True: the test holds only where CUDA is usable; False: only where it is not."""
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            inner = self.is_cuda_test(node.expression, frame)
            return None if inner is None else not inner
        if isinstance(node, cst.BooleanOperation):
            left, right = self.is_cuda_test(node.left, frame), self.is_cuda_test(node.right, frame)
            if isinstance(node.operator, cst.And):
                return True if True in (left, right) else None
            return False if False in (left, right) else None
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            comparison = node.comparisons[0]
            inner = self.is_cuda_test(node.left, frame)
            op = comparison.operator
            if inner is not None and isinstance(comparison.comparator, cst.Integer) and comparison.comparator.value == "0":
                if isinstance(op, (cst.GreaterThan, cst.NotEqual)):
                    return inner
                if isinstance(op, (cst.Equal, cst.LessThanEqual)):
                    return not inner
            if inner is None and self._mentions_cuda(node, frame):
                if isinstance(op, (cst.Equal, cst.In, cst.Is)):
                    return True
                if isinstance(op, (cst.NotEqual, cst.NotIn, cst.IsNot)):
                    return False
            return inner
        if isinstance(node, cst.Call):
            callee = self.eval(node.func, frame)
            if callee.kind is Kind.API and callee.qualname in api.CUDA_PROBES:
                return True
        if self._mentions_cuda(node, frame):
            return True
        return None

    def _mentions_cuda(self, node: cst.CSTNode, frame: Frame) -> bool:
        """A flag named for CUDA/GPU (args.cuda, use_gpu, device.type == "cuda") or set from a probe."""
        for current in (node, *descendants(node)):
            if isinstance(current, cst.Name):
                if any(word in current.value.lower() for word in _CUDA_WORDS):
                    return True
                value = frame.lookup(current.value)
                if value is not None and value.kind is Kind.PY_BOOL and value.qualname in api.CUDA_PROBES:
                    return True
            elif isinstance(current, cst.SimpleString) and "cuda" in current.value:
                return True
        return False

    # --- calls --------------------------------------------------------------------------

    def args(self, node: cst.Call, frame: Frame) -> Args:
        out: Args = []
        for arg in node.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            out.append((keyword, self.eval(arg.value, frame), arg))
        return out

    def call(self, node: cst.Call, frame: Frame) -> Value:
        func = node.func
        if isinstance(func, cst.Attribute):
            receiver = self.eval(func.value, frame)
            if receiver.kind is Kind.API:
                return self.call_api(f"{receiver.qualname}.{func.attr.value}", node, frame)
            if self._stored_attribute(receiver, func.attr.value, func, frame):
                # self.fc(x), self.loss_fn(a, b): a value stored on the object, then called.
                return self.call_value(self.attribute(func, frame), node, frame)
            return self.call_method(receiver, func, node, frame)
        callee = self.eval(func, frame)
        if callee.kind is Kind.API and callee.qualname is not None:
            return self.call_api(callee.qualname, node, frame)
        return self.call_value(callee, node, frame)

    def _stored_attribute(self, receiver: Value, attr: str, func: cst.Attribute, frame: Frame) -> bool:
        if receiver.kind not in (Kind.MODULE, Kind.INSTANCE) or not isinstance(receiver.definition, ClassInfo):
            return False
        if frame.attr_sink is not None and attr in frame.attr_sink:
            return True
        return attr in self.it.class_attrs(receiver.definition)

    def call_value(self, callee: Value, node: cst.Call, frame: Frame) -> Value:
        args = self.args(node, frame)
        if callee.kind is Kind.FUNCTION and isinstance(callee.definition, FunctionInfo):
            return self.call_function(callee.definition, frame)
        if callee.kind is Kind.CLASS and isinstance(callee.definition, ClassInfo):
            return self.it.instance_value(callee.definition)
        if callee.kind is Kind.MODULE:
            return self.call_module(callee, node, args, frame)
        if callee.kind is Kind.LOSS:
            return self.call_loss(node, args, frame)
        return UNKNOWN

    def call_function(self, info: FunctionInfo, frame: Frame) -> Value:
        self.it.record_call(info.qualname, frame)
        result = self.it.summary(info)
        if result.kind is Kind.TENSOR and not result.grad_leaf:
            result = result.with_(requires_grad=self.grad_in_context(result.requires_grad, frame))
        return result

    def call_module(self, module: Value, node: cst.Call, args: Args, frame: Frame) -> Value:
        site = self.it.site(frame, node)
        for kw, value, arg in args:
            self.it.emit(frame, ModelInput("module", site, value, True, (), module, frame.context))
        cls = module.definition if isinstance(module.definition, ClassInfo) else None
        if cls is not None:
            forward = cls.method("forward")
            if forward is None:
                return UNKNOWN
            result = self.call_function(forward, frame)
            if result.kind is Kind.TENSOR and result.dtype == api.FLOAT32 and module.dtype != api.FLOAT32:
                # forward was summarized for a float32 module; this one was moved (model.double()).
                result = result.with_(dtype=module.dtype)
            return result
        name = module.qualname or ""
        if name in api.TUPLE_OUTPUT_MODULES:
            return UNKNOWN
        if module.parametric is Tri.YES:
            return Value(kind=Kind.TENSOR, dtype=module.dtype, device=module.device,
                         requires_grad=self.grad_in_context(Tri.YES, frame),
                         origin=self.it.origin(frame, node, "output of "))
        if module.parametric is Tri.NO:
            first = _first_positional(args)
            return first if first.kind is Kind.TENSOR else UNKNOWN
        return UNKNOWN

    def call_loss(self, node: cst.Call, args: Args, frame: Frame) -> Value:
        site = self.it.site(frame, node)
        values = [v for kw, v, a in args if kw in (None, "input", "target")]
        for i, value in enumerate(values):
            others = tuple(v for j, v in enumerate(values) if j != i)
            self.it.emit(frame, ModelInput("loss", site, value, True, others, None, frame.context))
        grad, _ = _grad_union(values)
        grad = self.grad_in_context(grad, frame)
        dtype = api.FLOAT64 if any(v.kind is Kind.TENSOR and v.dtype == api.FLOAT64 and v.ndim != 0 for v in values) else None
        if dtype is None and values and all(v.kind is Kind.TENSOR and v.dtype == api.FLOAT32 for v in values):
            dtype = api.FLOAT32
        return Value(kind=Kind.TENSOR, dtype=dtype, ndim=0, requires_grad=grad,
                     origin=self.it.origin(frame, node, "loss ") if grad is Tri.YES else None)

    # --- calls of NumPy / torch by qualified name ---------------------------------------

    def call_api(self, qual: str, node: cst.Call, frame: Frame) -> Value:
        args = self.args(node, frame)
        if qual in api.CONVERSIONS:
            return self.conversion(qual, node, args, frame)
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
                    maker = api.ArrayMaker(maker.dtype, dtype_pos=None)
                return self.array_maker(qual, maker, node, args, frame, dtype_keyword="dtype")
        if qual.startswith("numpy."):
            return self.numpy_function(qual[len("numpy."):], node, args, frame)
        if qual in api.TORCH_FACTORIES:
            return self.torch_factory(qual, node, args, frame)
        if qual == "torch.device":
            first = _first_positional(args)
            device = first.device if first.kind in (Kind.PY_STR, Kind.DEVICE) else None
            return Value(kind=Kind.DEVICE, device=device, origin=first.origin if first.kind is Kind.PY_STR else self.it.origin(frame, node))
        if qual in api.CUDA_PROBES:
            return Value(kind=Kind.PY_BOOL, qualname=qual)
        if qual in api.DEFAULT_DTYPE_SETTERS:
            value = _first_positional(args)
            if self.dtype_of(value) == api.FLOAT64:
                self.it.default_float64 = True
            return UNKNOWN
        if qual in api.DEFAULT_DEVICE_SETTERS:
            value = _first_positional(args)
            if value.device is Device.CUDA or (value.kind is Kind.API and value.qualname in api.TENSOR_TYPES and api.TENSOR_TYPES[value.qualname][1]):
                self.place(value if value.device is Device.CUDA else Value(kind=Kind.DEVICE, device=Device.CUDA),
                           node.args[0] if node.args else node, f"{qual}(...)", frame, node)
            return UNKNOWN
        if qual in api.TENSOR_TYPES and api.TENSOR_TYPES[qual][1]:
            dtype, _ = api.TENSOR_TYPES[qual]
            self.place(Value(kind=Kind.DEVICE, device=Device.CUDA), node, qual, frame, node)
            return Value(kind=Kind.TENSOR, dtype=dtype, device=Device.CUDA, requires_grad=Tri.NO)
        if qual.startswith("torch.nn.functional."):
            name = qual[len("torch.nn.functional."):]
            if name in api.FUNCTIONAL_LOSSES:
                return self.call_loss(node, args, frame)
            return self.propagate(name, args, frame, node)
        if qual.startswith("torch.nn.") and qual.count(".") == 2:
            return self.nn_class(qual[len("torch.nn."):], args, frame, node)
        if qual.startswith("torch."):
            name = qual[len("torch."):]
            if qual in api.PROMOTING_FUNCTIONS:
                positional = [v for kw, v, a in args if kw is None]
                if len(positional) >= 2:
                    return self.binary("Multiply", positional[0], positional[1], node, frame)
            return self.propagate(name, args, frame, node)
        if qual.startswith("builtins."):
            return self.builtin(qual[len("builtins."):], args)
        return UNKNOWN

    def builtin(self, name: str, args: Args) -> Value:
        first = _first_positional(args)
        if name == "float":
            return Value(kind=Kind.PY_FLOAT)
        if name in ("int", "len"):
            return Value(kind=Kind.PY_INT)
        if name in ("list", "tuple", "sorted", "reversed") and first.kind is Kind.SEQUENCE:
            return Value(kind=Kind.SEQUENCE, element=first.element)
        if name == "range":
            return Value(kind=Kind.SEQUENCE, element=Value(kind=Kind.PY_INT))
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
        if value.kind is Kind.DTYPE:
            return value.dtype
        return None

    def data_dtype(self, value: Value) -> Tuple[Optional[str], Optional[Kind]]:
        """The dtype NumPy/torch infer from data: an array, a scalar, a list of literals."""
        if value.kind in (Kind.NDARRAY, Kind.NP_SCALAR, Kind.TENSOR):
            return value.dtype, value.kind
        if value.kind is None and value.dtype is not None:
            return value.dtype, None
        if value.kind is Kind.PY_FLOAT:
            return "pyfloat", Kind.PY_FLOAT
        if value.kind is Kind.SEQUENCE:
            element = value.element
            if element is None:
                return None, Kind.SEQUENCE
            inner, inner_kind = self.data_dtype(element)
            return inner, Kind.SEQUENCE
        if value.kind is Kind.PY_INT:
            return "pyint", Kind.PY_INT
        return None, None

    def array_maker(self, qual: str, maker: api.ArrayMaker, node: cst.Call, args: Args, frame: Frame,
                    dtype_keyword: str = "dtype") -> Value:
        explicit = _arg(args, maker.dtype_pos, dtype_keyword)
        data = _first_positional(args)
        if maker.from_data and qual.split(".")[-1] in ("array", "asarray", "asanyarray", "ascontiguousarray", "stack",
                                                      "concatenate", "vstack", "hstack"):
            self.to_numpy_sink(data, node, qual, frame)
        dtype: Optional[str]
        if explicit is not None:
            dtype = self.dtype_of(explicit[0])
        elif maker.from_data:
            inner, kind = self.data_dtype(data)
            if inner == "pyfloat":
                dtype = api.FLOAT64
            elif inner == "pyint":
                dtype = api.INT64
            else:
                dtype = inner
        elif qual.endswith(".full"):
            fill = _arg(args, 1, "fill_value")
            dtype = api.FLOAT64 if fill is not None and fill[0].kind is Kind.PY_FLOAT else (
                api.INT64 if fill is not None and fill[0].kind is Kind.PY_INT else None)
        elif qual.endswith(".arange"):
            kinds = [v.kind for kw, v, a in args if kw is None]
            dtype = api.FLOAT64 if Kind.PY_FLOAT in kinds else (api.INT64 if kinds and all(k is Kind.PY_INT for k in kinds) else None)
        else:
            dtype = maker.dtype
        origin = self.it.origin(frame, node.func)
        ndim = _shape_ndim(qual, args) if not maker.from_data else None
        if maker.scalar:
            if data.kind is Kind.NDARRAY:
                return data.with_(dtype=dtype, negative_strides=Tri.NO, origin=origin)
            if data.kind in (Kind.PY_FLOAT, Kind.PY_INT, Kind.NP_SCALAR):
                return Value(kind=Kind.NP_SCALAR, dtype=dtype, ndim=0, origin=origin)
            return Value(dtype=dtype, origin=origin)
        if maker.flips:
            k = _arg(args, 1, "k")
            if qual.endswith("rot90") and k is not None and isinstance(k[1].value, cst.Integer) and int(k[1].value.value, 0) % 4 == 0:
                return data if data.kind is Kind.NDARRAY else UNKNOWN
            if data.kind is not Kind.NDARRAY:
                return Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.YES, origin=origin)
            return data.with_(negative_strides=Tri.YES, origin=origin, shares_with=None)
        if maker.from_data and not maker.copies and data.kind is Kind.NDARRAY and explicit is None:
            return data  # np.asarray(array): the same array
        if maker.from_data and data.kind is Kind.NDARRAY and explicit is None:
            origin = data.origin  # a copy of known data: keep where the dtype came from
        return Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.NO, readonly=Tri.NO,
                     ndim=data.ndim if maker.from_data and data.kind is Kind.NDARRAY else ndim, origin=origin)

    def numpy_function(self, name: str, node: cst.Call, args: Args, frame: Frame) -> Value:
        first = _first_positional(args)
        qual = "numpy." + name
        if qual in api.NUMPY_CONSUMERS:
            self.to_numpy_sink(first, node, qual, frame)
        if name in api.NUMPY_REDUCTIONS:
            return self.reduction(name, first, args, frame, node)
        if first.kind not in (Kind.NDARRAY, Kind.NP_SCALAR):
            return UNKNOWN
        if name in api.NUMPY_FLOAT_UFUNCS:
            dtype = api.FLOAT64 if first.dtype in api.INT_DTYPES else first.dtype
            return Value(kind=first.kind, dtype=dtype, negative_strides=Tri.NO, origin=self.it.origin(frame, node.func))
        if name in api.NUMPY_DTYPE_KEEPING:
            return first.with_(negative_strides=Tri.UNKNOWN if name not in ("transpose", "squeeze", "swapaxes", "expand_dims", "moveaxis") else first.negative_strides, shares_with=None)
        return UNKNOWN

    def reduction(self, name: str, first: Value, args: Args, frame: Frame, node: cst.CSTNode, method: bool = False) -> Value:
        """np.mean(a) / a.mean(): a NumPy scalar, or an array when an axis is given."""
        if first.kind not in (Kind.NDARRAY, Kind.NP_SCALAR):
            return UNKNOWN
        dtype = first.dtype
        if api.NUMPY_REDUCTIONS.get(name) and dtype in api.INT_DTYPES | {"bool"}:
            dtype = api.FLOAT64
        explicit = _arg(args, None, "dtype")
        if explicit is not None:
            dtype = self.dtype_of(explicit[0])
        positional_axis = [a for kw, v, a in args if kw is None][0 if method else 1:]
        has_axis = _arg(args, None, "axis") is not None or bool(positional_axis)
        origin = first.origin if dtype == first.dtype else self.it.origin(frame, node)
        if has_axis:
            return Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.NO, origin=origin)
        return Value(kind=Kind.NP_SCALAR, dtype=dtype, ndim=0, origin=origin)

    def to_numpy_sink(self, value: Value, node: cst.Call, qual: str, frame: Frame) -> None:
        via = "np." + qual.split(".", 1)[1]
        if value.kind is Kind.TENSOR:
            self.it.emit(frame, ToNumpy(self.it.site(frame, node), value, via + "()", frame.context))
        elif value.kind is Kind.SEQUENCE and value.element is not None and value.element.kind is Kind.TENSOR:
            self.it.emit(frame, ToNumpy(self.it.site(frame, node), value.element, via + "() of a list of tensors", frame.context))

    def conversion(self, qual: str, node: cst.Call, args: Args, frame: Frame) -> Value:
        spec = api.CONVERSIONS[qual]
        source = _first_positional(args)
        explicit_dtype = _arg(args, spec.dtype_pos, "dtype") if spec.dtype_pos is not None else None
        device_arg = _arg(args, spec.device_pos, "device") if spec.device_pos is not None else None
        requires = _arg(args, None, "requires_grad")
        site = self.it.site(frame, node)
        if device_arg is not None:
            self.place(device_arg[0], device_arg[1], "device=", frame, device_arg[1])
        inner, kind = self.data_dtype(source)
        numpy_data = kind in (Kind.NDARRAY, Kind.NP_SCALAR, None) and inner is not None and source.kind is not Kind.TENSOR
        if kind is Kind.SEQUENCE and source.element is not None and source.element.kind in (Kind.NP_SCALAR, Kind.NDARRAY):
            numpy_data = True  # torch.tensor([np.float64(a), b.mean()])
        if spec.legacy_dtype is not None:
            dtype: Optional[str] = spec.legacy_dtype
        elif explicit_dtype is not None:
            dtype = self.dtype_of(explicit_dtype[0])
        elif inner in ("pyfloat",):
            dtype = api.FLOAT32  # Python floats become the default float dtype
        elif inner == "pyint":
            dtype = api.INT64
        else:
            dtype = inner
        if qual == "torch.from_numpy" and kind is None and inner is not None:
            kind = Kind.NDARRAY  # from_numpy accepts only arrays: it ran, so it was one
        ndim: Optional[int] = None
        if source.kind is Kind.NP_SCALAR:
            ndim = 0
        elif kind is Kind.NDARRAY:
            ndim = source.ndim
        shares = spec.shares_memory and explicit_dtype is None and device_arg is None and kind is Kind.NDARRAY
        grad = Tri.NO
        leaf = False
        if requires is not None and isinstance(requires[1].value, cst.Name) and requires[1].value.value == "True":
            grad, leaf = Tri.YES, True
        result = Value(
            kind=Kind.TENSOR, dtype=dtype, device=device_arg[0].device if device_arg is not None else Device.CPU,
            requires_grad=grad, grad_leaf=leaf, ndim=ndim,
            shares_with=source.shares_with if shares else None,
            origin=self.it.origin(frame, requires[1], "") if leaf and requires is not None else None,
            numpy_source=source.origin if numpy_data else None,
            conversion=site if numpy_data else None,
        )
        if source.kind is Kind.SEQUENCE and source.element is not None and source.element.kind is Kind.NP_SCALAR:
            result = result.with_(numpy_source=source.element.origin, ndim=None)
        self.it.emit(frame, Conversion(site, qual, source, result, frame.context))
        return result

    def torch_factory(self, qual: str, node: cst.Call, args: Args, frame: Frame) -> Value:
        explicit = _arg(args, None, "dtype")
        device_arg = _arg(args, None, "device")
        requires = _arg(args, None, "requires_grad")
        if device_arg is not None:
            self.place(device_arg[0], device_arg[1], "device=", frame, device_arg[1])
        dtype = api.TORCH_FACTORIES[qual]
        first = _first_positional(args)
        if explicit is not None:
            dtype = self.dtype_of(explicit[0])
        elif qual.endswith("_like"):
            dtype = first.dtype if first.kind is Kind.TENSOR else None
        elif qual == "torch.arange":
            kinds = [v.kind for kw, v, a in args if kw is None]
            dtype = api.FLOAT32 if Kind.PY_FLOAT in kinds else (api.INT64 if kinds and all(k is Kind.PY_INT for k in kinds) else None)
        leaf = requires is not None and isinstance(requires[1].value, cst.Name) and requires[1].value.value == "True"
        return Value(kind=Kind.TENSOR, dtype=dtype, device=device_arg[0].device if device_arg is not None else Device.CPU,
                     requires_grad=Tri.YES if leaf else Tri.NO, grad_leaf=leaf,
                     origin=self.it.origin(frame, requires[1], "") if leaf and requires is not None else None)

    def nn_class(self, name: str, args: Args, frame: Frame, node: cst.Call) -> Value:
        if name == "Parameter":
            data = _first_positional(args)
            return Value(kind=Kind.TENSOR, dtype=data.dtype if data.kind is Kind.TENSOR else None, requires_grad=Tri.YES,
                         grad_leaf=True, origin=self.it.origin(frame, node, "parameter "))
        if name in api.LOSS_MODULES:
            return Value(kind=Kind.LOSS, qualname=name)
        if not name[:1].isupper() or name in api.NON_MODULE_CLASSES:
            return UNKNOWN
        if name in api.CONTAINER_MODULES:
            members: List[Value] = [v for kw, v, a in args if kw is None]
            for value in list(members):
                if value.kind is Kind.SEQUENCE and value.element is not None:
                    members.append(value.element)
            parametric = Tri.YES if any(v.kind is Kind.MODULE and v.parametric is Tri.YES for v in members) else Tri.UNKNOWN
            return Value(kind=Kind.MODULE, qualname=name, dtype=api.FLOAT32, parametric=parametric)
        parametric = Tri.YES if name in api.PARAMETRIC_MODULES else Tri.UNKNOWN
        if name in ("ReLU", "Dropout", "Identity", "Flatten", "Sigmoid", "Tanh", "Softmax", "GELU", "LeakyReLU",
                    "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Upsample", "SiLU", "ELU", "LogSoftmax"):
            parametric = Tri.NO
        return Value(kind=Kind.MODULE, qualname=name, dtype=api.FLOAT32, parametric=parametric)

    def propagate(self, name: str, args: Args, frame: Frame, node: cst.Call) -> Value:
        """A torch function of tensors: keeps dtype/grad/device of its tensor operands."""
        if name in api.INTEGER_RESULTS:
            return Value(kind=Kind.TENSOR, dtype=api.INTEGER_RESULTS[name], requires_grad=Tri.NO)
        if name not in api.TENSOR_PROPAGATING:
            return UNKNOWN
        operands: List[Value] = []
        for kw, value, arg in args:
            if kw is None and value.kind is Kind.SEQUENCE and value.element is not None:
                operands.append(value.element)
            elif kw is None or kw == "input":
                operands.append(value)
        tensors = [v for v in operands if v.kind is Kind.TENSOR]
        if not tensors:
            return UNKNOWN
        first = tensors[0]
        dtype = first.dtype if all(t.dtype == first.dtype for t in tensors) else None
        explicit = _arg(args, None, "dtype")
        if explicit is not None:
            dtype = self.dtype_of(explicit[0])
        grad, origin = _grad_union(tensors)
        grad = self.grad_in_context(grad, frame)
        keep_conversion = dtype == api.FLOAT64 and all(t.conversion is first.conversion for t in tensors)
        return Value(kind=Kind.TENSOR, dtype=dtype, device=first.device if all(t.device is first.device for t in tensors) else None,
                     requires_grad=grad, origin=origin if grad is Tri.YES else None,
                     conversion=first.conversion if keep_conversion else None,
                     numpy_source=first.numpy_source if keep_conversion else None)

    # --- method calls -------------------------------------------------------------------

    def call_method(self, receiver: Value, func: cst.Attribute, node: cst.Call, frame: Frame) -> Value:
        name = func.attr.value
        args = self.args(node, frame)
        # Placement is checked whatever the receiver: `.cuda()` and `.to("cuda")` are torch's.
        if name == "cuda":
            self.place(Value(kind=Kind.DEVICE, device=Device.CUDA), func.attr, ".cuda()", frame, func.attr)
        elif name == "to":
            for kw, value, arg in args:
                if kw in (None, "device") and (value.kind in (Kind.DEVICE, Kind.PY_STR) or value.device is not None):
                    if value.kind is not Kind.TENSOR:
                        self.place(value, arg, ".to(...)", frame, func.attr)
        kind = receiver.kind
        if kind is Kind.TENSOR:
            return self.tensor_method(receiver, name, func, node, args, frame)
        if kind is Kind.NDARRAY or kind is Kind.NP_SCALAR:
            return self.array_method(receiver, name, node, args, frame)
        if kind is Kind.MODULE:
            return self.module_method(receiver, name, func, node, args, frame)
        if kind is Kind.LOSS and name == "forward":
            return self.call_loss(node, args, frame)
        if kind is Kind.INSTANCE and isinstance(receiver.definition, ClassInfo):
            method = receiver.definition.method(name)
            if method is not None:
                return self.call_function(method, frame)
            return UNKNOWN
        if kind is Kind.SEQUENCE and name in ("append", "extend", "insert"):
            added = args[-1][1] if args else UNKNOWN
            if name == "extend":
                added = added.element if added.kind is Kind.SEQUENCE and added.element is not None else UNKNOWN
            updated = Value(kind=Kind.SEQUENCE, element=join_elements(receiver.element, added))
            if isinstance(func.value, cst.Name):
                frame.env[func.value.value] = updated
            return Value(kind=Kind.NONE)
        if kind is Kind.FUNCTION and isinstance(receiver.definition, FunctionInfo) and name == "__call__":
            return self.call_function(receiver.definition, frame)
        return UNKNOWN

    def tensor_method(self, t: Value, name: str, func: cst.Attribute, node: cst.Call, args: Args, frame: Frame) -> Value:
        if name == "numpy":
            self.it.emit(frame, ToNumpy(self.it.site(frame, func.attr), t, ".numpy()", frame.context))
            return Value(kind=Kind.NDARRAY, dtype=t.dtype, shares_with=None, negative_strides=Tri.NO)
        if name in api.TENSOR_CASTS:
            dtype = api.TENSOR_CASTS[name]
            return self._cast(t, dtype)
        if name == "to" or name == "type":
            result = t
            for kw, value, arg in args:
                dtype = self.dtype_of(value)
                if dtype is not None and kw in (None, "dtype"):
                    result = self._cast(result, dtype)
                    if value.kind is Kind.API and value.qualname in api.TENSOR_TYPES and api.TENSOR_TYPES[value.qualname][1]:
                        self.place(Value(kind=Kind.DEVICE, device=Device.CUDA), arg, ".type(torch.cuda...)", frame, func.attr)
                        result = result.with_(device=Device.CUDA)
                elif kw in (None, "device") and value.device is not None and value.kind in (Kind.DEVICE, Kind.PY_STR):
                    result = result.with_(device=value.device)
                elif value.kind is Kind.TENSOR:
                    result = result.with_(dtype=value.dtype, device=value.device, conversion=None, numpy_source=None)
                elif kw in (None, "dtype", "device"):
                    # an unknown dtype or device: both may have changed
                    result = result.with_(dtype=None, device=None, conversion=None, numpy_source=None)
            if name == "type" and not args:
                return Value(kind=Kind.PY_STR)
            return result.with_(shares_with=None) if result is not t else t
        if name == "cuda":
            return t.with_(device=Device.CUDA, shares_with=None)
        if name == "cpu":
            return t.with_(device=Device.CPU)
        if name in ("detach", "detach_"):
            return t.with_(requires_grad=Tri.NO, grad_leaf=False, origin=None)
        if name == "requires_grad_":
            enable = _literal_bool_arg(args)
            if enable is False:
                return t.with_(requires_grad=Tri.NO, grad_leaf=False, origin=None)
            new = t.with_(requires_grad=Tri.YES, grad_leaf=True, origin=self.it.origin(frame, func.attr, "requires_grad_() at "))
            if isinstance(func.value, cst.Name):
                frame.env[func.value.value] = new
            return new
        if name == "item":
            return Value(kind=Kind.PY_FLOAT if t.dtype in api.FLOAT_DTYPES else (Kind.PY_INT if t.dtype in api.INT_DTYPES else None))
        if name in api.INTEGER_RESULTS:
            return Value(kind=Kind.TENSOR, dtype=api.INTEGER_RESULTS[name], requires_grad=Tri.NO, device=t.device)
        if name.startswith("new_"):
            return Value(kind=Kind.TENSOR, dtype=t.dtype, device=t.device, requires_grad=Tri.NO)
        if name in api.TENSOR_PROPAGATING:
            operands = [v for kw, v, a in args if kw is None]
            if name in ("add", "sub", "mul", "div", "matmul", "mm", "bmm", "true_divide") and operands:
                return self.binary("Multiply", t, operands[0], node, frame)
            grad = self.grad_in_context(t.requires_grad, frame) if not t.grad_leaf else t.requires_grad
            if t.grad_leaf and frame.context.grad is not Tri.YES:
                grad = Tri.NO if frame.context.grad is Tri.NO else Tri.UNKNOWN
            return t.with_(ndim=None if name not in ("clone", "contiguous", "detach_") else t.ndim, grad_leaf=False,
                           requires_grad=grad, shares_with=None, origin=t.origin if grad is Tri.YES else None)
        if name.endswith("_") and not name.startswith("_"):
            return t  # in-place: the same tensor
        return UNKNOWN

    def _cast(self, t: Value, dtype: str) -> Value:
        if dtype not in api.FLOAT_DTYPES:
            return t.with_(dtype=dtype, requires_grad=Tri.NO, grad_leaf=False, origin=None, conversion=None, numpy_source=None, shares_with=None)
        if dtype == t.dtype:
            return t
        return t.with_(dtype=dtype, conversion=None, numpy_source=None, shares_with=None, grad_leaf=False)

    def array_method(self, a: Value, name: str, node: cst.Call, args: Args, frame: Frame) -> Value:
        if name == "astype":
            target = _arg(args, 0, "dtype")
            dtype = self.dtype_of(target[0]) if target is not None else None
            origin = a.origin if dtype == a.dtype else self.it.origin(frame, node)
            return Value(kind=a.kind, dtype=dtype, negative_strides=Tri.NO, readonly=Tri.NO, ndim=a.ndim, origin=origin)
        if name == "copy":
            return a.with_(negative_strides=Tri.NO, readonly=Tri.NO, shares_with=None)
        if name == "flatten":
            return a.with_(negative_strides=Tri.NO, readonly=Tri.NO, shares_with=None, ndim=1)
        if name in api.NDARRAY_VIEWS:
            return a.with_(ndim=None, shares_with=None)
        if name in api.NDARRAY_SAME_DTYPE:
            return a.with_(ndim=None, negative_strides=Tri.UNKNOWN, shares_with=None)
        if name in api.NUMPY_REDUCTIONS:
            return self.reduction(name, a, args, frame, node, method=True)
        if name == "item":
            return Value(kind=Kind.PY_FLOAT if a.dtype in api.FLOAT_DTYPES else None)
        return UNKNOWN

    def module_method(self, m: Value, name: str, func: cst.Attribute, node: cst.Call, args: Args, frame: Frame) -> Value:
        if name == "forward":
            return self.call_module(m, node, args, frame)
        if name in api.MODULE_SELF_METHODS:
            result = m
            if name in ("double", "float", "half", "bfloat16"):
                result = m.with_(dtype=api.TENSOR_CASTS[name])
            elif name == "cuda":
                result = m.with_(device=Device.CUDA)
            elif name == "cpu":
                result = m.with_(device=Device.CPU)
            elif name == "to":
                for kw, value, arg in args:
                    dtype = self.dtype_of(value)
                    if dtype is not None:
                        result = result.with_(dtype=dtype)
                    elif value.kind in (Kind.DEVICE, Kind.PY_STR) and value.device is not None:
                        result = result.with_(device=value.device)
                    else:
                        result = result.with_(device=None, dtype=None if kw == "dtype" else result.dtype)
            if isinstance(func.value, cst.Name) and frame.lookup(func.value.value) is not None:
                frame.env[func.value.value] = result  # modules change in place: model.double()
            return result
        if name in api.PARAMETER_ITERATORS:
            param = Value(kind=Kind.TENSOR, dtype=m.dtype, device=m.device, requires_grad=Tri.YES, grad_leaf=True,
                          origin=self.it.origin(frame, node, "parameter from "))
            element = sequence((Value(kind=Kind.PY_STR), param)) if api.PARAMETER_ITERATORS[name] else param
            return Value(kind=Kind.SEQUENCE, element=element)
        cls = m.definition if isinstance(m.definition, ClassInfo) else None
        if cls is not None:
            method = cls.method(name)
            if method is not None:
                return self.call_function(method, frame)
        return UNKNOWN

    # --- placement ----------------------------------------------------------------------

    def place(self, device: Value, report_node: cst.CSTNode, what: str, frame: Frame, value_node: cst.CSTNode) -> None:
        if device.device is not Device.CUDA:
            return
        through_variable = isinstance(report_node, cst.Arg) and isinstance(report_node.value, (cst.Name, cst.Attribute))
        if isinstance(report_node, cst.Arg) and report_node.keyword is None:
            report_node = value_node  # .to(x): report at the method name
        self.it.emit(frame, Placement(self.it.site(frame, report_node), device, through_variable, what, frame.context))


def _shape_ndim(qual: str, args: Args) -> Optional[int]:
    """Dimensions from a shape argument: np.zeros((4, 3)) -> 2, np.random.rand(4, 3) -> 2."""
    positional = [(v, a) for kw, v, a in args if kw is None and a.star == ""]
    if qual in ("numpy.random.rand", "numpy.random.randn"):
        return len(positional) if positional and all(v.kind is Kind.PY_INT for v, a in positional) else None
    shape = _arg(args, 0, "shape")
    if qual.split(".")[-1] in ("zeros", "ones", "empty", "full") and shape is not None:
        value, node = shape
        if value.kind is Kind.PY_INT:
            return 1
        if value.kind is Kind.SEQUENCE and value.elements is not None and isinstance(node.value, cst.Tuple):
            return len(value.elements)
    return None


def _negative_literal(node: Optional[cst.BaseExpression]) -> bool:
    return (isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus)
            and isinstance(node.expression, cst.Integer))


def _literal_bool_arg(args: Args) -> Optional[bool]:
    for kw, value, arg in args:
        if isinstance(arg.value, cst.Name) and arg.value.value in ("True", "False"):
            return arg.value.value == "True"
    return None

