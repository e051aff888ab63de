"""Fixtures for the tests that need a real PostgreSQL; test modules load them with
`pytest_plugins = ("tests.support.postgres_fixtures",)`.

The server is the private cluster tests/support/postgres/start.sh starts (`.ci/run` does; a
developer runs `eval "$(bash tests/support/postgres/start.sh)"` once). Its address is in
QABOT_TEST_POSTGRES. Without it these tests are skipped, except in CI, where that is a
failure: CI must run them. Every test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from qabot.config import Config, StateSettings
from qabot.database import open_pool

SERVER_VARIABLE = "QABOT_TEST_POSTGRES"
DATABASE_VARIABLE = "QABOT_DATABASE_URL"  # StateSettings.dsn_env's default


def server_url() -> str:
    url = os.environ.get(SERVER_VARIABLE, "")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{SERVER_VARIABLE} is not set: .ci/run starts PostgreSQL for the tests")
    pytest.skip('no test PostgreSQL: eval "$(bash tests/support/postgres/start.sh)" starts one')


@pytest.fixture
def new_database() -> Iterator[Callable[[], str]]:
    """new_database() -> the address of a new, empty database on the test server; each is
    dropped after the test."""
    server = server_url()
    names: list[str] = []

    def create() -> str:
        name = f"qabot_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))

    yield create
    with psycopg.connect(server, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(new_database: Callable[[], str]) -> str:
    """The address of a new, empty database on the test server (dropped afterwards)."""
    return new_database()


@pytest.fixture
def postgres_state(database_url: str, monkeypatch: pytest.MonkeyPatch) -> StateSettings:
    """`state:` settings naming the test database (through the environment, as in production)."""
    monkeypatch.setenv(DATABASE_VARIABLE, database_url)
    return StateSettings(backend="postgres", dsn_env=DATABASE_VARIABLE)


@pytest.fixture
def pool(postgres_state: StateSettings) -> Iterator[ConnectionPool]:
    """A pool on the test database, its schema migrated."""
    opened = open_pool(postgres_state)
    yield opened
    opened.close()


def with_postgres(config: Config, state: StateSettings, **changes: object) -> Config:
    """`config` with `state` and other top-level sections changed."""
    return config.model_copy(update={"state": state, **changes})
