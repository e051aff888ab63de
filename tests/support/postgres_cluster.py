"""Stopping and starting the test PostgreSQL server, for the tests of outages (marked
`alone`: every PostgreSQL test shares the server)."""

from __future__ import annotations

import os
import subprocess

import pytest


def cluster(action: str) -> None:
    """pg_ctlcluster ACTION ("stop", "start") on the test server (start.sh named it)."""
    name = os.environ.get("QABOT_TEST_POSTGRES_CLUSTER")
    if not name:
        if os.environ.get("CI"):
            pytest.fail("QABOT_TEST_POSTGRES_CLUSTER is not set: .ci/run starts PostgreSQL")
        pytest.skip(
            "QABOT_TEST_POSTGRES_CLUSTER is not set (tests/support/postgres/start.sh sets it)"
        )
    version, cluster_name = name.split("/")
    subprocess.run(["pg_ctlcluster", version, cluster_name, action], check=True, timeout=120)
