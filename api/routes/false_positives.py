"""The register of known false positives of screening: recorded, listed and revoked by the agency's officers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.deps import READER_ROLES, CurrentPrincipal, ServicesDep, require_role
from api.errors import ApiError, invalid, not_found
from api.routes.screening import ListName
from domain.declaration import CountryCode
from store import false_positives
from store.models import KnownFalsePositive, Principal

router = APIRouter(prefix="/v1/screening", tags=["screening"])
RECORDING_ROLES = ("export_control_officer", "customs_officer", "supervisor")
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class PartyRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    country: CountryCode | None = None


class FalsePositiveCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party: PartyRef
    list: ListName
    entry_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    reason: Reason
    expires_at: AwareDatetime | None = Field(default=None, description="after this the party is reviewed again")

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("expires_at must be in the future")
        return value


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


def public(record: KnownFalsePositive, state: str) -> dict[str, Any]:
    return {
        "id": record.id,
        "agency": record.agency,
        "party": {"name": record.party_name, "country": record.party_country},
        "list": record.list,
        "entry_id": record.entry_id,
        "entry_name": record.entry_name,
        "entry_hash": record.entry_hash,
        "reason": record.reason,
        "expires_at": record.expires_at,
        "created_by": record.created_by,
        "created_at": record.created_at,
        "revoked_by": record.revoked_by,
        "revoked_at": record.revoked_at,
        "revoke_reason": record.revoke_reason,
        "state": state,
        "active": state == "active",
    }


@router.post(
    "/false-positives",
    status_code=201,
    summary="Record that a party is not the list entry it resembles: screening no longer sends it to review",
)
async def record_false_positive(
    body: FalsePositiveCreate, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    require_role(principal, *RECORDING_ROLES)
    try:
        async with services.db.writer() as session:
            record = await false_positives.create(
                session,
                agency=principal.agency,
                list_name=body.list,
                entry_id=body.entry_id,
                party_name=body.party.name,
                party_country=body.party.country,
                reason=body.reason,
                expires_at=body.expires_at,
                by=principal.id,
            )
    except false_positives.EntryNotListed as exc:
        raise invalid(["body", "entry_id"], str(exc)) from exc
    return public(record, "active")


@router.get("/false-positives", summary="The agency's register of known false positives, newest first")
async def list_false_positives(
    principal: CurrentPrincipal,
    services: ServicesDep,
    list_name: Annotated[ListName | None, Query(alias="list")] = None,
    entry_id: str | None = None,
    active: bool | None = None,
    state: Literal["active", "expired", "revoked", "void"] | None = None,
) -> dict[str, Any]:
    require_role(principal, *READER_ROLES)
    if active is not None and state is not None and (state == "active") != active:
        raise invalid(["query", "state"], "state and active contradict each other")
    async with services.db.session() as session:
        found = await false_positives.registered(
            session, agency=principal.agency, list_name=list_name, entry_id=entry_id, state=state
        )
    if active is not None:
        found = [r for r in found if (r.state == "active") == active]
    return {"items": [public(r.record, r.state) for r in found]}


async def _own(services: ServicesDep, principal: Principal, fp_id: str) -> KnownFalsePositive:
    async with services.db.session() as session:
        record = await false_positives.get(session, fp_id)
    if record is None or record.agency != principal.agency:
        raise not_found(f"false positive {fp_id}")
    return record


@router.get("/false-positives/{fp_id}", summary="One register entry with its state")
async def get_false_positive(fp_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    require_role(principal, *READER_ROLES)
    async with services.db.session() as session:
        found = await false_positives.registered(session, agency=principal.agency, fp_id=fp_id)
    if not found:
        raise not_found(f"false positive {fp_id}")
    return public(found[0].record, found[0].state)


@router.delete("/false-positives/{fp_id}", summary="Revoke a known false positive, with a reason")
async def revoke_false_positive(
    fp_id: str, body: Revocation, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    require_role(principal, *RECORDING_ROLES)
    await _own(services, principal, fp_id)
    try:
        async with services.db.writer() as session:
            record = await false_positives.get(session, fp_id)
            assert record is not None
            record = await false_positives.revoke(session, record=record, by=principal.id, reason=body.reason)
    except false_positives.AlreadyRevoked as exc:
        raise ApiError(409, str(exc)) from exc
    return public(record, "revoked")
