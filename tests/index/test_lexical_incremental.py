"""BM25 and the lexicon are updated from the previous snapshot's chunk tokens: after any
adds and removes they equal a build from every stored text, and only new chunks are
tokenized. A snapshot without the tokens (written before they were kept) still opens."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import bm25s
import numpy as np
import pytest

import index.snapshot.chunk_tokens
from index import Engine
from index.ingest.documents import parse_bytes
from index.ingest.terms import tokens, words
from index.snapshot.bm25 import Bm25Index
from index.snapshot.build import Snapshot
from index.snapshot.chunk_tokens import TOKENS_FILE, ChunkTokens
from index.snapshot.lexical_build import build_lexical
from index.snapshot.lexicon import Lexicon
from tests.support.engine_support import (
    ARTICLES,
    EXTRA_ARTICLE,
    EXTRA_QUESTION,
    QUESTIONS,
    OpenEngine,
)
from tests.support.lexical_reference import bm25_of_token_lists, lexicon_of_texts, token_lists_of

pytest_plugins = ("tests.support.engine_fixtures",)

# stop words only (an empty chunk), stems shared by several words, repeats, accents, digits
ODD_TEXTS = [
    "Running runners run; the runner runs and ran.",
    "the and of which what",
    "",
    "Café CAFÉ café naïve façade 1969 1969 1969",
    "Bees bee beeing bees; honeybees' waggle waggle dance",
]


def _from_the_texts(engine: Engine) -> tuple[list[int], Bm25Index, Lexicon]:
    """What a build from scratch makes of the store: the reference builds over its texts."""
    ids: list[int] = []
    texts: list[str] = []
    for batch_ids, batch in engine.current_view().store.iter_texts():
        ids.extend(batch_ids)
        texts.extend(batch)
    token_lists = [tokens(text) for text in texts]
    return ids, bm25_of_token_lists(ids, token_lists), lexicon_of_texts(token_lists, texts)


def _assert_same_lexicon(lexicon: Lexicon, expected: Lexicon) -> None:
    assert lexicon.doc_freq == expected.doc_freq
    assert lexicon.documents == expected.documents
    assert lexicon.surface == expected.surface
    assert list(lexicon.surface) == list(expected.surface)  # `correct` breaks ties in this order


def _assert_same_scores(bm25: Bm25Index, expected: Bm25Index, terms: list[str]) -> None:
    queries = [[term] for term in terms]
    queries += [tokens(question) for question, _ in [*QUESTIONS.values(), EXTRA_QUESTION]]
    queries.append(terms[::3])
    for query in queries:
        np.testing.assert_array_equal(bm25.scores(query), expected.scores(query), str(query))


def _assert_matches_the_store(snapshot: Snapshot, engine: Engine) -> None:
    ids, bm25, lexicon = _from_the_texts(engine)
    np.testing.assert_array_equal(snapshot.bm25.chunk_ids, ids)
    _assert_same_lexicon(snapshot.lexicon, lexicon)
    _assert_same_scores(snapshot.bm25, bm25, sorted(lexicon.doc_freq))


def _record_tokenized_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the lexical tokenizer is asked to split from now on."""
    seen: list[str] = []

    def counting(text: str) -> list[str]:
        seen.append(text)
        return words(text)

    monkeypatch.setattr(index.snapshot.chunk_tokens, "words", counting)
    return seen


def _texts_of(engine: Engine, doc_id: str) -> list[str]:
    found = engine.current_view().store.chunks(engine.current_view().store.chunk_ids_of(doc_id))
    return [chunk.text for _, chunk in sorted(found.items())]


def test_adds_and_removes_equal_a_build_from_every_text(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="qabot.index")  # "tokenizing every chunk" is INFO
    engine, _ = open_engine(index_copy)
    name, text = EXTRA_ARTICLE
    engine.add_documents([parse_bytes(name, text.encode())])
    _assert_matches_the_store(engine.current_view().snapshot, engine)

    engine.remove("bees")  # chunks dropped from the middle
    _assert_matches_the_store(engine.current_view().snapshot, engine)

    changed_moon = ARTICLES["moon.txt"].replace("27 days", "27.3 days, a sidereal month")
    engine.add_documents(  # bees back (new chunk ids) and the moon replaced, in one publish
        [
            parse_bytes("bees.txt", ARTICLES["bees.txt"].encode()),
            parse_bytes("moon.txt", changed_moon.encode()),
        ]
    )
    _assert_matches_the_store(engine.current_view().snapshot, engine)
    assert "sidereal" in engine.current_view().snapshot.lexicon.surface
    assert "tokenizing every chunk" not in caplog.text  # every publish re-used the tokens
    question, fact = QUESTIONS["bees"]
    assert fact in engine.answer(question).text
    engine.close()

    reopened, counting = open_engine(index_copy)  # the saved BM25 and lexicon, read back
    _assert_matches_the_store(reopened.current_view().snapshot, reopened)
    assert counting.texts == []


def test_an_update_tokenizes_only_the_new_chunks(
    index_copy: Path, open_engine: OpenEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = open_engine(index_copy)
    engine.current_view()  # loads the snapshot before the recording starts
    tokenized = _record_tokenized_texts(monkeypatch)
    name, text = EXTRA_ARTICLE
    engine.add_documents([parse_bytes(name, text.encode())])
    new_texts = _texts_of(engine, "glaciers")
    assert new_texts
    assert sorted(tokenized) == sorted(new_texts)  # once each, and no older chunk

    tokenized.clear()
    engine.remove("moon")
    assert tokenized == []


def test_a_snapshot_without_tokens_opens_and_its_next_update_tokenizes_all(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    engine, _ = open_engine(index_copy)
    folder = engine.current_view().snapshot.folder
    engine.close()
    (folder / TOKENS_FILE).unlink()  # as the snapshots of earlier versions are
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"][TOKENS_FILE]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    caplog.set_level(logging.INFO, logger="qabot.index")
    reopened, _ = open_engine(index_copy)
    assert reopened.current_view().snapshot.folder == folder  # loaded, not rebuilt
    question, fact = QUESTIONS["lighthouse"]
    assert fact in reopened.answer(question).text
    assert "kept no chunk tokens" not in caplog.text

    name, text = EXTRA_ARTICLE
    reopened.add_documents([parse_bytes(name, text.encode())])
    assert "kept no chunk tokens: tokenizing every chunk" in caplog.text
    snapshot = reopened.current_view().snapshot
    assert (snapshot.folder / TOKENS_FILE).is_file()
    _assert_matches_the_store(snapshot, reopened)

    caplog.clear()
    reopened.remove("bees")  # the next update uses the tokens just written
    assert "tokenizing every chunk" not in caplog.text
    _assert_matches_the_store(reopened.current_view().snapshot, reopened)


def test_damaged_tokens_make_the_update_tokenize_everything(
    index_copy: Path, open_engine: OpenEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="qabot.index")
    engine, _ = open_engine(index_copy)
    tokens_file = engine.current_view().snapshot.folder / TOKENS_FILE
    tokens_file.write_bytes(tokens_file.read_bytes()[:-200])  # after the snapshot was verified
    name, text = EXTRA_ARTICLE
    engine.add_documents([parse_bytes(name, text.encode())])
    assert "tokenizing every chunk again" in caplog.text
    _assert_matches_the_store(engine.current_view().snapshot, engine)


def test_odd_texts_give_the_scores_and_lexicon_of_the_reference_builds(
    tmp_path: Path,
) -> None:
    ids = list(range(3, 3 + 2 * len(ODD_TEXTS), 2))
    first = ChunkTokens.empty().extend([(ids[:2], ODD_TEXTS[:2])])
    chunk_tokens = first.extend([(ids[2:], ODD_TEXTS[2:])])
    token_lists = [tokens(text) for text in ODD_TEXTS]
    assert token_lists_of(chunk_tokens) == token_lists

    chunk_tokens.save(tmp_path)
    loaded = ChunkTokens.load(tmp_path)
    assert token_lists_of(loaded) == token_lists
    bm25, lexicon = build_lexical(loaded)
    expected = bm25_of_token_lists(ids, token_lists)
    _assert_same_lexicon(lexicon, lexicon_of_texts(token_lists, ODD_TEXTS))
    _assert_same_matrix(bm25, expected)

    keep = np.asarray([True, False, True, False, True])  # and after removals
    kept = loaded.select(keep)
    kept_lists = [t for t, k in zip(token_lists, keep, strict=True) if k]
    kept_texts = [t for t, k in zip(ODD_TEXTS, keep, strict=True) if k]
    assert token_lists_of(kept) == kept_lists
    assert set(kept.vocabulary) == {w for text in kept_texts for w in words(text)}
    bm25, lexicon = build_lexical(kept)
    _assert_same_lexicon(lexicon, lexicon_of_texts(kept_lists, kept_texts))
    _assert_same_matrix(bm25, bm25_of_token_lists(kept.chunk_ids.tolist(), kept_lists))


def _assert_same_matrix(bm25: Bm25Index, expected: Bm25Index) -> None:
    """The same bm25s score matrix, up to the order of the vocabulary's columns."""
    np.testing.assert_array_equal(bm25.chunk_ids, expected.chunk_ids)
    mine, theirs = bm25._retriever, expected._retriever
    assert isinstance(mine, bm25s.BM25) and isinstance(theirs, bm25s.BM25)
    assert mine.vocab_dict.keys() == theirs.vocab_dict.keys()
    assert mine.scores["num_docs"] == theirs.scores["num_docs"]
    for name in ("data", "indices", "indptr"):
        assert mine.scores[name].dtype == theirs.scores[name].dtype
    assert len(mine.scores["indptr"]) == len(theirs.scores["indptr"])
    for term, column in theirs.vocab_dict.items():
        if column + 1 >= len(theirs.scores["indptr"]):  # the "" bm25s adds has no column
            assert mine.vocab_dict[term] + 1 >= len(mine.scores["indptr"])
            continue
        for name in ("indices", "data"):
            start, end = theirs.scores["indptr"][column : column + 2]
            at = mine.vocab_dict[term]
            own_start, own_end = mine.scores["indptr"][at : at + 2]
            np.testing.assert_array_equal(
                mine.scores[name][own_start:own_end], theirs.scores[name][start:end], term
            )


def test_positions_are_found_by_chunk_id_and_unknown_ids_have_none(tmp_path: Path) -> None:
    bm25 = bm25_of_token_lists([3, 7, 9], [tokens(text) for text in ODD_TEXTS[:3]])
    asked = np.array([7, 8, 3, 10, 1, 9])
    np.testing.assert_array_equal(bm25.positions(asked), [1, -1, 0, -1, -1, 2])
    empty = bm25_of_token_lists([], [])
    np.testing.assert_array_equal(empty.positions(asked), [-1] * len(asked))

    bm25.save(tmp_path / "bm25")
    loaded = Bm25Index.load(tmp_path / "bm25")  # memory-mapped: same scores
    for text in ODD_TEXTS:
        np.testing.assert_array_equal(loaded.scores(tokens(text)), bm25.scores(tokens(text)))
