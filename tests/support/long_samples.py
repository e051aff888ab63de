"""Long documents without sentence breaks, made on the fly from a fixed vocabulary (seeded,
so every run sees the same text), each with one fact near its end that a question asks for."""

from __future__ import annotations

import random

# Words of a council meeting; none of them is a word of the facts asked about below.
MEETING_TALK = (
    "the council member motion agenda item vote bridge road river budget resident meeting "
    "chair mayor clerk said we will of to and in for on that this is was are be it with as "
    "at by from next question public comment plan traffic lane report staff engineer design "
    "contract hearing permit schedule county city district tax levy bond repair span deck "
    "crossing downtown parking noise concern support oppose second thank you yes no okay so "
    "well um right now then again please time minute point order"
)
MEETING_WORDS = MEETING_TALK.split()

BRIDGE_FACT = "and the final cost was 48 million dollars"
BRIDGE_QUESTION = "what was the final cost of the bridge"


def words(count: int, seed: int = 17) -> str:
    """`count` meeting words in a row, without a single full stop."""
    rng = random.Random(seed)
    return " ".join(rng.choice(MEETING_WORDS) for _ in range(count))


def transcript(count: int = 6000) -> str:
    """A council-meeting transcript as speech-to-text gives it: no punctuation, no line
    breaks, the bridge's cost said near the end."""
    return f"{words(count - 20)} {BRIDGE_FACT} {words(12, seed=18)}"


def one_paragraph(chars: int, fact: str) -> str:
    """A single paragraph of about `chars` characters without a full stop: one remark
    repeated, as boilerplate is (so the real model embeds only its few distinct units),
    `fact` near its end."""
    remark = "the council met again and nothing was decided "
    return remark * (chars // len(remark)) + f"{fact} {words(12, seed=19)}"


def markdown_table(rows: int, fact_row: tuple[str, str, str]) -> str:
    """A markdown results table of `rows` rows, `fact_row` the last but two."""
    rng = random.Random(23)
    lines = ["# County results", "", "| District | Votes | Winner |", "|---|---:|---|"]
    for number in range(1, rows + 1):
        if number == rows - 2:
            lines.append("| {} | {} | {} |".format(*fact_row))
        else:
            votes = rng.randint(100, 9999)
            lines.append(f"| District {number} | {votes} | Candidate {'ABCDE'[number % 5]} |")
    return "\n".join(lines) + "\n"


def minified_page(title: str, paragraphs: list[str]) -> bytes:
    """A news page written on one line, as many sites serve them."""
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<script>var ads = [1, 2, 3];</script></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Subscribe now</footer></body></html>"
    ).encode()
