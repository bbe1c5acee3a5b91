"""Helpers for end-to-end tests that drive the HTTP API while a real worker runs the clearances."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.conftest import Stack


async def lodge(stack: Stack, body: dict[str, Any], who: str = "declarant", expect: int = 202) -> dict[str, Any]:
    response = await stack.http.post("/v1/declarations", json=body, headers=stack.auth(who))
    assert response.status_code == expect, response.text
    return response.json()


async def clearance(stack: Stack, mrn: str, who: str = "customs_officer") -> dict[str, Any]:
    response = await stack.http.get(f"/v1/clearances/{mrn}", headers=stack.auth(who))
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for(
    stack: Stack,
    mrn: str,
    until: Callable[[dict[str, Any]], bool],
    timeout: float = 30.0,
    who: str | None = None,
) -> dict[str, Any]:
    """`who` reads (default: the agency whose task `until` awaits, else the customs officer): a view lists only the
    reader's agency's tasks, and another agency reads the clearance (403 before) once it has a task or standing."""
    reader = str(who or getattr(until, "reader", "customs_officer"))
    deadline = time.monotonic() + timeout
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = await stack.http.get(f"/v1/clearances/{mrn}", headers=stack.auth(reader))
        if response.status_code == 403 and reader == "export_control_officer":
            await asyncio.sleep(0.1)
            continue
        assert response.status_code == 200, response.text
        view = response.json()
        if until(view):
            return view
        await asyncio.sleep(0.1)
    raise AssertionError(
        f"clearance {mrn} did not reach the expected state in {timeout} s; last view: "
        f"status={view.get('status')} stage={view.get('stage')} outcome={view.get('outcome')}"
    )


def completed(view: dict[str, Any]) -> bool:
    return view["status"] in ("completed", "invalidated")


# Task kinds decided by the export-control authority (DEMO-EXPORT-CONTROL): only its officers see them.
EXPORT_CONTROL_KINDS = ("screening_review", "post_release_alert")


def awaiting(kind: str) -> Callable[[dict[str, Any]], bool]:
    def check(view: dict[str, Any]) -> bool:
        return any(t["kind"] == kind and t["state"] == "open" for t in view.get("tasks", []))

    check.reader = "export_control_officer" if kind in EXPORT_CONTROL_KINDS else "customs_officer"  # type: ignore[attr-defined]
    return check


async def open_tasks(stack: Stack, who: str, mrn: str, kind: str | None = None) -> list[dict[str, Any]]:
    response = await stack.http.get("/v1/tasks", params={"state": "open", "mrn": mrn}, headers=stack.auth(who))
    assert response.status_code == 200, response.text
    return [t for t in response.json()["items"] if kind is None or t["kind"] == kind]


# The least a compliant inspection must record: what was checked.
CHECKED: dict[str, Any] = {"seals_checked": True}


async def finish_task(
    stack: Stack,
    who: str,
    task_id: str,
    outcome: str,
    reason: str = "checked",
    findings: dict[str, Any] | None = None,
    *,
    confirm_deviation: bool = False,
) -> dict[str, Any]:
    claimed = await stack.http.post(f"/v1/tasks/{task_id}/claim", headers=stack.auth(who))
    assert claimed.status_code == 200, claimed.text
    body: dict[str, Any] = {"outcome": outcome, "reason": reason}
    if findings is not None:
        body["findings"] = findings
    if confirm_deviation:
        body["confirm_deviation"] = True
    done = await stack.http.post(f"/v1/tasks/{task_id}/complete", json=body, headers=stack.auth(who))
    assert done.status_code == 200, done.text
    return done.json()


def licence_body(
    reference: str,
    *,
    holder: str = "DE555000111222333",
    destinations: list[str] | None = None,
    quantity: int = 100,
    amount: str = "500000.00",
    control_code: str = "6A003",
) -> dict[str, Any]:
    return {
        "reference": reference,
        "holder_eori": holder,
        "destinations": destinations or ["JP"],
        "items": [
            {
                "control_code": control_code,
                "quantity": {"value": quantity, "unit": "pcs"},
                "value": {"amount": amount, "currency": "EUR"},
            }
        ],
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
    }


def new_licence_reference() -> str:
    return f"DE-DU-T{uuid.uuid4().hex[:10].upper()}"


def with_licence_document(body: dict[str, Any], reference: str) -> dict[str, Any]:
    for item in body["goods_items"]:
        item["documents"] = [{"type": "X002", "reference": reference}]
    return body
