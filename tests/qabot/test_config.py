"""The configuration file: composed of sections, paths resolved once against the file's
folder, renamed keys still read."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from index.settings import EngineSettings
from qabot.config import ConfigError, load_config


def write(folder: Path, settings: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def test_relative_paths_start_at_the_config_files_folder_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "deployment"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = write(
        folder,
        {
            "index": {"dir": "index", "default_corpus": "articles"},
            "embedding": {"cache_dir": "../models"},
            "qdrant": {"path": "qdrant"},
            "telegram": {"state_db": "state/bot.sqlite"},
        },
    )

    config = load_config(path)

    engine = config.engine_settings()
    assert engine.index.dir == folder / "index"
    assert engine.index.default_corpus == folder / "articles"
    assert engine.embedding.cache_dir == tmp_path / "models"
    assert engine.qdrant.path == folder / "qdrant"
    assert config.telegram.state_db == folder / "state" / "bot.sqlite"
    assert config.engine_settings(tmp_path / "other").index.dir == tmp_path / "other"


def test_an_absolute_path_stays_as_written(tmp_path: Path) -> None:
    path = write(tmp_path / "config", {"index": {"dir": str(tmp_path / "data" / "index")}})
    assert load_config(path).engine_settings().index.dir == tmp_path / "data" / "index"


def test_the_engine_receives_only_its_own_sections(tmp_path: Path) -> None:
    """Composition, not inheritance: what the engine gets knows nothing of the bot."""
    config = load_config(write(tmp_path, {"telegram": {"rate_limit_per_minute": 5}}))
    engine = config.engine_settings()
    assert type(engine) is EngineSettings
    assert set(engine.model_dump()) == set(EngineSettings.model_fields)
    assert config.telegram.rate_limit_per_minute == 5


def test_the_old_name_of_the_bots_state_file_is_still_read_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`telegram.feedback_db` was renamed `telegram.state_db` (it holds answers, votes,
    follows, alerts and link counts): a file written before keeps working."""
    path = write(tmp_path, {"telegram": {"feedback_db": "answers.sqlite"}})
    with caplog.at_level(logging.WARNING, logger="qabot.config"):
        config = load_config(path)
    assert config.telegram.state_db == tmp_path / "answers.sqlite"
    assert "telegram.feedback_db is deprecated" in caplog.text
    assert "telegram.state_db" in caplog.text

    both = write(tmp_path / "both", {"telegram": {"feedback_db": "a", "state_db": "b"}})
    with pytest.raises(ConfigError, match="feedback_db"):
        load_config(both)


def test_the_engine_s_sections_are_written_at_the_top_level_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="engine"):
        load_config(write(tmp_path, {"engine": {"index": {"dir": "x"}}}))


def test_an_error_in_an_engine_section_names_its_key_as_the_file_writes_it(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, {"answer": {"max_chars": 5}, "telegram": {"mode": "x"}}))
    message = str(raised.value)
    assert "answer.max_chars" in message and "engine." not in message
    assert "telegram.mode" in message
