"""Fuzzing ingest: whatever bytes arrive under whatever name, parse_bytes returns a sound
document or raises IngestError; any other exception would reach the person as a crash.

Inputs are random bytes, random text, and valid files of each format with random damage
(flipped bytes, cuts, repeated or inserted slices), which reach deeper into the parsers.
Example counts are modest so the suite stays fast; raise them to hunt.
"""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import IngestError
from index.ingest.documents import SUPPORTED_SUFFIXES, Document, parse_bytes
from tests.support.ingest_samples import encrypted_pdf, news_page, text_pdf

ARTICLE = [
    "Floods hit Lisbon",
    "It rained for nine days in Lisbon this week, and the Tagus rose by two metres.",
    "The mayor opened three shelters for families whose homes were flooded.",
]
SEEDS: dict[str, bytes] = {
    ".pdf": text_pdf([ARTICLE[:2], ARTICLE[2:]], title="Lisbon", created="D:20240305101500Z"),
    ".html": news_page(ARTICLE[0], "2024-03-05", ARTICLE[1:]),
    ".md": ("# " + ARTICLE[0] + "\n\n*" + ARTICLE[1] + "*\n\n- " + ARTICLE[2]).encode(),
    ".txt": ("date 2024-03-05\n" + "\n\n".join(ARTICLE)).encode(),
}
SEEDS[".locked.pdf"] = encrypted_pdf(ARTICLE[1], user_password="")

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def ingest(filename: str, data: bytes) -> Document | None:
    """parse_bytes, where refusing is fine and anything else is a bug."""
    try:
        document = parse_bytes(filename, data)
    except IngestError as refusal:
        assert str(refusal)  # a message for the person
        return None
    assert len(document.text) >= 20
    assert document.text == document.text.strip()
    assert not any(ch in document.text for ch in "\x00\x07\x1b\r")
    assert document.content_hash == hashlib.sha256(document.text.encode()).hexdigest()
    assert document.doc_id and document.title
    return document


@st.composite
def damaged(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        size = draw(st.integers(1, 64))
        kind = draw(st.sampled_from(["flip", "cut", "repeat", "insert", "truncate"]))
        if kind == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[at : at + size]
        elif kind == "repeat":
            data[at:at] = data[at : at + size] * draw(st.integers(1, 50))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=size))
        else:
            del data[at:]
    return bytes(data)


@FUZZ
@given(suffix=st.sampled_from(SUPPORTED_SUFFIXES), data=st.binary(max_size=4096))
def test_random_bytes_are_refused_or_read(suffix: str, data: bytes) -> None:
    ingest(f"upload{suffix}", data)


@FUZZ
@given(suffix=st.sampled_from(SUPPORTED_SUFFIXES), text=st.text(max_size=2000))
def test_random_text_is_refused_or_read(suffix: str, text: str) -> None:
    ingest(f"upload{suffix}", text.encode())


@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_damaged_pdfs_are_refused_or_read(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from([SEEDS[".pdf"], SEEDS[".locked.pdf"]]))
    ingest("report.pdf", data.draw(damaged(seed)))


@FUZZ
@given(data=st.data())
def test_damaged_markup_and_text_are_refused_or_read(data: st.DataObject) -> None:
    suffix = data.draw(st.sampled_from([".html", ".md", ".txt"]))
    ingest(f"article{suffix}", data.draw(damaged(SEEDS[suffix])))


def test_the_undamaged_seeds_are_read() -> None:
    for suffix, seed in SEEDS.items():
        document = ingest(f"article{suffix}", seed)
        assert document is not None, suffix
        assert "nine days" in document.text, suffix
