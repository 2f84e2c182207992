"""A layout fact on one path is enough (NTL403/NTL404): a flipped or read-only array on one
branch, joined with a value the analysis knows nothing of, may be flipped or read-only."""
import textwrap

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import Kind, Tri
from np_torch_lint.lint import analyze


def values(body: str):
    src = "import random\nimport numpy as np\nimport torch\nfrom decoders import unread\n" + textwrap.dedent(body)
    return module_values(src)


def codes(body: str):
    src = "import random\nimport numpy as np\nimport torch\nfrom decoders import unread\n" + textwrap.dedent(body)
    return sorted((f.line - 4, f.code) for f in analyze(src))


def test_an_array_flipped_on_one_path_of_an_unknown_value_may_be_flipped():
    env = values("""
        tile = unread()
        if random.random() < 0.5:
            tile = np.rot90(tile)
        sliced = unread()
        if random.random() < 0.5:
            sliced = sliced[:, ::-1]
        _sink = (tile, sliced).numpy()
    """)
    assert env["tile"].kind is Kind.NDARRAY and env["tile"].negative_strides is Tri.MAYBE
    assert env["sliced"].negative_strides is Tri.MAYBE


def test_a_read_only_array_on_one_path_of_an_unknown_value_may_be_read_only():
    env = values("""
        frames = unread()
        if random.random() < 0.5:
            frames = np.load("frames.npy", mmap_mode="r")
        _sink = (frames,).numpy()
    """)
    assert env["frames"].readonly is Tri.MAYBE and env["frames"].negative_strides is not Tri.MAYBE


def test_the_copy_on_the_flipping_path_leaves_the_layout_unknown():
    env = values("""
        tile = unread()
        if random.random() < 0.5:
            tile = np.rot90(tile).copy()
        _sink = (tile,).numpy()
    """)
    assert env["tile"].negative_strides is not Tri.MAYBE and env["tile"].negative_strides is not Tri.YES


def test_findings_at_the_conversion_and_silence_after_a_copy():
    assert codes("""
        tile = unread()
        if random.random() < 0.5:
            tile = np.rot90(tile)
        a = torch.from_numpy(tile)
        b = torch.from_numpy(np.ascontiguousarray(tile))
    """) == [(5, "NTL403")]


def test_a_flip_undone_by_a_second_loop_iteration_is_not_flagged_after_the_loop():
    # The walks of the first two iterations are joined after the loop only where they reached a
    # fixpoint; an alternating flip is widened, so nothing is claimed after the loop.
    assert codes("""
        signal = np.arange(6, dtype=np.float32)
        for _ in range(2):
            signal = signal[::-1]
        t = torch.from_numpy(signal)
    """) == []


def test_a_row_of_unknown_kind_rotated_under_a_flag_may_be_flipped():
    # tiles[i] of an array whose rank is not known is a row or a scalar (kind unknown, dtype
    # known); np.rot90 of it on the training path makes an array with negative strides.
    assert codes("""
        def item(tiles, i, train):
            tile = (np.asarray(tiles, dtype=np.float32) / 255.0)[i]
            if train:
                tile = np.rot90(tile, np.random.randint(1, 4))
            return torch.from_numpy(tile.transpose(2, 0, 1))
    """) == [(6, "NTL403")]
