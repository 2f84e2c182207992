"""NumPy and torch API facts, as data.

The interpreter reads these tables; rules never test API names themselves. A
new NumPy or torch function is a row here, not a change to a rule. Names are
fully qualified (``numpy.random.rand``), as the resolver produces them from the
file's own imports.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple

# --- dtypes -------------------------------------------------------------------

FLOAT64 = "float64"
FLOAT32 = "float32"
INT64 = "int64"
BOOL = "bool"
FLOAT_DTYPES: FrozenSet[str] = frozenset({"float64", "float32", "float16", "bfloat16"})
INT_DTYPES: FrozenSet[str] = frozenset({"int64", "int32", "int16", "int8", "uint8"})

#: dtype objects by qualified name (NumPy scalar types, torch dtypes, builtins).
DTYPE_OBJECTS: Mapping[str, str] = {
    "numpy.float64": "float64", "numpy.double": "float64", "numpy.float_": "float64",
    "numpy.float32": "float32", "numpy.single": "float32",
    "numpy.float16": "float16", "numpy.half": "float16",
    "numpy.int64": "int64", "numpy.int_": "int64", "numpy.intp": "int64", "numpy.longlong": "int64",
    "numpy.int32": "int32", "numpy.intc": "int32",
    "numpy.int16": "int16", "numpy.short": "int16",
    "numpy.int8": "int8", "numpy.byte": "int8",
    "numpy.uint8": "uint8", "numpy.ubyte": "uint8",
    "numpy.bool_": "bool", "numpy.bool": "bool",
    "torch.float64": "float64", "torch.double": "float64",
    "torch.float32": "float32", "torch.float": "float32",
    "torch.float16": "float16", "torch.half": "float16",
    "torch.bfloat16": "bfloat16",
    "torch.int64": "int64", "torch.long": "int64",
    "torch.int32": "int32", "torch.int": "int32",
    "torch.int16": "int16", "torch.short": "int16",
    "torch.int8": "int8", "torch.uint8": "uint8",
    "torch.bool": "bool",
    # Python builtins as NumPy reads them: float -> float64, int -> int64.
    "builtins.float": "float64", "builtins.int": "int64", "builtins.bool": "bool",
}

#: dtype strings as NumPy and torch accept them.
DTYPE_STRINGS: Mapping[str, str] = {
    "float64": "float64", "f8": "float64", "double": "float64", "float": "float64", "<f8": "float64", "d": "float64",
    "float32": "float32", "f4": "float32", "single": "float32", "<f4": "float32", "f": "float32",
    "float16": "float16", "f2": "float16", "half": "float16",
    "int64": "int64", "i8": "int64", "int": "int64", "long": "int64", "<i8": "int64",
    "int32": "int32", "i4": "int32", "<i4": "int32",
    "int16": "int16", "i2": "int16",
    "int8": "int8", "i1": "int8",
    "uint8": "uint8", "u1": "uint8",
    "bool": "bool", "?": "bool",
}

#: torch tensor types: for ``.type(torch.FloatTensor)`` and legacy constructors.
TENSOR_TYPES: Mapping[str, Tuple[str, bool]] = {  # qualname -> (dtype, on cuda)
    "torch.FloatTensor": ("float32", False), "torch.DoubleTensor": ("float64", False),
    "torch.HalfTensor": ("float16", False), "torch.BFloat16Tensor": ("bfloat16", False),
    "torch.LongTensor": ("int64", False), "torch.IntTensor": ("int32", False),
    "torch.ShortTensor": ("int16", False), "torch.CharTensor": ("int8", False),
    "torch.ByteTensor": ("uint8", False), "torch.BoolTensor": ("bool", False),
    "torch.Tensor": ("float32", False),
    "torch.cuda.FloatTensor": ("float32", True), "torch.cuda.DoubleTensor": ("float64", True),
    "torch.cuda.HalfTensor": ("float16", True), "torch.cuda.LongTensor": ("int64", True),
    "torch.cuda.IntTensor": ("int32", True), "torch.cuda.ByteTensor": ("uint8", True),
    "torch.cuda.BoolTensor": ("bool", True),
}


# --- NumPy ---------------------------------------------------------------------

@dataclass(frozen=True)
class ArrayMaker:
    """A NumPy function that returns a new array."""

    dtype: Optional[str]  # default dtype; None: taken from the data (see ``from_data``)
    dtype_pos: Optional[int] = None  # position of the dtype argument, if any
    from_data: bool = False  # dtype follows the first argument (np.array, zeros_like)
    copies: bool = True  # a fresh, contiguous, writable array
    flips: bool = False  # result has negative strides (np.flip and friends)
    scalar: bool = False  # returns a NumPy scalar
    # The first ``bounds`` arguments set the range (linspace, logspace, geomspace): the default
    # dtype holds when they are Python numbers or integers; a float array or NumPy scalar bound
    # gives its own dtype (np.linspace(np.float32(0), 1) is float32); unknown bounds, unknown.
    bounds: int = 0
    # The dtype when a ``weights=`` argument is given (np.bincount counts in int64, sums weights in float64).
    weighted: Optional[str] = None


_FLOAT_RANDOM = (
    "rand", "randn", "random", "random_sample", "ranf", "sample", "uniform", "normal",
    "standard_normal", "beta", "gamma", "exponential", "laplace", "lognormal", "logistic",
    "standard_exponential", "standard_gamma", "chisquare", "rayleigh", "weibull", "pareto",
    "power", "vonmises", "gumbel", "triangular", "wald", "standard_cauchy", "standard_t",
    "dirichlet", "multivariate_normal", "f", "noncentral_chisquare", "noncentral_f",
)
#: NumPy random distributions of counts: int64 (the default integer) whatever their float parameters.
_INT_RANDOM = (
    "binomial", "poisson", "geometric", "hypergeometric", "negative_binomial", "zipf", "logseries",
    "multinomial",
)

ARRAY_MAKERS: Dict[str, ArrayMaker] = {
    "numpy.zeros": ArrayMaker("float64", dtype_pos=1),
    "numpy.ones": ArrayMaker("float64", dtype_pos=1),
    "numpy.empty": ArrayMaker("float64", dtype_pos=1),
    "numpy.identity": ArrayMaker("float64", dtype_pos=1),
    # full and arange take their dtype from the fill value / the bounds (see numpy_model).
    "numpy.full": ArrayMaker(None, dtype_pos=2),
    "numpy.arange": ArrayMaker(None, dtype_pos=3),
    "numpy.eye": ArrayMaker("float64", dtype_pos=3),
    "numpy.linspace": ArrayMaker("float64", dtype_pos=5, bounds=2),
    "numpy.logspace": ArrayMaker("float64", dtype_pos=5, bounds=2),
    "numpy.geomspace": ArrayMaker("float64", dtype_pos=4, bounds=2),
    "numpy.tri": ArrayMaker("float64", dtype_pos=3),
    # window functions: always float64
    "numpy.hanning": ArrayMaker("float64"),
    "numpy.hamming": ArrayMaker("float64"),
    "numpy.blackman": ArrayMaker("float64"),
    "numpy.bartlett": ArrayMaker("float64"),
    "numpy.kaiser": ArrayMaker("float64"),
    # readers: float64 unless told otherwise (np.load keeps what was saved: unknown)
    "numpy.loadtxt": ArrayMaker("float64", dtype_pos=1),
    "numpy.genfromtxt": ArrayMaker("float64", dtype_pos=1),
    "numpy.fromfile": ArrayMaker("float64", dtype_pos=1),
    "numpy.fromstring": ArrayMaker("float64", dtype_pos=1),
    "numpy.memmap": ArrayMaker("uint8", dtype_pos=1, copies=False),
    "numpy.random.randint": ArrayMaker("int64", dtype_pos=3),
    "numpy.bincount": ArrayMaker("int64", weighted="float64"),
    "numpy.array": ArrayMaker(None, dtype_pos=1, from_data=True),
    "numpy.asarray": ArrayMaker(None, dtype_pos=1, from_data=True, copies=False),
    "numpy.asanyarray": ArrayMaker(None, dtype_pos=1, from_data=True, copies=False),
    "numpy.ascontiguousarray": ArrayMaker(None, dtype_pos=1, from_data=True),
    "numpy.copy": ArrayMaker(None, from_data=True),
    "numpy.zeros_like": ArrayMaker(None, dtype_pos=1, from_data=True),
    "numpy.ones_like": ArrayMaker(None, dtype_pos=1, from_data=True),
    "numpy.empty_like": ArrayMaker(None, dtype_pos=1, from_data=True),
    "numpy.full_like": ArrayMaker(None, dtype_pos=2, from_data=True),
    "numpy.stack": ArrayMaker(None, from_data=True),
    "numpy.concatenate": ArrayMaker(None, from_data=True),
    "numpy.vstack": ArrayMaker(None, from_data=True),
    "numpy.hstack": ArrayMaker(None, from_data=True),
    "numpy.column_stack": ArrayMaker(None, from_data=True),
    "numpy.dstack": ArrayMaker(None, from_data=True),
    "numpy.flip": ArrayMaker(None, from_data=True, copies=False, flips=True),
    "numpy.fliplr": ArrayMaker(None, from_data=True, copies=False, flips=True),
    "numpy.flipud": ArrayMaker(None, from_data=True, copies=False, flips=True),
    "numpy.rot90": ArrayMaker(None, from_data=True, copies=False, flips=True),
    "numpy.float64": ArrayMaker("float64", scalar=True),
    "numpy.double": ArrayMaker("float64", scalar=True),
    "numpy.float32": ArrayMaker("float32", scalar=True),
    "numpy.int64": ArrayMaker("int64", scalar=True),
    "numpy.int32": ArrayMaker("int32", scalar=True),
}
for _name in _FLOAT_RANDOM:
    ARRAY_MAKERS["numpy.random." + _name] = ArrayMaker("float64")
for _name in _INT_RANDOM:
    ARRAY_MAKERS["numpy.random." + _name] = ArrayMaker("int64")

#: samplers that draw integers (given no size: np.random's a Python int, a Generator's a NumPy int64).
INTEGER_SAMPLERS: FrozenSet[str] = frozenset({"randint", "integers", *_INT_RANDOM})
GENERATOR_INTEGER_METHODS: FrozenSet[str] = frozenset({"integers"})
#: np.random.permutation (and a generator's ``permutation``): a shuffled arange of an int, a
#: shuffled copy of an array (numpy_model.permutation).
NUMPY_PERMUTATION = "numpy.random.permutation"
#: a ``slice(i, j, k)`` object: an index of it is a basic slice (numpy_model.subscript)
SLICE_OBJECT = "builtins.slice"
#: NumPy random generator objects and what their methods return.
GENERATOR_FACTORIES: Mapping[str, str] = {
    "numpy.random.default_rng": "numpy.random.Generator",
    "numpy.random.RandomState": "numpy.random.RandomState",
    "numpy.random.Generator": "numpy.random.Generator",
}
GENERATOR_METHODS: Mapping[str, ArrayMaker] = {
    **{name: ArrayMaker("float64") for name in _FLOAT_RANDOM},
    **{name: ArrayMaker("int64") for name in _INT_RANDOM},
    # Generator methods that take a dtype (float32 allowed), also by position:
    # rng.random(3, np.float32) is float32.
    "random": ArrayMaker("float64", dtype_pos=1),
    "standard_normal": ArrayMaker("float64", dtype_pos=1),
    "standard_exponential": ArrayMaker("float64", dtype_pos=1),
    "standard_gamma": ArrayMaker("float64", dtype_pos=2),
    "integers": ArrayMaker("int64", dtype_pos=3),
    "randint": ArrayMaker("int64", dtype_pos=3),
}

#: NumPy reductions: float64 for integer and bool input (mean, std, var), else input dtype
#: (as functions and as ndarray methods; see NUMPY_INT_ACCUMULATORS for sum and prod).
NUMPY_REDUCTIONS: Mapping[str, bool] = {  # name -> promotes integers to float64
    "mean": True, "std": True, "var": True, "average": True, "median": True, "nanmean": True,
    "nanstd": True, "nanvar": True, "nanmedian": True,
    "sum": False, "max": False, "min": False, "prod": False, "amax": False, "amin": False,
    "nansum": False, "nanprod": False, "nanmax": False, "nanmin": False, "ptp": False,
}
#: sums and products (and their running forms): integers narrower than int64 and bool
#: accumulate in int64 (np.ones(3, np.int32).sum() is int64; unsigned ones in uint64).
NUMPY_INT_ACCUMULATORS: FrozenSet[str] = frozenset({
    "sum", "prod", "nansum", "nanprod", "cumsum", "cumprod", "nancumsum", "nancumprod",
})
#: percentiles and quantiles: float64 for integer input, else input dtype; q is argument 1.
NUMPY_QUANTILES: FrozenSet[str] = frozenset({"percentile", "quantile", "nanpercentile", "nanquantile"})
#: NumPy ufuncs of one argument that return floats: a float input keeps its dtype.
NUMPY_FLOAT_UFUNCS: FrozenSet[str] = frozenset({
    "sqrt", "exp", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "tanh",
    "arctan", "arcsin", "arccos", "expm1", "exp2", "cbrt", "sinh", "cosh", "arcsinh", "arccosh",
    "arctanh", "deg2rad", "rad2deg", "degrees", "radians", "rint",
})
#: what those ufuncs give for an integer or bool input: the smallest float that holds it
#: (np.sqrt of uint8 is float16, of int16 float32, of int32 and int64 float64).
FLOAT_OF_INT: Mapping[str, str] = {
    "int64": "float64", "int32": "float64", "int16": "float32", "int8": "float16", "uint8": "float16",
    "bool": "float16",
}
#: NumPy makers that stack a list of equally shaped arrays along a new axis: one dimension more.
NUMPY_BATCHING_MAKERS: FrozenSet[str] = frozenset({"array", "asarray", "stack"})
#: ``a[np.newaxis]``: an index that adds a dimension (as ``None`` does).
NUMPY_NEWAXIS = "numpy.newaxis"
#: numpy.linalg decompositions and inverses: the fields of the named tuple each returns (None:
#: one array), every one in the input's float dtype (float32 stays float32; integers give
#: float64). Keywords that change what comes back (``compute_uv=False``, ``mode="r"``) are not read.
NUMPY_LINALG_RESULTS: Mapping[str, Optional[Tuple[str, ...]]] = {
    "linalg.qr": ("Q", "R"), "linalg.svd": ("U", "S", "Vh"), "linalg.eigh": ("eigenvalues", "eigenvectors"),
    "linalg.inv": None, "linalg.pinv": None, "linalg.cholesky": None, "linalg.eigvalsh": None,
}
NUMPY_LINALG_KEYWORDS: FrozenSet[str] = frozenset({"full_matrices", "UPLO", "hermitian"})
#: NumPy functions whose result is float64 whatever real input they get (np.interp of
#: float32 data is float64): name -> the argument whose kind gives the result's kind.
NUMPY_FLOAT64_FUNCTIONS: Mapping[str, int] = {"interp": 0, "float_power": 0}


@dataclass(frozen=True)
class Promoting:
    """A NumPy function whose result dtype combines several operands (NumPy 2 promotion)."""

    operands: Tuple[int, ...]  # argument positions of the operands
    keywords: Tuple[str, ...] = ()  # their keyword names
    division: bool = False  # true division: integer operands give float64


NUMPY_PROMOTING: Mapping[str, Promoting] = {
    **{name: Promoting((0, 1), ("x1", "x2")) for name in (
        "add", "subtract", "multiply", "power", "maximum", "minimum", "fmax", "fmin", "mod", "remainder",
        "floor_divide")},
    "divide": Promoting((0, 1), ("x1", "x2"), division=True),
    "true_divide": Promoting((0, 1), ("x1", "x2"), division=True),
    "where": Promoting((1, 2), ("x", "y")),  # np.where(cond, x, y); np.where(cond) gives indices
    "clip": Promoting((0, 1, 2), ("a", "a_min", "a_max", "min", "max")),
}
#: NUMPY_DTYPE_KEEPING rows that keep only float dtypes: for integers NumPy before 2.1 gives
#: floats (np.floor of int32 is float64) and NumPy 2.1+ the integer type: unknown.
NUMPY_ROUNDING_UFUNCS: FrozenSet[str] = frozenset({"floor", "ceil", "trunc", "fix"})
#: NumPy functions that keep the dtype of their first argument.
NUMPY_DTYPE_KEEPING: FrozenSet[str] = frozenset({
    "abs", "absolute", "transpose", "squeeze", "expand_dims", "reshape", "ravel",
    "moveaxis", "swapaxes", "negative", "square", "round", "floor", "ceil", "tile", "repeat",
    "roll", "pad", "cumsum", "sort", "atleast_1d", "atleast_2d", "atleast_3d",
    "cumprod", "nancumsum", "nancumprod", "permute_dims", "matrix_transpose", "rollaxis",
    "trunc", "fix", "diff", "nan_to_num", "triu", "tril", "positive",
    "delete", "insert", "take", "resize", "partition", "trim_zeros", "ediff1d", "fft.fftshift", "fft.ifftshift",
})
#: numpy.fft transforms with a complex result (complex64 for float32 or float16 input, complex128
#: otherwise: no dtype the tables model), an array whatever the input: its kind is known.
NUMPY_FFT_COMPLEX: FrozenSet[str] = frozenset({
    "fft.fft", "fft.ifft", "fft.rfft", "fft.ihfft", "fft.fft2", "fft.ifft2", "fft.rfft2", "fft.fftn",
    "fft.ifftn", "fft.rfftn",
})
#: numpy.fft transforms with a real result: float32 input (or complex64, whose dtype the tables do
#: not model) gives float32, float64 and integer input float64 (float16 varies by function).
NUMPY_FFT_REAL: FrozenSet[str] = frozenset({"fft.irfft", "fft.hfft", "fft.irfft2", "fft.irfftn"})
#: numpy.fft sample frequencies: a float64 array whatever the spacing's type.
NUMPY_FFT_FREQUENCIES: FrozenSet[str] = frozenset({"fft.fftfreq", "fft.rfftfreq"})
#: NumPy functions that return a tuple of arrays, the i-th in the dtype of the i-th argument
#: (``np.meshgrid(xs, ys)``: grids of the axes' dtypes).
NUMPY_PER_ARGUMENT_ARRAYS: FrozenSet[str] = frozenset({"meshgrid", "broadcast_arrays"})
#: NumPy functions that read a tensor argument through ``Tensor.__array__`` (``.numpy()``), listed
#: once from NumPy's namespace by calling each on a tensor that requires grad (tests/test_tables_numpy.py
#: checks every row against the installed NumPy and torch): predicates, sorting and counting,
#: shape and copy helpers, statistics.
NUMPY_ARRAY_READERS: FrozenSet[str] = frozenset({
    "isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit", "sign", "clip", "where", "around",
    "fabs", "reciprocal", "logical_not", "invert", "bitwise_not", "argmax", "argmin", "argsort", "nanargmax",
    "nanargmin", "count_nonzero", "unique", "unique_counts", "unique_inverse", "unique_values", "histogram",
    "histogram_bin_edges", "diag", "trace", "cov", "corrcoef", "gradient", "copy", "column_stack",
    "dstack", "broadcast_arrays", "fliplr", "flipud", "rot90", "asfortranarray", "asarray_chkfinite",
    "require", "empty_like", "zeros_like", "ones_like", "ediff1d", "trapezoid", "sinc", "spacing", "modf",
    "frexp", "conj", "conjugate", "angle", "real_if_close", "i0", "unwrap", "acos", "acosh", "asin", "asinh",
    "atan", "atanh",
})
#: functions of other libraries that convert a tensor argument with ``np.asarray`` (``Tensor.__array__``,
#: so ``.numpy()``: it raises for a tensor that requires grad or is on a GPU), by the positions of
#: their data arguments: matplotlib's plotting functions (pyplot and Axes methods share the names,
#: only pyplot's are read by name) and scikit-learn's metrics. Observed with matplotlib 3.11 and
#: scikit-learn 1.9 (tests/test_tables_foreign.py runs each row where the library is installed).
FOREIGN_ARRAY_READERS: Mapping[str, Tuple[int, ...]] = {
    **{"matplotlib.pyplot." + name: positions for name, positions in {
        "plot": (0, 1), "scatter": (0, 1), "imshow": (0,), "hist": (0,), "bar": (0, 1), "barh": (0, 1),
        "matshow": (0,), "errorbar": (0, 1), "fill_between": (0, 1, 2), "stem": (0, 1), "step": (0, 1),
        "semilogy": (0, 1), "semilogx": (0, 1), "loglog": (0, 1), "boxplot": (0,), "pcolormesh": (0,),
        "contour": (0,), "contourf": (0,), "hist2d": (0, 1),
    }.items()},
    **{"sklearn.metrics." + name: (0, 1) for name in (
        "accuracy_score", "f1_score", "precision_score", "recall_score", "confusion_matrix", "roc_auc_score",
        "mean_squared_error", "mean_absolute_error", "r2_score", "balanced_accuracy_score",
        "average_precision_score", "roc_curve", "precision_recall_curve", "classification_report",
        "matthews_corrcoef", "cohen_kappa_score", "log_loss", "top_k_accuracy_score",
    )},
}
#: methods, on any object that is not a tensor, array or module, that store their keyword argument
#: with ``np.asarray``: ``h5_file.create_dataset(name, data=t)`` (h5py, zarr).
FOREIGN_READER_METHODS: Mapping[str, str] = {"create_dataset": "data"}
#: NumPy functions that convert their first argument (a tensor or list of tensors) to an array.
NUMPY_CONSUMERS: FrozenSet[str] = frozenset(
    {"numpy.array", "numpy.asarray", "numpy.asanyarray", "numpy.ascontiguousarray",
     "numpy.stack", "numpy.concatenate", "numpy.vstack", "numpy.hstack"}
    | {"numpy." + name for name in NUMPY_ARRAY_READERS}
    | {"numpy." + name for name in NUMPY_REDUCTIONS}
    | {"numpy." + name for name in NUMPY_FLOAT_UFUNCS | NUMPY_DTYPE_KEEPING | NUMPY_QUANTILES}
)

#: functions that, given one tensor, call the tensor's own method (np.mean(t) is t.mean(axis=None,
#: ...), a TypeError; np.squeeze(t) a tensor): no conversion. Over a list of tensors they convert.
NUMPY_TENSOR_METHOD_FUNCTIONS: FrozenSet[str] = frozenset({
    "numpy." + name for name in ("sum", "prod", "max", "min", "amax", "amin", "mean", "std", "var",
                                 "squeeze", "swapaxes", "moveaxis", "rollaxis", "concatenate")
})

#: ndarray methods that return an array of the same dtype that may still be a view.
NDARRAY_VIEWS: FrozenSet[str] = frozenset({"transpose", "swapaxes", "squeeze", "view"})
#: ndarray methods that return an array of the same dtype, layout unknown.
NDARRAY_SAME_DTYPE: FrozenSet[str] = frozenset({"reshape", "ravel", "round", "repeat", "cumsum", "cumprod", "take"})
#: ndarray attributes that are views of the same data.
NDARRAY_VIEW_ATTRS: FrozenSet[str] = frozenset({"T", "mT", "real"})
#: Methods and attributes that keep the dtype on every array-like that has them (ndarray,
#: NumPy scalar, pandas Series/DataFrame): read on a value of unknown kind whose dtype is known.
ARRAY_LIKE_SAME_DTYPE_METHODS: FrozenSet[str] = frozenset({"copy", "transpose", "swapaxes", "squeeze", "reshape",
                                                           "ravel", "flatten", "to_numpy"})
ARRAY_LIKE_SAME_DTYPE_ATTRS: FrozenSet[str] = frozenset({"T", "values"})
#: reductions that give float64 on every float64 array-like (an ndarray, a NumPy scalar, a pandas
#: object: ``frame.mean()``, ``a.std(axis=0)``); for other dtypes NumPy and pandas may differ.
ARRAY_LIKE_FLOAT64_REDUCTIONS: FrozenSet[str] = frozenset({"mean", "std", "var", "median", "sum", "min", "max"})


# --- torch: conversions and factories ------------------------------------------

@dataclass(frozen=True)
class Conversion:
    """A torch function that turns NumPy data (or Python data) into a tensor."""

    shares_memory: bool  # from_numpy, as_tensor without a dtype/device change
    dtype_pos: Optional[int] = None
    device_pos: Optional[int] = None
    legacy_dtype: Optional[str] = None  # torch.Tensor(a) and friends: a fixed dtype
    # A keyword that, given True, makes a copy (torch.asarray(a, copy=True)).
    copy_keyword: Optional[str] = None
    # A read-only array warns even when a dtype is given (as_tensor wraps the array first, then
    # casts); torch.asarray with a dtype casts without wrapping it: no warning.
    dtype_change_wraps: bool = True


CONVERSIONS: Dict[str, Conversion] = {
    "torch.from_numpy": Conversion(shares_memory=True),
    "torch.as_tensor": Conversion(shares_memory=True, dtype_pos=1, device_pos=2),
    "torch.asarray": Conversion(shares_memory=True, dtype_pos=1, device_pos=2, copy_keyword="copy",
                                dtype_change_wraps=False),
    "torch.tensor": Conversion(shares_memory=False, dtype_pos=1, device_pos=2),
}
for _qual, (_dtype, _cuda) in TENSOR_TYPES.items():
    if not _cuda:
        CONVERSIONS[_qual] = Conversion(shares_memory=False, legacy_dtype=_dtype)

#: torch factories: default dtype (None: from the arguments).
TORCH_FACTORIES: Mapping[str, Optional[str]] = {
    "torch.zeros": "float32", "torch.ones": "float32", "torch.empty": "float32",
    "torch.rand": "float32", "torch.randn": "float32", "torch.full": None,
    "torch.eye": "float32", "torch.linspace": "float32", "torch.logspace": "float32",
    "torch.arange": None, "torch.randint": "int64", "torch.randperm": "int64",
    "torch.zeros_like": None, "torch.ones_like": None, "torch.rand_like": None,
    "torch.randn_like": None, "torch.empty_like": None, "torch.full_like": None,
    "torch.normal": None,
}
#: factories that make their result where their tensor argument is (``torch.zeros_like(x)``,
#: ``torch.normal(mean, std)`` of tensors); given no tensor, on the CPU like the others.
FACTORIES_ON_ARGUMENT_DEVICE: FrozenSet[str] = frozenset(
    {name for name in TORCH_FACTORIES if name.endswith("_like")} | {"torch.normal"})

#: tensor methods that return the NumPy array behind a tensor (sharing its memory).
TO_NUMPY_METHODS: FrozenSet[str] = frozenset({"numpy"})

@dataclass(frozen=True)
class Loader:
    """A function that loads a checkpoint and places its tensors where they were saved."""

    map_location_pos: int  # the position of its map_location parameter
    from_url: bool = False  # it downloads weights: the project's own save sites say nothing about them


#: every loader of tensors that takes map_location (torch.utils.model_zoo.load_url is an alias
#: of torch.hub.load_state_dict_from_url; older torchvision re-exported it).
LOADERS: Mapping[str, Loader] = {
    "torch.load": Loader(1),
    "torch.hub.load_state_dict_from_url": Loader(2, from_url=True),
    "torch.utils.model_zoo.load_url": Loader(2, from_url=True),
    "torchvision.models.utils.load_state_dict_from_url": Loader(2, from_url=True),
}
#: calls that unpickle whatever object was saved. What they return is unknown, except where the
#: program binds the same name to a module on another path (``net = Net() if fresh else
#: pickle.load(fh)``, see values.join): the object read back is then that module, as saved.
UNPICKLERS: FrozenSet[str] = frozenset({"pickle.load", "pickle.loads", "torch.load"})
#: parsers of text into plain Python data (dicts, lists, str, int, float, bool, None): an item of
#: what they return, divided by a number or combined with a float, is a Python float (a str or a
#: list would raise). yaml.safe_load builds only those types too; yaml.load may build any object.
TEXT_DATA_PARSERS: FrozenSet[str] = frozenset({"json.load", "json.loads", "yaml.safe_load"})
#: loaders that return a module (a TorchScript module), on the map_location device when given
MODULE_LOADERS: FrozenSet[str] = frozenset({"torch.jit.load"})
UNPICKLED = "unpickled object"  # the same string as values.UNPICKLED (values.py imports no table)
#: methods that take a module's weights: a checkpoint loaded into one holds tensors saved by training.
WEIGHT_LOADING_METHODS: FrozenSet[str] = frozenset({"load_state_dict"})
#: modules whose state dict holds no tensor storages: torch2trt's TRTModule saves its TensorRT engine as
#: bytes and its input and output names; a checkpoint loaded into one has nothing to put on a device.
TENSORLESS_STATE_MODULES: FrozenSet[str] = frozenset({"torch2trt.TRTModule", "torch2trt.torch2trt.TRTModule"})
#: calls (by last name) that read back what some run saved: their result may hold CUDA tensors
#: even in a file that never names CUDA (torch.load, pickle.load, joblib.load, hub downloads).
READ_BACK_CALLS: FrozenSet[str] = frozenset({"load", "loads", "load_url", "load_state_dict_from_url"})
#: torch's own function that writes a checkpoint (`torch.save`, `from torch import save`).
SAVE_FUNCTIONS_OF_TORCH: FrozenSet[str] = frozenset({"save"})
#: methods whose result holds CPU data whatever the receiver: `.cpu()`, and the ways out to
#: NumPy and Python (which fail on a CUDA tensor rather than return one).
CPU_RESULT_METHODS: FrozenSet[str] = frozenset({"cpu", "numpy", "tolist", "item"})
#: methods that every array, NumPy scalar and tensor has, giving the Python number of its dtype
#: (np.float32 array .item() is a float, int32 an int, bool a bool; the same for a tensor).
PYTHON_NUMBER_METHODS: FrozenSet[str] = frozenset({"item"})
#: methods of arrays and tensors that give their values as (nested) Python lists of the Python
#: number of their dtype, one level per dimension (a float32 row's .tolist() is a list of floats).
PYTHON_LIST_METHODS: FrozenSet[str] = frozenset({"tolist"})
#: keys under which a checkpoint dict keeps a training counter (``{"model": ..., "epoch": epoch}``):
#: a name or attribute stored there is a Python number, not a tensor (NTL302's saved-on-CPU test).
CHECKPOINT_COUNTER_KEYS: FrozenSet[str] = frozenset({
    "epoch", "epochs", "step", "steps", "global_step", "iteration", "iterations", "iter", "n_iter",
    "num_updates", "start_epoch", "last_epoch", "total_steps"})
#: methods whose result lives where the receiver lives (`model.cpu().state_dict()`,
#: `t.cpu().clone()`): a saved object built by them from CPU data holds CPU data.
DEVICE_KEEPING_METHODS: FrozenSet[str] = frozenset({
    "state_dict", "clone", "detach", "contiguous", "float", "double", "half", "bfloat16", "view", "reshape",
    "squeeze", "unsqueeze", "permute", "copy", "items", "values",
})
#: what writes a checkpoint: a load after one in the same function reads what this host wrote
#: (any callee whose name contains "save" counts too: torch.save, save_checkpoint, save_model)
SAVE_METHODS: FrozenSet[str] = frozenset({"fit"} | {
    # checkpoint handlers of the training libraries, made where they are used (ignite's
    # ModelCheckpoint/Checkpoint called as h(engine, to_save) or attached to an engine, Lightning's
    # ModelCheckpoint callback): the function that builds one writes checkpoints on this host.
    "ModelCheckpoint", "Checkpoint", "DiskSaver",
})
#: decorators that skip a test outright: the definition never runs (a placement in it raises nowhere).
SKIP_DECORATORS: FrozenSet[str] = frozenset({"pytest.mark.skip", "unittest.skip", "mark.skip"})
#: keywords whose string names a device type without placing anything there
#: (``torch.autocast(device_type="cuda", enabled=False)``): no evidence that the code uses CUDA.
DEVICE_TYPE_KEYWORDS: FrozenSet[str] = frozenset({"device_type"})


# --- torch: tensor methods and functions ---------------------------------------

#: methods that cast: name -> dtype.
TENSOR_CASTS: Mapping[str, str] = {
    "float": "float32", "double": "float64", "half": "float16", "bfloat16": "bfloat16",
    "long": "int64", "int": "int32", "short": "int16", "char": "int8", "byte": "uint8",
    "bool": "bool",
}
#: methods and functions whose result never requires grad (integer or bool results; not sign:
#: it keeps the float dtype and requires grad).
INTEGER_RESULTS: Mapping[str, Optional[str]] = {
    "argmax": "int64", "argmin": "int64", "argsort": "int64", "nonzero": "int64",
    "eq": "bool", "ne": "bool", "lt": "bool", "gt": "bool", "le": "bool", "ge": "bool",
    "isnan": "bool", "isinf": "bool", "isfinite": "bool", "logical_not": "bool",
    "logical_and": "bool", "logical_or": "bool",
    "bucketize": "int64", "searchsorted": "int64", "multinomial": "int64",
    "count_nonzero": "int64", "argwhere": "int64", "isclose": "bool", "isin": "bool", "isneginf": "bool",
    "isposinf": "bool", "isreal": "bool", "signbit": "bool", "logical_xor": "bool",
}
#: methods/functions that return a (values, indices) named tuple: the values keep the input's
#: dtype, device and grad, the indices are int64 on its device. Those in VALUES_INDICES_WITH_DIM
#: return it only when a dimension is given (``t.max()`` is a tensor; ``torch.max(a, b)`` is
#: elementwise).
VALUES_INDICES_RESULTS: FrozenSet[str] = frozenset({
    "max", "min", "median", "nanmedian", "mode", "topk", "sort", "kthvalue", "cummax", "cummin",
})
VALUES_INDICES_WITH_DIM: FrozenSet[str] = frozenset({"max", "min", "median", "nanmedian"})
VALUES_INDICES_FIELDS: Tuple[str, str] = ("values", "indices")
#: methods/functions that keep dtype, device and grad of the (first) tensor. (Not detach_:
#: torch.detach_(t) detaches; the method is read as detach. Not mse_loss: a FUNCTIONAL_LOSSES row.)
TENSOR_PROPAGATING: FrozenSet[str] = frozenset({
    "view", "view_as", "reshape", "reshape_as", "unsqueeze", "squeeze", "permute", "transpose",
    "t", "contiguous", "flatten", "unflatten", "expand", "expand_as", "repeat", "clone", "narrow",
    "select", "index_select", "gather", "masked_fill", "masked_select", "flip", "roll", "movedim",
    "sum", "mean", "std", "var", "prod", "norm", "abs", "exp", "log", "log1p", "sqrt", "rsqrt",
    "sigmoid", "tanh", "relu", "softmax", "log_softmax", "pow", "clamp", "clip", "neg", "square",
    "cumsum", "cumprod", "add", "sub", "mul", "div", "true_divide", "matmul", "mm", "bmm",
    "squeeze_", "unsqueeze_", "sin", "cos", "floor", "ceil", "round", "pin_memory",
    "logsumexp", "amax", "amin", "diag", "tril", "triu", "trace", "outer", "dot", "einsum",
    "cat", "stack", "concat", "concatenate", "where", "lerp", "addmm", "baddbmm", "dist",
    "cosine_similarity", "linear", "dropout", "gelu", "silu", "elu", "leaky_relu", "softplus",
    "normalize", "interpolate", "pad", "conv1d", "conv2d", "conv3d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "layer_norm", "batch_norm", "embedding", "one_hot", "hardtanh", "sign",
    # elementwise math (torch and Tensor), read once from torch's reference: same dtype, device, grad
    "exp2", "expm1", "log2", "log10", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
    "atanh", "erf", "erfc", "erfinv", "reciprocal", "frac", "trunc", "fix", "logit", "nan_to_num", "sinc",
    "deg2rad", "rad2deg", "diff", "fmod", "remainder", "maximum", "minimum", "fmax", "fmin", "hypot",
    "atan2", "xlogy", "logaddexp", "poisson", "bernoulli",
    # torch.nn.functional activations
    "softsign", "hardswish", "mish", "selu", "celu", "logsigmoid", "relu6", "hardsigmoid", "tanhshrink",
    # shape, linear algebra and reductions that give one tensor (torch and Tensor)
    "hstack", "vstack", "tile", "broadcast_to", "swapaxes", "fliplr", "flipud", "diagonal", "diag_embed",
    "take", "take_along_dim", "repeat_interleave", "kron", "cross", "mv", "cdist", "det", "inverse",
    "pinverse", "cov", "corrcoef", "nanmean", "nansum", "quantile", "logcumsumexp", "lgamma", "negative",
    "floor_divide", "addcmul", "addcdiv", "scatter", "index_add",
})
#: attributes of a tensor that are tensors with the same dtype.
TENSOR_VIEW_ATTRS: FrozenSet[str] = frozenset({"T", "mT", "H", "mH", "real"})

#: where torch.nn's layer classes are named (``isinstance(m, nn.Linear)``, ``torch.nn.modules.conv.Conv2d``)
TORCH_NN_NAMESPACES: FrozenSet[str] = frozenset({"torch.nn", "torch.nn.modules", "torch.nn.modules.linear",
                                                 "torch.nn.modules.conv", "torch.nn.modules.batchnorm",
                                                 "torch.nn.modules.normalization", "torch.nn.modules.sparse",
                                                 "torch.nn.modules.rnn", "torch.nn.modules.activation",
                                                 "torch.nn.modules.transformer"})
#: torch.nn module classes with float parameters (their output requires grad).
PARAMETRIC_MODULES: FrozenSet[str] = frozenset({
    "Linear", "Bilinear", "LazyLinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
    "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LayerNorm", "GroupNorm",
    "RMSNorm", "Embedding", "EmbeddingBag", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell",
    "GRUCell", "MultiheadAttention", "Transformer", "TransformerEncoder",
    "TransformerDecoder", "TransformerEncoderLayer", "TransformerDecoderLayer", "PReLU",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
    "LazyConvTranspose3d",
})
#: modules whose call returns a tuple, not a tensor.
#: wrappers that run the module they are given (on its device) and return its outputs.
MODULE_WRAPPERS: FrozenSet[str] = frozenset({
    "torch.nn.DataParallel", "torch.nn.parallel.DataParallel",
    "torch.nn.parallel.DistributedDataParallel", "torch.nn.parallel.data_parallel.DataParallel",
    # compiled or scripted, a module runs its own forward on its own parameters
    "torch.compile", "torch.jit.script",
})
#: the attribute through which a wrapper (DataParallel, DistributedDataParallel) gives back the
#: module it wraps: ``model.module.fc``, ``model.module.state_dict()``.
WRAPPED_MODULE_ATTR = "module"
#: modules that return a tuple: name -> its shape ("tensor": an output tensor when the input is a
#: tensor (a PackedSequence gives one back); "state": a hidden-state tensor; a nested tuple; None: unknown
#: (MultiheadAttention's weights are None with need_weights=False)).
TUPLE_OUTPUT_MODULES: Mapping[str, Tuple[Any, ...]] = {
    "RNN": ("tensor", "state"), "GRU": ("tensor", "state"), "LSTM": ("tensor", ("state", "state")),
    "LSTMCell": ("state", "state"), "MultiheadAttention": ("tensor", None),
}
#: calls that run a function on each item of a sequence: map(f, items), Pool.map/imap/starmap,
#: Executor.map (evaluator._mapped: the function is walked with an item).
MAPPING_CALLS: FrozenSet[str] = frozenset({"map", "imap", "imap_unordered", "starmap"})
#: dict constructors: ``dict(d)``, ``OrderedDict(pairs)`` hold what they are given.
DICT_CONSTRUCTORS: FrozenSet[str] = frozenset({"builtins.dict", "collections.OrderedDict", "typing.OrderedDict"})
#: containers: parametric when any member is.
CONTAINER_MODULES: FrozenSet[str] = frozenset({"Sequential", "ModuleList", "ModuleDict"})
#: nn classes that are not modules a model is made of.
NON_MODULE_CLASSES: FrozenSet[str] = frozenset({"Parameter", "ParameterList", "ParameterDict", "Module", "init", "utils", "functional"})

#: torch.nn module classes without parameters (their output needs grad only if their input does).
PARAMETER_FREE_MODULES: FrozenSet[str] = frozenset({
    "ReLU", "ReLU6", "Dropout", "Dropout2d", "Identity", "Flatten", "Unflatten", "Sigmoid", "Tanh",
    "Softmax", "LogSoftmax", "GELU", "LeakyReLU", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d",
    "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Upsample", "SiLU",
    "ELU", "Mish", "Hardswish", "Softplus",
    # the rest of torch.nn's parameter-free layers (activations, pooling, padding, dropout,
    # reshuffles), checked once against torch.nn's list (tests/test_tables_torch.py constructs each).
    # InstanceNorm is not here: with affine=True it has parameters.
    "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool3d", "AlphaDropout", "AvgPool3d", "CELU",
    "ChannelShuffle", "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "Dropout1d", "Dropout3d", "FeatureAlphaDropout", "Fold", "FractionalMaxPool2d",
    "FractionalMaxPool3d", "GLU", "Hardshrink", "Hardsigmoid", "Hardtanh", "LPPool1d", "LPPool2d",
    "LPPool3d", "LocalResponseNorm", "LogSigmoid", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
    "PixelShuffle", "PixelUnshuffle", "RReLU", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "SELU", "Softmax2d", "Softmin", "Softshrink",
    "Softsign", "Tanhshrink", "Threshold", "Unfold", "UpsamplingBilinear2d", "UpsamplingNearest2d",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
})
#: tensor methods that combine the tensor with another operand (type promotion applies).
TENSOR_BINARY_METHODS: FrozenSet[str] = frozenset({"add", "sub", "mul", "div", "matmul", "mm", "bmm", "true_divide"})
#: loss modules (torch.nn.<name>) and functional losses, with the input/target positions.
LOSS_MODULES: FrozenSet[str] = frozenset({
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss",
    "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "HingeEmbeddingLoss",
    "MarginRankingLoss", "CosineEmbeddingLoss", "TripletMarginLoss", "MultiMarginLoss",
})
FUNCTIONAL_LOSSES: FrozenSet[str] = frozenset({
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div",
    "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
    "hinge_embedding_loss", "margin_ranking_loss", "cosine_embedding_loss", "triplet_margin_loss",
})

#: losses whose target holds class indices: int64 (or 1-d uint8) only.
CLASS_INDEX_LOSSES: FrozenSet[str] = frozenset({"CrossEntropyLoss", "NLLLoss", "cross_entropy", "nll_loss"})
#: tensors a loss computes with besides its input and target (``CrossEntropyLoss(weight=w)``,
#: ``F.binary_cross_entropy_with_logits(x, y, pos_weight=p)``): in the input's dtype, or it raises.
LOSS_WEIGHT_KEYWORDS: FrozenSet[str] = frozenset({"weight", "pos_weight"})
#: base classes of map-style datasets (their __getitem__ feeds default_collate).
DATASET_BASES: FrozenSet[str] = frozenset({"torch.utils.data.Dataset", "torch.utils.data.dataset.Dataset"})


@dataclass(frozen=True)
class ReadOnlyView:
    """A NumPy function whose result is a view of its first argument that NumPy marks read-only."""

    writeable_keyword: Optional[str] = None  # a keyword that, given a literal, decides writability
    readonly_by_default: bool = True  # without that keyword
    keeps_strides: bool = True  # the view's strides keep the sign of the argument's


READONLY_VIEWS: Mapping[str, ReadOnlyView] = {
    "numpy.broadcast_to": ReadOnlyView(),
    "numpy.diagonal": ReadOnlyView(),
    "numpy.lib.stride_tricks.sliding_window_view": ReadOnlyView(writeable_keyword="writeable"),
    # as_strided is writable unless told otherwise; its strides are whatever it is given.
    "numpy.lib.stride_tricks.as_strided": ReadOnlyView(writeable_keyword="writeable", readonly_by_default=False,
                                                       keeps_strides=False),
}
#: ndarray methods whose result is a read-only view (a.diagonal()).
NDARRAY_READONLY_VIEWS: FrozenSet[str] = frozenset({"diagonal"})
#: readers that map a file: (argument position, keyword) of the mode and the modes that are read-only.
MAPPED_READERS: Mapping[str, Tuple[int, str]] = {"numpy.load": (1, "mmap_mode"), "numpy.memmap": (2, "mode")}
#: np.load of a path written in the code with this suffix reads one array (dtype as saved);
#: an .npz path gives a dict-like archive, and a path not written out may be either.
NPY_SUFFIX = ".npy"
#: NumPy writers of one array to a .npy file: name -> (position of the file, position of the array).
NUMPY_ARRAY_SAVERS: Mapping[str, Tuple[int, int]] = {"numpy.save": (0, 1)}
#: the qualname of a path value whose file name is known (``CACHE / "feats.npy"``): this prefix and the name.
NAMED_FILE = "<path to file> "
#: functions that join path parts: the last part, a literal, names the file.
PATH_JOINS: FrozenSet[str] = frozenset({"os.path.join", "posixpath.join"})
#: what np.load gives for a path not written out (``np.load(path)``, no allow_pickle): an ndarray or,
#: for an .npz file, an NpzFile archive. A use only an ndarray has settles it as an array.
NUMPY_LOADED = "numpy.load.result"
#: ndarray methods and attributes that an NpzFile archive lacks (it has keys, items, files, get, close, ...).
NDARRAY_ONLY_MEMBERS: FrozenSet[str] = frozenset({
    "astype", "reshape", "transpose", "swapaxes", "squeeze", "flatten", "ravel", "T", "tolist",
})
READONLY_MODES: FrozenSet[str] = frozenset({"r", "readonly"})
#: PIL: opening and the image methods that return an image.
PIL_OPENERS: FrozenSet[str] = frozenset({"PIL.Image.open", "PIL.Image.fromarray", "PIL.Image.new"})
PIL_IMAGE = "PIL.Image.Image"
#: OpenCV: ``cv2.imread(path)`` with its default flag (IMREAD_COLOR) gives a new H x W x 3 uint8
#: BGR array (or None for a file it cannot read, which fails at the first use); with any other
#: flag the dtype and dimensions are not known. The image functions return a new array of their
#: source's dtype (``cv2.resize(img, size)``, ``cv2.cvtColor(img, code)``).
OPENCV_READERS: FrozenSet[str] = frozenset({"cv2.imread"})
OPENCV_SAME_DTYPE: FrozenSet[str] = frozenset({"cv2.resize", "cv2.cvtColor", "cv2.GaussianBlur", "cv2.medianBlur",
                                               "cv2.warpAffine", "cv2.copyMakeBorder"})
#: NumPy's constants that are plain Python floats (np.pi * 2 is a float, np.linspace(0, np.pi) float64).
NUMPY_FLOAT_CONSTANTS: FrozenSet[str] = frozenset({"numpy.pi", "numpy.e", "numpy.inf", "numpy.nan", "numpy.euler_gamma"})
#: a file opened in binary mode (``open(path, "rb")``): its ``read()`` gives immutable bytes.
#: NumPy samplers whose ``size`` may also be given by position: its index (``randint(low, high,
#: size)``, ``normal(loc, scale, size)``); NumPy's own signatures, for np.random and a Generator.
SIZE_POSITIONS: Mapping[str, int] = {
    "randint": 2, "integers": 2, "normal": 2, "uniform": 2, "binomial": 2, "lognormal": 2, "laplace": 2,
    "logistic": 2, "gumbel": 2, "beta": 2, "gamma": 2, "poisson": 1, "exponential": 1,
    "standard_normal": 0, "random": 0, "random_sample": 0,
}
BINARY_FILE = "builtins.open.binary"
#: openers of files and their default mode: what they return reads bytes when the mode (given,
#: or this default) has a "b" (``gzip.open(path)`` is binary, ``open(path)`` text).
FILE_OPENERS: Mapping[str, str] = {"builtins.open": "r", "gzip.open": "rb", "bz2.open": "rb", "lzma.open": "rb"}
#: standard-library calls whose result is their first argument's value, copied: no memory shared
#: with it, no view of a live parameter (a deep copy of a model or a state dict, of an array).
DEEP_COPIES: FrozenSet[str] = frozenset({"copy.deepcopy"})
#: functools.partial: a function of the file with some arguments bound; calling it passes them first.
PARTIALS: FrozenSet[str] = frozenset({"functools.partial"})
#: nn.Module methods that store a tensor as an attribute, by the keyword of the tensor:
#: ``self.register_buffer("mean", t)`` is read back as ``self.mean``.
ATTRIBUTE_REGISTRARS: Mapping[str, str] = {"register_buffer": "tensor", "register_parameter": "param"}
#: makers of named-tuple types, by the keyword of their field list (``namedtuple("Step",
#: ["loss", "logits"])``, ``NamedTuple("Step", [("loss", Tensor), ...])``): an instance is a tuple
#: whose fields are read by name too (what the class form, ``class Step(NamedTuple)``, gives).
RECORD_TYPE_MAKERS: Mapping[str, str] = {"collections.namedtuple": "field_names", "typing.NamedTuple": "fields"}
#: the qualified name of a type made by a RECORD_TYPE_MAKERS row (its fields are the value's keys).
RECORD_TYPE = "collections.namedtuple()"
#: standard-library calls whose result is a list of items drawn from their first argument.
SAMPLERS: FrozenSet[str] = frozenset({"random.sample", "random.choices"})
#: standard-library containers that hold the items of their first argument (or none yet), and
#: grow with append like a list.
LIST_LIKE_CONTAINERS: FrozenSet[str] = frozenset({"collections.deque"})
BINARY_READ_METHODS: FrozenSet[str] = frozenset({"read", "read1", "readall"})
#: methods of path objects that open their file (``pathlib.Path.open(mode="r")``, zipfile.Path's
#: too), by the position of their mode: a literal mode with a "b" makes a binary file.
PATH_OPEN_METHODS: Mapping[str, int] = {"open": 0}
#: methods of path objects that return the file's bytes (``pathlib.Path.read_bytes()``).
PATH_BYTES_METHODS: FrozenSet[str] = frozenset({"read_bytes"})
#: the characters of an ``open`` mode: a first argument of only these is a mode, not a file name.
FILE_MODE_CHARACTERS: FrozenSet[str] = frozenset("rwxabt+")
#: standard-library functions that return bytes (immutable: np.frombuffer over them is read-only).
BYTES_FUNCTIONS: FrozenSet[str] = frozenset({
    "struct.pack", "zlib.compress", "zlib.decompress", "gzip.compress", "gzip.decompress", "bz2.compress",
    "bz2.decompress", "lzma.compress", "lzma.decompress", "base64.b64decode", "base64.b64encode",
    "base64.urlsafe_b64decode", "base64.decodebytes", "base64.b85decode", "binascii.unhexlify",
    "binascii.a2b_base64", "pickle.dumps", "os.urandom",
})
#: (not thumbnail: it resizes the image in place and returns None)
PIL_IMAGE_METHODS: FrozenSet[str] = frozenset({"convert", "resize", "crop", "rotate", "transpose", "copy", "filter"})

#: ndarray methods that write the array in place (itemset: NumPy 1 only). Not resize: on an array
#: shared with a tensor it raises ("cannot resize an array that references or is referenced").
NDARRAY_INPLACE: FrozenSet[str] = frozenset({"fill", "sort", "put", "itemset", "partition", "setfield"})
#: in-place methods (tensor and ndarray) that fill their receiver with new data instead of transforming
#: what it holds: a buffer shared on purpose is written this way (NTL401 on an instance's attributes).
#: of those, the methods that set every element to one number (``fill(0.0)``, ``zero_()``): a clear
CLEARING_METHODS: FrozenSet[str] = frozenset({"fill", "fill_", "zero_"})
FILLING_METHODS: FrozenSet[str] = frozenset({
    "copy_", "fill_", "zero_", "set_", "index_copy_", "index_fill_", "index_put_", "put_", "masked_fill_",
    "masked_scatter_", "scatter_", "uniform_", "normal_", "random_", "bernoulli_", "exponential_", "geometric_",
    "cauchy_", "log_normal_", "fill", "put", "itemset", "setfield",
})
#: tensor methods ending in "_" that do not write the tensor's data: they change its grad flag,
#: its storage's sharing, or only its view of the data (shape, strides, names).
NOT_WRITES: FrozenSet[str] = frozenset({
    "requires_grad_", "share_memory_", "detach_", "squeeze_", "unsqueeze_", "t_", "transpose_", "swapdims_",
    "swapaxes_", "as_strided_", "resize_", "resize_as_",
})
#: attributes that read an array's or tensor's metadata, not its data.
METADATA_ATTRS: FrozenSet[str] = frozenset({"shape", "dtype", "ndim", "device", "nbytes", "itemsize", "strides", "is_cuda"})
#: NumPy functions that write their first argument in place.
#: ufuncs whose unbuffered ``.at`` method writes its first argument: np.add.at(hist, idx, 1).
INPLACE_AT_UFUNCS: Tuple[str, ...] = ("add", "subtract", "multiply", "divide", "maximum", "minimum", "negative")
NUMPY_INPLACE_FUNCTIONS: FrozenSet[str] = frozenset({
    "numpy.random.shuffle", "numpy.copyto", "numpy.put", "numpy.place", "numpy.fill_diagonal", "numpy.putmask",
    "numpy.put_along_axis", "numpy.random.Generator.shuffle", "numpy.random.RandomState.shuffle",
}) | frozenset("numpy.%s.at" % ufunc for ufunc in INPLACE_AT_UFUNCS)
#: torch functions named like in-place methods (`torch.relu_(t)`, `torch.nn.init.zeros_(w)`,
#: `F.relu_(t)`; and any torch.nn.functional call given `inplace=True`) write their first argument.
#: These do not write its data (they scale gradients):
NOT_WRITING_INPLACE_FUNCTIONS: FrozenSet[str] = frozenset({"clip_grad_norm_", "clip_grad_value_"})
#: tensor methods whose result is a view of the same storage.
#: tensor methods whose result always shares the receiver's storage (never a copy): ``x.detach().numpy()``
#: is a view of ``x``.
TENSOR_SAME_STORAGE_METHODS: FrozenSet[str] = frozenset({
    "detach", "view", "view_as", "unsqueeze", "squeeze", "permute", "transpose", "t", "narrow", "select",
    "expand", "expand_as",
})
TENSOR_VIEW_METHODS: FrozenSet[str] = frozenset({
    "view", "view_as", "reshape", "unsqueeze", "squeeze", "permute", "transpose", "t", "flatten",
    "contiguous", "expand", "expand_as", "narrow", "select", "squeeze_", "unsqueeze_",
})
#: torch.distributions classes, by every path torch exports them under, and the dtype of what
#: their ``sample()`` gives (None: the parameter's float dtype). A distribution keeps its float
#: parameter's dtype, device and grad (logits, probs, loc, ...); see engine/distributions.py.
_DISTRIBUTION_SAMPLES: Mapping[str, Optional[str]] = {
    "categorical.Categorical": "int64", "normal.Normal": None, "bernoulli.Bernoulli": None,
    "beta.Beta": None, "multivariate_normal.MultivariateNormal": None, "uniform.Uniform": None,
    "one_hot_categorical.OneHotCategorical": None, "laplace.Laplace": None, "gamma.Gamma": None,
    "dirichlet.Dirichlet": None, "poisson.Poisson": None, "geometric.Geometric": None,
}
DISTRIBUTION_SAMPLES: Mapping[str, Optional[str]] = {
    f"torch.distributions.{path}": sample
    for module_path, sample in _DISTRIBUTION_SAMPLES.items()
    for path in (module_path, module_path.split(".")[1])
}
#: the legacy autograd wrapper: since torch 0.4 ``Variable(t)`` returns ``t`` itself (a tensor);
#: ``requires_grad=True`` makes it a leaf that needs grad; ``volatile`` does nothing.
LEGACY_VARIABLE: FrozenSet[str] = frozenset({"torch.autograd.Variable", "torch.autograd.variable.Variable"})
#: scikit-learn (never imported; see engine/sklearn_model.py): the splitter that returns each array
#: twice in its dtype, the scalers whose transforms keep float32/float16 and give float64 otherwise.
SKLEARN_SPLITTERS: FrozenSet[str] = frozenset({"sklearn.model_selection.train_test_split"})
SKLEARN_SCALERS: FrozenSet[str] = frozenset({
    f"sklearn.preprocessing.{name}" for name in ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler")})
SKLEARN_SCALER = "sklearn.preprocessing.scaler"  # the qualname of a scaler object
#: toy-data makers of sklearn.datasets: ``X, y = make_*(...)``, X float64 (2-d), y of this dtype
#: (1-d); a keyword asking for more (``coef=True``, ``return_centers=True``) leaves the result unknown.
SKLEARN_DATASET_MAKERS: Mapping[str, str] = {
    f"sklearn.datasets.{name}": target for name, target in (
        ("make_regression", "float64"), ("make_classification", "int64"), ("make_blobs", "int64"),
        ("make_moons", "int64"), ("make_circles", "int64"), ("make_friedman1", "float64"))}
SKLEARN_EXTRA_RESULTS: FrozenSet[str] = frozenset({"coef", "return_centers"})
#: the bundled datasets of sklearn.datasets (read from the installed package, no download): with a
#: literal ``return_X_y=True`` they give ``(X, y)``, X float64 (2-d), y of this dtype (1-d); without
#: it a Bunch (unknown here), and ``as_frame=True`` gives pandas objects (unknown).
SKLEARN_BUNDLED_LOADERS: Mapping[str, str] = {
    f"sklearn.datasets.{name}": target for name, target in (
        ("load_iris", "int64"), ("load_breast_cancer", "int64"), ("load_digits", "int64"),
        ("load_wine", "int64"), ("load_diabetes", "float64"))}
SKLEARN_SCALER_METHODS: FrozenSet[str] = frozenset({"fit_transform", "transform", "inverse_transform"})
SKLEARN_SCALER_FIT = "fit"  # returns the scaler itself: ``StandardScaler().fit(X).transform(X)``
SKLEARN_KEPT_FLOATS: FrozenSet[str] = frozenset({"float32", "float16"})
#: torch's TensorDataset: item ``i`` is the tuple of row ``i`` of each tensor it was given; a
#: DataLoader over it (default collate) yields those rows stacked: each tensor's dtype, device, grad.
TENSOR_DATASETS: FrozenSet[str] = frozenset({"torch.utils.data.TensorDataset",
                                             "torch.utils.data.dataset.TensorDataset"})
TENSOR_DATASET = "torch.utils.data.TensorDataset"
#: torch's DataLoader: a ``collate_fn=`` of the file is walked with a batch of the dataset's items.
DATA_LOADERS: FrozenSet[str] = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})
#: what a distribution object evaluates to.
DISTRIBUTION = "torch.distributions.Distribution"
#: its methods whose result is a float tensor computed from the parameter (grad flows through).
DISTRIBUTION_FLOAT_METHODS: FrozenSet[str] = frozenset({"log_prob", "entropy", "rsample", "cdf", "icdf"})
#: its methods that draw without grad.
DISTRIBUTION_SAMPLE_METHODS: FrozenSet[str] = frozenset({"sample"})

#: what torch.optim.<Optimizer>(...) evaluates to; its .step() updates parameters in place.
OPTIMIZER = "torch.optim.Optimizer"

#: module methods that return the module itself (changing its dtype or device).
#: layers whose forward pass in training mode updates buffers in place (running mean and variance,
#: the batch count): a state_dict() taken before such a call reads the updated values after it.
#: (InstanceNorm tracks running statistics only when asked to: track_running_stats=True.)
#: the running-statistics buffers of RUNNING_STATS_MODULES: float tensors registered on the module,
#: moved and cast with it, needing no grad (``bn.running_mean`` after ``bn.to(device)`` is there).
RUNNING_STATS_BUFFERS: FrozenSet[str] = frozenset({"running_mean", "running_var"})
RUNNING_STATS_MODULES: FrozenSet[str] = frozenset({
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LazyBatchNorm1d", "LazyBatchNorm2d",
    "LazyBatchNorm3d",
})
#: a DEVICE value read from a tensor (``ref.device``, ``next(model.parameters()).device``)
TENSOR_DEVICE = "<a tensor's device>"
#: keywords by which a function given a module sets its mode (``adjust_status(model, training=False)``)
MODE_KEYWORDS: FrozenSet[str] = frozenset({"training", "train", "mode", "is_training"})
#: functions and tensor methods that compare tensors: a state_dict() view compared after the
#: state changed in place compares the new values with themselves.
COMPARING_FUNCTIONS: FrozenSet[str] = frozenset({
    "torch.equal", "torch.allclose", "torch.isclose", "torch.testing.assert_close", "torch.testing.assert_allclose",
    "numpy.allclose", "numpy.isclose", "numpy.array_equal", "numpy.array_equiv", "numpy.testing.assert_allclose",
    "numpy.testing.assert_array_equal", "numpy.testing.assert_equal", "numpy.testing.assert_array_almost_equal",
    "numpy.testing.assert_almost_equal",
})
COMPARING_METHODS: FrozenSet[str] = frozenset({"equal", "allclose", "isclose"})
#: a module method that writes its argument's tensors into the module's own, in place
STATE_LOADING_METHODS: FrozenSet[str] = frozenset({"load_state_dict"})
MODULE_SELF_METHODS: FrozenSet[str] = frozenset({
    "to", "cuda", "cpu", "double", "float", "half", "bfloat16", "train", "eval",
    "requires_grad_", "type", "share_memory", "to_empty",
})
#: methods that change their receiver in place, as the interpreter models it.
REBINDING_METHODS: FrozenSet[str] = frozenset({
    "to", "cuda", "cpu", "double", "float", "half", "bfloat16", "type", "requires_grad_",
})
#: module methods that yield parameters.
PARAMETER_ITERATORS: Mapping[str, bool] = {  # name -> yields (name, parameter) pairs
    "parameters": False, "named_parameters": True,
}
#: module methods that return a dict of the module's live tensors (its parameters and buffers, detached
#: but sharing their storage: an optimizer step changes what an earlier call returned).
STATE_VIEW_METHODS: FrozenSet[str] = frozenset({"state_dict"})
#: the origin label of what STATE_VIEW_METHODS return (NTL402's state form reads it back)
STATE_VIEW_ORIGIN = "state of "
#: the origin label of a module's parameter read as an attribute (``model.fc.weight``): a view of it
#: kept as "before" and compared after an in-place update sees the new values too (NTL402)
PARAMETER_ORIGIN = "parameter "
PARAMETER_ATTRS: FrozenSet[str] = frozenset({"weight", "bias", "weight_ih_l0", "weight_hh_l0", "in_proj_weight"})
#: the dimensions of a layer's parameter, where its class fixes them (a row of a weight's
#: ``.numpy()`` view, ``w[0]``, is a view too): (class, attribute) -> ndim
PARAMETER_NDIM: Mapping[Tuple[str, str], int] = {
    ("Linear", "weight"): 2, ("Linear", "bias"): 1, ("Bilinear", "weight"): 3, ("Bilinear", "bias"): 1,
    ("Conv1d", "weight"): 3, ("Conv2d", "weight"): 4, ("Conv3d", "weight"): 5,
    ("ConvTranspose1d", "weight"): 3, ("ConvTranspose2d", "weight"): 4, ("ConvTranspose3d", "weight"): 5,
    **{(conv, "bias"): 1 for conv in ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
                                      "ConvTranspose3d")},
    ("Embedding", "weight"): 2,
    **{(norm, attr): 1 for norm in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm")
       for attr in ("weight", "bias")},
}
#: an optimizer's step (its parameters change in place), and the method that, called on the same
#: object of unknown type in the same function, shows it is an optimizer (a module has
#: zero_grad() but no step(); an environment's step() takes an action).
OPTIMIZER_STEP_METHODS: FrozenSet[str] = frozenset({"step"})
OPTIMIZER_ONLY_METHOD = "zero_grad"

#: contexts that turn grad off, on, or set it from an argument.
#: `with` blocks whose body is expected to raise (tests): findings there are what the test wants.
EXPECTED_ERROR_METHODS: FrozenSet[str] = frozenset({"assertRaises", "assertRaisesRegex", "assertRaisesRegexp"})
EXPECTED_ERROR_FUNCTIONS: FrozenSet[str] = frozenset({"pytest.raises"})

@dataclass(frozen=True)
class GradMode:
    """A grad-mode switch: a context manager and decorator (set_grad_enabled also a plain call)."""

    enabled: Optional[bool]  # the grad mode it sets without an argument (None: it needs one)
    mode_keyword: Optional[str] = None  # its bool argument: position 0, or this keyword
    # inference_mode(mode): grad is off when mode is True, and ON when it is False
    # (`with torch.no_grad(): with torch.inference_mode(False):` computes with grad).
    inverted: bool = False


#: every spelling torch exports: torch.X, torch.autograd.X, torch.autograd.grad_mode.X.
GRAD_MODES: Mapping[str, GradMode] = {
    prefix + name: mode
    for name, mode in (
        ("no_grad", GradMode(False)),
        ("enable_grad", GradMode(True)),
        ("set_grad_enabled", GradMode(None, "mode")),
        ("inference_mode", GradMode(False, "mode", inverted=True)),
    )
    for prefix in ("torch.", "torch.autograd.", "torch.autograd.grad_mode.")
}
GRAD_OFF_CONTEXTS: FrozenSet[str] = frozenset(q for q, mode in GRAD_MODES.items() if mode.enabled is False)
GRAD_ON_CONTEXTS: FrozenSet[str] = frozenset(q for q, mode in GRAD_MODES.items() if mode.enabled is True)
GRAD_SET_CONTEXTS: FrozenSet[str] = frozenset(q for q, mode in GRAD_MODES.items() if mode.enabled is None)

#: what a `with` statement may hold once created: `ctx = torch.no_grad()` then `with ctx:`
#: (a switch call evaluates to one of these; None: the mode it sets is not known).
GRAD_OFF_OBJECT = "torch.no_grad()"
GRAD_ON_OBJECT = "torch.enable_grad()"
GRAD_UNKNOWN_OBJECT = "torch.set_grad_enabled(...)"
GRAD_CONTEXT_OBJECTS: Mapping[str, Optional[bool]] = {GRAD_OFF_OBJECT: False, GRAD_ON_OBJECT: True, GRAD_UNKNOWN_OBJECT: None}
#: base classes that make a class an nn.Module (the containers' subclasses too: their own
#: forward is walked; without one, the call's result is unknown).
MODULE_BASES: FrozenSet[str] = frozenset({
    "torch.nn.Module", "torch.nn.modules.Module", "torch.nn.modules.module.Module",
    "torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict",
})

#: exceptions whose handler covers a missing GPU: the try body is treated as guarded.
#: calls (by name or method name) that only tell of a failure: print, a logger's, warnings.warn, traceback's
FAILURE_REPORTERS: FrozenSet[str] = frozenset({"print", "error", "exception", "warning", "warn", "critical", "info",
                                               "debug", "log", "print_exc", "print_exception", "write", "echo"})
#: calls (by name or method name) that end the program: what follows them in a handler never runs
JOB_ENDERS: FrozenSet[str] = frozenset({"exit", "quit", "_exit", "abort"})
CUDA_ERRORS_CAUGHT_BY: FrozenSet[str] = frozenset({"Exception", "BaseException", "RuntimeError", "AssertionError", "TypeError"})
#: flag names that say CUDA is off (`if args.no_cuda:`): the test holds where CUDA is not used.
#: `to_cpu`: a switch to load or keep weights on the CPU (`def load_model(net, path, load_to_cpu)`,
#: called with `args.cpu`); its other branch is where the user said a GPU is there.
CPU_FLAG_WORDS: Tuple[str, ...] = ("no_cuda", "nocuda", "no_gpu", "disable_cuda", "cpu_only", "use_cpu", "force_cpu",
                                   "to_cpu")
#: flag names that are a CPU switch as a whole (`--cpu`, `args.cpu`, `on_cpu`): `not args.cpu` is
#: the user saying a GPU is there, like `args.cuda` (a word inside a longer name, `cpu_count`, is no flag).
CPU_FLAG_NAMES: FrozenSet[str] = frozenset({"cpu", "on_cpu", "only_cpu", "run_on_cpu"})
#: the origin label of a list of NumPy scalars converted by torch.tensor.
SCALARS_LABEL = "scalars from "

#: methods that implement placement themselves: the caller decides where they run.
PLACEMENT_METHOD_NAMES: FrozenSet[str] = frozenset({"cuda", "to", "_apply", "to_device", "_to_device", "to_gpu", "to_cuda"})
#: of those, the names of torch's own placement methods: a class's method so named overrides the
#: placement API (its caller's call is the placement); the others are the project's helpers.
PLACEMENT_API_OVERRIDES: FrozenSet[str] = frozenset({"cuda", "to", "_apply"})

#: calls that tell whether CUDA is there: a test that uses them guards its branches.
CUDA_PROBES: FrozenSet[str] = frozenset({"torch.cuda.is_available", "torch.cuda.device_count", "torch.cuda.is_initialized"})
#: errors only CUDA raises: a handler of one (or a test that the error is one) runs where a GPU is.
CUDA_ONLY_ERRORS: FrozenSet[str] = frozenset({"torch.cuda.OutOfMemoryError"})
#: words of the message of an error only CUDA raises (lower case): `"CUDA out of memory" in str(e)`.
CUDA_ONLY_ERROR_MESSAGES: Tuple[str, ...] = ("cuda out of memory", "cuda error: out of memory")
ISINSTANCE = "builtins.isinstance"
#: calls true only where torch.distributed's default process group is initialized.
PROCESS_GROUP_PROBES: FrozenSet[str] = frozenset({"torch.distributed.is_initialized"})
#: calls that return the number of processes of the default group (they raise where it is not initialized).
WORLD_SIZE_FUNCTIONS: FrozenSet[str] = frozenset({"torch.distributed.get_world_size"})
#: the call that initializes the default process group, and the name of its backend argument.
PROCESS_GROUP_INIT = "init_process_group"
PROCESS_GROUP_BACKEND = "backend"
#: backends that need CUDA devices: a process group made with one exists only where GPUs are.
CUDA_BACKENDS: FrozenSet[str] = frozenset({"nccl"})
#: calls that set the default device for every later factory call.
DEFAULT_DEVICE_SETTERS: FrozenSet[str] = frozenset({"torch.set_default_device", "torch.set_default_tensor_type"})
#: calls that make every later float tensor float64 (NTL101 then has nothing to say).
DEFAULT_DTYPE_SETTERS: FrozenSet[str] = frozenset({"torch.set_default_dtype"})
#: calls that end the program: code after an unguarded one is unreachable.
EXITS: FrozenSet[str] = frozenset({"sys.exit", "builtins.exit", "builtins.quit", "os._exit"})

#: torch functions that combine tensors with type promotion (operands 0 and 1).
PROMOTING_FUNCTIONS: FrozenSet[str] = frozenset({
    "torch.matmul", "torch.mm", "torch.bmm", "torch.mul", "torch.add", "torch.sub", "torch.div",
    "torch.nn.functional.linear",
})


#: qualified names of the libraries the tables describe: never looked up among the project's modules.
# --- model zoos -------------------------------------------------------------------

#: namespaces whose builders and classes make an nn.Module (on the CPU, float32, with parameters):
#: torchvision.models.resnet18(...), torchvision.models.detection.fasterrcnn_resnet50_fpn(...),
#: torchvision.models.resnet.ResNet(...). The name after the namespace is a builder (lower case)
#: or a class; submodule parts are lower case; weight enums and helpers build no model.
MODEL_ZOO_NAMESPACE = "torchvision.models."
#: factories that make a model from a name: timm.create_model("resnet50"), torchvision's get_model
MODEL_ZOO_FACTORIES: FrozenSet[str] = frozenset({"timm.create_model", "torchvision.models.get_model"})
#: a model read from the zoo's registry by a name the linter cannot read:
#: ``models.__dict__[args.arch](...)``, ``getattr(torchvision.models, name)(...)``
MODEL_ZOO_BY_NAME = "torchvision.models.<by name>"
#: the registries: reading one by an unknown key gives MODEL_ZOO_BY_NAME
MODEL_ZOO_REGISTRIES: FrozenSet[str] = frozenset({"torchvision.models.__dict__", "torchvision.models"})
#: names in the zoo's namespace that build no model
MODEL_ZOO_HELPERS: FrozenSet[str] = frozenset({
    "get_model_weights", "get_weight", "list_models", "get_model_builder", "get_graph_node_names",
    "load_state_dict_from_url", "load_url",
})
#: models whose output is not one tensor: detections (a list of dicts), segmentation maps (a dict),
#: optical flow (a list of flows), GoogLeNet and Inception v3 in training mode (named tuples with
#: auxiliary logits), feature extractors (a dict), and a model named at run time by get_model
#: (any of those). Only their device is known (where the model and its input are).
STRUCTURED_OUTPUT_MODELS: Tuple[str, ...] = (
    "torchvision.models.detection.", "torchvision.models.segmentation.", "torchvision.models.optical_flow.",
    "torchvision.models.feature_extraction.", "torchvision.models.googlenet", "torchvision.models.inception_v3",
    "torchvision.models.GoogLeNet", "torchvision.models.Inception3", "torchvision.models.get_model",
)


def builds_zoo_model(qualname: str) -> bool:
    """Whether calling ``qualname`` builds a model of a zoo (see MODEL_ZOO_NAMESPACE)."""
    if qualname in MODEL_ZOO_FACTORIES or qualname == MODEL_ZOO_BY_NAME:
        return True
    if not qualname.startswith(MODEL_ZOO_NAMESPACE):
        return False
    *submodules, name = qualname[len(MODEL_ZOO_NAMESPACE):].split(".")
    if not name.isidentifier() or name.startswith("_") or name in MODEL_ZOO_HELPERS or "Weights" in name:
        return False
    return all(part.isidentifier() and part.islower() and not part.startswith("_") for part in submodules)


LIBRARY_PREFIXES: Tuple[str, ...] = ("numpy.", "torch.", "builtins.", "PIL.", "cv2.")


# --- annotations -----------------------------------------------------------------

#: what a parameter or return annotation says a value is (only the kind: a declared
#: ``torch.Tensor`` says nothing of its dtype, device or grad).
#: types whose isinstance() test holds for every value of a kind: a branch where it fails (or, for
#: a value of another kind, holds) is not taken by that value (``if isinstance(x, torch.Tensor):
#: return x.detach().numpy()`` then ``return np.asarray(x)``: a tensor never gets there).
#: ``torch.autograd.Variable`` is ``torch.Tensor`` since torch 0.4 (its isinstance checks Tensor).
ISINSTANCE_KINDS: Mapping[str, str] = {
    "numpy.ndarray": "ndarray", "torch.Tensor": "tensor", "torch.autograd.Variable": "tensor",
    "torch.autograd.variable.Variable": "tensor", "torch.nn.Module": "nn.Module",
    # a tensor or an array is no Sequence: `if isinstance(x, Sequence): x = torch.tensor(x)`
    "collections.abc.Sequence": "sequence", "typing.Sequence": "sequence",
}
#: predicates that are an isinstance() test for one kind: ``if not torch.is_tensor(z): z = torch.tensor(z)``.
KIND_PREDICATES: Mapping[str, str] = {"torch.is_tensor": "tensor"}
#: isinstance() types that hold for some values of a kind only (a list, not a tuple).
ISINSTANCE_SOME_KINDS: Mapping[str, str] = {"builtins.list": "sequence", "builtins.tuple": "sequence"}
#: methods of Python's own str and bytes whose result is a new immutable ``bytes`` (so
#: ``np.frombuffer`` over it is read-only, NTL404): ``b"".join(chunks)``, ``text.encode()``.
BYTES_RESULT_METHODS: Mapping[str, FrozenSet[str]] = {
    "bytes": frozenset({"join", "replace", "strip", "lstrip", "rstrip", "removeprefix", "removesuffix",
                        "ljust", "rjust", "center", "zfill", "lower", "upper", "title", "capitalize",
                        "swapcase", "expandtabs", "translate"}),
    "str": frozenset({"encode"}),
}
ANNOTATION_KINDS: Mapping[str, str] = {
    "numpy.ndarray": "ndarray", "numpy.typing.NDArray": "ndarray",
    "torch.Tensor": "tensor", "torch.FloatTensor": "tensor", "torch.LongTensor": "tensor",
    "torch.nn.Module": "nn.Module", "torch.nn.modules.module.Module": "nn.Module",
}

# =============================================================================================
# --- facts the rules and fixes read (issue 12, item 2) ------------------------------------------
# Rules and fixes test no API name and no display string: what they need of NumPy and torch is a
# row here. Conversion facts come from CONVERSIONS above (one source): ``shares_memory``,
# ``dtype_pos`` (takes dtype=), ``legacy_dtype`` (a legacy constructor such as torch.FloatTensor).
# =============================================================================================

def conversion_spec(qualname: Optional[str]) -> Optional[Conversion]:
    """The CONVERSIONS row of a conversion function, if it is one."""
    return CONVERSIONS.get(qualname or "")


#: torch functions that convert an array argument themselves with torch.as_tensor: its position and keyword.
ARRAY_ARGUMENT_CONVERTERS: Mapping[str, Tuple[int, str]] = {
    "torch.nn.utils.rnn.pack_padded_sequence": (1, "lengths"),
}
#: a PackedSequence: the packing functions make one where their input tensor is (its data keeps
#: the input's dtype, device and grad); a recurrent module given one returns one; the unpacking
#: function gives back (padded tensor, lengths), the lengths an int64 CPU tensor.
PACKED_SEQUENCE = "torch.nn.utils.rnn.PackedSequence"
SEQUENCE_PACKERS: FrozenSet[str] = frozenset({
    "torch.nn.utils.rnn.pack_padded_sequence", "torch.nn.utils.rnn.pack_sequence",
})
SEQUENCE_UNPACKERS: FrozenSet[str] = frozenset({"torch.nn.utils.rnn.pad_packed_sequence"})
#: conversions that accept ndarrays only (anything else raises): torch.from_numpy.
ARRAY_ONLY_CONVERSIONS: FrozenSet[str] = frozenset({"torch.from_numpy"})
#: conversions that build a tensor from a list of ndarrays element by element, and warn:
#: "Creating a tensor from a list of numpy.ndarrays is extremely slow" (NTL501).
ELEMENTWISE_LIST_CONVERSIONS: FrozenSet[str] = frozenset({"torch.tensor", "torch.as_tensor"}) | frozenset(
    qual for qual, (_, cuda) in TENSOR_TYPES.items() if not cuda)  # torch.FloatTensor(list of arrays) warns too
#: of those, the ones the NTL501 fix rewrites (a legacy constructor's cast is left to the user: NTL503)
STACKING_FIX_CONVERSIONS: FrozenSet[str] = frozenset({"torch.tensor", "torch.as_tensor"})
#: conversions that copy-construct from a tensor with a warning: "To copy construct from a
#: tensor, it is recommended to use sourceTensor.detach().clone()" (NTL502).
TENSOR_COPY_WARNING_CONVERSIONS: FrozenSet[str] = frozenset({"torch.tensor"})

#: the tensor method that casts to a dtype (the inverse of TENSOR_CASTS): "float32" -> "float".
CAST_METHODS: Mapping[str, str] = {dtype: method for method, dtype in TENSOR_CASTS.items()}

#: methods that pass a tensor on without keeping it: `model(torch.tensor(a).to(device))` still uses
#: the converted tensor only there.
PASS_THROUGH_METHODS: FrozenSet[str] = frozenset({
    "to", "cuda", "cpu", "contiguous", "unsqueeze", "squeeze", "reshape", "view", "permute", "transpose", "flatten",
})


@dataclass(frozen=True)
class RejectedTarget:
    """An integer dtype that class-index losses (CLASS_INDEX_LOSSES) reject as a target."""

    error: str  # what torch raises (it names the dtype as torch's scalar type: Int, Short, Char, Byte)
    min_ndim: Optional[int] = None  # rejected only with at least this many dimensions known (None: any)


REJECTED_CLASS_TARGETS: Mapping[str, RejectedTarget] = {
    "int32": RejectedTarget("expected target dtype to be Long or Byte, but got Int"),
    "int16": RejectedTarget("expected target dtype to be Long or Byte, but got Short"),
    "int8": RejectedTarget("expected target dtype to be Long or Byte, but got Char"),
    # A 1-d uint8 target is accepted; with more dimensions the loss raises.
    "uint8": RejectedTarget("expected scalar type Long but found Byte", min_ndim=2),
}


@dataclass(frozen=True)
class Float32Sink:
    """Where a float64 tensor meets float32 (a ModelInput event's ``sink``)."""

    # The sink's dtype follows type promotion, which ignores a 0-d operand of the same category:
    # `x * scale` stays float32 when scale is a 0-d float64 tensor.
    promotes: bool
    # A float64 input raises here (a float32 module's weights): casting it to float32 changes
    # nothing that ran. Elsewhere float64 math ran, and float32 math gives other numbers.
    raises: bool


FLOAT32_SINKS: Mapping[str, Float32Sink] = {
    "module": Float32Sink(promotes=False, raises=True),
    "loss": Float32Sink(promotes=False, raises=False),
    "op": Float32Sink(promotes=True, raises=False),
}

# --- facts the evaluator used to test as strings (issue 12, item 2) ---------------
# Keep new rows of this kind here: each replaces a string test that lived in the
# evaluator (``"save" in callee.lower()``, ``isupper()``, ``endswith("BytesIO")``...).

#: words that mark a call as saving a checkpoint, matched case-insensitively anywhere in
#: the callee's last name (torch.save, save_checkpoint, model.save_pretrained); the exact
#: names in SAVE_METHODS count too (trainer.fit).
SAVE_CALLEE_WORDS: Tuple[str, ...] = ("save",)


def saves_checkpoint(callee: str) -> bool:
    """A call of ``callee`` (the last name of the callee) writes a checkpoint."""
    lowered = callee.lower()
    return any(word in lowered for word in SAVE_CALLEE_WORDS) or callee in SAVE_METHODS


#: the namespace of torch's optimizers, and the optimizer classes it holds.
OPTIMIZER_NAMESPACE = "torch.optim."
OPTIMIZER_CLASSES: FrozenSet[str] = frozenset(OPTIMIZER_NAMESPACE + name for name in (
    "Optimizer", "SGD", "Adam", "AdamW", "Adamax", "Adadelta", "Adagrad", "SparseAdam", "ASGD",
    "LBFGS", "NAdam", "RAdam", "RMSprop", "Rprop",
))


#: module methods that list its parameters: what an optimizer is given to train.
PARAMETER_LISTING_METHODS: FrozenSet[str] = frozenset({"parameters", "named_parameters"})


def is_optimizer_class(qual: str) -> bool:
    """``torch.optim.<Name>``: a row of OPTIMIZER_CLASSES, or (prefix rule) any capitalized
    name directly under torch.optim, so a new optimizer class counts without a new row."""
    if qual in OPTIMIZER_CLASSES:
        return True
    if not qual.startswith(OPTIMIZER_NAMESPACE):
        return False
    name = qual[len(OPTIMIZER_NAMESPACE):]
    return "." not in name and name[:1].isupper()


#: constructors of in-memory buffers, matched as a suffix of the callee as written
#: (``io.BytesIO(...)``, ``BytesIO(...)``): torch.load from one reads bytes this process holds.
IN_MEMORY_BUFFER_SUFFIXES: Tuple[str, ...] = ("BytesIO",)


def is_in_memory_buffer(callee_text: str) -> bool:
    return any(callee_text.endswith(suffix) for suffix in IN_MEMORY_BUFFER_SUFFIXES)


#: NumPy random generator classes: ``<class>.<method>`` calls read GENERATOR_METHODS.
GENERATOR_TYPES: Tuple[str, ...] = ("numpy.random.Generator", "numpy.random.RandomState")
#: the constructor of a torch device object.
DEVICE_CONSTRUCTORS: FrozenSet[str] = frozenset({"torch.device"})
#: device strings: "cuda", "cuda:0" (a prefix) place on the GPU; "cpu" on the CPU.
CUDA_DEVICE_PREFIX = "cuda"
CPU_DEVICE = "cpu"
#: words in a name that mention the GPU (args.cuda, use_gpu): a test on it is a CUDA guard.
CUDA_NAME_WORDS: Tuple[str, ...] = ("cuda", "gpu")
#: values of a device option that mean the GPU, besides "cuda...": `if args.device == "gpu":` is
#: the user choosing the GPU, like `if args.cuda:` (a detector demo's --device cpu|gpu).
GPU_CHOICE_STRINGS: FrozenSet[str] = frozenset({"gpu"})
#: names that hold a device choice: any name containing DEVICE_NAME_WORD, or one of DEVICE_NAMES.
DEVICE_NAME_WORD = "device"
DEVICE_NAMES: FrozenSet[str] = frozenset({"dev", "gpu", "rank", "local_rank"})

#: NumPy makers whose positional int arguments are the dimensions (np.random.rand(4, 3)).
DIMENSION_ARGUMENT_MAKERS: FrozenSet[str] = frozenset({"numpy.random.rand", "numpy.random.randn"})
#: makers whose result is always one-dimensional (a count per class, a range, a window).
ONE_DIMENSIONAL_MAKERS: FrozenSet[str] = frozenset({
    "numpy.bincount", "numpy.arange", "numpy.hanning", "numpy.hamming", "numpy.blackman", "numpy.bartlett",
    "numpy.kaiser"})
#: makers (by last name) whose first argument is a shape (np.zeros((4, 3))).
SHAPE_ARGUMENT_MAKERS: FrozenSet[str] = frozenset({"zeros", "ones", "empty", "full"})
#: makers (by last name) that leave memory uninitialized: a buffer meant to be filled through a view.
UNINITIALIZED_MAKERS: FrozenSet[str] = frozenset({"empty", "empty_like"})
#: NUMPY_DTYPE_KEEPING functions whose result is a view: the strides keep their sign.
NUMPY_VIEW_FUNCTIONS: FrozenSet[str] = frozenset({
    "transpose", "squeeze", "swapaxes", "expand_dims", "moveaxis", "atleast_1d", "atleast_2d", "atleast_3d",
    "permute_dims", "matrix_transpose", "rollaxis",
})
#: NumPy functions that return a read-only view of a PIL image's buffer (unless given a dtype).
IMAGE_VIEW_FUNCTIONS: FrozenSet[str] = frozenset({"numpy.asarray", "numpy.asanyarray"})
#: TENSOR_PROPAGATING methods that keep the tensor's shape.
#: tensor methods that, given no dimension (`loss.mean()`, `t.sum()`), reduce every element to a 0-d tensor.
FULL_REDUCTION_METHODS: FrozenSet[str] = frozenset({
    "sum", "mean", "std", "var", "prod", "norm", "amax", "amin", "max", "min",
})
SHAPE_KEEPING_METHODS: FrozenSet[str] = frozenset({
    "clone", "contiguous",
    # elementwise: a 0-d tensor stays 0-d (and keeps not promoting a dimensioned operand)
    "abs", "exp", "log", "log1p", "sqrt", "rsqrt", "sigmoid", "tanh", "relu", "neg", "square", "sin", "cos",
    "floor", "ceil", "round", "sign", "clamp", "clip",
})
#: tensor methods named ``new_<factory>``: a new tensor with the receiver's dtype and device.
TENSOR_NEW_PREFIX = "new_"
#: MODULE_SELF_METHODS that cast the module's parameters (dtype from TENSOR_CASTS).
MODULE_CASTS: FrozenSet[str] = frozenset({"double", "float", "half", "bfloat16"})
#: calls on ``self`` in a module class that cast the instance itself: its dtype is then not float32.
MODULE_SELF_CASTS: FrozenSet[str] = frozenset({"double", "half", "bfloat16", "to", "type"})
#: calls on ``self`` in a module class that may move the instance: it is then not on CPU as built.
MODULE_SELF_PLACING: FrozenSet[str] = frozenset({"cuda", "to", "type", "_apply"})
#: Module methods that move or cast the module in place (called as a statement, result dropped).
MODULE_PLACING_METHODS: FrozenSet[str] = frozenset({"cuda", "to", "cpu"})
