"""What the README promises is what qabot prints: its transcripts, run (issue 24, item 5).

The README is parsed, not copied: its `$ .venv/bin/qabot ask "..."` block is run as the real
console script, and its bot conversation (`you:` / `qabot:` lines) is replayed through the
real Application against the Bot API emulator. Words are compared with whitespace and line
wrapping normalised; in the bot's replies `┃` lines are the quote and `[label]` lines the
buttons. "..." in the README elides the rest of a paragraph (the CLI's further passages, the
rest of a quote); paths are shown relative to the checkout.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT
from tests.support.bot_harness import StartBot

pytest_plugins = ("tests.support.bot_fixtures",)  # fixtures: start_bot

README = PROJECT_ROOT / "README.md"
ELISION = "..."
CLI_PROMPT = "$ .venv/bin/qabot "
QUOTE_BAR = "┃"
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_BUTTON_ROW = re.compile(r"^(\[[^\]]+\]\s*)+$")
_BUTTON = re.compile(r"\[([^\]]+)\]")
_BLANK_LINE = re.compile(r"\n\s*\n")


class Differs(AssertionError):
    """qabot prints something other than what the README shows."""


@dataclass(frozen=True)
class Exchange:
    """One message a person sends in the README's conversation and the bot's reply."""

    said: str
    text: str  # the reply's words, the quote included, buttons left out
    quote: str
    buttons: tuple[str, ...]


def fenced_blocks() -> list[str]:
    return _FENCE.findall(README.read_text(encoding="utf-8"))


def cli_transcript() -> tuple[list[str], str]:
    """The README's `qabot ask` block: the command's arguments and what it prints."""
    [block] = [b for b in fenced_blocks() if b.startswith(CLI_PROMPT)]
    command, _, printed = block.partition("\n")
    return shlex.split(command[len(CLI_PROMPT) :]), printed


def bot_conversation() -> list[Exchange]:
    """The README's bot conversation, exchange by exchange."""
    [block] = [b for b in fenced_blocks() if b.startswith("you:")]
    return [_exchange(part) for part in _BLANK_LINE.split(block.strip())]


def _exchange(part: str) -> Exchange:
    said_line, *reply_lines = part.splitlines()
    said = said_line.removeprefix("you:").strip()
    assert reply_lines and reply_lines[0].startswith("qabot:"), part
    reply_lines[0] = reply_lines[0].removeprefix("qabot:")
    words, quote, buttons = [], [], []
    for line in (line.strip() for line in reply_lines):
        if _BUTTON_ROW.match(line):
            buttons += _BUTTON.findall(line)
        elif line.startswith(QUOTE_BAR):
            quote.append(line.removeprefix(QUOTE_BAR))
            words.append(quote[-1])
        else:
            words.append(line)
    return Exchange(said, " ".join(words), " ".join(quote), tuple(buttons))


def flat(text: str) -> str:
    return " ".join(text.split())


def shows(expected: str, actual: str) -> bool:
    """Whether `actual` says `expected`'s words, "..." in `expected` standing for any text."""
    pieces = [flat(piece) for piece in flat(expected).split(ELISION)]
    actual = flat(actual)
    if not actual.startswith(pieces[0]):
        return False
    at = len(pieces[0])
    for piece in pieces[1:]:
        found = actual.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return at == len(actual) or expected.rstrip().endswith(ELISION)


def assert_shows(what: str, expected: str, actual: str) -> None:
    if not shows(expected, actual):
        raise Differs(f"{what}: the README shows\n{flat(expected)}\nqabot prints\n{flat(actual)}")


def test_the_readme_holds_both_transcripts() -> None:
    """The parsers find what they look for (a README reworded past them fails here first)."""
    arguments, printed = cli_transcript()
    assert arguments[0] == "ask" and printed.strip()
    exchanges = bot_conversation()
    assert len(exchanges) >= 3 and exchanges[0].said == "/start"
    assert all(exchange.text for exchange in exchanges)
    assert any(exchange.quote for exchange in exchanges)
    assert any(exchange.buttons for exchange in exchanges)


def test_elision_stands_for_text_and_nothing_else() -> None:
    assert shows("a b ... e", "a  b c\nd e")
    assert shows("a b ...", "a b c d")
    assert not shows("a b", "a b c")  # without "...", nothing may follow
    assert not shows("a ... e", "a b c")
    assert not shows("b ...", "a b c")


@pytest.mark.model
def test_the_cli_prints_what_the_readme_shows(tmp_path: Path) -> None:
    """The README's `qabot ask` block, run as the console script (with an index of its own).
    Each blank-line paragraph the README shows is the one qabot prints; further ones only
    where the README's last paragraph ends with "..."."""
    arguments, printed = cli_transcript()
    script = Path(sys.executable).parent / "qabot"
    result = subprocess.run(
        [str(script), *arguments, "--index", str(tmp_path / "index")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout.replace(f"{PROJECT_ROOT}/", "")
    shown = _BLANK_LINE.split(printed.strip())
    actual = _BLANK_LINE.split(output.strip())
    assert len(actual) >= len(shown), output
    for number, (expected, said) in enumerate(zip(shown, actual, strict=False)):
        assert_shows(f"paragraph {number + 1}", expected, said)
        if expected.splitlines()[0] != said.splitlines()[0]:
            raise Differs(f"first line: README {expected.splitlines()[0]!r}, qabot {said!r}")
    if len(actual) > len(shown) and not printed.rstrip().endswith(ELISION):
        raise Differs(f"qabot prints more than the README shows: {actual[len(shown)][:80]!r}")


def _exchange_params() -> list[Any]:
    return [
        pytest.param(number, id=exchange.said) for number, exchange in enumerate(bot_conversation())
    ]


@pytest.mark.model
@pytest.mark.parametrize("number", _exchange_params())
async def test_the_bot_says_what_the_readme_shows(start_bot: StartBot, number: int) -> None:
    """The conversation replayed up to this exchange in one chat (the follow-ups need the
    ones before), and this exchange's reply compared: words, quote and buttons."""
    exchanges = bot_conversation()
    async with start_bot() as bot:
        for earlier in exchanges[:number]:
            await bot.ask(earlier.said)
        expected = exchanges[number]
        reply = await bot.ask(expected.said)
    assert_shows("the reply", expected.text, str(reply.get("text", "")))
    assert_shows("the quote", expected.quote, quoted(reply))
    labels = tuple(button["text"] for row in _keyboard(reply) for button in row)
    if labels != expected.buttons:
        raise Differs(f"buttons: the README shows {expected.buttons}, the bot {labels}")


def quoted(message: dict[str, Any]) -> str:
    """The text of the message's quotes (entity offsets count UTF-16 code units)."""
    units = str(message.get("text", "")).encode("utf-16-le")
    return " ".join(
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == "blockquote"
    )


def _keyboard(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    rows: list[list[dict[str, Any]]] = message.get("reply_markup", {}).get("inline_keyboard", [])
    return rows
