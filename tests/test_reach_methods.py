"""Static and class methods are walked with their call's arguments, like any helper; ``.item()``
of a value whose dtype is known gives that dtype's Python number, whatever holds it."""
from __future__ import annotations

import textwrap

import pytest

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import Kind, Tri

CLASS = """
    import numpy as np

    class Scaler:
        def __init__(self, data):
            self.data = data

        @staticmethod
        def halve(x):
            return x / 2

        @classmethod
        def doubled(cls, x):
            return x * 2

        def through_static(self):
            return self.halve(self.data)

        def through_class_name(self):
            return Scaler.halve(self.data)

        def through_classmethod(self):
            return self.doubled(self.data)

    floats = np.zeros(3)
    s = Scaler(floats)
"""


@pytest.mark.parametrize("expression", [
    "Scaler.halve(floats)", "s.halve(floats)", "s.through_static()", "s.through_class_name()",
    "Scaler.doubled(floats)", "s.doubled(floats)", "s.through_classmethod()",
])
def test_static_and_class_methods_see_their_arguments(expression: str) -> None:
    env = module_values(textwrap.dedent(CLASS) + f"result = {expression}\n")
    assert (env["result"].kind, env["result"].dtype) == (Kind.NDARRAY, "float64")


def test_a_classmethod_called_with_too_many_arguments_for_its_shape_is_not_followed() -> None:
    # `cls` is never filled by the call: one argument too many is a call the engine does not understand
    env = module_values(textwrap.dedent(CLASS) + "result = Scaler.doubled(floats, floats)\n")
    assert env["result"].kind is None


@pytest.mark.parametrize("dtype, kind", [
    ("np.float32", Kind.PY_FLOAT), ("np.int32", Kind.PY_INT), ("bool", Kind.PY_BOOL),
])
def test_item_of_a_value_of_known_dtype_and_unknown_kind(dtype: str, kind: Kind) -> None:
    # a row or an element of an array whose rank is not known: an array or a NumPy scalar, of the dtype
    env = module_values(textwrap.dedent(f"""
        import numpy as np
        def load(shape):
            return np.zeros(shape, dtype={dtype})
        data = load((4, 5))
        element = data[2]
        result = element.item()
    """))
    assert env["element"].kind is None and env["result"].kind is kind


def test_item_of_a_value_of_unknown_dtype_is_unknown() -> None:
    env = module_values("def f(x):\n    return x.item()\nresult = f(object())\n")
    assert env["result"].kind is None


@pytest.mark.parametrize("expression, read_only", [
    ("LOG.open('rb').read()", Tri.YES),
    ("LOG.open(mode='rb').read()", Tri.YES),
    ("LOG.read_bytes()", Tri.YES),
    ("LOG.open().read()", Tri.UNKNOWN),  # text mode: str
    ("LOG.open('r').read()", Tri.UNKNOWN),
    ("LOG.open(name).read()", Tri.UNKNOWN),  # a mode not written out
    ("archive.open('rb.bin').read()", Tri.UNKNOWN),  # a member's name, not a mode
])
def test_a_path_opened_in_binary_mode_reads_bytes(expression: str, read_only: Tri) -> None:
    # np.frombuffer over bytes is read-only (NTL404); over what a text file reads, unknown
    env = module_values(textwrap.dedent(f"""
        from pathlib import Path
        import zipfile
        import numpy as np
        LOG = Path("log.bin")
        archive = zipfile.ZipFile("a.zip")
        name = "rb" if LOG.exists() else "r"
        result = np.frombuffer({expression}, dtype=np.uint8)
    """))
    assert env["result"].readonly is read_only


RECORD = """
    from dataclasses import dataclass, field
    import numpy as np

    @dataclass
    class Grid:
        lo: float = -3.0
        hi: float = 3.0
        points: int = 17
        values: np.ndarray = field(init=False)

        def __post_init__(self):
            self.values = np.linspace(self.lo, self.hi, self.points)
"""


@pytest.mark.parametrize("construction, dtype", [
    ("Grid()", "float64"),  # literal defaults: Python floats
    ("Grid(lo=0.0)", "float64"),
    ("Grid(np.float32(0.0), np.float32(1.0))", "float32"),  # NumPy 2: float32 bounds give float32
])
def test_post_init_runs_on_the_fields_a_construction_gives(construction: str, dtype: str) -> None:
    env = module_values(textwrap.dedent(RECORD) + f"result = {construction}.values\n")
    assert (env["result"].kind, env["result"].dtype) == (Kind.NDARRAY, dtype)


def test_a_field_left_to_a_factory_is_not_a_literal_default() -> None:
    env = module_values(textwrap.dedent(RECORD).replace("hi: float = 3.0", "hi: float = field(default=3.0)")
                        + "result = Grid().values\nhi = Grid().hi\n")
    assert env["hi"].kind is None and env["result"].dtype is None


def test_an_instance_subscripted_runs_its_getitem_on_that_instance() -> None:
    env = module_values(textwrap.dedent("""
        import numpy as np

        class Rows:
            def __init__(self, data):
                self.data = data

            def __getitem__(self, i):
                return self.data[i] * 2

        class Plain:
            pass

        floats = Rows(np.zeros((4, 3)))
        halves = Rows(np.zeros((4, 3), dtype=np.float16))
        row = floats[1]
        half_row = halves[1]
        other = Plain()
    """))
    assert (env["row"].kind, env["row"].dtype) == (Kind.NDARRAY, "float64")
    assert env["half_row"].dtype == "float16"


@pytest.mark.parametrize("expression, kind, element", [
    ("np.zeros(3, dtype=np.float32).tolist()", Kind.SEQUENCE, Kind.PY_FLOAT),
    ("np.zeros(3, dtype=np.int64).tolist()", Kind.SEQUENCE, Kind.PY_INT),
    ("np.zeros((2, 3), dtype=np.float32).tolist()", Kind.SEQUENCE, Kind.SEQUENCE),
    ("np.zeros(3, dtype=np.float32)[0].tolist()", Kind.PY_FLOAT, None),  # a 0-d value: a number
])
def test_tolist_gives_python_numbers_of_the_dtype_one_list_per_dimension(expression: str, kind: Kind,
                                                                         element: Kind) -> None:
    env = module_values(f"import numpy as np\nresult = {expression}\n")
    assert env["result"].kind is kind
    assert (env["result"].element.kind if env["result"].element is not None else None) is element
    import numpy

    real = eval(expression, {"np": numpy})  # the same expression with the installed NumPy
    assert isinstance(real, list if kind is Kind.SEQUENCE else float)


def test_tolist_of_a_value_of_unknown_rank_is_unknown() -> None:
    env = module_values("import numpy as np\ndef f(shape):\n    return np.zeros(shape, dtype=np.float32)\n"
                        "result = f(n).tolist()\n")
    assert env["result"].kind is None


SAVED = """
    import os
    import numpy as np
    from pathlib import Path

    CACHE = Path("cache")

    def build():
        np.save(CACHE / "features.npy", np.random.rand(4, 3))
        np.save(os.path.join("cache", "labels.npy"), np.arange(4, dtype=np.int32))
        return CACHE / "features.npy", os.path.join("cache", "labels.npy")

    features_path, labels_path = build()
"""


@pytest.mark.parametrize("expression, dtype", [
    ("np.load(features_path)", "float64"),  # a helper's returned path names the file it saved
    ("np.load(labels_path)", "int32"),
    ("np.load(CACHE / 'features.npy')", "float64"),
    ("np.load('cache/features.npy')", "float64"),  # matched by the file's name
    ("np.load(CACHE / 'other.npy')", None),  # never saved here
    ("np.load(features_path, allow_pickle=True)", None),  # may unpickle anything
])
def test_np_load_gives_back_what_np_save_wrote_under_that_name(expression: str, dtype: object) -> None:
    env = module_values(textwrap.dedent(SAVED) + f"result = {expression}\n")
    assert env["result"].dtype == dtype


def test_a_name_saved_with_two_dtypes_loads_unknown() -> None:
    env = module_values(textwrap.dedent(SAVED) + "np.save(CACHE / 'features.npy', np.zeros(3, dtype=np.float32))\n"
                        "result = np.load(features_path)\n")
    assert env["result"].dtype is None


STORE = """
    import numpy as np
    import torch

    class Store:
        def __init__(self):
            self.states = np.zeros((8, 3), dtype=np.float32)

        def views(self):
            return torch.from_numpy(self.states[:4]), torch.from_numpy(self.states)

        def copies(self):
            return torch.tensor(self.states[:4]), 4

    store = Store()
"""


@pytest.mark.parametrize("tail, expected", [
    ("a, b = store.views()\na.mul_(2)\nprint(store.states)\n", [("NTL401", 17)]),  # each item, both views
    ("a, b = store.views()\nb.add_(1)\nprint(store.states.sum())\n", [("NTL401", 17)]),
    ("a, b = store.copies()\na.mul_(2)\nprint(store.states)\n", []),  # a copy
    ("a, b = store.views()\na.mul_(2)\nprint(a)\n", []),  # the store is not read again
    ("a, b = store.views()\na.mul_(2)\nstore.states = np.ones((8, 3))\nprint(store.states)\n", []),  # rebound
    ("other = Store()\na, b = store.views()\na.mul_(2)\nprint(other.states)\n", []),  # another instance
])
def test_a_method_s_view_of_its_own_attribute_shares_with_that_attribute_of_the_receiver(
        tail: str, expected: list) -> None:
    from np_torch_lint.lint import analyze

    source = textwrap.dedent(STORE) + tail
    assert [(r.code, r.line) for r in analyze(source, filename="store.py")] == expected


@pytest.mark.parametrize("body, dtype", [
    ("for start in range(2):\n                    yield self.items[start]", "uint8"),
    ("yield from self.items", "uint8"),
    ("return iter(self.items)", None),  # not a generator: not followed
])
def test_iterating_an_instance_runs_its_generator_iter_on_that_instance(body: str, dtype: object) -> None:
    env = module_values(textwrap.dedent(f"""
        import numpy as np

        class Chunks:
            def __init__(self, items):
                self.items = items

            def __iter__(self):
                {body}

        for chunk in Chunks([np.zeros(3, np.uint8), np.ones(3, np.uint8)]):
            last = chunk
        seen = [row for row in Chunks([np.zeros(3, np.uint8)])][0]
    """))
    assert env["last"].dtype == dtype and env["seen"].dtype == dtype


@pytest.mark.parametrize("steps, dtype", [
    ("[to_float, to_half]", "float16"),  # each item in its order: the last one wins
    ("[to_half, to_float]", "float64"),
    ("list((to_half, to_float))", "float64"),  # list() keeps the order
    ("list(reversed([to_half, to_float]))", "float16"),
    ("sorted([to_half, to_float], key=id)", None),  # the order is not known: each item is a join
])
def test_a_loop_over_items_known_in_order_walks_each_in_turn(steps: str, dtype: object) -> None:
    env = module_values(textwrap.dedent(f"""
        import numpy as np

        def to_float(x):
            return x.astype(np.float64)

        def to_half(x):
            return x.astype(np.float16)

        data = np.zeros(3, dtype=np.int32)
        for step in {steps}:
            data = step(data)
        result = data
        seen = np.shape(result)  # a NumPy call reading it keeps these lines (engine/source.py)
    """))
    assert env["result"].dtype == dtype


@pytest.mark.parametrize("construction, dtype", [
    ("Grid()", "float64"),  # the factory's array
    ("Grid(values=np.zeros(3, dtype=np.float32))", "float32"),  # given: the factory does not run
    ("Listed()", None),  # field(default_factory=list): an empty list, no array
])
def test_a_dataclass_field_left_to_a_default_factory_holds_what_it_makes(construction: str, dtype: object) -> None:
    env = module_values(textwrap.dedent(f"""
        from dataclasses import dataclass, field
        import numpy as np

        def unit_grid():
            return np.linspace(0.0, 1.0, 5)

        @dataclass
        class Grid:
            values: np.ndarray = field(default_factory=unit_grid)

        @dataclass
        class Listed:
            values: list = field(default_factory=list)

        result = {construction}.values
        seen = np.shape(result)
    """))
    assert env["result"].dtype == dtype


@pytest.mark.parametrize("name, kind", [
    ('"head"', Kind.MODULE),  # a literal name: that attribute
    ("layer", Kind.MODULE),  # a name bound to a known string
    ("picked", None),  # a string not known: nothing
])
def test_getattr_with_a_name_known_to_be_a_string_reads_that_attribute(name: str, kind: object) -> None:
    env = module_values(textwrap.dedent(f"""
        import sys
        import torch
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.head = nn.Linear(2, 2)

        layer = "head"
        picked = sys.argv[1]
        result = getattr(Net(), {name})
        seen = result(torch.zeros(2)).numpy()  # a sink keeps these lines (engine/source.py)
    """))
    assert env["result"].kind is kind
