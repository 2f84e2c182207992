"""Instances carry what their construction stored: ``Agent(device)`` walks ``__init__`` with the arguments."""
from __future__ import annotations

import textwrap
from typing import List, Tuple

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import Device, Kind
from np_torch_lint.lint import analyze

HEADER = "import numpy as np\nimport torch\nimport torch.nn as nn\n"
AGENT = """
    class Agent:
        def __init__(self, device, width=4):
            self.device = device
            self.net = nn.Linear(width, 2).to(device)
            self.history = []

        def reset(self):
            self.history = []
"""


def values(source: str):
    return module_values(HEADER + textwrap.dedent(AGENT) + textwrap.dedent(source))


def codes(source: str) -> List[Tuple[int, str]]:
    text = HEADER + textwrap.dedent(AGENT) + textwrap.dedent(source)
    return [(r.line, r.code) for r in analyze(text, filename="agents.py")]


def test_each_construction_keeps_its_own_arguments_facts():
    env = values("""
        gpu = Agent(torch.device("cuda"))
        cpu = Agent(torch.device("cpu"))
        a = gpu.net
        b = cpu.net
        c = gpu.device
        seen = [t.numpy() for t in (a, b, c)]
    """)
    assert env["a"].kind is Kind.MODULE and env["a"].device is Device.CUDA
    assert env["b"].kind is Kind.MODULE and env["b"].device is Device.CPU
    assert env["c"].kind is Kind.DEVICE and env["c"].device is Device.CUDA


def test_an_attribute_another_method_stores_is_the_classs_join():
    env = values("""
        agent = Agent(torch.device("cuda"))
        h = agent.history
        seen = h.numpy()
    """)
    # `history` is reset()'s too: the join of both stores, reset() walked with this instance
    assert sorted(agent_attribute_names(env["agent"])) == ["device", "history", "net"]  # each once
    assert dict(env["agent"].attrs)["history"].kind is Kind.SEQUENCE


def test_an_attribute_another_method_stores_is_walked_with_the_instance():
    text = HEADER + textwrap.dedent("""
        class Runner:
            def __init__(self, net, device):
                self.net = net.to(device)
                self.device = device
                self.last = None

            def step(self, x):
                self.last = self.net(x.to(self.device))

            def forget(self):
                self.last = {forgotten}

        runner = Runner(nn.Linear(3, 2), torch.device("cuda"))
        last = runner.last
    """)
    env = module_values(text.format(forgotten="None"))
    assert env["last"].kind is Kind.TENSOR and env["last"].device is Device.CUDA
    # another method storing something else: the join of all the stores
    assert module_values(text.format(forgotten="torch.zeros(2)"))["last"].device is not Device.CUDA


def agent_attribute_names(value) -> tuple:
    return tuple(name for name, _ in value.attrs or ())


def test_a_join_of_two_constructions_keeps_what_both_agree_on():
    env = values("""
        agent = Agent(torch.device("cuda")) if flag else Agent(torch.device("cpu"))
        net = agent.net
        seen = net.weight.numpy()
    """)
    # attribute by attribute: on CUDA on one path, on the CPU on the other (maybe on CUDA, NTL202's premise)
    assert dict(env["agent"].attrs or ())["device"].device is Device.MAYBE_CUDA
    assert env["net"].device is not Device.CUDA


def test_methods_of_a_constructed_instance_see_its_attributes():
    found = codes("""
        def main():
            agent = Agent(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
            with torch.no_grad():
                out = agent.net(torch.randn(1, 4, device=agent.device))
            return out.numpy()
    """)
    assert [code for _, code in found] == ["NTL202"]


def test_an_unknown_argument_leaves_the_class_facts():
    assert codes("""
        def main(device):
            agent = Agent(device)
            with torch.no_grad():
                out = agent.net(torch.randn(1, 4))
            return out.numpy()
    """) == []


def test_a_bare_move_statement_moves_a_module_held_by_self():
    found = codes("""
        class Holder:
            def __init__(self):
                self.model = nn.Linear(4, 2)
                self.model.cuda()

            def run(self):
                with torch.no_grad():
                    return self.model(torch.randn(1, 4).cuda()).numpy()
    """)
    assert [code for _, code in found if code == "NTL202"] == ["NTL202"]


def test_a_bare_move_of_an_unknown_object_makes_it_a_module_there():
    env = values("""
        def build(model):
            model.to(torch.device("cuda"))
            out = model(torch.randn(1, 4, device="cuda"))
            return out.numpy()
        moved = model.to(torch.device("cuda"))
        seen = moved.numpy()
    """)
    assert env["moved"].kind is None  # assigned, not a statement: the result of .to() is what it is
    found = codes("""
        def build(model):
            model.to(torch.device("cuda"))
            out = model(torch.randn(1, 4, device="cuda"))
            return out.numpy()

        def tensor_moved_for_nothing(t):
            t.to(torch.device("cuda"))
            return t.numpy()
    """)
    text = (HEADER + textwrap.dedent(AGENT)).count("\n")
    # the module's output is on CUDA; the tensor moved for nothing (line 8) stays where it was
    assert [line - text for line, code in found if code == "NTL202"] == [5]


def test_max_topk_and_sort_give_values_and_int64_indices_where_the_input_is():
    env = values("""
        out = torch.randn(2, 3, device="cuda", requires_grad=True)
        pair = torch.max(out, 1)
        values_, indices = pair
        named = out.topk(2, dim=1).indices
        ordered = out.sort()[0]
        whole = out.max()
        elementwise = torch.max(out, out)
        first = torch.argmax(out, dim=1)
        seen = [t.numpy() for t in (values_, indices, named, ordered, whole, elementwise, first)]
    """)
    assert env["values_"].dtype == "float32" and env["values_"].device is Device.CUDA
    assert env["indices"].dtype == "int64" and env["indices"].device is Device.CUDA
    assert env["named"].dtype == "int64" and env["named"].device is Device.CUDA
    assert env["ordered"].dtype == "float32"
    assert env["whole"].kind is not Kind.SEQUENCE and env["elementwise"].kind is not Kind.SEQUENCE
    assert env["first"].device is Device.CUDA


def test_a_data_loader_over_a_dataset_of_the_file_yields_its_items_collated():
    env = values("""
        from torch.utils.data import DataLoader, Dataset

        class Pairs(Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                return np.zeros(3, dtype=np.float32), torch.tensor(np.int32(i)), 0.5, {"n": 1}

        for x, y, w, extra in DataLoader(Pairs(), batch_size=2):
            pass
        for unbatched in DataLoader(Pairs(), batch_size=None):
            pass
        seen = [t.numpy() for t in (x, y, w, extra, unbatched)]
    """)
    assert (env["x"].kind, env["x"].dtype) == (Kind.TENSOR, "float32")
    assert (env["y"].kind, env["y"].dtype) == (Kind.TENSOR, "int32") and env["y"].conversion is not None
    assert (env["w"].kind, env["w"].dtype) == (Kind.TENSOR, "float64")
    assert env["extra"].kind is Kind.DICT
    assert env["unbatched"].kind is None


BASE_AND_AGENT = """
    class Base:
        def __init__(self, seed):
            torch.manual_seed(seed)
            self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


    class Policy(Base):
        def __init__(self, seed):
            {call}
            self.net = nn.Linear(4, 2).to(self.device)

        def act(self, obs):
            with torch.no_grad():
                return self.net(obs.to(self.device)){tail}
"""


def _agent_codes(call: str, tail: str = ".numpy()") -> List[Tuple[int, str]]:
    text = HEADER + textwrap.dedent(BASE_AND_AGENT.format(call=call, tail=tail))
    return [(r.line, r.code) for r in analyze(text, filename="agents.py")]


def test_a_subclass_reads_what_the_base_init_stored_with_no_instance_built():
    # No Policy(...) anywhere: the methods are walked with a generic self, and after
    # super().__init__(seed) (seed unknown) self.device is what Base stores on self.
    assert _agent_codes("super().__init__(seed)") == [(18, "NTL202")]
    assert _agent_codes("Base.__init__(self, seed)") == [(18, "NTL202")]


def test_the_base_init_look_alikes_stay_silent():
    assert _agent_codes("super().__init__(seed)", tail=".cpu().numpy()") == []
    # a base __init__ called on another object stores nothing on self
    assert _agent_codes("Base.__init__(Base, seed)\n            self.device = torch.device('cpu')") == []


def test_a_base_class_in_another_module_sets_the_device(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "base.py").write_text(textwrap.dedent("""
        import torch


        class Base:
            def __init__(self, seed):
                torch.manual_seed(seed)
                self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    """))
    policy = BASE_AND_AGENT[BASE_AND_AGENT.index("    class Policy"):]
    agent = tmp_path / "agent.py"
    agent.write_text("import torch\nimport torch.nn as nn\nfrom base import Base\n\n"
                     + textwrap.dedent(policy.format(call="super().__init__(seed)", tail=".numpy()")))
    found = [(r.line, r.code) for r in analyze(agent.read_text(), filename=str(agent))]
    assert [code for _, code in found] == ["NTL202"]


def test_registered_buffers_and_parameters_are_attributes_moved_with_the_module():
    """ATTRIBUTE_REGISTRARS: register_buffer stores a buffer (moved with its module);
    register_parameter stores the parameter (a leaf that requires grad)."""
    env = module_values(textwrap.dedent("""
        import torch
        import torch.nn as nn

        class Scaler(nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("center", torch.zeros(3))
                self.register_parameter("gain", nn.Parameter(torch.ones(3)))
                self.plain = torch.zeros(3)

        scaler = Scaler().to(torch.device("cuda"))
        center, gain, plain = scaler.center, scaler.gain, scaler.plain
        seen = [t.numpy() for t in (center, gain, plain)]
    """))
    assert env["center"].kind is Kind.TENSOR and env["center"].device is Device.CUDA
    assert env["gain"].kind is Kind.TENSOR and env["gain"].device is Device.CUDA and env["gain"].grad_leaf
    assert env["plain"].device is not Device.CUDA


def test_named_tuple_records_read_by_field_and_position():
    """RECORD_TYPE_MAKERS: collections.namedtuple and typing.NamedTuple's call form."""
    env = module_values(textwrap.dedent("""
        import collections
        import typing
        import numpy as np

        Pair = collections.namedtuple("Pair", "first second")
        Typed = typing.NamedTuple("Typed", [("data", np.ndarray), ("step", int)])
        p = Pair(np.zeros(2, dtype=np.float32), second=np.zeros(2, dtype=np.int32))
        t = Typed(np.ones(2), 3)
        a, b, c, d = p.first, p.second, p[1], t.data
        seen = [x.numpy() for x in (a, b, c, d)]
    """))
    assert (env["a"].dtype, env["b"].dtype, env["c"].dtype, env["d"].dtype) == ("float32", "int32", "int32", "float64")


TABLE = """
    class Table:
        def __init__(self):
            self.raw = np.random.rand(8, 3).astype(np.float32)
            self.view = torch.from_numpy(self.raw)

        def report(self):
            return self.summary()

        def summary(self):
            return self.raw.mean()
"""


def table_codes(source: str) -> List[str]:
    text = HEADER + textwrap.dedent(TABLE) + textwrap.dedent(source)
    return [r.code for r in analyze(text, filename="table.py")]


def test_an_instance_keeps_the_share_between_its_attributes():
    """``self.view = torch.from_numpy(self.raw)``: a write through ``t.view`` changes ``t.raw``,
    read directly or by a method (through the methods it calls on self)."""
    assert table_codes("t = Table()\nt.view.sub_(1.0)\nprint(t.raw)\n") == ["NTL401"]
    assert table_codes("t = Table()\nt.view *= 2.0\nprint(t.report())\n") == ["NTL401"]
    assert table_codes("t = Table()\nv = t.view\nv.clamp_(0, 0.5)\nprint(t.summary())\n") == ["NTL401"]


def test_an_instance_share_look_alikes_stay_silent():
    """Metadata reads, a rebound attribute, a write with no later read, and a fill (the buffer a
    tensor view is kept for) draw nothing."""
    assert table_codes("t = Table()\nt.view.sub_(1.0)\nprint(t.raw.shape, t.view.sum())\n") == []
    assert table_codes("t = Table()\nt.raw = np.zeros(3)\nt.view.sub_(1.0)\nprint(t.raw)\n") == []
    assert table_codes("t = Table()\nt.view.sub_(1.0)\nprint(t.view)\n") == []
    assert table_codes("t = Table()\nt.view[0] = 1.0\nt.view.copy_(torch.ones(8, 3))\nprint(t.raw)\n") == []
    assert table_codes("t = Table()\nt.raw[0] = 1.0\nt.raw.fill(0.0)\nprint(t.view)\n") == []


def test_zip_pairs_one_element_of_each():
    """``zip(model.parameters(), anchors)``: each tuple holds a parameter and an anchor; an
    argument that is not a known sequence leaves its place unknown."""
    env = module_values(HEADER + textwrap.dedent("""
        net = nn.Linear(3, 2)
        anchors = [np.zeros(3, dtype=np.float32)]
        for p, a in zip(net.parameters(), anchors):
            pass
        for q, r in zip(net.parameters(), open("f.txt")):
            pass
        _sink = (p, a, q, r).numpy()
    """))
    assert env["p"].param_view and env["a"].kind is Kind.NDARRAY and env["a"].dtype == "float32"
    assert env["q"].param_view and env["r"].kind is None


def test_zip_of_a_spread_batch_gives_each_field():
    """``windows, labels = zip(*batch)``: the i-th tuple holds every item's i-th field, for a batch
    of known items and for a batch known only by its items' join (a collate_fn's list)."""
    env = module_values(HEADER + textwrap.dedent("""
        batch = [(np.zeros(3), 1), (np.ones(3), 2)]
        windows, labels = zip(*batch)
        def collate(items):
            arrays, ids = zip(*items)
            return np.stack(arrays)
        stacked = collate([(np.zeros(3), 1)])
        _sink = (windows, stacked).numpy()
    """))
    assert env["windows"].kind is Kind.SEQUENCE and env["windows"].element.dtype == "float64"
    assert env["stacked"].kind is Kind.NDARRAY and env["stacked"].dtype == "float64"
