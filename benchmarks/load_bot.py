"""Load and soak test of the bot as deployed: a `qabot serve` process polling the Bot API
emulator on 127.0.0.1, asked by many simulated people at once.

    python -m benchmarks.load_bot                 # 200 people for 60 s
    python -m benchmarks.load_bot --soak 600      # 10 minutes, memory sampled every 10 s

Each person asks a question about the shipped article, waits for the answer, then asks the
next (never faster than the bot's per-person limit allows). Reported: answered/sent (must be
100 %, with no message sent twice), whether the answer states the expected fact, latency
from the question being queued to the bot's message reaching the emulator (p50/p95/p99),
and the bot process's resident memory: its peak, and in soak mode a sample every 10 s with
the growth after the warm-up (bound: SOAK_GROWTH_BOUND_MB).

Telegram's own flood limit (about 30 messages/s per bot) is enforced by the bot's
AIORateLimiter and stays on: this measures the bot as it runs against real Telegram, so
throughput is capped near 30 answers/s and, with 200 people waiting, latency is mostly
queueing for that limit. The in-process capacity without Telegram's limit is in
benchmarks/endtoend.py and benchmarks/concurrency.py.

Exit status 0 only if every question was answered exactly once, the bot stopped cleanly on
SIGTERM, and (soak) memory stayed within the bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml

from benchmarks.measure import percentiles
from tests.index.test_seed_qa import QUESTIONS, Fact, states
from tests.support.emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 180.0
LOST_AFTER = 300.0  # a question unanswered this long counts as lost
SLOW_MS = 60_000  # answers slower than this are counted apart
LOAD_SAMPLE_SECONDS = 1.0
SOAK_SAMPLE_SECONDS = 10.0
SOAK_WARM_UP_SECONDS = 60.0
SOAK_GROWTH_BOUND_MB = 50.0
POLL_SECONDS = 0.005  # how often the emulator's call log is read
FIRST_PERSON = 100_000
MB = 1024 * 1024


@dataclass(frozen=True)
class Reply:
    arrived: float  # time.monotonic() when the sendMessage reached the emulator
    text: str
    is_answer: bool  # answers carry buttons (More, 👍/👎); refusals and errors do not


@dataclass
class Tally:
    sent: int = 0
    answered: int = 0
    states_fact: int = 0
    missed_fact: Counter[str] = field(default_factory=Counter)  # by question
    other_replies: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    unexpected_messages: int = 0  # a second message for one question
    latencies_ms: list[float] = field(default_factory=list)


class Replies:
    """Reads the emulator's call log as it grows and hands each bot message to the person
    waiting in that chat (one pass over the log in all, however many people wait)."""

    def __init__(self, emulator: BotApiEmulator, tally: Tally) -> None:
        self._emulator = emulator
        self._tally = tally
        self._read = len(emulator.calls)  # what came before (the warm-up) is not ours
        self._waiting: dict[int, asyncio.Future[Reply]] = {}

    def expect(self, chat_id: int) -> asyncio.Future[Reply]:
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future

    def forget(self, chat_id: int) -> None:
        self._waiting.pop(chat_id, None)

    async def run(self) -> None:
        while True:
            calls = self._emulator.calls
            for call in calls[self._read :]:
                if call.method == "sendMessage" and call.ok:
                    self._deliver(int(call.params["chat_id"]), call.time, call.params)
            self._read = len(calls)
            await asyncio.sleep(POLL_SECONDS)

    def _deliver(self, chat_id: int, arrived: float, params: dict[str, Any]) -> None:
        future = self._waiting.pop(chat_id, None)
        if future is None or future.done():
            self._tally.unexpected_messages += 1
            return
        future.set_result(Reply(arrived, str(params["text"]), "reply_markup" in params))


@dataclass
class LoopLag:
    """How late this process's own event loop wakes up: a stalled driver (emulator) would
    show here, not as the bot being slow."""

    worst_ms: float = 0.0

    async def run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.1)
            late = (time.monotonic() - before - 0.1) * 1000
            self.worst_ms = max(self.worst_ms, late)


@dataclass
class MemorySamples:
    """The bot process's resident memory over time: (seconds since start, MB)."""

    pid: int
    every: float
    samples: list[tuple[float, float]] = field(default_factory=list)

    async def run(self, started: float) -> None:
        process = psutil.Process(self.pid)
        while True:
            rss = process.memory_info().rss / MB
            self.samples.append((round(time.monotonic() - started, 1), round(rss, 1)))
            await asyncio.sleep(self.every)

    def peak_mb(self) -> float:
        """The kernel's high-water mark when readable (Linux), else the largest sample."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return max(rss for _, rss in self.samples)
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def growth_after(self, warm_up: float) -> dict[str, float]:
        settled = [rss for at, rss in self.samples if at >= warm_up]
        if len(settled) < 2:
            return {}
        return {
            "after_warm_up_mb": settled[0],
            "final_mb": settled[-1],
            "max_after_warm_up_mb": max(settled),
            "growth_mb": round(max(settled) - settled[0], 1),
        }


async def person(
    emulator: BotApiEmulator,
    replies: Replies,
    tally: Tally,
    user: int,
    questions: Sequence[tuple[str, Fact]],
    deadline: float,
    min_interval: float,
) -> None:
    """Ask, wait for the answer, ask the next; never faster than the per-person limit."""
    turn = user  # people start at different questions
    next_allowed = 0.0
    while time.monotonic() < deadline:
        await asyncio.sleep(max(0.0, next_allowed - time.monotonic()))
        question, fact = questions[turn % len(questions)]
        turn += 1
        waiting = replies.expect(user)
        queued = time.monotonic()
        next_allowed = queued + min_interval
        emulator.user_sends_text(question, chat_id=user, user_id=user)
        tally.sent += 1
        try:
            reply = await asyncio.wait_for(waiting, LOST_AFTER)
        except TimeoutError:
            replies.forget(user)
            tally.lost += 1
            continue
        if not reply.is_answer:
            tally.other_replies[reply.text[:60]] += 1
            continue
        tally.answered += 1
        tally.latencies_ms.append((reply.arrived - queued) * 1000)
        if states(reply.text, fact):
            tally.states_fact += 1
        else:
            tally.missed_fact[question] += 1


def write_config(work: Path, emulator: BotApiEmulator) -> Path:
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["index"]["dir"] = str(work / "index")
    raw["index"]["default_corpus"] = str(ROOT / "corpus")
    raw["embedding"]["cache_dir"] = str(ROOT / "data" / "models")
    raw["telegram"]["base_url"] = emulator.base_url
    raw["telegram"]["state_db"] = str(work / "feedback.sqlite")
    path = work / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


async def start_bot(
    emulator: BotApiEmulator, config: Path, log: Path
) -> asyncio.subprocess.Process:
    """`qabot serve`, returned once it has answered a first question (model loaded)."""
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "qabot"),
            "serve",
            "--config",
            str(config),
            cwd=ROOT,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "TELEGRAM_BOT_TOKEN": emulator.token, "HF_HUB_OFFLINE": "1"},
        )
    emulator.user_sends_text(QUESTIONS[0][0], chat_id=FIRST_PERSON - 1, user_id=FIRST_PERSON - 1)
    await emulator.wait_for_message(FIRST_PERSON - 1, timeout=STARTUP_TIMEOUT)
    return process


async def stop_bot(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), timeout=60)
    except TimeoutError:
        process.kill()
        await process.wait()
        return -1


async def load(users: int, seconds: float, soak: bool, bot_log: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="qabot-load-") as scratch:
        work = Path(scratch)
        async with BotApiEmulator() as emulator:
            config = write_config(work, emulator)
            process = await start_bot(emulator, config, work / "serve.log")
            per_minute = yaml.safe_load(config.read_text())["telegram"]["rate_limit_per_minute"]
            tally = Tally()
            replies = Replies(emulator, tally)
            memory = MemorySamples(
                process.pid, SOAK_SAMPLE_SECONDS if soak else LOAD_SAMPLE_SECONDS
            )
            started = time.monotonic()
            lag = LoopLag()
            background = [
                asyncio.create_task(replies.run()),
                asyncio.create_task(memory.run(started)),
                asyncio.create_task(lag.run()),
            ]
            people = [
                person(
                    emulator, replies, tally, FIRST_PERSON + number, QUESTIONS,
                    started + seconds, 60.0 / per_minute,
                )
                for number in range(users)
            ]  # fmt: skip
            bot_cpu = psutil.Process(process.pid).cpu_times()
            own_cpu = time.process_time()
            await asyncio.gather(*people)
            elapsed = time.monotonic() - started
            usage = {
                "bot_cpu_cores": _cores(psutil.Process(process.pid).cpu_times(), bot_cpu, elapsed),
                "driver_and_emulator_cpu_cores": round(
                    (time.process_time() - own_cpu) / elapsed, 2
                ),
                "driver_loop_lag_worst_ms": round(lag.worst_ms),
            }
            await asyncio.sleep(1.0)  # a late duplicate would show up now
            peak_mb = memory.peak_mb()
            for task in background:
                task.cancel()
            exit_code = await stop_bot(process)
            log = (work / "serve.log").read_text(errors="replace")
            if bot_log is not None:
                bot_log.write_text(log, encoding="utf-8")
    result = report(tally, users, elapsed, peak_mb, memory, soak, exit_code, log)
    return {**result, **usage}


def _cores(after: Any, before: Any, elapsed: float) -> float:
    """Average CPU cores a process used between two cpu_times() readings."""
    used = (after.user - before.user) + (after.system - before.system)
    return round(used / elapsed, 2)


def problems(log: str) -> Counter[str]:
    """The bot's warnings and errors by kind (their text without numbers)."""
    kinds: Counter[str] = Counter()
    for line in log.splitlines():
        for level in (" WARNING ", " ERROR "):
            _, found, message = line.partition(level)
            if found:
                kinds[level.strip() + " " + re.sub(r"\d+(\.\d+)?", "N", message)[:160]] += 1
    return kinds


def report(
    tally: Tally,
    users: int,
    elapsed: float,
    peak_mb: float,
    memory: MemorySamples,
    soak: bool,
    exit_code: int,
    log: str,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "users": users,
        "seconds": round(elapsed, 1),
        "sent": tally.sent,
        "answered": tally.answered,
        "answered_pct": round(100 * tally.answered / max(tally.sent, 1), 2),
        "states_expected_fact_pct": round(100 * tally.states_fact / max(tally.answered, 1), 1),
        "missed_fact_by_question": dict(tally.missed_fact.most_common(5)),
        "other_replies": dict(tally.other_replies),
        "lost": tally.lost,
        "slower_than_60_s": sum(latency > SLOW_MS for latency in tally.latencies_ms),
        "unexpected_messages": tally.unexpected_messages,
        "answers_per_second": round(tally.answered / elapsed, 1),
        "latency_ms": latency_summary(tally.latencies_ms),
        "peak_rss_mb": round(peak_mb, 1),
        "bot_exit_code": exit_code,
    }
    if soak:
        result["rss_samples"] = memory.samples
        result["memory"] = memory.growth_after(SOAK_WARM_UP_SECONDS)
        result["memory_bound_mb"] = SOAK_GROWTH_BOUND_MB
    result["bot_warnings_and_errors"] = dict(problems(log).most_common(8))
    if exit_code != 0:
        result["bot_log_tail"] = log[-3000:]
    return result


def latency_summary(latencies_ms: list[float]) -> dict[str, int]:
    if not latencies_ms:
        return {}
    summary = {**percentiles(latencies_ms), "max": max(latencies_ms)}
    return {key: round(value) for key, value in summary.items()}


def passed(result: dict[str, Any]) -> bool:
    ok = (
        result["sent"] > 0
        and result["answered"] == result["sent"]
        and result["unexpected_messages"] == 0
        and result["bot_exit_code"] == 0
    )
    if "memory" in result:
        growth = result["memory"].get("growth_mb", float("inf"))
        ok = ok and growth < SOAK_GROWTH_BOUND_MB
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="simulated people (default 200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration (default 60)")
    parser.add_argument(
        "--soak", type=float, metavar="SECONDS", help="soak: run this long, sample RSS every 10 s"
    )
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--bot-log", type=Path, help="keep the bot's log here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    # The bot cancels its "typing…" request when the answer is ready; the emulator then logs
    # a request whose body never came. Harmless here, and noise in the report.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    seconds = args.soak if args.soak else args.seconds
    result = asyncio.run(load(args.users, seconds, args.soak is not None, args.bot_log))
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    ok = passed(result)
    print("PASS" if ok else "FAIL", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
