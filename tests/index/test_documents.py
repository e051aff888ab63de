"""Ingest: every supported format from real files, and the refusals people see for bad ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.errors import IngestError
from index.ingest.documents import (
    MAX_TEXT_CHARS,
    SUPPORTED_SUFFIXES,
    doc_id_for,
    iter_supported_files,
    load_file,
    parse_bytes,
)
from tests.support.ingest_samples import encrypted_pdf, news_page, text_pdf, zip_file

LISBON = [
    "It rained for nine days in Lisbon this week, and the Tagus rose by two metres.",
    "The mayor opened three shelters for families whose homes were flooded.",
]


def test_plain_text_keeps_its_headline_date_and_paragraphs() -> None:
    data = (
        "date 2024-03-05\nFloods hit Lisbon\n\n"
        + LISBON[0]
        + "\r\n\r\n"
        + LISBON[1]
        + "\x07\n\n\n\n"
    ).encode()

    document = parse_bytes("lisbon-floods.txt", data)

    assert document.doc_id == "lisbon-floods"
    assert document.title == "Floods hit Lisbon"
    assert document.date == "2024-03-05"
    assert document.text == f"Floods hit Lisbon\n\n{LISBON[0]}\n\n{LISBON[1]}"
    assert document.source == "lisbon-floods.txt"


def test_a_utf8_byte_order_mark_is_not_text() -> None:
    document = parse_bytes("bom.txt", "\ufeff".encode() + LISBON[0].encode())

    assert document.text == LISBON[0]


def test_markdown_loses_its_markup_and_keeps_its_heading_as_title() -> None:
    data = (
        b"# Floods hit *Lisbon*\n\n"
        b"It rained for **nine days** in [Lisbon](https://example.com/lisbon) this week.\n\n"
        b"- three shelters opened\n- schools closed on `Tuesday`\n"
    )

    document = parse_bytes("floods.md", data)

    assert document.title == "Floods hit Lisbon"
    assert "It rained for nine days in Lisbon this week." in document.text
    assert "three shelters opened" in document.text
    assert "Tuesday" in document.text
    for markup in ("#", "**", "](", "https://", "`", "- "):
        assert markup not in document.text


def test_html_keeps_the_article_and_drops_scripts_menus_and_footer() -> None:
    page = news_page("Floods hit Lisbon", "2024-03-05", LISBON)

    document = parse_bytes("lisbon.html", page)

    assert document.title == "Floods hit Lisbon"
    assert document.date == "2024-03-05"
    for sentence in LISBON:
        assert sentence in document.text
    for clutter in ("tracking pixel", "font-family", "Subscribe", "Sport"):
        assert clutter not in document.text


def test_pdf_text_title_and_creation_date_are_read() -> None:
    pdf = text_pdf(
        [["Floods hit Lisbon", LISBON[0]], [LISBON[1]]],
        title="Lisbon floods report",
        created="D:20240305101500Z",
    )

    document = parse_bytes("report.pdf", pdf)

    assert document.title == "Lisbon floods report"
    assert document.date == "2024-03-05"
    assert LISBON[0] in document.text
    assert LISBON[1] in document.text
    assert document.text.index(LISBON[0]) < document.text.index(LISBON[1])  # page order


def test_pdf_without_metadata_takes_its_headline_from_the_text() -> None:
    document = parse_bytes("x.pdf", text_pdf([["Floods hit Lisbon", *LISBON]]))

    assert document.title == "Floods hit Lisbon"
    assert document.date is None


def test_a_pdf_locked_only_against_editing_is_read() -> None:
    document = parse_bytes("locked.pdf", encrypted_pdf(LISBON[0], user_password=""))

    assert LISBON[0] in document.text


def test_files_on_disk_are_read_with_their_path_as_source(tmp_path: Path) -> None:
    path = tmp_path / "Lisbon Floods 2024-03-05.txt"
    path.write_text(" ".join(LISBON), encoding="utf-8")

    document = load_file(path)

    assert document.source == str(path)
    assert document.doc_id == "lisbon-floods-2024-03-05"
    assert document.title == "Lisbon Floods"  # from the file name, date removed


def test_folders_expand_to_their_supported_files_in_a_stable_order(tmp_path: Path) -> None:
    for name in ("b.md", "a.txt", "sub/c.html", "sub/d.pdf", "e.docx", "f.TXT", "notes"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")

    found = iter_supported_files([tmp_path])

    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.txt",
        "b.md",
        "f.TXT",
        "sub/c.html",
        "sub/d.pdf",
    ]
    assert all(p.suffix.lower() in SUPPORTED_SUFFIXES for p in found)


def test_document_ids_are_stable_readable_slugs() -> None:
    assert doc_id_for("Floods Hit LISBON (update).txt") == "floods-hit-lisbon-update"
    assert doc_id_for("Café Éclair.md") == "cafe-eclair"
    assert doc_id_for("a/b/report.pdf") == doc_id_for("report.pdf")
    other_script = doc_id_for("東京.txt")  # nothing ASCII left: a short hash, still stable
    assert other_script == doc_id_for("東京.txt")
    assert len(other_script) == 12


# ----- bad files: each refusal is an IngestError whose message names the problem -------------

BAD_FILES: list[tuple[str, bytes, str]] = [
    ("report.docx", b"PK\x03\x04 not supported", "unsupported file type"),
    ("empty.txt", b"", "is empty"),
    ("blank.md", b" \n\t\n ", "is empty"),
    ("short.txt", b"Too short.", "no readable article text"),
    ("latin1.txt", "Caf\xe9 cr\xe8me br\xfbl\xe9e for everyone".encode("latin-1"), "not UTF-8"),
    ("utf16.txt", "An article saved as UTF-16".encode("utf-16"), "not UTF-8"),
    ("latin1.md", b"# Title\n\ncaf\xe9 " * 10, "not UTF-8"),
    ("menu.html", b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "article text"),
    ("truncated.pdf", text_pdf([LISBON])[:200], "not a readable PDF"),
    ("archive.pdf", zip_file({"article.txt": " ".join(LISBON)}), "not a readable PDF"),
    ("nothing.pdf", text_pdf([[]]), "no readable article text"),
    ("locked.pdf", encrypted_pdf(LISBON[0], user_password="s3cret"), "encrypted PDF"),
    ("huge.txt", b"word " * (MAX_TEXT_CHARS // 5 + 1), "more than 5,000,000 characters"),
]


@pytest.mark.parametrize(("filename", "data", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_refused_with_a_message_that_says_why(
    filename: str, data: bytes, message: str
) -> None:
    with pytest.raises(IngestError, match=message) as refused:
        parse_bytes(filename, data)

    assert filename in str(refused.value)  # the person knows which file


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x")
    os.truncate(path, 10_000)

    with pytest.raises(IngestError, match="10,000 bytes; the limit is 9,999"):
        load_file(path, max_bytes=9_999)


def test_what_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="is not a file"):
        load_file(tmp_path)
    with pytest.raises(IngestError, match="is not a file"):
        load_file(tmp_path / "missing.txt")
