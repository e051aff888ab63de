"""Helpers of the engine's reliability tests: three short articles with a question each, an
embedder that counts what it encodes, and answers reduced to what a person sees."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index import Answer, Engine
from index.ingest.embedding import Embedder

ARTICLES: dict[str, str] = {
    "moon.txt": (
        "The Moon up close\n\n"
        "The Moon orbits the Earth once every 27 days. Its surface is covered with craters "
        "left by ancient impacts. Neil Armstrong first walked on the Moon in July 1969. "
        "The Moon has almost no atmosphere, so its sky is always black."
    ),
    "bees.txt": (
        "How honeybees talk\n\n"
        "Honeybees tell each other where flowers are with a waggle dance. The angle of the "
        "dance shows the direction of the food relative to the sun. A strong colony holds "
        "up to 60,000 bees in summer. The queen lays up to 2,000 eggs a day."
    ),
    "lighthouse.txt": (
        "The old lighthouse\n\n"
        "The Point Reyes lighthouse was built in 1870 on a cliff above the Pacific. Its "
        "Fresnel lens has 24 panels and was made in Paris. Keepers climbed 300 steps every "
        "night to light the lamp. The light was automated in 1975."
    ),
}
# doc id -> a question only that article answers, and the fact the answer must state
QUESTIONS: dict[str, tuple[str, str]] = {
    "moon": ("How often does the Moon orbit the Earth?", "27 days"),
    "bees": ("How do honeybees tell each other where flowers are?", "waggle dance"),
    "lighthouse": ("When was the Point Reyes lighthouse built?", "1870"),
}
EXTRA_ARTICLE = (
    "glaciers.txt",
    "Melting glaciers\n\n"
    "The Rhone glacier in Switzerland lost a tenth of its ice between 2021 and 2023. "
    "Workers cover parts of it with white blankets every summer to slow the melting. "
    "Scientists measure its retreat with drones twice a year.",
)
EXTRA_QUESTION = ("What do workers cover the Rhone glacier with?", "white blankets")


class CountingEmbedder:
    """An embedder (the tests' fake) that records every text it is asked to encode."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)


@dataclass(frozen=True)
class AnswerView:
    """What a person sees of an answer, to compare answers across restarts."""

    text: str
    confident: bool
    passages: tuple[tuple[str, int, int, str], ...]


def view(answer: Answer) -> AnswerView:
    passages = tuple((p.doc_id, p.start, p.end, p.text) for p in answer.passages)
    return AnswerView(answer.text, answer.confident, passages)


def answers_of(engine: Engine, questions: Sequence[str] | None = None) -> list[AnswerView]:
    asked = questions or [question for question, _ in QUESTIONS.values()]
    return [view(engine.answer(question)) for question in asked]


OpenEngine = Callable[..., tuple[Engine, CountingEmbedder]]
