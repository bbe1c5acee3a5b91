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
    assert loc == ("goods_items", 0) and "gross_mass_kg" in msg


def test_item_sequences_must_be_unique() -> None:
    body = example("green-lane")
    body["goods_items"].append(copy.deepcopy(body["goods_items"][0]))
    assert any("sequence 1 is used more than once" in msg for _, msg in errors_of(body))


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
