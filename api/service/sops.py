"""The SOP catalogue: versions, their definitions and rendered documents; publishing a new version. Shared by the
JSON API and the console's SOP pages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError, check, not_found
from domain import policy
from sop.catalogue import SopError, parse_document
from sop.document import render_sop_document
from sop.model import PublishedSop
from store import sops as sop_store
from store.models import Principal


class SopVersionEntry(BaseModel):
    version: int
    hash: str
    published_at: datetime
    title: str


class SopEntry(BaseModel):
    name: str
    versions: list[SopVersionEntry]
    latest: int


class Invalid(Exception):
    """The SOP is not valid: every problem with its path (`loc`, `msg`)."""

    def __init__(self, errors: list[dict[str, object]]) -> None:
        super().__init__("the SOP is not valid")
        self.errors = errors


async def catalogue(*, session: AsyncSession, principal: Principal) -> list[SopEntry]:
    """Every SOP with its published versions (for any authenticated principal)."""
    grouped: dict[str, list[SopVersionEntry]] = {}
    for row in await sop_store.catalogue(session):
        grouped.setdefault(row.name, []).append(
            SopVersionEntry(
                version=row.version, hash=row.hash, published_at=row.published_at, title=row.definition["title"]
            )
        )
    return [SopEntry(name=name, versions=versions, latest=versions[-1].version) for name, versions in grouped.items()]


async def publish(*, session: AsyncSession, principal: Principal, document: bytes) -> tuple[PublishedSop, bool]:
    """Publish a version (YAML or JSON); (the published version, whether it is new). `Invalid` with every error."""
    check(policy.may_publish_sop(principal))
    try:
        definition = parse_document(document)
    except SopError as exc:
        raise Invalid([{"loc": ["body", *e["loc"]], "msg": e["msg"]} for e in exc.errors]) from exc
    try:
        return await sop_store.publish(session, definition, by=principal.id)
    except sop_store.SopConflict as exc:
        raise ApiError(409, str(exc)) from exc


async def get_version(*, session: AsyncSession, principal: Principal, name: str, version: int) -> PublishedSop:
    published = await sop_store.get(session, name, version)
    if published is None:
        raise not_found(f"SOP {name} version {version}")
    return published


async def document(*, session: AsyncSession, principal: Principal, name: str, version: int) -> str:
    """The standalone SOP document (HTML with its flow diagram), rendered from the definition that runs."""
    return render_sop_document(await get_version(session=session, principal=principal, name=name, version=version))
