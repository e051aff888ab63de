"""Several `qabot serve` workers behind nginx on one PostgreSQL, asked by many people while
one worker is killed, the database restarts and every worker is restarted in turn.

The scenario of tests/bot/test_scale.py (which asserts on it) and benchmarks/workers.py
(which reports it): real processes and servers throughout. The workers run in webhook mode
with `state.backend: postgres` and FAISS each; nginx (tests/support/nginx.py) balances them
with passive health checks; Telegram's side is the Bot API emulator for what the bot sends
and tests/support/telegram_delivery.py for the webhook POSTs, redelivered until taken.

Timeline (seconds from the first question; `Plan`): questions go out at `per_second`, but
`burst` of them at once at `burst_at` (more than the bot may send in a second, so every
worker holds updates accepted and not yet answered); at `kill_at` one worker is SIGKILLed
(what it had accepted is in the inbox, taken over when its lease runs out), restarted at
`restart_at`; at `outage_at` PostgreSQL stops for `outage_seconds`; at `rolling_at` the
workers are restarted one after another with SIGTERM. When all that is over, an admin sends
an article to worker A and workers B and C are asked about it until they answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

from tests.support.emulator import BotApiEmulator
from tests.support.nginx import nginx_in_front
from tests.support.telegram_delivery import SECRET_HEADER, WebhookDelivery

ROOT = Path(__file__).resolve().parents[2]
SECRET = "scale-Secret_26"
ADMIN_ID = 4242
FIRST_PERSON = 200_000
FIRST_PROBE = 300_000
READY_TIMEOUT = 120.0
MB = 1024 * 1024
ERROR_TEXT = "Sorry, something went wrong on my side"
SLOW_POST = 1.0  # seconds: a webhook request slower than this holds one of Telegram's
# connections (40 at most) and, past 10 s here, counts as a failed delivery

# title, text, question, the fact its answer states: one fact per article, none shared
ARTICLES: dict[str, tuple[str, str, str, str]] = {
    "moon.txt": (
        "The Moon up close",
        "The Moon orbits the Earth once every 27 days. Its surface is covered with craters "
        "left by ancient impacts. Neil Armstrong first walked on the Moon in July 1969.",
        "How often does the Moon orbit the Earth?",
        "27 days",
    ),
    "bees.txt": (
        "How honeybees talk",
        "Honeybees tell each other where flowers are with a waggle dance. The angle of the "
        "dance shows the direction of the food relative to the sun.",
        "How do honeybees tell each other where flowers are?",
        "waggle dance",
    ),
    "lighthouse.txt": (
        "The old lighthouse",
        "The Point Reyes lighthouse was built in 1870 on a cliff above the Pacific. Keepers "
        "climbed 300 steps every night to light the lamp.",
        "When was the Point Reyes lighthouse built?",
        "1870",
    ),
    "tunnel.txt": (
        "A tunnel under the Vell mountains",
        "The Larkspur railway tunnel under the Vell mountains is 14 kilometres long. Digging "
        "began in 1998 and the first trains ran through it in 2007.",
        "How long is the Larkspur railway tunnel?",
        "14 kilometres",
    ),
    "saffron.txt": (
        "The saffron harvest",
        "Farmers in Krokos pick saffron crocus flowers by hand at dawn every October. It takes "
        "about 150 flowers to make one gram of saffron.",
        "How many saffron flowers make one gram of saffron?",
        "150 flowers",
    ),
    "observatory.txt": (
        "The Orla observatory",
        "The Orla observatory sits at 2,400 metres on Mount Keren. Its main telescope mirror "
        "measures 3.6 metres across.",
        "How wide is the main telescope mirror of the Orla observatory?",
        "3.6 metres",
    ),
    "tidal.txt": (
        "Power from the tides",
        "The tidal power station at Brennick bay produces 240 megawatts from twenty-four "
        "underwater turbines. The turbines turn with the incoming and the outgoing tide.",
        "How much power does the Brennick bay tidal station produce?",
        "240 megawatts",
    ),
    "cheese.txt": (
        "Cheese in the caves",
        "Wheels of tomme cheese age for eight months in the limestone caves of Roquelande. "
        "Cellar workers turn every wheel by hand once a week.",
        "How long does tomme cheese age in the Roquelande caves?",
        "eight months",
    ),
    "marathon.txt": (
        "A record in Duncastle",
        "Runner Elena Vasquez won the Duncastle marathon in 2 hours 21 minutes, a course "
        "record. She trained at altitude for three months before the race.",
        "How fast did Elena Vasquez run the Duncastle marathon?",
        "2 hours 21 minutes",
    ),
    "library.txt": (
        "The busiest library",
        "The Tessaly public library lends about 9,000 books every week. Its reading room "
        "stays open until midnight during exam season.",
        "How many books does the Tessaly public library lend every week?",
        "9,000 books",
    ),
    "penguins.txt": (
        "Counting penguins",
        "Scientists counted 12,400 breeding pairs in the emperor penguin colony at Halley "
        "point this winter. The colony had moved four kilometres inland since the last count.",
        "How many breeding pairs did scientists count in the Halley point penguin colony?",
        "12,400 breeding pairs",
    ),
    "footbridge.txt": (
        "A brighter footbridge",
        "The Corran footbridge was painted bright orange by forty volunteers in May. The new "
        "paint should protect the steel from rust for twenty years.",
        "What colour was the Corran footbridge painted?",
        "bright orange",
    ),
}
NEW_ARTICLE = (
    "glaciers.txt",
    "Melting glaciers\n\nThe Rhone glacier in Switzerland lost a tenth of its ice between 2021 "
    "and 2023. Workers cover parts of it with white blankets every summer to slow the melting.",
)
NEW_QUESTION = ("What do workers cover the Rhone glacier with?", "white blankets")


@dataclass(frozen=True)
class Plan:
    people: int = 30
    questions_each: int = 10  # each about another article: at most len(ARTICLES)
    per_second: float = 10.0
    burst: int = 120  # questions sent at once at burst_at: 4 s of the bot's budget
    burst_at: float = 2.5
    workers: int = 3
    kill_at: float | None = 3.0
    restart_at: float = 5.0
    outage_at: float | None = 10.0
    outage_seconds: float = 5.0
    rolling_at: float | None = 18.0
    lease_seconds: float = 3.0  # telegram.inbox.lease_seconds: how soon a killed worker's
    # updates are taken over (the default, 10 s, would overlap the outage here)
    answer_timeout: float = 90.0  # after the last event, how long the last answers may take


@dataclass(frozen=True)
class Question:
    chat_id: int
    text: str
    fact: str


@dataclass
class Report:
    """What the people got, and what it took."""

    plan: Plan
    questions: int = 0
    answered_once: int = 0
    lost: list[Question] = field(default_factory=list)
    duplicated: list[Question] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # messages stating none of the chat's facts
    apologies: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, question to its answer
    in_doubt: int = 0  # replies a killed worker had started: never sent again
    taken_over: int = 0
    redelivered: int = 0  # updates Telegram POSTed more than once (a non-2xx, or a drop)
    posts: int = 0  # webhook POSTs, redeliveries included
    failed_posts: int = 0  # webhook POSTs that did not get a 2xx
    slow_posts: int = 0  # webhook POSTs that took over SLOW_POST seconds
    slowest_post: float = 0.0
    rss_mb: dict[str, float] = field(default_factory=dict)  # peak per worker
    document_seconds: dict[str, float] = field(default_factory=dict)  # worker -> seconds
    document_added_seconds: float | None = None  # until worker A said "Added"
    exit_codes: list[int] = field(default_factory=list)  # of every SIGTERMed worker
    unready_during_outage: set[str] = field(default_factory=set)  # /healthz said 503
    not_alive_during_outage: int = 0  # /livez answers other than 200
    redeliveries_logged: int = 0  # "delivered again" lines at INFO
    events: list[tuple[float, str]] = field(default_factory=list)
    wall_seconds: float = 0.0
    logs: dict[str, str] = field(default_factory=dict)


def send_times(plan: Plan, count: int) -> list[float]:
    """Seconds from the start at which each question goes out: paced, with one burst."""
    times, clock = [], 0.0
    for number in range(count):
        in_burst = (
            plan.burst_at * plan.per_second
            <= number
            < (plan.burst_at * plan.per_second + plan.burst)
        )
        times.append(max(clock, plan.burst_at) if in_burst else clock)
        if not in_burst:
            clock += 1 / plan.per_second
    return times


def people_questions(plan: Plan) -> list[Question]:
    """Person p asks `questions_each` questions about different articles, in rounds."""
    articles = list(ARTICLES.values())
    assert plan.questions_each <= len(articles)
    questions = []
    for round_ in range(plan.questions_each):
        for person in range(plan.people):
            _, _, text, fact = articles[(person + round_) % len(articles)]
            questions.append(Question(FIRST_PERSON + person, text, fact))
    return questions


# `qabot serve` with the fake embedder (tests/support/fake_worker.py): about delivery, not
# answers' quality, and three real models would take most of two cores and a minute to load
FAKE_MODEL_SERVE = ("-m", "tests.support.fake_worker")


@dataclass(frozen=True)
class WorkerCode:
    """The qabot the workers run: this checkout's, or for a baseline an older one unpacked
    in `root` (benchmarks/workers.py --baseline) and started by `entry`. One from before
    the durable inbox (`before_inbox`) has no telegram.inbox settings and names its
    answer log telegram.feedback_db."""

    root: Path = ROOT
    entry: tuple[str, ...] = FAKE_MODEL_SERVE
    before_inbox: bool = False


@dataclass
class Worker:
    """One `qabot serve` process and where it listens; restarted in place."""

    name: str
    folder: Path
    port: int
    metrics_port: int
    environment: dict[str, str]
    root: Path
    entry: tuple[str, ...]
    process: asyncio.subprocess.Process | None = None
    peak_rss: float = 0.0
    runs: int = 0

    @property
    def log_path(self) -> Path:
        return self.folder / "worker.log"

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def start(self) -> None:
        self.runs += 1
        log = self.log_path.open("ab")
        log.write(f"----- run {self.runs} -----\n".encode())
        log.flush()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.entry,
            str(self.folder / "config.yaml"),
            cwd=self.root,
            env={**os.environ, "HF_HUB_OFFLINE": "1", **self.environment},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    async def ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Until /healthz says ready (engine open, database reachable, Telegram answered)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                assert self.process is not None and self.process.returncode is None, (
                    f"worker {self.name} exited:\n{self.log()[-3000:]}"
                )
                with contextlib.suppress(httpx.TransportError):
                    response = await client.get(f"http://127.0.0.1:{self.metrics_port}/healthz")
                    if response.status_code == 200:
                        return
                assert loop.time() < deadline, f"worker {self.name} never got ready"
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def terminate(self) -> int:
        """SIGTERM, then its exit status."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 60)

    def sample_rss(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(psutil.Error):
            rss = psutil.Process(self.process.pid).memory_info().rss / MB
            self.peak_rss = max(self.peak_rss, rss)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, text, _, _) in ARTICLES.items():
        (folder / name).write_text(f"{title}\n\n{text}\n", encoding="utf-8")
    return folder


def write_worker_config(
    worker: Worker, emulator: BotApiEmulator, corpus: Path, plan: Plan, code: WorkerCode
) -> None:
    settings: dict[str, Any] = {
        "index": {"dir": str(worker.folder / "index"), "default_corpus": str(corpus)},
        "telegram": {
            "base_url": emulator.base_url,
            "state_db": str(worker.folder / "state.sqlite"),
            "mode": "webhook",
            "webhook": {
                "listen": "127.0.0.1",
                "port": worker.port,
                "url": "https://qabot.example.test/telegram",
            },
            "admin_user_ids": [ADMIN_ID],
            "inbox": {"lease_seconds": plan.lease_seconds},
        },
        "metrics": {"listen": "127.0.0.1", "port": worker.metrics_port},
        "state": {"backend": "postgres"},
    }
    settings["answer"] = {"reader": False}  # the span reader is a model too
    if code.before_inbox:
        telegram = settings["telegram"]
        del telegram["inbox"]
        telegram["feedback_db"] = telegram.pop("state_db")
    (worker.folder / "config.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")


@contextlib.contextmanager
def reserved_ports(count: int) -> Iterator[list[int]]:
    """Ports held for the whole scenario (see tests/support/bot_harness.reserved_port):
    a restarted worker binds its own port again."""
    from tests.support.bot_harness import reserved_port

    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(reserved_port()) for _ in range(count)]


class Scenario:
    def __init__(
        self,
        plan: Plan,
        folder: Path,
        database_url: str,
        restart_database: Callable[[str], None],
        code: WorkerCode = WorkerCode(),
    ) -> None:
        self.plan = plan
        self.code = code
        self.folder = folder
        self.database_url = database_url
        self._cluster = restart_database  # "stop" | "start"
        self.report = Report(plan)
        self._started = 0.0
        # The events happen in the plan's order whatever the machine's load: a worker that
        # starts while the database is out exits at once (qabot serve's clear refusal), so
        # the outage waits for the killed worker to be back, and the rolling restart for
        # the database to be back.
        self._victim_back = asyncio.Event()
        self._database_back = asyncio.Event()
        self.workers: list[Worker] = []

    def event(self, what: str) -> None:
        self.report.events.append((round(time.monotonic() - self._started, 2), what))

    async def run(self) -> Report:
        plan = self.plan
        with reserved_ports(2 * plan.workers + 1) as ports:
            async with BotApiEmulator() as emulator:
                corpus = write_corpus(self.folder / "corpus")
                environment = {
                    "TELEGRAM_BOT_TOKEN": emulator.token,
                    "TELEGRAM_WEBHOOK_SECRET": SECRET,
                    "QABOT_DATABASE_URL": self.database_url,
                }
                for number in range(plan.workers):
                    name = "ABCDEFGHIJ"[number]
                    folder = self.folder / f"worker-{name}"
                    folder.mkdir(parents=True)
                    worker = Worker(
                        name,
                        folder,
                        ports[2 * number],
                        ports[2 * number + 1],
                        environment,
                        self.code.root,
                        self.code.entry,
                    )
                    write_worker_config(worker, emulator, corpus, plan, self.code)
                    self.workers.append(worker)
                try:
                    await self._run(emulator, ports[-1])
                finally:
                    for worker in self.workers:
                        if worker.process is not None and worker.process.returncode is None:
                            worker.process.kill()
                            await worker.process.wait()
                        self.report.logs[worker.name] = worker.log()
        return self.report

    async def _run(self, emulator: BotApiEmulator, nginx_port: int) -> None:
        plan = self.plan
        await asyncio.gather(*(worker.start() for worker in self.workers))
        await asyncio.gather(*(worker.ready() for worker in self.workers))
        upstreams = [worker.port for worker in self.workers]
        async with (
            nginx_in_front(self.folder / "nginx", nginx_port, upstreams) as balancer,
            self._sampling_memory(),
        ):
            telegram = WebhookDelivery(f"{balancer}/telegram", SECRET)
            try:
                self._started = time.monotonic()
                questions = people_questions(plan)
                sent: dict[int, Question] = {}
                payloads: list[dict[str, Any]] = []
                events = asyncio.gather(self._kill_and_restart(), self._outage(), self._rolling())
                for question, at in zip(questions, send_times(plan, len(questions)), strict=True):
                    await self._at(at)
                    emulator.user_sends_text(
                        question.text, chat_id=question.chat_id, user_id=question.chat_id
                    )
                    update = emulator.take_update()
                    sent[int(update["update_id"])] = question
                    payloads.append(update)
                    telegram.send(update)
                self.event(f"all {len(questions)} questions sent")
                await events
                await self._until_answered(emulator, questions, plan.answer_timeout)
                self.event("answers settled")
                await telegram.drained(timeout=30)
                await self._deliver_again(payloads[0])
                await self._document_through_one_worker(emulator)
                self.report.wall_seconds = time.monotonic() - self._started
                self._tally(emulator, questions, sent, telegram)
            finally:
                await telegram.close()
            for worker in self.workers:
                self.report.exit_codes.append(await worker.terminate())
        self.report.rss_mb = {worker.name: round(worker.peak_rss, 1) for worker in self.workers}

    # --- what happens meanwhile -----------------------------------------------------------
    async def _at(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, self._started + seconds - time.monotonic()))

    async def _kill_and_restart(self) -> None:
        if self.plan.kill_at is None:
            self._victim_back.set()
            return
        victim = self.workers[0]
        await self._at(self.plan.kill_at)
        await victim.kill()
        self.event(f"worker {victim.name} SIGKILLed")
        await self._at(self.plan.restart_at)
        await victim.start()
        await victim.ready()
        self.event(f"worker {victim.name} back")
        self._victim_back.set()

    async def _outage(self) -> None:
        if self.plan.outage_at is None:
            self._database_back.set()
            return
        await self._at(self.plan.outage_at)
        await self._victim_back.wait()
        await asyncio.to_thread(self._cluster, "stop")
        self.event("PostgreSQL stopped")
        await self._watch_health(self.plan.outage_seconds)
        await asyncio.to_thread(self._cluster, "start")
        self.event("PostgreSQL started")
        self._database_back.set()

    async def _rolling(self) -> None:
        if self.plan.rolling_at is None:
            return
        await self._at(self.plan.rolling_at)
        await self._database_back.wait()
        for worker in self.workers:
            await worker.ready()  # one at a time: the others carry the load
            self.report.exit_codes.append(await worker.terminate())
            self.event(f"worker {worker.name} stopped (SIGTERM)")
            await worker.start()
            await worker.ready()
            self.event(f"worker {worker.name} restarted")

    async def _watch_health(self, seconds: float) -> None:
        """What a balancer asking each worker sees meanwhile: /healthz (readiness) should
        say 503 once a worker noticed, /livez (liveness) 200 throughout."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        async with httpx.AsyncClient(timeout=1) as client:
            while loop.time() < until:
                for worker in self.workers:
                    base = f"http://127.0.0.1:{worker.metrics_port}"
                    with contextlib.suppress(httpx.TransportError):  # restarting
                        ready = await client.get(f"{base}/healthz")
                        alive = await client.get(f"{base}/livez")
                        if ready.status_code == 503:
                            self.report.unready_during_outage.add(worker.name)
                        if alive.status_code != 200:
                            self.report.not_alive_during_outage += 1
                await asyncio.sleep(0.2)

    async def _deliver_again(self, update: dict[str, Any]) -> None:
        """An update answered long ago POSTed again to every worker (Telegram lost our
        200): it is answered no second time (the tally counts), and logged at INFO."""
        async with httpx.AsyncClient(timeout=10) as client:
            for worker in self.workers:
                response = await client.post(
                    worker.webhook, json=update, headers={SECRET_HEADER: SECRET}
                )
                assert response.status_code == 200, response.text
        await asyncio.sleep(1.5)  # a second answer would be out by now

    @contextlib.asynccontextmanager
    async def _sampling_memory(self) -> AsyncIterator[None]:
        async def sample() -> None:
            while True:
                for worker in self.workers:
                    worker.sample_rss()
                await asyncio.sleep(0.5)

        task = asyncio.create_task(sample())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _until_answered(
        self, emulator: BotApiEmulator, questions: list[Question], timeout: float
    ) -> None:
        """Until every question's fact reached its chat, but those whose reply a killed
        worker had begun (logged "not sent again": they will not come), or `timeout`."""
        in_doubt = (0.0, 0)  # when the logs were last read, what they said

        def settled() -> bool:
            nonlocal in_doubt
            missing = sum(not _answers(emulator, q) for q in questions)
            if missing == 0:
                return True
            if time.monotonic() - in_doubt[0] > 1.0:  # the logs are read once a second
                logs = "\n".join(worker.log() for worker in self.workers)
                in_doubt = (time.monotonic(), logs.count("not sent again"))
            return missing <= in_doubt[1]

        with contextlib.suppress(AssertionError):
            await emulator.wait_until(settled, "every answer", timeout=timeout)
        await asyncio.sleep(2.0)  # a duplicate would come about now: give it the chance

    # --- a document added through one worker ---------------------------------------------
    async def _document_through_one_worker(self, emulator: BotApiEmulator) -> None:
        """An admin sends an article to worker A; B, C, ... are asked until they know it."""
        first, *others = self.workers
        filename, text = NEW_ARTICLE
        emulator.user_sends_document(filename, text.encode(), chat_id=ADMIN_ID, user_id=ADMIN_ID)
        update = emulator.take_update()
        sent = time.monotonic()
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                first.webhook, json=update, headers={SECRET_HEADER: SECRET}
            )
            assert response.status_code == 200, response.text
            await emulator.wait_for_message(
                ADMIN_ID, timeout=60, predicate=lambda m: "Added" in str(m.get("text", ""))
            )
            self.report.document_added_seconds = round(time.monotonic() - sent, 2)
            probes = iter(range(FIRST_PROBE, FIRST_PROBE + 100_000))
            results = await asyncio.gather(
                *(
                    self._ask_until_known(client, emulator, worker, probes, sent)
                    for worker in others
                )
            )
        self.report.document_seconds = dict(zip([w.name for w in others], results, strict=True))
        self.event("the new article answered by every worker")

    async def _ask_until_known(
        self,
        client: httpx.AsyncClient,
        emulator: BotApiEmulator,
        worker: Worker,
        probes: Iterator[int],
        since: float,
    ) -> float:
        question, fact = NEW_QUESTION
        deadline = since + 60
        while True:
            chat = next(probes)  # a new person each time: the rate limit counts people
            emulator.user_sends_text(question, chat_id=chat, user_id=chat)
            update = emulator.take_update()
            response = await client.post(
                worker.webhook, json=update, headers={SECRET_HEADER: SECRET}
            )
            assert response.status_code == 200, response.text
            reply = await emulator.wait_for_message(chat, timeout=30)
            if fact in str(reply.get("text", "")):
                return round(time.monotonic() - since, 2)
            assert time.monotonic() < deadline, f"worker {worker.name} never knew the article"
            await asyncio.sleep(0.1)

    # --- what the people got --------------------------------------------------------------
    def _tally(
        self,
        emulator: BotApiEmulator,
        questions: list[Question],
        sent: dict[int, Question],
        telegram: WebhookDelivery,
    ) -> None:
        report = self.report
        report.questions = len(questions)
        asked: dict[Question, float] = {
            question: telegram.deliveries[update_id].queued for update_id, question in sent.items()
        }
        facts_of: dict[int, set[str]] = {}
        for question in questions:
            facts_of.setdefault(question.chat_id, set()).add(question.fact)
        for question in questions:
            times = _answers(emulator, question)
            if not times:
                report.lost.append(question)
                continue
            if len(times) > 1:
                report.duplicated.append(question)
            else:
                report.answered_once += 1
            report.latencies.append(times[0] - asked[question])
        for chat, facts in facts_of.items():
            for message in emulator.sent_messages(chat):
                text = str(message.get("text", ""))
                if ERROR_TEXT in text:
                    report.apologies += 1
                elif sum(fact in text for fact in facts) != 1:
                    report.wrong.append(text[:200])
        logs = "\n".join(worker.log() for worker in self.workers)
        report.in_doubt = len(re.findall(r"not sent again", logs))
        report.taken_over = len(re.findall(r"taken over from", logs))
        report.redeliveries_logged = len(re.findall(r"INFO .* was delivered again", logs))
        report.redelivered = sum(len(d.attempts) > 1 for d in telegram.deliveries.values())
        attempts = telegram.attempts()
        report.posts = len(attempts)
        report.failed_posts = telegram.failed_attempts
        report.slow_posts = sum(attempt.seconds > SLOW_POST for attempt in attempts)
        report.slowest_post = max((attempt.seconds for attempt in attempts), default=0.0)


def _answers(emulator: BotApiEmulator, question: Question) -> list[float]:
    """When each message stating the question's fact reached its chat."""
    return [
        call.time
        for call in emulator.calls
        if call.method == "sendMessage"
        and call.ok
        and call.params.get("chat_id") in (question.chat_id, str(question.chat_id))
        and question.fact in str(call.params.get("text", ""))
    ]


def summary(report: Report) -> dict[str, Any]:
    """The figures docs/scaling.md shows."""
    latencies = sorted(report.latencies)

    def pct(p: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 2)

    return {
        "questions": report.questions,
        "answered_once": report.answered_once,
        "lost": len(report.lost),
        "duplicated": len(report.duplicated),
        "wrong": len(report.wrong),
        "apologies": report.apologies,
        "p50_s": pct(50),
        "p95_s": pct(95),
        "max_s": round(latencies[-1], 2) if latencies else None,
        "in_doubt": report.in_doubt,
        "taken_over": report.taken_over,
        "redelivered_updates": report.redelivered,
        "webhook_posts": report.posts,
        "failed_posts": report.failed_posts,
        f"posts_over_{SLOW_POST:g}s": report.slow_posts,
        "slowest_post_s": round(report.slowest_post, 2),
        "rss_mb": report.rss_mb,
        "document_added_s": report.document_added_seconds,
        "document_answered_s": report.document_seconds,
        "exit_codes": Counter(report.exit_codes),
        "unready_during_outage": sorted(report.unready_during_outage),
        "redeliveries_logged": report.redeliveries_logged,
        "wall_s": round(report.wall_seconds, 1),
        "events": report.events,
    }
