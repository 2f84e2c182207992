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
