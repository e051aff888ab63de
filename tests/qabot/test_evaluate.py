"""The evaluation harness and baselines, on a tiny corpus with the real engine and model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.baselines import fuse, run_baselines, split_paragraphs
from benchmarks.quality import render_quality_report, write_quality_report
from index.ingest.documents import load_file
from index.ingest.embedding import create_embedder
from qabot.config import Config
from qabot.evaluate import (
    EvalQuestion,
    EvalReport,
    contains_answer,
    first_hit_rank,
    load_questions,
    mark_unanswerable,
    reciprocal_rank,
    run_eval,
    spread_sample,
)

ARTICLES = {
    "Lake_Baikal.txt": (
        "Lake Baikal\n\n"
        "Lake Baikal is a rift lake in Siberia, Russia. It is the deepest lake in the world, "
        "with a maximum depth of 1,642 metres.\n\n"
        "The lake holds about 22 percent of the world's fresh surface water. The nerpa, a "
        "freshwater seal, lives only in Lake Baikal."
    ),
    "Eiffel_Tower.txt": (
        "Eiffel Tower\n\n"
        "The Eiffel Tower is a wrought-iron lattice tower in Paris. It was designed by the "
        "engineering company of Gustave Eiffel and completed in 1889.\n\n"
        "The tower was built as the entrance arch to the 1889 World's Fair. It is 330 metres "
        "tall and was the tallest man-made structure in the world for 41 years."
    ),
    "Honey_Bee.txt": (
        "Honey Bee\n\n"
        "Honey bees live in colonies with a single queen, thousands of worker bees and a few "
        "hundred drones. Worker bees communicate the location of flowers with the waggle "
        "dance.\n\n"
        "A colony stores honey made from nectar to survive the winter."
    ),
}
QUESTIONS = [
    {
        "id": "1",
        "question": "What is the maximum depth of Lake Baikal?",
        "answers": ["1,642 metres"],
        "article": "Lake_Baikal",
    },
    {
        "id": "2",
        "question": "Which freshwater seal lives only in Lake Baikal?",
        "answers": ["nerpa", "the nerpa"],
        "article": "Lake_Baikal",
    },
    {
        "id": "3",
        "question": "When was the Eiffel Tower completed?",
        "answers": ["1889"],
        "article": "Eiffel_Tower",
    },
    {
        "id": "4",
        "question": "How tall was the entrance arch of the 1889 World's Fair?",
        "answers": ["330 metres"],
        "article": "Eiffel_Tower",
    },
    {
        "id": "5",
        "question": "How do worker bees communicate the location of flowers?",
        "answers": ["waggle dance"],
        "article": "Honey_Bee",
    },
    {
        "id": "6",
        "question": "Who scored the winning goal in the 1966 World Cup final?",
        "answers": ["Geoff Hurst"],
        "article": "1966_FIFA_World_Cup",
    },
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("dataset")
    corpus = root / "articles"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    questions = root / "questions.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    return questions, corpus


@pytest.fixture(scope="module")
def report(dataset: tuple[Path, Path]) -> EvalReport:
    questions, corpus = dataset
    return run_eval(Config(), questions, corpus)


@pytest.mark.model
def test_eval_scores_an_easy_question_set(report: EvalReport) -> None:
    assert (report.n, report.answerable, report.unanswerable) == (6, 5, 1)
    assert (report.documents, report.documents_embedded) == (3, 3)
    assert report.chunks >= 3
    assert report.passage_hit_at_1 == 1.0
    assert report.mrr == 1.0
    assert report.answer_hit == 1.0  # each of the five easy questions, its answer shown
    assert 40 < report.answer_chars <= Config().engine.answer.max_chars
    assert report.false_refusal == 0.0
    assert report.no_answer_accuracy == 1.0  # the football question is refused
    assert [o.question.id for o in report.outcomes if not o.answer_hit] == ["6"]
    assert 0 < report.latency_p50_ms <= report.latency_p95_ms
    assert report.index_seconds > 0


@pytest.mark.model
def test_report_outcomes_explain_each_score(report: EvalReport) -> None:
    by_id = {o.question.id: o for o in report.outcomes}
    assert by_id["1"].hit_rank == 1 and by_id["1"].answer_hit
    assert "1,642" in by_id["1"].answer.text
    assert not by_id["6"].question.answerable and not by_id["6"].answer.confident
    assert set(report.to_dict()) >= {"answer_hit", "mrr", "no_answer_accuracy", "chunks"}
    assert "outcomes" not in report.to_dict()
    assert "passage hit@1" in report.format()


@pytest.mark.model
def test_a_reused_index_dir_skips_unchanged_documents(
    dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    questions, corpus = dataset
    first = run_eval(Config(), questions, corpus, limit=2, index_dir=tmp_path)
    again = run_eval(Config(), questions, corpus, limit=2, index_dir=tmp_path)
    assert (first.documents_embedded, again.documents_embedded) == (3, 0)
    assert again.passage_hit_at_1 == first.passage_hit_at_1
    assert again.n == 2


@pytest.mark.model
def test_articles_restrict_the_questions_not_the_corpus(dataset: tuple[Path, Path]) -> None:
    questions, corpus = dataset
    only = run_eval(Config(), questions, corpus, articles={"Honey_Bee"})
    assert (only.n, only.documents) == (1, 3)
    assert only.no_answer_accuracy is None


@pytest.mark.model
def test_baselines_rank_the_gold_paragraph_first(dataset: tuple[Path, Path]) -> None:
    questions, corpus = dataset
    embedder = create_embedder("onnx", Config().engine.embedding.cache_dir)
    figures = run_baselines(questions, corpus, embedder)
    assert set(figures) == {"bm25", "dense", "fused"}
    for name in ("bm25", "fused"):
        assert figures[name]["n"] == 5  # the unanswerable question is left out
        assert figures[name]["passage_hit_at_1"] == 1.0
    for name, scores in figures.items():
        assert scores["passage_hit_at_5"] == 1.0, name
        # the answer is a sentence of the first paragraph: it cannot hit when that misses
        assert scores["answer_hit"] <= scores["passage_hit_at_1"], name
        assert 20 < scores["answer_chars"] < 200, name  # one sentence, not a paragraph
    # BM25 alone picks the wrong sentence twice, e.g. "The Eiffel Tower is a wrought-iron
    # lattice tower in Paris." for "When was the Eiffel Tower completed?"
    assert figures["bm25"]["answer_hit"] == pytest.approx(0.6)


def test_hit_detection_ignores_case_and_spacing() -> None:
    assert contains_answer("It is the  DEEPEST\nlake", ["deepest lake"])
    assert contains_answer("Built in 1889.", ["1890", "1889"])
    assert not contains_answer("Built in 1889.", ["1890"])
    assert not contains_answer("anything", [""])  # an empty gold string never matches


def test_rank_and_reciprocal_rank() -> None:
    texts = ["no", "still no", "Gustave Eiffel designed it", "Eiffel again"]
    assert first_hit_rank(texts, ["gustave eiffel"]) == 3
    assert first_hit_rank(texts, ["Paris"]) is None
    assert reciprocal_rank(3) == pytest.approx(1 / 3)
    assert reciprocal_rank(None) == 0.0


def test_fusion_prefers_agreement() -> None:
    import numpy as np

    fused = fuse([np.array([4, 1, 2]), np.array([1, 3, 4])])
    assert list(fused[:2]) == [1, 4]  # ranks (2, 1) and (1, 3) beat any single first place
    assert set(fused) == {1, 2, 3, 4}


def test_questions_marked_unanswerable(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    rows = [
        {"id": "a", "question": "q?", "answers": ["x"], "article": "Jacksonville,_Florida"},
        {
            "id": "b",
            "question": "q?",
            "answers": ["x"],
            "article": "Jacksonville,_Florida",
            "answerable": False,
        },
        {"id": "c", "question": "q?", "answers": ["x"], "article": "St._Louis"},
        {"id": "d", "question": "q?", "answers": ["x"], "article": "Missing"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    marked = mark_unanswerable(load_questions(path), ["jacksonville-florida"], ["St. Louis"])
    assert [q.answerable for q in marked] == [True, False, True, False]


def test_limit_samples_across_the_whole_file() -> None:
    items = [EvalQuestion(str(i), "q", ("a",), f"article{i // 10}") for i in range(100)]
    sample = spread_sample(items, 10)
    assert len(sample) == 10
    assert {q.article for q in sample} == {f"article{i}" for i in range(10)}


def test_paragraphs_drop_the_title(dataset: tuple[Path, Path]) -> None:
    _, corpus = dataset
    paragraphs = split_paragraphs([load_file(corpus / "Lake_Baikal.txt")])
    assert len(paragraphs) == 2
    assert paragraphs[0].text.startswith("Lake Baikal is a rift lake")
    assert len(paragraphs[1].sentences) == 2 and paragraphs[1].first_sentence == 2


@pytest.mark.model
def test_quality_report_sets_qabot_beside_the_baselines(report: EvalReport, tmp_path: Path) -> None:
    baselines = {
        "bm25": {
            "answer_hit": 0.5,
            "answer_chars": 141.7,
            "passage_hit_at_1": 0.25,
            "passage_hit_at_5": 1.0,
            "mrr": 0.5,
            "n": 5.0,
        }
    }
    target = tmp_path / "docs" / "quality.md"
    write_quality_report(report, baselines, target)
    text = target.read_text(encoding="utf-8")
    assert "| metric | qabot | BM25 (paragraphs) |" in text
    assert f"| passage hit@1 | {report.passage_hit_at_1:.3f} | 0.250 |" in text
    assert f"| mean answer length (chars) | {report.answer_chars:.0f} | 142 |" in text
    assert "make eval" in text  # how to reproduce it
    assert "BM25" not in render_quality_report(report, None)
