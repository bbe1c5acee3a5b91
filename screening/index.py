"""Fuzzy restricted-party search over list names and aliases: an immutable index per list, safe to search from
many tasks at once. What a score (0-100) means, how to read it at the SOP's review threshold, and how the search is
fast are written down in `screening/README.md`; `bench/screening.py` measures it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

import numpy as np
from rapidfuzz.distance import OSA, Indel
from rapidfuzz.process import cdist

from screening.background import rarity_weights
from screening.entries import IndexedEntry, ListEntry, Match
from screening.normalise import arabic_tokens, name_tokens
from screening.scripts import compatible, skeleton, skeleton_similarity
from screening.tokens import (
    LEGAL_FORM_TYPOS,
    index_tokens,
    is_pinyin,
    list_tokens,
    token_similarity,
    transliteration_key,
    typo_similarity,
)

__all__ = ["Hit", "Match", "NameIndex", "index_tokens"]

CANDIDATES = 48  # names scored exactly per query
MAX_TOKENS = 12  # tokens per name considered when scoring (names are rarely longer)
EXPANSION_FLOOR = 0.6  # vocabulary tokens at least this similar to a query token vote for their names
HIGH_WEIGHT = 0.75  # weight of the better-covered side in the score
COUNTRY_PENALTY_MAX = 3.0
BUILD_CHUNK = 5000  # entries whose names are normalised at once
SIMILAR_CACHE = 8192  # query tokens whose similar vocabulary tokens an index remembers
SKELETON_CACHE = 4096


def _trigrams(token: str) -> set[str]:
    padded = f" {token} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _csr(keys: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Postings: values grouped by key, as (offsets, values)."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=size)
    offsets = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets, values[order].astype(np.int32)


@dataclass(frozen=True, slots=True)
class Hit:
    """An entry whose name or an alias resembles the query: what the index knows of it. ``texts`` are the
    positions of the entry's texts that normalise to the matched name (-1: the primary name, i: ``alt_names[i]``),
    so that the entry's own record, read where it is kept, says which alias matched."""

    list: str
    entry_id: str
    score: float
    texts: tuple[int, ...]


class _Cache:
    """A bounded memo of one index's per-token lookups (cleared when full: queries are few distinct tokens)."""

    __slots__ = ("_items", "_size")

    def __init__(self, size: int) -> None:
        self._items: dict[tuple[str, bool], Any] = {}
        self._size = size

    def get(self, key: tuple[str, bool], compute: Callable[[str, bool], Any]) -> Any:
        found = self._items.get(key)
        if found is None:
            if len(self._items) >= self._size:
                self._items.clear()
            found = self._items[key] = compute(*key)
        return found


class NameIndex:
    """An immutable fuzzy index over list entries' names and aliases. It keeps only what matching reads
    (token ids, postings, normalised names, countries) and each entry's list and id: ``hits`` says which
    entries matched, and the entries themselves are read where they are kept (the database, or
    ``ScreeningIndex`` in memory) for the few that did."""

    def __init__(self, entries: Iterable[ListEntry | IndexedEntry], *, beside: NameIndex | None = None) -> None:
        """``beside``: a larger index this one is searched next to as one list (``screening.layered``): tokens
        weigh by their counts in both, as they would in one index over both."""
        entry_list: list[str] = []
        entry_ids: list[str] = []
        entry_countries: list[frozenset[str]] = []
        lists: dict[str, str] = {}
        country_sets: dict[frozenset[str], frozenset[str]] = {}

        name_entry: list[int] = []
        # per indexed name: the positions of the entry's texts that normalise to it (-1 = the primary
        # name), so that the alias reported for a match is the one written most like the query (the
        # Cyrillic spelling for a Cyrillic query, rather than its romanisation)
        name_texts: dict[int, tuple[int, ...]] = {}
        name_first: list[int] = []
        name_tokens_: list[list[int]] = []
        name_text: list[str] = []  # each name's normalised tokens as written, articles and all
        vocab: dict[str, int] = {}
        arabic: set[str] = set()  # tokens written in Arabic script somewhere in the list
        entries = iter(entries)
        entry_number = -1
        while chunk := list(islice(entries, BUILD_CHUNK)):
            texts = [text for entry in chunk for text in (entry.name, *entry.alt_names)]
            tokenised = iter(list_tokens(texts))
            for entry in chunk:
                entry_number += 1
                entry_list.append(lists.setdefault(entry.list, entry.list))
                entry_ids.append(entry.entry_id)
                countries = frozenset(entry.countries)
                entry_countries.append(country_sets.setdefault(countries, countries))
                seen: dict[frozenset[str], int] = {}  # one name per token set: word order never counts
                for position, text in enumerate((entry.name, *entry.alt_names), start=-1):
                    written, tokens = next(tokenised)
                    if not tokens:
                        continue
                    token_set = frozenset(tokens)
                    number = seen.get(token_set)
                    if number is not None:
                        name_texts[number] = (*name_texts.get(number, (name_first[number],)), position)
                        continue
                    seen[token_set] = len(name_first)
                    if not text.isascii():
                        arabic.update(arabic_tokens(text))
                    name_entry.append(entry_number)
                    name_first.append(position)
                    name_tokens_.append([vocab.setdefault(t, len(vocab)) for t in tokens])
                    name_text.append(" ".join(written))
        self._entry_list = entry_list
        self._entry_ids = entry_ids
        self._entry_countries = entry_countries
        self._name_entry = np.asarray(name_entry, dtype=np.int32)
        self._name_first = np.asarray(name_first, dtype=np.int32)
        self._name_texts = name_texts  # only names more than one text normalises to
        self._vocab = list(vocab)
        self._vocab_ids = vocab
        n_names, n_vocab = len(name_entry), len(vocab)
        self._pad = n_vocab  # token id used to pad names to MAX_TOKENS; weight 0, matches nothing

        # token -> names postings, and each token's rarity weight
        lengths = np.fromiter(map(len, name_tokens_), dtype=np.int64, count=n_names)
        flat = np.fromiter(chain.from_iterable(name_tokens_), dtype=np.int64, count=int(lengths.sum()))
        del name_tokens_
        owners = np.repeat(np.arange(n_names, dtype=np.int64), lengths)
        self._tok_offsets, self._tok_postings = _csr(flat, owners, n_vocab)
        df = np.diff(self._tok_offsets)
        if beside is not None:
            df = df + beside.token_counts(self._vocab)
            n_names += len(beside)
        weights, self._max_weight = rarity_weights(self._vocab, df, n_names)
        n_names = len(name_entry)
        self._tok_weight = np.append(weights, np.float32(0.0))

        # names as padded token-id rows, and each name's total weight
        width = min(MAX_TOKENS, int(lengths.max()) if n_names else 1)
        matrix = np.full((n_names, width), self._pad, dtype=np.int32)
        starts = np.cumsum(lengths) - lengths
        column = np.arange(flat.size, dtype=np.int64) - np.repeat(starts, lengths)
        inside = column < width
        matrix[owners[inside], column[inside]] = flat[inside]
        self._name_matrix = matrix
        # each name as one string in written token order, for whole-name edit similarity
        self._name_text = name_text
        # letters of the name's identifying tokens (no legal forms, articles or connectors)
        vocab_letters = np.fromiter(map(len, self._vocab), dtype=np.float64, count=n_vocab)
        self._name_letters = np.bincount(owners, weights=vocab_letters[flat], minlength=n_names).astype(np.float32)
        self._name_weight = self._tok_weight[matrix].sum(axis=1)
        del flat, owners, column, inside

        # vocabulary trigram -> tokens, and transliteration key -> tokens (to find tokens similar to a
        # query token)
        grams: dict[str, int] = {}
        gram_keys: list[int] = []
        gram_owner: list[int] = []
        gram_count = np.zeros(n_vocab, dtype=np.int32)
        for token_id, token in enumerate(self._vocab):
            token_grams = _trigrams(token)
            gram_count[token_id] = len(token_grams)
            for gram in token_grams:
                gram_keys.append(grams.setdefault(gram, len(grams)))
                gram_owner.append(token_id)
        self._grams = grams
        self._gram_count = gram_count
        self._gram_offsets, self._gram_postings = _csr(
            np.asarray(gram_keys, dtype=np.int64), np.asarray(gram_owner, dtype=np.int64), len(grams)
        )
        key_ids: dict[str, int] = {}
        vocab_keys = np.asarray(
            [key_ids.setdefault(transliteration_key(t), len(key_ids)) for t in self._vocab], dtype=np.int64
        )
        self._key_ids = key_ids
        # signed key ids for token_similarity: id + 1, negated for pinyin tokens; 0 for the pad
        signs = np.asarray([-1 if is_pinyin(t) else 1 for t in self._vocab], dtype=np.int64)
        self._vocab_keys = np.append((vocab_keys + 1) * signs, 0).astype(np.int32)
        self._key_offsets, self._key_postings = _csr(vocab_keys, np.arange(n_vocab, dtype=np.int64), len(key_ids))
        self._vocab_strings = [*self._vocab, ""]
        # consonant skeletons, to meet tokens written in Arabic script (see screening.scripts): every
        # token's skeleton id, and skeleton -> tokens
        skeleton_ids: dict[str, int] = {}
        vocab_skeletons = np.asarray(
            [skeleton_ids.setdefault(skeleton(t, t in arabic), len(skeleton_ids)) for t in self._vocab],
            dtype=np.int64,
        )
        self._skeleton_ids = skeleton_ids
        self._vocab_skeletons = np.append(vocab_skeletons, -1).astype(np.int32)
        self._skeleton_offsets, self._skeleton_postings = _csr(
            vocab_skeletons, np.arange(n_vocab, dtype=np.int64), len(skeleton_ids)
        )
        self._vocab_arabic = np.zeros(n_vocab + 1, dtype=bool)
        self._vocab_arabic[[vocab[t] for t in arabic if t in vocab]] = True
        self._any_arabic = bool(self._vocab_arabic.any())
        self._similar_cache = _Cache(SIMILAR_CACHE)
        self._skeleton_cache = _Cache(SKELETON_CACHE)

    # --- sizes and lookups ---------------------------------------------------------------------------

    def __len__(self) -> int:
        """Number of names and aliases indexed (after normalisation, duplicates within an entry dropped)."""
        return len(self._name_text)

    @property
    def size(self) -> int:
        """Number of list entries."""
        return len(self._entry_ids)

    @property
    def entry_ids(self) -> list[str]:
        """Each entry's id, in entry number order (read-only)."""
        return self._entry_ids

    def token_counts(self, tokens: Sequence[str]) -> np.ndarray:
        """In how many of this index's names each token occurs (0 for a token it does not know)."""
        counts = np.diff(self._tok_offsets)
        ids = self._vocab_ids
        return np.fromiter((counts[ids[t]] if t in ids else 0 for t in tokens), dtype=np.int64, count=len(tokens))

    def _similar_tokens(self, token: str, arabic: bool) -> tuple[np.ndarray, np.ndarray]:
        return self._similar_cache.get((token, arabic), self._similar_tokens_uncached)  # type: ignore[no-any-return]

    def _skeleton_matches(self, token: str, arabic: bool) -> np.ndarray:
        return self._skeleton_cache.get((token, arabic), self._skeleton_matches_uncached)  # type: ignore[no-any-return]

    # --- search --------------------------------------------------------------------------------------

    def hits(
        self,
        name: str,
        country: str | None = None,
        *,
        limit: int = 10,
        min_score: float = 80.0,
        hidden: np.ndarray | None = None,
    ) -> list[Hit]:
        """Entries whose name or an alias resembles ``name``, best first, scored as ``screening/README.md`` says;
        ``hidden``: a mask over entry numbers of entries left out (``screening.layered``)."""
        if not self._name_text or limit <= 0:
            return []
        arabic = arabic_tokens(name)
        tokenisations = self._query_tokenisations(index_tokens(name), arabic)
        if not tokenisations:
            return []
        candidates = self._candidates(tokenisations, arabic)
        if candidates.size == 0:
            return []
        scores = np.max([self._token_score(tokens, candidates, arabic) for tokens in tokenisations], axis=0)
        whole = self._whole_name_similarity(tuple(name_tokens(name)), sum(map(len, tokenisations[0])), candidates)
        scores = 100.0 * np.maximum(scores, whole)
        return self._hits(candidates, scores, country, limit, min_score, hidden)

    def _query_tokenisations(self, tokens: tuple[str, ...], arabic: frozenset[str]) -> list[tuple[str, ...]]:
        """The query's tokens as the index knows them, plus variants with two adjacent tokens joined when
        the joined token is listed ("Xiao Ping" for "Xiaoping"). Junk beyond 24 tokens is ignored."""
        known = self._vocab_ids
        tokens = tokens[: 2 * MAX_TOKENS]
        cleaned = []
        for i, token in enumerate(tokens):
            if token not in known:
                edge = i == 0 or i == len(tokens) - 1
                if edge and len(tokens) > 1 and token in LEGAL_FORM_TYPOS and token not in arabic:
                    continue  # "Sahab Logistics kLLC"
                if token[:2] in ("al", "el") and token[2:] in known:
                    token = token[2:]  # "Alrashid" where the list has "Al-Rashid"
            cleaned.append(token)
        if not cleaned:
            return []
        variants = [tuple(cleaned)]
        for i in range(len(cleaned) - 1):
            joined = cleaned[i] + cleaned[i + 1]
            if joined in known:
                variants.append((*cleaned[:i], joined, *cleaned[i + 2 :]))
        return variants

    def _skeleton_matches_uncached(self, token: str, arabic: bool) -> np.ndarray:
        """Vocabulary tokens that are a romanisation of ``token`` written in Arabic script, or (when the
        token is romanised) tokens written in Arabic script it reads; see ``screening.scripts``."""
        key = self._skeleton_ids.get(skeleton(token, arabic), -1)
        if key < 0 or not (arabic or self._any_arabic):
            return np.empty(0, np.int32)
        ids = self._skeleton_postings[self._skeleton_offsets[key] : self._skeleton_offsets[key + 1]]
        if arabic:
            keep = [compatible(token, self._vocab[i]) for i in ids.tolist()]
        else:
            ids = ids[self._vocab_arabic[ids]]
            keep = [compatible(self._vocab[i], token) for i in ids.tolist()]
        return ids[np.asarray(keep, dtype=bool)] if ids.size else ids

    def _similar_tokens_uncached(self, token: str, arabic: bool) -> tuple[np.ndarray, np.ndarray]:
        """Vocabulary tokens similar to ``token``: (token ids, similarity 0-1), by shared trigrams, a
        shared transliteration key or (Arabic script) a compatible consonant skeleton."""
        found: list[np.ndarray] = []
        by_skeleton = self._skeleton_matches(token, arabic)
        if by_skeleton.size:
            found.append(by_skeleton)
        ids = [self._grams[g] for g in _trigrams(token) if g in self._grams]
        if ids:
            postings = [self._gram_postings[self._gram_offsets[i] : self._gram_offsets[i + 1]] for i in ids]
            shared = np.bincount(np.concatenate(postings), minlength=len(self._vocab))
            # Dice on trigram sets; two typos in a six-letter token keep about 0.3
            dice = 2.0 * shared / (len(token) + 1 + self._gram_count)
            found.append(np.flatnonzero(dice >= 0.25))
        key = self._key_ids.get(transliteration_key(token), -1)
        if key >= 0:  # (for candidates, pinyin or not does not matter: the scoring decides)
            found.append(self._key_postings[self._key_offsets[key] : self._key_offsets[key + 1]])
        if not found:
            return np.empty(0, np.int32), np.empty(0, np.float32)
        candidates = np.unique(np.concatenate(found)) if len(found) > 1 else found[0]
        if candidates.size == 0:
            return np.empty(0, np.int32), np.empty(0, np.float32)
        # lenient on purpose: candidates only need to be found here, the scoring is strict
        sims = cdist(
            [token],
            [self._vocab[i] for i in candidates],
            scorer=Indel.normalized_similarity,
            dtype=np.float32,
        )[0]
        if key >= 0:
            sims = np.where(np.abs(self._vocab_keys[candidates]) == key + 1, np.maximum(sims, 0.9), sims)
        if by_skeleton.size:
            sims = np.where(
                np.isin(candidates, by_skeleton), np.maximum(sims, skeleton_similarity(token, arabic)), sims
            )
        keep = sims >= EXPANSION_FLOOR
        return candidates[keep].astype(np.int32), sims[keep]

    def _signed_key(self, token: str) -> int:
        """The token's key id as ``token_similarity`` takes it (see ``__init__``); 0 for an unknown key."""
        key = self._key_ids.get(transliteration_key(token))
        if key is None:
            return 0
        return -(key + 1) if is_pinyin(token) else key + 1

    def _candidates(self, tokenisations: Sequence[tuple[str, ...]], arabic: frozenset[str]) -> np.ndarray:
        """Names that share enough weighted, similar tokens with the query, best first."""
        token_ids: list[np.ndarray] = []
        token_votes: list[np.ndarray] = []
        query_weight = 0.0
        for token in {t for tokens in tokenisations for t in tokens}:
            ids, sims = self._similar_tokens(token, token in arabic)
            exact = self._vocab_ids.get(token)
            weight = float(self._tok_weight[exact]) if exact is not None else self._max_weight
            if token in tokenisations[0]:
                query_weight += weight
            token_ids.append(ids)
            token_votes.append(sims * np.minimum(weight, self._tok_weight[ids]))
        ids = np.concatenate(token_ids)
        if ids.size == 0:
            return np.empty(0, np.int32)
        # all postings of all similar tokens, gathered in one go
        starts = self._tok_offsets[ids]
        lengths = self._tok_offsets[ids + 1] - starts
        total = int(lengths.sum())
        ends = np.cumsum(lengths)
        gather = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)
        names = self._tok_postings[gather]
        shared = np.bincount(
            names, weights=np.repeat(np.concatenate(token_votes), lengths), minlength=len(self._name_text)
        )
        # rank the postings (a name appears once per similar token it has) rather than scanning all names
        dice = 2.0 * shared[names] / (query_weight + self._name_weight[names])
        if names.size > 4 * CANDIDATES:
            top = np.argpartition(dice, -4 * CANDIDATES)[-4 * CANDIDATES :]
            names, dice = names[top], dice[top]
        found, first = np.unique(names, return_index=True)
        order = np.argsort(-dice[first], kind="stable")[:CANDIDATES]
        return found[order].astype(np.int32)

    def _token_score(self, query: tuple[str, ...], candidates: np.ndarray, arabic: frozenset[str]) -> np.ndarray:
        """Token scores (0-1) of the candidates' names against the query tokens (module docstring)."""
        rows = self._name_matrix[candidates]  # K x T token ids
        unique, inverse = np.unique(rows, return_inverse=True)
        query_keys = np.asarray([self._signed_key(t) for t in query], dtype=np.int64)
        sims = token_similarity(
            query, [self._vocab_strings[t] for t in unique.tolist()], query_keys, self._vocab_keys[unique]
        )  # Q x U
        if arabic or self._any_arabic:
            self._raise_skeleton_matches(sims, query, unique, arabic)
        pair = sims[:, inverse.reshape(rows.shape)]  # Q x K x T
        # one token matches one token: a pair counts only when each is the other's best match, so
        # "Dieter Peter" does not match "Pieter" twice
        n_query, _, width = pair.shape
        mutual = (np.arange(n_query)[:, None, None] == pair.argmax(axis=0)[None, :, :]) & (
            np.arange(width)[None, None, :] == pair.argmax(axis=2)[:, :, None]
        )
        pair = np.where(mutual, pair, 0.0)
        name_weights = self._tok_weight[rows]  # K x T

        query_known = np.asarray(
            [self._tok_weight[self._vocab_ids[t]] if t in self._vocab_ids else -1.0 for t in query],
            dtype=np.float32,
        )
        best_sim = pair.max(axis=2)  # Q x K: each query token's best match in each candidate
        best_at = pair.argmax(axis=2)
        partner_weight = np.take_along_axis(name_weights[None, :, :], best_at[:, :, None], axis=2)[:, :, 0]
        # a query token's weight: its own rarity; for a token not in any list (a typo) the rarity of
        # the token it matched, or the highest rarity when it matched nothing
        unknown_weight = np.where(best_sim > 0, partner_weight, self._max_weight)
        query_weights = np.where(query_known[:, None] >= 0, query_known[:, None], unknown_weight)
        query_cover = (query_weights * best_sim).sum(axis=0) / np.maximum(query_weights.sum(axis=0), 1e-9)

        name_best = pair.max(axis=0)  # K x T
        name_cover = (name_weights * name_best).sum(axis=1) / np.maximum(name_weights.sum(axis=1), 1e-9)

        high = np.maximum(query_cover, name_cover)
        low = np.minimum(query_cover, name_cover)
        return HIGH_WEIGHT * high + (1.0 - HIGH_WEIGHT) * low

    def _raise_skeleton_matches(
        self, sims: np.ndarray, query: tuple[str, ...], unique: np.ndarray, arabic: frozenset[str]
    ) -> None:
        """Arabic script on one side, a romanisation on the other: a compatible skeleton counts as
        ``skeleton_similarity`` (in place)."""
        for row, token in enumerate(query):
            matched = self._skeleton_matches(token, token in arabic)
            if matched.size == 0:
                continue
            hit = np.isin(unique, matched)
            if hit.any():
                sims[row, hit] = np.maximum(sims[row, hit], skeleton_similarity(token, token in arabic))

    def _whole_name_similarity(self, query: tuple[str, ...], query_letters: int, candidates: np.ndarray) -> np.ndarray:
        """``typo_similarity`` of the whole normalised names (articles and connectors kept, so that a typo
        in "Al" is one typo), in written and in sorted token order: a typo or two in a long name costs
        less than it would in the one token it hits."""
        letters = np.maximum(self._name_letters[candidates], query_letters)
        best = np.zeros(candidates.size, dtype=np.float32)
        written = [self._name_text[c] for c in candidates.tolist()]
        in_order = [" ".join(sorted(text.split())) for text in written]
        for text, others in ((" ".join(query), written), (" ".join(sorted(query)), in_order)):
            distances = cdist([text], others, scorer=OSA.distance, dtype=np.int32, score_cutoff=2)[0]
            np.maximum(best, typo_similarity(distances.astype(np.float32), letters), out=best)
        return best

    def _hits(
        self,
        candidates: np.ndarray,
        scores: np.ndarray,
        country: str | None,
        limit: int,
        min_score: float,
        hidden: np.ndarray | None = None,
    ) -> list[Hit]:
        query_country = country.strip().upper() if country else None
        best: dict[int, tuple[float, int]] = {}
        keep = scores >= min_score  # the country adjustment only ever lowers a score
        for name_number, raw in zip(candidates[keep].tolist(), scores[keep].tolist(), strict=True):
            entry_number = int(self._name_entry[name_number])
            if hidden is not None and hidden[entry_number]:
                continue
            countries = self._entry_countries[entry_number]
            score = raw
            if query_country and countries and query_country not in countries:
                score -= min(COUNTRY_PENALTY_MAX, 0.15 * (100.0 - raw))
            score = round(max(0.0, min(100.0, score)), 1)
            previous = best.get(entry_number)
            # the better name wins; on a tie the primary name (lower name number) wins
            if previous is None or score > previous[0] or (score == previous[0] and name_number < previous[1]):
                best[entry_number] = (score, name_number)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1]))
        hits: list[Hit] = []
        for entry_number, (score, name_number) in ranked:
            if score < min_score or len(hits) >= limit:
                break
            texts = self._name_texts.get(name_number) or (int(self._name_first[name_number]),)
            hits.append(Hit(self._entry_list[entry_number], self._entry_ids[entry_number], score, texts))
        return hits
