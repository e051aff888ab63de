"""The same text from two sources is shown once."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import Engine
from qabot.config import Config
from qabot.factory import open_engine

TEXT = (
    "The harbour board confirmed that the Skerry Point lighthouse will be staffed again "
    "from June. Two keepers, Maren Holt and Ivo Brandt, were hired after forty applications."
)


# The question shares one word with its answer ("keepers"): only the real model's sense that
# "who" wants names and keepers belong to lighthouses makes that answer confident.
@pytest.mark.model
def test_near_duplicate_passages_are_shown_once(config: Config, tmp_path: Path) -> None:
    engine: Engine = open_engine(config, tmp_path / "index")
    try:
        (tmp_path / "wire.txt").write_text(TEXT, encoding="utf-8")
        (tmp_path / "reprint.txt").write_text(TEXT.replace("June.", "June!"), encoding="utf-8")
        engine.add_paths([tmp_path / "wire.txt", tmp_path / "reprint.txt"])
        answer = engine.answer("who are the new lighthouse keepers")
        assert "Maren Holt" in answer.text
        keeper_passages = [p for p in answer.passages if "Maren Holt" in p.text]
        assert len(keeper_passages) == 1
        assert len(answer.passages) >= 2  # other passages (the seed article) still come
    finally:
        engine.close()
