"""Webhook subscriptions and the delivery log."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, bindparam, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.webhooks import WebhookCreate
from store.db import Database, upsert
from store.models import WebhookDelivery, WebhookSubscription, utcnow
from store.secrets import SecretBox


class TooManySubscriptions(Exception):
    pass


def _aad(subscription_id: str) -> str:
    return f"webhook-secret:{subscription_id}"


def secret_of(box: SecretBox, subscription: WebhookSubscription) -> str:
    """The signing secret: sealed, or the plain text of a row from before sealing."""
    if subscription.secret_sealed is not None:
        return box.unseal(subscription.secret_sealed, _aad(subscription.id))
    return subscription.secret or ""


async def active_count(session: AsyncSession, agency: str) -> int:
    query = select(func.count()).where(WebhookSubscription.agency == agency, col(WebhookSubscription.active))
    return int((await session.exec(query)).one())  # type: ignore[call-overload]


async def subscribe(
    session: AsyncSession,
    create: WebhookCreate,
    *,
    agency: str,
    declarant_eori: str | None,
    by: str,
    box: SecretBox,
    cap: int,
) -> WebhookSubscription:
    """A new subscription with its secret sealed; TooManySubscriptions when the agency holds `cap` already."""
    if await active_count(session, agency) >= cap:
        raise TooManySubscriptions(agency)
    subscription_id = str(uuid.uuid4())
    subscription = WebhookSubscription(
        id=subscription_id,
        agency=agency,
        declarant_eori=declarant_eori,
        url=str(create.url),
        secret_sealed=box.seal(create.secret, _aad(subscription_id)),
        events=list(create.events),
        created_by=by,
    )
    session.add(subscription)
    await session.commit()
    return subscription


async def seal_plaintext_secrets(session: AsyncSession, box: SecretBox) -> int:
    """Seal the secrets of rows stored before sealing, and clear their plain text."""
    rows = (await session.exec(select(WebhookSubscription).where(col(WebhookSubscription.secret).is_not(None)))).all()
    for row in rows:
        row.secret_sealed, row.secret = box.seal(row.secret or "", _aad(row.id)), None
        session.add(row)
    await session.commit()
    return len(rows)


async def subscriptions(session: AsyncSession, *, agency: str, declarant_eori: str | None) -> list[WebhookSubscription]:
    query = select(WebhookSubscription).where(WebhookSubscription.agency == agency, col(WebhookSubscription.active))
    if declarant_eori is not None:
        query = query.where(WebhookSubscription.declarant_eori == declarant_eori)
    return list((await session.exec(query.order_by(col(WebhookSubscription.created_at)))).all())


_MATCHING = select(WebhookSubscription.__table__).where(  # type: ignore[attr-defined]
    col(WebhookSubscription.active),
    or_(
        (col(WebhookSubscription.agency) == bindparam("agency")) & col(WebhookSubscription.declarant_eori).is_(None),
        col(WebhookSubscription.declarant_eori) == bindparam("declarant"),
    ),
)


async def read_matching(db: Database, *, agency: str, declarant_eori: str) -> list[Row[Any]]:
    """The clearance agency's own subscriptions, and the declarant's, as rows (WebhookSubscription's attributes),
    on a clearance's projection path (`Database.rows`)."""
    return list(await db.rows(_MATCHING, {"agency": agency, "declarant": declarant_eori}))


async def unsubscribe(session: AsyncSession, subscription_id: str) -> None:
    await session.exec(  # type: ignore[call-overload]
        update(WebhookSubscription).where(col(WebhookSubscription.id) == subscription_id).values(active=False)
    )
    await session.commit()


async def plan(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert deliveries in the caller's transaction; a delivery planned before is left as it is."""
    if rows:
        stmt = upsert(session.get_bind().dialect.name, WebhookDelivery).values(rows)
        await session.exec(stmt.on_conflict_do_nothing(index_elements=["id"]))  # type: ignore[call-overload]


async def delivery(session: AsyncSession, delivery_id: str) -> tuple[WebhookDelivery, WebhookSubscription] | None:
    row = await session.get(WebhookDelivery, delivery_id)
    if row is None:
        return None
    subscription = await session.get(WebhookSubscription, row.subscription_id)
    return (row, subscription) if subscription is not None else None


async def record_attempt(
    session: AsyncSession, delivery_id: str, *, status_code: int | None, error: str | None, delivered: bool
) -> None:
    values: dict[str, Any] = {
        "attempts": col(WebhookDelivery.attempts) + 1,
        "last_status_code": status_code,
        "last_error": (error or "")[:500] or None,
    }
    if delivered:
        values.update(status="delivered", delivered_at=utcnow())
    await session.exec(update(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id).values(**values))  # type: ignore[call-overload]
    await session.commit()


async def give_up(session: AsyncSession, delivery_id: str, *, status: str = "failed") -> None:
    """A pending delivery ends as `failed` (no 2xx after every attempt, or its endpoint refused) or `cancelled`
    (its subscription was deleted)."""
    await session.exec(  # type: ignore[call-overload]
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.status) == "pending")
        .values(status=status)
    )
    await session.commit()


async def undispatched(session: AsyncSession, *, older_than_seconds: float, limit: int) -> list[str]:
    """Pending deliveries never attempted a while after they were planned: their workflow may not have started."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    query = (
        select(WebhookDelivery.id)
        .where(
            col(WebhookDelivery.status) == "pending",
            col(WebhookDelivery.attempts) == 0,
            col(WebhookDelivery.created_at) < cutoff,
        )
        .order_by(col(WebhookDelivery.created_at))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def deliveries(session: AsyncSession, subscription_id: str, *, limit: int) -> list[WebhookDelivery]:
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id))
        .limit(limit)
    )
    return list((await session.exec(query)).all())
