"""Markdown (markdown-it): headings and paragraphs are blocks; a whole list or table is one
block whose lines are its items or rows."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from index.ingest.formats.limits import check_length
from index.ingest.formats.tables import TableText, inline_text, markdown_parser
from index.ingest.formats.text import date_line, headline

if TYPE_CHECKING:
    from markdown_it.token import Token


def parse_markdown(filename: str, text: str) -> tuple[str | None, str | None, str]:
    """Headings and paragraphs are blocks; a whole list or table is one block whose lines
    are its items or rows."""
    check_length(filename, text)
    date, body = date_line(text)
    tables = TableText(filename)
    blocks: list[str] = []
    heading: str | None = None
    for part in tables.long_ones_apart(body):
        if isinstance(part, list):  # a long table's rows, written out
            blocks.append("\n".join(part))
            continue
        tokens = markdown_parser().parse(part)
        heading = heading or _first_heading(tokens)
        blocks.extend(_markdown_blocks(tokens, tables))
    text = "\n\n".join(block for block in blocks if block)
    return heading or headline(text), date, text


def _markdown_blocks(tokens: list[Token], tables: TableText) -> list[str]:
    blocks: list[str] = []
    lines: list[str] = []  # the items and rows of the outermost list or table being read
    lists = 0  # lists open around the current token
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if token.type == "table_open":
            rows, position = tables.rows(tokens, position)
            lines.extend(rows)
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif token.type == "inline" and inline_text(token):
            if lists:
                lines.append(inline_text(token))
            else:
                blocks.append(inline_text(token))
        if lines and not lists:
            blocks.append("\n".join(lines))
            lines = []
        position += 1
    return blocks


def _first_heading(tokens: list[Token]) -> str | None:
    for before, token in itertools.pairwise(tokens):
        if before.type == "heading_open":
            return inline_text(token) or None
    return None
