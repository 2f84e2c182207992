"""Issue 13 reach (NTL201 / NTL501 misses): arrays read by np.load, modules built fresh or unpickled."""
from __future__ import annotations

import textwrap
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
    assert env["other"].kind is None  # not an unpickler: anything


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
