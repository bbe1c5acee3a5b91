"""Jinja2 filters of the console: timestamps, durations, labels, quantities and money, field paths."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup, escape
from pydantic import TypeAdapter, ValidationError

from sop.document import human_duration

_DURATION = TypeAdapter(timedelta)
_WORD = re.compile(r"\w+", re.UNICODE)


def parse_instant(value: str | datetime | None) -> datetime | None:
    """An RFC 3339 string or a datetime as an aware UTC datetime; None for nothing or nonsense."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp(value: str | datetime | None) -> Markup:
    """`23 Nov 2026, 11:05:43 UTC` inside a <time> element carrying the exact instant."""
    at = parse_instant(value)
    if at is None:
        return Markup("—")
    exact = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}"><span class="nowrap">{},</span> <span class="nowrap">{}</span></time>').format(
        exact, at.strftime("%-d %b %Y"), at.strftime("%H:%M:%S UTC")
    )


def duration(seconds: float | int | None) -> str:
    """`0.42 s`, `12 s`, `4 min 10 s`, `3 h 5 min`, `2 d 4 h`: at most two units."""
    if seconds is None:
        return "—"
    seconds = float(seconds)
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    whole = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts[:2])


def between(start: str | datetime | None, end: str | datetime | None) -> str:
    began, ended = parse_instant(start), parse_instant(end)
    if began is None or ended is None:
        return "—"
    return duration(max(0.0, (ended - began).total_seconds()))


def relative(value: str | datetime | None, now: datetime | None = None) -> str:
    """`in 3 h 10 min` or `5 min ago` from now."""
    at = parse_instant(value)
    if at is None:
        return ""
    delta = (at - (now or datetime.now(UTC))).total_seconds()
    if abs(delta) < 1:
        return "now"
    return f"in {duration(delta)}" if delta > 0 else f"{duration(-delta)} ago"


def iso_duration_text(value: str | timedelta | None) -> str:
    """An ISO 8601 duration as the SOP writes it (`PT2H`), in words (`2 hours`)."""
    if value is None or value == "":
        return "—"
    try:
        return human_duration(_DURATION.validate_python(value))
    except ValidationError:
        return str(value)


def label(value: Any) -> str:
    """`inspection_findings` → `Inspection findings`."""
    if value is None or value == "":
        return "—"
    text = str(getattr(value, "value", value)).replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def number(value: Any) -> str:
    """A decimal without trailing zeros, thousands separated by a narrow no-break space: `96 000`, `40`, `12.5`."""
    if value is None or value == "":
        return "—"
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{exact.normalize():,f}" if exact == exact.to_integral() else f"{exact.normalize():,}"
    return text.replace(",", "\u202f")


def quantity(value: Mapping[str, Any] | None) -> str:
    if not value:
        return "—"
    return f"{number(value.get('value'))}\u00a0{value.get('unit', '')}".strip()


def money(value: Mapping[str, Any] | None) -> str:
    if not value:
        return "—"
    amount = Decimal(str(value.get("amount", 0)))
    return f"{amount:,.2f}\u00a0{value.get('currency', '')}".replace(",", "\u202f").strip()


def field_path(loc: Iterable[Any] | None) -> str:
    """The path of a refused field as the API's `loc` names it, without the leading `body`/`query`."""
    parts = [str(p) for p in (loc or [])]
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    return ".".join(parts)


def yes_no(value: bool | None) -> str:
    return "—" if value is None else "Yes" if value else "No"


def address(party: Mapping[str, Any] | None) -> Markup:
    if not party or not party.get("address"):
        return Markup("—")
    a = party["address"]
    lines = [a.get("street"), " ".join(x for x in (a.get("postcode"), a.get("city")) if x), a.get("country")]
    return Markup("<br>").join(escape(line) for line in lines if line)


def fold(text: str) -> str:
    """Case and accents folded, so `Dinamika` and `DINAMIKA`, `Müller` and `Muller` compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(*texts: str | None) -> set[str]:
    return {fold(w) for text in texts if text for w in _WORD.findall(text)}


def highlight(text: str | None, shared: Iterable[str]) -> Markup:
    """`text` with each word that is in `shared` marked; everything else escaped."""
    if not text:
        return Markup("—")
    wanted = set(shared)
    out, last = [], 0
    for found in _WORD.finditer(text):
        out.append(escape(text[last : found.start()]))
        word = found.group(0)
        out.append(Markup("<mark>{}</mark>").format(word) if fold(word) in wanted else escape(word))
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def address_lines(address: Mapping[str, Any]) -> str:
    """A list entry's or a declared party's address on one line."""
    parts = [
        address.get("address") or address.get("street"),
        " ".join(p for p in (address.get("postal_code") or address.get("postcode"), address.get("city")) if p),
        address.get("state"),
        address.get("country"),
    ]
    return ", ".join(str(p) for p in parts if p)


FILTERS = {
    "timestamp": timestamp,
    "duration": duration,
    "between": between,
    "relative": relative,
    "iso_duration_text": iso_duration_text,
    "label": label,
    "number": number,
    "quantity": quantity,
    "money": money,
    "field_path": field_path,
    "yes_no": yes_no,
    "address": address,
    "address_line": address_lines,
    "highlight": highlight,
}
