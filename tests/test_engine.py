"""Unit tests of the engine's facts: dtypes, imports, guards, joins, loops, grad, strides."""
from __future__ import annotations

import textwrap
from typing import List

import pytest

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import Device, Kind, Tri


def values(source: str):
    return module_values(textwrap.dedent(source))


@pytest.mark.parametrize(
    "expression, dtype",
    [
        ("np.zeros(3)", "float64"),
        ("np.zeros(3, dtype=np.float32)", "float32"),
        ("np.zeros(3, np.float32)", "float32"),
        ("np.ones((2, 2), dtype='float32')", "float32"),
        ("np.random.rand(3)", "float64"),
        ("np.random.default_rng(0).random(3)", "float64"),
        ("np.random.default_rng(0).random(3, dtype=np.float32)", "float32"),
        ("np.random.default_rng(0).integers(0, 3, 5)", "int64"),
        ("np.full(3, 1.5)", "float64"),
        ("np.full(3, 7)", "int64"),
        ("np.arange(3)", "int64"),
        ("np.arange(0.0, 1.0, 0.1)", "float64"),
        ("np.array([1.0, 2.0])", "float64"),
        ("np.array([1, 2])", "int64"),
        ("np.array([1, 2]) / np.array([3, 4])", "float64"),
        ("np.array([1, 2]).mean(axis=0)", "float64"),
        ("np.zeros(3).astype(np.float32)", "float32"),
        ("np.zeros(3, dtype=np.int32).astype(float)", "float64"),
        ("np.zeros(3, dtype=np.float32) * 2.0", "float32"),
        ("np.zeros(3, dtype=np.float32) + np.zeros(3)", "float64"),
        ("np.linspace(0, 1, 5)", "float64"),
        ("np.linspace(0, 2 * np.pi, 5)", "float64"),  # np.pi is a Python float
        ("np.sin(np.arange(3) * np.pi)", "float64"),
    ],
)
def test_numpy_dtypes(expression: str, dtype: str) -> None:
    env = values(f"import numpy as np\nv = {expression}\n")
    assert env["v"].dtype == dtype


def test_unknown_is_unknown() -> None:
    env = values("import numpy as np\nimport imageio\nv = imageio.imread('x')\nw = np.asarray(v)\n")
    assert env["v"].kind is None and env["w"].dtype is None


def test_import_aliases_resolve() -> None:
    env = values(
        """
        import numpy
        import torch as th
        from torch import from_numpy as fn
        from numpy import float32
        import numpy.random as npr
        a = fn(numpy.zeros(3))
        b = th.as_tensor(npr.rand(3), dtype=th.float32)
        c = numpy.ones(2, dtype=float32)
        """
    )
    assert (env["a"].kind, env["a"].dtype) == (Kind.TENSOR, "float64")
    assert env["b"].dtype == "float32"
    assert env["c"].dtype == "float32"


def test_shadowed_alias_is_not_numpy() -> None:
    env = values("import numpy as np\ndef f(np):\n    return np.zeros(3)\nv = f(object())\n")
    assert env["v"].dtype is None


def test_tensor_casts_and_conversions() -> None:
    env = values(
        """
        import numpy as np, torch
        a = np.random.rand(4, 3)
        t = torch.from_numpy(a)
        f = t.float()
        g = t.to(torch.float32)
        h = t.type(torch.FloatTensor)
        n = torch.tensor(a, dtype=torch.float32)
        k = torch.tensor([1.0, 2.0])
        s = torch.tensor([np.float64(1.0), a.mean()])
        """
    )
    assert env["t"].dtype == "float64" and env["t"].conversion is not None
    assert [env[n].dtype for n in "fghnk"] == ["float32"] * 5
    assert env["s"].dtype == "float64"


def test_if_else_join_keeps_only_agreement() -> None:
    env = values(
        """
        import numpy as np
        if flag:
            a = np.zeros(3)
            b = np.zeros(3)
        else:
            a = np.ones(3)
            b = np.ones(3, dtype=np.float32)
        """
    )
    assert env["a"].dtype == "float64"
    assert env["b"].dtype is None


def test_branch_that_raises_does_not_join() -> None:
    env = values(
        """
        import numpy as np
        a = np.zeros(3, dtype=np.float32)
        if bad:
            a = object()
            raise ValueError
        """
    )
    assert env["a"].dtype == "float32"


def test_value_rebound_in_loop_is_not_trusted() -> None:
    env = values(
        """
        import numpy as np
        a = np.zeros(3)
        for i in range(3):
            before = a
            a = load(i)
        """
    )
    assert env["before"].dtype is None  # on the second iteration `a` is load()'s result
    assert env["a"].dtype is None


def test_cuda_device_idiom_is_maybe_cuda() -> None:
    env = values(
        """
        import torch
        d1 = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        d2 = torch.device("cuda")
        d3 = torch.device("cpu")
        t = torch.tensor([1.0]).to(d3)
        """
    )
    assert env["d1"].device is Device.MAYBE_CUDA
    assert env["d2"].device is Device.CUDA
    assert env["d3"].device is Device.CPU


def test_grad_facts() -> None:
    env = values(
        """
        import torch
        import torch.nn as nn
        model = nn.Linear(3, 1)
        x = torch.randn(2, 3)
        out = model(x)
        det = out.detach()
        idx = out.argmax(1)
        w = model.weight
        with torch.no_grad():
            quiet = model(x)
        relu = nn.ReLU()(x)
        print(out.numpy(), det.numpy(), idx.numpy(), w.numpy(), quiet.numpy(), relu.numpy())
        """
    )
    assert env["out"].requires_grad is Tri.YES
    assert env["det"].requires_grad is Tri.NO
    assert env["idx"].requires_grad is Tri.NO
    assert env["w"].requires_grad is Tri.YES and env["w"].grad_leaf
    assert env["quiet"].requires_grad is Tri.NO
    assert env["relu"].requires_grad is Tri.NO


def test_negative_strides() -> None:
    env = values(
        """
        import numpy as np
        img = np.zeros((4, 4, 3), dtype=np.uint8)
        rgb = img[..., ::-1]
        fixed = rgb.copy()
        contiguous = np.ascontiguousarray(rgb)
        flipped = np.flip(img, 0)
        turned = np.rot90(img, k=4)
        stepped = img[::2]
        doubled = rgb * 2
        """
    )
    assert env["rgb"].negative_strides is Tri.YES
    assert env["flipped"].negative_strides is Tri.YES
    for name in ("fixed", "contiguous", "doubled"):
        assert env[name].negative_strides is Tri.NO, name
    assert env["turned"].negative_strides is not Tri.YES
    assert env["stepped"].negative_strides is not Tri.YES


def test_helper_return_and_self_attributes(codes) -> None:
    source = textwrap.dedent(
        """
        import numpy as np
        import torch
        from torch import nn

        def make_batch():
            return np.random.rand(8, 3)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 1)
                self.bias_init = np.zeros(1)

            def forward(self, x):
                return self.fc(x)

        net = Net()
        pred = net(torch.from_numpy(make_batch()))
        """
    )
    assert codes(source) == ["NTL101"]


def test_attribute_rebound_outside_init_is_not_trusted(codes) -> None:
    source = textwrap.dedent(
        """
        import numpy as np
        import torch
        from torch import nn

        class Holder:
            def __init__(self):
                self.data = np.random.rand(8, 3)
                self.model = nn.Linear(3, 1)

            def reset(self, data):
                self.data = data

            def step(self):
                return self.model(torch.from_numpy(self.data))
        """
    )
    assert codes(source) == []


def test_cuda_guards(codes) -> None:
    guarded = [
        "if torch.cuda.is_available():\n    x = x.cuda()\n",
        "x = x.cuda() if torch.cuda.is_available() else x\n",
        "if not torch.cuda.is_available():\n    raise SystemExit('needs a GPU')\nx = x.cuda()\n",
        "assert torch.cuda.is_available()\nx = x.cuda()\n",
        "if not torch.cuda.is_available():\n    sys.exit(1)\nx = x.cuda()\n",
        "if args.cuda:\n    x = x.cuda()\n",
        "if torch.cuda.device_count() > 0:\n    x = x.cuda()\n",
    ]
    for body in guarded:
        assert codes("import sys, torch\nx = torch.zeros(2)\n" + body) == [], body
    assert codes("import torch\nx = torch.zeros(2)\nif x.sum() > 0:\n    x = x.cuda()\n") == ["NTL301"]


def test_helper_only_called_under_no_grad(codes) -> None:
    source = textwrap.dedent(
        """
        import torch
        from torch import nn
        model = nn.Linear(3, 1)

        def to_numpy(x):
            return model(x).numpy()

        def evaluate(x):
            with torch.no_grad():
                return to_numpy(x)
        """
    )
    assert codes(source) == []
    assert codes(source + "\nto_numpy(torch.zeros(1, 3))\n") == ["NTL201"]


def test_files_without_torch_or_numpy_are_skipped(lint, monkeypatch) -> None:
    # Skipped means never analysed: a file that does not even parse is not an error
    # when it never mentions torch or NumPy...
    from np_torch_lint import lint as runner
    from np_torch_lint.engine import AnalysisError

    assert lint("def broken(:\n") == []
    # ...while the same file that mentions torch is analysed, and cannot be parsed.
    with pytest.raises(AnalysisError):
        lint("import torch\ndef broken(:\n")
    walked: List[str] = []
    real = runner.interpret
    monkeypatch.setattr(runner, "interpret", lambda text, *a, **k: walked.append(text) or real(text, *a, **k))
    assert lint("x = 1\n") == [] and walked == []
    lint("import numpy as np\nx = np.zeros(3)\n")
    assert len(walked) == 1


def test_prefilter_seeds_derive_from_the_tables():
    """A statement calling any conversion, loader, default setter or grad switch of the tables
    is interpreted (not opaque): a row added to api.py seeds the planner without a second list."""
    import re

    from np_torch_lint.engine import api, source

    seed = re.compile(source.SEED_PATTERN)
    calls = [f"{q.rsplit('.', 1)[-1]}(x)" for q in (*api.CONVERSIONS, *api.LOADERS, *api.DEFAULT_DTYPE_SETTERS,
                                                     *api.DEFAULT_DEVICE_SETTERS, *api.GRAD_SET_CONTEXTS)]
    calls += [f"t.{m}()" for m in api.TO_NUMPY_METHODS] + [f"class D({q.rsplit('.', 1)[-1]}): pass" for q in api.DATASET_BASES]
    calls += [f"trainer.{m}(x)" for m in api.SAVE_METHODS] + [f"{w}_checkpoint(m)" for w in api.SAVE_CALLEE_WORDS]
    assert [c for c in calls if not seed.search(c)] == []
    # Sharing conversions seed even passed uncalled; an unrelated statement does not seed.
    assert seed.search("batch = list(map(torch.from_numpy, arrays))")
    assert not seed.search("total = count + offset")
    # The planner's word-set prefilter is a necessary condition of the pattern: it never
    # turns away a statement the pattern would seed (every row above, and a save inside a name).
    calls += ["batch = list(map(torch.from_numpy, arrays))", "model.to('cuda:1')", "mysave_all(model)",
              "total = count + offset", "x.numpy_like()", "plot_numpy(x)"]
    for call in calls:
        words = frozenset(source.WORD_RUN.findall(call))
        assert source._seeded(call, words, {}) == (seed.search(call) is not None), call


def test_a_none_test_reads_a_global_as_the_function_sees_it():
    """`if generator is None: raise` where a function rebinds `generator` with `global`: the
    module's `None` is not what the reader sees, so the rest of the function is walked."""
    from np_torch_lint.lint import analyze

    src = textwrap.dedent("""
        import numpy as np
        import torch

        generator = None


        def load():
            global generator
            generator = torch.nn.Linear(2, 2)


        def infer(mel):
            if generator is None:
                raise RuntimeError("load first")
            return torch.FloatTensor(mel)


        infer(np.zeros((2, 2)))
    """)
    assert [(f.line, f.code) for f in analyze(src)] == [(16, "NTL503")]


def test_a_parameter_left_to_none_walks_only_the_branch_that_runs():
    from np_torch_lint.lint import analyze

    src = textwrap.dedent("""
        import torch
        import torch.nn as nn


        def build(device=None):
            if device is None:
                device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            return nn.Linear(3, 1).to(device)


        with torch.no_grad():
            a = build()(torch.randn(2, 3)).numpy()
            b = build("cpu")(torch.randn(2, 3)).numpy()
    """)
    assert [(f.line, f.code) for f in analyze(src)] == [(13, "NTL202")]


def test_the_seed_check_searches_only_the_alternatives_a_text_can_match() -> None:
    # source._seeded searches the alternatives of SEED_PATTERN whose word or substring the text
    # holds: it must agree with the whole pattern, on texts that hit each alternative and near misses.
    import re

    from np_torch_lint.engine import source

    whole = re.compile(source.SEED_PATTERN)
    texts = ["x.cuda()", "torch.from_numpy(a)", "map(torch.from_numpy, xs)", "t.numpy()", "t.numpy", "xnumpy()",
             "save_checkpoint(m)", "torch.load(p)", "_load(p)", "loader(p)", "m.state_dict()", "state_dict()",
             "torch.set_default_dtype(torch.float64)", "plt.plot(t)", "y = 1", "class D(Dataset):", "cudaX = 1",
             "f.create_dataset(data=t)", "np.asarray(t)", "torch.as_tensor(a)", "é.numpy()", "a.save(p)"]
    texts += [f"def f(x):\n    {t}\n    return x\n" for t in texts]
    for text in texts:
        words = frozenset(source.WORD_RUN.findall(text))
        assert source._seeded(text, words, {}) is (whole.search(text) is not None), text
