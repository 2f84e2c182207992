"""A method call leaves its instance as the method stores it: ``scaler.fit(X)`` sets ``self.mean_``
on every path that returns, so ``scaler.transform(X)`` reads it; a fluent ``fit`` that returns
``self`` hands back the updated instance. What a method may store otherwise stays unknown."""
from __future__ import annotations

import textwrap

import pytest

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import Kind, Tri

SCALER = """
    import numpy as np

    class Scaler:
        def __init__(self, clip=5.0):
            self.clip = clip
            self.mean_ = None
            self.std_ = None

        def fit(self, raw):
            self.mean_ = raw.mean(axis=0)
            self.std_ = raw.std(axis=0) + 1e-6
            return self

        def fit_if_empty(self, raw):
            if self.mean_ is None:
                self.mean_ = raw.mean(axis=0)
            return self

        def fit_early(self, raw):
            if raw is None:
                return self
            self.mean_ = raw.mean(axis=0)
            return self

        def refit(self, raw):
            self.fit(raw)

        def transform(self, raw):
            return np.clip((raw - self.mean_) / self.std_, -self.clip, self.clip)

    train = np.random.rand(8, 3)
    train32 = np.random.rand(8, 3).astype(np.float32)
"""


def values(tail: str):
    return module_values(textwrap.dedent(SCALER) + textwrap.dedent(tail))


@pytest.mark.parametrize("tail, dtype", [
    ("s = Scaler().fit(train)\nout = s.mean_\n", "float64"),  # fluent: the updated instance returned
    ("s = Scaler()\ns.fit(train)\nout = s.mean_\n", "float64"),  # a statement: the name updated
    ("s = Scaler()\ns.fit(train32)\nout = s.mean_\n", "float32"),
    ("s = Scaler()\ns.fit(train)\ns.fit(train32)\nout = s.mean_\n", "float32"),  # the last fit wins
])
def test_a_method_s_settled_stores_stay_on_its_instance(tail: str, dtype: str) -> None:
    env = values(tail)
    assert (env["out"].kind, env["out"].dtype) == (Kind.NDARRAY, dtype)


@pytest.mark.parametrize("tail", [
    "s = Scaler()\ns.fit_if_empty(train)\nout = s.mean_\n",  # stored on one path only
    "s = Scaler()\ns.fit_early(train)\nout = s.mean_\n",  # after an early return
    "s = Scaler()\ns.fit(train32)\ns.refit(train)\nout = s.mean_\n",  # through a method it calls on self
    "s = Scaler()\ns.fit(train32)\nprepare(s)\nout = s.mean_\n",  # passed to code that may call s.fit
    "s = Scaler()\ns.fit(train32)\nt = s\nt.fit(train)\nout = s.mean_\n",  # refitted through an alias
])
def test_what_a_method_may_store_otherwise_is_not_kept(tail: str) -> None:
    env = values("def prepare(x):\n    x.fit(np.random.rand(2, 3))\n" + tail)
    assert env["out"].dtype != "float32"


CALIBRATOR = """
    import torch

    class Calibrator:
        def __init__(self):
            self.shift = torch.zeros(3)

        def train_shift(self):
            self.shift.requires_grad = True
            return self

        def freeze_shift(self):
            self.shift.requires_grad = False

        def value(self):
            return self.shift
"""


@pytest.mark.parametrize("tail, grad", [
    ("c = Calibrator().train_shift()\nout = c.value()\n", Tri.YES),  # the flag a method set stays on its instance
    ("c = Calibrator()\nc.train_shift()\nout = c.shift\n", Tri.YES),
    ("c = Calibrator()\nc.train_shift()\nc.freeze_shift()\nout = c.shift\n", Tri.NO),
    ("c = Calibrator()\nout = c.shift\n", Tri.NO),
])
def test_a_requires_grad_flag_set_on_an_attribute_by_a_method(tail: str, grad: Tri) -> None:
    env = module_values(textwrap.dedent(CALIBRATOR) + tail + "seen = out.numpy()\n")  # a sink keeps the lines
    assert (env["out"].kind, env["out"].requires_grad) == (Kind.TENSOR, grad)


COLLECTOR = """
    import numpy as np
    import torch
    from torch import nn

    class Collector:
        def __init__(self):
            self.clear()

        def clear(self):
            self.outputs = []

        def add(self, out):
            self.outputs.append(out)

        def add_some(self, out):
            if out is not None:
                self.outputs.append(out)

        def summary(self):
            return np.stack([o.numpy() for o in self.outputs])

    net = nn.Linear(4, 2)
    c = Collector()
"""


def collected(tail: str, extra: str = "") -> object:
    source = textwrap.dedent(COLLECTOR).replace("    def summary", extra + "    def summary") + textwrap.dedent(tail)
    return module_values(source)["seen"]


@pytest.mark.parametrize("tail, grad", [
    ("for _ in range(3):\n    c.add(net(torch.randn(5, 4)))\nseen = c.outputs\n", Tri.YES),  # joined over the loop
    ("c.add(net(torch.randn(5, 4)))\nc.add(torch.zeros(2))\nseen = c.outputs\n", Tri.UNKNOWN),  # items that disagree
    ("c.add(net(torch.randn(5, 4)).detach())\nseen = c.outputs\n", Tri.NO),
    # appended on one path only: the list is as it was (empty) or holds the item
    ("c.add_some(net(torch.randn(5, 4)))\nseen = c.outputs\n", Tri.YES),
])
def test_a_private_list_holds_what_the_instance_s_method_calls_append(tail: str, grad: Tri) -> None:
    seen = collected(tail)
    assert seen.kind is Kind.SEQUENCE and seen.element is not None
    assert seen.element.requires_grad is grad


@pytest.mark.parametrize("tail, extra", [
    ("c.add(net(torch.randn(5, 4)))\nc.outputs.clear()\nseen = c.outputs\n", ""),  # emptied from outside
    ("c.add(net(torch.randn(5, 4)))\nc.outputs = []\nseen = c.outputs\n", ""),  # replaced from outside
    ("c.add(net(torch.randn(5, 4)))\nrestart(c)\nseen = c.outputs\n", ""),  # a call it was passed to
    ("c.add(net(torch.randn(5, 4)))\nc.drop()\nseen = c.outputs\n",  # a method that empties it in place
     "    def drop(self):\n        self.outputs.clear()\n\n"),
    ("c.add(net(torch.randn(5, 4)))\nseen = c.outputs\n",  # the class hands the list out
     "    def items(self):\n        return self.outputs\n\n"),
])
def test_a_list_the_walk_cannot_follow_is_not_kept(tail: str, extra: str) -> None:
    seen = collected("def restart(x):\n    x.clear()\n\n" + tail, extra)
    assert seen.kind is not Kind.SEQUENCE or seen.element is None or seen.element.requires_grad is not Tri.YES


@pytest.mark.parametrize("body, private", [
    ("self.cache = {}\n    def get(self, k):\n        if k not in self.cache:\n            self.cache[k] = k\n"
     "        return self.cache[k]", True),
    ("self.cache = {}\n    def get(self, k):\n        return self.cache.get(k)", True),
    ("self.cache = {}\n    def share(self):\n        return self.cache", False),  # handed out
    ("self.cache = {}\n    def drop(self, k):\n        del self.cache[k]", False),
    ("self.cache = {}\n    def fill(self, d):\n        self.cache.update(d)", False),  # changed by a method
    ("self.cache = dict(a=1)", False),  # not bound to a dict display
])
def test_private_dicts(body: str, private: bool) -> None:
    import ast
    from np_torch_lint.engine.private_lists import private_dicts
    node = ast.parse(f"class C:\n    def __init__(self):\n        {body}\n").body[0]
    assert isinstance(node, ast.ClassDef)
    assert ("cache" in private_dicts(node)) is private
