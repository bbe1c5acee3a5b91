"""The README's "A clearance in six steps", extracted from README.md and run with bash, as written, against a
live stack (`python -m stack.cli run`: Temporal dev server, worker, API) on free ports in a temporary directory."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support import ROOT, free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (shutil.which("jq") and shutil.which("curl")), reason="the walkthrough uses curl and jq"),
]


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### A clearance in six steps") :]
    found = re.search(r"```bash\n(.*?)```", section, re.S)
    assert found, "the walkthrough has no bash block"
    return found.group(1)


def wait_ready(url: str, tokens: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200 and tokens.exists():
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the stack did not become ready at {url}")


def test_the_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    api_port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / ".data"),
        "API_PORT": str(api_port),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "TEMPORAL_UI_PORT": str(free_port()),
    }
    env.pop("DATABASE_URL", None)  # the stack's own SQLite file under DATA_DIR
    log = (tmp_path / "run.log").open("w")
    stack = subprocess.Popen(
        [sys.executable, "-m", "stack.cli", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_ready(
            f"http://127.0.0.1:{api_port}/readyz", tmp_path / ".data" / "demo-tokens.json", time.monotonic() + 120
        )
        shell = {**os.environ, "API_PORT": str(api_port)}
        done = subprocess.run(
            ["bash", "-c", walkthrough()], cwd=tmp_path, env=shell, capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        assert lines[0]["status"] in ("accepted", "completed") and lines[0]["mrn"]
        completions = [line for line in lines if line.get("state") == "completed"]
        assert [c["outcome"] for c in completions] == ["compliant", "compliant", "approve"]
        outcome = next(line for line in lines if "lane" in line)
        assert outcome == {"status": "completed", "stage": "outcome", "lane": "red", "outcome": "released"}
        standing = next(line for line in lines if "agencies" in line)
        assert standing == {
            "agencies": [
                {"agency": "DEMO-CUSTOMS", "status": "may_proceed"},
                {"agency": "DEMO-EXPORT-CONTROL", "status": "may_proceed"},
            ]
        }
        exchange = next(line for line in lines if "exchange" in line)["exchange"]
        kinds = {(m["direction"], m["kind"]) for m in exchange}
        assert {("out", "export_notification"), ("in", "acknowledgement"), ("in", "control_result")} <= kinds
        [notification] = [m for m in exchange if m["kind"] == "export_notification"]
        assert notification["status"] == "acknowledged"
        assert "Release for export" in done.stdout
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait()
        log.close()
