"""A cast module's own methods are walked where and as it is; lists grown with `+=` keep their items."""
from __future__ import annotations

import textwrap

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import Device, Kind

HEADER = ("import numpy as np\nimport torch\nimport torch.nn as nn\nfrom elsewhere import unread\n"
          "batch = unread()\n")


def values(source: str):
    return module_values(HEADER + textwrap.dedent(source))


def test_a_method_of_a_half_module_is_walked_on_its_device():
    env = values("""
        class Stepper(nn.Module):
            def __init__(self):
                super().__init__()
                self.out = nn.Linear(4, 2)
            def step(self, x):
                return self.out(x)
        half = Stepper().cuda().half()
        built = Stepper().cuda()
        y = half.step(batch)
        z = built.step(batch)
        _sink = (y, z).numpy()
    """)
    assert env["y"].device is Device.CUDA and env["y"].dtype == "float16"
    assert env["z"].device is Device.CUDA


def test_a_list_grown_with_plus_equals_keeps_its_items():
    env = values("""
        lin = nn.Linear(4, 4).cuda()
        outs = []
        while len(outs) < 3:
            outs += [lin(batch)]
        pair = [torch.zeros(1)] + [lin(batch)]
        stacked = torch.stack(outs)
        first, second = pair
        _sink = (stacked, first, second).numpy()
    """)
    assert env["outs"].kind is Kind.SEQUENCE and env["outs"].element.device is Device.CUDA
    assert env["stacked"].device is Device.CUDA
    assert env["first"].device is Device.CPU and env["second"].device is Device.CUDA


def test_a_helper_that_moves_its_arguments_leaves_their_device_unknown():
    from np_torch_lint.lint import analyze

    source = textwrap.dedent("""
        import torch
        import torch.nn as nn

        def to_device(device, *args):
            return [x.to(device) for x in args]

        class Agent:
            def __init__(self, policy):
                self.policy = policy
            def collect(self, batch):
                to_device(torch.device("cpu"), self.policy)
                with torch.no_grad():
                    return self.policy(batch).numpy()
            def collect_on_device(self, batch):
                with torch.no_grad():
                    return self.policy(batch).numpy()

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        net = nn.Linear(4, 2).to(device)
        agent = Agent(net)
        agent.collect(torch.zeros(1, 4))
        agent.collect_on_device(torch.zeros(1, 4))
        to_device(torch.device("cpu"), net)
        with torch.no_grad():
            print(net(torch.zeros(1, 4)).numpy())
    """)
    lines = sorted(finding.line for finding in analyze(source) if finding.code == "NTL202")
    # only the method that never moves the policy back; after the helper, where it is is unknown
    assert lines == [17]


def test_a_list_of_layers_only_grown_holds_a_layer_with_parameters():
    def parametric(extra: str):
        env = values(f"""
            layers = [nn.Tanh()]
            for width in (4, 8):
                layers += [nn.Linear(width, width), nn.ReLU()]
            layers.append(nn.Dropout(0.1))
            {extra}
            body = nn.Sequential(*layers)
            _sink = body(batch).numpy()
        """)
        return env["body"].parametric

    from np_torch_lint.engine.values import Tri
    assert parametric("") is Tri.YES
    for removing in ("layers.clear()", "layers.pop()", "layers.remove(layers[1])"):
        assert parametric(removing) is not Tri.YES, removing
    only_free = values("""
        layers = []
        layers.append(nn.ReLU())
        layers.append(nn.Dropout(0.1))
        body = nn.Sequential(*layers)
        _sink = body(batch).numpy()
    """)
    assert only_free["body"].parametric is not Tri.YES
