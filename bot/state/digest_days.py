"""Which day a chat's daily digest is of: the chat's local date, in the zone it chose.

Both stores decide with these (in Python: SQL knows no IANA zones in SQLite) and then
claim the day with a conditional UPDATE, which keeps the claim atomic across workers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.state.protocols import DigestSchedule, DueDigest
from bot.zones import zone_of


def first_digest_day(schedule: DigestSchedule, now: dt.datetime) -> dt.date:
    """The day a new schedule counts as last sent: today (the chat's) when its hour has
    passed there (the first digest comes tomorrow), else yesterday (it comes today, now if
    it is the hour)."""
    local = now.astimezone(zone_of(schedule.zone))
    today = local.date()
    return today if schedule.hour < local.hour else today - dt.timedelta(days=1)


def due_day(schedule: DigestSchedule, last_day: dt.date, now: dt.datetime) -> dt.date | None:
    """The chat's local day whose digest is due at `now`, if one is: its hour has come
    there today and that day's was not sent.

    "Has come", not "is": an hour a DST change skips (02:00 in Berlin one March night) is
    made up at the next one, and an hour it repeats gives one digest, the day being sent
    after the first.
    """
    local = now.astimezone(zone_of(schedule.zone))
    if local.hour < schedule.hour or last_day >= local.date():
        return None
    return local.date()


def due_digests(
    chats: Iterable[tuple[int, DigestSchedule, dt.date]], now: dt.datetime
) -> list[DueDigest]:
    """The digests due at `now` of `chats` (each with its schedule and last day sent), in
    the order of the chats' ids (so that workers claiming them lock rows in one order)."""
    due = [
        DueDigest(chat_id, day)
        for chat_id, schedule, last_day in chats
        if (day := due_day(schedule, last_day, now)) is not None
    ]
    return sorted(due, key=lambda digest: digest.chat_id)
