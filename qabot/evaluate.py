"""Measure answer quality on a question set with gold answers (`qabot eval`).

The corpus is indexed into a throw-away index so a run never touches the bot's own data
and always measures the configured pipeline from scratch. A hit means a gold answer string
appears (case-insensitively, whitespace-normalised) in what a person would read.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import Answer, Engine
from qabot.config import Config
from qabot.factory import doc_id_of, eval_collection, read_corpus

BATCH_SIZE = 32
LATENCY_SAMPLE = 200


@dataclass(frozen=True)
class EvalQuestion:
    """One line of questions.jsonl; `answerable` is false when the corpus lacks the answer."""

    id: str
    question: str
    answers: tuple[str, ...]
    article: str
    answerable: bool = True


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one question, kept for failure analysis."""

    question: EvalQuestion
    answer: Answer
    hit_rank: int | None  # 1-based rank of the first passage holding a gold answer
    answer_hit: bool


@dataclass
class EvalReport:
    n: int
    answerable: int
    unanswerable: int
    answer_hit: float
    passage_hit_at_1: float
    passage_hit_at_5: float
    mrr: float
    answer_chars: float  # mean length of confident answers: longer answers hit more easily
    confident_rate: float
    false_refusal: float
    no_answer_accuracy: float | None
    latency_p50_ms: float
    latency_p95_ms: float
    questions_per_second: float
    index_seconds: float
    documents: int
    documents_embedded: int
    chunks: int
    outcomes: list[Outcome] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, float | int | None]:
        figures = dataclasses.asdict(self)
        figures.pop("outcomes")
        return figures

    def format(self) -> str:
        """A plain-text table for the terminal."""
        rows = [
            (
                "questions",
                f"{self.n:,} ({self.answerable:,} answerable, {self.unanswerable:,} unanswerable)",
            ),
            ("answer hit", ratio(self.answer_hit)),
            ("passage hit@1", ratio(self.passage_hit_at_1)),
            ("passage hit@5", ratio(self.passage_hit_at_5)),
            ("MRR", ratio(self.mrr)),
            ("mean answer length", f"{self.answer_chars:.0f} chars"),
            ("confident", ratio(self.confident_rate)),
            ("false refusal", ratio(self.false_refusal)),
            ("no-answer accuracy", ratio(self.no_answer_accuracy)),
            ("latency p50 / p95", f"{self.latency_p50_ms:.1f} / {self.latency_p95_ms:.1f} ms"),
            ("batched throughput", f"{self.questions_per_second:.0f} questions/s"),
            (
                "index build",
                f"{self.index_seconds:.1f} s ({self.documents_embedded} of "
                f"{self.documents} documents embedded, {self.chunks:,} chunks)",
            ),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


# ----- metric helpers ------------------------------------------------------------------


def normalise(text: str) -> str:
    """Case- and whitespace-insensitive form used for every hit test."""
    return " ".join(text.casefold().split())


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    haystack = normalise(text)
    return any(gold and gold in haystack for gold in map(normalise, answers))


def first_hit_rank(texts: Sequence[str], answers: Sequence[str]) -> int | None:
    """1-based rank of the first text holding a gold answer, or None."""
    return next(
        (rank for rank, text in enumerate(texts, 1) if contains_answer(text, answers)), None
    )


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def ratio(value: float | None) -> str:
    """A figure as the reports print it."""
    return "n/a" if value is None else f"{value:.3f}"


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return float(np.mean(items)) if items else 0.0


def spread_sample(items: Sequence[EvalQuestion], size: int | None) -> list[EvalQuestion]:
    """Every k-th item: a small sample still covers every article (files are grouped)."""
    if size is None or size >= len(items):
        return list(items)
    step = len(items) / size
    return [items[int(i * step)] for i in range(size)]


# ----- questions -----------------------------------------------------------------------


def load_questions(
    path: Path, *, limit: int | None = None, articles: set[str] | None = None
) -> list[EvalQuestion]:
    """Read questions.jsonl, keep the chosen articles, then an evenly spread `limit`."""
    questions = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                item = EvalQuestion(
                    id=str(raw["id"]),
                    question=str(raw["question"]),
                    answers=tuple(str(a) for a in raw.get("answers", [])),
                    article=str(raw.get("article", "")),
                    answerable=bool(raw.get("answerable", True)),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a question record ({exc})") from exc
            if articles is None or item.article in articles:
                questions.append(item)
    return spread_sample(questions, limit)


def mark_unanswerable(
    questions: Sequence[EvalQuestion], doc_ids: Iterable[str], titles: Iterable[str]
) -> list[EvalQuestion]:
    """A question about an article that is not indexed cannot be answered from the corpus."""
    known_ids = set(doc_ids)
    known_titles = {normalise(title) for title in titles}

    def indexed(article: str) -> bool:
        return (
            doc_id_of(f"{article}.txt") in known_ids
            or normalise(article.replace("_", " ")) in known_titles
        )

    return [
        dataclasses.replace(q, answerable=q.answerable and indexed(q.article)) for q in questions
    ]


# ----- the run -------------------------------------------------------------------------


def run_eval(
    config: Config,
    questions: Path,
    corpus: Path,
    *,
    limit: int | None = None,
    articles: set[str] | None = None,
    index_dir: Path | None = None,
    progress: bool = False,
) -> EvalReport:
    """Index `corpus` (a fresh temporary index unless `index_dir`), then answer and score.

    `articles` restricts the questions, not the corpus: the other articles stay indexed as
    distractors. With `index_dir`, documents already stored unchanged are not re-embedded.
    The run never touches the bot's state: the index is SQLite in the folder whatever
    `state.backend` says, and with `retrieval.backend: qdrant` the collection is a fresh
    one in local mode beside it (what the server would compute, in this process).
    """
    chosen = load_questions(questions, limit=limit, articles=articles)
    if not chosen:
        raise ValueError(f"no questions to evaluate in {questions}")
    with tempfile.TemporaryDirectory(prefix="qabot-eval-") as scratch:
        folder = index_dir or Path(scratch)
        settings = config.engine_settings(folder).with_changes(index={"default_corpus": None})
        collection = None
        if settings.retrieval.backend == "qdrant":
            settings = settings.with_changes(qdrant={"url": None, "path": folder / "qdrant"})
            collection = eval_collection(settings.qdrant)
        engine = Engine(settings, collection=collection)
        try:
            return _evaluate(engine, chosen, corpus, progress)
        finally:
            engine.close()
            if collection is not None:
                collection.client.close()


def _evaluate(
    engine: Engine, questions: list[EvalQuestion], corpus: Path, progress: bool
) -> EvalReport:
    index_seconds, embedded = index_corpus(engine, corpus, progress)
    documents = engine.documents()
    questions = mark_unanswerable(
        questions, (d.doc_id for d in documents), (d.title for d in documents)
    )
    started = time.perf_counter()
    answers = answer_all(engine, [q.question for q in questions], progress)
    throughput = len(questions) / max(time.perf_counter() - started, 1e-9)
    latencies = measure_latency(
        engine, [q.question for q in spread_sample(questions, LATENCY_SAMPLE)]
    )
    outcomes = [
        _score(question, answer) for question, answer in zip(questions, answers, strict=True)
    ]
    return summarise(
        outcomes,
        latencies,
        throughput=throughput,
        index_seconds=index_seconds,
        documents=len(documents),
        documents_embedded=embedded,
        chunks=engine.stats().chunks,
    )


def index_corpus(engine: Engine, corpus: Path, progress: bool = False) -> tuple[float, int]:
    """Add the corpus' files (skipping unchanged ones); (seconds spent, documents embedded)."""
    parsed = read_corpus(corpus)
    stored = {doc.doc_id: doc.content_hash for doc in engine.documents()}
    changed = [doc for doc in parsed if stored.get(doc.doc_id) != doc.content_hash]
    _ = engine.embedder  # load the model outside the timing: we measure indexing
    started = time.perf_counter()
    engine.add_documents(changed, progress=progress)
    return time.perf_counter() - started, len(changed)


def answer_all(engine: Engine, questions: Sequence[str], progress: bool = False) -> list[Answer]:
    """Answer in batches, as the bot's micro-batcher would under load."""
    answers: list[Answer] = []
    for batch in _progress(_batches(questions, BATCH_SIZE), len(questions), progress):
        answers.extend(engine.answer_many([(question, ()) for question in batch]))
    return answers


def measure_latency(engine: Engine, questions: Sequence[str]) -> list[float]:
    """Seconds per single-question `answer` call (what one chat message costs)."""
    if questions:
        engine.answer(questions[0])  # warm caches so the first sample is not an outlier
    latencies = []
    for question in questions:
        started = time.perf_counter()
        engine.answer(question)
        latencies.append(time.perf_counter() - started)
    return latencies


def _score(question: EvalQuestion, answer: Answer) -> Outcome:
    if not question.answerable:
        return Outcome(question, answer, None, False)
    rank = first_hit_rank([p.text for p in answer.passages], question.answers)
    hit = answer.confident and contains_answer(answer.text, question.answers)
    return Outcome(question, answer, rank, hit)


def summarise(
    outcomes: Sequence[Outcome],
    latencies: Sequence[float],
    *,
    throughput: float,
    index_seconds: float,
    documents: int,
    documents_embedded: int,
    chunks: int,
) -> EvalReport:
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    milliseconds = np.asarray(latencies, dtype=float) * 1000 if latencies else np.zeros(1)
    return EvalReport(
        n=len(outcomes),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        answer_hit=mean(o.answer_hit for o in answerable),
        passage_hit_at_1=mean(o.hit_rank == 1 for o in answerable),
        passage_hit_at_5=mean(o.hit_rank is not None and o.hit_rank <= 5 for o in answerable),
        mrr=mean(reciprocal_rank(o.hit_rank) for o in answerable),
        answer_chars=mean(len(o.answer.text) for o in outcomes if o.answer.confident),
        confident_rate=mean(o.answer.confident for o in outcomes),
        false_refusal=mean(not o.answer.confident for o in answerable),
        no_answer_accuracy=(
            mean(not o.answer.confident for o in unanswerable) if unanswerable else None
        ),
        latency_p50_ms=float(np.percentile(milliseconds, 50)),
        latency_p95_ms=float(np.percentile(milliseconds, 95)),
        questions_per_second=throughput,
        index_seconds=index_seconds,
        documents=documents,
        documents_embedded=documents_embedded,
        chunks=chunks,
        outcomes=list(outcomes),
    )


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for begin in range(0, len(items), size):
        yield items[begin : begin + size]


def _progress(
    batches: Iterator[Sequence[str]], total: int, enabled: bool
) -> Iterator[Sequence[str]]:
    if not enabled:
        yield from batches
        return
    from tqdm import tqdm

    with tqdm(total=total, desc="answering", unit="q") as bar:
        for batch in batches:
            yield batch
            bar.update(len(batch))
