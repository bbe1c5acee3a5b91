"""One way to reach Temporal for every process: address, namespace, TLS or API key from settings, and the
project's data converter (stack/codec.py): pydantic, so domain models cross the boundary as themselves, and
encrypted, so no declaration text rests in Temporal's history."""

from __future__ import annotations

import os
from datetime import timedelta

from temporalio.client import Client, TLSConfig
from temporalio.service import RetryConfig

from settings import Settings
from stack.codec import data_converter

# The API answers people: when Temporal is down it must say so (503) within about a second, not after the core
# client's default ten seconds of retrying. Workers keep the default: they have nobody waiting.
FAIL_FAST_RETRIES = RetryConfig(
    initial_interval_millis=100, multiplier=1.5, max_interval_millis=400, max_elapsed_time_millis=1000, max_retries=5
)


# The embedded dev server's Go runtime (unless set in the environment): a collection when the heap has grown 4x
# since the last one instead of 2x, under a 1 GiB soft limit. Under the green-lane load the server spent about a
# tenth of its CPU collecting garbage at Go's default.
DEV_SERVER_GO_RUNTIME = {"GOGC": "400", "GOMEMLIMIT": "1GiB"}


def dev_server_environment() -> None:
    """Give the dev server this process starts (it inherits the environment) DEV_SERVER_GO_RUNTIME."""
    for name, value in DEV_SERVER_GO_RUNTIME.items():
        os.environ.setdefault(name, value)


def rpc_timeout(settings: Settings) -> timedelta:
    """Deadline of one call to Temporal on a request's path (start, describe), for a server that hangs."""
    return timedelta(seconds=settings.temporal_rpc_timeout_seconds)


async def connect(settings: Settings, *, fail_fast: bool = False) -> Client:
    """`fail_fast` (the API): short retries, and a lazy connection so the API starts, and answers 503, while
    Temporal is still down; the client connects on the first call that finds it up."""
    tls: bool | TLSConfig = settings.temporal_tls
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes(),
            client_private_key=settings.temporal_tls_key.read_bytes(),
        )
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        tls=tls,
        api_key=settings.temporal_api_key or None,
        retry_config=FAIL_FAST_RETRIES if fail_fast else None,
        lazy=fail_fast,
    )
