"""Issue 13 reach (NTL201 / NTL501 misses): arrays read by np.load, ..."""
from __future__ import annotations

import textwrap
from typing import List, Tuple

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import Kind, Tri
from np_torch_lint.lint import analyze

HEADER = "import numpy as np\nimport torch\nimport torch.nn as nn\n"


def values(source: str):
    return module_values(HEADER + textwrap.dedent(source))


def findings(source: str) -> List[Tuple[int, str]]:
    """(line in ``source``, code) of every finding."""
    reports = analyze(HEADER + textwrap.dedent(source))
    return sorted((report.line - HEADER.count("\n"), report.code) for report in reports)


def test_np_load_used_as_only_an_array_can_be_is_an_array():
    env = values("""
        cast = np.load(path).astype(np.float32)
        turned = np.load(path).T
        flat = np.load(path).reshape(-1)
        loaded = np.load(path)
        later = loaded.astype(np.float16)
    """)
    assert env["cast"].kind is Kind.NDARRAY and env["cast"].dtype == "float32"
    assert env["cast"].readonly is Tri.NO and env["cast"].negative_strides is Tri.NO
    assert env["turned"].kind is Kind.NDARRAY
    assert env["flat"].kind is Kind.NDARRAY
    assert env["loaded"].kind is None  # an ndarray or an .npz archive: not known until used
    assert env["later"].kind is Kind.NDARRAY and env["later"].dtype == "float16"


def test_np_load_that_may_give_anything_else_stays_unknown():
    env = values("""
        pickled = np.load(path, allow_pickle=True).astype(np.float32)
        mapped = np.load(path, "r")
        member = np.load(path)["feats"]
        keys = np.load(path).keys()
        other = reader.load(path).astype(np.float32)
    """)
    assert env["pickled"].kind is None  # a pickled object: could be a DataFrame, which has astype too
    assert env["mapped"].kind is Kind.NDARRAY and env["mapped"].readonly is Tri.YES  # the memory map's own row
    assert env["member"].kind is None and env["keys"].kind is None
    assert env["other"].kind is None


def test_a_list_of_loaded_arrays_given_to_torch_tensor_is_ntl501():
    assert findings("""
        feats = [np.load(p).astype(np.float32) for p in paths]
        batch = torch.tensor(feats)
        kept = [np.load(p) for p in paths]
        unsure = torch.tensor(kept)
    """) == [(3, "NTL501")]
