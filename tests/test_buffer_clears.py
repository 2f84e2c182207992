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
