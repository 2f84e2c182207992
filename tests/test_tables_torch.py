"""The torch facts of api.py's tables, row by row, checked twice (see test_tables_numpy.py):
the engine's view of each case, and the installed torch running it."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from np_torch_lint.engine import api
from np_torch_lint.engine.values import Kind, Tri
from tables_support import PRELUDE, dtype_name, engine_value, lint_codes, run_value

# --- grad flows through these (TENSOR_PROPAGATING, TENSOR_VIEW_ATTRS, PROMOTING_FUNCTIONS) ---------
# `o` is the output of a Linear module: (4, 2), float32, requires grad.

GRAD_KEPT: List[str] = [
    *[f"o.{call}" for call in (
        "view(-1)", "view_as(o)", "reshape(-1)", "reshape_as(o)", "unsqueeze(0)", "squeeze()", "permute(1, 0)",
        "transpose(0, 1)", "t()", "contiguous()", "flatten()", "unflatten(1, (1, 2))", "expand(2, 4, 2)",
        "expand_as(o)", "repeat(2, 1)", "clone()", "narrow(0, 0, 2)", "select(0, 1)",
        "index_select(0, torch.tensor([0, 1]))", "gather(1, torch.zeros(4, 1, dtype=torch.long))",
        "masked_fill(o > 0, 0.0)", "masked_select(o > 0)", "flip(0)", "roll(1, 0)", "movedim(0, 1)", "sum()",
        "mean()", "std()", "var()", "prod()", "norm()", "abs()", "exp()", "log()", "log1p()", "sqrt()", "rsqrt()",
        "sigmoid()", "tanh()", "relu()", "softmax(1)", "log_softmax(1)", "pow(2)", "clamp(0, 1)", "clip(0, 1)",
        "neg()", "square()", "cumsum(0)", "cumprod(0)", "add(1.0)", "sub(1.0)", "mul(2.0)", "div(2.0)",
        "true_divide(2.0)", "matmul(torch.ones(2, 3))", "mm(torch.ones(2, 3))",
        "unsqueeze(0).bmm(torch.ones(1, 2, 3))", "sin()", "cos()", "floor()", "ceil()", "round()",
        "logsumexp(1)", "amax(1)", "amin(1)", "diag()", "tril()", "triu()", "trace()", "clone().squeeze_()",
        "clone().unsqueeze_(0)", "sign()", "max()", "min()", "median()", "nanmedian()",
        # TENSOR_VIEW_ATTRS
        "T", "mT", "H", "mH", "real")],
    *[f"torch.{call}" for call in (
        "outer(o[0], o[1])", "dot(o[0], o[1])", "einsum('ij->i', o)", "cat([o, o])", "stack([o, o])",
        "concat([o, o])", "concatenate([o, o])", "where(o > 0, o, 0.0)", "lerp(o, o, 0.5)",
        "addmm(torch.zeros(4, 3), o, torch.ones(2, 3))",
        "baddbmm(torch.zeros(1, 4, 3), o.unsqueeze(0), torch.ones(1, 2, 3))", "dist(o, o)",
        "cosine_similarity(o, o)",
        # PROMOTING_FUNCTIONS (same dtypes here: the grad goes through)
        "matmul(o, torch.ones(2, 3))", "mm(o, torch.ones(2, 3))", "bmm(o.unsqueeze(0), torch.ones(1, 2, 3))",
        "mul(o, 2.0)", "add(o, 1.0)", "sub(o, 1.0)", "div(o, 2.0)",
        # elementwise math
        *[f"{name}(o.sigmoid() * 0.5)" for name in (
            "exp2", "expm1", "log2", "log10", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh",
            "erf", "erfc", "erfinv", "reciprocal", "frac", "trunc", "fix", "logit", "nan_to_num", "sinc",
            "deg2rad", "rad2deg", "diff", "poisson", "bernoulli")],
        "acosh(o.exp() + 1)",
        # shape, linear algebra and reductions that give one tensor
        "hstack([o, o])", "vstack([o, o])", "tile(o, (2, 1))", "broadcast_to(o, (3, 4, 2))", "swapaxes(o, 0, 1)",
        "fliplr(o)", "flipud(o)", "diagonal(o)", "diag_embed(o)", "take(o, torch.tensor([0, 3]))",
        "take_along_dim(o, torch.zeros(4, 1, dtype=torch.long), 1)", "repeat_interleave(o, 2, 0)",
        "kron(o, o)", "cross(o.repeat(1, 2)[:, :3], o.repeat(1, 2)[:, :3], dim=1)", "mv(o, torch.ones(2))",
        "cdist(o, o)", "det(o[:2])", "inverse(o[:2] + torch.eye(2))", "pinverse(o)", "cov(o)", "corrcoef(o.T)",
        "nanmean(o)", "nansum(o)", "quantile(o, 0.5)", "logcumsumexp(o, 0)", "lgamma(o.sigmoid() + 1)",
        "negative(o)", "floor_divide(o, 2.0)", "addcmul(o, o, o)", "addcdiv(o, o, o.exp())",
        "scatter(o, 1, torch.zeros(4, 1, dtype=torch.long), o[:, :1])",
        "index_add(o, 0, torch.tensor([0]), o[:1])",
        *[f"{name}(o, o + 1)" for name in (
            "fmod", "remainder", "maximum", "minimum", "fmax", "fmin", "hypot", "atan2", "xlogy", "logaddexp")])],
    *[f"F.{call}" for call in (
        "linear(o, torch.ones(3, 2))", "linear(o, weight=torch.ones(3, 2))", "dropout(o)", "gelu(o)", "silu(o)", "elu(o)", "leaky_relu(o)",
        "softplus(o)", "normalize(o)", "interpolate(o.unsqueeze(0), scale_factor=2.0)", "pad(o, (1, 1))",
        "conv1d(o.unsqueeze(0), torch.ones(1, 4, 1))", "conv2d(o.view(1, 1, 4, 2), torch.ones(1, 1, 1, 1))",
        "conv3d(o.view(1, 1, 1, 4, 2), torch.ones(1, 1, 1, 1, 1))", "max_pool2d(o.view(1, 1, 4, 2), 2)",
        "avg_pool2d(o.view(1, 1, 4, 2), 2)", "adaptive_avg_pool2d(o.view(1, 1, 4, 2), 1)", "layer_norm(o, (2,))",
        "batch_norm(o, torch.zeros(2), torch.ones(2))", "embedding(torch.tensor([0, 1]), o)", "hardtanh(o)",
        "softsign(o)", "hardswish(o)", "mish(o)", "selu(o)", "celu(o)", "logsigmoid(o)", "relu6(o)",
        "hardsigmoid(o)", "tanhshrink(o)")],
]


@pytest.mark.parametrize("expression", GRAD_KEPT)
def test_engine_keeps_grad_through(expression: str) -> None:
    assert engine_value(expression).requires_grad is Tri.YES


@pytest.mark.parametrize("expression", GRAD_KEPT)
def test_installed_torch_keeps_grad_through(expression: str, tmp_path: Path) -> None:
    assert run_value(expression, tmp_path).requires_grad


# --- dtypes (TENSOR_CASTS, INTEGER_RESULTS, TORCH_FACTORIES, promotion) --------------------------

TORCH_DTYPES: List[Tuple[str, str]] = [
    *[(f"t64.{cast}()", dtype) for cast, dtype in (
        ("float", "float32"), ("double", "float64"), ("half", "float16"), ("bfloat16", "bfloat16"),
        ("long", "int64"), ("int", "int32"), ("short", "int16"), ("char", "int8"), ("byte", "uint8"),
        ("bool", "bool"))],
    *[(f"o.{call}", dtype) for call, dtype in (
        ("argmax(1)", "int64"), ("argmin(1)", "int64"), ("argsort(1)", "int64"), ("nonzero()", "int64"),
        ("eq(0)", "bool"), ("ne(0)", "bool"), ("lt(0)", "bool"), ("gt(0)", "bool"), ("le(0)", "bool"),
        ("ge(0)", "bool"), ("isnan()", "bool"), ("isinf()", "bool"), ("isfinite()", "bool"),
        ("logical_not()", "bool"), ("logical_and(o)", "bool"), ("logical_or(o)", "bool"),
        ("count_nonzero(1)", "int64"), ("argwhere()", "int64"), ("isclose(o)", "bool"), ("isneginf()", "bool"),
        ("isposinf()", "bool"), ("isreal()", "bool"), ("signbit()", "bool"), ("logical_xor(o)", "bool"))],
    ("torch.count_nonzero(o, dim=1)", "int64"), ("torch.isin(o, o)", "bool"),
    ("torch.bucketize(o, torch.tensor([0.0]))", "int64"), ("torch.searchsorted(torch.tensor([0.0, 1.0]), o)", "int64"),
    ("torch.multinomial(torch.ones(3), 2)", "int64"),
    *[(f"torch.{call}", dtype) for call, dtype in (
        ("zeros(3)", "float32"), ("ones(3)", "float32"), ("empty(3)", "float32"), ("rand(3)", "float32"),
        ("randn(3)", "float32"), ("full((3,), 1.5)", "float32"), ("full((3,), 2)", "int64"), ("eye(2)", "float32"),
        ("linspace(0, 1, 3)", "float32"), ("logspace(0, 1, 3)", "float32"), ("arange(3)", "int64"),
        ("arange(0.0, 1.0, 0.5)", "float32"), ("randint(0, 3, (2,))", "int64"), ("randperm(3)", "int64"),
        ("zeros_like(t64)", "float64"), ("ones_like(t64)", "float64"), ("rand_like(t64)", "float64"),
        ("randn_like(t64)", "float64"), ("empty_like(t64)", "float64"), ("full_like(t64, 1.0)", "float64"),
        ("zeros(3, dtype=torch.float64)", "float64"),
        # PROMOTING_FUNCTIONS and TENSOR_BINARY_METHODS: float64 with float32 is float64
        ("mul(t64, torch.ones(2, 3))", "float64"), ("add(t64, torch.ones(2, 3))", "float64"),
        ("sub(t64, torch.ones(2, 3))", "float64"), ("div(t64, torch.ones(2, 3))", "float64"))],
    # a float32 receiver meeting a float64 operand is promoted (not the receiver's dtype)
    *[(f"torch.ones(2, 3).{name}(t64)", "float64") for name in ("add", "sub", "mul", "div", "true_divide")],
    ("F.one_hot(torch.tensor([0, 2]))", "int64"),
]


@pytest.mark.parametrize("expression, dtype", TORCH_DTYPES, ids=[e for e, _ in TORCH_DTYPES])
def test_engine_knows_the_tensor_dtype(expression: str, dtype: str) -> None:
    value = engine_value(expression)
    assert (value.kind, value.dtype) == (Kind.TENSOR, dtype)


@pytest.mark.parametrize("expression, dtype", TORCH_DTYPES, ids=[e for e, _ in TORCH_DTYPES])
def test_installed_torch_gives_that_dtype(expression: str, dtype: str, tmp_path: Path) -> None:
    assert dtype_name(run_value(expression, tmp_path)) == dtype


#: integer and bool results never require grad; factories do not either, unless asked
NO_GRAD: List[str] = [
    "o.argmax(1)", "o.gt(0)", "o.long()", "o.int()", "torch.zeros(3)", "torch.randn(3)", "torch.normal(torch.zeros(3), 1.0)",
    "o.detach()", "o.data", "o.grad",
]


@pytest.mark.parametrize("expression", NO_GRAD)
def test_no_grad_results(expression: str, tmp_path: Path) -> None:
    value = engine_value(expression)
    assert value.kind is Kind.TENSOR and value.requires_grad is Tri.NO
    result = run_value(expression, tmp_path)
    assert result is None or not result.requires_grad  # o.grad is None before backward()


def test_factories_that_ask_for_grad(tmp_path: Path) -> None:
    expression = "torch.zeros(3, requires_grad=True)"
    assert engine_value(expression).requires_grad is Tri.YES
    assert run_value(expression, tmp_path).requires_grad


# --- modules -----------------------------------------------------------------------------------

#: PARAMETRIC_MODULES: constructors whose module has parameters that require grad
PARAMETRIC: List[str] = [
    "Linear(3, 2)", "Bilinear(3, 3, 2)", "LazyLinear(2)", "Conv1d(1, 2, 3)", "Conv2d(1, 2, 3)", "Conv3d(1, 2, 3)",
    "ConvTranspose1d(1, 2, 3)", "ConvTranspose2d(1, 2, 3)", "ConvTranspose3d(1, 2, 3)", "LazyConv1d(2, 3)",
    "LazyConv2d(2, 3)", "LazyConv3d(2, 3)", "BatchNorm1d(3)", "BatchNorm2d(3)", "BatchNorm3d(3)", "SyncBatchNorm(3)",
    "LayerNorm(3)", "GroupNorm(1, 3)", "RMSNorm(3)", "Embedding(5, 3)", "EmbeddingBag(5, 3)", "RNN(3, 4)",
    "LSTM(3, 4)", "GRU(3, 4)", "RNNCell(3, 4)", "LSTMCell(3, 4)", "GRUCell(3, 4)", "MultiheadAttention(4, 2)",
    "Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)",
    "TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1)",
    "TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 1)", "TransformerEncoderLayer(8, 2, 16)",
    "TransformerDecoderLayer(8, 2, 16)", "PReLU()",
    "LazyBatchNorm1d()", "LazyBatchNorm2d()", "LazyBatchNorm3d()", "LazyConvTranspose1d(2, 3)",
    "LazyConvTranspose2d(2, 3)", "LazyConvTranspose3d(2, 3)",
    # CONTAINER_MODULES: parametric when a member is
    "Sequential(nn.Linear(3, 2), nn.ReLU())", "ModuleList([nn.Linear(3, 2)])",
]
#: PARAMETER_FREE_MODULES
PARAMETER_FREE: List[str] = [
    "ReLU()", "ReLU6()", "Dropout()", "Dropout2d()", "Identity()", "Flatten()", "Unflatten(1, (1, 3))", "Sigmoid()",
    "Tanh()", "Softmax(1)", "LogSoftmax(1)", "GELU()", "LeakyReLU()", "MaxPool1d(2)", "MaxPool2d(2)", "MaxPool3d(2)",
    "AvgPool1d(2)", "AvgPool2d(2)", "AdaptiveAvgPool1d(1)", "AdaptiveAvgPool2d(1)", "AdaptiveMaxPool2d(1)",
    "Upsample(scale_factor=2.0)", "SiLU()", "ELU()", "Mish()", "Hardswish()", "Softplus()",
    "AdaptiveAvgPool3d(2)", "AdaptiveMaxPool1d(2)", "AdaptiveMaxPool3d(2)", "AlphaDropout()", "AvgPool3d(2)",
    "CELU()", "ChannelShuffle(2)", "CircularPad1d(2)", "CircularPad2d(2)", "CircularPad3d(2)",
    "ConstantPad1d(2, 0.0)", "ConstantPad2d(2, 0.0)", "ConstantPad3d(2, 0.0)", "Dropout1d()", "Dropout3d()",
    "FeatureAlphaDropout()", "Fold((4, 4), 2)", "FractionalMaxPool2d(2, output_size=2)",
    "FractionalMaxPool3d(2, output_size=2)", "GLU()", "Hardshrink()", "Hardsigmoid()", "Hardtanh()",
    "LPPool1d(2, 2)", "LPPool2d(2, 2)", "LPPool3d(2, 2)", "LocalResponseNorm(2)", "LogSigmoid()",
    "MaxUnpool1d(2)", "MaxUnpool2d(2)", "MaxUnpool3d(2)", "PixelShuffle(2)", "PixelUnshuffle(2)", "RReLU()",
    "ReflectionPad1d(2)", "ReflectionPad2d(2)", "ReflectionPad3d(2)", "ReplicationPad1d(2)",
    "ReplicationPad2d(2)", "ReplicationPad3d(2)", "SELU()", "Softmax2d()", "Softmin(1)", "Softshrink()",
    "Softsign()", "Tanhshrink()", "Threshold(0.1, 0.0)", "Unfold(2)", "UpsamplingBilinear2d(scale_factor=2.0)",
    "UpsamplingNearest2d(scale_factor=2.0)", "ZeroPad1d(2)", "ZeroPad2d(2)", "ZeroPad3d(2)",
]


@pytest.mark.parametrize("constructor", PARAMETRIC)
def test_parametric_modules(constructor: str, tmp_path: Path) -> None:
    value = engine_value(f"nn.{constructor}")
    assert (value.kind, value.parametric) == (Kind.MODULE, Tri.YES)
    parameters = list(run_value(f"nn.{constructor}", tmp_path).parameters())
    assert parameters and all(p.requires_grad for p in parameters)


@pytest.mark.parametrize("constructor", PARAMETER_FREE)
def test_parameter_free_modules(constructor: str, tmp_path: Path) -> None:
    value = engine_value(f"nn.{constructor}")
    assert (value.kind, value.parametric) == (Kind.MODULE, Tri.NO)
    assert list(run_value(f"nn.{constructor}", tmp_path).parameters()) == []


def test_parameter_free_module_passes_its_input_on(tmp_path: Path) -> None:
    """A parameter-free module's output needs grad exactly when its input does."""
    assert engine_value("nn.ReLU()(o)").requires_grad is Tri.YES
    assert engine_value("nn.ReLU()(x)").requires_grad is Tri.NO
    assert run_value("nn.ReLU()(o)", tmp_path).requires_grad and not run_value("nn.ReLU()(x)", tmp_path).requires_grad


#: TUPLE_OUTPUT_MODULES: their call is a tuple, never a tensor
TUPLE_CALLS: List[str] = [
    "nn.RNN(3, 4)(torch.randn(2, 5, 3))", "nn.LSTM(3, 4)(torch.randn(2, 5, 3))", "nn.GRU(3, 4)(torch.randn(2, 5, 3))",
    "nn.LSTMCell(3, 4)(torch.randn(2, 3))",
    "nn.MultiheadAttention(4, 2)(torch.randn(5, 1, 4), torch.randn(5, 1, 4), torch.randn(5, 1, 4))",
]


@pytest.mark.parametrize("call", TUPLE_CALLS)
def test_tuple_output_modules(call: str, tmp_path: Path) -> None:
    assert engine_value(call).kind is not Kind.TENSOR
    assert isinstance(run_value(call, tmp_path), tuple)


#: PARAMETER_ATTRS (and PARAMETER_ITERATORS): parameters read off a module
PARAMETERS: List[str] = [
    "nn.Linear(3, 2).weight", "nn.Linear(3, 2).bias", "nn.LSTM(3, 4).weight_ih_l0", "nn.LSTM(3, 4).weight_hh_l0",
    "nn.MultiheadAttention(4, 2).in_proj_weight", "list(net.parameters())[0]", "list(net.named_parameters())[0][1]",
]


@pytest.mark.parametrize("expression", PARAMETERS)
def test_parameters(expression: str, tmp_path: Path) -> None:
    value = engine_value(expression)
    assert value.kind is Kind.TENSOR and value.requires_grad is Tri.YES and value.grad_leaf
    result = run_value(expression, tmp_path)
    assert result.requires_grad and result.is_leaf


_LAYERS = {"Linear": "nn.Linear(3, 2)", "Bilinear": "nn.Bilinear(3, 3, 2)", "Conv1d": "nn.Conv1d(2, 3, 3)",
           "Conv2d": "nn.Conv2d(2, 3, 3)", "Conv3d": "nn.Conv3d(2, 3, 3)", "ConvTranspose1d": "nn.ConvTranspose1d(2, 3, 3)",
           "ConvTranspose2d": "nn.ConvTranspose2d(2, 3, 3)", "ConvTranspose3d": "nn.ConvTranspose3d(2, 3, 3)",
           "Embedding": "nn.Embedding(5, 3)", "BatchNorm1d": "nn.BatchNorm1d(3)", "BatchNorm2d": "nn.BatchNorm2d(3)",
           "BatchNorm3d": "nn.BatchNorm3d(3)", "GroupNorm": "nn.GroupNorm(1, 3)"}
#: PARAMETER_NDIM: a row of the table, as the engine knows it and as the installed torch builds it
PARAMETER_SHAPES: List[Tuple[str, int]] = [(f"{_LAYERS[layer]}.{attr}", ndim)
                                           for (layer, attr), ndim in api.PARAMETER_NDIM.items()]


@pytest.mark.parametrize("expression, ndim", PARAMETER_SHAPES, ids=[e for e, _ in PARAMETER_SHAPES])
def test_parameter_dimensions(expression: str, ndim: int, tmp_path: Path) -> None:
    assert engine_value(expression).ndim == ndim
    assert engine_value(expression + ".detach().numpy()").ndim == ndim
    assert run_value(expression, tmp_path).dim() == ndim


#: TENSOR_VIEW_METHODS: a parameter's view shares its storage (an NTL402 snapshot stays live)
VIEWS_OF_PARAMETER: List[str] = [
    f"net.weight.detach().{call}" for call in (
        "view(-1)", "view_as(net.weight)", "reshape(-1)", "unsqueeze(0)", "squeeze()", "permute(1, 0)",
        "transpose(0, 1)", "t()", "flatten()", "contiguous()", "expand(2, 2, 3)", "expand_as(net.weight)",
        "narrow(0, 0, 1)", "select(0, 0)", "squeeze_()", "unsqueeze_(0)")
]


@pytest.mark.parametrize("expression", VIEWS_OF_PARAMETER)
def test_views_of_a_parameter(expression: str, tmp_path: Path) -> None:
    assert engine_value(expression).param_view
    namespace: Dict[str, Any] = {}
    exec(PRELUDE, namespace)
    view = eval(expression, namespace)
    assert view.untyped_storage().data_ptr() == namespace["net"].weight.untyped_storage().data_ptr()


#: LOSS_MODULES: the classes torch derives from its loss base class
LOSSES = ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
          "NLLLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
          "MultiLabelMarginLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "CosineEmbeddingLoss",
          "TripletMarginLoss", "MultiMarginLoss"]


@pytest.mark.parametrize("name", LOSSES)
def test_loss_modules(name: str) -> None:
    import torch.nn as nn

    assert engine_value(f"nn.{name}()").kind is Kind.LOSS
    assert issubclass(getattr(nn, name), nn.modules.loss._Loss)


#: FUNCTIONAL_LOSSES: a 0-d loss that needs grad when its input does
FUNCTIONAL: List[str] = [
    "mse_loss(o, torch.zeros(4, 2))", "l1_loss(o, torch.zeros(4, 2))", "smooth_l1_loss(o, torch.zeros(4, 2))",
    "huber_loss(o, torch.zeros(4, 2))", "binary_cross_entropy(o.sigmoid(), torch.zeros(4, 2))",
    "binary_cross_entropy_with_logits(o, torch.zeros(4, 2))", "cross_entropy(o, torch.zeros(4, dtype=torch.long))",
    "nll_loss(o.log_softmax(1), torch.zeros(4, dtype=torch.long))", "kl_div(o.log_softmax(1), torch.full((4, 2), 0.5))",
    "poisson_nll_loss(o, torch.ones(4, 2))", "gaussian_nll_loss(o, torch.zeros(4, 2), torch.ones(4, 2))",
    "soft_margin_loss(o, torch.ones(4, 2))", "multilabel_soft_margin_loss(o, torch.ones(4, 2))",
    "hinge_embedding_loss(o, torch.ones(4, 2))", "margin_ranking_loss(o[:, 0], o[:, 1], torch.ones(4))",
    "cosine_embedding_loss(o, o, torch.ones(4))", "triplet_margin_loss(o, o, o)",
]


@pytest.mark.parametrize("call", FUNCTIONAL)
def test_functional_losses(call: str, tmp_path: Path) -> None:
    value = engine_value(f"F.{call}")
    assert (value.kind, value.ndim, value.requires_grad) == (Kind.TENSOR, 0, Tri.YES)
    loss = run_value(f"F.{call}", tmp_path)
    assert loss.dim() == 0 and loss.requires_grad


#: CLASS_INDEX_LOSSES x REJECTED_CLASS_TARGETS: narrow integer targets raise
NARROW_TARGETS: List[Tuple[str, str]] = [
    *[(loss, "np.zeros(4, dtype=np.int32)") for loss in (
        "nn.CrossEntropyLoss()", "nn.NLLLoss()", "F.cross_entropy", "F.nll_loss")],
    ("nn.CrossEntropyLoss()", "np.zeros(4, dtype=np.int16)"), ("nn.CrossEntropyLoss()", "np.zeros(4, dtype=np.int8)"),
    ("nn.CrossEntropyLoss()", "np.zeros((4, 5), dtype=np.uint8)"),
]


@pytest.mark.parametrize("loss, target", NARROW_TARGETS)
def test_narrow_class_targets(loss: str, target: str) -> None:
    import torch

    logits = "torch.randn(4, 3, 5)" if "(4, 5)" in target else "o.log_softmax(1)"
    code = f"y = {loss}({logits}, torch.from_numpy({target}))\n"
    assert lint_codes(code) == ["NTL103"]
    namespace: Dict[str, Any] = {}
    exec(PRELUDE, namespace)
    with pytest.raises(RuntimeError, match="expected (target dtype|scalar type Long)"):
        exec(code, namespace)
    assert torch  # torch ran the loss


def test_wide_and_1d_uint8_targets_are_accepted() -> None:
    for target in ("np.zeros(4, dtype=np.int64)", "np.zeros(4, dtype=np.uint8)"):
        code = f"y = nn.CrossEntropyLoss()(o, torch.from_numpy({target}))\n"
        assert lint_codes(code) == []
        namespace: Dict[str, Any] = {}
        exec(PRELUDE + code, namespace)


# --- module methods (MODULE_SELF_METHODS, MODULE_CASTS) -----------------------------------------

MODULE_METHODS: List[Tuple[str, str]] = [
    ("to(torch.float64)", "float64"), ("cpu()", "float32"), ("double()", "float64"), ("float()", "float32"),
    ("half()", "float16"), ("bfloat16()", "bfloat16"), ("train()", "float32"), ("eval()", "float32"),
    ("requires_grad_(True)", "float32"), ("type(torch.float64)", "float64"), ("share_memory()", "float32"),
    ("to_empty(device='cpu')", "float32"),
]


@pytest.mark.parametrize("call, dtype", MODULE_METHODS)
def test_module_methods_return_the_module(call: str, dtype: str, tmp_path: Path) -> None:
    value = engine_value(f"nn.Linear(3, 2).{call}")
    assert (value.kind, value.dtype) == (Kind.MODULE, dtype)
    module = run_value(f"nn.Linear(3, 2).{call}", tmp_path)
    assert dtype_name(module.weight) == dtype


def test_a_module_cast_in_place_takes_float64_input() -> None:
    """model.double() changes the model itself (REBINDING_METHODS): float64 input is then right."""
    code = "m = nn.Linear(3, 2)\nm.double()\ny = m(t64)\n"
    assert lint_codes(code) == []
    exec(PRELUDE + code, {})
    assert lint_codes("m = nn.Linear(3, 2)\ny = m(t64)\n") == ["NTL101"]


# --- metadata is not a read (METADATA_ATTRS) -----------------------------------------------------

METADATA: List[Tuple[str, str]] = [
    *[("a += 1", f"t.{attr}") for attr in ("shape", "dtype", "ndim", "device", "nbytes", "itemsize", "is_cuda")],
    ("t += 1", "a.strides"),
]


@pytest.mark.parametrize("write, read", METADATA)
def test_metadata_is_not_a_read(write: str, read: str) -> None:
    """An in-place write on one side then a metadata read of the other: no NTL401, and indeed the
    metadata is the same before and after the write."""
    code = f"a = np.zeros(3)\nt = torch.from_numpy(a)\nbefore = {read}\n{write}\nafter = {read}\n"
    assert lint_codes(code) == []
    namespace: Dict[str, Any] = {}
    exec(PRELUDE + code, namespace)
    assert namespace["before"] == namespace["after"]


# --- legacy tensor types (TENSOR_TYPES) ---------------------------------------------------------

CPU_TYPES: List[Tuple[str, str]] = [
    ("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("HalfTensor", "float16"), ("BFloat16Tensor", "bfloat16"),
    ("LongTensor", "int64"), ("IntTensor", "int32"), ("ShortTensor", "int16"), ("CharTensor", "int8"),
    ("ByteTensor", "uint8"), ("BoolTensor", "bool"), ("Tensor", "float32"),
]
CUDA_TYPES: List[Tuple[str, str]] = [
    ("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("HalfTensor", "float16"), ("LongTensor", "int64"),
    ("IntTensor", "int32"), ("ByteTensor", "uint8"), ("BoolTensor", "bool"),
]


@pytest.mark.parametrize("name, dtype", CPU_TYPES)
def test_legacy_cpu_constructors(name: str, dtype: str, tmp_path: Path) -> None:
    """torch.FloatTensor(a) of NumPy data: a silent copy and cast (NTL503), on the CPU."""
    assert lint_codes(f"y = torch.{name}(np.zeros(2))\n") == ["NTL503"]
    assert dtype_name(run_value(f"torch.{name}(np.zeros(2))", tmp_path)) == dtype


@pytest.mark.parametrize("name, dtype", CUDA_TYPES)
def test_legacy_cuda_types_place_on_the_gpu(name: str, dtype: str) -> None:
    """.type(torch.cuda.X) casts and places: an unguarded placement (NTL301); it fails without CUDA."""
    import torch

    code = f"y = torch.zeros(2).type(torch.cuda.{name})\n"
    assert lint_codes(code) == ["NTL301"]
    assert engine_value(f"torch.zeros(2).type(torch.cuda.{name})").dtype == dtype
    assert dtype_name(getattr(torch.cuda, name)) == dtype
    if not torch.cuda.is_available():
        namespace: Dict[str, Any] = {}
        exec(PRELUDE, namespace)
        with pytest.raises((RuntimeError, AssertionError, TypeError)):
            exec(code, namespace)


@pytest.mark.parametrize("base", ["torch.utils.data.Dataset", "torch.utils.data.dataset.Dataset"])
def test_dataset_bases(base: str) -> None:
    """DATASET_BASES: a Dataset whose items are float64 arrays gives float64 batches (NTL102)."""
    import torch

    code = (f"class Rows({base}):\n    def __len__(self):\n        return 4\n\n"
            "    def __getitem__(self, i):\n        return np.random.rand(3)\n\n"
            "batch = torch.utils.data.default_collate([Rows()[0], Rows()[1]])\n")
    assert lint_codes(code) == ["NTL102"]
    namespace: Dict[str, Any] = {}
    exec(PRELUDE + code, namespace)
    assert namespace["batch"].dtype == torch.float64


# --- declared kinds, expected errors, base classes -------------------------------------------------

#: (code, codes, a call that runs it: "raises EXC" or "warns" or "ok")
DECLARED: List[Tuple[str, List[str], str]] = [
    # ANNOTATION_KINDS: a parameter or return declared as an array, a tensor or a module
    ("def f(a: np.ndarray):\n    return torch.as_tensor(a[::-1])\nf(np.arange(3.0))\n", ["NTL403"], "raises ValueError"),
    ("from numpy.typing import NDArray\ndef f(a: NDArray):\n    return torch.as_tensor(a[::-1])\nf(np.arange(3.0))\n",
     ["NTL403"], "raises ValueError"),
    ("def load():\n    return np.arange(3.0)\ndef g() -> np.ndarray:\n    return load()\nz = torch.as_tensor(g()[::-1])\n",
     ["NTL403"], "raises ValueError"),
    *[(f"def f(t: {ann}):\n    return torch.tensor(t)\nf(torch.zeros(2))\n", ["NTL502"], "warns")
      for ann in ("torch.Tensor", "torch.FloatTensor", "torch.LongTensor")],
    *[(f"def f(m: {ann}):\n    for p in m.parameters():\n        y = p.numpy()\nf(nn.Linear(3, 2))\n", ["NTL201"],
       "raises RuntimeError") for ann in ("nn.Module", "torch.nn.modules.module.Module")],
    # ARRAY_ONLY_CONVERSIONS: torch.from_numpy takes arrays only, so a flipped unknown is an array
    ("def f(img):\n    return torch.from_numpy(img[::-1])\n", ["NTL403"], "ok"),
    ("def f(img):\n    return torch.as_tensor(img[::-1])\ny = f([1.0, 2.0])\n", [], "ok"),
    # EXPECTED_ERROR_FUNCTIONS / EXPECTED_ERROR_METHODS: a block that is meant to raise
    ("import pytest\nwith pytest.raises(RuntimeError):\n    y = net(x).numpy()\n", [], "ok"),
    *[(f"import unittest\nclass T(unittest.TestCase):\n    def test(self):\n        with self.{call}:\n"
       "            net(x).numpy()\nT('test').test()\n", [], "ok")
      for call in ("assertRaises(RuntimeError)", "assertRaisesRegex(RuntimeError, 'grad')")],
    # GRAD_CONTEXT_OBJECTS: a switch of unknown mode held in a variable leaves grad unknown
    ("def run(flag):\n    ctx = torch.set_grad_enabled(flag)\n    with ctx:\n        return net(x).numpy()\ny = run(False)\n",
     [], "ok"),
    # MODULE_BASES
    ("class Net(torch.nn.modules.module.Module):\n    def __init__(self):\n        super().__init__()\n"
     "        self.fc = nn.Linear(3, 2)\n\n    def forward(self, inp):\n        return self.fc(inp)\n\ny = Net()(x).numpy()\n",
     ["NTL201"], "raises RuntimeError"),
]


@pytest.mark.parametrize("code, codes, outcome", DECLARED, ids=[c.split("\n")[0][:60] for c, _, _ in DECLARED])
def test_declared_kinds_and_expected_errors(code: str, codes: List[str], outcome: str) -> None:
    assert lint_codes(code) == codes


@pytest.mark.parametrize("code, codes, outcome", DECLARED, ids=[c.split("\n")[0][:60] for c, _, _ in DECLARED])
def test_installed_declared_kinds_and_expected_errors(code: str, codes: List[str], outcome: str) -> None:
    import warnings

    namespace: Dict[str, Any] = {}
    exec(PRELUDE, namespace)
    if outcome.startswith("raises"):
        with pytest.raises(Exception) as caught:
            exec(code, namespace)
        assert type(caught.value).__name__ == outcome.split()[1]
    elif outcome == "warns":
        with pytest.warns(UserWarning, match="To copy construct from a tensor"):
            exec(code, namespace)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, namespace)


def test_assert_raises_regexp_is_an_expected_error() -> None:
    """assertRaisesRegexp: the old spelling (removed in Python 3.12) still marks a test block."""
    import sys
    import unittest

    code = ("import unittest\nclass T(unittest.TestCase):\n    def test(self):\n"
            "        with self.assertRaisesRegexp(RuntimeError, 'grad'):\n            net(x).numpy()\n")
    assert lint_codes(code) == []
    assert hasattr(unittest.TestCase, "assertRaisesRegexp") is (sys.version_info < (3, 12))


# --- the float32 fix sees through pass-through methods (PASS_THROUGH_METHODS) -------------------------

@pytest.mark.parametrize("method", ["to('cpu')", "cpu()", "contiguous()", "unsqueeze(0)", "squeeze(0)", "reshape(3, 3)",
                                    "view(3, 3)", "permute(1, 0)", "transpose(0, 1)", "flatten(1)", "cuda()"])
def test_float32_fix_through_pass_through_methods(method: str) -> None:
    """`model(torch.from_numpy(a).<method>)`: the conversion's only use is the model call, so NTL101
    offers its float32 fix; the fixed program runs (where it can: .cuda() needs a GPU)."""
    import torch

    from np_torch_lint.fixes.edit import apply
    from np_torch_lint.lint import analyze

    code = PRELUDE + f"y = net(torch.from_numpy(np.zeros((3, 3))).{method})\n"
    reports = [r for r in analyze(code) if r.code == "NTL101"]
    assert len(reports) == 1 and reports[0].fix is not None
    fixed, count = apply(code, reports)
    assert count == 1
    if "cuda" not in method or torch.cuda.is_available():
        exec(fixed, {})


# --- where float64 meets float32 (FLOAT32_SINKS, PROMOTING_FUNCTIONS, TENSOR_BINARY_METHODS) --------

#: (code, the fix's safety, what running it shows: "raises" or the result's dtype)
SINKS: List[Tuple[str, str, str]] = [
    # a module raises on float64 input, even 0-d: the float32 cast is safe
    ("y = nn.PReLU()(torch.tensor(np.float64(0.5)))\n", "safe", "raises"),
    # a loss computes in float64 (a 0-d target too): casting changes numbers, unsafe
    ("y = F.mse_loss(o.sum(), torch.tensor(np.float64(1.0)))\n", "unsafe", "float64"),
    # an operation with a dimensioned float64 operand is float64
    ("y = o[0] * torch.from_numpy(np.ones(2))\n", "unsafe", "float64"),
    # as a method the conversion is the receiver, not an operand of the call: no fix offered
    *[(f"y = {call}\n", "none", "raises") for call in (
        "torch.from_numpy(np.ones((4, 3))).matmul(torch.ones(3, 2))", "torch.from_numpy(np.ones((4, 3))).mm(torch.ones(3, 2))",
        "torch.from_numpy(np.ones((1, 4, 3))).bmm(torch.ones(1, 3, 2))")],
    *[(f"y = {call}\n", "unsafe", "raises") for call in (
        "torch.matmul(torch.from_numpy(np.ones((4, 3))), torch.ones(3, 2))",
        "torch.mm(torch.from_numpy(np.ones((4, 3))), torch.ones(3, 2))",
        "torch.bmm(torch.from_numpy(np.ones((1, 4, 3))), torch.ones(1, 3, 2))",
        "F.linear(torch.from_numpy(np.ones((4, 3))), torch.ones(2, 3))")],
]


@pytest.mark.parametrize("code, safety, outcome", SINKS, ids=[c[4:60] for c, _, _ in SINKS])
def test_float64_sinks(code: str, safety: str, outcome: str) -> None:
    import torch

    from np_torch_lint.lint import analyze

    reports = analyze(PRELUDE + code)
    assert [r.code for r in reports] == ["NTL101"]
    fix = reports[0].fix
    assert (fix.safety.value if fix is not None else "none") == safety
    namespace: Dict[str, Any] = {}
    exec(PRELUDE, namespace)
    if outcome == "raises":
        with pytest.raises(RuntimeError):
            exec(code, namespace)
    else:
        exec(code, namespace)
        assert namespace["y"].dtype == getattr(torch, outcome)


def test_a_0d_float64_scale_does_not_promote_an_operation(tmp_path: Path) -> None:
    """FLOAT32_SINKS["op"].promotes: x * scale_0d stays float32."""
    code = "y = o * torch.tensor(np.float64(2.0))\n"
    assert lint_codes(code) == []
    assert dtype_name(run_value("o * torch.tensor(np.float64(2.0))", tmp_path)) == "float32"


def test_shape_facts(tmp_path: Path) -> None:
    """SHAPE_ARGUMENT_MAKERS, DIMENSION_ARGUMENT_MAKERS, SHAPE_KEEPING_METHODS and
    FULL_REDUCTION_METHODS: known dimensions (a 0-d float64 operand promotes nothing)."""
    cases: List[Tuple[str, Optional[int]]] = [
        ("np.zeros((4, 3))", 2), ("np.ones((4, 3))", 2), ("np.empty((4, 3))", 2), ("np.full((4, 3), 1.0)", 2),
        ("np.zeros(5)", 1), ("np.random.rand(4, 3)", 2), ("np.random.randn(4, 3, 2)", 3),
        ("torch.tensor(np.float64(1.0))", 0), ("-torch.tensor(np.float64(0.5)).exp()", 0),
        ("torch.tensor(np.float64(0.5)).clamp(0, 1)", 0), ("torch.tensor(np.float64(0.5)).clip(0, 1)", 0),
    ]
    cases += [(f"torch.tensor(np.float64(0.5)).{method}()", 0)
              for method in sorted(api.SHAPE_KEEPING_METHODS - {"clamp", "clip"})]
    cases += [(f"torch.ones(3, 2).{method}()", 0) for method in sorted(api.FULL_REDUCTION_METHODS)]
    cases += [("torch.ones(3, 2).sum(0)", None), ("torch.ones(3, 2).mean(dim=1)", None)]  # a dimension kept
    for expression, ndim in cases:
        assert engine_value(expression).ndim == ndim, expression
        if ndim is not None:
            assert run_value(expression, tmp_path).ndim == ndim, expression


def test_scalar_constructors_and_flips_of_lists(tmp_path: Path) -> None:
    """ARRAY_MAKERS: NumPy scalar types make 0-d scalars; np.flip of a list takes the list's dtype."""
    import numpy as np

    for expression in ("np.double(1)", "np.int64(1)", "np.int32(1)"):
        assert engine_value(expression).kind is Kind.NP_SCALAR, expression
        assert isinstance(run_value(expression, tmp_path), np.generic)
    for expression in ("np.flip([1.0, 2.0])", "np.fliplr([[1.0, 2.0]])", "np.flipud([[1.0, 2.0]])", "np.rot90([[1.0, 2.0]])"):
        assert engine_value(expression).dtype == "float64", expression
        assert dtype_name(run_value(expression, tmp_path)) == "float64", expression


def test_uninitialized_buffers_filled_through_their_tensor() -> None:
    """UNINITIALIZED_MAKERS: np.empty/np.empty_like buffers are meant to be filled through their
    tensor; the fill goes through (that is the point), and NTL401 stays silent."""
    import numpy as np

    for maker in ("np.empty(3)", "np.empty_like(flat[:3])"):
        code = f"buf = {maker}\nt = torch.from_numpy(buf)\nt.copy_(torch.ones(3))\ntotal = buf.sum()\n"
        assert lint_codes(code) == [], maker
        namespace: Dict[str, Any] = {}
        exec(PRELUDE + code, namespace)
        assert namespace["total"] == 3.0 and isinstance(namespace["buf"], np.ndarray)


def test_engine_only_rows_that_need_a_gpu() -> None:
    """MODULE_SELF_METHODS["cuda"] and TENSOR_PROPAGATING["pin_memory"]: engine only, since running
    them needs an accelerator (a CPU build raises "Cannot access accelerator device")."""
    value = engine_value("nn.Linear(3, 2).cuda()")
    assert value.kind is Kind.MODULE and value.dtype == "float32"
    assert engine_value("o.pin_memory()").requires_grad is Tri.YES
