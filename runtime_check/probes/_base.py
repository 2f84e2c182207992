"""What a probe is, and the helpers every probe uses to reach a verdict."""
from __future__ import annotations

import builtins
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Sequence, Tuple, Type, Union

from ..results import BROKEN, CONFIRMED, SKIPPED, Verdict

ExcTypes = Union[Type[BaseException], Tuple[Type[BaseException], ...]]


@dataclass(frozen=True)
class Message:
    """An error or warning that a probe observes torch give: the one source of its text.

    The rule's doc page quotes `text` verbatim, fixture headers name `text`
    (or a prefix of it, or it and more), and a rule message that quotes the
    error quotes it too; tests/test_runtime_check.py checks each of them
    against this, and the probe itself checks that torch still says it.
    """

    kind: str  # "raises" or "warns"
    types: Tuple[str, ...]  # the builtin exception / warning classes torch uses for it
    # torch's own words, as a CPU build prints them; where torch appends
    # values (", but got Double and Float") the stable part before them.
    text: str
    # Other wordings of the same failure: another kernel (conv, matmul), a
    # CUDA kernel, a CUDA build with no device. Matched where the probe says
    # so (CUDA runs, CPU-only-host premises) and accepted in fixture headers;
    # a doc page or rule message need not quote them.
    alternatives: Tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert self.kind in ("raises", "warns"), self.kind
        for name in self.types:
            assert isinstance(getattr(builtins, name, None), type), f"{name} is not a builtin class"

    @property
    def classes(self) -> Tuple[Type[BaseException], ...]:
        return tuple(getattr(builtins, name) for name in self.types)

    @property
    def fragments(self) -> Tuple[str, ...]:
        """Every accepted wording: the text, then the alternatives."""
        return (self.text, *self.alternatives)

    def wordings(self, device: str) -> Tuple[str, ...]:
        """What a probe matches: the text on CPU; on CUDA, whose kernels word some errors their own way, any."""
        return self.fragments if device == "cuda" else (self.text,)

    def agrees(self, quote: str) -> bool:
        """True when `quote` (a fixture header fragment, a rule message's quote) says what torch says.

        A quote agrees when it is a prefix of a wording (a header may name the
        start of it), or the text and then more (the values torch fills in:
        "but got Int"); a quote elided with "..." agrees when its first part
        starts a wording and the other parts follow in it, in order.
        """
        parts = [part.strip() for part in quote.split("...") if part.strip()]
        if not parts:
            return False
        if len(parts) == 1:
            return parts[0].startswith(self.text) or any(w.startswith(parts[0]) for w in self.fragments)
        for wording in self.fragments:
            if not wording.startswith(parts[0]):
                continue
            pos = len(parts[0])
            for part in parts[1:]:
                found = wording.find(part, pos)
                if found < 0:
                    break
                pos = found + len(part)
            else:
                return True
        return False


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
    # The errors and warnings the check observes torch give: the one source
    # of their text (see Message).
    messages: Tuple[Message, ...] = ()


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


def expect_message(action: Callable[[], Any], message: Message, what: str, device: str = "cpu") -> Verdict:
    """Confirmed when `action` raises (or warns) `message`, in a wording accepted on `device`."""
    if message.kind == "warns":
        assert len(message.classes) == 1, message
        warning = message.classes[0]
        assert issubclass(warning, Warning), message
        return expect_warning(action, warning, message.wordings(device), what)
    return expect_raises(action, message.classes, message.wordings(device), what)


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
    except exc_types as exc:
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
    fragments: Union[str, Sequence[str]],
    what: str,
) -> Verdict:
    """Confirmed when `action` emits a `category` warning whose message contains a fragment."""
    wanted = (fragments,) if isinstance(fragments, str) else tuple(fragments)
    try:
        _, caught = record_warnings(action)
    except Exception as exc:
        return broken(exc_text(exc), f"{what} raised instead of warning")
    for w in caught:
        if issubclass(w.category, category) and any(frag in str(w.message) for frag in wanted):
            return confirmed(f"{w.category.__name__}: {w.message}")
    seen = "; ".join(f"{w.category.__name__}: {w.message}" for w in caught) or "no warning"
    return broken(
        seen, f"{what} no longer emits {category.__name__} containing " + " or ".join(repr(f) for f in wanted)
    )


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
