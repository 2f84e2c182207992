"""Where a file freezes parameters, and how far the freeze reaches (engine.freezing)."""
from __future__ import annotations

import ast
import textwrap
from typing import FrozenSet, Tuple

import pytest

from np_torch_lint.engine.freezing import freeze_scopes


def scopes(source: str) -> Tuple[bool, FrozenSet[str]]:
    return freeze_scopes(ast.parse(textwrap.dedent(source)))


@pytest.mark.parametrize("body", [
    "for p in self.parameters():\n                p.requires_grad_(False)",
    "for name, p in self.backbone.named_parameters():\n                p.requires_grad = False",
    "self.requires_grad_(False)",
    "self.backbone.requires_grad_(requires_grad=False)",
    "self.fc.weight.requires_grad = False",
])
def test_a_class_that_freezes_its_own_parameters(body: str) -> None:
    source = f"""
    class Encoder:
        def freeze(self):
            {body}
    """
    assert scopes(source) == (False, frozenset({"Encoder"}))


@pytest.mark.parametrize("source", [
    "model.requires_grad_(False)\n",
    "for p in model.parameters():\n    p.requires_grad = False\n",
    "def freeze(m):\n    for p in m.parameters():\n        p.requires_grad_(False)\n",
    # a method that freezes what it is given, not its own
    "class Trainer:\n    def freeze(self, model):\n        for p in model.parameters():\n            p.requires_grad_(False)\n",
    # an unknown call told requires_grad=False may freeze anything
    "set_trainable(model, requires_grad=False)\n",
])
def test_a_freeze_that_may_reach_any_parameter(source: str) -> None:
    anywhere, _ = scopes(source)
    assert anywhere


@pytest.mark.parametrize("source", [
    "w = nn.Parameter(torch.ones(3), requires_grad=False)\n",
    "t = torch.zeros(3, requires_grad=False)\n",
    "p.requires_grad = True\n",
    "p.requires_grad_(flag)\n",
])
def test_what_freezes_nothing(source: str) -> None:
    assert scopes(source) == (False, frozenset())
