"""A value on CUDA on one path, unknown on the other: it *may* be on CUDA (NTL202), nothing more."""
from __future__ import annotations

import textwrap

from np_torch_lint.engine import module_values
import ast

from np_torch_lint.engine.values import UNKNOWN, Device, Kind, Origin, Site, Tri, Value, join, on_cuda_on_one_path

HEADER = ("import numpy as np\nimport torch\nimport torch.nn as nn\nfrom elsewhere import unread, flag, args\n"
          "batch = unread()\n")


def values(source: str):
    return module_values(HEADER + textwrap.dedent(source))


def test_cuda_on_one_path_and_unknown_on_the_other_may_be_cuda():
    env = values("""
        net = nn.Linear(4, 2).cuda()
        out = net(torch.randn(1, 4).cuda())
        either = out if flag else unread(out)
        other = unread(out) if flag else out
    """)
    for name in ("either", "other"):
        value = env[name]
        assert value.device is Device.MAYBE_CUDA
        assert value.device_origin is not None and value.device_origin.elsewhere_unknown
        # nothing else survives but its kind: the unknown path need not require grad or be float32
        assert value.kind is Kind.TENSOR and value.dtype is None and value.requires_grad is Tri.UNKNOWN


def test_cpu_or_unknown_and_device_choices_stay_unknown():
    env = values("""
        cpu_side = torch.zeros(2) if flag else unread()
        choice = torch.device("cuda") if flag else args.device
        name = "cuda" if flag else args.device
    """)
    assert env["cpu_side"].device is None and env["cpu_side"].kind is None
    # a device choice is a choice (a guard for NTL301) only where both sides are known
    assert env["choice"].device is None and env["name"].device is None


def test_a_sequence_on_one_path_keeps_its_items_on_cuda():
    env = values("""
        pair = [batch.cuda(), torch.zeros(1)] if flag else unread()
        first, second = pair
        _sink = (first, second).numpy()  # module code that feeds no sink is not walked
    """)
    assert env["first"].device is Device.MAYBE_CUDA
    assert env["second"].device is None


def test_a_list_of_unknown_length_unpacks_into_its_element():
    env = values("""
        moved = [item.cuda() for item in batch]
        first, second = moved
        head, *rest = moved
    """)
    assert env["first"].device is Device.CUDA and env["second"].device is Device.CUDA
    assert env["head"].device is None  # a starred target: not unpacked item by item


def test_the_flag_that_moved_it_rules_the_path_out_without_claiming_the_cpu():
    env = values("""
        x = batch
        if flag:
            x = x.cuda()
        if not flag:
            off = x
        else:
            on = x
        _sink = (x, off, on).numpy()
    """)
    assert env["x"].device is Device.MAYBE_CUDA
    # where the flag is false, the moved path did not run, and the other one is unknown: not CPU
    assert env["off"].device is None
    assert env["on"].device is Device.MAYBE_CUDA


def test_join_function_directly():
    moved = Origin("moved by ", Site(ast.parse("x.cuda()").body[0]))
    cuda = Value(kind=Kind.TENSOR, device=Device.CUDA, dtype="float32", requires_grad=Tri.YES, device_origin=moved)
    joined = join(cuda, UNKNOWN)
    assert joined.device is Device.MAYBE_CUDA and joined.kind is Kind.TENSOR and joined.dtype is None
    # a module (or object of unknown kind) on CUDA keeps no kind: it is called as whatever it is
    assert join(cuda.with_(kind=None), UNKNOWN).kind is None
    assert join(UNKNOWN, cuda) == joined
    # the path that did not bind the name at all stays unknown: it may be unbound
    assert join(cuda, None).device is None
    assert on_cuda_on_one_path(Value(kind=Kind.TENSOR, device=Device.CPU), UNKNOWN) is None
    assert on_cuda_on_one_path(cuda, Value(kind=Kind.PY_INT)) is None
    # on CUDA only by a device a configuration names: one path of a join is not enough
    configured = cuda.with_(device=Device.MAYBE_CUDA, device_origin=Origin("device=", moved.site, configured=True))
    assert join(configured, UNKNOWN).device is None
    assert join(configured, configured.with_(device=None)).device is None


def test_a_configured_device_with_a_cpu_default_is_the_cpu():
    env = values("""
        class Meter:
            def __init__(self, device=torch.device("cpu")):
                self.device = torch.device(device)
            def total(self, hits):
                if hits is None:
                    return torch.zeros(1, device=self.device)
                return unread(hits)
        default = Meter().total(batch)
        chosen = Meter(torch.device("cuda")).total(batch)
        _sink = (default, chosen).numpy()
    """)
    assert env["default"].device is None  # the CPU path joined with an unknown one
    assert env["chosen"].device is Device.MAYBE_CUDA


SPLITTER = textwrap.dedent("""
    class Splitter(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = nn.Linear(4, 2)
        def forward(self, x):
            return self.heads(x)
        def to_dict(self, out):
            parts = {}
            for index, name in enumerate(("left", "right")):
                parts[name] = out[:, index]
            return parts
""")


def test_an_object_of_a_project_class_on_one_path_runs_its_methods_there():
    env = values(SPLITTER + textwrap.dedent("""
        splitter = Splitter() if flag else unread()
        splitter.to(torch.device("cuda"))
        out = splitter(torch.randn(3, 4).cuda())
        parts = splitter.to_dict(out)
        left = parts["left"]
        _sink = (out, left).numpy()
    """))
    splitter = env["splitter"]
    assert splitter.kind is Kind.MODULE and splitter.definition is None and len(splitter.choices) == 2
    # what the class's own methods give, joined with what the unknown path gives: maybe on CUDA
    assert env["out"].device is Device.MAYBE_CUDA and env["out"].requires_grad is Tri.UNKNOWN
    assert env["parts"].kind is Kind.DICT and env["left"].device is Device.MAYBE_CUDA


def test_an_object_of_a_project_class_on_one_path_on_the_cpu_stays_unknown():
    env = values(SPLITTER + textwrap.dedent("""
        splitter = Splitter() if flag else unread()
        out = splitter(torch.randn(3, 4))
        _sink = out.numpy()
    """))
    assert env["out"].device is None and env["out"].kind is None


def test_a_tensor_on_one_path_is_no_tensor_to_copy_construct():
    from np_torch_lint.lint import analyze

    source = HEADER + textwrap.dedent("""
        t = torch.zeros(2).cuda() if flag else unread()
        copy = torch.tensor(t)
        sure = torch.tensor(torch.zeros(2))
    """)
    codes = [(finding.line, finding.code) for finding in analyze(source)]
    # NTL502 needs a tensor on every path: the unknown one may be a list of floats
    assert (9, "NTL502") in codes and not any(line == 8 and code == "NTL502" for line, code in codes)
