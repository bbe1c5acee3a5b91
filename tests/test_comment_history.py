"""Comments keep a clearance's history linear: the comment Update answers with the new comment only, other task
Updates answer without the comments, and a task takes at most 100 comments of at most 2000 characters. The read
model and the API still show every comment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from domain.clearance import (
    MAX_COMMENTS_PER_TASK,
    Actor,
    CommentTask,
    Rejection,
    TaskKind,
)
from tests.conftest import Stack
from tests.test_e2e_task_actions import approval_task
from workflows.tasks import TaskBook

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SUPERVISOR = Actor(id="sup", name="Sup", agency="DEMO-CUSTOMS", roles=["supervisor"])
TEXT = "The broker sent the end-user statement; the signature does not match the one on file. " * 17  # ~1.5 kB


async def history_bytes(stack: Stack, workflow_id: str) -> int:
    history = await stack.client.get_workflow_handle(workflow_id).fetch_history()
    return sum(event.ByteSize() for event in history.events)


@pytest.mark.e2e
async def test_sixty_comments_keep_the_history_small_and_linear(stack: Stack) -> None:
    mrn, tid = await approval_task(stack)
    supervisor = stack.auth("supervisor")
    [task] = (await stack.http.get(f"/v1/tasks?mrn={mrn}", headers=supervisor)).json()["items"]
    workflow_id = (await stack.http.get(f"/v1/tasks/{tid}", headers=supervisor)).json()["workflow_id"]
    sizes = [await history_bytes(stack, workflow_id)]
    for n in range(1, 61):
        answer = await stack.http.post(f"/v1/tasks/{tid}/comments", json={"text": f"{n}: {TEXT}"}, headers=supervisor)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["comments"]) == n and answer.json()["comments"][-1]["text"].startswith(f"{n}: ")
        if n % 30 == 0:
            sizes.append(await history_bytes(stack, workflow_id))
    first, second = sizes[1] - sizes[0], sizes[2] - sizes[1]
    assert sizes[2] < 400_000, sizes
    assert second < 1.3 * first, sizes  # each comment adds about the same: no answer carries the earlier ones
    claimed = await stack.http.post(f"/v1/tasks/{tid}/claim", headers=supervisor)
    assert claimed.status_code == 200 and len(claimed.json()["comments"]) == 60
    assert await history_bytes(stack, workflow_id) - sizes[2] < 20_000  # the claim's answer leaves the comments out
    shown = (await stack.http.get(f"/v1/tasks/{tid}", headers=supervisor)).json()
    assert [c["text"].split(":")[0] for c in shown["comments"]] == [str(n) for n in range(1, 61)]
    assert task["id"] == tid


@pytest.mark.e2e
async def test_a_comment_longer_than_2000_characters_is_refused(stack: Stack) -> None:
    _, tid = await approval_task(stack)
    refused = await stack.http.post(
        f"/v1/tasks/{tid}/comments", json={"text": "x" * 2001}, headers=stack.auth("supervisor")
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "text"]
    shown = (await stack.http.get(f"/v1/tasks/{tid}", headers=stack.auth("supervisor"))).json()
    assert shown["comments"] == []


def test_a_task_takes_at_most_100_comments() -> None:
    book = TaskBook(mrn="26DE0000000000000", workflow_id="w", agency="DEMO-CUSTOMS", four_eyes=[])
    task = book.open(
        number=1,
        kind=TaskKind.approval,
        role="supervisor",
        title="Approve",
        now=NOW,
        due=timedelta(hours=4),
        subject={},
    )
    for n in range(MAX_COMMENTS_PER_TASK):
        book.comment(CommentTask(task_id=task.id, actor=SUPERVISOR, text=f"comment {n}"), NOW)
    with pytest.raises(ApplicationError) as refused:
        book.validate_comment(CommentTask(task_id=task.id, actor=SUPERVISOR, text="one more"))
    assert refused.value.type == Rejection.conflict.value and "100 comments" in refused.value.message
    assert len(task.comments) == MAX_COMMENTS_PER_TASK
    with pytest.raises(ApplicationError) as too_long:
        book.validate_comment(CommentTask(task_id=task.id, actor=SUPERVISOR, text="x" * 2001))
    assert too_long.value.type == Rejection.invalid.value
