"""The NumPy model: what NumPy calls, ndarray methods, operators and indexing give.

Every NumPy name is looked up in ``api.py``; this module reads the arguments and
combines the facts (dtype, read-only, negative strides, memory shared with a tensor).
"""
from __future__ import annotations

import ast
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from . import api
from .arguments import Arg, argument, callee_text, first, negative_literal, positional
from .events import ToNumpy
from .promotion import (NUMBERS, SCALARS, data_dtype, dtype_of, numpy_combined_dtype, numpy_result_dtype, python_number,
                        python_values,                         scalar_literal_dtype)
from .scope import Frame, storage_key
from .values import UNKNOWN, Kind, Tri, Value, is_array_like, join, sequence
from .walker import Walker

ArrayMethod = Callable[[Value, str, ast.Call, Sequence[Arg]], Value]
ARRAY_KINDS = (Kind.NDARRAY, Kind.NP_SCALAR)


class NumpyModel:
    def __init__(self, walker: Walker) -> None:
        self.it = walker
        # .npy file name -> the join of the arrays this file saves there (np.save): what np.load of
        # that name gives back (a feature cache written and read by the same program)
        self.saved: Dict[str, Value] = {}
        # ndarray (and NumPy scalar) methods by name; the first row for a name wins.
        self.methods: Dict[str, ArrayMethod] = {}
        rows: List[tuple] = [
            (("astype",), self._astype),
            (("copy",), self._copy),
            (("flatten",), self._flatten),
            (api.NDARRAY_VIEWS, self._view),
            (api.NDARRAY_SAME_DTYPE, self._same_dtype),
            (api.NUMPY_REDUCTIONS, self._reduce),
            (("item",), self._item),
            (api.PYTHON_LIST_METHODS, self._tolist),
            (("tobytes",), self._tobytes),
            (("setflags",), self._setflags),
            (("clip",), self._clip),
            (api.NDARRAY_READONLY_VIEWS, self._readonly_view),
        ]
        for names, handler in rows:
            for name in names:
                self.methods.setdefault(name, handler)

    # --- calls by qualified name (every ``numpy.*`` name comes here) --------------------

    def call(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        readonly = self.readonly_array(qual, node, args)
        if readonly is not None:
            return readonly
        if qual in api.ARRAY_MAKERS:
            return self.array_maker(qual, api.ARRAY_MAKERS[qual], node, args, frame)
        if qual in api.NUMPY_ARRAY_SAVERS:
            self._save(api.NUMPY_ARRAY_SAVERS[qual], node, args)
            return Value(kind=Kind.NONE)
        if qual == "numpy.load" and args and not args[0].starred and args[0].keyword is None:
            saved = self.saved.get(file_name(args[0].node, args[0].value) or "")
            if saved is not None and saved.kind is Kind.NDARRAY and saved.dtype is not None and _array_or_archive(node):
                # np.save(CACHE / "feats.npy", feats) earlier in this file: the same array comes back
                return Value(kind=Kind.NDARRAY, dtype=saved.dtype, ndim=saved.ndim, negative_strides=Tri.NO,
                             readonly=Tri.NO, origin=saved.origin)
        if qual == "numpy.load" and node.args and _written_suffix(node.args[0]) == api.NPY_SUFFIX:
            return Value(kind=Kind.NDARRAY, negative_strides=Tri.NO, readonly=Tri.NO, origin=self.it.origin(node.func))
        if qual == "numpy.load" and _array_or_archive(node):
            return Value(qualname=api.NUMPY_LOADED, origin=self.it.origin(node.func))
        if qual in api.GENERATOR_FACTORIES:
            return Value(kind=Kind.API, qualname=api.GENERATOR_FACTORIES[qual])
        if qual == api.NUMPY_PERMUTATION:
            return self.permutation(node, args)
        for generator in api.GENERATOR_TYPES:
            if qual.startswith(generator + "."):
                if qual == f"{generator}.permutation":
                    return self.permutation(node, args)
                return self.generator_method(qual, qual[len(generator) + 1:], node, args, frame)
        return self.function(qual, node, args, frame)

    def _save(self, positions: Tuple[int, int], node: ast.Call, args: Sequence[Arg]) -> None:
        """``np.save(path, array)``: what the file named by ``path`` holds from now on, joined with
        what other saves there wrote (a name saved with different dtypes holds an unknown one)."""
        path, array = argument(args, positions[0], "file"), argument(args, positions[1], "arr")
        name = file_name(path.node, path.value) if path is not None and not path.starred else None
        if name is None or not name.endswith(api.NPY_SUFFIX):
            return
        stored = array.value if array is not None and array.value.kind is Kind.NDARRAY else UNKNOWN
        before = self.saved.get(name)
        self.saved[name] = stored if before is None else join(before, stored)

    def permutation(self, node: ast.Call, args: Sequence[Arg]) -> Value:
        """``np.random.permutation(n)`` / ``rng.permutation(x)``: of a Python int, a shuffled ``arange``
        (int64, 1-d); of an array, a shuffled copy along its first axis (its dtype and dimensions)."""
        data = argument(args, 0, "x")
        if data is None or data.starred:
            return UNKNOWN
        if data.value.kind is Kind.PY_INT:
            return Value(kind=Kind.NDARRAY, dtype=api.INT64, ndim=1, negative_strides=Tri.NO, readonly=Tri.NO,
                         origin=self.it.origin(node.func))
        if data.value.kind is Kind.NDARRAY:
            return Value(kind=Kind.NDARRAY, dtype=data.value.dtype, ndim=data.value.ndim, negative_strides=Tri.NO,
                         readonly=Tri.NO, origin=data.value.origin)
        return UNKNOWN

    def generator_method(self, qual: str, method: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """rng.random(...), RandomState(0).randint(...): an array maker of the generator."""
        maker = api.GENERATOR_METHODS.get(method)
        if maker is None:
            return UNKNOWN
        return self.array_maker(qual, maker, node, args, frame)

    def array_maker(self, qual: str, maker: api.ArrayMaker, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        explicit = argument(args, maker.dtype_pos, "dtype")
        data = first(args)
        short = qual.rsplit(".", 1)[-1]
        if maker.from_data and qual in api.NUMPY_CONSUMERS:
            self.to_numpy_sink(data, node, qual, frame)
        dtype: Optional[str]
        if explicit is not None:
            dtype = dtype_of(explicit.value)
        elif maker.from_data:
            dtype = numpy_data_dtype(data)
        elif short == "full" and qual.startswith("numpy."):
            fill = argument(args, 1, "fill_value")
            dtype = None
            if fill is not None and fill.value.kind is not None:
                dtype = {Kind.PY_FLOAT: api.FLOAT64, Kind.PY_INT: api.INT64}.get(fill.value.kind)
        elif short == "arange":
            dtype = scalar_literal_dtype([v.kind for v in positional(args)], api.FLOAT64)
        elif maker.bounds:
            dtype = bounded_dtype(positional(args)[:maker.bounds], maker.bounds, maker.dtype)
        elif maker.weighted is not None and argument(args, 1, "weights") is not None:
            dtype = maker.weighted
        else:
            dtype = maker.dtype
        origin = self.it.origin(node.func)
        drawn = single_draw(qual, short, args)
        if drawn is not None:
            # np.random.uniform(0.8, 1.2), rng.normal(): one number, not an array (NEP 50: a Python
            # float keeps a float32 array float32)
            return Value(kind=drawn, dtype=dtype if drawn is Kind.NP_SCALAR else None, ndim=0, origin=origin)
        if maker.scalar:
            if data.kind is Kind.NDARRAY:
                return data.with_(dtype=dtype, negative_strides=Tri.NO, origin=origin, shares_with=None)
            if data.kind in (Kind.PY_FLOAT, Kind.PY_INT, Kind.NP_SCALAR):
                return Value(kind=Kind.NP_SCALAR, dtype=dtype, ndim=0, origin=origin)
            return Value(dtype=dtype, origin=origin)
        if maker.flips:
            k = argument(args, 1, "k")
            if short == "rot90" and k is not None and isinstance(k.node, ast.Constant) and isinstance(k.node.value, int) and k.node.value % 4 == 0:
                return data if data.kind is Kind.NDARRAY else UNKNOWN
            base = data if data.kind is Kind.NDARRAY else Value(kind=Kind.NDARRAY, dtype=dtype)
            return base.with_(negative_strides=Tri.YES, origin=origin, shares_with=None)
        if maker.from_data and not maker.copies and data.kind is Kind.TENSOR and explicit is None:
            partner = storage_key(node.args[0]) if node.args else None
            return Value(kind=Kind.NDARRAY, dtype=data.dtype, negative_strides=Tri.NO, param_view=data.param_view,
                         shares_with=partner, shared_at=self.it.site(node) if partner else None,
                         origin=data.origin if data.param_view else None)
        if maker.from_data and data.kind is Kind.NDARRAY and explicit is None:
            if not maker.copies:
                return data  # np.asarray(array): the same array
            # np.empty_like(a) is a new, uninitialized buffer: its origin is the call (see uninitialized())
            fresh = short in api.UNINITIALIZED_MAKERS
            return data.with_(negative_strides=Tri.NO, readonly=Tri.NO, shares_with=None, param_view=False,
                              origin=origin if fresh else data.origin)
        return Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.NO, readonly=Tri.NO,
                     ndim=shape_ndim(qual, args) if not maker.from_data else data_ndim(data, short), origin=origin)

    def readonly_array(self, qual: str, node: ast.Call, args: Sequence[Arg]) -> Optional[Value]:
        """np.frombuffer, np.broadcast_to, np.load(mmap_mode=), np.asarray(image): arrays we know the writability of."""
        data = first(args)
        readonly = self.readonly_source(qual, data, args)
        if readonly is None:
            return None
        name = qual[len("numpy."):]
        view = api.READONLY_VIEWS.get(qual)
        strides = Tri.NO
        if view is not None:
            dtype = data.dtype if data.kind is Kind.NDARRAY else None
            if not view.keeps_strides or data.kind is not Kind.NDARRAY:
                strides = Tri.UNKNOWN
            else:
                strides = data.negative_strides
        elif qual in api.MAPPED_READERS:
            maker = api.ARRAY_MAKERS.get(qual)
            dtype_arg = argument(args, maker.dtype_pos, "dtype") if maker is not None else None
            # np.load keeps the saved dtype; np.memmap has a default
            dtype = dtype_of(dtype_arg.value) if dtype_arg is not None else (maker.dtype if maker is not None else None)
        else:
            dtype_arg = argument(args, 1, "dtype") if name == "frombuffer" else None
            if dtype_arg is not None:
                dtype = dtype_of(dtype_arg.value)
            else:
                dtype = api.FLOAT64 if name == "frombuffer" else None  # frombuffer's default dtype
        return Value(kind=Kind.NDARRAY, dtype=dtype, readonly=readonly, negative_strides=strides,
                     origin=self.it.origin(node))

    @staticmethod
    def readonly_source(qual: str, data: Value, args: Sequence[Arg]) -> Optional[Tri]:
        """Read-only (YES), writable (NO) or not a source we know (None)."""
        if qual == "numpy.frombuffer":
            if data.kind is Kind.PY_BYTES:
                return Tri.YES
            return Tri.UNKNOWN  # a bytearray or memoryview may be writable
        view = api.READONLY_VIEWS.get(qual)
        if view is not None:
            writeable = argument(args, None, view.writeable_keyword) if view.writeable_keyword else None
            if writeable is None:
                return Tri.YES if view.readonly_by_default else None
            if isinstance(writeable.node, ast.Constant) and isinstance(writeable.node.value, bool):
                return Tri.NO if writeable.node.value else Tri.YES
            return Tri.UNKNOWN
        if qual in api.MAPPED_READERS:
            pos, keyword = api.MAPPED_READERS[qual]
            mode = argument(args, pos, keyword)
            if mode is not None and mode.value.kind is Kind.PY_STR:
                return Tri.YES if mode.value.qualname in api.READONLY_MODES else Tri.UNKNOWN
            return None
        if qual in api.IMAGE_VIEW_FUNCTIONS and data.kind is Kind.API and data.qualname == api.PIL_IMAGE:
            if argument(args, 1, "dtype") is not None:
                return Tri.NO  # np.asarray(image, dtype=np.float32) converts: a writable copy
            return Tri.YES  # np.asarray(image) is a read-only view of the image's buffer
        return None

    def function(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        data = first(args)
        name = qual[len("numpy."):]
        if qual in api.NUMPY_CONSUMERS:
            self.to_numpy_sink(data, node, qual, frame)
        if name in api.NUMPY_REDUCTIONS:
            return self.reduction(name, data, args, node, method=False)
        if name in api.NUMPY_PROMOTING:
            return self.promoting(api.NUMPY_PROMOTING[name], args, node)
        if name in api.NUMPY_FLOAT64_FUNCTIONS:
            return self.float64_function(name, args, node)
        if name in api.NUMPY_FLOAT_UFUNCS and data.kind in (Kind.PY_INT, Kind.PY_FLOAT) and len(args) == 1:
            # np.sqrt(dim): a NumPy float64 scalar, which (NEP 50) promotes a float32 array to float64
            return Value(kind=Kind.NP_SCALAR, dtype=api.FLOAT64, ndim=0, origin=self.it.origin(node.func))
        if name in api.NUMPY_LINALG_RESULTS:
            return self.linalg(name, data, args, node)
        if name in api.NUMPY_PER_ARGUMENT_ARRAYS:
            return self.per_argument_arrays(name, args, node)
        if name in api.NUMPY_FFT_FREQUENCIES:
            return Value(kind=Kind.NDARRAY, dtype=api.FLOAT64, ndim=1, negative_strides=Tri.NO, origin=self.it.origin(node.func))
        if name in api.NUMPY_FFT_COMPLEX or name in api.NUMPY_FFT_REAL:
            return self.fft(name, data, node)
        if data.kind not in ARRAY_KINDS:
            if data.negative_strides is Tri.YES and name in api.NUMPY_VIEW_FUNCTIONS and data.kind is None \
                    and len(positional(args)) <= (1 if name.startswith("atleast_") else 2):
                # only an array has negative strides (a flipped value of unknown kind): a view keeps them
                return Value(negative_strides=Tri.YES, dtype=data.dtype, origin=data.origin)
            return UNKNOWN
        if name in api.NUMPY_QUANTILES:
            return self.quantile(data, args, node)
        if name in api.NUMPY_FLOAT_UFUNCS:
            dtype = api.FLOAT_OF_INT.get(data.dtype or "", data.dtype)
            return Value(kind=data.kind, dtype=dtype, negative_strides=Tri.NO, origin=self.it.origin(node.func))
        if name in api.NUMPY_DTYPE_KEEPING:
            if name.startswith("atleast_") and len(positional(args)) > 1:
                return UNKNOWN  # np.atleast_2d(a, b) is a tuple of arrays
            views = name in api.NUMPY_VIEW_FUNCTIONS
            dtype = accumulated(data.dtype) if name in api.NUMPY_INT_ACCUMULATORS else data.dtype
            if name in api.NUMPY_ROUNDING_UFUNCS and dtype not in api.FLOAT_DTYPES:
                dtype = None
            return data.with_(dtype=dtype, negative_strides=data.negative_strides if views else Tri.UNKNOWN,
                              shares_with=None, ndim=None, origin=data.origin if dtype == data.dtype else self.it.origin(node.func))
        return UNKNOWN

    def fft(self, name: str, data: Value, node: ast.Call) -> Value:
        """A new array (a copy, C-ordered): complex for the forward transforms, whose dtype the
        tables do not model; for the real ones, float32 from float32 data and float64 from float64
        or integer data (a complex or unknown input: unknown)."""
        dtype: Optional[str] = None
        if name in api.NUMPY_FFT_REAL and data.kind in ARRAY_KINDS:
            dtype = data.dtype if data.dtype in (api.FLOAT32, api.FLOAT64) else (
                api.FLOAT64 if data.dtype in api.INT_DTYPES else None)
        return Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.NO, readonly=Tri.NO,
                     origin=self.it.origin(node.func))

    def per_argument_arrays(self, name: str, args: Sequence[Arg], node: ast.Call) -> Value:
        """``np.meshgrid(xs, ys)``: a tuple of arrays, one per argument, each of its argument's dtype
        (a list of Python floats gives float64); ``broadcast_arrays`` gives views, meshgrid copies."""
        if any(arg.starred for arg in args):
            return UNKNOWN  # np.meshgrid(*axes): how many is not known
        arrays: List[Value] = []
        for arg in args:
            if arg.keyword is not None:
                continue  # indexing=, sparse=, copy=, subok=: the dtypes stay
            dtype = numpy_data_dtype(arg.value)
            origin = arg.value.origin if arg.value.kind is Kind.NDARRAY and dtype == arg.value.dtype else None
            arrays.append(Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.UNKNOWN,
                                origin=origin or self.it.origin(node.func)))
        return sequence(tuple(arrays)) if arrays else UNKNOWN

    def linalg(self, name: str, data: Value, args: Sequence[Arg], node: ast.Call) -> Value:
        """np.linalg.qr(a): arrays in ``a``'s float dtype (float64 for integers); a named tuple of
        them for a decomposition."""
        if (data.kind is not Kind.NDARRAY or len(positional(args)) != 1
                or any(arg.starred or arg.keyword not in api.NUMPY_LINALG_KEYWORDS for arg in args[1:])):
            return UNKNOWN
        dtype = data.dtype if data.dtype in (api.FLOAT32, api.FLOAT64) else api.FLOAT64 if data.dtype in api.INT_DTYPES else None
        if dtype is None:
            return UNKNOWN
        array = Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.NO, readonly=Tri.NO,
                      origin=data.origin if dtype == data.dtype else self.it.origin(node.func))
        fields = api.NUMPY_LINALG_RESULTS[name]
        return array if fields is None else sequence(tuple(array for _ in fields)).with_(keys=fields)

    def promoting(self, spec: api.Promoting, args: Sequence[Arg], node: ast.Call) -> Value:
        """np.where(c, x, y), np.clip(a, lo, hi), np.add(a, b): the operands' dtypes combined."""
        operands: List[Value] = []
        for position, keyword in zip(spec.operands, spec.keywords):
            arg = argument(args, position, keyword)
            if arg is None or arg.value.kind is Kind.NONE:
                continue  # np.clip(a, None, 1): no bound
            operands.append(arg.value)
        for keyword in spec.keywords[len(spec.operands):]:  # alternative keywords (np.clip(a, min=0))
            arg = argument(args, None, keyword)
            if arg is not None and arg.value.kind is not Kind.NONE:
                operands.append(arg.value)
        if any(a.starred for a in args) or argument(args, None, "dtype") is not None or not operands:
            return UNKNOWN
        if len(operands) < len(spec.operands) and spec.operands[0] != 0:
            return UNKNOWN  # np.where(cond): the indices where cond holds
        dtype = numpy_combined_dtype(operands, spec.division)
        if any(v.kind is Kind.NDARRAY for v in operands) or first(args).kind is Kind.NDARRAY:
            kind: Optional[Kind] = Kind.NDARRAY
        elif all(v.kind in (Kind.NP_SCALAR,) + NUMBERS for v in operands) and operands[0].kind is Kind.NP_SCALAR:
            kind = Kind.NP_SCALAR
        else:
            kind = None  # np.where over a condition of unknown shape: an array, or a 0-d one
        if dtype is None and kind is None:
            return UNKNOWN
        lead = next((v for v in operands if v.dtype == dtype and v.origin is not None), None)
        return Value(kind=kind, dtype=dtype, negative_strides=Tri.NO, readonly=Tri.NO,
                     ndim=0 if kind is Kind.NP_SCALAR else None,
                     origin=lead.origin if lead is not None else self.it.origin(node.func))

    def float64_function(self, name: str, args: Sequence[Arg], node: ast.Call) -> Value:
        """np.interp, np.float_power: float64 whatever real input (float32 included) they get."""
        shaped = positional(args)[api.NUMPY_FLOAT64_FUNCTIONS[name]] if len(positional(args)) > api.NUMPY_FLOAT64_FUNCTIONS[name] else UNKNOWN
        data_keywords = any(a.keyword in ("x", "xp", "fp", "x1", "x2") or a.starred for a in args)
        if data_keywords or argument(args, None, "dtype") is not None or not all(_real(v) for v in positional(args)):
            return UNKNOWN  # a complex operand gives complex128
        if shaped.kind in (Kind.NDARRAY, Kind.SEQUENCE):
            return Value(kind=Kind.NDARRAY, dtype=api.FLOAT64, negative_strides=Tri.NO, readonly=Tri.NO,
                         origin=self.it.origin(node.func))
        if shaped.kind in (Kind.NP_SCALAR,) + NUMBERS:
            return Value(kind=Kind.NP_SCALAR, dtype=api.FLOAT64, ndim=0, origin=self.it.origin(node.func))
        return UNKNOWN

    def quantile(self, data: Value, args: Sequence[Arg], node: ast.Call) -> Value:
        """np.percentile(a, q), np.quantile(a, q): float64 for integers; a scalar for a scalar q and no axis."""
        dtype = api.FLOAT64 if data.dtype in api.INT_DTYPES else (data.dtype if data.dtype in api.FLOAT_DTYPES else None)
        q = argument(args, 1, "q")
        axis = argument(args, 2, "axis")
        if argument(args, None, "out") is not None or argument(args, None, "weights") is not None:
            return UNKNOWN
        origin = data.origin if dtype == data.dtype else self.it.origin(node.func)
        if q is not None and q.value.kind in NUMBERS and (axis is None or axis.value.kind is Kind.NONE) \
                and argument(args, None, "keepdims") is None:
            return Value(kind=Kind.NP_SCALAR, dtype=dtype, ndim=0, origin=origin)
        if q is not None and (q.value.kind in (Kind.SEQUENCE, Kind.NDARRAY) or (axis is not None and axis.value.kind is Kind.PY_INT)):
            return Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.NO, origin=origin)
        return Value(dtype=dtype, origin=origin)

    def reduction(self, name: str, data: Value, args: Sequence[Arg], node: ast.Call, method: bool) -> Value:
        """np.mean(a) / a.mean(): a NumPy scalar, or an array when an axis is given."""
        if data.kind not in ARRAY_KINDS:
            return UNKNOWN
        dtype = data.dtype
        if api.NUMPY_REDUCTIONS.get(name) and dtype in api.INT_DTYPES | {api.BOOL}:
            dtype = api.FLOAT64
        elif name in api.NUMPY_INT_ACCUMULATORS:
            dtype = accumulated(dtype)
        explicit = argument(args, None, "dtype")
        if explicit is not None:
            dtype = dtype_of(explicit.value)
        positional_axis = positional(args)[0 if method else 1:]
        has_axis = argument(args, None, "axis") is not None or bool(positional_axis)
        origin = data.origin if dtype == data.dtype else self.it.origin(node)
        if has_axis:
            return Value(kind=Kind.NDARRAY, dtype=dtype, negative_strides=Tri.NO, origin=origin)
        return Value(kind=Kind.NP_SCALAR, dtype=dtype, ndim=0, origin=origin)

    def to_numpy_sink(self, value: Value, node: ast.Call, qual: str, frame: Frame) -> None:
        via = callee_text(node) + "()"
        if value.kind is Kind.TENSOR and qual not in api.NUMPY_TENSOR_METHOD_FUNCTIONS:
            self.it.emit(frame, ToNumpy(self.it.site(node), value, via, frame.context))
        elif value.kind is Kind.SEQUENCE and value.element is not None and value.element.kind is Kind.TENSOR:
            self.it.emit(frame, ToNumpy(self.it.site(node), value.element, via + " over a list", frame.context,
                                        of_list=True))

    # --- ndarray methods ----------------------------------------------------------------

    def method(self, a: Value, name: str, func: ast.Attribute, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        handler = self.methods.get(name)
        result = handler(a, name, node, args) if handler is not None else UNKNOWN
        if name == "setflags" and result.readonly is not Tri.UNKNOWN and isinstance(func.value, ast.Name):
            readonly = result.readonly
            frame.env[func.value.id] = a.with_(readonly=readonly, origin=self.it.origin(node) if readonly is Tri.YES else a.origin)
            return Value(kind=Kind.NONE)
        return result

    def unknown_kind_method(self, a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Optional[Value]:
        """A method on an object of unknown kind that only array-likes have.

        ``x.astype(dtype)`` exists on ndarrays, NumPy scalars and pandas objects, never on
        tensors: whatever ``x`` is, the result holds ``dtype``, and a tensor made from it does
        too (an astype float64 image reaching from_numpy). Once the dtype is known, copies and
        views keep it, as they do on every array-like. The kind stays unknown."""
        if name == "astype":
            target = argument(args, 0, "dtype")
            dtype = dtype_of(target.value) if target is not None else None
            if dtype is None:
                return None
            return Value(dtype=dtype, negative_strides=Tri.NO, readonly=Tri.NO, origin=self.it.origin(node))
        if a.dtype is not None and a.device is None and name in api.ARRAY_LIKE_SAME_DTYPE_METHODS and (
                name != "to_numpy" or not args):
            return Value(dtype=a.dtype, origin=a.origin)
        if name in api.PYTHON_NUMBER_METHODS and not args and a.dtype is not None:
            return python_number(a.dtype)  # .item() of a value of known dtype: an array, scalar or tensor
        if a.dtype == api.FLOAT64 and a.device is None and name in api.ARRAY_LIKE_FLOAT64_REDUCTIONS \
                and argument(args, None, "dtype") is None:
            return Value(dtype=api.FLOAT64, origin=a.origin)  # features.mean(axis=0) of a float64 array-like
        return None

    def _astype(self, a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        target = argument(args, 0, "dtype")
        dtype = dtype_of(target.value) if target is not None else None
        origin = a.origin if dtype == a.dtype else self.it.origin(node)
        return Value(kind=a.kind, dtype=dtype, negative_strides=Tri.NO, readonly=Tri.NO, ndim=a.ndim, origin=origin)

    @staticmethod
    def _copy(a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        return a.with_(negative_strides=Tri.NO, readonly=Tri.NO, shares_with=None, param_view=False)

    @staticmethod
    def _flatten(a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        return a.with_(negative_strides=Tri.NO, readonly=Tri.NO, shares_with=None, ndim=1, param_view=False)

    @staticmethod
    def _view(a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        if name == "view" and args:
            # a.view(np.float32) reads the same bytes as another dtype (a.view(MyArray): unknown)
            return a.with_(ndim=None, shares_with=None, dtype=dtype_of(args[0].value))
        return a.with_(ndim=None, shares_with=None)

    @staticmethod
    def _same_dtype(a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        dtype = accumulated(a.dtype) if name in api.NUMPY_INT_ACCUMULATORS else a.dtype
        # a reversed 1-d array reshaped is a view whose every stride is negative (`x[::-1].reshape(-1, hop)`);
        # a flipped array of more dimensions may be copied by reshape: not known
        strides = Tri.YES if name == "reshape" and a.ndim == 1 and a.negative_strides is Tri.YES else Tri.UNKNOWN
        return a.with_(dtype=dtype, ndim=None, negative_strides=strides, shares_with=None,
                       origin=a.origin if dtype == a.dtype else None)

    def _clip(self, a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        """a.clip(lo, hi): the bounds promote like np.clip's (an int array clipped by 0.0 is float64)."""
        bounds = [Arg(None, a, node.func, False)] + [arg for arg in args]
        return self.promoting(api.Promoting((0, 1, 2), ("a", "min", "max")), bounds, node)

    def _readonly_view(self, a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        """a.diagonal(): a read-only view; its strides keep the sign of the array's."""
        return a.with_(readonly=Tri.YES, ndim=None, shares_with=None, origin=self.it.origin(node))

    def _reduce(self, a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        return self.reduction(name, a, args, node, method=True)

    @staticmethod
    def _item(a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        return python_number(a.dtype)

    @staticmethod
    def _tolist(a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        return python_values(a.dtype, a.ndim)

    @staticmethod
    def _tobytes(a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        return Value(kind=Kind.PY_BYTES)

    @staticmethod
    def _setflags(a: Value, name: str, node: ast.Call, args: Sequence[Arg]) -> Value:
        write = argument(args, 0, "write")
        if write is not None and isinstance(write.node, ast.Constant) and isinstance(write.node.value, bool):
            # the caller rebinds the receiver: write=False makes it read-only, write=True writable
            return Value(kind=Kind.NONE, readonly=Tri.NO if write.node.value else Tri.YES)
        return UNKNOWN

    # --- operators, attributes, indexing ------------------------------------------------

    def binary(self, op: ast.operator, left: Value, right: Value, node: ast.AST) -> Value:
        """An operator with an ndarray or NumPy scalar operand (and no tensor)."""
        dtype = numpy_result_dtype(left, right, op)
        is_array = Kind.NDARRAY in (left.kind, right.kind)
        source = left if left.kind in ARRAY_KINDS else right
        return Value(kind=Kind.NDARRAY if is_array else Kind.NP_SCALAR, dtype=dtype,
                     negative_strides=Tri.NO if is_array else Tri.UNKNOWN, readonly=Tri.NO,
                     ndim=_broadcast_ndim(left, right) if is_array else 0,
                     origin=source.origin if dtype == source.dtype else self.it.origin(node))

    @staticmethod
    def attribute(base: Value, attr: str) -> Value:
        return base.with_(ndim=None, shares_with=None) if attr in api.NDARRAY_VIEW_ATTRS else UNKNOWN

    def subscript(self, base: Value, index: ast.expr, parts: Sequence[ast.expr], values: Sequence[Value],
                  node: ast.Subscript) -> Value:
        """``base[index]`` for a base that is an ndarray or unknown (a tensor or a sequence is not)."""
        flips = any(isinstance(p, ast.Slice) and negative_literal(p.step) for p in parts) or any(
            v.qualname == api.SLICE_OBJECT and v.negative_strides is Tri.YES for v in values)
        if any(v.qualname == api.SLICE_OBJECT and v.negative_strides is Tri.UNKNOWN for v in values):
            return Value(dtype=base.dtype, origin=base.origin) if base.kind is Kind.NDARRAY else UNKNOWN  # a step not known
        if base.kind is None and base.device is not None and len(parts) > 1:
            # out[:, :, 4] on a value only known to be on a device (a module's output): an index over
            # several dimensions exists only on a tensor (an array has no device), and keeps its device.
            return Value(device=base.device, device_origin=base.device_origin)
        if base.kind is None and flips:
            # Unknown base: if it is an ndarray (torch.from_numpy accepts nothing else) the
            # result has negative strides. The conversion rule decides what that proves.
            if base.negative_strides is Tri.YES:
                return Value(dtype=base.dtype, negative_strides=Tri.UNKNOWN)  # flipped twice
            return Value(dtype=base.dtype, negative_strides=Tri.YES, origin=self.it.origin(node))
        if base.kind is None and base.negative_strides is Tri.YES and all(
                isinstance(p, ast.Slice) or (isinstance(p, ast.Constant) and p.value is Ellipsis) for p in parts):
            # a crop (img[t:b, l:r]) of a flipped value of unknown kind: only an array is flipped so,
            # and slices keep every axis, the flipped one too
            return Value(dtype=base.dtype, negative_strides=Tri.YES, origin=base.origin)
        if is_array_like(base):
            # An array-like of known dtype (``x.astype(np.float64)``): its items and slices, rows
            # or scalars, of an ndarray or a pandas object, hold that dtype.
            return Value(dtype=base.dtype, origin=base.origin)
        if base.kind is not Kind.NDARRAY:
            return UNKNOWN
        # a slice, ``...`` or a new axis (``None``, ``np.newaxis``) leaves an array: a view of the base
        sliced = any(isinstance(p, ast.Slice) or (isinstance(p, ast.Constant) and (p.value is Ellipsis or p.value is None))
                     or (v.kind is Kind.API and v.qualname == api.NUMPY_NEWAXIS) or v.qualname == api.SLICE_OBJECT
                     for p, v in zip(parts, values))
        advanced = any(v.kind in (Kind.NDARRAY, Kind.SEQUENCE, Kind.TENSOR) for v in values)
        result = base.with_(ndim=basic_index_ndim(base, parts, values) if not advanced else None, shares_with=None)
        if flips and not advanced:
            if base.negative_strides in (Tri.YES, Tri.MAYBE):
                return result.with_(negative_strides=Tri.UNKNOWN)  # flipped twice: the strides may be positive again
            return result.with_(negative_strides=Tri.YES, origin=self.it.origin(node))
        if advanced:
            # fancy indexing copies; one index array keeps the dimensions it does not replace
            return result.with_(negative_strides=Tri.NO, readonly=Tri.NO, ndim=_fancy_ndim(base, parts, values))
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
        # A row or a scalar, we cannot tell: keep the dtype, forget the kind. Integer indices make a
        # view, so a read-only base's row is read-only too (what torch.from_numpy accepts is a row:
        # NTL404); an index of unknown kind may be a list (a copy).
        readonly = Tri.YES if base.readonly is Tri.YES and known_ints else Tri.UNKNOWN
        return Value(dtype=base.dtype, origin=base.origin, readonly=readonly)


def _fancy_ndim(base: Value, parts: Sequence[ast.expr], values: Sequence[Value]) -> Optional[int]:
    """``a[idx]`` with one index array (or flat list of ints) of known dimensions: ``a``'s first axis
    is replaced by ``idx``'s (an integer index) or ``idx``'s axes by one (a boolean mask)."""
    if len(parts) != 1 or base.ndim is None:
        return None
    index = values[0]
    if index.kind is Kind.SEQUENCE and index.element is not None and index.element.kind is Kind.PY_INT:
        kept = 1  # a flat list of ints, as an integer index array of one dimension
    elif index.kind is Kind.NDARRAY and index.ndim is not None and index.dtype in api.INT_DTYPES:
        kept = index.ndim
    elif index.kind is Kind.NDARRAY and index.ndim is not None and index.dtype == api.BOOL:
        return base.ndim - index.ndim + 1 if base.ndim >= index.ndim else None
    else:
        return None
    return base.ndim - 1 + kept


def accumulated(dtype: Optional[str]) -> Optional[str]:
    """The dtype a sum or product of ``dtype`` gives: narrow signed ints and bool widen to int64;
    unsigned ones to uint64, which the tables leave unknown."""
    if dtype == api.BOOL or (dtype in api.INT_DTYPES and not dtype.startswith("u")):
        return api.INT64
    return None if dtype in api.INT_DTYPES else dtype


def bounded_dtype(bounds: Sequence[Value], count: int, default: Optional[str]) -> Optional[str]:
    """np.linspace(start, stop): ``default`` (float64) for Python numbers and integers, the bounds'
    float dtype when one is a float array or NumPy scalar; unknown when a bound is unknown."""
    if len(bounds) < count:
        return None
    strong: List[Value] = []  # arrays and NumPy scalars; Python numbers are weak and decide nothing
    for bound in bounds:
        if bound.kind in NUMBERS:
            continue
        if bound.kind not in ARRAY_KINDS or bound.dtype is None:
            return None
        strong.append(bound)
    if not any(b.dtype in api.FLOAT_DTYPES for b in strong):
        return default
    return numpy_combined_dtype(strong)  # None where NumPy's promotion is not one the tables know


def _real(value: Value) -> bool:
    """A value known to hold real numbers (the tables model no complex dtype)."""
    if value.kind in NUMBERS:
        return True
    if value.kind in ARRAY_KINDS:
        return value.dtype is not None
    if value.kind is Kind.SEQUENCE and value.element is not None:
        return _real(value.element)
    return False


def file_name(node: ast.expr, value: Value) -> Optional[str]:
    """The name of the file a path names, as written (``"feats.npy"``, ``CACHE / "feats.npy"``,
    ``os.path.join(d, "feats.npy")``, ``d + "/feats.npy"``) or as a path value carries it (a
    variable bound to one, a helper's returned path); None where it is not known."""
    if value.qualname is not None and value.qualname.startswith(api.NAMED_FILE):
        return value.qualname[len(api.NAMED_FILE):]
    if value.kind is Kind.PY_STR and value.qualname:
        return _base_name(value.qualname)
    last: Optional[ast.expr] = None
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Add)):
        last = node.right
    elif isinstance(node, ast.Call) and node.args and not node.keywords and ast.unparse(node.func) in _JOIN_SPELLINGS:
        last = node.args[-1]
    if isinstance(last, ast.Constant) and isinstance(last.value, str):
        return _base_name(last.value)
    return None


#: how a path join is written (``os.path.join``, ``import os.path as osp``).
_JOIN_SPELLINGS = ("os.path.join", "path.join", "osp.join")


def _base_name(path: str) -> Optional[str]:
    return path.replace("\\", "/").rsplit("/", 1)[-1] or None


def named_file(value: Value, node: ast.expr) -> Optional[Value]:
    """A path value that keeps the file name it was built with (``CACHE / "feats.npy"``), so a
    variable or a helper's return that holds it still names the file."""
    name = file_name(node, value)
    return Value(qualname=api.NAMED_FILE + name) if name else None


def _written_suffix(node: ast.expr) -> Optional[str]:
    """The file suffix a path expression ends with as written: "x.npy", f"{d}/x.npy", "x_%d.npy" % i,
    d + ".npy", os.path.join(d, "x.npy")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[-1], ast.Constant):
        text = str(node.values[-1].value)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _written_suffix(node.left)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _written_suffix(node.right)
    elif isinstance(node, ast.Call) and node.args and ast.unparse(node.func) in ("os.path.join", "path.join"):
        return _written_suffix(node.args[-1])
    else:
        return None
    dot = text.rfind(".")
    return text[dot:].lower() if dot >= 0 and "/" not in text[dot:] else None


def _array_or_archive(node: ast.Call) -> bool:
    """``np.load(path)`` alone (``allow_pickle=False`` at most): an ndarray or an .npz archive, never a
    pickled object (which could be anything) nor a memory map (read-only: see MAPPED_READERS)."""
    if len(node.args) != 1 or any(isinstance(arg, ast.Starred) for arg in node.args):
        return False
    return all(kw.arg == "allow_pickle" and isinstance(kw.value, ast.Constant) and kw.value.value is False
               for kw in node.keywords)


def loaded_array(value: Value) -> Value:
    """What ``np.load`` gave, once used as only an ndarray can be: a new writable array, dtype as saved."""
    return Value(kind=Kind.NDARRAY, negative_strides=Tri.NO, readonly=Tri.NO, origin=value.origin)


def data_ndim(data: Value, short: str = "") -> Optional[int]:
    """np.array(values): 1 for a flat list of numbers; for ``np.array``/``np.stack`` of a list of
    arrays of one known rank, one more (a batch axis); otherwise unknown."""
    if data.kind is Kind.SEQUENCE and data.element is not None and data.element.kind in NUMBERS + (Kind.NP_SCALAR,):
        return 1
    if (short in api.NUMPY_BATCHING_MAKERS and data.kind is Kind.SEQUENCE and data.element is not None
            and data.element.kind is Kind.NDARRAY and data.element.ndim is not None):
        return data.element.ndim + 1
    return None


def basic_index_ndim(base: Value, parts: Sequence[ast.expr], values: Sequence[Value]) -> Optional[int]:
    """Dimensions left by basic indexing with slices and integers (``a[::-1]``, ``a[:, 0]``): each
    slice keeps one, each integer drops one; ``...``, ``None`` or anything unknown: not known."""
    if base.ndim is None or len(parts) > base.ndim:
        return None
    dropped = 0
    for part, value in zip(parts, values):
        if isinstance(part, ast.Slice) or value.qualname == api.SLICE_OBJECT:
            continue
        if value.kind is Kind.PY_INT:
            dropped += 1
            continue
        return None
    return base.ndim - dropped


def shape_ndim(qual: str, args: Sequence[Arg]) -> Optional[int]:
    """Dimensions from a shape argument: np.zeros((4, 3)) -> 2, np.random.rand(n, 3) -> 2,
    np.random.randint(0, 4, size=(2, 8, 8)) -> 3."""
    given = [a for a in args if a.keyword is None]
    if qual in api.ONE_DIMENSIONAL_MAKERS:
        return 1
    if qual in api.DIMENSION_ARGUMENT_MAKERS:
        # Each argument is one dimension's length: an int (anything else raises), known or not.
        if given and all(a.value.kind in (Kind.PY_INT, None) and not a.starred for a in given):
            return len(given)
        return None
    size = argument(args, api.SIZE_POSITIONS.get(qual.rsplit(".", 1)[-1]), "size")
    if size is not None:
        if size.value.kind is Kind.PY_INT:
            return 1
        if isinstance(size.node, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in size.node.elts):
            return len(size.node.elts)
        return None
    shape = argument(args, 0, "shape")
    if qual.rsplit(".", 1)[-1] in api.SHAPE_ARGUMENT_MAKERS and shape is not None:
        if shape.value.kind is Kind.PY_INT:
            return 1
        if isinstance(shape.node, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in shape.node.elts):
            return len(shape.node.elts)
    return None


def uninitialized(value: Value) -> bool:
    """An array from np.empty: a buffer meant to be filled through its tensor view."""
    if value.origin is None:
        return False
    node = value.origin.site.node
    name = node.attr if isinstance(node, ast.Attribute) else (node.id if isinstance(node, ast.Name) else "")
    return name in api.UNINITIALIZED_MAKERS


def _broadcast_ndim(left: Value, right: Value) -> Optional[int]:
    """The rank of an operator's result over an array: the array's against a scalar, the common
    one of two arrays of the same rank; unknown otherwise (broadcasting may add dimensions)."""
    if left.kind is Kind.NDARRAY and right.kind in SCALARS:
        return left.ndim
    if right.kind is Kind.NDARRAY and left.kind in SCALARS:
        return right.ndim
    if left.kind is Kind.NDARRAY and right.kind is Kind.NDARRAY and left.ndim == right.ndim:
        return left.ndim
    return None


def single_draw(qual: str, short: str, args: Sequence[Arg]) -> Optional[Kind]:
    """What a NumPy random sampler returns when given no size and only Python numbers: np.random's
    functions and a Generator's float samplers a Python float, even given ``dtype=`` (``randint`` a
    Python int), a Generator's ``integers`` a NumPy scalar; None when it returns an array (a size,
    an array parameter) or the call is not known to be such a sampler."""
    generator = not qual.startswith("numpy.random.") or qual.count(".") > 2
    if qual not in api.DIMENSION_ARGUMENT_MAKERS and short not in api.SIZE_POSITIONS:
        return None
    if any(arg.starred for arg in args) or not all(arg.value.kind in NUMBERS for arg in args
                                                   if arg.keyword not in ("dtype", "size")):
        return None
    if qual in api.DIMENSION_ARGUMENT_MAKERS:
        if positional(args):
            return None  # np.random.rand(3, 4): its arguments are the shape
    else:
        size = argument(args, api.SIZE_POSITIONS[short], "size")
        if size is not None and size.value.kind is not Kind.NONE:
            return None
    if generator and short in api.GENERATOR_INTEGER_METHODS:
        return Kind.NP_SCALAR  # rng.integers(0, 5): a NumPy int64 (or the dtype= given)
    return Kind.PY_INT if short in api.INTEGER_SAMPLERS else Kind.PY_FLOAT  # rng.random(dtype=np.float32) too


def numpy_data_dtype(data: Value) -> Optional[str]:
    """The dtype NumPy gives an array made from ``data``: its own, or float64/int64 for Python numbers."""
    inner = data_dtype(data)[0]
    return {"pyfloat": api.FLOAT64, "pyint": api.INT64}.get(inner or "", inner)
