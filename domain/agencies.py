"""The agencies that take part in a clearance, as parties with an identity: the exporting customs administration,
the export-control authority that issues licences, and the customs administrations of partner countries.

Loaded from `reference/agencies.yaml` into the `agencies` table (`store.agencies`); every principal, task,
licence, list, SOP and webhook names one of them as its owner (`Principal.agency` and the like)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.codes import COUNTRIES

AgencyKind = Literal["customs", "export_control", "partner_customs"]
AGENCY_KINDS: tuple[str, ...] = get_args(AgencyKind)


class AgencyKey(BaseModel):
    """A public Ed25519 key an agency signs its messages with; `public_key` is the raw 32 bytes, standard base64."""

    model_config = ConfigDict(extra="forbid")
    key_id: str = Field(min_length=1, max_length=64)
    alg: Literal["EdDSA"] = "EdDSA"
    public_key: str = Field(min_length=44, max_length=44)


class Agency(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=2, max_length=40, pattern=r"^[A-Z0-9][A-Z0-9-]*$")
    kind: AgencyKind
    country: str = Field(min_length=2, max_length=2)
    name: str = Field(min_length=1, max_length=140)
    countries: list[str] = Field(default_factory=list, description="countries it acts for; default its own")
    keys: list[AgencyKey] = Field(default_factory=list)
    endpoint: str | None = Field(default=None, max_length=400, description="base URL of its engine, if remote")

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value.upper() not in COUNTRIES:
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
        return value.upper()

    @field_validator("countries")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if v.upper() not in COUNTRIES]
        if bad:
            raise ValueError(f"not ISO 3166-1 alpha-2 country codes: {bad}")
        return [v.upper() for v in values]

    @property
    def acts_for(self) -> list[str]:
        return self.countries or [self.country]

    def public(self) -> dict[str, str]:
        """What `GET /v1/agencies` shows of it."""
        return {"id": self.id, "kind": self.kind, "country": self.country, "name": self.name}


def load_registry(path: Path) -> list[Agency]:
    """The agencies of a registry file (`{agencies: [...]}`); a duplicate id is an error."""
    data = yaml.safe_load(path.read_text()) or {}
    agencies = [Agency.model_validate(item) for item in data.get("agencies", [])]
    ids = [a.id for a in agencies]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"{path}: agency ids listed twice: {dupes}")
    return agencies
