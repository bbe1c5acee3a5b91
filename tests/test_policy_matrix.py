"""The role x endpoint matrix, allowed and refused, through the real HTTP app with each demo principal.

One table (`MATRIX`): each row is an endpoint, a principal and the status class it must get. An allowed call that
would change shared state is sent so that it is refused *after* the permission check (a lane it already has, an
outcome the task does not allow, a licence reference that exists, an empty list file): a 409 or 422 there proves
the principal was let through, and nothing changes. Calls whose success changes something act on a resource of
their own (`own_*`). The rules are `domain.policy`'s; this is the check that every face applies them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.agencies import AgencyKey
from domain.mrn import make_mrn
from store import agencies
from store.audit_cosign import submission
from store.audit_note import Checkpoint, LogSigner, b64
from tests.conftest import Stack
from tests.e2e import (
    awaiting,
    licence_body,
    lodge,
    new_licence_reference,
    open_tasks,
    wait_for,
    with_licence_document,
)
from tests.support import example

pytestmark = pytest.mark.e2e


@dataclass
class Shared:
    mrn: str  # a yellow-lane clearance awaiting approval
    task: str  # its approval task (role supervisor), never claimed
    own_task: str  # the approval task of another clearance, reassigned by one row
    own_hold: str  # a clearance one row puts on hold
    licence: str  # used by no clearance
    used_licence: str  # depleted by a DEMO-CUSTOMS clearance
    own_licence: str  # suspended by one row
    own_revoked: str  # revoked by one row
    red_licence: str  # the licence the dual-use clearances below use
    red: str  # a dual-use clearance in its joint inspection: the export-control authority takes part
    customs_task: str  # its customs inspection task
    ec_task: str  # its export-control verification task (DEMO-EXPORT-CONTROL's)
    red_hold: str  # a dual-use clearance the export-control officer puts on hold (one row)
    ec_held: str  # a dual-use clearance the export-control officer holds (one row releases it)


def _yellow() -> dict[str, Any]:
    body = example("green-lane", country_of_destination="CN")
    body["consignee"]["address"]["country"] = "CN"
    return body


async def _awaiting_approval(stack: Stack) -> tuple[str, str]:
    mrn = (await lodge(stack, _yellow()))["mrn"]
    await wait_for(stack, mrn, awaiting("approval"))
    [task] = await open_tasks(stack, "supervisor", mrn, "approval")
    return mrn, task["id"]


async def _in_inspection(stack: Stack, reference: str) -> tuple[str, str, str]:
    mrn = (await lodge(stack, with_licence_document(example("dual-use-licensed"), reference)))["mrn"]
    await wait_for(stack, mrn, awaiting("inspection_findings"))
    [customs] = await open_tasks(stack, "inspector", mrn, "inspection_findings")
    [export_control] = await open_tasks(stack, "export_control_officer", mrn, "inspection_findings")
    return mrn, customs["id"], export_control["id"]


# A checkpoint of the partner customs' log, for this engine's witness: signed with a key the fixture registers as
# DEMO-PARTNER-CUSTOMS's, so a caller of that agency gets it cosigned (first sight: old 0) and any other is refused.
PARTNER_LOG = LogSigner("matrix.partner-customs.example/log", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
PARTNER_CHECKPOINT = submission(0, [], PARTNER_LOG.sign(Checkpoint(PARTNER_LOG.name, 1, bytes(range(32)))))


@pytest.fixture(scope="module")
async def shared(stack: Stack) -> AsyncIterator[Shared]:
    async with stack.db.writer() as session:
        key = AgencyKey(key_id="matrix-log", public_key=b64(PARTNER_LOG.public_key))
        await agencies.add_key(session, "DEMO-PARTNER-CUSTOMS", key)
        await session.commit()
    reference, red_licence = new_licence_reference(), new_licence_reference()
    for ref, quantity in ((reference, 100), (red_licence, 1000)):  # red_licence: enough for three dual-use clearances
        created = await stack.http.post(
            "/v1/licences", json=licence_body(ref, quantity=quantity), headers=stack.auth("export_control_officer")
        )
        assert created.status_code == 201, created.text
    others = [await _licence(stack) for _ in range(3)]
    used = await lodge(stack, with_licence_document(example("dual-use-licensed"), others[0]))
    (mrn, task), (_, own_task), (own_hold, _) = await asyncio.gather(*(_awaiting_approval(stack) for _ in range(3)))
    (red, customs_task, ec_task), (red_hold, *_), (ec_held, *_) = await asyncio.gather(
        *(_in_inspection(stack, red_licence) for _ in range(3))
    )
    held = await stack.http.post(
        f"/v1/clearances/{ec_held}/hold", json={"reason": "licence query"}, headers=stack.auth("export_control_officer")
    )
    assert held.status_code == 200, held.text
    await wait_for(stack, used["mrn"], lambda v: v.get("licences") is not None)
    yield Shared(
        mrn=mrn,
        task=task,
        own_task=own_task,
        own_hold=own_hold,
        licence=reference,
        red_licence=red_licence,
        red=red,
        customs_task=customs_task,
        ec_task=ec_task,
        red_hold=red_hold,
        ec_held=ec_held,
        used_licence=others[0],
        own_licence=others[1],
        own_revoked=others[2],
    )


async def _licence(stack: Stack) -> str:
    reference = new_licence_reference()
    created = await stack.http.post(
        "/v1/licences", json=licence_body(reference), headers=stack.auth("export_control_officer")
    )
    assert created.status_code == 201, created.text
    return reference


OK, FORBIDDEN, NOT_FOUND, CONFLICT, INVALID = "2xx", "403", "404", "409", "422"
# Let through, whatever the log holds so far: 2xx, or 404/422 while no checkpoint has been published.
PAST_THE_RULE = "past the rule"
LANE_YELLOW = {"lane": "yellow", "reason": "matrix"}  # the lane it already has: 409 once allowed
BOGUS_OUTCOME = {"outcome": "bogus", "reason": "matrix"}  # 422 once allowed
TO_SUPERVISOR2 = {"to": "supervisor2", "reason": "matrix"}
SCHEDULE = {"at": "2099-01-01T10:00:00Z", "place": "Bay 1"}
INVENTED_MRN = make_mrn(year=2026, country="DE", key="MATRIXINVENTD")
REASON = {"reason": "matrix"}
SELF_REPRESENTATION = {  # refused with 422 once allowed: lodging for oneself needs no representation
    "declarant_eori": "DE123456789012345",
    "exporter_eori": "DE123456789012345",
    "kind": "direct",
    "valid_from": "2026-01-01",
}
ASSISTANCE = {
    "measure": "verify receipt",
    "subject": "matrix",
    "legal_basis": "matrix",
    "facts": "matrix",
    "deadline": "2099-01-01T00:00:00Z",
}
UNLISTED = {"party": {"name": "Nobody GmbH"}, "list": "none-such", "entry_id": "x", "reason": "matrix"}

# (method, path, body, principal, expected). `{mrn}`, `{task}`, ... are filled from `Shared`.
MATRIX: list[tuple[str, str, Any, str, str]] = [
    # declarations
    ("POST", "/v1/declarations", "green-lane", "customs_officer", FORBIDDEN),
    ("POST", "/v1/declarations", "green-lane", "other_declarant", FORBIDDEN),  # lodging as someone else
    ("POST", "/v1/declarations", "green-lane", "admin", FORBIDDEN),
    ("POST", "/v1/declarations", "unrepresented", "other_declarant", FORBIDDEN),  # not its exporter
    # reading a clearance: its declarant and the readers of its agency; another agency's readers where it takes part
    *[
        ("GET", "/v1/clearances/{mrn}", None, who, OK)
        for who in ("declarant", "customs_officer", "inspector", "supervisor")
    ],
    ("GET", "/v1/clearances/{mrn}", None, "export_control_officer", FORBIDDEN),  # no standing, no task on it
    *[
        ("GET", "/v1/clearances/{red}", None, who, OK)
        for who in ("export_control_officer", "export_control_supervisor")
    ],
    ("GET", "/v1/clearances/{red}", None, "partner_customs_officer", FORBIDDEN),
    ("GET", "/v1/clearances/{red}/audit", None, "export_control_officer", FORBIDDEN),  # customs' audit trail
    ("GET", "/v1/clearances/{red}/documents/release-notice", None, "export_control_officer", NOT_FOUND),
    *[("GET", "/v1/clearances/{mrn}", None, who, OK) for who in ("duty_chief", "auditor", "admin")],
    *[
        ("GET", "/v1/clearances/{mrn}", None, who, FORBIDDEN)
        for who in ("other_declarant", "sop_author", "foreign_officer", "exporter_holder", "export_control_officer")
    ],
    ("GET", "/v1/clearances", None, "declarant", OK),
    ("GET", "/v1/clearances", None, "auditor", OK),
    ("GET", "/v1/clearances", None, "sop_author", FORBIDDEN),
    ("GET", "/v1/clearances/{mrn}/audit", None, "auditor", OK),
    ("GET", "/v1/clearances/{mrn}/audit", None, "customs_officer", OK),
    ("GET", "/v1/clearances/{mrn}/audit", None, "declarant", FORBIDDEN),
    ("GET", "/v1/clearances/{mrn}/documents/release-notice", None, "customs_officer", NOT_FOUND),  # none issued yet
    ("GET", "/v1/clearances/{mrn}/documents/release-notice", None, "other_declarant", FORBIDDEN),
    # the declarant's invalidation
    ("POST", "/v1/clearances/{mrn}/invalidation", {"reason": "matrix"}, "customs_officer", FORBIDDEN),
    ("POST", "/v1/clearances/{mrn}/invalidation", {"reason": "matrix"}, "other_declarant", FORBIDDEN),
    # officers' actions: re-route (customs officers and supervisors of the agency)
    ("POST", "/v1/clearances/{mrn}/lane", LANE_YELLOW, "customs_officer", CONFLICT),
    ("POST", "/v1/clearances/{mrn}/lane", LANE_YELLOW, "supervisor", CONFLICT),
    *[
        ("POST", "/v1/clearances/{mrn}/lane", LANE_YELLOW, who, FORBIDDEN)
        for who in ("declarant", "export_control_officer", "inspector", "auditor", "duty_chief", "foreign_officer")
    ],
    ("POST", "/v1/clearances/{mrn}/lane", {"lane": "green", "reason": "matrix"}, "customs_officer", FORBIDDEN),
    # holds (customs officers and supervisors; an agency taking part places and releases its own)
    ("POST", "/v1/clearances/{own_hold}/hold", {"reason": "matrix"}, "customs_officer", OK),
    ("POST", "/v1/clearances/{mrn}/hold", {"reason": "matrix"}, "export_control_officer", FORBIDDEN),  # no party
    ("POST", "/v1/clearances/{red_hold}/hold", {"reason": "matrix"}, "export_control_officer", OK),
    ("POST", "/v1/clearances/{red}/hold", {"reason": "matrix"}, "partner_customs_officer", FORBIDDEN),
    ("POST", "/v1/clearances/{ec_held}/hold/release", {"reason": "matrix"}, "supervisor", FORBIDDEN),  # not customs'
    ("POST", "/v1/clearances/{ec_held}/hold/release", {"reason": "matrix"}, "customs_officer", FORBIDDEN),
    ("POST", "/v1/clearances/{ec_held}/hold/release", {"reason": "matrix"}, "export_control_supervisor", OK),
    *[
        ("POST", "/v1/clearances/{mrn}/hold", {"reason": "matrix"}, who, FORBIDDEN)
        for who in ("declarant", "inspector", "auditor", "admin")
    ],
    ("POST", "/v1/clearances/{mrn}/hold/release", {"reason": "matrix"}, "supervisor", CONFLICT),  # not on hold
    ("POST", "/v1/clearances/{mrn}/hold/release", {"reason": "matrix"}, "inspector", FORBIDDEN),
    # scheduling (before the joint inspection: customs officers only, and then there is none to schedule)
    ("PUT", "/v1/clearances/{mrn}/inspection/schedule", SCHEDULE, "customs_officer", CONFLICT),
    ("PUT", "/v1/clearances/{mrn}/inspection/schedule", SCHEDULE, "declarant", FORBIDDEN),
    # tasks: the inbox
    *[("GET", "/v1/tasks", None, who, OK) for who in ("supervisor", "inspector", "duty_chief", "customs_officer")],
    *[("GET", "/v1/tasks", None, who, FORBIDDEN) for who in ("declarant", "auditor", "sop_author", "admin")],
    ("GET", "/v1/tasks?role=supervisor", None, "inspector", FORBIDDEN),
    ("GET", "/v1/tasks?role=inspector", None, "supervisor", OK),
    # one task: holders of its role and the agency's overseers; others do not learn it exists
    ("GET", "/v1/tasks/{task}", None, "supervisor", OK),
    ("GET", "/v1/tasks/{task}", None, "auditor", OK),
    ("GET", "/v1/tasks/{task}", None, "inspector", NOT_FOUND),
    ("GET", "/v1/tasks/{task}", None, "foreign_officer", NOT_FOUND),
    ("GET", "/v1/tasks/{task}", None, "declarant", FORBIDDEN),
    # each agency's own tasks: the export-control verification is DEMO-EXPORT-CONTROL's, the inspection customs'
    *[("GET", "/v1/tasks/{ec_task}", None, who, OK) for who in ("export_control_officer", "export_control_supervisor")],
    *[("GET", "/v1/tasks/{ec_task}", None, who, NOT_FOUND) for who in ("inspector", "supervisor", "multi_officer")],
    ("GET", "/v1/tasks/{customs_task}", None, "export_control_officer", NOT_FOUND),
    ("GET", "/v1/tasks/{customs_task}", None, "export_control_supervisor", NOT_FOUND),
    ("POST", "/v1/tasks/{ec_task}/claim", None, "multi_officer", NOT_FOUND),  # the role, at another agency
    ("POST", "/v1/tasks/{ec_task}/complete", BOGUS_OUTCOME, "export_control_officer", INVALID),
    ("POST", "/v1/tasks/{ec_task}/complete", BOGUS_OUTCOME, "supervisor", NOT_FOUND),
    ("POST", "/v1/tasks/{customs_task}/complete", BOGUS_OUTCOME, "export_control_officer", NOT_FOUND),
    ("POST", "/v1/tasks/{customs_task}/claim", None, "export_control_supervisor", NOT_FOUND),
    # claiming and completing: holders of its role
    ("POST", "/v1/tasks/{task}/claim", None, "inspector", FORBIDDEN),
    ("POST", "/v1/tasks/{task}/claim", None, "auditor", FORBIDDEN),
    ("POST", "/v1/tasks/{task}/claim", None, "duty_chief", FORBIDDEN),  # not escalated
    ("POST", "/v1/tasks/{task}/claim", None, "foreign_officer", NOT_FOUND),
    ("POST", "/v1/tasks/{task}/claim", None, "declarant", NOT_FOUND),
    ("POST", "/v1/tasks/{task}/complete", BOGUS_OUTCOME, "supervisor", INVALID),
    ("POST", "/v1/tasks/{task}/complete", BOGUS_OUTCOME, "multi_officer", INVALID),
    ("POST", "/v1/tasks/{task}/complete", BOGUS_OUTCOME, "inspector", FORBIDDEN),
    ("POST", "/v1/tasks/{task}/complete", BOGUS_OUTCOME, "customs_officer", FORBIDDEN),
    # reassigning: a supervisor (the duty chief only once escalated); delegating: the assignee
    ("POST", "/v1/tasks/{own_task}/reassign", TO_SUPERVISOR2, "supervisor", OK),
    *[
        ("POST", "/v1/tasks/{task}/reassign", TO_SUPERVISOR2, who, FORBIDDEN)
        for who in ("inspector", "customs_officer", "duty_chief", "auditor")
    ],
    ("POST", "/v1/tasks/{task}/reassign", TO_SUPERVISOR2, "foreign_officer", NOT_FOUND),
    ("POST", "/v1/tasks/{task}/delegate", TO_SUPERVISOR2, "supervisor", FORBIDDEN),  # not its assignee
    ("POST", "/v1/tasks/{task}/unclaim", None, "supervisor", CONFLICT),  # not claimed
    ("POST", "/v1/tasks/{task}/unclaim", None, "foreign_officer", NOT_FOUND),
    # comments: holders of its role and supervisors
    ("POST", "/v1/tasks/{task}/comments", {"text": "matrix"}, "supervisor", OK),
    ("POST", "/v1/tasks/{task}/comments", {"text": "matrix"}, "inspector", FORBIDDEN),
    ("POST", "/v1/tasks/{task}/comments", {"text": "matrix"}, "auditor", FORBIDDEN),
    # licences: issued by export-control officers of an export-control authority, changed only by its officers,
    # read by it, by the holder, and by the agencies whose clearances used them
    ("POST", "/v1/licences", "licence", "export_control_officer", CONFLICT),  # the reference exists
    *[
        ("POST", "/v1/licences", "licence", who, FORBIDDEN)
        for who in ("customs_officer", "declarant", "admin", "multi_officer", "foreign_officer")
    ],
    *[("GET", "/v1/licences/{licence}", None, who, OK) for who in ("export_control_officer", "exporter_holder")],
    *[
        ("GET", "/v1/licences/{licence}", None, who, FORBIDDEN)
        for who in ("customs_officer", "inspector", "auditor", "admin", "declarant", "sop_author", "foreign_officer")
    ],
    *[
        ("GET", "/v1/licences/{used_licence}", None, who, OK)
        for who in ("customs_officer", "inspector", "auditor", "admin")
    ],
    *[("GET", "/v1/licences/{used_licence}", None, who, FORBIDDEN) for who in ("foreign_officer", "duty_chief")],
    ("PATCH", "/v1/licences/{licence}", {"valid_from": "2099-01-01", **REASON}, "export_control_officer", INVALID),
    *[
        ("PATCH", "/v1/licences/{licence}", {"valid_from": "2099-01-01", **REASON}, who, FORBIDDEN)
        for who in ("customs_officer", "multi_officer", "foreign_officer", "declarant")
    ],
    ("POST", "/v1/licences/{own_licence}/suspension", REASON, "export_control_officer", OK),
    *[
        ("POST", "/v1/licences/{licence}/suspension", REASON, who, FORBIDDEN)
        for who in ("customs_officer", "multi_officer", "foreign_officer", "supervisor")
    ],
    ("POST", "/v1/licences/{licence}/reinstatement", REASON, "export_control_officer", CONFLICT),  # not suspended
    ("POST", "/v1/licences/{licence}/reinstatement", REASON, "customs_officer", FORBIDDEN),
    ("POST", "/v1/licences/{own_revoked}/revocation", REASON, "export_control_officer", OK),
    *[
        ("POST", "/v1/licences/{licence}/revocation", REASON, who, FORBIDDEN)
        for who in ("customs_officer", "admin", "foreign_officer")
    ],
    ("GET", "/v1/licences/{used_licence}/ledger", None, "export_control_officer", OK),
    *[
        ("GET", "/v1/licences/{used_licence}/ledger", None, who, FORBIDDEN)
        for who in ("customs_officer", "auditor", "declarant", "exporter_holder")
    ],
    # the registry protocol: for the calling agency's own clearances only
    ("POST", "/v1/licence-depletions/restorations", {"mrn": "{mrn}", **REASON}, "admin", OK),  # none to restore
    ("POST", "/v1/licence-depletions/restorations", {"mrn": INVENTED_MRN, **REASON}, "admin", NOT_FOUND),
    *[
        ("POST", "/v1/licence-depletions/restorations", {"mrn": "{mrn}", **REASON}, who, FORBIDDEN)
        for who in ("customs_officer", "declarant", "export_control_officer", "foreign_officer")
    ],
    # the representation register: customs officers and administrators keep it
    *[("POST", "/v1/representations", SELF_REPRESENTATION, who, INVALID) for who in ("customs_officer", "admin")],
    *[
        ("POST", "/v1/representations", SELF_REPRESENTATION, who, FORBIDDEN)
        for who in ("declarant", "inspector", "export_control_officer")
    ],
    *[("GET", "/v1/representations", None, who, OK) for who in ("customs_officer", "auditor", "declarant")],
    ("GET", "/v1/representations", None, "sop_author", FORBIDDEN),
    ("DELETE", "/v1/representations/REP-none", None, "customs_officer", NOT_FOUND),
    ("DELETE", "/v1/representations/REP-none", None, "declarant", FORBIDDEN),
    # screening lists and checks
    ("POST", "/v1/screening-lists/matrix-list/import", b"", "admin", INVALID),  # empty: unchanged
    ("POST", "/v1/screening-lists/matrix-list/import", b"", "export_control_officer", INVALID),
    ("POST", "/v1/screening-lists/matrix-list/import", b"", "customs_officer", FORBIDDEN),
    ("POST", "/v1/screening-lists/matrix-list/import", b"", "declarant", FORBIDDEN),
    *[("GET", "/v1/screening-lists", None, who, OK) for who in ("inspector", "auditor", "admin")],
    *[("GET", "/v1/screening-lists", None, who, FORBIDDEN) for who in ("declarant", "sop_author", "duty_chief")],
    *[("POST", "/v1/screening/check", {"name": "Acme"}, who, OK) for who in ("customs_officer", "admin")],
    *[("POST", "/v1/screening/check", {"name": "Acme"}, who, FORBIDDEN) for who in ("auditor", "declarant")],
    # the register of known false positives
    ("POST", "/v1/screening/false-positives", UNLISTED, "customs_officer", INVALID),  # entry not listed
    *[
        ("POST", "/v1/screening/false-positives", UNLISTED, who, FORBIDDEN)
        for who in ("inspector", "auditor", "declarant")
    ],
    *[("GET", "/v1/screening/false-positives", None, who, OK) for who in ("auditor", "duty_chief", "inspector")],
    ("GET", "/v1/screening/false-positives", None, "declarant", FORBIDDEN),
    ("GET", "/v1/screening/false-positives/FP-none", None, "auditor", NOT_FOUND),
    ("GET", "/v1/screening/false-positives/FP-none", None, "declarant", FORBIDDEN),
    ("DELETE", "/v1/screening/false-positives/FP-none", {"reason": "matrix"}, "supervisor", NOT_FOUND),
    ("DELETE", "/v1/screening/false-positives/FP-none", {"reason": "matrix"}, "auditor", FORBIDDEN),
    # SOPs: read by anyone, published by SOP authors
    ("GET", "/v1/sops", None, "declarant", OK),
    # the agency registry: public to every principal
    *[("GET", "/v1/agencies", None, who, OK) for who in ("declarant", "partner_customs_officer", "auditor")],
    ("GET", "/v1/agencies/DEMO-EXPORT-CONTROL", None, "declarant", OK),
    ("GET", "/v1/sops/test-clearance/versions/1", None, "declarant", OK),
    ("GET", "/v1/sops/test-clearance/versions/1/document", None, "inspector", OK),
    ("POST", "/v1/sops", {"name": "x"}, "sop_author", INVALID),
    ("POST", "/v1/sops", {"name": "x"}, "customs_officer", FORBIDDEN),
    # reports, subscriptions
    *[("GET", "/v1/reports/stage-times", None, who, OK) for who in ("auditor", "customs_officer", "admin")],
    *[("GET", "/v1/reports/stage-times", None, who, FORBIDDEN) for who in ("inspector", "declarant", "duty_chief")],
    *[("GET", "/v1/webhooks", None, who, OK) for who in ("declarant", "auditor")],
    ("GET", "/v1/webhooks", None, "sop_author", FORBIDDEN),
    ("DELETE", "/v1/webhooks/WH-none", None, "declarant", NOT_FOUND),
    ("GET", "/v1/webhooks/WH-none/deliveries", None, "auditor", NOT_FOUND),
    ("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/", "secret": "s" * 16}, "sop_author", FORBIDDEN),
    # cross-border exchange: messages for officers of the sending or receiving agency; replies by the receiver's
    # officers (a message it did not receive does not exist for it); assistance requests and exits by customs
    *[
        ("GET", "/v1/exchange/messages", None, who, OK)
        for who in ("customs_officer", "supervisor", "auditor", "partner_customs_officer")
    ],
    *[("GET", "/v1/exchange/messages", None, who, FORBIDDEN) for who in ("declarant", "inspector", "sop_author")],
    ("GET", "/v1/exchange/messages?kind=bogus", None, "customs_officer", INVALID),
    *[
        ("POST", "/v1/exchange/messages/none-such/control-result", {"result": "irregularity"}, who, NOT_FOUND)
        for who in ("partner_customs_officer", "customs_officer")
    ],
    *[
        ("POST", "/v1/exchange/messages/none-such/control-result", {"result": "irregularity"}, who, FORBIDDEN)
        for who in ("declarant", "auditor", "supervisor")
    ],
    ("POST", "/v1/exchange/messages/none-such/answer", {"answer": "matrix"}, "partner_customs_officer", NOT_FOUND),
    ("POST", "/v1/exchange/messages/none-such/answer", {"answer": "matrix"}, "declarant", FORBIDDEN),
    *[
        ("POST", "/v1/clearances/{mrn}/exit", {}, who, CONFLICT)  # not released: no exit to confirm
        for who in ("customs_officer", "supervisor")
    ],
    *[
        ("POST", "/v1/clearances/{mrn}/exit", {}, who, FORBIDDEN)
        for who in ("declarant", "inspector", "export_control_officer", "foreign_officer", "partner_customs_officer")
    ],
    ("POST", "/v1/clearances/{mrn}/mutual-assistance", ASSISTANCE, "customs_officer", CONFLICT),  # CN: no partner
    *[
        ("POST", "/v1/clearances/{mrn}/mutual-assistance", ASSISTANCE, who, FORBIDDEN)
        for who in ("declarant", "export_control_officer", "auditor", "partner_customs_officer")
    ],
    # the verifiable audit log: checkpoints and consistency for anyone signed in, proofs for the clearance's readers
    *[("GET", "/v1/audit/checkpoint", None, who, PAST_THE_RULE) for who in ("declarant", "auditor")],
    ("GET", "/v1/audit/consistency?from=1&to=1", None, "declarant", OK),
    ("GET", "/v1/audit/proof?mrn={mrn}&seq=0", None, "auditor", PAST_THE_RULE),
    ("GET", "/v1/audit/proof?mrn={mrn}&seq=0", None, "customs_officer", PAST_THE_RULE),
    *[
        ("GET", "/v1/audit/proof?mrn={mrn}&seq=0", None, who, FORBIDDEN)
        for who in ("declarant", "sop_author", "foreign_officer")
    ],
    # the witness: a partner's log checkpoints from a principal of the agency whose registry key signed them
    ("POST", "/v1/audit/witness/add-checkpoint", PARTNER_CHECKPOINT, "partner_customs_officer", OK),
    *[
        ("POST", "/v1/audit/witness/add-checkpoint", PARTNER_CHECKPOINT, who, FORBIDDEN)
        for who in ("customs_officer", "foreign_officer", "declarant", "admin")
    ],
    *[("GET", "/v1/audit/witness/logs", None, who, OK) for who in ("auditor", "customs_officer")],
    *[("GET", "/v1/audit/witness/logs", None, who, FORBIDDEN) for who in ("declarant", "partner_customs_officer")],
    # API tokens: the agency's administrators
    ("GET", "/v1/tokens", None, "admin", OK),
    *[("GET", "/v1/tokens", None, who, FORBIDDEN) for who in ("supervisor", "auditor", "declarant")],
    ("POST", "/v1/tokens", {"principal_id": "nobody-such"}, "admin", INVALID),  # no such principal: nothing issued
    ("POST", "/v1/tokens", {"principal_id": "foreign_officer"}, "admin", FORBIDDEN),  # another agency's
    *[("POST", "/v1/tokens", {"principal_id": "supervisor"}, who, FORBIDDEN) for who in ("supervisor", "declarant")],
    ("DELETE", "/v1/tokens/TK-none", None, "admin", NOT_FOUND),
    ("DELETE", "/v1/tokens/TK-none", None, "supervisor", FORBIDDEN),
]


def _fill(value: Any, shared: Shared) -> Any:
    if isinstance(value, str):
        return value.format(**vars(shared))
    if isinstance(value, dict):
        return {k: _fill(v, shared) for k, v in value.items()}
    return value


def _status_class(status: int, expected: str) -> str:
    if expected == PAST_THE_RULE and (200 <= status < 300 or status in (404, 422)):
        return PAST_THE_RULE
    return "2xx" if 200 <= status < 300 else str(status)


@pytest.mark.parametrize(
    ("method", "path", "body", "who", "expected"),
    MATRIX,
    ids=[f"{m} {p} as {w} -> {e}" for m, p, _, w, e in MATRIX],
)
async def test_role_endpoint_matrix(
    stack: Stack, shared: Shared, method: str, path: str, body: Any, who: str, expected: str
) -> None:
    kwargs: dict[str, Any] = {}
    if body == "green-lane":
        kwargs["json"] = example("green-lane")
    elif body == "unrepresented":  # the other declarant, as itself, for the green-lane exporter
        kwargs["json"] = {**example("green-lane"), "declarant": {"eori": "FR999888777666555", "name": "Autre SARL"}}
    elif body == "licence":
        kwargs["json"] = licence_body(shared.licence)
    elif isinstance(body, bytes):
        kwargs["content"], kwargs["headers"] = body, {"Content-Type": "application/json"}
    elif body is not None:
        kwargs["json"] = _fill(body, shared)
    headers = {**kwargs.pop("headers", {}), **stack.auth(who)}
    response = await stack.http.request(method, _fill(path, shared), headers=headers, **kwargs)
    assert _status_class(response.status_code, expected) == expected, response.text


def test_the_matrix_covers_every_api_endpoint() -> None:
    """A route added without a row here fails: every /v1 path (with its method) appears in the table."""
    from api.main import create_app
    from settings import Settings

    # The OpenAPI document lists every operation, however the routers nest (FastAPI's included routers).
    document = create_app(Settings(environment="test")).openapi()
    routes = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        if path.startswith("/v1")
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert len(routes) > 40, sorted(routes)  # the walk itself found the API
    covered = {(m, p.split("?")[0]) for m, p, *_ in MATRIX}
    template = {
        "{mrn}": "{mrn}",
        "{own_hold}": "{mrn}",
        "{red}": "{mrn}",
        "{red_hold}": "{mrn}",
        "{ec_held}": "{mrn}",
        "{ec_task}": "{task_id}",
        "{customs_task}": "{task_id}",
        "{task}": "{task_id}",
        "{own_task}": "{task_id}",
        "{licence}": "{reference}",
        "{used_licence}": "{reference}",
        "{own_licence}": "{reference}",
        "{own_revoked}": "{reference}",
        "REP-none": "{representation_id}",
        "matrix-list": "{list_name}",
        "DEMO-EXPORT-CONTROL": "{agency_id}",
        "test-clearance/versions/1": "{name}/versions/{version}",
        "FP-none": "{fp_id}",
        "WH-none": "{subscription_id}",
        "TK-none": "{token_id}",
        "release-notice": "{kind}",
        "none-such": "{message_id}",
    }
    normalised = set()
    for method, path in covered:
        for concrete, placeholder in template.items():
            path = path.replace(concrete, placeholder)
        normalised.add((method, path))
    exempt = {("POST", "/v1/licence-depletions")}  # the registry protocol: the rule of its restorations' rows
    missing = sorted(routes - normalised - exempt)
    assert not missing, f"endpoints without a row in MATRIX: {missing}"
