"""Export licences as the export-control agency registers them, and the depletion protocol the licence
registry adapters speak (embedded and HTTP alike)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.declaration import CommodityCode, ControlCode, CountryCode, Eori, Money, Quantity

LicenceReference = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9\-/.]{2,39}$")]
Mrn = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}[A-Z]{2}[A-Z0-9]{13}[0-9]$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LicenceItemCreate(Strict):
    control_code: ControlCode
    commodity_code: CommodityCode | None = None
    quantity: Quantity | None = None
    value: Money | None = None


class LicenceCreate(Strict):
    reference: LicenceReference
    holder_eori: Eori
    destinations: Annotated[list[CountryCode], Field(min_length=1, max_length=250)]
    items: Annotated[list[LicenceItemCreate], Field(min_length=1, max_length=200)]
    valid_from: date
    valid_until: date

    @model_validator(mode="after")
    def _period(self) -> LicenceCreate:
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until must not be before valid_from")
        if len(set(self.destinations)) != len(self.destinations):
            raise ValueError("destinations must not repeat")
        return self


class Balance(Strict):
    quantity: Quantity | None = None
    value: Money | None = None


class LicenceItemView(Strict):
    line: int
    control_code: str
    commodity_code: str | None
    quantity: Quantity | None
    value: Money | None
    remaining: Balance


class DepletionView(Strict):
    mrn: str
    item_sequence: int
    line: int
    quantity: Decimal | None
    value: Decimal | None
    depleted_at: datetime
    restored_at: datetime | None = None
    restore_reason: str | None = None


LicenceState = Literal["active", "suspended", "revoked"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class LicenceView(Strict):
    reference: str
    holder_eori: str
    issuer_agency: str
    destinations: list[str]
    valid_from: date
    valid_until: date
    status: Literal["valid", "expired", "not_yet_valid"]
    state: LicenceState = "active"
    state_reason: str | None = None
    state_changed_at: datetime | None = None
    state_changed_by: str | None = None
    items: list[LicenceItemView]
    depletions: list[DepletionView]
    created_at: datetime


def stricter_control_code(declared: str | None, table: str | None) -> tuple[str | None, str | None]:
    """The control code that applies to a goods item, and where it comes from ("declared", "commodity_table").

    The ordering: a controlled item beats an uncontrolled one, whoever says it is controlled (a declared code
    where the control list has none applies; the list's code where the declaration states none applies). Where both
    name a code and they differ, the control list's (the authority's classification) applies: a declarant cannot
    pick its own code to find a licence. Both codes are recorded on the item either way."""
    if table is not None:
        return table, "commodity_table"
    if declared is not None:
        return declared, "declared"
    return None, None


class DepletionRequest(Strict):
    mrn: Mrn
    item_sequence: Annotated[int, Field(ge=1, le=999)]
    holder_eori: Eori
    destination: CountryCode
    control_code: ControlCode
    commodity_code: CommodityCode
    quantity: Quantity | None = None
    value: Money
    on: date
    licence_reference: LicenceReference | None = Field(default=None, description="licence the declarant named (X002)")


class DepletionResult(Strict):
    covered: bool
    licence_reference: str | None = None
    line: int | None = None
    quantity: Decimal | None = None
    value: Decimal | None = None
    reason: str | None = None


class RestoreRequest(Strict):
    mrn: Mrn
    reason: str = Field(min_length=1, max_length=400)


class LicenceStateChange(Strict):
    """A suspension, reinstatement or revocation, with the authority's reason."""

    reason: Reason


class LicenceItemAmendment(Strict):
    """A new total for an existing line (`line`), or a new line (no `line`, `control_code` required). A new total
    below what clearances have already taken is refused."""

    line: Annotated[int, Field(ge=1, le=200)] | None = None
    control_code: ControlCode | None = None
    commodity_code: CommodityCode | None = None
    quantity: Quantity | None = None
    value: Money | None = None

    @model_validator(mode="after")
    def _new_line(self) -> LicenceItemAmendment:
        if self.line is None and self.control_code is None:
            raise ValueError("a new line needs a control_code")
        if self.line is not None and (self.control_code is not None or self.commodity_code is not None):
            raise ValueError("an existing line's control_code and commodity_code cannot change")
        return self


class LicenceAmendment(Strict):
    valid_from: date | None = None
    valid_until: date | None = None
    destinations: Annotated[list[CountryCode], Field(min_length=1, max_length=250)] | None = None
    items: Annotated[list[LicenceItemAmendment], Field(min_length=1, max_length=200)] | None = None
    reason: Reason


class LedgerEntry(Strict):
    """One movement on a licence line: a clearance's depletion or its restoration, and the line's balance after it
    (against the line's current total)."""

    at: datetime
    kind: Literal["depletion", "restoration"]
    mrn: str
    item_sequence: int
    line: int
    quantity: Decimal | None
    value: Decimal | None
    balance_after: Balance


class LicenceLedger(Strict):
    reference: str
    issuer_agency: str
    state: LicenceState
    items: list[LicenceItemView]
    entries: list[LedgerEntry]
