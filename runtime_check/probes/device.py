"""NTL3xx: device placement on hosts without CUDA, and checkpoints saved on a GPU."""
from __future__ import annotations

import os
import pickle
import tempfile
from typing import Any, Dict, List, Set

from ..env import cuda_available, gpu_name
from ..executors import call_in_child
from ..results import Verdict
from ._base import Message, Probe, broken, check, combine, confirmed, exc_text, expect_message, expect_raises, skipped

# What torch says when CUDA is asked for on a host without it: the CPU build
# asserts (a legacy torch.cuda.*Tensor type raises TypeError); a CUDA build
# finds no device (CUDA hidden) or no driver.
NO_CUDA = Message(
    "raises",
    ("AssertionError", "RuntimeError", "TypeError"),
    "Torch not compiled with CUDA enabled",
    alternatives=("No CUDA GPUs are available", "Found no NVIDIA driver"),
)
DESERIALIZE = Message(
    "raises",
    ("RuntimeError",),
    "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False",
)
ROUTED = "CUDA is visible in this process; run_probe checks this in a subprocess with CUDA hidden"


def ntl301(device: str) -> Verdict:
    import torch

    if device == "cuda":
        # The other half of the story: the very same unguarded line runs on a
        # GPU host, which is why the bug survives until a CPU-only host.
        t = torch.zeros(2).cuda()
        return check(
            t.device.type == "cuda",
            f"torch.zeros(2).cuda() -> {t.device} on {gpu_name()}",
            "an unguarded .cuda() no longer works on a GPU host",
        )
    if cuda_available():
        return skipped(ROUTED)
    # Unguarded on purpose: this is the failure NTL301 is about.
    placements = {
        "tensor.cuda()": lambda: torch.zeros(2).cuda(),  # noqa: NTL301
        'torch.zeros(..., device="cuda")': lambda: torch.zeros(2, device="cuda"),  # noqa: NTL301
        'tensor.to("cuda")': lambda: torch.zeros(2).to("cuda"),  # noqa: NTL301
        "module.cuda()": lambda: torch.nn.Linear(2, 2).cuda(),  # noqa: NTL301
        "torch.cuda.FloatTensor(2)": lambda: torch.cuda.FloatTensor(2),  # type: ignore[attr-defined]  # noqa: NTL301
    }
    # Any wording: on a GPU host this runs in a CUDA build with CUDA hidden.
    return combine(*(expect_raises(f, NO_CUDA.classes, NO_CUDA.fragments, what) for what, f in placements.items()))


# --- NTL302 ---------------------------------------------------------------
# To make a checkpoint whose storages really say "cuda:0" on a CPU-only host,
# a tagger is registered (public torch.serialization.register_package) ahead
# of torch's own: it tags exactly the storages listed in _TAG_AS_CUDA and
# returns None for everything else, so once the set is empty it is inert.
_TAG_AS_CUDA: Set[int] = set()
_tagger_registered = False


def _cuda_tagger(storage: Any) -> Any:
    try:
        ptr = storage.data_ptr()
    except Exception:
        return None
    return "cuda:0" if ptr in _TAG_AS_CUDA else None


def _never_restore(storage: Any, location: str) -> None:
    return None  # loading goes through torch's own deserializers


def save_tagged_cuda(obj: Any, tensors: List[Any], path: str) -> None:
    """torch.save(obj) with the storages of `tensors` tagged as 'cuda:0'."""
    import torch

    global _tagger_registered
    if not _tagger_registered:
        torch.serialization.register_package(0, _cuda_tagger, _never_restore)
        _tagger_registered = True
    ptrs = {t.untyped_storage().data_ptr() for t in tensors}
    _TAG_AS_CUDA.update(ptrs)
    try:
        torch.save(obj, path)
    finally:
        _TAG_AS_CUDA.difference_update(ptrs)


class _Anything:
    """Stands in for every class while scanning a checkpoint's pickle."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


class _LocationScanner(pickle.Unpickler):
    def __init__(self, f: Any) -> None:
        super().__init__(f)
        self.locations: List[str] = []

    def persistent_load(self, pid: Any) -> Any:
        # torch's zip format: ('storage', storage_type, key, location, numel)
        self.locations.append(str(pid[3]))
        return None

    def find_class(self, module: str, name: str) -> Any:
        return _Anything


def storage_locations(path: str) -> List[str]:
    """The storage location tags written in a torch.save zip checkpoint."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith("data.pkl"))
        with zf.open(name) as f:
            scanner = _LocationScanner(f)
            scanner.load()
    return scanner.locations


def load_checkpoint(path: str) -> Dict[str, Any]:
    """torch.load(path) with no map_location; run in a child with CUDA hidden."""
    import torch

    try:
        value = torch.load(path)
    except Exception as exc:
        return {"raised": exc_text(exc), "type": type(exc).__name__, "message": str(exc)}
    return {"loaded": repr(value)[:200], "cuda_available": torch.cuda.is_available()}


def _tags(path: str) -> Verdict:
    locs = storage_locations(path)
    return check(
        bool(locs) and all(loc.startswith("cuda") for loc in locs),
        f"checkpoint storage locations: {locs}",
        "the checkpoint does not carry CUDA storage locations",
    )


def ntl302(device: str) -> Verdict:
    import torch

    with tempfile.TemporaryDirectory(prefix="ntl302_") as tmp:
        path = os.path.join(tmp, "model.pt")
        if device == "cuda":
            # Saved from real CUDA tensors, loaded where CUDA is hidden.
            model = torch.nn.Linear(2, 2).cuda()
            torch.save(model.state_dict(), path)
            result = call_in_child(f"{__name__}:load_checkpoint", [path], hide_cuda=True)
            return combine(_judge_load(result), _tags(path))
        if cuda_available():
            return skipped(ROUTED)
        model = torch.nn.Linear(2, 2)
        state = model.state_dict()
        save_tagged_cuda(state, list(state.values()), path)
        tags = _tags(path)
        loud = expect_message(lambda: torch.load(path), DESERIALIZE, "torch.load of a CUDA checkpoint")
        # The rule is silent with map_location: that must keep working.
        try:
            loaded = torch.load(path, map_location="cpu")
            mapped = confirmed(f"map_location='cpu' loads it on {next(iter(loaded.values())).device}")
        except Exception as exc:
            mapped = broken(exc_text(exc), "map_location='cpu' no longer loads a CUDA checkpoint")
        return combine(loud, tags, mapped)


def _judge_load(result: Dict[str, Any]) -> Verdict:
    if "raised" not in result:
        what = result.get("error") or f"loaded {result.get('loaded')}"
        return broken(what, "torch.load of a CUDA-saved checkpoint did not fail with CUDA hidden")
    if result.get("type") in DESERIALIZE.types and DESERIALIZE.text in result.get("message", ""):
        return confirmed(result["raised"])
    return broken(result["raised"], "the load failed, but not with the deserialize error")


PROBES = [
    Probe(
        "NTL301",
        "unguarded CUDA placement",
        ".cuda() / device='cuda' / .to('cuda') fail on a host without CUDA",
        ntl301,
        cuda_premise="the same unguarded .cuda() runs on a GPU host, so only CPU-only hosts fail",
        cpu_only_host=True,
        messages=(NO_CUDA,),
    ),
    Probe(
        "NTL302",
        "torch.load without map_location",
        "a checkpoint with CUDA storages fails to load on a CPU-only host without map_location",
        ntl302,
        cuda_premise="a checkpoint saved from real CUDA tensors fails to load with CUDA hidden",
        cpu_only_host=True,
        messages=(DESERIALIZE,),
    ),
]
