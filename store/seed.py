"""Loading what a fresh installation needs: the SOPs under sop/, the bundled reference data and (for the
embedded stack) one demo principal per role with its token in DATA_DIR/demo-tokens.json. Idempotent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import structlog
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.agencies import load_registry
from screening.lists import parse_csl
from settings import Settings
from sop.catalogue import discover
from store import agencies, principals, reference, screening_lists, sops, trade
from store.db import Database
from store.models import ApiToken, ConsoleSession, Principal, ScreeningList

log = structlog.get_logger("seed")

DEMO_AGENCY = "DEMO-CUSTOMS"
DEMO_EXPORT_CONTROL = "DEMO-EXPORT-CONTROL"  # the export-control authority: its officer decides its own tasks
DEMO_DECLARANT_EORI = "DE123456789012345"
DEMO_LIST = "demo-csl"
DEMO_PRINCIPALS = {
    "declarant": ("demo-declarant", "Rheinfracht Zollagentur GmbH", "DEMO-TRADE", DEMO_DECLARANT_EORI),
    "customs_officer": ("demo-customs-officer", "Customs Officer (demo)", DEMO_AGENCY, None),
    "export_control_officer": (
        "demo-export-control-officer",
        "Export-Control Officer (demo)",
        DEMO_EXPORT_CONTROL,
        None,
    ),
    "inspector": ("demo-inspector", "Inspector (demo)", DEMO_AGENCY, None),
    "supervisor": ("demo-supervisor", "Supervisor (demo)", DEMO_AGENCY, None),
    "sop_author": ("demo-sop-author", "SOP Author (demo)", DEMO_AGENCY, None),
    "auditor": ("demo-auditor", "Auditor (demo)", DEMO_AGENCY, None),
    "admin": ("demo-admin", "Administrator (demo)", DEMO_AGENCY, None),
    "duty_chief": ("demo-duty-chief", "Duty Chief (demo)", DEMO_AGENCY, None),
    "partner_customs_officer": (
        "demo-partner-customs-officer",
        "Partner Customs Officer (demo, JP/CA)",
        "DEMO-PARTNER-CUSTOMS",
        None,
    ),
}


async def publish_sops(db: Database, sop_dir: Path) -> list[str]:
    published = []
    async with db.writer() as session:
        for definition in discover(sop_dir):
            result, created = await sops.publish(session, definition, by="catalogue")
            published.append(f"{result.ref.name} v{result.ref.version}{' (new)' if created else ''}")
    return published


async def load_reference_data(db: Database, reference_dir: Path) -> None:
    async with db.writer() as session:
        registry = reference_dir / "agencies.yaml"
        if registry.exists():
            await agencies.load(session, load_registry(registry))
        await reference.load_control_list(session, reference_dir / "control-list.csv")
        await reference.load_embargoes(session, reference_dir / "embargoes.csv")
        registers = reference_dir / "trade-registers.yaml"
        if registers.exists():
            await trade.load(session, registers)
        if await session.get(ScreeningList, DEMO_LIST) is None:
            parsed = parse_csl(
                (reference_dir / "screening" / "demo-csl.json").read_bytes(),
                list_name=DEMO_LIST,
                filename="demo-csl.json",
            )
            await screening_lists.replace_list(session, name=DEMO_LIST, entries=parsed.entries, by="seed")


DEMO_IDS = [pid for pid, *_ in DEMO_PRINCIPALS.values()]


async def demo_principals_present(session: AsyncSession) -> list[str]:
    return list((await session.exec(select(Principal.id).where(col(Principal.id).in_(DEMO_IDS)))).all())


async def remove_demo_principals(session: AsyncSession) -> list[str]:
    """Delete the demo principals with their tokens and console sessions (the audit trail keeps their ids)."""
    found = await demo_principals_present(session)
    if found:
        for table in (ConsoleSession, ApiToken):
            await session.exec(delete(table).where(col(table.principal_id).in_(found)))  # type: ignore[call-overload]
        await session.exec(delete(Principal).where(col(Principal.id).in_(found)))  # type: ignore[call-overload]
    await session.commit()
    return found


async def demo_principals(db: Database, tokens_file: Path, *, days: float = 90) -> dict[str, str]:
    """One principal per role; reuses the tokens in `tokens_file` while they still resolve (unexpired, unrevoked)."""
    existing: dict[str, str] = {}
    if tokens_file.exists():
        try:
            existing = json.loads(tokens_file.read_text())
        except ValueError:
            existing = {}
    tokens: dict[str, str] = {}
    async with db.writer() as session:
        for role, (pid, name, agency, eori) in DEMO_PRINCIPALS.items():
            await principals.upsert_principal(session, id=pid, name=name, agency=agency, roles=[role], eori=eori)
            kept = existing.get(role)
            holder = await principals.principal_for_token(session, kept) if kept else None
            if kept is None or holder is None or holder.id != pid:
                kept = await principals.issue_token(session, principal_id=pid, label="demo", days=days)
            tokens[role] = kept
    tokens_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = tokens_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(tokens, indent=2) + "\n")
    os.chmod(tmp, 0o600)
    tmp.replace(tokens_file)
    return tokens


class DemoRefused(RuntimeError):
    pass


async def seed(settings: Settings, *, demo: bool = True) -> dict[str, str]:
    if demo and settings.environment == "production":
        raise DemoRefused("demo principals are never created with ENVIRONMENT=production (seed with --no-demo)")
    db = Database(settings.resolved_database_url)
    try:
        await db.init()
        published = await publish_sops(db, settings.sop_dir)
        await load_reference_data(db, settings.reference_dir)
        tokens = await demo_principals(db, settings.demo_tokens_file, days=settings.token_days) if demo else {}
        log.info("seeded", sops=published, demo_principals=sorted(tokens))
        return tokens
    finally:
        await db.dispose()
