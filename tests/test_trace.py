"""`runtime_check trace`: it reports each rule where it happens, stays silent on the negatives,
changes nothing in the watched program, and leaves nothing installed behind it.

Every fixture runs twice, traced and plainly, each in its own child forked by
one batch process per mode (tests/trace_batch.py), so the whole set costs two
interpreter starts, not hundreds.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from conftest import FIXTURES, ROOT, skip_module_without_torch

skip_module_without_torch("trace runs torch programs")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from runtime_check.env import cuda_available  # noqa: E402
from runtime_check.fixture_header import read_header  # noqa: E402
from runtime_check.fixture_runner import discover  # noqa: E402
from runtime_check.linter_view import lint_fixture, named_lines  # noqa: E402

HAS_CUDA = cuda_available()
DATA = ROOT / "tests" / "data" / "trace"
BATCH = ROOT / "tests" / "trace_batch.py"
ALL = discover(FIXTURES)
POSITIVES = [p for p in ALL if p.name.startswith("pos_")]
NEGATIVES = [p for p in ALL if p.name.startswith("neg_")]

#: positives the trace cannot see, and why; each must really be missed (strict), so a fix shows here.
#: The typed legacy constructors are immutable C types, and replacing the module attribute
#: (torch.DoubleTensor and friends) while tracing is not sound: programs use them as types, not
#: only as calls (isinstance(x, torch.FloatTensor), x.type(torch.DoubleTensor),
#: torch.set_default_tensor_type(torch.FloatTensor), pickles naming them), and any stand-in
#: would change what those do.  The NTL402 store is list.append, no torch op.
_TYPED_LEGACY = "torch.{}(ndarray): the typed legacy constructors are immutable C types, and a stand-in " \
                "for the module attribute would change isinstance checks and .type() calls that use them as types"
KNOWN_MISSES = {
    "NTL402/pos_helper_returns_row_of_weight_view.py": "the stored snapshot is a row of a parameter's .numpy() "
                                                       "view (a NumPy view of a view, made in a helper): trace "
                                                       "records the .numpy() views themselves, not views of them",
    "NTL401/pos_helper_returns_score_after_shuffling_argument_view.py": "the .numpy() view is made and shuffled "
                                                                         "inside the helper and freed when it "
                                                                         "returns: a NumPy-side write is checked "
                                                                         "at a later read of the tensor only while "
                                                                         "its view is alive",
    "NTL402/pos_helper_snapshot_compared_by_helper.py": "as for pos_weight_before_step_compared.py: a dict of "
                                                        "parameter views returned by a helper (not stored in a "
                                                        "loop) is not recorded",
    "NTL402/pos_shared_buffer_rows.py": "the store is list.append of a tensor (no torch op) and the NumPy-side "
                                        "write is seen only at the later read, a line the finding does not name",
    "NTL402/pos_weight_before_step_compared.py": "trace watches snapshots stored in loops and state_dict() views "
                                                 "compared later; a single parameter's .numpy() view kept as "
                                                 "'before' is not recorded",
    "NTL402/pos_weight_update_ratio_difference.py": "as for pos_weight_before_step_compared.py: a parameter "
                                                    "view kept as 'before' (np.asarray of the detached weight) "
                                                    "is not recorded; trace sees the step's writes as NTL401",
    "NTL101/pos_custom_collate_stacks_float64_windows.py": "trace reports the float64 batch as NTL102, born "
                                                           "in __getitem__ (line 24, which the linter's NTL102 "
                                                           "names too), not as NTL101 at the collate_fn's "
                                                           "conversion",
    "NTL501/pos_legacy_floattensor_of_array_list.py": _TYPED_LEGACY.format("FloatTensor"),
    "NTL503/pos_checkpoint_doubletensor.py": _TYPED_LEGACY.format("DoubleTensor"),
    "NTL503/pos_dataset_floattensor.py": _TYPED_LEGACY.format("FloatTensor"),
    "NTL503/pos_bundled_dataset_scaled_legacy_constructor.py": _TYPED_LEGACY.format("FloatTensor"),
    "NTL503/pos_eval_inttensor_predictions.py": _TYPED_LEGACY.format("IntTensor"),
    "NTL503/pos_int32_labels_longtensor.py": _TYPED_LEGACY.format("LongTensor"),
    "NTL503/pos_shuffled_minibatches_floattensor.py": _TYPED_LEGACY.format("FloatTensor"),
}


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["CUDA_VISIBLE_DEVICES"] = env.get("CUDA_VISIBLE_DEVICES", "") if HAS_CUDA else ""
    return env


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """{'traced'|'plain': {fixture path: result}}, both batches run side by side."""
    out = tmp_path_factory.mktemp("trace_batch")
    programs = [str(p) for p in ALL]
    procs = {
        mode: subprocess.Popen([sys.executable, str(BATCH), str(out / f"{mode}.json"),
                                *(["--plain"] if mode == "plain" else []), *programs],
                               cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for mode in ("traced", "plain")
    }
    results: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for mode, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=1800)
        assert proc.returncode == 0, stderr[-3000:]
        with open(out / f"{mode}.json", encoding="utf-8") as f:
            results[mode] = {r["program"]: r for r in json.load(f)}
    return results


def _rel(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def _params(paths: List[Path]) -> List[Any]:
    params = []
    for p in paths:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[_rel(p)])] if _rel(p) in KNOWN_MISSES else []
        params.append(pytest.param(p, id=_rel(p), marks=marks))
    return params


def _ends(finding: Dict[str, Any]) -> List[int]:
    """The lines a trace finding names: where the value was born, where it failed, and the calls
    that led there (a helper's write is the linter's finding at the call)."""
    sites = [site for site in (finding["origin"], finding["failure"]) if site] + finding.get("called_from", [])
    return [site["line"] for site in sites]


@pytest.mark.parametrize("path", _params(POSITIVES))
def test_positive_fixture_is_reported_at_a_flagged_line(path: Path, runs: Dict[str, Any]) -> None:
    code = path.parent.name
    if read_header(path).needs == "cuda" and not HAS_CUDA:
        pytest.skip("no CUDA device")
    result = runs["traced"][str(path)]
    assert result["report"] is not None, result["stderr"][-2000:]
    named = named_lines(lint_fixture(path), code)
    assert named, f"the linter names no {code} line here"
    findings = result["report"]["findings"]
    hits = [f for f in findings if f["code"] == code and set(_ends(f)) & set(named)]
    assert hits, f"no {code} at lines {sorted(named)}: {[(f['code'], _ends(f)) for f in findings]}"
    for f in hits:  # the ends are the fixture's own lines, never torch's or the trace's
        assert all(site["file"].endswith(path.name)
                   for site in [f["origin"], f["failure"], *f.get("called_from", [])] if site)


@pytest.mark.parametrize("path", _params(NEGATIVES))
def test_negative_fixture_draws_nothing(path: Path, runs: Dict[str, Any]) -> None:
    if read_header(path).needs == "cuda" and not HAS_CUDA:
        pytest.skip("no CUDA device")
    result = runs["traced"][str(path)]
    assert result["report"] is not None, result["stderr"][-2000:]
    assert result["report"]["findings"] == [], result["report"]["findings"]


_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<name>.*)$')


def _program_view(stderr: str, program: str) -> List[str]:
    """stderr with tracebacks reduced to the program's own frames and the exception (a global module
    hook sends torch's module call through its slower path, whose internal frames differ), and
    durations (unittest's "Ran 1 test in 0.000s") left out."""
    kept: List[str] = []
    stderr = re.sub(r"\b\d+\.\d+s\b", "<seconds>", stderr)
    skip_source = False
    for line in stderr.split("\n"):
        frame = _FRAME.match(line)
        if frame:
            skip_source = frame.group("file") != program
            if not skip_source:
                kept.append(line)
            continue
        if line.startswith("    ") and skip_source:
            continue
        skip_source = False
        kept.append(line)
    return kept


def test_fixture_outputs_are_the_same_with_and_without_trace(runs: Dict[str, Any]) -> None:
    different = []
    for program, plain in runs["plain"].items():
        traced = runs["traced"][program]
        program_stderr = traced["stderr"].split("runtime_check trace: ")[0]
        if (traced["exit"], traced["stdout"], _program_view(program_stderr, program)) != \
                (plain["exit"], plain["stdout"], _program_view(plain["stderr"], program)):
            different.append(program)
    assert len(runs["plain"]) == len(ALL)
    assert not different, different


def test_every_fixture_ran_to_its_end_under_trace(runs: Dict[str, Any]) -> None:
    broken = [p for p, r in runs["traced"].items() if r["report"] is None or "internal error" in r["stderr"]]
    assert not broken


# --- a program the static analysis cannot follow -------------------------------------------


def _trace(args: List[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runtime_check", "trace", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=timeout)


def test_value_from_a_module_chosen_at_run_time_is_missed_statically(tmp_path: Path) -> None:
    project = DATA / "project"
    report = tmp_path / "trace.json"
    sarif = tmp_path / "trace.sarif"
    done = _trace(["--compare", "--json", str(report), "--sarif", str(sarif), "--", "python", "train.py"], project)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "loss dtype: torch.float64\nsummary: torch.float64\n"
    data = json.loads(report.read_text(encoding="utf-8"))
    by_code = {f["code"]: f for f in data["findings"]}
    assert set(by_code) == {"NTL101", "NTL502"}
    promoted = by_code["NTL101"]
    assert (promoted["origin"]["file"], promoted["origin"]["line"]) == ("train.py", 19)
    assert (promoted["failure"]["file"], promoted["failure"]["line"]) == ("train.py", 22)
    assert (by_code["NTL502"]["origin"]["line"], by_code["NTL502"]["failure"]["line"]) == (24, 24)
    assert promoted["static"] == "missed by static analysis"
    assert by_code["NTL502"]["static"] == "flagged statically too"
    assert [(s["code"], s["line"], s["status"]) for s in data["static_findings"]] == \
        [("NTL502", 24, "seen at run time")]
    assert data["missed_by_static_analysis"] == 1
    # the block a user copies into a bug report names both ends, with their source
    block = done.stderr.split("----- missed by static analysis")[1].split("----- end -----")[0]
    assert "train.py:19: targets = torch.from_numpy(getattr(store, LOADER)(16))" in block
    assert "train.py:22: loss = F.mse_loss(model(features), targets)" in block
    assert "NTL502" not in block
    results = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results) == \
        [("NTL101", 22), ("NTL502", 24)]


def test_no_watch_turns_a_watcher_off(tmp_path: Path) -> None:
    report = tmp_path / "trace.json"
    done = _trace(["--no-watch", "NTL101", "--json", str(report), "--", "python", "train.py"], DATA / "project")
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [f["code"] for f in data["findings"]] == ["NTL502"]
    assert "NTL101" not in data["watching"]


_STATE_DICT_PROGRAM = """\
import torch
import torch.nn as nn

net = nn.Linear(3, 1)
same = net.state_dict()
net.load_state_dict(same)  # its own values back: no change
print(torch.equal(same["weight"], net.weight), same["weight"].equal(net.weight))
kept = net.state_dict()
with torch.no_grad():
    net.weight.mul_(2.0)
print(torch.allclose(input=kept["weight"], other=net.weight), net.state_dict(keep_vars=True)["weight"] is net.weight)
"""


@pytest.mark.parametrize("off", [False, True])
def test_state_dict_snapshot_read_after_an_in_place_change(off: bool, tmp_path: Path) -> None:
    """A state_dict() loaded onto itself stays silent (its copy bumps the versions, changes nothing);
    one compared after a write through the parameter is NTL402 at its line; --no-watch NTL402 turns it off."""
    script = tmp_path / "snap.py"
    script.write_text(_STATE_DICT_PROGRAM, encoding="utf-8")
    report = tmp_path / "trace.json"
    done = _trace([*(["--no-watch", "NTL402"] if off else []), "--json", str(report), "--", "python", str(script)],
                  tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "True True\nTrue True\n"
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    seen = [(f["code"], f["origin"]["line"], f["failure"]["line"]) for f in findings]
    assert seen == ([] if off else [("NTL402", 8, 11)]), seen
    if not off:
        assert "weight: 1 in-place write(s)" in findings[0]["message"]


def test_dataloader_with_worker_processes(tmp_path: Path) -> None:
    report = tmp_path / "trace.json"
    done = _trace(["--json", str(report), "--", "python", str(DATA / "loader_workers.py")], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "batch dtype: torch.float64 total: 276.0\n"
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    assert [(f["code"], f["origin"]["line"], f["failure"]["line"], f["count"]) for f in findings] == \
        [("NTL102", 15, 22, 3)]


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_findings_in_worker_processes_and_threads_reach_the_report(start: str, tmp_path: Path) -> None:
    report = tmp_path / "trace.json"
    done = _trace(["--json", str(report), "--", "python", str(DATA / "worker_findings.py"),
                   *(["spawn"] if start == "spawn" else [])], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "total: 276.0 thread: torch.float64\n"
    data = json.loads(report.read_text(encoding="utf-8"))
    seen = sorted((f["code"], f["origin"]["line"], f["failure"]["line"], f["count"]) for f in data["findings"])
    assert seen == [
        ("NTL101", 19, 20, 12),  # in the workers: each of the 12 rows promoted by the float32 scale
        ("NTL101", 32, 24, 1),  # in a thread: a tensor born in the main thread meets float32 math
        ("NTL102", 18, 30, 3),  # in the parent: the 3 float64 batches
    ], seen
    assert not [n for n in data["notes"] if "worker" in n], data["notes"]


def test_pytest_plugin_and_pytest_command(tmp_path: Path) -> None:
    suite = DATA / "pytest_suite"
    as_plugin = tmp_path / "plugin.json"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "runtime_check.trace",
                           "--trace-json", str(as_plugin), "test_model.py"], cwd=suite, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    as_command = tmp_path / "command.json"
    done = _trace(["--json", str(as_command), "--", "pytest", "-q", "-p", "no:cacheprovider", "test_model.py"], suite)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in (as_plugin, as_command):
        findings = json.loads(path.read_text(encoding="utf-8"))["findings"]
        assert [(f["code"], f["origin"]["line"], f["failure"]["line"]) for f in findings] == [("NTL101", 9, 10)]


def test_a_failing_program_keeps_its_status_and_traceback(tmp_path: Path) -> None:
    script = tmp_path / "fails.py"
    script.write_text("import numpy as np\nimport torch\n\nx = torch.from_numpy(np.ones(3)[::-1])\n", encoding="utf-8")
    plain = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    traced = _trace(["--", "python", str(script)], tmp_path)
    assert traced.returncode == plain.returncode == 1
    assert traced.stderr.startswith(plain.stderr)
    assert "NTL403 torch.from_numpy of an array with negative strides" in traced.stderr
    assert "fails.py:4" in traced.stderr


@pytest.mark.parametrize("args, says", [
    ([], "no command given"),
    (["--no-watch", "NTL999", "--", "python", "x.py"], "unknown code(s) in --no-watch: NTL999"),
    (["--", "python", "no_such_script.py"], "can't open file 'no_such_script.py'"),
    (["--", "python", "-c", "print(1)"], "unsupported python option '-c'"),
])
def test_bad_usage_says_why_in_one_line(args: List[str], says: str, tmp_path: Path) -> None:
    done = _trace(args, tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and says in done.stderr, done.stderr


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
def test_placements_are_grouped_by_site_on_a_gpu_host(tmp_path: Path) -> None:
    script = tmp_path / "place.py"
    script.write_text("import torch\n\nfor _ in range(3):\n    x = torch.zeros(2).cuda()\n", encoding="utf-8")
    report = tmp_path / "trace.json"
    done = _trace(["--json", str(report), "--", "python", str(script)], tmp_path)
    assert done.returncode == 0, done.stderr
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    assert [(f["code"], f["failure"]["line"], f["count"]) for f in findings] == [("NTL301", 4, 3)]


def test_placements_grouping_with_a_fake_cuda_device() -> None:
    """The NTL301 grouping on a GPU host, run here with stand-in tensors that say they are on CUDA
    (the GPU path itself is `skipped: no CUDA device` without one)."""
    from runtime_check.trace.ops import OpWatcher
    from runtime_check.trace.report import render_text
    from runtime_check.trace.state import TraceState

    class OnDevice:
        def __init__(self, device: str) -> None:
            self.device = torch.device(device)

    state = TraceState([str(Path(__file__).parent)])
    state.cuda = True
    watcher = OpWatcher(state)
    watcher.tensor_type = OnDevice

    def place(result: Any, *inputs: Any) -> None:
        watcher._placement(result, list(inputs), sys._getframe(1))

    for _ in range(3):
        place(OnDevice("cuda:0"), OnDevice("cpu"))  # one call site, three placements
    place(OnDevice("cuda:1"))  # another site
    place(OnDevice("cuda:0"), OnDevice("cuda:0"))  # already on CUDA: no placement
    place(OnDevice("cpu"), OnDevice("cpu"))  # stays on the CPU
    findings = state.recorder.findings()
    assert [(f.code, f.count) for f in findings] == [("NTL301", 3), ("NTL301", 1)]
    assert findings[0].failure is not None and findings[0].failure.file == __file__
    assert findings[1].failure is not None and findings[1].failure.line == findings[0].failure.line + 1
    assert "placement on cuda:0" in findings[0].message and "placement on cuda:1" in findings[1].message
    text = render_text(["python", "x.py"], 0, findings, [])
    assert "which a run cannot see" in text and "seen      3 times" in text


# --- nothing is left behind ----------------------------------------------------------------


def _installed_state() -> Dict[str, Any]:
    from torch.autograd.profiler import record_function
    from torch.nn.modules import module
    from torch.utils.data import dataloader

    return {
        "from_numpy": torch.from_numpy, "as_tensor": torch.as_tensor, "asarray": torch.asarray,
        "tensor": torch.tensor, "load": torch.load, "equal": torch.equal, "allclose": torch.allclose,
        "state_dict": torch.nn.Module.__dict__["state_dict"],
        "load_state_dict": torch.nn.Module.__dict__["load_state_dict"], "serialization.load": torch.serialization.load,
        "restore": torch.serialization.default_restore_location, "set_default_device": torch.set_default_device,
        "Tensor.__dict__": sorted(torch.Tensor.__dict__), "next": dataloader._BaseDataLoaderIter.__next__,
        "np.empty": np.empty, "np.empty_like": np.empty_like,
        "zero_grad": torch.optim.Optimizer.__dict__["zero_grad"],
        "record_function": (record_function.__dict__["__enter__"], record_function.__dict__["__exit__"]),
        "pre_hooks": len(module._global_forward_pre_hooks),
        "modes": torch._C._len_torch_function_stack(),
    }


def test_install_then_uninstall_restores_everything() -> None:
    from runtime_check.trace.session import TraceSession

    before = _installed_state()
    session = TraceSession([str(ROOT)]).install()
    during = _installed_state()
    patched = [k for k in before if k not in ("pre_hooks", "modes")]
    assert all(during[k] != before[k] for k in patched), [k for k in patched if during[k] == before[k]]
    # the op watcher and the module hook wait for a watched tensor, and stop when it is gone
    assert (during["modes"], during["pre_hooks"]) == (before["modes"], before["pre_hooks"])
    born = torch.from_numpy(np.ones(3))
    on = _installed_state()
    assert (on["modes"], on["pre_hooks"]) == (before["modes"] + 1, before["pre_hooks"] + 1)
    del born
    session.state.settle()
    off = _installed_state()
    assert (off["modes"], off["pre_hooks"]) == (before["modes"], before["pre_hooks"])
    still_alive = torch.from_numpy(np.ones(3))  # uninstall while they run
    assert _installed_state()["modes"] == before["modes"] + 1
    session.uninstall()
    assert _installed_state() == before
    assert still_alive.dtype == torch.float64
    session.uninstall()  # twice is harmless
    assert _installed_state() == before


def test_calls_without_anything_watched_go_past_the_op_watcher() -> None:
    """zero_grad(set_to_none=True) of a torch optimizer, record_function and default_collate's stack
    of NumPy samples: the op watcher (on while a NumPy-shared tensor lives) sees none of them, unless
    a parameter is watched; its own ops still reach it."""
    from torch.utils.data import DataLoader

    from runtime_check.trace import ops
    from runtime_check.trace.session import TraceSession

    seen: List[str] = []
    original = ops.OpWatcher.__torch_function__

    def counting(self: Any, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        seen.append(getattr(func, "__name__", str(func)))
        return original(self, func, types, args, kwargs)

    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader([(np.ones(3, dtype=np.float32), np.int64(1))] * 4, batch_size=2)
    ops.OpWatcher.__torch_function__ = counting  # type: ignore[method-assign]
    session = TraceSession([str(ROOT)]).install()
    try:
        shared = torch.from_numpy(np.ones(3, dtype=np.float32))  # the op watcher is on from here
        model(shared).sum().backward()
        seen.clear()
        opt.zero_grad()
        for xb, yb in loader:
            assert xb.shape == (2, 3) and yb.tolist() == [1, 1]
        # the sampler's seed (empty, random_, item) and the loop's own reads are the program's ops
        assert not {"__set__", "stack", "as_tensor", "_record_function_enter_new",
                    "_record_function_exit._RecordFunction"} & set(seen), seen
        assert "tolist" in seen
        watched = torch.nn.Parameter(torch.from_numpy(np.ones(3, dtype=np.float32)))
        watched.grad = torch.ones(3)
        seen.clear()
        torch.optim.SGD([watched], lr=0.1).zero_grad()
        assert watched.grad is None and "__get__" in seen, seen
        assert torch._C._len_torch_function_stack() == 1  # pushed back after the zero_grad it left
        del shared, watched
    finally:
        session.uninstall()
        ops.OpWatcher.__torch_function__ = original  # type: ignore[method-assign]


def test_the_command_leaves_nothing_installed_even_when_the_program_fails(tmp_path: Path) -> None:
    from runtime_check.trace.cli import main

    script = tmp_path / "boom.py"
    script.write_text("import torch\nraise ValueError('boom')\n", encoding="utf-8")
    before = _installed_state()
    saved = sys.argv[:]
    assert main(["--", "python", str(script)]) == 1
    assert _installed_state() == before
    assert sys.argv == saved
