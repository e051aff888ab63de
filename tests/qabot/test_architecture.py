"""The shape of the code: one-way imports, a light engine interface, one place per default.

The import rules live in pyproject.toml ([tool.importlinter]) and are checked by
`lint-imports`; these tests run it on the project, and on a copy with a forbidden import
added, so a rule that stopped biting would fail here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from qabot.config import Config, load_config

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("benchmarks", "qabot", "bot", "index")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_code_keeps_its_import_rules() -> None:
    result = lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 5 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "reported"),
    [
        ("bot/probe.py", "from index.engine import Engine\n", "bot.probe -> index.engine"),
        ("bot/probe.py", "from qabot.config import Config\n", "bot.probe -> qabot.config"),
        ("index/probe.py", "import bot.view.html\n", "index.probe -> bot.view.html"),
        ("qabot/probe.py", "import benchmarks.quality\n", "qabot.probe -> benchmarks.quality"),
        # the layers inside index/: answer > search > snapshot > store > ingest
        (
            "index/snapshot/probe.py",
            "import index.search.candidates\n",
            "index.snapshot.probe -> index.search.candidates",
        ),
        (
            "index/store/probe.py",
            "import index.snapshot.build\n",
            "index.store.probe -> index.snapshot.build",
        ),
        (
            "index/ingest/probe.py",
            "import index.store.chunks\n",
            "index.ingest.probe -> index.store.chunks",
        ),
        (
            "index/search/probe.py",
            "import index.answer.reading\n",
            "index.search.probe -> index.answer.reading",
        ),
        # (a copy of settings.py, replaced by one import)
        (
            "index/settings.py",
            "import index.ingest.chunking\n",
            "index.settings -> index.ingest.chunking",
        ),
        # news/ through the facade only; qabot/ past index.api only in factory.py
        (
            "index/news/probe.py",
            "import index.store.sqlite\n",
            "index.news.probe -> index.store.sqlite",
        ),
        ("qabot/probe.py", "import index.news.desk\n", "qabot.probe -> index.news.desk"),
    ],
)
def test_a_forbidden_import_breaks_the_rules(
    tmp_path: Path, module: str, source: str, reported: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(
            PROJECT_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc")
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)
    (tmp_path / module).write_text(source, encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert reported in result.stdout


def test_the_engine_interface_loads_no_engine() -> None:
    """The bot imports index.api; faiss, bm25s, onnxruntime and torch load only with the engine."""
    code = (
        "import sys, index.api, bot\n"
        "heavy = ('faiss', 'bm25s', 'onnxruntime', 'torch', 'sentence_transformers')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_reading_the_configuration_does_not_load_telegram() -> None:
    """Every `qabot` command reads the config; only `serve` needs python-telegram-bot."""
    code = "import sys, qabot.config; assert 'telegram' not in sys.modules, 'telegram imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)


def test_reading_the_configuration_loads_no_engine_library() -> None:
    """Every `qabot` command reads the config; the chunker's sentence splitter (blingfire)
    and the indexes load only with the engine."""
    code = (
        "import sys, qabot.config\n"
        "heavy = ('blingfire', 'faiss', 'bm25s', 'onnxruntime', 'index.ingest.chunking')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def _flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_config_yaml_shows_every_default_and_changes_none() -> None:
    """Defaults are written once, in the settings models; config.yaml shows all of them.
    The shipped example questions are the one deliberate choice (by default the bot makes
    examples from the articles' titles)."""
    shipped = PROJECT_ROOT / "config.yaml"
    raw = _flatten(yaml.safe_load(shipped.read_text(encoding="utf-8")))
    defaults = _flatten(Config().model_dump(mode="json", exclude={"base_dir"}))
    assert set(raw) == set(defaults)
    loaded = _flatten(load_config(shipped).model_dump(mode="json", exclude={"base_dir"}))
    chosen = {"telegram.example_questions"}
    differing = {key for key in defaults if loaded[key] != defaults[key]}
    assert differing == chosen
