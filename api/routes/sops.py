"""The SOP catalogue: versions, their definitions and rendered documents; publishing a new version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import CurrentPrincipal, SessionDep, require_role
from api.errors import ApiError, not_found
from sop.catalogue import SopError, parse_document
from sop.document import render_sop_document
from store import sops as sop_store

router = APIRouter(prefix="/v1/sops", tags=["sops"])

PUBLISH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


@router.get("", summary="Every SOP with its published versions and the latest version")
async def list_sops(_: CurrentPrincipal, session: SessionDep) -> list[dict[str, Any]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in await sop_store.catalogue(session):
        grouped.setdefault(row.name, []).append(
            {
                "version": row.version,
                "hash": row.hash,
                "published_at": row.published_at,
                "title": row.definition["title"],
            }
        )
    return [
        {"name": name, "versions": versions, "latest": versions[-1]["version"]} for name, versions in grouped.items()
    ]


@router.post(
    "",
    status_code=201,
    openapi_extra=PUBLISH_BODY,
    summary="Publish a new SOP version (YAML or JSON); published versions are immutable",
)
async def publish(request: Request, principal: CurrentPrincipal, session: SessionDep) -> JSONResponse:
    require_role(principal, "sop_author")
    try:
        definition = parse_document(await request.body())
    except SopError as exc:
        errors = [{"loc": ["body", *e["loc"]], "msg": e["msg"]} for e in exc.errors]
        return JSONResponse(status_code=422, content={"detail": "the SOP is not valid", "errors": errors})
    try:
        published, created = await sop_store.publish(session, definition, by=principal.id)
    except sop_store.SopConflict as exc:
        raise ApiError(409, str(exc)) from exc
    body = {
        "name": published.ref.name,
        "version": published.ref.version,
        "hash": published.ref.hash,
        "published_at": published.published_at.isoformat(),
        "links": {"self": f"/v1/sops/{published.ref.name}/versions/{published.ref.version}"},
    }
    return JSONResponse(status_code=201 if created else 200, content=body)


async def _get(session: SessionDep, name: str, version: int) -> Any:
    published = await sop_store.get(session, name, version)
    if published is None:
        raise not_found(f"SOP {name} version {version}")
    return published


@router.get("/{name}/versions/{version}", summary="The SOP definition as JSON (hash in the ETag header)")
async def get_version(name: str, version: int, _: CurrentPrincipal, session: SessionDep) -> JSONResponse:
    published = await _get(session, name, version)
    return JSONResponse(
        published.definition.model_dump(mode="json"),
        headers={"ETag": f'"{published.ref.hash}"', "X-Sop-Hash": published.ref.hash},
    )


@router.get(
    "/{name}/versions/{version}/document",
    response_class=HTMLResponse,
    summary="The SOP document with its flow diagram, rendered from the definition that runs",
)
async def get_document(name: str, version: int, _: CurrentPrincipal, session: SessionDep) -> HTMLResponse:
    return HTMLResponse(render_sop_document(await _get(session, name, version)))
