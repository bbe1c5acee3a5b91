"""Partner witnesses of the audit log (c2sp.org/tlog-witness): one interface, two implementations.

`HttpWitness` posts to a partner engine's `POST /v1/audit/witness/add-checkpoint` (bearer token it issued us,
one timeout per call, no retry: the checkpoint publisher asks again next round). `EmbeddedWitness` is a witness
inside this engine (the demo's DEMO-PARTNER-CUSTOMS), running the same checks (`store/witness.py`) with its own
key under DATA_DIR; it trusts the registry's keys and this administration's log key."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import httpx

from domain.agencies import AgencyKey
from settings import Settings, WitnessConfig
from store import agencies as agency_store
from store import witness as witness_store
from store.audit_cosign import ConfiguredWitness, WitnessRefused, WitnessSizeConflict, WitnessUnavailable
from store.audit_note import Cosigner, LogSigner, b64, load_or_create_key, unb64
from store.db import Database

ADD_CHECKPOINT = "/v1/audit/witness/add-checkpoint"
LOG_KEY_ID = "audit-log"  # the registry key id of this administration's log key
WITNESS_KEY_ID = "audit-witness"  # ... and of an embedded witness's key


class HttpWitness:
    def __init__(
        self,
        agency: str,
        base_url: str,
        token: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.agency = agency
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )

    async def add_checkpoint(self, body: bytes) -> str:
        try:
            response = await self._client.post(ADD_CHECKPOINT, content=body, headers={"Content-Type": "text/plain"})
        except httpx.HTTPError as exc:
            raise WitnessUnavailable(f"{self.agency}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 200:
            return response.text
        if response.status_code == 409 and response.headers.get("content-type", "").startswith(
            witness_store.SIZE_CONTENT_TYPE
        ):
            try:
                return_size = int(response.text.strip())
            except ValueError as exc:
                raise WitnessRefused(409, "a size conflict without a size") from exc
            raise WitnessSizeConflict(return_size)
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise WitnessUnavailable(f"{self.agency}: {response.status_code}")
        raise WitnessRefused(response.status_code, response.text[:200])

    async def aclose(self) -> None:
        await self._client.aclose()


class EmbeddedWitness:
    def __init__(self, agency: str, db: Database, cosigner: Cosigner, log_key: witness_store.TrustedKey) -> None:
        self.agency, self._db, self.cosigner, self._log_key = agency, db, cosigner, log_key

    async def add_checkpoint(self, body: bytes) -> str:
        async with self._db.session() as session:
            trusted = await witness_store.trusted_keys(session, excluding=self._log_key.agency)
        try:
            return await witness_store.add_checkpoint(
                self._db,
                witness_store.parse_submission(body),
                cosigner=self.cosigner,
                trusted=[self._log_key, *trusted],
            )
        except witness_store.WitnessRefusal as exc:
            if exc.status == 409 and exc.tree_size is not None:
                raise WitnessSizeConflict(exc.tree_size) from exc
            raise WitnessRefused(exc.status, exc.message) from exc


def embedded_cosigner(settings: Settings, config: WitnessConfig) -> Cosigner:
    path = settings.data_dir / "keys" / f"witness-{config.agency.lower()}-ed25519.pem"
    name = config.name or f"{config.agency.lower()}.witness.example"
    return Cosigner(name=name, private_key=load_or_create_key(Path(path)))


async def _registry_keys(db: Database, agency: str) -> tuple[bytes, ...]:
    async with db.session() as session:
        found = await agency_store.get(session, agency)
    if found is None:
        raise ValueError(f"AUDIT_WITNESSES names {agency}, which the agency registry does not hold")
    return tuple(unb64(k.public_key) for k in found.keys if k.alg == "EdDSA")


async def _publish_key(db: Database, agency: str, key_id: str, public_key: bytes) -> None:
    async with db.writer() as session:
        if await agency_store.get(session, agency) is None:
            return
        await agency_store.add_key(session, agency, AgencyKey(key_id=key_id, public_key=b64(public_key)))
        await session.commit()


async def configured_witnesses(settings: Settings, db: Database, signer: LogSigner) -> list[ConfiguredWitness]:
    """The witnesses of AUDIT_WITNESSES. Publishes this administration's log key in the registry (so an embedded
    witness and `clearance audit verify` find it) and each embedded witness's key under its agency."""
    await _publish_key(db, settings.administration, LOG_KEY_ID, signer.public_key)
    log_key = witness_store.TrustedKey(agency=settings.administration, public_key=signer.public_key)
    found: list[ConfiguredWitness] = []
    for config in settings.audit_witnesses:
        if config.url:
            witness: HttpWitness | EmbeddedWitness = HttpWitness(
                config.agency, config.url, config.token, settings.adapter_timeout_seconds
            )
        else:
            cosigner = embedded_cosigner(settings, config)
            await _publish_key(db, config.agency, WITNESS_KEY_ID, cosigner.public_key)
            witness = EmbeddedWitness(config.agency, db, cosigner, log_key)
        found.append(ConfiguredWitness(witness=witness, keys=await _registry_keys(db, config.agency)))
    return found


async def close(witnesses: Sequence[ConfiguredWitness]) -> None:
    for configured in witnesses:
        if isinstance(configured.witness, HttpWitness):
            await configured.witness.aclose()
