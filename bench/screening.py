"""Screening benchmark: recall, false positives, latency, build time and memory of ``screening.NameIndex``.

Usage::

    .venv/bin/python -m bench.screening              # 100 000 names and aliases, 3 000 variants, 4 x 1 000 unrelated
    .venv/bin/python -m bench.screening --smoke      # 5 000 names, 300 variants, 4 x 100 unrelated; well under 30 s
    .venv/bin/python -m bench.screening --names 50000 --queries 1000 --seed 7
    .venv/bin/python -m bench.screening --check      # exit 1 when a target is missed

Everything is generated offline from a seed (``bench/screening_names.py``): a synthetic restricted-party list
of N distinct names and aliases (as the index counts them: spellings that normalise alike are one name),
companies and people from Latin, Russian, Arabic and Chinese naming cultures, with legal forms, aliases,
native-script spellings and countries. Then:

* ``--queries`` variants of listed names, the kinds in turn, each on a random entry it applies to: the name
  in Arabic script (people), in Cyrillic script, in Chinese characters (people), another romanisation
  (Mohammed/Muhammad, Sergey/Sergei, -ov/-off, Xiaoping/Xiao-ping, Muller/Mueller), word order,
  punctuation and case, legal form (changed, added or removed), typos (one keyboard slip; one or two in
  names of more than 12 letters), a middle name, patronymic or generic word dropped, or one added. Recall
  is the share of variants whose entry is among the results at or above the review threshold (88).
* ``--unrelated`` names of each of four kinds: unrelated names from the same generators (another seed),
  people who share a listed person's family name and nothing else of it ("Anna Bout" for listed "Viktor
  Bout"), and unrelated Arabic and Russian names written in their own script. A generated name that is a
  variant of a listed name under the kinds above is set aside (and counted). The false-positive rate of a
  kind is the share of its names that return any match at or above the threshold.

Latency is the wall-clock time of each search over all queries (``NameIndex.hits`` and the matched entries'
records turned into matches), one thread, from a cold per-token cache. Memory: what the compact index holds once
built (``tracemalloc``, numpy included; it keeps no ``ListEntry``: a process reads the matched entries' records
from the store) and the process's resident set growth over the build. Catching up: the time to patch the index
with an import that adds, changes and removes a few entries (``screening.layered``) beside a full rebuild.
It is a measurement: the exit code is 0 unless ``--check`` is given and a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from bench.screening_names import (
    VARIANTS,
    Named,
    Names,
    Neighbourhood,
    _to_cyrillic,
    make_list,
    shared_family_names,
    to_arabic,
    unrelated_names,
)
from screening import ListEntry, Match, NameIndex, matches_of
from screening.entries import IndexedEntry
from screening.layered import patched

REVIEW_THRESHOLD = 88.0
TARGET_MEDIAN_MS = 2.0
TARGET_RECALL = 0.99
TARGET_KIND_RECALL = 0.95
TARGET_FP = 0.01
TARGET_INDEX_MB = 150.0
TARGET_BUILD_S = 3.0
PATCH_ENTRIES = 10  # entries an import changes, for the catch-up figure


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def rss_mb() -> float:
    """Resident set size of this process (Linux), MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def recall_queries(primaries: dict[str, Named], count: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, query, entry id): the kinds in turn, each on a random entry the kind applies to."""
    rng = random.Random(seed)
    entry_ids = list(primaries)
    kinds = list(VARIANTS)
    queries: list[tuple[str, str, str]] = []
    while len(queries) < count:
        kind = kinds[len(queries) % len(kinds)]
        entry_id = rng.choice(entry_ids)
        query = VARIANTS[kind](rng, primaries[entry_id])
        if query and query.strip():
            queries.append((kind, query, entry_id))
    return queries


def unrelated_sets(
    entries_primaries: dict[str, Named], neighbourhood: Neighbourhood, count: int, seed: int
) -> tuple[dict[str, list[tuple[str, str]]], Counter[str]]:
    """Unrelated names by kind, as (query, what it was made from), and how many were set aside."""
    unrelated, set_aside = unrelated_names(Names(random.Random(seed)), neighbourhood, count)
    arabic: list[Named] = []
    russian: list[Named] = []
    more = Names(random.Random(seed + 1))
    while len(arabic) < count or len(russian) < count:
        culture = "ar" if len(arabic) < count else "ru"
        named = more.person(culture) if culture == "ar" or more.rng.random() < 0.5 else more.company(culture)
        reason = neighbourhood.reason(named.text)
        if reason:
            set_aside[reason] += 1
        else:
            (arabic if culture == "ar" else russian).append(named)
    family = shared_family_names(Names(random.Random(seed + 2)), entries_primaries, neighbourhood, count)
    return {
        "unrelated": [(n.text, n.text) for n in unrelated],
        "shared_family_name": [(n.text, f"listed {listed!r}") for n, listed in family],
        "unrelated_arabic_script": [(to_arabic(n.text), n.text) for n in arabic],
        "unrelated_cyrillic_script": [(_to_cyrillic(n.text), n.text) for n in russian],
    }, set_aside


def build_figures(entries: list[ListEntry]) -> tuple[NameIndex, float, float, float, float]:
    """The index, its build time (s), what it holds (MB, tracemalloc), the build's peak (MB) and the
    resident set growth of the build (MB)."""
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    index = NameIndex(entries)
    build = time.perf_counter() - started
    gc.collect()
    rss_growth = rss_mb() - before
    tracemalloc.start()
    traced = NameIndex(entries)
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del traced
    return index, build, held / 2**20, peak / 2**20, rss_growth


def patch_seconds(index: NameIndex, entries: list[ListEntry]) -> float:
    """Seconds to patch the index with an import that removes, changes and adds ``PATCH_ENTRIES`` entries in all."""
    third = PATCH_ENTRIES // 3
    changed = [
        IndexedEntry.of(e)._replace(name=f"{e.name} Renamed {n}") for n, e in enumerate(entries[third : 2 * third])
    ]
    added = [
        IndexedEntry(entries[0].list, f"added-{n}", f"Added Party {n} Holdings", [], [])
        for n in range(PATCH_ENTRIES - 2 * third)
    ]
    present = {e.entry_id for e in entries[third:]} | {e.entry_id for e in added}
    started = time.perf_counter()
    patched(index, [*changed, *added], present)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.screening", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="5 000 names, 300 variants, 4 x 100 unrelated")
    parser.add_argument("--names", type=int, default=100_000, help="names and aliases in the list")
    parser.add_argument("--queries", type=int, default=3000, help="variants of listed names")
    parser.add_argument("--unrelated", type=int, default=1000, help="unrelated names per kind")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--show-misses", type=int, default=0, metavar="N", help="print N missed variants")
    parser.add_argument("--show-fp", type=int, default=5, metavar="N", help="print N false positives")
    args = parser.parse_args(argv)
    if args.smoke:
        args.names, args.queries, args.unrelated = 5000, 300, 100

    started = time.perf_counter()
    entries, primaries = make_list(Names(random.Random(args.seed)), args.names)
    generated = time.perf_counter() - started
    entries_mb = rss_mb()
    index, build, held_mb, peak_mb, rss_growth = build_figures(entries)
    patch = patch_seconds(index, entries)
    by_key = {(e.list, e.entry_id): e for e in entries}  # the store's part: the matched entries' records

    def search(query: str, limit: int, min_score: float) -> list[Match]:
        return matches_of(query, index.hits(query, limit=limit, min_score=min_score), by_key)

    variants = recall_queries(primaries, args.queries, args.seed + 1)
    neighbourhood = Neighbourhood(entries)
    unrelated, set_aside = unrelated_sets(primaries, neighbourhood, args.unrelated, args.seed + 2)

    latencies: list[float] = []
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses: list[str] = []
    for kind, query, entry_id in variants:
        t0 = time.perf_counter()
        matches = search(query, 25, REVIEW_THRESHOLD)
        latencies.append(time.perf_counter() - t0)
        total[kind] += 1
        if any(m.entry_id == entry_id for m in matches):
            found[kind] += 1
        elif len(misses) < args.show_misses:
            low = search(query, 50, 0)
            score = next((m.score for m in low if m.entry_id == entry_id), None)
            misses.append(f"  missed {kind}: {query!r} for {primaries[entry_id].text!r} (score {score})")
    false_positives: dict[str, list[str]] = {kind: [] for kind in unrelated}
    for kind, queries in unrelated.items():
        for query, source in queries:
            t0 = time.perf_counter()
            matches = search(query, 10, REVIEW_THRESHOLD)
            latencies.append(time.perf_counter() - t0)
            if matches:
                hit = matches[0].matched_alias or matches[0].name
                false_positives[kind].append(f"  {kind}: {query!r} ({source}) -> {hit!r} ({matches[0].score})")

    recall = sum(found.values()) / max(1, len(variants))
    ms = [1000 * s for s in latencies]
    median, p99 = statistics.median(ms), percentile(ms, 0.99)
    results: list[tuple[str, str, str, bool]] = []  # (measure, figure, target, met)

    print(f"screening benchmark  seed={args.seed}  review threshold={REVIEW_THRESHOLD:g}")
    print(f"list: {len(entries)} entries, {len(index)} names and aliases indexed (generated in {generated:.1f} s)")
    print(f"queries: {len(variants)} variants of listed names, {sum(map(len, unrelated.values()))} unrelated names")
    print(
        "  generated names set aside as variants of listed names: "
        + (", ".join(f"{reason} {n}" for reason, n in set_aside.most_common()) or "none")
    )
    print()
    print(f"{'recall by variant kind':<30}{'found':>8}{'total':>8}{'recall':>9}{'target':>9}  result")
    for kind in VARIANTS:
        share = found[kind] / max(1, total[kind])
        ok = share >= TARGET_KIND_RECALL
        print(f"{kind:<30}{found[kind]:>8}{total[kind]:>8}{share:>9.3f}{'>= 0.95':>9}  {'PASS' if ok else 'FAIL'}")
        results.append((f"recall {kind}", f"{share:.3f}", ">= 0.95", ok))
    ok = recall >= TARGET_RECALL
    verdict = "PASS" if ok else "FAIL"
    print(f"{'all variants':<30}{sum(found.values()):>8}{len(variants):>8}{recall:>9.3f}{'>= 0.99':>9}  {verdict}")
    results.append(("recall, all variants", f"{recall:.3f}", ">= 0.99", ok))
    print()
    print(f"{'false positives by kind':<30}{'hits':>8}{'total':>8}{'rate':>9}{'target':>9}  result")
    for kind, hits in false_positives.items():
        rate = len(hits) / max(1, len(unrelated[kind]))
        ok = rate <= TARGET_FP
        verdict = "PASS" if ok else "FAIL"
        print(f"{kind:<30}{len(hits):>8}{len(unrelated[kind]):>8}{100 * rate:>8.2f}%{'<= 1 %':>9}  {verdict}")
        results.append((f"false positives {kind}", f"{100 * rate:.2f} %", "<= 1 %", ok))
    print()
    figures = [
        ("search median", f"{median:.3f} ms", "<= 2 ms", median <= TARGET_MEDIAN_MS),
        ("search p99", f"{p99:.3f} ms", "-", True),
        ("search max", f"{max(ms):.3f} ms", "-", True),
        ("index build", f"{build:.2f} s", "<= 3 s", build <= TARGET_BUILD_S),
        (f"catch up: patch {PATCH_ENTRIES} entries", f"{1000 * patch:.0f} ms", "-", True),
        ("index memory (tracemalloc)", f"{held_mb:.1f} MB", "<= 150 MB", held_mb <= TARGET_INDEX_MB),
        ("index build peak (tracemalloc)", f"{peak_mb:.1f} MB", "-", True),
        ("RSS growth over the build", f"{rss_growth:.1f} MB", "-", True),
        ("process RSS with the entries", f"{entries_mb:.0f} MB", "-", True),
    ]
    print(f"{'measure':<34}{'figure':>14}{'target':>12}  result")
    for measure, figure, target, ok in figures:
        print(f"{measure:<34}{figure:>14}{target:>12}  {'PASS' if ok else 'FAIL' if target != '-' else ''}")
    results += figures
    for lines in false_positives.values():
        for line in lines[: args.show_fp]:
            print(line)
    for line in misses:
        print(line)
    missed = [measure for measure, _, _, ok in results if not ok]
    print()
    print("all targets met: PASS" if not missed else f"targets missed: FAIL ({', '.join(missed)})")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
