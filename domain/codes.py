"""ISO code sets, loaded once (pycountry is slow to query repeatedly; the sets are cheap to test)."""

from __future__ import annotations

import pycountry

COUNTRIES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
CURRENCIES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies)
# EU member states: the destination of an export must lie outside the customs territory.
EU_MEMBER_STATES: frozenset[str] = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
