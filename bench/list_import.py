"""List import benchmark: a 100,000-entry Consolidated Screening List JSON file imported through the HTTP API of a
real uvicorn API process, on SQLite (default) or PostgreSQL (``--postgres URL``).

Prints the import time (the POST's answer), the time until the API's own index holds the new revision, and the API
process's resident memory before and after, with the targets beside them.

python -m bench.list_import                 # 100,000 entries on SQLite
python -m bench.list_import --postgres postgresql://root@127.0.0.1:5432/test
python -m bench.list_import --smoke         # 5,000 entries, quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.screening import Names, make_list
from bench.throughput import Process, embedded_stack, free_port, stack_env
from store import principals
from store.db import Database

IMPORT_TARGET_S = 10.0
INDEX_TARGET_MB = 150.0


def write_csl(path: Path, entries: int, seed: int) -> int:
    """A CSL JSON file of `entries` synthetic entries (names from bench.screening's generator); its size."""
    listed, _ = make_list(Names(random.Random(seed)), int(entries * 1.35) + 10)
    results = [
        {
            "id": e.entry_id,
            "name": e.name,
            "alt_names": e.alt_names,
            "addresses": e.addresses,
            "programs": e.programs,
            "source": e.source,
            "type": e.entity_type,
            "entity_number": n,
            "remarks": "Synthetic entry for the list import benchmark.",
        }
        for n, e in enumerate(listed[:entries], start=1)
    ]
    path.write_text(json.dumps({"total": len(results), "results": results}, ensure_ascii=False))
    return path.stat().st_size


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def postgres_database(admin_url: str) -> tuple[str, str]:
    name = f"bench_list_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main(args: argparse.Namespace) -> dict[str, Any]:
    async with embedded_stack() as (tmp, server, sqlite_db):
        list_file = tmp / "consolidated.json"
        started = time.perf_counter()
        size = write_csl(list_file, args.entries, args.seed)
        print(f"generated {args.entries} entries, {size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
        pg_name = None
        db = sqlite_db
        if args.postgres:
            pg_name, url = postgres_database(args.postgres)
            db = Database(url.replace("postgresql://", "postgresql+psycopg://", 1))
            await db.init()
        try:
            async with db.session() as session:
                await principals.upsert_principal(
                    session, id="officer", name="officer", agency="DEMO-CUSTOMS", roles=["export_control_officer"]
                )
                token = await principals.issue_token(session, principal_id="officer")
            port = free_port()
            env = stack_env(server, db, tmp, API_PORT=str(port))
            api = Process(["-m", "api.main"], env, tmp / "api.log")
            try:
                result = await run(f"http://127.0.0.1:{port}", token, list_file, api.proc.pid)
            finally:
                api.stop()
        finally:
            if pg_name:
                await db.dispose()
                drop_postgres_database(args.postgres, pg_name)
    return {"entries": args.entries, "file_mb": size / 1e6, "database": "postgresql" if pg_name else "sqlite", **result}


async def run(base: str, token: str, list_file: Path, pid: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=120, headers=headers) as http:
        for _ in range(150):
            try:
                if (await http.get("/v1/screening-lists")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
        before = rss_mb(pid)
        started = time.perf_counter()
        response = await http.post(
            "/v1/screening-lists/bench-csl/import",
            content=_chunks(list_file),
            headers={"Content-Type": "application/json"},
        )
        imported = time.perf_counter() - started
        assert response.status_code == 200, response.text
        answer = response.json()
        after_import = rss_mb(pid)
        check = await http.post(
            "/v1/screening/check",
            json={"name": "Benchmark Probe", "list_revisions": {"bench-csl": answer["revision"]}},
        )
        assert check.status_code == 200, check.text
        indexed = time.perf_counter() - started
        return {
            "import_s": imported,
            "indexed_s": indexed,
            "imported": answer["imported"],
            "rejected": len(answer["rejected"]),
            "rss_before_mb": before,
            "rss_after_import_mb": after_import,
            "rss_after_index_mb": rss_mb(pid),
        }


async def _chunks(path: Path, size: int = 1 << 20) -> Any:
    with path.open("rb") as file:
        while chunk := file.read(size):
            yield chunk


def report(result: dict[str, Any]) -> bool:
    ok = result["import_s"] <= IMPORT_TARGET_S
    growth = result["rss_after_index_mb"] - result["rss_before_mb"]
    print(
        f"\nlist import through the API: {result['entries']} entries, {result['file_mb']:.1f} MB, {result['database']}"
    )
    print(f"  import (POST answered)   {result['import_s']:6.2f} s    target <= {IMPORT_TARGET_S:.0f} s")
    print(f"  index holds the revision {result['indexed_s']:6.2f} s    (after the POST started)")
    print(f"  API RSS before           {result['rss_before_mb']:6.0f} MB")
    print(f"  API RSS after import     {result['rss_after_import_mb']:6.0f} MB")
    print(f"  API RSS with the index   {result['rss_after_index_mb']:6.0f} MB   growth {growth:.0f} MB, "
          f"target index <= {INDEX_TARGET_MB:.0f} MB")  # fmt: skip
    print(f"  imported {result['imported']}, rejected rows {result['rejected']}")
    return ok


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.list_import", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="5,000 entries")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="import into a fresh database on this PostgreSQL server")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--check", action="store_true", help="exit 1 when the import misses its target")
    args = parser.parse_args()
    if args.smoke:
        args.entries = 5000
    ok = report(asyncio.run(main(args)))
    if args.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    cli()
