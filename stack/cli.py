"""`clearance` command: run the embedded stack, seed the database, manage principals, export the SOP schema.

make run                      # = python -m stack.cli run
python -m stack.cli --help
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.panel import Panel

from domain.search import ALL as SEARCH_ATTRIBUTES
from settings import ROOT, Settings, get_settings
from stack.audit_cli import audit_app
from stack.supervisor import Supervisor
from stack.temporal import dev_server_environment
from stack.tokens_cli import remove_demo_principals, revoke_token

app = typer.Typer(help="Clearance engine: embedded stack and administration.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
console = Console()
BIN = Path(sys.executable).parent
LONG_POLL = "10s"


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) != 0


def _wait_for_port(host: str, port: int, timeout: float, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} while starting")
        if not _port_free(host, port):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not listen on {host}:{port} within {timeout:.0f} s")


def temporal_server_command(settings: Settings, db_file: Path) -> list[str]:
    host, port = _host_port(settings.temporal_address)
    command = [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(db_file),
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-port",
        str(settings.temporal_ui_port),
        "--log-level",
        "warn",
        "--ui-disable-news-fetch",
    ]
    if settings.temporal_namespace != "default":
        command += ["--namespace", settings.temporal_namespace]
    for key in SEARCH_ATTRIBUTES:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    # Idle workers' long polls end after 10 s instead of 60 s, so /readyz sees a live worker poll within its window.
    command += ["--dynamic-config-value", f'matching.longPollExpirationInterval="{LONG_POLL}"']
    # The UI shows payloads decrypted by the API for an officer signed in to the console (api/routes/codec.py).
    if settings.payload_encryption == "on":
        command += ["--ui-codec-endpoint", f"http://{settings.api_host}:{settings.api_port}/console/codec"]
    return command


@app.command()
def run() -> None:
    """Start the Temporal dev server (persisted under DATA_DIR), seed, then the worker and the API."""
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    t_host, t_port = _host_port(settings.temporal_address)
    busy = [
        f"{h}:{p}"
        for h, p in ((t_host, t_port), (t_host, settings.temporal_ui_port), (settings.api_host, settings.api_port))
        if not _port_free(h, p)
    ]
    if busy:
        console.print(
            f"[red]Port(s) already in use: {', '.join(busy)}.[/] Is another `make run` still running? "
            "Stop it, or set API_PORT / TEMPORAL_ADDRESS / TEMPORAL_UI_PORT."
        )
        raise typer.Exit(1)
    stack = Supervisor(settings.data_dir / "logs", cwd=ROOT, say=_say)
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        with console.status("Starting the Temporal dev server…"):
            dev_server_environment()
            server = stack.start("temporal", temporal_server_command(settings, settings.data_dir / "temporal.db"))
            _wait_for_port(t_host, t_port, 60, server, "Temporal dev server")
        with console.status("Loading SOPs, reference data and demo principals…"):
            from store.seed import seed

            tokens = asyncio.run(seed(settings, demo=settings.environment != "production"))
        with console.status("Starting the worker and the API…"):
            stack.start("worker", [sys.executable, "worker.py"])
            api = stack.start("api", [sys.executable, "-m", "api.main"])
            _wait_for_http(f"http://{settings.api_host}:{settings.api_port}/healthz", 60, api)
        _banner(settings, tokens)
        while not stopping:
            stack.check()  # a dead child is restarted with backoff; the others go on
            time.sleep(0.2)
        console.print("Stopping the API, the worker and the Temporal dev server…")
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/]")
        for name in stack.children:
            console.print(f"--- {name} ---\n{stack.tail(name)}", markup=False)
        raise typer.Exit(1) from exc
    finally:
        stack.stop()
    console.print("Stopped. `make run` continues every clearance where it was.")


def _say(line: str) -> None:
    console.print(f"{time.strftime('%H:%M:%S')} {line}", markup=False, highlight=False)


def _wait_for_http(url: str, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API exited with code {process.returncode} while starting")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the API did not answer {url} within {timeout:.0f} s")


def _banner(settings: Settings, tokens: dict[str, str]) -> None:
    """Where everything listens, in a panel on a terminal (plain lines when logged to a file); the commands are
    printed after it with soft wrapping, so a copied command is never broken across lines."""
    api = f"http://{settings.api_host}:{settings.api_port}"
    t_host, _ = _host_port(settings.temporal_address)
    token_lines = "\n".join(f"  {role:<24}{token}" for role, token in tokens.items())
    text = (
        f"[bold]Clearance engine is running[/]\n\n"
        f"API            {api}\n"
        f"API docs       {api}/docs   (OpenAPI: {api}/openapi.json)\n"
        f"Web console    {api}/console   (officers sign in with their token from the list below)\n"
        f"Temporal UI    http://{t_host}:{settings.temporal_ui_port}\n"
        f"Temporal gRPC  {settings.temporal_address}\n"
        f"Data           {settings.data_dir.resolve()}   (logs in {settings.data_dir / 'logs'})\n\n"
        f"Authenticate API calls with  Authorization: Bearer <token>\n"
        f"Demo tokens ({settings.demo_tokens_file}):\n{token_lines}\n\n"
        f"Ctrl-C stops everything."
    )
    if console.is_terminal:
        console.print(Panel.fit(text, title="make run"))
    else:
        console.print(text, soft_wrap=True)
    try_it = (
        f'Try:  curl -s -X POST {api}/v1/declarations -H "Authorization: Bearer $(jq -r .declarant '
        f"{settings.demo_tokens_file})\" -H 'Content-Type: application/json' -d @examples/green-lane.json"
    )
    console.print(try_it, soft_wrap=True, markup=False, highlight=False)
    console.print("CLI:  clearance --help   (the installed command; `python -m stack.cli` is the same)", soft_wrap=True)


@app.command("seed")
def seed_command(demo: Annotated[bool, typer.Option(help="create demo principals and tokens")] = True) -> None:
    """Create tables, publish the SOPs under SOP_DIR and load the bundled reference data."""
    from store.seed import DemoRefused, seed

    try:
        tokens = asyncio.run(seed(get_settings(), demo=demo))
    except DemoRefused as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print_json(json.dumps({"seeded": True, "demo_tokens": sorted(tokens)}))


@app.command("add-principal")
def add_principal(
    id: Annotated[str, typer.Option(help="principal id")],
    name: Annotated[str, typer.Option(help="display name")],
    agency: Annotated[str, typer.Option(help="agency code, e.g. DEMO-CUSTOMS")],
    role: Annotated[list[str], typer.Option(help="role (repeatable)")],
    eori: Annotated[str | None, typer.Option(help="EORI, for declarants")] = None,
    days: Annotated[float | None, typer.Option(help="token lifetime in days (default TOKEN_DAYS)")] = None,
) -> None:
    """Create or update a principal and print a new bearer token for it (shown once)."""
    from store import principals
    from store.db import Database

    async def _add() -> str:
        db = Database(get_settings().resolved_database_url)
        try:
            await db.init()
            async with db.writer() as session:
                await principals.upsert_principal(session, id=id, name=name, agency=agency, roles=role, eori=eori)
                lifetime = days or get_settings().token_days
                return await principals.issue_token(session, principal_id=id, label="cli", days=lifetime)
        finally:
            await db.dispose()

    try:
        console.print(asyncio.run(_add()))
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


app.command("revoke-token")(revoke_token)
app.command("remove-demo-principals")(remove_demo_principals)

db_app = typer.Typer(help="The clearance database's schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _schema_status(*, upgrade: bool) -> dict[str, object]:
    from sqlalchemy.engine import make_url

    from store import migrations
    from store.db import Database

    async def _run() -> dict[str, object]:
        url = get_settings().resolved_database_url
        db = Database(url)
        try:
            before, legacy = await migrations.status(db.engine)
            if upgrade:
                await db.init()
            after, _ = await migrations.status(db.engine)
        finally:
            await db.dispose()
        result: dict[str, object] = {"database": make_url(url).render_as_string(hide_password=True)}
        if upgrade:
            result["from"] = before or (f"{legacy} (tables without alembic_version)" if legacy else None)
        result |= {"current": after, "head": migrations.head(), "up_to_date": after == migrations.head()}
        if not upgrade and legacy:
            result["previous_release_tables"] = legacy
        return result

    return asyncio.run(_run())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database to this code's schema (every process also does this when it starts)."""
    console.print_json(json.dumps(_schema_status(upgrade=True)))


@db_app.command("current")
def db_current(check: Annotated[bool, typer.Option(help="exit 1 unless the database is at head")] = False) -> None:
    """Show the database's schema revision and this code's head revision."""
    status = _schema_status(upgrade=False)
    console.print_json(json.dumps(status))
    if check and not status["up_to_date"]:
        raise typer.Exit(1)


@app.command("sop-schema")
def sop_schema(out: Path = ROOT / "sop" / "schema.json") -> None:
    """Write the JSON Schema of SOP files (for editors)."""
    from sop.model import SopDefinition

    out.write_text(json.dumps(SopDefinition.model_json_schema(), indent=2) + "\n")
    console.print(f"wrote {out}")


keys_app = typer.Typer(help="Encryption keys under DATA_DIR/keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("rotate-payload-key")
def rotate_payload_key() -> None:
    """Add a new key to the payload keyring (PAYLOAD_KEYS_FILE): it encrypts from now on (running processes take
    it within seconds); every older key still decrypts, so running clearances and replay are unaffected."""
    from stack.crypto import KeyringError, rotate

    path = get_settings().resolved_payload_keys_file
    try:
        key_id = rotate(path)
    except (KeyringError, OSError, ValueError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print_json(json.dumps({"keyring": str(path), "new_key_id": key_id}))


if __name__ == "__main__":
    app()
