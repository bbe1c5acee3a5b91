"""Export declaration, aligned with the WCO Data Model (header, parties, goods items, documents).

Validation here is what makes a declaration acceptable: a model that validates is lodged, anything else is
answered with 422 and the field path of every problem.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.codes import COUNTRIES, CURRENCIES


def _canonical(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _country(code: str) -> str:
    if code not in COUNTRIES:
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code")
    return code


def _currency(code: str) -> str:
    if code not in CURRENCIES:
        raise ValueError(f"'{code}' is not an ISO 4217 currency code")
    return code


def _office(code: str) -> str:
    _country(code[:2])
    return code


def _eori(code: str) -> str:
    _country(code[:2])
    return code


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]
# Customs office reference number: country + 6 alphanumerics (EU COL format).
OfficeCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[A-Z0-9]{6}$"), AfterValidator(_office)]
Eori = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[A-Za-z0-9]{1,15}$"), AfterValidator(_eori)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=70)]
# HS (6 digits) through CN (8) and national TARIC-like extensions (10).
CommodityCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}([0-9]{2}){0,2}$")]
# EU dual-use Annex I / ECCN-like: category digit, product group letter, three digits, optional sub-items.
ControlCode = Annotated[str, StringConstraints(pattern=r"^[0-9][A-E][0-9]{3}([a-z0-9.]{0,16})?$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeclarationType(StrEnum):
    EX = "EX"  # export to a third country
    EU = "EU"  # export to an EFTA country
    CO = "CO"  # special fiscal territory


class TransportMode(StrEnum):
    sea = "sea"
    rail = "rail"
    road = "road"
    air = "air"
    post = "post"
    fixed_installation = "fixed_installation"
    inland_waterway = "inland_waterway"
    own_propulsion = "own_propulsion"


class Address(Strict):
    street: ShortText | None = None
    city: ShortText
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=17)] | None = None
    country: CountryCode


class Party(Strict):
    eori: Eori | None = None
    name: Name
    address: Address | None = None

    @property
    def country(self) -> str | None:
        return self.address.country if self.address else None


class Declarant(Strict):
    eori: Eori
    name: Name


class Exporter(Party):
    eori: Eori
    address: Address


class Consignee(Party):
    address: Address


class Transport(Strict):
    mode: TransportMode
    identity: ShortText


class Quantity(Strict):
    value: Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=3)]
    unit: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,8}$")]


class Money(Strict):
    amount: Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=2)]
    currency: CurrencyCode


class Document(Strict):
    type: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{4}$")]
    reference: ShortText


class GoodsItem(Strict):
    sequence: Annotated[int, Field(ge=1, le=999)]
    commodity_code: CommodityCode
    description: Text
    origin_country: CountryCode
    net_mass_kg: Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=3)]
    gross_mass_kg: Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=3)]
    quantity: Quantity | None = None
    statistical_value: Money
    control_code: ControlCode | None = None
    documents: Annotated[list[Document], Field(max_length=99)] = []

    @model_validator(mode="after")
    def _gross_not_below_net(self) -> GoodsItem:
        if self.gross_mass_kg < self.net_mass_kg:
            raise ValueError("gross_mass_kg must not be less than net_mass_kg")
        return self


class Declaration(Strict):
    lrn: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\-_/.]{1,22}$")]
    declaration_type: DeclarationType
    procedure: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
    declarant: Declarant
    exporter: Exporter
    consignee: Consignee
    end_user: Party | None = None
    office_of_export: OfficeCode
    office_of_exit: OfficeCode
    country_of_destination: CountryCode
    transport: Transport
    aeo: bool = False
    goods_items: Annotated[list[GoodsItem], Field(min_length=1, max_length=999)]

    @model_validator(mode="after")
    def _unique_sequences(self) -> Declaration:
        seen: set[int] = set()
        for item in self.goods_items:
            if item.sequence in seen:
                raise ValueError(f"goods item sequence {item.sequence} is used more than once")
            seen.add(item.sequence)
        return self

    def body_hash(self) -> str:
        """Hash of the validated declaration: resubmissions that differ only in formatting (key order,
        white space, 14800.0 vs "14800.00") hash alike."""
        canonical = json.dumps(
            self.model_dump(mode="python"), default=_canonical, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def parties(self) -> list[tuple[str, Party | Declarant]]:
        """Every party to screen, with its role in the declaration."""
        found: list[tuple[str, Party | Declarant]] = [
            ("exporter", self.exporter),
            ("consignee", self.consignee),
        ]
        if self.end_user is not None:
            found.append(("end_user", self.end_user))
        found.append(("declarant", self.declarant))
        return found

    def total_value(self) -> Decimal:
        return sum((i.statistical_value.amount for i in self.goods_items), Decimal(0))
