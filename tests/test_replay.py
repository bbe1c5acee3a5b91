"""Recorded histories (tests/histories/) must replay against the current workflow code: an interpreter change
that would alter what a running clearance does must be guarded with `workflow.patched()`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.support import TEST_CONVERTER
from worker import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_recorded() -> None:
    assert len(HISTORIES) >= 4, "record them with `make histories`"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays(path: Path) -> None:
    recorded = json.loads(path.read_text())
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    # The project's converter with the codec: these histories were recorded in plain text, and the codec passes
    # payloads without its encoding through (a clearance started before encryption keeps replaying).
    replayer = Replayer(
        workflows=list(WORKFLOWS), data_converter=TEST_CONVERTER, workflow_runner=workflow_runner(strict=True)
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"
