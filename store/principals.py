"""Principals, their bearer tokens and console sessions.

A token is stored as its SHA-256 only (the token itself is shown once), with an expiry, a revocation and its last
use. A console session is a random id in the browser's cookie and its SHA-256 here; it lives no longer than the
token it was opened with, and signing out deletes it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.roles import ROLES
from store.models import ApiToken, ConsoleSession, Principal, utcnow

DEFAULT_TOKEN_DAYS = 90
TOUCH_EVERY = timedelta(minutes=1)  # last use and last seen are written at most this often


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id(token: str) -> str:
    """The public id of a token: the first 16 hex digits of its SHA-256."""
    return hash_token(token)[:16]


def aware(at: datetime | None) -> datetime | None:
    """SQLite gives datetimes back without their zone; every one stored here is UTC."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def usable(row: ApiToken, now: datetime) -> bool:
    expires_at = aware(row.expires_at)
    return row.revoked_at is None and (expires_at is None or expires_at > now)


def state(row: ApiToken, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "active" if usable(row, now) else "expired"


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


async def issue(
    session: AsyncSession, *, principal_id: str, label: str = "", days: float | None = DEFAULT_TOKEN_DAYS
) -> tuple[str, ApiToken]:
    """A new token for the principal (expiring after `days`; None: never) and its row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        token_hash=hash_token(token),
        id=token_id(token),
        prefix=token[:6],
        principal_id=principal_id,
        label=label,
        created_at=now,
        expires_at=now + timedelta(days=days) if days is not None else None,
    )
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return token, row


async def issue_token(
    session: AsyncSession, *, principal_id: str, label: str = "", days: float | None = DEFAULT_TOKEN_DAYS
) -> str:
    token, _ = await issue(session, principal_id=principal_id, label=label, days=days)
    return token


async def resolve(session: AsyncSession, token: str) -> tuple[ApiToken, Principal] | None:
    """The token's row and principal while the token is neither revoked nor expired."""
    found = (
        await session.exec(
            select(ApiToken, Principal)
            .join(Principal, col(Principal.id) == col(ApiToken.principal_id))
            .where(ApiToken.token_hash == hash_token(token))
        )
    ).first()
    if found is None or not usable(found[0], utcnow()):
        return None
    return found[0], found[1]


async def principal_for_token(session: AsyncSession, token: str) -> Principal | None:
    found = await resolve(session, token)
    return found[1] if found else None


async def tokens(
    session: AsyncSession, *, agency: str | None = None, principal_id: str | None = None
) -> list[tuple[ApiToken, Principal]]:
    query = select(ApiToken, Principal).join(Principal, col(Principal.id) == col(ApiToken.principal_id))
    if agency is not None:
        query = query.where(Principal.agency == agency)
    if principal_id is not None:
        query = query.where(ApiToken.principal_id == principal_id)
    rows = await session.exec(query.order_by(col(ApiToken.created_at), col(ApiToken.id)))
    return [(t, p) for t, p in rows.all()]


async def find_by_id(session: AsyncSession, token_id: str) -> ApiToken | None:
    return (await session.exec(select(ApiToken).where(ApiToken.id == token_id))).first()


async def find_tokens(session: AsyncSession, ref: str) -> list[ApiToken]:
    """Tokens named by id, by the token itself, or by its first 4 to 6 characters (as listed in `prefix`)."""
    conditions = [col(ApiToken.id) == ref, col(ApiToken.token_hash) == hash_token(ref)]
    if 4 <= len(ref) <= 6:
        conditions.append(col(ApiToken.prefix).startswith(ref, autoescape=True))
    return list((await session.exec(select(ApiToken).where(or_(*conditions)))).all())


async def revoke(session: AsyncSession, ids: list[str], *, by: str) -> list[str]:
    """Revoke the tokens (those not revoked yet) and end their console sessions; the ids revoked now."""
    if not ids:
        return []
    open_ids = list(
        (
            await session.exec(select(ApiToken.id).where(col(ApiToken.id).in_(ids), col(ApiToken.revoked_at).is_(None)))
        ).all()
    )
    if open_ids:
        await session.exec(  # type: ignore[call-overload]
            update(ApiToken).where(col(ApiToken.id).in_(open_ids)).values(revoked_at=utcnow(), revoked_by=by)
        )
        await session.exec(delete(ConsoleSession).where(col(ConsoleSession.token_id).in_(open_ids)))  # type: ignore[call-overload]
    await session.commit()
    return open_ids


async def touch_tokens(session: AsyncSession, ids: list[str]) -> None:
    """Record a use now, unless one was recorded within TOUCH_EVERY (by any process)."""
    now = utcnow()
    await session.exec(  # type: ignore[call-overload]
        update(ApiToken)
        .where(
            col(ApiToken.id).in_(ids),
            or_(col(ApiToken.last_used_at).is_(None), col(ApiToken.last_used_at) < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
    )
    await session.commit()


# --- console sessions ------------------------------------------------------------------------------------


async def open_session(session: AsyncSession, *, token: str, hours: float) -> str | None:
    """A new console session for the token's principal (None if the token is not usable); the cookie value."""
    found = await resolve(session, token)
    if found is None:
        return None
    row, principal = found
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + timedelta(hours=hours)
    token_expiry = aware(row.expires_at)
    session.add(
        ConsoleSession(
            id_hash=hash_token(session_id),
            principal_id=principal.id,
            token_id=row.id,
            created_at=now,
            expires_at=min(expires_at, token_expiry) if token_expiry else expires_at,
            last_seen_at=now,
        )
    )
    await session.commit()
    return session_id


async def session_principal(session: AsyncSession, session_id: str) -> tuple[ConsoleSession, Principal] | None:
    """The principal of a live console session (not expired, its token still usable)."""
    found = (
        await session.exec(
            select(ConsoleSession, ApiToken, Principal)
            .join(ApiToken, col(ApiToken.id) == col(ConsoleSession.token_id))
            .join(Principal, col(Principal.id) == col(ConsoleSession.principal_id))
            .where(ConsoleSession.id_hash == hash_token(session_id))
        )
    ).first()
    if found is None:
        return None
    console_session, token_row, principal = found
    now = utcnow()
    expires_at = aware(console_session.expires_at)
    if not usable(token_row, now) or (expires_at is not None and expires_at <= now):
        return None
    return console_session, principal


async def end_session(session: AsyncSession, session_id: str) -> None:
    await session.exec(delete(ConsoleSession).where(col(ConsoleSession.id_hash) == hash_token(session_id)))  # type: ignore[call-overload]
    await session.commit()


async def touch_sessions(session: AsyncSession, id_hashes: list[str]) -> None:
    now = utcnow()
    await session.exec(  # type: ignore[call-overload]
        update(ConsoleSession)
        .where(col(ConsoleSession.id_hash).in_(id_hashes), col(ConsoleSession.last_seen_at) < now - TOUCH_EVERY)
        .values(last_seen_at=now)
    )
    await session.exec(delete(ConsoleSession).where(col(ConsoleSession.expires_at) < now))  # type: ignore[call-overload]
    await session.commit()
