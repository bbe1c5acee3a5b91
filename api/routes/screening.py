"""Restricted-party lists (import in Consolidated Screening List JSON or CSV) and ad-hoc screening checks."""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, BinaryIO

import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import UploadFile

from adapters.screening import ListsBehind
from api import errors, rescreen
from api.deps import CurrentPrincipal, ServicesDep
from api.errors import ApiError, invalid
from domain import policy
from domain.actions import LIST_NAME as LIST_NAME_PATTERN
from domain.actions import ListName
from domain.declaration import CountryCode
from screening.lists import ListFormatError, parse_csl_file
from store import screening_lists

router = APIRouter(prefix="/v1", tags=["screening"])
log = structlog.get_logger("api")
LIST_NAME = re.compile(LIST_NAME_PATTERN)


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    country: CountryCode | None = None
    min_score: float = Field(default=80.0, ge=50, le=100)
    limit: int = Field(default=10, ge=1, le=50)
    list_revisions: dict[ListName, Annotated[int, Field(ge=0)]] | None = Field(
        default=None, description="screen against at least these list revisions (the server catches up first)"
    )


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


# Media types a list file arrives as (browsers send CSV as text/plain or application/vnd.ms-excel); anything else
# is refused with 415 before the body is read.
LIST_MEDIA_TYPES = frozenset(
    {
        "",
        "application/json",
        "text/json",
        "text/csv",
        "text/plain",
        "text/tab-separated-values",
        "application/csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
        "multipart/form-data",
    }
)


@asynccontextmanager
async def _spooled(request: Request) -> AsyncIterator[tuple[BinaryIO, str | None, str | None]]:
    """The uploaded list file on disk (never whole in memory): a raw body is streamed to a temporary file; a
    multipart upload is spooled to disk by the form parser. Yields (file, filename, content type)."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in LIST_MEDIA_TYPES and not media_type.endswith("+json"):
        raise ApiError(
            415,
            f"a list file is CSL JSON (application/json) or CSV (text/csv), raw or as multipart/form-data; "
            f"not {media_type}",
        )
    if media_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=10) as form:
            upload = next((v for v in form.values() if isinstance(v, UploadFile)), None)
            if upload is None:
                raise invalid(["body", "file"], "attach the list file as a form field named 'file'")
            await upload.seek(0)
            yield upload.file, upload.filename, upload.content_type
        return
    with tempfile.TemporaryFile() as file:
        async for chunk in request.stream():
            file.write(chunk)
        file.seek(0)
        yield file, None, content_type or None


@router.post(
    "/screening-lists/{list_name}/import",
    openapi_extra=IMPORT_BODY,
    summary="Replace a restricted-party list atomically with a CSL JSON or CSV file",
    responses={
        413: {"description": "the file is larger than MAX_LIST_IMPORT_BYTES"},
        415: {"description": "not a JSON, CSV or multipart body"},
        422: {"description": "not a list (the message says why); the list was left unchanged"},
    },
)
async def import_list(
    list_name: str, request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    errors.check(policy.may_import_list(principal))
    if not LIST_NAME.match(list_name):
        raise invalid(["path", "list"], "list names are 2-63 lowercase letters, digits and hyphens")
    async with _spooled(request) as (file, filename, content_type):
        try:
            parsed = await asyncio.to_thread(
                parse_csl_file, file, list_name=list_name, filename=filename, content_type=content_type
            )
        except ListFormatError as exc:
            raise invalid(["body"], str(exc)) from exc
    if not parsed.entries:
        raise invalid(["body"], "no valid entries in the file; the list was left unchanged")
    try:
        async with services.db.writer() as session:
            result = await screening_lists.replace_list(
                session, name=list_name, entries=parsed.entries, by=principal.id
            )
    except IntegrityError as exc:
        raise ApiError(409, f"another import of list {list_name} ran at the same time; send it again") from exc
    services.screening.install(list_name, result.revision, parsed.entries)
    log.info("list_imported", list=list_name, revision=result.revision, entries=len(parsed.entries))
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
    errors.check(policy.may_read_lists(principal))
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
    errors.check(policy.may_screen(principal))
    try:
        screened = await services.screening.check(
            body.name, body.country, min_score=body.min_score, limit=body.limit, list_revisions=body.list_revisions
        )
    except ListsBehind as exc:
        raise ApiError(
            503, f"the screening lists are not yet at the revisions asked for ({exc})", headers={"Retry-After": "2"}
        ) from exc
    return {"matches": [m.model_dump() for m in screened.matches], "list_revisions": screened.list_revisions}
