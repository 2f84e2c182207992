"""The incremental analysis (np_torch_lint/incremental.py) reports exactly what one analysis of the whole file does,
from a tree equal to the whole text's (only the statements an edit touched are parsed again).

Files made of the fixtures are edited at random, version after version, as typing
would: statements inserted, deleted, duplicated, lines inside bodies inserted or
removed, module-level names renamed everywhere or at one place. Each version that
parses is analysed by one ``IncrementalAnalysis`` that lives through the whole
sequence and, from scratch, by ``lint.analyze``; the reports (positions, messages
with their cited lines, fixes) must be equal, and the incremental side must have
reused earlier segments' reports for most versions (else it tests nothing).
"""
from __future__ import annotations

import ast
import random
import re
import textwrap
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from conftest import FIXTURES
from np_torch_lint import incremental
from np_torch_lint.engine import AnalysisError, mentions_torch_or_numpy
from np_torch_lint.engine.evidence import CheckpointEvidence
from np_torch_lint.engine.source import _bound_names
from np_torch_lint.files import split_lines
from np_torch_lint.incremental import IncrementalAnalysis, segments
from np_torch_lint.lint import analyze

SEED = 16
NAMES = ("x", "model", "batch", "device", "loss", "data", "arr", "t", "edit_counter", "scores")


def concatenated(paths: List[Path]) -> str:
    """The fixtures one after another (top-level functions and classes renamed per fixture)."""
    parts = []
    for index, path in enumerate(paths):
        text = path.read_text(encoding="utf-8")
        for node in ast.parse(text).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                text = re.sub(rf"\b{re.escape(node.name)}\b", f"{node.name}_{index}", text)
        parts.append(text)
    return "\n".join(parts)


def edit(text: str, rng: random.Random) -> str:
    """One random edit, as a user makes them (the result may not parse)."""
    lines = text.split("\n")
    tree = ast.parse(text)
    body = tree.body
    choice = rng.randrange(7)
    if choice == 0 and body:  # a new top-level line
        at = rng.choice(body).lineno - 1
        lines.insert(at, f"{rng.choice(NAMES)} = {rng.choice(['1', 'np.zeros(3)', 'torch.ones(2)', 'None', 'x'])}")
    elif choice == 1 and len(body) > 1:  # a top-level statement deleted
        stmt = rng.choice(body)
        del lines[stmt.lineno - 1:stmt.end_lineno]
    elif choice == 2 and body:  # a top-level statement duplicated elsewhere
        stmt = rng.choice(body)
        copy = lines[stmt.lineno - 1:stmt.end_lineno]
        at = rng.choice(body).lineno - 1
        lines[at:at] = copy
    elif choice == 3:  # a line inside a body duplicated (typing in a function or loop)
        inner = [i for i, line in enumerate(lines) if line.startswith((" ", "\t")) and line.strip()]
        if inner:
            at = rng.choice(inner)
            lines.insert(at, lines[at])
    elif choice == 4:  # a line inside a body deleted
        inner = [i for i, line in enumerate(lines) if line.startswith((" ", "\t")) and line.strip()]
        if inner:
            del lines[rng.choice(inner)]
    else:  # a module-level name renamed: everywhere (5) or at one place (6)
        bound = sorted({name for stmt in body for name in _bound_names(stmt) if name.isidentifier()})
        if bound:
            old = rng.choice(bound)
            new = rng.choice([n for n in NAMES if n != old])
            pattern = re.compile(rf"\b{re.escape(old)}\b")
            if choice == 5:
                return pattern.sub(new, text)
            places = list(pattern.finditer(text))
            place = rng.choice(places)
            return text[:place.start()] + new + text[place.end():]
    return "\n".join(lines)


def versions(text: str, count: int, rng: random.Random) -> Iterator[str]:
    """Successive edits of ``text``; an edit that does not parse is kept for one version, then undone."""
    current = text
    for _ in range(count):
        changed = edit(current, rng)
        yield changed
        try:
            ast.parse(changed)
        except SyntaxError:
            continue
        current = changed


def compare(text: str, path: Optional[Path], edits: int, rng: random.Random) -> Tuple[int, int]:
    """Edits of ``text`` analysed both ways; (versions analysed, versions that reused segments)."""
    incremental_side = IncrementalAnalysis()
    filename = str(path) if path is not None else None
    analysed = reused = 0
    for version in [text, *versions(text, edits, rng)]:
        lines = split_lines(version)
        if path is not None:
            path.write_text(version, encoding="utf-8")  # what the command would read
        try:
            expected = analyze(version, lines=lines, filename=filename)
        except AnalysisError:
            with pytest.raises(AnalysisError):
                incremental_side.analyze(version, lines, filename)
            continue
        got = incremental_side.analyze(version, lines, filename)
        assert got == expected, f"version {analysed}:\n{version}"
        if mentions_torch_or_numpy(version):  # the tree kept (partly parsed again) is the whole text's
            kept = getattr(incremental_side, "_previous")[1]
            assert ast.dump(kept, include_attributes=True) == ast.dump(ast.parse(version), include_attributes=True)
        analysed += 1
        reused += incremental_side.reused > 0
    return analysed, reused


@pytest.mark.parametrize("rule", ["NTL1", "NTL2", "NTL3", "NTL4", "NTL5"])
def test_random_edits_of_the_fixtures_report_as_a_whole_analysis(rule: str, tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}-{rule}")
    paths = sorted(p for p in FIXTURES.glob(f"{rule}*/*.py"))
    assert paths
    rng.shuffle(paths)
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    analysed = reused = 0
    for start in range(0, min(len(paths), 24), 8):
        text = concatenated(paths[start:start + 8])
        done, kept = compare(text, tmp_path / f"edited_{start}.py", 12, rng)
        analysed += done
        reused += kept
    assert analysed >= 20
    assert reused >= analysed // 2, f"segments reused in only {reused} of {analysed} versions"


def test_without_a_file_name_too() -> None:
    rng = random.Random(SEED)
    text = concatenated(sorted(FIXTURES.glob("NTL2*/pos_*.py"))[:6])
    analysed, reused = compare(text, None, 15, rng)
    assert analysed >= 10 and reused >= 5


def test_a_line_that_continues_a_kept_statement_is_parsed_with_it() -> None:
    old = 'import torch\nif torch.cuda.is_available():\n    x = 1\ny = 2\n'
    for new in ('import torch\nif torch.cuda.is_available():\n    x = 1\n    z = 3\ny = 2\n',  # into the if
                'import torch\nif torch.cuda.is_available():\n    x = 1\nelse:\n    x = 0\ny = 2\n',
                'import torch\nif torch.cuda.is_available():\n    x = 1\ns = """\ny = 2\n'):  # a string left open
        assert incremental.reparsed(split_lines(old), ast.parse(old), split_lines(new)) is None
    tree = ast.parse(old)
    new = 'import torch\nif torch.cuda.is_available():\n    x = 1\n\nw = [\n  1]\ny = 2\n'
    made = incremental.reparsed(split_lines(old), tree, split_lines(new))
    assert made is not None
    assert ast.dump(made, include_attributes=True) == ast.dump(ast.parse(new), include_attributes=True)
    assert made.body[1] is tree.body[1]  # the `if` kept, not parsed again


def test_an_edit_walks_only_its_segment() -> None:
    text = textwrap.dedent("""\
        import numpy as np
        import torch

        def to_numpy(t):
            return t.numpy()

        weights = torch.ones(3, requires_grad=True)
        print(to_numpy(weights))

        x = np.random.rand(4)
        y = torch.from_numpy(x)
        model = torch.nn.Linear(4, 1)
        model(y)
    """)
    analysis = IncrementalAnalysis()
    first = analysis.analyze(text, split_lines(text), None)
    assert [r.code for r in first] == ["NTL201", "NTL101"]
    assert analysis.walked >= 2 and not analysis.fallback
    edited = text.replace("model(y)", "model(y)\nprint(model)")
    second = analysis.analyze(edited, split_lines(edited), None)
    assert second == analyze(edited, lines=split_lines(edited))
    assert analysis.walked == 1 and analysis.reused >= 1
    moved = "# a comment\n\n" + edited
    third = analysis.analyze(moved, split_lines(moved), None)
    assert [r.line for r in third] == [r.line + 2 for r in second]
    assert third == analyze(moved, lines=split_lines(moved))
    assert analysis.walked == 0  # every segment's reports moved with its lines


def test_a_module_level_change_of_context_analyses_the_whole_file() -> None:
    text = textwrap.dedent("""\
        import numpy as np
        import torch

        def to_numpy(t):
            return t.numpy()

        x = np.zeros(3)
        torch.set_grad_enabled(False)
        weights = torch.ones(3, requires_grad=True)
        print(to_numpy(weights))
    """)
    analysis = IncrementalAnalysis()
    assert analysis.analyze(text, split_lines(text), None) == analyze(text, lines=split_lines(text))
    assert "context" in analysis.fallback


def test_cuts_follow_the_rules() -> None:
    text = textwrap.dedent("""\
        a = 1
        b = a
        a = 2
        for a in range(3):
            pass
        print(a)
        def f():
            return c
        c = 3
        d = 4
    """)
    facts = [incremental._facts(stmt) for stmt in ast.parse(text).body]
    # b reads a: no cut before it; `a = 2` rebinds a outright: a cut; the loop binds a, joined
    # with its old value, which print reads: no cut; f's body reads c, bound later: no cut before
    # `c = 3`; d is new.
    assert segments(facts) == [(0, 2), (2, 5), (5, 7), (7, 8)]


def test_module_level_lambdas_share_a_name_and_are_never_cut_apart() -> None:
    text = "f = lambda t: t.numpy()\nx = 1\ng = lambda t: t.cpu()\nh = 2\n"
    facts = [incremental._facts(stmt) for stmt in ast.parse(text).body]
    assert segments(facts) == [(0, 3), (3, 4)]


def test_a_star_import_from_the_project_makes_every_name_changeable() -> None:
    text = "import numpy as np\n{star}CFG['x'] = np.zeros(3)\ny = CFG['x']\n"
    for star, expected in (("", [(0, 1), (1, 2), (2, 3)]), ("from settings import *\n", [(0, 1), (1, 2), (2, 4)])):
        facts = [incremental._facts(stmt) for stmt in ast.parse(text.format(star=star)).body]
        assert segments(facts) == expected


def test_every_question_to_the_checkpoint_evidence_is_watched() -> None:
    asked = {name for name, value in vars(CheckpointEvidence).items() if callable(value) and not name.startswith("_")}
    assert asked == set(incremental._WatchedCheckpoints.WATCHED)


def test_every_question_to_the_guard_flags_is_recorded() -> None:
    """A question the recording flags did not pass on would be answered "unknown" in a segment's walk
    (a class's constant GPU switch, a read-only config dict), so it would report less than a whole walk."""
    from np_torch_lint.engine.guards import GuardFlags
    asked = {name for name, value in vars(GuardFlags).items() if callable(value) and not name.startswith("_")}
    assert asked <= set(vars(incremental._RecordingFlags))


def test_class_constants_and_read_only_dicts_in_segments_follow_edits_elsewhere() -> None:
    text = textwrap.dedent("""\
        import torch


        class Runner:
            on_gpu = True

            def place(self, obj):
                if self.on_gpu:
                    return obj.cuda()
                return obj


        print(Runner().place(torch.zeros(2)).shape)
        CONFIG = {"use_cuda": True}


        def move(x):
            if CONFIG["use_cuda"]:
                return x.cuda()
            return x


        print(move(torch.zeros(2)))
        total = 0
    """)
    analysis = IncrementalAnalysis()
    first = analysis.analyze(text, split_lines(text), None)
    assert first == analyze(text, lines=split_lines(text))
    assert [(r.line, r.code) for r in first] == [(9, "NTL301"), (19, "NTL301")] and not analysis.fallback
    # The switch set from outside (another segment) is no longer a constant; the config item stored is not read-only.
    for added in ("\ndef configure(runner, flag):\n    runner.on_gpu = flag\n", '\nCONFIG["use_cuda"] = False\n'):
        edited = text + added
        got = analysis.analyze(edited, split_lines(edited), None)
        assert got == analyze(edited, lines=split_lines(edited))
        assert len(got) == 1 and analysis.reused >= 1
        assert analysis.analyze(text, split_lines(text), None) == first
