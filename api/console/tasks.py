"""The task page. Every action calls the same service function as the JSON API (`api.service.tasks`), so the
workflow's Update validator decides exactly as it does for `POST /v1/tasks/...`; which buttons the page offers is
asked of the same rules (`domain.policy`) the validators ask; a refusal is shown on the page with the
officer's input kept, a success redirects (POST-redirect-GET) with a flash message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.clearances import clearance_context
from api.console.findings import DISCREPANCY_KINDS, FindingsForm
from api.console.formatting import label, parse_instant
from api.console.web import (
    Officer,
    PageError,
    act,
    console_router,
    parse_form,
    render,
)
from api.deps import ServicesDep
from api.errors import ApiError
from api.service import tasks as task_service
from domain import policy
from domain.actions import CommentRequest, CompletionRequest, HandOverRequest
from domain.clearance import TASK_OUTCOMES, Task, TaskKind
from store.models import Principal

router = console_router()
EMPTY_FIELD = {
    "outcome": "Choose an outcome",
    "reason": "Enter a reason",
    "to": "Enter the id of the officer who takes the task",
    "text": "Enter a comment",
}


@dataclass(frozen=True)
class TaskActions:
    """What the page offers this officer for this task: what the policy allows (the workflow's validators ask the
    same rules, and still have the last word, e.g. on four-eyes)."""

    claim: bool
    unclaim: bool
    delegate: bool
    reassign: bool
    complete: bool
    comment: bool

    @classmethod
    def of(cls, task: Task, officer: Principal) -> TaskActions:
        return cls(
            claim=task.assignee is None and policy.may_claim(officer, task) is None,
            unclaim=policy.may_unclaim(officer, task) is None,
            delegate=policy.may_delegate(officer, task) is None,
            reassign=policy.may_reassign(officer, task) is None,
            complete=policy.may_complete(officer, task) is None,
            comment=policy.may_comment(officer, task) is None,
        )


def _reason_codes(task: Mapping[str, Any], outcomes: tuple[str, ...]) -> tuple[list[dict[str, Any]], bool]:
    """The SOP's codes for this task, each with the outcomes it fits; and whether some outcome needs none."""
    codes = [
        {**c, "fits": [o for o in outcomes if not c.get("outcomes") or o in c["outcomes"]]}
        for c in task.get("reason_codes") or []
    ]
    optional = not task.get("reason_code_required", True) or any(
        not any(o in c["fits"] for c in codes) for o in outcomes
    )
    return codes, optional


def _field_id(action: str, loc: list[Any] | None, findings: FindingsForm) -> str | None:
    """The id of the input a refusal names (`loc` as the API reports it: `["body", "findings", "counts", 0, ...]`)."""
    path = list(loc or [])[1:]
    if not path:
        return None
    if action == "complete":
        if path[0] == "findings":
            return findings.field_id(path)
        if path[0] == "confirm_deviation":
            return "confirm-deviation"
        return {"outcome": "outcome", "reason": "reason", "reason_code": "reason-code"}.get(str(path[0]))
    if action in ("delegate", "reassign"):
        return f"{action}-{path[0]}" if path[0] in ("to", "reason") else None
    return "comment-text" if action == "comment" and path[0] == "text" else None


async def _task_page(
    request: Request,
    officer: Principal,
    services: ServicesDep,
    task_id: str,
    *,
    refused: ApiError | None = None,
    form: Mapping[str, Any] | None = None,
    action: str = "",
) -> HTMLResponse:
    found = await task_service.get_task(services=services, principal=officer, task_id=task_id)
    task = found.model_dump(mode="json")
    context: dict[str, Any] = {}
    context_error = None
    try:
        context = await clearance_context(officer, services, task["mrn"])
    except ApiError as exc:
        context_error = PageError.of(exc)
    goods = ((context.get("view") or {}).get("declaration") or {}).get("goods_items") or []
    findings = FindingsForm.from_form(form, goods) if form and action == "complete" else FindingsForm.blank(goods)
    outcomes = TASK_OUTCOMES[TaskKind(task["kind"])]
    codes, code_optional = _reason_codes(task, outcomes)
    error = PageError.of(refused, _field_id(action, refused.loc, findings)) if refused else None
    now = datetime.now(UTC)
    due_at = parse_instant(task["due_at"]) or now
    return render(
        request,
        "task.html.j2",
        task=task,
        actions=TaskActions.of(found, officer),
        outcomes=outcomes,
        reason_codes=codes,
        code_optional=code_optional,
        findings=findings,
        discrepancy_kinds=DISCREPANCY_KINDS,
        kept={action: dict(form or {})},
        error=error,
        context_error=context_error,
        now=now,
        overdue=task["state"] == "open" and (bool(task.get("overdue")) or due_at < now),
        status_code=error.status if error else 200,
        **context,
    )


@router.get("/tasks/{task_id}")
async def task_page(request: Request, task_id: str, officer: Officer, services: ServicesDep) -> HTMLResponse:
    return await _task_page(request, officer, services, task_id)


def _friendly(exc: ApiError, form: Mapping[str, Any]) -> ApiError:
    """An empty required field says what to enter rather than pydantic's 'at least 1 character'."""
    name = str((exc.loc or [None, None])[-1])
    if exc.status == 422 and len(exc.loc or []) == 2 and name in EMPTY_FIELD and not str(form.get(name) or "").strip():
        return ApiError(422, EMPTY_FIELD[name], loc=exc.loc)
    return exc


async def _act(
    request: Request,
    officer: Principal,
    services: ServicesDep,
    task_id: str,
    action: str,
    send: Callable[[Mapping[str, Any]], Awaitable[str]],
) -> Response:
    """Run one action; on refusal show the task page again with the refusal and what was entered."""

    async def show_refusal(exc: ApiError, form: Mapping[str, Any]) -> Response:
        refused = _friendly(exc, form)
        return await _task_page(request, officer, services, task_id, refused=refused, form=form, action=action)

    return await act(request, send, done_url=f"/console/tasks/{task_id}", show_refusal=show_refusal)


@router.post("/tasks/{task_id}/claim")
async def claim(request: Request, task_id: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(_: Mapping[str, Any]) -> str:
        await task_service.claim(services=services, principal=officer, task_id=task_id)
        return f"You claimed task {task_id}."

    return await _act(request, officer, services, task_id, "claim", send)


@router.post("/tasks/{task_id}/unclaim")
async def unclaim(request: Request, task_id: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(_: Mapping[str, Any]) -> str:
        await task_service.unclaim(services=services, principal=officer, task_id=task_id)
        return f"Task {task_id} is back in the pool."

    return await _act(request, officer, services, task_id, "unclaim", send)


@router.post("/tasks/{task_id}/delegate")
async def delegate(request: Request, task_id: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(form: Mapping[str, Any]) -> str:
        body = parse_form(HandOverRequest, _fields(form, "to", "reason"))
        task = await task_service.delegate(services=services, principal=officer, task_id=task_id, request=body)
        return f"Task {task_id} is now with {task.assignee}."

    return await _act(request, officer, services, task_id, "delegate", send)


@router.post("/tasks/{task_id}/reassign")
async def reassign(request: Request, task_id: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(form: Mapping[str, Any]) -> str:
        body = parse_form(HandOverRequest, _fields(form, "to", "reason"))
        task = await task_service.reassign(services=services, principal=officer, task_id=task_id, request=body)
        return f"Task {task_id} is now assigned to {task.assignee}."

    return await _act(request, officer, services, task_id, "reassign", send)


@router.post("/tasks/{task_id}/comments")
async def comment(request: Request, task_id: str, officer: Officer, services: ServicesDep) -> Response:
    async def send(form: Mapping[str, Any]) -> str:
        body = parse_form(CommentRequest, _fields(form, "text"))
        await task_service.comment(services=services, principal=officer, task_id=task_id, request=body)
        return "Your comment was added."

    return await _act(request, officer, services, task_id, "comment", send)


@router.post("/tasks/{task_id}/complete")
async def complete(request: Request, task_id: str, officer: Officer, services: ServicesDep) -> Response:
    done: list[Task] = []

    async def send(form: Mapping[str, Any]) -> str:
        fields = _fields(form, "outcome", "reason")
        fields["reason_code"] = str(form.get("reason_code") or "").strip() or None
        if form.get("findings_form"):  # the inspection's findings fieldset was on the page
            fields["findings"] = FindingsForm.from_form(form, []).findings()
            fields["confirm_deviation"] = bool(form.get("confirm_deviation"))
        body = parse_form(CompletionRequest, fields)
        done.append(await task_service.complete(services=services, principal=officer, task_id=task_id, request=body))
        return f"Task {task_id} completed: {label(body.outcome)}."

    response = await _act(request, officer, services, task_id, "complete", send)
    if done:  # the clearance is what moved on: show it
        response.headers["Location"] = f"/console/clearances/{done[0].mrn}"
    return response


def _fields(form: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: str(form.get(name) or "").strip() for name in names}
