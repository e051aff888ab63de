"""The answer text never joins what the article does not join (index/answer/texts.py), and a
sentence about someone else is not the answer (index/answer/subjects.py).

The engine here runs without the span reader and with the fake embedder (the fast tier):
what is pinned is how the chosen sentence is made to stand on its own, whatever chose it.
"""

from __future__ import annotations

from pathlib import Path

from index import Answer, Engine
from index.ingest.chunking import chunk_text, is_heading_in
from tests.support.engine_fixtures import OpenEngine

pytest_plugins = ("tests.support.engine_fixtures",)

HEADING = "Harbour Lights Return To Skerry Point"
LIGHTHOUSE = (
    "The board voted in March.\n\n"
    f"{HEADING}\n\n"
    "The Skerry Point lighthouse will be staffed again from June. Two keepers were hired.\n"
)
COURT = (
    "Marta Voss faces two counts of insurance fraud, which carry up to ten years in prison. "
    "The judge also ordered her passport held until the trial in May. "
    "Prosecutors are handing her accountant Pieter Lind the same charges.\n\n"
    "The bookkeeper Ana Ruiz took a plea deal. She will serve eight months of probation.\n"
)


def _sentences(text: str) -> list[str]:
    """The article's sentences, as a reader would split them: at blank lines and full stops."""
    found = []
    for paragraph in text.split("\n\n"):
        found += [part.strip() + "." for part in paragraph.strip().rstrip(".").split(". ")]
    return [sentence.replace("..", ".") for sentence in found if sentence != "."]


def _is_one_stretch(answer: str, text: str) -> bool:
    """Consecutive sentences of `text`, or two such runs with an ellipsis between."""
    sentences = [s for s in _sentences(text) if s.rstrip(".") != HEADING]
    parts = answer.split(" … ")
    runs = [" ".join(sentences[i:j]) for i in range(len(sentences)) for j in range(i + 1, 20)]
    return len(parts) <= 2 and all(part in runs for part in parts)


def _engine(open_engine: OpenEngine, tmp_path: Path, name: str, text: str) -> Engine:
    engine, _ = open_engine(tmp_path / "index")
    (tmp_path / name).write_text(text, encoding="utf-8")
    engine.add_paths([tmp_path / name])
    return engine


def test_a_heading_is_its_own_sentence_and_never_glued_to_the_next() -> None:
    (chunk,) = [c for c in chunk_text(LIGHTHOUSE) if HEADING in c.text]
    spans = [(s.start, s.end) for s in chunk.sentences]
    heading = next(span for span in spans if chunk.text[span[0] : span[1]] == HEADING)
    assert is_heading_in(chunk.text, *heading)
    body = next(span for span in spans if chunk.text[span[0] :].startswith("The Skerry"))
    assert not is_heading_in(chunk.text, *body)


def test_an_answer_near_a_heading_leaves_the_heading_out(
    open_engine: OpenEngine, tmp_path: Path
) -> None:
    engine = _engine(open_engine, tmp_path, "lighthouse.txt", LIGHTHOUSE)
    answer = engine.answer("When will the Skerry Point lighthouse be staffed again?")
    assert answer.confident
    assert HEADING not in answer.text
    assert answer.text.startswith("The Skerry Point lighthouse will be staffed again from June.")
    shown = next(p.text for p in answer.passages if "Skerry Point lighthouse" in p.text)
    assert f"{HEADING}\n" in shown  # the snippet keeps the heading on its own line


def test_a_pronoun_brings_the_sentence_before_it(open_engine: OpenEngine, tmp_path: Path) -> None:
    engine = _engine(open_engine, tmp_path, "court.txt", COURT)
    answer = engine.answer("Who will serve eight months of probation?")
    assert answer.confident
    assert answer.text.startswith("The bookkeeper Ana Ruiz took a plea deal. She will serve")
    assert _is_one_stretch(answer.text, COURT), answer.text


def test_the_same_charges_never_join_sentences_the_article_keeps_apart(
    open_engine: OpenEngine, tmp_path: Path
) -> None:
    engine = _engine(open_engine, tmp_path, "court.txt", COURT)
    answer = engine.answer("What charges does Pieter Lind face?")
    assert answer.confident
    assert answer.text.endswith("her accountant Pieter Lind the same charges.")
    assert _is_one_stretch(answer.text, COURT), answer.text
    assert "insurance fraud" in answer.text  # what "the same charges" are


CANNON = (
    "The harbour guild opened its summer fair on Saturday.\n\n"
    "The crew was testing a prop cannon on the old quay at Skerry Point. As the crowd "
    "watched, it misfired. A gunner told reporters the prop was unloaded, meaning no powder "
    "was in the barrel.\n"
)


def test_a_thing_named_as_known_brings_the_sentence_that_brought_it_in(
    open_engine: OpenEngine, tmp_path: Path
) -> None:
    """“The prop” is the “prop cannon” two sentences back: the text begins there and keeps
    every sentence between, not just the neighbour ("As the crowd watched, it misfired.")."""
    engine = _engine(open_engine, tmp_path, "cannon.txt", CANNON)
    answer = engine.answer("What did the gunner tell reporters about the prop?")
    assert answer.confident
    assert answer.text.startswith("The crew was testing a prop cannon"), answer.text
    assert answer.text.endswith("no powder was in the barrel."), answer.text
    assert _is_one_stretch(answer.text, CANNON), answer.text


def _assert_near_miss_retrieval_would_answer(answer: Answer) -> None:
    """Refused with the closest passage, by a check of the answer stage: retrieval alone
    would answer (it is not lack of evidence)."""
    assert answer.score > 0.5, answer.score
    assert not answer.confident
    assert answer.closest is not None


PLEA = (
    "Pieter Lind, the accountant, declined to comment on the investigation.\n\n"
    "The bookkeeper Ana Ruiz took a plea deal. She will serve eight months of probation.\n"
)


def test_a_sentence_about_someone_else_is_a_near_miss(
    open_engine: OpenEngine, tmp_path: Path
) -> None:
    engine = _engine(open_engine, tmp_path, "plea.txt", PLEA)
    asked_right = engine.answer("how many months of probation will ana ruiz serve")
    assert asked_right.confident and "eight months" in asked_right.text
    # Retrieval is as sure for Pieter Lind (his name is in the article), but the probation
    # sentence is about "She", Ana Ruiz of the sentence before: the answer is not his.
    _assert_near_miss_retrieval_would_answer(
        engine.answer("how many months of probation will pieter lind serve")
    )


APPEAL = (
    "Marta Voss faces two counts of insurance fraud, which carry up to ten years in prison. "
    "Her accountant Pieter Lind faces the same charges.\n\n"
    "“We will appeal the ruling,” Pieter Lind said on Friday.\n"
)


def test_asked_what_someone_said_a_sentence_reporting_no_words_is_a_near_miss(
    open_engine: OpenEngine, tmp_path: Path
) -> None:
    engine = _engine(open_engine, tmp_path, "appeal.txt", APPEAL)
    said = engine.answer("What did Pieter Lind say about the ruling?")
    assert said.confident and "We will appeal" in said.text
    # the charges name her, but they are not her words: she says nothing in the article
    _assert_near_miss_retrieval_would_answer(
        engine.answer("What did Marta Voss say about the insurance fraud counts?")
    )
    # his words, but about the ruling: nothing he says in the article names her
    _assert_near_miss_retrieval_would_answer(
        engine.answer("What did Pieter Lind say on Friday about Marta Voss appealing the ruling?")
    )


BRIDGE = (
    "The Ærø bridge reopened on Monday after six weeks of repairs that cost 3.8 million "
    "euros. Senator Mark Hill said the island had waited long enough.\n\n"
    "By Jane Doe.\n"
)


def test_who_wrote_the_article_is_answered_from_its_author_line(
    open_engine: OpenEngine, tmp_path: Path
) -> None:
    engine = _engine(open_engine, tmp_path, "bridge.txt", BRIDGE)
    answer = engine.answer("Who wrote the article about the bridge?")
    assert answer.confident
    assert (answer.text, answer.direct) == ("By Jane Doe.", "Jane Doe")
    # any other question reads the story, which never names its author
    assert "Jane Doe" not in (engine.answer("Who said the island had waited?").text)


HEADLINED = "Ærø Bridge Reopens After Six Weeks\n\n" + BRIDGE


def test_the_headline_is_answered_with_the_story_s_own_headline(
    open_engine: OpenEngine, tmp_path: Path
) -> None:
    engine = _engine(open_engine, tmp_path, "headlined.txt", HEADLINED)
    answer = engine.answer("What is the headline of the article?")
    assert answer.confident
    assert (answer.text, answer.direct) == ("Ærø Bridge Reopens After Six Weeks",) * 2


def test_a_title_made_from_the_file_name_is_no_headline(
    open_engine: OpenEngine, tmp_path: Path
) -> None:
    engine = _engine(open_engine, tmp_path, "bridge.txt", BRIDGE)
    (document,) = engine.documents()
    assert document.title == "Bridge"  # from the file's name: the text has no headline
    answer = engine.answer("What is the headline of the article?")
    assert document.title not in (answer.text, answer.direct)
