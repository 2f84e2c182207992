"""NTL401 beside a buffer: a whole-array clear of an attribute (``self.obs.fill(0.0)``) while a tensor
of the same function views it counts; a refill with values (``self.obs[:] = observation``), the
purpose of a buffer kept beside its view, does not. (Kept here rather than as a fixture: the trace
reports the refill, which is intended, so a negative fixture of it would draw a runtime finding.)"""
from __future__ import annotations

import textwrap
from typing import List, Tuple

import pytest

from np_torch_lint.lint import analyze

AGENT = """
import numpy as np
import torch


class Agent:
    def __init__(self, width):
        self.obs = np.zeros(width, dtype=np.float32)

    def act(self, observation):
        view = torch.from_numpy(self.obs)
        {write}
        return float(view.sum())
"""


def codes(write: str) -> List[Tuple[int, str]]:
    text = textwrap.dedent(AGENT).format(write=write)
    return [(r.line, r.code) for r in analyze(text, filename="agent.py")]


@pytest.mark.parametrize("write", ["self.obs.fill(0.0)", "self.obs[:] = 0", "self.obs[...] = -1.0"])
def test_a_clear_while_a_view_is_read_later_is_flagged(write: str) -> None:
    assert codes(write) == [(12, "NTL401")]


@pytest.mark.parametrize("write", ["self.obs[:] = observation", "self.obs[0] = 0", "self.obs.fill(observation)"])
def test_a_refill_or_a_partial_write_is_not(write: str) -> None:
    assert codes(write) == []


HELPER = """
import numpy as np
import torch


def {name}(frame):
    pixels = torch.from_numpy(frame)
    pixels.div_(255.0)
    {ending}


frame = np.ones((2, 3), dtype=np.float32)
result = {name}(frame)
print(frame.max())
"""


def helper_codes(name: str, ending: str) -> List[Tuple[int, str]]:
    text = textwrap.dedent(HELPER).format(name=name, ending=ending)
    return [(r.line, r.code) for r in analyze(text, filename="helper.py")]


@pytest.mark.parametrize("ending", ["return pixels.unsqueeze(0)", "return float(pixels.sum())", "return pixels"])
def test_a_helper_returning_a_value_changed_its_argument_on_the_way(ending: str) -> None:
    # the caller reads its frame after the call: the helper's write through the view shows there
    assert helper_codes("to_input", ending) == [(8, "NTL401")]


@pytest.mark.parametrize("name, ending", [("scale_in_place", "return None"), ("scale_in_place", "pass"),
                                          ("to_input_", "return pixels.unsqueeze(0)")])
def test_a_procedure_or_an_underscored_helper_writes_its_argument_on_purpose(name: str, ending: str) -> None:
    # returns nothing, or says in its name that it works in place: the caller wants the change
    # (kept here, not as a fixture: the trace reports such a write as it happens)
    assert helper_codes(name, ending) == []
