"""NTL202 reach: callables joined over paths (a CUDA or CPU tensor type chosen by a flag, a module of
one class or another) are called as each one, and torch functions that make their result where
their tensor argument is keep its device."""
from __future__ import annotations

import textwrap
from typing import List

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import Device, Kind
from np_torch_lint.lint import analyze

HEADER = "import numpy as np\nimport torch\nimport torch.nn as nn\n"


def values(source: str):
    return module_values(HEADER + textwrap.dedent(source))


def codes(source: str) -> List[str]:
    return [f"{r.line}:{r.code}" for r in analyze(HEADER + textwrap.dedent(source))]


# --- a tensor type chosen by a flag --------------------------------------------------------

def test_tensor_type_chosen_by_flag_makes_maybe_cuda_tensors():
    env = values("""
        use_gpu = torch.cuda.is_available()
        T = torch.cuda.DoubleTensor if use_gpu else torch.DoubleTensor
        x = T(np.zeros(3))
        y = T(np.zeros(3)).unsqueeze(0)
    """)
    assert env["T"].kind is Kind.API and env["T"].qualname is None
    assert env["T"].choices == ("torch.cuda.DoubleTensor", "torch.DoubleTensor")
    assert env["x"].kind is Kind.TENSOR and env["x"].device is Device.MAYBE_CUDA and env["x"].dtype == "float64"
    assert env["y"].device is Device.MAYBE_CUDA


def test_tensor_type_chosen_in_if_else_statements():
    env = values("""
        if flag:
            T = torch.cuda.LongTensor
        else:
            T = torch.LongTensor
        idx = T(np.array([1, 2]))
    """)
    assert env["idx"].device is Device.MAYBE_CUDA and env["idx"].dtype == "int64"


def test_two_cpu_tensor_types_make_cpu_tensors():
    env = values("""
        T = torch.DoubleTensor if wide else torch.FloatTensor
        x = T(np.zeros(3))
    """)
    assert env["x"].kind is Kind.TENSOR and env["x"].device is Device.CPU and env["x"].dtype is None


def test_numpy_of_a_flag_chosen_tensor_type_is_reported_once():
    found = codes("""
        use_gpu = torch.cuda.is_available()
        FloatT = torch.cuda.FloatTensor if use_gpu else torch.FloatTensor
        batch = FloatT(np.zeros((2, 3), dtype=np.float32))
        print(batch.numpy())
    """)
    # NTL202 only: the CPU type's memory sharing (NTL503) and the CUDA type's placement (NTL301)
    # hold on one choice's paths only.
    assert found == ["8:NTL202"]  # (the dedented text starts with an empty line)


def test_flag_chosen_tensor_type_moved_back_or_converted_right_is_silent():
    found = codes("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("--gpu", action="store_true")
        use_gpu = p.parse_args().gpu
        FloatT = torch.cuda.FloatTensor if use_gpu else torch.FloatTensor
        a = FloatT(np.zeros(3, dtype=np.float32))
        print(a.cpu().numpy())
        b = FloatT(np.zeros(3, dtype=np.float32))
        if use_gpu:
            b = b.cpu()
        print(b.numpy())
        if not use_gpu:
            print(FloatT(np.zeros(3, dtype=np.float32)).numpy())
    """)
    assert found == []


def test_a_choice_of_an_unknown_callable_stays_unknown():
    env = values("""
        make = torch.cuda.FloatTensor if use_gpu else build_tensor
        x = make(np.zeros(3))
    """)
    assert env["make"].choices is None
    assert env["x"].kind is None


def test_events_every_choice_raises_alike_stand():
    found = codes("""
        T = torch.DoubleTensor if wide else torch.DoubleTensor
        x = T(np.zeros(3))
        T2 = torch.cuda.FloatTensor if use_gpu else torch.FloatTensor
        t = torch.zeros(3, device="cuda" if torch.cuda.is_available() else "cpu")
        y = T2(t.numpy())
    """)
    # a single type is no choice: its conversion is reported as ever (NTL503); the argument's
    # .numpy() of a maybe-CUDA tensor is evaluated for each choice and reported (once).
    assert found == ["6:NTL503", "9:NTL202"]


# --- a module of one class or another ------------------------------------------------------

CLASSES = """
class Sampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.logits = nn.Linear(3, 2)

    def act(self, s):
        return torch.multinomial(torch.softmax(self.logits(s), -1), 1)

    def forward(self, s):
        return self.logits(s)


class Mean(nn.Module):
    def __init__(self):
        super().__init__()
        self.mean = nn.Linear(3, 2)

    def act(self, s):
        return self.mean(s).detach()

    def forward(self, s):
        return self.mean(s)
"""


def test_method_of_a_module_joined_over_classes_runs_each_class():
    env = values(CLASSES + """
policy = Sampler() if discrete else Mean()
if torch.cuda.is_available():
    policy = policy.cuda()
a = policy.act(torch.randn(1, 3))
out = policy(torch.randn(1, 3))
""")
    assert env["policy"].choices is not None and len(env["policy"].choices) == 2
    assert env["a"].kind is Kind.TENSOR and env["a"].device is Device.MAYBE_CUDA
    assert env["out"].kind is Kind.TENSOR and env["out"].device is Device.MAYBE_CUDA


def test_joined_classes_report_numpy_of_the_output():
    found = codes(CLASSES + """
policy = Sampler() if discrete else Mean()
if torch.cuda.is_available():
    policy = policy.cuda()
a = policy.act(torch.randn(1, 3))[0].numpy()
""")
    assert found == [f"{HEADER.count(chr(10)) + CLASSES.count(chr(10)) + 5}:NTL202"]


def test_joined_classes_where_one_returns_cpu_and_one_unknown_stay_silent():
    found = codes("""
        class OnHost(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)

            def act(self, s):
                return self.fc(s).detach().cpu()


        class Opaque(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)

            def act(self, s):
                return postprocess(self.fc(s))


        net = OnHost() if discrete else Opaque()
        net = net.to("cuda" if torch.cuda.is_available() else "cpu")
        a = net.act(torch.randn(1, 3))[0].numpy()
        b = (OnHost() if discrete else OnHost()).cuda().act(torch.randn(1, 3)).numpy()
    """)
    assert [code for code in found if code.endswith("NTL202")] == []


def test_instances_of_plain_classes_joined_run_each_method():
    env = values("""
        class Left:
            def get(self):
                return torch.zeros(2).cuda()

        class Right:
            def get(self):
                return torch.ones(2)

        helper = Left() if flag else Right()
        x = helper.get()
    """)
    assert env["x"].kind is Kind.TENSOR and env["x"].device is Device.MAYBE_CUDA


# --- factories and index functions on their argument's device ------------------------------

def test_like_factories_and_normal_are_made_on_their_argument_device():
    env = values("""
        x = torch.randn(3).cuda()
        z = torch.zeros_like(x)
        n = torch.normal(x, torch.ones(3).cuda())
        host = torch.normal(0.0, 1.0, size=(3,))
        placed = torch.zeros_like(x, device="cpu")
        print(host.numpy(), placed.numpy())  # a sink: the planner walks what flows into one
    """)
    assert env["z"].device is Device.CUDA
    assert env["n"].device is Device.CUDA
    assert env["host"].device is Device.CPU
    assert env["placed"].device is Device.CPU


def test_index_functions_keep_their_input_device():
    env = values("""
        p = torch.softmax(torch.randn(2, 3).cuda(), -1)
        picked = torch.multinomial(p, 1)
        best = torch.argmax(p, dim=1)
        host = torch.argmax(torch.randn(2, 3), dim=1)
        print(host.numpy())
    """)
    assert env["picked"].device is Device.CUDA and env["picked"].dtype == "int64"
    assert env["best"].device is Device.CUDA
    assert env["host"].device is Device.CPU


# --- wrapped and compiled modules ------------------------------------------------------------

def test_wrapped_module_attribute_and_compiled_module_are_the_module():
    env = values("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)

            def forward(self, x):
                return self.fc(x)

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        wrapped = nn.DataParallel(Net()).to(device)
        inner = wrapped.module
        weight = wrapped.module.fc.weight
        compiled = torch.compile(Net().to(device))
        out = compiled(torch.randn(4, 3, device=device))
        plain = nn.Linear(2, 2).module if False else None
        _sink = (inner, weight, out).numpy()
    """)
    assert env["inner"].kind is Kind.MODULE and env["inner"].qualname == "Net"
    assert env["inner"].device is Device.MAYBE_CUDA
    assert env["weight"].kind is Kind.TENSOR and env["weight"].device is Device.MAYBE_CUDA
    assert env["out"].kind is Kind.TENSOR and env["out"].device is Device.MAYBE_CUDA


def test_numpy_of_a_compiled_models_output_is_reported_and_cpu_is_silent():
    assert codes("""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        net = torch.compile(nn.Linear(3, 2).to(device))
        with torch.no_grad():
            a = net(torch.randn(4, 3, device=device)).numpy()
            b = net(torch.randn(4, 3, device=device)).cpu().numpy()
    """) == ["8:NTL202"]


# --- models loaded onto a device -------------------------------------------------------------

def test_models_loaded_onto_a_device_compute_there():
    assert codes("""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        whole = torch.load("model.pt", map_location=device, weights_only=False)
        whole.eval()
        scripted = torch.jit.load("model.ts", map_location=device)
        with torch.no_grad():
            a = whole(torch.randn(1, 3).to(device)).numpy()
            b = scripted(torch.randn(1, 3).to(device)).numpy()
            c = scripted(torch.randn(1, 3).to(device)).cpu().numpy()
        on_cpu = torch.jit.load("model.ts", map_location="cpu")
        d = on_cpu(torch.randn(1, 3)).detach().numpy()
        saved_as = torch.jit.load("model.ts")
        e = saved_as(torch.randn(1, 3)).detach().numpy()
    """) == ["10:NTL202", "11:NTL202"]


def test_a_scripted_module_is_a_module_on_its_map_location():
    env = values("""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        scripted = torch.jit.load("model.ts", map_location=device)
        plain = torch.jit.load("model.ts")
        _sink = (scripted, plain).numpy()
    """)
    assert env["scripted"].kind is Kind.MODULE and env["scripted"].device is Device.MAYBE_CUDA
    assert env["plain"].kind is Kind.MODULE and env["plain"].device is None


# --- devices read from a tensor or a module's parameters ------------------------------------

def test_devices_read_from_tensors_and_parameters():
    env = values("""
        net = nn.Linear(3, 2)
        if torch.cuda.is_available():
            net = net.cuda()
        dev = next(net.parameters()).device
        x = torch.randn(4, 3).to(dev)
        ref = torch.randn(2).cuda() if torch.cuda.is_available() else torch.randn(2)
        y = torch.zeros(2).to(ref.device)
        z = torch.zeros(2, device=ref.device)
        w = torch.zeros(2, dtype=torch.float64).type_as(ref)
        c = torch.zeros(2).to(torch.zeros(3).device)
        _sink = (dev, x, y, z, w, c).numpy()
    """)
    assert env["dev"].kind is Kind.DEVICE and env["dev"].device is Device.MAYBE_CUDA
    for name in "xyzw":
        assert env[name].kind is Kind.TENSOR and env[name].device is Device.MAYBE_CUDA, name
    assert env["w"].dtype == "float32"
    assert env["c"].device is Device.CPU


def test_placing_onto_a_tensors_device_is_not_a_second_unguarded_placement():
    assert codes("""
        ref = torch.randn(2).cuda()
        y = torch.zeros(2).to(ref.device)
        z = torch.zeros(2, device=ref.device)
        print(y.cpu().numpy(), z.numpy())
    """) == ["5:NTL301", "8:NTL202"]


def test_a_property_is_read_by_running_its_getter():
    env = values("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)

            @property
            def device(self):
                return next(self.parameters()).device

            def forward(self, x):
                return self.fc(x)

        net = Net()
        if torch.cuda.is_available():
            net.cuda()
        dev = net.device
        x = torch.zeros(2, 3).to(net.device)
        _sink = (dev, x).numpy()
    """)
    assert env["dev"].kind is Kind.DEVICE and env["dev"].device is Device.MAYBE_CUDA
    assert env["x"].device is Device.MAYBE_CUDA
