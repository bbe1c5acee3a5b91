"""Synthetic restricted-party names for the screening benchmark, and variants of them.

Names of people and companies from Latin, Russian, Arabic and Chinese naming cultures (vocabularies in
``bench/screening_vocab.py``), with legal forms, aliases and countries; the variant kinds a screening
officer expects to be caught; and the unrelated names that must stay quiet, among them people who
share a listed person's family name.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from anyascii import anyascii
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bench.screening_vocab import (
    AR_COMPANY_INDUSTRY,
    AR_COMPANY_WORDS,
    AR_FAMILY,
    AR_FEMALE,
    AR_LEGAL,
    AR_MALE,
    AR_RULES,
    AR_SCRIPT,
    AR_SPELLINGS,
    AR_WITH_ARTICLE,
    CN_BRAND_SYLLABLES,
    CN_CITIES,
    CN_GIVEN,
    CN_INDUSTRY,
    CN_SURNAMES,
    COUNTRIES,
    GENERIC_WORDS,
    KEYBOARD,
    LA_BRANDS,
    LA_FIRST,
    LA_INDUSTRY,
    LA_LEGAL,
    LA_SURNAME_ENDS,
    LA_SURNAME_PARTS,
    LA_SURNAMES,
    LATIN_SPELLINGS,
    PROGRAMS,
    RU_COMPANY_PREFIXES,
    RU_COMPANY_QUALIFIERS,
    RU_COMPANY_SUFFIXES,
    RU_COMPANY_WORDS,
    RU_FEMALE,
    RU_LEGAL,
    RU_MALE,
    RU_ROMANISATION,
    RU_ROOTS,
    RU_SUFFIXES,
    RU_SURNAMES,
    RU_TO_CYRILLIC,
    SOURCES,
)
from screening import ListEntry
from screening.index import index_tokens

# --- the synthetic list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    text: str
    culture: str  # ru | ar | cn | la
    person: bool
    family: str | None = None  # a person's family name as written in ``text``


class Names:
    """Generators of realistic names, seeded."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ru_surnames = RU_SURNAMES + [r + s for r in RU_ROOTS for s in RU_SUFFIXES]
        self.la_surnames = LA_SURNAMES + [a + b.lower() for a in LA_SURNAME_PARTS for b in LA_SURNAME_ENDS]
        self.cn_given = [g for g, char in CN_GIVEN.items() if anyascii(char).lower() == g]
        self.cn_surnames = [s for s, char in CN_SURNAMES.items() if anyascii(char).lower() == s]

    def any(self) -> Named:
        culture = self.rng.choices(["la", "ru", "ar", "cn"], weights=[30, 25, 25, 20])[0]
        if self.rng.random() < 0.45:
            return self.person(culture)
        return self.company(culture)

    # people

    def person(self, culture: str, family: str | None = None) -> Named:
        """A person of ``culture``; with ``family``, one who has that family name."""
        rng = self.rng
        if culture == "ru":
            female = rng.random() < 0.3 if family is None else family.endswith(("a", "aya"))
            first = rng.choice(RU_FEMALE if female else RU_MALE)
            surname = family or rng.choice(self.ru_surnames)
            if family is None and female and surname.endswith(("ov", "ev", "in")):
                surname += "a"
            elif family is None and female and surname.endswith("sky"):
                surname = surname[:-1] + "aya"
            father = rng.choice(RU_MALE)
            stem = father[:-1] if father.endswith(("iy", "ey", "ay")) else father
            patronymic = stem + ("ovna" if female else "ovich")
            if father.endswith(("iy", "ey", "ay")):
                patronymic = father[:-1] + ("evna" if female else "evich")
            parts = [first, patronymic, surname] if rng.random() < 0.75 else [first, surname]
            family = surname
        elif culture == "ar":
            female = rng.random() < 0.2
            first = rng.choice(AR_FEMALE if female else AR_MALE)
            if family is None:
                family = rng.choice(AR_FAMILY)
                if family in AR_WITH_ARTICLE:
                    family = rng.choice(["Al-", "Al ", "al-"]) + family
            parts = [first]
            if rng.random() < 0.6:
                parts += [rng.choice(["bin", "ibn"])] if rng.random() < 0.3 and not female else []
                parts.append(rng.choice(AR_MALE))
            if rng.random() < 0.25:
                parts.append(rng.choice(AR_MALE))
            parts.append(family)
        elif culture == "cn":
            family = family or rng.choice(self.cn_surnames).capitalize()
            given = "".join(rng.choice(self.cn_given) for _ in range(rng.choice([1, 2, 2, 2])))
            parts = [family, given.capitalize()]
        else:
            first = rng.choice(LA_FIRST)
            parts = [first]
            if rng.random() < 0.3:
                parts.append(rng.choice(LA_FIRST))
            family = family or rng.choice(self.la_surnames)
            parts.append(family)
        return Named(" ".join(parts), culture, True, family)

    # companies

    def company(self, culture: str) -> Named:
        rng = self.rng
        if culture == "ru":
            prefix = rng.choice(RU_COMPANY_PREFIXES)
            style = rng.random()
            if style < 0.45:
                brand = prefix + rng.choice(RU_COMPANY_SUFFIXES)
                if rng.random() < 0.25:
                    brand += rng.choice(RU_COMPANY_SUFFIXES)
            elif style < 0.75:
                brand = f"{rng.choice(self.ru_surnames)} {rng.choice(RU_COMPANY_WORDS)}"
            else:
                brand = f"{prefix}{rng.choice(RU_COMPANY_SUFFIXES)} {rng.choice(RU_COMPANY_WORDS)}"
            if rng.random() < 0.2:
                brand = f"{rng.choice(RU_COMPANY_QUALIFIERS)} {brand}"
            legal = rng.choice(RU_LEGAL)
            text = f"{legal} {brand}" if rng.random() < 0.5 else f"{brand} {legal}"
        elif culture == "ar":
            words = [rng.choice(AR_COMPANY_WORDS)]
            if rng.random() < 0.35:
                words.append(rng.choice(AR_COMPANY_WORDS))
            article = "Al " if rng.random() < 0.5 else ""
            if rng.random() < 0.15:
                words.append(rng.choice(GENERIC_WORDS))
            text = f"{article}{' '.join(words)} {rng.choice(AR_COMPANY_INDUSTRY)} {rng.choice(AR_LEGAL)}"
        elif culture == "cn":
            brand = "".join(rng.choice(CN_BRAND_SYLLABLES) for _ in range(rng.choice([2, 2, 2, 3]))).capitalize()
            if rng.random() < 0.15:
                brand = f"{brand} {rng.choice(GENERIC_WORDS)}"
            if rng.random() < 0.2:
                text = f"{brand} {rng.choice(CN_INDUSTRY)} (HK) Limited"
            else:
                text = f"{rng.choice(CN_CITIES)} {brand} {rng.choice(CN_INDUSTRY)} Co., Ltd."
        else:
            style = rng.random()
            if style < 0.45:
                head = rng.choice(LA_BRANDS)
            elif style < 0.8:
                head = rng.choice(self.la_surnames)
            else:
                head = f"{rng.choice(self.la_surnames)} & {rng.choice(self.la_surnames)}"
            industry = " ".join(rng.sample(LA_INDUSTRY, rng.choice([1, 1, 2])))
            if rng.random() < 0.15:
                industry = f"{rng.choice(GENERIC_WORDS)} {industry}"
            text = f"{head} {industry} {rng.choice(LA_LEGAL)}"
        return Named(text, culture, False)


def _to_cyrillic(text: str) -> str:
    out = []
    lowered = text.lower()
    i = 0
    while i < len(lowered):
        for latin, cyrillic in RU_TO_CYRILLIC:
            if lowered.startswith(latin, i):
                out.append(cyrillic.upper() if text[i].isupper() else cyrillic)
                i += len(latin)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def to_arabic(text: str) -> str:
    """An Arabic person's generated name in Arabic script, word by word (articles with their name)."""
    words = text.replace("Al ", "Al-").replace("al-", "Al-").split()
    return " ".join(AR_SCRIPT[w] for w in words)


def _company_legal_split(text: str) -> tuple[str, str | None]:
    """(name without legal form, legal form) for generated company names."""
    for legal in sorted(
        {*RU_LEGAL, *AR_LEGAL, *LA_LEGAL, "Co., Ltd.", "(HK) Limited", "Limited"}, key=len, reverse=True
    ):
        if text.endswith(" " + legal):
            return text[: -len(legal) - 1], legal
        if text.startswith(legal + " "):
            return text[len(legal) + 1 :], legal
    return text, None


def make_list(names: Names, n_names: int) -> tuple[list[ListEntry], dict[str, Named]]:
    """Entries whose primary names and distinct aliases add up to ``n_names`` (or one entry more)."""
    rng = names.rng
    entries: list[ListEntry] = []
    primaries: dict[str, Named] = {}
    total = 0
    listed: set[frozenset[str]] = set()
    while total < n_names:
        named = names.any()
        tokens = frozenset(index_tokens(named.text, join_hyphens=True))
        if tokens in listed:  # one entry per name, as on real lists
            continue
        listed.add(tokens)
        aliases: list[str] = []
        roll = rng.random()
        if named.person:
            if roll < 0.25:
                aliases.append(romanisation(rng, named) or named.text)
            if rng.random() < 0.15:
                aliases.append(word_order(rng, named) or named.text)
            if rng.random() < 0.15:
                aliases.append(names.person(named.culture).text)
        else:
            if roll < 0.2:
                aliases.append(_company_legal_split(named.text)[0])
            if named.culture == "ru" and rng.random() < 0.3:
                aliases.append(_to_cyrillic(named.text))
            if rng.random() < 0.2:
                aliases.append(names.company(named.culture).text)
        aliases = [a for a in dict.fromkeys(aliases) if a != named.text]
        entry_id = f"syn-{len(entries) + 1:06d}"
        country = rng.choice(COUNTRIES[named.culture])
        entries.append(
            ListEntry(
                list="synthetic",
                entry_id=entry_id,
                name=named.text,
                alt_names=aliases,
                countries=[country],
                addresses=[{"address": None, "city": None, "state": None, "postal_code": None, "country": country}],
                programs=[rng.choice(PROGRAMS)],
                source=rng.choice(SOURCES),
                entity_type="Individual" if named.person else "Entity",
            )
        )
        primaries[entry_id] = named
        # count names as the index does: spellings that normalise alike are one name
        total += len({frozenset(index_tokens(t, join_hyphens=True)) for t in (named.text, *aliases)})
    return entries, primaries


# --- variants of a listed name ---------------------------------------------------------------------------
# Each returns a new spelling of the name, or None when the kind does not apply to it.


def arabic_script(rng: random.Random, named: Named) -> str | None:
    """An Arabic person's name written in Arabic script."""
    if named.culture != "ar" or not named.person:
        return None
    return to_arabic(named.text)


def cyrillic_script(rng: random.Random, named: Named) -> str | None:
    """A Russian name (person or company) written in Cyrillic script."""
    return _to_cyrillic(named.text) if named.culture == "ru" else None


def chinese_script(rng: random.Random, named: Named) -> str | None:
    """A Chinese person's name written in Chinese characters."""
    if named.culture != "cn" or not named.person:
        return None
    surname, given = named.text.split()
    syllables = _pinyin_syllables(given.lower())
    return CN_SURNAMES[surname.lower()] + "".join(CN_GIVEN[s] for s in syllables) if syllables else None


def romanisation(rng: random.Random, named: Named) -> str | None:
    """Another romanisation: Mohammed/Muhammad, Sergey/Sergei, -ov/-off, Xiaoping/Xiao-ping, Müller/Mueller."""
    text = named.text
    if named.culture == "ru":
        return _apply_rules(rng, text, RU_ROMANISATION, changes=rng.choice([1, 2]))
    if named.culture == "ar":
        words = text.split()
        spelled = [i for i, w in enumerate(words) if w in AR_SPELLINGS]
        if spelled and rng.random() < 0.7:
            i = rng.choice(spelled)
            words[i] = rng.choice(AR_SPELLINGS[words[i]])
            text = " ".join(words)
        else:
            text = _apply_rules(rng, text, AR_RULES, changes=1, words=_AR_WORDS) or text
        if rng.random() < 0.3:
            text = text.replace("Al-", "El-").replace("Al ", "El ").replace("al-", "el-")
        return text if text != named.text else None
    if named.culture == "cn":
        if named.person:
            surname, given = text.split()
            syllables = _pinyin_syllables(given.lower())
            if syllables and len(syllables) > 1:
                return f"{surname} {'-'.join(s.capitalize() for s in syllables)}"
            return None
        return None
    changed = text
    for plain, ascii_spelling in LATIN_SPELLINGS:
        changed = changed.replace(plain, ascii_spelling)
    return changed if changed != text else None


def _pinyin_syllables(word: str) -> list[str] | None:
    """Split a joined pinyin given name into the syllables of CN_GIVEN (greedy, longest first)."""
    syllables: list[str] = []
    i = 0
    keys = sorted(CN_GIVEN, key=len, reverse=True)
    while i < len(word):
        for key in keys:
            if word.startswith(key, i):
                syllables.append(key)
                i += len(key)
                break
        else:
            return None
    return syllables


_AR_WORDS = {w.lower() for w in [*AR_MALE, *AR_FEMALE, *AR_FAMILY, *AR_COMPANY_WORDS]}
_RU_WORDS_EXCLUDED = {w.lower() for w in ["OOO", "AO", "ZAO", "OAO", "PAO", "NPO", "NPP"]}


def _rule_positions(text: str, pattern: str, words: set[str] | None = None) -> list[int]:
    """Where ``pattern`` occurs in ``text`` (a trailing "$" anchors it to a word end), only in ``words``
    when given; connectors such as "bin" and "Al", and legal forms, are left alone."""
    lowered = text.lower()
    at_end = pattern.endswith("$")
    pattern = pattern.rstrip("$")
    positions = []
    start = 0
    for word in lowered.split(" "):
        bare = word.removeprefix("al-").removeprefix("el-")
        if word not in ("al", "al-", "el-", "bin", "ibn", *_RU_WORDS_EXCLUDED) and (words is None or bare in words):
            for i in range(len(word) - len(pattern) + 1):
                if word.startswith(pattern, i) and (not at_end or i + len(pattern) == len(word)):
                    positions.append(start + i)
        start += len(word) + 1
    return positions


def _apply_rules(
    rng: random.Random,
    text: str,
    rules: list[tuple[str, str]],
    *,
    changes: int,
    words: set[str] | None = None,
) -> str | None:
    applicable = [(a, b) for a, b in rules if _rule_positions(text, a, words)]
    if not applicable:
        return None
    for a, b in rng.sample(applicable, min(changes, len(applicable))):
        positions = _rule_positions(text, a, words)
        a = a.rstrip("$")
        if not positions:
            continue
        i = rng.choice(positions)
        replacement = b.capitalize() if text[i].isupper() else b
        text = text[:i] + replacement + text[i + len(a) :]
    return text


def _words_with_articles(text: str) -> list[str]:
    """Words, with an Arabic article kept on the word it belongs to ("Al Noor")."""
    words: list[str] = []
    for word in text.split():
        if words and words[-1] in ("Al", "El", "al"):
            words[-1] += " " + word
        else:
            words.append(word)
    return words


def word_order(rng: random.Random, named: Named) -> str | None:
    text = named.text
    if named.person:
        words = text.split()
        if len(words) < 2:
            return None
        if rng.random() < 0.7:
            return " ".join([words[-1], *words[:-1]])  # family name first, as in many documents
        return " ".join([*words[1:], words[0]])
    core, legal = _company_legal_split(text)
    words = _words_with_articles(core)
    if len(words) < 2:
        return None
    i = rng.randrange(len(words) - 1)
    words[i], words[i + 1] = words[i + 1], words[i]
    swapped = " ".join(words)
    return f"{swapped} {legal}" if legal else swapped


def punctuation(rng: random.Random, named: Named) -> str | None:
    text = named.text
    choice = rng.randrange(5)
    if choice == 0:
        changed = text.upper()
    elif choice == 1:
        changed = text.replace(" ", "-", 1) if " " in text else text + "."
    elif choice == 2:
        core, legal = _company_legal_split(text)
        changed = f'"{core}", {legal}' if legal else f"{text.replace(' ', ', ', 1)}"
    elif choice == 3:
        changed = text.lower().replace(" ", "  ") + "."
    else:
        core, legal = _company_legal_split(text)
        changed = f"«{core}» {legal}" if legal else f"{text} (a.k.a.)".replace(" (a.k.a.)", ".")
    return changed if changed != text else None


def legal_form(rng: random.Random, named: Named) -> str | None:
    if named.person:
        return None
    core, legal = _company_legal_split(named.text)
    if named.culture == "ru":
        options = ["OOO", "AO", "ZAO", "OAO", "PAO", "LLC", "JSC", "Limited Liability Company"]
    elif named.culture == "ar":
        options = ["LLC", "L.L.C.", "FZE", "FZCO", "Co. W.L.L.", "Est."]
    elif named.culture == "cn":
        options = ["Co., Ltd.", "Co Ltd", "Company Limited", "Limited", "Ltd.", "Corp."]
    else:
        options = ["Ltd", "Limited", "LLC", "Inc.", "GmbH", "AG", "S.A.", "B.V.", "PLC", "Corp.", "Co."]
    options = [o for o in options if o != legal]
    roll = rng.random()
    if roll < 0.25 or legal is None:
        return f"{core} {rng.choice(options)}" if legal is None or roll < 0.1 else core
    if roll < 0.35:
        return f"{rng.choice(options)} {core}"
    return f"{core} {rng.choice(options)}"


def typo(rng: random.Random, named: Named) -> str | None:
    text = named.text
    letters = [i for i, c in enumerate(text) if c.isascii() and c.isalpha()]
    if len(letters) < 4:
        return None
    # one typo, or one or two when the name has more than 12 letters (legal forms and articles aside)
    edits = 1 if sum(map(len, index_tokens(text, join_hyphens=True))) <= 12 else rng.choice([1, 2])
    chars = list(text)
    for _ in range(edits):
        letters = [i for i, c in enumerate(chars) if c.isascii() and c.isalpha()]
        i = rng.choice(letters)
        c = chars[i].lower()
        kind = rng.randrange(4)
        if kind == 0 and c in KEYBOARD:  # substitution by a neighbouring key
            chars[i] = rng.choice(KEYBOARD[c])
        elif kind == 1:  # deletion
            del chars[i]
        elif kind == 2 and c in KEYBOARD:  # insertion of a neighbouring key
            chars.insert(i, rng.choice(KEYBOARD[c]))
        elif i + 1 < len(chars) and chars[i + 1].isalpha():  # transposition
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            del chars[i]
    changed = "".join(chars)
    return changed if changed != text else None


def dropped_middle(rng: random.Random, named: Named) -> str | None:
    """A middle name, patronymic or generic company word left out."""
    if named.person:
        words = [w for w in named.text.split() if w not in ("bin", "ibn")]
        if len(words) < 3:
            return None
        i = rng.randrange(1, len(words) - 1)
        return " ".join(words[:i] + words[i + 1 :])
    core, legal = _company_legal_split(named.text)
    words = _words_with_articles(core)
    generic = [i for i, w in enumerate(words) if w in GENERIC_WORDS and 0 < i < len(words) - 1]
    if not generic:
        return None
    i = rng.choice(generic)
    joined = " ".join(words[:i] + words[i + 1 :])
    return f"{joined} {legal}" if legal else joined


def added_token(rng: random.Random, named: Named) -> str | None:
    """A middle name, patronymic or generic company word added."""
    if named.person:
        words = named.text.split()
        if named.culture == "ru":
            extra = rng.choice(RU_MALE) + "ovich"
        elif named.culture == "ar":
            extra = rng.choice(AR_MALE)
        elif named.culture == "la":
            extra = rng.choice(LA_FIRST)
        else:
            return None
        return " ".join([words[0], extra, *words[1:]])
    core, legal = _company_legal_split(named.text)
    words = _words_with_articles(core)
    if len(words) >= 2:
        i = rng.randrange(1, len(words))
        words = [*words[:i], rng.choice(GENERIC_WORDS), *words[i:]]
    else:
        return None
    joined = " ".join(words)
    return f"{joined} {legal}" if legal else joined


VARIANTS: dict[str, Callable[[random.Random, Named], str | None]] = {
    "arabic_script": arabic_script,
    "cyrillic_script": cyrillic_script,
    "chinese_script": chinese_script,
    "romanisation": romanisation,
    "word_order": word_order,
    "punctuation": punctuation,
    "legal_form": legal_form,
    "typo": typo,
    "dropped_middle": dropped_middle,
    "added_token": added_token,
}


class Neighbourhood:
    """Which generated names are variants of a listed name, so they cannot count as unrelated."""

    def __init__(self, entries: list[ListEntry]) -> None:
        self.sets: set[frozenset[str]] = set()
        self.by_token: dict[str, list[frozenset[str]]] = defaultdict(list)
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for entry in entries:
            for text in (entry.name, *entry.alt_names):
                tokens = index_tokens(text, join_hyphens=True)
                token_set = frozenset(tokens)
                if token_set in self.sets:
                    continue
                self.sets.add(token_set)
                for token in token_set:
                    self.by_token[token].append(token_set)
                for joined in {" ".join(tokens), " ".join(sorted(tokens))}:
                    self.by_length[len(joined)].append(joined)

    def reason(self, text: str) -> str | None:
        """Why ``text`` is a variant of a listed name, or None when it is unrelated."""
        tokens = index_tokens(text, join_hyphens=True)
        token_set = frozenset(tokens)
        if not token_set:
            return "empty"
        if token_set in self.sets:
            return "listed"
        for token in token_set:
            for listed in self.by_token.get(token, ()):
                if listed <= token_set or token_set <= listed:
                    return "token subset or superset"
        # the typo variants' neighbourhood: one edit, or two when the longer name has over 12 letters
        # (any token order)
        letters = sum(map(len, tokens))
        for joined in {" ".join(tokens), " ".join(sorted(tokens))}:
            for length in range(len(joined) - 2, len(joined) + 3):
                for other, distance, _ in process.extract(
                    joined, self.by_length.get(length, []), scorer=OSA.distance, score_cutoff=2, limit=None
                ):
                    if distance <= 1 or max(letters, len(other.replace(" ", ""))) > 12:
                        return "within typo distance"
        return None


def unrelated_names(names: Names, neighbourhood: Neighbourhood, count: int) -> tuple[list[Named], Counter[str]]:
    """Generated names that are not a variant of a listed name, and how many were set aside, by reason."""
    found: list[Named] = []
    set_aside: Counter[str] = Counter()
    while len(found) < count:
        named = names.any()
        reason = neighbourhood.reason(named.text)
        if reason:
            set_aside[reason] += 1
        else:
            found.append(named)
    return found, set_aside


def shared_family_names(
    names: Names, primaries: dict[str, Named], neighbourhood: Neighbourhood, count: int
) -> list[tuple[Named, str]]:
    """People who share a listed person's family name and nothing else of it (listed "Viktor Bout",
    "Anna Bout"), with the listed name; variants of a listed name are set aside as in ``unrelated_names``."""
    listed = [named for named in primaries.values() if named.person and named.family]
    found: list[tuple[Named, str]] = []
    while len(found) < count:
        original = names.rng.choice(listed)
        named = names.person(original.culture, original.family)
        given = set(index_tokens(named.text)) - set(index_tokens(original.family or ""))
        if given & set(index_tokens(original.text)) or neighbourhood.reason(named.text):
            continue
        found.append((named, original.text))
    return found
