"""What a benchmark run measures (quick or full), where its data lives, and its questions."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from index.engine import EngineSettings
from qabot.config import load_config
from qabot.evaluate import load_questions

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared" / "data" / "squad-dev-a"


@dataclass(frozen=True)
class Plan:
    quick: bool
    sizes: tuple[int, ...]  # corpus sizes (chunks) for latency
    concurrency_size: int  # corpus size (chunks) for throughput
    askers: tuple[int, ...]
    questions: int  # questions per latency run
    concurrency_questions: int  # questions per concurrency level, server and run
    runs: int  # runs per figure; the report keeps the median
    run_budget_s: float  # a latency run stops asking new questions after this long
    load_budget_s: float  # the same for one server's run at one concurrency level
    squad_articles: int | None  # None: all of squad-dev-a
    embed_sentences: int  # sentences for the embedding-backend comparison
    work_dir: Path
    squad_dir: Path

    @classmethod
    def create(cls, quick: bool, work_dir: Path, squad_dir: Path = SQUAD) -> Plan:
        if quick:
            return cls(
                quick=True,
                sizes=(1_000, 10_000),
                concurrency_size=10_000,
                askers=(1, 8, 64, 200),
                questions=20,
                concurrency_questions=48,
                runs=2,
                run_budget_s=8.0,
                load_budget_s=6.0,
                squad_articles=2,
                embed_sentences=100,
                work_dir=work_dir,
                squad_dir=squad_dir,
            )
        return cls(
            quick=False,
            sizes=(1_000, 100_000, 1_000_000),
            concurrency_size=100_000,
            askers=(1, 8, 64, 200),
            questions=100,
            concurrency_questions=256,
            runs=3,
            run_budget_s=40.0,
            load_budget_s=20.0,
            squad_articles=None,
            embed_sentences=2_000,
            work_dir=work_dir,
            squad_dir=squad_dir,
        )

    def to_json(self) -> str:
        return json.dumps(
            {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(self).items()}
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """The plan a parent process sent; fields it did not know take their defaults."""
        raw = json.loads(text)
        base = cls.create(bool(raw["quick"]), Path(raw["work_dir"]), Path(raw["squad_dir"]))
        known = {field.name for field in dataclasses.fields(cls)}
        for key in ("sizes", "askers"):
            raw[key] = tuple(raw[key])
        for key in ("work_dir", "squad_dir"):
            raw[key] = Path(raw[key])
        return dataclasses.replace(base, **{k: v for k, v in raw.items() if k in known})

    @property
    def squad_index(self) -> Path:
        return self.work_dir / "squad"

    def synthetic_index(self, chunks: int) -> Path:
        return self.work_dir / f"synthetic-{chunks}"

    def article_files(self) -> list[Path]:
        files = sorted((self.squad_dir / "articles").glob("*.txt"))
        return files if self.squad_articles is None else files[: self.squad_articles]

    def question_texts(self, count: int) -> list[str]:
        """Real SQuAD questions, spread evenly over the articles."""
        return [q.question for q in load_questions(self.squad_dir / "questions.jsonl", limit=count)]


def settings_for(index_dir: Path) -> EngineSettings:
    """The shipped configuration (config.yaml) over another index folder, never seeded."""
    config = load_config(ROOT / "config.yaml")
    return config.engine_settings(index_dir).with_changes(index={"default_corpus": None})
