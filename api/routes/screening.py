"""Restricted-party lists (import in Consolidated Screening List JSON or CSV) and ad-hoc screening checks."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.datastructures import UploadFile

from api import rescreen
from api.deps import OFFICER_ROLES, CurrentPrincipal, ServicesDep, require_role
from api.errors import ApiError, invalid
from domain.declaration import CountryCode
from screening.lists import ListFormatError, parse_csl
from store import screening_lists

router = APIRouter(prefix="/v1", tags=["screening"])
LIST_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    country: CountryCode | None = None
    min_score: float = Field(default=80.0, ge=50, le=100)
    limit: int = Field(default=10, ge=1, le=50)


IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "description": 'CSL JSON: {"results": [...]}'}},
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    }
}


async def _upload(request: Request) -> tuple[bytes, str | None, str | None]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = next((v for v in form.values() if isinstance(v, UploadFile)), None)
        if upload is None:
            raise invalid(["body", "file"], "attach the list file as a form field named 'file'")
        return await upload.read(), upload.filename, upload.content_type
    return await request.body(), None, content_type or None


@router.post(
    "/screening-lists/{list_name}/import",
    openapi_extra=IMPORT_BODY,
    summary="Replace a restricted-party list atomically with a CSL JSON or CSV file",
)
async def import_list(
    list_name: str, request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    require_role(principal, "export_control_officer", "admin")
    if not LIST_NAME.match(list_name):
        raise invalid(["path", "list"], "list names are 2-63 lowercase letters, digits and hyphens")
    content, filename, content_type = await _upload(request)
    if not content.strip():
        raise invalid(["body"], "the list file is empty")
    try:
        parsed = parse_csl(content, list_name=list_name, filename=filename, content_type=content_type)
    except ListFormatError as exc:
        raise invalid(["body"], str(exc)) from exc
    if not parsed.entries:
        raise invalid(["body"], "no valid entries in the file; the list was left unchanged")
    async with services.db.writer() as session:
        result = await screening_lists.replace_list(session, name=list_name, entries=parsed.entries, by=principal.id)
    services.screening.invalidate()
    await rescreen.after_import(services, result)
    return {
        "list": list_name,
        "revision": result.revision,
        "imported": result.imported,
        "updated": result.updated,
        "removed": result.removed,
        "changed": len(result.changed),
        "rejected": [r.model_dump() for r in parsed.rejected],
    }


@router.get("/screening-lists", summary="Imported lists with their revision and size")
async def get_lists(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    require_role(principal, *OFFICER_ROLES, "auditor", "admin")
    async with services.db.session() as session:
        rows = await screening_lists.lists(session)
    return {
        "items": [
            {
                "list": r.name,
                "entries": r.entry_count,
                "revision": r.revision,
                "imported_at": r.imported_at,
                "imported_by": r.imported_by,
            }
            for r in rows
        ]
    }


@router.post("/screening/check", summary="Screen one name against every imported list, best match first")
async def check(body: CheckRequest, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    require_role(principal, *OFFICER_ROLES, "admin")
    try:
        index = await services.screening.index()
    except Exception as exc:  # pragma: no cover - store down
        raise ApiError(503, "screening lists unavailable") from exc
    matches = index.search(body.name, body.country, limit=body.limit, min_score=body.min_score)
    return {"matches": [m.model_dump() for m in matches]}
