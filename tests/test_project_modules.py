"""Facts that travel across the project's own modules (relative and absolute imports)."""
from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path
from typing import List, Tuple

from np_torch_lint.cache import Cache
from np_torch_lint.lint import analyze
from np_torch_lint.parallel import lint_file

UTILS = """
    import numpy as np
    import torch


    def load_features(n):
        return np.random.rand(n, 4){cast}


    def as_view(a):
        return torch.from_numpy(a)
"""
MODELS = """
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 1)

        def forward(self, x):
            return self.fc(x)
"""
TRAIN = """
    import torch
    from .utils import load_features, as_view
    from .models import Net
    from pkg import utils

    model = Net()
    x = torch.from_numpy(load_features(8))
    out = model(x)
    print(out.numpy())
    arr = utils.load_features(3)
    t = as_view(arr)
    t.mul_(2)
    print(arr.sum())
"""


def _project(root: Path, cast: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("")
    package = root / "pkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    for name, text in (("utils", UTILS.format(cast=cast)), ("models", MODELS), ("train", TRAIN)):
        (package / f"{name}.py").write_text(textwrap.dedent(text))
    return package / "train.py"


def _codes(path: Path) -> List[Tuple[int, str]]:
    return [(r.line, r.code) for r in analyze(path.read_text(), filename=str(path))]


def test_facts_born_in_other_modules_reach_the_sinks(tmp_path: Path) -> None:
    train = _project(tmp_path)
    assert _codes(train) == [(8, "NTL101"), (10, "NTL201"), (13, "NTL401")]
    messages = " ".join(r.message for r in analyze(train.read_text(), filename=str(train)))
    assert "utils.py line 7" in messages and "models.py line 11" in messages  # the other module is named


def test_without_a_filename_imports_stay_unknown(tmp_path: Path) -> None:
    train = _project(tmp_path)
    assert analyze(train.read_text()) == []


def test_a_cast_in_the_other_module_silences_the_dtype_finding(tmp_path: Path) -> None:
    train = _project(tmp_path, cast=".astype(np.float32)")
    assert (8, "NTL101") not in _codes(train)
    assert (10, "NTL201") in _codes(train)


def test_the_cache_notices_a_changed_module(tmp_path: Path) -> None:
    train = _project(tmp_path / "project")
    cache = Cache(tmp_path / "cache")
    first = lint_file(str(train), cache)
    assert ("NTL101", 8) in [(r.code, r.line) for r in first.reports]
    utils = train.parent / "utils.py"
    utils.write_text(textwrap.dedent(UTILS.format(cast=".astype(np.float32)")))
    stamp = time.time() + 5
    os.utime(utils, (stamp, stamp))  # a new mtime even on coarse file systems
    second = lint_file(str(train), cache)
    assert ("NTL101", 8) not in [(r.code, r.line) for r in second.reports]


HELPERS = """
    import torch


    def to_numpy(t):
        return t.numpy()


    def unused(t):
        return t.numpy()
"""
CALLER = """
    import torch
    import torch.nn as nn
    from pkg.helpers import to_numpy

    model = nn.Linear(4, 2)
    out = model(torch.randn(3, 4))
    arr = to_numpy(out{detach})
"""


def _helpers_project(root: Path, detach: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("")
    package = root / "pkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (root / "train.py").write_text(textwrap.dedent(CALLER.format(detach=detach)))
    return package / "helpers.py"


def test_a_helper_sees_what_callers_in_other_modules_pass(tmp_path: Path) -> None:
    helpers = _helpers_project(tmp_path)
    findings = analyze(helpers.read_text(), filename=str(helpers))
    assert [(r.line, r.code) for r in findings] == [(6, "NTL201")]  # `unused` has no caller: silent
    assert "train.py line 7" in findings[0].message  # the caller's fact is cited where it was born


def test_a_caller_that_detaches_keeps_the_helper_silent(tmp_path: Path) -> None:
    helpers = _helpers_project(tmp_path, detach=".detach()")
    assert _codes(helpers) == []


def test_the_cache_notices_a_changed_caller(tmp_path: Path) -> None:
    helpers = _helpers_project(tmp_path / "project")
    cache = Cache(tmp_path / "cache")
    assert [r.code for r in lint_file(str(helpers), cache).reports] == ["NTL201"]
    train = tmp_path / "project" / "train.py"
    train.write_text(textwrap.dedent(CALLER.format(detach=".detach()")))
    stamp = time.time() + 5
    os.utime(train, (stamp, stamp))
    assert lint_file(str(helpers), cache).reports == []


def test_a_star_import_of_a_project_module_binds_its_public_names(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "helpers.py").write_text(textwrap.dedent("""
        import numpy as np

        def make(n):
            return np.random.rand(n, 4)

        def _hidden(n):
            return np.random.rand(n, 4)
    """))
    (tmp_path / "limited.py").write_text(textwrap.dedent("""
        import numpy as np
        __all__ = ["kept"]

        def kept(n):
            return np.random.rand(n, 4)

        def left_out(n):
            return np.random.rand(n, 4)
    """))
    main = tmp_path / "main.py"
    main.write_text(textwrap.dedent("""
        import torch
        import torch.nn as nn
        from helpers import *
        from limited import *
        net = nn.Linear(4, 1)
        a = net(torch.from_numpy(make(3)))
        b = net(torch.from_numpy(_hidden(3)))
        c = net(torch.from_numpy(kept(3)))
        d = net(torch.from_numpy(left_out(3)))
    """))
    found = set(_codes(main))
    assert found == {(7, "NTL101"), (9, "NTL101")}  # _hidden and left_out are not exported: unknown


def test_modules_that_use_each_other_are_read_once(tmp_path: Path) -> None:
    # Imported modules' functions are walked when used, after their own walk: two modules that
    # import each other then hold each other's summaries, and the analysis must still end.
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "left.py").write_text(textwrap.dedent("""
        import torch

        import right


        def to_tensor(a):
            return torch.from_numpy(right.scaled(a))


        def widen(a):
            return a.astype("float64")
    """))
    (tmp_path / "right.py").write_text(textwrap.dedent("""
        import left


        def scaled(a):
            return left.widen(a) * 2
    """))
    main = tmp_path / "main.py"
    main.write_text(textwrap.dedent("""
        import numpy as np
        import torch

        import left
        import right

        net = torch.nn.Linear(3, 1)
        print(net(left.to_tensor(np.zeros(3))), right.scaled(np.ones(3)))
    """))
    for path in (main, tmp_path / "left.py", tmp_path / "right.py"):
        assert lint_file(str(path), None).error is None  # was a RecursionError (an internal error)


def test_a_walk_cached_for_one_linted_file_is_not_replayed_for_another(tmp_path: Path) -> None:
    """Two scripts hand their own CUDA device to one helper module, linted in one process: the
    helper's walk for the first script (its events cite the first script's lines) must not be
    replayed for the second, whose argument facts compare equal: each script's NTL301 cites its
    own assignment line, once."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "loader.py").write_text(textwrap.dedent("""
        class Prefetcher:
            def __init__(self, batches, device):
                self.batches = [b.to(device) for b in batches]
    """))
    first = tmp_path / "first.py"
    first.write_text(textwrap.dedent("""
        import torch
        from loader import Prefetcher

        device = torch.device("cuda", 0)
        feed = Prefetcher([torch.zeros(2)], device)
    """))
    second = tmp_path / "second.py"
    second.write_text(textwrap.dedent("""
        import torch
        from loader import Prefetcher


        # two lines lower than in first.py
        device = torch.device("cuda", 0)
        feed = Prefetcher([torch.zeros(2)], device)
    """))
    assert _codes(first) == [(5, "NTL301")]
    assert _codes(second) == [(7, "NTL301")]


def test_a_files_findings_do_not_depend_on_what_was_linted_before(tmp_path: Path) -> None:
    """A package re-exporting a helper, first summarized deep in another file's caller walk (where
    its own imports reach no further), is summarized again for a file that imports it directly:
    flake8 -j hands files to processes in any order, and each file's findings must be the same."""
    files = {
        "pyproject.toml": '[project]\nname = "order"\nversion = "0"\n',
        "pkg/__init__.py": "from .data import Images\nfrom .transforms import Normalize, bgr_to_rgb\n",
        "main.py": "from pkg import Images\n\nprint(Images()[0].shape)\n",
        "pkg/transforms/__init__.py": "from .functional import bgr_to_rgb\nfrom .normalize import Normalize\n",
        "pkg/transforms/functional.py": "def bgr_to_rgb(img):\n    return img[..., ::-1]\n",
        "pkg/transforms/normalize.py": textwrap.dedent("""\
            import torch


            class Normalize:
                def __init__(self, mean):
                    self.mean = torch.tensor(mean)

                def __call__(self, img):
                    return img - self.mean
        """),
        "pkg/data/__init__.py": "from .dataset import Images\n",
        "pkg/data/dataset.py": textwrap.dedent("""\
            import numpy as np
            import torch

            from pkg.transforms import Normalize, bgr_to_rgb


            class Images:
                def __init__(self):
                    self.images = [np.zeros((4, 4, 3), dtype=np.uint8)]
                    self.normalize = Normalize([0.5, 0.5, 0.5])

                def __getitem__(self, idx):
                    img = bgr_to_rgb(self.images[idx])
                    return self.normalize(torch.from_numpy(img).float())
        """),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    dataset = tmp_path / "pkg/data/dataset.py"
    _codes(tmp_path / "pkg/transforms/normalize.py")  # walks dataset.py as its caller first
    assert (14, "NTL403") in _codes(dataset)


EXPORT = """
    import numpy as np
    import torch
    import torch.nn as nn

    encoder = nn.Linear(10, 4)
    features = encoder(torch.randn(2, 10)).numpy()
    weights = torch.from_numpy(np.ones((2, 10)))
    print(features, encoder(weights))
"""


def _package_project(root: Path, init: str) -> Path:
    package = root / "pkg"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (package / "__init__.py").write_text(textwrap.dedent(init))
    (package / "export.py").write_text(textwrap.dedent(EXPORT))
    return package / "export.py"


def test_a_package_init_that_turns_grad_off_makes_grad_unknown(tmp_path: Path) -> None:
    assert (7, "NTL201") in _codes(_package_project(tmp_path / "on", "import torch\n"))
    off = _package_project(tmp_path / "off", "import torch\ntorch.set_grad_enabled(False)\n")
    assert (7, "NTL201") not in _codes(off)


def test_a_package_init_that_makes_float64_the_default_keeps_float64_data_matching(tmp_path: Path) -> None:
    # np.ones is float64; the Linear is float32 unless the package made float64 the default.
    assert (8, "NTL101") in _codes(_package_project(tmp_path / "plain", ""))
    for setting in ("torch.set_default_dtype(torch.float64)", "torch.set_default_tensor_type(torch.DoubleTensor)"):
        folder = tmp_path / setting.split("(")[0]
        assert (8, "NTL101") not in _codes(_package_project(folder, f"import torch\n{setting}\n"))


def test_a_broken_package_init_sets_nothing(tmp_path: Path) -> None:
    export = _package_project(tmp_path, "import torch\ntorch.set_grad_enabled(False\n")
    assert (7, "NTL201") in _codes(export)


def test_the_cache_notices_a_changed_package_init(tmp_path: Path) -> None:
    export = _package_project(tmp_path / "project", "import torch\n")
    cache = Cache(tmp_path / "cache")
    assert ("NTL201", 7) in [(r.code, r.line) for r in lint_file(str(export), cache).reports]
    init = export.parent / "__init__.py"
    init.write_text("import torch\ntorch.set_grad_enabled(False)\n")
    stamp = time.time() + 5
    os.utime(init, (stamp, stamp))
    assert ("NTL201", 7) not in [(r.code, r.line) for r in lint_file(str(export), cache).reports]


def test_a_file_that_names_no_library_is_read_when_it_imports_the_project(tmp_path: Path) -> None:
    """A Dataset subclass of the project's base names neither NumPy nor torch; its base does. The
    prefilter that skips files naming neither lets through a file importing a possible project module."""
    from np_torch_lint.engine.source import mentions_torch_or_numpy

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "base.py").write_text(textwrap.dedent("""
        import numpy as np
        from torch.utils.data import Dataset

        class Base(Dataset):
            def __init__(self, n=8):
                self.values = np.linspace(0.0, 1.0, n)

            def __len__(self):
                return len(self.values)
    """))
    windows = tmp_path / "windows.py"
    windows.write_text(textwrap.dedent("""
        from base import Base

        class Rows(Base):
            def __getitem__(self, i):
                return self.values[i:i + 2]

        rows = Rows()
    """))
    assert _codes(windows) == [(6, "NTL102")]
    assert not mentions_torch_or_numpy("import os\nfrom json import dumps\nx = 1\n")
    assert mentions_torch_or_numpy("from .base import Base\n") and mentions_torch_or_numpy("import mypkg.data\n")
