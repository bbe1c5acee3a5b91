"""The SOP catalogue and each version's document (rendered from the definition that runs), under the console's
cookie session, through the SOP service the JSON API uses. The document is shown inside the console's layout, with
its navigation; the standalone page (for printing and archiving) is one link away."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console.web import Officer, console_router, render
from api.deps import ServicesDep
from api.errors import not_found
from api.service import sops as sop_service
from sop.document import render_sop_embedded
from store import sops as sop_store

router = console_router()


@router.get("/sops")
async def catalogue(request: Request, officer: Officer, services: ServicesDep) -> HTMLResponse:
    async with services.db.session() as session:
        sops = await sop_service.catalogue(session=session, principal=officer)
    return render(request, "sops.html.j2", sops=[entry.model_dump() for entry in sops])


@router.get("/sops/{name}/{version}")
async def document(request: Request, name: str, version: int, officer: Officer, services: ServicesDep) -> HTMLResponse:
    async with services.db.session() as session:
        published = await sop_store.get(session, name, version)
    if published is None:
        raise not_found(f"SOP {name} version {version}")
    return render(
        request,
        "sop.html.j2",
        ref=published.ref,
        title=published.definition.title,
        document=render_sop_embedded(published),
    )


@router.get("/sops/{name}/{version}/document")
async def standalone(name: str, version: int, officer: Officer, services: ServicesDep) -> HTMLResponse:
    """The standalone document, as GET /v1/sops/{name}/versions/{version}/document serves it."""
    async with services.db.session() as session:
        html = await sop_service.document(session=session, principal=officer, name=name, version=version)
    return HTMLResponse(html)
