"""Injected faults: what goes wrong on which ingestion call, seeded and repeatable.

Spec syntax (comma separated items, whitespace ignored)::

    seed=7                 the random seed (omit for a random one, reported in stats)
    KIND=P                 probability P (0..1) per ingestion call, KIND one of
                           500, 502, 503, 429, drop-before, drop-after, slow, token-expiry,
                           403, 504, 200-false
    slow=P:SECONDS         how long a slow answer waits (default 1.0)
    429=P:SECONDS          Retry-After in seconds (default 1); 429=P:date sends an HTTP date
    503=P:SECONDS          Retry-After on 503 (default none); 503=P:date sends an HTTP date
    504=P:kept|lost        a gateway timeout after the events were kept, or before
                           (default: the config's gateway_timeout_keeps_events)
    callN=KIND[:ARG]       the Nth ingestion call (1-based, counted from start or reset)
                           gets KIND whatever the dice say, e.g. call2=drop-after,call3=503:2
    token-429=P            the token endpoint answers 429 (Retry-After: 1) with probability P

Exactly one random number is drawn per ingestion call, scripted or not, so a given seed
and call order always give the same faults. The kinds share one draw, in the order listed
above, so their probabilities must add up to at most 1.

What the newer kinds do: ``403`` answers "no permission" after the token check; ``504``
answers a gateway timeout (an HTML page, not JSON); ``200-false`` answers 200 with
``{"success": false, ...}`` and keeps nothing.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from zmed_gui.core.errors import OptionsError

FAULT_KINDS: tuple[str, ...] = (
    "500",
    "502",
    "503",
    "429",
    "drop-before",
    "drop-after",
    "slow",
    "token-expiry",
    "403",
    "504",
    "200-false",
)
TOKEN_FAULT = "token-429"
_ARG_KINDS = ("slow", "429", "503")


@dataclass(frozen=True)
class Fault:
    """One injected fault.

    ``seconds`` is the sleep for ``slow`` and the Retry-After for 429/503 (None: no header
    on 503). ``http_date`` makes Retry-After an HTTP date instead of seconds. ``kept`` says
    whether a 504 comes after the events were kept (None: as the config says).
    """

    kind: str
    seconds: float | None = None
    http_date: bool = False
    kept: bool | None = None

    def spec_arg(self) -> str:
        if self.kept is not None:
            return ":kept" if self.kept else ":lost"
        if self.http_date:
            return ":date"
        if self.seconds is None:
            return ""
        return f":{self.seconds!r}"


def default_fault(kind: str) -> Fault:
    if kind == "slow":
        return Fault(kind, 1.0)
    if kind == "429":
        return Fault(kind, 1.0)
    return Fault(kind)


@dataclass
class FaultPlan:
    """Which faults to inject and how often. Build with :meth:`parse` or directly."""

    seed: int | None = None
    rates: dict[str, float] = field(default_factory=dict)  # kind -> probability
    options: dict[str, Fault] = field(default_factory=dict)  # kind -> argument
    script: dict[int, Fault] = field(default_factory=dict)  # call number -> fault
    token_429: float = 0.0

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        """Read a spec such as ``"seed=7,500=0.05,slow=0.05:1.5,call3=drop-after"``."""
        plan = cls()
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            key, sep, value = item.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep or not value:
                raise OptionsError(
                    f"The fault '{item}' needs a value, e.g. 500=0.05 or seed=7 or call3=502."
                )
            if key == "seed":
                plan.seed = _int(value, item)
            elif key == TOKEN_FAULT:
                plan.token_429 = _probability(value, item)
            elif key.startswith("call"):
                number = _int(key[4:], item)
                if number < 1:
                    raise OptionsError(f"The fault '{item}': calls are counted from 1.")
                kind, _, arg = value.partition(":")
                plan.script[number] = _fault(kind.strip().lower(), arg.strip(), item)
            elif key in FAULT_KINDS:
                prob, _, arg = value.partition(":")
                plan.rates[key] = _probability(prob.strip(), item)
                if arg.strip():
                    plan.options[key] = _fault(key, arg.strip(), item)
            else:
                raise OptionsError(
                    f"The fault '{item}' is not known; use seed, callN, token-429 or one of "
                    + ", ".join(FAULT_KINDS)
                    + "."
                )
        total = sum(plan.rates.values())
        if total > 1.0 + 1e-9:
            raise OptionsError(
                f"The fault probabilities add up to {total:g}; they must add up to at most 1."
            )
        return plan

    def fault(self, kind: str) -> Fault:
        """The fault of ``kind`` with this plan's argument (or the default one)."""
        return self.options.get(kind) or default_fault(kind)

    def spec(self) -> str:
        """The spec string that :meth:`parse` turns back into this plan."""
        items: list[str] = []
        if self.seed is not None:
            items.append(f"seed={self.seed}")
        for kind in FAULT_KINDS:
            if kind in self.rates:
                arg = self.options[kind].spec_arg() if kind in self.options else ""
                items.append(f"{kind}={self.rates[kind]!r}{arg}")
        if self.token_429:
            items.append(f"{TOKEN_FAULT}={self.token_429!r}")
        for number in sorted(self.script):
            f = self.script[number]
            items.append(f"call{number}={f.kind}{f.spec_arg()}")
        return ",".join(items)

    def dice(self) -> FaultDice:
        """A fresh, thread-safe draw sequence for this plan."""
        return FaultDice(self)


class FaultDice:
    """Draws the fault (or none) for each ingestion call in order."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.seed = plan.seed if plan.seed is not None else random.SystemRandom().randrange(2**31)
        self._rng = random.Random(self.seed)
        self._token_rng = random.Random(self.seed + 1)
        self._calls = 0
        self._lock = threading.Lock()

    def next(self) -> Fault | None:
        """The fault for the next ingestion call."""
        with self._lock:
            self._calls += 1
            u = self._rng.random()  # always drawn, so scripted calls keep the sequence
            scripted = self.plan.script.get(self._calls)
        if scripted is not None:
            return scripted
        edge = 0.0
        for kind in FAULT_KINDS:
            edge += self.plan.rates.get(kind, 0.0)
            if u < edge:
                return self.plan.fault(kind)
        return None

    def next_token_fault(self) -> bool:
        """Whether the next token request gets a 429."""
        if not self.plan.token_429:
            return False
        with self._lock:
            return self._token_rng.random() < self.plan.token_429


def _int(text: str, item: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise OptionsError(f"The fault '{item}' needs a whole number, not '{text}'.") from None


def _probability(text: str, item: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise OptionsError(f"The fault '{item}' needs a probability between 0 and 1, not '{text}'.")
    return value


def _fault(kind: str, arg: str, item: str) -> Fault:
    if kind not in FAULT_KINDS:
        raise OptionsError(
            f"The fault '{item}' names an unknown kind '{kind}'; use one of "
            + ", ".join(FAULT_KINDS)
            + "."
        )
    if not arg:
        return default_fault(kind)
    if kind == "504":
        if arg.lower() not in ("kept", "lost"):
            raise OptionsError(f"The fault '{item}': 504 takes ':kept' or ':lost'.")
        return Fault(kind, kept=arg.lower() == "kept")
    if kind not in _ARG_KINDS:
        raise OptionsError(f"The fault '{item}': {kind} takes no ':' argument.")
    if arg.lower() == "date" and kind != "slow":
        return Fault(kind, default_fault(kind).seconds or 1.0, http_date=True)
    try:
        seconds = float(arg)
    except ValueError:
        seconds = -1.0
    if not 0.0 <= seconds <= 3600.0:
        raise OptionsError(
            f"The fault '{item}' needs seconds between 0 and 3600 after ':', not '{arg}'."
        )
    return Fault(kind, seconds)
