"""Tests after which CUDA is a premise (engine/premises.py, engine/process_groups.py), each pinned both ways.

A path that runs only in an initialized torch.distributed process group needs a GPU where the
process groups are NCCL ones; a handler past a CUDA out-of-memory test runs only where CUDA ran.
Each case has a look-alike that must still fire: a gloo group, NCCL chosen under an unchecked
flag, no backend, a test that does not need the group, a handler of any error.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import List

import pytest

from np_torch_lint.lint import analyze

HELPERS = """\
import os
import torch
import torch.distributed as dist


def is_dist_avail_and_initialized():
    if not dist.is_available():
        return False
    if not dist.is_initialized():
        return False
    return True


def get_world_size():
    if not is_dist_avail_and_initialized():
        return 1
    return dist.get_world_size()


def reduce_counts(hits):
    if not is_dist_avail_and_initialized():
        return hits
    totals = torch.tensor([hits], device="cuda")
    dist.all_reduce(totals)
    return totals


def gather(data):
    world_size = get_world_size()
    if world_size == 1:
        return [data]
    return [torch.zeros(1, device="cuda") for _ in range(world_size)]
"""


def lines_of(source: str, code: str = "NTL301") -> List[int]:
    return [r.line for r in analyze(textwrap.dedent(source)) if r.code == code]


def with_init(init: str) -> List[int]:
    """The NTL301 lines of HELPERS in a file whose setup function makes the process group as ``init`` says."""
    setup = "\n\ndef setup(args):\n" + textwrap.indent(textwrap.dedent(init), "    ")
    return lines_of(HELPERS + setup)


# Lines of HELPERS' two placements.
REDUCE, GATHER = 23, 32


@pytest.mark.parametrize("init", [
    'dist.init_process_group(backend="nccl", init_method="env://")',
    'dist.init_process_group("nccl")',
    "dist.init_process_group(dist.Backend.NCCL)",
    'args.dist_backend = "nccl"\ndist.init_process_group(backend=args.dist_backend)',
    'backend = "nccl"\ndist.init_process_group(backend)',
    'torch.distributed.init_process_group(backend="NCCL")',
])
def test_code_that_needs_an_initialized_nccl_group_is_guarded(init: str) -> None:
    assert with_init(init) == []


@pytest.mark.parametrize("init", [
    'dist.init_process_group(backend="gloo")',  # runs on CPU-only hosts
    "dist.init_process_group()",  # no backend: torch makes a gloo group for the CPU too
    'dist.init_process_group(backend="nccl" if args.gpu else "gloo")',  # a flag nothing checks
    'backend = "nccl" if args.gpu else "gloo"\ndist.init_process_group(backend)',
    'args.dist_backend = "nccl"\nargs.dist_backend = "gloo"\ndist.init_process_group(backend=args.dist_backend)',
    "dist.init_process_group(backend=args.dist_backend)",  # the user's option
    'dist.init_process_group("nccl")\ndist.init_process_group("gloo")',  # one group of each
    'dist.init_process_group("cpu:gloo,cuda:nccl")',
])
def test_code_that_needs_another_process_group_still_fires(init: str) -> None:
    assert with_init(init) == [REDUCE, GATHER]


def test_a_backend_parameter_is_not_known() -> None:
    source = HELPERS + '\n\ndef setup(backend="nccl"):\n    dist.init_process_group(backend)\n'
    assert lines_of(source) == [REDUCE, GATHER]


def test_without_any_process_group_the_helpers_fire() -> None:
    assert lines_of(HELPERS) == [REDUCE, GATHER]


NCCL = '\n\ndef setup():\n    dist.init_process_group("nccl")\n'


@pytest.mark.parametrize("test", [
    "dist.is_initialized()",
    "dist.is_available() and dist.is_initialized()",
    "torch.distributed.is_initialized()",
    "is_dist_avail_and_initialized()",
    "get_world_size() > 1",
    "get_world_size() != 1",
    "dist.get_world_size() >= 2",
    "1 < get_world_size()",
])
def test_tests_that_hold_only_in_an_initialized_group(test: str) -> None:
    source = HELPERS + NCCL + f"\n\ndef step(t):\n    if {test}:\n        t = t.cuda()\n    return t\n"
    assert lines_of(source) == []


@pytest.mark.parametrize("test", [
    "dist.is_available()",  # the package is built, no group is made
    "not dist.is_initialized()",
    "get_world_size() == 1",
    "get_world_size() >= 1",
    "dist.is_initialized() or args.gpu",
    "int(os.environ.get('WORLD_SIZE', 1)) > 1",  # a launcher's variable: no group yet
])
def test_tests_that_do_not_need_an_initialized_group(test: str) -> None:
    source = HELPERS + NCCL + f"\n\ndef step(t, args):\n    if {test}:\n        t = t.cuda()\n    return t\n"
    assert lines_of(source) == [len((HELPERS + NCCL).splitlines()) + 5]


@pytest.mark.parametrize("helper, fires", [
    ("def ready():\n    return dist.is_available() and dist.is_initialized()\n", False),
    ("def ready():\n    return dist.is_initialized() if dist.is_available() else False\n", True),  # not read
    ("def ready():\n    if not dist.is_initialized():\n        return False\n    return True\n", False),
    ("def ready():\n    return dist.is_available()\n", True),
    ("def ready():\n    if dist.is_initialized():\n        return False\n    return True\n", True),
    ("def ready():\n    yield dist.is_initialized()\n", True),
])
def test_a_helper_is_a_test_only_when_every_return_says_so(helper: str, fires: bool) -> None:
    source = (f"import torch\nimport torch.distributed as dist\n{helper}\n"
              "def step(t):\n    if not ready():\n        return t\n    return t.cuda()\n" + NCCL)
    found = lines_of(source)
    assert bool(found) is fires, found


@pytest.mark.parametrize("world_size, fires", [
    ("def size():\n    return dist.get_world_size() if dist.is_initialized() else 1\n", False),
    ("def size():\n    if not dist.is_initialized():\n        return 1\n    return dist.get_world_size()\n", False),
    ("def size():\n    if not dist.is_initialized():\n        return 2\n    return dist.get_world_size()\n", True),
    ("def size():\n    return int(os.environ.get('WORLD_SIZE', 1))\n", True),
])
def test_a_world_size_helper_returns_one_outside_a_group(world_size: str, fires: bool) -> None:
    source = (f"import os\nimport torch\nimport torch.distributed as dist\n{world_size}\n"
              "def gather(t):\n    n = size()\n    if n == 1:\n        return [t]\n    return [t.cuda()]\n" + NCCL)
    assert bool(lines_of(source)) is fires


def test_a_name_bound_twice_is_not_the_world_size() -> None:
    source = HELPERS + NCCL + textwrap.dedent("""\

        def gather_twice(t, override):
            n = get_world_size()
            if override:
                n = override
            if n == 1:
                return [t]
            return [t.cuda()]
        """)
    assert len(lines_of(source)) == 1  # in gather_twice; the helpers are guarded


def test_code_after_an_nccl_init_statement_is_guarded() -> None:
    assert lines_of("""\
        import torch
        import torch.distributed as dist

        def main(rank):
            model = torch.nn.Linear(2, 2).cuda()
            dist.init_process_group("nccl", rank=rank, world_size=2)
            return model, torch.zeros(2).cuda()
        """) == [5]
    assert lines_of("""\
        import torch
        import torch.distributed as dist

        def main(rank):
            dist.init_process_group("gloo", rank=rank, world_size=2)
            return torch.zeros(2).cuda()
        """) == [6]


def test_a_distributed_helper_called_only_from_initialized_code(tmp_path: Path) -> None:
    # The helper is walked for its callers: every one runs in an initialized NCCL group.
    source = textwrap.dedent("""\
        import torch
        import torch.distributed as dist

        def synchronize(t):
            return t.cuda()

        def train(t):
            if not dist.is_initialized():
                return t
            return synchronize(t)

        def setup():
            dist.init_process_group("nccl")
        """)
    assert lines_of(source) == []
    assert lines_of(source.replace('"nccl"', '"gloo"')) == [5]


def test_the_project_decides_for_a_module_that_makes_no_group(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    helpers = tmp_path / "dist_utils.py"
    helpers.write_text(HELPERS)
    launch = tmp_path / "launch.py"
    launch.write_text("import torch.distributed as dist\nimport dist_utils\n\n"
                      "def main():\n    dist.init_process_group(backend='nccl')\n")

    def lines() -> List[int]:
        return [r.line for r in analyze(helpers.read_text(), filename=str(helpers)) if r.code == "NTL301"]

    assert lines() == []
    (tmp_path / "cpu_smoke_test.py").write_text("import torch.distributed as dist\ndist.init_process_group('gloo')\n")
    assert lines() == [REDUCE, GATHER]


OOM = """\
import torch


def assign_with_fallback(costs):
    try:
        return costs.argmin(dim=1)
    except {handler}:
{body}
"""
FALLBACK = "return costs.cpu().argmin(dim=1).cuda()\n"


def oom(handler: str, body: str) -> List[int]:
    """The NTL301 lines of a handler whose last line is FALLBACK (a CPU retry sent back to the GPU)."""
    source = OOM.format(handler=handler, body=textwrap.indent(textwrap.dedent(body) + FALLBACK, "        "))
    fallback = source.splitlines().index("        " + FALLBACK.strip()) + 1
    return [line if line != fallback else -1 for line in lines_of(source)]


@pytest.mark.parametrize("handler, body", [
    ("RuntimeError as err", 'if "CUDA out of memory" not in str(err):\n    raise\n'),
    ("RuntimeError as err", 'if "CUDA error: out of memory" not in repr(err):\n    raise err\n'),
    ("torch.cuda.OutOfMemoryError", ""),
    ("Exception as err", 'if not isinstance(err, torch.cuda.OutOfMemoryError):\n    raise\n'),
])
def test_a_cpu_fallback_after_a_cuda_out_of_memory_error_is_guarded(handler: str, body: str) -> None:
    assert oom(handler, body) == []


@pytest.mark.parametrize("handler, body", [
    ("RuntimeError", ""),  # any error, a missing GPU included
    ("RuntimeError as err", 'if "out of memory" not in str(err):\n    raise\n'),  # the CPU's too
    ("RuntimeError as err", 'if "CUDA out of memory" in str(err):\n    raise\n'),
    ("(torch.cuda.OutOfMemoryError, ValueError)", ""),
])
def test_a_cpu_fallback_after_any_other_error_still_fires(handler: str, body: str) -> None:
    assert oom(handler, body) == [-1]


def test_a_cuda_error_test_says_nothing_of_a_host_without_cuda() -> None:
    # The branch where the message is not CUDA's is no "CUDA absent" branch: a tensor maybe on CUDA
    # converted there still reaches NTL202.
    source = """\
        import torch
        device = "cuda" if torch.cuda.is_available() else "cpu"
        t = torch.zeros(3).to(device)
        try:
            t = t * 2
        except RuntimeError as err:
            if "CUDA out of memory" not in str(err):
                print(t.numpy())
            raise
        """
    assert lines_of(source, "NTL202") == [8]


BRANCH = """\
import torch


def assign(costs, mode="gpu"):
    if mode == "cpu":
        return costs.argmin(dim=1).cuda()
    return costs.argmin(dim=1)


def fallback(costs):
    try:
        return assign(costs)
    except RuntimeError as err:
        if "CUDA out of memory" not in str(err):
            raise
        return assign(costs, "cpu")


def preview(costs):
    return {preview}
"""


@pytest.mark.parametrize("preview, fires", [
    ("assign(costs)", False),  # the default mode never takes the CPU branch
    ('assign(costs, "gpu")', False),
    ('assign(costs, mode="gpu")', False),
    ('assign(costs, "cpu")', True),  # an unguarded call that does
    ('assign(costs, mode="cpu")', True),
    ("assign(costs, options.mode)", True),  # not known
    ("assign(costs, *modes)", True),
])
def test_a_branch_on_a_parameter_is_reached_only_by_the_calls_that_pass_its_value(preview: str, fires: bool) -> None:
    assert bool(lines_of(BRANCH.format(preview=preview))) is fires


def test_a_rebound_parameter_is_no_test_of_the_callers() -> None:
    source = BRANCH.format(preview="assign(costs)").replace(
        '    if mode == "cpu":\n        return', '    mode = mode.lower()\n    if mode == "cpu":\n        return')
    assert lines_of(source) == [7]


def test_an_early_exit_on_a_parameter_tests_the_rest() -> None:
    source = BRANCH.format(preview="assign(costs)").replace(
        '    if mode == "cpu":\n        return costs.argmin(dim=1).cuda()\n    return costs.argmin(dim=1)',
        '    if mode != "cpu":\n        return costs.argmin(dim=1)\n    return costs.argmin(dim=1).cuda()')
    assert lines_of(source) == []
    unguarded_cpu_call = source[:-len("assign(costs)\n")] + 'assign(costs, "cpu")\n'  # the preview's
    assert lines_of(unguarded_cpu_call) == [7]


# --- NTL302: a checkpoint loaded into a module whose state holds no tensors -----------------------

TRT = """\
import torch
{imports}

def evaluate(model, trt_file, images):
    model.cuda()
    if trt_file is not None:
        {build}
        model_trt.load_state_dict(torch.load(trt_file))
        model = model_trt
    return model(images.cuda())
"""


@pytest.mark.parametrize("imports, build, fires", [
    ("", "from torch2trt import TRTModule\n        model_trt = TRTModule()", False),
    ("import torch2trt", "model_trt = torch2trt.TRTModule()", False),
    ("from torch2trt import TRTModule as Engine", "model_trt = Engine()", False),
    ("", "model_trt = TRTModule()", True),  # not torch2trt's: a class of unknown state
    ("from torch2trt import TRTModule", "model_trt = TRTModule()\n        model_trt = torch.nn.Linear(3, 3)", True),
    ("from torch2trt import TRTModule", "model_trt = torch.nn.Linear(3, 3)", True),
])
def test_a_tensorrt_engine_state_holds_no_storage(imports: str, build: str, fires: bool) -> None:
    assert bool(lines_of(TRT.format(imports=imports, build=build), "NTL302")) is fires


# --- a helper that returns only where a GPU is guards what follows its call ---------------------

SETUP = """\
import os
import sys
import torch
import torch.distributed as dist


def init_distributed_mode(args):
{body}


def main(args):
    init_distributed_mode(args)
    model = torch.nn.Linear(2, 2).cuda()
    return model
"""


@pytest.mark.parametrize("body, fires", [
    # dino's: a launcher's variables, or one local GPU, or stop; then an NCCL group
    ("if 'RANK' in os.environ:\n    args.rank = int(os.environ['RANK'])\nelif torch.cuda.is_available():\n"
     "    args.rank = 0\nelse:\n    print('Does not support training without GPU.')\n    sys.exit(1)\n"
     "dist.init_process_group(backend='nccl', rank=args.rank)", False),
    ("if not torch.cuda.is_available():\n    raise SystemExit('needs a GPU')\nargs.gpu = 0", False),
    ("assert torch.cuda.is_available()", False),
    ("if 'RANK' not in os.environ:\n    args.distributed = False\n    return\n"
     "dist.init_process_group(backend='nccl')", True),  # returns unguarded on a single process
    ("if args.debug:\n    sys.exit(0)\nargs.gpu = 0", True),
    ("dist.init_process_group(backend='gloo')", True),
    ("torch.cuda.set_device(args.gpu)", True),
])
def test_a_setup_helper_that_returns_only_with_a_gpu_guards_its_caller(body: str, fires: bool) -> None:
    source = SETUP.format(body=textwrap.indent(body, "    "))
    found = lines_of(source)
    line = source.splitlines().index("    model = torch.nn.Linear(2, 2).cuda()") + 1
    assert (line in found) is fires, found


def test_a_setup_helper_of_another_module_guards_its_caller(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "utils.py").write_text(
        "import sys\nimport torch\n\ndef init_mode(args):\n    if not torch.cuda.is_available():\n"
        "        print('Does not support training without GPU.')\n        sys.exit(1)\n    args.gpu = 0\n")
    main = tmp_path / "train.py"
    main.write_text("import torch\nimport utils\n\ndef train(args):\n    utils.init_mode(args)\n"
                    "    return torch.zeros(2).cuda()\n")
    assert [r.code for r in analyze(main.read_text(), filename=str(main))] == []
    main.write_text(main.read_text().replace("    utils.init_mode(args)\n", ""))
    assert [r.code for r in analyze(main.read_text(), filename=str(main))] == ["NTL301"]


def test_a_caller_with_two_calls_of_a_helper_is_asked_once() -> None:
    # Both calls come from a function that runs only after the guard: the second must not read as a recursion.
    source = """\
        import sys
        import torch

        def extract(batch):
            return batch.cuda()

        def pipeline(train, val):
            return extract(train), extract(val)

        if __name__ == "__main__":
            if not torch.cuda.is_available():
                sys.exit("needs a GPU")
            pipeline(torch.zeros(2), torch.zeros(3))
        """
    assert lines_of(source) == []
    assert lines_of(source.replace('sys.exit("needs a GPU")', "print('no GPU')")) == [5]
