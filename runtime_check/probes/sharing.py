"""NTL4xx: memory shared between NumPy arrays and tensors."""
from __future__ import annotations

from typing import Any

from ..results import Verdict
from ._base import Message, Probe, broken, check, combine, confirmed, exc_text, expect_message

NEG_STRIDE = Message("raises", ("ValueError",), "At least one stride in the given numpy array is negative")
NOT_WRITABLE = Message(
    "warns",
    ("UserWarning",),
    "The given NumPy array is not writable, and PyTorch does not support non-writable tensors. "
    "This means writing to this tensor will result in undefined behavior.",
    alternatives=("The given NumPy array is not writable",),
)


def ntl401(device: str) -> Verdict:
    import numpy as np
    import torch

    if device == "cuda":
        # The rule is silent after a device change: that change must be a copy.
        a = np.zeros(3, dtype=np.float32)
        t = torch.as_tensor(a, device="cuda")
        t.add_(1)
        u = torch.from_numpy(a).cuda()
        u.mul_(5).add_(2)
        return check(
            not a.any(),
            f"after as_tensor(a, device='cuda').add_(1) and from_numpy(a).cuda().add_(2): a = {a.tolist()}",
            "a device change no longer breaks the alias with the NumPy array",
        )
    a64 = np.zeros(3)
    t = torch.from_numpy(a64)
    t.add_(1)  # written through the tensor, read through the array
    b = np.zeros(3)
    u = torch.as_tensor(b)
    b += 2  # written through the array, read through the tensor
    v = torch.zeros(3)
    n = v.numpy()
    n[0] = 7.0  # .numpy() in the other direction
    c = np.zeros(3)
    w = torch.tensor(c)  # a copy: the rule is silent
    w.add_(1)
    return combine(
        check(
            a64.tolist() == [1.0, 1.0, 1.0],
            f"after t = from_numpy(a); t.add_(1): a = {a64.tolist()}",
            "from_numpy no longer shares memory",
        ),
        check(
            u.tolist() == [2.0, 2.0, 2.0],
            f"after u = as_tensor(b); b += 2: u = {u.tolist()}",
            "as_tensor without dtype/device no longer shares memory",
        ),
        check(
            v[0].item() == 7.0,
            f"after n = v.numpy(); n[0] = 7: v = {v.tolist()}",
            ".numpy() no longer shares memory",
        ),
        check(not c.any(), f"torch.tensor(c) is a copy: c = {c.tolist()}", "torch.tensor no longer copies"),
    )


def ntl402(device: str) -> Verdict:
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    dev = torch.device(device)
    model = torch.nn.Linear(2, 1).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    x, y = torch.randn(8, 2, device=dev), torch.randn(8, 1, device=dev)
    views, cpu_views, copies = [], [], []
    steps = 3
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        opt.step()
        w = model.weight
        if device == "cpu":
            views.append(w.detach().numpy())
        cpu_views.append(w.detach().cpu().numpy())
        copies.append(w.detach().cpu().numpy().copy())
    distinct = len({s.tobytes() for s in copies})
    live = model.weight.detach().cpu().numpy().copy()
    states = _state_dict_views(dev)
    if device == "cuda":
        n = len({s.tobytes() for s in cpu_views})
        return combine(states, check(
            n == steps,
            f".detach().cpu().numpy() of a CUDA parameter over {steps} SGD steps: {n} distinct snapshots (a real copy)",
            ".cpu() of a CUDA parameter no longer copies",
        ))
    same = all(np.array_equal(s, live) for s in views + cpu_views)
    return combine(
        states,
        check(
            same and distinct == steps,
            f"{steps} snapshots of w.detach().numpy() and w.detach().cpu().numpy() after {steps} SGD steps "
            f"all equal the live weight {[round(float(v), 4) for v in live.ravel()]}; "
            f".copy() snapshots: {distinct} distinct",
            "snapshots of a CPU parameter's .numpy() no longer alias the live parameter",
        ),
    )


def _state_dict_views(dev: Any) -> Verdict:
    """state_dict() views on any device: a BatchNorm forward pass in training mode and
    load_state_dict() write into the tensors an earlier state_dict() returned."""
    import torch

    norm = torch.nn.BatchNorm1d(3).to(dev)
    before = norm.state_dict()
    copied = {k: v.clone() for k, v in before.items()}
    norm(torch.randn(8, 3, device=dev) * 2 + 1)
    seen = int(before["num_batches_tracked"])
    mean_moved = not torch.equal(copied["running_mean"], before["running_mean"])
    linear = torch.nn.Linear(2, 1).to(dev)
    backup = linear.state_dict()
    other = {k: torch.zeros_like(v) for k, v in backup.items()}
    linear.load_state_dict(other)
    linear.load_state_dict(backup)
    restored_nothing = bool((linear.weight == 0).all())
    return check(
        seen == 1 and mean_moved and restored_nothing,
        f"a state_dict() taken before a training-mode BatchNorm forward reads num_batches_tracked={seen} and the "
        f"new running_mean after it; a backup state_dict() loaded back after load_state_dict(zeros) leaves the "
        f"weights at zero ({restored_nothing})",
        "state_dict() views no longer follow in-place updates of the module's tensors",
    )


def ntl403(device: str) -> Verdict:
    import numpy as np
    import torch

    img = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    if device == "cuda":
        # Negative strides on purpose: this is the failure NTL403 is about.
        convs = {
            "torch.as_tensor(img[..., ::-1], device='cuda')":
                lambda: torch.as_tensor(img[..., ::-1], device="cuda"),  # noqa: NTL403
            "torch.tensor(np.flip(img, 0), device='cuda')":
                lambda: torch.tensor(np.flip(img, 0), device="cuda"),  # noqa: NTL403
        }
    else:
        convs = {
            "torch.from_numpy(img[..., ::-1])": lambda: torch.from_numpy(img[..., ::-1]),  # noqa: NTL403
            "torch.as_tensor(img[::-1])": lambda: torch.as_tensor(img[::-1]),  # noqa: NTL403
            "torch.tensor(np.flip(img, 0))": lambda: torch.tensor(np.flip(img, 0)),  # noqa: NTL403
            "torch.from_numpy(np.rot90(img[0]))": lambda: torch.from_numpy(np.rot90(img[0])),  # noqa: NTL403
        }
    loud = [expect_message(f, NEG_STRIDE, what, device) for what, f in convs.items()]
    try:
        torch.from_numpy(np.ascontiguousarray(img[..., ::-1]))
        torch.from_numpy(img[..., ::-1].copy())
        fixed = confirmed("")
    except Exception as exc:  # pragma: no cover - would mean torch changed
        fixed = broken(exc_text(exc), "np.ascontiguousarray/.copy() no longer fix negative strides")
    return combine(*loud, fixed)


def ntl404(device: str) -> Verdict:
    import numpy as np
    import torch

    # NumPy facts the rule relies on (checked without converting, because
    # torch shows the not-writable warning only once per process).
    ro = np.frombuffer(b"\x00\x01\x02\x03" * 4, dtype=np.uint8)
    rw = np.frombuffer(bytearray(16), dtype=np.uint8)
    bc = np.broadcast_to(np.arange(3), (2, 3))
    facts = check(
        not ro.flags.writeable and rw.flags.writeable and not bc.flags.writeable,
        "",
        "np.frombuffer(bytes)/np.broadcast_to read-only and np.frombuffer(bytearray) writable no longer hold",
    )
    if device == "cuda":
        conv, what = (lambda: torch.as_tensor(ro, device="cuda")), "torch.as_tensor(read-only array, device='cuda')"
    else:
        conv, what = (lambda: torch.from_numpy(ro)), "torch.from_numpy(np.frombuffer(bytes))"
    return combine(expect_message(conv, NOT_WRITABLE, what, device), facts)


PROBES = [
    Probe(
        "NTL401",
        "mutation through shared NumPy/tensor memory",
        "from_numpy / as_tensor / .numpy() share memory: an in-place write shows on the other side",
        ntl401,
        cuda_premise="a device change is a copy: writes on the CUDA tensor never reach the array",
    ),
    Probe(
        "NTL402",
        "aliased snapshots",
        "p.detach().numpy() (and .cpu().numpy() on CPU) snapshots all alias the live parameter",
        ntl402,
        cuda_premise=".cpu() of a CUDA parameter copies: the aliasing is a CPU-only effect",
    ),
    Probe(
        "NTL403",
        "negative strides",
        "a[::-1], np.flip, np.rot90 into from_numpy/as_tensor/tensor raise ValueError",
        ntl403,
        messages=(NEG_STRIDE,),
    ),
    Probe(
        "NTL404",
        "read-only arrays",
        "from_numpy/as_tensor of a read-only array warns that the tensor is not writable",
        ntl404,
        fresh_process=True,
        messages=(NOT_WRITABLE,),
    ),
]
