"""Oversized request bodies are 413 with a JSON body however they are sent (Content-Length or chunked, JSON or
multipart), against the real app served by uvicorn; list imports have their own, larger limit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from api.main import create_app
from tests.conftest import Stack
from tests.support import example
from tests.support import free_port as _free_port

pytestmark = pytest.mark.e2e
LIMIT = 64 * 1024
LIST_LIMIT = 512 * 1024


@pytest.fixture
async def served(stack: Stack) -> AsyncIterator[str]:
    """The app with small limits behind a real uvicorn server (real HTTP/1.1, real chunked encoding)."""
    settings = stack.settings.model_copy(update={"max_body_bytes": LIMIT, "max_list_import_bytes": LIST_LIMIT})
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, temporal=stack.client, db=stack.db), port=port, log_config=None, access_log=False
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def chunks(total: int, size: int = 16 * 1024, head: bytes = b"") -> AsyncIterator[bytes]:
    """A body without Content-Length: httpx sends an async generator chunked."""
    yield head
    sent = len(head)
    while sent < total:
        piece = min(size, total - sent)
        yield b" " * piece
        sent += piece


def _is_413(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": f"request body larger than {limit} bytes"}


async def test_chunked_json_and_multipart_bodies_over_the_limit_are_413(stack: Stack, served: str) -> None:
    auth = stack.auth("declarant")
    async with httpx.AsyncClient(base_url=served, timeout=30) as http:
        body = chunks(LIMIT * 4, head=b'{"lrn": "X", "padding": "')
        response = await http.post(
            "/v1/declarations", content=body, headers={**auth, "Content-Type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert response.request.headers["transfer-encoding"] == "chunked"
        _is_413(response, LIMIT)

        boundary = "b0undary"
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.json"\r\n\r\n'.encode()
        multipart = {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        _is_413(await http.post("/v1/declarations", content=chunks(LIMIT * 4, head=head), headers=multipart), LIMIT)
        # a route that reads its body itself (YAML or JSON SOP): the same
        author = {**stack.auth("sop_author"), "Content-Type": "application/yaml"}
        _is_413(await http.post("/v1/sops", content=chunks(LIMIT * 3), headers=author), LIMIT)

        # declared with Content-Length: refused before a byte is read
        _is_413(await http.post("/v1/declarations", content=b"{" * (LIMIT + 1), headers=auth), LIMIT)

        # under the limit, chunked works as usual
        declaration = json.dumps(example("green-lane")).encode()
        lodged = await http.post(
            "/v1/declarations",
            content=chunks(len(declaration), head=declaration),
            headers={**auth, "Content-Type": "application/json"},
        )
        assert lodged.status_code == 202, lodged.text


async def test_list_imports_have_their_own_larger_limit(stack: Stack, served: str) -> None:
    officer = {**stack.auth("export_control_officer"), "Content-Type": "application/json"}
    path = "/v1/screening-lists/limit-test/import"
    async with httpx.AsyncClient(base_url=served, timeout=30) as http:
        # above the general limit, below the import limit: read and judged on its content, not refused for size
        within = await http.post(path, content=chunks(LIMIT * 2, head=b'{"results": ['), headers=officer)
        assert within.status_code == 422, within.text
        _is_413(
            await http.post(path, content=chunks(LIST_LIMIT * 2, head=b'{"results": ['), headers=officer), LIST_LIMIT
        )
        _is_413(await http.post(path, content=b" " * (LIST_LIMIT + 1), headers=officer), LIST_LIMIT)
        # the list import limit is for that route only
        _is_413(await http.post("/v1/screening/check", content=chunks(LIMIT * 2), headers=officer), LIMIT)
