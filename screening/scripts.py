# ruff: noqa: RUF001, RUF002, RUF003  (Arabic letters are this module's subject)
"""Names written in Arabic script, and the consonant skeleton that lets them meet their romanisations.

Arabic script writes consonants and long vowels, not short vowels: محمد is "m-h-m-d", and Mohammed,
Muhammad and Mohamed are all read from it. So an Arabic word is rendered (:func:`arabic_to_latin`) as
its consonants, with its long vowels as ``a``/``i``/``u`` (محمود → "mhmud", خالد → "xald"), and such a
token meets a romanised token when

* their **consonant skeletons** are equal: consonants in classes that romanisations confuse (h/ḥ/kh
  kept apart as "h" and "x"; q/k/c one; s/ṣ one, th/t one, d/dh/ḍ/z one (Ramadan, Persian Ramazan),
  g/j/gh one; w, v and y only at the start of a word, elsewhere they are vowels), doubled letters
  once, a final "h" dropped (Abdullah, Abdallah, عبدالله: "bdl"); and
* every long vowel the Arabic word writes has a vowel of its kind at the same place in the romanisation
  (ي i/e/y, و o/u/w, ا a), and a word starts with a vowel in both or in neither (alif, hamza and ain
  are written "a"): حسين "hsin" meets Hussein, Husayn, Hussain but not Hassan, أمير "amir" meets Amir
  but not Omar, الحمادي meets Hammadi but not Ahmadi. Short vowels, which Arabic does not write, are
  free.

Cyrillic is transliterated by ``anyascii`` (BGN-like: Vladimir, Sergey, Khabarov, Vasil'ev); the
romanisations that differ from it (-off/-ow, ks/x, kh/h, ye/e, iy/y, ...) are met by the transliteration
key of :mod:`screening.index`.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["ARABIC_RUN", "arabic_to_latin", "compatible", "skeleton", "skeleton_similarity"]

ARABIC_RUN = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]+")

# one letter per consonant, so that a rendered token reads back unambiguously (س + ه is not ش): ش is "c",
# خ "x"; emphatics without their dots, as lists write them
_ARABIC_CONSONANTS = {
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "x", "د": "d", "ذ": "z", "ر": "r",
    "ز": "z", "س": "s", "ش": "c", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "غ": "g", "ف": "f",
    "ق": "q", "ك": "k", "ک": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ھ": "h", "پ": "p",
    "چ": "c", "ژ": "j", "گ": "g", "ڤ": "v",
}  # fmt: skip
_ALIF = "اآأإٱ"
_GLOTTAL = "ءئؤع"  # hamza and ain: romanisations write a vowel, an apostrophe or nothing
_YA = "يىی"
_WAW = "و"
_TA_MARBUTA = "ة"
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u06d6-\u06ed\u0640]")  # harakat, tatweel


def _arabic_word(word: str) -> str:
    out: list[str] = []
    for i, char in enumerate(word):
        first = i == 0
        if char in _ARABIC_CONSONANTS:
            out.append(_ARABIC_CONSONANTS[char])
        elif char in _ALIF or (first and char in _GLOTTAL):
            out.append("a")  # a word that starts with a vowel starts with alif, hamza or ain
        elif char in _GLOTTAL:
            continue
        elif char in _WAW:
            out.append("w" if first else "u")
        elif char in _YA:
            out.append("y" if first else ("a" if char == "ى" and i == len(word) - 1 else "i"))
        elif char in _TA_MARBUTA or char == "\u0670":
            out.append("a")
        else:
            out.append(char)
    return "".join(out)


# particles as romanisations write them (dropped or kept as they are in Latin script), and the Arabic
# abbreviations of legal forms (ذ.م.م "with limited liability", ش.م.م / ش.م.ع / ش.م.ل joint-stock forms)
_WORDS = {"بن": "bin", "ابن": "ibn", "بنت": "bint", "آل": "al", "ال": "al", "أبو": "abu", "ابو": "abu",
          "شركة": "company", "مؤسسة": "est", "عبد": "abd"}  # fmt: skip
_LEGAL_ABBREVIATIONS = re.compile(r"[ذش]\s*\.\s*[مع]\s*\.\s*[مملع]\.?")


def arabic_to_latin(text: str) -> str:
    """Arabic-script words rendered as their consonants and written long vowels; the article "al-" kept
    apart (so it is dropped as elsewhere) except after "abd", where "abd al-rahman" is one name."""
    text = _LEGAL_ABBREVIATIONS.sub(" llc ", _DIACRITICS.sub("", text)).replace("الله", "الاه")  # Allah: one l
    rendered: list[str] = []
    for word in text.split():
        if word in _WORDS:
            rendered.append(_WORDS[word])
            continue
        if word.startswith("عبدال") and len(word) > 5:
            rendered.append("abdl" + _arabic_word(word[5:]))  # Abdullah, Abdallah, Abdel-: the article's vowel varies
            continue
        article = word.startswith("ال") and len(word) > 3
        core = _arabic_word(word[2:] if article else word)
        if article and rendered and rendered[-1] == "abd":
            rendered[-1] = "abdl" + core  # عبد الرحمن: one token, as "Abdulrahman"
        elif article:
            rendered.append("al-" + core)
        else:
            rendered.append(core)
    return " ".join(rendered)


# --- consonant skeletons -----------------------------------------------------------------------------------

_LATIN_DIGRAPHS = (("sch", "S"), ("kh", "x"), ("sh", "S"), ("ch", "S"), ("th", "t"), ("dh", "d"), ("gh", "j"),
                   ("ph", "f"), ("zh", "j"), ("ck", "k"), ("ou", "u"), ("oo", "u"), ("ee", "i"))  # fmt: skip
# d/dh/z are one (ض ذ ظ are d in Arabic romanisations, z in Persian ones: Ramadan, Ramazan); v is w
# (Persian و: Tavakoli توكلي, Vahid وحيد)
_CLASSES = str.maketrans({"q": "k", "c": "k", "g": "j", "v": "w", "p": "b", "z": "d"})
_VOWEL_KIND = {"a": "a", "e": "e", "i": "i", "o": "o", "u": "u", "y": "i", "w": "u", "v": "u"}
# which romanised vowels a written long vowel accepts
_ACCEPTS = {"a": frozenset("a"), "i": frozenset("ie"), "u": frozenset("ou")}


@lru_cache(maxsize=16_384)  # bounded: an index build parses every token of a list once
def _parse(token: str, arabic: bool) -> tuple[str, tuple[str, ...]]:
    """(skeleton, the vowels in each gap: before the first consonant, between consonants, after the
    last) of a romanised token, or of one rendered from Arabic script by :func:`arabic_to_latin`."""
    if arabic:
        token = token.replace("c", "S")
    else:
        for digraph, replacement in _LATIN_DIGRAPHS:
            if digraph in token:
                token = token.replace(digraph, replacement)
    consonants: list[str] = []
    gaps: list[str] = [""]
    for i, char in enumerate(token):
        kind = _VOWEL_KIND.get(char)
        if kind is not None and not (char in "wyv" and i == 0):
            gaps[-1] += kind
            continue
        symbol = char.translate(_CLASSES)
        if not symbol.isalpha():
            continue
        if consonants and consonants[-1] == symbol and not gaps[-1] and not arabic:
            continue  # a doubled letter counts once (Arabic script does not write doubling: ممدوح Mamdouh)
        consonants.append(symbol)
        gaps.append("")
    if len(consonants) > 1 and consonants[-1] == "h":  # Abdullah = Abdulla, Hamzah = Hamza
        consonants.pop()
        last = gaps.pop()
        gaps[-1] += last
    return "".join(consonants), tuple(gaps)


def skeleton(token: str, arabic: bool = False) -> str:
    """The consonant skeleton of a romanised token, or (``arabic``) of one rendered from Arabic script:
    Mohammed, Muhammad, Mohamed and محمد ("mhmd") are all "mhmd"; Yousef, Yusuf, يوسف are "ysf";
    Khalid, خالد "xld"."""
    return _parse(token, arabic)[0]


def compatible(arabic: str, romanised: str) -> bool:
    """Whether ``romanised`` can be read from the Arabic-script token ``arabic`` (as rendered by
    :func:`arabic_to_latin`): the same skeleton, and each written long vowel romanised by a vowel of
    its kind at the same place."""
    arabic_skeleton, required = _parse(arabic, True)
    romanised_skeleton, written = _parse(romanised, False)
    if arabic_skeleton != romanised_skeleton or not arabic_skeleton:
        return False
    if bool(required[0]) != bool(written[0]):
        return False  # a vowel first is written (alif, hamza, ain), a consonant first is not: Ahmadi, Hammadi
    for needs, has in zip(required[1:], written[1:], strict=True):  # the first vowel may be any
        for vowel in set(needs):
            if not _ACCEPTS.get(vowel, _ACCEPTS["a"]) & set(has):
                return False
    return True


def skeleton_similarity(token: str, arabic: bool) -> float:
    """How alike a compatible pair is (see :func:`compatible`): 0.92, a little more than two
    romanisations sharing a transliteration key (the vowels were checked); less for skeletons of one
    or two consonants, which many names share (علي "li": Ali, Eli; عمر "mr": Omar, Umar, Amr)."""
    consonants = len(skeleton(token, arabic))
    return (0.0, 0.85, 0.9, 0.92)[min(consonants, 3)]
