"""Each exemption and guard of the rules, the runner and the CUDA-guard heuristics, pinned by a case.

A rule's early exits say when it stays silent (a tensor that did not come from
NumPy, a module without parameters, a branch where CUDA is absent) and when a
fix is not offered (the call is not written so that the edit says the same).
Each test below is a case one of those exits decides: weakening the exit
(benchmarks/mutation/) changes the answer, and a test fails.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import List, Optional

import pytest

from np_torch_lint.lint import Report, analyze

PRELUDE = """\
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import Dataset
f64 = np.random.rand(4, 3)
f32 = np.zeros((4, 3), dtype=np.float32)
model = nn.Linear(3, 1)
"""


def reports(source: str, code: Optional[str] = None) -> List[Report]:
    found = analyze(PRELUDE + textwrap.dedent(source))
    return [r for r in found if code is None or r.code == code]


def codes(source: str) -> List[str]:
    return [r.code for r in reports(source)]


# --- NTL101, NTL102, NTL103 ------------------------------------------------------------


# Only the statements that can matter are analysed (engine/source.py): `seen = np.shape(out)`
# makes the statements that lead to `out` some of them, so a silence below is the rule's.
SEEN = "seen = np.shape(out)\n"


def test_float64_tensors_not_from_numpy_are_not_ntl101() -> None:
    assert codes("out = model(torch.zeros(4, 3, dtype=torch.float64))\n" + SEEN) == []
    assert codes("out = model(torch.from_numpy(f64))\n" + SEEN) == ["NTL101"]


def test_ntl101_no_fix_when_keywords_are_spread() -> None:
    # `**options` may hold dtype=: a cast added beside it could repeat it.
    found = reports("out = model(torch.as_tensor(f64, **options))\n", "NTL101")
    assert all(r.fix is None for r in found)


def test_ntl101_of_a_conversion_in_another_module(tmp_path: Path) -> None:
    # The conversion is helpers.py's: its finding (and fix) belong to that file, not to train.py.
    (tmp_path / "helpers.py").write_text("import numpy as np\nimport torch\n"
                                         "def load():\n    return torch.from_numpy(np.random.rand(4, 3))\n")
    main = tmp_path / "train.py"
    main.write_text("import torch.nn as nn\nfrom helpers import load\nmodel = nn.Linear(3, 1)\nout = model(load())\n")
    assert [r.code for r in analyze(main.read_text(), filename=str(main))] == []
    main.write_text("import numpy as np\nimport torch\nimport torch.nn as nn\nmodel = nn.Linear(3, 1)\n"
                    "out = model(torch.from_numpy(np.random.rand(4, 3)))\n")
    assert [r.code for r in analyze(main.read_text(), filename=str(main))] == ["NTL101"]


def test_float64_into_a_module_without_parameters_is_fine() -> None:
    assert codes("out = nn.ReLU()(torch.from_numpy(f64))\n") == []


def test_ntl101_fix_only_where_the_edit_says_the_same() -> None:
    def fix(source: str) -> object:
        (found,) = reports(source, "NTL101")
        return found.fix

    assert fix("out = model(torch.as_tensor(f64))\n") is not None
    # A legacy constructor fixes the dtype itself: no cast to add.
    assert fix("out = model(torch.DoubleTensor(f64))\n") is None
    # Imported bare: no module name to spell torch.float32 with.
    assert fix("from torch import as_tensor\nout = model(as_tensor(f64))\n") is None
    # A dtype already given (positionally): adding dtype= would repeat it.
    assert fix("out = model(torch.as_tensor(f64, torch.float64))\n") is None


def test_ntl103_is_about_numpy_targets() -> None:
    logits = "logits = model(torch.zeros(4, 3))\n"
    assert codes(logits + "out = F.cross_entropy(logits, torch.zeros(4, dtype=torch.int32))\n" + SEEN) == []
    assert codes(logits + "out = F.cross_entropy(logits, torch.from_numpy(np.zeros(4, dtype=np.int32)))\n"
                 + SEEN) == ["NTL103"]


DATASET = """\
class Items(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return {item}
"""


@pytest.mark.parametrize("item, said", [
    ("float(i)", "returns a Python float"),
    ("[float(i), 2.0]", "returns a list of Python floats"),
    ("[0.5, 1.5]", "returns a list of Python floats"),
    ("f64.mean()", "returns a NumPy float64 scalar"),
    ("f64[i]", "returns a float64 array"),
])
def test_ntl102_says_what_the_item_is(item: str, said: str) -> None:
    (found,) = reports(DATASET.format(item=item), "NTL102")
    assert said in found.message


def test_ntl102_is_silent_where_float64_is_the_default() -> None:
    assert codes(DATASET.format(item="float(i)")) == ["NTL102"]
    assert codes("torch.set_default_dtype(torch.float64)\n" + DATASET.format(item="float(i)")) == []


# --- NTL202 ------------------------------------------------------------------------------


def test_ntl202_is_silent_where_cuda_is_absent() -> None:
    source = """\
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        out = torch.zeros(3, device=device)
        if not torch.cuda.is_available():
            values = out.numpy()
        """
    assert codes(source) == []
    assert codes(source.replace("if not torch.cuda.is_available():", "if True:")) == ["NTL202"]


# --- NTL404, NTL403 ----------------------------------------------------------------------


def test_ntl404_not_when_the_conversion_moves_to_cuda() -> None:
    readonly = "mean = np.broadcast_to(f32[0], (4, 3))\n"
    assert "NTL404" in codes(readonly + "t = torch.as_tensor(mean)\n")
    assert "NTL404" not in codes(readonly + 't = torch.as_tensor(mean, device="cuda")\n')


def test_ntl403_fix_not_for_a_legacy_constructor() -> None:
    (found,) = reports("t = torch.from_numpy(np.flip(f32))\n", "NTL403")
    assert found.fix is not None
    # torch.FloatTensor(flipped) raises too, but the legacy constructor is NTL503's to replace.
    (found,) = reports("t = torch.FloatTensor(np.flip(f32))\n", "NTL403")
    assert found.fix is None


# --- NTL501, NTL502 ----------------------------------------------------------------------


def test_ntl501_is_about_lists_of_nd_arrays_given_to_tensor() -> None:
    assert codes("t = torch.tensor([f32[0], f32[1]])\n") == ["NTL501"]
    assert "NTL501" not in codes("t = torch.from_numpy([f32[0], f32[1]])\n")
    assert codes("t = torch.tensor([])\n") == []  # a list with nothing known in it
    assert codes("t = torch.tensor([np.zeros(()), np.zeros(())])\n") == []  # 0-d arrays: torch raises instead
    assert codes("t = torch.tensor({'a': f32[0], 'b': f32[1]})\n") == []  # a dict of arrays: torch raises instead


def test_ntl501_fix_only_for_a_call_whose_arguments_are_all_there() -> None:
    (found,) = reports("t = torch.tensor([f32[0], f32[1]])\n", "NTL501")
    assert found.fix is not None
    (found,) = reports("t = torch.tensor([f32[0], f32[1]], **options)\n", "NTL501")
    assert found.fix is None
    (found,) = reports("t = torch.as_tensor([f32[0], f32[1]])\n", "NTL501")
    assert found.fix is not None
    # a legacy constructor also casts: stacking is left to the user (STACKING_FIX_CONVERSIONS)
    (found,) = reports("t = torch.FloatTensor([f32[0], f32[1]])\n", "NTL501")
    assert found.fix is None


def test_ntl502_fix_only_without_other_arguments() -> None:
    source = "weights = torch.zeros(3)\nsnapshot = torch.tensor(weights{extra})\n"
    (found,) = reports(source.format(extra=""), "NTL502")
    assert found.fix is not None
    # dtype= or requires_grad= change what the copy is: detach().clone() would not say it.
    (found,) = reports(source.format(extra=", requires_grad=True"), "NTL502")
    assert found.fix is None
    # A second positional argument (torch.tensor raises on it): the fix would drop it silently.
    (found,) = reports(source.format(extra=", torch.float64"), "NTL502")
    assert found.fix is None
    # **options: what it holds is unknown.
    (found,) = reports(source.format(extra=", **options"), "NTL502")
    assert found.fix is None


# --- NTL302 ------------------------------------------------------------------------------


def test_ntl302_fix_needs_an_argument_to_follow() -> None:
    (found,) = reports("model.cuda()\nstate = torch.load('m.pt')\n", "NTL302")
    assert found.fix is not None
    (found,) = reports("model.cuda()\nstate = torch.load()\n", "NTL302")
    assert found.fix is None


# --- CUDA guards -----------------------------------------------------------------------------

PLACED = "weights = torch.zeros(3).cuda()"


@pytest.mark.parametrize("guarded", [
    f"if torch.cuda.is_available() and ready:\n    {PLACED}\n",
    f"if torch.cuda.device_count() == 0:\n    weights = torch.zeros(3)\nelse:\n    {PLACED}\n",
    f"if kind == 'cuda':\n    {PLACED}\n",
    f"if kind != 'cuda':\n    weights = torch.zeros(3)\nelse:\n    {PLACED}\n",
    f"if kind == 'cpu':\n    weights = torch.zeros(3)\nelse:\n    {PLACED}\n",
    f"from torch.cuda import is_available\nif is_available():\n    {PLACED}\n",
    f"try:\n    {PLACED}\nexcept:\n    weights = torch.zeros(3)\n",
    # `device != "cpu"` holds where the chosen device is not the CPU.
    f"if kind != 'cpu':\n    {PLACED}\n",
    # A flag set twice is no constant (no one definition to follow): its value, set from a probe, guards.
    *[f"ready = False\nready = torch.cuda.{probe}()\nif ready:\n    {PLACED}\n"
      for probe in ("is_available", "device_count", "is_initialized")],
    # Constant flags that never hold: the branch never runs.
    f"USE_A = False\nUSE_B = False\nif USE_A or USE_B:\n    {PLACED}\n",
    # The long option names the attribute: args.ready, not args.r.
    f"parser.add_argument('-r', '--ready', default=torch.cuda.is_available())\nif args.ready:\n    {PLACED}\n",
    # A CPU switch (`--cpu`, `--on-cpu`, ...): CUDA is used where it is off.
    *[f"if args.{name}:\n    weights = torch.zeros(3)\nelse:\n    {PLACED}\n"
      for name in ("cpu", "on_cpu", "only_cpu", "run_on_cpu")],
    # An annotated flag has one definition too.
    f"ready: bool = ok and torch.cuda.is_available()\nif ready:\n    {PLACED}\n",
])
def test_cuda_guards(guarded: str) -> None:
    assert codes(guarded) == []


@pytest.mark.parametrize("unguarded", [
    f"if ready:\n    {PLACED}\n",
    f"if kind == 'cpu':\n    {PLACED}\n",
    f"if torch.cuda.device_count() == 0:\n    {PLACED}\n",
    # The flag's name is bound again, by a parameter or a def: not the flag's one definition.
    f"ready = ok and torch.cuda.is_available()\ndef place(ready):\n    if ready:\n        {PLACED}\n",
    f"ready = ok and torch.cuda.is_available()\ndef ready():\n    return False\nif ready:\n    {PLACED}\n",
    # ... or by an import, an except clause, a match pattern.
    f"ready = ok and torch.cuda.is_available()\nfrom settings import ready\nif ready:\n    {PLACED}\n",
    f"ready = ok and torch.cuda.is_available()\ntry:\n    pass\nexcept OSError as ready:\n    pass\n"
    f"if ready:\n    {PLACED}\n",
    f"ready = ok and torch.cuda.is_available()\nmatch options:\n    case [*ready]:\n        pass\n"
    f"if ready:\n    {PLACED}\n",
    # A definition that reads itself is followed a few steps only (no endless recursion).
    f"ready = not ready\nif ready:\n    {PLACED}\n",
    # A test of constants holds everywhere: it says nothing of the host, even where it names CUDA.
    f"DEVICE = 'cuda'\nassert DEVICE == 'cuda'\n{PLACED}\n",
    # Only argparse's add_argument declares a command-line option with a default.
    f"settings.declare('--ready', default=torch.cuda.is_available())\nif args.ready:\n    {PLACED}\n",
    # A constant default is the user's to change on the command line.
    f"parser.add_argument('--ready', action='store_true', default=False)\nif args.ready:\n    {PLACED}\n",
    # An option named by a variable: which attribute of args it fills is unknown.
    f"parser.add_argument(OPTION, default=torch.cuda.is_available())\nif args.ready:\n    {PLACED}\n",
    # `x or True` always holds: the device is "cuda" on every host.
    "device = 'cuda' if ready or True else 'cpu'\nweights = torch.zeros(3).to(device)\n",
])
def test_not_cuda_guards(unguarded: str) -> None:
    assert codes(unguarded) == ["NTL301"]


@pytest.mark.parametrize("declared", ["'--ready', dest=NAME", "0"])
def test_odd_add_argument_calls_are_read(declared: str) -> None:
    # dest= not a literal, an option that is no string (argparse raises): the guard heuristics
    # must not trip over them (either verdict is defensible).
    source = f"parser.add_argument({declared}, default=torch.cuda.is_available())\nif args.ready:\n    {PLACED}\n"
    assert codes(source) in ([], ["NTL301"])


# --- the runner ------------------------------------------------------------------------------


def test_a_device_chosen_in_another_module_is_reported_at_this_files_placement(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text('import torch\nDEVICE = "cuda"\n')
    main = tmp_path / "train.py"
    main.write_text("import torch\nfrom settings import DEVICE\nweights = torch.zeros(3).to(DEVICE)\n")
    # settings.py places nothing, so it has no finding: this file's placement is where it can be fixed.
    reports = analyze(main.read_text(), filename=str(main))
    assert [(r.code, r.line) for r in reports] == [("NTL301", 3)] and "settings.py line 2" in reports[0].message
    main.write_text('import torch\nDEVICE = "cuda"\nweights = torch.zeros(3).to(DEVICE)\n')
    # chosen in this file: reported where it is chosen
    assert [(r.code, r.line) for r in analyze(main.read_text(), filename=str(main))] == [("NTL301", 2)]


@pytest.mark.parametrize("change, guarded", [
    ("", False),
    ('SETTINGS["use_cuda"] = torch.cuda.is_available()', True),
    ("SETTINGS.update(use_cuda=torch.cuda.is_available())", True),
    ("configure(SETTINGS)", True),
    ("print(SETTINGS.get('hidden'), list(SETTINGS.items()))", False),
])
def test_a_read_only_dict_literal_flag_is_a_constant(change: str, guarded: bool) -> None:
    source = f"""
        from elsewhere import configure
        SETTINGS = {{"use_cuda": True, "hidden": 4}}
        {change}
        if SETTINGS["use_cuda"]:
            x = torch.zeros(2).cuda()
    """
    assert ("NTL301" in codes(source)) is not guarded, change


@pytest.mark.parametrize("change, guarded", [
    ("", False),
    ("runner.on_gpu = torch.cuda.is_available()", True),
    ("setattr(runner, 'on_gpu', torch.cuda.is_available())", True),
    ("runner.__dict__.update(options)", True),
])
def test_a_class_body_flag_is_a_constant_unless_set_elsewhere(change: str, guarded: bool) -> None:
    source = f"""
        from elsewhere import options
        class Runner:
            on_gpu = True
            def place(self, x):
                if self.on_gpu:
                    return x.cuda()
                return x
        runner = Runner()
        {change}
        y = runner.place(torch.zeros(2))
    """
    assert ("NTL301" in codes(source)) is not guarded, change
