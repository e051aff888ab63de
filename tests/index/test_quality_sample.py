"""Answer quality on a fixed sample of squad-dev-a, held near the figures docs/quality.md
reports for the whole set (`make eval`).

200 questions spread evenly over the question file (`spread_sample`, as `qabot eval
--limit 200` picks them), asked of an index of all 24 articles, so every other article is
a distractor. Each threshold sits a few points under both this sample's measured value and
the documented one (measured here with the span reader: answer hit 0.820, passage hit@1
0.900, hit@5 0.975, 6 refusals in 200; before it 0.770, 0.895, 0.975 and 1), so a change
that costs quality fails, while the noise of another CPU does not.

Building the index embeds ~6,200 texts (about 2 minutes on a quiet 2-core machine, 4-5 on a
busy one); it is kept in pytest's cache folder and re-used, unchanged documents not
embedded again, as the engine does for any index it opens (a changed model, chunking or
index format is detected and rebuilt by the engine). A fresh clone, as in CI, builds it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.quality import DATA
from qabot.config import Config
from qabot.evaluate import EvalReport, load_questions, run_eval

pytestmark = pytest.mark.model

SAMPLE = 200
# docs/quality.md, the whole set: answer hit 0.817, hit@1 0.893, refusals 2.6 %
MIN_ANSWER_HIT = 0.78
MIN_PASSAGE_HIT_AT_1 = 0.86
MIN_PASSAGE_HIT_AT_5 = 0.95
# fewer than 12 of 200: the reader refuses some answerable questions (6 here), and the kind
# check those whose best span is not the time or number asked for (4 here; the reader read
# a wrong span); issue 15 allows 5 % held out
MAX_FALSE_REFUSALS = 0.06


def dataset() -> Path:
    """The question set; outside CI a checkout without ../shared skips, in CI it fails."""
    if not (DATA / "questions.jsonl").is_file():
        reason = f"squad-dev-a is not at {DATA} (the sampled quality test needs ../shared)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason}; CI always has it")
        pytest.skip(reason)
    return DATA


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest) -> EvalReport:
    data = dataset()
    index_dir = Path(request.config.cache.mkdir("squad-dev-a-index"))
    return run_eval(
        Config(), data / "questions.jsonl", data / "articles", limit=SAMPLE, index_dir=index_dir
    )


def test_the_sample_is_fixed_and_covers_every_article() -> None:
    data = dataset()
    sample = load_questions(data / "questions.jsonl", limit=SAMPLE)
    assert len(sample) == SAMPLE
    articles = {path.stem for path in (data / "articles").glob("*.txt")}
    assert len(articles) == 24
    assert {question.article for question in sample} == articles
    assert sample[0].question == "Which NFL team represented the AFC at Super Bowl 50?"


def test_the_sample_answers_about_as_well_as_the_documented_figures(report: EvalReport) -> None:
    print(report.format())  # shown with -s, or when it fails
    assert (report.n, report.answerable, report.documents) == (SAMPLE, SAMPLE, 24)
    assert report.answer_hit >= MIN_ANSWER_HIT
    assert report.passage_hit_at_1 >= MIN_PASSAGE_HIT_AT_1
    assert report.passage_hit_at_5 >= MIN_PASSAGE_HIT_AT_5
    assert report.false_refusal < MAX_FALSE_REFUSALS
