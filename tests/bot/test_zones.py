"""The time zones a chat may name (bot/zones.py): IANA names in any letter case, nothing
else; found from the `tzdata` package on a system without zone files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.zones import UTC_ZONE, zone_named, zone_of


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("utc", "UTC"),
        (" UTC ", "UTC"),
        ("Etc/GMT+5", "Etc/GMT+5"),
    ],
)
def test_an_iana_name_in_any_case_is_the_zone_spelled_as_it_spells_itself(
    typed: str, zone: str
) -> None:
    assert zone_named(typed) == zone


@pytest.mark.parametrize(
    "typed", ["Berlin", "Mars/Olympus", "", "localtime", "Factory", "../etc/passwd", "+02:00"]
)
def test_anything_else_is_no_zone(typed: str) -> None:
    assert zone_named(typed) is None


def test_a_stored_zone_this_machine_does_not_know_is_read_as_utc() -> None:
    assert zone_of("Mars/Olympus").key == UTC_ZONE
    assert zone_of("Asia/Kolkata").key == "Asia/Kolkata"


def test_zones_are_found_without_the_systems_zone_files() -> None:
    """Slim images have no /usr/share/zoneinfo: the tzdata dependency has the zones."""
    code = (
        "import datetime as dt; from bot.zones import zone_named, zone_of; "
        "print(zone_named('europe/berlin'), "
        "dt.datetime(2023, 7, 1, tzinfo=dt.UTC).astimezone(zone_of('Europe/Berlin')).hour)"
    )
    environment = {**os.environ, "PYTHONTZPATH": "/nonexistent"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        cwd=Path(__file__).parents[2],  # this checkout's bot/
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["Europe/Berlin", "2"]
