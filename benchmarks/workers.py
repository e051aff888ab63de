"""Several workers that lose nothing (issue 26): the scenario of tests/bot/test_scale.py, measured.

    eval "$(bash tests/support/postgres/start.sh)"
    python -m benchmarks.workers [--outages 5 30] [--per-second 10] [--baseline REV]
    bash tests/support/postgres/stop.sh

Three `qabot serve` workers in webhook mode on one PostgreSQL behind a real nginx, asked by
people at `--per-second` with one burst; one worker SIGKILLed in the burst, PostgreSQL
stopped for each of `--outages` seconds (one run each), then every worker restarted with
SIGTERM in turn while questions still come, then an article sent to worker A asked of B
and C (tests/support/workers_scenario.py). Each run gets a new database on the test server
and stops and starts that server (QABOT_TEST_POSTGRES, QABOT_TEST_POSTGRES_CLUSTER, both
from start.sh). Prints a Markdown table and writes data/bench/workers.json; the figures
are in docs/scaling.md. The workers use the fake embedder (delivery, not answers' quality,
and three real models would not start side by side on two cores in reasonable time).

`--baseline REV` runs the same scenario first on the qabot of git revision REV (e.g. the
commit before issue 26's inbox), unpacked with `git archive` into a temporary folder and
run by this checkout's Python environment, its engine given the same fake embedder.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from benchmarks.workload import ROOT
from tests.support.workers_scenario import ARTICLES, Plan, Scenario, WorkerCode, summary

OUTPUT = ROOT / "data" / "bench" / "workers.json"
OUTAGE_AT = 10.0
AFTER_OUTAGE = 5.0  # seconds between the database's return and the rolling restart
ROLLING_SECONDS = 10.0  # about what three restarts take; questions keep coming meanwhile


def plan_for(outage: float, per_second: float) -> Plan:
    """Questions keep coming until the rolling restart is over, whatever the outage."""
    rolling_at = OUTAGE_AT + outage + AFTER_OUTAGE
    questions_each = len(ARTICLES)
    burst = Plan().burst  # sent at once: on top of the paced ones
    paced = (rolling_at + ROLLING_SECONDS) * per_second
    people = math.ceil((paced + burst) / questions_each)
    return Plan(
        people=people,
        questions_each=questions_each,
        per_second=per_second,
        burst=burst,
        outage_at=OUTAGE_AT,
        outage_seconds=outage,
        rolling_at=rolling_at,
    )


def cluster(action: str) -> None:
    version, name = os.environ["QABOT_TEST_POSTGRES_CLUSTER"].split("/")
    subprocess.run(["pg_ctlcluster", version, name, action], check=True, timeout=120)


def new_database(server: str) -> tuple[str, str]:
    name = f"qabot_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name, urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# A qabot from before `qabot serve` took an embedder: its engine is given the fake one.
BASELINE_WORKER = """\
import sys

import qabot.factory
from index.engine import Engine
from qabot.config import load_config
from qabot.serve import serve
from tests.support.fake_embedder import FakeEmbedder

FAKE = FakeEmbedder()


class FakeModelEngine(Engine):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("embedder", FAKE)
        super().__init__(*args, **kwargs)


qabot.factory.Engine = FakeModelEngine
sys.exit(serve(load_config(sys.argv[1])))
"""
BASELINE_TIMEOUT = 20.0  # seconds to wait for answers a baseline may have lost


def unpack(revision: str, folder: Path) -> WorkerCode:
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    (folder / "baseline_worker.py").write_text(BASELINE_WORKER, encoding="utf-8")
    return WorkerCode(root=folder, entry=("baseline_worker.py",), before_inbox=True)


def run(outage: float, per_second: float, code: WorkerCode | None = None) -> dict[str, Any]:
    server = os.environ["QABOT_TEST_POSTGRES"]
    name, url = new_database(server)
    plan = plan_for(outage, per_second)
    if code is not None:
        plan = dataclasses.replace(plan, answer_timeout=BASELINE_TIMEOUT)
    try:
        with tempfile.TemporaryDirectory() as folder:
            scenario = Scenario(plan, Path(folder), url, cluster, code or WorkerCode())
            report = asyncio.run(scenario.run())
    finally:
        drop_database(server, name)
    return {"outage_s": outage, **summary(report)}


def table(results: list[dict[str, Any]]) -> str:
    rows = [
        ("qabot", "code"),
        ("PostgreSQL down (s)", "outage_s"),
        ("questions", "questions"),
        ("answered once", "answered_once"),
        ("lost", "lost"),
        ("answered twice", "duplicated"),
        ("wrong answer", "wrong"),
        ("apologies", "apologies"),
        ("reply time p50 (s)", "p50_s"),
        ("reply time p95 (s)", "p95_s"),
        ("reply time max (s)", "max_s"),
        ("taken over from the killed worker", "taken_over"),
        ("in doubt (reply begun when killed)", "in_doubt"),
        ("webhook POSTs (redeliveries included)", "webhook_posts"),
        ("POSTs refused (non-2xx, nginx or worker)", "failed_posts"),
        ("POSTs over 1 s", "posts_over_1s"),
        ("slowest POST (s)", "slowest_post_s"),
        ("updates delivered more than once", "redelivered_updates"),
        ("redeliveries logged at INFO", "redeliveries_logged"),
        ("/healthz 503 during the outage", "unready_during_outage"),
        ("peak RSS per worker (MB)", "rss_mb"),
        ("article sent to A: 'Added' after (s)", "document_added_s"),
        ("... answered by B, C after (s)", "document_answered_s"),
        ("wall time (s)", "wall_s"),
    ]
    lines = ["| | " + " | ".join(f"run {n + 1}" for n in range(len(results))) + " |"]
    lines.append("|---|" + "---|" * len(results))
    for label, key in rows:
        cells = [_cell(result.get(key)) for result in results]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return "-" if value is None else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outages", type=float, nargs="+", default=[5.0, 30.0])
    parser.add_argument("--per-second", type=float, default=10.0)
    parser.add_argument("--baseline", metavar="REV", help="also run the qabot of this revision")
    args = parser.parse_args()
    results = []
    if args.baseline:
        with tempfile.TemporaryDirectory() as folder:
            code = unpack(args.baseline, Path(folder))
            for outage in args.outages:
                results.append({"code": args.baseline, **run(outage, args.per_second, code)})
    for outage in args.outages:
        results.append({"code": "this checkout", **run(outage, args.per_second)})
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    print(table(results))
    for result in results:
        print(f"\nevents ({result['outage_s']:g} s outage): {result['events']}")


if __name__ == "__main__":
    main()
