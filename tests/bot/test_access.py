"""Allow-lists, admins and the per-person question rate."""

from __future__ import annotations

import pytest

from bot.state.access import AccessPolicy
from bot.state.memory import MemoryRateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_without_allow_lists_everyone_may_ask() -> None:
    policy = AccessPolicy(admin_user_ids=frozenset({7}))
    assert not policy.restricted
    assert policy.may_use(123, 456)
    assert policy.may_use(None, None)


def test_allow_lists_admit_listed_users_anywhere_and_anyone_in_listed_chats() -> None:
    policy = AccessPolicy(
        allowed_user_ids=frozenset({1}),
        allowed_chat_ids=frozenset({-100}),
        admin_user_ids=frozenset({9}),
    )
    assert policy.may_use(1, -555)  # listed user in any chat
    assert policy.may_use(2, -100)  # anyone inside a listed chat
    assert policy.may_use(9, 9)  # admins always
    assert not policy.may_use(2, 2)
    assert not policy.may_use(2, None)  # inline queries have no chat
    assert not policy.may_use(None, -555)


def test_only_listed_admins_are_admins() -> None:
    policy = AccessPolicy(admin_user_ids=frozenset({9}))
    assert policy.is_admin(9)
    assert not policy.is_admin(1)
    assert not policy.is_admin(None)


def test_limiter_allows_the_rate_then_refuses_and_warns_once_per_burst() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(3, 60.0, clock=clock)
    assert all(limiter.check("ann").allowed for _ in range(3))
    first = limiter.check("ann")
    second = limiter.check("ann")
    assert not first.allowed and first.first_refusal
    assert not second.allowed and not second.first_refusal
    assert first.retry_after == pytest.approx(60.0)
    assert limiter.check("bob").allowed  # per person


def test_limiter_window_slides() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(2, 60.0, clock=clock)
    limiter.check("ann")
    clock.now += 30
    limiter.check("ann")
    assert not limiter.check("ann").allowed
    clock.now += 30.5  # the first event left the window
    decision = limiter.check("ann")
    assert decision.allowed
    assert not limiter.check("ann").allowed
    clock.now += 100
    again = limiter.check("ann")
    assert again.allowed
    # after a fresh allowance the next burst is warned about again
    limiter.check("ann")
    assert limiter.check("ann").first_refusal


def test_limiter_memory_is_bounded() -> None:
    limiter = MemoryRateLimiter(1, 60.0, max_keys=100, clock=FakeClock())
    for person in range(1000):
        limiter.check(person)
    assert len(limiter._events) == 100
    assert limiter.check(0).allowed  # forgotten: only ever lets someone ask sooner
    assert not limiter.check(999).allowed
