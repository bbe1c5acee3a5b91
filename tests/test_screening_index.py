"""Fuzzy restricted-party search: the variants a screening officer expects to be caught, and the
harmless names that must stay quiet."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from screening import ListEntry, ListIndexes, Match, ScreeningIndex, parse_csl

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


# --- names written in Arabic and Cyrillic script ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("محمود سامي حدادين", "demo-0040"),  # Mahmoud Sami Haddadin
        ("محمود حدادين", "demo-0040"),  # a middle name left out as well
        ("خالد الدهماني", "demo-0016"),  # Khalid al-Dahmani
        ("حميد رضا توكلي", "demo-0032"),  # Hamid Reza Tavakkoli (Persian: ض is z, و is v)
        ("رضا أحمدوند شيرازي", "demo-0013"),  # Reza Ahmadvand Shirazi
    ],
)
def test_a_name_written_in_arabic_script_finds_its_romanisation(
    demo: ScreeningIndex, query: str, entry_id: str
) -> None:
    match = best(demo, query)
    assert match.entry_id == entry_id
    assert match.score >= REVIEW_THRESHOLD


def test_arabic_script_meets_every_common_romanisation_and_only_those() -> None:
    index = ScreeningIndex(
        [
            ListEntry(list="l", entry_id="1", name="Mohammed Yousef Al-Khatib"),
            ListEntry(list="l", entry_id="2", name="Omar Fawaz"),
            ListEntry(list="l", entry_id="3", name="Hassan Abdullah Darwish"),
        ]
    )
    for spelling in ("Muhammad Yusuf al-Khatib", "Mohamed Youssef El Khatib"):
        assert best(index, spelling).entry_id == "1"
    assert best(index, "محمد يوسف الخطيب").entry_id == "1"  # no short vowels written
    assert best(index, "محمد يوسف الخطيب").score >= REVIEW_THRESHOLD
    assert best(index, "عمر فواز").score >= REVIEW_THRESHOLD
    assert best(index, "حسن عبدالله درويش").score >= REVIEW_THRESHOLD
    # the long vowels Arabic does write must fit: أمير is Amir, not Omar; حسين is Hussein, not Hassan
    assert index.search("أمير فواز", min_score=REVIEW_THRESHOLD) == []
    assert index.search("حسين عبدالله درويش", min_score=REVIEW_THRESHOLD) == []
    assert index.search("خالد فواز", min_score=REVIEW_THRESHOLD) == []


def test_a_romanised_query_finds_an_entry_listed_in_arabic_script() -> None:
    index = ScreeningIndex([ListEntry(list="l", entry_id="1", name="يوسف خالد الدحماني")])
    match = best(index, "Yousef Khaled Al-Dahmani")
    assert (match.entry_id, match.matched_alias) == ("1", None)
    assert match.score >= REVIEW_THRESHOLD
    assert index.search("Yasmin Khalil Dahman", min_score=REVIEW_THRESHOLD) == []


@pytest.mark.parametrize(
    ("listed", "query"),
    [
        ("Vladimir Putin", "Владимир Путин"),
        ("Sergei Ivanoff", "Сергей Иванов"),  # -off, ei
        ("Habarov Trading", "Хабаров Трейдинг"),  # х is kh or h  # noqa: RUF003
        ("Yolkin Aleksey", "Ёлкин Алексей"),  # ё
        ("Yevgeniy Vasilyev", "Евгений Васильев"),  # е / ye, soft sign  # noqa: RUF003
        ("Dmitri Kozlow", "Дмитрий Козлов"),  # -ow, ий
    ],
)
def test_a_name_written_in_cyrillic_script_finds_its_romanisation(listed: str, query: str) -> None:
    index = ScreeningIndex([ListEntry(list="l", entry_id="1", name=listed)])
    assert best(index, query).score >= REVIEW_THRESHOLD


def test_an_unrelated_person_sharing_a_listed_family_name_stays_below_the_review_threshold(
    demo: ScreeningIndex,
) -> None:
    entries = [
        *demo.entries,
        ListEntry(list="l", entry_id="bout", name="Viktor Anatolyevich Bout"),
        ListEntry(list="l", entry_id="majid", name="Ali Hassan Al-Majid"),
        ListEntry(list="l", entry_id="zimina", name="Elena Viktorovna Zimina"),
    ]
    index = ScreeningIndex(entries)
    assert best(index, "Viktor Bout").entry_id == "bout"
    assert best(index, "Ali Hassan al Majid").entry_id == "majid"
    for other in ("Anna Bout", "Omar Al-Majid", "Omar Hassan Al-Majid", "Olga Zimina", "Anna Sergeyevna Zimina"):
        assert index.search(other, min_score=REVIEW_THRESHOLD) == [], other


# --- one index per list ------------------------------------------------------------------------------------

SMALL_LIST = [
    ListEntry(list="small", entry_id="s1", name="Golden Crescent Trading LLC"),
    ListEntry(list="small", entry_id="s2", name="Sahab Logistics FZE"),
    ListEntry(list="small", entry_id="s3", name="Orion Precision Instruments GmbH"),
]


@pytest.fixture(scope="module")
def big_entries() -> list[ListEntry]:
    from bench.screening_names import Names, make_list

    entries, _ = make_list(Names(random.Random(5)), 8000)
    return entries


def test_with_list_builds_only_that_list_and_reuses_the_others(demo: ScreeningIndex) -> None:
    empty = ListIndexes.empty()
    assert (empty.revisions, len(empty), empty.search("Volkov Dynamics")) == ({}, 0, [])
    one = empty.with_list("demo-csl", 3, demo.entries)
    two = one.with_list("small", 1, SMALL_LIST)
    assert two.indexes["demo-csl"] is one.indexes["demo-csl"]
    assert two.revisions == {"demo-csl": 3, "small": 1} and one.revisions == {"demo-csl": 3}
    newer = two.with_list("small", 2, SMALL_LIST[:1])
    assert newer.indexes["demo-csl"] is one.indexes["demo-csl"]
    assert newer.revisions == {"demo-csl": 3, "small": 2}
    assert newer.entry("small", "s2") is None and two.entry("small", "s2") == SMALL_LIST[1]
    assert two.size == one.size + 3


def test_without_list_drops_only_that_list(demo: ScreeningIndex) -> None:
    both = ListIndexes.empty().with_list("demo-csl", 1, demo.entries).with_list("small", 1, SMALL_LIST)
    only_demo = both.without_list("small")
    assert only_demo.revisions == {"demo-csl": 1}
    assert only_demo.indexes["demo-csl"] is both.indexes["demo-csl"]
    assert only_demo.search("Sahab Logistics") == []
    assert both.search("Sahab Logistics")[0].entry_id == "s2"
    assert only_demo.without_list("nope") is only_demo


def test_search_merges_every_list_best_first_with_the_index_signature(demo: ScreeningIndex) -> None:
    other = [ListEntry(list="other", entry_id="o1", name="Golden Crescent Trading Limited")]
    lists = ListIndexes.empty().with_list("demo-csl", 1, demo.entries).with_list("other", 1, other)
    matches = lists.search("Golden Cresent Trading", None, limit=10, min_score=0)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert {(m.list, m.entry_id) for m in matches[:2]} == {("demo-csl", "demo-0002"), ("other", "o1")}
    single = ScreeningIndex([*demo.entries, *other]).search("Golden Cresent Trading", min_score=0)
    assert [(m.list, m.entry_id) for m in matches[:2]] == [(m.list, m.entry_id) for m in single[:2]]
    assert len(lists.search("Trading", min_score=0, limit=3)) == 3
    assert lists.search("Golden Crescent Trading", limit=0) == []


def test_a_small_list_next_to_a_big_one_scores_as_it_would_inside_it(big_entries: list[ListEntry]) -> None:
    lists = ListIndexes.empty().with_list("big", 1, big_entries).with_list("small", 1, SMALL_LIST)
    merged = ScreeningIndex([*big_entries, *SMALL_LIST])
    for query, entry_id in (
        ("Golden Cresent Trading", "s1"),
        ("Sahab Logistic FZ-LLC", "s2"),
        ("Orion Precision Instrument", "s3"),
    ):
        match = next(m for m in lists.search(query, min_score=0, limit=50) if m.list == "small")
        inside = next(m for m in merged.search(query, min_score=0, limit=50) if m.list == "small")
        assert match.entry_id == entry_id and match.score >= REVIEW_THRESHOLD
        assert abs(match.score - inside.score) <= 3
    # the tiny list's common words do not weigh like distinctive ones
    for unrelated in ("Golden Star Trading", "Crescent Moon General Trading", "Orion Logistics", "Sahab Trading"):
        assert [m for m in lists.search(unrelated, min_score=REVIEW_THRESHOLD) if m.list == "small"] == [], unrelated


def test_a_value_remembers_the_hits_of_names_it_was_asked_for_and_a_new_list_forgets_them(
    demo: ScreeningIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same party comes back declaration after declaration: against the same lists its hits are looked up
    once. A new value (a list imported) searches again; asking with other bounds is another question."""
    from screening import composite

    lists = ListIndexes.empty().with_list("demo-csl", 1, demo.entries)
    first = lists.hits("Golden Cresent Trading", min_score=0)
    searched: list[str] = []
    original = type(demo.names).hits

    def counting(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        searched.append(name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(type(demo.names), "hits", counting)
    again = lists.hits("Golden Cresent Trading", min_score=0)
    assert again == first and again is not lists.hits("Golden Cresent Trading", min_score=0) and searched == []
    again.clear()  # a caller's list is its own
    assert lists.hits("Golden Cresent Trading", min_score=0) == first
    assert lists.hits("Golden Cresent Trading", min_score=0, limit=1) == first[:1] and len(searched) == 1
    newer = lists.with_list("small", 1, SMALL_LIST)
    assert newer.hits("Golden Cresent Trading", min_score=0)[0].list in ("demo-csl", "small")
    assert len(searched) == 3  # the new value searched again, in each of its two lists
    monkeypatch.setattr(composite, "HITS_REMEMBERED", 2)
    for name in ("Orion Precision", "Sahab Logistics", "Volkov Dynamics"):
        lists.hits(name)
    assert len(lists._recent) <= 2  # full: forgotten at once, then remembered again
