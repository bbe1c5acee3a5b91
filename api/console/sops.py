"""The SOP catalogue and each version's document (rendered from the definition that runs), under the console's
cookie session, through the SOP routes of the JSON API."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console.web import Officer, console_router, render
from api.deps import ServicesDep
from api.routes import sops as sop_routes

router = console_router()


@router.get("/sops")
async def catalogue(request: Request, officer: Officer, services: ServicesDep) -> HTMLResponse:
    async with services.db.session() as session:
        sops = await sop_routes.list_sops(officer, session)
    return render(request, "sops.html.j2", sops=sops)


@router.get("/sops/{name}/{version}")
async def document(name: str, version: int, officer: Officer, services: ServicesDep) -> HTMLResponse:
    async with services.db.session() as session:
        return await sop_routes.get_document(name, version, officer, session)
