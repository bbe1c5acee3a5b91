"""The stack's supervisor restarts a dead child with backoff and says so, instead of stopping everything."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from stack.supervisor import Supervisor
from stack.temporal import DEV_SERVER_GO_RUNTIME, dev_server_environment

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(120)"]
CRASHER = [sys.executable, "-c", "import sys; sys.exit(3)"]


def _until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_killed_child_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(tmp_path / "logs", cwd=tmp_path, say=said.append, initial_backoff=0.2)
    try:
        worker = supervisor.start("worker", SLEEPER)
        api = supervisor.start("api", SLEEPER)
        log = tmp_path / "logs" / "worker.log"
        _until(lambda: log.read_text().count("up") == 1)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        supervisor.check()
        assert said == [
            f"worker exited with code -9 after {said[0].split(' after ')[1].split(' s ')[0]} s "
            f"(log: {tmp_path / 'logs' / 'worker.log'}); restarting it in 0.2 s"
        ]
        assert supervisor.children["worker"].process is worker  # not before the backoff has passed
        _until(lambda: (supervisor.check(), supervisor.children["worker"].process is not worker)[1])
        restarted = supervisor.children["worker"].process
        assert restarted is not None and restarted.poll() is None
        assert said[1] == f"worker restarted (attempt 1, pid {restarted.pid})"
        assert api.poll() is None and supervisor.children["api"].restarts == 0
        _until(lambda: log.read_text().count("up") == 2)  # the same log file, appended
    finally:
        supervisor.stop()
    assert restarted.poll() is not None and api.poll() is not None


def test_a_child_that_keeps_dying_is_retried_with_doubling_backoff_up_to_the_cap(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(tmp_path / "logs", cwd=tmp_path, say=said.append, initial_backoff=0.1, max_backoff=0.4)
    try:
        supervisor.start("temporal", CRASHER)
        _until(lambda: (supervisor.check(), supervisor.children["temporal"].restarts >= 4)[1])
    finally:
        supervisor.stop()
    waits = [line.rsplit(" in ", 1)[1] for line in said if "exited with code 3" in line]
    assert waits[:4] == ["0.1 s", "0.2 s", "0.4 s", "0.4 s"]
    assert supervisor.children == {}  # stop() forgets them: nothing is restarted after Ctrl-C


def test_backoff_resets_once_a_child_has_stayed_up(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(tmp_path / "logs", cwd=tmp_path, say=said.append, initial_backoff=0.1, stable_after=0.3)
    try:
        first = supervisor.start("api", SLEEPER)
        supervisor.children["api"].backoff = 8.0  # as after several quick crashes
        time.sleep(0.4)
        first.kill()
        first.wait()
        supervisor.check()
    finally:
        supervisor.stop()
    assert said[0].endswith("restarting it in 0.1 s")


def test_the_dev_server_gets_its_go_runtime_unless_the_environment_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.setenv("GOMEMLIMIT", "2GiB")
    dev_server_environment()
    assert os.environ["GOGC"] == DEV_SERVER_GO_RUNTIME["GOGC"]
    assert os.environ["GOMEMLIMIT"] == "2GiB"  # an operator's own choice stays
