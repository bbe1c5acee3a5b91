"""The event loop of the worker and of the floor's worker: uvloop where it is installed (libuv: scheduling,
sockets and thread wake-ups in C; under load the worker spent a tenth of its time in asyncio's own code), else
asyncio's. uvicorn picks uvloop for the API by itself, and httptools as its HTTP parser."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - a dependency; absent only where it does not build
        return asyncio.run(main)
    return uvloop.run(main)
