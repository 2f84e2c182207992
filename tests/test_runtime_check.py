"""Tests for runtime_check: the probes, the error texts they own, and the command.

The fixture side (header, judge, runner, real and vacuous fixtures) is tested
in tests/test_fixture_runner.py.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import skip_module_without_torch

skip_module_without_torch("the runtime check needs torch and NumPy")

import numpy  # noqa: E402,F401
import torch  # noqa: E402,F401

from np_torch_lint.rules import RULES_BY_CODE  # noqa: E402
from runtime_check.env import cuda_available  # noqa: E402
from runtime_check.fixture_header import read_header  # noqa: E402
from runtime_check.fixture_runner import discover  # noqa: E402
from runtime_check.probes import CODES, PROBES, Probe, call_probe, run_probe  # noqa: E402
from runtime_check.probes._base import Message, expect_raises, expect_warning  # noqa: E402
from runtime_check.results import BROKEN, CONFIRMED, SKIPPED  # noqa: E402

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


def test_probe_judge_counts_only_the_expected_exception_type():
    # A judge that let any exception stand for the expected one would confirm this.
    def wrong_type():
        raise TypeError("mat1 and mat2 must have the same dtype, but got Double and Float")

    verdict = expect_raises(wrong_type, RuntimeError, ["mat1 and mat2 must have the same dtype"], "stub")
    assert verdict.status == BROKEN and "raised TypeError, not RuntimeError" in verdict.reason
    assert verdict.observed.startswith("TypeError: ")
    # A subclass is the expected type (torch.OutOfMemoryError is a RuntimeError).
    class Narrower(RuntimeError):
        pass

    def narrower():
        raise Narrower("mat1 and mat2 must have the same dtype")

    assert expect_raises(narrower, RuntimeError, ["mat1 and mat2"], "stub").status == CONFIRMED


def test_probe_judge_counts_only_the_expected_warning_category():
    import warnings

    verdict = expect_warning(lambda: warnings.warn("The given NumPy array is not writable", DeprecationWarning),
                             UserWarning, "The given NumPy array is not writable", "stub")
    assert verdict.status == BROKEN and "no longer emits UserWarning" in verdict.reason


def test_probe_reports_broken_when_torch_raises_another_type(monkeypatch):
    import torch.nn.functional as F

    from runtime_check.probes.dtype import TARGET_INT

    def cross_entropy(*args, **kwargs):
        raise TypeError(TARGET_INT.text + " Int")  # the right words, the wrong type

    monkeypatch.setattr(F, "cross_entropy", cross_entropy)
    result = run_probe(PROBES["NTL103"], "cpu", cuda=False)
    assert result.status == BROKEN and "raised TypeError, not RuntimeError" in result.reason


@pytest.mark.parametrize("stand_in", [
    lambda a: torch.from_numpy(a).float(),
    # Even one that also reads integers as a shape is not the legacy constructor.
    lambda *a: torch.empty(a) if all(isinstance(n, int) for n in a) else torch.from_numpy(numpy.asarray(a[0])).float(),
])
def test_ntl503_probe_observes_the_legacy_constructor_itself(monkeypatch, stand_in):
    monkeypatch.setattr(torch, "FloatTensor", stand_in)
    result = run_probe(PROBES["NTL503"], "cpu", cuda=False)
    assert result.status == BROKEN, result.observations
    assert "torch.FloatTensor" in result.reason


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


def test_cli_device_cuda_without_cuda_is_an_error(capsys, monkeypatch):
    import runtime_check.env
    from runtime_check.cli import main

    monkeypatch.setattr(runtime_check.env, "cuda_available", lambda: False)
    assert main(["--device", "cuda", "--rules", "NTL403"]) == 1
    captured = capsys.readouterr()
    assert "no CUDA device" in captured.err and "confirmed" not in captured.out


def test_cli_text_and_failing_fixture_exit_code(capsys, tmp_path):
    from runtime_check.cli import main

    folder = tmp_path / "NTL403"
    folder.mkdir()
    (folder / "neg_clean.py").write_text("# runtime: clean\nprint('ok')\n")
    (folder / "neg_raises.py").write_text("# runtime: clean\nraise ValueError('x')\n")
    (folder / "pos_flip.py").write_text(
        "# runtime: raises ValueError: At least one stride in the given numpy array is negative\n"
        "import numpy as np\nimport torch\n"
        "t = torch.from_numpy(np.arange(4.0)[::-1])  # expect: NTL403\n")
    rc = main(["--fixtures-only", "--fixtures-dir", str(tmp_path), "--rules", "NTL403", "--device", "cpu"])
    text = capsys.readouterr().out
    assert rc == 1  # NTL403/neg_raises.py fails
    assert "FAILED     NTL403/neg_raises.py" in text and "expected a clean run, got exit 1" in text
    assert "confirmed  NTL403/neg_clean.py" in text
    # The verdict names the line that failed.
    assert "confirmed  NTL403/pos_flip.py" in text and "raised ValueError at line 4" in text
    assert "Versions: torch" in text


def test_cli_rejects_unknown_rule(capsys):
    from runtime_check.cli import main

    assert main(["--rules", "NTL999"]) == 2
    assert "unknown rule" in capsys.readouterr().err
