"""Export licences (reference data of the export-control agency) and the depletion protocol the HTTP
licence-registry adapter speaks. Shared by the JSON API and the console (a clearance's licence balances)."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError, check, not_found
from domain import policy
from domain.licence import DepletionRequest, DepletionResult, LicenceCreate, LicenceView, RestoreRequest
from store import licences as licence_store
from store.models import Principal


async def register(*, session: AsyncSession, principal: Principal, request: LicenceCreate) -> LicenceView:
    check(policy.may_register_licence(principal))
    try:
        return await licence_store.register(session, request, by=principal.id)
    except licence_store.LicenceExists as exc:
        raise ApiError(409, f"licence {request.reference} already exists") from exc


async def get_licence(*, session: AsyncSession, principal: Principal, reference: str) -> LicenceView:
    """The licence with its remaining balance per item and its depletions, for officers and its holder."""
    view = await licence_store.get_view(session, reference, today=date.today())
    if view is None:
        raise not_found(f"licence {reference}")
    check(policy.may_read_licence(principal, view.holder_eori))
    return view


async def deplete(*, session: AsyncSession, principal: Principal, request: DepletionRequest) -> DepletionResult:
    check(policy.may_use_licence_registry(principal))
    return await licence_store.deplete(session, request)


async def restore(*, session: AsyncSession, principal: Principal, request: RestoreRequest) -> int:
    """Give back every depletion of an MRN; the number given back."""
    check(policy.may_use_licence_registry(principal))
    return await licence_store.restore(session, mrn=request.mrn, reason=request.reason)
