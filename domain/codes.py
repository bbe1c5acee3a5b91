"""Code lists and the one voice every code field speaks with when it refuses a value.

ISO sets are loaded once (pycountry is slow to query repeatedly; the sets are cheap to test). Units of measure are
a bundled subset of UN/ECE Recommendation 20 (the codes trade declarations use) plus the plain aliases the
examples and licences use (`pcs`, `kg`, ...), each mapped to its Rec 20 code.
"""

from __future__ import annotations

import re

import pycountry

COUNTRIES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
CURRENCIES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies)
# EU member states: the destination of an export must lie outside the customs territory.
EU_MEMBER_STATES: frozenset[str] = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
        *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
    }
)

# UN/ECE Recommendation 20 (rev. 17): units of measure used in trade, the commonly declared ones.
REC20_UNITS: dict[str, str] = {
    "C62": "one",
    "H87": "piece",
    "PCE": "piece (older code, still in use)",
    "NAR": "number of articles",
    "NPR": "number of pairs",
    "PR": "pair",
    "SET": "set",
    "DZN": "dozen",
    "CEN": "hundred",
    "MIL": "thousand",
    "KGM": "kilogram",
    "GRM": "gram",
    "MGM": "milligram",
    "TNE": "tonne (metric ton)",
    "CTM": "carat",
    "LTR": "litre",
    "MLT": "millilitre",
    "HLT": "hectolitre",
    "LPA": "litre of pure alcohol",
    "MTQ": "cubic metre",
    "CMQ": "cubic centimetre",
    "MTK": "square metre",
    "CMK": "square centimetre",
    "MTR": "metre",
    "CMT": "centimetre",
    "MMT": "millimetre",
    "KMT": "kilometre",
    "KWH": "kilowatt hour",
    "MWH": "megawatt hour",
    "KWT": "kilowatt",
    "GFI": "gram of fissile isotopes",
    "KNI": "kilogram of nitrogen",
    "KPO": "kilogram of potassium oxide",
    "KSD": "kilogram of substance 90 % dry",
    "NCL": "number of cells",
    "CCT": "carrying capacity in metric tonnes",
}
# Plain-language aliases accepted as written (case matters: licences and declarations are compared as given).
UNIT_ALIASES: dict[str, str] = {
    "pcs": "H87",
    "pc": "H87",
    "pairs": "NPR",
    "kg": "KGM",
    "g": "GRM",
    "mg": "MGM",
    "t": "TNE",
    "l": "LTR",
    "ml": "MLT",
    "m": "MTR",
    "cm": "CMT",
    "mm": "MMT",
    "km": "KMT",
    "m2": "MTK",
    "m3": "MTQ",
    "kWh": "KWH",
}
UNITS: frozenset[str] = frozenset(REC20_UNITS) | frozenset(UNIT_ALIASES)

EORI_MIN, EORI_MAX = 5, 15  # alphanumerics after the country prefix (EU EORI: up to 15; none is shorter than 5)
_EORI_BODY = re.compile(rf"^[A-Za-z0-9]{{{EORI_MIN},{EORI_MAX}}}$")
_ALNUM = re.compile(r"^[A-Za-z0-9]+$")
_DIGITS = re.compile(r"^[0-9]+$")


def quoted(value: str, limit: int = 40) -> str:
    """The value as a message quotes it (long input cut short, so a message never echoes a whole body)."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _upper_hint(code: str, valid: frozenset[str]) -> str:
    return f"use upper case, e.g. {code.upper()}" if code.upper() in valid else ""


def country_problem(code: str) -> str | None:
    """None for an ISO 3166-1 alpha-2 code, otherwise what is wrong with it."""
    if code in COUNTRIES:
        return None
    hint = _upper_hint(code, COUNTRIES) or "e.g. DE, CA, JP"
    return f"{quoted(code)} is not an ISO 3166-1 alpha-2 country code ({hint})"


def currency_problem(code: str) -> str | None:
    if code in CURRENCIES:
        return None
    hint = _upper_hint(code, CURRENCIES) or "e.g. EUR, USD, JPY"
    return f"{quoted(code)} is not an ISO 4217 currency code ({hint})"


def eori_problem(code: str) -> str | None:
    """An EORI number: an ISO country prefix, then 5 to 15 letters or digits."""
    shape = f"an ISO 3166-1 alpha-2 country code, then {EORI_MIN} to {EORI_MAX} letters or digits"
    if len(code) < 2 + EORI_MIN or not _ALNUM.match(code) or not code[:2].isalpha():
        return f"{quoted(code)} is not an EORI number ({shape}, e.g. DE123456789012345)"
    prefix = code[:2]
    if prefix not in COUNTRIES:
        hint = f"use upper case, e.g. {prefix.upper()}{code[2:]}" if prefix.upper() in COUNTRIES else shape
        return f"{quoted(code)} is not an EORI number: it must begin with a country code ({hint})"
    if not _EORI_BODY.match(code[2:]):
        return f"{quoted(code)} is not an EORI number ({shape}, e.g. DE123456789012345)"
    return None


def office_problem(code: str) -> str | None:
    """A customs office reference number (EU COL): ISO country prefix + 6 letters or digits."""
    shape = "an ISO 3166-1 alpha-2 country code, then 6 upper-case letters or digits, e.g. DE004098"
    if len(code) != 8 or not _ALNUM.match(code) or code != code.upper():
        return f"{quoted(code)} is not a customs office reference number ({shape})"
    if code[:2] not in COUNTRIES:
        return f"{quoted(code)} is not a customs office reference number: it must begin with a country code ({shape})"
    return None


def unit_problem(code: str) -> str | None:
    if code in UNITS:
        return None
    if code.upper() in REC20_UNITS:
        hint = f"use upper case, e.g. {code.upper()}"
    else:
        hint = "e.g. H87 or pcs for pieces, KGM or kg, LTR or l, MTR or m"
    return f"{quoted(code)} is not a unit of measure of UN/ECE Recommendation 20 ({hint})"


def commodity_problem(code: str) -> str | None:
    """HS (6 digits), CN (8) or TARIC / national (10)."""
    if _DIGITS.match(code) and len(code) in (6, 8, 10):
        return None
    return f"{quoted(code)} is not a commodity code (6 digits of the HS, 8 of the CN or 10 of TARIC, e.g. 820540)"
