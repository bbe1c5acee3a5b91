"""Fuzzy restricted-party search: the variants a screening officer expects to be caught, and the
harmless names that must stay quiet."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from screening import ListEntry, Match, ScreeningIndex, parse_csl

DEMO_LIST = Path(__file__).resolve().parents[1] / "reference" / "screening" / "demo-csl.json"
REVIEW_THRESHOLD = 88.0  # the SOP's review_threshold

HARMLESS_DEMO_PARTIES = [
    "Optronik Systeme AG",
    "Hikari Precision Instruments K.K.",
    "Tohoku Institute of Photonics",
    "Rheinfracht Zollagentur GmbH",
    "Kessler Feinmechanik GmbH",
    "Maple Workshop Supplies Inc.",
]


@pytest.fixture(scope="module")
def demo() -> ScreeningIndex:
    return ScreeningIndex(parse_csl(DEMO_LIST.read_bytes(), list_name="demo-csl").entries)


def best(index: ScreeningIndex, name: str, country: str | None = None) -> Match:
    matches = index.search(name, country, min_score=0)
    assert matches, f"nothing found for {name!r}"
    return matches[0]


def test_the_cyrillic_spelling_finds_the_listed_company(demo: ScreeningIndex) -> None:
    match = best(demo, "ООО Волков Динамика")  # noqa: RUF001
    assert (match.list, match.entry_id, match.name) == ("demo-csl", "demo-0001", "Volkov Dynamics OOO")
    assert match.score >= REVIEW_THRESHOLD
    assert match.matched_alias == "ООО Волков Динамика"  # noqa: RUF001
    assert (match.programs, match.country) == (["EAR"], "RU")


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("VOLKOV-DYNAMICS, L.L.C.", "demo-0001"),  # punctuation, case, another legal form
        ("Volkov Dynamics", "demo-0001"),  # legal form left out
        ("Dynamics Volkov OOO", "demo-0001"),  # word order
        ("Golden Crescent Trading FZE", "demo-0002"),
        ("Golden Crescent General Trading L.L.C.", "demo-0002"),  # an alias
        ("Morozkin Kirill Andreyevich", "demo-0006"),  # family name first
        ("Ahmadvand, Reza", "demo-0013"),
        ("Zhou Minghao", "demo-0010"),
        ("周明浩", "demo-0010"),  # Chinese characters
        ("Minghao Chow", "demo-0010"),
    ],
)
def test_spelling_order_punctuation_and_legal_forms_do_not_hide_a_listed_party(
    demo: ScreeningIndex, query: str, entry_id: str
) -> None:
    match = best(demo, query)
    assert match.entry_id == entry_id
    assert match.score >= 95


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("Volkov Dynamcis", "demo-0001"),  # swapped letters
        ("Golden Cresent Trading LLC", "demo-0002"),  # a letter missing
        ("Volkow Dynamics", "demo-0001"),  # a wrong letter
        ("Sibkompozitt AO", "demo-0025"),  # a letter too many
        ("Khaled Yusef Al-Dahmani", "demo-0016"),  # another romanisation of the Arabic name
        ("Kirill Andreevich Morozkin", "demo-0006"),  # another romanisation of the Russian name
        ("Zaria Aerotekh", "demo-0003"),
        ("Hamid Tavakkoli", "demo-0032"),  # middle name left out
        ("Golden Crescent International Trading", "demo-0002"),  # a generic word added
    ],
)
def test_typos_transliterations_and_dropped_or_added_tokens_reach_the_review_threshold(
    demo: ScreeningIndex, query: str, entry_id: str
) -> None:
    match = best(demo, query)
    assert match.entry_id == entry_id
    assert match.score >= REVIEW_THRESHOLD


@pytest.mark.parametrize("party", HARMLESS_DEMO_PARTIES)
def test_harmless_demo_parties_do_not_match(demo: ScreeningIndex, party: str) -> None:
    assert demo.search(party) == []  # nothing at or above the default min_score of 80


@pytest.mark.parametrize(
    "name",
    ["Golden Star Trading", "Volga Dynamics Group", "Ivan Petrov", "Horizon Logistics GmbH", "Zhou Wei"],
)
def test_names_sharing_only_common_words_stay_below_the_review_threshold(demo: ScreeningIndex, name: str) -> None:
    assert demo.search(name, min_score=REVIEW_THRESHOLD) == []


def test_a_country_mismatch_lowers_a_weak_match_a_little_but_never_hides_a_strong_one(
    demo: ScreeningIndex,
) -> None:
    assert best(demo, "Volkov Dynamics", "DE").score == 100.0  # the same name stays 100
    same_country = best(demo, "Volkov Dynamcis", "RU").score
    no_country = best(demo, "Volkov Dynamcis").score
    other_country = best(demo, "Volkov Dynamcis", "de").score
    assert same_country == no_country
    assert no_country - 3 <= other_country < no_country
    assert other_country >= REVIEW_THRESHOLD


def test_results_are_best_first_one_per_entry_and_limited(demo: ScreeningIndex) -> None:
    matches = demo.search("Trading", min_score=0, limit=50)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert len({m.entry_id for m in matches}) == len(matches)
    assert len(demo.search("Trading", min_score=0, limit=2)) <= 2
    assert demo.search("Volkov Dynamics", limit=0) == []
    assert all(m.score == round(m.score, 1) and 0 <= m.score <= 100 for m in matches)


def test_the_alias_that_matched_is_reported_and_none_for_the_primary_name(demo: ScreeningIndex) -> None:
    assert best(demo, "Golden Crescent Trading LLC").matched_alias is None
    assert best(demo, "Polar Star Shipping").matched_alias == "Polar Star Shipping"


def test_sizes_count_names_and_aliases_and_entries(demo: ScreeningIndex) -> None:
    entries = parse_csl(DEMO_LIST.read_bytes(), list_name="demo-csl").entries
    assert demo.size == len(entries) == len(demo.entries)
    assert len(entries) < len(demo) <= sum(1 + len(e.alt_names) for e in entries)
    assert demo.entry("demo-csl", "demo-0002") == entries[1]
    assert demo.entry("demo-csl", "nope") is None


def test_names_that_normalise_to_nothing_match_nothing(demo: ScreeningIndex) -> None:
    assert demo.search("") == []
    assert demo.search(" ,.- ") == []
    assert ScreeningIndex([]).search("Volkov Dynamics") == []
    assert len(ScreeningIndex([])) == 0


def test_entries_of_several_lists_are_told_apart() -> None:
    index = ScreeningIndex(
        [
            ListEntry(list="list-a", entry_id="1", name="Zephyr Avionics Ltd", countries=["BY"]),
            ListEntry(list="list-b", entry_id="1", name="Zephyr Avionics Limited", programs=["SDN"]),
        ]
    )
    matches = index.search("Zephyr Avionics")
    assert sorted((m.list, m.entry_id, m.score) for m in matches) == [
        ("list-a", "1", 100.0),
        ("list-b", "1", 100.0),
    ]


def test_an_unknown_word_in_the_query_counts_against_the_match() -> None:
    index = ScreeningIndex([ListEntry(list="l", entry_id="1", name="Atlas Logistics GmbH")])
    assert best(index, "Atlas Logistics").score == 100.0
    assert best(index, "Atlas Zyxwvut Logistics").score < 100.0
    assert index.search("Borealis Maschinenbau", min_score=REVIEW_THRESHOLD) == []


def test_concurrent_searches_agree_with_sequential_ones(demo: ScreeningIndex) -> None:
    queries = [
        "ООО Волков Динамика",  # noqa: RUF001
        "Golden Cresent Trading",
        "Hamid Tavakkoli",
        *HARMLESS_DEMO_PARTIES,
    ] * 20
    expected = [demo.search(q, min_score=0) for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(lambda q: demo.search(q, min_score=0), queries)) == expected
