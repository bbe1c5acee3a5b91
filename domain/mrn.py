"""Movement Reference Numbers: 2-digit year, 2-letter country, 13 alphanumerics, 1 ISO 6346 check character.

The 13 alphanumerics are derived from the declarant's EORI and LRN, so a resubmission of the same
declaration maps to the same Temporal workflow id (`clearance-<13 chars>`) without a database look-up,
and an MRN leads straight to its workflow.
"""

from __future__ import annotations

import hashlib
import re
import string

MRN_PATTERN = re.compile(r"^[0-9]{2}[A-Z]{2}[A-Z0-9]{13}[0-9]$")
_ALPHABET = string.digits + string.ascii_uppercase


def _iso6346_values() -> dict[str, int]:
    """Each character's value: digits as themselves, A=10 and upwards skipping multiples of 11 (11, 22, 33) as
    ISO 6346 does."""
    values = {digit: int(digit) for digit in string.digits}
    value = 10
    for letter in string.ascii_uppercase:
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    return values


_ISO6346_VALUES = _iso6346_values()  # every MRN the API is given is checked: a look-up, not a walk of the alphabet


def _iso6346_value(ch: str) -> int:
    try:
        return _ISO6346_VALUES[ch]
    except KeyError:
        raise ValueError(f"not an MRN character: {ch!r}") from None


def check_character(body: str) -> str:
    """The check character over the first 17 characters, computed as in ISO 6346."""
    total = sum(_iso6346_value(ch) * (2**i) for i, ch in enumerate(body))
    return str(total % 11 % 10)


def declaration_key(declarant_eori: str, lrn: str) -> str:
    """13 alphanumerics that identify a declaration by declarant and LRN."""
    digest = int.from_bytes(hashlib.sha256(f"{declarant_eori}\n{lrn}".encode()).digest(), "big")
    chars = []
    for _ in range(13):
        digest, rem = divmod(digest, 36)
        chars.append(_ALPHABET[rem])
    return "".join(chars)


def make_mrn(*, year: int, country: str, key: str) -> str:
    body = f"{year % 100:02d}{country.upper()}{key}"
    if len(body) != 17:
        raise ValueError("MRN body must be 17 characters")
    return body + check_character(body)


def is_valid_mrn(mrn: str) -> bool:
    return bool(MRN_PATTERN.match(mrn)) and check_character(mrn[:17]) == mrn[17]


def workflow_id_for_key(key: str) -> str:
    return f"clearance-{key}"


def workflow_id_for_mrn(mrn: str) -> str:
    return workflow_id_for_key(mrn[4:17])
