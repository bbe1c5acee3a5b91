"""Name normalisation: what screening ignores (case, punctuation, legal forms, script) and what it keeps."""

from __future__ import annotations

import pytest

from screening import name_tokens, normalise_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Volkov Dynamics OOO", "volkov dynamics"),
        ("OOO Volkov Dynamics", "volkov dynamics"),
        ("Golden Crescent Trading L.L.C.", "golden crescent trading"),
        ("Golden Crescent Trading LLC", "golden crescent trading"),
        ("Hikari Precision Instruments K.K.", "hikari precision instruments"),
        ("Shenzhen Huaxin Technology Co., Ltd.", "shenzhen huaxin technology"),
        ("Kessler Feinmechanik GmbH & Co. KG", "kessler feinmechanik"),
        ("Fiat Componenti S.p.A.", "fiat componenti"),
        ("Maersk Logistik A/S", "maersk logistik"),
        ("Acme Widgets Pty. Ltd.", "acme widgets"),
        ("Public Joint Stock Company Uralprom", "uralprom"),
        ("Navid Trading FZE", "navid trading"),
    ],
)
def test_legal_forms_are_dropped_wherever_they_stand(name: str, expected: str) -> None:
    assert normalise_name(name) == expected


def test_punctuation_case_and_spacing_do_not_count() -> None:
    expected = normalise_name("Volkov Dynamics")
    for written in (
        "OOO «Volkov-Dynamics»",
        '"VOLKOV DYNAMICS", OOO',
        "  volkov.dynamics  ",
        "Volkov,Dynamics",
    ):
        assert normalise_name(written) == expected


def test_other_scripts_are_transliterated_to_ascii() -> None:
    assert normalise_name("ООО Волков Динамика") == "volkov dinamika"  # noqa: RUF001
    assert normalise_name("Müller Straße") == "muller strasse"
    assert normalise_name("Société Générale") == "societe generale"


def test_a_chinese_personal_name_reads_as_family_name_then_given_name() -> None:
    assert normalise_name("张小平") == "zhang xiaoping"
    assert normalise_name("周明浩") == "zhou minghao"


def test_legal_form_letters_inside_words_are_kept() -> None:
    assert normalise_name("Coastal Agro Incas") == "coastal agro incas"
    assert normalise_name("Saab Spares") == "saab spares"


def test_a_name_that_is_only_a_legal_form_is_kept() -> None:
    assert normalise_name("GmbH") == "gmbh"
    assert normalise_name("L.L.C.") == "llc"


def test_empty_and_punctuation_only_names_normalise_to_nothing() -> None:
    assert normalise_name("") == ""
    assert normalise_name(" -- ,, ") == ""
    assert name_tokens("...") == []


def test_name_tokens_keep_the_written_order() -> None:
    assert name_tokens("Kirill Andreyevich Morozkin") == ["kirill", "andreyevich", "morozkin"]
    assert name_tokens("O'Neil & Sons Ltd") == ["oneil", "sons"]
