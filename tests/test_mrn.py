from domain.mrn import (
    check_character,
    declaration_key,
    is_valid_mrn,
    make_mrn,
    workflow_id_for_key,
    workflow_id_for_mrn,
)


def test_check_character_follows_iso_6346() -> None:
    assert check_character("CSQU305438") == "3"  # the standard's own container example


def test_mrn_has_year_country_thirteen_alphanumerics_and_a_check_character() -> None:
    mrn = make_mrn(year=2026, country="DE", key=declaration_key("DE123456789012345", "LRN-1"))
    assert len(mrn) == 18 and mrn.startswith("26DE") and mrn[4:17].isalnum()
    assert is_valid_mrn(mrn)
    wrong = mrn[:17] + str((int(mrn[17]) + 1) % 10)
    assert not is_valid_mrn(wrong)


def test_same_declarant_and_lrn_lead_to_the_same_workflow() -> None:
    key = declaration_key("DE123456789012345", "LRN-1")
    assert key == declaration_key("DE123456789012345", "LRN-1")
    assert key != declaration_key("DE123456789012345", "LRN-2")
    assert key != declaration_key("FR123456789012345", "LRN-1")
    mrn = make_mrn(year=2027, country="FR", key=key)
    assert workflow_id_for_mrn(mrn) == workflow_id_for_key(key)


def test_malformed_mrns_are_invalid() -> None:
    for bad in ("", "26DE", "26de1234567890ABC1", "2XDE1234567890ABC1", "26DE1234567890ABCX"):
        assert not is_valid_mrn(bad)
