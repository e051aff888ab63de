"""Killing a child process at an exact moment of its work, without timing.

The child (a `python -c` script) wraps the steps to stop at with `Pauses`: at the chosen
moment it prints `paused <moment>` and waits on stdin, which the parent never writes to,
until the parent's SIGKILL. Nothing depends on how fast the child runs.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tests.support.fake_embedder import FakeEmbedder

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Pauses:
    """Used in the child: stop at `moment` (a name given to one of the wrapped steps)."""

    def __init__(self, moment: str) -> None:
        self.moment = moment

    def here(self, name: str) -> None:
        if name == self.moment:
            print("paused", name, flush=True)
            sys.stdin.read()  # until killed

    def after(self, owner: Any, attribute: str, name: str) -> None:
        step: Callable[..., Any] = getattr(owner, attribute)

        def paused_after(*args: Any, **kwargs: Any) -> Any:
            result = step(*args, **kwargs)
            self.here(name)
            return result

        setattr(owner, attribute, paused_after)

    def before(self, owner: Any, attribute: str, name: str) -> None:
        step: Callable[..., Any] = getattr(owner, attribute)

        def paused_before(*args: Any, **kwargs: Any) -> Any:
            self.here(name)
            return step(*args, **kwargs)

        setattr(owner, attribute, paused_before)


class PausingEmbedder(FakeEmbedder):
    """Used in the child: the fake embedder, stopping at "while embedding"."""

    def __init__(self, pauses: Pauses) -> None:
        self._pauses = pauses

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self._pauses.here("while embedding")
        return super().encode(texts)


def kill_at(
    script: str, arguments: list[str], moment: str, env: Mapping[str, str] | None = None
) -> None:
    """Run `script` with `arguments` (the moment last) and SIGKILL it once it has paused
    at `moment`; fails when it never does."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *arguments, moment],
        cwd=PROJECT_ROOT,  # where `tests` is importable from
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(env) if env is not None else None,
    )
    assert child.stdout is not None
    watchdog = threading.Timer(120, child.kill)  # a hung child fails the test, not the run
    watchdog.start()
    said: list[str] = []
    try:
        for line in child.stdout:
            said.append(line)
            if line.strip() == f"paused {moment}":
                child.send_signal(signal.SIGKILL)
                break
        child.wait(timeout=120)
    finally:
        watchdog.cancel()
        if child.poll() is None:
            child.kill()
            child.wait()
        assert child.stdin is not None
        child.stdin.close()
    assert child.returncode == -signal.SIGKILL, f"never paused {moment!r}; it said {said}"
