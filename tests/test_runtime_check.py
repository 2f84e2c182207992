"""Tests for runtime_check: the probes, the fixture runner and the command."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

# torch and NumPy are in the `test` extra: their absence fails the suite
# (a plain import), unless a run says on purpose that it has no torch.
if os.environ.get("NTL_TESTS_WITHOUT_TORCH") == "1":
    pytest.skip("NTL_TESTS_WITHOUT_TORCH=1: the runtime check needs torch and NumPy", allow_module_level=True)

import numpy  # noqa: E402,F401
import torch  # noqa: E402,F401

from np_torch_lint.rules import RULES_BY_CODE  # noqa: E402
from runtime_check.env import cuda_available  # noqa: E402
from runtime_check.executors import ForkExecutor, Job, SpawnExecutor  # noqa: E402
from runtime_check.fixture_header import HeaderError, expect_markers, parse_body, read_header  # noqa: E402
from runtime_check.fixture_runner import (  # noqa: E402
    RunnerConfig,
    discover,
    judge,
    last_exception,
    run_fixtures,
    warnings_in,
)
from runtime_check.probes import CODES, PROBES, Probe, call_probe, run_probe  # noqa: E402
from runtime_check.probes._base import Message, expect_raises  # noqa: E402
from runtime_check.results import BROKEN, CONFIRMED, FAILED, SKIPPED, FixtureResult  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
DOCS = REPO / "np_torch_lint" / "docs"
HAS_CUDA = cuda_available()
# Every rule the linter has, from its registry: a new rule without a probe,
# a doc page or fixtures fails the tests below.
ALL_CODES = sorted(RULES_BY_CODE)


# --- probes -------------------------------------------------------------------


def test_every_rule_has_a_probe_and_a_doc_page():
    assert ALL_CODES, "the rule registry is empty"
    assert CODES == ALL_CODES, "a probe per rule, and no probe without a rule"
    missing = [code for code in ALL_CODES if not (DOCS / f"{code}.md").is_file()]
    assert not missing, f"rules without a doc page: {missing}"
    assert sorted(p.stem for p in DOCS.glob("NTL*.md")) == ALL_CODES, "a doc page without a rule"


@pytest.mark.parametrize("code", ALL_CODES)
def test_cpu_probe_confirms_premise(code):
    probe = PROBES[code]
    result = run_probe(probe, "cpu", cuda=HAS_CUDA)
    if "cpu" in probe.not_applicable:
        assert result.status == SKIPPED and result.reason
        return
    assert result.status == CONFIRMED, f"{code}: {result.reason} | observed: {result.observed}"
    assert result.observed
    # The probe observes every error/warning it declares, with its type: the
    # texts the docs, fixtures and rule messages are checked against are real.
    for message in probe.messages:
        seen = [obs for obs in result.observations
                if any(obs.startswith(f"{t}: ") for t in message.types)
                and any(w in obs for w in message.fragments)]
        assert seen, f"{code}: declares {message.types}: {message.text!r}, observed {result.observations}"


@pytest.mark.skipif(HAS_CUDA, reason="checks the CPU-only behaviour of the CUDA column")
@pytest.mark.parametrize("code", ALL_CODES)
def test_cuda_column_is_skipped_without_gpu(code):
    result = run_probe(PROBES[code], "cuda", cuda=False)
    assert result.status == SKIPPED
    assert result.reason  # always says why, never shown as passed


@pytest.mark.cuda
@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device (torch.cuda.is_available() is False)")
@pytest.mark.parametrize("code", ALL_CODES)
def test_cuda_probe_confirms_premise(code):
    result = run_probe(PROBES[code], "cuda", cuda=True)
    assert result.status == CONFIRMED, f"{code}: {result.reason} | observed: {result.observed}"


@pytest.mark.parametrize("code", ["NTL301", "NTL302"])
def test_cpu_only_premises_hide_cuda_on_gpu_host(code):
    # cuda=True: what run_probe does on a GPU host (here on any host): the
    # CPU-only premise goes to a child with CUDA_VISIBLE_DEVICES="".
    result = run_probe(PROBES[code], "cpu", cuda=True)
    assert result.status == CONFIRMED, result.reason
    assert "CUDA_VISIBLE_DEVICES" in result.how


def test_cuda_checkpoint_fails_to_load_in_hidden_child(tmp_path):
    from runtime_check.executors import call_in_child
    from runtime_check.probes.device import DESERIALIZE, save_tagged_cuda

    t = torch.ones(2)
    path = str(tmp_path / "ckpt.pt")
    save_tagged_cuda({"w": t}, [t], path)
    result = call_in_child("runtime_check.probes.device:load_checkpoint", [path], hide_cuda=True)
    assert result["type"] == "RuntimeError" and DESERIALIZE.text in result["message"]


def test_call_in_child_reports_a_failing_child():
    from runtime_check.executors import call_in_child

    result = call_in_child("runtime_check.probes:get_probe", ["NTL999"])
    assert result["error"].startswith("exit 1: KeyError"), result
    assert "no probe for 'NTL999'" in result["observed"]
    # The child runs in the fixtures' sandbox: no network.
    result = call_in_child("socket:getaddrinfo", ["example.com", "80"])
    assert "network access is disabled" in result["observed"], result

# A premise that no longer holds must be reported as broken: each test below
# swaps the real conversion for a stub that behaves the way a future torch
# might, and the probe has to notice.


def test_probe_reports_broken_when_from_numpy_stops_raising(monkeypatch):
    import numpy as np
    real = torch.from_numpy
    monkeypatch.setattr(torch, "from_numpy", lambda a: real(np.ascontiguousarray(a)))
    result = run_probe(PROBES["NTL403"], "cpu", cuda=False)
    assert result.status == BROKEN
    assert "no longer raises" in result.reason
    assert "torch.from_numpy" in result.reason


def test_probe_reports_broken_when_from_numpy_copies(monkeypatch):
    real = torch.from_numpy
    monkeypatch.setattr(torch, "from_numpy", lambda a: real(a.copy()))
    result = run_probe(PROBES["NTL401"], "cpu", cuda=False)
    assert result.status == BROKEN
    assert "from_numpy no longer shares memory" in result.reason


def test_probe_reports_broken_when_numpy_detaches(monkeypatch):
    real = torch.Tensor.numpy
    monkeypatch.setattr(torch.Tensor, "numpy", lambda self, *a, **k: real(self.detach(), *a, **k))
    result = run_probe(PROBES["NTL201"], "cpu", cuda=False)
    assert result.status == BROKEN
    assert "no longer raises" in result.reason


def test_probe_reports_broken_when_message_changes(monkeypatch):
    import torch.nn.functional as F

    def cross_entropy(*args, **kwargs):
        raise RuntimeError("target must be int64")

    monkeypatch.setattr(F, "cross_entropy", cross_entropy)
    result = run_probe(PROBES["NTL103"], "cpu", cuda=False)
    assert result.status == BROKEN
    assert "no longer contains" in result.reason
    assert "RuntimeError: target must be int64" in result.observed


def test_probe_reports_broken_when_slowdown_is_gone(monkeypatch):
    from runtime_check.probes import hygiene

    monkeypatch.setattr(hygiene, "RATIO_THRESHOLD", 1e9)
    # In this process (run_probe would take NTL501 to a fresh one, without the patch).
    verdict = call_probe(PROBES["NTL501"], "cpu")
    assert verdict.status == BROKEN
    assert "ratio" in verdict.observed


def test_stub_conversion_that_does_not_raise_is_broken():
    stub = Probe("NTL999", "stub", "a stub conversion raises", lambda d: expect_raises(
        lambda: [1.0], RuntimeError, ["must fail"], "stub conversion"))
    verdict = call_probe(stub, "cpu")
    assert verdict.status == BROKEN
    assert verdict.observed.startswith("no exception")


def test_crashing_probe_is_broken_not_an_error():
    def crash(device):
        raise KeyError("boom")

    verdict = call_probe(Probe("NTL999", "stub", "stub", crash), "cpu")
    assert verdict.status == BROKEN
    assert verdict.observed == "KeyError: 'boom'"


def test_ntl302_checkpoint_really_carries_cuda_locations(tmp_path):
    from runtime_check.probes.device import save_tagged_cuda, storage_locations

    t = torch.arange(4.0)
    path = str(tmp_path / "ckpt.pt")
    save_tagged_cuda({"w": t}, [t], path)
    assert storage_locations(path) == ["cuda:0"]
    torch.save({"w": t}, str(tmp_path / "plain.pt"))  # the tagger is inert afterwards
    assert storage_locations(str(tmp_path / "plain.pt")) == ["cpu"]


def test_importing_runtime_check_does_not_import_torch():
    code = "import sys, runtime_check, runtime_check.cli, runtime_check.probes; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- one source for each error text ------------------------------------------
# A probe's `messages` hold the text of every error/warning it observes torch
# give; the doc page, the fixture headers and the rule's messages must say the
# same (runtime_check.probes._base.Message).

_QUOTED_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Warning)): (?P<msg>.+)$")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def test_message_agreement():
    m = Message("raises", ("RuntimeError",), "expected target dtype to be Long or Byte, but got",
                alternatives=("not implemented for 'Int'", "expected target dtype to be Long"))
    assert m.agrees("expected target dtype to be Long")  # a prefix
    assert m.agrees("expected target dtype to be Long or Byte, but got Short")  # and the values torch fills in
    assert m.agrees("not implemented for 'Int'")
    assert not m.agrees("expected target dtype to be Int")
    assert not m.agrees("expected target dtype to be Long or Short, but got Byte")  # only the text goes on
    assert not m.agrees("not implemented for 'Int' on CUDA")
    assert not m.agrees("target dtype to be Long")  # a fragment from the middle is not a quote
    w = Message("warns", ("UserWarning",), "The given NumPy array is not writable, and PyTorch does not support "
                "non-writable tensors. This means writing to this tensor will result in undefined behavior.")
    assert w.agrees("The given NumPy array is not writable ... undefined behavior")
    assert not w.agrees("The given NumPy array is not writable ... defined behavior only")
    assert not w.agrees("undefined behavior ... The given NumPy array")
    with pytest.raises(AssertionError):
        Message("raises", ("NoSuchError",), "x")


@pytest.mark.parametrize("code", ALL_CODES)
def test_doc_page_quotes_what_the_probe_observes(code):
    probe, page = PROBES[code], (DOCS / f"{code}.md").read_text(encoding="utf-8")
    for message in probe.messages:
        assert message.text in page, f"{code}.md does not quote the probe's text {message.text!r}"
    # And every `Type: message` line it shows in a code block is one the probe observes.
    for block in _FENCE.findall(page):
        for line in block.splitlines():
            quoted = _QUOTED_LINE.match(line.strip())
            if not quoted:
                continue
            etype, text = _short(quoted.group("type")), quoted.group("msg")
            assert any(etype in m.types and any(w in text for w in m.fragments) for m in probe.messages), (
                f"{code}.md quotes {line.strip()!r}, which no message of the {code} probe says "
                f"({[m.fragments for m in probe.messages]})"
            )


@pytest.mark.parametrize("code", ALL_CODES)
def test_fixture_headers_name_what_the_probe_observes(code):
    probe = PROBES[code]
    for path in discover(FIXTURES, [code]):
        header = read_header(path)
        if header.kind not in ("raises", "warns"):
            continue
        types = header.exc_types if header.kind == "raises" else (header.category,)
        for fragment in header.fragments:
            assert any(
                m.kind == header.kind and {_short(t) for t in types} <= set(m.types) and m.agrees(fragment)
                for m in probe.messages
            ), (
                f"{path.relative_to(FIXTURES)}: '# runtime: {header.text}' names {fragment!r}, which no message "
                f"of the {code} probe says ({[(m.types, m.fragments) for m in probe.messages]})"
            )


@pytest.mark.parametrize("code", ALL_CODES)
def test_rule_messages_quote_what_the_probe_observes(code):
    from np_torch_lint.lint import analyze

    probe, messages = PROBES[code], []
    for path in discover(FIXTURES, [code]):
        if path.name.startswith("pos_"):
            messages += [r.message for r in analyze(path.read_text(encoding="utf-8")) if r.code == code]
    assert messages, f"no {code} finding on its positive fixtures"
    for text in messages:
        # A quoted sentence (three words or more), not a quoted code snippet like .to("cuda").
        for quote in re.findall(r'"([^"]+)"', text):
            if len(quote.split()) >= 3:
                assert any(m.agrees(quote) for m in probe.messages), (
                    f"{code} message quotes {quote!r}, which no message of the {code} probe says: {text}"
                )

# --- header -------------------------------------------------------------------


def test_header_grammar():
    h = parse_body(" nocuda raises AssertionError|RuntimeError: Torch not compiled || No CUDA GPUs are available")
    assert h.needs == "nocuda" and h.kind == "raises"
    assert h.exc_types == ("AssertionError", "RuntimeError")
    assert h.fragments == ("Torch not compiled", "No CUDA GPUs are available")
    h = parse_body("cuda raises TypeError: can't convert cuda:0 device type tensor to numpy")
    assert h.needs == "cuda" and h.fragments == ("can't convert cuda:0 device type tensor to numpy",)
    assert parse_body("clean").kind == "clean"
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


# --- judging (pure) ------------------------------------------------------------

TRACEBACK = """\
/x/fixture.py:3: UserWarning: The given NumPy array is not writable, and PyTorch does not support
  t = torch.from_numpy(a)
Traceback (most recent call last):
  File "<string>", line 1, in <module>
  File "/x/fixture.py", line 9, in <module>
    model(x)
    ~~~~~^^^
RuntimeError: mat1 and mat2 must have the same dtype, but got Double and Float
"""


def test_last_exception_and_warnings_parse():
    expected = ("RuntimeError", "mat1 and mat2 must have the same dtype, but got Double and Float")
    assert last_exception(TRACEBACK) == expected
    assert last_exception("no traceback here") is None
    assert warnings_in(TRACEBACK)[0][0] == "UserWarning"
    chained = TRACEBACK + "\nDuring handling of the above exception, another exception occurred:\n\n" + \
        "Traceback (most recent call last):\n  File \"a\", line 1, in <module>\n_pickle.UnpicklingError: bad\n"
    assert last_exception(chained) == ("_pickle.UnpicklingError", "bad")


def _outcome(rc, stdout="", stderr="", **kw):
    from runtime_check.executors import ProcessOutcome

    return ProcessOutcome(rc, stdout, stderr, 0.1, **kw)


def test_judge_verdicts():
    raises = parse_body("raises RuntimeError: mat1 and mat2 must have the same dtype")
    assert judge(raises, _outcome(1, stderr=TRACEBACK), 30)[0] == CONFIRMED
    assert judge(raises, _outcome(0), 30)[0] == FAILED
    other = parse_body("raises ValueError: mat1")
    assert "raised RuntimeError" in judge(other, _outcome(1, stderr=TRACEBACK), 30)[1]
    qualified = parse_body("raises UnpicklingError: bad")
    assert judge(qualified, _outcome(1, stderr="Traceback (most recent call last):\n"
                                     "  File \"a\", line 1\n_pickle.UnpicklingError: bad\n"), 30)[0] == CONFIRMED
    prints = parse_body("prints torch.float64")
    assert judge(prints, _outcome(0, stdout="loss\ntorch.float64\n"), 30)[:3:2] == (CONFIRMED, "torch.float64")
    assert judge(prints, _outcome(0, stdout="torch.float32\n"), 30)[0] == FAILED
    warns = parse_body("warns UserWarning: The given NumPy array is not writable")
    assert judge(warns, _outcome(0, stderr=TRACEBACK), 30)[0] == CONFIRMED
    assert judge(warns, _outcome(1, stderr=TRACEBACK), 30)[0] == FAILED  # warned, then crashed
    clean = parse_body("clean")
    assert judge(clean, _outcome(0), 30)[0] == CONFIRMED
    assert "timed out" in judge(clean, _outcome(-9, timed_out=True), 30)[1]
    assert "memory" in judge(clean, _outcome(-9, memory_exceeded=True), 30)[1]


# --- fixture runner on generated fixtures ---------------------------------------

# Small fixtures, pure Python where the verdict does not need torch, so the
# runner is exercised without paying a torch import in each child.
GENERATED: Dict[str, str] = {
    "NTL403/pos_matches.py": """\
        # runtime: raises ValueError: At least one stride in the given numpy array is negative
        def convert():
            raise ValueError("At least one stride in the given numpy array is negative, and ...")
        convert()  # expect: NTL403
        """,
    "NTL403/pos_wrong_message.py": """\
        # runtime: raises ValueError: At least one stride in the given numpy array is negative
        raise ValueError("something else entirely")
        """,
    "NTL403/pos_wrong_type.py": """\
        # runtime: raises ValueError: negative
        raise TypeError("negative")
        """,
    "NTL403/pos_no_error.py": """\
        # runtime: raises ValueError: negative
        print("fine")
        """,
    "NTL101/neg_clean.py": """\
        # runtime: clean
        print("ok")
        """,
    "NTL101/neg_raises.py": """\
        # runtime: clean
        raise RuntimeError("mat1 and mat2 must have the same dtype")
        """,
    "NTL101/pos_prints.py": """\
        # runtime: prints torch.float64
        print("loss dtype:", "torch.float64")
        """,
    "NTL101/pos_prints_at_exit.py": """\
        # runtime: prints saved at exit: torch.float64
        import atexit
        atexit.register(print, "saved at exit: torch.float64")  # a fixture's own exit handlers run
        """,
    "NTL101/pos_prints_from_thread.py": """\
        # runtime: prints from a thread: torch.float64
        import threading, time
        def late():
            time.sleep(0.3)
            print("from a thread: torch.float64")
        threading.Thread(target=late).start()  # the interpreter joins it at exit
        """,
    "NTL404/pos_warns.py": """\
        # runtime: warns UserWarning: The given NumPy array is not writable
        import warnings
        warnings.warn("The given NumPy array is not writable, and PyTorch ...")
        """,
    "NTL202/pos_cuda_only.py": """\
        # runtime: cuda raises TypeError: can't convert cuda:0 device type tensor to numpy
        raise SystemExit("must never run on a host without CUDA")
        """,
    "NTL301/pos_nocuda.py": """\
        # runtime: nocuda raises AssertionError|RuntimeError: Torch not compiled with CUDA enabled || No CUDA GPUs
        import os
        raise AssertionError("Torch not compiled with CUDA enabled" if os.environ.get("CUDA_VISIBLE_DEVICES") is None
                             else "No CUDA GPUs are available")
        """,
    "NTL501/pos_hangs.py": """\
        # runtime: warns UserWarning: extremely slow
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

EXPECTED = {
    "NTL403/pos_matches.py": (CONFIRMED, "raised ValueError"),
    "NTL403/pos_wrong_message.py": (FAILED, "contains none of"),
    "NTL403/pos_wrong_type.py": (FAILED, "raised TypeError, expected ValueError"),
    "NTL403/pos_no_error.py": (FAILED, "without an uncaught exception"),
    "NTL101/neg_clean.py": (CONFIRMED, "ran clean"),
    "NTL101/neg_raises.py": (FAILED, "expected a clean run"),
    "NTL101/pos_prints.py": (CONFIRMED, "printed"),
    "NTL101/pos_prints_at_exit.py": (CONFIRMED, "printed"),
    "NTL101/pos_prints_from_thread.py": (CONFIRMED, "printed"),
    "NTL404/pos_warns.py": (CONFIRMED, "warned"),
    "NTL202/pos_cuda_only.py": (SKIPPED, "needs a CUDA device"),
    "NTL301/pos_nocuda.py": (CONFIRMED, "raised AssertionError"),
    "NTL501/pos_hangs.py": (FAILED, "timed out"),
    "NTL102/neg_no_header.py": (FAILED, "invalid header: no '# runtime:' header"),
    "NTL102/neg_with_raises_header.py": (FAILED, "must run clean"),
    "NTL102/neg_network.py": (CONFIRMED, "ran clean"),
    "NTL102/neg_cwd_is_temporary.py": (CONFIRMED, "ran clean"),
    "NTL502/neg_memory_hog.py": (FAILED, "memory"),
}


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


def _check(results: List[FixtureResult]) -> None:
    by_path = {r.path: r for r in results}
    assert set(by_path) == set(EXPECTED)
    for rel, (status, reason) in EXPECTED.items():
        r = by_path[rel]
        assert r.status == status, f"{rel}: {r.status} {r.reason} | {r.observed}"
        assert reason in r.reason, f"{rel}: {r.reason!r}"
        if r.status == SKIPPED:  # skipped: never run, so never shown as passed
            assert r.returncode is None and not r.observed and r.reason, f"{rel}: {r}"


# A CPU-only config, also on a GPU host: the `cuda` fixture must be skipped.
CPU_ONLY = RunnerConfig(cuda=False, gpu_host=False, timeout=2.0, memory_bytes=2 << 30, jobs=4)


def test_runner_spawn(generated):
    results = run_fixtures(discover(generated), generated, CPU_ONLY, SpawnExecutor())
    _check(results)
    matched = next(r for r in results if r.path == "NTL403/pos_matches.py")
    assert matched.extra["raised_at_line"] == 3
    assert matched.extra["expect_markers"] == {"4": ["NTL403"]}


def test_runner_fork_server(generated, fork_server):
    _check(run_fixtures(discover(generated), generated, CPU_ONLY, fork_server))


def test_rss_watchdog_kills_child_without_rlimit(tmp_path):
    # Children that may use CUDA run without RLIMIT_AS; the watchdog holds them.
    script = tmp_path / "hog.py"
    script.write_text("import time\nhog = b'x' * (1 << 30)\ntime.sleep(30)\n")
    job = Job(str(script), str(tmp_path), {**__import__("os").environ}, timeout=20,
              memory_bytes=256 << 20, rlimit_bytes=0)
    out = SpawnExecutor().run(job)
    assert out.memory_exceeded and out.returncode is not None and out.returncode < 0


# --- the real fixtures ---------------------------------------------------------


@pytest.mark.skipif(not discover(FIXTURES), reason="no fixtures yet")
def test_real_fixtures_run_as_their_headers_say(fork_server):
    cfg = RunnerConfig(cuda=HAS_CUDA, gpu_host=HAS_CUDA)
    executor = fork_server if not HAS_CUDA else SpawnExecutor()
    results = run_fixtures(discover(FIXTURES), FIXTURES, cfg, executor)
    failed = [f"{r.path}: {r.reason} | {r.observed}" for r in results if r.status == FAILED]
    assert not failed, "\n".join(failed)
    for r in results:
        if r.status == SKIPPED:
            assert "CUDA" in r.reason, f"{r.path} skipped for a reason other than CUDA: {r.reason}"


# --- the command ---------------------------------------------------------------


def test_cli_json_cpu(capsys, tmp_path):
    from runtime_check.cli import main

    report_path = tmp_path / "r.json"
    rc = main(["--device", "cpu", "--no-fixtures", "--rules", "NTL403,ntl202", "--json", "--report", str(report_path)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert json.loads(report_path.read_text()) == out
    assert [p["code"] for p in out["probes"]] == ["NTL403", "NTL202"]
    assert out["probes"][0]["results"]["cpu"]["status"] == CONFIRMED
    assert out["probes"][1]["results"]["cpu"]["status"] == SKIPPED
    assert out["versions"]["torch"] and out["versions"]["numpy"] and "device" in out["versions"]
    assert out["summary"]["ok"] is True


def test_cli_text_and_failing_fixture_exit_code(capsys, generated):
    from runtime_check.cli import main

    rc = main(["--fixtures-only", "--fixtures-dir", str(generated), "--rules", "NTL101",
               "--isolation", "spawn", "--device", "cpu"])
    text = capsys.readouterr().out
    assert rc == 1  # NTL101/neg_raises.py fails
    assert "FAILED     NTL101/neg_raises.py" in text
    assert "confirmed  NTL101/neg_clean.py" in text
    assert "Versions: torch" in text


def test_cli_rejects_unknown_rule(capsys):
    from runtime_check.cli import main

    assert main(["--rules", "NTL999"]) == 2
    assert "unknown rule" in capsys.readouterr().err
