"""Fault injection: scripted failures, dropped connections and delays for the next N calls,
or failures for every call during the next few seconds (an outage)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import ApiError, default_description

ANY_METHOD = "*"
Effect = TypeVar("Effect")


@dataclass
class _Rule(Generic[Effect]):
    method: str
    remaining: int
    effect: Effect
    until: float | None = None  # time.monotonic() deadline: applies to every call until then

    def applies_to(self, method: str) -> bool:
        return self.method in (method, ANY_METHOD)


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering; processed=True applies the call first."""

    processed: bool


@dataclass(frozen=True)
class Faults:
    """What to do to one particular call."""

    delay: float = 0.0
    failure: ApiError | None = None
    drop: Drop | None = None


@dataclass
class FaultPlan:
    """Rules are used in the order they were added; "*" matches every method."""

    _failures: list[_Rule[ApiError]] = field(default_factory=list)
    _drops: list[_Rule[Drop]] = field(default_factory=list)
    _delays: list[_Rule[float]] = field(default_factory=list)

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int,
        retry_after: int | None,
        description: str | None,
        seconds: float | None = None,
    ) -> None:
        """The next `times` calls fail, or with `seconds` every call until they have passed."""
        if status == 429 and retry_after is None:
            retry_after = 1
        parameters = {"retry_after": retry_after} if status == 429 else None
        error = ApiError(
            status, description or default_description(status, retry_after), parameters
        )
        until = None if seconds is None else time.monotonic() + seconds
        self._failures.append(_Rule(method, times, error, until))

    def drop(self, method: str, *, times: int, processed: bool) -> None:
        self._drops.append(_Rule(method, times, Drop(processed)))

    def delay(self, method: str, seconds: float, *, times: int) -> None:
        self._delays.append(_Rule(method, times, seconds))

    def clear(self) -> None:
        """Forget every planned fault."""
        self._failures.clear()
        self._drops.clear()
        self._delays.clear()

    def take(self, method: str) -> Faults:
        """Consume the faults that apply to this call of method."""
        return Faults(
            delay=_take(self._delays, method) or 0.0,
            failure=_take(self._failures, method),
            drop=_take(self._drops, method),
        )


def _take(rules: list[_Rule[Effect]], method: str) -> Effect | None:
    for rule in list(rules):
        if not rule.applies_to(method):
            continue
        if rule.until is not None:
            if time.monotonic() < rule.until:
                return rule.effect
            rules.remove(rule)  # the outage is over
            continue
        rule.remaining -= 1
        if rule.remaining <= 0:
            rules.remove(rule)
        return rule.effect
    return None
