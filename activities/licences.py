"""The licence check stage's activities: classify each goods item, check embargoes, deplete a controlled item's
licence exactly once (through `adapters/licences.py`, embedded or HTTP), and give depletions back. Its workflow side
is `workflows/steps/licence_check.py` (the restoration: `workflows/endings.py`)."""

from __future__ import annotations

import structlog
from temporalio import activity

from adapters.licences import LicenceRegistry
from domain.clearance import CheckLicencesInput, ItemLicence, LicenceCheckResult, ReleaseDepletionsInput
from domain.licence import DepletionRequest, RestoreRequest, stricter_control_code
from store import reference
from workflows import options

log = structlog.get_logger("activities")

LICENCE_DOCUMENT_TYPES = ("X002", "X001", "E012")  # EU dual-use / national export authorisations


class LicenceActivities:
    """Mixin of `ClearanceActivities` (which injects the licence registry and the reference data)."""

    _licences: LicenceRegistry
    _reference: reference.ReferenceCache

    @activity.defn(name=options.CHECK_LICENCES)
    async def check_licences(self, inp: CheckLicencesInput) -> LicenceCheckResult:
        declaration = inp.declaration
        data = await self._reference.get()
        classes = data.classify([i.commodity_code for i in declaration.goods_items])
        embargo = data.embargo_for(declaration.country_of_destination)
        items: list[ItemLicence] = []
        for item in declaration.goods_items:
            listed = classes.get(item.commodity_code)
            table_code = listed.control_code if listed else None
            control_code, source = stricter_control_code(item.control_code, table_code)
            items.append(
                ItemLicence(
                    sequence=item.sequence,
                    commodity_code=item.commodity_code,
                    control_code=control_code,
                    control_source=source,  # type: ignore[arg-type]
                    declared_control_code=item.control_code,
                    table_control_code=table_code,
                    status="no_licence" if control_code else "not_controlled",
                )
            )
        controlled = any(i.control_code for i in items)
        if embargo is not None and (embargo.scope == "all" or controlled):
            what = "exports" if embargo.scope == "all" else "controlled goods"
            reason = f"{what} to {declaration.country_of_destination} are under embargo: {embargo.regime}"
            log.info("embargo", mrn=inp.mrn, destination=declaration.country_of_destination)
            for i in items:
                if i.control_code:
                    i.reason = "not licensable: destination under embargo"
            return LicenceCheckResult(embargoed=True, embargo_reason=reason, items=items)
        for checked, item in zip(items, declaration.goods_items, strict=True):
            if not checked.control_code:
                continue
            named = next((d.reference for d in item.documents if d.type in LICENCE_DOCUMENT_TYPES), None)
            result = await self._licences.deplete(
                DepletionRequest(
                    mrn=inp.mrn,
                    item_sequence=item.sequence,
                    holder_eori=declaration.exporter.eori,
                    destination=declaration.country_of_destination,
                    control_code=checked.control_code,
                    commodity_code=item.commodity_code,
                    quantity=item.quantity,
                    value=item.statistical_value,
                    on=inp.on,
                    licence_reference=named,
                )
            )
            if result.covered:
                checked.status, checked.licence_reference = "covered", result.licence_reference
                checked.depleted_quantity, checked.depleted_value = result.quantity, result.value
            else:
                checked.reason = result.reason
        log.info(
            "licences_checked",
            mrn=inp.mrn,
            controlled=controlled,
            covered=[i.licence_reference for i in items if i.licence_reference],
        )
        return LicenceCheckResult(embargoed=False, items=items)

    @activity.defn(name=options.RESTORE_LICENCES)
    async def restore_licences(self, inp: ReleaseDepletionsInput) -> int:
        restored = await self._licences.restore(RestoreRequest(mrn=inp.mrn, reason=inp.reason[:400]))
        log.info("licences_restored", mrn=inp.mrn, restored=restored)
        return restored
