"""Export licences (reference data of the export-control authority that issued them) and the depletion protocol
the HTTP licence-registry adapter speaks. Shared by the JSON API and the console (the authority's licence page,
a clearance's licence balances).

Every decision on a licence (registration, amendment, suspension, reinstatement, revocation) and every
cross-agency read is an event on the licence's audit chain (`store.licence_admin.audit`)."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError, check, invalid, not_found
from domain import policy
from domain.licence import (
    DepletionRequest,
    DepletionResult,
    LicenceAmendment,
    LicenceCreate,
    LicenceLedger,
    LicenceView,
    RestoreRequest,
)
from store import agencies as agency_store
from store import licence_admin
from store import licences as licence_store
from store.clearances import get_record
from store.models import Principal


async def register(*, session: AsyncSession, principal: Principal, request: LicenceCreate) -> LicenceView:
    agency = await agency_store.get(session, principal.agency)
    check(policy.may_register_licence(principal, agency.kind if agency else None))
    try:
        view = await licence_store.register(session, request, by=principal.id, issuer_agency=principal.agency)
    except licence_store.LicenceExists as exc:
        raise ApiError(409, f"licence {request.reference} already exists") from exc
    await licence_admin.audit(
        session, view.reference, "licence_registered", principal.id, holder=view.holder_eori, agency=principal.agency
    )
    await session.commit()
    return view


async def _licence(session: AsyncSession, reference: str) -> LicenceView:
    view = await licence_store.get_view(session, reference, today=date.today())
    if view is None:
        raise not_found(f"licence {reference}")
    return view


async def get_licence(*, session: AsyncSession, principal: Principal, reference: str) -> LicenceView:
    """The licence with its remaining balance per item and its depletions: for its issuing authority, its holder,
    and (audited) the agencies whose clearances use it."""
    view = await _licence(session, reference)
    used_by: set[str] = set()
    if principal.agency != view.issuer_agency:
        used_by = await licence_admin.agencies_using(session, reference)
    check(policy.may_read_licence(principal, view.holder_eori, view.issuer_agency, used_by))
    if policy.is_cross_agency_licence_read(principal, view.issuer_agency):
        await licence_admin.audit(session, reference, "licence_read", principal.id, agency=principal.agency)
        await session.commit()
    return view


async def ledger(*, session: AsyncSession, principal: Principal, reference: str) -> LicenceLedger:
    view = await _licence(session, reference)
    check(policy.may_read_licence_ledger(principal, view.issuer_agency))
    return licence_admin.ledger(view)


async def issued_by(*, session: AsyncSession, principal: Principal) -> list[LicenceView]:
    """The licences the caller's authority issued (the console's licence page)."""
    check(policy.may_read_licence_ledger(principal, principal.agency))
    references = await licence_admin.references_issued_by(session, principal.agency)
    return [await _licence(session, r) for r in references]


async def change_state(
    *, session: AsyncSession, principal: Principal, reference: str, action: str, reason: str
) -> LicenceView:
    """Suspend, reinstate or revoke (a suspended or revoked licence depletes nothing from the next depletion on)."""
    issuer = await licence_admin.issuer_of(session, reference)
    if issuer is None:
        raise not_found(f"licence {reference}")
    check(policy.may_manage_licence(principal, issuer))
    try:
        return await licence_admin.change_state(session, reference, action=action, by=principal.id, reason=reason)
    except licence_admin.StateConflict as exc:
        await session.rollback()
        raise ApiError(409, str(exc)) from exc


async def amend(
    *, session: AsyncSession, principal: Principal, reference: str, amendment: LicenceAmendment
) -> LicenceView:
    issuer = await licence_admin.issuer_of(session, reference)
    if issuer is None:
        raise not_found(f"licence {reference}")
    check(policy.may_manage_licence(principal, issuer))
    try:
        return await licence_admin.amend(session, reference, amendment, by=principal.id)
    except licence_admin.StateConflict as exc:
        await session.rollback()
        raise ApiError(409, str(exc)) from exc
    except licence_admin.AmendmentRefused as exc:
        await session.rollback()
        raise invalid(["body", *exc.field], str(exc)) from exc


async def _registry_check(session: AsyncSession, principal: Principal, mrn: str) -> None:
    record = await get_record(session, mrn)
    check(policy.may_use_licence_registry(principal, mrn, record.agency if record else None))


async def deplete(*, session: AsyncSession, principal: Principal, request: DepletionRequest) -> DepletionResult:
    """Only the agency whose clearance the MRN is may deplete for it (an invented MRN: 404, nothing taken)."""
    await _registry_check(session, principal, request.mrn)
    return await licence_store.deplete(session, request)


async def restore(*, session: AsyncSession, principal: Principal, request: RestoreRequest) -> int:
    """Give back every depletion of an MRN, for the agency whose clearance it is; the number given back."""
    await _registry_check(session, principal, request.mrn)
    return await licence_store.restore(session, mrn=request.mrn, reason=request.reason)
