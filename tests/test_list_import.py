"""List imports at real size through the HTTP app, and screening consistent with the lists at acceptance."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.screening import EmbeddedScreeningService, ListsBehind
from api.main import create_app
from screening.lists import ListEntry
from settings import Settings
from store import principals, screening_lists
from store.db import Database
from tests.conftest import Stack
from tests.e2e import awaiting, lodge, wait_for
from tests.support import PRINCIPALS, example

SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "zu",
    "tel",
    "var",
    "osh",
    "pen",
    "dri",
    "lok",
    "sa",
    "ne",
    "vu",
    "gar",
    "tin",
    "bel",
    "qua",
    "yor",
    "fex",
    "mud",
]


def invented_name(rng: random.Random) -> str:
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(3)).title() for _ in range(3)) + " Trading"


def csl_document(count: int, *, seed: int = 7, prefix: str = "x") -> bytes:
    rng = random.Random(seed)
    results = [
        {
            "id": f"{prefix}-{i}",
            "name": invented_name(rng),
            "alt_names": [invented_name(rng)],
            "addresses": [{"address": f"{i} Quay", "city": "Port", "country": rng.choice(["RU", "IR", "AE", "CN"])}],
            "programs": ["EL"],
            "source": "Entity List (EL) - Bureau of Industry and Security",
            "type": "Entity",
            "remarks": "x" * 60,
        }
        for i in range(count)
    ]
    return json.dumps({"total": count, "results": results}).encode()


async def chunks(content: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    """A body sent in chunks without a Content-Length, as a streaming client sends it."""
    for start in range(0, len(content), size):
        yield content[start : start + size]


@pytest.fixture(scope="module")
async def import_app(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], Database]]:
    """The API alone on its own database, with an 8 MiB list-import limit (the 1 MiB body limit elsewhere)."""
    tmp = tmp_path_factory.mktemp("imports")
    db = Database(f"sqlite+aiosqlite:///{tmp / 'imports.db'}")
    await db.init()
    headers: dict[str, str] = {}
    async with db.session() as session:
        for pid in ("export_control_officer", "customs_officer", "declarant"):
            roles, agency, eori = PRINCIPALS[pid]
            await principals.upsert_principal(session, id=pid, name=pid, agency=agency, roles=roles, eori=eori)
            headers[pid] = f"Bearer {await principals.issue_token(session, principal_id=pid)}"
    settings = Settings(environment="test", data_dir=Path(tmp), max_list_import_bytes=8 * 1_048_576)
    app = create_app(settings, temporal=temporal_env.client, db=db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http, headers, db
    await db.dispose()


async def list_state(http: httpx.AsyncClient, headers: dict[str, str], name: str) -> dict[str, object] | None:
    items = (await http.get("/v1/screening-lists", headers={"Authorization": headers["customs_officer"]})).json()
    return next((i for i in items["items"] if i["list"] == name), None)


async def test_a_multi_megabyte_list_streams_in_above_the_general_body_limit(
    import_app: tuple[httpx.AsyncClient, dict[str, str], Database],
) -> None:
    http, headers, db = import_app
    content = csl_document(12_000)
    assert 3_000_000 < len(content) < 8 * 1_048_576  # well above MAX_BODY_BYTES (1 MiB)
    officer = {"Authorization": headers["export_control_officer"], "Content-Type": "application/json"}
    response = await http.post("/v1/screening-lists/big-list/import", content=chunks(content), headers=officer)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["imported"], answer["updated"], answer["rejected"]) == (12_000, 0, [])
    async with db.session() as session:
        revision, texts = await screening_lists.list_snapshot(session, "big-list")
    assert revision == answer["revision"] and len(texts) == 12_000
    # the importing process indexes the list it just imported; a check asking for that revision gets it
    first = json.loads(content)["results"][5]
    check = await http.post(
        "/v1/screening/check",
        json={"name": first["name"], "list_revisions": {"big-list": revision}},
        headers={"Authorization": headers["customs_officer"]},
    )
    assert check.status_code == 200, check.text
    assert check.json()["matches"][0]["entry_id"] == "x-5" and check.json()["list_revisions"]["big-list"] == revision
    # the same file again: nothing new, nothing changed
    again = await http.post("/v1/screening-lists/big-list/import", content=content, headers=officer)
    assert (again.json()["imported"], again.json()["updated"], again.json()["changed"]) == (0, 12_000, 0)


async def test_a_file_above_the_list_limit_is_413_and_the_declaration_limit_still_applies(
    import_app: tuple[httpx.AsyncClient, dict[str, str], Database],
) -> None:
    http, headers, _ = import_app
    officer = {"Authorization": headers["export_control_officer"], "Content-Type": "application/json"}
    ok = await http.post("/v1/screening-lists/limit-list/import", content=csl_document(10, seed=1), headers=officer)
    assert ok.status_code == 200
    before = await list_state(http, headers, "limit-list")
    huge = csl_document(40_000, seed=2)
    assert len(huge) > 8 * 1_048_576
    declared = await http.post("/v1/screening-lists/limit-list/import", content=huge, headers=officer)
    chunked = await http.post("/v1/screening-lists/limit-list/import", content=chunks(huge), headers=officer)
    assert (declared.status_code, chunked.status_code) == (413, 413)
    assert "8388608" in declared.json()["detail"]
    assert await list_state(http, headers, "limit-list") == before
    declaration = await http.post(
        "/v1/declarations",
        content=b" " * 2_000_000,
        headers={"Authorization": headers["declarant"], "Content-Type": "application/json"},
    )
    assert declaration.status_code == 413


@pytest.mark.parametrize(
    ("content", "content_type", "status", "message"),
    [
        (b"", "application/json", 422, "empty"),
        (b'{"sources": [], "total": 0}', "application/json", 422, "results"),
        (b"[" * 50_000 + b"]" * 50_000, "application/json", 422, "nested too deeply"),
        (b'{"results": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "application/json", 422, "nested too deeply"),
        (b'{"results": [{"id": "a", "name": "Cut Off', "application/json", 422, "JSON"),
        (b'{"results": [{"id": "a", "name": "Ok Ltd"}]} {"again": 1}', "application/json", 422, "extra data"),
        (b"id,title\n1,Director\n", "text/csv", 422, "name"),
        (b"<list><entry/></list>", "application/xml", 415, "text/csv"),
        (b"\x89PNG\r\n", "image/png", 415, "image/png"),
    ],
)
async def test_broken_files_are_refused_clearly_and_leave_the_list_as_it_was(
    import_app: tuple[httpx.AsyncClient, dict[str, str], Database],
    content: bytes,
    content_type: str,
    status: int,
    message: str,
) -> None:
    http, headers, _ = import_app
    officer = {"Authorization": headers["export_control_officer"]}
    name = "kept-list"
    if await list_state(http, headers, name) is None:
        good = await http.post(
            f"/v1/screening-lists/{name}/import",
            content=csl_document(3, seed=3),
            headers={**officer, "Content-Type": "application/json"},
        )
        assert good.status_code == 200
    before = await list_state(http, headers, name)
    response = await http.post(
        f"/v1/screening-lists/{name}/import", content=content, headers={**officer, "Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    assert message in response.text
    assert await list_state(http, headers, name) == before


async def test_a_multipart_upload_imports_too(import_app: tuple[httpx.AsyncClient, dict[str, str], Database]) -> None:
    http, headers, _ = import_app
    response = await http.post(
        "/v1/screening-lists/form-list/import",
        files={"file": ("consolidated.json", csl_document(2_000, seed=4), "application/json")},
        headers={"Authorization": headers["export_control_officer"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 2_000


# --- consistency at acceptance ---------------------------------------------------------------------------


def entry(list_name: str, entry_id: str, name: str) -> ListEntry:
    return ListEntry(list=list_name, entry_id=entry_id, name=name, countries=["RU"], programs=["EL"], source="t")


async def test_an_entry_imported_just_before_a_declaration_is_always_applied(stack: Stack) -> None:
    """API and worker each hold their own screening service (as two processes would); the worker's index is warm
    and recent, the declaration is lodged right after the import, without a pause."""
    warm = await lodge(stack, example("green-lane"))
    await wait_for(stack, warm["mrn"], lambda v: v["screening"] is not None)
    name = f"fresh-{uuid.uuid4().hex[:6]}"
    party = invented_name(random.Random(uuid.uuid4().int)).replace("Trading", "Instruments")
    csv = f'_id,name,addresses,programs\nf-1,{party},"1 Quay, RU",EL\n'
    imported = await stack.http.post(
        f"/v1/screening-lists/{name}/import",
        content=csv.encode(),
        headers={**stack.auth("export_control_officer"), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    body = example("green-lane")
    body["consignee"] = {"name": party, "address": {"city": "Moscow", "country": "RU"}}
    mrn = (await lodge(stack, body))["mrn"]
    view = await wait_for(stack, mrn, awaiting("screening_review"))
    consignee = next(p for p in view["screening"]["parties"] if p["role"] == "consignee")
    assert consignee["status"] == "possible_match" and consignee["matches"][0]["list"] == name
    assert view["screening"]["list_revisions"][name] == imported.json()["revision"]
    audit = (await stack.http.get(f"/v1/clearances/{mrn}/audit", headers=stack.auth("auditor"))).json()
    screened = next(e for e in audit["events"] if e["kind"] == "screened")
    assert screened["detail"]["list_revisions"][name] == imported.json()["revision"]


async def test_a_build_for_one_list_does_not_stall_screening_against_the_others(store_db: Database) -> None:
    small, big = f"small-{uuid.uuid4().hex[:6]}", f"big-{uuid.uuid4().hex[:6]}"
    rng = random.Random(11)
    async with store_db.writer() as session:
        first = await screening_lists.replace_list(
            session, name=small, entries=[entry(small, "s-1", "Ozzelmir Vantrax Avionics")], by="t"
        )
    worker = EmbeddedScreeningService(store_db)  # another process's view of the same database
    assert (await worker.check("Ozzelmir Vantrax", None, min_score=88, list_revisions={small: first.revision})).matches
    async with store_db.writer() as session:
        second = await screening_lists.replace_list(
            session, name=big, entries=[entry(big, f"b-{i}", invented_name(rng)) for i in range(15_000)], by="t"
        )
    catch_ups = [asyncio.create_task(worker.indexes({big: second.revision})) for _ in range(5)]
    screened = await worker.check("Ozzelmir Vantrax", None, min_score=88, list_revisions={small: first.revision})
    assert screened.matches[0].entry_id == "s-1"
    assert not any(t.done() for t in catch_ups), "screening on held revisions waited for another list's build"
    results = await asyncio.gather(*catch_ups)
    assert all(r is results[0] for r in results), "concurrent callers share one build"
    assert results[0].revisions[big] == second.revision and results[0].revisions[small] == first.revision
    with pytest.raises(ListsBehind):
        await worker.indexes({small: second.revision + 100})
