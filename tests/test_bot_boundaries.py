"""The architecture rule, kept: bot/ talks to the engine only through `index.api` and knows
nothing of qabot/ (which composes the two), and reading the configuration, which every
`qabot` command does, does not load python-telegram-bot."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ALLOWED_FROM_ELSEWHERE = {"index.api"}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, at any depth (function-level imports too)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_bot_imports_only_the_engines_api_and_nothing_of_qabot() -> None:
    crossings = {
        f"{path.name} imports {module}"
        for path in sorted((PROJECT_ROOT / "bot").glob("*.py"))
        for module in imported_modules(path)
        if module.partition(".")[0] in ("index", "qabot") and module not in ALLOWED_FROM_ELSEWHERE
    }
    assert crossings == set()


def test_reading_the_configuration_does_not_load_telegram() -> None:
    code = "import sys, qabot.config; assert 'telegram' not in sys.modules, 'telegram imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)
