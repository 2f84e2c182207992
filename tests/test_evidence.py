"""NTL302's evidence (code, never words) and the flags NTL301/NTL302 take for guards.

Each fact comes with its look-alike: the finding where the evidence holds, silence where
it does not.
"""
from __future__ import annotations

import ast
import os
import textwrap
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from np_torch_lint.cache import Cache
from np_torch_lint.engine import evidence
from np_torch_lint.engine.checkpoints import FileCheckpoints, code_uses_cuda
from np_torch_lint.lint import analyze
from np_torch_lint.parallel import lint_file

HEADER = "import os\nimport torch\nimport torch.nn as nn\n"


def _codes(source: str) -> List[str]:
    return [r.code for r in analyze(HEADER + textwrap.dedent(source))]


def _project(root: Path, files: Dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HEADER + textwrap.dedent(text))
    return root


def _findings(path: Path) -> List[Tuple[int, str]]:
    return [(r.line - HEADER.count("\n"), r.code) for r in analyze(path.read_text(), filename=str(path))
            if r.code == "NTL302"]


# --- CUDA use: code, not words -------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "model = nn.Linear(2, 2).cuda()",
    "ok = torch.cuda.is_available()",
    "x = torch.zeros(2, device='cuda:0')",
    "device = torch.device('cuda')",
    "t = torch.zeros(2).type('torch.cuda.FloatTensor')",
    "from torch import cuda\nn = cuda.device_count()",
])
def test_code_that_uses_cuda(code: str) -> None:
    assert code_uses_cuda(ast.parse(HEADER + code))


@pytest.mark.parametrize("code", [
    "# trained with cuda on the cluster\nmodel = nn.Linear(2, 2)",
    '"""Weights from a cuda run."""\nmodel = nn.Linear(2, 2)',
    "print('no cuda here, the cuda box is elsewhere')",
    "if args.cuda:\n    pass",  # a flag's name is no use of CUDA
])
def test_words_are_no_cuda_use(code: str) -> None:
    assert not code_uses_cuda(ast.parse(HEADER + code))


def test_a_comment_no_longer_makes_a_load_a_finding() -> None:
    load = "model = nn.Linear(2, 2)\nmodel.load_state_dict(torch.load('w.pt'))\n"
    assert _codes("# saved on a cuda box\n" + load) == []
    assert _codes("model_gpu = nn.Linear(2, 2).to('cuda' if torch.cuda.is_available() else 'cpu')\n" + load) \
        == ["NTL302"]


# --- what a save stores ----------------------------------------------------------------------

def _saves(source: str) -> List[bool]:
    tree = ast.parse(HEADER + textwrap.dedent(source))
    return [site.cpu for site in FileCheckpoints(tree, code_uses_cuda(tree)).saves]


@pytest.mark.parametrize("saved", [
    "model.cpu().state_dict()",
    "{k: v.cpu() for k, v in model.state_dict().items()}",
    "{'epoch': 3, 'weights': model.to('cpu').state_dict(), 'name': f'run{3}'}",
    "[t.detach().cpu() for t in outputs]",
    "outputs[0].numpy()",
    "outputs[0].tolist()",
    "{'loss': outputs[0].item()}",
    "torch.load('a.pt', map_location='cpu')",
    "torch.load('a.pt', map_location=lambda storage, loc: storage)",
])
def test_saves_of_cpu_data(saved: str) -> None:
    assert _saves(f"def save(model, outputs):\n    torch.save({saved}, 'b.pt')\n") == [True]


@pytest.mark.parametrize("method", ["clone()", "detach()", "contiguous()", "float()", "double()", "half()",
                                    "bfloat16()", "view(-1)", "reshape(-1)", "squeeze()", "unsqueeze(0)",
                                    "permute(0)", "state_dict().copy()"])
def test_methods_that_keep_the_cpu(method: str) -> None:
    # Each keeps its receiver's device: of CPU data, CPU data; of a parameter, the caller's device.
    assert _saves(f"def save(outputs):\n    torch.save(outputs[0].cpu().{method}, 'b.pt')\n") == [True]
    assert _saves(f"def save(outputs):\n    torch.save(outputs[0].{method}, 'b.pt')\n") == [False]


@pytest.mark.parametrize("saved", ["model.cpu().state_dict().values()", "model.cpu().state_dict().items()"])
def test_the_entries_of_a_cpu_state_dict(saved: str) -> None:
    assert _saves(f"def save(model):\n    torch.save({saved}, 'b.pt')\n") == [True]


@pytest.mark.parametrize("saved", [
    "model.state_dict()",  # a parameter: its device is the caller's
    "{'epoch': 3, 'weights': model.state_dict()}",
    "{k: v for k, v in model.state_dict().items()}",
    "torch.load('a.pt')",
    "optimizer.state_dict()",
    # downloaded weights: what their publisher saved
    "torch.hub.load_state_dict_from_url('https://example.org/w.pth')",
    "torch.utils.model_zoo.load_url('https://example.org/w.pth')",
])
def test_saves_not_known_to_be_cpu(saved: str) -> None:
    assert _saves(f"def save(model, optimizer):\n    torch.save({saved}, 'b.pt')\n") == [False]


def test_what_is_read_back_from_bytes_is_not_known_to_be_cpu() -> None:
    # pickle.loads of bytes: what some run pickled, CUDA tensors maybe; pickle.dumps makes bytes here.
    source = "import pickle\ndef save():\n    torch.save(pickle.{call}, 'b.pt')\n"
    assert _saves(source.format(call="loads(b'...')")) == [False]
    assert _saves(source.format(call="dumps(3)")) == [True]


def test_a_name_holds_cpu_data_only_when_every_binding_does() -> None:
    assert _saves("def save(model):\n    state = model.cpu().state_dict()\n    torch.save(state, 'a.pt')\n") == [True]
    assert _saves("def save(model, fast):\n    state = model.cpu().state_dict()\n    if fast:\n"
                  "        state = model.state_dict()\n    torch.save(state, 'a.pt')\n") == [False]


def test_a_model_built_in_a_file_without_cuda_saves_cpu_tensors() -> None:
    built = "class Net(nn.Module):\n    pass\n\ndef fit():\n    net = Net()\n    net.train()\n" \
            "    torch.save(net.state_dict(), 'net.pt')\n"
    assert _saves(built) == [True]
    assert _saves(built.replace("net = Net()", "net = nn.Linear(2, 2)")) == [True]
    # Look-alikes: the file uses CUDA; the model is moved; a list is filled with a caller's tensors.
    assert _saves(built + "\nprobe = torch.cuda.is_available()\n") == [False]
    assert _saves(built.replace("    net.train()", "    net.to(dev)")) == [False]
    assert _saves("def keep(tensors):\n    kept = []\n    for t in tensors:\n        kept.append(t)\n"
                  "    torch.save(kept, 'kept.pt')\n") == [False]


@pytest.mark.parametrize("method", sorted(__import__("np_torch_lint.engine.checkpoints", fromlist=["x"])._MOVING_OR_FILLING))
def test_a_name_moved_or_filled_by_a_method_holds_what_came_in(method: str) -> None:
    keep = "def keep(t):\n    kept = list()\n{call}    torch.save(kept, 'kept.pt')\n"
    assert _saves(keep.format(call="")) == [True], "built here from a builtin: CPU data"
    assert _saves(keep.format(call=f"    kept.{method}(t)\n")) == [False]


def test_path_tails_match_a_load_to_its_save() -> None:
    tree = ast.parse(HEADER + textwrap.dedent("""
        def save(model, args):
            torch.save(model.state_dict(), os.path.join(args.save_dir, args.env + ".pt"))
            torch.save(model.state_dict(), "runs/%s_best.pth" % args.env)
            with open(os.path.join(args.save_dir, "cache.pt"), "wb") as handle:
                torch.save(model, handle)

        def load(args):
            a = torch.load(os.path.join(args.load_dir, args.env + ".pt"))
            b = torch.load("old/%s_best.pth" % args.name)
            c = torch.load(os.path.join("elsewhere", "cache.pt"))
            d = torch.load(os.path.join(args.load_dir, ".pt"))
    """))
    found = FileCheckpoints(tree, False)
    tails = [site.tail for site in found.saves]
    loads = sorted(found.loads.values(), key=lambda site: str(site.tail))
    assert sorted(str(t) for t in tails) == sorted(str(load.tail) for load in loads if load.tail is not None)
    assert sum(1 for load in loads if load.tail is None) == 1, "a bare extension names no file"


def test_weights_loads() -> None:
    tree = ast.parse(HEADER + textwrap.dedent("""
        def restore(model, path):
            model.load_state_dict(torch.load(path))
            checkpoint = torch.load(path + ".ckpt")
            model.load_state_dict(checkpoint["model"])
            stats = torch.load(path + ".stats")
            return stats["mean"]
    """))
    found = FileCheckpoints(tree, False)
    assert sorted(site.weights for site in found.loads.values()) == [False, True, True]


# --- the project ------------------------------------------------------------------------------

TRAIN_ON_GPU = """
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    policy = nn.Linear(4, 2).to(device)
    torch.save(policy.state_dict(), "runs/policy.pt")
"""
PLAY = """
    policy = nn.Linear(4, 2)
    policy.load_state_dict(torch.load("runs/policy.pt"))
"""


def test_a_load_in_a_project_that_trains_on_gpu(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", {"train.py": TRAIN_ON_GPU, "play.py": PLAY})
    assert _findings(root / "play.py") == [(3, "NTL302")]


def test_a_project_that_saves_cpu_tensors(tmp_path: Path) -> None:
    cpu = TRAIN_ON_GPU.replace("policy.state_dict()", "{k: v.cpu() for k, v in policy.state_dict().items()}")
    root = _project(tmp_path / "p", {"train.py": cpu, "play.py": PLAY})
    assert _findings(root / "play.py") == []


def test_every_save_of_the_project_on_the_cpu_covers_paths_it_does_not_name(tmp_path: Path) -> None:
    cpu = TRAIN_ON_GPU.replace("policy.state_dict()", "policy.cpu().state_dict()")
    other = PLAY.replace("runs/policy.pt", "exports/policy_v2.pt")
    root = _project(tmp_path / "p", {"train.py": cpu, "play.py": other})
    assert _findings(root / "play.py") == []
    root = _project(tmp_path / "q", {"train.py": TRAIN_ON_GPU, "play.py": other})
    assert _findings(root / "play.py") == [(3, "NTL302")]
    # Without a file name (stdin), the file's own saves are all there is to see.
    alone = ("model = nn.Linear(2, 2).to('cuda' if torch.cuda.is_available() else 'cpu')\n"
             "def export():\n    torch.save(model.cpu().state_dict(), 'm.pt')\n"
             "def restore():\n    model.load_state_dict(torch.load('other.pt'))\n")
    assert _codes(alone) == []
    assert _codes(alone.replace("model.cpu().state_dict()", "model.state_dict()")) == ["NTL302"]


def test_a_project_without_cuda_code(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", {"train.py": "# runs on cuda hosts too\n" + TRAIN_ON_GPU.replace(
        'torch.device("cuda" if torch.cuda.is_available() else "cpu")', '"cpu"'), "play.py": PLAY})
    assert _findings(root / "play.py") == []


def test_project_cuda_counts_for_weights_and_for_gpu_saves_of_the_path(tmp_path: Path) -> None:
    data = """
        stats = torch.load("runs/stats.pt")
        mean = stats["mean"]
    """
    root = _project(tmp_path / "p", {"train.py": TRAIN_ON_GPU, "report.py": data})
    assert _findings(root / "report.py") == [], "data in a file that never uses CUDA"
    (root / "train.py").write_text(HEADER + textwrap.dedent(TRAIN_ON_GPU) + "torch.save({'mean': policy.weight.mean(0)}, 'runs/stats.pt')\n")
    os.utime(root / "train.py", (time.time() + 5, time.time() + 5))
    assert _findings(root / "report.py") == [(2, "NTL302")], "the project saves that path from a CUDA file"


def test_third_party_and_hidden_folders_are_not_the_project(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", {"play.py": PLAY})
    for folder in (".venv/lib", "env/lib/python3.11/site-packages/pkg", "node_modules/x", "build/lib"):
        (root / folder).mkdir(parents=True)
        (root / folder / "gpu.py").write_text(HEADER + "x = torch.zeros(2).cuda()\n")
    (root / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    for environment, marker in (("tools_env", "pyvenv.cfg"), ("conda_env", "conda-meta")):
        (root / environment / "bin").mkdir(parents=True)
        (root / environment / "bin" / "gpu.py").write_text(HEADER + "x = torch.zeros(2).cuda()\n")
        (root / environment / marker).touch()
    assert _findings(root / "play.py") == []
    (root / "tools").mkdir()
    (root / "tools" / "gpu.py").write_text(HEADER + "x = torch.zeros(2).cuda()\n")
    os.utime(root / "tools", (time.time() + 5, time.time() + 5))
    assert _findings(root / "play.py") == [(3, "NTL302")], "a project folder is read (and a new one noticed)"


def test_an_installed_packages_file_is_judged_alone(tmp_path: Path) -> None:
    # A package installed in the project's own environment is linted alone (engine.interpret):
    # the project above site-packages (which trains on GPU) is no evidence about its loads.
    root = _project(tmp_path / "p", {"train.py": TRAIN_ON_GPU, "play.py": PLAY})
    installed = root / ".venv" / "lib" / "python3.11" / "site-packages" / "pkg"
    installed.mkdir(parents=True)
    (installed / "play.py").write_text(HEADER + textwrap.dedent(PLAY))
    assert _findings(root / "play.py") == [(3, "NTL302")]
    assert _findings(installed / "play.py") == []


def test_without_a_root_only_the_files_folder_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "play.py").write_text(HEADER + textwrap.dedent(PLAY))
    (folder / "sub").mkdir()
    (folder / "sub" / "train.py").write_text(HEADER + textwrap.dedent(TRAIN_ON_GPU))
    assert _findings(folder / "play.py") == []
    (folder / "train.py").write_text(HEADER + textwrap.dedent(TRAIN_ON_GPU))
    os.utime(folder, (time.time() + 5, time.time() + 5))
    assert _findings(folder / "play.py") == [(3, "NTL302")]


def test_a_bounded_scan_knows_nothing_of_what_it_did_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = TRAIN_ON_GPU.replace("policy.state_dict()", "policy.cpu().state_dict()")
    root = _project(tmp_path / "p", {"a_train.py": cpu, "play.py": PLAY, "z_other.py": "x = 1\n"})
    assert _findings(root / "play.py") == []
    monkeypatch.setattr(evidence, "MAX_FILES", 1)
    evidence._SCANS.clear()
    assert not evidence.project_scan(str(root / "play.py")).complete
    # "every save is CPU" is not known any more; the matched save of the path still is.
    assert _findings(root / "play.py") == []
    (root / "a_train.py").write_text(HEADER + textwrap.dedent(cpu).replace('"runs/policy.pt"', '"runs/other.pt"'))
    os.utime(root / "a_train.py", (time.time() + 5, time.time() + 5))
    assert _findings(root / "play.py") == [(3, "NTL302")]


def test_the_command_cache_notices_a_change_in_another_file(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", {"train.py": TRAIN_ON_GPU, "play.py": PLAY})
    cache = Cache(tmp_path / "cache")
    assert [r.code for r in lint_file(str(root / "play.py"), cache).reports] == ["NTL302"]
    cpu = TRAIN_ON_GPU.replace("policy.state_dict()", "policy.cpu().state_dict()")
    (root / "train.py").write_text(HEADER + textwrap.dedent(cpu))
    os.utime(root / "train.py", (time.time() + 5, time.time() + 5))
    assert lint_file(str(root / "play.py"), cache).reports == []
    # The same bytes in another project are that project's file: not served from the first one's entry.
    other = _project(tmp_path / "q", {"train.py": TRAIN_ON_GPU, "play.py": PLAY})
    assert [r.code for r in lint_file(str(other / "play.py"), cache).reports] == ["NTL302"]


@pytest.mark.parametrize("loader", ["torch.load", "torch.hub.load_state_dict_from_url", "torch.utils.model_zoo.load_url",
                                    "torchvision.models.utils.load_state_dict_from_url"])
def test_every_loader_row_raises_a_load_event(loader: str) -> None:
    from np_torch_lint.engine import api, interpret
    from np_torch_lint.engine.events import Load

    module, name = loader.rsplit(".", 1)
    events: List[object] = []
    interpret(f"import torch\nfrom {module} import {name}\nstate = {name}('w.pth')\n", None, None, events.append)
    loads = [e for e in events if isinstance(e, Load)]
    assert len(loads) == 1 and loads[0].from_url == api.LOADERS[loader].from_url
    assert not loads[0].map_location
    position = api.LOADERS[loader].map_location_pos
    events.clear()
    interpret(f"import torch\nfrom {module} import {name}\nstate = {name}('w.pth'{', None' * (position - 1)}, 'cpu')\n",
              None, None, events.append)
    assert [e.map_location for e in events if isinstance(e, Load)] == [True], "map_location given by position"


def test_url_loaders_are_loaders_but_never_flagged() -> None:
    gpu = "model = nn.Linear(2, 2).cuda()\n"
    assert _codes(gpu + "sd = torch.hub.load_state_dict_from_url('https://example.org/w.pth')\n") == ["NTL301"]
    assert _codes(gpu + "from torch.utils import model_zoo\nsd = model_zoo.load_url(u, None, 'cpu')\n") == ["NTL301"]
    from np_torch_lint.engine import api

    assert api.LOADERS["torch.hub.load_state_dict_from_url"].map_location_pos == 2
    assert all(loader.from_url for name, loader in api.LOADERS.items() if name != "torch.load")


# --- guard flags -------------------------------------------------------------------------------

PLACE = "model = nn.Linear(2, 2)\nif {test}:\n    model.cuda()\n"


@pytest.mark.parametrize("setup, test", [
    ("use_cuda = True", "use_cuda"),
    ("USE_GPU = 1", "USE_GPU"),
    ("DEVICE = 'cuda'", "DEVICE == 'cuda'"),
    ("use_cuda = True", "use_cuda or torch.cuda.is_available()"),
    ("use_cpu = False", "not use_cpu"),
])
def test_a_constant_flag_guards_nothing(setup: str, test: str) -> None:
    assert _codes(setup + "\n" + PLACE.format(test=test)) == ["NTL301"]


@pytest.mark.parametrize("setup, test", [
    ("use_cuda = False", "use_cuda"),  # the branch never runs
    ("DEVICE = 'cpu'", "DEVICE == 'cuda'"),
    ("use_cuda = True", "use_cuda and torch.cuda.is_available()"),
    ("use_cuda = True\ndef off():\n    global use_cuda\n    use_cuda = False", "use_cuda"),  # not a constant
    ("use_cuda = True\nuse_cuda = torch.cuda.is_available()", "use_cuda"),
    ("ok = torch.cuda.is_available()", "ok"),
    ("import argparse\nargs = argparse.ArgumentParser().parse_args()\nok = not args.slow and torch.cuda.is_available()",
     "ok"),
    ("import argparse\np = argparse.ArgumentParser()\np.add_argument('--accel', default=torch.cuda.is_available())\n"
     "args = p.parse_args()", "args.accel"),
    ("import argparse\np = argparse.ArgumentParser()\np.add_argument('--cuda', default=True)\nargs = p.parse_args()",
     "args.cuda"),  # an option's default is the user's to change
    ("import argparse\nargs = argparse.ArgumentParser().parse_args()", "not args.cpu"),
])
def test_flags_that_guard(setup: str, test: str) -> None:
    assert _codes(setup + "\n" + PLACE.format(test=test)) == []


def test_the_branch_a_constant_flag_never_takes_is_silent() -> None:
    never = "use_cuda = True\nmodel = nn.Linear(2, 2)\nif use_cuda:\n    pass\nelse:\n    model.cuda()\n"
    assert _codes(never) == []
    assert _codes(never.replace("use_cuda = True", "use_cuda = False")) == ["NTL301"]


def test_a_constant_flag_says_nothing_about_the_host() -> None:
    # `if not torch.cuda.is_available():` would make the else branch CUDA-free (NTL202 silent there);
    # a constant flag's live branch runs wherever CUDA is or is not.
    source = textwrap.dedent("""
        USE_GPU = False
        device = "cuda" if torch.cuda.is_available() else "cpu"
        net = nn.Linear(2, 2).to(device)
        if USE_GPU:
            pass
        else:
            out = net(torch.randn(1, 2)).detach().numpy()
    """)
    assert _codes(source) == ["NTL202"]


def test_a_parameter_flag_and_a_cpu_flag() -> None:
    assert _codes("def build(use_cuda=True):\n    m = nn.Linear(2, 2)\n    if use_cuda:\n        m.cuda()\n") == []
    assert _codes("def build(args):\n    m = nn.Linear(2, 2)\n    if args.cpu:\n        m.cuda()\n") == ["NTL301"]
    assert _codes("def build(args):\n    m = nn.Linear(2, 2)\n    if args.cpu_count > 1:\n        m.cuda()\n") \
        == ["NTL301"], "a longer name with cpu in it is no CPU switch"


def test_a_load_under_the_users_gpu_claim() -> None:
    gpu = "gpu_model = nn.Linear(2, 2).to('cuda' if torch.cuda.is_available() else 'cpu')\n"
    body = "def predict(args, net):\n    if not args.cpu:\n        net.load_state_dict(torch.load('w.pt'))\n"
    assert _codes(gpu + body) == []
    assert _codes(gpu + body.replace("not args.cpu", "args.cpu")) == ["NTL302"]
