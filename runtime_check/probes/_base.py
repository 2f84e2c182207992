"""What a probe is, and the helpers every probe uses to reach a verdict."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Sequence, Tuple, Type, Union

from ..results import BROKEN, CONFIRMED, SKIPPED, Verdict

ExcTypes = Union[Type[BaseException], Tuple[Type[BaseException], ...]]


@dataclass(frozen=True)
class Probe:
    """One rule's premise, and the function that checks it on a device."""

    code: str
    title: str
    premise: str  # one line, as the report prints it
    check: Callable[[str], Verdict]  # check("cpu") / check("cuda")
    # Devices on which the check is not meaningful, with the reason shown.
    not_applicable: Dict[str, str] = field(default_factory=dict)
    # When the CUDA run checks another facet of the rule (e.g. that a device
    # change breaks an alias), say which, so the report never blurs the two.
    cuda_premise: str = ""
    # torch warns some things once per process (TORCH_WARN_ONCE): such a probe
    # runs in a fresh interpreter so an earlier conversion cannot hide it.
    fresh_process: bool = False
    # The premise is about hosts without CUDA: on a GPU host the CPU run goes
    # to a subprocess with CUDA_VISIBLE_DEVICES="".
    cpu_only_host: bool = False


def confirmed(observed: str) -> Verdict:
    return Verdict(CONFIRMED, observed)


def broken(observed: str, reason: str) -> Verdict:
    return Verdict(BROKEN, observed, "premise no longer holds: " + reason)


def skipped(reason: str) -> Verdict:
    return Verdict(SKIPPED, "", reason)


def exc_text(exc: BaseException) -> str:
    """The exception as Python's traceback prints its last line."""
    msg = str(exc)
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expect_raises(
    action: Callable[[], Any],
    exc_types: ExcTypes,
    fragments: Sequence[str],
    what: str,
) -> Verdict:
    """Confirmed when `action` raises one of `exc_types` whose message contains a fragment."""
    names = _names(exc_types)
    try:
        value = action()
    except exc_types as exc:  # type: ignore[misc]
        if any(frag in str(exc) for frag in fragments):
            return confirmed(exc_text(exc))
        return broken(
            exc_text(exc),
            f"{what} raised {type(exc).__name__}, but the message no longer contains "
            + " or ".join(repr(f) for f in fragments),
        )
    except Exception as exc:
        return broken(exc_text(exc), f"{what} raised {type(exc).__name__}, not {names}")
    return broken(f"no exception; it returned {short(value)}", f"{what} no longer raises {names}")


def record_warnings(action: Callable[[], Any]) -> Tuple[Any, List[warnings.WarningMessage]]:
    """Run `action` and return its value and every warning it emitted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = action()
    return value, list(caught)


def expect_warning(
    action: Callable[[], Any],
    category: Type[Warning],
    fragment: str,
    what: str,
) -> Verdict:
    try:
        _, caught = record_warnings(action)
    except Exception as exc:
        return broken(exc_text(exc), f"{what} raised instead of warning")
    for w in caught:
        if issubclass(w.category, category) and fragment in str(w.message):
            return confirmed(f"{w.category.__name__}: {w.message}")
    seen = "; ".join(f"{w.category.__name__}: {w.message}" for w in caught) or "no warning"
    return broken(seen, f"{what} no longer emits {category.__name__} containing {fragment!r}")


def check(ok: bool, observed: str, reason_if_not: str) -> Verdict:
    """A measured fact: confirmed when `ok`, else broken with the measurement."""
    return confirmed(observed) if ok else broken(observed, reason_if_not)


def combine(*verdicts: Verdict) -> Verdict:
    """All sub-checks must hold; the observations are kept in order."""
    # Several sub-checks often observe the same message: keep each once.
    seen: List[str] = []
    for v in verdicts:
        for part in v.observations:
            if part not in seen:
                seen.append(part)
    observed = "; ".join(seen)
    bad = [v for v in verdicts if v.status == BROKEN]
    if bad:
        reasons = "; ".join(v.reason.replace("premise no longer holds: ", "") for v in bad)
        return Verdict(BROKEN, observed, "premise no longer holds: " + reasons, seen)
    if verdicts and all(v.status == SKIPPED for v in verdicts):
        return Verdict(SKIPPED, observed, "; ".join(v.reason for v in verdicts), seen)
    return Verdict(CONFIRMED, observed, "", seen)


def torch_device(device: str) -> Any:
    import torch

    return torch.device("cuda" if device == "cuda" else "cpu")


def _names(exc_types: ExcTypes) -> str:
    types = exc_types if isinstance(exc_types, tuple) else (exc_types,)
    return "/".join(t.__name__ for t in types)
