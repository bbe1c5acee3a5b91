"""One way to reach Temporal for every process: address, namespace, TLS or API key from settings, and the
pydantic data converter so domain models cross the boundary as themselves."""

from __future__ import annotations

from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter

from settings import Settings


async def connect(settings: Settings) -> Client:
    tls: bool | TLSConfig = settings.temporal_tls
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes(),
            client_private_key=settings.temporal_tls_key.read_bytes(),
        )
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=tls,
        api_key=settings.temporal_api_key or None,
    )
