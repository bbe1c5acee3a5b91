"""A process's screening index after an import: compact (entry records read from the store only for a match, as of
the index's revision), patched rather than rebuilt when an import changes a few entries of a big list, and never
reporting a match on an entry that changed under it (adapters/screening.py, screening/layered.py; the store part
on SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import uuid

import pytest

from adapters.screening import EmbeddedScreeningService
from screening import IndexedEntry, ListEntry, NameIndex
from screening.layered import LayeredIndex, patched
from store import screening_lists
from store.db import Database


@pytest.fixture(scope="module")
def listed() -> list[ListEntry]:
    from bench.screening_names import Names, make_list

    entries, _ = make_list(Names(random.Random(11)), 6000)
    return entries


def changed_list(entries: list[ListEntry], list_name: str) -> tuple[list[ListEntry], dict[str, ListEntry]]:
    """The list with entries 0-2 removed, 3-4 renamed and three added; the affected entries by role."""
    renamed = [
        entries[3].model_copy(update={"name": "Quillfeather Abernathy Holdings", "alt_names": []}),
        entries[4].model_copy(update={"name": "Zorvath Kittredge", "alt_names": ["Kittredge, Zorvath"]}),
    ]
    added = [
        ListEntry(list=list_name, entry_id="new-1", name="Brannoch Velmire Shipping LLC", countries=["PA"]),
        ListEntry(list=list_name, entry_id="new-2", name="Ilsabet Quorrin", alt_names=["Илсабет Кворрин"]),
        ListEntry(list=list_name, entry_id="new-3", name="Tesselvane Optics GmbH", countries=["DE"]),
    ]
    after = [*renamed, *entries[5:], *added]
    return after, {"removed": entries[0], "renamed": entries[3], "added": added[0]}


def test_a_patched_index_finds_what_a_rebuilt_one_finds(listed: list[ListEntry]) -> None:
    base = NameIndex(listed)
    after, roles = changed_list(listed, listed[0].list)
    layered = patched(base, [IndexedEntry.of(e) for e in after[:2] + after[-3:]], {e.entry_id for e in after})
    assert isinstance(layered, LayeredIndex) and layered.base is base
    rebuilt = NameIndex(after)
    assert (layered.size, len(layered)) == (rebuilt.size, len(rebuilt))
    for query in ("Brannoch Velmire Shipping", "Ilsabet Quorrin", "Илсабет Кворрин", "Zorvath Kittredge"):
        assert (
            [h.entry_id for h in layered.hits(query, min_score=88)][:1]
            == [h.entry_id for h in rebuilt.hits(query, min_score=88)][:1]
            != []
        ), query
    # removed and renamed entries are not found by their old names; every other entry scores as in a rebuild
    for gone in (roles["removed"], roles["renamed"]):
        assert gone.entry_id not in {h.entry_id for h in layered.hits(gone.name, min_score=0, limit=50)}
    for entry in listed[10:60]:
        ours = {h.entry_id: h.score for h in layered.hits(entry.name, min_score=80)}
        theirs = {h.entry_id: h.score for h in rebuilt.hits(entry.name, min_score=80)}
        assert abs(ours[entry.entry_id] - theirs[entry.entry_id]) <= 1.0, entry.name
    # patched again, it stays one base with one overlay; a patch of a large part of the list is a rebuild
    again = patched(layered, [], {e.entry_id for e in after} - {"new-3"})
    assert again is not None and again.base is base and again.size == layered.size - 1
    assert "new-3" not in {h.entry_id for h in again.hits("Tesselvane Optics", min_score=0)}
    assert patched(base, [], {e.entry_id for e in listed[: len(listed) // 2]}) is None


async def _import(db: Database, name: str, entries: list[ListEntry]) -> int:
    async with db.writer() as session:
        return (await screening_lists.replace_list(session, name=name, entries=entries, by="tests")).revision


async def test_an_import_of_a_few_entries_patches_the_held_index_and_matches_carry_the_stored_record(
    store_db: Database, listed: list[ListEntry]
) -> None:
    name = f"catch-up-{uuid.uuid4().hex[:6]}"
    entries = [e.model_copy(update={"list": name}) for e in listed]
    first = await _import(store_db, name, entries)
    service = EmbeddedScreeningService(store_db)
    entry = next(e for e in entries if e.alt_names and e.programs)
    screened = await service.check(entry.alt_names[0], None, min_score=88, list_revisions={name: first})
    assert screened.list_revisions[name] == first
    match = next(m for m in screened.matches if m.entry_id == entry.entry_id)
    assert (match.name, match.programs) == (entry.name, entry.programs)
    assert match.matched_alias in (entry.alt_names[0], None)
    held = service.current.indexes[name]
    assert isinstance(held, NameIndex)

    after, roles = changed_list(entries, name)
    second = await _import(store_db, name, after)
    screened = await service.check("Brannoch Velmire Shipping", "PA", min_score=88, list_revisions={name: second})
    assert [(m.entry_id, m.name) for m in screened.matches] == [("new-1", "Brannoch Velmire Shipping LLC")]
    patched_index = service.current.indexes[name]
    assert isinstance(patched_index, LayeredIndex) and patched_index.base is held  # not rebuilt
    gone = await service.check(roles["removed"].name, None, min_score=88)
    assert roles["removed"].entry_id not in {m.entry_id for m in gone.matches}


async def test_a_match_on_an_entry_changed_since_the_index_was_built_is_searched_again_on_the_new_revision(
    store_db: Database,
) -> None:
    name = f"stale-{uuid.uuid4().hex[:6]}"
    old = ListEntry(list=name, entry_id="e-1", name="Orvanto Kessrik Trading", programs=["OLD"])
    first = await _import(store_db, name, [old, ListEntry(list=name, entry_id="e-2", name="Something Else Ltd")])
    service = EmbeddedScreeningService(store_db)
    assert [m.programs for m in (await service.check(old.name, None, min_score=88)).matches] == [["OLD"]]
    # another process imports: the entry now names someone else; this one's index is still at `first`
    renamed = old.model_copy(update={"name": "Dalmuir Penhallow", "programs": ["NEW"]})
    second = await _import(store_db, name, [renamed, ListEntry(list=name, entry_id="e-2", name="Something Else Ltd")])
    assert service.current.revisions[name] == first
    screened = await service.check(old.name, None, min_score=88, list_revisions={name: first})
    # the old index hit e-1, whose stored record is no longer the one it scored: caught up, searched again
    assert screened.list_revisions[name] == second
    assert [m.entry_id for m in screened.matches] == []
    screened = await service.check("Dalmuir Penhallow", None, min_score=88, list_revisions={name: first})
    assert [(m.entry_id, m.programs) for m in screened.matches] == [("e-1", ["NEW"])]
