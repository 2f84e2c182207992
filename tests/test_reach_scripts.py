"""Facts of script code: names bound under `if __name__ == "__main__":` and array-likes of unknown kind."""
from __future__ import annotations

import textwrap
from typing import List, Tuple

from np_torch_lint.engine import module_values
from np_torch_lint.lint import analyze
from np_torch_lint.engine.values import Kind

HEADER = "import numpy as np\nimport torch\nimport torch.nn as nn\n"


def values(source: str):
    return module_values(HEADER + textwrap.dedent(source))


def codes(source: str) -> List[Tuple[int, str]]:
    return [(r.line - 4, r.code) for r in analyze(HEADER + textwrap.dedent(source), filename="script.py")]


def test_a_name_bound_on_one_path_only_keeps_that_paths_value():
    env = values("""
        if __name__ == "__main__":
            features = np.random.rand(3, 4)
        if flag:
            labels = np.zeros(3, dtype=np.int64)
        else:
            labels = np.ones(3, dtype=np.int64)
        for step in range(3):
            last = np.zeros(2, dtype=np.float32)
    """)
    # every read that does not raise NameError sees the value of a path that bound it
    assert env["features"].dtype == "float64"
    assert env["labels"].dtype == "int64"
    assert env["last"].dtype == "float32"


def test_a_builtin_name_bound_on_one_path_may_still_be_the_builtin():
    env = values("""
        if flag:
            input = np.zeros(3)
    """)
    assert env["input"].kind is None  # elsewhere `input` is the builtin function


def test_a_helper_called_inside_the_main_block_sees_what_the_block_bound():
    found = codes("""
        def run(batch):
            return net(batch).numpy()

        if __name__ == "__main__":
            net = nn.Linear(4, 1)
            run(torch.randn(2, 4))
    """)
    assert found == [(2, "NTL201")]


def test_a_helper_walked_on_its_own_reads_the_globals_of_the_main_block():
    # `run` is never called in the file: its own walk still sees `net` (bound only under main)
    found = codes("""
        def run(batch):
            return net(batch).numpy()

        if __name__ == "__main__":
            net = nn.Linear(4, 1)
    """)
    assert found == [(2, "NTL201")]


def test_a_global_the_main_block_never_binds_stays_unknown():
    assert codes("""
        def run(batch):
            return net(batch).numpy()

        if __name__ == "__main__":
            model = nn.Linear(4, 1)
    """) == []


def test_astype_gives_its_dtype_whatever_the_object_is():
    env = values("""
        raw = reader.read()
        pixels = raw.astype(np.float64)
        scaled = (pixels / 255.0 - 0.5) * 2
        chw = scaled.transpose(2, 0, 1).copy()
        column = frame.astype("float32").values
        row = pixels[0]
        pixels -= np.array([1.0, 2.0, 3.0])
        narrow = raw.astype(np.float32)
        narrow *= 0.5
        unknown = raw.astype(some_dtype)
        seen = [torch.tensor(v) for v in (raw, scaled, chw, column, row, pixels, narrow, unknown)]
    """)
    assert env["raw"].kind is None and env["raw"].dtype is None
    for name in ("scaled", "chw", "row", "pixels"):
        assert env[name].dtype == "float64" and env[name].kind is None, name
    assert env["column"].dtype == "float32"
    assert env["narrow"].dtype == "float32"
    assert env["unknown"].dtype is None


def test_an_array_like_that_an_operand_could_widen_loses_its_dtype():
    env = values("""
        half = raw.astype(np.float32)
        half -= np.zeros(3)
        seen = torch.tensor(half)
    """)
    assert env["half"].dtype is None  # a float32 ndarray stays float32 in place; a NumPy scalar would widen


def test_view_with_a_dtype_reads_the_bytes_as_that_dtype():
    env = values("""
        a = np.zeros(4).view(np.float32)
        b = np.zeros(4).view()
    """)
    assert env["a"].dtype == "float32" and env["a"].kind is Kind.NDARRAY
    assert env["b"].dtype == "float64"


def test_an_astype_float64_image_reaches_a_model():
    found = codes("""
        net = nn.Linear(3, 2)

        def predict(image):
            x = image.astype(np.float64) / 255.0
            return net(torch.from_numpy(x))

        def predict_cast(image):
            x = image.astype(np.float64) / 255.0
            return net(torch.from_numpy(x).float())
    """)
    assert found == [(5, "NTL101")]
