"""SOPs as data: schema, CEL expressions, catalogue files."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.declaration import Declaration
from sop.catalogue import SopError, discover, load_file, parse_document, validate_definition
from sop.expressions import ExpressionError, evaluate_condition, rule_context, to_cel
from tests.support import ROOT, example, sop_data


def test_bundled_sops_load_with_distinct_hashes() -> None:
    found = discover(ROOT / "sop")
    assert [(d.name, d.version) for d in found] == [("export-clearance", v) for v in (1, 2, 3)]
    assert len({d.content_hash() for d in found}) == 3
    v2_rules = [r.id for r in found[1].step("risk").rules]  # type: ignore[union-attr]
    assert "high_value" in v2_rules and "high_value" not in [r.id for r in found[0].step("risk").rules]  # type: ignore[union-attr]


def test_content_hash_ignores_yaml_formatting_and_comments() -> None:
    text = (ROOT / "sop" / "export-clearance" / "v1.yaml").read_text()
    reformatted = "# another comment\n" + text.replace("title: Party screening", "title:   'Party screening'")
    assert parse_document(text).content_hash() == parse_document(reformatted).content_hash()


def errors(data: object) -> list[tuple[list[object], str]]:
    with pytest.raises(SopError) as info:
        validate_definition(data)
    return [(e["loc"], e["msg"]) for e in info.value.errors]


def test_schema_errors_name_the_field() -> None:
    data = sop_data()
    data["steps"][0]["review"]["due"] = "four hours"
    data["steps"][2]["rules"][0]["lane"] = "purple"
    locs = [loc for loc, _ in errors(data)]
    assert ["steps", 0, "screening", "review", "due"] in locs
    assert ["steps", 2, "risk", "rules", 0, "lane"] in locs


def test_an_sop_needs_screening_licence_check_and_risk_in_order() -> None:
    data = sop_data()
    data["steps"] = [s for s in data["steps"] if s["kind"] != "licence_check"]
    assert any("licence_check" in msg for _, msg in errors(data))
    data = sop_data()
    data["steps"][1], data["steps"][2] = data["steps"][2], data["steps"][1]
    assert any("after the licence check" in msg for _, msg in errors(data))


def test_cel_errors_are_found_at_publish_time() -> None:
    data = sop_data()
    data["steps"][2]["rules"][0]["when"] = "controled"  # typo: unknown variable
    data["steps"][3]["when"] = "lane =="  # syntax
    data["steps"][4]["when"] = "total_value"  # not a boolean
    found = {".".join(map(str, loc)): msg for loc, msg in errors(data)}
    assert "Undefined variable" in found["steps.risk.rules.controlled_goods.when"]
    assert "cannot parse" in found["steps.joint_inspection.when"]
    assert "not a boolean" in found["steps.approval.when"]


def test_non_mapping_and_broken_yaml_are_refused() -> None:
    assert errors([1, 2])[0][1].startswith("an SOP must be a mapping")
    with pytest.raises(SopError):
        parse_document("name: [unclosed")


def test_file_name_must_match_name_and_version(tmp_path: Path) -> None:
    folder = tmp_path / "export-clearance"
    folder.mkdir()
    path = folder / "v7.yaml"
    path.write_text((ROOT / "sop" / "export-clearance" / "v1.yaml").read_text())
    with pytest.raises(SopError, match=r"must be stored as export-clearance/v1\.yaml"):
        load_file(path)


def context_for(body: dict[str, object], *, controlled: bool = False, lane: str = "") -> dict[str, object]:
    declaration = Declaration.model_validate(body)
    return rule_context(
        declaration=to_cel(declaration.model_dump()),
        controlled=controlled,
        control_codes=["6A003"] if controlled else [],
        screening_hits=0,
        lane=lane,
    )


def test_rules_see_the_declaration_as_numbers_and_strings() -> None:
    ctx = context_for(example("dual-use-licensed"), controlled=True, lane="red")
    assert evaluate_condition("total_value > 50000.0 && destination == 'JP'", ctx)
    assert evaluate_condition("declaration.goods_items.exists(i, i.net_mass_kg < 50.0)", ctx)
    assert evaluate_condition("controlled && lane == 'red' && !aeo", ctx)
    assert evaluate_condition("'6A003' in control_codes && item_count == 1", ctx)
    assert not evaluate_condition("declaration.end_user == null", ctx)


def test_runtime_expression_errors_raise_expression_error() -> None:
    ctx = context_for(example("green-lane"))
    with pytest.raises(ExpressionError):
        evaluate_condition("declaration.goods_items[5].sequence == 1", ctx)


def test_an_optional_setting_added_to_the_schema_keeps_published_hashes() -> None:
    data = sop_data()
    plain = validate_definition(data).content_hash()
    data["settings"]["reason_codes"] = []  # the default, written out
    assert validate_definition(data).content_hash() == plain
