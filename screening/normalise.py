"""Name normalisation for restricted-party screening.

Both list names and query names go through :func:`normalise_name`, so whatever it removes or
rewrites can never make two names differ. Steps, in order:

1. transliterate to ASCII (``anyascii``); Chinese/Japanese characters become one syllable per
   character, separated by spaces, so ``张伟`` reads as ``zhang wei``; Arabic script becomes its
   consonants and written long vowels (``محمد`` → ``mhmd``, ``الرشيد`` → ``al-rshid``, see
   :mod:`screening.scripts`);
2. casefold;
3. join dotted abbreviations (``L.L.C.`` → ``llc``, ``S.p.A.`` → ``spa``), then turn every other
   punctuation character (dots, commas, quotes, hyphens, brackets, ``&`` …) into a space;
4. drop legal-form designators (GmbH, Ltd, LLC, OOO, S.A., K.K., 有限公司 …) as whole tokens —
   unless that would leave nothing, in which case the name is kept as it was;
5. collapse whitespace.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from anyascii import anyascii

from screening.scripts import ARABIC_RUN, arabic_to_latin

__all__ = ["LEGAL_FORMS", "arabic_tokens", "name_tokens", "names_tokens", "normalise_name"]

# Single-token designators, written as they look after steps 1-3.
_LEGAL_FORMS_TEXT = """
    gmbh mbh ag kg kgaa ohg ug gbr ev
    ltd limited llc lllp llp lp plc inc incorporated corp corporation co company
    ooo oao zao pao ao tov pat pjsc jsc ojsc cjsc fgup gup mup nko
    sa sas sarl eurl sca snc spa srl sapa sl slu sal saog saoc bsc wll qsc qpsc
    bv nv vof cv ab hb oy oyj as asa aps
    kk gk yk
    pte pty pvt bhd sdn tbk pt
    fze fzco fzc fzllc dmcc
    spzoo sro kft zrt nyrt doo ead ood
    ltda eireli
"""
LEGAL_FORMS: frozenset[str] = frozenset(_LEGAL_FORMS_TEXT.split())

# Multi-token designators, as token tuples, looked up by their first token (longest first).
_LEGAL_PHRASES: dict[str, tuple[tuple[str, ...], ...]] = {}
for _phrase in sorted(
    (
        "s de rl de cv",
        "s de rl",
        "sa de cv",
        "sapi de cv",
        "sp z oo",
        "sp z o o",
        "sp k",
        "a s",
        "gmbh co kg",
        "co ltd",
        "pvt ltd",
        "pte ltd",
        "pty ltd",
        "sdn bhd",
        "fz llc",
        "fz co",
        "fz e",
        "limited liability company",
        "joint stock company",
        "public joint stock company",
        "closed joint stock company",
        "open joint stock company",
        "public limited company",
        "you xian gong si",
        "you xian ze ren gong si",
        "gu fen you xian gong si",
        "zhu shi hui she",
        "kabushiki kaisha",
        "yugen kaisha",
        "godo kaisha",
    ),
    key=lambda p: -len(p.split()),
):
    _tokens = tuple(_phrase.split())
    _LEGAL_PHRASES[_tokens[0]] = (*_LEGAL_PHRASES.get(_tokens[0], ()), _tokens)

# Chinese characters are transliterated one syllable each; a run of two or three of them is read as a
# personal name (family name, then the given name as one word: 张小平 → "zhang xiaoping"), the way
# such names are romanised in passports and on lists. Kana runs form one word; hangul keeps one token
# per syllable (Korean given names are romanised with a hyphen, which becomes a space anyway).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{_HAN}]+|[\u3040-\u30ff]+|[\uac00-\ud7af]+")
_HAN_RUN = re.compile(f"[{_HAN}]+")
# A dotted abbreviation such as "l.l.c." or "s.p.a." (single letters, each followed by a dot; the last
# dot may be missing).
_DOTTED = re.compile(r"(?<![0-9a-z])((?:[a-z]\.){1,}[a-z])\.?(?![0-9a-z])")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def _cjk_run(match: re.Match[str]) -> str:
    run = match.group()
    syllables = [anyascii(char) for char in run]
    if _HAN_RUN.fullmatch(run):
        if 2 <= len(run) <= 3:
            return f" {syllables[0]} {''.join(syllables[1:])} "
        return f" {' '.join(syllables)} "
    if "\u3040" <= run[0] <= "\u30ff":
        return f" {''.join(syllables)} "
    return f" {' '.join(syllables)} "


_ARABIC_SPAN = re.compile(f"{ARABIC_RUN.pattern}(?:[\\s.]+{ARABIC_RUN.pattern})*\\.?")


def _ascii(name: str) -> str:
    if name.isascii():
        return name
    name = unicodedata.normalize("NFC", name)
    if ARABIC_RUN.search(name):
        name = _ARABIC_SPAN.sub(lambda m: f" {arabic_to_latin(m.group())} ", name)
    return anyascii(_CJK.sub(_cjk_run, name))


def _strip_legal_forms(tokens: list[str]) -> list[str]:
    kept: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        for phrase in _LEGAL_PHRASES.get(token, ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            if token not in LEGAL_FORMS:
                kept.append(token)
            i += 1
    return kept or tokens


@lru_cache(maxsize=16_384)  # bounded: an index build normalises every name of a list once
def _normalise_tokens(name: str) -> tuple[str, ...]:
    text = _ascii(name).casefold()
    if "." in text:
        text = _DOTTED.sub(lambda m: m.group(1).replace(".", ""), text)
    text = text.replace("'", "").replace("\u2019", "")  # O'Neil -> oneil, not "o neil"
    tokens = _NON_WORD.sub(" ", text).split()
    return tuple(_strip_legal_forms(tokens))


def name_tokens(name: str) -> list[str]:
    """The normalised tokens of ``name``, in their original order."""
    return list(_normalise_tokens(name))


_NON_WORD_OR_LINE = re.compile(r"[^0-9a-z\n]+")
_LEGAL_STARTS = LEGAL_FORMS | frozenset(_LEGAL_PHRASES)


def names_tokens(names: Sequence[str]) -> list[list[str]]:
    """``name_tokens`` of every name, the same tokens, normalised in bulk: the regular expressions run once over
    all names joined by line breaks (none of them matches across one), which is what makes an index build of
    100 000 names fast."""
    if not names:
        return []
    joined = "\n".join(name if name.isascii() else _ascii(name) for name in names).casefold()
    if joined.count("\n") != len(names) - 1:  # a name with a line break of its own
        return [name_tokens(name) for name in names]
    if "." in joined:
        joined = _DOTTED.sub(lambda m: m.group(1).replace(".", ""), joined)
    joined = joined.replace("'", "").replace("\u2019", "")
    found: list[list[str]] = []
    for line in _NON_WORD_OR_LINE.sub(" ", joined).split("\n"):
        tokens = line.split()
        found.append(tokens if _LEGAL_STARTS.isdisjoint(tokens) else _strip_legal_forms(tokens))
    return found


@lru_cache(maxsize=16_384)
def arabic_tokens(name: str) -> frozenset[str]:
    """The tokens of ``name`` that were written in Arabic script (rendered by
    :func:`screening.scripts.arabic_to_latin`: consonants and long vowels only)."""
    if name.isascii() or not ARABIC_RUN.search(name):
        return frozenset()
    spans = _ARABIC_SPAN.findall(unicodedata.normalize("NFC", name))
    return frozenset(t for span in spans for t in _normalise_tokens(span))


def normalise_name(name: str) -> str:
    """``name`` in ASCII lower case, without punctuation or legal-form designators.

    >>> normalise_name("OOO «Волков-Динамика»")
    'volkov dinamika'
    >>> normalise_name("Golden Crescent Trading L.L.C.")
    'golden crescent trading'
    """
    return " ".join(_normalise_tokens(name))
