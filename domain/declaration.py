"""Export declaration, aligned with the WCO Data Model (header, parties, goods items, documents).

Validation here is what makes a declaration acceptable: a model that validates is lodged, anything else is
answered with 422 and the field path of every problem.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from domain.codes import (
    EORI_MAX,
    EORI_MIN,
    commodity_problem,
    country_problem,
    currency_problem,
    eori_problem,
    office_problem,
    quoted,
    unit_problem,
)


def _canonical(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _code(problem: Callable[[str], str | None], pattern: str, example: str) -> Any:
    """A code field: plain `str` checked by its `domain.codes` rule, so every code field refuses in one voice
    (the pattern is documentation in the schema, not a second, terser refusal)."""

    def check(value: str) -> str:
        found = problem(value)
        if found is not None:
            raise ValueError(found)
        return value

    return (AfterValidator(check), Field(json_schema_extra={"pattern": pattern, "examples": [example]}))


def _control_problem(code: str) -> str | None:
    if _CONTROL.match(code):
        return None
    return f"{quoted(code)} is not a dual-use control code (e.g. 6A003, 5A002a.1)"


# EU dual-use Annex I / ECCN-like: category digit, product group letter, three digits, optional sub-items.
_CONTROL = re.compile(r"^[0-9][A-E][0-9]{3}([a-z0-9.]{0,16})?$")

CountryCode = Annotated[str, *_code(country_problem, "^[A-Z]{2}$", "CA")]
CurrencyCode = Annotated[str, *_code(currency_problem, "^[A-Z]{3}$", "EUR")]
# Customs office reference number: country + 6 alphanumerics (EU COL format).
OfficeCode = Annotated[str, *_code(office_problem, "^[A-Z]{2}[A-Z0-9]{6}$", "DE004098")]
Eori = Annotated[str, *_code(eori_problem, f"^[A-Z]{{2}}[A-Za-z0-9]{{{EORI_MIN},{EORI_MAX}}}$", "DE123456789012345")]
UnitCode = Annotated[str, *_code(unit_problem, "^[A-Za-z0-9]{1,8}$", "pcs")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=70)]
# HS (6 digits) through CN (8) and national TARIC-like extensions (10).
CommodityCode = Annotated[str, *_code(commodity_problem, "^[0-9]{6}([0-9]{2}){0,2}$", "820540")]
ControlCode = Annotated[str, *_code(_control_problem, _CONTROL.pattern, "6A003")]


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
    unit: UnitCode


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

    @field_validator("gross_mass_kg")
    @classmethod
    def _gross_not_below_net(cls, gross: Decimal, info: ValidationInfo) -> Decimal:
        net = info.data.get("net_mass_kg")
        if net is not None and gross < net:
            raise ValueError(f"gross_mass_kg ({gross}) must not be less than net_mass_kg ({net})")
        return gross


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

    @field_validator("country_of_destination")
    @classmethod
    def _leaves_the_country(cls, destination: str, info: ValidationInfo) -> str:
        office = info.data.get("office_of_export")
        if office is not None and destination == office[:2]:
            raise ValueError(
                f"{quoted(destination)} is the country of the office of export ({office}); "
                "an export goes to another country"
            )
        return destination

    @field_validator("goods_items", mode="wrap")
    @classmethod
    def _unique_sequences(cls, items: Any, handler: ValidatorFunctionWrapHandler) -> list[GoodsItem]:
        """A repeated sequence is reported beside every other problem of the items, not after they are fixed."""
        repeated = _repeated_sequences(items)
        try:
            valid: list[GoodsItem] = handler(items)
        except ValidationError as exc:
            if not repeated:
                raise
            raise _with_errors(exc, repeated) from None
        if repeated:
            raise _with_errors(None, repeated)
        return valid

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


def _repeated_sequences(items: Any) -> list[tuple[tuple[int | str, ...], str]]:
    """(loc, message) for every goods item whose sequence an earlier item already uses, from the raw input."""
    if not isinstance(items, list):
        return []
    seen: set[object] = set()
    found: list[tuple[tuple[int | str, ...], str]] = []
    for index, item in enumerate(items):
        sequence = item.get("sequence") if isinstance(item, dict) else getattr(item, "sequence", None)
        if isinstance(sequence, int) and not isinstance(sequence, bool):
            if sequence in seen:
                found.append(((index, "sequence"), f"goods item sequence {sequence} is used more than once"))
            seen.add(sequence)
    return found


def _with_errors(exc: ValidationError | None, extra: list[tuple[tuple[int | str, ...], str]]) -> ValidationError:
    details = [
        InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"], ctx=e.get("ctx", {}))
        for e in (exc.errors() if exc else [])
    ]
    details += [
        InitErrorDetails(type=PydanticCustomError("repeated_sequence", msg), loc=loc, input=None) for loc, msg in extra
    ]
    return ValidationError.from_exception_data("goods_items", details)
