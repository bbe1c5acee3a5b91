"""The SOP catalogue: versions, their definitions and rendered documents; publishing a new version. Thin: parse, call
`api.service.sops`, serialise."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import CurrentPrincipal, ServicesDep, SessionDep
from api.responses import JSONResponse
from api.service import sops as service

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
async def list_sops(principal: CurrentPrincipal, session: SessionDep) -> list[dict[str, Any]]:
    return [entry.model_dump() for entry in await service.catalogue(session=session, principal=principal)]


@router.post(
    "",
    status_code=201,
    openapi_extra=PUBLISH_BODY,
    summary="Publish a new SOP version (YAML or JSON); published versions are immutable",
)
async def publish(request: Request, principal: CurrentPrincipal, services: ServicesDep) -> JSONResponse:
    document = await request.body()  # read before the writer is taken: a slow upload holds no one's writes up
    try:
        async with services.db.writer() as session:
            published, created = await service.publish(session=session, principal=principal, document=document)
    except service.Invalid as exc:
        return JSONResponse(status_code=422, content={"detail": "the SOP is not valid", "errors": exc.errors})
    body = {
        "name": published.ref.name,
        "version": published.ref.version,
        "hash": published.ref.hash,
        "published_at": published.published_at.isoformat(),
        "links": {"self": f"/v1/sops/{published.ref.name}/versions/{published.ref.version}"},
    }
    return JSONResponse(status_code=201 if created else 200, content=body)


@router.get("/{name}/versions/{version}", summary="The SOP definition as JSON (hash in the ETag header)")
async def get_version(name: str, version: int, principal: CurrentPrincipal, session: SessionDep) -> JSONResponse:
    published = await service.get_version(session=session, principal=principal, name=name, version=version)
    return JSONResponse(
        published.definition.model_dump(mode="json"),
        headers={"ETag": f'"{published.ref.hash}"', "X-Sop-Hash": published.ref.hash},
    )


@router.get(
    "/{name}/versions/{version}/document",
    response_class=HTMLResponse,
    summary="The SOP document with its flow diagram, rendered from the definition that runs",
)
async def get_document(name: str, version: int, principal: CurrentPrincipal, session: SessionDep) -> HTMLResponse:
    return HTMLResponse(await service.document(session=session, principal=principal, name=name, version=version))
