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


def test_names_normalised_in_bulk_read_as_each_alone() -> None:
    import random

    from bench.screening_names import Names, make_list
    from screening.normalise import names_tokens

    entries, _ = make_list(Names(random.Random(3)), 3000)
    cyrillic = "\u041e\u041e\u041e «Волков-Динамика»"  # OOO in Cyrillic
    odd = ["", "L.L.C.", "A.B.C. Trading S.A.", "O'Neil & Sons", cyrillic, "张小平", "محمد الرشيد",
           "Sp. z o.o. Alfa", "GmbH", "Co. Ltd", "ß straße"]  # fmt: skip
    names = [*odd, *(text for e in entries for text in (e.name, *e.alt_names))]
    assert names_tokens(names) == [name_tokens(n) for n in names]
    breaks = ["Alfa GmbH", "two\nlines", "x\u2028y", "Beta Co. Ltd"]  # a name's own line break: one at a time
    assert names_tokens(breaks) == [name_tokens(n) for n in breaks]


def test_listed_names_tokenised_in_bulk_are_indexed_as_each_alone() -> None:
    from screening.tokens import index_tokens, list_tokens

    names = ["Abdul-Rahman Al-Rashid", "Feng-Hui Trading Co.", "Wang Bin", "Rashid bin Jaber", "Al-Majid", "X-Ray-Tech"]
    assert list_tokens(names) == [(name_tokens(n), index_tokens(n, join_hyphens=True)) for n in names]
