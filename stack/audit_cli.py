"""`clearance audit ...`: verify the audit log against its signed checkpoints (and their cosignatures), export a
clearance's evidence bundle, verify a bundle without a database, publish a checkpoint now, have it cosigned now."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.witness import close as close_witnesses
from adapters.witness import configured_witnesses
from settings import Settings, get_settings
from stack.logging import configure as configure_logging
from store import audit_cosign, audit_log
from store.audit_note import b64, key_id, load_signer, raw_public_key, unb64
from store.audit_verify import bundle_cosignatures, export_bundle, verify_bundle, verify_database
from store.db import Database

audit_app = typer.Typer(help="The verifiable audit log (RFC 6962 tree, C2SP signed checkpoints).", no_args_is_help=True)

PublicKeyOption = Annotated[
    str | None,
    typer.Option("--public-key", help="the trusted Ed25519 public key (base64, 32 bytes); default: the log key's"),
]


WitnessKeyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--witness-key",
        help="NAME=BASE64: a trusted witness key; the bundle must carry its cosignature (default: the bundle's keys)",
    ),
]


def _witness_keys(given: list[str] | None) -> dict[str, bytes] | None:
    if not given:
        return None
    keys = {}
    for item in given:
        name, _, encoded = item.partition("=")
        try:
            key = unb64(encoded)
        except ValueError:
            key = b""
        if not name or len(key) != 32:
            typer.echo(f"--witness-key {item!r}: expected NAME=<32 bytes in standard base64>", err=True)
            raise typer.Exit(2)
        keys[name] = key
    return keys


def _trusted_key(settings: Settings, given: str | None) -> bytes:
    if given:
        try:
            key = unb64(given)
        except ValueError:
            key = b""
        if len(key) != 32:
            typer.echo("--public-key must be 32 bytes in standard base64", err=True)
            raise typer.Exit(2)
        return key
    path = settings.audit_log_key_path
    if not path.exists():
        typer.echo(f"no log key at {path}: pass --public-key or set AUDIT_LOG_KEY_FILE", err=True)
        raise typer.Exit(2)
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    return raw_public_key(private.public_key())


async def _with_db(settings: Settings, work):  # type: ignore[no-untyped-def]
    db = Database(settings.resolved_database_url)
    try:
        await db.init()  # at head, as every process opens it (a no-op when it is)
        return await work(db)
    finally:
        await db.dispose()


@audit_app.command("verify")
def verify(
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="check this evidence bundle, without a database")
    ] = None,
    public_key: PublicKeyOption = None,
    witness_key: WitnessKeyOption = None,
) -> None:
    """Exit 0 when the log (or bundle) matches its signed checkpoints and its witnesses' cosignatures verify; 1 naming
    the first bad row (or cosignature) otherwise."""
    settings = get_settings()
    if bundle is not None:
        try:
            data = json.loads(bundle.read_text())
        except (OSError, ValueError) as exc:
            typer.echo(f"cannot read {bundle}: {exc}", err=True)
            raise typer.Exit(2) from exc
        trusted = _trusted_key(settings, public_key) if public_key else None
        witnesses = _witness_keys(witness_key)
        problems = verify_bundle(data, trusted_key=trusted, trusted_witnesses=witnesses)
        if problems:
            for problem in problems:
                typer.echo(f"FAIL {problem}")
            raise typer.Exit(1)
        size, source = data["checkpoint"]["tree_size"], "" if public_key else ", key taken from the bundle"
        typer.echo(
            f"OK bundle of {data['mrn']}: {len(data['events'])} events included in the tree of size {size}"
            f" signed by {data['origin']} (key id {data['key_id']}{source})"
        )
        cosigned = bundle_cosignatures(data, witnesses)[0]
        typer.echo(f"OK cosigned by {', '.join(cosigned)}" if cosigned else "-- no witness cosignature in the bundle")
        return
    key = _trusted_key(settings, public_key)
    name = settings.audit_log_origin
    report = asyncio.run(_with_db(settings, lambda db: verify_database(db, name=name, public_key=key)))
    if report.problems:
        for problem in report.problems:
            typer.echo(f"FAIL {problem}")
        raise typer.Exit(1)
    typer.echo(
        f"OK {report.events} events, tree size {report.tree_size}, {report.checkpoints} checkpoints of {name} "
        f"(key id {key_id(name, key).hex()}) verified; {report.unsigned} events await the next checkpoint"
    )
    for witness, count in sorted(report.cosigned.items()):
        typer.echo(f"OK {count} cosignatures of witness {witness} verified with its agency's registry key")
    if report.cosignatures_unchecked:
        typer.echo(f"-- {report.cosignatures_unchecked} cosignatures of witnesses the registry holds no key of")


@audit_app.command("export")
def export(
    mrn: str,
    out: Annotated[Path | None, typer.Option("--out", help="write the bundle here (default: stdout)")] = None,
) -> None:
    """Write a clearance's evidence bundle: its events with leaf bytes, inclusion proofs against the latest
    checkpoint (published now if the log grew), the signed checkpoint and the public key."""
    settings = get_settings()
    signer = load_signer(settings.audit_log_key_path, settings.audit_log_origin)
    try:
        bundle = asyncio.run(_with_db(settings, lambda db: export_bundle(db, mrn, signer)))
    except LookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    text = json.dumps(bundle, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"wrote {len(bundle['events'])} events of {mrn} to {out}", err=True)


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Publish a signed checkpoint now (if the log grew since the latest) and print it."""
    settings = get_settings()
    signer = load_signer(settings.audit_log_key_path, settings.audit_log_origin)

    async def publish(db: Database) -> str:
        await audit_log.publish_checkpoint(db, signer, reason="manual")
        async with db.session() as session:
            latest = await audit_log.latest_checkpoint(session)
        return latest.note if latest else ""

    typer.echo(asyncio.run(_with_db(settings, publish)), nl=False)
    typer.echo(f"public key {b64(signer.public_key)}", err=True)


@audit_app.command("cosign")
def cosign() -> None:
    """Publish a checkpoint now (if the log grew), have every witness of AUDIT_WITNESSES cosign it (one round, as the
    worker's publisher) and print the note with the cosignature lines; exit 1 when a witness did not cosign."""
    settings = get_settings()
    configure_logging(settings.log_level, "console")  # on stderr: stdout is the note
    signer = load_signer(settings.audit_log_key_path, settings.audit_log_origin)

    async def run(db: Database) -> tuple[str, list[str]]:
        witnesses = await configured_witnesses(settings, db, signer)
        try:
            await audit_log.publish_checkpoint(db, signer, reason="manual")
            await audit_cosign.witness_round(db, witnesses)
        finally:
            await close_witnesses(witnesses)
        async with db.session() as session:
            latest = await audit_log.latest_checkpoint(session)
            if latest is None:
                return "", [w.witness.agency for w in witnesses]
            lines = await audit_cosign.cosignatures(session, latest.tree_size)
        missing = sorted({w.witness.agency for w in witnesses} - {c.agency for c in lines})
        return audit_cosign.cosigned_note(latest, lines), missing

    note, missing = asyncio.run(_with_db(settings, run))
    typer.echo(note, nl=False)
    if missing:
        typer.echo(f"not cosigned by {', '.join(missing)} (see the log lines above)", err=True)
        raise typer.Exit(1)
