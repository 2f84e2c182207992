"""NTL3xx: device placement that only works where a GPU is."""
from __future__ import annotations

from typing import Iterator, Optional

from ..engine.events import Load, Placement, guarded_here
from ..engine.evidence import CheckpointEvidence
from ..findings import Finding
from ..engine.values import Device
from ..fixes.model import Fix, map_location
from .base import Evidence, Rule, plain_call

_FIX = 'choose the device once (torch.device("cuda" if torch.cuda.is_available() else "cpu")) and use .to(device)'


class UnguardedCudaPlacement(Rule):
    """NTL301: ``.cuda()``, ``.to("cuda")``, ``device="cuda"`` on a path with no CUDA guard."""

    code = "NTL301"
    name = "unguarded-cuda-placement"
    summary = "CUDA placement not guarded by torch.cuda.is_available()"
    events = (Placement,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, Placement)
        if event.device.device is not Device.CUDA or guarded_here(event.context):
            return
        if event.context.distributed and distributed_needs_cuda(evidence):
            return  # runs only in an initialized process group, and the project makes NCCL ones only
        origin = event.device.origin
        if event.through_variable and origin is not None and evidence.home_of(origin.site, imported_only=True):
            # Chosen in a module this file imports (a get_device() helper): the placement here is the
            # line this file can be fixed at; that module has no placement to report. (A device a
            # caller in another file chose and passed in is that file's finding, at its choice.)
            yield Finding(
                self.code,
                event.site,
                f"placement {event.what} uses CUDA device {evidence.code(origin.site.node)} chosen without a "
                f"torch.cuda.is_available() guard at {evidence.at(origin.site)}; fails on a host without CUDA; {_FIX}",
                needs_unguarded_in=event.context.function,
                reached_when=event.context.parameter_tests,
            )
        elif event.through_variable and origin is not None:
            yield Finding(
                self.code,
                origin.site,
                f"CUDA device {evidence.code(origin.site.node)} is chosen without a torch.cuda.is_available() "
                f"guard and used for placement at {evidence.at(event.site)} ({event.what}); "
                f"fails on a host without CUDA; {_FIX}",
                needs_unguarded_in=event.context.function,
                reached_when=event.context.parameter_tests,
            )
        else:
            quoted = "" if event.cuda_tensor_type else ' ("Torch not compiled with CUDA enabled")'
            yield Finding(
                self.code,
                event.site,
                f"unguarded CUDA placement {event.what} fails on a host without CUDA{quoted}; {_FIX}",
                needs_unguarded_in=event.context.function,
                reached_when=event.context.parameter_tests,
            )


class LoadWithoutMapLocation(Rule):
    """NTL302: ``torch.load`` (or a URL loader) without ``map_location`` on a path with no CUDA guard."""

    code = "NTL302"
    name = "load-without-map-location"
    summary = "torch.load without map_location"
    events = (Load,)

    def check(self, event: object, evidence: Evidence) -> Iterator[Finding]:
        assert isinstance(event, Load)
        if event.map_location or guarded_here(event.context) or event.saved_before or event.in_memory:
            return
        if event.context.distributed and distributed_needs_cuda(evidence):
            return
        if event.from_url:
            # What a downloaded file holds is its publisher's choice, and zoos publish CPU tensors
            # as a rule: nothing in this project's code is evidence either way.
            return
        facts = evidence.checkpoints
        if facts is None or not _may_hold_cuda(event, facts):
            return
        yield Finding(
            self.code,
            event.site,
            f"{evidence.code(event.site.node)} has no map_location: a checkpoint saved from GPU tensors raises "
            "\"Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False\" "
            "on a host without CUDA; pass map_location=\"cpu\" (or your device)",
            needs_unguarded_in=event.context.function,
            fix=_map_location(event),
        )


def distributed_needs_cuda(evidence: Evidence) -> bool:
    """Every process group the project makes needs CUDA (NCCL), and it makes one."""
    facts = evidence.checkpoints
    return facts is not None and facts.process_groups_need_cuda()


def _may_hold_cuda(event: Load, facts: CheckpointEvidence) -> bool:
    """The code shows that the file loaded may hold CUDA storages (evidence, never the word "cuda").

    The project's own saves of the path decide first (all CPU: silent); then every save of the
    project (all CPU: silent); then CUDA use: in this file's code, or, for a load of a path the
    project saves from GPU tensors or of a model's weights (``load_state_dict``), anywhere in
    the project. A load of data or statistics in a file that never touches CUDA stays silent.
    """
    load = event.site.node
    if facts.loads_tensorless_state(load):
        return False  # a TensorRT engine's state: bytes and names, no storage to put on a device
    matched = facts.saves_read_by(load)
    if matched is True or (matched is None and facts.saves_on_cpu()):
        return False
    if facts.file_uses_cuda():
        return True
    return (matched is False or facts.loads_weights(load)) and facts.project_uses_cuda()


def _map_location(event: Load) -> Optional[Fix]:
    """map_location="cpu" (or the file's device variable) appended to a call with plain arguments."""
    call = plain_call(event.site.node)
    if call is None or not (call.args or call.keywords):
        return None
    variable = event.device_variable if event.device_variable and event.device_variable.isidentifier() else None
    return map_location(event.site, variable)
