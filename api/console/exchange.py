"""Partner exchange in the console: the messages the officer's administration sent to and received from partner
administrations, with their delivery state and verified signature; a partner's officers return a control result
on a notification they received. Through the exchange service the JSON API uses."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.web import Officer, console_router, parse_form, redirect, render
from api.deps import ServicesDep
from api.service import exchange as exchange_service
from domain import policy
from domain.exchange import MESSAGE_KINDS, ControlResultRequest

router = console_router()
PAGE = "/console/exchange"


@router.get("/exchange")
async def messages(request: Request, officer: Officer, services: ServicesDep, kind: str | None = None) -> HTMLResponse:
    chosen = kind if kind in MESSAGE_KINDS else None
    items = await exchange_service.list_messages(services=services, principal=officer, kind=chosen)
    answered = {m["in_reply_to"] for m in items if m["kind"] == "control_result" and m["direction"] == "out"}
    for item in items:
        # the same rule the API applies decides whether the form is shown
        item["may_return_result"] = (
            item["direction"] == "in"
            and item["kind"] == "export_notification"
            and item["status"] == "received"
            and item["id"] not in answered
            and policy.needs_role(officer, policy.PARTNER_OFFICERS) is None
        )
    return render(request, "exchange.html.j2", items=items, kind=chosen, kinds=MESSAGE_KINDS)


@router.post("/exchange/{message_id}/control-result")
async def control_result(request: Request, message_id: str, officer: Officer, services: ServicesDep) -> Response:
    form = await request.form()
    body = parse_form(ControlResultRequest, {"result": form.get("result", ""), "note": form.get("note") or None})
    await exchange_service.return_control_result(services=services, principal=officer, ident=message_id, request=body)
    label = "no irregularity" if body.result == "no_irregularity" else "an irregularity"
    return redirect(request, PAGE, f"Control result sent: {label}")
