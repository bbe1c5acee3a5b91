"""Principals and their bearer tokens (stored as SHA-256 hashes; the token itself is shown once)."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.roles import ROLES
from store.models import ApiToken, Principal


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def upsert_principal(
    session: AsyncSession, *, id: str, name: str, agency: str, roles: list[str], eori: str | None = None
) -> Principal:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    principal = await session.get(Principal, id)
    if principal is None:
        principal = Principal(id=id, name=name, agency=agency, roles=roles, eori=eori)
    else:
        principal.name, principal.agency, principal.roles, principal.eori = name, agency, roles, eori
    session.add(principal)
    await session.commit()
    return principal


async def issue_token(session: AsyncSession, *, principal_id: str, label: str = "") -> str:
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=hash_token(token), principal_id=principal_id, label=label))
    await session.commit()
    return token


async def principal_for_token(session: AsyncSession, token: str) -> Principal | None:
    row = await session.exec(select(Principal).join(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    return row.first()
