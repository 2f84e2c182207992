"""Objects of unknown type used as only torch's are: a trainer whose model and optimizer are set
elsewhere (a subclass, a factory, a config) still updates the weights and snapshots them."""
from __future__ import annotations

import textwrap
from typing import List, Tuple

from np_torch_lint.lint import analyze

HEADER = "import copy\nimport torch\n"


def codes(source: str) -> List[Tuple[int, str]]:
    text = HEADER + textwrap.dedent(source)
    return [(r.line, r.code) for r in analyze(text, filename="trainer.py")]


LOOP = """
    def fit(model, optimizer, batches, epochs, evaluate):
        best, best_state = float("inf"), None
        for _ in range(epochs):
            for batch in batches:
                {update}
            score = evaluate(model)
            if score < best:
                best = score
                best_state = {snapshot}
        model.load_state_dict(best_state)
"""
STEP = "optimizer.zero_grad(); model(batch).sum().backward(); optimizer.step()"


def test_a_best_state_of_an_unknown_model_in_a_training_loop():
    assert codes(LOOP.format(update=STEP, snapshot="model.state_dict()")) == [(12, "NTL402")]


def test_a_copy_of_it_is_silent():
    assert codes(LOOP.format(update=STEP, snapshot="copy.deepcopy(model.state_dict())")) == []


def test_a_step_that_takes_an_argument_is_no_optimizer_step():
    # env.step(action), and an object whose zero_grad() is never called: no weights change here
    assert codes(LOOP.format(update="optimizer.zero_grad(); optimizer.step(batch)", snapshot="model.state_dict()")) == []
    assert codes(LOOP.format(update="scheduler.step()", snapshot="model.state_dict()")) == []


def test_a_snapshot_not_kept_after_the_loop_is_silent():
    source = LOOP.format(update=STEP, snapshot="model.state_dict()").replace(
        "        model.load_state_dict(best_state)\n", "")
    assert codes(source.replace("best_state = model.state_dict()",
                                "best_state = model.state_dict()\n            torch.save(best_state, 'best.pt')")) == []


def test_a_step_in_a_method_on_self_called_each_epoch():
    source = """
        class Trainer:
            def __init__(self, epochs):
                self.epochs = epochs
                self.model = None
                self.optimizer = None

            def step(self, batch):
                self.optimizer.zero_grad()
                self.model(batch).sum().backward()
                self.optimizer.step()

            def fit(self, batch, evaluate):
                best, kept = float("inf"), None
                for _ in range(self.epochs):
                    self.step(batch)
                    if evaluate() < best:
                        best = evaluate()
                        kept = self.model.state_dict()
                return kept
    """
    assert codes(source) == [(21, "NTL402")]
    assert codes(source.replace("                self.optimizer.step()\n", "")) == []
