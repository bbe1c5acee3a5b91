"""How an agency's HTTP answer becomes an error Temporal knows what to do with.

A 4xx is the agency refusing this request: asking again changes nothing, so it is a non-retryable
`ApplicationError(type="AgencyRejected")` carrying the status and a short reason, and the workflow parks the
clearance with that reason for an officer. 408 and 429 mean "later", and 5xx "not now": those stay retryable
(`AgencyUnavailable`), and the workflow's bounded retry decides how long to wait. Shared by every HTTP adapter."""

from __future__ import annotations

from typing import Any

import httpx
from temporalio.exceptions import ApplicationError

AGENCY_REJECTED = "AgencyRejected"
AGENCY_UNAVAILABLE = "AgencyUnavailable"
RETRYABLE_4XX = frozenset({408, 425, 429})
MAX_REASON = 200


def _reason(response: httpx.Response) -> str:
    """The agency's own `detail` (this protocol's error body) when it sent one, else the status phrase."""
    detail: Any = None
    try:
        body = response.json()
        detail = body.get("detail") if isinstance(body, dict) else None
    except ValueError:
        pass
    text = detail if isinstance(detail, str) and detail.strip() else response.reason_phrase or "refused"
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def raise_for_agency_status(response: httpx.Response, *, agency: str) -> None:
    """Return for a 2xx; raise a typed ApplicationError otherwise (non-retryable for a refusal)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = _reason(response)
    details = {"agency": agency, "status": status, "reason": reason}
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        raise ApplicationError(
            f"{agency} refused: {status} {reason}", details, type=AGENCY_REJECTED, non_retryable=True
        )
    raise ApplicationError(f"{agency} unavailable: {status} {reason}", details, type=AGENCY_UNAVAILABLE)
