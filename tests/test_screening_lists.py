"""Parsing restricted-party lists in the Consolidated Screening List (CSL) JSON and CSV formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening import ListFormatError, parse_csl

DEMO_LIST = Path(__file__).resolve().parents[1] / "reference" / "screening" / "demo-csl.json"


def csl_json(*results: object) -> bytes:
    return json.dumps({"total": len(results), "results": list(results)}, ensure_ascii=False).encode()


ZEPHYR = {
    "id": "e-1",
    "name": " Zephyr Avionics Ltd ",
    "alt_names": ["Zephyr Avia", "Зефир Авиа", "zephyr avia", " ", "Zephyr Avionics Ltd"],
    "addresses": [
        {"address": "1 Road", "city": "Minsk", "state": None, "postal_code": "220000", "country": "BY"},
        {"address": "2 Quay", "city": "Riga", "state": None, "postal_code": None, "country": "LV"},
    ],
    "programs": ["EAR", "EAR"],
    "source": "Entity List (EL) - Bureau of Industry and Security",
    "type": "Entity",
    "entity_number": 31,
    "remarks": "fictional",
    "nationalities": ["RU"],
}


def test_csl_json_entries_keep_names_aliases_countries_and_programs() -> None:
    parsed = parse_csl(csl_json(ZEPHYR), list_name="test-list", filename="consolidated.json")
    assert parsed.rejected == []
    [entry] = parsed.entries
    assert (entry.list, entry.entry_id, entry.name) == ("test-list", "e-1", "Zephyr Avionics Ltd")
    assert entry.alt_names == ["Zephyr Avia", "Зефир Авиа"]  # stripped, deduplicated, no blanks, not the name
    assert entry.countries == ["BY", "LV", "RU"]  # addresses first, then nationalities
    assert entry.addresses[0] == {
        "address": "1 Road",
        "city": "Minsk",
        "state": None,
        "postal_code": "220000",
        "country": "BY",
    }
    assert entry.programs == ["EAR"]
    assert (entry.source, entry.entity_type, entry.remarks) == (ZEPHYR["source"], "Entity", "fictional")


def test_a_bare_json_list_of_entries_is_accepted() -> None:
    parsed = parse_csl(json.dumps([ZEPHYR]).encode(), list_name="l")
    assert [e.entry_id for e in parsed.entries] == ["e-1"]


def test_country_names_become_iso_codes() -> None:
    entry = {
        **ZEPHYR,
        "addresses": [{"country": "Iran"}],
        "nationalities": ["Russia"],
        "citizenships": ["SYR"],
    }
    [parsed] = parse_csl(csl_json(entry), list_name="l").entries
    assert parsed.countries == ["IR", "RU", "SY"]


def test_bad_json_rows_are_rejected_with_their_row_number_and_the_rest_imported() -> None:
    rows = [
        ZEPHYR,
        {**ZEPHYR, "id": "e-2", "name": "  "},
        {**ZEPHYR, "id": None, "name": "No Id Trading"},
        "not an entry",
        {**ZEPHYR, "id": "e-5", "alt_names": [1, 2]},
        {**ZEPHYR, "id": "e-1", "name": "Duplicate Id Ltd"},
        {**ZEPHYR, "id": "e-7", "name": "Fine Ltd"},
    ]
    parsed = parse_csl(csl_json(*rows), list_name="l")
    assert [e.entry_id for e in parsed.entries] == ["e-1", "e-7"]
    reasons = {r.row: r.reason for r in parsed.rejected}
    assert sorted(reasons) == [2, 3, 4, 5, 6]
    assert "name" in reasons[2] and "id" in reasons[3] and "object" in reasons[4]
    assert "alt_names" in reasons[5] and "duplicate" in reasons[6]


CSV_HEADER = (
    "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,"
    "standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,"
    "gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,"
    "dates_of_birth,nationalities,places_of_birth,source_information_url,ids"
)


def csv_row(**cells: str) -> str:
    columns = CSV_HEADER.split(",")
    return ",".join(f'"{cells.get(column, "")}"' for column in columns)


def test_csl_csv_splits_multi_valued_cells_and_reads_address_countries() -> None:
    content = "\n".join(
        [
            CSV_HEADER,
            csv_row(
                _id="c-1",
                source="Entity List (EL) - Bureau of Industry and Security",
                type="Entity",
                programs="EAR; RUSSIA-EO14024",
                name="Zephyr Avionics Ltd",
                addresses="1 Road, Minsk, , 220000, BY; Harbour St 2, Riga, LV; somewhere unknown",
                alt_names="Zephyr Avia; Зефир Авиа; Zephyr Avia",
                nationalities="RU",
            ),
            "",
            csv_row(_id="c-2", name="", programs="EAR"),
            csv_row(_id="", name="Nameless Id Ltd"),
            csv_row(_id="c-4", name="Second Entry Ltd", type="Individual"),
        ]
    )
    parsed = parse_csl(content.encode(), list_name="csv-list", content_type="text/csv")
    first, second = parsed.entries
    assert (first.entry_id, first.name, first.list) == ("c-1", "Zephyr Avionics Ltd", "csv-list")
    assert first.programs == ["EAR", "RUSSIA-EO14024"]
    assert first.alt_names == ["Zephyr Avia", "Зефир Авиа"]
    assert first.countries == ["BY", "LV", "RU"]
    assert [a["country"] for a in first.addresses] == ["BY", "LV", None]
    assert first.addresses[0]["address"] == "1 Road, Minsk, 220000"
    assert (second.entry_id, second.entity_type) == ("c-4", "Individual")
    # data rows count from 1 after the header; blank lines are not rows
    assert [r.row for r in parsed.rejected] == [2, 3]
    assert "missing name" in parsed.rejected[0].reason and "missing id" in parsed.rejected[1].reason


def test_format_is_detected_from_the_filename_the_content_type_or_the_content() -> None:
    csv_content = (CSV_HEADER + "\n" + csv_row(_id="c-1", name="Zephyr Avionics Ltd")).encode()
    for hints in ({"filename": "list.csv"}, {"content_type": "text/csv; charset=utf-8"}, {}):
        assert [e.entry_id for e in parse_csl(csv_content, list_name="l", **hints).entries] == ["c-1"]
    json_content = b"\n  " + csl_json(ZEPHYR)
    for hints in ({"filename": "list.JSON"}, {"content_type": "application/json"}, {}):
        assert [e.entry_id for e in parse_csl(json_content, list_name="l", **hints).entries] == ["e-1"]


def test_a_utf8_bom_and_windows_line_ends_are_fine() -> None:
    content = "\ufeff" + CSV_HEADER + "\r\n" + csv_row(_id="c-1", name="Zephyr Avionics Ltd") + "\r\n"
    assert [e.name for e in parse_csl(content.encode(), list_name="l").entries] == ["Zephyr Avionics Ltd"]


@pytest.mark.parametrize(
    ("content", "hints", "message"),
    [
        (b"", {}, "empty"),
        (b"   \n ", {}, "empty"),
        (b"\x00\x01 garbage", {"content_type": "application/octet-stream"}, "name"),
        (b'{"results": [', {}, "JSON"),
        (b'{"entries": []}', {}, "results"),
        (b'"just a string"', {"content_type": "application/json"}, "results"),
        (b"id,title\n1,Director\n", {"filename": "list.csv"}, "name"),
        (csl_json({"id": "x"}, {"name": ""}), {}, "no valid entries"),
    ],
)
def test_whole_file_garbage_raises_a_clear_list_format_error(
    content: bytes, hints: dict[str, str], message: str
) -> None:
    with pytest.raises(ListFormatError, match=message):
        parse_csl(content, list_name="l", **hints)
    assert issubclass(ListFormatError, ValueError)


def test_an_empty_list_is_a_valid_list() -> None:
    assert parse_csl(csl_json(), list_name="l").entries == []
    assert parse_csl((CSV_HEADER + "\n").encode(), list_name="l").entries == []


def test_the_demo_list_loads_with_its_fixed_entries() -> None:
    parsed = parse_csl(DEMO_LIST.read_bytes(), list_name="demo-csl", filename=DEMO_LIST.name)
    assert parsed.rejected == []
    assert 35 <= len(parsed.entries) <= 50
    by_id = {e.entry_id: e for e in parsed.entries}
    volkov, crescent = by_id["demo-0001"], by_id["demo-0002"]
    assert (volkov.name, volkov.alt_names, volkov.countries) == (
        "Volkov Dynamics OOO",
        ["Volkov Dinamika", "ООО Волков Динамика"],  # noqa: RUF001
        ["RU"],
    )
    assert (crescent.name, crescent.alt_names, crescent.countries) == (
        "Golden Crescent Trading LLC",
        ["Golden Crescent General Trading"],
        ["AE"],
    )
    assert all(e.list == "demo-csl" and e.programs and e.source for e in parsed.entries)
    assert all("FICTIONAL" in (e.remarks or "") for e in parsed.entries)


def test_an_id_longer_than_the_store_keeps_is_a_rejected_row_not_a_server_error() -> None:
    rows = [{"id": "x" * 121, "name": "Too Long Id Trading"}, {"id": "ok-1", "name": "Fine Trading"}]
    parsed = parse_csl(json.dumps(rows).encode(), list_name="test")
    assert [e.entry_id for e in parsed.entries] == ["ok-1"]
    assert [(r.row, r.reason) for r in parsed.rejected] == [
        (1, "id longer than 120 characters (name 'Too Long Id Trading')")
    ]
