"""The command line on the scale-out backends: documents and chunks in PostgreSQL, vectors
and BM25 in Qdrant (local mode), each command a process of its own as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml

from qabot.migrations import MIGRATIONS
from tests.conftest import PROJECT_ROOT, SEED_QUESTION

pytest_plugins = ("tests.support.postgres_fixtures",)


def write_config(tmp_path: Path) -> Path:
    settings = {
        "index": {"dir": str(tmp_path / "index"), "default_corpus": None},
        "embedding": {"cache_dir": str(PROJECT_ROOT / "data" / "models")},
        "retrieval": {"backend": "qdrant"},
        "qdrant": {"path": str(tmp_path / "qdrant")},
        "state": {"backend": "postgres"},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def qabot(config: Path, database_url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qabot.cli", *argv, "--config", str(config)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "QABOT_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


LATEST = MIGRATIONS[-1].version


@pytest.mark.model
def test_index_add_then_ask_on_postgres_and_qdrant(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path)
    article = next((PROJECT_ROOT / "corpus").glob("*.txt"))

    upgraded = qabot(config, database_url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"schema is at version {LATEST} (latest {LATEST})" in upgraded.stdout
    added = qabot(config, database_url, "index", "add", str(article))
    assert added.returncode == 0, added.stderr
    assert "added rust-shooting-rourke-baldwin-2023-01-30" in added.stdout

    asked = qabot(config, database_url, "ask", "--json", SEED_QUESTION)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["confident"] and "Gutierrez Reed the same charges" in answer["answer"]
    assert "involuntary manslaughter" in answer["answer"]

    with psycopg.connect(database_url) as conn:
        [(stored,)] = conn.execute("SELECT doc_id FROM originals").fetchall()
    assert stored == "rust-shooting-rourke-baldwin-2023-01-30"
    assert not (tmp_path / "index" / "documents").exists()
    assert not list((tmp_path / "index").glob("snapshot-*/vectors.faiss"))
    listed = qabot(config, database_url, "index", "list")
    assert listed.returncode == 0 and stored in listed.stdout
    assert database_url not in asked.stderr + added.stderr + listed.stderr
