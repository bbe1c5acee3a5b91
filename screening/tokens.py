"""Tokens of a name and how alike two tokens are: the token-level half of :mod:`screening.index`.

A name's tokens come from :func:`~screening.normalise.name_tokens` with Arabic articles and connectors
dropped (:func:`index_tokens`). Two tokens are alike by their edit distance (strict on short tokens),
by a shared transliteration key (two romanisations of one name: Mohammed / Muhammad, Ivanoff / Ivanov),
or - when one was written in Arabic script - by a shared consonant skeleton (:mod:`screening.scripts`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist

from screening.normalise import LEGAL_FORMS, name_tokens, names_tokens

TOKEN_FLOOR = 0.62  # token similarity below this is no match at all
# Arabic articles and patronymic connectors carry no identity: "Al-Rashid" = "Rashid",
# "Rashid bin Jaber" = "Rashid Jaber". Dropped unless they are the last token ("Wang Bin").
_CONNECTORS = frozenset({"al", "el", "ul", "bin", "ibn", "bint", "ben"})

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


def _indexed(tokens: list[str]) -> tuple[str, ...]:
    last = len(tokens) - 1
    return tuple(dict.fromkeys([t for i, t in enumerate(tokens) if i == last or t not in _CONNECTORS]))


def list_tokens(names: Sequence[str]) -> list[tuple[list[str], tuple[str, ...]]]:
    """Listed names' tokens as written (``name_tokens``) and as indexed (``index_tokens`` with ``join_hyphens``),
    normalised in bulk (``names_tokens``): an index build's step. A name without a hyphen (most) is normalised once."""
    written = names_tokens(names)
    hyphenated = [i for i, name in enumerate(names) if "-" in name]
    joined = names_tokens([_HYPHENATED.sub("", _HYPHENATED_ARTICLE.sub(r"\1 ", names[i])) for i in hyphenated])
    indexed = [_indexed(tokens) for tokens in written]
    for i, tokens in zip(hyphenated, joined, strict=True):
        indexed[i] = _indexed(tokens)
    return list(zip(written, indexed, strict=True))


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
_KEY_Y_AFTER_VOWEL = re.compile(r"(?<=[aeiou])y(?![aeiou])")  # Sergey = Sergei, Nikolay = Nikolai


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
    token = _KEY_Y_AFTER_VOWEL.sub("i", _KEY_Y_BEFORE_VOWEL.sub("", token))
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


LEGAL_FORM_TYPOS = _legal_form_typos()


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
