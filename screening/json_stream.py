"""Read the entries of a CSL JSON document one at a time, without holding the whole document in memory.

A CSL file is ``{"results": [entry, entry, ...], ...}`` or a bare ``[entry, ...]``; only the outer object and the
results array are walked here, each entry (and every other top-level value) is decoded by the standard library's
C decoder (``json.JSONDecoder.raw_decode``) from a sliding text buffer. A 250 MB file so costs one entry's worth of
objects at a time beside the text buffer, and a file nested thousands deep is refused instead of recursing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ["JsonListError", "iter_results"]

CHUNK = 1 << 20  # characters read at a time
MAX_VALUE = 32 << 20  # characters of one entry (or other top-level value); real entries are a few hundred
_WHITESPACE = " \t\n\r"


class JsonListError(ValueError):
    """The text is not a CSL JSON document (the message says why)."""


class _Reader:
    def __init__(self, text: TextIO) -> None:
        self._text = text
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._decoder = json.JSONDecoder()

    def _fill(self, size: int = CHUNK) -> bool:
        """Read more text, dropping what was consumed; False at the end of the file."""
        if self._eof:
            return False
        chunk = self._text.read(size)
        if not chunk:
            self._eof = True
            return False
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        return True

    def _more(self) -> bool:
        """Read on for a value that may be incomplete: doubling the buffer, so a long value is decoded a few
        times, not once per chunk."""
        pending = len(self._buf) - self._pos
        if pending > MAX_VALUE:
            raise JsonListError(f"not valid JSON for a list: an entry longer than {MAX_VALUE} characters")
        return self._fill(max(CHUNK, pending))

    def peek(self) -> str | None:
        """The next character that is not whitespace (not consumed); None at the end."""
        while True:
            buf, pos = self._buf, self._pos
            while pos < len(buf) and buf[pos] in _WHITESPACE:
                pos += 1
            self._pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self._fill():
                return None

    def expect(self, chars: str, where: str) -> str:
        char = self.peek()
        if char is None or char not in chars:
            found = "the end of the file" if char is None else repr(char)
            raise JsonListError(f"not valid JSON: expected {' or '.join(map(repr, chars))} {where}, found {found}")
        self._pos += 1
        return char

    def value(self) -> Any:
        """Decode the next JSON value, reading on while it may be incomplete."""
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except RecursionError:
                raise JsonListError("not valid JSON for a list: nested too deeply") from None
            except json.JSONDecodeError as exc:
                if self._more():
                    continue
                raise JsonListError(f"not valid JSON: {exc.msg} (near character {exc.pos})") from None
            if end == len(self._buf) and self._more():
                continue  # a number may go on in the next chunk: decode again with it
            self._pos = end
            return value


def iter_results(text: TextIO) -> Iterator[Any]:
    """The items of the document's results array (or of the bare top-level array), in order."""
    reader = _Reader(text)
    first = reader.peek()
    if first == "[":
        yield from _array(reader)
    elif first == "{":
        yield from _results_of_object(reader)
    else:
        reader.value()  # raises when it is not JSON at all
        raise JsonListError("a CSL JSON document is an object with a results list, or a list of entries")
    if reader.peek() is not None:
        raise JsonListError("not valid JSON: extra data after the document")


def _array(reader: _Reader) -> Iterator[Any]:
    reader.expect("[", "at the start of the list")
    if reader.peek() == "]":
        reader.expect("]", "")
        return
    while True:
        if reader.peek() in ("[", "{") and _too_deep(reader):
            raise JsonListError("not valid JSON for a list: nested too deeply")
        yield reader.value()
        if reader.expect(",]", "after a list entry") == "]":
            return


def _results_of_object(reader: _Reader) -> Iterator[Any]:
    reader.expect("{", "")
    found = False
    if reader.peek() == "}":
        reader.expect("}", "")
    else:
        while True:
            key = reader.value()
            if not isinstance(key, str):
                raise JsonListError("not valid JSON: object keys are strings")
            reader.expect(":", "after a key")
            if key == "results" and reader.peek() == "[":
                found = True
                yield from _array(reader)
            else:
                reader.value()
            if reader.expect(",}", "after a value") == "}":
                break
    if not found:
        raise JsonListError('a CSL JSON document needs a "results" list of entries')


def _too_deep(reader: _Reader, limit: int = 64) -> bool:
    """Whether the next value opens more than `limit` brackets in a row (no list entry does): refused before the
    decoder walks it."""
    buf, pos = reader._buf, reader._pos
    depth = 0
    while pos < len(buf) and buf[pos] in "[{ \t\n\r":
        if buf[pos] in "[{":
            depth += 1
            if depth > limit:
                return True
        pos += 1
    return False
