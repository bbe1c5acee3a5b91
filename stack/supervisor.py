"""Supervision of the embedded stack's processes: a child that dies is started again with exponential backoff
(0.5 s doubling to 30 s, back to 0.5 s once it has stayed up a while), and each restart is reported in one line:
which process, its exit code, its log file, when the next attempt is. Stopping sends SIGTERM in reverse start
order and waits for each child.

Every child keeps running through another's restart: the API answers 503 while Temporal is down, the worker
reconnects (or exits, and is restarted here), and Temporal continues every workflow from its database file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 30.0
STABLE_AFTER = 30.0  # seconds up after which a crash counts as the first again
STOP_TIMEOUT = 30.0


@dataclass
class Child:
    name: str
    command: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = INITIAL_BACKOFF
    restart_at: float | None = None  # set while dead and waiting for the next attempt
    restarts: int = 0
    exit_codes: list[int] = field(default_factory=list)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


class Supervisor:
    def __init__(
        self,
        logs: Path,
        *,
        cwd: Path,
        say: Callable[[str], None] = print,
        initial_backoff: float = INITIAL_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        stable_after: float = STABLE_AFTER,
    ) -> None:
        self.logs, self.cwd, self.say = logs, cwd, say
        self.initial_backoff, self.max_backoff, self.stable_after = initial_backoff, max_backoff, stable_after
        self.children: dict[str, Child] = {}

    def start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        """Start a child (and supervise it from now on)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        child = self.children.get(name) or Child(name, command, self.logs / f"{name}.log", backoff=self.initial_backoff)
        self.children[name] = child
        self._spawn(child)
        assert child.process is not None
        return child.process

    def _spawn(self, child: Child) -> None:
        with child.log.open("ab") as log_file:
            child.process = subprocess.Popen(
                child.command,
                cwd=self.cwd,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops the children in order
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        child.started_at, child.restart_at = time.monotonic(), None

    def check(self) -> None:
        """Notice dead children and restart those whose backoff has passed; call this every few hundred ms."""
        now = time.monotonic()
        for child in self.children.values():
            if child.restart_at is None:
                code = child.process.poll() if child.process else None
                if code is None:
                    continue
                if now - child.started_at >= self.stable_after:
                    child.backoff = self.initial_backoff
                child.exit_codes.append(code)
                child.restart_at = now + child.backoff
                self.say(
                    f"{child.name} exited with code {code} after {now - child.started_at:.1f} s "
                    f"(log: {child.log}); restarting it in {child.backoff:.1f} s"
                )
                child.backoff = min(child.backoff * 2, self.max_backoff)
            elif now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)
                self.say(f"{child.name} restarted (attempt {child.restarts}, pid {child.pid})")

    def stop(self) -> None:
        """SIGTERM each running child, newest first, and wait for it (SIGKILL after STOP_TIMEOUT)."""
        for child in reversed(list(self.children.values())):
            process = child.process
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} did not stop in {STOP_TIMEOUT:.0f} s; killing it")
                process.kill()
                process.wait()
        self.children.clear()

    def tail(self, name: str, lines: int = 20) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""
