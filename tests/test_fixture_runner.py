"""Tests for runtime_check's fixture side: the header, the judge, the runner, the real and the vacuous fixtures.

Each judging rule is tested where it could fail: a verdict that a weaker
judge would give (any exception type, a non-zero exit, a failure at a line no
finding names, an error raised by the fixture itself) must be refused.
"""
from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from conftest import skip_module_without_torch

skip_module_without_torch("the fixture runner runs torch programs")

import numpy  # noqa: E402,F401
import torch  # noqa: E402,F401

from runtime_check.env import cuda_available  # noqa: E402
from runtime_check.executors import ForkExecutor, Job, ProcessOutcome, SpawnExecutor  # noqa: E402
from runtime_check.fixture_header import HeaderError, expect_markers, parse_body, read_header  # noqa: E402
from runtime_check.fixture_judge import Run, judge  # noqa: E402
from runtime_check.fixture_runner import (  # noqa: E402
    RunnerConfig,
    discover,
    header_problem,
    run_fixtures,
    run_program,
)
from runtime_check.results import CONFIRMED, FAILED, SKIPPED, FixtureResult  # noqa: E402
from runtime_check.run_output import last_exception, traceback_frames, warnings_in  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
VACUOUS = REPO / "tests" / "data" / "vacuous"
HAS_CUDA = cuda_available()


# --- header -------------------------------------------------------------------


def test_header_grammar():
    h = parse_body(" nocuda raises AssertionError|RuntimeError: Torch not compiled || No CUDA GPUs are available")
    assert h.needs == "nocuda" and h.kind == "raises"
    assert h.exc_types == ("AssertionError", "RuntimeError")
    assert h.fragments == ("Torch not compiled", "No CUDA GPUs are available")
    h = parse_body("cuda raises TypeError: can't convert cuda:0 device type tensor to numpy")
    assert h.needs == "cuda" and h.fragments == ("can't convert cuda:0 device type tensor to numpy",)
    assert parse_body("clean").kind == "clean"
    assert parse_body("cuda clean").needs == "cuda"
    assert parse_body("prints torch.float64").fragments == ("torch.float64",)
    w = parse_body("warns UserWarning: The given NumPy array is not writable")
    assert (w.category, w.fragments) == ("UserWarning", ("The given NumPy array is not writable",))


@pytest.mark.parametrize("body", ["", "passes", "clean extra", "raises RuntimeError", "raises : x",
                                  "prints", "warns UserWarning", "gpu clean"])
def test_header_grammar_rejects(body):
    with pytest.raises(HeaderError):
        parse_body(body)


def test_read_header_placement(tmp_path):
    ok = tmp_path / "a.py"
    ok.write_text("#!/usr/bin/env python\n# runtime: clean\nimport os\nx = 1  # expect: NTL101, NTL403\n")
    assert read_header(ok).line == 2
    assert expect_markers(ok) == {4: ["NTL101", "NTL403"]}
    late = tmp_path / "b.py"
    late.write_text("import os\n# runtime: clean\n")
    with pytest.raises(HeaderError, match="must come first"):
        read_header(late)
    two = tmp_path / "c.py"
    two.write_text("# runtime: clean\n# runtime: prints x\n")
    with pytest.raises(HeaderError, match="exactly one"):
        read_header(two)


@pytest.mark.parametrize("lines, error", [
    (["# runtime: prints torch.float64"], "needs exactly one '# value: EXPR'"),
    (["# runtime: prints torch.float64", "# value: 'torch.float64'"], "a literal proves nothing"),
    (["# runtime: prints torch.float64", "# value: str(float)"], "a literal proves nothing"),
    (["# runtime: prints torch.float64", "# value: loss.dtype +"], "not a Python expression"),
    (["# runtime: prints x", "# value: a", "# value: b"], "needs exactly one"),
    (["# runtime: clean", "# value: loss.dtype"], "belongs to a 'prints' header only"),
    (["# runtime: prints x", "x = 1", "# value: x"], "must come first"),
])
def test_value_line_rules(tmp_path, lines, error):
    path = tmp_path / "pos_x.py"
    path.write_text("\n".join(lines) + "\nloss = 1\n")
    with pytest.raises(HeaderError, match=error):
        read_header(path)


def test_value_line_read():
    header = read_header(FIXTURES / "NTL101" / "pos_loss_target_silent.py")
    assert (header.kind, header.fragments, header.expression) == ("prints", ("torch.float64",), "loss.dtype")


def test_header_must_be_what_the_rule_probe_observes():
    assert header_problem("NTL101", parse_body("raises RuntimeError: mat1 and mat2 must have the same dtype")) is None
    # The rule's error, not any error: a NameError from a typo proves nothing about NTL101.
    assert "not what the NTL101 probe observes" in header_problem(
        "NTL101", parse_body("raises NameError: name 'x' is not defined"))
    # The right text with the wrong type is not the rule's error either.
    assert header_problem("NTL101", parse_body("raises TypeError: mat1 and mat2 must have the same dtype"))
    assert header_problem("NTL404", parse_body("warns DeprecationWarning: The given NumPy array is not writable"))
    # A rule whose premise has no CPU form (NTL202) needs a `cuda` header, negatives too.
    assert "needs CUDA" in header_problem("NTL202", parse_body("clean"))
    assert header_problem("NTL202", parse_body("cuda clean")) is None
    assert "no rule NTL999" in header_problem("NTL999", parse_body("clean"))


# --- reading what a run printed ------------------------------------------------------

PATH = "/x/fixture.py"
TRACEBACK = f"""\
{PATH}:3: UserWarning: The given NumPy array is not writable, and PyTorch does not support
  t = torch.from_numpy(a)
Traceback (most recent call last):
  File "<string>", line 1, in <module>
  File "{PATH}", line 9, in <module>
    model(x)
    ~~~~~^^^
RuntimeError: mat1 and mat2 must have the same dtype, but got Double and Float
"""


def test_last_exception_frames_and_warnings_parse():
    expected = ("RuntimeError", "mat1 and mat2 must have the same dtype, but got Double and Float")
    assert last_exception(TRACEBACK) == expected
    assert last_exception("no traceback here") is None
    assert [(f.file, f.line) for f in traceback_frames(TRACEBACK)] == [("<string>", 1), (PATH, 9)]
    warned = warnings_in(TRACEBACK)[0]
    assert (warned.category, warned.file, warned.line) == ("UserWarning", PATH, 3)
    chained = TRACEBACK + "\nDuring handling of the above exception, another exception occurred:\n\n" + \
        "Traceback (most recent call last):\n  File \"a\", line 1, in <module>\n_pickle.UnpicklingError: bad\n"
    assert last_exception(chained) == ("_pickle.UnpicklingError", "bad")
    assert [(f.file, f.line) for f in traceback_frames(chained)] == [("a", 1)]  # the last traceback only


def test_a_process_groups_traceback_is_read_through_its_rank_prefix():
    # torch.distributed prints an uncaught exception of a process in a group with "[rank0]: " on each line.
    ranked = "".join(f"[rank0]: {line}\n" for line in TRACEBACK.splitlines()[2:])
    assert last_exception(ranked) == last_exception(TRACEBACK)
    assert [(f.file, f.line) for f in traceback_frames(ranked)] == [("<string>", 1), (PATH, 9)]


# --- the judge (pure) -------------------------------------------------------------------

SOURCE = """\
import warnings
import torch
x = torch.from_numpy(a)
def forward(v):
    return layer(v)
def fail():
    raise RuntimeError("mat1 and mat2 must have the same dtype")
warnings.warn("The given NumPy array is not writable")
model(x)
forward(x)
fail()
"""
RAISES = parse_body("raises RuntimeError: mat1 and mat2 must have the same dtype")
WARNS = parse_body("warns UserWarning: The given NumPy array is not writable")


def _run(rc: int, stderr: str = "", values: Dict[int, Dict[str, str]] = None, **kw) -> Run:
    return Run(ProcessOutcome(rc, "", stderr, 0.1, **kw), PATH, SOURCE, values or {})


def _raised(*frames: Tuple[str, int, str], exc: str = "RuntimeError: mat1 and mat2 must have the same dtype") -> str:
    body = "".join(f'  File "{file}", line {line}, in {func}\n    code\n' for file, line, func in frames)
    return f"Traceback (most recent call last):\n{body}{exc}\n"


def test_judge_raises_where_a_finding_names():
    at9 = _raised(("<string>", 1, "<module>"), (PATH, 9, "<module>"))
    verdict = judge(RAISES, _run(1, at9), {3: "reported", 9: "cited"}, 30)
    assert (verdict.status, verdict.line) == (CONFIRMED, 9)
    assert "line 9" in verdict.reason and "cites" in verdict.reason
    # The same failure where no finding points is not the rule's.
    verdict = judge(RAISES, _run(1, at9), {3: "reported"}, 30)
    assert verdict.status == FAILED and "line 9, which no finding names" in verdict.reason
    # Inside the fixture's own function, called from the cited line: the call's failure.
    inside = _raised((PATH, 10, "<module>"), (PATH, 5, "forward"), ("/site/torch/nn/linear.py", 125, "forward"))
    verdict = judge(RAISES, _run(1, inside), {10: "cited"}, 30)
    assert (verdict.status, verdict.line) == (CONFIRMED, 10) and "line 5 (in forward)" in verdict.reason


def test_judge_raises_refuses_what_a_weaker_judge_would_count():
    at9 = _raised((PATH, 9, "<module>"))
    named = {9: "cited"}
    # Another exception type with the same words.
    wrong_type = _raised((PATH, 9, "<module>"), exc="TypeError: mat1 and mat2 must have the same dtype")
    verdict = judge(RAISES, _run(1, wrong_type), named, 30)
    assert verdict.status == FAILED and "raised TypeError, expected RuntimeError" in verdict.reason
    # No exception at all.
    assert judge(RAISES, _run(0), named, 30).status == FAILED
    # The fixture's own `raise`, even in a function called from a named line.
    by_hand = _raised((PATH, 11, "<module>"), (PATH, 7, "fail"))
    verdict = judge(RAISES, _run(1, by_hand), {11: "cited"}, 30)
    assert verdict.status == FAILED and "own raise/assert at line 7" in verdict.reason
    # Raised from code that is neither the fixture nor an installed library.
    from_exec = _raised((PATH, 9, "<module>"), ("<string>", 1, "<module>"))
    assert "not by torch or NumPy" in judge(RAISES, _run(1, from_exec), named, 30).reason
    # Timeouts and the memory cap are failures whatever else was seen.
    assert "timed out" in judge(RAISES, _run(-9, at9, timed_out=True), named, 30).reason
    assert "memory" in judge(RAISES, _run(-9, at9, memory_exceeded=True), named, 30).reason


def test_judge_warns_at_a_named_line():
    warning = f"{PATH}:3: UserWarning: The given NumPy array is not writable, and ...\n"
    verdict = judge(WARNS, _run(0, warning), {3: "reported"}, 30)
    assert (verdict.status, verdict.line) == (CONFIRMED, 3)
    assert judge(WARNS, _run(0, warning), {9: "reported"}, 30).status == FAILED  # warned elsewhere
    assert judge(WARNS, _run(1, warning), {3: "reported"}, 30).status == FAILED  # warned, then crashed
    other_file = "/site/torch/x.py:3: UserWarning: The given NumPy array is not writable\n"
    assert "not from the fixture" in judge(WARNS, _run(0, other_file), {3: "reported"}, 30).reason
    other_category = f"{PATH}:3: DeprecationWarning: The given NumPy array is not writable\n"
    assert judge(WARNS, _run(0, other_category), {3: "reported"}, 30).status == FAILED
    by_hand = f"{PATH}:8: UserWarning: The given NumPy array is not writable\n"
    verdict = judge(WARNS, _run(0, by_hand), {8: "cited"}, 30)
    assert verdict.status == FAILED and "own warnings.warn at line 8" in verdict.reason


def test_judge_prints_reads_the_value_not_the_output():
    prints = read_header(FIXTURES / "NTL101" / "pos_loss_target_silent.py")
    wrong = {19: {"value": "torch.float64"}}
    verdict = judge(prints, _run(0, values=wrong), {16: "reported", 19: "cited"}, 30)
    assert (verdict.status, verdict.line) == (CONFIRMED, 19) and "after line 19" in verdict.reason
    # A `prints` judge must not accept a non-zero exit, even with the wrong value read.
    verdict = judge(prints, _run(1, values=wrong), {19: "cited"}, 30)
    assert verdict.status == FAILED and "got exit 1" in verdict.reason
    # The right value (the fixed program) is not the wrong one; text around it does not count.
    assert judge(prints, _run(0, values={19: {"value": "torch.float32"}}), {19: "cited"}, 30).status == FAILED
    assert judge(prints, _run(0, values={19: {"value": "torch.float64 x"}}), {19: "cited"}, 30).status == FAILED
    # Read after a line no finding names, or never read.
    assert judge(prints, _run(0, values={30: {"value": "torch.float64"}}), {19: "cited"}, 30).status == FAILED
    verdict = judge(prints, _run(0, values={19: {"error": "NameError: name 'loss' is not defined"}}), {19: "c"}, 30)
    assert verdict.status == FAILED and "NameError" in verdict.observed


def test_judge_clean():
    clean = parse_body("clean")
    assert judge(clean, _run(0), {}, 30).status == CONFIRMED
    verdict = judge(clean, _run(1, _raised((PATH, 9, "<module>"))), {}, 30)
    assert (verdict.status, verdict.line) == (FAILED, 9)


# --- the runner on generated fixtures -------------------------------------------------

NOCUDA = ("nocuda raises AssertionError|RuntimeError: Torch not compiled with CUDA enabled || "
          "No CUDA GPUs are available || Found no NVIDIA driver")
# Small fixtures: torch programs where the linter must speak, pure Python
# (the linter silent) where only the run matters.
GENERATED: Dict[str, str] = {
    "NTL403/pos_matches.py": """\
        # runtime: raises ValueError: At least one stride in the given numpy array is negative
        import numpy as np
        import torch
        frames = np.arange(6.0).reshape(2, 3)[:, ::-1]
        batch = torch.from_numpy(frames)  # expect: NTL403
        """,
    "NTL403/pos_fails_elsewhere.py": """\
        # runtime: raises ValueError: At least one stride in the given numpy array is negative
        import numpy as np
        import torch
        frames = np.arange(6.0)[::-1]
        try:
            batch = torch.from_numpy(frames)  # expect: NTL403
        except ValueError:
            batch = None
        hidden = getattr(np, "".join(["fl", "ip"]))(np.arange(4.0))  # a name the linter cannot read
        torch.from_numpy(hidden)
        """,
    "NTL403/pos_other_error.py": """\
        # runtime: raises KeyError: frames
        import numpy as np
        import torch
        batch = torch.from_numpy(np.arange(6.0)[::-1])  # expect: NTL403
        """,
    "NTL101/pos_prints_value.py": """\
        # runtime: prints torch.float64
        # value: loss.dtype
        import numpy as np
        import torch
        import torch.nn.functional as F
        pred = torch.zeros(4, 1)
        loss = F.l1_loss(pred, torch.from_numpy(np.random.rand(4, 1)))  # expect: NTL101
        print("the loss dtype is not printed here")
        """,
    "NTL101/pos_prints_then_fails.py": """\
        # runtime: prints torch.float64
        # value: loss.dtype
        import numpy as np
        import torch
        import torch.nn.functional as F
        pred = torch.zeros(4, 1)
        loss = F.l1_loss(pred, torch.from_numpy(np.random.rand(4, 1)))  # expect: NTL101
        raise SystemExit(3)
        """,
    "NTL404/pos_warns.py": """\
        # runtime: warns UserWarning: The given NumPy array is not writable
        import numpy as np
        import torch
        mean = np.broadcast_to(np.zeros(3, dtype=np.float32), (4, 3))
        t = torch.from_numpy(mean)  # expect: NTL404
        """,
    "NTL202/pos_cuda_only.py": """\
        # runtime: cuda raises TypeError: can't convert cuda:0 device type tensor to numpy
        import torch
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        curve = torch.zeros(3, device=device).numpy()  # expect: NTL202
        raise SystemExit("must never run on a host without CUDA")
        """,
    "NTL301/pos_nocuda.py": f"""\
        # runtime: {NOCUDA}
        import torch
        weights = torch.zeros(3).cuda()  # expect: NTL301
        """,
    "NTL102/neg_not_silent.py": """\
        # runtime: clean
        import torch
        weights = torch.zeros(3).cuda()
        """,
    "NTL101/neg_clean.py": """\
        # runtime: clean
        print("ok")
        """,
    "NTL101/neg_raises.py": """\
        # runtime: clean
        raise RuntimeError("mat1 and mat2 must have the same dtype")
        """,
    "NTL501/neg_hangs.py": """\
        # runtime: clean
        import time
        time.sleep(120)
        """,
    "NTL102/neg_no_header.py": """\
        print("no header at all")
        """,
    "NTL102/neg_with_raises_header.py": """\
        # runtime: raises ValueError: x
        raise ValueError("x")
        """,
    "NTL102/neg_network.py": """\
        # runtime: clean
        import socket
        try:
            socket.create_connection(("example.com", 80), timeout=2)
        except OSError as exc:
            assert "disabled" in str(exc), exc
            print("blocked:", exc)
        """,
    "NTL102/neg_cwd_is_temporary.py": """\
        # runtime: clean
        import os, tempfile
        open("scratch.txt", "w").write("x")  # written into the temporary working directory
        assert os.getcwd().startswith(tempfile.gettempdir()), os.getcwd()
        """,
    "NTL502/neg_memory_hog.py": """\
        # runtime: clean
        hog = b"x" * (3 << 30)
        """,
}

EXPECTED: Dict[str, Tuple[str, str]] = {
    "NTL403/pos_matches.py": (CONFIRMED, "raised ValueError at line 5, the line the finding is reported on"),
    "NTL403/pos_fails_elsewhere.py": (FAILED, "raised ValueError at line 10, which no finding names"),
    "NTL403/pos_other_error.py": (FAILED, "not what the NTL403 probe observes"),
    "NTL101/pos_prints_value.py": (CONFIRMED, "after line 7 (reported by the finding), loss.dtype is torch.float64"),
    "NTL101/pos_prints_then_fails.py": (FAILED, "got exit 3"),
    "NTL404/pos_warns.py": (CONFIRMED, "warned UserWarning at line 5"),
    "NTL202/pos_cuda_only.py": (SKIPPED, "CUDA"),
    "NTL301/pos_nocuda.py": (CONFIRMED, "at line 3, the line the finding is reported on"),
    "NTL102/neg_not_silent.py": (FAILED, "the linter is not silent on a negative fixture: NTL301 at line 3"),
    "NTL101/neg_clean.py": (CONFIRMED, "ran clean"),
    "NTL101/neg_raises.py": (FAILED, "expected a clean run"),
    "NTL501/neg_hangs.py": (FAILED, "timed out"),
    "NTL102/neg_no_header.py": (FAILED, "invalid header: no '# runtime:' header"),
    "NTL102/neg_with_raises_header.py": (FAILED, "must run clean"),
    "NTL102/neg_network.py": (CONFIRMED, "ran clean"),
    "NTL102/neg_cwd_is_temporary.py": (CONFIRMED, "ran clean"),
    "NTL502/neg_memory_hog.py": (FAILED, "memory"),
}
# Pure Python ones: cheap enough for a spawned interpreter each.
SPAWNED = [rel for rel in EXPECTED if "torch" not in GENERATED[rel]]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("fixtures")
    for rel, src in GENERATED.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(src))
    return base


@pytest.fixture(scope="module")
def fork_server():
    if not sys.platform.startswith("linux"):
        pytest.skip("the fork server is Linux-only")
    server = ForkExecutor()
    yield server
    server.close()


def _check(results: List[FixtureResult], expected: Dict[str, Tuple[str, str]]) -> None:
    by_path = {r.path: r for r in results}
    assert set(by_path) == set(expected)
    for rel, (status, reason) in expected.items():
        r = by_path[rel]
        assert r.status == status, f"{rel}: {r.status} {r.reason} | {r.observed}"
        assert reason in r.reason, f"{rel}: {r.reason!r}"
        if r.status == SKIPPED:  # skipped: never run, so never shown as passed
            assert r.returncode is None and not r.observed and r.reason in ("no CUDA device", "CUDA not requested")
        if r.status == CONFIRMED and r.role == "pos":
            assert r.line is not None and f"line {r.line}" in r.reason


# CUDA not asked for, also on a GPU host: `cuda` fixtures are skipped, `nocuda` ones run with CUDA hidden.
CPU_ONLY = RunnerConfig(cuda=False, gpu_host=HAS_CUDA, timeout=4.0, memory_bytes=2 << 30, jobs=4)


def test_runner_fork_server(generated, fork_server):
    results = run_fixtures(discover(generated), generated, CPU_ONLY, fork_server)
    _check(results, EXPECTED)
    matched = next(r for r in results if r.path == "NTL403/pos_matches.py")
    assert matched.extra["raised_at_line"] == 5 and matched.extra["named_lines"] == {"5": "reported"}
    assert matched.extra["expect_markers"] == {"5": ["NTL403"]}


def test_runner_spawn(generated):
    paths = [generated / rel for rel in SPAWNED]
    results = run_fixtures(paths, generated, CPU_ONLY, SpawnExecutor())
    _check(results, {rel: EXPECTED[rel] for rel in SPAWNED})
    # One torch positive in a fresh interpreter (importing torch takes seconds: a longer timeout).
    slow = RunnerConfig(cuda=False, gpu_host=HAS_CUDA, timeout=120.0)
    rel = "NTL403/pos_matches.py"
    _check(run_fixtures([generated / rel], generated, slow, SpawnExecutor()), {rel: EXPECTED[rel]})


def test_rss_watchdog_kills_child_without_rlimit(tmp_path):
    # Children that may use CUDA run without RLIMIT_AS; the watchdog holds them.
    script = tmp_path / "hog.py"
    script.write_text("import time\nhog = b'x' * (1 << 30)\ntime.sleep(30)\n")
    job = Job(str(script), str(tmp_path), dict(os.environ), timeout=20, memory_bytes=256 << 20, rlimit_bytes=0)
    out = SpawnExecutor().run(job)
    assert out.memory_exceeded and out.returncode is not None and out.returncode < 0


def test_children_run_exit_handlers_and_threads(tmp_path, fork_server):
    # What a fixture prints from its exit handlers and non-daemon threads is
    # seen, with either executor: the fork child behaves as the interpreter.
    program = tmp_path / "exit.py"
    program.write_text(textwrap.dedent("""\
        import atexit, threading, time
        atexit.register(print, "saved at exit")
        def late():
            time.sleep(0.3)
            print("from a thread")
        threading.Thread(target=late).start()
        """))
    for executor in (fork_server, SpawnExecutor()):
        out = run_program(program, CPU_ONLY, executor).outcome
        assert out.returncode == 0, out.stderr
        assert "from a thread" in out.stdout and "saved at exit" in out.stdout, (executor.name, out.stdout)


def test_value_is_read_right_after_the_last_run_of_a_line(tmp_path, fork_server):
    program = tmp_path / "watched.py"
    program.write_text(textwrap.dedent("""\
        def double(x):
            return x * 2
        total = 0
        for i in range(4):
            total += i
        try:
            broken = 1 / 0
        except ZeroDivisionError:
            pass
        double(21)
        total = -1
        """))
    run = run_program(program, CPU_ONLY, fork_server, watch=[5, 7], expression="total")
    # After line 5's last run total is 6, not 0, 1 or 3 (earlier runs), nor -1 (later lines);
    # line 7 was left by an exception: no value.
    assert run.values == {5: {"value": "6"}}
    run = run_program(program, CPU_ONLY, fork_server, watch=[2], expression="__return__ + total")
    assert run.values == {2: {"value": "48"}}  # the returned 42, read in the function's frame
    run = run_program(program, CPU_ONLY, fork_server, watch=[3], expression="undefined_name")
    assert run.values[3]["error"].startswith("NameError") and run.outcome.returncode == 0


# --- the real fixtures ---------------------------------------------------------


def test_real_fixtures_confirm_at_the_lines_the_linter_names(fork_server):
    cfg = RunnerConfig(cuda=HAS_CUDA, gpu_host=HAS_CUDA)
    executor = fork_server if not HAS_CUDA else SpawnExecutor()
    results = run_fixtures(discover(FIXTURES), FIXTURES, cfg, executor)
    failed = [f"{r.path}: {r.reason} | {r.observed}" for r in results if r.status == FAILED]
    assert not failed, "\n".join(failed)
    for r in results:
        if r.status == SKIPPED:
            assert r.reason in ("no CUDA device", "CUDA not requested"), f"{r.path}: skipped for {r.reason}"
            assert r.returncode is None, f"{r.path} ran although skipped"
            continue
        if r.role == "neg":
            assert r.extra["findings"] == [], r.path
            continue
        # Each confirmed positive says which line failed, and that line is one its finding
        # names (or, for a bare call such as a default-device setter, the statement after it).
        assert r.line is not None and f"line {r.line}" in r.reason, f"{r.path}: {r.reason}"
        named = {int(line) for line in r.extra["named_lines"]}
        assert r.line in named or "the statement right after line" in r.reason, f"{r.path}: {r.reason}"
    if not HAS_CUDA:  # every fixture of NTL202, negatives included, needs CUDA
        ntl202 = [r for r in results if r.code == "NTL202"]
        assert ntl202 and all(r.status == SKIPPED and r.reason == "no CUDA device" for r in ntl202)


# --- the vacuous fixtures ---------------------------------------------------------
# tests/data/vacuous/README.md: fixtures an earlier runner confirmed although
# they prove nothing. Each must fail, for the reason given here.

VACUOUS_REASONS = {
    "NTL101/pos_header_nameerror.py": "'raises NameError: name 'epoch_count' is not defined' is not what the NTL101 "
                                      "probe observes",
    "NTL101/pos_hand_raised_unreached.py": "raised RuntimeError by the fixture's own raise/assert at line 9",
    "NTL101/pos_prints_literal_unreached.py": "loss.dtype was never read: no line the finding names ran",
    "NTL101/pos_value_literal.py": "a literal proves nothing",
    "NTL202/neg_relabelled_positive.py": "NTL202's premise needs CUDA",
    "NTL202/neg_relabelled_positive_cuda.py": "the linter is not silent on a negative fixture: NTL202 at line 12",
}


def test_vacuous_fixtures_are_never_confirmed(fork_server):
    cfg = RunnerConfig(cuda=HAS_CUDA, gpu_host=HAS_CUDA)
    results = run_fixtures(discover(VACUOUS), VACUOUS, cfg, fork_server if not HAS_CUDA else SpawnExecutor())
    assert {r.path for r in results} == set(VACUOUS_REASONS)
    for r in results:
        assert r.status == FAILED, f"{r.path}: {r.status} {r.reason}"
        assert VACUOUS_REASONS[r.path] in r.reason, f"{r.path}: {r.reason}"


def test_vacuous_fixtures_fail_on_more_than_their_name(tmp_path, fork_server):
    # Without the line check, the hand-raised error would still not be at a named line:
    # the runner refuses it twice over. Here the raise is moved into the cited line's callee
    # (a forward of the fixture's own) so that only the raise check stands in the way.
    source = (VACUOUS / "NTL101" / "pos_hand_raised_unreached.py").read_text()
    folder = tmp_path / "NTL101"
    folder.mkdir()
    moved = folder / "pos_raised_inside_named_call.py"
    moved.write_text(source.replace("    report_dtype_problem()\nelse:\n    model(batch)",
                                    "    model.forward = lambda x: report_dtype_problem()\nmodel(batch)"))
    (r,) = run_fixtures([moved], tmp_path, RunnerConfig(), fork_server)
    assert r.status == FAILED and "own raise/assert" in r.reason, r.reason
