"""A ``try`` whose handler only reports a missing GPU and ends the job (guards.reports_failure) handles
a placement written in its body, not one in the functions it calls; a handler that falls back
(an assignment, ``pass``, a returned value) guards both."""
from __future__ import annotations

import ast
import textwrap
from typing import List, Tuple

import pytest

from np_torch_lint.engine import guards
from np_torch_lint.lint import analyze


def handlers(source: str) -> List[ast.ExceptHandler]:
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, ast.Try)
    return node.handlers


@pytest.mark.parametrize("handler, last, reports", [
    ("print('failed:', err)", True, True),
    ("print('failed:', err)", False, False),  # the program goes on after it: a fallback that says so
    ("logging.exception('failed')\n    raise", False, True),
    ("logger.error('failed')\n    sys.exit(1)", False, True),
    ("traceback.print_exc()\n    return", False, True),
    ("warnings.warn('no GPU')\n    return None", False, True),
    ("pass", True, False),  # swallowed on purpose
    ("device = 'cpu'", True, False),
    ("print('cpu then')\n    model = model.cpu()", True, False),
    ("return model", False, False),  # a fallback result
])
def test_which_handlers_only_report(handler: str, last: bool, reports: bool) -> None:
    found = handlers(f"try:\n    run()\nexcept RuntimeError as err:\n    {handler}\n")
    assert guards.reports_failure(found, last) is reports


JOB = """
import torch
import torch.nn as nn


def train():
    model = nn.Linear(4, 1).cuda()
    return model(torch.randn(2, 4).cuda())


if __name__ == "__main__":
    try:
        train()
    except RuntimeError as err:
        {handler}
    {after}
"""


def codes(handler: str, after: str = "") -> List[Tuple[int, str]]:
    text = textwrap.dedent(JOB).format(handler=handler, after=after)
    return [(r.line, r.code) for r in analyze(text, filename="job.py")]


def test_a_job_whose_failure_is_only_printed_is_flagged_inside() -> None:
    assert codes("print('training failed:', err)") == [(7, "NTL301"), (8, "NTL301")]
    assert codes("print('training failed:', err)\n        raise") == [(7, "NTL301"), (8, "NTL301")]


@pytest.mark.parametrize("handler, after", [
    ("print('no GPU: skipped')", "print('done')"),  # the program goes on: the failure is tolerated
    ("pass", ""),
    ("train_on_cpu = True", ""),
])
def test_a_handler_that_tolerates_or_falls_back_guards_the_calls(handler: str, after: str) -> None:
    assert codes(handler, after) == []


def test_a_placement_written_in_the_reporting_try_is_handled() -> None:
    text = textwrap.dedent("""
        import torch
        try:
            x = torch.zeros(3).cuda()
        except RuntimeError as err:
            print("failed:", err)
    """)
    assert analyze(text, filename="job.py") == []
