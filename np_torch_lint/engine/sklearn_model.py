"""scikit-learn's array plumbing, where it keeps or sets a NumPy dtype (api.SKLEARN_* rows).

``train_test_split`` returns each array it is given twice (train and test rows, fancy-indexed:
fresh, contiguous, writable), in that array's dtype. The scalers' ``fit_transform`` /
``transform`` accept float32 and float16 as they are and convert anything else to float64
(``check_array(..., dtype=FLOAT_DTYPES)``): a scaler over an int or float64 array gives float64.
Nothing here imports scikit-learn; anything else of it stays unknown.
"""
from __future__ import annotations

import ast
from typing import List, Sequence

from . import api
from .arguments import Arg, argument, first, literal_true
from .scope import Frame
from .values import UNKNOWN, Kind, Tri, Value, sequence
from .walker import Walker


class SklearnModel:
    def __init__(self, walker: Walker) -> None:
        self.it = walker

    @staticmethod
    def split(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``X_tr, X_te, y_tr, y_te = train_test_split(X, y, ...)``: two parts per array, its dtype."""
        if any(arg.starred for arg in args):
            return UNKNOWN
        parts: List[Value] = []
        for arg in args:
            if arg.keyword is not None:
                continue
            value = arg.value
            if value.kind is Kind.NDARRAY:
                value = value.with_(shares_with=None, shared_at=None, param_view=False,
                                    negative_strides=Tri.NO, readonly=Tri.NO)
            elif value.kind is not Kind.SEQUENCE:
                value = UNKNOWN
            parts += [value, value]
        return sequence(tuple(parts)) if parts else UNKNOWN

    @staticmethod
    def scaler(qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``StandardScaler()`` and its ``.fit(X)`` (which returns the scaler): an object whose
        transforms are followed (SklearnModel.scaled)."""
        return Value(kind=Kind.API, qualname=api.SKLEARN_SCALER)

    def scaled(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``scaler.fit_transform(X)``: float32/float16 kept, any other known dtype made float64."""
        data = first(args)
        if data.kind is not Kind.NDARRAY or data.dtype is None:
            return UNKNOWN
        dtype = data.dtype if data.dtype in api.SKLEARN_KEPT_FLOATS else api.FLOAT64
        return Value(kind=Kind.NDARRAY, dtype=dtype, ndim=data.ndim, negative_strides=Tri.NO, readonly=Tri.NO,
                     origin=self.it.origin(node.func) if dtype != data.dtype else data.origin)

    def toy_data(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``X, y = make_classification(...)``: float64 features, the maker's target dtype."""
        if any(arg.starred or arg.keyword in api.SKLEARN_EXTRA_RESULTS for arg in args):
            return UNKNOWN
        return self._features_and_target(node, api.SKLEARN_DATASET_MAKERS[qual])

    def bundled_data(self, qual: str, node: ast.Call, args: Sequence[Arg], frame: Frame) -> Value:
        """``X, y = load_iris(return_X_y=True)``: float64 features, the loader's target dtype; a
        Bunch (unknown) without a literal ``return_X_y=True``, pandas with ``as_frame``."""
        asks = argument(args, None, "return_X_y")
        if (asks is None or not literal_true(asks.node) or argument(args, None, "as_frame") is not None
                or any(arg.starred for arg in args)):
            return UNKNOWN
        return self._features_and_target(node, api.SKLEARN_BUNDLED_LOADERS[qual])

    def _features_and_target(self, node: ast.Call, target_dtype: str) -> Value:
        origin = self.it.origin(node.func)
        features = Value(kind=Kind.NDARRAY, dtype=api.FLOAT64, ndim=2, negative_strides=Tri.NO, readonly=Tri.NO,
                         origin=origin)
        target = Value(kind=Kind.NDARRAY, dtype=target_dtype, ndim=1, negative_strides=Tri.NO,
                       readonly=Tri.NO, origin=origin)
        return sequence((features, target))

