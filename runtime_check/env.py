"""Facts about the host: versions, CUDA, and environments for child processes."""
from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

# The directory that holds the runtime_check package: children that must import
# runtime_check (isolated probes) get it on PYTHONPATH.
PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)

# Set in a child that was started with CUDA hidden on purpose, so that a probe
# about CPU-only hosts knows it is already in the right place.
HIDDEN_MARK = "RUNTIME_CHECK_CUDA_HIDDEN"


def cuda_available() -> bool:
    """True when torch sees a usable CUDA device in this process."""
    try:
        import torch
    except Exception:  # pragma: no cover - torch is a hard requirement in practice
        return False
    try:
        return bool(torch.cuda.is_available())
    except Exception:
        return False


def gpu_name() -> Optional[str]:
    if not cuda_available():
        return None
    import torch

    return str(torch.cuda.get_device_name(0))


def versions() -> Dict[str, Any]:
    """Versions and device facts for the report header and the JSON."""
    info: Dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except Exception as exc:  # pragma: no cover
        info["numpy"] = f"not importable: {exc}"
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_cuda"] = torch.version.cuda  # None on a CPU build
        avail = cuda_available()
        info["cuda_available"] = avail
        info["cuda_device_count"] = torch.cuda.device_count() if avail else 0
        info["gpu_name"] = gpu_name()
        if avail:
            cap = torch.cuda.get_device_capability(0)
            info["gpu_capability"] = f"{cap[0]}.{cap[1]}"
            info["cudnn"] = torch.backends.cudnn.version()
    except Exception as exc:  # pragma: no cover
        info["torch"] = f"not importable: {exc}"
        info["cuda_available"] = False
        info["gpu_name"] = None
    info["device"] = info.get("gpu_name") or "no CUDA device"
    return info


def child_env(
    hide_cuda: bool = False,
    with_package: bool = False,
    extra: Optional[Mapping[str, str]] = None,
) -> Dict[str, str]:
    """An environment for a child process.

    hide_cuda: CUDA_VISIBLE_DEVICES="" makes a GPU host look CPU-only to torch,
    which is how the premises about CPU-only hosts are checked there.
    with_package: put runtime_check on PYTHONPATH (isolated probes import it).
    """
    env = dict(os.environ)
    # Warnings filters inherited from the caller would change what a child
    # prints (and so what the fixture judge sees): start from Python's defaults.
    env.pop("PYTHONWARNINGS", None)
    if hide_cuda:
        env["CUDA_VISIBLE_DEVICES"] = ""
        env[HIDDEN_MARK] = "1"
    if with_package:
        old = env.get("PYTHONPATH", "")
        env["PYTHONPATH"] = PACKAGE_PARENT + (os.pathsep + old if old else "")
    if extra:
        env.update(extra)
    return env


def in_hidden_child() -> bool:
    return os.environ.get(HIDDEN_MARK) == "1"
