"""Cold start: a fresh process to its first answer, with the index already built.

`qabot ask` is timed until the process exits (it printed the answer), `qabot serve` until the
emulator holds the bot's answer to a question that was waiting when it started. The
baseline is the naive pipeline's own command (`python -m benchmarks.naive`), which imports
torch. Peak RSS is sampled with psutil every 10 ms.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

from benchmarks.workload import ROOT, Plan
from tests.support.emulator import BotApiEmulator

QUESTION = "Which NFL team represented the AFC at Super Bowl 50?"
SAMPLE_SECONDS = 0.01


def cold_starts(plan: Plan) -> dict[str, Any]:
    runs = plan.runs if plan.quick else max(3, plan.runs)
    qabot = Path(sys.executable).parent / "qabot"
    ask = [str(qabot), "ask", QUESTION, "--index", str(plan.squad_index)]
    naive = [sys.executable, "-m", "benchmarks.naive", str(plan.squad_index), QUESTION]
    _timed_process(ask)  # page cache warm, as on a machine that has run qabot before
    _timed_process(naive)
    results: dict[str, list[tuple[float, int]]] = {"qabot_ask": [], "naive_ask": []}
    for _ in range(runs):
        results["qabot_ask"].append(_timed_process(ask))
        results["naive_ask"].append(_timed_process(naive))
    serve = [asyncio.run(_serve_to_first_answer(plan, qabot)) for _ in range(max(2, runs - 2))]
    summary = {name: _summary(samples) for name, samples in results.items()}
    summary["qabot_serve"] = _summary(serve)
    return summary


def _summary(samples: list[tuple[float, int]]) -> dict[str, float]:
    return {
        "seconds": statistics.median(s for s, _ in samples),
        "max_seconds": max(s for s, _ in samples),
        "peak_rss": float(max(rss for _, rss in samples)),
    }


def _timed_process(command: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
    )
    peak = _watch(process.pid, lambda: process.poll() is not None)
    _, errors = process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {errors.decode()[-2000:]}")
    return elapsed, peak


def _watch(pid: int, finished: Any) -> int:
    """Peak RSS of a running process, sampled until `finished()` says it ended."""
    peak = 0
    try:
        watched = psutil.Process(pid)
        while not finished():
            peak = max(peak, watched.memory_info().rss)
            time.sleep(SAMPLE_SECONDS)
    except psutil.Error:
        pass
    return peak


async def _serve_to_first_answer(plan: Plan, qabot: Path) -> tuple[float, int]:
    async with BotApiEmulator() as emulator:
        config = _serve_config(plan, emulator.base_url)
        emulator.user_sends_text(QUESTION, chat_id=5001, user_id=5001)
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            str(qabot),
            "serve",
            "--config",
            str(config),
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env={**_env(), "TELEGRAM_BOT_TOKEN": emulator.token},
        )
        answered = False
        watcher = asyncio.create_task(asyncio.to_thread(_watch, process.pid, lambda: answered))
        try:
            await emulator.wait_for_message(5001, timeout=120)
            elapsed = time.perf_counter() - started
        finally:
            answered = True
            process.terminate()
            await process.wait()
        return elapsed, await watcher


def _serve_config(plan: Plan, base_url: str) -> Path:
    """config.yaml with the benchmark's index, a scratch feedback DB and the emulator's URL."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["index"]["dir"] = str(plan.squad_index.resolve())
    raw["index"]["default_corpus"] = str((ROOT / "corpus").resolve())
    raw["embedding"]["cache_dir"] = str((ROOT / "data" / "models").resolve())
    raw["telegram"]["base_url"] = base_url
    raw["telegram"]["state_db"] = str((plan.work_dir / "serve-feedback.sqlite").resolve())
    path = plan.work_dir / "serve-config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1"}
