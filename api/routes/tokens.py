"""API tokens for administrators: list the agency's tokens (never the token), issue one (shown once), revoke one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import CurrentPrincipal, ServicesDep
from api.errors import ApiError, check, invalid, not_found
from api.responses import JSONResponse
from domain import policy
from store import principals as principal_store
from store.models import ApiToken, Principal, utcnow

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    principal_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = ""
    expires_in_days: float | None = Field(default=None, gt=0, le=3650, description="default: TOKEN_DAYS (90)")


def _body(row: ApiToken, principal: Principal, now: datetime) -> dict[str, Any]:
    return {
        "id": row.id,
        "prefix": row.prefix,
        "principal": principal.id,
        "agency": principal.agency,
        "label": row.label,
        "created_at": principal_store.aware(row.created_at),
        "expires_at": principal_store.aware(row.expires_at),
        "last_used_at": principal_store.aware(row.last_used_at),
        "revoked_at": principal_store.aware(row.revoked_at),
        "revoked_by": row.revoked_by,
        "state": principal_store.state(row, now),
    }


@router.get("", summary="The agency's API tokens: id, principal, label, dates and state (never the token)")
async def list_tokens(
    principal: CurrentPrincipal,
    services: ServicesDep,
    principal_id: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(pattern="^(active|expired|revoked)$")] = None,
) -> dict[str, Any]:
    check(policy.may_manage_tokens(principal))
    async with services.db.session() as session:
        rows = await principal_store.tokens(session, agency=principal.agency, principal_id=principal_id)
    now = utcnow()
    items = [_body(t, p, now) for t, p in rows]
    return {"items": [i for i in items if state is None or i["state"] == state]}


@router.post("", status_code=201, summary="Issue a token for a principal of the agency (the token is shown once)")
async def issue_token(body: TokenCreate, principal: CurrentPrincipal, services: ServicesDep) -> JSONResponse:
    check(policy.may_manage_tokens(principal))
    async with services.db.writer() as session:
        holder = await session.get(Principal, body.principal_id)
        if holder is None:
            raise invalid(["body", "principal_id"], f"no principal {body.principal_id!r}")
        check(policy.may_manage_tokens(principal, holder.id, holder.agency))
        days = body.expires_in_days or services.settings.token_days
        token, row = await principal_store.issue(session, principal_id=holder.id, label=body.label, days=days)
    content = {**_body(row, holder, utcnow()), "token": token}
    return JSONResponse(
        status_code=201,
        content=jsonable_encoder(content),
        headers={"Location": f"/v1/tokens/{row.id}", "Cache-Control": "no-store"},
    )


@router.delete("/{token_id}", status_code=204, summary="Revoke a token: 401 at once; its console sessions end")
async def revoke_token(token_id: str, principal: CurrentPrincipal, services: ServicesDep) -> None:
    check(policy.may_manage_tokens(principal))
    async with services.db.writer() as session:
        row = (await principal_store.find_by_id(session, token_id)) if len(token_id) == 16 else None
        holder = await session.get(Principal, row.principal_id) if row is not None else None
        if row is None or holder is None or holder.agency != principal.agency:
            raise not_found(f"token {token_id}")
        if row.revoked_at is not None:
            raise ApiError(409, f"token {token_id} was revoked at {principal_store.aware(row.revoked_at)}")
        await principal_store.revoke(session, [row.id], by=principal.id)
    services.forget_tokens([row.id])
