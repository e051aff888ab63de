"""Fault injection: scripted failures, dropped connections and delays for the next N calls."""

from __future__ import annotations

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
    ) -> None:
        if status == 429 and retry_after is None:
            retry_after = 1
        parameters = {"retry_after": retry_after} if status == 429 else None
        error = ApiError(
            status, description or default_description(status, retry_after), parameters
        )
        self._failures.append(_Rule(method, times, error))

    def drop(self, method: str, *, times: int, processed: bool) -> None:
        self._drops.append(_Rule(method, times, Drop(processed)))

    def delay(self, method: str, seconds: float, *, times: int) -> None:
        self._delays.append(_Rule(method, times, seconds))

    def take(self, method: str) -> Faults:
        """Consume the faults that apply to this call of method."""
        return Faults(
            delay=_take(self._delays, method) or 0.0,
            failure=_take(self._failures, method),
            drop=_take(self._drops, method),
        )


def _take(rules: list[_Rule[Effect]], method: str) -> Effect | None:
    for rule in rules:
        if rule.method in (method, ANY_METHOD):
            rule.remaining -= 1
            if rule.remaining <= 0:
                rules.remove(rule)
            return rule.effect
    return None
