"""Time zones a chat names (`/digest 8 Europe/Berlin`): IANA names, as `zoneinfo` knows them.

The system's zone files (/usr/share/zoneinfo) come first, the `tzdata` package where a
system has none (slim images). A name is accepted in any letter case ("europe/berlin",
"utc") and stored as the zone's own spelling.
"""

from __future__ import annotations

import functools
import logging
import zoneinfo

logger = logging.getLogger(__name__)
UTC_ZONE = "UTC"  # a chat that names no zone
# files in the zone folders that are no place's zone
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def zone_named(text: str) -> str | None:
    """The IANA name of the zone `text` names (any letter case), or None if none does."""
    return _zone_names().get(text.strip().casefold())


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    """The zone stored as `name`; UTC if this machine no longer knows it (the digest still
    comes, at its hour in UTC, rather than never)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown time zone %r: using %s", name, UTC_ZONE)
        return zoneinfo.ZoneInfo(UTC_ZONE)


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every zone name by its case-folded spelling; read once (the zone folders are scanned,
    some 30 ms), as they change only with the system's or the package's zone data."""
    names = zoneinfo.available_timezones() - _NOT_ZONES
    return {name.casefold(): name for name in sorted(names)}
