"""Nothing lost on a shared PostgreSQL: a worker killed (SIGKILL) while adding a document
leaves the old set of documents or the new one, never half of one; answers and votes
committed before a kill are kept; a database restart fails answers politely, and the
next ones are answered again without restarting anything."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from index import Engine, EngineSettings
from index.ingest.documents import parse_bytes
from index.ingest.embedding import Embedder
from index.store.postgres import PostgresStorage
from tests.index.test_reliability_engine import BIG_QUESTION, big_article
from tests.support.engine_support import ARTICLES, QUESTIONS, answers_of
from tests.support.pausing import kill_at

pytest_plugins = ("tests.support.engine_fixtures", "tests.support.postgres_fixtures")

# As tests/index/test_reliability_engine.py's child, on the shared database.
CHILD = """
import sys
from pathlib import Path
from index import Engine
from index.snapshot import build as snapshot
from index.store import postgres as postgres_store
from index.store.postgres import PostgresStorage
from index.settings import EngineSettings, IndexSettings
from qabot.config import StateSettings
from qabot.database import open_pool
from tests.support.pausing import Pauses, PausingEmbedder

index_dir, article, moment = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
pauses = Pauses(moment)

pool = open_pool(StateSettings(backend="postgres"))
settings = EngineSettings(index=IndexSettings(dir=index_dir, default_corpus=None))
engine = Engine(settings, PausingEmbedder(pauses), storage=PostgresStorage(pool, 0.0))
# paused only in the add: opening may build an index too
pauses.after(postgres_store.PostgresOriginals, "save", "once its original is written")
pauses.after(postgres_store.PostgresChunkStore, "replace_document", "once the store committed")
pauses.before(snapshot, "build_lexical", "while the index is built")
engine.add_paths([article])
print("added", flush=True)
"""


def query(database_url: str, sql: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def generation(database_url: str) -> int:
    return query(database_url, "SELECT value::bigint FROM index_meta WHERE key = 'generation'")


# killed before any write: the old set; once the original is written, the new one
EXPECTED = {
    "while embedding": False,
    "once its original is written": True,
    "once the store committed": True,
    "while the index is built": True,
}


@pytest.mark.slow
@pytest.mark.parametrize("moment", list(EXPECTED))
def test_a_worker_killed_while_adding_leaves_the_old_or_the_new_set(
    moment: str,
    pool: ConnectionPool,
    database_url: str,
    base_settings: EngineSettings,
    shared_embedder: Embedder,
    tmp_path: Path,
) -> None:
    def worker(name: str) -> Engine:
        settings = base_settings.with_changes(index={"dir": tmp_path / name})
        return Engine(settings, shared_embedder, storage=PostgresStorage(pool, 0.0))

    first = worker("first")
    first.add_documents([parse_bytes(name, text.encode()) for name, text in ARTICLES.items()])
    first.close()
    article = tmp_path / "aurora-log.txt"
    article.write_text(big_article(), encoding="utf-8")

    kill_at(
        CHILD,
        [str(tmp_path / "killed"), str(article)],
        moment,
        env={**os.environ, "QABOT_DATABASE_URL": database_url},
    )

    for name in ("killed", "other"):  # the killed worker restarted, and another one
        engine = worker(name)
        ids = {d.doc_id for d in engine.documents()}
        assert ids == set(QUESTIONS) | ({"aurora-log"} if EXPECTED[moment] else set())
        for view, (_, fact) in zip(answers_of(engine), QUESTIONS.values(), strict=True):
            assert fact in view.text
        aurora = engine.answer(BIG_QUESTION[0])
        assert (BIG_QUESTION[1] in aurora.text) == EXPECTED[moment]
        engine.close()
    stored = query(database_url, "SELECT count(*) FROM documents")
    assert stored == query(database_url, "SELECT count(*) FROM originals") == len(ids)
    empty = "SELECT count(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM chunks c"
    assert query(database_url, empty + " WHERE c.doc_id = d.doc_id)") == 0


ANSWER_WRITER = """
import sys
from bot.state.postgres import PostgresAnswerLog
from index.api import Answer
from qabot.config import StateSettings
from qabot.database import open_pool
from tests.support.pausing import Pauses

log = PostgresAnswerLog(open_pool(StateSettings(backend="postgres")))
for n in range(50):
    answer_id = log.record_answer(Answer(f"q{n}?", "a.", True, []), chat_id=1, user_id=n,
                                  latency_ms=5.0)
    log.record_vote(answer_id, n, 1)
Pauses(sys.argv[1]).here("once committed")
"""


def test_answers_and_votes_committed_before_a_kill_are_kept(
    pool: ConnectionPool, database_url: str
) -> None:
    from bot.state.postgres import PostgresAnswerLog

    kill_at(
        ANSWER_WRITER, [], "once committed", env={**os.environ, "QABOT_DATABASE_URL": database_url}
    )
    stats = PostgresAnswerLog(pool).stats()
    assert (stats.questions, stats.thumbs_up) == (50, 50)
