"""Known false positives: recorded per party and list entry, suppressing that match in screening until the entry or
the party changes, the finding expires or is revoked; through the store (SQLite and PostgreSQL) and the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from screening.lists import ListEntry
from store import false_positives, screening_lists
from store.db import Database
from tests.conftest import Stack
from tests.e2e import awaiting, completed, lodge, open_tasks, wait_for
from tests.support import example


def entry(list_name: str, entry_id: str, name: str, remarks: str | None = None) -> ListEntry:
    return ListEntry(
        list=list_name, entry_id=entry_id, name=name, countries=["AE"], programs=["EL"], source="t", remarks=remarks
    )


async def test_the_register_suppresses_until_the_entry_or_party_changes_or_it_expires_or_is_revoked(
    store_db: Database,
) -> None:
    name = f"fp-{uuid.uuid4().hex[:6]}"
    async with store_db.writer() as s:
        await screening_lists.replace_list(s, name=name, entries=[entry(name, "e-1", "Harbour Star Trading")], by="t")
    pair = [(name, "e-1")]

    async def suppressed(party: str = "Harbour Star Trading LLC", country: str | None = "AE", **kw: object) -> bool:
        async with store_db.session() as s:
            found = await false_positives.suppressions(
                s,
                agency="A",
                party_name=party,
                party_country=country,
                entries=pair,
                **kw,  # type: ignore[arg-type]
            )
        return (name, "e-1") in found

    async with store_db.writer() as s:
        with pytest.raises(false_positives.EntryNotListed):
            await false_positives.create(
                s, agency="A", list_name=name, entry_id="nope", party_name="X", party_country=None,
                reason="r", expires_at=None, by="officer",
            )  # fmt: skip
        record = await false_positives.create(
            s, agency="A", list_name=name, entry_id="e-1", party_name="Harbour Star Trading LLC",
            party_country="AE", reason="other trade licence", expires_at=datetime.now(UTC) + timedelta(days=30),
            by="officer",
        )  # fmt: skip
    assert await suppressed()
    assert await suppressed("HARBOUR STAR TRADING L.L.C.")  # written differently, the same normalised name
    assert not await suppressed("Harbour Star General Trading LLC")  # another name
    assert not await suppressed(country="OM")  # another country
    assert not await suppressed(country=None)
    assert not await suppressed(now=datetime.now(UTC) + timedelta(days=31))  # expired
    async with store_db.session() as s:
        assert not await false_positives.suppressions(
            s, agency="B", party_name="Harbour Star Trading LLC", party_country="AE", entries=pair
        )  # another agency's register

    # the same entry re-imported unchanged keeps it; changed, it voids it
    async with store_db.writer() as s:
        await screening_lists.replace_list(s, name=name, entries=[entry(name, "e-1", "Harbour Star Trading")], by="t")
    assert await suppressed()
    async with store_db.writer() as s:
        await screening_lists.replace_list(
            s, name=name, entries=[entry(name, "e-1", "Harbour Star Trading", remarks="new address")], by="t"
        )
    assert not await suppressed()
    async with store_db.session() as s:
        [listed] = await false_positives.registered(s, agency="A", list_name=name)
    assert (listed.record.id, listed.state) == (record.id, "void")

    async with store_db.writer() as s:
        again = await false_positives.create(
            s, agency="A", list_name=name, entry_id="e-1", party_name="Harbour Star Trading LLC",
            party_country="AE", reason="checked again", expires_at=None, by="officer",
        )  # fmt: skip
    assert await suppressed()
    async with store_db.writer() as s:
        current = await false_positives.get(s, again.id)
        assert current is not None
        await false_positives.revoke(s, record=current, by="supervisor", reason="new intelligence")
        with pytest.raises(false_positives.AlreadyRevoked):
            await false_positives.revoke(s, record=current, by="supervisor", reason="twice")
    assert not await suppressed()
    async with store_db.session() as s:
        states = {r.record.id: r.state for r in await false_positives.registered(s, agency="A", list_name=name)}
        [revoked] = await false_positives.registered(s, agency="A", list_name=name, state="revoked")
    assert states == {record.id: "void", again.id: "revoked"}
    assert (revoked.record.revoked_by, revoked.record.revoke_reason) == ("supervisor", "new intelligence")


async def test_an_officer_records_a_false_positive_and_the_party_is_not_reviewed_again(stack: Stack) -> None:
    name = f"fpl-{uuid.uuid4().hex[:6]}"
    party = f"Qorvanth Brelix {uuid.uuid4().hex[:4].upper()}x Shipping"
    officer = stack.auth("export_control_officer")
    imported = await stack.http.post(
        f"/v1/screening-lists/{name}/import",
        content=f'_id,name,addresses\nq-1,{party},"Port Road, AE"\n'.encode(),
        headers={**officer, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text

    def declaration() -> dict[str, object]:
        body = example("green-lane", country_of_destination="AE")
        body["consignee"] = {"name": party, "address": {"city": "Dubai", "country": "AE"}}
        return body

    first = await lodge(stack, declaration())
    await wait_for(stack, first["mrn"], awaiting("screening_review"))

    record = {"party": {"name": party, "country": "AE"}, "list": name, "entry_id": "q-1", "reason": "other company"}
    for who, status in (("declarant", 403), ("inspector", 403)):
        assert (
            await stack.http.post("/v1/screening/false-positives", json=record, headers=stack.auth(who))
        ).status_code == status
    unknown = await stack.http.post(
        "/v1/screening/false-positives", json={**record, "entry_id": "q-9"}, headers=officer
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["body", "entry_id"]
    past = await stack.http.post(
        "/v1/screening/false-positives", json={**record, "expires_at": "2020-01-01T00:00:00Z"}, headers=officer
    )
    assert past.status_code == 422
    created = await stack.http.post("/v1/screening/false-positives", json=record, headers=officer)
    assert created.status_code == 201, created.text
    fp = created.json()
    assert (fp["state"], fp["created_by"], fp["party"]) == ("active", "export_control_officer", record["party"])

    second = await lodge(stack, declaration())
    view = await wait_for(stack, second["mrn"], completed)
    assert view["outcome"] == "released"
    consignee = next(p for p in view["screening"]["parties"] if p["role"] == "consignee")
    assert consignee["status"] == "clear" and consignee["matches"] == []
    assert consignee["suppressed"][0] | {"name": None, "score": None} == {
        "list": name, "entry_id": "q-1", "false_positive_id": fp["id"], "name": None, "score": None,
    }  # fmt: skip
    audit = (await stack.http.get(f"/v1/clearances/{second['mrn']}/audit", headers=stack.auth("auditor"))).json()
    screened = next(e for e in audit["events"] if e["kind"] == "screened")
    assert screened["detail"]["suppressed"] == [
        {"role": "consignee", "list": name, "entry_id": "q-1", "false_positive_id": fp["id"]}
    ]

    # the register is the export-control authority's (its officer recorded it): its readers list it
    listed = await stack.http.get(
        "/v1/screening/false-positives", params={"list": name, "active": "true"}, headers=officer
    )
    assert [i["id"] for i in listed.json()["items"]] == [fp["id"]]
    foreign = await stack.http.request(
        "DELETE",
        f"/v1/screening/false-positives/{fp['id']}",
        json={"reason": "x"},
        headers=stack.auth("foreign_officer"),
    )
    assert foreign.status_code == 404
    no_reason = await stack.http.request(
        "DELETE", f"/v1/screening/false-positives/{fp['id']}", json={}, headers=officer
    )
    assert no_reason.status_code == 422
    revoked = await stack.http.request(
        "DELETE",
        f"/v1/screening/false-positives/{fp['id']}",
        json={"reason": "new evidence"},
        headers=stack.auth("export_control_supervisor"),
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "export_control_supervisor"
    twice = await stack.http.request(
        "DELETE", f"/v1/screening/false-positives/{fp['id']}", json={"reason": "again"}, headers=officer
    )
    assert twice.status_code == 409
    one = await stack.http.get(f"/v1/screening/false-positives/{fp['id']}", headers=officer)
    assert (one.json()["state"], one.json()["revoke_reason"]) == ("revoked", "new evidence")

    third = await lodge(stack, declaration())
    await wait_for(stack, third["mrn"], awaiting("screening_review"))


async def test_the_console_records_from_a_review_lists_and_revokes(stack: Stack) -> None:
    name = f"fpc-{uuid.uuid4().hex[:6]}"
    party = f"Vendrako Plusquet {uuid.uuid4().hex[:4].upper()}z Logistics"
    officer = stack.auth("export_control_officer")
    imported = await stack.http.post(
        f"/v1/screening-lists/{name}/import",
        content=f'_id,name,addresses\nv-1,{party},"Quay 1, AE"\n'.encode(),
        headers={**officer, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200
    body = example("green-lane", country_of_destination="AE")
    body["consignee"] = {"name": party, "address": {"city": "Dubai", "country": "AE"}}
    mrn = (await lodge(stack, body))["mrn"]
    await wait_for(stack, mrn, awaiting("screening_review"))
    [review] = await open_tasks(stack, "export_control_officer", mrn, "screening_review")

    login = await stack.http.post("/console/login", data={"token": stack.tokens["export_control_officer"]})
    assert login.status_code == 303
    page = await stack.http.get(f"/console/tasks/{review['id']}")
    assert page.status_code == 200 and "Record as known false positive" in page.text
    form = {"party_name": party, "party_country": "AE", "list": name, "entry_id": "v-1"}
    refused = await stack.http.post("/console/screening/false-positives", data={**form, "reason": " "})
    assert refused.status_code == 422 and "reason" in refused.text
    recorded = await stack.http.post(
        "/console/screening/false-positives",
        data={**form, "reason": "other firm", "back": f"/console/tasks/{review['id']}"},
    )
    assert recorded.status_code == 303 and recorded.headers["location"] == f"/console/tasks/{review['id']}"
    listing = await stack.http.get("/console/screening/false-positives")
    assert party in listing.text and "other firm" in listing.text
    [fp] = (await stack.http.get("/v1/screening/false-positives", params={"list": name}, headers=officer)).json()[
        "items"
    ]
    revoked = await stack.http.post(f"/console/screening/false-positives/{fp['id']}/revoke", data={"reason": "wrong"})
    assert revoked.status_code == 303
    revoked_list = await stack.http.get("/console/screening/false-positives?state=revoked")
    assert party in revoked_list.text and "wrong" in revoked_list.text
    stack.http.cookies.clear()
