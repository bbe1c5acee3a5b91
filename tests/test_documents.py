"""Clearance notices: what a declarant, an enforcement officer or an auditor reads on the rendered page."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.main import create_app
from documents.render import NOTICE_KINDS, notice_kind_for, render_notice
from domain.clearance import (
    AgencyFinding,
    ClearanceView,
    Decision,
    InspectionResult,
    ItemLicence,
    LicenceCheckResult,
    PartyScreening,
    ScreeningMatch,
    ScreeningResult,
    Status,
    TimelineEntry,
)
from domain.declaration import Declaration
from domain.mrn import declaration_key, make_mrn, workflow_id_for_mrn
from sop.model import Lane, Outcome, SopRef
from tests.conftest import Stack
from tests.e2e import (
    awaiting,
    clearance,
    completed,
    finish_task,
    licence_body,
    new_licence_reference,
    open_tasks,
    wait_for,
    with_licence_document,
)
from tests.support import EXAMPLES, example, sop_data

EXAMPLE = EXAMPLES / "dual-use-licensed.json"

T0 = datetime(2026, 3, 9, 8, 15, 0, tzinfo=UTC)
ISSUED = datetime(2026, 3, 9, 14, 2, 31, tzinfo=UTC)
SOP = SopRef(
    name="export-clearance", version=1, hash="3f6a9c0d2b7e41f58a90c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"
)


def _declaration(**changes: Any) -> Declaration:
    data = json.loads(EXAMPLE.read_text())
    data.update(changes)
    return Declaration.model_validate_json(json.dumps(data))


def _two_items() -> Declaration:
    """The contract example plus an uncontrolled second item, so tables show more than one row."""
    data = json.loads(EXAMPLE.read_text())
    data["goods_items"].append(
        {
            "sequence": 2,
            "commodity_code": "85444290",
            "description": "Shielded interface cables, 2 m",
            "origin_country": "CZ",
            "net_mass_kg": 12.5,
            "gross_mass_kg": 14.0,
            "quantity": {"value": 80, "unit": "pcs"},
            "statistical_value": {"amount": "1840.00", "currency": "EUR"},
        }
    )
    return Declaration.model_validate_json(json.dumps(data))


def _view(declaration: Declaration, **changes: Any) -> ClearanceView:
    mrn = make_mrn(year=26, country="DE", key=declaration_key(declaration.declarant.eori, declaration.lrn))
    fields: dict[str, Any] = {
        "mrn": mrn,
        "lrn": declaration.lrn,
        "workflow_id": workflow_id_for_mrn(mrn),
        "declarant_eori": declaration.declarant.eori,
        "agency": "DEMO-CUSTOMS",
        "status": Status.completed,
        "stage": "completed",
        "lane": Lane.red,
        "lane_reason": "controlled_goods: Dual-use goods under licence are inspected jointly.",
        "outcome": Outcome.released,
        "sop": SOP,
        "declaration": declaration,
        "screening": ScreeningResult(
            parties=[
                PartyScreening(role="exporter", name="Optronik Systeme AG", country="DE"),
                PartyScreening(
                    role="consignee",
                    name="Hikari Precision Instruments K.K.",
                    country="JP",
                    status="false_positive",
                    review_task_id="T-0001",
                    matches=[
                        ScreeningMatch(
                            list="EU-FSF",
                            entry_id="EU.4471.88",
                            name="HIKARI TRADING LLC",
                            score=89.4,
                            matched_alias="Hikari Precision Trading",
                            programs=["RUSSIA-EO14024"],
                            country="AE",
                        )
                    ],
                ),
                PartyScreening(role="end_user", name="Tohoku Institute of Photonics", country="JP"),
                PartyScreening(role="declarant", name="Rheinfracht Zollagentur GmbH"),
            ]
        ),
        "licences": LicenceCheckResult(
            embargoed=False,
            items=[
                ItemLicence(
                    sequence=1,
                    commodity_code="90138000",
                    control_code="6A003",
                    control_source="declared",
                    status="covered",
                    licence_reference="DE-DU-2026-00981",
                    depleted_quantity=Decimal("40"),
                    depleted_value=Decimal("96000.00"),
                ),
            ],
        ),
        "inspection": InspectionResult(
            outcome="compliant",
            findings=[
                AgencyFinding(
                    agency="customs",
                    task_id="T-0002",
                    outcome="compliant",
                    reason="Seals intact; 40 cores counted.",
                    findings={"packages_opened": 4, "seal": "DE-S-558812"},
                    completed_by="inspector.weber",
                    completed_at=T0 + timedelta(hours=3),
                ),
                AgencyFinding(
                    agency="export_control",
                    task_id="T-0003",
                    outcome="compliant",
                    reason="Serial numbers match licence annex.",
                    completed_by="eco.brandt",
                    completed_at=T0 + timedelta(hours=3, minutes=40),
                ),
            ],
        ),
        "decisions": [
            Decision(
                at=T0 + timedelta(minutes=50),
                stage="screening",
                kind="screening_review",
                outcome="false_positive",
                actor="eco.brandt",
                reason="Different legal entity: registered in Tokyo since 1987.",
                task_id="T-0001",
            ),
            Decision(
                at=T0 + timedelta(hours=3, minutes=40),
                stage="joint_inspection",
                kind="inspection",
                outcome="compliant",
                actor="inspector.weber, eco.brandt",
            ),
            Decision(
                at=T0 + timedelta(hours=5, minutes=47),
                stage="approval",
                kind="approval",
                outcome="approve",
                actor="supervisor.kaya",
                reason="Licence covers the consignment.",
                task_id="T-0004",
            ),
        ],
        "timeline": [
            TimelineEntry(stage="intake", started_at=T0, ended_at=T0 + timedelta(seconds=2)),
            TimelineEntry(
                stage="screening",
                started_at=T0 + timedelta(seconds=2),
                ended_at=T0 + timedelta(minutes=50),
                actor="eco.brandt",
            ),
            TimelineEntry(
                stage="licence_check",
                started_at=T0 + timedelta(minutes=50),
                ended_at=T0 + timedelta(minutes=50, seconds=1),
            ),
            TimelineEntry(
                stage="risk",
                started_at=T0 + timedelta(minutes=50, seconds=1),
                ended_at=T0 + timedelta(minutes=50, seconds=1),
            ),
            TimelineEntry(
                stage="joint_inspection",
                started_at=T0 + timedelta(minutes=50, seconds=1),
                ended_at=T0 + timedelta(hours=3, minutes=40),
            ),
            TimelineEntry(
                stage="approval",
                started_at=T0 + timedelta(hours=3, minutes=40),
                ended_at=T0 + timedelta(hours=5, minutes=47),
                actor="supervisor.kaya",
            ),
        ],
        "accepted_at": T0,
        "updated_at": T0 + timedelta(hours=5, minutes=47),
        "revision": 14,
    }
    fields.update(changes)
    return ClearanceView(**fields)


@pytest.fixture
def released() -> ClearanceView:
    return _view(_two_items())


def test_notice_kind_follows_the_outcome() -> None:
    assert [notice_kind_for(o) for o in Outcome] == list(NOTICE_KINDS)
    assert notice_kind_for("not_released") == "not-released-notice"
    with pytest.raises(ValueError):
        notice_kind_for("lost")


def test_unknown_kind_is_refused(released: ClearanceView) -> None:
    for kind in ("customs-notice", "release_notice", "../base", ""):
        with pytest.raises(ValueError, match="unknown notice kind"):
            render_notice(kind, released, issued_at=ISSUED)


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_notice_is_a_standalone_document(kind: str, released: ClearanceView) -> None:
    html = render_notice(kind, released, issued_at=ISSUED)
    assert html.startswith("<!DOCTYPE html>")
    assert html.rstrip().endswith("</html>")
    assert "<style>" in html
    # Offline: nothing loaded from anywhere else.
    for external in ("<script", "<link", "http://", "https://", "@import", "url("):
        assert external not in html
    assert released.mrn in html and released.lrn in html


def test_release_notice_carries_what_ie529_carries(released: ClearanceView) -> None:
    html = render_notice("release-notice", released, issued_at=ISSUED)
    d = released.declaration
    assert "Release for export" in html
    for text in (
        released.mrn,
        d.lrn,
        d.declarant.name,
        d.declarant.eori,
        d.exporter.name,
        d.exporter.eori,
        "Hikari Precision Instruments K.K.",
        "Tohoku Institute of Photonics",
        d.office_of_export,
        d.office_of_exit,
        "NH0210",
        "90138000",
        "85444290",
        "6A003",
        "DE-DU-2026-00981",
        "42 kg",
        "55 kg",
        "96,000.00 EUR",
        "1,840.00 EUR",
        "97,840.00 EUR",
        "40 pcs",
    ):
        assert text in html, text
    # Decisions with their actors and reasons, the lane, the SOP that ran, the issue time in UTC.
    for text in ("supervisor.kaya", "Licence covers the consignment.", "eco.brandt", "false positive"):
        assert text in html, text
    assert "lane-red" in html
    assert "export-clearance" in html and "version <strong>1</strong>" in html and SOP.hash[:12] in html
    assert "2026-03-09T14:02:31Z" in html
    # Timeline: each stage with start and end, RFC 3339 UTC.
    assert "2026-03-09T08:15:00Z" in html and "2026-03-09T11:55:00Z" in html
    assert "Joint inspection" in html and "2 h 49 min" in html


def test_issue_time_is_rendered_in_utc(released: ClearanceView) -> None:
    berlin = ISSUED.astimezone(ZoneInfo("Europe/Berlin"))
    html = render_notice("release-notice", released, issued_at=berlin)
    assert "2026-03-09T14:02:31Z" in html
    assert "+01:00" not in html


def test_markup_in_declared_text_is_shown_not_run() -> None:
    data = json.loads(EXAMPLE.read_text())
    data["goods_items"][0]["description"] = "<script>alert('x')</script> camera cores"
    data["consignee"]["name"] = 'Evil "Corp" <img src=x onerror=alert(1)>'
    view = _view(Declaration.model_validate_json(json.dumps(data)))
    for kind in NOTICE_KINDS:
        html = render_notice(kind, view, issued_at=ISSUED)
        assert "<script" not in html
        assert "<img" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; camera cores" in html
        assert "Evil &#34;Corp&#34; &lt;img src=x onerror=alert(1)&gt;" in html


def test_referral_notice_is_a_dossier(released: ClearanceView) -> None:
    screening = released.screening
    assert screening is not None
    consignee = screening.parties[1].model_copy(update={"status": "confirmed_match"})
    view = released.model_copy(
        update={
            "outcome": Outcome.referred,
            "screening": ScreeningResult(parties=[screening.parties[0], consignee, *screening.parties[2:]]),
            "inspection": InspectionResult(
                outcome="non_compliant",
                findings=[
                    AgencyFinding(
                        agency="customs",
                        task_id="T-0002",
                        outcome="non_compliant",
                        reason="Twelve cores carry serial numbers not in the licence annex.",
                        findings={"discrepancy": "serials 6A-0441..0452"},
                        completed_by="inspector.weber",
                        completed_at=T0 + timedelta(hours=3),
                    ),
                ],
            ),
            "decisions": [
                Decision(
                    at=T0 + timedelta(minutes=50),
                    stage="screening",
                    kind="screening_review",
                    outcome="confirmed_match",
                    actor="eco.brandt",
                    reason="Same address as the listed entity's Tokyo branch.",
                    task_id="T-0001",
                ),
            ],
        }
    )
    html = render_notice("referral-notice", view, issued_at=ISSUED)
    assert "Referral to enforcement" in html
    assert "Reasons for referral" in html
    assert "Confirmed restricted-party match: Consignee" in html
    # The screening match in full: list, entry, listed name, alias, score.
    for text in ("EU-FSF", "EU.4471.88", "HIKARI TRADING LLC", "Hikari Precision Trading", "89.4", "RUSSIA-EO14024"):
        assert text in html, text
    # Licence findings and per-agency inspection findings.
    assert "DE-DU-2026-00981" in html and "covered" in html
    assert "Twelve cores carry serial numbers not in the licence annex." in html
    assert "serials 6A-0441..0452" in html and "inspector.weber" in html
    assert "Same address as the listed entity&#39;s Tokyo branch." in html
    assert "confirmed match" in html


def test_not_released_notice_gives_each_reason() -> None:
    declaration = _declaration(
        country_of_destination="RU",
        consignee={
            "name": "Volga Optics OOO",
            "address": {"city": "Kazan", "country": "RU"},
        },
    )
    view = _view(
        declaration,
        outcome=Outcome.not_released,
        lane=None,
        lane_reason=None,
        inspection=None,
        licences=LicenceCheckResult(
            embargoed=True,
            embargo_reason="RU: Council Regulation (EU) No 833/2014, Article 2",
            items=[
                ItemLicence(
                    sequence=1,
                    commodity_code="90138000",
                    control_code="6A003",
                    control_source="declared",
                    status="no_licence",
                    reason="DE-DU-2026-00981 does not cover destination RU",
                )
            ],
        ),
        decisions=[
            Decision(
                at=T0 + timedelta(hours=1),
                stage="approval",
                kind="approval",
                outcome="reject",
                actor="supervisor.kaya",
                reason="Licence conditions breached.",
            )
        ],
    )
    html = render_notice("not-released-notice", view, issued_at=ISSUED)
    assert "Not released for export" in html
    assert "Embargoed destination: RU: Council Regulation (EU) No 833/2014, Article 2." in html
    assert "No valid licence for goods item 1 (control code 6A003)" in html
    assert "does not cover destination RU" in html
    assert "Supervisor rejected the clearance by supervisor.kaya: Licence conditions breached." in html
    assert "not assigned" in html  # no lane was given


def test_invalidation_notice_says_who_when_and_why(released: ClearanceView) -> None:
    at = T0 + timedelta(minutes=20)
    view = released.model_copy(
        update={
            "status": Status.invalidated,
            "outcome": Outcome.invalidated,
            "inspection": None,
            "decisions": [
                Decision(
                    at=at,
                    stage="screening",
                    kind="invalidation",
                    outcome="invalidated",
                    actor="DE123456789012345",
                    reason="Shipment cancelled by the consignee; a new declaration follows.",
                )
            ],
        }
    )
    html = render_notice("invalidation-notice", view, issued_at=ISSUED)
    assert "Declaration invalidated" in html
    assert "2026-03-09T08:35:00Z" in html
    assert "DE123456789012345" in html
    assert "Shipment cancelled by the consignee; a new declaration follows." in html


# --- notices of real clearances: lodged over HTTP, run by the worker on the dev server ---------------------

LITERALS = re.compile(r"\[\{'|': |\bTrue\b|\bFalse\b|\bNone\b|\[\]")


def visible_text(page: str) -> str:
    """What a reader sees: the body without markup, styles or comments, whitespace collapsed."""
    body = re.sub(r"<style>.*?</style>|<!--.*?-->", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))).strip()


def assert_readable(text: str) -> None:
    found = LITERALS.search(text)
    assert found is None, f"a Python value on the page: …{text[max(found.start() - 80, 0) : found.end() + 80]}…"


@dataclass
class Clearances:
    """An app whose SOP allows counted quantities 2 % off the declared, on the shared worker and database."""

    stack: Stack
    http: httpx.AsyncClient

    async def lodge(self, body: dict[str, Any]) -> str:
        response = await self.http.post("/v1/declarations", json=body, headers=self.stack.auth("declarant"))
        assert response.status_code == 202, response.text
        return str(response.json()["mrn"])

    async def licensed(self) -> tuple[str, str]:
        reference = new_licence_reference()
        created = await self.http.post(
            "/v1/licences", json=licence_body(reference), headers=self.stack.auth("export_control_officer")
        )
        assert created.status_code == 201, created.text
        mrn = await self.lodge(with_licence_document(example("dual-use-licensed"), reference))
        await wait_for(self.stack, mrn, awaiting("inspection_findings"))
        return mrn, reference

    async def inspect(
        self, mrn: str, who: str, outcome: str, reason: str, findings: dict[str, Any], *, confirm: bool = False
    ) -> None:
        [task] = await open_tasks(self.stack, who, mrn, "inspection_findings")
        await finish_task(self.stack, who, task["id"], outcome, reason, findings, confirm_deviation=confirm)

    async def notice(self, mrn: str, kind: str) -> str:
        view = await wait_for(self.stack, mrn, completed)
        assert {"kind": kind, "href": f"/v1/clearances/{mrn}/documents/{kind}"} in view["documents"]
        response = await self.http.get(f"/v1/clearances/{mrn}/documents/{kind}", headers=self.stack.auth("declarant"))
        assert response.status_code == 200, response.text
        return response.text


@pytest.fixture(scope="module")
async def clearances(stack: Stack) -> AsyncIterator[Clearances]:
    name = f"docs-{uuid.uuid4().hex[:6]}"
    data = sop_data(name=name)
    next(s for s in data["steps"] if s["kind"] == "inspection")["quantity_tolerance_pct"] = 2
    author = {**stack.auth("sop_author"), "Content-Type": "application/json"}
    assert (await stack.http.post("/v1/sops", content=json.dumps(data), headers=author)).status_code == 201
    app = create_app(stack.settings.model_copy(update={"sop_name": name}), temporal=stack.client, db=stack.db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield Clearances(stack, http)


@pytest.mark.e2e
async def test_a_count_beyond_the_tolerance_is_the_reason_of_the_referral(clearances: Clearances) -> None:
    mrn, reference = await clearances.licensed()
    # Neither officer says whether the seals were checked: that is unknown, not "no".
    # The inspector records the count as compliant and confirms the deviation the form warns about.
    await clearances.inspect(
        mrn,
        "inspector",
        "compliant",
        "Counted on the pallet",
        {"counts": [{"item_sequence": 1, "counted": 2}]},
        confirm=True,
    )
    await clearances.inspect(mrn, "export_control_officer", "compliant", "Serials match", {"evidence": ["photo-118"]})
    page = await clearances.notice(mrn, "referral-notice")
    text = visible_text(page)
    assert_readable(text)
    assert "No adverse finding" not in text
    assert (
        "Quantity beyond the SOP's 2 % tolerance: Customs counted 2 pcs of goods item 1, 40 pcs declared (95.0 % off)."
        in text
    )
    # The findings as a table: the count beside the declared quantity, the deviation, the verdict.
    assert "2 pcs 40 pcs 95.0 % beyond tolerance" in text
    assert "Seals not recorded" in text and "Evidence photo-118" in text
    # The depletion is shown as it stands: given back to the licence, with the real reason.
    assert "Depletion of 40 pcs" in text and "restored to the licence" in text
    assert "Depleted 40 pcs" not in text
    licence = (await clearances.http.get(f"/v1/licences/{reference}", headers=clearances.stack.auth("auditor"))).json()
    [depletion] = licence["depletions"]
    assert depletion["restore_reason"] == (
        "referred: joint inspection non-compliant: customs counted item 1: 2 counted, 40 declared, 95.0 % off, "
        "beyond the 2 % tolerance"
    )
    assert depletion["restore_reason"].capitalize()[:40] in text
    view = await clearance(clearances.stack, mrn)
    assert view["outcome_reason"] == depletion["restore_reason"].removeprefix("referred: ")
    [check] = view["inspection"]["quantity_checks"]
    assert check == {
        "agency": "customs",
        "item_sequence": 1,
        "counted": "2",
        "declared": "40",
        "deviation_pct": "95.0",
        "tolerance_pct": 2.0,
        "beyond_tolerance": True,
    }
    # Tri-state through the API: the officer said nothing about seals, so there is no `false` either.
    customs = next(f for f in view["inspection"]["findings"] if f["agency"] == "customs")
    assert customs["findings"].get("seals_checked") is None


@pytest.mark.e2e
async def test_a_non_compliant_finding_is_the_reason_of_the_referral(clearances: Clearances) -> None:
    mrn, _ = await clearances.licensed()
    findings = {
        "seals_checked": False,
        "discrepancies": [{"item_sequence": 1, "kind": "quantity", "declared": "40", "found": "48"}],
    }
    await clearances.inspect(mrn, "inspector", "non_compliant", "48 pcs found, 40 declared", findings)
    await clearances.inspect(
        mrn, "export_control_officer", "compliant", "Licence annex matches", {"evidence": ["annex-scan-7"]}
    )
    text = visible_text(await clearances.notice(mrn, "referral-notice"))
    assert_readable(text)
    assert "Inspection by Customs found the goods non-compliant (inspector): 48 pcs found, 40 declared" in text
    assert "Seals not checked" in text
    assert "1 quantity 40 48 —" in text  # the discrepancy row: item, kind, declared, found, note
    assert "Evidence annex-scan-7" in text  # the export-control officer's findings, as a table too


@pytest.mark.e2e
async def test_the_release_notice_says_what_the_release_rests_on(clearances: Clearances) -> None:
    mrn, reference = await clearances.licensed()
    await clearances.inspect(
        mrn,
        "inspector",
        "compliant",
        "Seals intact",
        {"seals_checked": True, "seal_numbers": ["DE-4471"], "counts": [{"item_sequence": 1, "counted": 40}]},
    )
    counted = {"counts": [{"item_sequence": 1, "counted": "39.5"}]}
    await clearances.inspect(mrn, "export_control_officer", "compliant", "Half a core short", counted)
    await wait_for(clearances.stack, mrn, awaiting("approval"))
    [approval] = await open_tasks(clearances.stack, "supervisor", mrn, "approval")
    await finish_task(clearances.stack, "supervisor", approval["id"], "approve", "Licence covers the goods")
    page = await clearances.notice(mrn, "release-notice")
    text = visible_text(page)
    assert_readable(text)
    assert "Grounds for release" in text
    assert "Red lane: Dual-use goods under licence are inspected jointly by customs and export control. " in text
    assert f"goods item 1 (6A003) covered by licence {reference}" in text
    assert (
        "Joint inspection: compliant; Export control counted item 1: 39.5 counted, 40 declared, 1.2 % off, "
        "within the 2 % tolerance." in text
    )
    assert "Supervisor approval by supervisor: approve, Licence covers the goods." in text
    assert "Seals checked · DE-4471" in text and "40 pcs 40 pcs 0.0 % as declared" in text
    assert "Depleted 40 pcs" in text and "restored" not in text


@pytest.mark.e2e
async def test_the_not_released_notice_names_the_missing_licence(clearances: Clearances) -> None:
    body = example("dual-use-licensed")
    body["goods_items"][0]["documents"] = []
    body["exporter"]["eori"] = "DE000000000000404"  # holds no licence
    mrn = await clearances.lodge(body)
    text = visible_text(await clearances.notice(mrn, "not-released-notice"))
    assert_readable(text)
    assert "No valid licence for goods item 1 (control code 6A003)" in text
    assert "No adverse finding" not in text


@pytest.mark.e2e
async def test_the_invalidation_notice_gives_the_reason_and_the_restored_depletion(clearances: Clearances) -> None:
    mrn, _ = await clearances.licensed()
    response = await clearances.http.post(
        f"/v1/clearances/{mrn}/invalidation",
        json={"reason": "Order cancelled by the consignee"},
        headers=clearances.stack.auth("declarant"),
    )
    assert response.status_code == 200, response.text
    text = visible_text(await clearances.notice(mrn, "invalidation-notice"))
    assert_readable(text)
    assert "Reason given Order cancelled by the consignee" in text
    assert "Depletion of 40 pcs" in text and "restored to the licence" in text
    view = await clearance(clearances.stack, mrn)
    assert view["licences"]["items"][0]["restore_reason"] == "invalidated: Order cancelled by the consignee"
