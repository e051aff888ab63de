"""Textbook retrieval pipelines over paragraphs, measured on the same questions as qabot.

They show what qabot's extra machinery buys: (a) BM25 alone, (b) MiniLM vectors in an
exact FAISS index, (c) both fused by reciprocal rank fusion. Each answers with the best
sentence of its first paragraph, chosen by the same signal that ranked the paragraphs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import blingfire
import bm25s
import faiss
import numpy as np
import Stemmer

from index.ingest.documents import Document, iter_supported_files, load_file
from index.ingest.embedding import Embedder
from qabot.evaluate import (
    contains_answer,
    first_hit_rank,
    load_questions,
    mark_unanswerable,
    mean,
    reciprocal_rank,
)

TOP_K = 5
FUSION_DEPTH = 100  # how many paragraphs each retriever contributes to the fusion
RRF_K = 60

Ranking = np.ndarray  # positions, best first


@dataclass(frozen=True)
class Paragraph:
    text: str
    sentences: tuple[str, ...]
    first_sentence: int  # position of its first sentence in the corpus-wide sentence list


class Pipeline(Protocol):
    """Ranks paragraphs for question i, then picks the answer sentence of one paragraph."""

    def rank_paragraphs(self, question: int) -> Ranking: ...

    def pick_sentence(self, question: int, paragraph: Paragraph) -> int: ...


def run_baselines(
    questions: Path,
    corpus: Path,
    embedder: Embedder,
    limit: int | None = None,
    articles: set[str] | None = None,
) -> dict[str, dict[str, float]]:
    """Figures per pipeline (bm25, dense, fused) over the answerable questions."""
    documents = [load_file(path) for path in iter_supported_files([corpus])]
    paragraphs = split_paragraphs(documents)
    chosen = [
        q
        for q in mark_unanswerable(
            load_questions(questions, limit=limit, articles=articles),
            (d.doc_id for d in documents),
            (d.title for d in documents),
        )
        if q.answerable
    ]
    texts = [q.question for q in chosen]
    sentences = [s for p in paragraphs for s in p.sentences]
    lexical = LexicalScores([p.text for p in paragraphs], sentences, texts)
    dense = DenseScores([p.text for p in paragraphs], sentences, texts, embedder)
    pipelines: dict[str, Pipeline] = {
        "bm25": lexical,
        "dense": dense,
        "fused": FusedScores(lexical, dense),
    }
    gold = [q.answers for q in chosen]
    return {name: measure(pipeline, paragraphs, gold) for name, pipeline in pipelines.items()}


def split_paragraphs(documents: Sequence[Document]) -> list[Paragraph]:
    """Blank-line separated blocks, without the title line, with their sentences."""
    paragraphs: list[Paragraph] = []
    offset = 0
    for document in documents:
        blocks = [block.strip() for block in document.text.split("\n\n") if block.strip()]
        if blocks and blocks[0] == document.title:
            blocks = blocks[1:]
        for block in blocks:
            _, spans = blingfire.text_to_sentences_and_offsets(block)
            sentences = tuple(block[s:e] for s, e in spans if e > s) or (block,)
            paragraphs.append(Paragraph(block, sentences, offset))
            offset += len(sentences)
    return paragraphs


def measure(
    pipeline: Pipeline, paragraphs: Sequence[Paragraph], gold: Sequence[tuple[str, ...]]
) -> dict[str, float]:
    ranks, answer_hits, lengths = [], [], []
    for i, answers in enumerate(gold):
        top = pipeline.rank_paragraphs(i)[:TOP_K]
        ranks.append(first_hit_rank([paragraphs[p].text for p in top], answers))
        first = paragraphs[top[0]]
        sentence = first.sentences[pipeline.pick_sentence(i, first)]
        answer_hits.append(contains_answer(sentence, answers))
        lengths.append(len(sentence))
    return {
        "answer_hit": mean(answer_hits),
        "answer_chars": mean(lengths),
        "passage_hit_at_1": mean(rank == 1 for rank in ranks),
        "passage_hit_at_5": mean(rank is not None for rank in ranks),
        "mrr": mean(reciprocal_rank(rank) for rank in ranks),
        "n": float(len(gold)),
    }


def fuse(rankings: Sequence[Ranking], k: int = RRF_K, depth: int = FUSION_DEPTH) -> Ranking:
    """Reciprocal rank fusion: sum of 1 / (k + rank) over the rankings (rank from 1)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, position in enumerate(ranking[:depth], 1):
            scores[int(position)] = scores.get(int(position), 0.0) + 1.0 / (k + rank)
    return np.asarray(sorted(scores, key=lambda p: (-scores[p], p)), dtype=np.int64)


class LexicalScores:
    """bm25s with the Snowball English stemmer and English stop words."""

    def __init__(self, paragraphs: list[str], sentences: list[str], questions: list[str]) -> None:
        stemmer = Stemmer.Stemmer("english")
        self._tokenize: Callable[[list[str]], list[list[str]]] = lambda texts: bm25s.tokenize(
            texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
        )
        self._paragraphs = self._index(paragraphs)
        self._sentences = self._index(sentences)
        self._queries = self._tokenize(questions)

    def _index(self, texts: list[str]) -> bm25s.BM25:
        retriever = bm25s.BM25()
        retriever.index(self._tokenize(texts), show_progress=False)
        return retriever

    def rank_paragraphs(self, question: int) -> Ranking:
        scores = self._scores(self._paragraphs, question)
        return np.argsort(-scores, kind="stable")

    def sentence_scores(self, question: int, paragraph: Paragraph) -> np.ndarray:
        """BM25 of the paragraph's sentences, with corpus-wide sentence statistics."""
        scores = self._scores(self._sentences, question)
        begin = paragraph.first_sentence
        return scores[begin : begin + len(paragraph.sentences)]

    def pick_sentence(self, question: int, paragraph: Paragraph) -> int:
        return int(np.argmax(self.sentence_scores(question, paragraph)))

    def _scores(self, retriever: bm25s.BM25, question: int) -> np.ndarray:
        terms = self._queries[question]
        if not terms:
            return np.zeros(retriever.scores["num_docs"], dtype=np.float32)
        return np.asarray(retriever.get_scores(terms))


class DenseScores:
    """Cosine similarity of MiniLM vectors; paragraphs searched in an exact FAISS index."""

    def __init__(
        self,
        paragraphs: list[str],
        sentences: list[str],
        questions: list[str],
        embedder: Embedder,
    ) -> None:
        vectors = embedder.encode(paragraphs)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        self._questions = embedder.encode(questions)
        _, self._rankings = index.search(self._questions, min(FUSION_DEPTH, len(paragraphs)))
        self._sentences = embedder.encode(sentences)

    def rank_paragraphs(self, question: int) -> Ranking:
        ranking: Ranking = self._rankings[question]
        return ranking[ranking >= 0]

    def sentence_scores(self, question: int, paragraph: Paragraph) -> np.ndarray:
        begin = paragraph.first_sentence
        vectors = self._sentences[begin : begin + len(paragraph.sentences)]
        scores: np.ndarray = vectors @ self._questions[question]
        return scores

    def pick_sentence(self, question: int, paragraph: Paragraph) -> int:
        return int(np.argmax(self.sentence_scores(question, paragraph)))


class FusedScores:
    """Reciprocal rank fusion of the two, for paragraphs and for sentences alike."""

    def __init__(self, lexical: LexicalScores, dense: DenseScores) -> None:
        self._lexical = lexical
        self._dense = dense

    def rank_paragraphs(self, question: int) -> Ranking:
        rankings = [scores.rank_paragraphs(question) for scores in (self._lexical, self._dense)]
        return fuse(rankings)

    def pick_sentence(self, question: int, paragraph: Paragraph) -> int:
        rankings = [
            np.argsort(-scores.sentence_scores(question, paragraph), kind="stable")
            for scores in (self._lexical, self._dense)
        ]
        return int(fuse(rankings)[0])
