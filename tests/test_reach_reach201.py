"""Issue 13 reach (NTL201 / NTL501 misses): arrays read by np.load, modules built fresh or unpickled."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import List, Tuple

import pytest

from np_torch_lint.engine import api, module_values, values as value_model
from np_torch_lint.engine.values import Kind, Tri
from np_torch_lint.lint import analyze

HEADER = "import numpy as np\nimport torch\nimport torch.nn as nn\n"


def values(source: str):
    return module_values(HEADER + textwrap.dedent(source))


def findings(source: str) -> List[Tuple[int, str]]:
    """(line in ``source``, code) of every finding."""
    reports = analyze(HEADER + textwrap.dedent(source))
    return sorted((report.line - HEADER.count("\n"), report.code) for report in reports)


def test_np_load_used_as_only_an_array_can_be_is_an_array():
    env = values("""
        cast = np.load(path).astype(np.float32)
        turned = np.load(path).T
        flat = np.load(path).reshape(-1)
        loaded = np.load(path)
        later = loaded.astype(np.float16)
    """)
    assert env["cast"].kind is Kind.NDARRAY and env["cast"].dtype == "float32"
    assert env["cast"].readonly is Tri.NO and env["cast"].negative_strides is Tri.NO
    assert env["turned"].kind is Kind.NDARRAY
    assert env["flat"].kind is Kind.NDARRAY
    assert env["loaded"].kind is None  # an ndarray or an .npz archive: not known until used
    assert env["later"].kind is Kind.NDARRAY and env["later"].dtype == "float16"


def test_np_load_that_may_give_anything_else_stays_unknown():
    env = values("""
        pickled = np.load(path, allow_pickle=True).astype(np.float32)
        mapped = np.load(path, "r")
        member = np.load(path)["feats"]
        keys = np.load(path).keys()
        other = reader.load(path).astype(np.float32)
    """)
    assert env["pickled"].kind is None  # a pickled object: could be a DataFrame, which has astype too
    assert env["mapped"].kind is Kind.NDARRAY and env["mapped"].readonly is Tri.YES  # the memory map's own row
    assert env["member"].kind is None and env["keys"].kind is None
    assert env["other"].kind is None


def test_a_list_of_loaded_arrays_given_to_torch_tensor_is_ntl501():
    assert findings("""
        feats = [np.load(p).astype(np.float32) for p in paths]
        batch = torch.tensor(feats)
        kept = [np.load(p) for p in paths]
        unsure = torch.tensor(kept)
    """) == [(3, "NTL501")]


CRITIC = """
class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)

    def forward(self, x):
        return self.fc(x)
"""


@pytest.mark.parametrize("load", ["pickle.load(fh)", "pickle.loads(blob)", "torch.load(path, weights_only=False)"])
def test_a_module_built_fresh_or_unpickled_is_that_module(load):
    env = values("import pickle\n" + CRITIC + f"""
if fresh:
    net = Critic()
else:
    net = {load}
out = net(torch.randn(2, 3))
sink = out.numpy()
""")
    assert env["net"].kind is Kind.MODULE
    assert env["net"].device is None and env["net"].dtype is None  # saved from where? not known
    assert env["out"].kind is Kind.TENSOR and env["out"].requires_grad is Tri.YES


def test_items_of_an_unpickled_tuple_join_with_built_modules():
    env = values("import pickle\n" + CRITIC + """
if fresh:
    net, stats = Critic(), np.zeros(3)
else:
    net, stats = pickle.load(fh)
""")
    assert env["net"].kind is Kind.MODULE
    assert env["stats"].kind is None  # only a module takes the other path's kind: an array may be a list


def test_unpickled_objects_alone_or_joined_with_other_values_stay_unknown():
    env = values("import pickle\n" + CRITIC + """
alone = pickle.load(fh)
out = alone(torch.randn(2, 3))
if fresh:
    weights = torch.zeros(3, requires_grad=True)
else:
    weights = pickle.load(fh)
if fresh:
    other = Critic()
else:
    other = factory.load(path)
""")
    assert env["alone"].kind is None and env["out"].kind is None
    assert env["weights"].kind is None
    # not an unpickler: anything; the project's class is kept only as one choice of a call,
    # beside an unknown one, and the object's own facts are those of a join with unknown
    other = env["other"]
    assert other.definition is None and other.choices is not None and len(other.choices) == 2
    assert other.device is None and other.requires_grad is Tri.UNKNOWN and other.attrs is None


def test_the_unpickled_marker_is_one_string():
    assert api.UNPICKLED == value_model.UNPICKLED


def test_flattened_weights_of_a_fresh_or_resumed_module_are_ntl201_unless_detached():
    assert findings("import pickle\n" + CRITIC + """
def flat(net):
    return torch.cat([p.view(-1) for p in net.parameters()])

if fresh:
    net = Critic()
else:
    net = pickle.load(fh)
a = flat(net).numpy()
b = flat(net).detach().numpy()
with torch.no_grad():
    c = net(torch.randn(2, 3)).numpy()
""") == [(18, "NTL201")]


def test_a_helper_returning_an_unpickled_object_keeps_its_annotation():
    env = values("""
        def restore(path) -> nn.Module:
            return torch.load(path, weights_only=False)

        def restore_plain(path):
            return torch.load(path, weights_only=False)

        model = restore("m.pt")
        plain = restore_plain("m.pt")
        sink = model(torch.zeros(1, 3)).numpy()
        other = plain(torch.zeros(1, 3)).numpy()
    """)
    assert env["model"].kind is Kind.MODULE
    assert env["plain"].kind is None


TRAINER = """
class Trainer:
    def __init__(self, model, scale):
        self.model = model
        self.scale = scale

    def scores(self, x):
        return self.model(x)
"""


def test_a_module_given_to_a_constructor_is_the_attribute_it_stores():
    env = values(CRITIC + TRAINER + """
trainer = Trainer(Critic(), 2.0)
held = trainer.model
out = trainer.scores(torch.randn(2, 3))
sink = out.numpy()
""")
    assert env["held"].kind is Kind.MODULE
    assert env["out"].kind is Kind.TENSOR and env["out"].requires_grad is Tri.YES


def test_constructor_attributes_written_elsewhere_or_rebound_stay_the_class_join():
    env = values(CRITIC + """
class Swaps:
    def __init__(self, model):
        self.model = model

    def swap(self, other):
        self.model = other

class Rebinds:
    def __init__(self, model):
        model = wrap(model)
        self.model = model

a = Swaps(Critic()).model
b = Rebinds(Critic()).model
sink = a(torch.zeros(1, 3)).numpy() + b(torch.zeros(1, 3)).numpy()
""")
    assert env["a"].kind is None and env["b"].kind is None


def test_a_constructor_attribute_placed_by_the_class_loses_its_device():
    env = values(CRITIC + """
class Mover:
    def __init__(self, model):
        self.model = model

    def start(self):
        self.model.cuda()

kept = Mover(Critic()).model
sink = kept(torch.zeros(1, 3)).numpy()
""")
    assert env["kept"].kind is Kind.MODULE and env["kept"].device is None


def test_base_init_stores_what_the_subclass_passes_and_inherited_methods_see_it():
    assert findings("""
        class Detector(nn.Module):
            def __init__(self, backbone, head):
                super().__init__()
                self.backbone = backbone
                self.head = head

            def forward(self, x):
                return self.head(self.backbone(x))

        class Small(Detector):
            def __init__(self):
                super().__init__(nn.Linear(4, 8), nn.Linear(8, 2))

        class Old(Detector):
            def __init__(self):
                Detector.__init__(self, nn.Linear(4, 8), nn.Linear(8, 2))

        a = Small().head(torch.zeros(1, 8)).numpy()
        b = Old()(torch.zeros(1, 4)).numpy()
        with torch.no_grad():
            c = Small()(torch.zeros(1, 4)).numpy()
    """) == [(19, "NTL201"), (20, "NTL201")]


def test_isinstance_branches_a_value_cannot_take_are_silent():
    assert findings("""
        net = nn.Linear(3, 2)

        def to_numpy(x):
            if isinstance(x, torch.Tensor):
                return x.cpu().numpy()
            return np.asarray(x)

        def loose(x):
            if isinstance(x, torch.FloatTensor):
                return x.detach().numpy()
            return np.asarray(x)

        def arrays_only(x):
            if isinstance(x, np.ndarray):
                return np.asarray(x)
            return None

        to_numpy(net(torch.zeros(1, 3)))
        loose(net(torch.zeros(1, 3)))
        arrays_only(net(torch.zeros(1, 3)))
    """) == [(6, "NTL201"), (12, "NTL201")]  # FloatTensor: a double tensor fails that test


def _write(root: Path, files: dict) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def _lint(path: Path) -> List[Tuple[int, str]]:
    return sorted((r.line, r.code) for r in analyze(path.read_text(), filename=str(path)))


def test_a_helper_called_from_a_class_of_another_caller_module_sees_the_module_it_was_built_with(tmp_path: Path):
    """tools/convert.py is linted; learner.py (which imports it) defines Learner(net); main.py
    (which imports both) builds Learner(nn.Linear(...)): the helper's call inside Learner is walked
    with the module main.py gave, and the caller main.py's imports reach as deep as the linted file's."""
    _write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'p'\n",
        "tools/__init__.py": "",
        "tools/convert.py": """
            import torch

            def as_array(data):
                return data.cpu().numpy()
        """,
        "learner.py": """
            import torch.nn as nn
            from tools import convert

            class Learner(nn.Module):
                def __init__(self, net):
                    super().__init__()
                    self.net = net

                def step(self, x):
                    return convert.as_array(self.net(x))
        """,
        "main.py": """
            import torch
            import torch.nn as nn
            from learner import Learner
            from tools import convert

            def main():
                Learner(nn.Linear(3, 2)).step(torch.zeros(1, 3))
                print(convert.as_array(torch.zeros(2)))
        """,
    })
    assert _lint(tmp_path / "tools" / "convert.py") == [(5, "NTL201")]
    (tmp_path / "main.py").write_text((tmp_path / "main.py").read_text().replace(
        "    Learner(", "    with torch.no_grad():\n        Learner("))
    assert _lint(tmp_path / "tools" / "convert.py") == []


def test_a_module_frozen_by_its_holder_gives_outputs_of_unknown_grad(tmp_path: Path):
    _write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'p'\n",
        "nets.py": """
            import torch.nn as nn

            class Encoder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(3, 2)

                def forward(self, x):
                    return self.fc(x)
        """,
        "probe.py": """
            class Probe:
                def __init__(self, encoder):
                    self.encoder = encoder

                def features(self, x):
                    return self.encoder(x).numpy()
        """,
        "main.py": """
            import torch
            from nets import Encoder
            from probe import Probe

            encoder = Encoder()
            encoder.requires_grad_(False)
            Probe(encoder).features(torch.zeros(4, 3))
        """,
    })
    assert _lint(tmp_path / "probe.py") == []
    main = tmp_path / "main.py"
    main.write_text(main.read_text().replace("encoder.requires_grad_(False)\n", ""))
    assert _lint(tmp_path / "probe.py") == [(7, "NTL201")]
