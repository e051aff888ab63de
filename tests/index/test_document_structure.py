"""The structure a document's text keeps for the chunker: headlines and list items are
sentences of their own in every format, a table row carries its header, and a file with
nothing to read is refused with a message that names it and says why."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from index.errors import IngestError
from index.ingest.chunking import chunk_text
from index.ingest.documents import MAX_DOCUMENT_CHARS, parse_bytes
from qabot.cli import main
from tests.support.ingest_samples import script_only_page, text_pdf

HEADLINE = "Storm closes schools in Maine"
FIRST = "A late-winter storm brought heavy snow to Portland on Tuesday."
ITEMS = ["Roads were closed across the county", "Flights were cancelled until Friday"]

FILES = {
    "storm.txt": f"{HEADLINE}\n{FIRST}\n- {ITEMS[0]}\n- {ITEMS[1]}".encode(),
    "storm.md": f"# {HEADLINE}\n\n{FIRST}\n\n- {ITEMS[0]}\n- {ITEMS[1]}\n".encode(),
    "storm.html": (
        f"<html><body><article><h1>{HEADLINE}</h1><p>{FIRST}</p>"
        f"<ul><li>{ITEMS[0]}</li><li>{ITEMS[1]}</li></ul></article></body></html>"
    ).encode(),
    "storm.pdf": text_pdf([[HEADLINE, FIRST, f"- {ITEMS[0]}", f"- {ITEMS[1]}"]]),
}


def sentences(text: str) -> list[str]:
    """The sentences the chunker makes of `text` (each once), list markers aside."""
    return [
        chunk.text[s.start : s.end].removeprefix("- ")
        for chunk in chunk_text(text, 1000, overlap_sentences=0)
        for s in chunk.sentences
    ]


@pytest.mark.parametrize("filename", list(FILES))
def test_headlines_and_list_items_are_sentences_of_their_own(filename: str) -> None:
    document = parse_bytes(filename, FILES[filename])

    assert sentences(document.text) == [HEADLINE, FIRST, *ITEMS]


def test_a_long_list_is_one_block_whose_items_share_chunks() -> None:
    items = "".join(f"- Polling station {i} opened at seven\n" for i in range(200))

    document = parse_bytes("stations.md", f"# Stations\n\n{items}".encode())

    chunks = chunk_text(document.text, 1000, 1)
    assert len(sentences(document.text)) == 201
    assert len(chunks) < 20  # about 25 items a chunk, not one or two


# ----- tables ------------------------------------------------------------------------------

TABLE = "| District | Votes | Winner |\n|---|---:|---|\n| District 12 | 1444 | Candidate C |\n"
ROW = "District: District 12 | Votes: 1444 | Winner: Candidate C"


def test_a_markdown_table_row_is_written_with_its_header() -> None:
    document = parse_bytes("results.md", f"# Results\n\n{TABLE}".encode())

    assert document.text == f"Results\n\n{ROW}"


def test_a_pipe_table_in_plain_text_is_written_the_same_way() -> None:
    text = f"Results by district\n\n{TABLE}\nCounting ended at midnight."

    document = parse_bytes("results.txt", text.encode())

    assert document.text == f"Results by district\n\n{ROW}\n\nCounting ended at midnight."


def test_an_html_table_with_a_header_row_is_written_the_same_way() -> None:
    page = (
        "<html><body><article><h1>Results by district</h1><p>Counting ended at midnight.</p>"
        "<table><tr><th>District</th><th>Votes</th><th>Winner</th></tr>"
        "<tr><td>District 12</td><td>1444</td><td>Candidate C</td></tr></table>"
        "</article></body></html>"
    )

    document = parse_bytes("results.html", page.encode())

    assert ROW in document.text.split("\n")


def test_a_long_table_is_read_in_slices_with_the_same_text_and_little_memory() -> None:
    rows = "".join(f"| {i} | {i % 7} |\n" for i in range(20_000))  # 40,000 cells
    data = f"# Tally\n\n| Ballot | Seat |\n|---|---|\n{rows}\nThe tally ended.\n".encode()

    tracemalloc.start()
    try:
        document = parse_bytes("tally.md", data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    lines = document.text.split("\n")
    assert lines[2] == "Ballot: 0 | Seat: 0"
    assert lines[-3] == "Ballot: 19999 | Seat: 0"
    assert len(lines) == 20_000 + 4
    assert peak < 40 * 2**20  # parsed at once, markdown-it's tokens alone take ~65 MB


def test_a_table_whose_header_would_blow_up_the_text_is_refused() -> None:
    header = "| " + " | ".join(f"column {i} " + "x" * 300 for i in range(30)) + " |\n"
    delimiter = "|" + "---|" * 30 + "\n"
    rows = ("|" + "a|" * 30 + "\n") * 2_000  # 120 KB of cells, each under a 300-char name

    with pytest.raises(IngestError, match=f"more than {MAX_DOCUMENT_CHARS:,} characters"):
        parse_bytes("wide.md", (header + delimiter + rows).encode())


# ----- nothing to read ---------------------------------------------------------------------

NOTHING = [
    ("scan.pdf", text_pdf([[]]), "no text layer; a scanned PDF needs OCR first"),
    ("scripts.html", script_only_page(), "only scripts, styles, menus or too little text"),
    ("header.md", b"| District | Votes | Winner |\n|---|---|---|\n", "a table without rows"),
    ("markup.md", b"# T\n\n---\n\n![chart](chart.png)\n", "once the Markdown markup is removed"),
]


@pytest.mark.parametrize(("filename", "data", "why"), NOTHING, ids=[n[0] for n in NOTHING])
def test_a_file_with_nothing_to_read_is_refused_saying_which_and_why(
    filename: str, data: bytes, why: str
) -> None:
    with pytest.raises(IngestError) as refused:
        parse_bytes(filename, data)

    assert str(refused.value).startswith(filename)
    assert why in str(refused.value)


def test_index_add_says_which_file_has_nothing_to_read_and_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    header_only = tmp_path / "header.md"
    header_only.write_bytes(NOTHING[2][1])

    code = main(["index", "add", str(header_only), "--index", str(tmp_path / "index")])

    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "qabot: header.md has no readable article text (no text at all once the Markdown "
        "markup is removed; a table without rows has none)"
    )
