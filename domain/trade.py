"""The trade registers customs keeps: who may lodge for whom (representation, as in the Union Customs Code art.
18: direct, in the exporter's name, or indirect, in the representative's own name for the exporter), and who is an
authorised economic operator (AEO: AEOC, AEOS or AEOF; a partner country's AEO counts where a mutual-recognition
agreement says so). A declaration's own AEO claim is never taken as is: what the register says applies, and the
clearance records both (`TradeStanding`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from domain.declaration import CountryCode, Eori

RepresentationKind = Literal["direct", "indirect"]
AeoType = Literal["AEOC", "AEOS", "AEOF"]
AeoStatus = Literal["active", "suspended", "revoked"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RepresentationCreate(Strict):
    declarant_eori: Eori
    exporter_eori: Eori
    kind: RepresentationKind
    valid_from: date
    valid_until: date | None = None

    @model_validator(mode="after")
    def _period(self) -> RepresentationCreate:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until must not be before valid_from")
        return self


class RepresentationView(Strict):
    id: str
    declarant_eori: str
    exporter_eori: str
    kind: RepresentationKind
    valid_from: date
    valid_until: date | None
    agency: str
    created_at: datetime
    created_by: str
    removed_at: datetime | None = None
    removed_by: str | None = None


class AeoEntry(Strict):
    eori: Eori
    aeo_type: AeoType
    status: AeoStatus = "active"
    issuing_country: CountryCode
    mra_recognised: bool = False


class AeoApplied(Strict):
    """What the AEO register said of the exporter at acceptance, and what the declaration claimed."""

    claimed: bool
    applied: bool
    source: Literal["register"] = "register"
    aeo_type: str | None = None
    issuing_country: str | None = None
    mra_recognised: bool | None = None


class TradeStanding(Strict):
    """Recorded at acceptance: how the declarant stands for the exporter, and the exporter's AEO status."""

    representation: Literal["self", "direct", "indirect"]
    representation_id: str | None = None
    aeo: AeoApplied


def aeo_applies(entry: AeoEntry | None, home_country: str) -> bool:
    """An active AEO of the home administration, or an active partner AEO recognised under an MRA."""
    if entry is None or entry.status != "active":
        return False
    return entry.issuing_country == home_country or entry.mra_recognised
