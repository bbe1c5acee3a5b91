"""Webhook subscriptions per agency (or per declarant, for its own declarations) and their delivery log."""

from __future__ import annotations

from adapters.webhook_endpoints import EndpointPolicy, EndpointRefused, vet
from api.deps import Services
from api.errors import ApiError, check, invalid, not_found
from domain import policy
from domain.webhooks import WebhookCreate
from settings import Settings
from store import webhooks as webhook_store
from store.models import Principal, WebhookDelivery, WebhookSubscription
from store.secrets import SecretBox, secret_box


def endpoint_policy(settings: Settings) -> EndpointPolicy:
    return EndpointPolicy(allow_http=settings.webhook_allow_http, allow_private=settings.webhook_allow_private)


def box_of(settings: Settings) -> SecretBox:
    return secret_box(settings.secrets_key, settings.secrets_key_file)


async def subscribe(*, services: Services, principal: Principal, request: WebhookCreate) -> WebhookSubscription:
    """Vetted (no private or internal address, unless the settings allow it), its secret sealed, capped per agency
    (409 beyond the cap)."""
    check(policy.may_subscribe(principal))
    settings = services.settings
    try:
        await vet(str(request.url), endpoint_policy(settings))
    except EndpointRefused as exc:
        raise invalid(["body", "url"], str(exc)) from exc
    cap = settings.webhook_max_subscriptions_per_agency
    try:
        async with services.db.writer() as session:
            return await webhook_store.subscribe(
                session,
                request,
                agency=principal.agency,
                declarant_eori=policy.webhook_scope(principal),
                by=principal.id,
                box=box_of(settings),
                cap=cap,
            )
    except webhook_store.TooManySubscriptions as exc:
        raise ApiError(
            409, f"agency {principal.agency} holds {cap} subscriptions already (the most allowed); delete one first"
        ) from exc


async def subscriptions(*, services: Services, principal: Principal) -> list[WebhookSubscription]:
    check(policy.may_subscribe(principal))
    async with services.db.session() as session:
        return list(
            await webhook_store.subscriptions(
                session, agency=principal.agency, declarant_eori=policy.webhook_scope(principal)
            )
        )


async def own(*, services: Services, principal: Principal, subscription_id: str) -> WebhookSubscription:
    """The principal's own active subscription (its agency's; a declarant's own); 404 for any other."""
    async with services.db.session() as session:
        found = await session.get(WebhookSubscription, subscription_id)
    scope = policy.webhook_scope(principal)
    if (
        found is None
        or not found.active
        or found.agency != principal.agency
        or (scope is not None and found.declarant_eori != scope)
    ):
        raise not_found(f"webhook subscription {subscription_id}")
    return found


async def unsubscribe(*, services: Services, principal: Principal, subscription_id: str) -> None:
    found = await own(services=services, principal=principal, subscription_id=subscription_id)
    async with services.db.writer() as session:
        await webhook_store.unsubscribe(session, found.id)


async def deliveries(
    *, services: Services, principal: Principal, subscription_id: str, limit: int = 100
) -> list[WebhookDelivery]:
    found = await own(services=services, principal=principal, subscription_id=subscription_id)
    async with services.db.session() as session:
        return list(await webhook_store.deliveries(session, found.id, limit=limit))
