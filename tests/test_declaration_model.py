"""Declaration validation: what a declarant gets told when a declaration cannot be lodged."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from domain.declaration import Declaration
from tests.support import example


def errors_of(body: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as info:
        Declaration.model_validate(body)
    return [(e["loc"], e["msg"]) for e in info.value.errors()]


@pytest.mark.parametrize("name", ["green-lane", "dual-use-licensed"])
def test_contract_examples_are_valid(name: str) -> None:
    declaration = Declaration.model_validate(example(name))
    assert declaration.goods_items[0].sequence == 1


def test_unknown_country_and_currency_are_rejected_with_their_paths() -> None:
    body = example("green-lane", country_of_destination="XX")
    body["goods_items"][0]["statistical_value"]["currency"] = "EUX"
    locs = [loc for loc, _ in errors_of(body)]
    assert ("country_of_destination",) in locs
    assert ("goods_items", 0, "statistical_value", "currency") in locs


@pytest.mark.parametrize("code", ["8205", "82054", "820540000", "8205400000X", "ABCDEF"])
def test_commodity_codes_must_have_6_8_or_10_digits(code: str) -> None:
    body = example("green-lane")
    body["goods_items"][0]["commodity_code"] = code
    assert any(loc == ("goods_items", 0, "commodity_code") for loc, _ in errors_of(body))


def test_gross_mass_below_net_mass_is_rejected() -> None:
    body = example("green-lane")
    body["goods_items"][0]["gross_mass_kg"] = 100.0
    [(loc, msg)] = errors_of(body)
    assert loc == ("goods_items", 0, "gross_mass_kg") and "net_mass_kg (310.0)" in msg


def test_item_sequences_must_be_unique() -> None:
    body = example("green-lane")
    body["goods_items"].append(copy.deepcopy(body["goods_items"][0]))
    assert (("goods_items", 1, "sequence"), "goods item sequence 1 is used more than once") in errors_of(body)


@pytest.mark.parametrize("field,value", [("net_mass_kg", 0), ("net_mass_kg", -1.0)])
def test_masses_must_be_positive(field: str, value: float) -> None:
    body = example("green-lane")
    body["goods_items"][0][field] = value
    assert any(loc == ("goods_items", 0, field) for loc, _ in errors_of(body))


def test_values_must_be_positive_and_lrn_at_most_22_characters() -> None:
    body = example("green-lane", lrn="X" * 23)
    body["goods_items"][0]["statistical_value"]["amount"] = "0.00"
    locs = [loc for loc, _ in errors_of(body)]
    assert ("lrn",) in locs and ("goods_items", 0, "statistical_value", "amount") in locs


def test_unknown_fields_and_missing_items_are_rejected() -> None:
    body = example("green-lane", surprise=True, goods_items=[])
    locs = [loc for loc, _ in errors_of(body)]
    assert ("surprise",) in locs and ("goods_items",) in locs


def test_body_hash_ignores_formatting_but_not_content() -> None:
    body = example("green-lane")
    same = copy.deepcopy(body)
    same["goods_items"][0]["statistical_value"]["amount"] = "14800.0"
    assert Declaration.model_validate(body).body_hash() == Declaration.model_validate(same).body_hash()
    other = copy.deepcopy(body)
    other["goods_items"][0]["net_mass_kg"] = 311.0
    assert Declaration.model_validate(body).body_hash() != Declaration.model_validate(other).body_hash()


def test_parties_to_screen_include_end_user_when_declared() -> None:
    roles = [role for role, _ in Declaration.model_validate(example("dual-use-licensed")).parties()]
    assert roles == ["exporter", "consignee", "end_user", "declarant"]


def _msg(body: dict[str, Any], loc: tuple[Any, ...]) -> str:
    found = dict(errors_of(body))
    assert loc in found, found
    return found[loc].removeprefix("Value error, ")


@pytest.mark.parametrize(
    "code,message",
    [
        ("ca", "'ca' is not an ISO 3166-1 alpha-2 country code (use upper case, e.g. CA)"),
        ("XX", "'XX' is not an ISO 3166-1 alpha-2 country code (e.g. DE, CA, JP)"),
        ("CAN", "'CAN' is not an ISO 3166-1 alpha-2 country code (e.g. DE, CA, JP)"),
    ],
)
def test_countries_lowercase_or_unknown_are_refused_in_one_voice(code: str, message: str) -> None:
    assert _msg(example("green-lane", country_of_destination=code), ("country_of_destination",)) == message


@pytest.mark.parametrize(
    "code,message",
    [
        ("eur", "'eur' is not an ISO 4217 currency code (use upper case, e.g. EUR)"),
        ("EUX", "'EUX' is not an ISO 4217 currency code (e.g. EUR, USD, JPY)"),
    ],
)
def test_currencies_are_refused_in_the_same_voice(code: str, message: str) -> None:
    body = example("green-lane")
    body["goods_items"][0]["statistical_value"]["currency"] = code
    assert _msg(body, ("goods_items", 0, "statistical_value", "currency")) == message


@pytest.mark.parametrize("eori", ["XYZ", "DE12", "DE1234", "DE1234567890123456", "DE12345-678", "1E12345678"])
def test_malformed_eori_is_reported_as_a_bad_eori(eori: str) -> None:
    message = _msg(example("green-lane", declarant={"eori": eori, "name": "X"}), ("declarant", "eori"))
    assert message.startswith(f"'{eori}' is not an EORI number (an ISO 3166-1 alpha-2 country code, then 5 to 15")
    assert "country code (" not in message.split("(")[0]


@pytest.mark.parametrize(
    "eori,hint",
    [("XX123456789", "then 5 to 15 letters or digits"), ("de123456789", "use upper case, e.g. DE123456789")],
)
def test_eori_with_a_bad_country_prefix_says_so(eori: str, hint: str) -> None:
    message = _msg(example("green-lane", declarant={"eori": eori, "name": "X"}), ("declarant", "eori"))
    assert message.startswith(f"'{eori}' is not an EORI number: it must begin with a country code") and hint in message


@pytest.mark.parametrize("eori", ["DE12345", "DE123456789012345", "GB123456789000"])
def test_real_eori_shapes_are_accepted(eori: str) -> None:
    Declaration.model_validate(example("green-lane", declarant={"eori": eori, "name": "X"}))


@pytest.mark.parametrize("unit", ["pcs", "kg", "H87", "KGM", "PCE", "MTQ"])
def test_rec20_units_and_the_examples_aliases_are_accepted(unit: str) -> None:
    body = example("green-lane")
    body["goods_items"][0]["quantity"]["unit"] = unit
    assert Declaration.model_validate(body).goods_items[0].quantity.unit == unit  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "unit,hint",
    [("bananas", "e.g. H87 or pcs for pieces, KGM or kg, LTR or l, MTR or m"), ("kgm", "use upper case, e.g. KGM")],
)
def test_units_outside_rec20_are_refused(unit: str, hint: str) -> None:
    body = example("green-lane")
    body["goods_items"][0]["quantity"]["unit"] = unit
    message = _msg(body, ("goods_items", 0, "quantity", "unit"))
    assert message == f"'{unit}' is not a unit of measure of UN/ECE Recommendation 20 ({hint})"


def test_commodity_code_message_names_the_accepted_lengths() -> None:
    body = example("green-lane")
    body["goods_items"][0]["commodity_code"] = "8205"
    assert "'8205' is not a commodity code (6 digits of the HS, 8 of the CN or 10 of TARIC" in _msg(
        body, ("goods_items", 0, "commodity_code")
    )


def test_export_to_the_exporting_country_is_refused() -> None:
    message = _msg(example("green-lane", country_of_destination="DE"), ("country_of_destination",))
    assert message == "'DE' is the country of the office of export (DE004098); an export goes to another country"


def test_every_problem_of_a_body_is_reported_at_once() -> None:
    body = example("green-lane", country_of_destination="ca")
    body["declarant"]["eori"] = "XYZ"
    first = body["goods_items"][0]
    first["gross_mass_kg"] = 1
    first["quantity"]["unit"] = "bananas"
    body["goods_items"].append(copy.deepcopy(first))
    body["goods_items"][1]["origin_country"] = "zz"
    locs = {loc for loc, _ in errors_of(body)}
    assert {
        ("country_of_destination",),
        ("declarant", "eori"),
        ("goods_items", 0, "gross_mass_kg"),
        ("goods_items", 0, "quantity", "unit"),
        ("goods_items", 1, "origin_country"),
        ("goods_items", 1, "sequence"),
    } <= locs
