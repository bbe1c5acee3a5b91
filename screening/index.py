"""Fuzzy restricted-party search over list names and aliases.

What the score means
--------------------
A score (0-100) says how surely two names are one name written differently. Both go through
:func:`~screening.normalise.normalise_name` first (ASCII, case, punctuation and legal forms such as GmbH,
LLC, OOO are gone, so they never count), and Arabic articles and connectors ("al-", "bin", "ibn") are
dropped. The score is the better of two readings:

* Token score. A name is a set of tokens: word order never counts. A token weighs by how rare it is among
  all indexed names (a distinctive "Volkov" weighs far more than "Trading" or "Mohammed"). Each token is
  paired, one to one, with its most similar token of the other name: the same token counts 1; a typo
  costs more in a short token than in a long one (one edit in 6 letters 0.82, in 10 letters 0.89); two
  romanisations sharing a transliteration key (Mohammed / Muhammad, Yousef / Yusuf, Ivanoff / Ivanov)
  count 0.9; anything below 0.62 is no match at all. The coverage of a side is its weighted share of
  matched tokens, and the token score is 0.75 x the higher coverage + 0.25 x the lower one. So a name
  whose tokens all appear in the other - a middle name left out, "Golden Crescent Trading" for "Golden
  Crescent General Trading" - keeps about 88-95, depending on how distinctive the missing token is.
* Typo score. The whole names (in written or in sorted word order) differ by one or two edits (insert,
  delete, substitute, swap): one edit costs 60/n points, two edits 150/n, for names of n letters.

Reading it with the SOP's ``review_threshold: 88``: at and above 88 the names are the same up to
spelling, transliteration, word order, punctuation, legal form, a typo (two in names of more than 12
letters), or a dropped or added middle token - a human should look. 80-88 are weaker resemblances (two
such differences at once, a shared distinctive word) returned for context (``min_score`` defaults to 80).
``bench/screening.py`` measures it on 100 000 synthetic names: recall above 0.98 on those variants at 88,
under 1 % of unrelated names reaching 88.

When both the query and the entry have countries and none is shared, the score drops by
0.15 x (100 - score), at most 3 points: nothing for an exact name, 1.5 at 90, so a country mismatch never
hides a strong name match.

How it is fast
--------------
Names are stored as token ids. Each query token finds its similar vocabulary tokens through a trigram
index of the vocabulary and a transliteration-key index (cached per token); the postings of those
tokens vote, weighted by similarity x rarity, for candidate names in one ``np.bincount``; the best 48
candidates by a Dice-like share of weight are then scored exactly, all at once, with ``rapidfuzz``
distance matrices and numpy. The index is immutable after construction, so concurrent searches are safe.
"""

from __future__ import annotations

import builtins  # the field "list" shadows the builtin inside Match
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Indel
from rapidfuzz.process import cdist

from screening.lists import ListEntry
from screening.normalise import LEGAL_FORMS, name_tokens

__all__ = ["Match", "ScreeningIndex"]

CANDIDATES = 48  # names scored exactly per query
MAX_TOKENS = 12  # tokens per name considered when scoring (names are rarely longer)
TOKEN_FLOOR = 0.62  # token similarity below this is no match at all
EXPANSION_FLOOR = 0.6  # vocabulary tokens at least this similar to a query token vote for their names
HIGH_WEIGHT = 0.75  # weight of the better-covered side in the score
COUNTRY_PENALTY_MAX = 3.0
# Arabic articles and patronymic connectors carry no identity: "Al-Rashid" = "Rashid",
# "Rashid bin Jaber" = "Rashid Jaber". Dropped unless they are the last token ("Wang Bin").
_CONNECTORS = frozenset({"al", "el", "ul", "bin", "ibn", "bint", "ben"})


class Match(BaseModel):
    """A list entry whose name or alias resembles the screened name."""

    model_config = ConfigDict(frozen=True)

    list: str
    entry_id: str
    name: str  # the entry's primary name
    score: float  # 0-100, see the module docstring
    matched_alias: str | None = None  # the alias that matched; None when the primary name matched
    programs: builtins.list[str] = []
    country: str | None = None  # the entry's first country


_HYPHENATED = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
_HYPHENATED_ARTICLE = re.compile(r"\b([AaEeUu][Ll])-")


def index_tokens(name: str, *, join_hyphens: bool = False) -> tuple[str, ...]:
    """Tokens of a name: normalised, Arabic articles and connectors dropped, duplicates dropped.

    List names are indexed with ``join_hyphens``: "Feng-Hui", "Abdul-Rahman" become one token, as they
    are one name (a query written either way still finds them, see ``_query_tokenisations``).
    """
    if join_hyphens and "-" in name:
        name = _HYPHENATED.sub("", _HYPHENATED_ARTICLE.sub(r"\1 ", name))
    tokens = name_tokens(name)
    last = len(tokens) - 1
    return tuple(dict.fromkeys(t for i, t in enumerate(tokens) if i == last or t not in _CONNECTORS))


_KEY_DIGRAPHS = (
    ("tch", "C"),
    ("sch", "S"),
    ("ch", "C"),
    ("sh", "S"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "s"),
    ("dh", "z"),
    ("ck", "k"),
    ("dj", "j"),
    ("tz", "ts"),
    ("x", "ks"),
    ("q", "k"),
    ("c", "k"),
    ("w", "v"),
    ("j", "y"),
)
_KEY_ENDINGS = re.compile(r"(?<=[aeiou])ff$|(?<=[aeiou])w$")  # Ivanoff, Ivanow = Ivanov
_KEY_Y_BEFORE_VOWEL = re.compile(r"y(?=[aeiou])")  # Yevgeniy = Evgeniy, Alyeksey = Aleksey


def _words(text: str) -> list[str]:
    return text.split()


# Romanised Chinese: vowels are what tells syllables apart (Langbei, Langbiao; Jiean, Juan), so two
# tokens that both read as pinyin never match by transliteration key.
_PINYIN_SYLLABLES = _words(
    """
    a o e ai ei ao ou an en ang eng er ba bo bai bei bao ban ben bang beng bi bie biao bian bin bing
    bu pa po pai pei pao pou pan pen pang peng pi pie piao pian pin ping pu ma mo me mai mei mao mou
    man men mang meng mi mie miao miu mian min ming mu fa fo fei fou fan fen fang feng fu da de dai
    dei dao dou dan den dang deng dong di die diao diu dian ding du duo dui duan dun ta te tai tao
    tou tan tang teng tong ti tie tiao tian ting tu tuo tui tuan tun na ne nai nei nao nou nan nen
    nang neng nong ni nie niao niu nian nin niang ning nu nuo nuan nv nve la le lai lei lao lou lan
    lang leng long li lia lie liao liu lian lin liang ling lu luo luan lun lv lve ga ge gai gei gao
    gou gan gen gang geng gong gu gua guo guai gui guan gun guang ka ke kai kao kou kan ken kang
    keng kong ku kua kuo kuai kui kuan kun kuang ha he hai hei hao hou han hen hang heng hong hu hua
    huo huai hui huan hun huang ji jia jie jiao jiu jian jin jiang jing jiong ju jue juan jun qi qia
    qie qiao qiu qian qin qiang qing qiong qu que quan qun xi xia xie xiao xiu xian xin xiang xing
    xiong xu xue xuan xun zha zhe zhi zhai zhei zhao zhou zhan zhen zhang zheng zhong zhu zhua zhuo
    zhuai zhui zhuan zhun zhuang cha che chi chai chao chou chan chen chang cheng chong chu chua
    chuo chuai chui chuan chun chuang sha she shi shai shei shao shou shan shen shang sheng shu shua
    shuo shuai shui shuan shun shuang re ri rao rou ran ren rang reng rong ru ruo rui ruan run za ze
    zi zai zei zao zou zan zen zang zeng zong zu zuo zui zuan zun ca ce ci cai cao cou can cen cang
    ceng cong cu cuo cui cuan cun sa se si sai sao sou san sen sang seng song su suo sui suan sun ya
    yo ye yao you yan yin yang ying yong yi yu yue yuan yun wa wo wai wei wan wen wang weng wu
    """
)
# a syllable without an initial stands inside a word only after an apostrophe (Xi'an, Jie'an), which
# normalisation drops; bare "a", "e", "o" there are far more often Arabic or Russian vowels (Tameemi)
_PINYIN_INSIDE = sorted((s for s in _PINYIN_SYLLABLES if s not in ("a", "e", "o")), key=len, reverse=True)
_PINYIN = re.compile(
    "(?:" + "|".join(sorted(_PINYIN_SYLLABLES, key=len, reverse=True)) + ")" + "(?:" + "|".join(_PINYIN_INSIDE) + ")*"
)


def is_pinyin(token: str) -> bool:
    """Whether ``token`` splits into (toneless) pinyin syllables, like "xiaoping" or "shenzhen"."""
    return _PINYIN.fullmatch(token) is not None


_VOWELS = frozenset("aeiou")
_KEY_MIN_LENGTH = 5


def transliteration_key(token: str) -> str:
    """A skeleton shared by romanisations of one name: consonants unified (kh/h, q/k, w/v, j/y, ...),
    doubled letters single, every run of vowels one "a". Mohammed, Muhammad: "mahamad"; Yousef, Yusuf:
    "yasaf"; Khalid, Khaled: "halad"; but Mahmoud "mahmad", Hassan "hasan" vs Hussein "hasan" (told
    apart by their spelling similarity, see ``token_similarity``)."""
    token = _KEY_ENDINGS.sub("v", token)
    for digraph, replacement in _KEY_DIGRAPHS:
        if digraph in token:
            token = token.replace(digraph, replacement)
    token = _KEY_Y_BEFORE_VOWEL.sub("", token)
    if len(token) > 2 and token[-1] == "h" and token[-2] in _VOWELS:
        token = token[:-1]
    key: list[str] = []
    for char in token:
        symbol = "a" if char in _VOWELS else char
        if not key or symbol != key[-1]:
            key.append(symbol)
    return "".join(key)


def _legal_form_typos() -> frozenset[str]:
    """Spellings one keystroke away from a legal form of three or more letters ("kllc", "gmgh") and
    swapped two-letter forms ("oc"): an unlisted token like that at either end of a query is a typo."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    typos: set[str] = set()
    for form in LEGAL_FORMS:
        if len(form) == 2:
            typos.add(form[::-1])
            continue
        for i in range(len(form) + 1):
            typos.update(form[:i] + c + form[i:] for c in letters)
            if i < len(form):
                typos.add(form[:i] + form[i + 1 :])
                typos.update(form[:i] + c + form[i + 1 :] for c in letters)
            if i < len(form) - 1:
                typos.add(form[:i] + form[i + 1] + form[i] + form[i + 2 :])
    return frozenset(typos - LEGAL_FORMS)


_LEGAL_FORM_TYPOS = _legal_form_typos()


def token_edit_similarity(distances: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Similarity (at most 1) of two tokens from their OSA edit distance and the longer one's length.

    Strict on short tokens, where one letter makes another name (Fang, Feng): one edit in 4 / 6 / 10
    letters keeps 0.71 / 0.82 / 0.89, two edits in 10 / 14 letters 0.70 / 0.79.
    """
    return 1.0 - distances**1.5 / np.maximum(lengths - 0.5, 1.0)


def typo_similarity(distances: np.ndarray, letters: np.ndarray) -> np.ndarray:
    """Similarity of two whole names that differ by at most two edits (OSA: insert, delete, substitute,
    swap), from the longer name's number of letters n: one edit costs 60/n %, two edits 150/n %
    (so two typos pass 88 from 13 letters on). Names further apart get 0 here."""
    sims = 1.0 - 0.6 * distances**1.32 / np.maximum(letters, 1.0)
    return np.where(distances <= 2, sims, 0.0)


def token_similarity(
    query: Sequence[str],
    tokens: Sequence[str],
    query_keys: np.ndarray | None = None,
    token_keys: np.ndarray | None = None,
) -> np.ndarray:
    """Similarity (0-1) of every query token to every token, as a len(query) x len(tokens) matrix.

    Edits count as in ``token_edit_similarity``; anything below TOKEN_FLOOR counts as no match at all.
    Tokens that share a transliteration key and differ in at most two places (three from ten letters:
    Mohammed, Muhammad) get 0.9, when one has at least five letters and not both read as pinyin.
    ``query_keys``/``token_keys`` are the tokens' key ids when already known (negative for pinyin
    tokens, see ``ScreeningIndex``).
    """
    distances = cdist(query, tokens, scorer=OSA.distance, dtype=np.int32).astype(np.float32)
    query_lengths = np.fromiter((len(t) for t in query), dtype=np.float32, count=len(query))
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.float32, count=len(tokens))
    longest = np.maximum.outer(query_lengths, lengths)
    sims = token_edit_similarity(distances, longest)
    if query_keys is None or token_keys is None:
        ids: dict[str, int] = {}
        query_keys, token_keys = (
            np.asarray(
                [(ids.setdefault(transliteration_key(t), len(ids)) + 1) * (-1 if is_pinyin(t) else 1) for t in side]
            )
            for side in (query, tokens)
        )
    # a key id is stored negated for a pinyin token: the same key counts unless both are pinyin
    same_key = np.abs(query_keys)[:, None] == np.abs(token_keys)[None, :]
    same_key &= (query_keys[:, None] > 0) | (token_keys[None, :] > 0)
    # vowels tell short names apart (Kong, Kang; Fang, Feng): the key counts from five letters on
    same_key &= longest >= _KEY_MIN_LENGTH
    same_key &= np.minimum.outer(query_lengths, lengths) >= _KEY_MIN_LENGTH - 1
    # and spellings differ in at most two places (three from ten letters): Hussein is not Hassan
    same_key &= distances <= np.where(longest >= 10, 3.0, 2.0)
    sims = np.where(same_key, np.maximum(sims, 0.9), sims)
    sims[sims < TOKEN_FLOOR] = 0.0
    sims[:, lengths == 0] = 0.0
    return sims


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


class ScreeningIndex:
    """An immutable fuzzy index over list entries' names and aliases."""

    def __init__(self, entries: Iterable[ListEntry]) -> None:
        self._entries: tuple[ListEntry, ...] = tuple(entries)
        self._by_key = {(e.list, e.entry_id): e for e in self._entries}
        self._entry_countries: list[frozenset[str]] = [frozenset(e.countries) for e in self._entries]

        name_entry: list[int] = []
        # per indexed name: the texts that normalise to it (None = the primary name), so that the alias
        # reported for a match is the one written most like the query (the Cyrillic spelling for a
        # Cyrillic query, rather than its romanisation)
        name_alias: list[list[str | None]] = []
        name_tokens_: list[tuple[int, ...]] = []
        written: list[list[str]] = []  # each name's normalised tokens as written, articles and all
        vocab: dict[str, int] = {}
        for entry_number, entry in enumerate(self._entries):
            seen: dict[frozenset[str], int] = {}  # one name per token set: word order never counts
            for alias in (None, *entry.alt_names):
                text = entry.name if alias is None else alias
                tokens = index_tokens(text, join_hyphens=True)
                if not tokens:
                    continue
                token_set = frozenset(tokens)
                if token_set in seen:
                    name_alias[seen[token_set]].append(alias)
                    continue
                seen[token_set] = len(name_alias)
                name_entry.append(entry_number)
                name_alias.append([alias])
                name_tokens_.append(tuple(vocab.setdefault(t, len(vocab)) for t in tokens))
                written.append(name_tokens(text))
        self._name_entry = np.asarray(name_entry, dtype=np.int32)
        self._name_alias = name_alias
        self._vocab = list(vocab)
        self._vocab_ids = vocab
        n_names, n_vocab = len(name_entry), len(vocab)
        self._pad = n_vocab  # token id used to pad names to MAX_TOKENS; weight 0, matches nothing

        # token -> names postings, and each token's rarity weight
        lengths = np.fromiter((len(t) for t in name_tokens_), dtype=np.int64, count=n_names)
        flat = np.fromiter((t for ts in name_tokens_ for t in ts), dtype=np.int64, count=int(lengths.sum()))
        owners = np.repeat(np.arange(n_names, dtype=np.int64), lengths)
        self._tok_offsets, self._tok_postings = _csr(flat, owners, n_vocab)
        df = np.diff(self._tok_offsets)
        weights = np.log1p(max(n_names, 1) / np.maximum(df, 1)).astype(np.float32)
        self._max_weight = float(math.log1p(max(n_names, 1)))
        self._tok_weight = np.append(weights, np.float32(0.0))

        # names as padded token-id rows, and each name's total weight
        width = min(MAX_TOKENS, int(lengths.max()) if n_names else 1)
        matrix = np.full((n_names, width), self._pad, dtype=np.int32)
        for row, token_ids in enumerate(name_tokens_):
            matrix[row, : min(len(token_ids), width)] = token_ids[:width]
        self._name_matrix = matrix
        # each name as one string, in written and in sorted token order, for whole-name edit similarity
        self._name_text = [" ".join(tokens) for tokens in written]
        self._name_sorted = [" ".join(sorted(tokens)) for tokens in written]
        # letters of the name's identifying tokens (no legal forms, articles or connectors)
        self._name_letters = np.fromiter(
            (sum(len(self._vocab[t]) for t in tokens) for tokens in name_tokens_), np.float32, n_names
        )
        self._name_weight = self._tok_weight[matrix].sum(axis=1)

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
        self._similar_tokens = lru_cache(maxsize=50_000)(self._similar_tokens_uncached)

    # --- sizes and lookups ---------------------------------------------------------------------------

    def __len__(self) -> int:
        """Number of names and aliases indexed (after normalisation, duplicates within an entry dropped)."""
        return len(self._name_alias)

    @property
    def size(self) -> int:
        """Number of list entries."""
        return len(self._entries)

    @property
    def entries(self) -> tuple[ListEntry, ...]:
        return self._entries

    def entry(self, list_name: str, entry_id: str) -> ListEntry | None:
        return self._by_key.get((list_name, entry_id))

    # --- search --------------------------------------------------------------------------------------

    def search(
        self,
        name: str,
        country: str | None = None,
        *,
        limit: int = 10,
        min_score: float = 80.0,
    ) -> list[Match]:
        """Entries whose name or an alias resembles ``name``, best first, scored as the module says."""
        if not self._name_alias or limit <= 0:
            return []
        tokenisations = self._query_tokenisations(index_tokens(name))
        if not tokenisations:
            return []
        candidates = self._candidates(tokenisations)
        if candidates.size == 0:
            return []
        scores = np.max([self._token_score(tokens, candidates) for tokens in tokenisations], axis=0)
        whole = self._whole_name_similarity(tuple(name_tokens(name)), sum(map(len, tokenisations[0])), candidates)
        scores = 100.0 * np.maximum(scores, whole)
        return self._matches(name, candidates, scores, country, limit, min_score)

    def _query_tokenisations(self, tokens: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The query's tokens as the index knows them, plus variants with two adjacent tokens joined when
        the joined token is listed ("Xiao Ping" for "Xiaoping"). Junk beyond 24 tokens is ignored."""
        known = self._vocab_ids
        tokens = tokens[: 2 * MAX_TOKENS]
        cleaned = []
        for i, token in enumerate(tokens):
            if token not in known:
                if (i == 0 or i == len(tokens) - 1) and len(tokens) > 1 and token in _LEGAL_FORM_TYPOS:
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

    def _similar_tokens_uncached(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """Vocabulary tokens similar to ``token``: (token ids, similarity 0-1), by shared trigrams or a
        shared transliteration key."""
        found: list[np.ndarray] = []
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
        keep = sims >= EXPANSION_FLOOR
        return candidates[keep].astype(np.int32), sims[keep]

    def _signed_key(self, token: str) -> int:
        """The token's key id as ``token_similarity`` takes it (see ``__init__``); 0 for an unknown key."""
        key = self._key_ids.get(transliteration_key(token))
        if key is None:
            return 0
        return -(key + 1) if is_pinyin(token) else key + 1

    def _candidates(self, tokenisations: Sequence[tuple[str, ...]]) -> np.ndarray:
        """Names that share enough weighted, similar tokens with the query, best first."""
        token_ids: list[np.ndarray] = []
        token_votes: list[np.ndarray] = []
        query_weight = 0.0
        for token in {t for tokens in tokenisations for t in tokens}:
            ids, sims = self._similar_tokens(token)
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
            names, weights=np.repeat(np.concatenate(token_votes), lengths), minlength=len(self._name_alias)
        )
        # rank the postings (a name appears once per similar token it has) rather than scanning all names
        dice = 2.0 * shared[names] / (query_weight + self._name_weight[names])
        if names.size > 4 * CANDIDATES:
            top = np.argpartition(dice, -4 * CANDIDATES)[-4 * CANDIDATES :]
            names, dice = names[top], dice[top]
        found, first = np.unique(names, return_index=True)
        order = np.argsort(-dice[first], kind="stable")[:CANDIDATES]
        return found[order].astype(np.int32)

    def _token_score(self, query: tuple[str, ...], candidates: np.ndarray) -> np.ndarray:
        """Token scores (0-1) of the candidates' names against the query tokens (module docstring)."""
        rows = self._name_matrix[candidates]  # K x T token ids
        unique, inverse = np.unique(rows, return_inverse=True)
        query_keys = np.asarray([self._signed_key(t) for t in query], dtype=np.int64)
        sims = token_similarity(
            query, [self._vocab_strings[t] for t in unique.tolist()], query_keys, self._vocab_keys[unique]
        )  # Q x U
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

    def _whole_name_similarity(self, query: tuple[str, ...], query_letters: int, candidates: np.ndarray) -> np.ndarray:
        """``typo_similarity`` of the whole normalised names (articles and connectors kept, so that a typo
        in "Al" is one typo), in written and in sorted token order: a typo or two in a long name costs
        less than it would in the one token it hits."""
        letters = np.maximum(self._name_letters[candidates], query_letters)
        best = np.zeros(candidates.size, dtype=np.float32)
        for text, names in ((" ".join(query), self._name_text), (" ".join(sorted(query)), self._name_sorted)):
            others = [names[c] for c in candidates.tolist()]
            distances = cdist([text], others, scorer=OSA.distance, dtype=np.int32, score_cutoff=2)[0]
            np.maximum(best, typo_similarity(distances.astype(np.float32), letters), out=best)
        return best

    @staticmethod
    def _alias_like(query: str, texts: list[str | None]) -> str | None:
        if None in texts:
            return None
        if len(texts) == 1:
            return texts[0]
        folded = query.casefold()
        return max(texts, key=lambda text: fuzz.ratio(folded, (text or "").casefold()))

    def _matches(
        self,
        query: str,
        candidates: np.ndarray,
        scores: np.ndarray,
        country: str | None,
        limit: int,
        min_score: float,
    ) -> list[Match]:
        query_country = country.strip().upper() if country else None
        best: dict[int, tuple[float, int]] = {}
        keep = scores >= min_score  # the country adjustment only ever lowers a score
        for name_number, raw in zip(candidates[keep].tolist(), scores[keep].tolist(), strict=True):
            entry_number = int(self._name_entry[name_number])
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
        matches: list[Match] = []
        for entry_number, (score, name_number) in ranked:
            if score < min_score or len(matches) >= limit:
                break
            entry = self._entries[entry_number]
            matches.append(
                Match(
                    list=entry.list,
                    entry_id=entry.entry_id,
                    name=entry.name,
                    score=score,
                    matched_alias=self._alias_like(query, self._name_alias[name_number]),
                    programs=list(entry.programs),
                    country=entry.countries[0] if entry.countries else None,
                )
            )
        return matches
