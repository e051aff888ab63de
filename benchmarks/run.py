"""`python -m benchmarks.run [--quick]`: speed and scale of qabot beside a naive pipeline.

Each phase runs in a fresh worker process (its memory peak is its own) and its result is
saved at once in <work>/results.json, so an interrupted or partial run (`--only`) keeps
what it measured. The full run writes docs/performance.md and docs/*.png; `--quick`
(1e3/1e4 corpora, fewer runs; about 10-15 minutes on the busy 2-core machine, most of it
process start-up and torch for the baseline) writes its report under data/bench/quick/.
Indexes already built by an earlier run (same articles, same recipe, still accepted by the
engine) are reused with their recorded build figures; `--rebuild` measures the builds again.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.worker import RESULT_PREFIX
from benchmarks.workload import ROOT, SQUAD, Plan

FINDINGS = Path(__file__).with_name("findings.md")
PHASE_TIMEOUT = 90 * 60  # the 1e6 build takes ~45 min on a busy 2-core machine


@dataclass(frozen=True)
class Phase:
    key: str  # where the result is stored in results.json
    name: str  # the worker phase
    chunks: int = 0


def phases(plan: Plan) -> list[Phase]:
    """In dependency order: the squad index feeds the synthetic corpora and the bot."""
    steps = [Phase("squad-build", "squad-build"), Phase("squad-build-naive", "squad-build-naive")]
    for size in plan.sizes:
        steps.append(Phase(f"synthetic-build-{size}", "synthetic-build", size))
        steps.append(Phase(f"synthetic-build-naive-{size}", "synthetic-build-naive", size))
    if not plan.quick:  # the real corpus is small: the quick run's 1e3 stand-in stands for it
        steps.append(Phase("latency-0", "latency", 0))
    steps += [Phase(f"latency-{size}", "latency", size) for size in plan.sizes]
    steps.append(Phase("qdrant-latency", "qdrant-latency"))
    steps.append(Phase("reader-latency", "reader-latency"))
    steps += [
        Phase("concurrency", "concurrency", plan.concurrency_size),
        Phase("incremental-add", "incremental-add", plan.concurrency_size),
        Phase("recall", "recall", max(plan.sizes)),
        Phase("bot", "bot"),
        Phase("cold-start", "cold-start"),
        Phase("embedders", "embedders"),
    ]
    return steps


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    work = args.work or ROOT / "data" / "bench" / ("quick" if args.quick else "full")
    work.mkdir(parents=True, exist_ok=True)
    plan = Plan.create(args.quick, work.resolve(), args.squad)
    results_path = work / "results.json"
    previous: dict[str, Any] = (
        json.loads(results_path.read_text()) if results_path.is_file() else {}
    )
    wanted = set(args.only.split(",")) if args.only else None
    if not args.report_only:
        if wanted is None:
            _save(results_path, {}, replace=True)  # a full run starts afresh
        reused: set[str] = set()
        for phase in phases(plan):
            if wanted is not None and phase.key not in wanted and phase.name not in wanted:
                continue
            earlier: dict[str, Any] = previous.get(phase.key) or {}
            if _can_reuse(phase, earlier, reused, args.rebuild):
                result = {**earlier, "reused": True}
                print(f"[bench] {phase.key}: index already built, keeping its measurement")
            else:
                result = _run_phase(phase, plan, work, reuse=not args.rebuild)
                if result.get("reused"):
                    result = {**earlier, "reused": True}
            if result.get("reused"):
                reused.add(phase.key)
            extra = {"meta": _meta(plan), "concurrency_size": plan.concurrency_size}
            _save(results_path, {phase.key: result, **extra})
    results = json.loads(results_path.read_text()) if results_path.is_file() else {}
    _write(results, plan, work)
    return 0 if all(v.get("error") is None for v in results.values() if isinstance(v, dict)) else 1


def _save(path: Path, update: dict[str, Any], replace: bool = False) -> None:
    """Merge into results.json as it is now: two runs (--only) may share the file."""
    current = {} if replace or not path.is_file() else json.loads(path.read_text())
    current.update(update)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(json.dumps(current, indent=1), encoding="utf-8")
    os.replace(partial, path)


def _can_reuse(phase: Phase, earlier: dict[str, Any], reused: set[str], rebuild: bool) -> bool:
    """A naive build is re-measured only when the index it mirrors was rebuilt."""
    if rebuild or not earlier or "error" in earlier:
        return False
    mirrored = phase.key.replace("-naive", "")
    return phase.name.endswith("-naive") and mirrored in reused


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--only", help="comma-separated phases or result keys to (re)run")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report only")
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild indexes even when they are current"
    )
    parser.add_argument("--work", type=Path, default=None, help="scratch folder for indexes")
    parser.add_argument("--squad", type=Path, default=SQUAD, help="squad-dev-a folder")
    return parser


def _run_phase(phase: Phase, plan: Plan, work: Path, reuse: bool) -> dict[str, Any]:
    """One worker process; its stderr goes to <work>/logs/<key>.log."""
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "benchmarks.worker", phase.name, plan.to_json()]
    if phase.chunks:
        command.append(str(phase.chunks))
    if reuse:
        command.append("--reuse")
    print(f"[bench] {phase.key} ...", flush=True)
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure
    started = time.perf_counter()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    with (logs / f"{phase.key}.log").open("w", encoding="utf-8") as log:
        try:
            done = subprocess.run(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                timeout=PHASE_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {PHASE_TIMEOUT} s"}
    seconds = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        print(f"[bench] {phase.key} FAILED (see {logs / phase.key}.log)", flush=True)
        return {"error": f"exit status {done.returncode}", "seconds": seconds}
    print(f"[bench] {phase.key} done in {seconds:.0f} s", flush=True)
    load = {"load_before": load_before, "load_after": os.getloadavg()[0]}
    return {**json.loads(lines[-1][len(RESULT_PREFIX) :]), "phase_seconds": seconds, **load}


def _meta(plan: Plan) -> dict[str, Any]:
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "mode": "quick" if plan.quick else "full",
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}",
    }


def _write(results: dict[str, Any], plan: Plan, work: Path) -> None:
    from benchmarks.report import write_report

    clean = {k: v for k, v in results.items() if not (isinstance(v, dict) and "error" in v)}
    if plan.quick:
        target, plots = work / "performance.md", work
    else:
        target, plots = ROOT / "docs" / "performance.md", ROOT / "docs"
    findings = FINDINGS.read_text(encoding="utf-8") if FINDINGS.is_file() else ""
    write_report(clean, target, plots, findings)
    print(f"[bench] report: {target}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
