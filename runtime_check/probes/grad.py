"""NTL2xx: the way back to NumPy (.numpy() on grad-tracking or CUDA tensors)."""
from __future__ import annotations

from ..results import Verdict
from ._base import Message, Probe, combine, expect_message, torch_device

GRAD_NUMPY = Message("raises", ("RuntimeError",), "Can't call numpy() on Tensor that requires grad")
CUDA_NUMPY = Message("raises", ("TypeError",), "can't convert cuda:0 device type tensor to numpy")


def ntl201(device: str) -> Verdict:
    import numpy as np
    import torch

    dev = torch_device(device)
    model = torch.nn.Linear(3, 2).to(dev)
    out = model(torch.randn(4, 3, device=dev))
    # On CUDA the real-world shape is out.cpu().numpy(): .cpu() copies but
    # keeps requires_grad, so the grad check still fires after the copy.
    host = (lambda t: t) if device == "cpu" else (lambda t: t.cpu())
    how = "" if device == "cpu" else ".cpu()"
    return combine(
        expect_message(
            lambda: host(out).numpy(),
            GRAD_NUMPY,
            f"module output{how}.numpy()",
        ),
        expect_message(
            lambda: np.asarray(host(out)),
            GRAD_NUMPY,
            f"np.asarray(module output{how})",
        ),
        expect_message(
            lambda: host(model.weight).numpy(),
            GRAD_NUMPY,
            f"parameter{how}.numpy()",
        ),
    )


def ntl202(device: str) -> Verdict:
    import numpy as np
    import torch

    # run_probe calls this only where CUDA is present.
    t = torch.ones(2, device="cuda")  # noqa: NTL301
    model = torch.nn.Linear(3, 2).cuda()  # noqa: NTL301
    out = model(torch.randn(4, 3, device="cuda")).detach()  # noqa: NTL301
    return combine(
        expect_message(t.numpy, CUDA_NUMPY, "a CUDA tensor's .numpy()", device),
        expect_message(lambda: np.asarray(t), CUDA_NUMPY, "np.asarray(CUDA tensor)", device),
        # detach() alone is not enough: the device check still fires.
        expect_message(out.numpy, CUDA_NUMPY, "a CUDA module output's .detach().numpy()", device),
    )


PROBES = [
    Probe(
        "NTL201",
        ".numpy() on a tensor that requires grad",
        ".numpy() / np.asarray on a module output or parameter raises while grad is on",
        ntl201,
        messages=(GRAD_NUMPY,),
    ),
    Probe(
        "NTL202",
        ".numpy() on a tensor that may be on a GPU",
        ".numpy() / np.asarray on a CUDA tensor raises TypeError",
        ntl202,
        not_applicable={"cpu": "premise is about CUDA tensors: checked on CUDA only"},
        messages=(CUDA_NUMPY,),
    ),
]
