"""The agencies that take part in a clearance, resolved at acceptance from the agency registry and carried in the
workflow input (`ClearanceInput.parties`, read by `domain/standing.py`): the SOP's customs administration and the
export-control authority of the office of export's country. Cached briefly per process: the registry changes
rarely, and lodging is the hot path."""

from __future__ import annotations

import time

from api.deps import Services
from domain.standing import CUSTOMS, EXPORT_CONTROL
from store import agencies

CACHE_SECONDS = 30.0
_cache: dict[tuple[int, str, str], tuple[float, dict[str, str]]] = {}


async def parties_for(services: Services, *, customs: str, country: str) -> dict[str, str]:
    key = (id(services.db), customs, country.upper())
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return dict(cached[1])
    parties = {CUSTOMS: customs}
    async with services.db.reader() as session:
        authority = await agencies.export_control_for(session, country)
    if authority is not None:
        parties[EXPORT_CONTROL] = authority.id
    _cache[key] = (now + CACHE_SECONDS, parties)
    return dict(parties)
