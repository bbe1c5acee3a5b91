"""`clearance revoke-token` and `clearance remove-demo-principals`: token administration from the shell."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console

from settings import get_settings

console = Console()


def revoke_token(
    token: Annotated[str | None, typer.Argument(help="token id, the token itself, or its first 4-6 characters")] = None,
    principal: Annotated[str | None, typer.Option(help="revoke every token of this principal")] = None,
) -> None:
    """Revoke tokens: refused (401) at once by this database's API processes (within 2 s, their cache), and their
    console sessions end."""
    from store import principals
    from store.db import Database

    if (token is None) == (principal is None):
        console.print("[red]name one token (id, token or prefix) or --principal[/]")
        raise typer.Exit(2)

    async def _revoke() -> tuple[list[str], list[str]]:
        db = Database(get_settings().resolved_database_url)
        try:
            await db.init()
            async with db.writer() as session:
                if principal is not None:
                    found = [t.id for t, _ in await principals.tokens(session, principal_id=principal)]
                else:
                    found = [t.id for t in await principals.find_tokens(session, token or "")]
                if token is not None and len(found) > 1:
                    return found, []
                return found, await principals.revoke(session, found, by="cli")
        finally:
            await db.dispose()

    found, revoked = asyncio.run(_revoke())
    if not found:
        console.print("[red]no such token[/]")
        raise typer.Exit(1)
    if token is not None and len(found) > 1:
        console.print(f"[red]{token!r} names {len(found)} tokens ({', '.join(found)}); give the id[/]")
        raise typer.Exit(2)
    console.print_json(json.dumps({"revoked": revoked, "already_revoked": sorted(set(found) - set(revoked))}))


def remove_demo_principals() -> None:
    """Delete the demo principals, their tokens and console sessions (needed before ENVIRONMENT=production)."""
    from store.db import Database
    from store.seed import remove_demo_principals as remove

    async def _remove() -> list[str]:
        db = Database(get_settings().resolved_database_url)
        try:
            await db.init()
            async with db.writer() as session:
                return await remove(session)
        finally:
            await db.dispose()

    console.print_json(json.dumps({"removed": asyncio.run(_remove())}))
