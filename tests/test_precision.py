"""Look-alikes found while writing the docs and reviewing real code: each must stay silent,
and each near-miss that really fails must still be found."""
from __future__ import annotations

import textwrap

import pytest

HEADER = "import numpy as np\nimport torch\nimport torch.nn as nn\nimport sys\n"

SILENT = {
    "module-built-float64": """
        model = nn.Linear(3, 1, dtype=torch.float64)
        out = model(torch.from_numpy(np.random.rand(8, 3)))
    """,
    "module-moved-to-unknown-dtype": """
        def run(dtype):
            model = nn.Linear(3, 1).to(dtype)
            return model(torch.from_numpy(np.random.rand(8, 3)))
    """,
    "module-doubles-itself": """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 1)
                self.double()
            def forward(self, x):
                return self.fc(x)
        out = Net()(torch.from_numpy(np.random.rand(8, 3)))
    """,
    "module-frozen": """
        model = nn.Linear(3, 1)
        model.requires_grad_(False)
        print(model(torch.randn(4, 3)).numpy())
    """,
    "parameters-frozen-in-loop": """
        model = nn.Linear(3, 1)
        for p in model.parameters():
            p.requires_grad = False
        print(model(torch.randn(4, 3)).numpy())
    """,
    "no-grad-context-object": """
        model = nn.Linear(3, 1)
        ctx = torch.no_grad()
        with ctx:
            print(model(torch.randn(4, 3)).numpy())
    """,
    "module-level-assert-covers-functions": """
        assert torch.cuda.is_available()
        def build():
            return nn.Linear(3, 1).cuda()
    """,
    "guard-in-every-caller": """
        def train():
            return nn.Linear(3, 1).cuda()
        if torch.cuda.is_available():
            train()
    """,
    "try-except-around-cuda": """
        model = nn.Linear(3, 1)
        try:
            model = model.cuda()
        except (AssertionError, RuntimeError):
            pass
    """,
    "negated-no-cuda-flag": """
        def main(args):
            model = nn.Linear(3, 1)
            if not args.no_cuda:
                model.cuda()
    """,
    "skipif-decorated-test": """
        import unittest
        class T(unittest.TestCase):
            @unittest.skipIf(not torch.cuda.is_available(), "needs CUDA")
            def test_gpu(self):
                x = torch.zeros(2).cuda()
    """,
    "device-not-cpu-check": """
        def step(state, device):
            if device not in ["cpu"]:
                state = state.cuda(device)
            return state
    """,
    "placement-method-implementation": """
        class Mixin(nn.Module):
            def cuda(self, device=None):
                return super().cuda(device=device)
    """,
    "load-after-save-same-function": """
        def test_roundtrip(tmp_path):
            model = nn.Linear(3, 1).to("cuda" if torch.cuda.is_available() else "cpu")
            torch.save(model.state_dict(), tmp_path / "m.pt")
            state = torch.load(tmp_path / "m.pt")
    """,
    "load-in-memory-bytes": """
        import io
        def receive(payload):
            device = "cuda" if torch.cuda.is_available() else "cpu"
            return torch.load(io.BytesIO(payload))
    """,
    "load-in-file-without-cuda": """
        def restore(path):
            return torch.load(path)
    """,
    "torch-tensor-of-reversed-list": """
        def f(values):
            return torch.tensor(values[::-1])
    """,
}

FOUND = {
    "cuda-reached-by-one-unguarded-caller": ("""
        def train():
            return nn.Linear(3, 1).cuda()
        if torch.cuda.is_available():
            train()
        train()
    """, ["NTL301"]),
    "bgr-flip-of-unknown-image": ("""
        def load(img):
            return torch.from_numpy(img[:, :, ::-1])
    """, ["NTL403"]),
    "float64-through-to-device": ("""
        def step(model_device):
            model = nn.Linear(3, 1)
            x = torch.from_numpy(np.random.rand(8, 3)).to(model_device)
            return model(x)
    """, ["NTL101"]),
    "load-in-gpu-training-script": ("""
        device = "cuda" if torch.cuda.is_available() else "cpu"
        model = nn.Linear(3, 1).to(device)
        model.load_state_dict(torch.load("model.pt"))
    """, ["NTL302"]),
    "cuda-flag-without-negation": ("""
        def main(args):
            model = nn.Linear(3, 1)
            if args.epochs:
                model.cuda()
    """, ["NTL301"]),
}


@pytest.mark.parametrize("name", sorted(SILENT))
def test_look_alike_is_silent(name: str, codes) -> None:
    assert codes(HEADER + textwrap.dedent(SILENT[name])) == []


@pytest.mark.parametrize("name", sorted(FOUND))
def test_real_failure_is_found(name: str, codes) -> None:
    source, expected = FOUND[name]
    assert codes(HEADER + textwrap.dedent(source)) == expected


# Each silence above must come from the line that makes the code legitimate: removing that
# line (or weakening it) brings the finding back.
MUTATIONS = {
    "module-built-float64": ("dtype=torch.float64", "", "NTL101"),
    "module-doubles-itself": ("self.double()", "pass", "NTL101"),
    "module-frozen": ("model.requires_grad_(False)", "pass", "NTL201"),
    "parameters-frozen-in-loop": ("p.requires_grad = False", "pass", "NTL201"),
    "no-grad-context-object": ("ctx = torch.no_grad()", "ctx = open('x')", "NTL201"),
    "module-level-assert-covers-functions": ("assert torch.cuda.is_available()", "pass", "NTL301"),
    "guard-in-every-caller": ("if torch.cuda.is_available():", "if True:", "NTL301"),
    "try-except-around-cuda": ("except (AssertionError, RuntimeError):", "except KeyError:", "NTL301"),
    "negated-no-cuda-flag": ("not args.no_cuda", "args.epochs", "NTL301"),
}


@pytest.mark.parametrize("cast", ["double()", "half()", "bfloat16()", "to(torch.float64)", "type(torch.float64)"])
def test_a_module_that_casts_itself_is_not_known_to_be_float32(cast: str, codes) -> None:
    # MODULE_SELF_CASTS: after self.<cast> in the class, the module's dtype is not the float32 it was built with.
    source = textwrap.dedent(SILENT["module-doubles-itself"]).replace("self.double()", f"self.{cast}")
    assert codes(HEADER + source) == []


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_silence_has_the_right_cause(name: str, codes) -> None:
    old, new, code = MUTATIONS[name]
    source = textwrap.dedent(SILENT[name])
    assert old in source
    assert codes(HEADER + source.replace(old, new)) == [code]
