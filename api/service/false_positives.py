"""The register of known false positives of screening, per agency: record, list, read and revoke. Shared by the
JSON API (`api/routes/false_positives.py`) and the console's register page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.deps import Services
from api.errors import ApiError, check, invalid, not_found
from domain import policy
from domain.actions import ListName, Reason
from domain.declaration import CountryCode
from store import false_positives
from store.models import KnownFalsePositive, Principal

State = Literal["active", "expired", "revoked", "void"]


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


class FalsePositive(BaseModel):
    """A register entry as the API answers it."""

    id: str
    agency: str
    party: PartyRef
    list: str
    entry_id: str
    entry_name: str | None
    entry_hash: str | None
    reason: str
    expires_at: datetime | None
    created_by: str
    created_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None
    revoke_reason: str | None
    state: State
    active: bool

    @classmethod
    def of(cls, record: KnownFalsePositive, state: str) -> FalsePositive:
        return cls.model_validate(
            {
                **{k: getattr(record, k) for k in cls.model_fields if hasattr(record, k) and k != "list"},
                "list": record.list,
                "party": {"name": record.party_name, "country": record.party_country},
                "state": state,
                "active": state == "active",
            }
        )


async def record(*, services: Services, principal: Principal, request: FalsePositiveCreate) -> FalsePositive:
    check(policy.may_record_false_positive(principal))
    try:
        async with services.db.writer() as session:
            created = await false_positives.create(
                session,
                agency=principal.agency,
                list_name=request.list,
                entry_id=request.entry_id,
                party_name=request.party.name,
                party_country=request.party.country,
                reason=request.reason,
                expires_at=request.expires_at,
                by=principal.id,
            )
    except false_positives.EntryNotListed as exc:
        raise invalid(["body", "entry_id"], str(exc)) from exc
    return FalsePositive.of(created, "active")


async def register(
    *,
    services: Services,
    principal: Principal,
    list_name: str | None = None,
    entry_id: str | None = None,
    active: bool | None = None,
    state: State | None = None,
) -> list[FalsePositive]:
    """The agency's register, newest first."""
    check(policy.may_read_false_positives(principal))
    if active is not None and state is not None and (state == "active") != active:
        raise invalid(["query", "state"], "state and active contradict each other")
    async with services.db.session() as session:
        found = await false_positives.registered(
            session, agency=principal.agency, list_name=list_name, entry_id=entry_id, state=state
        )
    if active is not None:
        found = [r for r in found if (r.state == "active") == active]
    return [FalsePositive.of(r.record, r.state) for r in found]


async def get(*, services: Services, principal: Principal, fp_id: str) -> FalsePositive:
    check(policy.may_read_false_positives(principal))
    async with services.db.session() as session:
        found = await false_positives.registered(session, agency=principal.agency, fp_id=fp_id)
    if not found:
        raise not_found(f"false positive {fp_id}")
    return FalsePositive.of(found[0].record, found[0].state)


async def revoke(*, services: Services, principal: Principal, fp_id: str, request: Revocation) -> FalsePositive:
    check(policy.may_record_false_positive(principal))
    async with services.db.session() as session:
        own = await false_positives.get(session, fp_id)
    if own is None or own.agency != principal.agency:
        raise not_found(f"false positive {fp_id}")
    try:
        async with services.db.writer() as session:
            current = await false_positives.get(session, fp_id)
            assert current is not None
            revoked = await false_positives.revoke(session, record=current, by=principal.id, reason=request.reason)
    except false_positives.AlreadyRevoked as exc:
        raise ApiError(409, str(exc)) from exc
    return FalsePositive.of(revoked, "revoked")
