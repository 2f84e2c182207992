"""Regression guard: the engine stays linear. Ratios measured in one test, loose bounds, no absolute times."""
from __future__ import annotations

import time

from np_torch_lint.lint import analyze

FUNCTION = '''
def step_{i}(model, batch):
    x = torch.from_numpy(np.random.rand(8, 3)).float()
    for epoch in range(3):
        for j in range(2):
            if torch.cuda.is_available():
                x = x.cuda()
            out = model(x)
    return out.detach().cpu().numpy()
'''


def _best_time(source: str, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        analyze(source)
        best = min(best, time.perf_counter() - start)
    return best


def _file(functions: int) -> str:
    return "import numpy as np\nimport torch\n" + "".join(FUNCTION.format(i=i) for i in range(functions))


def test_time_grows_linearly_with_functions() -> None:
    small, large = _best_time(_file(40)), _best_time(_file(160))
    assert large / small < 8, f"4x the functions took {large / small:.1f}x the time"


def test_time_grows_linearly_with_loop_nesting() -> None:
    def nested(depth: int) -> str:
        lines = ["import numpy as np", "import torch", "def f(x):"]
        for level in range(depth):
            lines.append("    " * (level + 1) + f"for i{level} in range(2):")
            lines.append("    " * (level + 2) + f"x = torch.from_numpy(np.zeros({level} + 1)).float()")
        lines.append("    " * (depth + 1) + "x.add_(1)")
        return "\n".join(lines) + "\n"

    small, large = _best_time(nested(10)), _best_time(nested(40))
    assert large / small < 16, f"4x the nesting took {large / small:.1f}x the time"


def _chained(lines: int) -> str:
    """Top-level assignments, each reading the one before: relevance spreads one hop per line,
    forward from a NumPy seed (a0) and backward to a conversion (t = torch.tensor(b...))."""
    half = lines // 2
    forward = "a0 = np.zeros(3)\n" + "".join(f"a{i} = a{i - 1} + 1\n" for i in range(1, half))
    backward = "b0 = 1\n" + "".join(f"b{i} = b{i - 1} + 1\n" for i in range(1, half))
    return "import numpy as np\nimport torch\n" + forward + backward + f"t = torch.tensor(b{half - 1})\n"


def test_relevance_spreads_through_every_hop_of_a_chain() -> None:
    import ast

    from np_torch_lint.engine.source import plan

    source = _chained(400)
    items = list(plan(ast.parse(source), source.splitlines(keepends=True)))
    assert sum(isinstance(item, ast.stmt) for item in items) == 401  # every assignment and the conversion


def test_time_grows_linearly_with_chained_top_level_assignments() -> None:
    # The planner once rescanned every statement per hop: 1,000 lines took 1.5 s, 2,000 took 16 s.
    small, large = _best_time(_chained(300)), _best_time(_chained(1200))
    assert large / small < 10, f"4x the chained lines took {large / small:.1f}x the time"


def test_time_grows_linearly_with_concatenated_fixtures() -> None:
    # Every fixture in one file: names such as x, model, t are shared, so relevance spreads across them.
    from conftest import fixture_files

    everything = "\n".join(path.read_text(encoding="utf-8") for path in fixture_files())
    small, large = _best_time(everything, repeats=2), _best_time(everything * 3, repeats=2)
    assert large / small < 7.5, f"3x the fixtures took {large / small:.1f}x the time"
