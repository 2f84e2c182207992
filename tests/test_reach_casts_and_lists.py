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
