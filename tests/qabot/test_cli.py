"""The `qabot` command line, driven as a user would (in-process `main`, plus the real script)."""

from __future__ import annotations

import contextlib
import datetime
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qabot.cli import main
from tests.conftest import PROJECT_ROOT, SEED_QUESTION

ARTICLE = """date 2024-05-02
Lighthouse keepers return to Skerry Point

The Skerry Point lighthouse will be staffed again from June, the harbour board said on Tuesday.
It has been automated since 1987. Two keepers, Maren Holt and Ivo Brandt, were hired.
"""


@pytest.fixture()
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.model
def test_ask_builds_the_default_index_and_answers(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    code, out, _ = run(capsys, "ask", SEED_QUESTION, "--index", str(index_dir))
    assert code == 0
    assert "involuntary manslaughter" in out.splitlines()[0]
    assert "Mickey Rourke Stands Firm" in out and "2023-01-30" in out
    assert (index_dir / "CURRENT").is_file()


@pytest.mark.model
def test_ask_json_and_stdin_batch(
    capsys: pytest.CaptureFixture[str], index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "ask", "--json", SEED_QUESTION, "--index", str(index_dir))
    payload = json.loads(out)
    assert code == 0 and payload["confident"] is True
    assert set(payload) >= {"question", "answer", "confident", "passages"}
    assert "involuntary manslaughter" in payload["answer"] and len(payload["answer"]) <= 300
    # the words above the sentence, only when the calibrated model says likely right
    assert payload["direct"] in (None, "involuntary manslaughter")
    assert payload["closest"] is None  # only a near miss has one
    first = payload["passages"][0]
    assert set(first) >= {"text", "score", "title", "source", "date", "start", "end"}
    assert all(len(p["text"]) <= 1200 for p in payload["passages"])

    import io

    monkeypatch.setattr(
        sys, "stdin", io.StringIO("baldwin jail time\n\nWho won the 2022 World Cup?\n")
    )
    code, out, _ = run(capsys, "ask", "--json", "-", "--index", str(index_dir))
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["confident"] for line in lines] == [True, False]
    assert "18 months" in lines[0]["answer"]


@pytest.mark.model
def test_a_near_miss_is_refused_with_the_closest_passage_and_off_topic_without(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    code, out, _ = run(capsys, "ask", "Which studio produced Rust?", "--index", str(index_dir))
    assert code == 0 and out.startswith("I couldn't find that in the articles I have.")
    # the bot's own words (bot/messages.py), the one source of the refusal's wording
    closest = out.index("The closest I found (it does not answer your question):")
    assert "[1] Mickey Rourke Stands Firm" in out[closest:]
    code, out, _ = run(capsys, "ask", "Who won the 2022 World Cup?", "--index", str(index_dir))
    assert out.startswith("I couldn't find that") and "closest" not in out and "[1]" not in out


@pytest.mark.model
def test_index_add_list_remove_rebuild(
    capsys: pytest.CaptureFixture[str], index_dir: Path, tmp_path: Path
) -> None:
    article = tmp_path / "skerry-point.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    code, out, _ = run(capsys, "index", "add", str(article), "--index", str(index_dir))
    assert code == 0 and "added skerry-point" in out
    code, out, _ = run(capsys, "index", "list", "--index", str(index_dir))
    # the new index holds the file alone: the shipped article is for a first question
    assert "skerry-point" in out and "rust-shooting" not in out and "1 documents" in out
    code, out, _ = run(capsys, "ask", "who are the new keepers", "--index", str(index_dir))
    assert "Maren Holt" in out
    code, out, _ = run(capsys, "index", "list", "--index", str(index_dir))
    assert "rust-shooting" not in out  # a question to a filled index adds nothing either
    code, out, _ = run(capsys, "index", "rebuild", "--index", str(index_dir))
    assert code == 0 and "1 documents" in out
    code, out, _ = run(capsys, "index", "check", "--index", str(index_dir))
    assert code == 0 and "the index is sound: 1 documents" in out
    code, out, _ = run(capsys, "index", "remove", "skerry-point", "--index", str(index_dir))
    assert code == 0 and "removed skerry-point" in out
    code, out, _ = run(capsys, "index", "list", "--index", str(index_dir))
    assert "skerry-point" not in out and "0 documents" in out


@pytest.mark.model  # adding the shipped article embeds it
def test_the_shipped_article_joins_an_added_file_only_when_asked(
    capsys: pytest.CaptureFixture[str], index_dir: Path, tmp_path: Path
) -> None:
    article = tmp_path / "skerry-point.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    argv = ["index", "add", str(article), "--index", str(index_dir), "--with-default-corpus"]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "added skerry-point" in out
    code, out, _ = run(capsys, "index", "list", "--index", str(index_dir))
    assert "skerry-point" in out and "rust-shooting" in out and "2 documents" in out


@pytest.mark.model  # `ask` puts the shipped article into the empty index first: embedding
def test_an_empty_question_is_told_what_to_ask_about(
    capsys: pytest.CaptureFixture[str], index_dir: Path
) -> None:
    code, out, err = run(capsys, "ask", "  ", "--index", str(index_dir))
    assert code == 2 and out == ""
    assert err.startswith("Ask me a question about “Mickey Rourke Stands Firm That Alec Baldwin")
    assert "couldn't find" not in err


@pytest.mark.model
def test_bad_input_gets_a_clear_error_and_keeps_the_index(
    capsys: pytest.CaptureFixture[str], index_dir: Path, tmp_path: Path
) -> None:
    run(capsys, "ask", SEED_QUESTION, "--index", str(index_dir))
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Café au lait, naïve résumé".encode("latin-1"))
    code, _, err = run(capsys, "index", "add", str(bad), "--index", str(index_dir))
    assert code == 1 and "not UTF-8" in err
    code, _, err = run(capsys, "index", "remove", "no-such-doc", "--index", str(index_dir))
    assert code == 1 and "no-such-doc" in err
    code, out, _ = run(capsys, "index", "list", "--index", str(index_dir))
    assert "rust-shooting" in out


def test_config_errors_name_the_bad_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--config", str(tmp_path / "missing.yaml"), "index", "list")
    assert code == 2 and "not found" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("retrieval:\n  top_k: 0\nindex:\n  dirr: x\n", encoding="utf-8")
    code, _, err = run(capsys, "index", "list", "--config", str(bad))
    assert code == 2 and "retrieval.top_k" in err and "index.dirr" in err


@pytest.mark.model
def test_chat_understands_a_follow_up_only_through_the_conversation(tmp_path: Path) -> None:
    """The real console script, as a person types into it: "he" is nobody at first, and
    Baldwin once he was asked about."""
    script = Path(sys.executable).parent / "qabot"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "qabot.cli"]
    follow_up = "how long could he go to jail?"
    result = subprocess.run(
        [*command, "chat", "--index", str(tmp_path / "index")],
        input=f"{follow_up}\nWhat charges does Alec Baldwin face?\n{follow_up}\n\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Each prompt is followed by the answer to the line typed at it.
    _greeting, alone, about_baldwin, followed, _end = result.stdout.split("you> ")
    assert alone.startswith("I couldn't find that in the articles I have."), alone
    assert "18 months" not in alone
    assert "involuntary manslaughter" in about_baldwin
    assert "18 months" not in about_baldwin  # neither its answer nor its passage holds it
    # the direct answer on its own line, then the sentence that holds it
    assert followed.startswith(
        "18 months\nAlec Baldwin is facing two counts of involuntary manslaughter, which both "
        "carry a sentence of up to 18 months in jail."
    ), followed


def test_help_does_not_import_torch() -> None:
    code = (
        "import sys; from qabot.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT, capture_output=True)


@pytest.mark.model
def test_index_list_does_not_import_torch(tmp_path: Path) -> None:
    index = tmp_path / "index"
    main(["ask", SEED_QUESTION, "--index", str(index)])  # builds it (may export the model)
    code = (
        "import sys; from qabot.cli import main\n"
        f"main(['index', 'list', '--index', {str(index)!r}])\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "rust-shooting" in result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_readme_names_both_setup_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert "make ask" in first_block and "make test" in first_block
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_version_and_every_help_ends_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == "qabot 0.1.0"
    commands = [[], ["ask"], ["chat"], ["index"], ["eval"], ["report"], ["serve"]]
    commands += [["index", action] for action in ("add", "list", "remove", "rebuild", "check")]
    for command in commands:
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        examples = capsys.readouterr().out.split("examples:\n")[1].splitlines()
        assert 2 <= len(examples) <= 3, command
        assert all("qabot " in line for line in examples)


@pytest.mark.slow
@pytest.mark.model  # exports and runs the real model
def test_a_first_run_says_only_what_it_prepares_and_a_second_run_nothing(tmp_path: Path) -> None:
    """A fresh model cache: the one-time export is announced, no third-party warning or
    progress bar of its own reaches the terminal; the next run prints only the answer."""
    import yaml

    config = tmp_path / "config.yaml"
    settings = {
        "index": {"dir": str(tmp_path / "index"), "default_corpus": str(PROJECT_ROOT / "corpus")},
        "embedding": {"cache_dir": str(tmp_path / "models")},
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    command = [str(Path(sys.executable).parent / "qabot"), "--config", str(config), "ask"]

    def ask() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, SEED_QUESTION], capture_output=True, text=True, timeout=600, check=True
        )

    first = ask()
    assert "involuntary manslaughter" in first.stdout.splitlines()[0]
    assert first.stderr.startswith("Preparing the language model once")
    assert not [line for line in first.stderr.splitlines() if "warn" in line.lower()]
    assert "Loading weights" not in first.stderr
    assert not [line for line in first.stderr.splitlines() if " DEBUG " in line]  # no logs
    second = ask()
    assert second.stderr == ""
    assert second.stdout == first.stdout


def test_report_prints_the_days_and_the_missed_questions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from bot.state.sqlite_answers import SqliteAnswerLog
    from index.api import Answer

    log_path = tmp_path / "feedback.sqlite"
    config = tmp_path / "config.yaml"
    config.write_text(f"telegram:\n  feedback_db: {log_path}\n", encoding="utf-8")
    code, _, err = run(capsys, "report", "--config", str(config))
    assert code == 1 and "no answers logged yet" in err

    with contextlib.closing(SqliteAnswerLog(log_path)) as log:
        found = Answer(SEED_QUESTION, "Involuntary manslaughter.", confident=True)
        answer_id = log.record_answer(found, chat_id=7, user_id=7, latency_ms=40.0)
        log.record_vote(answer_id, user_id=7, vote=1)
        for wording in ("Who won the 2022 World Cup?", "who won the world cup 2022"):
            missed = Answer(wording, "", confident=False)
            log.record_answer(missed, chat_id=7, user_id=7, latency_ms=60.0)
        inline = Answer("who won", "", confident=False)  # inline mode: not a chat question
        log.record_answer(inline, chat_id=None, user_id=7, latency_ms=5.0)

    chart = tmp_path / "stats.png"
    code, out, _ = run(capsys, "report", "--config", str(config), "--png", str(chart))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Last 14 days: 3 questions, 2 refused (67%)"
    assert lines[1] == "Feedback: 👍 1 · 👎 0"
    assert lines[2].startswith("Latency p50 / p90 / p99: ")
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert [today, "3", "2", "1", "0"] in [line.split() for line in lines]
    # one question in two wordings; the newest wording names it when both are as frequent
    assert "  2× who won the world cup 2022 (refused 2)" in lines
    assert chart.read_bytes().startswith(b"\x89PNG")
